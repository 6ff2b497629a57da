//! A small byte mutator: stacked bit flips, interesting bytes and tokens, deletions,
//! truncation, splicing, repeated chunks, deep nesting and number swaps. Seeded, so a run
//! with the same seed and corpus makes the same inputs.

use rand::Rng;
use rand::rngs::StdRng;

/// Byte strings that break binary decoders: varints at their limits, lengths, zeros.
const BYTES: &[&[u8]] = &[
    b"\x00",
    b"\x01",
    b"\x7f",
    b"\x80",
    b"\xff",
    b"\xff\xff\xff\xff\x0f",
    b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
    b"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01",
    b"\xff\xff\xff\xff\xff\xff\xff\xff",
    b"\x00\x00\x00\x00",
];

/// Text tokens that break text formats (JSON, RON, URLs, HTTP) and the code reading them.
const TOKENS: &[&str] = &[
    "-1",
    "0",
    "255",
    "65536",
    "2147483647",
    "-2147483648",
    "4294967295",
    "9223372036854775807",
    "18446744073709551615",
    "99999999999999999999999",
    "1e309",
    "-0.0",
    "NaN",
    "inf",
    "null",
    "true",
    "None",
    "Some(",
    "\"\"",
    "[]",
    "{}",
    "()",
    ",",
    ":",
    "\"",
    "'",
    "\\",
    "\\u0000",
    "\\ud800",
    "\u{0}",
    "\u{1b}[2J",
    "\u{202e}",
    "\u{feff}",
    "é",
    "𝕏",
    "\r\n",
    "\n",
    " ",
    "%",
    "%00",
    "%ff",
    "%2e%2e/",
    "../",
    "/",
    "?",
    "#",
    "&",
    "=",
    "code=",
    "&code=",
    "Host: [::1]:1\r\n",
    "Content-Length: 99999999999\r\n",
    "Transfer-Encoding: chunked\r\n",
    "\r\n\r\n",
];

/// Mutates `input` with 1 to 4 stacked mutations, drawing splices from `corpus`; the result is
/// at most `max_len` bytes.
pub fn mutate(rng: &mut StdRng, input: &[u8], corpus: &[Vec<u8>], max_len: usize) -> Vec<u8> {
    let mut out = input.to_vec();
    let rounds = 1 + rng.random_range(0..4u32).min(rng.random_range(0..4u32));
    for _ in 0..rounds {
        mutate_once(rng, &mut out, corpus);
    }
    out.truncate(max_len);
    out
}

fn pos(rng: &mut StdRng, len: usize) -> usize {
    rng.random_range(0..=len)
}

fn mutate_once(rng: &mut StdRng, out: &mut Vec<u8>, corpus: &[Vec<u8>]) {
    let len = out.len();
    match rng.random_range(0..12u32) {
        // Flip a bit.
        0 if len > 0 => {
            let i = rng.random_range(0..len);
            out[i] ^= 1 << rng.random_range(0..8);
        }
        // Set a byte (random or interesting).
        1 if len > 0 => {
            let i = rng.random_range(0..len);
            out[i] = match rng.random_range(0..3) {
                0 => rng.random(),
                _ => [0x00, 0x01, 0x7f, 0x80, 0xff, b'"', b'(', b'\n'][rng.random_range(0..8)],
            };
        }
        // Add to a byte.
        2 if len > 0 => {
            let i = rng.random_range(0..len);
            let d: u8 = rng.random_range(1..=16);
            out[i] = if rng.random() {
                out[i].wrapping_add(d)
            } else {
                out[i].wrapping_sub(d)
            };
        }
        // Delete a range.
        3 if len > 0 => {
            let i = rng.random_range(0..len);
            let n = rng.random_range(1..=16.min(len - i));
            out.drain(i..i + n);
        }
        // Insert interesting bytes.
        4 => {
            let b = BYTES[rng.random_range(0..BYTES.len())];
            let at = pos(rng, len);
            out.splice(at..at, b.iter().copied());
        }
        // Insert a token.
        5 => {
            let t = TOKENS[rng.random_range(0..TOKENS.len())];
            let at = pos(rng, len);
            out.splice(at..at, t.bytes());
        }
        // Truncate.
        6 if len > 0 => out.truncate(rng.random_range(0..len)),
        // Splice: our head, another input's tail.
        7 if !corpus.is_empty() => {
            let other = &corpus[rng.random_range(0..corpus.len())];
            let at = pos(rng, len);
            let from = pos(rng, other.len());
            out.truncate(at);
            out.extend_from_slice(&other[from..]);
        }
        // Insert a chunk of another input.
        8 if !corpus.is_empty() => {
            let other = &corpus[rng.random_range(0..corpus.len())];
            if !other.is_empty() {
                let from = rng.random_range(0..other.len());
                let n = rng.random_range(1..=64.min(other.len() - from));
                let at = pos(rng, len);
                out.splice(at..at, other[from..from + n].iter().copied());
            }
        }
        // Repeat a chunk of our own (long runs, repeated fields).
        9 if len > 0 => {
            let i = rng.random_range(0..len);
            let n = rng.random_range(1..=8.min(len - i));
            let times = [2, 8, 64, 1000][rng.random_range(0..4)];
            let chunk = out[i..i + n].repeat(times);
            out.splice(i..i, chunk);
        }
        // Deep nesting: many openers (and sometimes their closers).
        10 => {
            let (open, close): (&[u8], &[u8]) = match rng.random_range(0..5) {
                0 => (b"[", b"]"),
                1 => (b"{\"a\":", b"}"),
                2 => (b"(", b")"),
                3 => (b"Some(", b")"),
                _ => (b"\x01", b""),
            };
            let depth = [16, 200, 5000][rng.random_range(0..3)];
            let at = pos(rng, len);
            let mut nest = open.repeat(depth);
            if rng.random() {
                nest.extend_from_slice(b"0");
                nest.extend(close.repeat(depth));
            }
            out.splice(at..at, nest);
        }
        // Replace a number with an interesting one.
        _ => {
            let start = pos(rng, len);
            let Some(i) = out[start..].iter().position(|b| b.is_ascii_digit()) else {
                return;
            };
            let mut a = start + i;
            if a > 0 && out[a - 1] == b'-' {
                a -= 1;
            }
            let b = a
                + 1
                + out[a + 1..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
            let number = match rng.random_range(0..3) {
                0 => rng.random::<u64>().to_string(),
                1 => (rng.random_range(-3i64..40)).to_string(),
                _ => TOKENS[rng.random_range(0..12)].to_string(),
            };
            out.splice(a..b, number.bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn mutation_is_seeded_and_bounded() {
        let corpus = vec![b"{\"a\": [1, 2, 3]}".to_vec(), b"(x: 12)".to_vec()];
        let run = |seed| {
            let mut rng = StdRng::seed_from_u64(seed);
            (0..200)
                .map(|i| mutate(&mut rng, &corpus[i % 2], &corpus, 300))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        assert!(run(7).iter().all(|m| m.len() <= 300));
    }
}
