//! `optimize --compare-to apple-hls` on real clips: the fixed ladder is encoded on the title,
//! measured, and the per-title ladder's saving against it is reported.

use crate::common;
use crate::common::clips_dir;
use assert_cmd::Command;
use serde_json::Value;

fn f(v: &Value) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("number expected, got {v}"))
}

/// Seconds of each clip the tests run on (its first ones, losslessly re-encoded): enough for
/// the comparison's checks, and a fraction of the whole clip's encoding and VMAF time.
const CUT_SECONDS: f64 = 2.0;

/// Run optimize with `--compare-to apple-hls` on the first [`CUT_SECONDS`] of `clip` and
/// return the manifest's `comparison`.
fn compare(clip: &str, extra: &[&str]) -> Option<(Value, Value)> {
    let dir = clips_dir("compare_to_apple_hls")?;
    let tmp = tempfile::tempdir().unwrap();
    let cut = tmp.path().join("cut.mkv");
    common::lossless_cut(&dir.join(clip), CUT_SECONDS, &cut);
    let out = tmp.path().join("out");
    Command::cargo_bin("pertitle")
        .unwrap()
        .arg("optimize")
        .arg(&cut)
        .arg("-o")
        .arg(&out)
        .args([
            "--quiet",
            "--compare-to",
            "apple-hls",
            "--preset",
            "ultrafast",
        ])
        .args(extra)
        .assert()
        .success();
    let m = common::read_manifest(&out.join("ladder.json"));
    Some((m["ladders"][0]["comparison"].clone(), m))
}

fn check(name: &str, c: &Value, m: &Value, expected_rungs: usize) {
    assert_eq!(c["reference"], "apple-hls");
    let rungs = c["rungs"].as_array().unwrap();
    assert_eq!(
        rungs.len(),
        expected_rungs,
        "{name}: rungs above the source are left out"
    );
    let source_height = m["source"]["height"].as_u64().unwrap();
    for r in rungs {
        assert!(r["height"].as_u64().unwrap() <= source_height);
        // Two-pass VBR (the default for x264) aims at the target: the average lands near it,
        // or below it where the content needs fewer bits than the rung offers (the end card).
        assert_eq!(c["rate_control_mode"], "two-pass");
        assert!(
            f(&r["bitrate_kbps"]) <= 1.1 * f(&r["target_kbps"]),
            "{name}: {r}"
        );
        assert!(f(&r["vmaf"]) > 0.0);
    }
    let bd = f(&c["bd_rate_percent"]);
    let saving = f(&c["saving_at_equal_quality_percent"]);
    println!(
        "{name}: BD-rate {bd:+.2}% (VMAF, PCHIP), BD-VMAF {:+.3}; at VMAF {:.3} the reference needs {:.0} kbps and the per-title hull {:.0} kbps: {saving:+.1}% saved{}",
        f(&c["bd_quality"]),
        f(&c["equal_quality"]),
        f(&c["reference_kbps_at_equal_quality"]),
        f(&c["per_title_kbps_at_equal_quality"]),
        c.get("note").map_or(String::new(), |n| format!(" ({n})"))
    );
    // Easy content: the per-title ladder needs fewer bits for the same quality.
    assert!(bd < 0.0, "{name}: BD-rate {bd}");
    assert!(saving > 0.0, "{name}: saving {saving}");
}

#[test]
fn talking_head_saves_against_apple_hls() {
    let Some((c, m)) = compare("talking_head_480p30.mp4", &[]) else {
        return;
    };
    // 640x480: Apple's 234p, 360p and two 432p rungs fit.
    check("talking head 480p", &c, &m, 4);
}

#[test]
fn end_card_saves_against_apple_hls() {
    let Some((c, m)) = compare(
        "endcard_graphics_1080p30.mp4",
        &["--resolutions", "1080,540,270", "--crf", "20,28,36"],
    ) else {
        return;
    };
    check("end card 1080p", &c, &m, 9);
}
