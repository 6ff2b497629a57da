//! Files that hold secrets (join codes): written atomically and readable by their owner only.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically (a temporary file beside it, synced, renamed), with mode
/// 0600 on Unix whatever the umask — the file was never readable by others, not even briefly.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let err = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(&tmp).map_err(|e| err(&tmp, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // The mode above applies only to a new file; an old temporary file keeps its own.
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| err(&tmp, e))?;
    }
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| err(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| err(path, e))
}
