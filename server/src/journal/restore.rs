//! Reading a campaign back: meta, snapshot, then the journal line by line with a bounded
//! reader. A damaged line (not an entry, or longer than [`MAX_LINE_BYTES`]) is moved to the
//! quarantine file and every good line after it is kept; only a torn last line (the process
//! died while writing it, so it was never acknowledged) is dropped.

use super::{
    Entry, JOURNAL, Journal, LineIn, LineOut, MAX_LINE_BYTES, META, Meta, QUARANTINE, SNAPSHOT,
    Snapshot, apply, io_err, make_private, private_options, read_json, sync_dir,
};
use bevy::log::{error, warn};
use emberkeep_shared::prelude::*;
use serde::Serialize;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// How much of a damaged line the quarantine file keeps.
const QUARANTINE_COPY: usize = 4096;
/// The latest table time (ms) and event number read back: about 285,000 years. Anything
/// later is damage, and would overflow the table's clock arithmetic when replayed.
const MAX_READ_BACK: u64 = 1 << 53;

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
    /// Replayed entries the rules rejected: the table diverged from what was played (logged).
    pub rejected_replays: u64,
    /// Damaged lines moved to the quarantine file.
    pub quarantined: u64,
}

/// A folder under the data dir, with its meta if it can be read.
#[derive(Debug)]
pub struct Stored {
    /// The folder.
    pub dir: PathBuf,
    /// Its name (a campaign's id).
    pub name: String,
    /// Its meta, or why it cannot be read.
    pub meta: Result<Meta, String>,
}

/// One line as read: at most `limit` bytes of it are kept.
struct Line {
    head: Vec<u8>,
    len: u64,
    /// Whether it ended with a newline.
    complete: bool,
}

/// Reads the next line, keeping at most `limit` bytes of it (the rest is skipped, never
/// buffered). `None` at the end of the file.
fn read_line(r: &mut impl BufRead, limit: usize) -> std::io::Result<Option<Line>> {
    let mut line = Line {
        head: Vec::new(),
        len: 0,
        complete: false,
    };
    let mut started = false;
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(started.then_some(line));
        }
        started = true;
        let newline = buf.iter().position(|&b| b == b'\n');
        let chunk = &buf[..newline.unwrap_or(buf.len())];
        let room = limit.saturating_sub(line.head.len());
        line.head.extend_from_slice(&chunk[..chunk.len().min(room)]);
        line.len += chunk.len() as u64;
        let used = chunk.len() + usize::from(newline.is_some());
        r.consume(used);
        if newline.is_some() {
            line.complete = true;
            return Ok(Some(line));
        }
    }
}

/// A whole line that is not a journal entry.
struct Damaged {
    /// Its line number in the file (from 1).
    line: u64,
    len: u64,
    reason: String,
    head: Vec<u8>,
}

#[derive(Serialize)]
struct QuarantineRecord<'a> {
    /// Line number in the journal as it was (from 1).
    line: u64,
    /// The line's length in bytes.
    bytes: u64,
    reason: &'a str,
    /// The line's first bytes, as text (invalid UTF-8 replaced).
    text: String,
    /// Whether `text` is cut short.
    truncated: bool,
    /// When it was moved aside (Unix ms).
    at_unix_ms: u64,
}

/// Reads a whole line as an entry with its number (`index` for lines without one); `last` is
/// the number of the previous good entry.
fn parse(line: &Line, index: u64, last: u64) -> Result<(u64, Entry), String> {
    if line.len > MAX_LINE_BYTES as u64 {
        return Err(format!(
            "{} bytes, longer than the {MAX_LINE_BYTES}-byte limit",
            line.len
        ));
    }
    let read: LineIn =
        serde_json::from_slice(&line.head).map_err(|e| format!("not a journal entry: {e}"))?;
    if read.t > MAX_READ_BACK {
        return Err(format!(
            "table time {} ms: not one this server wrote",
            read.t
        ));
    }
    let number = if read.n == 0 { index } else { read.n };
    if number <= last {
        return Err(format!("out of order: entry {number} after entry {last}"));
    }
    Ok((
        number,
        Entry {
            t: read.t,
            input: read.input,
        },
    ))
}

