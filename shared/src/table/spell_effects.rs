//! What a spell (or an attack's rider) does to each creature once the cast is checked: spell
//! attack rolls, damage and healing with upcasting and cantrip scaling, conditions and buffs
//! that last, pushes and teleports, and the hooks that cannot be data (Sleep's pool).

use super::casting::{CastPlan, Work};
use super::effects::{ActiveEffect, Ends, Lasting};
use super::{CombatantId, Table};
use crate::areas::{self, Cover};
use crate::checks::spell_attack_bonus;
use crate::content::{AttackKind, Condition};
use crate::dice::{DiceExpr, DiceRoll, DiceTerm};
use crate::event::{AttackEvent, GameEvent};
use crate::grid::GridPos;
use crate::rules::{self, DamageAdjustment};
use crate::spells::{CastingTime, Effect, Lasts, SpellDef, SpellRange, Upcast, cantrip_tier};

impl Table {
    /// An attack's rider (SRD stat blocks: "the target must make a DC 11 Constitution saving
    /// throw, taking 18 (4d8) poison damage on a failed save, or half as much damage on a
    /// successful one"): a save against a fixed DC, then the effects as a spell's.
    pub(super) fn rider(
        &mut self,
        attacker: CombatantId,
        target: CombatantId,
        source: &str,
        (dc, ability, half): (i32, crate::content::Ability, bool),
        effects: &[Effect],
        now_ms: u64,
    ) {
        let spell = SpellDef {
            id: String::new(),
            name: source.to_string(),
            level: 0,
            school: String::new(),
            casting_time: CastingTime::Action,
            range: SpellRange::Touch,
            area: None,
            targets: 1,
            target_rules: vec![],
            concentration: false,
            duration_rounds: None,
            attack: None,
            advantage_against: None,
            save: Some(crate::spells::SpellSave {
                ability,
                half,
                ignores_cover: false,
            }),
            zone: None,
            repeat: 1,
            effects: effects.to_vec(),
            cantrip_scaling: false,
            upcast: None,
            hook: None,
            text: String::new(),
        };
        let work = Work {
            caster: attacker,
            spell: &spell,
            modifier: 0,
            extra: 0,
            level: 0,
            at: None,
            dc: Some(dc),
            from: None,
        };
        let saved = self.saving_throw(target, ability, dc, source, now_ms);
        if !saved || half {
            self.apply_spell_effects(&work, target, saved, false, now_ms);
        }
    }

    /// The cover `target` has from `from` (walls, and creatures on the way).
    pub fn cover_between(&self, from: CombatantId, target: CombatantId) -> Cover {
        match self.combatant(from) {
            Some(a) => self.cover_from(a.pos, from, target),
            None => Cover::None,
        }
    }

    /// The cover `target` has from an attack `attacker` makes from `square` (its own, or its
    /// spiritual weapon's).
    pub fn cover_from(&self, square: GridPos, attacker: CombatantId, target: CombatantId) -> Cover {
        let Some(b) = self.combatant(target) else {
            return Cover::None;
        };
        areas::cover(&self.map, square, b.pos, |p| {
            self.combatants
                .iter()
                .any(|c| c.pos == p && c.id != attacker && c.id != target && c.is_conscious())
        })
    }

    pub(super) fn spell_attack(
        &mut self,
        work: &Work,
        target: CombatantId,
        kind: AttackKind,
        now_ms: u64,
    ) {
        let (caster, spell) = (work.caster, work.spell);
        let me = self.combatant(caster).expect("exists").clone();
        let them = self.combatant(target).expect("exists").clone();
        let origin = work.from.unwrap_or(me.pos);
        let distance = origin.feet_to(them.pos);
        let reach = spell.range.feet().max(5);
        let advantage = self.attack_advantage(
            caster,
            target,
            super::AttackShape {
                kind,
                normal_range: reach,
                from: work.from,
                favoured: spell.advantage_against,
            },
        );
        self.use_up_mark(target, now_ms);
        let to_hit =
            spell_attack_bonus(me.proficiency, work.modifier) + self.attack_bonus_dice(caster);
        let ac = self.ac_now(target) + self.cover_from(origin, caster, target).bonus();
        let auto_crit = distance <= 5 && them.helpless();
        let roll = rules::attack_roll(&mut self.rng, to_hit, ac, advantage, auto_crit);
        let mut damage = None;
        let mut dealt = 0;
        let mut adjustment = DamageAdjustment::None;
        let mut damage_type = crate::content::DamageType::Force;
        if roll.hit
            && let Some((dice, ty)) = spell_damage_dice(work)
        {
            let d = self.roll_clamped(&dice, roll.critical);
            let (amount, adj) = rules::adjust_damage(
                d.total,
                ty,
                &them.vulnerabilities,
                &them.resistances,
                &them.immunities,
            );
            dealt = amount;
            adjustment = adj;
            damage_type = ty;
            damage = Some(d);
        }
        self.emit(
            now_ms,
            GameEvent::Attacked(AttackEvent {
                attacker: caster,
                target,
                attack: spell.name.clone(),
                opportunity: false,
                roll,
                damage,
                sneak_attack: None,
                damage_type,
                adjustment,
                dealt,
                hp_after: (them.hp - dealt).max(0),
            }),
        );
        if roll.hit {
            self.apply_damage(target, dealt, roll.critical, damage_type, now_ms);
            // The rest of the spell (its damage is in the attack above).
            self.apply_spell_effects(work, target, false, true, now_ms);
        }
    }

