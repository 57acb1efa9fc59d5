//! `optimize --cache DIR`: results reused across runs, the same ladder as without a cache.

use crate::common;
use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/sample_720p25.mp4")
}

/// `optimize` on the shipped sample at two resolutions, fast settings (`--preset veryfast`
/// unless `extra` gives one), and `extra`.
fn optimize(out: &Path, extra: &[&str]) -> Value {
    let preset: &[&str] = if extra.contains(&"--preset") {
        &[]
    } else {
        &["--preset", "veryfast"]
    };
    Command::cargo_bin("pertitle")
        .expect("binary built")
        .args(["optimize", "--quiet", "--metric", "psnr"])
        .args(preset)
        .args(["--resolutions", "360,180"])
        .args(extra)
        .arg(sample())
        .arg("-o")
        .arg(out)
        .assert()
        .success();
    common::read_manifest(&out.join("ladder.json"))
}

/// Every unit file in a cache directory.
fn units(cache: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for shard in std::fs::read_dir(cache.join("units")).unwrap() {
        for f in std::fs::read_dir(shard.unwrap().path()).unwrap() {
            files.push(f.unwrap().path());
        }
    }
    files.sort();
    files
}

fn cached(m: &Value) -> u64 {
    m["timing"]["cached_encodes"].as_u64().unwrap_or(0)
}

fn without_timing(mut m: Value) -> Value {
    m.as_object_mut().unwrap().remove("timing");
    m
}

#[test]
fn a_cache_encodes_only_new_points_and_changes_nothing_else() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let c = cache.to_str().unwrap();

    // A first run fills the cache: one unit per point, all named by their hash.
    let first = optimize(&tmp.path().join("a"), &["--crf", "24,36", "--cache", c]);
    assert_eq!(cached(&first), 0);
    let files = units(&cache);
    assert_eq!(files.len(), 4, "{files:?}");
    for f in &files {
        let name = f.file_stem().unwrap().to_str().unwrap();
        assert_eq!(name.len(), 64);
        assert!(name.starts_with(f.parent().unwrap().file_name().unwrap().to_str().unwrap()));
    }

    // Another CRF: only its two points are encoded; the ladder is the one a run without a
    // cache gives, byte for byte apart from the timing.
    let more = optimize(&tmp.path().join("b"), &["--crf", "24,30,36", "--cache", c]);
    assert_eq!(cached(&more), 4);
    assert_eq!(units(&cache).len(), 6);
    let fresh = optimize(&tmp.path().join("f"), &["--crf", "24,30,36"]);
    assert_eq!(without_timing(more.clone()), without_timing(fresh));
    // The cached points keep the CPU time of their original encodes.
    let cpu = |m: &Value, h: u64, crf: f64| -> f64 {
        let points = m["ladders"][0]["points"].as_array().unwrap();
        let i = points
            .iter()
            .position(|p| p["height"] == h && p["crf"] == crf)
            .unwrap();
        m["timing"]["ladders"][0]["points_encode_cpu_s"][i]
            .as_f64()
            .unwrap()
    };
    assert_eq!(cpu(&more, 360, 24.0), cpu(&first, 360, 24.0));

    // Other ladder constraints: nothing is encoded.
    let fewer = optimize(
        &tmp.path().join("c"),
        &["--crf", "24,30,36", "--max-rungs", "2", "--cache", c],
    );
    assert_eq!(cached(&fewer), 6);
    assert!(fewer["ladders"][0]["rungs"].as_array().unwrap().len() <= 2);

    // Another preset is another encode: no unit matches.
    let other = optimize(
        &tmp.path().join("d"),
        &["--crf", "24", "--preset", "superfast", "--cache", c],
    );
    assert_eq!(cached(&other), 0);
    assert_eq!(units(&cache).len(), 8);
}
