//! Persistence: per campaign, an append-only journal of accepted inputs (flushed and synced as
//! each is accepted) and periodic snapshots, in `--data-dir/<campaign>/`. Replaying the
//! journal after the last snapshot through [`apply`] rebuilds the table exactly, because the
//! table is deterministic for its seed.

use emberkeep_shared::event::{Audience, GameEvent};
use emberkeep_shared::prelude::*;
use emberkeep_shared::protocol::Role;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// A host action that changes the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HostOp {
    /// Pause.
    Pause,
    /// Resume.
    Resume,
    /// Skip the active turn.
    Skip,
    /// Set the turn timeout (seconds).
    Timeout(u64),
    /// End the combat.
    EndCombat,
    /// Narrate to everyone.
    Narrate(String),
    /// Whisper to one seat.
    Whisper {
        /// Seat.
        to: String,
        /// Text.
        text: String,
    },
}

/// Everything that can change a table, as recorded in the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Input {
    /// A character's intent.
    Act {
        /// Who.
        actor: CombatantId,
        /// What.
        action: Action,
    },
    /// Time passed and something happened (a timeout or an NPC turn).
    Tick,
    /// A player took a seat.
    Joined {
        /// Seat.
        seat: String,
        /// Player name.
        player: String,
        /// Character.
        character: Option<CombatantId>,
    },
    /// A player left.
    Left {
        /// Seat.
        seat: String,
        /// Player name.
        player: String,
    },
    /// A whisper between seats.
    Whisper {
        /// From seat.
        from: String,
        /// To seat.
        to: String,
        /// Text.
        text: String,
    },
    /// A host action.
    Host(HostOp),
    /// A finished narration.
    Narration {
        /// The id its chunks carried.
        id: u64,
        /// Text.
        text: String,
        /// Who wrote it.
        source: String,
    },
    /// An NPC's turn as chosen by the narrator's NPC brain (or its fallback).
    NpcTurn {
        /// The NPC.
        npc: CombatantId,
        /// The chosen plan (each action validated by the rules).
        plan: Vec<Action>,
    },
    /// Time passed with NPC turns left to the brain: only player timeouts apply.
    Timeouts,
}

/// One journal line: table time and input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Table clock (ms).
    pub t: u64,
    /// What happened.
    pub input: Input,
}

/// Applies one input to a table: the single path for live play and for replay.
pub fn apply(table: &mut Table, entry: &Entry) -> Result<(), Rejection> {
    let t = entry.t;
    match &entry.input {
        Input::Act { actor, action } => table.submit(*actor, action.clone(), t),
        Input::Tick => {
            table.tick(t);
            Ok(())
        }
        Input::Joined {
            seat,
            player,
            character,
        } => {
            table.player_joined(seat, player, *character, t);
            Ok(())
        }
        Input::Left { seat, player } => {
            table.player_left(seat, player, t);
            Ok(())
        }
        Input::Whisper { from, to, text } => {
            table.emit_to(
                t,
                Audience::Seats(vec![from.clone(), to.clone()]),
                GameEvent::Whisper {
                    from: from.clone(),
                    to: to.clone(),
                    text: text.clone(),
                },
            );
            Ok(())
        }
        Input::Narration { id, text, source } => {
            table.emit_to(
                t,
                Audience::Public,
                GameEvent::Narration {
                    id: *id,
                    text: text.clone(),
                    source: source.clone(),
                },
            );
            Ok(())
        }
        Input::NpcTurn { npc, plan } => {
            if table.active() != Some(*npc) {
                return Err(Rejection::new(
                    RejectCode::NotYourTurn,
                    "that NPC's turn is over",
                ));
            }
            table.play_npc_turn(*npc, plan.clone(), t);
            Ok(())
        }
        Input::Timeouts => {
            table.tick_players(t);
            Ok(())
        }
        Input::Host(op) => match op {
            HostOp::Pause => table.pause(t),
            HostOp::Resume => table.resume(t),
            HostOp::Skip => table.skip_turn(t),
            HostOp::Timeout(s) => table.set_turn_timeout(*s, t),
            HostOp::EndCombat => table.end_combat(t),
            HostOp::Narrate(text) => {
                table.emit_to(
                    t,
                    Audience::Public,
                    GameEvent::HostNarration { text: text.clone() },
                );
                Ok(())
            }
            HostOp::Whisper { to, text } => {
                table.emit_to(
                    t,
                    Audience::Seats(vec![to.clone()]),
                    GameEvent::Whisper {
                        from: "host".into(),
                        to: to.clone(),
                        text: text.clone(),
                    },
                );
                Ok(())
            }
        },
    }
}

/// A seat as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSeat {
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Character.
    pub character: Option<CombatantId>,
    /// Current seat id (changes when the code is revoked or re-issued).
    pub id: u64,
    /// Current join code.
    pub code: String,
}

/// What identifies a campaign on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// Campaign id.
    pub id: String,
    /// Encounter id.
    pub encounter: String,
    /// RNG seed.
    pub seed: u64,
    /// Archived campaigns are not resumed at start.
    pub archived: bool,
    /// Seats with their ids and codes.
    pub seats: Vec<StoredSeat>,
}

#[derive(Serialize, Deserialize)]
struct Snapshot {
    /// Journal lines already folded into `table`.
    journal_len: u64,
    table: Table,
}

