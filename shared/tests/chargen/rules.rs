//! The SRD 5.1 numbers: point buy and the standard array, racial traits, armor class and
//! speed, cantrips and spells by level.

use super::*;

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
    // Three cantrips and the six of 1st level; the 2nd level's two come with it (chosen at
    // the table when the character levels up, these the suggestions).
    assert_eq!(built.spellcasting.unwrap().spells.len(), 3 + 6);
    assert_eq!(built.levels[0].spells, ["web", "misty-step"]);
    assert!(built.levels[1].spells.is_empty());
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
