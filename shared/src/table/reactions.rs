//! Reactions offered to players. When an attack hits a character its player controls and that
//! character could cast Shield (a slot left, its reaction free), or a foe is about to leave the
//! reach of such a character (an opportunity attack), the table asks the seat and waits at most
//! the reaction window ([`Table::reaction_window_ms`], a few seconds). The answer
//! (`Action::React`) or, when the window lapses, the default — Shield if +5 AC turns the hit
//! into a miss; the opportunity attack always — resumes the attack or the move. Meanwhile the
//! table accepts nothing else, so it never waits longer than the window. Companions and
//! monsters decide at once with the same defaults.

use super::effects::{ActiveEffect, Ends, Lasting};
use super::{CombatantId, RejectCode, Rejection, Table};
use crate::dice::Advantage;
use crate::event::{Audience, GameEvent};
use crate::grid::GridPos;
use crate::rules::AttackRoll;
use crate::spells::Buff;
use serde::{Deserialize, Serialize};

/// How long a player has to answer a reaction by default (ms).
pub const DEFAULT_REACTION_WINDOW_MS: u64 = 6_000;

/// An attack waiting for a player's answer: one that hit the reactor ("cast Shield?", `roll`
/// is set), or the reactor's own opportunity attack on a creature leaving its reach (`moving`
/// is set: the mover waits where it is, the rest of its path to walk after the answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingReaction {
    /// Who is asked.
    pub reactor: CombatantId,
    /// What is offered ("Shield", "an opportunity attack").
    pub offer: String,
    /// When the window lapses (table clock, ms).
    pub deadline_ms: u64,
    /// The attack's attacker (the reactor itself for an opportunity attack).
    pub attacker: CombatantId,
    /// Its attack index.
    pub attack: usize,
    /// Whether it is an opportunity attack.
    pub opportunity: bool,
    /// Its advantage state (Shield).
    pub advantage: Advantage,
    /// The roll that hit (Shield).
    #[serde(default)]
    pub roll: Option<AttackRoll>,
    /// The move an opportunity attack interrupts.
    #[serde(default)]
    pub moving: Option<PausedMove>,
}

/// A move stopped where it would leave a player's reach, until the player answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PausedMove {
    /// Who moves (the opportunity attack's target).
    pub mover: CombatantId,
    /// The rest of its path, starting with the step that leaves the reach.
    pub path: Vec<GridPos>,
    /// Players who already declined on this move (not asked again).
    pub declined: Vec<CombatantId>,
}

impl Table {
    /// Whether `target` can cast Shield now: it knows it, has a slot and its reaction.
    fn shield_slot(&self, target: CombatantId) -> Option<u8> {
        let c = self.combatant(target)?;
        let casting = c.casting.as_ref()?;
        let spell = casting
            .spells
            .iter()
            .filter_map(|id| self.spells.get(id))
            .find(|s| s.hook.as_deref() == Some("shield"))?;
        if !self.can_react(target) {
            return None;
        }
        (spell.level.max(1)..=9).find(|l| casting.slots_left(*l) > 0)
    }

