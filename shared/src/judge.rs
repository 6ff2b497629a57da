//! Judging a free-form action ("I pry the lid with my crowbar"): whether it needs a check, of
//! which skill, against which DC, rolled by whom. A model answers as JSON (the server reads and
//! bounds it); the built-in judge uses the keyword table [`KEYWORDS`]. The rules roll it (see
//! `Table::judge`).

use crate::checks::Skill;
use serde::{Deserialize, Serialize};

/// A check the judge asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRequest {
    /// The skill rolled.
    pub skill: Skill,
    /// The DC (5 to 30).
    pub dc: i32,
    /// Everyone in the party rolls (a group check: half or more must succeed).
    #[serde(default)]
    pub group: bool,
    /// Advantage (someone helps).
    #[serde(default)]
    pub advantage: bool,
}

/// The built-in judge's keyword table: the first row with a word found in the text decides
/// (skill, DC). Documented in the README.
pub const KEYWORDS: &[(&[&str], Skill, i32)] = &[
    (
        &["search", "inspect", "examine", "investigate", "look for"],
        Skill::Investigation,
        12,
    ),
    (
        &["listen", "spot", "watch", "keep an eye", "scan"],
        Skill::Perception,
        12,
    ),
    (
        &[
            "climb", "jump", "swim", "lift", "push", "pry", "force", "break",
        ],
        Skill::Athletics,
        13,
    ),
    (
        &["balance", "tumble", "flip", "dodge through"],
        Skill::Acrobatics,
        13,
    ),
    (&["sneak", "hide", "creep", "quietly"], Skill::Stealth, 13),
    (
        &["pick", "pickpocket", "palm", "slip", "lockpick"],
        Skill::SleightOfHand,
        14,
    ),
    (
        &[
            "persuade",
            "convince",
            "plead",
            "negotiate",
            "sweet-talk",
            "charm",
        ],
        Skill::Persuasion,
        13,
    ),
    (
        &["lie", "bluff", "deceive", "trick", "pretend"],
        Skill::Deception,
        14,
    ),
    (
        &["threaten", "intimidate", "scare", "menace"],
        Skill::Intimidation,
        13,
    ),
    (
        &[
            "sense motive",
            "read",
            "trust",
            "is he lying",
            "is she lying",
        ],
        Skill::Insight,
        12,
    ),
    (
        &["track", "forage", "navigate", "follow the trail"],
        Skill::Survival,
        12,
    ),
    (
        &["heal", "bandage", "treat", "diagnose"],
        Skill::Medicine,
        10,
    ),
    (
        &["recall", "remember", "history", "legend"],
        Skill::History,
        12,
    ),
    (&["arcane", "magic", "rune", "spell"], Skill::Arcana, 13),
    (
        &["pray", "holy", "religion", "god", "ritual"],
        Skill::Religion,
        12,
    ),
    (
        &["calm", "soothe", "tame", "ride"],
        Skill::AnimalHandling,
        12,
    ),
    (
        &["perform", "sing", "dance", "play music", "juggle"],
        Skill::Performance,
        12,
    ),
    (&["nature", "plant", "herb", "weather"], Skill::Nature, 12),
];

/// The built-in judgment of `text`: a check from [`KEYWORDS`], or none (talking, moving about:
/// nothing to roll). "we", "together" or "everyone" make it a group check; "help" gives
/// advantage.
pub fn builtin_judgment(text: &str) -> Option<CheckRequest> {
    let lower = text.to_lowercase();
    let has = |w: &str| {
        lower
            .match_indices(w)
            .any(|(i, _)| i == 0 || !lower.as_bytes()[i - 1].is_ascii_alphabetic())
    };
    let (_, skill, dc) = KEYWORDS
        .iter()
        .find(|(words, _, _)| words.iter().any(|w| has(w)))?;
    Some(CheckRequest {
        skill: *skill,
        dc: *dc,
        group: has("we ") || has("together") || has("everyone"),
        advantage: has("help"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_pick_skills_on_word_starts() {
        let j = builtin_judgment("I pry the lid with my crowbar").unwrap();
        assert_eq!((j.skill, j.dc), (Skill::Athletics, 13));
        assert_eq!(
            builtin_judgment("I sweet-talk the guard").unwrap().skill,
            Skill::Persuasion
        );
        assert!(builtin_judgment("Hello there, friend").is_none());
        assert!(
            builtin_judgment("we search the room together")
                .unwrap()
                .group
        );
        assert!(builtin_judgment("I help Brakka climb").unwrap().advantage);
    }
}
