//! Name labels that never overlap. Each token's short name is placed under it if that space is
//! free, else over it, else shortened to its own square's width (under, then over), else left
//! out; the creature under the cursor (the mouse, the keyboard cursor or a tap) always shows
//! its whole name, first. The creature whose turn it is comes next, then the party, then the
//! rest, so the names that matter keep their place. Placement is a pure function of where the
//! tokens stand ([`place`]), tested below with the labels' real sizes.

use super::map::{MapCursor, MapSize, NameLabel, SQUARE, Token, short_name};
use super::map_text::MapText;
use bevy::prelude::*;
use emberkeep_shared::content::Condition;
use emberkeep_shared::prelude::*;

/// The label's font size, in world units (the map's font is monospaced).
pub const FONT: f32 = 9.0;
/// A character's advance in the monospaced font, as a share of the font size.
const ADVANCE: f32 = 0.6;
/// A label's height, in world units (the line's height).
const HEIGHT: f32 = FONT * 1.3;
/// Under the token (below its disc) and over it (above its HP bar).
const BELOW: f32 = -SQUARE * 0.62;
const ABOVE: f32 = SQUARE * 0.5 + 2.0 + HEIGHT / 2.0 + 1.0;

/// One token to label.
#[derive(Debug, Clone)]
pub struct ToLabel {
    /// Its id.
    pub id: CombatantId,
    /// Where it stands.
    pub at: GridPos,
    /// The name to show.
    pub name: String,
    /// Lower comes first.
    pub rank: u8,
}

/// Where a label went.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    /// The token.
    pub id: CombatantId,
    /// What it says (the name, or its start and a full stop); empty when left out.
    pub text: String,
    /// Its centre, from the token's centre.
    pub offset: Vec2,
}

/// The box a label's text covers, in world units, with its centre at `centre`, and a pixel
/// of air on each side.
pub fn text_box(centre: Vec2, text: &str) -> Rect {
    let width = text.chars().count() as f32 * FONT * ADVANCE;
    Rect::from_center_size(centre, Vec2::new(width + 2.0, HEIGHT))
}

/// `name` cut to fit one square's width, ending in a full stop (the map's font has no
/// ellipsis).
fn fitted(name: &str) -> String {
    let fits = ((SQUARE - 3.0) / (FONT * ADVANCE)).floor() as usize;
    if name.chars().count() <= fits {
        return name.to_string();
    }
    let mut cut: String = name.chars().take(fits.saturating_sub(1)).collect();
    cut.push('.');
    cut
}

/// The centre of a token standing on `at`, in world units from the map's origin square.
fn centre(at: GridPos) -> Vec2 {
    Vec2::new(at.x as f32 * SQUARE, -(at.y as f32) * SQUARE)
}

/// What a token covers: its disc and, above it, its HP bar.
fn token_box(at: GridPos) -> Rect {
    let c = centre(at);
    Rect::from_corners(
        c + Vec2::new(-SQUARE * 0.43, -SQUARE * 0.43),
        c + Vec2::new(SQUARE * 0.43, SQUARE * 0.5 + 2.0),
    )
}

