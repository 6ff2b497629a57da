//! Equipment as content: `assets/items/*.ron` — armor and shields (which compute a wearer's
//! AC, SRD 5.1 "Armor and Shields"), potions, and gear (keys, quest items) — and weapon
//! properties on attacks.

use crate::dice::DiceExpr;
use serde::{Deserialize, Serialize};

/// What an item is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ItemKind {
    /// Body armor: AC = base + Dexterity modifier (at most `dex_cap`: 2 for medium armor, 0
    /// for heavy armor, none for light).
    Armor {
        /// Base AC.
        base: i32,
        /// The most Dexterity adds (None: all of it).
        #[serde(default)]
        dex_cap: Option<i32>,
        /// Disadvantage on Stealth checks.
        #[serde(default)]
        stealth_disadvantage: bool,
        /// Made of metal (chain mail, scale mail): Shocking Grasp has advantage against its
        /// wearer.
        #[serde(default)]
        metal: bool,
    },
    /// A shield: + bonus AC.
    Shield {
        /// AC bonus (2).
        bonus: i32,
    },
    /// A potion drunk (or given to a creature within 5 ft) with an action.
    Potion {
        /// Hit points regained.
        heal: DiceExpr,
    },
    /// Something carried for the story: a key that opens a lock, a quest item.
    Gear,
}

/// Loot: an item or gold (in a chest, on a foe, on the floor), or a loot table rolled when
/// it is taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Loot {
    /// An item id.
    Item(String),
    /// Gold pieces.
    Gold(u32),
    /// Gold pieces rolled when taken (`Coins("3d6")`).
    Coins(DiceExpr),
    /// One of these, at random, when taken (each as likely; list one twice to weigh it).
    OneOf(Vec<Loot>),
}

/// The most gold one find may hold.
pub const MAX_GOLD: i32 = 100_000;
/// How deep loot tables may nest, and how many entries one may list.
const MAX_DEPTH: usize = 3;
const MAX_CHOICES: usize = 32;

impl Loot {
    /// Every item id it may give.
    pub fn item_ids(&self) -> Vec<&String> {
        match self {
            Loot::Item(id) => vec![id],
            Loot::Gold(_) | Loot::Coins(_) => Vec::new(),
            Loot::OneOf(choices) => choices.iter().flat_map(Loot::item_ids).collect(),
        }
    }

    /// What is wrong with it (without content): (where, why).
    pub fn problems(&self) -> Vec<(String, String)> {
        self.problems_at(0)
    }

    fn problems_at(&self, depth: usize) -> Vec<(String, String)> {
        match self {
            Loot::Item(_) => Vec::new(),
            Loot::Gold(g) if i64::from(*g) > i64::from(MAX_GOLD) => vec![(
                format!("Gold({g})"),
                format!("{g} gold is too much for one find: expected at most {MAX_GOLD}"),
            )],
            Loot::Gold(_) => Vec::new(),
            Loot::Coins(d) if d.min() < 0 || d.max() > MAX_GOLD => vec![(
                "Coins(".into(),
                format!(
                    "coins {d} may come to {} to {}: expected 0 to {MAX_GOLD}",
                    d.min(),
                    d.max()
                ),
            )],
            Loot::Coins(_) => Vec::new(),
            Loot::OneOf(choices) if choices.is_empty() || choices.len() > MAX_CHOICES => vec![(
                "OneOf(".into(),
                format!(
                    "a loot table lists 1 to {MAX_CHOICES} choices, not {}",
                    choices.len()
                ),
            )],
            Loot::OneOf(_) if depth >= MAX_DEPTH => vec![(
                "OneOf(".into(),
                format!("loot tables nest at most {MAX_DEPTH} deep"),
            )],
            Loot::OneOf(choices) => choices
                .iter()
                .flat_map(|c| c.problems_at(depth + 1))
                .collect(),
        }
    }

