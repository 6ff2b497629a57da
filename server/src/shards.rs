//! `--shards N`: one process runs N worlds, each a whole server App on a thread of its own
//! with its own UDP/WebSocket listeners, campaigns, netcode key and data folder, behind one
//! join endpoint that routes a join code to the shard hosting its campaign.
//!
//! Why: lightyear's replication walks every replicated entity for every link each tick, so a
//! world's cost grows with links × entities; N worlds of 1/N of the tables each cost about
//! 1/N² as much apiece, spread over the cores (and netcode's 256 links per listener becomes
//! 256 per shard).
//!
//! - Ports: shard i listens on `--udp-port + 10·i` and `--ws-port + 10·i` (0: free ports).
//! - Campaigns: each is placed on the least loaded shard (at start, an equal share each);
//!   shard i numbers its tables i+1, i+1+N, … so ids stay unique.
//! - Data: shard i keeps its journals in `DATA/shard-i`. A shard that fails (a panic) is
//!   dropped and built again from its journals after a second; the others keep playing.
//!   Tokens minted before stay valid (each shard keeps its key); players rejoin by code.
//! - Metrics: one `/metrics` with every series labelled `shard`.
//! - Console: `use ID`, `archive ID` and `reopen ID` go to the shard holding ID (and `use`
//!   keeps sending there), `shard I CMD` to shard I, everything else to every shard.

use crate::console::{JoinBase, StdinLines};
use crate::http::{self, Route};
use crate::metrics::Metrics;
use crate::seats::Directory;
use crate::settings::{Listen, ServerSettings, ShardPlace};
use bevy::prelude::*;
use emberkeep_shared::content::ContentLibrary;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Port distance between two shards' listeners.
pub const PORT_STRIDE: u16 = 10;

/// Every shard's seat lines for `--codes-file` (each shard writes the union).
#[derive(Resource, Debug, Clone, Default)]
pub struct AllCodes(Arc<Mutex<Vec<Vec<String>>>>);

impl AllCodes {
    /// Replaces shard `index`'s lines; returns every shard's, sorted.
    pub fn update(&self, index: u32, lines: Vec<String>) -> Vec<String> {
        let mut all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let i = index as usize;
        if all.len() <= i {
            all.resize(i + 1, Vec::new());
        }
        all[i] = lines;
        let mut union: Vec<String> = all.iter().flatten().cloned().collect();
        union.sort();
        union
    }
}

/// Set once a shard has printed its seats' codes (and written them to `--codes-file`).
#[derive(Resource, Debug, Clone, Default)]
pub struct Ready(pub Arc<AtomicBool>);

/// Each shard's settings: its ports, share of the campaigns, data folder and key; no HTTP,
/// web or metrics listener (the supervisor's) and no stdin (routed to it).
pub fn plan(settings: &ServerSettings) -> Result<Vec<ServerSettings>, String> {
    let count = settings.shards.max(1);
    let shift = |a: Option<SocketAddr>, i: u32, option: &str| -> Result<_, String> {
        let Some(mut a) = a else { return Ok(None) };
        if a.port() != 0 {
            let port = u16::try_from(i)
                .ok()
                .and_then(|i| i.checked_mul(PORT_STRIDE))
                .and_then(|d| a.port().checked_add(d))
                .ok_or_else(|| {
                    format!(
                        "{option} {}: shard {i}'s port would be past 65535",
                        a.port()
                    )
                })?;
            a.set_port(port);
        }
        Ok(Some(a))
    };
    (0..count)
        .map(|i| {
            let mut s = settings.clone();
            s.shard = Some(ShardPlace { index: i, count });
            s.shards = 1;
            if let Listen::Sockets { udp, ws, .. } = &settings.listen {
                s.listen = Listen::Sockets {
                    udp: shift(*udp, i, "--udp-port")?,
                    ws: shift(*ws, i, "--ws-port")?,
                    http: None,
                };
            }
            s.web = None;
            s.metrics = None;
            s.console = false;
            s.campaigns = settings.campaigns / count + u32::from(i < settings.campaigns % count);
            s.data_dir = settings
                .data_dir
                .as_ref()
                .map(|d| d.join(format!("shard-{i}")));
            s.seed = settings.seed.wrapping_add(u64::from(i) << 32);
            s.private_key = rand::random();
            Ok(s)
        })
        .collect()
}

/// The supervisor's own settings: the join endpoint, web root and metrics, no game sockets.
pub fn supervisor(settings: &ServerSettings) -> ServerSettings {
    let mut s = settings.clone();
    if let Listen::Sockets { http, .. } = settings.listen {
        s.listen = Listen::Sockets {
            udp: None,
            ws: None,
            http,
        };
    }
    s
}

/// Adds to each shard's App before it is built (tests inject faults with it).
pub type Hook = Arc<dyn Fn(u32, &mut App) + Send + Sync>;

