//! `emberkeep`: the player client — a window with the battle map and the table's panels.

use bevy::prelude::*;
use clap::Parser;
use emberkeep_client::net::{JoinRequest, TableClientPlugin};
use emberkeep_client::view::{ConnectForm, DisplayMode, ScreenshotPlan, ViewPlugin, remembered};
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
    /// Host and play: start a server in this process (other players join it with the codes it
    /// prints) and take the fighter's seat.
    #[arg(long)]
    host: bool,
    /// With --host: the encounter to play.
    #[arg(long, default_value = "goblin-ambush")]
    encounter: String,
    /// With --host: the assets folder.
    #[arg(long, default_value = "assets")]
    assets: PathBuf,
    /// With --host: the seat to take.
    #[arg(long, default_value = "fighter")]
    seat: String,
    /// Save a screenshot of the table to this PNG once it is drawn, then quit.
    #[arg(long)]
    screenshot: Option<PathBuf>,
}

/// Starts a server on its own thread (an App is not Send: it is built there) and returns the
/// join endpoint and the code of `seat`.
fn host_server(cli: &Cli) -> Result<(String, String), String> {
    use emberkeep_server::{Campaign, Listen, ServerSettings, server_app};
    let content = emberkeep_shared::content::ContentLibrary::load_dir(&cli.assets)
        .map_err(|e| format!("the content in {} is invalid:\n{e}", cli.assets.display()))?;
    let settings = ServerSettings {
        listen: Listen::Sockets {
            udp: Some("0.0.0.0:5888".parse().expect("valid")),
            ws: Some("0.0.0.0:5889".parse().expect("valid")),
            http: Some("0.0.0.0:5890".parse().expect("valid")),
        },
        encounter: cli.encounter.clone(),
        seed: rand_seed(),
        log_events: false,
        ..ServerSettings::default()
    };
    let seat = cli.seat.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("emberkeep-host".into())
        .spawn(move || {
            let tick = emberkeep_shared::protocol::tick_duration(settings.tick_hz);
            let mut app = server_app(settings, content);
            app.finish();
            app.cleanup();
            app.update();
            let world = app.world_mut();
            let mut q = world.query::<&Campaign>();
            let code = q
                .iter(world)
                .next()
                .and_then(|c| c.seat(&seat).map(|s| s.code.clone()));
            let _ = tx.send(code);
            loop {
                let start = std::time::Instant::now();
                app.update();
                if let Some(rest) = tick.checked_sub(start.elapsed()) {
                    std::thread::sleep(rest);
                }
            }
        })
        .map_err(|e| e.to_string())?;
    let code = rx
        .recv()
        .map_err(|_| "the server stopped".to_string())?
        .ok_or_else(|| format!("no seat `{}`", cli.seat))?;
    Ok(("127.0.0.1:5890".into(), code))
}

fn rand_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
}

fn main() -> AppExit {
    let mut cli = Cli::parse();
    if cli.host {
        match host_server(&cli) {
            Ok((server, code)) => {
                cli.server = server;
                cli.code = code;
            }
            Err(e) => {
                eprintln!("error: cannot host: {e}");
                return AppExit::from_code(1);
            }
        }
    }
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
    // The connect screen starts from what was used last time, unless the command line says.
    let mut form = match remembered() {
        Some((server, code, name)) if cli.code.is_empty() && !cli.host => {
            ConnectForm::new(&server, &code, &name)
        }
        _ => ConnectForm::new(&cli.server, &cli.code, &cli.name),
    };
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
