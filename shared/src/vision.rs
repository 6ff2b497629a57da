//! What the party sees (SRD 5.1 "Vision and Light"; "Darkvision").
//!
//! The rule as this table plays it:
//! - A creature sees a square when a line of sight reaches it ([`MapGrid::line_of_sight`], the
//!   one answer walls give) within [`SIGHT_CAP_FT`], and the square is lit — bright or dim
//!   light — or lies within the creature's darkvision ("within a specified range … in darkness
//!   as if it were dim light").
//! - A square's light is the map's ambient light, raised by each light source whose light
//!   reaches it in a straight line: bright within its bright radius, dim for its dim radius
//!   beyond.
//! - The party sees what any of its conscious members sees. It knows its own members always; it
//!   knows another creature while that creature stands on a square the party sees and is not
//!   hidden from it (an ambusher not yet noticed, or one that took the Hide action with a
//!   Stealth total above every watching member's passive Perception).
//! - A fight is loud: a creature taking part in the fight under way gives its place away (it
//!   is known wherever it stands) unless it took the Hide action; the dead are quiet.
//! - The squares the party has seen in the current scene stay known (the client draws them
//!   dimmed); creatures in them do not.

use crate::grid::{GridPos, Light, MapGrid};
use crate::table::{CombatantId, Side, Table};
use serde::{Deserialize, Serialize};

/// How far sight reaches on the grid, in feet, however bright the light: 300 ft (60 squares)
/// keeps the cost of a party's view bounded on a 200×200 map.
pub const SIGHT_CAP_FT: u32 = 300;

/// A set of squares of one map as bits, row by row (compact enough to replicate).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SquareSet {
    /// The map's width in squares.
    pub width: u32,
    /// The map's height in squares.
    pub height: u32,
    /// One bit per square, row-major.
    pub bits: Vec<u64>,
}

impl SquareSet {
    /// An empty set for a `width`×`height` map.
    pub fn new(width: u32, height: u32) -> Self {
        let n = (width as usize) * (height as usize);
        SquareSet {
            width,
            height,
            bits: vec![0; n.div_ceil(64)],
        }
    }

    fn index(&self, p: GridPos) -> Option<usize> {
        (p.x >= 0 && p.y >= 0 && (p.x as u32) < self.width && (p.y as u32) < self.height)
            .then(|| p.y as usize * self.width as usize + p.x as usize)
    }

    /// Whether `p` is in the set (off the map: no).
    pub fn contains(&self, p: GridPos) -> bool {
        self.index(p)
            .and_then(|i| self.bits.get(i / 64).map(|w| w >> (i % 64) & 1 == 1))
            .unwrap_or(false)
    }

    /// Adds `p` (ignored off the map).
    pub fn insert(&mut self, p: GridPos) {
        if let Some(i) = self.index(p)
            && let Some(w) = self.bits.get_mut(i / 64)
        {
            *w |= 1 << (i % 64);
        }
    }

    /// Adds every square of `other` (of the same map; a different size replaces this set).
    pub fn union_with(&mut self, other: &SquareSet) {
        if (self.width, self.height) != (other.width, other.height) {
            *self = other.clone();
            return;
        }
        for (a, b) in self.bits.iter_mut().zip(&other.bits) {
            *a |= *b;
        }
    }

    /// How many squares it holds.
    pub fn len(&self) -> usize {
        self.bits.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.bits.iter().all(|w| *w == 0)
    }
}

/// The light on square `p` of `map`.
pub fn light_at(map: &MapGrid, p: GridPos) -> Light {
    let mut light = map.ambient;
    for l in &map.lights {
        if light == Light::Bright {
            break;
        }
        let d = l.at.feet_to(p);
        let here = if d <= l.bright_ft {
            Light::Bright
        } else if d <= l.bright_ft.saturating_add(l.dim_ft) {
            Light::Dim
        } else {
            continue;
        };
        if here > light && map.line_of_sight(l.at, p) {
            light = here;
        }
    }
    light
}

/// Which squares of a map are lit (bright or dim), each worked out on first ask: the party's
/// members share it, so a square's light sources are traced once per recompute.
pub struct LitSquares<'m> {
    map: &'m MapGrid,
    /// Per square: 0 not asked yet, 1 lit, 2 dark (empty when the whole map is bright).
    known: Vec<u8>,
}

impl<'m> LitSquares<'m> {
    /// Nothing asked yet, on `map`.
    pub fn new(map: &'m MapGrid) -> Self {
        let known = if map.ambient == Light::Bright {
            Vec::new()
        } else {
            vec![0; map.width as usize * map.height as usize]
        };
        LitSquares { map, known }
    }

