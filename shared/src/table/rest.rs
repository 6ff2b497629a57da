//! Resting and gaining levels (SRD 5.1 "Resting", "Character Advancement").
//!
//! A rest is proposed by a player (`Action::Rest`) and happens when every conscious character
//! a seat plays has agreed (companions agree at once), or at once when the host calls it. It
//! is refused in a fight and where the scene forbids it; a scene's `Rest` trigger may
//! interrupt it (a fight starts and the rest is lost). A character whose experience reaches the
//! next level's threshold levels up outside a fight (`Action::LevelUp`): the pregen's sheet at
//! the new level, keeping its wounds, gear, gold and spent resources.

use super::{Combatant, CombatantId, RejectCode, Rejection, Table};
use crate::adventure::When;
use crate::content::{Ability, Condition, Feature};
use crate::dice::{DiceExpr, DiceTerm};
use crate::event::GameEvent;
use crate::story::StoryEvent;
use serde::{Deserialize, Serialize};

/// SRD 5.1 "Character Advancement": experience points needed for levels 2 and 3.
pub const XP_FOR_LEVEL: [(u32, u32); 2] = [(2, 300), (3, 900)];

/// A rest the party is agreeing on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestVote {
    /// A long rest (else short).
    pub long: bool,
    /// Who agreed.
    pub agreed: Vec<CombatantId>,
}

fn refuse(code: RejectCode, why: impl Into<String>) -> Rejection {
    Rejection::new(code, why)
}

/// The level `xp` experience points reach (1 to 3).
pub fn level_for(xp: u32) -> u32 {
    XP_FOR_LEVEL
        .iter()
        .rev()
        .find(|(_, need)| xp >= *need)
        .map_or(1, |(l, _)| *l)
}

impl Table {
    /// Whether the party may rest now, or why not.
    pub fn check_rest(&self) -> Result<(), Rejection> {
        if self.combat.is_some() {
            return Err(refuse(RejectCode::WrongMode, "Nobody rests in a fight"));
        }
        if self.pending.is_some() {
            return Err(refuse(RejectCode::WrongMode, "Not now"));
        }
        if let Some(scene) = self.scene()
            && !scene.def.rest
        {
            return Err(refuse(
                RejectCode::NotAllowed,
                format!("{} is no place to rest", scene.def.name),
            ));
        }
        Ok(())
    }

    /// Who must agree to a rest: the conscious characters that seats play.
    fn voters(&self) -> Vec<CombatantId> {
        self.combatants
            .iter()
            .filter(|c| c.is_pc && !c.companion && c.is_conscious())
            .map(|c| c.id)
            .collect()
    }

