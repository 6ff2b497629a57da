//! Persistence: per campaign, an append-only journal of accepted inputs (each written and
//! synced before it is acknowledged) and periodic snapshots, in a private
//! `--data-dir/<campaign>/` folder. Replaying the journal after the last snapshot through
//! [`apply`] rebuilds the table exactly, because the table is deterministic for its seed.
//! Journal entries are numbered, and a snapshot names the last entry it holds, so a damaged
//! line moved aside (see [`Journal::restore`]) never shifts what a later restart replays.

use emberkeep_shared::event::{Audience, GameEvent};
use emberkeep_shared::prelude::*;
use emberkeep_shared::protocol::Role;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
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
    /// A note only host seats see.
    Note(String),
    /// A player character handed to a companion (`on`) or back to its seat.
    Companion {
        /// The character.
        character: CombatantId,
        /// Played by the companion from now on.
        on: bool,
    },
    /// The party rests now.
    Rest {
        /// A long rest (else short).
        long: bool,
    },
    /// Move the party to a scene of the adventure.
    Scene(String),
    /// Experience points shared by the party.
    Experience(u32),
    /// A recap of the story so far, told to everyone.
    Recap,
    /// The scene's fight starts over.
    Restart,
    /// An item to a character.
    Give {
        /// The character.
        character: CombatantId,
        /// The item id.
        item: String,
    },
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
        /// Who is told (a recap written for one returning seat); everyone when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<Audience>,
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
    /// The judgment of a free-form action (the model's, or the built-in keyword table's).
    Judged {
        /// Whose action.
        actor: CombatantId,
        /// The check to roll, or none.
        check: Option<emberkeep_shared::judge::CheckRequest>,
        /// Who judged ("builtin", the model).
        source: String,
    },
    /// A seat's own character, read from its file and built by the server.
    Character {
        /// The character it replaces.
        actor: CombatantId,
        /// Its sheets and what they use.
        brought: Box<emberkeep_shared::table::Brought>,
    },
    /// A scene as the edited content folder now makes it (hot reload): it replaces the
    /// table's version if the party has not been there ([`Table::refresh_scene`]). The journal
    /// holds the scene itself, so a replay never depends on what the folder holds later.
    Scene {
        /// The scene's id.
        id: String,
        /// The scene, built from the new content.
        scene: Box<emberkeep_shared::table::SceneState>,
        /// Items its loot and locks name.
        #[serde(default)]
        items: BTreeMap<String, emberkeep_shared::items::ItemDef>,
        /// Spells its creatures cast.
        #[serde(default)]
        spells: BTreeMap<String, emberkeep_shared::spells::SpellDef>,
    },
}

impl Input {
    /// Whether this is the clock's input (time passed: timeouts, built-in NPC turns), which
    /// is journaled only when it changed the table.
    pub fn is_clock(&self) -> bool {
        matches!(self, Input::Tick | Input::Timeouts)
    }
}

/// One journal line: table time and input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Table clock (ms).
    pub t: u64,
    /// What happened.
    pub input: Input,
}

/// Applies one input to a table: the single path for live play and for replay. The party's
/// sight (fog of war) is brought up to date after each input, so it is part of the state a
/// replay rebuilds exactly.
pub fn apply(table: &mut Table, entry: &Entry) -> Result<(), Rejection> {
    let outcome = apply_input(table, entry);
    table.update_sight();
    outcome
}

