//! Join-code guessing throttle: token buckets of failed guesses per address (IPv6 by /64, since
//! one host owns a whole /64) and for the whole server. Only failed guesses spend tokens; a
//! address that recently presented a valid code is exempt from the server-wide bucket, so a
//! flood of guesses from many addresses cannot lock out players who already joined.
//! Time is passed in, so the arithmetic is tested without sleeping.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// How many failed guesses are allowed, and how fast the allowance refills.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GuessLimits {
    /// Failed guesses one address may make at once.
    pub per_address_burst: u32,
    /// One more failed guess per address every this long (10 s: 6 a minute).
    pub per_address_refill: Duration,
    /// Failed guesses the whole server may take at once.
    pub server_burst: u32,
    /// One more server-wide failed guess every this long.
    pub server_refill: Duration,
}

impl Default for GuessLimits {
    fn default() -> Self {
        GuessLimits {
            per_address_burst: 5,
            per_address_refill: Duration::from_secs(10),
            server_burst: 120,
            server_refill: Duration::from_millis(200),
        }
    }
}

/// A token bucket stored as "the time at which it is full again" (GCRA): no floats, no drift.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    full_at: Instant,
}

impl Bucket {
    /// Spends one token at `now`; `Err(wait)` if none is left.
    fn spend(&mut self, now: Instant, burst: u32, refill: Duration) -> Result<(), Duration> {
        let window = refill.saturating_mul(burst);
        let start = self.full_at.max(now);
        let next = start + refill;
        // Over the window: the bucket is empty until one token has come back.
        match next.checked_duration_since(now) {
            Some(ahead) if ahead > window => Err(ahead.saturating_sub(window)),
            _ => {
                self.full_at = next;
                Ok(())
            }
        }
    }

    /// Whether a spend would succeed, without spending.
    fn check(&self, now: Instant, burst: u32, refill: Duration) -> Result<(), Duration> {
        let mut copy = *self;
        copy.spend(now, burst, refill)
    }

    fn is_full(&self, now: Instant) -> bool {
        self.full_at <= now
    }
}

/// The key an address is throttled under.
pub(crate) fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// Addresses tracked at most; past this, full buckets are forgotten first.
const MAX_TRACKED: usize = 65_536;
/// How long an address that presented a valid code stays exempt from the server-wide bucket.
const TRUSTED_FOR: Duration = Duration::from_secs(24 * 3600);

/// The throttle's state (behind a mutex in the HTTP server).
#[derive(Debug)]
pub struct Throttle {
    limits: GuessLimits,
    addresses: HashMap<IpAddr, Bucket>,
    trusted: HashMap<IpAddr, Instant>,
    server: Bucket,
    /// Guesses refused with 429.
    pub refused: u64,
}

impl Throttle {
    /// A throttle with these limits, starting full at `now`.
    pub fn new(limits: GuessLimits, now: Instant) -> Self {
        Throttle {
            limits,
            addresses: HashMap::new(),
            trusted: HashMap::new(),
            server: Bucket { full_at: now },
            refused: 0,
        }
    }

    /// May `ip` try a code now? `Err(retry_after)` if it must wait.
    pub fn admit(&mut self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let k = key(ip);
        let l = self.limits;
        let verdict = self
            .addresses
            .get(&k)
            .map_or(Ok(()), |b| {
                b.check(now, l.per_address_burst, l.per_address_refill)
            })
            .and_then(|()| {
                if self.is_trusted(k, now) {
                    Ok(())
                } else {
                    self.server.check(now, l.server_burst, l.server_refill)
                }
            });
        if verdict.is_err() {
            self.refused = self.refused.saturating_add(1);
        }
        verdict
    }

