//! The narrator against a local HTTP server speaking the real OpenAI and Anthropic streaming
//! formats: normal streams, 429 then success, 500, a stall, a cut-off stream, malformed and
//! illegal NPC choices, late NPC answers — the table keeps playing and clients get a coherent
//! narration. A campaign whose model stalls does not delay another. (The model's side runs in
//! real time; the tests wait for outcomes with bounded real-time polling, never asserting an
//! upper bound on a duration.) Safety — garbage `Retry-After`, narrations that never finish,
//! player text in prompts, false claims in answers, hidden creatures — is in
//! `narrator_safety.rs`.

mod narrator_common;

use emberkeep_client::net::Status;
use emberkeep_server::narrator::Narrator;
use emberkeep_server::narrator::backend::Wire;
use emberkeep_server::open_campaign;
use emberkeep_shared::prelude::*;
use emberkeep_tests::Stepper;
use emberkeep_tests::fake_model::{Answer, FakeModel, Format};
use narrator_common::*;
use std::time::Duration;

/// One sample of the server's Prometheus metrics (`name{labels}` as exposed), after a frame
/// (the metrics take the campaigns' counters at the end of each).
fn metric(s: &mut Stepper, series: &str) -> f64 {
    s.step(1);
    let text = s
        .server
        .world()
        .resource::<emberkeep_server::metrics::Metrics>()
        .render();
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |v| v.trim().parse().expect("a number"))
}

fn narrated_by(wire: Wire, format: Format) {
    let model = FakeModel::start(format, |_, body| {
        if is_npc_prompt(body) {
            Answer::Text(vec!["{\"choice\": 1}".into()])
        } else {
            Answer::Text(vec![
                "Goblins burst ".into(),
                "from the brush, ".into(),
                "howling.".into(),
            ])
        }
    });
    let mut s = Stepper::new(settings(&model, wire));
    let c = seat(&mut s, "fighter");
    wait(&mut s, "a narration", |s| !narrations(s, c).is_empty());
    let (text, source) = narrations(&s, c)[0].clone();
    assert_eq!(text, "Goblins burst from the brush, howling.");
    assert_eq!(source, wire.name());
    // The chunks streamed in order and assembled to the same text.
    assert_eq!(s.session(c).streamed[0].1.trim(), text);
    // The request carried a structured snapshot, not a transcript, and no secret in the body.
    let body = model
        .requests
        .lock()
        .unwrap()
        .iter()
        .find(|b| !is_npc_prompt(b))
        .cloned()
        .unwrap();
    assert!(
        body.contains("results") && body.contains("Goblin Ambush"),
        "{body}"
    );
    assert!(!body.contains("sk-test-secret"));
    // Prometheus sees the model's narration: its latency and its tokens.
    assert!(metric(&mut s, "emberkeep_narrator_seconds_count") >= 1.0);
    assert!(
        metric(
            &mut s,
            "emberkeep_narrator_tokens_total{direction=\"output\"}"
        ) > 0.0
    );
    assert_eq!(
        metric(
            &mut s,
            "emberkeep_narrator_failures_total{kind=\"narration\"}"
        ),
        0.0
    );
}

#[test]
fn an_openai_stream_is_narrated_chunk_by_chunk() {
    narrated_by(Wire::OpenAi, Format::OpenAi);
}

#[test]
fn an_anthropic_stream_is_narrated_chunk_by_chunk() {
    narrated_by(Wire::Anthropic, Format::Anthropic);
}

#[test]
fn a_429_is_retried_and_then_succeeds() {
    let model = FakeModel::start(Format::OpenAi, |n, body| match (n, is_npc_prompt(body)) {
        (_, true) => Answer::Text(vec!["{\"choice\": 1}".into()]),
        (0, false) => Answer::Status(429),
        _ => Answer::Text(vec!["The ambush is sprung.".into()]),
    });
    let mut s = Stepper::new(settings(&model, Wire::OpenAi));
    let c = seat(&mut s, "rogue");
    wait(&mut s, "a narration", |s| !narrations(s, c).is_empty());
    assert_eq!(
        narrations(&s, c)[0],
        ("The ambush is sprung.".to_string(), "openai".to_string())
    );
    assert!(model.count.load(std::sync::atomic::Ordering::SeqCst) >= 2);
}

