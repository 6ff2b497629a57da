//! Your own character: the character file a player makes in the client (or by hand) and
//! brings to a new campaign, checked against SRD 5.1 character creation and built into the
//! same [`PregenDef`] the shipped characters are written as (levels 1 to 3).
//!
//! Everything in a file is hostile until checked: [`parse`] bounds its size and reads it,
//! [`problems`] lists every rule it breaks (no content needed, so the browser client shows
//! them while you choose), and [`build`] also checks it against the content library.

pub mod data;

use crate::checks::Skill;
use crate::content::{
    Abilities, Ability, AttackDef, AttackKind, ContentLibrary, Feature, FightingStyle, LevelDef,
    PregenDef,
};
use crate::spells::Spellcasting;
use data::{Package, WEAPONS};
use serde::{Deserialize, Serialize};

/// The longest character file read.
pub const MAX_FILE_BYTES: usize = 16 * 1024;
/// The portraits a character may use (`art/tokens/<id>.png`).
pub const PORTRAITS: [&str; 5] = ["fighter", "rogue", "cleric", "wizard", "acolyte"];
/// The SRD 5.1 standard array.
pub const STANDARD_ARRAY: [i32; 6] = [15, 14, 13, 12, 10, 8];
/// Points to spend in SRD 5.1 "Variant: Customizing Ability Scores".
pub const POINT_BUY_BUDGET: i32 = 27;
/// The character file's format.
pub const FORMAT: u32 = 1;

/// A playable race (SRD 5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Race {
    /// Human.
    Human,
    /// Hill dwarf.
    HillDwarf,
    /// High elf.
    HighElf,
    /// Lightfoot halfling.
    LightfootHalfling,
}

impl Race {
    /// Every race.
    pub const ALL: [Race; 4] = [
        Race::Human,
        Race::HillDwarf,
        Race::HighElf,
        Race::LightfootHalfling,
    ];

    /// Shown name.
    pub fn name(self) -> &'static str {
        match self {
            Race::Human => "Human",
            Race::HillDwarf => "Hill Dwarf",
            Race::HighElf => "High Elf",
            Race::LightfootHalfling => "Lightfoot Halfling",
        }
    }
}

/// A class (SRD 5.1), with the subclass it takes by 3rd level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Class {
    /// Fighter (Champion).
    Fighter,
    /// Rogue (Thief).
    Rogue,
    /// Cleric (Life Domain).
    Cleric,
    /// Wizard (School of Evocation).
    Wizard,
}

impl Class {
    /// Every class.
    pub const ALL: [Class; 4] = [Class::Fighter, Class::Rogue, Class::Cleric, Class::Wizard];

    /// Shown name.
    pub fn name(self) -> &'static str {
        match self {
            Class::Fighter => "Fighter",
            Class::Rogue => "Rogue",
            Class::Cleric => "Cleric (Life Domain)",
            Class::Wizard => "Wizard",
        }
    }
}

/// A background: the SRD's Acolyte, or one of your own with two skills.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Background {
    /// Acolyte: Insight and Religion.
    Acolyte,
    /// Your own: a name and two skills.
    Custom {
        /// Its name.
        name: String,
        /// Its two skills.
        skills: Vec<Skill>,
    },
}

/// How the ability scores were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Method {
    /// 15, 14, 13, 12, 10, 8 in any order.
    StandardArray,
    /// 27 points, each score 8 to 15.
    PointBuy,
}

