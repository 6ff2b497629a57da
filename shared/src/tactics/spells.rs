//! Built-in spell tactics: which spell a caster (an NPC, a companion, a bot) casts this turn,
//! from the table itself — every option is checked with [`Table::check_cast`], the same
//! answer the server gives. Sensible, not clever: bring a dying ally back with a bonus-action
//! heal, bless the party once, put an area only where it catches two foes and no friend, spend
//! a slot only when a cantrip would not do, else the best damaging cantrip when it beats the
//! weapon at hand.

use super::NpcOption;
use crate::grid::GridPos;
use crate::spells::{CastingTime, Effect, SpellDef};
use crate::table::{Action, CombatantId, Table};

/// A cast and how much it is worth.
struct Candidate {
    score: i32,
    action: Action,
    label: String,
    bonus: bool,
}

fn cast(spell: &SpellDef, slot: u8, targets: Vec<CombatantId>, at: Option<GridPos>) -> Action {
    Action::Cast {
        spell: spell.id.clone(),
        slot,
        targets,
        at,
    }
}

/// The average of a spell's first damage effect (0 without one), doubled for darts or rays.
fn damage_of(spell: &SpellDef) -> i32 {
    let per = spell
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::Damage { dice, .. } => Some(dice.average().max(1)),
            _ => None,
        })
        .unwrap_or(0);
    per * spell.repeat as i32
}

fn heals(spell: &SpellDef) -> bool {
    spell
        .effects
        .iter()
        .any(|e| matches!(e, Effect::Heal { .. }))
}

/// Every cast worth considering for `me` now, best first.
fn candidates(table: &Table, me: CombatantId) -> Vec<Candidate> {
    let Some(caster) = table.combatant(me) else {
        return Vec::new();
    };
    let Some(casting) = &caster.casting else {
        return Vec::new();
    };
    let name = |id: CombatantId| {
        table
            .combatant(id)
            .map_or_else(String::new, |c| c.name.clone())
    };
    let foes: Vec<_> = table
        .combatants
        .iter()
        .filter(|c| c.side.hostile_to(caster.side) && c.is_conscious() && !c.hidden)
        .collect();
    let friends: Vec<_> = table
        .combatants
        .iter()
        .filter(|c| !c.side.hostile_to(caster.side) && !c.is_dead())
        .collect();
    if foes.is_empty() {
        return Vec::new();
    }
    // What the weapon at hand does, for comparison.
    let weapon = caster
        .attacks
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            foes.iter()
                .any(|f| table.check_attack(me, f.id, *i).is_ok())
        })
        .map(|(_, a)| a.damage.average())
        .max()
        .unwrap_or(0);
    let strongest_cantrip = casting
        .spells
        .iter()
        .filter_map(|id| table.spells.get(id))
        .filter(|s| s.level == 0)
        .map(damage_of)
        .max()
        .unwrap_or(0);
    let mut out = Vec::new();
    for spell in casting.spells.iter().filter_map(|id| table.spells.get(id)) {
        if spell.casting_time == CastingTime::Reaction
            || matches!(
                spell.hook.as_deref(),
                Some("narrative" | "sanctuary" | "web" | "shield")
            )
        {
            continue;
        }
        let slot = spell.level;
        let bonus = spell.casting_time == CastingTime::BonusAction;
        let mut consider =
            |score: i32, targets: Vec<CombatantId>, at: Option<GridPos>, label: String| {
                if score > 0 && table.check_cast(me, &spell.id, slot, &targets, at).is_ok() {
                    out.push(Candidate {
                        score,
                        action: cast(spell, slot, targets, at),
                        label,
                        bonus,
                    });
                }
            };
        if heals(spell) || spell.effects.contains(&Effect::Stabilize) {
            // The dying first, then the badly hurt (below a third of their hit points).
            for f in &friends {
                let dying = f.hp == 0 && !f.is_dead();
                let hurt = f.hp > 0 && f.hp * 3 < f.max_hp;
                let score = match (dying, hurt, heals(spell)) {
                    (true, _, true) => 100,
                    (true, _, false) => 40,
                    (false, true, true) => 30,
                    _ => 0,
                };
                consider(
                    score,
                    vec![f.id],
                    None,
                    format!("Cast {} on {}", spell.name, name(f.id)),
                );
            }
            continue;
        }
        let buffs_allies = spell.effects.iter().any(|e| {
            matches!(
                e,
                Effect::Buff {
                    buff: crate::spells::Buff::AttackDie(_),
                    ..
                }
            )
        });
        if buffs_allies {
            // Bless the party once, while it is fresh.
            if caster.concentrating.is_none() && friends.len() >= 2 {
                let mut targets: Vec<CombatantId> = friends
                    .iter()
                    .filter(|f| f.is_conscious())
                    .filter(|f| f.pos.feet_to(caster.pos) <= spell.range.feet())
                    .map(|f| f.id)
                    .collect();
                targets.truncate(spell.targets as usize);
                if targets.len() >= 2 {
                    consider(
                        18,
                        targets,
                        None,
                        format!("Cast {} on the party", spell.name),
                    );
                }
            }
            continue;
        }
        if spell.hook.as_deref() == Some("spiritual-weapon") {
            // A weapon that strikes again with every bonus action for a minute: worth a slot
            // once, while the caster holds none.
            if table.weapon_square(me).is_none() {
                for f in &foes {
                    consider(
                        35 - f.hp.min(20) / 4,
                        vec![f.id],
                        None,
                        format!("Cast {} at {}", spell.name, name(f.id)),
                    );
                }
            }
            continue;
        }
        let damage = damage_of(spell);
        // A slot is worth spending when the spell beats the best cantrip by a margin.
        let worth = |d: i32| {
            if slot == 0 {
                d
            } else {
                d - strongest_cantrip - 2 * i32::from(slot)
            }
        };
        if spell.area.is_some() {
            // Aim at each foe; keep aims that catch two or more foes and no friend.
            for f in &foes {
                let Ok(plan) = table.check_cast(me, &spell.id, slot, &[], Some(f.pos)) else {
                    continue;
                };
                let caught_friend = plan
                    .targets
                    .iter()
                    .any(|t| friends.iter().any(|fr| fr.id == *t));
                let caught = plan.targets.len() as i32;
                if caught_friend || caught < 2 {
                    continue;
                }
                // Sleep's pool and Web's webs are worth about a hit per creature caught.
                let per = if spell.hook.as_deref() == Some("sleep") || spell.zone.is_some() {
                    8
                } else {
                    damage
                };
                consider(
                    worth(per * caught),
                    vec![],
                    Some(f.pos),
                    format!("Cast {} at {} and those beside", spell.name, name(f.id)),
                );
            }
            continue;
        }
        if spell.targets == 0 {
            continue;
        }
        let holds = spell.effects.iter().any(|e| {
            matches!(e, Effect::Condition { condition, .. } if *condition == crate::content::Condition::Paralyzed)
        });
        for f in &foes {
            let targets = vec![f.id; spell.repeat.max(1) as usize];
            let score = if holds {
                if caster.concentrating.is_none() {
                    20
                } else {
                    0
                }
            } else {
                worth(damage)
            };
            // Beat the weapon at hand, or it is not worth the turn.
            if !holds && slot == 0 && damage < weapon {
                continue;
            }
            consider(
                score - f.hp.min(20) / 4,
                targets,
                None,
                format!("Cast {} at {}", spell.name, name(f.id)),
            );
        }
    }
    out.sort_by_key(|c| std::cmp::Reverse(c.score));
    out
}

