//! Sound cues: which sounds the table's events call for, decided headlessly (and tested) so
//! the view only has to play them. History a client catches up on — the backlog on joining,
//! "while you were away" replays — makes no sound; only what happens now does.

use crate::net::TableSession;
use emberkeep_shared::event::CombatOutcome;
use emberkeep_shared::prelude::*;

/// A sound the view plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cue {
    /// Dice rattle (any attack roll or save).
    Dice,
    /// An attack hit.
    Hit,
    /// An attack missed.
    Miss,
    /// A critical hit.
    Critical,
    /// Your character's turn began.
    YourTurn,
    /// Someone fell.
    Downed,
    /// The party won.
    Victory,
    /// The party lost.
    Defeat,
}

impl Cue {
    /// Every cue, in a fixed order (file names under `assets/sounds/`).
    pub const ALL: [Cue; 8] = [
        Cue::Dice,
        Cue::Hit,
        Cue::Miss,
        Cue::Critical,
        Cue::YourTurn,
        Cue::Downed,
        Cue::Victory,
        Cue::Defeat,
    ];

    /// The sound file's stem.
    pub fn file_stem(self) -> &'static str {
        match self {
            Cue::Dice => "dice",
            Cue::Hit => "hit",
            Cue::Miss => "miss",
            Cue::Critical => "critical",
            Cue::YourTurn => "your-turn",
            Cue::Downed => "downed",
            Cue::Victory => "victory",
            Cue::Defeat => "defeat",
        }
    }
}

/// The music that fits the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mood {
    /// Exploration: a quiet ambience.
    Calm,
    /// Combat: the battle loop.
    Battle,
}

/// The cues one event calls for; `me` is the character this client plays.
pub fn cues_for(event: &GameEvent, me: Option<CombatantId>) -> Vec<Cue> {
    match event {
        GameEvent::Attacked(a) => vec![
            Cue::Dice,
            if a.roll.critical {
                Cue::Critical
            } else if a.roll.hit {
                Cue::Hit
            } else {
                Cue::Miss
            },
        ],
        GameEvent::SavingThrow { .. } | GameEvent::DeathSave { .. } => vec![Cue::Dice],
        GameEvent::TurnStarted { actor, .. } if Some(*actor) == me => vec![Cue::YourTurn],
        GameEvent::Downed { .. } | GameEvent::Died { .. } => vec![Cue::Downed],
        GameEvent::CombatEnded { outcome } => match outcome {
            CombatOutcome::Victory => vec![Cue::Victory],
            CombatOutcome::Defeat => vec![Cue::Defeat],
            CombatOutcome::Stopped => vec![],
        },
        _ => vec![],
    }
}

/// Follows a session's events and hands out the cues of those that happen now.
#[derive(Debug, Default, Clone)]
pub struct CueTracker {
    seen: Option<usize>,
}

impl CueTracker {
    /// The cues of events that arrived since the last call (none for the backlog).
    pub fn take(&mut self, session: &TableSession) -> Vec<Cue> {
        let Some(seating) = session.seating.as_ref() else {
            return Vec::new();
        };
        let seen = self.seen.get_or_insert(session.events.len());
        // A snapshot resync clears the log: start over from where it stands.
        if *seen > session.events.len() {
            *seen = session.events.len();
        }
        let fresh = &session.events[*seen..];
        *seen = session.events.len();
        fresh
            .iter()
            .filter(|e| !session.away.contains(&e.seq))
            .flat_map(|e| cues_for(&e.event, seating.character))
            .collect()
    }
}
