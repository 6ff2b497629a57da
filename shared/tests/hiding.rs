//! Hiding (SRD 5.1 "Hide", "Hiding", "Passive Checks", "Unseen Attackers and Targets") and the
//! size limit of shoves and grapples, quoting the rules they check.

use emberkeep_shared::content::{ContentLibrary, Feature, Size};
use emberkeep_shared::dice::Advantage;
use emberkeep_shared::event::GameEvent;
use emberkeep_shared::grid::{GridPos, MapGrid, Terrain};
use emberkeep_shared::table::Side;
use emberkeep_shared::table::{Action, AttackShape, CombatantId, FeatureUse, RejectCode, Table};

fn lib() -> ContentLibrary {
    ContentLibrary::load_dir(
        &emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets"),
    )
    .unwrap()
}

/// The goblin ambush on an open 20×12 floor with a wall at x = 8 (rows 2..=9): the rogue at
/// (`rogue_x`, 5), one goblin at (12, 5), everyone else far off and out of the way, combat
/// started with the rogue to act.
fn rogue_and_goblin(
    lib: &ContentLibrary,
    level: u32,
    rogue_x: i32,
    seed: u64,
) -> (Table, CombatantId, CombatantId) {
    for s in seed..seed + 3000 {
        let mut t = Table::new_at_level(lib, "goblin-ambush", s, 60_000, Some(level)).unwrap();
        t.map = MapGrid::open(20, 12);
        for y in 2..=9 {
            t.map.set(GridPos::new(8, y), Terrain::Wall);
        }
        let rogue = t
            .combatants
            .iter()
            .find(|c| c.source == "rogue")
            .unwrap()
            .id;
        let goblin = t
            .combatants
            .iter()
            .find(|c| c.source == "goblin")
            .unwrap()
            .id;
        // Everyone else stands at the bottom-left corner region, on the rogue's side, except
        // other foes who are removed from the fight (far and dead would end it; out of view
        // behind the wall's end is enough: they are put at the top-left, unconscious).
        for (i, c) in t.combatants.iter_mut().enumerate() {
            c.hidden = false;
            if c.id == rogue {
                c.pos = GridPos::new(rogue_x, 5);
            } else if c.id == goblin {
                c.pos = GridPos::new(12, 5);
            } else if c.side == Side::Foe {
                c.hp = 0;
                c.pos = GridPos::new(19, i as i32 % 12);
            } else {
                c.pos = GridPos::new(i as i32, 11);
            }
        }
        t.start_combat(0, "test".into());
        if t.active() == Some(rogue) {
            return (t, rogue, goblin);
        }
    }
    panic!("no seed puts the rogue first");
}

fn last_check(t: &Table) -> (i32, Option<i32>, bool) {
    t.log
        .iter()
        .rev()
        .find_map(|e| match &e.event {
            GameEvent::AbilityCheck { what, roll, .. } if what.contains("hide") => {
                Some((roll.total, roll.dc, roll.success))
            }
            _ => None,
        })
        .expect("a Stealth check")
}

#[test]
fn you_cannot_hide_from_a_creature_that_sees_you_clearly() {
    // SRD 5.1 Hiding: "You can't hide from a creature that can see you clearly".
    let lib = lib();
    let (mut t, rogue, _) = rogue_and_goblin(&lib, 1, 10, 0);
    let before = t.clone();
    let r = t.submit(rogue, Action::Hide, 0).unwrap_err();
    assert_eq!(r.code, RejectCode::NotAllowed);
    assert!(r.reason.contains("sees you clearly"), "{}", r.reason);
    assert_eq!(t.combatants, before.combatants, "nothing changed");
    assert!(!t.turn_budget().unwrap().action_used);
}

