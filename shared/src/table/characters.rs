//! Players' own characters: before the story begins, a seat may replace the character it
//! plays with one its player made (the server reads and checks the character file with the
//! content library, and journals the sheets it built, so a replay needs no content).

use super::{Combatant, CombatantId, RejectCode, Rejection, Table, build};
use crate::content::{ContentLibrary, PregenDef};
use crate::event::GameEvent;
use crate::grid::GridPos;
use crate::story::StoryEvent;
use std::collections::BTreeMap;

/// What a seat brings: its character's sheets at levels 1 to 3, and the spells and items
/// they use (from the server's library).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Brought {
    /// The sheets at levels 1, 2 and 3.
    pub sheets: Vec<Combatant>,
    /// Spells the sheets name, by id.
    pub spells: BTreeMap<String, crate::spells::SpellDef>,
    /// Items the sheets carry or wear, by id.
    pub items: BTreeMap<String, crate::items::ItemDef>,
}

impl Brought {
    /// The sheets of `pregen` (a built character, its id the seat's) at levels 1 to 3, with
    /// what they use from `lib`, and `portrait` shown for it.
    pub fn of(lib: &ContentLibrary, pregen: &PregenDef, portrait: Option<String>) -> Brought {
        let sheets: Vec<Combatant> = (1..=3)
            .map(|level| {
                let mut c = build::pc(lib, pregen, level, 0, GridPos::new(0, 0));
                c.portrait = portrait.clone();
                c
            })
            .collect();
        let spells = sheets
            .iter()
            .flat_map(|c| c.casting.iter().flat_map(|k| k.spells.iter()))
            .filter_map(|id| lib.spells.get(id).map(|s| (id.clone(), s.clone())))
            .collect();
        let items = sheets
            .iter()
            .flat_map(|c| c.items.iter().chain(c.worn.iter()))
            .chain(pregen.equipment.iter())
            .filter_map(|id| lib.items.get(id).map(|i| (id.clone(), i.clone())))
            .collect();
        Brought {
            sheets,
            spells,
            items,
        }
    }
}

impl Table {
    /// Whether nothing has happened yet that a new character would change: no fight begun
    /// or won, and in an adventure the story not moved on.
    pub fn before_the_story(&self) -> bool {
        self.combat.is_none()
            && match &self.adventure {
                Some(_) => !self.story_moved(),
                None => !self.resolved,
            }
    }

    /// Seat's character `actor` becomes the one brought, at the campaign's level, where it
    /// stands. Refused once the story has begun, or for a character no seat plays.
    pub fn bring_character(
        &mut self,
        actor: CombatantId,
        brought: &Brought,
        now_ms: u64,
    ) -> Result<(), Rejection> {
        let Some(old) = self.combatant(actor).filter(|c| c.is_pc).cloned() else {
            return Err(Rejection::new(
                RejectCode::UnknownTarget,
                format!("There is no player character #{actor} at this table"),
            ));
        };
        if !self.before_the_story() {
            return Err(Rejection::new(
                RejectCode::WrongMode,
                "The story has begun: bring your own character to a new campaign",
            ));
        }
        if brought.sheets.len() != 3 || brought.sheets.iter().any(|s| !s.is_pc) {
            return Err(Rejection::new(
                RejectCode::Malformed,
                "A character is brought as its sheets at levels 1 to 3",
            ));
        }
        let sheets: Vec<Combatant> = brought
            .sheets
            .iter()
            .map(|s| Combatant {
                id: actor,
                source: old.source.clone(),
                side: old.side,
                pos: old.pos,
                companion: old.companion,
                ..s.clone()
            })
            .collect();
        let level = old.level.clamp(1, 3) as usize;
        let new = sheets[level - 1].clone();
        for (id, spell) in &brought.spells {
            self.spells
                .entry(id.clone())
                .or_insert_with(|| spell.clone());
        }
        for (id, item) in &brought.items {
            self.items.entry(id.clone()).or_insert_with(|| item.clone());
        }
        if let Some(adv) = self.adventure.as_mut() {
            adv.templates.insert(actor, sheets);
        }
        let text = format!("{} takes the place of {}.", new.name, old.name);
        *self.combatant_mut(actor) = new;
        self.emit(now_ms, GameEvent::Story(StoryEvent::Said { text }));
        Ok(())
    }
}
