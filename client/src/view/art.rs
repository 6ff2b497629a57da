//! Art made in code at start-up: the tileset (floor, wall, difficult ground, door), a token
//! disc and a ring, in one coherent palette — no files to lose, identical on every platform.

use bevy::asset::RenderAssetUsages;
use bevy::image::Image;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};

/// Tile edge in pixels.
pub const TILE_PX: u32 = 32;
/// Window background, a warm near-black.
pub const BACKGROUND: Color = Color::srgb(0.08, 0.07, 0.07);
/// The party's token colour.
pub const PARTY: Color = Color::srgb(0.30, 0.55, 0.85);
/// Foes' token colour.
pub const FOE: Color = Color::srgb(0.80, 0.27, 0.22);
/// The active combatant's ring.
pub const ACTIVE: Color = Color::srgb(1.0, 0.80, 0.30);

/// Tileset indices.
pub mod tile {
    /// Floor.
    pub const FLOOR: u32 = 0;
    /// Wall.
    pub const WALL: u32 = 1;
    /// Difficult terrain.
    pub const DIFFICULT: u32 = 2;
    /// Door.
    pub const DOOR: u32 = 3;
}

/// Handles of the generated art.
#[derive(Resource, Debug, Clone)]
pub struct Art {
    /// Tileset atlas: 4 tiles in a row.
    pub tiles: Handle<Image>,
    /// A white disc for tokens (tinted per side).
    pub disc: Handle<Image>,
    /// A white ring for highlights.
    pub ring: Handle<Image>,
}

/// A tiny deterministic hash for texture noise.
fn noise(x: u32, y: u32, salt: u32) -> f32 {
    let mut h = x.wrapping_mul(374_761_393)
        ^ y.wrapping_mul(668_265_263)
        ^ salt.wrapping_mul(2_246_822_519);
    h = (h ^ (h >> 13)).wrapping_mul(1_274_126_177);
    ((h ^ (h >> 16)) & 0xff) as f32 / 255.0
}

fn rgba(c: [f32; 3], shade: f32) -> [u8; 4] {
    let f = |v: f32| ((v * shade).clamp(0.0, 1.0) * 255.0) as u8;
    [f(c[0]), f(c[1]), f(c[2]), 255]
}

fn tile_pixel(kind: u32, x: u32, y: u32) -> [u8; 4] {
    let n = noise(x, y, kind);
    let edge = x == 0 || y == 0;
    match kind {
        tile::FLOOR => rgba(
            [0.36, 0.31, 0.25],
            0.85 + 0.2 * n - if edge { 0.12 } else { 0.0 },
        ),
        tile::WALL => {
            // Stone blocks: mortar lines every 8 px, offset on alternate rows.
            let row = y / 8;
            let mortar = y.is_multiple_of(8)
                || (x + if row.is_multiple_of(2) { 0 } else { 8 }).is_multiple_of(16);
            rgba(
                [0.22, 0.21, 0.24],
                if mortar { 0.55 } else { 0.9 + 0.25 * n },
            )
        }
        tile::DIFFICULT => {
            let pebble = noise(x / 3, y / 3, 9) > 0.72;
            rgba(
                if pebble {
                    [0.45, 0.42, 0.30]
                } else {
                    [0.30, 0.36, 0.22]
                },
                0.8 + 0.3 * n,
            )
        }
        _ => {
            // A wooden door: planks with dark seams and an iron band.
            let seam = x.is_multiple_of(8);
            let band = (12..15).contains(&y);
            let c = if band {
                [0.25, 0.25, 0.27]
            } else {
                [0.50, 0.33, 0.18]
            };
            rgba(c, if seam { 0.6 } else { 0.85 + 0.2 * n })
        }
    }
}

fn image(width: u32, height: u32, pixel: impl Fn(u32, u32) -> [u8; 4]) -> Image {
    let mut data = Vec::with_capacity((width * height * 4) as usize);
    for y in 0..height {
        for x in 0..width {
            data.extend_from_slice(&pixel(x, y));
        }
    }
    Image::new(
        Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        data,
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::default(),
    )
}

fn disc(size: u32, inner: f32) -> impl Fn(u32, u32) -> [u8; 4] {
    move |x, y| {
        let c = (size as f32 - 1.0) / 2.0;
        let d = ((x as f32 - c).powi(2) + (y as f32 - c).powi(2)).sqrt() / c;
        let a = if d <= 1.0 && d >= inner {
            (1.0 - (d - 0.97).max(0.0) * 30.0).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let shade = if inner == 0.0 { 1.0 - 0.25 * d } else { 1.0 };
        let v = (shade * 255.0) as u8;
        [v, v, v, (a * 255.0) as u8]
    }
}

/// Generates the art into the image assets.
pub fn load(mut commands: Commands, mut images: ResMut<Assets<Image>>) {
    let tiles = images.add(image(TILE_PX * 4, TILE_PX, |x, y| {
        tile_pixel(x / TILE_PX, x % TILE_PX, y)
    }));
    let disc_image = images.add(image(64, 64, disc(64, 0.0)));
    let ring = images.add(image(64, 64, disc(64, 0.80)));
    commands.insert_resource(Art {
        tiles,
        disc: disc_image,
        ring,
    });
}
