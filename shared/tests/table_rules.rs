//! The table engine: turn gating, movement, attacks, opportunity attacks, timeouts, death,
//! and replay from a seed — on plain data, no App.

use emberkeep_shared::content::{AttackKind, Condition, ContentLibrary};
use emberkeep_shared::dice::Advantage;
use emberkeep_shared::event::GameEvent;
use emberkeep_shared::grid::GridPos;
use emberkeep_shared::table::{Action, CombatantId, Mode, RejectCode, Table};
use emberkeep_shared::tactics::plan_turn;

fn lib() -> ContentLibrary {
    ContentLibrary::load_dir(
        &emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets"),
    )
    .unwrap()
}

fn table(encounter: &str, seed: u64) -> Table {
    Table::new(&lib(), encounter, seed, 10_000).unwrap()
}

fn id_of(t: &Table, source: &str) -> CombatantId {
    t.combatants.iter().find(|c| c.source == source).unwrap().id
}

/// Puts the table in combat with `first` active (re-rolling seeds until it is).
fn combat_with_first(encounter: &str, first: &str) -> Table {
    for seed in 0..500 {
        let mut t = table(encounter, seed);
        t.start_combat(0, "test".into());
        if t.active() == Some(id_of(&t, first)) {
            return t;
        }
    }
    panic!("no seed puts {first} first");
}

/// Players here never take the reactions the table offers (Shield): they decline at once.
fn decline_reactions(t: &mut Table) {
    if let Some(p) = &t.pending {
        let reactor = p.reactor;
        t.submit(reactor, Action::React { take: false }, 0).unwrap();
    }
}

fn play_to_the_end(t: &mut Table) {
    for _ in 0..2000 {
        let Some(active) = t.active() else { return };
        for action in plan_turn(&t.board(), active) {
            if t.active() != Some(active) {
                break;
            }
            let _ = t.submit(active, action, 0);
            decline_reactions(t);
        }
    }
    panic!("the fight never ended");
}

#[test]
fn the_same_seed_replays_the_same_fight() {
    let run = |seed| {
        let mut t = table("wolf-den", seed);
        t.start_combat(0, "test".into());
        play_to_the_end(&mut t);
        t.log
    };
    assert_eq!(run(9), run(9));
    assert_ne!(run(9), run(10));
}

#[test]
fn sequence_numbers_have_no_gaps() {
    let mut t = table("goblin-ambush", 3);
    t.start_combat(0, "test".into());
    play_to_the_end(&mut t);
    for (i, e) in t.log.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1);
    }
    // The fight's end is the last event but for the experience it brings.
    let last = t
        .log
        .iter()
        .rev()
        .find(|e| !matches!(e.event, GameEvent::Story(_)))
        .unwrap();
    assert!(matches!(last.event, GameEvent::CombatEnded { .. }));
    assert_eq!(t.mode, Mode::Exploration);
}

#[test]
fn out_of_turn_intent_is_rejected_with_whose_turn_it_is_and_changes_nothing() {
    let t0 = combat_with_first("goblin-ambush", "goblin");
    let mut t = t0.clone();
    let fighter = id_of(&t, "fighter");
    let active_name = t.combatant(t.active().unwrap()).unwrap().name.clone();
    let r = t.submit(fighter, Action::Dodge, 5).unwrap_err();
    assert_eq!(r.code, RejectCode::NotYourTurn);
    assert_eq!(
        r.reason,
        format!("It's not your turn — current turn: {active_name}")
    );
    assert_eq!(t.log, t0.log);
    assert_eq!(t.combatants, t0.combatants);
}

