//! The turn pipeline after intake: resolve queued inputs with the rules, advance time
//! (timeouts, NPC turns), publish events (each only to the seats allowed to see it) and views.

use crate::campaign::Campaign;
use crate::journal::{Entry, Input};
use crate::narrator::{Bridge, Narration, Narrator};
use crate::outbox::Outbox;
use crate::session::Session;
use crate::settings::ServerSettings;
use bevy::prelude::*;
use emberkeep_shared::prelude::*;
use emberkeep_shared::protocol::Role;
use lightyear::prelude::Rooms;

/// Resolves every queued input in arrival order, one at a time. Outside combat, a model's
/// narration of the last action finishes before the next action resolves.
pub(crate) fn resolve(
    mut campaigns: Query<(&mut Campaign, Option<&Narrator>)>,
    mut outbox: ResMut<Outbox>,
    time: Res<Time>,
) {
    for (mut campaign, narrator) in &mut campaigns {
        let now = campaign.now(&time);
        loop {
            if campaign.table.combat.is_none() && narrator.is_some_and(Narrator::busy) {
                break;
            }
            let Some((sender, input)) = campaign.inbox.pop_front() else {
                break;
            };
            match campaign.perform(input, now) {
                Ok(()) => {
                    if let Some(client_seq) = sender.client_seq {
                        outbox.send(sender.link, ToClient::Accepted { client_seq });
                    }
                }
                Err(rejection) => {
                    *campaign
                        .stats
                        .rejected
                        .entry(format!("{:?}", rejection.code))
                        .or_default() += 1;
                    if let Some(client_seq) = sender.client_seq {
                        outbox.send(
                            sender.link,
                            ToClient::Rejected {
                                client_seq,
                                code: rejection.code,
                                reason: rejection.reason,
                            },
                        );
                    }
                }
            }
        }
    }
}

/// Turn timeouts and (without the model's NPC brain) built-in NPC turns; a tick that changed
/// the table is journaled (if it cannot be, the table is put back and the next frame tries
/// again).
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
        let before = campaign.table.next_seq;
        let input = if brain {
            campaign.table.tick_players(now);
            Input::Timeouts
        } else {
            campaign.table.tick(now);
            Input::Tick
        };
        if campaign.table.next_seq != before {
            // A failure is logged and undone by `record`.
            let _ = campaign.record(&Entry { t: now, input });
        }
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
        let _ = campaign.perform(
            Input::Host(crate::journal::HostOp::Companion {
                character,
                on: true,
            }),
            now,
        );
    }
}

/// Sends new events to the links seated at the campaign that may see them, reveals creatures
/// that stopped hiding, and mirrors the table into the replicated components (writing only
/// what changed, so nothing is re-sent needlessly).
pub(crate) fn publish(
    mut campaigns: Query<(&mut Campaign, &mut TableView)>,
    mut statuses: Query<&mut CombatantStatus>,
    mut sessions: Query<&mut Session>,
    mut outbox: ResMut<Outbox>,
    settings: Res<ServerSettings>,
    time: Res<Time>,
    mut commands: Commands,
) {
    for (mut campaign, mut view) in &mut campaigns {
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
        view.set_if_neq(TableView::of(&campaign.id, &campaign.table, now));
        let room = campaign.room;
        let campaign = &mut *campaign;
        for c in &campaign.table.combatants {
            let player = campaign.player_of(c.id);
            let Some((entity, visible)) = campaign.views.get_mut(&c.id) else {
                continue;
            };
            if !*visible && !c.hidden {
                *visible = true;
                commands.entity(*entity).insert(Rooms::single(room));
            }
            if let Ok(mut status) = statuses.get_mut(*entity) {
                status.set_if_neq(CombatantStatus::of(c, player));
            }
        }
    }
}