    pub(super) fn roll_clamped(&mut self, dice: &DiceExpr, critical: bool) -> DiceRoll {
        let mut r = dice.roll(&mut self.rng, critical);
        r.total = r.total.max(0);
        r
    }

    /// Applies a spell's effects to one target. `halved`: a successful save against a spell
    /// that halves (damage only). `damage_done`: an attack already dealt the damage.
    pub(super) fn apply_spell_effects(
        &mut self,
        work: &Work,
        target: CombatantId,
        halved: bool,
        damage_done: bool,
        now_ms: u64,
    ) {
        let (caster, spell, extra) = (work.caster, work.spell, work.extra);
        let dc = work.dc(self.combatant(caster).map_or(2, |c| c.proficiency));
        let mut first_amount = true;
        for effect in &spell.effects {
            if self.combatant(target).is_none_or(|c| c.is_dead()) {
                return;
            }
            if halved && !matches!(effect, Effect::Damage { .. }) {
                continue;
            }
            match effect {
                Effect::Damage {
                    dice,
                    damage_type,
                    add_modifier,
                } => {
                    let upcast = if first_amount { extra } else { 0 };
                    first_amount = false;
                    if damage_done {
                        continue;
                    }
                    let dice = scaled(dice, work, upcast, *add_modifier);
                    let roll = self.roll_clamped(&dice, false);
                    let raw = if halved { roll.total / 2 } else { roll.total };
                    let them = self.combatant(target).expect("exists").clone();
                    let (dealt, adjustment) = rules::adjust_damage(
                        raw,
                        *damage_type,
                        &them.vulnerabilities,
                        &them.resistances,
                        &them.immunities,
                    );
                    self.emit(
                        now_ms,
                        GameEvent::EffectDamage {
                            target,
                            source: spell.name.clone(),
                            damage: roll,
                            halved,
                            damage_type: *damage_type,
                            adjustment,
                            dealt,
                            hp_after: (them.hp - dealt).max(0),
                        },
                    );
                    self.apply_damage(target, dealt, false, *damage_type, now_ms);
                }
                Effect::Heal { dice, add_modifier } => {
                    let upcast = if first_amount { extra } else { 0 };
                    first_amount = false;
                    let mut dice = scaled(dice, work, upcast, *add_modifier);
                    // Disciple of Life: "Whenever you use a spell of 1st level or higher to
                    // restore hit points to a creature, the creature regains additional hit
                    // points equal to 2 + the spell's level."
                    if spell.level > 0
                        && self.combatant(caster).is_some_and(|c| {
                            c.features
                                .contains(&crate::content::Feature::DiscipleOfLife)
                        })
                    {
                        dice.modifier += 2 + i32::from(spell.level) + extra as i32;
                    }
                    let roll = self.roll_clamped(&dice, false);
                    self.heal(target, roll, &spell.name, now_ms);
                }
                Effect::Condition {
                    condition,
                    lasts,
                    save_ends,
                } => {
                    let ends = self.ends_for(caster, target, *lasts, spell);
                    let save_ends = (*save_ends)
                        .then(|| spell.save.map(|s| (s.ability, dc)))
                        .flatten();
                    let e = ActiveEffect {
                        source: spell.name.clone(),
                        caster,
                        what: Lasting::Condition(*condition),
                        ends,
                        concentration: spell.concentration && *lasts == Lasts::Spell,
                        save_ends,
                    };
                    self.add_effect(target, e, now_ms);
                    if matches!(
                        condition,
                        Condition::Paralyzed | Condition::Asleep | Condition::Incapacitated
                    ) {
                        self.after_damage_incapacitated(target, now_ms);
                    }
                }
                Effect::Buff { buff, lasts } => {
                    let mut buff = buff.clone();
                    if let (crate::spells::Buff::MaxHp(n), Some(Upcast::MaxHp(more))) =
                        (&buff, &spell.upcast)
                    {
                        buff = crate::spells::Buff::MaxHp(n + more * extra as i32);
                    }
                    // A buff of the same spell on the same creature does not stack.
                    self.end_effects(
                        target,
                        |e| e.source == spell.name && e.what == Lasting::Buff(buff.clone()),
                        now_ms,
                    );
                    let e = ActiveEffect {
                        source: spell.name.clone(),
                        caster,
                        what: Lasting::Buff(buff),
                        ends: self.ends_for(caster, target, *lasts, spell),
                        concentration: spell.concentration && *lasts == Lasts::Spell,
                        save_ends: None,
                    };
                    self.add_effect(target, e, now_ms);
                }
                Effect::Stabilize => {
                    let c = self.combatant_mut(target);
                    if c.hp == 0 && !c.is_dead() && c.conditions.insert(Condition::Stable) {
                        c.death_saves = (0, 0);
                        self.emit(now_ms, GameEvent::Stabilised { actor: target });
                    }
                }
                Effect::Cure(list) => {
                    let has = self
                        .combatant(target)
                        .map(|c| c.conditions.clone())
                        .unwrap_or_default();
                    if let Some(cond) = list.iter().find(|c| has.contains(c)).copied() {
                        self.end_effects(target, |e| e.what == Lasting::Condition(cond), now_ms);
                        if self.combatant_mut(target).conditions.remove(&cond) {
                            self.emit(
                                now_ms,
                                GameEvent::EffectEnded {
                                    target,
                                    source: spell.name.clone(),
                                    what: format!("{cond:?}").to_lowercase(),
                                },
                            );
                        }
                    }
                }
                Effect::Push(feet) => self.push(caster, target, *feet, now_ms),
                Effect::Teleport => {
                    if let Some(at) = work.at {
                        self.combatant_mut(caster).pos = at;
                        self.emit(
                            now_ms,
                            GameEvent::Shifted {
                                target: caster,
                                to: at,
                                how: "teleports".into(),
                            },
                        );
                        self.positions_changed(now_ms);
                    }
                }
            }
        }
    }

