//! The headless network/state side of the client.

use bevy::app::ScheduleRunnerPlugin;
use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use emberkeep_shared::prelude::*;
use emberkeep_shared::protocol::{Replay, Role};
use emberkeep_shared::tactics::Board;
use lightyear::netcode::auth::Authentication;
use lightyear::netcode::{ConnectToken, NetcodeClient};
use lightyear::prelude::client::*;
use lightyear::prelude::*;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

/// How to reach the server.
pub enum Transport {
    /// UDP (native).
    #[cfg(not(target_family = "wasm"))]
    Udp(SocketAddr),
    /// WebSocket to `ws://addr` (native through proxies).
    WebSocket(SocketAddr),
    /// WebSocket to a URL (`ws://host:port`; what a browser uses, with the page's host name).
    WebSocketUrl(String),
    /// An in-process crossbeam pipe (tests, benchmarks).
    InProcess(lightyear::crossbeam::CrossbeamIo),
}

/// Who is joining (the seat itself comes from the connect token).
#[derive(Resource, Debug, Clone, PartialEq, Eq)]
pub struct JoinRequest {
    /// Player name.
    pub name: String,
}

/// Connection state as a player would describe it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Status {
    /// Trying to reach the server.
    #[default]
    Connecting,
    /// Connected, asking for the seat.
    Joining,
    /// Seated.
    Seated,
    /// The server refused the seat.
    Refused(String),
    /// The connection dropped.
    Disconnected(String),
    /// Trying to get the seat back after a drop.
    Reconnecting,
}

/// The welcome a seat got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seating {
    /// Campaign id.
    pub campaign: String,
    /// Seat.
    pub seat: String,
    /// Role.
    pub role: Role,
    /// Character.
    pub character: Option<CombatantId>,
    /// Turn timeout.
    pub turn_timeout_ms: u64,
}

/// Everything the client knows besides the replicated views.
#[derive(Resource, Debug, Default)]
pub struct TableSession {
    /// Connection state.
    pub status: Status,
    /// The seat, once granted.
    pub seating: Option<Seating>,
    /// Events received, in order.
    pub events: Vec<SeqEvent>,
    /// Places where an event arrived whose `prev` was not the last one held: (held, prev).
    /// Stays empty while the server delivers everything this seat may see.
    pub gaps: Vec<(u64, u64)>,
    /// Sequence numbers of events replayed on a reconnect ("while you were away").
    pub away: Vec<u64>,
    /// The server could not replay everything missed: the log restarted from its snapshot.
    pub resynced: bool,
    /// Answers to host commands and whisper errors.
    pub host_replies: Vec<String>,
    /// The narration being written, as streamed so far: (id, text).
    pub narrating: Option<(u64, String)>,
    /// Every narration as its chunks assembled, by id, in arrival order (the finished text
    /// arrives as a `Narration` event).
    pub streamed: Vec<(u64, String)>,
    /// Narrations whose finished text has arrived.
    pub finished_narrations: Vec<u64>,
    replay_left: u32,
    /// Events of the history sent on joining (fresh or replayed) still to arrive.
    history_left: u32,
    /// Accepted intents (`client_seq`).
    pub accepted: Vec<u32>,
    /// Rejected intents: (`client_seq`, code, reason).
    pub rejected: Vec<(u32, RejectCode, String)>,
    /// What the player should read now about their last attempt: the server's refusal, or why
    /// a click did nothing. Cleared by the next action and when a new turn starts.
    pub notice: Option<String>,
    next_client_seq: u32,
    outgoing: Vec<ToServer>,
}

impl TableSession {
    /// Queues an action for this seat's character; returns its `client_seq`.
    pub fn act(&mut self, action: Action) -> u32 {
        let character = self.seating.as_ref().and_then(|s| s.character).unwrap_or(0);
        self.act_as(character, action)
    }

    /// Queues an action claiming to be `character` (the server checks the claim).
    pub fn act_as(&mut self, character: CombatantId, action: Action) -> u32 {
        self.next_client_seq += 1;
        self.notice = None;
        let client_seq = self.next_client_seq;
        self.outgoing.push(ToServer::Act {
            character,
            action,
            client_seq,
        });
        client_seq
    }

    /// Intents sent so far (each gets `Accepted` or `Rejected`).
    pub fn sent(&self) -> u32 {
        self.next_client_seq
    }

