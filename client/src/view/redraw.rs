//! Drawing only when something changed: a turn-based table spends most of its time still, and
//! redrawing an unchanged frame 60 times a second kept a core busy for nothing.
//!
//! The app wakes a few times a second (to hear the network and tick the turn timer) and at
//! once for any window or input event, but a frame is drawn only when what it would show is
//! different from what was drawn last: every sprite, text and tilemap on the map (where it
//! is, its colour, picture, visibility), the camera, the window's size, and the panels' own
//! painted output from egui. Anything that moves, fades or changes text is thereby drawn,
//! whichever system changed it, and nothing else is. A picture that finished loading,
//! a screenshot and an animation ([`Redraw::request`]) draw as well; after the player's own
//! input the window stays lively for a moment (the server's answer, a hover). When nothing changed the cameras are switched off for
//! that update, so the renderer acquires no swap-chain image and the window keeps its last
//! frame.

use super::map_text::MapText;
use bevy::platform::time::Instant;
use bevy::prelude::*;
use bevy::render::view::screenshot::Screenshot;
use bevy::window::{PrimaryWindow, RequestRedraw};
use bevy::winit::{UpdateMode, WinitSettings};
use bevy_ecs_tilemap::prelude::*;
use bevy_egui::EguiRenderOutput;
use std::hash::{BuildHasher, Hash, Hasher};
use std::time::Duration;

/// How often a focused window wakes when nothing has happened for a while: network news and
/// the turn timer's second are seen within this.
pub const FOCUSED_WAKE: Duration = Duration::from_millis(250);
/// How often an unfocused (or hidden) window wakes: easy on a laptop's battery.
pub const UNFOCUSED_WAKE: Duration = Duration::from_secs(1);
/// How often the window wakes just after the player did something (the server's answer, a
/// hover), for [`HOT_FOR`]: as a game does. (An animation asks for its frames itself.)
pub const HOT_WAKE: Duration = Duration::from_millis(16);
/// How long the window stays lively after the last input or change.
pub const HOT_FOR: Duration = Duration::from_secs(1);
/// Frames drawn after a picture arrives (its upload can land a frame late).
const SETTLE_FRAMES: u32 = 2;

/// Whether frames are drawn on change only (the default) or always, and what was counted.
#[derive(Resource, Debug, Clone, Default)]
pub struct Redraw {
    /// Draw every frame (for measuring the cost of a frame while everything moves).
    pub always: bool,
    /// Updates run since start.
    pub updates: u64,
    /// Frames drawn since start.
    pub drawn: u64,
    last: u64,
    frames_left: u32,
    hot_until: Option<Instant>,
    wanted: bool,
}

impl Redraw {
    /// Asks for this frame to be drawn and the next to follow at once (an animation).
    pub fn request(&mut self) {
        self.wanted = true;
    }

    /// Keeps the window lively (waking every [`HOT_WAKE`], drawing only what changed) for
    /// [`HOT_FOR`] from now, as after the player's own input: for work that takes an update
    /// a step, such as joining a table.
    pub fn keep_lively(&mut self) {
        self.hot_until = Some(Instant::now() + HOT_FOR);
    }
}

/// The winit settings for a window that is lively (`hot`) or resting.
fn wake(hot: bool) -> WinitSettings {
    let quick = |idle: Duration| if hot { HOT_WAKE } else { idle };
    WinitSettings {
        focused_mode: UpdateMode::Reactive {
            wait: quick(FOCUSED_WAKE),
            // A mouse moved over another window is no reason to wake.
            react_to_device_events: false,
            react_to_user_events: true,
            react_to_window_events: true,
        },
        unfocused_mode: UpdateMode::reactive_low_power(quick(UNFOCUSED_WAKE)),
    }
}

pub(super) fn plugin(app: &mut App) {
    app.insert_resource(wake(true));
    app.init_resource::<Redraw>();
    app.add_systems(Last, decide);
    app.add_systems(
        PreUpdate,
        quiet_unchanged_modifiers
            .after(bevy_egui::EguiPreUpdateSet::ProcessInput)
            .before(bevy_egui::EguiPreUpdateSet::BeginPass),
    );
}

/// Hashes f32s by their bits (a frame's numbers are compared exactly, not approximately).
fn floats(h: &mut impl Hasher, values: &[f32]) {
    for v in values {
        v.to_bits().hash(h);
    }
}

/// A fingerprint of everything the map draws.
/// What is drawn: sprites, text and tile layers, with where and how they show.
type Drawn<'w, 's> = Query<
    'w,
    's,
    (
        Entity,
        &'static GlobalTransform,
        &'static InheritedVisibility,
        Option<&'static Sprite>,
        Option<&'static MapText>,
    ),
    Or<(With<Sprite>, With<MapText>, With<TileStorage>)>,
>;

