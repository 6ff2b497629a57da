//! The squares a line of sight crosses: the geometry behind [`MapGrid::line_of_sight`].
//!
//! A line from square `a` to square `b` is sampled four times per square of its length
//! (between the squares' centres); each sample lies in the square its coordinates round to,
//! halves rounding up. The squares so found, other than `a` and `b`, are the ones that can
//! block it. The rounding is done in exact integer arithmetic, so the answer depends only on
//! the offset from `a` to `b`: the same line drawn anywhere on a map crosses the same squares.
//!
//! Offsets up to [`RAY_REACH`] squares long (every line the party's sight draws) are worked out
//! once, on first use, into one table; longer lines are walked sample by sample.
//!
//! [`MapGrid::line_of_sight`]: crate::grid::MapGrid::line_of_sight

use std::sync::OnceLock;

/// The longest offset, in squares along either axis, whose crossed squares are kept in the
/// table (the reach of sight: [`crate::vision::SIGHT_CAP_FT`] / 5 ft).
pub const RAY_REACH: i32 = 60;

/// `n / s` rounded to the nearest integer, halves up (`s > 0`; 128 bits: a line between any
/// two squares a client can name cannot overflow).
fn round_half_up(n: i128, s: i128) -> i128 {
    (2 * n + s).div_euclid(2 * s)
}

/// Calls `each` with every square strictly between the ends of a line of offset `(dx, dy)`,
/// as offsets from its start, in order from the start, each square once. Stops early when
/// `each` returns `false`; returns whether it never did.
fn walk(dx: i32, dy: i32, mut each: impl FnMut(i32, i32) -> bool) -> bool {
    let (dx, dy) = (i128::from(dx), i128::from(dy));
    let steps = dx.abs().max(dy.abs()).saturating_mul(4).max(1);
    let mut last = (0, 0);
    for i in 1..steps {
        let p = (round_half_up(dx * i, steps), round_half_up(dy * i, steps));
        // Samples advance monotonically, so a square's samples are consecutive.
        if p == last || p == (dx, dy) {
            continue;
        }
        last = p;
        if !each(p.0 as i32, p.1 as i32) {
            return false;
        }
    }
    true
}

/// Every offset's crossed squares up to [`RAY_REACH`], packed.
struct Rays {
    /// Where each offset's squares begin in `squares` (one more entry than offsets).
    start: Vec<u32>,
    /// The squares, as offsets.
    squares: Vec<(i8, i8)>,
}

const SIDE: i32 = 2 * RAY_REACH + 1;

fn rays() -> &'static Rays {
    static RAYS: OnceLock<Rays> = OnceLock::new();
    RAYS.get_or_init(|| {
        let mut start = Vec::with_capacity((SIDE * SIDE) as usize + 1);
        let mut squares = Vec::new();
        for dy in -RAY_REACH..=RAY_REACH {
            for dx in -RAY_REACH..=RAY_REACH {
                start.push(squares.len() as u32);
                walk(dx, dy, |x, y| {
                    // |x| and |y| ≤ RAY_REACH < 128.
                    squares.push((x as i8, y as i8));
                    true
                });
            }
        }
        start.push(squares.len() as u32);
        Rays { start, squares }
    })
}

/// Whether `clear` holds for every square strictly between the ends of a line of offset
/// `(dx, dy)` (offsets from the line's start), asked in order from the start and stopping at
/// the first that does not.
pub fn all_clear(dx: i32, dy: i32, mut clear: impl FnMut(i32, i32) -> bool) -> bool {
    if dx.abs() > RAY_REACH || dy.abs() > RAY_REACH {
        return walk(dx, dy, clear);
    }
    let r = rays();
    let i = ((dy + RAY_REACH) * SIDE + dx + RAY_REACH) as usize;
    r.squares[r.start[i] as usize..r.start[i + 1] as usize]
        .iter()
        .all(|&(x, y)| clear(i32::from(x), i32::from(y)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crossed(dx: i32, dy: i32) -> Vec<(i32, i32)> {
        let mut v = Vec::new();
        all_clear(dx, dy, |x, y| {
            v.push((x, y));
            true
        });
        v
    }

    #[test]
    fn a_straight_line_crosses_the_squares_between() {
        assert_eq!(crossed(3, 0), vec![(1, 0), (2, 0)]);
        assert_eq!(crossed(0, -3), vec![(0, -1), (0, -2)]);
        assert_eq!(crossed(-2, -2), vec![(-1, -1)]);
        assert!(crossed(1, 1).is_empty());
        assert!(crossed(0, 0).is_empty());
    }

    #[test]
    fn halves_round_up_the_same_way_everywhere() {
        // (0,0) → (2,1): the middle sample sits at (1, 0.5), which rounds up to (1, 1).
        assert_eq!(crossed(2, 1), vec![(1, 0), (1, 1)]);
        // Offset (11, 11·k) samples hit exact halves; single-precision floats used to round
        // some of them down (6.4999995 for 6.5) and others up.
        assert_eq!(crossed(44, 0).len(), 43);
        let c = crossed(11, 5);
        assert!(
            c.iter()
                .all(|&(x, y)| (0..=11).contains(&x) && (0..=5).contains(&y))
        );
    }

    #[test]
    fn the_table_agrees_with_the_walk_and_long_lines_still_work() {
        for (dx, dy) in [(60, 60), (-60, 17), (13, -59), (7, 3), (0, 60)] {
            let mut walked = Vec::new();
            walk(dx, dy, |x, y| {
                walked.push((x, y));
                true
            });
            assert_eq!(crossed(dx, dy), walked, "offset ({dx}, {dy})");
        }
        // Beyond the table: walked on the fly, ends excluded, each square once.
        let long = crossed(200, 1);
        let distinct: std::collections::BTreeSet<_> = long.iter().collect();
        assert_eq!(distinct.len(), long.len());
        assert!(long.len() >= 199);
        assert_eq!(long.first(), Some(&(1, 0)));
        assert_eq!(long.last(), Some(&(199, 1)));
    }

    #[test]
    fn stops_at_the_first_blocked_square() {
        let mut asked = 0;
        assert!(!all_clear(10, 0, |x, _| {
            asked += 1;
            x < 3
        }));
        assert_eq!(asked, 3);
    }
}
