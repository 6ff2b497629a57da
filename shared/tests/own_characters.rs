//! A seat's own character at the table: the sheets a server built from a character file
//! replace the seat's character before the story begins, carry into level-ups, and are
//! refused once the story is under way. (Reading and checking character files is in
//! `chargen.rs`; here the sheets come from a shipped pregen, as the server builds them.)

use emberkeep_shared::content::ContentLibrary;
use emberkeep_shared::event::GameEvent;
use emberkeep_shared::story::StoryEvent;
use emberkeep_shared::table::{Action, Brought, RejectCode, Table};

fn lib() -> ContentLibrary {
    let root = emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets");
    ContentLibrary::load_dir(&root).unwrap()
}

/// The wizard pregen, built as the seat `fighter`'s own character.
fn wizard_for_the_fighter_seat(lib: &ContentLibrary) -> Brought {
    let mut p = lib.pregens.get("wizard").unwrap().clone();
    p.id = "fighter".into();
    p.name = "Ysmay the Bold".into();
    Brought::of(lib, &p, Some("wizard".into()))
}

#[test]
fn a_brought_character_takes_the_seat_before_the_story_and_levels_as_itself() {
    let lib = lib();
    let mut t = Table::new_adventure(&lib, "ember", 3, 60_000, None).unwrap();
    let fighter = t
        .combatants
        .iter()
        .find(|c| c.source == "fighter")
        .unwrap()
        .clone();
    let brought = wizard_for_the_fighter_seat(&lib);
    assert!(t.before_the_story());
    t.bring_character(fighter.id, &brought, 0).unwrap();
    let now = t.combatant(fighter.id).unwrap().clone();
    // The seat, the square and the side stay; the sheet is the brought one's.
    assert_eq!(
        (now.id, now.source.as_str(), now.pos),
        (fighter.id, "fighter", fighter.pos)
    );
    assert_eq!(now.name, "Ysmay the Bold");
    assert_eq!(now.portrait.as_deref(), Some("wizard"));
    assert_eq!(
        now.hit_die, 6,
        "SRD 5.1 Wizard: Hit Dice 1d6 per wizard level"
    );
    assert!(now.casting.is_some());
    assert!(matches!(
        t.log.back().map(|e| &e.event),
        Some(GameEvent::Story(StoryEvent::Said { text })) if text.contains("takes the place of")
    ));
    // A level later it is still the wizard (its own level-2 sheet), and it casts.
    t.combatants
        .iter_mut()
        .find(|c| c.id == fighter.id)
        .unwrap()
        .xp = 300;
    t.submit(fighter.id, Action::LevelUp, 0).unwrap();
    let two = t.combatant(fighter.id).unwrap();
    assert_eq!(
        (two.level, two.name.as_str(), two.hit_die),
        (2, "Ysmay the Bold", 6)
    );
    // The story has moved (experience gained): no more swaps.
    let late = t.bring_character(fighter.id, &brought, 0).unwrap_err();
    assert_eq!(late.code, RejectCode::WrongMode);
    assert!(late.reason.contains("new campaign"), "{}", late.reason);
}

#[test]
fn a_malformed_bring_changes_nothing() {
    let lib = lib();
    let mut t = Table::new_adventure(&lib, "ember", 3, 60_000, None).unwrap();
    let before = t.clone();
    let mut brought = wizard_for_the_fighter_seat(&lib);
    brought.sheets.pop();
    let fighter = t
        .combatants
        .iter()
        .find(|c| c.source == "fighter")
        .unwrap()
        .id;
    assert_eq!(
        t.bring_character(fighter, &brought, 0).unwrap_err().code,
        RejectCode::Malformed
    );
    // Not a player character: a creature of the scene.
    let npc = t.combatants.iter().find(|c| !c.is_pc).unwrap().id;
    let full = wizard_for_the_fighter_seat(&lib);
    assert_eq!(
        t.bring_character(npc, &full, 0).unwrap_err().code,
        RejectCode::UnknownTarget
    );
    // The table never reads a character file itself.
    let direct = t
        .submit(
            fighter,
            Action::BringCharacter {
                file: "(name: \"x\")".into(),
            },
            0,
        )
        .unwrap_err();
    assert_eq!(direct.code, RejectCode::NotAllowed);
    assert_eq!(t.log.len(), before.log.len());
    assert_eq!(t.combatants, before.combatants);
}
