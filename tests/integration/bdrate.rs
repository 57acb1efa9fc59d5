//! Bjontegaard delta metrics (`pertitle::ladder::bdrate`) through the public API: exact cases,
//! invariants over random curves (proptest), error cases, and values pinned from SciPy; then
//! `pertitle compare` end to end, on curve files and on ladder.json files from tiny
//! `optimize` runs of a shared clip (SKIP without the clips).

use crate::common;
use pertitle::ladder::bdrate::{
    BdError, Curve, Interpolation, MIN_POINTS, bd_quality, bd_rate, compare,
};
use pertitle::ladder::hull::RateQuality;
use proptest::prelude::*;

fn rq(v: &[(f64, f64)]) -> Vec<RateQuality> {
    v.iter()
        .map(|&(kbps, quality)| RateQuality { kbps, quality })
        .collect()
}

fn scaled(c: &[RateQuality], k: f64) -> Vec<RateQuality> {
    c.iter()
        .map(|p| RateQuality {
            kbps: p.kbps * k,
            quality: p.quality,
        })
        .collect()
}

fn shifted(c: &[RateQuality], d: f64) -> Vec<RateQuality> {
    c.iter()
        .map(|p| RateQuality {
            kbps: p.kbps,
            quality: p.quality + d,
        })
        .collect()
}

/// A VMAF ladder-like curve.
fn vmaf_curve() -> Vec<RateQuality> {
    rq(&[
        (250.0, 70.1),
        (500.0, 80.3),
        (1000.0, 88.2),
        (2000.0, 93.5),
        (4000.0, 96.4),
    ])
}

// ---------------------------------------------------------------------------------------
// Exact cases
// ---------------------------------------------------------------------------------------

#[test]
fn a_curve_against_itself_is_zero() {
    let c = vmaf_curve();
    for m in Interpolation::ALL {
        assert_eq!(bd_rate(&c, &c, m).unwrap(), 0.0, "{m}");
        assert_eq!(bd_quality(&c, &c, m).unwrap(), 0.0, "{m}");
    }
}

#[test]
fn a_constant_rate_factor_is_the_bd_rate() {
    let c = vmaf_curve();
    for m in Interpolation::ALL {
        let r = bd_rate(&c, &scaled(&c, 0.9), m).unwrap();
        assert!((r - -10.0).abs() < 1e-9, "{m}: {r}");
        let r = bd_rate(&c, &scaled(&c, 1.25), m).unwrap();
        assert!((r - 25.0).abs() < 1e-9, "{m}: {r}");
        // And the other way round: 1 / 0.9 - 1 = +11.1...%.
        let r = bd_rate(&scaled(&c, 0.9), &c, m).unwrap();
        assert!((r - (1.0 / 0.9 - 1.0) * 100.0).abs() < 1e-9, "{m}: {r}");
    }
}

#[test]
fn a_constant_quality_shift_is_the_bd_quality() {
    let c = vmaf_curve();
    for m in Interpolation::ALL {
        let q = bd_quality(&c, &shifted(&c, 1.75), m).unwrap();
        assert!((q - 1.75).abs() < 1e-9, "{m}: {q}");
        let q = bd_quality(&c, &shifted(&c, -0.4), m).unwrap();
        assert!((q - -0.4).abs() < 1e-9, "{m}: {q}");
    }
}

#[test]
fn input_order_does_not_matter() {
    let a = vmaf_curve();
    let t = rq(&[
        (220.0, 71.8),
        (450.0, 81.9),
        (900.0, 89.0),
        (1800.0, 94.1),
        (3600.0, 96.9),
    ]);
    let mut shuffled = t.clone();
    shuffled.swap(0, 3);
    shuffled.swap(1, 4);
    for m in Interpolation::ALL {
        assert_eq!(bd_rate(&a, &t, m), bd_rate(&a, &shuffled, m), "{m}");
        assert_eq!(bd_quality(&a, &t, m), bd_quality(&a, &shuffled, m), "{m}");
    }
}

#[test]
fn curves_that_are_not_monotone_are_accepted() {
    // Quality falls from 37.3 to 36.9 as the rate rises from 600 to 650 kbps.
    let a = rq(&[
        (100.0, 30.0),
        (300.0, 34.0),
        (600.0, 37.3),
        (650.0, 36.9),
        (1200.0, 40.0),
    ]);
    let t = scaled(&a, 0.8);
    for m in Interpolation::ALL {
        let r = bd_rate(&a, &t, m).unwrap();
        assert!((r - -20.0).abs() < 1e-9, "{m}: {r}");
    }
}

