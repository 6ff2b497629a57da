//! The host console: commands typed on the server's stdin, or sent by a host seat, run here.
//! `help` lists them. A command that changes the table (pause, skip, narrate…) is not run
//! here: it joins the campaign's inbox behind everything that arrived before it, and is
//! answered (`ok (campaign)` or why not) once the rules have resolved it.

use crate::campaign::{Campaign, ReplyTo, publish_codes, resume_campaign};
use crate::journal::{HostOp, Input, Journal};
use crate::outbox::Outbox;
use crate::seats::{Directory, new_code, new_seat_id};
use crate::session::unseat_link;
use crate::settings::ServerSettings;
use bevy::prelude::*;
use emberkeep_shared::prelude::*;
use emberkeep_shared::protocol::Role;
use std::sync::Mutex;
use std::sync::mpsc::Receiver;

/// Commands waiting to run: (host link to answer, or the console; campaign of that host; line).
#[derive(Resource, Debug, Default)]
pub struct ConsoleQueue(pub Vec<(Option<Entity>, Option<Entity>, String)>);

/// Lines read from stdin by a background thread.
#[derive(Resource, Debug)]
pub struct StdinLines(pub Mutex<Receiver<String>>);

/// The campaign stdin commands apply to (`use ID`).
#[derive(Resource, Debug, Default)]
pub struct Selected(pub Option<String>);

/// Where hosts find the join endpoint, for printed links.
#[derive(Resource, Debug, Clone, Default)]
pub struct JoinBase(pub Option<String>);

const HELP: &str = "\
Host commands (on the server's console, or from a host seat):
  status                 seats, connections, turn, queue
  campaigns              campaigns open and archived
  use ID                 apply console commands to campaign ID
  codes                  join codes and links of every seat
  qr SEAT                the seat's join link as a QR code
  kick SEAT              disconnect the seat's player (the code still works)
  revoke SEAT            disconnect and close the seat: its code stops working
  reissue SEAT           a new code for the seat (the old one stops working)
  pause | resume         stop or restart the game (timers too)
  skip                   end the active turn
  timeout SECS           turn timeout from the next turn on
  narrate TEXT           tell everyone
  whisper SEAT TEXT      tell one seat
  note TEXT              a note in the log that only host seats see
  companion SEAT on|off  a companion plays the seat's character until a player takes it
  end-combat             end the fight now
  rest short|long        the party rests now (not in a fight; where the scene allows)
  scene ID               move the party to the adventure's scene ID
  xp AMOUNT              experience points shared by the party
  recap                  tell everyone the story so far
  restart                the scene's fight starts over (its creatures as they began)
  give SEAT ITEM         an item (by id) to the seat's character
  save                   write a snapshot now (with --data-dir)
  archive ID             save and close a campaign
  reopen ID              open an archived campaign again
  reload                 read the content folders again (hot reload does it on its own)
  help                   this list";

/// Starts the thread reading stdin (skipped when stdin is closed).
pub fn spawn_stdin_reader() -> StdinLines {
    let (tx, rx) = std::sync::mpsc::channel();
    let _ = std::thread::Builder::new()
        .name("emberkeep-console".into())
        .spawn(move || {
            let stdin = std::io::stdin();
            let mut line = String::new();
            while stdin.read_line(&mut line).is_ok_and(|n| n > 0) {
                if tx.send(line.trim().to_string()).is_err() {
                    break;
                }
                line.clear();
            }
        });
    StdinLines(Mutex::new(rx))
}

pub(crate) fn read_stdin(lines: Option<Res<StdinLines>>, mut queue: ResMut<ConsoleQueue>) {
    let Some(lines) = lines else { return };
    let rx = lines.0.lock().expect("stdin lock");
    while let Ok(line) = rx.try_recv() {
        if !line.is_empty() {
            queue.0.push((None, None, line));
        }
    }
}

