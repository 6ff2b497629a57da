//! The art: the tileset (floor, wall, difficult ground, door), token portraits, a disc and a
//! ring, in one palette — PNG files under `assets/art`, drawn by `emberkeep-tools
//! make-assets`. A modded creature without a portrait gets a disc in its side's colour.

use bevy::prelude::*;

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

/// Handles of the art.
#[derive(Resource, Debug, Clone)]
pub struct Art {
    /// Tileset atlas: 4 tiles in a row.
    pub tiles: Handle<Image>,
    /// A white disc for tokens (tinted per side).
    pub disc: Handle<Image>,
    /// A white ring for highlights.
    pub ring: Handle<Image>,
}

/// Loads the art files (made by `emberkeep-tools make-assets`).
pub fn load(mut commands: Commands, assets: Res<AssetServer>) {
    commands.insert_resource(Art {
        tiles: assets.load("art/tiles.png"),
        disc: assets.load("art/disc.png"),
        ring: assets.load("art/ring.png"),
    });
}

/// The portrait of a creature or pregen (by content id), `art/tokens/<id>.png`.
pub fn portrait(assets: &AssetServer, source: &str) -> Handle<Image> {
    assets.load(format!("art/tokens/{source}.png"))
}
