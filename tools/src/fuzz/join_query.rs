//! `join-query`: raw HTTP requests, mutated from real join requests, sent to a real join
//! endpoint (`emberkeep_server::http::spawn` on 127.0.0.1:0, serving a web root too), plus the
//! code normalisation it uses. The server must answer with HTTP or close the connection, never
//! hang, panic (in any thread) or stop accepting; it must never serve a file from outside the
//! web root (a symlink in it leads to a secret beside it); and `normalise_code` must be
//! idempotent, with every code `is_well_formed_code` accepts shaped `XXXX-XXXX`.

use super::Target;
use emberkeep_server::Directory;
use emberkeep_server::http::{GuessLimits, HttpLimits, HttpStats, Route, spawn};
use emberkeep_server::seats::{JoinTarget, is_well_formed_code, normalise_code};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// In the file outside the web root; no response may contain it.
const SECRET: &str = "EMBERKEEP-FUZZ-SECRET-7f3a";
/// How long an answer may take before the server counts as hung.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

pub struct JoinQuery {
    bound: SocketAddr,
    stats: Arc<HttpStats>,
    root: PathBuf,
    execs: u64,
}

impl Drop for JoinQuery {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

impl JoinQuery {
    pub fn new() -> anyhow::Result<JoinQuery> {
        let root = std::env::temp_dir().join(format!("emberkeep-fuzz-http-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let web = root.join("web");
        std::fs::create_dir_all(web.join("pkg"))?;
        std::fs::write(root.join("secret.txt"), SECRET)?;
        std::fs::write(
            web.join("index.html"),
            "<!doctype html><title>Emberkeep</title>",
        )?;
        std::fs::write(web.join("pkg/app.js"), "console.log('emberkeep');")?;
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("secret.txt"), web.join("leak.txt"))?;
        let directory = Directory::default();
        {
            let mut d = directory.0.write().unwrap_or_else(|e| e.into_inner());
            d.udp_port = Some(5888);
            d.ws_port = Some(5889);
            d.codes.insert(
                "ABCD-EFGH".into(),
                JoinTarget {
                    campaign: "table-1".into(),
                    seat: "player-1".into(),
                    seat_id: 99,
                },
            );
        }
        let limits = HttpLimits {
            header_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(2),
            // Wrong codes are most inputs: a strict throttle would answer 429 to everything.
            guesses: GuessLimits {
                per_address_burst: u32::MAX,
                per_address_refill: Duration::from_millis(1),
                server_burst: u32::MAX,
                server_refill: Duration::from_millis(1),
            },
            ..HttpLimits::default()
        };
        let server = spawn(
            "127.0.0.1:0".parse()?,
            vec![Route {
                directory,
                key: rand::random(),
            }],
            Some(web),
            limits,
            emberkeep_server::metrics::Metrics::default(),
        )
        .map_err(anyhow::Error::msg)?;
        Ok(JoinQuery {
            bound: server.bound,
            stats: server.stats,
            root,
            execs: 0,
        })
    }

    /// Sends `request`, closes our side, and reads the whole answer.
    fn exchange(&self, request: &[u8]) -> Result<Vec<u8>, String> {
        let mut stream = TcpStream::connect(self.bound)
            .map_err(|e| format!("the HTTP server stopped accepting: {e}"))?;
        stream
            .set_read_timeout(Some(ANSWER_WITHIN))
            .map_err(|e| e.to_string())?;
        // The server may answer and close before reading everything: a failed write is fine.
        let _ = stream.write_all(request);
        let _ = stream.shutdown(Shutdown::Write);
        let mut answer = Vec::new();
        match stream.read_to_end(&mut answer) {
            Ok(_) => Ok(answer),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                Err(format!("no answer and no close within {ANSWER_WITHIN:?}"))
            }
            // Reset by the server (it refused the request): an answer of sorts.
            Err(_) => Ok(answer),
        }
    }

