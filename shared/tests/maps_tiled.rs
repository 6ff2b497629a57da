//! Maps drawn in Tiled (`.tmx`, `.tmj`): the conventions (tile property `terrain`, object
//! classes `Spawn`, `Exit`, `Trigger`, `PointOfInterest`, `Light`, `Door`, `Wall`), what
//! encounters and scenes get from them, and the shipped maps converted from RON, square for
//! square. Bad and hostile files are in `maps_tiled_errors.rs`.

mod maps_common;

use emberkeep_shared::adventure::{Outcome, PointKind, When};
use emberkeep_shared::content::{ContentKind, ContentLibrary, LightDef};
use emberkeep_shared::grid::{GridPos, Terrain, WallSegment};
use emberkeep_shared::table::Table;
use maps_common::{assets_with, load, shipped};

/// The keep: ground (with a water square from an embedded tileset) and an overlay layer.
const GROUND: [&str; 7] = [
    "########", "#......#", "#..~...#", "###.####", "#......#", "#......#", "########",
];
/// Above the ground: a floor tile over the water (the water stays), a wall at (6, 1).
const OVERLAY: [&str; 7] = [
    "        ", "      # ", "   .    ", "        ", "        ", "        ", "        ",
];
/// What the keep's squares come to: water is difficult terrain, the Door object's square a
/// doorway.
const KEEP: [&str; 7] = [
    "########", "#.....##", "#..:...#", "###+####", "#......#", "#......#", "########",
];

fn gid(c: char) -> u32 {
    match c {
        '.' => 1,
        '#' => 2,
        ':' => 3,
        '+' => 4,
        '~' => 5,
        _ => 0,
    }
}

fn csv(rows: &[&str]) -> String {
    rows.iter()
        .map(|r| {
            r.chars()
                .map(|c| gid(c).to_string())
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect::<Vec<_>>()
        .join(",\n")
}

const OBJECTS: &str = r#"
  <object id="1" class="Spawn" x="32" y="32" width="64" height="64">
   <properties><property name="side" value="party"/></properties>
  </object>
  <object id="2" type="Spawn" x="176" y="48">
   <properties>
    <property name="side" value="foe"/>
    <property name="creature" value="goblin"/>
    <property name="name" value="Snag"/>
    <property name="hidden" type="bool" value="true"/>
   </properties>
   <point/>
  </object>
  <object id="3" type="Spawn" x="176" y="144">
   <properties><property name="side" value="foe"/></properties>
   <point/>
  </object>
  <object id="4" name="east" type="Exit" x="192" y="128" width="32" height="64">
   <properties>
    <property name="to" value="yard"/>
    <property name="label" value="The east gate"/>
   </properties>
  </object>
  <object id="5" name="gate" type="Door" x="112" y="112">
   <properties>
    <property name="locked" type="bool" value="true"/>
    <property name="dc" type="int" value="12"/>
   </properties>
   <point/>
  </object>
  <object id="6" type="Light" x="176" y="176">
   <properties><property name="radius" type="int" value="20"/></properties>
   <point/>
  </object>
  <object id="7" name="altar" type="PointOfInterest" x="48" y="176">
   <properties>
    <property name="kind" value="altar"/>
    <property name="label" value="Old altar"/>
    <property name="text" value="Cold stone."/>
   </properties>
   <point/>
  </object>
  <object id="8" type="Trigger" x="32" y="128" width="192" height="64">
   <properties><property name="say" value="You hear dripping."/></properties>
  </object>
  <object id="9" name="a note for the mapmaker" x="0" y="0"><point/></object>"#;

fn keep_tmx(objects: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<map version="1.10" orientation="orthogonal" renderorder="right-down" width="8" height="7" tilewidth="32" tileheight="32" infinite="0">
 <properties><property name="name" value="Keep of Tests"/></properties>
 <tileset firstgid="1" source="tiles.tsx"/>
 <tileset firstgid="5" name="extra" tilewidth="32" tileheight="32" tilecount="2" columns="2">
  <image source="../art/tiles.png" width="64" height="32"/>
  <tile id="0"><properties><property name="terrain" value="water"/></properties></tile>
 </tileset>
 <layer id="1" name="Ground" width="8" height="7"><data encoding="csv">
{}
</data></layer>
 <layer id="2" name="Overlay" width="8" height="7"><data encoding="csv">
{}
</data></layer>
 <objectgroup id="3" name="Objects">{objects}
 </objectgroup>
</map>
"#,
        csv(&GROUND),
        csv(&OVERLAY)
    )
}

const YARD: &str =
    "(id: \"yard\", name: \"Yard\", tiles: [\"#####\", \"#PPP#\", \"#P..#\", \"#####\"])";

const ENCOUNTER: &str = r#"(
    id: "keep-fight", name: "Keep fight", intro: "A test.", map: "keep",
    party: ["fighter", "rogue", "cleric", "wizard"],
    foes: [(creature: "kobold", at: (4, 5))],
    start: Proximity(3),
)"#;

