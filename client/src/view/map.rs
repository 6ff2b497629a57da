//! The battle map: tiles from the replicated [`BattleMap`], a token per visible combatant with
//! its name and HP bar, the active combatant ringed, and on your turn the squares you can reach
//! and the foes you can attack — computed by the same shared rules the server uses. Click a
//! square to move there, a foe to attack it; drag with the right button or use WASD to pan, the
//! wheel to zoom.

use super::art::{self, Art, TILE_PX, tile};
use super::input::{Fired, TableAction};
use super::map_text::MapText;
use super::settings::Look;
use crate::net::{Mirror, TableSession};
use crate::preview::my_reach;
use bevy::input::mouse::MouseMotion;
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_ecs_tilemap::prelude::*;
use emberkeep_shared::content::Condition;
use emberkeep_shared::prelude::*;
use leafwing_input_manager::prelude::ActionState;

/// World units per square.
pub const SQUARE: f32 = TILE_PX as f32;

/// The camera's pan and zoom.
#[derive(Component, Debug, Clone)]
pub struct MapCamera {
    /// Zoom (world units per pixel).
    pub scale: f32,
    /// The free area the map was last framed in.
    fitted: Option<Rect>,
    /// The player panned or zoomed since.
    pub(super) moved: bool,
}

impl Default for MapCamera {
    fn default() -> Self {
        MapCamera {
            scale: 1.0,
            fitted: None,
            moved: false,
        }
    }
}

/// Marks the tilemap entity.
#[derive(Component, Debug)]
pub struct MapTiles;

/// A combatant's token (on the replicated entity).
#[derive(Component, Debug)]
pub struct Token;

#[derive(Component, Debug)]
struct HpBar;

#[derive(Component, Debug)]
struct ActiveRing;

#[derive(Component, Debug)]
struct ReachMarker;

/// Grid size of the map on screen.
#[derive(Resource, Debug, Clone, Copy, Default)]
pub struct MapSize {
    /// Squares across.
    pub width: u32,
    /// Squares down.
    pub height: u32,
}

impl MapSize {
    /// Centre of a square in world space (row 0 at the top).
    pub fn to_world(self, p: GridPos) -> Vec2 {
        Vec2::new(
            (p.x as f32 - (self.width as f32 - 1.0) / 2.0) * SQUARE,
            ((self.height as f32 - 1.0) / 2.0 - p.y as f32) * SQUARE,
        )
    }

    /// The square under a world position.
    pub fn to_grid(self, w: Vec2) -> GridPos {
        GridPos::new(
            (w.x / SQUARE + (self.width as f32 - 1.0) / 2.0).round() as i32,
            ((self.height as f32 - 1.0) / 2.0 - w.y / SQUARE).round() as i32,
        )
    }
}

/// The keyboard/gamepad cursor square (none until the player moves it).
#[derive(Resource, Debug, Default, Clone, Copy)]
pub struct MapCursor(pub Option<GridPos>);

#[derive(Component, Debug)]
struct CursorMarker;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<MapSize>()
        .init_resource::<MapCursor>()
        .init_resource::<FreeArea>()
        .init_resource::<LastMirror>();
    app.add_systems(
        Update,
        (
            remember_mirror,
            build_tilemap,
            spawn_tokens,
            portrait_follows_sheet,
            portrait_fallback,
            update_tokens,
            show_reach,
            show_cursor,
            camera_controls,
            fit_camera,
            click_to_act,
            recolor_marks,
        )
            .chain()
            .in_set(MapSystems),
    );
}

/// The map's systems (tokens, cursor, camera), which the labels follow.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct MapSystems;

fn show_cursor(
    mut commands: Commands,
    cursor: Res<MapCursor>,
    size: Res<MapSize>,
    art: Option<Res<Art>>,
    mut markers: Query<(&mut Transform, &mut Visibility), With<CursorMarker>>,
) {
    let Some(art) = art else { return };
    if !cursor.is_changed() {
        return;
    }
    let Some(at) = cursor.0 else { return };
    let place = size.to_world(at).extend(3.0);
    if let Ok((mut t, mut v)) = markers.single_mut() {
        t.translation = place;
        *v = Visibility::Visible;
    } else {
        commands.spawn((
            CursorMarker,
            Sprite {
                image: art.ring.clone(),
                color: Color::srgba(0.55, 0.85, 1.0, 0.9),
                custom_size: Some(Vec2::splat(SQUARE * 1.05)),
                ..default()
            },
            Transform::from_translation(place),
        ));
    }
}

