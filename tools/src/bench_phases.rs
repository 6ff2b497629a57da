//! `bench --phases`: where a server frame's time goes. Marks are taken between the phases of
//! one frame (the server runs its systems one after another, so the marks are exact): the
//! phases' medians and p99s, and their mean in the slowest 1 % of frames, tell a spike's cause.

use bevy::app::MainScheduleOrder;
use bevy::ecs::schedule::ScheduleLabel;
use bevy::prelude::*;
use emberkeep_server::TurnSystems;
use std::time::{Duration, Instant};

/// The phases, in the order a frame runs them.
const NAMES: [&str; 8] = [
    "First + PreUpdate (lightyear receives)",
    "Update: turn Receive (messages into inboxes)",
    "Update: turn Advance (clock, NPC turns)",
    "Update: turn Resolve (rules, journal)",
    "Update: turn Publish (events, views, outbox)",
    "Update: the rest",
    "PostUpdate (replication, lightyear sends)",
    "Last",
];

/// When each phase but the last ended, this frame.
#[derive(Resource, Default)]
struct Marks([Option<Instant>; 7]);

fn mark<const I: usize>(mut marks: ResMut<Marks>) {
    marks.0[I] = Some(Instant::now());
}

#[derive(ScheduleLabel, Debug, Clone, PartialEq, Eq, Hash)]
struct AfterPreUpdate;
#[derive(ScheduleLabel, Debug, Clone, PartialEq, Eq, Hash)]
struct AfterUpdate;
#[derive(ScheduleLabel, Debug, Clone, PartialEq, Eq, Hash)]
struct AfterPostUpdate;

/// Adds the marks to a server App.
pub fn install(app: &mut App) {
    app.init_resource::<Marks>();
    let mut order = app.world_mut().resource_mut::<MainScheduleOrder>();
    order.insert_after(PreUpdate, AfterPreUpdate);
    order.insert_after(Update, AfterUpdate);
    order.insert_after(PostUpdate, AfterPostUpdate);
    app.add_systems(AfterPreUpdate, mark::<0>);
    app.add_systems(
        Update,
        (
            mark::<1>
                .after(TurnSystems::Receive)
                .before(TurnSystems::Advance),
            mark::<2>
                .after(TurnSystems::Advance)
                .before(TurnSystems::Resolve),
            mark::<3>
                .after(TurnSystems::Resolve)
                .before(TurnSystems::Publish),
            mark::<4>.after(TurnSystems::Publish),
        ),
    );
    app.add_systems(AfterUpdate, mark::<5>);
    app.add_systems(AfterPostUpdate, mark::<6>);
}

/// Each measured frame's phases and total.
#[derive(Default)]
pub struct Phases {
    frames: Vec<(Duration, [Duration; 8])>,
}

impl Phases {
    /// Takes the marks of the frame that began at `start` and lasted `total`.
    pub fn record(&mut self, app: &mut App, start: Instant, total: Duration) {
        let Some(mut marks) = app.world_mut().get_resource_mut::<Marks>() else {
            return;
        };
        let taken = std::mem::take(&mut marks.0);
        let mut split = [Duration::ZERO; 8];
        let mut last = start;
        for (i, at) in taken.iter().enumerate() {
            // A phase whose mark did not run this frame counts into the next one.
            if let Some(at) = *at {
                split[i] = at.saturating_duration_since(last);
                last = at;
            }
        }
        split[7] = (start + total).saturating_duration_since(last);
        self.frames.push((total, split));
    }

    /// Prints each phase's median and p99, and its mean in the slowest 1 % of frames.
    pub fn print(&mut self) {
        if self.frames.is_empty() {
            return;
        }
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        self.frames.sort_by_key(|f| std::cmp::Reverse(f.0));
        let slow = (self.frames.len() / 100).max(1);
        let slow_total: Duration = self.frames[..slow].iter().map(|f| f.0).sum();
        println!(
            "  phases (median / p99 of each; mean in the slowest {slow} frames, {:.3} ms on average):",
            ms(slow_total) / slow as f64
        );
        for (i, name) in NAMES.iter().enumerate() {
            let mut each: Vec<Duration> = self.frames.iter().map(|f| f.1[i]).collect();
            each.sort();
            let pick = |q: f64| ms(each[((each.len() as f64 - 1.0) * q).round() as usize]);
            let in_slow: Duration = self.frames[..slow].iter().map(|f| f.1[i]).sum();
            println!(
                "    {name:<46} {:>7.3} / {:>7.3} ms; slowest {:>7.3} ms",
                pick(0.5),
                pick(0.99),
                ms(in_slow) / slow as f64
            );
        }
    }
}
