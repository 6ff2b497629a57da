//! The network protocol: every type that crosses the wire, and the one [`ProtocolPlugin`] both
//! sides add. Messages are named by direction ([`ToServer`], [`ToClient`]).
//!
//! What replicates (server → the clients seated at that campaign, through its lightyear room):
//! - [`TableView`] (with the spells' areas that last, such as Web's) and [`BattleMap`] on the
//!   campaign's entity;
//! - [`CombatantSheet`] (what does not change) and [`CombatantStatus`] (what does) on one
//!   entity per combatant.
//!
//! Events, acknowledgements and rejections travel as [`ToClient`] messages on the ordered,
//! reliable [`ControlChannel`], sent only to the links seated at that campaign.

use crate::content::{AttackDef, Condition};
use crate::event::SeqEvent;
use crate::grid::{GridPos, MapGrid};
use crate::table::{Action, Combatant, CombatantId, Mode, RejectCode, Side, Table, TurnBudget};
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
/// Default HTTP port (join codes → connect tokens; later the web client).
pub const DEFAULT_HTTP_PORT: u16 = 5890;

/// What a connect token carries for the server: the campaign and the seat's current id. A
/// revoked or re-issued seat gets a new id, so older tokens no longer bind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatClaim {
    /// Campaign id.
    pub campaign: String,
    /// Seat id.
    pub seat_id: u64,
}

impl SeatClaim {
    /// Packs the claim into netcode's 256 bytes of user data.
    pub fn to_user_data(&self) -> [u8; 256] {
        let mut data = [0u8; 256];
        data[..8].copy_from_slice(&self.seat_id.to_le_bytes());
        let name = self.campaign.as_bytes();
        let n = name.len().min(247);
        data[8] = n as u8;
        data[9..9 + n].copy_from_slice(&name[..n]);
        data
    }

    /// Reads a claim back.
    pub fn from_user_data(data: &[u8; 256]) -> Option<SeatClaim> {
        let seat_id = u64::from_le_bytes(data[..8].try_into().ok()?);
        let n = data[8] as usize;
        let campaign = std::str::from_utf8(data.get(9..9 + n)?).ok()?.to_string();
        Some(SeatClaim { campaign, seat_id })
    }
}

/// The answer of the server's join endpoint (`GET /api/join?code=...`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinTicket {
    /// The netcode connect token, base64.
    pub token: String,
    /// Campaign id.
    pub campaign: String,
    /// Seat name.
    pub seat: String,
    /// UDP port for native clients.
    pub udp_port: Option<u16>,
    /// WebSocket port for web clients.
    pub ws_port: Option<u16>,
}

/// Text from a client made safe to show and store: control characters (terminal escape
/// sequences among them), bidirectional overrides and other invisible format characters are
/// dropped; line breaks become spaces. The server applies it to every name and text it takes
/// from the network before anything prints, journals or broadcasts it.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c == '\n' || c == '\r' || c == '\t' {
                ' '
            } else {
                c
            }
        })
        .filter(|&c| {
            !c.is_control()
                && !matches!(c,
                    '\u{200B}'..='\u{200F}'
                    | '\u{202A}'..='\u{202E}'
                    | '\u{2060}'..='\u{206F}'
                    | '\u{FEFF}'
                    | '\u{FFF9}'..='\u{FFFB}')
        })
        .collect()
}

/// The tick duration for a tick rate.
pub fn tick_duration(hz: f64) -> Duration {
    Duration::from_secs_f64(1.0 / hz)
}

/// Ordered, reliable channel for intents, acknowledgements and events.
pub struct ControlChannel;

/// Ordered, reliable channel for narration chunks, so a long narration never delays state.
pub struct NarrationChannel;