/// A character file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CharacterDef {
    /// The file's format ([`FORMAT`]).
    #[serde(default = "format_one")]
    pub format: u32,
    /// Name (1 to 40 characters).
    pub name: String,
    /// A line for players and the narrator (at most 300 characters).
    #[serde(default)]
    pub description: String,
    /// Portrait (one of [`PORTRAITS`]).
    pub portrait: String,
    /// Race.
    pub race: Race,
    /// Class.
    pub class: Class,
    /// Background.
    pub background: Background,
    /// How the scores were found.
    pub method: Method,
    /// Ability scores before racial increases.
    pub scores: Abilities,
    /// The class's skill choices.
    pub skills: Vec<Skill>,
    /// A fighter's fighting style.
    #[serde(default)]
    pub fighting_style: Option<FightingStyle>,
    /// A rogue's Expertise: two of its skills.
    #[serde(default)]
    pub expertise: Vec<Skill>,
    /// Cantrips known (cleric, wizard; a high elf adds one wizard cantrip).
    #[serde(default)]
    pub cantrips: Vec<String>,
    /// A wizard's spellbook (6 to 10), a cleric's prepared spells beside its domain's.
    #[serde(default)]
    pub spells: Vec<String>,
    /// The starting equipment choice (an index into [`data::packages`]).
    #[serde(default)]
    pub equipment: usize,
}

fn format_one() -> u32 {
    FORMAT
}

/// Reads a character file (RON), refusing one too large.
pub fn parse(text: &str) -> Result<CharacterDef, String> {
    if text.len() > MAX_FILE_BYTES {
        return Err(format!(
            "a character file holds at most {} KiB; this one has {} bytes",
            MAX_FILE_BYTES / 1024,
            text.len()
        ));
    }
    ron::from_str(text).map_err(|e| {
        format!(
            "not a character file: {} at line {}, column {}",
            e.code, e.position.line, e.position.col
        )
    })
}

/// The file's text (pretty RON; [`parse`] reads it back).
pub fn to_ron(def: &CharacterDef) -> String {
    ron::ser::to_string_pretty(def, ron::ser::PrettyConfig::default()).unwrap_or_default()
}

/// SRD 5.1 point-buy cost of one score (8 to 15), `None` outside.
pub fn point_cost(score: i32) -> Option<i32> {
    match score {
        8..=13 => Some(score - 8),
        14 => Some(7),
        15 => Some(9),
        _ => None,
    }
}

fn scores_of(a: &Abilities) -> [i32; 6] {
    [a.str, a.dex, a.con, a.int, a.wis, a.cha]
}

/// Points spent by point-buy scores (None if one is out of 8 to 15).
pub fn points_spent(scores: &Abilities) -> Option<i32> {
    scores_of(scores).iter().map(|s| point_cost(*s)).sum()
}

/// The scores with the race's increases.
pub fn final_scores(def: &CharacterDef) -> Abilities {
    let b = data::racial_bonus(def.race);
    let s = &def.scores;
    Abilities {
        str: s.str + b.str,
        dex: s.dex + b.dex,
        con: s.con + b.con,
        int: s.int + b.int,
        wis: s.wis + b.wis,
        cha: s.cha + b.cha,
    }
}

/// Skills from the background and the race.
pub fn granted_skills(def: &CharacterDef) -> Vec<Skill> {
    let mut out = match &def.background {
        Background::Acolyte => vec![Skill::Insight, Skill::Religion],
        Background::Custom { skills, .. } => skills.clone(),
    };
    // High Elf "Keen Senses": proficiency in Perception.
    if def.race == Race::HighElf {
        out.push(Skill::Perception);
    }
    out
}

/// The chosen starting equipment.
pub fn package(def: &CharacterDef) -> Option<&'static Package> {
    data::packages(def.class).get(def.equipment)
}

/// Hit points at `level` (SRD 5.1: the Hit Die's maximum + Con at 1st, the fixed value +
/// Con each level after, at least 1 a level; a hill dwarf's Dwarven Toughness adds 1 a level).
pub fn hit_points(def: &CharacterDef, level: u32) -> i32 {
    let con = final_scores(def).modifier(Ability::Con);
    let die = data::hit_die(def.class);
    let tough = i32::from(def.race == Race::HillDwarf);
    let first = (die + con).max(1) + tough;
    let after = ((die / 2 + 1) + con).max(1) + tough;
    first + after * (level.clamp(1, 3) as i32 - 1)
}

