//! Lasting effects: buffs and timed conditions from spells and attacks, when they end (a turn
//! boundary, rounds counted on the caster's turns, a save at the end of each turn, the end of
//! concentration), concentration itself (one spell at a time, a Constitution save on damage,
//! lost when incapacitated), and what effects change: AC, speed, reactions, bonus dice.

use super::{CombatantId, Table};
use crate::checks::roll_check;
use crate::content::{Ability, Condition};
use crate::dice::{Advantage, DiceExpr};
use crate::event::GameEvent;
use crate::grid::GridPos;
use crate::spells::Buff;
use serde::{Deserialize, Serialize};

/// What a lasting effect is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lasting {
    /// A condition (kept in the creature's conditions while any effect grants it).
    Condition(Condition),
    /// A buff or debuff.
    Buff(Buff),
    /// A spectral weapon the creature conjured (Spiritual Weapon), floating at `at`: while it
    /// lasts, its conjurer has one more attack, made with the bonus action from the weapon.
    Weapon {
        /// The spell's id.
        spell: String,
        /// The weapon's square.
        at: GridPos,
        /// The slot level it was cast with.
        slot: u8,
    },
    /// Hidden (the Hide action), with the Dexterity (Stealth) total that creatures' passive
    /// Perception must beat to notice it.
    Hidden {
        /// The Stealth check's total.
        stealth: i32,
    },
}

impl Lasting {
    /// In words, for the feed: "paralyzed", "+2 AC".
    pub fn describe(&self) -> String {
        match self {
            Lasting::Condition(c) => format!("{c:?}").to_lowercase(),
            Lasting::Buff(b) => match b {
                Buff::Ac(n) => format!("{n:+} AC"),
                Buff::ArmorBase(n) => format!("AC {n} + Dex while unarmored"),
                Buff::AttackDie(d) => format!("+{d} to attack rolls"),
                Buff::SaveDie(d) => format!("+{d} to saving throws"),
                Buff::CheckDie(d) => format!("+{d} to an ability check"),
                Buff::MaxHp(n) => format!("{n:+} hit point maximum"),
                Buff::Speed(n) => format!("{n:+} ft speed"),
                Buff::NoReactions => "unable to take reactions".into(),
                Buff::Marked => "marked: the next attack against it has advantage".into(),
                Buff::Sanctuary(dc) => format!("warded by Sanctuary (DC {dc})"),
            },
            Lasting::Weapon { at, .. } => format!("a spectral weapon floating at {at}"),
            Lasting::Hidden { stealth } => format!("hidden (Stealth {stealth})"),
        }
    }
}

/// When an effect ends (besides its caster's concentration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ends {
    /// At the start of this creature's turn in this round.
    StartOfTurn(CombatantId, u32),
    /// At the end of this creature's turn in this round.
    EndOfTurn(CombatantId, u32),
    /// After this many more starts of the caster's turns.
    Rounds(u32),
    /// Only with concentration or when used up.
    Never,
}

/// One lasting effect on a creature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveEffect {
    /// The spell or attack it came from ("Hold Person").
    pub source: String,
    /// Who made it.
    pub caster: CombatantId,
    /// What it is.
    pub what: Lasting,
    /// When it ends.
    pub ends: Ends,
    /// Ends with the caster's concentration.
    pub concentration: bool,
    /// The save (ability, DC) the creature repeats at the end of each of its turns.
    pub save_ends: Option<(Ability, i32)>,
}

impl Table {
    /// Starts a lasting effect on `target`.
    pub(super) fn add_effect(&mut self, target: CombatantId, effect: ActiveEffect, now_ms: u64) {
        let c = self.combatant_mut(target);
        if let Lasting::Condition(cond) = effect.what {
            if c.condition_immunities.contains(&cond) {
                return;
            }
            c.conditions.insert(cond);
        }
        if let Lasting::Buff(Buff::MaxHp(n)) = effect.what {
            c.max_hp += n;
            if c.hp > 0 {
                c.hp += n;
            }
        }
        let (source, what) = (effect.source.clone(), effect.what.describe());
        c.effects.push(effect);
        self.emit(
            now_ms,
            GameEvent::EffectStarted {
                target,
                source,
                what,
            },
        );
    }