/// Client → server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ToServer {
    /// First message after connecting. The seat comes from the connect token (minted for a
    /// join code); this says who is sitting there and what the client already has.
    Hello {
        /// Player's name.
        name: String,
        /// [`PROTOCOL_VERSION`].
        version: u32,
        /// The last event sequence number this client holds (on reconnect).
        last_seen: Option<u64>,
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
    /// A private message to another seat (the host sees whispers too).
    Whisper {
        /// Recipient seat.
        to: String,
        /// Text.
        text: String,
    },
    /// A host console command (host seats only), e.g. `pause`, `skip`, `narrate ...`.
    Host {
        /// The command line.
        command: String,
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

/// How a (re)joining client catches up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Replay {
    /// A new seat: the state arrives by replication, events from now on.
    Fresh,
    /// Every event since `last_seen` that this seat may see follows, then live events.
    Events,
    /// `last_seen` is older than the server keeps: the replicated state is the snapshot;
    /// the event log starts again here.
    Snapshot,
}

/// Server → client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ToClient {
    /// The seat is yours.
    Welcome {
        /// Campaign id.
        campaign: String,
        /// Seat name.
        seat: String,
        /// Role.
        role: Role,
        /// The character this seat plays.
        character: Option<CombatantId>,
        /// Turn timeout in ms.
        turn_timeout_ms: u64,
        /// How the client catches up.
        replay: Replay,
        /// The `prev` of the next event this client will receive.
        prev: u64,
        /// How many replayed events follow ("while you were away").
        replayed: u32,
    },
    /// The seat was refused or taken away (bad version, revoked code, a newer login, kicked).
    Refused {
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
    /// Something happened at the table. `prev` is the sequence number of the previous event
    /// sent to this client, so it can tell a gap from events it may not see.
    Event {
        /// The event.
        event: SeqEvent,
        /// The previous event this client was sent (0 for none).
        prev: u64,
    },
    /// The answer to a host command.
    HostReply {
        /// Text.
        text: String,
    },
    /// A piece of a narration being written (on [`NarrationChannel`]). Chunks of one `id`
    /// arrive in order; the finished text follows as a `Narration` event.
    NarrationChunk {
        /// Narration id (per campaign).
        id: u64,
        /// The next piece of text.
        text: String,
    },
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
    /// Active combatant's movement left.
    pub movement_left: u32,
    /// Whether its action is spent.
    pub action_used: bool,
    /// Whether the encounter's fight is over.
    pub resolved: bool,
    /// The active combatant's whole turn budget (bonus action, spells cast).
    pub budget: TurnBudget,
    /// A reaction the table waits for.
    pub reaction: Option<ReactionView>,
    /// The adventure's current scene: (id, name); none for a single encounter.
    pub scene: Option<(String, String)>,
    /// The points of interest and exits the party knows here.
    pub points: Vec<crate::table::PointView>,
    /// The adventure is over.
    pub ended: bool,
    /// Nothing has happened yet: a player may still bring their own character.
    #[serde(default)]
    pub fresh: bool,
    /// Long rests the party took in this adventure (after each, ways tried may be tried again).
    #[serde(default)]
    pub day: u32,
    /// A rest being agreed on: (long, who agreed).
    pub rest_vote: Option<(bool, Vec<CombatantId>)>,
    /// The scene lets the party rest.
    pub may_rest: bool,
    /// Spells' areas on the map while they last (Web's webs): drawn on the map, and their
    /// difficult squares costed by the client's preview as by the server.
    #[serde(default)]
    pub zones: Vec<crate::table::ActiveZone>,
    /// Fog of war: the squares the party sees now.
    #[serde(default)]
    pub sight: crate::vision::SquareSet,
    /// Fog of war: the squares the party has seen in this scene.
    #[serde(default)]
    pub seen: crate::vision::SquareSet,
}

impl TableView {
    /// The view of a table (its clocks are [`TableClock`]).
    pub fn of(campaign: &str, table: &Table) -> Self {
        let combat = table.combat.as_ref();
        TableView {
            campaign: campaign.to_string(),
            encounter: table.encounter_name.clone(),
            mode: table.mode,
            round: combat.map_or(0, |c| c.round),
            // Only the creatures the party sees (the host's console lists them all).
            order: combat
                .map(|c| {
                    c.order
                        .iter()
                        .copied()
                        .filter(|id| table.party_sees(*id))
                        .collect()
                })
                .unwrap_or_default(),
            active: table.active(),
            movement_left: combat.map_or(0, |c| c.budget.movement_left),
            action_used: combat.is_some_and(|c| c.budget.action_used),
            resolved: table.resolved,
            budget: combat.map(|c| c.budget.clone()).unwrap_or_default(),
            zones: table.zones.clone(),
            sight: table.sight.clone(),
            seen: table.seen.clone(),
            reaction: table.pending.as_ref().map(|p| {
                let name = |id| {
                    table
                        .combatant(id)
                        .map(|c| c.name.clone())
                        .unwrap_or_default()
                };
                let (question, answer) = match &p.moving {
                    Some(m) => (
                        format!(
                            "{} leaves your reach! Make an opportunity attack?",
                            name(m.mover)
                        ),
                        "Strike".to_string(),
                    ),
                    None => (
                        format!("You are hit! Cast {} as a reaction?", p.offer),
                        format!("Cast {}", p.offer),
                    ),
                };
                ReactionView {
                    reactor: p.reactor,
                    question,
                    answer,
                }
            }),
            scene: table
                .scene()
                .map(|s| (s.def.id.clone(), s.def.name.clone())),
            points: table.known_points(),
            ended: table.adventure.as_ref().is_some_and(|a| a.ended),
            fresh: table.before_the_story(),
            day: table.adventure.as_ref().map_or(0, |a| a.days),
            rest_vote: table.rest_vote.as_ref().map(|v| (v.long, v.agreed.clone())),
            may_rest: table.scene().is_some_and(|_| table.check_rest().is_ok()),
        }
    }
}

/// A reaction the table waits for, as the asked seat sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactionView {
    /// Who may react.
    pub reactor: CombatantId,
    /// The question ("Goblin leaves your reach! Make an opportunity attack?"); the seconds
    /// left to answer are [`TableClock::reaction`].
    pub question: String,
    /// The button that takes it ("Strike", "Cast Shield").
    pub answer: String,
}

