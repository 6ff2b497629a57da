//! Input with leafwing-input-manager: every game action on keyboard + mouse and on a gamepad,
//! each rebindable from the settings window and saved. Nothing fires while the player types
//! into a text box, and pointer actions do not fire over a panel.

use super::map::{MapCursor, MirrorSource};
use crate::net::TableSession;
use crate::preview::targets_in_reach;
use bevy::prelude::*;
use leafwing_input_manager::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Whether this build reads gamepads (natively; a browser plays by keyboard, mouse and touch).
pub const GAMEPADS: bool = cfg!(not(target_family = "wasm"));

/// Everything a player can do with a key, a button or the mouse.
#[derive(
    Actionlike,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Clone,
    Copy,
    Debug,
    Reflect,
    Serialize,
    Deserialize,
)]
pub enum TableAction {
    /// Act on the square under the mouse pointer (move there, attack who stands there).
    Select,
    /// Act on the map cursor's square.
    Confirm,
    /// Move the map cursor.
    CursorUp,
    /// Move the map cursor.
    CursorDown,
    /// Move the map cursor.
    CursorLeft,
    /// Move the map cursor.
    CursorRight,
    /// Put the map cursor on the next foe within reach.
    NextTarget,
    /// Dodge.
    Dodge,
    /// Dash.
    Dash,
    /// Disengage.
    Disengage,
    /// End the turn.
    EndTurn,
    /// Pan the camera.
    PanUp,
    /// Pan the camera.
    PanDown,
    /// Pan the camera.
    PanLeft,
    /// Pan the camera.
    PanRight,
    /// Pan by dragging while held.
    DragPan,
    /// Zoom in.
    ZoomIn,
    /// Zoom out.
    ZoomOut,
    /// Mute or unmute all sound.
    ToggleMute,
    /// Open or close the settings window.
    Settings,
}

impl TableAction {
    /// Every action, in the order the settings window lists them.
    pub const ALL: [TableAction; 20] = [
        TableAction::Select,
        TableAction::Confirm,
        TableAction::CursorUp,
        TableAction::CursorDown,
        TableAction::CursorLeft,
        TableAction::CursorRight,
        TableAction::NextTarget,
        TableAction::Dodge,
        TableAction::Dash,
        TableAction::Disengage,
        TableAction::EndTurn,
        TableAction::PanUp,
        TableAction::PanDown,
        TableAction::PanLeft,
        TableAction::PanRight,
        TableAction::DragPan,
        TableAction::ZoomIn,
        TableAction::ZoomOut,
        TableAction::ToggleMute,
        TableAction::Settings,
    ];

    /// What the settings window calls it.
    pub fn label(self) -> &'static str {
        match self {
            TableAction::Select => "Act on pointed square",
            TableAction::Confirm => "Act on cursor square",
            TableAction::CursorUp => "Cursor up",
            TableAction::CursorDown => "Cursor down",
            TableAction::CursorLeft => "Cursor left",
            TableAction::CursorRight => "Cursor right",
            TableAction::NextTarget => "Next target",
            TableAction::Dodge => "Dodge",
            TableAction::Dash => "Dash",
            TableAction::Disengage => "Disengage",
            TableAction::EndTurn => "End turn",
            TableAction::PanUp => "Pan up",
            TableAction::PanDown => "Pan down",
            TableAction::PanLeft => "Pan left",
            TableAction::PanRight => "Pan right",
            TableAction::DragPan => "Drag to pan (hold)",
            TableAction::ZoomIn => "Zoom in",
            TableAction::ZoomOut => "Zoom out",
            TableAction::ToggleMute => "Mute",
            TableAction::Settings => "Settings",
        }
    }

    /// The actions that are a whole turn intent by themselves (keys and action bar alike).
    pub const TURN: [TableAction; 4] = [
        TableAction::Dodge,
        TableAction::Dash,
        TableAction::Disengage,
        TableAction::EndTurn,
    ];

    /// The intent this action sends on its own, for the [`TableAction::TURN`] actions.
    pub fn intent(self) -> Option<emberkeep_shared::prelude::Action> {
        use emberkeep_shared::prelude::Action;
        match self {
            TableAction::Dodge => Some(Action::Dodge),
            TableAction::Dash => Some(Action::Dash),
            TableAction::Disengage => Some(Action::Disengage),
            TableAction::EndTurn => Some(Action::EndTurn),
            _ => None,
        }
    }

    /// Actions driven by the pointer, off while the pointer is over a panel.
    fn pointer(self) -> bool {
        matches!(
            self,
            TableAction::Select | TableAction::DragPan | TableAction::ZoomIn | TableAction::ZoomOut
        )
    }
}

