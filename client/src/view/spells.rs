//! Spells in the view: the Spells menu on the action bar (slots left per level, bonus action,
//! concentration, why a spell cannot be cast now), the spell being aimed (click a creature or a
//! square; Escape or right click cancels), and on the map the area it would fill and the
//! creatures it would catch — all from the server's own rules on the replicated state.

use super::map::{MapCamera, MapSize, MirrorSource, SQUARE};
use crate::net::{Mirror, TableSession};
use crate::preview::{self, SpellAim, SpellChoice};
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::egui;
use emberkeep_shared::prelude::*;

/// The spell chosen in the menu and waiting for its target.
#[derive(Resource, Debug, Default, Clone)]
pub struct ChosenSpell(pub Option<SpellChoice>);

#[derive(Component)]
struct TemplateMarker;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<ChosenSpell>();
    app.add_systems(Update, (cancel_aiming, show_template).chain());
}

/// What acting on `square` means now: cast the chosen spell there, else the usual click (move
/// or attack). A cast clears the choice.
pub fn act_on(
    mirror: &Mirror,
    me: CombatantId,
    square: GridPos,
    chosen: &mut ChosenSpell,
) -> Result<Action, String> {
    match &chosen.0 {
        Some(choice) => {
            let (action, _) = preview::cast_at(mirror, me, choice, square)?;
            chosen.0 = None;
            Ok(action)
        }
        None => preview::click(mirror, me, square),
    }
}

/// "1st 3/4  2nd 1/2": slots left of each level's slots.
pub fn slots_line(mirror: &Mirror, me: CombatantId) -> Option<String> {
    let rules = mirror.rules()?;
    let casting = rules.combatant(me)?.casting.clone()?;
    let levels: Vec<String> = (1..=casting.slots.len() as u8)
        .map(|l| {
            let max = casting.slots[usize::from(l - 1)];
            let left = casting.slots_left(l);
            format!("{} {left}/{max}", ordinal(l))
        })
        .collect();
    Some(levels.join("  "))
}

fn ordinal(l: u8) -> &'static str {
    match l {
        1 => "1st",
        2 => "2nd",
        3 => "3rd",
        _ => "higher",
    }
}

/// The Spells menu: every known spell, greyed with the reason when it cannot be cast now.
/// Picking one casts it at once (self spells) or starts aiming it.
pub fn spells_menu(
    ui: &mut egui::Ui,
    mirror: &Mirror,
    me: CombatantId,
    chosen: &mut ChosenSpell,
    session: &mut TableSession,
    enabled: bool,
) {
    let choices = preview::spell_choices(mirror, me);
    if choices.is_empty() {
        return;
    }
    let label = if chosen.0.is_some() {
        "Spells…"
    } else {
        "Spells"
    };
    ui.add_enabled_ui(enabled, |ui| {
        ui.menu_button(label, |ui| {
            if let Some(slots) = slots_line(mirror, me) {
                ui.weak(format!("Slots: {slots}"));
            }
            if let Some(held) = mirror
                .rules()
                .and_then(|r| r.combatant(me).and_then(|c| c.concentrating.clone()))
            {
                ui.horizontal(|ui| {
                    ui.weak(format!("Concentrating on {held}"));
                    if ui.small_button("End").clicked() {
                        session.act(Action::EndConcentration);
                        ui.close();
                    }
                });
            }
            ui.separator();
            for choice in choices {
                let level = if choice.level == 0 {
                    "cantrip".to_string()
                } else {
                    format!("{} level", ordinal(choice.level))
                };
                let mut tags = vec![level];
                if choice.bonus {
                    tags.push("bonus action".into());
                }
                if choice.concentration {
                    tags.push("concentration".into());
                }
                let text = format!("{}  ({})", choice.name, tags.join(", "));
                let button = ui
                    .add_enabled(choice.why_not.is_none(), egui::Button::new(text))
                    .on_hover_text(&choice.text)
                    .on_disabled_hover_text(choice.why_not.clone().unwrap_or_default());
                if button.clicked() {
                    if choice.aim == SpellAim::Caster {
                        let status = mirror.combatants.get(&me).map(|c| c.1.pos);
                        match status.map(|p| preview::cast_at(mirror, me, &choice, p)) {
                            Some(Ok((action, _))) => {
                                session.act(action);
                            }
                            Some(Err(why)) => session.notice = Some(why),
                            None => {}
                        }
                    } else {
                        session.notice = Some(format!(
                            "{}: click {} (Esc cancels)",
                            choice.name,
                            if choice.aim == SpellAim::Creature {
                                "a creature"
                            } else {
                                "a square"
                            }
                        ));
                        chosen.0 = Some(choice);
                    }
                    ui.close();
                }
            }
        });
    });
}

