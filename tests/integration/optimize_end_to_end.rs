//! `pertitle optimize` and `pertitle probe` end to end, checked against independent oracles:
//! ffprobe for probing, and the FFmpeg CLI re-doing a trial point (same x264 settings, same
//! scaler) for bitrate, segment sizes and PSNR.

use crate::common;
use crate::common::{all_clips, clips_dir, ffmpeg, ffprobe, metadata_values};
use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn pertitle() -> Command {
    Command::cargo_bin("pertitle").expect("binary built")
}

fn run_optimize(input: &Path, out: &Path, extra: &[&str]) -> Value {
    pertitle()
        .arg("optimize")
        .arg(input)
        .arg("-o")
        .arg(out)
        .args(["--quiet"])
        .args(extra)
        .assert()
        .success();
    common::read_manifest(&out.join("ladder.json"))
}

fn f(v: &Value) -> f64 {
    v.as_f64().expect("number")
}

#[test]
fn probe_agrees_with_ffprobe() {
    let Some(dir) = clips_dir("probe_agrees_with_ffprobe") else {
        return;
    };
    for clip in all_clips(&dir) {
        let c = clip.to_str().unwrap();
        let out = pertitle()
            .args(["probe", c])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let ours: Value = serde_json::from_slice(&out).unwrap();
        let fp = ffprobe(&[
            "-select_streams",
            "v:0",
            "-count_packets",
            "-show_entries",
            "stream=codec_name,width,height,pix_fmt,avg_frame_rate,nb_read_packets,duration",
            "-of",
            "json",
            c,
        ]);
        let fp: Value = serde_json::from_str(&fp).unwrap();
        let s = &fp["streams"][0];
        assert_eq!(ours["codec"], s["codec_name"], "{c}");
        assert_eq!(ours["width"], s["width"], "{c}");
        assert_eq!(ours["height"], s["height"], "{c}");
        assert_eq!(ours["pixel_format"], s["pix_fmt"], "{c}");
        assert_eq!(ours["frame_rate"], s["avg_frame_rate"], "{c}");
        let packets: u64 = s["nb_read_packets"].as_str().unwrap().parse().unwrap();
        assert_eq!(ours["frame_count"].as_u64(), Some(packets), "{c}");
        let dur: f64 = s["duration"].as_str().unwrap().parse().unwrap();
        assert!((f(&ours["duration_s"]) - dur).abs() < 1e-3, "{c}");
    }
}

