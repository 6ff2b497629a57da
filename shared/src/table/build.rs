//! Building combatants from content: a pregen at a level, a creature placed by an encounter or
//! a scene, unique names.

use super::{Casting, Combatant, CombatantId, Side};
use crate::content::{ContentLibrary, CreatureDef, Feature, Placement, PregenDef};
use crate::grid::GridPos;
use std::collections::BTreeSet;

/// A pregen's hit point maximum and features at `level`: its level-1 sheet plus every
/// `levels` entry up to it, a feature replacing one of the same kind (Sneak Attack 1d6 → 2d6).
pub(super) fn at_level(p: &PregenDef, level: u32) -> (i32, Vec<Feature>) {
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

/// A player character from its pregen at `level`, standing at `pos`.
pub(super) fn pc(
    lib: &ContentLibrary,
    p: &PregenDef,
    level: u32,
    id: CombatantId,
    pos: GridPos,
) -> Combatant {
    let (max_hp, mut features) = at_level(p, level);
    // SRD 5.1 Lightfoot Halfling: "Naturally Stealthy".
    if p.race.to_lowercase().contains("lightfoot")
        && !features.contains(&Feature::NaturallyStealthy)
    {
        features.push(Feature::NaturallyStealthy);
    }
    let skills = p
        .skills
        .iter()
        .map(|s| {
            let times = if p.expertise.contains(s) { 2 } else { 1 };
            (
                *s,
                p.abilities.modifier(s.ability()) + times * p.proficiency,
            )
        })
        .collect();
    // Consumables carried (potions).
    let items = p
        .equipment
        .iter()
        .filter(|id| {
            lib.items
                .get(*id)
                .is_some_and(|i| matches!(i.kind, crate::items::ItemKind::Potion { .. }))
        })
        .cloned()
        .collect();
    Combatant {
        id,
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
        size: race_size(&p.race),
        darkvision_ft: race_darkvision(&p.race),
        kind: "humanoid".into(),
        level,
        proficiency: p.proficiency,
        saves: p
            .saves
            .iter()
            .map(|a| (*a, p.abilities.modifier(*a) + p.proficiency))
            .collect(),
        metal_armor: crate::items::wears_metal_armor(
            p.equipment.iter().filter_map(|id| lib.items.get(id)),
            p.armor.as_deref(),
        ),
        unarmored: if p.equipment.is_empty() {
            p.armor.is_none()
        } else {
            !p.equipment.iter().any(|id| {
                lib.items
                    .get(id)
                    .is_some_and(|i| matches!(i.kind, crate::items::ItemKind::Armor { .. }))
            })
        },
        casting: p.spellcasting.as_ref().map(|s| {
            let slots = s.slots.clone();
            let mut casting = Casting::new(
                s,
                slots.unwrap_or_else(|| crate::spells::full_caster_slots(level)),
            );
            // What the levels up to this one add.
            for id in p
                .levels
                .iter()
                .filter(|l| l.level <= level)
                .flat_map(|l| l.spells.iter())
            {
                if !casting.spells.contains(id) {
                    casting.spells.push(id.clone());
                }
            }
            casting
        }),
        concentrating: None,
        effects: Vec::new(),
        uses: Default::default(),
        items,
        skills,
        xp: 0,
        worth: 0,
        gold: 0,
        hit_dice_left: level,
        hit_die: hit_die(&p.class),
        class: p.class.clone(),
        spell_picks: 0,
        spell_suggestions: Vec::new(),
        worn: p
            .equipment
            .iter()
            .filter(|id| {
                lib.items.get(*id).is_some_and(|i| {
                    matches!(
                        i.kind,
                        crate::items::ItemKind::Armor { .. }
                            | crate::items::ItemKind::Shield { .. }
                    )
                })
            })
            .cloned()
            .collect(),
        portrait: None,
        loot: Vec::new(),
    }
}

/// SRD 5.1 class Hit Dice.
fn hit_die(class: &str) -> u32 {
    let class = class.to_ascii_lowercase();
    if class.starts_with("fighter") {
        10
    } else if class.starts_with("wizard") {
        6
    } else {
        8
    }
}

/// A creature placed by an encounter or a scene.
/// A player character's size from its race: SRD 5.1 halflings and gnomes are Small, the other
/// playable races Medium.
pub(super) fn race_size(race: &str) -> crate::content::Size {
    let race = race.to_lowercase();
    if race.contains("halfling") || race.contains("gnome") {
        crate::content::Size::Small
    } else {
        crate::content::Size::Medium
    }
}

/// SRD 5.1 darkvision of the playable races: dwarves, elves, gnomes, half-elves, half-orcs
/// and tieflings see 60 ft in darkness.
fn race_darkvision(race: &str) -> u32 {
    let race = race.to_lowercase();
    if ["dwarf", "elf", "gnome", "orc", "tiefling"]
        .iter()
        .any(|r| race.contains(r))
    {
        60
    } else {
        0
    }
}

/// The darkvision range a stat block's senses line gives ("darkvision 60 ft., passive
/// Perception 9" → 60).
pub(crate) fn darkvision_in(senses: &str) -> u32 {
    let lower = senses.to_lowercase();
    lower
        .find("darkvision")
        .and_then(|i| {
            lower[i + "darkvision".len()..]
                .split(|c: char| !c.is_ascii_digit())
                .find(|s| !s.is_empty())
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

pub(super) fn creature(c: &CreatureDef, f: &Placement, id: CombatantId) -> Combatant {
    let name = match &f.name {
        Some(n) => format!("{n} the {}", c.name.to_lowercase()),
        None => c.name.clone(),
    };
    Combatant {
        id,
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
        size: c.size,
        darkvision_ft: darkvision_in(&c.senses),
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
        skills: c
            .skills
            .iter()
            .filter_map(|(name, b)| crate::checks::Skill::from_name(name).map(|s| (s, *b)))
            .collect(),
        xp: 0,
        worth: c.xp,
        gold: 0,
        hit_dice_left: 0,
        hit_die: 0,
        class: String::new(),
        spell_picks: 0,
        spell_suggestions: Vec::new(),
        worn: Vec::new(),
        portrait: None,
        loot: f.loot.clone(),
    }
}

/// Makes names unique ("Goblin", "Goblin 2") so reasons and logs are unambiguous.
pub(super) fn unique_names(lib: &ContentLibrary, combatants: &mut [Combatant]) {
    for i in 0..combatants.len() {
        let same = combatants[..i]
            .iter()
            .filter(|c| c.source == combatants[i].source && c.name.starts_with(&combatants[i].name))
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
}
