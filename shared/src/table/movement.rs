//! Movement: validating and walking a path, opportunity attacks on the way, and companions
//! keeping up with the party while exploring.

use super::reactions::PausedMove;
use super::{Combatant, CombatantId, MAX_PATH_STEPS, RejectCode, Rejection, Side, Table};
use crate::content::{AttackKind, CombatStart, Condition};
use crate::event::GameEvent;
use crate::grid::GridPos;
use crate::spells::ZoneTrigger;

impl Table {
    /// Whether another living creature stands on `p` (excluding `except`).
    fn occupant(&self, p: GridPos, except: CombatantId) -> Option<&Combatant> {
        self.combatants
            .iter()
            .find(|c| c.id != except && c.pos == p && !c.is_dead())
    }

    pub(super) fn do_move(
        &mut self,
        actor: CombatantId,
        path: Vec<GridPos>,
        now_ms: u64,
    ) -> Result<(), Rejection> {
        self.walk(actor, path, &[], now_ms)
    }

    /// Validates and walks `path`; players in `declined` already passed on an opportunity
    /// attack during this move (a move paused for one resumes here).
    pub(super) fn walk(
        &mut self,
        actor: CombatantId,
        path: Vec<GridPos>,
        declined: &[CombatantId],
        now_ms: u64,
    ) -> Result<(), Rejection> {
        let me = self.combatant(actor).expect("checked by submit").clone();
        if path.is_empty() || path.len() > MAX_PATH_STEPS {
            return Err(Rejection::new(
                RejectCode::Malformed,
                format!("A move needs 1 to {MAX_PATH_STEPS} squares"),
            ));
        }
        // Frightened (SRD 5.1): "The creature can't willingly move closer to the source of its
        // fear."
        if let Some(source) = me
            .effects
            .iter()
            .find(|e| e.what == super::effects::Lasting::Condition(Condition::Frightened))
            .and_then(|e| self.combatant(e.caster))
            && let Some(end) = path.last()
            && end.squares_to(source.pos) < me.pos.squares_to(source.pos)
        {
            return Err(Rejection::new(
                RejectCode::InvalidPath,
                format!(
                    "{} is frightened of {} and cannot move closer",
                    me.name, source.name
                ),
            ));
        }
        // Standing up costs half the speed in a fight; exploring, nobody counts it.
        let stand_cost = if me.has(Condition::Prone) && self.combat.is_some() {
            me.speed / 2
        } else {
            0
        };
        let budget = match self.budget() {
            // Grappled or restrained since the turn began: no move while it lasts.
            Some(_) if self.speed_now(actor) == 0 => {
                return Err(Rejection::new(
                    RejectCode::NotEnoughMovement,
                    format!("{}'s speed is 0 now: it cannot move", me.name),
                ));
            }
            Some(b) => b.movement_left,
            None => me.speed,
        };
        let mut cost = stand_cost;
        let mut at = me.pos;
        // Walking into a hidden foe's square stops the move before it and springs the ambush:
        // the rules never reject a move by naming (or hinting at) a creature the mover cannot
        // see.
        let mut stumbled = false;
        let mut path = path;
        if let Some(i) = path.iter().position(|&step| {
            self.occupant(step, actor)
                .is_some_and(|o| self.unknown_to(me.side, o))
        }) {
            path.truncate(i);
            stumbled = true;
        }
        for &step in &path {
            let Some(c) = self.map.step_cost(at, step) else {
                let why = if !self.map.in_bounds(step) {
                    "leaves the map"
                } else if !self.map.terrain(step).passable() {
                    "runs into a wall"
                } else if !at.is_adjacent(step) {
                    "skips a square"
                } else {
                    "squeezes between wall corners"
                };
                return Err(Rejection::new(
                    RejectCode::InvalidPath,
                    format!("That path {why} at {step}"),
                ));
            };
            if let Some(other) = self.occupant(step, actor)
                && other.side.hostile_to(me.side)
                && other.is_conscious()
            {
                return Err(Rejection::new(
                    RejectCode::InvalidPath,
                    format!("You cannot move through {}", other.name),
                ));
            }
            cost += c;
            at = step;
        }
        if stumbled && path.is_empty() {
            self.start_combat(now_ms, format!("{} stumbles upon a hidden foe!", me.name));
            return Ok(());
        }
        if let Some(other) = self.occupant(at, actor) {
            return Err(Rejection::new(
                RejectCode::InvalidPath,
                format!("{} is already standing at {at}", other.name),
            ));
        }
        if cost > budget {
            return Err(Rejection::new(
                RejectCode::NotEnoughMovement,
                format!("That path costs {cost} ft; you have {budget} ft of movement left"),
            ));
        }
        // Valid: execute step by step, with opportunity attacks in combat.
        let from = me.pos;
        if me.has(Condition::Prone) {
            self.combatant_mut(actor)
                .conditions
                .remove(&Condition::Prone);
        }
        let in_combat = self.combat.is_some();
        let disengaged = self.budget().is_some_and(|b| b.disengaged);
        let mut walked = Vec::new();
        let mut spent = stand_cost;
        let mut at = from;
        // The walk is told in parts where it enters an area that makes it save (Web).
        let (mut part_from, mut stood_up) = (from, me.has(Condition::Prone));
        for (i, &step) in path.iter().enumerate() {
            if in_combat && !disengaged {
                // A player who could strike is asked first: the move waits for the answer.
                if let Some((reactor, attack)) = self
                    .opportunity_threats(actor, at, step)
                    .into_iter()
                    .find(|(h, _)| self.asks_player(*h) && !declined.contains(h))
                {
                    self.walked(actor, part_from, walked, spent, stood_up, now_ms);
                    let moving = PausedMove {
                        mover: actor,
                        path: path[i..].to_vec(),
                        declined: declined.to_vec(),
                    };
                    self.offer_opportunity(reactor, attack, moving, now_ms);
                    return Ok(());
                }
                self.opportunity_attacks(actor, at, step, declined, now_ms);
                if !self.combatant(actor).is_some_and(|c| c.is_conscious()) {
                    break;
                }
            }
            spent += self.map.step_cost(at, step).unwrap_or(0);
            let before = at;
            at = step;
            walked.push(step);
            self.combatant_mut(actor).pos = step;
            // A hidden trap underfoot stops the move; areas entered fire their triggers.
            if self.stepped(actor, step, now_ms) {
                break;
            }
            // Web: "Each creature … that enters them during its turn must make a Dexterity
            // saving throw"; one the webs hold stops there.
            if in_combat && self.active() == Some(actor) && self.enters_zone(before, step) {
                let part = std::mem::take(&mut walked);
                let cost = std::mem::take(&mut spent);
                self.walked(actor, part_from, part, cost, stood_up, now_ms);
                (part_from, stood_up) = (step, false);
                if self.zone_saves(actor, step, ZoneTrigger::Enter, now_ms)
                    || !self.combatant(actor).is_some_and(|c| c.is_conscious())
                {
                    break;
                }
            }
        }
        self.walked(actor, part_from, walked, spent, stood_up, now_ms);
        if me.is_pc && self.combatant(actor).is_some_and(|c| c.is_conscious()) {
            self.notice(actor, now_ms);
        }
        self.check_combat_end(now_ms);
        if !in_combat
            && !self.resolved
            && let CombatStart::Proximity(squares) = self.start
        {
            let me = self.combatant(actor).expect("exists").clone();
            if let Some(foe) = self.combatants.iter().find(|c| {
                c.side.hostile_to(me.side)
                    && c.is_conscious()
                    && c.pos.squares_to(me.pos) <= squares
            }) {
                let reason = format!("{} spots {}!", me.name, foe.name);
                self.start_combat(now_ms, reason);
            }
        }
        if stumbled && self.combat.is_none() {
            self.start_combat(now_ms, format!("{} stumbles upon a hidden foe!", me.name));
        }
        if self.combat.is_none() && me.is_pc && !me.companion {
            self.companions_follow(actor, now_ms);
        }
        Ok(())
    }

