//! Host controls: pause and resume, skipping a turn, the turn timeout, stopping a combat, and
//! the adventure's: moving the party to a scene, restarting its fight, granting experience and
//! items.

use super::{CombatantId, Mode, RejectCode, Rejection, Side, Table};
use crate::adventure::Attitude;
use crate::content::Condition;
use crate::event::{CombatOutcome, GameEvent};
use crate::grid::GridPos;
use crate::story::StoryEvent;
use std::collections::BTreeMap;

impl Table {
    /// Host: pauses the game (no intents, no timeouts, no NPC turns).
    pub fn pause(&mut self, now_ms: u64) -> Result<(), Rejection> {
        if self.paused_since.is_some() {
            return Err(Rejection::new(
                RejectCode::WrongMode,
                "The game is already paused",
            ));
        }
        self.paused_since = Some(now_ms);
        self.emit(now_ms, GameEvent::Paused);
        Ok(())
    }

    /// Host: resumes; the active player's timer gets back the paused time.
    pub fn resume(&mut self, now_ms: u64) -> Result<(), Rejection> {
        let Some(since) = self.paused_since.take() else {
            return Err(Rejection::new(
                RejectCode::WrongMode,
                "The game is not paused",
            ));
        };
        if let Some(deadline) = self.combat.as_mut().and_then(|c| c.deadline_ms.as_mut()) {
            *deadline += now_ms.saturating_sub(since);
        }
        self.emit(now_ms, GameEvent::Resumed);
        Ok(())
    }

    /// Host: ends the active combatant's turn.
    pub fn skip_turn(&mut self, now_ms: u64) -> Result<(), Rejection> {
        let Some(actor) = self.active() else {
            return Err(Rejection::new(
                RejectCode::WrongMode,
                "There is no turn to skip outside combat",
            ));
        };
        self.emit(now_ms, GameEvent::TurnSkipped { actor });
        self.end_turn(now_ms);
        Ok(())
    }

    /// Host: sets the turn timeout (applies from the next turn).
    pub fn set_turn_timeout(&mut self, seconds: u64, now_ms: u64) -> Result<(), Rejection> {
        if seconds == 0 || seconds > 24 * 3600 {
            return Err(Rejection::new(
                RejectCode::Malformed,
                "A turn timeout is 1 to 86400 seconds",
            ));
        }
        self.turn_timeout_ms = seconds * 1000;
        self.emit(now_ms, GameEvent::TurnTimeoutChanged { seconds });
        Ok(())
    }

    /// Host: ends the combat without a winner.
    pub fn end_combat(&mut self, now_ms: u64) -> Result<(), Rejection> {
        if self.combat.take().is_none() {
            return Err(Rejection::new(
                RejectCode::WrongMode,
                "There is no combat to end",
            ));
        }
        self.mode = Mode::Exploration;
        self.resolved = true;
        for c in &mut self.combatants {
            c.conditions.remove(&Condition::Dodging);
        }
        // What lasts a round or a minute, and hiding, ends with the fight, as after a victory.
        self.effects_after_combat(now_ms);
        self.emit(
            now_ms,
            GameEvent::CombatEnded {
                outcome: CombatOutcome::Stopped,
            },
        );
        Ok(())
    }

    /// Host: moves the party to a scene of the adventure (not in a fight).
    pub fn host_scene(&mut self, id: &str, now_ms: u64) -> Result<(), Rejection> {
        if self.combat.is_some() {
            return Err(Rejection::new(
                RejectCode::WrongMode,
                "End the fight first (end-combat)",
            ));
        }
        let Some(adv) = self.adventure.as_ref() else {
            return Err(Rejection::new(
                RejectCode::WrongMode,
                "This campaign runs a single encounter, not an adventure",
            ));
        };
        if !adv.scenes.contains_key(id) {
            let known: Vec<&str> = adv.scenes.keys().map(String::as_str).collect();
            return Err(Rejection::new(
                RejectCode::UnknownTarget,
                format!(
                    "no scene `{}`: expected one of {}",
                    super::action::clip(id),
                    known.join(", ")
                ),
            ));
        }
        self.enter_scene(id, now_ms);
        Ok(())
    }

