//! The lightyear side of the server: the netcode server entity with its UDP and WebSocket IO,
//! and the lifecycle of client links.

use crate::settings::{Listen, ServerSettings};
use bevy::prelude::*;
use emberkeep_shared::protocol::PROTOCOL_ID;
use lightyear::netcode::NetcodeServer;
use lightyear::prelude::server::*;
use lightyear::prelude::*;
use std::time::Duration;

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

/// The largest WebSocket message or frame a client may send (bytes).
pub const MAX_WS_MESSAGE: usize = 64 * 1024;

/// How long a link may take to complete the netcode handshake before it is dropped.
pub const HANDSHAKE_LIMIT: Duration = Duration::from_secs(5);

/// When a link appeared (game time).
#[derive(Component, Debug, Clone, Copy)]
pub struct LinkBorn(pub Duration);

pub(crate) fn plugin(app: &mut App) {
    app.init_resource::<BoundAddrs>();
    app.init_resource::<LinkHygiene>();
    app.add_systems(Startup, start_server);
    app.add_systems(
        Update,
        (
            announce_udp_address,
            drop_unconnected_links,
            close_unseated_links,
        ),
    );
    app.add_observer(on_new_link);
}

/// The server's handler for errors that systems and commands return.
///
/// A command on an entity that is already gone is expected here, not a fault: a link can close
/// and be despawned in the frame its seat's bookkeeping writes to it. It is logged at debug
/// level with its own message, without the backtrace that bevy's `warn` would resolve on the
/// game thread where `RUST_BACKTRACE` is set. Every other error is a warning, as before; none
/// is fatal, so one browser leaving at the wrong moment never stops every table. (A `despawn`
/// of an entity already gone never reaches this handler: bevy always warns for it, which is
/// why `patches/lightyear_netcode` uses `try_despawn`.)
pub fn on_error(error: BevyError, ctx: bevy::ecs::error::ErrorContext) {
    match entity_gone(&error) {
        Some(gone) => debug!(
            "{} `{}`: entity {gone} is already gone",
            ctx.kind(),
            ctx.name()
        ),
        None => bevy::ecs::error::warn(error, ctx),
    }
}

/// The entity an error says is no longer there, if that is what it says.
pub fn entity_gone(error: &BevyError) -> Option<Entity> {
    use bevy::ecs::world::error::{EntityDespawnError, EntityMutableFetchError};
    if let Some(EntityDespawnError(gone)) = error.downcast_ref::<EntityDespawnError>() {
        return Some(gone.entity());
    }
    match error.downcast_ref::<EntityMutableFetchError>()? {
        EntityMutableFetchError::NotSpawned(gone) => Some(gone.entity()),
        EntityMutableFetchError::AliasedMutability(_) => None,
    }
}

/// How long an unseated link stays open so the reason sent to it arrives.
pub const CLOSE_DELAY: Duration = Duration::from_secs(1);

/// This link is closed at this game time (kicked, replaced, revoked, archived).
#[derive(Component, Debug, Clone, Copy)]
pub struct CloseAt(pub Duration);

fn close_unseated_links(links: Query<(Entity, &CloseAt)>, time: Res<Time>, mut commands: Commands) {
    for (entity, at) in &links {
        if time.elapsed() >= at.0 {
            commands.entity(entity).try_despawn();
        }
    }
}

/// Links dropped because they never completed the handshake, or because their address already
/// had too many links waiting to.
#[derive(Resource, Debug, Default, Clone, Copy)]
pub struct LinkHygiene {
    /// Dropped after [`HANDSHAKE_LIMIT`].
    pub timed_out: u64,
    /// Dropped at once: their address had `max_pending_links_per_address` waiting already.
    pub over_address_limit: u64,
}