const ADVENTURE: &str = r#"(
    id: "delve", name: "Delve", intro: "A test.", party: ["fighter", "rogue", "cleric", "wizard"],
    start: "keep", ending: "Done.",
)"#;

const SCENE_KEEP: &str = r#"(
    id: "keep", name: "The keep", map: "keep", description: "Stone.",
    foes: [(creature: "kobold", at: (4, 5))],
    points: [(id: "altar", name: "Scene altar", kind: Altar, at: (1, 5))],
)"#;

const SCENE_YARD: &str = r#"(
    id: "yard", name: "The yard", map: "yard", description: "Mud.",
    exits: [(id: "back", name: "Back", to: "keep", at: [(1, 1)])],
)"#;

fn keep_files(map_file: &'static str, map: String) -> Vec<(&'static str, String)> {
    vec![
        (map_file, map),
        ("maps/yard.ron", YARD.into()),
        ("encounters/keep-fight.ron", ENCOUNTER.into()),
        ("adventures/delve/adventure.ron", ADVENTURE.into()),
        ("adventures/delve/keep.ron", SCENE_KEEP.into()),
        ("adventures/delve/yard.ron", SCENE_YARD.into()),
    ]
}

fn load_keep(test: &str, map_file: &'static str, map: String) -> ContentLibrary {
    let files = keep_files(map_file, map);
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    load(&assets_with(test, &files)).unwrap_or_else(|e| panic!("{e}"))
}

/// The gate's leaf: across the middle of its doorway (3, 3), from wall to wall.
const GATE_LEAF: WallSegment = WallSegment {
    a: (300, 350),
    b: (400, 350),
    door: true,
    open: false,
};

fn squares(list: &[(i32, i32)]) -> Vec<GridPos> {
    list.iter().map(|&(x, y)| GridPos::new(x, y)).collect()
}

#[test]
fn tile_layers_give_the_squares_the_topmost_terrain_other_than_floor_winning() {
    let lib = load_keep("layers", "maps/keep.tmx", keep_tmx(OBJECTS));
    let map = &lib.maps["keep"];
    assert_eq!(
        map.tiles, KEEP,
        "water reads as difficult terrain; a floor tile above it changes nothing"
    );
    assert_eq!(map.name, "Keep of Tests");
    assert_eq!(map.file.as_deref(), Some("maps/keep.tmx"));
    assert_eq!(
        map.party,
        vec![(1, 1), (2, 1), (1, 2), (2, 2)],
        "party Spawn squares are the map's party start squares"
    );
    assert_eq!(map.walls, vec![GATE_LEAF], "the Door object's closed leaf");
    let (grid, starts) = lib.map_grid("keep").unwrap();
    assert_eq!(grid.terrain(GridPos::new(3, 2)), Terrain::Difficult);
    assert_eq!(grid.terrain(GridPos::new(6, 1)), Terrain::Wall);
    // SRD 5.1 "Difficult Terrain": "Every foot of movement in difficult terrain costs 1 extra foot."
    assert_eq!(
        grid.step_cost(GridPos::new(2, 2), GridPos::new(3, 2)),
        Some(10)
    );
    assert_eq!(
        starts,
        squares(&[(1, 1), (2, 1), (1, 2), (2, 2)]),
        "a party Spawn rectangle: every square it covers, row by row"
    );
    assert_eq!(
        map.lights,
        vec![LightDef {
            at: (5, 5),
            bright: 20,
            dim: None
        }]
    );
}

