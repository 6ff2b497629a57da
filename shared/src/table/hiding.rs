//! Hiding (SRD 5.1 "Hide", "Hiding", "Passive Checks", "Unseen Attackers and Targets").
//!
//! The rule as this table plays it:
//! - **Hide** is an action (a bonus action with Cunning Action or Nimble Escape), in combat, on
//!   your turn. "You can't hide from a creature that can see you clearly": every conscious
//!   hostile creature must lack a line of sight to you or see you behind at least
//!   three-quarters cover. A Lightfoot Halfling (Naturally Stealthy) is also obscured by a
//!   creature at least one size larger standing in the way.
//! - The Dexterity (Stealth) check is made against the highest passive Wisdom (Perception) of
//!   those hostile creatures; on a success the creature is hidden, with its Stealth total kept.
//! - A hidden creature is hidden from each creature whose passive Perception is below that total.
//!   "When a creature can't see you, you have advantage on attack rolls against it"; attacks
//!   against a creature you can't see have disadvantage.
//! - "If you are hidden … when you make an attack, you give away your location when the attack
//!   hits or misses": an attack roll or a spell cast ends hiding, and so does standing where a
//!   hostile creature that can act sees you clearly, falling unconscious, or the fight's end.

use super::effects::{ActiveEffect, Ends, Lasting};
use super::{CombatantId, RejectCode, Rejection, Table};
use crate::areas::Cover;
use crate::checks::{Skill, passive, roll_check};
use crate::content::{Ability, Feature};
use crate::dice::Advantage;
use crate::event::GameEvent;

/// The source name of the hidden state.
pub const HIDDEN: &str = "Hide";

impl Table {
    /// Whether `observer` sees `target` clearly: a line of sight and less than three-quarters
    /// cover (a Naturally Stealthy target is also obscured by a larger creature in the way).
    pub fn sees_clearly(&self, observer: CombatantId, target: CombatantId) -> bool {
        let (Some(o), Some(t)) = (self.combatant(observer), self.combatant(target)) else {
            return false;
        };
        if !self.map.line_of_sight(o.pos, t.pos) {
            return false;
        }
        if self.cover_between(observer, target) >= Cover::ThreeQuarters {
            return false;
        }
        if t.features.contains(&Feature::NaturallyStealthy) {
            let behind_larger = crate::areas::cover(&self.map, o.pos, t.pos, |p| {
                self.combatants.iter().any(|c| {
                    c.pos == p
                        && c.id != observer
                        && c.id != target
                        && c.size as u8 > t.size as u8
                        && !c.is_dead()
                })
            });
            if behind_larger > Cover::None {
                return false;
            }
        }
        true
    }

    /// Conscious hostile creatures that see `id` clearly.
    fn watchers(&self, id: CombatantId) -> Vec<CombatantId> {
        let Some(me) = self.combatant(id) else {
            return Vec::new();
        };
        self.combatants
            .iter()
            .filter(|c| c.side.hostile_to(me.side) && c.is_conscious())
            .filter(|c| self.sees_clearly(c.id, id))
            .map(|c| c.id)
            .collect()
    }

    /// A creature's passive Wisdom (Perception).
    pub fn passive_perception(&self, id: CombatantId) -> i32 {
        self.combatant(id).map_or(10, |c| {
            passive(c.skill_bonus(Skill::Perception), Advantage::Normal)
        })
    }

    /// Its Stealth total while it is hidden.
    pub fn stealth_of(&self, id: CombatantId) -> Option<i32> {
        self.combatant(id)?
            .effects
            .iter()
            .find_map(|e| match e.what {
                Lasting::Hidden { stealth } => Some(stealth),
                _ => None,
            })
    }

    /// Whether `hider` is hidden from `observer`: hidden, with a Stealth total that beats the
    /// observer's passive Perception.
    pub fn hidden_from(&self, hider: CombatantId, observer: CombatantId) -> bool {
        self.stealth_of(hider)
            .is_some_and(|stealth| stealth > self.passive_perception(observer))
    }

