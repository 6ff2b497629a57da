//! Checks a model's narration against the table before anyone sees it.
//!
//! A model narrates what the rules decided, but it may still claim what they did not: a
//! living foe "falls dead", "the crypt is cleared" while four skeletons stand, "the battle is
//! won" mid-fight (perhaps because a player's text asked it to). Each sentence is checked
//! against [`Facts`] drawn from the table and the events being narrated; one that declares a
//! death, a victory, a defeat or the end of the fight the rules did not produce is rejected,
//! and the caller falls back to the built-in narration for that turn.
//!
//! The checks are word-level heuristics, tuned to miss no plain claim: a false alarm costs a
//! built-in narration, a missed one publishes a lie.
//!
//! Streaming: a [`Gate`] holds streamed text back and releases it one whole sentence at a
//! time, each checked before it goes out; so no client ever sees an unchecked sentence.
//! When a sentence fails, nothing more of that answer is released and the finished
//! `Narration` event carries the built-in text, which replaces what the client assembled
//! from the chunks (sentences that passed, and only those, were shown meanwhile).

use emberkeep_shared::event::{CombatOutcome, GameEvent, SeqEvent};
use emberkeep_shared::prelude::*;

/// What is true at the table, for judging a narration.
#[derive(Debug, Clone)]
pub struct Facts {
    people: Vec<Person>,
    /// Someone is dead (per the table, or a `Died` among the narrated events).
    anyone_dead: bool,
    /// How the narrated events ended the fight, if they did.
    ended: Option<CombatOutcome>,
    /// A foe is still alive (hidden ones too: the crypt is not cleared while one lurks).
    foes_alive: bool,
    /// A party member is still conscious.
    party_up: bool,
}

#[derive(Debug, Clone)]
struct Person {
    /// Lower-case words that name it: its name's words and its kind (`goblin`).
    words: Vec<String>,
    foe: bool,
    dead: bool,
}

/// Words for a foe or the party as a whole.
const FOE_WORDS: &[&str] = &["foe", "foes", "enemy", "enemies", "monster", "monsters"];
const PARTY_WORDS: &[&str] = &["party", "hero", "heroes", "adventurers", "companions"];
/// Name words that say nothing about who is meant.
const NAME_STOP: &[&str] = &["the", "of", "and", "brother", "sister"];

/// Words and phrases that declare a death.
const DEATH_WORDS: &[&str] = &[
    "dead", "dies", "died", "slain", "slays", "killed", "kills", "perishes", "perished",
    "lifeless", "deceased",
];
const DEATH_PHRASES: &[&str] = &[
    "moves no more",
    "breathes no more",
    "breathes its last",
    "breathes his last",
    "breathes her last",
    "breathes their last",
    "is no more",
    "are no more",
    "never rises again",
    "never rise again",
];
/// After `dead`, these keep it predicative ("falls dead and ..."); any other word makes it an
/// adjective of something else ("the dead horses", "the restless dead stir").
const AFTER_DEAD: &[&str] = &[
    "and", "as", "at", "on", "in", "before", "beside", "by", "while", "with", "to", "upon",
    "against", "among", "beneath", "under", "into", "now", "already", "where", "its", "his", "her",
    "their",
];
/// Words that, with "last", "all" or "every" and a foe, say the foes are finished.
const FINISHED_WORDS: &[&str] = &[
    "fallen",
    "defeated",
    "vanquished",
    "routed",
    "falls",
    "fall",
    "destroyed",
    "beaten",
];
const VICTORY_WORDS: &[&str] = &["victory", "victorious", "triumphant", "triumph"];
const VICTORY_PHRASES: &[&str] = &[
    "is won",
    "are won",
    "has been won",
    "won the",
    "wins the",
    "win the",
    "cleared",
    "no foes",
    "no enemies",
    "no foe",
    "no enemy",
    "none remain",
    "none remains",
    "none left",
    "no one left",
    "nobody left",
];
const END_PHRASES: &[&str] = &[
    "battle is over",
    "fight is over",
    "combat is over",
    "fighting is over",
    "battle ends",
    "fight ends",
    "combat ends",
    "battle has ended",
    "fight has ended",
    "combat has ended",
    "battle is done",
    "fight is done",
    "fighting stops",
    "fighting ends",
    "battle is at an end",
    "fight is at an end",
];
const DEFEAT_PHRASES: &[&str] = &[
    "party falls",
    "heroes fall",
    "party has fallen",
    "heroes have fallen",
    "party is defeated",
    "heroes are defeated",
    "party is slain",
    "heroes are slain",
    "party is wiped",
    "all is lost",
    "darkness takes the party",
    "darkness takes the heroes",
];