#[test]
fn an_encounter_gets_the_maps_foes_after_its_own_and_starts_on_its_spawns() {
    let lib = load_keep("encounter", "maps/keep.tmx", keep_tmx(OBJECTS));
    let foes = &lib.encounters["keep-fight"].foes;
    let got: Vec<_> = foes
        .iter()
        .map(|f| (f.creature.as_str(), f.name.as_deref(), f.at, f.hidden))
        .collect();
    assert_eq!(
        got,
        vec![
            ("kobold", None, (4, 5), false),
            ("goblin", Some("Snag"), (5, 1), true)
        ],
        "the Spawn without a creature only marks a square"
    );
    let t = Table::new(&lib, "keep-fight", 1, 60_000).unwrap();
    let party: Vec<GridPos> = t.combatants.iter().take(4).map(|c| c.pos).collect();
    assert_eq!(party, squares(&[(1, 1), (2, 1), (1, 2), (2, 2)]));
    assert_eq!(t.map.terrain(GridPos::new(3, 3)), Terrain::Door);
    assert_eq!(
        t.map.step_cost(GridPos::new(3, 2), GridPos::new(3, 3)),
        None,
        "nothing is opened in an encounter: the door's leaf stays shut"
    );
}

#[test]
fn a_scene_gets_the_maps_exits_doors_points_and_triggers_and_its_own_win_by_id() {
    let lib = load_keep("scene", "maps/keep.tmx", keep_tmx(OBJECTS));
    let scene = &lib.adventures["delve"].scenes["keep"];
    let exit = scene.exits.iter().find(|e| e.id == "east").unwrap();
    assert_eq!(
        (exit.name.as_str(), exit.to.as_str(), exit.at.clone()),
        ("The east gate", "yard", vec![(6, 4), (6, 5)])
    );
    let altar: Vec<_> = scene.points.iter().filter(|p| p.id == "altar").collect();
    assert_eq!(altar.len(), 1);
    assert_eq!(
        altar[0].name, "Scene altar",
        "the scene file's point replaces the map's"
    );
    let gate = scene.points.iter().find(|p| p.id == "gate").unwrap();
    assert_eq!(gate.kind, PointKind::Door);
    assert_eq!((gate.at, gate.wall), ((3, 3), Some(GATE_LEAF)));
    let lock = gate.lock.as_ref().unwrap();
    assert_eq!((lock.pick_dc, lock.force_dc), (Some(12), Some(12)));
    assert_eq!(scene.triggers.len(), 1);
    assert_eq!(scene.triggers[0].when, When::Enter((1, 4), (6, 5)));
    assert_eq!(
        scene.triggers[0].then,
        vec![Outcome::Say("You hear dripping.".into())]
    );
    assert_eq!(scene.foes.len(), 2);
    let t = Table::new_adventure(&lib, "delve", 1, 60_000, None).unwrap();
    assert_eq!(
        t.map.step_cost(GridPos::new(3, 2), GridPos::new(3, 3)),
        None,
        "the map's door is closed until opened"
    );
    assert!(!t.map.line_of_sight(GridPos::new(3, 2), GridPos::new(3, 4)));
    assert_eq!(t.map.lights.len(), 1);
}