    /// Whether `/api/status` answers 200, asked as a browser would (no half-close: hyper drops
    /// a half-closed connection's answer when it reads the end first).
    fn still_answers(&self) -> Result<bool, String> {
        let probe = format!(
            "GET /api/status HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.bound
        );
        let mut stream = TcpStream::connect(self.bound)
            .map_err(|e| format!("the HTTP server stopped accepting: {e}"))?;
        stream
            .set_read_timeout(Some(ANSWER_WITHIN))
            .map_err(|e| e.to_string())?;
        let mut answer = Vec::new();
        let _ = stream
            .write_all(probe.as_bytes())
            .and_then(|()| stream.read_to_end(&mut answer));
        Ok(answer.starts_with(b"HTTP/1.1 200"))
    }
}

fn check_code(text: &str) -> Result<(), String> {
    let once = normalise_code(text);
    let twice = normalise_code(&once);
    if once != twice {
        return Err(format!(
            "normalise_code is not idempotent: {text:?} → {once:?} → {twice:?}"
        ));
    }
    if is_well_formed_code(&once) && !(once.len() == 9 && once.as_bytes()[4] == b'-') {
        return Err(format!("is_well_formed_code accepted {once:?}"));
    }
    Ok(())
}

impl Target for JoinQuery {
    fn name(&self) -> &'static str {
        "join-query"
    }

    fn is_text(&self) -> bool {
        true
    }

    fn max_len(&self) -> usize {
        24 * 1024
    }

    fn seeds(&mut self) -> Vec<Vec<u8>> {
        let host = "Host: 127.0.0.1:5890\r\n";
        [
            "GET /api/join?code=ABCD-EFGH HTTP/1.1\r\n{host}\r\n",
            "GET /api/join?code=abcd%20efgh HTTP/1.1\r\n{host}Connection: close\r\n\r\n",
            "GET /api/join?x=1&code=abcdefgh&y=2 HTTP/1.1\r\nHost: [::1]:5890\r\n\r\n",
            "GET /api/join?code=ZZZZ-ZZZZ HTTP/1.1\r\n{host}\r\n",
            "GET /api/join HTTP/1.1\r\n{host}\r\n",
            "GET /api/status HTTP/1.1\r\n{host}\r\n",
            "GET / HTTP/1.1\r\n{host}\r\n",
            "GET /pkg/app.js HTTP/1.1\r\n{host}Accept-Encoding: gzip\r\n\r\n",
            "GET /pkg/../index.html HTTP/1.1\r\n{host}\r\n",
            "GET /join/ABCD-EFGH HTTP/1.1\r\n{host}\r\n",
            "GET /api/join?code=ABCD-EFGH HTTP/1.1\r\n{host}\r\nGET /api/status HTTP/1.1\r\n{host}\r\n",
            "POST /api/join?code=ABCD-EFGH HTTP/1.1\r\n{host}Content-Length: 5\r\n\r\nhello",
            "GET /api/join?code=ABCD-EFGH HTTP/1.0\r\n\r\n",
        ]
        .iter()
        .map(|r| r.replace("{host}", host).into_bytes())
        .collect()
    }

    fn run(&mut self, input: &[u8]) -> Result<bool, String> {
        self.execs += 1;
        let text = String::from_utf8_lossy(input);
        check_code(&text)?;
        for part in text.split("code=").skip(1) {
            check_code(part.split(['&', ' ', '\r', '\n', '#']).next().unwrap_or(""))?;
        }
        let answer = self.exchange(input)?;
        if !answer.is_empty() && !answer.starts_with(b"HTTP/1.") {
            return Err(format!(
                "the answer is not HTTP: {:?}",
                String::from_utf8_lossy(&answer[..answer.len().min(80)])
            ));
        }
        if answer.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()) {
            return Err("a file outside the web root was served".into());
        }
        // Now and then, the server must still work for a real request (given a few tries: a
        // stalled machine can make a connection time out).
        if self.execs.is_multiple_of(64) && !self.still_answers()? {
            return Err(format!(
                "the server stopped answering /api/status after this input ({} connections, {} refused)",
                self.stats.connections.load(Ordering::Relaxed),
                self.stats.refused_connections.load(Ordering::Relaxed),
            ));
        }
        Ok(answer.starts_with(b"HTTP/1.1 200"))
    }
}
