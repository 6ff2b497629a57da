//! The journal's files on their own: a new campaign never overwrites an existing folder;
//! damaged lines are quarantined and every later entry kept, with counts that stay right over
//! more restarts; a failed write or sync leaves nothing behind and the journal recovers; the
//! lines of many journals are made durable together; the files are private.

use emberkeep_server::journal::{
    Entry, Fault, HostOp, Input, Journal, MAX_LINE_BYTES, Meta, QUARANTINE, apply, commit,
};
use emberkeep_shared::content::ContentLibrary;
use emberkeep_shared::event::GameEvent;
use emberkeep_shared::prelude::*;
use std::path::{Path, PathBuf};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("emberkeep-jf-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn new_table() -> Table {
    let assets = emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets");
    let lib = ContentLibrary::load_dir(&assets).unwrap();
    Table::new(&lib, "crypt-of-bones", 7, 120_000).unwrap()
}

fn meta(id: &str) -> Meta {
    Meta {
        id: id.into(),
        encounter: "crypt-of-bones".into(),
        seed: 7,
        archived: false,
        seats: Vec::new(),
    }
}

fn narrate(i: u64) -> Entry {
    Entry {
        t: 1000 + i,
        input: Input::Host(HostOp::Narrate(format!("line {i}"))),
    }
}

/// Applies, records and commits, as the server does.
fn play(journal: &mut Journal, table: &mut Table, entry: &Entry) {
    apply(table, entry).unwrap();
    journal.record(entry).unwrap();
    assert_eq!(commit(&mut [journal]), [Ok(())]);
}

