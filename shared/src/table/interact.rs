//! Exploring a scene: using points of interest (open, loot, pull, pick or force a lock, disarm a
//! trap), searching for hidden things, taking an exit, traps underfoot, and the scene's
//! triggers and their outcomes.

use super::action::clip;
use super::{CombatantId, RejectCode, Rejection, Side, Table};
use crate::adventure::{Attitude, Loot, Outcome, PointDef, PointKind, When};
use crate::checks::{Skill, roll_check};
use crate::dice::Advantage;
use crate::event::GameEvent;
use crate::grid::GridPos;
use crate::story::StoryEvent;
use serde::{Deserialize, Serialize};

/// How a character goes about a point of interest.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub enum Approach {
    /// Open it, loot it, pull it, take the exit, try its check, disarm a found trap; a key
    /// carried opens a lock.
    #[default]
    Use,
    /// Pick its lock: Dexterity (Sleight of Hand) against the lock's DC.
    Pick,
    /// Force it: Strength (Athletics) against the lock's DC.
    Force,
}

impl Approach {
    fn name(self) -> &'static str {
        match self {
            Approach::Use => "use",
            Approach::Pick => "pick",
            Approach::Force => "force",
        }
    }
}

fn refuse(code: RejectCode, why: impl Into<String>) -> Rejection {
    Rejection::new(code, why)
}

impl Table {
    /// Whether `actor` may use `target` (a point or exit id) that way now, and what it is.
    /// The one answer for the server, the client's menus and the bots.
    pub fn check_interact(
        &self,
        actor: CombatantId,
        target: &str,
        approach: Approach,
    ) -> Result<(), Rejection> {
        let scene = self
            .scene()
            .ok_or_else(|| refuse(RejectCode::WrongMode, "There is nothing to use here"))?;
        let me = self
            .combatant(actor)
            .ok_or_else(|| refuse(RejectCode::UnknownTarget, "No such character"))?;
        let unknown = || {
            refuse(
                RejectCode::UnknownTarget,
                format!("There is no `{}` here that you know of", clip(target)),
            )
        };
        if self.adventure.as_ref().is_some_and(|a| a.ended) {
            return Err(refuse(RejectCode::WrongMode, "The adventure is over"));
        }
        if target.starts_with(super::scenes::FLOOR) {
            if approach != Approach::Use {
                return Err(refuse(RejectCode::NotAllowed, "Simply pick it up"));
            }
            return self.check_pick_up(actor, target);
        }
        if !scene.known(target) {
            return Err(unknown());
        }
        if let Some(exit) = scene.def.exits.iter().find(|e| e.id == target) {
            if approach != Approach::Use {
                return Err(refuse(RejectCode::NotAllowed, "An exit is simply taken"));
            }
            if self.combat.is_some() {
                return Err(refuse(
                    RejectCode::WrongMode,
                    "Nobody leaves in the middle of a fight",
                ));
            }
            let near = exit
                .at
                .iter()
                .any(|a| me.pos.feet_to(GridPos::new(a.0, a.1)) <= 5);
            if !near {
                return Err(refuse(
                    RejectCode::OutOfReach,
                    format!("Walk to {} first", exit.name),
                ));
            }
            return Ok(());
        }
        let point = scene
            .def
            .points
            .iter()
            .find(|p| p.id == target)
            .ok_or_else(unknown)?;
        if me.pos.feet_to(GridPos::new(point.at.0, point.at.1)) > 5 {
            return Err(refuse(
                RejectCode::OutOfReach,
                format!("{} is out of reach: within 5 ft", point.name),
            ));
        }
        if let Some(b) = self.budget().filter(|_| self.combat.is_some())
            && b.action_used
        {
            return Err(Rejection::action_spent());
        }
        let done = scene.opened.contains(&point.id);
        let tried = |way: Approach| {
            scene
                .tried
                .contains(&(point.id.clone(), way.name().into(), actor))
        };
        match approach {
            Approach::Use => {
                if done && point.kind != PointKind::Door {
                    return Err(refuse(
                        RejectCode::NotAllowed,
                        format!("{} has nothing more to give", point.name),
                    ));
                }
                if done {
                    return Err(refuse(
                        RejectCode::NotAllowed,
                        format!("{} is open", point.name),
                    ));
                }
                if point.kind == PointKind::Trap && tried(Approach::Use) {
                    return Err(refuse(
                        RejectCode::NotAllowed,
                        format!("{} already tried to disarm {}", me.name, point.name),
                    ));
                }
                if let Some(lock) = &point.lock
                    && !lock.key.as_ref().is_some_and(|k| me.items.contains(k))
                {
                    let mut ways = Vec::new();
                    if let Some(dc) = lock.pick_dc {
                        ways.push(format!("pick it (DC {dc})"));
                    }
                    if let Some(dc) = lock.force_dc {
                        ways.push(format!("force it (DC {dc})"));
                    }
                    if let Some(k) = &lock.key {
                        let key = self.items.get(k).map_or(k.clone(), |i| i.name.clone());
                        ways.push(format!("find the {key}"));
                    }
                    return Err(refuse(
                        RejectCode::NotAllowed,
                        format!("{} is locked: {}", point.name, ways.join(" or ")),
                    ));
                }
                if let Some(check) = &point.check
                    && point.lock.is_none()
                    && tried(Approach::Use)
                {
                    return Err(refuse(
                        RejectCode::NotAllowed,
                        format!(
                            "{} already tried ({} DC {})",
                            me.name,
                            check.skill.name(),
                            check.dc
                        ),
                    ));
                }
                Ok(())
            }
            Approach::Pick | Approach::Force => {
                let lock = point.lock.as_ref().filter(|_| !done).ok_or_else(|| {
                    refuse(
                        RejectCode::NotAllowed,
                        format!("{} is not locked", point.name),
                    )
                })?;
                let dc = if approach == Approach::Pick {
                    lock.pick_dc
                } else {
                    lock.force_dc
                };
                if dc.is_none() {
                    return Err(refuse(
                        RejectCode::NotAllowed,
                        format!(
                            "{} cannot be {}",
                            point.name,
                            if approach == Approach::Pick {
                                "picked"
                            } else {
                                "forced"
                            }
                        ),
                    ));
                }
                if tried(approach) {
                    return Err(refuse(
                        RejectCode::NotAllowed,
                        format!(
                            "{} already tried to {} {}",
                            me.name,
                            approach.name(),
                            point.name
                        ),
                    ));
                }
                Ok(())
            }
        }
    }

