//! Attacks: checking one is legal ([`Table::check_attack`], with its advantage), rolling it,
//! and its damage and riders ([`super::damage`] applies the damage).

use super::effects::Lasting;
use super::{CombatantId, RejectCode, Rejection, Table};
use crate::content::{AttackKind, Condition, Feature, FightingStyle, OnHit};
use crate::dice::{Advantage, DiceRoll};
use crate::event::{AttackEvent, GameEvent};
use crate::grid::GridPos;
use crate::rules::{self, DamageAdjustment};
use crate::spells::{Buff, TargetTrait};

/// An attack roll as the rules of advantage see it: melee or ranged, its normal range, the
/// square it is made from when not the attacker's own (a spiritual weapon's), and the target
/// a spell's attack favours (Shocking Grasp against metal armor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttackShape {
    /// Melee or ranged.
    pub kind: AttackKind,
    /// Beyond this many feet a ranged attack has disadvantage.
    pub normal_range: u32,
    /// Made from this square instead of the attacker's.
    pub from: Option<GridPos>,
    /// Advantage against a target like this.
    pub favoured: Option<TargetTrait>,
}

impl AttackShape {
    /// A plain attack: from the attacker's square, favouring no one.
    pub fn new(kind: AttackKind, normal_range: u32) -> Self {
        AttackShape {
            kind,
            normal_range,
            from: None,
            favoured: None,
        }
    }
}

impl Table {
    /// Checks whether `attacker` could use attack `index` ([`Table::attacks_of`]) on `target`
    /// now: the turn's action free (the bonus action for a spiritual weapon's attack) when it
    /// is the attacker's turn in combat, and the target within reach or range and in sight.
    /// Returns the advantage state, or the reason why not.
    pub fn check_attack(
        &self,
        attacker: CombatantId,
        target: CombatantId,
        index: usize,
    ) -> Result<Advantage, Rejection> {
        // What the attack is aimed at comes first: an unknown target is named as such.
        let advantage = self.attack_in_reach(attacker, target, index)?;
        if let Some(b) = self.budget().filter(|_| self.active() == Some(attacker)) {
            if self.is_weapon_attack(attacker, index) {
                if b.bonus_action_used {
                    return Err(Rejection::bonus_action_spent());
                }
            } else if b.action_used {
                return Err(Rejection::action_spent());
            }
        }
        Ok(advantage)
    }

    /// Whether attack `index` of `attacker` reaches `target` from where everyone stands,
    /// whatever the turn has left (an opportunity attack, the rest of a Multiattack).
    fn attack_in_reach(
        &self,
        attacker: CombatantId,
        target: CombatantId,
        index: usize,
    ) -> Result<Advantage, Rejection> {
        let me = self
            .combatant(attacker)
            .ok_or_else(|| Rejection::new(RejectCode::UnknownTarget, "No such attacker"))?;
        let Some(attack) = self.attack_at(attacker, index) else {
            return Err(Rejection::new(
                RejectCode::Malformed,
                format!("{} has no attack #{index}", me.name),
            ));
        };
        // A creature hidden from the attacker answers exactly as one that does not exist.
        let Some(them) = self
            .combatant(target)
            .filter(|t| !self.unknown_to(me.side, t))
        else {
            return Err(Rejection::new(
                RejectCode::UnknownTarget,
                format!("There is no creature #{target} here"),
            ));
        };
        if them.id == me.id {
            return Err(Rejection::new(
                RejectCode::UnknownTarget,
                "You cannot attack yourself",
            ));
        }
        if them.is_dead() {
            return Err(Rejection::new(
                RejectCode::UnknownTarget,
                format!("{} is already dead", them.name),
            ));
        }
        // Charmed (SRD 5.1): "A charmed creature can't attack the charmer".
        if me
            .effects
            .iter()
            .any(|e| e.caster == them.id && e.what == Lasting::Condition(Condition::Charmed))
        {
            return Err(Rejection::new(
                RejectCode::NotAllowed,
                format!(
                    "{} is charmed by {} and cannot attack it",
                    me.name, them.name
                ),
            ));
        }
        if self.is_weapon_attack(attacker, index) {
            // The weapon flies beside the target and strikes from there; the caster need not
            // see the target.
            let from = self.weapon_strike_square(attacker, target)?;
            return Ok(self.attack_advantage(
                attacker,
                target,
                AttackShape {
                    from: Some(from),
                    ..AttackShape::new(AttackKind::Melee, 5)
                },
            ));
        }
        let distance = me.pos.feet_to(them.pos);
        let mut normal_range = attack.reach;
        match attack.kind {
            AttackKind::Melee => {
                if distance > attack.reach {
                    return Err(Rejection::new(
                        RejectCode::OutOfReach,
                        format!(
                            "{} is {distance} ft away; your {} reaches {} ft",
                            them.name, attack.name, attack.reach
                        ),
                    ));
                }
            }
            AttackKind::Ranged => {
                let (normal, long) = attack.range.unwrap_or((5, 5));
                normal_range = normal;
                if distance > long {
                    return Err(Rejection::new(
                        RejectCode::OutOfReach,
                        format!(
                            "{} is {distance} ft away; your {} reaches {long} ft at most",
                            them.name, attack.name
                        ),
                    ));
                }
            }
        }
        if !self.map.line_of_sight(me.pos, them.pos) {
            return Err(Rejection::new(
                RejectCode::OutOfReach,
                format!("You have no clear line to {}", them.name),
            ));
        }
        Ok(self.attack_advantage(
            attacker,
            target,
            AttackShape::new(attack.kind, normal_range),
        ))
    }

