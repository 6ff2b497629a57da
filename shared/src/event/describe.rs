//! Events in words: one line of plain text per event, for logs, consoles and the feed.

use super::{CombatOutcome, GameEvent};
use crate::dice::DiceRoll;
use crate::table::CombatantId;

impl GameEvent {
    /// One line of plain text for logs and consoles; `name` turns ids into names.
    pub fn describe(&self, name: &dyn Fn(CombatantId) -> String) -> String {
        match self {
            GameEvent::PlayerJoined { seat, player, .. } => {
                format!("{player} joined in seat `{seat}`")
            }
            GameEvent::PlayerLeft { seat, player } => format!("{player} left seat `{seat}`"),
            GameEvent::ActionDeclared { actor, text } => format!("{}: {text}", name(*actor)),
            GameEvent::Moved {
                actor,
                path,
                feet,
                stood_up,
                ..
            } => format!(
                "{}{} moves {feet} ft to {}",
                name(*actor),
                if *stood_up { " stands up and" } else { "" },
                path.last().copied().unwrap_or_default()
            ),
            GameEvent::Attacked(a) => {
                let rolls = if a.roll.d20.count == 2 {
                    format!(
                        "{}/{} -> {}",
                        a.roll.d20.rolls[0], a.roll.d20.rolls[1], a.roll.d20.natural
                    )
                } else {
                    a.roll.d20.natural.to_string()
                };
                let head = format!(
                    "{}{} attacks {} with {}: d20 {rolls} = {} vs AC {}",
                    name(a.attacker),
                    if a.opportunity { " (opportunity)" } else { "" },
                    name(a.target),
                    a.attack,
                    a.roll.total,
                    a.roll.ac
                );
                if a.roll.hit {
                    format!(
                        "{head} — {}! {} {:?} damage{} ({} HP left)",
                        if a.roll.critical {
                            "critical hit"
                        } else {
                            "hit"
                        },
                        a.dealt,
                        a.damage_type,
                        if a.sneak_attack.is_some() {
                            " with Sneak Attack"
                        } else {
                            ""
                        },
                        a.hp_after
                    )
                } else {
                    format!("{head} — miss")
                }
            }
            GameEvent::SavingThrow {
                actor,
                ability,
                dc,
                roll,
                modifier,
                success,
            } => format!(
                "{} makes a DC {dc} {ability:?} save: {} {modifier:+} — {}",
                name(*actor),
                roll.natural,
                if *success { "success" } else { "failure" }
            ),
            GameEvent::ConditionAdded { target, condition } => {
                format!("{} is {condition:?}", name(*target))
            }
            GameEvent::Dodged { actor } => format!("{} takes the Dodge action", name(*actor)),
            GameEvent::Dashed {
                actor,
                movement_left,
            } => format!("{} dashes ({movement_left} ft of movement)", name(*actor)),
            GameEvent::Disengaged { actor } => format!("{} disengages", name(*actor)),
            GameEvent::Downed { target } => format!("{} falls unconscious!", name(*target)),
            GameEvent::Died { target } => format!("{} dies", name(*target)),
            GameEvent::DeathSave {
                actor,
                roll,
                successes,
                failures,
            } => match roll {
                Some(r) => format!(
                    "{} rolls a death save: {r} ({successes} successes, {failures} failures)",
                    name(*actor)
                ),
                None => format!(
                    "{} fails a death save from damage ({failures} failures)",
                    name(*actor)
                ),
            },
            GameEvent::Stabilised { actor } => format!("{} is stable", name(*actor)),
            GameEvent::CombatStarted {
                reason,
                order,
                turn_timeout_ms,
            } => format!(
                "{reason} Combat begins. Initiative: {}. A turn left idle for {} s ends in the Dodge action.",
                order
                    .iter()
                    .map(|e| format!("{} {}", name(e.combatant), e.total))
                    .collect::<Vec<_>>()
                    .join(", "),
                turn_timeout_ms / 1000
            ),
            GameEvent::RoundStarted { round } => format!("Round {round}"),
            GameEvent::TurnStarted { actor, .. } => format!("{}'s turn", name(*actor)),
            GameEvent::TurnEnded { actor } => format!("{} ends the turn", name(*actor)),
            GameEvent::TurnTimedOut { actor } => format!("{}'s turn timed out", name(*actor)),
            GameEvent::CombatEnded { outcome } => match outcome {
                CombatOutcome::Victory => "Combat ends: victory!".into(),
                CombatOutcome::Defeat => "Combat ends: the party has fallen.".into(),
                CombatOutcome::Stopped => "The host ends the combat.".into(),
            },
            GameEvent::Revealed { combatants } => format!(
                "Revealed: {}",
                combatants
                    .iter()
                    .map(|c| name(*c))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            GameEvent::Whisper { from, to, text } => format!("({from} whispers to {to}) {text}"),
            GameEvent::HostNarration { text } => text.clone(),
            GameEvent::Paused => "The host pauses the game.".into(),
            GameEvent::Resumed => "The game resumes.".into(),
            GameEvent::TurnSkipped { actor } => format!("The host skips {}'s turn", name(*actor)),
            GameEvent::TurnTimeoutChanged { seconds } => {
                format!("Turns now time out after {seconds} s")
            }
            GameEvent::Narration { text, .. } => format!("» {text}"),
            GameEvent::SpellCast {
                caster,
                spell,
                slot,
                targets,
                at,
            } => {
                let level = match slot {
                    0 => String::new(),
                    1 => " (1st-level slot)".into(),
                    2 => " (2nd-level slot)".into(),
                    3 => " (3rd-level slot)".into(),
                    n => format!(" ({n}th-level slot)"),
                };
                let on = if targets.is_empty() {
                    at.map(|p| format!(" at {p}")).unwrap_or_default()
                } else {
                    format!(
                        " on {}",
                        targets
                            .iter()
                            .map(|t| name(*t))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                format!("{} casts {spell}{level}{on}", name(*caster))
            }
            GameEvent::Saved {
                actor,
                against,
                ability,
                roll,
            } => {
                let dice = if roll.d20.count == 2 {
                    format!(
                        "{}/{} -> {}",
                        roll.d20.rolls[0], roll.d20.rolls[1], roll.d20.natural
                    )
                } else {
                    roll.d20.natural.to_string()
                };
                let extra = roll
                    .extra
                    .map(|e| format!(" {e:+} (die)"))
                    .unwrap_or_default();
                format!(
                    "{} makes a {ability:?} save against {against}: d20 {dice} {:+}{extra} = {} vs DC {} — {}",
                    name(*actor),
                    roll.bonus,
                    roll.total,
                    roll.dc.unwrap_or_default(),
                    if roll.success { "success" } else { "failure" }
                )
            }
            GameEvent::EffectDamage {
                target,
                source,
                damage,
                halved,
                damage_type,
                dealt,
                hp_after,
                ..
            } => format!(
                "{source} deals {dealt} {damage_type:?} damage to {} ({} {}{}; {hp_after} HP left)",
                name(*target),
                damage_dice(damage),
                damage.total,
                if *halved { ", halved" } else { "" }
            ),
            GameEvent::Healed {
                target,
                source,
                roll,
                healed,
                hp_after,
            } => format!(
                "{source} heals {} {healed} HP ({} {}; {hp_after} HP now)",
                name(*target),
                damage_dice(roll),
                roll.total
            ),
            GameEvent::EffectStarted {
                target,
                source,
                what,
            } => format!("{} — {what} ({source})", name(*target)),
            GameEvent::EffectEnded {
                target,
                source,
                what,
            } => format!("{} is no longer {what} ({source} ends)", name(*target)),
            GameEvent::ConcentrationEnded {
                caster,
                spell,
                reason,
            } => format!("{} stops concentrating on {spell}: {reason}", name(*caster)),
            GameEvent::Shifted { target, to, how } => format!("{} {how} to {to}", name(*target)),
            GameEvent::WeaponMoved { caster, weapon, to } => {
                format!("{}'s {weapon} flies to {to}", name(*caster))
            }
            GameEvent::ZoneStarted {
                caster,
                source,
                squares,
            } => format!(
                "{}'s {source} fills {} squares",
                name(*caster),
                squares.len()
            ),
            GameEvent::ZoneEnded { caster, source } => {
                format!("{}'s {source} is gone", name(*caster))
            }
            GameEvent::AbilityCheck {
                actor,
                what,
                ability,
                roll,
            } => format!(
                "{} makes a {ability:?} check to {what}: d20 {} {:+} = {} vs DC {} — {}",
                name(*actor),
                roll.d20.natural,
                roll.bonus,
                roll.total,
                roll.dc.unwrap_or_default(),
                if roll.success { "success" } else { "failure" }
            ),
            GameEvent::FeatureUsed { actor, feature } => format!("{} uses {feature}", name(*actor)),
            GameEvent::Contest {
                actor,
                target,
                what,
                actor_roll,
                target_roll,
                won,
            } => format!(
                "{} tries to {what} {}: {} ({} {:+}) against {} ({} {:+}) — {}",
                name(*actor),
                name(*target),
                actor_roll.total,
                actor_roll.d20.natural,
                actor_roll.bonus,
                target_roll.total,
                target_roll.d20.natural,
                target_roll.bonus,
                if *won { "success" } else { "failure" }
            ),
            GameEvent::Story(s) => s.describe(name),
            GameEvent::ReactionOffered {
                reactor,
                attacker,
                offer,
                roll,
                seconds,
            } => match roll {
                Some(roll) => format!(
                    "{}'s attack hits {} ({} vs AC {}): cast {offer} as a reaction? ({seconds} s)",
                    name(*attacker),
                    name(*reactor),
                    roll.total,
                    roll.ac
                ),
                None => format!(
                    "{} leaves {}'s reach: make {offer}? ({seconds} s)",
                    name(*attacker),
                    name(*reactor),
                ),
            },
        }
    }
}

/// The dice of a roll as players read them: `[3, 5] +2 = 10`.
fn damage_dice(roll: &DiceRoll) -> String {
    let dice: Vec<String> = roll.dice.iter().map(|(_, v)| v.to_string()).collect();
    let modifier = if roll.modifier == 0 {
        String::new()
    } else {
        format!(" {:+}", roll.modifier)
    };
    format!("[{}]{modifier} =", dice.join(", "))
}
