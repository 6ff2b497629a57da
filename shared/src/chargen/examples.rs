//! A valid character of each class to start the creator from.

use super::{Background, CharacterDef, Class, FORMAT, Method, Race};
use crate::checks::Skill;
use crate::content::{Abilities, FightingStyle};

/// A valid character of `class` to start from (the creator opens with it): a human acolyte
/// with the standard array, highest where the class needs it.
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
            // Wisdom 16 (+3): four at 1st level, one at 2nd, one at 3rd.
            vec![
                "healing-word",
                "guiding-bolt",
                "shield-of-faith",
                "sanctuary",
                "inflict-wounds",
                "aid",
            ],
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
    let s = Abilities::from_array;
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
