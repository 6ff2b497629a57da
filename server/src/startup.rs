//! What both the dedicated server and host-and-play (`emberkeep --host`) check before a server
//! starts: the encounter exists, port 0 becomes a real port, every port is free — with a clear
//! message instead of a panic deep inside lightyear — and the banner.

use crate::settings::{Listen, ServerSettings};
use emberkeep_shared::content::ContentLibrary;
use std::net::{SocketAddr, TcpListener, UdpSocket};

/// Port 0 means "any free port": pick it now, so every banner, link and suggested command
/// names the port actually used.
fn resolve_port_zero(settings: &mut ServerSettings) -> std::io::Result<()> {
    let tcp = |a: &mut SocketAddr| -> std::io::Result<()> {
        if a.port() == 0 {
            *a = TcpListener::bind(*a)?.local_addr()?;
        }
        Ok(())
    };
    if let Listen::Sockets { udp, ws, http } = &mut settings.listen {
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

/// Checks `settings` against `content` and the machine; resolves port 0. On failure: the exit
/// code (2: a wrong option, 1: the machine) and the message.
pub fn prepare(
    settings: &mut ServerSettings,
    content: &ContentLibrary,
) -> Result<(), (u8, String)> {
    if !content.encounters.contains_key(&settings.encounter)
        && !content.adventures.contains_key(&settings.encounter)
    {
        let known: Vec<&str> = content
            .adventures
            .keys()
            .chain(content.encounters.keys())
            .map(String::as_str)
            .collect();
        return Err((
            2,
            format!(
                "unknown adventure or encounter `{}`: expected one of {}",
                settings.encounter,
                known.join(", ")
            ),
        ));
    }
    resolve_port_zero(settings).map_err(|e| (1, format!("cannot find a free port: {e}")))?;
    if let Listen::Sockets { udp, ws, http } = &settings.listen {
        let checks = [
            udp.map(|a| ("--udp-port", a, UdpSocket::bind(a).err())),
            ws.map(|a| ("--ws-port", a, TcpListener::bind(a).err())),
            http.map(|a| ("--http-port", a, TcpListener::bind(a).err())),
        ];
        let web = settings
            .web
            .as_ref()
            .map(|(a, _)| ("--web", *a, TcpListener::bind(a).err()));
        for (option, addr, err) in checks.into_iter().flatten().chain(web) {
            if let Some(e) = err {
                return Err((
                    1,
                    format!(
                        "cannot listen on {addr} ({e}): is another server running? Choose another {option}."
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The first lines a host reads.
pub fn print_banner(settings: &ServerSettings) {
    let Listen::Sockets { ws, http, .. } = &settings.listen else {
        return;
    };
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
