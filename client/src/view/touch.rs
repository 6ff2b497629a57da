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
    if touches.iter().next().is_none() && touches.iter_just_released().next().is_none() {
        state.pinch = None;
        return;
    }
    state.seen = true;
    let (Ok(window), Ok((camera, cam_at, mut transform, mut cam))) =
        (windows.single(), cameras.single_mut())
    else {
        return;
    };
    let now = time.elapsed_secs_f64();
    let fingers: Vec<_> = touches.iter().collect();
    // Two fingers: pinch to zoom, and pan with their midpoint.
    if fingers.len() >= 2 {
        let (a, b) = (fingers[0].position(), fingers[1].position());
        let (dist, mid) = (a.distance(b).max(1.0), (a + b) / 2.0);
        if let Some((was, was_mid)) = state.pinch {
            cam.scale = (cam.scale * was / dist).clamp(0.25, 4.0);
            let d = mid - was_mid;
            transform.translation += Vec3::new(-d.x, d.y, 0.0) * cam.scale;
            cam.moved = true;
        }
        state.pinch = Some((dist, mid));
        // A pinch is never a tap.
        if let Some(p) = state.press.as_mut() {
            p.dragging = true;
        }
        return;
    }
    state.pinch = None;
    for t in touches.iter_just_pressed() {
        if on_map(t.position(), &free, window) {
            state.press = Some(Press {
                id: t.id(),
                start: t.position(),
                at: now,
                dragging: false,
                long_done: false,
            });
        }
    }
    let square_at = |p: Vec2| {
        camera
            .viewport_to_world_2d(cam_at, p)
            .ok()
            .map(|w| size.to_grid(w))
    };
    if let Some(mut press) = state.press
        && let Some(t) = touches.get_pressed(press.id)
    {
        if !press.dragging && t.position().distance(press.start) > DRAG_SLOP {
            press.dragging = true;
        }
        if press.dragging {
            let d = t.delta();
            transform.translation += Vec3::new(-d.x, d.y, 0.0) * cam.scale;
            cam.moved = true;
        } else if !press.long_done && now - press.at >= LONG_PRESS {
            press.long_done = true;
            if let Some(square) = square_at(press.start) {
                cursor.0 = Some(square);
                session.notice = details(&mirror_source, square);
            }
        }
        state.press = Some(press);
    }
    for t in touches.iter_just_released() {
        let Some(press) = state.press.filter(|p| p.id == t.id()) else {
            continue;
        };
        state.press = None;
        if press.dragging || press.long_done || display.is_some() {
            continue;
        }
        if let Some(square) = square_at(t.position()) {
            act_at(
                square,
                &mut session,
                &mut cursor,
                &mut chosen,
                &mirror_source,
            );
        }
    }
    for t in touches.iter_just_canceled() {
        if state.press.is_some_and(|p| p.id == t.id()) {
            state.press = None;
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