fn build_tilemap(
    mut commands: Commands,
    maps: Query<&BattleMap, Changed<BattleMap>>,
    existing: Query<Entity, With<MapTiles>>,
    art: Option<Res<Art>>,
    mut size: ResMut<MapSize>,
    mut cameras: Query<(&mut MapCamera, &mut Transform)>,
) {
    let Some(art) = art else { return };
    let Some(map) = maps.iter().next() else {
        return;
    };
    for e in &existing {
        commands.entity(e).despawn();
    }
    let grid = &map.grid;
    let map_size = TilemapSize {
        x: grid.width,
        y: grid.height,
    };
    *size = MapSize {
        width: grid.width,
        height: grid.height,
    };
    let tilemap = commands.spawn_empty().id();
    let mut storage = TileStorage::empty(map_size);
    for y in 0..grid.height {
        for x in 0..grid.width {
            let index = match grid.terrain(GridPos::new(x as i32, y as i32)) {
                Terrain::Floor => tile::FLOOR,
                Terrain::Wall | Terrain::Closed => tile::WALL,
                Terrain::Difficult | Terrain::Trap => tile::DIFFICULT,
                Terrain::Door => tile::DOOR,
            };
            // Tilemap rows count upward; ours count downward.
            let position = TilePos {
                x,
                y: grid.height - 1 - y,
            };
            let t = commands
                .spawn(TileBundle {
                    position,
                    tilemap_id: TilemapId(tilemap),
                    texture_index: TileTextureIndex(index),
                    ..default()
                })
                .id();
            storage.set(&position, t);
        }
    }
    let tile_size = TilemapTileSize {
        x: SQUARE,
        y: SQUARE,
    };
    commands.entity(tilemap).insert((
        TilemapBundle {
            grid_size: tile_size.into(),
            map_type: TilemapType::Square,
            size: map_size,
            storage,
            texture: TilemapTexture::Single(art.tiles.clone()),
            tile_size,
            anchor: TilemapAnchor::Center,
            ..default()
        },
        MapTiles,
    ));
    for (mut cam, _) in &mut cameras {
        // A new map is framed again, whatever the player did with the last one.
        cam.fitted = None;
    }
}

/// The part of the window the panels leave free for the map, in physical pixels (written by
/// the panels each frame).
#[derive(Resource, Debug, Default, Clone, Copy, PartialEq)]
pub struct FreeArea(pub Option<Rect>);

/// Frames the whole map in the free area, centred — when the map arrives and whenever the
/// free area changes (a resize, the display mode's larger panels), unless the player has
/// panned or zoomed since.
fn fit_camera(
    free: Res<FreeArea>,
    size: Res<MapSize>,
    windows: Query<&Window, With<PrimaryWindow>>,
    mut cameras: Query<(&mut MapCamera, &mut Transform)>,
) {
    let (Some(physical), Ok(window)) = (free.0, windows.single()) else {
        return;
    };
    let k = 1.0 / window.scale_factor();
    let area = Rect::from_corners(physical.min * k, physical.max * k);
    if size.width == 0 || area.width() < 50.0 || area.height() < 50.0 {
        return;
    }
    for (mut cam, mut transform) in &mut cameras {
        if cam.fitted == Some(area) || (cam.fitted.is_some() && cam.moved) {
            continue;
        }
        let scale = ((size.width as f32 * SQUARE) / area.width())
            .max((size.height as f32 * SQUARE) / area.height())
            * 1.04;
        cam.scale = scale.max(0.25);
        let offset = area.center() - Vec2::new(window.width(), window.height()) / 2.0;
        transform.translation.x = -offset.x * cam.scale;
        transform.translation.y = offset.y * cam.scale;
        cam.fitted = Some(area);
        cam.moved = false;
    }
}

