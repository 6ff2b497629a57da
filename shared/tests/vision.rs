//! What the party sees (SRD 5.1 "Vision and Light": "A given area might be lightly or heavily
//! obscured … Bright light lets most creatures see normally … Dim light … Darkness creates a
//! heavily obscured area"; "Darkvision": "within a specified range … see in dim light as if it
//! were bright light, and in darkness as if it were dim light"; Hill Dwarf and High Elf:
//! "Darkvision … 60 feet"; goblin: "darkvision 60 ft."). And the events players may hear.

use emberkeep_shared::content::ContentLibrary;
use emberkeep_shared::event::GameEvent;
use emberkeep_shared::grid::{GridPos, Light, LightSource, MapGrid, Terrain};
use emberkeep_shared::table::{CombatantId, Side, Table};

fn lib() -> ContentLibrary {
    ContentLibrary::load_dir(
        &emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets"),
    )
    .unwrap()
}

/// The goblin ambush on an open 20×12 floor: the party in a column at x = 1, the goblins at
/// x = 15, a wall down x = 8 with no gap.
fn walled(lib: &ContentLibrary) -> Table {
    let mut t = Table::new(lib, "goblin-ambush", 1, 60_000).unwrap();
    t.map = MapGrid::open(20, 12);
    for y in 0..12 {
        t.map.set(GridPos::new(8, y), Terrain::Wall);
    }
    let mut party_y = 2;
    let mut foe_y = 2;
    for c in &mut t.combatants {
        c.hidden = false;
        if c.side == Side::Party {
            c.pos = GridPos::new(1, party_y);
            party_y += 2;
        } else {
            c.pos = GridPos::new(15, foe_y);
            foe_y += 2;
        }
    }
    t
}

fn foes(t: &Table) -> Vec<CombatantId> {
    t.combatants
        .iter()
        .filter(|c| c.side == Side::Foe)
        .map(|c| c.id)
        .collect()
}

fn pc(t: &Table, source: &str) -> CombatantId {
    t.combatants.iter().find(|c| c.source == source).unwrap().id
}

#[test]
fn walls_hide_what_is_behind_them_and_an_opening_shows_it() {
    let lib = lib();
    let mut t = walled(&lib);
    // Before any sight is computed (a rules-only table) there is no fog.
    assert!(foes(&t).iter().all(|f| t.party_sees(*f)));
    assert!(t.update_sight());
    assert!(!t.update_sight(), "nothing moved: the same sight");
    assert!(t.sight.contains(GridPos::new(7, 5)), "up to the wall");
    assert!(t.sight.contains(GridPos::new(8, 5)), "the wall itself");
    assert!(!t.sight.contains(GridPos::new(9, 5)), "not past it");
    for f in foes(&t) {
        assert!(!t.party_sees(f), "a goblin behind the wall is unseen");
    }
    assert!(t.party_sees(pc(&t, "wizard")), "the party knows its own");
    // A gap in the wall: what lies in a straight line through it is seen.
    t.map.set(GridPos::new(8, 2), Terrain::Floor);
    t.update_sight();
    let grik = foes(&t)[0];
    assert_eq!(t.combatant(grik).unwrap().pos, GridPos::new(15, 2));
    assert!(t.party_sees(grik), "in line with the gap");
    assert!(
        foes(&t).iter().any(|f| !t.party_sees(*f)),
        "others stay behind the wall"
    );
    // Seen squares stay known when the gap closes again; the goblin does not.
    t.map.set(GridPos::new(8, 2), Terrain::Wall);
    t.update_sight();
    assert!(!t.party_sees(grik));
    assert!(!t.sight.contains(GridPos::new(15, 2)));
    assert!(
        t.seen.contains(GridPos::new(15, 2)),
        "seen before: remembered"
    );
}

