//! A map's grid: its squares, party start squares, lights and wall segments, from a
//! [`MapDef`] of any format (RON rows, a Tiled file, a Universal VTT import).

use crate::content::MapDef;
use crate::grid::{GridPos, MapGrid, Terrain};

/// The most wall segments (and doors) a map may have.
pub const MAX_WALLS: usize = 10_000;

/// Builds the grid of a map, or (row, column, message) for the first bad square.
pub fn map_grid(map: &MapDef) -> Result<(MapGrid, Vec<GridPos>), (usize, usize, String)> {
    let height = map.tiles.len();
    if height == 0 {
        return Err((0, 0, "expected at least one row in `tiles`".into()));
    }
    let width = map.tiles[0].chars().count();
    if width == 0 || width > 200 || height > 200 {
        return Err((
            0,
            0,
            format!("map is {width}×{height}: expected 1 to 200 squares each way"),
        ));
    }
    let mut grid = MapGrid::open(width as u32, height as u32);
    let mut spawns = Vec::new();
    for (y, row) in map.tiles.iter().enumerate() {
        if row.chars().count() != width {
            return Err((
                y,
                0,
                format!(
                    "row {} has {} squares: expected {width} like the first row",
                    y + 1,
                    row.chars().count()
                ),
            ));
        }
        for (x, c) in row.chars().enumerate() {
            let p = GridPos::new(x as i32, y as i32);
            let t = match c {
                '#' => Terrain::Wall,
                '.' => Terrain::Floor,
                ':' => Terrain::Difficult,
                '+' => Terrain::Door,
                'P' => {
                    spawns.push(p);
                    Terrain::Floor
                }
                other => {
                    return Err((
                        y,
                        x,
                        format!(
                            "unknown tile `{other}`: expected `#` wall, `.` floor, `:` difficult terrain, `+` door or `P` party start"
                        ),
                    ));
                }
            };
            grid.set(p, t);
        }
    }
    for &(x, y) in &map.party {
        let p = GridPos::new(x, y);
        if !grid.in_bounds(p) || !grid.terrain(p).passable() || spawns.contains(&p) {
            return Err((
                0,
                0,
                format!("party start ({x}, {y}): expected an open square on the map, once"),
            ));
        }
        spawns.push(p);
    }
    grid.ambient = map.ambient;
    for l in &map.lights {
        let at = GridPos::new(l.at.0, l.at.1);
        if !grid.in_bounds(at) || l.bright > 1000 || l.dim.is_some_and(|d| d > 1000) {
            return Err((
                0,
                0,
                format!(
                    "light at ({}, {}): expected a square on the map and radii of at most 1000 ft",
                    l.at.0, l.at.1
                ),
            ));
        }
        grid.lights.push(crate::grid::LightSource {
            at,
            bright_ft: l.bright,
            dim_ft: l.dim.unwrap_or(l.bright),
        });
    }
    let (w, h) = (grid.width as i32 * 100, grid.height as i32 * 100);
    if map.walls.len() > MAX_WALLS {
        return Err((
            0,
            0,
            format!(
                "{} wall segments: expected at most {MAX_WALLS}",
                map.walls.len()
            ),
        ));
    }
    for s in &map.walls {
        let inside = |(x, y): (i32, i32)| (0..=w).contains(&x) && (0..=h).contains(&y);
        if !inside(s.a) || !inside(s.b) {
            return Err((
                0,
                0,
                format!(
                    "wall from {:?} to {:?}: expected both ends on the map (0..={w}, 0..={h} hundredths of a square)",
                    s.a, s.b
                ),
            ));
        }
        grid.walls.push(*s);
    }
    // The window draws the file's own art (a Universal VTT picture, Tiled layers).
    grid.art = map.file.clone();
    Ok((grid, spawns))
}
