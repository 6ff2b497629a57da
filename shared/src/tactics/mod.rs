//! Built-in tactics: a legal plan for a combatant's turn from a tactical summary of the table.
//! Used for NPC turns (and as the fallback when the narrator's NPC brain is late or wrong) and
//! by the headless bot.

use crate::content::{AttackDef, AttackKind};
use crate::grid::{GridPos, MapGrid};
use crate::table::{Action, CombatantId, Side};
use serde::{Deserialize, Serialize};

/// One creature as a planner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    /// Id.
    pub id: CombatantId,
    /// Side.
    pub side: Side,
    /// Square.
    pub pos: GridPos,
    /// Hit points.
    pub hp: i32,
    /// Dead.
    pub dead: bool,
    /// Speed in feet.
    pub speed: u32,
    /// Attacks.
    pub attacks: Vec<AttackDef>,
}

/// The table as a planner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Board {
    /// The grid.
    pub map: MapGrid,
    /// Everyone.
    pub units: Vec<Unit>,
    /// The active combatant's movement left.
    pub movement_left: u32,
    /// Whether its action is spent.
    pub action_used: bool,
}

impl Board {
    /// Whether a standing enemy of `mover` is on `p`: movement cannot pass through it.
    pub fn blocks(&self, mover: &Unit, p: GridPos) -> bool {
        self.units.iter().any(|u| {
            u.id != mover.id && !u.dead && u.hp > 0 && u.side.hostile_to(mover.side) && u.pos == p
        })
    }

    /// Whether anyone but `mover` lies on `p`: movement may pass but not stop there.
    pub fn occupied(&self, mover: CombatantId, p: GridPos) -> bool {
        self.units
            .iter()
            .any(|u| u.id != mover && !u.dead && u.pos == p)
    }

    /// Squares `mover` can end a move on with `budget` feet, with their cost.
    pub fn reach(&self, mover: &Unit, budget: u32) -> std::collections::HashMap<GridPos, u32> {
        self.map.reachable(
            mover.pos,
            budget,
            |p| self.blocks(mover, p),
            |p| self.occupied(mover.id, p),
        )
    }

    /// The longest prefix of the shortest path from `me` toward `goal` that costs at most
    /// `budget` feet, stops short of `goal` itself and does not end on anyone. Hostile
    /// creatures are walked around. Empty if there is no way.
    pub fn walk_toward(&self, me: CombatantId, goal: GridPos, budget: u32) -> Vec<GridPos> {
        let Some(unit) = self.unit(me) else {
            return Vec::new();
        };
        let Some(full) = self.map.path_to(unit.pos, goal, |p| self.blocks(unit, p)) else {
            return Vec::new();
        };
        let short_of_goal = full.into_iter().take_while(|step| *step != goal);
        self.within_budget(me, unit.pos, short_of_goal, budget)
    }

    /// The first steps of `path` from `from` that `budget` feet pay for, not ending on anyone.
    pub fn within_budget(
        &self,
        me: CombatantId,
        from: GridPos,
        path: impl IntoIterator<Item = GridPos>,
        budget: u32,
    ) -> Vec<GridPos> {
        let mut out = Vec::new();
        let mut spent = 0;
        let mut at = from;
        for step in path {
            let cost = self.map.step_cost(at, step).unwrap_or(u32::MAX);
            if spent + cost > budget {
                break;
            }
            spent += cost;
            out.push(step);
            at = step;
        }
        while out.last().is_some_and(|p| self.occupied(me, *p)) {
            out.pop();
        }
        out
    }

    fn unit(&self, id: CombatantId) -> Option<&Unit> {
        self.units.iter().find(|u| u.id == id)
    }

    fn can_hit(&self, attack: &AttackDef, from: GridPos, target: GridPos) -> bool {
        let d = from.feet_to(target);
        let in_range = match attack.kind {
            AttackKind::Melee => d <= attack.reach,
            AttackKind::Ranged => d <= attack.range.map_or(0, |r| r.0),
        };
        in_range && self.map.line_of_sight(from, target)
    }
}

