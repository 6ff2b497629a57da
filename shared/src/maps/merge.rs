//! Encounters and scenes get what their map's objects say, once at load, so everything after
//! (the checks, the table, a saved campaign) sees one complete encounter or scene:
//!
//! - **Foes**: the map's foe `Spawn` objects that name a creature join every encounter and
//!   scene on the map, after the file's own foes.
//! - **Doors**: every closed door segment of the map (a Universal VTT portal, a RON map's
//!   `door: true` wall) that is not already a door's leaf becomes a `Door` point `door-1`,
//!   `door-2`, … on an open square beside it, so a party can open it.
//! - **Exits, doors and points of interest** join every scene on the map; an exit or point of
//!   the scene file with the same id *replaces* the map's (to add a key, loot, a hidden DC or
//!   a different destination), as does a scene's door with the same leaf; a replacing door
//!   keeps the map's leaf unless it has its own.
//! - **Triggers** join every scene on the map, after the file's own.
//! - An encounter (one fight, nothing to open) takes only the foes: its map's closed doors stay
//!   closed there, its exits, points and triggers unused.
//!
//! The map's own references are checked here, with errors in the map file: a creature that
//! does not exist, an exit to a scene the adventure lacks. Such a foe or exit is left out.

use crate::adventure::{END, ExitDef, PointDef, PointKind, SceneDef};
use crate::content::{ContentError, ContentLibrary, FileCheck, MapDef, Placement, list};
use crate::grid::WallSegment;
use std::collections::BTreeMap;

/// Adds a `Door` point for each closed door segment of the map that no door has as its leaf.
fn segment_doors(map: &mut MapDef) {
    let leaves: Vec<WallSegment> = map.points.iter().filter_map(|p| p.wall).collect();
    let closed: Vec<WallSegment> = map
        .walls
        .iter()
        .filter(|w| w.door && !w.open && !leaves.iter().any(|l| l.same_line(w)))
        .copied()
        .collect();
    let open = |(x, y): (i32, i32)| {
        usize::try_from(y)
            .ok()
            .and_then(|y| map.tiles.get(y))
            .and_then(|row| row.chars().nth(usize::try_from(x).ok()?))
            .is_some_and(|c| c != '#')
    };
    let mut n = 0;
    let mut doors = Vec::new();
    for leaf in closed {
        let Some(at) = leaf
            .sides()
            .into_iter()
            .map(|p| (p.x, p.y))
            .find(|&p| open(p))
        else {
            continue;
        };
        n += 1;
        let id = loop {
            let id = format!("door-{n}");
            if !map.points.iter().any(|p| p.id == id) && !map.exits.iter().any(|e| e.id == id) {
                break id;
            }
            n += 1;
        };
        doors.push(PointDef {
            name: "Door".into(),
            id,
            kind: PointKind::Door,
            at,
            text: String::new(),
            hidden: None,
            lock: None,
            loot: Vec::new(),
            check: None,
            trap: None,
            then: Vec::new(),
            wall: Some(leaf),
        });
    }
    map.points.extend(doors);
}

/// The map's foes that name a creature, as placements.
fn foes(map: &MapDef) -> impl Iterator<Item = Placement> + '_ {
    map.spawns.iter().filter_map(|s| {
        Some(Placement {
            creature: s.creature.clone()?,
            name: s.name.clone(),
            at: s.at,
            hidden: s.hidden,
            loot: Vec::new(),
        })
    })
}

/// Adds the map's exits, points and triggers to a scene (the scene's own win by id).
fn merge_scene(scene: &mut SceneDef, map: &MapDef, exits: &[ExitDef]) {
    let own: Vec<String> = scene
        .exits
        .iter()
        .map(|e| e.id.clone())
        .chain(scene.points.iter().map(|p| p.id.clone()))
        .collect();
    let own_leaves: Vec<WallSegment> = scene.points.iter().filter_map(|p| p.wall).collect();
    for p in scene.points.iter_mut() {
        if p.kind == PointKind::Door
            && p.wall.is_none()
            && let Some(leaf) = map
                .points
                .iter()
                .find(|m| m.id == p.id)
                .and_then(|m| m.wall)
        {
            p.wall = Some(leaf);
        }
    }
    let new_points: Vec<PointDef> = map
        .points
        .iter()
        .filter(|p| !own.contains(&p.id))
        .filter(|p| {
            !p.wall
                .is_some_and(|w| own_leaves.iter().any(|l| l.same_line(&w)))
        })
        .cloned()
        .collect();
    scene.points.extend(new_points);
    scene
        .exits
        .extend(exits.iter().filter(|e| !own.contains(&e.id)).cloned());
    scene.triggers.extend(map.triggers.iter().cloned());
}

impl ContentLibrary {
    /// Applies every map's objects to the encounters and scenes naming it (see the module).
    pub(crate) fn apply_maps(&mut self, errors: &mut Vec<ContentError>) {
        let mut maps = std::mem::take(&mut self.maps);
        for map in maps.values_mut() {
            segment_doors(map);
        }
        for (id, map) in &maps {
            let Some((file, text)) = self.sources.get(&(2, id.clone())) else {
                continue;
            };
            let mut check = FileCheck { file, text, errors };
            for s in &map.spawns {
                if let Some(c) = &s.creature
                    && !self.creatures.contains_key(c)
                {
                    check.error_at(
                        c,
                        format!(
                            "Spawn at {:?}: unknown creature `{c}`: expected one of {}",
                            s.at,
                            list(self.creatures.keys())
                        ),
                    );
                }
            }
        }
        let known = |p: &Placement| self.creatures.contains_key(&p.creature);
        for enc in self.encounters.values_mut() {
            if let Some(map) = maps.get(&enc.map) {
                enc.foes.extend(foes(map).filter(known));
            }
        }
        for (adventure_id, adventure) in self.adventures.iter_mut() {
            let scene_ids: Vec<String> = adventure.scenes.keys().cloned().collect();
            let mut reported = BTreeMap::new();
            for scene in adventure.scenes.values_mut() {
                let Some(map) = maps.get(&scene.map) else {
                    continue;
                };
                let mut exits = Vec::new();
                for e in &map.exits {
                    if e.to == END || scene_ids.contains(&e.to) {
                        exits.push(e.clone());
                    } else if reported
                        .insert((map.id.clone(), e.id.clone()), ())
                        .is_none()
                        && let Some((file, text)) = self.sources.get(&(2, map.id.clone()))
                    {
                        let mut check = FileCheck { file, text, errors };
                        check.error_at(
                            &e.to,
                            format!(
                                "Exit `{}` leads to scene `{}`, which adventure `{adventure_id}` (scene `{}` uses this map) does not have: expected `{END}` or one of {}",
                                e.id,
                                e.to,
                                scene.id,
                                list(scene_ids.iter())
                            ),
                        );
                    }
                }
                scene.foes.extend(foes(map).filter(known));
                merge_scene(scene, map, &exits);
            }
        }
        self.maps = maps;
    }
}