    /// What it gives this time: tables rolled, coins counted (items and gold only).
    pub fn roll(&self, rng: &mut crate::dice::GameRng) -> Vec<Loot> {
        match self {
            Loot::Item(_) | Loot::Gold(_) => vec![self.clone()],
            Loot::Coins(d) => vec![Loot::Gold(d.roll(rng, false).total.max(0) as u32)],
            Loot::OneOf(choices) if choices.is_empty() => Vec::new(),
            Loot::OneOf(choices) => {
                let i = crate::dice::roll_die(rng, choices.len() as u32) as usize - 1;
                choices[i].roll(rng)
            }
        }
    }
}

/// One item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemDef {
    /// Id (matches the file name).
    pub id: String,
    /// Display name.
    pub name: String,
    /// What it is.
    pub kind: ItemKind,
    /// The SRD text.
    pub text: String,
}

/// SRD 5.1 weapon properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WeaponProperty {
    /// Use Strength or Dexterity; Sneak Attack works with it.
    Finesse,
    /// Small and easy to handle (two-weapon fighting).
    Light,
    /// Needs two hands: no Dueling bonus.
    TwoHanded,
    /// One or two hands.
    Versatile,
    /// Can be thrown as a ranged attack.
    Thrown,
    /// Needs ammunition.
    Ammunition,
    /// One shot per action, bonus action or reaction.
    Loading,
    /// Adds 5 feet to reach.
    Reach,
    /// Small creatures have disadvantage with it.
    Heavy,
}

/// Checks an item's numbers; returns (needle, message) pairs for the file checker. Bounded
/// so that no file can make AC or healing overflow.
pub fn check_item(item: &ItemDef) -> Vec<(String, String)> {
    let mut out = Vec::new();
    match &item.kind {
        ItemKind::Armor { base, dex_cap, .. } => {
            if !(10..=30).contains(base) {
                out.push((
                    "base".into(),
                    format!("armor base AC {base} is out of range: expected 10 to 30"),
                ));
            }
            if dex_cap.is_some_and(|c| !(0..=10).contains(&c)) {
                out.push((
                    "dex_cap".into(),
                    "dex_cap is out of range: expected 0 to 10".into(),
                ));
            }
        }
        ItemKind::Shield { bonus } => {
            if !(1..=10).contains(bonus) {
                out.push((
                    "bonus".into(),
                    format!("shield bonus {bonus} is out of range: expected 1 to 10"),
                ));
            }
        }
        ItemKind::Potion { heal } => {
            if heal.max() > 1000 {
                out.push((
                    "heal".into(),
                    format!("healing {heal} can exceed 1000 hit points"),
                ));
            }
        }
        ItemKind::Gear => {}
    }
    out
}

/// The AC that `equipment` gives a creature with Dexterity modifier `dex` (10 + Dex without
/// armor), or None if it holds no armor or shield.
pub fn armor_class<'a>(equipment: impl IntoIterator<Item = &'a ItemDef>, dex: i32) -> Option<i32> {
    let mut body: Option<i32> = None;
    let mut shield = 0;
    let mut any = false;
    for item in equipment {
        match &item.kind {
            ItemKind::Armor { base, dex_cap, .. } => {
                any = true;
                let d = dex_cap.map_or(dex, |cap| dex.min(cap));
                let ac = base.saturating_add(d);
                body = Some(body.map_or(ac, |b: i32| b.max(ac)));
            }
            ItemKind::Shield { bonus } => {
                any = true;
                shield = shield.max(*bonus);
            }
            ItemKind::Potion { .. } | ItemKind::Gear => {}
        }
    }
    any.then(|| body.unwrap_or(10 + dex).saturating_add(shield))
}

/// Whether a class's SRD 5.1 armor proficiencies cover `kind` (light armor: no Dexterity
/// cap; medium: a cap of 2; heavy: 0). Fighter: all armor and shields; Cleric: light,
/// medium and shields (Life Domain: heavy too); Rogue: light; Wizard: none. A class this
/// game does not know (a mod's) is taken as proficient. Not armor: true.
pub fn armor_proficient(class: &str, kind: &ItemKind) -> bool {
    let class = class.to_lowercase();
    let (light, medium, heavy, shield) = if class.starts_with("fighter") {
        (true, true, true, true)
    } else if class.starts_with("cleric") {
        (true, true, class.contains("life"), true)
    } else if class.starts_with("rogue") {
        (true, false, false, false)
    } else if class.starts_with("wizard") {
        (false, false, false, false)
    } else {
        return true;
    };
    match kind {
        ItemKind::Armor { dex_cap: None, .. } => light,
        ItemKind::Armor {
            dex_cap: Some(c), ..
        } if *c > 0 => medium,
        ItemKind::Armor { .. } => heavy,
        ItemKind::Shield { .. } => shield,
        ItemKind::Potion { .. } | ItemKind::Gear => true,
    }
}

