//! Damage and what it does: conditions from hits, Undead Fortitude, dropping to 0 hit points
//! (a player character falls unconscious, a monster dies), death saves failed by hits, death.

use super::{CombatantId, Table};
use crate::content::{Ability, Condition, DamageType, Feature};
use crate::event::GameEvent;

impl Table {
    pub(super) fn apply_condition(
        &mut self,
        target: CombatantId,
        condition: Condition,
        now_ms: u64,
    ) {
        let c = self.combatant_mut(target);
        if c.condition_immunities.contains(&condition) || !c.conditions.insert(condition) {
            return;
        }
        self.emit(now_ms, GameEvent::ConditionAdded { target, condition });
    }

    pub(super) fn apply_damage(
        &mut self,
        target: CombatantId,
        amount: i32,
        critical: bool,
        damage_type: DamageType,
        now_ms: u64,
    ) {
        if self.undead_fortitude(target, amount, critical, damage_type, now_ms) {
            return;
        }
        self.take_damage(target, amount, critical, now_ms);
        if self.combatant(target).is_some_and(|c| !c.is_dead()) {
            self.after_damage(target, amount, now_ms);
        }
    }

    /// Undead Fortitude (SRD 5.1 Zombie): "If damage reduces the zombie to 0 hit points, it must
    /// make a Constitution saving throw with a DC of 5 + the damage taken, unless the damage is
    /// radiant or from a critical hit. On a success, the zombie drops to 1 hit point instead."
    /// Returns whether it held on.
    fn undead_fortitude(
        &mut self,
        target: CombatantId,
        amount: i32,
        critical: bool,
        damage_type: DamageType,
        now_ms: u64,
    ) -> bool {
        let Some(c) = self.combatant(target) else {
            return false;
        };
        if !c.features.contains(&Feature::UndeadFortitude)
            || c.hp <= 0
            || amount < c.hp
            || critical
            || damage_type == DamageType::Radiant
        {
            return false;
        }
        let dc = 5 + amount;
        if self.saving_throw(target, Ability::Con, dc, "Undead Fortitude", now_ms) {
            self.combatant_mut(target).hp = 1;
            return true;
        }
        false
    }

    fn take_damage(&mut self, target: CombatantId, amount: i32, critical: bool, now_ms: u64) {
        let c = self.combatant_mut(target);
        if amount <= 0 || c.is_dead() {
            return;
        }
        if c.hp > 0 {
            let overflow = amount - c.hp;
            c.hp = (c.hp - amount).max(0);
            if c.hp == 0 {
                if c.is_pc && overflow < c.max_hp {
                    c.death_saves = (0, 0);
                    c.conditions.remove(&Condition::Dodging);
                    c.conditions.insert(Condition::Unconscious);
                    c.conditions.insert(Condition::Prone);
                    self.emit(now_ms, GameEvent::Downed { target });
                } else {
                    self.kill(target, now_ms);
                }
            }
        } else {
            // A PC at 0 HP: each hit is a failed death save, a critical two.
            c.conditions.remove(&Condition::Stable);
            c.death_saves.1 += if critical { 2 } else { 1 };
            let (successes, failures) = c.death_saves;
            self.emit(
                now_ms,
                GameEvent::DeathSave {
                    actor: target,
                    roll: None,
                    successes,
                    failures: failures.min(3),
                },
            );
            if failures >= 3 {
                self.kill(target, now_ms);
            }
        }
    }

    pub(super) fn kill(&mut self, target: CombatantId, now_ms: u64) {
        self.end_concentration(target, "is dead", now_ms);
        self.end_effects(target, |_| true, now_ms);
        let c = self.combatant_mut(target);
        c.hp = 0;
        c.conditions.clear();
        c.conditions.insert(Condition::Dead);
        self.emit(now_ms, GameEvent::Died { target });
        self.leave_loot(target, now_ms);
    }
}
