//! Making your own character (SRD 5.1, [`emberkeep_shared::chargen`]) — natively and in a
//! browser: race, class, background, ability scores by the standard array or point buy, skills,
//! the class's choices, starting equipment, a name and a portrait. Every rule broken is listed
//! as you choose. The character is kept in the player's store (`character.ron` natively,
//! localStorage in a browser), exported and imported as its file's text (the clipboard), and
//! brought to a table that has not begun — by hand, or on taking the seat.

mod choices;

use super::map::MirrorSource;
use crate::net::{Mirror, TableSession};
use crate::settings::Store;
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use emberkeep_shared::chargen::{self, Background, CharacterDef, Class, PORTRAITS, Race};
use emberkeep_shared::checks::Skill;
use emberkeep_shared::prelude::*;
use emberkeep_shared::protocol::Role;

/// Where the player's character is kept.
pub const CHARACTER_KEY: &str = "character";

const RED: egui::Color32 = egui::Color32::from_rgb(220, 80, 70);
const GREEN: egui::Color32 = egui::Color32::from_rgb(120, 200, 120);

/// The creator's state.
#[derive(Resource, Debug)]
pub struct Creator {
    /// The window is open.
    pub open: bool,
    /// The character being made.
    pub def: CharacterDef,
    /// The character kept in the player's store.
    pub saved: Option<CharacterDef>,
    /// Bring the kept character when taking a seat at a table that has not begun.
    pub bring_on_join: bool,
    /// The import/export box.
    text: String,
    /// The last message: (is it a problem, text).
    note: Option<(bool, String)>,
    /// The campaign it was last brought to.
    brought_to: Option<String>,
}

impl Default for Creator {
    fn default() -> Self {
        let saved = Store::for_user()
            .load::<CharacterDef>(CHARACTER_KEY)
            .unwrap_or_else(|e| {
                warn!("ignoring the kept character: {e}");
                None
            });
        Creator {
            open: false,
            def: saved
                .clone()
                .unwrap_or_else(|| chargen::example(Class::Fighter)),
            bring_on_join: saved.is_some(),
            saved,
            text: String::new(),
            note: None,
            brought_to: None,
        }
    }
}

