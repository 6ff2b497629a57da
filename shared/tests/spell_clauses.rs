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

/// Ends turns until it is `who`'s turn again.
fn to_turn_of(t: &mut Table, who: CombatantId) {
    for _ in 0..20 {
        let a = t.active().unwrap();
        t.submit(a, Action::EndTurn, 0).unwrap();
        if t.active() == Some(who) {
            return;
        }
    }
    panic!("{who} never gets a turn");
}

/// The spiritual weapon's attack index: the one after the caster's own.
fn weapon_index(t: &Table, caster: CombatantId) -> usize {
    t.combatant(caster).unwrap().attacks.len()
}

/// A level-3 cleric who has just cast Spiritual Weapon at a goblin 40 ft east, in the open:
/// (table, cleric, that goblin).
fn weapon_cast() -> (Table, CombatantId, CombatantId) {
    let mut t = fight("cleric", 3, 21);
    let cleric = id_of(&t, "cleric");
    let goblin = goblins(&t)[2];
    place(&mut t, cleric, 2, 6);
    place(&mut t, goblin, 10, 6);
    t.submit(cleric, cast("spiritual-weapon", 2, vec![goblin], None), 0)
        .unwrap();
    (t, cleric, goblin)
}

#[test]
fn spiritual_weapon_appears_beside_its_target_and_attacks_with_the_bonus_action() {
    // SRD 5.1 Spiritual Weapon: "Casting Time: 1 bonus action … You create a floating,
    // spectral weapon within range … When you cast the spell, you can make a melee spell
    // attack against a creature within 5 feet of the weapon. On a hit, the target takes force
    // damage equal to 1d8 + your spellcasting ability modifier."
    let (t, cleric, goblin) = weapon_cast();
    let budget = t.turn_budget().unwrap();
    assert!(budget.bonus_action_used && !budget.action_used);
    let weapon = t.weapon_square(cleric).expect("the weapon floats");
    assert_eq!(
        weapon,
        GridPos::new(9, 6),
        "beside the goblin, facing the cleric"
    );
    let strike = t
        .log
        .iter()
        .find_map(|e| match &e.event {
            GameEvent::Attacked(a) if a.attack == "Spiritual Weapon" => Some(a.clone()),
            _ => None,
        })
        .expect("the weapon attacks when cast");
    assert_eq!(strike.target, goblin);
    // Spell attack bonus: proficiency 2 + Wisdom 3.
    assert_eq!(strike.roll.total - strike.roll.d20.natural as i32, 5);
    if let Some(d) = strike.damage.filter(|_| !strike.roll.critical) {
        assert!((4..=11).contains(&d.total), "1d8 + 3: {}", d.total);
        assert_eq!(format!("{:?}", strike.damage_type), "Force");
    }
    // While it lasts the cleric has one more attack: the weapon's, reaching 25 ft from it.
    let attacks = t.attacks_of(cleric);
    let last = attacks.last().unwrap();
    assert_eq!(last.name, "Spiritual Weapon");
    assert_eq!((last.to_hit, last.reach), (5, 25));
    assert_eq!((last.damage.min(), last.damage.max()), (4, 11));
}

#[test]
fn the_weapon_moves_up_to_20_feet_and_strikes_again_as_a_bonus_action_on_later_turns() {
    // SRD 5.1 Spiritual Weapon: "As a bonus action on your turn, you can move the weapon up
    // to 20 feet and repeat the attack against a creature within 5 feet of it."
    let (mut t, cleric, _) = weapon_cast();
    let (near, far) = (goblins(&t)[0], goblins(&t)[1]);
    place(&mut t, near, 13, 10); // 20 ft from the weapon at (9, 6), 55 ft from the cleric
    place(&mut t, far, 16, 6); // 35 ft from the weapon
    // A wall between the cleric and both goblins: the weapon needs no sight from the caster.
    for y in 0..20 {
        t.map
            .set(GridPos::new(5, y), emberkeep_shared::grid::Terrain::Wall);
    }
    to_turn_of(&mut t, cleric);
    let sword = weapon_index(&t, cleric);
    let refused = t.check_attack(cleric, far, sword).unwrap_err();
    assert!(
        refused.reason.contains("cannot reach"),
        "{}",
        refused.reason
    );
    t.check_attack(cleric, near, sword).unwrap();
    let from = t.next_seq;
    t.submit(
        cleric,
        Action::Attack {
            target: near,
            attack: sword,
        },
        0,
    )
    .unwrap();
    let moved = events_since(&t, from).iter().find_map(|e| match e {
        GameEvent::WeaponMoved { to, .. } => Some(*to),
        _ => None,
    });
    let at = t.weapon_square(cleric).unwrap();
    assert_eq!(moved, Some(at));
    assert!(at.is_adjacent(t.combatant(near).unwrap().pos));
    assert!(GridPos::new(9, 6).feet_to(at) <= 20);
    assert!(events_since(&t, from)
        .iter()
        .any(|e| matches!(e, GameEvent::Attacked(a) if a.attack == "Spiritual Weapon" && a.target == near)));
    // It spent the bonus action, not the action: the cleric still casts or attacks, but the
    // weapon does not strike twice.
    let budget = t.turn_budget().unwrap();
    assert!(budget.bonus_action_used && !budget.action_used);
    // (On a target still standing: the reach and target are checked first.)
    let mut standing = t.clone();
    if let Some(c) = standing.combatants.iter_mut().find(|c| c.id == near) {
        c.hp = c.max_hp;
        c.conditions.clear();
    }
    let again = standing
        .submit(
            cleric,
            Action::Attack {
                target: near,
                attack: sword,
            },
            0,
        )
        .unwrap_err();
    assert_eq!(
        again.reason,
        "You have already used your bonus action this turn"
    );
}

