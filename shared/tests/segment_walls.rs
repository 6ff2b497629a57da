//! Walls as segments between squares (a Universal VTT map's walls) follow the same rules as
//! wall squares: one rule for movement ([`MapGrid::step_cost`]), sight
//! ([`MapGrid::line_of_sight`]) and cover (SRD 5.1 "Cover": "A target with half cover has a +2
//! bonus to AC … three-quarters cover … +5").

use emberkeep_shared::areas::{Cover, cover};
use emberkeep_shared::grid::{GridPos, MapGrid, Terrain, WallSegment};

const W: u32 = 9;
const H: u32 = 7;

/// A 9×7 room split by column 4, solid but for a doorway at row 3 — once as wall squares, once as segments outlining those squares.
fn rooms() -> (MapGrid, MapGrid) {
    let mut tiles = MapGrid::open(W, H);
    let mut segs = MapGrid::open(W, H);
    for y in (0..3).chain(4..7) {
        tiles.set(GridPos::new(4, y), Terrain::Wall);
    }
    let wall = |a: (i32, i32), b: (i32, i32)| WallSegment {
        a,
        b,
        door: false,
        open: false,
    };
    // Column 4 spans 400..500; the doorway row 3 spans 300..400.
    for (top, bottom) in [(0, 300), (400, 700)] {
        segs.walls.push(wall((400, top), (400, bottom)));
        segs.walls.push(wall((500, top), (500, bottom)));
        segs.walls.push(wall((400, top), (500, top)));
        segs.walls.push(wall((400, bottom), (500, bottom)));
    }
    (tiles, segs)
}

fn squares() -> impl Iterator<Item = GridPos> {
    (0..H as i32).flat_map(|y| (0..W as i32).map(move |x| GridPos::new(x, y)))
}

fn open_square(tiles: &MapGrid, p: GridPos) -> bool {
    tiles.terrain(p) == Terrain::Floor
}

#[test]
fn movement_costs_the_same_through_wall_squares_and_wall_segments() {
    let (tiles, segs) = rooms();
    for from in squares().filter(|p| open_square(&tiles, *p)) {
        let a: std::collections::BTreeMap<_, _> = tiles
            .reachable(from, 200, |_| false, |_| false)
            .into_iter()
            .collect();
        let b = segs.reachable(from, 200, |_| false, |_| false);
        // The squares inside the outlined wall cannot be entered from outside it; a wall
        // square cannot be entered at all: the same squares are reachable at the same cost.
        let b: std::collections::BTreeMap<_, _> = b
            .into_iter()
            .filter(|(p, _)| open_square(&tiles, *p))
            .collect();
        assert_eq!(a, b, "from {from}");
    }
    // Through the doorway only, in both.
    assert_eq!(
        tiles.step_cost(GridPos::new(3, 3), GridPos::new(4, 3)),
        Some(5)
    );
    assert_eq!(
        segs.step_cost(GridPos::new(3, 3), GridPos::new(4, 3)),
        Some(5)
    );
    assert_eq!(segs.step_cost(GridPos::new(3, 2), GridPos::new(4, 2)), None);
    // No slipping diagonally past the wall's end at the doorway's corner.
    assert_eq!(
        tiles.step_cost(GridPos::new(3, 2), GridPos::new(4, 3)),
        None
    );
    assert_eq!(segs.step_cost(GridPos::new(3, 2), GridPos::new(4, 3)), None);
}

#[test]
fn sight_and_cover_agree_along_rows_and_columns() {
    let (tiles, segs) = rooms();
    let open: Vec<GridPos> = squares().filter(|p| open_square(&tiles, *p)).collect();
    let mut checked = 0;
    for &a in &open {
        for &b in &open {
            // Straight lines along a row or a column: exactly the same answer. (Slanted lines
            // that graze a wall's corner may differ: wall squares are sampled, segments exact.)
            if a.x == b.x || a.y == b.y {
                assert_eq!(
                    tiles.line_of_sight(a, b),
                    segs.line_of_sight(a, b),
                    "{a} → {b}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 300);
    // Through the doorway, seen; across the wall, not.
    assert!(segs.line_of_sight(GridPos::new(0, 3), GridPos::new(8, 3)));
    assert!(!segs.line_of_sight(GridPos::new(0, 1), GridPos::new(8, 1)));
    // Cover: a target just past the doorway's edge, shot at from the doorway's line, is partly
    // behind the wall in both maps, by the same corner lines.
    let (from, to) = (GridPos::new(1, 3), GridPos::new(6, 2));
    let none = |_| false;
    assert_eq!(cover(&tiles, from, to, none), cover(&segs, from, to, none));
    assert!(cover(&segs, from, to, none) > Cover::None);
    assert_eq!(
        cover(&segs, GridPos::new(0, 3), GridPos::new(8, 3), none),
        Cover::None
    );
}

#[test]
fn a_door_blocks_while_closed() {
    let mut m = MapGrid::open(4, 1);
    m.walls.push(WallSegment {
        a: (200, 0),
        b: (200, 100),
        door: true,
        open: false,
    });
    let (a, b) = (GridPos::new(1, 0), GridPos::new(2, 0));
    assert_eq!(m.step_cost(a, b), None);
    assert!(!m.line_of_sight(GridPos::new(0, 0), GridPos::new(3, 0)));
    m.walls[0].open = true;
    assert_eq!(m.step_cost(a, b), Some(5));
    assert!(m.line_of_sight(GridPos::new(0, 0), GridPos::new(3, 0)));
}

#[test]
fn a_map_file_draws_segments_and_refuses_them_off_the_map() {
    use emberkeep_shared::content::{ContentKind, ContentLibrary};
    let file = |walls: &str| {
        format!("(id: \"m\", name: \"M\", tiles: [\"P....\", \".....\"], walls: [{walls}])")
    };
    let ok = ContentLibrary::from_sources(&[(
        "maps/m.ron".into(),
        file("(a: (300, 0), b: (300, 200)), (a: (100, 0), b: (100, 100), door: true)"),
        ContentKind::Map,
    )])
    .unwrap();
    let (grid, _) = ok.map_grid("m").unwrap();
    assert_eq!(grid.walls.len(), 2);
    assert_eq!(grid.step_cost(GridPos::new(2, 0), GridPos::new(3, 0)), None);
    let bad = ContentLibrary::from_sources(&[(
        "maps/m.ron".into(),
        file("(a: (300, 0), b: (300, 900))"),
        ContentKind::Map,
    )])
    .unwrap_err();
    let text = format!("{bad:?}");
    assert!(text.contains("expected both ends on the map"), "{text}");
    assert!(text.contains("maps/m.ron"), "{text}");
}
