//! What just happened, played back so players can follow it: a token glides square by square
//! along the path it took, and damage, healing and misses rise from the creature as numbers,
//! one beat after another (an NPC's move, then its attack). The table's state underneath is
//! already final; only what is drawn waits: a creature whose move has not been played yet
//! stays where it was, and once the last beat has played every token stands exactly where the
//! server says. When the window falls behind (many beats queued), the backlog is dropped and
//! everything jumps to the present. The pace is a setting (brisk, readable, or off).

use super::map::{MapSize, MapSystems, MirrorSource, SQUARE, Token};
use super::map_text::MapText;
use super::redraw::Redraw;
use super::settings::Look;
use crate::net::TableSession;
use bevy::prelude::*;
use emberkeep_shared::event::GameEvent;
use emberkeep_shared::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// How fast events play back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Pace {
    /// Quick beats.
    Brisk,
    /// Time to follow each move and blow.
    #[default]
    Readable,
    /// No playback: everything shows at once.
    Off,
}

impl Pace {
    /// Seconds per square walked and per blow shown, or `None` when off.
    fn timing(self) -> Option<(f32, f32)> {
        match self {
            Pace::Brisk => Some((0.07, 0.25)),
            Pace::Readable => Some((0.14, 0.5)),
            Pace::Off => None,
        }
    }
}

/// More beats than this waiting and the backlog is skipped.
pub const MAX_BEHIND: usize = 12;

/// One thing to show.
#[derive(Debug, Clone, PartialEq)]
pub enum Beat {
    /// A creature walks from `from` through `path`.
    Walk {
        /// Who.
        actor: CombatantId,
        /// Where it started.
        from: GridPos,
        /// The squares it entered.
        path: Vec<GridPos>,
    },
    /// A number rises from a creature: damage (negative), healing (positive), or a miss.
    Blow {
        /// Who.
        target: CombatantId,
        /// Hit points changed (negative: lost); `None` for a miss.
        change: Option<i32>,
        /// The attack roll behind it, shown as a toast.
        roll: Option<Roll>,
    },
}

/// An attack roll, as a toast shows it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Roll {
    /// Who attacked.
    pub attacker: CombatantId,
    /// The die kept.
    pub natural: u32,
    /// The total.
    pub total: i32,
    /// The target's armour class.
    pub ac: i32,
    /// Whether it hit, and whether critically.
    pub hit: bool,
    /// A critical hit.
    pub critical: bool,
}

impl Beat {
    /// The beat of an event, if it has one.
    pub fn of(event: &GameEvent) -> Option<Beat> {
        match event {
            GameEvent::Moved {
                actor, from, path, ..
            } if !path.is_empty() => Some(Beat::Walk {
                actor: *actor,
                from: *from,
                path: path.clone(),
            }),
            GameEvent::Attacked(a) => Some(Beat::Blow {
                target: a.target,
                change: a.roll.hit.then_some(-a.dealt),
                roll: Some(Roll {
                    attacker: a.attacker,
                    natural: a.roll.d20.natural,
                    total: a.roll.total,
                    ac: a.roll.ac,
                    hit: a.roll.hit,
                    critical: a.roll.critical,
                }),
            }),
            GameEvent::EffectDamage { target, dealt, .. } => Some(Beat::Blow {
                target: *target,
                change: Some(-dealt),
                roll: None,
            }),
            GameEvent::Healed { target, healed, .. } => Some(Beat::Blow {
                target: *target,
                change: Some(*healed),
                roll: None,
            }),
            _ => None,
        }
    }

    fn length(&self, (per_square, per_blow): (f32, f32)) -> f32 {
        match self {
            Beat::Walk { path, .. } => (path.len() as f32 * per_square).min(1.5),
            Beat::Blow { .. } => per_blow,
        }
    }
}

/// The playback: beats waiting, the one playing and how far it is.
#[derive(Resource, Debug, Default)]
pub struct Playback {
    /// The last event sequence number taken in.
    seen: Option<u64>,
    /// Beats to play, the first playing.
    pub queue: VecDeque<Beat>,
    /// Seconds into the first beat.
    elapsed: f32,
}

