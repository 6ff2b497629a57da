//! Adventures at the table: the scenes a campaign runs through, built once from content so a
//! journal replays without it; taking an exit carries the party (hit points, conditions, slots,
//! uses, items, gold, experience, the dead) into the next scene, and what the party leaves
//! behind stays as it was left.

use super::{Combatant, CombatantId, Side, Table, TableError, build};
use crate::adventure::{Attitude, SceneDef};
use crate::content::{CombatStart, ContentLibrary, Placement};
use crate::event::GameEvent;
use crate::grid::{GridPos, MapGrid, Terrain};
use crate::story::StoryEvent;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A campaign's adventure: its scenes and where the party is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdventureState {
    /// Adventure id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Told at the end.
    pub ending: String,
    /// Told if the whole party dies.
    #[serde(default)]
    pub defeat: String,
    /// The scene the party is in.
    pub scene: String,
    /// Every scene, by id.
    pub scenes: BTreeMap<String, SceneState>,
    /// Whether the party reached the end.
    pub ended: bool,
    /// Each party member's sheet at levels 1 to 3, for levelling up.
    #[serde(default)]
    pub templates: BTreeMap<CombatantId, Vec<Combatant>>,
    /// The scenes entered, in order (for recaps).
    #[serde(default)]
    pub path: Vec<String>,
    /// Long rests taken: after each, every character may try each way again.
    #[serde(default)]
    pub days: u32,
}

/// One scene and what the party changed in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SceneState {
    /// Its content.
    pub def: SceneDef,
    /// The map as drawn (doors without a leaf open; leaves as the map file draws them).
    pub map: MapGrid,
    /// The party's start squares.
    pub spawns: Vec<GridPos>,
    /// Its foes and NPCs while the party is elsewhere (the table holds them while it is here).
    pub others: Vec<Combatant>,
    /// Hidden points and exits found.
    pub found: BTreeSet<String>,
    /// Points opened or used (doors, chests, levers), traps sprung or disarmed.
    pub opened: BTreeSet<String>,
    /// Tries made: (point, way, character) — each character tries each way once.
    pub tried: BTreeSet<(String, String, CombatantId)>,
    /// Triggers fired (by index).
    pub fired: BTreeSet<usize>,
    /// Scene checks passed (by index).
    #[serde(default)]
    pub fired_checks: BTreeSet<usize>,
    /// Searches made: (character, square).
    pub searched: BTreeSet<(CombatantId, GridPos)>,
    /// NPC attitudes by combatant id.
    pub attitudes: BTreeMap<CombatantId, Attitude>,
    /// Whether its fight is over (or it has none).
    pub resolved: bool,
    /// Whether the party has been here.
    pub visited: bool,
    /// Its creatures as the scene began (for the host's `restart`; empty in campaigns made
    /// before restarts).
    #[serde(default)]
    pub start: Vec<Combatant>,
    /// Items dropped here, lying where they fell.
    #[serde(default)]
    pub floor: Vec<FloorItem>,
    /// The next dropped item's number.
    #[serde(default)]
    pub floor_next: u32,
}

/// An item or coins lying on a scene's floor (dropped by someone, or left by a fallen foe),
/// picked up as the point `floor:<n>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FloorItem {
    /// Its number in the scene.
    pub n: u32,
    /// Where it lies.
    pub at: GridPos,
    /// What it is.
    pub loot: crate::adventure::Loot,
}

/// The id prefix of items on the floor, as points (`floor:3`).
pub const FLOOR: &str = "floor:";

impl SceneState {
    /// Something left lying at `at`.
    pub(super) fn put_down(&mut self, at: GridPos, loot: crate::adventure::Loot) {
        let n = self.floor_next;
        self.floor_next += 1;
        self.floor.push(FloorItem { n, at, loot });
    }

    /// The map as the party sees it now: doors not yet opened are closed (a door's leaf as a
    /// closed segment, opened once the door is; a door without one closes its square), traps
    /// found and not disarmed are marked.
    pub fn grid(&self) -> MapGrid {
        let mut grid = self.map.clone();
        for p in &self.def.points {
            let at = GridPos::new(p.at.0, p.at.1);
            let open = self.opened.contains(&p.id);
            match p.kind {
                crate::adventure::PointKind::Door => match p.wall {
                    Some(leaf) => grid.set_door(leaf, open),
                    None if !open => grid.set(at, Terrain::Closed),
                    None => {}
                },
                crate::adventure::PointKind::Trap if !open && self.found.contains(&p.id) => {
                    grid.set(at, Terrain::Trap)
                }
                _ => {}
            }
        }
        grid
    }

