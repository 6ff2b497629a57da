//! Modder content: creatures, player-character pregens, maps and encounters, written as RON
//! under `assets/`. Every file goes through one validating path; an error names the file, the
//! line, the column and what was expected.

use crate::checks::Skill;
use crate::dice::DiceExpr;
use crate::grid::{GridPos, MapGrid};
use crate::maps::MapFormat;
pub use crate::maps::map_grid;
pub use crate::spells::{SpellDef, Spellcasting};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The six abilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ability {
    /// Strength.
    Str,
    /// Dexterity.
    Dex,
    /// Constitution.
    Con,
    /// Intelligence.
    Int,
    /// Wisdom.
    Wis,
    /// Charisma.
    Cha,
}

/// Ability scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Abilities {
    /// Strength score.
    pub str: i32,
    /// Dexterity score.
    pub dex: i32,
    /// Constitution score.
    pub con: i32,
    /// Intelligence score.
    pub int: i32,
    /// Wisdom score.
    pub wis: i32,
    /// Charisma score.
    pub cha: i32,
}

impl Abilities {
    /// The score of one ability.
    pub fn score(&self, ability: Ability) -> i32 {
        match ability {
            Ability::Str => self.str,
            Ability::Dex => self.dex,
            Ability::Con => self.con,
            Ability::Int => self.int,
            Ability::Wis => self.wis,
            Ability::Cha => self.cha,
        }
    }

    /// The score of one ability, to change.
    pub fn score_mut(&mut self, ability: Ability) -> &mut i32 {
        match ability {
            Ability::Str => &mut self.str,
            Ability::Dex => &mut self.dex,
            Ability::Con => &mut self.con,
            Ability::Int => &mut self.int,
            Ability::Wis => &mut self.wis,
            Ability::Cha => &mut self.cha,
        }
    }

    /// The modifier of one ability.
    pub fn modifier(&self, ability: Ability) -> i32 {
        crate::rules::ability_modifier(self.score(ability))
    }

    /// The six scores, Strength to Charisma.
    pub fn all(&self) -> [i32; 6] {
        [self.str, self.dex, self.con, self.int, self.wis, self.cha]
    }

    /// Scores from the six, Strength to Charisma.
    pub fn from_array(a: [i32; 6]) -> Abilities {
        Abilities {
            str: a[0],
            dex: a[1],
            con: a[2],
            int: a[3],
            wis: a[4],
            cha: a[5],
        }
    }
}

/// SRD damage types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DamageType {
    /// Acid.
    Acid,
    /// Bludgeoning.
    Bludgeoning,
    /// Cold.
    Cold,
    /// Fire.
    Fire,
    /// Force.
    Force,
    /// Lightning.
    Lightning,
    /// Necrotic.
    Necrotic,
    /// Piercing.
    Piercing,
    /// Poison.
    Poison,
    /// Psychic.
    Psychic,
    /// Radiant.
    Radiant,
    /// Slashing.
    Slashing,
    /// Thunder.
    Thunder,
}

/// Conditions the rules track.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Condition {
    /// Knocked down: melee attacks within 5 ft have advantage, others disadvantage; standing costs half speed.
    Prone,
    /// Took the Dodge action: attacks against it have disadvantage until its next turn.
    Dodging,
    /// At 0 HP (a PC): incapacitated, making death saves.
    Unconscious,
    /// At 0 HP but stable: no more death saves.
    Stable,
    /// Poisoned: disadvantage on attack rolls.
    Poisoned,
    /// Exhaustion (only for immunities in stat blocks).
    Exhaustion,
    /// Dead.
    Dead,
    /// Can't see: attack rolls against it have advantage, its own have disadvantage.
    Blinded,
    /// Can't attack the charmer.
    Charmed,
    /// Disadvantage on attack rolls and ability checks; can't move closer to what it fears.
    Frightened,
    /// Speed 0.
    Grappled,
    /// Can't take actions or reactions.
    Incapacitated,
    /// Incapacitated, can't move; fails Strength and Dexterity saves; attacks against it have
    /// advantage, and a hit from within 5 feet is a critical hit.
    Paralyzed,
    /// Speed 0; attack rolls against it have advantage, its own have disadvantage;
    /// disadvantage on Dexterity saves.
    Restrained,
    /// Magically asleep (Sleep): unconscious without dying; wakes when damaged.
    Asleep,
}

/// Melee or ranged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttackKind {
    /// Uses reach.
    Melee,
    /// Uses normal/long range.
    Ranged,
}

/// Something that happens on a hit besides damage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OnHit {
    /// The target makes a saving throw or is knocked prone (a wolf's bite).
    KnockProne {
        /// The save's DC.
        dc: i32,
        /// The ability used for the save.
        save: Ability,
    },
    /// The target makes a saving throw against `dc` or suffers `effects`; a success halves
    /// their damage when `half` (a giant spider's poison, a ghoul's paralysing claws).
    Save {
        /// The save's DC.
        dc: i32,
        /// The ability used for the save.
        ability: Ability,
        /// A success takes half the damage.
        #[serde(default)]
        half: bool,
        /// What a failure does (spell effect primitives).
        effects: Vec<crate::spells::Effect>,
    },
}

/// One attack from a stat block or a character sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttackDef {
    /// Shown name ("Scimitar").
    pub name: String,
    /// Melee or ranged.
    pub kind: AttackKind,
    /// Attack bonus.
    pub to_hit: i32,
    /// Reach in feet for melee attacks.
    #[serde(default = "default_reach")]
    pub reach: u32,
    /// Normal and long range in feet for ranged attacks.
    #[serde(default)]
    pub range: Option<(u32, u32)>,
    /// Damage dice.
    pub damage: DiceExpr,
    /// Damage type.
    pub damage_type: DamageType,
    /// Extra effect on a hit.
    #[serde(default)]
    pub on_hit: Option<OnHit>,
    /// Finesse or ranged weapon a rogue may Sneak Attack with.
    #[serde(default)]
    pub finesse: bool,
    /// SRD weapon properties (finesse, two-handed, reach, thrown, …).
    #[serde(default)]
    pub properties: Vec<crate::items::WeaponProperty>,
}

fn default_reach() -> u32 {
    5
}

