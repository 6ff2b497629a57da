//! The Agones SDK lifecycle against a local fake of the SDK server speaking its REST gateway
//! (real HTTP on 127.0.0.1): Ready once listening, health pings paced by the game's tick (a
//! stalled tick sends none), an allocation opening the campaign it asks for and publishing its
//! join codes, player tracking as a seat is taken, bad allocations refused with a reason and
//! the running table untouched, Shutdown after the last campaign is archived, and a sidecar
//! that goes away costing nothing but warnings. The server runs on manual time; the SDK calls
//! travel on the server's own thread, so the test waits for them (bounded, never timed).

use emberkeep_server::agones::{ADVENTURE, AgonesSettings, CAMPAIGNS, CODES, ERROR, OPEN, REQUEST};
use emberkeep_server::console::execute;
use emberkeep_server::{Directory, ServerSettings};
use emberkeep_tests::Stepper;
use emberkeep_tests::fake_agones::FakeAgones;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Waits (real time, bounded) until the fake has seen what `done` checks.
fn wait_for(fake: &FakeAgones, what: &str, done: impl Fn(&FakeAgones) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done(fake) {
        assert!(
            Instant::now() < deadline,
            "never saw: {what}\ncalls: {:#?}",
            fake.calls()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Steps the server (manual time) until the fake has seen `done`, bounded.
fn step_until(s: &mut Stepper, fake: &FakeAgones, what: &str, done: impl Fn(&FakeAgones) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done(fake) {
        assert!(
            Instant::now() < deadline,
            "never saw: {what}\ncalls: {:#?}",
            fake.calls()
        );
        s.step(1);
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn campaigns(s: &mut Stepper) -> Vec<String> {
    let mut q = s.server.world_mut().query::<&emberkeep_server::Campaign>();
    q.iter(s.server.world()).map(|c| c.id.clone()).collect()
}

#[test]
fn a_fleet_server_goes_ready_stays_healthy_opens_what_it_is_allocated_and_shuts_down() {
    let fake = FakeAgones::start();
    fake.set_ports(&[("udp", 7012), ("ws", 7013), ("http", 7014)]);
    let health_every = Duration::from_secs(1);
    let mut s = Stepper::new(ServerSettings {
        encounter: "goblin-ambush".into(),
        campaigns: 0,
        max_campaigns: 2,
        seed: 3,
        agones: Some(AgonesSettings {
            sdk: fake.url.clone(),
            health_every,
        }),
        ..ServerSettings::default()
    });
    // Ready, with player tracking's capacity set first.
    step_until(&mut s, &fake, "POST /ready", |f| f.state() == "Ready");
    let paths: Vec<String> = fake.calls().into_iter().map(|c| c.path).collect();
    assert_eq!(
        paths[..2],
        ["/alpha/player/capacity", "/ready"],
        "{paths:?}"
    );
    assert_eq!(
        fake.calls_to("/alpha/player/capacity")[0].body["count"],
        "256"
    );
    // Join tickets name the node's ports (Agones' dynamic ports), not the ones bound here.
    let advertised = |s: &Stepper| {
        let dir = s.server.world().resource::<Directory>().0.read().unwrap();
        (dir.udp_port, dir.ws_port)
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while advertised(&s) != (Some(7012), Some(7013)) {
        assert!(Instant::now() < deadline, "ports: {:?}", advertised(&s));
        s.step(1);
        std::thread::sleep(Duration::from_millis(2));
    }

    // Health is paced by the tick: one ping per second of game time, exactly; without frames,
    // none (Agones marks a server that stops pinging Unhealthy).
    // A little over 3 s of game time: 90 ticks of 1/30 s add up to a hair under 3 s in f32
    // steps, which would expect only two pings.
    s.step(100);
    let elapsed = s.server.world().resource::<bevy::prelude::Time>().elapsed();
    let expected = (elapsed.as_nanos() / health_every.as_nanos()) as usize;
    assert!(expected >= 3, "{elapsed:?}");
    wait_for(&fake, "the health pings", |f| {
        f.calls_to("/health").len() >= expected
    });
    std::thread::sleep(Duration::from_millis(300));
    let pinged = fake.calls_to("/health").len();
    assert_eq!(
        pinged, expected,
        "one ping per second of game time ({elapsed:?})"
    );
    // The tick stalls (no frames): no pings, however long the SDK thread waits.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        fake.calls_to("/health").len(),
        pinged,
        "a stalled tick must not ping"
    );

    // Allocated: the campaign asked for opens and its codes are published.
    assert!(campaigns(&mut s).is_empty());
    fake.allocate(&[(ADVENTURE, "goblin-ambush"), (CAMPAIGNS, "1")]);
    step_until(&mut s, &fake, "the codes annotation", |f| {
        f.annotation(CODES).is_some()
    });
    let codes: BTreeMap<String, BTreeMap<String, String>> =
        serde_json::from_str(&fake.annotation(CODES).unwrap()).expect("codes are JSON");
    assert_eq!(campaigns(&mut s), ["table-1"]);
    let fighter = &codes["table-1"]["fighter"];
    let campaign = s.campaign("table-1");
    assert_eq!(&campaign.seat("fighter").unwrap().code, fighter);
    assert!(codes["table-1"].contains_key("host"));

    // A player takes the fighter's seat: PlayerConnect, and the open-campaigns label.
    s.add_client("fighter", Some("table-1"));
    step_until(&mut s, &fake, "PlayerConnect", |f| {
        f.calls_to("/alpha/player/connect")
            .iter()
            .any(|c| c.body["playerID"] == "table-1/fighter")
    });
    // The label is the next call on the SDK thread's queue, sent after PlayerConnect.
    step_until(&mut s, &fake, "the open-campaigns label", |f| {
        f.label(OPEN).as_deref() == Some("1")
    });

    // Bad allocations: an unknown adventure, a full box. A reason each; the table untouched.
    let table_before = format!("{:?}", s.campaign("table-1").table.next_seq);
    fake.allocate(&[(ADVENTURE, "no-such-adventure"), (REQUEST, "2")]);
    step_until(&mut s, &fake, "an error for the unknown adventure", |f| {
        f.annotation(ERROR)
            .is_some_and(|e| e.contains("no-such-adventure"))
    });
    fake.allocate(&[
        (ADVENTURE, "goblin-ambush"),
        (CAMPAIGNS, "5"),
        (REQUEST, "3"),
    ]);
    step_until(&mut s, &fake, "an error for a full box", |f| {
        f.annotation(ERROR).is_some_and(|e| e.contains("full"))
    });
    fake.allocate(&[(CAMPAIGNS, "many"), (REQUEST, "4")]);
    step_until(&mut s, &fake, "an error for a malformed count", |f| {
        f.annotation(ERROR).is_some_and(|e| e.contains("1 to 16"))
    });
    assert_eq!(campaigns(&mut s), ["table-1"]);
    assert_eq!(
        format!("{:?}", s.campaign("table-1").table.next_seq),
        table_before
    );

    // The last campaign archived: the player is gone (PlayerDisconnect), then Shutdown.
    let closed = execute(s.server.world_mut(), None, "archive table-1");
    assert!(closed.starts_with("closed table-1"), "{closed}");
    step_until(&mut s, &fake, "POST /shutdown", |f| f.state() == "Shutdown");
    assert!(
        fake.calls_to("/alpha/player/disconnect")
            .iter()
            .any(|c| c.body["playerID"] == "table-1/fighter")
    );
    assert_eq!(fake.calls_to("/shutdown").len(), 1);
}

#[test]
fn a_sidecar_that_goes_away_leaves_the_tables_playing() {
    let fake = FakeAgones::start();
    let mut s = Stepper::new(ServerSettings {
        encounter: "goblin-ambush".into(),
        seed: 4,
        agones: Some(AgonesSettings {
            sdk: fake.url.clone(),
            health_every: Duration::from_secs(1),
        }),
        ..ServerSettings::default()
    });
    step_until(&mut s, &fake, "POST /ready", |f| f.state() == "Ready");
    fake.vanish();
    let players = s.seat_all(&["fighter", "rogue", "cleric", "wizard"]);
    for &p in &players {
        s.autoplay(p, true);
    }
    // The game goes on for a minute of game time with nobody answering the SDK calls.
    s.step(30 * 60);
    assert_eq!(campaigns(&mut s), ["table-1"]);
    assert!(
        s.campaign("table-1").table.next_seq > 1,
        "the table kept playing"
    );
}
