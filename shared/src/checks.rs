//! Ability checks, saving throws and skills (SRD 5.1 "Using Ability Scores"): a d20 plus the
//! ability modifier, plus the proficiency bonus when proficient (twice it with expertise),
//! plus any bonus die (Bless on saves, Guidance on a check), against a DC. Contests compare two
//! checks; passive checks are 10 + modifiers (±5 for advantage/disadvantage).

use crate::content::Ability;
use crate::dice::{Advantage, D20Roll, GameRng, roll_d20};
use serde::{Deserialize, Serialize};

/// The SRD's eighteen skills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Skill {
    /// Dexterity.
    Acrobatics,
    /// Wisdom.
    AnimalHandling,
    /// Intelligence.
    Arcana,
    /// Strength.
    Athletics,
    /// Charisma.
    Deception,
    /// Intelligence.
    History,
    /// Wisdom.
    Insight,
    /// Charisma.
    Intimidation,
    /// Intelligence.
    Investigation,
    /// Wisdom.
    Medicine,
    /// Intelligence.
    Nature,
    /// Wisdom.
    Perception,
    /// Charisma.
    Performance,
    /// Charisma.
    Persuasion,
    /// Intelligence.
    Religion,
    /// Dexterity.
    SleightOfHand,
    /// Dexterity.
    Stealth,
    /// Wisdom.
    Survival,
}

impl Skill {
    /// Every skill.
    pub const ALL: [Skill; 18] = [
        Skill::Acrobatics,
        Skill::AnimalHandling,
        Skill::Arcana,
        Skill::Athletics,
        Skill::Deception,
        Skill::History,
        Skill::Insight,
        Skill::Intimidation,
        Skill::Investigation,
        Skill::Medicine,
        Skill::Nature,
        Skill::Perception,
        Skill::Performance,
        Skill::Persuasion,
        Skill::Religion,
        Skill::SleightOfHand,
        Skill::Stealth,
        Skill::Survival,
    ];

    /// The ability a skill uses (SRD 5.1, "Skills").
    pub fn ability(self) -> Ability {
        use Skill::*;
        match self {
            Athletics => Ability::Str,
            Acrobatics | SleightOfHand | Stealth => Ability::Dex,
            Arcana | History | Investigation | Nature | Religion => Ability::Int,
            AnimalHandling | Insight | Medicine | Perception | Survival => Ability::Wis,
            Deception | Intimidation | Performance | Persuasion => Ability::Cha,
        }
    }

    /// The printed name ("Sleight of Hand"), as stat blocks write it.
    pub fn name(self) -> &'static str {
        use Skill::*;
        match self {
            Acrobatics => "Acrobatics",
            AnimalHandling => "Animal Handling",
            Arcana => "Arcana",
            Athletics => "Athletics",
            Deception => "Deception",
            History => "History",
            Insight => "Insight",
            Intimidation => "Intimidation",
            Investigation => "Investigation",
            Medicine => "Medicine",
            Nature => "Nature",
            Perception => "Perception",
            Performance => "Performance",
            Persuasion => "Persuasion",
            Religion => "Religion",
            SleightOfHand => "Sleight of Hand",
            Stealth => "Stealth",
            Survival => "Survival",
        }
    }

    /// The skill with this printed name.
    pub fn from_name(name: &str) -> Option<Skill> {
        Skill::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(name))
    }
}

/// How well a creature knows a skill, a save or a tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Proficiency {
    /// Only the ability modifier.
    #[default]
    None,
    /// Adds the proficiency bonus.
    Proficient,
    /// Adds twice the proficiency bonus (a rogue's Expertise).
    Expertise,
}

impl Proficiency {
    /// What it adds for a given proficiency bonus.
    pub fn bonus(self, proficiency_bonus: i32) -> i32 {
        match self {
            Proficiency::None => 0,
            Proficiency::Proficient => proficiency_bonus,
            Proficiency::Expertise => proficiency_bonus.saturating_mul(2),
        }
    }
}

/// One check or save as rolled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRoll {
    /// The d20 (both dice with advantage or disadvantage).
    pub d20: D20Roll,
    /// Modifier and proficiency.
    pub bonus: i32,
    /// A bonus die's roll (Bless, Guidance), if any.
    pub extra: Option<i32>,
    /// d20 + bonus + extra.
    pub total: i32,
    /// The DC it was rolled against, if any.
    pub dc: Option<i32>,
    /// `total >= dc` (always false without a DC).
    pub success: bool,
}

/// Rolls an ability check or a saving throw: d20 + bonus (+ a bonus die already rolled)
/// against a DC. Unlike attack rolls, a natural 20 or 1 has no special meaning for checks and
/// saves (SRD 5.1 "Ability Checks", "Saving Throws").
pub fn roll_check(
    rng: &mut GameRng,
    bonus: i32,
    extra: Option<i32>,
    advantage: Advantage,
    dc: Option<i32>,
) -> CheckRoll {
    let d20 = roll_d20(rng, advantage);
    let total = (d20.natural as i32)
        .saturating_add(bonus)
        .saturating_add(extra.unwrap_or(0));
    CheckRoll {
        d20,
        bonus,
        extra,
        total,
        dc,
        success: dc.is_some_and(|dc| total >= dc),
    }
}

