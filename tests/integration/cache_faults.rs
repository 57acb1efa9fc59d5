//! The result cache under faults: a run killed midway resumes, encoding only what is
//! missing; two runs sharing one cache at the same time both finish correctly.

use crate::common;
use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/sample_720p25.mp4")
}

/// `optimize` on the shipped sample, one point per pass (so each point reaches the cache as
/// soon as it is done), with `extra`.
fn command(out: &Path, extra: &[&str]) -> Command {
    let mut c = Command::cargo_bin("pertitle").expect("binary built");
    c.args([
        "optimize", "--quiet", "--metric", "psnr", "--preset", "veryfast",
    ])
    .args([
        "--resolutions",
        "360,180",
        "--points-per-pass",
        "1",
        "--jobs",
        "1",
    ])
    .args(extra)
    .arg(sample())
    .arg("-o")
    .arg(out)
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    c
}

fn run(out: &Path, extra: &[&str]) -> Value {
    let output = command(out, extra).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    common::read_manifest(&out.join("ladder.json"))
}

fn unit_files(cache: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(shards) = std::fs::read_dir(cache.join("units")) else {
        return files;
    };
    for shard in shards.flatten() {
        for f in std::fs::read_dir(shard.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            if f.path().extension().is_some_and(|e| e == "json") {
                files.push(f.path());
            }
        }
    }
    files
}

/// Start `optimize` into `out` with `extra` and return it once `n` units are in `cache`.
fn started_until_stored(out: &Path, extra: &[&str], cache: &Path, n: usize) -> Child {
    let mut child = command(out, extra).spawn().unwrap();
    let started = Instant::now();
    while unit_files(cache).len() < n {
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before it was stopped"
        );
        assert!(started.elapsed() < Duration::from_secs(120), "no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

/// Every file in the cache is a whole unit (no temporary file, 150 frames measured).
fn assert_whole_units(cache: &Path) {
    for shard in std::fs::read_dir(cache.join("units")).unwrap().flatten() {
        for f in std::fs::read_dir(shard.path()).unwrap().flatten() {
            let path = f.path();
            assert_eq!(
                path.extension().and_then(|e| e.to_str()),
                Some("json"),
                "{path:?}"
            );
            let v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(
                v["result"]["series"]["psnr_y"].as_array().unwrap().len(),
                150
            );
        }
    }
}

fn without_timing(mut m: Value) -> Value {
    m.as_object_mut().unwrap().remove("timing");
    m
}

/// The ladder of an uninterrupted run without a cache on CRFs 20, 28 and 36 (timing aside),
/// made once for the tests that compare a resumed run with it.
fn whole() -> &'static Value {
    static WHOLE: OnceLock<(tempfile::TempDir, Value)> = OnceLock::new();
    &WHOLE
        .get_or_init(|| {
            let tmp = tempfile::tempdir().unwrap();
            let whole = run(&tmp.path().join("whole"), &["--crf", "20,28,36"]);
            (tmp, without_timing(whole))
        })
        .1
}

#[test]
fn a_killed_run_resumes_with_only_the_missing_points() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let c = cache.to_str().unwrap();
    let crfs = ["--crf", "20,28,36"];
    // Kill it (SIGKILL) once two of its six points are stored.
    let killed = tmp.path().join("killed");
    let mut child = started_until_stored(&killed, &[crfs[0], crfs[1], "--cache", c], &cache, 2);
    child.kill().unwrap();
    child.wait().unwrap();
    let stored = unit_files(&cache).len();
    assert!((2..6).contains(&stored), "{stored} units when killed");
    assert!(!tmp.path().join("killed/ladder.json").exists());
    // Every unit file that exists is whole.
    for f in unit_files(&cache) {
        let v: Value = serde_json::from_slice(&std::fs::read(&f).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(v["result"]["series"]["psnr_y"].as_array().unwrap().len() == 150);
    }

    // What a writer killed between creating its temporary file and renaming it leaves: a
    // partial unit under a temporary name. One is two hours old (a dead writer's); the other
    // is fresh, as a live writer's would be, and must be left alone.
    let shard = unit_files(&cache)[0].parent().unwrap().to_path_buf();
    let partial = &std::fs::read(&unit_files(&cache)[0]).unwrap()[..100];
    let dead = shard.join(".unit.dead01.tmp");
    let live = shard.join(".unit.live01.tmp");
    for path in [&dead, &live] {
        std::fs::write(path, partial).unwrap();
    }
    std::fs::File::options()
        .write(true)
        .open(&dead)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(7200))
        .unwrap();

    // Run again: it reads what was stored, encodes the rest, and writes the ladder an
    // uninterrupted run writes; the dead writer's leftover is gone.
    let resumed = run(
        &tmp.path().join("resumed"),
        &[crfs[0], crfs[1], "--cache", c],
    );
    assert_eq!(resumed["timing"]["cached_encodes"], stored as u64);
    assert_eq!(unit_files(&cache).len(), 6);
    assert!(!dead.exists(), "a stale temporary unit survived the rerun");
    assert!(
        live.exists(),
        "a fresh temporary unit (a live writer's) was removed"
    );
    std::fs::remove_file(&live).unwrap();
    assert_eq!(&without_timing(resumed), whole());
}

#[test]
fn two_runs_sharing_a_cache_at_once_both_finish_right() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let c = cache.to_str().unwrap();
    // Overlapping points (CRF 28 in both), started together.
    let a = command(&tmp.path().join("a"), &["--crf", "20,28", "--cache", c])
        .spawn()
        .unwrap();
    let b = command(&tmp.path().join("b"), &["--crf", "28,36", "--cache", c])
        .spawn()
        .unwrap();
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(unit_files(&cache).len(), 6);
    for (dir, crfs) in [("a", "20,28"), ("b", "28,36")] {
        let shared = common::read_manifest(&tmp.path().join(dir).join("ladder.json"));
        let alone = run(&tmp.path().join(format!("{dir}-alone")), &["--crf", crfs]);
        assert_eq!(without_timing(shared), without_timing(alone));
    }
    // And a third run finds everything.
    let all = run(
        &tmp.path().join("all"),
        &["--crf", "20,28,36", "--cache", c],
    );
    assert_eq!(all["timing"]["cached_encodes"], 6);
}

#[test]
fn ctrl_c_stops_cleanly_and_the_cache_stays_valid() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let c = cache.to_str().unwrap();
    let out = tmp.path().join("stopped");
    let crfs = ["--crf", "20,28,36"];
    let child = started_until_stored(&out, &[crfs[0], crfs[1], "--cache", c], &cache, 2);
    // SAFETY: signalling our own child process.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    assert_eq!(sent, 0);
    let signalled = Instant::now();
    let output = child.wait_with_output().unwrap();
    let stopped_in = signalled.elapsed();
    // It stops on its own (no second signal), soon, with one line and the shell's code.
    assert!(
        stopped_in < Duration::from_secs(10),
        "took {stopped_in:?} to stop"
    );
    assert_eq!(output.status.code(), Some(130), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("pertitle: error: interrupted"),
        "{stderr}"
    );
    // Nothing half-written: no ladder.json, no temporary file, whole units only.
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_whole_units(&cache);
    let stored = unit_files(&cache).len();
    let resumed = run(
        &tmp.path().join("resumed"),
        &[crfs[0], crfs[1], "--cache", c],
    );
    assert_eq!(resumed["timing"]["cached_encodes"], stored as u64);
    assert_eq!(&without_timing(resumed), whole());
}
