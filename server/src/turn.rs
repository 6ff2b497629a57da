//! The turn pipeline after intake: the clock's inputs (timeouts, NPC turns) join the inbox,
//! the inbox is resolved in arrival order with the rules, and events (each only to the seats
//! allowed to see it) and views are published.

use crate::campaign::{Campaign, ReplyTo};
use crate::journal::{HostOp, Input, Journal};
use crate::narrator::{Bridge, Narration, Narrator};
use crate::outbox::Outbox;
use crate::session::Session;
use crate::settings::ServerSettings;
use bevy::prelude::*;
use emberkeep_shared::prelude::*;
use emberkeep_shared::protocol::Role;
use lightyear::prelude::{NetworkTarget, Replicate, Rooms};

/// Resolves every campaign's inbox (see [`resolve_inbox`]).
pub(crate) fn resolve(mut campaigns: Query<(&mut Campaign, Option<&Narrator>)>, time: Res<Time>) {
    for (mut campaign, narrator) in &mut campaigns {
        let now = campaign.now(&time);
        resolve_inbox(&mut campaign, narrator.is_some_and(Narrator::busy), now);
    }
}

/// Takes a campaign's inputs out of its inbox one at a time, first to arrive first: each is
/// applied by the rules and its journal line written; its answer waits for [`commit`].
/// Outside combat, while a narration is being written (`narrating`, or one waits in the
/// inbox), a character's action waits for it (see [`crate::campaign::Inbox::take_next`]).
pub(crate) fn resolve_inbox(campaign: &mut Campaign, narrating: bool, now: u64) {
    loop {
        let hold = campaign.table.combat.is_none()
            && (narrating || campaign.table.judging.is_some() || campaign.inbox.holds_narration());
        let Some(queued) = campaign.inbox.take_next(hold) else {
            break;
        };
        campaign.perform(queued.input, now, queued.reply_to);
    }
}

/// The frame's journal lines, every campaign's, are made durable together
/// ([`crate::journal::commit`]: one flush, not one per line), then the inputs' senders are
/// answered. Nothing of a frame is answered or published before its lines are durable; a
/// campaign whose sync failed is put back to what is saved and its inputs refused.
pub(crate) fn commit(mut campaigns: Query<&mut Campaign>, mut outbox: ResMut<Outbox>) {
    let mut written: Vec<Mut<Campaign>> = campaigns
        .iter_mut()
        .filter(|c| !c.held.is_empty() || c.journal.as_ref().is_some_and(Journal::unsynced))
        .collect();
    commit_campaigns(&mut written, &mut outbox);
}

/// [`commit`] for these campaigns.
pub(crate) fn commit_campaigns(campaigns: &mut [Mut<Campaign>], outbox: &mut Outbox) {
    let was_failing: Vec<bool> = campaigns
        .iter()
        .map(|c| c.journal.as_ref().is_some_and(|j| j.failing().is_some()))
        .collect();
    let mut synced: Vec<Result<(), String>> = vec![Ok(()); campaigns.len()];
    {
        let (at, mut journals): (Vec<usize>, Vec<&mut Journal>) = campaigns
            .iter_mut()
            .enumerate()
            .filter_map(|(i, c)| c.journal.as_mut().map(|j| (i, j)))
            .unzip();
        for (i, r) in at.into_iter().zip(crate::journal::commit(&mut journals)) {
            synced[i] = r;
        }
    }
    for ((campaign, synced), was_failing) in campaigns.iter_mut().zip(synced).zip(was_failing) {
        let campaign = &mut **campaign;
        for held in campaign.commit(synced, was_failing) {
            answer(campaign, held.reply_to, held.outcome, outbox);
        }
    }
}

/// Tells the sender of a resolved input how it went.
fn answer(
    campaign: &mut Campaign,
    reply_to: ReplyTo,
    outcome: Result<(), Rejection>,
    outbox: &mut Outbox,
) {
    let host_text = |outcome: Result<(), Rejection>| match outcome {
        Ok(()) => format!("ok ({})", campaign.id),
        Err(r) => r.reason,
    };
    match reply_to {
        ReplyTo::Intent { link, client_seq } => match outcome {
            Ok(()) => outbox.send(link, ToClient::Accepted { client_seq }),
            Err(rejection) => {
                *campaign
                    .stats
                    .rejected
                    .entry(format!("{:?}", rejection.code))
                    .or_default() += 1;
                outbox.send(
                    link,
                    ToClient::Rejected {
                        client_seq,
                        code: rejection.code,
                        reason: rejection.reason,
                    },
                );
            }
        },
        ReplyTo::HostSeat(link) => outbox.send(
            link,
            ToClient::HostReply {
                text: host_text(outcome),
            },
        ),
        ReplyTo::Console => println!("{}", host_text(outcome)),
        ReplyTo::Nobody => {}
    }
}

/// The clock's inputs, queued behind whatever arrived this tick: seats handed back to their
/// companion, then the tick itself — turn timeouts and (without the model's NPC brain, whose
/// choices `narrator::npc_turns` queues) built-in NPC turns.
pub(crate) fn advance(
    mut campaigns: Query<&mut Campaign>,
    time: Res<Time>,
    narration: Res<Narration>,
    bridge: Option<Res<Bridge>>,
) {
    let brain = narration.0.npc_brain && bridge.is_some();
    for mut campaign in &mut campaigns {
        let now = campaign.now(&time);
        hand_back_to_companions(&mut campaign, now);
        let input = if brain { Input::Timeouts } else { Input::Tick };
        campaign.inbox.push_clock(input, now);
    }
}

