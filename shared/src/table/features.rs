//! Class features and traits used by choice ([`FeatureUse`]): Second Wind, Action Surge, the
//! bonus-action Dash and Disengage of Cunning Action, Nimble Escape and Aggressive, and the
//! cleric's Channel Divinity (Turn Undead, Preserve Life). [`Table::check_feature`] is the one
//! answer to "may this character use that now", for the server, the client's menu and the
//! tactics. Limited uses come back with a rest (the adventure's rests).

use super::effects::{ActiveEffect, Ends, Lasting};
use super::{CombatantId, FeatureUse, RejectCode, Rejection, Table};
use crate::checks::spell_save_dc;
use crate::content::{Ability, Condition, Feature};
use crate::dice::{DiceExpr, DiceRoll, DiceTerm};
use crate::event::GameEvent;

/// Preserve Life and Turn Undead reach this far.
const CHANNEL_RANGE_FT: u32 = 30;

fn refuse(code: RejectCode, reason: impl Into<String>) -> Rejection {
    Rejection::new(code, reason)
}

/// When a feature is spent: `(key, uses per rest)`.
fn limited(use_: FeatureUse, me: &super::Combatant) -> Option<(&'static str, u8)> {
    let channel = me
        .features
        .iter()
        .find_map(|f| match f {
            Feature::ChannelDivinity(n) => Some(*n),
            _ => None,
        })
        .unwrap_or(0);
    match use_ {
        FeatureUse::SecondWind => Some(("Second Wind", 1)),
        FeatureUse::ActionSurge => Some(("Action Surge", 1)),
        FeatureUse::TurnUndead | FeatureUse::PreserveLife => Some(("Channel Divinity", channel)),
        _ => None,
    }
}

impl Table {
    /// Whether `actor` may use `use_` now, or why not. Changes nothing.
    pub fn check_feature(&self, actor: CombatantId, use_: FeatureUse) -> Result<(), Rejection> {
        if use_ == FeatureUse::BonusHide {
            return self.check_hide(actor, true);
        }
        let me = self
            .combatant(actor)
            .ok_or_else(|| refuse(RejectCode::UnknownTarget, "No such character"))?;
        let granted = match use_ {
            FeatureUse::SecondWind => me.has_feature(&Feature::SecondWind),
            FeatureUse::ActionSurge => me.has_feature(&Feature::ActionSurge),
            FeatureUse::BonusDash => {
                me.has_feature(&Feature::CunningAction) || me.has_feature(&Feature::Aggressive)
            }
            FeatureUse::BonusDisengage | FeatureUse::BonusHide => {
                me.has_feature(&Feature::CunningAction) || me.has_feature(&Feature::NimbleEscape)
            }
            FeatureUse::TurnUndead | FeatureUse::PreserveLife => {
                me.has_feature(&Feature::ChannelDivinity(0))
            }
        };
        if !granted {
            return Err(refuse(
                RejectCode::NotAllowed,
                format!("{} does not have {}", me.name, use_.label()),
            ));
        }
        if let Some((key, per_rest)) = limited(use_, me)
            && me.uses.get(key).copied().unwrap_or(0) >= per_rest
        {
            return Err(refuse(
                RejectCode::NoActionLeft,
                format!("{key} is spent until {} rests", me.name),
            ));
        }
        let Some(budget) = self.budget().filter(|_| self.active() == Some(actor)) else {
            return Err(refuse(
                RejectCode::WrongMode,
                format!("{} is used on your turn in combat", use_.label()),
            ));
        };
        match use_ {
            FeatureUse::SecondWind
            | FeatureUse::BonusDash
            | FeatureUse::BonusDisengage
            | FeatureUse::BonusHide => {
                if budget.bonus_action_used {
                    return Err(Rejection::bonus_action_spent());
                }
            }
            FeatureUse::ActionSurge => {
                if !budget.action_used {
                    return Err(refuse(
                        RejectCode::NotAllowed,
                        "Use your action first: Action Surge gives one more",
                    ));
                }
                if budget.surged {
                    return Err(refuse(
                        RejectCode::NoActionLeft,
                        "Action Surge is once a turn",
                    ));
                }
            }
            FeatureUse::TurnUndead | FeatureUse::PreserveLife => {
                if budget.action_used {
                    return Err(Rejection::action_spent());
                }
            }
        }
        Ok(())
    }

