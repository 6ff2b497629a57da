//! The settings window (F1, or the ⚙ button): volumes and mute, and every action's bindings
//! with a Rebind button per input kind. Settings load at start and save a moment after they
//! change, in the player's store ([`crate::settings::Store`]: a file natively, localStorage in
//! a browser).

use super::DisplayMode;
use super::audio::Volumes;
use super::input::{Bindings, Fired, GAMEPADS, Rebinding, TableAction};
use super::voice::{CAN_SPEAK, Voice};
use crate::settings::Store;
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use serde::{Deserialize, Serialize};

/// What the view saves under the `view` key.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ViewSettings {
    /// Key, mouse and gamepad bindings.
    pub bindings: Option<Bindings>,
    /// Volumes and mute.
    pub volumes: Volumes,
    /// Panel size and colours.
    pub look: Look,
    /// Narration read aloud on this device (`None`: on for a shared screen, off elsewhere).
    pub voice: Option<bool>,
}

/// How the table looks to this player.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Look {
    /// The panels' and their text's size: 1.0 to 2.0 (100–200 %).
    pub ui_scale: f32,
    /// Friend and foe in blue and orange (Okabe–Ito), told apart by anyone; foes also carry
    /// a diamond, whatever the colours.
    pub colour_blind: bool,
    /// How fast moves and blows play back.
    pub pace: super::motion::Pace,
}

impl Default for Look {
    fn default() -> Self {
        Look {
            ui_scale: 1.0,
            colour_blind: false,
            pace: super::motion::Pace::default(),
        }
    }
}

impl Look {
    /// The panel scale, kept within 100–200 % whatever a settings file says.
    pub fn scale(&self) -> f32 {
        if self.ui_scale.is_finite() {
            self.ui_scale.clamp(1.0, 2.0)
        } else {
            1.0
        }
    }
}

/// The key [`ViewSettings`] are kept under.
pub const VIEW_KEY: &str = "view";

/// Whether the settings window is open.
#[derive(Resource, Debug, Default, Clone, Copy)]
pub struct SettingsOpen(pub bool);

/// Where settings are kept, and a pending save.
#[derive(Resource, Debug, Clone)]
pub struct SettingsStore {
    /// The store.
    pub store: Store,
    dirty_since: Option<f64>,
}

pub(super) fn plugin(app: &mut App) {
    let store = Store::for_user();
    let saved = match store.load::<ViewSettings>(VIEW_KEY) {
        Ok(saved) => saved.unwrap_or_default(),
        Err(e) => {
            warn!("ignoring saved settings that cannot be read: {e}");
            ViewSettings::default()
        }
    };
    app.insert_resource(saved.bindings.unwrap_or_default())
        .insert_resource(saved.volumes)
        .insert_resource(saved.look)
        .insert_resource(Voice(saved.voice))
        .insert_resource(SettingsStore {
            store,
            dirty_since: None,
        })
        .init_resource::<SettingsOpen>();
    app.add_systems(Update, (toggle_window, save_when_settled));
    app.add_systems(EguiPrimaryContextPass, window);
}

fn toggle_window(fired: Fired, mut open: ResMut<SettingsOpen>) {
    if fired.just(TableAction::Settings) {
        open.0 = !open.0;
    }
}

/// Saves half a second after the last change (a slider drag is one save, not sixty).
fn save_when_settled(
    bindings: Res<Bindings>,
    volumes: Res<Volumes>,
    look: Res<Look>,
    voice: Res<Voice>,
    mut store: ResMut<SettingsStore>,
    time: Res<Time<Real>>,
    mut first: Local<bool>,
) {
    let now = time.elapsed_secs_f64();
    if !*first {
        // The values inserted at start are not changes.
        *first = true;
        return;
    }
    if bindings.is_changed() || volumes.is_changed() || look.is_changed() || voice.is_changed() {
        store.dirty_since = Some(now);
    }
    if store.dirty_since.is_some_and(|t| now - t >= 0.5) {
        store.dirty_since = None;
        let value = ViewSettings {
            bindings: Some(bindings.clone()),
            volumes: *volumes,
            look: *look,
            voice: voice.0,
        };
        if let Err(e) = store.store.save(VIEW_KEY, &value) {
            warn!("cannot save the settings: {e}");
        }
    }
}

