//! Adventures as content: `assets/adventures/<id>/adventure.ron` names the party and the first
//! scene; every other `.ron` file in that folder is a scene — a map, a description for the
//! narrator, foes and NPCs, points of interest (chests, doors, levers, altars, corpses, traps),
//! hidden things found by Perception or Investigation, triggers, and exits to other scenes.
//! The loader checks every reference (maps, creatures, items, scenes, squares) and names
//! file:line:column for every mistake, like the rest of the content.

use crate::checks::Skill;
use crate::content::{Ability, CombatStart, DamageType, Placement};
use crate::dice::DiceExpr;
use serde::{Deserialize, Serialize};

/// An adventure: the party, the first scene and the ending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdventureDef {
    /// Id (matches the folder name).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Read at the start.
    pub intro: String,
    /// Pregen ids, one seat each.
    pub party: Vec<String>,
    /// The party's starting level (1 to 3).
    #[serde(default = "first_level")]
    pub level: u32,
    /// The first scene's id.
    pub start: String,
    /// Told when the party takes an exit to `end`.
    #[serde(default)]
    pub ending: String,
    /// Told when the whole party is dead (a built-in line when empty).
    #[serde(default)]
    pub defeat: String,
}

fn first_level() -> u32 {
    1
}

/// A non-hostile character in a scene (who may turn hostile).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NpcDef {
    /// Creature id for its numbers.
    pub creature: String,
    /// Its name ("Brother Aldous").
    pub name: String,
    /// Its square.
    pub at: (i32, i32),
    /// How it feels about the party.
    #[serde(default)]
    pub attitude: Attitude,
    /// What the narrator may reveal through it (never loot or exits the scene lacks).
    #[serde(default)]
    pub facts: Vec<String>,
}

/// An NPC's attitude (SRD 5.1 "Social Interaction": friendly, indifferent, hostile).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Attitude {
    /// Helps.
    Friendly,
    /// Neither.
    #[default]
    Indifferent,
    /// Fights when provoked: turning hostile makes it a foe.
    Hostile,
}

/// What a point of interest is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PointKind {
    /// Holds loot; opened once.
    Chest,
    /// A door: its square is closed (blocks movement and sight) until opened.
    Door,
    /// Pulled once.
    Lever,
    /// Anything to look at or use.
    Altar,
    /// A body to search.
    Corpse,
    /// A trap on its square: stepping on it springs it unless it was found and disarmed.
    Trap,
    /// Anything else.
    Other,
}

/// Something hidden until found: passive Perception within sight and 30 ft finds it, or an
/// active check of `skill` (Search) reaching `dc`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hidden {
    /// The DC.
    pub dc: i32,
    /// Perception or Investigation.
    #[serde(default = "perception")]
    pub skill: Skill,
}

fn perception() -> Skill {
    Skill::Perception
}

/// A lock: a key opens it, or picking (Dexterity, Sleight of Hand) or forcing (Strength,
/// Athletics) against a DC. Each character tries each way once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockDef {
    /// An item id that opens it.
    #[serde(default)]
    pub key: Option<String>,
    /// DC to pick it (none: it cannot be picked).
    #[serde(default)]
    pub pick_dc: Option<i32>,
    /// DC to force it (none: it cannot be forced).
    #[serde(default)]
    pub force_dc: Option<i32>,
}

/// A trap's effect (SRD style: a saving throw or damage).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrapDef {
    /// The save's ability.
    pub save: Ability,
    /// The save's DC.
    pub dc: i32,
    /// Damage on a failed save (half on a success).
    pub damage: DiceExpr,
    /// Its type.
    pub damage_type: DamageType,
    /// DC to disarm it once found (Dexterity, Sleight of Hand).
    #[serde(default = "disarm_dc")]
    pub disarm_dc: i32,
}

fn disarm_dc() -> i32 {
    15
}

pub use crate::items::Loot;

/// What a point, a check or a trigger does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// Tells the table (and the narrator) something.
    Say(String),
    /// Reveals a hidden point or exit by id.
    Reveal(String),
    /// Opens a point (a door, a chest) by id.
    Open(String),
    /// Starts the scene's fight.
    Fight,
    /// Changes an NPC's attitude (by name); hostile makes it a foe.
    Attitude(String, Attitude),
    /// Experience points for the party (a milestone), shared equally.
    Experience(u32),
}

