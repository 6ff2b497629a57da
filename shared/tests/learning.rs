//! New spells chosen at level-up, quoting SRD 5.1: Cleric "Preparing and Casting Spells" ("a
//! number of cleric spells equal to your Wisdom modifier + your cleric level … The spells must
//! be of a level for which you have spell slots"); Wizard "Learning Spells of 1st Level and
//! Higher" ("Each time you gain a wizard level, you can add two wizard spells of your choice
//! to your spellbook … of a level for which you have spell slots").

use emberkeep_shared::chargen::{self, Class};
use emberkeep_shared::content::ContentLibrary;
use emberkeep_shared::event::GameEvent;
use emberkeep_shared::story::StoryEvent;
use emberkeep_shared::table::{Action, Brought, CombatantId, RejectCode, Table};

fn lib() -> ContentLibrary {
    let root = emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets");
    ContentLibrary::load_dir(&root).unwrap()
}

/// The shipped adventure with the fighter's seat playing the example cleric (Wisdom 16: four
/// spells prepared at 1st level, then one more a level: inflict wounds, then aid).
fn cleric_at_the_table(lib: &ContentLibrary) -> (Table, CombatantId) {
    let def = chargen::example(Class::Cleric);
    let pregen = chargen::build(&def, lib, "fighter").expect("the example is valid");
    let brought = Brought::of(lib, &pregen, None);
    let mut t = Table::new_adventure(lib, "ember", 5, 60_000, None).unwrap();
    let seat = t
        .combatants
        .iter()
        .find(|c| c.source == "fighter")
        .unwrap()
        .id;
    t.bring_character(seat, &brought, 0).unwrap();
    (t, seat)
}

fn known(t: &Table, id: CombatantId) -> Vec<String> {
    t.combatant(id)
        .unwrap()
        .casting
        .as_ref()
        .unwrap()
        .spells
        .clone()
}

fn level_up(t: &mut Table, id: CombatantId, xp: u32) -> u8 {
    t.combatants.iter_mut().find(|c| c.id == id).unwrap().xp = xp;
    t.submit(id, Action::LevelUp, 0).unwrap();
    t.log
        .iter()
        .rev()
        .find_map(|e| match &e.event {
            GameEvent::Story(StoryEvent::LeveledUp { new_spells, .. }) => Some(*new_spells),
            _ => None,
        })
        .expect("a level-up")
}

#[test]
fn a_level_up_grants_picks_and_the_player_chooses_within_the_rules() {
    let lib = lib();
    let (mut t, me) = cleric_at_the_table(&lib);
    let first = known(&t, me);
    // 1st level: cantrips, the Life Domain's spells and the four prepared — not the later ones.
    for id in [
        "healing-word",
        "guiding-bolt",
        "shield-of-faith",
        "sanctuary",
        "bless",
    ] {
        assert!(first.contains(&id.to_string()), "{id} at 1st level");
    }
    assert!(!first.contains(&"inflict-wounds".to_string()));
    assert!(!first.contains(&"aid".to_string()));

    // 2nd level: one more prepared spell, to choose.
    assert_eq!(level_up(&mut t, me, 300), 1);
    let c = t.combatant(me).unwrap();
    assert_eq!((c.level, c.spell_picks), (2, 1));
    assert_eq!(
        known(&t, me),
        first,
        "nothing is learned before the player chooses"
    );
    assert_eq!(t.suggested_spells(me), ["inflict-wounds"]);

    // Bad choices are refused with a reason and change nothing.
    let before = t.clone();
    for (spells, code, why) in [
        (vec!["wish"], RejectCode::NotAllowed, "no spell"),
        (vec!["bless"], RejectCode::NotAllowed, "already knows"),
        // 2nd-level slots come at 3rd level.
        (vec!["hold-person"], RejectCode::NotAllowed, "can learn now"),
        (
            vec!["magic-missile"],
            RejectCode::NotAllowed,
            "can learn now",
        ),
        (vec!["fire-bolt"], RejectCode::NotAllowed, "can learn now"),
        (
            vec!["inflict-wounds", "inflict-wounds"],
            RejectCode::NotAllowed,
            "not 2",
        ),
    ] {
        let r = t
            .submit(
                me,
                Action::LearnSpells {
                    spells: spells.iter().map(|s| s.to_string()).collect(),
                },
                0,
            )
            .unwrap_err();
        assert_eq!(r.code, code, "{spells:?}: {}", r.reason);
        assert!(r.reason.contains(why), "{spells:?}: {}", r.reason);
        assert_eq!(t.combatants, before.combatants);
    }
    let mut fight = t.clone();
    fight.start_combat(0, "test".into());
    let r = fight
        .check_learn_spells(me, &["inflict-wounds".into()])
        .unwrap_err();
    assert_eq!(r.code, RejectCode::WrongMode, "not in a fight");

    // The suggestion taken (an empty list).
    t.submit(me, Action::LearnSpells { spells: vec![] }, 0)
        .unwrap();
    assert!(known(&t, me).contains(&"inflict-wounds".to_string()));
    assert_eq!(t.combatant(me).unwrap().spell_picks, 0);
    assert!(matches!(
        t.log.back().map(|e| &e.event),
        Some(GameEvent::Story(StoryEvent::LearnedSpells { spells, .. })) if spells == &["Inflict Wounds"]
    ));
    let r = t
        .submit(me, Action::LearnSpells { spells: vec![] }, 0)
        .unwrap_err();
    assert!(r.reason.contains("no new spells"), "{}", r.reason);

    // 3rd level: 2nd-level slots, so a 2nd-level spell of the player's own choice.
    assert_eq!(level_up(&mut t, me, 900), 1);
    assert_eq!(t.suggested_spells(me), ["aid"]);
    assert!(
        t.learnable_spells(me)
            .contains(&("hold-person".to_string(), 2))
    );
    t.submit(
        me,
        Action::LearnSpells {
            spells: vec!["hold-person".into()],
        },
        0,
    )
    .unwrap();
    let third = known(&t, me);
    assert!(third.contains(&"hold-person".to_string()));
    assert!(
        !third.contains(&"aid".to_string()),
        "the suggestion not chosen is not known"
    );
    assert!(
        third.contains(&"inflict-wounds".to_string()),
        "kept from 2nd level"
    );
}

#[test]
fn the_shipped_pregens_level_up_with_nothing_to_choose() {
    let lib = lib();
    let mut t = Table::new_adventure(&lib, "ember", 5, 60_000, None).unwrap();
    let wizard = t
        .combatants
        .iter()
        .find(|c| c.source == "wizard")
        .unwrap()
        .id;
    let before = known(&t, wizard);
    assert_eq!(level_up(&mut t, wizard, 300), 0);
    assert_eq!(t.combatant(wizard).unwrap().spell_picks, 0);
    assert_eq!(known(&t, wizard), before);
}
