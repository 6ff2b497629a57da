//! `emberkeep-tools bench`: figures for DESIGN.md §12's budgets (median and p99).

use bevy::prelude::*;
use emberkeep_client::net::{JoinRequest, Status, TableSession, Transport, client_app, connect};
use emberkeep_server::{Listen, ServerSettings, server_app};
use emberkeep_shared::prelude::*;
use emberkeep_tests::{Stepper, shipped_content};
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Campaigns in the large frame-time run.
    #[arg(long, default_value_t = 40)]
    campaigns: u32,
    /// Server frames measured per frame-time run.
    #[arg(long, default_value_t = 600)]
    frames: usize,
    /// Actions timed in the latency run.
    #[arg(long, default_value_t = 300)]
    samples: usize,
    /// Server tick rate for the latency run.
    #[arg(long, default_value_t = emberkeep_shared::protocol::DEFAULT_TICK_HZ)]
    tick_rate: f64,
    /// Seat the clients but keep the bots idle (isolates the cost of connections).
    #[arg(long)]
    idle: bool,
    /// Split the large run's campaigns over this many worlds (as `emberkeep-server --shards`),
    /// each timed on its own.
    #[arg(long, default_value_t = 1)]
    shards: u32,
    /// With the frame part: split the large run's frames into phases (lightyear's receive,
    /// each turn-pipeline step, lightyear's send) and print each phase's median and p99, and
    /// its mean share of the slowest 1 % of frames.
    #[arg(long)]
    phases: bool,
    /// With the frame part: journal the campaigns in this folder (as a server with
    /// `--data-dir`: every action written and synced before it is answered). Each world gets a
    /// fresh folder inside it, removed afterwards.
    #[arg(long)]
    data_dir: Option<std::path::PathBuf>,
    /// Only these parts: frame, rules, latency, narrator, join (default all).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
}

