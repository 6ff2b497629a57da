//! Casting spells: [`Table::check_cast`] is the one answer to "may this caster cast that, at
//! what, and whom would it catch" (the server, the client's preview and the tactics all ask
//! it), and a checked cast's resolution — the slot and the turn's resources, concentration,
//! Sculpt Spells, Sanctuary, then each target's attack or save ([`super::spell_effects`] does
//! what the spell does to it).
use super::effects::{ActiveEffect, Ends, Lasting};
use super::{CombatantId, Mode, RejectCode, Rejection, Table};
use crate::areas::{self};
use crate::checks::spell_save_dc;
use crate::content::Condition;
use crate::event::GameEvent;
use crate::grid::GridPos;
use crate::spells::{Area, CastingTime, Effect, SpellDef, SpellRange, TargetRule, Upcast};

/// A cast the rules accept: what it would do, for the server to resolve and the client to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CastPlan {
    /// The spell.
    pub spell: SpellDef,
    /// The slot level spent (0 for a cantrip).
    pub slot: u8,
    /// The creatures affected: one entry per dart or ray for repeating spells, every creature
    /// in the area for area spells, the caster for self spells.
    pub targets: Vec<CombatantId>,
    /// The area's squares (empty without an area).
    pub squares: Vec<GridPos>,
    /// The square aimed at.
    pub at: Option<GridPos>,
    /// Whether the cast would start a fight (a hostile spell outside combat).
    pub starts_combat: bool,
}

/// One cast being resolved: who, what, and the numbers every target shares.
pub(super) struct Work<'a> {
    pub(super) caster: CombatantId,
    pub(super) spell: &'a SpellDef,
    /// The spellcasting ability modifier.
    pub(super) modifier: i32,
    /// Slot levels above the spell's.
    pub(super) extra: u32,
    /// The caster's character level (cantrip scaling).
    pub(super) level: u32,
    /// The square aimed at.
    pub(super) at: Option<GridPos>,
    /// A fixed save DC (an attack's rider) instead of the caster's spell save DC.
    pub(super) dc: Option<i32>,
    /// Where a spell attack is made from when not the caster's square (a spiritual weapon's).
    pub(super) from: Option<GridPos>,
}

impl Work<'_> {
    pub(super) fn dc(&self, proficiency: i32) -> i32 {
        self.dc
            .unwrap_or_else(|| spell_save_dc(proficiency, self.modifier))
    }
}

fn refuse(code: RejectCode, reason: impl Into<String>) -> Rejection {
    Rejection::new(code, reason)
}

fn ordinal(n: u8) -> String {
    match n {
        1 => "1st".into(),
        2 => "2nd".into(),
        3 => "3rd".into(),
        n => format!("{n}th"),
    }
}

