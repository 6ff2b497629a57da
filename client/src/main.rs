//! `emberkeep`: the player client — a window with the battle map and the table's panels.

use bevy::prelude::*;
#[cfg(not(target_family = "wasm"))]
use clap::Parser;
use emberkeep_client::net::{JoinRequest, TableClientPlugin};
use emberkeep_client::view::{ConnectForm, DisplayMode, ViewPlugin, remembered};
#[cfg(not(target_family = "wasm"))]
use emberkeep_client::view::{Creator, ScreenshotPlan};
use emberkeep_shared::protocol::{DEFAULT_TICK_HZ, ProtocolPlugin, tick_duration};
use lightyear::prelude::client::ClientPlugins;
#[cfg(not(target_family = "wasm"))]
use std::path::PathBuf;

/// Emberkeep: join a table and play.
#[cfg(not(target_family = "wasm"))]
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
    /// With --host: the adventure (or single encounter) to play.
    #[arg(long, default_value = "ember")]
    encounter: String,
    /// The assets folder (art, sounds; with --host also the content).
    #[arg(long, default_value = "assets")]
    assets: PathBuf,
    /// With --host: also serve the web client (built by `emberkeep-tools web-bundle` into
    /// web/dist) on this port, so players can join from a browser.
    #[arg(long)]
    web: Option<u16>,
    /// With --host: the seat to take.
    #[arg(long, default_value = "fighter")]
    seat: String,
    /// Save a screenshot of the table to this PNG once it is drawn, then quit.
    #[arg(long)]
    screenshot: Option<PathBuf>,
    /// The panels' and text's size, in percent (100 to 200), for this run (the settings
    /// window keeps one for every run).
    #[arg(long, value_name = "PERCENT", value_parser = clap::value_parser!(u16).range(100..=200))]
    ui_scale: Option<u16>,
    /// The window's size in logical pixels, WIDTHxHEIGHT (e.g. 390x844, a phone held upright,
    /// shows the phone layout).
    #[arg(long, value_name = "WxH", value_parser = parse_size)]
    window: Option<(u32, u32)>,
    /// Measure what the window costs, then quit: the CPU it uses while the table is still for
    /// this many seconds, then the frame time while every frame is drawn
    /// (`scripts/measure-client.sh` runs it under Xvfb).
    #[arg(long, value_name = "SECS")]
    measure: Option<u64>,
    /// Play your own character: a character file (made with "Your character" and exported,
    /// or written by hand), kept for your next tables and brought to one that has not begun.
    #[arg(long)]
    character: Option<PathBuf>,
    /// Open the character maker at start.
    #[arg(long)]
    make_character: bool,
    /// With --host: options for the server after `--`, as `emberkeep-server` takes them
    /// (`--data-dir DIR`, `--turn-timeout SECS`, `--narrator …`, `--udp-port N`, `--seed N`…).
    #[arg(last = true)]
    server_args: Vec<String>,
}

#[cfg(not(target_family = "wasm"))]
/// `390x844` → (390, 844).
fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("expected WIDTHxHEIGHT, got {s:?}"))?;
    let n = |v: &str| {
        v.trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (200..=8192).contains(n))
            .ok_or_else(|| format!("expected a size of 200 to 8192 pixels, got {v:?}"))
    };
    Ok((n(w)?, n(h)?))
}

#[cfg(not(target_family = "wasm"))]
/// Starts a server on its own thread (an App is not Send: it is built there) with the same
/// options, checks and banner as `emberkeep-server` (the options after `--`), its console on
/// this terminal; returns the join endpoint and the code of `seat`.
fn host_server(cli: &Cli) -> Result<(String, String), String> {
    use clap::Parser as _;
    use emberkeep_server::{Campaign, Listen, prepare, print_banner, server_app};
    let given = |flag: &str| {
        cli.server_args
            .iter()
            .any(|a| a == flag || a.starts_with(&format!("{flag}=")))
    };
    let mut args = vec!["emberkeep --host --".to_string()];
    if !given("--encounter") && !given("-e") {
        args.extend(["--encounter".into(), cli.encounter.clone()]);
    }
    if !given("--assets") {
        args.extend(["--assets".into(), assets_folder(&cli.assets)]);
    }
    // Alone or short-handed: seats nobody has taken are played by companions.
    if !given("--companions") {
        args.push("--companions".into());
    }
    if let Some(web) = cli.web
        && !given("--web")
    {
        args.extend(["--web".into(), web.to_string()]);
    }
    args.extend(cli.server_args.iter().cloned());
    let server_cli = emberkeep_server::Cli::try_parse_from(&args).map_err(|e| e.to_string())?;
    let mut settings = server_cli.into_settings()?;
    let content =
        emberkeep_shared::content::ContentLibrary::load_dirs(&settings.assets, &settings.packs)
            .map_err(|e| {
                format!(
                    "the content in {} is invalid:\n{e}",
                    settings.assets.display()
                )
            })?;
    prepare(&mut settings, &content).map_err(|(_, e)| e)?;
    let Listen::Sockets {
        http: Some(http), ..
    } = settings.listen
    else {
        return Err("host-and-play needs the join endpoint: drop --no-http".into());
    };
    print_banner(&settings);
    println!(
        "  you play the `{}` seat in this window; type host commands here",
        cli.seat
    );
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
            let seats: Vec<String> = q
                .iter(world)
                .next()
                .map(|c| c.seats.iter().map(|s| s.name.clone()).collect())
                .unwrap_or_default();
            let code = q
                .iter(world)
                .next()
                .and_then(|c| c.seat(&seat).map(|s| s.code.clone()))
                .ok_or_else(|| format!("no seat `{seat}`: expected one of {}", seats.join(", ")));
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
    let code = rx.recv().map_err(|_| "the server stopped".to_string())??;
    Ok((format!("127.0.0.1:{}", http.port()), code))
}

