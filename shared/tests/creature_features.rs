//! Monsters' SRD traits and riders at work: Undead Fortitude, poison and paralysis riders,
//! Martial Advantage, Multiattack. Each test quotes the SRD 5.1 text it checks.

use emberkeep_shared::content::{Condition, ContentLibrary, CreatureDef, Feature};
use emberkeep_shared::event::GameEvent;
use emberkeep_shared::grid::{GridPos, MapGrid};
use emberkeep_shared::table::{Action, CombatantId, Table};

fn lib() -> ContentLibrary {
    ContentLibrary::load_dir(
        &emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets"),
    )
    .unwrap()
}

/// The goblin ambush on an open floor with the first goblin turned into `creature`, the fighter
/// beside it, in combat with `first` ("fighter" or "monster") to act.
fn arena(creature: &str, first: &str, seed: u64) -> (Table, CombatantId, CombatantId) {
    let lib = lib();
    let def: &CreatureDef = &lib.creatures[creature];
    for s in seed..seed + 2000 {
        let mut t = Table::new(&lib, "goblin-ambush", s, 60_000).unwrap();
        t.map = MapGrid::open(20, 12);
        let monster = t
            .combatants
            .iter()
            .find(|c| c.source == "goblin")
            .unwrap()
            .id;
        let fighter = t
            .combatants
            .iter()
            .find(|c| c.source == "fighter")
            .unwrap()
            .id;
        for (i, c) in t.combatants.iter_mut().enumerate() {
            c.hidden = false;
            c.pos = GridPos::new(1 + 2 * i as i32, 10);
        }
        {
            let m = t.combatants.iter_mut().find(|c| c.id == monster).unwrap();
            m.name = def.name.clone();
            m.source = def.id.clone();
            m.kind = def.kind.clone();
            m.abilities = def.abilities;
            m.ac = def.ac;
            m.hp = def.hp;
            m.max_hp = def.hp;
            m.attacks = def.attacks.clone();
            m.features = def.features.clone();
            m.saves = def.saves.clone();
            m.immunities = def.immunities.clone();
            m.condition_immunities = def.condition_immunities.clone();
            m.pos = GridPos::new(5, 5);
        }
        t.combatants
            .iter_mut()
            .find(|c| c.id == fighter)
            .unwrap()
            .pos = GridPos::new(6, 5);
        t.start_combat(0, "test".into());
        let want = if first == "fighter" { fighter } else { monster };
        if t.active() == Some(want) {
            return (t, monster, fighter);
        }
    }
    panic!("no seed puts {first} first");
}

fn since(t: &Table, seq: u64) -> Vec<GameEvent> {
    t.log
        .iter()
        .filter(|e| e.seq >= seq)
        .map(|e| e.event.clone())
        .collect()
}

#[test]
fn undead_fortitude_saves_a_zombie_at_one_hit_point_unless_radiant_or_critical() {
    // SRD 5.1 Zombie, Undead Fortitude: "If damage reduces the zombie to 0 hit points, it must
    // make a Constitution saving throw with a DC of 5 + the damage taken, unless the damage is
    // radiant or from a critical hit. On a success, the zombie drops to 1 hit point instead."
    let (mut held, mut fell) = (0, 0);
    for seed in 0..80 {
        let (mut t, zombie, fighter) = arena("zombie", "fighter", seed * 31);
        t.combatants.iter_mut().find(|c| c.id == zombie).unwrap().hp = 1;
        let from = t.next_seq;
        let _ = t.submit(
            fighter,
            Action::Attack {
                target: zombie,
                attack: 0,
            },
            0,
        );
        let ev = since(&t, from);
        let Some(GameEvent::Attacked(a)) = ev.iter().find(|e| matches!(e, GameEvent::Attacked(_)))
        else {
            continue;
        };
        if !a.roll.hit {
            continue;
        }
        let save = ev.iter().find_map(|e| match e {
            GameEvent::Saved { against, roll, .. } if against == "Undead Fortitude" => Some(*roll),
            _ => None,
        });
        let z = t.combatant(zombie).unwrap();
        if a.roll.critical {
            assert!(save.is_none(), "no save against a critical hit");
            assert!(z.is_dead());
            continue;
        }
        let save = save.expect("a save at 0 HP");
        assert_eq!(save.dc, Some(5 + a.dealt));
        if save.success {
            held += 1;
            assert_eq!(z.hp, 1);
        } else {
            fell += 1;
            assert!(z.is_dead());
        }
    }
    assert!(held > 0 && fell > 0, "held {held}, fell {fell}");
}

#[test]
fn a_giant_spiders_bite_poisons_with_a_constitution_save_for_half() {
    // SRD 5.1 Giant Spider, Bite: "… and the target must make a DC 11 Constitution saving
    // throw, taking 9 (2d8) poison damage on a failed save, or half as much damage on a
    // successful one."
    let mut seen = 0;
    for seed in 0..60 {
        let (mut t, spider, fighter) = arena("giant-spider", "monster", seed * 17);
        t.combatants
            .iter_mut()
            .find(|c| c.id == fighter)
            .unwrap()
            .hp = 200;
        t.combatants
            .iter_mut()
            .find(|c| c.id == fighter)
            .unwrap()
            .max_hp = 200;
        let from = t.next_seq;
        let bite = t
            .combatant(spider)
            .unwrap()
            .attacks
            .iter()
            .position(|a| a.name == "Bite")
            .unwrap();
        t.submit(
            spider,
            Action::Attack {
                target: fighter,
                attack: bite,
            },
            0,
        )
        .unwrap();
        let ev = since(&t, from);
        let hit = ev
            .iter()
            .any(|e| matches!(e, GameEvent::Attacked(a) if a.roll.hit));
        let save = ev.iter().find_map(|e| match e {
            GameEvent::Saved { roll, .. } => Some(*roll),
            _ => None,
        });
        assert_eq!(hit, save.is_some(), "a save after each hit and only then");
        if let Some(save) = save {
            seen += 1;
            assert_eq!(save.dc, Some(11));
            let poison = ev
                .iter()
                .find_map(|e| match e {
                    GameEvent::EffectDamage {
                        damage,
                        dealt,
                        halved,
                        damage_type,
                        ..
                    } => {
                        assert_eq!(format!("{damage_type:?}"), "Poison");
                        Some((damage.total, *dealt, *halved))
                    }
                    _ => None,
                })
                .unwrap();
            assert!((2..=16).contains(&poison.0));
            assert_eq!(poison.2, save.success);
        }
    }
    assert!(seen > 10);
}

