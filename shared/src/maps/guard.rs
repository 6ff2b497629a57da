//! A first pass over a Tiled XML file (`.tmx`, `.tsx`, `.tx`) before the `tiled` crate reads
//! it, so that a hostile file is refused with a located error instead of making the reader
//! allocate without bound, recurse without bound or index past a layer's data: the map is
//! orthogonal, finite, at most 200 squares each way, with square tiles; every tile layer is the
//! map's size and holds exactly one tile per square (after decompression, itself bounded);
//! elements nest at most [`MAX_DEPTH`] deep; a tileset declares at most [`MAX_TILES`] tiles; no
//! DOCTYPE declares entities to expand.

use super::MAX_SQUARES_ACROSS;
use base64::Engine;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use std::io::Read;

/// The deepest elements nest (groups in groups, class properties in class properties).
pub const MAX_DEPTH: usize = 64;

/// The most tiles a tileset may declare.
pub const MAX_TILES: u32 = 65_536;

/// What the pass learned of a map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapSize {
    /// Squares across.
    pub width: u32,
    /// Squares down.
    pub height: u32,
    /// A tile's edge in pixels.
    pub tile: u32,
}

/// A problem at a byte offset of the file.
pub type Located = (usize, String);

struct Data {
    at: usize,
    encoding: Option<String>,
    compression: Option<String>,
    text: String,
}

/// Checks a Tiled XML file; for a map (`<map>` at the top) its size.
pub fn check(text: &str) -> Result<Option<MapSize>, Located> {
    let mut reader = Reader::from_str(text);
    let mut depth = 0usize;
    let mut map: Option<MapSize> = None;
    let mut layer: Option<(u32, u32)> = None;
    let mut data: Option<Data> = None;
    loop {
        let at = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| (reader.buffer_position(), format!("malformed XML: {e}")))?;
        match event {
            Event::Eof => break,
            Event::Start(e) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err((at, format!("elements nest deeper than {MAX_DEPTH}")));
                }
                element(&e, at, &mut map, &mut layer, &mut data, false)?;
            }
            Event::Empty(e) => element(&e, at, &mut map, &mut layer, &mut data, true)?,
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                match e.local_name().as_ref() {
                    b"data" => {
                        if let Some(d) = data.take() {
                            finish_data(d, layer)?;
                        }
                    }
                    b"layer" => layer = None,
                    _ => {}
                }
            }
            Event::Text(t) => {
                if let Some(d) = data.as_mut() {
                    let t = t
                        .unescape()
                        .map_err(|e| (at, format!("malformed XML text: {e}")))?;
                    d.text.push_str(&t);
                }
            }
            // Entity declarations (a "billion laughs") have no place in a Tiled file.
            Event::DocType(_) => {
                return Err((
                    at,
                    "a DOCTYPE (entity declarations): expected a Tiled file, which has none".into(),
                ));
            }
            Event::CData(c) => {
                if let Some(d) = data.as_mut() {
                    d.text.push_str(&String::from_utf8_lossy(&c.into_inner()));
                }
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err((
            text.len(),
            "the file ends inside an element (cut short?)".into(),
        ));
    }
    Ok(map)
}

/// The value of attribute `name`; every attribute is read, so a duplicated one is an error
/// here as it is for the `tiled` crate.
fn attr(e: &BytesStart<'_>, name: &str, at: usize) -> Result<Option<String>, Located> {
    let mut found = None;
    for a in e.attributes() {
        let a = a.map_err(|err| (at, format!("malformed XML attribute: {err}")))?;
        if a.key.as_ref() == name.as_bytes() {
            let v = a
                .unescape_value()
                .map_err(|err| (at, format!("malformed XML attribute `{name}`: {err}")))?;
            found = Some(v.into_owned());
        }
    }
    Ok(found)
}

fn number(e: &BytesStart<'_>, name: &str, at: usize) -> Result<Option<u32>, Located> {
    match attr(e, name, at)? {
        None => Ok(None),
        Some(v) => v.trim().parse::<u32>().map(Some).map_err(|_| {
            (
                at,
                format!("`{name}=\"{v}\"`: expected a whole number of at most 4294967295"),
            )
        }),
    }
}

