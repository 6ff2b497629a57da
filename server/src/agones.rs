//! Agones fleets: with `--agones` the server speaks the Agones SDK lifecycle through the SDK
//! server's HTTP gateway (the sidecar in its pod, `http://localhost:$AGONES_SDK_HTTP_PORT`):
//! - **Ready** once it listens (retried: the sidecar may start after the server);
//! - **Health** pings paced by the game loop itself: the tick queues one every period, so a
//!   stalled tick stops them and Agones marks the server Unhealthy;
//! - **Allocated**: it watches its GameServer; once allocated it opens the campaigns the
//!   allocation asks for in its annotations [`ADVENTURE`] (default `--encounter`) and
//!   [`CAMPAIGNS`] (default 1) and publishes their join codes in the annotation [`CODES`]
//!   (JSON: campaign → seat → code) — or, when it cannot (an unknown adventure, a full box),
//!   the reason in [`ERROR`], the running tables untouched. A new value of [`REQUEST`] on an
//!   allocated server asks again;
//! - **player tracking** (Agones' PlayerTracking): a seat taken by a live link is
//!   `PlayerConnect("campaign/seat")`, a seat left is `PlayerDisconnect`;
//! - **Shutdown** once its last campaign is archived.
//!
//! The calls run on a thread of their own with a small runtime; a sidecar that stops
//! answering costs warnings in the log, never a tick.

use crate::campaign::{Campaign, open_campaign};
use crate::settings::ServerSettings;
use bevy::prelude::*;
use emberkeep_shared::protocol::Role;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender};
use std::time::Duration;

/// Annotation: the adventure (or encounter) an allocation's campaigns run.
pub const ADVENTURE: &str = "emberkeep.dev/adventure";
/// Annotation: how many campaigns an allocation opens (1 to 16).
pub const CAMPAIGNS: &str = "emberkeep.dev/campaigns";
/// Annotation: any new value asks an allocated server again.
pub const REQUEST: &str = "emberkeep.dev/request";
/// Annotation set by the server: the join codes, `{"table-1": {"fighter": "K7QF-M2XD", …}}`.
pub const CODES: &str = "emberkeep.dev/codes";
/// Annotation set by the server: why an allocation's campaigns could not be opened.
pub const ERROR: &str = "emberkeep.dev/error";
/// Label set by the server: campaigns open.
pub const OPEN: &str = "emberkeep.dev/campaigns-open";

/// How the server reaches the SDK server.
#[derive(Debug, Clone, PartialEq)]
pub struct AgonesSettings {
    /// The SDK server's HTTP gateway, e.g. `http://localhost:9358`.
    pub sdk: String,
    /// Time between health pings (of the game's clock: a stalled tick sends none).
    pub health_every: Duration,
}

/// A call to the SDK server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// `POST /ready`.
    Ready,
    /// `POST /health`.
    Health,
    /// `POST /shutdown`.
    Shutdown,
    /// `PUT /metadata/annotation`.
    Annotate(String, String),
    /// `PUT /metadata/label`.
    Label(String, String),
    /// `PUT /alpha/player/capacity`.
    Capacity(u64),
    /// `POST /alpha/player/connect`.
    PlayerConnect(String),
    /// `POST /alpha/player/disconnect`.
    PlayerDisconnect(String),
}

impl Call {
    /// Method, path and JSON body, as the SDK server's gateway expects them.
    pub fn request(&self) -> (&'static str, &'static str, String) {
        let kv = |k: &str, v: &str| serde_json::json!({ "key": k, "value": v }).to_string();
        match self {
            Call::Ready => ("POST", "/ready", "{}".into()),
            Call::Health => ("POST", "/health", "{}".into()),
            Call::Shutdown => ("POST", "/shutdown", "{}".into()),
            Call::Annotate(k, v) => ("PUT", "/metadata/annotation", kv(k, v)),
            Call::Label(k, v) => ("PUT", "/metadata/label", kv(k, v)),
            // int64 travels as a string in the gateway's JSON.
            Call::Capacity(n) => (
                "PUT",
                "/alpha/player/capacity",
                serde_json::json!({ "count": n.to_string() }).to_string(),
            ),
            Call::PlayerConnect(id) => (
                "POST",
                "/alpha/player/connect",
                serde_json::json!({ "playerID": id }).to_string(),
            ),
            Call::PlayerDisconnect(id) => (
                "POST",
                "/alpha/player/disconnect",
                serde_json::json!({ "playerID": id }).to_string(),
            ),
        }
    }
}