    /// Whether a point or exit is known to the party (not hidden, or found).
    pub fn known(&self, id: &str) -> bool {
        let hidden = self
            .def
            .points
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.hidden.is_some())
            .or_else(|| {
                self.def
                    .exits
                    .iter()
                    .find(|e| e.id == id)
                    .map(|e| e.hidden.is_some())
            })
            .unwrap_or(true);
        !hidden || self.found.contains(id)
    }
}

impl Table {
    /// Sets up a campaign running `adventure` from its first scene (the party at `level`, or
    /// the adventure's own).
    pub fn new_adventure(
        lib: &ContentLibrary,
        adventure: &str,
        seed: u64,
        turn_timeout_ms: u64,
        level: Option<u32>,
    ) -> Result<Table, TableError> {
        let adv = lib.adventures.get(adventure);
        let def = adv
            .and_then(|a| a.def.as_ref())
            .ok_or_else(|| TableError::unknown(lib, adventure))?;
        let adv = adv.expect("checked");
        let missing = |what: &str| TableError::MissingContent(def.id.clone(), what.to_string());
        let level = level.unwrap_or(def.level).clamp(1, 3);
        // The party first (ids from 1), then every scene's creatures, ids unique across scenes.
        let mut party = Vec::new();
        let mut templates = BTreeMap::new();
        for (i, pregen) in def.party.iter().enumerate() {
            let p = lib.pregens.get(pregen).ok_or_else(|| missing(pregen))?;
            let id = i as u32 + 1;
            party.push(build::pc(lib, p, level, id, GridPos::new(0, 0)));
            templates.insert(
                id,
                (1..=3)
                    .map(|l| build::pc(lib, p, l, id, GridPos::new(0, 0)))
                    .collect::<Vec<_>>(),
            );
        }
        let mut next_id = party.len() as u32 + 1;
        let mut scenes = BTreeMap::new();
        let mut items: BTreeMap<String, crate::items::ItemDef> = BTreeMap::new();
        for scene in adv.scenes.values() {
            let (map, spawns) = lib
                .map_grid(&scene.map)
                .ok_or_else(|| missing(&scene.map))?;
            let mut others = Vec::new();
            for f in &scene.foes {
                let c = lib
                    .creatures
                    .get(&f.creature)
                    .ok_or_else(|| missing(&f.creature))?;
                others.push(build::creature(c, f, next_id));
                next_id += 1;
            }
            let mut attitudes = BTreeMap::new();
            for n in &scene.npcs {
                let c = lib
                    .creatures
                    .get(&n.creature)
                    .ok_or_else(|| missing(&n.creature))?;
                let place = Placement {
                    creature: n.creature.clone(),
                    name: None,
                    at: n.at,
                    hidden: false,
                    loot: Vec::new(),
                };
                let mut npc = build::creature(c, &place, next_id);
                npc.name = n.name.clone();
                npc.side = if n.attitude == Attitude::Hostile {
                    Side::Foe
                } else {
                    Side::Neutral
                };
                npc.worth = 0;
                attitudes.insert(next_id, n.attitude);
                others.push(npc);
                next_id += 1;
            }
            build::unique_names(lib, &mut others);
            let loot = scene
                .foes
                .iter()
                .flat_map(|f| f.loot.iter())
                .chain(scene.points.iter().flat_map(|p| p.loot.iter()));
            let keys = scene
                .points
                .iter()
                .filter_map(|p| p.lock.as_ref().and_then(|l| l.key.as_ref()));
            for id in loot.flat_map(crate::adventure::Loot::item_ids).chain(keys) {
                let item = lib.items.get(id).ok_or_else(|| missing(id))?;
                items.insert(id.clone(), item.clone());
            }
            let resolved = !others.iter().any(|c| c.side == Side::Foe);
            scenes.insert(
                scene.id.clone(),
                SceneState {
                    def: scene.clone(),
                    map,
                    spawns,
                    found: BTreeSet::new(),
                    opened: BTreeSet::new(),
                    tried: BTreeSet::new(),
                    fired: BTreeSet::new(),
                    fired_checks: BTreeSet::new(),
                    searched: BTreeSet::new(),
                    attitudes,
                    resolved,
                    visited: false,
                    start: others.clone(),
                    others,
                    floor: Vec::new(),
                    floor_next: 0,
                },
            );
        }
        let first = scenes.get(&def.start).ok_or_else(|| missing(&def.start))?;
        // A table for the first scene, then the party walks in.
        let mut table = Table::from_parts(
            lib,
            &def.id,
            &def.name,
            first.map.clone(),
            party,
            CombatStart::Proximity(6),
            seed,
            turn_timeout_ms,
        );
        table.items.extend(items);
        // Spells learned at later levels are kept with the table too.
        for t in templates.values().flatten() {
            for id in t.casting.iter().flat_map(|c| c.spells.iter()) {
                if let Some(s) = lib.spells.get(id) {
                    table.spells.insert(id.clone(), s.clone());
                }
            }
        }
        table.adventure = Some(Box::new(AdventureState {
            id: def.id.clone(),
            name: def.name.clone(),
            ending: def.ending.clone(),
            defeat: def.defeat.clone(),
            scene: String::new(),
            scenes,
            ended: false,
            templates,
            path: Vec::new(),
            days: 0,
        }));
        table.enter_scene(&def.start, 0);
        Ok(table)
    }

