//! Spells as content: `assets/spells/*.ron`, one spell per file, composed from a small set of
//! effect primitives (attack roll, saving throw, damage, healing, condition, buff, area,
//! duration, concentration, movement) so a modder adds a spell without Rust. What cannot be
//! data is a named [`SpellDef::hook`] implemented in the rules (listed in the README).
//!
//! How a spell resolves, in order: the caster spends the casting time and a slot (cantrips
//! none); the targets are the creatures chosen (`targets`, more per slot level with
//! [`Upcast::Targets`]) or every creature in the `area`; for each target (and each of
//! `repeat` darts or rays) the spell makes its `attack` (a hit applies `effects`, a critical
//! doubles their dice) or the target makes its `save` (a failure applies `effects`, a success
//! applies half of the damage when `half`, nothing else), or, with neither, `effects` apply.

use crate::content::{Ability, AttackKind, Condition, DamageType};
use crate::dice::DiceExpr;
use serde::{Deserialize, Serialize};

/// The SRD spell levels this game plays (cantrips and 1st to 9th; pregens reach 2nd).
pub const MAX_SPELL_LEVEL: u8 = 9;

/// How long casting takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CastingTime {
    /// The action.
    Action,
    /// The bonus action.
    BonusAction,
    /// A reaction (to its trigger, see the spell's hook).
    Reaction,
}

/// How far the spell reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SpellRange {
    /// The caster only (or an area that starts at the caster).
    Caster,
    /// A creature within 5 feet.
    Touch,
    /// A target or point within this many feet.
    Feet(u32),
}

impl SpellRange {
    /// The reach in feet (0 for the caster).
    pub fn feet(self) -> u32 {
        match self {
            SpellRange::Caster => 0,
            SpellRange::Touch => 5,
            SpellRange::Feet(f) => f,
        }
    }
}

/// An area on the grid. A square is in the area when its centre is inside the shape (edges
/// included): the grid rule this game states and tests, in place of the SRD's "covers at least
/// half of it" (the two agree for the SRD's cones, cubes and spheres on a 5-ft grid, to within
/// the squares that the template's edge cuts exactly in half).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Area {
    /// A cone this many feet long from the caster's square edge, as wide at its end as long.
    Cone(u32),
    /// A cube with this side: from the caster (one face on the caster's square) or at a point.
    Cube(u32),
    /// A sphere of this radius around a point.
    Sphere(u32),
    /// A line this many feet long and 5 feet wide from the caster.
    Line(u32),
}

/// Who a spell may target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TargetRule {
    /// Only humanoids (Hold Person).
    Humanoid,
    /// Not undead or constructs (Cure Wounds, Healing Word, Spare the Dying).
    Living,
    /// Only a creature at 0 hit points (Spare the Dying).
    Dying,
    /// Only the caster's side.
    Ally,
    /// Only the other side.
    Foe,
    /// Not the caster.
    NotCaster,
}

/// Something about a target that gives a spell's attack roll advantage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TargetTrait {
    /// Wearing armor made of metal (Shocking Grasp): see [`crate::items::wears_metal_armor`].
    MetalArmor,
}

/// When an effect that lasts ends (besides the spell's concentration ending).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lasts {
    /// Until the start of the caster's next turn (Ray of Frost, Shield).
    CastersNextTurn,
    /// Until the end of the caster's next turn (Guiding Bolt).
    EndOfCastersNextTurn,
    /// Until the start of the target's next turn (Shocking Grasp).
    TargetsNextTurn,
    /// This many rounds (1 minute is 10), counted at the start of the caster's turns.
    Rounds(u32),
    /// As long as the spell: its `duration_rounds`, or its concentration.
    Spell,
}

/// A lasting benefit or drawback that is not one of the SRD's conditions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Buff {
    /// A bonus to AC (Shield of Faith +2, Shield +5).
    Ac(i32),
    /// Unarmored AC becomes this base + Dexterity modifier (Mage Armor 13).
    ArmorBase(i32),
    /// A die added to attack rolls (Bless 1d4).
    AttackDie(DiceExpr),
    /// A die added to saving throws (Bless 1d4).
    SaveDie(DiceExpr),
    /// A die added to one ability check, then gone (Guidance 1d4).
    CheckDie(DiceExpr),
    /// Hit point maximum and current hit points up by this much (Aid 5).
    MaxHp(i32),
    /// Speed changed by this many feet (Ray of Frost -10).
    Speed(i32),
    /// Can't take reactions (Shocking Grasp).
    NoReactions,
    /// The next attack roll against it has advantage, then the mark is gone (Guiding Bolt).
    Marked,
    /// Warded (Sanctuary): a creature that attacks it or targets it with a harmful spell must
    /// first succeed on a Wisdom save against this DC or lose the attack or spell.
    Sanctuary(i32),
}

