//! Emberkeep's dedicated table server as a library: [`ServerPlugin`] plus [`server_app`] to
//! build a complete headless App. The binary (`main.rs`) only parses the command line.
//!
//! # Tick order
//! Lightyear receives in `PreUpdate` and sends in `PostUpdate`; our pipeline runs in `Update`
//! as one chain, [`TurnSystems`]. Every input to a table goes through one door, its campaign's
//! [`campaign::Inbox`]: appended as it arrives (with its arrival time), taken out only by
//! `Resolve`, in that order.
//! 1. `Receive` — per link, each message in turn: `Hello` seats a link by its token's claim
//!    (and replays missed events) and queues the join; intents (checked against the seat and
//!    the rate limit), whispers and host seats' table commands (`pause`, `skip`, `narrate`…)
//!    are queued. Then finished model narrations are queued, and console lines run: their
//!    table commands are queued too, the others (`status`, `kick`, `archive`…) answer at
//!    once. A link that goes away (at any time) queues its leave.
//! 2. `Advance` — the clock's inputs, behind this tick's arrivals: the NPC brain's choice of
//!    an NPC's turn (or the built-in tactics when it is late), seats handed back to their
//!    companion, then the tick (turn timeouts, the character Dodges; without the NPC brain,
//!    built-in NPC turns).
//! 3. `Resolve` — each campaign takes its inputs out in arrival order: applied by the shared
//!    rules, journaled (written and synced; a tick only if it changed the table), then
//!    answered (`Accepted`/`Rejected`, a host's `ok`); one that cannot be written is refused
//!    and undone. Outside combat a character's action (and all behind it) waits while the
//!    last action's narration is being written; only narrations pass it.
//! 4. `Publish` — new events go to the links allowed to see them; views are mirrored into the
//!    replicated components; new public events are queued for narration (built-in at once
//!    into the inbox, resolved first next tick; model narrations on the bridge thread, polled
//!    in `Receive`); queued messages are handed to lightyear.
//!
//! Update this comment as the code changes.

pub mod agones;
pub mod campaign;
pub mod characters;
pub mod console;
pub mod http;
pub mod journal;
pub mod metrics;
pub mod narrator;
pub mod network;
pub mod outbox;
pub mod reload;
pub mod seats;
pub mod secret_file;
pub mod session;
pub mod settings;
pub mod shards;
mod startup;
mod turn;

use bevy::app::ScheduleRunnerPlugin;
use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use emberkeep_shared::content::ContentLibrary;
use emberkeep_shared::protocol::{ProtocolPlugin, SeatClaim, tick_duration};
use lightyear::prelude::RoomPlugin;
use lightyear::prelude::server::ServerPlugins;
use std::net::SocketAddr;

pub use campaign::{Campaign, Content, open_campaign, resume_campaign};
pub use network::{BoundAddrs, NetServer};
pub use seats::{Directory, NetKey};
pub use session::{ServerStats, Session};
pub use settings::{Cli, Listen, ServerSettings};
pub use startup::{prepare, print_banner};

/// The server's turn pipeline, in order (all in `Update`).
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TurnSystems {
    /// Joins, intents and host commands queued in their campaign's inbox.
    Receive,
    /// Timeouts and NPC turns queued behind them.
    Advance,
    /// Each inbox resolved by the rules, in arrival order, and journaled.
    Resolve,
    /// Events and views out to clients.
    Publish,
}

/// The game server: campaigns, seats, the turn pipeline and the network lifecycle.
/// Needs [`ServerSettings`] and [`Content`] resources, lightyear's `ServerPlugins`,
/// `RoomPlugin` and the shared `ProtocolPlugin`.
pub struct ServerPlugin;

impl Plugin for ServerPlugin {
    fn build(&self, app: &mut App) {
        let settings = app.world().resource::<ServerSettings>().clone();
        app.insert_resource(NetKey(settings.private_key));
        app.init_resource::<outbox::Outbox>()
            .init_resource::<ServerStats>()
            .init_resource::<Directory>()
            .init_resource::<console::ConsoleQueue>()
            .init_resource::<console::Selected>()
            .init_resource::<console::JoinBase>();
        if settings.console {
            app.insert_resource(console::spawn_stdin_reader());
        }
        app.insert_resource(narrator::Narration(settings.narrator.clone()));
        narrator::plugin(app);
        metrics::plugin(app);
        agones::plugin(app);
        app.configure_sets(
            Update,
            (
                TurnSystems::Receive,
                TurnSystems::Advance,
                TurnSystems::Resolve,
                TurnSystems::Publish,
            )
                .chain(),
        );
        app.add_systems(
            Update,
            (
                (
                    session::receive,
                    narrator::poll,
                    console::read_stdin,
                    console::run_commands,
                    reload::watch_content,
                )
                    .chain()
                    .in_set(TurnSystems::Receive),
                (turn::resolve, turn::commit)
                    .chain()
                    .in_set(TurnSystems::Resolve),
                (narrator::npc_turns, narrator::judge, turn::advance)
                    .chain()
                    .in_set(TurnSystems::Advance),
                (turn::publish, narrator::request, outbox::flush)
                    .chain()
                    .in_set(TurnSystems::Publish),
            ),
        );
        app.add_observer(session::on_session_removed);
        network::plugin(app);
        app.add_systems(
            Startup,
            (start_http, open_campaigns, reload::start_watch).chain(),
        );
        app.add_systems(Update, print_codes_once.after(TurnSystems::Publish));
    }
}

