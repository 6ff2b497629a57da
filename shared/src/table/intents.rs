//! Players at the table: seats joining and leaving, and [`Table::submit`], the one door for a
//! character's intents (with the simple actions: Dodge, Dash, Disengage).

use super::{Action, CombatantId, MAX_DECLARE_CHARS, Mode, RejectCode, Rejection, Table};
use crate::content::{CombatStart, Condition};
use crate::event::GameEvent;

impl Table {
    /// Records that a player took a seat; an ambush starts combat with the first one.
    pub fn player_joined(
        &mut self,
        seat: &str,
        player: &str,
        character: Option<CombatantId>,
        now_ms: u64,
    ) {
        self.emit(
            now_ms,
            GameEvent::PlayerJoined {
                seat: seat.into(),
                player: player.into(),
                character,
            },
        );
        if self.start == CombatStart::Ambush
            && character.is_some()
            && self.mode == Mode::Exploration
            && !self.resolved
        {
            self.start_combat(now_ms, "Ambush!".into());
        }
        if character.is_some() {
            self.recap_on_join(seat, now_ms);
        }
    }

    /// Records that a player left (the character stays; its turns time out to Dodge).
    pub fn player_left(&mut self, seat: &str, player: &str, now_ms: u64) {
        self.away.insert(seat.to_string(), self.next_seq);
        self.emit(
            now_ms,
            GameEvent::PlayerLeft {
                seat: seat.into(),
                player: player.into(),
            },
        );
    }

