//! The HTTP endpoint: `GET /api/join?code=CODE` exchanges a join code for a connect token;
//! with a web root (`--web PORT`) it also serves the web client's files, so a join link opens
//! the game in a browser on the same origin as `/api/join`. Nothing here touches the game
//! world: the join directory is shared data.
//!
//! Served by hyper on its own thread's tokio runtime, with the limits a server on the internet
//! needs (see [`HttpLimits`] and SECURITY.md): connections capped in total and per address,
//! request line + headers capped in size and in the time they may take to arrive, bodies
//! refused (nothing here takes one), handlers bounded in time, every connection bounded in
//! lifetime, failed code guesses throttled ([`throttle`]), and files served by tower-http's
//! `ServeDir` (with gzip twins) only from inside the web root — symlinks out of it are refused.

mod files;
pub mod throttle;

use crate::metrics::Metrics;
use crate::seats::{Directory, is_well_formed_code, mint_token, normalise_code};
use axum::Router;
use axum::extract::{Extension, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use emberkeep_shared::protocol::{JoinTicket, SeatClaim};
use hyper_util::rt::{TokioIo, TokioTimer};
use lightyear::netcode::Key;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
pub use throttle::GuessLimits;
use throttle::Throttle;
use tower::ServiceExt;

/// What one HTTP listener accepts.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpLimits {
    /// Open connections at once (more are closed as they arrive).
    pub max_connections: usize,
    /// Open connections from one address (IPv6: one /64) at once.
    pub max_connections_per_address: usize,
    /// Time a request line and its headers may take to arrive (also the keep-alive idle time).
    pub header_timeout: Duration,
    /// Time a handler may take to produce its response head.
    pub request_timeout: Duration,
    /// Time any one connection may stay open, whatever it does.
    pub connection_lifetime: Duration,
    /// Bytes of request line + headers (at least 8 KiB, hyper's minimum).
    pub max_header_bytes: usize,
    /// Header fields per request.
    pub max_headers: usize,
    /// Request body bytes (nothing here reads a body).
    pub max_body_bytes: usize,
    /// Failed join-code guesses.
    pub guesses: GuessLimits,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            max_connections: 1024,
            max_connections_per_address: 32,
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(10),
            connection_lifetime: Duration::from_secs(300),
            max_header_bytes: 16 * 1024,
            max_headers: 64,
            max_body_bytes: 1024,
            guesses: GuessLimits::default(),
        }
    }
}

/// Counters of one listener, for `status`.
#[derive(Debug, Default)]
pub struct HttpStats {
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Connections closed at once because a limit was reached.
    pub refused_connections: AtomicU64,
    /// Join requests refused with 429.
    pub throttled: AtomicU64,
    /// Failed join-code guesses.
    pub failed_guesses: AtomicU64,
    /// Tokens minted.
    pub minted: AtomicU64,
}

/// A running listener.
#[derive(Debug, Clone)]
pub struct HttpServer {
    /// Where it listens.
    pub bound: SocketAddr,
    /// Its counters.
    pub stats: Arc<HttpStats>,
}

/// Where join codes lead: one world's seats, and the key its connect tokens are minted with
/// (one per shard with `--shards`; a code is looked up in each in turn).
#[derive(Clone)]
pub struct Route {
    /// The world's join directory.
    pub directory: Directory,
    /// Its netcode private key.
    pub key: Key,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Route").finish_non_exhaustive()
    }
}

struct Shared {
    routes: Vec<Route>,
    bound: SocketAddr,
    web_root: Option<files::WebRoot>,
    throttle: Mutex<Throttle>,
    stats: Arc<HttpStats>,
    /// Counts the join endpoint's requests.
    metrics: Metrics,
    /// What `/metrics` exposes (every shard's).
    exposed: Vec<Metrics>,
}

/// The peer address of a request's connection.
#[derive(Debug, Clone, Copy)]
struct Peer(SocketAddr);

