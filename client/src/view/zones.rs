//! Spells that stay on the map: Web's webs as a pale tint over their squares, and each
//! spiritual weapon as a gold ring on the square it floats on — read from the replicated table
//! view (its zones) and the combatants' effects.

use super::art::Art;
use super::map::{MapSize, SQUARE};
use bevy::prelude::*;
use emberkeep_shared::prelude::*;
use emberkeep_shared::table::Lasting;

/// The webs' tint.
const WEBS: Color = Color::srgba(0.92, 0.92, 0.97, 0.32);
/// A spiritual weapon's ring.
const WEAPON: Color = Color::srgba(1.0, 0.85, 0.35, 0.95);

#[derive(Component, Debug)]
struct ZoneMarker;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Update, (show_zones, show_wall_segments));
}

/// A wall segment's stroke, and a closed or open door's.
const WALL: Color = Color::srgb(0.12, 0.10, 0.09);
const DOOR: Color = Color::srgb(0.55, 0.36, 0.16);
const OPEN_DOOR: Color = Color::srgba(0.55, 0.36, 0.16, 0.35);

#[derive(Component, Debug)]
struct WallStroke;

/// Draws the map's wall segments (and doors) as strokes along square edges, whenever the map
/// changes (a door opened) or is framed anew.
fn show_wall_segments(
    mut commands: Commands,
    strokes: Query<Entity, With<WallStroke>>,
    size: Res<MapSize>,
    maps: Query<Ref<BattleMap>>,
) {
    let Some(map) = maps.iter().next() else {
        return;
    };
    if !(map.is_changed() || size.is_changed()) {
        return;
    }
    for e in &strokes {
        commands.entity(e).despawn();
    }
    if size.width == 0 {
        return;
    }
    // Hundredths of a square from the top-left corner → world space.
    let world = |(x, y): (i32, i32)| {
        Vec2::new(
            (x as f32 / 100.0 - size.width as f32 / 2.0) * SQUARE,
            (size.height as f32 / 2.0 - y as f32 / 100.0) * SQUARE,
        )
    };
    for w in &map.grid.walls {
        let (a, b) = (world(w.a), world(w.b));
        let along = b - a;
        let colour = match (w.door, w.open) {
            (false, _) => WALL,
            (true, false) => DOOR,
            (true, true) => OPEN_DOOR,
        };
        commands.spawn((
            WallStroke,
            Sprite {
                color: colour,
                custom_size: Some(Vec2::new(along.length().max(1.0), SQUARE * 0.12)),
                ..default()
            },
            Transform::from_translation(((a + b) / 2.0).extend(5.5))
                .with_rotation(Quat::from_rotation_z(along.y.atan2(along.x))),
        ));
    }
}

/// Redraws the markers whenever the table view or a combatant changes.
fn show_zones(
    mut commands: Commands,
    markers: Query<Entity, With<ZoneMarker>>,
    size: Res<MapSize>,
    art: Option<Res<Art>>,
    views: Query<Ref<TableView>>,
    statuses: Query<Ref<CombatantStatus>>,
) {
    let changed = views.iter().any(|v| v.is_changed()) || statuses.iter().any(|s| s.is_changed());
    if !(changed || size.is_changed()) {
        return;
    }
    for m in &markers {
        commands.entity(m).despawn();
    }
    let Some(art) = art else { return };
    if size.width == 0 {
        return;
    }
    for zone in views.iter().flat_map(|v| v.zones.clone()) {
        for square in zone.squares {
            commands.spawn((
                ZoneMarker,
                Sprite {
                    color: WEBS,
                    custom_size: Some(Vec2::splat(SQUARE * 0.98)),
                    ..default()
                },
                Transform::from_translation(size.to_world(square).extend(0.8)),
            ));
        }
    }
    for status in &statuses {
        for effect in &status.rules.effects {
            if let Lasting::Weapon { at, .. } = effect.what {
                commands.spawn((
                    ZoneMarker,
                    Sprite {
                        image: art.ring.clone(),
                        color: WEAPON,
                        custom_size: Some(Vec2::splat(SQUARE * 0.6)),
                        ..default()
                    },
                    Transform::from_translation(size.to_world(at).extend(9.0)),
                ));
            }
        }
    }
}
