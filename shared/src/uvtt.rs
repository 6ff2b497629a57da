//! Universal VTT map files (`.dd2vtt` from Dungeondraft, `.uvtt`, `.df2vtt` from DungeonFog):
//! JSON with the grid size, walls as polylines (`line_of_sight`, `objects_line_of_sight`),
//! doors (`portals`) and `lights`, in grid squares from the map's origin. The server reads
//! only the geometry; the picture (`image`, base64) is for the client and is not decoded here.
//!
//! A map file (RON) imports one with `uvtt: Some("cellar.dd2vtt")` (a file beside it in
//! `maps/`) and says where the party starts (`party: [(1, 1), …]`). A closed portal is a
//! closed door segment, which every scene on the map gets as a `Door` point to open
//! ([`crate::maps::merge`]).

use crate::content::LightDef;
use crate::grid::WallSegment;
use serde::Deserialize;

/// The largest Universal VTT file read (the picture inside makes them big).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// The most wall segments, doors and lights a map may have.
pub const MAX_SEGMENTS: usize = 10_000;
/// The most lights.
pub const MAX_LIGHTS: usize = 500;

/// The file extensions read as Universal VTT.
pub const EXTENSIONS: [&str; 3] = ["dd2vtt", "uvtt", "df2vtt"];

#[derive(Debug, Deserialize)]
struct Point {
    x: f64,
    y: f64,
}

#[derive(Debug, Deserialize)]
struct Resolution {
    #[serde(default)]
    map_origin: Option<Point>,
    map_size: Point,
}

#[derive(Debug, Deserialize)]
struct Portal {
    bounds: Vec<Point>,
    #[serde(default)]
    closed: bool,
}

#[derive(Debug, Deserialize)]
struct UvttLight {
    position: Point,
    range: f64,
}

#[derive(Debug, Deserialize)]
struct File {
    resolution: Resolution,
    #[serde(default)]
    line_of_sight: Vec<Vec<Point>>,
    #[serde(default)]
    objects_line_of_sight: Vec<Vec<Point>>,
    #[serde(default)]
    portals: Vec<Portal>,
    #[serde(default)]
    lights: Vec<UvttLight>,
    /// The picture, base64 (checked here, drawn by the window).
    #[serde(default)]
    image: Option<String>,
}

/// What a Universal VTT file gives a map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UvttMap {
    /// Squares across.
    pub width: u32,
    /// Squares down.
    pub height: u32,
    /// Walls and doors (closed portals closed).
    pub walls: Vec<WallSegment>,
    /// Light sources (range in squares → feet of bright light, as far again dim).
    pub lights: Vec<LightDef>,
}