pub(crate) fn run_commands(world: &mut World) {
    let queue = std::mem::take(&mut world.resource_mut::<ConsoleQueue>().0);
    for (link, campaign, line) in queue {
        let reply_to = link.map_or(ReplyTo::Console, ReplyTo::HostSeat);
        let Ran::Answered(answer) = run(world, campaign, &line, reply_to) else {
            continue;
        };
        match link {
            Some(link) => world
                .resource_mut::<Outbox>()
                .send(link, ToClient::HostReply { text: answer }),
            None => println!("{answer}"),
        }
    }
}

fn campaign_entity(world: &mut World, hint: Option<Entity>, id: Option<&str>) -> Option<Entity> {
    if let Some(h) = hint {
        return Some(h);
    }
    let mut q = world.query::<(Entity, &Campaign)>();
    let mut all: Vec<(Entity, String)> = q.iter(world).map(|(e, c)| (e, c.id.clone())).collect();
    all.sort_by(|a, b| a.1.cmp(&b.1));
    match id {
        Some(id) => all.into_iter().find(|(_, c)| c == id).map(|(e, _)| e),
        None => all.first().map(|(e, _)| *e),
    }
}

/// A campaign's table time now.
fn campaign_now(world: &World, entity: Entity) -> u64 {
    let elapsed = world.resource::<Time>().elapsed().as_millis() as u64;
    elapsed + world.get::<Campaign>(entity).map_or(0, |c| c.clock_offset)
}

/// Runs one command line from the console (`hint`: the campaign of a host seat) and returns
/// its answer. A command that changes the table is queued in the campaign's inbox (answered
/// `queued (campaign)` here); its own answer is printed once it is resolved, in the next
/// tick's resolve step.
pub fn execute(world: &mut World, hint: Option<Entity>, line: &str) -> String {
    match run(world, hint, line, ReplyTo::Console) {
        Ran::Answered(answer) => answer,
        Ran::Queued { campaign } => format!("queued ({campaign})"),
    }
}

/// What became of a command line.
enum Ran {
    /// It ran: its answer.
    Answered(String),
    /// It changes the table: queued in this campaign's inbox, answered once resolved.
    Queued {
        /// The campaign's id.
        campaign: String,
    },
}

/// A host command that changes the table, read from its line: `None` when the line is
/// another command, `Some(Err(usage))` when it is malformed for this campaign.
pub(crate) fn table_command(campaign: &Campaign, line: &str) -> Option<Result<HostOp, String>> {
    let (command, rest) = split(line);
    let op = match command {
        "pause" => HostOp::Pause,
        "resume" => HostOp::Resume,
        "skip" => HostOp::Skip,
        "end-combat" => HostOp::EndCombat,
        "timeout" => match rest.parse::<u64>() {
            Ok(s) => HostOp::Timeout(s),
            Err(_) => return Some(Err("usage: timeout SECONDS".into())),
        },
        "narrate" if rest.is_empty() => return Some(Err("usage: narrate TEXT".into())),
        "narrate" => HostOp::Narrate(rest.to_string()),
        "note" if rest.is_empty() => return Some(Err("usage: note TEXT".into())),
        "note" => HostOp::Note(rest.to_string()),
        "companion" => {
            let (seat, on) = match rest.rsplit_once(' ') {
                Some((seat, "on")) => (seat.trim(), true),
                Some((seat, "off")) => (seat.trim(), false),
                _ => return Some(Err("usage: companion SEAT on|off".into())),
            };
            let Some(s) = campaign.seat(seat) else {
                return Some(Err(format!("no seat `{seat}`")));
            };
            let Some(character) = s.character else {
                return Some(Err(format!("seat `{seat}` plays no character")));
            };
            if on && !s.links.is_empty() {
                return Some(Err(format!(
                    "seat `{seat}` has a player: `kick {seat}` first"
                )));
            }
            HostOp::Companion { character, on }
        }
        "recap" => HostOp::Recap,
        "restart" => HostOp::Restart,
        "rest" => match rest {
            "short" => HostOp::Rest { long: false },
            "long" => HostOp::Rest { long: true },
            _ => return Some(Err("usage: rest short|long".into())),
        },
        "scene" if rest.is_empty() => return Some(Err("usage: scene ID".into())),
        "scene" => HostOp::Scene(rest.to_string()),
        "xp" => match rest.parse::<u32>() {
            Ok(n) if n <= 100_000 => HostOp::Experience(n),
            _ => return Some(Err("usage: xp AMOUNT (0 to 100000)".into())),
        },
        "give" => {
            let Some((seat, item)) = rest.split_once(' ') else {
                return Some(Err("usage: give SEAT ITEM".into()));
            };
            let Some(character) = campaign.seat(seat).and_then(|s| s.character) else {
                return Some(Err(format!("seat `{seat}` plays no character")));
            };
            HostOp::Give {
                character,
                item: item.trim().to_string(),
            }
        }
        "whisper" => match rest.split_once(' ') {
            Some((seat, text)) if campaign.seat(seat).is_some() => HostOp::Whisper {
                to: seat.to_string(),
                text: text.trim().to_string(),
            },
            _ => {
                return Some(Err(
                    "usage: whisper SEAT TEXT (a seat of this campaign)".into()
                ));
            }
        },
        _ => return None,
    };
    Some(Ok(op))
}

