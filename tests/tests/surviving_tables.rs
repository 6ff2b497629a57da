//! Tables that survive: reconnects replay exactly what was missed, beyond the ring a snapshot;
//! a newer login replaces the older; whispers, host-only events and hidden creatures never
//! reach a client that may not see them; host commands steer the table; flaky links converge.

use emberkeep_client::net::Status;
use emberkeep_server::{Campaign, ServerSettings};
use emberkeep_shared::event::Audience;
use emberkeep_shared::prelude::*;
use emberkeep_shared::protocol::Role;
use emberkeep_tests::Stepper;
use std::time::Duration;

fn settings(encounter: &str) -> ServerSettings {
    ServerSettings {
        encounter: encounter.into(),
        seed: 11,
        turn_timeout: Duration::from_millis(1500),
        rate_per_second: 100_000.0,
        rate_burst: 100_000.0,
        ..ServerSettings::default()
    }
}

fn hidden_ids(s: &mut Stepper) -> Vec<CombatantId> {
    s.campaign("table-1")
        .table
        .combatants
        .iter()
        .filter(|x| x.hidden)
        .map(|x| x.id)
        .collect()
}

/// Every event a client holds is one its seat may see, and it holds all of them since it
/// joined, in order, with no gap.
fn assert_private(s: &mut Stepper, client: usize) {
    let session = s.session(client);
    let seating = session.seating.clone().unwrap();
    assert!(session.gaps.is_empty(), "gaps: {:?}", session.gaps);
    let events = session.events.clone();
    let log: Vec<SeqEvent> = s.campaign("table-1").table.log.iter().cloned().collect();
    for e in &events {
        assert!(
            Campaign::may_see(&e.audience, seating.role, &seating.seat),
            "{} received {:?}",
            seating.seat,
            e
        );
        assert!(log.contains(e), "an event the server never had: {e:?}");
    }
    if let Some(first) = events.first() {
        let expected: Vec<&SeqEvent> = log
            .iter()
            .filter(|e| {
                e.seq >= first.seq && Campaign::may_see(&e.audience, seating.role, &seating.seat)
            })
            .collect();
        assert_eq!(
            events.iter().collect::<Vec<_>>(),
            expected,
            "{} missed events",
            seating.seat
        );
    }
}

#[test]
fn a_reconnect_mid_turn_replays_exactly_what_was_missed() {
    let mut s = Stepper::new(settings("goblin-ambush"));
    let seats = ["fighter", "rogue", "cleric", "wizard"];
    let c = s.seat_all(&seats);
    s.step(5);
    // The rogue's Wi-Fi dies; the others play on (bots), events pile up.
    s.drop_connection(c[1]);
    let last_seen = s.session(c[1]).last_seq();
    for &p in &[c[0], c[2], c[3]] {
        s.autoplay(p, true);
    }
    s.step(150);
    let missed = s.campaign("table-1").table.next_seq - 1 - last_seen;
    assert!(missed > 5, "only {missed} events happened while away");
    // The seat was held: the rogue's character is still there, its player offline.
    let rogue = s.session(c[1]).seating.clone().unwrap().character.unwrap();
    let view = s.server_view("table-1");
    assert!(!view.combatants[&rogue].1.connected);
    // Back: a fresh token for the same seat, and the replay fills the hole.
    s.reconnect(c[1], "rogue", None);
    s.step_until(200, |s| s.session(c[1]).status == Status::Seated)
        .expect("reseated");
    s.step(5);
    let session = s.session(c[1]);
    assert!(session.gaps.is_empty(), "{:?}", session.gaps);
    assert!(!session.resynced);
    assert!(
        session.away.len() as u64 >= missed - 1,
        "{} of {missed} replayed",
        session.away.len()
    );
    assert_eq!(session.away.first().copied(), Some(last_seen + 1));
    assert_private(&mut s, c[1]);
    // And it is a full player again.
    assert!(s.client_view(c[1]).combatants[&rogue].1.connected);
}

