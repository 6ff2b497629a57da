//! Plays a seat with the built-in tactics: the headless bot (demos, tests, load).

use crate::net::{Mirror, TableSession};
use bevy::prelude::*;
use emberkeep_shared::prelude::*;
use emberkeep_shared::tactics::explore::{
    ExploreMemory, PartyState, explore_step, frontier_step, wounded,
};
use emberkeep_shared::tactics::plan_turn;
use std::collections::VecDeque;

/// Bot state.
#[derive(Resource, Debug)]
pub struct AutoPlay {
    /// Whether the bot plays (tests switch it on when they are done steering by hand).
    pub enabled: bool,
    plan: VecDeque<Action>,
    waiting: Option<u32>,
    planned_for: Option<(u32, CombatantId)>,
    last_explore_ms: u64,
    /// The exploring action waiting for its answer, and what the explorer remembers.
    exploring: Option<Action>,
    memory: ExploreMemory,
    /// The scene the memory is about.
    scene: Option<String>,
    /// Actions sent.
    pub sent: u64,
    /// How often it takes an exploring step (ms; a human-like pace by default).
    pub explore_every_ms: u64,
}

impl Default for AutoPlay {
    fn default() -> Self {
        AutoPlay {
            enabled: true,
            plan: VecDeque::new(),
            waiting: None,
            planned_for: None,
            last_explore_ms: 0,
            exploring: None,
            memory: ExploreMemory::default(),
            scene: None,
            sent: 0,
            explore_every_ms: 1000,
        }
    }
}

/// Adds the bot to a client App (with `TableClientPlugin`).
pub struct AutoPlayPlugin;

impl Plugin for AutoPlayPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<AutoPlay>();
        app.add_systems(Update, play);
    }
}

/// The bot's last picture of the table and the [`Mirror::stamp`] it was read at.
#[derive(Default)]
struct Picture {
    stamp: Option<(usize, u32)>,
    mirror: Mirror,
}

fn play(world: &mut World, mut picture: Local<Picture>) {
    // Reading the mirror clones every view; most frames nothing replicated has changed.
    let stamp = Mirror::stamp(world);
    if picture.stamp != Some(stamp) {
        picture.mirror = Mirror::read(world);
        picture.stamp = Some(stamp);
    }
    let mirror = &picture.mirror;
    let now_ms = world.resource::<Time>().elapsed().as_millis() as u64;
    world.resource_scope(|world, mut bot: Mut<AutoPlay>| {
        if !bot.enabled {
            return;
        }
        let mut session = world.resource_mut::<TableSession>();
        let Some(me) = session.seating.as_ref().and_then(|s| s.character) else {
            return;
        };
        if let Some(seq) = bot.waiting {
            if !session.answered(seq) {
                return;
            }
            bot.waiting = None;
            // What it explored is remembered: a search here, a way tried (or refused).
            if let Some(action) = bot.exploring.take() {
                let here = mirror.combatants.get(&me).map(|c| c.1.pos);
                bot.memory.sent(&action, here);
            }
            if session.rejection(seq).is_some() {
                // Our picture was stale or wrong: give up the rest of this plan and end the turn.
                bot.plan.clear();
                bot.plan.push_back(Action::EndTurn);
            }
        }
        let Some(table) = &mirror.table else { return };
        // A reaction the table asks of us: bots always take it (Shield, an opportunity attack).
        if table.reaction.as_ref().is_some_and(|r| r.reactor == me) && bot.waiting.is_none() {
            bot.waiting = Some(session.act(Action::React { take: true }));
            return;
        }
        let Some(board) = mirror.board() else { return };
        let conscious = mirror.combatants.get(&me).is_some_and(|c| c.1.hp > 0);
        match table.mode {
            Mode::Combat if table.active == Some(me) && conscious => {
                // After this fight the party may rest again.
                bot.memory.fought();
                if bot.planned_for != Some((table.round, me)) {
                    bot.planned_for = Some((table.round, me));
                    // The server's own tactics on the rules rebuilt from what we see:
                    // spells when worth it, else move and attack.
                    bot.plan = match mirror.rules() {
                        Some(rules) => rules.plan_for(me).into(),
                        None => plan_turn(&board, me).into(),
                    };
                }
                if let Some(action) = bot.plan.pop_front() {
                    bot.waiting = Some(session.act(action));
                    bot.sent += 1;
                }
            }
            Mode::Exploration
                if !table.ended && now_ms >= bot.last_explore_ms + bot.explore_every_ms =>
            {
                // Explore: use what is there, search, take exits; walk toward foes in sight.
                bot.last_explore_ms = now_ms;
                if bot.scene != table.scene.as_ref().map(|s| s.0.clone()) {
                    bot.scene = table.scene.as_ref().map(|s| s.0.clone());
                    bot.memory = ExploreMemory::default();
                }
                bot.memory.observe_day(table.day);
                let Some(sheet) = mirror.combatants.get(&me).map(|c| c.1.rules.clone()) else {
                    return;
                };
                let party = PartyState {
                    wounded: wounded(mirror.combatants.values().map(|c| &c.1.rules)),
                    vote: table
                        .rest_vote
                        .as_ref()
                        .map(|(long, agreed)| (*long, agreed.contains(&me))),
                    may_rest: table.may_rest,
                };
                let leading = board
                    .units
                    .iter()
                    .filter(|u| u.side == sheet.side && !u.dead && u.hp > 0)
                    .map(|u| u.id)
                    .min()
                    == Some(me);
                let step = explore_step(
                    &board,
                    &table.points,
                    &sheet,
                    &mirror.items,
                    party,
                    &bot.memory,
                )
                .or_else(|| {
                    // Nothing known left to do: the leader looks into the fog.
                    leading
                        .then(|| frontier_step(&board, me, &table.seen, sheet.speed))
                        .flatten()
                });
                if let Some(action) = step {
                    bot.exploring = Some(action.clone());
                    bot.waiting = Some(session.act(action));
                    bot.sent += 1;
                }
            }
            _ => {}
        }
    });
}