/// A command line's command and the rest.
fn split(line: &str) -> (&str, &str) {
    let line = line.trim();
    line.split_once(' ')
        .map_or((line, ""), |(c, r)| (c, r.trim()))
}

/// Runs one command line, or queues it in the campaign's inbox (to be answered to `reply_to`
/// once resolved).
fn run(world: &mut World, hint: Option<Entity>, line: &str, reply_to: ReplyTo) -> Ran {
    let (command, rest) = split(line);
    let from_console = hint.is_none();
    match command {
        "help" | "?" => return Ran::Answered(HELP.to_string()),
        "campaigns" => return Ran::Answered(list_campaigns(world)),
        "use" if from_console => {
            if campaign_entity(world, None, Some(rest)).is_none() {
                return Ran::Answered(format!("no open campaign `{rest}`"));
            }
            world.resource_mut::<Selected>().0 = Some(rest.to_string());
            return Ran::Answered(format!("console commands now apply to {rest}"));
        }
        "archive" if from_console => return Ran::Answered(archive(world, rest)),
        "reopen" if from_console => return Ran::Answered(reopen(world, rest)),
        "reload" if from_console => return Ran::Answered(crate::reload::reload(world, "")),
        _ => {}
    }
    let selected = world.resource::<Selected>().0.clone();
    let Some(entity) = campaign_entity(world, hint, selected.as_deref()) else {
        return Ran::Answered("no campaign is open".into());
    };
    let now = campaign_now(world, entity);
    let mut campaign = world.get_mut::<Campaign>(entity).expect("exists");
    match table_command(&campaign, line) {
        Some(Ok(op)) => {
            campaign.inbox.push(Input::Host(op), now, reply_to);
            return Ran::Queued {
                campaign: campaign.id.clone(),
            };
        }
        Some(Err(usage)) => return Ran::Answered(usage),
        None => {}
    }
    Ran::Answered(match command {
        "status" => {
            let mut text = status(world, entity);
            let name = world.resource::<crate::narrator::Narration>().0.name();
            if let Some(n) = world.get::<crate::narrator::Narrator>(entity) {
                let u = &n.usage;
                text += &format!(
                    "\n  narrator: {name}; {} narrations ({} fell back, rejected {}), NPC choices {} ({} fell back), tokens {} in / {} out{}{}",
                    u.narrations,
                    u.fallbacks,
                    u.rejected,
                    u.npc_choices,
                    u.npc_fallbacks,
                    u.input_tokens,
                    u.output_tokens,
                    if u.exhausted {
                        ", budget spent: built-in now"
                    } else {
                        ""
                    },
                    u.last_error
                        .as_ref()
                        .map(|e| format!(", last error: {e}"))
                        .unwrap_or_default()
                );
            }
            text
        }
        "codes" => codes(world, entity),
        "qr" => qr(world, entity, rest),
        "kick" => kick(
            world,
            entity,
            rest,
            "You were removed from the table by the host",
            now,
        )
        .unwrap_or_else(|e| e),
        "revoke" | "reissue" => reissue(world, entity, rest, command == "reissue", now),
        "save" => {
            let mut campaign = world.get_mut::<Campaign>(entity).expect("exists");
            match campaign.save() {
                Ok(()) => format!("saved {}", campaign.id),
                Err(e) => e,
            }
        }
        _ => format!("unknown command `{command}`; `help` lists them"),
    })
}