impl Table {
    /// Whether `caster` could cast `spell_id` with a `slot` now, before any target is chosen:
    /// known, a slot left, the action or bonus action free, concentration free. Returns the
    /// spell and the slot level it would spend.
    pub fn check_cast_resources(
        &self,
        caster: CombatantId,
        spell_id: &str,
        slot: u8,
    ) -> Result<(SpellDef, u8), Rejection> {
        let me = self
            .combatant(caster)
            .ok_or_else(|| refuse(RejectCode::UnknownTarget, "No such caster"))?;
        let Some(casting) = me.casting.as_ref() else {
            return Err(refuse(
                RejectCode::NotAllowed,
                format!("{} casts no spells", me.name),
            ));
        };
        let spell = match (
            casting.spells.iter().any(|s| s == spell_id),
            self.spells.get(spell_id),
        ) {
            (true, Some(s)) => s.clone(),
            _ => {
                return Err(refuse(
                    RejectCode::NotAllowed,
                    format!("{} does not know the spell `{spell_id}`", me.name),
                ));
            }
        };
        if me.incapacitated() {
            return Err(refuse(
                RejectCode::Incapacitated,
                format!("{} cannot cast now", me.name),
            ));
        }
        // The slot.
        let slot = if spell.level == 0 {
            0
        } else {
            slot.max(spell.level)
        };
        if slot > 9 {
            return Err(refuse(
                RejectCode::Malformed,
                "Spell slots go up to 9th level",
            ));
        }
        if slot > 0 && casting.slots_left(slot) == 0 {
            return Err(refuse(
                RejectCode::NoActionLeft,
                format!(
                    "{} has no {} level spell slots left",
                    me.name,
                    ordinal(slot)
                ),
            ));
        }
        // The turn's resources and the bonus-action spell rule (SRD 5.1 "Casting Time": after
        // a bonus-action spell, only a cantrip with a casting time of 1 action).
        if let Some(b) = self.budget().filter(|_| self.active() == Some(caster)) {
            match spell.casting_time {
                CastingTime::Action => {
                    if b.action_used {
                        return Err(Rejection::action_spent());
                    }
                    if b.bonus_spell_cast && spell.level > 0 {
                        return Err(refuse(
                            RejectCode::NoActionLeft,
                            "After a bonus-action spell, only a cantrip can be cast with your action this turn",
                        ));
                    }
                }
                CastingTime::BonusAction => {
                    if b.bonus_action_used {
                        return Err(Rejection::bonus_action_spent());
                    }
                    if b.leveled_action_spell_cast {
                        return Err(refuse(
                            RejectCode::NoActionLeft,
                            "After casting a 1st-level or higher spell with your action, you cannot cast a bonus-action spell this turn",
                        ));
                    }
                }
                CastingTime::Reaction => {}
            }
        }
        if spell.casting_time == CastingTime::Reaction {
            return Err(refuse(
                RejectCode::WrongMode,
                format!(
                    "{} is cast as a reaction, when its trigger happens",
                    spell.name
                ),
            ));
        }
        if spell.concentration
            && let Some(held) = &me.concentrating
        {
            return Err(refuse(
                RejectCode::NotAllowed,
                format!(
                    "You are concentrating on {held}: end it first to cast {}",
                    spell.name
                ),
            ));
        }
        Ok((spell, slot))
    }

