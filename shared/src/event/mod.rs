//! Events: every accepted change at a table, as plain data with a per-campaign, gap-free
//! sequence number. Clients format them; the narrator narrates them.

use crate::checks::CheckRoll;
use crate::content::{Ability, Condition, DamageType};
use crate::dice::{D20Roll, DiceRoll};
use crate::grid::GridPos;
use crate::rules::{AttackRoll, DamageAdjustment};
use crate::table::CombatantId;
use serde::{Deserialize, Serialize};

mod describe;
mod subjects;

/// Who may see an event. The server never sends an event to a client outside its audience.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Audience {
    /// Everyone at the table, spectators included.
    #[default]
    Public,
    /// The players and the host (not spectators).
    Party,
    /// These seats and the host.
    Seats(Vec<String>),
    /// The host only.
    HostOnly,
}

/// An event with its sequence number and table time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeqEvent {
    /// Per-campaign sequence number, from 1, without gaps.
    pub seq: u64,
    /// Table clock in ms when it happened.
    pub at_ms: u64,
    /// Who may see it.
    #[serde(default)]
    pub audience: Audience,
    /// What happened.
    pub event: GameEvent,
}

/// One initiative roll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitiativeEntry {
    /// Who.
    pub combatant: CombatantId,
    /// The d20.
    pub roll: u32,
    /// DEX modifier.
    pub dex: i32,
    /// d20 + DEX.
    pub total: i32,
    /// The roll used to break a tie on total and DEX.
    pub tiebreak: u32,
}

/// A resolved attack with every number the rules used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttackEvent {
    /// Who attacked.
    pub attacker: CombatantId,
    /// Whom.
    pub target: CombatantId,
    /// With what.
    pub attack: String,
    /// An opportunity attack (a reaction).
    pub opportunity: bool,
    /// The attack roll.
    pub roll: AttackRoll,
    /// Damage dice on a hit.
    pub damage: Option<DiceRoll>,
    /// Sneak Attack dice on a hit.
    pub sneak_attack: Option<DiceRoll>,
    /// Damage type.
    pub damage_type: DamageType,
    /// Resistance / vulnerability / immunity applied.
    pub adjustment: DamageAdjustment,
    /// Damage dealt after adjustment.
    pub dealt: i32,
    /// Target HP afterwards.
    pub hp_after: i32,
}

/// How a fight ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CombatOutcome {
    /// All foes are down.
    Victory,
    /// The whole party is down.
    Defeat,
    /// The host ended it.
    Stopped,
}

