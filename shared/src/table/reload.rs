//! Hot reload at the table: content edited while a campaign runs reaches it at its next scene.
//!
//! The server builds the adventure afresh from the new content and hands each scene to
//! [`Table::refresh_scene`] as a journaled input, so a replay gets exactly what the live table
//! got, whatever the content folder holds by then. Only a scene the party has not entered yet
//! is replaced: the scene it stands in (a fight, perhaps) and the ones it has changed stay as
//! they are. Items and spells the table does not know yet are added; those it knows keep the
//! text the campaign began with (a sword in a pack does not change under its owner).

use super::{CombatantId, SceneState, Table};
use crate::event::{Audience, GameEvent};
use crate::items::ItemDef;
use crate::spells::SpellDef;
use std::collections::BTreeMap;

/// What [`Table::refresh_scene`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refreshed {
    /// The scene was replaced (or added, for a new scene file).
    Replaced,
    /// The party is there or has been there: kept as it is.
    Visited,
    /// The campaign runs a single encounter, not an adventure.
    NoAdventure,
    /// The new version is the one the table already has.
    Unchanged,
}

impl Table {
    /// Puts the new version of scene `id` in place of the old one, if the party has not been
    /// there. Its creatures get ids no creature of the table uses, so nothing already told
    /// about (an id in an event) ever names someone else.
    pub fn refresh_scene(
        &mut self,
        id: &str,
        mut scene: SceneState,
        items: &BTreeMap<String, ItemDef>,
        spells: &BTreeMap<String, SpellDef>,
        now_ms: u64,
    ) -> Refreshed {
        let Some(adv) = self.adventure.as_ref() else {
            return Refreshed::NoAdventure;
        };
        if let Some(old) = adv.scenes.get(id) {
            if old.visited || adv.scene == id {
                return Refreshed::Visited;
            }
            if old.same_content(&scene) {
                return Refreshed::Unchanged;
            }
        }
        // A scene the fresh build had already entered (its first) holds its creatures at the
        // table, not in `others`: take them from its start.
        scene.others = scene.start.clone();
        let mut next = self.max_id() + 1;
        let mut renumbered: BTreeMap<CombatantId, CombatantId> = BTreeMap::new();
        for c in scene.start.iter().chain(scene.others.iter()) {
            renumbered.entry(c.id).or_insert_with(|| {
                next += 1;
                next - 1
            });
        }
        for c in scene.start.iter_mut().chain(scene.others.iter_mut()) {
            c.id = renumbered[&c.id];
        }
        scene.attitudes = scene
            .attitudes
            .iter()
            .filter_map(|(old, a)| Some((*renumbered.get(old)?, *a)))
            .collect();
        scene.visited = false;
        for (k, v) in items {
            self.items.entry(k.clone()).or_insert_with(|| v.clone());
        }
        for (k, v) in spells {
            self.spells.entry(k.clone()).or_insert_with(|| v.clone());
        }
        let name = scene.def.name.clone();
        if let Some(adv) = self.adventure.as_mut() {
            adv.scenes.insert(id.to_string(), scene);
        }
        self.emit_to(
            now_ms,
            Audience::HostOnly,
            GameEvent::HostNarration {
                text: format!("(content) scene `{id}` ({name}) updated from the edited files"),
            },
        );
        Refreshed::Replaced
    }

    /// The largest creature id anywhere in the campaign (at the table or in any scene).
    fn max_id(&self) -> CombatantId {
        let scenes = self
            .adventure
            .iter()
            .flat_map(|a| a.scenes.values())
            .flat_map(|s| s.others.iter().chain(s.start.iter()));
        self.combatants
            .iter()
            .chain(scenes)
            .map(|c| c.id)
            .max()
            .unwrap_or(0)
    }
}

impl SceneState {
    /// Whether `other` is the same scene as this one, as content made it: the same text,
    /// map and creatures (their ids aside).
    pub fn same_content(&self, other: &SceneState) -> bool {
        let strip = |s: &SceneState| {
            s.start
                .iter()
                .map(|c| {
                    let mut c = c.clone();
                    c.id = 0;
                    c
                })
                .collect::<Vec<_>>()
        };
        self.def == other.def && self.map == other.map && strip(self) == strip(other)
    }
}
