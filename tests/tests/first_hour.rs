//! What a newcomer meets in the first hour, checked on the headless client core against a real
//! server: walking outside combat, clicks that say why they do nothing, a character dropped on
//! its own turn passing the turn, refusals that clear when the turn moves on.

use emberkeep_client::preview::{action_bar, click, my_reach};
use emberkeep_server::ServerSettings;
use emberkeep_shared::prelude::*;
use emberkeep_tests::Stepper;
use std::time::Duration;

fn settings(encounter: &str) -> ServerSettings {
    ServerSettings {
        encounter: encounter.into(),
        seed: 11,
        turn_timeout: Duration::from_secs(600),
        ..ServerSettings::default()
    }
}

#[test]
fn anyone_walks_while_exploring_and_a_useless_click_says_why() {
    // The wolf den starts on proximity: the party explores first.
    let mut s = Stepper::new(settings("wolf-den"));
    let c = s.seat_all(&["fighter", "rogue"]);
    s.step(5);
    for &p in &c {
        let me = s.session(p).seating.clone().unwrap().character.unwrap();
        let view = s.client_view(p);
        assert_eq!(view.table.as_ref().unwrap().mode, Mode::Exploration);
        let reach = my_reach(&view, me);
        assert!(!reach.is_empty(), "nobody can walk while exploring");
        let bar = action_bar(&view, Some(me));
        assert!(bar.can_move && !bar.enabled, "{bar:?}");
    }
    let me = s.session(c[0]).seating.clone().unwrap().character.unwrap();
    let view = s.client_view(c[0]);
    let here = view.combatants[&me].1.pos;
    // Every useless click has a reason.
    for (square, expect) in [
        (here, "already there"),
        (GridPos::new(-3, -3), "off the map"),
        (GridPos::new(i32::MAX, 0), "off the map"),
    ] {
        let why = click(&view, me, square).expect_err("no action");
        assert!(why.contains(expect), "{square}: {why}");
    }
    let wall = (0..30)
        .flat_map(|x| (0..30).map(move |y| GridPos::new(x, y)))
        .find(|p| view.board().unwrap().map.terrain(*p) == Terrain::Wall)
        .unwrap();
    assert!(click(&view, me, wall).unwrap_err().contains("wall"));
    // The nearest reachable square far from every foe: the server accepts the walk.
    let reach = my_reach(&view, me);
    let (square, _) = *reach
        .iter()
        .filter(|(_, cost)| *cost > 0)
        .min_by_key(|(p, cost)| (*cost, p.x, p.y))
        .unwrap();
    let action = click(&view, me, square).expect("a move");
    let seq = s.session_mut(c[0]).act(action);
    s.step_until(60, |s| s.session(c[0]).answered(seq)).unwrap();
    assert!(
        s.session(c[0]).accepted.contains(&seq),
        "{:?}",
        s.session(c[0]).rejected
    );
    s.step(5);
    assert_eq!(s.client_view(c[0]).combatants[&me].1.pos, square);
    // Another player walks too, without waiting for a turn.
    let other = s.session(c[1]).seating.clone().unwrap().character.unwrap();
    let view = s.client_view(c[1]);
    let (square, _) = *my_reach(&view, other)
        .iter()
        .filter(|(_, cost)| *cost > 0)
        .min_by_key(|(p, cost)| (*cost, p.x, p.y))
        .unwrap();
    let seq = s
        .session_mut(c[1])
        .act(click(&view, other, square).unwrap());
    s.step_until(60, |s| s.session(c[1]).answered(seq)).unwrap();
    assert!(s.session(c[1]).accepted.contains(&seq));
}

#[test]
fn a_refusal_shows_until_the_next_action_or_turn() {
    let mut s = Stepper::new(settings("goblin-ambush"));
    let c = s.seat_all(&["fighter", "rogue", "cleric", "wizard"]);
    // Whoever is not active tries to act: refused, and the notice says why.
    s.step_until(600, |s| {
        s.client_view(c[0]).table.and_then(|t| t.active).is_some()
    })
    .unwrap();
    let active = s.client_view(c[0]).table.unwrap().active.unwrap();
    let idle = *c
        .iter()
        .find(|&&p| s.session(p).seating.clone().unwrap().character != Some(active))
        .unwrap();
    let seq = s.session_mut(idle).act(Action::Dodge);
    s.step_until(60, |s| s.session(idle).answered(seq)).unwrap();
    let notice = s
        .session(idle)
        .notice
        .clone()
        .expect("the refusal is shown");
    assert!(notice.contains("not your turn"), "{notice}");
    // The turn moves on (the host skips it): the stale refusal goes.
    emberkeep_server::console::execute(s.server.world_mut(), None, "skip");
    s.step_until(60, |s| s.session(idle).notice.is_none())
        .expect("the notice clears when a turn starts");
}
