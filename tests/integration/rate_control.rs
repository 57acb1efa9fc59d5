//! Rate control as services deploy it: capped-CRF points and rungs (`optimize --rate-control
//! capped-crf`, `package --capped-crf`) and the reference ladder's two-pass rungs; the sizes
//! checked against ffprobe's reading of the written segments and against plain CRF encodes.

use crate::common;
use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn pertitle() -> Command {
    Command::cargo_bin("pertitle").expect("binary built")
}

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/sample_720p25.mp4")
}

fn f(v: &Value) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("number expected, got {v}"))
}

fn bits(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap_or_else(|| panic!("array expected, got {v}"))
        .iter()
        .map(|b| b.as_u64().unwrap())
        .collect()
}

/// The sample at 360p and four CRFs, ultrafast, PSNR, 1 s segments (the easy first half and
/// the hard second half of the sample fall in different segments), with `extra` options.
fn ladder(out: &Path, extra: &[&str]) -> Value {
    pertitle()
        .args([
            "optimize",
            "--quiet",
            "--metric",
            "psnr",
            "--preset",
            "ultrafast",
        ])
        .args(["--resolutions", "360", "--crf", "22,28,34,40"])
        .args(["--segment-seconds", "1", "--min-rungs", "2"])
        .args(extra)
        .arg(sample())
        .arg("-o")
        .arg(out)
        .assert()
        .success();
    common::read_manifest(&out.join("ladder.json"))
}

/// The video bits of each media segment of a packaged rendition, as ffprobe reads the
/// packets of the initialization segment followed by that segment.
fn probed_segment_bits(dir: &Path, segments: usize, tmp: &Path) -> Vec<u64> {
    let init = std::fs::read(dir.join("init.mp4")).unwrap();
    (0..segments)
        .map(|k| {
            let mut bytes = init.clone();
            bytes.extend(std::fs::read(dir.join(format!("seg_{k:05}.m4s"))).unwrap());
            let file = tmp.join(format!("probe_{k}.mp4"));
            std::fs::write(&file, bytes).unwrap();
            let sizes = common::ffprobe(&[
                "-v",
                "error",
                "-select_streams",
                "v:0",
                "-show_entries",
                "packet=size",
                "-of",
                "csv=p=0",
                file.to_str().unwrap(),
            ]);
            sizes
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| l.trim().parse::<u64>().unwrap() * 8)
                .sum()
        })
        .collect()
}