/// The spells `me` casts this turn before (or instead of) the plain plan: at most one
/// bonus-action spell and one action spell. The action spell ends the plan's use of the
/// action, so the caller adds the plain plan's movement and attack only if none was chosen.
pub fn plan_spells(table: &Table, me: CombatantId) -> (Option<Action>, Option<Action>) {
    if table.turn_budget().is_some_and(|b| b.action_used) {
        return (None, None);
    }
    let all = candidates(table, me);
    let bonus = all
        .iter()
        .find(|c| c.bonus && c.score >= 25)
        .map(|c| c.action.clone());
    let leveled_bonus = bonus.as_ref().is_some_and(|a| match a {
        Action::Cast { spell, .. } => table.spells.get(spell).is_some_and(|s| s.level > 0),
        _ => false,
    });
    let action = all
        .iter()
        .filter(|c| !c.bonus)
        .filter(|c| {
            !leveled_bonus
                || matches!(&c.action, Action::Cast { spell, .. } if table.spells.get(spell).is_some_and(|s| s.level == 0))
        })
        .map(|c| c.action.clone())
        .next();
    (bonus, action)
}

/// The bonus-action attack of `me`'s spiritual weapon, if it holds one and it reaches a foe:
/// at the weakest foe it reaches (the same check as the server's).
pub fn weapon_attack(table: &Table, me: CombatantId) -> Option<Action> {
    let c = table.combatant(me)?;
    let index = c.attacks.len();
    if !table.is_weapon_attack(me, index) {
        return None;
    }
    table
        .combatants
        .iter()
        .filter(|f| f.side.hostile_to(c.side) && f.is_conscious() && !f.hidden)
        .filter(|f| table.check_attack(me, f.id, index).is_ok())
        .min_by_key(|f| (f.hp, f.id))
        .map(|f| Action::Attack {
            target: f.id,
            attack: index,
        })
}

/// The spell options offered to the narrator's NPC brain, labelled: a spiritual weapon's
/// strike before the usual fight, then the casts.
pub fn spell_options(table: &Table, me: CombatantId) -> Vec<NpcOption> {
    let mut out: Vec<NpcOption> = weapon_attack(table, me)
        .map(|strike| {
            let target = match &strike {
                Action::Attack { target, .. } => table.combatant(*target).map(|c| c.name.clone()),
                _ => None,
            };
            let mut plan = vec![strike];
            plan.extend(super::plan_turn(&table.board(), me));
            NpcOption {
                label: format!(
                    "Strike {} with the spiritual weapon, then fight",
                    target.unwrap_or_default()
                ),
                plan,
            }
        })
        .into_iter()
        .collect();
    out.extend(
        candidates(table, me)
            .into_iter()
            .take(6)
            .map(|c| NpcOption {
                label: c.label,
                plan: vec![c.action, Action::EndTurn],
            }),
    );
    out
}
