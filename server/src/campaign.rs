//! Campaigns: one entity per table, holding its [`Table`], seats, inbox and journal, plus one
//! replicated entity per combatant. Everything a player may see is in the campaign's room;
//! hidden creatures sit in the host's room until they are revealed.
//!
//! The [`Inbox`] is the one door into a campaign's rules: intents, whispers, host commands,
//! joins and leaves, the clock's timeouts and NPC turns, the narrator's narrations and NPC
//! choices are all appended to it as they arrive, and only the resolve step takes them out,
//! in that order, to apply, journal and answer each one.

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

/// Who is answered once a queued input is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyTo {
    /// A player's intent: `Accepted` or `Rejected`, with its `client_seq`.
    Intent {
        /// The player's link.
        link: Entity,
        /// Echoed back.
        client_seq: u32,
    },
    /// A host seat's command: a `HostReply` (`ok (campaign)` or why not).
    HostSeat(Entity),
    /// The server's console: the same answer, printed.
    Console,
    /// Nobody: joins, leaves, whispers, the clock, the narrator.
    Nobody,
}

/// An input waiting in a campaign's [`Inbox`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    /// What arrived.
    pub input: Input,
    /// Table time when it arrived (it is applied at the table time when it is resolved,
    /// which is the same tick unless it waited for a narration).
    pub arrived_ms: u64,
    /// Who hears how it went.
    pub reply_to: ReplyTo,
}

/// Every input to one campaign's rules, in arrival order (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct Inbox(VecDeque<Queued>);

impl Inbox {
    /// Appends an input that arrived at table time `arrived_ms`.
    pub fn push(&mut self, input: Input, arrived_ms: u64, reply_to: ReplyTo) {
        self.0.push_back(Queued {
            input,
            arrived_ms,
            reply_to,
        });
    }

    /// Appends the clock's input (time passed) unless the last input queued is already the
    /// clock's: while the inbox waits (see [`Inbox::take_next`]) one tick stands for them all.
    pub fn push_clock(&mut self, input: Input, now_ms: u64) {
        if !self.0.back().is_some_and(|q| q.input.is_clock()) {
            self.push(input, now_ms, ReplyTo::Nobody);
        }
    }

    /// Drops the inputs waiting that `keep` refuses.
    pub fn retain(&mut self, keep: impl Fn(&Input) -> bool) {
        self.0.retain(|q| keep(&q.input));
    }

    /// Inputs waiting.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The inputs waiting, first to arrive first.
    pub fn iter(&self) -> impl Iterator<Item = &Queued> + '_ {
        self.0.iter()
    }

    /// Whether a finished narration waits here.
    pub fn holds_narration(&self) -> bool {
        self.0
            .iter()
            .any(|q| matches!(q.input, Input::Narration { .. }))
    }

    /// Takes the next input to resolve: the first to arrive. With `narrating` (outside
    /// combat, the narration of the last action is not on the table yet) a character's
    /// action at the front waits, and everything behind it waits too, except narrations and
    /// judgments: they pass, since they are what it waits for.
    pub fn take_next(&mut self, narrating: bool) -> Option<Queued> {
        let front_waits = narrating
            && self
                .0
                .front()
                .is_some_and(|q| matches!(q.input, Input::Act { .. }));
        let next = if front_waits {
            self.0
                .iter()
                .position(|q| matches!(q.input, Input::Narration { .. } | Input::Judged { .. }))?
        } else {
            0
        };
        self.0.remove(next)
    }
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
    /// Every input to the rules, in arrival order.
    pub inbox: Inbox,
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
    /// Counts the inputs that may have changed the table (the clock's only when it did).
    pub rev: u64,
    /// What the replicated components were last built from: the rev, and a hash of the
    /// seats' players and links and of the clocks shown. Unchanged: nothing to rebuild.
    pub published: Option<(u64, u64)>,
    /// This frame's answers, held until its journal lines are durable ([`Campaign::commit`]).
    pub held: Vec<Held>,
}

