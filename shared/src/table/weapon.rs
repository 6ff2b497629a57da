//! Spiritual Weapon (SRD 5.1): "You create a floating, spectral weapon within range that lasts
//! for the duration or until you cast this spell again. When you cast the spell, you can make a
//! melee spell attack against a creature within 5 feet of the weapon. … As a bonus action on
//! your turn, you can move the weapon up to 20 feet and repeat the attack against a creature
//! within 5 feet of it."
//!
//! The weapon is a lasting effect on its caster ([`Lasting::Weapon`]: its square and slot),
//! replicated with the caster, so every client sees where it floats. While it lasts the caster
//! has one more attack ([`Table::attacks_of`]), made with the bonus action: the weapon flies
//! to a square beside the target ([`Table::weapon_strike_square`]) and makes a melee spell
//! attack from there. The attack list, the preview, the click and the tactics all ask
//! [`Table::check_attack`], which answers for the weapon too.

use super::casting::{CastPlan, Work};
use super::effects::{ActiveEffect, Ends, Lasting};
use super::{CombatantId, RejectCode, Rejection, Table};
use crate::checks::spell_attack_bonus;
use crate::content::{AttackDef, AttackKind};
use crate::event::GameEvent;
use crate::grid::{GridPos, SQUARE_FEET};
use std::borrow::Cow;

/// How far the weapon moves before it strikes (feet).
pub const WEAPON_MOVE_FT: u32 = 20;

/// A conjured weapon: the spell's id, its square and the slot it was cast with.
struct Conjured<'a> {
    spell: &'a str,
    at: GridPos,
    slot: u8,
}