/// Every rule the file breaks that needs no content (names, scores, skills, options).
pub fn problems(def: &CharacterDef) -> Vec<String> {
    let mut out = Vec::new();
    if def.format != FORMAT {
        out.push(format!(
            "format: {} is not a format this game reads (expected {FORMAT})",
            def.format
        ));
    }
    let name = def.name.trim();
    if name.is_empty() || name.chars().count() > 40 {
        out.push("name: give 1 to 40 characters".into());
    }
    if def.name.chars().any(char::is_control)
        || def.description.chars().any(|c| c.is_control() && c != '\n')
    {
        out.push("name, description: no control characters".into());
    }
    if def.description.chars().count() > 300 {
        out.push("description: at most 300 characters".into());
    }
    if !PORTRAITS.contains(&def.portrait.as_str()) {
        out.push(format!(
            "portrait: `{}` is not one of {}",
            clip(&def.portrait),
            PORTRAITS.join(", ")
        ));
    }
    // Ability scores.
    let scores = scores_of(&def.scores);
    match def.method {
        Method::StandardArray => {
            let mut sorted = scores;
            sorted.sort_unstable_by(|a, b| b.cmp(a));
            if sorted != STANDARD_ARRAY {
                out.push(
                    "scores: the standard array is 15, 14, 13, 12, 10 and 8, each once".into(),
                );
            }
        }
        Method::PointBuy => match points_spent(&def.scores) {
            None => out.push("scores: point buy scores are 8 to 15".into()),
            Some(spent) if spent > POINT_BUY_BUDGET => out.push(format!(
                "scores: point buy spends {spent} of {POINT_BUY_BUDGET} points"
            )),
            Some(_) => {}
        },
    }
    // Skills.
    let (count, list) = data::class_skills(def.class);
    let granted = granted_skills(def);
    if let Background::Custom { name, skills } = &def.background {
        if name.trim().is_empty() || name.chars().count() > 40 || name.chars().any(char::is_control)
        {
            out.push("background: name your background in 1 to 40 characters".into());
        }
        if skills.len() != 2 || skills[0] == skills.get(1).copied().unwrap_or(skills[0]) {
            out.push("background: a background gives two different skills".into());
        }
    }
    if def.skills.len() != count {
        out.push(format!(
            "skills: a {} chooses {count}, not {}",
            def.class.name(),
            def.skills.len()
        ));
    }
    for (i, s) in def.skills.iter().enumerate() {
        if !list.contains(s) {
            out.push(format!(
                "skills: {} is not a {} skill",
                s.name(),
                def.class.name()
            ));
        } else if def.skills[..i].contains(s) {
            out.push(format!("skills: {} is chosen twice", s.name()));
        } else if granted.contains(s) {
            out.push(format!(
                "skills: {} comes from your background or race already: choose another",
                s.name()
            ));
        }
    }
    // Class options.
    match (def.class, def.fighting_style) {
        (Class::Fighter, None) => out.push("fighting_style: a fighter chooses one".into()),
        (Class::Fighter, Some(_)) | (_, None) => {}
        (_, Some(_)) => out.push("fighting_style: only fighters have one".into()),
    }
    if def.class == Class::Rogue {
        let proficient: Vec<Skill> = def.skills.iter().chain(granted.iter()).copied().collect();
        if def.expertise.len() != 2 || def.expertise[0] == def.expertise[1] {
            out.push("expertise: a rogue chooses two different skills".into());
        }
        for s in &def.expertise {
            if !proficient.contains(s) {
                out.push(format!("expertise: {} is not one of your skills", s.name()));
            }
        }
    } else if !def.expertise.is_empty() {
        out.push("expertise: only rogues have it".into());
    }
    // Spells.
    let (cantrips, spells) = data::class_spells(def.class);
    let mut want_cantrips = data::cantrips_known(def.class);
    let elf_wizard_cantrip = def.race == Race::HighElf;
    if elf_wizard_cantrip {
        want_cantrips += 1;
    }
    if def.cantrips.len() != want_cantrips {
        out.push(format!(
            "cantrips: choose {want_cantrips}, not {}",
            def.cantrips.len()
        ));
    }
    let wizard_cantrips = data::class_spells(Class::Wizard).0;
    let mut extra = elf_wizard_cantrip;
    for (i, c) in def.cantrips.iter().enumerate() {
        if def.cantrips[..i].contains(c) {
            out.push(format!("cantrips: `{}` is chosen twice", clip(c)));
        } else if cantrips.contains(&c.as_str()) {
        } else if extra && wizard_cantrips.contains(&c.as_str()) {
            // High Elf "Cantrip": one wizard cantrip of your choice.
            extra = false;
        } else {
            out.push(format!(
                "cantrips: `{}` is not a {} cantrip",
                clip(c),
                def.class.name()
            ));
        }
    }
    match def.class {
        Class::Wizard => {
            let n = def.spells.len();
            if !(data::SPELLBOOK_AT_FIRST..=data::SPELLBOOK_AT_THIRD).contains(&n) {
                out.push(format!(
                    "spells: a wizard's spellbook holds {} to {} spells, not {n}",
                    data::SPELLBOOK_AT_FIRST,
                    data::SPELLBOOK_AT_THIRD
                ));
            }
        }
        Class::Cleric => {
            let most = (final_scores(def).modifier(Ability::Wis) + 3).max(1) as usize;
            if def.spells.is_empty() || def.spells.len() > most {
                out.push(format!(
                    "spells: a cleric prepares 1 to {most} spells beside the Life Domain's"
                ));
            }
        }
        Class::Fighter | Class::Rogue => {
            if !def.spells.is_empty() {
                out.push(format!("spells: a {} casts no spells", def.class.name()));
            }
        }
    }
    for (i, s) in def.spells.iter().enumerate() {
        if def.spells[..i].contains(s) {
            out.push(format!("spells: `{}` is chosen twice", clip(s)));
        } else if !spells.contains(&s.as_str()) {
            out.push(format!(
                "spells: `{}` is not a {} spell",
                clip(s),
                def.class.name()
            ));
        }
    }
    if package(def).is_none() {
        out.push(format!(
            "equipment: choice {} is not one of the {} a {} has",
            def.equipment,
            data::packages(def.class).len(),
            def.class.name()
        ));
    }
    out
}