fn scene_hash(
    h: &mut impl Hasher,
    drawn: &Drawn,
    cameras: &Query<(&GlobalTransform, &Projection), With<Camera>>,
    window: &Query<&Window, With<PrimaryWindow>>,
) {
    for (entity, at, visible, sprite, text) in drawn {
        entity.hash(h);
        floats(h, &at.to_matrix().to_cols_array());
        visible.get().hash(h);
        if let Some(s) = sprite {
            floats(h, &s.color.to_linear().to_f32_array());
            s.image.id().hash(h);
            if let Some(size) = s.custom_size {
                floats(h, &size.to_array());
            }
            if let Some(r) = s.rect {
                floats(h, &[r.min.x, r.min.y, r.max.x, r.max.y]);
            }
            (s.flip_x, s.flip_y).hash(h);
        }
        if let Some(t) = text {
            t.text.hash(h);
            floats(h, &[t.size]);
            floats(h, &t.color.to_linear().to_f32_array());
        }
    }
    for (at, projection) in cameras {
        floats(h, &at.to_matrix().to_cols_array());
        if let Projection::Orthographic(o) = projection {
            floats(h, &[o.scale]);
        }
    }
    for w in window {
        (w.physical_width(), w.physical_height()).hash(h);
        floats(h, &[w.scale_factor()]);
    }
}

/// A fingerprint of the panels as egui painted them this update.
fn panels_hash(h: &mut impl Hasher, output: &EguiRenderOutput) {
    for job in &output.paint_jobs {
        let r = job.clip_rect;
        floats(h, &[r.min.x, r.min.y, r.max.x, r.max.y]);
        match &job.primitive {
            bevy_egui::egui::epaint::Primitive::Mesh(mesh) => {
                mesh.texture_id.hash(h);
                mesh.indices.hash(h);
                for v in &mesh.vertices {
                    floats(h, &[v.pos.x, v.pos.y, v.uv.x, v.uv.y]);
                    v.color.to_array().hash(h);
                }
            }
            // A custom paint callback cannot be compared: draw it.
            bevy_egui::egui::epaint::Primitive::Callback(_) => h.write_u64(rand_like()),
        }
    }
}

/// A value that differs every call (forces a redraw).
fn rand_like() -> u64 {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Decides, at the end of each update, whether this frame is drawn.
#[allow(
    clippy::too_many_arguments,
    clippy::type_complexity,
    reason = "one system reads everything a frame shows"
)]
fn decide(
    mut redraw: ResMut<Redraw>,
    drawn: Drawn,
    views: Query<(&GlobalTransform, &Projection), With<Camera>>,
    window: Query<&Window, With<PrimaryWindow>>,
    panels: Query<&EguiRenderOutput>,
    tiles: Query<
        (),
        Or<(
            Changed<TileTextureIndex>,
            Changed<TileColor>,
            Changed<TileVisible>,
            Changed<TileFlip>,
        )>,
    >,
    mut removed_tiles: RemovedComponents<TilePos>,
    mut requests: ResMut<Messages<RequestRedraw>>,
    mut images: MessageReader<AssetEvent<Image>>,
    screenshots: Query<(), With<Screenshot>>,
    mut cameras: Query<&mut Camera>,
    mut input: (
        MessageReader<bevy::input::keyboard::KeyboardInput>,
        MessageReader<bevy::input::mouse::MouseButtonInput>,
        MessageReader<bevy::input::mouse::MouseWheel>,
        MessageReader<CursorMoved>,
        MessageReader<TouchInput>,
    ),
    mut winit: ResMut<WinitSettings>,
) {
    let touched = input.0.read().count()
        + input.1.read().count()
        + input.2.read().count()
        + input.3.read().count()
        + input.4.read().count()
        > 0;
    redraw.updates += 1;
    let mut h = bevy::platform::hash::FixedHasher.build_hasher();
    scene_hash(&mut h, &drawn, &views, &window);
    let mut textures_changed = false;
    for output in &panels {
        panels_hash(&mut h, output);
        // egui's font atlas and images change through this delta, which is handed to the
        // renderer only in a drawn frame: never drop one.
        textures_changed |= !output.textures_delta.is_empty();
    }
    let fingerprint = h.finish();
    // bevy_egui asks for a redraw whenever egui has a repaint pending, even one due later (a
    // tooltip's delay, a scroll's easing), which would keep the window awake for nothing:
    // its requests are dropped, and what egui paints differently is seen by the fingerprint
    // at the next wake. Animations ask through [`Redraw::request`].
    requests.clear();
    let requested = std::mem::take(&mut redraw.wanted) || removed_tiles.read().count() > 0;
    // A picture that arrived is uploaded by the renderer: give it a frame more.
    let loaded = images.read().count() > 0;
    let changed = fingerprint != redraw.last
        || requested
        || textures_changed
        || !tiles.is_empty()
        || !screenshots.is_empty();
    redraw.last = fingerprint;
    if loaded {
        redraw.frames_left = redraw.frames_left.max(SETTLE_FRAMES);
    } else if changed {
        redraw.frames_left = redraw.frames_left.max(1);
    }
    let draw = redraw.always || redraw.frames_left > 0;
    let now = Instant::now();
    // Lively after the player's own input (its answer comes from the server); a change from
    // elsewhere (the clock's second, another's move) is drawn and the window rests again.
    if touched {
        redraw.hot_until = Some(now + HOT_FOR);
    }
    let hot = redraw.hot_until.is_some_and(|t| now < t);
    if requested || redraw.always {
        // The next frame follows at once.
        requests.write(RequestRedraw);
    }
    let settings = wake(hot);
    if winit.focused_mode != settings.focused_mode {
        *winit = settings;
    }
    redraw.frames_left = redraw.frames_left.saturating_sub(1);
    if draw {
        redraw.drawn += 1;
    }
    for mut camera in &mut cameras {
        if camera.is_active != draw {
            camera.is_active = draw;
        }
    }
}