/// A check a point offers (reading runes, calming a spirit): one try per character.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckDef {
    /// The skill rolled.
    pub skill: Skill,
    /// The DC (5 to 30).
    pub dc: i32,
    /// What a success does.
    #[serde(default)]
    pub success: Vec<Outcome>,
    /// What a failure does.
    #[serde(default)]
    pub failure: Vec<Outcome>,
}

/// A check the scene answers when a player's free-form action calls for its skill ("I
/// persuade the warden"): the scene's DC, and what success or failure does. Passed once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SceneCheck {
    /// The skill.
    pub skill: Skill,
    /// The DC (5 to 30).
    pub dc: i32,
    /// Only within 30 ft of this point (id) or NPC (name).
    #[serde(default)]
    pub near: Option<String>,
    /// What success does.
    #[serde(default)]
    pub success: Vec<Outcome>,
    /// What failure does.
    #[serde(default)]
    pub failure: Vec<Outcome>,
}

/// A point of interest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointDef {
    /// Id, unique in its scene.
    pub id: String,
    /// Shown name ("Iron-banded chest").
    pub name: String,
    /// What it is.
    pub kind: PointKind,
    /// Its square.
    pub at: (i32, i32),
    /// Said when it is used.
    #[serde(default)]
    pub text: String,
    /// Hidden until found.
    #[serde(default)]
    pub hidden: Option<Hidden>,
    /// Locked.
    #[serde(default)]
    pub lock: Option<LockDef>,
    /// What using it gives (the user carries it).
    #[serde(default)]
    pub loot: Vec<Loot>,
    /// A check it offers.
    #[serde(default)]
    pub check: Option<CheckDef>,
    /// Its trap (kind `Trap`).
    #[serde(default)]
    pub trap: Option<TrapDef>,
    /// What opening or using it does.
    #[serde(default)]
    pub then: Vec<Outcome>,
    /// A door's leaf as a wall segment (kind `Door`; a Tiled `Door` object, a Universal VTT
    /// portal, a map's closed door segment): while the door is closed the segment is a
    /// closed door in the map's walls, and opening the point opens it. Without a leaf, a
    /// closed door closes its square.
    #[serde(default)]
    pub wall: Option<crate::grid::WallSegment>,
}

impl PointDef {
    /// The squares it is known by when the party has seen one: its own, and the two sides of
    /// a door's leaf (a closed leaf hides what is behind it, its own square too).
    pub fn squares(&self) -> Vec<crate::grid::GridPos> {
        let mut out = vec![crate::grid::GridPos::new(self.at.0, self.at.1)];
        if let Some(leaf) = &self.wall {
            for side in leaf.sides() {
                if !out.contains(&side) {
                    out.push(side);
                }
            }
        }
        out
    }
}

/// When a trigger fires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum When {
    /// A party member ends a step inside the rectangle from one corner to the other.
    Enter((i32, i32), (i32, i32)),
    /// A point is opened or used (by id).
    Used(String),
    /// Combat reaches this round.
    Round(u32),
    /// The scene's fight is won.
    Victory,
    /// The party settles down to rest (a fight started here interrupts the rest).
    Rest,
}

/// A trigger: once, when `when`, do `then`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerDef {
    /// When.
    pub when: When,
    /// What.
    pub then: Vec<Outcome>,
}

/// A way out of a scene.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitDef {
    /// Id, unique in its scene among points and exits.
    pub id: String,
    /// Shown name ("The north road").
    pub name: String,
    /// The scene it leads to, or `end` to finish the adventure.
    pub to: String,
    /// Its squares: a party member on one of them may lead the party through.
    pub at: Vec<(i32, i32)>,
    /// Hidden until found.
    #[serde(default)]
    pub hidden: Option<Hidden>,
}

