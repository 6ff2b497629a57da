//! The shipped creatures carry their exact SRD 5.1 stat blocks: every number below is written
//! out from the SRD 5.1 (CC-BY-4.0, see assets/CREDITS.md), not read back from the files.

use emberkeep_shared::content::{
    Ability, Condition, ContentLibrary, CreatureDef, DamageType, Feature, OnHit,
};
use emberkeep_shared::dice::DiceExpr;
use emberkeep_shared::spells::{Effect, Lasts};
use std::path::PathBuf;

use DamageType::{Bludgeoning, Piercing, Slashing};

fn assets() -> PathBuf {
    emberkeep_shared::package_dir(env!("CARGO_MANIFEST_DIR")).join("../assets")
}

fn library() -> ContentLibrary {
    ContentLibrary::load_dir(&assets())
        .unwrap_or_else(|e| panic!("shipped content is broken:\n{e}"))
}

/// One SRD 5.1 stat block, as printed.
struct Srd {
    id: &'static str,
    ac: i32,
    armor: Option<&'static str>,
    hp: i32,
    hit_dice: &'static str,
    speed: u32,
    /// STR DEX CON INT WIS CHA.
    scores: [i32; 6],
    challenge: &'static str,
    xp: u32,
    /// (name, to-hit, damage dice, damage type), in stat block order.
    attacks: &'static [(&'static str, i32, &'static str, DamageType)],
}

