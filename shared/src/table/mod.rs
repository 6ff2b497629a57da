//! The table engine: one campaign's encounter state and the turn model, as plain data.
//!
//! The server owns one [`Table`] per campaign and feeds it intents ([`Table::submit`]) and time
//! ([`Table::tick`]); every accepted change becomes a [`SeqEvent`] with a gap-free sequence
//! number. A rejected intent returns a [`Rejection`] with a human reason and changes nothing.
//! Everything random comes from the table's seeded RNG, so the same seed and inputs replay the
//! same game.

mod action;
mod attacks;
mod casting;
mod combatant;
mod contests;
mod damage;
mod effects;
mod features;
mod host;
mod intents;
mod movement;
mod reactions;
mod spell_effects;
mod turns;
mod view;
mod weapon;
mod zones;

pub use action::{Action, FeatureUse, RejectCode, Rejection};
pub use attacks::AttackShape;
pub use casting::CastPlan;
pub use combatant::{Casting, Combatant};
pub use effects::{ActiveEffect, Ends, Lasting};
pub use reactions::{DEFAULT_REACTION_WINDOW_MS, PausedMove, PendingReaction};
pub use weapon::WEAPON_MOVE_FT;
pub use zones::ActiveZone;

use crate::content::{CombatStart, ContentLibrary};
use crate::dice::{GameRng, rng_from_seed};
use crate::event::{Audience, GameEvent, SeqEvent};
use crate::grid::{GridPos, MapGrid};
use crate::tactics::{Board, Unit};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, VecDeque};

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
    /// Spells' areas on the map while they last (Web's webs).
    #[serde(default)]
    pub zones: Vec<ActiveZone>,
    rng: GameRng,
}

/// A pregen's hit point maximum and features at `level`: its level-1 sheet plus every
/// `levels` entry up to it, a feature replacing one of the same kind (Sneak Attack 1d6 → 2d6).
fn at_level(p: &crate::content::PregenDef, level: u32) -> (i32, Vec<crate::content::Feature>) {
    let mut max_hp = p.max_hp;
    let mut features = p.features.clone();
    for l in p.levels.iter().filter(|l| l.level <= level) {
        max_hp = l.max_hp;
        for f in &l.features {
            features.retain(|k| std::mem::discriminant(k) != std::mem::discriminant(f));
            features.push(f.clone());
        }
    }
    (max_hp, features)
}

fn default_reaction_window() -> u64 {
    DEFAULT_REACTION_WINDOW_MS
}

