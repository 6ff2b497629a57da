//! Hot reload: content edited while the server runs is checked, then taken by new campaigns
//! and by the scenes a running adventure has not entered yet; a bad edit changes nothing and
//! the host is told where it is wrong; the journal keeps what a campaign took, so a restore
//! is exact even after the folder changes again. Also: a content pack laid over the assets.

use emberkeep_server::console::execute;
use emberkeep_server::journal::Journal;
use emberkeep_server::{Content, ServerSettings};
use emberkeep_shared::content::ContentLibrary;
use emberkeep_tests::{Stepper, assets_dir};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("emberkeep-hr-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A copy of the shipped content (not the art and sounds) to edit.
fn content_copy(name: &str) -> PathBuf {
    let root = scratch(name).join("assets");
    for folder in [
        "items",
        "spells",
        "creatures",
        "pregens",
        "maps",
        "encounters",
        "adventures",
    ] {
        copy_dir(&assets_dir().join(folder), &root.join(folder));
    }
    root
}

fn settings(assets: &Path, data: &Path) -> ServerSettings {
    ServerSettings {
        encounter: "ember".into(),
        seed: 5,
        turn_timeout: Duration::from_secs(30),
        assets: assets.to_path_buf(),
        data_dir: Some(data.to_path_buf()),
        ..ServerSettings::default()
    }
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} lacks {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

fn names_in(s: &mut Stepper, scene: &str) -> Vec<String> {
    let adv = s.campaign("table-1").table.adventure.clone().unwrap();
    adv.scenes[scene]
        .others
        .iter()
        .map(|c| c.name.clone())
        .collect()
}

#[test]
fn an_edit_reaches_the_scenes_not_yet_entered_and_the_journal_keeps_it() {
    let assets = content_copy("scene");
    let data = assets.parent().unwrap().join("data");
    let mut s = Stepper::new(settings(&assets, &data));
    let c = s.seat_all(&["host"]);
    let host = c[0];
    let here = s.campaign("table-1").table.adventure.clone().unwrap().scene;
    assert_eq!(here, "ember-ashwick");
    let names = names_in(&mut s, "ember-blackbriar");
    assert!(names.contains(&"Yark the kobold".to_string()), "{names:?}");
    let before_ids: Vec<u32> = {
        let t = &s.campaign("table-1").table;
        let adv = t.adventure.as_ref().unwrap();
        t.combatants
            .iter()
            .chain(adv.scenes.values().flat_map(|sc| sc.others.iter()))
            .map(|c| c.id)
            .collect()
    };

    // The road's kobold gets a new name; the village the party stands in is edited as well.
    edit(
        &assets.join("adventures/ember/ember-blackbriar.ron"),
        "name: Some(\"Yark\")",
        "name: Some(\"Yarrik\")",
    );
    let village = s
        .campaign("table-1")
        .table
        .adventure
        .clone()
        .unwrap()
        .scenes["ember-ashwick"]
        .def
        .name
        .clone();
    edit(
        &assets.join("adventures/ember/ember-ashwick.ron"),
        &format!("name: \"{village}\""),
        "name: \"Renamed Green\"",
    );
    // And a creature file: the kobolds get better armor (SRD 5.1 says AC 12; a modder's 14).
    edit(&assets.join("creatures/kobold.ron"), "ac: 12,", "ac: 14,");
    let answer = execute(s.server.world_mut(), None, "reload");
    assert!(answer.starts_with("content reloaded"), "{answer}");
    // The road and the undercroft's kobolds (two scenes ahead) take them.
    assert!(!answer.contains(" 0 scene(s)"), "{answer}");
    s.step(5);

    // The scene ahead has the new kobold, with an id nothing else in the campaign has.
    let names = names_in(&mut s, "ember-blackbriar");
    assert!(
        names.contains(&"Yarrik the kobold".to_string()),
        "{names:?}"
    );
    assert!(!names.contains(&"Yark the kobold".to_string()), "{names:?}");
    let t = s.campaign("table-1").table.clone();
    let adv = t.adventure.as_ref().unwrap();
    let yarrik = adv.scenes["ember-blackbriar"]
        .others
        .iter()
        .find(|c| c.name == "Yarrik the kobold")
        .unwrap();
    assert!(!before_ids.contains(&yarrik.id), "id {} reused", yarrik.id);
    assert_eq!(
        yarrik.ac, 14,
        "the edited creature file reached the scene ahead"
    );
    // The creature at the table's next encounter is the edited one; the party stood still.
    assert!(
        t.combatants
            .iter()
            .all(|c| c.is_pc || c.ac != 14 || !c.name.contains("kobold"))
    );
    // The scene the party stands in is never changed under it.
    assert_eq!(adv.scenes["ember-ashwick"].def.name, village);
    // The host seat is told, and new campaigns would use the new content.
    s.step(5);
    assert!(
        s.session(host)
            .host_replies
            .iter()
            .any(|r| r.starts_with("content reloaded")),
        "{:?}",
        s.session(host).host_replies
    );
    let lib = &s.server.world().resource::<Content>().0;
    assert!(
        lib.adventures["ember"].scenes["ember-blackbriar"]
            .foes
            .iter()
            .any(|f| f.name.as_deref() == Some("Yarrik"))
    );

    // A second reload with nothing new queues nothing.
    let again = execute(s.server.world_mut(), None, "reload");
    assert!(again.contains(" 0 scene(s)"), "{again}");

    // The folder changes again; the journal still holds what the campaign took.
    edit(
        &assets.join("adventures/ember/ember-blackbriar.ron"),
        "name: Some(\"Yarrik\")",
        "name: Some(\"Someone Else\")",
    );
    let live = s.campaign("table-1").table.clone();
    drop(s);
    let restored = Journal::restore(&data.join("table-1")).unwrap();
    assert_eq!((restored.quarantined, restored.rejected_replays), (0, 0));
    assert_eq!(
        serde_json::to_value(&restored.table).unwrap(),
        serde_json::to_value(&live).unwrap(),
        "the restored table differs from the live one"
    );
    let _ = std::fs::remove_dir_all(assets.parent().unwrap());
}

#[test]
fn a_bad_edit_changes_nothing_and_the_host_learns_where() {
    let assets = content_copy("bad");
    let data = assets.parent().unwrap().join("data");
    let mut s = Stepper::new(settings(&assets, &data));
    let c = s.seat_all(&["host", "fighter"]);
    let (host, fighter) = (c[0], c[1]);
    let before = s.campaign("table-1").table.clone();
    // A half-written file: the text stops in the middle of a record.
    let path = assets.join("creatures/kobold.ron");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, &text[..text.len() / 2]).unwrap();
    let answer = execute(s.server.world_mut(), None, "reload");
    assert!(answer.starts_with("content not reloaded"), "{answer}");
    assert!(answer.contains("kobold.ron:"), "{answer}");
    s.step(5);
    let told: Vec<String> = s.session(host).host_replies.clone();
    assert!(
        told.iter()
            .any(|r| r.contains("content not reloaded") && r.contains("kobold.ron:")),
        "{told:?}"
    );
    // Players are not told; the table and the content in use did not change.
    assert!(
        !s.session(fighter)
            .host_replies
            .iter()
            .any(|r| r.contains("content")),
    );
    let after = s.campaign("table-1").table.clone();
    assert_eq!(after.adventure, before.adventure);
    let lib = &s.server.world().resource::<Content>().0;
    assert!(lib.creatures.contains_key("kobold"));
    // The completed write is taken.
    std::fs::write(&path, &text).unwrap();
    let answer = execute(s.server.world_mut(), None, "reload");
    assert!(answer.starts_with("content reloaded"), "{answer}");
    let _ = std::fs::remove_dir_all(assets.parent().unwrap());
}

#[test]
fn an_edit_undone_before_it_applies_leaves_the_scene_and_a_new_start_keeps_its_creatures() {
    let assets = content_copy("undo");
    let data = assets.parent().unwrap().join("data");
    let mut s = Stepper::new(settings(&assets, &data));
    let _c = s.seat_all(&["host"]);
    let road = assets.join("adventures/ember/ember-blackbriar.ron");
    let original = std::fs::read_to_string(&road).unwrap();
    // An edit read, then undone and read again before the table took the first update.
    edit(&road, "name: Some(\"Yark\")", "name: Some(\"Undone\")");
    let first = execute(s.server.world_mut(), None, "reload");
    assert!(first.starts_with("content reloaded"), "{first}");
    std::fs::write(&road, &original).unwrap();
    let second = execute(s.server.world_mut(), None, "reload");
    assert!(second.contains(" 0 scene(s)"), "{second}");
    s.step(5);
    let names = names_in(&mut s, "ember-blackbriar");
    assert!(names.contains(&"Yark the kobold".to_string()), "{names:?}");
    assert!(!names.iter().any(|n| n.contains("Undone")), "{names:?}");

    // The adventure now starts on the road: a fresh build has entered the road (its creatures
    // stand at its table), yet the running campaign's road keeps its kobolds.
    edit(
        &assets.join("adventures/ember/adventure.ron"),
        "start: \"ember-ashwick\"",
        "start: \"ember-blackbriar\"",
    );
    edit(&road, "name: Some(\"Yark\")", "name: Some(\"Moved\")");
    let answer = execute(s.server.world_mut(), None, "reload");
    assert!(answer.starts_with("content reloaded"), "{answer}");
    s.step(5);
    let names = names_in(&mut s, "ember-blackbriar");
    assert!(names.contains(&"Moved the kobold".to_string()), "{names:?}");
    assert_eq!(
        s.campaign("table-1").table.adventure.clone().unwrap().scene,
        "ember-ashwick"
    );
    let _ = std::fs::remove_dir_all(assets.parent().unwrap());
}

#[test]
fn the_watcher_reloads_a_changed_file_on_its_own() {
    // The real watcher (inotify) and the quiet period: bounded by a step count, not a sleep.
    let assets = content_copy("watch");
    let data = assets.parent().unwrap().join("data");
    let mut s = Stepper::new(ServerSettings {
        watch: true,
        ..settings(&assets, &data)
    });
    let c = s.seat_all(&["host"]);
    edit(
        &assets.join("adventures/ember/ember-blackbriar.ron"),
        "name: Some(\"Yark\")",
        "name: Some(\"Watched\")",
    );
    // The quiet period is real time (the files' time), so wait on it in real time, bounded.
    let start = std::time::Instant::now();
    while start.elapsed() < Duration::from_secs(20)
        && !names_in(&mut s, "ember-blackbriar").contains(&"Watched the kobold".to_string())
    {
        s.step(1);
        std::thread::yield_now();
    }
    assert!(names_in(&mut s, "ember-blackbriar").contains(&"Watched the kobold".to_string()));
    s.step(3);
    assert!(
        s.session(c[0])
            .host_replies
            .iter()
            .any(|r| r.starts_with("content reloaded") && r.contains("ember-blackbriar.ron")),
        "{:?}",
        s.session(c[0]).host_replies
    );
    let _ = std::fs::remove_dir_all(assets.parent().unwrap());
}

#[test]
fn a_content_pack_adds_and_replaces_files() {
    let pack = scratch("pack");
    std::fs::create_dir_all(pack.join("creatures")).unwrap();
    std::fs::create_dir_all(pack.join("encounters")).unwrap();
    // A replaced file: the shipped kobold, tougher.
    let kobold = std::fs::read_to_string(assets_dir().join("creatures/kobold.ron")).unwrap();
    let base = ContentLibrary::load_dir(&assets_dir()).unwrap();
    let tough = kobold.replacen("name: \"Kobold\"", "name: \"Pack Kobold\"", 1);
    assert_ne!(tough, kobold);
    std::fs::write(pack.join("creatures/kobold.ron"), tough).unwrap();
    // An added file that uses the folder under it (a shipped map and creature).
    let goblin =
        std::fs::read_to_string(assets_dir().join("encounters/goblin-ambush.ron")).unwrap();
    std::fs::write(
        pack.join("encounters/goblin-ambush-2.ron"),
        goblin.replacen("\"goblin-ambush\"", "\"goblin-ambush-2\"", 1),
    )
    .unwrap();
    let lib = ContentLibrary::load_dirs(&assets_dir(), std::slice::from_ref(&pack)).unwrap();
    assert_eq!(lib.creatures["kobold"].name, "Pack Kobold");
    assert!(lib.encounters.contains_key("goblin-ambush-2"));
    assert_eq!(lib.creatures.len(), base.creatures.len());
    // A pack that is not a folder is a clear error.
    let err = ContentLibrary::load_dirs(&assets_dir(), &[pack.join("missing")]).unwrap_err();
    assert!(err.to_string().contains("not a folder"), "{err}");
    // A pack's bad file names the pack's file.
    std::fs::write(pack.join("creatures/kobold.ron"), "(name: ").unwrap();
    let err = ContentLibrary::load_dirs(&assets_dir(), std::slice::from_ref(&pack)).unwrap_err();
    assert!(
        err.to_string()
            .contains(&pack.join("creatures/kobold.ron").display().to_string()),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&pack);
    // The modding guide's example folder works as a pack over the shipped content.
    let example = assets_dir().join("../docs/example-mod");
    let lib = ContentLibrary::load_dirs(&assets_dir(), &[example]).unwrap();
    assert!(lib.encounters.contains_key("gnoll-den") && lib.adventures.contains_key("ember"));
}
