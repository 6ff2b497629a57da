//! The turn model: starting combat, initiative and turns, death saves, the end of combat, and
//! time (timeouts, NPC and companion turns).

use super::{
    Action, COMPANION_PACE_MS, CombatState, CombatantId, Mode, Rejection, Side, Table, TurnBudget,
};
use crate::content::{Ability, Condition};
use crate::dice::{Advantage, roll_d20};
use crate::event::{CombatOutcome, GameEvent, InitiativeEntry};
use crate::rules::{self, DeathSaveOutcome};
use crate::spells::ZoneTrigger;
use crate::tactics;

impl Table {
    /// Starts combat: rolls initiative (d20 + DEX; ties by DEX, then a roll) for every living
    /// creature and begins the first turn.
    pub fn start_combat(&mut self, now_ms: u64, reason: String) {
        if self.combat.is_some() {
            return;
        }
        let mut entries = Vec::new();
        let ids: Vec<CombatantId> = self
            .combatants
            .iter()
            // Bystanders stay out of the fight (an NPC turned hostile is a foe).
            .filter(|c| !c.is_dead() && c.side != Side::Neutral)
            .map(|c| c.id)
            .collect();
        for id in ids {
            let dex = self.combatant(id).expect("exists").modifier(Ability::Dex);
            let d20 = roll_d20(&mut self.rng, Advantage::Normal).natural;
            let tiebreak = roll_d20(&mut self.rng, Advantage::Normal).natural;
            entries.push(InitiativeEntry {
                combatant: id,
                roll: d20,
                dex,
                total: d20 as i32 + dex,
                tiebreak,
            });
        }
        entries.sort_by(|a, b| {
            b.total
                .cmp(&a.total)
                .then(b.dex.cmp(&a.dex))
                .then(b.tiebreak.cmp(&a.tiebreak))
                .then(a.combatant.cmp(&b.combatant))
        });
        for e in &entries {
            self.combatant_mut(e.combatant).initiative = Some(e.total);
        }
        let order: Vec<CombatantId> = entries.iter().map(|e| e.combatant).collect();
        let hidden: Vec<CombatantId> = self
            .combatants
            .iter()
            .filter(|c| c.hidden)
            .map(|c| c.id)
            .collect();
        if !hidden.is_empty() {
            for c in &mut self.combatants {
                c.hidden = false;
            }
            self.emit(now_ms, GameEvent::Revealed { combatants: hidden });
        }
        self.mode = Mode::Combat;
        self.combat = Some(CombatState {
            round: 1,
            order,
            active: 0,
            deadline_ms: None,
            budget: TurnBudget::default(),
        });
        self.emit(
            now_ms,
            GameEvent::CombatStarted {
                reason,
                order: entries,
                turn_timeout_ms: self.turn_timeout_ms,
            },
        );
        self.emit(now_ms, GameEvent::RoundStarted { round: 1 });
        self.begin_turn(now_ms);
    }

    fn begin_turn(&mut self, now_ms: u64) {
        let Some(combat) = &self.combat else { return };
        let id = combat.order[combat.active];
        let round = combat.round;
        let timeout = self.turn_timeout_ms;
        let c = self.combatant_mut(id);
        c.conditions.remove(&Condition::Dodging);
        c.reaction_used = false;
        self.effects_at_turn_start(id, round, now_ms);
        let speed = self.speed_now(id);
        let c = self.combatant(id).expect("exists");
        // A player's turn ends at its timeout; a companion's turn is played once it has been
        // on screen a moment; an NPC's at once.
        let deadline_ms = if c.companion {
            Some(now_ms.saturating_add(COMPANION_PACE_MS))
        } else {
            c.is_pc.then_some(now_ms.saturating_add(timeout))
        };
        let combat = self.combat.as_mut().expect("checked");
        combat.deadline_ms = deadline_ms;
        combat.budget = TurnBudget {
            movement_left: speed,
            ..Default::default()
        };
        self.emit(
            now_ms,
            GameEvent::TurnStarted {
                round,
                actor: id,
                deadline_ms,
            },
        );
        // Web: "Each creature that starts its turn in the webs … must make a Dexterity saving
        // throw" (one it holds cannot move while it does).
        let pos = self.combatant(id).expect("exists").pos;
        self.zone_saves(id, pos, ZoneTrigger::StartOfTurn, now_ms);
        let c = self.combatant(id).expect("exists");
        if c.is_pc && c.hp == 0 && !c.is_dead() {
            if !c.has(Condition::Stable) {
                self.roll_death_save(id, now_ms);
            }
            // Unconscious (dying or stable): nothing to do, so nobody waits for the timeout.
            if !self.combatant(id).is_some_and(|c| c.is_conscious()) {
                self.end_turn(now_ms);
            }
        } else if c.is_conscious() && c.incapacitated() {
            // Paralyzed or asleep: no actions, no movement; the turn passes (with its
            // end-of-turn saves).
            self.end_turn(now_ms);
        }
    }

