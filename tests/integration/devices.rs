//! `optimize --devices`: every point scored for each device class, checked against runs that
//! measure the same thing as their main VMAF (libvmaf's phone model at 1080p, the native
//! engine at another display), and the classes that are refused.

use crate::common;
use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn pertitle() -> Command {
    Command::cargo_bin("pertitle").expect("binary built")
}

/// `optimize` of `clip` over two heights and CRFs into `out`, with `extra` options.
fn optimize(clip: &Path, out: &Path, extra: &[&str]) -> Value {
    pertitle()
        .args(["optimize", "--quiet", "--preset", "ultrafast"])
        .args(["--resolutions", "360,180", "--crf", "24,36"])
        .args(extra)
        .arg(clip)
        .arg("-o")
        .arg(out)
        .assert()
        .success();
    common::read_manifest(&out.join("ladder.json"))
}

fn points(m: &Value) -> &Vec<Value> {
    m["ladders"][0]["points"].as_array().expect("points")
}

/// Each point's `key` pooled mean and per-segment means.
fn quality(p: &Value, key: &str) -> (f64, Vec<f64>) {
    let mean = p["pooling"][key]["mean"]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} pooled: {p}"));
    let segments = p["segment_means"][key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} per segment"))
        .iter()
        .map(|v| v.as_f64().expect("number"))
        .collect();
    (mean, segments)
}

