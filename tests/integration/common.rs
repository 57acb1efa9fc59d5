//! Helpers shared by the integration tests: where the shared clips are, and running the
//! FFmpeg CLI (a test oracle and fixture maker only; the product never runs it).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The shared real clips, or `None` (with a visible SKIP message) when they are absent.
pub fn clips_dir(test: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/clips");
    if dir.join("SOURCES.md").exists() {
        Some(dir)
    } else {
        eprintln!("SKIP {test}: ../shared/clips is absent");
        None
    }
}

/// Every clip in the shared clips directory, sorted by name.
pub fn all_clips(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read clips dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "mp4"))
        .collect();
    v.sort();
    v
}

/// Run the ffmpeg CLI with `args` (quietly), panicking with its stderr on failure.
pub fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-loglevel", "error", "-y"])
        .args(args)
        .output()
        .expect("run ffmpeg (install it with scripts/setup.sh)");
    assert!(
        out.status.success(),
        "ffmpeg {:?} failed: {}",
        args,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Run ffprobe and return its stdout.
pub fn ffprobe(args: &[&str]) -> String {
    let out = Command::new("ffprobe")
        .args(["-hide_banner", "-loglevel", "error"])
        .args(args)
        .output()
        .expect("run ffprobe");
    assert!(out.status.success(), "ffprobe {:?} failed", args);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Per-frame values of a `metadata=print` dump: for each frame, the value of `key`.
pub fn metadata_values(dump: &str, key: &str) -> Vec<f64> {
    let prefix = format!("{key}=");
    dump.lines()
        .filter_map(|l| l.trim().strip_prefix(&prefix))
        .map(|v| match v {
            "inf" => f64::INFINITY,
            v => v.parse().expect("number in metadata dump"),
        })
        .collect()
}

/// FFmpeg output options for a lossless H.264 fixture.
const LOSSLESS_X264: [&str; 6] = ["-c:v", "libx264", "-qp", "0", "-preset", "ultrafast"];

/// A lossless, short synthetic clip made with FFmpeg's test sources.
pub fn synthetic_clip(path: &Path, size: &str, rate: &str, seconds: f64) {
    let src = format!("testsrc2=size={size}:rate={rate}:duration={seconds}");
    let mut args = vec!["-f", "lavfi", "-i", &src, "-pix_fmt", "yuv420p"];
    args.extend(LOSSLESS_X264);
    args.push(path.to_str().expect("utf-8 path"));
    ffmpeg(&args);
}

/// 1.6 s of FFmpeg's test pattern, then 2 s of the Mandelbrot zoom: 90 frames at 25 fps
/// with one hard cut, at frame 40.
#[allow(dead_code)]
pub fn two_shot_clip(path: &Path) {
    let mut args = vec![
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=25:duration=1.6",
        "-f",
        "lavfi",
        "-i",
        "mandelbrot=size=320x240:rate=25,trim=duration=2",
        "-filter_complex",
        "[0:v][1:v]concat=n=2:v=1[v]",
        "-map",
        "[v]",
        "-pix_fmt",
        "yuv420p",
    ];
    args.extend(LOSSLESS_X264);
    args.push(path.to_str().expect("utf-8 path"));
    ffmpeg(&args);
}

/// The first `seconds` of `input`, losslessly re-encoded to `out`.
#[allow(dead_code)]
pub fn lossless_cut(input: &Path, seconds: f64, out: &Path) {
    let seconds = seconds.to_string();
    let mut args = vec!["-i", input.to_str().expect("utf-8 path"), "-t", &seconds];
    args.extend(LOSSLESS_X264);
    args.push(out.to_str().expect("utf-8 path"));
    ffmpeg(&args);
}

/// Read a ladder.json, check it against the committed JSON Schema (`src/manifest/ladder.schema.json`),
/// and return it. Every test that has pertitle write a manifest reads it through here.
#[allow(dead_code)]
pub fn read_manifest(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let manifest: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()));
    let schema: serde_json::Value =
        serde_json::from_str(pertitle::manifest::JSON_SCHEMA).expect("the schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the schema is a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&manifest)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{} does not match src/manifest/ladder.schema.json:\n{}",
        path.display(),
        errors.join("\n")
    );
    manifest
}

/// What the committed JSON Schema finds wrong with a manifest (empty: it is valid).
#[allow(dead_code)]
pub fn schema_errors(manifest: &serde_json::Value) -> Vec<String> {
    let schema: serde_json::Value =
        serde_json::from_str(pertitle::manifest::JSON_SCHEMA).expect("the schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the schema is a valid schema");
    validator
        .iter_errors(manifest)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

/// A ladder's `search.sample` windows as (start frame, frames), given its `search` object.
#[allow(dead_code)]
pub fn sample_windows(search: &serde_json::Value) -> Vec<(u64, u64)> {
    search["sample"]
        .as_array()
        .expect("search.sample")
        .iter()
        .map(|w| {
            (
                w["start_frame"].as_u64().expect("start_frame"),
                w["frames"].as_u64().expect("frames"),
            )
        })
        .collect()
}

/// The `optimize` options of a shot-based run with one resolution per rung and no guard: the
/// shot ladders the package tests check segment by segment.
#[allow(dead_code)]
pub const FIXED_SHOTS: &[&str] = &[
    "--shots",
    "--segment-seconds",
    "1",
    "--shot-guard",
    "none",
    "--shot-resolution",
    "fixed",
];

/// `pertitle optimize CLIP -o OUT` with the quick settings the ladder tests share: a PSNR hull
/// at x264 ultrafast over 240p and 120p x five CRFs, and `extra` options.
#[allow(dead_code)]
pub fn optimize_small_psnr(clip: &Path, out: &Path, extra: &[&str]) {
    assert_cmd::Command::cargo_bin("pertitle")
        .expect("binary built")
        .args([
            "optimize",
            "--quiet",
            "--metric",
            "psnr",
            "--preset",
            "ultrafast",
        ])
        .args(["--resolutions", "240,120", "--crf", "18,24,30,36,42"])
        .args(extra)
        .arg(clip)
        .arg("-o")
        .arg(out)
        .assert()
        .success();
}
