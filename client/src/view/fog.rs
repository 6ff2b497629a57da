//! Fog of war, drawn from what the server says the party sees (the table view's `sight` and
//! `seen`): squares never seen are dark, squares seen before are dimmed (their terrain as last
//! seen; creatures there are not sent), squares in sight are clear. The host sees through the
//! fog, lightly shaded, so it can run the table.

use super::map::{MapSize, SQUARE};
use crate::net::TableSession;
use bevy::prelude::*;
use emberkeep_shared::grid::GridPos;
use emberkeep_shared::prelude::*;
use emberkeep_shared::protocol::Role;
use emberkeep_shared::vision::SquareSet;

/// Above the tiles, zones and fallen bodies; below standing tokens (z 10) and the cursor.
const FOG_Z: f32 = 6.0;

#[derive(Component, Debug)]
struct FogSquare;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Update, draw_fog);
}

/// How dark a square is drawn: (never seen, seen before) alpha, for players and the host.
pub fn fog_alpha(host: bool) -> (f32, f32) {
    if host { (0.45, 0.25) } else { (1.0, 0.55) }
}

fn draw_fog(
    mut commands: Commands,
    squares: Query<Entity, With<FogSquare>>,
    size: Res<MapSize>,
    views: Query<&TableView>,
    session: Option<Res<TableSession>>,
    mut drawn: Local<Option<(SquareSet, SquareSet, bool, (u32, u32))>>,
) {
    let Some(view) = views.iter().next() else {
        return;
    };
    let host = session
        .as_ref()
        .and_then(|s| s.seating.as_ref())
        .is_some_and(|s| s.role == Role::Host);
    let key = (
        view.sight.clone(),
        view.seen.clone(),
        host,
        (size.width, size.height),
    );
    if drawn.as_ref() == Some(&key) {
        return;
    }
    for e in &squares {
        commands.entity(e).despawn();
    }
    let (sight, seen) = (&key.0, &key.1);
    // No sight computed, or computed for another map than the one drawn: no fog.
    if sight.width == 0 || (sight.width, sight.height) != (size.width, size.height) {
        *drawn = Some(key);
        return;
    }
    let (never, before) = fog_alpha(host);
    for y in 0..size.height as i32 {
        for x in 0..size.width as i32 {
            let p = GridPos::new(x, y);
            if sight.contains(p) {
                continue;
            }
            let alpha = if seen.contains(p) { before } else { never };
            commands.spawn((
                FogSquare,
                Sprite {
                    color: Color::srgba(0.02, 0.02, 0.04, alpha),
                    custom_size: Some(Vec2::splat(SQUARE)),
                    ..default()
                },
                Transform::from_translation(size.to_world(p).extend(FOG_Z)),
            ));
        }
    }
    *drawn = Some(key);
}