/// What the table engine takes for granted of a table, checked on one read from a snapshot:
/// a damaged file that is still JSON must be refused, not panic the server when replayed.
fn check_table(table: &Table) -> Result<(), String> {
    let map = &table.map;
    let squares = map.width.checked_mul(map.height).map(|n| n as usize);
    if squares != Some(map.cells.len()) {
        return Err(format!(
            "damaged snapshot: a {}×{} map with {} squares",
            map.width,
            map.height,
            map.cells.len()
        ));
    }
    let mut times_and_counts = (table.log.iter().map(|e| e.at_ms))
        .chain([table.turn_timeout_ms, table.next_seq])
        .chain(table.paused_since)
        .chain(table.combat.as_ref().and_then(|c| c.deadline_ms));
    if let Some(t) = times_and_counts.find(|&t| t > MAX_READ_BACK) {
        return Err(format!(
            "damaged snapshot: {t} is not a time or count this server wrote"
        ));
    }
    if let Some(combat) = &table.combat {
        if combat.active >= combat.order.len() {
            return Err(format!(
                "damaged snapshot: turn {} of an initiative order of {}",
                combat.active,
                combat.order.len()
            ));
        }
        if let Some(id) = combat
            .order
            .iter()
            .find(|&&id| table.combatant(id).is_none())
        {
            return Err(format!(
                "damaged snapshot: combatant #{id} is in the initiative order but not at the table"
            ));
        }
    }
    Ok(())
}