/// A side's colour: blue and red, or in the colour-blind-safe palette blue and orange
/// (Okabe–Ito), which differ in lightness as well as hue.
pub(super) fn side_color(side: Side, look: &Look) -> Color {
    match (side, look.colour_blind) {
        (Side::Party, false) => art::PARTY,
        (Side::Foe, false) => art::FOE,
        (Side::Party, true) => Color::srgb_u8(0x00, 0x72, 0xB2),
        (Side::Foe, true) => Color::srgb_u8(0xE6, 0x9F, 0x00),
        (Side::Neutral, _) => Color::srgb(0.7, 0.7, 0.6),
    }
}

/// A token's rim (and a foe's diamond), in its side's colour.
#[derive(Component, Debug)]
pub(super) struct SideMark(pub Side);

/// Colours the rims again when the palette changes.
fn recolor_marks(look: Res<Look>, mut marks: Query<(&SideMark, &mut Sprite)>) {
    if !look.is_changed() {
        return;
    }
    for (mark, mut sprite) in &mut marks {
        let c = side_color(mark.0, &look);
        let alpha = sprite.color.alpha();
        sprite.color = c.with_alpha(alpha);
    }
}

/// A token's portrait; `failed` when the creature has no portrait file (a modded creature):
/// then the token is a disc in its side's colour with the name's initial.
#[derive(Component, Debug, Default)]
pub struct Portrait {
    failed: bool,
}

#[derive(Component, Debug)]
struct Initial;

fn portrait_fallback(
    assets: Res<AssetServer>,
    art: Option<Res<Art>>,
    mut tokens: Query<(&mut Sprite, &mut Portrait, &Children)>,
    mut initials: Query<&mut Visibility, With<Initial>>,
) {
    let Some(art) = art else { return };
    for (mut sprite, mut portrait, children) in &mut tokens {
        if portrait.failed
            || !matches!(
                assets.get_load_state(sprite.image.id()),
                Some(bevy::asset::LoadState::Failed(_))
            )
        {
            continue;
        }
        portrait.failed = true;
        sprite.image = art.disc.clone();
        for child in children.iter() {
            if let Ok(mut v) = initials.get_mut(child) {
                *v = Visibility::Inherited;
            }
        }
    }
}

/// A character brought by its player (or a sheet otherwise changed) shows its own portrait
/// and name.
fn portrait_follows_sheet(
    assets: Res<AssetServer>,
    mut tokens: Query<
        (&CombatantSheet, &mut Sprite, &mut Portrait, &Children),
        Changed<CombatantSheet>,
    >,
    mut labels: Query<(&mut MapText, Has<NameLabel>), Or<(With<NameLabel>, With<Initial>)>>,
) {
    for (sheet, mut sprite, mut portrait, children) in &mut tokens {
        let image = art::portrait(&assets, &sheet.portrait);
        if sprite.image != image {
            sprite.image = image;
            portrait.failed = false;
        }
        for child in children.iter() {
            if let Ok((mut text, name)) = labels.get_mut(child) {
                let want = if name {
                    short_name(&sheet.name)
                } else {
                    sheet
                        .name
                        .chars()
                        .next()
                        .map(String::from)
                        .unwrap_or_default()
                };
                if text.text != want {
                    text.text = want;
                }
            }
        }
    }
}

/// The name under a token.
#[derive(Component)]
pub(super) struct NameLabel;