/// One input a player can bind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Binding {
    /// A key.
    Key(KeyCode),
    /// A mouse button.
    Mouse(MouseButton),
    /// The wheel turned up (`true`) or down.
    Wheel(bool),
    /// A gamepad button.
    Pad(GamepadButton),
    /// A gamepad stick pushed one way: (axis, positive).
    Stick(GamepadAxis, bool),
}

impl Binding {
    /// Gamepad bindings and keyboard/mouse bindings are kept side by side: rebinding one kind
    /// keeps the other.
    pub fn is_gamepad(self) -> bool {
        matches!(self, Binding::Pad(_) | Binding::Stick(..))
    }

    /// A short name for the settings window.
    pub fn label(self) -> String {
        match self {
            Binding::Key(k) => format!("{k:?}")
                .trim_start_matches("Key")
                .trim_start_matches("Digit")
                .to_string(),
            Binding::Mouse(b) => format!("Mouse {b:?}"),
            Binding::Wheel(up) => if up { "Wheel up" } else { "Wheel down" }.into(),
            Binding::Pad(b) => format!("Pad {b:?}"),
            Binding::Stick(axis, positive) => {
                format!("{axis:?} {}", if positive { "+" } else { "-" })
            }
        }
    }

    fn add_to(self, map: &mut InputMap<TableAction>, action: TableAction) {
        match self {
            Binding::Key(k) => map.insert(action, k),
            Binding::Mouse(b) => map.insert(action, b),
            Binding::Wheel(true) => map.insert(action, MouseScrollDirection::UP),
            Binding::Wheel(false) => map.insert(action, MouseScrollDirection::DOWN),
            #[cfg(not(target_family = "wasm"))]
            Binding::Pad(b) => map.insert(action, b),
            #[cfg(not(target_family = "wasm"))]
            Binding::Stick(axis, true) => {
                map.insert(action, GamepadControlDirection::positive(axis))
            }
            #[cfg(not(target_family = "wasm"))]
            Binding::Stick(axis, false) => {
                map.insert(action, GamepadControlDirection::negative(axis))
            }
            // The browser build has no gamepads (gilrs stays native): the bindings are kept
            // and saved, and read nothing there.
            #[cfg(target_family = "wasm")]
            Binding::Pad(_) | Binding::Stick(..) => map,
        };
    }
}

/// The player's bindings: every action with its inputs.
#[derive(Resource, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bindings(pub BTreeMap<TableAction, Vec<Binding>>);

