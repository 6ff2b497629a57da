//! Every rule a character file may break that needs no content: each problem a sentence
//! naming the field.

use super::classes::{self, spell_counts};
use super::{
    Background, CharacterDef, Class, FORMAT, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS, Method,
    POINT_BUY_BUDGET, PORTRAITS, Race, clip, races, weapons,
};
use crate::checks::Skill;

const ABILITY_NAMES: [&str; 6] = ["str", "dex", "con", "int", "wis", "cha"];

/// Every rule the file breaks that needs no content (name, scores, skills, class options,
/// spells by class list and level, equipment choice); empty if none.
pub fn problems(def: &CharacterDef) -> Vec<String> {
    let mut out = Vec::new();
    if def.format != FORMAT {
        out.push(format!(
            "format: {} is not a format this game reads (expected {FORMAT})",
            def.format
        ));
    }
    text_problems(def, &mut out);
    score_problems(def, &mut out);
    skill_problems(def, &mut out);
    match (def.class, def.fighting_style) {
        (Class::Fighter, None) => out.push("fighting_style: a fighter chooses one".into()),
        (Class::Fighter, Some(_)) | (_, None) => {}
        (_, Some(_)) => out.push("fighting_style: only fighters have one".into()),
    }
    spell_problems(def, &mut out);
    if weapons::package(def).is_none() {
        out.push(format!(
            "equipment: choice {} is not one of the {} a {} has",
            def.equipment,
            weapons::packages(def.class).len(),
            def.class.name()
        ));
    }
    out
}

fn text_problems(def: &CharacterDef, out: &mut Vec<String>) {
    let name = def.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        out.push(format!(
            "name: give 1 to {MAX_NAME_CHARS} characters (this one has {})",
            name.chars().count()
        ));
    }
    if def.name.chars().any(char::is_control) {
        out.push("name: no control characters".into());
    }
    if def.description.chars().any(|c| c.is_control() && c != '\n') {
        out.push("description: no control characters but line breaks".into());
    }
    if def.description.chars().count() > MAX_DESCRIPTION_CHARS {
        out.push(format!(
            "description: at most {MAX_DESCRIPTION_CHARS} characters"
        ));
    }
    if !PORTRAITS.contains(&def.portrait.as_str()) {
        out.push(format!(
            "portrait: `{}` is not one of {}",
            clip(&def.portrait),
            PORTRAITS.join(", ")
        ));
    }
    if let Background::Custom { name, skills } = &def.background {
        let n = name.trim().chars().count();
        if n == 0 || n > MAX_NAME_CHARS || name.chars().any(char::is_control) {
            out.push(format!(
                "background: name your background in 1 to {MAX_NAME_CHARS} characters, no control characters"
            ));
        }
        if skills.len() != 2 || skills[0] == skills[1] {
            out.push("background: a background gives two different skills".into());
        }
    }
}

fn score_problems(def: &CharacterDef, out: &mut Vec<String>) {
    let scores = def.scores.all();
    match def.method {
        Method::StandardArray => {
            if !super::is_standard_array(&def.scores) {
                out.push(format!(
                    "scores: the standard array is 15, 14, 13, 12, 10 and 8, each once (not {})",
                    scores.map(|s| s.to_string()).join(", ")
                ));
            }
        }
        Method::PointBuy => {
            let outside: Vec<String> = scores
                .iter()
                .zip(ABILITY_NAMES)
                .filter(|(s, _)| super::point_cost(**s).is_none())
                .map(|(s, a)| format!("{a} {s}"))
                .collect();
            if !outside.is_empty() {
                out.push(format!(
                    "scores: point buy scores are 8 to 15 ({} is not)",
                    outside.join(", ")
                ));
            } else if let Some(spent) = super::points_spent(&def.scores)
                && spent > POINT_BUY_BUDGET
            {
                out.push(format!(
                    "scores: point buy spends {spent} of {POINT_BUY_BUDGET} points"
                ));
            }
        }
    }
}

