//! Exploring a scene without a human: what a bot (or anyone on autopilot) does next outside
//! combat — use what it has not used, try locks each way once, search once where it stands,
//! then lead the party to an exit it has not taken, preferring scenes not yet visited; while
//! foes stand, walk toward them.

use super::Board;
use crate::grid::GridPos;
use crate::table::{Action, Approach, CombatantId, PointView};
use std::collections::BTreeSet;

/// What an explorer remembers between steps.
#[derive(Debug, Clone, Default)]
pub struct ExploreMemory {
    /// (target, approach) the table refused or that was tried: not tried again.
    pub given_up: BTreeSet<(String, Approach)>,
    /// Squares searched from.
    pub searched: BTreeSet<GridPos>,
}

/// The next exploring action for `me`, if any. `items` is what `me` carries; `points` what
/// the party knows of the scene.
pub fn explore_step(
    board: &Board,
    points: &[PointView],
    items: &[String],
    me: CombatantId,
    memory: &ExploreMemory,
) -> Option<Action> {
    let unit = board.units.iter().find(|u| u.id == me)?;
    let here = unit.pos;
    // Foes in sight: go and fight them.
    if let Some(foe) = board
        .units
        .iter()
        .filter(|u| u.side.hostile_to(unit.side) && !u.dead && u.hp > 0)
        .min_by_key(|u| u.pos.squares_to(here))
    {
        let path = board.walk_toward(me, foe.pos, unit.speed);
        return (!path.is_empty()).then_some(Action::Move { path });
    }
    let near = |p: &PointView| p.at.iter().any(|a| a.feet_to(here) <= 5);
    // Something to do with a point: (point, approach).
    let todo = |p: &PointView| -> Option<Approach> {
        if p.done || p.kind.is_none() {
            return None;
        }
        let open = |a| !memory.given_up.contains(&(p.id.clone(), a));
        match &p.lock {
            Some((key, pick, force)) => {
                if key.as_ref().is_some_and(|k| items.contains(k)) && open(Approach::Use) {
                    Some(Approach::Use)
                } else if pick.is_some() && open(Approach::Pick) {
                    Some(Approach::Pick)
                } else if force.is_some() && open(Approach::Force) {
                    Some(Approach::Force)
                } else {
                    None
                }
            }
            None => open(Approach::Use).then_some(Approach::Use),
        }
    };
    // Search once from each square next to a point of interest, and where it arrives.
    if !memory.searched.contains(&here)
        && (memory.searched.is_empty() || points.iter().any(|p| p.kind.is_some() && near(p)))
    {
        return Some(Action::Search);
    }
    if let Some((p, approach)) = points
        .iter()
        .filter_map(|p| todo(p).map(|a| (p, a)))
        .min_by_key(|(p, _)| distance(p, here))
    {
        if near(p) {
            return Some(Action::Interact {
                target: p.id.clone(),
                approach,
            });
        }
        let path = walk_next_to(board, me, &p.at, unit.speed);
        if !path.is_empty() {
            return Some(Action::Move { path });
        }
    }
    // Then onward: an exit to somewhere new first, the end last resort before going back.
    let exit = points
        .iter()
        .filter(|p| p.kind.is_none())
        .filter(|p| !memory.given_up.contains(&(p.id.clone(), Approach::Use)))
        .min_by_key(|p| (p.visited == Some(true), distance(p, here)))?;
    if near(exit) {
        return Some(Action::Interact {
            target: exit.id.clone(),
            approach: Approach::Use,
        });
    }
    let path = walk_next_to(board, me, &exit.at, unit.speed);
    (!path.is_empty()).then_some(Action::Move { path })
}

fn distance(p: &PointView, from: GridPos) -> u32 {
    p.at.iter().map(|a| a.squares_to(from)).min().unwrap_or(u32::MAX)
}

/// A path (within `budget` feet) toward the nearest open square within 5 ft of `targets`.
pub fn walk_next_to(board: &Board, me: CombatantId, targets: &[GridPos], budget: u32) -> Vec<GridPos> {
    let Some(unit) = board.units.iter().find(|u| u.id == me) else {
        return Vec::new();
    };
    let mut best: Option<Vec<GridPos>> = None;
    let goals: BTreeSet<GridPos> = targets
        .iter()
        .flat_map(|t| std::iter::once(*t).chain(t.neighbours()))
        .filter(|p| board.map.terrain(*p).passable() && !board.occupied(me, *p))
        .collect();
    for goal in goals {
        if goal == unit.pos {
            return Vec::new();
        }
        if let Some(path) = board.map.path_to(unit.pos, goal, |p| board.blocks(unit, p))
            && best.as_ref().is_none_or(|b| path.len() < b.len())
        {
            best = Some(path);
        }
    }
    let mut out = Vec::new();
    let mut spent = 0;
    let mut at = unit.pos;
    for step in best.unwrap_or_default() {
        let cost = board.map.step_cost(at, step).unwrap_or(u32::MAX);
        if spent + cost > budget {
            break;
        }
        spent += cost;
        out.push(step);
        at = step;
    }
    while out.last().is_some_and(|p| board.occupied(me, *p)) {
        out.pop();
    }
    out
}
