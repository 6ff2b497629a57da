//! The table engine: one campaign's encounter state and the turn model, as plain data.
//!
//! The server owns one [`Table`] per campaign and feeds it intents ([`Table::submit`]) and time
//! ([`Table::tick`]); every accepted change becomes a [`SeqEvent`] with a gap-free sequence
//! number. A rejected intent returns a [`Rejection`] with a human reason and changes nothing.
//! Everything random comes from the table's seeded RNG, so the same seed and inputs replay the
//! same game.

use crate::content::{
    Abilities, Ability, AttackDef, AttackKind, CombatStart, Condition, ContentLibrary, DamageType,
    Feature, OnHit,
};
use crate::dice::{Advantage, DiceRoll, GameRng, rng_from_seed, roll_d20};
use crate::event::{AttackEvent, Audience, CombatOutcome, GameEvent, InitiativeEntry, SeqEvent};
use crate::grid::{GridPos, MapGrid};
use crate::rules::{self, DamageAdjustment, DeathSaveOutcome};
use crate::tactics::{self, Board, Unit};
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

/// Something a character tries to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// Move along a path of adjacent squares (the start square excluded).
    Move {
        /// The squares entered, in order.
        path: Vec<GridPos>,
    },
    /// Attack a creature with one of the character's attacks (by index).
    Attack {
        /// The target.
        target: CombatantId,
        /// Index into the attacker's attacks.
        attack: usize,
    },
    /// Attacks against you have disadvantage until your next turn.
    Dodge,
    /// Gain extra movement equal to your speed.
    Dash,
    /// Your movement provokes no opportunity attacks this turn.
    Disengage,
    /// End your turn.
    EndTurn,
    /// Free-form action text ("I search the cart for tracks").
    Declare {
        /// What the character does.
        text: String,
    },
}

impl Action {
    /// A short name for logs and counters.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Move { .. } => "move",
            Action::Attack { .. } => "attack",
            Action::Dodge => "dodge",
            Action::Dash => "dash",
            Action::Disengage => "disengage",
            Action::EndTurn => "end turn",
            Action::Declare { .. } => "declare",
        }
    }
}

/// Why an intent was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RejectCode {
    /// Someone else is the active combatant.
    NotYourTurn,
    /// The seat may not act (spectator) or not for that character.
    NotAllowed,
    /// The sender has not joined a seat.
    NotJoined,
    /// The target or character does not exist.
    UnknownTarget,
    /// Out of reach or range, or no line of sight.
    OutOfReach,
    /// The path is blocked or not a path.
    InvalidPath,
    /// Not enough movement.
    NotEnoughMovement,
    /// The action was already used this turn.
    NoActionLeft,
    /// That makes no sense in the current mode.
    WrongMode,
    /// The character cannot act (unconscious, dead).
    Incapacitated,
    /// Too many intents.
    RateLimited,
    /// The intent itself is malformed (too long, empty).
    Malformed,
    /// The server cannot save right now (its disk is full or unwritable): nothing changed;
    /// try again shortly.
    Unavailable,
}

/// A refused intent: a code for programs and a reason for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// Machine-readable kind.
    pub code: RejectCode,
    /// Human reason, e.g. "It's not your turn — current turn: Grik the goblin".
    pub reason: String,
}

impl Rejection {
    /// Makes a rejection.
    pub fn new(code: RejectCode, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// One creature or character on the map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Combatant {
    /// Stable id within the campaign.
    pub id: CombatantId,
    /// Display name ("Grik the goblin", "Brakka").
    pub name: String,
    /// Pregen or creature id it was made from.
    pub source: String,
    /// Side.
    pub side: Side,
    /// Player character (owned by a seat) or NPC (owned by the server).
    pub is_pc: bool,
    /// A player character played by the table (the built-in tactics or the NPC brain) while
    /// no player does: it takes its turns at a readable pace instead of timing out.
    #[serde(default)]
    pub companion: bool,
    /// Ability scores.
    pub abilities: Abilities,
    /// Armor class.
    pub ac: i32,
    /// Current hit points.
    pub hp: i32,
    /// Maximum hit points.
    pub max_hp: i32,
    /// Speed in feet.
    pub speed: u32,
    /// Attacks.
    pub attacks: Vec<AttackDef>,
    /// Rule features.
    pub features: Vec<Feature>,
    /// Damage vulnerabilities.
    pub vulnerabilities: Vec<DamageType>,
    /// Damage resistances.
    pub resistances: Vec<DamageType>,
    /// Damage immunities.
    pub immunities: Vec<DamageType>,
    /// Condition immunities.
    pub condition_immunities: Vec<Condition>,
    /// Square.
    pub pos: GridPos,
    /// Current conditions.
    pub conditions: BTreeSet<Condition>,
    /// Death save successes and failures (PCs at 0 HP).
    pub death_saves: (u8, u8),
    /// Initiative total once rolled.
    pub initiative: Option<i32>,
    /// Whether its reaction is spent this round.
    pub reaction_used: bool,
    /// How it fights (for tactics and the narrator).
    pub temperament: String,
    /// Not yet noticed by the players: the server does not send it to them.
    pub hidden: bool,
}

impl Combatant {
    /// Dead (NPC at 0 HP, or a PC with three failed death saves).
    pub fn is_dead(&self) -> bool {
        self.conditions.contains(&Condition::Dead)
    }