impl Playback {
    /// Takes in new events (those after the last seen). The first call only notes where the
    /// history ends: a table joined or rejoined is shown as it is, not replayed.
    pub fn take(&mut self, events: &[SeqEvent], pace: Pace) {
        let Some(seen) = self.seen else {
            self.seen = events.last().map(|e| e.seq).or(Some(0));
            return;
        };
        for e in events.iter().filter(|e| e.seq > seen) {
            if pace != Pace::Off
                && let Some(beat) = Beat::of(&e.event)
            {
                self.queue.push_back(beat);
            }
            self.seen = Some(e.seq);
        }
        if self.queue.len() > MAX_BEHIND {
            self.queue.clear();
            self.elapsed = 0.0;
        }
    }

    /// Moves playback on by `dt` seconds. Returns the blows that began (to show their
    /// numbers).
    pub fn advance(&mut self, dt: f32, pace: Pace) -> Vec<Beat> {
        let Some(timing) = pace.timing() else {
            self.queue.clear();
            return Vec::new();
        };
        let mut started = Vec::new();
        if self.elapsed == 0.0
            && let Some(b @ Beat::Blow { .. }) = self.queue.front()
        {
            started.push(b.clone());
        }
        self.elapsed += dt;
        while let Some(front) = self.queue.front() {
            let len = front.length(timing);
            if self.elapsed < len {
                break;
            }
            self.elapsed -= len;
            self.queue.pop_front();
            if let Some(b @ Beat::Blow { .. }) = self.queue.front() {
                started.push(b.clone());
            }
        }
        if self.queue.is_empty() {
            self.elapsed = 0.0;
        }
        started
    }

    /// Where `actor` is drawn, in squares (fractions while walking), given where it stands
    /// now; the same as `now` once nothing about it waits.
    pub fn shown_at(&self, actor: CombatantId, now: GridPos, pace: Pace) -> Vec2 {
        let at = |p: GridPos| Vec2::new(p.x as f32, p.y as f32);
        let Some(timing) = pace.timing() else {
            return at(now);
        };
        for (i, beat) in self.queue.iter().enumerate() {
            let Beat::Walk {
                actor: a,
                from,
                path,
            } = beat
            else {
                continue;
            };
            if *a != actor {
                continue;
            }
            if i > 0 {
                // Its walk has not begun: it is still where it started.
                return at(*from);
            }
            let progress = (self.elapsed / beat.length(timing).max(1e-3)).clamp(0.0, 1.0);
            let steps: Vec<Vec2> = std::iter::once(*from)
                .chain(path.iter().copied())
                .map(at)
                .collect();
            let f = progress * (steps.len() - 1) as f32;
            let i = (f.floor() as usize).min(steps.len() - 2);
            return steps[i].lerp(steps[i + 1], f - i as f32);
        }
        at(now)
    }

    /// Whether anything is playing.
    pub fn busy(&self) -> bool {
        !self.queue.is_empty()
    }
}

/// The last attack rolls, shown briefly over the map: (text, seconds shown).
#[derive(Resource, Debug, Default)]
pub struct Toasts(pub VecDeque<(String, f32)>);

/// How long a dice toast stays.
const TOAST_FOR: f32 = 2.5;

