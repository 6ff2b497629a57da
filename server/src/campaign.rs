//! Campaigns: one entity per table, holding its [`Table`], seats and inbox, plus one
//! replicated entity per combatant, all in the campaign's lightyear room.

use crate::settings::ServerSettings;
use bevy::prelude::*;
use emberkeep_shared::content::ContentLibrary;
use emberkeep_shared::prelude::*;
use emberkeep_shared::protocol::Role;
use emberkeep_shared::table::TableError;
use lightyear::prelude::*;
use std::collections::{BTreeMap, VecDeque};

/// A seat at a campaign.
#[derive(Debug, Clone)]
pub struct Seat {
    /// Seat name: a pregen id, or `host`.
    pub name: String,
    /// Role.
    pub role: Role,
    /// The character the seat plays.
    pub character: Option<CombatantId>,
    /// The player's name once taken.
    pub player: Option<String>,
    /// The live link, if connected.
    pub link: Option<Entity>,
}

/// An intent waiting its turn in the campaign's FIFO.
#[derive(Debug, Clone)]
pub struct PendingIntent {
    /// The link that sent it.
    pub link: Entity,
    /// The character acting.
    pub character: CombatantId,
    /// What.
    pub action: Action,
    /// Echoed back.
    pub client_seq: u32,
}

/// Counters for one campaign.
#[derive(Debug, Clone, Default)]
pub struct CampaignStats {
    /// Intents accepted.
    pub accepted: u64,
    /// Intents rejected, by kind.
    pub rejected: BTreeMap<String, u64>,
}

/// One table.
#[derive(Component, Debug)]
pub struct Campaign {
    /// Id (`table-1`).
    pub id: String,
    /// Its lightyear room: only links seated here see its entities.
    pub room: RoomId,
    /// The game.
    pub table: Table,
    /// Seats: one per party character, then `host`.
    pub seats: Vec<Seat>,
    /// Spectator links and their names.
    pub spectators: Vec<(Entity, String)>,
    /// Intents in arrival order.
    pub inbox: VecDeque<PendingIntent>,
    /// Events up to here were sent.
    pub published_seq: u64,
    /// Replicated entity per combatant.
    pub views: BTreeMap<CombatantId, Entity>,
    /// Counters.
    pub stats: CampaignStats,
}

impl Campaign {
    /// Links that receive this campaign's events.
    pub fn links(&self) -> impl Iterator<Item = Entity> + '_ {
        self.seats
            .iter()
            .filter_map(|s| s.link)
            .chain(self.spectators.iter().map(|s| s.0))
    }

    /// Player name and connection of the seat that plays `id`.
    pub fn player_of(&self, id: CombatantId) -> Option<(String, bool)> {
        self.seats
            .iter()
            .find(|s| s.character == Some(id))
            .and_then(|s| s.player.clone().map(|p| (p, s.link.is_some())))
    }

    /// A name for a combatant id (for logs).
    pub fn name_of(&self, id: CombatantId) -> String {
        self.table
            .combatant(id)
            .map_or_else(|| format!("#{id}"), |c| c.name.clone())
    }
}

/// The content every campaign is built from.
#[derive(Resource, Debug, Clone)]
pub struct Content(pub ContentLibrary);

/// Opens a campaign running `encounter` and spawns its replicated entities. Returns the
/// campaign entity.
pub fn open_campaign(
    world: &mut World,
    id: &str,
    encounter: &str,
    seed: u64,
) -> Result<Entity, TableError> {
    let settings = world.resource::<ServerSettings>().clone();
    let lib = &world.resource::<Content>().0;
    let table = Table::new(
        lib,
        encounter,
        seed,
        settings.turn_timeout.as_millis() as u64,
    )?;
    let room = world.resource_mut::<RoomAllocator>().allocate();
    let mut seats: Vec<Seat> = table
        .combatants
        .iter()
        .filter(|c| c.is_pc)
        .map(|c| Seat {
            name: c.source.clone(),
            role: Role::Player,
            character: Some(c.id),
            player: None,
            link: None,
        })
        .collect();
    seats.push(Seat {
        name: "host".into(),
        role: Role::Host,
        character: None,
        player: None,
        link: None,
    });
    let now_ms = world.resource::<Time>().elapsed().as_millis() as u64;
    let view = TableView::of(id, &table, now_ms);
    let map = BattleMap {
        campaign: id.to_string(),
        grid: table.map.clone(),
    };
    let replicate = (
        Replicate::to_clients(NetworkTarget::All),
        Rooms::single(room),
    );
    let mut views = BTreeMap::new();
    for c in &table.combatants {
        let e = world
            .spawn((
                Name::new(format!("{id}: {}", c.name)),
                CombatantSheet::of(id, c),
                CombatantStatus::of(c, None),
                replicate.clone(),
            ))
            .id();
        views.insert(c.id, e);
    }
    let campaign = Campaign {
        id: id.to_string(),
        room,
        table,
        seats,
        spectators: Vec::new(),
        inbox: VecDeque::new(),
        published_seq: 0,
        views,
        stats: CampaignStats::default(),
    };
    let entity = world
        .spawn((
            Name::new(format!("campaign {id}")),
            campaign,
            view,
            map,
            replicate,
        ))
        .id();
    info!("campaign {id} open: encounter `{encounter}`, seed {seed}");
    Ok(entity)
}
