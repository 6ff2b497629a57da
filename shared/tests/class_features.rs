//! The pregens at levels 1 to 3 and their class features, each test quoting the SRD 5.1 text
//! it checks.

use emberkeep_shared::content::{Condition, ContentLibrary, Feature};
use emberkeep_shared::event::GameEvent;
use emberkeep_shared::grid::{GridPos, MapGrid};
use emberkeep_shared::table::{Action, CombatantId, FeatureUse, RejectCode, Table};

fn lib() -> ContentLibrary {
    ContentLibrary::load_dir(
        &emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets"),
    )
    .unwrap()
}

fn id_of(t: &Table, source: &str) -> CombatantId {
    t.combatants.iter().find(|c| c.source == source).unwrap().id
}

/// `encounter` at `level` on an open floor, party at x = 2, foes at x = 4 (adjacent rows), in
/// combat with `first` to act.
fn fight(encounter: &str, level: u32, first: &str, seed: u64) -> Table {
    let lib = lib();
    for s in seed..seed + 2000 {
        let mut t = Table::new_at_level(&lib, encounter, s, 60_000, Some(level)).unwrap();
        t.map = MapGrid::open(20, 20);
        let (mut p, mut f) = (0, 0);
        for c in &mut t.combatants {
            c.hidden = false;
            c.pos = if c.is_pc {
                p += 1;
                GridPos::new(2, 2 * p)
            } else {
                f += 1;
                GridPos::new(3, 2 * f)
            };
        }
        t.start_combat(0, "test".into());
        if t.active() == Some(id_of(&t, first)) {
            return t;
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
fn the_pregens_exist_at_levels_1_2_and_3() {
    // SRD 5.1 class tables: hit points per level after 1st, fixed value (fighter 6, rogue and
    // cleric 5, wizard 4) + Constitution modifier (+1 for the hill dwarf's toughness);
    // Spellcasting: a 3rd-level cleric or wizard has four 1st-level and two 2nd-level slots.
    let lib = lib();
    let want = [
        ("fighter", [12, 20, 28]),
        ("rogue", [9, 15, 21]),
        ("cleric", [12, 21, 30]),
        ("wizard", [8, 14, 20]),
    ];
    for level in 1..=3u32 {
        let t = Table::new_at_level(&lib, "goblin-ambush", 1, 60_000, Some(level)).unwrap();
        for (pregen, hp) in want {
            let c = t.combatant(id_of(&t, pregen)).unwrap();
            assert_eq!(
                c.max_hp,
                hp[level as usize - 1],
                "{pregen} at level {level}"
            );
            assert_eq!(c.level, level);
        }
        let cleric = t.combatant(id_of(&t, "cleric")).unwrap();
        let slots = &cleric.casting.as_ref().unwrap().slots;
        assert_eq!(slots, &[vec![2], vec![3], vec![4, 2]][level as usize - 1]);
        let rogue = t.combatant(id_of(&t, "rogue")).unwrap();
        let sneak = rogue.features.iter().find_map(|f| match f {
            Feature::SneakAttack(d) => Some(d.to_string()),
            _ => None,
        });
        assert_eq!(
            sneak.as_deref(),
            Some(if level == 3 { "2d6" } else { "1d6" })
        );
        assert_eq!(rogue.has_feature(&Feature::CunningAction), level >= 2);
        let fighter = t.combatant(id_of(&t, "fighter")).unwrap();
        assert_eq!(fighter.has_feature(&Feature::ActionSurge), level >= 2);
        assert_eq!(fighter.has_feature(&Feature::ImprovedCritical), level == 3);
    }
}

#[test]
fn second_wind_heals_1d10_plus_the_fighter_level_once_per_rest_as_a_bonus_action() {
    // SRD 5.1 Fighter, Second Wind: "On your turn, you can use a bonus action to regain hit
    // points equal to 1d10 + your fighter level. Once you use this feature, you must finish a
    // short or long rest before you can use it again."
    let mut t = fight("goblin-ambush", 3, "fighter", 1);
    let fighter = id_of(&t, "fighter");
    t.combatants
        .iter_mut()
        .find(|c| c.id == fighter)
        .unwrap()
        .hp = 1;
    t.submit(fighter, Action::Feature(FeatureUse::SecondWind), 0)
        .unwrap();
    let hp = t.combatant(fighter).unwrap().hp;
    assert!((1 + 4..=1 + 13).contains(&hp), "1 + 1d10 + 3, got {hp}");
    assert!(t.turn_budget().unwrap().bonus_action_used);
    assert!(
        !t.turn_budget().unwrap().action_used,
        "the action is still free"
    );
    let again = t
        .submit(fighter, Action::Feature(FeatureUse::SecondWind), 0)
        .unwrap_err();
    assert_eq!(again.code, RejectCode::NoActionLeft);
}

#[test]
fn action_surge_gives_one_more_action() {
    // SRD 5.1 Fighter, Action Surge: "On your turn, you can take one additional action on top
    // of your regular action and a possible bonus action."
    let mut t = fight("goblin-ambush", 2, "fighter", 2);
    let fighter = id_of(&t, "fighter");
    let goblin = t
        .combatants
        .iter()
        .find(|c| c.source == "goblin")
        .unwrap()
        .id;
    t.combatants.iter_mut().find(|c| c.id == goblin).unwrap().hp = 100;
    let early = t
        .submit(fighter, Action::Feature(FeatureUse::ActionSurge), 0)
        .unwrap_err();
    assert!(early.reason.contains("action first"), "{}", early.reason);
    t.submit(
        fighter,
        Action::Attack {
            target: goblin,
            attack: 0,
        },
        0,
    )
    .unwrap();
    let third = t.clone().submit(
        fighter,
        Action::Attack {
            target: goblin,
            attack: 0,
        },
        0,
    );
    assert_eq!(third.unwrap_err().code, RejectCode::NoActionLeft);
    t.submit(fighter, Action::Feature(FeatureUse::ActionSurge), 0)
        .unwrap();
    t.submit(
        fighter,
        Action::Attack {
            target: goblin,
            attack: 0,
        },
        0,
    )
    .unwrap();
    let attacks = t
        .log
        .iter()
        .filter(|e| matches!(&e.event, GameEvent::Attacked(a) if a.attacker == fighter))
        .count();
    assert_eq!(attacks, 2);
    // A level-1 fighter has none.
    let mut t1 = fight("goblin-ambush", 1, "fighter", 2);
    let f1 = id_of(&t1, "fighter");
    assert_eq!(
        t1.submit(f1, Action::Feature(FeatureUse::ActionSurge), 0)
            .unwrap_err()
            .code,
        RejectCode::NotAllowed
    );
}

#[test]
fn improved_critical_and_dueling_show_in_the_fighters_rolls() {
    // SRD 5.1 Champion, Improved Critical: "Your weapon attacks score a critical hit on a roll
    // of 19 or 20." Fighting Style (Dueling): "+2 bonus to damage rolls with that weapon."
    let mut nineteen = 0;
    for seed in 0..400 {
        let mut t = fight("goblin-ambush", 3, "fighter", seed * 3);
        let fighter = id_of(&t, "fighter");
        let goblin = t
            .combatants
            .iter()
            .find(|c| c.source == "goblin")
            .unwrap()
            .id;
        t.combatants.iter_mut().find(|c| c.id == goblin).unwrap().hp = 100;
        let from = t.next_seq;
        t.submit(
            fighter,
            Action::Attack {
                target: goblin,
                attack: 0,
            },
            0,
        )
        .unwrap();
        for e in since(&t, from) {
            if let GameEvent::Attacked(a) = e {
                if a.roll.d20.natural == 19 {
                    nineteen += 1;
                    assert!(a.roll.critical, "a natural 19 is critical at level 3");
                }
                if a.roll.hit {
                    assert_eq!(a.dealt, a.damage.as_ref().unwrap().total + 2, "Dueling +2");
                }
            }
        }
        if nineteen >= 3 {
            return;
        }
    }
    panic!("no natural 19 in 400 attacks");
}

#[test]
fn cunning_action_and_nimble_escape_disengage_as_a_bonus_action() {
    // SRD 5.1 Rogue, Cunning Action: "You can take a bonus action on each of your turns in
    // combat. This action can be used only to take the Dash, Disengage, or Hide action."
    let mut t = fight("goblin-ambush", 2, "rogue", 4);
    let rogue = id_of(&t, "rogue");
    t.submit(rogue, Action::Feature(FeatureUse::BonusDisengage), 0)
        .unwrap();
    assert!(t.turn_budget().unwrap().disengaged);
    assert!(!t.turn_budget().unwrap().action_used);
    t.submit(rogue, Action::Dash, 0).unwrap();
    let mut t1 = fight("goblin-ambush", 1, "rogue", 4);
    let r1 = id_of(&t1, "rogue");
    assert_eq!(
        t1.submit(r1, Action::Feature(FeatureUse::BonusDisengage), 0)
            .unwrap_err()
            .code,
        RejectCode::NotAllowed
    );
    // SRD 5.1 Goblin, Nimble Escape: "The goblin can take the Disengage or Hide action as a
    // bonus action on each of its turns."
    let mut g = fight("goblin-ambush", 1, "goblin", 5);
    let goblin = g.active().unwrap();
    g.submit(goblin, Action::Feature(FeatureUse::BonusDisengage), 0)
        .unwrap();
    assert!(g.turn_budget().unwrap().disengaged);
    assert_eq!(
        g.submit(goblin, Action::Feature(FeatureUse::BonusDash), 0)
            .unwrap_err()
            .code,
        RejectCode::NotAllowed,
        "a goblin cannot Dash as a bonus action"
    );
}

#[test]
fn disciple_of_life_adds_2_plus_the_spell_level_to_healing() {
    // SRD 5.1 Life Domain, Disciple of Life: "the creature regains additional hit points
    // equal to 2 + the spell's level." Cure Wounds: 1d8 + 3 (Wisdom) + 3.
    for seed in 0..20 {
        let mut t = fight("goblin-ambush", 1, "cleric", seed * 5);
        let cleric = id_of(&t, "cleric");
        let fighter = id_of(&t, "fighter");
        let at = t.combatant(cleric).unwrap().pos;
        let f = t.combatants.iter_mut().find(|c| c.id == fighter).unwrap();
        f.pos = GridPos::new(at.x - 1, at.y);
        f.hp = 0;
        f.conditions.insert(Condition::Unconscious);
        t.submit(
            cleric,
            Action::Cast {
                spell: "cure-wounds".into(),
                slot: 1,
                targets: vec![fighter],
                at: None,
            },
            0,
        )
        .unwrap();
        let hp = t.combatant(fighter).unwrap().hp;
        assert!((7..=14).contains(&hp), "1d8 + 3 + 3, got {hp}");
    }
}

#[test]
fn turn_undead_frightens_skeletons_that_fail_a_wisdom_save() {
    // SRD 5.1 Channel Divinity: Turn Undead: "Each undead that can see or hear you within 30
    // feet of you must make a Wisdom saving throw. If the creature fails its saving throw, it
    // is turned for 1 minute or until it takes any damage."
    let mut turned = 0;
    for seed in 0..30 {
        let mut t = fight("crypt-of-bones", 2, "cleric", seed * 19);
        let cleric = id_of(&t, "cleric");
        let from = t.next_seq;
        t.submit(cleric, Action::Feature(FeatureUse::TurnUndead), 0)
            .unwrap();
        for e in since(&t, from) {
            if let GameEvent::Saved {
                actor,
                roll,
                against,
                ..
            } = e
            {
                assert_eq!(against, "Turn Undead");
                assert_eq!(roll.dc, Some(13));
                let frightened = t
                    .combatant(actor)
                    .unwrap()
                    .conditions
                    .contains(&Condition::Frightened);
                assert_eq!(frightened, !roll.success);
                turned += usize::from(frightened);
            }
        }
        // Once per rest at 2nd level.
        t.combat.as_mut().unwrap().budget.action_used = false;
        assert_eq!(
            t.submit(cleric, Action::Feature(FeatureUse::PreserveLife), 0)
                .unwrap_err()
                .code,
            RejectCode::NoActionLeft
        );
    }
    assert!(turned > 0);
}

#[test]
fn preserve_life_heals_five_per_level_but_never_past_half() {
    // SRD 5.1 Preserve Life: "restore a number of hit points equal to five times your cleric
    // level … can restore a creature to no more than half of its hit point maximum."
    let mut t = fight("goblin-ambush", 2, "cleric", 6);
    let cleric = id_of(&t, "cleric");
    let (fighter, rogue) = (id_of(&t, "fighter"), id_of(&t, "rogue"));
    t.combatants
        .iter_mut()
        .find(|c| c.id == fighter)
        .unwrap()
        .hp = 1;
    t.combatants.iter_mut().find(|c| c.id == rogue).unwrap().hp = 2;
    t.submit(cleric, Action::Feature(FeatureUse::PreserveLife), 0)
        .unwrap();
    // 10 hit points: the fighter (max 20) up to 10, the rogue (max 15) gets what is left.
    assert_eq!(t.combatant(fighter).unwrap().hp, 10);
    assert_eq!(t.combatant(rogue).unwrap().hp, 3);
}

#[test]
fn sculpt_spells_spares_allies_in_an_evocation() {
    // SRD 5.1 School of Evocation, Sculpt Spells: "The chosen creatures automatically succeed
    // on their saving throws against the spell, and they take no damage if they would
    // normally take half damage on a successful save."
    let mut t = fight("goblin-ambush", 2, "wizard", 7);
    let wizard = id_of(&t, "wizard");
    let fighter = id_of(&t, "fighter");
    let at = t.combatant(wizard).unwrap().pos;
    t.combatants
        .iter_mut()
        .find(|c| c.id == fighter)
        .unwrap()
        .pos = GridPos::new(at.x + 1, at.y);
    let before = t.combatant(fighter).unwrap().hp;
    let from = t.next_seq;
    t.submit(
        wizard,
        Action::Cast {
            spell: "burning-hands".into(),
            slot: 1,
            targets: vec![],
            at: Some(GridPos::new(at.x + 4, at.y)),
        },
        0,
    )
    .unwrap();
    assert_eq!(t.combatant(fighter).unwrap().hp, before);
    assert!(since(&t, from).iter().any(|e| matches!(e, GameEvent::EffectStarted { target, what, .. } if *target == fighter && what.contains("Sculpt"))));
}

#[test]
fn the_shipped_encounters_play_to_the_end_at_levels_1_and_3_with_spells_and_features() {
    // Four companions (the built-in tactics, as bots and absent players use) play every
    // shipped encounter to the end; the log shows spells cast and features used.
    let lib = lib();
    for level in [1, 3] {
        let (mut spells, mut features) = (
            std::collections::BTreeSet::new(),
            std::collections::BTreeSet::new(),
        );
        for encounter in lib.encounters.keys() {
            for seed in 0..8 {
                let mut t =
                    Table::new_at_level(&lib, encounter, seed, 60_000, Some(level)).unwrap();
                let pcs: Vec<CombatantId> = t
                    .combatants
                    .iter()
                    .filter(|c| c.is_pc)
                    .map(|c| c.id)
                    .collect();
                for id in pcs {
                    t.set_companion(id, true, 0);
                }
                t.start_combat(0, "test".into());
                let mut now = 0;
                for _ in 0..5000 {
                    if t.combat.is_none() {
                        break;
                    }
                    now += 1_300;
                    t.tick(now);
                }
                assert!(
                    t.combat.is_none(),
                    "{encounter} at level {level}, seed {seed}: no end"
                );
                for e in &t.log {
                    match &e.event {
                        GameEvent::SpellCast { spell, .. } => {
                            spells.insert(spell.clone());
                        }
                        GameEvent::FeatureUsed { feature, .. } => {
                            features.insert(feature.clone());
                        }
                        _ => {}
                    }
                }
            }
        }
        assert!(spells.len() >= 5, "level {level}: spells {spells:?}");
        if level == 3 {
            assert!(
                features.contains("Action Surge"),
                "level 3 features: {features:?}"
            );
            assert!(
                spells.iter().any(|s| [
                    "Scorching Ray",
                    "Hold Person",
                    "Aid",
                    "Spiritual Weapon",
                    "Misty Step",
                    "Web"
                ]
                .contains(&s.as_str())),
                "no 2nd-level spell at level 3: {spells:?}"
            );
        }
        eprintln!("level {level}: spells {spells:?}, features {features:?}");
    }
}

#[test]
fn a_potion_of_healing_heals_2d4_plus_2_with_an_action_or_a_thiefs_bonus_action() {
    // SRD 5.1 Potion of Healing: "You regain 2d4 + 2 hit points when you drink this potion.
    // … Drinking or administering a potion takes an action." Thief, Fast Hands: the bonus
    // action granted by Cunning Action can "use an object".
    let mut t = fight("goblin-ambush", 1, "fighter", 8);
    let fighter = id_of(&t, "fighter");
    t.combatants
        .iter_mut()
        .find(|c| c.id == fighter)
        .unwrap()
        .hp = 1;
    let drink = Action::UseItem {
        item: "potion-of-healing".into(),
        target: None,
    };
    t.submit(fighter, drink.clone(), 0).unwrap();
    let hp = t.combatant(fighter).unwrap().hp;
    assert!((5..=11).contains(&hp), "1 + 2d4+2, got {hp}");
    assert!(t.turn_budget().unwrap().action_used);
    assert!(
        t.combatant(fighter).unwrap().items.is_empty(),
        "the potion is gone"
    );
    assert_eq!(
        t.submit(fighter, drink.clone(), 0).unwrap_err().code,
        RejectCode::NotAllowed
    );
    // A 3rd-level thief drinks with a bonus action after attacking.
    let mut t = fight("goblin-ambush", 3, "rogue", 9);
    let rogue = id_of(&t, "rogue");
    t.combatants.iter_mut().find(|c| c.id == rogue).unwrap().hp = 2;
    t.submit(rogue, Action::Dodge, 0).unwrap();
    t.submit(rogue, drink, 0).unwrap();
    assert!(t.turn_budget().unwrap().bonus_action_used);
    // Giving it to a creature out of reach is refused.
    let mut t = fight("goblin-ambush", 1, "cleric", 10);
    let cleric = id_of(&t, "cleric");
    let wizard = id_of(&t, "wizard");
    let r = t
        .submit(
            cleric,
            Action::UseItem {
                item: "potion-of-healing".into(),
                target: Some(wizard),
            },
            0,
        )
        .unwrap_err();
    assert_eq!(r.code, RejectCode::OutOfReach);
}

#[test]
fn armor_and_shields_set_the_pregens_ac() {
    // SRD 5.1 Armor: chain mail 16, shield +2 → 18; leather 11 + Dex (+3) → 14; no armor:
    // 10 + Dex (+3) → 13. A pregen whose printed AC disagrees with its equipment is refused.
    let lib = lib();
    for (id, ac) in [
        ("fighter", 18),
        ("cleric", 18),
        ("rogue", 14),
        ("wizard", 13),
    ] {
        assert_eq!(lib.pregens[id].ac, ac);
    }
    let t = Table::new(&lib, "goblin-ambush", 1, 60_000).unwrap();
    assert!(t.combatant(id_of(&t, "wizard")).unwrap().unarmored);
    assert!(!t.combatant(id_of(&t, "fighter")).unwrap().unarmored);
    let root = emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets");
    let mut files = Vec::new();
    for (path, text, kind) in emberkeep_shared::content::read_content_files(&root).unwrap() {
        {
            let mut text = text;
            if path.ends_with("fighter.ron") {
                text = text.replace("ac: 18,", "ac: 17,");
            }
            files.push((path, text, kind));
        }
    }
    let err = ContentLibrary::from_sources(&files)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("fighter.ron") && err.contains("ac 17 does not match the equipment's AC 18"),
        "{err}"
    );
}

#[test]
fn a_hostile_item_or_level_file_is_refused_with_its_place_and_nothing_overflows() {
    // An armor whose base AC would overflow the AC arithmetic, a shield of no use, a level
    // with absurd hit points, and an item that is not RON: each names file:line:column.
    let root = emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets");
    let mut files = Vec::new();
    for (path, text, kind) in emberkeep_shared::content::read_content_files(&root).unwrap() {
        {
            let mut text = text;
            if path.ends_with("leather-armor.ron") {
                text = text.replace("base: 11", "base: 2147483647");
            }
            if path.ends_with("shield.ron") {
                text = text.replace("bonus: 2", "bonus: -5");
            }
            if path.ends_with("rogue.ron") {
                text = text.replace("max_hp: 21", "max_hp: 2147483647");
            }
            files.push((path, text, kind));
        }
    }
    files.push((
        "items/broken.ron".into(),
        "(\n    id: \"broken\",\n    kind: Wand,\n".into(),
        emberkeep_shared::content::ContentKind::Item,
    ));
    let err = ContentLibrary::from_sources(&files)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("leather-armor.ron:5:")
            && err.contains("armor base AC 2147483647 is out of range"),
        "{err}"
    );
    assert!(
        err.contains("shield.ron") && err.contains("shield bonus -5 is out of range"),
        "{err}"
    );
    assert!(
        err.contains("rogue.ron") && err.contains("at most 999"),
        "{err}"
    );
    assert!(err.contains("items/broken.ron:3:"), "{err}");
}
