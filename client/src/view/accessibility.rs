//! What a screen reader is told about the panels: egui's AccessKit tree, as the real panel
//! systems build it. Natively bevy_egui hands that tree to the platform's accessibility
//! bridge (Windows, macOS; Linux's AT-SPI bridge is not built in, see the README); these tests
//! read it back headlessly — no window, no GPU — and check that a player who cannot see the
//! screen still hears the buttons, the initiative order, the party and the story.

#[cfg(test)]
mod tests {
    use crate::net::{Mirror, Seating, Status, TableSession};
    use crate::view::creator::Creator;
    use crate::view::input::Bindings;
    use crate::view::map::{FreeArea, LastMirror, MapCursor};
    use crate::view::panels;
    use crate::view::settings::{Look, SettingsOpen};
    use crate::view::sheet::SheetOpen;
    use crate::view::spells::ChosenSpell;
    use bevy::prelude::*;
    use bevy_egui::egui::accesskit::Role;
    use bevy_egui::{EguiInput, EguiOutput, EguiPlugin, PrimaryEguiContext, egui};
    use emberkeep_shared::prelude::*;
    use emberkeep_shared::protocol::Role as SeatRole;

    /// One widget as a screen reader announces it.
    #[derive(Debug, Clone)]
    struct Spoken {
        role: Role,
        /// The name (a button's label) or, for text, the text itself.
        name: String,
        enabled: bool,
        /// A text box's hint.
        placeholder: Option<String>,
        /// Where it is on the screen (top-left corner, points): the tree's order is not the
        /// screen's, a reader walks it by place.
        at: (f64, f64),
    }

    /// A headless app running the real panels (`panels::plugin`, drawn by `draw` in bevy_egui's
    /// pass) for `me` seated at `table`, with egui's AccessKit output turned on.
    fn panels_app(table: &Table, me: CombatantId) -> App {
        let mut app = App::new();
        app.add_plugins((
            MinimalPlugins,
            bevy::input::InputPlugin,
            bevy::window::WindowPlugin {
                primary_window: None,
                ..default()
            },
            bevy::a11y::AccessibilityPlugin,
        ));
        // What bevy_egui's `render` feature reads, without a render app.
        app.init_resource::<Assets<Image>>()
            .init_resource::<Assets<bevy::shader::Shader>>()
            .add_message::<AssetEvent<Image>>();
        app.add_plugins(EguiPlugin::default());
        app.init_resource::<SettingsOpen>()
            .init_resource::<Look>()
            .init_resource::<Bindings>()
            .init_resource::<MapCursor>()
            .init_resource::<FreeArea>()
            .init_resource::<ChosenSpell>()
            .init_resource::<SheetOpen>()
            .init_resource::<Creator>()
            .insert_resource(LastMirror::holding(Mirror::of_table("c", table, 0)));
        let mut session = TableSession::default();
        session.status = Status::Seated;
        session.seating = Some(Seating {
            campaign: "c".into(),
            seat: "wizard".into(),
            role: SeatRole::Player,
            character: Some(me),
            turn_timeout_ms: 60_000,
        });
        session.events = table.log.iter().cloned().collect();
        app.insert_resource(session);
        panels::plugin(&mut app);
        let context = app.world_mut().spawn(PrimaryEguiContext).id();
        app.world_mut()
            .get_mut::<bevy_egui::EguiContext>(context)
            .unwrap()
            .get_mut()
            .enable_accesskit();
        app
    }

    /// Runs a few frames of a 1280×720 screen (egui lays some things out over two passes) and
    /// returns what the last one told a screen reader.
    fn read_aloud(app: &mut App) -> Vec<Spoken> {
        for _ in 0..3 {
            let mut inputs = app.world_mut().query::<&mut EguiInput>();
            for mut input in inputs.iter_mut(app.world_mut()) {
                input.screen_rect = Some(egui::Rect::from_min_size(
                    egui::Pos2::ZERO,
                    egui::vec2(1280.0, 720.0),
                ));
            }
            app.update();
        }
        let mut outputs = app.world_mut().query::<&EguiOutput>();
        let output = outputs.single(app.world()).unwrap();
        let update = output
            .platform_output
            .accesskit_update
            .as_ref()
            .expect("egui wrote no accessibility tree");
        update
            .nodes
            .iter()
            .map(|(_, node)| Spoken {
                role: node.role(),
                name: node
                    .label()
                    .or(node.value())
                    .unwrap_or_default()
                    .to_string(),
                enabled: !node.is_disabled(),
                placeholder: node.placeholder().map(str::to_string),
                at: node.bounds().map_or((0.0, 0.0), |b| (b.x0, b.y0)),
            })
            .collect()
    }

