//! The adventure's events: scenes entered, things found, used, opened and looted, checks,
//! traps, experience and the ending. They are [`GameEvent::Story`](crate::event::GameEvent)
//! entries: plain data, described for the feed here.

use crate::checks::{CheckRoll, Skill};
use crate::table::CombatantId;
use serde::{Deserialize, Serialize};

/// Something that happened in the adventure outside the combat rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoryEvent {
    /// The party arrived in a scene.
    SceneEntered {
        /// Scene id.
        scene: String,
        /// Its name.
        name: String,
        /// Read aloud.
        description: String,
    },
    /// A hidden point or exit was found.
    Found {
        /// Who found it (none: a trigger revealed it).
        by: Option<CombatantId>,
        /// What ("a loose flagstone").
        what: String,
        /// How ("passive Perception 14", "Investigation 17").
        how: String,
    },
    /// A check rolled against a DC (a lock, a search, runes, a trap).
    Check {
        /// Who rolled.
        actor: CombatantId,
        /// The skill.
        skill: Skill,
        /// For what ("pick the lock of the vault door").
        purpose: String,
        /// The roll.
        roll: CheckRoll,
    },
    /// A point was opened or used.
    Used {
        /// Who.
        actor: CombatantId,
        /// What.
        what: String,
        /// What it says.
        text: String,
    },
    /// Loot was taken.
    Looted {
        /// Who carries it now.
        actor: CombatantId,
        /// Item names.
        items: Vec<String>,
        /// Gold pieces.
        gold: u32,
    },
    /// A trap went off.
    TrapSprung {
        /// Who set it off.
        actor: CombatantId,
        /// The trap.
        trap: String,
    },
    /// The scene says something (a trigger's text).
    Said {
        /// The text.
        text: String,
    },
    /// Experience points for the party.
    Experience {
        /// Each member's share.
        each: u32,
        /// Who got it.
        to: Vec<CombatantId>,
        /// Why ("the goblins are defeated").
        reason: String,
    },
    /// An NPC's attitude changed.
    AttitudeChanged {
        /// The NPC.
        npc: CombatantId,
        /// Now.
        attitude: crate::adventure::Attitude,
    },
    /// The party took an exit to another scene.
    Left {
        /// Who led.
        actor: CombatantId,
        /// The exit.
        exit: String,
    },
    /// The party rested.
    Rested {
        /// A long rest (else short).
        long: bool,
        /// What each character got back.
        notes: Vec<String>,
    },
    /// A character gained a level.
    LeveledUp {
        /// Who.
        actor: CombatantId,
        /// The new level.
        level: u32,
        /// Hit points gained.
        hit_points: i32,
        /// New features.
        features: Vec<String>,
        /// The Hit Die rolled for the hit points: (sides, roll); `None`: the fixed average.
        #[serde(default)]
        rolled: Option<(u32, u32)>,
        /// New spells its player may now choose (Here menu → Learn spells).
        #[serde(default)]
        new_spells: u8,
    },
    /// New spells learned after a level-up (a wizard's spellbook, a cleric's prepared list).
    LearnedSpells {
        /// Who.
        actor: CombatantId,
        /// The spells' names.
        spells: Vec<String>,
    },
    /// A recap of the story so far (asked for by a player or the host).
    Recap {
        /// The text.
        text: String,
    },
    /// The adventure is over.
    Ended {
        /// The ending text.
        text: String,
        /// The whole party died (journals from before this field ended in victory).
        #[serde(default)]
        fallen: bool,
    },
}

