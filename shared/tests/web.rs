//! Web's webs on the map (SRD 5.1): a 20-foot cube of difficult terrain while the caster
//! concentrates; a Dexterity save for a creature that starts its turn in them or enters them
//! on its turn, restraining it while it stays in them; a Strength check to break free. Each
//! test quotes the SRD text it checks; the dice are seeded.

use emberkeep_shared::content::{Ability, Condition, ContentLibrary};
use emberkeep_shared::event::GameEvent;
use emberkeep_shared::grid::{GridPos, MapGrid};
use emberkeep_shared::table::{Action, CombatantId, RejectCode, Table};

fn lib() -> ContentLibrary {
    ContentLibrary::load_dir(
        &emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets"),
    )
    .unwrap()
}

fn id_of(t: &Table, source: &str) -> CombatantId {
    t.combatants.iter().find(|c| c.source == source).unwrap().id
}

/// The goblin ambush on an open 30×30 floor at level 3, in combat with the wizard active: the
/// party in a column at x = 2, the goblins in a column at x = 8 (30 ft away).
fn fight(seed: u64) -> Table {
    for s in seed..seed + 500 {
        let mut t = Table::new_at_level(&lib(), "goblin-ambush", s, 60_000, Some(3)).unwrap();
        t.map = MapGrid::open(30, 30);
        let (mut party, mut foes) = (0, 0);
        for c in &mut t.combatants {
            c.hidden = false;
            if c.is_pc {
                c.pos = GridPos::new(2, 2 + 2 * party);
                party += 1;
            } else {
                c.pos = GridPos::new(8, 2 + 2 * foes);
                foes += 1;
            }
        }
        t.start_combat(0, "test".into());
        if t.active() == Some(id_of(&t, "wizard")) {
            return t;
        }
    }
    panic!("no seed puts the wizard first");
}

fn goblins(t: &Table) -> Vec<CombatantId> {
    t.combatants
        .iter()
        .filter(|c| c.source == "goblin")
        .map(|c| c.id)
        .collect()
}

fn place(t: &mut Table, id: CombatantId, x: i32, y: i32) {
    t.combatants.iter_mut().find(|c| c.id == id).unwrap().pos = GridPos::new(x, y);
}

fn events_since(t: &Table, seq: u64) -> Vec<GameEvent> {
    t.log
        .iter()
        .filter(|e| e.seq >= seq)
        .map(|e| e.event.clone())
        .collect()
}

fn restrained(t: &Table, id: CombatantId) -> bool {
    t.combatant(id)
        .unwrap()
        .conditions
        .contains(&Condition::Restrained)
}

/// Webs cast at `at` by the wizard (a 20-ft cube: 4×4 squares from `at` − 2).
fn webbed(seed: u64, at: GridPos) -> (Table, CombatantId) {
    let mut t = fight(seed);
    let wizard = id_of(&t, "wizard");
    t.submit(
        wizard,
        Action::Cast {
            spell: "web".into(),
            slot: 2,
            targets: vec![],
            at: Some(at),
        },
        0,
    )
    .unwrap();
    (t, wizard)
}

/// Ends turns until it is `who`'s turn.
fn to_turn_of(t: &mut Table, who: CombatantId) {
    for _ in 0..20 {
        if t.active() == Some(who) {
            return;
        }
        let a = t.active().unwrap();
        t.submit(a, Action::EndTurn, 0).unwrap();
    }
    panic!("{who} never gets a turn");
}

