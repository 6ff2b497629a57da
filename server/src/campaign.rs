//! Campaigns: one entity per table, holding its [`Table`], seats, inbox and journal, plus one
//! replicated entity per combatant. Everything a player may see is in the campaign's room;
//! hidden creatures sit in the host's room until they are revealed.

use crate::journal::{
    CANNOT_SAVE, Entry, Input, Journal, Meta, Restored, SNAPSHOT_EVERY, StoredSeat, apply,
};
use crate::seats::{Directory, JoinTarget, is_well_formed_code, new_code, new_seat_id};
use crate::settings::ServerSettings;
use bevy::prelude::*;
use emberkeep_shared::content::ContentLibrary;
use emberkeep_shared::event::Audience;
use emberkeep_shared::prelude::*;
use emberkeep_shared::protocol::Role;
use lightyear::prelude::*;
use std::collections::{BTreeMap, VecDeque};

/// A seat at a campaign.
#[derive(Debug, Clone)]
pub struct Seat {
    /// Seat name: a pregen id, `host` or `spectator`.
    pub name: String,
    /// Role.
    pub role: Role,
    /// The character the seat plays.
    pub character: Option<CombatantId>,
    /// Current seat id (in tokens).
    pub id: u64,
    /// Current join code.
    pub code: String,
    /// The player's name once taken.
    pub player: Option<String>,
    /// Live links (at most one, except for the spectator seat).
    pub links: Vec<Entity>,
}

impl Seat {
    fn stored(&self) -> StoredSeat {
        StoredSeat {
            name: self.name.clone(),
            role: self.role,
            character: self.character,
            id: self.id,
            code: self.code.clone(),
        }
    }
}

/// Who sent a queued input.
#[derive(Debug, Clone, Copy)]
pub struct Sender {
    /// The link.
    pub link: Entity,
    /// Echoed back in Accepted / Rejected.
    pub client_seq: Option<u32>,
}

/// Counters for one campaign.
#[derive(Debug, Clone, Default)]
pub struct CampaignStats {
    /// Inputs accepted.
    pub accepted: u64,
    /// Intents rejected, by kind.
    pub rejected: BTreeMap<String, u64>,
}

/// One table.
#[derive(Component, Debug)]
pub struct Campaign {
    /// Id (`table-1`).
    pub id: String,
    /// Encounter id.
    pub encounter: String,
    /// Seed.
    pub seed: u64,
    /// Everyone seated here sees this room.
    pub room: RoomId,
    /// Only host seats see this room (hidden creatures).
    pub host_room: RoomId,
    /// The game.
    pub table: Table,
    /// Seats: party characters, then `host`, then `spectator`.
    pub seats: Vec<Seat>,
    /// Inputs in arrival order.
    pub inbox: VecDeque<(Sender, Input)>,
    /// Events up to here were sent.
    pub published_seq: u64,
    /// Replicated entity per combatant, and whether it is visible to players.
    pub views: BTreeMap<CombatantId, (Entity, bool)>,
    /// Counters.
    pub stats: CampaignStats,
    /// Table time = server time + this (continues the clock of a resumed campaign).
    pub clock_offset: u64,
    /// The journal, with `--data-dir`.
    pub journal: Option<Journal>,
    /// Messages for the host seats (the journal failing or working again), sent on publish.
    pub host_alerts: Vec<String>,
    /// With companions: seats their player left, and when (table time). After the turn
    /// timeout an empty one goes back to its companion; a player back sooner keeps it.
    pub vacated: Vec<(String, u64)>,
}

impl Campaign {
    /// Table time now.
    pub fn now(&self, time: &Time) -> u64 {
        time.elapsed().as_millis() as u64 + self.clock_offset
    }

