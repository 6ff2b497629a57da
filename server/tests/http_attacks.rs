//! The join endpoint and the web root against hostile HTTP clients, on a real server process
//! over loopback (each test plays several machines from 127.0.n.m). Every test ends by showing
//! the server still answers a legitimate join.

mod common;

use common::{Server, connect_from, get, machine, raw, scratch};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

fn join_path(code: &str) -> String {
    format!("/api/join?code={code}")
}

/// A legitimate player from a fresh address still joins.
fn still_serves(s: &mut Server, n: u8) {
    assert!(s.alive(), "the server died");
    let code = s.code("fighter");
    let r = get(machine(200, n), s.http, &join_path(&code)).expect("the endpoint answers");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("\"token\""));
}

fn web_root(name: &str) -> std::path::PathBuf {
    let root = scratch(name).join("dist");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(
        root.join("index.html"),
        "<!doctype html><title>Emberkeep</title>",
    )
    .unwrap();
    root
}

#[test]
fn a_huge_declared_body_is_refused_without_allocating_it() {
    let root = web_root("huge-body");
    let mut s = Server::start(&["--web", "0", "--web-root", root.to_str().unwrap()]);
    let web = s.web.expect("--web listens");
    for (to, method, path) in [
        (s.http, "GET", "/api/join?code=x"),
        (s.http, "POST", "/api/join?code=x"),
        (s.http, "PUT", "/anything"),
        (web, "GET", "/index.html"),
        (web, "POST", "/api/join"),
    ] {
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999\r\nConnection: close\r\n\r\n"
        );
        let r = raw(machine(1, 1), to, request.as_bytes()).expect("an answer, not a dead server");
        assert!(
            matches!(r.status, 405 | 413),
            "{method} {path}: {} {}",
            r.status,
            r.text()
        );
    }
    // A body that is sent, too large, on a keep-alive connection.
    let request = format!(
        "GET /api/status HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\nConnection: close\r\n\r\n{}",
        "x".repeat(200_000)
    );
    let r = raw(machine(1, 2), s.http, request.as_bytes()).expect("an answer");
    assert_eq!(r.status, 413);
    still_serves(&mut s, 1);
}

#[test]
fn slow_silent_and_oversized_requests_neither_block_joins_nor_stay_open() {
    let mut s = Server::start(&["--http-timeout", "2"]);
    // 200 slow connections from ten machines: a request that never finishes its headers, one
    // that declares a body and never sends it, and connections that send nothing at all.
    let mut slow = Vec::new();
    for i in 0..200u32 {
        let mut c = connect_from(machine(2, (i / 20) as u8 + 1), s.http).unwrap();
        let partial: &[u8] = match i % 3 {
            0 => b"GET /api/join?code=AAAA-AAAA HTTP/1.1\r\nHost: x\r\nUser-Ag",
            1 => b"GET /api/status HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n",
            _ => b"",
        };
        c.write_all(partial).unwrap();
        slow.push(c);
    }
    // Players keep joining while they are open.
    let code = s.code("fighter");
    for n in 0..20 {
        let r = get(machine(3, n + 1), s.http, &join_path(&code)).expect("joins are served");
        assert_eq!(r.status, 200);
    }
    // The server closes each of them (header timeout) — they do not stay open.
    for c in slow.iter_mut().step_by(7) {
        c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut buf = [0u8; 512];
        loop {
            match c.read(&mut buf) {
                Ok(0) => break,
                // A 408 may come before the close; read on to the end.
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
                Err(e) => panic!("a stalled connection was left open: {e}"),
            }
        }
    }
    // Request line and headers are bounded in size and count.
    let long_line = format!(
        "GET /api/join?code={} HTTP/1.1\r\nHost: x\r\n\r\n",
        "A".repeat(64 * 1024)
    );
    let many_headers = format!(
        "GET /api/status HTTP/1.1\r\nHost: x\r\n{}Connection: close\r\n\r\n",
        (0..500)
            .map(|i| format!("X-{i}: y\r\n"))
            .collect::<String>()
    );
    for request in [long_line, many_headers] {
        // Closing without an answer is a refusal too.
        if let Ok(r) = raw(machine(4, 1), s.http, request.as_bytes()) {
            assert!(
                matches!(r.status, 400 | 414 | 431),
                "{} {}",
                r.status,
                r.text()
            );
        }
    }
    still_serves(&mut s, 2);
}

