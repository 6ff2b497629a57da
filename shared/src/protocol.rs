//! The network protocol: every type that crosses the wire, and the one [`ProtocolPlugin`] both
//! sides add. Messages are named by direction ([`ToServer`], [`ToClient`]).
//!
//! What replicates (server → the clients seated at that campaign, through its lightyear room):
//! - [`TableView`] and [`BattleMap`] on the campaign's entity;
//! - [`CombatantSheet`] (what does not change) and [`CombatantStatus`] (what does) on one
//!   entity per combatant.
//!
//! Events, acknowledgements and rejections travel as [`ToClient`] messages on the ordered,
//! reliable [`ControlChannel`], sent only to the links seated at that campaign.

use crate::content::{AttackDef, Condition};
use crate::event::SeqEvent;
use crate::grid::{GridPos, MapGrid};
use crate::table::{Action, Combatant, CombatantId, Mode, RejectCode, Side, Table};
use bevy::prelude::*;
use lightyear::prelude::*;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Netcode protocol id ("EMBRKEEP" + version); a client of another version cannot connect.
pub const PROTOCOL_ID: u64 = 0x454d_4252_4b45_0001;
/// Protocol version sent in [`ToServer::Join`].
pub const PROTOCOL_VERSION: u32 = 1;
/// Default UDP port.
pub const DEFAULT_UDP_PORT: u16 = 5888;
/// Default WebSocket port.
pub const DEFAULT_WS_PORT: u16 = 5889;
/// Default tick rate.
pub const DEFAULT_TICK_HZ: f64 = 30.0;
/// Development key shared by server and clients until join codes (a later issue) mint real
/// connect tokens. Never all zeros; never use it on an untrusted network.
pub const DEV_PRIVATE_KEY: [u8; 32] = *b"emberkeep-dev-key-not-for-public";

/// The tick duration for a tick rate.
pub fn tick_duration(hz: f64) -> Duration {
    Duration::from_secs_f64(1.0 / hz)
}

/// Ordered, reliable channel for intents, acknowledgements and events.
pub struct ControlChannel;

/// Client → server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ToServer {
    /// Take a seat at a campaign.
    Join {
        /// Campaign id; `None` picks the first campaign.
        campaign: Option<String>,
        /// Seat: a pregen id (`fighter`), `host` or `spectator`.
        seat: String,
        /// Player's name.
        name: String,
        /// [`PROTOCOL_VERSION`].
        version: u32,
    },
    /// Try an action with a character.
    Act {
        /// The character acting (must be the seat's own).
        character: CombatantId,
        /// What it does.
        action: Action,
        /// Echoed back in the acknowledgement.
        client_seq: u32,
    },
}

/// A seat's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// Runs the table.
    Host,
    /// Plays a character.
    Player,
    /// Watches (a TV display, a guest).
    Spectator,
}

/// Server → client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ToClient {
    /// The seat was granted.
    Welcome {
        /// Campaign id.
        campaign: String,
        /// Seat name.
        seat: String,
        /// Role.
        role: Role,
        /// The character this seat plays.
        character: Option<CombatantId>,
        /// The sequence number of the next event.
        next_seq: u64,
        /// Turn timeout in ms.
        turn_timeout_ms: u64,
    },
    /// The seat was refused.
    JoinRefused {
        /// Why.
        reason: String,
    },
    /// An intent was accepted and resolved.
    Accepted {
        /// The intent's `client_seq`.
        client_seq: u32,
    },
    /// An intent was rejected; nothing changed.
    Rejected {
        /// The intent's `client_seq`.
        client_seq: u32,
        /// Kind.
        code: RejectCode,
        /// Human reason.
        reason: String,
    },
    /// Something happened at the table.
    Event(SeqEvent),
}

/// Table-wide state, on the campaign entity.
#[derive(Component, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableView {
    /// Campaign id.
    pub campaign: String,
    /// Encounter name.
    pub encounter: String,
    /// Mode.
    pub mode: Mode,
    /// Round (0 outside combat).
    pub round: u32,
    /// Initiative order.
    pub order: Vec<CombatantId>,
    /// Active combatant.
    pub active: Option<CombatantId>,
    /// Whole seconds left in a player's turn.
    pub seconds_left: Option<u32>,
    /// Active combatant's movement left.
    pub movement_left: u32,
    /// Whether its action is spent.
    pub action_used: bool,
    /// Whether the encounter's fight is over.
    pub resolved: bool,
}

