//! The rules on a client: a rules-only [`Table`] rebuilt from the replicated views, so the
//! client's preview and its bots ask the server's own questions.

use super::{
    ActiveZone, CombatState, Combatant, CombatantId, DEFAULT_REACTION_WINDOW_MS,
    DEFAULT_TURN_TIMEOUT_MS, Mode, Table, TurnBudget,
};
use crate::content::CombatStart;
use crate::dice::rng_from_seed;
use crate::grid::MapGrid;
use std::collections::VecDeque;

impl Table {
    /// A rules-only table rebuilt from what a client sees (the replicated views): the same
    /// rules answer the client's preview and its bots as answer the server. It has no log and
    /// rolls nothing the server keeps.
    #[allow(
        clippy::too_many_arguments,
        reason = "one argument per replicated part of the table"
    )]
    pub fn from_view(
        encounter_name: &str,
        map: MapGrid,
        combatants: Vec<Combatant>,
        mode: Mode,
        round: u32,
        order: Vec<CombatantId>,
        active: Option<CombatantId>,
        budget: TurnBudget,
        spells: std::collections::BTreeMap<String, crate::spells::SpellDef>,
        items: std::collections::BTreeMap<String, crate::items::ItemDef>,
        zones: Vec<ActiveZone>,
    ) -> Table {
        // A creature the party cannot see may be acting: it is not in the order players get.
        let mut order = order;
        if let Some(a) = active
            && !order.contains(&a)
        {
            order.push(a);
        }
        let combat = match (
            mode,
            active.and_then(|a| order.iter().position(|o| *o == a)),
        ) {
            (Mode::Combat, Some(index)) => Some(CombatState {
                round,
                order,
                active: index,
                deadline_ms: None,
                budget,
            }),
            _ => None,
        };
        let mut table = Table {
            encounter_id: String::new(),
            encounter_name: encounter_name.into(),
            map,
            combatants,
            mode: if combat.is_some() {
                mode
            } else {
                Mode::Exploration
            },
            combat,
            start: CombatStart::Proximity(0),
            resolved: false,
            turn_timeout_ms: DEFAULT_TURN_TIMEOUT_MS,
            next_seq: 1,
            log: VecDeque::new(),
            paused_since: None,
            spells,
            items,
            pending: None,
            reaction_window_ms: DEFAULT_REACTION_WINDOW_MS,
            zones,
            adventure: None,
            rest_vote: None,
            away: Default::default(),
            judging: None,
            sight: Default::default(),
            seen: Default::default(),
            sight_key: 0,
            rng: rng_from_seed(0),
        };
        // The map's spell terrain comes from the zones, as on the server.
        table.sync_zone_terrain();
        table
    }
}
