//! The character sheet: abilities and modifiers, saving throws, skills, AC and speed now,
//! features with uses left, spell slots and concentration, and every condition and effect
//! with the time it has left — read from the rules rebuilt from the replicated state.

use crate::net::Mirror;
use bevy::prelude::*;
use bevy_egui::egui;
use emberkeep_shared::checks::Skill;
use emberkeep_shared::content::Ability;
use emberkeep_shared::prelude::*;
use emberkeep_shared::table::Ends;

/// Whether the sheet window is open.
#[derive(Resource, Debug, Default)]
pub struct SheetOpen(pub bool);

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<SheetOpen>();
}

/// How long an effect has left, in words.
pub fn time_left(ends: &Ends) -> String {
    match ends {
        Ends::StartOfTurn(..) => "until a turn starts".into(),
        Ends::EndOfTurn(..) => "until a turn ends".into(),
        Ends::Rounds(1) => "1 round".into(),
        Ends::Rounds(n) if n % 600 == 0 => format!("{} h", n / 600),
        Ends::Rounds(n) if n % 10 == 0 => format!("{} min", n / 10),
        Ends::Rounds(n) => format!("{n} rounds"),
        Ends::Never => "until ended".into(),
    }
}

/// A feature as the SRD names it ("Fighting Style (Dueling)", "Sneak Attack 2d6").
pub fn feature_name(f: &emberkeep_shared::content::Feature) -> String {
    use emberkeep_shared::content::Feature::*;
    match f {
        PackTactics => "Pack Tactics".into(),
        SneakAttack(d) => format!("Sneak Attack {d}"),
        NimbleEscape => "Nimble Escape".into(),
        Aggressive => "Aggressive".into(),
        SurpriseAttack(d) => format!("Surprise Attack {d}"),
        MartialAdvantage(d) => format!("Martial Advantage {d}"),
        UndeadFortitude => "Undead Fortitude".into(),
        DarkDevotion => "Dark Devotion".into(),
        Multiattack(names) => format!("Multiattack ({})", names.join(", ")),
        FightingStyle(style) => format!("Fighting Style ({style:?})"),
        SecondWind => "Second Wind".into(),
        ActionSurge => "Action Surge".into(),
        ImprovedCritical => "Improved Critical".into(),
        CunningAction => "Cunning Action".into(),
        FastHands => "Fast Hands".into(),
        DiscipleOfLife => "Disciple of Life".into(),
        ChannelDivinity(n) => format!("Channel Divinity ({n}/rest)"),
        ArcaneRecovery => "Arcane Recovery".into(),
        SculptSpells => "Sculpt Spells".into(),
        NaturallyStealthy => "Naturally Stealthy".into(),
    }
}