fn skill_problems(def: &CharacterDef, out: &mut Vec<String>) {
    let (count, list) = classes::class_skills(def.class);
    let granted = races::granted_skills(def);
    if def.skills.len() != count {
        out.push(format!(
            "skills: a {} chooses {count}, not {}",
            def.class.name(),
            def.skills.len()
        ));
    }
    for (i, s) in def.skills.iter().enumerate() {
        if !list.contains(s) {
            out.push(format!(
                "skills: {} is not a {} skill",
                s.name(),
                def.class.name()
            ));
        } else if def.skills[..i].contains(s) {
            out.push(format!("skills: {} is chosen twice", s.name()));
        } else if granted.contains(s) {
            out.push(format!(
                "skills: {} comes from your background or race already: choose another",
                s.name()
            ));
        }
    }
    if def.class == Class::Rogue {
        let proficient: Vec<Skill> = def.skills.iter().chain(granted.iter()).copied().collect();
        if def.expertise.len() != 2 || def.expertise[0] == def.expertise[1] {
            out.push("expertise: a rogue chooses two different skills".into());
        }
        for s in &def.expertise {
            if !proficient.contains(s) {
                out.push(format!("expertise: {} is not one of your skills", s.name()));
            }
        }
    } else if !def.expertise.is_empty() {
        out.push("expertise: only rogues have it".into());
    }
}

fn spell_problems(def: &CharacterDef, out: &mut Vec<String>) {
    // Cantrips: the class's, and a high elf's one wizard cantrip ("Cantrip. You know one
    // cantrip of your choice from the wizard spell list").
    let elf = def.race == Race::HighElf;
    let want = classes::cantrips_known(def.class) + usize::from(elf);
    if def.cantrips.len() != want {
        out.push(format!(
            "cantrips: choose {want}, not {}",
            def.cantrips.len()
        ));
    }
    let mut elf_cantrip = elf;
    for (i, c) in def.cantrips.iter().enumerate() {
        if def.cantrips[..i].contains(c) {
            out.push(format!("cantrips: `{}` is chosen twice", clip(c)));
        } else if classes::may_take(def.class, c) == Some(0) {
        } else if elf_cantrip && classes::may_take(Class::Wizard, c) == Some(0) {
            elf_cantrip = false;
        } else {
            out.push(format!(
                "cantrips: `{}` is not a {} cantrip",
                clip(c),
                def.class.name()
            ));
        }
    }
    // Spells, in the order gained.
    let (at_first, most) = spell_counts(def);
    match def.class {
        Class::Wizard if !(at_first..=most).contains(&def.spells.len()) => out.push(format!(
            "spells: a wizard's spellbook holds {at_first} to {most} spells (six at 1st level, two more each level), not {}",
            def.spells.len()
        )),
        Class::Cleric if def.spells.is_empty() || def.spells.len() > most => {
            out.push(format!(
                "spells: a cleric with this Wisdom prepares 1 to {most} spells beside the Life Domain's ({at_first} at 1st level, one more each level), not {}",
                def.spells.len()
            ))
        }
        Class::Fighter | Class::Rogue if !def.spells.is_empty() => {
            out.push(format!("spells: a {} casts no spells", def.class.name()))
        }
        _ => {}
    }
    let mut second = 0;
    for (i, s) in def.spells.iter().enumerate() {
        match classes::may_take(def.class, s) {
            _ if def.spells[..i].contains(s) => {
                out.push(format!("spells: `{}` is chosen twice", clip(s)))
            }
            _ if def.class == Class::Cleric && classes::LIFE_DOMAIN_SPELLS.contains(&s.as_str()) => {
                out.push(format!(
                    "spells: `{}` is a Life Domain spell, always prepared: choose another",
                    clip(s)
                ))
            }
            None | Some(0) => out.push(format!(
                "spells: `{}` is not a {} spell of 1st or 2nd level",
                clip(s),
                def.class.name()
            )),
            Some(2) if i < at_first => out.push(format!(
                "spells: `{}` is a 2nd-level spell; the first {at_first} are gained at 1st level, with 1st-level slots only",
                clip(s)
            )),
            Some(2) => second += 1,
            Some(_) => {}
        }
    }
    // SRD 5.1 Wizard: the spells added at each level "must be of a level for which you have
    // spell slots": 2nd-level slots come at 3rd level, with its two spells.
    if def.class == Class::Wizard && second > 2 {
        out.push(format!(
            "spells: a wizard adds at most two 2nd-level spells by 3rd level, not {second}"
        ));
    }
}
