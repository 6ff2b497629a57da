//! What a character tries to do ([`Action`]) and why the table may refuse it ([`Rejection`]).

use super::CombatantId;
use crate::grid::GridPos;
use serde::{Deserialize, Serialize};

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
    /// Try to hide: a Dexterity (Stealth) check against the foes' passive Perception, out of
    /// their clear sight.
    Hide,
    /// End your turn.
    EndTurn,
    /// Free-form action text ("I search the cart for tracks").
    Declare {
        /// What the character does.
        text: String,
    },
    /// Cast a spell the character knows.
    Cast {
        /// The spell's id ("cure-wounds").
        spell: String,
        /// The slot level to spend (ignored for cantrips; at least the spell's level).
        slot: u8,
        /// The creatures chosen: one per dart or ray for Magic Missile and Scorching Ray (a
        /// creature may repeat), else each at most once. Empty for areas and self spells.
        targets: Vec<CombatantId>,
        /// The square aimed at: an area's point or direction, a teleport's landing.
        at: Option<GridPos>,
    },
    /// Stop concentrating on the current spell (free).
    EndConcentration,
    /// Use a class feature or a creature's trait.
    Feature(FeatureUse),
    /// Shove a creature within 5 feet with your attack: a contest of Athletics against its
    /// Athletics or Acrobatics; win and it is knocked prone (`prone`) or pushed 5 feet away.
    Shove {
        /// The creature.
        target: CombatantId,
        /// Knock it prone instead of pushing it.
        prone: bool,
    },
    /// Grapple a creature within 5 feet with your attack: win the contest and its speed is 0
    /// until it escapes or you let go.
    Grapple {
        /// The creature.
        target: CombatantId,
    },
    /// Use your action to escape a grapple (a contest against the grappler's Athletics).
    Escape,
    /// Use your action to break free of a spell's area that holds you (Web: a Strength check
    /// against the caster's spell save DC).
    BreakFree,
    /// Answer the reaction the table offers you ("Shield?").
    React {
        /// Take it.
        take: bool,
    },
    /// Use a point of interest within 5 feet (open, loot, pull, pick or force its lock, disarm
    /// a found trap) or, standing at an exit, lead the party through it.
    Interact {
        /// The point's or exit's id in the scene.
        target: String,
        /// How.
        #[serde(default)]
        approach: super::interact::Approach,
    },
    /// Look for hidden things within 30 feet (Perception and Investigation).
    Search,
    /// Propose (or agree to) a rest: it happens when every player's character agrees.
    Rest {
        /// A long rest (else short).
        long: bool,
    },
    /// Take the next level (enough experience, outside a fight), with the class's fixed
    /// hit points per level.
    LevelUp,
    /// Take the next level rolling the class's Hit Die for the hit points instead.
    LevelUpRolling,
    /// Choose the new spells a level-up granted (outside a fight); empty: take the
    /// suggestions.
    LearnSpells {
        /// Spell ids, at most as many as the picks left.
        spells: Vec<String>,
    },
    /// Put on armor or a shield carried (outside a fight).
    Equip {
        /// The item's id.
        item: String,
    },
    /// Ask for a recap of the story so far (told to your seat alone).
    Recap,
    /// Play your own character instead of the seat's (before the story begins): a character
    /// file (RON), read and checked by the server.
    BringCharacter {
        /// The file's text (at most 16 KiB).
        file: String,
    },
    /// Hand an item to a companion within 5 feet (outside a fight).
    Give {
        /// The item's id.
        item: String,
        /// Who gets it.
        to: CombatantId,
    },
    /// Put down an item carried, where you stand (free; anyone may pick it up again there).
    Drop {
        /// The item's id.
        item: String,
    },
    /// Drink a potion, or give it to a creature within 5 feet.
    UseItem {
        /// The item's id ("potion-of-healing").
        item: String,
        /// Who drinks it (None: yourself).
        target: Option<CombatantId>,
    },
}

/// The class features and traits a character uses by choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FeatureUse {
    /// Fighter: bonus action, regain 1d10 + level hit points (once per rest).
    SecondWind,
    /// Fighter: one more action this turn (once per rest).
    ActionSurge,
    /// Dash as a bonus action (Cunning Action; Aggressive).
    BonusDash,
    /// Disengage as a bonus action (Cunning Action; Nimble Escape).
    BonusDisengage,
    /// Hide as a bonus action (Cunning Action; Nimble Escape).
    BonusHide,
    /// Cleric Channel Divinity: undead within 30 ft make a Wisdom save or are turned.
    TurnUndead,
    /// Life Domain Channel Divinity: heal allies within 30 ft, 5 × cleric level in all.
    PreserveLife,
}

impl FeatureUse {
    /// Every use, for menus.
    pub const ALL: [FeatureUse; 7] = [
        FeatureUse::SecondWind,
        FeatureUse::ActionSurge,
        FeatureUse::BonusDash,
        FeatureUse::BonusDisengage,
        FeatureUse::BonusHide,
        FeatureUse::TurnUndead,
        FeatureUse::PreserveLife,
    ];

    /// Its name for people.
    pub fn label(self) -> &'static str {
        match self {
            FeatureUse::SecondWind => "Second Wind",
            FeatureUse::ActionSurge => "Action Surge",
            FeatureUse::BonusDash => "Dash (bonus action)",
            FeatureUse::BonusDisengage => "Disengage (bonus action)",
            FeatureUse::BonusHide => "Hide (bonus action)",
            FeatureUse::TurnUndead => "Turn Undead",
            FeatureUse::PreserveLife => "Preserve Life",
        }
    }
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
            Action::Hide => "hide",
            Action::EndTurn => "end turn",
            Action::Declare { .. } => "declare",
            Action::Cast { .. } => "cast",
            Action::EndConcentration => "end concentration",
            Action::Feature(_) => "feature",
            Action::UseItem { .. } => "use item",
            Action::React { .. } => "react",
            Action::Shove { .. } => "shove",
            Action::Grapple { .. } => "grapple",
            Action::Escape => "escape",
            Action::Interact { .. } => "interact",
            Action::Search => "search",
            Action::Rest { .. } => "rest",
            Action::LevelUp => "level up",
            Action::LevelUpRolling => "level up (rolling hit points)",
            Action::LearnSpells { .. } => "learn spells",
            Action::BringCharacter { .. } => "bring your own character",
            Action::Equip { .. } => "equip",
            Action::Give { .. } => "give",
            Action::Drop { .. } => "drop",
            Action::Recap => "recap",
            Action::BreakFree => "break free",
        }
    }
}

/// An id from the network as a refusal quotes it back: at most 40 characters.
pub(super) fn clip(s: &str) -> String {
    s.chars().take(40).collect()
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

impl Rejection {
    /// The action is spent this turn.
    pub fn action_spent() -> Self {
        Rejection::new(
            RejectCode::NoActionLeft,
            "You have already used your action this turn",
        )
    }

    /// The bonus action is spent this turn.
    pub fn bonus_action_spent() -> Self {
        Rejection::new(
            RejectCode::NoActionLeft,
            "You have already used your bonus action this turn",
        )
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}