impl TableView {
    /// The view of a table at `now_ms`.
    pub fn of(campaign: &str, table: &Table, now_ms: u64) -> Self {
        let combat = table.combat.as_ref();
        TableView {
            campaign: campaign.to_string(),
            encounter: table.encounter_name.clone(),
            mode: table.mode,
            round: combat.map_or(0, |c| c.round),
            order: combat.map(|c| c.order.clone()).unwrap_or_default(),
            active: table.active(),
            seconds_left: combat
                .and_then(|c| c.deadline_ms)
                .map(|d| (d.saturating_sub(now_ms)).div_ceil(1000) as u32),
            movement_left: combat.map_or(0, |c| c.budget.movement_left),
            action_used: combat.is_some_and(|c| c.budget.action_used),
            resolved: table.resolved,
        }
    }
}

/// The map, on the campaign entity.
#[derive(Component, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BattleMap {
    /// Campaign id.
    pub campaign: String,
    /// The grid.
    pub grid: MapGrid,
}

/// What does not change about a combatant.
#[derive(Component, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CombatantSheet {
    /// Campaign id.
    pub campaign: String,
    /// Id.
    pub id: CombatantId,
    /// Name.
    pub name: String,
    /// Pregen or creature id.
    pub source: String,
    /// Side.
    pub side: Side,
    /// Player character.
    pub is_pc: bool,
    /// Armor class.
    pub ac: i32,
    /// Max HP.
    pub max_hp: i32,
    /// Speed.
    pub speed: u32,
    /// Attacks.
    pub attacks: Vec<AttackDef>,
}

impl CombatantSheet {
    /// The sheet of a combatant.
    pub fn of(campaign: &str, c: &Combatant) -> Self {
        CombatantSheet {
            campaign: campaign.to_string(),
            id: c.id,
            name: c.name.clone(),
            source: c.source.clone(),
            side: c.side,
            is_pc: c.is_pc,
            ac: c.ac,
            max_hp: c.max_hp,
            speed: c.speed,
            attacks: c.attacks.clone(),
        }
    }
}

/// What changes about a combatant.
#[derive(Component, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CombatantStatus {
    /// HP.
    pub hp: i32,
    /// Square.
    pub pos: GridPos,
    /// Conditions.
    pub conditions: Vec<Condition>,
    /// Initiative total.
    pub initiative: Option<i32>,
    /// Death save successes/failures.
    pub death_saves: (u8, u8),
    /// Name of the player in the seat, if seated.
    pub player: Option<String>,
    /// Whether that player is connected.
    pub connected: bool,
}

impl CombatantStatus {
    /// The status of a combatant.
    pub fn of(c: &Combatant, player: Option<(String, bool)>) -> Self {
        CombatantStatus {
            hp: c.hp,
            pos: c.pos,
            conditions: c.conditions.iter().copied().collect(),
            initiative: c.initiative,
            death_saves: c.death_saves,
            connected: player.as_ref().is_some_and(|p| p.1),
            player: player.map(|p| p.0),
        }
    }
}

/// Registers the channels, messages and replicated components. Add it on both sides, after
/// lightyear's client/server plugins and before spawning any link.
pub struct ProtocolPlugin;

impl Plugin for ProtocolPlugin {
    fn build(&self, app: &mut App) {
        app.add_channel::<ControlChannel>(ChannelSettings {
            mode: ChannelMode::OrderedReliable(ReliableSettings::default()),
            ..default()
        })
        .add_direction(NetworkDirection::Bidirectional);
        app.register_message::<ToServer>()
            .add_direction(NetworkDirection::ClientToServer);
        app.register_message::<ToClient>()
            .add_direction(NetworkDirection::ServerToClient);
        app.component::<TableView>().replicate();
        app.component::<BattleMap>().replicate();
        app.component::<CombatantSheet>().replicate();
        app.component::<CombatantStatus>().replicate();
    }
}