/// One thing a spell does to a target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Effect {
    /// Damage; `add_modifier` adds the caster's spellcasting modifier.
    Damage {
        /// The dice.
        dice: DiceExpr,
        /// Its type.
        damage_type: DamageType,
        /// Add the spellcasting ability modifier.
        #[serde(default)]
        add_modifier: bool,
    },
    /// Healing; `add_modifier` adds the caster's spellcasting modifier. Undead and constructs
    /// are not healed (see [`TargetRule::Living`]).
    Heal {
        /// The dice.
        dice: DiceExpr,
        /// Add the spellcasting ability modifier.
        #[serde(default)]
        add_modifier: bool,
    },
    /// A condition; with `save_ends` the target repeats the spell's save at the end of each of
    /// its turns and the condition ends on a success (Hold Person).
    Condition {
        /// The condition.
        condition: Condition,
        /// How long.
        lasts: Lasts,
        /// Repeats the save at the end of each of its turns.
        #[serde(default)]
        save_ends: bool,
    },
    /// A buff or debuff.
    Buff {
        /// What.
        buff: Buff,
        /// How long.
        lasts: Lasts,
    },
    /// A creature at 0 hit points becomes stable.
    Stabilize,
    /// Ends the first of these conditions the target has (Lesser Restoration).
    Cure(Vec<Condition>),
    /// Pushes the target this many feet straight away from the caster (Thunderwave 10).
    Push(u32),
    /// The caster teleports to the chosen point, up to the spell's range (Misty Step).
    Teleport,
}

/// What casting with a higher slot adds, per slot level above the spell's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Upcast {
    /// These dice added to the spell's first damage or healing effect.
    Dice(DiceExpr),
    /// These dice added to the first damage or healing effect per two slot levels above the
    /// spell's (Spiritual Weapon: 1d8 "for every two slot levels above the 2nd").
    DiceEveryTwo(DiceExpr),
    /// This many more targets.
    Targets(u32),
    /// This many more darts or rays.
    Repeats(u32),
    /// This much more to the spell's `MaxHp` buff (Aid +5).
    MaxHp(i32),
}

/// When the creatures in a lasting area make the spell's save.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ZoneTrigger {
    /// When the spell is cast: every creature in the area.
    Cast,
    /// A creature that starts its turn in the area.
    StartOfTurn,
    /// A creature that enters the area during its turn.
    Enter,
}

/// An area that stays on the map while the spell lasts (Web's webs), instead of acting once.
/// A creature in it saves when a trigger says (a failure applies the spell's effects; one the
/// area already holds does not save again). Turns exist only in combat, so outside combat the
/// area is only terrain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Zone {
    /// Its squares are difficult terrain.
    #[serde(default)]
    pub difficult: bool,
    /// When creatures in it make the spell's save.
    #[serde(default)]
    pub saves: Vec<ZoneTrigger>,
    /// The spell's conditions on a creature last only while it stays in the area ("restrained
    /// as long as it remains in the webs").
    #[serde(default)]
    pub holds_inside: bool,
    /// A creature it holds may use its action for a check with this ability against the
    /// spell save DC; a success ends the area's conditions on it ("A creature restrained by
    /// the webs can use its action to make a Strength check against your spell save DC").
    #[serde(default)]
    pub break_free: Option<Ability>,
}

/// A saving throw a spell forces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpellSave {
    /// The ability saved with.
    pub ability: Ability,
    /// A success still takes half the damage (and nothing else).
    #[serde(default)]
    pub half: bool,
    /// The target gains no benefit from cover for this save (Sacred Flame); otherwise cover
    /// adds to Dexterity saves.
    #[serde(default)]
    pub ignores_cover: bool,
}