    /// After anyone changes squares: grapples out of reach end, and areas that hold a
    /// creature only while it is inside (Web) let go of those outside.
    pub(super) fn positions_changed(&mut self, now_ms: u64) {
        self.check_grapples(now_ms);
        self.check_zone_holds(now_ms);
        self.check_hiders(now_ms);
    }

    /// Exploring, companions keep up with the party: after a player's character walks, each
    /// companion more than two squares away walks (one move, its speed) to the reachable square
    /// nearest to it, by the same rules as anyone's move — which may spring a proximity fight.
    fn companions_follow(&mut self, leader: CombatantId, now_ms: u64) {
        let Some(target) = self.combatant(leader).map(|c| c.pos) else {
            return;
        };
        let followers: Vec<CombatantId> = self
            .combatants
            .iter()
            .filter(|c| c.companion && c.is_conscious() && c.id != leader)
            .map(|c| c.id)
            .collect();
        for id in followers {
            if self.combat.is_some() {
                break;
            }
            let board = self.board();
            let Some(unit) = board.units.iter().find(|u| u.id == id) else {
                continue;
            };
            let here = unit.pos;
            if here.squares_to(target) <= 2 {
                continue;
            }
            let reach = board.reach(unit, self.combatant(id).map_or(0, |c| c.speed));
            let Some((dest, _)) = reach
                .iter()
                .filter(|(p, _)| **p != here)
                .min_by_key(|(p, cost)| (p.squares_to(target), **cost, p.x, p.y))
            else {
                continue;
            };
            if dest.squares_to(target) >= here.squares_to(target) {
                continue;
            }
            if let Some(path) = board.map.path_to(here, *dest, |p| board.blocks(unit, p)) {
                let _ = self.do_move(id, path, now_ms);
            }
        }
    }