#[test]
fn compare_reports_both_metrics_and_the_overlaps() {
    let a = vmaf_curve();
    let t = shifted(&scaled(&a, 0.5), 1.0);
    let report = compare(&a, &t, Interpolation::Akima).unwrap();
    assert_eq!(report.method, Interpolation::Akima);
    assert_eq!(
        report.bd_rate_percent,
        bd_rate(&a, &t, Interpolation::Akima).unwrap()
    );
    assert_eq!(
        report.bd_quality,
        bd_quality(&a, &t, Interpolation::Akima).unwrap()
    );
    assert_eq!(report.quality_overlap, [71.1, 96.4]);
    // In kbps as given, not rounded through ln and exp.
    assert_eq!(report.kbps_overlap, [250.0, 2000.0]);
    assert_eq!((report.anchor_points, report.test_points), (5, 5));
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["method"], "akima");
    assert!(json["bd_rate_percent"].is_f64());
    assert!(json["bd_quality"].is_f64());
    assert_eq!(json["quality_overlap"][1], 96.4);
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

#[test]
fn fewer_than_four_points() {
    let c = vmaf_curve();
    let three = &c[..3];
    for m in Interpolation::ALL {
        assert_eq!(
            bd_rate(&c, three, m),
            Err(BdError::TooFewPoints {
                curve: Curve::Test,
                count: 3
            })
        );
        assert_eq!(
            bd_quality(&[], &c, m),
            Err(BdError::TooFewPoints {
                curve: Curve::Anchor,
                count: 0
            })
        );
    }
    assert_eq!(MIN_POINTS, 4);
    let e = compare(three, &c, Interpolation::Pchip).unwrap_err();
    assert_eq!(
        e.to_string(),
        "anchor curve: 3 points, BD metrics need at least 4"
    );
}

#[test]
fn duplicate_x() {
    let c = vmaf_curve();
    let mut dup = c.clone();
    dup[2].quality = 80.3;
    assert_eq!(
        bd_rate(&dup, &c, Interpolation::Pchip)
            .unwrap_err()
            .to_string(),
        "anchor curve: two points share quality 80.3"
    );
    let mut dup = c.clone();
    dup[3].kbps = 4000.0;
    assert_eq!(
        bd_quality(&c, &dup, Interpolation::Cubic)
            .unwrap_err()
            .to_string(),
        "test curve: two points share bitrate 4000.0 kbps"
    );
}

