//! Every codec end to end on a real clip: a small grid at a fast preset, a ladder, and the
//! package. The bitstreams must decode with the FFmpeg CLI, open every segment on a
//! keyframe, carry the CODECS string their headers call for (checked against ffprobe's
//! reading of them and against the VP9 level table), and give a well-formed hull.

use crate::common;
use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Each codec with a fast preset and three constant-quality values on its own scale.
const CODECS: [(&str, &str, &str); 5] = [
    ("x264", "veryfast", "22,30,38"),
    ("x265", "ultrafast", "22,30,38"),
    ("svt-av1", "12", "25,38,51"),
    ("vp9", "5", "25,38,51"),
    ("aom-av1", "6", "25,38,51"),
];

/// Two seconds of the film-grain clip (640x360, 25 fps), losslessly re-encoded.
fn clip(dir: &Path) -> Option<PathBuf> {
    let clips = common::clips_dir("codecs")?;
    let out = dir.join("chaplin_2s.mkv");
    common::lossless_cut(&clips.join("chaplin_bw_film_360p25.mp4"), 2.0, &out);
    Some(out)
}

fn f(v: &Value) -> f64 {
    v.as_f64().expect("a number")
}

/// The CODECS string ffprobe's reading of a stream's headers calls for.
fn expected_codecs(codec: &str, stream: &Value, width: u32, height: u32) -> String {
    let level = stream["level"].as_i64().expect("level");
    assert_eq!(stream["pix_fmt"], "yuv420p");
    match codec {
        // High profile (100), no constraint flags, level_idc.
        "x264" => {
            assert_eq!(stream["profile"], "High");
            format!("avc1.6400{level:02x}")
        }
        // Main profile (1), compatible with Main and Main 10 (flags 1 and 2, reversed: 6),
        // main tier, progressive and frame-only source (constraint byte 0x90).
        "x265" => {
            assert_eq!(stream["profile"], "Main");
            format!("hvc1.1.6.L{level}.90")
        }
        // Main profile (0), ffprobe's level is seq_level_idx, main tier, 8 bits.
        "svt-av1" | "aom-av1" => {
            assert_eq!(stream["profile"], "Main");
            format!("av01.0.{level:02}M.08")
        }
        // Profile 0, 8 bits; the level from the VP9 level table at 25 fps: 640x360 (230,400
        // samples, 5.76 M/s) is level 2.1, 320x180 (57,600, 1.44 M/s) level 1.1.
        "vp9" => {
            assert_eq!(stream["profile"], "Profile 0");
            let level = match (width, height) {
                (640, 360) => "21",
                (320, 180) => "11",
                other => panic!("no expected VP9 level for {other:?}"),
            };
            format!("vp09.00.{level}.08")
        }
        other => panic!("unknown codec {other}"),
    }
}