    /// Spends the movement walked and tells the table (nothing when nothing was walked).
    fn walked(
        &mut self,
        actor: CombatantId,
        from: GridPos,
        walked: Vec<GridPos>,
        spent: u32,
        stood_up: bool,
        now_ms: u64,
    ) {
        if let Some(b) = self.budget_mut() {
            b.movement_left = b.movement_left.saturating_sub(spent);
        }
        if !walked.is_empty() {
            self.emit(
                now_ms,
                GameEvent::Moved {
                    actor,
                    from,
                    path: walked,
                    feet: spent,
                    stood_up,
                },
            );
        }
    }

    /// Whether a reaction of `id` is put to its player (a character a seat plays) rather than
    /// decided at once (a companion or a monster).
    fn asks_player(&self, id: CombatantId) -> bool {
        self.combatant(id).is_some_and(|c| c.is_pc && !c.companion)
    }

    /// Who may make an opportunity attack on `mover` stepping from `from` to `to`, with which
    /// melee attack. SRD 5.1: "You can make an opportunity attack when a hostile creature that
    /// you can see moves out of your reach."
    fn opportunity_threats(
        &self,
        mover: CombatantId,
        from: GridPos,
        to: GridPos,
    ) -> Vec<(CombatantId, usize)> {
        let side = self
            .combatant(mover)
            .map(|c| c.side)
            .unwrap_or(Side::Neutral);
        self.combatants
            .iter()
            .filter(|h| h.side.hostile_to(side) && self.can_react(h.id))
            .filter_map(|h| {
                let (i, a) = h
                    .attacks
                    .iter()
                    .enumerate()
                    .find(|(_, a)| a.kind == AttackKind::Melee)?;
                (h.pos.feet_to(from) <= a.reach && h.pos.feet_to(to) > a.reach).then_some((h.id, i))
            })
            .collect()
    }

    /// The opportunity attacks decided at once (companions and monsters strike).
    fn opportunity_attacks(
        &mut self,
        mover: CombatantId,
        from: GridPos,
        to: GridPos,
        declined: &[CombatantId],
        now_ms: u64,
    ) {
        let threats: Vec<(CombatantId, usize)> = self
            .opportunity_threats(mover, from, to)
            .into_iter()
            .filter(|(h, _)| !declined.contains(h))
            .collect();
        for (attacker, attack) in threats {
            if !self.combatant(mover).is_some_and(|c| c.is_conscious()) {
                break;
            }
            self.combatant_mut(attacker).reaction_used = true;
            self.resolve_attack(attacker, mover, attack, true, now_ms);
        }
    }
}
