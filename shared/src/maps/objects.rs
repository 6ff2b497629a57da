//! From a Tiled map's layers and objects (read from `.tmx` or `.tmj` into a [`RawMap`]) to a
//! [`MapDef`]: tile layers give the squares (the topmost terrain other than floor wins), and
//! objects by class give party start squares, foes, exits, triggers, points of interest,
//! lights, doors (a closed leaf in the walls and a `Door` point) and wall segments. Every
//! problem names the object (its id and name) or the square.

pub use super::raw::{Problem, Prop, Props, RawMap, RawObject, Shape, TileTerrain};
use super::raw::{flag, text, whole};
use super::{MAX_WALLS, SpawnDef, art_path, stem};
use crate::adventure::{ExitDef, LockDef, Outcome, PointDef, PointKind, TriggerDef, When};
use crate::content::{LightDef, MapDef};
use crate::grid::{Light, WallSegment};
use std::path::Path;

/// Hundredths of a square: the unit of wall segments.
const UNITS: f64 = 100.0;

/// Converts a map read from Tiled.
pub fn to_map_def(raw: &RawMap, file: &Path) -> Result<MapDef, Vec<Problem>> {
    let mut problems = Vec::new();
    let map_problem = |m: String| Problem {
        object: None,
        message: m,
    };
    let (w, h) = (raw.width as usize, raw.height as usize);
    let mut rows = vec![vec!['.'; w]; h];
    for layer in &raw.layers {
        if layer.len() != w * h {
            problems.push(map_problem(format!(
                "a tile layer of {} squares: expected {}",
                layer.len(),
                w * h
            )));
            continue;
        }
        for (i, t) in layer.iter().enumerate() {
            if let Some(t) = t.filter(|t| *t != TileTerrain::Floor) {
                rows[i / w][i % w] = t.glyph();
            }
        }
    }
    let map_text = |key: &str, problems: &mut Vec<Problem>| {
        text(&raw.props, key).unwrap_or_else(|m| {
            problems.push(Problem {
                object: None,
                message: format!("map {m}"),
            });
            None
        })
    };
    let name = map_text("name", &mut problems).unwrap_or_else(|| stem(file));
    let tileset = map_text("tileset", &mut problems).unwrap_or_else(|| "dungeon".into());
    let ambient = match map_text("ambient", &mut problems).as_deref() {
        None | Some("bright") => Light::Bright,
        Some("dim") => Light::Dim,
        Some("dark") => Light::Dark,
        Some(other) => {
            problems.push(map_problem(format!(
                "map property `ambient` is `{other}`: expected `bright`, `dim` or `dark`"
            )));
            Light::Bright
        }
    };
    let mut out = Objects {
        raw,
        rows,
        party: Vec::new(),
        lights: Vec::new(),
        walls: Vec::new(),
        spawns: Vec::new(),
        exits: Vec::new(),
        points: Vec::new(),
        triggers: Vec::new(),
        doors: Vec::new(),
        targets: Vec::new(),
    };
    for o in &raw.objects {
        if o.class.is_empty() {
            continue;
        }
        if let Err(m) = out.object(o) {
            let name = if o.name.is_empty() {
                String::new()
            } else {
                format!(" `{}`", o.name)
            };
            problems.push(Problem {
                object: Some(o.id),
                message: format!("{} object {}{name}: {m}", o.class, o.id),
            });
        }
    }
    problems.extend(out.finish());
    if !problems.is_empty() {
        return Err(problems);
    }
    // Row by row, as `P` squares are taken (the party stands on them in this order).
    out.party.sort_by_key(|&(x, y)| (y, x));
    Ok(MapDef {
        id: stem(file),
        name,
        tileset,
        tiles: out.rows.iter().map(|r| r.iter().collect()).collect(),
        uvtt: None,
        party: out.party,
        ambient,
        lights: out.lights,
        walls: out.walls,
        spawns: out.spawns,
        exits: out.exits,
        points: out.points,
        triggers: out.triggers,
        file: Some(art_path(file)),
    })
}

/// What the objects add up to.
struct Objects<'a> {
    raw: &'a RawMap,
    rows: Vec<Vec<char>>,
    /// Party start squares (party `Spawn` objects).
    party: Vec<(i32, i32)>,
    lights: Vec<LightDef>,
    walls: Vec<WallSegment>,
    spawns: Vec<SpawnDef>,
    exits: Vec<ExitDef>,
    points: Vec<PointDef>,
    triggers: Vec<TriggerDef>,
    /// Door squares (made doorways once all objects are read), with their object ids.
    doors: Vec<((i32, i32), u32)>,
    /// Trigger targets to check against the ids: (object, id).
    targets: Vec<(u32, String)>,
}