    /// `Action::Rest`: propose or agree to a rest.
    pub(super) fn do_rest(
        &mut self,
        actor: CombatantId,
        long: bool,
        now_ms: u64,
    ) -> Result<(), Rejection> {
        self.check_rest()?;
        let vote = match self.rest_vote.take() {
            Some(mut v) if v.long == long => {
                if !v.agreed.contains(&actor) {
                    v.agreed.push(actor);
                }
                v
            }
            _ => RestVote {
                long,
                agreed: vec![actor],
            },
        };
        let waiting: Vec<CombatantId> = self
            .voters()
            .into_iter()
            .filter(|v| !vote.agreed.contains(v))
            .collect();
        let name = |id| {
            self.combatant(id)
                .map(|c| c.name.clone())
                .unwrap_or_default()
        };
        let kind = if long { "long" } else { "short" };
        if waiting.is_empty() {
            self.rest_now(long, now_ms);
        } else {
            let text = format!(
                "{} proposes a {kind} rest; waiting for {} to agree",
                name(actor),
                waiting
                    .iter()
                    .map(|w| name(*w))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            self.rest_vote = Some(vote);
            self.emit(now_ms, GameEvent::Story(StoryEvent::Said { text }));
        }
        Ok(())
    }

    /// The party rests now (the host's call, or everyone agreed). A scene's rest trigger may
    /// interrupt it.
    pub fn rest_now(&mut self, long: bool, now_ms: u64) {
        self.rest_vote = None;
        self.fire_triggers(&When::Rest, None, now_ms);
        if self.combat.is_some() {
            self.emit(
                now_ms,
                GameEvent::Story(StoryEvent::Said {
                    text: "The rest is interrupted!".into(),
                }),
            );
            return;
        }
        let mut notes = Vec::new();
        for id in self.living_pcs() {
            let note = if long {
                self.long_rest(id)
            } else {
                self.short_rest(id)
            };
            if let Some(note) = note {
                notes.push(note);
            }
        }
        if long && let Some(adv) = self.adventure.as_mut() {
            // A night's sleep is the time a second try costs (SRD 5.1 "Multiple Ability
            // Checks": the only real cost of trying again is the time it takes).
            adv.days += 1;
            let mut retry = false;
            for scene in adv.scenes.values_mut() {
                retry |= !scene.tried.is_empty();
                scene.tried.clear();
            }
            if retry {
                notes.push("what failed before may be tried again".into());
            }
        }
        self.emit(now_ms, GameEvent::Story(StoryEvent::Rested { long, notes }));
    }

    /// SRD 5.1 "Short Rest": spend Hit Dice (each: the die + Constitution modifier) while
    /// wounded; Second Wind, Action Surge and Channel Divinity come back; a wizard's Arcane
    /// Recovery (once a day) regains spell slots of combined level up to half its level
    /// (rounded up), none of 6th level or higher.
    fn short_rest(&mut self, id: CombatantId) -> Option<String> {
        let mut parts = Vec::new();
        let c = self.combatant(id)?.clone();
        if c.hp > 0 {
            let mut spent = 0;
            let mut gained = 0;
            let mut hp = c.hp;
            let mut left = c.hit_dice_left;
            let con = c.modifier(Ability::Con);
            let avg = (c.hit_die as i32) / 2 + 1;
            while left > 0 && c.max_hp - hp >= avg {
                let die = DiceExpr {
                    terms: vec![DiceTerm {
                        count: 1,
                        sides: c.hit_die.max(1),
                    }],
                    negative: vec![false],
                    modifier: 0,
                };
                let roll = die.roll(&mut self.rng, false).total;
                let heal = (roll + con).max(0);
                hp = (hp + heal).min(c.max_hp);
                gained += heal;
                left -= 1;
                spent += 1;
            }
            if spent > 0 {
                parts.push(format!(
                    "spends {spent} Hit {} for {gained} hit points",
                    if spent == 1 { "Die" } else { "Dice" }
                ));
            }
            let m = self.combatant_mut(id);
            m.hp = hp;
            m.hit_dice_left = left;
        }
        let m = self.combatant_mut(id);
        m.uses.retain(|k, _| k == "Arcane Recovery");
        if m.features.contains(&Feature::ArcaneRecovery)
            && !m.uses.contains_key("Arcane Recovery")
            && let Some(casting) = m.casting.as_mut()
        {
            let mut budget = m.level.div_ceil(2);
            let mut regained = Vec::new();
            for level in (1..=5u32.min(casting.used.len() as u32)).rev() {
                let i = (level - 1) as usize;
                while casting.used[i] > 0 && level <= budget {
                    casting.used[i] -= 1;
                    budget -= level;
                    regained.push(level);
                }
            }
            if !regained.is_empty() {
                m.uses.insert("Arcane Recovery".into(), 1);
                parts.push(format!(
                    "recovers spell slots of level {}",
                    regained
                        .iter()
                        .map(|l| l.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        (!parts.is_empty()).then(|| format!("{} {}", c.name, parts.join(" and ")))
    }

    /// SRD 5.1 "Long Rest": all hit points, spent Hit Dice back up to half the character's
    /// total (at least one), every spell slot and limited use back. "A character must have at
    /// least 1 hit point at the start of the rest to gain its benefits."
    fn long_rest(&mut self, id: CombatantId) -> Option<String> {
        if self.combatant(id)?.hp <= 0 {
            // SRD 5.1 "Stabilizing a Creature": a stable creature "regains 1 hit point after
            // 1d4 hours" — within the eight hours; the rest's benefits needed 1 at its start.
            self.come_round(id);
            return Some(format!(
                "{} comes round with 1 hit point",
                self.combatant(id)?.name
            ));
        }
        let c = self.combatant_mut(id);
        let healed = c.max_hp - c.hp;
        c.hp = c.max_hp;
        c.hit_dice_left = (c.hit_dice_left + (c.level / 2).max(1)).min(c.level);
        c.uses.clear();
        c.death_saves = (0, 0);
        c.conditions.remove(&Condition::Stable);
        if let Some(casting) = c.casting.as_mut() {
            casting.used.iter_mut().for_each(|u| *u = 0);
        }
        Some(format!("{} wakes rested (+{healed} hit points)", c.name))
    }

    /// A character at 0 hit points, not dead, comes round with 1 (after a rest, or left for
    /// dead by the foes that beat the party).
    pub(super) fn come_round(&mut self, id: CombatantId) {
        let c = self.combatant_mut(id);
        c.hp = c.hp.max(1);
        c.death_saves = (0, 0);
        c.conditions.remove(&Condition::Stable);
        c.conditions.remove(&Condition::Unconscious);
    }

    /// Whether `actor` may level up now, or why not.
    pub fn check_level_up(&self, actor: CombatantId) -> Result<u32, Rejection> {
        let c = self
            .combatant(actor)
            .ok_or_else(|| refuse(RejectCode::UnknownTarget, "No such character"))?;
        if self.combat.is_some() {
            return Err(refuse(
                RejectCode::WrongMode,
                "Not in the middle of a fight",
            ));
        }
        let next = c.level + 1;
        let template = self
            .adventure
            .as_ref()
            .and_then(|a| a.templates.get(&actor))
            .and_then(|t| t.get(next as usize - 1));
        if template.is_none() {
            return Err(refuse(
                RejectCode::NotAllowed,
                format!("{} cannot go past level {}", c.name, c.level),
            ));
        }
        if level_for(c.xp) < next {
            let need = XP_FOR_LEVEL
                .iter()
                .find(|(l, _)| *l == next)
                .map_or(0, |(_, x)| *x);
            return Err(refuse(
                RejectCode::NotAllowed,
                format!(
                    "{} has {} XP of the {need} level {next} needs",
                    c.name, c.xp
                ),
            ));
        }
        Ok(next)
    }

    /// `Action::LevelUp`: the sheet at the next level, keeping what the character went through.
    /// SRD 5.1 "Beyond 1st Level": the hit points a level adds are the class's fixed value
    /// (d10: 6, d8: 5, d6: 4) or, `roll`ing, the Hit Die — plus the Constitution modifier (and
    /// any racial bonus) either way, at least 1.
    pub(super) fn do_level_up(
        &mut self,
        actor: CombatantId,
        roll: bool,
        now_ms: u64,
    ) -> Result<(), Rejection> {
        let next = self.check_level_up(actor)?;
        let sheets = self
            .adventure
            .as_ref()
            .and_then(|a| a.templates.get(&actor))
            .expect("checked");
        let template = sheets.get(next as usize - 1).cloned().expect("checked");
        let previous_sheet = sheets.get(next as usize - 2).cloned();
        let template_sheet = template.clone();
        let before = previous_sheet
            .as_ref()
            .map_or(template.max_hp, |t| t.max_hp);
        let old = self.combatant(actor).expect("checked").clone();
        // The sheets hold the fixed value with the modifiers in.
        let fixed = template.max_hp - before;
        let sides = old.hit_die.max(1);
        let rolled = roll.then(|| (sides, crate::dice::roll_die(&mut self.rng, sides)));
        let gained = match rolled {
            Some((sides, r)) => (fixed - (sides as i32 / 2 + 1) + r as i32).max(1),
            None => fixed.max(1),
        };
        let new_features: Vec<String> = template
            .features
            .iter()
            .filter(|f| !old.features.contains(f))
            .map(|f| format!("{f:?}"))
            .collect();
        let mut new = Combatant {
            hp: (old.hp + gained).max(old.hp),
            pos: old.pos,
            conditions: old.conditions.clone(),
            death_saves: old.death_saves,
            initiative: old.initiative,
            reaction_used: old.reaction_used,
            companion: old.companion,
            concentrating: old.concentrating.clone(),
            effects: old.effects.clone(),
            uses: old.uses.clone(),
            items: old.items.clone(),
            xp: old.xp,
            gold: old.gold,
            hit_dice_left: old.hit_dice_left + 1,
            ..template
        };
        if let (Some(c), Some(o)) = (new.casting.as_mut(), old.casting.as_ref()) {
            for (i, used) in o.used.iter().enumerate() {
                if let Some(u) = c.used.get_mut(i) {
                    *u = (*used).min(c.slots.get(i).copied().unwrap_or(0));
                }
            }
        }
        // Armor worn now (found or bought) stays: the sheet's AC is the character's AC.
        new.ac = old.ac;
        new.max_hp = old.max_hp + gained;
        new.spell_picks = old.spell_picks;
        *self.combatant_mut(actor) = new;
        // New spells: as many as the level adds, chosen by the player (SRD 5.1 Wizard
        // "Learning Spells of 1st Level and Higher"; Cleric "Preparing and Casting Spells").
        let leveled = |c: &Combatant| {
            c.casting.as_ref().map_or(0, |k| {
                k.spells
                    .iter()
                    .filter(|id| self.spells.get(*id).is_none_or(|s| s.level > 0))
                    .count()
            })
        };
        let added =
            leveled(&template_sheet).saturating_sub(previous_sheet.as_ref().map_or(0, leveled));
        let known_before = old
            .casting
            .as_ref()
            .map(|k| k.spells.clone())
            .unwrap_or_default();
        self.emit(
            now_ms,
            GameEvent::Story(StoryEvent::LeveledUp {
                actor,
                level: next,
                hit_points: gained,
                features: new_features,
                rolled,
                new_spells: if crate::table::learning::caster_class(&old.class).is_some() {
                    added.min(255) as u8
                } else {
                    0
                },
            }),
        );
        self.grant_spell_picks(actor, &known_before, added, now_ms);
        Ok(())
    }
}
