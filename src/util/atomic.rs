//! Files that appear whole or not at all: written to a temporary file beside the target,
//! flushed to disk, then renamed over it, so no reader ever sees a partial file and a
//! killed writer leaves the old file (or none).

use crate::error::{Error, Result};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// A temporary file older than this is a killed writer's leftover: a live writer renames
/// its file within a second. An hour also covers clocks that differ between the hosts of a
/// shared file system.
pub const STALE_AFTER: Duration = Duration::from_secs(3600);

/// Write `bytes` to `path` atomically; the temporary file is named `{prefix}XXXXXX.tmp` in
/// `path`'s directory (which must exist). The file gets the usual permissions (0666 less
/// the umask), not a temporary file's 0600. A failure names `path` (not the temporary
/// file, which is removed) and the cause, e.g. a full disk or a read-only file system.
pub fn write_atomic(path: &Path, prefix: &str, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let failed = |e: std::io::Error| Error::io(path, plain(e));
    let mut tmp = tempfile::Builder::new()
        .prefix(prefix)
        .suffix(".tmp")
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(&dir)
        .map_err(failed)?;
    tmp.as_file_mut().write_all(bytes).map_err(failed)?;
    tmp.as_file().sync_all().map_err(failed)?;
    tmp.persist(path).map_err(|e| failed(e.error))?;
    Ok(())
}

/// A set of files written into `dir` (created if missing) with an index file that lists
/// them: every file atomically, the index last; then the files an earlier index in `dir`
/// listed that this set does not hold are removed, so reruns leave no stale pictures.
/// `listed` reads the file names out of an index's bytes. Every file is in memory before
/// the first is written, so a failure to make one leaves `dir` as it was.
pub fn write_listed(
    dir: &Path,
    prefix: &str,
    files: &[(String, Vec<u8>)],
    index: (&str, &[u8]),
    listed: impl Fn(&[u8]) -> Vec<String>,
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let index_path = dir.join(index.0);
    let earlier = std::fs::read(&index_path)
        .map(|b| listed(&b))
        .unwrap_or_default();
    for (name, bytes) in files {
        write_atomic(&dir.join(name), prefix, bytes)?;
    }
    write_atomic(&index_path, prefix, index.1)?;
    for name in earlier {
        // Only plain names: an index is not trusted to point elsewhere.
        let plain_name = Path::new(&name)
            .file_name()
            .is_some_and(|f| f == name.as_str());
        if plain_name && name != index.0 && !files.iter().any(|(n, _)| *n == name) {
            let _ = std::fs::remove_file(dir.join(&name));
        }
    }
    Ok(())
}

/// The operating system's error without the temporary file's path that `tempfile` adds
/// to it (`Read-only file system (os error 30) at path "/dir/.ladder.Xy12.tmp"`).
pub(crate) fn plain(e: std::io::Error) -> std::io::Error {
    if e.raw_os_error().is_some() {
        return e;
    }
    let text = e.to_string();
    match text.split_once(" at path \"") {
        Some((cause, _)) => std::io::Error::new(e.kind(), cause.to_string()),
        None => e,
    }
}

/// Remove the temporary files `{prefix}*.tmp` of [`write_atomic`] in `dir` that were last
/// modified more than `older_than` ago, and return how many went. A writer killed between
/// creating its temporary file and renaming it leaves one behind; it is never read (readers
/// only open the final names), so this only reclaims space. Errors (a file already gone, a
/// directory that cannot be listed) are ignored: another process may be sweeping too.
pub fn remove_stale(dir: &Path, prefix: &str, older_than: Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let now = SystemTime::now();
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(prefix) && name.ends_with(".tmp")) {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|modified| now.duration_since(modified).ok())
            .is_some_and(|age| age > older_than);
        if old && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_old_temporaries_with_the_prefix_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let old = SystemTime::now() - Duration::from_secs(7200);
        let make = |name: &str, modified: Option<SystemTime>| {
            let path = dir.path().join(name);
            let file = std::fs::File::create(&path).unwrap();
            if let Some(t) = modified {
                file.set_modified(t).unwrap();
            }
            path
        };
        let stale = make(".unit.abc123.tmp", Some(old));
        let fresh = make(".unit.def456.tmp", None);
        let other_prefix = make(".ladder.xyz.tmp", Some(old));
        let final_file = make(".unit.abc123.json", Some(old));
        write_atomic(&dir.path().join("whole.json"), ".unit.", b"{}").unwrap();
        assert_eq!(remove_stale(dir.path(), ".unit.", STALE_AFTER), 1);
        assert!(!stale.exists());
        assert!(fresh.exists() && other_prefix.exists() && final_file.exists());
        assert_eq!(std::fs::read(dir.path().join("whole.json")).unwrap(), b"{}");
        assert_eq!(
            remove_stale(&dir.path().join("missing"), ".unit.", STALE_AFTER),
            0
        );
    }
}
