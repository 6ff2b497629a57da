//! Messages to clients are collected during the tick and handed to lightyear in one place.

use crate::metrics::Metrics;
use bevy::prelude::*;
use emberkeep_shared::prelude::*;
use lightyear::prelude::*;

/// Messages waiting to be sent, per link, in order: control messages, and narration chunks on
/// their own channel so a long narration never delays state.
#[derive(Resource, Debug, Default)]
pub struct Outbox {
    control: Vec<(Entity, ToClient)>,
    narration: Vec<(Entity, ToClient)>,
}

impl Outbox {
    /// Queues `message` for `link` on the control channel.
    pub fn send(&mut self, link: Entity, message: ToClient) {
        self.control.push((link, message));
    }

    /// Queues a narration chunk for `link` on the narration channel.
    pub fn send_narration(&mut self, link: Entity, message: ToClient) {
        self.narration.push((link, message));
    }
}

pub(crate) fn flush(
    mut outbox: ResMut<Outbox>,
    mut senders: Query<&mut MessageSender<ToClient>>,
    metrics: Res<Metrics>,
) {
    let outbox = &mut *outbox;
    let intents = &metrics.series().intents;
    for (link, message) in outbox.control.drain(..) {
        // Every answer to an intent leaves through here: count it.
        match &message {
            ToClient::Accepted { .. } => {
                Metrics::count(intents, &[("outcome", "accepted"), ("code", "")]);
            }
            ToClient::Rejected { code, .. } => {
                Metrics::count(
                    intents,
                    &[("outcome", "rejected"), ("code", &format!("{code:?}"))],
                );
            }
            _ => {}
        }
        // A link that vanished this tick simply misses it; it will resync when it rejoins.
        if let Ok(mut sender) = senders.get_mut(link) {
            sender.send::<ControlChannel>(message);
        }
    }
    for (link, message) in outbox.narration.drain(..) {
        if let Ok(mut sender) = senders.get_mut(link) {
            sender.send::<NarrationChannel>(message);
        }
    }
}