#[test]
fn hiding_is_stealth_against_passive_perception_and_gives_advantage_until_you_attack() {
    // SRD 5.1 Hide: "you make a Dexterity (Stealth) check in an attempt to hide"; Passive
    // Checks: the DM "compares your Dexterity (Stealth) check with that creature's passive
    // Wisdom (Perception) score" (goblin: Wis 8, passive Perception 9); Unseen Attackers and
    // Targets: "When a creature can't see you, you have advantage on attack rolls against it.
    // If you are hidden … you give away your location when the attack hits or misses."
    let lib = lib();
    let (mut hidden, mut seen) = (0, 0);
    for seed in 0..30 {
        let (mut t, rogue, goblin) = rogue_and_goblin(&lib, 1, 6, seed * 13);
        assert!(!t.sees_clearly(goblin, rogue), "the wall is between them");
        t.submit(rogue, Action::Hide, 0).unwrap();
        assert!(
            t.turn_budget().unwrap().action_used,
            "Hide takes the action"
        );
        let (total, dc, success) = last_check(&t);
        assert_eq!(dc, Some(9), "the goblin's passive Perception is the DC");
        assert_eq!(success, total >= 9);
        if !success {
            seen += 1;
            assert_eq!(t.stealth_of(rogue), None);
            continue;
        }
        hidden += 1;
        assert_eq!(t.stealth_of(rogue), Some(total));
        assert!(t.hidden_from(rogue, goblin) == (total > 9));
        if total <= 9 {
            continue;
        }
        // Hidden from the goblin: the rogue's attacks have advantage, the goblin's
        // disadvantage (nothing else grants either here).
        let shape = AttackShape::new(emberkeep_shared::content::AttackKind::Ranged, 80);
        assert_eq!(
            t.attack_advantage(rogue, goblin, shape),
            Advantage::Advantage
        );
        assert_eq!(
            t.attack_advantage(
                goblin,
                rogue,
                AttackShape::new(emberkeep_shared::content::AttackKind::Ranged, 80)
            ),
            Advantage::Disadvantage
        );
        // Still hidden after stepping along behind the wall (the goblin sees only the wall).
        t.submit(
            rogue,
            Action::Move {
                path: vec![GridPos::new(6, 6)],
            },
            0,
        )
        .unwrap();
        assert!(t.stealth_of(rogue).is_some());
        // Stepping out past the wall's end into the goblin's sight gives it away.
        let mut out = t.clone();
        out.combatants
            .iter_mut()
            .find(|c| c.id == rogue)
            .unwrap()
            .pos = GridPos::new(7, 10);
        out.submit(
            rogue,
            Action::Move {
                path: vec![GridPos::new(8, 10)],
            },
            0,
        )
        .unwrap();
        assert!(out.sees_clearly(goblin, rogue));
        assert_eq!(
            out.stealth_of(rogue),
            None,
            "seen clearly: no longer hidden"
        );
    }
    assert!(hidden > 0 && seen > 0, "hidden {hidden}, seen {seen}");
}

#[test]
fn an_attack_from_hiding_has_advantage_and_gives_the_attacker_away() {
    let lib = lib();
    let mut checked = 0;
    for seed in 0..40 {
        let (mut t, rogue, goblin) = rogue_and_goblin(&lib, 2, 6, seed * 17);
        t.submit(rogue, Action::Feature(FeatureUse::BonusHide), 0)
            .unwrap();
        assert!(
            t.turn_budget().unwrap().bonus_action_used,
            "Cunning Action: Hide as a bonus action"
        );
        if !t.hidden_from(rogue, goblin) {
            continue;
        }
        // A gap opens in the wall (nothing has moved yet, so the rogue is still hidden): it
        // shoots through it.
        let mut shot = t.clone();
        shot.map.set(GridPos::new(8, 5), Terrain::Floor);
        let attack = shot
            .attacks_of(rogue)
            .iter()
            .position(|a| a.kind == emberkeep_shared::content::AttackKind::Ranged)
            .expect("a shortbow");
        shot.submit(
            rogue,
            Action::Attack {
                target: goblin,
                attack,
            },
            0,
        )
        .unwrap();
        let a = shot
            .log
            .iter()
            .rev()
            .find_map(|e| match &e.event {
                GameEvent::Attacked(a) => Some(a.clone()),
                _ => None,
            })
            .unwrap();
        assert_eq!(a.roll.d20.advantage, Advantage::Advantage);
        assert_eq!(shot.stealth_of(rogue), None, "the attack gave it away");
        checked += 1;
    }
    assert!(checked > 0);
}