/// Machine-readable features the rules apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Feature {
    /// Advantage on an attack if an ally is within 5 ft of the target.
    PackTactics,
    /// Extra damage once per turn with a finesse or ranged weapon, given advantage or an ally
    /// beside the target.
    SneakAttack(DiceExpr),
    /// Disengage or Hide as a bonus action (goblin).
    NimbleEscape,
    /// As a bonus action, move up to its speed toward a hostile creature it can see (orc).
    Aggressive,
    /// Extra damage on a hit against a surprised creature in the first round (bugbear).
    SurpriseAttack(DiceExpr),
    /// Extra damage once per turn against a creature within 5 ft of an ally (hobgoblin).
    MartialAdvantage(DiceExpr),
    /// At 0 HP from damage that isn't radiant or a critical hit: a Constitution save (DC 5 +
    /// the damage) leaves it at 1 HP instead (zombie).
    UndeadFortitude,
    /// Advantage on saves against being charmed or frightened (cultist).
    DarkDevotion,
    /// Makes these attacks (by name) with one action.
    Multiattack(Vec<String>),
    /// Fighter: a fighting style.
    FightingStyle(FightingStyle),
    /// Fighter: a bonus action to regain 1d10 + fighter level hit points, once per rest.
    SecondWind,
    /// Fighter (2nd level): one more action on your turn, once per rest.
    ActionSurge,
    /// Champion (3rd level): weapon attacks score a critical hit on a roll of 19 or 20.
    ImprovedCritical,
    /// Rogue (2nd level): Dash or Disengage as a bonus action.
    CunningAction,
    /// Thief (3rd level): Use an Object (a potion) as a bonus action.
    FastHands,
    /// Life Domain: healing spells of 1st level or higher heal 2 + the spell's level more.
    DiscipleOfLife,
    /// Cleric (2nd level): Channel Divinity uses per rest (Turn Undead, Preserve Life).
    ChannelDivinity(u8),
    /// Wizard: recover spell slots on a short rest (with the adventure's rests).
    ArcaneRecovery,
    /// Evocation (2nd level): allies caught in your evocation spells succeed on their saves
    /// and take no damage (up to 1 + the spell's level of them).
    SculptSpells,
    /// Lightfoot Halfling: can try to hide when obscured only by a creature at least one size
    /// larger.
    NaturallyStealthy,
}

/// SRD 5.1 fighting styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FightingStyle {
    /// +2 to ranged weapon attack rolls.
    Archery,
    /// +1 AC while wearing armor.
    Defense,
    /// +2 damage with a melee weapon in one hand and no other weapon.
    Dueling,
}

/// What a pregen gains at a level above 1st.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelDef {
    /// The level (2 or 3).
    pub level: u32,
    /// Maximum hit points at this level.
    pub max_hp: i32,
    /// Features gained; one of a kind already held is replaced (Sneak Attack 2d6).
    #[serde(default)]
    pub features: Vec<Feature>,
    /// Spells the level adds to the spellbook or the prepared list (spell ids). At the table a
    /// character levelling up chooses that many spells of its class's list; these are the
    /// suggestions.
    #[serde(default)]
    pub spells: Vec<String>,
}

/// A named trait with its SRD text, shown to players and the narrator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraitDef {
    /// Trait name.
    pub name: String,
    /// Rules text.
    pub text: String,
}

/// Creature size, smallest first (so sizes compare).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub enum Size {
    /// Tiny.
    Tiny,
    /// Small.
    Small,
    /// Medium.
    #[default]
    Medium,
    /// Large.
    Large,
    /// Huge.
    Huge,
}

/// An SRD 5.1 stat block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatureDef {
    /// Id used by encounters (matches the file name).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Size.
    pub size: Size,
    /// Type line ("humanoid (goblinoid)").
    pub kind: String,
    /// Alignment.
    pub alignment: String,
    /// Armor class.
    pub ac: i32,
    /// What gives the AC.
    #[serde(default)]
    pub armor: Option<String>,
    /// Average hit points as printed.
    pub hp: i32,
    /// Hit dice as printed.
    pub hit_dice: DiceExpr,
    /// Walking speed in feet.
    pub speed: u32,
    /// Ability scores.
    pub abilities: Abilities,
    /// Skill bonuses as printed.
    #[serde(default)]
    pub skills: Vec<(String, i32)>,
    /// Damage vulnerabilities.
    #[serde(default)]
    pub vulnerabilities: Vec<DamageType>,
    /// Damage resistances.
    #[serde(default)]
    pub resistances: Vec<DamageType>,
    /// Damage immunities.
    #[serde(default)]
    pub immunities: Vec<DamageType>,
    /// Condition immunities.
    #[serde(default)]
    pub condition_immunities: Vec<Condition>,
    /// Senses line.
    pub senses: String,
    /// Languages line.
    pub languages: String,
    /// Challenge rating as printed ("1/4").
    pub challenge: String,
    /// Experience points.
    pub xp: u32,
    /// Traits with their text.
    #[serde(default)]
    pub traits: Vec<TraitDef>,
    /// Features the rules apply.
    #[serde(default)]
    pub features: Vec<Feature>,
    /// Actions.
    pub attacks: Vec<AttackDef>,
    /// Saving throw bonuses as printed ("Saving Throws Wis +4"); others use the modifier.
    #[serde(default)]
    pub saves: Vec<(Ability, i32)>,
    /// Spells, for a spellcaster (its stat block prints its slots).
    #[serde(default)]
    pub spellcasting: Option<Spellcasting>,
    /// How it fights, for the narrator's NPC brain and the built-in tactics.
    #[serde(default)]
    pub temperament: String,
}

/// A ready-to-play player character.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PregenDef {
    /// Id used by encounters and seats ("fighter").
    pub id: String,
    /// Character name.
    pub name: String,
    /// Race.
    pub race: String,
    /// Class.
    pub class: String,
    /// Level (1–3).
    pub level: u32,
    /// Armor class.
    pub ac: i32,
    /// What gives the AC.
    #[serde(default)]
    pub armor: Option<String>,
    /// Maximum hit points.
    pub max_hp: i32,
    /// Speed in feet.
    pub speed: u32,
    /// Ability scores.
    pub abilities: Abilities,
    /// Proficiency bonus.
    pub proficiency: i32,
    /// Attacks (weapons and attack cantrips).
    pub attacks: Vec<AttackDef>,
    /// Features the rules apply.
    #[serde(default)]
    pub features: Vec<Feature>,
    /// Damage resistances.
    #[serde(default)]
    pub resistances: Vec<DamageType>,
    /// Saving throws the class is proficient in.
    #[serde(default)]
    pub saves: Vec<Ability>,
    /// Skills the character is proficient in.
    #[serde(default)]
    pub skills: Vec<Skill>,
    /// Skills with expertise (twice the proficiency bonus).
    #[serde(default)]
    pub expertise: Vec<Skill>,
    /// Cantrips known and spells prepared; slots come from the class and level.
    #[serde(default)]
    pub spellcasting: Option<Spellcasting>,
    /// What levels 2 and 3 add (an encounter chooses the level).
    #[serde(default)]
    pub levels: Vec<LevelDef>,
    /// Items carried (ids in `items/`): armor and a shield set the AC, which must match `ac`;
    /// potions can be drunk.
    #[serde(default)]
    pub equipment: Vec<String>,
    /// A line for players and the narrator.
    #[serde(default)]
    pub description: String,
}

