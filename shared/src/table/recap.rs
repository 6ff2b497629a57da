//! Recaps: the story so far, built from the table's own state (the event ring may have
//! forgotten the start), and what happened while a player was away — told to one seat when
//! it joins, to anyone who asks, or to everyone at the host's word.

use super::{CombatantId, Table};
use crate::event::{Audience, CombatOutcome, GameEvent};
use crate::story::StoryEvent;

/// At most this many things are told of the time a player was away.
const AWAY_LINES: usize = 8;

impl Table {
    /// The built-in recap of the story so far, from the table's own state (the event ring
    /// may have forgotten the start): the scenes the party went through, where it is, how the
    /// party stands, and what it carries of note.
    pub fn recap_text(&self) -> String {
        let mut parts = Vec::new();
        if let Some(adv) = self.adventure.as_ref() {
            let name = |id: &String| {
                adv.scenes
                    .get(id)
                    .map_or(id.clone(), |s| s.def.name.clone())
            };
            let mut seen: Vec<String> = Vec::new();
            for id in &adv.path {
                let n = name(id);
                if !seen.contains(&n) {
                    seen.push(n);
                }
            }
            let here = name(&adv.scene);
            seen.retain(|n| *n != here);
            if seen.is_empty() {
                parts.push(format!("{}: the party stands in {here}.", adv.name));
            } else {
                parts.push(format!(
                    "{}: the party came through {} and now stands in {here}.",
                    adv.name,
                    seen.join(", ")
                ));
            }
            let won = adv
                .scenes
                .values()
                .filter(|s| s.visited && s.resolved && !s.def.foes.is_empty())
                .count();
            if won > 0 {
                parts.push(format!(
                    "{won} {} won.",
                    if won == 1 { "fight" } else { "fights" }
                ));
            }
        } else {
            parts.push(format!("{}.", self.encounter_name));
        }
        let party: Vec<String> = self
            .combatants
            .iter()
            .filter(|c| c.is_pc)
            .map(|c| {
                if c.is_dead() {
                    format!("{} has fallen", c.name)
                } else {
                    format!("{} (level {}, {}/{} HP)", c.name, c.level, c.hp, c.max_hp)
                }
            })
            .collect();
        parts.push(format!("The party: {}.", party.join(", ")));
        let gold: u32 = self
            .combatants
            .iter()
            .filter(|c| c.is_pc)
            .map(|c| c.gold)
            .sum();
        let mut gear: Vec<String> = self
            .combatants
            .iter()
            .filter(|c| c.is_pc)
            .flat_map(|c| c.items.iter())
            .filter_map(|i| self.items.get(i))
            .filter(|i| matches!(i.kind, crate::items::ItemKind::Gear))
            .map(|i| i.name.clone())
            .collect();
        gear.sort();
        gear.dedup();
        if gold > 0 || !gear.is_empty() {
            let mut carried = gear;
            if gold > 0 {
                carried.push(format!("{gold} gp"));
            }
            parts.push(format!("They carry {}.", carried.join(", ")));
        }
        if self.combat.is_some() {
            parts.push("A fight is on.".into());
        }
        parts.join(" ")
    }

    /// Tells `audience` the recap.
    pub fn recap(&mut self, audience: Audience, now_ms: u64) {
        let text = self.recap_text();
        self.emit_to(
            now_ms,
            audience,
            GameEvent::Story(StoryEvent::Recap { text }),
        );
    }

    /// Whether the story has moved since the party arrived: a recap on joining says more
    /// than the intro did.
    pub(super) fn story_moved(&self) -> bool {
        let Some(adv) = self.adventure.as_ref() else {
            return false;
        };
        let scene = adv.scenes.get(&adv.scene);
        adv.path.len() > 1
            || adv.ended
            || self.combat.is_some()
            || scene.is_some_and(|s| !s.opened.is_empty() || !s.found.is_empty())
            || self
                .combatants
                .iter()
                .any(|c| c.is_pc && (c.xp > 0 || c.gold > 0 || c.is_dead()))
    }

    /// A player took `seat`: in an adventure under way, the seat is told the story so far
    /// and what happened since it left (if it did, and the log still holds it).
    pub(super) fn recap_on_join(&mut self, seat: &str, now_ms: u64) {
        let left_at = self.away.remove(seat);
        if !self.story_moved() {
            return;
        }
        let mut text = self.recap_text();
        if let Some(seq) = left_at {
            let away = self.while_away(seq);
            if !away.is_empty() {
                text = format!("{text} While you were away: {away}");
            }
        }
        self.emit_to(
            now_ms,
            Audience::Seats(vec![seat.to_string()]),
            GameEvent::Story(StoryEvent::Recap { text }),
        );
    }

    /// What happened at the table since event `seq`, in a few words per thing.
    pub fn while_away(&self, seq: u64) -> String {
        let Some(events) = self.events_since(seq) else {
            return "much happened, longer ago than the table remembers.".into();
        };
        let name = |id: CombatantId| {
            self.combatant(id)
                .map_or_else(|| format!("#{id}"), |c| c.name.clone())
        };
        let mut lines: Vec<String> = Vec::new();
        for e in events.filter(|e| e.audience == Audience::Public) {
            let line = match &e.event {
                GameEvent::Story(StoryEvent::SceneEntered { name: scene, .. }) => {
                    format!("the party went on to {scene}")
                }
                GameEvent::CombatEnded {
                    outcome: CombatOutcome::Victory,
                } => "a fight was won".into(),
                GameEvent::CombatEnded { .. } => "the party was beaten".into(),
                GameEvent::Died { target } => format!("{} died", name(*target)),
                GameEvent::Story(StoryEvent::LeveledUp { actor, level, .. }) => {
                    format!("{} reached level {level}", name(*actor))
                }
                GameEvent::Story(StoryEvent::Found { what, .. }) => format!("{what} was found"),
                GameEvent::Story(StoryEvent::Looted { actor, items, gold }) => {
                    let mut got: Vec<String> = items
                        .iter()
                        .map(|i| self.items.get(i).map_or(i.clone(), |d| d.name.clone()))
                        .collect();
                    if *gold > 0 {
                        got.push(format!("{gold} gp"));
                    }
                    format!("{} took {}", name(*actor), got.join(", "))
                }
                GameEvent::Story(StoryEvent::Experience { each, reason, .. }) => {
                    format!("{reason}: {each} XP each")
                }
                GameEvent::Story(StoryEvent::Rested { long, .. }) => {
                    format!(
                        "the party took a {} rest",
                        if *long { "long" } else { "short" }
                    )
                }
                GameEvent::Story(StoryEvent::Ended { .. }) => "the adventure ended".into(),
                _ => continue,
            };
            if !lines.contains(&line) {
                lines.push(line);
            }
        }
        if lines.is_empty() {
            return String::new();
        }
        let more = lines.len().saturating_sub(AWAY_LINES);
        lines.truncate(AWAY_LINES);
        if more > 0 {
            lines.push(format!("and {more} more"));
        }
        let mut text = lines.join("; ");
        if let Some(first) = text.get(..1) {
            text = format!("{}{}.", first.to_uppercase(), &text[1..]);
        }
        text
    }
}