/// Re-do two trial points with the FFmpeg CLI (lanczos downscale, libx264 with the same
/// preset, CRF, thread count, GOP length and forced IDR frames at segment starts) and compare
/// what pertitle measured: total and per-segment sizes, and mean luma PSNR after a bicubic
/// upscale.
#[test]
fn trial_points_match_an_ffmpeg_cli_reencode() {
    let Some(dir) = clips_dir("trial_points_match_an_ffmpeg_cli_reencode") else {
        return;
    };
    let clip = dir.join("talking_head_480p30.mp4");
    let tmp = tempfile::tempdir().unwrap();
    let m = run_optimize(
        &clip,
        tmp.path(),
        &[
            "--resolutions",
            "480,240",
            "--crf",
            "27",
            "--preset",
            "veryfast",
            "--segment-seconds",
            "2",
        ],
    );
    // 150 frames at 29.97 fps, 2 s segments: segments start at frames 0, 60 and 120.
    assert_eq!(m["segments"]["frames"], serde_json::json!([60, 60, 30]));
    let points = m["ladders"][0]["points"].as_array().unwrap();
    assert_eq!(points.len(), 2);
    for p in points {
        let (w, h) = (p["width"].as_u64().unwrap(), p["height"].as_u64().unwrap());
        let enc = tmp.path().join(format!("cli_{h}.mp4"));
        let mut vf = String::new();
        if (w, h) != (640, 480) {
            vf = format!("scale={w}:{h}:flags=lanczos");
        }
        let mut args = vec!["-i", clip.to_str().unwrap()];
        if !vf.is_empty() {
            args.extend(["-vf", vf.as_str()]);
        }
        args.extend([
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "27",
            "-threads",
            "1",
            "-g",
            "60",
            "-forced-idr",
            "1",
            "-force_key_frames",
            "expr:eq(n,0)+eq(n,60)+eq(n,120)",
            enc.to_str().unwrap(),
        ]);
        ffmpeg(&args);
        // Packet sizes and keyframe flags, in decode order with their pts.
        let csv = ffprobe(&[
            "-select_streams",
            "v:0",
            "-show_entries",
            "packet=pts,size,flags",
            "-of",
            "csv=p=0",
            enc.to_str().unwrap(),
        ]);
        let mut rows: Vec<(i64, u64, bool)> = csv
            .lines()
            .map(|l| {
                let mut it = l.split(',');
                let pts: i64 = it.next().unwrap().parse().unwrap();
                let size: u64 = it.next().unwrap().parse().unwrap();
                let key = it.next().unwrap().starts_with('K');
                (pts, size, key)
            })
            .collect();
        rows.sort_by_key(|r| r.0);
        assert_eq!(rows.len(), 150);
        let mut seg = [0u64; 3];
        for (i, &(_, size, key)) in rows.iter().enumerate() {
            let s = if i < 60 {
                0
            } else if i < 120 {
                1
            } else {
                2
            };
            seg[s] += size * 8;
            if i % 60 == 0 {
                assert!(key, "CLI encode: frame {i} should be a keyframe");
            }
        }
        let ours: Vec<u64> = p["segment_sizes_bits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        for k in 0..3 {
            let rel = (ours[k] as f64 - seg[k] as f64).abs() / seg[k] as f64;
            eprintln!(
                "{w}x{h} segment {k}: pertitle {} bits, ffmpeg CLI {} bits ({:.3}%)",
                ours[k],
                seg[k],
                rel * 100.0
            );
            assert!(rel < 0.01, "{w}x{h} segment {k}: {} vs {}", ours[k], seg[k]);
        }
        let total: u64 = seg.iter().sum();
        let cli_kbps = total as f64 / (150.0 * 1001.0 / 30000.0) / 1000.0;
        let rel = (f(&p["bitrate_kbps"]) - cli_kbps).abs() / cli_kbps;
        assert!(rel < 0.01, "bitrate {} vs {cli_kbps}", p["bitrate_kbps"]);

        // Mean per-frame luma PSNR (each frame capped at 60 dB) of the CLI encode, upscaled.
        let txt = tmp.path().join(format!("psnr_{h}.txt"));
        let graph = format!(
            "[1:v]settb=1/30,setpts=N,scale=640:480:flags=bicubic[d];[0:v]settb=1/30,setpts=N[r];\
             [d][r]psnr=shortest=1,metadata=print:file={}",
            txt.display()
        );
        ffmpeg(&[
            "-i",
            clip.to_str().unwrap(),
            "-i",
            enc.to_str().unwrap(),
            "-filter_complex",
            &graph,
            "-f",
            "null",
            "-",
        ]);
        let per_frame =
            metadata_values(&std::fs::read_to_string(&txt).unwrap(), "lavfi.psnr.psnr.y");
        assert_eq!(per_frame.len(), 150);
        let mean = per_frame.iter().map(|v| v.min(60.0)).sum::<f64>() / 150.0;
        eprintln!(
            "{w}x{h}: psnr_y pertitle {} ffmpeg CLI {mean:.4}",
            p["psnr_y"]
        );
        assert!(
            (f(&p["psnr_y"]) - mean).abs() < 0.05,
            "{w}x{h}: psnr {} vs {mean}",
            p["psnr_y"]
        );
        // The frame the manifest calls the worst is the worst (or within 0.1 dB of it) in
        // the FFmpeg CLI's per-frame values too.
        let worst = p["pooling"]["psnr_y"]["min_frame"]
            .as_u64()
            .expect("min_frame") as usize;
        let lowest = per_frame.iter().copied().fold(f64::INFINITY, f64::min);
        assert!(
            per_frame[worst] - lowest < 0.1,
            "{w}x{h}: frame {worst} has {} dB, the lowest is {lowest}",
            per_frame[worst]
        );
    }
}

