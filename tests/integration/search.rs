//! `optimize --search adaptive` on a real clip: deterministic, never the same point twice,
//! the manifest accounts for every encode; with `--proxy-preset`, the search's points and
//! the final preset's are kept apart and the rungs are final-preset encodes.

use crate::common;
use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn adaptive(clip: &Path, out: &Path, jobs: &str) -> Value {
    adaptive_with(clip, out, jobs, &["--preset", "ultrafast", "--no-proxy"])
}

fn adaptive_with(clip: &Path, out: &Path, jobs: &str, extra: &[&str]) -> Value {
    Command::cargo_bin("pertitle")
        .expect("binary built")
        .args([
            "optimize", "--quiet", "--search", "adaptive", "--metric", "psnr",
        ])
        .args(["--resolutions", "480,360,240,180"])
        .args(["--crf", "16,44", "--jobs", jobs])
        .args(extra)
        .arg(clip)
        .arg("-o")
        .arg(out)
        .assert()
        .success();
    common::read_manifest(&out.join("ladder.json"))
}

#[test]
fn adaptive_search_is_deterministic_and_never_repeats_a_point() {
    let Some(clips) =
        common::clips_dir("adaptive_search_is_deterministic_and_never_repeats_a_point")
    else {
        return;
    };
    let clip = clips.join("talking_head_480p30.mp4");
    let tmp = tempfile::tempdir().unwrap();
    let mut a = adaptive(&clip, &tmp.path().join("a"), "2");
    let mut b = adaptive(&clip, &tmp.path().join("b"), "1");

    let search = &a["ladders"][0]["search"];
    assert_eq!(search["mode"], "adaptive");
    let points = a["ladders"][0]["points"].as_array().unwrap();
    let waves: Vec<u64> = search["waves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_u64().unwrap())
        .collect();
    assert!(waves.len() >= 3, "{waves:?}");
    assert_eq!(waves.iter().sum::<u64>(), points.len() as u64);
    assert_eq!(search["encodes"].as_u64().unwrap(), points.len() as u64);
    // Each encode's CPU time is accounted for.
    assert_eq!(
        a["timing"]["ladders"][0]["points_encode_cpu_s"]
            .as_array()
            .unwrap()
            .len(),
        points.len()
    );

    // No (resolution, CRF) twice; every CRF inside the range; by height then CRF.
    let keys: Vec<(u64, f64)> = points
        .iter()
        .map(|p| (p["height"].as_u64().unwrap(), p["crf"].as_f64().unwrap()))
        .collect();
    for (i, k) in keys.iter().enumerate() {
        assert!(!keys[..i].contains(k), "{k:?} measured twice");
        assert!((16.0..=44.0).contains(&k.1), "{k:?}");
    }
    assert!(
        keys.windows(2)
            .all(|w| w[0].0 < w[1].0 || (w[0].0 == w[1].0 && w[0].1 < w[1].1))
    );
    // Fewer encodes than the grid over the same CRF range at the search's finest spacing
    // (4 resolutions x 29 CRFs), and every resolution measured.
    assert!(points.len() < 4 * 29 / 2, "{} points", points.len());
    for h in [180, 240, 360, 480] {
        assert!(keys.iter().any(|k| k.0 == h), "{h}p never measured");
    }

    // The same search with another thread count: the same manifest, timing aside.
    a.as_object_mut().unwrap().remove("timing");
    b.as_object_mut().unwrap().remove("timing");
    assert_eq!(a, b);
}

/// `(height, CRF)` of each point of a manifest's `field` ("points" or "proxy_points").
fn keys(manifest: &Value, field: &str) -> Vec<(u64, f64)> {
    manifest["ladders"][0][field]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["height"].as_u64().unwrap(), p["crf"].as_f64().unwrap()))
        .collect()
}

