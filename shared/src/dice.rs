//! Dice expressions (`2d6+3`, `1d20`, `d8-1`, `2d6+1d4`) and the seedable RNG every roll uses.

use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The one random number generator of a campaign. ChaCha8 is portable and stable across
/// platforms and releases, so a seed replays the same rolls everywhere.
pub type GameRng = rand_chacha::ChaCha8Rng;

/// Creates the campaign RNG for `seed`.
pub fn rng_from_seed(seed: u64) -> GameRng {
    GameRng::seed_from_u64(seed)
}

/// Rolls one die with `sides` faces (1..=sides).
pub fn roll_die(rng: &mut GameRng, sides: u32) -> u32 {
    rng.random_range(1..=sides)
}

/// One `NdS` term of a dice expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiceTerm {
    /// How many dice.
    pub count: u32,
    /// Faces per die.
    pub sides: u32,
}

/// A parsed dice expression: dice terms plus a flat modifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DiceExpr {
    /// The dice to roll (each term may also be subtracted, see `negative`).
    pub terms: Vec<DiceTerm>,
    /// Terms that are subtracted, parallel to `terms`.
    pub negative: Vec<bool>,
    /// Flat modifier added to the total.
    pub modifier: i32,
}

/// The result of rolling a [`DiceExpr`]: every die as rolled, and the total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiceRoll {
    /// Each die rolled, as `(sides, value)`, in expression order.
    pub dice: Vec<(u32, u32)>,
    /// The flat modifier that was added.
    pub modifier: i32,
    /// Sum of dice and modifier (may be negative for odd expressions; callers clamp).
    pub total: i32,
}

/// Why a dice expression did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid dice expression `{text}`: {reason} (expected something like `2d6+3`)")]
pub struct DiceParseError {
    /// The text that failed.
    pub text: String,
    /// What was wrong.
    pub reason: String,
}

/// Dice counts and faces are bounded so a hostile file cannot ask for a billion dice.
const MAX_DICE: u32 = 100;
const MAX_SIDES: u32 = 1000;

impl DiceExpr {
    /// Parses `text` such as `2d6+3`, `d20`, `1d8 - 1`, `2d6+1d4`.
    pub fn parse(text: &str) -> Result<Self, DiceParseError> {
        let err = |reason: &str| DiceParseError {
            text: text.to_string(),
            reason: reason.to_string(),
        };
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.is_empty() {
            return Err(err("it is empty"));
        }
        let mut expr = DiceExpr {
            terms: Vec::new(),
            negative: Vec::new(),
            modifier: 0,
        };
        let mut rest = compact.as_str();
        let mut first = true;
        while !rest.is_empty() {
            let mut negative = false;
            if let Some(r) = rest.strip_prefix('+') {
                rest = r;
            } else if let Some(r) = rest.strip_prefix('-') {
                rest = r;
                negative = true;
            } else if !first {
                return Err(err("terms must be joined with + or -"));
            }
            first = false;
            let end = rest.find(['+', '-']).unwrap_or(rest.len());
            let (term, tail) = rest.split_at(end);
            rest = tail;
            if term.is_empty() {
                return Err(err("a + or - is not followed by a term"));
            }
            if let Some((count, sides)) = term.split_once(['d', 'D']) {
                let count = if count.is_empty() {
                    1
                } else {
                    count
                        .parse::<u32>()
                        .map_err(|_| err("the dice count is not a number"))?
                };
                let sides = sides
                    .parse::<u32>()
                    .map_err(|_| err("the die size is not a number"))?;
                if count == 0 || count > MAX_DICE {
                    return Err(err("the dice count must be 1 to 100"));
                }
                if sides == 0 || sides > MAX_SIDES {
                    return Err(err("the die size must be 1 to 1000"));
                }
                expr.terms.push(DiceTerm { count, sides });
                expr.negative.push(negative);
            } else {
                let value = term
                    .parse::<i32>()
                    .map_err(|_| err("a term is neither NdS nor a number"))?;
                if value > 10_000 {
                    return Err(err("the modifier is too large"));
                }
                expr.modifier += if negative { -value } else { value };
            }
        }
        Ok(expr)
    }