/// Starts the endpoint on `addr` for the worlds of `routes` (serving files from `web_root` too,
/// if given) on a thread of its own; returns once the socket is bound.
pub fn spawn(
    addr: SocketAddr,
    routes: Vec<Route>,
    web_root: Option<PathBuf>,
    limits: HttpLimits,
    metrics: Metrics,
) -> Result<HttpServer, String> {
    let listener = bind(addr)?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    let web_root = match web_root {
        Some(root) => Some(files::WebRoot::new(root)?),
        None => None,
    };
    let stats = Arc::new(HttpStats::default());
    let shared = Arc::new(Shared {
        routes,
        bound,
        web_root,
        throttle: Mutex::new(Throttle::new(limits.guesses, Instant::now())),
        stats: stats.clone(),
        exposed: vec![metrics.clone()],
        metrics,
    });
    let router = Router::new()
        .route("/api/join", get(join))
        .route("/api/status", get(status))
        .route("/", get(files::index))
        .fallback(files::file)
        .with_state(shared.clone());
    run("emberkeep-http", listener, router, shared, limits)?;
    Ok(HttpServer { bound, stats })
}

/// Starts the metrics endpoint (`GET /metrics`: every series of `exposed`, one set per shard)
/// on `addr`, with the same limits as the join endpoint, on a thread of its own; returns the
/// bound address once the socket is bound.
pub fn spawn_metrics(
    addr: SocketAddr,
    exposed: Vec<Metrics>,
    limits: HttpLimits,
) -> Result<SocketAddr, String> {
    let listener = bind(addr)?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    let metrics = exposed.first().cloned().unwrap_or_default();
    let shared = Arc::new(Shared {
        routes: Vec::new(),
        bound,
        web_root: None,
        throttle: Mutex::new(Throttle::new(limits.guesses, Instant::now())),
        stats: Arc::new(HttpStats::default()),
        metrics,
        exposed,
    });
    let router = Router::new()
        .route("/metrics", get(scrape))
        .with_state(shared.clone());
    run("emberkeep-metrics", listener, router, shared, limits)?;
    Ok(bound)
}

fn bind(addr: SocketAddr) -> Result<std::net::TcpListener, String> {
    let listener = std::net::TcpListener::bind(addr)
        .map_err(|e| format!("cannot listen for HTTP on {addr}: {e}"))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("cannot listen for HTTP on {addr}: {e}"))?;
    Ok(listener)
}

/// Serves `router` on `listener` from a thread of its own with a single-threaded runtime.
fn run(
    name: &str,
    listener: std::net::TcpListener,
    router: Router,
    shared: Arc<Shared>,
    limits: HttpLimits,
) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the HTTP runtime: {e}"))?;
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || runtime.block_on(serve(listener, router, shared, limits)))
        .map_err(|e| e.to_string())?;
    Ok(())
}

async fn scrape(State(s): State<Arc<Shared>>) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        )],
        crate::metrics::render_all(&s.exposed),
    )
        .into_response()
}

/// Open connections, in total and per address.
#[derive(Debug, Default)]
struct Admission {
    total: usize,
    per_address: HashMap<IpAddr, usize>,
}

/// Holds a connection's place; gives it back when the connection ends.
struct Admitted {
    admission: Arc<Mutex<Admission>>,
    key: IpAddr,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut a = self.admission.lock().unwrap_or_else(|e| e.into_inner());
        a.total = a.total.saturating_sub(1);
        if let Some(n) = a.per_address.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                a.per_address.remove(&self.key);
            }
        }
    }
}

fn admit(admission: &Arc<Mutex<Admission>>, ip: IpAddr, limits: &HttpLimits) -> Option<Admitted> {
    let key = throttle::key(ip);
    let mut a = admission.lock().unwrap_or_else(|e| e.into_inner());
    let here = a.per_address.get(&key).copied().unwrap_or(0);
    if a.total >= limits.max_connections || here >= limits.max_connections_per_address {
        return None;
    }
    a.total += 1;
    a.per_address.insert(key, here + 1);
    Some(Admitted {
        admission: admission.clone(),
        key,
    })
}

async fn serve(
    listener: std::net::TcpListener,
    router: Router,
    shared: Arc<Shared>,
    limits: HttpLimits,
) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            bevy::log::error!("HTTP listener: {e}");
            return;
        }
    };
    let router = router
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            limits.max_body_bytes,
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ));
    let admission = Arc::new(Mutex::new(Admission::default()));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: wait a moment instead of spinning.
                bevy::log::warn!("HTTP accept: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(place) = admit(&admission, peer.ip(), &limits) else {
            shared
                .stats
                .refused_connections
                .fetch_add(1, Ordering::Relaxed);
            Metrics::count(
                &shared.metrics.series().http_connections,
                &[("result", "refused")],
            );
            drop(stream);
            continue;
        };
        shared.stats.connections.fetch_add(1, Ordering::Relaxed);
        Metrics::count(
            &shared.metrics.series().http_connections,
            &[("result", "accepted")],
        );
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<_>| {
            request.extensions_mut().insert(Peer(peer));
            router.clone().oneshot(request.map(axum::body::Body::new))
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .max_buf_size(limits.max_header_bytes.max(8192))
            .max_headers(limits.max_headers)
            // A client may shut its sending side after a whole request and still get the answer.
            .half_close(true)
            .serve_connection(TokioIo::new(stream), service);
        let lifetime = limits.connection_lifetime;
        tokio::spawn(async move {
            let _place = place;
            let _ = tokio::time::timeout(lifetime, connection).await;
        });
    }
}

