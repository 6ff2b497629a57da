//! Doors drawn as wall segments, opened at the table: a Tiled `Door` object's leaf and a
//! Universal VTT file's closed portal are `Door` points in every scene on their map; opening
//! one opens its segment, so movement, line of sight and the party's sight pass through it
//! after and not before; a locked one needs its key, a pick or force, as a square door does.

mod maps_common;

use emberkeep_shared::adventure::PointKind;
use emberkeep_shared::content::ContentLibrary;
use emberkeep_shared::grid::{GridPos, WallSegment};
use emberkeep_shared::table::{Action, Approach, CombatantId, Table};
use maps_common::with_shipped;

const ADVENTURE: &str = r#"(
    id: "doors", name: "Doors", intro: "A test.", party: ["fighter", "rogue", "cleric", "wizard"],
    start: "rooms", ending: "Done.",
)"#;

/// Two rooms, a doorway between them at (3, 3) with a `Door` object on it.
const HALL_TMX: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<map version="1.10" orientation="orthogonal" width="7" height="7" tilewidth="32" tileheight="32" infinite="0">
 <tileset firstgid="1" source="tiles.tsx"/>
 <layer id="1" name="Terrain" width="7" height="7"><data encoding="csv">
2,2,2,2,2,2,2,
2,1,1,1,1,1,2,
2,1,1,1,1,1,2,
2,2,2,1,2,2,2,
2,1,1,1,1,1,2,
2,1,1,1,1,1,2,
2,2,2,2,2,2,2
</data></layer>
 <objectgroup id="2" name="Objects">
  <object id="1" type="Spawn" x="32" y="32" width="64" height="64">
   <properties><property name="side" value="party"/></properties>
  </object>
  <object id="2" name="gate" type="Door" x="112" y="112"><point/></object>
 </objectgroup>
</map>
"#;

fn scene(map: &str, points: &str) -> String {
    format!(
        r#"(id: "rooms", name: "Rooms", map: "{map}", description: "Two rooms.", points: [{points}])"#
    )
}

/// Two rooms side by side, a wall between them at x = 3 with a closed portal in it at row 1.
const VAULT_VTT: &str = r#"{
 "format": 0.3,
 "resolution": {"map_origin": {"x": 0, "y": 0}, "map_size": {"x": 6, "y": 3}, "pixels_per_grid": 64},
 "line_of_sight": [[{"x": 3, "y": 0}, {"x": 3, "y": 1}], [{"x": 3, "y": 2}, {"x": 3, "y": 3}]],
 "portals": [{"position": {"x": 3, "y": 1.5}, "bounds": [{"x": 3, "y": 1}, {"x": 3, "y": 2}],
   "rotation": 0, "closed": true, "freestanding": false}],
 "lights": []
}"#;

const VAULT_RON: &str = r#"(id: "vault", name: "Vault", uvtt: Some("vault.dd2vtt"),
    party: [(0, 0), (1, 0), (0, 2), (1, 2)])"#;

fn hall(points: &str) -> ContentLibrary {
    with_shipped(&[
        ("maps/hall.tmx", HALL_TMX),
        ("adventures/doors/adventure.ron", ADVENTURE),
        ("adventures/doors/rooms.ron", &scene("hall", points)),
    ])
    .unwrap_or_else(|e| panic!("{e}"))
}

fn vault(points: &str) -> ContentLibrary {
    with_shipped(&[
        ("maps/vault.ron", VAULT_RON),
        ("maps/vault.dd2vtt", VAULT_VTT),
        ("adventures/doors/adventure.ron", ADVENTURE),
        ("adventures/doors/rooms.ron", &scene("vault", points)),
    ])
    .unwrap_or_else(|e| panic!("{e}"))
}

fn pc(t: &Table, source: &str) -> CombatantId {
    t.combatants.iter().find(|c| c.source == source).unwrap().id
}

fn put(t: &mut Table, id: CombatantId, x: i32, y: i32) {
    t.combatants.iter_mut().find(|c| c.id == id).unwrap().pos = GridPos::new(x, y);
}

fn open(t: &mut Table, who: CombatantId, door: &str, approach: Approach) {
    let action = Action::Interact {
        target: door.into(),
        approach,
    };
    t.submit(who, action, 0)
        .unwrap_or_else(|r| panic!("{}", r.reason));
}

fn sees(t: &Table, x: i32, y: i32) -> bool {
    t.sight.contains(GridPos::new(x, y))
}

