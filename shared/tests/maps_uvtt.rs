//! Universal VTT maps (`.dd2vtt`): the shipped cellar loads with its walls, door and light as
//! segments and a light source; hostile files are refused with a clear error.

use emberkeep_shared::content::{ContentKind, ContentLibrary};
use emberkeep_shared::grid::{GridPos, Light};
use emberkeep_shared::table::Table;

fn lib() -> ContentLibrary {
    ContentLibrary::load_dir(
        &emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets"),
    )
    .unwrap()
}

#[test]
fn the_shipped_cellar_imports_its_walls_door_and_light() {
    let lib = lib();
    let (grid, starts) = lib.map_grid("cellar").expect("the cellar map");
    assert_eq!((grid.width, grid.height), (10, 8));
    assert_eq!(starts.len(), 4);
    // The window draws the file's own picture.
    assert_eq!(grid.art.as_deref(), Some("maps/cellar.dd2vtt"));
    // 4 border + 2 middle + 4 crate sides, and the door.
    assert_eq!(grid.walls.len(), 11);
    assert_eq!(grid.walls.iter().filter(|w| w.door).count(), 1);
    assert_eq!(grid.ambient, Light::Dark);
    assert_eq!(grid.lights.len(), 1);
    assert_eq!(grid.lights[0].bright_ft, 15, "range 3 squares");
    // The middle wall blocks; the open door lets through; the crates block their sides.
    assert_eq!(grid.step_cost(GridPos::new(4, 1), GridPos::new(5, 1)), None);
    assert_eq!(
        grid.step_cost(GridPos::new(4, 3), GridPos::new(5, 3)),
        Some(5),
        "the door"
    );
    assert_eq!(
        grid.step_cost(GridPos::new(6, 5), GridPos::new(7, 5)),
        None,
        "crates"
    );
    assert!(!grid.line_of_sight(GridPos::new(2, 1), GridPos::new(8, 1)));
    assert!(
        grid.line_of_sight(GridPos::new(2, 3), GridPos::new(8, 3)),
        "through the door"
    );
    // An encounter plays on it: through the door the dwarf's darkvision and the lamp show
    // some rats; the one behind the wall does not show.
    let mut t = Table::new(&lib, "wine-cellar", 1, 60_000).unwrap();
    t.update_sight();
    let rats: Vec<_> = t
        .combatants
        .iter()
        .filter(|c| c.source == "giant-rat")
        .map(|c| c.id)
        .collect();
    assert_eq!(rats.len(), 3);
    let behind = t
        .combatants
        .iter()
        .find(|c| c.pos == GridPos::new(6, 6))
        .unwrap()
        .id;
    assert!(!t.party_sees(behind));
    assert!(rats.iter().any(|r| t.party_sees(*r)));
}

fn with_file(json: &str) -> String {
    let map = "(id: \"m\", name: \"M\", uvtt: Some(\"m.dd2vtt\"), party: [(0, 0)])";
    let files = vec![
        ("maps/m.ron".into(), map.to_string(), ContentKind::Map),
        ("maps/m.dd2vtt".into(), json.to_string(), ContentKind::Map),
    ];
    match ContentLibrary::from_sources(&files) {
        Ok(_) => "ok".into(),
        Err(e) => format!("{e:?}"),
    }
}

#[test]
fn hostile_universal_vtt_files_are_refused_with_the_reason() {
    let good = r#"{"resolution": {"map_size": {"x": 4, "y": 3}}, "line_of_sight": [[{"x": 2, "y": 0}, {"x": 2, "y": 3}]]}"#;
    assert_eq!(with_file(good), "ok");
    for (json, why) in [
        ("{not json", "not a Universal VTT file"),
        (
            r#"{"resolution": {"map_size": {"x": 100000, "y": 3}}}"#,
            "1 to 200",
        ),
        (
            r#"{"resolution": {"map_size": {"x": 2.5, "y": 3}}}"#,
            "whole squares",
        ),
        (
            r#"{"resolution": {"map_size": {"x": 4, "y": 3}}, "line_of_sight": [[{"x": 0, "y": 0}, {"x": 1e300, "y": 0}]]}"#,
            "off the 4×3 map",
        ),
        (
            r#"{"resolution": {"map_size": {"x": 4, "y": 3}}, "portals": [{"bounds": [{"x": 1, "y": 1}], "closed": true}]}"#,
            "expected 2 points",
        ),
        (
            r#"{"resolution": {"map_size": {"x": 4, "y": 3}}, "lights": [{"position": {"x": 1, "y": 1}, "range": -4}]}"#,
            "range",
        ),
    ] {
        let got = with_file(json);
        assert!(got.contains(why), "{json}: {got}");
        assert!(got.contains("m.dd2vtt"), "names the file: {got}");
    }
    // A map naming a file that is not there.
    let missing = ContentLibrary::from_sources(&[(
        "maps/m.ron".into(),
        "(id: \"m\", name: \"M\", uvtt: Some(\"gone.uvtt\"))".into(),
        ContentKind::Map,
    )])
    .unwrap_err();
    assert!(format!("{missing:?}").contains("no Universal VTT file `gone.uvtt`"));
}
