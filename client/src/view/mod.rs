//! The graphical view: a window with the battle map (tilemap, tokens, HP bars, the active
//! combatant ringed, reachable squares on your turn, webs and spiritual weapons) and egui
//! panels (party, initiative with the turn timer, narration feed, action bar, free-form
//! actions). It reads the headless state ([`TableSession`], replicated views) and writes
//! intents back through it.

mod accessibility;
mod art;
mod audio;
mod backdrop;
mod creator;
mod early_letters;
mod fog;
mod fonts;
mod hooks;
pub mod input;
mod labels;
mod map;
mod map_text;
pub mod measure;
mod memory;
mod motion;
mod panels;
mod points;
mod redraw;
mod settings;
mod sheet;
mod spells;
mod tiled_art;
mod touch;
pub mod voice;
mod zones;

pub use audio::Volumes;
pub use creator::Creator;
pub use measure::MeasurePlan;
pub use panels::{ConnectForm, DisplayMode, remembered};
pub use redraw::Redraw;
pub use settings::{Look, ViewSettings};

use crate::net::TableSession;
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, save_to_disk};
use std::path::PathBuf;

/// Adds the window, the map, the panels, input and sound.
pub struct ViewPlugin {
    /// The assets folder (a path natively, a URL path in a browser).
    pub assets: String,
}

impl Plugin for ViewPlugin {
    fn build(&self, app: &mut App) {
        app.add_plugins(
            DefaultPlugins
                .set(ImagePlugin::default_nearest())
                .set(AssetPlugin {
                    file_path: self.assets.clone(),
                    // The web bundle ships no `.meta` files; don't ask the server for them.
                    meta_check: bevy::asset::AssetMetaCheck::Never,
                    ..default()
                })
                .set(WindowPlugin {
                    primary_window: Some(Window {
                        title: "Emberkeep".into(),
                        resolution: (1280, 720).into(),
                        // In a browser: draw into the page's canvas, sized to the page.
                        canvas: Some("#emberkeep".into()),
                        fit_canvas_to_parent: true,
                        prevent_default_event_handling: true,
                        ..default()
                    }),
                    ..default()
                }),
        );
        app.insert_resource(ClearColor(art::BACKGROUND));
        app.add_plugins(bevy_egui::EguiPlugin::default());
        app.add_plugins(bevy_ecs_tilemap::TilemapPlugin);
        app.add_systems(Startup, (art::load, spawn_camera));
        fonts::plugin(app);
        map_text::plugin(app);
        settings::plugin(app);
        creator::plugin(app);
        input::plugin(app);
        early_letters::plugin(app);
        audio::plugin(app);
        map::plugin(app);
        panels::plugin(app);
        spells::plugin(app);
        points::plugin(app);
        sheet::plugin(app);
        zones::plugin(app);
        backdrop::plugin(app);
        tiled_art::plugin(app);
        fog::plugin(app);
        memory::plugin(app);
        redraw::plugin(app);
        labels::plugin(app);
        motion::plugin(app);
        touch::plugin(app);
        voice::plugin(app);
        measure::plugin(app);
        app.add_systems(
            Update,
            (
                screenshot_when_ready,
                title_when_ready,
                lively_while_joining,
            ),
        );
    }
}

/// Whether the table is on screen: seated, map tiles and tokens spawned, events in the feed.
fn table_shown(
    session: &TableSession,
    tokens: &Query<(), With<map::Token>>,
    tiles: &Query<(), With<map::MapTiles>>,
) -> bool {
    session.seating.is_some()
        && !tiles.is_empty()
        && !tokens.is_empty()
        && !session.events.is_empty()
}

/// Joining takes an update a step — the handshake, the seat, the table's snapshot, the first
/// pictures — and a window at rest wakes only 4 times a second: it stays lively from the join
/// until the table is on screen. A connection that fails is `Disconnected` and rests again.
fn lively_while_joining(
    session: Res<TableSession>,
    joining: Option<Res<crate::net::Reconnect>>,
    tokens: Query<(), With<map::Token>>,
    tiles: Query<(), With<map::MapTiles>>,
    mut redraw: ResMut<Redraw>,
) {
    use crate::net::Status;
    let arriving = match session.status {
        Status::Connecting | Status::Joining => joining.is_some(),
        Status::Seated => !table_shown(&session, &tokens, &tiles),
        _ => false,
    };
    if arriving {
        redraw.keep_lively();
    }
}

/// Whether a picture the map shows is still on its way (one that failed counts as arrived:
/// the map shows it without it).
fn pictures_pending(
    assets: &AssetServer,
    sprites: &Query<&Sprite>,
    tilemaps: &Query<&bevy_ecs_tilemap::prelude::TilemapTexture>,
) -> bool {
    use bevy::asset::LoadState;
    let tiles = tilemaps.iter().flat_map(|t| t.image_handles());
    sprites
        .iter()
        .map(|s| s.image.id())
        .chain(tiles.map(|h| h.id()))
        .any(|id| {
            matches!(
                assets.get_load_state(id),
                Some(LoadState::Loading | LoadState::NotLoaded)
            )
        })
}