impl Default for Bindings {
    fn default() -> Self {
        use Binding::*;
        use TableAction as A;
        let stick = |axis, positive| Stick(axis, positive);
        let table = [
            (A::Select, vec![Mouse(MouseButton::Left)]),
            (
                A::Confirm,
                vec![
                    Key(KeyCode::Enter),
                    Key(KeyCode::Space),
                    Pad(GamepadButton::South),
                ],
            ),
            (
                A::CursorUp,
                vec![Key(KeyCode::ArrowUp), Pad(GamepadButton::DPadUp)],
            ),
            (
                A::CursorDown,
                vec![Key(KeyCode::ArrowDown), Pad(GamepadButton::DPadDown)],
            ),
            (
                A::CursorLeft,
                vec![Key(KeyCode::ArrowLeft), Pad(GamepadButton::DPadLeft)],
            ),
            (
                A::CursorRight,
                vec![Key(KeyCode::ArrowRight), Pad(GamepadButton::DPadRight)],
            ),
            (
                A::NextTarget,
                vec![Key(KeyCode::Tab), Pad(GamepadButton::RightTrigger)],
            ),
            (A::Dodge, vec![Key(KeyCode::KeyQ), Pad(GamepadButton::West)]),
            (A::Dash, vec![Key(KeyCode::KeyE), Pad(GamepadButton::North)]),
            (
                A::Disengage,
                vec![Key(KeyCode::KeyR), Pad(GamepadButton::East)],
            ),
            (
                A::EndTurn,
                vec![Key(KeyCode::KeyT), Pad(GamepadButton::Start)],
            ),
            (
                A::PanUp,
                vec![Key(KeyCode::KeyW), stick(GamepadAxis::LeftStickY, true)],
            ),
            (
                A::PanDown,
                vec![Key(KeyCode::KeyS), stick(GamepadAxis::LeftStickY, false)],
            ),
            (
                A::PanLeft,
                vec![Key(KeyCode::KeyA), stick(GamepadAxis::LeftStickX, false)],
            ),
            (
                A::PanRight,
                vec![Key(KeyCode::KeyD), stick(GamepadAxis::LeftStickX, true)],
            ),
            (A::DragPan, vec![Mouse(MouseButton::Right)]),
            (
                A::ZoomIn,
                vec![
                    Wheel(true),
                    Key(KeyCode::Equal),
                    Pad(GamepadButton::RightTrigger2),
                ],
            ),
            (
                A::ZoomOut,
                vec![
                    Wheel(false),
                    Key(KeyCode::Minus),
                    Pad(GamepadButton::LeftTrigger2),
                ],
            ),
            (A::ToggleMute, vec![Key(KeyCode::KeyM)]),
            (
                A::Settings,
                vec![Key(KeyCode::F1), Pad(GamepadButton::Select)],
            ),
        ];
        Bindings(table.into_iter().collect())
    }
}

impl Bindings {
    /// The input map leafwing reads.
    pub fn input_map(&self) -> InputMap<TableAction> {
        let mut map = InputMap::default();
        for (action, bindings) in &self.0 {
            for b in bindings {
                b.add_to(&mut map, *action);
            }
        }
        map
    }

    /// Binds `input` to `action`, replacing the action's inputs of the same kind (keyboard and
    /// mouse, or gamepad) and taking `input` away from any other action that had it.
    pub fn rebind(&mut self, action: TableAction, input: Binding) {
        for list in self.0.values_mut() {
            list.retain(|b| *b != input);
        }
        let list = self.0.entry(action).or_default();
        list.retain(|b| b.is_gamepad() != input.is_gamepad());
        list.push(input);
    }

    /// The inputs bound to `action`, labelled, keyboard/mouse first.
    pub fn labels(&self, action: TableAction, gamepad: bool) -> String {
        let names: Vec<String> = self
            .0
            .get(&action)
            .into_iter()
            .flatten()
            .filter(|b| b.is_gamepad() == gamepad)
            .map(|b| b.label())
            .collect();
        if names.is_empty() {
            "—".into()
        } else {
            names.join(", ")
        }
    }
}

/// The action waiting for its new input in the settings window.
#[derive(Resource, Debug, Default, Clone, Copy)]
pub struct Rebinding(pub Option<TableAction>);

/// Whether egui holds the keyboard (a text box has focus) or the pointer (over a panel);
/// written from egui's state each frame.
#[derive(Resource, Debug, Default, Clone, Copy)]
pub struct UiFocus {
    /// A text box has the keyboard.
    pub typing: bool,
    /// The pointer is over a panel.
    pub over_ui: bool,
}

pub(super) fn plugin(app: &mut App) {
    app.add_plugins(InputManagerPlugin::<TableAction>::default());
    app.init_resource::<Rebinding>().init_resource::<UiFocus>();
    app.add_systems(Startup, spawn_controls);
    app.add_systems(
        PreUpdate,
        (read_ui_focus, gate_actions)
            .chain()
            .in_set(leafwing_input_manager::plugin::InputManagerSystem::ManualControl),
    );
    app.add_systems(
        Update,
        (
            apply_bindings.run_if(resource_changed::<Bindings>),
            capture_rebinding,
            turn_actions,
            cursor_actions,
        ),
    );
}

