//! The battle grid: squares of 5 feet, walls, difficult terrain, doors, distance, line of sight
//! and shortest paths. Movement follows the SRD's simple rule: every square, diagonal or not,
//! costs 5 feet, and entering difficult terrain costs 5 more.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, BinaryHeap, HashMap};

/// Feet per grid square.
pub const SQUARE_FEET: u32 = 5;

/// A square on the grid, (0, 0) at the top left.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
pub struct GridPos {
    /// Column.
    pub x: i32,
    /// Row.
    pub y: i32,
}

impl GridPos {
    /// Makes a position.
    pub const fn new(x: i32, y: i32) -> Self {
        Self { x, y }
    }

    /// Distance in squares (diagonals count as one, as the SRD's grid rule says).
    /// Any two positions a client can name have a distance: the difference is taken in 64 bits
    /// and saturates, so squares near `i32::MIN` and `i32::MAX` cannot overflow.
    pub fn squares_to(self, other: GridPos) -> u32 {
        let dx = (i64::from(self.x) - i64::from(other.x)).unsigned_abs();
        let dy = (i64::from(self.y) - i64::from(other.y)).unsigned_abs();
        u32::try_from(dx.max(dy)).unwrap_or(u32::MAX)
    }

    /// Distance in feet (saturating).
    pub fn feet_to(self, other: GridPos) -> u32 {
        self.squares_to(other).saturating_mul(SQUARE_FEET)
    }

    /// True when `other` is one of the 8 neighbouring squares.
    pub fn is_adjacent(self, other: GridPos) -> bool {
        self != other && self.squares_to(other) == 1
    }

    /// The 8 neighbouring squares.
    pub fn neighbours(self) -> impl Iterator<Item = GridPos> {
        const D: [(i32, i32); 8] = [
            (-1, -1),
            (0, -1),
            (1, -1),
            (-1, 0),
            (1, 0),
            (-1, 1),
            (0, 1),
            (1, 1),
        ];
        D.into_iter().filter_map(move |(dx, dy)| {
            Some(GridPos::new(
                self.x.checked_add(dx)?,
                self.y.checked_add(dy)?,
            ))
        })
    }
}

impl std::fmt::Display for GridPos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "({}, {})", self.x, self.y)
    }
}

/// What a square is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Terrain {
    /// Open floor.
    Floor,
    /// Blocks movement and sight.
    Wall,
    /// Costs double movement (rubble, undergrowth, shallow water).
    Difficult,
    /// An open doorway: passable, does not block sight.
    Door,
    /// A closed door (an adventure's door not yet opened): blocks movement and sight.
    Closed,
    /// A trap the party has found and not disarmed: nobody walks onto it on purpose, but it
    /// does not block sight.
    Trap,
}

impl Terrain {
    /// Whether a creature can stand here.
    pub fn passable(self) -> bool {
        !matches!(self, Terrain::Wall | Terrain::Closed | Terrain::Trap)
    }

    /// Whether it blocks sight (and gives cover).
    pub fn opaque(self) -> bool {
        matches!(self, Terrain::Wall | Terrain::Closed)
    }
}

/// A rectangular grid of terrain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapGrid {
    /// Width in squares.
    pub width: u32,
    /// Height in squares.
    pub height: u32,
    /// Row-major terrain, `width * height` squares.
    pub cells: Vec<Terrain>,
    /// Squares a lasting spell makes difficult terrain for now (Web's webs), over `cells`.
    /// The table rewrites it from its spells' areas whenever they change; [`MapGrid::step_cost`]
    /// counts it, so a path costs the same on the server, in a client's preview and in the
    /// tactics.
    #[serde(default)]
    pub spell_difficult: BTreeSet<GridPos>,
    /// The light everywhere no light source reaches (a sunlit road: bright; a cave: dark).
    #[serde(default)]
    pub ambient: Light,
    /// Light sources (torches, braziers, a glowing kiln).
    #[serde(default)]
    pub lights: Vec<LightSource>,
    /// Walls and doors drawn as segments between squares (a Universal VTT map's walls), beside
    /// the wall squares in `cells`: the same rules of movement, sight and cover apply to both.
    #[serde(default)]
    pub walls: Vec<WallSegment>,
    /// The map's own picture for a window to draw, relative to the assets folder
    /// (`maps/cellar.dd2vtt`); none for a map drawn with the shipped tiles.
    #[serde(default)]
    pub art: Option<String>,
}