fn spawn_tokens(
    mut commands: Commands,
    new: Query<(Entity, &CombatantSheet, &CombatantStatus), Without<Token>>,
    assets: Res<AssetServer>,
    art: Option<Res<Art>>,
    size: Res<MapSize>,
    look: Res<Look>,
) {
    let Some(art) = art else { return };
    if size.width == 0 {
        return;
    }
    for (entity, sheet, status) in &new {
        let at = size.to_world(status.pos);
        commands
            .entity(entity)
            .insert((
                Token,
                Portrait::default(),
                Sprite {
                    image: art::portrait(&assets, &sheet.portrait),
                    custom_size: Some(Vec2::splat(SQUARE * 0.86)),
                    ..default()
                },
                Transform::from_translation(at.extend(10.0)),
                Visibility::default(),
            ))
            .with_children(|c| {
                // A rim in the side's colour: party blue, foes red (or orange).
                c.spawn((
                    SideMark(sheet.side),
                    Sprite {
                        image: art.ring.clone(),
                        color: side_color(sheet.side, &look),
                        custom_size: Some(Vec2::splat(SQUARE * 0.9)),
                        ..default()
                    },
                    Transform::from_xyz(0.0, 0.0, 0.5),
                ));
                // Foes also differ by shape: a diamond on the rim's lower right.
                if sheet.side == Side::Foe {
                    c.spawn((
                        SideMark(sheet.side),
                        Sprite {
                            color: side_color(sheet.side, &look),
                            custom_size: Some(Vec2::splat(SQUARE * 0.22)),
                            ..default()
                        },
                        Transform::from_xyz(SQUARE * 0.33, -SQUARE * 0.33, 0.7)
                            .with_rotation(Quat::from_rotation_z(std::f32::consts::FRAC_PI_4)),
                    ));
                }
                let initial: String = sheet
                    .name
                    .chars()
                    .next()
                    .map(|c| c.to_string())
                    .unwrap_or_default();
                c.spawn((
                    Initial,
                    MapText::new(initial, 16.0, Color::WHITE),
                    Transform::from_xyz(0.0, 0.0, 1.0),
                    Visibility::Hidden,
                ));
                c.spawn((
                    NameLabel,
                    MapText::new(
                        short_name(&sheet.name),
                        super::labels::FONT,
                        Color::srgb(0.95, 0.92, 0.85),
                    ),
                    Transform::from_xyz(0.0, -SQUARE * 0.62, 2.0),
                ));
                c.spawn((
                    Sprite {
                        color: Color::srgb(0.1, 0.1, 0.1),
                        custom_size: Some(Vec2::new(SQUARE * 0.8, 4.0)),
                        ..default()
                    },
                    Transform::from_xyz(0.0, SQUARE * 0.5, 1.0),
                ));
                c.spawn((
                    HpBar,
                    Sprite {
                        color: Color::srgb(0.3, 0.85, 0.35),
                        custom_size: Some(Vec2::new(SQUARE * 0.8, 4.0)),
                        ..default()
                    },
                    Transform::from_xyz(0.0, SQUARE * 0.5, 1.5),
                ));
                c.spawn((
                    ActiveRing,
                    Sprite {
                        image: art.ring.clone(),
                        color: art::ACTIVE,
                        custom_size: Some(Vec2::splat(SQUARE * 1.1)),
                        ..default()
                    },
                    Transform::from_xyz(0.0, 0.0, -0.5),
                    Visibility::Hidden,
                ));
            });
    }
}

/// A token's label: the first word ("Snaga the goblin" → "Snaga"), keeping a trailing number
/// so "Wolf 2" and "Wolf 3" stay apart as the initiative list names them.
pub(super) fn short_name(name: &str) -> String {
    let first = name.split(' ').next().unwrap_or(name);
    match name.rsplit(' ').next() {
        Some(last) if last != first && last.chars().all(|c| c.is_ascii_digit()) => {
            format!("{first} {last}")
        }
        _ => first.to_string(),
    }
}

