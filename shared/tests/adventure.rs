//! Adventures: scenes, exits carrying the party, points of interest, locks, hidden things,
//! traps, triggers and experience — on a small adventure written here over the shipped
//! creatures, pregens and items.

use emberkeep_shared::content::Condition;
use emberkeep_shared::content::{ContentKind, ContentLibrary, read_content_files};
use emberkeep_shared::event::GameEvent;
use emberkeep_shared::grid::{GridPos, Terrain};
use emberkeep_shared::story::StoryEvent;
use emberkeep_shared::table::{Action, Approach, CombatantId, RejectCode, Table};
use std::path::PathBuf;

const ADVENTURE: &str = r#"(
    id: "test-run",
    name: "Test Run",
    intro: "A short test.",
    party: ["fighter", "rogue", "cleric", "wizard"],
    start: "hall",
    ending: "The end of the test.",
)"#;

const MAP_HALL: &str = r#"(
    id: "t-hall",
    name: "Hall",
    tiles: [
        "WWWWWWWWWWWW",
        "WPP........W",
        "WPP........W",
        "W..........W",
        "WWWWW.WWWWWW",
        "W..........W",
        "WWWWWWWWWWWW",
    ],
)"#;

const MAP_YARD: &str = r#"(
    id: "t-yard",
    name: "Yard",
    tiles: [
        "WWWWWWWWWWWW",
        "WPP........W",
        "WPP........W",
        "W..........W",
        "WWWWWWWWWWWW",
    ],
)"#;

const HALL: &str = r#"(
    id: "hall",
    name: "The Hall",
    map: "t-hall",
    description: "A dusty hall.",
    points: [
        (id: "chest", name: "Old chest", kind: Chest, at: (8, 1), text: "The lid creaks open.",
         loot: [Item("potion-of-healing"), Gold(25)]),
        (id: "door", name: "Iron door", kind: Door, at: (5, 4),
         lock: Some((pick_dc: Some(30), force_dc: Some(30)))),
        (id: "plate", name: "Pressure plate", kind: Trap, at: (3, 3),
         hidden: Some((dc: 30)),
         trap: Some((save: Dex, dc: 30, damage: "2d4", damage_type: Piercing))),
        (id: "rack", name: "Armour rack", kind: Other, at: (1, 5),
         loot: [Item("scale-mail"), Item("shield")]),
        (id: "mural", name: "Faded mural", kind: Other, at: (10, 3),
         hidden: Some((dc: 5, skill: Investigation)),
         then: [Say("A hidden door swings open."), Reveal("back-door")]),
    ],
    triggers: [
        (when: Enter((9, 1), (10, 2)), then: [Say("A cold draft.")]),
    ],
    checks: [
        (skill: Persuasion, dc: 5, success: [Say("The ghost agrees to help.")],
         failure: [Say("The ghost turns away.")]),
    ],
    exits: [
        (id: "yard-gate", name: "The yard gate", to: "yard", at: [(5, 5), (6, 5)]),
        (id: "back-door", name: "A hidden door", to: "yard", at: [(10, 1)], hidden: Some((dc: 30, skill: Investigation))),
    ],
)"#;

const YARD: &str = r#"(
    id: "yard",
    name: "The Yard",
    map: "t-yard",
    description: "Goblins!",
    foes: [(creature: "goblin", at: (9, 2))],
    start: Proximity(20),
    rest: false,
    exits: [(id: "out", name: "The road home", to: "end", at: [(1, 1)])],
)"#;

fn lib_with(extra: &[(&str, &str, ContentKind)]) -> Result<ContentLibrary, String> {
    let root = emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets");
    let mut files: Vec<_> = read_content_files(&root)
        .unwrap()
        .into_iter()
        .filter(|(_, _, k)| !matches!(k, ContentKind::Adventure | ContentKind::Scene))
        .collect();
    for (path, text, kind) in extra {
        files.push((PathBuf::from(path), text.to_string(), *kind));
    }
    ContentLibrary::from_sources(&files).map_err(|e| e.to_string())
}

/// Map rows here write walls as `W` (a `#` would end the raw string).
fn walls(map: &str) -> &'static str {
    Box::leak(map.replace('W', "#").into_boxed_str())
}

fn test_files() -> Vec<(&'static str, &'static str, ContentKind)> {
    vec![
        ("maps/t-hall.ron", walls(MAP_HALL), ContentKind::Map),
        ("maps/t-yard.ron", walls(MAP_YARD), ContentKind::Map),
        (
            "adventures/test-run/adventure.ron",
            ADVENTURE,
            ContentKind::Adventure,
        ),
        ("adventures/test-run/hall.ron", HALL, ContentKind::Scene),
        ("adventures/test-run/yard.ron", YARD, ContentKind::Scene),
    ]
}

fn table(seed: u64) -> Table {
    let lib = lib_with(&test_files()).unwrap();
    Table::new_adventure(&lib, "test-run", seed, 60_000, None).unwrap()
}

fn pc(t: &Table, source: &str) -> CombatantId {
    t.combatants.iter().find(|c| c.source == source).unwrap().id
}

fn put(t: &mut Table, id: CombatantId, x: i32, y: i32) {
    t.combatants.iter_mut().find(|c| c.id == id).unwrap().pos = GridPos::new(x, y);
}

