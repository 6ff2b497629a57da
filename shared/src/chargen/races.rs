//! SRD 5.1 races: ability score increases, speed, the traits the table applies (Keen Senses,
//! Dwarven Resilience and Toughness) and those told in the description.

use super::{Background, CharacterDef, Race};
use crate::checks::Skill;
use crate::content::{Abilities, DamageType};

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
        // Human: "Your ability scores each increase by 1."
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

/// Damage resistances (SRD 5.1 Dwarven Resilience: "resistance against poison damage").
pub fn resistances(race: Race) -> Vec<DamageType> {
    match race {
        Race::HillDwarf => vec![DamageType::Poison],
        Race::Human | Race::HighElf | Race::LightfootHalfling => Vec::new(),
    }
}

/// Extra hit points each level (SRD 5.1 Hill Dwarf, Dwarven Toughness: "Your hit point
/// maximum increases by 1, and it increases by 1 every time you gain a level").
pub fn hit_points_per_level(race: Race) -> i32 {
    i32::from(race == Race::HillDwarf)
}

/// The racial traits the table does not apply, told in the character's description so none
/// is silently dropped.
pub fn racial_notes(race: Race) -> &'static str {
    match race {
        Race::Human => "Human: speaks Common and one more language.",
        Race::HillDwarf => {
            "Hill Dwarf: darkvision 60 ft; Dwarven Resilience (advantage on saving throws against poison); Dwarven Combat Training; Stonecunning; speed not reduced by heavy armor."
        }
        Race::HighElf => {
            "High Elf: darkvision 60 ft; Fey Ancestry (advantage on saving throws against being charmed, and magic can't put you to sleep); Trance; Elf Weapon Training."
        }
        Race::LightfootHalfling => {
            "Lightfoot Halfling: Lucky (reroll a natural 1 on an attack roll, ability check or saving throw); Brave (advantage on saving throws against being frightened); Halfling Nimbleness (move through the space of any creature larger than you); Naturally Stealthy."
        }
    }
}

/// The scores with the race's increases.
pub fn final_scores(def: &CharacterDef) -> Abilities {
    let (b, s) = (racial_bonus(def.race).all(), def.scores.all());
    Abilities::from_array(std::array::from_fn(|i| s[i] + b[i]))
}

/// Skills the race gives (SRD 5.1 Elf, Keen Senses: "proficiency in the Perception skill").
pub fn race_skills(race: Race) -> &'static [Skill] {
    match race {
        Race::HighElf => &[Skill::Perception],
        Race::Human | Race::HillDwarf | Race::LightfootHalfling => &[],
    }
}

/// Skills from the background (SRD 5.1 Acolyte: Insight, Religion).
pub fn background_skills(background: &Background) -> Vec<Skill> {
    match background {
        Background::Acolyte => vec![Skill::Insight, Skill::Religion],
        Background::Custom { skills, .. } => skills.clone(),
    }
}

/// Skills from the background and the race (a class choice may not repeat one).
pub fn granted_skills(def: &CharacterDef) -> Vec<Skill> {
    let mut out = background_skills(&def.background);
    for s in race_skills(def.race) {
        if !out.contains(s) {
            out.push(*s);
        }
    }
    out
}