#[test]
fn a_reconnect_beyond_the_ring_gets_the_snapshot() {
    let mut s = Stepper::new(settings("crypt-of-bones"));
    let c = s.seat_all(&["fighter", "wizard"]);
    s.step(3);
    s.drop_connection(c[1]);
    // Far more chatter than the ring keeps (exploration: anyone may act).
    for i in 0..1_100 {
        s.session_mut(c[0]).act(Action::Declare {
            text: format!("I count the bones: {i}"),
        });
    }
    // Each free-form action is judged before the next is taken: a few frames each.
    let seen = s.session(c[1]).last_seq();
    s.step_until(10_000, |s| {
        s.campaign("table-1").table.log.front().unwrap().seq > seen + 1
            && s.campaign("table-1").inbox.is_empty()
    })
    .expect("the ring rolled over");
    s.reconnect(c[1], "wizard", None);
    s.step_until(200, |s| s.session(c[1]).status == Status::Seated)
        .expect("reseated");
    s.step(10);
    let session = s.session(c[1]);
    assert!(session.resynced, "expected a snapshot resync");
    assert!(session.gaps.is_empty());
    // The state arrived by replication: everything a player may see (not the hidden skeleton,
    // nor what the party cannot see).
    let expected = s.seat_view("table-1", Role::Player);
    let hidden = hidden_ids(&mut s);
    assert!(
        hidden
            .iter()
            .all(|id| !expected.combatants.contains_key(id))
    );
    assert_eq!(s.client_view(c[1]), expected);
}

#[test]
fn a_newer_login_replaces_the_older_one() {
    let mut s = Stepper::new(settings("goblin-ambush"));
    let first = s.add_client("cleric", None);
    s.step_until(200, |s| s.session(first).status == Status::Seated)
        .unwrap();
    let second = s.add_client("cleric", None);
    s.step_until(200, |s| s.session(second).status == Status::Seated)
        .unwrap();
    s.step_until(50, |s| {
        matches!(s.session(first).status, Status::Refused(_))
    })
    .expect("the older login is told");
    let Status::Refused(reason) = s.session(first).status.clone() else {
        unreachable!()
    };
    assert!(reason.contains("newer login"), "{reason}");
    // The old connection can no longer act; the new one can.
    let seq = s.session_mut(first).act(Action::Declare {
        text: "still here?".into(),
    });
    s.step(20);
    assert!(!s.session(first).accepted.contains(&seq));
    let seats = &s.campaign("table-1").seats;
    assert_eq!(
        seats
            .iter()
            .find(|x| x.name == "cleric")
            .unwrap()
            .links
            .len(),
        1
    );
}

#[test]
fn whispers_and_host_only_events_reach_only_their_audience() {
    let mut s = Stepper::new(settings("crypt-of-bones"));
    let c = s.seat_all(&["fighter", "rogue", "wizard", "host", "spectator"]);
    let (fighter, rogue, wizard, host, spectator) = (c[0], c[1], c[2], c[3], c[4]);
    s.session_mut(fighter)
        .whisper("rogue", "Watch the door; I'll take the left.");
    s.session_mut(rogue)
        .whisper("host", "I pocket the silver ring.");
    s.session_mut(host)
        .host_command("whisper wizard Your amulet grows cold.");
    s.session_mut(host)
        .host_command("narrate The torches gutter.");
    s.step(20);
    let log: Vec<SeqEvent> = s.campaign("table-1").table.log.iter().cloned().collect();
    let whispers: Vec<&SeqEvent> = log
        .iter()
        .filter(|e| matches!(e.event, GameEvent::Whisper { .. }))
        .collect();
    assert_eq!(whispers.len(), 3);
    for &client in &c {
        assert_private(&mut s, client);
    }
    let has = |s: &Stepper, client: usize, text: &str| {
        s.session(client)
            .events
            .iter()
            .any(|e| matches!(&e.event, GameEvent::Whisper { text: t, .. } if t.contains(text)))
    };
    assert!(
        has(&s, rogue, "Watch the door")
            && has(&s, fighter, "Watch the door")
            && has(&s, host, "Watch the door")
    );
    assert!(!has(&s, wizard, "Watch the door") && !has(&s, spectator, "Watch the door"));
    assert!(
        has(&s, host, "silver ring")
            && !has(&s, fighter, "silver ring")
            && !has(&s, wizard, "silver ring")
    );
    assert!(has(&s, wizard, "amulet") && !has(&s, fighter, "amulet") && !has(&s, rogue, "amulet"));
    assert!(
        s.session(spectator)
            .events
            .iter()
            .any(|e| matches!(&e.event, GameEvent::HostNarration { .. }))
    );
    // A spectator cannot whisper, and nobody whispers to a seat that does not exist.
    assert!(log.iter().all(
        |e| !matches!(&e.audience, Audience::Seats(v) if v.contains(&"spectator".to_string()))
    ));
}

