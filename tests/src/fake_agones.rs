//! The Agones SDK server on 127.0.0.1 for tests: a real HTTP/1.1 server speaking the SDK
//! server's REST gateway (`POST /ready`, `/health`, `/shutdown`, `PUT /metadata/annotation`,
//! `/metadata/label`, the alpha player tracking calls, `GET /gameserver` and the streaming
//! `GET /watch/gameserver`), keeping a GameServer the way the sidecar does: annotations and
//! labels set through it show in the next watch line, and a test can allocate it (as the
//! allocator would) or take it away.

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// One call the server made: method, path and body.
#[derive(Debug, Clone, PartialEq)]
pub struct SdkCall {
    /// `POST`, `PUT`, `GET`.
    pub method: String,
    /// `/ready`…
    pub path: String,
    /// The JSON body (`Value::Null` if none).
    pub body: Value,
}

#[derive(Debug, Default)]
struct GameServer {
    state: String,
    annotations: BTreeMap<String, String>,
    labels: BTreeMap<String, String>,
    ports: Vec<(String, u16)>,
    /// Bumped on every change (watchers wake).
    version: u64,
}

#[derive(Default)]
struct Shared {
    calls: Mutex<Vec<SdkCall>>,
    gs: Mutex<GameServer>,
    changed: Condvar,
    gone: AtomicBool,
}

/// The fake SDK server.
pub struct FakeAgones {
    /// Base URL to give `--agones-sdk` (`http://127.0.0.1:PORT`).
    pub url: String,
    shared: Arc<Shared>,
}

impl FakeAgones {
    /// Starts it, its GameServer `Scheduled`.
    pub fn start() -> FakeAgones {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let shared = Arc::new(Shared::default());
        shared.gs.lock().unwrap().state = "Scheduled".into();
        let s = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.gone.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let s = s.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &s);
                });
            }
        });
        FakeAgones { url, shared }
    }

    /// Every call so far, in arrival order (the watch's `GET`s left out).
    pub fn calls(&self) -> Vec<SdkCall> {
        self.shared.calls.lock().unwrap().clone()
    }

    /// The calls to `path`.
    pub fn calls_to(&self, path: &str) -> Vec<SdkCall> {
        self.calls()
            .into_iter()
            .filter(|c| c.path == path)
            .collect()
    }

    /// The GameServer's state.
    pub fn state(&self) -> String {
        self.shared.gs.lock().unwrap().state.clone()
    }

    /// An annotation as last set.
    pub fn annotation(&self, key: &str) -> Option<String> {
        self.shared.gs.lock().unwrap().annotations.get(key).cloned()
    }

    /// A label as last set.
    pub fn label(&self, key: &str) -> Option<String> {
        self.shared.gs.lock().unwrap().labels.get(key).cloned()
    }

    /// Gives the GameServer the node's ports players reach it at (by name).
    pub fn set_ports(&self, ports: &[(&str, u16)]) {
        let mut gs = self.shared.gs.lock().unwrap();
        gs.ports = ports.iter().map(|(n, p)| (n.to_string(), *p)).collect();
        gs.version += 1;
        self.shared.changed.notify_all();
    }

    /// Allocates the GameServer (as a GameServerAllocation would), with these annotations.
    pub fn allocate(&self, annotations: &[(&str, &str)]) {
        let mut gs = self.shared.gs.lock().unwrap();
        gs.state = "Allocated".into();
        for (k, v) in annotations {
            gs.annotations.insert(k.to_string(), v.to_string());
        }
        gs.version += 1;
        self.shared.changed.notify_all();
    }

    /// Stops answering: the listener closes and watches end (a sidecar that went away).
    pub fn vanish(&self) {
        self.shared.gone.store(true, Ordering::SeqCst);
        self.shared.changed.notify_all();
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
    }
}

fn game_server_json(gs: &GameServer) -> Value {
    json!({
        "object_meta": {
            "name": "emberkeep-test-gs",
            "namespace": "default",
            "annotations": gs.annotations,
            "labels": gs.labels,
            "generation": gs.version.to_string(),
        },
        "status": {
            "state": gs.state,
            "address": "127.0.0.1",
            "ports": gs.ports.iter().map(|(n, p)| json!({ "name": n, "port": p })).collect::<Vec<_>>(),
        }
    })
}

fn serve(stream: TcpStream, s: &Shared) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
    );
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((k, v)) = header.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length.min(1 << 20)];
    reader.read_exact(&mut body)?;
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut out = stream;
    if s.gone.load(Ordering::SeqCst) {
        return Ok(());
    }
    if method == "GET" && path == "/watch/gameserver" {
        // Close-delimited streaming body: one JSON line per change, the current one first.
        out.write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n",
        )?;
        let mut seen = u64::MAX;
        let mut gs = s.gs.lock().unwrap();
        loop {
            if s.gone.load(Ordering::SeqCst) {
                return Ok(());
            }
            if gs.version != seen {
                seen = gs.version;
                let line = format!("{}\n", json!({ "result": game_server_json(&gs) }));
                drop(gs);
                out.write_all(line.as_bytes())?;
                out.flush()?;
                gs = s.gs.lock().unwrap();
                continue;
            }
            gs = s
                .changed
                .wait_timeout(gs, Duration::from_millis(200))
                .unwrap()
                .0;
        }
    }
    s.calls.lock().unwrap().push(SdkCall {
        method: method.clone(),
        path: path.clone(),
        body: body.clone(),
    });
    let answer = {
        let mut gs = s.gs.lock().unwrap();
        let kv = || {
            (
                body["key"].as_str().unwrap_or("").to_string(),
                body["value"].as_str().unwrap_or("").to_string(),
            )
        };
        let answer = match (method.as_str(), path.as_str()) {
            ("POST", "/ready") => {
                gs.state = "Ready".into();
                json!({})
            }
            ("POST", "/shutdown") => {
                gs.state = "Shutdown".into();
                json!({})
            }
            ("POST", "/health") => json!({}),
            ("PUT", "/metadata/annotation") => {
                let (k, v) = kv();
                gs.annotations.insert(k, v);
                json!({})
            }
            ("PUT", "/metadata/label") => {
                let (k, v) = kv();
                gs.labels.insert(k, v);
                json!({})
            }
            ("PUT", "/alpha/player/capacity") => json!({}),
            ("POST", "/alpha/player/connect" | "/alpha/player/disconnect") => {
                json!({ "bool": true })
            }
            ("GET", "/gameserver") => game_server_json(&gs),
            _ => {
                let text = json!({ "error": "Not Found", "code": 5 }).to_string();
                write!(
                    out,
                    "HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                    text.len()
                )?;
                return Ok(());
            }
        };
        gs.version += 1;
        s.changed.notify_all();
        answer.to_string()
    };
    write!(
        out,
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
        answer.len()
    )
}
