//! Character files: every problem named by field, hostile files refused, a round trip.

use super::*;

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