/// The Features menu: shove or grapple a foe beside you (or escape, or break free of webs),
/// strike with a spiritual weapon, potions carried, Second Wind, Action Surge, bonus-action
/// Dash and Disengage, Channel Divinity — only what the character has, greyed with the reason
/// when not usable now.
pub fn features_menu(
    ui: &mut egui::Ui,
    mirror: &Mirror,
    me: CombatantId,
    session: &mut TableSession,
    enabled: bool,
) {
    let choices = preview::feature_choices(mirror, me);
    let items = preview::item_choices(mirror, me);
    let contests = preview::contest_choices(mirror, me);
    if choices.is_empty() && items.is_empty() && contests.is_empty() {
        return;
    }
    ui.add_enabled_ui(enabled, |ui| {
        ui.menu_button("Features", |ui| {
            for (action, label) in contests {
                if ui.button(label).clicked() {
                    session.act(action);
                    ui.close();
                }
            }
            for (id, name, count, why_not) in items {
                let button = ui
                    .add_enabled(
                        why_not.is_none(),
                        egui::Button::new(format!("Drink {name} ({count})")),
                    )
                    .on_disabled_hover_text(why_not.unwrap_or_default());
                if button.clicked() {
                    session.act(Action::UseItem {
                        item: id,
                        target: None,
                    });
                    ui.close();
                }
            }
            for (feature, why_not) in choices {
                let button = ui
                    .add_enabled(why_not.is_none(), egui::Button::new(feature.label()))
                    .on_disabled_hover_text(why_not.unwrap_or_default());
                if button.clicked() {
                    session.act(Action::Feature(feature));
                    ui.close();
                }
            }
        });
    });
}

fn cancel_aiming(
    keys: Res<ButtonInput<KeyCode>>,
    mouse: Res<ButtonInput<MouseButton>>,
    mut chosen: ResMut<ChosenSpell>,
    mut session: ResMut<TableSession>,
) {
    if chosen.0.is_some()
        && (keys.just_pressed(KeyCode::Escape) || mouse.just_pressed(MouseButton::Right))
    {
        chosen.0 = None;
        session.notice = None;
    }
}