/// A passive check: 10 + all modifiers, +5 with advantage, −5 with disadvantage (SRD 5.1
/// "Passive Checks").
pub fn passive(bonus: i32, advantage: Advantage) -> i32 {
    10 + bonus
        + match advantage {
            Advantage::Advantage => 5,
            Advantage::Disadvantage => -5,
            Advantage::Normal => 0,
        }
}

/// Who won a contest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ContestWinner {
    /// The creature that started it (the shover, the grappler).
    Actor,
    /// The one resisting. A tie also goes here: "the situation remains the same as it was
    /// before the contest" (SRD 5.1 "Contests"), so the actor's attempt fails.
    Defender,
}

/// A contest: both roll, the higher total wins, a tie keeps things as they were.
pub fn contest(
    rng: &mut GameRng,
    actor: (i32, Advantage),
    defender: (i32, Advantage),
) -> (CheckRoll, CheckRoll, ContestWinner) {
    let a = roll_check(rng, actor.0, None, actor.1, None);
    let d = roll_check(rng, defender.0, None, defender.1, None);
    let winner = if a.total > d.total {
        ContestWinner::Actor
    } else {
        ContestWinner::Defender
    };
    (a, d, winner)
}

/// A spell save DC: 8 + proficiency bonus + spellcasting ability modifier (SRD 5.1
/// "Spellcasting": "Spell save DC = 8 + your proficiency bonus + your Wisdom modifier").
pub fn spell_save_dc(proficiency_bonus: i32, ability_modifier: i32) -> i32 {
    8 + proficiency_bonus + ability_modifier
}

/// A spell attack bonus: proficiency bonus + spellcasting ability modifier.
pub fn spell_attack_bonus(proficiency_bonus: i32, ability_modifier: i32) -> i32 {
    proficiency_bonus + ability_modifier
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dice::rng_from_seed;

    #[test]
    fn skills_use_their_srd_abilities() {
        // SRD 5.1 "Skills": Strength — Athletics; Dexterity — Acrobatics, Sleight of Hand,
        // Stealth; Intelligence — Arcana, History, Investigation, Nature, Religion; Wisdom —
        // Animal Handling, Insight, Medicine, Perception, Survival; Charisma — Deception,
        // Intimidation, Performance, Persuasion.
        let count = |a| Skill::ALL.iter().filter(|s| s.ability() == a).count();
        assert_eq!(count(Ability::Str), 1);
        assert_eq!(count(Ability::Dex), 3);
        assert_eq!(count(Ability::Int), 5);
        assert_eq!(count(Ability::Wis), 5);
        assert_eq!(count(Ability::Cha), 4);
        assert_eq!(
            Skill::from_name("sleight of hand"),
            Some(Skill::SleightOfHand)
        );
        assert_eq!(Skill::from_name("Flying"), None);
    }

    #[test]
    fn expertise_doubles_the_proficiency_bonus() {
        assert_eq!(Proficiency::None.bonus(2), 0);
        assert_eq!(Proficiency::Proficient.bonus(2), 2);
        assert_eq!(Proficiency::Expertise.bonus(2), 4);
    }

    #[test]
    fn a_check_meets_its_dc_and_a_natural_20_is_not_automatic() {
        let mut rng = rng_from_seed(1);
        for _ in 0..2000 {
            let r = roll_check(&mut rng, 3, Some(2), Advantage::Normal, Some(15));
            assert_eq!(r.total, r.d20.natural as i32 + 5);
            assert_eq!(r.success, r.total >= 15);
        }
        // Against DC 30 with +0, even a natural 20 fails a save.
        let mut rng = rng_from_seed(2);
        assert!(
            (0..500).all(|_| !roll_check(&mut rng, 0, None, Advantage::Normal, Some(30)).success)
        );
    }

    #[test]
    fn passive_perception_is_ten_plus_modifiers_five_for_advantage() {
        // SRD 5.1: "10 + all modifiers that normally apply to the check. If the character has
        // advantage on the check, add 5. For disadvantage, subtract 5."
        assert_eq!(passive(3, Advantage::Normal), 13);
        assert_eq!(passive(3, Advantage::Advantage), 18);
        assert_eq!(passive(3, Advantage::Disadvantage), 8);
    }

    #[test]
    fn a_tied_contest_leaves_things_as_they_were() {
        let mut rng = rng_from_seed(9);
        let mut ties = 0;
        for _ in 0..3000 {
            let (a, d, w) = contest(&mut rng, (2, Advantage::Normal), (2, Advantage::Normal));
            if a.total == d.total {
                ties += 1;
                assert_eq!(w, ContestWinner::Defender);
            } else {
                assert_eq!(w == ContestWinner::Actor, a.total > d.total);
            }
        }
        assert!(ties > 0);
    }

    #[test]
    fn spell_dc_and_attack_bonus_follow_the_srd_formula() {
        // A 1st-level cleric with Wisdom 16: DC 8 + 2 + 3 = 13, spell attack +5.
        assert_eq!(spell_save_dc(2, 3), 13);
        assert_eq!(spell_attack_bonus(2, 3), 5);
    }
}
