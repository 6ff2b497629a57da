//! A map's own picture under the grid: the image inside a Universal VTT file (`.dd2vtt`,
//! `.uvtt`, `.df2vtt`), scaled to the map's squares. The server never decodes it; the window
//! loads the file named by the map (`MapGrid::art`) through the asset server, so a changed
//! file is drawn again (hot reload) and a browser fetches it like any other asset.
//!
//! The file is untrusted: it is read only up to [`MAX_FILE_BYTES`], the picture must be a PNG
//! or JPEG of at most [`MAX_SIDE`] pixels a side (checked from its header, before decoding),
//! and a bad one leaves the plain tiles with a warning.

use super::map::{MapSize, SQUARE};
use bevy::asset::io::Reader;
use bevy::asset::{AssetLoader, LoadContext, RenderAssetUsages};
use bevy::image::{CompressedImageFormats, ImageSampler, ImageType};
use bevy::prelude::*;
use emberkeep_shared::prelude::*;

/// The largest map file read (as the server's bound).
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;
/// The largest picture side, in pixels (what WebGL2 guarantees is 4096; most have 8192).
pub const MAX_SIDE: u32 = emberkeep_shared::uvtt::MAX_PICTURE_SIDE;

/// Reads a Universal VTT file's picture as an image.
#[derive(Default, TypePath)]
pub struct UvttImageLoader;

#[derive(serde::Deserialize)]
struct UvttImage {
    image: String,
}

/// Why a picture was not drawn.
#[derive(Debug)]
pub struct PictureError(String);

impl std::fmt::Display for PictureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PictureError {}

pub use emberkeep_shared::uvtt::picture_size;

/// Decodes a Universal VTT file's picture, bounded.
pub fn decode(bytes: &[u8]) -> Result<Image, String> {
    use base64::Engine;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(format!(
            "the file is {} bytes: expected at most {MAX_FILE_BYTES}",
            bytes.len()
        ));
    }
    let file: UvttImage =
        serde_json::from_slice(bytes).map_err(|e| format!("not a Universal VTT file: {e}"))?;
    let picture = base64::engine::general_purpose::STANDARD
        .decode(file.image.trim())
        .map_err(|e| format!("its `image` is not base64: {e}"))?;
    decode_picture(&picture, ImageSampler::linear())
}

/// Decodes a PNG or JPEG picture after checking its header: at most [`MAX_SIDE`] pixels a
/// side, so a hostile file's claimed size never reaches the decoder or the GPU.
pub fn decode_picture(picture: &[u8], sampler: ImageSampler) -> Result<Image, String> {
    let (format, w, h) = picture_size(picture)?;
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE {
        return Err(format!(
            "its picture is {w}×{h} pixels: expected 1 to {MAX_SIDE} a side"
        ));
    }
    Image::from_buffer(
        picture,
        ImageType::Extension(format),
        CompressedImageFormats::NONE,
        true,
        sampler,
        RenderAssetUsages::default(),
    )
    .map_err(|e| format!("its picture cannot be read: {e}"))
}

/// Reads at most `max` bytes from an asset reader; a longer file is an error, and no more of
/// it than `max + 1` bytes is ever held.
pub async fn read_bounded(reader: &mut dyn Reader, max: usize) -> Result<Vec<u8>, String> {
    use bevy::tasks::futures_lite::AsyncReadExt;
    let mut bytes = Vec::new();
    (&mut *reader)
        .take(max as u64 + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() > max {
        return Err(format!("the file is over {max} bytes"));
    }
    Ok(bytes)
}

impl AssetLoader for UvttImageLoader {
    type Asset = Image;
    type Settings = ();
    type Error = PictureError;

    async fn load(
        &self,
        reader: &mut dyn Reader,
        _settings: &(),
        load_context: &mut LoadContext<'_>,
    ) -> Result<Image, PictureError> {
        let bytes = read_bounded(reader, MAX_FILE_BYTES)
            .await
            .map_err(|e| PictureError(format!("{}: {e}", load_context.path())))?;
        decode(&bytes).map_err(|e| PictureError(format!("{}: {e}", load_context.path())))
    }

    fn extensions(&self) -> &[&str] {
        &["dd2vtt", "uvtt", "df2vtt"]
    }
}

#[derive(Component, Debug)]
struct Backdrop;

pub(super) fn plugin(app: &mut App) {
    app.register_asset_loader(UvttImageLoader);
    app.add_systems(Update, draw_backdrop);
}

/// Above the tiles (z 0), below the zones, walls' strokes and tokens.
const BACKDROP_Z: f32 = 0.3;

fn draw_backdrop(
    mut commands: Commands,
    maps: Query<&BattleMap, Changed<BattleMap>>,
    existing: Query<Entity, With<Backdrop>>,
    assets: Res<AssetServer>,
) {
    let Some(map) = maps.iter().next() else {
        return;
    };
    for e in &existing {
        commands.entity(e).despawn();
    }
    let grid = &map.grid;
    let Some(art) = grid.art.as_deref() else {
        return;
    };
    let uvtt = ["dd2vtt", "uvtt", "df2vtt"]
        .iter()
        .any(|x| art.to_ascii_lowercase().ends_with(&format!(".{x}")));
    if !uvtt {
        return;
    }
    let size = MapSize {
        width: grid.width,
        height: grid.height,
    };
    let centre = (size.to_world(GridPos::new(0, 0))
        + size.to_world(GridPos::new(grid.width as i32 - 1, grid.height as i32 - 1)))
        / 2.0;
    commands.spawn((
        Backdrop,
        Sprite {
            image: assets.load::<Image>(art.to_string()),
            custom_size: Some(Vec2::new(
                grid.width as f32 * SQUARE,
                grid.height as f32 * SQUARE,
            )),
            ..default()
        },
        Transform::from_translation(centre.extend(BACKDROP_Z)),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_cellar_picture_decodes_and_bad_files_are_refused() {
        let path = emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR"))
            .join("../assets/maps/cellar.dd2vtt");
        let image = decode(&std::fs::read(path).unwrap()).unwrap();
        assert!(image.width() >= 10 && image.height() >= 8);
        assert!(
            decode(b"{")
                .unwrap_err()
                .contains("not a Universal VTT file")
        );
        assert!(
            decode(br#"{"image": "!!"}"#)
                .unwrap_err()
                .contains("not base64")
        );
        // A PNG header claiming 100000 pixels across is refused before decoding.
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend(100_000u32.to_be_bytes());
        png.extend(10u32.to_be_bytes());
        png.extend([8, 2, 0, 0, 0]);
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&png);
        let err = decode(format!(r#"{{"image": "{b64}"}}"#).as_bytes()).unwrap_err();
        assert!(err.contains("100000×10"), "{err}");
        assert!(picture_size(b"RIFF....WEBP").unwrap_err().contains("WebP"));
    }
}