    /// Rolls the expression. With `critical`, every die is rolled twice (SRD critical hits).
    pub fn roll(&self, rng: &mut GameRng, critical: bool) -> DiceRoll {
        let mut dice = Vec::new();
        let mut total = self.modifier;
        for (term, negative) in self.terms.iter().zip(&self.negative) {
            let count = if critical { term.count * 2 } else { term.count };
            for _ in 0..count {
                let value = roll_die(rng, term.sides);
                dice.push((term.sides, value));
                total += if *negative {
                    -(value as i32)
                } else {
                    value as i32
                };
            }
        }
        DiceRoll {
            dice,
            modifier: self.modifier,
            total,
        }
    }

    /// Smallest possible total.
    pub fn min(&self) -> i32 {
        self.bound(|_| 1)
    }

    /// Largest possible total.
    pub fn max(&self) -> i32 {
        self.bound(|t| t.sides as i32)
    }

    /// Average total, rounded down as the SRD prints it (e.g. `2d6` → 7).
    pub fn average(&self) -> i32 {
        let twice: i32 = self
            .terms
            .iter()
            .zip(&self.negative)
            .map(|(t, n)| {
                let v = t.count as i32 * (t.sides as i32 + 1);
                if *n { -v } else { v }
            })
            .sum();
        (twice + 2 * self.modifier).div_euclid(2)
    }

    fn bound(&self, per_die: impl Fn(&DiceTerm) -> i32) -> i32 {
        self.terms
            .iter()
            .zip(&self.negative)
            .map(|(t, n)| {
                let v = t.count as i32 * per_die(t);
                if *n { -v } else { v }
            })
            .sum::<i32>()
            + self.modifier
    }
}

impl TryFrom<String> for DiceExpr {
    type Error = DiceParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        DiceExpr::parse(&value)
    }
}

impl From<DiceExpr> for String {
    fn from(value: DiceExpr) -> Self {
        value.to_string()
    }
}

impl fmt::Display for DiceExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (term, negative)) in self.terms.iter().zip(&self.negative).enumerate() {
            if *negative {
                write!(f, "-")?;
            } else if i > 0 {
                write!(f, "+")?;
            }
            write!(f, "{}d{}", term.count, term.sides)?;
        }
        match self.modifier {
            0 if !self.terms.is_empty() => Ok(()),
            m if m < 0 => write!(f, "{m}"),
            m if self.terms.is_empty() => write!(f, "{m}"),
            m => write!(f, "+{m}"),
        }
    }
}

/// Advantage state of a d20 roll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Advantage {
    /// Roll one d20.
    #[default]
    Normal,
    /// Roll two, keep the higher.
    Advantage,
    /// Roll two, keep the lower.
    Disadvantage,
}

impl Advantage {
    /// Combines sources as the SRD says: any advantage and any disadvantage cancel out.
    pub fn from_sources(advantage: bool, disadvantage: bool) -> Self {
        match (advantage, disadvantage) {
            (true, false) => Advantage::Advantage,
            (false, true) => Advantage::Disadvantage,
            _ => Advantage::Normal,
        }
    }
}

/// A d20 roll: both dice when rolled with (dis)advantage, and the one kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct D20Roll {
    /// The dice rolled (one or two).
    pub rolls: [u32; 2],
    /// How many of `rolls` are meaningful (1 or 2).
    pub count: u8,
    /// The die kept.
    pub natural: u32,
    /// Advantage state it was rolled with.
    pub advantage: Advantage,
}