fn json(status: StatusCode, body: String) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

fn error(status: StatusCode, message: &str) -> Response {
    json(status, serde_json::json!({ "error": message }).to_string())
}

async fn status() -> Response {
    json(
        StatusCode::OK,
        serde_json::json!({ "server": "emberkeep", "join": "/api/join?code=CODE" }).to_string(),
    )
}

/// The `code` parameter of a query string, if any.
pub(crate) fn code_param(query: &str) -> Option<&str> {
    query.split('&').find_map(|kv| kv.strip_prefix("code="))
}

/// The address the client used to reach us (the Host header), if it is an IP address.
fn host_ip(headers: &HeaderMap) -> Option<IpAddr> {
    let v = headers.get(header::HOST)?.to_str().ok()?;
    let host = v
        .rsplit_once(':')
        .map_or(v, |(h, _)| h)
        .trim_matches(['[', ']']);
    host.parse().ok()
}

async fn join(
    State(s): State<Arc<Shared>>,
    Extension(Peer(peer)): Extension<Peer>,
    request: Request,
) -> Response {
    let now = Instant::now();
    if let Err(wait) = s
        .throttle
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .admit(peer.ip(), now)
    {
        s.stats.throttled.fetch_add(1, Ordering::Relaxed);
        Metrics::count(
            &s.metrics.series().join_attempts,
            &[("result", "throttled")],
        );
        let secs = wait
            .as_secs()
            .saturating_add(u64::from(wait.subsec_nanos() > 0));
        let mut response = error(
            StatusCode::TOO_MANY_REQUESTS,
            &format!("too many wrong join codes: try again in {secs} s"),
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        return response;
    }
    let query = request.uri().query().unwrap_or("");
    let Some(code) = code_param(query) else {
        return error(StatusCode::BAD_REQUEST, "expected /api/join?code=YOUR-CODE");
    };
    let code = normalise_code(code);
    let found = if is_well_formed_code(&code) {
        s.routes.iter().find_map(|route| {
            let target = route
                .directory
                .0
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .codes
                .get(&code)
                .cloned()?;
            Some((route, target))
        })
    } else {
        None
    };
    let Some((route, target)) = found else {
        s.throttle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .failed(peer.ip(), now);
        s.stats.failed_guesses.fetch_add(1, Ordering::Relaxed);
        Metrics::count(&s.metrics.series().join_attempts, &[("result", "unknown")]);
        return error(
            StatusCode::NOT_FOUND,
            "unknown or revoked join code: ask the host for a new one",
        );
    };
    s.throttle
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .succeeded(peer.ip(), now);
    let (udp_port, ws_port) = {
        let dir = route.directory.0.read().unwrap_or_else(|e| e.into_inner());
        (dir.udp_port, dir.ws_port)
    };
    let Some(game_port) = udp_port.or(ws_port) else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is not listening yet",
        );
    };
    // The client reaches the game on the host it used to reach us.
    let host = host_ip(request.headers()).unwrap_or(if s.bound.ip().is_unspecified() {
        IpAddr::from([127, 0, 0, 1])
    } else {
        s.bound.ip()
    });
    let claim = SeatClaim {
        campaign: target.campaign.clone(),
        seat_id: target.seat_id,
    };
    match mint_token(&route.key, SocketAddr::new(host, game_port), &claim) {
        Ok(token) => {
            s.stats.minted.fetch_add(1, Ordering::Relaxed);
            Metrics::count(&s.metrics.series().join_attempts, &[("result", "minted")]);
            route
                .directory
                .0
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .minted += 1;
            let ticket = JoinTicket {
                token: base64::engine::general_purpose::STANDARD.encode(token),
                campaign: target.campaign,
                seat: target.seat,
                udp_port,
                ws_port,
            };
            match serde_json::to_string(&ticket) {
                Ok(body) => json(StatusCode::OK, body),
                Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
            }
        }
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    }
}
