//! The real `emberkeep-server` binary, real UDP sockets on loopback: four headless players join
//! and fight the bundled encounter to its end. (Real time is unavoidable here; the test only
//! waits for outcomes, never asserts on durations.)

use bevy::prelude::*;
use emberkeep_client::autoplay::AutoPlayPlugin;
use emberkeep_client::net::{JoinRequest, Status, TableSession, Transport, client_app, connect};
use emberkeep_shared::prelude::*;
use emberkeep_shared::protocol::DEV_PRIVATE_KEY;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn bots_fight_an_encounter_to_the_end_against_the_real_server() {
    let assets = concat!(env!("CARGO_MANIFEST_DIR"), "/../assets");
    let mut child = Command::new(env!("CARGO_BIN_EXE_emberkeep-server"))
        .args([
            "--udp-port",
            "0",
            "--bind",
            "127.0.0.1",
            "--no-websocket",
            "--seed",
            "5",
            "--turn-timeout",
            "5",
            "--assets",
            assets,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let stdout = child.stdout.take().unwrap();
    let server = KillOnDrop(child);
    let mut lines = BufReader::new(stdout).lines();
    let addr: std::net::SocketAddr = loop {
        let line = lines.next().expect("server prints its address").unwrap();
        if let Some(addr) = line.strip_prefix("listening: udp ") {
            break addr.parse().unwrap();
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});

    let mut apps: Vec<App> = ["fighter", "rogue", "cleric", "wizard"]
        .iter()
        .enumerate()
        .map(|(i, seat)| {
            let request = JoinRequest {
                campaign: None,
                seat: seat.to_string(),
                name: format!("bot {i}"),
            };
            let mut app = client_app(Duration::from_millis(10), request);
            app.add_plugins(AutoPlayPlugin);
            app.finish();
            app.cleanup();
            connect(
                app.world_mut(),
                Transport::Udp(addr),
                7_000 + i as u64,
                DEV_PRIVATE_KEY,
            )
            .unwrap();
            app
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        for app in &mut apps {
            app.update();
        }
        let done = apps.iter().all(|a| {
            a.world()
                .resource::<TableSession>()
                .events
                .iter()
                .any(|e| matches!(e.event, GameEvent::CombatEnded { .. }))
        });
        if done {
            break;
        }
        assert!(Instant::now() < deadline, "the fight did not end in time");
        std::thread::sleep(Duration::from_millis(2));
    }
    for app in &apps {
        let session = app.world().resource::<TableSession>();
        assert_eq!(session.status, Status::Seated);
        assert!(session.gaps.is_empty());
        assert!(
            session
                .events
                .iter()
                .any(|e| matches!(e.event, GameEvent::Attacked(_)))
        );
    }
    drop(server);
}