impl Journal {
    /// Reads a campaign folder back: meta, snapshot, and the journal entries after the
    /// snapshot, replayed. Nothing is changed on disk unless the meta and snapshot can be
    /// read. Damaged lines go to [`QUARANTINE`] and the journal is rewritten (atomically)
    /// without them; a torn last line is cut off.
    pub fn restore(dir: &Path) -> Result<Restored, String> {
        let meta: Meta = read_json(&dir.join(META))?;
        let snap: Snapshot = read_json(&dir.join(SNAPSHOT))?;
        check_table(&snap.table).map_err(|e| io_err(&dir.join(SNAPSHOT), e))?;
        let path = dir.join(JOURNAL);
        let base = snap.table.clone();
        let mut table = snap.table;
        let mut clock_ms = table.log.back().map_or(0, |e| e.at_ms);
        let mut last = 0;
        let (mut replayed, mut rejected_replays) = (0, 0);
        let mut tail = Vec::new();
        let mut damaged = Vec::new();
        // Bytes of the whole lines, damaged ones included (a torn last line is not).
        let mut whole_bytes = 0;
        match File::open(&path) {
            Ok(f) => {
                let mut reader = BufReader::with_capacity(64 * 1024, f);
                let mut index = 0;
                while let Some(line) =
                    read_line(&mut reader, MAX_LINE_BYTES).map_err(|e| io_err(&path, e))?
                {
                    index += 1;
                    if !line.complete {
                        warn!(
                            "campaign {}: {}: dropping a torn last line ({} bytes, never acknowledged)",
                            meta.id,
                            path.display(),
                            line.len
                        );
                        break;
                    }
                    whole_bytes += line.len + 1;
                    let (number, entry) = match parse(&line, index, last) {
                        Ok(read) => read,
                        Err(reason) => {
                            damaged.push(Damaged {
                                line: index,
                                len: line.len,
                                reason,
                                head: line.head,
                            });
                            continue;
                        }
                    };
                    last = number;
                    clock_ms = clock_ms.max(entry.t);
                    if number > snap.journal_len {
                        if let Err(r) = apply(&mut table, &entry) {
                            rejected_replays += 1;
                            error!(
                                "campaign {}: replaying journal entry {number} was rejected ({}): the table differs from what was played",
                                meta.id, r.reason
                            );
                        }
                        replayed += 1;
                        tail.push(entry);
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if snap.journal_len > 0 {
                    warn!(
                        "campaign {}: {} is missing; resuming from the snapshot",
                        meta.id,
                        path.display()
                    );
                }
            }
            Err(e) => return Err(io_err(&path, e)),
        }
        let mut good_bytes = whole_bytes;
        if !damaged.is_empty() {
            match quarantine(dir, &damaged).and_then(|()| rewrite(&path, &damaged)) {
                Ok(bytes) => {
                    good_bytes = bytes;
                    error!(
                        "campaign {}: {} damaged line(s) of {} moved to {} (lines {}); the entries after them were kept",
                        meta.id,
                        damaged.len(),
                        path.display(),
                        dir.join(QUARANTINE).display(),
                        damaged
                            .iter()
                            .map(|d| d.line.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
                // The damaged lines stay; they are numbered around, so appending is safe.
                Err(e) => error!(
                    "campaign {}: {} has {} damaged line(s) that cannot be moved aside: {e}",
                    meta.id,
                    path.display(),
                    damaged.len()
                ),
            }
        }
        let file = private_options()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| io_err(&path, e))?;
        let len = file.metadata().map_err(|e| io_err(&path, e))?.len();
        if len != good_bytes {
            file.set_len(good_bytes)
                .and_then(|()| file.sync_data())
                .map_err(|e| io_err(&path, e))?;
        }
        for p in [dir.to_path_buf(), dir.join(META), dir.join(SNAPSHOT), path] {
            if let Err(e) = make_private(&p) {
                warn!("{}: cannot make it private: {e}", p.display());
            }
        }
        let journal = Journal {
            dir: dir.to_path_buf(),
            created: true,
            made_dir: false,
            meta: meta.clone(),
            file: Some(file),
            good_bytes,
            len: last.max(snap.journal_len),
            since_snapshot: replayed,
            failing: None,
            base,
            tail,
            fault: None,
            unsynced: None,
            sync_times: Vec::new(),
        };
        Ok(Restored {
            meta,
            table,
            clock_ms,
            journal,
            replayed,
            rejected_replays,
            quarantined: damaged.len() as u64,
        })
    }

    /// Every folder under `root`, with its meta if it can be read, by name.
    pub fn scan(root: &Path) -> Vec<Stored> {
        let mut out = Vec::new();
        if let Ok(entries) = std::fs::read_dir(root) {
            for e in entries.flatten() {
                if !e.file_type().is_ok_and(|t| t.is_dir()) {
                    continue;
                }
                let dir = e.path();
                out.push(Stored {
                    name: e.file_name().to_string_lossy().into_owned(),
                    meta: read_json::<Meta>(&dir.join(META)),
                    dir,
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// Campaign folders under `root` whose meta can be read, by id.
    pub fn list(root: &Path) -> Vec<(PathBuf, Meta)> {
        let mut out: Vec<(PathBuf, Meta)> = Journal::scan(root)
            .into_iter()
            .filter_map(|s| s.meta.ok().map(|m| (s.dir, m)))
            .collect();
        out.sort_by(|a, b| a.1.id.cmp(&b.1.id));
        out
    }
}

/// Appends the damaged lines to the quarantine file, synced.
fn quarantine(dir: &Path, damaged: &[Damaged]) -> Result<(), String> {
    let path = dir.join(QUARANTINE);
    let at_unix_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let mut text = Vec::new();
    for d in damaged {
        let copy = &d.head[..d.head.len().min(QUARANTINE_COPY)];
        let record = QuarantineRecord {
            line: d.line,
            bytes: d.len,
            reason: &d.reason,
            text: String::from_utf8_lossy(copy).into_owned(),
            truncated: (copy.len() as u64) < d.len,
            at_unix_ms,
        };
        serde_json::to_writer(&mut text, &record).map_err(|e| e.to_string())?;
        text.push(b'\n');
    }
    let mut f = private_options()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| io_err(&path, e))?;
    f.write_all(&text)
        .and_then(|()| f.sync_data())
        .map_err(|e| io_err(&path, e))?;
    sync_dir(dir);
    Ok(())
}

/// Rewrites the journal atomically without the damaged lines (and without a torn last line),
/// every entry with its number. Returns the new length in bytes.
fn rewrite(path: &Path, damaged: &[Damaged]) -> Result<u64, String> {
    let tmp = path.with_extension("tmp");
    let mut out = std::io::BufWriter::new(
        private_options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(|e| io_err(&tmp, e))?,
    );
    let mut reader =
        BufReader::with_capacity(64 * 1024, File::open(path).map_err(|e| io_err(path, e))?);
    let mut skip = damaged.iter().map(|d| d.line).peekable();
    let (mut index, mut last, mut bytes) = (0, 0, 0);
    while let Some(line) = read_line(&mut reader, MAX_LINE_BYTES).map_err(|e| io_err(path, e))? {
        index += 1;
        if !line.complete {
            break;
        }
        if skip.peek() == Some(&index) {
            skip.next();
            continue;
        }
        let (number, entry) = parse(&line, index, last)
            .map_err(|e| format!("{}: line {index}: {e}", path.display()))?;
        last = number;
        let mut text = serde_json::to_vec(&LineOut {
            n: number,
            t: entry.t,
            input: &entry.input,
        })
        .map_err(|e| e.to_string())?;
        text.push(b'\n');
        out.write_all(&text).map_err(|e| io_err(&tmp, e))?;
        bytes += text.len() as u64;
    }
    let file = out.into_inner().map_err(|e| io_err(&tmp, e.error()))?;
    make_private(&tmp)
        .and_then(|()| file.sync_all())
        .map_err(|e| io_err(&tmp, e))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(|e| io_err(path, e))?;
    if let Some(dir) = path.parent() {
        sync_dir(dir);
    }
    Ok(bytes)
}