/// Something that happened at the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum GameEvent {
    /// A player took a seat.
    PlayerJoined {
        /// Seat name.
        seat: String,
        /// Player's name.
        player: String,
        /// Character played, if any.
        character: Option<CombatantId>,
    },
    /// A player left; the character stays.
    PlayerLeft {
        /// Seat name.
        seat: String,
        /// Player's name.
        player: String,
    },
    /// Free-form action text.
    ActionDeclared {
        /// Who.
        actor: CombatantId,
        /// What they do.
        text: String,
    },
    /// A move.
    Moved {
        /// Who.
        actor: CombatantId,
        /// From where.
        from: GridPos,
        /// Squares entered.
        path: Vec<GridPos>,
        /// Feet spent.
        feet: u32,
        /// Whether they stood up from prone first.
        stood_up: bool,
    },
    /// An attack.
    Attacked(AttackEvent),
    /// A saving throw.
    SavingThrow {
        /// Who saved.
        actor: CombatantId,
        /// Against what.
        ability: Ability,
        /// DC.
        dc: i32,
        /// The d20.
        roll: D20Roll,
        /// Modifier added.
        modifier: i32,
        /// Whether it succeeded.
        success: bool,
    },
    /// A condition took hold.
    ConditionAdded {
        /// On whom.
        target: CombatantId,
        /// Which.
        condition: Condition,
    },
    /// Took the Dodge action.
    Dodged {
        /// Who.
        actor: CombatantId,
    },
    /// Took the Dash action.
    Dashed {
        /// Who.
        actor: CombatantId,
        /// Movement now left.
        movement_left: u32,
    },
    /// Took the Disengage action.
    Disengaged {
        /// Who.
        actor: CombatantId,
    },
    /// A PC dropped to 0 HP.
    Downed {
        /// Who.
        target: CombatantId,
    },
    /// Died.
    Died {
        /// Who.
        target: CombatantId,
    },
    /// A death saving throw (or a failure from damage taken at 0 HP, `roll: None`).
    DeathSave {
        /// Who.
        actor: CombatantId,
        /// The d20, if rolled.
        roll: Option<u32>,
        /// Successes so far.
        successes: u8,
        /// Failures so far.
        failures: u8,
    },
    /// Three successes: stable at 0 HP.
    Stabilised {
        /// Who.
        actor: CombatantId,
    },
    /// Combat began; initiative order with every roll.
    CombatStarted {
        /// What started it.
        reason: String,
        /// Initiative order.
        order: Vec<InitiativeEntry>,
        /// The turn timeout players were told about.
        turn_timeout_ms: u64,
    },
    /// A new round.
    RoundStarted {
        /// Round number.
        round: u32,
    },
    /// A turn began.
    TurnStarted {
        /// Round.
        round: u32,
        /// Whose turn.
        actor: CombatantId,
        /// When a player's turn times out (table clock, ms).
        deadline_ms: Option<u64>,
    },
    /// A turn ended.
    TurnEnded {
        /// Whose.
        actor: CombatantId,
    },
    /// A player's turn ran out of time; the character takes the Dodge action.
    TurnTimedOut {
        /// Whose.
        actor: CombatantId,
    },
    /// The fight is over.
    CombatEnded {
        /// Who won.
        outcome: CombatOutcome,
    },
    /// Hidden creatures step out.
    Revealed {
        /// Who.
        combatants: Vec<CombatantId>,
    },
    /// A private message between seats (its audience is the two seats and the host).
    Whisper {
        /// Sender's seat.
        from: String,
        /// Recipient's seat.
        to: String,
        /// Text.
        text: String,
    },
    /// The host narrates.
    HostNarration {
        /// Text.
        text: String,
    },
    /// The host paused the game: no actions, no timeouts.
    Paused,
    /// The game goes on.
    Resumed,
    /// The host skipped the active combatant's turn.
    TurnSkipped {
        /// Whose.
        actor: CombatantId,
    },
    /// The host changed the turn timeout.
    TurnTimeoutChanged {
        /// New timeout in seconds.
        seconds: u64,
    },
    /// A spell is cast (its slot spent; 0 for a cantrip).
    SpellCast {
        /// The caster.
        caster: CombatantId,
        /// The spell's name.
        spell: String,
        /// The slot level used (0: a cantrip).
        slot: u8,
        /// The creatures it targets or catches.
        targets: Vec<CombatantId>,
        /// The square aimed at, for areas and teleports.
        at: Option<GridPos>,
    },
    /// A saving throw against a spell or an effect, with every part of the roll.
    Saved {
        /// Who saved.
        actor: CombatantId,
        /// Against what ("Sacred Flame", "concentration").
        against: String,
        /// The ability.
        ability: Ability,
        /// The roll (with its DC).
        roll: CheckRoll,
    },
    /// Damage from a spell or effect that made no attack roll.
    EffectDamage {
        /// Who took it.
        target: CombatantId,
        /// From what.
        source: String,
        /// The dice.
        damage: DiceRoll,
        /// Halved by a successful save.
        halved: bool,
        /// Its type.
        damage_type: DamageType,
        /// Resistance and the like.
        adjustment: DamageAdjustment,
        /// Hit points lost.
        dealt: i32,
        /// Hit points left.
        hp_after: i32,
    },
    /// Hit points regained.
    Healed {
        /// Who.
        target: CombatantId,
        /// From what.
        source: String,
        /// The dice.
        roll: DiceRoll,
        /// Hit points regained.
        healed: i32,
        /// Hit points now.
        hp_after: i32,
    },
    /// A lasting effect starts on a creature ("Blessed", "Paralyzed (Hold Person)").
    EffectStarted {
        /// On whom.
        target: CombatantId,
        /// From what spell or attack.
        source: String,
        /// What it does, in words.
        what: String,
    },
    /// A lasting effect ends.
    EffectEnded {
        /// On whom.
        target: CombatantId,
        /// From what.
        source: String,
        /// What it did, in words.
        what: String,
    },
    /// A caster stops concentrating.
    ConcentrationEnded {
        /// The caster.
        caster: CombatantId,
        /// The spell.
        spell: String,
        /// Why ("failed a concentration save", "chose to", "is incapacitated").
        reason: String,
    },
    /// The adventure: scenes, finds, loot, checks, experience (see [`crate::story`]).
    Story(crate::story::StoryEvent),
    /// A reaction is offered to a player's seat ("Shield?"), for `seconds`.
    ReactionOffered {
        /// Who may react.
        reactor: CombatantId,
        /// Who triggered it.
        attacker: CombatantId,
        /// What ("Shield", "an opportunity attack").
        offer: String,
        /// The attack roll that hit (Shield); none for an opportunity attack, where `attacker`
        /// is the creature leaving the reactor's reach.
        #[serde(default)]
        roll: Option<AttackRoll>,
        /// How long the seat has to answer.
        seconds: u64,
    },
    /// A contest of checks (shove, grapple, escape).
    Contest {
        /// Who started it.
        actor: CombatantId,
        /// Who resisted.
        target: CombatantId,
        /// What it was for ("shove", "grapple", "escape").
        what: String,
        /// The actor's check.
        actor_roll: CheckRoll,
        /// The defender's check.
        target_roll: CheckRoll,
        /// The actor won.
        won: bool,
    },
    /// A class feature or trait is used ("Second Wind").
    FeatureUsed {
        /// Who.
        actor: CombatantId,
        /// Which.
        feature: String,
    },
    /// A creature is moved without walking (pushed, teleported).
    Shifted {
        /// Who.
        target: CombatantId,
        /// Where to.
        to: GridPos,
        /// How ("pushed", "teleports").
        how: String,
    },
    /// A spectral weapon moves (Spiritual Weapon, before it strikes).
    WeaponMoved {
        /// Whose weapon.
        caster: CombatantId,
        /// The spell's name.
        weapon: String,
        /// Its new square.
        to: GridPos,
    },
    /// A spell's area stays on the map (Web's webs).
    ZoneStarted {
        /// The caster.
        caster: CombatantId,
        /// The spell's name.
        source: String,
        /// Its squares.
        squares: Vec<GridPos>,
    },
    /// A spell's lasting area is gone.
    ZoneEnded {
        /// The caster.
        caster: CombatantId,
        /// The spell's name.
        source: String,
    },
    /// An ability check against a DC (breaking free of webs).
    AbilityCheck {
        /// Who.
        actor: CombatantId,
        /// What for ("break free of Web").
        what: String,
        /// The ability.
        ability: Ability,
        /// The roll (with its DC).
        roll: CheckRoll,
    },
    /// A finished narration of what the rules decided (plain text). While it was written it
    /// streamed to clients as chunks; only the finished text is kept.
    Narration {
        /// The id its chunks carried (per campaign and server run).
        id: u64,
        /// The text.
        text: String,
        /// Who wrote it: `builtin`, `openai`, `anthropic`, or `fallback` when the model failed.
        source: String,
    },
}

