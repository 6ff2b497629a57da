//! Areas of effect and cover on the grid.
//!
//! **Areas.** A square is in an area when its centre lies inside the shape, edges included
//! (stated here in place of SRD 5.1's "covers at least half of it", which it matches to within
//! the squares an edge cuts exactly in half). Squares are 5 ft; a square's centre is its
//! position, so square `p` spans `p ± 0.5`. A cone starts at the caster's square edge facing its
//! aim and is as wide as it is far from that point; a cube from the caster sits against the
//! caster's square toward the aim; a cube at a point is centred on that square (even sizes lean
//! up and left); a sphere is centred on the aimed square's centre; a line is 5 ft wide from the
//! caster's square edge. The caster's own square is never in an area it starts.
//!
//! **Cover** (SRD 5.1 "Cover"): half cover (+2 AC and Dexterity saves) when a wall or a
//! creature blocks part of the way, three-quarters (+5) when a wall blocks most of it. On the
//! grid: from the attacker's corner that sees best, lines go to the four corners of the
//! target's square; one or two blocked by walls is half cover, three or more three-quarters;
//! a creature on the straight line between the two squares gives half cover. A target whose
//! centre cannot be seen (see [`MapGrid::line_of_sight`]) cannot be targeted at all.

use crate::grid::{GridPos, MapGrid, SQUARE_FEET};
use crate::spells::Area;
use serde::{Deserialize, Serialize};

/// Squares inside `area` cast by a caster at `caster` aimed at `at` (a square).
pub fn area_squares(area: Area, caster: GridPos, at: GridPos) -> Vec<GridPos> {
    let sq = |feet: u32| feet as f64 / SQUARE_FEET as f64;
    let (cx, cy) = (caster.x as f64, caster.y as f64);
    let dir = {
        // 64-bit differences: any two squares a client can name have a direction.
        let (dx, dy) = (
            (i64::from(at.x) - i64::from(caster.x)) as f64,
            (i64::from(at.y) - i64::from(caster.y)) as f64,
        );
        let len = (dx * dx + dy * dy).sqrt();
        if len == 0.0 {
            (1.0, 0.0)
        } else {
            (dx / len, dy / len)
        }
    };
    let mut out = Vec::new();
    let mut consider = |reach: f64, inside: &dyn Fn(f64, f64) -> bool, around: GridPos| {
        let r = reach.ceil() as i32 + 1;
        for y in around.y - r..=around.y + r {
            for x in around.x - r..=around.x + r {
                let p = GridPos::new(x, y);
                if inside(x as f64, y as f64) && !out.contains(&p) {
                    out.push(p);
                }
            }
        }
    };
    const EPS: f64 = 1e-9;
    match area {
        Area::Cone(feet) | Area::Line(feet) => {
            // The start: where the aim leaves the caster's square (its edge, or corner).
            let edge = 0.5 / dir.0.abs().max(dir.1.abs());
            let (ox, oy) = (cx + dir.0 * edge, cy + dir.1 * edge);
            let length = sq(feet);
            let cone = matches!(area, Area::Cone(_));
            consider(
                length + 1.0,
                &|x, y| {
                    if (x, y) == (cx, cy) {
                        return false;
                    }
                    let (vx, vy) = (x - ox, y - oy);
                    let along = vx * dir.0 + vy * dir.1;
                    let across = (vx * dir.1 - vy * dir.0).abs();
                    let half_width = if cone { along / 2.0 } else { 0.5 };
                    along > 0.0 && along <= length + EPS && across <= half_width + EPS
                },
                caster,
            );
        }
        Area::Sphere(feet) => {
            let r = sq(feet);
            let (ax, ay) = (at.x as f64, at.y as f64);
            consider(
                r,
                &|x, y| (x - ax).powi(2) + (y - ay).powi(2) <= r * r + EPS,
                at,
            );
        }
        Area::Cube(feet) => {
            let n = (feet / SQUARE_FEET).max(1) as i32;
            let (x0, y0) = if at == caster {
                (caster.x - (n - 1) / 2, caster.y - (n - 1) / 2)
            } else {
                // From the caster: against its square, toward the aim's nearest of 8 directions.
                let (ddx, ddy) = (
                    i64::from(at.x) - i64::from(caster.x),
                    i64::from(at.y) - i64::from(caster.y),
                );
                let (sx, sy) = (ddx.signum() as i32, ddy.signum() as i32);
                let (dx, dy) = (ddx.abs(), ddy.abs());
                let (sx, sy) = if dx > 2 * dy {
                    (sx, 0)
                } else if dy > 2 * dx {
                    (0, sy)
                } else {
                    (sx, sy)
                };
                let start = |s: i32, c: i32| match s {
                    1 => c + 1,
                    -1 => c - n,
                    _ => c - (n - 1) / 2,
                };
                (start(sx, caster.x), start(sy, caster.y))
            };
            for y in y0..y0 + n {
                for x in x0..x0 + n {
                    out.push(GridPos::new(x, y));
                }
            }
            out.retain(|p| *p != caster);
        }
    }
    out.sort();
    out
}