/// The keep as Tiled writes it in JSON.
fn keep_tmj() -> String {
    let gids = |rows: &[&str]| {
        rows.iter()
            .flat_map(|r| r.chars().map(gid))
            .collect::<Vec<_>>()
    };
    let prop = |name: &str, ty: &str, value: serde_json::Value| serde_json::json!({"name": name, "type": ty, "value": value});
    let obj = |id: u32,
               name: &str,
               class: &str,
               x: f64,
               y: f64,
               size: Option<(f64, f64)>,
               props: Vec<serde_json::Value>| {
        let mut o = serde_json::json!({"id": id, "name": name, "type": class, "x": x, "y": y, "rotation": 0, "visible": true, "properties": props});
        match size {
            Some((w, h)) => {
                o["width"] = w.into();
                o["height"] = h.into();
            }
            None => o["point"] = true.into(),
        }
        o
    };
    let s = |v: &str| serde_json::Value::from(v);
    serde_json::json!({
        "type": "map", "orientation": "orthogonal", "width": 8, "height": 7,
        "tilewidth": 32, "tileheight": 32, "infinite": false,
        "properties": [prop("name", "string", s("Keep of Tests"))],
        "tilesets": [
            {"firstgid": 1, "source": "tiles.tsx"},
            {"firstgid": 5, "name": "extra", "tilewidth": 32, "tileheight": 32, "tilecount": 2, "columns": 2,
             "image": "../art/tiles.png", "imagewidth": 64, "imageheight": 32,
             "tiles": [{"id": 0, "properties": [prop("terrain", "string", s("water"))]}]}
        ],
        "layers": [
            {"type": "tilelayer", "name": "Ground", "width": 8, "height": 7, "data": gids(&GROUND)},
            {"type": "group", "name": "Above", "layers": [
                {"type": "tilelayer", "name": "Overlay", "width": 8, "height": 7, "data": gids(&OVERLAY)}
            ]},
            {"type": "objectgroup", "name": "Objects", "objects": [
                obj(1, "", "Spawn", 32.0, 32.0, Some((64.0, 64.0)), vec![prop("side", "string", s("party"))]),
                obj(2, "", "Spawn", 176.0, 48.0, None, vec![prop("side", "string", s("foe")), prop("creature", "string", s("goblin")), prop("name", "string", s("Snag")), prop("hidden", "bool", true.into())]),
                obj(3, "", "Spawn", 176.0, 144.0, None, vec![prop("side", "string", s("foe"))]),
                obj(4, "east", "Exit", 192.0, 128.0, Some((32.0, 64.0)), vec![prop("to", "string", s("yard")), prop("label", "string", s("The east gate"))]),
                obj(5, "gate", "Door", 112.0, 112.0, None, vec![prop("locked", "bool", true.into()), prop("dc", "int", 12.into())]),
                obj(6, "", "Light", 176.0, 176.0, None, vec![prop("radius", "int", 20.into())]),
                obj(7, "altar", "PointOfInterest", 48.0, 176.0, None, vec![prop("kind", "string", s("altar")), prop("label", "string", s("Old altar")), prop("text", "string", s("Cold stone."))]),
                obj(8, "", "Trigger", 32.0, 128.0, Some((192.0, 64.0)), vec![prop("say", "string", s("You hear dripping."))]),
            ]}
        ]
    })
    .to_string()
}

#[test]
fn a_tmj_map_reads_as_the_same_tmx_map() {
    let xml = load_keep("same-xml", "maps/keep.tmx", keep_tmx(OBJECTS));
    let json = load_keep("same-json", "maps/keep.tmj", keep_tmj());
    let mut from_json = json.maps["keep"].clone();
    assert_eq!(from_json.file.as_deref(), Some("maps/keep.tmj"));
    from_json.file = xml.maps["keep"].file.clone();
    assert_eq!(from_json, xml.maps["keep"]);
    assert_eq!(json.adventures["delve"], xml.adventures["delve"]);
}