impl Objects<'_> {
    /// The squares an object covers (a point: the square it is in).
    fn squares(&self, o: &RawObject) -> Result<((i32, i32), (i32, i32)), String> {
        let t = f64::from(self.raw.tile);
        let (x, y) = (o.x / t, o.y / t);
        let (x1, y1) = match &o.shape {
            Shape::Point => (x, y),
            Shape::Rect { w, h } => {
                if o.rotation != 0.0 {
                    return Err("a rotated rectangle: expected no rotation".into());
                }
                // The last square the rectangle reaches into (its far edge on a line is outside).
                let end = |a: f64, len: f64| {
                    if len > 0.0 {
                        ((a + len) / t).ceil() - 1.0
                    } else {
                        a / t
                    }
                    .max(a / t)
                };
                (end(o.x, *w), end(o.y, *h))
            }
            Shape::Line { .. } => {
                return Err("a polyline or polygon: expected a point or a rectangle".into());
            }
            Shape::Other(kind) => {
                return Err(format!(
                    "a shape of kind {kind}: expected a point or a rectangle"
                ));
            }
        };
        let inside = |v: f64, n: u32| v.is_finite() && v >= 0.0 && v.floor() < f64::from(n);
        if !inside(x, self.raw.width)
            || !inside(y, self.raw.height)
            || !inside(x1, self.raw.width)
            || !inside(y1, self.raw.height)
        {
            return Err(format!(
                "lies outside the map ({}×{} squares of {} pixels)",
                self.raw.width, self.raw.height, self.raw.tile
            ));
        }
        Ok((
            (x.floor() as i32, y.floor() as i32),
            (x1.floor() as i32, y1.floor() as i32),
        ))
    }

    /// The one square of an object: a point's, or the one under a rectangle's centre.
    fn square(&self, o: &RawObject) -> Result<(i32, i32), String> {
        let (a, b) = self.squares(o)?;
        Ok(((a.0 + b.0) / 2, (a.1 + b.1) / 2))
    }

    fn open_square(&self, at: (i32, i32)) -> Result<(i32, i32), String> {
        if self.rows[at.1 as usize][at.0 as usize] == '#' {
            return Err(format!("stands on a wall square {at:?}"));
        }
        Ok(at)
    }

    fn id(o: &RawObject, prefix: &str) -> String {
        if o.name.trim().is_empty() {
            format!("{prefix}-{}", o.id)
        } else {
            o.name.trim().to_string()
        }
    }

    fn object(&mut self, o: &RawObject) -> Result<(), String> {
        let p = &o.props;
        match o.class.as_str() {
            "Spawn" => {
                let party = match text(p, "side")?.as_deref() {
                    Some("party") => true,
                    Some("foe") => false,
                    other => {
                        return Err(format!(
                            "side {}: expected `party` or `foe`",
                            other.map_or("missing".into(), |s| format!("`{s}`"))
                        ));
                    }
                };
                let creature = text(p, "creature")?;
                let name = text(p, "name")?;
                let hidden = flag(p, "hidden")?;
                if party {
                    if creature.is_some() || name.is_some() {
                        return Err("a party Spawn names a creature: expected only `side`".into());
                    }
                    let (a, b) = self.squares(o)?;
                    for y in a.1..=b.1 {
                        for x in a.0..=b.0 {
                            let at = self.open_square((x, y))?;
                            if !self.party.contains(&at) {
                                self.party.push(at);
                            }
                        }
                    }
                } else {
                    let at = self.open_square(self.square(o)?)?;
                    self.spawns.push(SpawnDef {
                        at,
                        creature,
                        name,
                        hidden,
                    });
                }
            }
            "Exit" => {
                let to = text(p, "to")?.ok_or("no `to`: expected the id of a scene (or `end`)")?;
                let (a, b) = self.squares(o)?;
                let id = Self::id(o, "exit");
                let at = (a.1..=b.1)
                    .flat_map(|y| (a.0..=b.0).map(move |x| (x, y)))
                    .collect();
                self.exits.push(ExitDef {
                    name: text(p, "label")?.unwrap_or_else(|| id.clone()),
                    id,
                    to,
                    at,
                    hidden: None,
                });
            }
            "Trigger" => {
                let (a, b) = self.squares(o)?;
                let mut then = Vec::new();
                if let Some(s) = text(p, "say")? {
                    then.push(Outcome::Say(s));
                }
                for (key, make) in [
                    ("reveal", Outcome::Reveal as fn(String) -> Outcome),
                    ("open", Outcome::Open),
                ] {
                    if let Some(id) = text(p, key)? {
                        self.targets.push((o.id, id.clone()));
                        then.push(make(id));
                    }
                }
                if let Some(xp) = whole(p, "xp", 0..=100_000)? {
                    then.push(Outcome::Experience(xp as u32));
                }
                if flag(p, "fight")? {
                    then.push(Outcome::Fight);
                }
                if then.is_empty() {
                    return Err(
                        "does nothing: expected `say`, `reveal`, `open`, `xp` or `fight`".into(),
                    );
                }
                self.triggers.push(TriggerDef {
                    when: When::Enter(a, b),
                    then,
                });
            }
            "PointOfInterest" => {
                let kind = match text(p, "kind")?
                    .as_deref()
                    .map(str::to_ascii_lowercase)
                    .as_deref()
                {
                    None | Some("other") => PointKind::Other,
                    Some("chest") => PointKind::Chest,
                    Some("lever") => PointKind::Lever,
                    Some("altar") => PointKind::Altar,
                    Some("corpse") => PointKind::Corpse,
                    Some(k) => {
                        return Err(format!(
                            "kind `{k}`: expected `chest`, `lever`, `altar`, `corpse` or `other` (a door is a Door object; a trap is written in the scene file)"
                        ));
                    }
                };
                let id = Self::id(o, "point");
                self.points.push(PointDef {
                    name: text(p, "label")?.unwrap_or_else(|| id.clone()),
                    id,
                    kind,
                    at: self.square(o)?,
                    text: text(p, "text")?.unwrap_or_default(),
                    hidden: None,
                    lock: None,
                    loot: Vec::new(),
                    check: None,
                    trap: None,
                    then: Vec::new(),
                    wall: None,
                });
            }
            "Light" => {
                let radius = whole(p, "radius", 1..=1000)?
                    .ok_or("no `radius`: expected its bright light's radius in feet")?;
                let dim = whole(p, "dim", 0..=1000)?;
                self.lights.push(LightDef {
                    at: self.square(o)?,
                    bright: radius as u32,
                    dim: dim.map(|d| d as u32),
                });
            }
            "Door" => {
                let (at, leaf, doorway) = self.door(o)?;
                let locked = flag(p, "locked")?;
                let dc = whole(p, "dc", 5..=30)?;
                let lock = match (locked, dc) {
                    (true, Some(dc)) => Some(LockDef {
                        key: text(p, "key")?,
                        pick_dc: Some(dc as i32),
                        force_dc: Some(dc as i32),
                    }),
                    (true, None) => {
                        return Err("locked without a `dc`: expected a DC from 5 to 30".into());
                    }
                    (false, Some(_)) => return Err("a `dc` on a door that is not `locked`".into()),
                    (false, None) => None,
                };
                let id = Self::id(o, "door");
                if doorway {
                    self.doors.push((at, o.id));
                }
                self.walls.push(leaf);
                self.points.push(PointDef {
                    name: text(p, "label")?.unwrap_or_else(|| id.clone()),
                    id,
                    kind: PointKind::Door,
                    at,
                    text: text(p, "text")?.unwrap_or_default(),
                    hidden: None,
                    lock,
                    loot: Vec::new(),
                    check: None,
                    trap: None,
                    then: Vec::new(),
                    wall: Some(leaf),
                });
            }
            "Wall" => self.wall(o)?,
            other => {
                return Err(format!(
                    "unknown class `{other}`: expected Spawn, Exit, Trigger, PointOfInterest, Light, Door or Wall (or no class)"
                ));
            }
        }
        Ok(())
    }

    /// A point of an object (pixels) as a wall segment's end, in hundredths of a square from
    /// the map's corner; a hair off the map's edge is pulled onto it, further is an error.
    fn wall_point(&self, x: f64, y: f64) -> Result<(i32, i32), String> {
        let t = f64::from(self.raw.tile);
        let unit = |v: f64, squares: u32| -> Result<i32, String> {
            let u = (v / t * UNITS).round();
            let max = f64::from(squares) * UNITS;
            if u.is_finite() && (-UNITS / 2.0..=max + UNITS / 2.0).contains(&u) {
                Ok(u.clamp(0.0, max) as i32)
            } else {
                Err(format!(
                    "a point at ({x}, {y}) pixels lies off the map ({}×{} squares of {} pixels)",
                    self.raw.width, self.raw.height, self.raw.tile
                ))
            }
        };
        Ok((unit(x, self.raw.width)?, unit(y, self.raw.height)?))
    }

    /// A `Wall` object: a polyline, a polygon's outline or a rectangle's outline.
    fn wall(&mut self, o: &RawObject) -> Result<(), String> {
        let points: Vec<(f64, f64)> = match &o.shape {
            Shape::Line { points, closed } => {
                let mut p = points.clone();
                if *closed && let Some(&first) = points.first() {
                    p.push(first);
                }
                p
            }
            Shape::Rect { w, h } => vec![(0.0, 0.0), (*w, 0.0), (*w, *h), (0.0, *h), (0.0, 0.0)],
            _ => return Err("expected a polyline, a polygon or a rectangle".into()),
        };
        if o.rotation != 0.0 {
            return Err("a rotated wall: expected no rotation".into());
        }
        for pair in points.windows(2) {
            let a = self.wall_point(o.x + pair[0].0, o.y + pair[0].1)?;
            let b = self.wall_point(o.x + pair[1].0, o.y + pair[1].1)?;
            if a != b {
                self.walls.push(WallSegment {
                    a,
                    b,
                    door: false,
                    open: false,
                });
            }
            if self.walls.len() > MAX_WALLS {
                return Err(format!("more than {MAX_WALLS} wall segments in the map"));
            }
        }
        Ok(())
    }

    /// A `Door` object's square, its closed leaf, and whether its square is a doorway. A
    /// polyline of two points is the leaf (along a square's edge, say), the door standing on
    /// an open square beside it; a point or a rectangle stands on a doorway square between two
    /// wall squares, its leaf across the square's middle from wall to wall.
    fn door(&self, o: &RawObject) -> Result<((i32, i32), WallSegment, bool), String> {
        let closed = |a, b| WallSegment {
            a,
            b,
            door: true,
            open: false,
        };
        if let Shape::Line {
            points,
            closed: false,
        } = &o.shape
            && points.len() == 2
        {
            if o.rotation != 0.0 {
                return Err("a rotated door: expected no rotation".into());
            }
            let a = self.wall_point(o.x + points[0].0, o.y + points[0].1)?;
            let b = self.wall_point(o.x + points[1].0, o.y + points[1].1)?;
            if a == b {
                return Err("a door line of no length: expected its leaf from end to end".into());
            }
            let leaf = closed(a, b);
            let at = leaf
                .sides()
                .into_iter()
                .map(|p| (p.x, p.y))
                .find(|&p| self.on_map(p) && self.rows[p.1 as usize][p.0 as usize] != '#')
                .ok_or("a door line with no open square on the map beside its middle")?;
            return Ok((at, leaf, false));
        }
        let (x, y) = self.open_square(self.square(o)?)?;
        let wall = |dx: i32, dy: i32| {
            let p = (x + dx, y + dy);
            !self.on_map(p) || self.rows[p.1 as usize][p.0 as usize] == '#'
        };
        let (a, b) = if wall(-1, 0) && wall(1, 0) {
            ((x * 100, y * 100 + 50), ((x + 1) * 100, y * 100 + 50))
        } else if wall(0, -1) && wall(0, 1) {
            ((x * 100 + 50, y * 100), (x * 100 + 50, (y + 1) * 100))
        } else {
            return Err(format!(
                "on square ({x}, {y}) without wall squares on two opposite sides: expected a doorway between two walls, or the door drawn as a polyline of two points along its leaf"
            ));
        };
        Ok(((x, y), closed(a, b), true))
    }

    fn on_map(&self, (x, y): (i32, i32)) -> bool {
        x >= 0 && y >= 0 && (x as u32) < self.raw.width && (y as u32) < self.raw.height
    }

    /// Checks across objects; doors' squares become doorways.
    fn finish(&mut self) -> Vec<Problem> {
        let mut problems = Vec::new();
        for &(at, _) in &self.doors {
            self.rows[at.1 as usize][at.0 as usize] = '+';
        }
        let mut ids: Vec<&str> = Vec::new();
        let named = self
            .exits
            .iter()
            .map(|e| e.id.as_str())
            .chain(self.points.iter().map(|p| p.id.as_str()));
        for id in named {
            if ids.contains(&id) {
                problems.push(Problem {
                    object: None,
                    message: format!("two objects are named `{id}`: expected each Exit, Door and PointOfInterest to have its own name"),
                });
            }
            ids.push(id);
        }
        for (object, id) in &self.targets {
            if !ids.contains(&id.as_str()) {
                problems.push(Problem {
                    object: Some(*object),
                    message: format!(
                        "Trigger object {object}: no Exit, Door or PointOfInterest named `{id}` in this map"
                    ),
                });
            }
        }
        problems
    }
}
