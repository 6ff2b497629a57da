//! Helpers shared by the narrator tests (`narrator.rs`, `narrator_safety.rs`).

#![allow(dead_code, reason = "each test file uses its own share of these")]

use emberkeep_client::net::Status;
use emberkeep_server::ServerSettings;
use emberkeep_server::narrator::backend::{ModelConfig, Wire};
use emberkeep_server::narrator::{Narrator, NarratorSettings, NarratorUsage};
use emberkeep_shared::prelude::*;
use emberkeep_tests::Stepper;
use emberkeep_tests::fake_model::{Answer, FakeModel};
use std::time::{Duration, Instant};

/// A server narrated by `model` (fast turn timeouts, a short stall timeout, two retries).
pub fn settings(model: &FakeModel, wire: Wire) -> ServerSettings {
    ServerSettings {
        seed: 21,
        // Idle players' turns pass quickly, so NPC turns come soon.
        turn_timeout: Duration::from_secs(1),
        narrator: NarratorSettings {
            model: Some(ModelConfig {
                wire,
                base_url: model.base_url.clone(),
                model: "test-model".into(),
                api_key: Some("sk-test-secret".into()),
                stall_timeout: Duration::from_millis(400),
                total_timeout: Duration::from_secs(3),
                retries: 2,
                max_tokens: 200,
            }),
            budget_tokens: None,
            npc_brain: true,
            npc_timeout: Duration::from_secs(30),
        },
        ..ServerSettings::default()
    }
}

/// Whether a request to the model asks for an NPC's move (not a narration).
pub fn is_npc_prompt(body: &str) -> bool {
    body.contains("enemies")
}

/// Whether a request to the model asks to judge a free-form action.
pub fn is_judge_prompt(body: &str) -> bool {
    body.contains("needs an ability check")
}

/// A model that answers NPC prompts with `npc` and narration prompts with `text`.
pub fn answers(
    npc: &'static str,
    text: &'static str,
) -> impl Fn(usize, &str) -> Answer + Send + Sync + 'static {
    move |_, body| {
        Answer::Text(vec![
            if is_npc_prompt(body) { npc } else { text }.to_string(),
        ])
    }
}

/// Steps with a little real time per frame until `done`; gives up (fails) after 30 s of real
/// time, a guard against hanging, not a claim about how long anything takes.
pub fn wait(s: &mut Stepper, what: &str, mut done: impl FnMut(&mut Stepper) -> bool) {
    let start = Instant::now();
    while !done(s) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        s.step(1);
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Waits until an NPC (ids above the party's four) has ended a turn.
pub fn wait_for_an_npc_turn(s: &mut Stepper) {
    wait(s, "an NPC turn", |s| {
        s.campaign("table-1")
            .table
            .log
            .iter()
            .any(|e| matches!(e.event, GameEvent::TurnEnded { actor } if actor > 4))
    });
}

/// The finished narrations a client got: (text, source).
pub fn narrations(s: &Stepper, client: usize) -> Vec<(String, String)> {
    s.session(client)
        .events
        .iter()
        .filter_map(|e| match &e.event {
            GameEvent::Narration { text, source, .. } => Some((text.clone(), source.clone())),
            _ => None,
        })
        .collect()
}

/// Seats a client at `table-1` and waits until it is seated.
pub fn seat(s: &mut Stepper, seat: &str) -> usize {
    let c = s.add_client(seat, None);
    wait(s, "a seat", |s| s.session(c).status == Status::Seated);
    c
}

/// The narrator counters of the first campaign.
pub fn usage(s: &mut Stepper) -> NarratorUsage {
    let world = s.server.world_mut();
    let mut q = world.query::<&Narrator>();
    q.iter(world).next().expect("a campaign").usage.clone()
}

/// The narration requests the model received (NPC prompts left out), oldest first.
pub fn narration_requests(model: &FakeModel) -> Vec<String> {
    model
        .requests
        .lock()
        .unwrap()
        .iter()
        .filter(|b| !is_npc_prompt(b) && !is_judge_prompt(b))
        .cloned()
        .collect()
}

/// The system and user messages of a request body (either wire format).
pub fn messages(body: &str) -> (String, String) {
    let v: serde_json::Value = serde_json::from_str(body).expect("a JSON request");
    let messages = v["messages"].as_array().expect("messages");
    let user = messages.last().expect("a user message")["content"]
        .as_str()
        .expect("text")
        .to_string();
    let system = v["system"]
        .as_str()
        .or_else(|| messages[0]["content"].as_str())
        .expect("a system prompt")
        .to_string();
    (system, user)
}
