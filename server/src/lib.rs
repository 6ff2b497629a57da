//! Emberkeep's dedicated table server as a library: [`ServerPlugin`] plus [`server_app`] to
//! build a complete headless App. The binary (`main.rs`) only parses the command line.
//!
//! # Tick order
//! Lightyear receives in `PreUpdate` and sends in `PostUpdate`; our pipeline runs in `Update`
//! as one chain, [`TurnSystems`]:
//! 1. `Receive` — joins bind links to seats and rooms; intents are checked against the seat and
//!    the rate limit and queued in their campaign's FIFO.
//! 2. `Resolve` — each campaign resolves its queue in arrival order with the shared rules.
//! 3. `Advance` — turn timeouts (the character Dodges) and NPC turns (built-in tactics).
//! 4. `Publish` — new events go to the campaign's links; views are mirrored into the
//!    replicated components; queued messages are handed to lightyear.
//!
//! Update this comment as the code changes.

pub mod campaign;
pub mod network;
pub mod outbox;
pub mod session;
pub mod settings;
mod turn;

use bevy::app::ScheduleRunnerPlugin;
use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use emberkeep_shared::content::ContentLibrary;
use emberkeep_shared::protocol::{ProtocolPlugin, tick_duration};
use lightyear::prelude::RoomPlugin;
use lightyear::prelude::server::ServerPlugins;

pub use campaign::{Campaign, Content, open_campaign};
pub use network::{BoundAddrs, NetServer};
pub use session::{ServerStats, Session};
pub use settings::{Cli, Listen, ServerSettings};

/// The server's turn pipeline, in order (all in `Update`).
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TurnSystems {
    /// Joins and intents from clients.
    Receive,
    /// Queued intents resolved by the rules.
    Resolve,
    /// Timeouts and NPC turns.
    Advance,
    /// Events and views out to clients.
    Publish,
}

/// The game server: campaigns, seats, the turn pipeline and the network lifecycle.
/// Needs [`ServerSettings`] and [`Content`] resources, lightyear's `ServerPlugins`,
/// `RoomPlugin` and the shared `ProtocolPlugin`.
pub struct ServerPlugin;

impl Plugin for ServerPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<outbox::Outbox>()
            .init_resource::<ServerStats>();
        app.configure_sets(
            Update,
            (
                TurnSystems::Receive,
                TurnSystems::Resolve,
                TurnSystems::Advance,
                TurnSystems::Publish,
            )
                .chain(),
        );
        app.add_systems(
            Update,
            (
                session::receive.in_set(TurnSystems::Receive),
                turn::resolve.in_set(TurnSystems::Resolve),
                turn::advance.in_set(TurnSystems::Advance),
                (turn::publish, outbox::flush)
                    .chain()
                    .in_set(TurnSystems::Publish),
            ),
        );
        app.add_observer(session::on_session_removed);
        network::plugin(app);
        app.add_systems(Startup, open_configured_campaigns);
    }
}

fn open_configured_campaigns(world: &mut World) {
    let settings = world.resource::<ServerSettings>().clone();
    for n in 1..=settings.campaigns {
        if let Err(e) = open_campaign(
            world,
            &format!("table-{n}"),
            &settings.encounter,
            settings.seed.wrapping_add(n as u64),
        ) {
            error!("cannot open campaign table-{n}: {e}");
        }
    }
}

/// Builds a complete headless server App (single-threaded, no rendering): minimal plugins at
/// the fixed tick, states, lightyear's server, rooms, the protocol and [`ServerPlugin`].
/// The content is loaded (and validated) before this is called.
pub fn server_app(settings: ServerSettings, content: ContentLibrary) -> App {
    let tick = tick_duration(settings.tick_hz);
    let mut app = App::new();
    app.add_plugins(MinimalPlugins.set(ScheduleRunnerPlugin::run_loop(tick)));
    app.add_plugins(StatesPlugin);
    app.add_plugins(ServerPlugins {
        tick_duration: tick,
    });
    app.add_plugins(RoomPlugin);
    app.add_plugins(ProtocolPlugin);
    app.insert_resource(settings);
    app.insert_resource(Content(content));
    app.add_plugins(ServerPlugin);
    app
}