/// Shows the dice toasts at the top of the map and lets them age.
fn show_toasts(
    mut contexts: bevy_egui::EguiContexts,
    mut toasts: ResMut<Toasts>,
    free: Res<super::map::FreeArea>,
    time: Res<Time<Real>>,
    mut redraw: ResMut<Redraw>,
) -> Result {
    use bevy_egui::egui;
    let dt = time.delta_secs().min(0.1);
    toasts.0.retain_mut(|(_, age)| {
        *age += dt;
        *age < TOAST_FOR
    });
    if toasts.0.is_empty() {
        return Ok(());
    }
    // Frames while a toast fades; one that appears or goes is seen by the redraw's fingerprint.
    if toasts.0.iter().any(|(_, age)| *age > TOAST_FOR - 0.4) {
        redraw.request();
    }
    let ctx = contexts.ctx_mut()?;
    let ppp = ctx.pixels_per_point();
    // A narrow window (a phone) shows the newest only, so the map stays in sight.
    let narrow = ctx.content_rect().width() < 640.0;
    let shown = if narrow { 1 } else { 3 };
    let top = free.0.map_or(egui::pos2(0.0, 40.0), |r| {
        egui::pos2(r.center().x / ppp, r.min.y / ppp + 8.0)
    });
    egui::Area::new(egui::Id::new("dice-toasts"))
        .fixed_pos(top)
        .pivot(egui::Align2::CENTER_TOP)
        .interactable(false)
        .show(ctx, |ui| {
            let skip = toasts.0.len().saturating_sub(shown);
            for (text, age) in toasts.0.iter().skip(skip) {
                let alpha = ((TOAST_FOR - age) / 0.4).clamp(0.0, 1.0);
                egui::Frame::popup(ui.style())
                    .inner_margin(egui::Margin::symmetric(8, 4))
                    .multiply_with_opacity(alpha)
                    .show(ui, |ui| {
                        ui.label(egui::RichText::new(text).size(if narrow { 11.0 } else { 13.0 }));
                    });
            }
        });
    Ok(())
}

/// A rising number.
#[derive(Component, Debug)]
struct Floating {
    age: f32,
}

const FLOAT_FOR: f32 = 0.9;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Playback>().init_resource::<Toasts>();
    app.add_systems(Update, (play, float).chain().after(MapSystems));
    app.add_systems(bevy_egui::EguiPrimaryContextPass, show_toasts);
}

fn play(
    mut commands: Commands,
    mut playback: ResMut<Playback>,
    session: Res<TableSession>,
    look: Res<Look>,
    time: Res<Time<Real>>,
    size: Res<MapSize>,
    mut tokens: Query<(&CombatantSheet, &CombatantStatus, &mut Transform), With<Token>>,
    mut redraw: ResMut<Redraw>,
    mut toasts: ResMut<Toasts>,
    mirror_source: MirrorSource,
) {
    let pace = look.pace;
    playback.take(&session.events, pace);
    // A long pause (a window hidden for a while) counts as one frame, not a skip of everything.
    let dt = time.delta_secs().min(0.1);
    let started = playback.advance(dt, pace);
    for (sheet, status, mut transform) in &mut tokens {
        let shown = playback.shown_at(sheet.id, status.pos, pace);
        let world = size.to_world(GridPos::new(0, 0)) + Vec2::new(shown.x, -shown.y) * SQUARE;
        if transform.translation.truncate() != world {
            transform.translation.x = world.x;
            transform.translation.y = world.y;
        }
    }
    for beat in started {
        let Beat::Blow {
            target,
            change,
            roll,
        } = beat
        else {
            continue;
        };
        if let Some(r) = roll {
            // Short names (`Mub`, `Goblin 2`): a toast is read at a glance.
            let name = |id| super::map::short_name(&mirror_source.read().name_of(id));
            let outcome = match (r.hit, r.critical, change) {
                (true, true, Some(n)) => format!("critical hit for {}", -n),
                (true, _, Some(n)) => format!("hit for {}", -n),
                _ => "miss".to_string(),
            };
            toasts.0.push_back((
                format!(
                    "{} on {}: d20 {}, total {} vs AC {} — {outcome}",
                    name(r.attacker),
                    name(target),
                    r.natural,
                    r.total,
                    r.ac
                ),
                0.0,
            ));
            while toasts.0.len() > 3 {
                toasts.0.pop_front();
            }
        }
        let Some((_, status, _)) = tokens.iter().find(|(s, _, _)| s.id == target) else {
            continue;
        };
        let (text, color) = match change {
            Some(n) if n < 0 => (format!("{n}"), Color::srgb(1.0, 0.35, 0.3)),
            Some(n) => (format!("+{n}"), Color::srgb(0.45, 0.95, 0.5)),
            None => ("miss".to_string(), Color::srgb(0.85, 0.85, 0.85)),
        };
        let at = size.to_world(status.pos) + Vec2::new(0.0, SQUARE * 0.3);
        commands.spawn((
            Floating { age: 0.0 },
            MapText::new(text, 14.0, color),
            Transform::from_translation(at.extend(30.0)),
        ));
    }
    if playback.busy() {
        redraw.request();
    }
}

