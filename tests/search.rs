//! `optimize --search adaptive` on a real clip: deterministic, never the same point twice,
//! the manifest accounts for every encode.

mod common;

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn adaptive(clip: &Path, out: &Path, jobs: &str) -> Value {
    Command::cargo_bin("pertitle")
        .expect("binary built")
        .args([
            "optimize", "--quiet", "--search", "adaptive", "--metric", "psnr",
        ])
        .args(["--preset", "ultrafast", "--resolutions", "480,360,240,180"])
        .args(["--crf", "16,44", "--jobs", jobs])
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

    let search = &a["search"];
    assert_eq!(search["mode"], "adaptive");
    let points = a["points"].as_array().unwrap();
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
        a["timing"]["points_encode_cpu_s"].as_array().unwrap().len(),
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
