//! The clauses of SRD 5.1 spells beyond their damage: Sacred Flame ignores cover, Shocking
//! Grasp favours metal armor, Spiritual Weapon strikes again with the bonus action, and Web's
//! webs hold the map. Each test quotes the SRD text it checks; the dice are seeded.

use emberkeep_shared::content::AttackKind;
use emberkeep_shared::content::{Ability, ContentLibrary};
use emberkeep_shared::dice::Advantage;
use emberkeep_shared::event::GameEvent;
use emberkeep_shared::grid::{GridPos, MapGrid};
use emberkeep_shared::spells::TargetTrait;
use emberkeep_shared::table::{Action, AttackShape, CombatantId, Table};

fn lib() -> ContentLibrary {
    ContentLibrary::load_dir(
        &emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets"),
    )
    .unwrap()
}

fn id_of(t: &Table, source: &str) -> CombatantId {
    t.combatants.iter().find(|c| c.source == source).unwrap().id
}

/// The goblin ambush on an open 30×30 floor with the party at `level`, in combat with `first`
/// active: the party in a column at x = 2, the goblins in a column at x = 8 (30 ft away).
fn fight(first: &str, level: u32, seed: u64) -> Table {
    fight_in(&lib(), first, level, seed)
}

/// [`fight`] with the encounters of `lib`.
fn fight_in(lib: &ContentLibrary, first: &str, level: u32, seed: u64) -> Table {
    for s in seed..seed + 500 {
        let mut t = Table::new_at_level(lib, "goblin-ambush", s, 60_000, Some(level)).unwrap();
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
        if t.active() == Some(id_of(&t, first)) {
            return t;
        }
    }
    panic!("no seed puts {first} first");
}

fn cast(spell: &str, slot: u8, targets: Vec<CombatantId>, at: Option<GridPos>) -> Action {
    Action::Cast {
        spell: spell.into(),
        slot,
        targets,
        at,
    }
}

fn events_since(t: &Table, seq: u64) -> Vec<GameEvent> {
    t.log
        .iter()
        .filter(|e| e.seq >= seq)
        .map(|e| e.event.clone())
        .collect()
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

/// The bonus of the first saving throw `who` made against `against` since `seq`.
fn save_bonus(t: &Table, seq: u64, who: CombatantId, against: &str) -> Option<i32> {
    events_since(t, seq).iter().find_map(|e| match e {
        GameEvent::Saved {
            actor,
            against: a,
            roll,
            ..
        } if *actor == who && a == against => Some(roll.bonus),
        _ => None,
    })
}

#[test]
fn sacred_flame_ignores_cover_on_its_dexterity_save() {
    // SRD 5.1 Sacred Flame: "The target must succeed on a Dexterity saving throw or take 1d8
    // radiant damage. The target gains no benefit from cover for this saving throw." SRD 5.1
    // "Cover": half cover gives "+2 bonus to AC and Dexterity saving throws".
    let mut t = fight("cleric", 1, 3);
    let (cleric, fighter) = (id_of(&t, "cleric"), id_of(&t, "fighter"));
    let goblin = goblins(&t)[0];
    place(&mut t, cleric, 2, 10);
    place(&mut t, goblin, 8, 10);
    // The fighter stands on the line between them: half cover for the goblin.
    place(&mut t, fighter, 5, 10);
    assert_eq!(
        t.cover_between(cleric, goblin),
        emberkeep_shared::areas::Cover::Half
    );
    let dex_save = t.combatant(goblin).unwrap().save_bonus(Ability::Dex);
    let from = t.next_seq;
    let mut flame = t.clone();
    flame
        .submit(cleric, cast("sacred-flame", 0, vec![goblin], None), 0)
        .unwrap();
    assert_eq!(
        save_bonus(&flame, from, goblin, "Sacred Flame"),
        Some(dex_save),
        "the fighter in the way gives no cover against Sacred Flame"
    );
    // The same save without the clause counts the cover, as any Dexterity save does.
    let mut plain = t.clone();
    plain
        .spells
        .get_mut("sacred-flame")
        .unwrap()
        .save
        .as_mut()
        .unwrap()
        .ignores_cover = false;
    plain
        .submit(cleric, cast("sacred-flame", 0, vec![goblin], None), 0)
        .unwrap();
    assert_eq!(
        save_bonus(&plain, from, goblin, "Sacred Flame"),
        Some(dex_save + 2)
    );
}

/// The advantage state of the spell attack `attacker` made since `seq`.
fn attack_advantage_since(t: &Table, seq: u64, spell: &str) -> Option<Advantage> {
    events_since(t, seq).iter().find_map(|e| match e {
        GameEvent::Attacked(a) if a.attack == spell => Some(a.roll.d20.advantage),
        _ => None,
    })
}

#[test]
fn shocking_grasp_has_advantage_against_a_wearer_of_metal_armor() {
    // SRD 5.1 Shocking Grasp: "Make a melee spell attack against the target. You have
    // advantage on the attack roll if the target is wearing armor made of metal." The
    // hobgoblin's stat block: "Armor Class 18 (chain mail, shield)"; the goblin's: "15
    // (leather armor, shield)".
    let mut lib = lib();
    let mut encounter = lib.encounters["goblin-ambush"].clone();
    encounter.foes[0].creature = "hobgoblin".into();
    lib.encounters.insert("goblin-ambush".into(), encounter);
    let t = fight_in(&lib, "wizard", 1, 11);
    let wizard = id_of(&t, "wizard");
    let hobgoblin = id_of(&t, "hobgoblin");
    let goblin = goblins(&t)[0];
    // Pregens wear their equipment: chain mail is metal, leather is not.
    let metal = |source: &str| t.combatant(id_of(&t, source)).unwrap().metal_armor;
    assert!(metal("fighter") && metal("cleric") && metal("hobgoblin"));
    assert!(!metal("rogue") && !metal("wizard") && !metal("goblin"));
    let grasp = |target: CombatantId| {
        let mut t = t.clone();
        let at = t.combatant(target).unwrap().pos;
        place(&mut t, wizard, at.x - 1, at.y);
        let from = t.next_seq;
        t.submit(wizard, cast("shocking-grasp", 0, vec![target], None), 0)
            .unwrap();
        // The one answer the client's preview asks gives the same.
        let asked = t.attack_advantage(
            wizard,
            target,
            AttackShape {
                favoured: Some(TargetTrait::MetalArmor),
                ..AttackShape::new(AttackKind::Melee, 5)
            },
        );
        (attack_advantage_since(&t, from, "Shocking Grasp"), asked)
    };
    assert_eq!(
        grasp(hobgoblin),
        (Some(Advantage::Advantage), Advantage::Advantage)
    );
    assert_eq!(grasp(goblin), (Some(Advantage::Normal), Advantage::Normal));
    // Another melee spell attack without the clause gains nothing from the chain mail.
    let mut plain = t.clone();
    plain
        .spells
        .get_mut("shocking-grasp")
        .unwrap()
        .advantage_against = None;
    let at = plain.combatant(hobgoblin).unwrap().pos;
    place(&mut plain, wizard, at.x - 1, at.y);
    let from = plain.next_seq;
    plain
        .submit(wizard, cast("shocking-grasp", 0, vec![hobgoblin], None), 0)
        .unwrap();
    assert_eq!(
        attack_advantage_since(&plain, from, "Shocking Grasp"),
        Some(Advantage::Normal)
    );
}