    /// `Action::Interact`.
    pub(super) fn do_interact(
        &mut self,
        actor: CombatantId,
        target: &str,
        approach: Approach,
        now_ms: u64,
    ) -> Result<(), Rejection> {
        self.check_interact(actor, target, approach)?;
        if target.starts_with(super::scenes::FLOOR) {
            return self.do_pick_up(actor, target, now_ms);
        }
        let scene = self.scene().expect("checked");
        if let Some(exit) = scene.def.exits.iter().find(|e| e.id == target).cloned() {
            self.emit(
                now_ms,
                GameEvent::Story(StoryEvent::Left {
                    actor,
                    exit: exit.name.clone(),
                }),
            );
            if exit.to == crate::adventure::END {
                self.end_adventure(false, now_ms);
            } else {
                self.enter_scene(&exit.to, now_ms);
            }
            return Ok(());
        }
        let point = scene
            .def
            .points
            .iter()
            .find(|p| p.id == target)
            .cloned()
            .expect("checked");
        if self.combat.is_some()
            && let Some(b) = self.budget_mut()
        {
            b.action_used = true;
        }
        let tried = (point.id.clone(), approach.name().to_string(), actor);
        match approach {
            Approach::Pick | Approach::Force => {
                self.scene_mut().expect("checked").tried.insert(tried);
                let lock = point.lock.clone().expect("checked");
                let (skill, dc, verb) = if approach == Approach::Pick {
                    (Skill::SleightOfHand, lock.pick_dc, "pick the lock of")
                } else {
                    (Skill::Athletics, lock.force_dc, "force")
                };
                let purpose = format!("{verb} {}", point.name);
                if self.roll_skill(actor, skill, dc.expect("checked"), &purpose, now_ms) {
                    self.open_point(actor, &point, now_ms);
                }
            }
            Approach::Use if point.kind == PointKind::Trap => {
                self.scene_mut().expect("checked").tried.insert(tried);
                let trap = point.trap.clone().expect("a trap point has a trap");
                let purpose = format!("disarm {}", point.name);
                let roll = self.roll_skill_roll(
                    actor,
                    Skill::SleightOfHand,
                    trap.disarm_dc,
                    &purpose,
                    now_ms,
                );
                if roll.success {
                    self.open_point(actor, &point, now_ms);
                } else if roll.total <= trap.disarm_dc - 5 {
                    // Failing by 5 or more sets it off.
                    self.spring_trap(actor, &point, now_ms);
                }
            }
            Approach::Use => match &point.check {
                Some(check) if point.lock.is_none() => {
                    self.scene_mut().expect("checked").tried.insert(tried);
                    let purpose = format!("use {}", point.name);
                    let outcomes =
                        if self.roll_skill(actor, check.skill, check.dc, &purpose, now_ms) {
                            self.open_point(actor, &point, now_ms);
                            check.success.clone()
                        } else {
                            check.failure.clone()
                        };
                    self.apply_outcomes(&outcomes, Some(actor), now_ms);
                }
                _ => self.open_point(actor, &point, now_ms),
            },
        }
        Ok(())
    }

