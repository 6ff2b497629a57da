//! The real `emberkeep-server` binary on real loopback sockets: players join by code over
//! HTTP + UDP and fight an encounter to its end; a server killed with SIGKILL mid-combat comes
//! back with every accepted action and the clients reconnect by themselves. (Real time is
//! unavoidable here; the tests wait for outcomes and never assert on durations.)

use bevy::prelude::*;
use emberkeep_client::autoplay::AutoPlayPlugin;
use emberkeep_client::net::{JoinRequest, Reconnect, Status, TableSession, client_app};
use emberkeep_shared::prelude::*;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server process, and where its metrics are served.
struct Server(Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn free_tcp_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("emberkeep-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Starts the server and waits until it listens and has written its codes.
fn start(udp: u16, http: u16, dir: &Path, data: bool) -> Server {
    start_with(udp, http, dir, data, "goblin-ambush")
}

/// Starts the server running `encounter` (an adventure or a single encounter).
fn start_with(udp: u16, http: u16, dir: &Path, data: bool, encounter: &str) -> Server {
    let assets = emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets");
    let assets = assets.to_str().expect("a UTF-8 path");
    let mut args: Vec<String> = [
        "--bind",
        "127.0.0.1",
        "--no-websocket",
        "--seed",
        "5",
        "--encounter",
        encounter,
        "--turn-timeout",
        "5",
        "--assets",
        assets,
        "--metrics",
        "127.0.0.1:0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend([
        "--udp-port".into(),
        udp.to_string(),
        "--http-port".into(),
        http.to_string(),
    ]);
    args.extend([
        "--codes-file".into(),
        dir.join("codes.txt").display().to_string(),
    ]);
    if data {
        args.extend(["--data-dir".into(), dir.join("data").display().to_string()]);
    }
    let _ = std::fs::remove_file(dir.join("codes.txt"));
    let child = Command::new(env!("CARGO_BIN_EXE_emberkeep-server"))
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let (server, _) = read_banner(child);
    assert!(dir.join("codes.txt").exists());
    server
}

/// Reads the started server's stdout up to its help line (after its codes): the server with
/// its metrics address, and the lines read. Stdout is drained from then on, so the server
/// never blocks on a full pipe.
fn read_banner(mut child: Child) -> (Server, Vec<String>) {
    let stdout = child.stdout.take().unwrap();
    let mut server = Server(child, String::new());
    let mut lines = BufReader::new(stdout).lines();
    let mut banner = Vec::new();
    loop {
        let line = lines
            .next()
            .expect("the server prints its addresses")
            .unwrap();
        if let Some(addr) = line.strip_prefix("listening: metrics ") {
            server.1 = addr.to_string();
        }
        let done = line.starts_with("Type `help`");
        banner.push(line);
        if done {
            break;
        }
    }
    assert!(
        !server.1.is_empty(),
        "the server printed no metrics address"
    );
    std::thread::spawn(move || for _ in lines {});
    (server, banner)
}

/// Scrapes the server's `/metrics` over a real socket, as Prometheus would.
fn scrape(server: &Server) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(&server.1).expect("the metrics port answers");
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        server.1
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("application/openmetrics-text"), "{head}");
    body.to_string()
}

/// The value of one sample (`name{labels}` exactly as exposed), or 0 if absent.
fn sample(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |v| v.trim().parse().expect("a number"))
}

fn code(dir: &Path, seat: &str) -> String {
    let text = std::fs::read_to_string(dir.join("codes.txt")).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("table-1 {seat} ")))
        .unwrap()
        .to_string()
}

fn players(http: u16, dir: &Path) -> Vec<App> {
    ["fighter", "rogue", "cleric", "wizard"]
        .iter()
        .map(|seat| {
            let mut app = client_app(
                Duration::from_millis(10),
                JoinRequest {
                    name: format!("{seat} bot"),
                },
            );
            app.add_plugins(AutoPlayPlugin);
            app.finish();
            app.cleanup();
            let plan = Reconnect::new(&format!("127.0.0.1:{http}"), &code(dir, seat), false);
            plan.connect_now(app.world_mut()).expect("joins by code");
            app.insert_resource(plan);
            app
        })
        .collect()
}

fn run_until(apps: &mut [App], what: &str, done: impl FnMut(&[App]) -> bool) {
    run_within(apps, what, Duration::from_secs(120), done);
}