fn window(
    mut contexts: EguiContexts,
    mut open: ResMut<SettingsOpen>,
    mut volumes: ResMut<Volumes>,
    mut bindings: ResMut<Bindings>,
    mut rebinding: ResMut<Rebinding>,
    mut look: ResMut<Look>,
    mut voice: ResMut<Voice>,
    display: Option<Res<DisplayMode>>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    if !open.0 {
        return Ok(());
    }
    let mut still_open = true;
    egui::Window::new("Settings")
        .open(&mut still_open)
        .collapsible(false)
        .default_width(520.0)
        .show(ctx, |ui| {
            ui.heading("Sound");
            let mut v = *volumes;
            egui::Grid::new("volumes").num_columns(2).show(ui, |ui| {
                for (label, level) in [
                    ("Master", &mut v.master),
                    ("Effects", &mut v.effects),
                    ("Music", &mut v.music),
                ] {
                    ui.label(label);
                    ui.add(egui::Slider::new(level, 0.0..=1.0).show_value(false));
                    ui.end_row();
                }
            });
            ui.checkbox(&mut v.muted, "Mute");
            if v != *volumes {
                *volumes = v;
            }
            let mut speak = voice.on(display.is_some());
            let label = "Read narration aloud";
            if CAN_SPEAK {
                if ui.checkbox(&mut speak, label).changed() {
                    voice.0 = Some(speak);
                }
            } else {
                ui.add_enabled(false, egui::Checkbox::new(&mut speak, label));
                ui.label(
                    egui::RichText::new(
                        "The desktop app stays silent: narration is read aloud in a browser \
                         (its speech synthesis).",
                    )
                    .small()
                    .weak(),
                );
            }
            ui.separator();
            ui.heading("Display");
            let mut l = *look;
            let mut percent = (l.scale() * 100.0).round();
            ui.horizontal(|ui| {
                ui.label("Panels and text");
                ui.add(
                    egui::Slider::new(&mut percent, 100.0..=200.0)
                        .step_by(10.0)
                        .suffix(" %"),
                );
            });
            l.ui_scale = percent / 100.0;
            ui.checkbox(
                &mut l.colour_blind,
                "Colour-blind-safe colours (party blue, foes orange; foes always carry a diamond)",
            );
            ui.horizontal(|ui| {
                use super::motion::Pace;
                ui.label("Moves and blows play");
                for (pace, name) in [
                    (Pace::Readable, "at a readable pace"),
                    (Pace::Brisk, "briskly"),
                    (Pace::Off, "at once"),
                ] {
                    ui.radio_value(&mut l.pace, pace, name);
                }
            });
            if l != *look {
                *look = l;
            }
            ui.separator();
            ui.heading("Controls");
            if let Some(action) = rebinding.0 {
                ui.colored_label(
                    egui::Color32::from_rgb(255, 205, 80),
                    format!(
                        "Press a key{} for “{}” (Esc cancels)",
                        if GAMEPADS {
                            ", mouse button or gamepad button"
                        } else {
                            " or mouse button"
                        },
                        action.label()
                    ),
                );
            }
            egui::ScrollArea::vertical()
                .max_height(360.0)
                .show(ui, |ui| {
                    egui::Grid::new("bindings")
                        .num_columns(if GAMEPADS { 4 } else { 3 })
                        .striped(true)
                        .show(ui, |ui| {
                            ui.strong("Action");
                            ui.strong("Keyboard / mouse");
                            if GAMEPADS {
                                ui.strong("Gamepad");
                            }
                            ui.label("");
                            ui.end_row();
                            for action in TableAction::ALL {
                                ui.label(action.label());
                                ui.label(bindings.labels(action, false));
                                if GAMEPADS {
                                    ui.label(bindings.labels(action, true));
                                }
                                let waiting = rebinding.0 == Some(action);
                                if ui
                                    .add_enabled(!waiting, egui::Button::new("Rebind"))
                                    .clicked()
                                {
                                    rebinding.0 = Some(action);
                                }
                                ui.end_row();
                            }
                        });
                });
            if ui.button("Reset controls to defaults").clicked() {
                *bindings = Bindings::default();
            }
        });
    if !still_open {
        open.0 = false;
        rebinding.0 = None;
    }
    Ok(())
}
