//! SRD 5.1 starting equipment: the weapons (written inline as attacks, as the pregens do),
//! the packages each class chooses from, and the armor class they give.

use super::{CharacterDef, Class, races};
use crate::content::{Abilities, Ability, AttackDef, AttackKind, DamageType, FightingStyle};
use crate::items::{ItemDef, ItemKind, WeaponProperty};
use std::collections::BTreeMap;

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
    /// A ranged attack's normal and long range.
    pub range: Option<(u32, u32)>,
    /// Carried as a ranged attack (bows, crossbows, javelins); daggers and handaxes are melee
    /// attacks that may be thrown, as the pregens write them.
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

/// A weapon's attack with these scores. SRD 5.1: Strength for melee and thrown weapons,
/// Dexterity for ranged ones, the better of the two with finesse; proficiency +2 (each
/// package's weapons are ones its class is proficient with). Fighting styles are not added
/// here: the table adds Archery (+2 to hit, ranged) and Dueling (+2 damage) from the feature,
/// as with the shipped fighter.
pub fn attack(name: &str, scores: &Abilities) -> Option<AttackDef> {
    let w = WEAPONS.iter().find(|w| w.name == name)?;
    let str = scores.modifier(Ability::Str);
    let dex = scores.modifier(Ability::Dex);
    let finesse = w.properties.contains(&Finesse);
    let thrown = w.properties.contains(&Thrown);
    let m = if finesse {
        str.max(dex)
    } else if w.ranged && !thrown {
        dex
    } else {
        str
    };
    let damage = match m {
        0 => w.die.to_string(),
        m if m > 0 => format!("{}+{m}", w.die),
        m => format!("{}{m}", w.die),
    };
    Some(AttackDef {
        name: w.name.to_string(),
        kind: if w.ranged {
            AttackKind::Ranged
        } else {
            AttackKind::Melee
        },
        to_hit: 2 + m,
        reach: 5,
        range: w.range,
        damage: crate::dice::DiceExpr::parse(&damage).ok()?,
        damage_type: w.damage_type,
        on_hit: None,
        finesse,
        properties: w.properties.to_vec(),
    })
}

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

// SRD 5.1 Fighter: "(a) chain mail or (b) leather armor, longbow, and 20 arrows; (a) a martial
// weapon and a shield or (b) two martial weapons; (a) a light crossbow and 20 bolts or (b) two
// handaxes".
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

// SRD 5.1 Rogue: "(a) a rapier or (b) a shortsword; (a) a shortbow and quiver of 20 arrows or
// (b) a shortsword; ... Leather armor, two daggers, and thieves' tools".
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

// SRD 5.1 Cleric: "(a) a mace or (b) a warhammer (if proficient); (a) scale mail, (b) leather
// armor, or (c) chain mail (if proficient); (a) a light crossbow and 20 bolts or (b) any simple
// weapon; ... A shield". Life Domain: proficiency with heavy armor.
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

// SRD 5.1 Wizard: "(a) a quarterstaff or (b) a dagger".
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

/// The chosen starting equipment.
pub fn package(def: &CharacterDef) -> Option<&'static Package> {
    packages(def.class).get(def.equipment)
}

/// SRD 5.1 heavy armor's Strength: "If the Armor table shows 'Str 13' or 'Str 15' in the
/// Strength column for an armor type, the armor reduces the wearer's speed by 10 feet unless
/// the wearer has a Strength score equal to or higher than the listed score."
pub const HEAVY_ARMOR_STRENGTH: &[(&str, i32)] = &[("chain-mail", 13)];

/// Feet of speed the package's heavy armor takes away (10 if Strength is too low; dwarves
/// are not slowed: "Your speed is not reduced by wearing heavy armor").
pub fn armor_slows(def: &CharacterDef) -> u32 {
    let str = races::final_scores(def).str;
    let heavy = package(def).is_some_and(|p| {
        p.items.iter().any(|i| {
            HEAVY_ARMOR_STRENGTH
                .iter()
                .any(|(id, need)| id == i && str < *need)
        })
    });
    if heavy && def.race != super::Race::HillDwarf {
        10
    } else {
        0
    }
}

/// The armor class the starting equipment gives (SRD 5.1 "Armor and Shields": the armor's
/// base + Dexterity up to its cap, else 10 + Dexterity; a shield +2; Fighting Style
/// (Defense) +1 while wearing armor), with `items` the game's items; `None` if one is not
/// there.
pub fn armor_class(def: &CharacterDef, items: &BTreeMap<String, ItemDef>) -> Option<i32> {
    let gear = package(def)?
        .items
        .iter()
        .map(|id| items.get(*id))
        .collect::<Option<Vec<_>>>()?;
    let dex = races::final_scores(def).modifier(Ability::Dex);
    let armored = gear
        .iter()
        .any(|i| matches!(i.kind, ItemKind::Armor { .. }));
    let defense = def.fighting_style == Some(FightingStyle::Defense) && armored;
    Some(
        crate::items::armor_class(gear.iter().copied(), dex).unwrap_or(10 + dex)
            + i32::from(defense),
    )
}

/// What the armor line says ("chain mail, shield"), as the pregens write it; `None` without
/// armor or shield.
pub fn armor_line(def: &CharacterDef, items: &BTreeMap<String, ItemDef>) -> Option<String> {
    let worn: Vec<String> = package(def)?
        .items
        .iter()
        .filter_map(|id| items.get(*id))
        .filter(|i| matches!(i.kind, ItemKind::Armor { .. } | ItemKind::Shield { .. }))
        .map(|i| i.name.to_lowercase())
        .collect();
    (!worn.is_empty()).then(|| worn.join(", "))
}