#[test]
fn bonus_action_hide_needs_cunning_action_and_hiding_ends_with_the_fight() {
    let lib = lib();
    let (t, rogue, _) = rogue_and_goblin(&lib, 1, 6, 0);
    let r = t.check_feature(rogue, FeatureUse::BonusHide).unwrap_err();
    assert_eq!(r.code, RejectCode::NotAllowed, "{}", r.reason);
    let r = t.check_hide(rogue, true).unwrap_err();
    assert_eq!(r.code, RejectCode::NotAllowed);
    for seed in 0..40 {
        let (mut t, rogue, goblin) = rogue_and_goblin(&lib, 2, 6, seed * 3);
        t.submit(rogue, Action::Hide, 0).unwrap();
        if t.stealth_of(rogue).is_none() {
            continue;
        }
        let r = t.check_hide(rogue, true).unwrap_err();
        assert!(r.reason.contains("already hidden"), "{}", r.reason);
        let _ = goblin;
        t.end_combat(0).unwrap();
        assert_eq!(t.stealth_of(rogue), None, "hiding ends with the fight");
        return;
    }
    panic!("never hidden");
}

#[test]
fn a_naturally_stealthy_halfling_hides_behind_a_larger_creature() {
    // SRD 5.1 Lightfoot Halfling, Naturally Stealthy: "You can attempt to hide even when you
    // are obscured only by a creature that is at least one size larger than you."
    let lib = lib();
    let (mut t, rogue, goblin) = rogue_and_goblin(&lib, 1, 10, 0);
    // No wall in the way: the fighter (Medium) stands between them, the rogue Small.
    for y in 0..12 {
        t.map.set(GridPos::new(8, y), Terrain::Floor);
    }
    let fighter = t
        .combatants
        .iter()
        .find(|c| c.source == "fighter")
        .unwrap()
        .id;
    t.combatants
        .iter_mut()
        .find(|c| c.id == fighter)
        .unwrap()
        .pos = GridPos::new(11, 5);
    t.combatants
        .iter_mut()
        .find(|c| c.id == goblin)
        .unwrap()
        .pos = GridPos::new(13, 5);
    let r = t.check_hide(rogue, false);
    assert!(
        r.is_err(),
        "a plain halfling behind a fighter is only half covered"
    );
    let me = t.combatants.iter_mut().find(|c| c.id == rogue).unwrap();
    assert_eq!(me.size, Size::Small, "halflings are Small");
    me.features.push(Feature::NaturallyStealthy);
    assert!(!t.sees_clearly(goblin, rogue));
    t.check_hide(rogue, false).unwrap();
}

#[test]
fn shoves_and_grapples_reach_at_most_one_size_larger() {
    // SRD 5.1 Grappling and Shoving a Creature: "The target of your grapple must be no more
    // than one size larger than you"; "The target must be no more than one size larger than
    // you."
    let lib = lib();
    let (mut t, rogue, goblin) = rogue_and_goblin(&lib, 1, 11, 0);
    assert_eq!(t.combatant(rogue).unwrap().size, Size::Small);
    t.combatants
        .iter_mut()
        .find(|c| c.id == goblin)
        .unwrap()
        .size = Size::Large;
    let r = t.check_contest(rogue, goblin).unwrap_err();
    assert_eq!(r.code, RejectCode::NotAllowed);
    assert!(r.reason.contains("too big"), "{}", r.reason);
    let r = t
        .clone()
        .submit(rogue, Action::Grapple { target: goblin }, 0)
        .unwrap_err();
    assert_eq!(r.code, RejectCode::NotAllowed);
    t.combatants
        .iter_mut()
        .find(|c| c.id == goblin)
        .unwrap()
        .size = Size::Medium;
    t.check_contest(rogue, goblin).unwrap();
}
