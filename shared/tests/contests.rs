//! Shoving and grappling (SRD 5.1 "Contests in Combat"), quoting the rules they check.

use emberkeep_shared::content::{Condition, ContentLibrary};
use emberkeep_shared::event::GameEvent;
use emberkeep_shared::grid::{GridPos, MapGrid};
use emberkeep_shared::table::{Action, CombatantId, RejectCode, Table};

fn fighter_beside_a_goblin(seed: u64) -> (Table, CombatantId, CombatantId) {
    let lib = ContentLibrary::load_dir(
        &emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets"),
    )
    .unwrap();
    for s in seed..seed + 2000 {
        let mut t = Table::new(&lib, "goblin-ambush", s, 60_000).unwrap();
        t.map = MapGrid::open(20, 12);
        for (i, c) in t.combatants.iter_mut().enumerate() {
            c.hidden = false;
            c.pos = GridPos::new(1 + 2 * i as i32, 10);
        }
        let fighter = t
            .combatants
            .iter()
            .find(|c| c.source == "fighter")
            .unwrap()
            .id;
        let goblin = t
            .combatants
            .iter()
            .find(|c| c.source == "goblin")
            .unwrap()
            .id;
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
        t.start_combat(0, "test".into());
        if t.active() == Some(fighter) {
            return (t, fighter, goblin);
        }
    }
    panic!("no seed puts the fighter first");
}

fn contest_result(t: &Table) -> (i32, i32, bool) {
    t.log
        .iter()
        .rev()
        .find_map(|e| match &e.event {
            GameEvent::Contest {
                actor_roll,
                target_roll,
                won,
                ..
            } => Some((actor_roll.total, target_roll.total, *won)),
            _ => None,
        })
        .unwrap()
}

#[test]
fn a_shove_is_athletics_against_athletics_or_acrobatics_and_knocks_prone_or_pushes() {
    // SRD 5.1 Shoving a Creature: "you make a Strength (Athletics) check contested by the
    // target's Strength (Athletics) or Dexterity (Acrobatics) check (the target chooses the
    // ability to use). If you win the contest, you either knock the target prone or push it 5
    // feet away from you." Fighter Athletics +5; goblin Acrobatics +2 (Dex 14).
    let (mut prone, mut pushed) = (0, 0);
    for seed in 0..40 {
        let (mut t, fighter, goblin) = fighter_beside_a_goblin(seed * 11);
        let knock = seed % 2 == 0;
        t.submit(
            fighter,
            Action::Shove {
                target: goblin,
                prone: knock,
            },
            0,
        )
        .unwrap();
        let (a, d, won) = contest_result(&t);
        assert_eq!(won, a > d, "a tie keeps things as they were");
        let g = t.combatant(goblin).unwrap();
        if won && knock {
            prone += 1;
            assert!(g.conditions.contains(&Condition::Prone));
        } else if won {
            pushed += 1;
            assert_eq!(g.pos, GridPos::new(7, 5), "pushed 5 ft straight away");
        } else {
            assert_eq!(g.pos, GridPos::new(6, 5));
            assert!(!g.conditions.contains(&Condition::Prone));
        }
        assert!(
            t.turn_budget().unwrap().action_used,
            "it takes the attack action"
        );
    }
    assert!(prone > 0 && pushed > 0);
}

#[test]
fn a_grapple_holds_until_an_escape_or_the_grappler_moves_away() {
    // SRD 5.1 Grappling: "If you succeed, you subject the target to the grappled condition";
    // Grappled: "A grappled creature's speed becomes 0"; "The condition also ends if an
    // effect removes the grappled creature from the reach of the grappler"; Escaping a
    // Grapple: "a Strength (Athletics) or Dexterity (Acrobatics) check contested by your
    // Strength (Athletics) check".
    for seed in 0..60 {
        let (mut t, fighter, goblin) = fighter_beside_a_goblin(seed * 7);
        t.submit(fighter, Action::Grapple { target: goblin }, 0)
            .unwrap();
        if !contest_result(&t).2 {
            continue;
        }
        assert!(
            t.combatant(goblin)
                .unwrap()
                .conditions
                .contains(&Condition::Grappled)
        );
        assert_eq!(t.speed_now(goblin), 0);
        // Out of reach of its grappler, the grapple ends.
        let r = t.clone().submit(goblin, Action::Escape, 0).unwrap_err();
        assert_eq!(r.code, RejectCode::NotYourTurn, "only on its own turn");
        t.submit(
            fighter,
            Action::Move {
                path: vec![GridPos::new(4, 5)],
            },
            0,
        )
        .unwrap();
        assert!(
            !t.combatant(goblin)
                .unwrap()
                .conditions
                .contains(&Condition::Grappled)
        );
        return;
    }
    panic!("the fighter never won a grapple");
}

#[test]
fn the_frightened_cannot_move_closer_and_the_charmed_cannot_attack_the_charmer() {
    // SRD 5.1 Appendix A: Frightened — "The creature can't willingly move closer to the
    // source of its fear." Charmed — "A charmed creature can't attack the charmer".
    use emberkeep_shared::table::{ActiveEffect, Ends, Lasting};
    let (mut t, fighter, goblin) = fighter_beside_a_goblin(1);
    t.combatants
        .iter_mut()
        .find(|c| c.id == goblin)
        .unwrap()
        .pos = GridPos::new(9, 5);
    for (what, from) in [
        (Condition::Frightened, goblin),
        (Condition::Charmed, goblin),
    ] {
        let f = t.combatants.iter_mut().find(|c| c.id == fighter).unwrap();
        f.conditions.insert(what);
        f.effects.push(ActiveEffect {
            source: "test".into(),
            caster: from,
            what: Lasting::Condition(what),
            ends: Ends::Never,
            concentration: false,
            save_ends: None,
        });
    }
    let closer = t.clone().submit(
        fighter,
        Action::Move {
            path: vec![GridPos::new(6, 5)],
        },
        0,
    );
    assert_eq!(closer.unwrap_err().code, RejectCode::InvalidPath);
    t.clone()
        .submit(
            fighter,
            Action::Move {
                path: vec![GridPos::new(4, 5)],
            },
            0,
        )
        .unwrap();
    t.combatants
        .iter_mut()
        .find(|c| c.id == goblin)
        .unwrap()
        .pos = GridPos::new(6, 5);
    let r = t
        .submit(
            fighter,
            Action::Attack {
                target: goblin,
                attack: 0,
            },
            0,
        )
        .unwrap_err();
    assert!(r.reason.contains("charmed"), "{}", r.reason);
}