    /// The scene the party is in.
    pub fn scene(&self) -> Option<&SceneState> {
        let a = self.adventure.as_ref()?;
        a.scenes.get(&a.scene)
    }

    pub(super) fn scene_mut(&mut self) -> Option<&mut SceneState> {
        let a = self.adventure.as_mut()?;
        a.scenes.get_mut(&a.scene)
    }

    /// Redraws the map from the scene (a door opened, a trap found) with the spells' areas on it.
    pub(super) fn refresh_scene_map(&mut self) {
        if let Some(grid) = self.scene().map(SceneState::grid) {
            self.map = grid;
            self.sync_zone_terrain();
        }
    }

    /// The party members still alive (at 0 hit points too), PCs first by id.
    pub(super) fn living_pcs(&self) -> Vec<CombatantId> {
        self.combatants
            .iter()
            .filter(|c| c.is_pc && !c.is_dead())
            .map(|c| c.id)
            .collect()
    }

    /// Moves the party into scene `id`: the creatures of the scene it leaves stay there as
    /// they are; the party stands on the new scene's start squares.
    pub(super) fn enter_scene(&mut self, id: &str, now_ms: u64) {
        // A new map: nothing of it seen yet.
        self.seen = Default::default();
        self.sight = Default::default();
        let party: Vec<Combatant> = self
            .combatants
            .iter()
            .filter(|c| c.side == Side::Party && c.is_pc)
            .cloned()
            .collect();
        let others: Vec<Combatant> = self
            .combatants
            .iter()
            .filter(|c| !(c.side == Side::Party && c.is_pc))
            .cloned()
            .collect();
        let resolved = self.resolved;
        let Some(adv) = self.adventure.as_mut() else {
            return;
        };
        if let Some(old) = adv.scenes.get_mut(&adv.scene) {
            old.others = others;
            old.resolved = resolved;
        }
        adv.scene = id.to_string();
        adv.path.push(id.to_string());
        let Some(scene) = adv.scenes.get_mut(id) else {
            return;
        };
        scene.visited = true;
        let spawns = scene.spawns.clone();
        let mut combatants = party;
        for (i, c) in combatants.iter_mut().enumerate() {
            c.pos = spawns[i.min(spawns.len().saturating_sub(1))];
            // Spread a bigger party than the start squares over open squares near them.
            if i >= spawns.len() {
                c.pos = GridPos::new(-1, -1);
            }
        }
        combatants.append(&mut scene.others);
        let grid = scene.grid();
        let (name, description, start, resolved) = (
            scene.def.name.clone(),
            scene.def.description.clone(),
            scene.def.start.clone(),
            scene.resolved,
        );
        // Spells' areas (webs) stay in the scene they were cast in.
        self.end_zones(|_| true, now_ms);
        self.map = grid;
        self.sync_zone_terrain();
        self.combatants = combatants;
        self.place_stragglers();
        self.encounter_name = name.clone();
        self.start = start;
        self.resolved = resolved;
        self.emit(
            now_ms,
            GameEvent::Story(StoryEvent::SceneEntered {
                scene: id.to_string(),
                name,
                description,
            }),
        );
        let pcs: Vec<CombatantId> = self
            .combatants
            .iter()
            .filter(|c| c.is_pc && c.is_conscious())
            .map(|c| c.id)
            .collect();
        for pc in pcs {
            self.notice(pc, now_ms);
        }
        if self.start == CombatStart::Ambush && !self.resolved {
            self.start_combat(now_ms, "Ambush!".into());
        }
    }

