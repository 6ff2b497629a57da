//! The lightyear side of the server: the netcode server entity with its UDP and WebSocket IO,
//! and the lifecycle of client links.

use crate::settings::{Listen, ServerSettings};
use bevy::prelude::*;
use emberkeep_shared::protocol::PROTOCOL_ID;
use lightyear::netcode::NetcodeServer;
use lightyear::prelude::server::*;
use lightyear::prelude::*;

/// The netcode server entity (the one every link is `LinkOf`).
#[derive(Resource, Debug, Clone, Copy)]
pub struct NetServer(pub Entity);

/// Where the sockets ended up (after binding port 0).
#[derive(Resource, Debug, Clone, Default)]
pub struct BoundAddrs {
    /// UDP.
    pub udp: Option<std::net::SocketAddr>,
    /// WebSocket.
    pub ws: Option<std::net::SocketAddr>,
}

pub(crate) fn plugin(app: &mut App) {
    app.init_resource::<BoundAddrs>();
    app.add_systems(Startup, start_server);
    app.add_systems(Update, announce_udp_address);
    app.add_observer(on_new_link);
}

fn start_server(
    mut commands: Commands,
    settings: Res<ServerSettings>,
    key: Res<crate::seats::NetKey>,
    mut bound: ResMut<BoundAddrs>,
) {
    let netcode = NetcodeServer::new(lightyear::netcode::server_plugin::NetcodeConfig {
        protocol_id: PROTOCOL_ID,
        private_key: key.0,
        // Tokens are minted for the address the player typed (a LAN or public address), which
        // differs from the wildcard bind address; the private key still binds them to us.
        server_addr_check: false,
        client_timeout_secs: 5,
        ..default()
    });
    let mut server = commands.spawn((Name::new("emberkeep server"), netcode));
    if let Listen::Sockets { udp, ws, .. } = &settings.listen {
        if let Some(udp) = udp {
            // Bind the UDP socket ourselves so port 0 resolves and errors are ours to report.
            server.insert((LocalAddr(*udp), ServerUdpIo::default()));
            if udp.port() != 0 {
                bound.udp = Some(*udp);
            }
        }
        if let Some(ws) = ws {
            let config = lightyear::websocket::server::ServerConfig::builder()
                .with_bind_address(*ws)
                .with_no_encryption();
            if udp.is_none() {
                server.insert(LocalAddr(*ws));
            }
            server.insert(WebSocketServerIo { config });
            bound.ws = Some(*ws);
        }
    }
    let entity = server.id();
    commands.insert_resource(NetServer(entity));
    commands.trigger(Start { entity });
}

/// Every link may receive replication (without `ReplicationSender` messages flow but nothing
/// replicates) and gets a session that the intake fills when the player takes a seat.
fn on_new_link(trigger: On<Add, LinkOf>, mut commands: Commands, settings: Res<ServerSettings>) {
    commands.entity(trigger.entity).insert((
        ReplicationSender,
        crate::session::Session::new(settings.rate_burst),
        Name::new("client link"),
    ));
}

/// Prints the UDP address once the socket is bound (port 0 becomes a real port), so hosts and
/// scripts can read where to point clients.
fn announce_udp_address(
    servers: Query<&LocalAddr, With<ServerUdpIo>>,
    settings: Res<ServerSettings>,
    mut bound: ResMut<BoundAddrs>,
    directory: Res<crate::seats::Directory>,
    mut done: Local<bool>,
) {
    if *done {
        return;
    }
    let Listen::Sockets {
        udp: Some(configured),
        ws,
        ..
    } = &settings.listen
    else {
        *done = true;
        return;
    };
    // With WebSocket on the same entity LocalAddr may name the WebSocket port; trust the
    // configured UDP port when it was given.
    let port = if configured.port() != 0 || ws.is_some() {
        configured.port()
    } else {
        match servers.iter().next() {
            Some(addr) if addr.0.port() != 0 => addr.0.port(),
            _ => return,
        }
    };
    let addr = std::net::SocketAddr::new(configured.ip(), port);
    bound.udp = Some(addr);
    let mut dir = directory.0.write().expect("directory lock");
    dir.udp_port = Some(port);
    dir.ws_port = bound.ws.map(|w| w.port());
    println!("listening: udp {addr}");
    *done = true;
}
