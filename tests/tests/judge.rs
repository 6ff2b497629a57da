//! Free-form actions judged by a model speaking the real OpenAI and Anthropic wire formats (a
//! local fake server): a valid check is rolled by the rules; a malformed answer, an unknown
//! skill or a DC out of range falls back to the built-in keyword table; "no check" rolls
//! nothing. The narration follows the roll.

mod narrator_common;

use emberkeep_server::narrator::Narrator;
use emberkeep_server::narrator::backend::Wire;
use emberkeep_shared::checks::Skill;
use emberkeep_shared::prelude::*;
use emberkeep_shared::story::StoryEvent;
use emberkeep_tests::Stepper;
use emberkeep_tests::fake_model::{Answer, FakeModel, Format};
use narrator_common::*;

/// Declares `text` in the crypt (exploring) with the model judging as `judgment`; returns the
/// checks rolled and the narrator's counters once the action is narrated.
fn judged(
    wire: Wire,
    format: Format,
    judgment: &'static str,
    text: &str,
) -> (
    Vec<(Skill, Option<i32>)>,
    emberkeep_server::narrator::NarratorUsage,
    Stepper,
) {
    let model = FakeModel::start(format, move |_, body| {
        if is_judge_prompt(body) {
            Answer::Text(vec![judgment.into()])
        } else if is_npc_prompt(body) {
            Answer::Text(vec!["{\"choice\": 1}".into()])
        } else {
            Answer::Text(vec!["The torchlight trembles.".into()])
        }
    });
    let mut s = Stepper::new(emberkeep_server::ServerSettings {
        encounter: "crypt-of-bones".into(),
        ..settings(&model, wire)
    });
    let c = seat(&mut s, "fighter");
    let seq = s.session_mut(c).act(Action::Declare { text: text.into() });
    wait(&mut s, "the action narrated", |s| {
        s.session(c).accepted.contains(&seq)
            && s.campaign("table-1").table.judging.is_none()
            && narrations(s, c)
                .iter()
                .any(|(t, _)| t.contains("torchlight") || !t.is_empty())
    });
    let checks = s
        .campaign("table-1")
        .table
        .log
        .iter()
        .filter_map(|e| match &e.event {
            GameEvent::Story(StoryEvent::Check { skill, roll, .. }) => Some((*skill, roll.dc)),
            _ => None,
        })
        .collect();
    let usage = {
        let world = s.server.world_mut();
        let mut q = world.query::<&Narrator>();
        q.iter(world).next().unwrap().usage.clone()
    };
    // The judge saw the player's words only as quoted data.
    let body = model
        .requests
        .lock()
        .unwrap()
        .iter()
        .find(|b| is_judge_prompt(b))
        .cloned()
        .expect("the model was asked to judge");
    assert!(body.contains("untrusted_player_text"), "{body}");
    (checks, usage, s)
}

#[test]
fn a_model_check_is_rolled_by_the_rules_in_both_wire_formats() {
    for (wire, format) in [
        (Wire::OpenAi, Format::OpenAi),
        (Wire::Anthropic, Format::Anthropic),
    ] {
        let (checks, usage, _) = judged(
            wire,
            format,
            r#"{"check": {"skill": "Athletics", "dc": 15, "group": false, "advantage": false}}"#,
            "I heave the sarcophagus lid aside",
        );
        assert_eq!(checks, vec![(Skill::Athletics, Some(15))], "{wire:?}");
        assert_eq!((usage.judgments, usage.judge_fallbacks), (1, 0), "{wire:?}");
    }
}

#[test]
fn no_check_rolls_nothing() {
    let (checks, usage, _) = judged(
        Wire::OpenAi,
        Format::OpenAi,
        r#"{"check": null}"#,
        "I climb onto the altar",
    );
    assert!(checks.is_empty());
    assert_eq!(usage.judgments, 1);
}

#[test]
fn malformed_unknown_or_out_of_range_answers_fall_back_to_the_keyword_table() {
    for answer in [
        "Sure, roll something!",
        r#"{"check": {"skill": "Flying", "dc": 12}}"#,
        r#"{"check": {"skill": "Athletics", "dc": 99}}"#,
        r#"{"check": {"skill": "Athletics", "dc": -5}}"#,
        r#"{"check": {"skill": "Athletics"}}"#,
    ] {
        let (checks, usage, _) = judged(
            Wire::Anthropic,
            Format::Anthropic,
            answer,
            "I climb the crumbling wall",
        );
        // The keyword table: climb → Athletics, DC 13.
        assert_eq!(checks, vec![(Skill::Athletics, Some(13))], "{answer}");
        assert_eq!((usage.judgments, usage.judge_fallbacks), (0, 1), "{answer}");
    }
}