/// The manifest's own invariants on a real clip with a small grid.
#[test]
fn manifest_is_consistent() {
    let Some(dir) = clips_dir("manifest_is_consistent") else {
        return;
    };
    let clip = dir.join("coffee_pour_720p30.mp4");
    let tmp = tempfile::tempdir().unwrap();
    let m = run_optimize(
        &clip,
        tmp.path(),
        &[
            "--resolutions",
            "720,432,270",
            "--crf",
            "20,26,32,38",
            "--preset",
            "ultrafast",
            "--metric",
            "ssim",
        ],
    );
    assert_eq!(m["schema_version"], 3);
    assert_eq!(m["source"]["width"], 1280);
    assert_eq!(m["source"]["frames"], 150);
    assert_eq!(m["settings"]["quality_field"], "ssim_y");
    // VMAF is measured only when it is the axis.
    assert!(m["ladders"][0]["points"][0].get("vmaf").is_none());
    assert!(m["settings"].get("vmaf_model").is_none());
    let points = m["ladders"][0]["points"].as_array().unwrap();
    assert_eq!(points.len(), 12);
    let duration = f(&m["source"]["duration_s"]);
    let seg_durations: Vec<f64> = m["segments"]["durations_s"]
        .as_array()
        .unwrap()
        .iter()
        .map(f)
        .collect();
    for p in points {
        let bits: u64 = p["segment_sizes_bits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert!((bits as f64 / duration / 1000.0 - f(&p["bitrate_kbps"])).abs() < 0.001);
        assert_eq!(
            p["segment_sizes_bits"].as_array().unwrap().len(),
            seg_durations.len()
        );
        assert!(f(&p["psnr_y"]) > 20.0 && f(&p["psnr_y"]) <= 60.0);
        // Per-segment means, weighted by the segments' frame counts, give the clip's mean.
        let seg_frames: Vec<f64> = m["segments"]["frames"]
            .as_array()
            .unwrap()
            .iter()
            .map(f)
            .collect();
        for metric in ["psnr_y", "psnr_yuv", "ssim_y"] {
            let means: Vec<f64> = p["segment_means"][metric]
                .as_array()
                .unwrap_or_else(|| panic!("segment_means.{metric}"))
                .iter()
                .map(f)
                .collect();
            assert_eq!(means.len(), seg_frames.len());
            let weighted: f64 = means
                .iter()
                .zip(&seg_frames)
                .map(|(m, n)| m * n)
                .sum::<f64>()
                / seg_frames.iter().sum::<f64>();
            assert!(
                (weighted - f(&p["pooling"][metric]["mean"])).abs() < 1e-3,
                "{metric}: {weighted} vs {}",
                p["pooling"][metric]["mean"]
            );
        }
        assert!(f(&p["ssim_y"]) > 0.5 && f(&p["ssim_y"]) <= 1.0);
    }
    // Per resolution, a higher CRF costs fewer bits and scores lower.
    for w in points.windows(2) {
        if w[0]["height"] == w[1]["height"] {
            assert!(f(&w[1]["bitrate_kbps"]) < f(&w[0]["bitrate_kbps"]));
            assert!(f(&w[1]["psnr_y"]) < f(&w[0]["psnr_y"]));
        }
    }
    // on_hull, recomputed by brute force: no point (or chord of two points) lies strictly above.
    let rq: Vec<(f64, f64)> = points
        .iter()
        .map(|p| (f(&p["bitrate_kbps"]), f(&p["ssim_y"])))
        .collect();
    for (i, p) in points.iter().enumerate() {
        let (x, y) = rq[i];
        let dominated = rq
            .iter()
            .any(|&(a, b)| (a <= x && b > y) || (a < x && b >= y))
            || rq.iter().any(|&(ax, ay)| {
                rq.iter().any(|&(bx, by)| {
                    ax < x && x < bx && ay + (x - ax) / (bx - ax) * (by - ay) > y + 1e-9
                })
            });
        assert_eq!(p["on_hull"].as_bool(), Some(!dominated), "point {i}: {p}");
    }
    // Rungs: measured points, or interpolated between two measured CRFs of one height;
    // ascending bitrate 1.5x to 2x apart (the default steps), resolution never falling.
    let rungs = m["ladders"][0]["rungs"].as_array().unwrap();
    assert!(
        rungs.len() >= 3 && rungs.len() <= 8,
        "{} rungs",
        rungs.len()
    );
    for r in rungs {
        if r["interpolated"] == true {
            let same: Vec<&serde_json::Value> = points
                .iter()
                .filter(|p| p["height"] == r["height"])
                .collect();
            let crf = f(&r["crf"]);
            let below = same
                .iter()
                .filter(|p| f(&p["crf"]) < crf)
                .max_by(|a, b| f(&a["crf"]).total_cmp(&f(&b["crf"])))
                .expect("a measured CRF below");
            let above = same
                .iter()
                .filter(|p| f(&p["crf"]) > crf)
                .min_by(|a, b| f(&a["crf"]).total_cmp(&f(&b["crf"])))
                .expect("a measured CRF above");
            let kbps = f(&r["bitrate_kbps"]);
            assert!(f(&above["bitrate_kbps"]) < kbps && kbps < f(&below["bitrate_kbps"]));
            let q = f(&r["ssim_y"]);
            assert!(f(&above["ssim_y"]) <= q && q <= f(&below["ssim_y"]));
            assert!(r["segment_sizes_bits"].as_array().unwrap().is_empty());
            continue;
        }
        let p = points
            .iter()
            .find(|p| p["height"] == r["height"] && p["crf"] == r["crf"])
            .expect("rung is a measured point");
        assert_eq!(p["bitrate_kbps"], r["bitrate_kbps"]);
        let peak = p["segment_sizes_bits"]
            .as_array()
            .unwrap()
            .iter()
            .zip(&seg_durations)
            .map(|(b, d)| b.as_u64().unwrap() as f64 / d / 1000.0)
            .fold(0.0, f64::max);
        assert!((peak - f(&r["peak_kbps"])).abs() < 0.01);
        assert!(f(&r["peak_kbps"]) >= f(&r["bitrate_kbps"]));
    }
    for w in rungs.windows(2) {
        let ratio = f(&w[1]["bitrate_kbps"]) / f(&w[0]["bitrate_kbps"]);
        assert!((1.5 - 1e-6..=2.0 + 1e-6).contains(&ratio), "step {ratio}");
        assert!(w[1]["height"].as_u64() >= w[0]["height"].as_u64());
        assert!(f(&w[1]["ssim_y"]) > f(&w[0]["ssim_y"]));
    }
    // The top rung is the best point under the 8000 kbps default cap.
    let best = points
        .iter()
        .filter(|p| f(&p["bitrate_kbps"]) <= 8000.0)
        .map(|p| f(&p["ssim_y"]))
        .fold(0.0, f64::max);
    assert_eq!(f(&rungs.last().unwrap()["ssim_y"]), best);
    assert!(f(&m["ladders"][0]["summary"]["expected_quality"]) > 0.5);
}

/// Same input and options give the same bytes (the timing section aside), whatever the
/// number of worker threads or points per pass.
#[test]
fn runs_are_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let clip = tmp.path().join("synthetic.mp4");
    common::synthetic_clip(&clip, "320x240", "24", 2.5);
    let grid = [
        "--resolutions",
        "240,180,120",
        "--crf",
        "24,32,40",
        "--preset",
        "faster",
        "--segment-seconds",
        "1",
    ];
    let mut texts = Vec::new();
    for (i, extra) in [
        vec!["--jobs", "1"],
        vec!["--jobs", "2"],
        vec!["--jobs", "2", "--points-per-pass", "4"],
    ]
    .iter()
    .enumerate()
    {
        let out = tmp.path().join(format!("out{i}"));
        let mut args: Vec<&str> = grid.to_vec();
        args.extend(extra.iter().copied());
        let m = run_optimize(&clip, &out, &args);
        assert_eq!(m["segments"]["frames"], serde_json::json!([24, 24, 12]));
        assert_eq!(m["ladders"][0]["points"].as_array().unwrap().len(), 9);
        let text = std::fs::read_to_string(out.join("ladder.json")).unwrap();
        let cut = text.find("\"timing\"").expect("timing section");
        texts.push(text[..cut].to_string());
        // No temporary file is left next to the manifest.
        let names: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["ladder.json".to_string()]);
    }
    assert_eq!(texts[0], texts[1], "--jobs 1 vs --jobs 2");
    assert_eq!(texts[0], texts[2], "one pass vs passes of 4 points");
}