fn list_campaigns(world: &mut World) -> String {
    let mut q = world.query::<&Campaign>();
    let mut lines: Vec<String> = q
        .iter(world)
        .map(|c| {
            let seated = c.seats.iter().filter(|s| !s.links.is_empty()).count();
            format!(
                "  {}  open      {}  {:?}  {} seat(s) connected",
                c.id, c.encounter, c.table.mode, seated
            )
        })
        .collect();
    lines.sort();
    if let Some(root) = world.resource::<ServerSettings>().data_dir.clone() {
        let open: Vec<String> = q.iter(world).map(|c| c.id.clone()).collect();
        for stored in Journal::scan(&root) {
            match &stored.meta {
                Ok(meta) if meta.archived => {
                    lines.push(format!("  {}  archived  {}", meta.id, meta.encounter));
                }
                Ok(meta) if !open.contains(&meta.id) => lines.push(format!(
                    "  {}  closed    {}  (not resumed: see the log; `reopen {}` tries again)",
                    meta.id, meta.encounter, meta.id
                )),
                Ok(_) => {}
                Err(e) => lines.push(format!("  {}  unreadable  {e}", stored.name)),
            }
        }
    }
    if lines.is_empty() {
        "no campaigns".into()
    } else {
        lines.join("\n")
    }
}

fn status(world: &mut World, entity: Entity) -> String {
    let now = campaign_now(world, entity);
    let c = world.get::<Campaign>(entity).expect("exists");
    let t = &c.table;
    let mut out = format!(
        "{} — {} ({:?}{})\n",
        c.id,
        t.encounter_name,
        t.mode,
        if t.paused_since.is_some() {
            ", paused"
        } else {
            ""
        }
    );
    if let Some(combat) = &t.combat {
        let active = c.name_of(combat.order[combat.active]);
        let left = if t.paused_since.is_some() {
            ", timer paused".to_string()
        } else {
            combat
                .deadline_ms
                .map(|d| format!(", {} s left", d.saturating_sub(now) / 1000))
                .unwrap_or_default()
        };
        out += &format!("  round {}, {active}'s turn{left}\n", combat.round);
    }
    for s in &c.seats {
        let who = s.player.clone().unwrap_or_else(|| "(empty)".into());
        let conn = match s.links.len() {
            0 => "offline".to_string(),
            1 => "connected".to_string(),
            n => format!("{n} connected"),
        };
        out += &format!("  seat {:<10} {:<16} {conn}\n", s.name, who);
    }
    let rejected: u64 = c.stats.rejected.values().sum();
    // Inputs wait across ticks only behind a narration being written.
    let oldest = c
        .inbox
        .iter()
        .next()
        .map(|q| format!(" (oldest {} s)", now.saturating_sub(q.arrived_ms) / 1000))
        .unwrap_or_default();
    out += &format!(
        "  queue {}{oldest}, events {}, accepted {}, rejected {rejected}, turn timeout {} s\n",
        c.inbox.len(),
        t.next_seq - 1,
        c.stats.accepted,
        t.turn_timeout_ms / 1000
    );
    out += &format!(
        "  journal: {}",
        match &c.journal {
            None => "off (no --data-dir)".to_string(),
            Some(j) => match j.failing() {
                Some(e) => format!("FAILING: {e}"),
                None => "on".to_string(),
            },
        }
    );
    let waiting = {
        let mut q = world.query_filtered::<(), (
            With<lightyear::prelude::LinkOf>,
            Without<lightyear::prelude::Connected>,
        )>();
        q.iter(world).count()
    };
    let hygiene = *world.resource::<crate::network::LinkHygiene>();
    out += &format!(
        "\n  links waiting for the handshake: {waiting} (dropped: {} timed out, {} over the per-address limit)",
        hygiene.timed_out, hygiene.over_address_limit
    );
    out
}