    /// Party members without a start square stand on the nearest open squares.
    pub(super) fn place_stragglers(&mut self) {
        let lost: Vec<CombatantId> = self
            .combatants
            .iter()
            .filter(|c| c.pos == GridPos::new(-1, -1))
            .map(|c| c.id)
            .collect();
        for id in lost {
            let anchor = self
                .combatants
                .iter()
                .find(|c| c.is_pc && c.pos != GridPos::new(-1, -1))
                .map_or(GridPos::new(1, 1), |c| c.pos);
            let taken: Vec<GridPos> = self.combatants.iter().map(|c| c.pos).collect();
            let mut best = None;
            for y in 0..self.map.height as i32 {
                for x in 0..self.map.width as i32 {
                    let p = GridPos::new(x, y);
                    if self.map.terrain(p).passable() && !taken.contains(&p) {
                        let d = p.squares_to(anchor);
                        if best.is_none_or(|(bd, _)| d < bd) {
                            best = Some((d, p));
                        }
                    }
                }
            }
            if let Some((_, p)) = best {
                self.combatant_mut(id).pos = p;
            }
        }
    }

    /// Passive Perception: `pc` notices hidden things within 30 ft and in sight whose DC its
    /// passive Perception reaches (SRD 5.1 "Passive Checks"; "Finding a Hidden Object").
    pub(super) fn notice(&mut self, pc: CombatantId, now_ms: u64) {
        let Some(me) = self.combatant(pc).cloned() else {
            return;
        };
        let passive = crate::checks::passive(
            me.skill_bonus(crate::checks::Skill::Perception),
            crate::dice::Advantage::Normal,
        );
        for (id, name, dc, _) in self.hidden_near(me.pos, crate::checks::Skill::Perception) {
            if passive >= dc {
                self.find(
                    &id,
                    &name,
                    Some(pc),
                    format!("passive Perception {passive}"),
                    now_ms,
                );
            }
        }
    }

    /// Hidden things not yet found, within 30 ft of `from` and in sight, found with `skill`:
    /// (id, name, DC, square).
    pub(super) fn hidden_near(
        &self,
        from: GridPos,
        skill: crate::checks::Skill,
    ) -> Vec<(String, String, i32, GridPos)> {
        let Some(scene) = self.scene() else {
            return Vec::new();
        };
        let points = scene.def.points.iter().filter_map(|p| {
            let h = p.hidden.as_ref()?;
            Some((p.id.clone(), p.name.clone(), h, vec![p.at]))
        });
        let exits = scene.def.exits.iter().filter_map(|e| {
            let h = e.hidden.as_ref()?;
            Some((e.id.clone(), e.name.clone(), h, e.at.clone()))
        });
        points
            .chain(exits)
            .filter(|(id, _, h, _)| h.skill == skill && !scene.found.contains(id))
            .filter_map(|(id, name, h, squares)| {
                let at = squares
                    .iter()
                    .map(|a| GridPos::new(a.0, a.1))
                    .find(|p| from.feet_to(*p) <= 30 && scene.map.line_of_sight(from, *p))?;
                Some((id, name, h.dc, at))
            })
            .collect()
    }

    /// Marks a hidden point or exit found and tells the table.
    pub(super) fn find(
        &mut self,
        id: &str,
        name: &str,
        by: Option<CombatantId>,
        how: String,
        now_ms: u64,
    ) {
        let Some(scene) = self.scene_mut() else {
            return;
        };
        if !scene.found.insert(id.to_string()) {
            return;
        }
        self.refresh_scene_map();
        self.emit(
            now_ms,
            GameEvent::Story(StoryEvent::Found {
                by,
                what: name.to_string(),
                how,
            }),
        );
    }

    /// A fallen party is not the end of an adventure: the foes leave them for dead, and the
    /// living come round with 1 hit point on the scene's start squares (the dead stay dead).
    /// The scene's foes stay as they are, and its fight is still to win.
    pub(super) fn regroup_after_defeat(&mut self, now_ms: u64) {
        let Some(spawns) = self.scene().map(|s| s.spawns.clone()) else {
            return;
        };
        let ids = self.living_pcs();
        if ids.is_empty() {
            self.end_adventure(true, now_ms);
            return;
        }
        for (i, id) in ids.iter().enumerate() {
            self.come_round(*id);
            self.combatant_mut(*id).pos = spawns.get(i).copied().unwrap_or(GridPos::new(-1, -1));
        }
        self.place_stragglers();
        self.resolved = false;
        self.emit(
            now_ms,
            GameEvent::Story(StoryEvent::Said {
                text:
                    "Left for dead, the party comes round where they came in, battered but alive."
                        .into(),
            }),
        );
    }

