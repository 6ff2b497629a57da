//! Seated clients that send what no honest client sends: forged transport fragments, a
//! `last_seen` from the future, moves to the ends of `i32`, actions for hidden creatures,
//! terminal escapes in names, more watchers than the spectator seat takes. The server answers
//! each with a clear refusal (or a dropped packet), changes nothing, and keeps playing.

use bevy::prelude::*;
use emberkeep_client::net::{JoinRequest, Status};
use emberkeep_server::ServerSettings;
use emberkeep_shared::prelude::*;
use emberkeep_tests::Stepper;
use lightyear::prelude::client::Client;
use lightyear::prelude::*;

fn settings(encounter: &str) -> ServerSettings {
    ServerSettings {
        encounter: encounter.into(),
        seed: 3,
        ..ServerSettings::default()
    }
}

/// The table still plays: `client` declares something and it is accepted.
fn still_plays(s: &mut Stepper, client: usize) {
    let seq = s.session_mut(client).act(Action::Declare {
        text: "I look around.".into(),
    });
    s.step_until(300, |s| s.session(client).answered(seq))
        .expect("the server answers");
    assert!(
        s.session(client).accepted.contains(&seq) || s.session(client).rejection(seq).is_some(),
        "no answer"
    );
}

/// QUIC-style varint as lightyear writes it.
fn varint(v: u64, out: &mut Vec<u8>) {
    match v {
        0..64 => out.push(v as u8),
        64..16_384 => out.extend_from_slice(&((v as u16) | 0x4000).to_be_bytes()),
        16_384..1_073_741_824 => out.extend_from_slice(&((v as u32) | 0x8000_0000).to_be_bytes()),
        _ => out.extend_from_slice(&(v | 0xC000_0000_0000_0000).to_be_bytes()),
    }
}

/// A lightyear transport packet carrying the first fragment of message `message_id` on
/// `channel`, declaring `num_fragments` fragments.
fn forged_fragment(packet_id: u16, channel: u64, message_id: u16, num_fragments: u64) -> Vec<u8> {
    let mut p = vec![1u8]; // PacketType::DataFragment
    p.extend_from_slice(&packet_id.to_be_bytes());
    p.extend_from_slice(&0u16.to_be_bytes()); // last ack
    p.extend_from_slice(&0u32.to_be_bytes()); // ack bitfield
    p.extend_from_slice(&0u32.to_be_bytes()); // tick
    varint(channel, &mut p);
    p.extend_from_slice(&message_id.to_be_bytes());
    varint(0, &mut p); // fragment index
    varint(num_fragments, &mut p);
    p.push(0); // compression: none (fragment 0 only)
    varint(16, &mut p);
    p.extend_from_slice(&[0xAB; 16]);
    p
}

/// Sends raw transport payloads from a client's link: netcode encrypts them as it would any
/// packet, so the server sees exactly what a modified client could send.
fn send_raw(s: &mut Stepper, client: usize, packets: Vec<Vec<u8>>) {
    let world = s.clients[client].world_mut();
    let mut q = world.query_filtered::<&mut Link, With<Client>>();
    let mut link = q.single_mut(world).expect("a connected client");
    for p in packets {
        link.send.push(p.into());
    }
}

#[test]
fn forged_fragment_headers_are_dropped_and_the_server_plays_on() {
    let mut s = Stepper::new(settings("goblin-ambush"));
    let c = s.seat_all(&["fighter"])[0];
    // 2^50 fragments on every channel id the protocol could use: unpatched lightyear allocates
    // for them and aborts the whole process.
    let huge = (0..12)
        .map(|ch| forged_fragment(40_000 + ch as u16, ch, 7, 1u64 << 50))
        .collect();
    send_raw(&mut s, c, huge);
    s.step(10);
    // Thousands of unfinished messages, each of the most fragments allowed: bounded per channel.
    let flood = (0..2_000u16)
        .map(|i| forged_fragment(41_000 + i, u64::from(i % 12), 100 + i, 1024))
        .collect();
    send_raw(&mut s, c, flood);
    s.step(10);
    still_plays(&mut s, c);
}

#[test]
fn a_last_seen_from_the_future_gets_the_snapshot() {
    let mut s = Stepper::new(settings("goblin-ambush"));
    let c = s.seat_all(&["fighter"])[0];
    s.step(5);
    // The client claims to have seen everything up to u64::MAX.
    s.session_mut(c)
        .events
        .last_mut()
        .expect("the ambush was announced")
        .seq = u64::MAX;
    s.reconnect(c, "fighter", None);
    s.step_until(300, |s| s.session(c).status == Status::Seated)
        .expect("seated again");
    assert!(s.session(c).resynced, "the server sent its snapshot");
    still_plays(&mut s, c);
}

#[test]
fn moves_to_the_ends_of_the_grid_are_rejected() {
    let mut s = Stepper::new(settings("wolf-den"));
    let c = s.seat_all(&["fighter"])[0];
    for path in [
        vec![GridPos::new(i32::MIN, i32::MIN)],
        vec![GridPos::new(i32::MAX, i32::MAX)],
        vec![GridPos::new(i32::MIN, 0), GridPos::new(i32::MAX, 0)],
        vec![GridPos::new(0, i32::MIN + 1)],
    ] {
        let seq = s.session_mut(c).act(Action::Move { path: path.clone() });
        s.step_until(300, |s| s.session(c).answered(seq)).unwrap();
        let (_, code, reason) = s.session(c).rejection(seq).expect("rejected").clone();
        assert_eq!(code, RejectCode::InvalidPath, "{path:?}: {reason}");
    }
    still_plays(&mut s, c);
}