#[test]
fn capped_crf_rungs_package_bit_identically_within_their_caps() {
    let tmp = tempfile::tempdir().unwrap();
    let plain = ladder(&tmp.path().join("plain"), &[]);
    let capped = ladder(
        &tmp.path().join("capped"),
        &[
            "--rate-control",
            "capped-crf",
            "--cap-maxrate",
            "1",
            "--cap-buffer",
            "0.25",
        ],
    );
    let durations: Vec<f64> = capped["segments"]["durations_s"]
        .as_array()
        .unwrap()
        .iter()
        .map(f)
        .collect();
    let table = &capped["ladders"][0]["capped_crf"];
    assert_eq!(f(&table["rule"]["maxrate_factor"]), 1.0);
    let caps = table["points"].as_array().unwrap();
    let plain_points = plain["ladders"][0]["points"].as_array().unwrap();
    let points = capped["ladders"][0]["points"].as_array().unwrap();
    assert_eq!(caps.len(), 4);
    let mut bound = 0;
    for ((cap, point), plain) in caps.iter().zip(points).zip(plain_points) {
        assert_eq!(cap["crf"], point["crf"]);
        assert_eq!(plain["crf"], point["crf"]);
        // The CRF-only encode the cap comes from is the plain ladder's encode of that CRF.
        let crf_only = f(&cap["crf_only_kbps"]);
        assert!(
            (crf_only - f(&plain["bitrate_kbps"])).abs() < 0.01,
            "{cap} against {plain}"
        );
        let (maxrate, bufsize) = (f(&cap["maxrate_kbps"]), f(&cap["bufsize_kbits"]));
        assert!(
            (maxrate - crf_only).abs() < 0.002 && (bufsize - maxrate / 4.0).abs() < 0.002,
            "{cap}"
        );
        // Every segment within what the VBV lets through: the maximum rate over the segment
        // plus a full buffer.
        let sizes = bits(&point["segment_sizes_bits"]);
        for (bits, d) in sizes.iter().zip(&durations) {
            let allowed = (maxrate * d + bufsize) * 1000.0;
            assert!(*bits as f64 <= allowed, "{point}: {bits} bits in {d} s");
        }
        let plain_peak = bits(&plain["segment_sizes_bits"])
            .into_iter()
            .max()
            .unwrap();
        let peak = sizes.iter().copied().max().unwrap();
        println!(
            "crf {}: peak {peak} bits capped, {plain_peak} plain; {} kbps capped, {crf_only} plain",
            point["crf"], point["bitrate_kbps"]
        );
        if (peak as f64) < 0.97 * plain_peak as f64 {
            bound += 1;
        }
    }
    assert!(bound > 0, "the cap bound no point: {caps:?}");

    // The package encodes each rung as its point was: the measured rungs bit for bit.
    let stream = tmp.path().join("stream");
    pertitle()
        .args(["package", "--quiet", "--no-score", "--hls"])
        .arg(tmp.path().join("capped/ladder.json"))
        .arg("-o")
        .arg(&stream)
        .assert()
        .success();
    let package: Value =
        serde_json::from_str(&std::fs::read_to_string(stream.join("package.json")).unwrap())
            .unwrap();
    let rungs = capped["ladders"][0]["rungs"].as_array().unwrap();
    let renditions = package["renditions"].as_array().unwrap();
    let master = std::fs::read_to_string(stream.join("master.m3u8")).unwrap();
    let mut measured = 0;
    for (rung, r) in rungs.iter().zip(renditions) {
        let video = bits(&r["segment_video_bits"]);
        let probed = probed_segment_bits(
            &stream.join(r["name"].as_str().unwrap()),
            video.len(),
            tmp.path(),
        );
        // The muxer turns start codes into length prefixes: a byte or so per frame.
        for (p, v) in probed.iter().zip(&video) {
            assert!(
                p.abs_diff(*v) <= 64,
                "{}: ffprobe reads {probed:?}, pertitle {video:?}",
                r["name"]
            );
        }
        let (maxrate, bufsize) = (f(&r["maxrate_kbps"]), f(&r["bufsize_kbits"]));
        for (bits, d) in video.iter().zip(&durations) {
            assert!(
                *bits as f64 <= (maxrate * d + bufsize) * 1000.0,
                "{}",
                r["name"]
            );
        }
        assert!(master.contains(&format!("BANDWIDTH={}", r["hls_bandwidth"])));
        if rung["interpolated"] == false {
            measured += 1;
            assert_eq!(r["matches_trial"], true, "{}", r["name"]);
            // The ladder's sizes (what `simulate` and `export` read) are the capped encode's.
            assert_eq!(video, bits(&rung["segment_sizes_bits"]), "{}", r["name"]);
            let cap = caps.iter().find(|c| c["crf"] == rung["crf"]).unwrap();
            assert_eq!(f(&r["maxrate_kbps"]), f(&cap["maxrate_kbps"]));
        }
    }
    assert!(measured > 0, "no measured rung: {rungs:?}");

    // What `simulate` and `export` read of the package: the capped segments' sizes.
    let output = pertitle()
        .args(["export", "--format", "sabre", "--package"])
        .arg(&stream)
        .arg(tmp.path().join("capped/ladder.json"))
        .output()
        .unwrap();
    assert!(output.status.success());
    let sabre: Value = serde_json::from_slice(&output.stdout).unwrap();
    for (k, segment) in sabre["segment_sizes_bits"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        for (r, size) in renditions.iter().zip(segment.as_array().unwrap()) {
            assert_eq!(
                size.as_u64().unwrap(),
                r["segment_bytes"][k].as_u64().unwrap() * 8
            );
        }
    }

    // `frames` encodes the rungs again as the ladder does: a measured rung's segment 4 (in the
    // hard half, where the caps bind), encoded from the first frame to the last, is its
    // capped trial encode's to the bit, not the plain encode's.
    let pictures = tmp.path().join("frames");
    pertitle()
        .args(["frames", "--quiet", "--at", "4.2"])
        .arg(tmp.path().join("capped/ladder.json"))
        .arg("-o")
        .arg(&pictures)
        .assert()
        .success();
    let frames: Value =
        serde_json::from_str(&std::fs::read_to_string(pictures.join("frames.json")).unwrap())
            .unwrap();
    let mut unlike_plain = 0;
    for (r, rung) in frames["rungs"].as_array().unwrap().iter().zip(rungs) {
        if rung["interpolated"] == false {
            assert_eq!(r["segment_bits"], rung["segment_sizes_bits"][4], "{r}");
            let plain = plain_points
                .iter()
                .find(|p| p["crf"] == rung["crf"])
                .unwrap();
            if r["segment_bits"] != plain["segment_sizes_bits"][4] {
                unlike_plain += 1;
            }
        }
    }
    assert!(
        unlike_plain > 0,
        "no measured rung's segment 4 differs from plain CRF's"
    );

    // A plain ladder packaged capped: each rung capped by its own bitrate, not its trial.
    let stream = tmp.path().join("plain-capped");
    pertitle()
        .args(["package", "--quiet", "--no-score", "--hls", "--capped-crf"])
        .arg(tmp.path().join("plain/ladder.json"))
        .arg("-o")
        .arg(&stream)
        .assert()
        .success();
    let package: Value =
        serde_json::from_str(&std::fs::read_to_string(stream.join("package.json")).unwrap())
            .unwrap();
    for (rung, r) in plain["ladders"][0]["rungs"]
        .as_array()
        .unwrap()
        .iter()
        .zip(package["renditions"].as_array().unwrap())
    {
        let expected = (f(&rung["bitrate_kbps"]) * 1.5 * 1000.0).round() / 1000.0;
        assert!((f(&r["maxrate_kbps"]) - expected).abs() < 0.002, "{r}");
        assert!(r.get("matches_trial").is_none(), "{r}");
    }
}