    /// Up and able to act.
    pub fn is_conscious(&self) -> bool {
        self.hp > 0 && !self.is_dead()
    }

    /// A modifier of one ability.
    pub fn modifier(&self, ability: Ability) -> i32 {
        self.abilities.modifier(ability)
    }

    fn has(&self, c: Condition) -> bool {
        self.conditions.contains(&c)
    }
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
    rng: GameRng,
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
            combatants.push(Combatant {
                id: combatants.len() as u32 + 1,
                name: p.name.clone(),
                source: p.id.clone(),
                side: Side::Party,
                is_pc: true,
                companion: false,
                abilities: p.abilities,
                ac: p.ac,
                hp: p.max_hp,
                max_hp: p.max_hp,
                speed: p.speed,
                attacks: p.attacks.clone(),
                features: p.features.clone(),
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
        Ok(Table {
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

    /// Records that a player took a seat; an ambush starts combat with the first one.
    pub fn player_joined(
        &mut self,
        seat: &str,
        player: &str,
        character: Option<CombatantId>,
        now_ms: u64,
    ) {
        self.emit(
            now_ms,
            GameEvent::PlayerJoined {
                seat: seat.into(),
                player: player.into(),
                character,
            },
        );
        if self.start == CombatStart::Ambush
            && character.is_some()
            && self.mode == Mode::Exploration
            && !self.resolved
        {
            self.start_combat(now_ms, "Ambush!".into());
        }
    }

    /// Records that a player left (the character stays; its turns time out to Dodge).
    pub fn player_left(&mut self, seat: &str, player: &str, now_ms: u64) {
        self.emit(
            now_ms,
            GameEvent::PlayerLeft {
                seat: seat.into(),
                player: player.into(),
            },
        );
    }

    /// Validates and resolves an intent by character `actor`. On rejection nothing changes.
    pub fn submit(
        &mut self,
        actor: CombatantId,
        action: Action,
        now_ms: u64,
    ) -> Result<(), Rejection> {
        let me = self.combatant(actor).ok_or_else(|| {
            Rejection::new(
                RejectCode::UnknownTarget,
                format!("There is no character #{actor} at this table"),
            )
        })?;
        if self.paused_since.is_some() {
            return Err(Rejection::new(
                RejectCode::NotAllowed,
                "The host has paused the game",
            ));
        }
        if !me.is_conscious() {
            return Err(Rejection::new(
                RejectCode::Incapacitated,
                format!(
                    "{} is {} and cannot act",
                    me.name,
                    if me.is_dead() { "dead" } else { "unconscious" }
                ),
            ));
        }
        if let Some(active) = self.active()
            && active != actor
        {
            let name = &self
                .combatant(active)
                .map(|c| c.name.clone())
                .unwrap_or_default();
            return Err(Rejection::new(
                RejectCode::NotYourTurn,
                format!("It's not your turn — current turn: {name}"),
            ));
        }
        let result = match action {
            Action::Move { path } => self.do_move(actor, path, now_ms),
            Action::Attack { target, attack } => self.do_attack(actor, target, attack, now_ms),
            Action::Dodge | Action::Dash | Action::Disengage => {
                self.do_simple_action(actor, action, now_ms)
            }
            Action::EndTurn => {
                if self.combat.is_none() {
                    return Err(Rejection::new(
                        RejectCode::WrongMode,
                        "There are no turns to end outside combat",
                    ));
                }
                self.end_turn(now_ms);
                Ok(())
            }
            Action::Declare { text } => {
                let text = text.trim();
                if text.is_empty() || text.chars().count() > MAX_DECLARE_CHARS {
                    return Err(Rejection::new(
                        RejectCode::Malformed,
                        format!("Say what you do in 1 to {MAX_DECLARE_CHARS} characters"),
                    ));
                }
                self.emit(
                    now_ms,
                    GameEvent::ActionDeclared {
                        actor,
                        text: text.to_string(),
                    },
                );
                Ok(())
            }
        };
        // A creature that drops on its own turn (an opportunity attack while it moves) cannot
        // take the rest of it: the turn passes at once instead of waiting for the timeout.
        if result.is_ok()
            && self.combat.is_some()
            && self.active() == Some(actor)
            && !self.combatant(actor).is_some_and(|c| c.is_conscious())
        {
            self.end_turn(now_ms);
        }
        result
    }

    fn budget(&self) -> Option<&TurnBudget> {
        self.combat.as_ref().map(|c| &c.budget)
    }

    fn budget_mut(&mut self) -> Option<&mut TurnBudget> {
        self.combat.as_mut().map(|c| &mut c.budget)
    }

    fn do_simple_action(
        &mut self,
        actor: CombatantId,
        action: Action,
        now_ms: u64,
    ) -> Result<(), Rejection> {
        let Some(budget) = self.budget() else {
            return Err(Rejection::new(
                RejectCode::WrongMode,
                format!("{} only matters in combat", capitalise(action.name())),
            ));
        };
        if budget.action_used {
            return Err(Rejection::new(
                RejectCode::NoActionLeft,
                "You have already used your action this turn",
            ));
        }
        let speed = self.combatant(actor).map_or(0, |c| c.speed);
        let budget = self.budget_mut().expect("checked above");
        budget.action_used = true;
        match action {
            Action::Dodge => {
                self.combatant_mut(actor)
                    .conditions
                    .insert(Condition::Dodging);
                self.emit(now_ms, GameEvent::Dodged { actor });
            }
            Action::Dash => {
                budget.movement_left += speed;
                let movement_left = budget.movement_left;
                self.emit(
                    now_ms,
                    GameEvent::Dashed {
                        actor,
                        movement_left,
                    },
                );
            }
            _ => {
                budget.disengaged = true;
                self.emit(now_ms, GameEvent::Disengaged { actor });
            }
        }
        Ok(())
    }

    /// Whether another living creature stands on `p` (excluding `except`).
    fn occupant(&self, p: GridPos, except: CombatantId) -> Option<&Combatant> {
        self.combatants
            .iter()
            .find(|c| c.id != except && c.pos == p && !c.is_dead())
    }

    fn do_move(
        &mut self,
        actor: CombatantId,
        path: Vec<GridPos>,
        now_ms: u64,
    ) -> Result<(), Rejection> {
        let me = self.combatant(actor).expect("checked by submit").clone();
        if path.is_empty() || path.len() > MAX_PATH_STEPS {
            return Err(Rejection::new(
                RejectCode::Malformed,
                format!("A move needs 1 to {MAX_PATH_STEPS} squares"),
            ));
        }
        let stand_cost = if me.has(Condition::Prone) {
            me.speed / 2
        } else {
            0
        };
        let budget = match self.budget() {
            Some(b) => b.movement_left,
            None => me.speed,
        };
        let mut cost = stand_cost;
        let mut at = me.pos;
        // Walking into a hidden foe's square stops the move before it and springs the ambush:
        // the rules never reject a move by naming (or hinting at) a creature the mover cannot
        // see.
        let mut stumbled = false;
        let mut path = path;
        if let Some(i) = path.iter().position(|&step| {
            self.occupant(step, actor)
                .is_some_and(|o| o.hidden && o.side.hostile_to(me.side))
        }) {
            path.truncate(i);
            stumbled = true;
        }
        for &step in &path {
            let Some(c) = self.map.step_cost(at, step) else {
                let why = if !self.map.in_bounds(step) {
                    "leaves the map"
                } else if !self.map.terrain(step).passable() {
                    "runs into a wall"
                } else if !at.is_adjacent(step) {
                    "skips a square"
                } else {
                    "squeezes between wall corners"
                };
                return Err(Rejection::new(
                    RejectCode::InvalidPath,
                    format!("That path {why} at {step}"),
                ));
            };
            if let Some(other) = self.occupant(step, actor)
                && other.side.hostile_to(me.side)
                && other.is_conscious()
            {
                return Err(Rejection::new(
                    RejectCode::InvalidPath,
                    format!("You cannot move through {}", other.name),
                ));
            }
            cost += c;
            at = step;
        }
        if stumbled && path.is_empty() {
            self.start_combat(now_ms, format!("{} stumbles upon a hidden foe!", me.name));
            return Ok(());
        }
        if let Some(other) = self.occupant(at, actor) {
            return Err(Rejection::new(
                RejectCode::InvalidPath,
                format!("{} is already standing at {at}", other.name),
            ));
        }
        if cost > budget {
            return Err(Rejection::new(
                RejectCode::NotEnoughMovement,
                format!("That path costs {cost} ft; you have {budget} ft of movement left"),
            ));
        }
        // Valid: execute step by step, with opportunity attacks in combat.
        let from = me.pos;
        if stand_cost > 0 {
            self.combatant_mut(actor)
                .conditions
                .remove(&Condition::Prone);
        }
        let in_combat = self.combat.is_some();
        let disengaged = self.budget().is_some_and(|b| b.disengaged);
        let mut walked = Vec::new();
        let mut spent = stand_cost;
        let mut at = from;
        for step in path {
            if in_combat && !disengaged {
                self.opportunity_attacks(actor, at, step, now_ms);
                if !self.combatant(actor).is_some_and(|c| c.is_conscious()) {
                    break;
                }
            }
            spent += self.map.step_cost(at, step).unwrap_or(0);
            at = step;
            walked.push(step);
            self.combatant_mut(actor).pos = step;
        }
        if let Some(b) = self.budget_mut() {
            b.movement_left = b.movement_left.saturating_sub(spent);
        }
        if !walked.is_empty() {
            self.emit(
                now_ms,
                GameEvent::Moved {
                    actor,
                    from,
                    path: walked,
                    feet: spent,
                    stood_up: stand_cost > 0,
                },
            );
        }
        self.check_combat_end(now_ms);
        if !in_combat
            && !self.resolved
            && let CombatStart::Proximity(squares) = self.start
        {
            let me = self.combatant(actor).expect("exists").clone();
            if let Some(foe) = self.combatants.iter().find(|c| {
                c.side.hostile_to(me.side)
                    && c.is_conscious()
                    && c.pos.squares_to(me.pos) <= squares
            }) {
                let reason = format!("{} spots {}!", me.name, foe.name);
                self.start_combat(now_ms, reason);
            }
        }
        if stumbled && self.combat.is_none() {
            self.start_combat(now_ms, format!("{} stumbles upon a hidden foe!", me.name));
        }
        if self.combat.is_none() && me.is_pc && !me.companion {
            self.companions_follow(actor, now_ms);
        }
        Ok(())
    }

    /// Exploring, companions keep up with the party: after a player's character walks, each
    /// companion more than two squares away walks (one move, its speed) to the reachable square
    /// nearest to it, by the same rules as anyone's move — which may spring a proximity fight.
    fn companions_follow(&mut self, leader: CombatantId, now_ms: u64) {
        let Some(target) = self.combatant(leader).map(|c| c.pos) else {
            return;
        };
        let followers: Vec<CombatantId> = self
            .combatants
            .iter()
            .filter(|c| c.companion && c.is_conscious() && c.id != leader)
            .map(|c| c.id)
            .collect();
        for id in followers {
            if self.combat.is_some() {
                break;
            }
            let board = self.board();
            let Some(unit) = board.units.iter().find(|u| u.id == id) else {
                continue;
            };
            let here = unit.pos;
            if here.squares_to(target) <= 2 {
                continue;
            }
            let reach = board.reach(unit, self.combatant(id).map_or(0, |c| c.speed));
            let Some((dest, _)) = reach
                .iter()
                .filter(|(p, _)| **p != here)
                .min_by_key(|(p, cost)| (p.squares_to(target), **cost, p.x, p.y))
            else {
                continue;
            };
            if dest.squares_to(target) >= here.squares_to(target) {
                continue;
            }
            if let Some(path) = board.map.path_to(here, *dest, |p| board.blocks(unit, p)) {
                let _ = self.do_move(id, path, now_ms);
            }
        }
    }

    fn opportunity_attacks(&mut self, mover: CombatantId, from: GridPos, to: GridPos, now_ms: u64) {
        let side = self
            .combatant(mover)
            .map(|c| c.side)
            .unwrap_or(Side::Neutral);
        let threats: Vec<(CombatantId, usize)> = self
            .combatants
            .iter()
            .filter(|h| h.side.hostile_to(side) && h.is_conscious() && !h.reaction_used)
            .filter_map(|h| {
                let (i, a) = h
                    .attacks
                    .iter()
                    .enumerate()
                    .find(|(_, a)| a.kind == AttackKind::Melee)?;
                (h.pos.feet_to(from) <= a.reach && h.pos.feet_to(to) > a.reach).then_some((h.id, i))
            })
            .collect();
        for (attacker, attack) in threats {
            if !self.combatant(mover).is_some_and(|c| c.is_conscious()) {
                break;
            }
            self.combatant_mut(attacker).reaction_used = true;
            self.resolve_attack(attacker, mover, attack, true, now_ms);
        }
    }

    /// Checks whether `attacker` could use attack `index` on `target` from where it stands,
    /// returning the advantage state, or the reason why not.
    pub fn check_attack(
        &self,
        attacker: CombatantId,
        target: CombatantId,
        index: usize,
    ) -> Result<Advantage, Rejection> {
        let me = self
            .combatant(attacker)
            .ok_or_else(|| Rejection::new(RejectCode::UnknownTarget, "No such attacker"))?;
        let Some(attack) = me.attacks.get(index) else {
            return Err(Rejection::new(
                RejectCode::Malformed,
                format!("{} has no attack #{index}", me.name),
            ));
        };
        // A creature hidden from the attacker answers exactly as one that does not exist.
        let Some(them) = self
            .combatant(target)
            .filter(|t| !(t.hidden && t.side.hostile_to(me.side)))
        else {
            return Err(Rejection::new(
                RejectCode::UnknownTarget,
                format!("There is no creature #{target} here"),
            ));
        };
        if them.id == me.id {
            return Err(Rejection::new(
                RejectCode::UnknownTarget,
                "You cannot attack yourself",
            ));
        }
        if them.is_dead() {
            return Err(Rejection::new(
                RejectCode::UnknownTarget,
                format!("{} is already dead", them.name),
            ));
        }
        let distance = me.pos.feet_to(them.pos);
        let mut advantage = false;
        let mut disadvantage = false;
        match attack.kind {
            AttackKind::Melee => {
                if distance > attack.reach {
                    return Err(Rejection::new(
                        RejectCode::OutOfReach,
                        format!(
                            "{} is {distance} ft away; your {} reaches {} ft",
                            them.name, attack.name, attack.reach
                        ),
                    ));
                }
            }
            AttackKind::Ranged => {
                let (normal, long) = attack.range.unwrap_or((5, 5));
                if distance > long {
                    return Err(Rejection::new(
                        RejectCode::OutOfReach,
                        format!(
                            "{} is {distance} ft away; your {} reaches {long} ft at most",
                            them.name, attack.name
                        ),
                    ));
                }
                if distance > normal {
                    disadvantage = true;
                }
                // A ranged attack with a hostile, conscious creature beside you has disadvantage.
                if self.combatants.iter().any(|c| {
                    c.side.hostile_to(me.side) && c.is_conscious() && c.pos.is_adjacent(me.pos)
                }) {
                    disadvantage = true;
                }
            }
        }
        if !self.map.line_of_sight(me.pos, them.pos) {
            return Err(Rejection::new(
                RejectCode::OutOfReach,
                format!("You have no clear line to {}", them.name),
            ));
        }
        if them.has(Condition::Dodging) && them.is_conscious() {
            disadvantage = true;
        }
        if !them.is_conscious() {
            advantage = true;
        }
        if them.has(Condition::Prone) {
            if distance <= 5 {
                advantage = true
            } else {
                disadvantage = true
            }
        }
        if me.has(Condition::Poisoned) || me.has(Condition::Prone) {
            disadvantage = true;
        }
        if me.features.contains(&Feature::PackTactics)
            && self.combatants.iter().any(|c| {
                c.id != me.id
                    && !c.side.hostile_to(me.side)
                    && c.is_conscious()
                    && c.pos.is_adjacent(them.pos)
            })
        {
            advantage = true;
        }
        Ok(Advantage::from_sources(advantage, disadvantage))
    }

    fn do_attack(
        &mut self,
        actor: CombatantId,
        target: CombatantId,
        attack: usize,
        now_ms: u64,
    ) -> Result<(), Rejection> {
        let target_name = self.combatant(target).map(|c| c.name.clone());
        if self.combat.is_none() {
            // Any attack outside combat starts it; the attack happens on the attacker's turn.
            self.check_attack(actor, target, attack).or_else(|r| {
                if r.code == RejectCode::OutOfReach {
                    Ok(Advantage::Normal)
                } else {
                    Err(r)
                }
            })?;
            let me = self.combatant(actor).expect("checked").name.clone();
            self.start_combat(
                now_ms,
                format!("{me} attacks {}!", target_name.unwrap_or_default()),
            );
            return Ok(());
        }
        self.check_attack(actor, target, attack)?;
        if self.budget().is_some_and(|b| b.action_used) {
            return Err(Rejection::new(
                RejectCode::NoActionLeft,
                "You have already used your action this turn",
            ));
        }
        self.budget_mut().expect("in combat").action_used = true;
        self.resolve_attack(actor, target, attack, false, now_ms);
        self.check_combat_end(now_ms);
        Ok(())
    }

    /// Rolls an attack that has already been validated, applies its damage and effects.
    fn resolve_attack(
        &mut self,
        attacker: CombatantId,
        target: CombatantId,
        index: usize,
        opportunity: bool,
        now_ms: u64,
    ) {
        let advantage = if opportunity {
            // Opportunity attacks ignore range rules but still respect the target's defences.
            self.check_attack(attacker, target, index)
                .unwrap_or(Advantage::Normal)
        } else {
            self.check_attack(attacker, target, index)
                .expect("validated")
        };
        let me = self.combatant(attacker).expect("exists").clone();
        let them = self.combatant(target).expect("exists").clone();
        let attack = me.attacks[index].clone();
        let distance = me.pos.feet_to(them.pos);
        let auto_crit = !them.is_conscious() && distance <= 5;
        let roll = rules::attack_roll(&mut self.rng, attack.to_hit, them.ac, advantage, auto_crit);
        let mut damage: Option<DiceRoll> = None;
        let mut sneak: Option<DiceRoll> = None;
        let mut dealt = 0;
        let mut adjustment = DamageAdjustment::None;
        if roll.hit {
            let d = rules::roll_damage(&mut self.rng, &attack, roll.critical);
            let mut total = d.total;
            damage = Some(d);
            if let Some(dice) = me.features.iter().find_map(|f| match f {
                Feature::SneakAttack(d) => Some(d.clone()),
                _ => None,
            }) && !self.budget().is_some_and(|b| b.sneak_attack_used)
                && !opportunity
                && (attack.finesse || attack.kind == AttackKind::Ranged)
                && advantage != Advantage::Disadvantage
                && (advantage == Advantage::Advantage
                    || self.combatants.iter().any(|c| {
                        c.id != me.id
                            && c.side == me.side
                            && c.is_conscious()
                            && c.pos.is_adjacent(them.pos)
                    }))
            {
                let s = dice.roll(&mut self.rng, roll.critical);
                total += s.total;
                sneak = Some(s);
                if let Some(b) = self.budget_mut() {
                    b.sneak_attack_used = true;
                }
            }
            let (amount, adj) = rules::adjust_damage(
                total,
                attack.damage_type,
                &them.vulnerabilities,
                &them.resistances,
                &them.immunities,
            );
            dealt = amount;
            adjustment = adj;
        }
        self.emit(
            now_ms,
            GameEvent::Attacked(AttackEvent {
                attacker,
                target,
                attack: attack.name.clone(),
                opportunity,
                roll,
                damage,
                sneak_attack: sneak,
                damage_type: attack.damage_type,
                adjustment,
                dealt,
                hp_after: (them.hp - dealt).max(0),
            }),
        );
        if roll.hit {
            self.apply_damage(target, dealt, roll.critical, now_ms);
            if let Some(OnHit::KnockProne { dc, save }) = &attack.on_hit
                && self
                    .combatant(target)
                    .is_some_and(|c| c.is_conscious() && !c.has(Condition::Prone))
            {
                let modifier = them.modifier(*save);
                let (d20, saved) = rules::saving_throw(&mut self.rng, modifier, *dc);
                self.emit(
                    now_ms,
                    GameEvent::SavingThrow {
                        actor: target,
                        ability: *save,
                        dc: *dc,
                        roll: d20,
                        modifier,
                        success: saved,
                    },
                );
                if !saved {
                    self.apply_condition(target, Condition::Prone, now_ms);
                }
            }
        }
    }

    fn apply_condition(&mut self, target: CombatantId, condition: Condition, now_ms: u64) {
        let c = self.combatant_mut(target);
        if c.condition_immunities.contains(&condition) || !c.conditions.insert(condition) {
            return;
        }
        self.emit(now_ms, GameEvent::ConditionAdded { target, condition });
    }

    fn apply_damage(&mut self, target: CombatantId, amount: i32, critical: bool, now_ms: u64) {
        let c = self.combatant_mut(target);
        if amount <= 0 || c.is_dead() {
            return;
        }
        if c.hp > 0 {
            let overflow = amount - c.hp;
            c.hp = (c.hp - amount).max(0);
            if c.hp == 0 {
                if c.is_pc && overflow < c.max_hp {
                    c.death_saves = (0, 0);
                    c.conditions.remove(&Condition::Dodging);
                    c.conditions.insert(Condition::Unconscious);
                    c.conditions.insert(Condition::Prone);
                    self.emit(now_ms, GameEvent::Downed { target });
                } else {
                    self.kill(target, now_ms);
                }
            }
        } else {
            // A PC at 0 HP: each hit is a failed death save, a critical two.
            c.conditions.remove(&Condition::Stable);
            c.death_saves.1 += if critical { 2 } else { 1 };
            let (successes, failures) = c.death_saves;
            self.emit(
                now_ms,
                GameEvent::DeathSave {
                    actor: target,
                    roll: None,
                    successes,
                    failures: failures.min(3),
                },
            );
            if failures >= 3 {
                self.kill(target, now_ms);
            }
        }
    }

    fn kill(&mut self, target: CombatantId, now_ms: u64) {
        let c = self.combatant_mut(target);
        c.hp = 0;
        c.conditions.clear();
        c.conditions.insert(Condition::Dead);
        self.emit(now_ms, GameEvent::Died { target });
    }

    /// Starts combat: rolls initiative (d20 + DEX; ties by DEX, then a roll) for every living
    /// creature and begins the first turn.
    pub fn start_combat(&mut self, now_ms: u64, reason: String) {
        if self.combat.is_some() {
            return;
        }
        let mut entries = Vec::new();
        let ids: Vec<CombatantId> = self
            .combatants
            .iter()
            .filter(|c| !c.is_dead())
            .map(|c| c.id)
            .collect();
        for id in ids {
            let dex = self.combatant(id).expect("exists").modifier(Ability::Dex);
            let d20 = roll_d20(&mut self.rng, Advantage::Normal).natural;
            let tiebreak = roll_d20(&mut self.rng, Advantage::Normal).natural;
            entries.push(InitiativeEntry {
                combatant: id,
                roll: d20,
                dex,
                total: d20 as i32 + dex,
                tiebreak,
            });
        }
        entries.sort_by(|a, b| {
            b.total
                .cmp(&a.total)
                .then(b.dex.cmp(&a.dex))
                .then(b.tiebreak.cmp(&a.tiebreak))
                .then(a.combatant.cmp(&b.combatant))
        });
        for e in &entries {
            self.combatant_mut(e.combatant).initiative = Some(e.total);
        }
        let order: Vec<CombatantId> = entries.iter().map(|e| e.combatant).collect();
        let hidden: Vec<CombatantId> = self
            .combatants
            .iter()
            .filter(|c| c.hidden)
            .map(|c| c.id)
            .collect();
        if !hidden.is_empty() {
            for c in &mut self.combatants {
                c.hidden = false;
            }
            self.emit(now_ms, GameEvent::Revealed { combatants: hidden });
        }
        self.mode = Mode::Combat;
        self.combat = Some(CombatState {
            round: 1,
            order,
            active: 0,
            deadline_ms: None,
            budget: TurnBudget::default(),
        });
        self.emit(
            now_ms,
            GameEvent::CombatStarted {
                reason,
                order: entries,
                turn_timeout_ms: self.turn_timeout_ms,
            },
        );
        self.emit(now_ms, GameEvent::RoundStarted { round: 1 });
        self.begin_turn(now_ms);
    }

    fn begin_turn(&mut self, now_ms: u64) {
        let Some(combat) = &self.combat else { return };
        let id = combat.order[combat.active];
        let round = combat.round;
        let timeout = self.turn_timeout_ms;
        let c = self.combatant_mut(id);
        c.conditions.remove(&Condition::Dodging);
        c.reaction_used = false;
        let speed = c.speed;
        // A player's turn ends at its timeout; a companion's turn is played once it has been
        // on screen a moment; an NPC's at once.
        let deadline_ms = if c.companion {
            Some(now_ms.saturating_add(COMPANION_PACE_MS))
        } else {
            c.is_pc.then_some(now_ms.saturating_add(timeout))
        };
        let combat = self.combat.as_mut().expect("checked");
        combat.deadline_ms = deadline_ms;
        combat.budget = TurnBudget {
            movement_left: speed,
            ..Default::default()
        };
        self.emit(
            now_ms,
            GameEvent::TurnStarted {
                round,
                actor: id,
                deadline_ms,
            },
        );
        let c = self.combatant(id).expect("exists");
        if c.is_pc && c.hp == 0 && !c.is_dead() && !c.has(Condition::Stable) {
            self.roll_death_save(id, now_ms);
            if !self.combatant(id).is_some_and(|c| c.is_conscious()) {
                self.end_turn(now_ms);
            }
        }
    }

    fn roll_death_save(&mut self, id: CombatantId, now_ms: u64) {
        let (d, outcome) = rules::death_save(&mut self.rng);
        let c = self.combatant_mut(id);
        match outcome {
            DeathSaveOutcome::Success => c.death_saves.0 += 1,
            DeathSaveOutcome::Failure => c.death_saves.1 += 1,
            DeathSaveOutcome::CriticalFailure => c.death_saves.1 += 2,
            DeathSaveOutcome::Revived => {
                c.hp = 1;
                c.death_saves = (0, 0);
                c.conditions.remove(&Condition::Unconscious);
            }
        }
        let (successes, failures) = c.death_saves;
        self.emit(
            now_ms,
            GameEvent::DeathSave {
                actor: id,
                roll: Some(d),
                successes: successes.min(3),
                failures: failures.min(3),
            },
        );
        if failures >= 3 {
            self.kill(id, now_ms);
        } else if successes >= 3 {
            let c = self.combatant_mut(id);
            c.death_saves = (0, 0);
            c.conditions.insert(Condition::Stable);
            self.emit(now_ms, GameEvent::Stabilised { actor: id });
        }
    }

    fn end_turn(&mut self, now_ms: u64) {
        let Some(actor) = self.active() else { return };
        self.emit(now_ms, GameEvent::TurnEnded { actor });
        if self.check_combat_end(now_ms) {
            return;
        }
        // Next living combatant; the dead keep their place in the order but are skipped. Both
        // sides still have someone standing (checked above), so this finds one.
        loop {
            let combat = self.combat.as_mut().expect("checked");
            combat.active += 1;
            if combat.active >= combat.order.len() {
                combat.active = 0;
                combat.round += 1;
                let round = combat.round;
                self.emit(now_ms, GameEvent::RoundStarted { round });
            }
            let id = self.active().expect("in combat");
            if !self.combatant(id).is_some_and(|c| c.is_dead()) {
                break;
            }
        }
        self.begin_turn(now_ms);
    }

    /// Ends combat if one side is down; returns whether it ended.
    fn check_combat_end(&mut self, now_ms: u64) -> bool {
        if self.combat.is_none() {
            return false;
        }
        let foes_up = self
            .combatants
            .iter()
            .any(|c| c.side == Side::Foe && c.is_conscious());
        let party_up = self
            .combatants
            .iter()
            .any(|c| c.side == Side::Party && c.is_conscious());
        let outcome = match (party_up, foes_up) {
            (true, true) => return false,
            (true, false) => CombatOutcome::Victory,
            _ => CombatOutcome::Defeat,
        };
        self.combat = None;
        self.mode = Mode::Exploration;
        self.resolved = true;
        for c in &mut self.combatants {
            c.conditions.remove(&Condition::Dodging);
            c.reaction_used = false;
        }
        self.emit(now_ms, GameEvent::CombatEnded { outcome });
        true
    }

    /// Advances time: times out a player's turn (the character Dodges), or plays one NPC turn
    /// with the built-in tactics. Call once per server tick.
    pub fn tick(&mut self, now_ms: u64) {
        if self.paused_since.is_some() {
            return;
        }
        let Some(active) = self.active() else { return };
        let c = self.combatant(active).expect("exists");
        if c.companion {
            let due = self.combat.as_ref().and_then(|c| c.deadline_ms);
            if due.is_none_or(|d| now_ms >= d) {
                let plan = tactics::plan_turn(&self.board(), active);
                self.play_npc_turn(active, plan, now_ms);
            }
        } else if c.is_pc {
            if self
                .combat
                .as_ref()
                .and_then(|c| c.deadline_ms)
                .is_some_and(|d| now_ms >= d)
            {
                self.time_out_turn(now_ms);
            }
        } else {
            let plan = tactics::plan_turn(&self.board(), active);
            self.play_npc_turn(active, plan, now_ms);
        }
    }

    /// The NPC whose turn it is, if the table waits for one to be played (not paused).
    pub fn npc_to_play(&self) -> Option<CombatantId> {
        if self.paused_since.is_some() {
            return None;
        }
        self.active()
            .filter(|&a| self.combatant(a).is_some_and(|c| !c.is_pc || c.companion))
    }

    /// Hands a player character to a companion (`on`) or back to its seat. Safe at any time: a
    /// companion whose turn it is plays it after a moment; a character handed back mid-turn
    /// gets a player's full turn timer from now.
    pub fn set_companion(&mut self, id: CombatantId, on: bool, now_ms: u64) {
        let Some(c) = self.combatants.iter_mut().find(|c| c.id == id && c.is_pc) else {
            return;
        };
        if c.companion == on {
            return;
        }
        c.companion = on;
        if self.active() == Some(id) {
            let due = if on {
                now_ms.saturating_add(COMPANION_PACE_MS)
            } else {
                now_ms.saturating_add(self.turn_timeout_ms)
            };
            if let Some(combat) = self.combat.as_mut() {
                combat.deadline_ms = Some(due);
            }
        }
    }

    /// Like [`Table::tick`] but leaves NPC turns alone (they are played with
    /// [`Table::play_npc_turn`] from the narrator's NPC brain).
    pub fn tick_players(&mut self, now_ms: u64) {
        if self.npc_to_play().is_none() {
            self.tick(now_ms);
        }
    }

    /// Plays an NPC's turn from a list of chosen actions: each is validated like a player's
    /// intent; the first refused one (an illegal choice) falls back to the built-in tactics.
    /// The turn always ends.
    pub fn play_npc_turn(
        &mut self,
        npc: CombatantId,
        plan: Vec<Action>,
        now_ms: u64,
    ) -> Vec<Rejection> {
        let mut refused = Vec::new();
        for action in plan {
            if self.active() != Some(npc) {
                return refused;
            }
            if action == Action::EndTurn {
                break;
            }
            if let Err(r) = self.submit(npc, action, now_ms) {
                refused.push(r);
                if refused.len() == 1 && self.active() == Some(npc) {
                    let fallback = tactics::plan_turn(&self.board(), npc);
                    for a in fallback {
                        if self.active() != Some(npc) || a == Action::EndTurn {
                            break;
                        }
                        let _ = self.submit(npc, a, now_ms);
                    }
                }
                break;
            }
        }
        if self.active() == Some(npc) {
            self.end_turn(now_ms);
        }
        refused
    }

    fn time_out_turn(&mut self, now_ms: u64) {
        let Some(active) = self.active() else { return };
        self.emit(now_ms, GameEvent::TurnTimedOut { actor: active });
        if !self.budget().is_some_and(|b| b.action_used)
            && self.combatant(active).is_some_and(|c| c.is_conscious())
        {
            self.budget_mut().expect("in combat").action_used = true;
            self.combatant_mut(active)
                .conditions
                .insert(Condition::Dodging);
            self.emit(now_ms, GameEvent::Dodged { actor: active });
        }
        self.end_turn(now_ms);
    }

    /// Host: pauses the game (no intents, no timeouts, no NPC turns).
    pub fn pause(&mut self, now_ms: u64) -> Result<(), Rejection> {
        if self.paused_since.is_some() {
            return Err(Rejection::new(
                RejectCode::WrongMode,
                "The game is already paused",
            ));
        }
        self.paused_since = Some(now_ms);
        self.emit(now_ms, GameEvent::Paused);
        Ok(())
    }

    /// Host: resumes; the active player's timer gets back the paused time.
    pub fn resume(&mut self, now_ms: u64) -> Result<(), Rejection> {
        let Some(since) = self.paused_since.take() else {
            return Err(Rejection::new(
                RejectCode::WrongMode,
                "The game is not paused",
            ));
        };
        if let Some(deadline) = self.combat.as_mut().and_then(|c| c.deadline_ms.as_mut()) {
            *deadline += now_ms.saturating_sub(since);
        }
        self.emit(now_ms, GameEvent::Resumed);
        Ok(())
    }

    /// Host: ends the active combatant's turn.
    pub fn skip_turn(&mut self, now_ms: u64) -> Result<(), Rejection> {
        let Some(actor) = self.active() else {
            return Err(Rejection::new(
                RejectCode::WrongMode,
                "There is no turn to skip outside combat",
            ));
        };
        self.emit(now_ms, GameEvent::TurnSkipped { actor });
        self.end_turn(now_ms);
        Ok(())
    }

    /// Host: sets the turn timeout (applies from the next turn).
    pub fn set_turn_timeout(&mut self, seconds: u64, now_ms: u64) -> Result<(), Rejection> {
        if seconds == 0 || seconds > 24 * 3600 {
            return Err(Rejection::new(
                RejectCode::Malformed,
                "A turn timeout is 1 to 86400 seconds",
            ));
        }
        self.turn_timeout_ms = seconds * 1000;
        self.emit(now_ms, GameEvent::TurnTimeoutChanged { seconds });
        Ok(())
    }

    /// Host: ends the combat without a winner.
    pub fn end_combat(&mut self, now_ms: u64) -> Result<(), Rejection> {
        if self.combat.take().is_none() {
            return Err(Rejection::new(
                RejectCode::WrongMode,
                "There is no combat to end",
            ));
        }
        self.mode = Mode::Exploration;
        self.resolved = true;
        for c in &mut self.combatants {
            c.conditions.remove(&Condition::Dodging);
        }
        self.emit(
            now_ms,
            GameEvent::CombatEnded {
                outcome: CombatOutcome::Stopped,
            },
        );
        Ok(())
    }

    /// A tactical summary of the table for planners (built-in tactics, bots, the NPC brain).
    pub fn board(&self) -> Board {
        let budget = self.budget().cloned().unwrap_or_default();
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

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}