#[test]
fn darkness_hides_except_within_light_and_darkvision() {
    let lib = lib();
    let mut t = walled(&lib);
    for y in 0..12 {
        t.map.set(GridPos::new(8, y), Terrain::Floor);
    }
    t.map.ambient = Light::Dark;
    // Only the fighter (human, no darkvision) looks.
    let fighter = pc(&t, "fighter");
    for c in &mut t.combatants {
        if c.side == Side::Party && c.id != fighter {
            c.hp = 0;
            c.conditions
                .insert(emberkeep_shared::content::Condition::Unconscious);
        }
    }
    assert_eq!(
        t.combatant(fighter).unwrap().darkvision_ft,
        0,
        "humans have none"
    );
    t.update_sight();
    let at = t.combatant(fighter).unwrap().pos;
    assert!(
        !t.sight.contains(GridPos::new(at.x + 1, at.y)),
        "pitch dark"
    );
    assert!(foes(&t).iter().all(|f| !t.party_sees(*f)));
    // A torch by the goblins: bright 20 ft, dim 20 ft more. SRD: "Torch … bright light in a
    // 20-foot radius and dim light for an additional 20 feet."
    t.map.lights.push(LightSource {
        at: GridPos::new(15, 6),
        bright_ft: 20,
        dim_ft: 20,
    });
    t.update_sight();
    assert_eq!(
        emberkeep_shared::vision::light_at(&t.map, GridPos::new(15, 2)),
        Light::Bright
    );
    assert_eq!(
        emberkeep_shared::vision::light_at(&t.map, GridPos::new(9, 6)),
        Light::Dim
    );
    assert_eq!(
        emberkeep_shared::vision::light_at(&t.map, GridPos::new(3, 6)),
        Light::Dark
    );
    assert!(
        foes(&t).iter().all(|f| t.party_sees(*f)),
        "lit goblins are seen from the dark"
    );
    assert!(
        !t.sight.contains(GridPos::new(at.x + 1, at.y)),
        "still dark beside the fighter"
    );
    // The dwarf cleric's darkvision: 60 ft of darkness seen as dim light.
    let cleric = pc(&t, "cleric");
    assert_eq!(t.combatant(cleric).unwrap().darkvision_ft, 60, "Hill Dwarf");
    let c = t.combatants.iter_mut().find(|c| c.id == cleric).unwrap();
    c.hp = 10;
    c.conditions
        .remove(&emberkeep_shared::content::Condition::Unconscious);
    t.map.lights.clear();
    t.update_sight();
    let from = t.combatant(cleric).unwrap().pos;
    assert!(
        t.sight.contains(GridPos::new(from.x + 12, from.y)),
        "60 ft away"
    );
    assert!(
        !t.sight.contains(GridPos::new(from.x + 13, from.y)),
        "65 ft: beyond it"
    );
    // Creatures' darkvision comes from their stat block.
    assert_eq!(
        t.combatant(foes(&t)[0]).unwrap().darkvision_ft,
        60,
        "goblin"
    );
}

#[test]
fn events_about_creatures_the_party_cannot_see_are_not_told() {
    let lib = lib();
    let mut t = walled(&lib);
    t.update_sight();
    let grik = foes(&t)[0];
    let fighter = pc(&t, "fighter");
    let moved = GameEvent::Moved {
        actor: grik,
        from: GridPos::new(15, 2),
        path: vec![GridPos::new(15, 3)],
        feet: 5,
        stood_up: false,
    };
    assert_eq!(moved.for_party(|id| t.party_sees(id)), None);
    // The start of a fight lists only those the party sees.
    let started = GameEvent::CombatStarted {
        reason: "test".into(),
        order: t
            .combatants
            .iter()
            .map(|c| emberkeep_shared::event::InitiativeEntry {
                combatant: c.id,
                roll: 10,
                dex: 0,
                total: 10,
                tiebreak: 0,
            })
            .collect(),
        turn_timeout_ms: 0,
    };
    let Some(GameEvent::CombatStarted { order, .. }) = started.for_party(|id| t.party_sees(id))
    else {
        panic!("the start of a fight is told");
    };
    assert_eq!(order.len(), 4, "only the party is listed");
    assert!(
        GameEvent::Dodged { actor: fighter }
            .for_party(|id| t.party_sees(id))
            .is_some()
    );
}