    /// The rejection of an intent, if it was rejected.
    pub fn rejection(&self, client_seq: u32) -> Option<&(u32, RejectCode, String)> {
        self.rejected.iter().find(|r| r.0 == client_seq)
    }

    /// Whether the server has answered an intent.
    pub fn answered(&self, client_seq: u32) -> bool {
        self.accepted.contains(&client_seq) || self.rejection(client_seq).is_some()
    }

    /// Whether the history sent on joining (the log so far, or what was missed) has all
    /// arrived: what comes after it happens now.
    pub fn caught_up(&self) -> bool {
        self.seating.is_some() && self.history_left == 0
    }

    /// The last event's sequence number (0 before any).
    pub fn last_seq(&self) -> u64 {
        self.events.last().map_or(0, |e| e.seq)
    }

    /// Whispers to another seat.
    pub fn whisper(&mut self, to: &str, text: &str) {
        self.outgoing.push(ToServer::Whisper {
            to: to.into(),
            text: text.into(),
        });
    }

    /// Sends a host command (host seats only).
    pub fn host_command(&mut self, command: &str) {
        self.outgoing.push(ToServer::Host {
            command: command.into(),
        });
    }
}

/// Joins a seat and keeps [`TableSession`] up to date. Needs lightyear's `ClientPlugins` and
/// the shared `ProtocolPlugin`, and a [`JoinRequest`] resource.
pub struct TableClientPlugin;

impl Plugin for TableClientPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<TableSession>();
        app.add_observer(on_connected);
        app.add_observer(on_disconnected);
        app.add_systems(
            PreUpdate,
            receive.after(lightyear::prelude::MessageSystems::Receive),
        );
        app.add_systems(
            PostUpdate,
            send.before(lightyear::prelude::MessageSystems::Send),
        );
        app.add_systems(Update, reconnect);
    }
}

fn on_connected(
    _trigger: On<Add, Connected>,
    clients: Query<(), With<Client>>,
    request: Res<JoinRequest>,
    mut session: ResMut<TableSession>,
) {
    if clients.is_empty() {
        return;
    }
    session.status = Status::Joining;
    let last_seen = (!session.events.is_empty()).then(|| session.last_seq());
    session.outgoing.insert(
        0,
        ToServer::Hello {
            name: request.name.clone(),
            version: PROTOCOL_VERSION,
            last_seen,
        },
    );
}

fn on_disconnected(
    trigger: On<Add, Disconnected>,
    clients: Query<&Disconnected, With<Client>>,
    mut session: ResMut<TableSession>,
) {
    // A link is born disconnected, and a failed attempt ends disconnected: only a drop from a
    // live connection changes what the player sees.
    if let Ok(d) = clients.get(trigger.entity)
        && matches!(session.status, Status::Joining | Status::Seated)
    {
        session.status = Status::Disconnected(format!("{:?}", d.reason));
    }
}

fn receive(
    mut receivers: Query<&mut MessageReceiver<ToClient>, With<Client>>,
    mut session: ResMut<TableSession>,
) {
    for mut receiver in &mut receivers {
        for message in receiver.receive() {
            match message {
                ToClient::Welcome {
                    campaign,
                    seat,
                    role,
                    character,
                    turn_timeout_ms,
                    replay,
                    replayed,
                    ..
                } => {
                    session.status = Status::Seated;
                    session.seating = Some(Seating {
                        campaign,
                        seat,
                        role,
                        character,
                        turn_timeout_ms,
                    });
                    if replay == Replay::Snapshot {
                        session.events.clear();
                        session.resynced = true;
                    }
                    // A fresh seat's history is just the log so far, not "while you were away".
                    session.replay_left = if replay == Replay::Fresh { 0 } else { replayed };
                    session.history_left = replayed;
                }
                ToClient::Refused { reason } => session.status = Status::Refused(reason),
                ToClient::Accepted { client_seq } => session.accepted.push(client_seq),
                ToClient::Rejected {
                    client_seq,
                    code,
                    reason,
                } => {
                    session.notice = Some(reason.clone());
                    session.rejected.push((client_seq, code, reason));
                }
                ToClient::Event { event, prev } => {
                    let last = session.last_seq();
                    if prev != last {
                        session.gaps.push((last, prev));
                    }
                    session.history_left = session.history_left.saturating_sub(1);
                    if session.replay_left > 0 {
                        session.replay_left -= 1;
                        session.away.push(event.seq);
                    }
                    if matches!(event.event, GameEvent::TurnStarted { .. }) {
                        session.notice = None;
                    }
                    if let GameEvent::Narration { id, .. } = event.event {
                        // Chunks travel on their own channel and may arrive after the finished
                        // text: remember it is finished so late chunks do not reopen it.
                        session.finished_narrations.push(id);
                        if session.narrating.as_ref().is_some_and(|(n, _)| *n == id) {
                            session.narrating = None;
                        }
                    }
                    session.events.push(event);
                }
                ToClient::HostReply { text } => session.host_replies.push(text),
                ToClient::NarrationChunk { id, text } => {
                    match session.streamed.last_mut() {
                        Some((last, so_far)) if *last == id => so_far.push_str(&text),
                        _ => session.streamed.push((id, text.clone())),
                    }
                    if !session.finished_narrations.contains(&id) {
                        match &mut session.narrating {
                            Some((current, so_far)) if *current == id => so_far.push_str(&text),
                            _ => session.narrating = Some((id, text)),
                        }
                    }
                }
            }
        }
    }
}

