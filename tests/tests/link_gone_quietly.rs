//! A link the server closes itself (a seat taken over by a newer login, a kick, a revoked
//! code) is despawned before netcode notices that its client is gone. Nothing must be logged,
//! then or when netcode's client timeout would have fired: before `patches/lightyear_netcode`,
//! lightyear despawned the entity a second time at the timeout and bevy logged a warning for
//! every player who left, with a backtrace resolved on the game thread wherever
//! `RUST_BACKTRACE` was set. (Netcode now forgets the link when it goes; `try_despawn` covers
//! a link despawned in the frame netcode times it out.)
//!
//! Its own test binary: it installs the process's `log` logger.

use emberkeep_server::ServerSettings;
use emberkeep_tests::Stepper;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Counts the warnings and errors bevy's ECS logs.
struct EcsWarnings(AtomicUsize);

impl log::Log for EcsWarnings {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= log::Level::Warn
    }

    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) && record.target().starts_with("bevy_ecs") {
            eprintln!("{}: {}", record.target(), record.args());
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn flush(&self) {}
}

static WARNINGS: EcsWarnings = EcsWarnings(AtomicUsize::new(0));

#[test]
fn a_link_the_server_closed_times_out_in_netcode_without_a_warning() {
    log::set_logger(&WARNINGS).expect("the only logger");
    log::set_max_level(log::LevelFilter::Warn);
    let mut s = Stepper::new(ServerSettings {
        encounter: "goblin-ambush".into(),
        seed: 3,
        ..ServerSettings::default()
    });
    let c = s.seat_all(&["fighter", "rogue"]);
    s.step(5);
    // The server drops the fighter's link (what `close_unseated_links` does to a link whose
    // seat a newer login took); upstream netcode counted the client until its timeout (5 s).
    s.drop_connection(c[0]);
    let past_timeout = Duration::from_secs(7).as_nanos() / s.tick.as_nanos();
    s.step(past_timeout as usize);
    // netcode did let the client go: the rogue's link is the only one left.
    assert_eq!(
        s.server
            .world_mut()
            .query_filtered::<(), bevy::prelude::With<lightyear::prelude::server::ClientOf>>()
            .iter(s.server.world())
            .count(),
        1
    );
    assert_eq!(WARNINGS.0.load(Ordering::SeqCst), 0, "warnings logged");
}