/// The entity that holds the player's input map and action state.
#[derive(Component, Debug)]
pub struct Controls;

fn spawn_controls(mut commands: Commands, bindings: Res<Bindings>) {
    commands.spawn((Controls, bindings.input_map()));
}

fn apply_bindings(
    bindings: Res<Bindings>,
    mut map: Single<&mut InputMap<TableAction>, With<Controls>>,
) {
    **map = bindings.input_map();
}

fn read_ui_focus(
    egui_wants: Option<Res<bevy_egui::input::EguiWantsInput>>,
    free: Option<Res<super::map::FreeArea>>,
    windows: Query<&Window, With<bevy::window::PrimaryWindow>>,
    mouse: Res<ButtonInput<MouseButton>>,
    mut focus: ResMut<UiFocus>,
) {
    // The panels are drawn on egui's background layer, so egui does not count a pointer over
    // them as "over egui": a pointer outside the map's free area is over the panels too (the
    // wheel over the log scrolls the log, not the map).
    let outside_map = match (free.and_then(|f| f.0), windows.single().ok()) {
        (Some(area), Some(window)) => window
            .physical_cursor_position()
            .is_some_and(|p| !area.contains(p)),
        _ => false,
    };
    let over_ui = outside_map
        || egui_wants
            .as_ref()
            .is_some_and(|w| w.wants_any_pointer_input());
    // A click on a panel may be focusing a text box: the keys of that frame are letters for
    // it (see `early_letters`), not game keys.
    let clicking_ui = over_ui
        && (mouse.just_pressed(MouseButton::Left) || mouse.just_released(MouseButton::Left));
    *focus = UiFocus {
        typing: clicking_ui
            || egui_wants
                .as_ref()
                .is_some_and(|w| w.wants_any_keyboard_input()),
        over_ui,
    };
}

/// Typing into egui turns every game action off; a pointer over a panel turns the pointer's
/// actions off; a display client and a pending rebind turn everything off.
pub fn gate_actions(
    focus: Res<UiFocus>,
    rebinding: Res<Rebinding>,
    display: Option<Res<super::DisplayMode>>,
    mut state: Single<&mut ActionState<TableAction>>,
) {
    for action in TableAction::ALL {
        let off = rebinding.0.is_some()
            || (focus.typing && action != TableAction::Settings)
            || (focus.over_ui && action.pointer())
            || (display.is_some()
                && !matches!(action, TableAction::ToggleMute | TableAction::Settings));
        if off {
            state.disable_action(&action);
        } else {
            state.enable_action(&action);
        }
    }
}

/// While the settings window waits for an input, the next key, mouse button or gamepad button
/// pressed becomes the action's binding (Escape cancels).
fn capture_rebinding(
    mut rebinding: ResMut<Rebinding>,
    keys: Res<ButtonInput<KeyCode>>,
    mouse: Res<ButtonInput<MouseButton>>,
    gamepads: Query<&Gamepad>,
    mut bindings: ResMut<Bindings>,
) {
    let Some(action) = rebinding.0 else { return };
    if keys.just_pressed(KeyCode::Escape) {
        rebinding.0 = None;
        return;
    }
    let input = keys
        .get_just_pressed()
        .next()
        .map(|k| Binding::Key(*k))
        .or_else(|| mouse.get_just_pressed().next().map(|b| Binding::Mouse(*b)))
        .or_else(|| {
            gamepads
                .iter()
                .find_map(|g| g.get_just_pressed().next().map(|b| Binding::Pad(*b)))
        });
    if let Some(input) = input {
        bindings.rebind(action, input);
        rebinding.0 = None;
    }
}

fn turn_actions(fired: Fired, mut session: ResMut<TableSession>) {
    if session
        .seating
        .as_ref()
        .is_none_or(|s| s.character.is_none())
    {
        return;
    }
    for action in TableAction::TURN {
        if let (true, Some(intent)) = (fired.just(action), action.intent()) {
            session.act(intent);
        }
    }
}