#[test]
fn walls_and_enemies_block_movement_and_nothing_changes() {
    let mut t = combat_with_first("goblin-ambush", "fighter");
    let fighter = id_of(&t, "fighter");
    t.combatants
        .iter_mut()
        .find(|c| c.id == fighter)
        .unwrap()
        .pos = GridPos::new(10, 5);
    let before = t.combatants.clone();
    // (11, 5) is a boulder on the trail map.
    let err = t
        .submit(
            fighter,
            Action::Move {
                path: vec![GridPos::new(11, 5)],
            },
            0,
        )
        .unwrap_err();
    assert_eq!(err.code, RejectCode::InvalidPath);
    assert!(err.reason.contains("wall"), "{}", err.reason);
    // A goblin in the way.
    t.combatants
        .iter_mut()
        .find(|c| c.id == fighter)
        .unwrap()
        .pos = GridPos::new(5, 6);
    let goblin = id_of(&t, "goblin");
    t.combatants
        .iter_mut()
        .find(|c| c.id == goblin)
        .unwrap()
        .pos = GridPos::new(6, 6);
    let err = t
        .submit(
            fighter,
            Action::Move {
                path: vec![GridPos::new(6, 6)],
            },
            0,
        )
        .unwrap_err();
    assert!(
        err.reason.starts_with("You cannot move through"),
        "{}",
        err.reason
    );
    // Too far: 7 squares with 30 ft of movement.
    let far: Vec<GridPos> = (1..=7).map(|d| GridPos::new(5 + d, 7)).collect();
    let err = t
        .submit(fighter, Action::Move { path: far }, 0)
        .unwrap_err();
    assert_eq!(err.code, RejectCode::NotEnoughMovement);
    let before: Vec<_> = before
        .into_iter()
        .filter(|c| c.id != fighter && c.id != goblin)
        .collect();
    let after: Vec<_> = t
        .combatants
        .iter()
        .filter(|c| c.id != fighter && c.id != goblin)
        .cloned()
        .collect();
    assert_eq!(before, after);
    assert_eq!(t.combatant(fighter).unwrap().pos, GridPos::new(5, 6));
    assert_eq!(t.turn_budget().unwrap().movement_left, 30);
}

#[test]
fn leaving_reach_provokes_an_opportunity_attack_unless_disengaged() {
    for disengage in [false, true] {
        let mut t = combat_with_first("goblin-ambush", "fighter");
        let fighter = id_of(&t, "fighter");
        let goblin = id_of(&t, "goblin");
        t.combatants
            .iter_mut()
            .find(|c| c.id == fighter)
            .unwrap()
            .pos = GridPos::new(5, 6);
        t.combatants
            .iter_mut()
            .find(|c| c.id == goblin)
            .unwrap()
            .pos = GridPos::new(6, 6);
        if disengage {
            t.submit(fighter, Action::Disengage, 0).unwrap();
        }
        let before = t.log.len();
        let away = vec![GridPos::new(4, 7), GridPos::new(3, 8)];
        t.submit(fighter, Action::Move { path: away }, 0).unwrap();
        let provoked = t.log.range(before..).any(
            |e| matches!(&e.event, GameEvent::Attacked(a) if a.opportunity && a.attacker == goblin),
        );
        assert_eq!(provoked, !disengage, "disengage = {disengage}");
    }
}

#[test]
fn dodging_imposes_disadvantage_and_long_range_too() {
    let mut t = combat_with_first("goblin-ambush", "wizard");
    let wizard = id_of(&t, "wizard");
    let goblin = id_of(&t, "goblin");
    let wpos = t.combatant(wizard).unwrap().pos;
    // Fire Bolt (a ranged spell attack) reaches 120 ft; a goblin 30 ft away in the open.
    let gpos = GridPos::new(wpos.x + 6, wpos.y);
    t.combatants
        .iter_mut()
        .find(|c| c.id == goblin)
        .unwrap()
        .pos = gpos;
    let fire_bolt = |t: &Table| {
        t.check_cast(wizard, "fire-bolt", 0, &[goblin], None)
            .unwrap();
        t.attack_advantage(
            wizard,
            goblin,
            emberkeep_shared::table::AttackShape::new(AttackKind::Ranged, 120),
        )
    };
    assert_eq!(fire_bolt(&t), Advantage::Normal);
    t.combatants
        .iter_mut()
        .find(|c| c.id == goblin)
        .unwrap()
        .conditions
        .insert(Condition::Dodging);
    assert_eq!(fire_bolt(&t), Advantage::Disadvantage);
    // The dagger does not reach.
    assert_eq!(
        t.check_attack(wizard, goblin, 0).unwrap_err().code,
        RejectCode::OutOfReach
    );
    // The rogue's shortbow past 80 ft has disadvantage.
    let rogue = id_of(&t, "rogue");
    t.combatants
        .iter_mut()
        .find(|c| c.id == goblin)
        .unwrap()
        .conditions
        .clear();
    t.combatants.iter_mut().find(|c| c.id == rogue).unwrap().pos = GridPos::new(1, 6);
    t.combatants
        .iter_mut()
        .find(|c| c.id == goblin)
        .unwrap()
        .pos = GridPos::new(18, 6);
    assert!(t.map.line_of_sight(GridPos::new(1, 6), GridPos::new(18, 6)));
    assert_eq!(
        t.check_attack(rogue, goblin, 1),
        Ok(Advantage::Disadvantage),
        "85 ft is long range for a shortbow"
    );
}

