//! The panels' fonts: egui's four faces (Ubuntu Light for text, Hack for monospace, Noto Emoji
//! and the emoji icon font for symbols), with Hack last in the text family too, since Ubuntu
//! Light has no arrows ("Here menu → Learn spells").
//!
//! The native window carries the four whole (1.4 MB). The browser build carries them without
//! their TrueType hinting programs, Ubuntu Light with every character and the other three cut
//! to the symbol ranges a table shows (arrows, technical symbols, shapes, misc symbols,
//! dingbats; `scripts/subset-fonts.sh` makes them into `client/fonts/`, see its README): 0.62
//! MiB less to download, gzipped. An emoji a player types outside those ranges shows as a box
//! in a browser.

use bevy::prelude::*;
use bevy_egui::EguiContext;
use bevy_egui::egui::{FontData, FontDefinitions, FontFamily, FontTweak};
use std::sync::Arc;

/// egui's four faces by egui's names, with egui's size tweaks, in the order their bytes come.
const FACES: [(&str, f32); 4] = [
    ("Ubuntu-Light", 1.0),
    ("Hack", 1.0),
    ("NotoEmoji-Regular", 0.81),
    ("emoji-icon-font", 0.90),
];

/// The browser build's faces (in [`FACES`]' order), without hinting programs: Ubuntu Light with
/// every character, the rest cut to the symbol ranges.
#[cfg_attr(
    not(any(test, target_family = "wasm")),
    expect(
        dead_code,
        reason = "the native window carries the faces whole; its tests check these"
    )
)]
fn web_faces() -> [&'static [u8]; 4] {
    [
        include_bytes!("../../fonts/Ubuntu-Light.unhinted.ttf"),
        include_bytes!("../../fonts/Hack-Regular.subset.ttf"),
        include_bytes!("../../fonts/NotoEmoji-Regular.subset.ttf"),
        include_bytes!("../../fonts/emoji-icon-font.subset.ttf"),
    ]
}

/// The native window's faces (in [`FACES`]' order): egui's four, whole.
#[cfg(not(target_family = "wasm"))]
fn native_faces() -> [&'static [u8]; 4] {
    [
        epaint_default_fonts::UBUNTU_LIGHT,
        epaint_default_fonts::HACK_REGULAR,
        epaint_default_fonts::NOTO_EMOJI_REGULAR,
        epaint_default_fonts::EMOJI_ICON,
    ]
}

/// The panels' font definitions for this build.
pub fn definitions() -> FontDefinitions {
    #[cfg(target_family = "wasm")]
    return definitions_of(web_faces());
    #[cfg(not(target_family = "wasm"))]
    definitions_of(native_faces())
}