#[test]
fn hidden_creatures_are_not_sent_to_players_until_revealed() {
    let mut s = Stepper::new(settings("crypt-of-bones"));
    let c = s.seat_all(&["fighter", "host", "spectator"]);
    s.step(10);
    let hidden = hidden_ids(&mut s);
    assert_eq!(hidden.len(), 1);
    let lurker = hidden[0];
    for &player in &[c[0], c[2]] {
        assert!(
            !s.client_view(player).combatants.contains_key(&lurker),
            "a player's client knows the hidden skeleton"
        );
    }
    s.step_until(30, |s| s.client_view(c[1]).combatants.contains_key(&lurker))
        .expect("the host sees it");
    // Combat starts (the host could also wait for the party to walk in): it steps out.
    let fighter = s.session(c[0]).seating.clone().unwrap().character.unwrap();
    let table = s.campaign("table-1").table.clone();
    let skeleton = table
        .combatants
        .iter()
        .find(|x| x.source == "skeleton" && !x.hidden && table.party_sees(x.id))
        .expect("a skeleton the party sees")
        .id;
    s.session_mut(c[0]).act(Action::Attack {
        target: skeleton,
        attack: 0,
    });
    s.step_until(60, |s| {
        !s.campaign("table-1")
            .table
            .combatant(lurker)
            .unwrap()
            .hidden
    })
    .expect("it steps out when the fight starts");
    s.step(10);
    // Then players get it exactly while the party sees it (fog of war), and hear of it then.
    let sees = s.campaign("table-1").table.party_sees(lurker);
    assert_eq!(s.client_view(c[0]).combatants.contains_key(&lurker), sees);
    if !sees {
        assert!(
            s.session(c[0])
                .events
                .iter()
                .all(|e| e.event.subjects() != vec![lurker]),
            "a player heard of the unseen skeleton"
        );
    }
    let _ = fighter;
}

#[test]
fn the_host_pauses_skips_and_changes_the_timeout_from_a_host_seat() {
    let mut s = Stepper::new(settings("goblin-ambush"));
    let c = s.seat_all(&["fighter", "rogue", "cleric", "wizard", "host"]);
    let host = c[4];
    s.session_mut(host).host_command("pause");
    s.step(5);
    assert!(s.campaign("table-1").table.paused_since.is_some());
    let seq = s.session_mut(c[0]).act(Action::Dodge);
    s.step(5);
    assert_eq!(
        s.session(c[0]).rejection(seq).map(|r| r.2.clone()),
        Some("The host has paused the game".into())
    );
    // Time passes while paused: nobody times out.
    let before = s.campaign("table-1").table.next_seq;
    s.step(200);
    assert_eq!(
        s.campaign("table-1").table.next_seq,
        before,
        "a paused table changed"
    );
    s.session_mut(host).host_command("resume");
    s.session_mut(host).host_command("timeout 30");
    s.session_mut(host).host_command("skip");
    s.step(5);
    let log: Vec<GameEvent> = s
        .campaign("table-1")
        .table
        .log
        .iter()
        .map(|e| e.event.clone())
        .collect();
    assert!(log.contains(&GameEvent::Resumed));
    assert!(log.contains(&GameEvent::TurnTimeoutChanged { seconds: 30 }));
    assert!(
        log.iter()
            .any(|e| matches!(e, GameEvent::TurnSkipped { .. }))
    );
    assert!(
        s.session(host)
            .host_replies
            .iter()
            .all(|r| r.starts_with("ok")),
        "{:?}",
        s.session(host).host_replies
    );
    // A player cannot run host commands.
    s.session_mut(c[0]).host_command("pause");
    s.step(5);
    assert!(
        s.session(c[0])
            .host_replies
            .iter()
            .any(|r| r.contains("Only the host"))
    );
    assert!(s.campaign("table-1").table.paused_since.is_none());
    let role = s.session(host).seating.clone().unwrap().role;
    assert_eq!(role, Role::Host);
}