const SRD: [Srd; 15] = [
    // SRD 5.1 Bandit: Armor Class 12 (leather armor), Hit Points 11 (2d8 + 2), Speed 30 ft.;
    // STR 11 DEX 12 CON 12 INT 10 WIS 10 CHA 10; Challenge 1/8 (25 XP); Scimitar +3, 4 (1d6 + 1)
    // slashing; Light Crossbow +3, range 80/320 ft., 5 (1d8 + 1) piercing.
    Srd {
        id: "bandit",
        ac: 12,
        armor: Some("leather armor"),
        hp: 11,
        hit_dice: "2d8+2",
        speed: 30,
        scores: [11, 12, 12, 10, 10, 10],
        challenge: "1/8",
        xp: 25,
        attacks: &[
            ("Scimitar", 3, "1d6+1", Slashing),
            ("Light Crossbow", 3, "1d8+1", Piercing),
        ],
    },
    // SRD 5.1 Bugbear: Armor Class 16 (hide armor, shield), Hit Points 27 (5d8 + 5), Speed 30 ft.;
    // STR 15 DEX 14 CON 13 INT 8 WIS 11 CHA 9; Challenge 1 (200 XP); Morningstar +4, 11 (2d8 + 2)
    // piercing; Javelin +4, reach 5 ft. or range 30/120 ft., 9 (2d6 + 2) piercing in melee or
    // 5 (1d6 + 2) piercing at range.
    Srd {
        id: "bugbear",
        ac: 16,
        armor: Some("hide armor, shield"),
        hp: 27,
        hit_dice: "5d8+5",
        speed: 30,
        scores: [15, 14, 13, 8, 11, 9],
        challenge: "1",
        xp: 200,
        attacks: &[
            ("Morningstar", 4, "2d8+2", Piercing),
            ("Javelin", 4, "2d6+2", Piercing),
            ("Javelin (thrown)", 4, "1d6+2", Piercing),
        ],
    },
    // SRD 5.1 Goblin: Armor Class 15 (leather armor, shield), Hit Points 7 (2d6), Speed 30 ft.;
    // STR 8 DEX 14 CON 10 INT 10 WIS 8 CHA 8; Challenge 1/4 (50 XP); Scimitar +4, 5 (1d6 + 2)
    // slashing; Shortbow +4, range 80/320 ft., 5 (1d6 + 2) piercing.
    Srd {
        id: "goblin",
        ac: 15,
        armor: Some("leather armor, shield"),
        hp: 7,
        hit_dice: "2d6",
        speed: 30,
        scores: [8, 14, 10, 10, 8, 8],
        challenge: "1/4",
        xp: 50,
        attacks: &[
            ("Scimitar", 4, "1d6+2", Slashing),
            ("Shortbow", 4, "1d6+2", Piercing),
        ],
    },
    // SRD 5.1 Orc: Armor Class 13 (hide armor), Hit Points 15 (2d8 + 6), Speed 30 ft.;
    // STR 16 DEX 12 CON 16 INT 7 WIS 11 CHA 10; Challenge 1/2 (100 XP); Greataxe +5, 9 (1d12 + 3)
    // slashing; Javelin +5, reach 5 ft. or range 30/120 ft., 6 (1d6 + 3) piercing.
    Srd {
        id: "orc",
        ac: 13,
        armor: Some("hide armor"),
        hp: 15,
        hit_dice: "2d8+6",
        speed: 30,
        scores: [16, 12, 16, 7, 11, 10],
        challenge: "1/2",
        xp: 100,
        attacks: &[
            ("Greataxe", 5, "1d12+3", Slashing),
            ("Javelin", 5, "1d6+3", Piercing),
            ("Javelin (thrown)", 5, "1d6+3", Piercing),
        ],
    },
    // SRD 5.1 Skeleton: Armor Class 13 (armor scraps), Hit Points 13 (2d8 + 4), Speed 30 ft.;
    // STR 10 DEX 14 CON 15 INT 6 WIS 8 CHA 5; Challenge 1/4 (50 XP); Shortsword +4, 5 (1d6 + 2)
    // piercing; Shortbow +4, range 80/320 ft., 5 (1d6 + 2) piercing.
    Srd {
        id: "skeleton",
        ac: 13,
        armor: Some("armor scraps"),
        hp: 13,
        hit_dice: "2d8+4",
        speed: 30,
        scores: [10, 14, 15, 6, 8, 5],
        challenge: "1/4",
        xp: 50,
        attacks: &[
            ("Shortsword", 4, "1d6+2", Piercing),
            ("Shortbow", 4, "1d6+2", Piercing),
        ],
    },
    // SRD 5.1 Wolf: Armor Class 13 (natural armor), Hit Points 11 (2d8 + 2), Speed 40 ft.;
    // STR 12 DEX 15 CON 12 INT 3 WIS 12 CHA 6; Challenge 1/4 (50 XP); Bite +4, 7 (2d4 + 2)
    // piercing, DC 11 Strength saving throw or be knocked prone.
    Srd {
        id: "wolf",
        ac: 13,
        armor: Some("natural armor"),
        hp: 11,
        hit_dice: "2d8+2",
        speed: 40,
        scores: [12, 15, 12, 3, 12, 6],
        challenge: "1/4",
        xp: 50,
        attacks: &[("Bite", 4, "2d4+2", Piercing)],
    },
    // SRD 5.1 Kobold: Armor Class 12, Hit Points 5 (2d6 − 2), Speed 30 ft.;
    // STR 7 DEX 15 CON 9 INT 8 WIS 7 CHA 8; Challenge 1/8 (25 XP); Dagger +4, 4 (1d4 + 2)
    // piercing; Sling +4, range 30/120 ft., 4 (1d4 + 2) bludgeoning.
    Srd {
        id: "kobold",
        ac: 12,
        armor: None,
        hp: 5,
        hit_dice: "2d6-2",
        speed: 30,
        scores: [7, 15, 9, 8, 7, 8],
        challenge: "1/8",
        xp: 25,
        attacks: &[
            ("Dagger", 4, "1d4+2", Piercing),
            ("Sling", 4, "1d4+2", Bludgeoning),
        ],
    },
    // SRD 5.1 Giant Rat: Armor Class 12, Hit Points 7 (2d6), Speed 30 ft.;
    // STR 7 DEX 15 CON 11 INT 2 WIS 10 CHA 4; Challenge 1/8 (25 XP); Bite +4, 4 (1d4 + 2)
    // piercing.
    Srd {
        id: "giant-rat",
        ac: 12,
        armor: None,
        hp: 7,
        hit_dice: "2d6",
        speed: 30,
        scores: [7, 15, 11, 2, 10, 4],
        challenge: "1/8",
        xp: 25,
        attacks: &[("Bite", 4, "1d4+2", Piercing)],
    },
    // SRD 5.1 Zombie: Armor Class 8, Hit Points 22 (3d8 + 9), Speed 20 ft.;
    // STR 13 DEX 6 CON 16 INT 3 WIS 6 CHA 5; Saving Throws Wis +0; Challenge 1/4 (50 XP);
    // Slam +3, 4 (1d6 + 1) bludgeoning.
    Srd {
        id: "zombie",
        ac: 8,
        armor: None,
        hp: 22,
        hit_dice: "3d8+9",
        speed: 20,
        scores: [13, 6, 16, 3, 6, 5],
        challenge: "1/4",
        xp: 50,
        attacks: &[("Slam", 3, "1d6+1", Bludgeoning)],
    },
    // SRD 5.1 Cultist: Armor Class 12 (leather armor), Hit Points 9 (2d8), Speed 30 ft.;
    // STR 11 DEX 12 CON 10 INT 10 WIS 11 CHA 10; Challenge 1/8 (25 XP); Scimitar +3,
    // 4 (1d6 + 1) slashing.
    Srd {
        id: "cultist",
        ac: 12,
        armor: Some("leather armor"),
        hp: 9,
        hit_dice: "2d8",
        speed: 30,
        scores: [11, 12, 10, 10, 11, 10],
        challenge: "1/8",
        xp: 25,
        attacks: &[("Scimitar", 3, "1d6+1", Slashing)],
    },
    // SRD 5.1 Acolyte: Armor Class 10, Hit Points 9 (2d8), Speed 30 ft.;
    // STR 10 DEX 10 CON 10 INT 10 WIS 14 CHA 11; Challenge 1/4 (50 XP); Club +2, 2 (1d4)
    // bludgeoning.
    Srd {
        id: "acolyte",
        ac: 10,
        armor: None,
        hp: 9,
        hit_dice: "2d8",
        speed: 30,
        scores: [10, 10, 10, 10, 14, 11],
        challenge: "1/4",
        xp: 50,
        attacks: &[("Club", 2, "1d4", Bludgeoning)],
    },
    // SRD 5.1 Hobgoblin: Armor Class 18 (chain mail, shield), Hit Points 11 (2d8 + 2),
    // Speed 30 ft.; STR 13 DEX 12 CON 12 INT 10 WIS 10 CHA 9; Challenge 1/2 (100 XP);
    // Longsword +3, 5 (1d8 + 1) slashing; Longbow +3, range 150/600 ft., 5 (1d8 + 1) piercing.
    Srd {
        id: "hobgoblin",
        ac: 18,
        armor: Some("chain mail, shield"),
        hp: 11,
        hit_dice: "2d8+2",
        speed: 30,
        scores: [13, 12, 12, 10, 10, 9],
        challenge: "1/2",
        xp: 100,
        attacks: &[
            ("Longsword", 3, "1d8+1", Slashing),
            ("Longbow", 3, "1d8+1", Piercing),
        ],
    },
    // SRD 5.1 Giant Spider: Armor Class 14 (natural armor), Hit Points 26 (4d10 + 4),
    // Speed 30 ft., climb 30 ft.; STR 14 DEX 16 CON 12 INT 2 WIS 11 CHA 4; Challenge 1 (200 XP);
    // Bite +5, 7 (1d8 + 3) piercing, DC 11 Constitution saving throw, 9 (2d8) poison damage on a
    // failed save, or half as much on a successful one.
    Srd {
        id: "giant-spider",
        ac: 14,
        armor: Some("natural armor"),
        hp: 26,
        hit_dice: "4d10+4",
        speed: 30,
        scores: [14, 16, 12, 2, 11, 4],
        challenge: "1",
        xp: 200,
        attacks: &[("Bite", 5, "1d8+3", Piercing)],
    },
    // SRD 5.1 Ghoul: Armor Class 12, Hit Points 22 (5d8), Speed 30 ft.;
    // STR 13 DEX 15 CON 10 INT 7 WIS 10 CHA 6; Challenge 1 (200 XP); Bite +2, 9 (2d6 + 2)
    // piercing; Claws +4, 7 (2d4 + 2) slashing, DC 10 Constitution saving throw or be paralyzed
    // for 1 minute, repeating the save at the end of each of its turns.
    Srd {
        id: "ghoul",
        ac: 12,
        armor: None,
        hp: 22,
        hit_dice: "5d8",
        speed: 30,
        scores: [13, 15, 10, 7, 10, 6],
        challenge: "1",
        xp: 200,
        attacks: &[
            ("Bite", 2, "2d6+2", Piercing),
            ("Claws", 4, "2d4+2", Slashing),
        ],
    },
    // SRD 5.1 Ogre: Armor Class 11 (hide armor), Hit Points 59 (7d10 + 21), Speed 40 ft.;
    // STR 19 DEX 8 CON 16 INT 5 WIS 7 CHA 7; Challenge 2 (450 XP); Greatclub +6, 13 (2d8 + 4)
    // bludgeoning; Javelin +6, reach 5 ft. or range 30/120 ft., 11 (2d6 + 4) piercing.
    Srd {
        id: "ogre",
        ac: 11,
        armor: Some("hide armor"),
        hp: 59,
        hit_dice: "7d10+21",
        speed: 40,
        scores: [19, 8, 16, 5, 7, 7],
        challenge: "2",
        xp: 450,
        attacks: &[
            ("Greatclub", 6, "2d8+4", Bludgeoning),
            ("Javelin", 6, "2d6+4", Piercing),
            ("Javelin (thrown)", 6, "2d6+4", Piercing),
        ],
    },
];