/// The game server as the watch reports it: its state and annotations.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Observed {
    /// `Ready`, `Allocated`, `Shutdown`…
    pub state: String,
    /// Its annotations.
    pub annotations: BTreeMap<String, String>,
    /// Its ports as players reach them (the node's ports, by the names in the manifest).
    pub ports: BTreeMap<String, u16>,
}

/// Reads one line of `GET /watch/gameserver` (`{"result": GameServer}`), or `GET /gameserver`
/// (a bare GameServer). The gateway writes the proto field names (`object_meta`); camelCase is
/// accepted too.
pub fn parse_game_server(line: &str) -> Option<Observed> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let gs = v.get("result").unwrap_or(&v);
    let meta = gs.get("object_meta").or_else(|| gs.get("objectMeta"))?;
    let state = gs.get("status")?.get("state")?.as_str()?.to_string();
    let annotations = meta
        .get("annotations")
        .and_then(|a| a.as_object())
        .map(|a| {
            a.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let ports = gs["status"]["ports"]
        .as_array()
        .map(|ports| {
            ports
                .iter()
                .filter_map(|p| {
                    let port = p["port"]
                        .as_u64()
                        .or_else(|| p["port"].as_str()?.parse().ok())?;
                    Some((p["name"].as_str()?.to_string(), u16::try_from(port).ok()?))
                })
                .collect()
        })
        .unwrap_or_default();
    Some(Observed {
        state,
        annotations,
        ports,
    })
}

/// The game thread's side: calls out, allocations in, and what was last told.
#[derive(Resource, Debug)]
pub struct Agones {
    calls: tokio::sync::mpsc::UnboundedSender<Call>,
    allocations: Mutex<Receiver<Observed>>,
    settings: AgonesSettings,
    ready: bool,
    since_health: Duration,
    since_players: Duration,
    /// Players connected as last told.
    players: BTreeSet<String>,
    /// Allocation requests already answered.
    answered: BTreeSet<String>,
    had_campaigns: bool,
    shut_down: bool,
}

impl Agones {
    /// Starts the SDK thread.
    pub fn start(settings: AgonesSettings) -> Result<Agones, String> {
        let (calls, mut call_rx) = tokio::sync::mpsc::unbounded_channel::<Call>();
        let (alloc_tx, alloc_rx) = std::sync::mpsc::channel::<Observed>();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the Agones runtime: {e}"))?;
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| format!("cannot make the Agones SDK client: {e}"))?;
        let base = settings.sdk.trim_end_matches('/').to_string();
        std::thread::Builder::new()
            .name("emberkeep-agones".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let watch = tokio::spawn(watch(client.clone(), base.clone(), alloc_tx));
                    while let Some(call) = call_rx.recv().await {
                        send(&client, &base, &call).await;
                    }
                    watch.abort();
                });
            })
            .map_err(|e| e.to_string())?;
        Ok(Agones {
            calls,
            allocations: Mutex::new(alloc_rx),
            settings,
            ready: false,
            since_health: Duration::ZERO,
            since_players: Duration::ZERO,
            players: BTreeSet::new(),
            answered: BTreeSet::new(),
            had_campaigns: false,
            shut_down: false,
        })
    }

    fn call(&self, call: Call) {
        // The thread only ends with the process.
        let _ = self.calls.send(call);
    }
}

/// Makes one call, retried while the SDK server is not there yet (Ready: for a minute; the
/// others: a few times); then a warning.
async fn send(client: &reqwest::Client, base: &str, call: &Call) {
    let (method, path, body) = call.request();
    let tries = if *call == Call::Ready { 120 } else { 3 };
    let mut last = String::new();
    for attempt in 0..tries {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let request = match method {
            "PUT" => client.put(format!("{base}{path}")),
            _ => client.post(format!("{base}{path}")),
        };
        match request
            .header("content-type", "application/json")
            .body(body.clone())
            .timeout(Duration::from_secs(5))
            .send()
            .await
        {
            Ok(r) if r.status().is_success() => return,
            Ok(r) => last = format!("HTTP {}", r.status()),
            Err(e) => last = e.to_string(),
        }
    }
    warn!("Agones SDK {method} {path} failed: {last}");
}