/// Seats their player left a turn timeout ago, still empty, go back to their companion.
fn hand_back_to_companions(campaign: &mut Campaign, now: u64) {
    if campaign.vacated.is_empty() {
        return;
    }
    let timeout = campaign.table.turn_timeout_ms;
    let due: Vec<String> = campaign
        .vacated
        .iter()
        .filter(|(_, at)| now >= at.saturating_add(timeout))
        .map(|(s, _)| s.clone())
        .collect();
    campaign.vacated.retain(|(s, _)| !due.contains(s));
    for seat in due {
        let Some(character) = campaign
            .seat(&seat)
            .filter(|s| s.links.is_empty())
            .and_then(|s| s.character)
        else {
            continue;
        };
        campaign.inbox.push(
            Input::Host(HostOp::Companion {
                character,
                on: true,
            }),
            now,
            ReplyTo::Nobody,
        );
    }
}

/// Sends new events to the links seated at the campaign that may see them, reveals creatures
/// that stopped hiding, and mirrors the table into the replicated components (writing only
/// what changed, so nothing is re-sent needlessly).
pub(crate) fn publish(
    mut campaigns: Query<(
        &mut Campaign,
        &mut TableView,
        &mut TableClock,
        &mut BattleMap,
    )>,
    mut statuses: Query<(&mut CombatantStatus, &mut CombatantSheet)>,
    mut sessions: Query<&mut Session>,
    mut outbox: ResMut<Outbox>,
    settings: Res<ServerSettings>,
    time: Res<Time>,
    mut commands: Commands,
) {
    for (mut campaign, mut view, mut clock, mut map) in &mut campaigns {
        let now = campaign.now(&time);
        for text in std::mem::take(&mut campaign.host_alerts) {
            let hosts = campaign
                .seats
                .iter()
                .filter(|s| s.role == Role::Host)
                .flat_map(|s| s.links.iter().copied());
            for link in hosts {
                outbox.send(link, ToClient::HostReply { text: text.clone() });
            }
        }
        // Fog of war: what the party sees (brought up to date after each input) decides what
        // players are sent.
        let from = campaign.published_seq + 1;
        if campaign.table.next_seq > from {
            let fresh: Vec<SeqEvent> = campaign
                .table
                .events_since(from)
                .map(|e| e.cloned().collect())
                .unwrap_or_default();
            campaign.published_seq = campaign.table.next_seq - 1;
            let links: Vec<Entity> = campaign.links().collect();
            for event in fresh {
                if settings.log_events {
                    let name = |id| campaign.name_of(id);
                    info!(
                        "[{}] #{} {}",
                        campaign.id,
                        event.seq,
                        event.event.describe(&name)
                    );
                }
                for &link in &links {
                    let Ok(mut session) = sessions.get_mut(link) else {
                        continue;
                    };
                    let Some(role) = session.role else { continue };
                    if Campaign::may_see(&event.audience, role, &session.seat) {
                        let prev = session.last_sent;
                        session.last_sent = event.seq;
                        outbox.send(
                            link,
                            ToClient::Event {
                                event: event.clone(),
                                prev,
                            },
                        );
                    }
                }
            }
        }
        // The clocks (the seconds left of a turn and of a reaction) tick by the second on
        // their own small component. The table changes only through inputs: rebuild the
        // other replicated parts only when it, or a seat's player or links, changed (a quiet
        // table costs nothing).
        clock.set_if_neq(TableClock::of(&campaign.table, now));
        let seats = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            for s in &campaign.seats {
                (&s.player, s.links.len()).hash(&mut h);
            }
            h.finish()
        };
        let key = (campaign.rev, seats);
        if campaign.published == Some(key) {
            continue;
        }
        campaign.published = Some(key);
        view.set_if_neq(TableView::of(&campaign.id, &campaign.table));
        if map.grid != campaign.table.map {
            map.grid = campaign.table.map.clone();
        }
        let room = campaign.room;
        let campaign = &mut *campaign;
        sync_views(campaign, &mut commands);
        for c in &campaign.table.combatants {
            let player = campaign.player_of(c.id);
            let Some((entity, visible)) = campaign.views.get_mut(&c.id) else {
                continue;
            };
            // Players get the creatures the party sees (and their own); the host all of them.
            let seen = campaign.table.party_sees(c.id);
            if *visible != seen {
                *visible = seen;
                commands.entity(*entity).insert(Rooms::single(if seen {
                    room
                } else {
                    campaign.host_room
                }));
            }
            if let Ok((mut status, mut sheet)) = statuses.get_mut(*entity) {
                status.set_if_neq(CombatantStatus::of(c, player));
                // A level gained, a character brought: the sheet follows.
                sheet.set_if_neq(CombatantSheet::of(&campaign.id, c));
            }
        }
    }
}

/// A scene change brings other creatures: each one the table holds gets a replicated entity
/// (in the host's room while hidden), and those the party left behind lose theirs.
pub(crate) fn sync_views(campaign: &mut Campaign, commands: &mut Commands) {
    let gone: Vec<CombatantId> = campaign
        .views
        .keys()
        .copied()
        .filter(|id| campaign.table.combatant(*id).is_none())
        .collect();
    for id in gone {
        if let Some((entity, _)) = campaign.views.remove(&id) {
            commands.entity(entity).try_despawn();
        }
    }
    for c in &campaign.table.combatants {
        if campaign.views.contains_key(&c.id) {
            continue;
        }
        let visible = campaign.table.party_sees(c.id);
        let entity = commands
            .spawn((
                Name::new(format!("{}: {}", campaign.id, c.name)),
                CombatantSheet::of(&campaign.id, c),
                CombatantStatus::of(c, None),
                Replicate::to_clients(NetworkTarget::All),
                Rooms::single(if visible {
                    campaign.room
                } else {
                    campaign.host_room
                }),
            ))
            .id();
        campaign.views.insert(c.id, (entity, visible));
    }
}