    /// Called when an attack hits: offers Shield to a player (and returns true: the attack
    /// waits), or lets a companion or monster decide at once (false: the attack goes on).
    #[allow(
        clippy::too_many_arguments,
        reason = "an attack's state between its roll and its damage"
    )]
    pub(super) fn offer_shield(
        &mut self,
        attacker: CombatantId,
        target: CombatantId,
        attack: usize,
        opportunity: bool,
        advantage: Advantage,
        roll: AttackRoll,
        now_ms: u64,
    ) -> bool {
        if self.shield_slot(target).is_none() {
            return false;
        }
        // One question at a time: a second hit while one waits is decided by the default.
        let asked = self.pending.is_none()
            && self
                .combatant(target)
                .is_some_and(|c| c.is_pc && !c.companion);
        if !asked {
            if shield_turns_it(&roll) {
                self.cast_shield(target, now_ms);
            }
            return false;
        }
        let deadline_ms = now_ms.saturating_add(self.reaction_window_ms);
        self.pending = Some(PendingReaction {
            reactor: target,
            offer: "Shield".into(),
            deadline_ms,
            attacker,
            attack,
            opportunity,
            advantage,
            roll: Some(roll),
            moving: None,
        });
        let seat = self
            .combatant(target)
            .map(|c| c.source.clone())
            .unwrap_or_default();
        self.emit_to(
            now_ms,
            Audience::Seats(vec![seat]),
            GameEvent::ReactionOffered {
                reactor: target,
                attacker,
                offer: "Shield".into(),
                roll: Some(roll),
                seconds: self.reaction_window_ms.div_ceil(1000),
            },
        );
        true
    }

    /// `Action::React`: the reactor's answer.
    pub(super) fn do_react(
        &mut self,
        actor: CombatantId,
        take: bool,
        now_ms: u64,
    ) -> Result<(), Rejection> {
        match &self.pending {
            Some(p) if p.reactor == actor => {
                self.resolve_reaction(Some(take), now_ms);
                Ok(())
            }
            _ => Err(Rejection::new(
                RejectCode::WrongMode,
                "Nothing is waiting for your reaction",
            )),
        }
    }

    /// While a reaction is pending, only the reactor's answer is accepted.
    pub(super) fn check_not_waiting(
        &self,
        actor: CombatantId,
        reacting: bool,
    ) -> Result<(), Rejection> {
        match &self.pending {
            Some(p) if !(reacting && p.reactor == actor) => {
                let who = self
                    .combatant(p.reactor)
                    .map(|c| c.name.clone())
                    .unwrap_or_default();
                Err(Rejection::new(
                    RejectCode::NotYourTurn,
                    format!("Waiting for {who} to decide on {}", p.offer),
                ))
            }
            _ => Ok(()),
        }
    }

    /// Ends the wait when its window has lapsed (the default answer). Call every tick.
    pub(super) fn tick_reaction(&mut self, now_ms: u64) {
        if self
            .pending
            .as_ref()
            .is_some_and(|p| now_ms >= p.deadline_ms)
        {
            self.resolve_reaction(None, now_ms);
        }
    }

    /// Asks `reactor`'s player whether to strike `mover`, which is about to leave its reach
    /// with `path` still to walk (its first step leaves the reach).
    pub(super) fn offer_opportunity(
        &mut self,
        reactor: CombatantId,
        attack: usize,
        moving: PausedMove,
        now_ms: u64,
    ) {
        let deadline_ms = now_ms.saturating_add(self.reaction_window_ms);
        let mover = moving.mover;
        self.pending = Some(PendingReaction {
            reactor,
            offer: "an opportunity attack".into(),
            deadline_ms,
            attacker: reactor,
            attack,
            opportunity: true,
            advantage: Advantage::Normal,
            roll: None,
            moving: Some(moving),
        });
        let seat = self
            .combatant(reactor)
            .map(|c| c.source.clone())
            .unwrap_or_default();
        self.emit_to(
            now_ms,
            Audience::Seats(vec![seat]),
            GameEvent::ReactionOffered {
                reactor,
                attacker: mover,
                offer: "an opportunity attack".into(),
                roll: None,
                seconds: self.reaction_window_ms.div_ceil(1000),
            },
        );
    }

    /// Resumes what waits with `take` (None: the window lapsed, take the default).
    fn resolve_reaction(&mut self, take: Option<bool>, now_ms: u64) {
        let Some(p) = self.pending.take() else { return };
        if let Some(mut moving) = p.moving {
            // SRD 5.1 Opportunity Attacks: "you can use your reaction to make one melee attack
            // against the provoking creature." The default when the window lapses: strike.
            let mover = moving.mover;
            if take.unwrap_or(true) && self.can_react(p.reactor) {
                self.combatant_mut(p.reactor).reaction_used = true;
                self.resolve_attack(p.reactor, mover, p.attack, true, now_ms);
            } else {
                moving.declined.push(p.reactor);
            }
            // The move goes on (unless the blow dropped the mover or ended the fight).
            if self.pending.is_none()
                && self.combat.is_some()
                && self.combatant(mover).is_some_and(|c| c.is_conscious())
            {
                let _ = self.walk(mover, moving.path, &moving.declined, now_ms);
            }
            self.check_combat_end(now_ms);
            return;
        }
        let Some(mut roll) = p.roll else { return };
        let take = take.unwrap_or_else(|| shield_turns_it(&roll));
        if take && self.shield_slot(p.reactor).is_some() {
            self.cast_shield(p.reactor, now_ms);
            // SRD 5.1 Shield: "+5 bonus to AC, including against the triggering attack". A
            // natural 20 still hits.
            roll.ac += 5;
            if roll.d20.natural != 20 && roll.total < roll.ac {
                roll.hit = false;
                roll.critical = false;
            }
        }
        if roll.hit {
            self.finish_attack(
                p.attacker,
                p.reactor,
                p.attack,
                p.opportunity,
                p.advantage,
                roll,
                now_ms,
            );
        } else {
            self.emit(
                now_ms,
                GameEvent::Attacked(crate::event::AttackEvent {
                    attacker: p.attacker,
                    target: p.reactor,
                    attack: self
                        .combatant(p.attacker)
                        .and_then(|c| c.attacks.get(p.attack))
                        .map(|a| a.name.clone())
                        .unwrap_or_default(),
                    opportunity: p.opportunity,
                    roll,
                    damage: None,
                    sneak_attack: None,
                    damage_type: crate::content::DamageType::Force,
                    adjustment: crate::rules::DamageAdjustment::None,
                    dealt: 0,
                    hp_after: self.combatant(p.reactor).map_or(0, |c| c.hp),
                }),
            );
        }
        self.check_combat_end(now_ms);
    }

    /// Casts Shield as a reaction: the slot and the reaction spent, +5 AC until the start of
    /// the caster's next turn.
    fn cast_shield(&mut self, caster: CombatantId, now_ms: u64) {
        let Some(slot) = self.shield_slot(caster) else {
            return;
        };
        let round = self.combat.as_ref().map_or(0, |c| c.round);
        let c = self.combatant_mut(caster);
        c.reaction_used = true;
        if let Some(casting) = c.casting.as_mut()
            && let Some(u) = casting.used.get_mut(usize::from(slot - 1))
        {
            *u += 1;
        }
        self.emit(
            now_ms,
            GameEvent::SpellCast {
                caster,
                spell: "Shield".into(),
                slot,
                targets: vec![],
                at: None,
            },
        );
        self.add_effect(
            caster,
            ActiveEffect {
                source: "Shield".into(),
                caster,
                what: Lasting::Buff(Buff::Ac(5)),
                ends: Ends::StartOfTurn(caster, round + 1),
                concentration: false,
                save_ends: None,
            },
            now_ms,
        );
    }
}

/// The default answer: Shield is worth a slot when +5 AC turns the hit into a miss.
fn shield_turns_it(roll: &AttackRoll) -> bool {
    roll.d20.natural != 20 && roll.total < roll.ac + 5
}