/// The sheet's lines for `me`, grouped: (heading, lines).
pub fn sheet_lines(mirror: &Mirror, me: CombatantId) -> Vec<(String, Vec<String>)> {
    let Some(rules) = mirror.rules() else {
        return Vec::new();
    };
    let Some(c) = rules.combatant(me) else {
        return Vec::new();
    };
    let abilities = [
        (Ability::Str, "STR"),
        (Ability::Dex, "DEX"),
        (Ability::Con, "CON"),
        (Ability::Int, "INT"),
        (Ability::Wis, "WIS"),
        (Ability::Cha, "CHA"),
    ];
    let mut out = vec![(
        format!("{} — level {}", c.name, c.level.max(1)),
        vec![
            format!(
                "HP {}/{}   AC {}   speed {} ft   proficiency +{}",
                c.hp,
                c.max_hp,
                rules.ac_now(me),
                rules.speed_now(me),
                c.proficiency
            ),
            abilities
                .iter()
                .map(|(a, n)| format!("{n} {} ({:+})", c.abilities.score(*a), c.modifier(*a)))
                .collect::<Vec<_>>()
                .join("  "),
        ],
    )];
    out.push((
        "Saving throws".into(),
        vec![
            abilities
                .iter()
                .map(|(a, n)| format!("{n} {:+}", c.save_bonus(*a)))
                .collect::<Vec<_>>()
                .join("  "),
        ],
    ));
    let skills: Vec<String> = Skill::ALL
        .iter()
        .filter(|s| c.skills.iter().any(|(k, _)| k == *s))
        .map(|s| format!("{} {:+}", s.name(), c.skill_bonus(*s)))
        .collect();
    if !skills.is_empty() {
        out.push(("Skills".into(), vec![skills.join(", ")]));
    }
    if !c.features.is_empty() {
        let spent: Vec<String> = c
            .uses
            .iter()
            .map(|(k, n)| format!("{k} used {n}×"))
            .collect();
        let mut lines = vec![
            c.features
                .iter()
                .map(feature_name)
                .collect::<Vec<_>>()
                .join(", "),
        ];
        if !spent.is_empty() {
            lines.push(format!("Until a rest: {}", spent.join(", ")));
        }
        out.push(("Features".into(), lines));
    }
    if let Some(casting) = &c.casting {
        let slots: Vec<String> = (1..=casting.slots.len() as u8)
            .map(|l| {
                format!(
                    "level {l}: {}/{}",
                    casting.slots_left(l),
                    casting.slots[usize::from(l - 1)]
                )
            })
            .collect();
        let mut lines = vec![format!("Slots {}", slots.join(", "))];
        if let Some(held) = &c.concentrating {
            lines.push(format!("Concentrating on {held}"));
        }
        lines.push(
            casting
                .spells
                .iter()
                .filter_map(|s| rules.spells.get(s).map(|d| d.name.clone()))
                .collect::<Vec<_>>()
                .join(", "),
        );
        out.push(("Spells".into(), lines));
    }
    let mut effects: Vec<String> = c
        .effects
        .iter()
        .map(|e| {
            format!(
                "{} ({}, {})",
                e.what.describe(),
                e.source,
                time_left(&e.ends)
            )
        })
        .collect();
    for cond in &c.conditions {
        if !c
            .effects
            .iter()
            .any(|e| e.what == emberkeep_shared::table::Lasting::Condition(*cond))
        {
            effects.push(format!("{cond:?}").to_lowercase());
        }
    }
    if !effects.is_empty() {
        out.push(("Conditions and effects".into(), effects));
    }
    if !c.worn.is_empty() {
        out.push((
            "Worn".into(),
            vec![
                c.worn
                    .iter()
                    .filter_map(|i| rules.items.get(i).map(|d| d.name.clone()))
                    .collect::<Vec<_>>()
                    .join(", "),
            ],
        ));
    }
    out.push((
        "Experience and gold".into(),
        vec![format!(
            "{} XP (level {}), {} gp, {} of {} Hit Dice left",
            c.xp, c.level, c.gold, c.hit_dice_left, c.level
        )],
    ));
    if !c.items.is_empty() {
        out.push((
            "Carried".into(),
            vec![
                c.items
                    .iter()
                    .filter_map(|i| rules.items.get(i).map(|d| d.name.clone()))
                    .collect::<Vec<_>>()
                    .join(", "),
            ],
        ));
    }
    out
}

/// The sheet window, when open.
pub fn show(ctx: &egui::Context, mirror: &Mirror, me: CombatantId, open: &mut SheetOpen) {
    if !open.0 {
        return;
    }
    let lines = sheet_lines(mirror, me);
    egui::Window::new("Character sheet")
        .open(&mut open.0)
        .default_width(420.0)
        .show(ctx, |ui| {
            for (heading, rows) in lines {
                ui.strong(heading);
                for row in rows {
                    ui.label(row);
                }
                ui.add_space(6.0);
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_reads_as_players_say_it() {
        assert_eq!(time_left(&Ends::Rounds(10)), "1 min");
        assert_eq!(time_left(&Ends::Rounds(4800)), "8 h");
        assert_eq!(time_left(&Ends::Rounds(3)), "3 rounds");
        assert_eq!(time_left(&Ends::StartOfTurn(1, 2)), "until a turn starts");
    }

    #[test]
    fn the_sheet_shows_saves_skills_spells_and_what_lasts() {
        let (mut t, wizard) = crate::view::spells::tests::wizards_turn();
        t.submit(
            wizard,
            Action::Cast {
                spell: "mage-armor".into(),
                slot: 1,
                targets: vec![wizard],
                at: None,
            },
            0,
        )
        .unwrap();
        let mirror = crate::view::spells::tests::mirror_of(&t);
        let text: String = sheet_lines(&mirror, wizard)
            .into_iter()
            .flat_map(|(h, rows)| std::iter::once(h).chain(rows))
            .collect::<Vec<_>>()
            .join("\n");
        // Mage Armor: AC 13 + Dex (+3) = 16 for 8 hours; Int and Wis saves proficient (+5, +3).
        assert!(text.contains("AC 16"), "{text}");
        assert!(text.contains("INT +5") && text.contains("WIS +3"), "{text}");
        assert!(text.contains("Arcana +5"), "{text}");
        assert!(text.contains("level 1: 1/2"), "{text}");
        assert!(
            text.contains("AC 13 + Dex while unarmored (Mage Armor, 8 h)"),
            "{text}"
        );
        assert!(text.contains("Potion of Healing"), "{text}");
        assert!(text.contains("Arcane Recovery"), "{text}");
    }
}
