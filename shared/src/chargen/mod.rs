//! Your own character: the character file a player makes in the client (or by hand) and
//! brings to a new campaign, checked against SRD 5.1 character creation and built into the
//! same [`PregenDef`](crate::content::PregenDef) the shipped characters are written as
//! (levels 1 to 3).
//!
//! Everything in a file is hostile until checked: [`parse`] bounds its size and reads it,
//! [`problems`] lists every rule it breaks (no content needed, so the client shows them while
//! you choose), and [`build`] also checks it against the content library and then runs the
//! library's own pregen checks on what it built.
//!
//! The option lists the creator offers are here too: [`Race::ALL`], [`Class::ALL`],
//! [`class_skills`], [`packages`], [`spell_list`], [`FIGHTING_STYLES`], [`point_cost`],
//! [`STANDARD_ARRAY`], [`racial_bonus`], and [`example`] to start from.

mod check;
pub mod classes;
mod examples;
pub mod races;
mod sheet;
pub mod weapons;

/// Every option list and rule table in one place (what [`classes`], [`races`] and
/// [`weapons`] hold).
pub mod data {
    pub use super::classes::*;
    pub use super::races::*;
    pub use super::weapons::*;
}

pub use check::problems;
pub use classes::{
    FIGHTING_STYLES, LIFE_DOMAIN_SPELLS, cantrips_known, class_skills, hit_die, hit_points,
    may_take, saves, spell_list, spell_options,
};
pub use examples::example;
pub use races::{final_scores, granted_skills, racial_bonus, racial_notes, speed};
pub use sheet::build;
pub use weapons::{Package, WEAPONS, Weapon, armor_class, package, packages};

use crate::checks::Skill;
use crate::content::{Abilities, FightingStyle};
use serde::{Deserialize, Serialize};

/// The longest character file read (16 KiB).
pub const MAX_FILE_BYTES: usize = 16 * 1024;
/// The portraits a character may use (`art/tokens/<id>.png`, the player tokens shipped).
pub const PORTRAITS: [&str; 5] = ["fighter", "rogue", "cleric", "wizard", "acolyte"];
/// The SRD 5.1 standard array.
pub const STANDARD_ARRAY: [i32; 6] = [15, 14, 13, 12, 10, 8];
/// Points to spend in SRD 5.1 "Variant: Customizing Ability Scores".
pub const POINT_BUY_BUDGET: i32 = 27;
/// The character file's format.
pub const FORMAT: u32 = 1;
/// The longest name (in characters).
pub const MAX_NAME_CHARS: usize = 40;
/// The longest description (in characters).
pub const MAX_DESCRIPTION_CHARS: usize = 300;

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
    /// Fighter (Champion at 3rd level).
    Fighter,
    /// Rogue (Thief at 3rd level).
    Rogue,
    /// Cleric (Life Domain).
    Cleric,
    /// Wizard (School of Evocation at 2nd level).
    Wizard,
}

impl Class {
    /// Every class.
    pub const ALL: [Class; 4] = [Class::Fighter, Class::Rogue, Class::Cleric, Class::Wizard];

    /// Shown name (as the pregens write it).
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
    /// The file's format ([`FORMAT`]), so later versions can read older files.
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
    /// Cantrips known (cleric, wizard: 3; a high elf adds one wizard cantrip).
    #[serde(default)]
    pub cantrips: Vec<String>,
    /// Spells of 1st and 2nd level, those gained at 1st level first. A wizard's spellbook: six
    /// 1st-level spells, then up to two more a level (at most two of 2nd level, gained at
    /// 3rd). A cleric's prepared spells beside the Life Domain's: Wisdom modifier + 1 (at
    /// least one) of 1st level, then up to one more a level. Slots gate what can be cast at
    /// each level, as with the shipped pregens.
    #[serde(default)]
    pub spells: Vec<String>,
    /// The starting equipment choice (an index into [`packages`] for the class).
    #[serde(default)]
    pub equipment: usize,
}

fn format_one() -> u32 {
    FORMAT
}

/// Reads a character file (RON), refusing one over [`MAX_FILE_BYTES`]; an error names the
/// field where it can, and the line and column.
pub fn parse(text: &str) -> Result<CharacterDef, String> {
    if text.len() > MAX_FILE_BYTES {
        return Err(format!(
            "a character file holds at most {} KiB; this one has {} bytes",
            MAX_FILE_BYTES / 1024,
            text.len()
        ));
    }
    ron::from_str(text).map_err(|e| {
        let at = format!("at line {}, column {}", e.span.start.line, e.span.start.col);
        match &e.code {
            ron::Error::NoSuchEnumVariant {
                expected,
                found,
                outer,
            } => {
                let field = match outer.as_deref() {
                    Some("Race") => "race",
                    Some("Class") => "class",
                    Some("Method") => "method",
                    Some("Background") => "background",
                    Some("FightingStyle") => "fighting_style",
                    Some("Skill") => "skills",
                    _ => "a choice",
                };
                format!(
                    "{field}: `{}` is not one of {} ({at})",
                    found.chars().take(40).collect::<String>(),
                    expected.join(", ")
                )
            }
            ron::Error::NoSuchStructField { found, .. } => format!(
                "`{}` is not a field of a character file ({at})",
                found.chars().take(40).collect::<String>()
            ),
            ron::Error::MissingStructField { field, .. } => {
                format!("{field}: missing from the file ({at})")
            }
            code => format!("not a character file: {code} {at}"),
        }
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

/// Points spent by point-buy scores (None if one is out of 8 to 15).
pub fn points_spent(scores: &Abilities) -> Option<i32> {
    scores.all().iter().map(|s| point_cost(*s)).sum()
}

/// Whether these are the standard array's scores, in any order.
pub fn is_standard_array(scores: &Abilities) -> bool {
    let mut sorted = scores.all();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    sorted == STANDARD_ARRAY
}

/// The first 40 characters of a player's text, for messages.
fn clip(text: &str) -> String {
    text.chars().take(40).collect()
}
