//! Words on the map — names under tokens, initials, marked points' names, creatures last seen,
//! damage numbers — painted by egui over the map where their entities stand, at a size that
//! follows the camera's zoom. egui draws every letter of the client, panels and map alike: one
//! text stack, so the browser build carries no second one (bevy's text was a third of a MiB of
//! the gzipped bundle).

use super::map::{FreeArea, MapCamera};
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPostUpdateSet, EguiPrimaryContextPass, egui};

/// A word or a few on the map, centred on its entity (whose `Transform`, parent and
/// `Visibility` place and show it as a sprite's would).
#[derive(Component, Debug, Clone, PartialEq)]
#[require(Transform, Visibility)]
pub struct MapText {
    /// What it says.
    pub text: String,
    /// Its font size in world units (a square is `SQUARE` wide); the font is monospaced.
    pub size: f32,
    /// Its colour (the alpha fades it).
    pub color: Color,
}

impl MapText {
    /// `text` at `size` world units in `color`.
    pub fn new(text: impl Into<String>, size: f32, color: Color) -> Self {
        MapText {
            text: text.into(),
            size,
            color,
        }
    }
}

/// Smaller than this (in points) a word is left out: nobody can read it.
const SMALLEST: f32 = 4.0;

pub(super) fn plugin(app: &mut App) {
    // egui's pass reads where things stand this frame (after transforms and visibility have
    // been propagated, and the camera updated).
    app.configure_sets(
        PostUpdate,
        EguiPostUpdateSet::EndPass
            .after(TransformSystems::Propagate)
            .after(bevy::camera::visibility::VisibilitySystems::VisibilityPropagate)
            .after(bevy::camera::CameraUpdateSystems),
    );
    app.add_systems(EguiPrimaryContextPass, paint);
}

/// egui's colour for a bevy colour.
fn color32(color: Color) -> egui::Color32 {
    let [r, g, b, a] = color.to_srgba().to_u8_array();
    egui::Color32::from_rgba_unmultiplied(r, g, b, a)
}

/// Where each shown word goes this frame: its centre (egui points) and font size (points),
/// lowest first. `to_screen` maps a world point to logical pixels; `zoom` is egui's zoom
/// factor (points = logical pixels / zoom).
pub fn layout<'a>(
    texts: impl Iterator<Item = (&'a MapText, Vec3)>,
    to_screen: impl Fn(Vec3) -> Option<Vec2>,
    zoom: f32,
) -> Vec<(&'a MapText, egui::Pos2, f32)> {
    let (Some(origin), Some(unit)) = (to_screen(Vec3::ZERO), to_screen(Vec3::X)) else {
        return Vec::new();
    };
    let px_per_world = (unit - origin).length();
    let mut out: Vec<_> = texts
        .filter_map(|(text, at)| {
            let p = to_screen(at)?;
            // Half-point steps: egui keeps glyphs per size, and a smooth zoom would fill its
            // atlas with sizes a hair apart.
            let size = (text.size * px_per_world / zoom * 2.0).round() / 2.0;
            (size >= SMALLEST && !text.text.is_empty()).then_some((
                text,
                egui::pos2(p.x / zoom, p.y / zoom),
                size,
                at.z,
            ))
        })
        .collect();
    out.sort_by(|a, b| a.3.total_cmp(&b.3));
    out.into_iter().map(|(t, p, s, _)| (t, p, s)).collect()
}

fn paint(
    mut contexts: EguiContexts,
    cameras: Query<(&Camera, &GlobalTransform), With<MapCamera>>,
    texts: Query<(&MapText, &GlobalTransform, &InheritedVisibility)>,
    free: Res<FreeArea>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let Ok((camera, cam_at)) = cameras.single() else {
        return Ok(());
    };
    let ppp = ctx.pixels_per_point();
    let clip = match free.0 {
        Some(area) => egui::Rect::from_min_max(
            egui::pos2(area.min.x / ppp, area.min.y / ppp),
            egui::pos2(area.max.x / ppp, area.max.y / ppp),
        ),
        None => ctx.viewport_rect(),
    };
    let painter = ctx
        .layer_painter(egui::LayerId::new(
            egui::Order::Background,
            egui::Id::new("map text"),
        ))
        .with_clip_rect(clip);
    let shown = texts
        .iter()
        .filter(|(_, _, visible)| visible.get())
        .map(|(text, at, _)| (text, at.translation()));
    let to_screen = |p: Vec3| camera.world_to_viewport(cam_at, p).ok();
    for (text, at, size) in layout(shown, to_screen, ctx.zoom_factor()) {
        painter.text(
            at,
            egui::Align2::CENTER_CENTER,
            &text.text,
            egui::FontId::monospace(size),
            color32(text.color),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A camera two logical pixels a world unit, the origin at (100, 50).
    fn to_screen(p: Vec3) -> Option<Vec2> {
        Some(Vec2::new(100.0 + 2.0 * p.x, 50.0 - 2.0 * p.y))
    }

    #[test]
    fn words_sit_on_their_entities_and_grow_with_the_zoom() {
        let name = MapText::new("Brakka", 9.0, Color::WHITE);
        let damage = MapText::new("-5", 14.0, Color::WHITE);
        let placed = layout(
            [
                (&damage, Vec3::new(10.0, 5.0, 30.0)),
                (&name, Vec3::new(-4.0, 0.0, 2.0)),
            ]
            .into_iter(),
            to_screen,
            1.0,
        );
        // Lowest first: the name under the damage number.
        assert_eq!(placed[0].0.text, "Brakka");
        assert_eq!(placed[0].1, egui::pos2(92.0, 50.0));
        assert_eq!(placed[0].2, 18.0, "9 world units at 2 px a unit");
        assert_eq!(placed[1].1, egui::pos2(120.0, 40.0));
        // egui zoomed to 200 %: points are half the pixels, so the same words are as large.
        let zoomed = layout([(&name, Vec3::ZERO)].into_iter(), to_screen, 2.0);
        assert_eq!((zoomed[0].1, zoomed[0].2), (egui::pos2(50.0, 25.0), 9.0));
    }

    #[test]
    fn unreadable_and_empty_words_and_unprojectable_places_are_left_out() {
        let tiny = MapText::new("far", 1.0, Color::WHITE);
        let empty = MapText::new("", 9.0, Color::WHITE);
        let behind = MapText::new("behind", 9.0, Color::WHITE);
        let placed = layout(
            [
                (&tiny, Vec3::ZERO),
                (&empty, Vec3::ZERO),
                (&behind, Vec3::new(1e9, 0.0, 0.0)),
            ]
            .into_iter(),
            |p| (p.x < 1e6).then(|| to_screen(p)).flatten(),
            1.0,
        );
        assert!(placed.is_empty(), "{placed:?}");
    }
}
