//! The table engine: one campaign's encounter state and the turn model, as plain data.
//!
//! The server owns one [`Table`] per campaign and feeds it intents ([`Table::submit`]) and time
//! ([`Table::tick`]); every accepted change becomes a [`SeqEvent`] with a gap-free sequence
//! number. A rejected intent returns a [`Rejection`] with a human reason and changes nothing.
//! Everything random comes from the table's seeded RNG, so the same seed and inputs replay the
//! same game.

mod action;
mod attacks;
mod build;
mod casting;
mod characters;
mod combatant;
mod contests;
mod damage;
mod effects;
mod features;
mod hiding;
mod host;
mod intents;
mod interact;
mod inventory;
mod judging;
pub mod learning;
mod movement;
mod reactions;
mod recap;
mod reload;
mod rest;
mod scenes;
mod spell_effects;
mod turns;
mod view;
mod weapon;
mod zones;

pub use action::{Action, FeatureUse, RejectCode, Rejection};
pub use attacks::AttackShape;
pub use casting::CastPlan;
pub use characters::Brought;
pub use combatant::{Casting, Combatant};
pub use effects::{ActiveEffect, Ends, Lasting};
pub use hiding::HIDDEN;
pub use interact::Approach;
pub use judging::Judging;
pub use reactions::{DEFAULT_REACTION_WINDOW_MS, PausedMove, PendingReaction};
pub use reload::Refreshed;
pub use rest::{RestVote, XP_FOR_LEVEL, level_for};
pub use scenes::{AdventureState, PointView, SceneState};
pub use weapon::WEAPON_MOVE_FT;
pub use zones::ActiveZone;

use crate::content::{CombatStart, ContentLibrary};
use crate::dice::{GameRng, rng_from_seed};
use crate::event::{Audience, GameEvent, SeqEvent};
use crate::grid::MapGrid;
use crate::tactics::{Board, Unit};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// A combatant's id, stable within its campaign.
pub type CombatantId = u32;

/// Which side a combatant fights on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Side {
    /// The player characters.
    Party,
    /// Their enemies.
    Foe,
    /// Bystanders.
    Neutral,
}

impl Side {
    /// Whether two sides fight each other.
    pub fn hostile_to(self, other: Side) -> bool {
        matches!(
            (self, other),
            (Side::Party, Side::Foe) | (Side::Foe, Side::Party)
        )
    }
}

/// Exploration or combat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Mode {
    /// Anyone may act; actions resolve one at a time in arrival order.
    #[default]
    Exploration,
    /// Initiative order; only the active combatant acts.
    Combat,
}

/// What the active combatant has left this turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TurnBudget {
    /// Feet of movement left.
    pub movement_left: u32,
    /// Whether the action is spent.
    pub action_used: bool,
    /// Whether Disengage is in effect.
    pub disengaged: bool,
    /// Whether Sneak Attack was used this turn.
    pub sneak_attack_used: bool,
    /// Whether the bonus action is spent.
    #[serde(default)]
    pub bonus_action_used: bool,
    /// A spell was cast with the bonus action this turn.
    #[serde(default)]
    pub bonus_spell_cast: bool,
    /// A spell of 1st level or higher was cast with the action this turn.
    #[serde(default)]
    pub leveled_action_spell_cast: bool,
    /// A once-per-turn damage feature other than Sneak Attack was used (Martial Advantage).
    #[serde(default)]
    pub extra_damage_used: bool,
    /// Action Surge was used this turn.
    #[serde(default)]
    pub surged: bool,
}

/// Combat state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CombatState {
    /// Round number from 1.
    pub round: u32,
    /// Initiative order.
    pub order: Vec<CombatantId>,
    /// Index of the active combatant in `order`.
    pub active: usize,
    /// When the active player's turn times out (table clock, ms). None for NPCs.
    pub deadline_ms: Option<u64>,
    /// The active combatant's budget.
    pub budget: TurnBudget,
}

