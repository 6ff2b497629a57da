//! `emberkeep-server`: parses the command line, validates the content, runs the server.

use bevy::log::LogPlugin;
use clap::Parser;
use emberkeep_server::{Cli, server_app};
use emberkeep_shared::content::ContentLibrary;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match cli.into_settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let content = match ContentLibrary::load_dir(&settings.assets) {
        Ok(c) => c,
        Err(e) => {
            eprintln!(
                "error: the content in {} is invalid:\n{e}",
                settings.assets.display()
            );
            return ExitCode::from(1);
        }
    };
    if !content.encounters.contains_key(&settings.encounter) {
        let known: Vec<&str> = content.encounters.keys().map(String::as_str).collect();
        eprintln!(
            "error: unknown encounter `{}`: expected one of {}",
            settings.encounter,
            known.join(", ")
        );
        return ExitCode::from(2);
    }
    let mut app = server_app(settings.clone(), content);
    app.add_plugins(LogPlugin::default());
    if let emberkeep_server::Listen::Sockets { udp, ws, .. } = &settings.listen {
        println!(
            "Emberkeep server: encounter `{}`, {} campaign(s), seed {}",
            settings.encounter, settings.campaigns, settings.seed
        );
        if let Some(udp) = udp {
            println!(
                "  native clients and bots: udp {udp}   e.g. emberkeep-tools bot --server 127.0.0.1:{} --seat fighter",
                udp.port()
            );
        }
        if let Some(ws) = ws {
            println!("  web clients:             ws://{ws}");
        }
        println!(
            "  players join with a seat's code, e.g. emberkeep-tools bot --server 127.0.0.1:5890 --code CODE"
        );
    }
    app.run();
    ExitCode::SUCCESS
}