fn float(
    mut commands: Commands,
    time: Res<Time<Real>>,
    mut numbers: Query<(Entity, &mut Floating, &mut Transform, &mut MapText)>,
    mut redraw: ResMut<Redraw>,
) {
    let dt = time.delta_secs().min(0.1);
    for (entity, mut f, mut t, mut text) in &mut numbers {
        f.age += dt;
        if f.age >= FLOAT_FOR {
            commands.entity(entity).despawn();
            continue;
        }
        t.translation.y += dt * 20.0;
        let fade = 1.0 - (f.age / FLOAT_FOR).powi(2);
        text.color = text.color.with_alpha(fade);
        redraw.request();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use emberkeep_shared::event::Audience;

    fn moved(seq: u64, actor: CombatantId, from: (i32, i32), path: &[(i32, i32)]) -> SeqEvent {
        SeqEvent {
            seq,
            at_ms: 0,
            audience: Audience::Public,
            event: GameEvent::Moved {
                actor,
                from: GridPos::new(from.0, from.1),
                path: path.iter().map(|&(x, y)| GridPos::new(x, y)).collect(),
                feet: 5 * path.len() as u32,
                stood_up: false,
            },
        }
    }

    /// Two NPCs move one after the other: the second waits where it was while the first
    /// walks, each passes through its path, and when playback ends both stand exactly where
    /// the replicated state has them.
    #[test]
    fn a_paced_playback_ends_in_exactly_the_replicated_state() {
        let pace = Pace::Readable;
        let mut p = Playback::default();
        p.take(&[], pace);
        let events = vec![
            moved(1, 7, (0, 0), &[(1, 0), (2, 0)]),
            moved(2, 8, (5, 5), &[(5, 4)]),
        ];
        p.take(&events, pace);
        let (now7, now8) = (GridPos::new(2, 0), GridPos::new(5, 4));
        assert_eq!(p.shown_at(7, now7, pace), Vec2::new(0.0, 0.0));
        assert_eq!(p.shown_at(8, now8, pace), Vec2::new(5.0, 5.0));
        // Halfway through the first walk: on the middle square; the second has not moved.
        let (per_square, _) = pace.timing().unwrap();
        p.advance(per_square, pace);
        let mid = p.shown_at(7, now7, pace);
        assert!((mid - Vec2::new(1.0, 0.0)).length() < 1e-3, "{mid}");
        assert_eq!(p.shown_at(8, now8, pace), Vec2::new(5.0, 5.0));
        // Frames of a sixtieth of a second until it is over.
        let mut frames = 0;
        while p.busy() {
            p.advance(1.0 / 60.0, pace);
            frames += 1;
            assert!(frames < 600);
        }
        assert_eq!(p.shown_at(7, now7, pace), Vec2::new(2.0, 0.0));
        assert_eq!(p.shown_at(8, now8, pace), Vec2::new(5.0, 4.0));
    }

    /// The history a table is joined with is not replayed; a backlog beyond what can be
    /// followed is dropped and everything shows as it is; with pacing off nothing waits.
    #[test]
    fn history_and_backlogs_are_not_played_and_off_means_off() {
        let pace = Pace::Readable;
        let mut p = Playback::default();
        p.take(&[moved(1, 7, (0, 0), &[(1, 0)])], pace);
        assert!(!p.busy(), "joined: the history is not replayed");
        let many: Vec<SeqEvent> = (2..2 + MAX_BEHIND as u64 + 1)
            .map(|s| moved(s, 7, (0, 0), &[(1, 0)]))
            .collect();
        p.take(&many, pace);
        assert!(!p.busy(), "a backlog is skipped");
        assert_eq!(p.shown_at(7, GridPos::new(1, 0), pace), Vec2::new(1.0, 0.0));
        let mut off = Playback::default();
        off.take(&[], Pace::Off);
        off.take(&[moved(1, 7, (0, 0), &[(1, 0)])], Pace::Off);
        assert!(!off.busy());
    }
}
