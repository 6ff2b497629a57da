//! `emberkeep-tools bot`: a headless player.

use bevy::log::LogPlugin;
use bevy::prelude::*;
use emberkeep_client::autoplay::AutoPlayPlugin;
use emberkeep_client::net::{JoinRequest, Mirror, Reconnect, Status, TableSession, client_app};
use emberkeep_shared::prelude::*;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The server's join endpoint, host:port (its HTTP port).
    #[arg(long, default_value = "127.0.0.1:5890")]
    server: String,
    /// The seat's join code, as the server printed it.
    #[arg(long, required_unless_present = "codes_file")]
    code: Option<String>,
    /// Read the code from a server's --codes-file instead (with --seat).
    #[arg(long, requires = "seat")]
    codes_file: Option<PathBuf>,
    /// Seat to look up in --codes-file: fighter, rogue, cleric, wizard, host or spectator.
    #[arg(long)]
    seat: Option<String>,
    /// Campaign to look up in --codes-file.
    #[arg(long, default_value = "table-1")]
    campaign: String,
    /// Player name.
    #[arg(long, default_value = "bot")]
    name: String,
    /// Connect over WebSocket instead of UDP.
    #[arg(long)]
    websocket: bool,
    /// Keep running after the fight ends (or the adventure).
    #[arg(long)]
    stay: bool,
    /// Milliseconds between exploring steps (walk, search, open, take an exit).
    #[arg(long, default_value_t = 1000)]
    pace: u64,
}

#[derive(Resource)]
struct BotConfig {
    stay: bool,
    printed: usize,
    printed_rejections: usize,
    done: bool,
}

fn code_from_file(path: &PathBuf, campaign: &str, seat: &str) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    text.lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            Some((parts.next()?, parts.next()?, parts.next()?))
        })
        .find(|(c, s, _)| *c == campaign && *s == seat)
        .map(|(_, _, code)| code.to_string())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no code for seat `{seat}` of {campaign} in {}",
                path.display()
            )
        })
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let code = match (&args.code, &args.codes_file, &args.seat) {
        (Some(code), _, _) => code.clone(),
        (None, Some(file), Some(seat)) => code_from_file(file, &args.campaign, seat)?,
        _ => anyhow::bail!("give --code, or --codes-file with --seat"),
    };
    let mut app = client_app(
        Duration::from_secs_f64(1.0 / 30.0),
        JoinRequest {
            name: args.name.clone(),
        },
    );
    app.add_plugins(LogPlugin {
        level: bevy::log::Level::WARN,
        ..default()
    });
    app.add_plugins(AutoPlayPlugin);
    app.world_mut()
        .resource_mut::<emberkeep_client::autoplay::AutoPlay>()
        .explore_every_ms = args.pace;
    app.insert_resource(BotConfig {
        stay: args.stay,
        printed: 0,
        printed_rejections: 0,
        done: false,
    });
    app.add_systems(Update, (print_events, watch));
    app.finish();
    app.cleanup();
    let plan = Reconnect::new(&args.server, &code, args.websocket);
    plan.connect_now(app.world_mut())
        .map_err(|e| anyhow::anyhow!(e))?;
    app.insert_resource(plan);
    println!("joining {} with code {code}…", args.server);
    Ok(match app.run() {
        AppExit::Success => ExitCode::SUCCESS,
        AppExit::Error(code) => ExitCode::from(code.get()),
    })
}

fn print_events(world: &mut World) {
    let mirror = Mirror::read(world);
    // Events name combatants by id: wait until the replicated sheets have arrived, so a bot
    // joining mid-fight prints "Grik attacks Brakka", not "#8 attacks #4".
    if mirror.table.is_none() || mirror.combatants.is_empty() {
        return;
    }
    world.resource_scope(|world, mut config: Mut<BotConfig>| {
        let session = world.resource::<TableSession>();
        for e in &session.events[config.printed.min(session.events.len())..] {
            let away = if session.away.contains(&e.seq) {
                " (while you were away)"
            } else {
                ""
            };
            println!(
                "#{:<4} {}{away}",
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

/// Whether the game the bot plays is over: an adventure's ending (or the party's defeat), a
/// single encounter's fight.
fn game_over(session: &TableSession, adventure: bool) -> bool {
    session.events.iter().any(|e| match &e.event {
        GameEvent::Story(emberkeep_shared::story::StoryEvent::Ended { .. }) => true,
        GameEvent::CombatEnded { outcome } => {
            !adventure || *outcome == emberkeep_shared::event::CombatOutcome::Defeat
        }
        _ => false,
    })
}

fn watch(
    mut config: ResMut<BotConfig>,
    session: Res<TableSession>,
    tables: Query<&TableView>,
    mut exit: MessageWriter<AppExit>,
) {
    if config.done {
        return;
    }
    let adventure = tables.iter().any(|t| t.scene.is_some());
    let outcome = match &session.status {
        Status::Refused(reason) => Some(Err(format!("the server refused the seat: {reason}"))),
        Status::Seated if !config.stay && game_over(&session, adventure) => Some(Ok(())),
        _ => None,
    };
    if let Some(outcome) = outcome {
        config.done = true;
        exit.write(match outcome {
            Ok(()) => AppExit::Success,
            Err(e) => {
                eprintln!("error: {e}");
                AppExit::from_code(1)
            }
        });
    }
}