/// A wall or door as a segment, in hundredths of a square from the map's top-left corner (the
/// corner of square (0, 0); square (x, y) spans x..x+1, y..y+1 in squares).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WallSegment {
    /// One end.
    pub a: (i32, i32),
    /// The other end.
    pub b: (i32, i32),
    /// A door (a portal): it blocks only while closed.
    #[serde(default)]
    pub door: bool,
    /// An open door.
    #[serde(default)]
    pub open: bool,
}

impl WallSegment {
    /// Its ends in the coordinates of square centres (square (x, y)'s centre is (x, y)).
    fn ends(&self) -> ((f64, f64), (f64, f64)) {
        let c = |(x, y): (i32, i32)| (x as f64 / 100.0 - 0.5, y as f64 / 100.0 - 0.5);
        (c(self.a), c(self.b))
    }

    /// Whether it stands in the way now (a wall, or a closed door).
    pub fn blocks(&self) -> bool {
        !(self.door && self.open)
    }

    /// Whether it runs between the same two points as `other`, either way round (a door's
    /// leaf matches its segment open or closed).
    pub fn same_line(&self, other: &WallSegment) -> bool {
        (self.a, self.b) == (other.a, other.b) || (self.a, self.b) == (other.b, other.a)
    }

    /// The squares on either side of its middle, the upper (or left) one first: where one
    /// stands by a door's leaf. A leaf along a square's edge has the two squares it parts; one
    /// across a square's middle, the squares before and behind it.
    pub fn sides(&self) -> [GridPos; 2] {
        let (ax, ay) = (f64::from(self.a.0), f64::from(self.a.1));
        let (bx, by) = (f64::from(self.b.0), f64::from(self.b.1));
        let (mx, my) = ((ax + bx) / 2.0, (ay + by) / 2.0);
        let len = (bx - ax).hypot(by - ay);
        // 60 hundredths across the leaf: past a square's middle, short of its far edge.
        let (nx, ny) = if len > 0.0 {
            (-(by - ay) / len * 60.0, (bx - ax) / len * 60.0)
        } else {
            (0.0, 0.0)
        };
        let square =
            |x: f64, y: f64| GridPos::new((x / 100.0).floor() as i32, (y / 100.0).floor() as i32);
        let mut sides = [square(mx - nx, my - ny), square(mx + nx, my + ny)];
        // Above before below, left before right, whichever way the segment runs.
        sides.sort_by_key(|p| (p.y, p.x));
        sides
    }
}

/// Whether segments `p1`–`p2` and `q1`–`q2` cross or touch (an end on the other counts).
pub fn segments_touch(p1: (f64, f64), p2: (f64, f64), q1: (f64, f64), q2: (f64, f64)) -> bool {
    const EPS: f64 = 1e-9;
    let orient = |a: (f64, f64), b: (f64, f64), c: (f64, f64)| {
        let v = (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0);
        if v > EPS {
            1
        } else if v < -EPS {
            -1
        } else {
            0
        }
    };
    let on = |a: (f64, f64), b: (f64, f64), c: (f64, f64)| {
        c.0 >= a.0.min(b.0) - EPS
            && c.0 <= a.0.max(b.0) + EPS
            && c.1 >= a.1.min(b.1) - EPS
            && c.1 <= a.1.max(b.1) + EPS
    };
    let (o1, o2) = (orient(p1, p2, q1), orient(p1, p2, q2));
    let (o3, o4) = (orient(q1, q2, p1), orient(q1, q2, p2));
    if o1 != o2 && o3 != o4 {
        return true;
    }
    (o1 == 0 && on(p1, p2, q1))
        || (o2 == 0 && on(p1, p2, q2))
        || (o3 == 0 && on(q1, q2, p1))
        || (o4 == 0 && on(q1, q2, p2))
}

/// How lit a square is (SRD 5.1 "Vision and Light": bright light, dim light — lightly
/// obscured — and darkness — heavily obscured).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub enum Light {
    /// Darkness: only darkvision sees there (as dim light, within its range).
    Dark,
    /// Dim light.
    Dim,
    /// Bright light.
    #[default]
    Bright,
}

/// A light source on the map: bright light within `bright_ft`, dim light for `dim_ft` beyond
/// (a torch: 20 and 20), where its light reaches (walls stop it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LightSource {
    /// Its square.
    pub at: GridPos,
    /// Bright light radius in feet.
    pub bright_ft: u32,
    /// Dim light beyond that, in feet.
    pub dim_ft: u32,
}