/// One running shard, as the supervisor sees it.
#[derive(Debug, Clone)]
pub struct ShardHandle {
    /// Its settings (ports resolved).
    pub settings: ServerSettings,
    /// Its join directory (the endpoint's route to it).
    pub directory: Directory,
    /// Its series.
    pub metrics: Metrics,
    /// Times it failed and was built again.
    pub restarts: Arc<AtomicU64>,
    /// Whether its first world has printed its codes.
    pub ready: Ready,
    /// Where its console lines go (replaced at each restart).
    console: Arc<Mutex<Option<Sender<String>>>>,
}

/// Shards running under their supervisor.
#[derive(Debug)]
pub struct Sharded {
    /// The shards, by index.
    pub shards: Vec<ShardHandle>,
    /// The join endpoint, if any.
    pub http: Option<SocketAddr>,
    /// The metrics endpoint, if any.
    pub metrics: Option<SocketAddr>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

/// Starts the endpoints and one thread per shard. `main` is the supervisor's settings (see
/// [`supervisor`]), `shards` those of [`plan`]; both already through [`crate::prepare`].
pub fn start(
    main: &ServerSettings,
    shards: Vec<ServerSettings>,
    content: ContentLibrary,
    hook: Option<Hook>,
) -> Result<Sharded, String> {
    let handles: Vec<ShardHandle> = shards
        .into_iter()
        .enumerate()
        .map(|(i, settings)| ShardHandle {
            settings,
            directory: Directory::default(),
            metrics: Metrics::for_shard(i as u32),
            restarts: Arc::default(),
            ready: Ready::default(),
            console: Arc::default(),
        })
        .collect();
    let routes: Vec<Route> = handles
        .iter()
        .map(|h| Route {
            directory: h.directory.clone(),
            key: h.settings.private_key,
        })
        .collect();
    let counting = handles[0].metrics.clone();
    let mut base = None;
    let public = |bound: SocketAddr| {
        let host = main
            .public_host
            .clone()
            .unwrap_or_else(|| crate::guess_public_host(bound));
        format!("http://{host}:{}", bound.port())
    };
    let mut http_bound = None;
    if let Listen::Sockets {
        http: Some(addr), ..
    } = main.listen
    {
        let server = http::spawn(
            addr,
            routes.clone(),
            None,
            main.http.clone(),
            counting.clone(),
        )?;
        println!("listening: http {}", server.bound);
        base = Some(public(server.bound));
        http_bound = Some(server.bound);
    }
    if let Some((addr, root)) = main.web.clone() {
        let server = http::spawn(addr, routes, Some(root), main.http.clone(), counting)?;
        println!("listening: web {}", server.bound);
        base = Some(public(server.bound));
    }
    let metrics_bound = match main.metrics {
        Some(addr) => {
            let all = handles.iter().map(|h| h.metrics.clone()).collect();
            let bound = http::spawn_metrics(addr, all, main.http.clone())?;
            println!("listening: metrics {bound}");
            Some(bound)
        }
        None => None,
    };
    let codes = AllCodes::default();
    let threads = handles
        .iter()
        .enumerate()
        .map(|(i, handle)| {
            let handle = handle.clone();
            let content = content.clone();
            let hook = hook.clone();
            let base = JoinBase(base.clone());
            let codes = codes.clone();
            std::thread::Builder::new()
                .name(format!("emberkeep-shard-{i}"))
                .spawn(move || run_shard(i as u32, handle, content, base, codes, hook))
                .map_err(|e| format!("cannot start shard {i}: {e}"))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Sharded {
        shards: handles,
        http: http_bound,
        metrics: metrics_bound,
        threads,
    })
}

/// Runs one shard until it exits; builds it again from its journals whenever it fails.
fn run_shard(
    index: u32,
    shard: ShardHandle,
    content: ContentLibrary,
    base: JoinBase,
    codes: AllCodes,
    hook: Option<Hook>,
) {
    loop {
        // The failed world's seats and ports go; resuming its journals brings them back.
        {
            let mut dir = shard.directory.0.write().unwrap_or_else(|e| e.into_inner());
            dir.codes.clear();
            dir.udp_port = None;
            dir.ws_port = None;
        }
        let (tx, rx) = std::sync::mpsc::channel();
        *shard.console.lock().unwrap_or_else(|e| e.into_inner()) = Some(tx);
        let app = crate::server_app_with(shard.settings.clone(), content.clone(), |app| {
            app.insert_resource(shard.directory.clone())
                .insert_resource(shard.metrics.clone())
                .insert_resource(JoinBase(base.0.clone()))
                .insert_resource(codes.clone())
                .insert_resource(shard.ready.clone())
                .insert_resource(StdinLines(Mutex::new(rx)));
            if let Some(hook) = &hook {
                hook(index, app);
            }
        });
        // The world is dropped (its sockets closed) before it is built again.
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let mut app = app;
            app.run()
        }));
        match ran {
            Ok(_) => return,
            Err(payload) => {
                let n = shard.restarts.fetch_add(1, Ordering::Relaxed) + 1;
                shard.metrics.series().restarts.inc();
                let why = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic".into());
                eprintln!(
                    "shard {index} failed ({why}); restarting it from its journals (restart {n}); the other shards play on"
                );
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
}

impl Sharded {
    /// The shard holding campaign `id` (by its seats, or its folder in the data directory).
    pub fn holding(&self, id: &str) -> Option<usize> {
        self.shards.iter().position(|h| {
            h.directory
                .0
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .codes
                .values()
                .any(|t| t.campaign == id)
                || h.settings
                    .data_dir
                    .as_ref()
                    .is_some_and(|d| d.join(id).is_dir())
        })
    }

    /// The shard with the fewest open campaigns (the lowest index among equals).
    pub fn least_loaded(&self) -> usize {
        (0..self.shards.len())
            .min_by_key(|&i| self.shards[i].metrics.series().campaigns.get())
            .unwrap_or(0)
    }

    /// Sends a console line to shard `index`.
    pub fn send(&self, index: usize, line: &str) {
        if let Some(tx) = self.shards[index]
            .console
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            let _ = tx.send(line.to_string());
        }
    }

    /// Routes one console line (see the module's notes); `selected` is the shard `use` chose.
    pub fn route(&self, line: &str, selected: &mut Option<usize>) -> Result<(), String> {
        let mut words = line.split_whitespace();
        let (first, second) = (words.next().unwrap_or(""), words.next());
        match (first, second) {
            ("shard", Some(n)) => {
                let i: usize = n
                    .parse()
                    .ok()
                    .filter(|&i| i < self.shards.len())
                    .ok_or_else(|| format!("no shard {n}: 0 to {}", self.shards.len() - 1))?;
                let rest = line.trim_start()["shard".len()..]
                    .trim_start()
                    .strip_prefix(n)
                    .unwrap_or("")
                    .trim();
                self.send(i, rest);
            }
            ("use" | "archive" | "reopen", Some(id)) => {
                let i = self
                    .holding(id)
                    .ok_or_else(|| format!("no shard holds a campaign `{id}`"))?;
                if first == "use" {
                    *selected = Some(i);
                }
                self.send(i, line);
            }
            _ => match *selected {
                Some(i) => self.send(i, line),
                None => (0..self.shards.len()).for_each(|i| self.send(i, line)),
            },
        }
        Ok(())
    }

    /// Waits for every shard to exit.
    pub fn join(self) {
        for t in self.threads {
            let _ = t.join();
        }
    }
}

/// The sharded server: endpoints, shards, and the console routed to them, until every shard
/// has exited.
pub fn run(settings: ServerSettings, content: ContentLibrary) -> Result<(), (u8, String)> {
    let mut main = supervisor(&settings);
    crate::prepare(&mut main, &content)?;
    let mut shards = plan(&settings).map_err(|e| (2, e))?;
    for s in &mut shards {
        crate::prepare(s, &content)?;
    }
    crate::print_banner(&settings);
    for (i, s) in shards.iter().enumerate() {
        if let Listen::Sockets { udp, ws, .. } = &s.listen {
            let port = |a: &Option<SocketAddr>| a.map_or("off".to_string(), |a| a.to_string());
            println!(
                "  shard {i}: udp {}, ws {}, {} campaign(s){}",
                port(udp),
                port(ws),
                s.campaigns,
                s.data_dir
                    .as_ref()
                    .map(|d| format!(", journals in {}", d.display()))
                    .unwrap_or_default()
            );
        }
    }
    // One global logger for the process: the first world built sets it up.
    let logging = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let hook: Hook = Arc::new(move |_, app: &mut App| {
        if !logging.swap(true, Ordering::Relaxed) {
            app.add_plugins(bevy::log::LogPlugin::default());
        }
    });
    let running = start(&main, shards, content, Some(hook)).map_err(|e| (1, e))?;
    // The help line comes after every shard's codes (scripts wait for it).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !running
        .shards
        .iter()
        .all(|h| h.ready.0.load(Ordering::Acquire))
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    if settings.console {
        let lines = crate::console::spawn_stdin_reader();
        println!("Type `help` for host commands (`shard I CMD` sends one to shard I).");
        let mut selected = None;
        let rx = lines.0.into_inner().unwrap_or_else(|e| e.into_inner());
        for line in rx {
            if line.is_empty() {
                continue;
            }
            if let Err(e) = running.route(&line, &mut selected) {
                println!("{e}");
            }
        }
    }
    running.join();
    Ok(())
}