/// One scene.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SceneDef {
    /// Id (matches the file name).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Map id.
    pub map: String,
    /// Read aloud on arrival.
    pub description: String,
    /// For the narrator only: mood, what is known (never loot or exits the scene lacks).
    #[serde(default)]
    pub narrator: String,
    /// Foes.
    #[serde(default)]
    pub foes: Vec<Placement>,
    /// When its fight starts.
    #[serde(default = "proximity")]
    pub start: CombatStart,
    /// NPCs.
    #[serde(default)]
    pub npcs: Vec<NpcDef>,
    /// Points of interest.
    #[serde(default)]
    pub points: Vec<PointDef>,
    /// Triggers.
    #[serde(default)]
    pub triggers: Vec<TriggerDef>,
    /// Exits.
    #[serde(default)]
    pub exits: Vec<ExitDef>,
    /// Checks that free-form actions can call for here.
    #[serde(default)]
    pub checks: Vec<SceneCheck>,
    /// Whether the party may rest here (when no fight is on).
    #[serde(default = "yes")]
    pub rest: bool,
}

fn proximity() -> CombatStart {
    CombatStart::Proximity(6)
}

fn yes() -> bool {
    true
}

/// The id an exit uses to end the adventure.
pub const END: &str = "end";

/// Checks a scene's numbers and internal references; (needle, message) pairs for the file
/// checker. References to other files are checked by the library.
pub fn check_scene(scene: &SceneDef) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut ids: Vec<&str> = Vec::new();
    let dc_ok = |dc: i32| (5..=30).contains(&dc);
    for p in &scene.points {
        if ids.contains(&p.id.as_str()) {
            out.push((
                format!("\"{}\"", p.id),
                format!("id `{}` is used twice in this scene", p.id),
            ));
        }
        ids.push(&p.id);
        let mut dcs: Vec<i32> = Vec::new();
        dcs.extend(p.hidden.as_ref().map(|h| h.dc));
        if let Some(l) = &p.lock {
            dcs.extend(l.pick_dc);
            dcs.extend(l.force_dc);
            if l.key.is_none() && l.pick_dc.is_none() && l.force_dc.is_none() {
                out.push((
                    format!("\"{}\"", p.id),
                    format!("lock on `{}` has no key, pick_dc or force_dc: expected at least one way to open it", p.id),
                ));
            }
        }
        dcs.extend(p.check.as_ref().map(|c| c.dc));
        if let Some(t) = &p.trap {
            dcs.push(t.dc);
            dcs.push(t.disarm_dc);
            if t.damage.max() > 200 {
                out.push((
                    "damage".into(),
                    format!(
                        "trap damage {} can exceed 200: expected at most 200",
                        t.damage
                    ),
                ));
            }
        }
        if p.wall.is_some() && p.kind != PointKind::Door {
            out.push((
                format!("\"{}\"", p.id),
                format!(
                    "point `{}` has a `wall` (a door's leaf): expected kind `Door`",
                    p.id
                ),
            ));
        }
        if (p.kind == PointKind::Trap) != p.trap.is_some() {
            out.push((
                format!("\"{}\"", p.id),
                format!(
                    "point `{}`: expected kind `Trap` exactly when it has a `trap`",
                    p.id
                ),
            ));
        }
        for dc in dcs {
            if !dc_ok(dc) {
                out.push((
                    format!("{dc}"),
                    format!("DC {dc} on `{}` is out of range: expected 5 to 30", p.id),
                ));
            }
        }
        for l in &p.loot {
            out.extend(l.problems());
        }
    }
    for e in &scene.exits {
        if ids.contains(&e.id.as_str()) {
            out.push((
                format!("\"{}\"", e.id),
                format!("id `{}` is used twice in this scene", e.id),
            ));
        }
        ids.push(&e.id);
        if e.at.is_empty() {
            out.push((
                format!("\"{}\"", e.id),
                format!(
                    "exit `{}` has no squares: expected at least one in `at`",
                    e.id
                ),
            ));
        }
        if let Some(h) = &e.hidden
            && !dc_ok(h.dc)
        {
            out.push((
                format!("{}", h.dc),
                format!("DC {} is out of range: expected 5 to 30", h.dc),
            ));
        }
    }
    for c in &scene.checks {
        if !dc_ok(c.dc) {
            out.push((
                format!("dc: {}", c.dc),
                format!("DC {} is out of range: expected 5 to 30", c.dc),
            ));
        }
        if let Some(near) = &c.near
            && !ids.contains(&near.as_str())
            && !scene.npcs.iter().any(|n| &n.name == near)
        {
            out.push((
                format!("\"{near}\""),
                format!("no point or NPC `{near}` in this scene for a check to be near"),
            ));
        }
    }
    let outcomes = scene
        .points
        .iter()
        .flat_map(|p| {
            p.then.iter().chain(
                p.check
                    .iter()
                    .flat_map(|c| c.success.iter().chain(&c.failure)),
            )
        })
        .chain(scene.triggers.iter().flat_map(|t| &t.then))
        .chain(
            scene
                .checks
                .iter()
                .flat_map(|c| c.success.iter().chain(&c.failure)),
        );
    for o in outcomes {
        match o {
            Outcome::Reveal(id) | Outcome::Open(id) if !ids.contains(&id.as_str()) => out.push((
                format!("\"{id}\""),
                format!("no point or exit `{id}` in this scene: expected one of {ids:?}"),
            )),
            Outcome::Attitude(name, _) if !scene.npcs.iter().any(|n| &n.name == name) => {
                out.push((
                    format!("\"{name}\""),
                    format!("no NPC named `{name}` in this scene"),
                ))
            }
            Outcome::Experience(xp) if *xp > 100_000 => out.push((
                format!("Experience({xp})"),
                "expected at most 100000 experience points".into(),
            )),
            _ => {}
        }
    }
    for t in &scene.triggers {
        if let When::Used(id) = &t.when
            && !scene.points.iter().any(|p| &p.id == id)
        {
            out.push((
                format!("\"{id}\""),
                format!("no point `{id}` in this scene to be used"),
            ));
        }
    }
    out
}

