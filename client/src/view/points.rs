//! The scene's points of interest and exits: markers on the map (a ring tinted by kind, and
//! its name) and the "Here" menu that uses them — open, loot, pick or force a lock, search,
//! take an exit.

use super::art::Art;
use super::map::{MapSize, SQUARE};
use super::map_text::MapText;
use crate::net::{Mirror, TableSession};
use bevy::prelude::*;
use bevy_egui::egui;
use emberkeep_shared::adventure::PointKind;
use emberkeep_shared::prelude::*;
use emberkeep_shared::table::PointView;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Update, show_points);
}

/// A marker drawn for a point or an exit.
#[derive(Component)]
struct PointMarker;

fn tint(p: &PointView) -> Color {
    let alpha = if p.done { 0.35 } else { 0.95 };
    match p.kind {
        None => Color::srgba(0.45, 0.95, 0.55, alpha),
        Some(PointKind::Trap) => Color::srgba(1.0, 0.3, 0.25, alpha),
        Some(PointKind::Door) => Color::srgba(0.85, 0.65, 0.35, alpha),
        Some(_) => Color::srgba(1.0, 0.85, 0.3, alpha),
    }
}

/// Redraws the markers when the points the party knows change, or the map under them (a
/// new scene).
fn show_points(
    mut commands: Commands,
    tables: Query<&TableView>,
    markers: Query<Entity, With<PointMarker>>,
    art: Option<Res<Art>>,
    size: Res<MapSize>,
    mut shown: Local<(Vec<PointView>, (u32, u32))>,
) {
    let Some(art) = art else { return };
    let Some(table) = tables.iter().next() else {
        return;
    };
    let now = (size.width, size.height);
    if size.width == 0 || (shown.0 == table.points && shown.1 == now) {
        return;
    }
    *shown = (table.points.clone(), now);
    for e in &markers {
        commands.entity(e).despawn();
    }
    for p in &table.points {
        for (i, at) in p.at.iter().enumerate() {
            let place = size.to_world(*at);
            let mut marker = commands.spawn((
                PointMarker,
                Sprite {
                    image: art.ring.clone(),
                    color: tint(p),
                    custom_size: Some(Vec2::splat(SQUARE * 0.7)),
                    ..default()
                },
                Transform::from_translation(place.extend(4.0)),
            ));
            if i == 0 {
                marker.with_children(|c| {
                    c.spawn((
                        MapText::new(p.name.clone(), 9.0, tint(p)),
                        Transform::from_xyz(0.0, SQUARE * 0.45, 1.0),
                    ));
                });
            }
        }
    }
}

