//! The built-in narrator: offline, deterministic (the same events give the same words), and
//! varied — several phrasings per kind of result, picked by the event's sequence number.

use emberkeep_shared::event::{CombatOutcome, GameEvent, SeqEvent};
use emberkeep_shared::table::CombatantId;

fn pick<'a>(seq: u64, salt: u64, options: &[&'a str]) -> &'a str {
    // A small integer hash so neighbouring events do not walk the list in step.
    let h =
        (seq.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt.wrapping_mul(0xBF58_476D_1CE4_E5B9)) >> 33;
    options[(h % options.len() as u64) as usize]
}

fn fill(template: &str, a: &str, t: &str, w: &str) -> String {
    template
        .replace("{a}", a)
        .replace("{t}", t)
        .replace("{w}", w)
}

/// Narrates a batch of public events; `name` turns ids into names.
pub fn narrate(events: &[SeqEvent], name: &dyn Fn(CombatantId) -> String) -> String {
    let mut out: Vec<String> = Vec::new();
    for e in events {
        let s = e.seq;
        let line = match &e.event {
            GameEvent::CombatStarted { reason, .. } => {
                let tail = pick(
                    s,
                    1,
                    &[
                        "Blades leave their sheaths.",
                        "Every heartbeat now counts.",
                        "The air turns sharp with the promise of violence.",
                        "There is no more time for talk.",
                    ],
                );
                format!("{reason} {tail}")
            }
            GameEvent::Attacked(a) => {
                let (an, tn) = (name(a.attacker), name(a.target));
                let template = if a.roll.critical {
                    pick(
                        s,
                        2,
                        &[
                            "{a} finds the perfect opening — the {w} strikes {t} with terrible force!",
                            "A devastating blow: {a}'s {w} tears into {t}!",
                            "{t} never sees it coming as {a}'s {w} lands true and deep.",
                        ],
                    )
                } else if a.roll.hit {
                    pick(
                        s,
                        3,
                        &[
                            "{a}'s {w} bites into {t}.",
                            "{a} strikes {t} with the {w}.",
                            "The {w} finds a gap in {t}'s guard.",
                            "{t} reels as {a}'s {w} connects.",
                            "With a grunt, {a} lands the {w} on {t}.",
                        ],
                    )
                } else {
                    pick(
                        s,
                        4,
                        &[
                            "{t} twists aside from {a}'s {w}.",
                            "{a}'s {w} whistles past {t}.",
                            "{t} turns the {w} away at the last instant.",
                            "{a} lunges with the {w}, but {t} is not there anymore.",
                        ],
                    )
                };
                let mut line = fill(template, &an, &tn, &a.attack.to_lowercase());
                if a.opportunity {
                    line = format!("As {tn} breaks away, {line}");
                }
                line
            }
            GameEvent::Downed { target } => fill(
                pick(
                    s,
                    5,
                    &[
                        "{t} collapses, senseless.",
                        "{t} crumples to the ground, barely breathing.",
                        "{t} falls and does not rise.",
                    ],
                ),
                "",
                &name(*target),
                "",
            ),
            GameEvent::Died { target } => fill(
                pick(
                    s,
                    6,
                    &[
                        "{t} crumples and moves no more.",
                        "{t} falls, and is still.",
                        "That is the end of {t}.",
                        "{t} drops lifeless to the ground.",
                    ],
                ),
                "",
                &name(*target),
                "",
            ),
            GameEvent::Moved { actor, .. } => fill(
                pick(
                    s,
                    7,
                    &[
                        "{a} moves.",
                        "{a} darts across the ground.",
                        "{a} shifts position.",
                        "{a} closes the distance.",
                        "{a} picks a path across the field.",
                    ],
                ),
                &name(*actor),
                "",
                "",
            ),
            GameEvent::Dodged { actor } => fill(
                pick(
                    s,
                    8,
                    &[
                        "{a} raises a guard and watches for the next blow.",
                        "{a} weaves, ready to dodge.",
                        "{a} gives no opening.",
                    ],
                ),
                &name(*actor),
                "",
                "",
            ),
            GameEvent::Dashed { actor, .. } => fill(
                pick(
                    s,
                    9,
                    &[
                        "{a} breaks into a run.",
                        "{a} sprints.",
                        "{a} dashes ahead.",
                    ],
                ),
                &name(*actor),
                "",
                "",
            ),
            GameEvent::Disengaged { actor } => fill(
                pick(
                    s,
                    10,
                    &[
                        "{a} slips carefully out of reach.",
                        "{a} backs away, guard held high.",
                    ],
                ),
                &name(*actor),
                "",
                "",
            ),
            GameEvent::TurnTimedOut { actor } => fill(
                pick(
                    s,
                    11,
                    &[
                        "{a} hesitates, and simply braces.",
                        "Caught in a moment of doubt, {a} holds a defensive stance.",
                    ],
                ),
                &name(*actor),
                "",
                "",
            ),
            GameEvent::ActionDeclared { actor, text } => format!(
                "{} {}",
                name(*actor),
                lower_first(text.trim_start_matches("I ").trim())
            ),
            GameEvent::Stabilised { actor } => format!("{}'s breathing steadies.", name(*actor)),
            GameEvent::DeathSave {
                actor,
                roll: Some(_),
                ..
            } => format!("{} fights for breath.", name(*actor)),
            GameEvent::CombatEnded { outcome } => match outcome {
                CombatOutcome::Victory => pick(
                    s,
                    12,
                    &[
                        "Silence falls. The fight is won.",
                        "The last foe falls; the battle is over.",
                        "It is over. The party stands victorious.",
                    ],
                )
                .to_string(),
                CombatOutcome::Defeat => pick(
                    s,
                    13,
                    &["Darkness takes the party.", "The heroes fall, one by one."],
                )
                .to_string(),
                CombatOutcome::Stopped => "The fighting stops.".to_string(),
            },
            _ => continue,
        };
        out.push(line);
    }
    out.join(" ")
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Whether an event is worth narrating.
pub fn narratable(event: &GameEvent) -> bool {
    matches!(
        event,
        GameEvent::CombatStarted { .. }
            | GameEvent::Attacked(_)
            | GameEvent::Downed { .. }
            | GameEvent::Died { .. }
            | GameEvent::Moved { .. }
            | GameEvent::Dodged { .. }
            | GameEvent::Dashed { .. }
            | GameEvent::Disengaged { .. }
            | GameEvent::TurnTimedOut { .. }
            | GameEvent::ActionDeclared { .. }
            | GameEvent::Stabilised { .. }
            | GameEvent::CombatEnded { .. }
    )
}

/// Whether an event closes a batch to narrate: a turn, a fight's start or end, and outside
/// combat every declared action or move.
pub fn boundary(event: &GameEvent, in_combat: bool) -> bool {
    match event {
        GameEvent::TurnEnded { .. }
        | GameEvent::CombatStarted { .. }
        | GameEvent::CombatEnded { .. } => true,
        GameEvent::ActionDeclared { .. } | GameEvent::Moved { .. } => !in_combat,
        _ => false,
    }
}
