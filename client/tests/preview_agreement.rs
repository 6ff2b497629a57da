//! The preview and the server agree: on random boards (walls, creatures anywhere, any side's
//! turn), every click the client's preview turns into an intent — a move, an attack, a spell —
//! is accepted by the server's rules, and every attack and spell the server would accept on a
//! creature is offered by a click on it. The client rebuilds the rules from the replicated
//! views exactly as a connected client does.

use emberkeep_client::net::Mirror;
use emberkeep_client::preview::{self, SpellAim};
use emberkeep_shared::content::ContentLibrary;
use emberkeep_shared::dice::rng_from_seed;
use emberkeep_shared::grid::{GridPos, MapGrid, Terrain};
use emberkeep_shared::prelude::*;
use rand::Rng;

fn lib() -> ContentLibrary {
    ContentLibrary::load_dir(
        &emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets"),
    )
    .unwrap()
}

/// What a client sees of `t`: the same views the server replicates.
fn mirror_of(t: &Table) -> Mirror {
    Mirror::of_table("c", t, 0)
}

/// A random board: the goblin ambush on a 14×10 floor with random walls and everyone placed
/// at random, in combat.
fn random_table(seed: u64) -> Table {
    let mut rng = rng_from_seed(seed);
    let mut t = Table::new(&lib(), "goblin-ambush", seed, 60_000).unwrap();
    let mut map = MapGrid::open(14, 10);
    for _ in 0..rng.random_range(0..25) {
        map.set(
            GridPos::new(rng.random_range(0..14), rng.random_range(0..10)),
            Terrain::Wall,
        );
    }
    t.map = map;
    let mut taken = Vec::new();
    for c in &mut t.combatants {
        c.hidden = false;
        loop {
            let p = GridPos::new(rng.random_range(0..14), rng.random_range(0..10));
            if t.map.terrain(p).passable() && !taken.contains(&p) {
                taken.push(p);
                c.pos = p;
                break;
            }
        }
    }
    t.start_combat(0, "test".into());
    t
}

#[test]
fn every_offered_intent_is_accepted_and_every_accepted_attack_or_spell_is_offered() {
    let (mut offered, mut accepted) = (0, 0);
    for seed in 0..60 {
        let t = random_table(seed);
        let Some(me) = t.active() else { continue };
        let mirror = mirror_of(&t);
        let squares: Vec<GridPos> = (0..10)
            .flat_map(|y| (0..14).map(move |x| GridPos::new(x, y)))
            .collect();
        // Clicks: moves and attacks.
        for &sq in &squares {
            if let Ok(action) = preview::click(&mirror, me, sq) {
                offered += 1;
                let mut server = t.clone();
                assert_eq!(
                    server.submit(me, action.clone(), 0).map_err(|r| r.reason),
                    Ok(()),
                    "seed {seed}: the preview offered {action:?} at {sq}"
                );
            }
        }
        // Every attack the server accepts on a creature is offered by clicking it.
        for other in t.combatants.iter().filter(|c| c.id != me && !c.is_dead()) {
            let me_c = t.combatant(me).unwrap();
            if !other.side.hostile_to(me_c.side) {
                continue;
            }
            let server_ok = (0..me_c.attacks.len()).any(|a| {
                t.clone()
                    .submit(
                        me,
                        Action::Attack {
                            target: other.id,
                            attack: a,
                        },
                        0,
                    )
                    .is_ok()
            });
            let click = preview::click(&mirror, me, other.pos);
            if server_ok {
                accepted += 1;
                assert!(
                    matches!(click, Ok(Action::Attack { target, .. }) if target == other.id),
                    "seed {seed}: the server accepts an attack on {} but the click says {click:?}",
                    other.name
                );
            }
        }
        // Spells: every cast the preview builds is accepted; every creature-aimed cast the
        // server accepts is built by clicking the creature.
        for choice in preview::spell_choices(&mirror, me) {
            for &sq in &squares {
                let built = preview::cast_at(&mirror, me, &choice, sq);
                if let Ok((action, _)) = &built {
                    offered += 1;
                    let mut server = t.clone();
                    assert_eq!(
                        server.submit(me, action.clone(), 0).map_err(|r| r.reason),
                        Ok(()),
                        "seed {seed}: the preview built {action:?}"
                    );
                }
                if choice.aim == SpellAim::Creature
                    && let Some(c) = t.combatants.iter().find(|c| c.pos == sq && !c.is_dead())
                {
                    let spell = &t.spells[&choice.id];
                    let targets = vec![c.id; spell.repeat.max(1) as usize];
                    let server_ok = t
                        .clone()
                        .submit(
                            me,
                            Action::Cast {
                                spell: choice.id.clone(),
                                slot: choice.slot,
                                targets,
                                at: None,
                            },
                            0,
                        )
                        .is_ok();
                    if server_ok {
                        accepted += 1;
                        assert!(
                            built.is_ok(),
                            "seed {seed}: {} on {} accepted but not offered",
                            choice.name,
                            c.name
                        );
                    }
                }
            }
        }
    }
    assert!(
        offered > 500 && accepted > 50,
        "offered {offered}, accepted {accepted}"
    );
}
