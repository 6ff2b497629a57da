//! Spells whose area stays on the map while they last, as data: a spell's `zone`
//! ([`crate::spells::Zone`]). SRD 5.1 Web: "The webs fill a 20-foot cube from that point for
//! the duration. The webs are difficult terrain … Each creature that starts its turn in the
//! webs or that enters them during its turn must make a Dexterity saving throw. On a failed
//! save, the creature is restrained as long as it remains in the webs or until it breaks free.
//! A creature restrained by the webs can use its action to make a Strength check against your
//! spell save DC. If it succeeds, it is no longer restrained."
//!
//! The table keeps each as an [`ActiveZone`] (replicated with the table view, so clients draw
//! it); its difficult squares are written into the map ([`MapGrid::spell_difficult`]), where
//! the one path cost ([`MapGrid::step_cost`]) counts them. A zone ends with its spell — its
//! duration or its caster's concentration — and the conditions it holds end with it.
//!
//! [`MapGrid::spell_difficult`]: crate::grid::MapGrid::spell_difficult
//! [`MapGrid::step_cost`]: crate::grid::MapGrid::step_cost

use super::casting::{CastPlan, Work};
use super::effects::{ActiveEffect, Ends, Lasting};
use super::{CombatantId, RejectCode, Rejection, Table};
use crate::checks::roll_check;
use crate::content::Ability;
use crate::dice::Advantage;
use crate::event::GameEvent;
use crate::grid::GridPos;
use crate::spells::{Zone, ZoneTrigger};
use serde::{Deserialize, Serialize};

/// A spell's area on the map while the spell lasts (Web's webs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveZone {
    /// The spell's name ("Web"), the source of the conditions it gives.
    pub source: String,
    /// The spell's id.
    pub spell: String,
    /// Who cast it.
    pub caster: CombatantId,
    /// The slot level it was cast with.
    pub slot: u8,
    /// The caster's spell save DC.
    pub dc: i32,
    /// Its squares.
    pub squares: Vec<GridPos>,
    /// What it does.
    pub zone: Zone,
    /// When it ends, besides concentration (rounds counted on the caster's turns).
    pub ends: Ends,
    /// Ends with its caster's concentration.
    pub concentration: bool,
}

impl ActiveZone {
    /// Whether `effect` is one of the conditions this zone holds a creature with.
    pub fn holds(&self, effect: &ActiveEffect) -> bool {
        effect.source == self.source
            && effect.caster == self.caster
            && matches!(effect.what, Lasting::Condition(_))
    }
}

impl Table {
    /// Places a checked cast's lasting area.
    pub(super) fn start_zone(&mut self, caster: CombatantId, plan: &CastPlan, dc: i32, now: u64) {
        let Some(zone) = plan.spell.zone.clone() else {
            return;
        };
        self.zones.push(ActiveZone {
            source: plan.spell.name.clone(),
            spell: plan.spell.id.clone(),
            caster,
            slot: plan.slot,
            dc,
            squares: plan.squares.clone(),
            zone,
            ends: plan.spell.duration_rounds.map_or(Ends::Never, Ends::Rounds),
            concentration: plan.spell.concentration,
        });
        self.sync_zone_terrain();
        self.emit(
            now,
            GameEvent::ZoneStarted {
                caster,
                source: plan.spell.name.clone(),
                squares: plan.squares.clone(),
            },
        );
    }

    /// Writes the zones' difficult squares into the map.
    pub(super) fn sync_zone_terrain(&mut self) {
        self.map.spell_difficult = self
            .zones
            .iter()
            .filter(|z| z.zone.difficult)
            .flat_map(|z| z.squares.iter().copied())
            .collect();
    }

    /// Ends the zones `gone` picks, and the conditions they hold.
    pub(super) fn end_zones(&mut self, gone: impl Fn(&ActiveZone) -> bool, now_ms: u64) {
        let (ended, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.zones)
            .into_iter()
            .partition(|z| gone(z));
        self.zones = kept;
        if ended.is_empty() {
            return;
        }
        self.sync_zone_terrain();
        let ids: Vec<CombatantId> = self.combatants.iter().map(|c| c.id).collect();
        for z in ended {
            for &id in &ids {
                self.end_effects(id, |e| z.holds(e), now_ms);
            }
            self.emit(
                now_ms,
                GameEvent::ZoneEnded {
                    caster: z.caster,
                    source: z.source,
                },
            );
        }
    }

    /// At the start of `caster`'s turn its zones count a round down; those whose time is up
    /// end.
    pub(super) fn zones_at_caster_turn(&mut self, caster: CombatantId, now_ms: u64) {
        for z in self.zones.iter_mut().filter(|z| z.caster == caster) {
            if let Ends::Rounds(n) = &mut z.ends {
                *n = n.saturating_sub(1);
            }
        }
        self.end_zones(|z| z.caster == caster && z.ends == Ends::Rounds(0), now_ms);
    }