    fn roll_death_save(&mut self, id: CombatantId, now_ms: u64) {
        let (d, outcome) = rules::death_save(&mut self.rng);
        let c = self.combatant_mut(id);
        match outcome {
            DeathSaveOutcome::Success => c.death_saves.0 += 1,
            DeathSaveOutcome::Failure => c.death_saves.1 += 1,
            DeathSaveOutcome::CriticalFailure => c.death_saves.1 += 2,
            DeathSaveOutcome::Revived => {
                c.hp = 1;
                c.death_saves = (0, 0);
                c.conditions.remove(&Condition::Unconscious);
            }
        }
        let (successes, failures) = c.death_saves;
        self.emit(
            now_ms,
            GameEvent::DeathSave {
                actor: id,
                roll: Some(d),
                successes: successes.min(3),
                failures: failures.min(3),
            },
        );
        if failures >= 3 {
            self.kill(id, now_ms);
        } else if successes >= 3 {
            let c = self.combatant_mut(id);
            c.death_saves = (0, 0);
            c.conditions.insert(Condition::Stable);
            self.emit(now_ms, GameEvent::Stabilised { actor: id });
        }
    }

    pub(super) fn end_turn(&mut self, now_ms: u64) {
        let Some(actor) = self.active() else { return };
        let round = self.combat.as_ref().map_or(0, |c| c.round);
        self.effects_at_turn_end(actor, round, now_ms);
        self.emit(now_ms, GameEvent::TurnEnded { actor });
        if self.check_combat_end(now_ms) {
            return;
        }
        // Next living combatant; the dead keep their place in the order but are skipped. Both
        // sides still have someone standing (checked above), so this finds one.
        loop {
            let combat = self.combat.as_mut().expect("checked");
            combat.active += 1;
            if combat.active >= combat.order.len() {
                combat.active = 0;
                combat.round += 1;
                let round = combat.round;
                self.emit(now_ms, GameEvent::RoundStarted { round });
                self.fire_triggers(&crate::adventure::When::Round(round), None, now_ms);
                if self.combat.is_none() {
                    return;
                }
            }
            let id = self.active().expect("in combat");
            if !self.combatant(id).is_some_and(|c| c.is_dead()) {
                break;
            }
        }
        self.begin_turn(now_ms);
    }

    /// Ends combat if one side is down; returns whether it ended.
    pub(super) fn check_combat_end(&mut self, now_ms: u64) -> bool {
        if self.combat.is_none() {
            return false;
        }
        let foes_up = self
            .combatants
            .iter()
            .any(|c| c.side == Side::Foe && c.is_conscious());
        let party_up = self
            .combatants
            .iter()
            .any(|c| c.side == Side::Party && c.is_conscious());
        let outcome = match (party_up, foes_up) {
            (true, true) => return false,
            (true, false) => CombatOutcome::Victory,
            _ => CombatOutcome::Defeat,
        };
        self.combat = None;
        self.mode = Mode::Exploration;
        self.resolved = true;
        for c in &mut self.combatants {
            c.conditions.remove(&Condition::Dodging);
            c.reaction_used = false;
        }
        self.effects_after_combat(now_ms);
        self.emit(now_ms, GameEvent::CombatEnded { outcome });
        if outcome == CombatOutcome::Victory {
            self.award_victory_xp(now_ms);
            self.fire_triggers(&crate::adventure::When::Victory, None, now_ms);
        } else if self.adventure.is_some() {
            self.regroup_after_defeat(now_ms);
        }
        true
    }

    /// Advances time: times out a player's turn (the character Dodges), or plays one NPC turn
    /// with the built-in tactics. Call once per server tick.
    pub fn tick(&mut self, now_ms: u64) {
        if self.paused_since.is_some() {
            return;
        }
        self.tick_reaction(now_ms);
        if self.pending.is_some() {
            return;
        }
        let Some(active) = self.active() else { return };
        let c = self.combatant(active).expect("exists");
        if c.companion {
            let due = self.combat.as_ref().and_then(|c| c.deadline_ms);
            if due.is_none_or(|d| now_ms >= d) {
                let plan = self.plan_for(active);
                self.play_npc_turn(active, plan, now_ms);
            }
        } else if c.is_pc {
            if self
                .combat
                .as_ref()
                .and_then(|c| c.deadline_ms)
                .is_some_and(|d| now_ms >= d)
            {
                self.time_out_turn(now_ms);
            }
        } else {
            let plan = self.plan_for(active);
            self.play_npc_turn(active, plan, now_ms);
        }
    }