/// One SRD 5.1 spell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpellDef {
    /// Id (matches the file name: `cure-wounds`).
    pub id: String,
    /// Display name ("Cure Wounds").
    pub name: String,
    /// 0 for a cantrip, else 1 to 9.
    pub level: u8,
    /// School ("evocation").
    pub school: String,
    /// Casting time.
    pub casting_time: CastingTime,
    /// Range.
    pub range: SpellRange,
    /// The area, when the spell fills one instead of choosing creatures.
    #[serde(default)]
    pub area: Option<Area>,
    /// How many creatures are chosen (0 for an area spell or one that affects only the
    /// caster); one creature may be chosen more than once only for darts and rays.
    #[serde(default = "one")]
    pub targets: u32,
    /// Who may be chosen or is affected.
    #[serde(default)]
    pub target_rules: Vec<TargetRule>,
    /// Needs concentration.
    #[serde(default)]
    pub concentration: bool,
    /// Duration in rounds (1 minute = 10, 1 hour = 600, 8 hours = 4800); None is
    /// instantaneous.
    #[serde(default)]
    pub duration_rounds: Option<u32>,
    /// A melee or ranged spell attack per target (and per dart or ray).
    #[serde(default)]
    pub attack: Option<AttackKind>,
    /// The spell's attack roll has advantage against a target like this (Shocking Grasp:
    /// `Some(MetalArmor)`).
    #[serde(default)]
    pub advantage_against: Option<TargetTrait>,
    /// A saving throw per target.
    #[serde(default)]
    pub save: Option<SpellSave>,
    /// The area stays on the map while the spell lasts (Web): see [`Zone`].
    #[serde(default)]
    pub zone: Option<Zone>,
    /// Darts or rays: each one an attack (or an automatic hit without `attack`), each aimed at
    /// a chosen target.
    #[serde(default = "one")]
    pub repeat: u32,
    /// What it does to each target that is hit, fails its save, or (with neither) is chosen.
    #[serde(default)]
    pub effects: Vec<Effect>,
    /// A cantrip's damage dice grow at character levels 5, 11 and 17.
    #[serde(default)]
    pub cantrip_scaling: bool,
    /// What a higher slot adds per level.
    #[serde(default)]
    pub upcast: Option<Upcast>,
    /// A rule in code (see the README's modding section): `sleep`, `shield`, `sanctuary`,
    /// `spiritual-weapon`, `narrative`.
    #[serde(default)]
    pub hook: Option<String>,
    /// The SRD text, shown to players and the narrator.
    pub text: String,
}

fn one() -> u32 {
    1
}

/// The hooks the rules implement, for validation.
pub const HOOKS: [&str; 5] = [
    "narrative",
    "shield",
    "sleep",
    "sanctuary",
    "spiritual-weapon",
];

/// A spellcaster's magic: its ability, the spells it can cast, and (for creatures, whose stat
/// blocks print them) its slots; a player character's slots come from its class and level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spellcasting {
    /// Intelligence for wizards, Wisdom for clerics.
    pub ability: Ability,
    /// Spell ids: cantrips known and spells prepared.
    pub spells: Vec<String>,
    /// Slots per spell level from 1st, as printed in a creature's stat block.
    #[serde(default)]
    pub slots: Option<Vec<u8>>,
}

/// SRD 5.1 spell slots per spell level for a full caster (cleric, wizard) of class level 1–3:
/// level 1: two 1st; level 2: three 1st; level 3: four 1st and two 2nd.
pub fn full_caster_slots(level: u32) -> Vec<u8> {
    match level {
        0 => vec![],
        1 => vec![2],
        2 => vec![3],
        _ => vec![4, 2],
    }
}

/// A cantrip's dice multiplier at a character level: ×1, ×2 at 5th, ×3 at 11th, ×4 at 17th.
pub fn cantrip_tier(level: u32) -> u32 {
    match level {
        0..=4 => 1,
        5..=10 => 2,
        11..=16 => 3,
        _ => 4,
    }
}

