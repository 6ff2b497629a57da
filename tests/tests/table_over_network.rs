//! A server and several clients in one process over lightyear (crossbeam IO, manual time):
//! join, initiative, the active player acts, out-of-turn and hostile intents are rejected with
//! reasons, a timeout makes the character Dodge, NPC turns resolve, combat ends — and after
//! every step every client's view equals the server's.

use emberkeep_client::net::Status;
use emberkeep_server::{Campaign, ServerSettings, ServerStats};
use emberkeep_shared::prelude::*;
use emberkeep_shared::protocol::Role;
use emberkeep_tests::Stepper;
use std::time::Duration;

const SEATS: [&str; 4] = ["fighter", "rogue", "cleric", "wizard"];

fn settings(campaigns: u32) -> ServerSettings {
    ServerSettings {
        campaigns,
        seed: 42,
        // Short enough that tests time a turn out in a few dozen frames.
        turn_timeout: Duration::from_millis(1500),
        ..ServerSettings::default()
    }
}

/// Every client's replicated view equals the server's (stepping a few frames for replication
/// to land), and every client's event log is gap-free and equal to the server's log as that
/// seat may see it.
fn assert_converged(s: &mut Stepper, clients: &[usize], campaign: &str) {
    for &c in clients {
        let role = s.session(c).seating.clone().expect("seated").role;
        let converged = s.step_until(30, |s| s.client_view(c) == s.seat_view(campaign, role));
        assert!(
            converged.is_some(),
            "client {c} diverged:\nclient {:?}\nserver {:?}",
            s.client_view(c).table,
            s.server_view(campaign).table
        );
        let session = s.session(c);
        assert!(
            session.gaps.is_empty(),
            "client {c} saw gaps {:?}",
            session.gaps
        );
        let seating = session.seating.clone().expect("seated");
        let mine: Vec<SeqEvent> = session.events.clone();
        let first = mine.first().map_or(u64::MAX, |e| e.seq);
        let server: Vec<SeqEvent> = s
            .campaign(campaign)
            .table
            .log
            .iter()
            .filter(|e| {
                e.seq >= first && Campaign::may_see(&e.audience, seating.role, &seating.seat)
            })
            .take(mine.len())
            .cloned()
            .collect();
        assert_eq!(mine, server, "client {c}'s events differ from the server's");
    }
}

fn active_client(s: &mut Stepper, clients: &[usize]) -> Option<usize> {
    let view = s.server_view("table-1");
    let active = view.table?.active?;
    clients
        .iter()
        .copied()
        .find(|&c| s.session(c).seating.as_ref().and_then(|x| x.character) == Some(active))
}

/// Steps until a player character (not an NPC) has the turn; NPC turns resolve by themselves.
fn until_player_turn(s: &mut Stepper, players: &[usize]) -> usize {
    s.step_until(600, |s| active_client(s, players).is_some())
        .expect("a player's turn comes");
    active_client(s, players).unwrap()
}

fn answer(s: &mut Stepper, client: usize, seq: u32) -> Result<(), (RejectCode, String)> {
    s.step_until(60, |s| s.session(client).answered(seq))
        .expect("the server answers");
    match s.session(client).rejection(seq) {
        Some((_, code, reason)) => Err((*code, reason.clone())),
        None => Ok(()),
    }
}

