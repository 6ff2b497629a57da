//! Durable tables: an input is acknowledged only once its journal line is written and synced (a
//! full, unwritable or failing disk refuses it, and the table recovers when saving works again); a restore
//! rebuilds the live table exactly; an archived or damaged campaign is never overwritten.

use bevy::prelude::Mut;
use emberkeep_client::net::Status;
use emberkeep_server::console::execute;
use emberkeep_server::journal::{CANNOT_SAVE, Fault, Journal, SNAPSHOT_EVERY};
use emberkeep_server::{Campaign, ServerSettings};
use emberkeep_shared::prelude::*;
use emberkeep_tests::Stepper;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("emberkeep-dj-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn settings(encounter: &str, data: &Path) -> ServerSettings {
    ServerSettings {
        encounter: encounter.into(),
        seed: 11,
        turn_timeout: Duration::from_millis(1500),
        rate_per_second: 100_000.0,
        rate_burst: 100_000.0,
        data_dir: Some(data.to_path_buf()),
        ..ServerSettings::default()
    }
}

fn campaign_mut<'a>(s: &'a mut Stepper, id: &str) -> Mut<'a, Campaign> {
    let world = s.server.world_mut();
    let mut q = world.query::<&mut Campaign>();
    q.iter_mut(world).find(|c| c.id == id).expect("campaign")
}

fn fault(s: &mut Stepper, fault: Option<Fault>) {
    campaign_mut(s, "table-1")
        .journal
        .as_mut()
        .expect("a journal")
        .inject_fault(fault);
}

