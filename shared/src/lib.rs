//! Emberkeep's shared crate: the protocol, the rules and the content types. Plain data and
//! plain functions; no rendering and no networking IO of its own, so the client previews
//! exactly what the server decides.

pub mod adventure;
pub mod areas;
pub mod chargen;
pub mod checks;
pub mod content;
pub mod dice;
pub mod event;
pub mod grid;
pub mod items;
pub mod judge;
pub mod maps;
pub mod protocol;
pub mod rules;
pub mod sightline;
pub mod spells;
pub mod story;
pub mod table;
pub mod tactics;
pub mod uvtt;
pub mod vision;

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

/// One rule, for the server and the client, for a folder of the repository given on the
/// command line (`assets`, `web/dist`): the folder as given if it exists (relative to the
/// current directory), else — for a relative path — the same path in the checkout the binary
/// was built from (so `cargo run` works from any directory), else the path as given (its
/// error then names it).
pub fn repo_folder(given: &std::path::Path, built: &str) -> std::path::PathBuf {
    if given.is_dir() || given.is_absolute() {
        return given.to_path_buf();
    }
    let in_checkout = package_dir(built).join("..").join(given);
    if in_checkout.is_dir() {
        std::fs::canonicalize(&in_checkout).unwrap_or(in_checkout)
    } else {
        given.to_path_buf()
    }
}

pub mod prelude {
    pub use crate::content::{Condition, ContentLibrary};
    pub use crate::event::{GameEvent, SeqEvent};
    pub use crate::grid::{GridPos, MapGrid, Terrain};
    pub use crate::protocol::*;
    pub use crate::table::{Action, CombatantId, Mode, RejectCode, Rejection, Side, Table};
}