impl Table {
    fn conjured(&self, caster: CombatantId) -> Option<Conjured<'_>> {
        self.combatant(caster)?
            .effects
            .iter()
            .find_map(|e| match &e.what {
                Lasting::Weapon { spell, at, slot } => Some(Conjured {
                    spell,
                    at: *at,
                    slot: *slot,
                }),
                _ => None,
            })
    }

    /// The square `caster`'s spiritual weapon floats on, if it has one.
    pub fn weapon_square(&self, caster: CombatantId) -> Option<GridPos> {
        self.conjured(caster).map(|w| w.at)
    }

    /// Whether attack `index` of `attacker` is its spiritual weapon's (the one after its own).
    pub fn is_weapon_attack(&self, attacker: CombatantId, index: usize) -> bool {
        self.combatant(attacker).is_some_and(|c| {
            index == c.attacks.len()
                && c.casting.is_some()
                && self
                    .conjured(attacker)
                    .is_some_and(|w| self.spells.contains_key(w.spell))
        })
    }

    /// The attacks `id` can make: its own, then its spiritual weapon's while it lasts (a melee
    /// spell attack with the bonus action: to hit the spell attack bonus, 1d8 + the
    /// spellcasting modifier force, reaching 25 ft from the weapon — 20 ft of flight and 5 ft).
    pub fn attacks_of(&self, id: CombatantId) -> Vec<AttackDef> {
        let Some(c) = self.combatant(id) else {
            return Vec::new();
        };
        let mut out = c.attacks.clone();
        out.extend(self.weapon_attack_def(id));
        out
    }

    /// Attack `index` of `id` ([`Table::attacks_of`]), borrowed when it is its own.
    pub(super) fn attack_at(&self, id: CombatantId, index: usize) -> Option<Cow<'_, AttackDef>> {
        let c = self.combatant(id)?;
        match c.attacks.get(index) {
            Some(a) => Some(Cow::Borrowed(a)),
            None if index == c.attacks.len() => self.weapon_attack_def(id).map(Cow::Owned),
            None => None,
        }
    }

    fn weapon_attack_def(&self, id: CombatantId) -> Option<AttackDef> {
        let w = self.conjured(id)?;
        let spell = self.spells.get(w.spell)?;
        let work = self.weapon_work(id, spell, w.slot, None)?;
        let (damage, damage_type) = super::spell_effects::spell_damage_dice(&work)?;
        let c = self.combatant(id)?;
        Some(AttackDef {
            name: spell.name.clone(),
            kind: AttackKind::Melee,
            to_hit: spell_attack_bonus(c.proficiency, work.modifier),
            reach: WEAPON_MOVE_FT + SQUARE_FEET,
            range: None,
            damage,
            damage_type,
            on_hit: None,
            finesse: false,
            properties: Vec::new(),
        })
    }

    /// The numbers of the weapon's attack, as a cast of the spell with `slot`.
    fn weapon_work<'a>(
        &self,
        caster: CombatantId,
        spell: &'a crate::spells::SpellDef,
        slot: u8,
        from: Option<GridPos>,
    ) -> Option<Work<'a>> {
        let c = self.combatant(caster)?;
        let casting = c.casting.as_ref()?;
        Some(Work {
            caster,
            spell,
            modifier: c.modifier(casting.ability),
            extra: u32::from(slot.saturating_sub(spell.level)),
            level: c.level,
            at: None,
            dc: None,
            from,
        })
    }

    /// Where `caster`'s weapon strikes `target` from: where it floats if that is within 5 ft
    /// of the target, else the open square beside the target that it reaches in a straight
    /// flight of up to 20 ft (no wall in the way) — an empty one if it can, then the nearest.
    pub fn weapon_strike_square(
        &self,
        caster: CombatantId,
        target: CombatantId,
    ) -> Result<GridPos, Rejection> {
        let (Some(w), Some(them)) = (self.conjured(caster), self.combatant(target)) else {
            return Err(Rejection::new(
                RejectCode::NotAllowed,
                "You have no spiritual weapon",
            ));
        };
        if w.at.is_adjacent(them.pos) {
            return Ok(w.at);
        }
        self.square_beside(them.pos, w.at, WEAPON_MOVE_FT)
            .ok_or_else(|| {
                Rejection::new(
                    RejectCode::OutOfReach,
                    format!(
                        "Your weapon at {} cannot reach {}: it flies up to {WEAPON_MOVE_FT} ft and strikes a creature within 5 ft",
                        w.at, them.name
                    ),
                )
            })
    }

    /// The open square beside `target` (a square, not a wall) that a weapon at `from` reaches
    /// in a straight line of at most `feet` with no wall in the way: an empty one if it can,
    /// then the nearest, the straightest.
    fn square_beside(&self, target: GridPos, from: GridPos, feet: u32) -> Option<GridPos> {
        let taken = |p: GridPos| self.combatants.iter().any(|c| c.pos == p && !c.is_dead());
        let straight = |p: GridPos| {
            let (dx, dy) = (i64::from(p.x - from.x), i64::from(p.y - from.y));
            dx * dx + dy * dy
        };
        target
            .neighbours()
            .filter(|&p| {
                self.map.terrain(p).passable()
                    && from.feet_to(p) <= feet
                    && self.map.line_of_sight(from, p)
            })
            .min_by_key(|&p| (taken(p), from.feet_to(p), straight(p), p.y, p.x))
    }

    /// Casting Spiritual Weapon: any earlier weapon of the caster's is gone, the new one
    /// appears beside the target (on the side facing the caster) and attacks it.
    pub(super) fn cast_spiritual_weapon(
        &mut self,
        caster: CombatantId,
        plan: &CastPlan,
        now_ms: u64,
    ) {
        let spell = plan.spell.clone();
        self.end_effects(caster, |e| matches!(e.what, Lasting::Weapon { .. }), now_ms);
        let Some(&target) = plan.targets.first() else {
            return;
        };
        let (Some(me), Some(them)) = (self.combatant(caster), self.combatant(target)) else {
            return;
        };
        // "within range": beside the target, within the spell's range and in sight.
        let toward = |from: i32, to: i32| from + (to - from).signum();
        let at = self
            .square_beside(them.pos, me.pos, spell.range.feet())
            .unwrap_or_else(|| {
                GridPos::new(toward(them.pos.x, me.pos.x), toward(them.pos.y, me.pos.y))
            });
        self.add_effect(
            caster,
            ActiveEffect {
                source: spell.name.clone(),
                caster,
                what: Lasting::Weapon {
                    spell: spell.id.clone(),
                    at,
                    slot: plan.slot,
                },
                ends: Ends::Rounds(spell.duration_rounds.unwrap_or(10)),
                concentration: false,
                save_ends: None,
            },
            now_ms,
        );
        self.weapon_strikes(caster, target, at, now_ms);
    }

    /// The weapon's bonus-action attack, already checked: the bonus action is spent, the
    /// weapon flies beside the target and strikes.
    pub(super) fn do_weapon_attack(
        &mut self,
        caster: CombatantId,
        target: CombatantId,
        now_ms: u64,
    ) -> Result<(), Rejection> {
        let at = self.weapon_strike_square(caster, target)?;
        if let Some(b) = self.budget_mut() {
            b.bonus_action_used = true;
        }
        self.break_sanctuary(caster, now_ms);
        if self.weapon_square(caster) != Some(at) {
            let mut weapon = String::new();
            for e in &mut self.combatant_mut(caster).effects {
                if let Lasting::Weapon { at: square, .. } = &mut e.what {
                    *square = at;
                    weapon = e.source.clone();
                }
            }
            self.emit(
                now_ms,
                GameEvent::WeaponMoved {
                    caster,
                    weapon,
                    to: at,
                },
            );
        }
        self.weapon_strikes(caster, target, at, now_ms);
        self.check_combat_end(now_ms);
        Ok(())
    }

    /// A melee spell attack from the weapon's square (Sanctuary first).
    fn weapon_strikes(&mut self, caster: CombatantId, target: CombatantId, at: GridPos, now: u64) {
        let Some(w) = self.conjured(caster) else {
            return;
        };
        let (spell_id, slot) = (w.spell.to_string(), w.slot);
        let Some(spell) = self.spells.get(&spell_id).cloned() else {
            return;
        };
        if self.combatant(target).is_none_or(|c| c.is_dead())
            || !self.passes_sanctuary(caster, target, now)
        {
            return;
        }
        if let Some(work) = self.weapon_work(caster, &spell, slot, Some(at)) {
            self.spell_attack(&work, target, AttackKind::Melee, now);
        }
    }
}
