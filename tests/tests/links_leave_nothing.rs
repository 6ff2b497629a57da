//! A server runs for days while players come and go: every link that leaves must leave
//! nothing behind in the networking layers. Before `patches/lightyear_netcode`'s
//! `forget_link`, netcode kept a packet queue for every link it had ever sent a packet to,
//! and the connection of every handshake that never completed (with its ~2 KB replay
//! window), and lightyear's peer map kept an entry for every link the server despawned
//! itself: the soak's server memory grew with every reconnect. Before
//! `patches/lightyear_udp`'s `forget_address`, the UDP server kept every source address it had
//! ever heard from (every reconnect comes from a new port, every spoofed source of a flood from
//! a new address) and walked all of them every frame.

use bevy::prelude::*;
use emberkeep_client::net::Status;
use emberkeep_server::network::{HANDSHAKE_LIMIT, LinkHygiene};
use emberkeep_server::{BoundAddrs, Listen, NetServer, ServerSettings};
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

#[test]
fn udp_sources_that_never_finish_a_handshake_leave_no_address_behind() {
    let mut s = Stepper::new(ServerSettings {
        listen: Listen::Sockets {
            udp: Some("127.0.0.1:0".parse().expect("address")),
            ws: None,
            http: None,
        },
        encounter: "goblin-ambush".into(),
        seed: 5,
        ..ServerSettings::default()
    });
    let udp = s
        .step_until(100, |s| {
            s.server.world().resource::<BoundAddrs>().udp.is_some()
        })
        .and_then(|_| s.server.world().resource::<BoundAddrs>().udp)
        .expect("the UDP socket is bound");
    let udp_kept = |s: &Stepper| {
        let world = s.server.world();
        let net = world.resource::<NetServer>().0;
        world
            .get::<lightyear::prelude::server::ServerUdpIo>(net)
            .expect("the UDP server")
            .addresses_kept()
    };
    let before = kept(&s);
    // 40 sources (each its own port), one junk datagram each, then silence.
    let sockets: Vec<std::net::UdpSocket> = (0..40)
        .map(|_| std::net::UdpSocket::bind("127.0.0.1:0").expect("a client socket"))
        .collect();
    for socket in &sockets {
        socket
            .send_to(&[0x5a; 48], udp)
            .expect("a datagram to the server");
    }
    s.step_until(300, |s| {
        let hygiene = *s.server.world().resource::<LinkHygiene>();
        udp_kept(s) + hygiene.over_address_limit as usize >= 40
    })
    .expect("every source got a link");
    let past_limit =
        (HANDSHAKE_LIMIT + std::time::Duration::from_secs(2)).as_nanos() / s.tick.as_nanos();
    s.step(past_limit as usize);
    let hygiene = *s.server.world().resource::<LinkHygiene>();
    assert_eq!(
        hygiene.timed_out + hygiene.over_address_limit,
        40,
        "every link was dropped"
    );
    assert_eq!(
        s.server
            .world_mut()
            .query_filtered::<(), With<lightyear::prelude::LinkOf>>()
            .iter(s.server.world())
            .count(),
        0,
        "no link is left"
    );
    assert_eq!(udp_kept(&s), 0, "addresses kept after every link went");
    assert_eq!(kept(&s), before, "netcode state kept");
}
