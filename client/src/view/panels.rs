//! The egui panels: connect screen, party, initiative with the turn timer, narration feed,
//! action bar and free-form action box.

use super::input::{Bindings, TableAction};
use super::map::MirrorSource;
use super::map::{FreeArea, MapCursor};
use super::settings::SettingsOpen;
use crate::net::{Reconnect, Status, TableSession};
use crate::preview::action_bar;
use crate::settings::{CONNECT_KEY, ConnectSettings, Store};
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use emberkeep_shared::content::Condition;
use emberkeep_shared::prelude::*;
use emberkeep_shared::protocol::Role;

/// What the connect screen holds.
#[derive(Resource, Debug, Clone, Default)]
pub struct ConnectForm {
    /// `host:port` of the server's join endpoint.
    pub server: String,
    /// Join code.
    pub code: String,
    /// Player name.
    pub name: String,
    /// The last error shown.
    pub error: Option<String>,
    submitted: bool,
}

impl ConnectForm {
    /// A form filled from the command line.
    pub fn new(server: &str, code: &str, name: &str) -> Self {
        ConnectForm {
            server: server.into(),
            code: code.into(),
            name: name.into(),
            error: None,
            submitted: false,
        }
    }

    /// Joins as soon as the app runs.
    pub fn submit(&mut self) {
        self.submitted = true;
    }
}

#[derive(Resource, Debug, Default)]
struct Typing {
    text: String,
    host: String,
}

/// A read-only client for a shared screen (`emberkeep --display`): no action bar, large type.
#[derive(Resource, Debug, Clone, Copy, Default)]
pub struct DisplayMode;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<ConnectForm>().init_resource::<Typing>();
    app.add_systems(EguiPrimaryContextPass, draw);
    app.add_systems(Update, (join_when_submitted, remember_when_seated));
}

/// The connect screen's fields from the last seat taken, if any.
pub fn remembered() -> Option<ConnectSettings> {
    Store::for_user().load(CONNECT_KEY).unwrap_or_else(|e| {
        warn!("ignoring remembered connect settings: {e}");
        None
    })
}

fn remember_when_seated(
    session: Res<TableSession>,
    form: Res<ConnectForm>,
    mut saved: Local<bool>,
) {
    if *saved || session.status != Status::Seated || form.code.is_empty() {
        return;
    }
    *saved = true;
    let value = ConnectSettings {
        server: form.server.trim().to_string(),
        code: form.code.trim().to_string(),
        name: form.name.trim().to_string(),
    };
    if let Err(e) = Store::for_user().save(CONNECT_KEY, &value) {
        warn!("cannot remember the connect settings: {e}");
    }
}

fn join_when_submitted(world: &mut World) {
    let form = world.resource::<ConnectForm>().clone();
    if !form.submitted {
        return;
    }
    world.resource_mut::<ConnectForm>().submitted = false;
    world.resource_mut::<crate::net::JoinRequest>().name = form.name.trim().to_string();
    let plan = Reconnect::new(form.server.trim(), form.code.trim(), false);
    match plan.connect_now(world) {
        Ok(_) => {
            world.insert_resource(plan);
            world.resource_mut::<ConnectForm>().error = None;
        }
        Err(e) => world.resource_mut::<ConnectForm>().error = Some(e),
    }
}

/// The tab shown under the map on a phone held upright.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum PhoneTab {
    /// The action bar and the story so far.
    #[default]
    Play,
    /// The story, all of it.
    Feed,
    /// The party's hit points.
    Party,
    /// The initiative order and the turn's clock.
    Turns,
}

fn hp_color(hp: i32, max: i32) -> egui::Color32 {
    let f = hp as f32 / max.max(1) as f32;
    if f > 0.5 {
        egui::Color32::from_rgb(90, 200, 100)
    } else if f > 0.25 {
        egui::Color32::from_rgb(230, 180, 60)
    } else {
        egui::Color32::from_rgb(220, 70, 60)
    }
}