#[test]
fn the_weapon_lasts_a_minute_or_until_cast_again_and_grows_every_two_slot_levels() {
    // SRD 5.1 Spiritual Weapon: "Duration: 1 minute … that lasts for the duration or until
    // you cast this spell again. … When you cast this spell using a spell slot of 3rd level or
    // higher, the damage increases by 1d8 for every two slot levels above the 2nd."
    let (mut t, cleric, _) = weapon_cast();
    // Cast again: one weapon, the new one.
    to_turn_of(&mut t, cleric);
    let other = goblins(&t)[0];
    t.submit(cleric, cast("spiritual-weapon", 2, vec![other], None), 0)
        .unwrap();
    let weapons = t
        .combatant(cleric)
        .unwrap()
        .effects
        .iter()
        .filter(|e| e.source == "Spiritual Weapon")
        .count();
    assert_eq!(weapons, 1);
    assert!(
        t.weapon_square(cleric)
            .unwrap()
            .is_adjacent(t.combatant(other).unwrap().pos)
    );
    // Ten rounds from this cast it is gone: there on the ninth of the cleric's next turns.
    for turn in 1..=10 {
        to_turn_of(&mut t, cleric);
        assert_eq!(t.weapon_square(cleric).is_some(), turn < 10, "turn {turn}");
    }
    assert_eq!(t.attacks_of(cleric).len(), weapon_index(&t, cleric));
    // Higher slots: 3rd still 1d8 + 3, 4th 2d8 + 3.
    for (slot, most) in [(3u8, 11), (4, 19)] {
        let (mut t, cleric, goblin) = weapon_cast();
        to_turn_of(&mut t, cleric);
        let c = t.combatants.iter_mut().find(|c| c.id == cleric).unwrap();
        let casting = c.casting.as_mut().unwrap();
        casting.slots = vec![4, 3, 3, 1];
        casting.used = vec![0; 4];
        t.submit(
            cleric,
            cast("spiritual-weapon", slot, vec![goblin], None),
            0,
        )
        .unwrap();
        assert_eq!(t.attacks_of(cleric).last().unwrap().damage.max(), most);
    }
}

#[test]
fn a_companion_holding_the_weapon_strikes_with_it_every_turn() {
    // The built-in tactics cast the weapon once, then use the bonus action to strike with it.
    let (mut t, cleric, _) = weapon_cast();
    t.set_companion(cleric, true, 0);
    to_turn_of(&mut t, cleric);
    let sword = weapon_index(&t, cleric);
    let plan = t.plan_for(cleric);
    assert!(
        matches!(plan.first(), Some(Action::Attack { attack, .. }) if *attack == sword),
        "{plan:?}"
    );
    let from = t.next_seq;
    t.play_npc_turn(cleric, plan, 0);
    assert!(
        events_since(&t, from)
            .iter()
            .any(|e| matches!(e, GameEvent::Attacked(a) if a.attack == "Spiritual Weapon"))
    );
    // The tactics would not cast it again while it lasts.
    assert!(
        emberkeep_shared::tactics::spell_options(&t, cleric)
            .iter()
            .all(|o| !o.label.starts_with("Cast Spiritual Weapon"))
    );
}
