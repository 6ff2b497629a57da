//! Helpers for the map tests: a fresh assets folder on disk holding the shipped items, spells,
//! creatures and pregens (and Emberkeep's Tiled tileset), plus the files a test writes.

#![allow(dead_code, reason = "each test file uses its own part")]

use emberkeep_shared::content::{ContentErrors, ContentKind, ContentLibrary, read_content_files};
use std::fs;
use std::path::{Path, PathBuf};

/// The shipped assets folder.
pub fn shipped() -> PathBuf {
    emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets")
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.path().is_file() {
            fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// A new assets folder named after the test, with the shipped creatures, pregens, items and
/// spells, `maps/tiles.tsx`, and `files` (path inside the folder, text).
pub fn assets_with(test: &str, files: &[(&str, &str)]) -> PathBuf {
    let root = std::env::temp_dir().join(format!("emberkeep-maps-{}-{test}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    for kind in ["items", "spells", "creatures", "pregens"] {
        copy_dir(&shipped().join(kind), &root.join(kind));
    }
    fs::create_dir_all(root.join("maps")).unwrap();
    fs::copy(
        shipped().join("maps/tiles.tsx"),
        root.join("maps/tiles.tsx"),
    )
    .unwrap();
    for (path, text) in files {
        let p = root.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
    root
}

/// Loads a folder made by [`assets_with`], then removes it.
pub fn load(root: &Path) -> Result<ContentLibrary, ContentErrors> {
    let lib = ContentLibrary::load_dir(root);
    let _ = fs::remove_dir_all(root);
    lib
}

/// The shipped files a map needs (creatures, pregens, items, spells and the tileset), in
/// memory, plus `extra` — for tests that try many files quickly.
pub fn with_shipped(extra: &[(&str, &str)]) -> Result<ContentLibrary, ContentErrors> {
    let mut files: Vec<_> = read_content_files(&shipped())
        .unwrap()
        .into_iter()
        .filter(|(p, _, k)| match k {
            ContentKind::Map => p.extension().is_some_and(|e| e == "tsx"),
            ContentKind::Item
            | ContentKind::Spell
            | ContentKind::Creature
            | ContentKind::Pregen => true,
            _ => false,
        })
        .map(|(p, t, k)| {
            let folder = match k {
                ContentKind::Map => "maps",
                ContentKind::Item => "items",
                ContentKind::Spell => "spells",
                ContentKind::Creature => "creatures",
                _ => "pregens",
            };
            (PathBuf::from(folder).join(p.file_name().unwrap()), t, k)
        })
        .collect();
    for (path, text) in extra {
        let mut kind = ContentKind::from_folder(path.split('/').next().unwrap()).unwrap();
        if kind == ContentKind::Adventure && !path.ends_with("/adventure.ron") {
            kind = ContentKind::Scene;
        }
        files.push((PathBuf::from(path), text.to_string(), kind));
    }
    ContentLibrary::from_sources(&files)
}

/// Every error message of a failed load, one a line.
pub fn messages(e: &ContentErrors) -> String {
    e.to_string()
}
