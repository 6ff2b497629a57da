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
    /// Its size (shoves and grapples reach at most one size larger; a halfling hides behind
    /// a larger creature).
    #[serde(default)]
    pub size: crate::content::Size,
    /// Darkvision range in feet (0: none): darkness within it is seen as dim light.
    #[serde(default)]
    pub darkvision_ft: u32,
    /// Creature type line ("humanoid (goblinoid)", "undead"); player characters are
    /// humanoids.
    #[serde(default)]
    pub kind: String,
    /// Character level (creatures: 0); cantrips scale with it.
    #[serde(default)]
    pub level: u32,
    /// Proficiency bonus.
    #[serde(default)]
    pub proficiency: i32,
    /// Saving throw bonuses where they are not the bare modifier (proficient saves, printed
    /// saves).
    #[serde(default)]
    pub saves: Vec<(Ability, i32)>,
    /// Wears no armor (Mage Armor applies).
    #[serde(default)]
    pub unarmored: bool,
    /// Wears armor made of metal (Shocking Grasp has advantage against it): see
    /// [`crate::items::wears_metal_armor`].
    #[serde(default)]
    pub metal_armor: bool,
    /// Spells and slots, for a spellcaster.
    #[serde(default)]
    pub casting: Option<Casting>,
    /// The concentration spell it holds (its name), if any.
    #[serde(default)]
    pub concentrating: Option<String>,
    /// Lasting effects on it (buffs, timed conditions).
    #[serde(default)]
    pub effects: Vec<super::effects::ActiveEffect>,
    /// Uses of limited features spent since the last rest ("Second Wind": 1).
    #[serde(default)]
    pub uses: std::collections::BTreeMap<String, u8>,
    /// Consumable items carried (item ids; a potion each).
    #[serde(default)]
    pub items: Vec<String>,
    /// Skill bonuses where they are not the bare modifier (proficiency, expertise, printed).
    #[serde(default)]
    pub skills: Vec<(crate::checks::Skill, i32)>,
    /// A player character's experience points.
    #[serde(default)]
    pub xp: u32,
    /// What defeating it is worth (a creature's SRD experience points; 0 once counted).
    #[serde(default)]
    pub worth: u32,
    /// Gold pieces carried.
    #[serde(default)]
    pub gold: u32,
    /// Hit Dice left to spend on short rests.
    #[serde(default)]
    pub hit_dice_left: u32,
    /// The size of its Hit Dice (d10 for a fighter: 10).
    #[serde(default)]
    pub hit_die: u32,
    /// A player character's class as its sheet writes it ("Wizard", "Cleric (Life Domain)");
    /// empty for creatures.
    #[serde(default)]
    pub class: String,
    /// Spells of 1st level or higher it may still learn (a wizard's two a level, a cleric's
    /// one more prepared), chosen by its player after levelling up.
    #[serde(default)]
    pub spell_picks: u8,
    /// The spells its sheet for this level would take (the suggestions for its picks).
    #[serde(default)]
    pub spell_suggestions: Vec<String>,
    /// Armor and shield worn (item ids).
    #[serde(default)]
    pub worn: Vec<String>,
    /// The portrait shown (a token id, `art/tokens/<id>.png`); `None`: the one of `source`.
    #[serde(default)]
    pub portrait: Option<String>,
    /// What a creature carries, left on its square when it dies.
    #[serde(default)]
    pub loot: Vec<crate::items::Loot>,
}

/// A spellcaster's spells and slots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Casting {
    /// The spellcasting ability.
    pub ability: Ability,
    /// Spell ids it can cast.
    pub spells: Vec<String>,
    /// Slots per spell level from 1st.
    pub slots: Vec<u8>,
    /// Slots spent per level.
    pub used: Vec<u8>,
}

impl Casting {
    /// A caster's magic with `slots` per level, none spent.
    pub fn new(spellcasting: &crate::spells::Spellcasting, slots: Vec<u8>) -> Self {
        Casting {
            ability: spellcasting.ability,
            spells: spellcasting.spells.clone(),
            used: vec![0; slots.len()],
            slots,
        }
    }

    /// Slots left at a level (1-based).
    pub fn slots_left(&self, level: u8) -> u8 {
        let i = usize::from(level.max(1) - 1);
        self.slots
            .get(i)
            .copied()
            .unwrap_or(0)
            .saturating_sub(self.used.get(i).copied().unwrap_or(0))
    }
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

    /// Can't take actions or reactions (SRD 5.1 Incapacitated, and the conditions that
    /// include it: Paralyzed, Unconscious — here also magical sleep).
    pub fn incapacitated(&self) -> bool {
        !self.is_conscious()
            || [
                Condition::Incapacitated,
                Condition::Paralyzed,
                Condition::Asleep,
                Condition::Unconscious,
            ]
            .iter()
            .any(|c| self.conditions.contains(c))
    }

    /// Attack rolls against it have advantage and a hit from within 5 ft is critical:
    /// unconscious (0 HP or magical sleep) or paralyzed.
    pub fn helpless(&self) -> bool {
        !self.is_conscious() || self.has(Condition::Paralyzed) || self.has(Condition::Asleep)
    }

    /// Whether it has a feature of this kind.
    pub fn has_feature(&self, f: &Feature) -> bool {
        self.features
            .iter()
            .any(|k| std::mem::discriminant(k) == std::mem::discriminant(f))
    }

    /// An undead or a construct (healing spells do not work on them).
    pub fn is_living(&self) -> bool {
        !(self.kind.starts_with("undead") || self.kind.starts_with("construct"))
    }

    /// Its bonus with a skill (before bonus dice).
    pub fn skill_bonus(&self, skill: crate::checks::Skill) -> i32 {
        self.skills
            .iter()
            .find(|(s, _)| *s == skill)
            .map_or_else(|| self.modifier(skill.ability()), |(_, b)| *b)
    }

    /// Its saving throw bonus with an ability (before bonus dice).
    pub fn save_bonus(&self, ability: Ability) -> i32 {
        self.saves
            .iter()
            .find(|(a, _)| *a == ability)
            .map_or_else(|| self.modifier(ability), |(_, b)| *b)
    }
}