    /// Rolls `actor`'s skill check against `dc` and tells the table; returns success.
    fn roll_skill(
        &mut self,
        actor: CombatantId,
        skill: Skill,
        dc: i32,
        purpose: &str,
        now_ms: u64,
    ) -> bool {
        self.roll_skill_roll(actor, skill, dc, purpose, now_ms)
            .success
    }

    fn roll_skill_roll(
        &mut self,
        actor: CombatantId,
        skill: Skill,
        dc: i32,
        purpose: &str,
        now_ms: u64,
    ) -> crate::checks::CheckRoll {
        let bonus = self.combatant(actor).map_or(0, |c| c.skill_bonus(skill));
        let roll = roll_check(&mut self.rng, bonus, None, Advantage::Normal, Some(dc));
        self.emit(
            now_ms,
            GameEvent::Story(StoryEvent::Check {
                actor,
                skill,
                purpose: purpose.to_string(),
                roll,
            }),
        );
        roll
    }

    /// A point opens (a door, a chest, a lever pulled, a trap disarmed): its text, its loot
    /// to `actor`, its outcomes and the triggers waiting on it.
    fn open_point(&mut self, actor: CombatantId, point: &PointDef, now_ms: u64) {
        let scene = self.scene_mut().expect("in a scene");
        scene.opened.insert(point.id.clone());
        self.refresh_scene_map();
        let text = if point.kind == PointKind::Trap {
            "disarmed".to_string()
        } else {
            point.text.clone()
        };
        self.emit(
            now_ms,
            GameEvent::Story(StoryEvent::Used {
                actor,
                what: point.name.clone(),
                text,
            }),
        );
        if !point.loot.is_empty() {
            let mut items = Vec::new();
            let mut gold = 0u32;
            let found = self.roll_loot(&point.loot);
            for l in &found {
                match l {
                    Loot::Item(id) => {
                        items.push(self.items.get(id).map_or(id.clone(), |i| i.name.clone()));
                        self.combatant_mut(actor).items.push(id.clone());
                    }
                    Loot::Gold(g) => gold = gold.saturating_add(*g),
                    Loot::Coins(_) | Loot::OneOf(_) => {}
                }
            }
            let c = self.combatant_mut(actor);
            c.gold = c.gold.saturating_add(gold);
            self.emit(
                now_ms,
                GameEvent::Story(StoryEvent::Looted { actor, items, gold }),
            );
        }
        if point.kind != PointKind::Trap {
            self.apply_outcomes(&point.then, Some(actor), now_ms);
            self.fire_triggers(&When::Used(point.id.clone()), Some(actor), now_ms);
        }
    }

