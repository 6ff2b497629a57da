//! `--shards`: several worlds in one process behind one join endpoint. Real sockets on
//! 127.0.0.1 (free ports), real journals on disk, real clients joining by code. The shards run
//! on their own threads in real time, so the test waits for what it checks (bounded, never
//! timed): the campaigns are spread over the shards with ids unique in the process, a code
//! of each shard leads to that shard's port, `--codes-file` holds every shard's seats, the
//! metrics carry a `shard` label, and a shard that fails is built again from its journals —
//! same campaigns, same codes, players seated again — while the other plays on untouched.

use bevy::prelude::*;
use emberkeep_client::net::{
    JoinRequest, Reconnect, Status, TableSession, client_app, fetch_ticket,
};
use emberkeep_server::shards::{self, Hook, Sharded};
use emberkeep_server::{Listen, ServerSettings, prepare};
use emberkeep_tests::shipped_content;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Waits (real time, bounded) until `done`.
fn wait(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "never saw: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Shard `i`'s codes: code → campaign.
fn codes(s: &Sharded, i: usize) -> BTreeMap<String, String> {
    let dir = s.shards[i].directory.0.read().unwrap();
    dir.codes
        .iter()
        .map(|(code, t)| (code.clone(), t.campaign.clone()))
        .collect()
}

fn udp_port(s: &Sharded, i: usize) -> Option<u16> {
    s.shards[i].directory.0.read().unwrap().udp_port
}

/// A headless player joining by code over real UDP.
fn player(http: &str, code: &str) -> App {
    let mut app = client_app(
        Duration::from_millis(33),
        JoinRequest {
            name: "Tester".into(),
        },
    );
    app.finish();
    app.cleanup();
    let plan = Reconnect::new(http, code, false);
    plan.connect_now(app.world_mut()).expect("joins");
    app.insert_resource(plan);
    app
}

fn seated(app: &mut App) {
    wait("the player seated", || {
        app.update();
        app.world().resource::<TableSession>().status == Status::Seated
    });
}

/// `emberkeep_frame_seconds_count{shard="I"}` from the metrics exposition.
fn frames(s: &Sharded, i: usize) -> u64 {
    let all: Vec<_> = s.shards.iter().map(|h| h.metrics.clone()).collect();
    let text = emberkeep_server::metrics::render_all(&all);
    let key = format!("emberkeep_frame_seconds_count{{shard=\"{i}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&key)?.trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn shards_share_one_join_endpoint_and_a_failed_shard_comes_back_from_its_journals_alone() {
    let work = std::env::temp_dir().join(format!("emberkeep-shards-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let codes_file = work.join("codes.txt");
    let settings = ServerSettings {
        listen: Listen::Sockets {
            udp: Some("127.0.0.1:0".parse().unwrap()),
            ws: None,
            http: Some("127.0.0.1:0".parse().unwrap()),
        },
        encounter: "goblin-ambush".into(),
        campaigns: 3,
        shards: 2,
        seed: 5,
        data_dir: Some(work.join("data")),
        codes_file: Some(codes_file.clone()),
        ..ServerSettings::default()
    };
    let content = shipped_content();
    let mut main = shards::supervisor(&settings);
    prepare(&mut main, &content).unwrap();
    let mut plan = shards::plan(&settings).unwrap();
    for s in &mut plan {
        prepare(s, &content).unwrap();
    }
    assert_eq!(
        plan.iter().map(|s| s.campaigns).collect::<Vec<_>>(),
        [2, 1],
        "the least loaded shard takes the next campaign"
    );
    // A fault armed by the test: shard 1's next frame panics, once.
    let fault = Arc::new(AtomicBool::new(false));
    let armed = fault.clone();
    let hook: Hook = Arc::new(move |index, app: &mut App| {
        if index == 1 {
            let armed = armed.clone();
            app.add_systems(Update, move || {
                if armed.swap(false, Ordering::SeqCst) {
                    panic!("a fault injected by the test");
                }
            });
        }
    });
    let s = shards::start(&main, plan, content, Some(hook)).unwrap();
    let http = s.http.unwrap().to_string();
    wait("both shards listening with their seats", || {
        (0..2).all(|i| udp_port(&s, i).is_some() && !codes(&s, i).is_empty())
    });
    let campaigns = |i| -> Vec<String> {
        let mut c: Vec<String> = codes(&s, i).into_values().collect();
        c.sort();
        c.dedup();
        c
    };
    assert_eq!(campaigns(0), ["table-1", "table-3"]);
    assert_eq!(campaigns(1), ["table-2"]);
    let (port0, port1) = (udp_port(&s, 0).unwrap(), udp_port(&s, 1).unwrap());
    assert_ne!(port0, port1);

    // One endpoint, routed by code: each ticket names its own shard's port.
    for (i, port) in [(0, port0), (1, port1)] {
        for (code, campaign) in codes(&s, i) {
            let (ticket, _) = fetch_ticket(&http, &code).unwrap();
            assert_eq!((ticket.udp_port, ticket.campaign), (Some(port), campaign));
        }
    }
    assert!(fetch_ticket(&http, "ZZZZ-ZZZZ").is_err());
    // The codes file holds every shard's seats.
    wait("the codes file lists every shard's seats", || {
        let text = std::fs::read_to_string(&codes_file).unwrap_or_default();
        (0..2).all(|i| codes(&s, i).keys().all(|c| text.contains(c.as_str())))
    });

    // A player at each shard.
    let code_of = |i, campaign: &str| {
        codes(&s, i)
            .into_iter()
            .find(|(_, c)| c == campaign)
            .unwrap()
            .0
    };
    let (code0, code1) = (code_of(0, "table-1"), code_of(1, "table-2"));
    let mut at0 = player(&http, &code0);
    let mut at1 = player(&http, &code1);
    seated(&mut at0);
    seated(&mut at1);

    // Shard 1 fails; it comes back from its journals while shard 0 plays on untouched.
    let before = (codes(&s, 0), codes(&s, 1));
    let frames0 = frames(&s, 0);
    fault.store(true, Ordering::SeqCst);
    wait("shard 1 restarted", || {
        s.shards[1].restarts.load(Ordering::SeqCst) == 1
    });
    wait("shard 1 listening with its seats again", || {
        udp_port(&s, 1).is_some() && codes(&s, 1) == before.1
    });
    assert_eq!(s.shards[0].restarts.load(Ordering::SeqCst), 0);
    assert_eq!(codes(&s, 0), before.0, "shard 0's seats untouched");
    // Shard 0 kept its player and kept running frames all along.
    for _ in 0..20 {
        at0.update();
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        at0.world().resource::<TableSession>().status,
        Status::Seated
    );
    assert!(frames(&s, 0) > frames0);
    let all: Vec<_> = s.shards.iter().map(|h| h.metrics.clone()).collect();
    let text = emberkeep_server::metrics::render_all(&all);
    assert!(
        text.contains("emberkeep_restarts_total{shard=\"1\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("emberkeep_restarts_total{shard=\"0\"} 0"),
        "{text}"
    );
    // The same code seats a player at shard 1 again, in the same campaign.
    let mut again = player(&http, &code1);
    seated(&mut again);
    let (ticket, _) = fetch_ticket(&http, &code1).unwrap();
    assert_eq!(ticket.campaign, "table-2");

    // The console: a campaign's commands go to the shard that holds it (by its seats, or by its
    // folder once archived), `shard I CMD` to shard I; the rest is refused with a reason.
    let mut selected = None;
    assert_eq!(
        s.route("shard 7 status", &mut selected),
        Err("no shard 7: 0 to 1".to_string())
    );
    let refused = s.route("archive no-such-table", &mut selected).unwrap_err();
    assert!(refused.contains("no shard holds"), "{refused}");
    s.route("use table-3", &mut selected).unwrap();
    assert_eq!(selected, Some(0));
    s.route("use table-2", &mut selected).unwrap();
    assert_eq!(selected, Some(1));
    s.route("archive table-2", &mut selected).unwrap();
    wait("table-2 archived at shard 1", || codes(&s, 1).is_empty());
    assert_eq!(codes(&s, 0), before.0, "shard 0's seats untouched");
    s.route("reopen table-2", &mut selected).unwrap();
    wait("table-2 reopened at shard 1 with its codes", || {
        codes(&s, 1) == before.1
    });
    assert_eq!(codes(&s, 0), before.0, "shard 0's seats untouched");
    drop((at0, at1, again));
    let _ = std::fs::remove_dir_all(&work);
}