/// `--json` prints the manifest; `score --json` reports means that agree with the manifest
/// points' definition on a re-encode of a synthetic clip.
#[test]
fn json_outputs_parse() {
    let tmp = tempfile::tempdir().unwrap();
    let clip = tmp.path().join("s.mp4");
    common::synthetic_clip(&clip, "256x144", "25", 1.0);
    let out = pertitle()
        .args([
            "optimize",
            clip.to_str().unwrap(),
            "-o",
            tmp.path().join("o").to_str().unwrap(),
        ])
        .args([
            "--resolutions",
            "144",
            "--crf",
            "30",
            "--preset",
            "ultrafast",
            "--json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let m: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(m["ladders"][0]["rungs"].as_array().unwrap().len(), 1);
    // VMAF is the default quality axis: points and rungs carry it, pooled four ways.
    assert_eq!(m["settings"]["quality_field"], "vmaf");
    assert_eq!(m["settings"]["vmaf_model"], "v0.6.1");
    let rung = &m["ladders"][0]["rungs"][0];
    let vmaf = f(&rung["vmaf"]);
    assert!(vmaf > 20.0 && vmaf <= 100.0, "{vmaf}");
    let pooling = rung["pooling"].as_object().unwrap();
    let names: Vec<&str> = pooling.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["psnr_u", "psnr_v", "psnr_y", "psnr_yuv", "ssim_y", "vmaf"]
    );
    for (name, p) in pooling {
        let (mean, hm, min, p5) = (
            f(&p["mean"]),
            f(&p["harmonic_mean"]),
            f(&p["min"]),
            f(&p["p5"]),
        );
        assert!(min <= p5 && p5 <= mean && hm <= mean + 1e-9, "{name}: {p}");
    }
    assert_eq!(f(&pooling["vmaf"]["mean"]), vmaf);
    assert_eq!(f(&pooling["psnr_y"]["mean"]), f(&rung["psnr_y"]));
    let dist = tmp.path().join("d.mp4");
    ffmpeg(&[
        "-i",
        clip.to_str().unwrap(),
        "-vf",
        "scale=128:72",
        "-c:v",
        "libx264",
        "-crf",
        "35",
        dist.to_str().unwrap(),
    ]);
    let out = pertitle()
        .args([
            "score",
            clip.to_str().unwrap(),
            dist.to_str().unwrap(),
            "--json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let s: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(s["frames"], 25);
    assert_eq!(s["scaled"], true);
    assert_eq!(s["width"], 256);
    assert_eq!(s["distorted_width"], 128);
    let (y, u, v, yuv) = (
        f(&s["psnr_y"]),
        f(&s["psnr_u"]),
        f(&s["psnr_v"]),
        f(&s["psnr_yuv"]),
    );
    assert!(y > 15.0 && y < 60.0);
    // The mean of (6Y+U+V)/8 equals (6 mean Y + mean U + mean V)/8.
    assert!((yuv - (6.0 * y + u + v) / 8.0).abs() < 1e-9);
}

/// `--display`: every point is scored at the display size, which the manifest records; the
/// default display is the source's size.
#[test]
fn display_size_is_applied_and_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let clip = tmp.path().join("s.mp4");
    common::synthetic_clip(&clip, "320x240", "25", 1.0);
    let grid = [
        "--resolutions",
        "240,120",
        "--crf",
        "30",
        "--preset",
        "ultrafast",
        "--metric",
        "psnr",
    ];
    let native = run_optimize(&clip, &tmp.path().join("native"), &grid);
    assert_eq!(
        native["settings"]["display"],
        serde_json::json!({"width": 320, "height": 240})
    );
    let mut args = grid.to_vec();
    args.extend(["--display", "640x480"]);
    let big = run_optimize(&clip, &tmp.path().join("big"), &args);
    assert_eq!(
        big["settings"]["display"],
        serde_json::json!({"width": 640, "height": 480})
    );
    // Same encodes (same bits), different scoring size, so different scores.
    for (a, b) in native["ladders"][0]["points"]
        .as_array()
        .unwrap()
        .iter()
        .zip(big["ladders"][0]["points"].as_array().unwrap())
    {
        assert_eq!(a["segment_sizes_bits"], b["segment_sizes_bits"]);
        assert_ne!(a["psnr_y"], b["psnr_y"]);
    }
}
