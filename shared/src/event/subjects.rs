//! Which creatures an event is about, and the event as the party may hear it (fog of war: an
//! event about creatures the party cannot see is not sent to players).

use super::GameEvent;
use crate::table::CombatantId;

impl GameEvent {
    /// The creatures this event is about (empty for events about the table as a whole:
    /// rounds, joins, pauses, narration).
    pub fn subjects(&self) -> Vec<CombatantId> {
        use GameEvent as E;
        match self {
            E::ActionDeclared { actor, .. }
            | E::Moved { actor, .. }
            | E::SavingThrow { actor, .. }
            | E::Dodged { actor }
            | E::Dashed { actor, .. }
            | E::Disengaged { actor }
            | E::DeathSave { actor, .. }
            | E::Stabilised { actor }
            | E::TurnStarted { actor, .. }
            | E::TurnEnded { actor }
            | E::TurnTimedOut { actor }
            | E::TurnSkipped { actor }
            | E::Saved { actor, .. }
            | E::FeatureUsed { actor, .. }
            | E::AbilityCheck { actor, .. } => vec![*actor],
            E::ConditionAdded { target, .. }
            | E::Downed { target }
            | E::Died { target }
            | E::EffectDamage { target, .. }
            | E::Healed { target, .. }
            | E::EffectStarted { target, .. }
            | E::EffectEnded { target, .. }
            | E::Shifted { target, .. } => vec![*target],
            E::ConcentrationEnded { caster, .. }
            | E::WeaponMoved { caster, .. }
            | E::ZoneStarted { caster, .. }
            | E::ZoneEnded { caster, .. } => vec![*caster],
            E::Attacked(a) => vec![a.attacker, a.target],
            E::SpellCast {
                caster, targets, ..
            } => std::iter::once(*caster)
                .chain(targets.iter().copied())
                .collect(),
            E::ReactionOffered {
                reactor, attacker, ..
            } => vec![*reactor, *attacker],
            E::Contest { actor, target, .. } => vec![*actor, *target],
            E::PlayerJoined { .. }
            | E::PlayerLeft { .. }
            | E::CombatStarted { .. }
            | E::RoundStarted { .. }
            | E::CombatEnded { .. }
            | E::Revealed { .. }
            | E::Whisper { .. }
            | E::HostNarration { .. }
            | E::Paused
            | E::Resumed
            | E::TurnTimeoutChanged { .. }
            | E::Story(_)
            | E::Narration { .. } => Vec::new(),
        }
    }

    /// The event as players may receive it, given whether the party knows where each creature
    /// is: `None` when it is only about creatures the party cannot see; the start of a fight
    /// lists only the creatures the party sees.
    pub fn for_party(&self, sees: impl Fn(CombatantId) -> bool) -> Option<GameEvent> {
        if let GameEvent::CombatStarted {
            reason,
            order,
            turn_timeout_ms,
        } = self
        {
            return Some(GameEvent::CombatStarted {
                reason: reason.clone(),
                order: order
                    .iter()
                    .filter(|e| sees(e.combatant))
                    .cloned()
                    .collect(),
                turn_timeout_ms: *turn_timeout_ms,
            });
        }
        if let GameEvent::Revealed { combatants } = self {
            return Some(GameEvent::Revealed {
                combatants: combatants.iter().copied().filter(|c| sees(*c)).collect(),
            });
        }
        let subjects = self.subjects();
        if subjects.is_empty() || subjects.iter().any(|c| sees(*c)) {
            Some(self.clone())
        } else {
            None
        }
    }
}