/// A map: rows of characters, one per square, and what a Tiled or Universal VTT file adds
/// ([`crate::maps`], [`crate::uvtt`]); a RON map file writes the rows (and may write the rest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapDef {
    /// Id used by encounters.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Tile art set for the client.
    #[serde(default = "default_tileset")]
    pub tileset: String,
    /// Rows: `#` wall, `.` floor, `:` difficult terrain, `+` open door, `P` party start (floor).
    /// Empty for a map imported from a Universal VTT file (all floor, its walls segments).
    #[serde(default)]
    pub tiles: Vec<String>,
    /// A Universal VTT file beside this one in `maps/` (`.dd2vtt`, `.uvtt`, `.df2vtt`): its
    /// size, walls, doors and lights make the map (see [`crate::uvtt`]).
    #[serde(default)]
    pub uvtt: Option<String>,
    /// Party start squares, besides the `P` tiles (an imported map has no tiles to mark).
    #[serde(default)]
    pub party: Vec<(i32, i32)>,
    /// The light where no light source reaches: `Bright` (the default), `Dim` or `Dark`.
    #[serde(default)]
    pub ambient: crate::grid::Light,
    /// Light sources: `(at: (x, y), bright: 20, dim: 20)` — feet of bright light, then of dim.
    #[serde(default)]
    pub lights: Vec<LightDef>,
    /// Walls and doors as segments along square edges, in hundredths of a square from the
    /// map's top-left corner: `(a: (300, 0), b: (300, 500))` is a wall down the left edge of
    /// column 3, five squares long; `door: true` makes it a closed door.
    #[serde(default)]
    pub walls: Vec<crate::grid::WallSegment>,
    /// Foes' start squares (Tiled `Spawn` objects with `side` `foe`): a foe naming a creature
    /// joins every encounter and scene on this map ([`crate::maps::merge`]).
    #[serde(default)]
    pub spawns: Vec<crate::maps::SpawnDef>,
    /// Exits every scene on this map gets (Tiled `Exit` objects).
    #[serde(default)]
    pub exits: Vec<crate::adventure::ExitDef>,
    /// Doors and points of interest every scene on this map gets (Tiled `Door` and
    /// `PointOfInterest` objects, a Universal VTT file's closed portals).
    #[serde(default)]
    pub points: Vec<crate::adventure::PointDef>,
    /// Triggers every scene on this map gets (Tiled `Trigger` objects).
    #[serde(default)]
    pub triggers: Vec<crate::adventure::TriggerDef>,
    /// The file the map's art comes from, relative to the assets folder (`maps/den.tmx`,
    /// `maps/cellar.dd2vtt`), for a client that draws it; none for a RON map of rows.
    #[serde(default)]
    pub file: Option<String>,
}

/// A light source in a map file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LightDef {
    /// Its square.
    pub at: (i32, i32),
    /// Bright light radius in feet.
    pub bright: u32,
    /// Dim light beyond it, in feet (default: as far again).
    #[serde(default)]
    pub dim: Option<u32>,
}

fn default_tileset() -> String {
    "dungeon".into()
}

/// A foe placed by an encounter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    /// Creature id.
    pub creature: String,
    /// Name for this individual ("Grik").
    #[serde(default)]
    pub name: Option<String>,
    /// Starting square.
    pub at: (i32, i32),
    /// Unseen by the players (never sent to their clients) until combat starts.
    #[serde(default)]
    pub hidden: bool,
    /// What it carries, left where it falls when it dies (in an adventure's scene).
    #[serde(default)]
    pub loot: Vec<crate::items::Loot>,
}

/// When combat begins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CombatStart {
    /// As soon as the first player takes a seat.
    Ambush,
    /// When a party member ends a move within this many squares of a foe (or anyone attacks).
    Proximity(u32),
}

/// An encounter: a map, a party, foes and a trigger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncounterDef {
    /// Id used on the command line.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Read-aloud text for the start of the scene.
    pub intro: String,
    /// Map id.
    pub map: String,
    /// Pregen ids, one seat each.
    pub party: Vec<String>,
    /// Foes.
    pub foes: Vec<Placement>,
    /// When combat starts.
    pub start: CombatStart,
    /// The party's level (1 to 3).
    #[serde(default = "first_level")]
    pub level: u32,
}

fn first_level() -> u32 {
    1
}

/// A content error, located in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What was wrong and what was expected.
    pub message: String,
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

impl std::error::Error for ContentError {}

/// Every error found in a set of content files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentErrors(pub Vec<ContentError>);

impl fmt::Display for ContentErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ContentErrors {}

/// The kinds of content file, by the folder they live in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentKind {
    /// `creatures/`
    Creature,
    /// `pregens/`
    Pregen,
    /// `maps/`
    Map,
    /// `encounters/`
    Encounter,
    /// `spells/`
    Spell,
    /// `items/`
    Item,
    /// `adventures/<id>/adventure.ron`
    Adventure,
    /// `adventures/<id>/<scene>.ron`
    Scene,
}

impl ContentKind {
    /// All kinds with their folder names.
    pub const ALL: [(ContentKind, &'static str); 7] = [
        (ContentKind::Item, "items"),
        (ContentKind::Spell, "spells"),
        (ContentKind::Creature, "creatures"),
        (ContentKind::Pregen, "pregens"),
        (ContentKind::Map, "maps"),
        (ContentKind::Encounter, "encounters"),
        (ContentKind::Adventure, "adventures"),
    ];

    /// The kind for a folder name.
    pub fn from_folder(name: &str) -> Option<Self> {
        Self::ALL.iter().find(|(_, n)| *n == name).map(|(k, _)| *k)
    }
}

/// All loaded content, by id.
#[derive(Debug, Clone, Default)]
pub struct ContentLibrary {
    /// Creatures.
    pub creatures: BTreeMap<String, CreatureDef>,
    /// Pregens.
    pub pregens: BTreeMap<String, PregenDef>,
    /// Maps.
    pub maps: BTreeMap<String, MapDef>,
    /// Encounters.
    pub encounters: BTreeMap<String, EncounterDef>,
    /// Spells.
    pub spells: BTreeMap<String, SpellDef>,
    /// Items.
    pub items: BTreeMap<String, crate::items::ItemDef>,
    /// Adventures with their scenes.
    pub adventures: BTreeMap<String, crate::adventure::Adventure>,
    /// Where each id came from and its text, for locating cross-file errors.
    pub(crate) sources: BTreeMap<(u8, String), (PathBuf, String)>,
}

/// Finds the first occurrence of `needle` in `text` as a 1-based (line, column).
fn locate(text: &str, needle: &str) -> Option<(usize, usize)> {
    let offset = text.find(needle)?;
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Some((line, column))
}

pub(crate) struct FileCheck<'a> {
    pub(crate) file: &'a Path,
    pub(crate) text: &'a str,
    pub(crate) errors: &'a mut Vec<ContentError>,
}

