//! A package under construction: built under a hidden temporary name beside the output and
//! renamed into place when complete.

use super::PACKAGE_JSON;
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// A package under construction: a hidden temporary directory beside the output, removed
/// unless [`commit`](Self::commit) renames it into place.
pub(super) struct Staging {
    dir: tempfile::TempDir,
    out: PathBuf,
    replace: bool,
}

impl Staging {
    pub(super) fn new(out: &Path, force: bool) -> Result<Self> {
        let replace = match std::fs::read_dir(out) {
            Ok(mut entries) => {
                if entries.next().is_some() {
                    if !force {
                        return Err(Error::OutputNotEmpty {
                            path: out.to_path_buf(),
                        });
                    }
                    // Only ever replace an earlier package, never a directory of other files.
                    if !out.join(PACKAGE_JSON).is_file() {
                        return Err(Error::NotAPackage {
                            path: out.to_path_buf(),
                            file: PACKAGE_JSON,
                        });
                    }
                }
                true
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => return Err(Error::io(out, e)),
        };
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
        // The package is for serving: rwxr-xr-x (less the umask), not a temporary
        // directory's rwx------.
        let dir = tempfile::Builder::new()
            .prefix(".pertitle-package.")
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o777))
            .tempdir_in(&parent)
            .map_err(|e| Error::io(&parent, e))?;
        Ok(Staging {
            dir,
            out: out.to_path_buf(),
            replace,
        })
    }

    pub(super) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Write a small file atomically inside the staging directory.
    pub(super) fn write(&self, name: &str, text: &str) -> Result<()> {
        let path = self.path().join(name);
        std::fs::write(&path, text).map_err(|e| Error::io(&path, e))
    }

    pub(super) fn commit(self) -> Result<()> {
        // The new package is complete: put it in place, then remove what it replaces (moved
        // aside first, so a failed rename leaves the old package where it was).
        let old = if self.replace {
            let aside = tempfile::Builder::new()
                .prefix(".pertitle-replaced.")
                .tempdir_in(self.dir.path().parent().unwrap_or(Path::new(".")))
                .map_err(|e| Error::io(&self.out, e))?;
            let target = aside.path().join("old");
            std::fs::rename(&self.out, &target).map_err(|e| Error::io(&self.out, e))?;
            Some((aside, target))
        } else {
            None
        };
        let staged = self.dir.path().to_path_buf();
        if let Err(e) = std::fs::rename(&staged, &self.out) {
            if let Some((aside, target)) = old {
                // Put the old package back; the staging directory is removed on drop. If
                // even that fails, keep the old package where it was moved and say where.
                if std::fs::rename(&target, &self.out).is_err() {
                    let _ = aside.keep();
                    return Err(Error::PackageSwap {
                        path: self.out.clone(),
                        aside: target.to_path_buf(),
                        cause: e,
                    });
                }
            }
            return Err(Error::io(&self.out, e));
        }
        // Renamed away: nothing left for the TempDir to remove.
        let _ = self.dir.keep();
        // The old package goes with its TempDir.
        drop(old);
        // TempDir created it 0700; a package is meant to be served.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&self.out, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| Error::io(&self.out, e))
    }
}