fn clip(text: &str) -> String {
    text.chars().take(40).collect()
}

/// The character as a pregen with id `id` (levels 1 to 3), or every problem with it.
pub fn build(def: &CharacterDef, lib: &ContentLibrary, id: &str) -> Result<PregenDef, Vec<String>> {
    let mut out = problems(def);
    let scores = final_scores(def);
    let pkg = package(def);
    for item in pkg.map_or(&[][..], |p| p.items) {
        if !lib.items.contains_key(*item) {
            out.push(format!(
                "equipment: the item `{item}` is not in this game's content"
            ));
        }
    }
    for s in def.cantrips.iter().chain(def.spells.iter()) {
        if !lib.spells.contains_key(s) {
            out.push(format!(
                "spells: `{}` is not in this game's content",
                clip(s)
            ));
        }
    }
    if !out.is_empty() {
        return Err(out);
    }
    let pkg = pkg.expect("checked");
    let ac = armor_class(def, &lib.items).expect("the items are there");
    let mut skills: Vec<Skill> = granted_skills(def);
    skills.extend(def.skills.iter().copied());
    let (features, levels) = class_features(def);
    let spellcasting = match def.class {
        Class::Cleric => {
            let mut spells = def.cantrips.clone();
            for s in data::LIFE_DOMAIN_SPELLS
                .iter()
                .map(|s| s.to_string())
                .chain(def.spells.iter().cloned())
            {
                if !spells.contains(&s) {
                    spells.push(s);
                }
            }
            Some(Spellcasting {
                ability: Ability::Wis,
                spells,
                slots: None,
            })
        }
        Class::Wizard => Some(Spellcasting {
            ability: Ability::Int,
            spells: def
                .cantrips
                .iter()
                .chain(def.spells.iter())
                .cloned()
                .collect(),
            slots: None,
        }),
        Class::Fighter | Class::Rogue => None,
    };
    let mut description = def.description.trim().to_string();
    if !description.is_empty() {
        description.push(' ');
    }
    description.push_str(data::racial_notes(def.race));
    if let Background::Custom { name, .. } = &def.background {
        description.push_str(&format!(" Background: {}.", name.trim()));
    }
    Ok(PregenDef {
        id: id.to_string(),
        name: def.name.trim().to_string(),
        race: def.race.name().to_string(),
        class: def.class.name().to_string(),
        level: 1,
        ac,
        armor: Some(pkg.name.to_string()),
        max_hp: hit_points(def, 1),
        speed: data::speed(def.race),
        abilities: scores,
        proficiency: 2,
        attacks: pkg
            .weapons
            .iter()
            .filter_map(|w| attack(w, &scores))
            .collect(),
        features,
        resistances: if def.race == Race::HillDwarf {
            vec![crate::content::DamageType::Poison]
        } else {
            Vec::new()
        },
        saves: data::saves(def.class).to_vec(),
        skills,
        expertise: def.expertise.clone(),
        spellcasting,
        levels: levels
            .into_iter()
            .map(|(level, features)| LevelDef {
                level,
                max_hp: hit_points(def, level),
                features,
            })
            .collect(),
        equipment: pkg.items.iter().map(|s| s.to_string()).collect(),
        description,
    })
}