fn send(
    mut senders: Query<&mut MessageSender<ToServer>, (With<Client>, With<Connected>)>,
    mut session: ResMut<TableSession>,
) {
    let Ok(mut sender) = senders.single_mut() else {
        return;
    };
    for message in session.outgoing.drain(..) {
        sender.send::<ControlChannel>(message);
    }
}

/// A headless client App: minimal plugins at `tick`, lightyear's client, the protocol and
/// [`TableClientPlugin`].
pub fn client_app(tick: Duration, request: JoinRequest) -> App {
    let mut app = App::new();
    app.add_plugins(MinimalPlugins.set(ScheduleRunnerPlugin::run_loop(tick)));
    app.add_plugins(StatesPlugin);
    app.add_plugins(ClientPlugins {
        tick_duration: tick,
    });
    app.add_plugins(ProtocolPlugin);
    app.insert_resource(request);
    app.add_plugins(TableClientPlugin);
    app
}

/// Spawns the client link and starts connecting with a connect token the server minted for a
/// seat (see [`fetch_ticket`]).
pub fn connect(world: &mut World, transport: Transport, token: &[u8]) -> Result<Entity, String> {
    connect_with_link(world, transport, token, Link::default())
}

/// [`connect`] with a custom link (e.g. a link conditioner that simulates a bad network).
pub fn connect_with_link(
    world: &mut World,
    transport: Transport,
    token: &[u8],
    link: Link,
) -> Result<Entity, String> {
    let token = ConnectToken::try_from_bytes(token)
        .map_err(|e| format!("the server sent a broken connect token: {e:?}"))?;
    let auth = Authentication::Token(token);
    let netcode = NetcodeClient::new(
        auth,
        lightyear::netcode::client_plugin::NetcodeConfig {
            client_timeout_secs: 5,
            token_expire_secs: -1,
            ..default()
        },
    )
    .map_err(|e| format!("cannot set up the connection: {e:?}"))?;
    let mut entity = world.spawn((
        Name::new("emberkeep client"),
        Client,
        netcode,
        ReplicationReceiver,
        link,
    ));
    match transport {
        #[cfg(not(target_family = "wasm"))]
        Transport::Udp(addr) => {
            let local = if addr.is_ipv6() {
                SocketAddr::from(([0u16; 8], 0))
            } else {
                SocketAddr::from(([0, 0, 0, 0], 0))
            };
            entity.insert((LocalAddr(local), PeerAddr(addr), UdpIo::default()));
        }
        Transport::WebSocket(addr) => {
            let config = ws_config();
            entity.insert((
                PeerAddr(addr),
                WebSocketClientIo::from_addr(
                    config,
                    lightyear::websocket::client::WebSocketScheme::Plain,
                ),
            ));
        }
        Transport::WebSocketUrl(url) => {
            let config = ws_config();
            entity.insert(WebSocketClientIo::from_url(config, url));
        }
        Transport::InProcess(io) => {
            entity.insert(io);
        }
    }
    let id = entity.id();
    world.flush();
    world.trigger(Connect { entity: id });
    Ok(id)
}