#[test]
fn no_overlap() {
    let a = rq(&[(100.0, 30.0), (200.0, 34.0), (400.0, 37.0), (800.0, 40.0)]);
    let t = rq(&[
        (1000.0, 41.0),
        (2000.0, 44.0),
        (4000.0, 47.0),
        (8000.0, 50.0),
    ]);
    let e = bd_rate(&a, &t, Interpolation::Pchip).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the curves do not overlap in quality (anchor 30.0-40.0, test 41.0-50.0)"
    );
    assert_eq!(e.curve(), None);
    let e = bd_quality(&a, &t, Interpolation::Pchip).unwrap_err();
    assert!(matches!(e, BdError::NoRateOverlap { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        "the curves do not overlap in bitrate (anchor 100.0-800.0 kbps, test 1000.0-8000.0 kbps)"
    );
    // Touching at one quality is not an overlap either.
    let t = shifted(&a, 10.0);
    assert!(matches!(
        bd_rate(&a, &t, Interpolation::Cubic),
        Err(BdError::NoQualityOverlap { .. })
    ));
}

#[test]
fn bad_values() {
    let c = vmaf_curve();
    for (kbps, index) in [(0.0, 1), (-5.0, 0), (f64::NAN, 4), (f64::INFINITY, 2)] {
        let mut bad = c.clone();
        bad[index].kbps = kbps;
        match bd_rate(&c, &bad, Interpolation::Pchip) {
            Err(BdError::BadRate {
                curve: Curve::Test,
                index: i,
                ..
            }) => assert_eq!(i, index),
            other => panic!("{kbps}: {other:?}"),
        }
    }
    let mut bad = c.clone();
    bad[1].quality = f64::NEG_INFINITY;
    let e = bd_quality(&bad, &c, Interpolation::Akima).unwrap_err();
    assert_eq!(
        e.to_string(),
        "anchor curve: point 1 has quality -inf; qualities must be finite"
    );
}

// ---------------------------------------------------------------------------------------
// Random curves
// ---------------------------------------------------------------------------------------

/// 4 to 8 points with strictly increasing rate and quality.
fn curve() -> impl Strategy<Value = Vec<RateQuality>> {
    (
        50.0..500.0f64,
        20.0..60.0f64,
        prop::collection::vec((1.1..2.5f64, 0.2..5.0f64), 3..=7),
    )
        .prop_map(|(kbps, quality, steps)| {
            let mut p = RateQuality { kbps, quality };
            let mut out = vec![p];
            for (factor, step) in steps {
                p.kbps *= factor;
                p.quality += step;
                out.push(p);
            }
            out
        })
}

/// Two random curves, both with increasing rate and quality, that overlap in quality: a curve
/// and a perturbed copy of it. The copy's rates are the curve's times a factor that starts
/// anywhere in [0.5, 2] and drifts by at most 5% from one point to the next (the curve's rate
/// steps are at least 10%, so the copy's rates still increase); each quality moves by less
/// than half the smallest quality step, so the qualities stay increasing and distinct.
///
/// Qualities can still cluster (0.02 apart next to a 5-point step), and a cubic through such
/// points can swing wildly: BD-rate then reaches 1e9 % under `cubic`, which is that fit's
/// honest answer (PCHIP and Akima stay sane).
fn curve_pair() -> impl Strategy<Value = (Vec<RateQuality>, Vec<RateQuality>)> {
    curve().prop_flat_map(|a| {
        let n = a.len();
        (
            Just(a),
            0.5..2.0f64,
            prop::collection::vec((0.95..1.05f64, -0.09..0.09f64), n),
        )
            .prop_map(|(a, start, noise)| {
                let mut factor = start;
                let t = a
                    .iter()
                    .zip(noise)
                    .map(|(p, (drift, dq))| {
                        factor *= drift;
                        RateQuality {
                            kbps: p.kbps * factor,
                            quality: p.quality + dq,
                        }
                    })
                    .collect();
                (a, t)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_curve_against_itself_is_zero(c in curve()) {
        for m in Interpolation::ALL {
            prop_assert!(bd_rate(&c, &c, m).unwrap().abs() < 1e-12, "{}", m);
            prop_assert!(bd_quality(&c, &c, m).unwrap().abs() < 1e-12, "{}", m);
        }
    }

    #[test]
    fn random_rate_factor_is_the_bd_rate(c in curve(), k in 0.3..3.0f64) {
        for m in Interpolation::ALL {
            let r = bd_rate(&c, &scaled(&c, k), m).unwrap();
            prop_assert!((r - (k - 1.0) * 100.0).abs() < 1e-9, "{}: {} vs k = {}", m, r, k);
        }
    }

    #[test]
    fn random_quality_shift_is_the_bd_quality(c in curve(), d in -5.0..5.0f64) {
        for m in Interpolation::ALL {
            let q = bd_quality(&c, &shifted(&c, d), m).unwrap();
            prop_assert!((q - d).abs() < 1e-9, "{}: {} vs d = {}", m, q, d);
        }
    }

    #[test]
    fn swapping_the_curves_inverts_the_rate_ratio((a, t) in curve_pair()) {
        for w in t.windows(2) {
            prop_assert!(w[0].kbps < w[1].kbps && w[0].quality < w[1].quality);
        }
        for m in Interpolation::ALL {
            let r = bd_rate(&a, &t, m).unwrap() / 100.0;
            let r_swapped = bd_rate(&t, &a, m).unwrap() / 100.0;
            // 1e-9, scaled by the larger factor: when one of 1 + r, 1 + r' is ~1e-9 (a wild
            // cubic), its absolute rounding error (~1e-16) is multiplied by the other (~1e9).
            let scale = (1.0 + r).max(1.0 + r_swapped);
            prop_assert!(((1.0 + r) * (1.0 + r_swapped) - 1.0).abs() < 1e-9 * scale,
                "{}: {} and {}", m, r, r_swapped);
            // BD-quality is antisymmetric, when the rates overlap at all.
            if let (Ok(q), Ok(q_swapped)) = (bd_quality(&a, &t, m), bd_quality(&t, &a, m)) {
                prop_assert!((q + q_swapped).abs() < 1e-9, "{}: {} and {}", m, q, q_swapped);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Values pinned from SciPy
// ---------------------------------------------------------------------------------------

// Computed with Python 3, numpy 2.4.6 and scipy 1.17.1 (`pip install numpy scipy` in a venv):
//
//     import numpy as np
//     from scipy.interpolate import PchipInterpolator, Akima1DInterpolator
//
//     def avg_diff(x1, y1, x2, y2, method):
//         o1, o2 = np.argsort(x1), np.argsort(x2)
//         x1, y1, x2, y2 = x1[o1], y1[o1], x2[o2], y2[o2]
//         lo, hi = max(x1[0], x2[0]), min(x1[-1], x2[-1])
//         if method == "cubic":
//             p1, p2 = np.polyint(np.polyfit(x1, y1, 3)), np.polyint(np.polyfit(x2, y2, 3))
//             i1 = np.polyval(p1, hi) - np.polyval(p1, lo)
//             i2 = np.polyval(p2, hi) - np.polyval(p2, lo)
//         else:
//             f = PchipInterpolator if method == "pchip" else Akima1DInterpolator
//             i1, i2 = f(x1, y1).integrate(lo, hi), f(x2, y2).integrate(lo, hi)
//         return (i2 - i1) / (hi - lo)
//
//     def bd(anchor, test, method):
//         a, t = np.array(anchor, float), np.array(test, float)
//         rate = (np.exp(avg_diff(a[:, 1], np.log(a[:, 0]), t[:, 1], np.log(t[:, 0]),
//                                 method)) - 1) * 100
//         qual = avg_diff(np.log(a[:, 0]), a[:, 1], np.log(t[:, 0]), t[:, 1], method)
//         return float(rate), float(qual)
//
//     for each set below and method in ("pchip", "cubic", "akima"):
//         print(repr(bd(anchor, test, method)))

/// (anchor, test, [(method, BD-rate %, BD-quality)]).
type Pinned = (
    &'static [(f64, f64)],
    &'static [(f64, f64)],
    [(Interpolation, f64, f64); 3],
);

const PINNED: [Pinned; 3] = [
    // VMAF, 5 points each.
    (
        &[
            (250.0, 70.1),
            (500.0, 80.3),
            (1000.0, 88.2),
            (2000.0, 93.5),
            (4000.0, 96.4),
        ],
        &[
            (220.0, 71.8),
            (450.0, 81.9),
            (900.0, 89.0),
            (1800.0, 94.1),
            (3600.0, 96.9),
        ],
        [
            (
                Interpolation::Pchip,
                -19.874011921950252,
                2.0264198255087855,
            ),
            (Interpolation::Cubic, -19.62099738517583, 2.0094979769582766),
            (Interpolation::Akima, -19.88413095642898, 2.0260573602683007),
        ],
    ),
    // PSNR, 4 points each (the cubic interpolates exactly).
    (
        &[
            (1000.0, 32.5),
            (1800.0, 34.9),
            (3200.0, 37.1),
            (6000.0, 39.3),
        ],
        &[
            (800.0, 32.1),
            (1500.0, 34.6),
            (2700.0, 36.8),
            (5100.0, 39.0),
        ],
        [
            (
                Interpolation::Pchip,
                -9.312499181404943,
                0.36499965378578836,
            ),
            (
                Interpolation::Cubic,
                -9.314409865862416,
                0.36520162778658694,
            ),
            (
                Interpolation::Akima,
                -9.311422466289832,
                0.36498856659919326,
            ),
        ],
    ),
    // A real PSNR ladder against a 7-point curve that is not monotone (600 kbps scores more
    // than 650 kbps), so slopes change sign and the end-point rules of both splines act.
    (
        &[
            (63.52, 31.18),
            (123.801, 32.6863),
            (254.301, 33.7085),
            (1107.672, 37.4813),
            (2105.823, 40.6858),
            (5011.183, 48.7205),
        ],
        &[
            (70.0, 31.9),
            (140.0, 33.3),
            (300.0, 34.6),
            (650.0, 36.9),
            (600.0, 37.3),
            (1500.0, 39.8),
            (4000.0, 46.0),
        ],
        [
            (Interpolation::Pchip, -18.25299323304973, 0.7559982280953632),
            (Interpolation::Cubic, -21.73539984049735, 0.8849616926321278),
            (Interpolation::Akima, -18.43792909101619, 0.7465313345900201),
        ],
    ),
];

#[test]
fn matches_scipy() {
    for (anchor, test, expected) in PINNED {
        let (a, t) = (rq(anchor), rq(test));
        for (m, rate, quality) in expected {
            let got_rate = bd_rate(&a, &t, m).unwrap();
            let got_quality = bd_quality(&a, &t, m).unwrap();
            assert!(
                (got_rate - rate).abs() < 1e-6,
                "{m}: BD-rate {got_rate} vs scipy {rate}"
            );
            assert!(
                (got_quality - quality).abs() < 1e-6,
                "{m}: BD-quality {got_quality} vs scipy {quality}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// `pertitle compare`
// ---------------------------------------------------------------------------------------

use std::path::Path;
use std::process::Output;

fn pertitle(args: &[&str], dir: &Path) -> Output {
    assert_cmd::Command::cargo_bin("pertitle")
        .expect("pertitle binary")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run pertitle")
}

/// A temporary directory holding the curve files of the cases below.
fn curve_files() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    let files = [
        (
            "a.json",
            "[[250,70.1],[500,80.3],[1000,88.2],[2000,93.5],[4000,96.4]]",
        ),
        // a.json at 0.9x the bitrate.
        (
            "b.json",
            "[[225,70.1],[450,80.3],[900,88.2],[1800,93.5],[3600,96.4]]",
        ),
        // a.json 1.0 higher in quality.
        (
            "c.json",
            "[[250,71.1],[500,81.3],[1000,89.2],[2000,94.5],[4000,97.4]]",
        ),
        // A PSNR curve, for the ladders' range.
        ("psnr.json", "[[60,33.5],[120,36],[250,39],[500,41.5]]"),
        ("three.json", "[[250,70.1],[500,80.3],[1000,88.2]]"),
        ("object.json", "{\"rungs\": []}"),
        ("triples.json", "[[250,70.1,1],[500,80.3,2]]"),
    ];
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write a curve file");
    }
    dir
}

/// False (after a visible SKIP) while the subcommand is not registered in src/cli/mod.rs.
fn compare_registered(test: &str) -> bool {
    let dir = tempfile::tempdir().expect("temporary directory");
    let ok = pertitle(&["compare", "--help"], dir.path())
        .status
        .success();
    if !ok {
        eprintln!("SKIP {test}: `pertitle compare` is not registered in src/cli/mod.rs");
    }
    ok
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "pertitle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

/// The one stderr line of a failed run, without the `pertitle: error: ` prefix.
fn error_line(out: &Output) -> String {
    assert!(!out.status.success(), "pertitle succeeded unexpectedly");
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "one stderr line expected: {err}");
    lines[0]
        .strip_prefix("pertitle: error: ")
        .unwrap_or_else(|| panic!("no error prefix: {err}"))
        .to_string()
}

#[test]
fn cli_compares_curve_files() {
    if !compare_registered("cli_compares_curve_files") {
        return;
    }
    let dir = curve_files();
    let text = stdout(&pertitle(&["compare", "a.json", "b.json"], dir.path()));
    assert!(text.contains("method      pchip"), "{text}");
    assert!(
        text.contains("BD-rate     -10.00%: B needs 10.00% fewer bits than A at equal quality"),
        "{text}"
    );
    let text = stdout(&pertitle(&["compare", "a.json", "c.json"], dir.path()));
    assert!(
        text.contains("BD-quality  +1.000: B scores 1.000 higher than A at equal bitrate"),
        "{text}"
    );
    let text = stdout(&pertitle(&["compare", "b.json", "a.json"], dir.path()));
    assert!(text.contains("B needs 11.11% more bits than A"), "{text}");

    for method in ["pchip", "cubic", "akima"] {
        let out = pertitle(
            &["compare", "a.json", "b.json", "--json", "--method", method],
            dir.path(),
        );
        let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
        assert_eq!(json["method"], method);
        let rate = json["bd_rate_percent"].as_f64().unwrap();
        assert!((rate - -10.0).abs() < 1e-9, "{method}: {rate}");
        assert_eq!(json["a"]["path"], "a.json");
        assert_eq!(json["b"]["kind"], "curve");
        assert_eq!(json["b"]["points"][0][0], 225.0);
        assert!(json["metric"].is_null());
        assert_eq!(json["quality_overlap"][0], 70.1);
        assert_eq!(json["kbps_overlap"][1], 3600.0);
        let out = pertitle(
            &["compare", "a.json", "c.json", "--json", "--method", method],
            dir.path(),
        );
        let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
        let quality = json["bd_quality"].as_f64().unwrap();
        assert!((quality - 1.0).abs() < 1e-9, "{method}: {quality}");
    }
}

#[test]
fn cli_errors_name_the_file() {
    if !compare_registered("cli_errors_name_the_file") {
        return;
    }
    let dir = curve_files();
    let run = |a: &str, b: &str| error_line(&pertitle(&["compare", a, b], dir.path()));
    assert_eq!(
        run("a.json", "three.json"),
        "three.json: test curve: 3 points, BD metrics need at least 4"
    );
    assert_eq!(
        run("missing.json", "a.json"),
        "missing.json: No such file or directory (os error 2)"
    );
    assert!(
        run("a.json", "object.json").starts_with("object.json: invalid ladder manifest: "),
        "an object is read as a manifest"
    );
    assert!(
        run("triples.json", "a.json")
            .starts_with("triples.json: invalid curve file, expected [[kbps, quality], ...]: "),
    );
    let e = run("a.json", "../../../no/such/dir/x.json");
    assert!(e.starts_with("../../../no/such/dir/x.json: "), "{e}");
}

#[test]
fn cli_compares_ladders() {
    let test = "cli_compares_ladders";
    if !compare_registered(test) {
        return;
    }
    let Some(clips) = common::clips_dir(test) else {
        return;
    };
    let clip = clips.join("talking_head_480p30.mp4");
    if !clip.exists() {
        eprintln!("SKIP {test}: no talking_head_480p30.mp4 in ../shared/clips");
        return;
    }
    let dir = curve_files();
    let clip = clip.to_str().expect("UTF-8 path");
    for (out, preset) in [("fast", "ultrafast"), ("slow", "veryfast")] {
        let args = [
            "optimize",
            clip,
            "-o",
            out,
            "--resolutions",
            "360,240",
            "--crf",
            "20,26,32,38",
            "--preset",
            preset,
            "--metric",
            "psnr",
            "--quiet",
        ];
        stdout(&pertitle(&args, dir.path()));
    }
    let (fast, slow) = ("fast/ladder.json", "slow/ladder.json");
    for m in [fast, slow] {
        common::read_manifest(&dir.path().join(m));
    }

    // A ladder against itself, rungs or hull points, any method: 0.
    for extra in [
        &[][..],
        &["--hull"],
        &["--metric", "ssim", "--method", "akima"],
    ] {
        let mut args = vec!["compare", fast, fast, "--json"];
        args.extend_from_slice(extra);
        let json: serde_json::Value =
            serde_json::from_str(&stdout(&pertitle(&args, dir.path()))).expect("JSON");
        assert_eq!(json["bd_rate_percent"], 0.0, "{extra:?}");
        assert_eq!(json["bd_quality"], 0.0, "{extra:?}");
        let kind = if extra.contains(&"--hull") {
            "hull"
        } else {
            "rungs"
        };
        assert_eq!(json["a"]["kind"], kind);
        let metric = if extra.contains(&"ssim") {
            "ssim"
        } else {
            "psnr"
        };
        assert_eq!(json["metric"], metric);
    }

    // A slower preset needs fewer bits for the same PSNR: BD-rate negative, BD-PSNR positive.
    let json: serde_json::Value = serde_json::from_str(&stdout(&pertitle(
        &["compare", fast, slow, "--json", "--hull"],
        dir.path(),
    )))
    .expect("JSON");
    assert!(json["bd_rate_percent"].as_f64().unwrap() < 0.0, "{json}");
    assert!(json["bd_quality"].as_f64().unwrap() > 0.0, "{json}");
    let text = stdout(&pertitle(&["compare", fast, slow], dir.path()));
    assert!(
        text.contains("fewer bits than A at equal quality"),
        "{text}"
    );
    assert!(text.contains(" dB (psnr_y): B scores "), "{text}");

    // A curve file is taken to be on the ladder's metric.
    let json: serde_json::Value = serde_json::from_str(&stdout(&pertitle(
        &["compare", fast, "psnr.json", "--json"],
        dir.path(),
    )))
    .expect("JSON");
    assert_eq!(json["metric"], "psnr");
    assert_eq!(json["b"]["kind"], "curve");

    assert_eq!(
        error_line(&pertitle(
            &["compare", fast, slow, "--metric", "vmaf"],
            dir.path()
        )),
        "fast/ladder.json: no vmaf scores (the run did not measure VMAF); use --metric psnr or ssim"
    );
}