/// Words of the SRD 5.1 armor table that name armor made of metal: chain shirt, scale mail,
/// breastplate, half plate, ring mail, chain mail, splint, plate. Padded, leather, studded
/// leather and hide are not; neither is a stat block's "natural armor" or "armor scraps".
const METAL_ARMOR_WORDS: [&str; 5] = ["chain", "scale", "plate", "ring mail", "splint"];

/// Whether a creature wears armor made of metal (SRD 5.1 Shocking Grasp: "if the target is
/// wearing armor made of metal"): its body armor items say so (`metal: true`) when it carries
/// any, else its stat block's armor line names a metal armor ("chain mail, shield"). Shields
/// (wood or metal) do not count. The one answer, for pregens and creatures alike.
pub fn wears_metal_armor<'a>(
    equipment: impl IntoIterator<Item = &'a ItemDef>,
    armor_line: Option<&str>,
) -> bool {
    let mut body = equipment.into_iter().filter_map(|i| match i.kind {
        ItemKind::Armor { metal, .. } => Some(metal),
        _ => None,
    });
    match body.next() {
        Some(first) => first || body.any(|metal| metal),
        None => armor_line.is_some_and(|line| {
            let line = line.to_lowercase();
            METAL_ARMOR_WORDS.iter().any(|w| line.contains(w))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(kind: ItemKind) -> ItemDef {
        ItemDef {
            id: "x".into(),
            name: "x".into(),
            kind,
            text: String::new(),
        }
    }

    #[test]
    fn armor_class_follows_the_srd_armor_table() {
        // SRD 5.1 Armor table: Leather 11 + Dex; Scale mail 14 + Dex (max 2); Chain mail 16;
        // Shield +2.
        let leather = item(ItemKind::Armor {
            base: 11,
            dex_cap: None,
            stealth_disadvantage: false,
            metal: false,
        });
        let scale = item(ItemKind::Armor {
            base: 14,
            dex_cap: Some(2),
            stealth_disadvantage: true,
            metal: true,
        });
        let chain = item(ItemKind::Armor {
            base: 16,
            dex_cap: Some(0),
            stealth_disadvantage: true,
            metal: true,
        });
        let shield = item(ItemKind::Shield { bonus: 2 });
        assert_eq!(armor_class([&leather], 3), Some(14));
        assert_eq!(armor_class([&scale], 3), Some(16));
        assert_eq!(armor_class([&chain, &shield], 3), Some(18));
        assert_eq!(
            armor_class([&shield], 2),
            Some(14),
            "unarmored with a shield: 10 + Dex + 2"
        );
        assert_eq!(armor_class([], 2), None);
    }

    #[test]
    fn metal_armor_comes_from_the_items_worn_or_the_stat_block_line() {
        let leather = item(ItemKind::Armor {
            base: 11,
            dex_cap: None,
            stealth_disadvantage: false,
            metal: false,
        });
        let chain = item(ItemKind::Armor {
            base: 16,
            dex_cap: Some(0),
            stealth_disadvantage: true,
            metal: true,
        });
        let shield = item(ItemKind::Shield { bonus: 2 });
        assert!(wears_metal_armor([&chain, &shield], None));
        assert!(
            !wears_metal_armor([&leather], Some("chain mail")),
            "items decide"
        );
        assert!(!wears_metal_armor([&shield], None));
        for line in [
            "chain mail, shield",
            "Chain Shirt",
            "scale mail",
            "half plate",
        ] {
            assert!(wears_metal_armor([], Some(line)), "{line}");
        }
        for line in [
            "leather armor",
            "hide armor, shield",
            "natural armor",
            "armor scraps",
        ] {
            assert!(!wears_metal_armor([], Some(line)), "{line}");
        }
        assert!(!wears_metal_armor([], None));
    }
}
