//! Emberkeep's client library. Its core is headless and testable without a GPU:
//! [`net::TableClientPlugin`] joins a seat and mirrors the table (replicated views, events,
//! acknowledgements); [`autoplay::AutoPlayPlugin`] plays a seat with the built-in tactics (the
//! bot). The graphical view (`view` feature) and the browser build (`web`) sit on top of it.

pub mod autoplay;
pub mod cues;
pub mod net;
pub mod preview;
pub mod settings;
#[cfg(feature = "view")]
pub mod view;

pub use autoplay::AutoPlayPlugin;
pub use net::{JoinRequest, TableClientPlugin, TableSession, Transport, client_app, connect};