    /// Validates and resolves an intent by character `actor`. On rejection nothing changes.
    pub fn submit(
        &mut self,
        actor: CombatantId,
        action: Action,
        now_ms: u64,
    ) -> Result<(), Rejection> {
        let me = self.combatant(actor).ok_or_else(|| {
            Rejection::new(
                RejectCode::UnknownTarget,
                format!("There is no character #{actor} at this table"),
            )
        })?;
        // A recap changes nothing at the table: asked for at any time, told to the seat alone.
        if action == Action::Recap {
            let seat = me.source.clone();
            self.recap(crate::event::Audience::Seats(vec![seat]), now_ms);
            return Ok(());
        }
        if self.paused_since.is_some() {
            return Err(Rejection::new(
                RejectCode::NotAllowed,
                "The host has paused the game",
            ));
        }
        // A reaction the table waits for: only its answer is taken.
        self.check_not_waiting(actor, matches!(action, Action::React { .. }))?;
        if let Action::React { take } = action {
            return self.do_react(actor, take, now_ms);
        }
        if me.incapacitated() && action != Action::EndConcentration {
            let state = if me.is_dead() {
                "dead".to_string()
            } else if !me.is_conscious() {
                "unconscious".to_string()
            } else {
                me.conditions
                    .iter()
                    .find(|c| {
                        matches!(
                            c,
                            Condition::Paralyzed | Condition::Asleep | Condition::Incapacitated
                        )
                    })
                    .map_or("incapacitated".into(), |c| format!("{c:?}").to_lowercase())
            };
            return Err(Rejection::new(
                RejectCode::Incapacitated,
                format!("{} is {state} and cannot act", me.name),
            ));
        }
        if let Some(active) = self.active()
            && active != actor
        {
            // Never the name of a creature the actor's side cannot see (fog of war).
            let side = self.combatant(actor).map(|c| c.side);
            let name = self
                .combatant(active)
                .filter(|c| side.is_none_or(|s| !self.unknown_to(s, c)))
                .map(|c| c.name.clone());
            return Err(Rejection::new(
                RejectCode::NotYourTurn,
                match name {
                    Some(name) => format!("It's not your turn — current turn: {name}"),
                    None => "It's not your turn — something unseen is acting".to_string(),
                },
            ));
        }
        let result = match action {
            Action::Move { path } => {
                let moved = self.do_move(actor, path, now_ms);
                self.positions_changed(now_ms);
                moved
            }
            Action::Attack { target, attack } => self.do_attack(actor, target, attack, now_ms),
            Action::Dodge | Action::Dash | Action::Disengage => {
                self.do_simple_action(actor, action, now_ms)
            }
            Action::Hide => self.do_hide(actor, false, now_ms),
            Action::EndTurn => {
                if self.combat.is_none() {
                    return Err(Rejection::new(
                        RejectCode::WrongMode,
                        "There are no turns to end outside combat",
                    ));
                }
                self.end_turn(now_ms);
                Ok(())
            }
            Action::Cast {
                spell,
                slot,
                targets,
                at,
            } => self.do_cast(actor, &spell, slot, &targets, at, now_ms),
            Action::Feature(use_) => self.do_feature(actor, use_, now_ms),
            Action::UseItem { item, target } => self.do_use_item(actor, &item, target, now_ms),
            Action::React { .. } => unreachable!("answered above"),
            Action::Shove { target, prone } => self.do_shove(actor, target, prone, now_ms),
            Action::Grapple { target } => self.do_grapple(actor, target, now_ms),
            Action::Escape => self.do_escape(actor, now_ms),
            Action::Interact { target, approach } => {
                if target.is_empty() || target.len() > 64 {
                    return Err(Rejection::new(
                        RejectCode::Malformed,
                        "Name what you use in 1 to 64 characters",
                    ));
                }
                self.do_interact(actor, &target, approach, now_ms)
            }
            Action::Search => self.do_search(actor, now_ms),
            Action::Rest { long } => self.do_rest(actor, long, now_ms),
            Action::LevelUp => self.do_level_up(actor, false, now_ms),
            Action::LevelUpRolling => self.do_level_up(actor, true, now_ms),
            Action::LearnSpells { spells } => self.do_learn_spells(actor, &spells, now_ms),
            Action::Equip { item } => self.do_equip(actor, &item, now_ms),
            Action::Give { item, to } => self.do_give(actor, &item, to, now_ms),
            Action::Drop { item } => self.do_drop(actor, &item, now_ms),
            Action::Recap => unreachable!("answered above"),
            Action::BringCharacter { .. } => Err(Rejection::new(
                RejectCode::NotAllowed,
                "A character file is read by the server, which brings the character",
            )),
            Action::BreakFree => self.do_break_free(actor, now_ms),
            Action::EndConcentration => {
                if self
                    .combatant(actor)
                    .is_some_and(|c| c.concentrating.is_none())
                {
                    return Err(Rejection::new(
                        RejectCode::WrongMode,
                        "You are not concentrating on a spell",
                    ));
                }
                self.end_concentration(actor, "chose to stop", now_ms);
                Ok(())
            }
            Action::Declare { text } => {
                let text = text.trim();
                if text.is_empty() || text.chars().count() > MAX_DECLARE_CHARS {
                    return Err(Rejection::new(
                        RejectCode::Malformed,
                        format!("Say what you do in 1 to {MAX_DECLARE_CHARS} characters"),
                    ));
                }
                self.check_not_judging()?;
                self.ask_judgment(actor, text);
                self.emit(
                    now_ms,
                    GameEvent::ActionDeclared {
                        actor,
                        text: text.to_string(),
                    },
                );
                Ok(())
            }
        };
        // A creature that drops on its own turn (an opportunity attack while it moves) cannot
        // take the rest of it: the turn passes at once instead of waiting for the timeout.
        if result.is_ok()
            && self.combat.is_some()
            && self.active() == Some(actor)
            && !self.combatant(actor).is_some_and(|c| c.is_conscious())
        {
            self.end_turn(now_ms);
        }
        result
    }

    fn do_simple_action(
        &mut self,
        actor: CombatantId,
        action: Action,
        now_ms: u64,
    ) -> Result<(), Rejection> {
        let Some(budget) = self.budget() else {
            return Err(Rejection::new(
                RejectCode::WrongMode,
                format!("{} only matters in combat", capitalise(action.name())),
            ));
        };
        if budget.action_used {
            return Err(Rejection::action_spent());
        }
        // SRD 5.1 Dash: "The increase equals your speed, after applying any modifiers."
        let speed = self.speed_now(actor);
        let budget = self.budget_mut().expect("checked above");
        budget.action_used = true;
        match action {
            Action::Dodge => {
                self.combatant_mut(actor)
                    .conditions
                    .insert(Condition::Dodging);
                self.emit(now_ms, GameEvent::Dodged { actor });
            }
            Action::Dash => {
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
            _ => {
                budget.disengaged = true;
                self.emit(now_ms, GameEvent::Disengaged { actor });
            }
        }
        Ok(())
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}
