//! What characters carry: putting on armor or a shield found on the way (the AC follows SRD
//! 5.1 "Armor and Shields"), handing an item to a friend beside you, and dropping an item where
//! you stand for anyone to pick up. Outside fights: donning armor takes minutes.

use super::action::clip;
use super::{Combatant, CombatantId, RejectCode, Rejection, Table};
use crate::event::GameEvent;
use crate::items::{ItemKind, Loot, armor_class};
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
        let me = self.carrier(actor, item)?;
        match self.items.get(item).map(|i| (i, &i.kind)) {
            Some((def, kind @ (ItemKind::Armor { .. } | ItemKind::Shield { .. }))) => {
                // SRD 5.1 "Armor Proficiency": without it, disadvantage on every roll that
                // involves Strength or Dexterity and no spellcasting — this table does not let
                // a character wear what its class cannot.
                if crate::items::armor_proficient(&me.class, kind) {
                    Ok(())
                } else {
                    Err(refuse(
                        RejectCode::NotAllowed,
                        format!(
                            "{} is not proficient with {} (a {}'s training)",
                            me.name, def.name, me.class
                        ),
                    ))
                }
            }
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

    /// Whether `actor` may drop `item` now: it carries it (not worn), in an adventure's scene.
    pub fn check_drop(&self, actor: CombatantId, item: &str) -> Result<(), Rejection> {
        self.carrier(actor, item)?;
        if self.scene().is_none() {
            return Err(refuse(
                RejectCode::WrongMode,
                "Items are dropped in an adventure's scenes",
            ));
        }
        Ok(())
    }

    /// `Action::Drop`: SRD 5.1 "Other Activity on Your Turn": dropping an object takes no
    /// action. It lies on the square until someone picks it up.
    pub(super) fn do_drop(
        &mut self,
        actor: CombatantId,
        item: &str,
        now_ms: u64,
    ) -> Result<(), Rejection> {
        self.check_drop(actor, item)?;
        let me = self.combatant_mut(actor);
        let at = me.pos;
        let i = me.items.iter().position(|i| i == item).expect("checked");
        me.items.remove(i);
        let name = me.name.clone();
        self.scene_mut()
            .expect("checked")
            .put_down(at, Loot::Item(item.to_string()));
        let what = self.items.get(item).map_or(item, |i| i.name.as_str());
        let text = format!("{name} drops {what}.");
        self.emit(now_ms, GameEvent::Story(StoryEvent::Said { text }));
        Ok(())
    }

    /// Whether `actor` may pick up the dropped item `target` (`floor:<n>`): within 5 ft, and
    /// in a fight with its action (an object interaction) still to spend.
    pub(super) fn check_pick_up(&self, actor: CombatantId, target: &str) -> Result<(), Rejection> {
        let me = self
            .combatant(actor)
            .ok_or_else(|| refuse(RejectCode::UnknownTarget, "No such character"))?;
        let lying = self.floor_item(target).ok_or_else(|| {
            refuse(
                RejectCode::UnknownTarget,
                format!("Nothing lies at `{}`", clip(target)),
            )
        })?;
        if me.pos.feet_to(lying.at) > 5 {
            return Err(refuse(
                RejectCode::OutOfReach,
                "Out of reach: pick things up within 5 ft",
            ));
        }
        if let Some(b) = self.budget().filter(|_| self.combat.is_some())
            && b.action_used
        {
            return Err(Rejection::action_spent());
        }
        Ok(())
    }

    fn floor_item(&self, target: &str) -> Option<&super::scenes::FloorItem> {
        let n: u32 = target.strip_prefix(super::scenes::FLOOR)?.parse().ok()?;
        self.scene()?.floor.iter().find(|f| f.n == n)
    }

    /// Picks up the dropped item `target`.
    pub(super) fn do_pick_up(
        &mut self,
        actor: CombatantId,
        target: &str,
        now_ms: u64,
    ) -> Result<(), Rejection> {
        self.check_pick_up(actor, target)?;
        let n = self.floor_item(target).expect("checked").n;
        let scene = self.scene_mut().expect("checked");
        let i = scene.floor.iter().position(|f| f.n == n).expect("checked");
        let lying = scene.floor.remove(i);
        if self.combat.is_some()
            && let Some(b) = self.budget_mut()
        {
            b.action_used = true;
        }
        let (items, gold) = match lying.loot {
            Loot::Item(id) => {
                let name = self.items.get(&id).map_or(id.clone(), |i| i.name.clone());
                self.combatant_mut(actor).items.push(id);
                (vec![name], 0)
            }
            Loot::Gold(g) => {
                let c = self.combatant_mut(actor);
                c.gold = c.gold.saturating_add(g);
                (Vec::new(), g)
            }
            // Rolled before it was left here: never on the floor.
            Loot::Coins(_) | Loot::OneOf(_) => (Vec::new(), 0),
        };
        self.emit(
            now_ms,
            GameEvent::Story(StoryEvent::Looted { actor, items, gold }),
        );
        Ok(())
    }

    /// A creature that died leaves what it carried on its square (in an adventure's scene).
    pub(super) fn leave_loot(&mut self, id: CombatantId, now_ms: u64) {
        if self.scene().is_none() {
            return;
        }
        let c = self.combatant_mut(id);
        let (at, carried, name) = (c.pos, std::mem::take(&mut c.loot), c.name.clone());
        let loot = self.roll_loot(&carried);
        if loot.is_empty() {
            return;
        }
        let what: Vec<String> = loot
            .iter()
            .map(|l| match l {
                Loot::Item(i) => self.items.get(i).map_or(i.clone(), |d| d.name.clone()),
                Loot::Gold(g) => format!("{g} gp"),
                Loot::Coins(_) | Loot::OneOf(_) => String::new(),
            })
            .collect();
        let scene = self.scene_mut().expect("checked");
        for l in loot {
            scene.put_down(at, l);
        }
        let text = format!("{name} leaves {} where it fell.", what.join(", "));
        self.emit(now_ms, GameEvent::Story(StoryEvent::Said { text }));
    }

    /// What loot gives this time: tables rolled, coins counted, nothing of zero gold.
    pub(super) fn roll_loot(&mut self, loot: &[Loot]) -> Vec<Loot> {
        let mut out = Vec::new();
        for l in loot {
            out.extend(
                l.roll(&mut self.rng)
                    .into_iter()
                    .filter(|l| *l != Loot::Gold(0)),
            );
        }
        out
    }
}