/// Under lightyear's link conditioner (latency, jitter, loss on both ends) every client still
/// converges to the server's state with no gap in sequence numbers. The conditioner delays
/// packets in real time, so this test lets a little real time pass between frames.
fn converges_under(preset: lightyear::prelude::LinkConditionerConfig) {
    let mut s = Stepper::new(ServerSettings {
        turn_timeout: Duration::from_secs(600),
        ..settings("goblin-ambush")
    });
    s.conditioner = Some(preset);
    let c: Vec<usize> = ["fighter", "rogue", "cleric", "wizard", "spectator"]
        .iter()
        .map(|seat| s.add_client(seat, None))
        .collect();
    // The conditioner delays packets in real time: let every App run on real time too.
    s.server
        .insert_resource(bevy::time::TimeUpdateStrategy::Automatic);
    for app in &mut s.clients {
        app.insert_resource(bevy::time::TimeUpdateStrategy::Automatic);
    }
    let start = std::time::Instant::now();
    while !c.iter().all(|&x| s.session(x).status == Status::Seated) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "not seated under the conditioner"
        );
        s.step(1);
        std::thread::sleep(Duration::from_millis(4));
    }
    for &p in &c[..4] {
        s.autoplay(p, true);
    }
    let start = std::time::Instant::now();
    while s.campaign("table-1").table.next_seq < 40 && start.elapsed() < Duration::from_secs(60) {
        s.step(1);
        std::thread::sleep(Duration::from_millis(4));
    }
    assert!(
        s.campaign("table-1").table.next_seq >= 40,
        "the game barely moved under the conditioner"
    );
    for &p in &c[..4] {
        s.autoplay(p, false);
    }
    let settled = std::time::Instant::now();
    let converged = loop {
        s.step(1);
        std::thread::sleep(Duration::from_millis(4));
        let all = c.iter().all(|&x| {
            let seating = s.session(x).seating.clone().expect("seated");
            let events_done =
                s.session(x).last_seq() == s.last_seq_for("table-1", seating.role, &seating.seat);
            events_done && s.client_view(x) == s.seat_view("table-1", seating.role)
        });
        if all || settled.elapsed() > Duration::from_secs(30) {
            break all;
        }
    };
    assert!(converged, "clients did not converge");
    for &x in &c {
        assert_private(&mut s, x);
    }
}

#[test]
fn clients_converge_on_an_average_network() {
    converges_under(lightyear::prelude::LinkConditionerConfig::average_condition());
}

#[test]
fn clients_converge_on_a_poor_network() {
    converges_under(lightyear::prelude::LinkConditionerConfig::poor_condition());
}

#[test]
fn a_campaign_is_archived_and_reopened_from_its_journal() {
    let dir = std::env::temp_dir().join(format!("emberkeep-archive-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut s = Stepper::new(ServerSettings {
        data_dir: Some(dir.clone()),
        ..settings("goblin-ambush")
    });
    let c = s.seat_all(&["fighter", "rogue"]);
    s.autoplay(c[0], true);
    s.autoplay(c[1], true);
    s.step(60);
    let before = s.campaign("table-1").table.log.clone();
    let answer = emberkeep_server::console::execute(s.server.world_mut(), None, "archive table-1");
    assert!(answer.starts_with("archived table-1"), "{answer}");
    s.step_until(30, |s| matches!(s.session(c[0]).status, Status::Refused(_)))
        .expect("players are told");
    let listed = emberkeep_server::console::execute(s.server.world_mut(), None, "campaigns");
    assert!(listed.contains("table-1  archived"), "{listed}");
    let answer = emberkeep_server::console::execute(s.server.world_mut(), None, "reopen table-1");
    assert_eq!(answer, "reopened table-1");
    let after = s.campaign("table-1").table.log.clone();
    assert_eq!(
        after.range(..before.len()).cloned().collect::<Vec<_>>(),
        before.iter().cloned().collect::<Vec<_>>(),
        "the reopened table differs"
    );
    assert!(
        after
            .range(before.len()..)
            .all(|e| matches!(e.event, GameEvent::PlayerLeft { .. })),
        "archiving only unseats the players"
    );
    // The same seat (same code, so a token minted now) joins again.
    let again = s.add_client("fighter", None);
    s.step_until(200, |s| s.session(again).status == Status::Seated)
        .expect("seated again");
    let _ = std::fs::remove_dir_all(&dir);
}