    /// The advantage state of an attack roll by `attacker` on `target` (weapons and spells
    /// alike): range, a hostile creature beside a ranged attacker, and every condition and
    /// effect on either (SRD 5.1 Appendix A), Pack Tactics, and the target a spell's attack
    /// favours. Distances count from the square the attack is made from.
    pub fn attack_advantage(
        &self,
        attacker: CombatantId,
        target: CombatantId,
        shape: AttackShape,
    ) -> Advantage {
        let (Some(me), Some(them)) = (self.combatant(attacker), self.combatant(target)) else {
            return Advantage::Normal;
        };
        let distance = shape.from.unwrap_or(me.pos).feet_to(them.pos);
        let mut advantage = false;
        let mut disadvantage = false;
        // Shocking Grasp: "You have advantage on the attack roll if the target is wearing
        // armor made of metal."
        if shape.favoured == Some(TargetTrait::MetalArmor) && them.metal_armor {
            advantage = true;
        }
        if shape.kind == AttackKind::Ranged {
            if distance > shape.normal_range {
                disadvantage = true;
            }
            // A ranged attack with a hostile creature beside you that can act has disadvantage.
            if self.combatants.iter().any(|c| {
                c.side.hostile_to(me.side) && !c.incapacitated() && c.pos.is_adjacent(me.pos)
            }) {
                disadvantage = true;
            }
        }
        if them.has(Condition::Dodging) && !them.incapacitated() {
            disadvantage = true;
        }
        if them.helpless()
            || them.has(Condition::Blinded)
            || them.has(Condition::Restrained)
            || them
                .effects
                .iter()
                .any(|e| e.what == Lasting::Buff(Buff::Marked))
        {
            advantage = true;
        }
        if them.has(Condition::Prone) {
            if distance <= 5 {
                advantage = true
            } else {
                disadvantage = true
            }
        }
        if [
            Condition::Poisoned,
            Condition::Prone,
            Condition::Blinded,
            Condition::Restrained,
            Condition::Frightened,
        ]
        .iter()
        .any(|c| me.has(*c))
        {
            disadvantage = true;
        }
        // SRD 5.1 "Unseen Attackers and Targets": "When a creature can't see you, you have
        // advantage on attack rolls against it"; attacking a target you can't see has
        // disadvantage.
        if me.is_conscious() && self.hidden_from(attacker, target) {
            advantage = true;
        }
        if them.is_conscious() && self.hidden_from(target, attacker) {
            disadvantage = true;
        }
        if me.features.contains(&Feature::PackTactics)
            && self.combatants.iter().any(|c| {
                c.id != me.id
                    && !c.side.hostile_to(me.side)
                    && !c.incapacitated()
                    && c.pos.is_adjacent(them.pos)
            })
        {
            advantage = true;
        }
        Advantage::from_sources(advantage, disadvantage)
    }

    /// An attack roll was made against `target`: Guiding Bolt's mark is used up.
    pub(super) fn use_up_mark(&mut self, target: CombatantId, now_ms: u64) {
        if self.combatant(target).is_some_and(|c| {
            c.effects
                .iter()
                .any(|e| e.what == Lasting::Buff(Buff::Marked))
        }) {
            self.end_effects(target, |e| e.what == Lasting::Buff(Buff::Marked), now_ms);
        }
    }