#[test]
fn every_codec_builds_a_ladder_whose_streams_decode_with_the_right_codecs_strings() {
    let dir = tempfile::tempdir().unwrap();
    let Some(source) = clip(dir.path()) else {
        return;
    };
    let mut single: Vec<Value> = Vec::new();
    for (codec, preset, crfs) in CODECS {
        let started = std::time::Instant::now();
        let out = dir.path().join(codec);
        Command::cargo_bin("pertitle")
            .unwrap()
            .args(["optimize", "--quiet", "--metric", "psnr"])
            .args(["--codec", codec, "--preset", preset, "--crf", crfs])
            .args(["--resolutions", "360,180", "--segment-seconds", "1"])
            .args(["--min-rungs", "3", "--package"])
            .arg(&source)
            .arg("-o")
            .arg(&out)
            .assert()
            .success();
        let manifest = common::read_manifest(&out.join("ladder.json"));
        let ladder = &manifest["ladders"][0];
        assert_eq!(ladder["codec"], codec);
        assert_eq!(ladder["preset"], preset);
        let whole_crfs = !matches!(codec, "x264" | "x265");

        // The hull: by bitrate, quality rises at a falling rate (upper convex hull).
        let points = manifest["ladders"][0]["points"].as_array().unwrap();
        assert_eq!(points.len(), 6, "{codec}: 2 resolutions x 3 CRFs");
        let mut hull: Vec<(f64, f64)> = points
            .iter()
            .filter(|p| p["on_hull"] == true)
            .map(|p| (f(&p["bitrate_kbps"]), f(&p["psnr_y"])))
            .collect();
        hull.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert!(hull.len() >= 2, "{codec}: hull {hull:?}");
        for w in hull.windows(2) {
            assert!(w[1].0 > w[0].0 && w[1].1 > w[0].1, "{codec}: hull {hull:?}");
        }
        for w in hull.windows(3) {
            let slope = |a: (f64, f64), b: (f64, f64)| (b.1 - a.1) / (b.0 - a.0);
            assert!(
                slope(w[0], w[1]) >= slope(w[1], w[2]),
                "{codec}: not concave"
            );
        }
        // Each resolution's quality falls as its CRF rises, and so does its bitrate.
        for height in [360, 180] {
            let mut curve: Vec<(f64, f64, f64)> = points
                .iter()
                .filter(|p| p["height"] == height)
                .map(|p| (f(&p["crf"]), f(&p["bitrate_kbps"]), f(&p["psnr_y"])))
                .collect();
            curve.sort_by(|a, b| a.0.total_cmp(&b.0));
            for w in curve.windows(2) {
                assert!(
                    w[1].1 < w[0].1 && w[1].2 < w[0].2,
                    "{codec} {height}p: {curve:?}"
                );
            }
        }

        // The rungs: rising bitrate and quality, at CRFs the codec takes.
        let rungs = manifest["ladders"][0]["rungs"].as_array().unwrap();
        assert!(rungs.len() >= 3, "{codec}: {} rungs", rungs.len());
        for w in rungs.windows(2) {
            assert!(
                f(&w[1]["bitrate_kbps"]) > f(&w[0]["bitrate_kbps"]),
                "{codec}"
            );
            assert!(f(&w[1]["psnr_y"]) > f(&w[0]["psnr_y"]), "{codec}");
        }
        if whole_crfs {
            for r in rungs {
                assert_eq!(f(&r["crf"]).fract(), 0.0, "{codec}: rung CRF {}", r["crf"]);
            }
        }

        // The package: every rendition decodes whole, its segments open on keyframes, and
        // its CODECS string is the one its headers call for.
        let package: Value = serde_json::from_slice(
            &std::fs::read(out.join("stream/package.json")).expect("package.json"),
        )
        .unwrap();
        let renditions = package["renditions"].as_array().unwrap();
        assert_eq!(renditions.len(), rungs.len());
        let master = std::fs::read_to_string(out.join("stream/master.m3u8")).unwrap();
        let mpd = std::fs::read_to_string(out.join("stream/manifest.mpd")).unwrap();
        for (rendition, rung) in renditions.iter().zip(rungs) {
            let name = rendition["name"].as_str().unwrap();
            let rdir = out.join("stream").join(name);
            let mut joined = std::fs::read(rdir.join("init.mp4")).unwrap();
            for k in 0..2 {
                joined.extend(std::fs::read(rdir.join(format!("seg_{k:05}.m4s"))).unwrap());
            }
            let file = dir.path().join(format!("{codec}-{name}.mp4"));
            std::fs::write(&file, joined).unwrap();
            let file = file.to_str().unwrap();
            let probe: Value = serde_json::from_str(&common::ffprobe(&[
                "-show_streams",
                "-count_frames",
                "-of",
                "json",
                file,
            ]))
            .unwrap();
            let stream = &probe["streams"][0];
            let (w, h) = (
                rung["width"].as_u64().unwrap() as u32,
                rung["height"].as_u64().unwrap() as u32,
            );
            assert_eq!(
                (stream["width"].as_u64(), stream["height"].as_u64()),
                (Some(w.into()), Some(h.into()))
            );
            assert_eq!(
                stream["nb_read_frames"], "50",
                "{codec} {name}: frames decoded"
            );
            let expected = expected_codecs(codec, stream, w, h);
            assert_eq!(rendition["codecs"], expected.as_str(), "{codec} {name}");
            assert_eq!(rung["codecs"], expected.as_str(), "{codec} {name}: trial");
            assert!(
                master.contains(&format!("CODECS=\"{expected}\"")),
                "{codec}: {master}"
            );
            assert!(
                mpd.contains(&format!("codecs=\"{expected}\"")),
                "{codec}: {mpd}"
            );
            let sample_entry = &expected[..4];
            assert_eq!(stream["codec_tag_string"], sample_entry, "{codec} {name}");
            // Keyframes exactly at 0 s and 1 s (plus any the encoder adds at a scene cut:
            // this clip has none in its first two seconds).
            let packets = common::ffprobe(&[
                "-show_packets",
                "-show_entries",
                "packet=pts_time,flags",
                "-of",
                "csv=p=0",
                file,
            ]);
            let keys: Vec<f64> = packets
                .lines()
                .filter(|l| l.contains('K'))
                .map(|l| l.split(',').next().unwrap().parse().unwrap())
                .collect();
            let delay = f(&rendition["presentation_delay_frames"]) / 25.0;
            let keys: Vec<f64> = keys
                .iter()
                .map(|t| ((t - delay) * 1000.0).round())
                .collect();
            assert_eq!(keys, [0.0, 1000.0], "{codec} {name}: keyframe times (ms)");
            if rendition["interpolated"] == false {
                assert_eq!(rendition["matches_trial"], true, "{codec} {name}");
            }
        }
        // `pertitle frames`: each rung's encode of segment 1 made again is, for a measured
        // rung, its trial encode's segment to the bit, and its picture has the display size.
        let pictures = dir.path().join(format!("{codec}_frames"));
        Command::cargo_bin("pertitle")
            .unwrap()
            .args(["frames", "--quiet", "--at", "1.2"])
            .arg(out.join("ladder.json"))
            .arg("-o")
            .arg(&pictures)
            .assert()
            .success();
        let shot: Value =
            serde_json::from_slice(&std::fs::read(pictures.join("frames.json")).unwrap()).unwrap();
        assert_eq!(
            (shot["frame"].as_u64(), shot["segment"].as_u64()),
            (Some(30), Some(1))
        );
        for (r, rung) in shot["rungs"].as_array().unwrap().iter().zip(rungs) {
            if rung["interpolated"] == false {
                assert_eq!(
                    r["segment_bits"], rung["segment_sizes_bits"][1],
                    "{codec}: {r}"
                );
            }
            let png = image::open(pictures.join(r["file"].as_str().unwrap())).unwrap();
            assert_eq!((png.width(), png.height()), (640, 360), "{codec}");
        }
        eprintln!("{codec}: {:.1} s", started.elapsed().as_secs_f64());
        single.push(manifest);
    }

    // One run of three codecs: the ladder per codec is the single-codec run's, the codecs
    // are compared as `pertitle compare` compares them, and one package serves them all.
    let started = std::time::Instant::now();
    let out = dir.path().join("three");
    let three = &CODECS[..3];
    let mut cmd = Command::cargo_bin("pertitle").unwrap();
    cmd.args(["optimize", "--quiet", "--metric", "psnr"])
        .args(["--codec", "x264,x265,svt-av1"])
        .args(["--resolutions", "360,180", "--segment-seconds", "1"])
        .args(["--min-rungs", "3", "--package", "--report"]);
    for (codec, preset, crfs) in three {
        cmd.arg("--preset").arg(format!("{codec}={preset}"));
        cmd.arg("--crf").arg(format!("{codec}={crfs}"));
    }
    cmd.arg(&source).arg("-o").arg(&out).assert().success();
    let manifest = common::read_manifest(&out.join("ladder.json"));
    let ladders = manifest["ladders"].as_array().unwrap();
    assert_eq!(ladders.len(), 3);
    for (ladder, alone) in ladders.iter().zip(&single) {
        assert_eq!(
            ladder, &alone["ladders"][0],
            "{}: as when run alone",
            ladder["codec"]
        );
    }
    let comparisons = manifest["codec_comparisons"].as_array().unwrap();
    assert_eq!(comparisons.len(), 2);
    let ladder_json = out.join("ladder.json");
    for (c, (codec, _, _)) in comparisons.iter().zip(&three[1..]) {
        assert_eq!(c["codec"], *codec);
        assert_eq!(c["against"], "x264");
        for (hull, field) in [
            (true, "hull_bd_rate_percent"),
            (false, "ladder_bd_rate_percent"),
        ] {
            let mut compare = Command::cargo_bin("pertitle").unwrap();
            compare
                .arg("compare")
                .arg(&ladder_json)
                .arg(&ladder_json)
                .args(["--codec", "x264", "--codec-b", codec, "--json"]);
            if hull {
                compare.arg("--hull");
            }
            let output = compare.output().unwrap();
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            let report: Value = serde_json::from_slice(&output.stdout).unwrap();
            let expected = f(&report["bd_rate_percent"]);
            assert!(
                (f(&c[field]) - expected).abs() < 1e-3,
                "{codec} {field}: {} vs {expected}",
                c[field]
            );
        }
    }
    // At each x264 rung, the bitrate the other codec's hull needs for its quality: walked
    // along the hull points here.
    let x264_rungs = ladders[0]["rungs"].as_array().unwrap();
    for (c, ladder) in comparisons.iter().zip(&ladders[1..]) {
        let mut hull: Vec<(f64, f64)> = ladder["points"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["on_hull"] == true)
            .map(|p| (f(&p["bitrate_kbps"]), f(&p["psnr_y"])))
            .collect();
        hull.sort_by(|a, b| a.0.total_cmp(&b.0));
        let at = c["at_rungs"].as_array().unwrap();
        assert_eq!(at.len(), x264_rungs.len());
        for (a, r) in at.iter().zip(x264_rungs) {
            let q = f(&r["psnr_y"]);
            assert!((f(&a["quality"]) - q).abs() < 1e-3);
            let expected = hull.windows(2).find_map(|w| {
                let ((r0, q0), (r1, q1)) = (w[0], w[1]);
                (q0 <= q && q <= q1).then(|| r0 + (q - q0) / (q1 - q0) * (r1 - r0))
            });
            match (expected, a["codec_kbps"].as_f64()) {
                (Some(e), Some(k)) => assert!((e - k).abs() < 0.01, "{}: {e} vs {k}", c["codec"]),
                (None, None) => {}
                other => panic!("{}: at quality {q}: {other:?}", c["codec"]),
            }
        }
    }
    let master = std::fs::read_to_string(out.join("stream/master.m3u8")).unwrap();
    let mpd = std::fs::read_to_string(out.join("stream/manifest.mpd")).unwrap();
    for (ladder, (codec, _, _)) in ladders.iter().zip(three) {
        let rungs = ladder["rungs"].as_array().unwrap();
        for (i, r) in rungs.iter().enumerate() {
            let name = format!("{codec}_rung{}_{}p", i + 1, r["height"]);
            assert!(
                master.contains(&format!("{name}/media.m3u8")),
                "{name}: {master}"
            );
            assert!(
                out.join("stream").join(&name).join("init.mp4").is_file(),
                "{name}"
            );
        }
    }
    assert_eq!(mpd.matches("<AdaptationSet ").count(), 3, "{mpd}");
    // Every variant of the master plays (the FFmpeg CLI's HLS demuxer reads them all).
    let probe = common::ffprobe(&[
        "-show_entries",
        "stream=codec_name",
        "-of",
        "csv=p=0",
        out.join("stream/master.m3u8").to_str().unwrap(),
    ]);
    let mut names: Vec<&str> = probe.lines().filter(|l| !l.is_empty()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names, ["av1", "h264", "hevc"], "{probe}");
    // The report: the codecs' plot and table, then each codec's sections.
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("<h2>Codecs</h2>"), "no codecs section");
    assert!(report.contains("<th>fewest bits</th>"), "no per-rung table");
    assert_eq!(
        report.matches("<svg").count(),
        1 + 2 * 3,
        "codecs plot + 2 per codec"
    );
    for c in comparisons {
        let bd = f(&c["ladder_bd_rate_percent"]);
        assert!(report.contains(&format!("{bd:+.2} %")), "{bd}");
    }
    for (codec, _, _) in three {
        assert!(
            report.contains(&format!("<h2>{codec}: Rungs</h2>")),
            "{codec}"
        );
        assert!(
            report.contains(&format!("<h2>{codec}: One frame at every rung</h2>")),
            "{codec}"
        );
    }
    assert_eq!(report.matches("data:image/png;base64,").count(), 3);
    // All three at one frame, the first codec's pick.
    let mut frames: Vec<&str> = report
        .split("<figcaption>Frame ")
        .skip(1)
        .map(|t| t.split(' ').next().unwrap())
        .collect();
    assert_eq!(frames.len(), 3, "{frames:?}");
    frames.dedup();
    assert_eq!(frames.len(), 1, "{frames:?}");
    assert!(report.contains("the x264 strip&#39;s frame: "));
    eprintln!(
        "three codecs at once: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