impl FileCheck<'_> {
    /// Records an error located at the first occurrence of `needle` (else the file start).
    pub(crate) fn error_at(&mut self, needle: &str, message: impl Into<String>) {
        let (line, column) = locate(self.text, needle).unwrap_or((1, 1));
        self.errors.push(ContentError {
            file: self.file.to_path_buf(),
            line,
            column,
            message: message.into(),
        });
    }

    fn check(&mut self, ok: bool, needle: &str, message: impl Into<String>) {
        if !ok {
            self.error_at(needle, message);
        }
    }

    fn check_abilities(&mut self, abilities: &Abilities) {
        for score in abilities.all() {
            self.check(
                (1..=30).contains(&score),
                "abilities",
                format!("ability score {score} is out of range: expected 1 to 30"),
            );
        }
    }

    fn check_attacks(&mut self, attacks: &[AttackDef]) {
        self.check(
            !attacks.is_empty(),
            "attacks",
            "expected at least one attack in `attacks`",
        );
        for a in attacks {
            let needle = format!("\"{}\"", a.name);
            match (a.kind, a.range) {
                (AttackKind::Ranged, None) => self.error_at(
                    &needle,
                    format!(
                        "ranged attack `{}` has no `range`: expected `range: Some((normal, long))`",
                        a.name
                    ),
                ),
                (_, Some((normal, long))) if normal == 0 || normal > long => self.error_at(
                    &needle,
                    format!(
                        "attack `{}` has range ({normal}, {long}): expected 0 < normal ≤ long",
                        a.name
                    ),
                ),
                _ => {}
            }
            self.check(
                a.reach >= 5 && a.reach % 5 == 0,
                &needle,
                format!(
                    "attack `{}` has reach {}: expected a multiple of 5 feet",
                    a.name, a.reach
                ),
            );
            self.check(
                (-5..=20).contains(&a.to_hit),
                &needle,
                format!(
                    "attack `{}` has to_hit {}: expected -5 to +20",
                    a.name, a.to_hit
                ),
            );
        }
    }

    /// A pregen's own checks: scores, attacks, level and hit points at each level.
    fn check_pregen_sheet(&mut self, p: &PregenDef) {
        self.check_abilities(&p.abilities);
        self.check_attacks(&p.attacks);
        self.check(
            (1..=3).contains(&p.level),
            "level",
            format!("level {} is not supported: expected 1 to 3", p.level),
        );
        self.check(p.max_hp > 0, "max_hp", "expected max_hp above 0");
        for l in &p.levels {
            self.check(
                (2..=3).contains(&l.level) && l.max_hp > p.max_hp && l.max_hp <= 999,
                "levels",
                format!(
                    "level {} with max_hp {}: expected levels 2 or 3 with more hit points than at level 1 (and at most 999)",
                    l.level, l.max_hp
                ),
            );
        }
    }

    fn check_id(&mut self, id: &str) {
        let stem = self
            .file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        self.check(
            id == stem,
            "id",
            format!("id `{id}` does not match the file name: expected `{stem}`"),
        );
    }
}

fn parse_ron<T: serde::de::DeserializeOwned>(file: &Path, text: &str) -> Result<T, ContentError> {
    ron::Options::default()
        .from_str::<T>(text)
        .map_err(|e| ContentError {
            file: file.to_path_buf(),
            line: e.span.start.line,
            column: e.span.start.col,
            message: describe_ron_error(&e.code),
        })
}

fn describe_ron_error(code: &ron::Error) -> String {
    let text = code.to_string();
    match code {
        ron::Error::ExpectedStructLike | ron::Error::ExpectedNamedStructLike(_) => {
            format!("{text} (a file starts like `Creature(` and lists `field: value,` pairs)")
        }
        _ => text,
    }
}