    /// Host: restarts the fight of the scene the party is in. Its creatures are back as the
    /// scene began (the dead rise, the wounded are whole, attitudes as written); the living
    /// party, as it is now, stands on the scene's start squares. A fight under way is stopped
    /// first (no experience for it); what was found, opened or fired stays so.
    pub fn host_restart(&mut self, now_ms: u64) -> Result<(), Rejection> {
        let Some(scene) = self.scene() else {
            return Err(Rejection::new(
                RejectCode::WrongMode,
                "This campaign runs a single encounter, not an adventure",
            ));
        };
        if scene.def.foes.is_empty() && scene.def.npcs.is_empty() {
            return Err(Rejection::new(
                RejectCode::NotAllowed,
                format!("{} has no fight to restart", scene.def.name),
            ));
        }
        if scene.start.is_empty() {
            return Err(Rejection::new(
                RejectCode::NotAllowed,
                "This campaign was made before restarts: move the party with `scene` instead",
            ));
        }
        let (name, fresh, spawns) = (
            scene.def.name.clone(),
            scene.start.clone(),
            scene.spawns.clone(),
        );
        let attitudes: BTreeMap<CombatantId, Attitude> = scene
            .def
            .npcs
            .iter()
            .filter_map(|n| {
                let c = fresh.iter().find(|c| c.name == n.name)?;
                Some((c.id, n.attitude))
            })
            .collect();
        if self.combat.is_some() {
            self.end_combat(now_ms)?;
            self.effects_after_combat(now_ms);
        }
        self.pending = None;
        self.rest_vote = None;
        let resolved = !fresh.iter().any(|c| c.side == Side::Foe);
        self.combatants.retain(|c| c.is_pc);
        self.combatants.extend(fresh);
        let scene = self.scene_mut().expect("checked");
        scene.attitudes = attitudes;
        scene.resolved = resolved;
        self.resolved = resolved;
        for (i, id) in self.living_pcs().into_iter().enumerate() {
            self.combatant_mut(id).pos = spawns.get(i).copied().unwrap_or(GridPos::new(-1, -1));
        }
        self.place_stragglers();
        self.emit(
            now_ms,
            GameEvent::Story(StoryEvent::Said {
                text: format!(
                    "The host restarts the fight in {name}: its creatures stand where they began."
                ),
            }),
        );
        Ok(())
    }

    /// Host: experience points shared by the living party.
    pub fn host_experience(&mut self, amount: u32, now_ms: u64) -> Result<(), Rejection> {
        if amount == 0 || amount > 100_000 {
            return Err(Rejection::new(
                RejectCode::Malformed,
                "Give 1 to 100000 experience points",
            ));
        }
        self.award_xp(amount, "The host awards experience", now_ms);
        Ok(())
    }

    /// Host: an item the table knows (the adventure's loot, the party's gear) to a character.
    pub fn host_give(
        &mut self,
        character: CombatantId,
        item: &str,
        now_ms: u64,
    ) -> Result<(), Rejection> {
        let Some(def) = self.items.get(item).cloned() else {
            let known: Vec<&str> = self.items.keys().map(String::as_str).collect();
            return Err(Rejection::new(
                RejectCode::UnknownTarget,
                format!(
                    "no item `{}` in this campaign: expected one of {}",
                    super::action::clip(item),
                    known.join(", ")
                ),
            ));
        };
        if !self.combatant(character).is_some_and(|c| c.is_pc) {
            return Err(Rejection::new(
                RejectCode::UnknownTarget,
                "No such character",
            ));
        }
        self.combatant_mut(character).items.push(item.to_string());
        self.emit(
            now_ms,
            GameEvent::Story(crate::story::StoryEvent::Looted {
                actor: character,
                items: vec![def.name],
                gold: 0,
            }),
        );
        Ok(())
    }
}
