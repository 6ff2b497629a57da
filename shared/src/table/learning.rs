//! New spells chosen at level-up (SRD 5.1 Wizard "Learning Spells of 1st Level and Higher":
//! "Each time you gain a wizard level, you can add two wizard spells of your choice to your
//! spellbook … of a level for which you have spell slots"; Cleric "Preparing and Casting
//! Spells": Wisdom modifier + cleric level spells prepared, "of a level for which you have
//! spell slots").
//!
//! Levelling up keeps the spells the character knew and grants as many picks as the class's
//! next level adds (the sheet for that level — the pregen's or the player's own file — says how
//! many). The player picks them outside a fight with [`Action::LearnSpells`]; an empty list
//! takes the suggestions: the spells that sheet had chosen, then the class list in order.
//! Companions take the suggestions at once.

use super::{Action, CombatantId, RejectCode, Rejection, Table};
use crate::chargen::Class;
use crate::event::GameEvent;
use crate::story::StoryEvent;

/// The class a sheet's class line names ("Cleric (Life Domain)" → Cleric), if it has a spell
/// list here.
pub fn caster_class(class: &str) -> Option<Class> {
    let class = class.to_lowercase();
    if class.starts_with("wizard") {
        Some(Class::Wizard)
    } else if class.starts_with("cleric") {
        Some(Class::Cleric)
    } else {
        None
    }
}

impl Table {
    /// The spells `actor` could learn now: on its class's list, of a level it has slots for,
    /// in this table's spell book, not known yet — (id, spell level), lowest level first.
    pub fn learnable_spells(&self, actor: CombatantId) -> Vec<(String, u8)> {
        let Some(c) = self.combatant(actor) else {
            return Vec::new();
        };
        let (Some(class), Some(casting)) = (caster_class(&c.class), c.casting.as_ref()) else {
            return Vec::new();
        };
        let top = casting
            .slots
            .iter()
            .rposition(|n| *n > 0)
            .map_or(0, |i| i + 1) as u8;
        (1..=top)
            .flat_map(|level| {
                crate::chargen::classes::spell_list(class, level)
                    .iter()
                    .map(move |id| (id.to_string(), level))
            })
            .filter(|(id, level)| {
                self.spells.get(id).is_some_and(|s| s.level == *level)
                    && !casting.spells.contains(id)
            })
            .collect()
    }

    /// What `actor` would learn taking the suggestions: the spells its sheet for this level
    /// chose that it does not know, then its class list in order — as many as it has picks.
    pub fn suggested_spells(&self, actor: CombatantId) -> Vec<String> {
        let Some(c) = self.combatant(actor) else {
            return Vec::new();
        };
        let learnable = self.learnable_spells(actor);
        let mut out: Vec<String> = c
            .spell_suggestions
            .iter()
            .filter(|id| learnable.iter().any(|(l, _)| l == *id))
            .cloned()
            .collect();
        for (id, _) in learnable {
            if !out.contains(&id) {
                out.push(id);
            }
        }
        out.truncate(usize::from(c.spell_picks));
        out
    }

    /// Whether `actor` may learn `spells` now (empty: the suggestions), or why not. Changes
    /// nothing.
    pub fn check_learn_spells(
        &self,
        actor: CombatantId,
        spells: &[String],
    ) -> Result<Vec<String>, Rejection> {
        let c = self
            .combatant(actor)
            .ok_or_else(|| Rejection::new(RejectCode::UnknownTarget, "No such character"))?;
        if self.combat.is_some() {
            return Err(Rejection::new(
                RejectCode::WrongMode,
                "Learn spells outside a fight",
            ));
        }
        if c.spell_picks == 0 {
            return Err(Rejection::new(
                RejectCode::NotAllowed,
                format!("{} has no new spells to choose", c.name),
            ));
        }
        let chosen: Vec<String> = if spells.is_empty() {
            self.suggested_spells(actor)
        } else {
            spells.to_vec()
        };
        if chosen.is_empty() {
            return Err(Rejection::new(
                RejectCode::NotAllowed,
                "There is no spell left on your list to learn",
            ));
        }
        if chosen.len() > usize::from(c.spell_picks) {
            return Err(Rejection::new(
                RejectCode::NotAllowed,
                format!(
                    "{} may choose {} more spell(s), not {}",
                    c.name,
                    c.spell_picks,
                    chosen.len()
                ),
            ));
        }
        let learnable = self.learnable_spells(actor);
        for (i, id) in chosen.iter().enumerate() {
            if chosen[..i].contains(id) {
                return Err(Rejection::new(
                    RejectCode::NotAllowed,
                    format!("{id} is chosen twice"),
                ));
            }
            if !learnable.iter().any(|(l, _)| l == id) {
                let why = match self.spells.get(id) {
                    None => format!("There is no spell {id:?}"),
                    Some(s) if c.casting.as_ref().is_some_and(|k| k.spells.contains(id)) => {
                        format!("{} already knows {}", c.name, s.name)
                    }
                    Some(s) => format!(
                        "{} is not a spell {} can learn now: a {} spell of a level with slots",
                        s.name, c.name, c.class
                    ),
                };
                return Err(Rejection::new(RejectCode::NotAllowed, why));
            }
        }
        Ok(chosen)
    }

    pub(super) fn do_learn_spells(
        &mut self,
        actor: CombatantId,
        spells: &[String],
        now_ms: u64,
    ) -> Result<(), Rejection> {
        let chosen = self.check_learn_spells(actor, spells)?;
        let c = self.combatant_mut(actor);
        c.spell_picks = c.spell_picks.saturating_sub(chosen.len() as u8);
        if let Some(k) = c.casting.as_mut() {
            k.spells.extend(chosen.iter().cloned());
        }
        let names = chosen
            .iter()
            .map(|id| self.spells.get(id).map_or(id.clone(), |s| s.name.clone()))
            .collect();
        self.emit(
            now_ms,
            GameEvent::Story(StoryEvent::LearnedSpells {
                actor,
                spells: names,
            }),
        );
        Ok(())
    }

    /// After a level-up to a sheet whose spells are `sheet_spells`: the character keeps the
    /// spells it knew, gains the sheet's cantrips, and may choose `added` new spells (what the
    /// level adds). A companion takes the suggestions at once. Classes without a spell list
    /// here learn the sheet's spells as they are.
    pub(super) fn grant_spell_picks(
        &mut self,
        actor: CombatantId,
        known_before: &[String],
        added: usize,
        now_ms: u64,
    ) {
        let Some(c) = self.combatant(actor) else {
            return;
        };
        let listed = caster_class(&c.class).is_some();
        let companion = c.companion;
        let spells = self.spells.clone();
        let c = self.combatant_mut(actor);
        let Some(k) = c.casting.as_mut() else {
            return;
        };
        let sheet = std::mem::take(&mut k.spells);
        k.spells = known_before.to_vec();
        let mut suggestions = Vec::new();
        for id in sheet {
            let cantrip = spells.get(&id).is_some_and(|s| s.level == 0);
            if !k.spells.contains(&id) {
                if cantrip || !listed {
                    k.spells.push(id);
                } else {
                    suggestions.push(id);
                }
            }
        }
        c.spell_suggestions = suggestions;
        if !listed {
            return;
        }
        c.spell_picks = c.spell_picks.saturating_add(added.min(255) as u8);
        if companion && c.spell_picks > 0 {
            let _ = self.do_learn_spells(actor, &[], now_ms);
        }
    }
}

/// The learn-spells intent for a sheet with picks: the suggestions.
pub fn take_suggestions() -> Action {
    Action::LearnSpells { spells: Vec::new() }
}