impl Facts {
    /// The facts for narrating `events` at `table` (the table as it stands now).
    pub fn new(table: &Table, events: &[SeqEvent]) -> Facts {
        let died: Vec<CombatantId> = events
            .iter()
            .filter_map(|e| match e.event {
                GameEvent::Died { target } => Some(target),
                _ => None,
            })
            .collect();
        let ended = events.iter().find_map(|e| match &e.event {
            GameEvent::CombatEnded { outcome } => Some(*outcome),
            _ => None,
        });
        let people: Vec<Person> = table
            .combatants
            .iter()
            .map(|c| {
                let mut words: Vec<String> = words(&c.name)
                    .into_iter()
                    .filter(|w| {
                        w.len() >= 3
                            && !w.bytes().all(|b| b.is_ascii_digit())
                            && !NAME_STOP.contains(&w.as_str())
                    })
                    .collect();
                words.extend(words_of_kind(&c.source));
                Person {
                    words,
                    foe: c.side == Side::Foe,
                    dead: c.is_dead() || died.contains(&c.id),
                }
            })
            .collect();
        Facts {
            anyone_dead: people.iter().any(|p| p.dead),
            foes_alive: people.iter().any(|p| p.foe && !p.dead),
            party_up: table
                .combatants
                .iter()
                .any(|c| c.side == Side::Party && c.is_conscious() && !died.contains(&c.id)),
            people,
            ended,
        }
    }

    /// Checks one sentence; `Err` says what it claims that the rules did not produce.
    pub fn check(&self, sentence: &str) -> Result<(), String> {
        let tokens = words(sentence);
        if tokens.is_empty() {
            return Ok(());
        }
        let joined = format!(" {} ", tokens.join(" "));
        let has = |phrases: &[&str]| phrases.iter().any(|p| joined.contains(&format!(" {p} ")));
        let any = |list: &[&str]| tokens.iter().any(|t| list.contains(&t.as_str()));
        let mentioned: Vec<&Person> = self
            .people
            .iter()
            .filter(|p| {
                tokens.iter().any(|t| {
                    p.words.iter().any(|w| names(w, t))
                        || (p.foe && FOE_WORDS.contains(&t.as_str()))
                        || (!p.foe && PARTY_WORDS.contains(&t.as_str()))
                })
            })
            .collect();
        let foe_mentioned = mentioned.iter().any(|p| p.foe);
        let death = has(DEATH_PHRASES)
            || tokens.iter().enumerate().any(|(i, t)| {
                if t == "dead" {
                    // "the long dead" / "the dead horses" are not claims about anyone here.
                    let before = i.checked_sub(1).map(|j| tokens[j].as_str());
                    let after = tokens.get(i + 1).map(String::as_str);
                    before != Some("long")
                        && after.is_none_or(|a| {
                            AFTER_DEAD.contains(&a)
                                || mentioned
                                    .iter()
                                    .any(|p| p.words.iter().any(|w| names(w, a)))
                        })
                } else {
                    DEATH_WORDS.contains(&t.as_str())
                }
            });
        if death {
            let true_of_someone = if mentioned.is_empty() {
                self.anyone_dead
            } else {
                mentioned.iter().any(|p| p.dead)
            };
            if !true_of_someone {
                return Err("it declares a death the rules did not produce".into());
            }
        }
        let quantified = any(&["last", "all", "every"]) && foe_mentioned;
        let victory = any(VICTORY_WORDS)
            || has(VICTORY_PHRASES)
            || (quantified && (death || any(FINISHED_WORDS)));
        if victory && self.ended != Some(CombatOutcome::Victory) && self.foes_alive {
            return Err("it declares a victory the rules did not produce".into());
        }
        if has(END_PHRASES) && self.ended.is_none() && self.foes_alive && self.party_up {
            return Err("it declares the fight over, and the rules did not end it".into());
        }
        if has(DEFEAT_PHRASES) && self.ended != Some(CombatOutcome::Defeat) && self.party_up {
            return Err("it declares the party defeated, and the rules did not".into());
        }
        Ok(())
    }
}

/// Lower-case words of `text` (letters and digits; anything else separates).
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The words of a creature kind id (`giant-rat` → `giant`, `rat`); the last one names it.
fn words_of_kind(kind: &str) -> Vec<String> {
    words(kind).into_iter().filter(|w| w.len() >= 3).collect()
}

/// Whether `token` is `word` or a plural of it (goblins, wolves, foxes).
fn names(word: &str, token: &str) -> bool {
    token == word
        || token.strip_suffix('s') == Some(word)
        || token.strip_suffix("es") == Some(word)
        || word
            .strip_suffix('f')
            .is_some_and(|stem| token.strip_suffix("ves") == Some(stem))
}

/// Holds streamed text back and releases it a whole, checked sentence at a time.
#[derive(Debug, Default)]
pub struct Gate {
    pending: String,
    released: String,
}

impl Gate {
    /// Adds a streamed piece. Returns the text released by it (whole sentences that passed,
    /// possibly empty), or why the first failing sentence was rejected.
    pub fn push(&mut self, piece: &str, facts: &Facts) -> Result<String, String> {
        self.pending.push_str(piece);
        let mut out = String::new();
        while let Some(cut) = sentence_end(&self.pending) {
            let sentence: String = self.pending.drain(..cut).collect();
            facts.check(&sentence)?;
            self.released.push_str(&sentence);
            out.push_str(&sentence);
        }
        Ok(out)
    }