    fn find<'a>(spoken: &'a [Spoken], role: Role, name: &str) -> Option<&'a Spoken> {
        spoken.iter().find(|s| s.role == role && s.name == name)
    }

    #[test]
    fn a_screen_reader_hears_the_action_bar_initiative_party_and_story() {
        let (table, wizard) = crate::view::spells::tests::wizards_turn();
        let mut app = panels_app(&table, wizard);
        let spoken = read_aloud(&mut app);
        let all = || format!("{spoken:#?}");

        // The action bar: on the wizard's own turn its buttons are there, named and enabled.
        for name in ["Dodge", "Dash", "Disengage", "End turn", "Move", "Sheet"] {
            let button = find(&spoken, Role::Button, name)
                .unwrap_or_else(|| panic!("no button {name:?} in {}", all()));
            assert!(button.enabled, "{name} is disabled on the wizard's turn");
        }
        // Doing something in words: the box says what it is for.
        assert!(
            spoken.iter().any(|s| s.role == Role::TextInput
                && s.placeholder.as_deref() == Some("Describe what you do…")),
            "no free-form action box in {}",
            all()
        );

        // The initiative list, top to bottom in its column, each line with its creature's name.
        let lines: Vec<&str> = spoken
            .iter()
            .filter(|s| s.role == Role::Label)
            .map(|s| s.name.as_str())
            .collect();
        let heading = find(&spoken, Role::Label, "Initiative")
            .unwrap_or_else(|| panic!("no Initiative heading in {}", all()));
        let mut column: Vec<&Spoken> = spoken
            .iter()
            .filter(|s| s.role == Role::Label && s.at.0 >= heading.at.0 - 1.0)
            .filter(|s| s.at.1 > heading.at.1)
            .collect();
        column.sort_by(|a, b| a.at.1.total_cmp(&b.at.1));
        let name_of = |id: CombatantId| {
            table
                .combatants
                .iter()
                .find(|c| c.id == id)
                .unwrap()
                .name
                .clone()
        };
        let view = Mirror::of_table("c", &table, 0).table.unwrap();
        let order: Vec<String> = view.order.iter().map(|id| name_of(*id)).collect();
        let read: Vec<&str> = column
            .iter()
            .map(|s| s.name.as_str())
            .take(order.len())
            .collect();
        assert_eq!(read.len(), order.len(), "{read:?}");
        for (line, name) in read.iter().zip(&order) {
            assert!(
                line.ends_with(name.as_str()),
                "initiative read as {read:?}, order {order:?}"
            );
        }

        // The party: every member by name, with hit points a reader can say.
        for c in table.combatants.iter().filter(|c| c.side == Side::Party) {
            assert!(
                lines.contains(&c.name.as_str()),
                "{} is not in the party list: {lines:?}",
                c.name
            );
            let hp = format!("HP {}/{}", c.hp, c.max_hp);
            assert!(
                spoken
                    .iter()
                    .any(|s| s.role == Role::ProgressIndicator && s.name == hp),
                "no {hp:?} for {} in {}",
                c.name,
                all()
            );
        }

        // The story: the latest event as the feed writes it.
        let latest = table.log.back().unwrap();
        let names = |id: CombatantId| name_of(id);
        let told = match &latest.event {
            GameEvent::Narration { text, .. } => text.clone(),
            event => event.describe(&names),
        };
        assert!(
            lines.iter().any(|l| l.starts_with(&told)),
            "the feed's latest line {told:?} is not read out: {lines:?}"
        );
    }

    #[test]
    fn every_button_has_a_name_in_words() {
        let (table, wizard) = crate::view::spells::tests::wizards_turn();
        let mut app = panels_app(&table, wizard);
        let spoken = read_aloud(&mut app);
        let buttons: Vec<&Spoken> = spoken.iter().filter(|s| s.role == Role::Button).collect();
        assert!(buttons.len() >= 8, "{buttons:#?}");
        for b in &buttons {
            assert!(
                b.name.chars().any(char::is_alphabetic),
                "a button a screen reader can only call {:?} (a symbol): {buttons:#?}",
                b.name
            );
        }
        assert!(find(&spoken, Role::Button, "Settings").is_some());
    }
}
