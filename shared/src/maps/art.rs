//! What a window draws for a Tiled map (`.tmx`): its tile layers in order, each tile as an
//! index into its tileset's image. The rules never need this (they read the `terrain`
//! property); a client reads the map and its tilesets itself, through the same guard and the
//! same reader as the server, so a modder's new tileset is drawn with no code.

use super::tiled::{reader, shielded};
use super::{Resources, file_error, guard, normal};
use crate::content::ContentError;
use std::path::{Path, PathBuf};

/// A tileset's picture and how it is cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TilesetArt {
    /// The image, relative to the assets folder (`art/tiles.png`).
    pub image: String,
    /// One tile's size in pixels.
    pub tile: (u32, u32),
    /// Pixels between tiles.
    pub spacing: u32,
    /// Pixels around the tiles.
    pub margin: u32,
    /// Tiles in a row of the image.
    pub columns: u32,
}

/// A tile drawn on a square: its index in the tileset's image and how it is flipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileArt {
    /// Its square, counted from the top-left.
    pub at: (u32, u32),
    /// The tile's index in the tileset.
    pub index: u32,
    /// Flipped across, down, diagonally.
    pub flip: (bool, bool, bool),
}

/// One layer's tiles from one tileset (a layer using two tilesets gives two).
#[derive(Debug, Clone, PartialEq)]
pub struct LayerArt {
    /// The layer's name.
    pub name: String,
    /// Its opacity, 0 to 1.
    pub opacity: f32,
    /// The tileset.
    pub tileset: TilesetArt,
    /// Its tiles.
    pub tiles: Vec<TileArt>,
}

/// A Tiled map's art: its size in squares and its tile layers, bottom first.
#[derive(Debug, Clone, PartialEq)]
pub struct MapArt {
    /// Squares across and down.
    pub size: (u32, u32),
    /// The layers, in drawing order.
    pub layers: Vec<LayerArt>,
}

/// The tilesets (`.tsx`) a `.tmx` map names, as paths beside the map (for a client to fetch
/// before [`tmx_art`]). Read from the guarded text only.
pub fn tileset_sources(file: &Path, text: &str) -> Vec<PathBuf> {
    let dir = file.parent().unwrap_or(Path::new(""));
    let mut out = Vec::new();
    for chunk in text.split("<tileset").skip(1) {
        let head = chunk.split('>').next().unwrap_or_default();
        if let Some(rest) = head.split("source=\"").nth(1)
            && let Some(src) = rest.split('"').next()
        {
            let p = normal(&dir.join(src));
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

/// Reads a `.tmx` map's art; `tilesets` are the files it names (path, text), as
/// [`tileset_sources`] lists them.
pub fn tmx_art(
    file: &Path,
    text: &str,
    tilesets: &[(PathBuf, String)],
) -> Result<MapArt, Vec<ContentError>> {
    let located = |at: usize, m: String| {
        let (line, column) = super::line_column(text, at);
        vec![ContentError {
            file: file.to_path_buf(),
            line,
            column,
            message: m,
        }]
    };
    guard::check(text)
        .map_err(|(at, m)| located(at, m))?
        .ok_or_else(|| vec![file_error(file, "no `<map>` element: expected a Tiled map")])?;
    let resources = Resources::of(tilesets.iter().map(|(p, t)| (p.as_path(), t.as_str())));
    let mut loader = tiled::Loader::with_reader(reader(file, text, &resources));
    let map = shielded(file, || loader.load_tmx_map(file))?;
    let mut layers = Vec::new();
    collect(map.layers(), 1.0, &map, &mut layers);
    Ok(MapArt {
        size: (map.width, map.height),
        layers,
    })
}

fn collect<'m>(
    list: impl Iterator<Item = tiled::Layer<'m>>,
    opacity: f32,
    map: &'m tiled::Map,
    out: &mut Vec<LayerArt>,
) {
    for layer in list {
        if !layer.visible {
            continue;
        }
        let opacity = opacity * layer.opacity;
        match layer.layer_type() {
            tiled::LayerType::Tiles(tiled::TileLayer::Finite(t)) => {
                let mut by_set: Vec<(usize, Vec<TileArt>)> = Vec::new();
                for y in 0..map.height {
                    for x in 0..map.width {
                        let Some(lt) = t.get_tile(x as i32, y as i32) else {
                            continue;
                        };
                        let tile = TileArt {
                            at: (x, y),
                            index: lt.id(),
                            flip: (lt.flip_h, lt.flip_v, lt.flip_d),
                        };
                        let set = lt.tileset_index();
                        match by_set.iter_mut().find(|(s, _)| *s == set) {
                            Some((_, tiles)) => tiles.push(tile),
                            None => by_set.push((set, vec![tile])),
                        }
                    }
                }
                for (set, tiles) in by_set {
                    let ts = &map.tilesets()[set];
                    // A tileset of single images (no sheet) is not drawn.
                    let Some(image) = &ts.image else { continue };
                    out.push(LayerArt {
                        name: layer.name.clone(),
                        opacity,
                        tileset: TilesetArt {
                            image: normal(&image.source).to_string_lossy().replace('\\', "/"),
                            tile: (ts.tile_width, ts.tile_height),
                            spacing: ts.spacing,
                            margin: ts.margin,
                            columns: ts.columns,
                        },
                        tiles,
                    });
                }
            }
            tiled::LayerType::Group(g) => collect(g.layers(), opacity, map, out),
            _ => {}
        }
    }
}