    /// SRD 5.1 "Experience Points": defeated foes' XP, divided equally among the party
    /// members still alive. Called when a fight ends in victory; each foe counts once.
    pub(super) fn award_victory_xp(&mut self, now_ms: u64) {
        let total: u32 = self
            .combatants
            .iter()
            .filter(|c| c.side == Side::Foe && !c.is_conscious())
            .map(|c| c.worth)
            .sum();
        for c in self
            .combatants
            .iter_mut()
            .filter(|c| c.side == Side::Foe && !c.is_conscious())
        {
            c.worth = 0;
        }
        if total > 0 {
            self.award_xp(total, "The foes are defeated", now_ms);
        }
    }

    /// Shares `total` experience points among the living party members.
    pub(super) fn award_xp(&mut self, total: u32, reason: &str, now_ms: u64) {
        let to = self.living_pcs();
        if to.is_empty() {
            return;
        }
        let each = total / to.len() as u32;
        for &id in &to {
            let c = self.combatant_mut(id);
            c.xp = c.xp.saturating_add(each);
        }
        self.emit(
            now_ms,
            GameEvent::Story(StoryEvent::Experience {
                each,
                to,
                reason: reason.to_string(),
            }),
        );
    }
}

/// A point of interest or an exit as the party knows it (hidden ones are left out until found).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointView {
    /// Id, for `Action::Interact`.
    pub id: String,
    /// Shown name.
    pub name: String,
    /// What it is (`None`: an exit).
    pub kind: Option<crate::adventure::PointKind>,
    /// Its squares.
    pub at: Vec<GridPos>,
    /// Opened, used, looted, disarmed or sprung.
    pub done: bool,
    /// Locked (and not yet opened): (key item id, pick DC, force DC).
    pub lock: Option<(Option<String>, Option<i32>, Option<i32>)>,
    /// An exit: whether the party has been where it leads (`end`: false).
    pub visited: Option<bool>,
}

impl PointView {
    /// An item someone dropped (picked up with `Interact` and `Use`).
    pub fn on_floor(&self) -> bool {
        self.id.starts_with(FLOOR)
    }
}

impl Table {
    /// The points and exits the party knows in the current scene.
    /// The scene's points and exits the party knows of: found (not hidden), and (once the
    /// party's sight is computed) on a square it has seen.
    pub fn known_points(&self) -> Vec<PointView> {
        let Some(adv) = self.adventure.as_ref() else {
            return Vec::new();
        };
        let Some(scene) = adv.scenes.get(&adv.scene) else {
            return Vec::new();
        };
        let at = |a: &(i32, i32)| GridPos::new(a.0, a.1);
        // Fog of war: only what stands on squares the party has seen in this scene (a door by
        // its leaf: from either side).
        let seen_any = |squares: &[GridPos]| {
            self.seen.width == 0
                || squares
                    .iter()
                    .any(|a| self.seen.contains(*a) || self.sight.contains(*a))
        };
        let points = scene
            .def
            .points
            .iter()
            .filter(|p| scene.known(&p.id) && seen_any(&p.squares()))
            .map(|p| {
                let done = scene.opened.contains(&p.id);
                PointView {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    kind: Some(p.kind),
                    at: vec![at(&p.at)],
                    done,
                    lock: p
                        .lock
                        .as_ref()
                        .filter(|_| !done)
                        .map(|l| (l.key.clone(), l.pick_dc, l.force_dc)),
                    visited: None,
                }
            });
        let exits = scene
            .def
            .exits
            .iter()
            .filter(|e| scene.known(&e.id))
            .map(|e| PointView {
                id: e.id.clone(),
                name: e.name.clone(),
                kind: None,
                at: e.at.iter().map(at).collect(),
                done: false,
                lock: None,
                visited: Some(adv.scenes.get(&e.to).is_some_and(|s| s.visited)),
            });
        let floor = scene.floor.iter().map(|f| PointView {
            id: format!("{FLOOR}{}", f.n),
            name: match &f.loot {
                crate::adventure::Loot::Item(id) => format!(
                    "{} (dropped)",
                    self.items.get(id).map_or(id.as_str(), |i| i.name.as_str())
                ),
                crate::adventure::Loot::Gold(g) => format!("{g} gp (dropped)"),
                crate::adventure::Loot::Coins(_) | crate::adventure::Loot::OneOf(_) => {
                    "something (dropped)".to_string()
                }
            },
            kind: Some(crate::adventure::PointKind::Other),
            at: vec![f.at],
            done: false,
            lock: None,
            visited: None,
        });
        let others = floor.chain(exits).filter(|p| seen_any(&p.at));
        points.chain(others).collect()
    }
}