#[cfg(not(target_family = "wasm"))]
/// The assets folder: `--assets` if it is there, else the one beside the sources this client
/// was built from (so `cargo run` works from any directory).
fn assets_folder(given: &std::path::Path) -> String {
    let dir = emberkeep_shared::repo_folder(given, env!("CARGO_MANIFEST_DIR"));
    std::fs::canonicalize(&dir)
        .unwrap_or(dir)
        .display()
        .to_string()
}

#[cfg(not(target_family = "wasm"))]
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
    // The connect screen starts from what was used last time, unless the command line says.
    let mut form = match remembered() {
        Some(saved) if cli.code.is_empty() && !cli.host => {
            ConnectForm::new(&saved.server, &saved.code, &saved.name)
        }
        _ => ConnectForm::new(&cli.server, &cli.code, &cli.name),
    };
    if !cli.code.is_empty() {
        form.submit();
    }
    let mut app = table_app(assets_folder(&cli.assets), form, cli.display);
    if let Some(path) = &cli.character {
        let read = std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| {
                if bytes.len() > emberkeep_shared::chargen::MAX_FILE_BYTES {
                    return Err("a character file holds at most 16 KiB".into());
                }
                String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string())
            })
            .and_then(|text| emberkeep_shared::chargen::parse(&text));
        match read {
            Ok(def) => {
                let problems = emberkeep_shared::chargen::problems(&def);
                if !problems.is_empty() {
                    eprintln!("error: {}: {}", path.display(), problems.join("; "));
                    return AppExit::from_code(2);
                }
                app.insert_resource(Creator::bringing(def));
            }
            Err(e) => {
                eprintln!("error: cannot read the character {}: {e}", path.display());
                return AppExit::from_code(2);
            }
        }
    }
    if cli.make_character {
        app.world_mut()
            .get_resource_or_insert_with(Creator::default)
            .open = true;
    }
    if let Some((w, h)) = cli.window {
        let world = app.world_mut();
        let mut windows = world.query_filtered::<&mut Window, With<bevy::window::PrimaryWindow>>();
        for mut window in windows.iter_mut(world) {
            window.resolution.set(w as f32, h as f32);
        }
    }
    if let Some(percent) = cli.ui_scale {
        app.world_mut()
            .resource_mut::<emberkeep_client::view::Look>()
            .ui_scale = f32::from(percent) / 100.0;
    }
    if let Some(secs) = cli.measure {
        app.insert_resource(emberkeep_client::view::MeasurePlan::new(
            std::time::Duration::from_secs(secs.max(1)),
        ));
    }
    if let Some(path) = cli.screenshot {
        app.insert_resource(ScreenshotPlan::new(path));
    }
    app.run()
}

/// In a browser: the page's own server is the table (it serves `/api/join` beside the
/// page), and the join link's `?code=` (and optional `&name=`, `&display`) say the rest.
#[cfg(target_family = "wasm")]
fn main() -> AppExit {
    let location = web_sys::window().map(|w| w.location());
    let server = location
        .as_ref()
        .and_then(|l| l.host().ok())
        .unwrap_or_default();
    let search = location
        .as_ref()
        .and_then(|l| l.search().ok())
        .unwrap_or_default();
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok();
    let param = |k: &str| params.as_ref().and_then(|p| p.get(k));
    let saved = remembered();
    let code = param("code").unwrap_or_default();
    let name = param("name")
        .or_else(|| {
            saved
                .as_ref()
                .map(|s| s.name.clone())
                .filter(|n| !n.is_empty())
        })
        .unwrap_or_else(|| "Player".into());
    let mut form = ConnectForm::new(&server, &code, &name);
    if !code.is_empty() {
        form.submit();
    }
    let display = params.as_ref().is_some_and(|p| p.has("display"));
    table_app("assets".into(), form, display).run()
}

/// The client app: window, view, network, table state.
fn table_app(assets: String, form: ConnectForm, display: bool) -> App {
    let mut app = App::new();
    app.add_plugins(ViewPlugin { assets });
    app.add_plugins(ClientPlugins {
        tick_duration: tick_duration(DEFAULT_TICK_HZ),
    });
    app.add_plugins(ProtocolPlugin);
    app.insert_resource(JoinRequest {
        name: form.name.clone(),
    });
    app.add_plugins(TableClientPlugin);
    app.insert_resource(form);
    if display {
        app.insert_resource(DisplayMode);
    }
    app
}