fn declared(table: &Table) -> Vec<String> {
    table
        .log
        .iter()
        .filter_map(|e| match &e.event {
            GameEvent::ActionDeclared { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// The declared texts in a journal file, in order.
fn journaled(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("journal.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("every line is whole"))
        .filter_map(|v| {
            v["input"]["Act"]["action"]["Declare"]["text"]
                .as_str()
                .map(String::from)
        })
        .collect()
}

fn same(a: &Table, b: &Table) -> bool {
    serde_json::to_value(a).unwrap() == serde_json::to_value(b).unwrap()
}

/// Declares `text` from `client` and steps until it is answered: `Ok` if accepted.
fn declare(
    s: &mut Stepper,
    client: usize,
    text: &str,
    sent: &mut BTreeMap<u32, String>,
) -> Result<(), (RejectCode, String)> {
    let seq = s
        .session_mut(client)
        .act(Action::Declare { text: text.into() });
    sent.insert(seq, text.into());
    s.step_until(60, |s| {
        s.session(client).accepted.contains(&seq) || s.session(client).rejection(seq).is_some()
    })
    .expect("answered");
    match s.session(client).rejection(seq) {
        Some((_, code, reason)) => Err((*code, reason.clone())),
        None => Ok(()),
    }
}

#[test]
fn a_full_disk_refuses_inputs_until_it_clears_and_nothing_acknowledged_is_lost() {
    let data = scratch("full");
    let mut s = Stepper::new(settings("crypt-of-bones", &data));
    let c = s.seat_all(&["fighter", "host"]);
    let (fighter, host) = (c[0], c[1]);
    let mut sent = BTreeMap::new();
    declare(&mut s, fighter, "before", &mut sent).unwrap();
    // The disk fills up (a real one where there is /dev/full).
    let full = if Path::new("/dev/full").exists() {
        Fault::Redirect("/dev/full".into())
    } else {
        Fault::Torn(0)
    };
    fault(&mut s, Some(full));
    let refused = declare(&mut s, fighter, "during the full disk", &mut sent).unwrap_err();
    assert_eq!(refused, (RejectCode::Unavailable, CANNOT_SAVE.to_string()));
    let status = execute(s.server.world_mut(), None, "status");
    assert!(status.contains("journal: FAILING: "), "{status}");
    s.step(2);
    assert!(
        s.session(host)
            .host_replies
            .iter()
            .any(|r| r.contains("cannot save")),
        "{:?}",
        s.session(host).host_replies
    );
    // Half of a line reaches the disk before it fails: nothing of it stays.
    fault(&mut s, Some(Fault::Torn(12)));
    declare(&mut s, fighter, "half written", &mut sent).unwrap_err();
    assert!(
        !declared(&s.campaign("table-1").table)
            .iter()
            .any(|t| t != "before")
    );
    // The line is written but the disk cannot make it durable: refused, and nothing of it kept
    // (the frame's lines are cut off the file, the table put back).
    fault(&mut s, Some(Fault::SyncFails));
    let refused = declare(&mut s, fighter, "never durable", &mut sent).unwrap_err();
    assert_eq!(refused, (RejectCode::Unavailable, CANNOT_SAVE.to_string()));
    assert!(
        !declared(&s.campaign("table-1").table)
            .iter()
            .any(|t| t != "before")
    );
    assert_eq!(journaled(&data.join("table-1")), ["before"]);
    // The disk has room again: the next input is accepted, the host told.
    fault(&mut s, None);
    declare(&mut s, fighter, "after", &mut sent).unwrap();
    let status = execute(s.server.world_mut(), None, "status");
    assert!(status.contains("journal: on"), "{status}");
    s.step(2);
    assert!(
        s.session(host)
            .host_replies
            .iter()
            .any(|r| r.contains("saving works again"))
    );
    // Exactly the acknowledged intents are in the journal, each matched to its client_seq.
    let accepted: Vec<String> = s
        .session(fighter)
        .accepted
        .iter()
        .filter_map(|seq| sent.get(seq).cloned())
        .collect();
    assert_eq!(accepted, ["before", "after"]);
    let dir = data.join("table-1");
    assert_eq!(journaled(&dir), accepted);
    let live = s.campaign("table-1").table.clone();
    assert_eq!(declared(&live), accepted);
    let restored = Journal::restore(&dir).unwrap();
    assert_eq!((restored.quarantined, restored.rejected_replays), (0, 0));
    assert!(same(&restored.table, &live));
    drop(restored);
    // And a restarted server resumes it.
    drop(s);
    let mut s = Stepper::new(settings("crypt-of-bones", &data));
    assert_eq!(declared(&s.campaign("table-1").table), accepted);
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn an_unwritable_data_dir_refuses_inputs_and_says_so_until_it_works() {
    let root = scratch("unwritable");
    let blocker = root.join("blocker");
    std::fs::write(&blocker, "a file where a folder should be").unwrap();
    let data = blocker.join("data");
    let mut s = Stepper::new(settings("crypt-of-bones", &data));
    let c = s.seat_all(&["fighter"]);
    let status = execute(s.server.world_mut(), None, "status");
    assert!(status.contains("journal: FAILING: "), "{status}");
    assert!(!status.contains("no --data-dir"), "{status}");
    let mut sent = BTreeMap::new();
    let refused = declare(&mut s, c[0], "nowhere to write", &mut sent).unwrap_err();
    assert_eq!(refused.0, RejectCode::Unavailable);
    std::fs::remove_file(&blocker).unwrap();
    declare(&mut s, c[0], "written", &mut sent).unwrap();
    let status = execute(s.server.world_mut(), None, "status");
    assert!(status.contains("journal: on"), "{status}");
    drop(s);
    let mut s = Stepper::new(settings("crypt-of-bones", &data));
    assert_eq!(declared(&s.campaign("table-1").table), ["written"]);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_restore_rebuilds_the_live_table_exactly() {
    let data = scratch("exact");
    let mut s = Stepper::new(settings("goblin-ambush", &data));
    let dir = data.join("table-1");
    let first_snapshot = std::fs::read(dir.join("snapshot.json")).unwrap();
    let c = s.seat_all(&["fighter", "rogue", "cleric", "wizard"]);
    for &p in &c {
        s.autoplay(p, true);
    }
    let target = 2 * SNAPSHOT_EVERY + 50;
    let mut i = 0;
    s.step_until(5_000, |s| {
        i += 1;
        if i % 2 == 0 {
            execute(
                s.server.world_mut(),
                None,
                &format!("narrate The wind howls ({i})."),
            );
        }
        s.campaign("table-1").journal.as_ref().unwrap().len >= target
    })
    .expect("enough play");
    let live = s.campaign("table-1").table.clone();
    assert!(
        live.log
            .iter()
            .any(|e| matches!(e.event, GameEvent::Attacked(_))),
        "the dice were rolled"
    );
    // From the latest snapshot and the journal after it.
    let restored = Journal::restore(&dir).unwrap();
    assert!(restored.replayed > 0 && restored.replayed < SNAPSHOT_EVERY);
    assert_eq!((restored.rejected_replays, restored.quarantined), (0, 0));
    assert!(same(&restored.table, &live), "the restored table differs");
    // From the first snapshot and the whole journal (far more than a snapshot interval).
    let copy = scratch("exact-copy");
    for f in ["meta.json", "journal.jsonl"] {
        std::fs::copy(dir.join(f), copy.join(f)).unwrap();
    }
    std::fs::write(copy.join("snapshot.json"), first_snapshot).unwrap();
    let restored = Journal::restore(&copy).unwrap();
    assert!(restored.replayed >= target);
    assert_eq!(restored.rejected_replays, 0);
    assert!(same(&restored.table, &live), "the replayed table differs");
    let _ = std::fs::remove_dir_all(&data);
    let _ = std::fs::remove_dir_all(&copy);
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn an_archived_campaign_is_never_overwritten_by_a_restart() {
    let data = scratch("archived");
    let mut s = Stepper::new(settings("crypt-of-bones", &data));
    let c = s.seat_all(&["fighter"]);
    declare(&mut s, c[0], "remember me", &mut BTreeMap::new()).unwrap();
    let answer = execute(s.server.world_mut(), None, "archive table-1");
    assert!(answer.starts_with("archived table-1"), "{answer}");
    let before = files(&data.join("table-1"));
    drop(s);
    // Nothing to resume: a new campaign opens, under a fresh id.
    let mut s = Stepper::new(settings("crypt-of-bones", &data));
    assert_eq!(s.campaign("table-2").table.next_seq, 1);
    assert_eq!(
        files(&data.join("table-1")),
        before,
        "the archive was touched"
    );
    let listed = execute(s.server.world_mut(), None, "campaigns");
    assert!(listed.contains("table-1  archived"), "{listed}");
    assert_eq!(
        execute(s.server.world_mut(), None, "reopen table-1"),
        "reopened table-1"
    );
    assert!(declared(&s.campaign("table-1").table).contains(&"remember me".to_string()));
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn a_damaged_campaign_is_reported_and_left_alone() {
    let data = scratch("damaged");
    let mut s = Stepper::new(settings("crypt-of-bones", &data));
    let c = s.seat_all(&["fighter"]);
    declare(&mut s, c[0], "still here", &mut BTreeMap::new()).unwrap();
    drop(s);
    let dir = data.join("table-1");
    std::fs::write(dir.join("snapshot.json"), "{ not a snapshot").unwrap();
    let before = files(&dir);
    let mut s = Stepper::new(settings("crypt-of-bones", &data));
    let world = s.server.world_mut();
    let mut q = world.query::<&Campaign>();
    let open: Vec<String> = q.iter(world).map(|c| c.id.clone()).collect();
    assert_eq!(open, ["table-2"]);
    assert_eq!(files(&dir), before, "the damaged campaign was touched");
    let listed = execute(s.server.world_mut(), None, "campaigns");
    assert!(listed.contains("table-1  closed"), "{listed}");
    let answer = execute(s.server.world_mut(), None, "reopen table-1");
    assert!(
        answer.starts_with("cannot reopen table-1") && answer.contains("snapshot.json"),
        "{answer}"
    );
    assert_eq!(files(&dir), before);
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn a_refused_input_reaches_only_its_sender() {
    // Nothing of it is published: the other seats see no event.
    let data = scratch("quiet");
    let mut s = Stepper::new(settings("crypt-of-bones", &data));
    let c = s.seat_all(&["fighter", "wizard"]);
    s.step(3);
    let seen = s.session(c[1]).last_seq();
    fault(&mut s, Some(Fault::Torn(0)));
    declare(&mut s, c[0], "lost", &mut BTreeMap::new()).unwrap_err();
    s.step(5);
    assert_eq!(s.session(c[1]).last_seq(), seen);
    assert_eq!(s.session(c[1]).status, Status::Seated);
    let _ = std::fs::remove_dir_all(&data);
}
