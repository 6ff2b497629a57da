//! Intake: what arrives from clients. Joining binds a link to a seat (and the campaign's
//! room); an intent is checked against the seat (who may act for which character), the rate
//! limit, and queued in the campaign's FIFO for the rules to resolve.

use crate::campaign::{Campaign, PendingIntent};
use crate::outbox::Outbox;
use crate::settings::ServerSettings;
use bevy::prelude::*;
use emberkeep_shared::prelude::*;
use emberkeep_shared::protocol::Role;
use lightyear::prelude::*;

/// A client link's place at the server.
#[derive(Component, Debug)]
pub struct Session {
    /// Campaign entity, once seated.
    pub campaign: Option<Entity>,
    /// Seat name.
    pub seat: Option<String>,
    /// Player name.
    pub player: String,
    /// Role.
    pub role: Option<Role>,
    /// Character played.
    pub character: Option<CombatantId>,
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
            seat: None,
            player: String::new(),
            role: None,
            character: None,
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
}

/// Server-wide counters.
#[derive(Resource, Debug, Default, Clone)]
pub struct ServerStats {
    /// Seats taken.
    pub joins: u64,
    /// Joins refused.
    pub joins_refused: u64,
    /// Intents rejected before reaching a table (not joined, wrong character, rate limit).
    pub rejected_at_intake: u64,
}

pub(crate) fn receive(
    mut links: Query<(Entity, &mut MessageReceiver<ToServer>, &mut Session)>,
    mut campaigns: Query<(Entity, &mut Campaign)>,
    mut outbox: ResMut<Outbox>,
    mut stats: ResMut<ServerStats>,
    settings: Res<ServerSettings>,
    time: Res<Time>,
    mut commands: Commands,
) {
    let now_ms = time.elapsed().as_millis() as u64;
    for (link, mut receiver, mut session) in &mut links {
        for message in receiver.receive() {
            match message {
                ToServer::Join {
                    campaign,
                    seat,
                    name,
                    version,
                } => {
                    match join(
                        link,
                        &mut session,
                        campaign,
                        &seat,
                        &name,
                        version,
                        &mut campaigns,
                        &mut outbox,
                        now_ms,
                    ) {
                        Ok(room) => {
                            stats.joins += 1;
                            commands.entity(link).insert(Rooms::single(room));
                        }
                        Err(reason) => {
                            stats.joins_refused += 1;
                            outbox.send(link, ToClient::JoinRefused { reason });
                        }
                    }
                }
                ToServer::Act {
                    character,
                    action,
                    client_seq,
                } => {
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
                            "The host steers from the console; host seats do not play characters"
                                .into(),
                        )),
                        (Some(c), Some(Role::Player)) if session.character != Some(character) => {
                            let names = campaigns.get(c).ok().map(|(_, camp)| {
                                (
                                    camp.name_of(session.character.unwrap_or(0)),
                                    camp.name_of(character),
                                )
                            });
                            let (mine, theirs) = names.unwrap_or_default();
                            Err(refuse(
                                RejectCode::NotAllowed,
                                format!("You play {mine}; you cannot act for {theirs}"),
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
                    match verdict {
                        Ok(c) => {
                            if let Ok((_, mut campaign)) = campaigns.get_mut(c) {
                                campaign.inbox.push_back(PendingIntent {
                                    link,
                                    character,
                                    action,
                                    client_seq,
                                });
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
            }
        }
    }
}

/// Binds `link` to a seat; returns the campaign's room.
fn join(
    link: Entity,
    session: &mut Session,
    campaign_id: Option<String>,
    seat_name: &str,
    player: &str,
    version: u32,
    campaigns: &mut Query<(Entity, &mut Campaign)>,
    outbox: &mut Outbox,
    now_ms: u64,
) -> Result<RoomId, String> {
    if version != PROTOCOL_VERSION {
        return Err(format!(
            "This server speaks protocol v{PROTOCOL_VERSION}; your client speaks v{version}. Update your client."
        ));
    }
    let player = player.trim();
    if player.is_empty() || player.chars().count() > 32 {
        return Err("Choose a player name of 1 to 32 characters".into());
    }
    if session.campaign.is_some() {
        return Err("You already have a seat; reconnect to change it".into());
    }
    let mut list: Vec<(Entity, String)> =
        campaigns.iter().map(|(e, c)| (e, c.id.clone())).collect();
    list.sort_by(|a, b| a.1.cmp(&b.1));
    let entity = match &campaign_id {
        Some(id) => list
            .iter()
            .find(|(_, c)| c == id)
            .map(|(e, _)| *e)
            .ok_or_else(|| {
                format!(
                    "No campaign `{id}` here: expected one of {}",
                    list.iter()
                        .map(|l| l.1.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?,
        None => list
            .first()
            .map(|l| l.0)
            .ok_or("This server hosts no campaign")?,
    };
    let (_, mut campaign) = campaigns.get_mut(entity).expect("listed above");
    let campaign = &mut *campaign;
    let (role, character) = if seat_name == "spectator" {
        campaign.spectators.push((link, player.to_string()));
        (Role::Spectator, None)
    } else {
        let Some(seat) = campaign.seats.iter_mut().find(|s| s.name == seat_name) else {
            let seats: Vec<String> = campaign
                .seats
                .iter()
                .map(|s| s.name.clone())
                .chain(["spectator".to_string()])
                .collect();
            return Err(format!(
                "No seat `{seat_name}` at {}: expected one of {}",
                campaign.id,
                seats.join(", ")
            ));
        };
        if let Some(old) = seat.link.replace(link) {
            // One live connection per seat: the newer login wins.
            outbox.send(
                old,
                ToClient::JoinRefused {
                    reason: "Your seat was taken by a newer login".into(),
                },
            );
        }
        seat.player = Some(player.to_string());
        (seat.role, seat.character)
    };
    session.campaign = Some(entity);
    session.seat = Some(seat_name.to_string());
    session.player = player.to_string();
    session.role = Some(role);
    session.character = character;
    outbox.send(
        link,
        ToClient::Welcome {
            campaign: campaign.id.clone(),
            seat: seat_name.to_string(),
            role,
            character,
            next_seq: campaign.table.next_seq,
            turn_timeout_ms: campaign.table.turn_timeout_ms,
        },
    );
    campaign
        .table
        .player_joined(seat_name, player, character, now_ms);
    info!("{player} took seat `{seat_name}` at {}", campaign.id);
    Ok(campaign.room)
}

/// A link went away: its seat is held (the character stays; its turns time out to Dodge).
pub(crate) fn on_session_removed(
    trigger: On<Remove, Session>,
    sessions: Query<&Session>,
    mut campaigns: Query<&mut Campaign>,
    time: Res<Time>,
) {
    let link = trigger.entity;
    let Ok(session) = sessions.get(link) else {
        return;
    };
    let Some(mut campaign) = session.campaign.and_then(|c| campaigns.get_mut(c).ok()) else {
        return;
    };
    let now_ms = time.elapsed().as_millis() as u64;
    campaign.spectators.retain(|s| s.0 != link);
    let mut left = None;
    for seat in &mut campaign.seats {
        if seat.link == Some(link) {
            seat.link = None;
            left = Some(seat.name.clone());
        }
    }
    let seat = left.unwrap_or_else(|| "spectator".into());
    campaign.table.player_left(&seat, &session.player, now_ms);
    info!("{} left seat `{seat}` at {}", session.player, campaign.id);
}
