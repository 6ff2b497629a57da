//! Tiled XML maps (`.tmx`) through the `tiled` crate, after [`guard`](super::guard) has bounded
//! the file; tilesets (`.tsx`) and templates (`.tx`) are served from the content files, never
//! read from the disk by path.

use super::objects::{Prop, Props, RawMap, RawObject, Shape, TileTerrain, to_map_def};
use super::{Resources, file_error, guard, line_column, normal};
use crate::content::{ContentError, MapDef};
use std::io::{Cursor, ErrorKind};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

/// An error at byte `at` of `text`.
pub(super) fn located(file: &Path, text: &str, at: usize, message: String) -> ContentError {
    let (line, column) = line_column(text, at);
    ContentError {
        file: file.to_path_buf(),
        line,
        column,
        message,
    }
}

/// Where an object is written in a map file (its `id`), or the file's start.
pub(super) fn object_error(
    file: &Path,
    text: &str,
    object: Option<u32>,
    message: String,
) -> ContentError {
    let at = object.and_then(|id| {
        [
            format!("<object id=\"{id}\""),
            format!("\"id\":{id},"),
            format!("\"id\": {id},"),
        ]
        .iter()
        .find_map(|needle| text.find(needle.as_str()))
    });
    located(file, text, at.unwrap_or(0), message)
}

/// A reader over the content files: the map itself and the tilesets and templates given with
/// it, each checked by the guard before the `tiled` crate parses it.
pub(super) fn reader<'a>(
    file: &'a Path,
    text: &'a str,
    resources: &'a Resources,
) -> impl Fn(&Path) -> Result<Cursor<Vec<u8>>, std::io::Error> + 'a {
    move |path: &Path| {
        let t = if normal(path) == normal(file) {
            text
        } else {
            let t = resources.get(path).ok_or_else(|| {
                std::io::Error::new(
                    ErrorKind::NotFound,
                    "not among the files of maps/ (keep tilesets and templates beside the maps)",
                )
            })?;
            guard::check(t).map_err(|(at, m)| {
                let (line, column) = line_column(t, at);
                std::io::Error::new(ErrorKind::InvalidData, format!("{line}:{column}: {m}"))
            })?;
            t
        };
        Ok(Cursor::new(t.as_bytes().to_vec()))
    }
}

/// Runs the `tiled` crate; a panic in it (a bug there, on input the guard let through) is an
/// error for this file, not the end of the server.
pub(super) fn shielded<T>(
    file: &Path,
    f: impl FnOnce() -> Result<T, tiled::Error>,
) -> Result<T, Vec<ContentError>> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(vec![file_error(
            file,
            format!("cannot read the Tiled file: {e}"),
        )]),
        Err(_) => Err(vec![file_error(
            file,
            "the Tiled reader failed on this file: expected a map saved by Tiled",
        )]),
    }
}

pub(super) fn props(p: &tiled::Properties) -> Props {
    p.iter()
        .map(|(k, v)| {
            let v = match v {
                tiled::PropertyValue::BoolValue(b) => Prop::Bool(*b),
                tiled::PropertyValue::IntValue(i) => Prop::Int(i64::from(*i)),
                tiled::PropertyValue::FloatValue(f) => Prop::Float(f64::from(*f)),
                tiled::PropertyValue::StringValue(s) | tiled::PropertyValue::FileValue(s) => {
                    Prop::Text(s.clone())
                }
                _ => Prop::Other,
            };
            (k.clone(), v)
        })
        .collect()
}

/// The terrain a tile's properties give (`None`: no `terrain`), or why it is wrong.
pub(super) fn tile_terrain(p: &Props) -> Result<Option<TileTerrain>, String> {
    match p.get("terrain") {
        None => Ok(None),
        Some(Prop::Text(s)) => TileTerrain::parse(s).map(Some),
        Some(_) => Err("property `terrain` should be a string".into()),
    }
}

/// Checks every tile's `terrain` in a tileset, and that its tiles are the map's size.
fn check_tileset(ts: &tiled::Tileset, tile: Option<u32>, errors: &mut Vec<String>) {
    if let Some(t) = tile
        && (ts.tile_width != t || ts.tile_height != t)
    {
        errors.push(format!(
            "tileset `{}` has {}×{} pixel tiles: expected the map's {t}×{t}",
            ts.name, ts.tile_width, ts.tile_height
        ));
    }
    let mut tiles: Vec<_> = ts.tiles().collect();
    tiles.sort_by_key(|(id, _)| *id);
    for (id, tile) in tiles {
        if let Err(m) = tile_terrain(&props(&tile.properties)) {
            errors.push(format!("tile {id} of tileset `{}`: {m}", ts.name));
        }
    }
}

