//! Inputs are only read: no output may land on a file the command reads, nor replace a
//! directory holding one.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Where `path` resolves to, whether or not it exists yet (its directory's real path and
/// its name), `None` when not even its directory exists (then it is nothing that exists).
fn resolved(path: &Path) -> Option<PathBuf> {
    if let Ok(p) = path.canonicalize() {
        return Some(p);
    }
    let name = path.file_name()?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.canonicalize().ok()?,
        _ => std::env::current_dir().ok()?,
    };
    Some(dir.join(name))
}

/// Refuse to write `output` when it is one of `inputs` (the same file by its real path,
/// links followed), or, with `replaces_dir`, when `output` is a directory the command
/// replaces and an input lies inside it.
pub fn refuse_input_overwrite(output: &Path, inputs: &[&Path], replaces_dir: bool) -> Result<()> {
    let Some(out) = resolved(output) else {
        return Ok(());
    };
    for input in inputs {
        let Ok(real) = input.canonicalize() else {
            continue;
        };
        if real == out || (replaces_dir && real.starts_with(&out)) {
            return Err(Error::WouldOverwriteInput {
                output: output.to_path_buf(),
                input: input.to_path_buf(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_file_by_any_path_is_refused_and_others_pass() {
        let tmp = tempfile::tempdir().unwrap();
        let input = tmp.path().join("in.json");
        std::fs::write(&input, b"{}").unwrap();
        let dir = tmp.path().join("sub");
        std::fs::create_dir(&dir).unwrap();
        let odd = dir.join("..").join("in.json");
        assert!(refuse_input_overwrite(&odd, &[&input], false).is_err());
        std::os::unix::fs::symlink(&input, tmp.path().join("link.json")).unwrap();
        assert!(refuse_input_overwrite(&tmp.path().join("link.json"), &[&input], false).is_err());
        assert!(refuse_input_overwrite(&tmp.path().join("out.json"), &[&input], false).is_ok());
        assert!(refuse_input_overwrite(&dir.join("new/x.json"), &[&input], false).is_ok());
        // A directory that is replaced may not hold an input.
        assert!(refuse_input_overwrite(tmp.path(), &[&input], true).is_err());
        assert!(refuse_input_overwrite(&dir, &[&input], true).is_ok());
        let e = refuse_input_overwrite(&input, &[&input], false).unwrap_err();
        assert!(e.to_string().contains("would overwrite the input"), "{e}");
    }
}
