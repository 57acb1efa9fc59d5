//! Shot rungs (`optimize --shots`): each rung takes one encode per shot, a trial encode or one
//! estimated between two measured CRFs; a rung of trial encodes is those encodes joined, shot
//! by shot. Oracles: the points' own per-segment figures (a measured shot rung's segments are
//! its chosen points'), the package's segment files and scores (an estimated rung's final
//! encode), FFmpeg's HLS demuxer (every frame decodes, no error), and per-title selection over
//! the same encodes.

use crate::common;
use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn pertitle() -> Command {
    Command::cargo_bin("pertitle").expect("binary built")
}

fn f(v: &Value) -> f64 {
    v.as_f64().expect("number")
}

fn u(v: &Value) -> u64 {
    v.as_u64().expect("integer")
}

fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `pertitle package LADDER -o STREAM`: its package.json.
fn package(ladder: &Path, stream: &Path) -> Value {
    run_ok(
        pertitle()
            .args(["package", "--quiet"])
            .arg(ladder)
            .arg("-o")
            .arg(stream),
    );
    serde_json::from_str(&std::fs::read_to_string(stream.join("package.json")).unwrap()).unwrap()
}

/// Each of the two-shot clip's 90 frames at the size rung `r` gives its shot (the cut at 40).
fn shot_frame_sizes(r: &Value) -> Vec<(u64, u64)> {
    let sizes: Vec<(u64, u64)> = r["shots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (u(&s["width"]), u(&s["height"])))
        .collect();
    (0..90).map(|i| sizes[usize::from(i >= 40)]).collect()
}

/// The point of `points` at (height, crf).
fn point(points: &[Value], height: u64, crf: f64) -> &Value {
    points
        .iter()
        .find(|p| u(&p["height"]) == height && f(&p["crf"]) == crf)
        .unwrap_or_else(|| panic!("no point at {height}p CRF {crf}"))
}

#[test]
fn shot_rungs_join_trial_encodes_or_take_estimates_between_and_play() {
    let tmp = tempfile::tempdir().unwrap();
    let clip = tmp.path().join("two_shots.mp4");
    common::two_shot_clip(&clip);
    let out = tmp.path().join("run");
    common::optimize_small_psnr(&clip, &out, common::FIXED_SHOTS);
    check_estimated_rungs(&out.join("ladder.json"), &tmp.path().join("estimated"));
    // Trial encodes only: every rung is its shots' trial encodes joined.
    let measured = tmp.path().join("measured.json");
    run_ok(
        pertitle()
            .args(["ladder", "--measured-only"])
            .arg(out.join("ladder.json"))
            .arg("-o")
            .arg(&measured),
    );
    let m = common::read_manifest(&measured);
    assert_eq!(m["settings"]["constraints"]["shot_rungs"], "fixed");
    let ladder = &m["ladders"][0];
    let points = ladder["points"].as_array().unwrap();
    let rungs = ladder["rungs"].as_array().unwrap();
    // Segments 20, 20 (shot 1) and 25, 25 (shot 2).
    let shot_of_segment = [0usize, 0, 1, 1];
    let mut mixed = 0;
    for r in rungs {
        let shots = r["shots"].as_array().expect("a shot rung");
        assert_eq!(shots.len(), 2);
        let crfs: Vec<f64> = shots.iter().map(|s| f(&s["crf"])).collect();
        if crfs[0] != crfs[1] {
            mixed += 1;
        }
        let mut bits = 0;
        for (k, &s) in shot_of_segment.iter().enumerate() {
            assert_eq!(u(&shots[s]["height"]), u(&r["height"]), "fixed: one size");
            let p = point(points, u(&shots[s]["height"]), crfs[s]);
            assert_eq!(
                r["segment_sizes_bits"][k], p["segment_sizes_bits"][k],
                "{r}"
            );
            assert_eq!(
                r["segment_means"]["psnr_y"][k], p["segment_means"]["psnr_y"][k],
                "{r}"
            );
            bits += u(&r["segment_sizes_bits"][k]);
        }
        let kbps = bits as f64 / 3.6 / 1000.0;
        assert!((f(&r["bitrate_kbps"]) - kbps).abs() < 1e-3, "{r}");
        let mean = (0..4)
            .map(|k| f(&r["segment_means"]["psnr_y"][k]) * [20.0, 20.0, 25.0, 25.0][k])
            .sum::<f64>()
            / 90.0;
        assert!((f(&r["psnr_y"]) - mean).abs() < 1e-3, "{r}");
        let weighted_crf = (crfs[0] * 40.0 + crfs[1] * 50.0) / 90.0;
        assert!((f(&r["crf"]) - weighted_crf).abs() < 0.01, "{r}");
    }
    assert!(mixed > 0, "no rung mixes CRFs: {rungs:?}");

    // The package: each rendition's video bits are its rung's, segment by segment, and
    // FFmpeg's HLS demuxer decodes every frame without an error.
    let stream = tmp.path().join("stream");
    check_package(&measured, &stream, rungs);

    // The per-title ladder of the same encodes: no shot rungs, each rung one CRF.
    let per_title = tmp.path().join("per_title.json");
    run_ok(
        pertitle()
            .args(["ladder", "--per-title-rungs"])
            .arg(out.join("ladder.json"))
            .arg("-o")
            .arg(&per_title),
    );
    let p = common::read_manifest(&per_title);
    assert!(p["settings"]["constraints"].get("shot_rungs").is_none());
    for r in p["ladders"][0]["rungs"].as_array().unwrap() {
        assert!(r.get("shots").is_none(), "{r}");
    }
}

/// The shot rungs of `ladder` that take an encode between measured CRFs (there must be some):
/// marked interpolated, without segment sizes, each shot at a whole CRF; packaged into
/// `stream`, each is encoded and scored, and its final encode's bitrate and PSNR are those
/// estimated within 5% and 0.3 dB (2.6% and 0.1 dB at most here), every frame decoding at its
/// shot's size.
fn check_estimated_rungs(ladder: &Path, stream: &Path) {
    let m = common::read_manifest(ladder);
    let grid = [18.0, 24.0, 30.0, 36.0, 42.0];
    let rungs = m["ladders"][0]["rungs"].as_array().unwrap();
    let mut estimated = 0;
    for r in rungs {
        let crfs: Vec<f64> = r["shots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| f(&s["crf"]))
            .collect();
        let between = crfs.iter().any(|c| !grid.contains(c));
        assert_eq!(r["interpolated"], between, "{r}");
        assert!(crfs.iter().all(|c| c.fract() == 0.0), "{r}");
        if between {
            estimated += 1;
            assert!(
                r.get("segment_sizes_bits")
                    .is_none_or(|s| s.as_array().unwrap().is_empty())
            );
        }
    }
    assert!(
        estimated > 0,
        "no shot takes a CRF between the grid's: {rungs:?}"
    );
    let package = package(ladder, stream);
    let seconds: f64 = package["segment_durations_s"]
        .as_array()
        .unwrap()
        .iter()
        .map(f)
        .sum();
    for (p, r) in package["renditions"].as_array().unwrap().iter().zip(rungs) {
        let name = p["name"].as_str().unwrap();
        if r["interpolated"] != true {
            assert_eq!(p["matches_trial"], true, "{name}");
            continue;
        }
        assert!(p["matches_trial"].is_null(), "{name}");
        assert_eq!(p["quality_source"], "measured", "{name}");
        let bits: u64 = p["segment_video_bits"]
            .as_array()
            .unwrap()
            .iter()
            .map(u)
            .sum();
        let kbps = bits as f64 / seconds / 1000.0;
        let (want, psnr) = (f(&r["bitrate_kbps"]), f(&p["pooling"]["psnr_y"]["mean"]));
        assert!(
            (kbps / want - 1.0).abs() < 0.05,
            "{name}: {kbps} kbit/s, estimated {want}"
        );
        assert!(
            (psnr - f(&r["psnr_y"])).abs() < 0.3,
            "{name}: PSNR {psnr}, estimated {}",
            r["psnr_y"]
        );
        let expected = shot_frame_sizes(r);
        assert_eq!(
            frame_sizes(&stream.join(name).join("media.m3u8")),
            expected,
            "{name}"
        );
    }
}

/// Free mode lets a shot take another size than the rung's: the rung declares its largest,
/// and its rendition changes size at the shot start, its parameter sets in band (`avc3`).
#[test]
fn free_shot_rungs_change_size_at_shot_starts_and_play() {
    let tmp = tempfile::tempdir().unwrap();
    let clip = tmp.path().join("two_shots.mp4");
    common::two_shot_clip(&clip);
    check_free_package(&clip, &tmp.path().join("x264"), "x264", "avc1", "avc3");
    check_free_package(&clip, &tmp.path().join("x265"), "x265", "hvc1", "hev1");
    // VP9 changes size at its key frames by itself; its CRFs are whole numbers, a shot rung's
    // frame-weighted mean CRF is not.
    check_free_package(&clip, &tmp.path().join("vp9"), "vp9", "vp09", "vp09");
}

/// A free shot ladder of `codec` in `dir`, packaged: renditions of one size keep the sample
/// entry `one_size`, those changing size take `changing`.
fn check_free_package(clip: &Path, dir: &Path, codec: &str, one_size: &str, changing: &str) {
    let out = dir.join("run");
    let (preset, crfs) = match codec {
        "vp9" => ("5", "20,30,40,50,60"),
        _ => ("ultrafast", "18,24,30,36,42"),
    };
    run_ok(
        pertitle()
            .args([
                "optimize", "--quiet", "--metric", "psnr", "--preset", preset,
            ])
            .args(["--resolutions", "240,120", "--crf", crfs, "--codec", codec])
            .args(["--shots", "--shot-guard", "none", "--segment-seconds", "1"])
            .args(["--shot-resolution", "free", "--measured-only"])
            .arg(clip)
            .arg("-o")
            .arg(&out),
    );
    let m = common::read_manifest(&out.join("ladder.json"));
    assert_eq!(m["settings"]["constraints"]["shot_rungs"], "free");
    let rungs = m["ladders"][0]["rungs"].as_array().unwrap();
    let mut mixed_sizes = Vec::new();
    for r in rungs {
        let heights: Vec<u64> = r["shots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| u(&s["height"]))
            .collect();
        assert_eq!(heights.iter().max(), Some(&u(&r["height"])), "{r}");
        mixed_sizes.push(heights[0] != heights[1]);
    }
    // Some rung takes 240p for one shot and 120p for the other.
    assert!(
        mixed_sizes.contains(&true),
        "{codec}: no rung mixes sizes: {rungs:?}"
    );
    let stream = dir.join("stream");
    let package = check_package(&out.join("ladder.json"), &stream, rungs);
    let master = std::fs::read_to_string(stream.join("master.m3u8")).unwrap();
    for ((p, r), &mixed) in package["renditions"]
        .as_array()
        .unwrap()
        .iter()
        .zip(rungs)
        .zip(&mixed_sizes)
    {
        let name = p["name"].as_str().unwrap();
        let codecs = p["codecs"].as_str().unwrap();
        let entry = if mixed { changing } else { one_size };
        assert!(codecs.starts_with(entry), "{name}: {codecs}");
        let init = std::fs::read(stream.join(name).join("init.mp4")).unwrap();
        assert!(init.windows(4).any(|w| w == entry.as_bytes()), "{name}");
        // H.264: the sample entry's parameter sets are the ones CODECS names (the largest
        // size's, whose level is the highest), not the first shot's.
        if let Some(at) = init.windows(4).position(|w| w == b"avcC") {
            let record = &init[at + 4..at + 8];
            assert_eq!(record[0], 1, "{name}: avcC version");
            let named = format!(
                "{entry}.{:02x}{:02x}{:02x}",
                record[1], record[2], record[3]
            );
            assert_eq!(named, codecs, "{name}");
        }
        let declared = format!(
            "CODECS=\"{codecs}\",RESOLUTION={}x{}",
            u(&r["width"]),
            u(&r["height"])
        );
        assert!(master.contains(&declared), "{declared} in {master}");
    }
}

/// Package `ladder` into `stream` and check each rendition against its rung of `rungs`
/// (shots of 40 and 50 frames, segments 20, 20, 25, 25): its video bits are the rung's,
/// segment by segment, scoring the final encode gives the rung's segment means, and FFmpeg's
/// HLS demuxer decodes every frame without an error, each shot's frames at the shot's size.
/// Returns package.json.
fn check_package(ladder: &Path, stream: &Path, rungs: &[Value]) -> Value {
    let package = package(ladder, stream);
    let renditions = package["renditions"].as_array().unwrap();
    assert_eq!(renditions.len(), rungs.len());
    for (p, r) in renditions.iter().zip(rungs) {
        assert_eq!(
            p["segment_video_bits"], r["segment_sizes_bits"],
            "{}",
            p["name"]
        );
        assert_eq!(p["matches_trial"], true);
        // Scored on the final encode: the same frames as the trial encodes', so the same
        // per-segment means.
        assert_eq!(p["quality_source"], "measured");
        for k in 0..4 {
            let (a, b) = (
                f(&p["segment_means"]["psnr_y"][k]),
                f(&r["segment_means"]["psnr_y"][k]),
            );
            assert!(
                (a - b).abs() < 1e-3,
                "{}: segment {k}: {a} vs {b}",
                p["name"]
            );
        }
        let dir = stream.join(p["name"].as_str().unwrap());
        let expected = shot_frame_sizes(r);
        assert_eq!(
            frame_sizes(&dir.join("media.m3u8")),
            expected,
            "{}",
            p["name"]
        );
    }
    package
}

/// Every frame's size as FFmpeg's HLS demuxer decodes `playlist`; fails on any error.
fn frame_sizes(playlist: &Path) -> Vec<(u64, u64)> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v"])
        .args(["-show_entries", "frame=width,height", "-of", "csv=p=0"])
        .arg(playlist)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut fields = l.split(',');
            let w = fields.next()?.trim().parse().ok()?;
            let h = fields.next()?.trim().parse().ok()?;
            Some((w, h))
        })
        .collect()
}

