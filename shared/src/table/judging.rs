//! Free-form actions outside a fight: "I pry the lid with my crowbar" waits for a judgment (a
//! model's or the built-in keyword table's, see [`crate::judge`]), which the rules roll with
//! the character's modifiers; a scene's own checks for that skill decide the DC and what
//! success or failure does (reveal, open, start the fight, change an NPC's attitude).

use super::{CombatantId, RejectCode, Rejection, Table};
use crate::adventure::SceneCheck;
use crate::checks::roll_check;
use crate::dice::Advantage;
use crate::event::GameEvent;
use crate::grid::GridPos;
use crate::judge::CheckRequest;
use crate::story::StoryEvent;
use serde::{Deserialize, Serialize};

/// A free-form action waiting for its judgment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Judging {
    /// Who acts.
    pub actor: CombatantId,
    /// What the player wrote (already bounded by `Declare`).
    pub text: String,
}

impl Table {
    /// After `Declare` outside a fight: the action waits for a judgment.
    pub(super) fn ask_judgment(&mut self, actor: CombatantId, text: &str) {
        if self.combat.is_none() {
            self.judging = Some(Judging {
                actor,
                text: text.to_string(),
            });
        }
    }

    /// Refuses a second free-form action while one waits for its judgment.
    pub(super) fn check_not_judging(&self) -> Result<(), Rejection> {
        match &self.judging {
            Some(j) => {
                let who = self
                    .combatant(j.actor)
                    .map(|c| c.name.clone())
                    .unwrap_or_default();
                Err(Rejection::new(
                    RejectCode::NotAllowed,
                    format!("The table is still judging what {who} does"),
                ))
            }
            None => Ok(()),
        }
    }

    /// The judgment of the waiting action: no check, or `request`, which the rules roll (a
    /// group check: everyone conscious in the party rolls and half or more must succeed — SRD
    /// 5.1 "Group Checks"). A scene check for the same skill sets the DC and its outcomes.
    pub fn judge(
        &mut self,
        actor: CombatantId,
        request: Option<CheckRequest>,
        now_ms: u64,
    ) -> Result<(), Rejection> {
        match &self.judging {
            Some(j) if j.actor == actor => {}
            _ => {
                return Err(Rejection::new(
                    RejectCode::WrongMode,
                    "No action of that character waits for a judgment",
                ));
            }
        }
        let judging = self.judging.take().expect("checked");
        let Some(request) = request else {
            return Ok(());
        };
        let skill = request.skill;
        let scene_check = self.scene_check(actor, skill);
        let dc = scene_check
            .as_ref()
            .map_or(request.dc, |(_, c)| c.dc)
            .clamp(5, 30);
        let rollers: Vec<CombatantId> = if request.group {
            self.combatants
                .iter()
                .filter(|c| c.is_pc && c.is_conscious())
                .map(|c| c.id)
                .collect()
        } else {
            vec![actor]
        };
        let advantage = if request.advantage {
            Advantage::Advantage
        } else {
            Advantage::Normal
        };
        let purpose: String = judging.text.chars().take(60).collect();
        let mut successes = 0;
        for &who in &rollers {
            let bonus = self.combatant(who).map_or(0, |c| c.skill_bonus(skill));
            let roll = roll_check(&mut self.rng, bonus, None, advantage, Some(dc));
            successes += usize::from(roll.success);
            self.emit(
                now_ms,
                GameEvent::Story(StoryEvent::Check {
                    actor: who,
                    skill,
                    purpose: format!("“{purpose}”"),
                    roll,
                }),
            );
        }
        let success = successes * 2 >= rollers.len() && successes > 0;
        if let Some((index, check)) = scene_check {
            let outcomes = if success {
                if let Some(s) = self.scene_mut() {
                    s.fired_checks.insert(index);
                }
                check.success
            } else {
                check.failure
            };
            self.apply_outcomes(&outcomes, Some(actor), now_ms);
        }
        Ok(())
    }

    /// The scene's check for `skill` that `actor` can make here (near what it names), if any,
    /// not yet passed.
    fn scene_check(
        &self,
        actor: CombatantId,
        skill: crate::checks::Skill,
    ) -> Option<(usize, SceneCheck)> {
        let scene = self.scene()?;
        let here = self.combatant(actor)?.pos;
        scene
            .def
            .checks
            .iter()
            .enumerate()
            .filter(|(i, c)| c.skill == skill && !scene.fired_checks.contains(i))
            .find(|(_, c)| match &c.near {
                None => true,
                Some(name) => {
                    let point = scene
                        .def
                        .points
                        .iter()
                        .find(|p| &p.id == name)
                        .map(|p| GridPos::new(p.at.0, p.at.1));
                    let npc = self
                        .combatants
                        .iter()
                        .find(|c| &c.name == name && !c.is_dead())
                        .map(|c| c.pos);
                    point.or(npc).is_some_and(|p| p.feet_to(here) <= 30)
                }
            })
            .map(|(i, c)| (i, c.clone()))
    }
}