/// The table's clocks by the whole second, on the campaign entity beside [`TableView`]: they
/// change every second of a turn, and apart from the view a ticking clock replicates these
/// few bytes instead of the whole view (and the server does not rebuild the view for it).
#[derive(Component, Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableClock {
    /// Whole seconds left in the active player's turn (none without a turn clock).
    pub turn: Option<u32>,
    /// Whole seconds left to answer the reaction the table waits for.
    pub reaction: Option<u32>,
}

impl TableClock {
    /// The clocks of `table` at `now_ms`.
    pub fn of(table: &Table, now_ms: u64) -> Self {
        let secs = |deadline: u64| (deadline.saturating_sub(now_ms)).div_ceil(1000) as u32;
        TableClock {
            turn: table.combat.as_ref().and_then(|c| c.deadline_ms).map(secs),
            reaction: table.pending.as_ref().map(|p| secs(p.deadline_ms)),
        }
    }
}

/// The spells the table's casters know, on the campaign entity (sent once).
#[derive(Component, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spellbook {
    /// Campaign id.
    pub campaign: String,
    /// Spells by id.
    pub spells: std::collections::BTreeMap<String, crate::spells::SpellDef>,
    /// Items the table's creatures carry, by id.
    #[serde(default)]
    pub items: std::collections::BTreeMap<String, crate::items::ItemDef>,
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
    /// The token's portrait id (`art/tokens/<id>.png`): its own, else the source's.
    #[serde(default)]
    pub portrait: String,
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
            portrait: c.portrait.clone().unwrap_or_else(|| c.source.clone()),
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
    /// Played by a companion (the table) while no player does.
    pub companion: bool,
    /// Everything the rules know about it (spells and slots, effects, concentration), so a
    /// client previews with the server's own rules ([`crate::table::Table::from_view`]).
    pub rules: Combatant,
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
            companion: c.companion,
            rules: Combatant {
                // How it fights is the narrator's business, not the players'.
                temperament: String::new(),
                ..c.clone()
            },
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
        app.add_channel::<NarrationChannel>(ChannelSettings {
            mode: ChannelMode::OrderedReliable(ReliableSettings::default()),
            priority: 0.5,
            ..default()
        })
        .add_direction(NetworkDirection::ServerToClient);
        app.register_message::<ToServer>()
            .add_direction(NetworkDirection::ClientToServer);
        app.register_message::<ToClient>()
            .add_direction(NetworkDirection::ServerToClient);
        app.component::<TableView>().replicate();
        app.component::<TableClock>().replicate();
        app.component::<BattleMap>().replicate();
        app.component::<CombatantSheet>().replicate();
        app.component::<CombatantStatus>().replicate();
        app.component::<Spellbook>().replicate();
    }
}

#[cfg(test)]
mod printable_tests {
    use super::printable;

    #[test]
    fn escapes_and_invisible_characters_are_dropped() {
        assert_eq!(
            printable("Ada\u{1b}[2J\u{1b}]0;pwned\u{7}"),
            "Ada[2J]0;pwned"
        );
        assert_eq!(printable("a\u{202E}b\u{200B}c\u{0}"), "abc");
        assert_eq!(printable("two\nlines"), "two lines");
        assert_eq!(printable("Brakka the Bold ✓"), "Brakka the Bold ✓");
    }
}