#[test]
fn an_idle_turn_times_out_to_dodge_and_the_turn_advances() {
    let mut t = combat_with_first("goblin-ambush", "fighter");
    let fighter = id_of(&t, "fighter");
    t.tick(9_999);
    assert_eq!(t.active(), Some(fighter));
    t.tick(10_000);
    assert_ne!(t.active(), Some(fighter));
    let tail: Vec<&GameEvent> = t.log.iter().map(|e| &e.event).collect();
    let i = tail
        .iter()
        .position(|e| **e == GameEvent::TurnTimedOut { actor: fighter })
        .unwrap();
    assert_eq!(*tail[i + 1], GameEvent::Dodged { actor: fighter });
    assert!(
        t.combatant(fighter)
            .unwrap()
            .conditions
            .contains(&Condition::Dodging)
    );
}

#[test]
fn player_characters_fall_unconscious_and_monsters_die() {
    let mut t = combat_with_first("goblin-ambush", "goblin");
    let goblin = t.active().unwrap();
    let wizard = id_of(&t, "wizard");
    // Bring the wizard next to the goblin, at 1 HP, and let goblins act until it drops.
    let gpos = t.combatant(goblin).unwrap().pos;
    let spot = gpos
        .neighbours()
        .find(|p| t.map.terrain(*p).passable() && !t.combatants.iter().any(|c| c.pos == *p))
        .unwrap();
    let w = t.combatants.iter_mut().find(|c| c.id == wizard).unwrap();
    w.pos = spot;
    w.hp = 1;
    for _ in 0..200 {
        if t.combatant(wizard).unwrap().hp == 0 {
            break;
        }
        if t.active() == Some(goblin) {
            let _ = t.submit(
                goblin,
                Action::Attack {
                    target: wizard,
                    attack: 0,
                },
                0,
            );
            decline_reactions(&mut t);
            let _ = t.submit(goblin, Action::EndTurn, 0);
        } else {
            let a = t.active().unwrap();
            let _ = t.submit(a, Action::EndTurn, 0);
            t.tick(0);
        }
        if t.active().is_none() {
            break;
        }
    }
    let w = t.combatant(wizard).unwrap();
    assert_eq!(w.hp, 0);
    assert!(
        w.conditions.contains(&Condition::Unconscious) || w.is_dead(),
        "{:?}",
        w.conditions
    );
    // A monster at 0 HP is dead.
    let mut t = combat_with_first("goblin-ambush", "fighter");
    let fighter = id_of(&t, "fighter");
    let goblin = id_of(&t, "goblin");
    let fpos = t.combatant(fighter).unwrap().pos;
    let g = t.combatants.iter_mut().find(|c| c.id == goblin).unwrap();
    g.pos = GridPos::new(fpos.x + 1, fpos.y);
    g.hp = 1;
    g.ac = 1;
    t.submit(
        fighter,
        Action::Attack {
            target: goblin,
            attack: 0,
        },
        0,
    )
    .unwrap();
    let g = t.combatant(goblin).unwrap();
    if g.hp == 0 {
        assert!(g.is_dead());
        assert!(
            t.log
                .iter()
                .any(|e| e.event == GameEvent::Died { target: goblin })
        );
    }
    // The action is spent.
    assert_eq!(
        t.submit(fighter, Action::Dodge, 0).unwrap_err().code,
        RejectCode::NoActionLeft
    );
}