    pub(super) fn do_attack(
        &mut self,
        actor: CombatantId,
        target: CombatantId,
        attack: usize,
        now_ms: u64,
    ) -> Result<(), Rejection> {
        let target_name = self.combatant(target).map(|c| c.name.clone());
        if self.combat.is_none() {
            // Any attack outside combat starts it; the attack happens on the attacker's turn.
            self.check_attack(actor, target, attack).or_else(|r| {
                if r.code == RejectCode::OutOfReach {
                    Ok(Advantage::Normal)
                } else {
                    Err(r)
                }
            })?;
            let me = self.combatant(actor).expect("checked").name.clone();
            self.start_combat(
                now_ms,
                format!("{me} attacks {}!", target_name.unwrap_or_default()),
            );
            return Ok(());
        }
        self.check_attack(actor, target, attack)?;
        if self.is_weapon_attack(actor, attack) {
            return self.do_weapon_attack(actor, target, now_ms);
        }
        self.budget_mut().expect("in combat").action_used = true;
        self.break_sanctuary(actor, now_ms);
        if !self.passes_sanctuary(actor, target, now_ms) {
            return Ok(());
        }
        self.resolve_attack(actor, target, attack, false, now_ms);
        // Multiattack: the other attacks of the action, at the same target while it stands.
        let me = self.combatant(actor).expect("exists");
        let chosen = me.attacks[attack].name.clone();
        if let Some(names) = me.features.iter().find_map(|f| match f {
            Feature::Multiattack(n) if n.contains(&chosen) => Some(n.clone()),
            _ => None,
        }) {
            let mut rest = names;
            if let Some(i) = rest.iter().position(|n| *n == chosen) {
                rest.remove(i);
            }
            for name in rest {
                let Some(index) = self
                    .combatant(actor)
                    .and_then(|c| c.attacks.iter().position(|a| a.name == name))
                else {
                    continue;
                };
                if self.combatant(actor).is_some_and(|c| !c.incapacitated())
                    && self.attack_in_reach(actor, target, index).is_ok()
                {
                    self.resolve_attack(actor, target, index, false, now_ms);
                }
            }
        }
        self.check_combat_end(now_ms);
        Ok(())
    }

    /// Rolls an attack that has already been validated, applies its damage and effects.
    pub(super) fn resolve_attack(
        &mut self,
        attacker: CombatantId,
        target: CombatantId,
        index: usize,
        opportunity: bool,
        now_ms: u64,
    ) {
        let advantage = if opportunity {
            // Opportunity attacks ignore range rules but still respect the target's defences.
            self.attack_in_reach(attacker, target, index)
                .unwrap_or(Advantage::Normal)
        } else {
            self.attack_in_reach(attacker, target, index)
                .expect("validated")
        };
        let me = self.combatant(attacker).expect("exists").clone();
        let them = self.combatant(target).expect("exists").clone();
        let attack = me.attacks[index].clone();
        let distance = me.pos.feet_to(them.pos);
        // SRD 5.1: a hit on a paralyzed or unconscious creature from within 5 ft is critical.
        let auto_crit = them.helpless() && distance <= 5;
        self.use_up_mark(target, now_ms);
        // Fighting Style (Archery): "+2 bonus to attack rolls you make with ranged weapons".
        let archery = if attack.kind == AttackKind::Ranged
            && me
                .features
                .contains(&Feature::FightingStyle(FightingStyle::Archery))
        {
            2
        } else {
            0
        };
        let to_hit = attack.to_hit + archery + self.attack_bonus_dice(attacker);
        let ac = self.ac_now(target) + self.cover_between(attacker, target).bonus();
        // Improved Critical (Champion): "Your weapon attacks score a critical hit on a roll of
        // 19 or 20."
        let critical_on = if me.features.contains(&Feature::ImprovedCritical) {
            19
        } else {
            20
        };
        let roll = rules::attack_roll_critical_on(
            &mut self.rng,
            to_hit,
            ac,
            advantage,
            auto_crit,
            critical_on,
        );
        // "You give away your location when the attack hits or misses."
        self.reveal(attacker, now_ms);
        // A player who can cast Shield is asked first; the attack resumes with the answer.
        if roll.hit
            && self.offer_shield(
                attacker,
                target,
                index,
                opportunity,
                advantage,
                roll,
                now_ms,
            )
        {
            return;
        }
        self.finish_attack(
            attacker,
            target,
            index,
            opportunity,
            advantage,
            roll,
            now_ms,
        );
    }