    /// The answer is complete: checks and releases the rest.
    pub fn finish(&mut self, facts: &Facts) -> Result<String, String> {
        let rest = std::mem::take(&mut self.pending);
        facts.check(&rest)?;
        self.released.push_str(&rest);
        Ok(rest)
    }

    /// Everything released so far (checked, whole sentences, except after `finish`).
    pub fn released(&self) -> &str {
        &self.released
    }
}

/// The byte index just past the first whole sentence of `text`: a `.`, `!` or `?` (with any
/// closing quotes or brackets) followed by white space. `None` until that space has arrived.
fn sentence_end(text: &str) -> Option<usize> {
    let mut chars = text.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if !matches!(c, '.' | '!' | '?') {
            continue;
        }
        while let Some(&(_, next)) = chars.peek() {
            if matches!(next, '.' | '!' | '?' | '"' | '\'' | '”' | '’' | ')' | ']') {
                chars.next();
            } else {
                break;
            }
        }
        if let Some(&(i, next)) = chars.peek()
            && next.is_whitespace()
        {
            return Some(i);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(name: &str, kind: &str, foe: bool, dead: bool) -> Person {
        let mut words: Vec<String> = words(name)
            .into_iter()
            .filter(|w| w.len() >= 3 && !NAME_STOP.contains(&w.as_str()))
            .collect();
        words.extend(words_of_kind(kind));
        Person { words, foe, dead }
    }

    /// Four goblins alive (Grik dead if `grik_dead`), a party standing, no fight's end.
    fn ambush(grik_dead: bool) -> Facts {
        let people = vec![
            person("Brakka Ironhand", "fighter", false, false),
            person("Lia Quickfingers", "rogue", false, false),
            person("Grik the goblin", "goblin", true, grik_dead),
            person("Snaga the goblin", "goblin", true, false),
            person("Skeleton 2", "skeleton", true, false),
        ];
        Facts {
            anyone_dead: grik_dead,
            foes_alive: true,
            party_up: true,
            people,
            ended: None,
        }
    }

    #[test]
    fn false_claims_are_rejected() {
        let f = ambush(false);
        for s in [
            "The last goblin falls dead and the battle is won!",
            "Grik dies.",
            "Snaga the goblin is slain.",
            "Lia kills Snaga with one thrust.",
            "The goblins lie dead.",
            "Brakka falls dead.",
            "The crypt is cleared.",
            "Victory!",
            "The battle is over.",
            "All the goblins are defeated.",
            "Darkness takes the party.",
            "Grik breathes his last.",
            "The dead goblin twitches.",
            "Skeletons crumble, destroyed, and no foes remain.",
        ] {
            assert!(f.check(s).is_err(), "{s}");
        }
    }

    #[test]
    fn true_and_harmless_sentences_pass() {
        let f = ambush(false);
        for s in [
            "Goblins burst from the brush, howling.",
            "Brakka's longsword bites into Grik.",
            "Grik leaps over the dead horses.",
            "The restless dead stir in the dark.",
            "The undead skeleton rattles forward.",
            "Bones of the long dead crunch underfoot.",
            "The battle is far from over.",
            "The last goblin arrow whistles past.",
            "",
        ] {
            assert_eq!(f.check(s), Ok(()), "{s}");
        }
        let f = ambush(true);
        assert_eq!(f.check("Grik falls dead."), Ok(()));
        assert_eq!(f.check("The goblin dies with a gurgle."), Ok(()));
        assert!(f.check("Snaga dies.").is_err());
        assert!(f.check("The last goblin falls dead.").is_err());
        let won = Facts {
            ended: Some(CombatOutcome::Victory),
            ..ambush(true)
        };
        assert_eq!(
            won.check("The last goblin falls dead and the battle is won!"),
            Ok(())
        );
    }

    #[test]
    fn the_gate_releases_checked_whole_sentences() {
        let f = ambush(false);
        let mut g = Gate::default();
        assert_eq!(g.push("Goblins burst ", &f), Ok(String::new()));
        assert_eq!(g.push("from the brush.", &f), Ok(String::new()));
        assert_eq!(
            g.push(" Arrows fly!\" Grik", &f),
            Ok("Goblins burst from the brush. Arrows fly!\"".into())
        );
        assert_eq!(g.push(" laughs", &f), Ok(String::new()));
        assert_eq!(g.finish(&f), Ok(" Grik laughs".into()));
        assert_eq!(
            g.released(),
            "Goblins burst from the brush. Arrows fly!\" Grik laughs"
        );
        let mut g = Gate::default();
        assert_eq!(g.push("Steel rings. ", &f), Ok("Steel rings.".into()));
        assert!(g.push("Grik dies. More", &f).is_err());
        assert_eq!(g.released(), "Steel rings.");
    }
}
