//! A player's own character over the network: a character file sent from a seat is read by
//! the server, checked against the content library and SRD 5.1 creation rules, built and
//! journaled; the seat plays it (sheet, name and portrait replicated to every client). A bad
//! file, a late one, or a host who refuses own characters: a clear reason, nothing changed.
//! The journal replays it without the file or the content.

use emberkeep_server::ServerSettings;
use emberkeep_server::journal::Journal;
use emberkeep_shared::chargen::{Class, example, to_ron};
use emberkeep_shared::prelude::*;
use emberkeep_tests::Stepper;
use std::path::PathBuf;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("emberkeep-own-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn settings(data: Option<PathBuf>, own: bool) -> ServerSettings {
    ServerSettings {
        encounter: "ember".into(),
        seed: 5,
        data_dir: data,
        own_characters: own,
        ..ServerSettings::default()
    }
}

/// Sends `file` from `client` as its character; steps until answered.
fn bring(s: &mut Stepper, client: usize, file: String) -> Result<(), (RejectCode, String)> {
    let seq = s.session_mut(client).act(Action::BringCharacter { file });
    s.step_until(120, |s| s.session(client).answered(seq))
        .expect("answered");
    match s.session(client).rejection(seq) {
        Some((_, code, reason)) => Err((*code, reason.clone())),
        None => Ok(()),
    }
}

#[test]
fn a_seat_brings_its_own_character_and_every_client_sees_it() {
    let data = scratch("bring");
    let mut s = Stepper::new(settings(Some(data.clone()), true));
    let c = s.seat_all(&["fighter", "cleric"]);
    let mut wizard = example(Class::Wizard);
    wizard.name = "Orla Vance".into();
    // A file with mistakes: every one is named, and nothing changes.
    let mut bad = wizard.clone();
    bad.skills = vec![emberkeep_shared::checks::Skill::Stealth];
    bad.portrait = "dragon".into();
    let before = s.campaign("table-1").table.combatants.clone();
    let (code, reason) = bring(&mut s, c[0], to_ron(&bad)).unwrap_err();
    assert_eq!(code, RejectCode::Malformed);
    assert!(
        reason.contains("skills:") && reason.contains("portrait:"),
        "{reason}"
    );
    let (_, garbage) = bring(&mut s, c[0], "(((".into()).unwrap_err();
    assert!(garbage.contains("line 1"), "{garbage}");
    assert_eq!(s.campaign("table-1").table.combatants, before);
    // The good one takes the fighter's seat.
    bring(&mut s, c[0], to_ron(&wizard)).unwrap();
    let me = s.session(c[0]).seating.as_ref().unwrap().character.unwrap();
    let table = &s.campaign("table-1").table;
    let sheet = table.combatant(me).unwrap();
    assert_eq!((sheet.name.as_str(), sheet.hit_die), ("Orla Vance", 6));
    assert!(
        sheet
            .casting
            .as_ref()
            .unwrap()
            .spells
            .contains(&"fire-bolt".to_string())
    );
    // The other player's client sees the new name and portrait.
    s.step_until(120, |s| {
        s.client_view(c[1])
            .combatants
            .get(&me)
            .is_some_and(|(sheet, _)| sheet.name == "Orla Vance" && sheet.portrait == "wizard")
    })
    .expect("the brought character replicated");
    // The journal replays it with neither the file nor the content.
    let live = s.campaign("table-1").table.clone();
    let restored = Journal::restore(&data.join("table-1")).unwrap();
    assert_eq!(restored.rejected_replays, 0);
    assert_eq!(
        serde_json::to_value(&restored.table).unwrap(),
        serde_json::to_value(&live).unwrap()
    );
}

#[test]
fn own_characters_are_refused_when_the_host_says_so_or_the_story_has_begun() {
    let mut s = Stepper::new(settings(None, false));
    let c = s.seat_all(&["rogue", "host"]);
    let (code, reason) = bring(&mut s, c[0], to_ron(&example(Class::Rogue))).unwrap_err();
    assert_eq!(code, RejectCode::NotAllowed);
    assert!(reason.contains("host"), "{reason}");

    let mut s = Stepper::new(settings(None, true));
    let c = s.seat_all(&["rogue", "host"]);
    s.session_mut(c[1]).host_command("xp 40");
    s.step_until(120, |s| {
        s.campaign("table-1")
            .table
            .combatants
            .iter()
            .any(|c| c.xp > 0)
    })
    .expect("experience given");
    let (code, reason) = bring(&mut s, c[0], to_ron(&example(Class::Rogue))).unwrap_err();
    assert_eq!(code, RejectCode::WrongMode);
    assert!(reason.contains("new campaign"), "{reason}");
}
