//! The real `emberkeep-server` binary with `--shards 2`: one join endpoint routes each code
//! to its shard's port, a player is seated at shard 1 over UDP, `/metrics` is one exposition
//! labelled by shard, and each shard journals in its own folder. (Real time is unavoidable
//! here; the test waits for outcomes and never asserts on durations.)

mod process;

use bevy::prelude::*;
use emberkeep_client::net::{JoinRequest, Reconnect, Status, client_app};
use process::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn a_sharded_server_routes_each_code_to_its_shard_and_labels_its_metrics() {
    let dir = scratch("shards");
    let assets = emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets");
    let http = free_tcp_port();
    let child = Command::new(env!("CARGO_BIN_EXE_emberkeep-server"))
        .args(["--bind", "127.0.0.1", "--no-websocket", "--seed", "5"])
        .args([
            "--encounter",
            "goblin-ambush",
            "--shards",
            "2",
            "--campaigns",
            "3",
        ])
        .args(["--udp-port", "0", "--metrics", "127.0.0.1:0"])
        .arg("--http-port")
        .arg(http.to_string())
        .arg("--assets")
        .arg(&assets)
        .arg("--codes-file")
        .arg(dir.join("codes.txt"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let (server, banner) = read_banner(child);
    // "  shard I: udp 127.0.0.1:PORT, ws off, N campaign(s), journals in DIR"
    let shard_ports: Vec<u16> = banner
        .iter()
        .filter_map(|l| l.trim().strip_prefix("shard ")?.split("udp ").nth(1))
        .map(|rest| {
            let udp = rest.split(',').next().unwrap();
            udp.parse::<std::net::SocketAddr>().unwrap().port()
        })
        .collect();
    assert_eq!(shard_ports.len(), 2, "a line per shard");
    assert_ne!(shard_ports[0], shard_ports[1]);
    // Every shard's seats are in the codes file, each campaign once, and each code's ticket
    // names its own shard's port: table-1 and table-3 on shard 0, table-2 on shard 1.
    let text = std::fs::read_to_string(dir.join("codes.txt")).unwrap();
    for (campaign, shard) in [("table-1", 0), ("table-2", 1), ("table-3", 0)] {
        let code = text
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{campaign} fighter ")))
            .unwrap_or_else(|| panic!("no {campaign} in {text}"));
        let (ticket, _) =
            emberkeep_client::net::fetch_ticket(&format!("127.0.0.1:{http}"), code).unwrap();
        assert_eq!(ticket.campaign, campaign);
        assert_eq!(ticket.udp_port, Some(shard_ports[shard]), "{campaign}");
    }
    // A player seated at shard 1 over real UDP.
    let mut app = client_app(
        Duration::from_millis(10),
        JoinRequest {
            name: "sharded".into(),
        },
    );
    app.finish();
    app.cleanup();
    let code = text
        .lines()
        .find_map(|l| l.strip_prefix("table-2 rogue "))
        .unwrap();
    let plan = Reconnect::new(&format!("127.0.0.1:{http}"), code, false);
    plan.connect_now(app.world_mut()).expect("joins by code");
    app.insert_resource(plan);
    let mut apps = [app];
    run_until(&mut apps, "the player seated at shard 1", |a| {
        session(&a[0]).status == Status::Seated
    });
    // One exposition, each family once, every series labelled by shard.
    let mut metrics = String::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while sample(&metrics, "emberkeep_seated{shard=\"1\"}") != 1.0 {
        assert!(
            Instant::now() < deadline,
            "shard 1 never counted its seat:\n{metrics}"
        );
        for a in &mut apps {
            a.update();
        }
        std::thread::sleep(Duration::from_millis(20));
        metrics = scrape(&server);
    }
    assert_eq!(
        metrics
            .matches("# TYPE emberkeep_frame_seconds histogram")
            .count(),
        1
    );
    assert_eq!(sample(&metrics, "emberkeep_campaigns{shard=\"0\"}"), 2.0);
    assert_eq!(sample(&metrics, "emberkeep_campaigns{shard=\"1\"}"), 1.0);
    assert_eq!(sample(&metrics, "emberkeep_seated{shard=\"0\"}"), 0.0);
    // The endpoint counts its joins under shard 0's labels.
    let minted: f64 = metrics
        .lines()
        .filter(|l| l.starts_with("emberkeep_join_attempts_total{"))
        .filter(|l| l.contains("result=\"minted\"") && l.contains("shard=\"0\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert!(minted >= 4.0, "{metrics}");
    // Journals per shard.
    assert!(dir.join("data/shard-0/table-1").is_dir());
    assert!(dir.join("data/shard-1/table-2").is_dir());
    assert!(!dir.join("data/shard-1/table-1").exists());
}
