//! `optimize --sample SHARE` without a proxy preset: the grid is measured on whole segments
//! spread over the title, each point is what a full run on those segments alone measures,
//! the ladder is chosen on them and marked as the sample's estimates, and `package` encodes
//! the whole title.

use crate::common;
use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn pertitle() -> Command {
    Command::cargo_bin("pertitle").expect("binary built")
}

fn shipped_sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/sample_720p25.mp4")
}

/// The small grid both runs measure: 360p and 270p at three CRFs, PSNR axis.
const GRID: [&str; 12] = [
    "--resolutions",
    "360,270",
    "--crf",
    "22,30,38",
    "--preset",
    "ultrafast",
    "--no-proxy",
    "--metric",
    "psnr",
    "--segment-seconds",
    "1",
    "--quiet",
];

fn optimize(input: &Path, out: &Path, extra: &[&str]) -> Value {
    pertitle()
        .arg("optimize")
        .arg(input)
        .arg("-o")
        .arg(out)
        .args(GRID)
        .args(extra)
        .assert()
        .success();
    common::read_manifest(&out.join("ladder.json"))
}

fn points(m: &Value) -> &Vec<Value> {
    m["ladders"][0]["points"].as_array().unwrap()
}

#[test]
fn sampled_grid_measures_the_sample_and_packages_the_whole_title() {
    let tmp = tempfile::tempdir().unwrap();
    let source = shipped_sample();
    // 150 frames at 25 fps in one-second segments; half of them: segments 1, 3 and 5.
    let sampled = optimize(&source, &tmp.path().join("sampled"), &["--sample", "0.5"]);
    let l = &sampled["ladders"][0];
    let windows: Vec<(u64, u64)> = common::sample_windows(&l["search"]);
    assert_eq!(windows, vec![(25, 25), (75, 25), (125, 25)]);
    // The manifest's segments stay the title's.
    assert_eq!(sampled["segments"]["count"], 6);
    assert_eq!(sampled["source"]["frames"], 150);

    // Oracle: the same three windows cut out by the FFmpeg CLI (lossless) and measured
    // whole by an ordinary run. Every point is the same encode of the same frames.
    let cut = tmp.path().join("windows.mkv");
    common::ffmpeg(&[
        "-i",
        source.to_str().unwrap(),
        "-vf",
        "select='between(n\\,25\\,49)+between(n\\,75\\,99)+between(n\\,125\\,149)',setpts=N/25/TB",
        "-r",
        "25",
        "-c:v",
        "ffv1",
        cut.to_str().unwrap(),
    ]);
    let whole = optimize(&cut, &tmp.path().join("windows"), &[]);
    assert_eq!(whole["source"]["frames"], 75);
    assert_eq!(points(&sampled).len(), 6);
    for (s, w) in points(&sampled).iter().zip(points(&whole)) {
        for key in [
            "height",
            "crf",
            "segment_sizes_bits",
            "bitrate_kbps",
            "psnr_y",
        ] {
            assert_eq!(s[key], w[key], "{key}: {s} vs {w}");
        }
        // A point's worst frame is named in the title's frame numbers.
        let on_sample = w["pooling"]["psnr_y"]["min_frame"].as_u64().unwrap();
        let in_title = s["pooling"]["psnr_y"]["min_frame"].as_u64().unwrap();
        let k = on_sample / 25;
        assert_eq!(in_title, windows[k as usize].0 + on_sample % 25);
    }
    // The same points give the same ladder, its rungs marked as the sample's estimates.
    let rungs = l["rungs"].as_array().unwrap();
    assert!(rungs.len() >= 2, "{rungs:?}");
    for (r, w) in rungs
        .iter()
        .zip(whole["ladders"][0]["rungs"].as_array().unwrap())
    {
        assert_eq!(
            (&r["height"], &r["crf"], &r["bitrate_kbps"]),
            (&w["height"], &w["crf"], &w["bitrate_kbps"])
        );
        assert_eq!(r["sampled"], true, "{r}");
        assert_eq!(r["interpolated"], true, "{r}");
        assert_eq!(r["segment_sizes_bits"].as_array().unwrap().len(), 0);
        assert!(r["peak_kbps"].as_f64().unwrap() >= r["bitrate_kbps"].as_f64().unwrap());
    }
    assert_eq!(
        l["summary"]["interpolated_rungs"].as_u64().unwrap() as usize,
        rungs.len()
    );

    // Choosing again keeps them marked, with the sample's windows as the points' segments.
    let fewer = tmp.path().join("fewer.json");
    pertitle()
        .arg("ladder")
        .arg(tmp.path().join("sampled/ladder.json"))
        .arg("-o")
        .arg(&fewer)
        .args(["--max-rungs", "2"])
        .assert()
        .success();
    let fewer_m = common::read_manifest(&fewer);
    let fewer_rungs = fewer_m["ladders"][0]["rungs"].as_array().unwrap();
    assert_eq!(fewer_rungs.len(), 2);
    assert!(fewer_rungs.iter().all(|r| r["sampled"] == true));

    // Trial sizes cover the sample only, so a Sabre export needs the package's.
    let out = pertitle()
        .args(["export", "--format", "sabre"])
        .arg(&fewer)
        .arg("-o")
        .arg(tmp.path().join("sabre.json"))
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("sample of the title"), "{err}");
    assert!(err.contains("--package DIR"), "{err}");

    // The package encodes the whole title, six segments per rendition, and measures the
    // quality of every rendition over it.
    let stream = tmp.path().join("stream");
    pertitle()
        .args(["package", "--quiet"])
        .arg(&fewer)
        .arg("-o")
        .arg(&stream)
        .assert()
        .success();
    let package: Value =
        serde_json::from_str(&std::fs::read_to_string(stream.join("package.json")).unwrap())
            .unwrap();
    for r in package["renditions"].as_array().unwrap() {
        assert_eq!(r["segment_bytes"].as_array().unwrap().len(), 6, "{r}");
        assert_eq!(r["frames"], 150, "{r}");
        assert_eq!(r["sampled"], true, "{r}");
        assert_eq!(r["quality_source"], "measured", "{r}");
        assert_eq!(
            r["segment_means"]["psnr_y"].as_array().unwrap().len(),
            6,
            "{r}"
        );
    }
}
