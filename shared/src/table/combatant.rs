//! One creature or character on the map ([`Combatant`]) and its state queries.

use super::{CombatantId, Side};
use crate::content::{Abilities, Ability, AttackDef, Condition, DamageType, Feature};
use crate::grid::GridPos;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

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

    pub(super) fn has(&self, c: Condition) -> bool {
        self.conditions.contains(&c)
    }
}