impl ContentLibrary {
    /// Parses and validates a set of files given as (path, text, kind). Every error in every
    /// file is reported; nothing partial is returned.
    pub fn from_sources(files: &[(PathBuf, String, ContentKind)]) -> Result<Self, ContentErrors> {
        let mut lib = ContentLibrary::default();
        let mut errors = Vec::new();
        // Universal VTT files by name, and the maps that import one (built once all are read).
        let mut imports: BTreeMap<String, crate::uvtt::UvttMap> = BTreeMap::new();
        let mut deferred: Vec<(PathBuf, String, String)> = Vec::new();
        // Tiled tilesets and templates, for the Tiled maps that name them.
        let resources = crate::maps::Resources::of(
            files
                .iter()
                .filter(|(_, _, k)| *k == ContentKind::Map)
                .map(|(p, t, _)| (p.as_path(), t.as_str())),
        );
        for (file, text, kind) in files {
            let mut check = FileCheck {
                file,
                text,
                errors: &mut errors,
            };
            match kind {
                ContentKind::Creature => match parse_ron::<CreatureDef>(file, text) {
                    Ok(c) => {
                        check.check_id(&c.id);
                        check.check_abilities(&c.abilities);
                        check.check_attacks(&c.attacks);
                        check.check(c.hp == c.hit_dice.average(), "hp", format!(
                            "hp {} does not match hit_dice {} (average {}): expected them to agree as in the SRD",
                            c.hp, c.hit_dice, c.hit_dice.average()
                        ));
                        check.check(
                            (1..=30).contains(&c.ac),
                            "ac",
                            format!("ac {} is out of range: expected 1 to 30", c.ac),
                        );
                        check.check(
                            c.speed % 5 == 0,
                            "speed",
                            "expected speed to be a multiple of 5 feet",
                        );
                        lib.insert_source(0, &c.id, file, text);
                        if lib.creatures.insert(c.id.clone(), c.clone()).is_some() {
                            check
                                .error_at("id", format!("creature id `{}` is defined twice", c.id));
                        }
                    }
                    Err(e) => errors.push(e),
                },
                ContentKind::Pregen => match parse_ron::<PregenDef>(file, text) {
                    Ok(p) => {
                        check.check_id(&p.id);
                        check.check_pregen_sheet(&p);
                        lib.insert_source(1, &p.id, file, text);
                        if lib.pregens.insert(p.id.clone(), p.clone()).is_some() {
                            check.error_at("id", format!("pregen id `{}` is defined twice", p.id));
                        }
                    }
                    Err(e) => errors.push(e),
                },
                ContentKind::Map if is_uvtt(file) => match crate::uvtt::parse(text) {
                    Ok(map) => {
                        let name = file
                            .file_name()
                            .and_then(|n| n.to_str())
                            .unwrap_or_default()
                            .to_string();
                        imports.insert(name, map);
                    }
                    Err(message) => errors.push(ContentError {
                        file: file.clone(),
                        line: 1,
                        column: 1,
                        message,
                    }),
                },
                ContentKind::Map if MapFormat::of(file) != MapFormat::Ron => {
                    match crate::maps::load(file, text, &resources) {
                        Ok(Some(m)) => {
                            if let Err((_, _, msg)) = map_grid(&m) {
                                errors.push(crate::maps::file_error(file, msg));
                            }
                            lib.insert_map(m, file, text, &mut errors);
                        }
                        Ok(None) => {}
                        Err(e) => errors.extend(e),
                    }
                }
                ContentKind::Map => match parse_ron::<MapDef>(file, text) {
                    Ok(m) if m.uvtt.is_some() => {
                        check.check_id(&m.id);
                        let id = m.id.clone();
                        if lib.insert_map(m, file, text, &mut errors) {
                            deferred.push((file.clone(), text.clone(), id));
                        }
                    }
                    Ok(m) => {
                        check.check_id(&m.id);
                        if let Err((row, col, msg)) = map_grid(&m) {
                            let needle = m
                                .tiles
                                .get(row)
                                .map(|r| format!("\"{r}\""))
                                .unwrap_or_else(|| "tiles".into());
                            let (line, column) = locate(text, &needle).unwrap_or((1, 1));
                            errors.push(ContentError {
                                file: file.clone(),
                                line,
                                column: column + 1 + col,
                                message: msg,
                            });
                        }
                        lib.insert_map(m, file, text, &mut errors);
                    }
                    Err(e) => errors.push(e),
                },
                ContentKind::Item => match parse_ron::<crate::items::ItemDef>(file, text) {
                    Ok(item) => {
                        check.check_id(&item.id);
                        for (needle, message) in crate::items::check_item(&item) {
                            check.error_at(&needle, message);
                        }
                        lib.insert_source(5, &item.id, file, text);
                        if lib.items.insert(item.id.clone(), item.clone()).is_some() {
                            check.error_at("id", format!("item id `{}` is defined twice", item.id));
                        }
                    }
                    Err(e) => errors.push(e),
                },
                ContentKind::Spell => match parse_ron::<SpellDef>(file, text) {
                    Ok(sp) => {
                        check.check_id(&sp.id);
                        for (needle, message) in crate::spells::check_spell(&sp) {
                            check.error_at(&needle, message);
                        }
                        lib.insert_source(4, &sp.id, file, text);
                        if lib.spells.insert(sp.id.clone(), sp.clone()).is_some() {
                            check.error_at("id", format!("spell id `{}` is defined twice", sp.id));
                        }
                    }
                    Err(e) => errors.push(e),
                },
                ContentKind::Adventure => {
                    match parse_ron::<crate::adventure::AdventureDef>(file, text) {
                        Ok(a) => {
                            let folder = adventure_folder(file);
                            check.check(
                                a.id == folder,
                                "id",
                                format!(
                                    "id `{}` does not match the folder name: expected `{folder}`",
                                    a.id
                                ),
                            );
                            check.check(
                                (1..=3).contains(&a.level),
                                "level",
                                format!("level {} is not supported: expected 1 to 3", a.level),
                            );
                            lib.insert_source(6, &a.id, file, text);
                            let id = a.id.clone();
                            lib.adventures.entry(id).or_default().def = Some(a);
                        }
                        Err(e) => errors.push(e),
                    }
                }
                ContentKind::Scene => match parse_ron::<crate::adventure::SceneDef>(file, text) {
                    Ok(sc) => {
                        check.check_id(&sc.id);
                        for (needle, message) in crate::adventure::check_scene(&sc) {
                            check.error_at(&needle, message);
                        }
                        let folder = adventure_folder(file);
                        lib.insert_source(7, &format!("{folder}/{}", sc.id), file, text);
                        lib.adventures
                            .entry(folder)
                            .or_default()
                            .scenes
                            .insert(sc.id.clone(), sc);
                    }
                    Err(e) => errors.push(e),
                },
                ContentKind::Encounter => match parse_ron::<EncounterDef>(file, text) {
                    Ok(e) => {
                        check.check_id(&e.id);
                        check.check(
                            (1..=3).contains(&e.level),
                            "level",
                            format!("level {} is not supported: expected 1 to 3", e.level),
                        );
                        lib.insert_source(3, &e.id, file, text);
                        lib.encounters.insert(e.id.clone(), e);
                    }
                    Err(e) => errors.push(e),
                },
            }
        }
        for (file, text, id) in deferred {
            lib.import_uvtt(&file, &text, &id, &imports, &mut errors);
        }
        lib.apply_maps(&mut errors);
        lib.check_references(&mut errors);
        lib.check_adventures(&mut errors);
        if errors.is_empty() {
            Ok(lib)
        } else {
            Err(ContentErrors(errors))
        }
    }

    /// Adds a map (true); a second map of the same id (`den.ron` beside `den.tmx`) is an
    /// error (false).
    fn insert_map(
        &mut self,
        m: MapDef,
        file: &Path,
        text: &str,
        errors: &mut Vec<ContentError>,
    ) -> bool {
        if let Some((first, _)) = self.sources.get(&(2, m.id.clone())) {
            errors.push(crate::maps::file_error(
                file,
                format!(
                    "map id `{}` is defined twice, here and in {}: expected one file per map (remove one)",
                    m.id,
                    first.display()
                ),
            ));
            return false;
        }
        self.insert_source(2, &m.id, file, text);
        self.maps.insert(m.id.clone(), m);
        true
    }

    fn insert_source(&mut self, kind: u8, id: &str, file: &Path, text: &str) {
        self.sources.insert(
            (kind, id.to_string()),
            (file.to_path_buf(), text.to_string()),
        );
    }