impl MapGrid {
    /// An all-floor grid.
    pub fn open(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            cells: vec![Terrain::Floor; (width * height) as usize],
            spell_difficult: BTreeSet::new(),
            ambient: Light::Bright,
            lights: Vec::new(),
            walls: Vec::new(),
            art: None,
        }
    }

    /// Opens or closes a door's leaf: the wall segment along the same line becomes that door
    /// (a leaf not among the walls is added).
    pub fn set_door(&mut self, leaf: WallSegment, open: bool) {
        let door = WallSegment {
            door: true,
            open,
            ..leaf
        };
        let mut found = false;
        for w in self.walls.iter_mut().filter(|w| w.same_line(&leaf)) {
            *w = WallSegment {
                a: w.a,
                b: w.b,
                ..door
            };
            found = true;
        }
        if !found {
            self.walls.push(door);
        }
    }

    /// Whether `p` is on the map.
    pub fn in_bounds(&self, p: GridPos) -> bool {
        p.x >= 0 && p.y >= 0 && (p.x as u32) < self.width && (p.y as u32) < self.height
    }

    /// Terrain at `p`; outside the map reads as wall.
    pub fn terrain(&self, p: GridPos) -> Terrain {
        if self.in_bounds(p) {
            self.cells[(p.y as u32 * self.width + p.x as u32) as usize]
        } else {
            Terrain::Wall
        }
    }

    /// Sets the terrain at `p` (ignored outside the map).
    pub fn set(&mut self, p: GridPos, terrain: Terrain) {
        if self.in_bounds(p) {
            let i = (p.y as u32 * self.width + p.x as u32) as usize;
            self.cells[i] = terrain;
        }
    }

    /// Cost in feet to step from `from` into the adjacent square `to` (10 into difficult
    /// terrain, a spell's included), or `None` if the step is not allowed by the terrain (a
    /// wall, off the map, or a diagonal squeezing between two walls' corners). The one answer
    /// to what a path costs: moves, reach and paths all add it up.
    pub fn step_cost(&self, from: GridPos, to: GridPos) -> Option<u32> {
        if !from.is_adjacent(to) || !self.terrain(to).passable() {
            return None;
        }
        // A wall segment between the two centres (touching counts: no slipping diagonally
        // past a wall's end).
        if !self.walls.is_empty() && self.wall_between(Self::centre(from), Self::centre(to)) {
            return None;
        }
        if from.x != to.x && from.y != to.y {
            let a = GridPos::new(to.x, from.y);
            let b = GridPos::new(from.x, to.y);
            if !self.terrain(a).passable() || !self.terrain(b).passable() {
                return None;
            }
        }
        // Difficult terrain does not stack: webs on rubble still cost 10 ft.
        Some(
            if self.terrain(to) == Terrain::Difficult || self.spell_difficult.contains(&to) {
                2 * SQUARE_FEET
            } else {
                SQUARE_FEET
            },
        )
    }

    /// Whether a wall segment (or a closed door) stands on the straight line from `p` to `q`
    /// (in square-centre coordinates).
    pub fn wall_between(&self, p: (f64, f64), q: (f64, f64)) -> bool {
        self.walls.iter().filter(|w| w.blocks()).any(|w| {
            let (a, b) = w.ends();
            segments_touch(p, q, a, b)
        })
    }

    fn centre(p: GridPos) -> (f64, f64) {
        (p.x as f64, p.y as f64)
    }

    /// Whether nothing opaque lies on the straight line between the centres of `a` and `b`.
    /// Wall squares and wall segments block it alike.
    pub fn line_of_sight(&self, a: GridPos, b: GridPos) -> bool {
        if !self.walls.is_empty() && self.wall_between(Self::centre(a), Self::centre(b)) {
            return false;
        }
        // Any wall square strictly between blocks (the squares the line crosses: sightline).
        let (Some(dx), Some(dy)) = (b.x.checked_sub(a.x), b.y.checked_sub(a.y)) else {
            return false;
        };
        crate::sightline::all_clear(dx, dy, |x, y| {
            !self.terrain(GridPos::new(a.x + x, a.y + y)).opaque()
        })
    }

    /// Cheapest cost in feet from `start` to every square reachable within `budget` feet.
    /// `blocked(p)` says a square cannot be entered (hostile creatures); `occupied(p)` says it
    /// may be crossed but not ended in (allies) — such squares are left out of the result.
    pub fn reachable(
        &self,
        start: GridPos,
        budget: u32,
        blocked: impl Fn(GridPos) -> bool,
        occupied: impl Fn(GridPos) -> bool,
    ) -> HashMap<GridPos, u32> {
        let costs = self.dijkstra(start, budget, &blocked, None).0;
        costs
            .into_iter()
            .filter(|(p, _)| *p == start || !occupied(*p))
            .collect()
    }

    /// Cheapest path from `start` to `goal` (excluding `start`), ignoring any budget, avoiding
    /// `blocked` squares. `None` if there is no way.
    pub fn path_to(
        &self,
        start: GridPos,
        goal: GridPos,
        blocked: impl Fn(GridPos) -> bool,
    ) -> Option<Vec<GridPos>> {
        let (costs, prev) = self.dijkstra(start, u32::MAX, &blocked, Some(goal));
        costs.get(&goal)?;
        let mut path = vec![goal];
        let mut at = goal;
        while let Some(&p) = prev.get(&at) {
            if p == start {
                break;
            }
            path.push(p);
            at = p;
        }
        path.reverse();
        Some(path)
    }

    fn dijkstra(
        &self,
        start: GridPos,
        budget: u32,
        blocked: &dyn Fn(GridPos) -> bool,
        goal: Option<GridPos>,
    ) -> (HashMap<GridPos, u32>, HashMap<GridPos, GridPos>) {
        let mut best: HashMap<GridPos, u32> = HashMap::new();
        let mut prev: HashMap<GridPos, GridPos> = HashMap::new();
        let mut heap = BinaryHeap::new();
        best.insert(start, 0);
        heap.push(std::cmp::Reverse((0u32, start)));
        while let Some(std::cmp::Reverse((cost, at))) = heap.pop() {
            if best.get(&at).is_some_and(|&c| c < cost) {
                continue;
            }
            if Some(at) == goal {
                break;
            }
            for next in at.neighbours() {
                let Some(step) = self.step_cost(at, next) else {
                    continue;
                };
                if blocked(next) && Some(next) != goal {
                    continue;
                }
                let total = cost.saturating_add(step);
                if total > budget {
                    continue;
                }
                if best.get(&next).is_none_or(|&c| total < c) {
                    best.insert(next, total);
                    prev.insert(next, at);
                    heap.push(std::cmp::Reverse((total, next)));
                }
            }
        }
        (best, prev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(rows: &[&str]) -> MapGrid {
        let mut g = MapGrid::open(rows[0].len() as u32, rows.len() as u32);
        for (y, row) in rows.iter().enumerate() {
            for (x, c) in row.chars().enumerate() {
                let t = match c {
                    '#' => Terrain::Wall,
                    ':' => Terrain::Difficult,
                    _ => Terrain::Floor,
                };
                g.set(GridPos::new(x as i32, y as i32), t);
            }
        }
        g
    }

    #[test]
    fn diagonals_cost_five_feet() {
        assert_eq!(GridPos::new(0, 0).feet_to(GridPos::new(3, 2)), 15);
    }

    #[test]
    fn difficult_terrain_costs_double() {
        let g = grid(&["..:.."]);
        let r = g.reachable(GridPos::new(0, 0), 30, |_| false, |_| false);
        assert_eq!(r[&GridPos::new(2, 0)], 15);
        assert_eq!(r[&GridPos::new(4, 0)], 25);
    }

    #[test]
    fn walls_block_moves_and_corners() {
        let g = grid(&[".#", "#."]);
        assert_eq!(g.step_cost(GridPos::new(0, 0), GridPos::new(1, 1)), None);
        assert_eq!(g.step_cost(GridPos::new(0, 0), GridPos::new(1, 0)), None);
    }

    #[test]
    fn walls_block_sight() {
        let g = grid(&[".....", "..#..", "....."]);
        assert!(!g.line_of_sight(GridPos::new(0, 1), GridPos::new(4, 1)));
        assert!(g.line_of_sight(GridPos::new(0, 0), GridPos::new(4, 0)));
    }

    #[test]
    fn path_goes_around_walls_and_blockers() {
        let g = grid(&["....", ".##.", "...."]);
        let p = g
            .path_to(GridPos::new(0, 1), GridPos::new(3, 1), |q| {
                q == GridPos::new(1, 0)
            })
            .unwrap();
        assert_eq!(*p.last().unwrap(), GridPos::new(3, 1));
        assert!(!p.contains(&GridPos::new(1, 0)));
        let mut at = GridPos::new(0, 1);
        for step in p {
            assert!(g.step_cost(at, step).is_some());
            at = step;
        }
    }
}