/// Places every label so that no two overlap and none covers another token (see the module
/// docs): first every label at its square's width (whole names that fit, others cut), by
/// rank, then each cut name whole where there is room for it.
pub fn place(tokens: &[ToLabel]) -> Vec<Placed> {
    let mut order: Vec<&ToLabel> = tokens.iter().collect();
    order.sort_by_key(|t| (t.rank, t.id));
    let others: Vec<Vec<Rect>> = order
        .iter()
        .map(|t| {
            tokens
                .iter()
                .filter(|o| o.id != t.id && o.at != t.at)
                .map(|o| token_box(o.at))
                .collect()
        })
        .collect();
    let mut spots: Vec<Option<(String, Vec2, Rect)>> = vec![None; order.len()];
    // Where `text` can go for the i-th token, clear of every other label and token.
    let find = |i: usize, text: &str, spots: &[Option<(String, Vec2, Rect)>]| {
        let at = centre(order[i].at);
        let width = text_box(Vec2::ZERO, text).width();
        // Centred, or flush with one edge of its square.
        let shift = ((SQUARE - width) / 2.0).abs();
        [BELOW, ABOVE]
            .into_iter()
            .flat_map(|dy| [0.0, shift, -shift].map(|dx| Vec2::new(dx, dy)))
            .find_map(|offset| {
                let rect = text_box(at + offset, text);
                let free = spots
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .filter_map(|(_, s)| s.as_ref().map(|s| s.2))
                    .chain(others[i].iter().copied())
                    .all(|r| r.intersect(rect).is_empty());
                free.then(|| (text.to_string(), offset, rect))
            })
    };
    for i in 0..order.len() {
        let t = order[i];
        // The creature under the cursor asks for its whole name first.
        let texts = if t.rank == 0 {
            vec![t.name.clone(), fitted(&t.name)]
        } else {
            vec![fitted(&t.name)]
        };
        spots[i] = texts.iter().find_map(|text| find(i, text, &spots));
    }
    for i in 0..order.len() {
        let t = order[i];
        if spots[i].as_ref().is_some_and(|s| s.0 != t.name)
            && let Some(whole) = find(i, &t.name, &spots)
        {
            spots[i] = Some(whole);
        }
    }
    order
        .iter()
        .zip(spots)
        .map(|(t, spot)| match spot {
            Some((text, offset, _)) => Placed {
                id: t.id,
                text,
                offset,
            },
            None => Placed {
                id: t.id,
                text: String::new(),
                offset: Vec2::new(0.0, BELOW),
            },
        })
        .collect()
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Update, arrange.after(super::map::MapSystems));
}