/// The "Here" menu: the scene's points and exits, and Search.
pub fn here_menu(
    ui: &mut egui::Ui,
    mirror: &Mirror,
    me: CombatantId,
    session: &mut TableSession,
    enabled: bool,
) {
    let Some(table) = &mirror.table else { return };
    if table.scene.is_none() {
        return;
    }
    let choices = crate::preview::point_choices(mirror, me);
    ui.add_enabled_ui(enabled, |ui| {
        ui.menu_button("Here", |ui| {
            if ui
                .button("Search (Perception, Investigation)")
                .on_hover_text("Look for hidden things within 30 ft")
                .clicked()
            {
                session.act(Action::Search);
                ui.close();
            }
            if ui
                .button("Recap: the story so far")
                .on_hover_text("Told to you alone, in the log")
                .clicked()
            {
                session.act(Action::Recap);
                ui.close();
            }
            let rest_why = (!table.may_rest).then(|| "Not here, not now".to_string());
            for (long, label) in [(false, "Short rest"), (true, "Long rest")] {
                let agreed = table
                    .rest_vote
                    .as_ref()
                    .is_some_and(|(l, who)| *l == long && who.contains(&me));
                let text = match &table.rest_vote {
                    Some((l, _)) if *l == long && !agreed => format!("{label} (agree)"),
                    _ => label.to_string(),
                };
                let button = ui
                    .add_enabled(rest_why.is_none() && !agreed, egui::Button::new(text))
                    .on_hover_text("Everyone playing must agree")
                    .on_disabled_hover_text(rest_why.clone().unwrap_or("You agreed".into()));
                if button.clicked() {
                    session.act(Action::Rest { long });
                    ui.close();
                }
            }
            if let Some((_, status)) = mirror.combatants.get(&me)
                && status.rules.level < 3
                && emberkeep_shared::table::level_for(status.rules.xp) > status.rules.level
            {
                // SRD 5.1: the fixed hit points or a roll of the Hit Die (+ Con either way).
                let next = status.rules.level + 1;
                let die = status.rules.hit_die;
                if ui
                    .button(format!("Level up to {next}: fixed hit points"))
                    .on_hover_text(format!("{} + Con", die / 2 + 1))
                    .clicked()
                {
                    session.act(Action::LevelUp);
                    ui.close();
                }
                if ui
                    .button(format!("Level up to {next}: roll the d{die}"))
                    .on_hover_text("1 to the die + Con, at least 1")
                    .clicked()
                {
                    session.act(Action::LevelUpRolling);
                    ui.close();
                }
            }
            // New spells a level-up granted: each one the rules would accept, or the suggestions.
            if let Some((_, status)) = mirror.combatants.get(&me)
                && status.rules.spell_picks > 0
                && let Some(rules) = mirror.rules()
            {
                let picks = status.rules.spell_picks;
                ui.menu_button(format!("Learn spells ({picks} to choose)"), |ui| {
                    let suggested = rules.suggested_spells(me);
                    let names: Vec<String> = suggested
                        .iter()
                        .map(|id| rules.spells.get(id).map_or(id.clone(), |s| s.name.clone()))
                        .collect();
                    if !suggested.is_empty()
                        && ui
                            .button(format!("Take the suggested: {}", names.join(", ")))
                            .clicked()
                    {
                        session.act(emberkeep_shared::table::learning::take_suggestions());
                        ui.close();
                    }
                    ui.separator();
                    for (id, level) in rules.learnable_spells(me) {
                        let Some(spell) = rules.spells.get(&id) else {
                            continue;
                        };
                        if ui
                            .button(format!("{} ({})", spell.name, ordinal(level)))
                            .on_hover_text(spell.text.clone())
                            .clicked()
                        {
                            session.act(Action::LearnSpells {
                                spells: vec![id.clone()],
                            });
                            ui.close();
                        }
                    }
                });
            }
            // What the character carries: armor to put on, potions to hand to a friend beside.
            if let Some((_, status)) = mirror.combatants.get(&me) {
                let mut carried = status.rules.items.clone();
                carried.sort();
                carried.dedup();
                for id in carried {
                    let Some(def) = mirror.items.get(&id) else {
                        continue;
                    };
                    let wearable = matches!(
                        def.kind,
                        emberkeep_shared::items::ItemKind::Armor { .. }
                            | emberkeep_shared::items::ItemKind::Shield { .. }
                    );
                    if wearable && ui.button(format!("Wear {}", def.name)).clicked() {
                        session.act(Action::Equip { item: id.clone() });
                        ui.close();
                    }
                    if ui
                        .button(format!("Drop {}", def.name))
                        .on_hover_text("Put it down here: anyone may pick it up")
                        .clicked()
                    {
                        session.act(Action::Drop { item: id.clone() });
                        ui.close();
                    }
                    for (ally_sheet, ally) in mirror.combatants.values() {
                        if ally_sheet.id != me
                            && ally.rules.is_pc
                            && ally.pos.feet_to(status.pos) <= 5
                            && ui
                                .button(format!("Give {} to {}", def.name, ally_sheet.name))
                                .clicked()
                        {
                            session.act(Action::Give {
                                item: id.clone(),
                                to: ally_sheet.id,
                            });
                            ui.close();
                        }
                    }
                }
            }
            for (label, action, why_not) in choices {
                let button = ui
                    .add_enabled(why_not.is_none(), egui::Button::new(label))
                    .on_disabled_hover_text(why_not.unwrap_or_default());
                if button.clicked() {
                    session.act(action);
                    ui.close();
                }
            }
        });
    });
}

/// "1st", "2nd", "3rd", "4th"… for spell levels.
fn ordinal(level: u8) -> String {
    match level {
        1 => "1st".into(),
        2 => "2nd".into(),
        3 => "3rd".into(),
        n => format!("{n}th"),
    }
}