    /// Ends the effects on `target` that `gone` picks.
    pub(super) fn end_effects(
        &mut self,
        target: CombatantId,
        gone: impl Fn(&ActiveEffect) -> bool,
        now_ms: u64,
    ) {
        let c = self.combatant_mut(target);
        let (ended, kept): (Vec<_>, Vec<_>) =
            std::mem::take(&mut c.effects).into_iter().partition(&gone);
        c.effects = kept;
        for e in &ended {
            match e.what {
                Lasting::Condition(cond)
                    if !c.effects.iter().any(|k| k.what == Lasting::Condition(cond)) =>
                {
                    c.conditions.remove(&cond);
                }
                Lasting::Buff(Buff::MaxHp(n)) => {
                    c.max_hp = (c.max_hp - n).max(1);
                    c.hp = c.hp.min(c.max_hp);
                }
                _ => {}
            }
        }
        for e in ended {
            self.emit(
                now_ms,
                GameEvent::EffectEnded {
                    target,
                    source: e.source,
                    what: e.what.describe(),
                },
            );
        }
    }

    /// Ends `caster`'s concentration and every effect that hangs on it.
    pub(super) fn end_concentration(&mut self, caster: CombatantId, reason: &str, now_ms: u64) {
        let Some(spell) = self.combatant_mut(caster).concentrating.take() else {
            return;
        };
        self.emit(
            now_ms,
            GameEvent::ConcentrationEnded {
                caster,
                spell: spell.clone(),
                reason: reason.into(),
            },
        );
        let ids: Vec<CombatantId> = self.combatants.iter().map(|c| c.id).collect();
        for id in ids {
            self.end_effects(
                id,
                |e| e.concentration && e.caster == caster && e.source == spell,
                now_ms,
            );
        }
        self.end_zones(
            |z| z.concentration && z.caster == caster && z.source == spell,
            now_ms,
        );
    }

    /// After damage: a concentrating creature saves (Constitution, DC 10 or half the damage,
    /// whichever is higher — SRD 5.1 "Concentration") or loses the spell; magical sleep ends.
    pub(super) fn after_damage(&mut self, target: CombatantId, amount: i32, now_ms: u64) {
        if amount <= 0 {
            return;
        }
        // Turned undead stop being turned when they take damage.
        if self
            .combatant(target)
            .is_some_and(|c| c.effects.iter().any(|e| e.source == "Turn Undead"))
        {
            self.end_effects(target, |e| e.source == "Turn Undead", now_ms);
        }
        if self
            .combatant(target)
            .is_some_and(|c| c.has(Condition::Asleep))
        {
            self.end_effects(
                target,
                |e| e.what == Lasting::Condition(Condition::Asleep),
                now_ms,
            );
        }
        let Some(c) = self.combatant(target) else {
            return;
        };
        if c.concentrating.is_none() {
            return;
        }
        if c.incapacitated() {
            self.end_concentration(target, "is incapacitated", now_ms);
            return;
        }
        let dc = (amount / 2).max(10);
        let saved = self.saving_throw(target, Ability::Con, dc, "concentration", now_ms);
        if !saved {
            self.end_concentration(target, "failed the concentration save", now_ms);
        }
    }

    /// Rolls a saving throw for `actor` with every bonus and penalty the rules give it (bonus
    /// dice, conditions that fail or hinder saves), emits it, and says whether it succeeded.
    pub(super) fn saving_throw(
        &mut self,
        actor: CombatantId,
        ability: Ability,
        dc: i32,
        against: &str,
        now_ms: u64,
    ) -> bool {
        self.saving_throw_with(actor, ability, dc, 0, against, now_ms)
    }

