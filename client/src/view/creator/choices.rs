//! The character maker's choices: ability scores, skills, the class's options, cantrips and
//! spells.

use crate::net::Mirror;
use bevy_egui::egui;
use emberkeep_shared::chargen::{self, CharacterDef, Class, Method, Race, STANDARD_ARRAY};
use emberkeep_shared::checks::Skill;
use emberkeep_shared::content::{Ability, FightingStyle};

/// A spell's shown name from its id ("magic-missile" → "Magic missile").
fn spell_name(mirror: &Mirror, id: &str) -> String {
    mirror.spells.get(id).map_or_else(
        || {
            let words = id.replace('-', " ");
            let mut c = words.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        },
        |s| s.name.clone(),
    )
}

pub(super) fn scores(ui: &mut egui::Ui, def: &mut CharacterDef) {
    ui.horizontal(|ui| {
        ui.label("Ability scores:");
        if ui
            .radio(def.method == Method::StandardArray, "Standard array")
            .clicked()
            && def.method != Method::StandardArray
        {
            def.method = Method::StandardArray;
            def.scores = chargen::example(def.class).scores;
        }
        if ui
            .radio(def.method == Method::PointBuy, "Point buy (27)")
            .clicked()
        {
            def.method = Method::PointBuy;
        }
        if def.method == Method::PointBuy {
            let spent = chargen::points_spent(&def.scores);
            ui.label(match spent {
                Some(s) => format!("{} left", chargen::POINT_BUY_BUDGET - s),
                None => "scores are 8 to 15".into(),
            });
        }
    });
    let bonus = chargen::racial_bonus(def.race);
    egui::Grid::new("scores").num_columns(5).show(ui, |ui| {
        for h in ["", "Score", "Race", "Total", "Mod"] {
            ui.strong(h);
        }
        ui.end_row();
        for (ability, label) in [
            (Ability::Str, "Strength"),
            (Ability::Dex, "Dexterity"),
            (Ability::Con, "Constitution"),
            (Ability::Int, "Intelligence"),
            (Ability::Wis, "Wisdom"),
            (Ability::Cha, "Charisma"),
        ] {
            ui.label(label);
            let score = def.scores.score_mut(ability);
            match def.method {
                Method::PointBuy => {
                    ui.add(egui::DragValue::new(score).range(8..=15));
                }
                Method::StandardArray => {
                    egui::ComboBox::from_id_salt(("array", label))
                        .width(50.0)
                        .selected_text(score.to_string())
                        .show_ui(ui, |ui| {
                            for v in STANDARD_ARRAY {
                                ui.selectable_value(score, v, v.to_string());
                            }
                        });
                }
            }
            let total = *score + bonus.score(ability);
            ui.label(format!("{:+}", bonus.score(ability)));
            ui.label(total.to_string());
            ui.label(format!(
                "{:+}",
                emberkeep_shared::rules::ability_modifier(total)
            ));
            ui.end_row();
        }
    });
}

/// Toggles `item` in `list` from a checkbox.
fn pick<T: PartialEq + Clone>(ui: &mut egui::Ui, list: &mut Vec<T>, item: &T, label: &str) {
    let mut on = list.contains(item);
    if ui.checkbox(&mut on, label).changed() {
        if on {
            list.push(item.clone());
        } else {
            list.retain(|x| x != item);
        }
    }
}

pub(super) fn choices(ui: &mut egui::Ui, def: &mut CharacterDef, mirror: &Mirror) {
    let (count, list) = chargen::class_skills(def.class);
    let granted = chargen::granted_skills(def);
    ui.label(format!(
        "Skills: choose {count} ({} from your background and race)",
        granted
            .iter()
            .map(|s| s.name())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    ui.horizontal_wrapped(|ui| {
        for s in list {
            ui.add_enabled_ui(!granted.contains(s), |ui| {
                pick(ui, &mut def.skills, s, s.name());
            });
        }
    });
    match def.class {
        Class::Fighter => {
            ui.horizontal(|ui| {
                ui.label("Fighting style");
                for style in chargen::FIGHTING_STYLES {
                    let name = match style {
                        FightingStyle::Archery => "Archery (+2 ranged attacks)",
                        FightingStyle::Defense => "Defense (+1 AC in armor)",
                        FightingStyle::Dueling => "Dueling (+2 damage, one weapon)",
                    };
                    ui.radio_value(&mut def.fighting_style, Some(style), name);
                }
            });
        }
        Class::Rogue => {
            ui.label("Expertise: two of your skills (twice the proficiency bonus)");
            let mine: Vec<Skill> = def.skills.iter().chain(granted.iter()).copied().collect();
            ui.horizontal_wrapped(|ui| {
                for s in &mine {
                    pick(ui, &mut def.expertise, s, s.name());
                }
            });
        }
        Class::Cleric | Class::Wizard => {}
    }
    let cantrips = chargen::spell_list(def.class, 0);
    if cantrips.is_empty() {
        return;
    }
    let extra = def.race == Race::HighElf;
    ui.label(format!(
        "Cantrips: choose {}{}",
        chargen::cantrips_known(def.class) + usize::from(extra),
        if extra {
            " (a high elf adds one wizard cantrip)"
        } else {
            ""
        }
    ));
    let mut offered: Vec<&str> = cantrips.to_vec();
    if extra {
        for c in chargen::spell_list(Class::Wizard, 0) {
            if !offered.contains(c) {
                offered.push(c);
            }
        }
    }
    ui.horizontal_wrapped(|ui| {
        for c in offered {
            pick(
                ui,
                &mut def.cantrips,
                &c.to_string(),
                &spell_name(mirror, c),
            );
        }
    });
    ui.label(match def.class {
        Class::Wizard => {
            "Spellbook: six 1st-level spells, then up to two more a level (at most two of 2nd \
             level, cast from 3rd level)"
        }
        _ => {
            "Prepared spells: Wisdom modifier + 1 of 1st level first, up to Wisdom + 3 in all \
             (2nd level ones cast from 3rd level); the Life Domain's are always prepared"
        }
    });
    for level in [1u8, 2] {
        ui.horizontal_wrapped(|ui| {
            ui.weak(format!("Level {level}:"));
            for s in chargen::spell_list(def.class, level) {
                if def.class == Class::Cleric && chargen::LIFE_DOMAIN_SPELLS.contains(s) {
                    continue;
                }
                pick(ui, &mut def.spells, &s.to_string(), &spell_name(mirror, s));
            }
        });
    }
}