    /// A trap goes off on `actor`: its save, its damage (half on a success), and it is spent.
    pub(super) fn spring_trap(&mut self, actor: CombatantId, point: &PointDef, now_ms: u64) {
        let Some(trap) = point.trap.clone() else {
            return;
        };
        let scene = self.scene_mut().expect("in a scene");
        scene.opened.insert(point.id.clone());
        scene.found.insert(point.id.clone());
        self.refresh_scene_map();
        self.emit(
            now_ms,
            GameEvent::Story(StoryEvent::TrapSprung {
                actor,
                trap: point.name.clone(),
            }),
        );
        let saved = self.saving_throw(actor, trap.save, trap.dc, &point.name, now_ms);
        let roll = self.roll_clamped(&trap.damage, false);
        let raw = if saved { roll.total / 2 } else { roll.total };
        let them = self.combatant(actor).expect("exists").clone();
        let (dealt, adjustment) = crate::rules::adjust_damage(
            raw,
            trap.damage_type,
            &them.vulnerabilities,
            &them.resistances,
            &them.immunities,
        );
        self.emit(
            now_ms,
            GameEvent::EffectDamage {
                target: actor,
                source: point.name.clone(),
                damage: roll,
                halved: saved,
                damage_type: trap.damage_type,
                adjustment,
                dealt,
                hp_after: (them.hp - dealt).max(0),
            },
        );
        self.apply_damage(actor, dealt, false, trap.damage_type, now_ms);
        if self.combat.is_none() && !self.combatants.iter().any(|c| c.is_pc && c.is_conscious()) {
            self.regroup_after_defeat(now_ms);
        }
    }

    /// `Action::Search`: an active Perception and Investigation check against everything
    /// hidden within 30 ft and in sight (SRD 5.1 "Search" action, "Finding a Hidden Object").
    /// Once per character per square.
    pub(super) fn do_search(&mut self, actor: CombatantId, now_ms: u64) -> Result<(), Rejection> {
        let pos = self
            .combatant(actor)
            .map(|c| c.pos)
            .ok_or_else(|| refuse(RejectCode::UnknownTarget, "No such character"))?;
        let scene = self
            .scene()
            .ok_or_else(|| refuse(RejectCode::WrongMode, "There is nothing to search here"))?;
        if scene.searched.contains(&(actor, pos)) {
            return Err(refuse(
                RejectCode::NotAllowed,
                "You already searched here: look somewhere else",
            ));
        }
        if let Some(b) = self.budget().filter(|_| self.combat.is_some()) {
            if b.action_used {
                return Err(Rejection::action_spent());
            }
            self.budget_mut().expect("in combat").action_used = true;
        }
        self.scene_mut()
            .expect("checked")
            .searched
            .insert((actor, pos));
        for skill in [Skill::Perception, Skill::Investigation] {
            let near = self.hidden_near(pos, skill);
            let bonus = self.combatant(actor).map_or(0, |c| c.skill_bonus(skill));
            let roll = roll_check(&mut self.rng, bonus, None, Advantage::Normal, None);
            let best = near.iter().map(|n| n.2).min();
            let mut shown = roll;
            shown.dc = best;
            shown.success = best.is_some_and(|dc| roll.total >= dc);
            self.emit(
                now_ms,
                GameEvent::Story(StoryEvent::Check {
                    actor,
                    skill,
                    purpose: "search the area".into(),
                    roll: shown,
                }),
            );
            for (id, name, dc, _) in near {
                if roll.total >= dc {
                    let how = format!("{} {}", skill.name(), roll.total);
                    self.find(&id, &name, Some(actor), how, now_ms);
                }
            }
        }
        Ok(())
    }

    /// After a party member steps onto `at`: a hidden trap there goes off (true: the move
    /// stops), then the triggers of areas entered fire.
    pub(super) fn stepped(&mut self, actor: CombatantId, at: GridPos, now_ms: u64) -> bool {
        let Some(scene) = self.scene() else {
            return false;
        };
        if !self.combatant(actor).is_some_and(|c| c.is_pc) {
            return false;
        }
        let trap = scene
            .def
            .points
            .iter()
            .find(|p| {
                p.kind == PointKind::Trap
                    && GridPos::new(p.at.0, p.at.1) == at
                    && !scene.opened.contains(&p.id)
            })
            .cloned();
        if let Some(trap) = trap {
            self.spring_trap(actor, &trap, now_ms);
            return true;
        }
        self.fire_triggers(
            &When::Enter((at.x, at.y), (at.x, at.y)),
            Some(actor),
            now_ms,
        );
        false
    }