    /// Whether `p`'s light is not [`Light::Dark`] ([`light_at`]).
    pub fn lit(&mut self, p: GridPos) -> bool {
        if self.map.ambient == Light::Bright {
            return true;
        }
        let i = self
            .map
            .in_bounds(p)
            .then(|| p.y as usize * self.map.width as usize + p.x as usize);
        match i.and_then(|i| self.known.get(i).copied()) {
            Some(1) => true,
            Some(2) => false,
            _ => {
                let lit = light_at(self.map, p) != Light::Dark;
                if let Some(k) = i.and_then(|i| self.known.get_mut(i)) {
                    *k = if lit { 1 } else { 2 };
                }
                lit
            }
        }
    }
}

/// Adds to `into` the squares a creature at `from` with `darkvision_ft` sees on `lit`'s map.
pub fn sight_from(from: GridPos, darkvision_ft: u32, into: &mut SquareSet, lit: &mut LitSquares) {
    let map = lit.map;
    let r = (SIGHT_CAP_FT / crate::grid::SQUARE_FEET) as i32;
    let (x0, x1) = (
        from.x.saturating_sub(r).max(0),
        from.x.saturating_add(r).min(map.width as i32 - 1),
    );
    let (y0, y1) = (
        from.y.saturating_sub(r).max(0),
        from.y.saturating_add(r).min(map.height as i32 - 1),
    );
    for y in y0..=y1 {
        for x in x0..=x1 {
            let p = GridPos::new(x, y);
            if into.contains(p) {
                continue;
            }
            let d = from.feet_to(p);
            if d > SIGHT_CAP_FT {
                continue;
            }
            if (d <= darkvision_ft || lit.lit(p)) && map.line_of_sight(from, p) {
                into.insert(p);
            }
        }
    }
}

impl Table {
    /// The squares the party sees now: what any conscious member sees.
    pub fn party_sight(&self) -> SquareSet {
        let mut seen = SquareSet::new(self.map.width, self.map.height);
        let mut lit = LitSquares::new(&self.map);
        for c in self
            .combatants
            .iter()
            .filter(|c| c.side == Side::Party && c.is_conscious())
        {
            sight_from(c.pos, c.darkvision_ft, &mut seen, &mut lit);
        }
        seen
    }

    /// Whether the party knows where `id` is now (see the module's rule), given its sight.
    pub fn party_sees_in(&self, sight: &SquareSet, id: CombatantId) -> bool {
        let Some(c) = self.combatant(id) else {
            return false;
        };
        if c.side == Side::Party {
            return true;
        }
        if c.hidden {
            return false;
        }
        // Sight never computed (a rules-only table): no fog.
        if sight.width == 0 {
            return true;
        }
        // A fight is loud: a creature fighting in it gives its place away, unless it took the
        // Hide action.
        if self.combat.as_ref().is_some_and(|f| f.order.contains(&id))
            && self.stealth_of(id).is_none()
            && !c.is_dead()
        {
            return true;
        }
        if !sight.contains(c.pos) {
            return false;
        }
        // Hiding: seen if some conscious member who sees the square notices it.
        match self.stealth_of(id) {
            None => true,
            Some(_) => self.combatants.iter().any(|m| {
                m.side == Side::Party
                    && m.is_conscious()
                    && !self.hidden_from(id, m.id)
                    && self.map.line_of_sight(m.pos, c.pos)
            }),
        }
    }

    /// Whether `t` is unknown to a creature of `side`: hostile to it and either not yet noticed
    /// (an ambusher) or, for the party, out of its sight. The rules answer an action aimed at
    /// such a creature exactly as one aimed at a creature that does not exist.
    pub fn unknown_to(&self, side: Side, t: &crate::table::Combatant) -> bool {
        t.side.hostile_to(side) && (t.hidden || (side == Side::Party && !self.party_sees(t.id)))
    }

    /// Whether the party knows where `id` is now, with its current sight ([`Table::sight`]).
    pub fn party_sees(&self, id: CombatantId) -> bool {
        self.party_sees_in(&self.sight, id)
    }

    /// Recomputes the party's sight, adding it to what it has seen in this scene. Returns
    /// whether it changed. The server calls it before it publishes the table.
    pub fn update_sight(&mut self) -> bool {
        // Recomputed only when what it depends on changed (a tick where nothing moved is
        // free): the map, its light, and where each party member stands and whether it looks.
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (self.map.width, self.map.height).hash(&mut h);
        self.map.cells.hash(&mut h);
        self.map.ambient.hash(&mut h);
        self.map.lights.hash(&mut h);
        self.map.walls.hash(&mut h);
        for c in self.combatants.iter().filter(|c| c.side == Side::Party) {
            (c.id, c.pos, c.is_conscious(), c.darkvision_ft).hash(&mut h);
        }
        let key = h.finish();
        if key == self.sight_key && self.sight.width != 0 {
            return false;
        }
        self.sight_key = key;
        let sight = self.party_sight();
        if sight == self.sight {
            return false;
        }
        if (self.seen.width, self.seen.height) != (sight.width, sight.height) {
            self.seen = SquareSet::new(sight.width, sight.height);
        }
        self.seen.union_with(&sight);
        self.sight = sight;
        true
    }
}