fn link_for(world: &World, code: &str) -> String {
    match &world.resource::<JoinBase>().0 {
        Some(base) => format!("{base}/?code={code}"),
        None => "(no HTTP endpoint: start without --no-http to join by code)".into(),
    }
}

fn codes(world: &mut World, entity: Entity) -> String {
    let c = world.get::<Campaign>(entity).expect("exists");
    let rows: Vec<(String, String)> = c
        .seats
        .iter()
        .map(|s| (s.name.clone(), s.code.clone()))
        .collect();
    let id = c.id.clone();
    let mut out = format!("join codes for {id}:\n");
    for (seat, code) in rows {
        let shown = if code.is_empty() {
            "(revoked)".to_string()
        } else {
            code.clone()
        };
        out += &format!(
            "  {seat:<10} {shown:<10} {}\n",
            if code.is_empty() {
                String::new()
            } else {
                link_for(world, &code)
            }
        );
    }
    out.trim_end().to_string()
}

fn qr(world: &mut World, entity: Entity, seat: &str) -> String {
    let c = world.get::<Campaign>(entity).expect("exists");
    let Some(s) = c.seat(seat) else {
        return format!("no seat `{seat}`");
    };
    if s.code.is_empty() {
        return format!("seat `{seat}` is revoked: `reissue {seat}` first");
    }
    let link = link_for(world, &s.code);
    match qrcode::QrCode::new(link.as_bytes()) {
        Ok(code) => format!(
            "{}\n{seat}: {link}",
            code.render::<qrcode::render::unicode::Dense1x2>()
                .quiet_zone(true)
                .build()
        ),
        Err(e) => format!("cannot draw a QR code: {e}"),
    }
}

/// Disconnects every link of a seat (they are told why) and records that the player left.
fn kick(
    world: &mut World,
    entity: Entity,
    seat: &str,
    reason: &str,
    now: u64,
) -> Result<String, String> {
    let mut campaign = world.get_mut::<Campaign>(entity).expect("exists");
    let Some(s) = campaign.seat_mut(seat) else {
        return Err(format!("no seat `{seat}`"));
    };
    let links = std::mem::take(&mut s.links);
    let player = s.player.clone().unwrap_or_default();
    if !links.is_empty() && s.role != Role::Spectator {
        campaign.inbox.push(
            Input::Left {
                seat: seat.to_string(),
                player,
            },
            now,
            ReplyTo::Nobody,
        );
    }
    for link in &links {
        world.resource_mut::<Outbox>().send(
            *link,
            ToClient::Refused {
                reason: reason.to_string(),
            },
        );
        if let Ok(e) = world.get_entity_mut(*link) {
            unseat_link(e);
        }
    }
    Ok(format!("{} connection(s) of `{seat}` removed", links.len()))
}

