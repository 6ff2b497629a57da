//! Playing with a finger (a phone or tablet in a browser, a touch screen): tap a square to
//! move there or a foe to attack it (as a click does), long-press a creature for its details,
//! drag to pan, pinch to zoom. Once a touch has been seen the panels' buttons grow to at least
//! 44 points, the size a fingertip needs.

use super::map::{FreeArea, MapCamera, MapCursor, MapSize, MapSystems, MirrorSource, act_at};
use crate::net::TableSession;
use bevy::input::touch::Touches;
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};
use emberkeep_shared::content::Condition;
use emberkeep_shared::prelude::*;

/// A finger moved this far (logical pixels) is dragging, not tapping.
pub const DRAG_SLOP: f32 = 10.0;
/// A finger held this long without moving is a long press.
pub const LONG_PRESS: f64 = 0.5;
/// The smallest touch target, in points.
pub const TOUCH_TARGET: f32 = 44.0;

/// One finger's gesture on the map.
#[derive(Debug, Clone, Copy)]
struct Press {
    id: u64,
    start: Vec2,
    at: f64,
    dragging: bool,
    long_done: bool,
}

/// Touch state: the gesture under way and whether this device has been touched.
#[derive(Resource, Debug, Default)]
pub struct TouchState {
    press: Option<Press>,
    pinch: Option<(f32, Vec2)>,
    /// A touch has been seen: the panels use finger-sized targets.
    pub seen: bool,
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<TouchState>();
    app.add_systems(Update, touch_map.after(MapSystems));
    app.add_systems(EguiPrimaryContextPass, finger_sized_targets);
}

/// Whether a point (logical pixels) is on the map, not on a panel.
fn on_map(p: Vec2, free: &FreeArea, window: &Window) -> bool {
    free.0
        .is_some_and(|area| area.contains(p * window.scale_factor()))
}

/// What the fingers did this frame.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Gesture {
    /// A finger lifted where it went down: act on that point.
    Tap(Vec2),
    /// A finger held still for [`LONG_PRESS`]: details of that point.
    Hold(Vec2),
    /// One finger dragging: move the view by this much (logical pixels).
    Pan(Vec2),
    /// Two fingers: zoom by `factor` (above 1: closer) and move by `pan`.
    Pinch {
        /// The fingers' distance now over before.
        factor: f32,
        /// How far their midpoint moved.
        pan: Vec2,
    },
}

/// Reads this frame's touches as gestures. `on_map` says whether a point is on the map (a
/// touch that starts on a panel belongs to the panel).
fn recognise(
    touches: &Touches,
    now: f64,
    state: &mut TouchState,
    on_map: impl Fn(Vec2) -> bool,
) -> Vec<Gesture> {
    let mut out = Vec::new();
    if touches.iter().next().is_none() && touches.iter_just_released().next().is_none() {
        state.pinch = None;
        return out;
    }
    state.seen = true;
    let fingers: Vec<_> = touches.iter().collect();
    // Two fingers: pinch to zoom, and pan with their midpoint.
    if fingers.len() >= 2 {
        let (a, b) = (fingers[0].position(), fingers[1].position());
        let (dist, mid) = (a.distance(b).max(1.0), (a + b) / 2.0);
        if let Some((was, was_mid)) = state.pinch {
            out.push(Gesture::Pinch {
                factor: dist / was,
                pan: mid - was_mid,
            });
        }
        state.pinch = Some((dist, mid));
        // A pinch is never a tap.
        if let Some(p) = state.press.as_mut() {
            p.dragging = true;
        }
        return out;
    }
    state.pinch = None;
    for t in touches.iter_just_pressed() {
        if on_map(t.position()) {
            state.press = Some(Press {
                id: t.id(),
                start: t.position(),
                at: now,
                dragging: false,
                long_done: false,
            });
        }
    }
    if let Some(mut press) = state.press
        && let Some(t) = touches.get_pressed(press.id)
    {
        if !press.dragging && t.position().distance(press.start) > DRAG_SLOP {
            press.dragging = true;
        }
        if press.dragging {
            out.push(Gesture::Pan(t.delta()));
        } else if !press.long_done && now - press.at >= LONG_PRESS {
            press.long_done = true;
            out.push(Gesture::Hold(press.start));
        }
        state.press = Some(press);
    }
    for t in touches.iter_just_released() {
        let Some(press) = state.press.filter(|p| p.id == t.id()) else {
            continue;
        };
        state.press = None;
        if !press.dragging && !press.long_done {
            out.push(Gesture::Tap(t.position()));
        }
    }
    for t in touches.iter_just_canceled() {
        if state.press.is_some_and(|p| p.id == t.id()) {
            state.press = None;
        }
    }
    out
}

