//! Bots (the headless client's autoplay, over the network) play the goblin ambush to the end
//! at levels 1 and 3: they cast spells and use features through the same rules the server
//! applies, and answer the reactions the table offers them.

use emberkeep_server::settings::ServerSettings;
use emberkeep_shared::event::GameEvent;
use emberkeep_tests::Stepper;
use std::time::Duration;

#[test]
fn bots_cast_spells_and_use_features_at_levels_1_and_3() {
    for level in [1, 3] {
        let mut s = Stepper::new(ServerSettings {
            campaigns: 1,
            seed: 42,
            turn_timeout: Duration::from_millis(1500),
            level: Some(level),
            ..ServerSettings::default()
        });
        let players = s.seat_all(&["fighter", "rogue", "cleric", "wizard"]);
        for &p in &players {
            s.autoplay(p, true);
        }
        let ended = s.step_until(6000, |s| {
            let t = &s.campaign("table-1").table;
            t.resolved && t.combat.is_none()
        });
        assert!(ended.is_some(), "level {level}: the fight never ended");
        let t = &s.campaign("table-1").table;
        assert!(
            t.combatants
                .iter()
                .filter(|c| c.is_pc)
                .all(|c| c.level == level)
        );
        let mut spells = Vec::new();
        for e in &t.log {
            if let GameEvent::SpellCast { caster, spell, .. } = &e.event
                && t.combatant(*caster)
                    .is_some_and(|c| c.is_pc && !c.companion)
            {
                spells.push(spell.clone());
            }
        }
        assert!(!spells.is_empty(), "level {level}: the bots cast nothing");
        eprintln!("level {level}: the bots cast {spells:?}");
    }
}