impl Creator {
    /// A creator holding `def` as the player's character, brought on taking a seat (from
    /// the command line: not kept unless the player keeps it).
    pub fn bringing(def: CharacterDef) -> Self {
        Creator {
            def: def.clone(),
            saved: Some(def),
            bring_on_join: true,
            ..Creator::default()
        }
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Creator>();
    app.add_systems(EguiPrimaryContextPass, window);
    app.add_systems(Update, bring_when_seated);
}

/// On taking a player's seat at a table that has not begun, the kept character is brought
/// (once per campaign), if the player asked for it.
fn bring_when_seated(
    mut creator: ResMut<Creator>,
    mut session: ResMut<TableSession>,
    mirror: MirrorSource,
) {
    if !creator.bring_on_join {
        return;
    }
    let Some(seating) = session.seating.clone() else {
        return;
    };
    if seating.role != Role::Player || creator.brought_to.as_ref() == Some(&seating.campaign) {
        return;
    }
    let Some(saved) = creator.saved.clone() else {
        return;
    };
    let mirror = mirror.read();
    if !mirror.table.as_ref().is_some_and(|t| t.fresh) {
        return;
    }
    session.act(Action::BringCharacter {
        file: chargen::to_ron(&saved),
    });
    creator.brought_to = Some(seating.campaign);
}

fn window(
    mut contexts: EguiContexts,
    mut creator: ResMut<Creator>,
    mut session: ResMut<TableSession>,
    mirror: MirrorSource,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    if !creator.open {
        return Ok(());
    }
    let mirror = mirror.read();
    let mut open = true;
    egui::Window::new("Your character")
        .open(&mut open)
        .default_width(560.0)
        .default_height(620.0)
        .show(ctx, |ui| {
            egui::ScrollArea::vertical()
                .max_height(ctx.viewport_rect().height() - 120.0)
                .show(ui, |ui| form(ui, &mut creator, &mut session, &mirror));
        });
    creator.open = open;
    Ok(())
}

fn form(ui: &mut egui::Ui, creator: &mut Creator, session: &mut TableSession, mirror: &Mirror) {
    let def = &mut creator.def;
    egui::Grid::new("who").num_columns(2).show(ui, |ui| {
        ui.label("Name");
        ui.text_edit_singleline(&mut def.name);
        ui.end_row();
        ui.label("Portrait");
        ui.horizontal_wrapped(|ui| {
            for p in PORTRAITS {
                ui.radio_value(&mut def.portrait, p.to_string(), p);
            }
        });
        ui.end_row();
        ui.label("Race");
        egui::ComboBox::from_id_salt("race")
            .selected_text(def.race.name())
            .show_ui(ui, |ui| {
                for r in Race::ALL {
                    ui.selectable_value(&mut def.race, r, r.name());
                }
            });
        ui.end_row();
        ui.label("Class");
        let mut class = def.class;
        egui::ComboBox::from_id_salt("class")
            .selected_text(class.name())
            .show_ui(ui, |ui| {
                for c in Class::ALL {
                    ui.selectable_value(&mut class, c, c.name());
                }
            });
        if class != def.class {
            // A new class starts from its example, keeping who the character is.
            *def = CharacterDef {
                name: def.name.clone(),
                description: def.description.clone(),
                portrait: def.portrait.clone(),
                race: def.race,
                background: def.background.clone(),
                ..chargen::example(class)
            };
        }
        ui.end_row();
        ui.label("Background");
        ui.horizontal(|ui| {
            let custom = matches!(def.background, Background::Custom { .. });
            if ui.radio(!custom, "Acolyte").clicked() {
                def.background = Background::Acolyte;
            }
            if ui.radio(custom, "Your own").clicked() && !custom {
                def.background = Background::Custom {
                    name: "Wanderer".into(),
                    skills: vec![Skill::Survival, Skill::Nature],
                };
            }
        });
        ui.end_row();
        if let Background::Custom { name, skills } = &mut def.background {
            ui.label("");
            ui.horizontal(|ui| {
                ui.add(egui::TextEdit::singleline(name).desired_width(140.0));
                skills.resize(2, Skill::Survival);
                for (i, s) in skills.iter_mut().enumerate() {
                    egui::ComboBox::from_id_salt(("bg-skill", i))
                        .selected_text(s.name())
                        .show_ui(ui, |ui| {
                            for k in Skill::ALL {
                                ui.selectable_value(s, k, k.name());
                            }
                        });
                }
            });
            ui.end_row();
        }
    });
    ui.separator();
    choices::scores(ui, def);
    ui.separator();
    choices::choices(ui, def, mirror);
    ui.separator();
    ui.label("Starting equipment");
    for (i, p) in chargen::packages(def.class).iter().enumerate() {
        ui.radio_value(&mut def.equipment, i, p.name);
    }
    ui.label("Description");
    ui.add(egui::TextEdit::multiline(&mut def.description).desired_rows(2));
    ui.separator();
    summary(ui, def, mirror);
    ui.separator();
    buttons(ui, creator, session, mirror);
}

fn summary(ui: &mut egui::Ui, def: &CharacterDef, mirror: &Mirror) {
    let hp: Vec<String> = (1..=3)
        .map(|l| chargen::hit_points(def, l).to_string())
        .collect();
    let ac = chargen::armor_class(def, &mirror.items)
        .map_or("shown at the table".to_string(), |ac| ac.to_string());
    ui.label(format!(
        "{} {} — hit points {} (levels 1, 2, 3), AC {ac}, speed {} ft",
        def.race.name(),
        def.class.name(),
        hp.join(" / "),
        chargen::speed(def.race)
    ));
    let problems = chargen::problems(def);
    if problems.is_empty() {
        ui.colored_label(GREEN, "Ready: this character follows the rules.");
    }
    for p in problems {
        ui.colored_label(RED, p);
    }
}

fn buttons(ui: &mut egui::Ui, creator: &mut Creator, session: &mut TableSession, mirror: &Mirror) {
    let valid = chargen::problems(&creator.def).is_empty();
    ui.horizontal_wrapped(|ui| {
        if ui
            .add_enabled(valid, egui::Button::new("Keep"))
            .on_hover_text("Kept on this device for your next tables")
            .clicked()
        {
            creator.note = Some(match Store::for_user().save(CHARACTER_KEY, &creator.def) {
                Ok(()) => {
                    creator.saved = Some(creator.def.clone());
                    (
                        false,
                        format!("Kept in {}", Store::for_user().describe(CHARACTER_KEY)),
                    )
                }
                Err(e) => (true, e),
            });
        }
        if ui
            .button("Export")
            .on_hover_text("The character file's text, into the box below and the clipboard")
            .clicked()
        {
            creator.text = chargen::to_ron(&creator.def);
            ui.ctx().copy_text(creator.text.clone());
            creator.note = Some((false, "Copied to the clipboard".into()));
        }
        if ui
            .button("Import")
            .on_hover_text("Reads a character file pasted into the box below")
            .clicked()
        {
            creator.note = Some(match chargen::parse(&creator.text) {
                Ok(def) => {
                    creator.def = def;
                    (false, "Imported".into())
                }
                Err(e) => (true, e),
            });
        }
        let at_table = session
            .seating
            .as_ref()
            .is_some_and(|s| s.role == Role::Player)
            && mirror.table.as_ref().is_some_and(|t| t.fresh);
        if ui
            .add_enabled(valid && at_table, egui::Button::new("Bring to the table"))
            .on_hover_text("Play this character instead of the seat's, before the story begins")
            .on_disabled_hover_text("Take a player's seat at a table that has not begun")
            .clicked()
        {
            session.act(Action::BringCharacter {
                file: chargen::to_ron(&creator.def),
            });
            creator.note = Some((false, "Sent to the table".into()));
        }
    });
    if let Some((problem, text)) = &creator.note {
        if *problem {
            ui.colored_label(RED, text);
        } else {
            ui.label(text);
        }
    }
    ui.add(
        egui::TextEdit::multiline(&mut creator.text)
            .desired_rows(3)
            .hint_text("Paste a character file here to import it")
            .code_editor(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_character_is_read_back_as_made_and_brought() {
        let dir = std::env::temp_dir().join(format!("emberkeep-creator-{}", std::process::id()));
        let store = Store::Folder(dir.clone());
        let mut def = chargen::example(Class::Cleric);
        def.name = "Sister Wren".into();
        def.race = Race::HillDwarf;
        store.save(CHARACTER_KEY, &def).unwrap();
        let back: CharacterDef = store.load(CHARACTER_KEY).unwrap().unwrap();
        assert_eq!(back, def);
        // The kept file is a character file: the server reads it as it is.
        let text = std::fs::read_to_string(dir.join("character.ron")).unwrap();
        assert_eq!(chargen::parse(&text).unwrap(), def);
        let creator = Creator::bringing(back);
        assert!(creator.bring_on_join);
        assert_eq!(
            creator.saved.as_ref().map(|d| d.name.as_str()),
            Some("Sister Wren")
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