/// bevy_egui tells egui the modifier keys every update, as an input event; egui takes any
/// input event as a reason to be painted again at once, so a still window would never rest.
/// The event is kept only when the modifiers did change (egui also reads them from the
/// input's own `modifiers`).
fn quiet_unchanged_modifiers(
    mut inputs: Query<&mut bevy_egui::EguiInput>,
    mut last: Local<Option<bevy_egui::egui::Modifiers>>,
) {
    use bevy_egui::egui::Event;
    for mut input in &mut inputs {
        let mut seen = *last;
        input.events.retain(|e| match e {
            Event::ModifiersChanged(m) => {
                let keep = seen != Some(*m);
                seen = Some(*m);
                keep
            }
            _ => true,
        });
        *last = seen;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> App {
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, AssetPlugin::default()));
        app.init_asset::<Image>();
        app.add_message::<RequestRedraw>();
        app.add_message::<bevy::input::keyboard::KeyboardInput>();
        app.add_message::<bevy::input::mouse::MouseButtonInput>();
        app.add_message::<bevy::input::mouse::MouseWheel>();
        app.add_message::<CursorMoved>();
        app.add_message::<TouchInput>();
        plugin(&mut app);
        app.world_mut().spawn((
            Camera::default(),
            Projection::Orthographic(OrthographicProjection::default_2d()),
            GlobalTransform::default(),
        ));
        app
    }

    fn drawn(app: &mut App) -> bool {
        app.update();
        let mut q = app.world_mut().query::<&Camera>();
        q.single(app.world()).unwrap().is_active
    }

    /// A still table is drawn once and then rests; a sprite that moves or changes colour, a
    /// text that changes, or an animation's request is drawn, once.
    #[test]
    fn only_a_change_is_drawn() {
        let mut app = app();
        let token = app
            .world_mut()
            .spawn((
                Sprite::from_color(Color::WHITE, Vec2::splat(10.0)),
                GlobalTransform::default(),
                InheritedVisibility::VISIBLE,
            ))
            .id();
        let label = app
            .world_mut()
            .spawn((
                MapText::new("Brakka", 9.0, Color::WHITE),
                GlobalTransform::default(),
                InheritedVisibility::VISIBLE,
            ))
            .id();
        assert!(drawn(&mut app), "the first frame is drawn");
        for _ in 0..3 {
            assert!(!drawn(&mut app), "nothing changed: nothing is drawn");
        }
        app.world_mut()
            .entity_mut(token)
            .insert(GlobalTransform::from_xyz(32.0, 0.0, 0.0));
        assert!(drawn(&mut app), "a token that moved is drawn");
        assert!(!drawn(&mut app));
        app.world_mut().get_mut::<Sprite>(token).unwrap().color = Color::BLACK;
        assert!(drawn(&mut app), "a token that faded is drawn");
        // Written again with the same value: change detection fires, the picture is the same.
        app.world_mut().get_mut::<Sprite>(token).unwrap().color = Color::BLACK;
        assert!(!drawn(&mut app), "the same picture is not drawn again");
        app.world_mut().get_mut::<MapText>(label).unwrap().text = "Lia".into();
        assert!(drawn(&mut app), "a changed label is drawn");
        assert!(!drawn(&mut app));
        app.world_mut().resource_mut::<Redraw>().request();
        assert!(drawn(&mut app), "an animation's request is drawn");
        app.world_mut().write_message(RequestRedraw);
        assert!(!drawn(&mut app), "egui's redraw requests are not a change");
        assert!(!drawn(&mut app));
        app.world_mut().resource_mut::<Redraw>().always = true;
        assert!(
            drawn(&mut app) && drawn(&mut app),
            "drawing always draws every frame"
        );
        let r = app.world().resource::<Redraw>();
        assert!(r.updates > r.drawn, "{r:?}");
    }

    /// The window wakes quickly only after the player's own input, then rests.
    #[test]
    fn input_makes_the_window_lively_for_a_moment() {
        let mut app = app();
        app.update();
        app.update();
        let rest = wake(false).focused_mode;
        assert_eq!(app.world().resource::<WinitSettings>().focused_mode, rest);
        app.world_mut().write_message(CursorMoved {
            window: Entity::PLACEHOLDER,
            position: Vec2::ONE,
            delta: None,
        });
        app.update();
        assert_eq!(
            app.world().resource::<WinitSettings>().focused_mode,
            wake(true).focused_mode
        );
    }
}