/// Plain `ws://` (a browser brings its own WebSocket and needs no settings).
fn ws_config() -> lightyear::websocket::prelude::client::ClientConfig {
    #[cfg(target_family = "wasm")]
    return lightyear::websocket::prelude::client::ClientConfig;
    #[cfg(not(target_family = "wasm"))]
    lightyear::websocket::prelude::client::ClientConfig::builder().with_no_encryption()
}

/// The table as this client sees it through replication.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Mirror {
    /// Table-wide state.
    pub table: Option<TableView>,
    /// The table's clocks (seconds left of a turn, of a reaction).
    pub clock: TableClock,
    /// The map.
    pub map: Option<BattleMap>,
    /// Combatants by id.
    pub combatants: BTreeMap<CombatantId, (CombatantSheet, CombatantStatus)>,
    /// The spells the table's casters know.
    pub spells: BTreeMap<String, emberkeep_shared::spells::SpellDef>,
    /// The items its creatures carry.
    pub items: BTreeMap<String, emberkeep_shared::items::ItemDef>,
}

impl Mirror {
    /// Reads the replicated views from a world (a client holds only its own campaign's).
    pub fn read(world: &mut World) -> Mirror {
        Self::read_filtered(world, |_| true)
    }

    /// What changes whenever [`Mirror::read`] would read something else: how many replicated
    /// views the world holds and the newest change among them. Cheap (no clones), so a bot
    /// that looks at the table every frame rebuilds its mirror only when this differs.
    pub fn stamp(world: &mut World) -> (usize, u32) {
        let mut count = 0;
        let mut newest = 0;
        let mut seen = |tick: bevy::ecs::change_detection::Tick| {
            count += 1;
            newest = newest.max(tick.get());
        };
        let mut tables = world.query::<(Ref<TableView>, Ref<BattleMap>)>();
        for (t, m) in tables.iter(world) {
            seen(t.last_changed());
            seen(m.last_changed());
        }
        let mut combatants = world.query::<(Ref<CombatantSheet>, Ref<CombatantStatus>)>();
        for (sheet, status) in combatants.iter(world) {
            seen(sheet.last_changed());
            seen(status.last_changed());
        }
        let mut books = world.query::<Ref<Spellbook>>();
        for book in books.iter(world) {
            seen(book.last_changed());
        }
        let mut clocks = world.query::<Ref<TableClock>>();
        for clock in clocks.iter(world) {
            seen(clock.last_changed());
        }
        (count, newest)
    }

    /// Reads the views of one campaign from a world holding several (the server).
    pub fn read_campaign(world: &mut World, campaign: &str) -> Mirror {
        Self::read_filtered(world, |c| c == campaign)
    }

    fn read_filtered(world: &mut World, wanted: impl Fn(&str) -> bool) -> Mirror {
        let mut tables = world.query::<(&TableView, &BattleMap)>();
        let mut combatants = world.query::<(&CombatantSheet, &CombatantStatus)>();
        let tables: Vec<_> = tables
            .iter(world)
            .filter(|(t, _)| wanted(&t.campaign))
            .collect();
        let mirror = Mirror::collect(
            tables.into_iter(),
            combatants.iter(world).filter(|(s, _)| wanted(&s.campaign)),
        );
        let mut clocks = world.query::<(&TableView, &TableClock)>();
        let clock = clocks
            .iter(world)
            .find(|(t, _)| wanted(&t.campaign))
            .map(|(_, c)| *c);
        let mut books = world.query::<&Spellbook>();
        let book = books.iter(world).find(|b| wanted(&b.campaign));
        mirror.with_spells(book).with_clock(clock.as_ref())
    }