#[test]
fn a_fight_from_join_to_the_end() {
    let mut s = Stepper::new(settings(1));
    let players: Vec<usize> = SEATS.iter().map(|seat| s.add_client(seat, None)).collect();
    let spectator = s.add_client("spectator", None);
    let everyone: Vec<usize> = players.iter().copied().chain([spectator]).collect();

    // Join: every client is seated with the right role and character.
    s.step_until(200, |s| {
        everyone
            .iter()
            .all(|&c| s.session(c).status == Status::Seated)
    })
    .expect("everyone is seated");
    for (&c, seat) in players.iter().zip(SEATS) {
        let seating = s.session(c).seating.clone().unwrap();
        assert_eq!((seating.seat.as_str(), seating.role), (seat, Role::Player));
        let character = seating.character.expect("a player has a character");
        assert_eq!(
            s.campaign("table-1")
                .table
                .combatant(character)
                .unwrap()
                .source,
            seat
        );
    }
    assert_eq!(
        s.session(spectator).seating.as_ref().unwrap().role,
        Role::Spectator
    );

    // The goblins ambush: combat began with the first player, initiative is the same everywhere.
    assert_eq!(s.campaign("table-1").table.mode, Mode::Combat);
    assert_converged(&mut s, &everyone, "table-1");
    let order = s.server_view("table-1").table.unwrap().order;
    // Players get the initiative of those the party sees (fog of war: a goblin behind the
    // trees is left out).
    let t = s.campaign("table-1").table.clone();
    let full = t.combat.as_ref().unwrap().order.clone();
    assert_eq!(full.len(), 8);
    let seen: Vec<CombatantId> = full.into_iter().filter(|id| t.party_sees(*id)).collect();
    assert_eq!(order, seen);
    for &c in &everyone {
        assert_eq!(
            s.client_view(c).table.unwrap().order,
            order,
            "client {c} has another initiative order"
        );
    }

    // The active player acts.
    let actor = until_player_turn(&mut s, &players);
    let seq = s.session_mut(actor).act(Action::Dash);
    assert_eq!(answer(&mut s, actor, seq), Ok(()));
    assert_converged(&mut s, &everyone, "table-1");

    // Anyone else is told whose turn it is, and nothing changes.
    let active_name = {
        let view = s.server_view("table-1");
        view.name_of(view.table.as_ref().unwrap().active.unwrap())
    };
    let before = s.campaign("table-1").table.next_seq;
    let other = *players.iter().find(|&&c| c != actor).unwrap();
    let seq = s.session_mut(other).act(Action::Dodge);
    let (code, reason) = answer(&mut s, other, seq).unwrap_err();
    assert_eq!(code, RejectCode::NotYourTurn);
    assert_eq!(
        reason,
        format!("It's not your turn — current turn: {active_name}")
    );

    // A spectator cannot act; a player cannot act for someone else's character.
    let seq = s.session_mut(spectator).act_as(1, Action::Dodge);
    assert_eq!(
        answer(&mut s, spectator, seq).unwrap_err().0,
        RejectCode::NotAllowed
    );
    let actor_character = s
        .session(actor)
        .seating
        .as_ref()
        .unwrap()
        .character
        .unwrap();
    let seq = s
        .session_mut(other)
        .act_as(actor_character, Action::EndTurn);
    let (code, reason) = answer(&mut s, other, seq).unwrap_err();
    assert_eq!(code, RejectCode::NotAllowed);
    assert!(reason.starts_with("You play "), "{reason}");

    // Hostile intents from the active player: an unknown target, a wall, an absurd path.
    let seq = s.session_mut(actor).act(Action::Attack {
        target: 999,
        attack: 0,
    });
    assert_eq!(
        answer(&mut s, actor, seq).unwrap_err().0,
        RejectCode::UnknownTarget
    );
    let seq = s.session_mut(actor).act(Action::Move {
        path: vec![GridPos::new(0, 0)],
    });
    assert_eq!(
        answer(&mut s, actor, seq).unwrap_err().0,
        RejectCode::InvalidPath
    );
    let seq = s.session_mut(actor).act(Action::Move {
        path: vec![GridPos::new(40, 40); 500],
    });
    assert_eq!(
        answer(&mut s, actor, seq).unwrap_err().0,
        RejectCode::Malformed
    );
    assert_eq!(
        s.campaign("table-1").table.next_seq,
        before,
        "rejected intents changed the table"
    );
    assert_converged(&mut s, &everyone, "table-1");

    // End the turn.
    let seq = s.session_mut(actor).act(Action::EndTurn);
    assert_eq!(answer(&mut s, actor, seq), Ok(()));

    // The next player does nothing: the turn times out and the character Dodges.
    let idle = until_player_turn(&mut s, &players);
    let idle_character = s.session(idle).seating.as_ref().unwrap().character.unwrap();
    s.step_until(200, |s| {
        s.session(idle).events.iter().any(|e| {
            e.event
                == GameEvent::TurnTimedOut {
                    actor: idle_character,
                }
        })
    })
    .expect("the idle turn times out");
    for &c in &everyone {
        let events = &s.session(c).events;
        let timed_out = events
            .iter()
            .position(|e| {
                e.event
                    == GameEvent::TurnTimedOut {
                        actor: idle_character,
                    }
            })
            .expect("everyone is told");
        assert_eq!(
            events[timed_out + 1].event,
            GameEvent::Dodged {
                actor: idle_character
            }
        );
    }
    assert_converged(&mut s, &everyone, "table-1");

    // NPC turns resolve by themselves: goblins have acted.
    let npc_turns = s
        .campaign("table-1")
        .table
        .log
        .iter()
        .filter(|e| matches!(&e.event, GameEvent::TurnEnded { actor } if *actor > 4))
        .count();
    assert!(npc_turns > 0, "no NPC turn resolved");

    // Let the bots fight it out; every client follows to the end.
    for &p in &players {
        s.autoplay(p, true);
    }
    s.step_until(30_000, |s| s.campaign("table-1").table.combat.is_none())
        .expect("the fight ends");
    assert!(
        s.campaign("table-1")
            .table
            .log
            .iter()
            .any(|e| matches!(e.event, GameEvent::CombatEnded { .. }))
    );
    assert_converged(&mut s, &everyone, "table-1");
    for &c in &everyone {
        assert!(
            s.session(c)
                .events
                .iter()
                .any(|e| matches!(e.event, GameEvent::CombatEnded { .. }))
        );
        assert_eq!(s.client_view(c).table.unwrap().mode, Mode::Exploration);
    }
    let stats = s.server.world().resource::<ServerStats>().clone();
    assert!(stats.rejected_at_intake >= 2, "{stats:?}");
}

