//! `emberkeep-server`: parses the command line, validates the content, runs the server.

use bevy::log::LogPlugin;
use clap::Parser;
use emberkeep_server::{Cli, server_app};
use emberkeep_shared::content::ContentLibrary;
use std::process::ExitCode;

/// Port 0 means "any free port": pick it now, so every banner, link and suggested command
/// names the port actually used.
fn resolve_port_zero(settings: &mut emberkeep_server::ServerSettings) -> std::io::Result<()> {
    use std::net::{SocketAddr, TcpListener, UdpSocket};
    let tcp = |a: &mut SocketAddr| -> std::io::Result<()> {
        if a.port() == 0 {
            *a = TcpListener::bind(*a)?.local_addr()?;
        }
        Ok(())
    };
    if let emberkeep_server::Listen::Sockets { udp, ws, http } = &mut settings.listen {
        if let Some(a) = udp
            && a.port() == 0
        {
            *a = UdpSocket::bind(*a)?.local_addr()?;
        }
        if let Some(a) = ws {
            tcp(a)?;
        }
        if let Some(a) = http {
            tcp(a)?;
        }
    }
    if let Some((a, _)) = &mut settings.web {
        tcp(a)?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut settings = match cli.into_settings() {
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
    if let Err(e) = resolve_port_zero(&mut settings) {
        eprintln!("error: cannot find a free port: {e}");
        return ExitCode::from(1);
    }
    if let emberkeep_server::Listen::Sockets { udp, ws, http } = &settings.listen {
        // Fail early and clearly when a port is taken (lightyear would panic deep inside).
        let checks = [
            udp.map(|a| ("--udp-port", a, std::net::UdpSocket::bind(a).err())),
            ws.map(|a| ("--ws-port", a, std::net::TcpListener::bind(a).err())),
            http.map(|a| ("--http-port", a, std::net::TcpListener::bind(a).err())),
        ];
        let web = settings
            .web
            .as_ref()
            .map(|(a, _)| ("--web", *a, std::net::TcpListener::bind(a).err()));
        for (option, addr, err) in checks.into_iter().flatten().chain(web) {
            if let Some(e) = err {
                eprintln!(
                    "error: cannot listen on {addr} ({e}): is another server running? Choose another {option}."
                );
                return ExitCode::from(1);
            }
        }
        println!(
            "Emberkeep server: encounter `{}`, {} campaign(s), seed {}",
            settings.encounter, settings.campaigns, settings.seed
        );
        if let Some(ws) = ws {
            println!("  web clients: ws://{ws}");
        }
        match http {
            Some(http) => println!(
                "  players join with their seat's code: emberkeep-tools bot --server HOST:{} --code CODE",
                http.port()
            ),
            None => println!(
                "  --no-http: no join endpoint, so no join codes are printed and players cannot join by code"
            ),
        }
    }
    let mut app = server_app(settings.clone(), content);
    app.add_plugins(LogPlugin::default());
    app.run();
    ExitCode::SUCCESS
}