/// Every UDP datagram from a new source address (and every WebSocket connection) makes a link.
/// Links that do not finish the netcode handshake within [`HANDSHAKE_LIMIT`] are dropped, and
/// an address may have only a few links waiting at once: a flood of spoofed or varied source
/// addresses costs the server a bounded amount of memory. In-process links (tests, benches)
/// are trusted and never counted.
fn drop_unconnected_links(
    links: Query<
        (Entity, &LinkBorn, Option<&PeerAddr>),
        (
            With<LinkOf>,
            Without<Connected>,
            Without<lightyear::crossbeam::CrossbeamIo>,
        ),
    >,
    settings: Res<ServerSettings>,
    time: Res<Time>,
    mut hygiene: ResMut<LinkHygiene>,
    mut commands: Commands,
) {
    let now = time.elapsed();
    let mut waiting: std::collections::HashMap<std::net::IpAddr, usize> = Default::default();
    let mut sorted: Vec<_> = links.iter().collect();
    // Oldest first: the links that arrived first keep their places.
    sorted.sort_by_key(|(e, born, _)| (born.0, *e));
    for (entity, born, peer) in sorted {
        let over = peer.is_some_and(|p| {
            let n = waiting.entry(p.0.ip()).or_default();
            *n += 1;
            *n > settings.max_pending_links_per_address
        });
        if over {
            hygiene.over_address_limit += 1;
            commands.entity(entity).try_despawn();
        } else if now.saturating_sub(born.0) > HANDSHAKE_LIMIT {
            hygiene.timed_out += 1;
            commands.entity(entity).try_despawn();
        }
    }
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
            // Our messages are small: refuse bigger ones before they are buffered (the default
            // buffers up to 64 MiB per connection, before any authentication).
            let socket =
                lightyear::websocket::prelude::tungstenite::protocol::WebSocketConfig::default()
                    .max_message_size(Some(MAX_WS_MESSAGE))
                    .max_frame_size(Some(MAX_WS_MESSAGE))
                    .max_write_buffer_size(16 * MAX_WS_MESSAGE);
            let config = lightyear::websocket::server::ServerConfig::builder()
                .with_bind_address(*ws)
                .with_no_encryption()
                .with_socket_config(socket);
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
fn on_new_link(
    trigger: On<Add, LinkOf>,
    mut commands: Commands,
    settings: Res<ServerSettings>,
    time: Res<Time>,
) {
    commands.entity(trigger.entity).insert((
        LinkBorn(time.elapsed()),
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
    // Ports already advertised (the node's, under Agones) stay.
    if dir.udp_port.is_none() {
        dir.udp_port = Some(port);
        dir.ws_port = bound.ws.map(|w| w.port());
    }
    println!("listening: udp {addr}");
    *done = true;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[derive(Component)]
    struct Seen;

    /// A link closed and despawned in the frame it was seated: the seat's bookkeeping then
    /// marks an entity that is gone.
    fn mark_a_link_closed_this_frame(mut commands: Commands) {
        let link = commands.spawn_empty().id();
        commands.entity(link).despawn();
        commands.entity(link).insert(Seen);
    }

    #[test]
    fn a_command_on_a_link_already_gone_is_recognised_and_not_fatal() {
        static GONE: AtomicU32 = AtomicU32::new(0);
        fn count(error: BevyError, ctx: bevy::ecs::error::ErrorContext) {
            if entity_gone(&error).is_some() {
                GONE.fetch_add(1, Ordering::SeqCst);
            }
            on_error(error, ctx);
        }
        let mut app = App::new();
        app.set_error_handler(count);
        app.add_systems(Update, mark_a_link_closed_this_frame);
        app.update();
        app.update();
        assert_eq!(GONE.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn an_entity_gone_is_told_from_other_errors() {
        let mut world = World::new();
        let e = world.spawn_empty().id();
        world.despawn(e);
        let fetch: BevyError = world
            .get_entity_mut(e)
            .map(|_| ())
            .expect_err("gone")
            .into();
        assert_eq!(entity_gone(&fetch), Some(e));
        let despawn: BevyError = world.try_despawn(e).expect_err("gone").into();
        assert_eq!(entity_gone(&despawn), Some(e));
        let other: BevyError = "a rule broke".into();
        assert_eq!(entity_gone(&other), None);
        // Two mutable borrows of one entity are a fault, not a link gone.
        let alias: BevyError =
            bevy::ecs::world::error::EntityMutableFetchError::AliasedMutability(e).into();
        assert_eq!(entity_gone(&alias), None);
    }
}
