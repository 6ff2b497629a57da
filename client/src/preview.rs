//! What the player's own client can preview with the shared rules, before asking the server:
//! the squares within reach on your turn, and what a click on a square means. The server
//! decides; these only make the table responsive and the choices visible.

use crate::net::Mirror;
use emberkeep_shared::adventure::PointKind;
use emberkeep_shared::content::Condition;
use emberkeep_shared::prelude::*;
use emberkeep_shared::table::Approach;

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
        // None while held in place (grappled, restrained by webs): the rules' own board.
        board.movement_left
    } else {
        unit.speed
    };
    board.reach(unit, budget).into_iter().collect()
}

/// Living foes of `me` that one of its attacks ([`Table::attacks_of`]: a spiritual weapon's
/// too) reaches now: (target, attack index), nearest first.
pub fn targets_in_reach(mirror: &Mirror, me: CombatantId) -> Vec<(CombatantId, usize)> {
    let (Some((sheet, status)), Some(rules)) = (mirror.combatants.get(&me), mirror.rules()) else {
        return Vec::new();
    };
    let attacks = rules.attacks_of(me).len();
    let mut found: Vec<(u32, CombatantId, usize)> = mirror
        .combatants
        .values()
        .filter(|(s, st)| {
            s.side.hostile_to(sheet.side) && !st.conditions.contains(&Condition::Dead)
        })
        .filter_map(|(s, st)| {
            (0..attacks)
                .find(|a| rules.check_attack(me, s.id, *a).is_ok())
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
        // The server's own rules decide: reach, range and line of sight.
        let rules = mirror.rules().ok_or("Waiting for the table…")?;
        let mut why = None;
        for attack in 0..rules.attacks_of(me).len() {
            match rules.check_attack(me, target.id, attack) {
                Ok(_) => {
                    return Ok(Action::Attack {
                        target: target.id,
                        attack,
                    });
                }
                Err(r) => {
                    why.get_or_insert(r.reason);
                }
            }
        }
        return Err(why.unwrap_or_else(|| format!("{} cannot be attacked", target.name)));
    }
    // A point of interest or an exit: use it when within 5 ft, else walk up to it.
    if let Some(point) = table.points.iter().find(|p| p.at.contains(&square)) {
        let target =
            |a: &Action| matches!(a, Action::Interact { target, .. } if *target == point.id);
        let mine: Vec<_> = point_choices(mirror, me)
            .into_iter()
            .filter(|(_, a, _)| target(a))
            .collect();
        if let Some((_, action, _)) = mine.iter().find(|(_, _, why)| why.is_none()) {
            return Ok(action.clone());
        }
        if point.at.iter().any(|a| a.feet_to(status.pos) <= 5) {
            return Err(if point.done {
                format!("{} has nothing more to give", point.name)
            } else {
                format!("{}: try the Here menu", point.name)
            });
        }
        let budget = if table.mode == Mode::Combat {
            table.movement_left
        } else {
            sheet.speed
        };
        let path = emberkeep_shared::tactics::explore::walk_next_to(&board, me, &point.at, budget);
        return if path.is_empty() {
            Err(format!("No path leads to {}", point.name))
        } else {
            Ok(Action::Move { path })
        };
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

/// What a chosen spell waits for before it is cast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpellAim {
    /// Nothing: it affects the caster (cast at once from the menu).
    Caster,
    /// A creature (click it); darts and rays all go to the clicked creature.
    Creature,
    /// A square: an area's point or direction, or a teleport's landing.
    Square,
}

/// A spell in the seat's Spells menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpellChoice {
    /// Spell id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Spell level (0: cantrip).
    pub level: u8,
    /// The slot level it would spend (the lowest with a slot left; 0 for cantrips).
    pub slot: u8,
    /// Slots left at that level (cantrips: none needed).
    pub slots_left: u8,
    /// Cast with the bonus action.
    pub bonus: bool,
    /// Needs concentration.
    pub concentration: bool,
    /// What it waits for.
    pub aim: SpellAim,
    /// Why it cannot be cast now (slots, the turn, concentration), if it cannot.
    pub why_not: Option<String>,
    /// The SRD text, for the tooltip.
    pub text: String,
}

fn aim_of(spell: &emberkeep_shared::spells::SpellDef) -> SpellAim {
    use emberkeep_shared::spells::Effect;
    if spell.area.is_some() || spell.effects.iter().any(|e| matches!(e, Effect::Teleport)) {
        SpellAim::Square
    } else if spell.targets == 0 {
        SpellAim::Caster
    } else {
        SpellAim::Creature
    }
}

/// The spells `me` knows, with what each would cost and why it cannot be cast now — the
/// server's own check ([`Table::check_cast_resources`]).
pub fn spell_choices(mirror: &Mirror, me: CombatantId) -> Vec<SpellChoice> {
    let Some(rules) = mirror.rules() else {
        return Vec::new();
    };
    let Some(casting) = rules.combatant(me).and_then(|c| c.casting.clone()) else {
        return Vec::new();
    };
    let mut out: Vec<SpellChoice> = casting
        .spells
        .iter()
        .filter_map(|id| rules.spells.get(id))
        .map(|spell| {
            let slot = if spell.level == 0 {
                0
            } else {
                (spell.level..=9)
                    .find(|l| casting.slots_left(*l) > 0)
                    .unwrap_or(spell.level)
            };
            SpellChoice {
                id: spell.id.clone(),
                name: spell.name.clone(),
                level: spell.level,
                slot,
                slots_left: if slot == 0 {
                    0
                } else {
                    casting.slots_left(slot)
                },
                bonus: spell.casting_time == emberkeep_shared::spells::CastingTime::BonusAction,
                concentration: spell.concentration,
                aim: aim_of(spell),
                why_not: rules
                    .check_cast_resources(me, &spell.id, slot)
                    .err()
                    .map(|r| r.reason),
                text: spell.text.clone(),
            }
        })
        .collect();
    out.sort_by(|a, b| (a.level, &a.name).cmp(&(b.level, &b.name)));
    out
}

/// What `spell` would do aimed at `square` (a creature standing there, or the square itself),
/// as the server's rules plan it: the cast to send, the area's squares and who it catches.
pub fn cast_at(
    mirror: &Mirror,
    me: CombatantId,
    choice: &SpellChoice,
    square: GridPos,
) -> Result<(Action, emberkeep_shared::table::CastPlan), String> {
    let rules = mirror.rules().ok_or("Waiting for the table…")?;
    let spell = rules.spells.get(&choice.id).ok_or("Unknown spell")?;
    let (targets, at) = match choice.aim {
        SpellAim::Caster => (vec![], None),
        SpellAim::Square => (vec![], Some(square)),
        SpellAim::Creature => {
            let who = rules
                .combatants
                .iter()
                .find(|c| c.pos == square && !c.is_dead())
                .ok_or_else(|| format!("Click a creature to cast {} on", spell.name))?;
            (vec![who.id; spell.repeat.max(1) as usize], None)
        }
    };
    let plan = rules
        .check_cast(me, &choice.id, choice.slot, &targets, at)
        .map_err(|r| r.reason)?;
    Ok((
        Action::Cast {
            spell: choice.id.clone(),
            slot: choice.slot,
            targets,
            at,
        },
        plan,
    ))
}

/// The class features and traits `me` may use by choice, each with why it cannot be used now
/// — the server's own check ([`Table::check_feature`]). Only features the character has.
pub fn feature_choices(
    mirror: &Mirror,
    me: CombatantId,
) -> Vec<(emberkeep_shared::table::FeatureUse, Option<String>)> {
    use emberkeep_shared::table::FeatureUse;
    let Some(rules) = mirror.rules() else {
        return Vec::new();
    };
    FeatureUse::ALL
        .into_iter()
        .filter_map(|u| match rules.check_feature(me, u) {
            Ok(()) => Some((u, None)),
            Err(r) if r.code == RejectCode::NotAllowed && r.reason.contains("does not have") => {
                None
            }
            Err(r) => Some((u, Some(r.reason))),
        })
        .collect()
}

/// The consumables `me` carries, one entry per kind: (item id, name, how many, why it cannot be
/// drunk now) — the server's own check ([`Table::check_use_item`]).
pub fn item_choices(
    mirror: &Mirror,
    me: CombatantId,
) -> Vec<(String, String, usize, Option<String>)> {
    let Some(rules) = mirror.rules() else {
        return Vec::new();
    };
    let Some(c) = rules.combatant(me) else {
        return Vec::new();
    };
    let mut ids = c.items.clone();
    ids.sort();
    ids.dedup();
    ids.into_iter()
        .filter_map(|id| {
            let item = rules.items.get(&id)?;
            // Keys and quest items are carried, not used in a fight.
            if !matches!(item.kind, emberkeep_shared::items::ItemKind::Potion { .. }) {
                return None;
            }
            let name = item.name.clone();
            let count = c.items.iter().filter(|i| **i == id).count();
            let why = rules.check_use_item(me, &id, None).err().map(|r| r.reason);
            Some((id, name, count, why))
        })
        .collect()
}

/// The Features menu's intents: hide, shove and grapple the foes within 5 feet, escape a grapple,
/// break free of webs, strike with a spiritual weapon — (the intent, its label) for each the
/// server's rules would accept now ([`Table::check_contest`], [`Table::check_break_free`],
/// [`Table::check_attack`]).
pub fn contest_choices(mirror: &Mirror, me: CombatantId) -> Vec<(Action, String)> {
    let Some(rules) = mirror.rules() else {
        return Vec::new();
    };
    let Some(c) = rules.combatant(me) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for foe in rules
        .combatants
        .iter()
        .filter(|f| f.side.hostile_to(c.side) && rules.check_contest(me, f.id).is_ok())
    {
        out.push((
            Action::Shove {
                target: foe.id,
                prone: true,
            },
            format!("Shove {} prone", foe.name),
        ));
        out.push((
            Action::Shove {
                target: foe.id,
                prone: false,
            },
            format!("Push {} away", foe.name),
        ));
        out.push((
            Action::Grapple { target: foe.id },
            format!("Grapple {}", foe.name),
        ));
    }
    if rules.check_hide(me, false).is_ok() {
        out.push((Action::Hide, "Hide (Stealth, your action)".into()));
    }
    if c.conditions.contains(&Condition::Grappled)
        && !rules.turn_budget().is_some_and(|b| b.action_used)
    {
        out.push((Action::Escape, "Escape the grapple".into()));
    }
    if let Ok(zone) = rules.check_break_free(me) {
        out.push((
            Action::BreakFree,
            format!("Break free of the {}", zone.source),
        ));
    }
    // A spiritual weapon's strike, whatever a click would pick first (a weapon in hand).
    let weapon = c.attacks.len();
    if rules.is_weapon_attack(me, weapon) {
        for foe in rules
            .combatants
            .iter()
            .filter(|f| f.side.hostile_to(c.side) && rules.check_attack(me, f.id, weapon).is_ok())
        {
            out.push((
                Action::Attack {
                    target: foe.id,
                    attack: weapon,
                },
                format!("Spiritual weapon: strike {}", foe.name),
            ));
        }
    }
    out
}

/// What `me` can do with the scene's points and exits: (label, action, why not), in the
/// order the party knows them.
pub fn point_choices(mirror: &Mirror, me: CombatantId) -> Vec<(String, Action, Option<String>)> {
    let (Some(table), Some((_, status))) = (&mirror.table, mirror.combatants.get(&me)) else {
        return Vec::new();
    };
    let here = status.pos;
    let mut out = Vec::new();
    for p in &table.points {
        let near = p.at.iter().any(|a| a.feet_to(here) <= 5);
        let far = (!near).then(|| format!("Walk next to {} first", p.name));
        let act = |approach| Action::Interact {
            target: p.id.clone(),
            approach,
        };
        match (&p.kind, &p.lock) {
            (None, _) => out.push((format!("Go: {}", p.name), act(Approach::Use), far)),
            (Some(_), _) if p.done => {}
            (Some(_), Some((key, pick, force))) => {
                if let Some(k) = key
                    && status.rules.items.contains(k)
                {
                    out.push((
                        format!("Unlock {}", p.name),
                        act(Approach::Use),
                        far.clone(),
                    ));
                }
                if let Some(dc) = pick {
                    out.push((
                        format!("Pick the lock of {} (DC {dc})", p.name),
                        act(Approach::Pick),
                        far.clone(),
                    ));
                }
                if let Some(dc) = force {
                    out.push((
                        format!("Force {} (DC {dc})", p.name),
                        act(Approach::Force),
                        far.clone(),
                    ));
                }
            }
            (Some(PointKind::Trap), None) => {
                out.push((format!("Disarm {}", p.name), act(Approach::Use), far))
            }
            (Some(_), None) if p.on_floor() => {
                out.push((format!("Pick up {}", p.name), act(Approach::Use), far))
            }
            (Some(kind), None) => {
                let verb = match kind {
                    PointKind::Chest => "Open",
                    PointKind::Door => "Open",
                    PointKind::Lever => "Pull",
                    PointKind::Corpse => "Search",
                    _ => "Use",
                };
                out.push((format!("{verb} {}", p.name), act(Approach::Use), far))
            }
        }
    }
    out
}