    /// Every check a pregen file gets (its sheet, its equipment and the AC it gives, its
    /// spells), for a pregen made elsewhere (a player's own character): each problem as a
    /// sentence; none if it would load as a shipped pregen.
    pub fn check_pregen(&self, p: &PregenDef) -> Vec<String> {
        let text =
            ron::ser::to_string_pretty(p, ron::ser::PrettyConfig::default()).unwrap_or_default();
        let file = PathBuf::from(format!("pregens/{}.ron", p.id));
        let mut errors = Vec::new();
        let mut check = FileCheck {
            file: &file,
            text: &text,
            errors: &mut errors,
        };
        check.check_pregen_sheet(p);
        self.check_pregen_gear(&mut check, p);
        if let Some(casting) = &p.spellcasting {
            self.check_known_spells(&mut check, pregen_spells(casting, p));
        }
        errors.into_iter().map(|e| e.message).collect()
    }

    /// A pregen's equipment exists, and its armor and shield give its AC (SRD 5.1 "Armor and
    /// Shields"; Fighting Style (Defense): +1 "while you are wearing armor").
    fn check_pregen_gear(&self, check: &mut FileCheck<'_>, p: &PregenDef) {
        let mut gear = Vec::new();
        for id in &p.equipment {
            match self.items.get(id) {
                Some(item) => gear.push(item),
                None => check.error_at(
                    &format!("\"{id}\""),
                    format!(
                        "unknown item `{id}`: expected one of {}",
                        list(self.items.keys())
                    ),
                ),
            }
        }
        let armored = gear
            .iter()
            .any(|i| matches!(i.kind, crate::items::ItemKind::Armor { .. }));
        let defense = armored
            && p.features
                .contains(&Feature::FightingStyle(FightingStyle::Defense));
        if let Some(ac) =
            crate::items::armor_class(gear.iter().copied(), p.abilities.modifier(Ability::Dex))
        {
            let ac = ac + i32::from(defense);
            check.check(
                ac == p.ac,
                "ac: ",
                format!(
                    "ac {} does not match the equipment's AC {ac}: expected them to agree",
                    p.ac
                ),
            );
        }
    }

    /// Every spell a caster names is in the library.
    fn check_known_spells<'s>(
        &self,
        check: &mut FileCheck<'_>,
        spells: impl IntoIterator<Item = &'s String>,
    ) {
        for spell in spells {
            check.check(
                self.spells.contains_key(spell),
                &format!("\"{spell}\""),
                format!(
                    "unknown spell `{spell}`: expected one of {}",
                    list(self.spells.keys())
                ),
            );
        }
    }

    /// Cross-file checks: encounters name maps, pregens and creatures that exist, and
    /// placements land on open squares of the map.
    fn check_references(&self, errors: &mut Vec<ContentError>) {
        for p in self.pregens.values() {
            let Some((file, text)) = self.sources.get(&(1, p.id.clone())) else {
                continue;
            };
            let mut check = FileCheck { file, text, errors };
            self.check_pregen_gear(&mut check, p);
        }
        let casters = self
            .pregens
            .values()
            .filter_map(|p| {
                let c = p.spellcasting.as_ref()?;
                Some((1u8, &p.id, pregen_spells(c, p).collect::<Vec<_>>()))
            })
            .chain(self.creatures.values().filter_map(|c| {
                Some((0u8, &c.id, c.spellcasting.as_ref()?.spells.iter().collect()))
            }));
        for (kind, id, spells) in casters {
            let Some((file, text)) = self.sources.get(&(kind, id.clone())) else {
                continue;
            };
            let mut check = FileCheck { file, text, errors };
            self.check_known_spells(&mut check, spells);
        }
        for enc in self.encounters.values() {
            let Some((file, text)) = self.sources.get(&(3, enc.id.clone())) else {
                continue;
            };
            let mut check = FileCheck { file, text, errors };
            let map = self.maps.get(&enc.map);
            if map.is_none() {
                check.error_at(
                    &format!("\"{}\"", enc.map),
                    format!(
                        "unknown map `{}`: expected one of {}",
                        enc.map,
                        list(self.maps.keys())
                    ),
                );
            }
            check.check(
                !enc.party.is_empty(),
                "party",
                "expected at least one pregen in `party`",
            );
            for p in &enc.party {
                check.check(
                    self.pregens.contains_key(p),
                    &format!("\"{p}\""),
                    format!(
                        "unknown pregen `{p}`: expected one of {}",
                        list(self.pregens.keys())
                    ),
                );
            }
            check.check(
                !enc.foes.is_empty(),
                "foes",
                "expected at least one foe in `foes`",
            );
            let grid = map.and_then(|m| map_grid(m).ok());
            let mut taken = Vec::new();
            for f in &enc.foes {
                let needle = format!("\"{}\"", f.creature);
                check.check(
                    self.creatures.contains_key(&f.creature),
                    &needle,
                    format!(
                        "unknown creature `{}`: expected one of {}",
                        f.creature,
                        list(self.creatures.keys())
                    ),
                );
                if let Some((grid, spawns)) = &grid {
                    let at = GridPos::new(f.at.0, f.at.1);
                    let needle = format!("({}, {})", f.at.0, f.at.1);
                    if !grid.in_bounds(at) || !grid.terrain(at).passable() {
                        check.error_at(&needle, format!("foe `{}` is placed at {at}, which is not an open square of map `{}`", f.name.as_deref().unwrap_or(&f.creature), enc.map));
                    } else if spawns.contains(&at) || taken.contains(&at) {
                        check.error_at(
                            &needle,
                            format!(
                                "foe `{}` at {at} shares its square with another creature",
                                f.name.as_deref().unwrap_or(&f.creature)
                            ),
                        );
                    }
                    taken.push(at);
                }
            }
            if let Some((_, spawns)) = &grid {
                check.check(spawns.len() >= enc.party.len(), "party", format!(
                    "map `{}` has {} party start squares (`P`) for a party of {}: expected at least one each",
                    enc.map, spawns.len(), enc.party.len()
                ));
            }
        }
    }

    /// Cross-file checks of the adventures: party, scenes, maps, creatures, items, squares.
    fn check_adventures(&self, errors: &mut Vec<ContentError>) {
        for (id, adventure) in &self.adventures {
            let Some(def) = &adventure.def else {
                // Scenes without an adventure file: name the first scene's file.
                if let Some(scene) = adventure.scenes.keys().next()
                    && let Some((file, _)) = self.sources.get(&(7, format!("{id}/{scene}")))
                {
                    errors.push(ContentError {
                        file: file.clone(),
                        line: 1,
                        column: 1,
                        message: format!(
                            "scene in adventures/{id}/ but no adventures/{id}/adventure.ron: expected one naming the party and the first scene"
                        ),
                    });
                }
                continue;
            };
            if let Some((file, text)) = self.sources.get(&(6, id.clone())) {
                let mut check = FileCheck { file, text, errors };
                for (needle, message) in crate::adventure::check_adventure(self, def, adventure) {
                    check.error_at(&needle, message);
                }
            }
            for scene in adventure.scenes.values() {
                let Some((file, text)) = self.sources.get(&(7, format!("{id}/{}", scene.id)))
                else {
                    continue;
                };
                let mut check = FileCheck { file, text, errors };
                for (needle, message) in crate::adventure::check_scene_refs(self, adventure, scene)
                {
                    check.error_at(&needle, message);
                }
            }
        }
    }

    /// The grid and party start squares of a map.
    pub fn map_grid(&self, id: &str) -> Option<(MapGrid, Vec<GridPos>)> {
        self.maps.get(id).and_then(|m| map_grid(m).ok())
    }

    /// Builds a map that imports a Universal VTT file: all floor, the file's size, walls, doors
    /// and lights (and the map file's own), checked like any map; its `file` is the Universal
    /// VTT file (its closed doors become `Door` points in [`crate::maps::merge`]).
    fn import_uvtt(
        &mut self,
        file: &Path,
        text: &str,
        id: &str,
        imports: &BTreeMap<String, crate::uvtt::UvttMap>,
        errors: &mut Vec<ContentError>,
    ) {
        let Some(m) = self.maps.get_mut(id) else {
            return;
        };
        let name = m.uvtt.clone().unwrap_or_default();
        let at = |needle: &str| locate(text, needle).unwrap_or((1, 1));
        let Some(import) = imports.get(&name) else {
            let (line, column) = at(&format!("\"{name}\""));
            errors.push(ContentError {
                file: file.to_path_buf(),
                line,
                column,
                message: format!(
                    "no Universal VTT file `{name}` in maps/: expected a .dd2vtt, .uvtt or .df2vtt file of that name"
                ),
            });
            return;
        };
        m.tiles = vec![".".repeat(import.width as usize); import.height as usize];
        m.file = Some(format!("maps/{name}"));
        let own = std::mem::take(&mut m.walls);
        m.walls = import.walls.iter().copied().chain(own).collect();
        let own = std::mem::take(&mut m.lights);
        m.lights = import.lights.iter().cloned().chain(own).collect();
        if let Err((_, _, message)) = map_grid(m) {
            let (line, column) = at("uvtt");
            errors.push(ContentError {
                file: file.to_path_buf(),
                line,
                column,
                message,
            });
        }
    }

    /// Loads every `.ron` file under the `creatures/`, `pregens/`, `maps/` and `encounters/`
    /// folders of `root`.
    pub fn load_dir(root: &Path) -> Result<Self, ContentErrors> {
        Self::load_dirs(root, &[])
    }

    /// Loads the content of `root` with content packs laid over it in order: a pack's file
    /// replaces the file with the same path inside the folder before it
    /// (`creatures/goblin.ron`, `adventures/ember/vault.ron`) and adds the others. Everything
    /// is then checked together, so a pack may use what the folder under it defines.
    pub fn load_dirs(root: &Path, packs: &[PathBuf]) -> Result<Self, ContentErrors> {
        let mut files: Vec<(PathBuf, (PathBuf, String, ContentKind))> = Vec::new();
        for dir in std::iter::once(root).chain(packs.iter().map(PathBuf::as_path)) {
            if !dir.is_dir() {
                return Err(ContentErrors(vec![ContentError {
                    file: dir.to_path_buf(),
                    line: 1,
                    column: 1,
                    message: "not a folder: expected a content folder (creatures/, maps/, …)"
                        .into(),
                }]));
            }
            for (path, text, kind) in read_content_files(dir).map_err(|e| ContentErrors(vec![e]))? {
                let rel = path.strip_prefix(dir).unwrap_or(&path).to_path_buf();
                match files.iter_mut().find(|(r, _)| *r == rel) {
                    Some(slot) => slot.1 = (path, text, kind),
                    None => files.push((rel, (path, text, kind))),
                }
            }
        }
        // Kinds in the order one folder is read (a pack's new files join their kind).
        // (scenes are read with their adventures, last.)
        let rank = |k: &ContentKind| {
            ContentKind::ALL
                .iter()
                .position(|(x, _)| x == k)
                .unwrap_or(ContentKind::ALL.len() - 1)
        };
        files.sort_by_key(|(_, (_, _, k))| rank(k));
        let files: Vec<_> = files.into_iter().map(|(_, f)| f).collect();
        let lib = Self::from_sources(&files)?;
        let roots: Vec<&Path> = std::iter::once(root)
            .chain(packs.iter().map(PathBuf::as_path))
            .collect();
        let missing = missing_tileset_images(&files, &roots);
        if missing.is_empty() {
            Ok(lib)
        } else {
            Err(ContentErrors(missing))
        }
    }
}