fn creature<'a>(lib: &'a ContentLibrary, id: &str) -> &'a CreatureDef {
    lib.creatures
        .get(id)
        .unwrap_or_else(|| panic!("missing creature {id}"))
}

fn dice(text: &str) -> DiceExpr {
    DiceExpr::parse(text).unwrap()
}

#[test]
fn the_game_has_at_least_fourteen_creatures() {
    let lib = library();
    assert!(
        lib.creatures.len() >= 14,
        "only {} creatures: {:?}",
        lib.creatures.len(),
        lib.creatures.keys().collect::<Vec<_>>()
    );
}

#[test]
fn every_stat_block_matches_the_srd() {
    let lib = library();
    for s in &SRD {
        let c = creature(&lib, s.id);
        let a = c.abilities;
        assert_eq!(c.id, s.id);
        assert_eq!(
            (
                c.ac,
                c.armor.as_deref(),
                c.hp,
                c.hit_dice.to_string().as_str(),
                c.speed
            ),
            (s.ac, s.armor, s.hp, s.hit_dice, s.speed),
            "{}: AC, armor, HP, hit dice, speed",
            s.id
        );
        assert_eq!(
            [a.str, a.dex, a.con, a.int, a.wis, a.cha],
            s.scores,
            "{}: ability scores",
            s.id
        );
        assert_eq!(
            (c.challenge.as_str(), c.xp),
            (s.challenge, s.xp),
            "{}: challenge",
            s.id
        );
        let attacks: Vec<_> = c
            .attacks
            .iter()
            .map(|x| {
                (
                    x.name.as_str(),
                    x.to_hit,
                    x.damage.to_string(),
                    x.damage_type,
                )
            })
            .collect();
        let expected: Vec<_> = s
            .attacks
            .iter()
            .map(|&(n, h, d, t)| (n, h, d.to_string(), t))
            .collect();
        assert_eq!(attacks, expected, "{}: attacks", s.id);
        assert!(!c.temperament.is_empty(), "{}: no temperament", s.id);
    }
}