fn draw(
    mut contexts: EguiContexts,
    mut session: ResMut<TableSession>,
    mut form: ResMut<ConnectForm>,
    mut typing: ResMut<Typing>,
    mirror_source: MirrorSource,
    display: Option<Res<DisplayMode>>,
    mut settings_open: ResMut<SettingsOpen>,
    bindings: Res<Bindings>,
    cursor: Res<MapCursor>,
    mut free: ResMut<FreeArea>,
    mut chosen: ResMut<super::spells::ChosenSpell>,
    mut sheet: ResMut<super::sheet::SheetOpen>,
    mut creator: ResMut<super::creator::Creator>,
    look: Res<super::settings::Look>,
    mut tab: Local<PhoneTab>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    keep_focus_in_text_boxes(ctx);
    let display = display.is_some();
    let zoom = look.scale() * if display { 1.35 } else { 1.0 };
    if ctx.zoom_factor() != zoom {
        ctx.set_zoom_factor(zoom);
    }
    let mut root = egui::Ui::new(
        ctx.clone(),
        "root".into(),
        egui::UiBuilder::new()
            .layer_id(egui::LayerId::background())
            .max_rect(ctx.viewport_rect()),
    );
    let seated = session.seating.is_some();
    if !seated {
        egui::Panel::top("title").show(&mut root, |ui| {
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui.button("⚙ Settings").clicked() {
                    settings_open.0 = !settings_open.0;
                }
            });
        });
        connect_screen(&mut root, &mut session, &mut form, &mut creator);
        return Ok(());
    }
    let mirror = mirror_source.read();
    let name = |id: CombatantId| mirror.name_of(id);
    let me = session.seating.as_ref().and_then(|s| s.character);
    let table = mirror.table.clone();
    if let Some(me) = me {
        super::sheet::show(ctx, &mirror, me, &mut sheet);
    }

    // A phone held upright: the map on top, the rest in tabs below it (see the end).
    let screen = ctx.content_rect();
    let phone = screen.width() < 640.0 && screen.height() > screen.width();
    egui::Panel::top("status").show(&mut root, |ui| {
        // The buttons keep the right end; the rest is cut short in what is left (a narrow
        // window or a large panel size).
        egui::containers::Sides::new()
            .shrink_left()
            .truncate()
            .show(
                ui,
                |ui| {
                    ui.heading(
                        table
                            .as_ref()
                            .map_or("Emberkeep".to_string(), |t| t.encounter.clone()),
                    );
                    ui.separator();
                    if let Some(t) = &table {
                        match t.mode {
                            Mode::Combat if phone => ui.label(format!("Round {}", t.round)),
                            Mode::Combat => ui.label(format!("Combat — round {}", t.round)),
                            Mode::Exploration => ui.label("Exploration"),
                        };
                    }
                    // A phone has room for the table and the round; the rest is in Party.
                    if phone {
                        return;
                    }
                    ui.separator();
                    // Who you are at this table: your name, and whom you play (or watch as).
                    let who = form.name.trim();
                    let role = session
                        .seating
                        .as_ref()
                        .map(|s| match (s.role, s.character) {
                            (Role::Player, Some(c)) => {
                                format!("{who} — playing {} ({})", name(c), s.seat)
                            }
                            (Role::Host, _) => format!("{who} — host"),
                            (Role::Spectator, _) => format!("{who} — watching"),
                            (_, None) => format!("{who} ({})", s.seat),
                        });
                    ui.label(role.unwrap_or_default());
                    match &session.status {
                        Status::Seated => {
                            ui.colored_label(egui::Color32::from_rgb(120, 200, 120), "• connected")
                        }
                        Status::Reconnecting | Status::Disconnected(_) => ui.colored_label(
                            egui::Color32::from_rgb(230, 180, 60),
                            "• reconnecting…",
                        ),
                        Status::Refused(r) => {
                            ui.colored_label(egui::Color32::from_rgb(220, 80, 70), format!("• {r}"))
                        }
                        _ => ui.label("• joining…"),
                    };
                },
                |ui| {
                    let gear = ui.button("⚙").on_hover_text(format!(
                        "Settings: sound and controls ({})",
                        bindings.labels(TableAction::Settings, false)
                    ));
                    // A screen reader says "Settings", not the gear's character name.
                    gear.widget_info(|| {
                        egui::WidgetInfo::labeled(egui::WidgetType::Button, true, "Settings")
                    });
                    if gear.clicked() {
                        settings_open.0 = !settings_open.0;
                    }
                    if !phone
                        && ui
                            .selectable_label(creator.open, "Your character")
                            .on_hover_text(
                                "Make your own character; bring it before the story begins",
                            )
                            .clicked()
                    {
                        creator.open = !creator.open;
                    }
                },
            );
    });

    let party_body = |ui: &mut egui::Ui| {
        ui.heading("Party");
        egui::ScrollArea::vertical().show(ui, |ui| {
            for (sheet, status) in mirror
                .combatants
                .values()
                .filter(|(s, _)| s.side == Side::Party)
            {
                ui.group(|ui| {
                    ui.horizontal(|ui| {
                        ui.strong(&sheet.name);
                        if Some(sheet.id) == me {
                            ui.label("(you)");
                        }
                    });
                    ui.add(
                        egui::ProgressBar::new(
                            (status.hp.max(0) as f32 / sheet.max_hp.max(1) as f32).clamp(0.0, 1.0),
                        )
                        .text(format!("HP {}/{}", status.hp, sheet.max_hp))
                        .fill(hp_color(status.hp, sheet.max_hp)),
                    );
                    ui.label(format!("AC {}   speed {} ft", sheet.ac, sheet.speed));
                    if !status.conditions.is_empty() {
                        let list: Vec<String> =
                            status.conditions.iter().map(|c| format!("{c:?}")).collect();
                        ui.colored_label(egui::Color32::from_rgb(230, 180, 90), list.join(", "));
                    }
                    let who = match (&status.player, status.connected, status.companion) {
                        (Some(p), true, _) => format!("played by {p}"),
                        (_, _, true) => "companion".into(),
                        (Some(p), false, _) => format!("{p} (offline)"),
                        (None, _, false) => "waiting for a player".into(),
                    };
                    ui.weak(who);
                });
            }
        });
    };

    let initiative_body = |ui: &mut egui::Ui| {
        ui.heading("Initiative");
        if let Some(t) = &table {
            if t.mode == Mode::Combat {
                for id in &t.order {
                    let Some((sheet, status)) = mirror.combatants.get(id) else {
                        continue;
                    };
                    let dead = status.conditions.contains(&Condition::Dead);
                    let text = format!("{:>2}  {}", status.initiative.unwrap_or(0), sheet.name);
                    let mut label = egui::RichText::new(text);
                    if t.active == Some(*id) {
                        label = label.strong().color(egui::Color32::from_rgb(255, 205, 80));
                    } else if dead {
                        label = label.strikethrough().weak();
                    } else if sheet.side == Side::Foe {
                        label = label.color(egui::Color32::from_rgb(225, 120, 100));
                    }
                    ui.label(label);
                }
                if let (Some(active), Some(secs)) = (t.active, mirror.clock.turn) {
                    ui.separator();
                    ui.label(format!("{}'s turn — {} s left", name(active), secs));
                }
            } else {
                ui.weak("No fight yet.");
            }
        }
    };

    let my_turn = table
        .as_ref()
        .is_some_and(|t| t.active == me && me.is_some());
    let exploring = table.as_ref().is_some_and(|t| t.mode == Mode::Exploration);
    let mut actions_body = |ui: &mut egui::Ui, session: &mut TableSession| {
        let host = session
            .seating
            .as_ref()
            .is_some_and(|s| s.role == Role::Host);
        if host && !display {
            ui.horizontal(|ui| {
                ui.label("Host:");
                let line = ui.add(
                    egui::TextEdit::singleline(&mut typing.host)
                        .hint_text("pause, skip, narrate …, whisper SEAT …, help")
                        .desired_width(420.0),
                );
                if (ui.button("Send").clicked() || submitted(ui, &line))
                    && !typing.host.trim().is_empty()
                {
                    let command = std::mem::take(&mut typing.host);
                    session.host_command(command.trim());
                    line.request_focus();
                }
            });
            // The whole reply (`status`, `help` and `codes` take several lines).
            if let Some(reply) = session.host_replies.last() {
                ui.label(egui::RichText::new(reply).monospace().weak());
            }
        }
        if !display && !host {
            // The bar wraps onto a second line in a narrow window (the turn hint included).
            ui.horizontal_wrapped(|ui| {
                    let player = session
                        .seating
                        .as_ref()
                        .is_some_and(|s| s.role == Role::Player);
                    let bar = action_bar(&mirror, if player { me } else { None });
                    let keys = |a: TableAction| {
                        format!(
                            "{} / {}",
                            bindings.labels(a, false),
                            bindings.labels(a, true)
                        )
                    };
                    let why = bar.why_not.clone().unwrap_or_default();
                    // Move and Attack act on the cursor square when it fits, else they say how.
                    let at_cursor = |kind: fn(&Action) -> bool| {
                        me.zip(cursor.0)
                            .and_then(|(me, at)| crate::preview::action_for_click(&mirror, me, at))
                            .filter(kind)
                    };
                    let move_button = ui
                        .add_enabled(bar.can_move, egui::Button::new("Move"))
                        .on_hover_text(
                            "Click a lit square, or pick one with the cursor keys and press Move",
                        )
                        .on_disabled_hover_text(&why);
                    if move_button.clicked() {
                        match at_cursor(|a| matches!(a, Action::Move { .. })) {
                            Some(m) => {
                                session.act(m);
                            }
                            None => {
                                session.notice = Some(
                                    "Pick a lit square first: click it, or move the cursor there with the arrow keys"
                                        .into(),
                                )
                            }
                        }
                    }
                    let attack_button = ui
                        .add_enabled(!bar.targets.is_empty(), egui::Button::new("Attack"))
                        .on_hover_text(format!(
                            "Attack the foe under the cursor, else the nearest in reach ({})",
                            keys(TableAction::NextTarget)
                        ))
                        .on_disabled_hover_text(if bar.enabled {
                            "no foe within reach"
                        } else {
                            &why
                        });
                    if attack_button.clicked() {
                        let nearest = bar
                            .targets
                            .first()
                            .map(|&(target, attack)| Action::Attack { target, attack });
                        if let Some(a) =
                            at_cursor(|a| matches!(a, Action::Attack { .. })).or(nearest)
                        {
                            session.act(a);
                        }
                    }
                    if let Some(me) = me {
                        super::spells::spells_menu(
                            ui,
                            &mirror,
                            me,
                            &mut chosen,
                            &mut *session,
                            player && (exploring || my_turn),
                        );
                        super::spells::features_menu(ui, &mirror, me, &mut *session, player && my_turn);
                        super::points::here_menu(
                            ui,
                            &mirror,
                            me,
                            &mut *session,
                            player && (exploring || my_turn),
                        );
                        if ui
                            .selectable_label(sheet.0, "Sheet")
                            .on_hover_text("Your character sheet: abilities, saves, skills, features, spells, conditions")
                            .clicked()
                        {
                            sheet.0 = !sheet.0;
                        }
                    }
                    for key in TableAction::TURN {
                        let button = ui
                            .add_enabled(bar.enabled, egui::Button::new(key.label()))
                            .on_hover_text(keys(key))
                            .on_disabled_hover_text(&why);
                        super::hooks::button(ui.ctx(), key.label(), button.rect);
                        if button.clicked()
                            && let Some(intent) = key.intent()
                        {
                            session.act(intent);
                        }
                    }
                    ui.separator();
                    let line = ui.add_enabled(
                        player && (exploring || my_turn),
                        egui::TextEdit::singleline(&mut typing.text)
                            .hint_text("Describe what you do…")
                            .desired_width(300.0),
                    );
                    let enter = submitted(ui, &line);
                    if (ui
                        .add_enabled(
                            player && !typing.text.trim().is_empty(),
                            egui::Button::new("Do it"),
                        )
                        .clicked()
                        || enter)
                        && !typing.text.trim().is_empty()
                    {
                        let text = std::mem::take(&mut typing.text);
                        session.act(Action::Declare { text });
                    }
                    if bar.enabled {
                        ui.colored_label(
                            egui::Color32::from_rgb(255, 205, 80),
                            "Your turn: click a lit square to move, a foe to attack",
                        );
                    }
                });
            // A reaction the table waits for from this seat: answer within the window.
            if let Some(r) = table.as_ref().and_then(|t| t.reaction.clone())
                && Some(r.reactor) == me
            {
                ui.horizontal(|ui| {
                    let question = match mirror.clock.reaction {
                        Some(secs) => format!("{} ({secs} s)", r.question),
                        None => r.question.clone(),
                    };
                    ui.colored_label(egui::Color32::from_rgb(255, 205, 80), question);
                    if ui.button(&r.answer).clicked() {
                        session.act(Action::React { take: true });
                    }
                    if ui.button("No").clicked() {
                        session.act(Action::React { take: false });
                    }
                });
            }
            if let Some(notice) = &session.notice {
                ui.colored_label(egui::Color32::from_rgb(230, 110, 90), notice);
            }
        }
    };
    let feed_body = |ui: &mut egui::Ui, session: &TableSession| {
        egui::ScrollArea::vertical()
            .stick_to_bottom(true)
            .auto_shrink([false, false])
            .show(ui, |ui| {
                for e in session
                    .events
                    .iter()
                    .rev()
                    .take(200)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                {
                    let text = e.event.describe(&name);
                    match &e.event {
                        GameEvent::Narration { text, .. } => {
                            ui.label(
                                egui::RichText::new(text)
                                    .italics()
                                    .color(egui::Color32::from_rgb(235, 220, 190)),
                            );
                        }
                        _ => {
                            let away = if session.away.contains(&e.seq) {
                                " (while you were away)"
                            } else {
                                ""
                            };
                            ui.label(
                                egui::RichText::new(format!("{text}{away}"))
                                    .small()
                                    .color(egui::Color32::from_rgb(170, 165, 155)),
                            );
                        }
                    }
                }
                if let Some((_, streaming)) = &session.narrating {
                    ui.label(
                        egui::RichText::new(format!("{streaming}…"))
                            .italics()
                            .color(egui::Color32::from_rgb(235, 220, 190)),
                    );
                }
            });
    };
    if phone {
        // No separator line: egui draws it where the panel would end if its contents fitted,
        // and with touch-sized buttons they overflow, so the line crossed the tabs.
        egui::Panel::bottom("phone")
            .exact_size((screen.height() * 0.46).max(200.0))
            .show_separator_line(false)
            .show(&mut root, |ui| {
                ui.horizontal(|ui| {
                    for (t, label) in [
                        (PhoneTab::Play, "Play"),
                        (PhoneTab::Feed, "Story"),
                        (PhoneTab::Party, "Party"),
                        (PhoneTab::Turns, "Turns"),
                    ] {
                        let button = ui.selectable_value(&mut *tab, t, label);
                        super::hooks::button(ui.ctx(), label, button.rect);
                    }
                });
                ui.separator();
                match *tab {
                    PhoneTab::Play => {
                        actions_body(ui, &mut session);
                        ui.separator();
                        feed_body(ui, &session);
                    }
                    PhoneTab::Feed => feed_body(ui, &session),
                    PhoneTab::Party => party_body(ui),
                    PhoneTab::Turns => initiative_body(ui),
                }
            });
    } else {
        egui::Panel::left("party")
            .exact_size(230.0)
            .show(&mut root, party_body);
        egui::Panel::right("initiative")
            .exact_size(220.0)
            .show(&mut root, initiative_body);
        // The feed takes what the player gives it: drag its top edge.
        egui::Panel::bottom("feed")
            .resizable(true)
            .default_size(210.0)
            .min_size(120.0)
            .max_size((screen.height() * 0.6).max(160.0))
            .show(&mut root, |ui| {
                actions_body(ui, &mut session);
                ui.separator();
                feed_body(ui, &session);
            });
    }
    // What the panels left is the map's: in physical pixels.
    let rest = root.available_rect_before_wrap();
    let ppp = ctx.pixels_per_point();
    let area = Some(Rect::new(
        rest.min.x * ppp,
        rest.min.y * ppp,
        rest.max.x * ppp,
        rest.max.y * ppp,
    ));
    if free.0 != area {
        free.0 = area;
    }
    keep_focus_in_text_boxes(ctx);
    Ok(())
}