    /// Whether `actor` may take the Hide action now (`bonus`: as a bonus action), or why not.
    /// Changes nothing.
    pub fn check_hide(&self, actor: CombatantId, bonus: bool) -> Result<(), Rejection> {
        let me = self
            .combatant(actor)
            .ok_or_else(|| Rejection::new(RejectCode::UnknownTarget, "No such character"))?;
        if bonus
            && !(me.features.contains(&Feature::CunningAction)
                || me.features.contains(&Feature::NimbleEscape))
        {
            return Err(Rejection::new(
                RejectCode::NotAllowed,
                format!(
                    "{} does not have Cunning Action or Nimble Escape (Hide as a bonus action)",
                    me.name
                ),
            ));
        }
        let Some(budget) = self.budget().filter(|_| self.active() == Some(actor)) else {
            return Err(Rejection::new(
                RejectCode::WrongMode,
                "Hide in combat, on your turn (exploring, sneak with a Stealth check)",
            ));
        };
        if bonus && budget.bonus_action_used {
            return Err(Rejection::bonus_action_spent());
        }
        if !bonus && budget.action_used {
            return Err(Rejection::action_spent());
        }
        if self.stealth_of(actor).is_some() {
            return Err(Rejection::new(
                RejectCode::NotAllowed,
                "You are already hidden",
            ));
        }
        if let Some(w) = self.watchers(actor).first() {
            let name = self
                .combatant(*w)
                .map(|c| c.name.clone())
                .unwrap_or_default();
            return Err(Rejection::new(
                RejectCode::NotAllowed,
                format!(
                    "{name} sees you clearly: hide out of sight or behind three-quarters cover"
                ),
            ));
        }
        Ok(())
    }

    pub(super) fn do_hide(
        &mut self,
        actor: CombatantId,
        bonus: bool,
        now_ms: u64,
    ) -> Result<(), Rejection> {
        self.check_hide(actor, bonus)?;
        let budget = self.budget_mut().expect("checked");
        if bonus {
            budget.bonus_action_used = true;
        } else {
            budget.action_used = true;
        }
        let me = self.combatant(actor).expect("checked");
        let side = me.side;
        let bonus_stealth = me.skill_bonus(Skill::Stealth);
        // The check against the keenest hostile ear: its passive Perception is the DC.
        let dc = self
            .combatants
            .iter()
            .filter(|c| c.side.hostile_to(side) && c.is_conscious())
            .map(|c| passive(c.skill_bonus(Skill::Perception), Advantage::Normal))
            .max()
            .unwrap_or(0);
        let roll = roll_check(
            &mut self.rng,
            bonus_stealth,
            None,
            Advantage::Normal,
            Some(dc),
        );
        self.emit(
            now_ms,
            GameEvent::AbilityCheck {
                actor,
                what: "hide (Stealth)".into(),
                ability: Ability::Dex,
                roll,
            },
        );
        if roll.success {
            self.add_effect(
                actor,
                ActiveEffect {
                    source: HIDDEN.into(),
                    caster: actor,
                    what: Lasting::Hidden {
                        stealth: roll.total,
                    },
                    ends: Ends::Never,
                    concentration: false,
                    save_ends: None,
                },
                now_ms,
            );
        }
        Ok(())
    }

    /// `id` gives its location away (an attack, a spell).
    pub(super) fn reveal(&mut self, id: CombatantId, now_ms: u64) {
        if self.stealth_of(id).is_some() {
            self.end_effects(id, |e| matches!(e.what, Lasting::Hidden { .. }), now_ms);
        }
    }

    /// After anything moves or falls: a hidden creature that a hostile creature able to act
    /// sees clearly, or that is no longer conscious, is hidden no more.
    pub(super) fn check_hiders(&mut self, now_ms: u64) {
        let found: Vec<CombatantId> = self
            .combatants
            .iter()
            .filter(|c| {
                c.effects
                    .iter()
                    .any(|e| matches!(e.what, Lasting::Hidden { .. }))
            })
            .filter(|c| {
                !c.is_conscious()
                    || self.combatants.iter().any(|o| {
                        o.side.hostile_to(c.side)
                            && !o.incapacitated()
                            && o.is_conscious()
                            && self.sees_clearly(o.id, c.id)
                    })
            })
            .map(|c| c.id)
            .collect();
        for id in found {
            self.reveal(id, now_ms);
        }
    }
}
