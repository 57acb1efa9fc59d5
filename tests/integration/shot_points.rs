//! `optimize --shots`: the trial encodes follow the title's shots (a segment, and so a
//! keyframe, at every shot start), every point carries its figures per shot, and the package
//! of such a ladder cuts its segments at the shots, with their real durations in HLS and DASH.
//! Oracles: the segments' own figures (per shot by an independent sum), and ffprobe's key
//! frames and the playlists' durations.

use crate::common;
use assert_cmd::Command;
use serde_json::Value;

fn pertitle() -> Command {
    Command::cargo_bin("pertitle").expect("binary built")
}

fn f(v: &Value) -> f64 {
    v.as_f64().expect("number")
}

fn u(v: &Value) -> u64 {
    v.as_u64().expect("integer")
}

#[test]
fn trial_encodes_follow_the_shots_and_points_carry_per_shot_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let clip = tmp.path().join("two_shots.mp4");
    common::two_shot_clip(&clip);
    let out = tmp.path().join("run");
    common::optimize_small_psnr(&clip, &out, &["--shots", "--segment-seconds", "1"]);
    let m = common::read_manifest(&out.join("ladder.json"));

    // The shots: the cut at frame 40.
    let shots: Vec<(u64, u64)> = m["shots"]["shots"]
        .as_array()
        .expect("shots")
        .iter()
        .map(|s| (u(&s["start_frame"]), u(&s["frames"])))
        .collect();
    assert_eq!(shots, [(0, 40), (40, 50)], "{}", m["shots"]);
    assert_eq!(u(&m["shots"]["cuts"][0]["frame"]), 40);
    // Segments of at most 1 s (25 frames) inside each shot, split evenly.
    let segments: Vec<u64> = m["segments"]["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(u)
        .collect();
    assert_eq!(segments, [20, 20, 25, 25]);
    let durations: Vec<f64> = m["segments"]["durations_s"]
        .as_array()
        .unwrap()
        .iter()
        .map(f)
        .collect();
    assert_eq!(durations, [0.8, 0.8, 1.0, 1.0]);

    // Every point: its bits per shot are its segments' sums, and its quality per shot the
    // frame-weighted mean of its segments' (rounded figures: within rounding).
    let shot_of_segment = [0usize, 0, 1, 1];
    let points = m["ladders"][0]["points"].as_array().unwrap();
    assert_eq!(points.len(), 10);
    for p in points {
        let figures = &p["shots"];
        let bits: Vec<u64> = figures["sizes_bits"]
            .as_array()
            .unwrap()
            .iter()
            .map(u)
            .collect();
        let mut expected = [0u64; 2];
        for (k, b) in p["segment_sizes_bits"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            expected[shot_of_segment[k]] += u(b);
        }
        assert_eq!(bits, expected);
        for metric in ["psnr_y", "ssim_y"] {
            let seg = p["segment_means"][metric].as_array().unwrap();
            let per_shot = figures["means"][metric].as_array().unwrap();
            assert_eq!(per_shot.len(), 2);
            for (shot, &(_, frames)) in shots.iter().enumerate() {
                let weighted: f64 = (0..4)
                    .filter(|&k| shot_of_segment[k] == shot)
                    .map(|k| f(&seg[k]) * segments[k] as f64)
                    .sum::<f64>()
                    / frames as f64;
                let got = f(&per_shot[shot]);
                assert!(
                    (got - weighted).abs() < 1e-4,
                    "{metric} shot {shot}: {got} vs {weighted}"
                );
            }
            // And the shots together give the point's mean.
            let whole = (f(&per_shot[0]) * 40.0 + f(&per_shot[1]) * 50.0) / 90.0;
            assert!((whole - f(&p[metric])).abs() < 1e-4, "{metric}: {whole}");
        }
    }

    // The package cuts at the shots: a key frame at every segment start (ffprobe), and the
    // playlists give the real durations.
    let stream = tmp.path().join("stream");
    let run = pertitle()
        .args(["package", "--quiet", "--no-score"])
        .arg(out.join("ladder.json"))
        .arg("-o")
        .arg(&stream)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let rung = std::fs::read_dir(&stream)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.join("media.m3u8").exists())
        .expect("a rendition");
    let playlist = std::fs::read_to_string(rung.join("media.m3u8")).unwrap();
    let extinf: Vec<f64> = playlist
        .lines()
        .filter_map(|l| l.strip_prefix("#EXTINF:"))
        .map(|d| d.trim_end_matches(',').parse().unwrap())
        .collect();
    assert_eq!(extinf.len(), 4, "{playlist}");
    for (a, b) in extinf.iter().zip(&durations) {
        assert!((a - b).abs() < 1e-3, "{playlist}");
    }
    assert!(playlist.contains("#EXT-X-TARGETDURATION:1\n"), "{playlist}");
    let keys = common::ffprobe(&[
        "-select_streams",
        "v",
        "-show_entries",
        "frame=key_frame",
        "-of",
        "csv=p=0",
        rung.join("media.m3u8").to_str().unwrap(),
    ]);
    // One line per frame (ffprobe may add a blank line after a frame with side data).
    let key_frames: Vec<usize> = keys
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .filter(|(_, k)| k.starts_with('1'))
        .map(|(i, _)| i)
        .collect();
    for start in [0usize, 20, 40, 65] {
        assert!(
            key_frames.contains(&start),
            "no key frame at {start}: {key_frames:?}"
        );
    }
    let mpd = std::fs::read_to_string(stream.join("manifest.mpd")).unwrap();
    assert!(mpd.contains("SegmentTimeline"), "{mpd}");
    // FFmpeg's DASH demuxer plays the representations it opens to their end.
    let dash = common::ffprobe(&[
        "-select_streams",
        "v:0",
        "-count_frames",
        "-show_entries",
        "stream=nb_read_frames",
        "-of",
        "csv=p=0",
        stream.join("manifest.mpd").to_str().unwrap(),
    ]);
    let counts: Vec<&str> = dash
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert!(
        !counts.is_empty() && counts.iter().all(|&c| c == "90"),
        "{dash}"
    );
}

#[test]
fn shot_based_runs_refuse_what_they_cannot_follow() {
    let tmp = tempfile::tempdir().unwrap();
    let clip = tmp.path().join("clip.mp4");
    common::synthetic_clip(&clip, "160x120", "25", 1.0);
    for (extra, cause) in [
        (vec!["--sample", "0.5"], "--sample"),
        (vec!["--search", "adaptive"], "--search"),
        (vec!["--shot-threshold", "0"], "out of range"),
    ] {
        let out = tmp.path().join("refused");
        let run = pertitle()
            .args(["optimize", "--quiet", "--metric", "psnr", "--shots"])
            .args(&extra)
            .arg(&clip)
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success(), "{extra:?} accepted");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(cause), "{extra:?}: {stderr}");
        assert!(!out.join("ladder.json").exists());
    }
}
