//! Your own character (SRD 5.1 character creation, levels 1 to 3): the character file, every
//! rule it may break named by field, and the sheet it builds — checked against the shipped
//! pregens, which were written by hand from the same rules.

use emberkeep_shared::chargen::{
    self, Background, CharacterDef, Class, Method, Race, build, example, parse, point_cost,
    problems, to_ron,
};
use emberkeep_shared::checks::Skill;
use emberkeep_shared::content::{Abilities, ContentLibrary, FightingStyle, PregenDef};
use emberkeep_shared::table::Brought;

fn lib() -> ContentLibrary {
    let root = emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets");
    ContentLibrary::load_dir(&root).unwrap()
}

fn scores(a: [i32; 6]) -> Abilities {
    Abilities {
        str: a[0],
        dex: a[1],
        con: a[2],
        int: a[3],
        wis: a[4],
        cha: a[5],
    }
}

/// The built sheet agrees with a hand-written pregen on everything the rules compute.
fn agrees(built: &PregenDef, pregen: &PregenDef) {
    assert_eq!(built.abilities, pregen.abilities);
    assert_eq!(
        (built.ac, built.max_hp, built.speed),
        (pregen.ac, pregen.max_hp, pregen.speed)
    );
    assert_eq!(built.saves, pregen.saves);
    assert_eq!(built.features, pregen.features);
    let levels = |p: &PregenDef| {
        p.levels
            .iter()
            .map(|l| (l.level, l.max_hp, l.features.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(levels(built), levels(pregen));
    let attacks = |p: &PregenDef| {
        p.attacks
            .iter()
            .map(|a| {
                (
                    a.name.clone(),
                    a.kind,
                    a.to_hit,
                    a.damage.to_string(),
                    a.range,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(attacks(built), attacks(pregen));
}

#[test]
fn every_class_example_builds_and_plays_as_sheets() {
    let lib = lib();
    for class in Class::ALL {
        let def = example(class);
        assert!(problems(&def).is_empty(), "{class:?}: {:?}", problems(&def));
        let p = build(&def, &lib, "fighter").unwrap();
        let b = Brought::of(&lib, &p, Some(def.portrait.clone()));
        assert_eq!(b.sheets.len(), 3);
        assert!(b.sheets.windows(2).all(|w| w[1].max_hp > w[0].max_hp));
        if matches!(class, Class::Cleric | Class::Wizard) {
            assert!(!b.spells.is_empty(), "{class:?} brings its spells");
        }
    }
}

#[test]
fn the_pregen_fighter_and_rogue_are_built_from_the_same_choices() {
    let lib = lib();
    // SRD 5.1 Human: every score +1. Fighter: Hit Dice 1d10, 10 + Con at 1st, 6 + Con after;
    // saves Str, Con; Fighting Style and Second Wind; Action Surge at 2nd; Champion's Improved
    // Critical at 3rd. Chain mail AC 16, shield +2. Longsword 1d8 (versatile), javelin 1d6
    // (thrown 30/120), both with Strength.
    let fighter = CharacterDef {
        name: "Brakka Ironhand".into(),
        race: Race::Human,
        method: Method::PointBuy,
        scores: scores([15, 12, 14, 9, 11, 8]),
        fighting_style: Some(FightingStyle::Dueling),
        ..example(Class::Fighter)
    };
    let built = build(&fighter, &lib, "fighter").unwrap();
    agrees(&built, &lib.pregens["fighter"]);
    // SRD 5.1 Halfling: Dexterity +2; Lightfoot: Charisma +1; speed 25. Rogue: 8 + Con, then
    // 5 + Con; Sneak Attack 1d6, Cunning Action at 2nd, 2d6 and the Thief's Fast Hands at 3rd.
    // Leather armor 11 + Dex. Rapier 1d8 finesse, shortbow 1d6 (80/320) with Dexterity.
    let rogue = CharacterDef {
        name: "Lia Quickfingers".into(),
        race: Race::LightfootHalfling,
        method: Method::PointBuy,
        scores: scores([8, 15, 12, 13, 10, 13]),
        ..example(Class::Rogue)
    };
    let built = build(&rogue, &lib, "rogue").unwrap();
    agrees(&built, &lib.pregens["rogue"]);
    assert_eq!(built.expertise, vec![Skill::Stealth, Skill::Perception]);
}

#[test]
fn hit_points_follow_the_class_the_race_and_constitution() {
    // The pregen cleric and wizard were given scores beyond 27 points (31 each), so they
    // cannot be rebuilt; their hit points follow the same rules. SRD 5.1 Hill Dwarf:
    // Constitution +2, Wisdom +1, Dwarven Toughness +1 hit point per level.
    let cleric = CharacterDef {
        race: Race::HillDwarf,
        method: Method::PointBuy,
        scores: scores([14, 10, 14, 10, 15, 12]),
        ..example(Class::Cleric)
    };
    assert!(problems(&cleric).iter().any(|p| p.contains("31 of 27")));
    let lib = lib();
    let pregen = &lib.pregens["cleric"];
    assert_eq!(chargen::hit_points(&cleric, 1), pregen.max_hp);
    assert_eq!(chargen::hit_points(&cleric, 3), pregen.levels[1].max_hp);
    // Wizard: 6 + Con at 1st, 4 + Con after; High Elf Dexterity +2, Intelligence +1.
    let wizard = CharacterDef {
        race: Race::HighElf,
        scores: scores([10, 14, 14, 15, 12, 10]),
        ..example(Class::Wizard)
    };
    assert_eq!(chargen::hit_points(&wizard, 1), 8);
    assert_eq!(chargen::hit_points(&wizard, 2), 14);
    assert_eq!(chargen::hit_points(&wizard, 3), 20);
}

#[test]
fn point_buy_and_the_standard_array_are_srd_5_1() {
    // SRD 5.1 "Ability Score Point Cost": 8:0 9:1 10:2 11:3 12:4 13:5 14:7 15:9.
    let costs: Vec<Option<i32>> = (7..=16).map(point_cost).collect();
    assert_eq!(
        costs,
        vec![
            None,
            Some(0),
            Some(1),
            Some(2),
            Some(3),
            Some(4),
            Some(5),
            Some(7),
            Some(9),
            None
        ]
    );
    let mut def = example(Class::Fighter);
    def.method = Method::PointBuy;
    def.scores = scores([15, 15, 15, 8, 8, 8]);
    assert!(problems(&def).is_empty(), "27 points: {:?}", problems(&def));
    def.scores = scores([15, 15, 15, 9, 8, 8]);
    assert!(
        problems(&def)
            .iter()
            .any(|p| p == "scores: point buy spends 28 of 27 points")
    );
    def.scores = scores([16, 8, 8, 8, 8, 8]);
    assert!(problems(&def).iter().any(|p| p.contains("8 to 15")));
    def.method = Method::StandardArray;
    def.scores = scores([15, 14, 13, 12, 10, 10]);
    assert!(problems(&def).iter().any(|p| p.contains("standard array")));
    def.scores = scores([8, 10, 12, 13, 14, 15]);
    assert!(problems(&def).is_empty(), "any order: {:?}", problems(&def));
    // Racial increases come on top.
    def.race = Race::HillDwarf;
    assert_eq!(chargen::final_scores(&def).con, 14);
    assert_eq!(chargen::final_scores(&def).wis, 15);
}

#[test]
fn a_hostile_or_mistaken_file_is_refused_naming_each_field() {
    let lib = lib();
    let cases: Vec<(CharacterDef, &str)> = vec![
        (
            CharacterDef {
                name: "x".repeat(10_000),
                ..example(Class::Fighter)
            },
            "name:",
        ),
        (
            CharacterDef {
                name: "Bob\u{7}".into(),
                ..example(Class::Fighter)
            },
            "control",
        ),
        (
            CharacterDef {
                portrait: "../../etc/passwd".into(),
                ..example(Class::Fighter)
            },
            "portrait:",
        ),
        (
            CharacterDef {
                skills: vec![
                    Skill::Athletics,
                    Skill::Perception,
                    Skill::Survival,
                    Skill::History,
                    Skill::Insight,
                ],
                ..example(Class::Fighter)
            },
            "skills: a Fighter chooses 2",
        ),
        (
            CharacterDef {
                skills: vec![Skill::Stealth, Skill::Athletics],
                ..example(Class::Fighter)
            },
            "Stealth is not a Fighter skill",
        ),
        (
            CharacterDef {
                skills: vec![Skill::Athletics, Skill::Athletics],
                ..example(Class::Fighter)
            },
            "chosen twice",
        ),
        // Acolyte gives Insight already (SRD 5.1: "choose a different skill").
        (
            CharacterDef {
                skills: vec![Skill::Insight, Skill::Athletics],
                ..example(Class::Fighter)
            },
            "choose another",
        ),
        (
            CharacterDef {
                fighting_style: None,
                ..example(Class::Fighter)
            },
            "fighting_style",
        ),
        (
            CharacterDef {
                expertise: vec![Skill::Arcana, Skill::Stealth],
                ..example(Class::Rogue)
            },
            "expertise: Arcana",
        ),
        (
            CharacterDef {
                spells: vec!["magic-missile".into()],
                ..example(Class::Cleric)
            },
            "not a Cleric (Life Domain) spell",
        ),
        (
            CharacterDef {
                cantrips: vec!["fire-bolt".into(), "light".into()],
                ..example(Class::Wizard)
            },
            "cantrips: choose 3",
        ),
        (
            CharacterDef {
                spells: vec!["wish".into(); 7],
                ..example(Class::Wizard)
            },
            "spells:",
        ),
        (
            CharacterDef {
                equipment: 9,
                ..example(Class::Rogue)
            },
            "equipment: choice 9",
        ),
        (
            CharacterDef {
                background: Background::Custom {
                    name: "Sailor".into(),
                    skills: vec![Skill::Athletics],
                },
                ..example(Class::Wizard)
            },
            "background: a background gives two",
        ),
    ];
    for (def, expect) in cases {
        let errors = build(&def, &lib, "fighter").unwrap_err();
        assert!(
            errors.iter().any(|e| e.contains(expect)),
            "{expect}: {errors:?}"
        );
    }
    // A file too big, unknown fields, an unknown race: refused before anything is built.
    let big = format!("(name: \"{}\")", "a".repeat(20_000));
    assert!(parse(&big).unwrap_err().contains("16 KiB"));
    let text = to_ron(&example(Class::Rogue));
    let unknown = text.replacen("(", "(level: 20,", 1);
    assert!(
        parse(&unknown).unwrap_err().contains("line 1"),
        "{}",
        parse(&unknown).unwrap_err()
    );
    let dragon = text.replace("Human", "Dragon");
    assert!(parse(&dragon).is_err());
}

#[test]
fn a_character_file_round_trips() {
    for class in Class::ALL {
        let mut def = example(class);
        def.description = "Quiet, \"careful\", and\nkind.".into();
        def.background = Background::Custom {
            name: "Ferryman".into(),
            skills: vec![Skill::Survival, Skill::Nature],
        };
        if class == Class::Fighter {
            def.skills = vec![Skill::Athletics, Skill::Perception];
        }
        assert_eq!(parse(&to_ron(&def)).unwrap(), def);
    }
}

#[test]
fn a_high_elf_wizard_takes_a_fourth_cantrip_and_keen_senses() {
    // SRD 5.1 High Elf: "Cantrip. You know one cantrip of your choice from the wizard spell
    // list"; Elf "Keen Senses": proficiency in Perception.
    let lib = lib();
    let mut def = CharacterDef {
        race: Race::HighElf,
        ..example(Class::Cleric)
    };
    assert!(
        problems(&def)
            .iter()
            .any(|p| p.contains("cantrips: choose 4"))
    );
    def.cantrips.push("fire-bolt".into());
    let built = build(&def, &lib, "cleric").unwrap();
    assert!(built.skills.contains(&Skill::Perception));
    let spells = &built.spellcasting.unwrap().spells;
    assert!(spells.contains(&"fire-bolt".to_string()));
    // Life Domain spells are always prepared.
    assert!(spells.contains(&"bless".to_string()) && spells.contains(&"cure-wounds".to_string()));
}
