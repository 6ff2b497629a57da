//! A real `emberkeep-server` process on loopback for black-box tests: started with port 0
//! everywhere, its addresses read from what it prints, its console on a pipe, and a raw HTTP
//! client that can choose its source address (any of 127.0.0.0/8) to play several machines.
//! Real time is unavoidable here; tests wait for outcomes with generous deadlines and never
//! assert on durations.
#![allow(dead_code, reason = "each test file uses a part of this")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// The shipped assets folder.
pub fn assets() -> String {
    emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR"))
        .join("../assets")
        .display()
        .to_string()
}

/// A fresh scratch folder for this test process.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("emberkeep-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A running server.
pub struct Server {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    /// Everything it printed so far.
    pub printed: Vec<String>,
    /// Its join endpoint.
    pub http: SocketAddr,
    /// Its web endpoint, with `--web`.
    pub web: Option<SocketAddr>,
    /// Its UDP address.
    pub udp: Option<SocketAddr>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts the server with `--bind 127.0.0.1`, every port 0, no WebSocket unless `args`
    /// says `--ws` or `--web`, and `args`; waits until it has printed its codes.
    pub fn start(args: &[&str]) -> Server {
        let mut all: Vec<String> = [
            "--bind",
            "127.0.0.1",
            "--udp-port",
            "0",
            "--http-port",
            "0",
            "--seed",
            "5",
            "--assets",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        all.push(assets());
        // The web client plays over WebSocket: `--web` needs it too.
        if args.contains(&"--ws") || args.contains(&"--web") {
            all.extend(["--ws-port".to_string(), "0".to_string()]);
        } else {
            all.push("--no-websocket".into());
        }
        all.extend(args.iter().filter(|a| **a != "--ws").map(|s| s.to_string()));
        let mut child = Command::new(env!("CARGO_BIN_EXE_emberkeep-server"))
            .args(&all)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("server starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            stdin,
            lines,
            printed: Vec::new(),
            http: "0.0.0.0:0".parse().unwrap(),
            web: None,
            udp: None,
        };
        server.wait_for("Type `help`", Duration::from_secs(60));
        // Joins are answered once the game socket is bound (port 0 resolves a moment later).
        server.wait_for("listening: udp ", Duration::from_secs(60));
        let addr = |p: &Vec<String>, prefix: &str| {
            p.iter()
                .find_map(|l| l.strip_prefix(prefix))
                .map(|a| a.trim().parse::<SocketAddr>().unwrap())
        };
        if let Some(a) = addr(&server.printed, "listening: http ") {
            server.http = a;
        }
        server.web = addr(&server.printed, "listening: web ");
        server.udp = addr(&server.printed, "listening: udp ");
        server
    }

    /// Waits (up to `limit`) for a printed line containing `text`; returns it.
    pub fn wait_for(&mut self, text: &str, limit: Duration) -> String {
        if let Some(l) = self.printed.iter().find(|l| l.contains(text)) {
            return l.clone();
        }
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.printed.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!(
                        "the server never printed `{text}`; it printed:\n{}",
                        self.printed.join("\n")
                    )
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!(
                        "the server exited before printing `{text}`:\n{}",
                        self.printed.join("\n")
                    )
                }
            }
        }
    }

    /// Types a console command.
    pub fn command(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// The seat's code as printed at start (`table-1`).
    pub fn code(&self, seat: &str) -> String {
        self.printed
            .iter()
            .find_map(|l| {
                let l = l.trim_start();
                let rest = l.strip_prefix(&format!("{seat} "))?;
                rest.split_whitespace()
                    .find(|w| w.len() == 9 && w.as_bytes()[4] == b'-')
                    .map(str::to_string)
            })
            .unwrap_or_else(|| panic!("no code printed for {seat}:\n{}", self.printed.join("\n")))
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

/// A TCP connection to `to` from the loopback address `from` (127.x.y.z).
pub fn connect_from(from: IpAddr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    socket.bind(&SocketAddr::new(from, 0).into())?;
    socket.connect_timeout(&to.into(), Duration::from_secs(5))?;
    let stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    stream.set_write_timeout(Some(Duration::from_secs(20)))?;
    Ok(stream)
}

/// A response: status, header lines (lower-case names), body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `raw` (a whole request, `Connection: close` expected) from `from` and reads the reply.
pub fn raw(from: IpAddr, to: SocketAddr, raw: &[u8]) -> std::io::Result<Reply> {
    let mut s = connect_from(from, to)?;
    s.write_all(raw)?;
    let mut bytes = Vec::new();
    s.read_to_end(&mut bytes)?;
    parse(&bytes).ok_or_else(|| {
        std::io::Error::other(format!("not HTTP: {:?}", String::from_utf8_lossy(&bytes)))
    })
}

fn parse(bytes: &[u8]) -> Option<Reply> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&bytes[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Some(Reply {
        status,
        headers,
        body: bytes[end + 4..].to_vec(),
    })
}

/// `GET path` from `from`.
pub fn get(from: IpAddr, to: SocketAddr, path: &str) -> std::io::Result<Reply> {
    raw(
        from,
        to,
        format!("GET {path} HTTP/1.1\r\nHost: {to}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
}

/// The loopback address 127.0.n.m, a distinct "machine" for the server's per-address limits.
pub fn machine(n: u8, m: u8) -> IpAddr {
    IpAddr::from([127, 0, n, m])
}