#[allow(
    clippy::too_many_arguments,
    reason = "a gesture reads the camera, the map and the table"
)]
fn touch_map(
    touches: Res<Touches>,
    time: Res<Time<Real>>,
    windows: Query<&Window, With<PrimaryWindow>>,
    free: Res<FreeArea>,
    mut cameras: Query<(&Camera, &GlobalTransform, &mut Transform, &mut MapCamera)>,
    size: Res<MapSize>,
    mut session: ResMut<TableSession>,
    mut cursor: ResMut<MapCursor>,
    mut chosen: ResMut<super::spells::ChosenSpell>,
    mirror_source: MirrorSource,
    display: Option<Res<super::DisplayMode>>,
    mut state: ResMut<TouchState>,
) {
    let Ok(window) = windows.single() else {
        return;
    };
    let now = time.elapsed_secs_f64();
    let gestures = recognise(&touches, now, &mut state, |p| on_map(p, &free, window));
    if gestures.is_empty() {
        return;
    }
    let Ok((camera, cam_at, mut transform, mut cam)) = cameras.single_mut() else {
        return;
    };
    let square_at = |p: Vec2| {
        camera
            .viewport_to_world_2d(cam_at, p)
            .ok()
            .map(|w| size.to_grid(w))
    };
    for gesture in gestures {
        match gesture {
            Gesture::Pinch { factor, pan } => {
                cam.scale = (cam.scale / factor).clamp(0.25, 4.0);
                transform.translation += Vec3::new(-pan.x, pan.y, 0.0) * cam.scale;
                cam.moved = true;
            }
            Gesture::Pan(d) => {
                transform.translation += Vec3::new(-d.x, d.y, 0.0) * cam.scale;
                cam.moved = true;
            }
            Gesture::Hold(p) => {
                if let Some(square) = square_at(p) {
                    cursor.0 = Some(square);
                    session.notice = details(&mirror_source, square);
                }
            }
            // A display only watches.
            Gesture::Tap(_) if display.is_some() => {}
            Gesture::Tap(p) => {
                if let Some(square) = square_at(p) {
                    act_at(
                        square,
                        &mut session,
                        &mut cursor,
                        &mut chosen,
                        &mirror_source,
                    );
                }
            }
        }
    }
}

/// A creature's details for a long press: name, hit points, armour class, conditions.
fn details(mirror_source: &MirrorSource, square: GridPos) -> Option<String> {
    let mirror = mirror_source.read();
    let (sheet, status) = mirror
        .combatants
        .values()
        .find(|(_, s)| s.pos == square && !s.conditions.contains(&Condition::Dead))?;
    let mut text = format!(
        "{}: HP {}/{}, AC {}, speed {} ft",
        sheet.name, status.hp, sheet.max_hp, sheet.ac, sheet.speed
    );
    if !status.conditions.is_empty() {
        let list: Vec<String> = status.conditions.iter().map(|c| format!("{c:?}")).collect();
        text.push_str(&format!(" — {}", list.join(", ")));
    }
    Some(text)
}

