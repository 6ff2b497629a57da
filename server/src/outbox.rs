//! Messages to clients are collected during the tick and handed to lightyear in one place.

use bevy::prelude::*;
use emberkeep_shared::prelude::*;
use lightyear::prelude::*;

/// Messages waiting to be sent, per link, in order.
#[derive(Resource, Debug, Default)]
pub struct Outbox(Vec<(Entity, ToClient)>);

impl Outbox {
    /// Queues `message` for `link`.
    pub fn send(&mut self, link: Entity, message: ToClient) {
        self.0.push((link, message));
    }
}

pub(crate) fn flush(mut outbox: ResMut<Outbox>, mut senders: Query<&mut MessageSender<ToClient>>) {
    for (link, message) in outbox.0.drain(..) {
        // A link that vanished this tick simply misses it; it will resync when it rejoins.
        if let Ok(mut sender) = senders.get_mut(link) {
            sender.send::<ControlChannel>(message);
        }
    }
}