    /// Whether a step from `from` to `to` enters an area that makes creatures entering it
    /// save.
    pub(super) fn enters_zone(&self, from: GridPos, to: GridPos) -> bool {
        self.zones.iter().any(|z| {
            z.zone.saves.contains(&ZoneTrigger::Enter)
                && z.squares.contains(&to)
                && !z.squares.contains(&from)
        })
    }

    /// Whether a zone holds `id` (a condition of its on it).
    fn held_by(&self, id: CombatantId, zone: &ActiveZone) -> bool {
        self.combatant(id)
            .is_some_and(|c| c.effects.iter().any(|e| zone.holds(e)))
    }

    /// `id` stands on `at` when `trigger` happens: it makes the save of every zone there that
    /// saves on it and does not hold it yet; a failure applies the spell's effects. Returns
    /// whether a zone holds it afterwards.
    pub(super) fn zone_saves(
        &mut self,
        id: CombatantId,
        at: GridPos,
        trigger: ZoneTrigger,
        now_ms: u64,
    ) -> bool {
        let due: Vec<ActiveZone> = self
            .zones
            .iter()
            .filter(|z| z.zone.saves.contains(&trigger) && z.squares.contains(&at))
            .filter(|z| !self.held_by(id, z))
            .cloned()
            .collect();
        for z in &due {
            let Some(spell) = self.spells.get(&z.spell).cloned() else {
                continue;
            };
            let (Some(save), Some(c)) = (spell.save, self.combatant(z.caster)) else {
                continue;
            };
            if self.combatant(id).is_none_or(|c| c.is_dead()) {
                break;
            }
            let work = Work {
                caster: z.caster,
                spell: &spell,
                modifier: c.casting.as_ref().map_or(0, |k| c.modifier(k.ability)),
                extra: u32::from(z.slot.saturating_sub(spell.level)),
                level: c.level,
                at: None,
                dc: Some(z.dc),
                from: None,
            };
            if !self.saving_throw(id, save.ability, z.dc, &z.source, now_ms) {
                self.apply_spell_effects(&work, id, false, false, now_ms);
            }
        }
        self.zones.iter().any(|z| self.held_by(id, z))
    }

    /// A creature a zone holds only while inside it is free once it is out (pushed,
    /// teleported). Called whenever someone changes squares.
    pub(super) fn check_zone_holds(&mut self, now_ms: u64) {
        let freed: Vec<(CombatantId, ActiveZone)> = self
            .zones
            .iter()
            .filter(|z| z.zone.holds_inside)
            .flat_map(|z| {
                self.combatants
                    .iter()
                    .filter(|c| !z.squares.contains(&c.pos) && self.held_by(c.id, z))
                    .map(|c| (c.id, z.clone()))
            })
            .collect();
        for (id, z) in freed {
            self.end_effects(id, |e| z.holds(e), now_ms);
        }
    }

    /// Whether `actor` may use its action now to break free of a zone that holds it (Web: a
    /// Strength check against the caster's spell save DC), or why not. Returns the zone.
    pub fn check_break_free(&self, actor: CombatantId) -> Result<&ActiveZone, Rejection> {
        let zone = self
            .zones
            .iter()
            .find(|z| z.zone.break_free.is_some() && self.held_by(actor, z))
            .ok_or_else(|| {
                Rejection::new(RejectCode::WrongMode, "Nothing holds you to break free of")
            })?;
        match self.budget() {
            Some(_) if self.active() != Some(actor) => Err(Rejection::new(
                RejectCode::NotYourTurn,
                "Break free on your turn",
            )),
            Some(b) if b.action_used => Err(Rejection::action_spent()),
            _ => Ok(zone),
        }
    }

    /// `Action::BreakFree`: the check; on a success the zone's conditions on `actor` end.
    pub(super) fn do_break_free(
        &mut self,
        actor: CombatantId,
        now_ms: u64,
    ) -> Result<(), Rejection> {
        let zone = self.check_break_free(actor)?.clone();
        if let Some(b) = self.budget_mut() {
            b.action_used = true;
        }
        let ability = zone.zone.break_free.unwrap_or(Ability::Str);
        let bonus = self.combatant(actor).map_or(0, |c| c.modifier(ability));
        let roll = roll_check(&mut self.rng, bonus, None, Advantage::Normal, Some(zone.dc));
        self.emit(
            now_ms,
            GameEvent::AbilityCheck {
                actor,
                what: format!("break free of {}", zone.source),
                ability,
                roll,
            },
        );
        if roll.success {
            self.end_effects(actor, |e| zone.holds(e), now_ms);
        }
        Ok(())
    }
}