#[test]
fn ranges_reaches_saves_and_immunities_match_the_srd() {
    let lib = library();
    // (id, attack, reach, range) — SRD 5.1 "reach 5 ft." / "range N/M ft." as printed.
    let reach_and_range = [
        ("bandit", "Light Crossbow", 5, Some((80, 320))),
        ("bugbear", "Javelin (thrown)", 5, Some((30, 120))),
        ("goblin", "Shortbow", 5, Some((80, 320))),
        ("orc", "Javelin (thrown)", 5, Some((30, 120))),
        ("skeleton", "Shortbow", 5, Some((80, 320))),
        ("kobold", "Sling", 5, Some((30, 120))),
        ("hobgoblin", "Longbow", 5, Some((150, 600))),
        ("ogre", "Javelin (thrown)", 5, Some((30, 120))),
        ("ogre", "Greatclub", 5, None),
        ("giant-spider", "Bite", 5, None),
        ("ghoul", "Claws", 5, None),
    ];
    for (id, name, reach, range) in reach_and_range {
        let c = creature(&lib, id);
        let a = c
            .attacks
            .iter()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("{id}: no attack {name}"));
        assert_eq!((a.reach, a.range), (reach, range), "{id} {name}");
    }
    // SRD 5.1 Zombie: Saving Throws Wis +0; Damage Immunities poison; Condition Immunities poisoned.
    let zombie = creature(&lib, "zombie");
    assert_eq!(zombie.saves, vec![(Ability::Wis, 0)]);
    assert_eq!(zombie.immunities, vec![DamageType::Poison]);
    assert_eq!(zombie.condition_immunities, vec![Condition::Poisoned]);
    // SRD 5.1 Ghoul: Damage Immunities poison; Condition Immunities charmed, exhaustion, poisoned.
    let ghoul = creature(&lib, "ghoul");
    assert_eq!(ghoul.immunities, vec![DamageType::Poison]);
    assert_eq!(
        ghoul.condition_immunities,
        vec![
            Condition::Charmed,
            Condition::Exhaustion,
            Condition::Poisoned
        ]
    );
    // SRD 5.1 Skeleton: Damage Vulnerabilities bludgeoning; Damage Immunities poison;
    // Condition Immunities exhaustion, poisoned.
    let skeleton = creature(&lib, "skeleton");
    assert_eq!(skeleton.vulnerabilities, vec![DamageType::Bludgeoning]);
    assert_eq!(skeleton.immunities, vec![DamageType::Poison]);
    assert_eq!(
        skeleton.condition_immunities,
        vec![Condition::Exhaustion, Condition::Poisoned]
    );
    // Skills as printed: SRD 5.1 Giant Spider "Skills Stealth +7", Acolyte "Skills Medicine +4,
    // Religion +2", Cultist "Skills Deception +2, Religion +2", Bugbear "Skills Stealth +6,
    // Survival +2", Wolf "Skills Perception +3, Stealth +4".
    let skills = [
        ("giant-spider", vec![("Stealth", 7)]),
        ("acolyte", vec![("Medicine", 4), ("Religion", 2)]),
        ("cultist", vec![("Deception", 2), ("Religion", 2)]),
        ("bugbear", vec![("Stealth", 6), ("Survival", 2)]),
        ("wolf", vec![("Perception", 3), ("Stealth", 4)]),
        ("goblin", vec![("Stealth", 6)]),
        ("orc", vec![("Intimidation", 2)]),
    ];
    for (id, expected) in skills {
        let got: Vec<_> = creature(&lib, id)
            .skills
            .iter()
            .map(|(n, b)| (n.as_str(), *b))
            .collect();
        assert_eq!(got, expected, "{id}: skills");
    }
    // Sizes that change the board: SRD 5.1 "Large beast" (giant spider), "Large giant" (ogre).
    for id in ["giant-spider", "ogre"] {
        assert_eq!(
            creature(&lib, id).size,
            emberkeep_shared::content::Size::Large,
            "{id}"
        );
    }
}

