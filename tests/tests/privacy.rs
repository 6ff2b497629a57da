//! What each seat may see, through every channel: hidden creatures are not replicated to
//! players (also after archive and reopen), whispers between other seats are not replayed to a
//! player coming back, spectators cannot whisper, host notes reach host seats only.

use emberkeep_client::net::Status;
use emberkeep_server::ServerSettings;
use emberkeep_server::console::execute;
use emberkeep_shared::event::GameEvent;
use emberkeep_tests::Stepper;

fn settings(encounter: &str) -> ServerSettings {
    ServerSettings {
        encounter: encounter.into(),
        seed: 8,
        ..ServerSettings::default()
    }
}

fn hidden_id(s: &mut Stepper) -> u32 {
    s.campaign("table-1")
        .table
        .combatants
        .iter()
        .find(|c| c.hidden)
        .map(|c| c.id)
        .expect("the crypt hides a skeleton")
}

#[test]
fn hidden_creatures_stay_unreplicated_to_players_after_archive_and_reopen() {
    let dir = std::env::temp_dir().join(format!("emberkeep-privacy-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut s = Stepper::new(ServerSettings {
        data_dir: Some(dir.clone()),
        ..settings("crypt-of-bones")
    });
    let hidden = hidden_id(&mut s);
    let c = s.seat_all(&["fighter", "host"]);
    s.step(30);
    let sees = |s: &mut Stepper, client: usize| {
        s.client_view(client)
            .combatants
            .keys()
            .any(|&id| id == hidden)
    };
    assert!(!sees(&mut s, c[0]), "a player was sent the hidden skeleton");
    assert!(sees(&mut s, c[1]), "the host sees it");
    let answer = execute(s.server.world_mut(), None, "archive table-1");
    assert!(answer.starts_with("archived"), "{answer}");
    assert_eq!(
        execute(s.server.world_mut(), None, "reopen table-1"),
        "reopened table-1"
    );
    let player = s.add_client("wizard", None);
    let host = s.add_client("host", None);
    s.step_until(300, |s| {
        s.session(player).status == Status::Seated && s.session(host).status == Status::Seated
    })
    .expect("seated again");
    s.step(30);
    assert!(
        !sees(&mut s, player),
        "reopened: a player was sent the hidden skeleton"
    );
    assert!(sees(&mut s, host), "reopened: the host sees it");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn whispers_between_others_are_not_replayed_to_a_returning_player() {
    let mut s = Stepper::new(settings("wolf-den"));
    let c = s.seat_all(&["fighter", "rogue", "cleric"]);
    s.step(10);
    s.drop_connection(c[0]);
    s.session_mut(c[1]).whisper("cleric", "the fighter snores");
    s.session_mut(c[2]).whisper("fighter", "wake up");
    s.step(20);
    s.reconnect(c[0], "fighter", None);
    s.step_until(300, |s| s.session(c[0]).status == Status::Seated)
        .expect("back");
    s.step(20);
    let whispers: Vec<String> = s
        .session(c[0])
        .events
        .iter()
        .filter_map(|e| match &e.event {
            GameEvent::Whisper { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        whispers,
        vec!["wake up".to_string()],
        "only its own whisper is replayed"
    );
    assert!(!s.session(c[0]).away.is_empty(), "what it missed is marked");
}

#[test]
fn spectators_cannot_whisper_and_host_notes_reach_host_seats_only() {
    let mut s = Stepper::new(settings("wolf-den"));
    let c = s.seat_all(&["spectator", "fighter", "host"]);
    s.session_mut(c[0]).whisper("fighter", "psst");
    execute(s.server.world_mut(), None, "note the wolves are hungry");
    s.step(30);
    assert!(
        s.session(c[0])
            .host_replies
            .iter()
            .any(|r| r.starts_with("Cannot whisper")),
        "{:?}",
        s.session(c[0]).host_replies
    );
    let has = |s: &Stepper, client: usize, text: &str| {
        s.session(client).events.iter().any(|e| match &e.event {
            GameEvent::Whisper { text: t, .. } | GameEvent::HostNarration { text: t } => {
                t.contains(text)
            }
            _ => false,
        })
    };
    assert!(!has(&s, c[1], "psst"), "the spectator's whisper arrived");
    assert!(
        has(&s, c[2], "the wolves are hungry"),
        "the host seat got its note"
    );
    assert!(
        !has(&s, c[1], "the wolves are hungry"),
        "a player got the host note"
    );
    assert!(
        !has(&s, c[0], "the wolves are hungry"),
        "a spectator got the host note"
    );
}

#[test]
fn a_fresh_seat_gets_the_recent_history_it_may_see() {
    let mut s = Stepper::new(settings("goblin-ambush"));
    let c = s.seat_all(&["fighter", "rogue"]);
    s.session_mut(c[1]).whisper("fighter", "secret plan");
    s.step(30);
    let tv = s.add_client("spectator", None);
    s.step_until(300, |s| s.session(tv).status == Status::Seated)
        .expect("the TV is seated");
    s.step(5);
    let log = &s.session(tv).events;
    assert!(
        log.iter()
            .any(|e| matches!(e.event, GameEvent::CombatStarted { .. })),
        "the TV's log starts with the ambush: {log:?}"
    );
    assert!(
        !log.iter()
            .any(|e| matches!(&e.event, GameEvent::Whisper { .. })),
        "a whisper reached the TV"
    );
    assert!(
        s.session(tv).away.is_empty(),
        "history is not 'while you were away'"
    );
    assert!(s.session(tv).gaps.is_empty(), "{:?}", s.session(tv).gaps);
}