#[test]
fn a_second_campaign_never_sees_the_first() {
    let mut s = Stepper::new(settings(2));
    let a = s.add_client("fighter", Some("table-1"));
    let b = s.add_client("spectator", Some("table-2"));
    let c = s.add_client("wizard", Some("table-2"));
    s.step_until(200, |s| {
        [a, b, c]
            .iter()
            .all(|&x| s.session(x).status == Status::Seated)
    })
    .expect("seated");
    // Table 1 fights (its ambush started); table 2's wizard joined too, so both are in combat.
    s.autoplay(a, true);
    s.step(300);
    for x in [b, c] {
        let view = s.client_view(x);
        assert_eq!(view.table.as_ref().unwrap().campaign, "table-2");
        assert!(
            view.combatants
                .values()
                .all(|(sheet, _)| sheet.campaign == "table-2"),
            "client {x} sees another table's combatants"
        );
        assert_eq!(view.combatants.len(), 8);
    }
    assert_converged(&mut s, &[b, c], "table-2");
    assert_converged(&mut s, &[a], "table-1");
    // Every event a table-2 client holds is table 2's, by sequence and content.
    let t1 = s.campaign("table-1").table.log.clone();
    let t2 = s.campaign("table-2").table.log.clone();
    assert_ne!(t1, t2);
    for x in [b, c] {
        for e in &s.session(x).events {
            assert!(
                t2.contains(e),
                "client {x} received an event table 2 never had: {e:?}"
            );
        }
    }
}

