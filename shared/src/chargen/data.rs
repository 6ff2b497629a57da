//! The SRD 5.1 data a character is made from: races, classes, skills, starting equipment,
//! weapons and the shipped spells each class may take.

use super::{Class, Race};
use crate::checks::Skill;
use crate::content::{Abilities, Ability, DamageType, FightingStyle};
use crate::items::WeaponProperty;

/// SRD 5.1 racial ability score increases.
pub fn racial_bonus(race: Race) -> Abilities {
    let zero = Abilities {
        str: 0,
        dex: 0,
        con: 0,
        int: 0,
        wis: 0,
        cha: 0,
    };
    match race {
        // "Your ability scores each increase by 1."
        Race::Human => Abilities {
            str: 1,
            dex: 1,
            con: 1,
            int: 1,
            wis: 1,
            cha: 1,
        },
        // Dwarf: Constitution +2; Hill Dwarf: Wisdom +1.
        Race::HillDwarf => Abilities {
            con: 2,
            wis: 1,
            ..zero
        },
        // Elf: Dexterity +2; High Elf: Intelligence +1.
        Race::HighElf => Abilities {
            dex: 2,
            int: 1,
            ..zero
        },
        // Halfling: Dexterity +2; Lightfoot: Charisma +1.
        Race::LightfootHalfling => Abilities {
            dex: 2,
            cha: 1,
            ..zero
        },
    }
}

/// Walking speed in feet (SRD 5.1: dwarves and halflings 25, humans and elves 30).
pub fn speed(race: Race) -> u32 {
    match race {
        Race::HillDwarf | Race::LightfootHalfling => 25,
        Race::Human | Race::HighElf => 30,
    }
}

/// The racial traits the table does not apply, told in the character's description.
pub fn racial_notes(race: Race) -> &'static str {
    match race {
        Race::Human => "Human: languages Common and one more.",
        Race::HillDwarf => {
            "Hill Dwarf: darkvision 60 ft; Dwarven Resilience (advantage on saves against poison); Stonecunning."
        }
        Race::HighElf => {
            "High Elf: darkvision 60 ft; Fey Ancestry (advantage against being charmed, magic cannot put you to sleep); Trance."
        }
        Race::LightfootHalfling => {
            "Lightfoot Halfling: Lucky (reroll a natural 1); Brave (advantage against being frightened); Halfling Nimbleness; Naturally Stealthy."
        }
    }
}

/// SRD 5.1 class Hit Die.
pub fn hit_die(class: Class) -> i32 {
    match class {
        Class::Fighter => 10,
        Class::Rogue | Class::Cleric => 8,
        Class::Wizard => 6,
    }
}

/// SRD 5.1 class saving throw proficiencies.
pub fn saves(class: Class) -> [Ability; 2] {
    match class {
        Class::Fighter => [Ability::Str, Ability::Con],
        Class::Rogue => [Ability::Dex, Ability::Int],
        Class::Cleric => [Ability::Wis, Ability::Cha],
        Class::Wizard => [Ability::Int, Ability::Wis],
    }
}

/// SRD 5.1 class skills: how many to choose, and from which.
pub fn class_skills(class: Class) -> (usize, &'static [Skill]) {
    use Skill::*;
    match class {
        Class::Fighter => (
            2,
            &[
                Acrobatics,
                AnimalHandling,
                Athletics,
                History,
                Insight,
                Intimidation,
                Perception,
                Survival,
            ],
        ),
        Class::Rogue => (
            4,
            &[
                Acrobatics,
                Athletics,
                Deception,
                Insight,
                Intimidation,
                Investigation,
                Perception,
                Performance,
                Persuasion,
                SleightOfHand,
                Stealth,
            ],
        ),
        Class::Cleric => (2, &[History, Insight, Medicine, Persuasion, Religion]),
        Class::Wizard => (
            2,
            &[Arcana, History, Insight, Investigation, Medicine, Religion],
        ),
    }
}

/// The fighting styles a fighter may take (those the table applies).
pub const FIGHTING_STYLES: [FightingStyle; 3] = [
    FightingStyle::Archery,
    FightingStyle::Defense,
    FightingStyle::Dueling,
];

/// An SRD 5.1 weapon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weapon {
    /// Name.
    pub name: &'static str,
    /// Damage die ("1d8").
    pub die: &'static str,
    /// Damage type.
    pub damage_type: DamageType,
    /// Properties.
    pub properties: &'static [WeaponProperty],
    /// A ranged weapon's normal and long range (thrown weapons are melee ones, but a javelin
    /// is carried for throwing).
    pub range: Option<(u32, u32)>,
    /// Used as a ranged attack (bows, crossbows, javelins).
    pub ranged: bool,
}

const fn w(
    name: &'static str,
    die: &'static str,
    damage_type: DamageType,
    properties: &'static [WeaponProperty],
    range: Option<(u32, u32)>,
    ranged: bool,
) -> Weapon {
    Weapon {
        name,
        die,
        damage_type,
        properties,
        range,
        ranged,
    }
}

use DamageType::{Bludgeoning, Piercing, Slashing};
use WeaponProperty::*;