/// The rows of the RON maps the shipped Tiled maps replaced.
const DEN_RON: [&str; 12] = [
    "####################",
    "#####......::....###",
    "###......#.......:.#",
    "##.....:.##........#",
    "#.....::...........#",
    "#P.....:.......#...#",
    "#PP..........:.##..#",
    "#P.......:.........#",
    "##.......::......:.#",
    "###.....#.........##",
    "####.............###",
    "####################",
];
const VILLAGE_RON: [&str; 16] = [
    "############################",
    "#.......####....##.###.....#",
    "#.......####....##.#.......#",
    "#..#..#.#::......:.+.......#",
    "#.......+:.......::#.......#",
    "#.......#....##....#.......#",
    "#.......#....##....#.......#",
    "####+####..........####+####",
    "#..........................#",
    "#:#:..#.........:::........#",
    "#:::......###...::.........#",
    "######....###..........#####",
    "######::............::.#####",
    "######.:.....PPPP...:..#####",
    "######.......PPPP......#####",
    "############################",
];

#[test]
fn the_shipped_den_and_village_load_from_tiled_with_the_squares_of_their_ron_maps() {
    let lib = ContentLibrary::load_dir(&shipped()).unwrap();
    for (id, ron, name, tileset) in [
        ("den", &DEN_RON[..], "The Wolf Den", "cave"),
        (
            "ember-village",
            &VILLAGE_RON[..],
            "Ashwick Green",
            "village",
        ),
    ] {
        let map = &lib.maps[id];
        assert_eq!(map.file.as_deref(), Some(format!("maps/{id}.tmx").as_str()));
        assert_eq!((map.name.as_str(), map.tileset.as_str()), (name, tileset));
        let (grid, starts) = lib.map_grid(id).unwrap();
        // The window draws the Tiled file's own layers; a RON map has none.
        assert_eq!(grid.art.as_deref(), Some(format!("maps/{id}.tmx").as_str()));
        let mut grid = grid;
        grid.art = None;
        let rows: Vec<String> = ron.iter().map(|r| format!("{r:?}")).collect();
        let ron_map = format!(
            "(id: {id:?}, name: {name:?}, tileset: {tileset:?}, tiles: [{}])",
            rows.join(", ")
        );
        let ron_lib = ContentLibrary::from_sources(&[(
            format!("maps/{id}.ron").into(),
            ron_map,
            ContentKind::Map,
        )])
        .unwrap();
        assert_eq!(
            ron_lib.map_grid(id).unwrap(),
            (grid.clone(), starts.clone()),
            "{id}: the same grid (squares, light, walls) and start squares as the RON map"
        );
        let mut ron_starts = Vec::new();
        for (y, row) in ron.iter().enumerate() {
            for (x, c) in row.chars().enumerate() {
                let p = GridPos::new(x as i32, y as i32);
                let expected = match c {
                    '#' => Terrain::Wall,
                    ':' => Terrain::Difficult,
                    '+' => Terrain::Door,
                    _ => Terrain::Floor,
                };
                assert_eq!(grid.terrain(p), expected, "{id} at {p}");
                if c == 'P' {
                    ron_starts.push(p);
                }
            }
        }
        assert_eq!(
            starts, ron_starts,
            "{id}: the same start squares in the same order"
        );
    }
}

#[test]
fn a_map_id_defined_twice_is_a_clear_error() {
    let ron = "(id: \"den\", name: \"Den\", tiles: [\"#P#\"])";
    let den = std::fs::read_to_string(shipped().join("maps/den.tmx")).unwrap();
    let err = load(&assets_with(
        "twice",
        &[("maps/den.ron", ron), ("maps/den.tmx", &den)],
    ))
    .unwrap_err()
    .to_string();
    assert!(err.contains("map id `den` is defined twice"), "{err}");
    assert!(err.contains("den.ron") && err.contains("den.tmx"), "{err}");
}