    pub(super) fn do_feature(
        &mut self,
        actor: CombatantId,
        use_: FeatureUse,
        now_ms: u64,
    ) -> Result<(), Rejection> {
        if use_ == FeatureUse::BonusHide {
            return self.do_hide(actor, true, now_ms);
        }
        self.check_feature(actor, use_)?;
        let me = self.combatant(actor).expect("checked").clone();
        if let Some((key, _)) = limited(use_, &me) {
            *self
                .combatant_mut(actor)
                .uses
                .entry(key.into())
                .or_default() += 1;
        }
        let speed = self.speed_now(actor);
        let budget = self.budget_mut().expect("checked");
        match use_ {
            FeatureUse::SecondWind
            | FeatureUse::BonusDash
            | FeatureUse::BonusDisengage
            | FeatureUse::BonusHide => {
                budget.bonus_action_used = true;
            }
            FeatureUse::ActionSurge => {
                budget.action_used = false;
                budget.surged = true;
            }
            FeatureUse::TurnUndead | FeatureUse::PreserveLife => budget.action_used = true,
        }
        self.emit(
            now_ms,
            GameEvent::FeatureUsed {
                actor,
                feature: use_.label().into(),
            },
        );
        match use_ {
            FeatureUse::SecondWind => {
                // SRD 5.1 Fighter: "regain hit points equal to 1d10 + your fighter level".
                let dice = DiceExpr {
                    terms: vec![DiceTerm {
                        count: 1,
                        sides: 10,
                    }],
                    negative: vec![false],
                    modifier: me.level as i32,
                };
                let roll = dice.roll(&mut self.rng, false);
                self.heal(actor, roll, "Second Wind", now_ms);
            }
            FeatureUse::BonusDash => {
                let budget = self.budget_mut().expect("checked");
                budget.movement_left += speed;
                let movement_left = budget.movement_left;
                self.emit(
                    now_ms,
                    GameEvent::Dashed {
                        actor,
                        movement_left,
                    },
                );
            }
            FeatureUse::BonusDisengage => {
                self.budget_mut().expect("checked").disengaged = true;
                self.emit(now_ms, GameEvent::Disengaged { actor });
            }
            FeatureUse::ActionSurge | FeatureUse::BonusHide => {}
            FeatureUse::TurnUndead => self.turn_undead(actor, now_ms),
            FeatureUse::PreserveLife => self.preserve_life(actor, now_ms),
        }
        Ok(())
    }

    /// SRD 5.1 Turn Undead: "Each undead that can see or hear you within 30 feet of you must
    /// make a Wisdom saving throw. If the creature fails its saving throw, it is turned for 1
    /// minute or until it takes any damage." Turned is played as frightened of the cleric.
    fn turn_undead(&mut self, cleric: CombatantId, now_ms: u64) {
        let me = self.combatant(cleric).expect("exists").clone();
        let wis = me.modifier(Ability::Wis);
        let dc = spell_save_dc(me.proficiency, wis);
        let undead: Vec<CombatantId> = self
            .combatants
            .iter()
            .filter(|c| {
                c.kind.starts_with("undead")
                    && c.is_conscious()
                    && c.side.hostile_to(me.side)
                    && c.pos.feet_to(me.pos) <= CHANNEL_RANGE_FT
            })
            .map(|c| c.id)
            .collect();
        for id in undead {
            if !self.saving_throw(id, Ability::Wis, dc, "Turn Undead", now_ms) {
                let e = ActiveEffect {
                    source: "Turn Undead".into(),
                    caster: cleric,
                    what: Lasting::Condition(Condition::Frightened),
                    ends: Ends::Rounds(10),
                    concentration: false,
                    save_ends: None,
                };
                self.add_effect(id, e, now_ms);
            }
        }
    }

