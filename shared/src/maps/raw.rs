//! A Tiled map as read from `.tmx` or `.tmj`, before the conventions apply: its size, its
//! tile layers' terrain, its objects and their custom properties.

use std::collections::BTreeMap;

/// A custom property's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Prop {
    /// A string (or a file path).
    Text(String),
    /// An `int`.
    Int(i64),
    /// A `float`.
    Float(f64),
    /// A `bool`.
    Bool(bool),
    /// Anything else (a colour, an object reference, a class).
    Other,
}

/// Custom properties by name.
pub type Props = BTreeMap<String, Prop>;

/// An object's shape, in pixels from its position.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// A point.
    Point,
    /// A rectangle (or a tile object) to the right of and below its position.
    Rect {
        /// Width in pixels.
        w: f64,
        /// Height in pixels.
        h: f64,
    },
    /// A polyline, or a polygon when `closed`.
    Line {
        /// Its points, relative to the object's position.
        points: Vec<(f64, f64)>,
        /// A polygon (its last point joins its first).
        closed: bool,
    },
    /// A shape the conventions do not use (ellipse, text, capsule).
    Other(&'static str),
}

/// One object of an object layer.
#[derive(Debug, Clone, PartialEq)]
pub struct RawObject {
    /// Its id in the map.
    pub id: u32,
    /// Its name.
    pub name: String,
    /// Its class (Tiled 1.9+) or type.
    pub class: String,
    /// Left, in pixels.
    pub x: f64,
    /// Top, in pixels.
    pub y: f64,
    /// Rotation in degrees.
    pub rotation: f64,
    /// Its shape.
    pub shape: Shape,
    /// Its custom properties.
    pub props: Props,
}

/// What a tile's `terrain` property says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileTerrain {
    /// `floor` (and a tile without the property).
    Floor,
    /// `wall`.
    Wall,
    /// `difficult`.
    Difficult,
    /// `door`: an open doorway.
    Door,
    /// `water`: shallow water, difficult terrain.
    Water,
}

impl TileTerrain {
    /// The terrain named `s`; an error lists the names.
    pub fn parse(s: &str) -> Result<Self, String> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "floor" => TileTerrain::Floor,
            "wall" => TileTerrain::Wall,
            "difficult" => TileTerrain::Difficult,
            "door" => TileTerrain::Door,
            "water" => TileTerrain::Water,
            _ => {
                return Err(format!(
                    "terrain `{s}`: expected `floor`, `wall`, `difficult`, `door` or `water`"
                ));
            }
        })
    }

    pub(super) fn glyph(self) -> char {
        match self {
            TileTerrain::Floor => '.',
            TileTerrain::Wall => '#',
            TileTerrain::Difficult | TileTerrain::Water => ':',
            TileTerrain::Door => '+',
        }
    }
}

/// A Tiled map as read, before the conventions apply.
#[derive(Debug, Clone, PartialEq)]
pub struct RawMap {
    /// Squares across.
    pub width: u32,
    /// Squares down.
    pub height: u32,
    /// A tile's edge in pixels.
    pub tile: u32,
    /// The map's custom properties.
    pub props: Props,
    /// Tile layers, bottom first, row-major: each square's terrain (`None`: no tile there).
    pub layers: Vec<Vec<Option<TileTerrain>>>,
    /// Every object of every object layer.
    pub objects: Vec<RawObject>,
}

/// A problem with the map or one of its objects (its id, to locate it in the file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The object, if the problem is one object's.
    pub object: Option<u32>,
    /// What is wrong and what was expected.
    pub message: String,
}

pub(super) fn text(props: &Props, key: &str) -> Result<Option<String>, String> {
    match props.get(key) {
        None => Ok(None),
        Some(Prop::Text(s)) if s.trim().is_empty() => Ok(None),
        Some(Prop::Text(s)) => Ok(Some(s.trim().to_string())),
        Some(_) => Err(format!("property `{key}` should be a string")),
    }
}

fn number(props: &Props, key: &str) -> Result<Option<f64>, String> {
    let v = match props.get(key) {
        None => return Ok(None),
        Some(Prop::Int(i)) => *i as f64,
        Some(Prop::Float(f)) => *f,
        Some(Prop::Text(s)) => s
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("property `{key}` is `{s}`: expected a number"))?,
        Some(_) => return Err(format!("property `{key}` should be a number")),
    };
    if v.is_finite() {
        Ok(Some(v))
    } else {
        Err(format!("property `{key}`: expected a finite number"))
    }
}

pub(super) fn whole(
    props: &Props,
    key: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Result<Option<i64>, String> {
    match number(props, key)? {
        None => Ok(None),
        Some(v) if v.fract() == 0.0 && range.contains(&(v as i64)) => Ok(Some(v as i64)),
        Some(v) => Err(format!(
            "property `{key}` is {v}: expected a whole number from {} to {}",
            range.start(),
            range.end()
        )),
    }
}

pub(super) fn flag(props: &Props, key: &str) -> Result<bool, String> {
    match props.get(key) {
        None => Ok(false),
        Some(Prop::Bool(b)) => Ok(*b),
        Some(Prop::Text(s)) if s.trim() == "true" => Ok(true),
        Some(Prop::Text(s)) if s.trim() == "false" => Ok(false),
        Some(_) => Err(format!("property `{key}` should be a bool (true or false)")),
    }
}
