//! Writes that fail: a disk that fills and a read-only file system, simulated with a small
//! tmpfs mounted here (root only; elsewhere the tests print SKIP and pass). Each failure
//! must be one stderr line naming the file and the cause, with a non-zero exit, and must
//! leave what earlier runs wrote (cache units, ladder.json) byte for byte as it was, with no
//! temporary file behind.

use crate::common;
use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A tmpfs of `size` mounted on a fresh directory, unmounted when dropped.
struct SmallDisk {
    _dir: tempfile::TempDir,
    mount: PathBuf,
}

impl SmallDisk {
    fn mount(test: &str, size: &str) -> Option<SmallDisk> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("SKIP {test}: mounting a tmpfs needs root");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let mount = dir.path().join("disk");
        std::fs::create_dir(&mount).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&mount)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("SKIP {test}: cannot mount a tmpfs here");
            return None;
        }
        Some(SmallDisk { _dir: dir, mount })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.mount.join(name)
    }

    /// Fill the disk up to `leave` free bytes with a file that [`SmallDisk::free`] removes.
    fn fill(&self, leave: u64) {
        // SAFETY: statvfs fills the struct it is given.
        let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
        let c = std::ffi::CString::new(self.mount.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::statvfs(c.as_ptr(), &mut st) }, 0);
        let free = st.f_bavail * st.f_frsize;
        let filler = vec![0u8; free.saturating_sub(leave) as usize];
        // A full disk may refuse the last partial block: what was written is enough.
        let _ = std::fs::write(self.path("filler"), filler);
    }

    fn free(&self) {
        std::fs::remove_file(self.path("filler")).unwrap();
    }

    fn remount(&self, mode: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,{mode}")])
            .arg(&self.mount)
            .status()
            .unwrap();
        assert!(ok.success(), "remount {mode}");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.mount).status();
    }
}

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/sample_720p25.mp4")
}

fn pertitle(args: &[&str]) -> Output {
    Command::cargo_bin("pertitle")
        .unwrap()
        .args(args)
        .output()
        .unwrap()
}

/// A quick optimize of the shipped sample at one resolution with `crfs`.
fn optimize(out: &Path, crfs: &str, extra: &[&str]) -> Output {
    let sample = sample();
    let args = [
        &[
            "optimize",
            sample.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ][..],
        &["--resolutions", "180", "--crf", crfs, "--metric", "psnr"],
        &["--preset", "ultrafast", "--quiet"],
        extra,
    ]
    .concat();
    pertitle(&args)
}

fn succeeded(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One stderr line naming `file` and containing `cause`, and a non-zero exit.
fn failed_cleanly(what: &str, out: &Output, file: &str, cause: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr.trim_end();
    assert!(!out.status.success(), "{what}: succeeded");
    assert_ne!(out.status.code(), Some(101), "{what}: panicked: {stderr}");
    assert!(
        !line.contains('\n') && line.starts_with("pertitle: error:"),
        "{what}: not one error line: {stderr:?}"
    );
    assert!(
        line.contains(file) && line.contains(cause),
        "{what}: expected {file:?} and {cause:?} in {line:?}"
    );
    assert!(
        !line.contains(".tmp:") && !line.contains(".tmp\""),
        "{what}: names a temporary file: {line}"
    );
    eprintln!("{what}: {line}");
}

/// Every file under `dir` with its bytes (the filler aside).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n != "filler") {
                files.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

fn no_temporaries(what: &str, before: &BTreeMap<PathBuf, Vec<u8>>, dir: &Path) {
    let after = snapshot(dir);
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>(),
        "{what}: files appeared or went"
    );
    assert!(after == *before, "{what}: an earlier file changed");
}