    /// SRD 5.1 Preserve Life: "restore a number of hit points equal to five times your cleric
    /// level. Choose any creatures within 30 feet of you, and divide those hit points among
    /// them. This feature can restore a creature to no more than half of its hit point
    /// maximum." Divided here lowest hit points first.
    fn preserve_life(&mut self, cleric: CombatantId, now_ms: u64) {
        let me = self.combatant(cleric).expect("exists").clone();
        let mut pool = 5 * me.level as i32;
        let mut wounded: Vec<(i32, CombatantId)> = self
            .combatants
            .iter()
            .filter(|c| {
                !c.side.hostile_to(me.side)
                    && !c.is_dead()
                    && c.is_living()
                    && c.pos.feet_to(me.pos) <= CHANNEL_RANGE_FT
                    && c.hp < c.max_hp / 2
            })
            .map(|c| (c.hp, c.id))
            .collect();
        wounded.sort();
        for (hp, id) in wounded {
            let max = self.combatant(id).map_or(0, |c| c.max_hp / 2);
            let give = (max - hp).min(pool);
            if give <= 0 {
                continue;
            }
            pool -= give;
            let roll = DiceRoll {
                dice: vec![],
                modifier: give,
                total: give,
            };
            self.heal(id, roll, "Preserve Life", now_ms);
        }
    }

    /// Whether `actor` may use `item` on `target` (itself when None) now: it carries one, the
    /// target is within 5 feet, and in combat on its turn the action (or, with Fast Hands, the
    /// bonus action) is free. Returns whether it would take the bonus action.
    pub fn check_use_item(
        &self,
        actor: CombatantId,
        item: &str,
        target: Option<CombatantId>,
    ) -> Result<bool, Rejection> {
        let me = self
            .combatant(actor)
            .ok_or_else(|| refuse(RejectCode::UnknownTarget, "No such character"))?;
        if !me.items.iter().any(|i| i == item) || !self.items.contains_key(item) {
            return Err(refuse(
                RejectCode::NotAllowed,
                format!("{} carries no `{item}`", me.name),
            ));
        }
        if !matches!(
            self.items.get(item).map(|i| &i.kind),
            Some(crate::items::ItemKind::Potion { .. })
        ) {
            return Err(refuse(
                RejectCode::NotAllowed,
                format!("`{item}` is not something to drink or use in a fight"),
            ));
        }
        let target = target.unwrap_or(actor);
        let them = self
            .combatant(target)
            .filter(|t| !(t.is_dead() || self.unknown_to(me.side, t)))
            .ok_or_else(|| {
                refuse(
                    RejectCode::UnknownTarget,
                    format!("There is no creature #{target} here"),
                )
            })?;
        if me.pos.feet_to(them.pos) > 5 {
            return Err(refuse(
                RejectCode::OutOfReach,
                format!("{} is out of reach: within 5 ft", them.name),
            ));
        }
        let Some(budget) = self.budget().filter(|_| self.active() == Some(actor)) else {
            return Ok(false);
        };
        if !budget.action_used {
            return Ok(false);
        }
        if me.has_feature(&Feature::FastHands) && !budget.bonus_action_used {
            return Ok(true);
        }
        Err(Rejection::action_spent())
    }

    pub(super) fn do_use_item(
        &mut self,
        actor: CombatantId,
        item: &str,
        target: Option<CombatantId>,
        now_ms: u64,
    ) -> Result<(), Rejection> {
        let bonus = self.check_use_item(actor, item, target)?;
        let def = self.items[item].clone();
        let me = self.combatant_mut(actor);
        if let Some(i) = me.items.iter().position(|x| x == item) {
            me.items.remove(i);
        }
        if self.active() == Some(actor)
            && let Some(b) = self.budget_mut()
        {
            if bonus {
                b.bonus_action_used = true;
            } else {
                b.action_used = true;
            }
        }
        self.emit(
            now_ms,
            GameEvent::FeatureUsed {
                actor,
                feature: def.name.clone(),
            },
        );
        if let crate::items::ItemKind::Potion { heal } = &def.kind {
            let roll = heal.roll(&mut self.rng, false);
            self.heal(target.unwrap_or(actor), roll, &def.name, now_ms);
        }
        Ok(())
    }
}
