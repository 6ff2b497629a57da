//! `journal`: `Journal::restore` on a campaign folder whose `meta.json`, `snapshot.json` and
//! `journal.jsonl` are mutated from real ones, written by the server's own `Journal::create`,
//! `record` and `snapshot` while a game is played. An input holds the three files, separated
//! by [`SEP`] lines (a missing part is a missing file). Restoring must answer `Ok` or `Err`,
//! never panic; and a restored campaign must keep working: an entry recorded after the restore
//! is found by the next restore, which rebuilds the same table and finds nothing to quarantine.

use super::Target;
use emberkeep_server::journal::{Entry, HostOp, Input, Journal, Meta, StoredSeat, apply};
use emberkeep_shared::prelude::*;
use emberkeep_shared::tactics::plan_turn;
use std::path::{Path, PathBuf};

/// Separates the files in an input.
const SEP: &[u8] = b"\n=====FILE=====\n";
const FILES: [&str; 3] = ["meta.json", "snapshot.json", "journal.jsonl"];

pub struct JournalTarget {
    /// Scratch space (tmpfs when there is one: restore syncs).
    root: PathBuf,
    seeds: Vec<Vec<u8>>,
}

impl Drop for JournalTarget {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn meta(id: &str, encounter: &str, seed: u64) -> Meta {
    Meta {
        id: id.into(),
        encounter: encounter.into(),
        seed,
        archived: false,
        seats: vec![
            StoredSeat {
                name: "host".into(),
                role: Role::Host,
                character: None,
                id: 11,
                code: "ABCD-EFGH".into(),
            },
            StoredSeat {
                name: "player-1".into(),
                role: Role::Player,
                character: Some(1),
                id: 12,
                code: "JKMN-PQRS".into(),
            },
        ],
    }
}

/// Plays a game as the server does (apply, then record), snapshotting after `snapshot_at`
/// entries; returns the campaign's folder.
fn play(
    lib: &ContentLibrary,
    root: &Path,
    id: &str,
    encounter: &str,
    seed: u64,
    snapshot_at: Option<u64>,
) -> anyhow::Result<PathBuf> {
    let mut table = Table::new(lib, encounter, seed, 30_000)?;
    let mut journal =
        Journal::create(root, &meta(id, encounter, seed), &table).map_err(anyhow::Error::msg)?;
    let mut t = 1_000;
    let mut entries = vec![
        Input::Joined {
            seat: "player-1".into(),
            player: "Ada".into(),
            character: Some(1),
        },
        Input::Host(HostOp::Narrate("The wind howls.".into())),
        Input::Act {
            actor: 1,
            action: Action::Declare {
                text: "I search the cart".into(),
            },
        },
        Input::Whisper {
            from: "player-1".into(),
            to: "host".into(),
            text: "psst".into(),
        },
    ];
    let mut accepted = 0;
    for step in 0..80 {
        let input = match entries.pop() {
            Some(input) => input,
            None if step % 7 == 0 => Input::Tick,
            None => match table.active() {
                Some(actor) => {
                    let Some(action) = plan_turn(&table.board(), actor).into_iter().next() else {
                        continue;
                    };
                    Input::Act { actor, action }
                }
                // Exploring: the first character walks toward the nearest foe.
                None => Input::Act {
                    actor: 1,
                    action: Action::Move {
                        path: toward_foe(&table),
                    },
                },
            },
        };
        t += 700;
        let entry = Entry { t, input };
        if apply(&mut table, &entry).is_ok() {
            journal.record(&entry).map_err(anyhow::Error::msg)?;
            accepted += 1;
            if Some(accepted) == snapshot_at {
                journal.snapshot(&table).map_err(anyhow::Error::msg)?;
            }
        }
    }
    Ok(journal.dir().to_path_buf())
}

/// Up to three squares of the way from character 1 to the nearest foe.
fn toward_foe(table: &Table) -> Vec<GridPos> {
    let Some(me) = table.combatant(1) else {
        return Vec::new();
    };
    let taken = |p: GridPos| table.combatants.iter().any(|c| c.id != 1 && c.pos == p);
    table
        .combatants
        .iter()
        .filter(|c| c.side == Side::Foe)
        .filter_map(|foe| {
            // Allies may be crossed, not ended on.
            let mut path = table.map.path_to(me.pos, foe.pos, |_| false)?;
            path.pop();
            path.truncate(3);
            while path.last().is_some_and(|&p| taken(p)) {
                path.pop();
            }
            Some(path)
        })
        .filter(|path| !path.is_empty())
        .min_by_key(|path| path.len())
        .unwrap_or_default()
}

fn pack(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.join(SEP)
}

fn unpack(input: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = input;
    while let Some(i) = rest.windows(SEP.len()).position(|w| w == SEP) {
        parts.push(&rest[..i]);
        rest = &rest[i + SEP.len()..];
    }
    parts.push(rest);
    parts
}

impl JournalTarget {
    pub fn new(assets: &Path) -> anyhow::Result<JournalTarget> {
        let shm = Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let root = base.join(format!("emberkeep-fuzz-journal-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root)?;
        let lib = ContentLibrary::load_dir(assets)?;
        let games = root.join("games");
        let mut seeds = Vec::new();
        for (id, encounter, seed, snapshot_at) in [
            ("ambush", "goblin-ambush", 1, None),
            ("crypt", "crypt-of-bones", 7, Some(25)),
            ("den", "wolf-den", 3, Some(30)),
        ] {
            let dir = play(&lib, &games, id, encounter, seed, snapshot_at)?;
            let parts = FILES
                .iter()
                .map(|f| std::fs::read(dir.join(f)))
                .collect::<Result<Vec<_>, _>>()?;
            // The same journal as an older server wrote it: lines without numbers.
            let journal = String::from_utf8_lossy(&parts[2]);
            let unnumbered: String = journal
                .lines()
                .map(|l| match l.strip_prefix("{\"n\":") {
                    Some(rest) => format!("{{{}\n", rest.split_once(',').map_or("", |r| r.1)),
                    None => format!("{l}\n"),
                })
                .collect();
            seeds.push(pack(&[
                parts[0].clone(),
                parts[1].clone(),
                unnumbered.into_bytes(),
            ]));
            seeds.push(pack(&parts));
        }
        Ok(JournalTarget { root, seeds })
    }
}

fn table_json(t: &Table) -> Result<serde_json::Value, String> {
    serde_json::to_value(t).map_err(|e| format!("a restored table does not serialise: {e}"))
}

impl Target for JournalTarget {
    fn name(&self) -> &'static str {
        "journal"
    }

    fn is_text(&self) -> bool {
        true
    }

    fn max_len(&self) -> usize {
        512 * 1024
    }

    fn seeds(&mut self) -> Vec<Vec<u8>> {
        self.seeds.clone()
    }

    fn run(&mut self, input: &[u8]) -> Result<bool, String> {
        let dir = self.root.join("campaign");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("scratch: {e}"))?;
        for (name, part) in FILES.iter().zip(unpack(input)) {
            std::fs::write(dir.join(name), part).map_err(|e| format!("scratch: {e}"))?;
        }
        let _ = Journal::list(&self.root);
        let Ok(mut first) = Journal::restore(&dir) else {
            return Ok(false);
        };
        // The campaign goes on: one more entry, applied and recorded as the server does.
        let entry = Entry {
            t: first.clock_ms.saturating_add(1),
            input: Input::Host(HostOp::Narrate("after the restart".into())),
        };
        apply(&mut first.table, &entry).map_err(|r| format!("a narration was rejected: {r}"))?;
        if first.journal.record(&entry).is_err() {
            return Ok(true);
        }
        let expected = table_json(&first.table)?;
        drop(first);
        let second = Journal::restore(&dir)
            .map_err(|e| format!("restored once, then not after recording one entry: {e}"))?;
        if second.quarantined != 0 {
            return Err(format!(
                "the second restore quarantined {} line(s) the first kept",
                second.quarantined
            ));
        }
        if table_json(&second.table)? != expected {
            return Err(
                "the second restore rebuilt another table than the first had (plus the entry recorded after it)"
                    .into(),
            );
        }
        Ok(true)
    }
}