#[test]
fn a_full_disk_fails_cleanly_and_keeps_earlier_results() {
    let test = "a_full_disk_fails_cleanly_and_keeps_earlier_results";
    let Some(disk) = SmallDisk::mount(test, "512k") else {
        return;
    };
    let (out, cache) = (disk.path("out"), disk.path("cache"));
    let cache_arg = ["--cache", cache.to_str().unwrap()];
    succeeded("first run", &optimize(&out, "30,40", &cache_arg));
    let before = snapshot(&disk.mount);
    assert_eq!(before.len(), 3, "two units and a ladder.json: {before:?}");
    // Written files get the usual permissions, not a temporary file's 0600.
    // The process's mask, read without setting it (other tests run on other threads).
    let umask = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .map(|m| u32::from_str_radix(m.trim(), 8).unwrap())
        .expect("Umask in /proc/self/status");
    for path in before.keys() {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o666 & !umask, "{}: mode {mode:o}", path.display());
    }

    // A run needing one more unit finds the disk full when it stores it.
    disk.fill(4096);
    let run = optimize(&out, "30,35,40", &cache_arg);
    failed_cleanly(
        "storing a unit",
        &run,
        cache.to_str().unwrap(),
        "No space left on device",
    );
    no_temporaries("storing a unit", &before, &disk.mount);

    // A run with nothing to encode finds the disk full when it writes ladder.json.
    let run = optimize(&out, "30,40", &cache_arg);
    let ladder = out.join("ladder.json");
    failed_cleanly(
        "writing ladder.json",
        &run,
        ladder.to_str().unwrap(),
        "No space left on device",
    );
    no_temporaries("writing ladder.json", &before, &disk.mount);

    // With room again, the run resumes from the two stored units.
    disk.free();
    succeeded(
        "after freeing space",
        &optimize(&out, "30,35,40", &cache_arg),
    );
    let manifest: Value = common::read_manifest(&ladder);
    assert_eq!(manifest["timing"]["cached_encodes"], 2);
}

#[test]
fn a_read_only_file_system_fails_cleanly_and_can_still_be_read() {
    let test = "a_read_only_file_system_fails_cleanly_and_can_still_be_read";
    let Some(disk) = SmallDisk::mount(test, "2m") else {
        return;
    };
    let (out, cache) = (disk.path("out"), disk.path("cache"));
    let cache_arg = ["--cache", cache.to_str().unwrap()];
    succeeded("first run", &optimize(&out, "30,40", &cache_arg));
    let ladder = out.join("ladder.json");
    let l = ladder.to_str().unwrap();
    disk.remount("ro");
    let before = snapshot(&disk.mount);
    let elsewhere = tempfile::tempdir().unwrap();
    let fresh = elsewhere.path().join("fresh");

    let cases: Vec<(&str, Output, PathBuf, &str)> = vec![
        (
            "optimize into the read-only OUTDIR",
            optimize(&out, "30,40", &[]),
            out.clone(),
            "Read-only file system",
        ),
        (
            "optimize into a new OUTDIR there",
            optimize(&disk.path("new"), "30,40", &[]),
            disk.path("new"),
            "Read-only file system",
        ),
        (
            "optimize storing a new unit in the read-only cache",
            optimize(&fresh, "30,35,40", &cache_arg),
            cache.clone(),
            "Read-only file system",
        ),
        (
            "ladder -o there",
            pertitle(&["ladder", l, "-o", disk.path("again.json").to_str().unwrap()]),
            disk.path("again.json"),
            "Read-only file system",
        ),
        (
            "report -o there",
            pertitle(&[
                "report",
                l,
                "-o",
                disk.path("report.html").to_str().unwrap(),
            ]),
            disk.path("report.html"),
            "Read-only file system",
        ),
    ];
    for (what, run, file, cause) in &cases {
        failed_cleanly(what, run, file.to_str().unwrap(), cause);
        no_temporaries(what, &before, &disk.mount);
    }
    // Reading the cache needs no writes: every point is found and the ladder matches.
    let read = elsewhere.path().join("read");
    succeeded(
        "read the read-only cache",
        &optimize(&read, "30,40", &cache_arg),
    );
    let from_cache = common::read_manifest(&read.join("ladder.json"));
    assert_eq!(from_cache["timing"]["cached_encodes"], 2);
    let original = common::read_manifest(&ladder);
    assert_eq!(
        from_cache["ladders"][0]["rungs"],
        original["ladders"][0]["rungs"]
    );
    disk.remount("rw");
}