    /// The built-in plan for `me`'s turn: a bonus-action spell (or feature, or a spiritual
    /// weapon's strike) and an action spell when the spell tactics find one worth it, else
    /// movement and an attack.
    pub fn plan_for(&self, me: CombatantId) -> Vec<Action> {
        let (bonus, action) = tactics::plan_spells(self, me);
        let feature = tactics::feature_plan(self, me);
        let mut plan: Vec<Action> = bonus
            .or(feature.bonus)
            .or_else(|| tactics::weapon_attack(self, me))
            .into_iter()
            .collect();
        match feature.action.or(action) {
            Some(a) => plan.extend([a, Action::EndTurn]),
            None => {
                let mut rest = tactics::plan_turn(&self.board(), me);
                // Action Surge: the same attack once more.
                if let (Some(surge), Some(i)) = (
                    feature.surge,
                    rest.iter().position(|a| matches!(a, Action::Attack { .. })),
                ) {
                    let again = rest[i].clone();
                    rest.splice(i + 1..i + 1, [surge, again]);
                }
                plan.extend(rest);
            }
        }
        plan
    }

    /// The NPC whose turn it is, if the table waits for one to be played (not paused).
    pub fn npc_to_play(&self) -> Option<CombatantId> {
        if self.paused_since.is_some() || self.pending.is_some() {
            return None;
        }
        self.active()
            .filter(|&a| self.combatant(a).is_some_and(|c| !c.is_pc || c.companion))
    }

    /// Hands a player character to a companion (`on`) or back to its seat. Safe at any time: a
    /// companion whose turn it is plays it after a moment; a character handed back mid-turn
    /// gets a player's full turn timer from now.
    pub fn set_companion(&mut self, id: CombatantId, on: bool, now_ms: u64) {
        let Some(c) = self.combatants.iter_mut().find(|c| c.id == id && c.is_pc) else {
            return;
        };
        if c.companion == on {
            return;
        }
        c.companion = on;
        if self.active() == Some(id) {
            let due = if on {
                now_ms.saturating_add(COMPANION_PACE_MS)
            } else {
                now_ms.saturating_add(self.turn_timeout_ms)
            };
            if let Some(combat) = self.combat.as_mut() {
                combat.deadline_ms = Some(due);
            }
        }
    }

    /// Like [`Table::tick`] but leaves NPC turns alone (they are played with
    /// [`Table::play_npc_turn`] from the narrator's NPC brain).
    pub fn tick_players(&mut self, now_ms: u64) {
        if self.npc_to_play().is_none() {
            self.tick(now_ms);
        }
    }

    /// Plays an NPC's turn from a list of chosen actions: each is validated like a player's
    /// intent; the first refused one (an illegal choice) falls back to the built-in tactics.
    /// The turn always ends.
    pub fn play_npc_turn(
        &mut self,
        npc: CombatantId,
        plan: Vec<Action>,
        now_ms: u64,
    ) -> Vec<Rejection> {
        let mut refused = Vec::new();
        for action in plan {
            // A player's reaction interrupts: the rest of the turn is played once answered.
            if self.active() != Some(npc) || self.pending.is_some() {
                return refused;
            }
            if action == Action::EndTurn {
                break;
            }
            if let Err(r) = self.submit(npc, action, now_ms) {
                refused.push(r);
                if refused.len() == 1 && self.active() == Some(npc) {
                    let fallback = tactics::plan_turn(&self.board(), npc);
                    for a in fallback {
                        if self.active() != Some(npc) || a == Action::EndTurn {
                            break;
                        }
                        let _ = self.submit(npc, a, now_ms);
                    }
                }
                break;
            }
        }
        if self.active() == Some(npc) && self.pending.is_none() {
            self.end_turn(now_ms);
        }
        refused
    }

    fn time_out_turn(&mut self, now_ms: u64) {
        let Some(active) = self.active() else { return };
        self.emit(now_ms, GameEvent::TurnTimedOut { actor: active });
        if !self.budget().is_some_and(|b| b.action_used)
            && self.combatant(active).is_some_and(|c| c.is_conscious())
        {
            self.budget_mut().expect("in combat").action_used = true;
            self.combatant_mut(active)
                .conditions
                .insert(Condition::Dodging);
            self.emit(now_ms, GameEvent::Dodged { actor: active });
        }
        self.end_turn(now_ms);
    }
}