#[test]
fn proxy_search_encodes_the_rungs_at_the_final_preset() {
    let Some(clips) = common::clips_dir("proxy_search_encodes_the_rungs_at_the_final_preset")
    else {
        return;
    };
    let clip = clips.join("talking_head_480p30.mp4");
    let tmp = tempfile::tempdir().unwrap();
    // The proxy measures two of the five one-second segments.
    let proxy = [
        "--preset",
        "veryfast",
        "--proxy-preset",
        "ultrafast",
        "--segment-seconds",
        "1",
        "--sample",
        "0.4",
    ];
    let mut a = adaptive_with(&clip, &tmp.path().join("a"), "2", &proxy);
    let mut b = adaptive_with(&clip, &tmp.path().join("b"), "1", &proxy);

    assert_eq!(a["ladders"][0]["preset"], "veryfast");
    assert_eq!(a["ladders"][0]["proxy_preset"], "ultrafast");
    let finals = keys(&a, "points");
    let proxies = keys(&a, "proxy_points");
    let search = &a["ladders"][0]["search"];
    let n_final = search["final_encodes"].as_u64().unwrap() as usize;
    assert_eq!(n_final, finals.len());
    assert!(proxies.len() > finals.len(), "{proxies:?} {finals:?}");
    // Every encode is accounted for, once, with its CPU time.
    let waves: u64 = search["waves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_u64().unwrap())
        .sum();
    assert_eq!(waves as usize, proxies.len() + finals.len());
    assert_eq!(
        search["encodes"].as_u64().unwrap() as usize,
        proxies.len() + finals.len()
    );
    let timing = &a["timing"]["ladders"][0];
    assert_eq!(
        timing["proxy_points_encode_cpu_s"]
            .as_array()
            .unwrap()
            .len(),
        proxies.len()
    );
    assert_eq!(
        timing["points_encode_cpu_s"].as_array().unwrap().len(),
        finals.len()
    );
    for set in [&finals, &proxies] {
        for (i, k) in set.iter().enumerate() {
            assert!(!set[..i].contains(k), "{k:?} encoded twice at one preset");
        }
    }
    // The sample: segments 1 and 3 (the middle ones of each half), 30 frames each. The
    // proxy's points are measured on them, the final encodes on the whole source.
    let windows: Vec<(u64, u64)> = common::sample_windows(search);
    assert_eq!(windows, vec![(30, 30), (90, 30)]);
    let bits = |p: &Value| -> Vec<u64> {
        p["segment_sizes_bits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_u64().unwrap())
            .collect()
    };
    let rate = |p: &Value| p["bitrate_kbps"].as_f64().unwrap();
    let fps = 30000.0 / 1001.0;
    for p in a["ladders"][0]["proxy_points"].as_array().unwrap() {
        let b = bits(p);
        assert_eq!(b.len(), 2, "{p}");
        let expected = b.iter().sum::<u64>() as f64 / (60.0 / fps) / 1000.0;
        assert!(
            (rate(p) - expected).abs() < 0.01,
            "{} vs {expected}",
            rate(p)
        );
    }
    for p in a["ladders"][0]["points"].as_array().unwrap() {
        assert_eq!(bits(p).len(), 5, "{p}");
    }
    // The calibration: the smallest resolution at both ends of the CRF range and its
    // middle, at both presets, and the samples are the measured ratios.
    for crf in [16.0, 30.0, 44.0] {
        assert!(finals.contains(&(180, crf)), "180p CRF {crf} at veryfast");
        assert!(proxies.contains(&(180, crf)), "180p CRF {crf} at ultrafast");
    }
    let point = |field: &str, h: u64, crf: f64| -> Value {
        a["ladders"][0][field]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["height"] == h && p["crf"] == crf)
            .unwrap()
            .clone()
    };
    let kbps = |p: &Value| p["bitrate_kbps"].as_f64().unwrap();
    for s in search["calibration"].as_array().unwrap() {
        let (h, crf) = (s["height"].as_u64().unwrap(), s["crf"].as_f64().unwrap());
        if h != 180 {
            continue;
        }
        let ratio = kbps(&point("points", h, crf)) / kbps(&point("proxy_points", h, crf));
        let factor = s["rate_factor"].as_f64().unwrap();
        assert!((ratio / factor - 1.0).abs() < 1e-3, "{ratio} vs {factor}");
        // The two presets really are different encodes.
        assert!(
            (factor - 1.0).abs() > 0.02,
            "ultrafast and veryfast agree: {factor}"
        );
    }
    // The rungs come from the final preset's encodes: measured ones are points, and an
    // interpolated one lies between two points of its resolution, unless it is marked as
    // the proxy's estimate (the rounds of final encodes ran out).
    for r in a["ladders"][0]["rungs"].as_array().unwrap() {
        let (h, crf) = (r["height"].as_u64().unwrap(), r["crf"].as_f64().unwrap());
        if r["proxy_estimate"] == true {
            assert_eq!(r["interpolated"], true);
        } else if r["interpolated"] == true {
            assert!(finals.iter().any(|k| k.0 == h && k.1 < crf));
            assert!(finals.iter().any(|k| k.0 == h && k.1 > crf));
        } else {
            assert!(
                finals.contains(&(h, crf)),
                "rung {h}p CRF {crf} is not a final encode"
            );
            assert_eq!(kbps(r), kbps(&point("points", h, crf)));
        }
    }
    assert!(
        a["ladders"][0]["rungs"].as_array().unwrap().len() >= 4,
        "{}",
        a["ladders"][0]["rungs"]
    );

    // Deterministic across thread counts.
    a.as_object_mut().unwrap().remove("timing");
    b.as_object_mut().unwrap().remove("timing");
    assert_eq!(a, b);
}
