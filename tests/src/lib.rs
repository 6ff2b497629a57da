//! A stepper for cross-crate tests and benchmarks: one server App and any number of client
//! Apps in one process, joined by lightyear's crossbeam IO, all on manual time (no sleeps).

pub mod fake_agones;
pub mod fake_model;

use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;
use emberkeep_client::autoplay::{AutoPlay, AutoPlayPlugin};
use emberkeep_client::net::{
    JoinRequest, Mirror, TableSession, Transport, client_app, connect_with_link,
};
use emberkeep_server::mint_seat_token;
use emberkeep_server::{Campaign, NetServer, ServerSettings, server_app};
use emberkeep_shared::content::ContentLibrary;
use emberkeep_shared::protocol::tick_duration;
use lightyear::crossbeam::CrossbeamIo;
use lightyear::prelude::*;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The shipped assets folder.
pub fn assets_dir() -> PathBuf {
    emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets")
}

/// The shipped content, validated.
pub fn shipped_content() -> ContentLibrary {
    ContentLibrary::load_dir(&assets_dir()).expect("shipped content is valid")
}

/// A server and its clients.
pub struct Stepper {
    /// The server App.
    pub server: App,
    /// Client Apps.
    pub clients: Vec<App>,
    /// Server-side link entity of each client.
    pub links: Vec<Entity>,
    /// Frame duration.
    pub tick: Duration,
    next_port: u16,
    /// Simulated network conditions applied to both ends of every new link.
    pub conditioner: Option<lightyear::prelude::LinkConditionerConfig>,
}

impl Stepper {
    /// A server with `settings` (its `listen` should be `InProcess`), started.
    pub fn new(settings: ServerSettings) -> Stepper {
        let tick = tick_duration(settings.tick_hz);
        let mut server = server_app(settings, shipped_content());
        server.insert_resource(TimeUpdateStrategy::ManualDuration(tick));
        server.finish();
        server.cleanup();
        server.update();
        Stepper {
            server,
            clients: Vec::new(),
            links: Vec::new(),
            tick,
            next_port: 10_000,
            conditioner: None,
        }
    }

    /// Adds a client that takes `seat` (at `campaign`, or `table-1`) with a token minted for
    /// it, with the bot installed but switched off. Returns its index.
    pub fn add_client(&mut self, seat: &str, campaign: Option<&str>) -> usize {
        let token = self.token(seat, campaign);
        let mut app = client_app(
            self.tick,
            JoinRequest {
                name: format!("{seat}-player"),
            },
        );
        app.add_plugins(AutoPlayPlugin);
        app.insert_resource(TimeUpdateStrategy::ManualDuration(self.tick));
        app.world_mut().resource_mut::<AutoPlay>().enabled = false;
        app.finish();
        app.cleanup();
        self.clients.push(app);
        self.links.push(Entity::PLACEHOLDER);
        let index = self.clients.len() - 1;
        self.attach(index, &token);
        index
    }

    /// A connect token for a seat, as the join endpoint would mint it.
    pub fn token(&mut self, seat: &str, campaign: Option<&str>) -> Vec<u8> {
        let addr = SocketAddr::from(([127, 0, 0, 1], 0));
        mint_seat_token(
            self.server.world_mut(),
            campaign.unwrap_or("table-1"),
            seat,
            addr,
        )
        .expect("seat exists")
    }

    /// Connects client `index` through a fresh in-process pipe with `token`.
    pub fn attach(&mut self, index: usize, token: &[u8]) {
        let (client_io, server_io) = CrossbeamIo::new_pair();
        let server_entity = self.server.world().resource::<NetServer>().0;
        self.next_port += 1;
        let server_link = self.link();
        let link = self
            .server
            .world_mut()
            .spawn((
                LinkOf {
                    server: server_entity,
                },
                server_link,
                PeerAddr(SocketAddr::from(([127, 0, 0, 1], self.next_port))),
                Linked,
                server_io,
            ))
            .id();
        self.links[index] = link;
        let link = self.link();
        connect_with_link(
            self.clients[index].world_mut(),
            Transport::InProcess(client_io),
            token,
            link,
        )
        .expect("connect");
    }