/// Longest free-form action text.
pub const MAX_DECLARE_CHARS: usize = 500;

/// How long a companion's turn stays on screen before the companion plays it (ms): long
/// enough to see whose turn it is, short enough that a fight with three companions moves.
pub const COMPANION_PACE_MS: u64 = 1_200;
/// Longest path in one move intent.
pub const MAX_PATH_STEPS: usize = 64;
/// Events kept for replay to reconnecting clients.
pub const RING_EVENTS: usize = 1000;
/// Oldest event kept for replay (ms).
pub const RING_MS: u64 = 30 * 60 * 1000;
/// Default turn timeout.
pub const DEFAULT_TURN_TIMEOUT_MS: u64 = 120_000;

/// One campaign's game.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Table {
    /// Encounter id.
    pub encounter_id: String,
    /// Encounter name.
    pub encounter_name: String,
    /// The grid.
    pub map: MapGrid,
    /// Everyone on the map, PCs first, ids from 1.
    pub combatants: Vec<Combatant>,
    /// Current mode.
    pub mode: Mode,
    /// Combat state while in combat.
    pub combat: Option<CombatState>,
    /// When combat starts.
    pub start: CombatStart,
    /// Whether the encounter's fight has been fought.
    pub resolved: bool,
    /// Turn timeout in ms.
    pub turn_timeout_ms: u64,
    /// Next sequence number.
    pub next_seq: u64,
    /// The most recent events: at most [`RING_EVENTS`], none older than [`RING_MS`]. Older
    /// ones live in the server's journal; a client that missed more gets a snapshot.
    pub log: VecDeque<SeqEvent>,
    /// Paused by the host since this table time (ms).
    pub paused_since: Option<u64>,
    /// The spells its casters know, by id.
    #[serde(default)]
    pub spells: std::collections::BTreeMap<String, crate::spells::SpellDef>,
    /// The items its creatures carry, by id.
    #[serde(default)]
    pub items: std::collections::BTreeMap<String, crate::items::ItemDef>,
    /// An attack waiting for a player's reaction.
    #[serde(default)]
    pub pending: Option<PendingReaction>,
    /// How long a player has to answer a reaction (ms).
    #[serde(default = "default_reaction_window")]
    pub reaction_window_ms: u64,
    /// The adventure the campaign runs (none: a single encounter).
    #[serde(default)]
    pub adventure: Option<Box<AdventureState>>,
    /// A rest the party is agreeing on.
    #[serde(default)]
    pub rest_vote: Option<rest::RestVote>,
    /// Seats whose player left, with the event number they left at (for "while you were
    /// away" on their return).
    #[serde(default)]
    pub away: std::collections::BTreeMap<String, u64>,
    /// A free-form action waiting for its judgment.
    #[serde(default)]
    pub judging: Option<judging::Judging>,
    /// Spells' areas on the map while they last (Web's webs).
    #[serde(default)]
    pub zones: Vec<ActiveZone>,
    /// The squares the party sees now ([`Table::update_sight`]).
    #[serde(default)]
    pub sight: crate::vision::SquareSet,
    /// The squares the party has seen in this scene (fog of war: seen before, dimmed).
    #[serde(default)]
    pub seen: crate::vision::SquareSet,
    /// What the sight was computed from (not saved: a restored table recomputes it once).
    #[serde(skip)]
    pub(crate) sight_key: u64,
    rng: GameRng,
}

fn default_reaction_window() -> u64 {
    DEFAULT_REACTION_WINDOW_MS
}

/// Errors building a table from content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    /// No such encounter.
    #[error("unknown adventure or encounter `{0}`: expected one of {1}")]
    UnknownEncounter(String, String),
    /// The content library is inconsistent (should have been caught by validation).
    #[error("encounter `{0}` refers to missing content: {1}")]
    MissingContent(String, String),
}