impl GameEvent {
    /// A dotted name for logs and counters (`turn.started`, `combat.ended`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            GameEvent::PlayerJoined { .. } => "player.joined",
            GameEvent::PlayerLeft { .. } => "player.left",
            GameEvent::ActionDeclared { .. } => "turn.declared",
            GameEvent::Moved { .. } => "turn.moved",
            GameEvent::Attacked(_) => "turn.attacked",
            GameEvent::SavingThrow { .. } => "turn.saving_throw",
            GameEvent::ConditionAdded { .. } => "condition.added",
            GameEvent::Dodged { .. } => "turn.dodged",
            GameEvent::Dashed { .. } => "turn.dashed",
            GameEvent::Disengaged { .. } => "turn.disengaged",
            GameEvent::Downed { .. } => "combatant.downed",
            GameEvent::Died { .. } => "combatant.died",
            GameEvent::DeathSave { .. } => "combatant.death_save",
            GameEvent::Stabilised { .. } => "combatant.stabilised",
            GameEvent::CombatStarted { .. } => "combat.started",
            GameEvent::RoundStarted { .. } => "combat.round",
            GameEvent::TurnStarted { .. } => "turn.started",
            GameEvent::TurnEnded { .. } => "turn.ended",
            GameEvent::TurnTimedOut { .. } => "turn.timed_out",
            GameEvent::CombatEnded { .. } => "combat.ended",
            GameEvent::Revealed { .. } => "combatant.revealed",
            GameEvent::Whisper { .. } => "chat.whisper",
            GameEvent::HostNarration { .. } => "host.narration",
            GameEvent::Paused => "host.paused",
            GameEvent::Resumed => "host.resumed",
            GameEvent::TurnSkipped { .. } => "host.turn_skipped",
            GameEvent::TurnTimeoutChanged { .. } => "host.turn_timeout",
            GameEvent::Narration { .. } => "turn.narration",
            GameEvent::SpellCast { .. } => "turn.spell",
            GameEvent::Saved { .. } => "turn.save",
            GameEvent::EffectDamage { .. } => "turn.effect_damage",
            GameEvent::Healed { .. } => "turn.healed",
            GameEvent::EffectStarted { .. } => "effect.started",
            GameEvent::EffectEnded { .. } => "effect.ended",
            GameEvent::ConcentrationEnded { .. } => "effect.concentration_ended",
            GameEvent::Shifted { .. } => "turn.shifted",
            GameEvent::FeatureUsed { .. } => "turn.feature",
            GameEvent::Contest { .. } => "turn.contest",
            GameEvent::ReactionOffered { .. } => "turn.reaction_offered",
            GameEvent::Story(s) => s.kind(),
            GameEvent::WeaponMoved { .. } => "effect.weapon_moved",
            GameEvent::ZoneStarted { .. } => "effect.zone_started",
            GameEvent::ZoneEnded { .. } => "effect.zone_ended",
            GameEvent::AbilityCheck { .. } => "turn.check",
        }
    }
}