/// Errors building a table from content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    /// No such encounter.
    #[error("unknown encounter `{0}`: expected one of {1}")]
    UnknownEncounter(String, String),
    /// The content library is inconsistent (should have been caught by validation).
    #[error("encounter `{0}` refers to missing content: {1}")]
    MissingContent(String, String),
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

    /// Sets up an encounter with the party at `level` (1 to 3) instead of the encounter's own.
    pub fn new_at_level(
        lib: &ContentLibrary,
        encounter: &str,
        seed: u64,
        turn_timeout_ms: u64,
        level: Option<u32>,
    ) -> Result<Table, TableError> {
        let enc = lib.encounters.get(encounter).ok_or_else(|| {
            TableError::UnknownEncounter(
                encounter.into(),
                lib.encounters
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        })?;
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
            let (max_hp, features) = at_level(p, level);
            combatants.push(Combatant {
                id: combatants.len() as u32 + 1,
                name: p.name.clone(),
                source: p.id.clone(),
                side: Side::Party,
                is_pc: true,
                companion: false,
                abilities: p.abilities,
                ac: p.ac,
                hp: max_hp,
                max_hp,
                speed: p.speed,
                attacks: p.attacks.clone(),
                features,
                vulnerabilities: vec![],
                resistances: p.resistances.clone(),
                immunities: vec![],
                condition_immunities: vec![],
                pos,
                conditions: BTreeSet::new(),
                death_saves: (0, 0),
                initiative: None,
                reaction_used: false,
                temperament: p.description.clone(),
                hidden: false,
                kind: "humanoid".into(),
                level,
                proficiency: p.proficiency,
                saves: p
                    .saves
                    .iter()
                    .map(|a| (*a, p.abilities.modifier(*a) + p.proficiency))
                    .collect(),
                unarmored: if p.equipment.is_empty() {
                    p.armor.is_none()
                } else {
                    !p.equipment.iter().any(|id| {
                        lib.items
                            .get(id)
                            .is_some_and(|i| matches!(i.kind, crate::items::ItemKind::Armor { .. }))
                    })
                },
                metal_armor: crate::items::wears_metal_armor(
                    p.equipment.iter().filter_map(|id| lib.items.get(id)),
                    p.armor.as_deref(),
                ),
                casting: p.spellcasting.as_ref().map(|s| {
                    let slots = s.slots.clone();
                    Casting::new(
                        s,
                        slots.unwrap_or_else(|| crate::spells::full_caster_slots(level)),
                    )
                }),
                concentrating: None,
                effects: Vec::new(),
                uses: Default::default(),
                items: Vec::new(),
                skills: Vec::new(),
            });
        }
        for f in &enc.foes {
            let c = lib
                .creatures
                .get(&f.creature)
                .ok_or_else(|| missing(&f.creature))?;
            let name = match &f.name {
                Some(n) => format!("{n} the {}", c.name.to_lowercase()),
                None => c.name.clone(),
            };
            combatants.push(Combatant {
                id: combatants.len() as u32 + 1,
                name,
                source: c.id.clone(),
                side: Side::Foe,
                is_pc: false,
                companion: false,
                abilities: c.abilities,
                ac: c.ac,
                hp: c.hp,
                max_hp: c.hp,
                speed: c.speed,
                attacks: c.attacks.clone(),
                features: c.features.clone(),
                vulnerabilities: c.vulnerabilities.clone(),
                resistances: c.resistances.clone(),
                immunities: c.immunities.clone(),
                condition_immunities: c.condition_immunities.clone(),
                pos: GridPos::new(f.at.0, f.at.1),
                conditions: BTreeSet::new(),
                death_saves: (0, 0),
                initiative: None,
                reaction_used: false,
                temperament: c.temperament.clone(),
                hidden: f.hidden,
                kind: c.kind.clone(),
                level: 0,
                // SRD 5.1: challenge 0 to 4 is +2; this game's creatures stay below 5.
                proficiency: 2,
                saves: c.saves.clone(),
                unarmored: c.armor.is_none(),
                metal_armor: crate::items::wears_metal_armor([], c.armor.as_deref()),
                // A creature's stat block prints its slots.
                casting: c
                    .spellcasting
                    .as_ref()
                    .map(|s| Casting::new(s, s.slots.clone().unwrap_or_default())),
                concentrating: None,
                effects: Vec::new(),
                uses: Default::default(),
                items: Vec::new(),
                skills: Vec::new(),
            });
        }
        // Make names unique ("Goblin", "Goblin 2") so reasons and logs are unambiguous.
        for i in 0..combatants.len() {
            let same = combatants[..i]
                .iter()
                .filter(|c| {
                    c.source == combatants[i].source && c.name.starts_with(&combatants[i].name)
                })
                .count();
            if same > 0
                && combatants[i].name
                    == lib
                        .creatures
                        .get(&combatants[i].source)
                        .map(|c| c.name.clone())
                        .unwrap_or_default()
            {
                combatants[i].name = format!("{} {}", combatants[i].name, same + 1);
            }
        }
        // Skill bonuses: a pregen's proficiencies and expertise, a creature's printed skills.
        for c in &mut combatants {
            if let Some(p) = lib.pregens.get(&c.source).filter(|_| c.is_pc) {
                c.skills = p
                    .skills
                    .iter()
                    .map(|s| {
                        let times = if p.expertise.contains(s) { 2 } else { 1 };
                        (
                            *s,
                            c.abilities.modifier(s.ability()) + times * p.proficiency,
                        )
                    })
                    .collect();
            } else if let Some(k) = lib.creatures.get(&c.source).filter(|_| !c.is_pc) {
                c.skills = k
                    .skills
                    .iter()
                    .filter_map(|(name, b)| crate::checks::Skill::from_name(name).map(|s| (s, *b)))
                    .collect();
            }
        }
        // Consumables the party carries (potions).
        for c in combatants.iter_mut().filter(|c| c.is_pc) {
            if let Some(p) = lib.pregens.get(&c.source) {
                c.items = p
                    .equipment
                    .iter()
                    .filter(|id| {
                        lib.items.get(*id).is_some_and(|i| {
                            matches!(i.kind, crate::items::ItemKind::Potion { .. })
                        })
                    })
                    .cloned()
                    .collect();
            }
        }
        let items = combatants
            .iter()
            .flat_map(|c| c.items.iter())
            .filter_map(|id| lib.items.get(id).map(|i| (id.clone(), i.clone())))
            .collect();
        // The spells anyone here can cast, kept with the table so a restored campaign casts
        // what it was started with.
        let spells = combatants
            .iter()
            .filter_map(|c| c.casting.as_ref())
            .flat_map(|c| c.spells.iter())
            .filter_map(|id| lib.spells.get(id).map(|s| (id.clone(), s.clone())))
            .collect();
        Ok(Table {
            spells,
            items,
            zones: Vec::new(),
            pending: None,
            reaction_window_ms: DEFAULT_REACTION_WINDOW_MS,
            encounter_id: enc.id.clone(),
            encounter_name: enc.name.clone(),
            map,
            combatants,
            mode: Mode::Exploration,
            combat: None,
            start: enc.start.clone(),
            resolved: false,
            turn_timeout_ms,
            next_seq: 1,
            log: VecDeque::new(),
            paused_since: None,
            rng: rng_from_seed(seed),
        })
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

    /// Records an event for an audience.
    pub fn emit_to(&mut self, now_ms: u64, audience: Audience, event: GameEvent) {
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