#[test]
fn a_revoked_code_is_refused_and_a_reissued_one_works() {
    let mut s = Stepper::new(settings(1));
    let old_token = s.token("rogue", None);
    let answer = emberkeep_server::console::execute(s.server.world_mut(), None, "revoke rogue");
    assert_eq!(answer, "seat `rogue` revoked");
    let c = s.add_client("fighter", None);
    let index = s.clients.len();
    let _ = c;
    // A client holding a token minted before the revocation.
    let r = s.add_client("wizard", None);
    s.drop_connection(r);
    s.attach(r, &old_token);
    s.step_until(200, |s| matches!(s.session(r).status, Status::Refused(_)))
        .expect("refused");
    let Status::Refused(reason) = s.session(r).status.clone() else {
        unreachable!()
    };
    assert!(reason.contains("revoked"), "{reason}");
    assert_eq!(index, r);
    // Re-issued: a new token (as the join endpoint would mint for the new code) seats again.
    let answer = emberkeep_server::console::execute(s.server.world_mut(), None, "reissue rogue");
    assert!(answer.starts_with("seat `rogue`: new code"), "{answer}");
    let fresh = s.add_client("rogue", None);
    s.step_until(200, |s| s.session(fresh).status == Status::Seated)
        .expect("seated with the new code");
}

#[test]
fn a_flood_of_intents_is_rate_limited_and_the_table_keeps_going() {
    let mut s = Stepper::new(settings(1));
    let p = s.add_client("rogue", None);
    let q = s.add_client("fighter", None);
    s.step_until(200, |s| {
        [p, q]
            .iter()
            .all(|&x| s.session(x).status == Status::Seated)
    })
    .expect("seated");
    let seqs: Vec<u32> = (0..100)
        .map(|i| {
            s.session_mut(p).act(Action::Declare {
                text: format!("I shout {i}"),
            })
        })
        .collect();
    s.step_until(200, |s| seqs.iter().all(|&q| s.session(p).answered(q)))
        .expect("all answered");
    let limited = seqs
        .iter()
        .filter(|&&q| {
            s.session(p)
                .rejection(q)
                .is_some_and(|r| r.1 == RejectCode::RateLimited)
        })
        .count();
    assert!(limited >= 70, "only {limited} of 100 were limited");
    // The other seat is unaffected.
    let seq = s.session_mut(q).act(Action::Declare {
        text: "I draw my sword".into(),
    });
    s.step_until(60, |s| s.session(q).answered(seq)).unwrap();
    let r = s.session(q).rejection(seq).cloned();
    assert!(r.is_none() || r.unwrap().1 == RejectCode::NotYourTurn);
}

/// The client previews with the shared rules what the server will decide: on its turn the
/// reachable squares, and what a click means — a move to a reachable square and an attack on
/// a foe in reach are accepted by the server; a click beyond reach asks nothing.
#[test]
fn the_clients_preview_agrees_with_the_server() {
    use emberkeep_client::preview::{action_for_click, my_reach};
    let mut s = Stepper::new(ServerSettings {
        turn_timeout: Duration::from_secs(600),
        ..settings(1)
    });
    let players = s.seat_all(&SEATS);
    let actor = until_player_turn(&mut s, &players);
    s.step(5);
    let me = s.session(actor).seating.clone().unwrap().character.unwrap();
    let view = s.client_view(actor);
    let reach = my_reach(&view, me);
    assert!(reach.len() > 5, "only {} squares in reach", reach.len());
    // Nobody else previews a reach: it is not their turn.
    let other = *players.iter().find(|&&c| c != actor).unwrap();
    let other_me = s.session(other).seating.clone().unwrap().character.unwrap();
    assert!(my_reach(&s.client_view(other), other_me).is_empty());
    // Far beyond reach: no intent at all.
    assert_eq!(action_for_click(&view, me, GridPos::new(60, 60)), None);
    // The farthest reachable square: the server accepts the move the click makes.
    let (square, _) = *reach
        .iter()
        .max_by_key(|(p, cost)| (*cost, p.x, p.y))
        .unwrap();
    let action = action_for_click(&view, me, square).expect("a move");
    assert!(matches!(action, Action::Move { .. }));
    let seq = s.session_mut(actor).act(action);
    assert_eq!(answer(&mut s, actor, seq), Ok(()));
    s.step(5);
    assert_eq!(s.client_view(actor).combatants[&me].1.pos, square);
}