    /// A condition that incapacitates ends the creature's concentration.
    fn after_damage_incapacitated(&mut self, target: CombatantId, now_ms: u64) {
        if self
            .combatant(target)
            .is_some_and(|c| c.concentrating.is_some())
        {
            self.end_concentration(target, "is incapacitated", now_ms);
        }
    }

    /// Hit points regained: a creature at 0 comes to, none above its maximum.
    pub(super) fn heal(&mut self, target: CombatantId, roll: DiceRoll, source: &str, now_ms: u64) {
        let c = self.combatant_mut(target);
        if c.is_dead() || !c.is_living() {
            return;
        }
        let before = c.hp;
        c.hp = (c.hp + roll.total.max(0)).min(c.max_hp);
        let healed = c.hp - before;
        if before == 0 && c.hp > 0 {
            c.death_saves = (0, 0);
            c.conditions.remove(&Condition::Unconscious);
            c.conditions.remove(&Condition::Stable);
        }
        let hp_after = c.hp;
        self.emit(
            now_ms,
            GameEvent::Healed {
                target,
                source: source.into(),
                roll,
                healed,
                hp_after,
            },
        );
    }

    fn ends_for(
        &self,
        caster: CombatantId,
        target: CombatantId,
        lasts: Lasts,
        spell: &SpellDef,
    ) -> Ends {
        let round = self.combat.as_ref().map_or(0, |c| c.round);
        match lasts {
            Lasts::CastersNextTurn => Ends::StartOfTurn(caster, round + 1),
            Lasts::EndOfCastersNextTurn => Ends::EndOfTurn(caster, round + 1),
            Lasts::TargetsNextTurn => {
                let later_this_round = self.combat.as_ref().is_some_and(|c| {
                    let pos = |id| c.order.iter().position(|o| *o == id);
                    pos(target) > pos(c.order[c.active])
                });
                Ends::StartOfTurn(target, if later_this_round { round } else { round + 1 })
            }
            Lasts::Rounds(n) => Ends::Rounds(n),
            Lasts::Spell => spell.duration_rounds.map_or(Ends::Never, Ends::Rounds),
        }
    }

