//! Last-known creatures in the fog: a creature the party saw and then lost sight of (it walked
//! out of view, or the party did) stays drawn where it was last seen, faded and marked `?`,
//! until the party sees that square again without it there. The server no longer sends it
//! (fog of war), so this is the client's own memory of what its player saw; the host, who sees
//! everything, has no ghosts. A new map forgets them.

use super::art::{self, Art};
use super::map::{MapSize, SQUARE, side_color};
use super::map_text::MapText;
use crate::net::TableSession;
use bevy::prelude::*;
use emberkeep_shared::grid::GridPos;
use emberkeep_shared::prelude::*;
use emberkeep_shared::protocol::Role;
use emberkeep_shared::vision::SquareSet;
use std::collections::BTreeMap;

/// Where a creature was last seen.
#[derive(Debug, Clone, PartialEq)]
pub struct Remembered {
    /// Its name.
    pub name: String,
    /// Its side.
    pub side: Side,
    /// Its portrait.
    pub portrait: String,
    /// The square it stood on.
    pub pos: GridPos,
}

/// What the player remembers, for the map it remembers it on.
#[derive(Resource, Debug, Default)]
pub struct LastKnown {
    map: (String, u32, u32),
    /// Creatures by id.
    pub creatures: BTreeMap<CombatantId, Remembered>,
}

impl LastKnown {
    /// Updates the memory from the creatures sent now (those the party sees) and the squares
    /// in sight; returns the ones to draw as ghosts (remembered, not sent now).
    pub fn update(
        &mut self,
        map: (String, u32, u32),
        present: &[(CombatantId, Remembered)],
        sight: &SquareSet,
    ) -> Vec<(CombatantId, Remembered)> {
        if self.map != map {
            self.map = map;
            self.creatures.clear();
        }
        for (id, r) in present {
            if r.side != Side::Party {
                self.creatures.insert(*id, r.clone());
            }
        }
        // Seen again and not there: forgotten.
        self.creatures
            .retain(|id, r| present.iter().any(|(p, _)| p == id) || !sight.contains(r.pos));
        self.creatures
            .iter()
            .filter(|(id, _)| !present.iter().any(|(p, _)| p == *id))
            .map(|(id, r)| (*id, r.clone()))
            .collect()
    }
}

#[derive(Component, Debug)]
struct Ghost;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<LastKnown>();
    app.add_systems(Update, draw_ghosts);
}

/// Above the fog (z 6), below standing tokens (z 10).
const GHOST_Z: f32 = 7.0;

fn draw_ghosts(
    mut commands: Commands,
    mut memory: ResMut<LastKnown>,
    ghosts: Query<Entity, With<Ghost>>,
    creatures: Query<(&CombatantSheet, &CombatantStatus)>,
    views: Query<&TableView>,
    size: Res<MapSize>,
    session: Option<Res<TableSession>>,
    assets: Res<AssetServer>,
    art: Option<Res<Art>>,
    look: Option<Res<super::settings::Look>>,
    mut drawn: Local<Vec<(CombatantId, Remembered)>>,
) {
    let (Some(view), Some(art)) = (views.iter().next(), art) else {
        return;
    };
    let look = look.map(|l| *l).unwrap_or_default();
    let host = session
        .as_ref()
        .and_then(|s| s.seating.as_ref())
        .is_some_and(|s| s.role == Role::Host);
    let present: Vec<(CombatantId, Remembered)> = creatures
        .iter()
        .filter(|(sheet, _)| sheet.campaign == view.campaign)
        .map(|(sheet, status)| {
            (
                sheet.id,
                Remembered {
                    name: sheet.name.clone(),
                    side: sheet.side,
                    portrait: sheet.portrait.clone(),
                    pos: status.pos,
                },
            )
        })
        .collect();
    let key = (view.encounter.clone(), size.width, size.height);
    let want = if host || view.sight.width == 0 {
        Vec::new()
    } else {
        memory.update(key, &present, &view.sight)
    };
    if *drawn == want {
        return;
    }
    for e in &ghosts {
        commands.entity(e).despawn();
    }
    for (_, r) in &want {
        let faded = |c: Color| c.with_alpha(0.45);
        commands
            .spawn((
                Ghost,
                Sprite {
                    image: art::portrait(&assets, &r.portrait),
                    color: Color::srgba(0.7, 0.7, 0.75, 0.4),
                    custom_size: Some(Vec2::splat(SQUARE * 0.86)),
                    ..default()
                },
                Transform::from_translation(size.to_world(r.pos).extend(GHOST_Z)),
            ))
            .with_children(|c| {
                c.spawn((
                    Sprite {
                        image: art.ring.clone(),
                        color: faded(side_color(r.side, &look)),
                        custom_size: Some(Vec2::splat(SQUARE * 0.9)),
                        ..default()
                    },
                    Transform::from_xyz(0.0, 0.0, 0.5),
                ));
                c.spawn((
                    MapText::new("?", 18.0, Color::srgba(1.0, 0.95, 0.8, 0.9)),
                    Transform::from_xyz(0.0, 0.0, 1.0),
                ));
                c.spawn((
                    MapText::new(
                        format!("{}?", r.name.split(' ').next().unwrap_or(&r.name)),
                        9.0,
                        Color::srgba(0.95, 0.92, 0.85, 0.7),
                    ),
                    Transform::from_xyz(0.0, -SQUARE * 0.62, 2.0),
                ));
            });
    }
    *drawn = want;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wolf(x: i32) -> (CombatantId, Remembered) {
        (
            7,
            Remembered {
                name: "Ashfang the wolf".into(),
                side: Side::Foe,
                portrait: "wolf".into(),
                pos: GridPos::new(x, 0),
            },
        )
    }

    #[test]
    fn a_creature_out_of_sight_is_remembered_until_its_square_is_seen_empty() {
        let map = ("den".to_string(), 10, 1);
        let mut sight = SquareSet::new(10, 1);
        for x in 0..5 {
            sight.insert(GridPos::new(x, 0));
        }
        let mut m = LastKnown::default();
        // Seen at (3, 0): sent, so no ghost.
        assert!(m.update(map.clone(), &[wolf(3)], &sight).is_empty());
        // It walks off to (8, 0), out of sight, while the party watches: its last square is
        // seen empty, so nothing is remembered there.
        assert!(m.update(map.clone(), &[], &sight).is_empty());
        assert!(m.creatures.is_empty());
        // Seen at (4, 0), then the party loses sight of that square (it moved away).
        m.update(map.clone(), &[wolf(4)], &sight);
        let far = SquareSet::new(10, 1);
        let ghosts = m.update(map.clone(), &[], &far);
        assert_eq!(
            ghosts.len(),
            1,
            "remembered while its square is out of sight"
        );
        assert_eq!(ghosts[0].1.pos, GridPos::new(4, 0));
        // Still there when the party looks again: sent again, no ghost.
        assert!(m.update(map.clone(), &[wolf(4)], &sight).is_empty());
        m.update(map.clone(), &[], &far);
        // Another map forgets everything.
        assert!(m.update(("road".into(), 10, 1), &[], &far).is_empty());
        // The party's own never become ghosts.
        let mut friend = wolf(1);
        friend.1.side = Side::Party;
        m.update(map.clone(), &[friend], &sight);
        assert!(m.update(map, &[], &far).is_empty());
    }
}