/// Keyboard focus belongs to text boxes only. egui moves it to the next widget on Tab, so
/// Tab (next foe) would park it on a button and the following Enter or Space would press that
/// button (⚙ Settings) instead of acting on the map — and a focused button also makes egui
/// claim the keyboard, which turns the game's keys off. Buttons are for the mouse and touch.
fn keep_focus_in_text_boxes(ctx: &egui::Context) {
    if !ctx.text_edit_focused()
        && let Some(id) = ctx.memory(|m| m.focused())
    {
        ctx.memory_mut(|m| m.surrender_focus(id));
    }
}

fn connect_screen(
    root: &mut egui::Ui,
    session: &mut TableSession,
    form: &mut ConnectForm,
    creator: &mut super::creator::Creator,
) {
    egui::CentralPanel::default().show(root, |ui| {
        ui.vertical_centered(|ui| {
            ui.add_space(120.0);
            ui.heading(
                egui::RichText::new("Emberkeep")
                    .size(40.0)
                    .color(egui::Color32::from_rgb(255, 190, 90)),
            );
            ui.add_space(20.0);
            let mut enter_pressed = false;
            egui::Grid::new("connect")
                .num_columns(2)
                .spacing([12.0, 10.0])
                .show(ui, |ui| {
                    ui.label("Server");
                    let a = ui.text_edit_singleline(&mut form.server);
                    ui.end_row();
                    ui.label("Join code");
                    let b = ui.text_edit_singleline(&mut form.code);
                    ui.end_row();
                    ui.label("Your name");
                    let c = ui.text_edit_singleline(&mut form.name);
                    ui.end_row();
                    enter_pressed = [a, b, c].iter().any(|r| submitted(ui, r));
                });
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                let label = match &creator.saved {
                    Some(c) => format!(
                        "Your character: {} ({} {})",
                        c.name,
                        c.race.name(),
                        c.class.name()
                    ),
                    None => "You play the seat's character".into(),
                };
                ui.label(label);
                if ui.button("Make your own…").clicked() {
                    creator.open = true;
                }
            });
            if creator.saved.is_some() {
                ui.checkbox(
                    &mut creator.bring_on_join,
                    "Bring it to a table that has not begun",
                );
            }
            ui.add_space(12.0);
            let ready = !form.server.trim().is_empty()
                && !form.code.trim().is_empty()
                && !form.name.trim().is_empty();
            if (ui
                .add_enabled(ready, egui::Button::new("Join the table"))
                .clicked()
                || enter_pressed)
                && ready
            {
                form.submitted = true;
            }
            match &session.status {
                Status::Connecting if ready => ui.weak("Not connected."),
                Status::Joining => ui.label("Taking your seat…"),
                Status::Reconnecting => ui.label("Connecting…"),
                Status::Refused(r) => ui.colored_label(egui::Color32::from_rgb(220, 80, 70), r),
                Status::Disconnected(r) => ui.colored_label(
                    egui::Color32::from_rgb(220, 80, 70),
                    format!("Disconnected: {r}"),
                ),
                _ => ui.label(""),
            };
            if let Some(e) = &form.error {
                ui.colored_label(egui::Color32::from_rgb(220, 80, 70), e);
            }
        });
    });
}

/// Enter pressed in this text box (egui drops the focus on Enter in a single-line box).
fn submitted(ui: &egui::Ui, response: &egui::Response) -> bool {
    response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter))
}
