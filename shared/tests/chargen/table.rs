//! A built character plays at the table.

use super::*;

/// A table playing `pregen` (added to the library as `mine`) in the goblin ambush at
/// `level`, in combat with it to act first.
fn fight_with(pregen: &PregenDef, level: u32) -> Table {
    let mut lib = lib();
    lib.pregens.insert("mine".into(), pregen.clone());
    let mut enc = lib.encounters["goblin-ambush"].clone();
    enc.party = vec!["mine".into()];
    lib.encounters.insert("mine-ambush".into(), enc);
    for seed in 0..2000 {
        let mut t = Table::new_at_level(&lib, "mine-ambush", seed, 60_000, Some(level)).unwrap();
        t.map = MapGrid::open(20, 20);
        let mut f = 0;
        for c in &mut t.combatants {
            c.hidden = false;
            c.pos = if c.is_pc {
                GridPos::new(2, 2)
            } else {
                f += 1;
                GridPos::new(3, 2 * f)
            };
        }
        t.start_combat(0, "test".into());
        let me = t.combatants.iter().find(|c| c.source == "mine").unwrap().id;
        if t.active() == Some(me) {
            return t;
        }
    }
    panic!("no seed puts the built character first");
}

#[test]
fn a_built_character_plays_at_the_table() {
    let lib = lib();
    let def = CharacterDef {
        name: "Tordek".into(),
        race: Race::HillDwarf,
        ..example(Class::Fighter)
    };
    let built = build(&def, &lib, "mine").unwrap();
    let mut t = fight_with(&built, 3);
    let me = t
        .combatants
        .iter()
        .find(|c| c.source == "mine")
        .unwrap()
        .clone();
    assert_eq!(
        (me.name.as_str(), me.ac, me.max_hp, me.level),
        ("Tordek", 19, 34, 3)
    );
    let goblin = t
        .combatants
        .iter()
        .find(|c| c.source == "goblin")
        .unwrap()
        .id;
    let from = t.next_seq;
    t.submit(
        me.id,
        Action::Attack {
            target: goblin,
            attack: 0,
        },
        0,
    )
    .unwrap();
    let attacked = t
        .log
        .iter()
        .filter(|e| e.seq >= from)
        .find_map(|e| match &e.event {
            GameEvent::Attacked(a) if a.attacker == me.id => Some(a.clone()),
            _ => None,
        });
    let a = attacked.expect("the longsword swings");
    // Longsword: Str 15 (+2) + proficiency 2.
    assert_eq!(a.roll.d20.natural as i32 + 4, a.roll.total, "{a:?}");
}
