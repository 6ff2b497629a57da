//! `emberkeep`: the player client — a window with the battle map and the table's panels.

use bevy::prelude::*;
use clap::Parser;
use emberkeep_client::net::{JoinRequest, TableClientPlugin};
use emberkeep_client::view::{ConnectForm, DisplayMode, ScreenshotPlan, ViewPlugin};
use emberkeep_shared::protocol::{DEFAULT_TICK_HZ, ProtocolPlugin, tick_duration};
use lightyear::prelude::client::ClientPlugins;
use std::path::PathBuf;

/// Emberkeep: join a table and play.
#[derive(Debug, Parser)]
#[command(name = "emberkeep", version, about)]
struct Cli {
    /// The server's join endpoint, host:port (its HTTP port).
    #[arg(long, default_value = "127.0.0.1:5890")]
    server: String,
    /// Your seat's join code; with it the client joins at once.
    #[arg(long, default_value = "")]
    code: String,
    /// Your name at the table.
    #[arg(long, default_value = "Player")]
    name: String,
    /// Read-only display for a shared screen (join with the spectator code): large type, no
    /// action bar.
    #[arg(long)]
    display: bool,
    /// Save a screenshot of the table to this PNG once it is drawn, then quit.
    #[arg(long)]
    screenshot: Option<PathBuf>,
}

fn main() -> AppExit {
    let cli = Cli::parse();
    let mut app = App::new();
    app.add_plugins(ViewPlugin);
    app.add_plugins(ClientPlugins {
        tick_duration: tick_duration(DEFAULT_TICK_HZ),
    });
    app.add_plugins(ProtocolPlugin);
    app.insert_resource(JoinRequest {
        name: cli.name.clone(),
    });
    app.add_plugins(TableClientPlugin);
    let mut form = ConnectForm::new(&cli.server, &cli.code, &cli.name);
    if !cli.code.is_empty() {
        form.submit();
    }
    app.insert_resource(form);
    if cli.display {
        app.insert_resource(DisplayMode);
    }
    if let Some(path) = cli.screenshot {
        app.insert_resource(ScreenshotPlan::new(path));
    }
    app.run()
}
