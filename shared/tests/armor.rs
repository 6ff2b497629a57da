//! Armor found on the way: who may wear it (SRD 5.1 "Armor Proficiency": "Anyone can put on a
//! suit of armor or strap a shield to an arm. Only those proficient in the armor's use know how
//! to wear it effectively"; class tables: Fighter "All armor, shields", Cleric "Light armor,
//! medium armor, shields" and Life Domain "proficiency with heavy armor", Rogue "Light armor",
//! Wizard "None"), and the explorer putting on what protects better.

use emberkeep_shared::content::ContentLibrary;
use emberkeep_shared::table::{Action, CombatantId, RejectCode, Table};
use emberkeep_shared::tactics::explore::better_armor;

fn table() -> Table {
    let root = emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets");
    let lib = ContentLibrary::load_dir(&root).unwrap();
    Table::new_adventure(&lib, "ember", 1, 60_000, None).unwrap()
}

fn seat(t: &Table, source: &str) -> CombatantId {
    t.combatants.iter().find(|c| c.source == source).unwrap().id
}

fn give(t: &mut Table, id: CombatantId, item: &str) {
    t.combatants
        .iter_mut()
        .find(|c| c.id == id)
        .unwrap()
        .items
        .push(item.into());
}

#[test]
fn a_class_wears_only_the_armor_it_is_trained_for() {
    let mut t = table();
    let (wizard, rogue, cleric) = (seat(&t, "wizard"), seat(&t, "rogue"), seat(&t, "cleric"));
    give(&mut t, wizard, "shield");
    give(&mut t, rogue, "scale-mail");
    give(&mut t, cleric, "scale-mail");
    let before = t.combatants.clone();
    for (who, item) in [(wizard, "shield"), (rogue, "scale-mail")] {
        let r = t
            .submit(who, Action::Equip { item: item.into() }, 0)
            .unwrap_err();
        assert_eq!(r.code, RejectCode::NotAllowed);
        assert!(r.reason.contains("not proficient"), "{}", r.reason);
        assert_eq!(t.combatants, before, "nothing changed");
    }
    // A Life Domain cleric wears medium armor (and heavy: its chain mail).
    t.check_equip(cleric, "scale-mail").unwrap();
}

#[test]
fn the_explorer_puts_on_what_protects_better_and_only_that() {
    let mut t = table();
    let (fighter, rogue, wizard) = (seat(&t, "fighter"), seat(&t, "rogue"), seat(&t, "wizard"));
    // The fighter without its shield, carrying one found: it straps it on (+2).
    let f = t.combatants.iter_mut().find(|c| c.id == fighter).unwrap();
    f.worn.retain(|w| w != "shield");
    f.ac -= 2;
    f.items.push("shield".into());
    give(&mut t, fighter, "leather-armor");
    assert_eq!(
        better_armor(t.combatant(fighter).unwrap(), &t.items).as_deref(),
        Some("shield"),
        "a shield, not leather armor worse than its chain mail"
    );
    let ac = t.combatant(fighter).unwrap().ac;
    t.submit(
        fighter,
        Action::Equip {
            item: "shield".into(),
        },
        0,
    )
    .unwrap();
    assert_eq!(t.combatant(fighter).unwrap().ac, ac + 2);
    assert_eq!(better_armor(t.combatant(fighter).unwrap(), &t.items), None);
    // Scale mail would raise the rogue's AC, but a rogue is not trained for it; a wizard for
    // nothing.
    give(&mut t, rogue, "scale-mail");
    give(&mut t, wizard, "leather-armor");
    assert_eq!(better_armor(t.combatant(rogue).unwrap(), &t.items), None);
    assert_eq!(better_armor(t.combatant(wizard).unwrap(), &t.items), None);
}