    /// Fires the scene's triggers matching `event` (an `Enter` event carries the square
    /// entered as both corners), each once.
    pub(super) fn fire_triggers(&mut self, event: &When, by: Option<CombatantId>, now_ms: u64) {
        let Some(scene) = self.scene() else { return };
        let due: Vec<(usize, Vec<Outcome>)> = scene
            .def
            .triggers
            .iter()
            .enumerate()
            .filter(|(i, _)| !scene.fired.contains(i))
            .filter(|(_, t)| match (&t.when, event) {
                (When::Enter(a, b), When::Enter(p, _)) => {
                    (a.0.min(b.0)..=a.0.max(b.0)).contains(&p.0)
                        && (a.1.min(b.1)..=a.1.max(b.1)).contains(&p.1)
                }
                (w, e) => w == e,
            })
            .map(|(i, t)| (i, t.then.clone()))
            .collect();
        for (i, outcomes) in due {
            self.scene_mut().expect("checked").fired.insert(i);
            self.apply_outcomes(&outcomes, by, now_ms);
        }
    }

    /// Does what a scene file says.
    pub(super) fn apply_outcomes(
        &mut self,
        outcomes: &[Outcome],
        by: Option<CombatantId>,
        now_ms: u64,
    ) {
        for o in outcomes {
            match o {
                Outcome::Say(text) => self.emit(
                    now_ms,
                    GameEvent::Story(StoryEvent::Said { text: text.clone() }),
                ),
                Outcome::Reveal(id) => {
                    let name = self.scene().and_then(|s| {
                        s.def
                            .points
                            .iter()
                            .find(|p| &p.id == id)
                            .map(|p| p.name.clone())
                            .or_else(|| {
                                s.def
                                    .exits
                                    .iter()
                                    .find(|e| &e.id == id)
                                    .map(|e| e.name.clone())
                            })
                    });
                    if let Some(name) = name {
                        self.find(id, &name, None, "revealed".into(), now_ms);
                    }
                }
                Outcome::Open(id) => {
                    let point = self
                        .scene()
                        .and_then(|s| s.def.points.iter().find(|p| &p.id == id).cloned());
                    let done = self.scene().is_some_and(|s| s.opened.contains(id));
                    if let (Some(point), Some(by), false) = (point, by, done) {
                        self.open_point(by, &point, now_ms);
                    }
                }
                Outcome::Fight => {
                    // Only while someone is left to fight.
                    let foes = self
                        .combatants
                        .iter()
                        .any(|c| c.side == Side::Foe && c.is_conscious());
                    if !self.resolved && foes {
                        for c in self.combatants.iter_mut().filter(|c| c.side == Side::Foe) {
                            c.hidden = false;
                        }
                        self.start_combat(now_ms, "The fight is on!".into());
                    }
                }
                Outcome::Attitude(name, attitude) => {
                    let Some(id) = self
                        .combatants
                        .iter()
                        .find(|c| &c.name == name && !c.is_pc && !c.is_dead())
                        .map(|c| c.id)
                    else {
                        continue;
                    };
                    if let Some(s) = self.scene_mut() {
                        s.attitudes.insert(id, *attitude);
                    }
                    if *attitude == Attitude::Hostile {
                        let c = self.combatant_mut(id);
                        c.side = Side::Foe;
                        self.resolved = false;
                        // In a fight already: it joins at the end of the initiative order.
                        if let Some(combat) = self.combat.as_mut()
                            && !combat.order.contains(&id)
                        {
                            combat.order.push(id);
                        }
                    }
                    self.emit(
                        now_ms,
                        GameEvent::Story(StoryEvent::AttitudeChanged {
                            npc: id,
                            attitude: *attitude,
                        }),
                    );
                }
                Outcome::Experience(xp) => self.award_xp(*xp, "A milestone", now_ms),
            }
        }
    }

    /// The party took the last exit, or (`fallen`) the whole party is dead.
    pub(super) fn end_adventure(&mut self, fallen: bool, now_ms: u64) {
        let Some(adv) = self.adventure.as_mut() else {
            return;
        };
        adv.ended = true;
        let text = match (fallen, adv.defeat.is_empty()) {
            (false, _) => adv.ending.clone(),
            (true, false) => adv.defeat.clone(),
            (true, true) => format!("No one is left to finish {}.", adv.name),
        };
        self.resolved = true;
        self.emit(now_ms, GameEvent::Story(StoryEvent::Ended { text, fallen }));
    }
}