#[test]
fn a_tiled_door_opened_at_the_table_lets_movement_and_sight_through() {
    let mut t = Table::new_adventure(&hall(""), "doors", 1, 60_000, None).unwrap();
    let (near, far) = (GridPos::new(3, 2), GridPos::new(3, 4));
    let fighter = pc(&t, "fighter");
    put(&mut t, fighter, 3, 2);
    t.update_sight();
    assert_eq!(t.map.step_cost(near, GridPos::new(3, 3)), None, "closed");
    assert!(!t.map.line_of_sight(near, far));
    assert!(!sees(&t, 3, 5), "the far room is unseen");
    let known: Vec<String> = t.known_points().into_iter().map(|p| p.id).collect();
    assert_eq!(
        known,
        vec!["gate"],
        "the door is known from beside its leaf"
    );
    open(&mut t, fighter, "gate", Approach::Use);
    let leaf = t.map.walls.iter().find(|w| w.door).unwrap();
    assert!(leaf.open, "its segment is open");
    assert_eq!(t.map.step_cost(near, GridPos::new(3, 3)), Some(5));
    assert!(t.map.line_of_sight(near, far));
    assert!(t.update_sight(), "the sight changes with the door");
    assert!(sees(&t, 3, 5), "through the open door");
    let path = vec![GridPos::new(3, 3), far];
    t.submit(fighter, Action::Move { path }, 0).unwrap();
    assert_eq!(t.combatant(fighter).unwrap().pos, far);
}

#[test]
fn a_closed_universal_vtt_portal_is_a_door_the_party_opens() {
    let lib = vault("");
    let map = &lib.maps["vault"];
    assert_eq!(map.file.as_deref(), Some("maps/vault.dd2vtt"));
    let scene = &lib.adventures["doors"].scenes["rooms"];
    let door = scene.points.iter().find(|p| p.id == "door-1").unwrap();
    let leaf = WallSegment {
        a: (300, 100),
        b: (300, 200),
        door: true,
        open: false,
    };
    assert_eq!(
        (door.kind, door.at, door.wall),
        (PointKind::Door, (2, 1), Some(leaf)),
        "a Door point beside the portal, its leaf the portal"
    );
    let mut t = Table::new_adventure(&lib, "doors", 1, 60_000, None).unwrap();
    let (west, east) = (GridPos::new(2, 1), GridPos::new(3, 1));
    t.update_sight();
    assert_eq!(t.map.step_cost(west, east), None);
    assert!(!t.map.line_of_sight(GridPos::new(1, 1), GridPos::new(4, 1)));
    assert!(
        !sees(&t, 4, 1) && !sees(&t, 5, 1),
        "the east room is unseen"
    );
    let rogue = pc(&t, "rogue");
    put(&mut t, rogue, 2, 1);
    open(&mut t, rogue, "door-1", Approach::Use);
    assert_eq!(t.map.step_cost(west, east), Some(5));
    assert!(t.map.line_of_sight(GridPos::new(1, 1), GridPos::new(4, 1)));
    t.update_sight();
    assert!(
        sees(&t, 4, 1) && sees(&t, 5, 1),
        "seen through the open portal"
    );
}

#[test]
fn a_locked_segment_door_needs_its_key_or_a_pick_or_force() {
    // The scene names the portal's door to lock it; it keeps the portal as its leaf.
    let lock = r#"(id: "door-1", name: "Vault door", kind: Door, at: (2, 1),
        lock: Some((key: Some("vault-key"), pick_dc: Some(30), force_dc: Some(30))))"#;
    let lib = vault(lock);
    let scene = &lib.adventures["doors"].scenes["rooms"];
    let doors: Vec<_> = scene.points.iter().filter(|p| p.id == "door-1").collect();
    assert_eq!(doors.len(), 1, "the scene's door replaces the map's");
    assert!(doors[0].wall.is_some(), "and keeps its leaf");
    let mut t = Table::new_adventure(&lib, "doors", 1, 60_000, None).unwrap();
    let (west, east) = (GridPos::new(2, 1), GridPos::new(3, 1));
    let fighter = pc(&t, "fighter");
    put(&mut t, fighter, 2, 1);
    let locked = t
        .submit(
            fighter,
            Action::Interact {
                target: "door-1".into(),
                approach: Approach::Use,
            },
            0,
        )
        .unwrap_err();
    assert!(locked.reason.contains("locked"), "{}", locked.reason);
    // DC 30: a level-1 fighter cannot force it (d20 + 5 at most 25).
    open(&mut t, fighter, "door-1", Approach::Force);
    assert_eq!(t.map.step_cost(west, east), None, "still shut");
    t.combatants
        .iter_mut()
        .find(|c| c.id == fighter)
        .unwrap()
        .items
        .push("vault-key".into());
    open(&mut t, fighter, "door-1", Approach::Use);
    assert_eq!(t.map.step_cost(west, east), Some(5), "the key opens it");
}

#[test]
fn an_encounter_keeps_a_closed_portal_shut() {
    let encounter = r#"(id: "vault-fight", name: "Vault fight", intro: "A test.", map: "vault",
        party: ["fighter"], foes: [(creature: "kobold", at: (5, 1))], start: Ambush)"#;
    let lib = with_shipped(&[
        ("maps/vault.ron", VAULT_RON),
        ("maps/vault.dd2vtt", VAULT_VTT),
        ("encounters/vault-fight.ron", encounter),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let t = Table::new(&lib, "vault-fight", 1, 60_000).unwrap();
    assert_eq!(
        t.map.step_cost(GridPos::new(2, 1), GridPos::new(3, 1)),
        None
    );
}
