//! The HTTP endpoint (on its own thread): `GET /api/join?code=CODE` exchanges a join code for
//! a connect token. Plain data in, JSON out; nothing here touches the game world. With a web
//! root (`--web PORT`) it also serves the web client's files, so a join link opens the game
//! in a browser on the same origin as `/api/join`.

use crate::seats::{Directory, mint_token, normalise_code};
use base64::Engine;
use emberkeep_shared::protocol::{JoinTicket, SeatClaim};
use lightyear::netcode::Key;
use std::net::{IpAddr, SocketAddr};
use std::path::{Component, Path, PathBuf};

/// Starts the endpoint on `addr` (serving files from `web_root` too, if given); returns the
/// bound address.
pub fn spawn(
    addr: SocketAddr,
    directory: Directory,
    key: Key,
    web_root: Option<PathBuf>,
) -> Result<SocketAddr, String> {
    let server = tiny_http::Server::http(addr)
        .map_err(|e| format!("cannot listen for HTTP on {addr}: {e}"))?;
    let bound = server
        .server_addr()
        .to_ip()
        .ok_or("HTTP bound to a non-IP address")?;
    std::thread::Builder::new()
        .name("emberkeep-http".into())
        .spawn(move || {
            for request in server.incoming_requests() {
                if let Some(root) = &web_root {
                    if let Some(response) = static_file(&request, root) {
                        let _ = request.respond(response);
                        continue;
                    }
                }
                let (status, body) = handle(&request, &directory, &key, bound);
                let header =
                    tiny_http::Header::from_bytes(&b"Content-Type"[..], &b"application/json"[..])
                        .expect("static header");
                let response = tiny_http::Response::from_string(body)
                    .with_status_code(status)
                    .with_header(header);
                let _ = request.respond(response);
            }
        })
        .map_err(|e| e.to_string())?;
    Ok(bound)
}

fn error(status: u16, message: &str) -> (u16, String) {
    (status, serde_json::json!({ "error": message }).to_string())
}

fn handle(
    request: &tiny_http::Request,
    directory: &Directory,
    key: &Key,
    bound: SocketAddr,
) -> (u16, String) {
    let url = request.url();
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    if *request.method() != tiny_http::Method::Get {
        return error(405, "only GET is supported");
    }
    match path {
        "/api/join" => {
            let Some(code) = query.split('&').find_map(|kv| kv.strip_prefix("code=")) else {
                return error(400, "expected /api/join?code=YOUR-CODE");
            };
            let code = normalise_code(code);
            let mut dir = directory.0.write().expect("directory lock");
            let Some(target) = dir.codes.get(&code).cloned() else {
                return error(
                    404,
                    "unknown or revoked join code: ask the host for a new one",
                );
            };
            let Some(udp_port) = dir.udp_port.or(dir.ws_port) else {
                return error(503, "the server is not listening yet");
            };
            // The client reaches the game on the host it used to reach us.
            let host: IpAddr = request
                .headers()
                .iter()
                .find(|h| h.field.equiv("Host"))
                .and_then(|h| {
                    let v = h.value.as_str();
                    let host = v
                        .rsplit_once(':')
                        .map_or(v, |(h, _)| h)
                        .trim_matches(['[', ']']);
                    host.parse().ok()
                })
                .unwrap_or(if bound.ip().is_unspecified() {
                    IpAddr::from([127, 0, 0, 1])
                } else {
                    bound.ip()
                });
            let claim = SeatClaim {
                campaign: target.campaign.clone(),
                seat_id: target.seat_id,
            };
            match mint_token(key, SocketAddr::new(host, udp_port), &claim) {
                Ok(token) => {
                    dir.minted += 1;
                    let ticket = JoinTicket {
                        token: base64::engine::general_purpose::STANDARD.encode(token),
                        campaign: target.campaign,
                        seat: target.seat,
                        udp_port: dir.udp_port,
                        ws_port: dir.ws_port,
                    };
                    (200, serde_json::to_string(&ticket).expect("serialisable"))
                }
                Err(e) => error(500, &e),
            }
        }
        "/" | "/api/status" => (
            200,
            serde_json::json!({ "server": "emberkeep", "join": "/api/join?code=CODE" }).to_string(),
        ),
        _ => error(404, "not found"),
    }
}

/// The content type of a web bundle file.
fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "png" => "image/png",
        "wav" => "audio/wav",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

/// A GET for a file under `root` (`/` is `index.html`); `None` for anything else (the API).
/// Paths that leave the root are refused; a `.gz` twin is sent when the browser accepts gzip.
fn static_file(
    request: &tiny_http::Request,
    root: &Path,
) -> Option<tiny_http::Response<std::io::Cursor<Vec<u8>>>> {
    if *request.method() != tiny_http::Method::Get {
        return None;
    }
    let url = request.url();
    let path = url.split(['?', '#']).next().unwrap_or("/");
    if path.starts_with("/api/") {
        return None;
    }
    let relative = if path == "/" {
        "index.html"
    } else {
        path.trim_start_matches('/')
    };
    let relative = Path::new(relative);
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return Some(tiny_http::Response::from_data(b"bad path".to_vec()).with_status_code(400));
    }
    let file = root.join(relative);
    let accepts_gzip = request
        .headers()
        .iter()
        .any(|h| h.field.equiv("Accept-Encoding") && h.value.as_str().contains("gzip"));
    let gz = PathBuf::from(format!("{}.gz", file.display()));
    let header = |k: &str, v: &str| {
        tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()).expect("valid header")
    };
    let (bytes, gzipped) = match (accepts_gzip, std::fs::read(&gz)) {
        (true, Ok(bytes)) => (bytes, true),
        _ => match std::fs::read(&file) {
            Ok(bytes) => (bytes, false),
            Err(_) if path == "/" => {
                return Some(
                    tiny_http::Response::from_data(
                        format!(
                            "The web client is not built: run `cargo run -p emberkeep-tools -- web-bundle --out {}`",
                            root.display()
                        )
                        .into_bytes(),
                    )
                    .with_status_code(503),
                );
            }
            Err(_) => return None,
        },
    };
    let mut response = tiny_http::Response::from_data(bytes)
        .with_header(header("Content-Type", content_type(&file)))
        .with_header(header("Cache-Control", "no-cache"));
    if gzipped {
        response = response.with_header(header("Content-Encoding", "gzip"));
    }
    Some(response)
}
