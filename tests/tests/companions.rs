//! Companions play the characters of seats nobody has taken: a solo player fights a whole
//! fight beside three of them, a player who joins takes a companion's character over at once
//! (mid-combat too), the host switches seats, and a reopened campaign keeps the assignments.

use emberkeep_client::net::Status;
use emberkeep_server::ServerSettings;
use emberkeep_server::console::execute;
use emberkeep_shared::event::GameEvent;
use emberkeep_shared::prelude::*;
use emberkeep_tests::Stepper;
use std::time::Duration;

fn settings() -> ServerSettings {
    ServerSettings {
        encounter: "goblin-ambush".into(),
        seed: 21,
        companions: true,
        turn_timeout: Duration::from_secs(120),
        ..ServerSettings::default()
    }
}

fn character(s: &mut Stepper, source: &str) -> CombatantId {
    s.campaign("table-1")
        .table
        .combatants
        .iter()
        .find(|c| c.source == source)
        .unwrap()
        .id
}

#[test]
fn a_solo_player_fights_a_whole_fight_beside_three_companions() {
    let mut s = Stepper::new(settings());
    let me = s.seat_all(&["fighter"])[0];
    s.autoplay(me, true);
    // 30 ticks a second: 20 minutes of table time at most, far less than 3 companions timing
    // out every round (2 minutes a turn) would take.
    s.step_until(36_000, |s| s.campaign("table-1").table.resolved)
        .expect("the fight ends");
    let log: Vec<GameEvent> = s
        .campaign("table-1")
        .table
        .log
        .iter()
        .map(|e| e.event.clone())
        .collect();
    assert!(
        !log.iter()
            .any(|e| matches!(e, GameEvent::TurnTimedOut { .. })),
        "a companion waited for its timeout"
    );
    for source in ["rogue", "cleric", "wizard"] {
        let id = character(&mut s, source);
        assert!(
            log.iter()
                .any(|e| matches!(e, GameEvent::Attacked(a) if a.attacker == id)
                    || matches!(e, GameEvent::Moved { actor, .. } if *actor == id)),
            "the {source}'s companion never moved or attacked"
        );
    }
    // The party panel's data says who plays each character.
    let view = s.client_view(me);
    let rogue = character(&mut s, "rogue");
    assert!(view.combatants[&rogue].1.companion);
    let fighter = character(&mut s, "fighter");
    assert!(!view.combatants[&fighter].1.companion);
}

#[test]
fn a_player_takes_over_a_companion_mid_combat_and_the_host_switches_seats() {
    let mut s = Stepper::new(settings());
    let _me = s.seat_all(&["fighter"]);
    let rogue = character(&mut s, "rogue");
    assert!(
        s.campaign("table-1")
            .table
            .combatant(rogue)
            .unwrap()
            .companion
    );
    s.step(60);
    assert!(
        s.campaign("table-1").table.combat.is_some(),
        "the ambush started"
    );
    // A player joins the rogue's seat mid-combat: the companion stops at once.
    let player = s.add_client("rogue", None);
    s.step_until(300, |s| s.session(player).status == Status::Seated)
        .expect("seated");
    assert!(
        !s.campaign("table-1")
            .table
            .combatant(rogue)
            .unwrap()
            .companion
    );
    // The rogue's next turn waits for its player (no companion plays it).
    s.step_until(6_000, |s| {
        s.campaign("table-1").table.active() == Some(rogue)
    })
    .expect("the rogue's turn comes");
    let before = s.campaign("table-1").table.next_seq;
    s.step(90);
    assert_eq!(
        s.campaign("table-1").table.active(),
        Some(rogue),
        "nobody played for the player"
    );
    // (The narration of the turn before lands a tick after it: that is not the rogue's.)
    let happened: Vec<GameEvent> = s
        .campaign("table-1")
        .table
        .log
        .iter()
        .filter(|e| e.seq >= before && !matches!(e.event, GameEvent::Narration { .. }))
        .map(|e| e.event.clone())
        .collect();
    assert!(
        happened.is_empty(),
        "nothing happened for the rogue: {happened:?}"
    );
    // The host cannot hand a seated player's character to a companion…
    let answer = execute(s.server.world_mut(), None, "companion rogue on");
    assert!(answer.contains("has a player"), "{answer}");
    // …but can switch an empty seat either way; a companion takes a waiting turn at once.
    let answer = execute(s.server.world_mut(), None, "companion wizard off");
    assert!(!answer.contains("usage"), "{answer}");
    s.step(1);
    let wizard = character(&mut s, "wizard");
    assert!(
        !s.campaign("table-1")
            .table
            .combatant(wizard)
            .unwrap()
            .companion
    );
    assert!(execute(s.server.world_mut(), None, "companion wizard maybe").contains("usage"));
    // The rogue's player drops: the seat is held for a turn timeout (a dropped Wi-Fi comes
    // back), then the companion plays the rogue again.
    s.drop_connection(player);
    s.step(60);
    assert!(
        !s.campaign("table-1")
            .table
            .combatant(rogue)
            .unwrap()
            .companion,
        "handed back too soon"
    );
    s.step_until(4_500, |s| {
        s.campaign("table-1")
            .table
            .combatant(rogue)
            .unwrap()
            .companion
    })
    .expect("the companion is back");
    s.step_until(600, |s| s.campaign("table-1").table.active() != Some(rogue))
        .expect("and plays the rogue's waiting turn");
}

#[test]
fn companion_assignments_survive_archive_and_reopen() {
    let dir = std::env::temp_dir().join(format!("emberkeep-companions-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut s = Stepper::new(ServerSettings {
        data_dir: Some(dir.clone()),
        ..settings()
    });
    s.seat_all(&["fighter"]);
    execute(s.server.world_mut(), None, "companion cleric off");
    s.step(30);
    let flags = |s: &mut Stepper| {
        let mut v: Vec<(String, bool)> = s
            .campaign("table-1")
            .table
            .combatants
            .iter()
            .filter(|c| c.is_pc)
            .map(|c| (c.source.clone(), c.companion))
            .collect();
        v.sort();
        v
    };
    let before = flags(&mut s);
    assert!(before.contains(&("cleric".into(), false)) && before.contains(&("rogue".into(), true)));
    assert!(execute(s.server.world_mut(), None, "archive table-1").starts_with("archived"));
    assert_eq!(
        execute(s.server.world_mut(), None, "reopen table-1"),
        "reopened table-1"
    );
    // The fighter's seat is left out: its player was unseated by the archive.
    let after = flags(&mut s);
    for (source, on) in &before {
        if source != "fighter" {
            assert!(
                after.contains(&(source.clone(), *on)),
                "{source}: {after:?}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