    /// The rest of an attack once its roll stands (after any reaction): damage, Sneak Attack
    /// and the like, the event, the damage applied and riders.
    #[allow(
        clippy::too_many_arguments,
        reason = "an attack's state between its roll and its damage"
    )]
    pub(super) fn finish_attack(
        &mut self,
        attacker: CombatantId,
        target: CombatantId,
        index: usize,
        opportunity: bool,
        advantage: Advantage,
        roll: rules::AttackRoll,
        now_ms: u64,
    ) {
        let me = self.combatant(attacker).expect("exists").clone();
        let them = self.combatant(target).expect("exists").clone();
        let attack = me.attacks[index].clone();
        let mut damage: Option<DiceRoll> = None;
        let mut sneak: Option<DiceRoll> = None;
        let mut dealt = 0;
        let mut adjustment = DamageAdjustment::None;
        if roll.hit {
            let d = rules::roll_damage(&mut self.rng, &attack, roll.critical);
            let mut total = d.total;
            // Fighting Style (Dueling): "+2 bonus to damage rolls" with a melee weapon in one
            // hand (the pregens' melee weapons are one-handed).
            if attack.kind == AttackKind::Melee
                && !attack
                    .properties
                    .contains(&crate::items::WeaponProperty::TwoHanded)
                && me
                    .features
                    .contains(&Feature::FightingStyle(FightingStyle::Dueling))
            {
                total += 2;
            }
            damage = Some(d);
            if let Some(dice) = me.features.iter().find_map(|f| match f {
                Feature::SneakAttack(d) => Some(d.clone()),
                _ => None,
            }) && !self.budget().is_some_and(|b| b.sneak_attack_used)
                && !opportunity
                && (attack.finesse
                    || attack
                        .properties
                        .contains(&crate::items::WeaponProperty::Finesse)
                    || attack.kind == AttackKind::Ranged)
                && advantage != Advantage::Disadvantage
                && (advantage == Advantage::Advantage
                    || self.combatants.iter().any(|c| {
                        c.id != me.id
                            && c.side == me.side
                            && c.is_conscious()
                            && c.pos.is_adjacent(them.pos)
                    }))
            {
                let s = dice.roll(&mut self.rng, roll.critical);
                total += s.total;
                sneak = Some(s);
                if let Some(b) = self.budget_mut() {
                    b.sneak_attack_used = true;
                }
            }
            // Martial Advantage (SRD 5.1 Hobgoblin): once per turn, extra damage when an ally of
            // the attacker that isn't incapacitated is within 5 feet of the target.
            if let Some(dice) = me.features.iter().find_map(|f| match f {
                Feature::MartialAdvantage(d) => Some(d.clone()),
                _ => None,
            }) && !opportunity
                && !self.budget().is_some_and(|b| b.extra_damage_used)
                && self.combatants.iter().any(|c| {
                    c.id != me.id
                        && c.side == me.side
                        && !c.incapacitated()
                        && c.pos.is_adjacent(them.pos)
                })
            {
                total += dice.roll(&mut self.rng, roll.critical).total;
                if let Some(b) = self.budget_mut() {
                    b.extra_damage_used = true;
                }
            }
            let (amount, adj) = rules::adjust_damage(
                total,
                attack.damage_type,
                &them.vulnerabilities,
                &them.resistances,
                &them.immunities,
            );
            dealt = amount;
            adjustment = adj;
        }
        self.emit(
            now_ms,
            GameEvent::Attacked(AttackEvent {
                attacker,
                target,
                attack: attack.name.clone(),
                opportunity,
                roll,
                damage,
                sneak_attack: sneak,
                damage_type: attack.damage_type,
                adjustment,
                dealt,
                hp_after: (them.hp - dealt).max(0),
            }),
        );
        if roll.hit {
            self.apply_damage(target, dealt, roll.critical, attack.damage_type, now_ms);
            if let Some(OnHit::KnockProne { dc, save }) = &attack.on_hit
                && self
                    .combatant(target)
                    .is_some_and(|c| c.is_conscious() && !c.has(Condition::Prone))
            {
                let modifier = them.modifier(*save);
                let (d20, saved) = rules::saving_throw(&mut self.rng, modifier, *dc);
                self.emit(
                    now_ms,
                    GameEvent::SavingThrow {
                        actor: target,
                        ability: *save,
                        dc: *dc,
                        roll: d20,
                        modifier,
                        success: saved,
                    },
                );
                if !saved {
                    self.apply_condition(target, Condition::Prone, now_ms);
                }
            }
            if let Some(OnHit::Save {
                dc,
                ability,
                half,
                effects,
            }) = &attack.on_hit
                && self.combatant(target).is_some_and(|c| !c.is_dead())
            {
                self.rider(
                    attacker,
                    target,
                    &attack.name,
                    (*dc, *ability, *half),
                    effects,
                    now_ms,
                );
            }
        }
    }
}