/// Plans a turn for `me`: attack the nearest standing enemy if possible, moving into reach
/// first if needed; otherwise close the distance (dashing when nothing else is possible).
pub fn plan_turn(board: &Board, me: CombatantId) -> Vec<Action> {
    let Some(me) = board.unit(me) else {
        return vec![Action::EndTurn];
    };
    let enemies: Vec<&Unit> = board
        .units
        .iter()
        .filter(|u| u.side.hostile_to(me.side) && u.hp > 0 && !u.dead)
        .collect();
    if enemies.is_empty() || board.action_used {
        return vec![Action::EndTurn];
    }
    let blocked = |p: GridPos| board.blocks(me, p);
    let ranged_disadvantaged = |at: GridPos| enemies.iter().any(|e| e.pos.is_adjacent(at));

    // 1. Attack from the square with the best attack (melee preferred), staying put or
    //    moving the least on ties.
    let reach = board.reach(me, board.movement_left);
    let mut squares: Vec<(GridPos, u32)> = reach.into_iter().collect();
    squares.sort_by_key(|(p, c)| (*c, p.y, p.x));
    let mut best: Option<(i32, GridPos, Action)> = None;
    for (square, _) in &squares {
        if let Some((score, action)) =
            scored_attack_from(board, me, &enemies, *square, ranged_disadvantaged(*square))
            && best.as_ref().is_none_or(|(s, _, _)| score > *s)
        {
            best = Some((score, *square, action));
        }
    }
    if let Some((_, square, action)) = best {
        if square == me.pos {
            return vec![action, Action::EndTurn];
        }
        if let Some(path) = board.map.path_to(me.pos, square, blocked) {
            return vec![Action::Move { path }, action, Action::EndTurn];
        }
    }
    // 2. Close in on the nearest enemy: Dash, then move as far as the doubled budget allows.
    let nearest = enemies
        .iter()
        .min_by_key(|e| (e.pos.squares_to(me.pos), e.hp, e.id))
        .expect("non-empty");
    let path = board.walk_toward(me.id, nearest.pos, board.movement_left + me.speed);
    if path.is_empty() {
        return vec![Action::EndTurn];
    }
    vec![Action::Dash, Action::Move { path }, Action::EndTurn]
}

fn scored_attack_from(
    board: &Board,
    me: &Unit,
    enemies: &[&Unit],
    from: GridPos,
    adjacent_enemy: bool,
) -> Option<(i32, Action)> {
    let mut best: Option<(i32, Action)> = None;
    for target in enemies {
        for (i, attack) in me.attacks.iter().enumerate() {
            if !board.can_hit(attack, from, target.pos) {
                continue;
            }
            if attack.kind == AttackKind::Ranged && adjacent_enemy {
                continue;
            }
            // Prefer melee, then the hardest-hitting attack, then the weakest target.
            let melee = if attack.kind == AttackKind::Melee {
                1000
            } else {
                0
            };
            let score = melee + attack.damage.average() * 10 - target.hp;
            if best.as_ref().is_none_or(|(s, _)| score > *s) {
                best = Some((
                    score,
                    Action::Attack {
                        target: target.id,
                        attack: i,
                    },
                ));
            }
        }
    }
    best
}

/// One legal plan offered to the narrator's NPC brain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NpcOption {
    /// What it does, in words ("Attack Brakka Ironhand with Scimitar").
    pub label: String,
    /// The actions, each validated again by the rules when played.
    pub plan: Vec<Action>,
}

/// The legal plans for `me`'s turn: every enemy it can attack this turn with each attack
/// (moving first if needed), closing in with a Dash, the Dodge action, or holding still.
/// `name` turns ids into names for the labels.
pub fn npc_options(
    board: &Board,
    me: CombatantId,
    name: &dyn Fn(CombatantId) -> String,
) -> Vec<NpcOption> {
    let Some(unit) = board.unit(me) else {
        return Vec::new();
    };
    let mut options = Vec::new();
    let enemies: Vec<&Unit> = board
        .units
        .iter()
        .filter(|u| u.side.hostile_to(unit.side) && u.hp > 0 && !u.dead)
        .collect();
    let blocked = |p: GridPos| board.blocks(unit, p);
    let reach = board.reach(unit, board.movement_left);
    let mut squares: Vec<(GridPos, u32)> = reach.into_iter().collect();
    squares.sort_by_key(|(p, c)| (*c, p.y, p.x));
    if !board.action_used {
        for target in &enemies {
            for (i, attack) in unit.attacks.iter().enumerate() {
                let from = squares.iter().find(|(sq, _)| {
                    board.can_hit(attack, *sq, target.pos)
                        && !(attack.kind == AttackKind::Ranged
                            && enemies.iter().any(|e| e.pos.is_adjacent(*sq)))
                });
                let Some((square, _)) = from else { continue };
                let mut plan = Vec::new();
                if *square != unit.pos {
                    let Some(path) = board.map.path_to(unit.pos, *square, blocked) else {
                        continue;
                    };
                    plan.push(Action::Move { path });
                }
                plan.push(Action::Attack {
                    target: target.id,
                    attack: i,
                });
                plan.push(Action::EndTurn);
                options.push(NpcOption {
                    label: format!("Attack {} with {}", name(target.id), attack.name),
                    plan,
                });
            }
        }
        if let Some(nearest) = enemies
            .iter()
            .min_by_key(|e| (e.pos.squares_to(unit.pos), e.id))
        {
            let path = board.walk_toward(me, nearest.pos, board.movement_left + unit.speed);
            if !path.is_empty() {
                options.push(NpcOption {
                    label: format!("Dash toward {}", name(nearest.id)),
                    plan: vec![Action::Dash, Action::Move { path }, Action::EndTurn],
                });
            }
        }
        options.push(NpcOption {
            label: "Take the Dodge action".into(),
            plan: vec![Action::Dodge, Action::EndTurn],
        });
    }
    options.push(NpcOption {
        label: "Hold position".into(),
        plan: vec![Action::EndTurn],
    });
    options
}

pub mod explore;
mod features;
mod spells;
pub use features::{FeaturePlan, feature_plan};
pub use spells::{plan_spells, spell_options, weapon_attack};
