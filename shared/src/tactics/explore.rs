//! Exploring a scene without a human: what a bot (or anyone on autopilot) does next outside
//! combat — use what it has not used, try locks each way once, search once where it stands,
//! then lead the party to an exit it has not taken, preferring scenes not yet visited; while
//! foes stand, walk toward them.

use super::Board;
use crate::grid::GridPos;
use crate::table::{Action, Approach, Combatant, CombatantId, PointView, level_for};
use std::collections::{BTreeMap, BTreeSet};

/// What an explorer remembers between steps (forget it when the scene changes).
#[derive(Debug, Clone, Default)]
pub struct ExploreMemory {
    /// Rests it proposed or joined since the last fight: a short one, then a long one.
    pub rests: u8,
    /// (target, approach) the table refused or that was tried: not tried again today.
    pub given_up: BTreeSet<(String, Approach)>,
    /// Squares searched from.
    pub searched: BTreeSet<GridPos>,
    /// The table's day (long rests taken) these memories are from.
    pub day: u32,
}

impl ExploreMemory {
    /// Remembers an action sent from `here`: a rest, a search, a way tried.
    pub fn sent(&mut self, action: &Action, here: Option<GridPos>) {
        match action {
            Action::Rest { .. } => self.rests = self.rests.saturating_add(1),
            Action::Search => self.searched.extend(here),
            Action::Interact { target, approach } => {
                self.given_up.insert((target.clone(), *approach));
            }
            _ => {}
        }
    }

    /// A fight began: after it, the party may rest again.
    pub fn fought(&mut self) {
        self.rests = 0;
    }

    /// The table's day is `day`: after a long rest, the table lets every way be tried again.
    pub fn observe_day(&mut self, day: u32) {
        if day != self.day {
            self.day = day;
            self.given_up.clear();
            self.searched.clear();
            self.rests = 0;
        }
    }
}

/// What the party is like, for an explorer deciding to rest.
#[derive(Debug, Clone, Copy, Default)]
pub struct PartyState {
    /// Someone in the party is below half their hit points (or down but alive).
    pub wounded: bool,
    /// A rest is being agreed on: (long, whether this explorer agreed already).
    pub vote: Option<(bool, bool)>,
    /// The scene lets the party rest.
    pub may_rest: bool,
}

/// Armor or a shield `sheet` carries that its class can wear and that would raise its AC the
/// most (the AC as [`crate::items::armor_class`] counts it), if any.
pub fn better_armor(
    sheet: &Combatant,
    items: &BTreeMap<String, crate::items::ItemDef>,
) -> Option<String> {
    use crate::items::{ItemKind, armor_class, armor_proficient};
    let dex = sheet.modifier(crate::content::Ability::Dex);
    let ac_of = |worn: &[&String]| {
        armor_class(worn.iter().filter_map(|w| items.get(*w)), dex).unwrap_or(10 + dex)
    };
    let worn: Vec<&String> = sheet.worn.iter().collect();
    let now = ac_of(&worn);
    sheet
        .items
        .iter()
        .filter_map(|id| Some((id, items.get(id)?)))
        .filter(|(_, def)| {
            matches!(def.kind, ItemKind::Armor { .. } | ItemKind::Shield { .. })
                && armor_proficient(&sheet.class, &def.kind)
        })
        .map(|(id, def)| {
            let body = matches!(def.kind, ItemKind::Armor { .. });
            let mut with: Vec<&String> = worn
                .iter()
                .copied()
                .filter(|w| {
                    items
                        .get(*w)
                        .is_some_and(|d| matches!(d.kind, ItemKind::Armor { .. }) != body)
                })
                .collect();
            with.push(id);
            (ac_of(&with) - now, id)
        })
        .filter(|(gain, _)| *gain > 0)
        .max_by_key(|(gain, id)| (*gain, std::cmp::Reverse((*id).clone())))
        .map(|(_, id)| id.clone())
}

