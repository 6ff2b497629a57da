//! Contests in combat (SRD 5.1 "Shoving a Creature", "Grappling", "Escaping a Grapple"): the
//! attacker's Strength (Athletics) check against the target's Strength (Athletics) or
//! Dexterity (Acrobatics), whichever is better for it; a tie leaves things as they were.

use super::effects::{ActiveEffect, Ends, Lasting};
use super::{CombatantId, RejectCode, Rejection, Table};
use crate::checks::{ContestWinner, Skill, contest};
use crate::content::Condition;
use crate::dice::Advantage;
use crate::event::GameEvent;

/// The source name of a grapple effect.
const GRAPPLE: &str = "Grapple";

impl Table {
    /// Whether `actor` may shove or grapple `target` now: in combat, its action free, the
    /// target a visible creature within 5 feet.
    pub fn check_contest(&self, actor: CombatantId, target: CombatantId) -> Result<(), Rejection> {
        let me = self
            .combatant(actor)
            .ok_or_else(|| Rejection::new(RejectCode::UnknownTarget, "No such character"))?;
        let them = self
            .combatant(target)
            .filter(|t| !(t.is_dead() || self.unknown_to(me.side, t)) && t.id != actor)
            .ok_or_else(|| {
                Rejection::new(
                    RejectCode::UnknownTarget,
                    format!("There is no creature #{target} here"),
                )
            })?;
        // SRD 5.1 "Grappling" and "Shoving a Creature": "The target … must be no more than one
        // size larger than you."
        if them.size as u8 > me.size as u8 + 1 {
            return Err(Rejection::new(
                RejectCode::NotAllowed,
                format!(
                    "{} is too big: you can shove or grapple a creature at most one size larger than you ({:?})",
                    them.name, me.size
                ),
            ));
        }
        if me.pos.feet_to(them.pos) > 5 {
            return Err(Rejection::new(
                RejectCode::OutOfReach,
                format!("{} is out of reach: within 5 ft", them.name),
            ));
        }
        match self.budget().filter(|_| self.active() == Some(actor)) {
            None => Err(Rejection::new(
                RejectCode::WrongMode,
                "Only in combat, on your turn",
            )),
            Some(b) if b.action_used => Err(Rejection::action_spent()),
            Some(_) => Ok(()),
        }
    }

    /// A creature with its Athletics bonus: what shoves, grapples and holds.
    fn athletics(&self, id: CombatantId) -> (CombatantId, i32) {
        (
            id,
            self.combatant(id)
                .map_or(0, |c| c.skill_bonus(Skill::Athletics)),
        )
    }

    /// A creature with the better of its Athletics and Acrobatics: what resists a shove or a
    /// grapple, and escapes one.
    fn slippery(&self, id: CombatantId) -> (CombatantId, i32) {
        (
            id,
            self.combatant(id).map_or(0, |c| {
                c.skill_bonus(Skill::Athletics)
                    .max(c.skill_bonus(Skill::Acrobatics))
            }),
        )
    }

    /// Rolls a contest between `actor` and `target`, each with its bonus; a tie goes to the
    /// target. Emits it; returns whether the actor won.
    fn roll_contest(
        &mut self,
        (actor, actor_bonus): (CombatantId, i32),
        (target, target_bonus): (CombatantId, i32),
        what: &str,
        now_ms: u64,
    ) -> bool {
        let (actor_roll, target_roll, winner) = contest(
            &mut self.rng,
            (actor_bonus, Advantage::Normal),
            (target_bonus, Advantage::Normal),
        );
        let won = winner == ContestWinner::Actor;
        self.emit(
            now_ms,
            GameEvent::Contest {
                actor,
                target,
                what: what.into(),
                actor_roll,
                target_roll,
                won,
            },
        );
        won
    }

    pub(super) fn do_shove(
        &mut self,
        actor: CombatantId,
        target: CombatantId,
        prone: bool,
        now_ms: u64,
    ) -> Result<(), Rejection> {
        self.check_contest(actor, target)?;
        self.budget_mut().expect("checked").action_used = true;
        if self.roll_contest(
            self.athletics(actor),
            self.slippery(target),
            "shove",
            now_ms,
        ) {
            if prone {
                self.apply_condition(target, Condition::Prone, now_ms);
            } else {
                self.push(actor, target, 5, now_ms);
            }
        }
        Ok(())
    }

    pub(super) fn do_grapple(
        &mut self,
        actor: CombatantId,
        target: CombatantId,
        now_ms: u64,
    ) -> Result<(), Rejection> {
        self.check_contest(actor, target)?;
        self.budget_mut().expect("checked").action_used = true;
        if self.roll_contest(
            self.athletics(actor),
            self.slippery(target),
            "grapple",
            now_ms,
        ) {
            self.add_effect(
                target,
                ActiveEffect {
                    source: GRAPPLE.into(),
                    caster: actor,
                    what: Lasting::Condition(Condition::Grappled),
                    ends: Ends::Never,
                    concentration: false,
                    save_ends: None,
                },
                now_ms,
            );
        }
        Ok(())
    }

    pub(super) fn do_escape(&mut self, actor: CombatantId, now_ms: u64) -> Result<(), Rejection> {
        let grappler = self
            .combatant(actor)
            .and_then(|c| {
                c.effects
                    .iter()
                    .find(|e| e.source == GRAPPLE)
                    .map(|e| e.caster)
            })
            .ok_or_else(|| Rejection::new(RejectCode::WrongMode, "You are not grappled"))?;
        match self.budget().filter(|_| self.active() == Some(actor)) {
            None => {
                return Err(Rejection::new(
                    RejectCode::WrongMode,
                    "Only in combat, on your turn",
                ));
            }
            Some(b) if b.action_used => {
                return Err(Rejection::action_spent());
            }
            Some(_) => {}
        }
        self.budget_mut().expect("checked").action_used = true;
        // Escaping: the grappled creature's Athletics or Acrobatics against the grappler's
        // Athletics.
        let won = self.roll_contest(
            self.slippery(actor),
            self.athletics(grappler),
            "escape",
            now_ms,
        );
        if won {
            self.end_effects(actor, |e| e.source == GRAPPLE, now_ms);
        }
        Ok(())
    }

    /// A grapple ends when the grappler is incapacitated or the two are no longer within
    /// 5 feet of each other (SRD 5.1 "Grappled"). Called after anything moves someone.
    pub(super) fn check_grapples(&mut self, now_ms: u64) {
        let broken: Vec<CombatantId> = self
            .combatants
            .iter()
            .filter(|c| {
                c.effects.iter().any(|e| {
                    e.source == GRAPPLE
                        && self
                            .combatant(e.caster)
                            .is_none_or(|g| g.incapacitated() || g.pos.feet_to(c.pos) > 5)
                })
            })
            .map(|c| c.id)
            .collect();
        for id in broken {
            self.end_effects(id, |e| e.source == GRAPPLE, now_ms);
        }
    }
}