fn apply_input(table: &mut Table, entry: &Entry) -> Result<(), Rejection> {
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
            // A player takes the seat: its companion stops at once, even mid-turn.
            if let Some(c) = character {
                table.set_companion(*c, false, t);
            }
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
        Input::Narration {
            id,
            text,
            source,
            to,
        } => {
            table.emit_to(
                t,
                to.clone().unwrap_or(Audience::Public),
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
            // The choice may reach the table behind a host's pause, or a reaction it waits for.
            if table.npc_to_play() != Some(*npc) {
                return Err(Rejection::new(
                    RejectCode::NotAllowed,
                    "that NPC's turn waits (the game is paused, or a reaction is due)",
                ));
            }
            table.play_npc_turn(*npc, plan.clone(), t);
            Ok(())
        }
        Input::Timeouts => {
            table.tick_players(t);
            Ok(())
        }
        Input::Judged { actor, check, .. } => table.judge(*actor, check.clone(), t),
        Input::Character { actor, brought } => table.bring_character(*actor, brought, t),
        Input::Scene {
            id,
            scene,
            items,
            spells,
        } => {
            table.refresh_scene(id, (**scene).clone(), items, spells, t);
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
            HostOp::Companion { character, on } => {
                table.set_companion(*character, *on, t);
                Ok(())
            }
            HostOp::Rest { long } => {
                table.check_rest()?;
                table.rest_now(*long, t);
                Ok(())
            }
            HostOp::Scene(id) => table.host_scene(id, t),
            HostOp::Experience(n) => table.host_experience(*n, t),
            HostOp::Restart => table.host_restart(t),
            HostOp::Recap => {
                table.recap(Audience::Public, t);
                Ok(())
            }
            HostOp::Give { character, item } => table.host_give(*character, item, t),
            HostOp::Note(text) => {
                table.emit_to(
                    t,
                    Audience::HostOnly,
                    GameEvent::HostNarration {
                        text: format!("(host note) {text}"),
                    },
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

/// A snapshot is written after this many journal entries.
pub const SNAPSHOT_EVERY: u64 = 200;
/// The longest journal line read back (1 MiB): a longer one is damaged and quarantined.
pub const MAX_LINE_BYTES: usize = 1 << 20;
/// Why an input is refused while the journal cannot be written.
pub const CANNOT_SAVE: &str = "the server cannot save right now; try again shortly";
/// Damaged journal lines are moved to this file in the campaign's folder.
pub const QUARANTINE: &str = "journal.quarantine.jsonl";
const JOURNAL: &str = "journal.jsonl";
const META: &str = "meta.json";
const SNAPSHOT: &str = "snapshot.json";

#[derive(Deserialize)]
struct Snapshot {
    /// The number of the last journal entry folded into `table` (entries count from 1).
    journal_len: u64,
    table: Table,
}

#[derive(Serialize)]
struct SnapshotRef<'a> {
    journal_len: u64,
    table: &'a Table,
}

/// A journal line as written: the entry and its number. Lines from before entries were
/// numbered have no `n`; they count by their position in the file.
#[derive(Serialize)]
struct LineOut<'a> {
    n: u64,
    t: u64,
    input: &'a Input,
}

#[derive(Deserialize)]
struct LineIn {
    #[serde(default)]
    n: u64,
    t: u64,
    input: Input,
}

/// A write failure to simulate (tests and drills): see [`Journal::inject_fault`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Lines are appended to this device instead of the journal: `/dev/full` fails every
    /// write as a full disk does.
    Redirect(PathBuf),
    /// Each line is cut after this many bytes and the write then fails as on a full disk.
    Torn(usize),
    /// Lines are written, but making them durable fails as on a dying disk (an I/O error from
    /// the sync).
    SyncFails,
}

/// A campaign's files: `meta.json`, `snapshot.json` and `journal.jsonl` in a private folder.
/// It also keeps the table as of the last snapshot and the entries written since, so that a
/// failed write can put the live table back to exactly what is saved.
#[derive(Debug)]
pub struct Journal {
    dir: PathBuf,
    /// Whether the folder and its files exist (a new campaign's are made by the first write
    /// that works).
    created: bool,
    /// Whether this journal made the folder (a half-made one of ours is finished, not refused).
    made_dir: bool,
    meta: Meta,
    /// Open for appending; `None` after a failed write (reopened, and cut, on the next).
    file: Option<File>,
    /// Bytes of whole, written lines: the file is cut back here after a failed write.
    good_bytes: u64,
    /// The number of the last entry written.
    pub len: u64,
    /// Entries since the last snapshot.
    pub since_snapshot: u64,
    failing: Option<String>,
    base: Table,
    tail: Vec<Entry>,
    fault: Option<Fault>,
    /// Where the journal stood at its last sync, while lines written since wait for the next
    /// ([`commit`]); `None` when every line written is durable.
    unsynced: Option<Synced>,
    /// How long each commit took, from its first line written to synced (drained into the
    /// metrics).
    pub(crate) sync_times: Vec<std::time::Duration>,
}

/// A journal's position at its last sync: a failed sync cuts it back here.
#[derive(Debug, Clone, Copy)]
struct Synced {
    bytes: u64,
    len: u64,
    tail: usize,
    since_snapshot: u64,
    /// When the first line after it was written.
    since: std::time::Instant,
}

mod commit;
mod restore;
pub use commit::commit;
pub use restore::{Restored, Stored};

fn io_err(path: &Path, e: impl std::fmt::Display) -> String {
    format!("{}: {e}", path.display())
}

fn exists_refusal(dir: &Path) -> String {
    format!(
        "{}: a campaign folder is already there, and a campaign is never overwritten",
        dir.display()
    )
}

/// Options that create a file readable by its owner only.
fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

fn private_dir(path: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path)
}

/// Makes an existing file (or folder) private: 0600 (0700). Campaign files hold join codes.
fn make_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if path.is_dir() { 0o700 } else { 0o600 };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Syncs a folder, so that a file created or renamed in it survives a crash (best effort:
/// not every platform can open a folder).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Writes `bytes` to `path` atomically (write a private temporary file, sync, rename).
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let tmp = path.with_extension("tmp");
    let mut f = private_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)
        .map_err(|e| io_err(&tmp, e))?;
    make_private(&tmp)
        .and_then(|()| f.write_all(bytes))
        .and_then(|()| f.sync_all())
        .map_err(|e| io_err(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io_err(path, e))?;
    if let Some(dir) = path.parent() {
        sync_dir(dir);
    }
    Ok(())
}

impl Journal {
    /// A new campaign's journal, in `root/<id>`. That folder must not exist: an archived or
    /// damaged campaign is never overwritten (`Err`). If the files cannot be written now (an
    /// unwritable or full disk), the journal starts failing and tries again on every write.
    pub fn create(root: &Path, meta: &Meta, table: &Table) -> Result<Journal, String> {
        let dir = root.join(&meta.id);
        if dir.symlink_metadata().is_ok() {
            return Err(exists_refusal(&dir));
        }
        let mut journal = Journal {
            dir,
            created: false,
            made_dir: false,
            meta: meta.clone(),
            file: None,
            good_bytes: 0,
            len: 0,
            since_snapshot: 0,
            failing: None,
            base: table.clone(),
            tail: Vec::new(),
            fault: None,
            unsynced: None,
            sync_times: Vec::new(),
        };
        if let Err(e) = journal.make_files() {
            journal.failing = Some(e);
        }
        Ok(journal)
    }

    /// Makes the folder and files of a new campaign (once).
    fn make_files(&mut self) -> Result<(), String> {
        if self.created {
            return Ok(());
        }
        if let Some(root) = self.dir.parent() {
            std::fs::create_dir_all(root).map_err(|e| io_err(root, e))?;
        }
        match private_dir(&self.dir) {
            Ok(()) => self.made_dir = true,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && self.made_dir => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(exists_refusal(&self.dir));
            }
            Err(e) => return Err(io_err(&self.dir, e)),
        }
        let path = self.dir.join(JOURNAL);
        let file = private_options()
            .create(true)
            .truncate(true)
            .write(true)
            .open(&path)
            .map_err(|e| io_err(&path, e))?;
        drop(file);
        let meta = serde_json::to_vec_pretty(&self.meta).map_err(|e| e.to_string())?;
        write_atomic(&self.dir.join(META), &meta)?;
        let snap = SnapshotRef {
            journal_len: 0,
            table: &self.base,
        };
        let bytes = serde_json::to_vec(&snap).map_err(|e| e.to_string())?;
        write_atomic(&self.dir.join(SNAPSHOT), &bytes)?;
        if let Some(root) = self.dir.parent() {
            sync_dir(root);
        }
        self.created = true;
        Ok(())
    }

    /// The campaign's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The last write error while the journal cannot be written; `None` when it works.
    pub fn failing(&self) -> Option<&str> {
        self.failing.as_deref()
    }

    /// Makes writes fail on purpose (`None` ends it). For tests and drills.
    pub fn inject_fault(&mut self, fault: Option<Fault>) {
        self.fault = fault;
        self.file = None;
    }

    /// Rewrites the campaign's meta (seats, codes, archived flag).
    pub fn write_meta(&mut self, meta: &Meta) -> Result<(), String> {
        self.meta = meta.clone();
        if !self.created {
            return self.make_files();
        }
        let text = serde_json::to_vec_pretty(meta).map_err(|e| e.to_string())?;
        write_atomic(&self.dir.join(META), &text)
    }

    /// Appends an accepted input. It is durable once [`commit`] has synced it (the server
    /// commits every journal written in a frame together, before it answers or publishes
    /// anything of that frame). On an error nothing of the line stays in the file, the journal
    /// is marked failing, and the next call tries again (reopening the file).
    pub fn record(&mut self, entry: &Entry) -> Result<(), String> {
        match self.append(entry) {
            Ok(()) => {
                // Still failing until a sync works (`commit`).
                self.len += 1;
                self.since_snapshot += 1;
                self.tail.push(entry.clone());
                Ok(())
            }
            Err(e) => {
                self.failing = Some(e.clone());
                Err(e)
            }
        }
    }

    fn append(&mut self, entry: &Entry) -> Result<(), String> {
        self.make_files()?;
        // Only a damaged snapshot or line read back can number entries this far.
        let n = self.len.checked_add(1).ok_or_else(|| {
            format!(
                "{}: entry numbers are used up (a damaged snapshot or journal line?)",
                self.dir.display()
            )
        })?;
        let mut line = serde_json::to_vec(&LineOut {
            n,
            t: entry.t,
            input: &entry.input,
        })
        .map_err(|e| e.to_string())?;
        line.push(b'\n');
        let (path, redirected) = match &self.fault {
            Some(Fault::Redirect(device)) => (device.clone(), true),
            _ => (self.dir.join(JOURNAL), false),
        };
        if self.file.is_none() {
            self.file = Some(self.reopen(&path, redirected)?);
        }
        let file = self.file.as_mut().expect("just opened");
        let written = match self.fault {
            Some(Fault::Torn(cut)) => file.write_all(&line[..cut.min(line.len())]).and_then(|()| {
                Err(std::io::Error::new(
                    std::io::ErrorKind::StorageFull,
                    "no space left on device (simulated)",
                ))
            }),
            _ => file.write_all(&line),
        };
        match written {
            Ok(()) => {
                self.unsynced.get_or_insert(Synced {
                    bytes: self.good_bytes,
                    len: self.len,
                    tail: self.tail.len(),
                    since_snapshot: self.since_snapshot,
                    since: std::time::Instant::now(),
                });
                self.good_bytes += line.len() as u64;
                Ok(())
            }
            Err(e) => {
                // Cut the half-written line now (the reopen cuts again if this fails too).
                if !redirected {
                    let _ = file
                        .set_len(self.good_bytes)
                        .and_then(|()| file.sync_data());
                }
                self.file = None;
                Err(io_err(&path, e))
            }
        }
    }

    /// Opens the journal for appending, cut back to its last whole written line.
    fn reopen(&self, path: &Path, redirected: bool) -> Result<File, String> {
        let file = private_options()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| io_err(path, e))?;
        if redirected {
            return Ok(file);
        }
        let len = file.metadata().map_err(|e| io_err(path, e))?.len();
        if len < self.good_bytes {
            return Err(format!(
                "{}: {len} bytes, shorter than the {} written: changed by something else",
                path.display(),
                self.good_bytes
            ));
        }
        if len > self.good_bytes {
            file.set_len(self.good_bytes)
                .and_then(|()| file.sync_data())
                .map_err(|e| io_err(path, e))?;
        }
        Ok(file)
    }

    /// Writes a snapshot of `table`, which must be the saved table (the last snapshot with
    /// every entry recorded since applied; a failed write puts the live table back to that).
    pub fn snapshot(&mut self, table: &Table) -> Result<(), String> {
        self.make_files()?;
        // The snapshot counts every line written: they must be durable first.
        self.sync_alone()?;
        let snap = SnapshotRef {
            journal_len: self.len,
            table,
        };
        let bytes = serde_json::to_vec(&snap).map_err(|e| e.to_string())?;
        write_atomic(&self.dir.join(SNAPSHOT), &bytes)?;
        self.base = table.clone();
        self.tail.clear();
        self.since_snapshot = 0;
        Ok(())
    }

    /// The table as saved (what a restart rebuilds): the last snapshot with the entries
    /// written since replayed, and how many of those replays were rejected (0 unless the
    /// rules diverge).
    pub fn saved_table(&self) -> (Table, u64) {
        let mut table = self.base.clone();
        let rejected = self
            .tail
            .iter()
            .filter(|e| apply(&mut table, e).is_err())
            .count();
        (table, rejected as u64)
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, String> {
    let bytes = std::fs::read(path).map_err(|e| io_err(path, e))?;
    serde_json::from_slice(&bytes).map_err(|e| io_err(path, e))
}