#[test]
fn one_address_cannot_hold_more_than_its_share_of_connections() {
    let mut s = Server::start(&[
        "--http-timeout",
        "60",
        "--http-connections-per-address",
        "8",
    ]);
    let hog = machine(5, 1);
    let mut held: Vec<_> = (0..8).map(|_| connect_from(hog, s.http).unwrap()).collect();
    // Connections are accepted in order: once another machine is served, the eight were too.
    still_serves(&mut s, 3);
    let refused = raw(
        hog,
        s.http,
        b"GET /api/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(
        refused.is_err(),
        "a ninth connection was served: {refused:?}"
    );
    // Its place comes back when one of its connections closes.
    drop(held.pop());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = raw(
            hog,
            s.http,
            b"GET /api/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        if let Ok(r) = r {
            assert_eq!(r.status, 200);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the closed connection's place never came back"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn wrong_codes_are_throttled_per_address_with_retry_after() {
    let mut s = Server::start(&[]);
    let guesser = machine(6, 1);
    for _ in 0..5 {
        let r = get(guesser, s.http, &join_path("AAAA-AAAA")).unwrap();
        assert_eq!(r.status, 404, "{}", r.text());
    }
    let r = get(guesser, s.http, &join_path("BBBB-BBBB")).unwrap();
    assert_eq!(r.status, 429, "{}", r.text());
    let wait: u64 = r
        .header("retry-after")
        .expect("429 says when to retry")
        .parse()
        .expect("whole seconds");
    assert!((1..=10).contains(&wait), "Retry-After {wait}");
    // Even the right code waits: a guesser cannot tell a hit from a miss while throttled.
    let code = s.code("fighter");
    assert_eq!(get(guesser, s.http, &join_path(&code)).unwrap().status, 429);
    // Other machines are not affected.
    still_serves(&mut s, 4);
}

#[test]
fn a_revoked_seat_is_closed_to_every_code_and_a_reissued_one_opens_only_to_the_new_code() {
    let dir = scratch("revoke-http");
    let codes_file = dir.join("codes.txt");
    let mut s = Server::start(&["--codes-file", codes_file.to_str().unwrap()]);
    let old = s.code("rogue");
    assert_eq!(
        get(machine(7, 1), s.http, &join_path(&old)).unwrap().status,
        200
    );
    s.command("revoke rogue");
    s.wait_for("seat `rogue` revoked", Duration::from_secs(30));
    // Each probe from its own machine, so the throttle does not answer for the seat.
    for (n, code) in [old.as_str(), "", "----", "-", "%20"].iter().enumerate() {
        let r = get(machine(7, 10 + n as u8), s.http, &join_path(code)).unwrap();
        assert_eq!(r.status, 404, "code `{code}` after revoke: {}", r.text());
    }
    let text = std::fs::read_to_string(&codes_file).unwrap();
    assert!(
        !text.contains(&old),
        "the codes file still offers the revoked code"
    );
    assert!(!text.contains("table-1 rogue"), "{text}");
    s.command("reissue rogue");
    let line = s.wait_for("seat `rogue`: new code", Duration::from_secs(30));
    let new = line
        .split_whitespace()
        .find(|w| w.len() == 9 && w.as_bytes()[4] == b'-')
        .unwrap()
        .to_string();
    assert_eq!(
        get(machine(7, 30), s.http, &join_path(&new))
            .unwrap()
            .status,
        200
    );
    assert_eq!(
        get(machine(7, 31), s.http, &join_path(&old))
            .unwrap()
            .status,
        404
    );
    assert_eq!(
        get(machine(7, 32), s.http, &join_path("")).unwrap().status,
        404
    );
    let text = std::fs::read_to_string(&codes_file).unwrap();
    assert!(text.contains(&format!("table-1 rogue {new}")), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&codes_file).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the codes file is readable by others: {mode:o}"
        );
    }
}

#[test]
fn the_web_root_serves_gzip_twins_and_nothing_outside_it() {
    let root = web_root("web-root");
    let outside = root.parent().unwrap().join("secret.txt");
    std::fs::write(&outside, "TOP-SECRET").unwrap();
    std::fs::create_dir_all(root.parent().unwrap().join("private")).unwrap();
    std::fs::write(root.parent().unwrap().join("private/key.txt"), "TOP-SECRET").unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&outside, root.join("link.txt")).unwrap();
        std::os::unix::fs::symlink(root.parent().unwrap().join("private"), root.join("dir"))
            .unwrap();
        // A gzip twin that points out of the root is refused too.
        std::fs::write(root.join("app.css"), "body{}").unwrap();
        std::os::unix::fs::symlink(&outside, root.join("app.css.gz")).unwrap();
    }
    let js = "console.log('emberkeep');".repeat(50);
    std::fs::write(root.join("app.js"), &js).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(js.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    std::fs::write(root.join("app.js.gz"), &gz).unwrap();
    let mut s = Server::start(&["--web", "0", "--web-root", root.to_str().unwrap()]);
    let web = s.web.unwrap();
    let from = machine(8, 1);
    for path in [
        "/link.txt",
        "/dir/key.txt",
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/%2e%2e%2fsecret.txt",
        "//secret.txt",
        "/dir/../../secret.txt",
        "/app.css",
        "/.%2e/private/key.txt",
        "/%00",
    ] {
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n"
        );
        if let Ok(r) = raw(from, web, request.as_bytes()) {
            assert!(
                !r.text().contains("TOP-SECRET"),
                "{path} leaked a file outside the root"
            );
            assert_ne!(r.status, 200, "{path}");
        }
    }
    let with_gzip = raw(
        from,
        web,
        b"GET /app.js HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    assert_eq!(with_gzip.status, 200);
    assert_eq!(with_gzip.header("content-encoding"), Some("gzip"));
    assert_eq!(with_gzip.body, gz);
    let plain = get(from, web, "/app.js").unwrap();
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(plain.text(), js);
    let index = get(from, web, "/").unwrap();
    assert_eq!(index.status, 200);
    assert!(index.text().contains("Emberkeep"));
    // Without a built client the page says so, and names no folder of the server's.
    std::fs::remove_file(root.join("index.html")).unwrap();
    let missing = get(from, web, "/").unwrap();
    assert_eq!(missing.status, 503);
    assert!(
        !missing.text().contains(root.to_str().unwrap()),
        "{}",
        missing.text()
    );
    assert!(!missing.text().contains("/tmp"), "{}", missing.text());
    still_serves(&mut s, 5);
}

#[test]
fn a_join_link_opened_in_a_browser_without_a_web_client_explains_how_to_join() {
    let mut s = Server::start(&[]);
    let code = s.code("wizard");
    let r = get(machine(9, 1), s.http, &format!("/?code={code}")).unwrap();
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert!(r.text().contains(&code), "{}", r.text());
    assert!(r.text().contains("--server"), "{}", r.text());
    // A hostile "code" is not echoed.
    let r = get(machine(9, 2), s.http, "/?code=%3Cscript%3E").unwrap();
    assert!(!r.text().to_lowercase().contains("<script"), "{}", r.text());
    still_serves(&mut s, 6);
}
