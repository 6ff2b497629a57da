//! Maps drawn in **Tiled** (`.tmx`, `.tmj`, with tilesets `.tsx`/`.tsj` and templates `.tx`
//! beside them in `maps/`), read into the same [`MapDef`] as a RON map: its rows of squares,
//! plus what the file's objects say (wall segments, doors with their leaf, party start squares,
//! foes, exits, points of interest, triggers, lights). Encounters and scenes naming the map
//! then get its foes, exits, doors, points and triggers ([`merge`]). The conventions are in
//! `docs/modding.md`, section 7. Universal VTT files are read by [`crate::uvtt`].
//!
//! Every file is untrusted input: a bad one gives errors naming the file (and the object, the
//! square or the line and column), never a panic, and its sizes are bounded before anything
//! is allocated for them ([`MAX_MAP_FILE_BYTES`], [`MAX_SQUARES_ACROSS`], the guard's limits).
//! A Tiled map reads its tilesets from the content files given with it, never from elsewhere
//! on the disk.

pub mod art;
mod grid;
mod guard;
pub mod merge;
mod objects;
mod raw;
mod tiled;
mod tmj;

pub use grid::{MAX_WALLS, map_grid};

use crate::content::{ContentError, MapDef};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

/// The largest map file read (a Universal VTT file carries its picture): 64 MiB.
pub const MAX_MAP_FILE_BYTES: u64 = crate::uvtt::MAX_FILE_BYTES;

/// The most squares a map has across or down (as for RON maps).
pub const MAX_SQUARES_ACROSS: u32 = 200;

/// A foe's start square on a map (a Tiled `Spawn` object with `side` `foe`): with a creature,
/// the foe joins every encounter and scene on the map; without, the square is only marked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpawnDef {
    /// Its square.
    pub at: (i32, i32),
    /// The creature id.
    #[serde(default)]
    pub creature: Option<String>,
    /// The foe's own name.
    #[serde(default)]
    pub name: Option<String>,
    /// Unseen until the fight starts.
    #[serde(default)]
    pub hidden: bool,
}

/// The format of a file in `maps/`, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapFormat {
    /// Emberkeep's own `.ron` (any other extension reads as RON too).
    Ron,
    /// Tiled XML map, `.tmx`.
    TiledXml,
    /// Tiled JSON map, `.tmj`.
    TiledJson,
    /// A Tiled tileset or template (`.tsx`, `.tsj`, `.tx`): read for the maps that use it.
    TiledResource,
    /// Universal VTT (`.dd2vtt`, `.uvtt`, `.df2vtt`).
    UniversalVtt,
}

impl MapFormat {
    /// Every extension read from `maps/`.
    pub const EXTENSIONS: [&'static str; 9] = [
        "ron", "tmx", "tmj", "tsx", "tsj", "tx", "dd2vtt", "uvtt", "df2vtt",
    ];

    /// The format of a file by its extension.
    pub fn of(path: &Path) -> MapFormat {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase();
        match ext.as_str() {
            "tmx" => MapFormat::TiledXml,
            "tmj" => MapFormat::TiledJson,
            "tsx" | "tsj" | "tx" => MapFormat::TiledResource,
            "dd2vtt" | "uvtt" | "df2vtt" => MapFormat::UniversalVtt,
            _ => MapFormat::Ron,
        }
    }
}

/// The Tiled tilesets and templates of a content set, by path, for the maps that name them.
#[derive(Debug, Default)]
pub(crate) struct Resources(BTreeMap<PathBuf, String>);

impl Resources {
    /// The tilesets and templates among `files` (of the `maps/` kind).
    pub(crate) fn of<'a>(files: impl Iterator<Item = (&'a Path, &'a str)>) -> Self {
        Resources(
            files
                .filter(|(p, _)| MapFormat::of(p) == MapFormat::TiledResource)
                .map(|(p, t)| (normal(p), t.to_string()))
                .collect(),
        )
    }

    /// The text of the file at `path` (`..` and `.` resolved without the disk).
    fn get(&self, path: &Path) -> Option<&str> {
        self.0.get(&normal(path)).map(String::as_str)
    }
}

/// `path` with `.` and `..` resolved by name alone.
fn normal(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            // `..` takes back a name, never another `..` nor the root.
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other),
        }
    }
    out
}

/// An error at the start of `file`.
pub(crate) fn file_error(file: &Path, message: impl Into<String>) -> ContentError {
    ContentError {
        file: file.to_path_buf(),
        line: 1,
        column: 1,
        message: message.into(),
    }
}

/// The 1-based line and column of byte `offset` in `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The file a client draws a map's own art from, relative to the assets folder
/// (`maps/den.tmx`, `maps/cellar.dd2vtt`).
pub(crate) fn art_path(file: &Path) -> String {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("maps/{name}")
}

/// The id of a map file: its name without the extension.
fn stem(file: &Path) -> String {
    file.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Reads a Tiled map file (`.tmx`, `.tmj`); tilesets and templates are checked on their own,
/// for nothing: `Ok(None)`. RON and Universal VTT files are read by the content loader.
pub(crate) fn load(
    file: &Path,
    text: &str,
    resources: &Resources,
) -> Result<Option<MapDef>, Vec<ContentError>> {
    if text.len() as u64 > MAX_MAP_FILE_BYTES {
        return Err(vec![file_error(
            file,
            format!(
                "the file is {} bytes: expected at most {MAX_MAP_FILE_BYTES} (64 MiB)",
                text.len()
            ),
        )]);
    }
    match MapFormat::of(file) {
        MapFormat::Ron | MapFormat::UniversalVtt => Ok(None),
        MapFormat::TiledXml => tiled::load_tmx(file, text, resources).map(Some),
        MapFormat::TiledJson => tmj::load_tmj(file, text, resources).map(Some),
        MapFormat::TiledResource => tiled::check_resource(file, text, resources).map(|()| None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_universal_vtt_extension_is_read_from_maps_as_universal_vtt() {
        for ext in crate::uvtt::EXTENSIONS {
            assert!(MapFormat::EXTENSIONS.contains(&ext), "{ext}");
            let file = PathBuf::from(format!("maps/m.{ext}"));
            assert_eq!(MapFormat::of(&file), MapFormat::UniversalVtt, "{ext}");
        }
        assert_eq!(MapFormat::of(Path::new("maps/m.TMX")), MapFormat::TiledXml);
    }

    #[test]
    fn a_tileset_path_is_found_by_name_alone_never_outside_the_files_given() {
        let files = [(Path::new("assets/maps/tiles.tsx"), "<tileset/>")];
        let r = Resources::of(files.into_iter());
        assert!(r.get(Path::new("assets/maps/./sub/../tiles.tsx")).is_some());
        assert!(
            r.get(Path::new("assets/maps/../../etc/tiles.tsx"))
                .is_none()
        );
    }
}
