//! `pertitle package` scores its final encodes as the trial points were: an interpolated rung's
//! quality is measured on its packaged rendition (checked against the FFmpeg CLI's `psnr`
//! filter playing the rendition's media playlist), a measured rung's is its trial point's,
//! copied, and scoring a measured rung anew gives exactly the trial's figures.

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

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `pertitle package LADDER -o OUT` (from the shipped sample), and its package.json.
fn package(ladder: &Path, out: &Path) -> Value {
    pertitle()
        .args(["package", "--quiet", "--source"])
        .arg(sample())
        .arg(ladder)
        .arg("-o")
        .arg(out)
        .assert()
        .success();
    read_json(&out.join("package.json"))
}

/// The FFmpeg CLI's luma PSNR of every frame of the rendition `media` (its HLS media
/// playlist, read as a client reads it) upscaled bicubic to 1280x720, against the source.
fn oracle_psnr_y(media: &Path, dir: &Path) -> Vec<f64> {
    let txt = dir.join("psnr.txt");
    let graph = format!(
        "[1:v]settb=1/25,setpts=N,scale=1280:720:flags=bicubic[d];[0:v]settb=1/25,setpts=N[r];\
         [d][r]psnr=shortest=1,metadata=print:file={}",
        txt.display()
    );
    common::ffmpeg(&[
        "-i",
        sample().to_str().unwrap(),
        "-i",
        media.to_str().unwrap(),
        "-filter_complex",
        &graph,
        "-f",
        "null",
        "-",
    ]);
    common::metadata_values(&std::fs::read_to_string(&txt).unwrap(), "lavfi.psnr.psnr.y")
        .into_iter()
        .map(|db| db.min(60.0))
        .collect()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

const QUALITY_FIELDS: [&str; 5] = ["psnr_y", "psnr_yuv", "ssim_y", "pooling", "segment_means"];

#[test]
fn packaged_renditions_carry_their_measured_quality() {
    let tmp = tempfile::tempdir().unwrap();
    let opt = tmp.path().join("opt");
    pertitle()
        .args([
            "optimize", "--quiet", "--metric", "psnr", "--preset", "veryfast",
        ])
        .args(["--resolutions", "360,270", "--crf", "22,30,38"])
        .args(["--segment-seconds", "2", "--min-rungs", "3"])
        .arg(sample())
        .arg("-o")
        .arg(&opt)
        .assert()
        .success();
    let ladder = opt.join("ladder.json");
    let manifest = common::read_manifest(&ladder);
    let rungs = manifest["ladders"][0]["rungs"].as_array().unwrap().clone();
    let segment_frames: Vec<usize> = manifest["segments"]["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(segment_frames, [50, 50, 50]);
    assert!(rungs.iter().any(|r| r["interpolated"] == true));
    assert!(rungs.iter().any(|r| r["interpolated"] == false));

    let out = tmp.path().join("stream");
    let packaged = package(&ladder, &out);
    let renditions = packaged["renditions"].as_array().unwrap();
    assert_eq!(renditions.len(), rungs.len());
    for (r, rung) in renditions.iter().zip(&rungs) {
        let name = r["name"].as_str().unwrap();
        // Every metric the ladder measured, pooled and per segment.
        let metrics: Vec<&String> = rung["pooling"].as_object().unwrap().keys().collect();
        assert_eq!(
            r["pooling"].as_object().unwrap().keys().collect::<Vec<_>>(),
            metrics,
            "{name}"
        );
        assert_eq!(
            r["segment_means"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            metrics,
            "{name}"
        );
        if rung["interpolated"] == false {
            // The trial encode, bit for bit: the trial's figures, copied.
            assert_eq!(r["matches_trial"], true, "{name}");
            assert_eq!(r["quality_source"], "trial", "{name}");
            for key in QUALITY_FIELDS {
                assert_eq!(r[key], rung[key], "{name}: {key}");
            }
            continue;
        }
        // An interpolated rung: scored on its own encode, as the FFmpeg CLI scores the
        // rendition it plays.
        assert_eq!(r["quality_source"], "measured", "{name}");
        let oracle = oracle_psnr_y(&out.join(name).join("media.m3u8"), tmp.path());
        assert_eq!(oracle.len(), 150, "{name}");
        let ours = r["segment_means"]["psnr_y"].as_array().unwrap();
        assert_eq!(ours.len(), segment_frames.len());
        let mut first = 0;
        for (k, (&n, ours)) in segment_frames.iter().zip(ours).enumerate() {
            let theirs = oracle[first..first + n].iter().sum::<f64>() / n as f64;
            first += n;
            eprintln!("{name} segment {k}: psnr_y pertitle {ours}, FFmpeg CLI {theirs:.6}");
            assert!(
                (f(ours) - theirs).abs() < 0.01,
                "{name} segment {k}: {ours} vs {theirs}"
            );
        }
        let mean = oracle.iter().sum::<f64>() / oracle.len() as f64;
        assert!((f(&r["psnr_y"]) - mean).abs() < 0.01, "{name}: {mean}");
        assert_eq!(r["psnr_y"], r["pooling"]["psnr_y"]["mean"]);
    }

    // export sabre --package plays the measured quality of every rung, per segment.
    let sabre: Value = serde_json::from_slice(
        &pertitle()
            .args(["export", "--format", "sabre", "--package"])
            .arg(&out)
            .arg(&ladder)
            .assert()
            .success()
            .get_output()
            .stdout,
    )
    .unwrap();
    assert_eq!(sabre["quality_metric"], "psnr_y");
    let quality = sabre["segment_quality"].as_array().unwrap();
    assert_eq!(quality.len(), segment_frames.len());
    for (k, row) in quality.iter().enumerate() {
        for (i, r) in renditions.iter().enumerate() {
            assert_eq!(row[i], r["segment_means"]["psnr_y"][k]);
        }
    }

    // The report shows each rung's final quality beside the ladder's figures.
    let report = tmp.path().join("report.html");
    pertitle()
        .args(["report", "--no-frames", "--package"])
        .arg(&out)
        .arg(&ladder)
        .arg("-o")
        .arg(&report)
        .assert()
        .success();
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.contains("<th>final PSNR-Y (dB)</th>"));
    for r in renditions {
        assert!(html.contains(&format!("<td class=\"n\">{:.3}</td></tr>", f(&r["psnr_y"]))));
    }

    // Scored anew (a ladder without the trials' per-segment figures cannot lend them), a
    // measured rung's final encode gets exactly its trial point's figures: the same scoring.
    let mut bare = manifest.clone();
    for rung in bare["ladders"][0]["rungs"].as_array_mut().unwrap() {
        rung["segment_means"] = serde_json::json!({});
    }
    let bare_ladder = tmp.path().join("bare.json");
    std::fs::write(&bare_ladder, serde_json::to_string(&bare).unwrap()).unwrap();
    let again = package(&bare_ladder, &tmp.path().join("again"));
    for ((r, a), rung) in renditions
        .iter()
        .zip(again["renditions"].as_array().unwrap())
        .zip(&rungs)
    {
        assert_eq!(a["quality_source"], "measured");
        for key in QUALITY_FIELDS {
            assert_eq!(a[key], r[key], "{}: {key}", r["name"]);
            if rung["interpolated"] == false && key != "segment_means" {
                assert_eq!(a[key], rung[key], "{}: {key}", r["name"]);
            }
        }
    }

    // A ladder scored with another upscaler than pertitle's cannot be scored alike: refused
    // in one line naming the package, before anything is written.
    let mut other = manifest.clone();
    other["settings"]["upscale"] = "bilinear".into();
    let other_ladder = tmp.path().join("other.json");
    std::fs::write(&other_ladder, serde_json::to_string(&other).unwrap()).unwrap();
    let never = tmp.path().join("never");
    let failed = pertitle()
        .args(["package", "--quiet", "--source"])
        .arg(sample())
        .arg(&other_ladder)
        .arg("-o")
        .arg(&never)
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&failed.get_output().stderr).into_owned();
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("never") && err.contains("bilinear"), "{err}");
    assert!(!never.exists());
}