/// Resumes every stored campaign that is not archived; opens new ones if none resumed, with
/// ids no folder uses yet. An archived or damaged campaign is never touched (a damaged one is
/// reported: fix or move its files, then restart or `reopen` it).
fn open_campaigns(world: &mut World) {
    let settings = world.resource::<ServerSettings>().clone();
    if let Some(root) = &settings.data_dir {
        if let Err(e) = std::fs::create_dir_all(root) {
            error!("cannot use --data-dir {}: {e}", root.display());
        }
        let mut resumed = 0;
        for stored in journal::Journal::scan(root) {
            let meta = match stored.meta {
                Ok(meta) => meta,
                Err(e) => {
                    error!(
                        "campaign folder {}: cannot read it, left untouched: {e}",
                        stored.dir.display()
                    );
                    continue;
                }
            };
            if meta.archived {
                continue;
            }
            match journal::Journal::restore(&stored.dir) {
                Ok(restored) => {
                    resume_campaign(world, restored);
                    resumed += 1;
                }
                Err(e) => error!(
                    "cannot resume campaign {}, its files are left untouched: {e}",
                    meta.id
                ),
            }
        }
        if resumed > 0 {
            return;
        }
    }
    for _ in 0..settings.campaigns {
        let (id, n) = next_campaign_id(world);
        if let Err(e) = open_campaign(
            world,
            &id,
            &settings.encounter,
            settings.seed.wrapping_add(n),
        ) {
            error!("cannot open campaign {id}: {e}");
        }
    }
}

/// The next campaign id in use neither by an open campaign nor by a folder in `--data-dir`
/// (`table-N`), and its number N.
pub(crate) fn next_campaign_id(world: &mut World) -> (String, u64) {
    let root = world.resource::<ServerSettings>().data_dir.clone();
    // Shard i of n numbers its tables i+1, i+1+n, i+1+2n…: ids stay unique in the process.
    let (first, step) = world
        .resource::<ServerSettings>()
        .shard
        .map_or((1, 1), |p| (u64::from(p.index) + 1, p.count as usize));
    let open: std::collections::BTreeSet<String> = world
        .query::<&Campaign>()
        .iter(world)
        .map(|c| c.id.clone())
        .collect();
    let taken = |id: &str| {
        open.contains(id)
            || root
                .as_ref()
                .is_some_and(|root| root.join(id).symlink_metadata().is_ok())
    };
    (first..)
        .step_by(step)
        .map(|n| (format!("table-{n}"), n))
        .find(|(id, _)| !taken(id))
        .expect("a free number")
}

fn start_http(world: &mut World) {
    let settings = world.resource::<ServerSettings>().clone();
    let routes = vec![http::Route {
        directory: world.resource::<Directory>().clone(),
        key: world.resource::<NetKey>().0,
    }];
    let metrics = world.resource::<metrics::Metrics>().clone();
    let public = |bound: SocketAddr| {
        let host = settings
            .public_host
            .clone()
            .unwrap_or_else(|| guess_public_host(bound));
        format!("http://{host}:{}", bound.port())
    };
    if let Listen::Sockets {
        http: Some(addr), ..
    } = settings.listen
    {
        match http::spawn(
            addr,
            routes.clone(),
            None,
            settings.http.clone(),
            metrics.clone(),
        ) {
            Ok(server) => {
                let bound = server.bound;
                println!("listening: http {bound}");
                world.resource_mut::<console::JoinBase>().0 = Some(public(bound));
            }
            Err(e) => error!("{e}"),
        }
    }
    if let Some(addr) = settings.metrics {
        match http::spawn_metrics(addr, vec![metrics.clone()], settings.http.clone()) {
            Ok(bound) => println!("listening: metrics {bound}"),
            Err(e) => error!("{e}"),
        }
    }
    // The web client: join links then open the game in a browser.
    if let Some((addr, root)) = settings.web.clone() {
        if !root.join("index.html").exists() {
            warn!(
                "--web: {} has no index.html yet: build it with `cargo run -p emberkeep-tools -- web-bundle --out {}`",
                root.display(),
                root.display()
            );
        }
        match http::spawn(addr, routes, Some(root), settings.http.clone(), metrics) {
            Ok(server) => {
                let bound = server.bound;
                println!("listening: web {bound}");
                world.resource_mut::<console::JoinBase>().0 = Some(public(bound));
            }
            Err(e) => error!("{e}"),
        }
    }
}

/// The address other machines on the LAN most likely reach us at.
pub(crate) fn guess_public_host(bound: SocketAddr) -> String {
    if !bound.ip().is_unspecified() {
        return bound.ip().to_string();
    }
    // Asking the OS which interface would route outward sends no packet.
    std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| s.connect("192.0.2.1:9").map(|_| s))
        .and_then(|s| s.local_addr())
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|_| "127.0.0.1".into())
}