/// Frames drawn with every picture in before the window is named (an upload can land a frame
/// late).
const TITLE_AFTER_FRAMES: u32 = 2;

/// Names the window after the encounter once the table is on screen with its pictures (in a
/// browser this is the page title: the web test waits for it, and it ends the loading screen).
#[allow(
    clippy::too_many_arguments,
    reason = "a system's parameters: what the table needs to be on screen"
)]
fn title_when_ready(
    session: Res<TableSession>,
    tokens: Query<(), With<map::Token>>,
    tiles: Query<(), With<map::MapTiles>>,
    tables: Query<&emberkeep_shared::prelude::TableView>,
    assets: Res<AssetServer>,
    sprites: Query<&Sprite>,
    tilemaps: Query<&bevy_ecs_tilemap::prelude::TilemapTexture>,
    mut windows: Query<&mut Window, With<bevy::window::PrimaryWindow>>,
    mut frames: Local<u32>,
) {
    if !table_shown(&session, &tokens, &tiles) {
        *frames = 0;
        return;
    }
    // Named already: no need to look at every picture each frame.
    if *frames >= TITLE_AFTER_FRAMES {
        return;
    }
    if pictures_pending(&assets, &sprites, &tilemaps) {
        *frames = 0;
        return;
    }
    *frames += 1;
    if *frames != TITLE_AFTER_FRAMES {
        return;
    }
    let Some(table) = tables.iter().next() else {
        return;
    };
    let title = format!("Emberkeep — {}", table.encounter);
    // In a browser winit only labels the canvas: the page's title is the document's.
    #[cfg(target_family = "wasm")]
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        document.set_title(&title);
    }
    if let Ok(mut window) = windows.single_mut() {
        window.title = title;
    }
}

fn spawn_camera(mut commands: Commands) {
    // No multisampling: the map is squares and sprites, egui smooths its own edges, and four
    // samples a pixel cost a software renderer (and a phone) dearly for nothing.
    commands.spawn((Camera2d, Msaa::Off, map::MapCamera::default()));
}

/// Saves one screenshot once the table is on screen, then quits (`emberkeep --screenshot`).
#[derive(Resource, Debug, Clone)]
pub struct ScreenshotPlan {
    /// Where to save the PNG.
    pub path: PathBuf,
    /// Frames to wait after the table is drawn (fonts, textures settle).
    pub settle_frames: u32,
    /// Quit after so many frames without a table (the server was not reachable).
    pub give_up_frames: u32,
    frames: u32,
    shown_at: Option<u32>,
    launched: Option<bevy::platform::time::Instant>,
    first_table: Option<std::time::Duration>,
    frame_times: Vec<std::time::Duration>,
}

impl ScreenshotPlan {
    /// A plan for `path`.
    pub fn new(path: PathBuf) -> Self {
        ScreenshotPlan {
            path,
            settle_frames: 120,
            give_up_frames: 3000,
            frames: 0,
            shown_at: None,
            launched: Some(bevy::platform::time::Instant::now()),
            first_table: None,
            frame_times: Vec::new(),
        }
    }
}

fn screenshot_when_ready(
    plan: Option<ResMut<ScreenshotPlan>>,
    session: Res<TableSession>,
    tokens: Query<(), With<map::Token>>,
    tiles: Query<(), With<map::MapTiles>>,
    mut commands: Commands,
    mut exit: MessageWriter<AppExit>,
    time: Res<Time<Real>>,
    mut redraw: ResMut<Redraw>,
) {
    let Some(mut plan) = plan else { return };
    // Frames one after another (the plan counts frames, and its frame times are a game's).
    redraw.request();
    plan.frames += 1;
    if plan.shown_at.is_some() {
        plan.frame_times.push(time.delta());
    }
    let ready = table_shown(&session, &tokens, &tiles);
    match plan.shown_at {
        None if ready => {
            plan.shown_at = Some(plan.frames);
            plan.first_table = plan.launched.map(|l| l.elapsed());
        }
        None if plan.frames > plan.give_up_frames => {
            error!("no table to photograph after {} frames", plan.frames);
            exit.write(AppExit::from_code(1));
        }
        Some(at) if plan.frames == at + plan.settle_frames => {
            info!("saving a screenshot to {}", plan.path.display());
            commands
                .spawn(Screenshot::primary_window())
                .observe(save_to_disk(plan.path.clone()));
        }
        Some(at) if plan.frames >= at + plan.settle_frames + 20 && plan.path.exists() => {
            let mut times = std::mem::take(&mut plan.frame_times);
            times.sort();
            let pick = |q: f64| {
                times[((times.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0
            };
            println!(
                "launch -> first table: {:.2} s; client frame time: median {:.1} ms, p99 {:.1} ms (n = {})",
                plan.first_table.unwrap_or_default().as_secs_f64(),
                pick(0.5),
                pick(0.99),
                times.len()
            );
            exit.write(AppExit::Success);
        }
        _ => {}
    }
}
