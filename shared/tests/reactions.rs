//! Reactions offered to players: Shield and opportunity attacks, with a window that never
//! blocks the table.

use emberkeep_shared::content::ContentLibrary;
use emberkeep_shared::event::{Audience, GameEvent};
use emberkeep_shared::grid::{GridPos, MapGrid};
use emberkeep_shared::table::{Action, CombatantId, RejectCode, Table};

fn lib() -> ContentLibrary {
    ContentLibrary::load_dir(
        &emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets"),
    )
    .unwrap()
}

/// A goblin's shortbow has just hit the wizard, whose player is asked about Shield.
fn asked(seed: u64, companion: bool) -> Option<(Table, CombatantId, CombatantId)> {
    let mut t = Table::new(&lib(), "goblin-ambush", seed, 60_000).unwrap();
    t.map = MapGrid::open(20, 12);
    for (i, c) in t.combatants.iter_mut().enumerate() {
        c.hidden = false;
        c.pos = GridPos::new(if c.is_pc { 2 } else { 9 }, 1 + i as i32);
    }
    let wizard = t
        .combatants
        .iter()
        .find(|c| c.source == "wizard")
        .unwrap()
        .id;
    t.set_companion(wizard, companion, 0);
    t.start_combat(0, "test".into());
    let goblin = t.active().filter(|a| !t.combatant(*a).unwrap().is_pc)?;
    let bow = t
        .combatant(goblin)
        .unwrap()
        .attacks
        .iter()
        .position(|a| a.name == "Shortbow")?;
    t.submit(
        goblin,
        Action::Attack {
            target: wizard,
            attack: bow,
        },
        0,
    )
    .ok()?;
    Some((t, goblin, wizard))
}

#[test]
fn shield_is_offered_to_the_player_and_the_answer_resumes_the_attack() {
    // SRD 5.1 Shield: "1 reaction, which you take when you are hit by an attack … Until the
    // start of your next turn, you have a +5 bonus to AC, including against the triggering
    // attack."
    let (mut checked, mut turned) = (0, 0);
    for seed in 0..200 {
        let Some((mut t, goblin, wizard)) = asked(seed, false) else {
            continue;
        };
        let Some(p) = t.pending.clone() else { continue };
        checked += 1;
        assert_eq!(p.reactor, wizard);
        let offer = t.log.back().unwrap();
        assert!(matches!(offer.event, GameEvent::ReactionOffered { .. }));
        assert_eq!(
            offer.audience,
            Audience::Seats(vec!["wizard".into()]),
            "only the wizard's seat is asked"
        );
        // The table takes nothing else meanwhile, with a reason.
        let r = t.submit(goblin, Action::EndTurn, 0).unwrap_err();
        assert_eq!(r.code, RejectCode::NotYourTurn);
        assert!(r.reason.contains("Shield"), "{}", r.reason);
        let hp = t.combatant(wizard).unwrap().hp;
        t.submit(wizard, Action::React { take: true }, 0).unwrap();
        assert!(t.pending.is_none());
        let w = t.combatant(wizard).unwrap();
        assert!(w.reaction_used);
        assert_eq!(w.casting.as_ref().unwrap().used, vec![1]);
        assert_eq!(t.ac_now(wizard), 13 + 5);
        let last_attack = t
            .log
            .iter()
            .rev()
            .find_map(|e| match &e.event {
                GameEvent::Attacked(a) => Some(a.clone()),
                _ => None,
            })
            .unwrap();
        assert_eq!(last_attack.roll.ac, p.roll.unwrap().ac + 5);
        if last_attack.roll.hit {
            assert!(
                last_attack.roll.total >= last_attack.roll.ac || last_attack.roll.d20.natural == 20
            );
        } else {
            turned += 1;
            assert_eq!(
                t.combatant(wizard).unwrap().hp,
                hp,
                "a turned blow deals nothing"
            );
        }
        // The goblin's turn goes on: it can end it now.
        t.submit(goblin, Action::EndTurn, 0).unwrap();
    }
    assert!(
        checked >= 5 && turned >= 1,
        "checked {checked}, turned {turned}"
    );
}

#[test]
fn a_lapsed_window_takes_the_default_and_companions_decide_at_once() {
    for seed in 0..200 {
        let Some((mut t, _, wizard)) = asked(seed, false) else {
            continue;
        };
        let Some(p) = t.pending.clone() else { continue };
        // Before the deadline nothing moves; at it, the default: Shield if +5 turns the hit.
        t.tick(p.deadline_ms - 1);
        assert!(t.pending.is_some());
        t.tick(p.deadline_ms);
        assert!(t.pending.is_none(), "the window never blocks the table");
        let roll = p.roll.unwrap();
        let turns_it = roll.d20.natural != 20 && roll.total < roll.ac + 5;
        assert_eq!(t.combatant(wizard).unwrap().reaction_used, turns_it);
        // A companion wizard is never asked.
        let (t2, _, _) = asked(seed, true).unwrap();
        assert!(t2.pending.is_none());
        return;
    }
    panic!("no hit on the wizard");
}