    /// Every live link seated at this campaign.
    pub fn links(&self) -> impl Iterator<Item = Entity> + '_ {
        self.seats.iter().flat_map(|s| s.links.iter().copied())
    }

    /// Player name and connection of the seat that plays `id`.
    pub fn player_of(&self, id: CombatantId) -> Option<(String, bool)> {
        self.seats
            .iter()
            .find(|s| s.character == Some(id))
            .and_then(|s| s.player.clone().map(|p| (p, !s.links.is_empty())))
    }

    /// A name for a combatant id (for logs).
    pub fn name_of(&self, id: CombatantId) -> String {
        self.table
            .combatant(id)
            .map_or_else(|| format!("#{id}"), |c| c.name.clone())
    }

    /// A seat by name.
    pub fn seat(&self, name: &str) -> Option<&Seat> {
        self.seats.iter().find(|s| s.name == name)
    }

    /// A seat by name, mutably.
    pub fn seat_mut(&mut self, name: &str) -> Option<&mut Seat> {
        self.seats.iter_mut().find(|s| s.name == name)
    }

    /// The meta to store.
    pub fn meta(&self, archived: bool) -> Meta {
        Meta {
            id: self.id.clone(),
            encounter: self.encounter.clone(),
            seed: self.seed,
            archived,
            seats: self.seats.iter().map(Seat::stored).collect(),
        }
    }

    /// Applies an input now: through the rules, then into the journal. It is accepted only
    /// once its journal line is written; if that fails the table is put back as saved and
    /// the input is refused ([`RejectCode::Unavailable`]).
    pub fn perform(&mut self, input: Input, now_ms: u64) -> Result<(), Rejection> {
        let entry = Entry { t: now_ms, input };
        apply(&mut self.table, &entry)?;
        self.record(&entry)
            .map_err(|_| Rejection::new(RejectCode::Unavailable, CANNOT_SAVE))?;
        self.stats.accepted += 1;
        Ok(())
    }

    /// Writes an entry already applied to the table to the journal (if any), snapshotting
    /// now and then. If the line cannot be written, the table goes back to what is saved
    /// (the entry's effects are undone), the host is told, and the error is returned; the
    /// next entry tries again, and the host is told when writing works again.
    pub fn record(&mut self, entry: &Entry) -> Result<(), String> {
        let Some(journal) = &mut self.journal else {
            return Ok(());
        };
        let was_failing = journal.failing().is_some();
        match journal.record(entry) {
            Ok(()) => {
                if was_failing {
                    info!("campaign {}: the journal is written again", self.id);
                    self.host_alerts
                        .push(format!("{}: saving works again", self.id));
                }
                if journal.since_snapshot >= SNAPSHOT_EVERY
                    && let Err(e) = journal.snapshot(&self.table)
                {
                    error!("campaign {}: cannot write a snapshot: {e}", self.id);
                }
                Ok(())
            }
            Err(e) => {
                let (table, rejected) = journal.saved_table();
                if rejected > 0 {
                    error!(
                        "campaign {}: {rejected} journal entries were rejected when rebuilding the saved table",
                        self.id
                    );
                }
                self.table = table;
                if !was_failing {
                    error!(
                        "campaign {}: cannot write the journal, refusing inputs until it works: {e}",
                        self.id
                    );
                    self.host_alerts.push(format!(
                        "{}: the server cannot save (journal: {e}); inputs are refused until it can",
                        self.id
                    ));
                }
                Err(e)
            }
        }
    }

    /// Saves a snapshot and the meta now.
    pub fn save(&mut self) -> Result<(), String> {
        let meta = self.meta(false);
        match &mut self.journal {
            Some(j) => {
                j.write_meta(&meta)?;
                j.snapshot(&self.table)
            }
            None => Err("this server runs without --data-dir: nothing is saved".into()),
        }
    }

    /// Whether a seat of this role, named `seat`, may see an event for `audience`.
    pub fn may_see(audience: &Audience, role: Role, seat: &str) -> bool {
        match audience {
            Audience::Public => true,
            Audience::Party => role != Role::Spectator,
            Audience::Seats(seats) => role == Role::Host || seats.iter().any(|s| s == seat),
            Audience::HostOnly => role == Role::Host,
        }
    }
}

/// The content every campaign is built from.
#[derive(Resource, Debug, Clone)]
pub struct Content(pub ContentLibrary);

/// Puts a campaign's codes into the join directory (replacing its old ones).
pub fn publish_codes(directory: &Directory, campaign: &Campaign) {
    let mut dir = directory.0.write().expect("directory lock");
    dir.codes.retain(|_, t| t.campaign != campaign.id);
    // A revoked seat has no code: it must not be reachable by an empty one.
    for s in campaign
        .seats
        .iter()
        .filter(|s| is_well_formed_code(&s.code))
    {
        dir.codes.insert(
            s.code.clone(),
            JoinTarget {
                campaign: campaign.id.clone(),
                seat: s.name.clone(),
                seat_id: s.id,
            },
        );
    }
}

fn fresh_seats(table: &Table) -> Vec<Seat> {
    let mut seats: Vec<Seat> = table
        .combatants
        .iter()
        .filter(|c| c.is_pc)
        .map(|c| (c.source.clone(), Role::Player, Some(c.id)))
        .chain([
            ("host".to_string(), Role::Host, None),
            ("spectator".to_string(), Role::Spectator, None),
        ])
        .map(|(name, role, character)| Seat {
            name,
            role,
            character,
            id: new_seat_id(),
            code: new_code(),
            player: None,
            links: Vec::new(),
        })
        .collect();
    seats.sort_by_key(|s| match s.role {
        Role::Player => 0,
        Role::Host => 1,
        Role::Spectator => 2,
    });
    seats
}

