//! UDP from many source addresses against a real server process: links that never finish the
//! netcode handshake are dropped within seconds, an address may keep only a few waiting, and
//! players keep joining meanwhile.

mod common;

use common::{Server, get, machine};
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

/// Reads `status` until `done` holds for it (up to `limit`); returns the last status.
fn status_until(s: &mut Server, limit: Duration, done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + limit;
    loop {
        s.command("status");
        let line = s.wait_for("links waiting for the handshake", Duration::from_secs(30));
        // Forget this answer so the next `status` is read afresh (keep the codes).
        s.printed
            .retain(|l| !l.contains("links waiting for the handshake"));
        if done(&line) || Instant::now() > deadline {
            return line;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn numbers(line: &str) -> Vec<u64> {
    line.split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect()
}

#[test]
fn one_packet_sources_are_dropped_and_bounded_per_address() {
    let mut s = Server::start(&[]);
    let udp: SocketAddr = s.udp.expect("UDP listens");
    // 100 sources on one address and 5 on each of 10 others: one garbage datagram each.
    let mut sources = Vec::new();
    for _ in 0..100 {
        sources.push(UdpSocket::bind("127.0.0.1:0").unwrap());
    }
    for n in 1..=10u8 {
        for _ in 0..5 {
            sources.push(UdpSocket::bind(SocketAddr::new(machine(10, n), 0)).unwrap());
        }
    }
    for socket in &sources {
        socket.send_to(b"not a netcode packet", udp).unwrap();
    }
    // Over the per-address limit at once, the rest after the handshake limit: none waits on.
    let line = status_until(&mut s, Duration::from_secs(60), |l| {
        let n = numbers(l);
        n.len() >= 3 && n[0] == 0 && n[1] + n[2] >= 150
    });
    let n = numbers(&line);
    assert_eq!(n[0], 0, "links still waiting: {line}");
    assert!(
        n[2] >= 84,
        "the address over its limit kept more than 16: {line}"
    );
    assert!(n[1] + n[2] >= 150, "{line}");
    // Players still join while that went on.
    let code = s.code("fighter");
    let r = get(machine(11, 1), s.http, &format!("/api/join?code={code}")).unwrap();
    assert_eq!(r.status, 200);
    assert!(s.alive());
}