/// Squares inside a cube placed at a point (Web): centred on `at`.
pub fn cube_at(feet: u32, at: GridPos) -> Vec<GridPos> {
    let n = (feet / SQUARE_FEET).max(1) as i32;
    let (x0, y0) = (at.x - n / 2, at.y - n / 2);
    (y0..y0 + n)
        .flat_map(|y| (x0..x0 + n).map(move |x| GridPos::new(x, y)))
        .collect()
}

/// How much a target is covered from an attacker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Cover {
    /// Nothing in the way.
    None,
    /// +2 to AC and Dexterity saving throws.
    Half,
    /// +5 to AC and Dexterity saving throws.
    ThreeQuarters,
}

impl Cover {
    /// What it adds to AC and Dexterity saves.
    pub fn bonus(self) -> i32 {
        match self {
            Cover::None => 0,
            Cover::Half => 2,
            Cover::ThreeQuarters => 5,
        }
    }
}

/// The cover `to` has from `from`. `creature_at(p)` says another creature stands on `p`
/// (the attacker and target themselves are ignored).
pub fn cover(
    map: &MapGrid,
    from: GridPos,
    to: GridPos,
    creature_at: impl Fn(GridPos) -> bool,
) -> Cover {
    if from.squares_to(to) <= 1 {
        return Cover::None;
    }
    // Corners pulled in a hair so a line along a wall's face does not count as through it.
    const IN: f64 = 0.49;
    let corners = |p: GridPos| {
        [(-IN, -IN), (IN, -IN), (-IN, IN), (IN, IN)]
            .map(|(dx, dy)| (p.x as f64 + dx, p.y as f64 + dy))
    };
    let blocked = |a: (f64, f64), b: (f64, f64)| {
        let steps = 16 * from.squares_to(to).max(1);
        (1..steps).any(|i| {
            let t = i as f64 / steps as f64;
            let p = GridPos::new(
                (a.0 + (b.0 - a.0) * t).round() as i32,
                (a.1 + (b.1 - a.1) * t).round() as i32,
            );
            p != from && p != to && map.terrain(p).opaque()
        }) || map.wall_between(a, b)
    };
    let fewest = corners(from)
        .into_iter()
        .map(|a| corners(to).into_iter().filter(|b| blocked(a, *b)).count())
        .min()
        .unwrap_or(0);
    let walls = match fewest {
        0 => Cover::None,
        1 | 2 => Cover::Half,
        _ => Cover::ThreeQuarters,
    };
    // A creature on the centre line between the two squares.
    let steps = 4 * from.squares_to(to);
    let creature = (1..steps).any(|i| {
        let t = i as f64 / steps as f64;
        let p = GridPos::new(
            (from.x as f64 + (to.x - from.x) as f64 * t).round() as i32,
            (from.y as f64 + (to.y - from.y) as f64 * t).round() as i32,
        );
        p != from && p != to && creature_at(p)
    });
    if creature {
        walls.max(Cover::Half)
    } else {
        walls
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::Terrain;

    fn p(x: i32, y: i32) -> GridPos {
        GridPos::new(x, y)
    }

    #[test]
    fn a_15_ft_cone_east_fans_out_one_one_three() {
        // Burning Hands, SRD 5.1: "a 15-foot cone". Its width at a distance equals that
        // distance, so 5 ft out it is 5 ft wide (1 square), the third square out is 15 ft wide
        // at its far edge and covers its neighbours' centres.
        let squares = area_squares(Area::Cone(15), p(0, 0), p(5, 0));
        assert_eq!(squares, vec![p(1, 0), p(2, 0), p(3, -1), p(3, 0), p(3, 1)]);
        assert!(!squares.contains(&p(0, 0)), "never the caster");
    }

    #[test]
    fn a_cone_aimed_diagonally_covers_the_diagonal_and_spreads() {
        let squares = area_squares(Area::Cone(15), p(0, 0), p(4, 4));
        // Straight-line distance: 15 ft along the diagonal reaches two squares' centres.
        assert!(
            squares.contains(&p(1, 1)) && squares.contains(&p(2, 2)),
            "{squares:?}"
        );
        assert!(!squares.contains(&p(3, 3)), "{squares:?}");
        assert!(!squares.contains(&p(-1, -1)) && !squares.contains(&p(0, 0)));
        assert!(squares.iter().all(|q| q.x >= 0 && q.y >= 0), "{squares:?}");
    }

    #[test]
    fn a_15_ft_cube_from_the_caster_is_three_by_three_against_its_square() {
        // Thunderwave: "Each creature in a 15-foot cube originating from you".
        let east = area_squares(Area::Cube(15), p(5, 5), p(9, 5));
        assert_eq!(east.len(), 9);
        assert!(
            east.iter()
                .all(|q| (6..=8).contains(&q.x) && (4..=6).contains(&q.y))
        );
        let north_west = area_squares(Area::Cube(15), p(5, 5), p(1, 1));
        assert!(
            north_west
                .iter()
                .all(|q| (2..=4).contains(&q.x) && (2..=4).contains(&q.y))
        );
        assert_eq!(north_west.len(), 9);
    }

    #[test]
    fn a_20_ft_sphere_holds_squares_whose_centres_are_within_20_ft() {
        // Sleep: "within 20 feet of a point you choose".
        let squares = area_squares(Area::Sphere(20), p(0, 0), p(10, 10));
        assert!(
            squares.contains(&p(10, 10))
                && squares.contains(&p(14, 10))
                && squares.contains(&p(12, 13))
        );
        assert!(!squares.contains(&p(15, 10)) && !squares.contains(&p(13, 13)));
        // π·4² ≈ 50 squares; the centre rule gives 49.
        assert_eq!(squares.len(), 49);
    }

    #[test]
    fn a_20_ft_cube_at_a_point_is_four_by_four() {
        // Web: "a 20-foot cube from a point of your choice".
        let squares = cube_at(20, p(10, 10));
        assert_eq!(squares.len(), 16);
        assert!(squares.contains(&p(10, 10)));
    }

    #[test]
    fn a_line_is_one_square_wide() {
        let squares = area_squares(Area::Line(30), p(0, 0), p(10, 0));
        assert_eq!(squares, (1..=6).map(|x| p(x, 0)).collect::<Vec<_>>());
    }

    #[test]
    fn cover_from_walls_and_creatures() {
        let nobody = |_| false;
        let open = MapGrid::open(16, 16);
        assert_eq!(cover(&open, p(1, 5), p(8, 5), nobody), Cover::None);
        assert_eq!(
            cover(&open, p(7, 5), p(8, 5), |q| q == p(6, 5)),
            Cover::None,
            "adjacent: none"
        );
        // A creature on the way: half cover.
        assert_eq!(
            cover(&open, p(1, 5), p(8, 5), |q| q == p(4, 5)),
            Cover::Half
        );
        let mut map = MapGrid::open(16, 16);
        for q in WALLS {
            map.set(p(q.0, q.1), Terrain::Wall);
        }
        for (from, want) in SEEN {
            let got = cover(&map, p(from.0, from.1), TARGET, nobody);
            assert_eq!(got, want, "from {from:?}");
        }
        assert_eq!(Cover::Half.bonus(), 2);
        assert_eq!(Cover::ThreeQuarters.bonus(), 5);
    }

    const TARGET: GridPos = GridPos::new(8, 5);
    /// The target stands in a gap between two wall squares.
    const WALLS: [(i32, i32); 2] = [(7, 4), (7, 6)];
    /// Straight through the gap: nothing; at an angle the walls hide part, then most of it;
    /// from its own side of the wall: nothing.
    const SEEN: [((i32, i32), Cover); 6] = [
        ((1, 5), Cover::None),
        ((1, 2), Cover::Half),
        ((1, 0), Cover::ThreeQuarters),
        ((4, 1), Cover::ThreeQuarters),
        ((8, 1), Cover::None),
        ((12, 2), Cover::None),
    ];
}
