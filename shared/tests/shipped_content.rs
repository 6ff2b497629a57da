//! Every shipped content file loads and validates, and broken files are refused with a
//! located, readable error.

use emberkeep_shared::content::{ContentKind, ContentLibrary, read_content_files};
use emberkeep_shared::table::Table;
use std::path::PathBuf;

fn assets() -> PathBuf {
    emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets")
}

#[test]
fn every_shipped_file_loads_and_validates() {
    let lib = ContentLibrary::load_dir(&assets())
        .unwrap_or_else(|e| panic!("shipped content is broken:\n{e}"));
    for id in ["goblin", "wolf", "bandit", "skeleton", "orc", "bugbear"] {
        assert!(lib.creatures.contains_key(id), "missing creature {id}");
    }
    for id in ["fighter", "rogue", "cleric", "wizard"] {
        assert!(lib.pregens.contains_key(id), "missing pregen {id}");
    }
    assert!(lib.encounters.len() >= 3);
    assert!(lib.maps.len() >= 3);
    for id in lib.encounters.keys() {
        Table::new(&lib, id, 1, 120_000).unwrap_or_else(|e| panic!("encounter {id}: {e}"));
    }
}

#[test]
fn srd_stat_blocks_are_exact() {
    let lib = ContentLibrary::load_dir(&assets()).unwrap();
    // (id, AC, HP, hit dice, speed, STR DEX CON INT WIS CHA, first attack to-hit and damage)
    let facts = [
        (
            "goblin",
            15,
            7,
            "2d6",
            30,
            [8, 14, 10, 10, 8, 8],
            4,
            "1d6+2",
        ),
        (
            "wolf",
            13,
            11,
            "2d8+2",
            40,
            [12, 15, 12, 3, 12, 6],
            4,
            "2d4+2",
        ),
        (
            "bandit",
            12,
            11,
            "2d8+2",
            30,
            [11, 12, 12, 10, 10, 10],
            3,
            "1d6+1",
        ),
        (
            "skeleton",
            13,
            13,
            "2d8+4",
            30,
            [10, 14, 15, 6, 8, 5],
            4,
            "1d6+2",
        ),
        (
            "orc",
            13,
            15,
            "2d8+6",
            30,
            [16, 12, 16, 7, 11, 10],
            5,
            "1d12+3",
        ),
        (
            "bugbear",
            16,
            27,
            "5d8+5",
            30,
            [15, 14, 13, 8, 11, 9],
            4,
            "2d8+2",
        ),
    ];
    for (id, ac, hp, dice, speed, scores, to_hit, damage) in facts {
        let c = &lib.creatures[id];
        let a = c.abilities;
        assert_eq!(
            (c.ac, c.hp, c.hit_dice.to_string().as_str(), c.speed),
            (ac, hp, dice, speed),
            "{id}"
        );
        assert_eq!([a.str, a.dex, a.con, a.int, a.wis, a.cha], scores, "{id}");
        assert_eq!(
            (
                c.attacks[0].to_hit,
                c.attacks[0].damage.to_string().as_str()
            ),
            (to_hit, damage),
            "{id}"
        );
    }
    let skeleton = &lib.creatures["skeleton"];
    assert!(
        skeleton
            .vulnerabilities
            .contains(&emberkeep_shared::content::DamageType::Bludgeoning)
    );
    assert!(
        skeleton
            .immunities
            .contains(&emberkeep_shared::content::DamageType::Poison)
    );
}

/// Loads the shipped files with one of them replaced by `text`.
fn with_replaced(file: &str, text: &str) -> String {
    let mut files = read_content_files(&assets()).unwrap();
    let target = files
        .iter_mut()
        .find(|(p, _, _)| p.ends_with(file))
        .expect("file exists");
    target.1 = text.to_string();
    ContentLibrary::from_sources(&files)
        .unwrap_err()
        .to_string()
}

#[test]
fn a_syntax_error_names_file_line_column_and_expectation() {
    let original = std::fs::read_to_string(assets().join("creatures/goblin.ron")).unwrap();
    let broken = original.replace("ac: 15,", "ac: fifteen,");
    let err = with_replaced("creatures/goblin.ron", &broken);
    let line = broken.lines().position(|l| l.contains("fifteen")).unwrap() + 1;
    assert!(err.contains(&format!("goblin.ron:{line}:")), "{err}");
    assert!(err.to_lowercase().contains("expected"), "{err}");
}

#[test]
fn an_unknown_creature_in_an_encounter_is_located() {
    let original = std::fs::read_to_string(assets().join("encounters/goblin-ambush.ron")).unwrap();
    let broken = original.replacen("creature: \"goblin\"", "creature: \"gobblin\"", 1);
    let err = with_replaced("encounters/goblin-ambush.ron", &broken);
    let line = broken.lines().position(|l| l.contains("gobblin")).unwrap() + 1;
    assert!(err.contains(&format!("goblin-ambush.ron:{line}:")), "{err}");
    assert!(
        err.contains("unknown creature `gobblin`") && err.contains("`goblin`"),
        "{err}"
    );
}

#[test]
fn a_wrong_hit_point_total_is_refused() {
    let original = std::fs::read_to_string(assets().join("creatures/orc.ron")).unwrap();
    let err = with_replaced("creatures/orc.ron", &original.replace("hp: 15,", "hp: 16,"));
    assert!(
        err.contains("orc.ron:") && err.contains("does not match hit_dice"),
        "{err}"
    );
}

#[test]
fn a_foe_inside_a_wall_is_refused() {
    let original = std::fs::read_to_string(assets().join("encounters/crypt-of-bones.ron")).unwrap();
    let err = with_replaced(
        "encounters/crypt-of-bones.ron",
        &original.replace("at: (14, 2)", "at: (0, 0)"),
    );
    assert!(
        err.contains("crypt-of-bones.ron:") && err.contains("not an open square"),
        "{err}"
    );
}

#[test]
fn kinds_come_from_folders() {
    assert_eq!(
        ContentKind::from_folder("creatures"),
        Some(ContentKind::Creature)
    );
    assert_eq!(ContentKind::from_folder("sprites"), None);
}