    /// A saving throw with an extra flat bonus (cover on Dexterity saves).
    pub(super) fn saving_throw_with(
        &mut self,
        actor: CombatantId,
        ability: Ability,
        dc: i32,
        extra_bonus: i32,
        against: &str,
        now_ms: u64,
    ) -> bool {
        let c = self.combatant(actor).expect("exists");
        let bonus = c.save_bonus(ability) + extra_bonus;
        let dice: Vec<DiceExpr> = c
            .effects
            .iter()
            .filter_map(|e| match &e.what {
                Lasting::Buff(Buff::SaveDie(d)) => Some(d.clone()),
                _ => None,
            })
            .collect();
        // SRD 5.1 conditions: paralyzed, stunned, unconscious (and magical sleep) automatically
        // fail Strength and Dexterity saves; restrained has disadvantage on Dexterity saves.
        let auto_fail = matches!(ability, Ability::Str | Ability::Dex)
            && (c.has(Condition::Paralyzed) || c.has(Condition::Asleep) || !c.is_conscious());
        let disadvantage = ability == Ability::Dex && c.has(Condition::Restrained);
        let advantage = Advantage::from_sources(false, disadvantage);
        let extra = if dice.is_empty() {
            None
        } else {
            Some(
                dice.iter()
                    .map(|d| d.roll(&mut self.rng, false).total)
                    .sum(),
            )
        };
        let mut roll = roll_check(&mut self.rng, bonus, extra, advantage, Some(dc));
        if auto_fail {
            roll.success = false;
        }
        self.emit(
            now_ms,
            GameEvent::Saved {
                actor,
                against: against.into(),
                ability,
                roll,
            },
        );
        roll.success
    }

    /// At the start of `id`'s turn in `round`: effects that end then end; effects `id` made
    /// count a round down.
    pub(super) fn effects_at_turn_start(&mut self, id: CombatantId, round: u32, now_ms: u64) {
        let ids: Vec<CombatantId> = self.combatants.iter().map(|c| c.id).collect();
        for target in ids {
            for e in &mut self.combatant_mut(target).effects {
                if let Ends::Rounds(n) = &mut e.ends
                    && e.caster == id
                {
                    *n = n.saturating_sub(1);
                }
            }
            self.end_effects(
                target,
                |e| {
                    e.ends == Ends::StartOfTurn(id, round)
                        || (e.caster == id && e.ends == Ends::Rounds(0))
                },
                now_ms,
            );
        }
        self.zones_at_caster_turn(id, now_ms);
        // Spells whose every effect is gone no longer need concentration.
        self.drop_idle_concentration(id, now_ms);
        self.positions_changed(now_ms);
    }

    /// At the end of `id`'s turn in `round`: effects that end then end, and `id` repeats the
    /// saves that can end its effects.
    pub(super) fn effects_at_turn_end(&mut self, id: CombatantId, round: u32, now_ms: u64) {
        let ids: Vec<CombatantId> = self.combatants.iter().map(|c| c.id).collect();
        for target in ids {
            self.end_effects(target, |e| e.ends == Ends::EndOfTurn(id, round), now_ms);
        }
        let saves: Vec<(String, Ability, i32)> = self
            .combatant(id)
            .map(|c| {
                c.effects
                    .iter()
                    .filter_map(|e| e.save_ends.map(|(a, dc)| (e.source.clone(), a, dc)))
                    .collect()
            })
            .unwrap_or_default();
        let mut done: Vec<String> = Vec::new();
        for (source, ability, dc) in saves {
            if done.contains(&source) || self.combatant(id).is_none_or(|c| c.is_dead()) {
                continue;
            }
            done.push(source.clone());
            if self.saving_throw(id, ability, dc, &source, now_ms) {
                self.end_effects(id, |e| e.source == source && e.save_ends.is_some(), now_ms);
            }
        }
    }

    fn drop_idle_concentration(&mut self, caster: CombatantId, now_ms: u64) {
        let Some(spell) = self.combatant(caster).and_then(|c| c.concentrating.clone()) else {
            return;
        };
        let held = self.combatants.iter().any(|c| {
            c.effects
                .iter()
                .any(|e| e.concentration && e.caster == caster && e.source == spell)
        }) || self
            .zones
            .iter()
            .any(|z| z.concentration && z.caster == caster && z.source == spell);
        if !held {
            self.combatant_mut(caster).concentrating = None;
            self.emit(
                now_ms,
                GameEvent::ConcentrationEnded {
                    caster,
                    spell,
                    reason: "the spell has ended".into(),
                },
            );
        }
    }

    /// When combat ends: effects tied to turns, or lasting a minute or less, end (there are no
    /// rounds outside combat); longer spells (Mage Armor, Aid) stay.
    pub(super) fn effects_after_combat(&mut self, now_ms: u64) {
        let ids: Vec<CombatantId> = self.combatants.iter().map(|c| c.id).collect();
        for id in &ids {
            self.end_effects(
                *id,
                |e| match e.ends {
                    Ends::StartOfTurn(..) | Ends::EndOfTurn(..) => true,
                    Ends::Rounds(n) => n <= 10,
                    Ends::Never => e.concentration || matches!(e.what, Lasting::Hidden { .. }),
                },
                now_ms,
            );
        }
        for id in ids {
            self.drop_idle_concentration(id, now_ms);
        }
    }