#[test]
fn exploration_actions_resolve_and_proximity_starts_combat() {
    let mut t = table("crypt-of-bones", 1);
    let fighter = id_of(&t, "fighter");
    assert_eq!(
        t.submit(fighter, Action::Dodge, 0).unwrap_err().code,
        RejectCode::WrongMode
    );
    t.submit(
        fighter,
        Action::Declare {
            text: "I listen at the door".into(),
        },
        0,
    )
    .unwrap();
    assert_eq!(
        t.submit(fighter, Action::Declare { text: "   ".into() }, 0)
            .unwrap_err()
            .code,
        RejectCode::Malformed
    );
    // Walk toward the skeletons until one is within 5 squares.
    for _ in 0..20 {
        if t.mode == Mode::Combat {
            break;
        }
        let board = t.board();
        let me = t.combatant(fighter).unwrap().pos;
        let target = t
            .combatants
            .iter()
            .find(|c| c.source == "skeleton")
            .unwrap()
            .pos;
        let path = board.map.path_to(me, target, |_| false).unwrap();
        let step: Vec<GridPos> = path.into_iter().take(2).filter(|p| *p != target).collect();
        t.submit(fighter, Action::Move { path: step }, 0).unwrap();
    }
    assert_eq!(t.mode, Mode::Combat);
    assert!(t.log.iter().any(
        |e| matches!(&e.event, GameEvent::CombatStarted { reason, .. } if reason.contains("spots"))
    ));
}

/// Walking into a hidden foe is never rejected with its name: the move stops before its square
/// and the ambush is sprung (it and every other hidden creature are revealed, combat starts).
#[test]
fn walking_into_a_hidden_foe_springs_the_ambush() {
    use emberkeep_shared::content::CombatStart;
    let mut t = table("crypt-of-bones", 4);
    t.start = CombatStart::Proximity(0);
    let fighter = id_of(&t, "fighter");
    let hidden = t.combatants.iter().find(|c| c.hidden).unwrap().clone();
    let beside = GridPos::new(hidden.pos.x - 1, hidden.pos.y);
    t.combatants
        .iter_mut()
        .find(|c| c.id == fighter)
        .unwrap()
        .pos = beside;
    t.submit(
        fighter,
        Action::Move {
            path: vec![hidden.pos],
        },
        0,
    )
    .expect("not a rejection that could name it");
    assert_eq!(
        t.combatant(fighter).unwrap().pos,
        beside,
        "stopped before its square"
    );
    assert!(t.combat.is_some(), "the ambush is sprung");
    assert!(t.combatants.iter().all(|c| !c.hidden));
    assert!(
        t.log
            .iter()
            .any(|e| matches!(e.event, GameEvent::Revealed { .. }))
    );
}

/// SRD 5.1 "Opportunity Attacks": leaving a hostile creature's reach provokes one; a creature
/// reduced to 0 hit points falls unconscious ("Dropping to 0 Hit Points"). If that happens on
/// its own turn, the turn passes at once — it does not sit until the turn timeout.
#[test]
fn a_character_dropped_on_its_own_turn_passes_the_turn_at_once() {
    for seed in 0..500 {
        let mut t = table("goblin-ambush", seed);
        t.start_combat(0, "test".into());
        let fighter = id_of(&t, "fighter");
        if t.active() != Some(fighter) {
            continue;
        }
        let goblin = t
            .combatants
            .iter()
            .find(|c| c.side != t.combatant(fighter).unwrap().side)
            .unwrap()
            .id;
        let gpos = t.combatant(goblin).unwrap().pos;
        // Stand beside the goblin with 1 HP, then walk away without disengaging.
        let beside = gpos
            .neighbours()
            .find(|p| t.map.terrain(*p).passable() && t.combatants.iter().all(|c| c.pos != *p))
            .unwrap();
        let away = beside
            .neighbours()
            .find(|p| {
                t.map.terrain(*p).passable()
                    && p.squares_to(gpos) == 2
                    && t.combatants.iter().all(|c| c.pos != *p)
            })
            .unwrap();
        {
            let f = t.combatants.iter_mut().find(|c| c.id == fighter).unwrap();
            f.pos = beside;
            f.hp = 1;
        }
        t.submit(fighter, Action::Move { path: vec![away] }, 1_000)
            .unwrap();
        if t.combatant(fighter).unwrap().is_conscious() {
            continue; // the opportunity attack missed: try other dice
        }
        assert_ne!(
            t.active(),
            Some(fighter),
            "the dropped fighter still holds the turn"
        );
        return;
    }
    panic!("no seed let the goblin's opportunity attack land");
}

