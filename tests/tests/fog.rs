//! Fog of war over the network: creatures the party cannot see are not replicated to players
//! and the events about them are not sent (the start of a fight lists only what the party
//! sees); the host gets everything; opening the view brings them.

use emberkeep_server::ServerSettings;
use emberkeep_server::campaign::Campaign;
use emberkeep_shared::prelude::*;
use emberkeep_tests::Stepper;

fn with_table(s: &mut Stepper, f: impl FnOnce(&mut Table)) {
    let world = s.server.world_mut();
    let mut q = world.query::<&mut Campaign>();
    let mut c = q
        .iter_mut(world)
        .find(|c| c.id == "table-1")
        .expect("the campaign");
    f(&mut c.table);
    // Changed behind the inputs' back: the server must publish it again.
    c.rev += 1;
}

fn wall_at_x10(t: &mut Table, terrain: Terrain) {
    for y in 0..t.map.height as i32 {
        t.map.set(GridPos::new(10, y), terrain);
    }
}

#[test]
fn players_get_only_what_the_party_sees_and_the_host_everything() {
    let mut s = Stepper::new(ServerSettings {
        encounter: "wolf-den".into(),
        seed: 4,
        ..ServerSettings::default()
    });
    // A wall across the den between the party (x 1–2) and the wolves and their friends
    // (x 12–17); the fight starts only when someone comes close.
    with_table(&mut s, |t| wall_at_x10(t, Terrain::Wall));
    let foes: Vec<CombatantId> = s
        .campaign("table-1")
        .table
        .combatants
        .iter()
        .filter(|c| c.side == Side::Foe)
        .map(|c| c.id)
        .collect();
    assert_eq!(foes.len(), 5);
    let c = s.seat_all(&["fighter", "host"]);
    s.step(40);
    let (player, host) = (s.client_view(c[0]), s.client_view(c[1]));
    for f in &foes {
        assert!(
            !player.combatants.contains_key(f),
            "a player was sent foe #{f}"
        );
        assert!(host.combatants.contains_key(f), "the host sees foe #{f}");
    }
    let view = player.table.expect("the table view");
    assert_eq!((view.sight.width, view.sight.height), (20, 12));
    assert!(view.sight.contains(GridPos::new(2, 6)));
    assert!(!view.sight.contains(GridPos::new(13, 5)), "behind the wall");
    // Nothing any foe did reached the player.
    for e in &s.session(c[0]).events {
        let about = e.event.subjects();
        assert!(
            about.is_empty() || about.iter().any(|id| !foes.contains(id)),
            "the player heard of an unseen foe: {:?}",
            e.event
        );
    }
    // The wall comes down: the wolves are in sight and sent.
    with_table(&mut s, |t| wall_at_x10(t, Terrain::Floor));
    s.step(40);
    let player = s.client_view(c[0]);
    assert!(
        foes.iter().any(|f| player.combatants.contains_key(f)),
        "the wolves came into view"
    );
}
