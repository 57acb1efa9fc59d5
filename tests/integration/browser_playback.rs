//! Real web players play pertitle's packages: `scripts/browser/play.mjs` serves a package on
//! 127.0.0.1 and plays it in headless Chromium with hls.js (the HLS master playlist) and with
//! dash.js (the MPD), once per rung with adaptation off and that rung pinned, to the `ended`
//! event. Two packages: a per-title ladder of a synthetic clip, and a shot-based one whose
//! segments follow a hard cut (0.8, 0.8, 1.0 and 1.0 s). Oracles: the players' parsed levels
//! (one per rung, with the rungs' sizes), the video element (ended at the declared duration,
//! every frame decoded), the players' and the page's errors (none), and the server's log
//! (every segment of the pinned rung fetched, none of another rung).
//!
//! `scripts/browser/setup.sh` installs Chromium and the pinned npm packages when missing; when
//! it cannot (no network, no apt, not root), the tests print SKIP and pass.

use crate::common;
use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/browser")
}

/// Runs `scripts/browser/setup.sh` once per test process: `Err` with its output when it fails.
fn setup() -> &'static Result<(), String> {
    static SETUP: OnceLock<Result<(), String>> = OnceLock::new();
    SETUP.get_or_init(|| {
        match std::process::Command::new("bash")
            .arg(browser_dir().join("setup.sh"))
            .output()
        {
            Ok(out) if out.status.success() => Ok(()),
            Ok(out) => Err(format!(
                "scripts/browser/setup.sh failed ({}): {}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )),
            Err(e) => Err(format!("cannot run scripts/browser/setup.sh: {e}")),
        }
    })
}

/// The small optimize-and-package run both tests share, at CRFs `crfs`, with `extra` options.
fn package(clip: &Path, out: &Path, crfs: &str, extra: &[&str]) -> PathBuf {
    Command::cargo_bin("pertitle")
        .expect("binary built")
        .args(["optimize", "--quiet"])
        .arg(clip)
        .arg("-o")
        .arg(out)
        .args(extra)
        .args(["--metric", "psnr", "--preset", "ultrafast"])
        .args(["--resolutions", "240,120", "--crf", crfs, "--package"])
        .assert()
        .success();
    let stream = out.join("stream");
    assert!(stream.join("package.json").exists());
    stream
}

/// Plays `stream` with both players and checks the runner's JSON report of it, which it
/// returns.
fn play(stream: &Path, segment_durations: &[f64]) -> Value {
    let run = std::process::Command::new("node")
        .arg(browser_dir().join("play.mjs"))
        .arg(stream)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "play.mjs failed ({}):\n{stdout}\n{stderr}",
        run.status
    );
    let report: Value = serde_json::from_str(&stdout).expect("play.mjs prints JSON");
    assert_eq!(report["ok"], true, "{stdout}");
    assert_eq!(report["failures"].as_array().unwrap().len(), 0, "{stdout}");

    let pkg: Value =
        serde_json::from_str(&std::fs::read_to_string(stream.join("package.json")).unwrap())
            .unwrap();
    let rungs = pkg["renditions"].as_array().unwrap();
    let declared: Vec<f64> = pkg["segment_durations_s"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_f64().unwrap())
        .collect();
    assert_eq!(declared, segment_durations);
    let duration: f64 = segment_durations.iter().sum();
    for player in ["hls", "dash"] {
        let runs = report["players"][player].as_array().expect("runs");
        // One pinned playback per rung, lowest to highest.
        assert_eq!(runs.len(), rungs.len(), "{player}: {stdout}");
        assert_eq!(
            runs[0]["levels"].as_array().expect("levels").len(),
            rungs.len(),
            "{player}: {stdout}"
        );
        for r in runs {
            let what = format!("{player} {}", r["rung"]);
            let frames = rungs
                .iter()
                .find(|g| g["name"] == r["rung"])
                .expect("a rung of the package")["frames"]
                .as_u64()
                .unwrap();
            assert_eq!(r["ended"], true, "{what}");
            let at = r["current_time"].as_f64().expect("current time");
            assert!((at - duration).abs() <= 0.1, "{what}: ended at {at} s");
            assert_eq!(r["decoded_frames"].as_u64(), Some(frames), "{what}");
            assert_eq!(r["errors"].as_array().unwrap().len(), 0, "{what}");
            assert_eq!(
                r["segments_fetched"].as_u64(),
                Some(segment_durations.len() as u64),
                "{what}"
            );
            assert_eq!(r["other_rungs_segments"].as_array().unwrap().len(), 0);
        }
    }
    eprintln!(
        "{}: hls.js {} and dash.js {} in {} played every one of {} rungs to the end",
        stream.display(),
        report["versions"]["hls.js"],
        report["versions"]["dashjs"],
        report["versions"]["chromium"],
        rungs.len()
    );
    report
}

