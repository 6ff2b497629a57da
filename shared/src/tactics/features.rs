//! Built-in tactics for class features: Second Wind when badly hurt, Action Surge to attack
//! again, Turn Undead against two or more undead close by, Preserve Life when two allies are
//! below half their hit points, a potion when nearly down, breaking free of webs when no foe
//! is in reach. Each option is checked with [`Table::check_feature`].

use crate::table::{Action, CombatantId, FeatureUse, Table};

/// What the features add to a turn.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeaturePlan {
    /// A bonus action to take first (Second Wind).
    pub bonus: Option<Action>,
    /// An action that replaces the plain plan's (Turn Undead, Preserve Life).
    pub action: Option<Action>,
    /// Action Surge, to repeat the plan's attack.
    pub surge: Option<Action>,
}

/// Whether one of `me`'s attacks reaches a foe from where it stands.
fn can_strike(table: &Table, me: CombatantId) -> bool {
    let Some(c) = table.combatant(me) else {
        return false;
    };
    let attacks = table.attacks_of(me).len();
    table
        .combatants
        .iter()
        .filter(|f| f.side.hostile_to(c.side) && f.is_conscious())
        .any(|f| (0..attacks).any(|i| table.check_attack(me, f.id, i).is_ok()))
}

/// The features `me` uses this turn.
pub fn feature_plan(table: &Table, me: CombatantId) -> FeaturePlan {
    let Some(c) = table.combatant(me) else {
        return FeaturePlan::default();
    };
    let ok = |u: FeatureUse| table.check_feature(me, u).is_ok();
    let mut plan = FeaturePlan::default();
    if c.hp * 2 < c.max_hp && ok(FeatureUse::SecondWind) {
        plan.bonus = Some(Action::Feature(FeatureUse::SecondWind));
    }
    let near = |feet: u32| {
        table
            .combatants
            .iter()
            .filter(move |o| o.pos.feet_to(c.pos) <= feet && !o.is_dead())
    };
    let undead = near(30)
        .filter(|o| o.side.hostile_to(c.side) && o.kind.starts_with("undead") && o.is_conscious())
        .count();
    let hurt = near(30)
        .filter(|o| !o.side.hostile_to(c.side) && o.is_living() && o.hp * 2 < o.max_hp)
        .count();
    // Nearly down: drink a potion rather than trade blows.
    let potion = c.items.first().cloned();
    if c.hp * 4 < c.max_hp
        && let Some(item) = potion
        && table.check_use_item(me, &item, None).is_ok()
    {
        plan.action = Some(Action::UseItem { item, target: None });
    } else if table.check_break_free(me).is_ok() && !can_strike(table, me) {
        // Held by webs with no foe to hit from here: pull free.
        plan.action = Some(Action::BreakFree);
    } else if hurt >= 2 && ok(FeatureUse::PreserveLife) {
        plan.action = Some(Action::Feature(FeatureUse::PreserveLife));
    } else if undead >= 2 && ok(FeatureUse::TurnUndead) {
        plan.action = Some(Action::Feature(FeatureUse::TurnUndead));
    }
    // Action Surge needs the action spent: it is checked when the plan reaches it.
    if c.has_feature(&crate::content::Feature::ActionSurge) && !c.uses.contains_key("Action Surge")
    {
        plan.surge = Some(Action::Feature(FeatureUse::ActionSurge));
    }
    plan
}