fn update_tokens(
    tokens: Query<
        (
            &CombatantSheet,
            &CombatantStatus,
            &Children,
            &mut Transform,
            &mut Sprite,
            &Portrait,
        ),
        With<Token>,
    >,
    mut bars: Query<(&mut Sprite, &mut Transform), (With<HpBar>, Without<Token>)>,
    mut rings: Query<&mut Visibility, With<ActiveRing>>,
    tables: Query<&TableView>,
    size: Res<MapSize>,
    look: Res<Look>,
) {
    let active = tables.iter().next().and_then(|t| t.active);
    for (sheet, status, children, mut transform, mut sprite, portrait) in tokens {
        let at = size.to_world(status.pos);
        transform.translation = at.extend(if status.conditions.contains(&Condition::Dead) {
            5.0
        } else {
            10.0
        });
        let dead = status.conditions.contains(&Condition::Dead);
        let down = status.hp == 0;
        let base = if portrait.failed {
            side_color(sheet.side, &look)
        } else {
            Color::WHITE
        };
        sprite.color = if dead {
            base.with_alpha(0.25)
        } else if down {
            base.with_alpha(0.55)
        } else {
            base
        };
        for child in children.iter() {
            if let Ok((mut bar, mut t)) = bars.get_mut(child) {
                let frac = (status.hp.max(0) as f32 / sheet.max_hp.max(1) as f32).clamp(0.0, 1.0);
                let full = SQUARE * 0.8;
                bar.custom_size = Some(Vec2::new(full * frac, 4.0));
                bar.color = if frac > 0.5 {
                    Color::srgb(0.3, 0.85, 0.35)
                } else if frac > 0.25 {
                    Color::srgb(0.95, 0.75, 0.2)
                } else {
                    Color::srgb(0.9, 0.25, 0.2)
                };
                t.translation.x = -full * (1.0 - frac) / 2.0;
            }
            if let Ok(mut vis) = rings.get_mut(child) {
                *vis = if active == Some(sheet.id) && !dead {
                    Visibility::Visible
                } else {
                    Visibility::Hidden
                };
            }
        }
    }
}

fn show_reach(
    mut commands: Commands,
    session: Res<TableSession>,
    markers: Query<Entity, With<ReachMarker>>,
    size: Res<MapSize>,
    world_views: Query<&TableView, Changed<TableView>>,
    statuses: Query<(), Changed<CombatantStatus>>,
    mirror_source: MirrorSource,
) {
    if world_views.is_empty() && statuses.is_empty() {
        return;
    }
    for m in &markers {
        commands.entity(m).despawn();
    }
    let Some(me) = session.seating.as_ref().and_then(|s| s.character) else {
        return;
    };
    let mirror = mirror_source.read();
    for (p, _) in my_reach(&mirror, me) {
        commands.spawn((
            ReachMarker,
            Sprite {
                color: Color::srgba(0.95, 0.8, 0.3, 0.18),
                custom_size: Some(Vec2::splat(SQUARE * 0.94)),
                ..default()
            },
            Transform::from_translation(size.to_world(p).extend(1.0)),
        ));
    }
}

/// The last table this client saw, kept while a reconnect replaces the replicated entities:
/// the party, initiative and names stay on screen instead of going blank ("#2's turn").
#[derive(Resource, Debug, Default)]
pub struct LastMirror(Mirror);

#[cfg(test)]
impl LastMirror {
    /// A table seen before (tests: the panels without replicated entities).
    pub(super) fn holding(mirror: Mirror) -> Self {
        LastMirror(mirror)
    }
}

fn remember_mirror(
    live: LiveMirror,
    changed: Query<
        (),
        Or<(
            Changed<TableView>,
            Changed<TableClock>,
            Changed<CombatantStatus>,
            Changed<CombatantSheet>,
        )>,
    >,
    mut last: ResMut<LastMirror>,
) {
    if changed.is_empty() {
        return;
    }
    let live = live.read();
    if live.table.is_some() {
        last.0 = live;
    }
}

/// The replicated views as they are now, inside a system.
#[derive(bevy::ecs::system::SystemParam)]
pub struct LiveMirror<'w, 's> {
    tables: Query<'w, 's, (&'static TableView, &'static BattleMap)>,
    combatants: Query<'w, 's, (&'static CombatantSheet, &'static CombatantStatus)>,
    books: Query<'w, 's, &'static Spellbook>,
    clocks: Query<'w, 's, &'static TableClock>,
}

impl LiveMirror<'_, '_> {
    /// The table as replicated to this client (no table while none is replicated).
    pub fn read(&self) -> Mirror {
        Mirror::collect(self.tables.iter(), self.combatants.iter())
            .with_spells(self.books.iter().next())
            .with_clock(self.clocks.iter().next())
    }
}