#[test]
fn two_pass_reference_rungs_land_near_their_bitrates() {
    let tmp = tempfile::tempdir().unwrap();
    let m = ladder(&tmp.path().join("out"), &["--compare-to", "apple-hls"]);
    let c = &m["ladders"][0]["comparison"];
    assert_eq!(c["rate_control_mode"], "two-pass");
    assert!(
        c["rate_control"].as_str().unwrap().contains("two-pass"),
        "{c}"
    );
    let rungs = c["rungs"].as_array().unwrap();
    assert_eq!(rungs.len(), 7);
    for r in rungs {
        let (got, target) = (f(&r["bitrate_kbps"]), f(&r["target_kbps"]));
        assert!((got / target - 1.0).abs() < 0.05, "{r}");
    }
}

#[test]
fn bad_rate_controls_are_one_line_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let cases: [(&[&str], &str); 5] = [
        (
            &["--rate-control", "capped-crf", "--cap-maxrate", "-1"],
            "--rate-control",
        ),
        (
            &["--rate-control", "capped-crf", "--cap-buffer", "0"],
            "must be positive",
        ),
        (
            &["--rate-control", "capped-crf", "--codec", "vp9"],
            "x264 and x265",
        ),
        (
            &["--rate-control", "capped-crf", "--search", "adaptive"],
            "grid",
        ),
        (
            &[
                "--compare-to",
                "apple-hls",
                "--reference-rate-control",
                "two-pass",
                "--codec",
                "svt-av1",
            ],
            "x264 and x265",
        ),
    ];
    for (args, expected) in cases {
        let output = pertitle()
            .arg("optimize")
            .arg(sample())
            .arg("-o")
            .arg(&out)
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    }
    assert!(!out.join("ladder.json").exists());
}
