//! A Tiled map's art, as a window reads it: the shipped den's one layer over `art/tiles.png`,
//! every square a tile of the right index; a missing or hostile tileset is an error naming
//! the file, never a panic.

use emberkeep_shared::maps::art::{tileset_sources, tmx_art};
use std::path::{Path, PathBuf};

fn assets() -> PathBuf {
    emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets")
}

#[test]
fn the_shipped_den_is_drawn_from_its_own_tileset() {
    let file = Path::new("maps/den.tmx");
    let text = std::fs::read_to_string(assets().join(file)).unwrap();
    let sources = tileset_sources(file, &text);
    assert_eq!(sources, [PathBuf::from("maps/tiles.tsx")]);
    let sets: Vec<(PathBuf, String)> = sources
        .iter()
        .map(|p| {
            (
                p.clone(),
                std::fs::read_to_string(assets().join(p)).unwrap(),
            )
        })
        .collect();
    let art = tmx_art(file, &text, &sets).unwrap();
    assert_eq!(art.size, (20, 12));
    assert_eq!(art.layers.len(), 1);
    let layer = &art.layers[0];
    assert_eq!(layer.tileset.image, "art/tiles.png");
    assert_eq!((layer.tileset.tile, layer.tileset.columns), ((32, 32), 4));
    assert_eq!(layer.tiles.len(), 20 * 12);
    // The first row is rock (gid 2: the tileset's tile 1, a wall), (5, 1) floor (gid 1).
    let at = |x, y| layer.tiles.iter().find(|t| t.at == (x, y)).unwrap().index;
    assert_eq!((at(0, 0), at(5, 1), at(11, 1)), (1, 0, 2));
    // The picture it names is in the assets.
    assert!(assets().join(&layer.tileset.image).is_file());
}

#[test]
fn a_missing_or_hostile_tileset_is_an_error_naming_the_map() {
    let file = Path::new("maps/den.tmx");
    let text = std::fs::read_to_string(assets().join(file)).unwrap();
    let err = tmx_art(file, &text, &[]).unwrap_err();
    assert!(
        err[0].file == file && err[0].message.contains("tiles.tsx"),
        "{err:?}"
    );
    let hostile = "<?xml version=\"1.0\"?><!DOCTYPE t [<!ENTITY a \"aaaa\">]><tileset name=\"t\" tilewidth=\"32\" tileheight=\"32\" tilecount=\"1\" columns=\"1\"/>";
    let err = tmx_art(
        file,
        &text,
        &[(PathBuf::from("maps/tiles.tsx"), hostile.to_string())],
    )
    .unwrap_err();
    assert_eq!(err[0].file, file, "{err:?}");
    let err = tmx_art(file, "<map", &[]).unwrap_err();
    assert_eq!(err[0].file, file);
}

#[test]
fn a_missing_tileset_image_is_refused_with_the_map() {
    let root = std::env::temp_dir().join(format!("emberkeep-art-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("maps")).unwrap();
    // A folder that carries art is checked for the tilesets' images.
    std::fs::create_dir_all(root.join("art")).unwrap();
    std::fs::copy(assets().join("art/tiles.png"), root.join("art/tiles.png")).unwrap();
    std::fs::copy(assets().join("maps/den.tmx"), root.join("maps/den.tmx")).unwrap();
    let tsx = std::fs::read_to_string(assets().join("maps/tiles.tsx")).unwrap();
    std::fs::write(
        root.join("maps/tiles.tsx"),
        tsx.replace("../art/tiles.png", "../art/nowhere.png"),
    )
    .unwrap();
    let err = emberkeep_shared::content::ContentLibrary::load_dir(&root).unwrap_err();
    let text = err.to_string();
    assert!(
        err.0.iter().any(|e| e.file.ends_with("maps/den.tmx")
            && e.message.contains("nowhere.png")
            && e.message.contains("is missing")),
        "{text}"
    );
    // A picture too large to draw (its PNG header says 9000×16) is refused before any window
    // tries to decode it; so is a file that is no picture at all.
    let mut huge = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    huge.extend(9000u32.to_be_bytes());
    huge.extend(16u32.to_be_bytes());
    std::fs::write(root.join("art/nowhere.png"), &huge).unwrap();
    let err = emberkeep_shared::content::ContentLibrary::load_dir(&root).unwrap_err();
    assert!(
        err.0
            .iter()
            .any(|e| e.file.ends_with("maps/den.tmx") && e.message.contains("9000×16")),
        "{err}"
    );
    std::fs::write(root.join("art/nowhere.png"), b"GIF89a").unwrap();
    let err = emberkeep_shared::content::ContentLibrary::load_dir(&root).unwrap_err();
    assert!(err.to_string().contains("not a PNG or JPEG"), "{err}");
    std::fs::copy(assets().join("art/tiles.png"), root.join("art/nowhere.png")).unwrap();
    assert!(emberkeep_shared::content::ContentLibrary::load_dir(&root).is_ok());
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_universal_vtt_file_with_a_broken_picture_is_refused() {
    use emberkeep_shared::uvtt::parse;
    let file = |image: &str| {
        format!(
            r#"{{"resolution": {{"map_size": {{"x": 4, "y": 4}}, "pixels_per_grid": 32}}, "image": "{image}"}}"#
        )
    };
    assert!(parse(&file("")).is_ok());
    assert!(
        parse(&file("!!not base64"))
            .unwrap_err()
            .contains("not base64")
    );
    use base64::Engine;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let webp = b64(b"RIFF\0\0\0\0WEBPVP8 ");
    assert!(
        parse(&file(&webp))
            .unwrap_err()
            .contains("not a PNG or JPEG")
    );
    let mut huge = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    huge.extend(9000u32.to_be_bytes());
    huge.extend(10u32.to_be_bytes());
    assert!(parse(&file(&b64(&huge))).unwrap_err().contains("9000×10"));
    // The shipped cellar's picture passes.
    let cellar = std::fs::read_to_string(assets().join("maps/cellar.dd2vtt")).unwrap();
    assert!(parse(&cellar).is_ok());
}