/// While a spell is aimed: the squares it would fill (an area) and the creatures it would
/// catch, under the pointer (or the keyboard cursor).
#[allow(clippy::too_many_arguments, reason = "a Bevy system's parameters")]
fn show_template(
    mut commands: Commands,
    chosen: Res<ChosenSpell>,
    session: Res<TableSession>,
    cursor: Res<super::map::MapCursor>,
    windows: Query<&Window, With<PrimaryWindow>>,
    cameras: Query<(&Camera, &GlobalTransform), With<MapCamera>>,
    size: Res<MapSize>,
    markers: Query<Entity, With<TemplateMarker>>,
    mirror_source: MirrorSource,
    art: Option<Res<super::art::Art>>,
    mut last: Local<Option<(String, GridPos)>>,
) {
    let aimed_at = windows
        .single()
        .ok()
        .and_then(|w| w.cursor_position())
        .zip(cameras.single().ok())
        .and_then(|(p, (camera, t))| camera.viewport_to_world_2d(t, p).ok())
        .map(|w| size.to_grid(w))
        .or(cursor.0);
    let key = chosen
        .0
        .as_ref()
        .zip(aimed_at)
        .map(|(c, at)| (c.id.clone(), at));
    if key == *last && !chosen.is_changed() {
        return;
    }
    *last = key.clone();
    for m in &markers {
        commands.entity(m).despawn();
    }
    let (Some((_, at)), Some(choice), Some(me)) = (
        key,
        chosen.0.as_ref(),
        session.seating.as_ref().and_then(|s| s.character),
    ) else {
        return;
    };
    let mirror = mirror_source.read();
    let Ok((_, plan)) = preview::cast_at(&mirror, me, choice, at) else {
        return;
    };
    for p in &plan.squares {
        commands.spawn((
            TemplateMarker,
            Sprite {
                color: Color::srgba(1.0, 0.45, 0.15, 0.28),
                custom_size: Some(Vec2::splat(SQUARE * 0.94)),
                ..default()
            },
            Transform::from_translation(size.to_world(*p).extend(1.5)),
        ));
    }
    // Who it would catch: a red ring over each token.
    let Some(art) = art else { return };
    for id in &plan.targets {
        if let Some((_, st)) = mirror.combatants.get(id) {
            commands.spawn((
                TemplateMarker,
                Sprite {
                    image: art.ring.clone(),
                    color: Color::srgba(1.0, 0.25, 0.1, 0.95),
                    custom_size: Some(Vec2::splat(SQUARE * 1.15)),
                    ..default()
                },
                Transform::from_translation(size.to_world(st.pos).extend(6.0)),
            ));
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use emberkeep_shared::content::ContentLibrary;
    use emberkeep_shared::grid::MapGrid;

    pub(in crate::view) fn wizards_turn() -> (Table, CombatantId) {
        let lib = ContentLibrary::load_dir(
            &emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets"),
        )
        .unwrap();
        for seed in 0..500 {
            let mut t = Table::new(&lib, "goblin-ambush", seed, 60_000).unwrap();
            t.map = MapGrid::open(20, 12);
            let (mut pc, mut foe) = (0, 0);
            for c in &mut t.combatants {
                c.hidden = false;
                c.pos = if c.is_pc {
                    pc += 1;
                    GridPos::new(2, 2 * pc)
                } else {
                    foe += 1;
                    GridPos::new(9, 2 * foe)
                };
            }
            t.start_combat(0, "test".into());
            let wizard = t
                .combatants
                .iter()
                .find(|c| c.source == "wizard")
                .unwrap()
                .id;
            if t.active() == Some(wizard) {
                return (t, wizard);
            }
        }
        panic!("no seed gives the wizard the first turn");
    }

    pub(in crate::view) fn mirror_of(t: &Table) -> Mirror {
        Mirror::of_table("c", t, 0)
    }

    #[test]
    fn a_chosen_spell_turns_the_next_click_into_a_cast_and_is_then_spent() {
        let (t, wizard) = wizards_turn();
        let mirror = mirror_of(&t);
        let goblin = t.combatants.iter().find(|c| c.source == "goblin").unwrap();
        let menu = preview::spell_choices(&mirror, wizard);
        let fire_bolt = menu.iter().find(|c| c.id == "fire-bolt").unwrap().clone();
        assert_eq!(fire_bolt.aim, SpellAim::Creature);
        assert!(fire_bolt.why_not.is_none());
        // Without a choice, clicking the goblin 35 ft away is a (refused) attack: the dagger
        // does not reach.
        let mut chosen = ChosenSpell::default();
        assert!(act_on(&mirror, wizard, goblin.pos, &mut chosen).is_err());
        chosen.0 = Some(fire_bolt);
        let action = act_on(&mirror, wizard, goblin.pos, &mut chosen).unwrap();
        assert_eq!(
            action,
            Action::Cast {
                spell: "fire-bolt".into(),
                slot: 0,
                targets: vec![goblin.id],
                at: None
            }
        );
        assert!(chosen.0.is_none(), "the choice is spent");
        // A 2nd-level spell at level 1 says why it cannot be cast.
        let web = menu.iter().find(|c| c.id == "web").unwrap();
        assert!(
            web.why_not.as_deref().unwrap().contains("2nd level"),
            "{:?}",
            web.why_not
        );
        assert_eq!(slots_line(&mirror, wizard).as_deref(), Some("1st 2/2"));
    }

    #[test]
    fn an_aimed_area_shows_its_squares_and_who_it_catches() {
        let (t, wizard) = wizards_turn();
        let mirror = mirror_of(&t);
        let choices = preview::spell_choices(&mirror, wizard);
        let sleep = choices.iter().find(|c| c.id == "sleep").unwrap();
        assert_eq!(sleep.aim, SpellAim::Square);
        let (_, plan) = preview::cast_at(&mirror, wizard, sleep, GridPos::new(9, 4)).unwrap();
        // A 20-ft sphere: 49 squares; the goblins at (9, 2), (9, 4) and (9, 6) are caught.
        assert_eq!(plan.squares.len(), 49);
        assert!(plan.targets.len() >= 3, "{:?}", plan.targets);
    }

    #[test]
    fn the_features_menu_lists_only_what_the_character_has_and_why_not_now() {
        let (t, wizard) = wizards_turn();
        let mirror = mirror_of(&t);
        assert!(
            preview::feature_choices(&mirror, wizard).is_empty(),
            "a wizard uses none"
        );
        let fighter = t
            .combatants
            .iter()
            .find(|c| c.source == "fighter")
            .unwrap()
            .id;
        let menu = preview::feature_choices(&mirror, fighter);
        assert_eq!(menu.len(), 1, "{menu:?}");
        let (feature, why) = &menu[0];
        assert_eq!(*feature, emberkeep_shared::table::FeatureUse::SecondWind);
        assert!(why.as_deref().unwrap().contains("your turn"), "{why:?}");
    }
}