    /// Checks a cast without changing anything: the spell is known, a slot is left, the turn's
    /// action or bonus action is free, concentration is free, and every target is legal (in
    /// range, in sight, allowed by the spell's rules).
    pub fn check_cast(
        &self,
        caster: CombatantId,
        spell_id: &str,
        slot: u8,
        targets: &[CombatantId],
        at: Option<GridPos>,
    ) -> Result<CastPlan, Rejection> {
        let (spell, slot) = self.check_cast_resources(caster, spell_id, slot)?;
        let me = self.combatant(caster).expect("checked");
        let extra = u32::from(slot.saturating_sub(spell.level));
        let range = spell.range.feet();
        let in_sight = |p: GridPos| self.map.in_bounds(p) && self.map.line_of_sight(me.pos, p);
        let visible = |id: CombatantId| {
            self.combatant(id)
                .filter(|t| !(t.is_dead() || self.unknown_to(me.side, t)))
        };
        let mut plan = CastPlan {
            spell: spell.clone(),
            slot,
            targets: Vec::new(),
            squares: Vec::new(),
            at,
            starts_combat: false,
        };
        if let Some(area) = spell.area {
            if !targets.is_empty() {
                return Err(refuse(
                    RejectCode::Malformed,
                    format!(
                        "{} fills an area: aim it at a square, not at creatures",
                        spell.name
                    ),
                ));
            }
            let Some(at) = at else {
                return Err(refuse(
                    RejectCode::Malformed,
                    format!("Aim {} at a square", spell.name),
                ));
            };
            if !self.map.in_bounds(at) {
                return Err(refuse(RejectCode::OutOfReach, "That square is off the map"));
            }
            plan.squares = match (spell.range, area) {
                (SpellRange::Caster, _) => areas::area_squares(area, me.pos, at),
                (_, Area::Cube(_) | Area::Sphere(_))
                    if !in_sight(at) || me.pos.feet_to(at) > range =>
                {
                    return Err(refuse(
                        RejectCode::OutOfReach,
                        format!("That square is not within {range} ft and in sight"),
                    ));
                }
                (_, Area::Cube(feet)) => areas::cube_at(feet, at),
                (_, shape) => areas::area_squares(shape, me.pos, at),
            };
            // Walls hold no one: the area is the open squares it covers.
            plan.squares
                .retain(|p| self.map.in_bounds(*p) && self.map.terrain(*p).passable());
            plan.targets = self
                .combatants
                .iter()
                .filter(|c| c.id != caster && plan.squares.contains(&c.pos))
                .filter(|c| visible(c.id).is_some())
                .map(|c| c.id)
                .collect();
        } else if spell.effects.iter().any(|e| matches!(e, Effect::Teleport)) {
            let Some(at) = at else {
                return Err(refuse(
                    RejectCode::Malformed,
                    format!("Choose where {} takes you", spell.name),
                ));
            };
            if me.pos.feet_to(at) > range || !in_sight(at) {
                return Err(refuse(
                    RejectCode::OutOfReach,
                    format!("You can reach a square you can see within {range} ft"),
                ));
            }
            if !self.map.terrain(at).passable()
                || self
                    .combatants
                    .iter()
                    .any(|c| c.pos == at && !c.is_dead() && c.id != caster)
            {
                return Err(refuse(RejectCode::InvalidPath, "That square is not free"));
            }
            plan.targets = vec![caster];
        } else if spell.targets == 0 {
            if !targets.is_empty() {
                return Err(refuse(
                    RejectCode::Malformed,
                    format!("{} affects only you", spell.name),
                ));
            }
            plan.targets = vec![caster];
        } else {
            let repeats = spell.repeat
                + match spell.upcast {
                    Some(Upcast::Repeats(n)) => n * extra,
                    _ => 0,
                };
            let most = spell.targets
                + match spell.upcast {
                    Some(Upcast::Targets(n)) => n * extra,
                    _ => 0,
                };
            if spell.repeat > 1 {
                if targets.len() != repeats as usize {
                    return Err(refuse(
                        RejectCode::Malformed,
                        format!(
                            "{} makes {repeats} darts or rays: choose a target for each",
                            spell.name
                        ),
                    ));
                }
            } else {
                if targets.is_empty() || targets.len() > most as usize {
                    return Err(refuse(
                        RejectCode::Malformed,
                        format!("Choose 1 to {most} target(s) for {}", spell.name),
                    ));
                }
                let mut seen = targets.to_vec();
                seen.sort();
                seen.dedup();
                if seen.len() != targets.len() {
                    return Err(refuse(RejectCode::Malformed, "Choose each target once"));
                }
            }
            for &t in targets {
                let Some(them) = visible(t).or_else(|| {
                    // Spare the Dying and healing reach the dying; the dead are out of reach.
                    self.combatant(t)
                        .filter(|c| !(c.is_dead() || self.unknown_to(me.side, c)))
                }) else {
                    return Err(refuse(
                        RejectCode::UnknownTarget,
                        format!("There is no creature #{t} here"),
                    ));
                };
                let distance = me.pos.feet_to(them.pos);
                let reach = if spell.range == SpellRange::Caster {
                    0
                } else {
                    range
                };
                if distance > reach {
                    return Err(refuse(
                        RejectCode::OutOfReach,
                        format!(
                            "{} is {distance} ft away; {} reaches {reach} ft",
                            them.name, spell.name
                        ),
                    ));
                }
                if t != caster && !self.map.line_of_sight(me.pos, them.pos) {
                    return Err(refuse(
                        RejectCode::OutOfReach,
                        format!("You have no clear line to {}", them.name),
                    ));
                }
                if spell.attack.is_some() && t == caster {
                    return Err(refuse(
                        RejectCode::UnknownTarget,
                        "You cannot attack yourself",
                    ));
                }
                for rule in &spell.target_rules {
                    let ok = match rule {
                        TargetRule::Humanoid => them.kind.starts_with("humanoid"),
                        TargetRule::Living => them.is_living(),
                        TargetRule::Dying => them.hp == 0 && !them.has(Condition::Stable),
                        TargetRule::Ally => !them.side.hostile_to(me.side),
                        TargetRule::Foe => them.side.hostile_to(me.side),
                        TargetRule::NotCaster => t != caster,
                    };
                    if !ok {
                        let why = match rule {
                            TargetRule::Humanoid => "only humanoids",
                            TargetRule::Living => "no undead or constructs",
                            TargetRule::Dying => {
                                "only a creature at 0 hit points that is not yet stable"
                            }
                            TargetRule::Ally => "only allies",
                            TargetRule::Foe => "only foes",
                            TargetRule::NotCaster => "not the caster",
                        };
                        return Err(refuse(
                            RejectCode::UnknownTarget,
                            format!("{} cannot target {}: {why}", spell.name, them.name),
                        ));
                    }
                }
            }
            plan.targets = targets.to_vec();
        }
        plan.starts_combat = self.mode == Mode::Exploration
            && plan.targets.iter().any(|t| {
                self.combatant(*t)
                    .is_some_and(|c| c.side.hostile_to(me.side))
            });
        Ok(plan)
    }

