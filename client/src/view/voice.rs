//! Narration read aloud. In a browser the page's speech synthesis reads each new narration
//! (not the history sent on joining); the desktop app stays silent (a speech crate would need
//! the system's speech services). On by default on a shared screen (`--display`, `&display`),
//! off elsewhere; the settings window turns it on or off per device.

use super::DisplayMode;
use crate::net::TableSession;
use bevy::prelude::*;
use emberkeep_shared::prelude::*;

/// The player's choice: `None` until they make one (then the default for the mode holds).
#[derive(Resource, Debug, Clone, Copy, PartialEq, Default)]
pub struct Voice(pub Option<bool>);

impl Voice {
    /// Whether narration is read aloud: the player's choice, else on for a shared screen.
    pub fn on(&self, display: bool) -> bool {
        self.0.unwrap_or(display)
    }
}

/// Whether this build can speak at all (a browser's speech synthesis).
pub const CAN_SPEAK: bool = cfg!(target_family = "wasm");

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Update, read_aloud);
}

/// The narration that arrived since `heard` (a sequence number), and moves `heard` on. Nothing
/// until the joining history is all in: the first call after that only marks where now starts.
pub fn new_narration(session: &TableSession, heard: &mut Option<u64>) -> Vec<String> {
    if !session.caught_up() {
        return Vec::new();
    }
    let last = session.last_seq();
    let Some(from) = heard.replace(last) else {
        return Vec::new();
    };
    session
        .events
        .iter()
        .filter(|e| e.seq > from)
        .filter_map(|e| match &e.event {
            GameEvent::Narration { text, .. } | GameEvent::HostNarration { text } => {
                Some(text.trim().to_string())
            }
            _ => None,
        })
        .filter(|text| !text.is_empty())
        .collect()
}

fn read_aloud(
    session: Res<TableSession>,
    voice: Res<Voice>,
    display: Option<Res<DisplayMode>>,
    mut heard: Local<Option<u64>>,
) {
    let on = voice.on(display.is_some());
    if voice.is_changed() && !voice.is_added() && !on {
        silence();
    }
    if !session.is_changed() {
        return;
    }
    // Lines are consumed even while off: turning it on later does not read a backlog.
    for line in new_narration(&session, &mut heard) {
        if on {
            speak(&line);
        }
    }
}

#[cfg(target_family = "wasm")]
fn speak(text: &str) {
    let Some(synth) = web_sys::window().and_then(|w| w.speech_synthesis().ok()) else {
        return;
    };
    if let Ok(utterance) = web_sys::SpeechSynthesisUtterance::new_with_text(text) {
        synth.speak(&utterance);
    }
}

#[cfg(target_family = "wasm")]
fn silence() {
    if let Some(synth) = web_sys::window().and_then(|w| w.speech_synthesis().ok()) {
        synth.cancel();
    }
}

#[cfg(not(target_family = "wasm"))]
fn speak(_text: &str) {}

#[cfg(not(target_family = "wasm"))]
fn silence() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mode_sets_the_default_and_a_choice_wins() {
        assert!(Voice(None).on(true));
        assert!(!Voice(None).on(false));
        assert!(Voice(Some(true)).on(false));
        assert!(!Voice(Some(false)).on(true));
    }

    fn event(seq: u64, event: GameEvent) -> SeqEvent {
        SeqEvent {
            seq,
            at_ms: seq * 1000,
            audience: Default::default(),
            event,
        }
    }

    fn narration(seq: u64, text: &str) -> SeqEvent {
        event(
            seq,
            GameEvent::Narration {
                id: seq,
                text: text.into(),
                source: "builtin".into(),
            },
        )
    }

    #[test]
    fn only_narration_after_the_joining_history_is_read() {
        let mut session = TableSession::default();
        let mut heard = None;
        session.events.push(narration(1, "Long ago."));
        // Not seated yet: the history is still coming.
        assert!(new_narration(&session, &mut heard).is_empty());
        session.seating = Some(crate::net::Seating {
            campaign: "table-1".into(),
            seat: "display".into(),
            role: emberkeep_shared::protocol::Role::Spectator,
            character: None,
            turn_timeout_ms: 30_000,
        });
        assert!(
            new_narration(&session, &mut heard).is_empty(),
            "history is not read"
        );
        session.events.push(event(2, GameEvent::Paused));
        session.events.push(narration(3, "The goblin shrieks."));
        session.events.push(event(
            4,
            GameEvent::HostNarration {
                text: " Rain falls. ".into(),
            },
        ));
        assert_eq!(
            new_narration(&session, &mut heard),
            ["The goblin shrieks.", "Rain falls."]
        );
        assert!(
            new_narration(&session, &mut heard).is_empty(),
            "each line once"
        );
    }
}