/// A campaign's files.
#[derive(Debug)]
pub struct Journal {
    dir: PathBuf,
    file: File,
    /// Lines in the journal.
    pub len: u64,
    /// Lines since the last snapshot.
    pub since_snapshot: u64,
}

/// A campaign read back from disk.
#[derive(Debug)]
pub struct Restored {
    /// Its meta.
    pub meta: Meta,
    /// The table, with the whole journal replayed.
    pub table: Table,
    /// The table time of the last entry (the clock continues from there).
    pub clock_ms: u64,
    /// The journal, open for appending.
    pub journal: Journal,
    /// Entries replayed after the snapshot.
    pub replayed: u64,
}

fn io_err(path: &Path, e: impl std::fmt::Display) -> String {
    format!("{}: {e}", path.display())
}

/// Writes `bytes` to `path` atomically (write a temporary file, sync, rename).
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let tmp = path.with_extension("tmp");
    let mut f = File::create(&tmp).map_err(|e| io_err(&tmp, e))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| io_err(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io_err(path, e))
}

impl Journal {
    /// Creates the files of a new campaign.
    pub fn create(root: &Path, meta: &Meta, table: &Table) -> Result<Journal, String> {
        let dir = root.join(&meta.id);
        std::fs::create_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
        let path = dir.join("journal.jsonl");
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&path)
            .map_err(|e| io_err(&path, e))?;
        let mut journal = Journal {
            dir,
            file,
            len: 0,
            since_snapshot: 0,
        };
        journal.write_meta(meta)?;
        journal.snapshot(table)?;
        Ok(journal)
    }

    /// Rewrites the campaign's meta (seats, codes, archived flag).
    pub fn write_meta(&mut self, meta: &Meta) -> Result<(), String> {
        let text = serde_json::to_vec_pretty(meta).map_err(|e| e.to_string())?;
        write_atomic(&self.dir.join("meta.json"), &text)
    }

    /// Appends an accepted input and makes it durable before returning.
    pub fn record(&mut self, entry: &Entry) -> Result<(), String> {
        let mut line = serde_json::to_vec(entry).map_err(|e| e.to_string())?;
        line.push(b'\n');
        let path = self.dir.join("journal.jsonl");
        self.file
            .write_all(&line)
            .and_then(|_| self.file.sync_data())
            .map_err(|e| io_err(&path, e))?;
        self.len += 1;
        self.since_snapshot += 1;
        Ok(())
    }

    /// Writes a snapshot of the table as of the current journal length.
    pub fn snapshot(&mut self, table: &Table) -> Result<(), String> {
        let snap = Snapshot {
            journal_len: self.len,
            table: table.clone(),
        };
        let bytes = serde_json::to_vec(&snap).map_err(|e| e.to_string())?;
        write_atomic(&self.dir.join("snapshot.json"), &bytes)?;
        self.since_snapshot = 0;
        Ok(())
    }

    /// Reads a campaign folder back: meta, snapshot, and the journal after it. A torn last
    /// line (the process died mid-write) is ignored: it was never acknowledged.
    pub fn restore(dir: &Path) -> Result<Restored, String> {
        let meta: Meta = read_json(&dir.join("meta.json"))?;
        let snap: Snapshot = read_json(&dir.join("snapshot.json"))?;
        let path = dir.join("journal.jsonl");
        let mut table = snap.table;
        let mut clock_ms = table.log.back().map_or(0, |e| e.at_ms);
        let mut len = 0u64;
        let mut replayed = 0;
        let mut good_bytes = 0u64;
        if let Ok(f) = File::open(&path) {
            for line in BufReader::new(f).split(b'\n') {
                let line = line.map_err(|e| io_err(&path, e))?;
                let Ok(entry) = serde_json::from_slice::<Entry>(&line) else {
                    break;
                };
                good_bytes += line.len() as u64 + 1;
                len += 1;
                if len > snap.journal_len {
                    // Accepted when recorded; replay it the same way (a rejection cannot happen
                    // on a deterministic replay, and would change nothing if it did).
                    let _ = apply(&mut table, &entry);
                    replayed += 1;
                }
                clock_ms = clock_ms.max(entry.t);
            }
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| io_err(&path, e))?;
        // Drop a torn tail so new lines start on a line of their own.
        file.set_len(good_bytes).map_err(|e| io_err(&path, e))?;
        let journal = Journal {
            dir: dir.to_path_buf(),
            file,
            len,
            since_snapshot: replayed,
        };
        Ok(Restored {
            meta,
            table,
            clock_ms,
            journal,
            replayed,
        })
    }

    /// Campaign folders under `root`, with their meta.
    pub fn list(root: &Path) -> Vec<(PathBuf, Meta)> {
        let mut out = Vec::new();
        if let Ok(entries) = std::fs::read_dir(root) {
            for e in entries.flatten() {
                if let Ok(meta) = read_json::<Meta>(&e.path().join("meta.json")) {
                    out.push((e.path(), meta));
                }
            }
        }
        out.sort_by(|a, b| a.1.id.cmp(&b.1.id));
        out
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, String> {
    let bytes = std::fs::read(path).map_err(|e| io_err(path, e))?;
    serde_json::from_slice(&bytes).map_err(|e| io_err(path, e))
}