/// Finger-sized buttons and rows once the device has been touched.
fn finger_sized_targets(
    mut contexts: EguiContexts,
    state: Res<TouchState>,
    mut done: Local<bool>,
) -> Result {
    if !state.seen || *done {
        return Ok(());
    }
    contexts.ctx_mut()?.global_style_mut(|style| {
        style.spacing.interact_size.y = TOUCH_TARGET;
        style.spacing.button_padding = bevy_egui::egui::vec2(12.0, 10.0);
        style.spacing.item_spacing = bevy_egui::egui::vec2(10.0, 8.0);
    });
    *done = true;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy::input::InputPlugin;
    use bevy::input::touch::{TouchInput, TouchPhase};

    /// A bare app whose `Touches` follow the touch events written into it.
    struct Finger {
        app: App,
        state: TouchState,
        now: f64,
    }

    impl Finger {
        fn new() -> Finger {
            let mut app = App::new();
            app.add_plugins(InputPlugin);
            Finger {
                app,
                state: TouchState::default(),
                now: 0.0,
            }
        }

        /// Writes these touch events, runs a frame `dt` seconds on, and recognises.
        fn frame(&mut self, dt: f64, events: &[(u64, TouchPhase, Vec2)]) -> Vec<Gesture> {
            for &(id, phase, position) in events {
                self.app.world_mut().write_message(TouchInput {
                    phase,
                    position,
                    window: Entity::PLACEHOLDER,
                    force: None,
                    id,
                });
            }
            self.app.update();
            self.now += dt;
            let touches = self.app.world().resource::<Touches>();
            // The map is the left 300 px; the rest is a panel.
            recognise(touches, self.now, &mut self.state, |p| p.x < 300.0)
        }
    }

    #[test]
    fn a_tap_acts_where_the_finger_lifted() {
        let mut f = Finger::new();
        let at = Vec2::new(100.0, 100.0);
        assert_eq!(f.frame(0.016, &[(1, TouchPhase::Started, at)]), []);
        // A wobble under the slop is still a tap.
        let wobble = at + Vec2::new(3.0, 2.0);
        assert_eq!(f.frame(0.016, &[(1, TouchPhase::Moved, wobble)]), []);
        assert_eq!(
            f.frame(0.016, &[(1, TouchPhase::Ended, wobble)]),
            [Gesture::Tap(wobble)]
        );
        assert!(f.state.seen, "a touch makes the targets finger-sized");
    }

    #[test]
    fn a_drag_pans_and_is_not_a_tap() {
        let mut f = Finger::new();
        f.frame(0.016, &[(1, TouchPhase::Started, Vec2::new(100.0, 100.0))]);
        let moved = f.frame(0.016, &[(1, TouchPhase::Moved, Vec2::new(130.0, 90.0))]);
        assert_eq!(moved, [Gesture::Pan(Vec2::new(30.0, -10.0))]);
        let lifted = f.frame(0.016, &[(1, TouchPhase::Ended, Vec2::new(130.0, 90.0))]);
        assert!(
            !lifted.iter().any(|g| matches!(g, Gesture::Tap(_))),
            "{lifted:?}"
        );
    }

    #[test]
    fn a_long_press_shows_details_once_and_is_not_a_tap() {
        let mut f = Finger::new();
        let at = Vec2::new(50.0, 60.0);
        f.frame(0.1, &[(7, TouchPhase::Started, at)]);
        let mut held = Vec::new();
        for _ in 0..8 {
            held.extend(f.frame(0.1, &[]));
        }
        assert_eq!(held, [Gesture::Hold(at)], "one Hold after {LONG_PRESS} s");
        assert_eq!(f.frame(0.1, &[(7, TouchPhase::Ended, at)]), []);
    }

    #[test]
    fn two_fingers_pinch_to_zoom_and_never_tap() {
        let mut f = Finger::new();
        f.frame(
            0.016,
            &[
                (1, TouchPhase::Started, Vec2::new(100.0, 100.0)),
                (2, TouchPhase::Started, Vec2::new(200.0, 100.0)),
            ],
        );
        // Fingers twice as far apart, their midpoint 10 px lower.
        let pinched = f.frame(
            0.016,
            &[
                (1, TouchPhase::Moved, Vec2::new(50.0, 110.0)),
                (2, TouchPhase::Moved, Vec2::new(250.0, 110.0)),
            ],
        );
        assert_eq!(
            pinched,
            [Gesture::Pinch {
                factor: 2.0,
                pan: Vec2::new(0.0, 10.0)
            }]
        );
        let lifted = f.frame(
            0.016,
            &[
                (1, TouchPhase::Ended, Vec2::new(50.0, 110.0)),
                (2, TouchPhase::Ended, Vec2::new(250.0, 110.0)),
            ],
        );
        assert!(
            !lifted.iter().any(|g| matches!(g, Gesture::Tap(_))),
            "{lifted:?}"
        );
    }

    #[test]
    fn a_touch_that_starts_on_a_panel_is_the_panels() {
        let mut f = Finger::new();
        let on_panel = Vec2::new(400.0, 100.0);
        f.frame(0.016, &[(1, TouchPhase::Started, on_panel)]);
        assert_eq!(f.frame(0.016, &[(1, TouchPhase::Ended, on_panel)]), []);
    }
}
