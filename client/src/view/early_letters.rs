//! Letters typed in the same frame as the click that focuses a text box. egui hands a text box
//! the keyboard while it draws the box, after it has already dealt out that frame's key events,
//! so those keys reached nothing — a browser under software WebGL runs a few frames a second,
//! and "click, type at once" lost the first letters (and fired them as game keys). Here the
//! text and key events of a frame with a click and no text box focused wait one frame: by then
//! the click has focused the box and the letters land in it. The game keys of such a frame are
//! turned off by [`super::input`] (a click on a panel counts as typing for that frame).

use bevy::prelude::*;
use bevy_egui::{EguiContext, EguiInput, EguiPreUpdateSet, egui};

/// A frame's letters are held at most this many frames (a click pressed in one frame and
/// released in the next focuses on the release), then delivered whatever has focus.
const MAX_HOLD: u8 = 2;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(
        PreUpdate,
        hold_letters_typed_with_a_click
            .after(EguiPreUpdateSet::ProcessInput)
            .before(EguiPreUpdateSet::BeginPass),
    );
}

/// Key and text events waiting for the click of their frame to focus a text box.
#[derive(Debug, Default)]
pub struct Held {
    events: Vec<egui::Event>,
    frames: u8,
}

fn hold_letters_typed_with_a_click(
    mut held: Local<Held>,
    mut contexts: Query<(&mut EguiContext, &mut EguiInput)>,
) {
    // The primary window's context (the only one this client has).
    let Some((mut ctx, mut input)) = contexts.iter_mut().next() else {
        return;
    };
    let focused = ctx.get_mut().text_edit_focused();
    hold(&mut input.events, &mut held, focused);
}

/// Puts the held events back in front of this frame's, then holds this frame's key and text
/// events if it has a pointer click and no text box has the keyboard yet.
pub fn hold(events: &mut Vec<egui::Event>, held: &mut Held, text_box_focused: bool) {
    if !held.events.is_empty() {
        let now = std::mem::take(events);
        events.append(&mut held.events);
        events.extend(now);
    }
    let clicked = events.iter().any(|e| {
        matches!(
            e,
            egui::Event::PointerButton { .. } | egui::Event::Touch { .. }
        )
    });
    let typed = events.iter().any(is_keyboard);
    if text_box_focused || !clicked || !typed || held.frames >= MAX_HOLD {
        held.frames = 0;
        return;
    }
    held.frames += 1;
    let (keys, rest): (Vec<_>, Vec<_>) = std::mem::take(events).into_iter().partition(is_keyboard);
    *events = rest;
    held.events = keys;
}

fn is_keyboard(e: &egui::Event) -> bool {
    matches!(
        e,
        egui::Event::Text(_) | egui::Event::Key { .. } | egui::Event::Paste(_)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One egui frame drawing a single-line text box at the top left; returns its rectangle.
    fn frame(ctx: &egui::Context, events: Vec<egui::Event>, text: &mut String) -> egui::Rect {
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(800.0, 600.0),
            )),
            events,
            ..Default::default()
        };
        let mut rect = egui::Rect::NOTHING;
        let mut output = ctx.run_ui(input, |ui| {
            rect = ui.text_edit_singleline(text).rect;
        });
        output.textures_delta.clear();
        rect
    }

    fn click_and_type(at: egui::Pos2, letters: &str) -> Vec<egui::Event> {
        let button = |pressed| egui::Event::PointerButton {
            pos: at,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        };
        vec![
            egui::Event::PointerMoved(at),
            button(true),
            button(false),
            egui::Event::Text(letters.into()),
        ]
    }

    /// Plays the frames through egui, holding letters the way the client does.
    fn play(frames: Vec<Vec<egui::Event>>, with_hold: bool) -> String {
        let ctx = egui::Context::default();
        let mut text = String::new();
        let mut held = Held::default();
        let rect = frame(&ctx, vec![], &mut text);
        for events in frames {
            let mut events: Vec<_> = events
                .into_iter()
                .map(|e| match e {
                    // Aim at the box's centre.
                    egui::Event::PointerMoved(_) => egui::Event::PointerMoved(rect.center()),
                    egui::Event::PointerButton {
                        button,
                        pressed,
                        modifiers,
                        ..
                    } => egui::Event::PointerButton {
                        pos: rect.center(),
                        button,
                        pressed,
                        modifiers,
                    },
                    e => e,
                })
                .collect();
            if with_hold {
                hold(&mut events, &mut held, ctx.text_edit_focused());
            }
            frame(&ctx, events, &mut text);
        }
        text
    }

    #[test]
    fn letters_typed_in_the_frame_of_the_focusing_click_reach_the_box() {
        let frames = vec![click_and_type(egui::Pos2::ZERO, "abc"), vec![]];
        // What egui does alone (the newcomer's report): the letters reach nothing.
        assert_eq!(play(frames.clone(), false), "");
        assert_eq!(play(frames, true), "abc");
    }

    #[test]
    fn held_letters_come_before_the_next_frames_letters() {
        let frames = vec![
            click_and_type(egui::Pos2::ZERO, "ab"),
            vec![egui::Event::Text("cd".into())],
            vec![],
        ];
        assert_eq!(play(frames, true), "abcd");
    }

    #[test]
    fn a_click_pressed_in_one_frame_and_released_in_the_next_keeps_the_letters() {
        let at = egui::Pos2::ZERO;
        let button = |pressed| egui::Event::PointerButton {
            pos: at,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        };
        let frames = vec![
            vec![
                egui::Event::PointerMoved(at),
                button(true),
                egui::Event::Text("a".into()),
            ],
            vec![button(false), egui::Event::Text("b".into())],
            vec![egui::Event::Text("c".into())],
            vec![],
        ];
        assert_eq!(play(frames, true), "abc");
    }

    #[test]
    fn typing_in_a_focused_box_is_never_held() {
        let mut held = Held::default();
        let mut events = vec![
            egui::Event::PointerMoved(egui::Pos2::ZERO),
            egui::Event::Text("x".into()),
        ];
        hold(&mut events, &mut held, false);
        assert_eq!(events.len(), 2, "no click: nothing held");
        let mut events = click_and_type(egui::Pos2::ZERO, "x");
        hold(&mut events, &mut held, true);
        assert_eq!(
            events.len(),
            4,
            "a box already has the keyboard: nothing held"
        );
    }

    #[test]
    fn letters_are_held_at_most_two_frames() {
        let mut held = Held::default();
        for _ in 0..MAX_HOLD {
            let mut events = click_and_type(egui::Pos2::ZERO, "x");
            hold(&mut events, &mut held, false);
            assert!(!events.iter().any(is_keyboard));
        }
        let mut events = click_and_type(egui::Pos2::ZERO, "y");
        hold(&mut events, &mut held, false);
        let text: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                egui::Event::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(
            text,
            vec!["x", "x", "y"],
            "delivered in order after the limit"
        );
    }
}