impl TableError {
    /// No adventure or encounter `id`: the error lists those there are.
    fn unknown(lib: &ContentLibrary, id: &str) -> Self {
        let known: Vec<String> = lib
            .adventures
            .keys()
            .chain(lib.encounters.keys())
            .cloned()
            .collect();
        TableError::UnknownEncounter(id.into(), known.join(", "))
    }
}

impl Table {
    /// Sets up an encounter from validated content.
    pub fn new(
        lib: &ContentLibrary,
        encounter: &str,
        seed: u64,
        turn_timeout_ms: u64,
    ) -> Result<Table, TableError> {
        Self::new_at_level(lib, encounter, seed, turn_timeout_ms, None)
    }

    /// Sets up an encounter, or an adventure from its first scene (an id in
    /// `ContentLibrary::adventures`), with the party at `level` (1 to 3) instead of its own.
    pub fn new_at_level(
        lib: &ContentLibrary,
        encounter: &str,
        seed: u64,
        turn_timeout_ms: u64,
        level: Option<u32>,
    ) -> Result<Table, TableError> {
        if lib.adventures.contains_key(encounter) {
            return Self::new_adventure(lib, encounter, seed, turn_timeout_ms, level);
        }
        let enc = lib
            .encounters
            .get(encounter)
            .ok_or_else(|| TableError::unknown(lib, encounter))?;
        let missing = |what: &str| TableError::MissingContent(enc.id.clone(), what.to_string());
        let (map, spawns) = lib.map_grid(&enc.map).ok_or_else(|| missing(&enc.map))?;
        let mut combatants = Vec::new();
        for (i, pregen_id) in enc.party.iter().enumerate() {
            let p = lib
                .pregens
                .get(pregen_id)
                .ok_or_else(|| missing(pregen_id))?;
            let pos = *spawns.get(i).ok_or_else(|| missing("party start square"))?;
            let level = level.unwrap_or(enc.level).clamp(1, 3);
            let id = combatants.len() as u32 + 1;
            combatants.push(build::pc(lib, p, level, id, pos));
        }
        for f in &enc.foes {
            let c = lib
                .creatures
                .get(&f.creature)
                .ok_or_else(|| missing(&f.creature))?;
            let id = combatants.len() as u32 + 1;
            combatants.push(build::creature(c, f, id));
        }
        build::unique_names(lib, &mut combatants);
        Ok(Table::from_parts(
            lib,
            &enc.id,
            &enc.name,
            map,
            combatants,
            enc.start.clone(),
            seed,
            turn_timeout_ms,
        ))
    }