/// Checks a spell's numbers and shape; returns (needle, message) pairs for the file checker.
pub fn check_spell(s: &SpellDef) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut err = |needle: &str, msg: String| out.push((needle.to_string(), msg));
    if s.level > MAX_SPELL_LEVEL {
        err(
            "level",
            format!(
                "level {} is not a spell level: expected 0 (a cantrip) to 9",
                s.level
            ),
        );
    }
    if s.level == 0 && s.upcast.is_some() {
        err("upcast", "a cantrip has no slot to cast it higher: remove `upcast` (cantrips grow with `cantrip_scaling`)".into());
    }
    if s.level > 0 && s.cantrip_scaling {
        err(
            "cantrip_scaling",
            format!(
                "only cantrips scale with the character's level, and `{}` is level {}",
                s.id, s.level
            ),
        );
    }
    if s.attack.is_some() && s.save.is_some() {
        err("save", "a spell makes an attack roll or forces a save, not both: expected one of `attack` and `save`".into());
    }
    if s.area.is_some() && s.targets > 0 {
        err("area", "an area spell affects every creature in its area: expected `targets: 0` with an `area`".into());
    }
    if let Some(zone) = &s.zone {
        if s.area.is_none() {
            err(
                "zone",
                "a `zone` is the spell's area staying on the map: add an `area`".into(),
            );
        }
        if s.duration_rounds.is_none() {
            err(
                "zone",
                "a `zone` lasts as long as the spell: set `duration_rounds`".into(),
            );
        }
        if !zone.saves.is_empty() && s.save.is_none() {
            err(
                "saves",
                "the zone's `saves` repeat the spell's save, and the spell has none: add `save`"
                    .into(),
            );
        }
    }
    if s.advantage_against.is_some() && s.attack.is_none() {
        err(
            "advantage_against",
            "`advantage_against` favours the spell's attack roll, and the spell makes none: add `attack`".into(),
        );
    }
    if s.area.is_some() && s.attack.is_some() {
        err(
            "attack",
            "an area spell makes no attack roll: expected a `save` or no roll".into(),
        );
    }
    if !(1..=10).contains(&s.repeat) {
        err(
            "repeat",
            format!(
                "repeat {} is out of range: expected 1 to 10 darts or rays",
                s.repeat
            ),
        );
    }
    if s.targets > 10 {
        err(
            "targets",
            format!("targets {} is out of range: expected 0 to 10", s.targets),
        );
    }
    if let SpellRange::Feet(f) = s.range
        && (f == 0 || f % 5 != 0 || f > 1000)
    {
        err(
            "range",
            format!("range {f} ft is not usable: expected a multiple of 5 feet up to 1000"),
        );
    }
    if let Some(a) = s.area {
        let feet = match a {
            Area::Cone(f) | Area::Cube(f) | Area::Sphere(f) | Area::Line(f) => f,
        };
        if feet == 0 || feet % 5 != 0 || feet > 120 {
            err(
                "area",
                format!(
                    "area size {feet} ft is not usable: expected a multiple of 5 feet up to 120"
                ),
            );
        }
    }
    if s.duration_rounds == Some(0) {
        err(
            "duration_rounds",
            "duration 0 rounds: expected None for an instantaneous spell or at least 1".into(),
        );
    }
    if s.concentration && s.duration_rounds.is_none() {
        err(
            "concentration",
            "a concentration spell lasts: expected `duration_rounds: Some(…)`".into(),
        );
    }
    if let Some(h) = &s.hook
        && !HOOKS.contains(&h.as_str())
    {
        err(
            "hook",
            format!("unknown hook `{h}`: expected one of {}", HOOKS.join(", ")),
        );
    }
    if s.effects.is_empty() && s.hook.is_none() {
        err("effects", "the spell does nothing: expected `effects` or a `hook` (`narrative` for a spell told by the narrator)".into());
    }
    for e in &s.effects {
        if let Effect::Condition {
            save_ends: true, ..
        } = e
            && s.save.is_none()
        {
            err(
                "save_ends",
                "`save_ends` repeats the spell's save, and the spell has none: add `save`".into(),
            );
        }
        if matches!(
            e,
            Effect::Condition {
                lasts: Lasts::Spell,
                ..
            } | Effect::Buff {
                lasts: Lasts::Spell,
                ..
            }
        ) && s.duration_rounds.is_none()
        {
            err(
                "Spell",
                "an effect lasting `Spell` needs the spell to last: set `duration_rounds`".into(),
            );
        }
        if let Effect::Condition { condition, .. } = e
            && matches!(
                condition,
                Condition::Dead | Condition::Stable | Condition::Dodging
            )
        {
            err(
                &format!("{condition:?}"),
                format!("a spell cannot inflict `{condition:?}`"),
            );
        }
    }
    // Bounded so no file can make AC, hit points or speed overflow.
    for e in &s.effects {
        if let Effect::Buff { buff, .. } = e {
            let ok = match buff {
                Buff::Ac(n) => (-10..=10).contains(n),
                Buff::ArmorBase(n) => (10..=30).contains(n),
                Buff::MaxHp(n) => (0..=100).contains(n),
                Buff::Speed(n) => (-120..=120).contains(n),
                Buff::Sanctuary(dc) => (1..=30).contains(dc),
                _ => true,
            };
            if !ok {
                err(
                    "buff",
                    format!(
                        "{buff:?} is out of range (AC ±10, armor base 10–30, hit points 0–100, speed ±120 ft, DC 1–30)"
                    ),
                );
            }
        }
    }
    if let Some(Upcast::Targets(n) | Upcast::Repeats(n)) = s.upcast
        && n > 10
    {
        err(
            "upcast",
            format!("{n} more per slot level is out of range: expected 0 to 10"),
        );
    }
    if let Some(Upcast::MaxHp(n)) = s.upcast
        && !(0..=100).contains(&n)
    {
        err(
            "upcast",
            format!("{n} more hit points per slot level is out of range: expected 0 to 100"),
        );
    }
    if matches!(s.upcast, Some(Upcast::Dice(_) | Upcast::DiceEveryTwo(_)))
        && !s
            .effects
            .iter()
            .any(|e| matches!(e, Effect::Damage { .. } | Effect::Heal { .. }))
    {
        err(
            "upcast",
            "`Upcast::Dice` and `DiceEveryTwo` add to the first damage or healing effect, and there is none".into(),
        );
    }
    out
}