/// Places the labels again when a token moved, fell, changed its name, or the cursor or the
/// turn moved.
#[allow(
    clippy::type_complexity,
    reason = "the tokens and their label children"
)]
fn arrange(
    tokens: Query<(&CombatantSheet, &CombatantStatus, &Children), With<Token>>,
    changed: Query<
        (),
        (
            With<Token>,
            Or<(
                Changed<CombatantStatus>,
                Changed<CombatantSheet>,
                Added<Token>,
            )>,
        ),
    >,
    mut labels: Query<(&mut MapText, &mut Transform, &mut Visibility), With<NameLabel>>,
    tables: Query<Ref<TableView>>,
    cursor: Res<MapCursor>,
    size: Res<MapSize>,
) {
    let table = tables.iter().next();
    let turn_moved = table.as_ref().is_some_and(|t| t.is_changed());
    if changed.is_empty() && !turn_moved && !cursor.is_changed() && !size.is_changed() {
        return;
    }
    let active = table.and_then(|t| t.active);
    let list: Vec<ToLabel> = tokens
        .iter()
        .map(|(sheet, status, _)| {
            let dead = status.conditions.contains(&Condition::Dead);
            let rank = if cursor.0 == Some(status.pos) && !dead {
                0
            } else if active == Some(sheet.id) {
                1
            } else if dead {
                4
            } else if sheet.side == Side::Party {
                2
            } else {
                3
            };
            ToLabel {
                id: sheet.id,
                at: status.pos,
                name: short_name(&sheet.name),
                rank,
            }
        })
        .collect();
    let placed = place(&list);
    for (sheet, _, children) in &tokens {
        let Some(p) = placed.iter().find(|p| p.id == sheet.id) else {
            continue;
        };
        for child in children.iter() {
            if let Ok((mut text, mut at, mut shown)) = labels.get_mut(child) {
                if text.text != p.text && !p.text.is_empty() {
                    text.text = p.text.clone();
                }
                at.translation.x = p.offset.x;
                at.translation.y = p.offset.y;
                let want = if p.text.is_empty() {
                    Visibility::Hidden
                } else {
                    Visibility::Inherited
                };
                shown.set_if_neq(want);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(id: CombatantId, x: i32, y: i32, name: &str, rank: u8) -> ToLabel {
        ToLabel {
            id,
            at: GridPos::new(x, y),
            name: name.into(),
            rank,
        }
    }

    fn boxes(tokens: &[ToLabel], placed: &[Placed]) -> Vec<(String, Rect)> {
        placed
            .iter()
            .filter(|p| !p.text.is_empty())
            .map(|p| {
                let t = tokens.iter().find(|t| t.id == p.id).unwrap();
                (p.text.clone(), text_box(centre(t.at) + p.offset, &p.text))
            })
            .collect()
    }

    fn no_overlap(tokens: &[ToLabel]) -> Vec<Placed> {
        let placed = place(tokens);
        let b = boxes(tokens, &placed);
        for (i, (a, ra)) in b.iter().enumerate() {
            for (c, rc) in &b[i + 1..] {
                assert!(
                    ra.intersect(*rc).is_empty(),
                    "{a:?} {ra:?} overlaps {c:?} {rc:?}"
                );
            }
            // Nor does a label cover a token other than its own.
            let own = placed.iter().find(|p| &p.text == a).unwrap().id;
            for t in tokens.iter().filter(|t| t.id != own) {
                assert!(
                    ra.intersect(token_box(t.at)).is_empty(),
                    "{a:?} covers {}",
                    t.name
                );
            }
        }
        placed
    }

    /// The party as the goblin ambush starts it (Brakka and Lia side by side, Brother and
    /// Ysolde under them): the screenshot showed "BrotherYsolde".
    #[test]
    fn labels_of_adjacent_tokens_do_not_overlap() {
        let party = [
            token(1, 1, 5, "Brakka", 2),
            token(2, 2, 5, "Lia", 2),
            token(3, 1, 6, "Brother", 2),
            token(4, 2, 6, "Ysolde", 2),
        ];
        let placed = no_overlap(&party);
        // Everyone keeps a label, whole or cut to its square.
        assert!(placed.iter().all(|p| !p.text.is_empty()), "{placed:?}");
        // A crowd: a 4×4 block of long names, every label clear of every other.
        let mut crowd = Vec::new();
        for i in 0..16 {
            crowd.push(token(i, (i % 4) as i32, (i / 4) as i32, "Skeleton 12", 3));
        }
        let placed = no_overlap(&crowd);
        // The top row over their tokens and the bottom row under theirs, at least.
        assert!(
            placed.iter().filter(|p| !p.text.is_empty()).count() >= 8,
            "{placed:?}"
        );
    }

    /// Whoever is under the cursor shows its whole name, before anyone else's.
    #[test]
    fn the_creature_under_the_cursor_shows_its_whole_name() {
        let tokens = [
            token(1, 0, 0, "Brother", 2),
            token(2, 1, 0, "Ysolde", 0),
            token(3, 2, 0, "Snaga", 3),
        ];
        let placed = no_overlap(&tokens);
        let ysolde = placed.iter().find(|p| p.id == 2).unwrap();
        assert_eq!(ysolde.text, "Ysolde");
        // Its neighbours give way: shortened or moved over their tokens.
        let brother = placed.iter().find(|p| p.id == 1).unwrap();
        assert!(
            brother.text != "Brother" || brother.offset.y > 0.0,
            "{brother:?}"
        );
    }

    /// A long name is cut to its square's width; a short one is kept. (The width is the map
    /// font's: Hack, egui's monospaced face, advances 0.6 em a character.)
    #[test]
    fn a_long_name_is_cut_to_its_square() {
        assert_eq!(fitted("Brakka"), "Brak.");
        assert_eq!(fitted("Lia"), "Lia");
        let w = text_box(Vec2::ZERO, "Brother").width();
        assert!((w - 7.0 * FONT * ADVANCE - 2.0).abs() < 0.01);
    }
}