/// The Dexterity saves against Web since `seq`: (who, success).
fn web_saves(t: &Table, seq: u64) -> Vec<(CombatantId, bool)> {
    events_since(t, seq)
        .iter()
        .filter_map(|e| match e {
            GameEvent::Saved {
                actor,
                against,
                ability,
                roll,
            } if against == "Web" => {
                assert_eq!(*ability, Ability::Dex);
                assert_eq!(roll.dc, Some(13), "8 + 2 + Int 3");
                Some((*actor, roll.success))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn the_webs_fill_a_20_foot_cube_of_difficult_terrain_while_the_caster_concentrates() {
    // SRD 5.1 Web: "Duration: Concentration, up to 1 hour … The webs fill a 20-foot cube from
    // that point for the duration. The webs are difficult terrain". SRD 5.1 "Difficult
    // Terrain": "Every foot of movement in difficult terrain costs 1 extra foot."
    let (t, wizard) = webbed(1, GridPos::new(14, 14));
    assert_eq!(
        t.combatant(wizard).unwrap().concentrating.as_deref(),
        Some("Web")
    );
    assert_eq!(t.zones.len(), 1);
    let squares: Vec<GridPos> = (12..16)
        .flat_map(|y| (12..16).map(move |x| GridPos::new(x, y)))
        .collect();
    assert_eq!(t.zones[0].squares, squares, "4×4 squares");
    assert_eq!(t.map.spell_difficult.len(), 16);
    // The one path cost: 10 ft into a webbed square, 5 ft beside it.
    assert_eq!(
        t.map.step_cost(GridPos::new(11, 12), GridPos::new(12, 12)),
        Some(10)
    );
    assert_eq!(
        t.map.step_cost(GridPos::new(12, 11), GridPos::new(13, 11)),
        Some(5)
    );
    // The planners' reach (and the client's preview, built on it) counts it the same.
    let board = t.board();
    let me = board.units.iter().find(|u| u.id == wizard).unwrap().clone();
    let mut from_edge = me.clone();
    from_edge.pos = GridPos::new(11, 13);
    let reach = board.reach(&from_edge, 30);
    assert_eq!(reach[&GridPos::new(12, 13)], 10);
    assert_eq!(reach[&GridPos::new(14, 13)], 30, "three webbed squares");
    assert!(!reach.contains_key(&GridPos::new(15, 13)));
    // Ending concentration ends the webs.
    let mut t = t;
    let from = t.next_seq;
    t.submit(wizard, Action::EndConcentration, 0).unwrap();
    assert!(t.zones.is_empty() && t.map.spell_difficult.is_empty());
    assert!(
        events_since(&t, from)
            .iter()
            .any(|e| matches!(e, GameEvent::ZoneEnded { source, .. } if source == "Web"))
    );
}

#[test]
fn a_creature_that_starts_its_turn_in_the_webs_saves_or_is_restrained() {
    // SRD 5.1 Web: "Each creature that starts its turn in the webs or that enters them during
    // its turn must make a Dexterity saving throw. On a failed save, the creature is
    // restrained as long as it remains in the webs or until it breaks free." Restrained:
    // "A restrained creature's speed becomes 0".
    let (mut failed, mut saved) = (0, 0);
    for seed in 0..30 {
        // The cube from (8, 6) − 2: x 6–9, y 4–7 holds the goblins at (8, 4) and (8, 6).
        let (mut t, _) = webbed(seed * 13, GridPos::new(8, 6));
        let caught = [goblins(&t)[1], goblins(&t)[2]];
        // Nobody saves when the webs appear: only at the start of a turn or on entering.
        assert!(web_saves(&t, 0).is_empty());
        assert!(caught.iter().all(|g| !restrained(&t, *g)));
        let goblin = caught[0];
        let from = t.next_seq;
        to_turn_of(&mut t, goblin);
        let saves: Vec<bool> = web_saves(&t, from)
            .into_iter()
            .filter(|(who, _)| *who == goblin)
            .map(|(_, ok)| ok)
            .collect();
        assert_eq!(saves.len(), 1, "one save as its turn starts");
        let step = Action::Move {
            path: vec![GridPos::new(9, 3)],
        };
        if saves[0] {
            saved += 1;
            assert!(!restrained(&t, goblin));
            t.clone().submit(goblin, step, 0).unwrap();
        } else {
            failed += 1;
            assert!(restrained(&t, goblin));
            let r = t.clone().submit(goblin, step, 0).unwrap_err();
            assert_eq!(r.code, RejectCode::NotEnoughMovement);
            // A creature already held does not save again at its next turn.
            let from = t.next_seq;
            t.submit(goblin, Action::EndTurn, 0).unwrap();
            let me = id_of(&t, "wizard");
            to_turn_of(&mut t, me);
            t.submit(me, Action::EndTurn, 0).unwrap();
            to_turn_of(&mut t, goblin);
            assert!(
                web_saves(&t, from).iter().all(|(who, _)| *who != goblin),
                "held, it does not save again"
            );
        }
    }
    assert!(failed > 0 && saved > 0, "failed {failed}, saved {saved}");
}

#[test]
fn a_creature_entering_the_webs_on_its_turn_saves_and_is_stopped_on_a_failure() {
    // SRD 5.1 Web: "Each creature … that enters them during its turn must make a Dexterity
    // saving throw. On a failed save, the creature is restrained".
    let (mut stopped, mut through) = (0, 0);
    for seed in 0..30 {
        let (mut t, _) = webbed(seed * 17, GridPos::new(14, 14));
        let goblin = goblins(&t)[0];
        place(&mut t, goblin, 10, 13);
        to_turn_of(&mut t, goblin);
        let from = t.next_seq;
        // Into the webs at (12, 13), on to (13, 13): 5 + 10 + 10 ft.
        t.submit(
            goblin,
            Action::Move {
                path: vec![
                    GridPos::new(11, 13),
                    GridPos::new(12, 13),
                    GridPos::new(13, 13),
                ],
            },
            0,
        )
        .unwrap();
        let saves = web_saves(&t, from);
        assert_eq!(saves.len(), 1, "one save, on entering");
        let at = t.combatant(goblin).unwrap().pos;
        let left = t.turn_budget().unwrap().movement_left;
        if saves[0].1 {
            through += 1;
            assert_eq!(at, GridPos::new(13, 13));
            assert_eq!(left, 30 - 25, "webbed squares cost double");
        } else {
            stopped += 1;
            assert_eq!(at, GridPos::new(12, 13), "stopped where it was caught");
            assert!(restrained(&t, goblin));
            assert_eq!(left, 30 - 15);
        }
    }
    assert!(
        stopped > 0 && through > 0,
        "stopped {stopped}, through {through}"
    );
}

/// A goblin restrained by the webs on its own turn: (table, goblin).
fn caught_goblin(seed: u64) -> Option<(Table, CombatantId)> {
    let (mut t, _) = webbed(seed, GridPos::new(8, 6));
    let goblin = goblins(&t)[2];
    to_turn_of(&mut t, goblin);
    restrained(&t, goblin).then_some((t, goblin))
}

#[test]
fn a_restrained_creature_breaks_free_with_its_action_and_a_strength_check() {
    // SRD 5.1 Web: "A creature restrained by the webs can use its action to make a Strength
    // check against your spell save DC. If it succeeds, it is no longer restrained."
    let (mut freed, mut stuck) = (0, 0);
    for seed in 0..80 {
        let Some((mut t, goblin)) = caught_goblin(seed * 7) else {
            continue;
        };
        let from = t.next_seq;
        t.submit(goblin, Action::BreakFree, 0).unwrap();
        let check = events_since(&t, from)
            .iter()
            .find_map(|e| match e {
                GameEvent::AbilityCheck {
                    actor,
                    ability,
                    roll,
                    ..
                } if *actor == goblin => Some((*ability, *roll)),
                _ => None,
            })
            .expect("a check");
        assert_eq!(check.0, Ability::Str);
        assert_eq!(check.1.bonus, -1, "goblin Strength 8");
        assert_eq!(check.1.dc, Some(13));
        assert!(t.turn_budget().unwrap().action_used, "it takes the action");
        assert_eq!(restrained(&t, goblin), !check.1.success);
        if check.1.success {
            freed += 1;
            // Free, it walks out of the webs at double cost.
            t.submit(
                goblin,
                Action::Move {
                    path: vec![GridPos::new(9, 5)],
                },
                0,
            )
            .unwrap();
        } else {
            stuck += 1;
        }
        let again = t.clone().submit(goblin, Action::BreakFree, 0).unwrap_err();
        assert!(matches!(
            again.code,
            RejectCode::NoActionLeft | RejectCode::WrongMode
        ));
    }
    assert!(freed > 0 && stuck > 0, "freed {freed}, stuck {stuck}");
}

#[test]
fn restraint_ends_when_the_creature_leaves_the_webs_or_the_webs_end() {
    // SRD 5.1 Web: "restrained as long as it remains in the webs"; the spell lasts while the
    // caster concentrates.
    let mut pushed_out = false;
    for seed in 0..80 {
        let Some((mut t, goblin)) = caught_goblin(seed * 5) else {
            continue;
        };
        // Shoved out of the webs by the fighter on the inner side, it is free.
        let fighter = id_of(&t, "fighter");
        place(&mut t, goblin, 9, 6);
        place(&mut t, fighter, 8, 6);
        to_turn_of(&mut t, fighter);
        if !restrained(&t, goblin) {
            continue;
        }
        let mut out = t.clone();
        out.submit(
            fighter,
            Action::Shove {
                target: goblin,
                prone: false,
            },
            0,
        )
        .unwrap();
        if out.combatant(goblin).unwrap().pos == GridPos::new(10, 6) {
            assert!(!restrained(&out, goblin), "out of the webs, free");
            pushed_out = true;
        }
        // The wizard's concentration broken: the webs and their hold are gone.
        let wizard = id_of(&t, "wizard");
        t.submit(fighter, Action::EndTurn, 0).unwrap();
        to_turn_of(&mut t, wizard);
        t.submit(wizard, Action::EndConcentration, 0).unwrap();
        assert!(!restrained(&t, goblin));
        assert!(t.zones.is_empty());
        if pushed_out {
            return;
        }
    }
    panic!("the fighter never shoved a held goblin out");
}

#[test]
fn a_held_creature_with_no_foe_in_reach_breaks_free_and_the_wizard_casts_web_on_a_crowd() {
    // The built-in tactics: a goblin held in the webs with only its scimitar and no foe beside
    // it pulls free; a wizard companion drops the webs where they catch two foes and no friend.
    let (mut t, goblin) = (0..80)
        .find_map(|seed| caught_goblin(seed * 3))
        .expect("a goblin caught");
    t.combatants
        .iter_mut()
        .find(|c| c.id == goblin)
        .unwrap()
        .attacks
        .retain(|a| a.name == "Scimitar");
    assert_eq!(t.plan_for(goblin).first(), Some(&Action::BreakFree));
    let mut t = fight(2);
    let wizard = id_of(&t, "wizard");
    let casting = t
        .combatants
        .iter_mut()
        .find(|c| c.id == wizard)
        .unwrap()
        .casting
        .as_mut()
        .unwrap();
    casting.spells = vec!["fire-bolt".into(), "web".into()];
    let options = emberkeep_shared::tactics::spell_options(&t, wizard);
    assert!(
        options.iter().any(|o| o.label.starts_with("Cast Web")),
        "{:?}",
        options.iter().map(|o| &o.label).collect::<Vec<_>>()
    );
}
