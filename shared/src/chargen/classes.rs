//! SRD 5.1 classes at levels 1 to 3: Hit Dice and hit points, saving throws, skills, the
//! features the shipped pregens carry, and the shipped spells each class may take.

use super::{CharacterDef, Class, races};
use crate::checks::Skill;
use crate::content::{Ability, ContentLibrary, Feature, FightingStyle};

/// SRD 5.1 class Hit Die (fighter d10, rogue and cleric d8, wizard d6).
pub fn hit_die(class: Class) -> i32 {
    match class {
        Class::Fighter => 10,
        Class::Rogue | Class::Cleric => 8,
        Class::Wizard => 6,
    }
}

/// Hit points at `level` (1 to 3). SRD 5.1: the Hit Die's maximum + Constitution modifier at
/// 1st level, the fixed value (6, 5, 5, 4) + Constitution modifier each level after; a hill
/// dwarf's Dwarven Toughness adds 1 a level.
pub fn hit_points(def: &CharacterDef, level: u32) -> i32 {
    let con = races::final_scores(def).modifier(Ability::Con);
    let die = hit_die(def.class);
    let tough = races::hit_points_per_level(def.race);
    let first = (die + con).max(1) + tough;
    let after = ((die / 2 + 1) + con).max(1) + tough;
    first + after * (level.clamp(1, 3) as i32 - 1)
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

/// SRD 5.1 class features at 1st level, and what levels 2 and 3 add, as the shipped pregens
/// write them (a feature at a level replaces one of its kind: Sneak Attack 1d6 → 2d6).
pub fn class_features(
    class: Class,
    style: Option<FightingStyle>,
) -> (Vec<Feature>, Vec<(u32, Vec<Feature>)>) {
    match class {
        Class::Fighter => (
            vec![
                Feature::FightingStyle(style.unwrap_or(FightingStyle::Defense)),
                Feature::SecondWind,
            ],
            vec![
                (2, vec![Feature::ActionSurge]),
                // Champion.
                (3, vec![Feature::ImprovedCritical]),
            ],
        ),
        Class::Rogue => {
            let dice = |t: &str| crate::dice::DiceExpr::parse(t).expect("valid dice");
            (
                vec![Feature::SneakAttack(dice("1d6"))],
                vec![
                    (2, vec![Feature::CunningAction]),
                    // Thief.
                    (
                        3,
                        vec![Feature::SneakAttack(dice("2d6")), Feature::FastHands],
                    ),
                ],
            )
        }
        Class::Cleric => (
            vec![Feature::DiscipleOfLife],
            vec![(2, vec![Feature::ChannelDivinity(1)]), (3, Vec::new())],
        ),
        Class::Wizard => (
            vec![Feature::ArcaneRecovery],
            // School of Evocation.
            vec![(2, vec![Feature::SculptSpells]), (3, Vec::new())],
        ),
    }
}

// The shipped spells on each SRD 5.1 class list. Cleric cantrips (SRD): guidance, light,
// mending, resistance, sacred flame, spare the dying, thaumaturgy. Cleric 1st: bane, bless,
// command, ..., cure wounds, guiding bolt, healing word, inflict wounds, sanctuary, shield of
// faith. Cleric 2nd: aid, ..., hold person, lesser restoration, ..., spiritual weapon.
const CLERIC_CANTRIPS: &[&str] = &[
    "guidance",
    "light",
    "sacred-flame",
    "spare-the-dying",
    "thaumaturgy",
];
const CLERIC_FIRST: &[&str] = &[
    "bless",
    "cure-wounds",
    "guiding-bolt",
    "healing-word",
    "inflict-wounds",
    "sanctuary",
    "shield-of-faith",
];
const CLERIC_SECOND: &[&str] = &[
    "aid",
    "hold-person",
    "lesser-restoration",
    "spiritual-weapon",
];
// Wizard cantrips (SRD): acid splash, ..., fire bolt, light, mage hand, ..., ray of frost,
// shocking grasp, true strike. Wizard 1st: ..., burning hands, ..., mage armor, magic
// missile, ..., shield, ..., sleep, thunderwave, .... Wizard 2nd: ..., hold person, ...,
// misty step, ..., scorching ray, ..., web.
const WIZARD_CANTRIPS: &[&str] = &[
    "fire-bolt",
    "light",
    "mage-hand",
    "ray-of-frost",
    "shocking-grasp",
];
const WIZARD_FIRST: &[&str] = &[
    "burning-hands",
    "mage-armor",
    "magic-missile",
    "shield",
    "sleep",
    "thunderwave",
];
const WIZARD_SECOND: &[&str] = &["hold-person", "misty-step", "scorching-ray", "web"];

/// The shipped spells of `spell_level` (0 for cantrips, 1, 2) on the class's SRD 5.1 spell
/// list; empty for fighters and rogues.
pub fn spell_list(class: Class, spell_level: u8) -> &'static [&'static str] {
    match (class, spell_level) {
        (Class::Cleric, 0) => CLERIC_CANTRIPS,
        (Class::Cleric, 1) => CLERIC_FIRST,
        (Class::Cleric, 2) => CLERIC_SECOND,
        (Class::Wizard, 0) => WIZARD_CANTRIPS,
        (Class::Wizard, 1) => WIZARD_FIRST,
        (Class::Wizard, 2) => WIZARD_SECOND,
        _ => &[],
    }
}

/// The level of `spell` if it is on the class's list.
pub fn may_take(class: Class, spell: &str) -> Option<u8> {
    (0..=2).find(|l| spell_list(class, *l).contains(&spell))
}

/// The spells of `spell_level` the class may pick that this game's content has (the
/// creator's lists), with their shown names: (id, name).
pub fn spell_options(class: Class, spell_level: u8, lib: &ContentLibrary) -> Vec<(String, String)> {
    spell_list(class, spell_level)
        .iter()
        .filter_map(|id| lib.spells.get(*id))
        .filter(|s| s.level == spell_level)
        .map(|s| (s.id.clone(), s.name.clone()))
        .collect()
}

/// Cantrips a class knows at levels 1 to 3 (SRD 5.1: cleric 3, wizard 3).
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

/// SRD 5.1 Wizard "Spellbook": six 1st-level spells at 1st level.
pub const SPELLBOOK_AT_FIRST: usize = 6;
/// Two more each level after ("Learning Spells of 1st Level and Higher"): ten by 3rd.
pub const SPELLBOOK_AT_THIRD: usize = 10;

/// How many of the file's spells come at 1st level (all of 1st level), and the most it may
/// list by 3rd level. Wizard: a spellbook of 6, then 2 a level. Cleric: Wisdom modifier +
/// cleric level prepared (at least one), beside the domain's; the file lists what it
/// prepares at 3rd level, its first ones those it prepares at 1st.
pub fn spell_counts(def: &CharacterDef) -> (usize, usize) {
    match def.class {
        Class::Wizard => (SPELLBOOK_AT_FIRST, SPELLBOOK_AT_THIRD),
        Class::Cleric => {
            let wis = races::final_scores(def).modifier(Ability::Wis);
            let first = (wis + 1).max(1) as usize;
            (first, (wis + 3).max(1) as usize)
        }
        Class::Fighter | Class::Rogue => (0, 0),
    }
}