    /// Records a failed guess from `ip`.
    pub fn failed(&mut self, ip: IpAddr, now: Instant) {
        let k = key(ip);
        let l = self.limits;
        if self.addresses.len() >= MAX_TRACKED && !self.addresses.contains_key(&k) {
            self.addresses.retain(|_, b| !b.is_full(now));
            self.trusted
                .retain(|_, at| now.saturating_duration_since(*at) < TRUSTED_FOR);
        }
        if self.addresses.len() < MAX_TRACKED || self.addresses.contains_key(&k) {
            let bucket = self.addresses.entry(k).or_insert(Bucket { full_at: now });
            let _ = bucket.spend(now, l.per_address_burst, l.per_address_refill);
        }
        if !self.is_trusted(k, now) {
            let _ = self.server.spend(now, l.server_burst, l.server_refill);
        }
    }

    /// Records a valid code from `ip`: it is exempt from the server-wide bucket for a day.
    pub fn succeeded(&mut self, ip: IpAddr, now: Instant) {
        let k = key(ip);
        if self.trusted.len() < MAX_TRACKED || self.trusted.contains_key(&k) {
            self.trusted.insert(k, now);
        }
    }

    fn is_trusted(&self, k: IpAddr, now: Instant) -> bool {
        self.trusted
            .get(&k)
            .is_some_and(|at| now.saturating_duration_since(*at) < TRUSTED_FOR)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// Guesses one address gets in `minutes`, guessing as fast as it is allowed.
    fn misses_in(t: &mut Throttle, who: IpAddr, start: Instant, minutes: u64) -> u32 {
        let mut n = 0;
        let mut now = start;
        let end = start + Duration::from_secs(60 * minutes);
        while now < end {
            match t.admit(who, now) {
                Ok(()) => {
                    t.failed(who, now);
                    n += 1;
                }
                Err(wait) => {
                    assert!(wait > Duration::ZERO && wait <= Duration::from_secs(10));
                    now += wait;
                }
            }
        }
        n
    }

    #[test]
    fn one_address_gets_a_small_burst_then_well_under_ten_a_minute() {
        let start = Instant::now();
        let mut t = Throttle::new(GuessLimits::default(), start);
        let who = ip("203.0.113.7");
        // Burst of 5 at once, then one every 10 s (at 10 s, 20 s, … 590 s): 6 a minute.
        let n = misses_in(&mut t, who, start, 10);
        assert_eq!(n, 5 + 59);
        // Another address is not affected.
        assert!(
            t.admit(ip("203.0.113.8"), start + Duration::from_secs(600))
                .is_ok()
        );
    }

    #[test]
    fn ipv6_hosts_are_throttled_by_their_64() {
        let start = Instant::now();
        let mut t = Throttle::new(GuessLimits::default(), start);
        for i in 0..5u16 {
            let a = IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0, 0, 0, i + 1));
            assert!(t.admit(a, start).is_ok());
            t.failed(a, start);
        }
        let other_in_same_64 = ip("2001:db8:1:2::ffff");
        assert!(t.admit(other_in_same_64, start).is_err());
        assert!(t.admit(ip("2001:db8:1:3::1"), start).is_ok());
    }

    #[test]
    fn the_server_wide_bucket_caps_many_addresses_but_spares_known_players() {
        let start = Instant::now();
        let limits = GuessLimits {
            server_burst: 10,
            ..GuessLimits::default()
        };
        let mut t = Throttle::new(limits, start);
        let player = ip("198.51.100.1");
        t.succeeded(player, start);
        for i in 0..10u8 {
            let a = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, i));
            assert!(t.admit(a, start).is_ok());
            t.failed(a, start);
        }
        let wait = t.admit(ip("203.0.113.200"), start).unwrap_err();
        assert_eq!(wait, Duration::from_millis(200));
        assert!(t.admit(player, start).is_ok(), "a known player still joins");
        assert_eq!(t.refused, 1);
        // After the refill interval one more guess is allowed.
        assert!(t.admit(ip("203.0.113.200"), start + wait).is_ok());
    }

    #[test]
    fn tracked_addresses_stay_bounded() {
        let start = Instant::now();
        let mut t = Throttle::new(GuessLimits::default(), start);
        let later = start + Duration::from_secs(3600);
        for i in 0..(MAX_TRACKED as u32 + 10) {
            let a = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            t.failed(a, if i < 100 { start } else { later });
        }
        assert!(t.addresses.len() <= MAX_TRACKED);
    }
}