impl StoryEvent {
    /// The event's kind, for logs and narrator prompts.
    pub fn kind(&self) -> &'static str {
        match self {
            StoryEvent::SceneEntered { .. } => "scene.entered",
            StoryEvent::Found { .. } => "scene.found",
            StoryEvent::Check { .. } => "scene.check",
            StoryEvent::Used { .. } => "scene.used",
            StoryEvent::Looted { .. } => "scene.looted",
            StoryEvent::TrapSprung { .. } => "scene.trap",
            StoryEvent::Said { .. } => "scene.said",
            StoryEvent::Experience { .. } => "party.experience",
            StoryEvent::AttitudeChanged { .. } => "scene.attitude",
            StoryEvent::Left { .. } => "scene.left",
            StoryEvent::Rested { .. } => "party.rested",
            StoryEvent::LeveledUp { .. } => "party.level_up",
            StoryEvent::LearnedSpells { .. } => "party.learned_spells",
            StoryEvent::Recap { .. } => "adventure.recap",
            StoryEvent::Ended { .. } => "adventure.ended",
        }
    }

    /// A line for the feed.
    pub fn describe(&self, name: &dyn Fn(CombatantId) -> String) -> String {
        match self {
            StoryEvent::SceneEntered {
                name: scene,
                description,
                ..
            } => format!("— {scene} — {description}"),
            StoryEvent::Found { by, what, how } => match by {
                Some(by) => format!("{} finds {what} ({how})", name(*by)),
                None => format!("Revealed: {what}"),
            },
            StoryEvent::Check {
                actor,
                skill,
                purpose,
                roll,
            } if roll.dc.is_none() => format!(
                "{} tries to {purpose}: {} check {} ({} {:+}) — nothing to find",
                name(*actor),
                skill.name(),
                roll.total,
                roll.d20.natural,
                roll.bonus,
            ),
            StoryEvent::Check {
                actor,
                skill,
                purpose,
                roll,
            } => format!(
                "{} tries to {purpose}: {} check {} ({} {:+}) against DC {} — {}",
                name(*actor),
                skill.name(),
                roll.total,
                roll.d20.natural,
                roll.bonus,
                roll.dc.unwrap_or(0),
                if roll.success { "success" } else { "failure" }
            ),
            StoryEvent::Used { actor, what, text } => {
                if text.is_empty() {
                    format!("{} uses {what}", name(*actor))
                } else {
                    format!("{} uses {what}: {text}", name(*actor))
                }
            }
            StoryEvent::Looted { actor, items, gold } => {
                let mut parts = items.clone();
                if *gold > 0 {
                    parts.push(format!("{gold} gp"));
                }
                format!("{} takes {}", name(*actor), parts.join(", "))
            }
            StoryEvent::TrapSprung { actor, trap } => {
                format!("{} sets off {trap}!", name(*actor))
            }
            StoryEvent::Said { text } => text.clone(),
            StoryEvent::Experience { each, to, reason } => format!(
                "{reason}: {each} XP each for {}",
                to.iter().map(|id| name(*id)).collect::<Vec<_>>().join(", ")
            ),
            StoryEvent::AttitudeChanged { npc, attitude } => {
                format!(
                    "{} is now {}",
                    name(*npc),
                    format!("{attitude:?}").to_lowercase()
                )
            }
            StoryEvent::Left { actor, exit } => {
                format!("{} leads the party: {exit}", name(*actor))
            }
            StoryEvent::Rested { long, notes } => {
                let kind = if *long { "long" } else { "short" };
                if notes.is_empty() {
                    format!("The party takes a {kind} rest.")
                } else {
                    format!("The party takes a {kind} rest: {}.", notes.join("; "))
                }
            }
            StoryEvent::LeveledUp {
                actor,
                level,
                hit_points,
                features,
                rolled,
                new_spells,
            } => {
                let how = rolled.map_or(String::new(), |(sides, roll)| {
                    format!(", rolled {roll} on the d{sides}")
                });
                let mut text = format!(
                    "{} reaches level {level} (+{hit_points} hit points{how})",
                    name(*actor)
                );
                if !features.is_empty() {
                    text.push_str(&format!(": {}", features.join(", ")));
                }
                if *new_spells > 0 {
                    text.push_str(&format!(
                        "; {new_spells} new spell(s) to choose (Here menu → Learn spells)"
                    ));
                }
                text
            }
            StoryEvent::LearnedSpells { actor, spells } => {
                format!("{} learns {}", name(*actor), spells.join(", "))
            }
            StoryEvent::Recap { text } => format!("Previously: {text}"),
            StoryEvent::Ended {
                text,
                fallen: false,
            } => format!("The adventure ends. {text}"),
            StoryEvent::Ended { text, fallen: true } => {
                format!("The adventure ends: the party has fallen. {text}")
            }
        }
    }
}
