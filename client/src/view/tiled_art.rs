//! A Tiled map (`.tmx`) drawn with its own tilesets: every visible tile layer, in order, over
//! the shipped tiles, through bevy_ecs_tilemap. The window reads the map file and the tilesets
//! it names with the asset server (so a browser fetches them, and a changed file is drawn
//! again), through the same guarded reader as the server ([`emberkeep_shared::maps::art`]).
//! A tile of any pixel size fills one square. A map the window cannot read keeps the shipped
//! tiles, with a warning.

use super::map::{MapSize, SQUARE};
use bevy::asset::io::Reader;
use bevy::asset::{AssetLoader, LoadContext};
use bevy::image::ImageSampler;
use bevy::prelude::*;
use bevy_ecs_tilemap::prelude::*;
use emberkeep_shared::maps::art::{LayerArt, tileset_sources, tmx_art};
use emberkeep_shared::prelude::*;

/// The largest map or tileset file read.
const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

/// A Tiled map's layers and the images they are cut from.
#[derive(Asset, TypePath, Debug)]
pub struct TiledArt {
    /// Squares across and down.
    pub size: (u32, u32),
    /// The layers, bottom first.
    pub layers: Vec<LayerArt>,
    /// Each layer's tileset image.
    #[dependency]
    pub images: Vec<Handle<Image>>,
}

/// Reads `.tmx` files as [`TiledArt`].
#[derive(Default, TypePath)]
pub struct TiledArtLoader;

/// Why a Tiled map was not drawn.
#[derive(Debug)]
pub struct TiledArtError(String);

impl std::fmt::Display for TiledArtError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TiledArtError {}

impl AssetLoader for TiledArtLoader {
    type Asset = TiledArt;
    type Settings = ();
    type Error = TiledArtError;