    /// Pushes `target` straight away from `from` up to `feet`, stopping before walls and
    /// creatures.
    pub(super) fn push(&mut self, from: CombatantId, target: CombatantId, feet: u32, now_ms: u64) {
        let (Some(a), Some(b)) = (self.combatant(from), self.combatant(target)) else {
            return;
        };
        let (dx, dy) = ((b.pos.x - a.pos.x).signum(), (b.pos.y - a.pos.y).signum());
        if (dx, dy) == (0, 0) {
            return;
        }
        let mut at = b.pos;
        for _ in 0..feet / crate::grid::SQUARE_FEET {
            let next = GridPos::new(at.x + dx, at.y + dy);
            let free = self.map.in_bounds(next)
                && self.map.terrain(next).passable()
                && !self
                    .combatants
                    .iter()
                    .any(|c| c.pos == next && !c.is_dead());
            if !free {
                break;
            }
            at = next;
        }
        if at != b.pos {
            self.combatant_mut(target).pos = at;
            self.emit(
                now_ms,
                GameEvent::Shifted {
                    target,
                    to: at,
                    how: "is pushed".into(),
                },
            );
            self.positions_changed(now_ms);
        }
    }

    /// Sleep (SRD 5.1): roll 5d8 (+2d8 per slot level above 1st); creatures in the area fall
    /// asleep in ascending order of current hit points, each subtracting its hit points from
    /// the total, skipping the unconscious, undead and creatures immune to being charmed.
    pub(super) fn cast_sleep(&mut self, caster: CombatantId, plan: &CastPlan, now_ms: u64) {
        let dice = DiceExpr {
            terms: vec![DiceTerm {
                count: 5 + 2 * u32::from(plan.slot.saturating_sub(1)),
                sides: 8,
            }],
            negative: vec![false],
            modifier: 0,
        };
        let mut pool = dice.roll(&mut self.rng, false).total;
        let mut sleepers: Vec<(i32, CombatantId)> = plan
            .targets
            .iter()
            .filter_map(|t| self.combatant(*t))
            .filter(|c| {
                c.is_conscious()
                    && !c.has(Condition::Asleep)
                    && c.is_living()
                    && !c.condition_immunities.contains(&Condition::Charmed)
            })
            .map(|c| (c.hp, c.id))
            .collect();
        sleepers.sort();
        for (hp, id) in sleepers {
            if hp > pool {
                break;
            }
            pool -= hp;
            let e = ActiveEffect {
                source: plan.spell.name.clone(),
                caster,
                what: Lasting::Condition(Condition::Asleep),
                ends: Ends::Rounds(plan.spell.duration_rounds.unwrap_or(10)),
                concentration: false,
                save_ends: None,
            };
            self.add_effect(id, e, now_ms);
            self.after_damage_incapacitated(id, now_ms);
        }
    }
}

/// The spell's first damage effect as dice to roll: cantrip scaling, upcast dice and the
/// modifier folded in.
pub(super) fn spell_damage_dice(work: &Work) -> Option<(DiceExpr, crate::content::DamageType)> {
    work.spell.effects.iter().find_map(|e| match e {
        Effect::Damage {
            dice,
            damage_type,
            add_modifier,
        } => Some((scaled(dice, work, work.extra, *add_modifier), *damage_type)),
        _ => None,
    })
}

/// A spell's dice for a caster: a cantrip's dice count times its tier, plus upcast dice per
/// slot level above the spell's, plus the spellcasting modifier when the effect adds it.
pub(super) fn scaled(dice: &DiceExpr, work: &Work, extra: u32, add_modifier: bool) -> DiceExpr {
    let mut d = dice.clone();
    if work.spell.cantrip_scaling {
        let tier = cantrip_tier(work.level);
        for t in &mut d.terms {
            t.count *= tier;
        }
    }
    let (more, times) = match &work.spell.upcast {
        Some(Upcast::Dice(more)) => (Some(more), extra),
        Some(Upcast::DiceEveryTwo(more)) => (Some(more), extra / 2),
        _ => (None, 0),
    };
    if let Some(more) = more {
        for _ in 0..times {
            d.terms.extend(more.terms.iter().copied());
            d.negative.extend(more.negative.iter().copied());
            d.modifier += more.modifier;
        }
    }
    if add_modifier {
        d.modifier += work.modifier;
    }
    d
}
