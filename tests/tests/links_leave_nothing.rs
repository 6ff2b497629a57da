//! A server runs for days while players come and go: every link that leaves must leave
//! nothing behind in the networking layers. Before `patches/lightyear_netcode`'s
//! `forget_link`, netcode kept a packet queue for every link it had ever sent a packet to,
//! and the connection of every handshake that never completed (with its ~2 KB replay
//! window), and lightyear's peer map kept an entry for every link the server despawned
//! itself: the soak's server memory grew with every reconnect.

use bevy::prelude::*;
use emberkeep_client::net::Status;
use emberkeep_server::{NetServer, ServerSettings};
use emberkeep_tests::Stepper;
use lightyear::connection::network_topology::NetworkingMetadata;
use lightyear::prelude::server::NetcodeServer;

/// (netcode connections, netcode packet queues, lightyear peer map entries).
fn kept(s: &Stepper) -> (usize, usize, usize) {
    let world = s.server.world();
    let net = world.resource::<NetServer>().0;
    let (connections, queues) = world
        .get::<NetcodeServer>(net)
        .expect("the netcode server")
        .kept_links();
    let peers = world.resource::<NetworkingMetadata>().peer_map.len();
    (connections, queues, peers)
}

#[test]
fn a_hundred_reconnects_leave_no_link_state_behind() {
    let mut s = Stepper::new(ServerSettings {
        encounter: "goblin-ambush".into(),
        seed: 5,
        ..ServerSettings::default()
    });
    let c = s.seat_all(&["fighter", "rogue"]);
    s.step(10);
    let (connections, queues, peers) = kept(&s);
    assert_eq!(connections, 2, "one netcode connection per seated player");
    assert!(queues <= 2, "{queues} packet queues for 2 links");
    for round in 0..100 {
        // The server loses the fighter's link (as it does when it closes a link itself, or
        // when netcode times a silent client out): netcode lets the slot go at once.
        s.drop_connection(c[0]);
        s.step(1);
        assert_eq!(
            kept(&s).0,
            1,
            "round {round}: the dropped link's slot is free"
        );
        let token = s.token("fighter", None);
        s.attach(c[0], &token);
        s.step_until(300, |s| s.session(c[0]).status == Status::Seated)
            .unwrap_or_else(|| panic!("round {round}: seated again"));
        s.step(5);
    }
    // Past netcode's client timeout (5 s) for every dropped link.
    let past_timeout = std::time::Duration::from_secs(7).as_nanos() / s.tick.as_nanos();
    s.step(past_timeout as usize);
    assert_eq!(
        kept(&s),
        (connections, queues, peers),
        "after 100 reconnects"
    );
    assert_eq!(
        s.session(c[1]).status,
        Status::Seated,
        "the rogue never left"
    );
    assert_eq!(
        s.server
            .world_mut()
            .query_filtered::<(), With<lightyear::prelude::server::ClientOf>>()
            .iter(s.server.world())
            .count(),
        2
    );
}