#[test]
fn riders_match_the_srd() {
    let lib = library();
    let on_hit = |id: &str, attack: &str| {
        creature(&lib, id)
            .attacks
            .iter()
            .find(|a| a.name == attack)
            .unwrap_or_else(|| panic!("{id}: no attack {attack}"))
            .on_hit
            .clone()
    };
    // SRD 5.1 Wolf Bite: "it must succeed on a DC 11 Strength saving throw or be knocked prone."
    assert_eq!(
        on_hit("wolf", "Bite"),
        Some(OnHit::KnockProne {
            dc: 11,
            save: Ability::Str
        })
    );
    // SRD 5.1 Giant Spider Bite: "the target must make a DC 11 Constitution saving throw, taking
    // 9 (2d8) poison damage on a failed save, or half as much damage on a successful one."
    assert_eq!(
        on_hit("giant-spider", "Bite"),
        Some(OnHit::Save {
            dc: 11,
            ability: Ability::Con,
            half: true,
            effects: vec![Effect::Damage {
                dice: dice("2d8"),
                damage_type: DamageType::Poison,
                add_modifier: false,
            }],
        })
    );
    // SRD 5.1 Ghoul Claws: "it must succeed on a DC 10 Constitution saving throw or be paralyzed
    // for 1 minute. The target can repeat the saving throw at the end of each of its turns".
    assert_eq!(
        on_hit("ghoul", "Claws"),
        Some(OnHit::Save {
            dc: 10,
            ability: Ability::Con,
            half: false,
            effects: vec![Effect::Condition {
                condition: Condition::Paralyzed,
                lasts: Lasts::Rounds(10),
                save_ends: true,
            }],
        })
    );
    // SRD 5.1 Ghoul Bite: "Hit: 9 (2d6 + 2) piercing damage." — nothing more.
    assert_eq!(on_hit("ghoul", "Bite"), None);
    // No other attack of these creatures has a rider.
    for s in &SRD {
        for a in &creature(&lib, s.id).attacks {
            let expected = matches!(
                (s.id, a.name.as_str()),
                ("wolf", "Bite") | ("giant-spider", "Bite") | ("ghoul", "Claws")
            );
            assert_eq!(a.on_hit.is_some(), expected, "{} {}", s.id, a.name);
        }
    }
}

