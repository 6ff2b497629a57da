//! The HTTP endpoint (on its own thread): `GET /api/join?code=CODE` exchanges a join code for
//! a connect token. Plain data in, JSON out; nothing here touches the game world.

use crate::seats::{Directory, mint_token, normalise_code};
use base64::Engine;
use emberkeep_shared::protocol::{JoinTicket, SeatClaim};
use lightyear::netcode::Key;
use std::net::{IpAddr, SocketAddr};

/// Starts the endpoint on `addr`; returns the bound address.
pub fn spawn(addr: SocketAddr, directory: Directory, key: Key) -> Result<SocketAddr, String> {
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
