//! `emberkeep-tools bot`: a headless player.

use bevy::log::LogPlugin;
use bevy::prelude::*;
use emberkeep_client::autoplay::AutoPlayPlugin;
use emberkeep_client::net::{
    JoinRequest, Mirror, Status, TableSession, Transport, client_app, connect,
};
use emberkeep_shared::prelude::*;
use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Server address, host:port (the UDP port; with --websocket the WebSocket port).
    #[arg(long, default_value = "127.0.0.1:5888")]
    server: String,
    /// Seat to take: fighter, rogue, cleric, wizard or spectator.
    #[arg(long)]
    seat: String,
    /// Campaign id (default: the server's first).
    #[arg(long)]
    campaign: Option<String>,
    /// Player name.
    #[arg(long)]
    name: Option<String>,
    /// Connect over WebSocket instead of UDP.
    #[arg(long)]
    websocket: bool,
    /// Keep running after the fight ends.
    #[arg(long)]
    stay: bool,
    /// Seconds to wait for a seat before giving up.
    #[arg(long, default_value_t = 15)]
    connect_timeout: u64,
}

#[derive(Resource)]
struct BotConfig {
    stay: bool,
    connect_timeout: Duration,
    printed: usize,
    printed_rejections: usize,
    outcome: Option<Result<(), String>>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let addr: SocketAddr = args
        .server
        .to_socket_addrs()
        .map_err(|e| anyhow::anyhow!("cannot resolve --server {}: {e}", args.server))?
        .next()
        .ok_or_else(|| anyhow::anyhow!("--server {} resolves to no address", args.server))?;
    let request = JoinRequest {
        campaign: args.campaign.clone(),
        seat: args.seat.clone(),
        name: args
            .name
            .clone()
            .unwrap_or_else(|| format!("{}-bot", args.seat)),
    };
    let mut app = client_app(Duration::from_secs_f64(1.0 / 30.0), request);
    app.add_plugins(LogPlugin {
        level: bevy::log::Level::WARN,
        ..default()
    });
    app.add_plugins(AutoPlayPlugin);
    app.insert_resource(BotConfig {
        stay: args.stay,
        connect_timeout: Duration::from_secs(args.connect_timeout),
        printed: 0,
        printed_rejections: 0,
        outcome: None,
    });
    app.add_systems(Update, (print_events, watch));
    app.finish();
    app.cleanup();
    let transport = if args.websocket {
        Transport::WebSocket(addr)
    } else {
        Transport::Udp(addr)
    };
    connect(
        app.world_mut(),
        transport,
        rand::random(),
        emberkeep_shared::protocol::DEV_PRIVATE_KEY,
    )
    .map_err(|e| anyhow::anyhow!(e))?;
    println!("connecting to {addr} for seat `{}`…", args.seat);
    Ok(match app.run() {
        AppExit::Success => ExitCode::SUCCESS,
        AppExit::Error(code) => ExitCode::from(code.get()),
    })
}

fn print_events(world: &mut World) {
    let mirror = Mirror::read(world);
    world.resource_scope(|world, mut config: Mut<BotConfig>| {
        let session = world.resource::<TableSession>();
        for e in &session.events[config.printed..] {
            println!(
                "#{:<4} {}",
                e.seq,
                e.event.describe(&|id| mirror.name_of(id))
            );
        }
        config.printed = session.events.len();
        for (_, code, reason) in &session.rejected[config.printed_rejections..] {
            println!("      rejected ({code:?}): {reason}");
        }
        config.printed_rejections = session.rejected.len();
    });
}

fn watch(
    mut config: ResMut<BotConfig>,
    session: Res<TableSession>,
    time: Res<Time<Real>>,
    mut exit: MessageWriter<AppExit>,
) {
    if config.outcome.is_some() {
        return;
    }
    let outcome = match &session.status {
        Status::Refused(reason) => Some(Err(format!("the server refused the seat: {reason}"))),
        Status::Disconnected(reason) => Some(Err(format!("disconnected: {reason}"))),
        Status::Connecting | Status::Joining if time.elapsed() > config.connect_timeout => {
            Some(Err(format!(
                "no seat after {} s: is the server running and reachable?",
                config.connect_timeout.as_secs()
            )))
        }
        Status::Seated
            if !config.stay
                && session
                    .events
                    .iter()
                    .any(|e| matches!(e.event, GameEvent::CombatEnded { .. })) =>
        {
            Some(Ok(()))
        }
        _ => None,
    };
    if let Some(outcome) = outcome {
        exit.write(match &outcome {
            Ok(()) => AppExit::Success,
            Err(e) => {
                eprintln!("error: {e}");
                AppExit::from_code(1)
            }
        });
        config.outcome = Some(outcome);
    }
}
