//! Tiled JSON maps (`.tmj`) and tilesets (`.tsj`), read with serde_json into the same
//! [`RawMap`] as a `.tmx` (the `tiled` crate reads only XML). External `.tsx` tilesets are read
//! through the `tiled` crate, after the guard, like a `.tmx`'s.

use super::objects::{Prop, Props, RawMap, RawObject, Shape, TileTerrain, to_map_def};
use super::tiled::{object_error, tile_terrain};
use super::{MAX_SQUARES_ACROSS, Resources, file_error, guard, normal};
use crate::content::{ContentError, MapDef};
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::collections::HashMap;
use std::path::Path;

#[derive(Deserialize)]
struct JProp {
    name: String,
    #[serde(default)]
    value: serde_json::Value,
}

fn props(list: &[JProp]) -> Props {
    list.iter()
        .map(|p| {
            let v = match &p.value {
                serde_json::Value::Bool(b) => Prop::Bool(*b),
                serde_json::Value::String(s) => Prop::Text(s.clone()),
                serde_json::Value::Number(n) => match n.as_i64() {
                    Some(i) => Prop::Int(i),
                    None => Prop::Float(n.as_f64().unwrap_or(f64::NAN)),
                },
                _ => Prop::Other,
            };
            (p.name.clone(), v)
        })
        .collect()
}

#[derive(Deserialize)]
struct JTile {
    id: u32,
    #[serde(default)]
    properties: Vec<JProp>,
}

#[derive(Deserialize)]
struct JTileset {
    #[serde(default)]
    firstgid: u32,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    tilewidth: u32,
    #[serde(default)]
    tileheight: u32,
    #[serde(default)]
    tiles: Vec<JTile>,
}

/// A layer's data: gids, or Base64 text.
enum JData {
    Gids(Vec<u32>),
    Text(String),
}

