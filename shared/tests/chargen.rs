//! Your own character (SRD 5.1 character creation, levels 1 to 3): the character file, every
//! rule it may break named by field, and the sheet it builds — checked against the shipped
//! pregens (written by hand from the same rules), the library's own pregen checks, and a
//! table that plays it.

use emberkeep_shared::chargen::{
    self, Background, CharacterDef, Class, Method, Race, build, example, parse, point_cost,
    problems, racial_bonus, to_ron,
};
use emberkeep_shared::checks::Skill;
use emberkeep_shared::content::{
    Abilities, ContentKind, ContentLibrary, DamageType, FightingStyle, PregenDef,
};
use emberkeep_shared::event::GameEvent;
use emberkeep_shared::grid::{GridPos, MapGrid};
use emberkeep_shared::table::{Action, Brought, Table};

fn root() -> std::path::PathBuf {
    emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets")
}

fn lib() -> ContentLibrary {
    ContentLibrary::load_dir(&root()).unwrap()
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

/// The built sheet agrees with a hand-written pregen on everything the rules compute but
/// the scores and skills (compared by each test).
fn agrees(built: &PregenDef, pregen: &PregenDef) {
    assert_eq!(
        (built.ac, built.max_hp, built.speed),
        (pregen.ac, pregen.max_hp, pregen.speed),
        "ac, max_hp, speed of {}",
        pregen.id
    );
    assert_eq!(built.armor, pregen.armor);
    assert_eq!(built.saves, pregen.saves);
    assert_eq!(built.expertise, pregen.expertise);
    assert_eq!(built.features, pregen.features);
    assert_eq!(built.resistances, pregen.resistances);
    assert_eq!(built.equipment, pregen.equipment);
    assert_eq!(
        built.levels, pregen.levels,
        "levels 2 and 3 of {}",
        pregen.id
    );
    let attacks = |p: &PregenDef| {
        p.attacks
            .iter()
            .map(|a| {
                (
                    a.name.clone(),
                    a.kind,
                    a.to_hit,
                    a.damage.to_string(),
                    a.damage_type,
                    a.range,
                    a.finesse,
                    a.properties.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(attacks(built), attacks(pregen));
}

/// Skills: the background's (the pregens have none), then the race's and the class's.
fn skills_beside_background(built: &PregenDef) -> Vec<Skill> {
    built.skills[2..].to_vec()
}

#[test]
fn every_class_example_builds_and_passes_the_librarys_pregen_checks() {
    let lib = lib();
    for class in Class::ALL {
        let def = example(class);
        assert!(problems(&def).is_empty(), "{class:?}: {:?}", problems(&def));
        let p = build(&def, &lib, "mine").unwrap();
        assert!(
            lib.check_pregen(&p).is_empty(),
            "{:?}",
            lib.check_pregen(&p)
        );
        // The same checks as a file beside the shipped pregens.
        let mut files = emberkeep_shared::content::read_content_files(&root()).unwrap();
        let text = ron::ser::to_string_pretty(&p, Default::default()).unwrap();
        files.push(("pregens/mine.ron".into(), text, ContentKind::Pregen));
        let loaded = ContentLibrary::from_sources(&files).unwrap();
        assert_eq!(loaded.pregens["mine"], p);
        // Sheets at levels 1 to 3, as the server builds them.
        let b = Brought::of(&lib, &p, Some(def.portrait.clone()));
        assert_eq!(b.sheets.len(), 3);
        assert!(b.sheets.windows(2).all(|w| w[1].max_hp > w[0].max_hp));
        if matches!(class, Class::Cleric | Class::Wizard) {
            assert!(!b.spells.is_empty(), "{class:?} brings its spells");
        }
    }
}

#[test]
fn the_shipped_fighter_and_rogue_are_built_from_the_same_choices() {
    let lib = lib();
    // SRD 5.1 Human: "Your ability scores each increase by 1"; speed 30. Fighter: Hit Dice
    // 1d10, 10 + Con at 1st, 6 + Con after; saves Str, Con; Fighting Style and Second Wind;
    // Action Surge at 2nd; Champion's Improved Critical at 3rd. Chain mail AC 16, shield +2.
    // Longsword 1d8 (versatile), javelin 1d6 (thrown 30/120), both with Strength; Dueling's +2
    // damage is the table's to add (attacks.rs), as the pregen writes it.
    let fighter = CharacterDef {
        name: "Brakka Ironhand".into(),
        race: Race::Human,
        method: Method::PointBuy,
        scores: scores([15, 12, 14, 9, 11, 8]),
        fighting_style: Some(FightingStyle::Dueling),
        ..example(Class::Fighter)
    };
    let built = build(&fighter, &lib, "fighter").unwrap();
    let pregen = &lib.pregens["fighter"];
    agrees(&built, pregen);
    assert_eq!(built.abilities, pregen.abilities);
    // The pregens carry no background's skills: SRD 5.1 gives every character two (here
    // the Acolyte's Insight and Religion).
    assert_eq!(&built.skills[..2], &[Skill::Insight, Skill::Religion]);
    assert_eq!(skills_beside_background(&built), pregen.skills);
    // SRD 5.1 Halfling: Dexterity +2; Lightfoot: Charisma +1; speed 25. Rogue: 8 + Con, then
    // 5 + Con; saves Dex, Int; Expertise in two skills; Sneak Attack 1d6, Cunning Action at
    // 2nd, Sneak Attack 2d6 and the Thief's Fast Hands at 3rd. Leather armor 11 + Dex. Rapier
    // 1d8 finesse, shortbow 1d6 (80/320) with Dexterity.
    let rogue = CharacterDef {
        name: "Lia Quickfingers".into(),
        race: Race::LightfootHalfling,
        method: Method::PointBuy,
        scores: scores([8, 15, 12, 13, 10, 13]),
        background: Background::Custom {
            name: "Urchin".into(),
            skills: vec![Skill::Deception, Skill::Investigation],
        },
        ..example(Class::Rogue)
    };
    let built = build(&rogue, &lib, "rogue").unwrap();
    let pregen = &lib.pregens["rogue"];
    agrees(&built, pregen);
    assert_eq!(built.abilities, pregen.abilities);
    assert_eq!(skills_beside_background(&built), pregen.skills);
    assert_eq!(built.expertise, vec![Skill::Stealth, Skill::Perception]);
}

#[test]
fn the_shipped_cleric_and_wizard_are_built_as_far_as_the_srd_allows() {
    let lib = lib();
    // The pregen cleric's scores cost 31 points (14 10 14 10 15 12 before the dwarf's
    // increases), beyond the SRD's 27: this one keeps every score that shows (Str for the
    // mace, Dex for the crossbow, Con, Wis) and spends less on Int and Cha. SRD 5.1 Hill
    // Dwarf: Constitution +2, Wisdom +1, speed 25, Dwarven Resilience (poison resistance),
    // Dwarven Toughness (+1 hit point per level). Cleric: 8 + Con at 1st, 5 + Con after;
    // saves Wis, Cha; Life Domain: Disciple of Life, heavy armor; Channel Divinity at 2nd.
    let cleric = CharacterDef {
        name: "Brother Aldric".into(),
        race: Race::HillDwarf,
        method: Method::PointBuy,
        scores: scores([14, 10, 14, 8, 15, 10]),
        cantrips: vec![
            "sacred-flame".into(),
            "guidance".into(),
            "spare-the-dying".into(),
        ],
        // Wisdom 16 (+3): four prepared at 1st level, one more each level after.
        spells: [
            "guiding-bolt",
            "healing-word",
            "inflict-wounds",
            "shield-of-faith",
            "sanctuary",
            "aid",
        ]
        .map(String::from)
        .to_vec(),
        ..example(Class::Cleric)
    };
    let built = build(&cleric, &lib, "cleric").unwrap();
    let pregen = &lib.pregens["cleric"];
    agrees(&built, pregen);
    assert_eq!((built.max_hp, built.levels[1].max_hp), (12, 30));
    assert_eq!(
        (
            built.abilities.str,
            built.abilities.con,
            built.abilities.wis
        ),
        (14, 16, 16)
    );
    assert_eq!(
        &built.skills[..2],
        &pregen.skills[..],
        "Acolyte: Insight, Religion"
    );
    // The pregen knows four cantrips (SRD 5.1 Cleric: three at 1st to 3rd level) and prepares
    // every shipped cleric spell (SRD: Wisdom modifier + cleric level); what is built is a
    // part of it, Bless, Cure Wounds, Lesser Restoration and Spiritual Weapon always prepared.
    let spells = built.spellcasting.as_ref().unwrap().spells.clone();
    let shipped = &pregen.spellcasting.as_ref().unwrap().spells;
    assert!(spells.iter().all(|s| shipped.contains(s)), "{spells:?}");
    for domain in [
        "bless",
        "cure-wounds",
        "lesser-restoration",
        "spiritual-weapon",
    ] {
        assert!(spells.contains(&domain.to_string()));
    }
    // The pregen wizard's scores cost 31 points too (10 14 14 15 12 10 before the elf's
    // increases): this one keeps Dex, Con and Int. SRD 5.1 High Elf: Dexterity +2,
    // Intelligence +1, speed 30, one wizard cantrip, Keen Senses (Perception, which the pregen
    // lacks). Wizard: 6 + Con at 1st, 4 + Con after; saves Int, Wis; Arcane Recovery; Sculpt
    // Spells (Evocation) at 2nd. No armor: 10 + Dex.
    let wizard = CharacterDef {
        name: "Ysolde Emberlyn".into(),
        race: Race::HighElf,
        method: Method::PointBuy,
        scores: scores([8, 14, 14, 15, 12, 8]),
        skills: vec![Skill::Arcana, Skill::History],
        cantrips: ["fire-bolt", "ray-of-frost", "shocking-grasp", "mage-hand"]
            .map(String::from)
            .to_vec(),
        // Six at 1st level; no 1st-level spell is left to add at 2nd; at 3rd, two of 2nd level
        // (the pregen's book has four: SRD 5.1 allows two by 3rd level).
        spells: [
            "burning-hands",
            "mage-armor",
            "magic-missile",
            "shield",
            "sleep",
            "thunderwave",
            "misty-step",
            "scorching-ray",
        ]
        .map(String::from)
        .to_vec(),
        ..example(Class::Wizard)
    };
    let built = build(&wizard, &lib, "wizard").unwrap();
    let pregen = &lib.pregens["wizard"];
    agrees(&built, pregen);
    assert_eq!((built.ac, built.max_hp), (13, 8));
    assert_eq!(
        (
            built.abilities.dex,
            built.abilities.con,
            built.abilities.int
        ),
        (16, 14, 16)
    );
    assert_eq!(
        skills_beside_background(&built),
        vec![Skill::Perception, Skill::Arcana, Skill::History]
    );
    let spells = &built.spellcasting.as_ref().unwrap().spells;
    let shipped = &pregen.spellcasting.as_ref().unwrap().spells;
    assert_eq!(&spells[..], &shipped[..spells.len()]);
}

#[test]
fn point_buy_and_the_standard_array_are_srd_5_1() {
    // SRD 5.1 "Ability Score Point Cost": 8:0 9:1 10:2 11:3 12:4 13:5 14:7 15:9; 27 points.
    let costs: Vec<Option<i32>> = (7..=16).map(point_cost).collect();
    let want = [
        None,
        Some(0),
        Some(1),
        Some(2),
        Some(3),
        Some(4),
        Some(5),
        Some(7),
        Some(9),
        None,
    ];
    assert_eq!(costs, want);
    let mut def = example(Class::Fighter);
    def.method = Method::PointBuy;
    def.scores = scores([15, 15, 15, 8, 8, 8]);
    assert!(problems(&def).is_empty(), "27 points: {:?}", problems(&def));
    def.scores = scores([15, 15, 15, 9, 8, 8]);
    assert!(problems(&def).contains(&"scores: point buy spends 28 of 27 points".to_string()));
    def.scores = scores([14, 14, 14, 13, 13, 13]);
    assert!(problems(&def).contains(&"scores: point buy spends 36 of 27 points".to_string()));
    def.scores = scores([20, 3, 8, 8, 8, 8]);
    assert!(
        problems(&def)
            .iter()
            .any(|p| p.starts_with("scores:") && p.contains("str 20") && p.contains("dex 3"))
    );
    // SRD 5.1 "Standard array": 15, 14, 13, 12, 10, 8, in any order.
    def.method = Method::StandardArray;
    def.scores = scores([15, 14, 13, 12, 10, 10]);
    assert!(
        problems(&def)
            .iter()
            .any(|p| p.starts_with("scores: the standard array"))
    );
    def.scores = scores([20, 14, 13, 12, 10, 3]);
    assert!(
        problems(&def)
            .iter()
            .any(|p| p.starts_with("scores: the standard array"))
    );
    def.scores = scores([8, 10, 12, 13, 14, 15]);
    assert!(problems(&def).is_empty(), "any order: {:?}", problems(&def));
    assert_eq!(chargen::STANDARD_ARRAY, [15, 14, 13, 12, 10, 8]);
}

#[test]
fn racial_traits_are_srd_5_1() {
    let zero = scores([0; 6]);
    // SRD 5.1 Human: "Your ability scores each increase by 1." Speed 30.
    assert_eq!(racial_bonus(Race::Human), scores([1; 6]));
    // SRD 5.1 Hill Dwarf: Constitution +2, Wisdom +1; speed 25; Dwarven Toughness: "Your hit
    // point maximum increases by 1, and it increases by 1 every time you gain a level."
    assert_eq!(
        racial_bonus(Race::HillDwarf),
        Abilities {
            con: 2,
            wis: 1,
            ..zero
        }
    );
    // SRD 5.1 High Elf: Dexterity +2, Intelligence +1; speed 30.
    assert_eq!(
        racial_bonus(Race::HighElf),
        Abilities {
            dex: 2,
            int: 1,
            ..zero
        }
    );
    // SRD 5.1 Lightfoot Halfling: Dexterity +2, Charisma +1; speed 25.
    assert_eq!(
        racial_bonus(Race::LightfootHalfling),
        Abilities {
            dex: 2,
            cha: 1,
            ..zero
        }
    );
    let speeds = Race::ALL.map(chargen::speed);
    assert_eq!(speeds, [30, 25, 30, 25]);
    let lib = lib();
    let fighter = |race| CharacterDef {
        race,
        ..example(Class::Fighter)
    };
    let human = build(&fighter(Race::Human), &lib, "a").unwrap();
    let dwarf = build(&fighter(Race::HillDwarf), &lib, "b").unwrap();
    // Human Con 15 (+2), dwarf Con 16 (+3) and toughness: 12 / 20 / 28 against 14 / 24 / 34.
    assert_eq!(
        (human.max_hp, human.levels[0].max_hp, human.levels[1].max_hp),
        (12, 20, 28)
    );
    assert_eq!(
        (dwarf.max_hp, dwarf.levels[0].max_hp, dwarf.levels[1].max_hp),
        (14, 24, 34)
    );
    // Dwarven Resilience: "resistance against poison damage"; the rest is told, not dropped.
    assert_eq!(dwarf.resistances, vec![DamageType::Poison]);
    assert!(dwarf.description.contains("darkvision 60 ft"));
    let halfling = build(
        &CharacterDef {
            race: Race::LightfootHalfling,
            ..example(Class::Rogue)
        },
        &lib,
        "c",
    )
    .unwrap();
    assert!(halfling.description.contains("Lucky") && halfling.description.contains("Brave"));
    assert_eq!(halfling.speed, 25);
}

#[test]
fn armor_class_and_speed_follow_the_armor_worn() {
    let lib = lib();
    // SRD 5.1 Fighting Style (Defense): "While you are wearing armor, you gain a +1 bonus to
    // AC." Chain mail 16 + shield 2 + 1; the library's own check agrees.
    let defense = build(&example(Class::Fighter), &lib, "d").unwrap();
    assert_eq!(defense.ac, 19);
    assert!(lib.check_pregen(&defense).is_empty());
    let mut wrong = defense.clone();
    wrong.ac = 18;
    assert!(lib.check_pregen(&wrong)[0].contains("ac 18"));
    // Leather armor 11 + Dex (Dex 13 +1 human = 14, +2), Defense +1.
    let archer = build(
        &CharacterDef {
            equipment: 1,
            ..example(Class::Fighter)
        },
        &lib,
        "e",
    )
    .unwrap();
    assert_eq!(archer.ac, 14);
    assert_eq!(archer.attacks[0].name, "Longbow");
    assert_eq!(archer.attacks[0].to_hit, 4, "Dex +2 and proficiency +2");
    // SRD 5.1 Chain mail: "Str 13"; "the armor reduces the wearer's speed by 10 feet unless the
    // wearer has a Strength score equal to or higher than the listed score"; dwarves: "Your
    // speed is not reduced by wearing heavy armor."
    let weak = CharacterDef {
        scores: scores([8, 13, 14, 15, 12, 10]),
        ..example(Class::Fighter)
    };
    let slow = build(&weak, &lib, "f").unwrap();
    assert_eq!(slow.speed, 20);
    assert!(slow.description.contains("speed 10 feet lower"));
    let dwarf = build(
        &CharacterDef {
            race: Race::HillDwarf,
            ..weak
        },
        &lib,
        "g",
    )
    .unwrap();
    assert_eq!(dwarf.speed, 25);
    assert_eq!(
        chargen::armor_class(&example(Class::Wizard), &lib.items),
        Some(12)
    );
}

#[test]
fn a_hostile_or_mistaken_file_is_refused_naming_each_field() {
    let lib = lib();
    let fighter = || example(Class::Fighter);
    let cases: Vec<(CharacterDef, &str)> = vec![
        (
            CharacterDef {
                name: "x".repeat(10_000),
                ..fighter()
            },
            "name: give 1 to 40 characters",
        ),
        (
            CharacterDef {
                name: "   ".into(),
                ..fighter()
            },
            "name: give 1 to 40",
        ),
        (
            CharacterDef {
                name: "Bob\u{7}\u{1b}[2J".into(),
                ..fighter()
            },
            "name: no control characters",
        ),
        (
            CharacterDef {
                description: "d".repeat(301),
                ..fighter()
            },
            "description: at most 300",
        ),
        (
            CharacterDef {
                portrait: "../../etc/passwd".into(),
                ..fighter()
            },
            "portrait:",
        ),
        (
            CharacterDef {
                format: 7,
                ..fighter()
            },
            "format: 7",
        ),
        // SRD 5.1 Fighter: "Choose two skills from Acrobatics, Animal Handling, ...".
        (
            CharacterDef {
                skills: vec![
                    Skill::Athletics,
                    Skill::Perception,
                    Skill::Survival,
                    Skill::History,
                    Skill::Intimidation,
                ],
                ..fighter()
            },
            "skills: a Fighter chooses 2, not 5",
        ),
        (
            CharacterDef {
                skills: vec![Skill::Stealth, Skill::Athletics],
                ..fighter()
            },
            "skills: Stealth is not a Fighter skill",
        ),
        (
            CharacterDef {
                skills: vec![Skill::Athletics, Skill::Athletics],
                ..fighter()
            },
            "skills: Athletics is chosen twice",
        ),
        // Acolyte gives Insight already (SRD 5.1: "choose a different skill").
        (
            CharacterDef {
                skills: vec![Skill::Insight, Skill::Athletics],
                ..fighter()
            },
            "choose another",
        ),
        (
            CharacterDef {
                fighting_style: None,
                ..fighter()
            },
            "fighting_style: a fighter chooses one",
        ),
        (
            CharacterDef {
                fighting_style: Some(FightingStyle::Archery),
                ..example(Class::Wizard)
            },
            "fighting_style: only fighters",
        ),
        (
            CharacterDef {
                expertise: vec![Skill::Arcana, Skill::Stealth],
                ..example(Class::Rogue)
            },
            "expertise: Arcana is not one of your skills",
        ),
        (
            CharacterDef {
                expertise: vec![Skill::Athletics],
                ..fighter()
            },
            "expertise: only rogues",
        ),
        // A wizard spell for a cleric.
        (
            CharacterDef {
                spells: vec!["magic-missile".into()],
                ..example(Class::Cleric)
            },
            "spells: `magic-missile` is not a Cleric (Life Domain) spell",
        ),
        (
            CharacterDef {
                cantrips: vec!["fire-bolt".into(), "guidance".into(), "light".into()],
                ..example(Class::Cleric)
            },
            "cantrips: `fire-bolt` is not a Cleric (Life Domain) cantrip",
        ),
        (
            CharacterDef {
                spells: vec!["bless".into()],
                ..example(Class::Cleric)
            },
            "always prepared: choose another",
        ),
        (
            CharacterDef {
                cantrips: vec!["fire-bolt".into(), "light".into()],
                ..example(Class::Wizard)
            },
            "cantrips: choose 3, not 2",
        ),
        // An unknown spell.
        (
            CharacterDef {
                spells: vec!["wish".into(); 6],
                ..example(Class::Wizard)
            },
            "spells: `wish` is not a Wizard spell",
        ),
        (
            CharacterDef {
                spells: vec!["magic-missile".into()],
                ..fighter()
            },
            "spells: a Fighter casts no spells",
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
    // Every problem is listed, not just the first.
    let many = CharacterDef {
        name: String::new(),
        portrait: "dragon".into(),
        skills: vec![Skill::Stealth],
        fighting_style: None,
        equipment: 5,
        ..fighter()
    };
    let errors = build(&many, &lib, "x").unwrap_err();
    for field in [
        "name:",
        "portrait:",
        "skills:",
        "fighting_style:",
        "equipment:",
    ] {
        assert!(
            errors.iter().any(|e| e.starts_with(field)),
            "{field} {errors:?}"
        );
    }
    // A spell on the class's list that this game's content lacks.
    let mut thin = lib.clone();
    thin.spells.remove("sleep");
    let errors = build(&example(Class::Wizard), &thin, "x").unwrap_err();
    assert_eq!(
        errors,
        vec!["spells: `sleep` is not in this game's content"]
    );
}

#[test]
fn a_hostile_file_is_refused_before_anything_is_built() {
    // Larger than 16 KiB.
    let big = format!("(name: \"{}\")", "a".repeat(20_000));
    assert!(parse(&big).unwrap_err().contains("16 KiB"));
    let text = to_ron(&example(Class::Rogue));
    // An unknown field.
    let unknown = text.replacen("(", "(level: 20,", 1);
    let e = parse(&unknown).unwrap_err();
    assert!(
        e.contains("`level` is not a field") && e.contains("line 1"),
        "{e}"
    );
    // An unknown race, class, skill.
    let e = parse(&text.replace("race: Human", "race: Dragon")).unwrap_err();
    assert!(e.starts_with("race: `Dragon` is not one of Human"), "{e}");
    let e = parse(&text.replace("class: Rogue", "class: Paladin")).unwrap_err();
    assert!(e.starts_with("class: `Paladin`"), "{e}");
    let e = parse(&text.replace("Stealth", "Lockpicking")).unwrap_err();
    assert!(e.starts_with("skills: `Lockpicking`"), "{e}");
    // A missing field; not RON at all.
    let e = parse("(name: \"Bob\")").unwrap_err();
    assert!(e.contains("missing"), "{e}");
    assert!(parse("\u{0}\u{1}garbage").unwrap_err().contains("line 1"));
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
        let text = to_ron(&def);
        assert!(text.contains("format: 1"), "{text}");
        assert_eq!(parse(&text).unwrap(), def);
    }
}

#[test]
fn a_high_elf_takes_one_more_wizard_cantrip_and_keen_senses() {
    // SRD 5.1 High Elf: "Cantrip. You know one cantrip of your choice from the wizard spell
    // list"; Elf "Keen Senses": proficiency in the Perception skill.
    let lib = lib();
    let mut def = CharacterDef {
        race: Race::HighElf,
        skills: vec![Skill::Medicine, Skill::Persuasion],
        // Wisdom 15 (+2): three prepared at 1st level.
        spells: vec!["healing-word".into(), "guiding-bolt".into()],
        ..example(Class::Cleric)
    };
    assert!(problems(&def).contains(&"cantrips: choose 4, not 3".to_string()));
    def.cantrips.push("fire-bolt".into());
    let built = build(&def, &lib, "cleric").unwrap();
    assert!(built.skills.contains(&Skill::Perception));
    let spells = &built.spellcasting.unwrap().spells;
    assert!(spells.contains(&"fire-bolt".to_string()));
    // Only one: a second wizard cantrip is not a cleric's.
    def.cantrips[0] = "ray-of-frost".into();
    assert!(
        problems(&def)
            .iter()
            .any(|p| p.contains("is not a Cleric (Life Domain) cantrip"))
    );
    // Keen Senses already gives Perception: a class pick of it is refused.
    let ranger = CharacterDef {
        race: Race::HighElf,
        skills: vec![Skill::Perception, Skill::Athletics],
        ..example(Class::Fighter)
    };
    assert!(
        problems(&ranger)
            .iter()
            .any(|p| p.contains("Perception comes from"))
    );
}

#[test]
fn spells_come_at_the_levels_the_srd_gives_them() {
    let lib = lib();
    // SRD 5.1 Wizard: "a spellbook containing six 1st-level wizard spells"; each level after,
    // two more "of a level for which you have spell slots" (2nd-level slots at 3rd level).
    let mut wizard = example(Class::Wizard);
    wizard.spells.swap(0, 5);
    wizard.spells[0] = "web".into();
    assert!(
        problems(&wizard)
            .iter()
            .any(|p| p.contains("`web` is a 2nd-level spell"))
    );
    let mut wizard = example(Class::Wizard);
    wizard
        .spells
        .extend(["web", "misty-step", "hold-person"].map(String::from));
    assert!(problems(&wizard).contains(
        &"spells: a wizard adds at most two 2nd-level spells by 3rd level, not 3".to_string()
    ));
    wizard.spells.pop();
    let built = build(&wizard, &lib, "w").unwrap();
    assert_eq!(built.spellcasting.unwrap().spells.len(), 3 + 8);
    // SRD 5.1 Cleric: "a number of cleric spells equal to your Wisdom modifier + your cleric
    // level (minimum of one spell)"; Wisdom 16 gives four at 1st level, six by 3rd.
    let mut cleric = example(Class::Cleric);
    cleric.spells.push("hold-person".into());
    assert!(
        problems(&cleric)
            .iter()
            .any(|p| p.contains("prepares 1 to 6 spells"))
    );
    // The lists the creator offers are the shipped spells of each level.
    for class in [Class::Cleric, Class::Wizard] {
        for level in 0..=2 {
            let offered = chargen::spell_options(class, level, &lib);
            assert_eq!(offered.len(), chargen::spell_list(class, level).len());
        }
    }
    assert!(chargen::spell_options(Class::Fighter, 1, &lib).is_empty());
}

/// A table playing `pregen` (added to the library as `mine`) in the goblin ambush at
/// `level`, in combat with it to act first.
fn fight_with(pregen: &PregenDef, level: u32) -> Table {
    let mut lib = lib();
    lib.pregens.insert("mine".into(), pregen.clone());
    let mut enc = lib.encounters["goblin-ambush"].clone();
    enc.party = vec!["mine".into()];
    lib.encounters.insert("mine-ambush".into(), enc);
    for seed in 0..2000 {
        let mut t = Table::new_at_level(&lib, "mine-ambush", seed, 60_000, Some(level)).unwrap();
        t.map = MapGrid::open(20, 20);
        let mut f = 0;
        for c in &mut t.combatants {
            c.hidden = false;
            c.pos = if c.is_pc {
                GridPos::new(2, 2)
            } else {
                f += 1;
                GridPos::new(3, 2 * f)
            };
        }
        t.start_combat(0, "test".into());
        let me = t.combatants.iter().find(|c| c.source == "mine").unwrap().id;
        if t.active() == Some(me) {
            return t;
        }
    }
    panic!("no seed puts the built character first");
}

#[test]
fn a_built_character_plays_at_the_table() {
    let lib = lib();
    let def = CharacterDef {
        name: "Tordek".into(),
        race: Race::HillDwarf,
        ..example(Class::Fighter)
    };
    let built = build(&def, &lib, "mine").unwrap();
    let mut t = fight_with(&built, 3);
    let me = t
        .combatants
        .iter()
        .find(|c| c.source == "mine")
        .unwrap()
        .clone();
    assert_eq!(
        (me.name.as_str(), me.ac, me.max_hp, me.level),
        ("Tordek", 19, 34, 3)
    );
    let goblin = t
        .combatants
        .iter()
        .find(|c| c.source == "goblin")
        .unwrap()
        .id;
    let from = t.next_seq;
    t.submit(
        me.id,
        Action::Attack {
            target: goblin,
            attack: 0,
        },
        0,
    )
    .unwrap();
    let attacked = t
        .log
        .iter()
        .filter(|e| e.seq >= from)
        .find_map(|e| match &e.event {
            GameEvent::Attacked(a) if a.attacker == me.id => Some(a.clone()),
            _ => None,
        });
    let a = attacked.expect("the longsword swings");
    // Longsword: Str 15 (+2) + proficiency 2.
    assert_eq!(a.roll.d20.natural as i32 + 4, a.roll.total, "{a:?}");
}
