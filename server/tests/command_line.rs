//! The server's command line as a host meets it: flag combinations that cannot work are
//! refused with a clear message, and port 0 prints the ports actually used everywhere.

mod common;

use common::{Server, assets};
use std::process::Command;

#[test]
fn web_without_websocket_is_refused_clearly() {
    let out = Command::new(env!("CARGO_BIN_EXE_emberkeep-server"))
        .args([
            "--bind",
            "127.0.0.1",
            "--web",
            "0",
            "--no-websocket",
            "--assets",
            &assets(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--web") && err.contains("--no-websocket"),
        "{err}"
    );
}

#[test]
fn port_zero_prints_the_ports_actually_bound() {
    let root = common::scratch("port-zero").join("dist");
    std::fs::create_dir_all(&root).unwrap();
    let s = Server::start(&["--ws", "--web", "0", "--web-root", root.to_str().unwrap()]);
    let text = s.printed.join("\n");
    let bot = s
        .printed
        .iter()
        .find(|l| l.contains("bot --server HOST:"))
        .expect("the bot hint");
    assert!(
        bot.ends_with(&format!("HOST:{} --code CODE", s.http.port())),
        "{bot}"
    );
    let ws = s
        .printed
        .iter()
        .find(|l| l.contains("ws://"))
        .expect("the ws line");
    assert!(!ws.ends_with(":0"), "{ws}");
    assert_ne!(s.udp.unwrap().port(), 0, "{text}");
    let web = s.web.expect("web listens");
    assert_ne!(web.port(), 0);
    // Links name the web port, not 0.
    assert!(text.contains(&format!(":{}/?code=", web.port())), "{text}");
    assert!(!text.contains(":0/?code="), "{text}");
}

#[test]
fn no_http_says_why_there_are_no_codes() {
    let s = Server::start(&["--no-http"]);
    let text = s.printed.join("\n");
    assert!(text.contains("--no-http"), "{text}");
    assert!(!text.contains("join codes for"), "{text}");
}
