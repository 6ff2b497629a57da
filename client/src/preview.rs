//! What the player's own client can preview with the shared rules, before asking the server:
//! the squares within reach on your turn, and what a click on a square means. The server
//! decides; these only make the table responsive and the choices visible.

use crate::net::Mirror;
use emberkeep_shared::content::{AttackKind, Condition};
use emberkeep_shared::prelude::*;

/// Squares the seat's character could reach now, from the replicated state and shared rules.
pub fn my_reach(mirror: &Mirror, me: CombatantId) -> Vec<(GridPos, u32)> {
    let (Some(table), Some(board)) = (&mirror.table, mirror.board()) else {
        return Vec::new();
    };
    let Some(unit) = board.units.iter().find(|u| u.id == me) else {
        return Vec::new();
    };
    if table.active != Some(me) {
        return Vec::new();
    }
    let budget = if table.mode == Mode::Combat {
        table.movement_left
    } else {
        unit.speed
    };
    board.reach(unit, budget).into_iter().collect()
}

/// What clicking `square` means for `me`: attack the foe standing there (the first attack
/// that reaches), or move there along the cheapest path.
pub fn action_for_click(mirror: &Mirror, me: CombatantId, square: GridPos) -> Option<Action> {
    let board = mirror.board()?;
    let (sheet, status) = mirror.combatants.get(&me)?;
    if let Some((target, _)) = mirror.combatants.values().find(|(s, st)| {
        st.pos == square
            && s.side.hostile_to(sheet.side)
            && !st.conditions.contains(&Condition::Dead)
    }) {
        let distance = status.pos.feet_to(square);
        let attack = sheet.attacks.iter().position(|a| match a.kind {
            AttackKind::Melee => distance <= a.reach,
            AttackKind::Ranged => a.range.is_some_and(|r| distance <= r.1),
        })?;
        return Some(Action::Attack {
            target: target.id,
            attack,
        });
    }
    if !my_reach(mirror, me).iter().any(|(p, _)| *p == square) {
        return None;
    }
    let unit = board.units.iter().find(|u| u.id == me)?;
    let path = board
        .map
        .path_to(status.pos, square, |p| board.blocks(unit, p))?;
    Some(Action::Move { path })
}
