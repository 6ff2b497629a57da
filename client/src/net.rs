//! The headless network/state side of the client.

use bevy::app::ScheduleRunnerPlugin;
use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use emberkeep_shared::prelude::*;
use emberkeep_shared::protocol::Role;
use emberkeep_shared::tactics::{Board, Unit};
use lightyear::netcode::auth::Authentication;
use lightyear::netcode::{Key, NetcodeClient};
use lightyear::prelude::client::*;
use lightyear::prelude::*;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

/// How to reach the server.
pub enum Transport {
    /// UDP (native).
    Udp(SocketAddr),
    /// WebSocket, `ws://host:port` (web, or native through proxies).
    WebSocket(SocketAddr),
    /// An in-process crossbeam pipe (tests, benchmarks).
    InProcess(lightyear::crossbeam::CrossbeamIo),
}

/// Which seat to take.
#[derive(Resource, Debug, Clone, PartialEq, Eq)]
pub struct JoinRequest {
    /// Campaign id, or the first.
    pub campaign: Option<String>,
    /// Seat name (`fighter`, `spectator`, ...).
    pub seat: String,
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
    /// Sequence numbers that were skipped (should stay empty).
    pub gaps: Vec<(u64, u64)>,
    /// Accepted intents (`client_seq`).
    pub accepted: Vec<u32>,
    /// Rejected intents: (`client_seq`, code, reason).
    pub rejected: Vec<(u32, RejectCode, String)>,
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
        let client_seq = self.next_client_seq;
        self.outgoing.push(ToServer::Act {
            character,
            action,
            client_seq,
        });
        client_seq
    }

    /// The rejection of an intent, if it was rejected.
    pub fn rejection(&self, client_seq: u32) -> Option<&(u32, RejectCode, String)> {
        self.rejected.iter().find(|r| r.0 == client_seq)
    }

    /// Whether the server has answered an intent.
    pub fn answered(&self, client_seq: u32) -> bool {
        self.accepted.contains(&client_seq) || self.rejection(client_seq).is_some()
    }

    /// The last event's sequence number.
    pub fn last_seq(&self) -> u64 {
        self.events.last().map_or(0, |e| e.seq)
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
    session.outgoing.insert(
        0,
        ToServer::Join {
            campaign: request.campaign.clone(),
            seat: request.seat.clone(),
            name: request.name.clone(),
            version: PROTOCOL_VERSION,
        },
    );
}

fn on_disconnected(
    trigger: On<Add, Disconnected>,
    clients: Query<&Disconnected, With<Client>>,
    mut session: ResMut<TableSession>,
) {
    if let Ok(d) = clients.get(trigger.entity)
        && !matches!(session.status, Status::Connecting)
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
                }
                ToClient::JoinRefused { reason } => session.status = Status::Refused(reason),
                ToClient::Accepted { client_seq } => session.accepted.push(client_seq),
                ToClient::Rejected {
                    client_seq,
                    code,
                    reason,
                } => session.rejected.push((client_seq, code, reason)),
                ToClient::Event(event) => {
                    let last = session.last_seq();
                    if last != 0 && event.seq != last + 1 {
                        session.gaps.push((last, event.seq));
                    }
                    session.events.push(event);
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

/// Spawns the client link and starts connecting. `client_id` identifies this connection to
/// netcode (one per running client); `key` is the server's netcode key.
pub fn connect(
    world: &mut World,
    transport: Transport,
    client_id: u64,
    key: Key,
) -> Result<Entity, String> {
    let server_addr = match &transport {
        Transport::Udp(a) | Transport::WebSocket(a) => *a,
        Transport::InProcess(_) => SocketAddr::from(([127, 0, 0, 1], 0)),
    };
    let auth = Authentication::Manual {
        server_addr,
        client_id,
        private_key: key,
        protocol_id: PROTOCOL_ID,
    };
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
    ));
    match transport {
        Transport::Udp(addr) => {
            let local = if addr.is_ipv6() {
                SocketAddr::from(([0u16; 8], 0))
            } else {
                SocketAddr::from(([0, 0, 0, 0], 0))
            };
            entity.insert((LocalAddr(local), PeerAddr(addr), UdpIo::default()));
        }
        Transport::WebSocket(addr) => {
            let config =
                lightyear::websocket::prelude::client::ClientConfig::builder().with_no_encryption();
            entity.insert((
                PeerAddr(addr),
                WebSocketClientIo::from_addr(
                    config,
                    lightyear::websocket::client::WebSocketScheme::Plain,
                ),
            ));
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

/// The table as this client sees it through replication.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Mirror {
    /// Table-wide state.
    pub table: Option<TableView>,
    /// The map.
    pub map: Option<BattleMap>,
    /// Combatants by id.
    pub combatants: BTreeMap<CombatantId, (CombatantSheet, CombatantStatus)>,
}

impl Mirror {
    /// Reads the replicated views from a world (a client holds only its own campaign's).
    pub fn read(world: &mut World) -> Mirror {
        Self::read_filtered(world, |_| true)
    }

    /// Reads the views of one campaign from a world holding several (the server).
    pub fn read_campaign(world: &mut World, campaign: &str) -> Mirror {
        Self::read_filtered(world, |c| c == campaign)
    }

    fn read_filtered(world: &mut World, wanted: impl Fn(&str) -> bool) -> Mirror {
        let mut q = world.query::<(&TableView, &BattleMap)>();
        let (table, map) = q
            .iter(world)
            .find(|(t, _)| wanted(&t.campaign))
            .map(|(t, m)| (Some(t.clone()), Some(m.clone())))
            .unwrap_or_default();
        let mut q = world.query::<(&CombatantSheet, &CombatantStatus)>();
        let combatants = q
            .iter(world)
            .filter(|(s, _)| wanted(&s.campaign))
            .map(|(s, st)| (s.id, (s.clone(), st.clone())))
            .collect();
        Mirror {
            table,
            map,
            combatants,
        }
    }

    /// A planner's view of the table, from the replicated state alone.
    pub fn board(&self) -> Option<Board> {
        let table = self.table.as_ref()?;
        let map = self.map.as_ref()?;
        Some(Board {
            map: map.grid.clone(),
            units: self
                .combatants
                .values()
                .map(|(sheet, status)| Unit {
                    id: sheet.id,
                    side: sheet.side,
                    pos: status.pos,
                    hp: status.hp,
                    dead: status.conditions.contains(&Condition::Dead),
                    speed: sheet.speed,
                    attacks: sheet.attacks.clone(),
                })
                .collect(),
            movement_left: table.movement_left,
            action_used: table.action_used,
        })
    }

    /// A combatant's name.
    pub fn name_of(&self, id: CombatantId) -> String {
        self.combatants
            .get(&id)
            .map_or_else(|| format!("#{id}"), |c| c.0.name.clone())
    }
}