    /// Builds a mirror from the replicated components of one campaign.
    pub fn collect<'a>(
        mut tables: impl Iterator<Item = (&'a TableView, &'a BattleMap)>,
        combatants: impl Iterator<Item = (&'a CombatantSheet, &'a CombatantStatus)>,
    ) -> Mirror {
        let (table, map) = tables
            .next()
            .map(|(t, m)| (Some(t.clone()), Some(m.clone())))
            .unwrap_or_default();
        let combatants = combatants
            .map(|(s, st)| (s.id, (s.clone(), st.clone())))
            .collect();
        Mirror {
            table,
            clock: TableClock::default(),
            map,
            combatants,
            spells: BTreeMap::new(),
            items: BTreeMap::new(),
        }
    }

    /// What a client of campaign `campaign` would see of `table` at `now_ms`: the views the
    /// server replicates (every combatant visible), collected as the client collects them.
    pub fn of_table(campaign: &str, table: &Table, now_ms: u64) -> Mirror {
        let view = TableView::of(campaign, table);
        let map = BattleMap {
            campaign: campaign.into(),
            grid: table.map.clone(),
        };
        let parts: Vec<_> = table
            .combatants
            .iter()
            .map(|c| {
                (
                    CombatantSheet::of(campaign, c),
                    CombatantStatus::of(c, None),
                )
            })
            .collect();
        Mirror::collect(
            std::iter::once((&view, &map)),
            parts.iter().map(|(a, b)| (a, b)),
        )
        .with_spells(Some(&Spellbook {
            campaign: campaign.into(),
            spells: table.spells.clone(),
            items: table.items.clone(),
        }))
        .with_clock(Some(&TableClock::of(table, now_ms)))
    }

    /// The mirror with the campaign's clocks.
    pub fn with_clock(mut self, clock: Option<&TableClock>) -> Mirror {
        self.clock = clock.copied().unwrap_or_default();
        self
    }

    /// The mirror with the campaign's spellbook.
    pub fn with_spells(mut self, book: Option<&Spellbook>) -> Mirror {
        if let Some(b) = book {
            self.spells = b.spells.clone();
            self.items = b.items.clone();
        }
        self
    }

    /// The table as the rules see it, rebuilt from the replicated state: the client's preview
    /// and its bots ask it the same questions the server answers.
    pub fn rules(&self) -> Option<Table> {
        let table = self.table.as_ref()?;
        let map = self.map.as_ref()?;
        Some(Table::from_view(
            &table.encounter,
            map.grid.clone(),
            self.combatants
                .values()
                .map(|(_, st)| st.rules.clone())
                .collect(),
            table.mode,
            table.round,
            table.order.clone(),
            table.active,
            table.budget.clone(),
            self.spells.clone(),
            self.items.clone(),
            table.zones.clone(),
        ))
    }

    /// A planner's view of the table, from the replicated state alone: the rules table's
    /// own ([`Table::board`]), so paths cost what they cost on the server (webs included).
    pub fn board(&self) -> Option<Board> {
        self.rules().map(|t| t.board())
    }

    /// A combatant's name.
    pub fn name_of(&self, id: CombatantId) -> String {
        self.combatants
            .get(&id)
            .map_or_else(|| format!("#{id}"), |c| c.0.name.clone())
    }
}

/// Exchanges a join code for a ticket at the server's join endpoint (`host:port` of its HTTP
/// port). Returns the ticket and the decoded connect token.
pub fn fetch_ticket(
    server: &str,
    code: &str,
) -> Result<(emberkeep_shared::protocol::JoinTicket, Vec<u8>), String> {
    use base64::Engine;
    let url = format!("http://{server}/api/join?code={}", code.trim());
    let (status, body) =
        http_get(&url).map_err(|e| format!("cannot reach the server at {server}: {e}"))?;
    if !(200..300).contains(&status) {
        let reason = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(String::from))
            .unwrap_or(body);
        return Err(format!("the server refused the code: {reason}"));
    }
    let ticket: emberkeep_shared::protocol::JoinTicket = serde_json::from_str(&body)
        .map_err(|e| format!("the server's answer is not a join ticket: {e}"))?;
    let token = base64::engine::general_purpose::STANDARD
        .decode(&ticket.token)
        .map_err(|e| format!("the server sent a broken token: {e}"))?;
    Ok((ticket, token))
}

/// GET `url`: the status and the body.
#[cfg(not(target_family = "wasm"))]
fn http_get(url: &str) -> Result<(u16, String), String> {
    let mut response = ureq::get(url)
        .config()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .call()
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .read_to_string()
        .map_err(|e| format!("the answer was cut off: {e}"))?;
    Ok((status, body))
}