/// The fighter stands beside a goblin whose turn it is; the goblin walks away east, out of the
/// fighter's reach. Returns the table with the walk submitted, the goblin and the fighter.
fn walking_away(companion: bool) -> (Table, CombatantId, CombatantId) {
    for seed in 0..100 {
        let mut t = Table::new(&lib(), "goblin-ambush", seed, 60_000).unwrap();
        t.map = MapGrid::open(20, 12);
        let fighter = t
            .combatants
            .iter()
            .find(|c| c.source == "fighter")
            .unwrap()
            .id;
        for (i, c) in t.combatants.iter_mut().enumerate() {
            c.hidden = false;
            c.pos = GridPos::new(if c.is_pc { 1 } else { 15 }, 1 + 2 * i as i32);
        }
        t.set_companion(fighter, companion, 0);
        t.start_combat(0, "test".into());
        let Some(goblin) = t.active().filter(|a| !t.combatant(*a).unwrap().is_pc) else {
            continue;
        };
        t.combatants
            .iter_mut()
            .find(|c| c.id == fighter)
            .unwrap()
            .pos = GridPos::new(5, 5);
        t.combatants
            .iter_mut()
            .find(|c| c.id == goblin)
            .unwrap()
            .pos = GridPos::new(6, 5);
        let path = (7..=9).map(|x| GridPos::new(x, 5)).collect();
        t.submit(goblin, Action::Move { path }, 0).unwrap();
        return (t, goblin, fighter);
    }
    panic!("no goblin went first");
}

fn opportunity_attacks(t: &Table) -> usize {
    t.log
        .iter()
        .filter(|e| matches!(&e.event, GameEvent::Attacked(a) if a.opportunity))
        .count()
}

#[test]
fn an_opportunity_attack_is_offered_and_the_move_waits_for_the_answer() {
    // SRD 5.1 Opportunity Attacks: "You can make an opportunity attack when a hostile creature
    // that you can see moves out of your reach. To make the opportunity attack, you use your
    // reaction to make one melee attack against the provoking creature. The attack occurs
    // right before the creature leaves your reach."
    let (mut t, goblin, fighter) = walking_away(false);
    let p = t.pending.clone().expect("the fighter's player is asked");
    assert_eq!(p.reactor, fighter);
    assert_eq!(p.moving.as_ref().unwrap().mover, goblin);
    assert_eq!(
        t.combatant(goblin).unwrap().pos,
        GridPos::new(6, 5),
        "the goblin waits inside the reach"
    );
    let offer = t.log.back().unwrap();
    assert!(matches!(
        offer.event,
        GameEvent::ReactionOffered { roll: None, .. }
    ));
    assert_eq!(offer.audience, Audience::Seats(vec!["fighter".into()]));
    // Nothing else is taken meanwhile, with a reason.
    let r = t.submit(goblin, Action::EndTurn, 0).unwrap_err();
    assert!(r.reason.contains("opportunity attack"), "{}", r.reason);

    // Strike: one opportunity attack, the reaction spent, and the goblin walks on if it lives.
    let mut strike = t.clone();
    strike
        .submit(fighter, Action::React { take: true }, 0)
        .unwrap();
    assert!(strike.pending.is_none());
    assert_eq!(opportunity_attacks(&strike), 1);
    assert!(strike.combatant(fighter).unwrap().reaction_used);
    let g = strike.combatant(goblin).unwrap();
    if g.is_conscious() {
        assert_eq!(g.pos, GridPos::new(9, 5), "the move goes on after the blow");
    }

    // Decline: no attack, the reaction kept, the goblin walks the whole path.
    let mut pass = t.clone();
    pass.submit(fighter, Action::React { take: false }, 0)
        .unwrap();
    assert_eq!(opportunity_attacks(&pass), 0);
    assert!(!pass.combatant(fighter).unwrap().reaction_used);
    assert_eq!(pass.combatant(goblin).unwrap().pos, GridPos::new(9, 5));
    let moved: u32 = pass
        .log
        .iter()
        .filter_map(|e| match &e.event {
            GameEvent::Moved { actor, feet, .. } if *actor == goblin => Some(*feet),
            _ => None,
        })
        .sum();
    assert_eq!(moved, 15, "three squares, paid once");

    // The window lapses: the default is to strike.
    let mut lapse = t.clone();
    lapse.tick(p.deadline_ms);
    assert!(lapse.pending.is_none(), "the window never blocks the table");
    assert_eq!(opportunity_attacks(&lapse), 1);

    // Someone else answering is refused and changes nothing.
    let mut wrong = t.clone();
    let r = wrong
        .submit(goblin, Action::React { take: true }, 0)
        .unwrap_err();
    assert_eq!(r.code, RejectCode::NotYourTurn);
    assert_eq!(wrong.pending, t.pending);
}

#[test]
fn a_companion_strikes_at_once() {
    let (t, _, fighter) = walking_away(true);
    assert!(t.pending.is_none(), "a companion is never asked");
    assert_eq!(opportunity_attacks(&t), 1);
    assert!(t.combatant(fighter).unwrap().reaction_used);
}