/// The armor class the starting equipment gives (SRD 5.1 "Armor and Shields": the armor's
/// base + Dexterity up to its cap, else 10 + Dexterity; a shield +2; Fighting Style
/// (Defense) +1 while wearing armor), with `items` the game's items; `None` if one is not
/// there.
pub fn armor_class(
    def: &CharacterDef,
    items: &std::collections::BTreeMap<String, crate::items::ItemDef>,
) -> Option<i32> {
    let gear = package(def)?
        .items
        .iter()
        .map(|id| items.get(*id))
        .collect::<Option<Vec<_>>>()?;
    let dex = final_scores(def).modifier(Ability::Dex);
    let armored = gear
        .iter()
        .any(|i| matches!(i.kind, crate::items::ItemKind::Armor { .. }));
    let defense = def.fighting_style == Some(FightingStyle::Defense) && armored;
    Some(
        crate::items::armor_class(gear.iter().copied(), dex).unwrap_or(10 + dex)
            + i32::from(defense),
    )
}

/// SRD 5.1 class features at 1st level, and what levels 2 and 3 add (as the pregens have them).
fn class_features(def: &CharacterDef) -> (Vec<Feature>, Vec<(u32, Vec<Feature>)>) {
    match def.class {
        Class::Fighter => (
            vec![
                Feature::FightingStyle(def.fighting_style.unwrap_or(FightingStyle::Defense)),
                Feature::SecondWind,
            ],
            vec![
                (2, vec![Feature::ActionSurge]),
                (3, vec![Feature::ImprovedCritical]),
            ],
        ),
        Class::Rogue => {
            let dice = |t: &str| crate::dice::DiceExpr::parse(t).expect("valid dice");
            (
                vec![Feature::SneakAttack(dice("1d6"))],
                vec![
                    (2, vec![Feature::CunningAction]),
                    (
                        3,
                        vec![Feature::SneakAttack(dice("2d6")), Feature::FastHands],
                    ),
                ],
            )
        }
        Class::Cleric => (
            vec![Feature::DiscipleOfLife],
            vec![(2, vec![Feature::ChannelDivinity(1)]), (3, Vec::new())],
        ),
        Class::Wizard => (
            vec![Feature::ArcaneRecovery],
            vec![(2, vec![Feature::SculptSpells]), (3, Vec::new())],
        ),
    }
}