/// The keyboard/gamepad way to move and attack: a cursor square moved with the arrows or the
/// d-pad, Next target jumps to a foe in reach, Confirm acts on it like a click.
fn cursor_actions(
    fired: Fired,
    mut cursor: ResMut<MapCursor>,
    mut session: ResMut<TableSession>,
    mut chosen: ResMut<super::spells::ChosenSpell>,
    mirror_source: MirrorSource,
) {
    let Some(me) = session.seating.as_ref().and_then(|s| s.character) else {
        return;
    };
    let steps = [
        (TableAction::CursorUp, (0, -1)),
        (TableAction::CursorDown, (0, 1)),
        (TableAction::CursorLeft, (-1, 0)),
        (TableAction::CursorRight, (1, 0)),
    ];
    let moved = steps.iter().any(|(a, _)| fired.just(*a));
    let next = fired.just(TableAction::NextTarget);
    let confirm = fired.just(TableAction::Confirm);
    if !moved && !next && !confirm {
        return;
    }
    let mirror = mirror_source.read();
    let Some((_, status)) = mirror.combatants.get(&me) else {
        return;
    };
    let mut at = cursor.0.unwrap_or(status.pos);
    for (action, (dx, dy)) in steps {
        if fired.just(action) {
            at.x += dx;
            at.y += dy;
        }
    }
    if next {
        let targets = targets_in_reach(&mirror, me);
        let current = targets.iter().position(|(id, _)| {
            mirror
                .combatants
                .get(id)
                .is_some_and(|(_, st)| Some(st.pos) == cursor.0)
        });
        let pick = current.map_or(0, |i| i + 1) % targets.len().max(1);
        if let Some((id, _)) = targets.get(pick) {
            at = mirror.combatants[id].1.pos;
        }
    }
    cursor.0 = Some(at);
    if confirm {
        match super::spells::act_on(&mirror, me, at, &mut chosen) {
            Ok(action) => {
                session.act(action);
            }
            Err(why) => session.notice = Some(why),
        }
    }
}

/// Whether a discrete action fired this frame: leafwing's `just_pressed`, or one of its keys or
/// mouse buttons pressed and released within the frame — a quick tap or click on a slow frame
/// (software rendering, a busy browser), which leafwing's held state never sees.
#[derive(bevy::ecs::system::SystemParam)]
pub struct Fired<'w, 's> {
    state: Single<'w, 's, &'static ActionState<TableAction>>,
    bindings: Res<'w, Bindings>,
    keys: Res<'w, ButtonInput<KeyCode>>,
    mouse: Res<'w, ButtonInput<MouseButton>>,
}