/// Exploring, companions keep up: after a player's character walks away, each companion that
/// fell more than two squares behind walks toward it (by the same movement rules).
#[test]
fn companions_follow_the_party_while_exploring() {
    let mut t = table("wolf-den", 2);
    assert_eq!(t.mode, Mode::Exploration);
    let fighter = id_of(&t, "fighter");
    let followers: Vec<CombatantId> = ["rogue", "cleric", "wizard"]
        .iter()
        .map(|s| id_of(&t, s))
        .collect();
    for &f in &followers {
        t.set_companion(f, true, 0);
    }
    let board = t.board();
    let unit = board
        .units
        .iter()
        .find(|u| u.id == fighter)
        .unwrap()
        .clone();
    let start = unit.pos;
    // The reachable square farthest from the start that no foe is near (no fight starts).
    let foes: Vec<GridPos> = t
        .combatants
        .iter()
        .filter(|c| !c.is_pc)
        .map(|c| c.pos)
        .collect();
    let (dest, _) = board
        .reach(&unit, unit.speed)
        .into_iter()
        .filter(|(p, _)| foes.iter().all(|f| f.squares_to(*p) > 8))
        .max_by_key(|(p, _)| (p.squares_to(start), p.x, p.y))
        .unwrap();
    let before: Vec<u32> = followers
        .iter()
        .map(|&f| t.combatant(f).unwrap().pos.squares_to(dest))
        .collect();
    let path = board
        .map
        .path_to(start, dest, |p| board.blocks(&unit, p))
        .unwrap();
    t.submit(fighter, Action::Move { path }, 1_000).unwrap();
    assert_eq!(t.combatant(fighter).unwrap().pos, dest);
    if t.combat.is_some() {
        return; // a follower walked into sight of the wolves: a legitimate fight
    }
    let after: Vec<u32> = followers
        .iter()
        .map(|&f| t.combatant(f).unwrap().pos.squares_to(dest))
        .collect();
    eprintln!("distances to the leader: {before:?} -> {after:?}");
    for (i, (b, a)) in before.iter().zip(&after).enumerate() {
        assert!(a <= b, "follower {i} fell behind: {b} -> {a}");
        if *b > 2 {
            assert!(a < b, "follower {i} did not follow: {b} -> {a}");
        }
    }
    assert!(
        t.log.iter().any(
            |e| matches!(&e.event, GameEvent::Moved { actor, .. } if followers.contains(actor))
        )
    );
}

#[test]
fn dash_adds_the_speed_after_its_modifiers() {
    // SRD 5.1 Dash: "you gain extra movement for the current turn. The increase equals your
    // speed, after applying any modifiers." A grappled creature's speed is 0, so Dash adds 0.
    let mut t = combat_with_first("goblin-ambush", "fighter");
    let fighter = id_of(&t, "fighter");
    let before = t.combat.as_ref().unwrap().budget.movement_left;
    t.combatants
        .iter_mut()
        .find(|c| c.id == fighter)
        .unwrap()
        .conditions
        .insert(emberkeep_shared::content::Condition::Grappled);
    t.submit(fighter, Action::Dash, 0).unwrap();
    assert_eq!(t.combat.as_ref().unwrap().budget.movement_left, before);
}

#[test]
fn an_unconscious_stable_character_s_turn_passes_at_once() {
    // SRD 5.1: a stable creature "doesn't make death saving throws" and is unconscious: it has
    // nothing to do on its turn, so the table does not wait for the turn timeout.
    let mut t = combat_with_first("goblin-ambush", "fighter");
    let rogue = id_of(&t, "rogue");
    {
        let r = t.combatants.iter_mut().find(|c| c.id == rogue).unwrap();
        r.hp = 0;
        r.conditions
            .insert(emberkeep_shared::content::Condition::Unconscious);
        r.conditions
            .insert(emberkeep_shared::content::Condition::Stable);
    }
    for _ in 0..20 {
        if t.active() == Some(rogue) {
            panic!("the stable rogue's turn waits");
        }
        let Some(active) = t.active() else { break };
        if t.combatant(active).unwrap().is_pc {
            t.submit(active, Action::EndTurn, 0).unwrap();
        } else {
            let plan = t.plan_for(active);
            t.play_npc_turn(active, plan, 0);
        }
        decline_reactions(&mut t);
    }
    assert!(
        t.log
            .iter()
            .any(|e| matches!(e.event, GameEvent::TurnStarted { actor, .. } if actor == rogue)),
        "the rogue's turn came and went"
    );
}