/// A weapon's attack with these scores (SRD 5.1: Strength for melee and thrown weapons,
/// Dexterity for ranged ones, the better of the two with finesse; proficiency +2 — the
/// starting weapons are ones the class is proficient with).
fn attack(name: &str, scores: &Abilities) -> Option<AttackDef> {
    use crate::items::WeaponProperty;
    let w = WEAPONS.iter().find(|w| w.name == name)?;
    let str = scores.modifier(Ability::Str);
    let dex = scores.modifier(Ability::Dex);
    let finesse = w.properties.contains(&WeaponProperty::Finesse);
    let thrown = w.properties.contains(&WeaponProperty::Thrown);
    let m = if finesse {
        str.max(dex)
    } else if w.ranged && !thrown {
        dex
    } else {
        str
    };
    let damage = match m {
        0 => w.die.to_string(),
        m if m > 0 => format!("{}+{m}", w.die),
        m => format!("{}{m}", w.die),
    };
    Some(AttackDef {
        name: w.name.to_string(),
        kind: if w.ranged {
            AttackKind::Ranged
        } else {
            AttackKind::Melee
        },
        to_hit: 2 + m,
        reach: 5,
        range: w.range,
        damage: crate::dice::DiceExpr::parse(&damage).ok()?,
        damage_type: w.damage_type,
        on_hit: None,
        finesse,
        properties: w.properties.to_vec(),
    })
}

/// A valid character of `class` to start from (the creator opens with it).
pub fn example(class: Class) -> CharacterDef {
    let (skills, style, expertise, cantrips, spells, portrait): (
        Vec<Skill>,
        _,
        Vec<Skill>,
        Vec<&str>,
        Vec<&str>,
        _,
    ) = match class {
        Class::Fighter => (
            vec![Skill::Athletics, Skill::Perception],
            Some(FightingStyle::Defense),
            vec![],
            vec![],
            vec![],
            "fighter",
        ),
        Class::Rogue => (
            vec![
                Skill::Acrobatics,
                Skill::Perception,
                Skill::SleightOfHand,
                Skill::Stealth,
            ],
            None,
            vec![Skill::Stealth, Skill::Perception],
            vec![],
            vec![],
            "rogue",
        ),
        Class::Cleric => (
            vec![Skill::Medicine, Skill::Persuasion],
            None,
            vec![],
            vec!["sacred-flame", "guidance", "spare-the-dying"],
            vec!["healing-word", "guiding-bolt", "shield-of-faith"],
            "cleric",
        ),
        Class::Wizard => (
            vec![Skill::Arcana, Skill::Investigation],
            None,
            vec![],
            vec!["fire-bolt", "ray-of-frost", "mage-hand"],
            vec![
                "magic-missile",
                "shield",
                "sleep",
                "burning-hands",
                "mage-armor",
                "thunderwave",
            ],
            "wizard",
        ),
    };
    // The standard array, highest where the class needs it.
    let s = |a: [i32; 6]| Abilities {
        str: a[0],
        dex: a[1],
        con: a[2],
        int: a[3],
        wis: a[4],
        cha: a[5],
    };
    let scores = match class {
        Class::Fighter => s([15, 13, 14, 8, 12, 10]),
        Class::Rogue => s([8, 15, 13, 12, 10, 14]),
        Class::Cleric => s([13, 10, 14, 8, 15, 12]),
        Class::Wizard => s([8, 14, 13, 15, 12, 10]),
    };
    CharacterDef {
        format: FORMAT,
        name: format!("New {}", class.name().split(' ').next().unwrap_or("hero")),
        description: String::new(),
        portrait: portrait.into(),
        race: Race::Human,
        class,
        background: Background::Acolyte,
        method: Method::StandardArray,
        scores,
        skills,
        fighting_style: style,
        expertise,
        cantrips: cantrips.into_iter().map(String::from).collect(),
        spells: spells.into_iter().map(String::from).collect(),
        equipment: 0,
    }
}
