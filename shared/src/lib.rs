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
pub mod prelude {
    pub use crate::content::{Condition, ContentLibrary};
    pub use crate::event::{GameEvent, SeqEvent};
    pub use crate::grid::{GridPos, MapGrid, Terrain};
    pub use crate::protocol::*;
    pub use crate::table::{Action, CombatantId, Mode, RejectCode, Rejection, Side, Table};
}
