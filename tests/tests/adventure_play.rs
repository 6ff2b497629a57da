//! The shipped adventure played by four bots in one process on manual time: they explore,
//! search, open, fight, rest, level up and walk from scene to scene to the ending. A campaign
//! restored from its journal files at any moment — here right after a scene change and right
//! after a level-up, as a `kill -9` would leave them — is the live table exactly.

use emberkeep_client::autoplay::AutoPlay;
use emberkeep_server::ServerSettings;
use emberkeep_server::journal::Journal;
use emberkeep_shared::prelude::*;
use emberkeep_shared::story::StoryEvent;
use emberkeep_tests::Stepper;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("emberkeep-adv-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn settings(data: &Path) -> ServerSettings {
    ServerSettings {
        encounter: "ember".into(),
        seed: 7,
        turn_timeout: Duration::from_secs(30),
        rate_per_second: 100_000.0,
        rate_burst: 100_000.0,
        data_dir: Some(data.to_path_buf()),
        ..ServerSettings::default()
    }
}

fn same(a: &Table, b: &Table) -> bool {
    serde_json::to_value(a).unwrap() == serde_json::to_value(b).unwrap()
}

fn story(t: &Table) -> Vec<StoryEvent> {
    t.log
        .iter()
        .filter_map(|e| match &e.event {
            GameEvent::Story(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

/// The restored campaign equals the live one (what a SIGKILL now would leave).
fn restores_exactly(s: &mut Stepper, dir: &Path, when: &str) {
    let live = s.campaign("table-1").table.clone();
    let restored = Journal::restore(dir).unwrap();
    assert_eq!(
        (restored.rejected_replays, restored.quarantined),
        (0, 0),
        "{when}"
    );
    assert!(
        same(&restored.table, &live),
        "the restored table differs {when}"
    );
}

#[test]
fn four_bots_finish_the_shipped_adventure_and_a_restore_loses_nothing() {
    let data = scratch("play");
    let dir = data.join("table-1");
    let mut s = Stepper::new(settings(&data));
    let c = s.seat_all(&["fighter", "rogue", "cleric", "wizard"]);
    for &p in &c {
        s.autoplay(p, true);
        s.clients[p]
            .world_mut()
            .resource_mut::<AutoPlay>()
            .explore_every_ms = 100;
    }
    let (mut scene_checked, mut level_checked) = (false, false);
    let mut scenes_seen = 1;
    s.step_until(200_000, |s| {
        let t = &s.campaign("table-1").table;
        let events = story(t);
        let scenes = events
            .iter()
            .filter(|e| matches!(e, StoryEvent::SceneEntered { .. }))
            .count();
        let levelled = events
            .iter()
            .any(|e| matches!(e, StoryEvent::LeveledUp { .. }));
        let ended = t.adventure.as_ref().is_some_and(|a| a.ended);
        let fallen = !t.combatants.iter().any(|c| c.is_pc && !c.is_dead());
        assert!(!fallen, "the party died in {}", t.encounter_name);
        // Check a restore right after the first scene change and the first level-up.
        if scenes > scenes_seen && !scene_checked {
            scene_checked = true;
            restores_exactly(s, &dir, "after a scene change");
        }
        scenes_seen = scenes;
        if levelled && !level_checked {
            level_checked = true;
            restores_exactly(s, &dir, "after a level-up");
        }
        ended
    })
    .expect("the bots reach the ending");
    let t = s.campaign("table-1").table.clone();
    // The whole story as a player received it (the table keeps only the latest events).
    let events: Vec<StoryEvent> = s
        .session(c[0])
        .events
        .iter()
        .filter_map(|e| match &e.event {
            GameEvent::Story(s) => Some(s.clone()),
            _ => None,
        })
        .collect();
    let count = |f: &dyn Fn(&StoryEvent) -> bool| events.iter().filter(|e| f(e)).count();
    let scenes = count(&|e| matches!(e, StoryEvent::SceneEntered { .. }));
    let checks = count(&|e| matches!(e, StoryEvent::Check { .. }));
    let rests = count(&|e| matches!(e, StoryEvent::Rested { .. }));
    let levels = count(&|e| matches!(e, StoryEvent::LeveledUp { .. }));
    let loot = count(&|e| matches!(e, StoryEvent::Looted { items, .. } if !items.is_empty()));
    println!(
        "adventure: {} events, {scenes} scenes entered, {checks} checks, {rests} rests, {levels} level-ups, {loot} finds with items",
        t.next_seq - 1
    );
    assert!(scenes >= 6, "{scenes} scenes");
    assert!(checks >= 1 && rests >= 1 && levels >= 1 && loot >= 1);
    assert!(scene_checked && level_checked);
    restores_exactly(&mut s, &dir, "at the end");
    let _ = std::fs::remove_dir_all(&data);
}