impl Fired<'_, '_> {
    /// `action` fired this frame (and is not switched off).
    pub fn just(&self, action: TableAction) -> bool {
        if self.state.action_disabled(&action) {
            return false;
        }
        self.state.just_pressed(&action)
            || self
                .bindings
                .0
                .get(&action)
                .into_iter()
                .flatten()
                .any(|b| match *b {
                    Binding::Key(k) => self.keys.just_pressed(k) && !self.keys.pressed(k),
                    Binding::Mouse(m) => self.mouse.just_pressed(m) && !self.mouse.pressed(m),
                    _ => false,
                })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy::input::ButtonState;
    use bevy::input::keyboard::{Key, KeyboardInput};

    #[test]
    fn rebinding_replaces_the_same_kind_and_takes_the_input_from_other_actions() {
        let mut b = Bindings::default();
        // E (Dash's key) becomes Dodge's: Dodge keeps its gamepad button, Dash loses E.
        b.rebind(TableAction::Dodge, Binding::Key(KeyCode::KeyE));
        assert_eq!(
            b.0[&TableAction::Dodge],
            vec![
                Binding::Pad(GamepadButton::West),
                Binding::Key(KeyCode::KeyE)
            ]
        );
        assert!(!b.0[&TableAction::Dash].contains(&Binding::Key(KeyCode::KeyE)));
        assert_eq!(b.labels(TableAction::Dash, false), "—");
        // A gamepad rebind keeps the keyboard binding.
        b.rebind(TableAction::Dodge, Binding::Pad(GamepadButton::North));
        assert_eq!(b.labels(TableAction::Dodge, false), "E");
        assert_eq!(b.labels(TableAction::Dodge, true), "Pad North");
        // Saved and read back as RON (the settings file) unchanged.
        let text = ron::to_string(&b).unwrap();
        assert_eq!(ron::from_str::<Bindings>(&text).unwrap(), b);
    }

    #[test]
    fn every_action_has_a_default_binding() {
        let b = Bindings::default();
        for a in TableAction::ALL {
            assert!(!b.0[&a].is_empty(), "{a:?} has no default input");
        }
    }

    /// A headless app with leafwing reading a real keyboard resource.
    fn app() -> App {
        let mut app = App::new();
        app.add_plugins((
            MinimalPlugins,
            bevy::input::InputPlugin,
            InputManagerPlugin::<TableAction>::default(),
        ));
        app.insert_resource(Bindings::default())
            .init_resource::<Rebinding>()
            .init_resource::<UiFocus>();
        app.add_systems(Startup, spawn_controls);
        app.add_systems(
            PreUpdate,
            gate_actions.in_set(leafwing_input_manager::plugin::InputManagerSystem::ManualControl),
        );
        app.update();
        app
    }

    fn dodge_pressed(app: &mut App) -> bool {
        let mut q = app.world_mut().query::<&ActionState<TableAction>>();
        q.single(app.world()).unwrap().pressed(&TableAction::Dodge)
    }

    #[derive(Resource, Default)]
    struct Heard(Vec<TableAction>);

    fn listen(fired: Fired, mut heard: ResMut<Heard>) {
        for a in TableAction::ALL {
            if fired.just(a) {
                heard.0.push(a);
            }
        }
    }

    #[test]
    fn a_tap_within_one_frame_still_fires_once_and_not_while_typing() {
        let mut app = app();
        app.init_resource::<Heard>().add_systems(Update, listen);
        // Both the key's down and up arrive before the frame runs, as winit delivers them.
        let tap = |app: &mut App| {
            for state in [ButtonState::Pressed, ButtonState::Released] {
                app.world_mut().write_message(KeyboardInput {
                    key_code: KeyCode::KeyE,
                    logical_key: Key::Character("e".into()),
                    state,
                    text: None,
                    repeat: false,
                    window: Entity::PLACEHOLDER,
                });
            }
            app.update();
            std::mem::take(&mut app.world_mut().resource_mut::<Heard>().0)
        };
        assert_eq!(tap(&mut app), vec![TableAction::Dash]);
        app.world_mut().resource_mut::<UiFocus>().typing = true;
        assert_eq!(tap(&mut app), vec![]);
        // Held across frames: fires once, on the first.
        app.world_mut().resource_mut::<UiFocus>().typing = false;
        app.world_mut()
            .resource_mut::<ButtonInput<KeyCode>>()
            .press(KeyCode::KeyE);
        app.update();
        app.update();
        assert_eq!(app.world().resource::<Heard>().0, vec![TableAction::Dash]);
    }

    #[test]
    fn no_game_action_fires_while_typing() {
        let mut app = app();
        app.world_mut()
            .resource_mut::<ButtonInput<KeyCode>>()
            .press(KeyCode::KeyQ);
        app.world_mut().resource_mut::<UiFocus>().typing = true;
        app.update();
        assert!(
            !dodge_pressed(&mut app),
            "Q typed into a text box must not Dodge"
        );
        app.world_mut().resource_mut::<UiFocus>().typing = false;
        app.world_mut()
            .resource_mut::<ButtonInput<KeyCode>>()
            .release(KeyCode::KeyQ);
        app.update();
        app.world_mut()
            .resource_mut::<ButtonInput<KeyCode>>()
            .press(KeyCode::KeyQ);
        app.update();
        assert!(dodge_pressed(&mut app), "Q on the map is Dodge");
    }
}