    async fn load(
        &self,
        reader: &mut dyn Reader,
        _settings: &(),
        ctx: &mut LoadContext<'_>,
    ) -> Result<TiledArt, TiledArtError> {
        let file = ctx.path().path().to_path_buf();
        let err = |m: String| TiledArtError(format!("{}: {m}", file.display()));
        let bytes = super::backdrop::read_bounded(reader, MAX_FILE_BYTES)
            .await
            .map_err(err)?;
        let text = String::from_utf8(bytes).map_err(|_| err("not UTF-8 text".into()))?;
        let mut sets = Vec::new();
        for source in tileset_sources(&file, &text) {
            let bytes = ctx
                .read_asset_bytes(source.clone())
                .await
                .map_err(|e| err(format!("its tileset {}: {e}", source.display())))?;
            if bytes.len() > MAX_FILE_BYTES {
                return Err(err(format!(
                    "its tileset {} is too large",
                    source.display()
                )));
            }
            sets.push((source, String::from_utf8_lossy(&bytes).into_owned()));
        }
        let art = tmx_art(&file, &text, &sets).map_err(|errors| {
            TiledArtError(
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
        // Each tileset picture is read here and checked from its header before it is
        // decoded (a hostile file's claimed size never reaches the decoder); reading it this
        // way also draws the map again when the picture changes.
        let mut decoded: Vec<(String, Handle<Image>)> = Vec::new();
        let mut images = Vec::new();
        for layer in &art.layers {
            let path = layer.tileset.image.clone();
            if let Some((_, h)) = decoded.iter().find(|(p, _)| *p == path) {
                images.push(h.clone());
                continue;
            }
            let bytes = ctx
                .read_asset_bytes(path.clone())
                .await
                .map_err(|e| err(format!("its tileset image {path}: {e}")))?;
            if bytes.len() > MAX_FILE_BYTES {
                return Err(err(format!("its tileset image {path} is too large")));
            }
            let image = super::backdrop::decode_picture(&bytes, ImageSampler::Default)
                .map_err(|e| err(format!("its tileset image {path}: {e}")))?;
            let handle = ctx.add_labeled_asset(format!("tileset{}", decoded.len()), image);
            decoded.push((path, handle.clone()));
            images.push(handle);
        }
        Ok(TiledArt {
            size: art.size,
            layers: art.layers,
            images,
        })
    }

    fn extensions(&self) -> &[&str] {
        &["tmx"]
    }
}

/// A drawn layer of the map's own art.
#[derive(Component, Debug)]
struct TiledLayer;

pub(super) fn plugin(app: &mut App) {
    app.init_asset::<TiledArt>();
    app.register_asset_loader(TiledArtLoader);
    app.add_systems(Update, draw_tiled);
}

/// The Tiled map being shown, and whether its layers are on the screen.
#[derive(Default)]
struct Shown {
    art: Option<Handle<TiledArt>>,
    drawn: bool,
}

/// Despawns the drawn layers and their tiles (tiles are entities of their own).
fn clear(commands: &mut Commands, existing: &Query<(Entity, &TileStorage), With<TiledLayer>>) {
    for (layer, storage) in existing {
        for tile in storage.iter().flatten() {
            commands.entity(*tile).despawn();
        }
        commands.entity(layer).despawn();
    }
}

fn draw_tiled(
    mut commands: Commands,
    maps: Query<&BattleMap, Changed<BattleMap>>,
    existing: Query<(Entity, &TileStorage), With<TiledLayer>>,
    arts: Res<Assets<TiledArt>>,
    mut changes: MessageReader<AssetEvent<TiledArt>>,
    assets: Res<AssetServer>,
    size: Res<MapSize>,
    mut shown: Local<Shown>,
) {
    if let Some(map) = maps.iter().next() {
        let tmx = map
            .grid
            .art
            .as_deref()
            .filter(|a| a.to_ascii_lowercase().ends_with(".tmx"));
        let handle = tmx.map(|a| assets.load::<TiledArt>(a.to_string()));
        if handle != shown.art {
            // Another map: its old layers go at once, not when the new art has loaded.
            clear(&mut commands, &existing);
            shown.art = handle;
            shown.drawn = false;
        }
    }
    let Some(handle) = shown.art.clone() else {
        if shown.drawn || !existing.is_empty() {
            clear(&mut commands, &existing);
            shown.drawn = false;
        }
        return;
    };
    // Drawn again when the file (or a tileset it names) changes.
    for change in changes.read() {
        if change.is_modified(handle.id()) || change.is_loaded_with_dependencies(handle.id()) {
            shown.drawn = false;
        }
    }
    if shown.drawn {
        return;
    }
    let Some(art) = arts.get(&handle) else {
        if let Some(bevy::asset::LoadState::Failed(e)) = assets.get_load_state(&handle) {
            warn!("the map's own art is not drawn (the shipped tiles are): {e}");
            shown.drawn = true;
        }
        return;
    };
    if art.size != (size.width, size.height) {
        // The map's size comes with the grid; wait for it.
        return;
    }
    clear(&mut commands, &existing);
    for (i, (layer, image)) in art.layers.iter().zip(&art.images).enumerate() {
        spawn_layer(&mut commands, layer, image.clone(), art.size, i);
    }
    info!(
        "drawing the map's own art: {} Tiled layer(s) ({})",
        art.layers.len(),
        art.layers
            .iter()
            .map(|l| format!("{} on {}", l.name, l.tileset.image))
            .collect::<Vec<_>>()
            .join(", ")
    );
    shown.drawn = true;
}

fn spawn_layer(
    commands: &mut Commands,
    layer: &LayerArt,
    image: Handle<Image>,
    (w, h): (u32, u32),
    order: usize,
) {
    let ts = &layer.tileset;
    if ts.tile.0 == 0 || ts.tile.1 == 0 {
        return;
    }
    let map_size = TilemapSize { x: w, y: h };
    let tilemap = commands.spawn_empty().id();
    let mut storage = TileStorage::empty(map_size);
    let tint = Color::srgba(1.0, 1.0, 1.0, layer.opacity.clamp(0.0, 1.0));
    for t in &layer.tiles {
        if t.at.0 >= w || t.at.1 >= h {
            continue;
        }
        // Tilemap rows count upward; ours count downward.
        let position = TilePos {
            x: t.at.0,
            y: h - 1 - t.at.1,
        };
        let tile = commands
            .spawn(TileBundle {
                position,
                tilemap_id: TilemapId(tilemap),
                texture_index: TileTextureIndex(t.index),
                flip: TileFlip {
                    x: t.flip.0,
                    y: t.flip.1,
                    d: t.flip.2,
                },
                color: TileColor(tint),
                ..default()
            })
            .id();
        storage.set(&position, tile);
    }
    let tile_size = TilemapTileSize {
        x: ts.tile.0 as f32,
        y: ts.tile.1 as f32,
    };
    // Any tile size fills one square: the layer is scaled to the grid.
    let scale = Vec3::new(SQUARE / tile_size.x, SQUARE / tile_size.y, 1.0);
    commands.entity(tilemap).insert((
        TilemapBundle {
            grid_size: tile_size.into(),
            map_type: TilemapType::Square,
            size: map_size,
            storage,
            texture: TilemapTexture::Single(image),
            tile_size,
            spacing: TilemapSpacing {
                x: ts.spacing as f32,
                y: ts.spacing as f32,
            },
            anchor: TilemapAnchor::Center,
            transform: Transform::from_xyz(0.0, 0.0, 0.1 + order as f32 * 0.01).with_scale(scale),
            ..default()
        },
        TiledLayer,
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The loader, through a real asset server over the shipped assets folder: the map and the
    /// tileset it names are read, and the tileset's picture is asked for by its path.
    #[test]
    fn the_shipped_den_loads_its_layers_and_tileset_image() {
        let assets = emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets");
        let mut app = App::new();
        app.add_plugins((
            MinimalPlugins,
            AssetPlugin {
                file_path: assets.to_string_lossy().into_owned(),
                watch_for_changes_override: Some(false),
                ..default()
            },
        ));
        app.init_asset::<Image>();
        app.init_asset::<TiledArt>();
        app.register_asset_loader(TiledArtLoader);
        let handle: Handle<TiledArt> = app.world().resource::<AssetServer>().load("maps/den.tmx");
        // The asset server reads and decodes on its own threads: wait for it, bounded.
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_secs(30) {
            app.update();
            let server = app.world().resource::<AssetServer>();
            if server.is_loaded(&handle)
                || matches!(
                    server.get_load_state(&handle),
                    Some(bevy::asset::LoadState::Failed(_))
                )
            {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let arts = app.world().resource::<Assets<TiledArt>>();
        let art = arts.get(&handle).expect("the den's art loaded");
        assert_eq!(art.size, (20, 12));
        assert_eq!(art.layers.len(), 1);
        assert_eq!(art.layers[0].tileset.image, "art/tiles.png");
        // The picture was read, checked and decoded with the map: 4 tiles of 32 px.
        let image = app
            .world()
            .resource::<Assets<Image>>()
            .get(&art.images[0])
            .expect("the tileset picture is decoded with the map");
        assert_eq!((image.width(), image.height()), (128, 32));
    }

    /// A tileset picture whose header claims a size no window can hold is refused before it
    /// is decoded: the map is not drawn (the shipped tiles stay), and nothing panics.
    #[test]
    fn a_tileset_picture_claiming_a_huge_size_is_refused() {
        let mut huge = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        huge.extend(60000u32.to_be_bytes());
        huge.extend(60000u32.to_be_bytes());
        let err = super::super::backdrop::decode_picture(&huge, ImageSampler::Default).unwrap_err();
        assert!(err.contains("60000×60000"), "{err}");
        let err =
            super::super::backdrop::decode_picture(b"GIF89a", ImageSampler::Default).unwrap_err();
        assert!(err.contains("not a PNG or JPEG"), "{err}");
    }
}