    /// A table in exploration with these combatants on this map; the spells and items they
    /// use are copied from the library so a restored campaign plays what it was started with.
    #[allow(
        clippy::too_many_arguments,
        reason = "one argument per part of a new table"
    )]
    fn from_parts(
        lib: &ContentLibrary,
        id: &str,
        name: &str,
        map: MapGrid,
        combatants: Vec<Combatant>,
        start: CombatStart,
        seed: u64,
        turn_timeout_ms: u64,
    ) -> Table {
        let items = combatants
            .iter()
            .flat_map(|c| c.items.iter().chain(&c.worn))
            .filter_map(|id| lib.items.get(id).map(|i| (id.clone(), i.clone())))
            .collect();
        let spells = combatants
            .iter()
            .filter_map(|c| c.casting.as_ref())
            .flat_map(|c| c.spells.iter())
            .filter_map(|id| lib.spells.get(id).map(|s| (id.clone(), s.clone())))
            .collect();
        Table {
            spells,
            items,
            zones: Vec::new(),
            pending: None,
            reaction_window_ms: DEFAULT_REACTION_WINDOW_MS,
            encounter_id: id.to_string(),
            encounter_name: name.to_string(),
            map,
            combatants,
            mode: Mode::Exploration,
            combat: None,
            start,
            resolved: false,
            turn_timeout_ms,
            next_seq: 1,
            log: VecDeque::new(),
            paused_since: None,
            adventure: None,
            rest_vote: None,
            away: Default::default(),
            judging: None,
            sight: Default::default(),
            seen: Default::default(),
            sight_key: 0,
            rng: rng_from_seed(seed),
        }
    }

    /// A combatant by id.
    pub fn combatant(&self, id: CombatantId) -> Option<&Combatant> {
        self.combatants.iter().find(|c| c.id == id)
    }

    fn combatant_mut(&mut self, id: CombatantId) -> &mut Combatant {
        self.combatants
            .iter_mut()
            .find(|c| c.id == id)
            .expect("combatant ids are validated before use")
    }

    /// The PC made from a pregen id (seat name), if in this encounter.
    pub fn pc_for_pregen(&self, pregen: &str) -> Option<&Combatant> {
        self.combatants
            .iter()
            .find(|c| c.is_pc && c.source == pregen)
    }

    /// The active combatant in combat.
    pub fn active(&self) -> Option<CombatantId> {
        self.combat.as_ref().map(|c| c.order[c.active])
    }

    /// Events with `seq >= from`, or `None` if some of them already left the ring.
    pub fn events_since(&self, from: u64) -> Option<impl Iterator<Item = &SeqEvent>> {
        let first = self.log.front().map_or(self.next_seq, |e| e.seq);
        if from < first {
            return None;
        }
        let start = self.log.partition_point(|e| e.seq < from);
        Some(self.log.range(start..))
    }

    fn emit(&mut self, now_ms: u64, event: GameEvent) {
        self.emit_to(now_ms, Audience::Public, event);
    }

    /// Records an event for an audience. Fog of war (once the party's sight is computed): an
    /// event everyone or the party would hear that is only about creatures the party cannot
    /// see goes to the host alone; the start of a fight is told to the party with only the
    /// creatures it sees, and in full to the host.
    pub fn emit_to(&mut self, now_ms: u64, audience: Audience, event: GameEvent) {
        let (audience, event) =
            if self.sight.width > 0 && matches!(audience, Audience::Public | Audience::Party) {
                match event.for_party(|id| self.party_sees(id)) {
                    None => (Audience::HostOnly, event),
                    Some(told) if told != event => {
                        self.record(now_ms, Audience::HostOnly, event);
                        (audience, told)
                    }
                    Some(told) => (audience, told),
                }
            } else {
                (audience, event)
            };
        self.record(now_ms, audience, event);
    }

    fn record(&mut self, now_ms: u64, audience: Audience, event: GameEvent) {
        self.log.push_back(SeqEvent {
            seq: self.next_seq,
            at_ms: now_ms,
            audience,
            event,
        });
        self.next_seq += 1;
        while self.log.len() > RING_EVENTS
            || self.log.front().is_some_and(|e| e.at_ms + RING_MS < now_ms)
        {
            self.log.pop_front();
        }
    }

    fn budget(&self) -> Option<&TurnBudget> {
        self.combat.as_ref().map(|c| &c.budget)
    }

    fn budget_mut(&mut self) -> Option<&mut TurnBudget> {
        self.combat.as_mut().map(|c| &mut c.budget)
    }

    /// A tactical summary of the table for planners (built-in tactics, bots, the NPC brain).
    /// An active combatant held in place (grappled, restrained by webs) has no movement left.
    pub fn board(&self) -> Board {
        let mut budget = self.budget().cloned().unwrap_or_default();
        if self.active().is_some_and(|a| self.speed_now(a) == 0) {
            budget.movement_left = 0;
        }
        Board {
            map: self.map.clone(),
            units: self
                .combatants
                .iter()
                .map(|c| Unit {
                    id: c.id,
                    side: c.side,
                    pos: c.pos,
                    hp: c.hp,
                    dead: c.is_dead(),
                    speed: c.speed,
                    attacks: c.attacks.clone(),
                })
                .collect(),
            movement_left: budget.movement_left,
            action_used: budget.action_used,
        }
    }

    /// Turn budget of the active combatant.
    pub fn turn_budget(&self) -> Option<&TurnBudget> {
        self.budget()
    }
}