fn reissue(world: &mut World, entity: Entity, seat: &str, new: bool, now: u64) -> String {
    let reason = if new {
        "Your join code was replaced: ask the host for the new one"
    } else {
        "Your seat was closed by the host"
    };
    if let Err(e) = kick(world, entity, seat, reason, now) {
        return e;
    }
    let mut campaign = world.get_mut::<Campaign>(entity).expect("exists");
    let s = campaign.seat_mut(seat).expect("checked by kick");
    s.id = new_seat_id();
    s.code = if new { new_code() } else { String::new() };
    let code = s.code.clone();
    let meta = campaign.meta(false);
    if let Some(j) = &mut campaign.journal
        && let Err(e) = j.write_meta(&meta)
    {
        error!("cannot save seats: {e}");
    }
    let directory = world.resource::<Directory>().clone();
    let campaign = world.get::<Campaign>(entity).expect("exists");
    publish_codes(&directory, campaign);
    crate::write_codes_file(world);
    if new {
        format!("seat `{seat}`: new code {code}  {}", link_for(world, &code))
    } else {
        format!("seat `{seat}` revoked")
    }
}

fn archive(world: &mut World, id: &str) -> String {
    let Some(entity) = campaign_entity(world, None, Some(id)) else {
        return format!("no open campaign `{id}`");
    };
    let seats: Vec<String> = world
        .get::<Campaign>(entity)
        .expect("exists")
        .seats
        .iter()
        .map(|s| s.name.clone())
        .collect();
    let now = campaign_now(world, entity);
    for seat in seats {
        let _ = kick(world, entity, &seat, "The host closed this campaign", now);
    }
    // Whatever arrived before (and the leaves just queued) is resolved and journaled first,
    // every sender answered; a narration still being written is not waited for.
    world.resource_scope(|world, mut outbox: Mut<Outbox>| {
        let mut campaign = world.get_mut::<Campaign>(entity).expect("exists");
        crate::turn::resolve_inbox(&mut campaign, false, now);
        crate::turn::commit_campaigns(&mut [campaign], &mut outbox);
    });
    let mut campaign = world.get_mut::<Campaign>(entity).expect("exists");
    let meta = campaign.meta(true);
    let campaign = &mut *campaign;
    let answer = match &mut campaign.journal {
        Some(j) => {
            if let Err(e) = j.write_meta(&meta) {
                return format!(
                    "cannot archive {id}: {e}; it stays open (its players were unseated)"
                );
            }
            match j.snapshot(&campaign.table) {
                Ok(()) => format!("archived {id}; `reopen {id}` brings it back"),
                Err(e) => format!(
                    "archived {id} (no snapshot: {e}; the journal holds everything); `reopen {id}` brings it back"
                ),
            }
        }
        None => format!("closed {id}: no --data-dir: the campaign is closed and lost"),
    };
    let views: Vec<Entity> = campaign.views.values().map(|v| v.0).collect();
    let directory = world.resource::<Directory>().clone();
    directory
        .0
        .write()
        .expect("directory lock")
        .codes
        .retain(|_, t| t.campaign != id);
    for v in views {
        world.despawn(v);
    }
    world.despawn(entity);
    answer
}

fn reopen(world: &mut World, id: &str) -> String {
    if campaign_entity(world, None, Some(id)).is_some() {
        return format!("{id} is already open");
    }
    let Some(root) = world.resource::<ServerSettings>().data_dir.clone() else {
        return "reopen needs --data-dir".into();
    };
    let Some(stored) = Journal::scan(&root)
        .into_iter()
        .find(|s| s.meta.as_ref().map_or(s.name == id, |m| m.id == id))
    else {
        return format!("no campaign `{id}` in {}", root.display());
    };
    if let Err(e) = &stored.meta {
        return format!("cannot reopen {id}: {e}");
    }
    match Journal::restore(&stored.dir) {
        Ok(mut restored) => {
            restored.meta.archived = false;
            let _ = restored.journal.write_meta(&restored.meta);
            resume_campaign(world, restored);
            format!("reopened {id}")
        }
        Err(e) => format!("cannot reopen {id}: {e}"),
    }
}