/// The images the Tiled maps' tilesets name that no content folder has (the window could not
/// draw them), when the folders carry art (`art/`). A path in a tileset is taken from the tileset's folder, and may reach into any
/// of the folders (a pack's map may use the shipped `art/tiles.png`).
fn missing_tileset_images(
    files: &[(PathBuf, String, ContentKind)],
    roots: &[&Path],
) -> Vec<ContentError> {
    // A content folder without art (the server's only; the window draws from its own assets
    // folder) is not checked: the window then keeps the shipped tiles if an image is missing.
    if !roots.iter().any(|r| r.join("art").is_dir()) {
        return Vec::new();
    }
    let ext = |p: &Path, x: &str| p.extension().is_some_and(|e| e.eq_ignore_ascii_case(x));
    let tilesets: Vec<(PathBuf, String)> = files
        .iter()
        .filter(|(p, _, k)| *k == ContentKind::Map && ext(p, "tsx"))
        .map(|(p, t, _)| (p.clone(), t.clone()))
        .collect();
    let mut errors = Vec::new();
    for (file, text, _) in files
        .iter()
        .filter(|(p, _, k)| *k == ContentKind::Map && ext(p, "tmx"))
    {
        // A map that does not read was reported by the loader.
        let Ok(art) = crate::maps::art::tmx_art(file, text, &tilesets) else {
            continue;
        };
        let mut seen = Vec::new();
        for layer in &art.layers {
            let image = PathBuf::from(&layer.tileset.image);
            if seen.contains(&image) {
                continue;
            }
            seen.push(image.clone());
            let found = std::iter::once(image.clone())
                .chain(roots.iter().flat_map(|r| {
                    roots
                        .iter()
                        .filter_map(|base| image.strip_prefix(base).ok())
                        .map(|rel| r.join(rel))
                        .collect::<Vec<_>>()
                }))
                .find(|p| p.is_file());
            let (line, column) = locate(text, "<tileset").unwrap_or((1, 1));
            let problem = match found {
                None => Some(format!(
                    "the tileset image {} is missing: expected a PNG at that path (a tileset's image path is taken from the tileset's folder)",
                    image.display()
                )),
                // The window decodes it: a picture too large to draw is refused here.
                Some(path) => tileset_picture_problem(&path)
                    .map(|e| format!("the tileset image {}: {e}", image.display())),
            };
            if let Some(message) = problem {
                errors.push(ContentError {
                    file: file.clone(),
                    line,
                    column,
                    message,
                });
            }
        }
    }
    errors
}