/// An answer waiting for the frame's journal lines to be synced.
#[derive(Debug)]
pub struct Held {
    /// Who is answered.
    pub reply_to: ReplyTo,
    /// How the input went.
    pub outcome: Result<(), Rejection>,
    /// Whether it was counted in [`CampaignStats::accepted`].
    pub counted: bool,
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

    /// The connections of the seats that may see `audience`.
    pub fn links_seeing<'a>(&'a self, audience: &'a Audience) -> impl Iterator<Item = Entity> + 'a {
        self.seats
            .iter()
            .filter(|s| Campaign::may_see(audience, s.role, &s.name))
            .flat_map(|s| s.links.iter().copied())
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

    /// Applies an input taken from the inbox: through the rules, then into the journal; its
    /// answer is held for [`Campaign::commit`]. It is accepted only once its journal line is
    /// written and synced; if either fails the table is put back as saved and the input is
    /// refused ([`RejectCode::Unavailable`]). The clock's input is written only when it
    /// changed the table (and, if that write fails, the next tick tries again).
    pub(crate) fn perform(&mut self, input: Input, now_ms: u64, reply_to: ReplyTo) {
        let entry = Entry { t: now_ms, input };
        let before = self.table.next_seq;
        let applied = apply(&mut self.table, &entry);
        let clock = entry.input.is_clock();
        let mut counted = false;
        let outcome = if clock && self.table.next_seq == before {
            applied
        } else {
            self.rev += 1;
            applied.and_then(|()| {
                self.record(&entry)
                    .map_err(|_| Rejection::new(RejectCode::Unavailable, CANNOT_SAVE))?;
                counted = !clock;
                self.stats.accepted += u64::from(counted);
                Ok(())
            })
        };
        self.held.push(Held {
            reply_to,
            outcome,
            counted,
        });
    }

    /// Ends the frame's inputs once its journal lines are durable (`synced`: `Ok`, or why
    /// not; `was_failing`: the journal was failing before): a snapshot now and then; or, when
    /// the sync failed, the table goes back to what is saved and the frame's accepted inputs
    /// are refused. Returns the held answers.
    pub(crate) fn commit(&mut self, synced: Result<(), String>, was_failing: bool) -> Vec<Held> {
        let mut held = std::mem::take(&mut self.held);
        let Some(journal) = &mut self.journal else {
            return held;
        };
        match synced {
            Ok(()) => {
                if was_failing && journal.failing().is_none() {
                    info!("campaign {}: the journal is written again", self.id);
                    self.host_alerts
                        .push(format!("{}: saving works again", self.id));
                }
                if journal.since_snapshot >= SNAPSHOT_EVERY
                    && let Err(e) = journal.snapshot(&self.table)
                {
                    error!("campaign {}: cannot write a snapshot: {e}", self.id);
                }
            }
            Err(e) => {
                self.restore_saved(&e, was_failing);
                for h in &mut held {
                    if h.outcome.is_ok() {
                        h.outcome = Err(Rejection::new(RejectCode::Unavailable, CANNOT_SAVE));
                    }
                    if std::mem::take(&mut h.counted) {
                        self.stats.accepted = self.stats.accepted.saturating_sub(1);
                    }
                }
            }
        }
        held
    }

    /// Writes an entry already applied to the table to the journal (if any), snapshotting
    /// now and then. If the line cannot be written, the table goes back to what is saved
    /// (the entry's effects are undone), the host is told, and the error is returned; the
    /// next entry tries again, and the host is told when writing works again.
    fn record(&mut self, entry: &Entry) -> Result<(), String> {
        let Some(journal) = &mut self.journal else {
            return Ok(());
        };
        let was_failing = journal.failing().is_some();
        match journal.record(entry) {
            Ok(()) => Ok(()),
            Err(e) => {
                self.restore_saved(&e, was_failing);
                Err(e)
            }
        }
    }

    /// The journal could not be written or synced (`e`): the table goes back to what is
    /// saved, and the host is told unless it was failing already.
    fn restore_saved(&mut self, e: &str, was_failing: bool) {
        let Some(journal) = &self.journal else {
            return;
        };
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
    // Fog of war from the start: the first snapshot holds what the party sees.
    table.update_sight();
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
        // Journaled like any host action (in the first tick), so a restart keeps them.
        let characters: Vec<CombatantId> = campaign
            .seats
            .iter()
            .filter(|s| s.role == Role::Player)
            .filter_map(|s| s.character)
            .collect();
        for character in characters {
            campaign.inbox.push(
                Input::Host(crate::journal::HostOp::Companion {
                    character,
                    on: true,
                }),
                0,
                ReplyTo::Nobody,
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
    // Each combatant's replicated entity is spawned by the first publish (`turn::sync_views`).
    let views = BTreeMap::new();
    Campaign {
        id: id.to_string(),
        encounter: encounter.to_string(),
        seed,
        room,
        host_room,
        table,
        seats,
        inbox: Inbox::default(),
        vacated: Vec::new(),
        published_seq: 0,
        views,
        stats: CampaignStats::default(),
        clock_offset,
        journal: None,
        host_alerts: Vec::new(),
        rev: 0,
        published: None,
        held: Vec::new(),
    }
}

fn finish_spawn(world: &mut World, campaign: Campaign) -> Entity {
    let now = world.resource::<Time>().elapsed().as_millis() as u64 + campaign.clock_offset;
    let view = TableView::of(&campaign.id, &campaign.table);
    let clock = TableClock::of(&campaign.table, now);
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
            clock,
            map,
            spellbook,
            Replicate::to_clients(NetworkTarget::All),
            Rooms::single(room),
        ))
        .id()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn act(text: &str) -> Input {
        Input::Act {
            actor: 1,
            action: Action::Declare { text: text.into() },
        }
    }

    fn narration(id: u64) -> Input {
        Input::Narration {
            id,
            text: format!("narration {id}"),
            source: "builtin".into(),
            to: None,
        }
    }

    fn inbox(inputs: &[Input]) -> Inbox {
        let mut inbox = Inbox::default();
        for (t, input) in inputs.iter().enumerate() {
            inbox.push(input.clone(), t as u64, ReplyTo::Nobody);
        }
        inbox
    }

    fn drain(inbox: &mut Inbox, narrating: bool) -> Vec<Input> {
        std::iter::from_fn(|| inbox.take_next(narrating).map(|q| q.input)).collect()
    }

    #[test]
    fn inputs_come_out_in_arrival_order() {
        let pause = Input::Host(crate::journal::HostOp::Pause);
        let all = [act("a"), pause, narration(1), act("b"), Input::Tick];
        assert_eq!(drain(&mut inbox(&all), false), all);
    }

    #[test]
    fn while_narrating_an_action_waits_with_all_behind_it_but_narrations_pass() {
        let pause = Input::Host(crate::journal::HostOp::Pause);
        let mut waiting = inbox(&[pause.clone(), act("a"), Input::Tick, narration(1), act("b")]);
        // What arrived before the action goes; then only the narration passes it.
        assert_eq!(drain(&mut waiting, true), [pause, narration(1)]);
        assert_eq!(
            drain(&mut waiting, false),
            [act("a"), Input::Tick, act("b")]
        );
    }

    #[test]
    fn one_clock_tick_stands_for_many_while_the_inbox_waits() {
        let mut waiting = inbox(&[act("a")]);
        for t in 10..20 {
            waiting.push_clock(Input::Tick, t);
        }
        waiting.push(act("b"), 20, ReplyTo::Nobody);
        waiting.push_clock(Input::Tick, 21);
        assert_eq!(
            drain(&mut waiting, false),
            [act("a"), Input::Tick, act("b"), Input::Tick]
        );
    }
}