#[test]
fn points_of_interest_show_once_their_square_is_seen() {
    let lib = lib();
    let mut t = Table::new_adventure(&lib, "ember", 2, 60_000, None).unwrap();
    let everywhere = t.known_points();
    assert!(!everywhere.is_empty());
    // Pitch dark and nobody with darkvision awake: the party sees only its own squares.
    t.map.ambient = Light::Dark;
    t.map.lights.clear();
    for c in &mut t.combatants {
        c.darkvision_ft = 0;
    }
    t.update_sight();
    let seen = |t: &Table, p: &emberkeep_shared::table::PointView| {
        p.at.iter().any(|a| t.seen.contains(*a))
    };
    let known = t.known_points();
    assert!(
        known.iter().all(|p| seen(&t, p)),
        "only points on seen squares"
    );
    assert!(known.len() < everywhere.len(), "the dark hides some");
    // Daylight: the seen squares grow, and so do the points known.
    t.map.ambient = Light::Bright;
    t.update_sight();
    assert!(t.known_points().len() > known.len());
}

#[test]
fn the_explorer_heads_for_the_edge_of_what_it_has_seen() {
    let lib = lib();
    let mut t = walled(&lib);
    t.map.set(GridPos::new(8, 2), Terrain::Floor);
    t.update_sight();
    let fighter = pc(&t, "fighter");
    let board = t.board();
    let from = t.combatant(fighter).unwrap().pos;
    let Some(emberkeep_shared::table::Action::Move { path }) =
        emberkeep_shared::tactics::explore::frontier_step(&board, fighter, &t.seen, 30)
    else {
        panic!("a step into the fog");
    };
    let to = *path.last().unwrap();
    let gap = GridPos::new(8, 2);
    assert!(
        to.squares_to(gap) < from.squares_to(gap),
        "toward the gap: {from} → {to}"
    );
    // Everything seen: nothing left to explore.
    let mut open = walled(&lib);
    for y in 0..12 {
        open.map.set(GridPos::new(8, y), Terrain::Floor);
    }
    open.update_sight();
    assert_eq!(open.seen.len(), 20 * 12);
    assert!(
        emberkeep_shared::tactics::explore::frontier_step(&open.board(), fighter, &open.seen, 30)
            .is_none()
    );
}

/// A line of sight is the same line wherever it is drawn: the squares it crosses depend only on
/// the offset between its ends (rounded in exact arithmetic; single-precision floats used to
/// round some exact halves down, so the same line blocked in one place and not in another), and
/// a line between squares far off the map, as a client may name, answers at once.
#[test]
fn a_line_of_sight_is_the_same_line_anywhere_on_the_map() {
    // Offset (11, 4): one of its samples lies exactly 6.5 squares across, which floats rounded
    // to 6 when the line started at column 0 and to 7 elsewhere. A pillar on any square the line
    // crosses blocks it, from every start and both ways.
    for (ox, oy) in [(0, 0), (3, 1), (20, 7), (44, 30)] {
        let a = GridPos::new(ox, oy);
        let b = GridPos::new(ox + 11, oy + 4);
        let mut crossed = Vec::new();
        emberkeep_shared::sightline::all_clear(11, 4, |x, y| {
            crossed.push(GridPos::new(ox + x, oy + y));
            true
        });
        assert!(crossed.len() >= 10, "{crossed:?}");
        assert!(
            crossed.contains(&GridPos::new(ox + 7, oy + 3)),
            "{crossed:?}"
        );
        for p in crossed {
            let mut map = MapGrid::open(64, 48);
            assert!(map.line_of_sight(a, b));
            map.set(p, Terrain::Wall);
            assert!(!map.line_of_sight(a, b), "{p:?} between {a:?} and {b:?}");
            assert!(!map.line_of_sight(b, a), "and back");
        }
    }
    let map = MapGrid::open(64, 48);
    // Far off the map (reads as wall): no sight, no overflow, no long walk.
    assert!(!map.line_of_sight(GridPos::new(0, 0), GridPos::new(i32::MAX, i32::MIN)));
    assert!(!map.line_of_sight(GridPos::new(i32::MIN, 5), GridPos::new(i32::MAX, 5)));
    assert!(map.line_of_sight(GridPos::new(i32::MAX, 5), GridPos::new(i32::MAX, 5)));
}
