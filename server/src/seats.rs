//! Seats and join codes. Each seat has a secret join code and a seat id; the server's join
//! endpoint exchanges a code for a netcode connect token it mints, carrying the seat id in the
//! token's user data. Clients never choose their id; revoking a code changes the seat id, so
//! tokens minted before no longer bind.

use bevy::prelude::*;
use emberkeep_shared::protocol::{PROTOCOL_ID, SeatClaim};
use lightyear::netcode::{ConnectToken, Key};
use rand::Rng;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

/// Letters that cannot be confused when read aloud or off a screen (no 0/O, 1/I/L).
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// A fresh join code like `K7QF-M2XD` (40 bits of entropy).
pub fn new_code() -> String {
    let mut rng = rand::rng();
    let mut code = String::with_capacity(9);
    for i in 0..8 {
        if i == 4 {
            code.push('-');
        }
        code.push(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char);
    }
    code
}

/// Normalises a typed code: upper case, no spaces, dash optional.
pub fn normalise_code(code: &str) -> String {
    let raw: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if raw.len() == 8 {
        format!("{}-{}", &raw[..4], &raw[4..])
    } else {
        raw
    }
}

/// Whether a normalised code has the shape of a code we issue (`XXXX-XXXX` from the code
/// alphabet). Anything else — the empty string a revoked seat once had, `----` — never matches.
pub fn is_well_formed_code(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 9
        && b[4] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || CODE_ALPHABET.contains(c))
}

/// A fresh seat id.
pub fn new_seat_id() -> u64 {
    rand::random::<u64>().max(1)
}

/// Where a code leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinTarget {
    /// Campaign id.
    pub campaign: String,
    /// Seat name.
    pub seat: String,
    /// Current seat id.
    pub seat_id: u64,
}

/// Everything the join endpoint needs, shared with its thread.
#[derive(Debug, Default)]
pub struct JoinDirectory {
    /// Code → seat.
    pub codes: HashMap<String, JoinTarget>,
    /// UDP port for native clients.
    pub udp_port: Option<u16>,
    /// WebSocket port.
    pub ws_port: Option<u16>,
    /// Tokens minted.
    pub minted: u64,
}

/// The shared directory.
#[derive(Resource, Debug, Clone, Default)]
pub struct Directory(pub Arc<RwLock<JoinDirectory>>);

/// The server's netcode private key: random for each run (tokens live 30 s; players rejoin
/// with their code, which survives restarts).
#[derive(Resource, Clone)]
pub struct NetKey(pub Key);

impl std::fmt::Debug for NetKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NetKey(..)")
    }
}

/// Seconds a minted token stays valid.
pub const TOKEN_SECONDS: i32 = 30;

/// Mints a connect token for a seat. `server_addr` is where the client will send its packets
/// (netcode clients connect to the addresses inside the token).
pub fn mint_token(
    key: &Key,
    server_addr: SocketAddr,
    claim: &SeatClaim,
) -> Result<Vec<u8>, String> {
    let token = ConnectToken::build(server_addr, PROTOCOL_ID, rand::random::<u64>(), *key)
        .expire_seconds(TOKEN_SECONDS)
        .timeout_seconds(5)
        .user_data(claim.to_user_data())
        .generate()
        .map_err(|e| format!("cannot mint a token: {e:?}"))?;
    Ok(token
        .try_into_bytes()
        .map_err(|e| format!("cannot encode a token: {e}"))?
        .to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_readable_and_normalise() {
        let code = new_code();
        assert_eq!(code.len(), 9);
        assert!(
            code.chars()
                .all(|c| c == '-' || CODE_ALPHABET.contains(&(c as u8)))
        );
        assert_eq!(normalise_code(&code.to_lowercase().replace('-', " ")), code);
        assert_ne!(new_code(), new_code());
        assert!(is_well_formed_code(&code));
        assert!(is_well_formed_code(&normalise_code("abcd efgh")));
        for bad in [
            "",
            "----",
            "-",
            "ABCD-EFG",
            "ABCD-EFGHJ",
            "ABCDEFGHJ",
            "ABCD-EFG0",
            "ABCD-EFGI",
        ] {
            assert!(!is_well_formed_code(&normalise_code(bad)), "{bad}");
        }
    }

    #[test]
    fn a_claim_survives_user_data() {
        let claim = SeatClaim {
            campaign: "table-7".into(),
            seat_id: 0xdead_beef_1234,
        };
        assert_eq!(
            SeatClaim::from_user_data(&claim.to_user_data()),
            Some(claim)
        );
    }
}