fn story(t: &Table) -> Vec<StoryEvent> {
    t.log
        .iter()
        .filter_map(|e| match &e.event {
            GameEvent::Story(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn the_party_enters_the_first_scene_on_its_start_squares() {
    let t = table(1);
    assert_eq!(t.scene().unwrap().def.id, "hall");
    assert!(matches!(
        story(&t)[0],
        StoryEvent::SceneEntered { ref scene, .. } if scene == "hall"
    ));
    let starts: Vec<GridPos> = t.combatants.iter().map(|c| c.pos).collect();
    assert_eq!(starts.len(), 4, "no foes in the hall");
    for p in starts {
        assert!((1..=2).contains(&p.x) && (1..=2).contains(&p.y), "{p}");
    }
    // The locked door is closed on the map; the trap unseen is plain floor.
    assert_eq!(t.map.terrain(GridPos::new(5, 4)), Terrain::Closed);
    assert_eq!(t.map.terrain(GridPos::new(3, 3)), Terrain::Floor);
}

#[test]
fn a_chest_gives_its_loot_once_and_only_within_reach() {
    let mut t = table(1);
    let rogue = pc(&t, "rogue");
    let use_chest = Action::Interact {
        target: "chest".into(),
        approach: Approach::Use,
    };
    let far = t.submit(rogue, use_chest.clone(), 0).unwrap_err();
    assert_eq!(far.code, RejectCode::OutOfReach);
    put(&mut t, rogue, 7, 1);
    let potions = t.combatant(rogue).unwrap().items.len();
    t.submit(rogue, use_chest.clone(), 0).unwrap();
    let r = t.combatant(rogue).unwrap();
    assert_eq!(r.gold, 25);
    assert_eq!(r.items.len(), potions + 1);
    assert!(
        story(&t)
            .iter()
            .any(|s| matches!(s, StoryEvent::Looted { gold: 25, .. }))
    );
    let again = t.submit(rogue, use_chest, 0).unwrap_err();
    assert!(again.reason.contains("nothing more"), "{}", again.reason);
}

#[test]
fn a_lock_is_tried_once_each_way_per_character_and_a_hidden_route_leads_around_it() {
    let mut t = table(2);
    let fighter = pc(&t, "fighter");
    put(&mut t, fighter, 5, 3);
    let door = |approach| Action::Interact {
        target: "door".into(),
        approach,
    };
    let locked = t.submit(fighter, door(Approach::Use), 0).unwrap_err();
    assert!(locked.reason.contains("locked"), "{}", locked.reason);
    // DC 30: a level-1 fighter cannot force it (d20 + 5 at most 25).
    t.submit(fighter, door(Approach::Force), 0).unwrap();
    assert_eq!(t.map.terrain(GridPos::new(5, 4)), Terrain::Closed);
    let before = t.clone();
    let twice = t.submit(fighter, door(Approach::Force), 0).unwrap_err();
    assert!(twice.reason.contains("already tried"), "{}", twice.reason);
    assert_eq!(t.log.len(), before.log.len(), "a refusal changes nothing");
    // SRD 5.1 "Multiple Ability Checks": the only real cost of trying again is the time it
    // takes — here a long rest, after which every way may be tried again.
    everyone_rests(&mut t, true);
    assert!(matches!(
        story(&t).last(),
        Some(StoryEvent::Rested { long: true, notes }) if notes.iter().any(|n| n.contains("tried again"))
    ));
    assert_eq!(t.adventure.as_ref().unwrap().days, 1);
    t.submit(fighter, door(Approach::Force), 0).unwrap();
    assert_eq!(t.map.terrain(GridPos::new(5, 4)), Terrain::Closed);
    // The exit behind it cannot be reached: the yard gate squares lie past the closed door.
    let gate = Action::Interact {
        target: "yard-gate".into(),
        approach: Approach::Use,
    };
    assert_eq!(
        t.submit(fighter, gate, 0).unwrap_err().code,
        RejectCode::OutOfReach
    );
    // The hidden door is unknown until the mural is studied.
    let wizard = pc(&t, "wizard");
    put(&mut t, wizard, 9, 3);
    let back = Action::Interact {
        target: "back-door".into(),
        approach: Approach::Use,
    };
    let unknown = t.submit(wizard, back.clone(), 0).unwrap_err();
    assert_eq!(unknown.code, RejectCode::UnknownTarget);
    assert!(
        !unknown.reason.contains("hidden"),
        "never hints: {}",
        unknown.reason
    );
    // The mural needs Investigation (a search), then its use reveals the door.
    t.submit(wizard, Action::Search, 0).unwrap();
    assert!(
        story(&t)
            .iter()
            .any(|s| matches!(s, StoryEvent::Found { what, .. } if what == "Faded mural"))
    );
    t.submit(
        wizard,
        Action::Interact {
            target: "mural".into(),
            approach: Approach::Use,
        },
        0,
    )
    .unwrap();
    put(&mut t, wizard, 10, 2);
    t.submit(wizard, back, 0).unwrap();
    assert_eq!(t.scene().unwrap().def.id, "yard");
}

#[test]
fn a_hidden_trap_goes_off_underfoot_and_stops_the_move() {
    // The pressure plate's DC 30 is beyond everyone's passive Perception: unseen, it springs.
    let mut t = table(3);
    let fighter = pc(&t, "fighter");
    put(&mut t, fighter, 2, 3);
    let hp = t.combatant(fighter).unwrap().hp;
    let path = vec![GridPos::new(3, 3), GridPos::new(4, 3), GridPos::new(5, 3)];
    t.submit(fighter, Action::Move { path }, 0).unwrap();
    let f = t.combatant(fighter).unwrap();
    assert_eq!(f.pos, GridPos::new(3, 3), "the move stops on the plate");
    assert!(f.hp < hp, "2d4 piercing, halved at best, is at least 1");
    assert!(
        story(&t)
            .iter()
            .any(|s| matches!(s, StoryEvent::TrapSprung { .. }))
    );
    // Spent: walking on again is safe.
    t.submit(
        fighter,
        Action::Move {
            path: vec![GridPos::new(4, 3), GridPos::new(3, 3)],
        },
        0,
    )
    .unwrap();
    assert_eq!(
        story(&t)
            .iter()
            .filter(|s| matches!(s, StoryEvent::TrapSprung { .. }))
            .count(),
        1
    );
}

#[test]
fn entering_an_area_fires_its_trigger_once() {
    let mut t = table(4);
    let rogue = pc(&t, "rogue");
    put(&mut t, rogue, 8, 2);
    t.submit(
        rogue,
        Action::Move {
            path: vec![GridPos::new(9, 2)],
        },
        0,
    )
    .unwrap();
    t.submit(
        rogue,
        Action::Move {
            path: vec![GridPos::new(10, 2)],
        },
        0,
    )
    .unwrap();
    let said = story(&t)
        .iter()
        .filter(|s| matches!(s, StoryEvent::Said { text } if text == "A cold draft."))
        .count();
    assert_eq!(said, 1);
}

/// `who` walks to the hall's chest and opens it (a potion and 25 gp).
fn open_the_chest(t: &mut Table, who: CombatantId) {
    put(t, who, 7, 1);
    t.submit(
        who,
        Action::Interact {
            target: "chest".into(),
            approach: Approach::Use,
        },
        0,
    )
    .unwrap();
}

/// Walks everyone to the yard through the (forced-open) door.
fn to_the_yard(t: &mut Table) {
    let fighter = pc(t, "fighter");
    {
        let s = t
            .adventure
            .as_mut()
            .unwrap()
            .scenes
            .get_mut("hall")
            .unwrap();
        s.opened.insert("door".into());
    }
    let grid = t.scene().unwrap().grid();
    t.map = grid;
    put(t, fighter, 5, 5);
    t.submit(
        fighter,
        Action::Interact {
            target: "yard-gate".into(),
            approach: Approach::Use,
        },
        0,
    )
    .unwrap();
}

#[test]
fn an_exit_carries_the_party_state_and_the_scene_left_keeps_its_changes() {
    let mut t = table(5);
    let rogue = pc(&t, "rogue");
    open_the_chest(&mut t, rogue);
    t.combatants.iter_mut().find(|c| c.id == rogue).unwrap().hp -= 3;
    let before = t.combatant(rogue).unwrap().clone();
    to_the_yard(&mut t);
    assert_eq!(t.scene().unwrap().def.id, "yard");
    let after = t.combatant(rogue).unwrap();
    assert_eq!(
        (after.hp, after.gold, &after.items),
        (before.hp, before.gold, &before.items)
    );
    assert!(t.combatants.iter().any(|c| c.source == "goblin"));
    // The hall remembers its looted chest.
    assert!(
        t.adventure.as_ref().unwrap().scenes["hall"]
            .opened
            .contains("chest")
    );
}

#[test]
fn a_won_fight_shares_the_foes_experience_and_the_last_exit_ends_the_adventure() {
    // SRD 5.1 "Experience Points": a goblin (challenge 1/4) is worth 50 XP, "divided evenly
    // among the party members".
    let mut t = table(6);
    to_the_yard(&mut t);
    let goblin = t
        .combatants
        .iter()
        .find(|c| c.source == "goblin")
        .unwrap()
        .id;
    t.start_combat(0, "test".into());
    t.combatants.iter_mut().find(|c| c.id == goblin).unwrap().hp = 1;
    for _ in 0..200 {
        if t.combat.is_none() {
            break;
        }
        let Some(active) = t.active() else { break };
        let plan = t.plan_for(active);
        t.play_npc_turn(active, plan, 0);
    }
    assert!(t.combat.is_none());
    let xp: Vec<u32> = t
        .combatants
        .iter()
        .filter(|c| c.is_pc)
        .map(|c| c.xp)
        .collect();
    let living = t
        .combatants
        .iter()
        .filter(|c| c.is_pc && !c.is_dead())
        .count() as u32;
    assert!(xp.iter().all(|x| *x == 50 / living || *x == 0), "{xp:?}");
    let fighter = pc(&t, "fighter");
    put(&mut t, fighter, 1, 2);
    t.submit(
        fighter,
        Action::Interact {
            target: "out".into(),
            approach: Approach::Use,
        },
        0,
    )
    .unwrap();
    assert!(t.adventure.as_ref().unwrap().ended);
    assert!(
        story(&t)
            .iter()
            .any(|s| matches!(s, StoryEvent::Ended { .. }))
    );
}

#[test]
fn a_broken_scene_names_file_line_and_column() {
    let bad = HALL.replace("to: \"yard\", at: [(5, 5)", "to: \"nowhere\", at: [(5, 5)");
    let mut files = test_files();
    files.retain(|f| f.0 != "adventures/test-run/hall.ron");
    let leaked: &'static str = Box::leak(bad.into_boxed_str());
    files.push(("adventures/test-run/hall.ron", leaked, ContentKind::Scene));
    let err = lib_with(&files).unwrap_err();
    assert!(err.contains("hall.ron:"), "{err}");
    assert!(err.contains("unknown scene `nowhere`"), "{err}");
    let bad_dc = HALL.replace("pick_dc: Some(30)", "pick_dc: Some(99)");
    let mut files = test_files();
    files.retain(|f| f.0 != "adventures/test-run/hall.ron");
    let leaked: &'static str = Box::leak(bad_dc.into_boxed_str());
    files.push(("adventures/test-run/hall.ron", leaked, ContentKind::Scene));
    let err = lib_with(&files).unwrap_err();
    assert!(err.contains("DC 99"), "{err}");
}

/// Plays the whole adventure as bots would: the built-in tactics in fights, the explorer
/// outside them. Returns the number of inputs taken.
fn play_to_the_end(t: &mut Table) -> usize {
    use emberkeep_shared::tactics::explore::{ExploreMemory, PartyState, explore_step, wounded};
    let mut memories: std::collections::BTreeMap<CombatantId, ExploreMemory> = Default::default();
    let mut inputs = 0;
    let mut scene = String::new();
    for _ in 0..3000 {
        if t.adventure.as_ref().unwrap().ended {
            return inputs;
        }
        if t.scene().unwrap().def.id != scene {
            scene = t.scene().unwrap().def.id.clone();
            memories.clear();
        }
        if let Some(p) = t.pending.clone() {
            t.submit(p.reactor, Action::React { take: true }, 0)
                .unwrap();
            continue;
        }
        if let Some(active) = t.active() {
            for m in memories.values_mut() {
                m.fought();
            }
            let plan = t.plan_for(active);
            t.play_npc_turn(active, plan, 0);
            inputs += 1;
            continue;
        }
        let pcs: Vec<CombatantId> = t
            .combatants
            .iter()
            .filter(|c| c.is_pc && c.is_conscious())
            .map(|c| c.id)
            .collect();
        assert!(!pcs.is_empty(), "the party fell");
        let mut acted = false;
        for id in pcs {
            if t.combat.is_some() || t.adventure.as_ref().unwrap().ended {
                break;
            }
            let board = t.board();
            let sheet = t.combatant(id).unwrap().clone();
            let party = PartyState {
                wounded: wounded(&t.combatants),
                vote: t
                    .rest_vote
                    .as_ref()
                    .map(|v| (v.long, v.agreed.contains(&id))),
                may_rest: t.check_rest().is_ok(),
            };
            let memory = memories.entry(id).or_default();
            memory.observe_day(t.adventure.as_ref().unwrap().days);
            let Some(action) =
                explore_step(&board, &t.known_points(), &sheet, &t.items, party, memory)
            else {
                continue;
            };
            let here = t.combatant(id).unwrap().pos;
            let result = t.submit(id, action.clone(), 0);
            let action_shown = action.clone();
            inputs += 1;
            acted = true;
            memory.sent(&action, Some(here));
            if let Err(r) = &result
                && std::env::var("ADVENTURE_DEBUG").is_ok()
                && t.next_seq > 1270
            {
                println!("rejected {id} {action_shown:?}: {}", r.reason);
            }
        }
        assert!(acted, "nobody had anything to do: {:?}", t.known_points());
    }
    panic!("the adventure never ended");
}

#[test]
fn bots_explore_find_the_hidden_route_fight_and_finish() {
    let mut t = table(7);
    let inputs = play_to_the_end(&mut t);
    let s = story(&t);
    assert!(
        s.iter()
            .any(|e| matches!(e, StoryEvent::Found { what, .. } if what == "A hidden door"))
    );
    assert!(
        s.iter()
            .any(|e| matches!(e, StoryEvent::SceneEntered { scene, .. } if scene == "yard"))
    );
    assert!(s.iter().any(|e| matches!(e, StoryEvent::Experience { .. })));
    assert!(inputs > 5);
}

fn everyone_rests(t: &mut Table, long: bool) {
    let pcs: Vec<CombatantId> = t
        .combatants
        .iter()
        .filter(|c| c.is_pc)
        .map(|c| c.id)
        .collect();
    for id in pcs {
        t.submit(id, Action::Rest { long }, 0).unwrap();
    }
}

#[test]
fn a_short_rest_needs_everyone_and_spends_hit_dice_and_brings_features_back() {
    // SRD 5.1 "Short Rest": "A character can spend one or more Hit Dice at the end of a short
    // rest ... For each Hit Die spent in this way, the player rolls the die and adds the
    // character's Constitution modifier to it. The character regains hit points equal to the
    // total." Second Wind: "Once you use this feature, you must finish a short or long rest
    // before you can use it again." Arcane Recovery: "you can choose expended spell slots to
    // recover. The spell slots can have a combined level that is equal to or less than half
    // your wizard level (rounded up)".
    let mut t = table(8);
    let fighter = pc(&t, "fighter");
    let wizard = pc(&t, "wizard");
    {
        let f = t.combatants.iter_mut().find(|c| c.id == fighter).unwrap();
        f.hp = 1;
        f.uses.insert("Second Wind".into(), 1);
        let w = t.combatants.iter_mut().find(|c| c.id == wizard).unwrap();
        w.casting.as_mut().unwrap().used[0] = 2;
    }
    t.submit(fighter, Action::Rest { long: false }, 0).unwrap();
    assert_eq!(
        t.combatant(fighter).unwrap().hp,
        1,
        "nobody rests until all agree"
    );
    assert!(
        story(&t)
            .iter()
            .any(|s| matches!(s, StoryEvent::Said { text } if text.contains("waiting for")))
    );
    everyone_rests(&mut t, false);
    let f = t.combatant(fighter).unwrap();
    assert_eq!(f.hit_die, 10, "a fighter's Hit Die is a d10");
    assert_eq!(f.hit_dice_left, 0, "its one Hit Die (level 1) spent");
    let con = f
        .abilities
        .modifier(emberkeep_shared::content::Ability::Con);
    assert!((1 + 1 + con..=1 + 10 + con).contains(&f.hp), "hp {}", f.hp);
    assert!(!f.uses.contains_key("Second Wind"));
    let w = t.combatant(wizard).unwrap();
    assert_eq!(
        w.casting.as_ref().unwrap().used[0],
        1,
        "level 1: one 1st-level slot back"
    );
    assert!(
        story(&t)
            .iter()
            .any(|s| matches!(s, StoryEvent::Rested { long: false, .. }))
    );
    // Arcane Recovery is once a day: a second short rest brings no slot back.
    everyone_rests(&mut t, false);
    assert_eq!(
        t.combatant(wizard).unwrap().casting.as_ref().unwrap().used[0],
        1
    );
}

#[test]
fn a_long_rest_restores_everything_but_not_in_a_fight_nor_where_the_scene_forbids() {
    // SRD 5.1 "Long Rest": "At the end of a long rest, a character regains all lost hit
    // points. The character also regains spent Hit Dice, up to a number of dice equal to half
    // of the character's total number of them (minimum of one die)."
    let mut t = table(9);
    let cleric = pc(&t, "cleric");
    {
        let c = t.combatants.iter_mut().find(|c| c.id == cleric).unwrap();
        c.hp = 2;
        c.hit_dice_left = 0;
        c.casting.as_mut().unwrap().used[0] = 2;
    }
    everyone_rests(&mut t, true);
    let c = t.combatant(cleric).unwrap();
    assert_eq!(c.hp, c.max_hp);
    assert_eq!(c.hit_dice_left, 1);
    assert_eq!(c.casting.as_ref().unwrap().used[0], 0);
    // In the yard (rest: false) and in a fight, a rest is refused and changes nothing.
    to_the_yard(&mut t);
    let before = t.log.len();
    let r = t
        .submit(cleric, Action::Rest { long: true }, 0)
        .unwrap_err();
    assert!(r.reason.contains("no place to rest"), "{}", r.reason);
    t.start_combat(0, "test".into());
    let r = t.check_rest().unwrap_err();
    assert!(r.reason.contains("fight"), "{}", r.reason);
    assert!(t.log.len() >= before);
}

#[test]
fn enough_experience_levels_a_character_up_keeping_its_wounds() {
    // SRD 5.1 "Character Advancement": level 2 at 300 XP, level 3 at 900 XP.
    let mut t = table(10);
    let rogue = pc(&t, "rogue");
    let r = t.submit(rogue, Action::LevelUp, 0).unwrap_err();
    assert!(r.reason.contains("300"), "{}", r.reason);
    {
        let c = t.combatants.iter_mut().find(|c| c.id == rogue).unwrap();
        c.xp = 300;
        c.hp -= 2;
        c.gold = 7;
    }
    let before = t.combatant(rogue).unwrap().clone();
    t.submit(rogue, Action::LevelUp, 0).unwrap();
    let after = t.combatant(rogue).unwrap();
    assert_eq!(after.level, 2);
    assert!(after.max_hp > before.max_hp);
    assert_eq!(
        after.hp - before.hp,
        after.max_hp - before.max_hp,
        "wounds stay"
    );
    assert_eq!(after.gold, 7);
    assert!(
        after
            .features
            .contains(&emberkeep_shared::content::Feature::CunningAction)
    );
    assert!(
        story(&t)
            .iter()
            .any(|s| matches!(s, StoryEvent::LeveledUp { level: 2, .. }))
    );
    let r = t.submit(rogue, Action::LevelUp, 0).unwrap_err();
    assert!(r.reason.contains("900"), "{}", r.reason);
}

#[test]
fn levelling_up_takes_the_fixed_hit_points_or_rolls_the_hit_die() {
    // SRD 5.1 Rogue "Hit Points at Higher Levels": 1d8 (or 5) + Constitution modifier per
    // rogue level after 1st. The pregen rogue has Con 12 (+1): fixed, +6; rolled, 2 to 9.
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..40 {
        let mut t = table(seed);
        let rogue = pc(&t, "rogue");
        t.combatants.iter_mut().find(|c| c.id == rogue).unwrap().xp = 900;
        let before = t.combatant(rogue).unwrap().max_hp;
        let con = t
            .combatant(rogue)
            .unwrap()
            .modifier(emberkeep_shared::content::Ability::Con);
        assert_eq!(con, 1);
        t.submit(rogue, Action::LevelUpRolling, 0).unwrap();
        let two = t.combatant(rogue).unwrap().max_hp;
        let Some(StoryEvent::LeveledUp {
            rolled: Some((8, roll)),
            hit_points,
            ..
        }) = story(&t).last().cloned()
        else {
            panic!("{:?}", story(&t).last())
        };
        assert!((1..=8).contains(&roll));
        assert_eq!(hit_points, roll as i32 + con);
        assert_eq!(two - before, hit_points);
        seen.insert(roll);
        // The next level's fixed value is the same whatever was rolled before.
        t.submit(rogue, Action::LevelUp, 0).unwrap();
        let three = t.combatant(rogue).unwrap();
        assert_eq!((three.level, three.max_hp - two), (3, 5 + con));
    }
    assert!(seen.len() >= 6, "rolls vary with the dice: {seen:?}");
}

#[test]
fn a_free_form_action_waits_for_its_judgment_and_the_scene_decides_the_dc() {
    // SRD 5.1 "Ability Checks": the DM calls for a check and sets its DC; here the scene's own
    // check for Persuasion (DC 5) overrides the judge's DC.
    use emberkeep_shared::judge::builtin_judgment;
    let mut t = table(11);
    let cleric = pc(&t, "cleric");
    let said = "I persuade the ghost to let us pass";
    t.submit(cleric, Action::Declare { text: said.into() }, 0)
        .unwrap();
    assert!(t.judging.is_some());
    let second = t
        .submit(
            cleric,
            Action::Declare {
                text: "I wait".into(),
            },
            0,
        )
        .unwrap_err();
    assert!(second.reason.contains("judging"), "{}", second.reason);
    // A judgment for someone else is refused and changes nothing.
    let fighter = pc(&t, "fighter");
    assert!(t.judge(fighter, None, 0).is_err());
    let request = builtin_judgment(said).unwrap();
    assert_eq!(request.skill, emberkeep_shared::checks::Skill::Persuasion);
    assert_eq!(request.dc, 13, "the keyword table's DC");
    t.judge(cleric, Some(request), 0).unwrap();
    assert!(t.judging.is_none());
    let (roll, success_said) = story(&t)
        .iter()
        .find_map(|s| match s {
            StoryEvent::Check { roll, .. } => Some(*roll),
            _ => None,
        })
        .map(|r| {
            (
                r,
                story(&t).iter().any(
                    |s| matches!(s, StoryEvent::Said { text } if text == "The ghost agrees to help."),
                ),
            )
        })
        .unwrap();
    assert_eq!(roll.dc, Some(5), "the scene's DC");
    assert_eq!(roll.success, success_said);
    // No check: the action simply happens; the table takes free-form actions again.
    t.submit(
        cleric,
        Action::Declare {
            text: "I wave".into(),
        },
        0,
    )
    .unwrap();
    t.judge(cleric, builtin_judgment("I wave"), 0).unwrap();
    assert!(t.judging.is_none());
}

#[test]
fn a_group_check_succeeds_when_half_the_party_does() {
    // SRD 5.1 "Group Checks": "If at least half the group succeeds, the whole group succeeds."
    use emberkeep_shared::judge::CheckRequest;
    let mut t = table(12);
    let rogue = pc(&t, "rogue");
    t.submit(
        rogue,
        Action::Declare {
            text: "we sneak past".into(),
        },
        0,
    )
    .unwrap();
    let request = CheckRequest {
        skill: emberkeep_shared::checks::Skill::Stealth,
        dc: 12,
        group: true,
        advantage: false,
    };
    t.judge(rogue, Some(request), 0).unwrap();
    let rolls: Vec<_> = story(&t)
        .into_iter()
        .filter_map(|s| match s {
            StoryEvent::Check { actor, roll, .. } => Some((actor, roll)),
            _ => None,
        })
        .collect();
    assert_eq!(rolls.len(), 4, "everyone rolls");
}

#[test]
fn the_shipped_adventure_is_finished_by_the_explorer_and_the_tactics() {
    let root = emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets");
    let lib = ContentLibrary::load_dir(&root).unwrap();
    let mut finished = 0;
    for seed in 1..=12 {
        let mut t = Table::new_adventure(&lib, "ember", seed, 60_000, None).unwrap();
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| play_to_the_end(&mut t)));
        let s = story(&t);
        let scenes: Vec<String> = s
            .iter()
            .filter_map(|e| match e {
                StoryEvent::SceneEntered { scene, .. } => Some(scene.clone()),
                _ => None,
            })
            .collect();
        let fallen = s
            .iter()
            .any(|e| matches!(e, StoryEvent::Ended { fallen: true, .. }));
        println!(
            "seed {seed}: {} after {} events, scenes {scenes:?}, levels {:?}",
            match (outcome.is_ok(), fallen) {
                (true, false) => "finished",
                (true, true) => "fell",
                (false, _) => "stopped",
            },
            t.next_seq - 1,
            t.combatants
                .iter()
                .filter(|c| c.is_pc)
                .map(|c| (c.level, c.xp, c.hp))
                .collect::<Vec<_>>()
        );
        if outcome.is_err() && std::env::var("ADVENTURE_DEBUG").is_ok() {
            let name = |id| t.combatant(id).map(|c| c.name.clone()).unwrap_or_default();
            for e in t
                .log
                .iter()
                .rev()
                .take(60)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
            {
                println!("  #{} {}", e.seq, e.event.describe(&name));
            }
        }
        finished += usize::from(outcome.is_ok() && !fallen);
    }
    assert_eq!(finished, 12, "{finished} of 12 seeds won");
}

#[test]
fn armor_found_is_worn_and_changes_the_ac_and_items_are_handed_over() {
    // SRD 5.1 "Armor and Shields": scale mail is 14 + Dex modifier (max 2); a shield +2.
    let mut t = table(13);
    // The cleric (trained for medium armor and shields), its own armor taken off.
    let cleric = pc(&t, "cleric");
    let rogue = pc(&t, "rogue");
    put(&mut t, cleric, 2, 5);
    {
        let c = t.combatants.iter_mut().find(|c| c.id == cleric).unwrap();
        let dex = c
            .abilities
            .modifier(emberkeep_shared::content::Ability::Dex);
        c.worn.clear();
        c.items.retain(|i| i != "shield" && i != "chain-mail");
        c.ac = 10 + dex;
        c.unarmored = true;
        c.metal_armor = false;
    }
    t.submit(
        cleric,
        Action::Interact {
            target: "rack".into(),
            approach: Approach::Use,
        },
        0,
    )
    .unwrap();
    let before = t.combatant(cleric).unwrap().clone();
    assert!(before.unarmored && before.worn.is_empty());
    let dex = before
        .abilities
        .modifier(emberkeep_shared::content::Ability::Dex);
    t.submit(
        cleric,
        Action::Equip {
            item: "scale-mail".into(),
        },
        0,
    )
    .unwrap();
    let w = t.combatant(cleric).unwrap();
    assert_eq!(w.ac, before.ac + (14 + dex.min(2)) - (10 + dex));
    assert!(!w.unarmored && w.metal_armor, "scale mail is metal");
    assert!(!w.items.contains(&"scale-mail".to_string()));
    let ac = w.ac;
    t.submit(
        cleric,
        Action::Equip {
            item: "shield".into(),
        },
        0,
    )
    .unwrap();
    assert_eq!(t.combatant(cleric).unwrap().ac, ac + 2);
    // Not what you do not carry, not a potion, not in a fight.
    let r = t
        .submit(
            cleric,
            Action::Equip {
                item: "chain-mail".into(),
            },
            0,
        )
        .unwrap_err();
    assert!(r.reason.contains("carries no"), "{}", r.reason);
    let r = t
        .submit(
            cleric,
            Action::Equip {
                item: "potion-of-healing".into(),
            },
            0,
        )
        .unwrap_err();
    assert!(r.reason.contains("not armor"), "{}", r.reason);
    // Handing a potion over: only within 5 ft.
    let potions = |t: &Table, id| {
        t.combatant(id)
            .unwrap()
            .items
            .iter()
            .filter(|i| *i == "potion-of-healing")
            .count()
    };
    let (mine, theirs) = (potions(&t, cleric), potions(&t, rogue));
    assert!(mine > 0, "the cleric starts with a potion");
    let give = Action::Give {
        item: "potion-of-healing".into(),
        to: rogue,
    };
    put(&mut t, rogue, 8, 1);
    assert_eq!(
        t.submit(cleric, give.clone(), 0).unwrap_err().code,
        RejectCode::OutOfReach
    );
    put(&mut t, rogue, 3, 5);
    t.submit(cleric, give, 0).unwrap();
    assert_eq!(
        (potions(&t, cleric), potions(&t, rogue)),
        (mine - 1, theirs + 1)
    );
    t.start_combat(0, "test".into());
    assert!(t.check_equip(cleric, "shield").is_err());
}

#[test]
fn a_recap_tells_the_story_so_far_to_the_seat_that_asks() {
    let mut t = table(14);
    let rogue = pc(&t, "rogue");
    open_the_chest(&mut t, rogue);
    to_the_yard(&mut t);
    // Asked for in a fight, out of turn: still answered, changing nothing else.
    t.start_combat(0, "test".into());
    let before = t.combat.clone();
    t.submit(rogue, Action::Recap, 0).unwrap();
    assert_eq!(t.combat, before);
    let last = t.log.back().unwrap();
    assert_eq!(
        last.audience,
        emberkeep_shared::event::Audience::Seats(vec!["rogue".into()])
    );
    let GameEvent::Story(StoryEvent::Recap { text }) = &last.event else {
        panic!("{:?}", last.event)
    };
    assert!(text.contains("came through The Hall"), "{text}");
    assert!(text.contains("now stands in The Yard"), "{text}");
    assert!(text.contains("25 gp"), "{text}");
    assert!(text.contains("A fight is on"), "{text}");
}

#[test]
fn a_returning_player_is_told_the_story_so_far_and_what_happened_while_away() {
    let mut t = table(15);
    let rogue = pc(&t, "rogue");
    let recaps = |t: &Table| {
        t.log
            .iter()
            .filter_map(|e| match &e.event {
                GameEvent::Story(StoryEvent::Recap { text }) => {
                    Some((e.audience.clone(), text.clone()))
                }
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    // At the start, the intro says it all: no recap.
    t.player_joined("rogue", "Ann", Some(rogue), 0);
    assert!(recaps(&t).is_empty());
    t.player_left("rogue", "Ann", 0);
    open_the_chest(&mut t, rogue);
    to_the_yard(&mut t);
    // A spectator (no character) is told nothing; the returning player is, alone.
    t.player_joined("spectators", "Bob", None, 0);
    assert!(recaps(&t).is_empty());
    t.player_joined("rogue", "Ann", Some(rogue), 0);
    let told = recaps(&t);
    assert_eq!(told.len(), 1);
    let (audience, text) = &told[0];
    assert_eq!(
        *audience,
        emberkeep_shared::event::Audience::Seats(vec!["rogue".into()])
    );
    assert!(text.contains("now stands in The Yard"), "{text}");
    assert!(text.contains("While you were away:"), "{text}");
    assert!(text.contains("went on to The Yard"), "{text}");
    assert!(text.contains("took Potion of Healing, 25 gp"), "{text}");
    // Back again without leaving (a second device): the story so far, nothing "while away".
    t.player_joined("rogue", "Ann", Some(rogue), 0);
    let (_, again) = recaps(&t).pop().unwrap();
    assert!(!again.contains("While you were away"), "{again}");
}

#[test]
fn a_party_all_dead_ends_the_adventure_as_a_defeat_and_a_fallen_party_regroups_until_then() {
    let mut t = table(9);
    to_the_yard(&mut t);
    let fighter = pc(&t, "fighter");
    for c in t
        .combatants
        .iter_mut()
        .filter(|c| c.is_pc && c.id != fighter)
    {
        c.hp = 0;
        c.conditions.insert(Condition::Dead);
    }
    // SRD 5.1 "Instant Death": damage left over after 0 hit points that equals the hit point
    // maximum kills outright; with a maximum of 1, any goblin hit for 2 or more does.
    let f = t.combatants.iter_mut().find(|c| c.id == fighter).unwrap();
    f.max_hp = 1;
    f.hp = 1;
    put(&mut t, fighter, 6, 2);
    let mut regrouped = 0;
    for _ in 0..500 {
        if t.adventure.as_ref().unwrap().ended {
            break;
        }
        match t.active() {
            Some(id) if id == fighter => {
                t.submit(fighter, Action::EndTurn, 0).unwrap();
            }
            Some(id) => {
                let plan = t.plan_for(id);
                t.play_npc_turn(id, plan, 0);
            }
            None => {
                // Left for dead, he comes round at the start: back toward the goblin.
                regrouped += 1;
                let at = t.combatant(fighter).unwrap().pos;
                let path = vec![GridPos::new(at.x + 1, at.y)];
                t.submit(fighter, Action::Move { path }, 0).unwrap();
            }
        }
    }
    let s = story(&t);
    assert!(
        matches!(s.last(), Some(StoryEvent::Ended { fallen: true, text }) if text.contains("Test Run")),
        "{:?}",
        s.last()
    );
    assert!(t.combatant(fighter).unwrap().is_dead());
    assert!(regrouped >= 1);
    // The adventure is over: nobody acts any more.
    let refused = t.submit(fighter, Action::Search, 0).unwrap_err();
    assert!(!refused.reason.is_empty());
}

#[test]
fn the_host_restarts_a_scenes_fight_with_its_creatures_as_they_began() {
    let mut t = table(16);
    let hall = t.host_restart(0).unwrap_err();
    assert!(
        hall.reason.contains("no fight to restart"),
        "{}",
        hall.reason
    );
    to_the_yard(&mut t);
    let goblin = t.combatants.iter().find(|c| !c.is_pc).unwrap().clone();
    let fighter = pc(&t, "fighter");
    put(&mut t, fighter, 8, 2);
    t.start_combat(0, "test".into());
    {
        let g = t.combatants.iter_mut().find(|c| c.id == goblin.id).unwrap();
        g.hp = 0;
        g.conditions.insert(Condition::Dead);
    }
    let wounded = t.combatant(fighter).unwrap().hp - 3;
    t.combatants
        .iter_mut()
        .find(|c| c.id == fighter)
        .unwrap()
        .hp = wounded;
    t.host_restart(0).unwrap();
    assert!(t.combat.is_none());
    assert!(!t.resolved, "the yard's fight is to win again");
    let g = t.combatant(goblin.id).unwrap();
    assert_eq!((g.hp, g.pos, g.is_dead()), (goblin.hp, goblin.pos, false));
    let f = t.combatant(fighter).unwrap();
    assert_eq!(f.hp, wounded, "the party stays as it is");
    let spawns = t.scene().unwrap().spawns.clone();
    assert!(spawns.contains(&f.pos), "{} not on {spawns:?}", f.pos);
    assert!(matches!(
        story(&t).last(),
        Some(StoryEvent::Said { text }) if text.contains("restarts the fight in The Yard")
    ));
}

#[test]
fn a_dropped_item_lies_where_it_fell_until_someone_picks_it_up() {
    // SRD 5.1 "Other Activity on Your Turn": dropping an object takes no action; picking one
    // up is an object interaction (in a fight, here, the action).
    let mut t = table(17);
    let rogue = pc(&t, "rogue");
    let fighter = pc(&t, "fighter");
    put(&mut t, rogue, 7, 1);
    put(&mut t, fighter, 2, 2);
    let potion = "potion-of-healing".to_string();
    let carried = t.combatant(rogue).unwrap().items.len();
    let none = t
        .submit(
            rogue,
            Action::Drop {
                item: "vorpal-sword".into(),
            },
            0,
        )
        .unwrap_err();
    assert!(none.reason.contains("carries no"), "{}", none.reason);
    t.submit(
        rogue,
        Action::Drop {
            item: potion.clone(),
        },
        0,
    )
    .unwrap();
    assert_eq!(t.combatant(rogue).unwrap().items.len(), carried - 1);
    let lying = t
        .known_points()
        .into_iter()
        .find(|p| p.on_floor())
        .expect("the potion lies on the floor");
    assert_eq!(lying.name, "Potion of Healing (dropped)");
    assert_eq!(lying.at, vec![GridPos::new(7, 1)]);
    let pick = Action::Interact {
        target: lying.id.clone(),
        approach: Approach::Use,
    };
    // The fighter, across the hall, cannot reach it; then walks over and takes it.
    assert_eq!(
        t.submit(fighter, pick.clone(), 0).unwrap_err().code,
        RejectCode::OutOfReach
    );
    put(&mut t, fighter, 8, 1);
    let before = t.combatant(fighter).unwrap().items.len();
    t.submit(fighter, pick.clone(), 0).unwrap();
    assert_eq!(t.combatant(fighter).unwrap().items.len(), before + 1);
    assert!(!t.known_points().iter().any(|p| p.on_floor()));
    // Gone: nothing left to take, and a forged floor id names nothing.
    assert_eq!(
        t.submit(fighter, pick, 0).unwrap_err().code,
        RejectCode::UnknownTarget
    );
    let forged = Action::Interact {
        target: "floor:99999999999999999999".into(),
        approach: Approach::Use,
    };
    assert_eq!(
        t.submit(fighter, forged, 0).unwrap_err().code,
        RejectCode::UnknownTarget
    );
}

#[test]
fn a_fallen_foe_leaves_what_it_carried_where_it_fell() {
    let mut extra = test_files();
    let yard = YARD.replace(
        r#"foes: [(creature: "goblin", at: (9, 2))]"#,
        r#"foes: [(creature: "goblin", at: (9, 2), loot: [Item("shield"), Gold(7)])]"#,
    );
    let yard: &'static str = Box::leak(yard.into_boxed_str());
    for f in &mut extra {
        if f.1 == YARD {
            f.1 = yard;
        }
    }
    let lib = lib_with(&extra).unwrap();
    let mut t = Table::new_adventure(&lib, "test-run", 18, 60_000, None).unwrap();
    to_the_yard(&mut t);
    let goblin = t.combatants.iter().find(|c| !c.is_pc).unwrap().id;
    let fighter = pc(&t, "fighter");
    put(&mut t, fighter, 8, 2);
    t.start_combat(0, "test".into());
    // Struck down: the goblin's shield and coins lie on its square.
    t.combatants.iter_mut().find(|c| c.id == goblin).unwrap().hp = 1;
    for _ in 0..200 {
        if t.combatant(goblin).unwrap().is_dead() {
            break;
        }
        if let Some(p) = t.pending.clone() {
            t.submit(p.reactor, Action::React { take: true }, 0)
                .unwrap();
            continue;
        }
        match t.active() {
            Some(id) if id == fighter => {
                let _ = t.submit(
                    fighter,
                    Action::Attack {
                        target: goblin,
                        attack: 0,
                    },
                    0,
                );
                let _ = t.submit(fighter, Action::EndTurn, 0);
            }
            Some(id) if id == goblin => {
                let plan = t.plan_for(id);
                t.play_npc_turn(id, plan, 0);
            }
            Some(id) => {
                t.submit(id, Action::EndTurn, 0).unwrap();
            }
            None => break,
        }
    }
    assert!(
        t.combatant(goblin).unwrap().is_dead(),
        "the goblin fell: {:?}",
        t.log
            .iter()
            .rev()
            .take(12)
            .map(|e| format!("{:?}", e.event))
            .collect::<Vec<_>>()
    );
    let lying: Vec<_> = t
        .known_points()
        .into_iter()
        .filter(|p| p.on_floor())
        .collect();
    let names: Vec<&str> = lying.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, vec!["Shield (dropped)", "7 gp (dropped)"]);
    let fell = t.combatant(goblin).unwrap().pos;
    assert!(lying.iter().all(|p| p.at == vec![fell]));
    put(&mut t, fighter, fell.x, fell.y);
    let gold = t.combatant(fighter).unwrap().gold;
    for p in lying {
        t.submit(
            fighter,
            Action::Interact {
                target: p.id,
                approach: Approach::Use,
            },
            0,
        )
        .unwrap();
    }
    let f = t.combatant(fighter).unwrap();
    assert_eq!(f.gold, gold + 7);
    assert!(f.items.contains(&"shield".to_string()));
}

#[test]
fn a_loot_table_is_rolled_when_the_chest_is_opened_and_checked_when_loaded() {
    // One of three (a potion, or coins twice as likely), and 2d6 gold besides.
    let chest = r#"loot: [Item("potion-of-healing"), Gold(25)]"#;
    let table_loot =
        r#"loot: [OneOf([Item("potion-of-healing"), Coins("3d6"), Coins("3d6")]), Coins("2d6")]"#;
    let hall: &'static str = Box::leak(HALL.replace(chest, table_loot).into_boxed_str());
    let mut files = test_files();
    for f in &mut files {
        if f.1 == HALL {
            f.1 = hall;
        }
    }
    let lib = lib_with(&files).unwrap();
    let (mut potions, mut golds) = (0, std::collections::BTreeSet::new());
    for seed in 0..40 {
        let mut t = Table::new_adventure(&lib, "test-run", seed, 60_000, None).unwrap();
        let rogue = pc(&t, "rogue");
        put(&mut t, rogue, 7, 1);
        let items = t.combatant(rogue).unwrap().items.len();
        t.submit(
            rogue,
            Action::Interact {
                target: "chest".into(),
                approach: Approach::Use,
            },
            0,
        )
        .unwrap();
        let r = t.combatant(rogue).unwrap();
        let potion = r.items.len() - items;
        assert!(potion <= 1);
        potions += potion;
        // 2d6 alone (2 to 12), or with 3d6 (5 to 30).
        let range = if potion == 1 { 2..=12 } else { 5..=30 };
        assert!(range.contains(&r.gold), "{} gold", r.gold);
        golds.insert(r.gold);
    }
    assert!(
        (5..=25).contains(&potions),
        "about a third: {potions} of 40"
    );
    assert!(golds.len() > 8, "the coins vary: {golds:?}");
    // A table with nothing in it, or an unknown item inside one, names the file and place.
    for (bad, why) in [
        (r#"loot: [OneOf([])]"#, "1 to 32 choices"),
        (
            r#"loot: [OneOf([Item("vorpal-sword")])]"#,
            "unknown item `vorpal-sword`",
        ),
        (r#"loot: [Coins("1d4-10")]"#, "may come to -9 to -6"),
    ] {
        let broken: &'static str = Box::leak(HALL.replace(chest, bad).into_boxed_str());
        let mut files = test_files();
        for f in &mut files {
            if f.1 == HALL {
                f.1 = broken;
            }
        }
        let err = lib_with(&files).unwrap_err();
        assert!(
            err.contains(why) && err.contains("hall.ron"),
            "{why}: {err}"
        );
    }
}