#[test]
fn the_action_bar_follows_the_turn() {
    use emberkeep_client::preview::action_bar;
    let mut s = Stepper::new(ServerSettings {
        turn_timeout: Duration::from_secs(600),
        ..settings(1)
    });
    let players = s.seat_all(&SEATS);
    let spectator = s.seat_all(&["spectator"])[0];
    let me = |s: &Stepper, c: usize| s.session(c).seating.clone().unwrap().character;
    let actor = until_player_turn(&mut s, &players);
    s.step(5);
    // Only the active player's bar is on; the others are told whose turn it is.
    let actor_name = s.client_view(actor).name_of(me(&s, actor).unwrap());
    for &c in &players {
        let bar = action_bar(&s.client_view(c), me(&s, c));
        assert_eq!(bar.enabled, c == actor, "client {c}: {bar:?}");
        if c == actor {
            assert!(bar.can_move, "the active player can move");
            assert_eq!(bar.why_not, None);
        } else {
            let why = bar.why_not.unwrap();
            assert!(why.contains(&actor_name), "{why}");
            assert!(bar.targets.is_empty() && !bar.can_move);
        }
    }
    // A spectator plays no character: never a bar.
    let spectator_bar = action_bar(&s.client_view(spectator), me(&s, spectator));
    assert!(!spectator_bar.enabled);
    // Attack is offered exactly when a foe is within reach, and the server takes it.
    let my = me(&s, actor).unwrap();
    let bar = action_bar(&s.client_view(actor), Some(my));
    if let Some(&(target, attack)) = bar.targets.first() {
        let seq = s.session_mut(actor).act(Action::Attack { target, attack });
        assert_eq!(answer(&mut s, actor, seq), Ok(()));
    }
    // End the turn: the bar goes off for the actor and the next player's comes on in turn.
    let seq = s.session_mut(actor).act(Action::EndTurn);
    assert_eq!(answer(&mut s, actor, seq), Ok(()));
    s.step_until(30, |s| {
        s.client_view(actor).table.and_then(|t| t.active) != Some(my)
    })
    .expect("the turn passes");
    assert!(!action_bar(&s.client_view(actor), Some(my)).enabled);
    let next = until_player_turn(&mut s, &players);
    s.step(5);
    assert!(action_bar(&s.client_view(next), me(&s, next)).enabled);
    for &c in players.iter().filter(|&&c| c != next) {
        assert!(!action_bar(&s.client_view(c), me(&s, c)).enabled);
    }
}