/// The next exploring action for `sheet` (the explorer's own character), if any. `points` is
/// what the party knows of the scene; `items` the game's items (to wear better armor found).
pub fn explore_step(
    board: &Board,
    points: &[PointView],
    sheet: &Combatant,
    book: &BTreeMap<String, crate::items::ItemDef>,
    party: PartyState,
    memory: &ExploreMemory,
) -> Option<Action> {
    if !sheet.is_conscious() {
        return None;
    }
    let me = sheet.id;
    let items = &sheet.items;
    let unit = board.units.iter().find(|u| u.id == me)?;
    let here = unit.pos;
    // Grow: a level when the experience is there (outside a fight, as here).
    if sheet.level < 3 && level_for(sheet.xp) > sheet.level {
        return Some(Action::LevelUp);
    }
    // New spells from the level: the suggestions (the sheet's own choices first).
    if sheet.spell_picks > 0 {
        return Some(crate::table::learning::take_suggestions());
    }
    // Armor found on the way that the class can wear and that protects better.
    if let Some(item) = better_armor(sheet, book) {
        return Some(Action::Equip { item });
    }
    // Agree to the rest the party is settling on.
    if let Some((long, false)) = party.vote {
        return Some(Action::Rest { long });
    }
    let allies: Vec<&super::Unit> = board
        .units
        .iter()
        .filter(|u| u.side == unit.side && !u.dead)
        .collect();
    // A friend down at 0 hit points: a potion, given from beside them.
    if let Some(potion) = items.iter().find(|i| i.starts_with("potion"))
        && let Some(down) = allies
            .iter()
            .filter(|u| u.hp <= 0 && u.id != me)
            .min_by_key(|u| u.pos.squares_to(here))
    {
        if down.pos.feet_to(here) <= 5 {
            return Some(Action::UseItem {
                item: potion.clone(),
                target: Some(down.id),
            });
        }
        let path = walk_next_to(board, me, &[down.pos], unit.speed);
        if !path.is_empty() {
            return Some(Action::Move { path });
        }
    }
    // The party keeps together: the first standing member leads, the others stay close.
    let leader = allies
        .iter()
        .filter(|u| u.hp > 0)
        .map(|u| (u.id, u.pos))
        .min();
    if let Some((lead, at)) = leader
        && lead != me
        && at.squares_to(here) > 3
    {
        let path = walk_next_to(board, me, &[at], unit.speed);
        if !path.is_empty() {
            return Some(Action::Move { path });
        }
    }
    let leading = leader.is_none_or(|(lead, _)| lead == me);
    let close_to_leader = |p: &PointView| {
        leading || leader.is_some_and(|(_, at)| p.at.iter().any(|a| a.squares_to(at) <= 8))
    };
    // Hurt (a fight lost, or won at a cost) and out of a fight: rest before anything else,
    // short while Hit Dice last, then long.
    if (party.wounded || allies.iter().any(|u| u.hp <= 0)) && party.may_rest && memory.rests < 2 {
        return Some(Action::Rest {
            long: sheet.hit_dice_left == 0 || memory.rests > 0,
        });
    }
    // Foes in sight: go and fight them.
    if let Some(foe) = board
        .units
        .iter()
        .filter(|u| u.side.hostile_to(unit.side) && !u.dead && u.hp > 0)
        .min_by_key(|u| u.pos.squares_to(here))
    {
        let path = walk_next_to(board, me, &[foe.pos], unit.speed);
        if !path.is_empty() {
            return Some(Action::Move { path });
        }
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
    // The nearest point with something to do that can be reached (behind a closed door, not).
    let mut todo_points: Vec<(&PointView, Approach)> = points
        .iter()
        .filter(|p| close_to_leader(p))
        .filter_map(|p| todo(p).map(|a| (p, a)))
        .collect();
    todo_points.sort_by_key(|(p, _)| distance(p, here));
    for (p, approach) in todo_points {
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
    // Then onward (the leader's call): an exit to somewhere new first, going back last.
    if !leading {
        return None;
    }
    let mut exits: Vec<&PointView> = points
        .iter()
        .filter(|p| p.kind.is_none())
        .filter(|p| !memory.given_up.contains(&(p.id.clone(), Approach::Use)))
        .collect();
    exits.sort_by_key(|p| (p.visited == Some(true), distance(p, here)));
    for exit in exits {
        if near(exit) {
            return Some(Action::Interact {
                target: exit.id.clone(),
                approach: Approach::Use,
            });
        }
        let path = walk_next_to(board, me, &exit.at, unit.speed);
        if !path.is_empty() {
            return Some(Action::Move { path });
        }
    }
    // Stuck, with a check that failed: sleep on it, and try again in the morning.
    let failed = |p: &PointView| {
        let given_up = |a| memory.given_up.contains(&(p.id.clone(), a));
        match &p.lock {
            Some((_, pick, force)) => {
                (pick.is_some() && given_up(Approach::Pick))
                    || (force.is_some() && given_up(Approach::Force))
            }
            None => given_up(Approach::Use),
        }
    };
    let retry = points
        .iter()
        .any(|p| !p.done && p.kind.is_some() && failed(p));
    (retry && party.may_rest && memory.rests < 2).then_some(Action::Rest { long: true })
}

/// Whether someone in the party is hurt enough to rest: below half their hit points (or down
/// but alive).
pub fn wounded<'a>(party: impl IntoIterator<Item = &'a Combatant>) -> bool {
    party
        .into_iter()
        .any(|c| c.is_pc && !c.is_dead() && c.hp * 2 < c.max_hp)
}

fn distance(p: &PointView, from: GridPos) -> u32 {
    p.at.iter()
        .map(|a| a.squares_to(from))
        .min()
        .unwrap_or(u32::MAX)
}

/// A path (within `budget` feet) toward the nearest open square within 5 ft of `targets`.
pub fn walk_next_to(
    board: &Board,
    me: CombatantId,
    targets: &[GridPos],
    budget: u32,
) -> Vec<GridPos> {
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
    board.within_budget(me, unit.pos, best.unwrap_or_default(), budget)
}

/// When there is nothing known left to do: a step toward the nearest square the party has
/// seen that borders one it has not (fog of war), to find what the scene still hides — the
/// explorer's last resort. `seen` is the table view's squares seen in this scene.
pub fn frontier_step(
    board: &Board,
    me: CombatantId,
    seen: &crate::vision::SquareSet,
    speed: u32,
) -> Option<Action> {
    if seen.width == 0 {
        return None;
    }
    let here = board.units.iter().find(|u| u.id == me)?.pos;
    let mut edge: Vec<GridPos> = (0..seen.height as i32)
        .flat_map(|y| (0..seen.width as i32).map(move |x| GridPos::new(x, y)))
        .filter(|p| seen.contains(*p) && board.map.terrain(*p).passable())
        // Bordering an open square not yet seen (side by side: a rock corner never seen
        // behind two walls is not something to walk to).
        .filter(|p| {
            [(1, 0), (-1, 0), (0, 1), (0, -1)].iter().any(|(dx, dy)| {
                let n = GridPos::new(p.x + dx, p.y + dy);
                board.map.in_bounds(n) && board.map.terrain(n).passable() && !seen.contains(n)
            })
        })
        .collect();
    edge.sort_by_key(|p| (p.squares_to(here), *p));
    for target in edge.into_iter().take(12) {
        if target == here {
            continue;
        }
        let path = walk_next_to(board, me, &[target], speed);
        if !path.is_empty() {
            return Some(Action::Move { path });
        }
    }
    None
}