/// With the model failing in `answer`'s way, the narration falls back and the fight goes on.
fn falls_back(answer: Answer, expect_text: Option<&str>) {
    let model = FakeModel::start(Format::OpenAi, move |_, _| answer.clone());
    let mut s = Stepper::new(settings(&model, Wire::OpenAi));
    let c = seat(&mut s, "wizard");
    wait(&mut s, "a fallback narration", |s| {
        !narrations(s, c).is_empty()
    });
    let (text, source) = narrations(&s, c)[0].clone();
    assert_eq!(source, "fallback");
    assert!(!text.trim().is_empty());
    if let Some(expected) = expect_text {
        assert_eq!(text, expected);
    }
    // Prometheus counts the failure, and the time it took to give up.
    assert!(
        metric(
            &mut s,
            "emberkeep_narrator_failures_total{kind=\"narration\"}"
        ) >= 1.0
    );
    assert!(metric(&mut s, "emberkeep_narrator_seconds_count") >= 1.0);
    // The table keeps playing: NPC turns fall back to the built-in tactics and resolve.
    wait_for_an_npc_turn(&mut s);
}

#[test]
fn a_500_falls_back_to_the_builtin_narrator() {
    falls_back(Answer::Status(500), None);
}

#[test]
fn a_stall_past_the_timeout_falls_back() {
    falls_back(Answer::Stall(Duration::from_secs(5)), None);
}

#[test]
fn a_stream_cut_midway_keeps_whole_sentences() {
    falls_back(
        Answer::CutOff(vec![
            "The goblins burst from the brush. ".into(),
            "Arrows hiss thr".into(),
        ]),
        Some("The goblins burst from the brush."),
    );
}

fn npc_choice_falls_back(answer: &'static str) {
    let model = FakeModel::start(Format::OpenAi, answers(answer, "Steel rings."));
    let mut s = Stepper::new(settings(&model, Wire::OpenAi));
    let _c = seat(&mut s, "cleric");
    wait_for_an_npc_turn(&mut s);
    let world = s.server.world_mut();
    let mut q = world.query::<&Narrator>();
    let usage = q.iter(world).next().unwrap().usage.clone();
    assert!(usage.npc_fallbacks >= 1, "{usage:?}");
    assert_eq!(usage.npc_choices, 0);
    assert!(metric(&mut s, "emberkeep_narrator_failures_total{kind=\"npc\"}") >= 1.0);
}

#[test]
fn malformed_json_for_an_npc_choice_falls_back_to_tactics() {
    npc_choice_falls_back("I shall attack the nearest fool!");
}

#[test]
fn an_illegal_npc_choice_falls_back_to_tactics() {
    npc_choice_falls_back("{\"choice\": 99}");
}

#[test]
fn a_legal_npc_choice_is_played() {
    let model = FakeModel::start(Format::OpenAi, answers("{\"choice\": 1}", "Steel rings."));
    let mut s = Stepper::new(settings(&model, Wire::OpenAi));
    let _c = seat(&mut s, "fighter");
    wait(&mut s, "a chosen NPC turn", |s| {
        let world = s.server.world_mut();
        let mut q = world.query::<&Narrator>();
        q.iter(world)
            .next()
            .is_some_and(|n| n.usage.npc_choices >= 1)
    });
}

#[test]
fn a_stalled_model_in_one_campaign_does_not_delay_another() {
    // The goblin table's model calls stall; the crypt table's answer at once.
    let model = FakeModel::start(Format::OpenAi, |_, body| {
        if body.contains("Goblin") {
            Answer::Stall(Duration::from_secs(20))
        } else {
            Answer::Text(vec!["Dust drifts in the torchlight.".into()])
        }
    });
    let mut settings = settings(&model, Wire::OpenAi);
    if let Some(m) = &mut settings.narrator.model {
        m.stall_timeout = Duration::from_secs(15);
        m.total_timeout = Duration::from_secs(20);
    }
    let mut s = Stepper::new(settings);
    open_campaign(s.server.world_mut(), "table-2", "crypt-of-bones", 3).unwrap();
    let goblins = seat(&mut s, "fighter");
    let crypt = s.add_client("wizard", Some("table-2"));
    wait(&mut s, "the crypt seat", |s| {
        s.session(crypt).status == Status::Seated
    });
    // The goblin narration is stuck; the crypt table acts and is narrated meanwhile.
    let seq = s.session_mut(crypt).act(Action::Declare {
        text: "I raise my torch".into(),
    });
    wait(&mut s, "the crypt narration", |s| {
        s.session(crypt).accepted.contains(&seq) && !narrations(s, crypt).is_empty()
    });
    assert_eq!(narrations(&s, crypt)[0].1, "openai");
    assert!(
        narrations(&s, goblins).is_empty(),
        "the stalled model answered?"
    );
    // And the goblin table's tick keeps running: a player's intent is still resolved at once.
    let seq = s.session_mut(goblins).act(Action::Declare {
        text: "I shout a warning".into(),
    });
    wait(&mut s, "an answer on the stalled table", |s| {
        s.session(goblins).answered(seq)
    });
}