#[test]
fn rejections_never_name_a_hidden_creature() {
    let mut s = Stepper::new(settings("crypt-of-bones"));
    let c = s.seat_all(&["fighter"])[0];
    let hidden = s
        .campaign("table-1")
        .table
        .combatants
        .iter()
        .find(|x| x.hidden)
        .map(|x| (x.id, x.name.clone()))
        .expect("the crypt hides a skeleton");
    let attacks = vec![
        (Some(hidden.0), Action::Dodge),
        (
            None,
            Action::Attack {
                target: hidden.0,
                attack: 0,
            },
        ),
    ];
    let mut reasons = Vec::new();
    for (as_whom, action) in attacks {
        let seq = match as_whom {
            Some(id) => s.session_mut(c).act_as(id, action),
            None => s.session_mut(c).act(action),
        };
        s.step_until(300, |s| s.session(c).answered(seq)).unwrap();
        let (_, _, reason) = s.session(c).rejection(seq).expect("rejected").clone();
        reasons.push(reason);
    }
    // Attacking it reads exactly like attacking a creature that does not exist.
    let seq = s.session_mut(c).act(Action::Attack {
        target: 9_999,
        attack: 0,
    });
    s.step_until(300, |s| s.session(c).answered(seq)).unwrap();
    let missing = s.session(c).rejection(seq).unwrap().2.clone();
    assert_eq!(reasons[1], missing.replace("9999", &hidden.0.to_string()));
    for r in &reasons {
        assert!(
            !r.contains(&hidden.1),
            "`{r}` names the hidden {}",
            hidden.1
        );
        assert!(!r.to_lowercase().contains("skeleton"), "`{r}`");
    }
}

#[test]
fn names_lose_their_escapes_and_the_spectator_seat_has_a_limit() {
    let mut s = Stepper::new(ServerSettings {
        max_spectators: 2,
        ..settings("goblin-ambush")
    });
    let evil = s.add_client("fighter", None);
    s.clients[evil]
        .world_mut()
        .resource_mut::<JoinRequest>()
        .name = "Ev\u{1b}]0;owned\u{7}il\u{1b}[2J\u{202e}".into();
    let watchers: Vec<usize> = (0..3).map(|_| s.add_client("spectator", None)).collect();
    s.step_until(300, |s| {
        s.session(evil).status == Status::Seated
            && watchers
                .iter()
                .all(|&w| !matches!(s.session(w).status, Status::Connecting | Status::Joining))
    })
    .expect("every client is answered");
    let seat = s
        .campaign("table-1")
        .seat("fighter")
        .unwrap()
        .player
        .clone()
        .unwrap();
    assert_eq!(seat, "Ev]0;owneil[2J".replace("owneil", "ownedil"));
    assert!(!seat.chars().any(|c| c.is_control()));
    let refused: Vec<_> = watchers
        .iter()
        .filter_map(|&w| match &s.session(w).status {
            Status::Refused(r) => Some(r.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(refused.len(), 1, "two watchers fit, the third is refused");
    assert!(
        refused[0].contains("spectator seat is full"),
        "{}",
        refused[0]
    );
    still_plays(&mut s, evil);
}

#[test]
fn a_kicked_connection_is_closed_not_just_unseated() {
    let mut s = Stepper::new(settings("goblin-ambush"));
    let c = s.seat_all(&["fighter"])[0];
    let reply = emberkeep_server::console::execute(s.server.world_mut(), None, "kick fighter");
    assert!(reply.contains("removed"), "{reply}");
    let link = s.links[c];
    s.step_until(200, |s| s.server.world().get_entity(link).is_err())
        .expect("the kicked link is closed");
    assert!(
        matches!(s.session(c).status, Status::Refused(_)),
        "the player was told why: {:?}",
        s.session(c).status
    );
}

/// A browser that leaves in the very frame it is seated: the network layers despawn its link
/// while a command for it is still queued. Bevy's default would panic on the stale command
/// and stop every table; the server logs it and plays on.
#[test]
fn a_command_for_a_link_that_is_already_gone_is_logged_not_fatal() {
    let mut s = Stepper::new(settings("goblin-ambush"));
    let seats = s.seat_all(&["fighter", "rogue"]);
    let leaving = s.links[seats[1]];
    s.server.world_mut().despawn(leaving);
    assert!(s.server.world().get_entity(leaving).is_err());
    // A system still holding the link queues a command for it, as the intake does for a
    // link it has just seated.
    #[derive(Resource)]
    struct Stale(Entity);
    s.server.insert_resource(Stale(leaving));
    s.server
        .add_systems(Update, |stale: Res<Stale>, mut commands: Commands| {
            commands.entity(stale.0).insert(Name::new("gone"));
        });
    s.step(5);
    still_plays(&mut s, seats[0]);
}