fn element(
    e: &BytesStart<'_>,
    at: usize,
    map: &mut Option<MapSize>,
    layer: &mut Option<(u32, u32)>,
    data: &mut Option<Data>,
    empty: bool,
) -> Result<(), Located> {
    match e.local_name().as_ref() {
        b"map" => {
            let orientation = attr(e, "orientation", at)?.unwrap_or_default();
            if orientation != "orthogonal" {
                return Err((
                    at,
                    format!(
                        "map orientation `{orientation}`: expected `orthogonal` (square tiles on a square grid)"
                    ),
                ));
            }
            if attr(e, "infinite", at)?.is_some_and(|v| v.trim() != "0") {
                return Err((
                    at,
                    "an infinite map: expected a finite one (Tiled: Map › Map Properties › Infinite off)"
                        .into(),
                ));
            }
            let width = number(e, "width", at)?.unwrap_or(0);
            let height = number(e, "height", at)?.unwrap_or(0);
            if !(1..=MAX_SQUARES_ACROSS).contains(&width)
                || !(1..=MAX_SQUARES_ACROSS).contains(&height)
            {
                return Err((
                    at,
                    format!(
                        "map is {width}×{height}: expected 1 to {MAX_SQUARES_ACROSS} squares each way"
                    ),
                ));
            }
            let tw = number(e, "tilewidth", at)?.unwrap_or(0);
            let th = number(e, "tileheight", at)?.unwrap_or(0);
            if tw == 0 || tw != th || tw > 4096 {
                return Err((
                    at,
                    format!(
                        "tiles are {tw}×{th} pixels: expected square tiles (one grid square of 5 ft each) of at most 4096 pixels"
                    ),
                ));
            }
            *map = Some(MapSize {
                width,
                height,
                tile: tw,
            });
        }
        b"layer" => {
            let size = (
                number(e, "width", at)?.unwrap_or(0),
                number(e, "height", at)?.unwrap_or(0),
            );
            let Some(m) = map else {
                return Err((at, "a tile layer outside a `<map>`".into()));
            };
            if size != (m.width, m.height) {
                return Err((
                    at,
                    format!(
                        "tile layer is {}×{}: expected the map's size, {}×{}",
                        size.0, size.1, m.width, m.height
                    ),
                ));
            }
            *layer = Some(size);
        }
        b"chunk" => {
            return Err((
                at,
                "layer data in chunks (an infinite map): expected a finite map".into(),
            ));
        }
        b"tileset"
            if number(e, "tilecount", at)?.is_some_and(|n| n > MAX_TILES)
                || number(e, "columns", at)?.is_some_and(|n| n > MAX_TILES) =>
        {
            return Err((at, format!("a tileset of more than {MAX_TILES} tiles")));
        }
        b"data" => {
            let encoding = attr(e, "encoding", at)?;
            if encoding.is_none() {
                return Err((
                    at,
                    "tile layer data as XML elements: expected CSV or Base64 (Tiled: Map › Map Properties › Tile Layer Format)".into(),
                ));
            }
            let d = Data {
                at,
                encoding,
                compression: attr(e, "compression", at)?,
                text: String::new(),
            };
            if empty {
                finish_data(d, *layer)?;
            } else {
                *data = Some(d);
            }
        }
        _ => {}
    }
    Ok(())
}

/// Counts the tiles of a layer's data and checks there is one per square.
fn finish_data(d: Data, layer: Option<(u32, u32)>) -> Result<(), Located> {
    let Some((w, h)) = layer else {
        return Err((d.at, "layer data outside a tile layer".into()));
    };
    let expected = w as usize * h as usize;
    let count = match d.encoding.as_deref() {
        Some("csv") => match d.compression.as_deref() {
            None => {
                let t = d.text.trim();
                if t.is_empty() {
                    0
                } else {
                    t.bytes().filter(|&b| b == b',').count() + 1
                }
            }
            Some(c) => return Err((d.at, format!("CSV data with compression `{c}`"))),
        },
        Some("base64") => {
            decode(d.text.trim(), d.compression.as_deref(), expected)
                .map_err(|m| (d.at, m))?
                .len()
                / 4
        }
        Some(other) => {
            return Err((
                d.at,
                format!("tile layer encoding `{other}`: expected `csv` or `base64`"),
            ));
        }
        None => 0,
    };
    if count != expected {
        return Err((
            d.at,
            format!(
                "tile layer data holds {count} tiles: expected {expected}, one per square ({w}×{h})"
            ),
        ));
    }
    Ok(())
}

/// Base64 layer data decoded and decompressed, reading at most one tile more than `tiles`
/// (a compressed bomb stops there).
pub fn decode(text: &str, compression: Option<&str>, tiles: usize) -> Result<Vec<u8>, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.as_bytes())
        .map_err(|e| format!("tile layer data is not Base64: {e}"))?;
    let limit = (tiles as u64 + 1) * 4;
    let inflate = |mut r: Box<dyn Read + '_>| -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        (&mut r)
            .take(limit)
            .read_to_end(&mut out)
            .map_err(|e| format!("tile layer data cannot be decompressed: {e}"))?;
        Ok(out)
    };
    let out = match compression {
        None | Some("") => bytes,
        Some("zlib") => inflate(Box::new(flate2::read::ZlibDecoder::new(&bytes[..])))?,
        Some("gzip") => inflate(Box::new(flate2::read::GzDecoder::new(&bytes[..])))?,
        Some(other) => {
            return Err(format!(
                "tile layer compression `{other}`: expected none, `zlib` or `gzip` (Tiled: Map › Map Properties › Tile Layer Format)"
            ));
        }
    };
    if out.len() % 4 != 0 {
        return Err(format!(
            "tile layer data is {} bytes: expected 4 bytes a tile",
            out.len()
        ));
    }
    Ok(out)
}