/// Follows `GET /watch/gameserver` and passes each state on; reconnects when the stream ends
/// (the SDK server restarted or went away).
async fn watch(client: reqwest::Client, base: String, allocations: Sender<Observed>) {
    let mut warned = false;
    loop {
        match client.get(format!("{base}/watch/gameserver")).send().await {
            Ok(mut response) if response.status().is_success() => {
                warned = false;
                let mut pending: Vec<u8> = Vec::new();
                while let Ok(Some(chunk)) = response.chunk().await {
                    pending.extend_from_slice(&chunk);
                    // A hostile or broken sidecar cannot make us hold more than 1 MiB.
                    if pending.len() > 1 << 20 {
                        warn!("Agones SDK watch: a line over 1 MiB, dropped");
                        pending.clear();
                    }
                    while let Some(end) = pending.iter().position(|&b| b == b'\n') {
                        let line: Vec<u8> = pending.drain(..=end).collect();
                        let Some(seen) = std::str::from_utf8(&line)
                            .ok()
                            .and_then(|l| parse_game_server(l.trim()))
                        else {
                            continue;
                        };
                        if allocations.send(seen).is_err() {
                            return;
                        }
                    }
                }
            }
            Ok(r) if !warned => {
                warn!("Agones SDK watch: HTTP {}", r.status());
                warned = true;
            }
            Err(e) if !warned => {
                warn!("Agones SDK watch: {e}");
                warned = true;
            }
            _ => {}
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Adds the lifecycle system when `--agones` is on.
pub(crate) fn plugin(app: &mut App) {
    let Some(settings) = app.world().resource::<ServerSettings>().agones.clone() else {
        return;
    };
    match Agones::start(settings) {
        Ok(agones) => {
            app.insert_resource(agones);
            app.add_systems(Last, lifecycle);
        }
        Err(e) => error!("--agones: {e}"),
    }
}

/// Once per frame: Ready at the first, health when its period has passed, allocations
/// answered, connected players told every second, Shutdown after the last campaign.
fn lifecycle(world: &mut World) {
    let delta = world.resource::<Time>().delta();
    let Some(mut agones) = world.remove_resource::<Agones>() else {
        return;
    };
    if !agones.ready {
        agones.ready = true;
        // Player tracking's capacity: netcode's link limit.
        agones.call(Call::Capacity(256));
        agones.call(Call::Ready);
    }
    // One ping per period of game time (the remainder carries over).
    agones.since_health += delta;
    while agones.since_health >= agones.settings.health_every {
        agones.since_health -= agones.settings.health_every;
        agones.call(Call::Health);
    }
    let seen: Vec<Observed> = agones
        .allocations
        .lock()
        .map(|rx| rx.try_iter().collect())
        .unwrap_or_default();
    for observed in seen {
        advertise(world, &observed.ports);
        if observed.state != "Allocated" {
            continue;
        }
        let key = format!(
            "{:?}",
            [ADVENTURE, CAMPAIGNS, REQUEST].map(|k| observed.annotations.get(k))
        );
        if !agones.answered.insert(key) {
            continue;
        }
        match allocate(world, &observed.annotations) {
            Ok(codes) => {
                let json = serde_json::to_string(&codes).unwrap_or_default();
                info!("Agones allocation: opened {}", codes.len());
                agones.call(Call::Annotate(CODES.into(), json));
                agones.call(Call::Annotate(ERROR.into(), String::new()));
            }
            Err(e) => {
                warn!("Agones allocation refused: {e}");
                agones.call(Call::Annotate(ERROR.into(), e));
            }
        }
    }
    let mut campaigns = world.query::<&Campaign>();
    let open = campaigns.iter(world).count();
    agones.since_players += delta;
    let closing = open == 0 && agones.had_campaigns && !agones.shut_down;
    if agones.since_players >= Duration::from_secs(1) || closing {
        agones.since_players = Duration::ZERO;
        let now: BTreeSet<String> = campaigns
            .iter(world)
            .flat_map(|c| {
                c.seats
                    .iter()
                    .filter(|s| s.role != Role::Spectator && !s.links.is_empty())
                    .map(|s| format!("{}/{}", c.id, s.name))
            })
            .collect();
        for gone in agones.players.difference(&now) {
            agones.call(Call::PlayerDisconnect(gone.clone()));
        }
        for new in now.difference(&agones.players) {
            agones.call(Call::PlayerConnect(new.clone()));
        }
        if now != agones.players || open > 0 && !agones.had_campaigns {
            agones.call(Call::Label(OPEN.into(), open.to_string()));
        }
        agones.players = now;
    }
    if open > 0 {
        agones.had_campaigns = true;
    } else if closing {
        info!("Agones: the last campaign was archived; shutting down");
        agones.shut_down = true;
        agones.call(Call::Shutdown);
    }
    world.insert_resource(agones);
}

/// Join tickets name the ports players reach: with Agones' dynamic ports those are the
/// node's (`udp`, `ws` in the GameServer's status), not the ones this process bound.
fn advertise(world: &mut World, ports: &BTreeMap<String, u16>) {
    let directory = world.resource::<crate::seats::Directory>().clone();
    let mut dir = directory.0.write().unwrap_or_else(|e| e.into_inner());
    if let Some(&udp) = ports.get("udp") {
        dir.udp_port = Some(udp);
    }
    if let Some(&ws) = ports.get("ws") {
        dir.ws_port = Some(ws);
    }
}

/// Opens the campaigns an allocation asks for; returns their codes (campaign → seat → code).
/// Checks everything first: an unknown adventure or a full box opens nothing.
fn allocate(
    world: &mut World,
    annotations: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, BTreeMap<String, String>>, String> {
    let settings = world.resource::<ServerSettings>().clone();
    let adventure = annotations
        .get(ADVENTURE)
        .filter(|a| !a.is_empty())
        .cloned()
        .unwrap_or_else(|| settings.encounter.clone());
    let count: u32 = match annotations.get(CAMPAIGNS) {
        None => 1,
        Some(n) => n
            .trim()
            .parse()
            .ok()
            .filter(|n| (1..=16).contains(n))
            .ok_or_else(|| format!("{CAMPAIGNS} `{n}`: expected 1 to 16"))?,
    };
    let lib = &world.resource::<crate::campaign::Content>().0;
    emberkeep_shared::table::Table::new(lib, &adventure, 0, 1_000)
        .map_err(|e| format!("{ADVENTURE} `{adventure}`: {e}"))?;
    let mut campaigns = world.query::<&Campaign>();
    let open = campaigns.iter(world).count() as u32;
    if open + count > settings.max_campaigns {
        return Err(format!(
            "this server is full: {open} of {} campaigns open, {count} asked for",
            settings.max_campaigns
        ));
    }
    let mut codes = BTreeMap::new();
    for _ in 0..count {
        let (id, n) = crate::next_campaign_id(world);
        let entity = open_campaign(world, &id, &adventure, settings.seed.wrapping_add(n))?;
        let campaign = world.get::<Campaign>(entity).expect("just opened");
        codes.insert(
            id,
            campaign
                .seats
                .iter()
                .map(|s| (s.name.clone(), s.code.clone()))
                .collect(),
        );
    }
    Ok(codes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watch_stream_and_a_bare_game_server_both_parse() {
        let line = r#"{"result":{"object_meta":{"name":"gs-1","annotations":{"emberkeep.dev/adventure":"ember","other":"x"}},"status":{"state":"Allocated","address":"10.0.0.1"}}}"#;
        let seen = parse_game_server(line).expect("parses");
        assert_eq!(seen.state, "Allocated");
        assert_eq!(seen.annotations[ADVENTURE], "ember");
        let ported = r#"{"object_meta":{},"status":{"state":"Ready","ports":[{"name":"udp","port":7012},{"name":"ws","port":"7013"},{"name":"x","port":70000}]}}"#;
        let ports = parse_game_server(ported).expect("parses").ports;
        assert_eq!(
            ports.into_iter().collect::<Vec<_>>(),
            [("udp".to_string(), 7012), ("ws".to_string(), 7013)]
        );
        let bare = r#"{"objectMeta":{"name":"gs-1"},"status":{"state":"Ready"}}"#;
        assert_eq!(parse_game_server(bare).expect("parses").state, "Ready");
        for broken in [
            "",
            "{",
            "null",
            r#"{"result":{}}"#,
            r#"{"status":{"state":1}}"#,
        ] {
            assert_eq!(parse_game_server(broken), None, "{broken}");
        }
    }

    #[test]
    fn calls_speak_the_gateways_json() {
        assert_eq!(
            Call::PlayerConnect("table-1/fighter".into()).request(),
            (
                "POST",
                "/alpha/player/connect",
                r#"{"playerID":"table-1/fighter"}"#.to_string()
            )
        );
        assert_eq!(
            Call::Capacity(256).request().2,
            r#"{"count":"256"}"#.to_string()
        );
        assert_eq!(
            Call::Annotate(CODES.into(), "{}".into()).request(),
            (
                "PUT",
                "/metadata/annotation",
                r#"{"key":"emberkeep.dev/codes","value":"{}"}"#.to_string()
            )
        );
    }
}