#[test]
fn features_match_the_srd_traits() {
    let lib = library();
    // SRD 5.1 traits the rules apply: Nimble Escape (goblin), Aggressive (orc), Surprise Attack
    // "an extra 7 (2d6) damage" (bugbear), Pack Tactics (wolf, kobold, giant rat), Undead
    // Fortitude (zombie), Martial Advantage "an extra 7 (2d6) damage" (hobgoblin), Dark Devotion
    // (cultist). None of these stat blocks prints a Multiattack.
    let expected: [(&str, Vec<Feature>); 15] = [
        ("bandit", vec![]),
        ("bugbear", vec![Feature::SurpriseAttack(dice("2d6"))]),
        ("goblin", vec![Feature::NimbleEscape]),
        ("orc", vec![Feature::Aggressive]),
        ("skeleton", vec![]),
        ("wolf", vec![Feature::PackTactics]),
        ("kobold", vec![Feature::PackTactics]),
        ("giant-rat", vec![Feature::PackTactics]),
        ("zombie", vec![Feature::UndeadFortitude]),
        ("cultist", vec![Feature::DarkDevotion]),
        ("acolyte", vec![]),
        ("hobgoblin", vec![Feature::MartialAdvantage(dice("2d6"))]),
        ("giant-spider", vec![]),
        ("ghoul", vec![]),
        ("ogre", vec![]),
    ];
    for (id, features) in expected {
        assert_eq!(creature(&lib, id).features, features, "{id}: features");
    }
    // The traits' SRD text stays alongside the machine-readable features.
    for (id, name) in [
        ("goblin", "Nimble Escape"),
        ("orc", "Aggressive"),
        ("bugbear", "Surprise Attack"),
        ("wolf", "Pack Tactics"),
        ("kobold", "Pack Tactics"),
        ("kobold", "Sunlight Sensitivity"),
        ("giant-rat", "Pack Tactics"),
        ("giant-rat", "Keen Smell"),
        ("zombie", "Undead Fortitude"),
        ("cultist", "Dark Devotion"),
        ("hobgoblin", "Martial Advantage"),
        ("giant-spider", "Spider Climb"),
        ("giant-spider", "Web Sense"),
        ("giant-spider", "Web Walker"),
        ("giant-spider", "Web (Recharge 5–6)"),
        ("acolyte", "Spellcasting"),
    ] {
        assert!(
            creature(&lib, id)
                .traits
                .iter()
                .any(|t| t.name == name && !t.text.is_empty()),
            "{id}: no trait {name}"
        );
    }
}

#[test]
fn the_acolyte_casts_its_srd_spells() {
    let lib = library();
    // SRD 5.1 Acolyte: "Its spellcasting ability is Wisdom ... Cantrips (at will): light, sacred
    // flame, thaumaturgy; 1st level (3 slots): bless, cure wounds, sanctuary".
    let casting = creature(&lib, "acolyte")
        .spellcasting
        .clone()
        .expect("the acolyte casts spells");
    assert_eq!(casting.ability, Ability::Wis);
    assert_eq!(casting.slots, Some(vec![3]));
    let mut spells = casting.spells;
    spells.sort();
    assert_eq!(
        spells,
        [
            "bless",
            "cure-wounds",
            "light",
            "sacred-flame",
            "sanctuary",
            "thaumaturgy"
        ]
    );
    for id in &spells {
        assert!(lib.spells.contains_key(id), "no spell file for {id}");
    }
    // SRD 5.1 Light: "Evocation cantrip; Casting Time: 1 action; Range: Touch; Duration: 1 hour".
    let light = &lib.spells["light"];
    assert_eq!(
        (light.level, light.school.as_str(), light.duration_rounds),
        (0, "evocation", Some(600))
    );
    assert_eq!(light.range, emberkeep_shared::spells::SpellRange::Touch);
    assert_eq!(light.hook.as_deref(), Some("narrative"));
}