/// GET `url` in a browser: a synchronous XMLHttpRequest to the page's own server (a few
/// milliseconds, once per join), which keeps joining one plain call on every platform.
#[cfg(target_family = "wasm")]
fn http_get(url: &str) -> Result<(u16, String), String> {
    let fail = |e: wasm_bindgen::JsValue| format!("{e:?}");
    let xhr = web_sys::XmlHttpRequest::new().map_err(fail)?;
    xhr.open_with_async("GET", url, false).map_err(fail)?;
    xhr.send().map_err(fail)?;
    let status = xhr.status().map_err(fail)?;
    if status == 0 {
        return Err("no answer".into());
    }
    let body = xhr.response_text().map_err(fail)?.unwrap_or_default();
    Ok((status, body))
}

/// Rejoins by code after the connection drops: waits a moment, fetches a fresh token, and
/// connects again; the server replays what was missed.
#[derive(Resource, Debug, Clone)]
pub struct Reconnect {
    /// `host:port` of the join endpoint.
    pub server: String,
    /// The seat's join code.
    pub code: String,
    /// Use WebSocket rather than UDP.
    pub websocket: bool,
    /// Attempts since the last successful seat.
    pub attempts: u32,
    next_try_ms: Option<u64>,
    attempt_started_ms: Option<u64>,
}

impl Reconnect {
    /// Reconnects to `server` with `code`.
    pub fn new(server: &str, code: &str, websocket: bool) -> Self {
        Reconnect {
            server: server.into(),
            code: code.into(),
            websocket,
            attempts: 0,
            next_try_ms: None,
            attempt_started_ms: None,
        }
    }

    /// Connects for the first time (or again).
    pub fn connect_now(&self, world: &mut World) -> Result<Entity, String> {
        let (ticket, token) = fetch_ticket(&self.server, &self.code)?;
        let host: String = self
            .server
            .rsplit_once(':')
            .map_or(self.server.as_str(), |(h, _)| h)
            .to_string();
        let port = if self.websocket || cfg!(target_family = "wasm") {
            ticket.ws_port
        } else {
            ticket.udp_port
        }
        .ok_or("the server offers no port for this transport")?;
        #[cfg(target_family = "wasm")]
        let transport = Transport::WebSocketUrl(format!("ws://{host}:{port}"));
        #[cfg(not(target_family = "wasm"))]
        let transport = {
            let addr = std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))
                .map_err(|e| format!("cannot resolve {host}: {e}"))?
                .next()
                .ok_or_else(|| format!("{host} has no address"))?;
            if self.websocket {
                Transport::WebSocket(addr)
            } else {
                Transport::Udp(addr)
            }
        };
        connect(world, transport, &token)
    }
}

/// Reconnects (native clients with a [`Reconnect`] resource) with backoff: 1, 2, 4, 5, 5… s;
/// an attempt that has not seated us after 8 s counts as failed.
pub fn reconnect(world: &mut World) {
    const ATTEMPT_MS: u64 = 8000;
    let Some(mut plan) = world.get_resource::<Reconnect>().cloned() else {
        return;
    };
    let now = world.resource::<Time<Real>>().elapsed().as_millis() as u64;
    let status = world.resource::<TableSession>().status.clone();
    match status {
        Status::Seated => {
            if plan.attempts == 0 && plan.next_try_ms.is_none() && plan.attempt_started_ms.is_none()
            {
                return;
            }
            plan.attempts = 0;
            plan.next_try_ms = None;
            plan.attempt_started_ms = None;
        }
        Status::Reconnecting
            if plan
                .attempt_started_ms
                .is_some_and(|t| now >= t + ATTEMPT_MS) =>
        {
            plan.attempt_started_ms = None;
            world.resource_mut::<TableSession>().status =
                Status::Disconnected("the reconnect attempt timed out".into());
        }
        Status::Reconnecting => return,
        Status::Disconnected(_) => {
            let wait = (1000u64 << plan.attempts.min(3)).min(5000);
            let due = *plan.next_try_ms.get_or_insert(now + wait);
            if now >= due {
                let mut old = world.query_filtered::<Entity, With<Client>>();
                let old: Vec<Entity> = old.iter(world).collect();
                for e in old {
                    world.despawn(e);
                }
                plan.attempts += 1;
                plan.next_try_ms = None;
                plan.attempt_started_ms = Some(now);
                if let Err(e) = plan.connect_now(world) {
                    warn!("reconnect attempt {} failed: {e}", plan.attempts);
                }
                world.resource_mut::<TableSession>().status = Status::Reconnecting;
            }
        }
        _ => return,
    }
    world.insert_resource(plan);
}