/// Opens a new campaign running `encounter`; with `--data-dir` its files are created (in a
/// folder that must not exist yet: an existing campaign is never overwritten).
pub fn open_campaign(
    world: &mut World,
    id: &str,
    encounter: &str,
    seed: u64,
) -> Result<Entity, String> {
    let settings = world.resource::<ServerSettings>().clone();
    let lib = &world.resource::<Content>().0;
    let mut table = Table::new_at_level(
        lib,
        encounter,
        seed,
        settings.turn_timeout.as_millis() as u64,
        settings.level,
    )
    .map_err(|e| e.to_string())?;
    table.reaction_window_ms = settings.reaction_window.as_millis() as u64;
    let seats = fresh_seats(&table);
    let journal = match &settings.data_dir {
        Some(root) => {
            let meta = Meta {
                id: id.to_string(),
                encounter: encounter.to_string(),
                seed,
                archived: false,
                seats: seats.iter().map(Seat::stored).collect(),
            };
            let journal = Journal::create(root, &meta, &table)?;
            if let Some(e) = journal.failing() {
                error!(
                    "campaign {id}: cannot create its files; inputs are refused until it can: {e}"
                );
            }
            Some(journal)
        }
        None => None,
    };
    let mut campaign = spawn_parts(world, id, encounter, seed, table, seats, 0);
    campaign.journal = journal;
    if world.resource::<ServerSettings>().companions {
        // Journaled like any host action, so a restart keeps the assignments.
        let characters: Vec<CombatantId> = campaign
            .seats
            .iter()
            .filter(|s| s.role == Role::Player)
            .filter_map(|s| s.character)
            .collect();
        for character in characters {
            let _ = campaign.perform(
                Input::Host(crate::journal::HostOp::Companion {
                    character,
                    on: true,
                }),
                0,
            );
        }
    }
    info!("campaign {id} open: encounter `{encounter}`, seed {seed}");
    Ok(finish_spawn(world, campaign))
}

/// Resumes a campaign read back from disk.
pub fn resume_campaign(world: &mut World, restored: Restored) -> Entity {
    let Restored {
        meta,
        table,
        clock_ms,
        journal,
        replayed,
        rejected_replays,
        quarantined,
    } = restored;
    let seats = meta
        .seats
        .iter()
        .map(|s| Seat {
            name: s.name.clone(),
            role: s.role,
            character: s.character,
            id: s.id,
            code: s.code.clone(),
            player: None,
            links: Vec::new(),
        })
        .collect();
    let now = world.resource::<Time>().elapsed().as_millis() as u64;
    let mut campaign = spawn_parts(
        world,
        &meta.id,
        &meta.encounter,
        meta.seed,
        table,
        seats,
        clock_ms.saturating_sub(now),
    );
    campaign.journal = Some(journal);
    // Everything before the restart was sent already (or will be replayed on reconnect).
    campaign.published_seq = campaign.table.next_seq - 1;
    info!(
        "campaign {} resumed: {} events, {replayed} journal entries replayed, table clock {} s",
        meta.id,
        campaign.table.next_seq - 1,
        clock_ms / 1000
    );
    if rejected_replays > 0 || quarantined > 0 {
        error!(
            "campaign {}: {rejected_replays} replayed entries rejected, {quarantined} damaged journal lines quarantined",
            meta.id
        );
    }
    finish_spawn(world, campaign)
}

fn spawn_parts(
    world: &mut World,
    id: &str,
    encounter: &str,
    seed: u64,
    table: Table,
    seats: Vec<Seat>,
    clock_offset: u64,
) -> Campaign {
    let (room, host_room) = {
        let mut rooms = world.resource_mut::<RoomAllocator>();
        (rooms.allocate(), rooms.allocate())
    };
    let mut views = BTreeMap::new();
    for c in &table.combatants {
        let visible = !c.hidden;
        let e = world
            .spawn((
                Name::new(format!("{id}: {}", c.name)),
                CombatantSheet::of(id, c),
                CombatantStatus::of(c, None),
                Replicate::to_clients(NetworkTarget::All),
                Rooms::single(if visible { room } else { host_room }),
            ))
            .id();
        views.insert(c.id, (e, visible));
    }
    Campaign {
        id: id.to_string(),
        encounter: encounter.to_string(),
        seed,
        room,
        host_room,
        table,
        seats,
        inbox: VecDeque::new(),
        vacated: Vec::new(),
        published_seq: 0,
        views,
        stats: CampaignStats::default(),
        clock_offset,
        journal: None,
        host_alerts: Vec::new(),
    }
}

fn finish_spawn(world: &mut World, campaign: Campaign) -> Entity {
    let now = world.resource::<Time>().elapsed().as_millis() as u64 + campaign.clock_offset;
    let view = TableView::of(&campaign.id, &campaign.table, now);
    let map = BattleMap {
        campaign: campaign.id.clone(),
        grid: campaign.table.map.clone(),
    };
    let spellbook = Spellbook {
        campaign: campaign.id.clone(),
        spells: campaign.table.spells.clone(),
        items: campaign.table.items.clone(),
    };
    let directory = world.resource::<Directory>().clone();
    publish_codes(&directory, &campaign);
    let room = campaign.room;
    let narrator = crate::narrator::Narrator::resumed_at(campaign.table.next_seq - 1);
    world
        .spawn((
            narrator,
            Name::new(format!("campaign {}", campaign.id)),
            campaign,
            view,
            map,
            spellbook,
            Replicate::to_clients(NetworkTarget::All),
            Rooms::single(room),
        ))
        .id()
}