fn print_codes_once(world: &mut World, mut done: Local<bool>) {
    let settings = world.resource::<ServerSettings>();
    // A shard's endpoint is its supervisor's, which gives it the join base (if it has one).
    let no_endpoint = match settings.shard {
        Some(_) => world.resource::<console::JoinBase>().0.is_none(),
        None => {
            settings.web.is_none() && matches!(settings.listen, Listen::Sockets { http: None, .. })
        }
    };
    if *done || (world.resource::<console::JoinBase>().0.is_none() && !no_endpoint) {
        return;
    }
    *done = true;
    if no_endpoint {
        if world.resource::<ServerSettings>().console {
            println!("Type `help` for host commands.");
        }
        return;
    }
    let qr = world.resource::<ServerSettings>().print_qr;
    write_codes_file(world);
    let mut q = world.query::<(Entity, &Campaign)>();
    let mut campaigns: Vec<(Entity, String, Vec<String>)> = q
        .iter(world)
        .map(|(e, c)| {
            (
                e,
                c.id.clone(),
                c.seats.iter().map(|s| s.name.clone()).collect(),
            )
        })
        .collect();
    campaigns.sort_by(|a, b| a.1.cmp(&b.1));
    for (entity, _, seats) in campaigns {
        println!("{}", console::execute(world, Some(entity), "codes"));
        if qr {
            for seat in seats {
                println!(
                    "{}",
                    console::execute(world, Some(entity), &format!("qr {seat}"))
                );
            }
        }
    }
    if world.resource::<ServerSettings>().console {
        println!("Type `help` for host commands.");
    }
    if let Some(ready) = world.get_resource::<shards::Ready>() {
        ready.0.store(true, std::sync::atomic::Ordering::Release);
    }
}

/// Writes `--codes-file` (if any) with every seat's current code, readable by its owner only
/// (it opens every seat). Called at start and whenever a code changes.
pub(crate) fn write_codes_file(world: &mut World) {
    let Some(path) = world.resource::<ServerSettings>().codes_file.clone() else {
        return;
    };
    let shard = world.resource::<ServerSettings>().shard;
    let mut q = world.query::<&Campaign>();
    let mut lines: Vec<String> = q
        .iter(world)
        .flat_map(|c| {
            c.seats
                .iter()
                .filter(|s| seats::is_well_formed_code(&s.code))
                .map(move |s| format!("{} {} {}", c.id, s.name, s.code))
        })
        .collect();
    lines.sort();
    // With shards the file holds every shard's seats.
    if let (Some(place), Some(all)) = (shard, world.get_resource::<shards::AllCodes>()) {
        lines = all.update(place.index, lines);
    }
    if let Err(e) = secret_file::write_private(&path, (lines.join("\n") + "\n").as_bytes()) {
        error!("cannot write --codes-file {}: {e}", path.display());
    }
}

/// Mints a connect token for a seat directly (tests and in-process tools; players use the
/// join endpoint).
pub fn mint_seat_token(
    world: &mut World,
    campaign: &str,
    seat: &str,
    server_addr: SocketAddr,
) -> Result<Vec<u8>, String> {
    let key = world.resource::<NetKey>().0;
    let mut q = world.query::<&Campaign>();
    let c = q
        .iter(world)
        .find(|c| c.id == campaign)
        .ok_or_else(|| format!("no campaign `{campaign}`"))?;
    let s = c.seat(seat).ok_or_else(|| format!("no seat `{seat}`"))?;
    seats::mint_token(
        &key,
        server_addr,
        &SeatClaim {
            campaign: campaign.to_string(),
            seat_id: s.id,
        },
    )
}

/// Builds a complete headless server App (single-threaded, no rendering): minimal plugins at
/// the fixed tick, states, lightyear's server, rooms, the protocol and [`ServerPlugin`].
/// The content is loaded (and validated) before this is called.
pub fn server_app(settings: ServerSettings, content: ContentLibrary) -> App {
    server_app_with(settings, content, |_| {})
}

/// [`server_app`], with `before` adding resources that [`ServerPlugin`] then uses instead of
/// its own (a shard's [`Directory`] and [`metrics::Metrics`], shared with its supervisor).
pub fn server_app_with(
    settings: ServerSettings,
    content: ContentLibrary,
    before: impl FnOnce(&mut App),
) -> App {
    let tick = tick_duration(settings.tick_hz);
    let mut app = App::new();
    // No error a system or command returns is fatal (bevy's default panics); a command on a
    // link already gone is expected and quiet (see `network::on_error`).
    app.set_error_handler(network::on_error);
    app.add_plugins(MinimalPlugins.set(ScheduleRunnerPlugin::run_loop(tick)));
    app.add_plugins(StatesPlugin);
    app.add_plugins(ServerPlugins {
        tick_duration: tick,
    });
    app.add_plugins(RoomPlugin);
    app.add_plugins(ProtocolPlugin);
    app.insert_resource(settings);
    app.insert_resource(Content(content));
    before(&mut app);
    app.add_plugins(ServerPlugin);
    app
}