#[test]
fn each_device_class_scores_as_its_model_at_its_display() {
    let tmp = tempfile::tempdir().unwrap();
    let clip = tmp.path().join("clip.mp4");
    common::synthetic_clip(&clip, "640x360", "25", 2.0);
    let small = tmp.path().join("small.json");
    std::fs::write(
        &small,
        r#"{"name": "small", "display": "854x480", "max_width": 854, "max_height": 480}"#,
    )
    .unwrap();
    let with = optimize(
        &clip,
        &tmp.path().join("devices"),
        &[
            "--segment-seconds",
            "1",
            "--devices",
            &format!("phone,laptop,{}", small.display()),
        ],
    );
    // phone and laptop are judged at 1080p, so the run scores at 1080p.
    assert_eq!(with["settings"]["display"]["height"], 1080);
    let names: Vec<&str> = with["settings"]["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["key"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["vmaf_phone", "vmaf_laptop", "vmaf_small"]);
    // The phone class against libvmaf's phone model at 1080p; the small class against the
    // native engine's v0.6.1 at 854x480 as a run's main VMAF.
    let phone = optimize(
        &clip,
        &tmp.path().join("phone"),
        &[
            "--segment-seconds",
            "1",
            "--vmaf-model",
            "phone",
            "--vmaf-engine",
            "libvmaf",
            "--display",
            "1920x1080",
        ],
    );
    let at_480 = optimize(
        &clip,
        &tmp.path().join("480"),
        &["--segment-seconds", "1", "--display", "854x480"],
    );
    assert_eq!(points(&with).len(), 4);
    for ((p, ph), s) in points(&with)
        .iter()
        .zip(points(&phone))
        .zip(points(&at_480))
    {
        assert_eq!((&p["height"], &p["crf"]), (&ph["height"], &ph["crf"]));
        let (laptop, laptop_segments) = quality(p, "vmaf_laptop");
        let (main, main_segments) = quality(p, "vmaf");
        assert_eq!((laptop, laptop_segments), (main, main_segments));
        let (got, got_segments) = quality(p, "vmaf_phone");
        let (want, want_segments) = quality(ph, "vmaf");
        assert!((got - want).abs() < 2e-4, "phone {got} vs libvmaf {want}");
        for (a, b) in got_segments.iter().zip(&want_segments) {
            assert!((a - b).abs() < 2e-4, "phone per segment {a} vs {b}");
        }
        assert!(got > main, "the phone model scores higher: {got} vs {main}");
        assert_eq!(quality(p, "vmaf_small"), quality(s, "vmaf"));
    }
    // Rungs carry each class's quality too (interpolated ones between their points).
    for r in with["ladders"][0]["rungs"].as_array().unwrap() {
        for key in ["vmaf_phone", "vmaf_laptop", "vmaf_small"] {
            assert!(r["pooling"][key]["mean"].is_f64(), "rung {key}: {r}");
        }
    }
}

#[test]
fn device_classes_that_cannot_be_scored_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let clip = tmp.path().join("clip.mp4");
    common::synthetic_clip(&clip, "320x240", "25", 1.0);
    let twice = tmp.path().join("twice.json");
    std::fs::write(&twice, r#"{"name": "phone"}"#).unwrap();
    let bad_name = tmp.path().join("bad.json");
    std::fs::write(&bad_name, r#"{"name": "Big TV"}"#).unwrap();
    let cases: [(String, &str); 6] = [
        ("watch".into(), "watch: not a device class"),
        (
            "tv-4k".into(),
            "`tv-4k` is judged by the 4k model at 3840x2160, which needs a source of that height",
        ),
        (
            format!("phone,{}", twice.display()),
            "`phone` is given twice",
        ),
        (bad_name.display().to_string(), "must be 1 to 32 characters"),
        ("phone --vmaf-engine libvmaf".into(), "native VMAF engine"),
        (
            "phone --search adaptive".into(),
            "not calibrated across a proxy preset",
        ),
    ];
    for (i, (devices, expected)) in cases.iter().enumerate() {
        let out = tmp.path().join(format!("out{i}"));
        let mut args: Vec<&str> = vec!["optimize", "--quiet", "--devices"];
        args.extend(devices.split(' '));
        let assert = pertitle()
            .args(&args)
            .arg(&clip)
            .arg("-o")
            .arg(&out)
            .assert()
            .failure();
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(stderr.contains(expected), "{devices}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{devices}: {stderr}");
        assert!(
            !out.join("ladder.json").exists(),
            "{devices}: wrote a ladder"
        );
    }
}

/// `simulate --device phone` on a ladder scored for phones plays the phone's quality, and
/// `--reference` plays the fixed ladder it was compared with, as encoded on the title.
#[test]
fn simulate_plays_the_device_quality_and_the_reference_ladder() {
    let tmp = tempfile::tempdir().unwrap();
    let clip = tmp.path().join("clip.mp4");
    common::synthetic_clip(&clip, "640x360", "25", 2.0);
    let out = tmp.path().join("out");
    let manifest = optimize(
        &clip,
        &out,
        &[
            "--segment-seconds",
            "1",
            "--devices",
            "phone",
            "--compare-to",
            "apple-hls",
            "--measured-only",
        ],
    );
    let output = pertitle()
        .args(["simulate", "--json", "--reference", "--device", "phone"])
        .arg(out.join("ladder.json"))
        .args(["--traces", "constant:600", "--session-seconds", "20"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let sim: Value = serde_json::from_slice(&output.stdout).unwrap();
    let ladders = sim["ladders"].as_array().unwrap();
    assert_eq!(ladders.len(), 2);
    for l in ladders {
        assert_eq!(l["quality"], "vmaf_phone");
    }
    assert!(
        ladders[1]["ladder"]
            .as_str()
            .unwrap()
            .ends_with("#apple-hls"),
        "{}",
        ladders[1]["ladder"]
    );
    // Apple's rungs up to 360p fit the 640x360 source: 416x234 at 145 and 640x360 at 365.
    let reference = manifest["ladders"][0]["comparison"]["rungs"]
        .as_array()
        .unwrap();
    let mut want: Vec<f64> = reference
        .iter()
        .map(|r| r["bitrate_kbps"].as_f64().unwrap())
        .collect();
    want.sort_by(f64::total_cmp);
    let got: Vec<f64> = ladders[1]["rungs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["bitrate_kbps"].as_f64().unwrap())
        .collect();
    assert_eq!(got, want);
    assert_eq!(got.len(), 2);
}

/// `package` scores every final encode for the ladder's device classes as its trial points
/// were, at each class's display: an interpolated rung gets measured `vmaf_<class>` figures,
/// and a measured rung's are its trial point's.
#[test]
fn package_scores_the_renditions_for_each_device_class() {
    let tmp = tempfile::tempdir().unwrap();
    let clip = tmp.path().join("clip.mp4");
    common::synthetic_clip(&clip, "320x240", "25", 2.0);
    let small = tmp.path().join("small.json");
    std::fs::write(&small, r#"{"name": "small", "display": "480x360"}"#).unwrap();
    let out = tmp.path().join("out");
    let devices = format!("phone,{}", small.display());
    let manifest = optimize(
        &clip,
        &out,
        &["--segment-seconds", "1", "--devices", &devices],
    );
    let rungs = manifest["ladders"][0]["rungs"].as_array().unwrap();
    assert!(rungs.iter().any(|r| r["interpolated"] == true), "{rungs:?}");
    let stream = tmp.path().join("stream");
    pertitle()
        .args(["package", "--quiet"])
        .arg(out.join("ladder.json"))
        .arg("-o")
        .arg(&stream)
        .assert()
        .success();
    let text = std::fs::read_to_string(stream.join("package.json")).unwrap();
    let package: Value = serde_json::from_str(&text).unwrap();
    let renditions = package["renditions"].as_array().unwrap();
    assert_eq!(renditions.len(), rungs.len());
    for (r, rung) in renditions.iter().zip(rungs) {
        for key in ["vmaf_phone", "vmaf_small"] {
            let (mean, segments) = quality(r, key);
            assert_eq!(segments.len(), 2, "{key}: {r}");
            let (estimate, _) = quality(rung, key);
            if rung["interpolated"] == true {
                assert_eq!(r["quality_source"], "measured");
                // The final encode lands near the interpolated estimate.
                assert!((mean - estimate).abs() < 6.0, "{key}: {mean} vs {estimate}");
            } else {
                assert_eq!(r["quality_source"], "trial");
                assert_eq!(mean, estimate, "{key}");
            }
        }
        let (phone, _) = quality(r, "vmaf_phone");
        let (main, _) = quality(r, "vmaf");
        assert!(
            phone > main,
            "the phone model scores higher: {phone} vs {main}"
        );
    }
}