/// A title of one shot: its shot ladder is the per-title ladder of the same encodes, rung for
/// rung (interpolated CRFs included).
#[test]
fn one_shot_gives_the_per_title_ladder() {
    let tmp = tempfile::tempdir().unwrap();
    let clip = tmp.path().join("one_shot.mp4");
    common::ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=25:duration=2",
        "-pix_fmt",
        "yuv420p",
        "-c:v",
        "libx264",
        "-qp",
        "0",
        clip.to_str().unwrap(),
    ]);
    let out = tmp.path().join("run");
    common::optimize_small_psnr(&clip, &out, &["--shots"]);
    let per_title = tmp.path().join("per_title.json");
    run_ok(
        pertitle()
            .args(["ladder", "--per-title-rungs"])
            .arg(out.join("ladder.json"))
            .arg("-o")
            .arg(&per_title),
    );
    let key = |path: &Path| -> Vec<(u64, f64, f64)> {
        common::read_manifest(path)["ladders"][0]["rungs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (u(&r["height"]), f(&r["crf"]), f(&r["bitrate_kbps"])))
            .collect()
    };
    let shot = key(&out.join("ladder.json"));
    let m = common::read_manifest(&out.join("ladder.json"));
    assert_eq!(m["shots"]["shots"].as_array().unwrap().len(), 1);
    // The worst-frames guard is on by default; points keep each shot's frame percentiles.
    assert_eq!(m["settings"]["constraints"]["shot_guard"], "p5");
    let percentiles = &m["ladders"][0]["points"][0]["shots"]["percentiles"]["psnr_y"][0];
    assert_eq!(
        percentiles.as_array().map(Vec::len),
        Some(7),
        "{percentiles}"
    );
    assert!(!shot.is_empty());
    assert_eq!(shot, key(&per_title));
}