#[test]
fn in_an_adventure_the_narrator_sees_the_scene_its_npcs_and_what_the_party_knows() {
    let model = FakeModel::start(Format::OpenAi, |_, body| {
        if is_judge_prompt(body) {
            Answer::Text(vec![r#"{"check": null}"#.into()])
        } else {
            Answer::Text(vec!["Lanterns sway on the green.".into()])
        }
    });
    let mut s = Stepper::new(emberkeep_server::ServerSettings {
        encounter: "ember".into(),
        ..settings(&model, Wire::OpenAi)
    });
    let c = seat(&mut s, "cleric");
    let seq = s.session_mut(c).act(Action::Declare {
        text: "I ask the warden what happened".into(),
    });
    wait(&mut s, "the action narrated", |s| {
        s.session(c).accepted.contains(&seq) && !narrations(s, c).is_empty()
    });
    let body = narration_requests(&model)
        .into_iter()
        .find(|b| b.contains("ask the warden"))
        .expect("the narration prompt");
    let (_, user) = messages(&body);
    let snapshot: serde_json::Value = serde_json::from_str(&user).unwrap();
    assert_eq!(snapshot["scene"], "Ashwick Green");
    assert!(
        snapshot["description"]
            .as_str()
            .unwrap()
            .contains("Shrine of the Hearth")
    );
    let npcs = snapshot["npcs"].to_string();
    assert!(
        npcs.contains("Warden Maelis") && npcs.contains("Friendly"),
        "{npcs}"
    );
    assert!(snapshot["here"].to_string().contains("The north road"));
    // Hidden things stay out: the first warden's shield is only revealed by Maelis's gift.
    assert!(!user.contains("first warden's shield"), "{user}");
}

/// A player back at an adventure under way is told the story so far and what happened while
/// away: the rules' recap at once, then the model's retelling streamed to that seat alone.
fn a_returning_player_gets_a_model_recap(wire: Wire, format: Format) {
    let model = FakeModel::start(format, |_, body| {
        if body.contains("A player is back at the table") {
            Answer::Text(vec![
                "You crossed Ashwick Green ".into(),
                "and the warden thanked you.".into(),
            ])
        } else if is_judge_prompt(body) {
            Answer::Text(vec![r#"{"check": null}"#.into()])
        } else {
            Answer::Text(vec!["Lanterns sway on the green.".into()])
        }
    });
    let mut s = Stepper::new(emberkeep_server::ServerSettings {
        encounter: "ember".into(),
        ..settings(&model, wire)
    });
    let cleric = seat(&mut s, "cleric");
    let fighter = seat(&mut s, "fighter");
    let host = seat(&mut s, "host");
    s.drop_connection(cleric);
    // SRD 5.1 "Experience Points": shared equally — 50 among four is 12 each.
    s.session_mut(host).host_command("xp 50");
    wait(&mut s, "the experience granted", |s| {
        s.campaign("table-1")
            .table
            .combatants
            .iter()
            .any(|c| c.xp == 12)
    });
    s.reconnect(cleric, "cleric", None);
    let recap = |s: &Stepper, c: usize| {
        narrations(s, c)
            .into_iter()
            .find(|(t, _)| t.contains("You crossed Ashwick Green"))
    };
    wait(&mut s, "the model's recap", |s| recap(s, cleric).is_some());
    let (text, source) = recap(&s, cleric).unwrap();
    assert_eq!(
        text,
        "You crossed Ashwick Green and the warden thanked you."
    );
    assert_eq!(source, wire.name());
    // The rules' recap came first, to the cleric's seat, with what happened while away.
    let rules = s
        .session(cleric)
        .events
        .iter()
        .find_map(|e| match &e.event {
            GameEvent::Story(StoryEvent::Recap { text }) => Some(text.clone()),
            _ => None,
        })
        .expect("the rules' recap");
    assert!(rules.contains("While you were away"), "{rules}");
    assert!(rules.contains("12 XP each"), "{rules}");
    // The model wrote from that recap; the fighter, who never left, was told neither.
    let body = narration_requests(&model)
        .into_iter()
        .find(|b| b.contains("A player is back at the table"))
        .expect("a recap prompt");
    assert!(body.contains("While you were away"), "{body}");
    s.step(20);
    assert!(recap(&s, fighter).is_none());
    assert!(
        !s.session(fighter)
            .events
            .iter()
            .any(|e| matches!(e.event, GameEvent::Story(StoryEvent::Recap { .. })))
    );
}

#[test]
fn a_returning_player_gets_a_model_recap_over_openai() {
    a_returning_player_gets_a_model_recap(Wire::OpenAi, Format::OpenAi);
}

#[test]
fn a_returning_player_gets_a_model_recap_over_anthropic() {
    a_returning_player_gets_a_model_recap(Wire::Anthropic, Format::Anthropic);
}