/// What is wrong with a tileset's picture, from its header: it must be a PNG or JPEG of at
/// most [`crate::uvtt::MAX_PICTURE_SIDE`] pixels a side and at most 64 MiB.
fn tileset_picture_problem(path: &Path) -> Option<String> {
    use std::io::Read;
    const MAX_BYTES: u64 = 64 * 1024 * 1024;
    let mut bytes = Vec::new();
    let read =
        std::fs::File::open(path).and_then(|f| f.take(MAX_BYTES + 1).read_to_end(&mut bytes));
    if let Err(e) = read {
        return Some(format!("cannot be read: {e}"));
    }
    if bytes.len() as u64 > MAX_BYTES {
        return Some(format!("is over {MAX_BYTES} bytes"));
    }
    let max = crate::uvtt::MAX_PICTURE_SIDE;
    match crate::uvtt::picture_size(&bytes) {
        Err(e) => Some(e),
        Ok((_, w, h)) if w == 0 || h == 0 || w > max || h > max => Some(format!(
            "its picture is {w}×{h} pixels: expected 1 to {max} a side"
        )),
        Ok(_) => None,
    }
}

/// A file or folder that cannot be read, as a content error.
fn io_error(path: &Path, e: std::io::Error) -> ContentError {
    ContentError {
        file: path.to_path_buf(),
        line: 1,
        column: 1,
        message: format!("cannot read: {e}"),
    }
}

/// A content file's text; a file larger than any content file may be (a map file's 64 MiB,
/// [`crate::maps::MAX_MAP_FILE_BYTES`]) is refused before it is read.
fn read_text(path: &Path) -> Result<String, ContentError> {
    let len = std::fs::metadata(path)
        .map_err(|e| io_error(path, e))?
        .len();
    if len > crate::maps::MAX_MAP_FILE_BYTES {
        return Err(crate::maps::file_error(
            path,
            format!("{len} bytes: expected a content file of at most 64 MiB"),
        ));
    }
    std::fs::read_to_string(path).map_err(|e| io_error(path, e))
}

/// Reads the content files of an assets folder (IO is kept to this one function).
pub fn read_content_files(
    root: &Path,
) -> Result<Vec<(PathBuf, String, ContentKind)>, ContentError> {
    let mut files = Vec::new();
    if !root.is_dir() {
        return Err(io_error(
            root,
            std::io::Error::new(std::io::ErrorKind::NotFound, "expected an assets folder"),
        ));
    }
    for (kind, folder) in ContentKind::ALL {
        let dir = root.join(folder);
        if !dir.is_dir() {
            continue;
        }
        if kind == ContentKind::Adventure {
            files.extend(read_adventures(&dir)?);
            continue;
        }
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| io_error(&dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|x| x == "ron")
                    || (kind == ContentKind::Map && is_map_file(p))
            })
            .collect();
        paths.sort();
        for path in paths {
            let text = read_text(&path)?;
            files.push((path, text, kind));
        }
    }
    Ok(files)
}

/// The adventure a file in `adventures/<id>/` belongs to: its folder's name.
fn adventure_folder(file: &Path) -> String {
    file.parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string()
}

/// The files of `adventures/`: in each folder, `adventure.ron` and its scenes.
fn read_adventures(dir: &Path) -> Result<Vec<(PathBuf, String, ContentKind)>, ContentError> {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| io_error(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    let mut files = Vec::new();
    for folder in folders {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&folder)
            .map_err(|e| io_error(&folder, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "ron"))
            .collect();
        paths.sort();
        for path in paths {
            let text = read_text(&path)?;
            let kind = if path.file_stem().is_some_and(|s| s == "adventure") {
                ContentKind::Adventure
            } else {
                ContentKind::Scene
            };
            files.push((path, text, kind));
        }
    }
    Ok(files)
}

pub(crate) fn list<'a>(ids: impl Iterator<Item = &'a String>) -> String {
    let ids: Vec<String> = ids.map(|s| format!("`{s}`")).collect();
    if ids.is_empty() {
        "(none defined)".into()
    } else {
        ids.join(", ")
    }
}

/// Whether a file in `maps/` is a Universal VTT file (by its extension).
fn is_uvtt(file: &Path) -> bool {
    MapFormat::of(file) == MapFormat::UniversalVtt
}

/// Whether a file in `maps/` is read: RON, Tiled (maps, tilesets, templates) or Universal VTT.
fn is_map_file(file: &Path) -> bool {
    file.extension()
        .and_then(|x| x.to_str())
        .is_some_and(|x| MapFormat::EXTENSIONS.contains(&x.to_ascii_lowercase().as_str()))
}

/// Every spell a pregen names: its spellcasting's and those its levels add.
fn pregen_spells<'a>(
    casting: &'a Spellcasting,
    p: &'a PregenDef,
) -> impl Iterator<Item = &'a String> + 'a {
    casting
        .spells
        .iter()
        .chain(p.levels.iter().flat_map(|l| l.spells.iter()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(kind: ContentKind, name: &str, text: &str) -> Result<ContentLibrary, ContentErrors> {
        ContentLibrary::from_sources(&[(PathBuf::from(name), text.to_string(), kind)])
    }

    #[test]
    fn syntax_error_names_file_line_and_column() {
        let err = one(
            ContentKind::Map,
            "maps/bad.ron",
            "MapDef(\n  id: \"bad\",\n  name: 12,\n)",
        )
        .unwrap_err();
        let e = &err.0[0];
        assert_eq!(e.file, PathBuf::from("maps/bad.ron"));
        assert_eq!(e.line, 3);
        assert!(e.column > 1, "{e}");
        assert!(e.message.to_lowercase().contains("expected"), "{e}");
    }

    #[test]
    fn unknown_tile_is_located() {
        let err = one(
            ContentKind::Map,
            "maps/m.ron",
            "(id: \"m\", name: \"M\", tiles: [\n \"#.#\",\n \"#x#\"])",
        )
        .unwrap_err();
        let e = &err.0[0];
        assert_eq!((e.line, e.column), (3, 4), "{e}");
        assert!(e.message.contains("unknown tile `x`"));
    }
}
