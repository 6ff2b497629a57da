//! What the real-process tests share: the `emberkeep-server` binary started on free loopback
//! ports (its banner read, its metrics scraped) and headless players joining it by code.

#![allow(
    dead_code,
    unused_imports,
    reason = "each test binary uses its own share of these helpers"
)]

use bevy::prelude::*;
use emberkeep_client::autoplay::AutoPlayPlugin;
use emberkeep_client::net::{JoinRequest, Reconnect, Status, TableSession, client_app};
use emberkeep_shared::prelude::*;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server process, and where its metrics are served.
pub struct Server(pub Child, pub String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn free_tcp_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("emberkeep-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Starts the server and waits until it listens and has written its codes.
pub fn start(udp: u16, http: u16, dir: &Path, data: bool) -> Server {
    start_with(udp, http, dir, data, "goblin-ambush")
}

/// Starts the server running `encounter` (an adventure or a single encounter).
pub fn start_with(udp: u16, http: u16, dir: &Path, data: bool, encounter: &str) -> Server {
    let assets = emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets");
    let assets = assets.to_str().expect("a UTF-8 path");
    let mut args: Vec<String> = [
        "--bind",
        "127.0.0.1",
        "--no-websocket",
        "--seed",
        "5",
        "--encounter",
        encounter,
        "--turn-timeout",
        "5",
        "--assets",
        assets,
        "--metrics",
        "127.0.0.1:0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend([
        "--udp-port".into(),
        udp.to_string(),
        "--http-port".into(),
        http.to_string(),
    ]);
    args.extend([
        "--codes-file".into(),
        dir.join("codes.txt").display().to_string(),
    ]);
    if data {
        args.extend(["--data-dir".into(), dir.join("data").display().to_string()]);
    }
    let _ = std::fs::remove_file(dir.join("codes.txt"));
    let child = Command::new(env!("CARGO_BIN_EXE_emberkeep-server"))
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let (server, _) = read_banner(child);
    assert!(dir.join("codes.txt").exists());
    server
}

/// Reads the started server's stdout up to its help line (after its codes): the server with
/// its metrics address, and the lines read. Stdout is drained from then on, so the server
/// never blocks on a full pipe.
pub fn read_banner(mut child: Child) -> (Server, Vec<String>) {
    let stdout = child.stdout.take().unwrap();
    let mut server = Server(child, String::new());
    let mut lines = BufReader::new(stdout).lines();
    let mut banner = Vec::new();
    loop {
        let line = lines
            .next()
            .expect("the server prints its addresses")
            .unwrap();
        if let Some(addr) = line.strip_prefix("listening: metrics ") {
            server.1 = addr.to_string();
        }
        let done = line.starts_with("Type `help`");
        banner.push(line);
        if done {
            break;
        }
    }
    assert!(
        !server.1.is_empty(),
        "the server printed no metrics address"
    );
    std::thread::spawn(move || for _ in lines {});
    (server, banner)
}

/// Scrapes the server's `/metrics` over a real socket, as Prometheus would.
pub fn scrape(server: &Server) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(&server.1).expect("the metrics port answers");
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        server.1
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("application/openmetrics-text"), "{head}");
    body.to_string()
}

/// The value of one sample (`name{labels}` exactly as exposed), or 0 if absent.
pub fn sample(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |v| v.trim().parse().expect("a number"))
}

pub fn code(dir: &Path, seat: &str) -> String {
    let text = std::fs::read_to_string(dir.join("codes.txt")).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("table-1 {seat} ")))
        .unwrap()
        .to_string()
}

pub fn players(http: u16, dir: &Path) -> Vec<App> {
    ["fighter", "rogue", "cleric", "wizard"]
        .iter()
        .map(|seat| {
            let mut app = client_app(
                Duration::from_millis(10),
                JoinRequest {
                    name: format!("{seat} bot"),
                },
            );
            app.add_plugins(AutoPlayPlugin);
            app.finish();
            app.cleanup();
            let plan = Reconnect::new(&format!("127.0.0.1:{http}"), &code(dir, seat), false);
            plan.connect_now(app.world_mut()).expect("joins by code");
            app.insert_resource(plan);
            app
        })
        .collect()
}

pub fn run_until(apps: &mut [App], what: &str, done: impl FnMut(&[App]) -> bool) {
    run_within(apps, what, Duration::from_secs(120), done);
}

/// Steps the players until `done`; fails after `limit` of real time (a guard against a hang,
/// not a claim about speed).
pub fn run_within(
    apps: &mut [App],
    what: &str,
    limit: Duration,
    mut done: impl FnMut(&[App]) -> bool,
) {
    let deadline = Instant::now() + limit;
    while !done(apps) {
        for app in apps.iter_mut() {
            app.update();
        }
        if Instant::now() > deadline {
            let states: Vec<String> = apps
                .iter()
                .map(|a| {
                    let s = session(a);
                    format!(
                        "{:?} last {} gaps {:?} accepted {} rejected {:?}",
                        s.status,
                        s.last_seq(),
                        s.gaps,
                        s.accepted.len(),
                        s.rejected.last()
                    )
                })
                .collect();
            panic!("timed out waiting for: {what}\n{}", states.join("\n"));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

pub fn session(app: &App) -> &TableSession {
    app.world().resource::<TableSession>()
}

pub fn fight_over(app: &App) -> bool {
    session(app)
        .events
        .iter()
        .any(|e| matches!(e.event, GameEvent::CombatEnded { .. }))
}
