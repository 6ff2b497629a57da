//! Emberkeep's shared crate: the protocol, the rules and the content types. Plain data and
//! plain functions; no rendering and no networking IO of its own, so the client previews
//! exactly what the server decides.

pub mod content;
pub mod dice;
pub mod event;
pub mod grid;
pub mod protocol;
pub mod rules;
pub mod table;
pub mod tactics;

/// The usual imports.
/// A package's folder, for finding the repository's files (`assets/`): cargo's run-time
/// `CARGO_MANIFEST_DIR` (set by `cargo test` and `cargo run`) first, so binaries built in a
/// shared target folder from another checkout still read this checkout's files; `built` (the
/// caller's `env!("CARGO_MANIFEST_DIR")`) otherwise.
pub fn package_dir(built: &str) -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| built.into())
}

pub mod prelude {
    pub use crate::content::{Condition, ContentLibrary};
    pub use crate::event::{GameEvent, SeqEvent};
    pub use crate::grid::{GridPos, MapGrid, Terrain};
    pub use crate::protocol::*;
    pub use crate::table::{Action, CombatantId, Mode, RejectCode, Rejection, Side, Table};
}
