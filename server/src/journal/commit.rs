//! Group commit: the lines every campaign wrote in one frame are made durable together, before
//! the server answers or publishes anything of that frame.
//!
//! A sync is a disk flush, and a flush costs about the same whether it covers one file or
//! forty (0.2–0.3 ms on this project's build machine; forty journals synced one by one took
//! 9–14 ms of a frame). On Linux the journals of one file system are synced by one `syncfs`
//! (which reports write-back errors since Linux 5.8); elsewhere, and for a journal on a file
//! system of its own, each file is synced on its own. A journal whose sync fails is cut back to
//! its last synced line, as if the frame's lines had never been written: the caller puts the
//! table back and refuses those inputs.

use super::{Fault, Journal, io_err};
use std::fs::File;
use std::path::PathBuf;

impl Journal {
    /// Whether lines were written since the last sync.
    pub fn unsynced(&self) -> bool {
        self.unsynced.is_some()
    }

    fn journal_path(&self) -> PathBuf {
        self.dir.join(super::JOURNAL)
    }

    /// The open file a sync goes through; an error if there is none, or if syncs fail on
    /// purpose.
    fn sync_target(&self) -> Result<&File, String> {
        if self.fault == Some(Fault::SyncFails) {
            return Err(io_err(
                &self.journal_path(),
                "input/output error while syncing (simulated)",
            ));
        }
        self.file.as_ref().ok_or_else(|| {
            self.failing.clone().unwrap_or_else(|| {
                io_err(&self.journal_path(), "closed before its lines were synced")
            })
        })
    }

    /// Everything written is durable now: the journal works.
    fn synced(&mut self) {
        if let Some(at) = self.unsynced.take() {
            self.failing = None;
            if self.sync_times.len() < 1024 {
                self.sync_times.push(at.since.elapsed());
            }
        }
    }

    /// The sync failed: the lines written since the last sync are cut off the file and
    /// forgotten, and the journal is failing until a later write works.
    fn roll_back(&mut self, e: String) {
        let Some(at) = self.unsynced.take() else {
            return;
        };
        self.good_bytes = at.bytes;
        self.len = at.len;
        self.tail.truncate(at.tail);
        self.since_snapshot = at.since_snapshot;
        let redirected = matches!(self.fault, Some(Fault::Redirect(_)));
        if let Some(file) = &self.file
            && (redirected
                || file
                    .set_len(at.bytes)
                    .and_then(|()| file.sync_data())
                    .is_err())
        {
            // Reopened (and cut back to `good_bytes`) by the next write.
            self.file = None;
        }
        self.failing = Some(e);
    }

    /// Makes this journal's lines durable on their own (before a snapshot that counts them).
    pub(super) fn sync_alone(&mut self) -> Result<(), String> {
        if !self.unsynced() {
            return Ok(());
        }
        let synced = self
            .sync_target()
            .and_then(|f| f.sync_data().map_err(|e| io_err(&self.journal_path(), e)));
        match synced {
            Ok(()) => {
                self.synced();
                Ok(())
            }
            Err(e) => {
                self.roll_back(e.clone());
                Err(e)
            }
        }
    }
}

/// Makes every line the `journals` wrote since their last sync durable, as few flushes as it
/// takes. Returns, in their order, whether each one's lines are now durable; a journal whose
/// sync failed has been cut back to its last synced line (see the module's text).
pub fn commit(journals: &mut [&mut Journal]) -> Vec<Result<(), String>> {
    let mut results: Vec<Option<Result<(), String>>> = vec![None; journals.len()];
    // The file systems to sync: (device, the first journal's index, the others' indexes).
    let mut groups: Vec<(u64, usize, Vec<usize>)> = Vec::new();
    for (i, j) in journals.iter().enumerate() {
        if !j.unsynced() {
            results[i] = Some(Ok(()));
            continue;
        }
        match j.sync_target().and_then(|f| device(f, j)) {
            Err(e) => results[i] = Some(Err(e)),
            Ok(dev) => match groups.iter_mut().find(|g| g.0 == dev) {
                Some(g) => g.2.push(i),
                None => groups.push((dev, i, Vec::new())),
            },
        }
    }
    for (_, first, rest) in groups {
        let outcome = if rest.is_empty() {
            let j = &journals[first];
            j.sync_target()
                .and_then(|f| f.sync_data().map_err(|e| io_err(&j.journal_path(), e)))
        } else {
            sync_file_system(journals[first])
        };
        for i in std::iter::once(first).chain(rest) {
            results[i] = Some(outcome.clone());
        }
    }
    journals
        .iter_mut()
        .zip(results)
        .map(|(j, r)| {
            let r = r.unwrap_or(Ok(()));
            match &r {
                Ok(()) => j.synced(),
                Err(e) => j.roll_back(e.clone()),
            }
            r
        })
        .collect()
}

/// The device a journal's file lives on (journals on one device share a flush).
#[cfg(target_os = "linux")]
fn device(file: &File, j: &Journal) -> Result<u64, String> {
    use std::os::unix::fs::MetadataExt;
    file.metadata()
        .map(|m| m.dev())
        .map_err(|e| io_err(&j.journal_path(), e))
}

#[cfg(not(target_os = "linux"))]
fn device(_: &File, _: &Journal) -> Result<u64, String> {
    // Each journal its own group: synced one by one.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    Ok(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
}

/// Syncs the whole file system `j`'s file is on (every journal there with it).
#[cfg(target_os = "linux")]
fn sync_file_system(j: &Journal) -> Result<(), String> {
    let file = j.sync_target()?;
    nix::unistd::syncfs(file).map_err(|e| {
        io_err(
            &j.journal_path(),
            std::io::Error::from_raw_os_error(e as i32),
        )
    })
}

#[cfg(not(target_os = "linux"))]
fn sync_file_system(j: &Journal) -> Result<(), String> {
    j.sync_target()
        .and_then(|f| f.sync_data().map_err(|e| io_err(&j.journal_path(), e)))
}
