//! Recaps retold by the model: each recap the rules told (to a returning seat, or to all at
//! the host's word) is written again for the same audience, streamed like narration, in a slot
//! of its own beside the narration, so a player catching up never holds the others' actions.

use super::bridge::{Job, Kind};
use super::check::Gate;
use super::{Active, Bridge, Narrator, NarratorSettings, prompt};
use crate::campaign::Campaign;
use emberkeep_shared::prelude::*;
use emberkeep_shared::story::StoryEvent;
use std::time::{Duration, Instant};

/// The rules' recaps told since last time are written again by the model for the same
/// seats, one at a time, streamed like narration (the rules' recap is the fallback).
pub(super) fn recaps(
    campaign: &Campaign,
    narrator: &mut Narrator,
    bridge: &Bridge,
    settings: &NarratorSettings,
) {
    let published = campaign.published_seq;
    if published > narrator.recapped_to
        && let Some(events) = campaign.table.events_since(narrator.recapped_to + 1)
    {
        for e in events.filter(|e| e.seq <= published) {
            if let GameEvent::Story(StoryEvent::Recap { text }) = &e.event {
                narrator
                    .recaps
                    .push_back((e.audience.clone(), text.clone()));
            }
        }
    }
    narrator.recapped_to = narrator.recapped_to.max(published);
    if narrator.recap.is_some() {
        return;
    }
    let Some((audience, text)) = narrator.recaps.pop_front() else {
        return;
    };
    narrator.next_id += 1;
    let id = narrator.next_id;
    bridge.send(Job {
        kind: Kind::Narrate,
        campaign: campaign.id.clone(),
        id,
        system: prompt::RECAP_SYSTEM.into(),
        user: prompt::recap_prompt(campaign, &text),
    });
    let limit = narrator
        .deadline
        .unwrap_or_else(|| settings.narration_deadline());
    let started = Instant::now();
    narrator.recap = Some(Active {
        id,
        started,
        gate: Gate::default(),
        events: Vec::new(),
        deadline: started
            .checked_add(limit)
            .unwrap_or(started + Duration::from_secs(86_400)),
        recap: Some((audience, text)),
    });
}