/// Checks a tileset or template file on its own.
pub(super) fn check_resource(
    file: &Path,
    text: &str,
    resources: &Resources,
) -> Result<(), Vec<ContentError>> {
    if file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tsj"))
    {
        return super::tmj::check_tsj(file, text);
    }
    guard::check(text).map_err(|(at, m)| vec![located(file, text, at, m)])?;
    if file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tsx"))
    {
        let mut loader = tiled::Loader::with_reader(reader(file, text, resources));
        let ts = shielded(file, || loader.load_tsx_tileset(file))?;
        let mut errors = Vec::new();
        check_tileset(&ts, None, &mut errors);
        if !errors.is_empty() {
            return Err(errors.into_iter().map(|m| file_error(file, m)).collect());
        }
    }
    Ok(())
}

fn objects(layer: &tiled::ObjectLayer<'_>, out: &mut Vec<RawObject>) {
    for o in layer.objects() {
        let shape = match &o.shape {
            tiled::ObjectShape::Point(..) => Shape::Point,
            tiled::ObjectShape::Rect { width, height } => Shape::Rect {
                w: f64::from(*width),
                h: f64::from(*height),
            },
            tiled::ObjectShape::Polyline { points } | tiled::ObjectShape::Polygon { points } => {
                Shape::Line {
                    points: points
                        .iter()
                        .map(|&(x, y)| (f64::from(x), f64::from(y)))
                        .collect(),
                    closed: matches!(o.shape, tiled::ObjectShape::Polygon { .. }),
                }
            }
            tiled::ObjectShape::Ellipse { .. } => Shape::Other("ellipse"),
            _ => Shape::Other("text or capsule"),
        };
        // A tile object's position is its bottom-left corner.
        let lift = match (&shape, o.tile_data()) {
            (Shape::Rect { h, .. }, Some(_)) => *h,
            _ => 0.0,
        };
        out.push(RawObject {
            id: o.id(),
            name: o.name.clone(),
            class: o.user_type.clone(),
            x: f64::from(o.x),
            y: f64::from(o.y) - lift,
            rotation: f64::from(o.rotation),
            shape,
            props: props(&o.properties),
        });
    }
}

fn layers<'m>(
    list: impl Iterator<Item = tiled::Layer<'m>>,
    raw: &mut RawMap,
    errors: &mut Vec<String>,
) {
    for layer in list {
        match layer.layer_type() {
            tiled::LayerType::Tiles(tiled::TileLayer::Finite(t)) => {
                let mut squares = Vec::with_capacity(raw.width as usize * raw.height as usize);
                for y in 0..raw.height as i32 {
                    for x in 0..raw.width as i32 {
                        let terrain = t.get_tile(x, y).map(|lt| {
                            lt.get_tile()
                                .and_then(|tile| {
                                    tile_terrain(&props(&tile.properties)).ok().flatten()
                                })
                                .unwrap_or(TileTerrain::Floor)
                        });
                        squares.push(terrain);
                    }
                }
                raw.layers.push(squares);
            }
            tiled::LayerType::Tiles(tiled::TileLayer::Infinite(_)) => {
                errors.push(format!(
                    "layer `{}` is infinite: expected a finite map",
                    layer.name
                ));
            }
            tiled::LayerType::Objects(o) => objects(&o, &mut raw.objects),
            tiled::LayerType::Group(g) => layers(g.layers(), raw, errors),
            tiled::LayerType::Image(_) => {}
        }
    }
}

/// Reads a `.tmx` map.
pub(super) fn load_tmx(
    file: &Path,
    text: &str,
    resources: &Resources,
) -> Result<MapDef, Vec<ContentError>> {
    let size = guard::check(text)
        .map_err(|(at, m)| vec![located(file, text, at, m)])?
        .ok_or_else(|| vec![file_error(file, "no `<map>` element: expected a Tiled map")])?;
    let mut loader = tiled::Loader::with_reader(reader(file, text, resources));
    let map = shielded(file, || loader.load_tmx_map(file))?;
    if (map.width, map.height, map.tile_width) != (size.width, size.height, size.tile) {
        return Err(vec![file_error(
            file,
            "the map's size changed between two readings",
        )]);
    }
    let mut errors = Vec::new();
    for ts in map.tilesets() {
        check_tileset(ts, Some(size.tile), &mut errors);
    }
    let mut raw = RawMap {
        width: size.width,
        height: size.height,
        tile: size.tile,
        props: props(&map.properties),
        layers: Vec::new(),
        objects: Vec::new(),
    };
    layers(map.layers(), &mut raw, &mut errors);
    if !errors.is_empty() {
        return Err(errors.into_iter().map(|m| file_error(file, m)).collect());
    }
    to_map_def(&raw, file).map_err(|problems| {
        problems
            .into_iter()
            .map(|p| object_error(file, text, p.object, p.message))
            .collect()
    })
}