#[test]
fn a_spent_budget_falls_back_to_builtin_narration() {
    let model = FakeModel::start(Format::OpenAi, answers("{\"choice\": 1}", "Blades flash."));
    let mut settings = settings(&model, Wire::OpenAi);
    // One answer costs 70 tokens in the fake's usage figures.
    settings.narrator.budget_tokens = Some(60);
    let mut s = Stepper::new(settings);
    let c = seat(&mut s, "fighter");
    wait(&mut s, "a built-in narration after the budget", |s| {
        narrations(s, c).iter().any(|n| n.1 == "builtin")
    });
    let all = narrations(&s, c);
    assert_eq!(all[0].1, "openai");
    let world = s.server.world_mut();
    let mut q = world.query::<&Narrator>();
    let usage = q.iter(world).next().unwrap().usage.clone();
    assert!(
        usage.exhausted && usage.input_tokens + usage.output_tokens >= 60,
        "{usage:?}"
    );
}

#[test]
fn in_exploration_what_arrives_during_a_narration_waits_for_it_in_arrival_order() {
    // Each narration takes the model a moment (long next to a frame, short of its timeouts).
    let model = FakeModel::start(Format::OpenAi, |_, body| {
        if is_npc_prompt(body) {
            Answer::Text(vec!["{\"choice\": 1}".into()])
        } else {
            Answer::Late(
                Duration::from_millis(300),
                Box::new(Answer::Text(vec!["The torchlight trembles.".into()])),
            )
        }
    });
    let mut s = Stepper::new(emberkeep_server::ServerSettings {
        encounter: "crypt-of-bones".into(),
        ..settings(&model, Wire::OpenAi)
    });
    let c = seat(&mut s, "wizard");
    let declare =
        |s: &mut Stepper, text: &str| s.session_mut(c).act(Action::Declare { text: text.into() });
    let first = declare(&mut s, "I raise my torch");
    wait(&mut s, "the first action", |s| {
        s.session(c).accepted.contains(&first)
    });
    let narrating = |s: &mut Stepper| {
        let world = s.server.world_mut();
        let mut q = world.query::<&Narrator>();
        q.iter(world).next().is_some_and(Narrator::busy)
    };
    // Judged first (no check), then narrated.
    wait(&mut s, "the first action's narration", |s| narrating(s));
    // The next action arrives while it is: it waits in the inbox…
    let second = declare(&mut s, "I listen at the doorway");
    wait(&mut s, "the second action to arrive", |s| {
        s.campaign("table-1")
            .inbox
            .iter()
            .any(|q| matches!(q.input, emberkeep_server::journal::Input::Act { .. }))
    });
    assert!(narrating(&mut s), "the narration is not written yet");
    // …and a host command that arrives after it waits behind it.
    emberkeep_server::console::execute(s.server.world_mut(), None, "narrate The wind howls.");
    wait(&mut s, "the second action", |s| {
        s.session(c).accepted.contains(&second)
    });
    s.step(2);
    let log: Vec<GameEvent> = s
        .campaign("table-1")
        .table
        .log
        .iter()
        .map(|e| e.event.clone())
        .collect();
    let at = |what: &dyn Fn(&GameEvent) -> bool| log.iter().position(what).expect("in the log");
    let declared = |text: &'static str| move |e: &GameEvent| matches!(e, GameEvent::ActionDeclared { text: t, .. } if t == text);
    let first_at = at(&declared("I raise my torch"));
    let narrated_at = first_at
        + 1
        + log[first_at + 1..]
            .iter()
            .position(|e| matches!(e, GameEvent::Narration { source, .. } if source == "openai"))
            .expect("the first action is narrated by the model");
    let second_at = at(&declared("I listen at the doorway"));
    let host_at =
        at(&|e| matches!(e, GameEvent::HostNarration { text } if text == "The wind howls."));
    assert!(
        first_at < narrated_at && narrated_at < second_at && second_at < host_at,
        "declared {first_at}, narrated {narrated_at}, declared {second_at}, host {host_at}"
    );
}
