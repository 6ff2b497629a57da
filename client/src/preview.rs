//! What the player's own client can preview with the shared rules, before asking the server:
//! the squares within reach on your turn, and what a click on a square means. The server
//! decides; these only make the table responsive and the choices visible.

use crate::net::Mirror;
use emberkeep_shared::content::{AttackKind, Condition};
use emberkeep_shared::prelude::*;

/// Squares the seat's character could reach now, from the replicated state and shared rules:
/// on its turn in combat, and at any time while exploring (anyone may walk outside combat).
pub fn my_reach(mirror: &Mirror, me: CombatantId) -> Vec<(GridPos, u32)> {
    let (Some(table), Some(board)) = (&mirror.table, mirror.board()) else {
        return Vec::new();
    };
    let Some(unit) = board.units.iter().find(|u| u.id == me) else {
        return Vec::new();
    };
    if table.mode == Mode::Combat && table.active != Some(me) {
        return Vec::new();
    }
    if mirror.combatants.get(&me).is_some_and(|(_, st)| {
        st.conditions.contains(&Condition::Unconscious) || st.conditions.contains(&Condition::Dead)
    }) {
        return Vec::new();
    }
    let budget = if table.mode == Mode::Combat {
        table.movement_left
    } else {
        unit.speed
    };
    board.reach(unit, budget).into_iter().collect()
}

/// The attack (index) `attacker` could use against a creature standing at `target`.
fn attack_reaching(sheet: &CombatantSheet, from: GridPos, target: GridPos) -> Option<usize> {
    let distance = from.feet_to(target);
    sheet.attacks.iter().position(|a| match a.kind {
        AttackKind::Melee => distance <= a.reach,
        AttackKind::Ranged => a.range.is_some_and(|r| distance <= r.1),
    })
}

/// Living foes of `me` that one of its attacks reaches now: (target, attack index), nearest
/// first.
pub fn targets_in_reach(mirror: &Mirror, me: CombatantId) -> Vec<(CombatantId, usize)> {
    let Some((sheet, status)) = mirror.combatants.get(&me) else {
        return Vec::new();
    };
    let mut found: Vec<(u32, CombatantId, usize)> = mirror
        .combatants
        .values()
        .filter(|(s, st)| {
            s.side.hostile_to(sheet.side) && !st.conditions.contains(&Condition::Dead)
        })
        .filter_map(|(s, st)| {
            attack_reaching(sheet, status.pos, st.pos)
                .map(|a| (status.pos.feet_to(st.pos), s.id, a))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, id, a)| (id, a)).collect()
}

/// What clicking `square` means for `me`: attack the foe standing there (the first attack
/// that reaches), or move there along the cheapest path.
pub fn action_for_click(mirror: &Mirror, me: CombatantId, square: GridPos) -> Option<Action> {
    click(mirror, me, square).ok()
}

/// What clicking `square` means for `me`, or why it means nothing — every click either acts
/// or says why it cannot.
pub fn click(mirror: &Mirror, me: CombatantId, square: GridPos) -> Result<Action, String> {
    let (Some(table), Some(board)) = (&mirror.table, mirror.board()) else {
        return Err("Waiting for the table…".into());
    };
    let (sheet, status) = mirror
        .combatants
        .get(&me)
        .ok_or("Your character is not on this map")?;
    if status.conditions.contains(&Condition::Dead) {
        return Err(format!("{} is dead", sheet.name));
    }
    if status.conditions.contains(&Condition::Unconscious) {
        return Err(format!("{} is unconscious and cannot act", sheet.name));
    }
    if table.mode == Mode::Combat && table.active != Some(me) {
        let whose = table.active.map_or_else(
            || "nobody's".to_string(),
            |a| format!("{}'s", mirror.name_of(a)),
        );
        return Err(format!("Wait for your turn: it is {whose} turn"));
    }
    if let Some((target, _)) = mirror.combatants.values().find(|(s, st)| {
        st.pos == square
            && s.side.hostile_to(sheet.side)
            && !st.conditions.contains(&Condition::Dead)
    }) {
        let attack = attack_reaching(sheet, status.pos, square).ok_or_else(|| {
            format!(
                "{} is {} ft away: out of reach of your attacks",
                target.name,
                status.pos.feet_to(square)
            )
        })?;
        return Ok(Action::Attack {
            target: target.id,
            attack,
        });
    }
    if square == status.pos {
        return Err(format!("{} is already there", sheet.name));
    }
    if !board.map.in_bounds(square) {
        return Err("That is off the map".into());
    }
    if !board.map.terrain(square).passable() {
        return Err("That square is a wall".into());
    }
    if mirror
        .combatants
        .values()
        .any(|(_, st)| st.pos == square && !st.conditions.contains(&Condition::Dead))
    {
        return Err("Someone is already standing there".into());
    }
    if !my_reach(mirror, me).iter().any(|(p, _)| *p == square) {
        let left = if table.mode == Mode::Combat {
            table.movement_left
        } else {
            sheet.speed
        };
        return Err(format!(
            "That square is out of reach: {left} ft of movement {}",
            if table.mode == Mode::Combat {
                "left"
            } else {
                "per move"
            }
        ));
    }
    let unit = board
        .units
        .iter()
        .find(|u| u.id == me)
        .ok_or("Your character is not on this map")?;
    board
        .map
        .path_to(status.pos, square, |p| board.blocks(unit, p))
        .map(|path| Action::Move { path })
        .ok_or_else(|| "No path leads there".into())
}

/// What the action bar offers this seat now. Every button is enabled only on the seat's own
/// turn in combat; Move also needs a square within reach, Attack a foe within reach.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActionBar {
    /// The seat's character acts now, in combat: Dodge, Dash, Disengage and End turn.
    pub enabled: bool,
    /// Move: some square is within reach.
    pub can_move: bool,
    /// Attack: foes within reach (target, attack), nearest first.
    pub targets: Vec<(CombatantId, usize)>,
    /// Why the bar is off, for its tooltip.
    pub why_not: Option<String>,
}

/// The action bar for the character `me` plays (`None` for a spectator, host or display).
pub fn action_bar(mirror: &Mirror, me: Option<CombatantId>) -> ActionBar {
    let Some(me) = me else {
        return ActionBar {
            why_not: Some("this seat plays no character".into()),
            ..ActionBar::default()
        };
    };
    let Some(table) = &mirror.table else {
        return ActionBar {
            why_not: Some("waiting for the table".into()),
            ..ActionBar::default()
        };
    };
    if table.mode != Mode::Combat {
        // Exploring: anyone may walk (Move), or describe what they do; turn actions wait.
        return ActionBar {
            can_move: !my_reach(mirror, me).is_empty(),
            why_not: Some("not in combat: walk, or describe what you do".into()),
            ..ActionBar::default()
        };
    }
    if table.active != Some(me) {
        let whose = table.active.map_or_else(
            || "nobody's".to_string(),
            |a| format!("{}'s", mirror.name_of(a)),
        );
        return ActionBar {
            why_not: Some(format!("it is {whose} turn")),
            ..ActionBar::default()
        };
    }
    ActionBar {
        enabled: true,
        can_move: !my_reach(mirror, me).is_empty(),
        targets: targets_in_reach(mirror, me),
        why_not: None,
    }
}