#[test]
fn hls_js_and_dash_js_play_every_rung_of_a_per_title_package() {
    if let Err(why) = setup() {
        eprintln!("SKIP browser_playback: {why}");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let clip = tmp.path().join("clip.mp4");
    common::synthetic_clip(&clip, "320x240", "25", 4.0);
    let stream = package(
        &clip,
        &tmp.path().join("run"),
        "24,36",
        &["--segment-seconds", "2"],
    );
    play(&stream, &[2.0, 2.0]);
}

#[test]
fn hls_js_and_dash_js_play_every_rung_of_a_shot_based_package() {
    if let Err(why) = setup() {
        eprintln!("SKIP browser_playback: {why}");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let clip = tmp.path().join("two_shots.mp4");
    common::two_shot_clip(&clip);
    let run = tmp.path().join("run");
    let stream = package(&clip, &run, "18,24,30,36,42", common::FIXED_SHOTS);
    // Shot rungs, some with a CRF per shot: renditions joined from per-shot encodes.
    let m = common::read_manifest(&run.join("ladder.json"));
    let rungs = m["ladders"][0]["rungs"].as_array().unwrap();
    assert!(
        rungs
            .iter()
            .any(|r| r["shots"][0]["crf"] != r["shots"][1]["crf"]),
        "no rung with a CRF per shot: {rungs:?}"
    );
    play(&stream, &[0.8, 0.8, 1.0, 1.0]);
}

#[test]
fn hls_js_and_dash_js_play_every_rung_of_a_free_shot_package() {
    if let Err(why) = setup() {
        eprintln!("SKIP browser_playback: {why}");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let clip = tmp.path().join("two_shots.mp4");
    common::two_shot_clip(&clip);
    let run = tmp.path().join("run");
    let stream = package(
        &clip,
        &run,
        "18,24,30,36,42",
        &[
            "--shots",
            "--shot-guard",
            "none",
            "--segment-seconds",
            "1",
            "--shot-resolution",
            "free",
        ],
    );
    // Some rung changes size at the cut: its rendition is avc3, parameter sets in band.
    let m = common::read_manifest(&run.join("ladder.json"));
    let rungs = m["ladders"][0]["rungs"].as_array().unwrap();
    let size = |s: &Value| format!("{}x{}", s["width"], s["height"]);
    let changing: Vec<&Value> = rungs
        .iter()
        .filter(|r| size(&r["shots"][0]) != size(&r["shots"][1]))
        .collect();
    assert!(!changing.is_empty(), "no rung changes size: {rungs:?}");
    let report = play(&stream, &[0.8, 0.8, 1.0, 1.0]);
    // The players showed each shot at its own size.
    let pkg: Value =
        serde_json::from_str(&std::fs::read_to_string(stream.join("package.json")).unwrap())
            .unwrap();
    for r in changing {
        let name = &pkg["renditions"][rungs.iter().position(|x| x == r).unwrap()]["name"];
        for player in ["hls", "dash"] {
            let played = report["players"][player]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["rung"] == *name)
                .expect("a playback of the rung");
            let sizes: Vec<String> = played["sizes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect();
            assert_eq!(
                sizes,
                [size(&r["shots"][0]), size(&r["shots"][1])],
                "{player} {name}"
            );
        }
    }
}