fn narrations(table: &Table) -> Vec<String> {
    table
        .log
        .iter()
        .filter_map(|e| match &e.event {
            GameEvent::HostNarration { text } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

fn lines(i: impl IntoIterator<Item = u64>) -> Vec<String> {
    i.into_iter().map(|i| format!("line {i}")).collect()
}

fn same(a: &Table, b: &Table) -> bool {
    serde_json::to_value(a).unwrap() == serde_json::to_value(b).unwrap()
}

fn journal_path(dir: &Path) -> PathBuf {
    dir.join("journal.jsonl")
}

#[test]
fn a_new_campaign_never_overwrites_an_existing_folder() {
    let root = scratch("exists");
    let old = root.join("table-1");
    std::fs::create_dir_all(&old).unwrap();
    std::fs::write(journal_path(&old), "precious\n").unwrap();
    let err = Journal::create(&root, &meta("table-1"), &new_table()).unwrap_err();
    assert!(err.contains("never overwritten"), "{err}");
    assert_eq!(
        std::fs::read_to_string(journal_path(&old)).unwrap(),
        "precious\n"
    );
    assert!(!old.join("meta.json").exists());
    // A fresh id is fine, once.
    Journal::create(&root, &meta("table-2"), &new_table()).unwrap();
    assert!(Journal::create(&root, &meta("table-2"), &new_table()).is_err());
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn damaged_lines_are_quarantined_and_every_later_entry_is_kept() {
    let root = scratch("quarantine");
    let mut table = new_table();
    let mut journal = Journal::create(&root, &meta("table-1"), &table).unwrap();
    let dir = journal.dir().to_path_buf();
    for i in 1..=10 {
        play(&mut journal, &mut table, &narrate(i));
    }
    drop(journal);
    // Line 4 rots; a 2 MiB line appears after line 7; the last write was torn.
    let text = std::fs::read_to_string(journal_path(&dir)).unwrap();
    let mut rows: Vec<String> = text.lines().map(String::from).collect();
    rows[3] = "{\"n\":4,\"t\":10\u{1}garbage".into();
    rows.insert(7, "x".repeat(2 * MAX_LINE_BYTES));
    let mut damaged = rows.join("\n") + "\n";
    damaged += "{\"n\":11,\"t\":1011,\"inp";
    std::fs::write(journal_path(&dir), damaged).unwrap();

    let restored = Journal::restore(&dir).unwrap();
    assert_eq!(restored.quarantined, 2);
    assert_eq!(restored.replayed, 9);
    assert_eq!(restored.rejected_replays, 0);
    let expected: Vec<u64> = (1..=10).filter(|&i| i != 4).collect();
    assert_eq!(narrations(&restored.table), lines(expected.clone()));
    // The quarantine keeps each bad line's number and a bounded copy of it.
    let quarantine = std::fs::read_to_string(dir.join(QUARANTINE)).unwrap();
    let records: Vec<serde_json::Value> = quarantine
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["line"], 4);
    assert!(records[0]["text"].as_str().unwrap().contains("garbage"));
    assert_eq!(records[1]["line"], 8);
    assert_eq!(records[1]["bytes"], 2 * MAX_LINE_BYTES as u64);
    assert_eq!(records[1]["truncated"], true);
    assert!(records[1]["text"].as_str().unwrap().len() <= 4096);
    // The journal was rewritten with the good lines only, and no torn tail.
    let text = std::fs::read_to_string(journal_path(&dir)).unwrap();
    assert!(text.ends_with('\n'));
    assert_eq!(text.lines().count(), 9);

    // Play on, then restart twice: nothing is quarantined again or lost, and both restarts
    // rebuild the same table.
    let mut table = restored.table;
    let mut journal = restored.journal;
    for i in 11..=12 {
        play(&mut journal, &mut table, &narrate(i));
    }
    drop(journal);
    let again = Journal::restore(&dir).unwrap();
    assert_eq!(again.quarantined, 0);
    assert_eq!(again.rejected_replays, 0);
    assert!(same(&again.table, &table));
    let mut expected = expected;
    expected.extend([11, 12]);
    assert_eq!(narrations(&again.table), lines(expected));
    drop(again);
    let third = Journal::restore(&dir).unwrap();
    assert!(same(&third.table, &table));
    let quarantine = std::fs::read_to_string(dir.join(QUARANTINE)).unwrap();
    assert_eq!(quarantine.lines().count(), 2);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_snapshot_and_a_quarantined_line_before_it_skip_nothing_after_it() {
    let root = scratch("counts");
    let mut table = new_table();
    let mut journal = Journal::create(&root, &meta("table-1"), &table).unwrap();
    let dir = journal.dir().to_path_buf();
    for i in 1..=5 {
        play(&mut journal, &mut table, &narrate(i));
    }
    journal.snapshot(&table).unwrap();
    for i in 6..=10 {
        play(&mut journal, &mut table, &narrate(i));
    }
    drop(journal);
    let text = std::fs::read_to_string(journal_path(&dir)).unwrap();
    let mut rows: Vec<&str> = text.lines().collect();
    rows[1] = "not json";
    std::fs::write(journal_path(&dir), rows.join("\n") + "\n").unwrap();

    let restored = Journal::restore(&dir).unwrap();
    assert_eq!(restored.quarantined, 1);
    assert_eq!(
        restored.replayed, 5,
        "entries 6 to 10 replay on the snapshot"
    );
    assert!(same(&restored.table, &table));
    let (mut table, mut journal) = (restored.table, restored.journal);
    play(&mut journal, &mut table, &narrate(11));
    drop(journal);
    for _ in 0..2 {
        let r = Journal::restore(&dir).unwrap();
        assert_eq!((r.replayed, r.quarantined, r.rejected_replays), (6, 0, 0));
        assert!(same(&r.table, &table));
        assert_eq!(narrations(&r.table), lines(1..=11));
    }
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_replay_the_rules_reject_is_counted() {
    let root = scratch("rejected");
    let table = new_table();
    let journal = Journal::create(&root, &meta("table-1"), &table).unwrap();
    let dir = journal.dir().to_path_buf();
    drop(journal);
    let bogus = Entry {
        t: 5,
        input: Input::Act {
            actor: 999,
            action: Action::Dodge,
        },
    };
    let line = serde_json::to_string(&bogus).unwrap() + "\n";
    std::fs::write(journal_path(&dir), line).unwrap();
    let restored = Journal::restore(&dir).unwrap();
    assert_eq!(restored.replayed, 1);
    assert_eq!(restored.rejected_replays, 1);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_failed_write_leaves_no_bytes_behind_and_the_journal_recovers() {
    let root = scratch("fault");
    let mut table = new_table();
    let mut journal = Journal::create(&root, &meta("table-1"), &table).unwrap();
    let dir = journal.dir().to_path_buf();
    play(&mut journal, &mut table, &narrate(1));
    let good = std::fs::metadata(journal_path(&dir)).unwrap().len();
    // Half a line reaches the disk, then it is full.
    journal.inject_fault(Some(Fault::Torn(9)));
    let err = journal.record(&narrate(2)).unwrap_err();
    assert!(err.contains("no space"), "{err}");
    assert_eq!(journal.failing(), Some(err.as_str()));
    assert_eq!(std::fs::metadata(journal_path(&dir)).unwrap().len(), good);
    // A real full disk: /dev/full.
    if Path::new("/dev/full").exists() {
        journal.inject_fault(Some(Fault::Redirect("/dev/full".into())));
        let err = journal.record(&narrate(2)).unwrap_err();
        assert!(err.contains("No space left on device"), "{err}");
    }
    assert!(journal.failing().is_some());
    journal.inject_fault(None);
    play(&mut journal, &mut table, &narrate(3));
    assert_eq!(journal.failing(), None);
    drop(journal);
    let restored = Journal::restore(&dir).unwrap();
    assert_eq!(restored.quarantined, 0);
    assert_eq!(narrations(&restored.table), lines([1, 3]));
    assert!(same(&restored.table, &table));
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_campaign_whose_files_cannot_be_made_yet_fails_then_makes_them() {
    let root = scratch("blocked");
    let blocker = root.join("blocker");
    std::fs::write(&blocker, "a file where the data dir should be").unwrap();
    let data = blocker.join("data");
    let mut table = new_table();
    let mut journal = Journal::create(&data, &meta("table-1"), &table).unwrap();
    assert!(journal.failing().is_some());
    assert!(journal.record(&narrate(1)).is_err());
    std::fs::remove_file(&blocker).unwrap();
    play(&mut journal, &mut table, &narrate(2));
    assert_eq!(journal.failing(), None);
    drop(journal);
    let restored = Journal::restore(&data.join("table-1")).unwrap();
    assert_eq!(narrations(&restored.table), lines([2]));
    let _ = std::fs::remove_dir_all(&root);
}

#[cfg(unix)]
#[test]
fn campaign_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let root = scratch("private");
    let mut table = new_table();
    let mut journal = Journal::create(&root, &meta("table-1"), &table).unwrap();
    let dir = journal.dir().to_path_buf();
    play(&mut journal, &mut table, &narrate(1));
    journal.write_meta(&meta("table-1")).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let check = |dir: &Path| {
        assert_eq!(mode(dir), 0o700);
        for f in ["meta.json", "snapshot.json", "journal.jsonl"] {
            assert_eq!(mode(&dir.join(f)), 0o600, "{f}");
        }
    };
    check(&dir);
    drop(journal);
    // Files from an older server, readable by all, are made private when resumed.
    for f in ["meta.json", "snapshot.json", "journal.jsonl"] {
        std::fs::set_permissions(dir.join(f), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    Journal::restore(&dir).unwrap();
    check(&dir);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_failed_sync_cuts_the_frame_s_lines_and_a_group_commit_syncs_them_all() {
    let root = scratch("sync");
    let mut table = new_table();
    let mut journal = Journal::create(&root, &meta("table-1"), &table).unwrap();
    let dir = journal.dir().to_path_buf();
    play(&mut journal, &mut table, &narrate(1));
    let good = std::fs::metadata(journal_path(&dir)).unwrap().len();
    // Two lines are written in a frame, then the disk fails to make them durable.
    journal.inject_fault(Some(Fault::SyncFails));
    let mut lost = table.clone();
    for i in [2, 3] {
        apply(&mut lost, &narrate(i)).unwrap();
        journal.record(&narrate(i)).unwrap();
    }
    assert!(journal.unsynced());
    assert!(std::fs::metadata(journal_path(&dir)).unwrap().len() > good);
    let err = commit(&mut [&mut journal]).remove(0).unwrap_err();
    assert!(err.contains("input/output error"), "{err}");
    assert_eq!(journal.failing(), Some(err.as_str()));
    assert!(!journal.unsynced());
    // Cut back to the last synced line, and the saved table is the one before the frame.
    assert_eq!(std::fs::metadata(journal_path(&dir)).unwrap().len(), good);
    assert!(same(&journal.saved_table().0, &table));
    assert_eq!(journal.len, 1);
    // Syncs work again: the next line follows the last synced one.
    journal.inject_fault(None);
    play(&mut journal, &mut table, &narrate(4));
    assert_eq!(journal.failing(), None);
    // Three more campaigns: one commit makes every journal's lines durable.
    let mut others: Vec<(Journal, Table)> = (2..=4)
        .map(|n| {
            let t = new_table();
            (
                Journal::create(&root, &meta(&format!("table-{n}")), &t).unwrap(),
                t,
            )
        })
        .collect();
    for (i, (j, t)) in others.iter_mut().enumerate() {
        for k in 0..=i as u64 {
            apply(t, &narrate(10 + k)).unwrap();
            j.record(&narrate(10 + k)).unwrap();
        }
    }
    apply(&mut table, &narrate(5)).unwrap();
    journal.record(&narrate(5)).unwrap();
    let mut all: Vec<&mut Journal> = std::iter::once(&mut journal)
        .chain(others.iter_mut().map(|(j, _)| j))
        .collect();
    assert_eq!(commit(&mut all), vec![Ok(()); 4]);
    assert!(all.iter().all(|j| !j.unsynced() && j.failing().is_none()));
    drop(all);
    drop(journal);
    let restored = Journal::restore(&dir).unwrap();
    assert_eq!(narrations(&restored.table), lines([1, 4, 5]));
    assert!(same(&restored.table, &table));
    for (j, t) in others {
        let dir = j.dir().to_path_buf();
        drop(j);
        assert!(same(&Journal::restore(&dir).unwrap().table, &t));
    }
    let _ = std::fs::remove_dir_all(&root);
}