impl<'de> Deserialize<'de> for JData {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = JData;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an array of tile ids or a Base64 string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<JData, E> {
                Ok(JData::Text(s.to_string()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<JData, A::Error> {
                let most = (MAX_SQUARES_ACROSS * MAX_SQUARES_ACROSS) as usize;
                let mut gids = Vec::new();
                while let Some(g) = seq.next_element::<u32>()? {
                    if gids.len() == most {
                        return Err(serde::de::Error::custom(format!(
                            "a tile layer of more than {most} tiles"
                        )));
                    }
                    gids.push(g);
                }
                Ok(JData::Gids(gids))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
struct JPoint {
    x: f64,
    y: f64,
}

#[derive(Deserialize)]
struct JObject {
    #[serde(default)]
    id: u32,
    #[serde(default)]
    name: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    class: String,
    #[serde(default)]
    x: f64,
    #[serde(default)]
    y: f64,
    #[serde(default)]
    width: f64,
    #[serde(default)]
    height: f64,
    #[serde(default)]
    rotation: f64,
    #[serde(default)]
    point: bool,
    #[serde(default)]
    ellipse: bool,
    #[serde(default)]
    capsule: bool,
    #[serde(default)]
    polygon: Option<Vec<JPoint>>,
    #[serde(default)]
    polyline: Option<Vec<JPoint>>,
    #[serde(default)]
    text: Option<IgnoredAny>,
    #[serde(default)]
    gid: Option<u32>,
    #[serde(default)]
    template: Option<String>,
    #[serde(default)]
    properties: Vec<JProp>,
}

#[derive(Deserialize)]
struct JLayer {
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    width: u32,
    #[serde(default)]
    height: u32,
    #[serde(default)]
    data: Option<JData>,
    #[serde(default)]
    encoding: Option<String>,
    #[serde(default)]
    compression: Option<String>,
    #[serde(default)]
    objects: Vec<JObject>,
    #[serde(default)]
    layers: Vec<JLayer>,
}

#[derive(Deserialize)]
struct JMap {
    #[serde(default)]
    orientation: String,
    #[serde(default)]
    width: u32,
    #[serde(default)]
    height: u32,
    #[serde(default)]
    tilewidth: u32,
    #[serde(default)]
    tileheight: u32,
    #[serde(default)]
    infinite: bool,
    #[serde(default)]
    properties: Vec<JProp>,
    #[serde(default)]
    tilesets: Vec<JTileset>,
    #[serde(default)]
    layers: Vec<JLayer>,
}

fn json_error(file: &Path, e: &serde_json::Error) -> ContentError {
    ContentError {
        file: file.to_path_buf(),
        line: e.line().max(1),
        column: e.column().max(1),
        message: format!("malformed JSON: {e}"),
    }
}

/// Each tile's terrain in a tileset by local id, or the problems.
fn terrains(ts: &JTileset, errors: &mut Vec<String>) -> HashMap<u32, TileTerrain> {
    let mut out = HashMap::new();
    for t in &ts.tiles {
        match tile_terrain(&props(&t.properties)) {
            Ok(Some(terrain)) => {
                out.insert(t.id, terrain);
            }
            Ok(None) => {}
            Err(m) => errors.push(format!("tile {} of tileset `{}`: {m}", t.id, ts.name)),
        }
    }
    out
}

/// Checks a `.tsj` tileset on its own.
pub(super) fn check_tsj(file: &Path, text: &str) -> Result<(), Vec<ContentError>> {
    let ts: JTileset = serde_json::from_str(text).map_err(|e| vec![json_error(file, &e)])?;
    let mut errors = Vec::new();
    terrains(&ts, &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.into_iter().map(|m| file_error(file, m)).collect())
    }
}

/// A tileset's first gid, tile size and terrains, for one external or embedded tileset.
type Gids = (u32, (u32, u32), String, HashMap<u32, TileTerrain>);

fn tileset(
    file: &Path,
    ts: &JTileset,
    resources: &Resources,
    errors: &mut Vec<String>,
) -> Option<Gids> {
    let Some(source) = &ts.source else {
        let t = terrains(ts, errors);
        return Some((
            ts.firstgid,
            (ts.tilewidth, ts.tileheight),
            ts.name.clone(),
            t,
        ));
    };
    let path = file.parent().unwrap_or(Path::new("")).join(source);
    let Some(text) = resources.get(&path) else {
        errors.push(format!(
            "tileset `{source}` is not among the files of maps/: keep tilesets beside the maps"
        ));
        return None;
    };
    if source.to_ascii_lowercase().ends_with(".tsx") {
        if let Err((at, m)) = guard::check(text) {
            let (l, c) = super::line_column(text, at);
            errors.push(format!("tileset `{source}`, {l}:{c}: {m}"));
            return None;
        }
        let serve = |p: &Path| {
            let t = (normal(p) == normal(&path))
                .then_some(text)
                .ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "a tileset of a .tmj map names another file",
                    )
                })?;
            Ok::<_, std::io::Error>(std::io::Cursor::new(t.as_bytes().to_vec()))
        };
        let mut loader = tiled::Loader::with_reader(serve);
        let loaded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            loader.load_tsx_tileset(&path)
        }));
        let Ok(Ok(t)) = loaded else {
            errors.push(format!(
                "tileset `{source}` cannot be read as a Tiled tileset"
            ));
            return None;
        };
        let mut list: Vec<_> = t.tiles().collect();
        list.sort_by_key(|(id, _)| *id);
        let mut out = HashMap::new();
        for (id, tile) in list {
            let p = super::tiled::props(&tile.properties);
            match tile_terrain(&p) {
                Ok(Some(terrain)) => {
                    out.insert(id, terrain);
                }
                Ok(None) => {}
                Err(m) => errors.push(format!("tile {id} of tileset `{}`: {m}", t.name)),
            }
        }
        return Some((
            ts.firstgid,
            (t.tile_width, t.tile_height),
            t.name.clone(),
            out,
        ));
    }
    match serde_json::from_str::<JTileset>(text) {
        Ok(inner) => {
            let t = terrains(&inner, errors);
            Some((
                ts.firstgid,
                (inner.tilewidth, inner.tileheight),
                inner.name,
                t,
            ))
        }
        Err(e) => {
            errors.push(format!("tileset `{source}`: malformed JSON: {e}"));
            None
        }
    }
}

fn object(o: &JObject) -> Result<RawObject, String> {
    if o.template.is_some() {
        return Err(format!(
            "object {} uses a template: expected it detached (Tiled: Detach Template), or a .tmx map",
            o.id
        ));
    }
    let pts = |p: &Vec<JPoint>| p.iter().map(|q| (q.x, q.y)).collect();
    let shape = if o.point {
        Shape::Point
    } else if let Some(p) = &o.polygon {
        Shape::Line {
            points: pts(p),
            closed: true,
        }
    } else if let Some(p) = &o.polyline {
        Shape::Line {
            points: pts(p),
            closed: false,
        }
    } else if o.ellipse {
        Shape::Other("ellipse")
    } else if o.text.is_some() || o.capsule {
        Shape::Other("text or capsule")
    } else {
        Shape::Rect {
            w: o.width,
            h: o.height,
        }
    };
    // A tile object's position is its bottom-left corner.
    let lift = if o.gid.is_some() { o.height } else { 0.0 };
    Ok(RawObject {
        id: o.id,
        name: o.name.clone(),
        class: if o.class.is_empty() {
            o.kind.clone()
        } else {
            o.class.clone()
        },
        x: o.x,
        y: o.y - lift,
        rotation: o.rotation,
        shape,
        props: props(&o.properties),
    })
}