/// SRD 5.1 "Weapons" table entries used by the starting equipment.
pub const WEAPONS: &[Weapon] = &[
    w("Longsword", "1d8", Slashing, &[Versatile], None, false),
    w(
        "Greataxe",
        "1d12",
        Slashing,
        &[Heavy, TwoHanded],
        None,
        false,
    ),
    w("Handaxe", "1d6", Slashing, &[Light, Thrown], None, false),
    w("Javelin", "1d6", Piercing, &[Thrown], Some((30, 120)), true),
    w(
        "Longbow",
        "1d8",
        Piercing,
        &[Ammunition, Heavy, TwoHanded],
        Some((150, 600)),
        true,
    ),
    w("Rapier", "1d8", Piercing, &[Finesse], None, false),
    w(
        "Shortsword",
        "1d6",
        Piercing,
        &[Finesse, Light],
        None,
        false,
    ),
    w(
        "Shortbow",
        "1d6",
        Piercing,
        &[Ammunition, TwoHanded],
        Some((80, 320)),
        true,
    ),
    w(
        "Dagger",
        "1d4",
        Piercing,
        &[Finesse, Light, Thrown],
        None,
        false,
    ),
    w("Mace", "1d6", Bludgeoning, &[], None, false),
    w(
        "Light Crossbow",
        "1d8",
        Piercing,
        &[Ammunition, Loading, TwoHanded],
        Some((80, 320)),
        true,
    ),
    w(
        "Quarterstaff",
        "1d6",
        Bludgeoning,
        &[Versatile],
        None,
        false,
    ),
];

/// A starting equipment choice: what it is called, the items (ids in `items/`) and weapons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Package {
    /// Shown name.
    pub name: &'static str,
    /// Armor, shield and potions (item ids).
    pub items: &'static [&'static str],
    /// Weapon names (from [`WEAPONS`]).
    pub weapons: &'static [&'static str],
}

const fn p(
    name: &'static str,
    items: &'static [&'static str],
    weapons: &'static [&'static str],
) -> Package {
    Package {
        name,
        items,
        weapons,
    }
}

const FIGHTER_PACKAGES: &[Package] = &[
    p(
        "Chain mail, longsword and shield, javelins",
        &["chain-mail", "shield", "potion-of-healing"],
        &["Longsword", "Javelin"],
    ),
    p(
        "Leather armor, longbow, two handaxes",
        &["leather-armor", "potion-of-healing"],
        &["Longbow", "Handaxe"],
    ),
    p(
        "Chain mail, greataxe, handaxes",
        &["chain-mail", "potion-of-healing"],
        &["Greataxe", "Handaxe"],
    ),
];

const ROGUE_PACKAGES: &[Package] = &[
    p(
        "Leather armor, rapier, shortbow",
        &["leather-armor", "potion-of-healing"],
        &["Rapier", "Shortbow"],
    ),
    p(
        "Leather armor, shortsword, daggers",
        &["leather-armor", "potion-of-healing"],
        &["Shortsword", "Dagger"],
    ),
];

const CLERIC_PACKAGES: &[Package] = &[
    p(
        "Chain mail (Life Domain), mace, shield, light crossbow",
        &["chain-mail", "shield", "potion-of-healing"],
        &["Mace", "Light Crossbow"],
    ),
    p(
        "Scale mail, mace, shield, light crossbow",
        &["scale-mail", "shield", "potion-of-healing"],
        &["Mace", "Light Crossbow"],
    ),
    p(
        "Leather armor, mace, shield, light crossbow",
        &["leather-armor", "shield", "potion-of-healing"],
        &["Mace", "Light Crossbow"],
    ),
];

const WIZARD_PACKAGES: &[Package] = &[
    p("Dagger", &["potion-of-healing"], &["Dagger"]),
    p("Quarterstaff", &["potion-of-healing"], &["Quarterstaff"]),
];

/// SRD 5.1 class starting equipment, as choices among what the shipped items offer (each
/// with a potion of healing, as the pregens carry).
pub fn packages(class: Class) -> &'static [Package] {
    match class {
        Class::Fighter => FIGHTER_PACKAGES,
        Class::Rogue => ROGUE_PACKAGES,
        Class::Cleric => CLERIC_PACKAGES,
        Class::Wizard => WIZARD_PACKAGES,
    }
}

/// The shipped spells a class may take: (cantrips, spells of 1st and 2nd level). SRD 5.1
/// spell lists: Light is on both; Hold Person is a cleric and a wizard spell.
pub fn class_spells(class: Class) -> (&'static [&'static str], &'static [&'static str]) {
    match class {
        Class::Cleric => (
            &[
                "guidance",
                "light",
                "sacred-flame",
                "spare-the-dying",
                "thaumaturgy",
            ],
            &[
                "bless",
                "cure-wounds",
                "guiding-bolt",
                "healing-word",
                "inflict-wounds",
                "sanctuary",
                "shield-of-faith",
                "aid",
                "hold-person",
                "lesser-restoration",
                "spiritual-weapon",
            ],
        ),
        Class::Wizard => (
            &[
                "fire-bolt",
                "light",
                "mage-hand",
                "ray-of-frost",
                "shocking-grasp",
            ],
            &[
                "burning-hands",
                "mage-armor",
                "magic-missile",
                "shield",
                "sleep",
                "thunderwave",
                "hold-person",
                "misty-step",
                "scorching-ray",
                "web",
            ],
        ),
        Class::Fighter | Class::Rogue => (&[], &[]),
    }
}

/// Cantrips a class knows at 1st level (SRD 5.1: cleric 3, wizard 3).
pub fn cantrips_known(class: Class) -> usize {
    match class {
        Class::Cleric | Class::Wizard => 3,
        Class::Fighter | Class::Rogue => 0,
    }
}

/// SRD 5.1 Life Domain spells, always prepared (1st level: Bless, Cure Wounds; 3rd level:
/// Lesser Restoration, Spiritual Weapon).
pub const LIFE_DOMAIN_SPELLS: [&str; 4] = [
    "bless",
    "cure-wounds",
    "lesser-restoration",
    "spiritual-weapon",
];

/// SRD 5.1 Wizard "Spellbook": six 1st-level spells at 1st level, two more each level after.
pub const SPELLBOOK_AT_FIRST: usize = 6;
/// The most a spellbook holds by 3rd level.
pub const SPELLBOOK_AT_THIRD: usize = 10;