#[test]
fn sound_cues_follow_the_fight_and_skip_what_was_missed() {
    use emberkeep_client::cues::{Cue, CueTracker, cues_for};
    let mut s = Stepper::new(settings(1));
    let players = s.seat_all(&SEATS);
    // Trackers start now: the backlog the join brought makes no sound.
    let mut trackers: Vec<CueTracker> = players.iter().map(|_| CueTracker::default()).collect();
    let backlog = s.session(players[0]).events.len();
    assert!(backlog > 0, "the ambush's start arrives on joining");
    for (t, &c) in trackers.iter_mut().zip(&players) {
        assert_eq!(t.take(s.session(c)), vec![], "no sound for the backlog");
    }
    for &p in &players {
        s.autoplay(p, true);
    }
    let mut heard: Vec<Vec<Cue>> = vec![Vec::new(); players.len()];
    // The wizard drops out for a while; what it missed is replayed without sound.
    let wizard = players[3];
    for round in 0..40 {
        if round == 1 {
            s.drop_connection(wizard);
        }
        if round == 4 {
            s.reconnect(wizard, "wizard", None);
        }
        s.step(10);
        for (i, &c) in players.iter().enumerate() {
            heard[i].extend(trackers[i].take(s.session(c)));
        }
    }
    for (i, &c) in players.iter().enumerate() {
        let session = s.session(c);
        let me = session.seating.as_ref().unwrap().character;
        let expected: Vec<Cue> = session.events[backlog.min(session.events.len())..]
            .iter()
            .filter(|e| !session.away.contains(&e.seq))
            .flat_map(|e| cues_for(&e.event, me))
            .collect();
        assert_eq!(heard[i], expected, "client {c}");
        assert!(heard[i].contains(&Cue::Dice), "client {c} heard no dice");
        assert!(
            heard[i]
                .iter()
                .any(|c| matches!(c, Cue::Hit | Cue::Miss | Cue::Critical)),
            "client {c} heard no attack land"
        );
        // Each player hears its own turns, and only those.
        let my_turns = session.events[backlog.min(session.events.len())..]
            .iter()
            .filter(|e| !session.away.contains(&e.seq))
            .filter(
                |e| matches!(e.event, GameEvent::TurnStarted { actor, .. } if Some(actor) == me),
            )
            .count();
        assert_eq!(
            heard[i].iter().filter(|c| **c == Cue::YourTurn).count(),
            my_turns
        );
    }
    let away = &s.session(wizard).away;
    assert!(!away.is_empty(), "the wizard missed something");
    let replayed_attacks = s
        .session(wizard)
        .events
        .iter()
        .filter(|e| away.contains(&e.seq) && matches!(e.event, GameEvent::Attacked(_)))
        .count();
    let everyone_else_dice = heard[0].iter().filter(|c| **c == Cue::Dice).count();
    let wizard_dice = heard[3].iter().filter(|c| **c == Cue::Dice).count();
    assert!(
        replayed_attacks > 0 && wizard_dice < everyone_else_dice,
        "the wizard heard {wizard_dice} dice, the fighter {everyone_else_dice}, {replayed_attacks} attacks replayed"
    );
}

/// The turn clock ticks by the second on its own small component ([`TableClock`]): the
/// whole [`TableView`] is neither rebuilt nor sent again for it, and the client's clock
/// follows the server's.
#[test]
fn a_ticking_turn_clock_leaves_the_table_view_alone() {
    use bevy::prelude::DetectChanges;
    let mut s = Stepper::new(ServerSettings {
        turn_timeout: Duration::from_secs(20),
        ..settings(1)
    });
    let c = s.add_client("fighter", Some("table-1"));
    s.step_until(200, |s| s.session(c).status == Status::Seated)
        .expect("seated");
    let read = |s: &mut Stepper| {
        let world = s.server.world_mut();
        let mut q = world.query::<(&Campaign, bevy::prelude::Ref<TableView>, &TableClock)>();
        let (campaign, view, clock) = q.single(world).expect("one campaign");
        (campaign.table.next_seq, view.last_changed(), *clock)
    };
    let mut ticks_seen = 0;
    let mut before = read(&mut s);
    for _ in 0..600 {
        s.step(1);
        let now = read(&mut s);
        // A second went by on a running clock and nothing was played: only the clock moved.
        if now.0 == before.0
            && let (Some(was), Some(is)) = (before.2.turn, now.2.turn)
            && is + 1 == was
        {
            assert_eq!(now.1, before.1, "the view was touched for a clock tick");
            ticks_seen += 1;
            if ticks_seen == 3 {
                break;
            }
        }
        before = now;
    }
    assert_eq!(
        ticks_seen, 3,
        "the turn clock never ticked on a quiet table"
    );
    // The client's copy follows.
    let server = read(&mut s).2;
    let followed = s.step_until(10, |s| s.client_view(c).clock == server);
    assert!(
        followed.is_some(),
        "client clock {:?}, server {server:?}",
        s.client_view(c).clock
    );
}