#[test]
fn a_ghouls_claws_paralyze_until_a_constitution_save_ends_it() {
    // SRD 5.1 Ghoul, Claws: "If the target is a creature other than an elf or undead, it must
    // succeed on a DC 10 Constitution saving throw or be paralyzed for 1 minute. The target
    // can repeat the saving throw at the end of each of its turns, ending the effect on itself
    // on a success."
    for seed in 0..200 {
        let (mut t, ghoul, fighter) = arena("ghoul", "monster", seed * 7);
        t.combatants
            .iter_mut()
            .find(|c| c.id == fighter)
            .unwrap()
            .hp = 200;
        let claws = t
            .combatant(ghoul)
            .unwrap()
            .attacks
            .iter()
            .position(|a| a.name == "Claws")
            .unwrap();
        t.submit(
            ghoul,
            Action::Attack {
                target: fighter,
                attack: claws,
            },
            0,
        )
        .unwrap();
        if !t
            .combatant(fighter)
            .unwrap()
            .conditions
            .contains(&Condition::Paralyzed)
        {
            continue;
        }
        // The fighter cannot act; its turn passes with a save at its end.
        let r = t.submit(fighter, Action::Dodge, 0).unwrap_err();
        assert!(r.reason.contains("paralyzed"), "{}", r.reason);
        let from = t.next_seq;
        for _ in 0..20 {
            let Some(a) = t.active() else { break };
            let _ = t.submit(a, Action::EndTurn, 0);
            if since(&t, from)
                .iter()
                .any(|e| matches!(e, GameEvent::Saved { actor, .. } if *actor == fighter))
            {
                break;
            }
        }
        let save = since(&t, from)
            .iter()
            .find_map(|e| match e {
                GameEvent::Saved { actor, roll, .. } if *actor == fighter => Some(*roll),
                _ => None,
            })
            .expect("a save at the end of the fighter's turn");
        assert_eq!(save.dc, Some(10));
        assert_eq!(
            t.combatant(fighter)
                .unwrap()
                .conditions
                .contains(&Condition::Paralyzed),
            !save.success
        );
        return;
    }
    panic!("the ghoul never paralyzed anyone");
}

#[test]
fn martial_advantage_adds_2d6_once_per_turn_with_an_ally_beside_the_target() {
    // SRD 5.1 Hobgoblin, Martial Advantage: "Once per turn, the hobgoblin can deal an extra 7
    // (2d6) damage to a creature it hits with a weapon attack if that creature is within 5
    // feet of an ally of the hobgoblin that isn't incapacitated." Longsword 1d8 + 1.
    let mut beyond = 0;
    for seed in 0..60 {
        let (mut t, hob, fighter) = arena("hobgoblin", "monster", seed * 13);
        t.combatants
            .iter_mut()
            .find(|c| c.id == fighter)
            .unwrap()
            .hp = 200;
        // A goblin ally beside the fighter.
        let ally = t
            .combatants
            .iter()
            .find(|c| c.source == "goblin")
            .unwrap()
            .id;
        t.combatants.iter_mut().find(|c| c.id == ally).unwrap().pos = GridPos::new(7, 5);
        let from = t.next_seq;
        t.submit(
            hob,
            Action::Attack {
                target: fighter,
                attack: 0,
            },
            0,
        )
        .unwrap();
        for e in since(&t, from) {
            if let GameEvent::Attacked(a) = e
                && a.roll.hit
                && !a.roll.critical
            {
                let weapon = a.damage.as_ref().unwrap().total;
                assert!(
                    a.dealt >= weapon + 2 && a.dealt <= weapon + 12,
                    "{} vs {}",
                    a.dealt,
                    weapon
                );
                beyond += 1;
            }
        }
    }
    assert!(beyond > 5);
}

#[test]
fn multiattack_makes_every_listed_attack_with_one_action() {
    // SRD 5.1 Multiattack, e.g. the Brown Bear: "The bear makes two attacks: one with its
    // bite and one with its claws." A ghoul given Multiattack (Bite, Claws) shows the rule.
    let (mut t, ghoul, fighter) = arena("ghoul", "monster", 3);
    t.combatants
        .iter_mut()
        .find(|c| c.id == fighter)
        .unwrap()
        .hp = 500;
    t.combatants
        .iter_mut()
        .find(|c| c.id == ghoul)
        .unwrap()
        .features = vec![Feature::Multiattack(vec!["Bite".into(), "Claws".into()])];
    let from = t.next_seq;
    t.submit(
        ghoul,
        Action::Attack {
            target: fighter,
            attack: 0,
        },
        0,
    )
    .unwrap();
    let attacks: Vec<String> = since(&t, from)
        .iter()
        .filter_map(|e| match e {
            GameEvent::Attacked(a) => Some(a.attack.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(attacks, vec!["Bite".to_string(), "Claws".to_string()]);
    assert!(t.turn_budget().unwrap().action_used);
}