    /// `Action::Cast`: checks, then resolves (or, for a hostile spell outside combat, starts
    /// the fight; the spell is then cast on the caster's turn).
    pub(super) fn do_cast(
        &mut self,
        caster: CombatantId,
        spell: &str,
        slot: u8,
        targets: &[CombatantId],
        at: Option<GridPos>,
        now_ms: u64,
    ) -> Result<(), Rejection> {
        let plan = self.check_cast(caster, spell, slot, targets, at)?;
        if plan.starts_combat {
            let me = self.combatant(caster).expect("checked").name.clone();
            self.start_combat(now_ms, format!("{me} begins casting {}!", plan.spell.name));
            return Ok(());
        }
        self.resolve_cast(caster, plan, now_ms);
        // Casting gives a hidden caster away (its words and gestures).
        self.reveal(caster, now_ms);
        self.check_combat_end(now_ms);
        Ok(())
    }

    fn resolve_cast(&mut self, caster: CombatantId, plan: CastPlan, now_ms: u64) {
        let spell = plan.spell.clone();
        // Spend the slot and the turn's resources.
        let me = self.combatant_mut(caster);
        if plan.slot > 0
            && let Some(c) = me.casting.as_mut()
        {
            let i = usize::from(plan.slot - 1);
            if let Some(u) = c.used.get_mut(i) {
                *u += 1;
            }
        }
        if spell.concentration {
            me.concentrating = Some(spell.name.clone());
        }
        if self.active() == Some(caster)
            && let Some(b) = self.budget_mut()
        {
            match spell.casting_time {
                CastingTime::Action => {
                    b.action_used = true;
                    b.leveled_action_spell_cast |= spell.level > 0;
                }
                CastingTime::BonusAction => {
                    b.bonus_action_used = true;
                    b.bonus_spell_cast = true;
                }
                CastingTime::Reaction => {}
            }
        }
        let mut shown = plan.targets.clone();
        shown.dedup();
        self.emit(
            now_ms,
            GameEvent::SpellCast {
                caster,
                spell: spell.name.clone(),
                slot: plan.slot,
                targets: if spell.area.is_some() || plan.targets == [caster] {
                    vec![]
                } else {
                    shown
                },
                at: plan.at,
            },
        );
        let me_side = self.combatant(caster).map(|c| c.side);
        let hostile: Vec<CombatantId> = plan
            .targets
            .iter()
            .copied()
            .filter(|t| {
                self.combatant(*t)
                    .zip(me_side)
                    .is_some_and(|(c, side)| c.side.hostile_to(side))
            })
            .collect();
        if !hostile.is_empty() {
            self.break_sanctuary(caster, now_ms);
        }
        match spell.hook.as_deref() {
            Some("narrative") => return,
            Some("sleep") => return self.cast_sleep(caster, &plan, now_ms),
            Some("spiritual-weapon") => return self.cast_spiritual_weapon(caster, &plan, now_ms),
            Some("sanctuary") => {
                let me = self.combatant(caster).expect("exists").clone();
                let modifier = me.casting.as_ref().map_or(0, |c| me.modifier(c.ability));
                let dc = spell_save_dc(me.proficiency, modifier);
                for &t in &plan.targets {
                    self.add_effect(
                        t,
                        ActiveEffect {
                            source: spell.name.clone(),
                            caster,
                            what: Lasting::Buff(crate::spells::Buff::Sanctuary(dc)),
                            ends: Ends::Rounds(spell.duration_rounds.unwrap_or(10)),
                            concentration: false,
                            save_ends: None,
                        },
                        now_ms,
                    );
                }
                return;
            }
            _ => {}
        }
        let me = self.combatant(caster).expect("exists").clone();
        let casting = me.casting.clone().expect("a caster");
        let work = Work {
            caster,
            spell: &spell,
            modifier: me.modifier(casting.ability),
            extra: u32::from(plan.slot.saturating_sub(spell.level)),
            level: me.level,
            at: plan.at,
            dc: None,
            from: None,
        };
        let dc = work.dc(me.proficiency);
        // A lasting area (Web): placed now; its creatures save now only if the spell says so.
        if let Some(zone) = &spell.zone {
            self.start_zone(caster, &plan, dc, now_ms);
            if !zone.saves.contains(&crate::spells::ZoneTrigger::Cast) {
                return;
            }
        }
        // Sculpt Spells (Evocation): "choose a number of them equal to 1 + the spell's level.
        // The chosen creatures automatically succeed on their saving throws against the spell,
        // and they take no damage if they would normally take half damage on a successful
        // save." The caster's allies in the area are chosen.
        let sculpted: Vec<CombatantId> = if spell.area.is_some()
            && spell.school == "evocation"
            && me.features.contains(&crate::content::Feature::SculptSpells)
        {
            plan.targets
                .iter()
                .copied()
                .filter(|t| {
                    self.combatant(*t)
                        .is_some_and(|c| !c.side.hostile_to(me.side))
                })
                .take(1 + usize::from(plan.slot))
                .collect()
        } else {
            Vec::new()
        };
        for &target in &plan.targets {
            if self.combatant(target).is_none_or(|c| c.is_dead()) {
                continue;
            }
            // A harmful spell aimed at a warded creature (not an area's) first needs the save.
            if spell.area.is_none()
                && (spell.attack.is_some() || spell.save.is_some())
                && !self.passes_sanctuary(caster, target, now_ms)
            {
                continue;
            }
            if sculpted.contains(&target) {
                self.emit(
                    now_ms,
                    GameEvent::EffectStarted {
                        target,
                        source: spell.name.clone(),
                        what: "spared by Sculpt Spells".into(),
                    },
                );
                continue;
            }
            if let Some(kind) = spell.attack {
                self.spell_attack(&work, target, kind, now_ms);
            } else if let Some(save) = spell.save {
                // SRD 5.1 "Cover": half and three-quarters cover add to Dexterity saves —
                // unless the spell says the target gains no benefit from it (Sacred Flame).
                let cover = if save.ability == crate::content::Ability::Dex && !save.ignores_cover {
                    self.cover_between(caster, target).bonus()
                } else {
                    0
                };
                let saved =
                    self.saving_throw_with(target, save.ability, dc, cover, &spell.name, now_ms);
                if !saved || save.half {
                    self.apply_spell_effects(&work, target, saved, false, now_ms);
                }
            } else {
                self.apply_spell_effects(&work, target, false, false, now_ms);
            }
        }
    }
}