fn layers(list: &[JLayer], raw: &mut RawMap, sets: &[Gids], errors: &mut Vec<String>) {
    let n = raw.width as usize * raw.height as usize;
    for l in list {
        match l.kind.as_str() {
            "tilelayer" => {
                if (l.width, l.height) != (raw.width, raw.height) {
                    errors.push(format!(
                        "tile layer `{}` is {}×{}: expected the map's size, {}×{}",
                        l.name, l.width, l.height, raw.width, raw.height
                    ));
                    continue;
                }
                let gids: Vec<u32> = match &l.data {
                    Some(JData::Gids(g)) => g.clone(),
                    Some(JData::Text(t)) if l.encoding.as_deref() == Some("base64") => {
                        match guard::decode(t.trim(), l.compression.as_deref(), n) {
                            Ok(bytes) => bytes
                                .chunks_exact(4)
                                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                                .collect(),
                            Err(m) => {
                                errors.push(format!("tile layer `{}`: {m}", l.name));
                                continue;
                            }
                        }
                    }
                    _ => {
                        errors.push(format!(
                            "tile layer `{}` has no `data` (chunks?): expected an array of tile ids or Base64",
                            l.name
                        ));
                        continue;
                    }
                };
                if gids.len() != n {
                    errors.push(format!(
                        "tile layer `{}` holds {} tiles: expected {n}, one per square",
                        l.name,
                        gids.len()
                    ));
                    continue;
                }
                let terrain = |g: u32| {
                    let gid = g & 0x0FFF_FFFF; // without the flip and rotation bits
                    if gid == 0 {
                        return None;
                    }
                    let (first, _, _, t) = sets.iter().rev().find(|s| s.0 <= gid)?;
                    Some(t.get(&(gid - first)).copied().unwrap_or(TileTerrain::Floor))
                };
                raw.layers.push(gids.into_iter().map(terrain).collect());
            }
            "objectgroup" => {
                for o in &l.objects {
                    match object(o) {
                        Ok(o) => raw.objects.push(o),
                        Err(m) => errors.push(m),
                    }
                }
            }
            "group" => layers(&l.layers, raw, sets, errors),
            _ => {}
        }
    }
}

/// Reads a `.tmj` map.
pub(super) fn load_tmj(
    file: &Path,
    text: &str,
    resources: &Resources,
) -> Result<MapDef, Vec<ContentError>> {
    let m: JMap = serde_json::from_str(text).map_err(|e| vec![json_error(file, &e)])?;
    let fail = |m: String| vec![file_error(file, m)];
    if m.orientation != "orthogonal" {
        return Err(fail(format!(
            "map orientation `{}`: expected `orthogonal` (square tiles on a square grid)",
            m.orientation
        )));
    }
    if m.infinite {
        return Err(fail(
            "an infinite map: expected a finite one (Tiled: Map › Map Properties › Infinite off)"
                .into(),
        ));
    }
    let across = 1..=MAX_SQUARES_ACROSS;
    if !across.contains(&m.width) || !across.contains(&m.height) {
        return Err(fail(format!(
            "map is {}×{}: expected 1 to {MAX_SQUARES_ACROSS} squares each way",
            m.width, m.height
        )));
    }
    if m.tilewidth == 0 || m.tilewidth != m.tileheight {
        return Err(fail(format!(
            "tiles are {}×{} pixels: expected square tiles (one grid square of 5 ft each)",
            m.tilewidth, m.tileheight
        )));
    }
    let mut errors = Vec::new();
    let mut sets: Vec<Gids> = m
        .tilesets
        .iter()
        .filter_map(|ts| tileset(file, ts, resources, &mut errors))
        .collect();
    sets.sort_by_key(|s| s.0);
    for (_, size, name, _) in &sets {
        if *size != (m.tilewidth, m.tileheight) {
            errors.push(format!(
                "tileset `{name}` has {}×{} pixel tiles: expected the map's {}×{}",
                size.0, size.1, m.tilewidth, m.tileheight
            ));
        }
    }
    let mut raw = RawMap {
        width: m.width,
        height: m.height,
        tile: m.tilewidth,
        props: props(&m.properties),
        layers: Vec::new(),
        objects: Vec::new(),
    };
    layers(&m.layers, &mut raw, &sets, &mut errors);
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