/// Rolls a d20 with the given advantage state.
pub fn roll_d20(rng: &mut GameRng, advantage: Advantage) -> D20Roll {
    let a = roll_die(rng, 20);
    match advantage {
        Advantage::Normal => D20Roll {
            rolls: [a, 0],
            count: 1,
            natural: a,
            advantage,
        },
        Advantage::Advantage => {
            let b = roll_die(rng, 20);
            D20Roll {
                rolls: [a, b],
                count: 2,
                natural: a.max(b),
                advantage,
            }
        }
        Advantage::Disadvantage => {
            let b = roll_die(rng, 20);
            D20Roll {
                rolls: [a, b],
                count: 2,
                natural: a.min(b),
                advantage,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_expressions() {
        let e = DiceExpr::parse("2d6+3").unwrap();
        assert_eq!(e.terms, vec![DiceTerm { count: 2, sides: 6 }]);
        assert_eq!(e.modifier, 3);
        assert_eq!(
            DiceExpr::parse("d20").unwrap().terms[0],
            DiceTerm {
                count: 1,
                sides: 20
            }
        );
        assert_eq!(DiceExpr::parse("1d8 - 1").unwrap().modifier, -1);
        assert_eq!(DiceExpr::parse("2d6+1d4").unwrap().terms.len(), 2);
        assert_eq!(DiceExpr::parse("5").unwrap().max(), 5);
    }

    #[test]
    fn rejects_garbage_with_reason() {
        for bad in [
            "", "2d", "d", "2x6", "2d6++3", "0d6", "1d0", "101d6", "2d6*3",
        ] {
            let err = DiceExpr::parse(bad).unwrap_err();
            assert!(
                err.to_string().contains("expected something like"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn srd_averages() {
        assert_eq!(DiceExpr::parse("2d6").unwrap().average(), 7);
        assert_eq!(DiceExpr::parse("2d8+2").unwrap().average(), 11);
        assert_eq!(DiceExpr::parse("5d8+5").unwrap().average(), 27);
        assert_eq!(DiceExpr::parse("2d8+6").unwrap().average(), 15);
        assert_eq!(DiceExpr::parse("1d12+3").unwrap().average(), 9);
    }

    #[test]
    fn display_round_trips() {
        for text in ["2d6+3", "1d20", "1d8-1", "2d6+1d4", "7"] {
            assert_eq!(DiceExpr::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn same_seed_same_rolls() {
        let e = DiceExpr::parse("4d6+2").unwrap();
        let mut a = rng_from_seed(42);
        let mut b = rng_from_seed(42);
        for _ in 0..100 {
            assert_eq!(e.roll(&mut a, false), e.roll(&mut b, false));
        }
    }

    #[test]
    fn critical_doubles_the_dice_not_the_modifier() {
        let e = DiceExpr::parse("1d6+2").unwrap();
        let roll = e.roll(&mut rng_from_seed(1), true);
        assert_eq!(roll.dice.len(), 2);
        assert_eq!(
            roll.total,
            roll.dice.iter().map(|d| d.1 as i32).sum::<i32>() + 2
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn every_roll_is_within_bounds(count in 1u32..10, sides in 1u32..20, modifier in -5i32..10, seed: u64) {
                let e = DiceExpr::parse(&format!("{count}d{sides}{modifier:+}")).unwrap();
                let roll = e.roll(&mut rng_from_seed(seed), false);
                prop_assert!(roll.total >= e.min() && roll.total <= e.max());
                prop_assert_eq!(roll.dice.len() as u32, count);
            }

            #[test]
            fn advantage_keeps_the_higher_and_disadvantage_the_lower(seed: u64) {
                let mut rng = rng_from_seed(seed);
                let adv = roll_d20(&mut rng, Advantage::Advantage);
                prop_assert_eq!(adv.natural, adv.rolls[0].max(adv.rolls[1]));
                let dis = roll_d20(&mut rng, Advantage::Disadvantage);
                prop_assert_eq!(dis.natural, dis.rolls[0].min(dis.rolls[1]));
            }
        }

        #[test]
        fn d20_is_uniform_and_advantage_shifts_the_mean() {
            let mut rng = rng_from_seed(7);
            let n = 60_000;
            let mut counts = [0u32; 21];
            let (mut normal, mut adv, mut dis) = (0u64, 0u64, 0u64);
            for _ in 0..n {
                let r = roll_d20(&mut rng, Advantage::Normal).natural;
                counts[r as usize] += 1;
                normal += r as u64;
                adv += roll_d20(&mut rng, Advantage::Advantage).natural as u64;
                dis += roll_d20(&mut rng, Advantage::Disadvantage).natural as u64;
            }
            // Each face ~3,000 times; a 15% band is > 8 standard deviations.
            for (face, count) in counts.iter().enumerate().skip(1) {
                assert!(
                    (2550..=3450).contains(count),
                    "face {face}: {}",
                    counts[face]
                );
            }
            let mean = |s: u64| s as f64 / n as f64;
            // Theory: 10.5, 13.825 and 7.175.
            assert!((mean(normal) - 10.5).abs() < 0.1);
            assert!((mean(adv) - 13.825).abs() < 0.1);
            assert!((mean(dis) - 7.175).abs() < 0.1);
        }
    }
}