/// An adventure as loaded: its file and its scenes by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Adventure {
    /// `adventure.ron` (none when only scenes were found: an error).
    pub def: Option<AdventureDef>,
    /// Scenes by id.
    pub scenes: std::collections::BTreeMap<String, SceneDef>,
}

/// Cross-file checks of `adventure.ron`: the party and the first scene exist.
pub fn check_adventure(
    lib: &crate::content::ContentLibrary,
    def: &AdventureDef,
    adventure: &Adventure,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if def.party.is_empty() {
        out.push((
            "party".into(),
            "expected at least one pregen in `party`".into(),
        ));
    }
    for p in &def.party {
        if !lib.pregens.contains_key(p) {
            out.push((
                format!("\"{p}\""),
                format!(
                    "unknown pregen `{p}`: expected one of {}",
                    crate::content::list(lib.pregens.keys())
                ),
            ));
        }
    }
    if !adventure.scenes.contains_key(&def.start) {
        out.push((
            format!("\"{}\"", def.start),
            format!(
                "unknown scene `{}`: expected one of {}",
                def.start,
                crate::content::list(adventure.scenes.keys())
            ),
        ));
    }
    if let Some(first) = adventure.scenes.get(&def.start)
        && let Some((_, spawns)) = lib.map_grid(&first.map)
        && spawns.len() < def.party.len()
    {
        out.push((
            "party".into(),
            format!(
                "the first scene's map `{}` has {} party start squares (`P`) for a party of {}",
                first.map,
                spawns.len(),
                def.party.len()
            ),
        ));
    }
    out
}

