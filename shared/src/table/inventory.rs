//! What characters carry: putting on armor or a shield found on the way (the AC follows SRD
//! 5.1 "Armor and Shields"), and handing an item to a friend beside you. Outside fights: donning
//! armor takes minutes.

use super::action::clip;
use super::{Combatant, CombatantId, RejectCode, Rejection, Table};
use crate::event::GameEvent;
use crate::items::{ItemKind, armor_class};
use crate::story::StoryEvent;

fn refuse(code: RejectCode, why: impl Into<String>) -> Rejection {
    Rejection::new(code, why)
}

impl Table {
    /// `actor`, if it carries `item`.
    fn carrier(&self, actor: CombatantId, item: &str) -> Result<&Combatant, Rejection> {
        let me = self
            .combatant(actor)
            .ok_or_else(|| refuse(RejectCode::UnknownTarget, "No such character"))?;
        if !me.items.iter().any(|i| i == item) {
            return Err(refuse(
                RejectCode::NotAllowed,
                format!("{} carries no `{}`", me.name, clip(item)),
            ));
        }
        Ok(me)
    }

    /// Whether `actor` can put on `item` now, or why not.
    pub fn check_equip(&self, actor: CombatantId, item: &str) -> Result<(), Rejection> {
        if self.combat.is_some() {
            return Err(refuse(
                RejectCode::WrongMode,
                "Armor takes minutes to put on: not in a fight",
            ));
        }
        self.carrier(actor, item)?;
        match self.items.get(item).map(|i| &i.kind) {
            Some(ItemKind::Armor { .. } | ItemKind::Shield { .. }) => Ok(()),
            _ => Err(refuse(
                RejectCode::NotAllowed,
                format!("`{}` is not armor or a shield", clip(item)),
            )),
        }
    }

    /// `Action::Equip`: the item is worn (body armor replaces the armor worn, which goes back
    /// into the pack); the AC changes by what the armor changes, keeping other bonuses.
    pub(super) fn do_equip(
        &mut self,
        actor: CombatantId,
        item: &str,
        now_ms: u64,
    ) -> Result<(), Rejection> {
        self.check_equip(actor, item)?;
        let def = self.items.get(item).cloned().expect("checked");
        let me = self.combatant(actor).expect("checked").clone();
        let dex = me.modifier(crate::content::Ability::Dex);
        let ac_of = |worn: &[String]| {
            armor_class(worn.iter().filter_map(|w| self.items.get(w)), dex).unwrap_or(10 + dex)
        };
        let before = ac_of(&me.worn);
        let body = |id: &String| {
            matches!(
                self.items.get(id).map(|i| &i.kind),
                Some(ItemKind::Armor { .. })
            )
        };
        let shield = |id: &String| {
            matches!(
                self.items.get(id).map(|i| &i.kind),
                Some(ItemKind::Shield { .. })
            )
        };
        let is_body = matches!(def.kind, ItemKind::Armor { .. });
        let (taken_off, mut worn): (Vec<String>, Vec<String>) = me
            .worn
            .iter()
            .cloned()
            .partition(|w| if is_body { body(w) } else { shield(w) });
        worn.push(item.to_string());
        let after = ac_of(&worn);
        let metal =
            crate::items::wears_metal_armor(worn.iter().filter_map(|w| self.items.get(w)), None);
        let unarmored = !worn.iter().any(body);
        let c = self.combatant_mut(actor);
        if let Some(i) = c.items.iter().position(|i| i == item) {
            c.items.remove(i);
        }
        c.items.extend(taken_off);
        c.ac = (c.ac + after - before).clamp(1, 30);
        c.unarmored = unarmored;
        c.metal_armor = metal;
        c.worn = worn;
        let ac = c.ac;
        self.emit(
            now_ms,
            GameEvent::Story(StoryEvent::Used {
                actor,
                what: def.name,
                text: format!("now worn: AC {ac}"),
            }),
        );
        Ok(())
    }

    /// Whether `actor` can hand `item` to `to` now, or why not.
    pub fn check_give(
        &self,
        actor: CombatantId,
        item: &str,
        to: CombatantId,
    ) -> Result<(), Rejection> {
        if self.combat.is_some() {
            return Err(refuse(
                RejectCode::WrongMode,
                "Not in the middle of a fight",
            ));
        }
        let me = self.carrier(actor, item)?;
        let them = self
            .combatant(to)
            .filter(|c| c.is_pc && c.id != actor && !c.is_dead())
            .ok_or_else(|| refuse(RejectCode::UnknownTarget, "Give it to a companion of yours"))?;
        if them.pos.feet_to(me.pos) > 5 {
            return Err(refuse(
                RejectCode::OutOfReach,
                format!("{} is out of reach: within 5 ft", them.name),
            ));
        }
        Ok(())
    }

    /// `Action::Give`.
    pub(super) fn do_give(
        &mut self,
        actor: CombatantId,
        item: &str,
        to: CombatantId,
        now_ms: u64,
    ) -> Result<(), Rejection> {
        self.check_give(actor, item, to)?;
        let c = self.combatant_mut(actor);
        let i = c.items.iter().position(|i| i == item).expect("checked");
        let id = c.items.remove(i);
        self.combatant_mut(to).items.push(id.clone());
        let name = self.items.get(&id).map_or(id, |i| i.name.clone());
        let giver = self
            .combatant(actor)
            .map(|c| c.name.clone())
            .unwrap_or_default();
        self.emit(
            now_ms,
            GameEvent::Story(StoryEvent::Looted {
                actor: to,
                items: vec![format!("{name} from {giver}")],
                gold: 0,
            }),
        );
        Ok(())
    }
}
