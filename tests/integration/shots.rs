//! Shot detection (`pertitle shots` and `shots::detect::detect`) against cuts known
//! independently: the montage's shot starts as its SOURCES.md lists them (and FFmpeg's
//! `scdet` finds), and synthetic clips made with the FFmpeg CLI whose cut, flash, fades and
//! dissolve are placed by construction.

use crate::common;
use assert_cmd::Command;
use pertitle::shots::detect::{DetectOptions, ShotList, detect};
use pertitle::util::progress::Silent;
use std::path::Path;

/// The first frame of every shot of montage_720p25.mp4, from ../shared/clips/SOURCES.md.
const MONTAGE_SHOTS: [u64; 12] = [0, 63, 126, 189, 252, 315, 378, 441, 504, 566, 628, 691];
const MONTAGE_FRAMES: u64 = 754;

fn pertitle() -> Command {
    Command::cargo_bin("pertitle").expect("binary built")
}

/// `pertitle shots ARGS --json`, parsed.
fn shots_json(args: &[&std::ffi::OsStr]) -> serde_json::Value {
    let out = pertitle()
        .arg("shots")
        .args(args)
        .arg("--json")
        .output()
        .expect("run pertitle");
    assert!(
        out.status.success(),
        "pertitle shots failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// The shots cover every frame once, in order, and start at the cuts.
fn check_cover(list: &ShotList) {
    let mut next = 0;
    for shot in &list.shots {
        assert_eq!(shot.start_frame, next, "{:?}", list.shots);
        next += shot.frames;
    }
    assert_eq!(next, list.total_frames);
    let starts: Vec<u64> = list.shots.iter().skip(1).map(|s| s.start_frame).collect();
    let cuts: Vec<u64> = list.cuts.iter().map(|c| c.frame).collect();
    assert_eq!(starts, cuts);
}

#[test]
fn every_cut_of_the_montage_is_found_and_no_other() {
    let Some(clips) = common::clips_dir("shots::every_cut_of_the_montage_is_found_and_no_other")
    else {
        return;
    };
    let montage = clips.join("montage_720p25.mp4");
    let json = shots_json(&[montage.as_os_str()]);
    // The JSON output is the library's ShotList.
    let list: ShotList = serde_json::from_value(json.clone()).expect("a ShotList");
    check_cover(&list);
    assert_eq!(list.total_frames, MONTAGE_FRAMES);
    assert_eq!(json["frame_rate"], "25/1");
    assert_eq!(list.options, DetectOptions::default());
    let found: Vec<u64> = list.shots.iter().map(|s| s.start_frame).collect();
    assert_eq!(found.len(), MONTAGE_SHOTS.len(), "shots start at {found:?}");
    for (f, expected) in found.iter().zip(MONTAGE_SHOTS) {
        assert!(f.abs_diff(expected) <= 1, "shots start at {found:?}");
    }
    for cut in &list.cuts {
        assert!(cut.score >= list.options.threshold, "{cut:?}");
        assert!(cut.difference >= cut.score, "{cut:?}");
    }
    // A lower threshold still invents no cut inside a shot: the least cut scores well above
    // what motion, flashes and text inside the shots reach.
    let least = list
        .cuts
        .iter()
        .map(|c| c.score)
        .fold(f64::INFINITY, f64::min);
    let low = shots_json(&[
        montage.as_os_str(),
        "--threshold".as_ref(),
        "5".as_ref(),
        "--min-shot-seconds".as_ref(),
        "0".as_ref(),
    ]);
    let low: ShotList = serde_json::from_value(low).expect("a ShotList");
    let low_cuts: Vec<u64> = low.cuts.iter().map(|c| c.frame).collect();
    assert_eq!(low_cuts, found[1..], "least cut score {least}");
}

#[test]
fn a_colour_burst_and_animated_text_are_one_shot_each() {
    let Some(clips) =
        common::clips_dir("shots::a_colour_burst_and_animated_text_are_one_shot_each")
    else {
        return;
    };
    // Single shots (SOURCES.md): a 60 fps square animation with a full-screen colour burst,
    // and an end card whose text animates. Every cut kept (no shortest shot), at half the
    // default threshold: still none.
    for name in [
        "vector_animation_1080x1080p60.mp4",
        "endcard_graphics_1080p30.mp4",
    ] {
        let options = DetectOptions {
            threshold: DetectOptions::DEFAULT_THRESHOLD / 2.0,
            min_shot_seconds: 0.0,
        };
        let list = detect(&clips.join(name), &options, &Silent).expect("detects");
        check_cover(&list);
        assert!(list.cuts.is_empty(), "{name}: {:?}", list.cuts);
    }
}

/// A 320x180, 25 fps, 10 s clip: 3 s of testsrc2 (moving) with a 2-frame white flash at
/// frames 37-38, a hard cut to SMPTE bars at frame 75, which fade out to black over their
/// last second; testsrc fading in over a second from frame 150, dissolving (1 s) into
/// rgbtestsrc from frame 200. The one cut is at 75.
fn synthetic(path: &Path) {
    let sources = [
        "testsrc2=size=320x180:rate=25:duration=3",
        "smptebars=size=320x180:rate=25:duration=3",
        "testsrc=size=320x180:rate=25:duration=3",
        "rgbtestsrc=size=320x180:rate=25:duration=2",
    ];
    let mut args: Vec<&str> = Vec::new();
    for s in &sources {
        args.extend(["-f", "lavfi", "-i", s]);
    }
    args.extend([
        "-filter_complex",
        "[0]drawbox=color=white:t=fill:enable='between(n,37,38)'[a];\
         [1]fade=t=out:start_frame=50:nb_frames=25[b];\
         [2]fade=t=in:start_frame=0:nb_frames=25[c];\
         [c][3]xfade=transition=fade:duration=1:offset=2[cd];\
         [a][b][cd]concat=n=3:v=1,format=yuv420p[v]",
        "-map",
        "[v]",
        "-c:v",
        "libx264",
        "-qp",
        "0",
        "-preset",
        "ultrafast",
    ]);
    args.push(path.to_str().expect("utf-8 path"));
    common::ffmpeg(&args);
}

#[test]
fn a_synthetic_cut_is_found_and_its_flash_fades_and_dissolve_are_not() {
    let dir = tempfile::tempdir().expect("temp dir");
    let clip = dir.path().join("cut_flash_fade.mp4");
    synthetic(&clip);
    for min_shot_seconds in [0.0, 1.0] {
        let options = DetectOptions {
            min_shot_seconds,
            ..DetectOptions::default()
        };
        let list = detect(&clip, &options, &Silent).expect("detects");
        check_cover(&list);
        assert_eq!(list.total_frames, 250);
        let cuts: Vec<u64> = list.cuts.iter().map(|c| c.frame).collect();
        assert_eq!(cuts, vec![75], "min {min_shot_seconds} s: {:?}", list.cuts);
    }
    // The flash is seen as a change: only the flash check keeps it from being a cut. At a
    // threshold of 3 the fades and the dissolve still do not split the clip.
    let options = DetectOptions {
        threshold: 3.0,
        min_shot_seconds: 0.0,
    };
    let list = detect(&clip, &options, &Silent).expect("detects");
    let cuts: Vec<u64> = list.cuts.iter().map(|c| c.frame).collect();
    assert_eq!(cuts, vec![75], "{:?}", list.cuts);
}

#[test]
fn the_table_lists_every_shot() {
    let dir = tempfile::tempdir().expect("temp dir");
    let clip = dir.path().join("cut_flash_fade.mp4");
    synthetic(&clip);
    let out = pertitle()
        .args(["shots", "--quiet"])
        .arg(&clip)
        .output()
        .expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert_eq!(rows[0][..5], ["1", "0", "0.000", "75", "3.000"], "{text}");
    assert_eq!(rows[0][5], "-");
    assert_eq!(rows[1][..5], ["2", "75", "3.000", "175", "7.000"], "{text}");
    assert!(rows[1][5].parse::<f64>().expect("a score") >= 8.0, "{text}");
}

/// `pertitle shots ARGS` fails with one stderr line that starts with `pertitle: error:`
/// and holds `names`.
fn refused(args: &[&std::ffi::OsStr], names: &str) {
    let out = pertitle().arg("shots").args(args).output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} succeeded");
    assert!(out.stdout.is_empty(), "{args:?} printed {:?}", out.stdout);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{args:?}: {err}");
    assert!(lines[0].starts_with("pertitle: error:"), "{err}");
    assert!(
        lines[0].contains(names),
        "{args:?} should name {names}: {err}"
    );
}

#[test]
fn bad_inputs_and_options_are_refused_in_one_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("missing.mp4");
    refused(&[missing.as_os_str()], "missing.mp4: no such file");
    let text = dir.path().join("notes.mp4");
    std::fs::write(&text, "not a video at all\n").expect("write");
    refused(&[text.as_os_str()], "notes.mp4: cannot open as video");
    let clip = dir.path().join("clip.mp4");
    common::synthetic_clip(&clip, "64x36", "25", 0.2);
    for t in ["0", "-3", "100.5", "NaN"] {
        refused(
            &[clip.as_os_str(), "--threshold".as_ref(), t.as_ref()],
            "--threshold",
        );
    }
    for s in ["-1", "inf"] {
        refused(
            &[clip.as_os_str(), "--min-shot-seconds".as_ref(), s.as_ref()],
            "--min-shot-seconds",
        );
    }
    // The same clip with valid options is one shot.
    let json = shots_json(&[clip.as_os_str()]);
    assert_eq!(json["total_frames"], 5);
    assert_eq!(json["shots"].as_array().map(Vec::len), Some(1));
}
