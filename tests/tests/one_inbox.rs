//! One door into the rules: a player's intent and a host command that reach the server in the
//! same tick are resolved, published and journaled in the order they arrived, whichever came
//! first.

use emberkeep_server::ServerSettings;
use emberkeep_server::console::{ConsoleQueue, execute};
use emberkeep_server::journal::{Entry, HostOp, Input};
use emberkeep_shared::prelude::*;
use emberkeep_tests::Stepper;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("emberkeep-inbox-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A fight with every character seated and turns that never time out during the test.
fn fight(data: &Path) -> (Stepper, Vec<usize>) {
    let mut s = Stepper::new(ServerSettings {
        encounter: "goblin-ambush".into(),
        seed: 11,
        turn_timeout: Duration::from_secs(600),
        rate_per_second: 100_000.0,
        rate_burst: 100_000.0,
        data_dir: Some(data.to_path_buf()),
        ..ServerSettings::default()
    });
    let c = s.seat_all(&["fighter", "rogue", "cleric", "wizard"]);
    (s, c)
}

/// Steps until a character is active; returns the client that plays it and the character.
fn players_turn(s: &mut Stepper, clients: &[usize]) -> (usize, CombatantId) {
    let mut found = None;
    s.step_until(3_000, |s| {
        let Some(active) = s.campaign("table-1").table.active() else {
            return false;
        };
        found = clients
            .iter()
            .find(|&&c| s.session(c).seating.as_ref().and_then(|x| x.character) == Some(active))
            .map(|&c| (c, active));
        found.is_some()
    })
    .expect("a player's turn comes");
    found.expect("found")
}

/// A fight at a player's turn: the client that plays it, its character and the link latency.
fn at_a_players_turn(data: &Path) -> (Stepper, usize, CombatantId, usize) {
    let (mut s, c) = fight(data);
    let (player, me) = players_turn(&mut s, &c);
    let idle = *c.iter().find(|&&x| x != player).expect("four players");
    let latency = link_latency(&mut s, idle);
    (s, player, me, latency)
}

/// The actions and host commands in the journal from entry `from` on (clock ticks and
/// narrations left out), in the order they were written.
fn journaled(data: &Path, from: usize) -> Vec<Input> {
    std::fs::read_to_string(data.join("table-1/journal.jsonl"))
        .unwrap()
        .lines()
        .skip(from)
        .map(|l| {
            serde_json::from_str::<Entry>(l)
                .expect("a whole line")
                .input
        })
        .filter(|i| matches!(i, Input::Act { .. } | Input::Host(_)))
        .collect()
}

fn journal_len(data: &Path) -> usize {
    std::fs::read_to_string(data.join("table-1/journal.jsonl"))
        .unwrap()
        .lines()
        .count()
}

/// The events from `from` on that an intent or a host command caused, in order.
fn steering_events(s: &mut Stepper, from: u64) -> Vec<GameEvent> {
    s.campaign("table-1")
        .table
        .log
        .iter()
        .filter(|e| e.seq >= from)
        .map(|e| e.event.clone())
        .filter(|e| {
            matches!(
                e,
                GameEvent::Dodged { .. }
                    | GameEvent::Paused
                    | GameEvent::Resumed
                    | GameEvent::TurnSkipped { .. }
            )
        })
        .collect()
}

/// How many server frames it takes, after a client's frame, for the server to read what the
/// client sent (one in this harness; measured with an intent the rules refuse, so the tests
/// below do not depend on it).
fn link_latency(s: &mut Stepper, idle: usize) -> usize {
    let refused = |s: &mut Stepper| {
        s.campaign("table-1")
            .stats
            .rejected
            .get("NotYourTurn")
            .copied()
            .unwrap_or(0)
    };
    let before = refused(s);
    s.session_mut(idle).act(Action::Dodge);
    s.clients[idle].update();
    (1..=30)
        .find(|_| {
            s.server.update();
            refused(s) > before
        })
        .expect("the server reads the intent")
}

/// Sends `action` from `client` so that the server reads it in its next frame, and no sooner.
fn send_intent(s: &mut Stepper, client: usize, action: Action, latency: usize) -> u32 {
    let seq = s.session_mut(client).act(action);
    s.clients[client].update();
    for _ in 1..latency {
        s.server.update();
    }
    seq
}

/// A line typed on the server's console, read in the server's next frame.
fn type_on_console(s: &mut Stepper, line: &str) {
    s.server
        .world_mut()
        .resource_mut::<ConsoleQueue>()
        .0
        .push((None, None, line.into()));
}

#[test]
fn an_intent_then_a_pause_in_the_same_tick_resolve_in_that_order() {
    let data = scratch("act-then-pause");
    let (mut s, player, me, latency) = at_a_players_turn(&data);
    let (from_seq, from_line) = (s.campaign("table-1").table.next_seq, journal_len(&data));
    // The Dodge arrives first, the host's pause second, both in the server's next frame.
    let seq = send_intent(&mut s, player, Action::Dodge, latency);
    type_on_console(&mut s, "pause");
    s.server.update();
    assert_eq!(
        steering_events(&mut s, from_seq),
        [GameEvent::Dodged { actor: me }, GameEvent::Paused],
        "the intent is resolved before the pause that arrived after it"
    );
    assert_eq!(
        journaled(&data, from_line),
        [
            Input::Act {
                actor: me,
                action: Action::Dodge
            },
            Input::Host(HostOp::Pause)
        ]
    );
    s.step_until(60, |s| s.session(player).answered(seq))
        .expect("answered");
    assert!(
        s.session(player).accepted.contains(&seq),
        "{:?}",
        s.session(player).rejected
    );
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn a_pause_then_an_intent_in_the_same_tick_refuse_the_intent_with_the_pause_reason() {
    let data = scratch("pause-then-act");
    let (mut s, player, me, latency) = at_a_players_turn(&data);
    let (from_seq, from_line) = (s.campaign("table-1").table.next_seq, journal_len(&data));
    // The host's pause arrives first (queued at once), the Dodge second (read in the next
    // frame, which resolves both).
    let seq = send_intent(&mut s, player, Action::Dodge, latency);
    execute(s.server.world_mut(), None, "pause");
    s.server.update();
    assert_eq!(steering_events(&mut s, from_seq), [GameEvent::Paused]);
    assert_eq!(journaled(&data, from_line), [Input::Host(HostOp::Pause)]);
    s.step_until(60, |s| s.session(player).answered(seq))
        .expect("answered");
    assert_eq!(
        s.session(player).rejection(seq).map(|r| (r.1, r.2.clone())),
        Some((
            RejectCode::NotAllowed,
            "The host has paused the game".into()
        ))
    );
    // Resumed, the same intent goes through, after the host's commands in the journal.
    let seq = send_intent(&mut s, player, Action::Dodge, latency);
    execute(s.server.world_mut(), None, "resume");
    s.server.update();
    s.step_until(60, |s| s.session(player).answered(seq))
        .expect("answered");
    assert!(s.session(player).accepted.contains(&seq));
    assert_eq!(
        steering_events(&mut s, from_seq),
        [
            GameEvent::Paused,
            GameEvent::Resumed,
            GameEvent::Dodged { actor: me }
        ]
    );
    assert_eq!(
        journaled(&data, from_line),
        [
            Input::Host(HostOp::Pause),
            Input::Host(HostOp::Resume),
            Input::Act {
                actor: me,
                action: Action::Dodge
            }
        ]
    );
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn an_intent_then_a_skip_in_the_same_tick_play_the_turn_before_skipping_it() {
    let data = scratch("act-then-skip");
    let (mut s, player, me, latency) = at_a_players_turn(&data);
    let (from_seq, from_line) = (s.campaign("table-1").table.next_seq, journal_len(&data));
    let seq = send_intent(&mut s, player, Action::Dodge, latency);
    type_on_console(&mut s, "skip");
    s.server.update();
    // (The next turn may follow at once: an NPC's, played in the same tick.)
    let events = steering_events(&mut s, from_seq);
    assert!(
        events.starts_with(&[
            GameEvent::Dodged { actor: me },
            GameEvent::TurnSkipped { actor: me }
        ]),
        "the turn is played, then skipped: {events:?}"
    );
    let journal = journaled(&data, from_line);
    assert!(
        journal.starts_with(&[
            Input::Act {
                actor: me,
                action: Action::Dodge
            },
            Input::Host(HostOp::Skip)
        ]),
        "{journal:?}"
    );
    s.step_until(60, |s| s.session(player).answered(seq))
        .expect("answered");
    assert!(s.session(player).accepted.contains(&seq));
    let _ = std::fs::remove_dir_all(&data);
}
