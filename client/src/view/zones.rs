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
    app.add_systems(Update, show_zones);
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
