//! `emberkeep --measure SECS`: what the window costs, measured in a real window (under Xvfb
//! in `scripts/measure-client.sh`). Once the table is on screen and has settled, it counts
//! the process's CPU time while nothing happens at the table for SECS seconds (idle CPU, as
//! a share of one core, with the updates run and frames drawn), then draws every frame for
//! a few seconds as an animation does and prints the frame time's median and p99 and the CPU
//! the process used per frame (every thread, the software renderer's included); then quits.

use super::redraw::Redraw;
use crate::net::TableSession;
use bevy::platform::time::Instant;
use bevy::prelude::*;
use std::time::Duration;

/// How long the table settles before idling is measured (pictures and fonts load).
const SETTLE: Duration = Duration::from_secs(3);
/// How long every frame is drawn for the frame-time figures.
const ANIMATE: Duration = Duration::from_secs(6);

/// The plan of a measurement (`--measure`).
#[derive(Resource, Debug)]
pub struct MeasurePlan {
    idle_for: Duration,
    phase: Phase,
    frame_times: Vec<Duration>,
    /// The process's CPU time when the frame times began to be counted.
    cpu_at_first_frame: Option<Duration>,
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    WaitTable,
    Settle(Instant),
    Idle {
        start: Instant,
        cpu: Duration,
        updates: u64,
        drawn: u64,
    },
    Animate(Instant),
    Done,
}

impl MeasurePlan {
    /// Measures idling for `idle_for`.
    pub fn new(idle_for: Duration) -> Self {
        MeasurePlan {
            idle_for,
            phase: Phase::WaitTable,
            frame_times: Vec::new(),
            cpu_at_first_frame: None,
        }
    }
}

/// The CPU time this process has used (all its threads), user and system, from
/// `/proc/self/stat` (in clock ticks of 1/100 s, as Linux counts them); zero where there is
/// no such file.
#[cfg(not(target_family = "wasm"))]
pub fn process_cpu() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

#[cfg(target_family = "wasm")]
pub fn process_cpu() -> Duration {
    Duration::ZERO
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Update, measure);
}

fn measure(
    plan: Option<ResMut<MeasurePlan>>,
    session: Res<TableSession>,
    mut redraw: ResMut<Redraw>,
    time: Res<Time<Real>>,
    mut exit: MessageWriter<AppExit>,
    windows: Query<&Window, With<bevy::window::PrimaryWindow>>,
) {
    let Some(mut plan) = plan else { return };
    let focused = windows.iter().any(|w| w.focused);
    let now = Instant::now();
    match plan.phase {
        Phase::WaitTable if session.seating.is_some() && !session.events.is_empty() => {
            plan.phase = Phase::Settle(now);
        }
        Phase::Settle(at) if now - at >= SETTLE => {
            plan.phase = Phase::Idle {
                start: now,
                cpu: process_cpu(),
                updates: redraw.updates,
                drawn: redraw.drawn,
            };
        }
        Phase::Idle {
            start,
            cpu,
            updates,
            drawn,
        } if now - start >= plan.idle_for => {
            let wall = now - start;
            let used = process_cpu().saturating_sub(cpu);
            println!(
                "idle: {:.1} % of a core over {:.0} s ({} updates, {} frames drawn; the window is {}: at rest it wakes every {} ms)",
                used.as_secs_f64() / wall.as_secs_f64() * 100.0,
                wall.as_secs_f64(),
                redraw.updates - updates,
                redraw.drawn - drawn,
                if focused { "focused" } else { "unfocused" },
                if focused {
                    super::redraw::FOCUSED_WAKE.as_millis()
                } else {
                    super::redraw::UNFOCUSED_WAKE.as_millis()
                },
            );
            redraw.always = true;
            plan.phase = Phase::Animate(now);
        }
        Phase::Animate(at) => {
            // Every frame drawn, one after another, as while tokens glide.
            redraw.request();
            if now - at > Duration::from_millis(300) {
                plan.frame_times.push(time.delta());
                plan.cpu_at_first_frame.get_or_insert_with(process_cpu);
            }
            if now - at >= ANIMATE {
                let mut times = std::mem::take(&mut plan.frame_times);
                times.sort();
                let pick = |q: f64| {
                    times[((times.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0
                };
                if !times.is_empty() {
                    // The CPU every thread of the process used per frame (the software renderer's
                    // threads included): steadier than the frame time on a busy machine.
                    let cpu =
                        process_cpu().saturating_sub(plan.cpu_at_first_frame.unwrap_or_default());
                    println!(
                        "drawing every frame: frame time median {:.1} ms, p99 {:.1} ms (n = {}); CPU {:.1} ms a frame",
                        pick(0.5),
                        pick(0.99),
                        times.len(),
                        cpu.as_secs_f64() * 1000.0 / times.len() as f64,
                    );
                }
                redraw.always = false;
                plan.phase = Phase::Done;
                exit.write(AppExit::Success);
            }
        }
        _ => {}
    }
}