/// Reads the replicated views inside a system.
#[derive(bevy::ecs::system::SystemParam)]
pub struct MirrorSource<'w, 's> {
    live: LiveMirror<'w, 's>,
    last: Res<'w, LastMirror>,
}

impl MirrorSource<'_, '_> {
    /// The table as replicated to this client — or, while no table is replicated (a reconnect
    /// in progress), the last one seen.
    pub fn read(&self) -> Mirror {
        let live = self.live.read();
        if live.table.is_none() && self.last.0.table.is_some() {
            return self.last.0.clone();
        }
        live
    }
}

fn camera_controls(
    mut cameras: Query<(&mut Transform, &mut MapCamera, &mut Projection)>,
    actions: Single<&ActionState<TableAction>>,
    mut motion: MessageReader<MouseMotion>,
    time: Res<Time>,
) {
    let Ok((mut transform, mut cam, mut projection)) = cameras.single_mut() else {
        return;
    };
    let mut pan = Vec2::ZERO;
    for (action, dir) in [
        (TableAction::PanUp, Vec2::Y),
        (TableAction::PanDown, -Vec2::Y),
        (TableAction::PanLeft, -Vec2::X),
        (TableAction::PanRight, Vec2::X),
    ] {
        if actions.pressed(&action) {
            pan += dir;
        }
    }
    let before = (transform.translation, cam.scale);
    transform.translation += (pan * 400.0 * cam.scale * time.delta_secs()).extend(0.0);
    if actions.pressed(&TableAction::DragPan) {
        for m in motion.read() {
            transform.translation += Vec3::new(-m.delta.x, m.delta.y, 0.0) * cam.scale;
        }
    } else {
        motion.clear();
    }
    // The wheel fires once per notch; keys and triggers zoom smoothly while held.
    let mut zoom = 0.0;
    for (action, dir) in [(TableAction::ZoomIn, 1.0), (TableAction::ZoomOut, -1.0)] {
        if actions.just_pressed(&action) {
            zoom += dir * 0.1;
        } else if actions.pressed(&action) {
            zoom += dir * 1.5 * time.delta_secs();
        }
    }
    cam.scale = (cam.scale * (1.0 - zoom)).clamp(0.25, 4.0);
    if (transform.translation, cam.scale) != before {
        cam.moved = true;
    }
    if let Projection::Orthographic(ortho) = &mut *projection {
        ortho.scale = cam.scale;
    }
}

fn click_to_act(
    fired: Fired,
    windows: Query<&Window, With<PrimaryWindow>>,
    cameras: Query<(&Camera, &GlobalTransform), With<MapCamera>>,
    size: Res<MapSize>,
    mut session: ResMut<TableSession>,
    mut cursor: ResMut<MapCursor>,
    mut chosen: ResMut<super::spells::ChosenSpell>,
    mirror_source: MirrorSource,
) {
    if !fired.just(TableAction::Select) {
        return;
    }
    let (Ok(window), Ok((camera, cam_t))) = (windows.single(), cameras.single()) else {
        return;
    };
    let Some(pointer) = window.cursor_position() else {
        return;
    };
    let Ok(world) = camera.viewport_to_world_2d(cam_t, pointer) else {
        return;
    };
    let square = size.to_grid(world);
    act_at(
        square,
        &mut session,
        &mut cursor,
        &mut chosen,
        &mirror_source,
    );
}

/// Acts on a square the player pointed at (a click or a tap): moves there, attacks who
/// stands there, or casts the chosen spell there; says why not otherwise.
pub(super) fn act_at(
    square: GridPos,
    session: &mut TableSession,
    cursor: &mut MapCursor,
    chosen: &mut super::spells::ChosenSpell,
    mirror_source: &MirrorSource,
) {
    let Some(me) = session.seating.as_ref().and_then(|s| s.character) else {
        return;
    };
    cursor.0 = Some(square);
    let mirror = mirror_source.read();
    match super::spells::act_on(&mirror, me, square, chosen) {
        Ok(action) => {
            session.act(action);
        }
        Err(why) => session.notice = Some(why),
    }
}