    fn link(&self) -> Link {
        let conditioner = self
            .conditioner
            .clone()
            .map(lightyear::prelude::RecvLinkConditioner::new);
        Link::default().with_conditioner(conditioner)
    }

    /// Drops client `index`'s connection (as a dead Wi-Fi would: the server just loses the
    /// link) and connects it again with a fresh token for `seat`; the client keeps its state.
    pub fn reconnect(&mut self, index: usize, seat: &str, campaign: Option<&str>) {
        self.drop_connection(index);
        let token = self.token(seat, campaign);
        self.attach(index, &token);
    }

    /// Cuts client `index` off: both ends of its link go away.
    pub fn drop_connection(&mut self, index: usize) {
        let world = self.clients[index].world_mut();
        world.flush();
        let mut q = world.query_filtered::<Entity, With<lightyear::prelude::client::Client>>();
        let old: Vec<Entity> = q.iter(world).collect();
        for e in old {
            world.despawn(e);
        }
        let link = self.links[index];
        if self.server.world().get_entity(link).is_ok() {
            self.server.world_mut().despawn(link);
        }
    }

    /// Advances every App by `n` frames.
    pub fn step(&mut self, n: usize) {
        for _ in 0..n {
            for c in &mut self.clients {
                c.update();
            }
            self.server.update();
        }
    }

    /// Steps until `done` holds (checked after each frame), at most `max` frames. Returns
    /// how many frames it took, or `None` if it never held.
    pub fn step_until(
        &mut self,
        max: usize,
        mut done: impl FnMut(&mut Stepper) -> bool,
    ) -> Option<usize> {
        for i in 0..max {
            if done(self) {
                return Some(i);
            }
            self.step(1);
        }
        done(self).then_some(max)
    }

    /// A client's session.
    pub fn session(&self, client: usize) -> &TableSession {
        self.clients[client].world().resource::<TableSession>()
    }

    /// A client's session, mutably (to send intents).
    pub fn session_mut(&mut self, client: usize) -> Mut<'_, TableSession> {
        self.clients[client]
            .world_mut()
            .resource_mut::<TableSession>()
    }

    /// What a client sees through replication.
    pub fn client_view(&mut self, client: usize) -> Mirror {
        Mirror::read(self.clients[client].world_mut())
    }

    /// What the server publishes for a campaign.
    pub fn server_view(&mut self, campaign: &str) -> Mirror {
        Mirror::read_campaign(self.server.world_mut(), campaign)
    }

    /// What a seat of `role` should hold of a campaign: the server's view, less (for players)
    /// the creatures the party does not see (fog of war).
    pub fn seat_view(&mut self, campaign: &str, role: emberkeep_shared::protocol::Role) -> Mirror {
        let mut view = self.server_view(campaign);
        if role != emberkeep_shared::protocol::Role::Host {
            let table = self.campaign(campaign).table.clone();
            view.combatants.retain(|id, _| table.party_sees(*id));
        }
        view
    }

    /// The last event of a campaign's log that a seat may see (0: none).
    pub fn last_seq_for(
        &mut self,
        campaign: &str,
        role: emberkeep_shared::protocol::Role,
        seat: &str,
    ) -> u64 {
        self.campaign(campaign)
            .table
            .log
            .iter()
            .rev()
            .find(|e| Campaign::may_see(&e.audience, role, seat))
            .map_or(0, |e| e.seq)
    }

    /// A campaign on the server.
    pub fn campaign(&mut self, id: &str) -> &Campaign {
        let world = self.server.world_mut();
        let mut q = world.query::<&Campaign>();
        q.iter(world).find(|c| c.id == id).expect("campaign exists")
    }

    /// Switches a client's bot on or off.
    /// Adds a client per seat of `table-1` and steps until every one is seated.
    pub fn seat_all(&mut self, seats: &[&str]) -> Vec<usize> {
        let clients: Vec<usize> = seats
            .iter()
            .map(|seat| self.add_client(seat, None))
            .collect();
        self.step_until(300, |s| {
            clients
                .iter()
                .all(|&c| s.session(c).status == emberkeep_client::net::Status::Seated)
        })
        .expect("every client is seated");
        clients
    }

    pub fn autoplay(&mut self, client: usize, on: bool) {
        self.clients[client]
            .world_mut()
            .resource_mut::<AutoPlay>()
            .enabled = on;
    }
}
