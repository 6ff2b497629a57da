//! Intake: what arrives from clients. `Hello` seats a link by the claim in its connect token
//! (and joins the campaign's rooms); intents are checked against the seat (who may act for
//! which character) and the rate limit; whispers and host seats' commands are checked too.
//! What passes — and the join itself, and a leave — is appended to the campaign's inbox as it
//! arrives, for the rules to resolve in that order.

use crate::campaign::{Campaign, ReplyTo};
use crate::console::{ConsoleQueue, table_command};
use crate::journal::Input;
use crate::outbox::Outbox;
use crate::settings::ServerSettings;
use bevy::prelude::*;
use emberkeep_shared::prelude::*;
use emberkeep_shared::protocol::{Replay, Role, SeatClaim, printable};
use emberkeep_shared::table::MAX_DECLARE_CHARS;
use lightyear::netcode::TokenUserData;
use lightyear::prelude::*;

/// A client link's place at the server.
#[derive(Component, Debug)]
pub struct Session {
    /// Campaign entity, once seated.
    pub campaign: Option<Entity>,
    /// Seat name.
    pub seat: String,
    /// Player name.
    pub player: String,
    /// Role.
    pub role: Option<Role>,
    /// Character played.
    pub character: Option<CombatantId>,
    /// The last event sequence number sent to this link.
    pub last_sent: u64,
    tokens: f64,
    last_refill_ms: u64,
    /// Intents rejected for this link.
    pub rejected: u64,
}

impl Session {
    /// A fresh session with a full rate-limit bucket.
    pub fn new(burst: f64) -> Self {
        Session {
            campaign: None,
            seat: String::new(),
            player: String::new(),
            role: None,
            character: None,
            last_sent: 0,
            tokens: burst,
            last_refill_ms: 0,
            rejected: 0,
        }
    }

