//! Building the sheet: a checked character file becomes a [`PregenDef`] written as the
//! shipped pregens are (level 1, with what levels 2 and 3 add), which the library's own pregen
//! checks accept.

use super::{Background, CharacterDef, Class, classes, clip, problems, races, weapons};
use crate::checks::Skill;
use crate::content::{Ability, ContentLibrary, LevelDef, PregenDef};
use crate::spells::Spellcasting;

/// The character as a pregen with id `id` (levels 1 to 3), or every problem with it, each a
/// sentence naming the field: the rules ([`problems`]), then what this game's content lacks,
/// then anything the library's pregen checks refuse.
pub fn build(def: &CharacterDef, lib: &ContentLibrary, id: &str) -> Result<PregenDef, Vec<String>> {
    let mut out = problems(def);
    for item in weapons::package(def).map_or(&[][..], |p| p.items) {
        if !lib.items.contains_key(*item) {
            out.push(format!(
                "equipment: the item `{item}` is not in this game's content"
            ));
        }
    }
    for (field, list) in [("cantrips", &def.cantrips), ("spells", &def.spells)] {
        for s in list {
            if !lib.spells.contains_key(s) {
                out.push(format!(
                    "{field}: `{}` is not in this game's content",
                    clip(s)
                ));
            }
        }
    }
    if !out.is_empty() {
        return Err(out);
    }
    let pregen = sheet(def, lib, id);
    let refused = lib.check_pregen(&pregen);
    if refused.is_empty() {
        Ok(pregen)
    } else {
        Err(refused.into_iter().map(|e| format!("sheet: {e}")).collect())
    }
}

/// The sheet of a character whose file has no problems.
fn sheet(def: &CharacterDef, lib: &ContentLibrary, id: &str) -> PregenDef {
    let pkg = weapons::package(def).expect("checked");
    let scores = races::final_scores(def);
    let mut skills: Vec<Skill> = races::granted_skills(def);
    skills.extend(def.skills.iter().copied());
    let (features, levels) = classes::class_features(def.class, def.fighting_style);
    // The file's spells in order: those of 1st level first, then what each level adds (SRD
    // 5.1: a wizard's two a level; a cleric prepares one more a level).
    let (first, _) = classes::spell_counts(def);
    let per_level = match def.class {
        Class::Wizard => 2,
        _ => 1,
    };
    let first = first.min(def.spells.len());
    let at_level = |level: u32| -> Vec<String> {
        let from = first + per_level * (level as usize - 2);
        def.spells
            .iter()
            .skip(from)
            .take(per_level)
            .cloned()
            .collect()
    };
    let first_spells = &def.spells[..first];
    let spellcasting = match def.class {
        // Cantrips, the Life Domain's spells (always prepared), the prepared ones.
        Class::Cleric => Some(Spellcasting {
            ability: Ability::Wis,
            spells: def
                .cantrips
                .iter()
                .cloned()
                .chain(classes::LIFE_DOMAIN_SPELLS.iter().map(|s| s.to_string()))
                .chain(first_spells.iter().cloned())
                .collect(),
            slots: None,
        }),
        // Cantrips and the spellbook.
        Class::Wizard => Some(Spellcasting {
            ability: Ability::Int,
            spells: def
                .cantrips
                .iter()
                .chain(first_spells.iter())
                .cloned()
                .collect(),
            slots: None,
        }),
        Class::Fighter | Class::Rogue => None,
    };
    PregenDef {
        id: id.to_string(),
        name: def.name.trim().to_string(),
        race: def.race.name().to_string(),
        class: def.class.name().to_string(),
        level: 1,
        ac: weapons::armor_class(def, &lib.items).expect("checked"),
        armor: weapons::armor_line(def, &lib.items),
        max_hp: classes::hit_points(def, 1),
        speed: races::speed(def.race) - weapons::armor_slows(def),
        abilities: scores,
        proficiency: 2,
        attacks: pkg
            .weapons
            .iter()
            .filter_map(|w| weapons::attack(w, &scores))
            .collect(),
        features,
        resistances: races::resistances(def.race),
        saves: classes::saves(def.class).to_vec(),
        skills,
        expertise: def.expertise.clone(),
        spellcasting,
        levels: levels
            .into_iter()
            .map(|(level, features)| LevelDef {
                level,
                max_hp: classes::hit_points(def, level),
                features,
                spells: at_level(level),
            })
            .collect(),
        equipment: pkg.items.iter().map(|s| s.to_string()).collect(),
        description: description(def),
    }
}

/// The player's line, then what the table does not apply, in plain words.
fn description(def: &CharacterDef) -> String {
    let mut parts = Vec::new();
    let own = def.description.trim();
    if !own.is_empty() {
        parts.push(own.to_string());
    }
    parts.push(races::racial_notes(def.race).to_string());
    parts.push(match &def.background {
        Background::Acolyte => {
            "Background: Acolyte (Shelter of the Faithful; two extra languages).".to_string()
        }
        Background::Custom { name, .. } => format!("Background: {}.", name.trim()),
    });
    if weapons::armor_slows(def) > 0 {
        parts
            .push("Heavy armor without the Strength for it: speed 10 feet lower (counted).".into());
    }
    parts.join(" ")
}
