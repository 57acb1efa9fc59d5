//! `pertitle ladder`: re-selecting rungs from a ladder.json under constraints, without encoding.

use crate::common;
use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn pertitle() -> Command {
    Command::cargo_bin("pertitle").expect("binary built")
}

fn read(path: &Path) -> Value {
    common::read_manifest(path)
}

fn f(v: &Value) -> f64 {
    v.as_f64().expect("number")
}

#[test]
fn ladder_reselects_under_constraints_and_refuses_impossible_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let clip = tmp.path().join("synthetic.mp4");
    common::synthetic_clip(&clip, "320x240", "24", 2.0);
    let first = tmp.path().join("first");
    common::optimize_small_psnr(&clip, &first, &[]);
    let original = read(&first.join("ladder.json"));
    // The schema is strict enough to catch a broken manifest.
    for (pointer, bad) in [
        ("/ladders/0/rungs/0/crf", serde_json::json!(60)),
        // x264's preset names are not VP9's.
        ("/ladders/0/codec", serde_json::json!("vp9")),
        ("/settings/metric", serde_json::json!("mse")),
        (
            "/ladders/0/points/0/bitrate_kbps",
            serde_json::json!("fast"),
        ),
    ] {
        let mut broken = original.clone();
        *broken.pointer_mut(pointer).unwrap() = bad;
        assert!(!common::schema_errors(&broken).is_empty(), "{pointer}");
    }
    let mut extra = original.clone();
    extra["ladders"][0]["rungs"][0]["surprise"] = serde_json::json!(1);
    assert!(!common::schema_errors(&extra).is_empty());
    let points = original["ladders"][0]["points"].as_array().unwrap().clone();

    // A quality target, three rungs at most, and a forced rung at 120p.
    let out = tmp.path().join("second/ladder.json");
    // Just above the cheapest 120p point: on the 120p curve, between two measured CRFs.
    let cheapest_120 = points
        .iter()
        .filter(|p| p["height"] == 120)
        .map(|p| f(&p["bitrate_kbps"]))
        .fold(f64::INFINITY, f64::min);
    let forced = (cheapest_120 * 1.05).round();
    pertitle()
        .arg("ladder")
        .arg(first.join("ladder.json"))
        .arg("-o")
        .arg(&out)
        .args(["--max-rungs", "3", "--top-quality", "40", "--no-max-step"])
        .args(["--force-rung", &format!("{forced}@120")])
        .assert()
        .success();
    let m = read(&out);
    // The points are untouched; the rungs obey every constraint.
    assert_eq!(m["ladders"][0]["points"], original["ladders"][0]["points"]);
    let rungs = m["ladders"][0]["rungs"].as_array().unwrap();
    assert!(
        !rungs.is_empty() && rungs.len() <= 3,
        "{} rungs",
        rungs.len()
    );
    assert!(
        rungs
            .iter()
            .any(|r| r["height"] == 120 && (f(&r["bitrate_kbps"]) - forced).abs() < 0.01),
        "forced rung missing: {rungs:?}"
    );
    // No rung costs more than the cheapest point of the hull reaching 40 dB: the hull is
    // concave, so if the top rung is at or above 40 dB, every point cheaper than it is below.
    let top = rungs.last().unwrap();
    let cap_ok = points
        .iter()
        .filter(|p| p["on_hull"] == true && f(&p["bitrate_kbps"]) < f(&top["bitrate_kbps"]) - 0.01)
        .all(|p| f(&p["psnr_y"]) < 40.0 + 1e-6);
    assert!(cap_ok, "a cheaper hull point already reaches 40 dB");
    for w in rungs.windows(2) {
        assert!(f(&w[1]["bitrate_kbps"]) >= 1.5 * f(&w[0]["bitrate_kbps"]) - 1e-6);
    }
    assert_eq!(m["settings"]["constraints"]["max_rungs"], 3);
    assert_eq!(m["settings"]["constraints"]["max_step"], Value::Null);

    // Export: every point as CSV; Sabre's manifest needs measured rungs.
    let export = |input: &Path, format: &str| {
        pertitle()
            .arg("export")
            .arg(input)
            .args(["--format", format])
            .output()
            .unwrap()
    };
    let csv = String::from_utf8(export(&first.join("ladder.json"), "csv").stdout).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows[0],
        "codec,width,height,crf,bitrate_kbps,psnr_y,psnr_yuv,ssim_y,vmaf,on_hull,rung"
    );
    assert_eq!(rows.len(), points.len() + 1);
    for (row, p) in rows[1..].iter().zip(&points) {
        let cells: Vec<&str> = row.split(',').collect();
        assert_eq!(cells[0], "x264");
        assert_eq!(cells[4].parse::<f64>().unwrap(), f(&p["bitrate_kbps"]));
        assert_eq!(cells[9], p["on_hull"].to_string());
    }
    let measured = tmp.path().join("measured/ladder.json");
    pertitle()
        .arg("ladder")
        .arg(first.join("ladder.json"))
        .arg("-o")
        .arg(&measured)
        .arg("--measured-only")
        .assert()
        .success();
    let m = read(&measured);
    let rungs = m["ladders"][0]["rungs"].as_array().unwrap();
    assert!(rungs.iter().all(|r| r["interpolated"] == false));
    let out = export(&measured, "sabre");
    assert!(out.status.success());
    let sabre: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        f(&sabre["segment_duration_ms"]),
        1000.0 * f(&m["settings"]["segment_seconds"])
    );
    let kbps: Vec<f64> = sabre["bitrates_kbps"]
        .as_array()
        .unwrap()
        .iter()
        .map(f)
        .collect();
    assert!(kbps.windows(2).all(|w| w[0] < w[1]));
    let sizes = sabre["segment_sizes_bits"].as_array().unwrap();
    assert_eq!(sizes.len() as u64, m["segments"]["count"].as_u64().unwrap());
    for (s, seg) in sizes.iter().enumerate() {
        for (k, bits) in seg.as_array().unwrap().iter().enumerate() {
            assert_eq!(bits, &rungs[k]["segment_sizes_bits"][s]);
        }
    }
    if original["ladders"][0]["rungs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["interpolated"] == true)
    {
        let out = export(&first.join("ladder.json"), "sabre");
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("--measured-only"));
    }

    // Impossible: more rungs than the steps allow. One line naming the constraints, no file.
    let bad = tmp.path().join("third/ladder.json");
    let assert = pertitle()
        .arg("ladder")
        .arg(first.join("ladder.json"))
        .arg("-o")
        .arg(&bad)
        .args(["--min-rungs", "8", "--max-rungs", "8", "--min-step", "1.9"])
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("cannot build a ladder") && stderr.contains("--min-rungs 8"),
        "{stderr}"
    );
    assert!(!bad.exists());
}

#[test]
fn ladder_refuses_unreadable_manifests_in_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let old = tmp.path().join("old.json");
    std::fs::write(&old, r#"{"schema_version": 1, "points": []}"#).unwrap();
    let garbage = tmp.path().join("garbage.json");
    std::fs::write(&garbage, "not json").unwrap();
    let missing = tmp.path().join("missing.json");
    for (input, cause) in [
        (&old, "schema version 1"),
        (&garbage, "invalid ladder manifest"),
        (&missing, "No such file"),
    ] {
        let out = tmp.path().join("out/ladder.json");
        let assert = pertitle()
            .arg("ladder")
            .arg(input)
            .arg("-o")
            .arg(&out)
            .assert()
            .failure();
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains(input.to_str().unwrap()) && stderr.contains(cause),
            "{stderr}"
        );
        assert!(!out.exists());
    }
}
