//! SRD 5.1 rule primitives as plain functions: ability modifiers, attack rolls against AC,
//! critical damage, damage types, death saves. The table engine (`crate::table`) combines them.

use crate::content::{AttackDef, DamageType};
use crate::dice::{Advantage, D20Roll, DiceRoll, GameRng, roll_d20};
use serde::{Deserialize, Serialize};

/// `floor((score - 10) / 2)`.
pub fn ability_modifier(score: i32) -> i32 {
    (score - 10).div_euclid(2)
}

/// The outcome of an attack roll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttackRoll {
    /// The d20.
    pub d20: D20Roll,
    /// d20 + bonus.
    pub total: i32,
    /// The AC it was compared against.
    pub ac: i32,
    /// Whether it hit.
    pub hit: bool,
    /// Whether the hit is critical (natural 20, or an automatic critical).
    pub critical: bool,
}

/// Rolls an attack: a natural 1 always misses, a natural 20 always hits and is critical;
/// otherwise `d20 + to_hit >= ac` hits. `auto_critical` makes any hit critical (a melee hit
/// on an unconscious creature within 5 feet).
pub fn attack_roll(
    rng: &mut GameRng,
    to_hit: i32,
    ac: i32,
    advantage: Advantage,
    auto_critical: bool,
) -> AttackRoll {
    attack_roll_critical_on(rng, to_hit, ac, advantage, auto_critical, 20)
}

/// [`attack_roll`] with a wider critical range: a natural `critical_on` or higher is a
/// critical hit (Improved Critical: 19).
pub fn attack_roll_critical_on(
    rng: &mut GameRng,
    to_hit: i32,
    ac: i32,
    advantage: Advantage,
    auto_critical: bool,
    critical_on: u32,
) -> AttackRoll {
    let d20 = roll_d20(rng, advantage);
    let total = (d20.natural as i32).saturating_add(to_hit);
    let hit = match d20.natural {
        1 => false,
        n if n >= critical_on.min(20) => true,
        _ => total >= ac,
    };
    let critical = hit && (d20.natural >= critical_on.min(20) || auto_critical);
    AttackRoll {
        d20,
        total,
        ac,
        hit,
        critical,
    }
}

/// How a creature's defences changed a damage roll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DamageAdjustment {
    /// Taken as rolled.
    None,
    /// Halved, rounded down.
    Resisted,
    /// Doubled.
    Vulnerable,
    /// No damage.
    Immune,
}

/// Applies immunity, resistance and vulnerability (SRD order: resistance then vulnerability).
pub fn adjust_damage(
    amount: i32,
    damage_type: DamageType,
    vulnerabilities: &[DamageType],
    resistances: &[DamageType],
    immunities: &[DamageType],
) -> (i32, DamageAdjustment) {
    let amount = amount.max(0);
    if immunities.contains(&damage_type) {
        return (0, DamageAdjustment::Immune);
    }
    let resisted = resistances.contains(&damage_type);
    let vulnerable = vulnerabilities.contains(&damage_type);
    match (resisted, vulnerable) {
        (true, true) => (amount / 2 * 2, DamageAdjustment::None),
        (true, false) => (amount / 2, DamageAdjustment::Resisted),
        (false, true) => (amount.saturating_mul(2), DamageAdjustment::Vulnerable),
        (false, false) => (amount, DamageAdjustment::None),
    }
}

/// Rolls an attack's damage (doubling dice on a critical); damage never goes below 0.
pub fn roll_damage(rng: &mut GameRng, attack: &AttackDef, critical: bool) -> DiceRoll {
    let mut roll = attack.damage.roll(rng, critical);
    roll.total = roll.total.max(0);
    roll
}

/// The result of one death saving throw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeathSaveOutcome {
    /// 10 or more.
    Success,
    /// Below 10.
    Failure,
    /// A natural 1 counts as two failures.
    CriticalFailure,
    /// A natural 20: the creature regains 1 hit point.
    Revived,
}

/// Rolls a death saving throw.
pub fn death_save(rng: &mut GameRng) -> (u32, DeathSaveOutcome) {
    let d = roll_d20(rng, Advantage::Normal).natural;
    let outcome = match d {
        1 => DeathSaveOutcome::CriticalFailure,
        20 => DeathSaveOutcome::Revived,
        10..=19 => DeathSaveOutcome::Success,
        _ => DeathSaveOutcome::Failure,
    };
    (d, outcome)
}

/// A saving throw: `d20 + modifier >= dc`.
pub fn saving_throw(rng: &mut GameRng, modifier: i32, dc: i32) -> (D20Roll, bool) {
    let d20 = roll_d20(rng, Advantage::Normal);
    (d20, (d20.natural as i32).saturating_add(modifier) >= dc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dice::rng_from_seed;

    #[test]
    fn srd_ability_modifiers() {
        let table = [
            (1, -5),
            (3, -4),
            (8, -1),
            (9, -1),
            (10, 0),
            (11, 0),
            (12, 1),
            (15, 2),
            (20, 5),
            (30, 10),
        ];
        for (score, m) in table {
            assert_eq!(ability_modifier(score), m, "score {score}");
        }
    }

    #[test]
    fn natural_one_misses_and_natural_twenty_crits_whatever_the_numbers() {
        let mut rng = rng_from_seed(3);
        let (mut saw1, mut saw20) = (false, false);
        for _ in 0..2000 {
            let low = attack_roll(&mut rng, 100, 5, Advantage::Normal, false);
            if low.d20.natural == 1 {
                assert!(!low.hit);
                saw1 = true;
            }
            let high = attack_roll(&mut rng, -100, 30, Advantage::Normal, false);
            if high.d20.natural == 20 {
                assert!(high.hit && high.critical);
                saw20 = true;
            } else {
                assert!(!high.hit);
            }
        }
        assert!(saw1 && saw20);
    }

    #[test]
    fn meeting_the_ac_hits() {
        let mut rng = rng_from_seed(9);
        for _ in 0..500 {
            let r = attack_roll(&mut rng, 4, 15, Advantage::Normal, false);
            if (2..=19).contains(&r.d20.natural) {
                assert_eq!(r.hit, r.total >= 15);
                assert!(!r.critical);
            }
        }
    }

    #[test]
    fn damage_types() {
        use DamageType::*;
        assert_eq!(
            adjust_damage(9, Fire, &[], &[Fire], &[]),
            (4, DamageAdjustment::Resisted)
        );
        assert_eq!(
            adjust_damage(9, Bludgeoning, &[Bludgeoning], &[], &[]),
            (18, DamageAdjustment::Vulnerable)
        );
        assert_eq!(
            adjust_damage(9, Poison, &[], &[], &[Poison]),
            (0, DamageAdjustment::Immune)
        );
        assert_eq!(
            adjust_damage(9, Slashing, &[Bludgeoning], &[Fire], &[Poison]),
            (9, DamageAdjustment::None)
        );
    }

    #[test]
    fn death_save_thresholds() {
        let mut rng = rng_from_seed(11);
        for _ in 0..500 {
            let (d, o) = death_save(&mut rng);
            let expected = match d {
                1 => DeathSaveOutcome::CriticalFailure,
                20 => DeathSaveOutcome::Revived,
                d if d >= 10 => DeathSaveOutcome::Success,
                _ => DeathSaveOutcome::Failure,
            };
            assert_eq!(o, expected);
        }
    }
}