/// Median and p99 of durations, in ms.
pub(crate) fn summary(name: &str, samples: &mut [Duration]) -> String {
    samples.sort();
    let pick = |q: f64| {
        samples[((samples.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0
    };
    format!(
        "{name}: median {:.3} ms, p99 {:.3} ms, max {:.3} ms (n = {})",
        pick(0.5),
        pick(0.99),
        pick(1.0),
        samples.len()
    )
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let wants = |part: &str| args.only.is_empty() || args.only.iter().any(|p| p == part);
    println!("emberkeep bench (debug builds are slower; use --release figures for budgets)");
    if wants("frame") {
        let journals = args.data_dir.as_deref();
        frame_time(1, 1, args.frames, args.idle, false, journals);
        frame_time(
            args.campaigns,
            args.shards.max(1),
            args.frames,
            args.idle,
            args.phases,
            journals,
        );
    }
    if wants("rules") {
        rules_throughput();
    }
    if wants("join") {
        crate::bench_join::join_under_slow_connections(200, 2000)?;
    }
    if wants("latency") {
        latency(args.samples, args.tick_rate)?;
    }
    if wants("narrator") {
        narrator(args.campaigns);
    }
    Ok(ExitCode::SUCCESS)
}

/// Server frame time with `campaigns` tables of 6 clients (4 bots + 2 spectators), in process,
/// split over `shards` worlds (each world's frame is one sample).
fn frame_time(
    campaigns: u32,
    shards: u32,
    frames: usize,
    idle: bool,
    phases: bool,
    journals: Option<&std::path::Path>,
) {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dirs: Vec<Option<std::path::PathBuf>> = (0..shards)
        .map(|i| journals.map(|d| d.join(format!("bench-{stamp}-{campaigns}-{i}"))))
        .collect();
    let mut worlds: Vec<Stepper> = (0..shards)
        .map(|i| {
            let mine = campaigns / shards + u32::from(i < campaigns % shards);
            let mut s = Stepper::new(ServerSettings {
                campaigns: mine,
                seed: 7 + u64::from(i),
                turn_timeout: Duration::from_secs(5),
                data_dir: dirs[i as usize].clone(),
                ..ServerSettings::default()
            });
            for n in 1..=mine {
                let id = format!("table-{n}");
                for seat in [
                    "fighter",
                    "rogue",
                    "cleric",
                    "wizard",
                    "spectator",
                    "spectator",
                ] {
                    let c = s.add_client(seat, Some(&id));
                    s.autoplay(c, seat != "spectator" && !idle);
                }
            }
            if phases {
                crate::bench_phases::install(&mut s.server);
            }
            let clients = s.clients.len();
            s.step_until(600, |s| {
                (0..clients).all(|c| s.session(c).status == Status::Seated)
            });
            s
        })
        .collect();
    let mut samples = Vec::with_capacity(frames * worlds.len());
    let mut breakdown = crate::bench_phases::Phases::default();
    for _ in 0..frames {
        for s in &mut worlds {
            for c in &mut s.clients {
                c.update();
            }
            let start = Instant::now();
            s.server.update();
            samples.push(start.elapsed());
            if phases {
                breakdown.record(&mut s.server, start, *samples.last().expect("just pushed"));
            }
        }
    }
    let what = match (idle, journals.is_some()) {
        (true, false) => "bots idle",
        (true, true) => "bots idle, journaled",
        (false, false) => "bots fighting",
        (false, true) => "bots fighting, journaled",
    };
    let tables = if campaigns == 1 {
        "campaign"
    } else {
        "campaigns"
    };
    let split = if shards > 1 {
        format!(", {shards} shards (each shard's frame)")
    } else {
        String::new()
    };
    let label = format!("server frame, {campaigns} {tables} x 6 clients ({what}){split}");
    println!("{}", summary(&label, &mut samples));
    if phases {
        breakdown.print();
    }
    if campaigns > 1 {
        vision_cost(&mut worlds[0], campaigns / shards);
    }
    drop(worlds);
    for dir in dirs.into_iter().flatten() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Fog of war: what recomputing one party's sight costs (done only when a party member
/// moves or the map, its light or a door changes), on these campaigns' tables as they stand
/// and on the shipped dark cellar.
fn vision_cost(s: &mut Stepper, campaigns: u32) {
    let mut tables: Vec<Table> = (1..=campaigns)
        .map(|n| s.campaign(&format!("table-{n}")).table.clone())
        .collect();
    let lib = shipped_content();
    for encounter in ["wine-cellar", "wolf-den"] {
        tables.push(Table::new(&lib, encounter, 1, 60_000).expect("shipped encounter"));
    }
    let mut samples = Vec::new();
    for t in &tables {
        for _ in 0..20 {
            let start = Instant::now();
            std::hint::black_box(t.party_sight());
            samples.push(start.elapsed());
        }
    }
    let label = format!(
        "vision, one party's sight recomputed ({campaigns} campaigns' tables and 2 shipped maps)"
    );
    println!("{}", summary(&label, &mut samples));
}

/// Rules actions resolved per second: whole fights played by the built-in tactics.
fn rules_throughput() {
    let lib = shipped_content();
    let mut actions = 0u64;
    let mut fights = 0u64;
    let mut spells = 0u64;
    let start = Instant::now();
    let mut seed = 0;
    while start.elapsed() < Duration::from_secs(2) {
        seed += 1;
        // Level 3: slots, 2nd-level spells and class features in play.
        let mut table = Table::new_at_level(&lib, "wolf-den", seed, 120_000, Some(3))
            .expect("shipped encounter");
        table.start_combat(0, "bench".into());
        let mut guard = 0;
        while let Some(active) = table.active() {
            guard += 1;
            if guard > 2000 {
                break;
            }
            // The built-in tactics with spells and features, as NPCs and companions play.
            for action in table.plan_for(active) {
                if table.active() != Some(active) {
                    break;
                }
                let _ = table.submit(active, action, 0);
                actions += 1;
                // A player's reaction (Shield) answered at once, as a bot does.
                if let Some(reactor) = table.pending.as_ref().map(|p| p.reactor) {
                    let _ = table.submit(reactor, Action::React { take: true }, 0);
                    actions += 1;
                }
            }
        }
        spells += table
            .log
            .iter()
            .filter(|e| {
                matches!(
                    e.event,
                    emberkeep_shared::event::GameEvent::SpellCast { .. }
                )
            })
            .count() as u64;
        fights += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "rules: {:.0} actions/s resolved, planning included ({actions} actions, {spells} of them spells, in {fights} level-3 fights, {secs:.2} s)",
        actions as f64 / secs
    );
}

/// Action → visible on the acting client over loopback UDP, with a real server thread.
fn latency(samples: usize, tick_rate: f64) -> anyhow::Result<()> {
    let settings = ServerSettings {
        listen: Listen::Sockets {
            udp: Some("127.0.0.1:0".parse()?),
            ws: None,
            http: None,
        },
        encounter: "crypt-of-bones".into(),
        tick_hz: tick_rate,
        rate_per_second: 1000.0,
        rate_burst: 1000.0,
        ..ServerSettings::default()
    };
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop2 = stop.clone();
    let tick = Duration::from_secs_f64(1.0 / tick_rate);
    let (port_tx, port_rx) = std::sync::mpsc::channel();
    // An App is not Send: the server is built and run on its own thread, as in production.
    let handle = std::thread::spawn(move || {
        let mut server = server_app(settings, shipped_content());
        server.finish();
        server.cleanup();
        server.update();
        let world = server.world_mut();
        let mut q = world.query::<&lightyear::prelude::LocalAddr>();
        let port = q.iter(world).next().map(|a| a.0.port());
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port.unwrap_or(0)));
        let token = emberkeep_server::mint_seat_token(world, "table-1", "fighter", addr);
        let _ = port_tx.send(port.zip(token.ok()));
        while !stop2.load(std::sync::atomic::Ordering::Relaxed) {
            let start = Instant::now();
            server.update();
            if let Some(rest) = tick.checked_sub(start.elapsed()) {
                std::thread::sleep(rest);
            }
        }
    });
    let (port, token) = port_rx
        .recv()?
        .ok_or_else(|| anyhow::anyhow!("the bench server bound no UDP port"))?;
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let request = JoinRequest {
        name: "bench".into(),
    };
    let mut client = client_app(Duration::from_millis(1), request);
    client.finish();
    client.cleanup();
    connect(client.world_mut(), Transport::Udp(addr), &token).map_err(|e| anyhow::anyhow!(e))?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.world().resource::<TableSession>().status != Status::Seated {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the bench client could not join the loopback server"
        );
        client.update();
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut measured = Vec::with_capacity(samples);
    for i in 0..samples {
        let text = format!("I count the bones: {i}");
        let seen_before = client.world().resource::<TableSession>().events.len();
        let start = Instant::now();
        client
            .world_mut()
            .resource_mut::<TableSession>()
            .act(Action::Declare { text: text.clone() });
        loop {
            client.update();
            let session = client.world().resource::<TableSession>();
            if session.events[seen_before..].iter().any(
                |e| matches!(&e.event, GameEvent::ActionDeclared { text: t, .. } if *t == text),
            ) {
                break;
            }
            anyhow::ensure!(
                start.elapsed() < Duration::from_secs(5),
                "an action was never seen"
            );
            std::thread::sleep(Duration::from_micros(200));
        }
        measured.push(start.elapsed());
        // Start each sample at a random phase of the server tick, as a player would.
        std::thread::sleep(Duration::from_micros(rand::random_range(0..35_000)));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = handle.join();
    println!(
        "{}",
        summary(
            &format!("action -> visible on the acting client, loopback UDP, {tick_rate} Hz server"),
            &mut measured
        )
    );
    Ok(())
}

/// Bridge overhead (a chunk leaving the model → arriving at a client, in process) and server
/// frame time while every campaign has a narration streaming from a local model.
fn narrator(campaigns: u32) {
    use emberkeep_server::narrator::NarratorSettings;
    use emberkeep_server::narrator::backend::{ModelConfig, Wire};
    use emberkeep_tests::fake_model::{Answer, FakeModel, Format};
    let epoch = std::time::UNIX_EPOCH;
    // Each piece carries the moment the model wrote it.
    let model = FakeModel::start(Format::OpenAi, move |_, body| {
        if body.contains("enemies") {
            return Answer::Text(vec!["{\"choice\": 1}".into()]);
        }
        // Each piece is a whole sentence: the server releases narration a checked sentence
        // at a time, so this measures the bridge, not how long a sentence takes to write.
        let pieces = (0..150).map(|_| "[{now}]. ".to_string()).collect();
        Answer::Text(pieces)
    });
    let settings = ServerSettings {
        campaigns,
        seed: 9,
        turn_timeout: Duration::from_secs(3),
        narrator: NarratorSettings {
            model: Some(ModelConfig {
                wire: Wire::OpenAi,
                base_url: model.base_url.clone(),
                model: "bench".into(),
                api_key: None,
                stall_timeout: Duration::from_secs(5),
                total_timeout: Duration::from_secs(30),
                retries: 0,
                max_tokens: 300,
            }),
            budget_tokens: None,
            npc_brain: true,
            npc_timeout: Duration::from_secs(4),
        },
        ..ServerSettings::default()
    };
    let mut s = Stepper::new(settings);
    s.server
        .insert_resource(bevy::time::TimeUpdateStrategy::Automatic);
    for n in 1..=campaigns {
        let c = s.add_client("fighter", Some(&format!("table-{n}")));
        s.clients[c].insert_resource(bevy::time::TimeUpdateStrategy::Automatic);
    }
    let mut frames = Vec::new();
    let mut overhead = Vec::new();
    let mut seen = vec![0usize; s.clients.len()];
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(8) {
        for c in &mut s.clients {
            c.update();
        }
        let t = Instant::now();
        s.server.update();
        frames.push(t.elapsed());
        for (i, c) in s.clients.iter().enumerate() {
            let session = c.world().resource::<TableSession>();
            let all: String = session.streamed.iter().map(|x| x.1.as_str()).collect();
            let now = epoch.elapsed().unwrap().as_nanos();
            let stamps: Vec<u128> = all
                .split(['[', ']'])
                .filter_map(|x| x.parse().ok())
                .collect();
            for stamp in &stamps[seen[i].min(stamps.len())..] {
                overhead.push(Duration::from_nanos(now.saturating_sub(*stamp) as u64));
            }
            seen[i] = stamps.len();
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    if overhead.is_empty() {
        println!("narrator: no chunk arrived (is the bridge running?)");
        return;
    }
    println!(
        "{}",
        summary(
            &format!("narration chunk: model -> client, {campaigns} campaigns streaming"),
            &mut overhead
        )
    );
    println!(
        "{}",
        summary(
            &format!("server frame, {campaigns} campaigns with narrations streaming"),
            &mut frames
        )
    );
}