/// egui's families over these faces' bytes, under egui's own names and tweaks, with Hack also
/// the text family's last fallback.
fn definitions_of(faces: [&'static [u8]; 4]) -> FontDefinitions {
    let mut defs = FontDefinitions::empty();
    for ((name, scale), bytes) in FACES.into_iter().zip(faces) {
        let data = FontData::from_static(bytes).tweak(FontTweak {
            scale,
            ..Default::default()
        });
        defs.font_data.insert(name.to_owned(), Arc::new(data));
    }
    let names = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    defs.families.insert(
        FontFamily::Proportional,
        names(&[
            "Ubuntu-Light",
            "NotoEmoji-Regular",
            "emoji-icon-font",
            "Hack",
        ]),
    );
    defs.families.insert(
        FontFamily::Monospace,
        names(&[
            "Hack",
            "Ubuntu-Light",
            "NotoEmoji-Regular",
            "emoji-icon-font",
        ]),
    );
    defs
}

pub(super) fn plugin(app: &mut App) {
    app.add_observer(install);
}

/// Hands the definitions to each egui context as it is made, before its first pass draws any
/// text (the browser build's egui starts with no fonts at all).
fn install(added: On<Add, EguiContext>, mut contexts: Query<&mut EguiContext>) {
    if let Ok(mut context) = contexts.get_mut(added.entity) {
        context.get_mut().set_fonts(definitions());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::ops::RangeInclusive;
    use std::path::Path;

    /// The symbols the browser build keeps of Hack, Noto Emoji and the emoji icon font (arrows,
    /// technical symbols, shapes, misc symbols and dingbats, supplemental arrows, more arrows).
    /// Kept in step with `scripts/subset-fonts.sh`.
    const SYMBOL_RANGES: [RangeInclusive<char>; 5] = [
        '\u{2190}'..='\u{21FF}',
        '\u{2300}'..='\u{23FF}',
        '\u{25A0}'..='\u{27BF}',
        '\u{27F0}'..='\u{27FF}',
        '\u{2B00}'..='\u{2BFF}',
    ];

    /// The characters between double quotes on each line of the files under `dir` ending in
    /// `ext` (string literals in Rust, text in RON): what the panels may be asked to draw.
    fn quoted_chars(dir: &Path, ext: &str, into: &mut BTreeSet<char>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                quoted_chars(&path, ext, into);
            } else if path.extension().is_some_and(|e| e == ext) {
                let text = std::fs::read_to_string(&path).unwrap();
                for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
                    for (i, part) in line.split('"').enumerate() {
                        if i % 2 == 1 {
                            into.extend(part.chars().filter(|c| !c.is_ascii()));
                        }
                    }
                }
            }
        }
    }

    /// The characters of `chars` that no face of the text or the monospace family maps, with
    /// that family's name. (egui's own `has_glyph` answers "no" for every character of the face
    /// that holds its replacement glyph, so the faces' character maps are read directly.)
    fn missing(defs: FontDefinitions, chars: &BTreeSet<char>) -> Vec<(char, &'static str)> {
        use skrifa::MetadataProvider;
        let mut out = Vec::new();
        for (family, name) in [
            (FontFamily::Proportional, "text"),
            (FontFamily::Monospace, "monospace"),
        ] {
            let faces: Vec<_> = defs.families[&family]
                .iter()
                .map(|face| &defs.font_data[face].font)
                .collect();
            let maps: Vec<_> = faces
                .iter()
                .map(|bytes| {
                    skrifa::FontRef::new(bytes)
                        .expect("a readable face")
                        .charmap()
                })
                .collect();
            for &c in chars {
                if maps.iter().all(|map| map.map(c).is_none()) {
                    out.push((c, name));
                }
            }
        }
        out
    }

    #[test]
    fn every_symbol_the_game_writes_has_a_glyph_in_both_families() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut chars = BTreeSet::new();
        for dir in ["client/src", "shared/src", "server/src"] {
            quoted_chars(&root.join(dir), "rs", &mut chars);
        }
        quoted_chars(&root.join("assets"), "ron", &mut chars);
        // The game writes these (arrows in hints, ✓ in the tests' names, ⚙ on a button).
        for c in ['→', '⚙', '—', '…', '×'] {
            assert!(chars.contains(&c), "{c} not found in the game's strings");
        }
        // Symbols a content writer may reach for, within the browser's ranges.
        chars.extend(['⚔', '☠', '♥', '★', '⏳', '✔', '▶', '←', '↑']);
        assert!(SYMBOL_RANGES.iter().any(|r| r.contains(&'⚙')));
        // What the native faces draw, the browser's draw too; and the game's own symbols are
        // drawn everywhere. (Characters in no face at all, such as the ✓ in a test's name, stay
        // boxes on both.)
        let native = missing(definitions_of(native_faces()), &chars);
        let web = missing(definitions_of(web_faces()), &chars);
        let lost: Vec<_> = web.iter().filter(|m| !native.contains(m)).collect();
        assert!(lost.is_empty(), "the browser's fonts lack {lost:?}");
        for c in ['→', '⚙', '—', '…', '×', '⚔', '☠', '♥', '★', '⏳', '▶', '←']
        {
            assert!(
                !native.iter().any(|m| m.0 == c),
                "no glyph for {c}: {native:?}"
            );
        }
    }

    #[test]
    fn the_browser_cut_keeps_every_symbol_of_its_ranges_the_native_faces_have() {
        let symbols: BTreeSet<char> = SYMBOL_RANGES.iter().cloned().flatten().collect();
        let native = missing(definitions_of(native_faces()), &symbols);
        let web = missing(definitions_of(web_faces()), &symbols);
        let lost: Vec<_> = web.iter().filter(|m| !native.contains(m)).collect();
        assert!(lost.is_empty(), "the browser's fonts lack {lost:?}");
        // (The check has something to check: the faces draw hundreds of these symbols.)
        let drawn = 2 * symbols.len() - native.len();
        assert!(
            drawn > 400,
            "the native faces draw only {drawn} of the symbols"
        );
    }

    #[test]
    fn a_symbol_outside_every_face_is_reported_missing() {
        // The check above can fail: a private-use character is in none of the faces.
        let chars = BTreeSet::from(['\u{E000}']);
        assert_eq!(missing(definitions_of(web_faces()), &chars).len(), 2);
    }
}