/// Reads a Universal VTT file's geometry, or says what is wrong with it.
pub fn parse(text: &str) -> Result<UvttMap, String> {
    let file: File = serde_json::from_str(text).map_err(|e| {
        format!(
            "not a Universal VTT file: {e} (expected JSON with `resolution`, `line_of_sight`, `portals`, `lights`)"
        )
    })?;
    let size = &file.resolution.map_size;
    let ok_size = |v: f64| v.is_finite() && (1.0..=200.0).contains(&v) && v.fract() == 0.0;
    if !ok_size(size.x) || !ok_size(size.y) {
        return Err(format!(
            "map_size {}×{}: expected whole squares, 1 to 200 each way",
            size.x, size.y
        ));
    }
    let (width, height) = (size.x as u32, size.y as u32);
    if let Some(image) = &file.image {
        check_picture(image)?;
    }
    let origin = file
        .resolution
        .map_origin
        .as_ref()
        .map_or((0.0, 0.0), |o| (o.x, o.y));
    if !(origin.0.is_finite() && origin.1.is_finite()) {
        return Err("map_origin: expected numbers".into());
    }
    // Grid units → hundredths of a square from the map's corner, on the map (a hair outside
    // its edge is pulled onto it).
    let point = |p: &Point| -> Result<(i32, i32), String> {
        let (x, y) = (p.x - origin.0, p.y - origin.1);
        let inside = |v: f64, max: u32| v.is_finite() && v >= -0.5 && v <= max as f64 + 0.5;
        if !inside(x, width) || !inside(y, height) {
            return Err(format!(
                "point ({}, {}) lies off the {width}×{height} map",
                p.x, p.y
            ));
        }
        let h = |v: f64, max: u32| ((v * 100.0).round() as i32).clamp(0, max as i32 * 100);
        Ok((h(x, width), h(y, height)))
    };
    let mut walls = Vec::new();
    for line in file.line_of_sight.iter().chain(&file.objects_line_of_sight) {
        for pair in line.windows(2) {
            walls.push(WallSegment {
                a: point(&pair[0])?,
                b: point(&pair[1])?,
                door: false,
                open: false,
            });
        }
    }
    for portal in &file.portals {
        let [a, b] = portal.bounds.as_slice() else {
            return Err(format!(
                "a portal has {} bounds: expected 2 points",
                portal.bounds.len()
            ));
        };
        walls.push(WallSegment {
            a: point(a)?,
            b: point(b)?,
            door: true,
            open: !portal.closed,
        });
    }
    if walls.len() > MAX_SEGMENTS {
        return Err(format!(
            "{} wall segments and doors: expected at most {MAX_SEGMENTS}",
            walls.len()
        ));
    }
    if file.lights.len() > MAX_LIGHTS {
        return Err(format!(
            "{} lights: expected at most {MAX_LIGHTS}",
            file.lights.len()
        ));
    }
    let mut lights = Vec::new();
    for l in &file.lights {
        let (x, y) = point(&l.position)?;
        if !(l.range.is_finite() && (0.0..=200.0).contains(&l.range)) {
            return Err(format!(
                "a light's range {}: expected 0 to 200 squares",
                l.range
            ));
        }
        let feet = (l.range * 5.0).round() as u32;
        lights.push(LightDef {
            at: (
                (x / 100).min(width as i32 - 1),
                (y / 100).min(height as i32 - 1),
            ),
            bright: feet,
            dim: Some(feet),
        });
    }
    Ok(UvttMap {
        width,
        height,
        walls,
        lights,
    })
}

/// The largest picture side a window draws, in pixels.
pub const MAX_PICTURE_SIDE: u32 = 8192;

/// Checks a Universal VTT file's `image` (base64) as a window will draw it: a PNG or JPEG of
/// 1 to [`MAX_PICTURE_SIDE`] pixels a side, read from its header (nothing is decoded).
pub fn check_picture(image: &str) -> Result<(), String> {
    use base64::Engine;
    if image.trim().is_empty() {
        return Ok(());
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(image.trim())
        .map_err(|e| format!("`image` is not base64: {e}"))?;
    let (_, w, h) = picture_size(&bytes).map_err(|e| format!("`image` is {e}"))?;
    if w == 0 || h == 0 || w > MAX_PICTURE_SIDE || h > MAX_PICTURE_SIDE {
        return Err(format!(
            "`image` is {w}×{h} pixels: expected 1 to {MAX_PICTURE_SIDE} a side"
        ));
    }
    Ok(())
}

/// A picture's format and size from its first bytes: PNG (its IHDR) or JPEG (a frame header).
pub fn picture_size(bytes: &[u8]) -> Result<(&'static str, u32, u32), String> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() >= 24 && &bytes[12..16] == b"IHDR" {
        let w = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
        let h = u32::from_be_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
        return Ok(("png", w, h));
    }
    if bytes.starts_with(&[0xFF, 0xD8]) {
        let mut i = 2;
        while i + 9 < bytes.len() {
            if bytes[i] != 0xFF {
                return Err("a broken JPEG".into());
            }
            let marker = bytes[i + 1];
            let len = u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]) as usize;
            if (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker) {
                let h = u32::from(u16::from_be_bytes([bytes[i + 5], bytes[i + 6]]));
                let w = u32::from(u16::from_be_bytes([bytes[i + 7], bytes[i + 8]]));
                return Ok(("jpeg", w, h));
            }
            i += 2 + len;
        }
        return Err("a JPEG without a frame header".into());
    }
    Err("not a PNG or JPEG picture (WebP is not read: export PNG)".into())
}