/// Cross-file checks of a scene: its map, creatures, items and exits exist, and everything
/// placed stands on an open square of the map.
pub fn check_scene_refs(
    lib: &crate::content::ContentLibrary,
    adventure: &Adventure,
    scene: &SceneDef,
) -> Vec<(String, String)> {
    use crate::content::list;
    use crate::grid::GridPos;
    let mut out = Vec::new();
    let Some((grid, spawns)) = lib.map_grid(&scene.map) else {
        out.push((
            format!("\"{}\"", scene.map),
            format!(
                "unknown map `{}`: expected one of {}",
                scene.map,
                list(lib.maps.keys())
            ),
        ));
        return out;
    };
    if spawns.is_empty() {
        out.push((
            format!("\"{}\"", scene.map),
            format!("map `{}` has no party start squares (`P`)", scene.map),
        ));
    }
    let mut taken: Vec<GridPos> = spawns.clone();
    let mut place = |out: &mut Vec<(String, String)>, what: &str, at: (i32, i32), alone: bool| {
        let p = GridPos::new(at.0, at.1);
        let needle = format!("({}, {})", at.0, at.1);
        if !grid.in_bounds(p) || !grid.terrain(p).passable() {
            out.push((
                needle,
                format!(
                    "{what} is placed at {p}, which is not an open square of map `{}`",
                    scene.map
                ),
            ));
        } else if alone && taken.contains(&p) {
            out.push((
                needle,
                format!("{what} at {p} shares its square with another creature or start square"),
            ));
        }
        if alone {
            taken.push(p);
        }
    };
    for f in &scene.foes {
        if !lib.creatures.contains_key(&f.creature) {
            out.push((
                format!("\"{}\"", f.creature),
                format!(
                    "unknown creature `{}`: expected one of {}",
                    f.creature,
                    list(lib.creatures.keys())
                ),
            ));
        }
        place(
            &mut out,
            &format!("foe `{}`", f.name.as_deref().unwrap_or(&f.creature)),
            f.at,
            true,
        );
    }
    for n in &scene.npcs {
        if !lib.creatures.contains_key(&n.creature) {
            out.push((
                format!("\"{}\"", n.creature),
                format!(
                    "unknown creature `{}`: expected one of {}",
                    n.creature,
                    list(lib.creatures.keys())
                ),
            ));
        }
        place(&mut out, &format!("NPC `{}`", n.name), n.at, true);
    }
    let unknown_item = |out: &mut Vec<(String, String)>, id: &String| {
        if !lib.items.contains_key(id) {
            out.push((
                format!("\"{id}\""),
                format!(
                    "unknown item `{id}`: expected one of {}",
                    list(lib.items.keys())
                ),
            ));
        }
    };
    for f in &scene.foes {
        for l in &f.loot {
            out.extend(l.problems());
            for id in l.item_ids() {
                unknown_item(&mut out, id);
            }
        }
    }
    for p in &scene.points {
        place(&mut out, &format!("point `{}`", p.id), p.at, false);
        let (w, h) = (grid.width as i32 * 100, grid.height as i32 * 100);
        let on_map = |(x, y): (i32, i32)| (0..=w).contains(&x) && (0..=h).contains(&y);
        if let Some(leaf) = &p.wall
            && (!on_map(leaf.a) || !on_map(leaf.b) || leaf.a == leaf.b)
        {
            out.push((
                format!("\"{}\"", p.id),
                format!(
                    "door `{}`: its leaf from {:?} to {:?} is not a segment on map `{}` (0..={w}, 0..={h} hundredths of a square)",
                    p.id, leaf.a, leaf.b, scene.map
                ),
            ));
        }
        let items = p
            .loot
            .iter()
            .flat_map(Loot::item_ids)
            .chain(p.lock.as_ref().and_then(|l| l.key.as_ref()));
        for id in items {
            unknown_item(&mut out, id);
        }
    }
    for e in &scene.exits {
        for &at in &e.at {
            place(&mut out, &format!("exit `{}`", e.id), at, false);
        }
        if e.to != END && !adventure.scenes.contains_key(&e.to) {
            out.push((
                format!("\"{}\"", e.to),
                format!(
                    "unknown scene `{}`: expected `{END}` or one of {}",
                    e.to,
                    list(adventure.scenes.keys())
                ),
            ));
        }
    }
    for t in &scene.triggers {
        if let When::Enter(a, b) = t.when
            && (!grid.in_bounds(GridPos::new(a.0, a.1)) || !grid.in_bounds(GridPos::new(b.0, b.1)))
        {
            out.push((
                format!("({}, {})", a.0, a.1),
                format!(
                    "trigger area from {a:?} to {b:?} leaves map `{}`",
                    scene.map
                ),
            ));
        }
    }
    out
}
