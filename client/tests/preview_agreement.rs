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
    random_table_at(seed, 1)
}

/// [`random_table`] with the party at `level`.
fn random_table_at(seed: u64, level: u32) -> Table {
    let mut rng = rng_from_seed(seed);
    let mut t = Table::new_at_level(&lib(), "goblin-ambush", seed, 60_000, Some(level)).unwrap();
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

/// A level-3 random board where the cleric holds a spiritual weapon somewhere and the
/// wizard's webs fill a 20-ft cube somewhere, holding those inside every other time.
fn random_table_with_lasting_spells(seed: u64) -> Table {
    use emberkeep_shared::table::{ActiveEffect, ActiveZone, Ends, Lasting};
    let mut t = random_table_at(seed, 3);
    let mut rng = rng_from_seed(seed ^ 0x5eed);
    let mut open_square = |t: &Table| loop {
        let p = GridPos::new(rng.random_range(0..14), rng.random_range(0..10));
        if t.map.terrain(p).passable() {
            return p;
        }
    };
    let (cleric, wizard) = (id_of(&t, "cleric"), id_of(&t, "wizard"));
    let at = open_square(&t);
    t.combatants
        .iter_mut()
        .find(|c| c.id == cleric)
        .unwrap()
        .effects
        .push(ActiveEffect {
            source: "Spiritual Weapon".into(),
            caster: cleric,
            what: Lasting::Weapon {
                spell: "spiritual-weapon".into(),
                at,
                slot: 2,
            },
            ends: Ends::Rounds(10),
            concentration: false,
            save_ends: None,
        });
    let centre = open_square(&t);
    let squares: Vec<GridPos> = emberkeep_shared::areas::cube_at(20, centre)
        .into_iter()
        .filter(|p| t.map.in_bounds(*p) && t.map.terrain(*p).passable())
        .collect();
    t.zones.push(ActiveZone {
        source: "Web".into(),
        spell: "web".into(),
        caster: wizard,
        slot: 2,
        dc: 13,
        squares: squares.clone(),
        zone: t.spells["web"].zone.clone().unwrap(),
        ends: Ends::Rounds(600),
        concentration: true,
    });
    t.map.spell_difficult = squares.iter().copied().collect();
    t.combatants
        .iter_mut()
        .find(|c| c.id == wizard)
        .unwrap()
        .concentrating = Some("Web".into());
    // Every third board, the active creature has already used its action.
    if seed.is_multiple_of(3) {
        t.combat.as_mut().unwrap().budget.action_used = true;
    }
    if seed.is_multiple_of(2) {
        for c in t.combatants.iter_mut().filter(|c| squares.contains(&c.pos)) {
            c.conditions.insert(Condition::Restrained);
            c.effects.push(ActiveEffect {
                source: "Web".into(),
                caster: wizard,
                what: Lasting::Condition(Condition::Restrained),
                ends: Ends::Rounds(600),
                concentration: true,
                save_ends: None,
            });
        }
    }
    t
}

fn id_of(t: &Table, source: &str) -> CombatantId {
    t.combatants.iter().find(|c| c.source == source).unwrap().id
}

#[test]
fn every_offered_intent_is_accepted_and_every_accepted_attack_or_spell_is_offered() {
    let (mut offered, mut accepted) = (0, 0);
    for seed in 0..60 {
        let (o, a) = agreement(&random_table(seed), seed);
        offered += o;
        accepted += a;
    }
    assert!(
        offered > 500 && accepted > 50,
        "offered {offered}, accepted {accepted}"
    );
}

#[test]
fn the_preview_agrees_with_webs_on_the_map_and_a_spiritual_weapon_in_the_air() {
    let (mut offered, mut accepted) = (0, 0);
    let (mut weapon_strikes, mut webbed_moves) = (0, 0);
    for seed in 0..90 {
        let t = random_table_with_lasting_spells(seed);
        // The client costs the webbed squares as the server does.
        let mirror = mirror_of(&t);
        assert_eq!(
            mirror.rules().unwrap().map.spell_difficult,
            t.map.spell_difficult
        );
        let (o, a) = agreement(&t, seed);
        offered += o;
        accepted += a;
        // The boards do offer what is new: the weapon's strikes (a click once the action is
        // spent, or the Features menu) and paths through the webs.
        let Some(me) = t.active() else { continue };
        weapon_strikes += preview::contest_choices(&mirror, me)
            .iter()
            .filter(|(a, _)| matches!(a, Action::Attack { .. }))
            .count();
        for y in 0..10 {
            for x in 0..14 {
                match preview::click(&mirror, me, GridPos::new(x, y)) {
                    Ok(Action::Attack { attack, .. }) if t.is_weapon_attack(me, attack) => {
                        weapon_strikes += 1
                    }
                    Ok(Action::Move { path })
                        if path.iter().any(|p| t.map.spell_difficult.contains(p)) =>
                    {
                        webbed_moves += 1
                    }
                    _ => {}
                }
            }
        }
    }
    assert!(
        offered > 300 && accepted > 30 && weapon_strikes > 0 && webbed_moves > 20,
        "offered {offered}, accepted {accepted}, weapon strikes {weapon_strikes}, moves through webs {webbed_moves}"
    );
}

/// Checks one board: every intent the preview builds for the active combatant is accepted,
/// and every attack and creature-aimed spell the server accepts is built by a click. Returns
/// how many were offered and accepted.
fn agreement(t: &Table, seed: u64) -> (usize, usize) {
    let (mut offered, mut accepted) = (0, 0);
    let Some(me) = t.active() else {
        return (0, 0);
    };
    let mirror = mirror_of(t);
    let squares: Vec<GridPos> = (0..10)
        .flat_map(|y| (0..14).map(move |x| GridPos::new(x, y)))
        .collect();
    // The Features menu's shoves, grapples, escapes and weapon strikes.
    for (action, label) in preview::contest_choices(&mirror, me) {
        offered += 1;
        assert_eq!(
            t.clone()
                .submit(me, action.clone(), 0)
                .map_err(|r| r.reason),
            Ok(()),
            "seed {seed}: the menu offered {label}"
        );
    }
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
        let server_ok = (0..t.attacks_of(me).len()).any(|a| {
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
    (offered, accepted)
}