/// Steps the players until `done`; fails after `limit` of real time (a guard against a hang,
/// not a claim about speed).
fn run_within(apps: &mut [App], what: &str, limit: Duration, mut done: impl FnMut(&[App]) -> bool) {
    let deadline = Instant::now() + limit;
    while !done(apps) {
        for app in apps.iter_mut() {
            app.update();
        }
        if Instant::now() > deadline {
            let states: Vec<String> = apps
                .iter()
                .map(|a| {
                    let s = session(a);
                    format!(
                        "{:?} last {} gaps {:?} accepted {} rejected {:?}",
                        s.status,
                        s.last_seq(),
                        s.gaps,
                        s.accepted.len(),
                        s.rejected.last()
                    )
                })
                .collect();
            panic!("timed out waiting for: {what}\n{}", states.join("\n"));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn session(app: &App) -> &TableSession {
    app.world().resource::<TableSession>()
}

fn fight_over(app: &App) -> bool {
    session(app)
        .events
        .iter()
        .any(|e| matches!(e.event, GameEvent::CombatEnded { .. }))
}

#[test]
fn players_join_by_code_and_fight_to_the_end() {
    let dir = scratch("fight");
    let http = free_tcp_port();
    let server = start(free_udp_port(), http, &dir, false);
    let mut apps = players(http, &dir);
    run_until(&mut apps, "the fight ends", |apps| {
        apps.iter().all(fight_over)
    });
    for app in &apps {
        let s = session(app);
        assert_eq!(s.status, Status::Seated);
        assert!(s.gaps.is_empty());
        assert!(
            s.events
                .iter()
                .any(|e| matches!(e.event, GameEvent::Attacked(_)))
        );
    }
    // A wrong code gets a clear refusal from the join endpoint.
    let err =
        emberkeep_client::net::fetch_ticket(&format!("127.0.0.1:{http}"), "NOPE-NOPE").unwrap_err();
    assert!(err.contains("unknown or revoked join code"), "{err}");
    // Prometheus sees the table: the frames, the four seated links, the campaign, the
    // intents answered and the join requests (four tokens minted, one unknown code).
    let m = scrape(&server);
    for series in [
        "emberkeep_frame_seconds_count",
        "emberkeep_intents_total{outcome=\"accepted\",code=\"\"}",
        "emberkeep_http_connections_total{result=\"accepted\"}",
    ] {
        assert!(sample(&m, series) > 0.0, "{series} in:\n{m}");
    }
    assert_eq!(sample(&m, "emberkeep_links"), 4.0, "{m}");
    assert_eq!(sample(&m, "emberkeep_seated"), 4.0, "{m}");
    assert_eq!(sample(&m, "emberkeep_campaigns"), 1.0, "{m}");
    assert!(
        sample(&m, "emberkeep_join_attempts_total{result=\"minted\"}") >= 4.0,
        "{m}"
    );
    assert_eq!(
        sample(&m, "emberkeep_join_attempts_total{result=\"unknown\"}"),
        1.0,
        "{m}"
    );
    for kind in ["narrator_seconds", "journal_sync_seconds"] {
        assert!(
            m.contains(&format!("# TYPE emberkeep_{kind} histogram")),
            "{m}"
        );
    }
}

/// Maps from other tools play like any other: the bots fight the wolf den (a Tiled map) and
/// the wine cellar (a Universal VTT map, its door a wall segment) to the end, against a real
/// server over UDP.
#[test]
fn bots_fight_on_a_tiled_map_and_on_a_universal_vtt_map() {
    for encounter in ["wolf-den", "wine-cellar"] {
        let dir = scratch(encounter);
        let http = free_tcp_port();
        let _server = start_with(free_udp_port(), http, &dir, false, encounter);
        let mut apps = players(http, &dir);
        run_until(&mut apps, "the fight ends", |apps| {
            apps.iter().all(fight_over)
        });
        for app in &apps {
            let s = session(app);
            assert!(s.gaps.is_empty(), "{encounter}");
            assert!(
                s.events
                    .iter()
                    .any(|e| matches!(e.event, GameEvent::Attacked(_))),
                "{encounter}: nobody attacked"
            );
        }
    }
}

#[test]
fn a_server_killed_mid_combat_resumes_with_no_accepted_action_lost() {
    let dir = scratch("sigkill");
    let (udp, http) = (free_udp_port(), free_tcp_port());
    let server = start(udp, http, &dir, true);
    let mut apps = players(http, &dir);
    // Play until several actions were accepted, mid-combat.
    run_until(&mut apps, "a few accepted actions", |apps| {
        apps.iter()
            .map(|a| session(a).accepted.len())
            .sum::<usize>()
            >= 6
    });
    assert!(
        !apps.iter().any(fight_over),
        "the fight ended too soon for this test"
    );
    let acknowledged: usize = apps.iter().map(|a| session(a).accepted.len()).sum();
    let last_seen: Vec<u64> = apps.iter().map(|a| session(a).last_seq()).collect();
    // SIGKILL: no chance to flush anything more.
    let mut server = server;
    server.0.kill().unwrap();
    server.0.wait().unwrap();
    let journal = std::fs::read_to_string(dir.join("data/table-1/journal.jsonl")).unwrap();
    let acts = journal.lines().filter(|l| l.contains(r#""Act""#)).count();
    assert!(
        acts >= acknowledged,
        "{acts} actions journaled, {acknowledged} acknowledged"
    );
    drop(server);

    let server = start(udp, http, &dir, true);
    // The clients notice, fetch fresh tokens with their codes, rejoin, and the fight goes on.
    run_until(&mut apps, "the fight ends after the restart", |apps| {
        apps.iter().all(fight_over)
    });
    // Every line written after the restart was synced, and timed for Prometheus.
    let m = scrape(&server);
    assert!(
        sample(&m, "emberkeep_journal_sync_seconds_count") > 0.0,
        "{m}"
    );
    for (app, seen) in apps.iter().zip(last_seen) {
        let s = session(app);
        assert!(s.gaps.is_empty(), "gaps after the restart: {:?}", s.gaps);
        assert!(
            !s.resynced,
            "the restarted server should replay, not resync"
        );
        let seqs: Vec<u64> = s.events.iter().map(|e| e.seq).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "events out of order");
        assert!(
            seqs.iter().any(|&q| q > seen),
            "nothing new after the restart"
        );
    }
}

#[test]
fn four_bots_play_the_shipped_adventure_to_its_ending_over_udp() {
    let dir = scratch("adventure");
    let http = free_tcp_port();
    let _server = start_with(free_udp_port(), http, &dir, false, "ember");
    let mut apps = players(http, &dir);
    for app in &mut apps {
        app.world_mut()
            .resource_mut::<emberkeep_client::autoplay::AutoPlay>()
            .explore_every_ms = 200;
    }
    let started = Instant::now();
    let ended = |app: &App| {
        session(app).events.iter().any(|e| {
            matches!(
                e.event,
                GameEvent::Story(emberkeep_shared::story::StoryEvent::Ended { .. })
            )
        })
    };
    run_within(
        &mut apps,
        "the adventure's ending",
        Duration::from_secs(600),
        |apps| apps.iter().all(ended),
    );
    let s = session(&apps[0]);
    let story: Vec<&emberkeep_shared::story::StoryEvent> = s
        .events
        .iter()
        .filter_map(|e| match &e.event {
            GameEvent::Story(st) => Some(st),
            _ => None,
        })
        .collect();
    use emberkeep_shared::story::StoryEvent as S;
    let scenes = story
        .iter()
        .filter(|e| matches!(e, S::SceneEntered { .. }))
        .count();
    println!(
        "adventure over UDP: {} events in {:.0} s, {scenes} scenes",
        s.last_seq(),
        started.elapsed().as_secs_f64()
    );
    assert!(s.gaps.is_empty());
    assert!(story.iter().any(|e| matches!(e, S::Check { .. })));
    // Dice fall as the bots' timing over UDP has it: the party may all die (the in-process
    // test holds the shipped adventure to a win over fixed seeds). A fallen party must have
    // ended it as a defeat; a living one has been everywhere.
    let fallen = story
        .iter()
        .any(|e| matches!(e, S::Ended { fallen: true, .. }));
    if fallen {
        println!("the party fell; the adventure ended as a defeat");
    } else {
        assert_eq!(scenes, 6);
        assert!(story.iter().any(|e| matches!(e, S::Rested { .. })));
        assert!(story.iter().any(|e| matches!(e, S::LeveledUp { .. })));
    }
    assert!(
        story
            .iter()
            .any(|e| matches!(e, S::Looted { items, .. } if !items.is_empty()))
    );
}

#[test]
fn a_sharded_server_routes_each_code_to_its_shard_and_labels_its_metrics() {
    let dir = scratch("shards");
    let assets = emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets");
    let http = free_tcp_port();
    let child = Command::new(env!("CARGO_BIN_EXE_emberkeep-server"))
        .args(["--bind", "127.0.0.1", "--no-websocket", "--seed", "5"])
        .args([
            "--encounter",
            "goblin-ambush",
            "--shards",
            "2",
            "--campaigns",
            "3",
        ])
        .args(["--udp-port", "0", "--metrics", "127.0.0.1:0"])
        .arg("--http-port")
        .arg(http.to_string())
        .arg("--assets")
        .arg(&assets)
        .arg("--codes-file")
        .arg(dir.join("codes.txt"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let (server, banner) = read_banner(child);
    // "  shard I: udp 127.0.0.1:PORT, ws off, N campaign(s), journals in DIR"
    let shard_ports: Vec<u16> = banner
        .iter()
        .filter_map(|l| l.trim().strip_prefix("shard ")?.split("udp ").nth(1))
        .map(|rest| {
            let udp = rest.split(',').next().unwrap();
            udp.parse::<std::net::SocketAddr>().unwrap().port()
        })
        .collect();
    assert_eq!(shard_ports.len(), 2, "a line per shard");
    assert_ne!(shard_ports[0], shard_ports[1]);
    // Every shard's seats are in the codes file, each campaign once, and each code's ticket
    // names its own shard's port: table-1 and table-3 on shard 0, table-2 on shard 1.
    let text = std::fs::read_to_string(dir.join("codes.txt")).unwrap();
    for (campaign, shard) in [("table-1", 0), ("table-2", 1), ("table-3", 0)] {
        let code = text
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{campaign} fighter ")))
            .unwrap_or_else(|| panic!("no {campaign} in {text}"));
        let (ticket, _) =
            emberkeep_client::net::fetch_ticket(&format!("127.0.0.1:{http}"), code).unwrap();
        assert_eq!(ticket.campaign, campaign);
        assert_eq!(ticket.udp_port, Some(shard_ports[shard]), "{campaign}");
    }
    // A player seated at shard 1 over real UDP.
    let mut app = client_app(
        Duration::from_millis(10),
        JoinRequest {
            name: "sharded".into(),
        },
    );
    app.finish();
    app.cleanup();
    let code = text
        .lines()
        .find_map(|l| l.strip_prefix("table-2 rogue "))
        .unwrap();
    let plan = Reconnect::new(&format!("127.0.0.1:{http}"), code, false);
    plan.connect_now(app.world_mut()).expect("joins by code");
    app.insert_resource(plan);
    let mut apps = [app];
    run_until(&mut apps, "the player seated at shard 1", |a| {
        session(&a[0]).status == Status::Seated
    });
    // One exposition, each family once, every series labelled by shard.
    let mut metrics = String::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while sample(&metrics, "emberkeep_seated{shard=\"1\"}") != 1.0 {
        assert!(
            Instant::now() < deadline,
            "shard 1 never counted its seat:\n{metrics}"
        );
        for a in &mut apps {
            a.update();
        }
        std::thread::sleep(Duration::from_millis(20));
        metrics = scrape(&server);
    }
    assert_eq!(
        metrics
            .matches("# TYPE emberkeep_frame_seconds histogram")
            .count(),
        1
    );
    assert_eq!(sample(&metrics, "emberkeep_campaigns{shard=\"0\"}"), 2.0);
    assert_eq!(sample(&metrics, "emberkeep_campaigns{shard=\"1\"}"), 1.0);
    assert_eq!(sample(&metrics, "emberkeep_seated{shard=\"0\"}"), 0.0);
    // The endpoint counts its joins under shard 0's labels.
    let minted: f64 = metrics
        .lines()
        .filter(|l| l.starts_with("emberkeep_join_attempts_total{"))
        .filter(|l| l.contains("result=\"minted\"") && l.contains("shard=\"0\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert!(minted >= 4.0, "{metrics}");
    // Journals per shard.
    assert!(dir.join("data/shard-0/table-1").is_dir());
    assert!(dir.join("data/shard-1/table-2").is_dir());
    assert!(!dir.join("data/shard-1/table-1").exists());
}
