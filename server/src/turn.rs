//! The turn pipeline after intake: resolve queued intents with the rules, advance time
//! (timeouts, NPC turns), publish events and views.

use crate::campaign::Campaign;
use crate::outbox::Outbox;
use crate::settings::ServerSettings;
use bevy::prelude::*;
use emberkeep_shared::prelude::*;

fn now_ms(time: &Time) -> u64 {
    time.elapsed().as_millis() as u64
}

/// Resolves every queued intent in arrival order, one at a time.
pub(crate) fn resolve(
    mut campaigns: Query<&mut Campaign>,
    mut outbox: ResMut<Outbox>,
    time: Res<Time>,
) {
    let now = now_ms(&time);
    for mut campaign in &mut campaigns {
        while let Some(intent) = campaign.inbox.pop_front() {
            match campaign.table.submit(intent.character, intent.action, now) {
                Ok(()) => {
                    campaign.stats.accepted += 1;
                    outbox.send(
                        intent.link,
                        ToClient::Accepted {
                            client_seq: intent.client_seq,
                        },
                    );
                }
                Err(rejection) => {
                    *campaign
                        .stats
                        .rejected
                        .entry(format!("{:?}", rejection.code))
                        .or_default() += 1;
                    outbox.send(
                        intent.link,
                        ToClient::Rejected {
                            client_seq: intent.client_seq,
                            code: rejection.code,
                            reason: rejection.reason,
                        },
                    );
                }
            }
        }
    }
}

/// Turn timeouts and NPC turns.
pub(crate) fn advance(mut campaigns: Query<&mut Campaign>, time: Res<Time>) {
    let now = now_ms(&time);
    for mut campaign in &mut campaigns {
        campaign.table.tick(now);
    }
}

/// Sends new events to every link seated at the campaign and mirrors the table into the
/// replicated components (writing only what changed, so nothing is re-sent needlessly).
pub(crate) fn publish(
    mut campaigns: Query<(&mut Campaign, &mut TableView)>,
    mut statuses: Query<&mut CombatantStatus>,
    mut outbox: ResMut<Outbox>,
    settings: Res<ServerSettings>,
    time: Res<Time>,
) {
    let now = now_ms(&time);
    for (mut campaign, mut view) in &mut campaigns {
        let fresh: Vec<SeqEvent> = campaign
            .table
            .events_since(campaign.published_seq + 1)
            .to_vec();
        if let Some(last) = fresh.last() {
            campaign.published_seq = last.seq;
        }
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
                outbox.send(link, ToClient::Event(event.clone()));
            }
        }
        view.set_if_neq(TableView::of(&campaign.id, &campaign.table, now));
        for c in &campaign.table.combatants {
            if let Some(&e) = campaign.views.get(&c.id)
                && let Ok(mut status) = statuses.get_mut(e)
            {
                status.set_if_neq(CombatantStatus::of(c, campaign.player_of(c.id)));
            }
        }
    }
}