    /// Token bucket: `rate` per second up to `burst`.
    fn allow(&mut self, now_ms: u64, rate: f64, burst: f64) -> bool {
        let elapsed = now_ms.saturating_sub(self.last_refill_ms) as f64 / 1000.0;
        self.last_refill_ms = now_ms;
        self.tokens = (self.tokens + elapsed * rate).min(burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Drops the seat (kicked, replaced, campaign archived).
    pub fn unseat(&mut self) {
        self.campaign = None;
        self.role = None;
        self.character = None;
    }
}

/// Server-wide counters.
#[derive(Resource, Debug, Default, Clone)]
pub struct ServerStats {
    /// Seats taken.
    pub joins: u64,
    /// Joins refused.
    pub joins_refused: u64,
    /// Intents rejected before reaching a table (not seated, wrong character, rate limit).
    pub rejected_at_intake: u64,
}

/// Events of recent history a fresh seat gets on joining.
pub const FRESH_HISTORY: usize = 50;

/// Longest whisper or host command.
const MAX_TEXT: usize = MAX_DECLARE_CHARS;

pub(crate) fn receive(
    mut links: Query<(
        Entity,
        &mut MessageReceiver<ToServer>,
        &mut Session,
        Option<&TokenUserData>,
    )>,
    mut campaigns: Query<(Entity, &mut Campaign)>,
    mut outbox: ResMut<Outbox>,
    mut stats: ResMut<ServerStats>,
    mut console: ResMut<ConsoleQueue>,
    settings: Res<ServerSettings>,
    content: Res<crate::campaign::Content>,
    time: Res<Time>,
    mut commands: Commands,
) {
    let mut displaced: Vec<Entity> = Vec::new();
    for (link, mut receiver, mut session, user_data) in &mut links {
        for message in receiver.receive() {
            let now_ms = time.elapsed().as_millis() as u64;
            match message {
                ToServer::Hello {
                    name,
                    version,
                    last_seen,
                } => {
                    let claim = user_data.and_then(|d| SeatClaim::from_user_data(&d.0));
                    match hello(
                        link,
                        &mut session,
                        claim,
                        &name,
                        version,
                        last_seen,
                        &mut campaigns,
                        &mut outbox,
                        &time,
                        settings.max_spectators,
                    ) {
                        Ok((rooms, old)) => {
                            stats.joins += 1;
                            commands.entity(link).insert(rooms);
                            displaced.extend(old);
                        }
                        Err(reason) => {
                            stats.joins_refused += 1;
                            outbox.send(link, ToClient::Refused { reason });
                        }
                    }
                }
                ToServer::Act {
                    character,
                    mut action,
                    client_seq,
                } => {
                    if let Action::Declare { text } = &mut action {
                        *text = printable(text);
                    }
                    let refuse = |code: RejectCode, reason: String| ToClient::Rejected {
                        client_seq,
                        code,
                        reason,
                    };
                    let verdict = match (session.campaign, session.role) {
                        (None, _) | (_, None) => Err(refuse(
                            RejectCode::NotJoined,
                            "Take a seat before acting".into(),
                        )),
                        (_, Some(Role::Spectator)) => Err(refuse(
                            RejectCode::NotAllowed,
                            "Spectators watch; they cannot act".into(),
                        )),
                        (_, Some(Role::Host)) => Err(refuse(
                            RejectCode::NotAllowed,
                            "The host steers with commands; host seats do not play characters"
                                .into(),
                        )),
                        (Some(c), Some(Role::Player)) if session.character != Some(character) => {
                            // Never name the other character: it may be hidden from this seat.
                            let mine = campaigns
                                .get(c)
                                .map(|(_, camp)| camp.name_of(session.character.unwrap_or(0)))
                                .unwrap_or_default();
                            Err(refuse(
                                RejectCode::NotAllowed,
                                format!("You play {mine}; you can only act for {mine}"),
                            ))
                        }
                        (Some(_), Some(Role::Player))
                            if !session.allow(
                                now_ms,
                                settings.rate_per_second,
                                settings.rate_burst,
                            ) =>
                        {
                            Err(refuse(
                                RejectCode::RateLimited,
                                format!(
                                    "Slow down: at most {} actions per second",
                                    settings.rate_per_second
                                ),
                            ))
                        }
                        (Some(c), Some(Role::Player)) => Ok(c),
                    };
                    // A character file is read here, with the content library; the table
                    // gets the sheets built from it.
                    let verdict = match verdict {
                        Err(e) => Err(e),
                        Ok(c) => match &action {
                            Action::BringCharacter { file } if settings.own_characters => {
                                let seat_id = campaigns
                                    .get(c)
                                    .ok()
                                    .and_then(|(_, camp)| camp.table.combatant(character))
                                    .map(|ch| ch.source.clone())
                                    .unwrap_or_default();
                                match crate::characters::read(file, &content.0, &seat_id) {
                                    Ok(brought) => Ok((
                                        c,
                                        Input::Character {
                                            actor: character,
                                            brought: Box::new(brought),
                                        },
                                    )),
                                    Err(why) => Err(refuse(RejectCode::Malformed, why)),
                                }
                            }
                            Action::BringCharacter { .. } => Err(refuse(
                                RejectCode::NotAllowed,
                                "This server's host plays the adventure's own characters".into(),
                            )),
                            _ => Ok((
                                c,
                                Input::Act {
                                    actor: character,
                                    action: action.clone(),
                                },
                            )),
                        },
                    };
                    match verdict {
                        Ok((c, input)) => {
                            if let Ok((_, mut campaign)) = campaigns.get_mut(c) {
                                let now = campaign.now(&time);
                                campaign.inbox.push(
                                    input,
                                    now,
                                    ReplyTo::Intent { link, client_seq },
                                );
                            }
                        }
                        Err(msg) => {
                            stats.rejected_at_intake += 1;
                            session.rejected += 1;
                            if let ToClient::Rejected { code, .. } = &msg
                                && let Some(c) = session.campaign
                                && let Ok((_, mut campaign)) = campaigns.get_mut(c)
                            {
                                *campaign
                                    .stats
                                    .rejected
                                    .entry(format!("{code:?}"))
                                    .or_default() += 1;
                            }
                            outbox.send(link, msg);
                        }
                    }
                }
                ToServer::Whisper { to, text } => {
                    let Some(c) = session.campaign else { continue };
                    let Ok((_, mut campaign)) = campaigns.get_mut(c) else {
                        continue;
                    };
                    let text = printable(&text).trim().to_string();
                    let valid_to = campaign
                        .seat(&to)
                        .is_some_and(|s| s.role != Role::Spectator)
                        && to != session.seat;
                    if session.role == Some(Role::Spectator)
                        || !valid_to
                        || text.is_empty()
                        || text.chars().count() > MAX_TEXT
                    {
                        stats.rejected_at_intake += 1;
                        outbox.send(link, ToClient::HostReply { text: format!("Cannot whisper to `{to}`: whisper 1 to {MAX_TEXT} characters to another seat") });
                        continue;
                    }
                    if !session.allow(now_ms, settings.rate_per_second, settings.rate_burst) {
                        stats.rejected_at_intake += 1;
                        continue;
                    }
                    let from = session.seat.clone();
                    let now = campaign.now(&time);
                    campaign
                        .inbox
                        .push(Input::Whisper { from, to, text }, now, ReplyTo::Nobody);
                }
                ToServer::Host { command } => {
                    if session.role != Some(Role::Host) || command.chars().count() > MAX_TEXT {
                        outbox.send(
                            link,
                            ToClient::HostReply {
                                text: "Only the host seat can run host commands".into(),
                            },
                        );
                        continue;
                    }
                    if !session.allow(now_ms, settings.rate_per_second, settings.rate_burst) {
                        stats.rejected_at_intake += 1;
                        outbox.send(
                            link,
                            ToClient::HostReply {
                                text: format!(
                                    "Slow down: at most {} commands per second",
                                    settings.rate_per_second
                                ),
                            },
                        );
                        continue;
                    }
                    // A command that changes the table joins the inbox now, in arrival
                    // order with the intents; the others run with the console's.
                    let line = printable(&command);
                    let campaign = session.campaign.and_then(|c| campaigns.get_mut(c).ok());
                    match campaign.map(|(_, c)| (table_command(&c, &line), c)) {
                        Some((Some(Ok(op)), mut campaign)) => {
                            let now = campaign.now(&time);
                            campaign
                                .inbox
                                .push(Input::Host(op), now, ReplyTo::HostSeat(link));
                        }
                        Some((Some(Err(usage)), _)) => {
                            outbox.send(link, ToClient::HostReply { text: usage });
                        }
                        _ => console.0.push((Some(link), session.campaign, line)),
                    }
                }
            }
        }
    }
    for old in displaced {
        outbox.send(
            old,
            ToClient::Refused {
                reason: "Your seat was taken by a newer login".into(),
            },
        );
        commands.entity(old).queue(unseat_link);
    }
}

/// Takes a link's seat away (replaced, kicked, revoked, campaign closed): it leaves the
/// campaign's rooms, its session no longer acts for anyone, and the connection is closed a
/// moment later (once the reason sent to it has gone out). A kicked player may come back with
/// their code; `revoke` closes the seat for good.
pub fn unseat_link(mut link: EntityWorldMut) {
    link.remove::<Rooms>();
    if let Some(mut session) = link.get_mut::<Session>() {
        session.unseat();
    }
    let now = link.world().resource::<Time>().elapsed();
    link.insert(crate::network::CloseAt(now + crate::network::CLOSE_DELAY));
}

/// Seats a link by its token's claim; returns the rooms it sees and a displaced older link.
fn hello(
    link: Entity,
    session: &mut Session,
    claim: Option<SeatClaim>,
    player: &str,
    version: u32,
    last_seen: Option<u64>,
    campaigns: &mut Query<(Entity, &mut Campaign)>,
    outbox: &mut Outbox,
    time: &Time,
    max_spectators: usize,
) -> Result<(Rooms, Option<Entity>), String> {
    if version != PROTOCOL_VERSION {
        return Err(format!(
            "This server speaks protocol v{PROTOCOL_VERSION}; your client speaks v{version}. Update your client."
        ));
    }
    let player = printable(player);
    let player = player.trim();
    if player.is_empty() || player.chars().count() > 32 {
        return Err("Choose a player name of 1 to 32 characters".into());
    }
    if session.campaign.is_some() {
        return Err("This connection already has a seat".into());
    }
    let Some(claim) = claim else {
        return Err("This connection has no seat: join with a code".into());
    };
    let Some((entity, mut campaign)) = campaigns.iter_mut().find(|(_, c)| c.id == claim.campaign)
    else {
        return Err(format!(
            "Campaign `{}` is not open on this server",
            claim.campaign
        ));
    };
    let campaign = &mut *campaign;
    let now_ms = campaign.now(time);
    let Some(seat) = campaign.seats.iter_mut().find(|s| s.id == claim.seat_id) else {
        return Err("This join code was revoked: ask the host for a new one".into());
    };
    if seat.role == Role::Spectator && seat.links.len() >= max_spectators {
        return Err(format!(
            "The spectator seat is full ({max_spectators} watchers): ask the host"
        ));
    }
    let mut displaced = None;
    if seat.role != Role::Spectator {
        // One live connection per seat: the newer login wins.
        displaced = seat.links.pop();
        seat.links.clear();
    }
    seat.links.push(link);
    seat.player = Some(player.to_string());
    let (seat_name, role, character) = (seat.name.clone(), seat.role, seat.character);
    let (seat_role, seat_name_for_history) = (role, seat_name.clone());
    session.campaign = Some(entity);
    session.seat = seat_name.clone();
    session.player = player.to_string();
    session.role = Some(role);
    session.character = character;
    // Catch up: every event since `last_seen` this seat may see, or the snapshot alone.
    let (replay, events) = match last_seen {
        // A new device (or a TV joining late) gets the recent history this seat may see, so
        // its log does not start empty.
        None => {
            let mut recent: Vec<SeqEvent> = campaign
                .table
                .log
                .iter()
                .rev()
                .filter(|e| e.seq <= campaign.published_seq)
                .filter(|e| Campaign::may_see(&e.audience, seat_role, &seat_name_for_history))
                .take(FRESH_HISTORY)
                .cloned()
                .collect();
            recent.reverse();
            (Replay::Fresh, recent)
        }
        // A `last_seen` from the future (or u64::MAX) gets the snapshot, never an overflow.
        Some(seen) if seen > campaign.published_seq => (Replay::Snapshot, Vec::new()),
        Some(seen) => match campaign.table.events_since(seen.saturating_add(1)) {
            Some(events) => (
                Replay::Events,
                events
                    .filter(|e| e.seq <= campaign.published_seq)
                    .cloned()
                    .collect(),
            ),
            None => (Replay::Snapshot, Vec::new()),
        },
    };
    session.last_sent = match replay {
        Replay::Events => last_seen.unwrap_or(0),
        _ => 0,
    };
    let visible: Vec<SeqEvent> = events
        .into_iter()
        .filter(|e| Campaign::may_see(&e.audience, role, &seat_name))
        .collect();
    outbox.send(
        link,
        ToClient::Welcome {
            campaign: campaign.id.clone(),
            seat: seat_name.clone(),
            role,
            character,
            turn_timeout_ms: campaign.table.turn_timeout_ms,
            replay,
            prev: session.last_sent,
            replayed: visible.len() as u32,
        },
    );
    for event in visible {
        let prev = session.last_sent;
        session.last_sent = event.seq;
        outbox.send(link, ToClient::Event { event, prev });
    }
    let input = Input::Joined {
        seat: seat_name.clone(),
        player: player.to_string(),
        character,
    };
    campaign.inbox.push(input, now_ms, ReplyTo::Nobody);
    info!("{player} took seat `{seat_name}` at {}", campaign.id);
    let mut rooms = Rooms::single(campaign.room);
    if role == Role::Host {
        rooms.add_room(campaign.host_room);
    }
    Ok((rooms, displaced.filter(|&old| old != link)))
}

/// A link went away: its seat is held (the character stays; its turns time out to Dodge).
pub(crate) fn on_session_removed(
    trigger: On<Remove, Session>,
    sessions: Query<&Session>,
    mut campaigns: Query<&mut Campaign>,
    settings: Res<ServerSettings>,
    time: Res<Time>,
) {
    let link = trigger.entity;
    let Ok(session) = sessions.get(link) else {
        return;
    };
    let Some(mut campaign) = session.campaign.and_then(|c| campaigns.get_mut(c).ok()) else {
        return;
    };
    let now_ms = campaign.now(&time);
    let mut left = None;
    for seat in &mut campaign.seats {
        if let Some(i) = seat.links.iter().position(|l| *l == link) {
            seat.links.remove(i);
            left = Some(seat.name.clone());
        }
    }
    if let Some(seat) = left {
        campaign.inbox.push(
            Input::Left {
                seat: seat.clone(),
                player: session.player.clone(),
            },
            now_ms,
            ReplyTo::Nobody,
        );
        // With companions, a seat its player left goes back to its companion after the turn
        // timeout (`turn::advance`), unless the player is back by then (a dropped Wi-Fi).
        if settings.companions
            && campaign
                .seat(&seat)
                .is_some_and(|s| s.links.is_empty() && s.role == Role::Player)
        {
            campaign.vacated.retain(|(s, _)| *s != seat);
            campaign.vacated.push((seat.clone(), now_ms));
        }
        info!("{} left seat `{seat}` at {}", session.player, campaign.id);
    }
}