    /// Its AC now: armor or Mage Armor's base, plus AC bonuses.
    pub fn ac_now(&self, id: CombatantId) -> i32 {
        let Some(c) = self.combatant(id) else {
            return 0;
        };
        let mut ac = c.ac;
        for e in &c.effects {
            match e.what {
                Lasting::Buff(Buff::ArmorBase(base)) if c.unarmored => {
                    ac = ac.max(base + c.modifier(Ability::Dex));
                }
                _ => {}
            }
        }
        ac + c
            .effects
            .iter()
            .map(|e| match e.what {
                Lasting::Buff(Buff::Ac(n)) => n,
                _ => 0,
            })
            .sum::<i32>()
    }

    /// Its walking speed now: 0 while grappled, restrained, paralyzed or asleep; changed by
    /// speed effects; never below 0.
    pub fn speed_now(&self, id: CombatantId) -> u32 {
        let Some(c) = self.combatant(id) else {
            return 0;
        };
        if [
            Condition::Grappled,
            Condition::Restrained,
            Condition::Paralyzed,
            Condition::Asleep,
        ]
        .iter()
        .any(|k| c.has(*k))
        {
            return 0;
        }
        let change: i32 = c
            .effects
            .iter()
            .map(|e| match e.what {
                Lasting::Buff(Buff::Speed(n)) => n,
                _ => 0,
            })
            .sum();
        (c.speed as i32 + change).max(0) as u32
    }

    /// Whether it may take a reaction now.
    pub fn can_react(&self, id: CombatantId) -> bool {
        self.combatant(id).is_some_and(|c| {
            !c.incapacitated()
                && !c.reaction_used
                && !c
                    .effects
                    .iter()
                    .any(|e| e.what == Lasting::Buff(Buff::NoReactions))
        })
    }

    /// Rolls the bonus dice `id` adds to its attack rolls (Bless), if any.
    pub(super) fn attack_bonus_dice(&mut self, id: CombatantId) -> i32 {
        let dice: Vec<DiceExpr> = self
            .combatant(id)
            .map(|c| {
                c.effects
                    .iter()
                    .filter_map(|e| match &e.what {
                        Lasting::Buff(Buff::AttackDie(d)) => Some(d.clone()),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        dice.iter()
            .map(|d| d.roll(&mut self.rng, false).total)
            .sum()
    }

    /// Sanctuary (SRD 5.1): "any creature who targets the warded creature with an attack or a
    /// harmful spell must first make a Wisdom saving throw. On a failed save, the creature must
    /// choose a new target or lose the attack or spell." Returns whether `attacker` may go on.
    pub(super) fn passes_sanctuary(
        &mut self,
        attacker: CombatantId,
        target: CombatantId,
        now_ms: u64,
    ) -> bool {
        let (Some(a), Some(t)) = (self.combatant(attacker), self.combatant(target)) else {
            return true;
        };
        if !a.side.hostile_to(t.side) {
            return true;
        }
        let Some(dc) = t.effects.iter().find_map(|e| match e.what {
            Lasting::Buff(Buff::Sanctuary(dc)) => Some(dc),
            _ => None,
        }) else {
            return true;
        };
        if self.saving_throw(attacker, Ability::Wis, dc, "Sanctuary", now_ms) {
            return true;
        }
        self.emit(
            now_ms,
            GameEvent::EffectStarted {
                target: attacker,
                source: "Sanctuary".into(),
                what: format!(
                    "turned away from {}: the attack is lost",
                    self.combatant(target)
                        .map(|c| c.name.clone())
                        .unwrap_or_default()
                ),
            },
        );
        false
    }

    /// The warded creature attacked or harmed a foe: its Sanctuary ends.
    pub(super) fn break_sanctuary(&mut self, who: CombatantId, now_ms: u64) {
        if self.combatant(who).is_some_and(|c| {
            c.effects
                .iter()
                .any(|e| matches!(e.what, Lasting::Buff(Buff::Sanctuary(_))))
        }) {
            self.end_effects(
                who,
                |e| matches!(e.what, Lasting::Buff(Buff::Sanctuary(_))),
                now_ms,
            );
        }
    }
}
