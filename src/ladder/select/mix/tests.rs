//! The mix objective against its definition, and the programme against every subset.

use super::super::{bottom_ok, pair_ok, solve_with};
use super::*;
use crate::ladder::candidates::{CrfValues, candidates};
use crate::ladder::constraints::Constraints;
use crate::ladder::select::Objective;
use crate::measure::metrics::pool::Pooled;
use crate::measure::point::{Metric, Rung};
use crate::viewers::bandwidth::Bandwidth;
use proptest::prelude::*;
use std::collections::BTreeMap;

/// One device of a test: its share, the candidates it plays, its quality at each, and its
/// viewers' bandwidth.
#[derive(Debug, Clone)]
struct Dev {
    share: f64,
    plays: Vec<bool>,
    quality: Vec<f64>,
    bandwidth: Bandwidth,
}

fn table(devs: &[Dev], cands: &[Candidate]) -> MixTable {
    let lo = devs
        .iter()
        .map(|d| d.bandwidth.range()[0])
        .fold(f64::INFINITY, f64::min);
    let hi = devs
        .iter()
        .map(|d| d.bandwidth.range()[1])
        .fold(0.0, f64::max);
    MixTable::from_parts(
        devs.iter().map(|d| d.share).collect(),
        devs.iter().map(|d| d.plays.clone()).collect(),
        devs.iter().map(|d| d.quality.clone()).collect(),
        devs.iter()
            .map(|d| cands.iter().map(|c| d.bandwidth.below(c.kbps)).collect())
            .collect(),
        [lo, hi],
        cands.iter().map(|c| c.kbps).collect(),
    )
}

/// A device's expected quality over `rungs` straight from the definition: each of the 100
/// pieces of its bandwidth distribution (1 % of its viewers, log-uniform between two
/// quantiles, or all at one bandwidth) is cut at every rung inside it, and each part's
/// viewers get the highest rung the device plays at or below their bandwidth.
fn device_by_definition(d: &Dev, cands: &[Candidate], rungs: &[usize]) -> f64 {
    let played: Vec<usize> = rungs.iter().copied().filter(|&i| d.plays[i]).collect();
    let at = |x: f64| {
        played
            .iter()
            .rev()
            .find(|&&i| cands[i].kbps <= x)
            .map_or(0.0, |&i| d.quality[i])
    };
    let q = &d.bandwidth.quantiles_kbps;
    let mut total = 0.0;
    for w in q.windows(2) {
        let (a, b) = (w[0], w[1]);
        if a == b {
            total += 0.01 * at(a);
            continue;
        }
        let mut cuts = vec![a, b];
        cuts.extend(
            played
                .iter()
                .map(|&i| cands[i].kbps)
                .filter(|&k| a < k && k < b),
        );
        cuts.sort_by(f64::total_cmp);
        for c in cuts.windows(2) {
            let (u, v) = (c[0], c[1]);
            let share = if a > 0.0 {
                (v / u).ln() / (b / a).ln()
            } else {
                (v - u) / (b - a)
            };
            total += 0.01 * share * at(u);
        }
    }
    total
}

fn by_definition(devs: &[Dev], cands: &[Candidate], rungs: &[usize]) -> (f64, Vec<f64>) {
    let per: Vec<f64> = devs
        .iter()
        .map(|d| device_by_definition(d, cands, rungs))
        .collect();
    let total = devs.iter().zip(&per).map(|(d, e)| d.share * e).sum();
    (total, per)
}

/// The top rung without a cost weight: the best candidate some device plays.
fn top(cands: &[Candidate], devs: &[Dev]) -> Option<usize> {
    (0..cands.len())
        .filter(|&i| devs.iter().any(|d| d.plays[i]))
        .max_by(|&a, &b| {
            cands[a]
                .quality
                .total_cmp(&cands[b].quality)
                .then(b.cmp(&a))
        })
}

/// Whether `rungs` is a ladder the constraints allow (the select tests' rule).
fn feasible(cands: &[Candidate], devs: &[Dev], c: &Constraints, rungs: &[usize]) -> bool {
    !rungs.is_empty()
        && rungs.len() >= c.min_rungs
        && rungs.len() <= c.max_rungs
        && rungs.last().copied() == top(cands, devs)
        && bottom_ok(c, &cands[rungs[0]])
        && rungs
            .windows(2)
            .all(|w| pair_ok(c, &cands[w[0]], &cands[w[1]]))
        && (0..cands.len()).all(|i| !cands[i].forced || rungs.contains(&i))
}

fn cand(kbps: f64, quality: f64, height: u32, forced: bool) -> Candidate {
    Candidate {
        kbps,
        quality,
        width: height * 16 / 9,
        height,
        crf: 23.0,
        origin: Origin::Measured(0),
        forced,
    }
}

/// A bandwidth distribution: log-uniform, or quantiles on a coarse grid (so that some fall
/// on candidates' bitrates, some repeat, and some are 0).
fn arb_bandwidth() -> impl Strategy<Value = Bandwidth> {
    prop_oneof![
        (40.0f64..2000.0, 1.5f64..40.0)
            .prop_map(|(lo, r)| Bandwidth::log_uniform(lo, lo * r).unwrap()),
        prop::collection::vec(0u32..120, 101).prop_map(|mut v| {
            v.sort_unstable();
            let mut q: Vec<f64> = v.into_iter().map(|x| f64::from(x) * 50.0).collect();
            q[100] = q[100].max(50.0);
            Bandwidth::quantiles(q).unwrap()
        }),
    ]
}

type Case = (Vec<Candidate>, Constraints, Vec<Dev>);

fn arb_case() -> impl Strategy<Value = Case> {
    let cands = prop::collection::vec(
        (
            1u32..100,
            20.0f64..100.0,
            prop::sample::select(vec![270u32, 540, 1080]),
            prop::bool::weighted(0.1),
        ),
        1..10,
    );
    let constraints = (
        1usize..4,
        1usize..6,
        1.0f64..2.0,
        prop::option::of(2.0f64..4.0),
        prop::sample::select(vec![0.0, 0.0, 2.0]),
    );
    let devices = prop::collection::vec(
        (
            0.05f64..1.0,
            prop::sample::select(vec![0u32, 270, 540]),
            prop::option::weighted(0.4, 100.0f64..4000.0),
            prop::collection::vec(0.0f64..100.0, 10),
            arb_bandwidth(),
        ),
        1..4,
    );
    (cands, constraints, devices).prop_map(
        |(raw, (min_r, extra, min_step, max_step, gap), devs)| {
            let mut cands: Vec<Candidate> = raw
                .into_iter()
                .map(|(k, q, h, f)| cand(f64::from(k) * 50.0, q.round(), h, f))
                .collect();
            cands.sort_by(|a, b| {
                a.kbps
                    .total_cmp(&b.kbps)
                    .then(b.quality.total_cmp(&a.quality))
            });
            let c = Constraints {
                min_rungs: min_r,
                max_rungs: min_r + extra,
                min_step,
                max_step: max_step.map(|m| m.max(min_step)),
                min_quality_gap: gap,
                ..Constraints::default()
            };
            let sum: f64 = devs.iter().map(|d| d.0).sum();
            let devs = devs
                .into_iter()
                .map(|(share, max_h, max_kbps, q, bandwidth)| Dev {
                    share: share / sum,
                    plays: cands
                        .iter()
                        .map(|x| {
                            (max_h == 0 || x.height <= max_h)
                                && max_kbps.is_none_or(|m| x.kbps <= m)
                        })
                        .collect(),
                    quality: (0..cands.len()).map(|i| q[i].round()).collect(),
                    bandwidth,
                })
                .collect();
            (cands, c, devs)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// With several devices (screen and bitrate caps, their own qualities, bandwidths with
    /// ties and zeros), the programme finds the best ladder found by trying every subset of
    /// the candidates, each valued straight from the definition; its expected quality and
    /// each device's are that ladder's.
    #[test]
    fn mix_selection_is_optimal_by_brute_force((cands, c, devs) in arb_case()) {
        let t = table(&devs, &cands);
        let n = cands.len();
        let mut best: Option<f64> = None;
        for mask in 1u32..(1 << n) {
            let rungs: Vec<usize> = (0..n).filter(|&i| mask & (1 << i) != 0).collect();
            if feasible(&cands, &devs, &c, &rungs) {
                let (v, _) = by_definition(&devs, &cands, &rungs);
                best = Some(best.map_or(v, |b: f64| b.max(v)));
            }
        }
        match (solve_with(&cands, &c, &Objective::default(), Some(&t)), best) {
            (Some(s), Some(b)) => {
                prop_assert!(feasible(&cands, &devs, &c, &s.rungs), "{:?}", s.rungs);
                let (v, per) = by_definition(&devs, &cands, &s.rungs);
                prop_assert!((v - s.expected_quality).abs() < 1e-9, "{v} vs {}", s.expected_quality);
                prop_assert!((v - b).abs() < 1e-9, "dp {v} brute force {b}");
                prop_assert_eq!(per.len(), s.per_device.len());
                for (a, b) in per.iter().zip(&s.per_device) {
                    prop_assert!((a - b).abs() < 1e-9, "per device {a} vs {b}");
                }
            }
            (None, None) => {}
            (s, b) => prop_assert!(false, "dp {:?} brute force {:?}", s.map(|s| s.rungs), b),
        }
    }
}

/// Whether `rungs` is a ladder the constraints allow with any top rung (a cost weight frees
/// the top).
fn feasible_any_top(cands: &[Candidate], c: &Constraints, rungs: &[usize]) -> bool {
    !rungs.is_empty()
        && rungs.len() >= c.min_rungs
        && rungs.len() <= c.max_rungs
        && bottom_ok(c, &cands[rungs[0]])
        && rungs
            .windows(2)
            .all(|w| pair_ok(c, &cands[w[0]], &cands[w[1]]))
        && (0..cands.len()).all(|i| !cands[i].forced || rungs.contains(&i))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// With a cost weight, the programme over a mix finds the best quality less weighted
    /// delivery cost among every subset with any top rung; the expected bitrate, overall and
    /// each device's, is the definition's with each rung's quality replaced by its bitrate.
    #[test]
    fn weighted_mix_selection_is_optimal_by_brute_force(
        (cands, c, devs) in arb_case(),
        w in prop_oneof![0.01f64..1.0, 1.0f64..100.0],
    ) {
        let t = table(&devs, &cands);
        let o = Objective { cost_weight: Some(w), ..Objective::default() };
        let per_kbps = w * crate::viewers::cost::usd_per_1000_hours_at(1.0, &o.prices());
        // Each device's "quality" the candidates' bitrates: the definition's expected bitrate.
        let rates: Vec<Dev> = devs
            .iter()
            .map(|d| Dev { quality: cands.iter().map(|x| x.kbps).collect(), ..d.clone() })
            .collect();
        let value = |rungs: &[usize]| {
            let (q, _) = by_definition(&devs, &cands, rungs);
            let (k, per) = by_definition(&rates, &cands, rungs);
            (q - per_kbps * k, q, k, per)
        };
        let n = cands.len();
        let mut best: Option<f64> = None;
        for mask in 1u32..(1 << n) {
            let rungs: Vec<usize> = (0..n).filter(|&i| mask & (1 << i) != 0).collect();
            if feasible_any_top(&cands, &c, &rungs) {
                let (v, ..) = value(&rungs);
                best = Some(best.map_or(v, |b: f64| b.max(v)));
            }
        }
        match (solve_with(&cands, &c, &o, Some(&t)), best) {
            (Some(s), Some(b)) => {
                prop_assert!(feasible_any_top(&cands, &c, &s.rungs), "{:?}", s.rungs);
                let (v, q, k, per) = value(&s.rungs);
                prop_assert!((q - s.expected_quality).abs() < 1e-9);
                prop_assert!((k - s.expected_kbps).abs() < 1e-6, "{k} vs {}", s.expected_kbps);
                for (a, b) in per.iter().zip(&s.per_device_kbps) {
                    prop_assert!((a - b).abs() < 1e-6, "per device {a} vs {b}");
                }
                prop_assert!((v - b).abs() < 1e-6 * (1.0 + b.abs()), "dp {v} brute force {b}");
            }
            (None, None) => {}
            (s, b) => prop_assert!(false, "dp {:?} brute force {:?}", s.map(|s| s.rungs), b),
        }
    }
}

#[test]
fn a_device_plays_only_the_rungs_that_fit_it() {
    // Rungs at 270p/300, 540p/1000, 1080p/3000 kbps; a phone capped at 540p and a TV, both
    // with every viewer at 5000 kbps: the phone gets the 540p rung, the TV the 1080p one.
    let cands = [
        cand(300.0, 40.0, 270, false),
        cand(1000.0, 60.0, 540, false),
        cand(3000.0, 80.0, 1080, false),
    ];
    let at = |k: f64| Bandwidth::quantiles(vec![k; 101]).unwrap();
    let devs = [
        Dev {
            share: 0.25,
            plays: vec![true, true, false],
            quality: vec![50.0, 70.0, 90.0],
            bandwidth: at(5000.0),
        },
        Dev {
            share: 0.75,
            plays: vec![true, true, true],
            quality: vec![30.0, 55.0, 80.0],
            bandwidth: at(5000.0),
        },
    ];
    let t = table(&devs, &cands);
    // Three rungs: with everyone above the top, the lowest adds nothing but may stay.
    let c = Constraints {
        min_rungs: 3,
        max_step: None,
        ..Constraints::default()
    };
    let s = solve_with(&cands, &c, &Objective::default(), Some(&t)).unwrap();
    assert_eq!(s.rungs, [0, 1, 2]);
    assert_eq!(s.per_device, [70.0, 80.0]);
    assert_eq!(s.expected_quality, 0.25 * 70.0 + 0.75 * 80.0);
    assert_eq!((t.playable(0, &s.rungs), t.playable(1, &s.rungs)), (2, 3));
    // Everyone at 800 kbps: the phone and the TV both play the 270p rung.
    let devs = devs.map(|d| Dev {
        bandwidth: at(800.0),
        ..d
    });
    let t = table(&devs, &cands);
    assert_eq!(t.per_device(&[0, 1, 2]), [50.0, 30.0]);
}

fn point(height: u32, crf: f64, kbps: f64, vmaf: f64, tv: f64) -> Point {
    let pooled = |mean: f64| Pooled {
        mean,
        harmonic_mean: mean,
        min: mean,
        min_frame: None,
        p5: mean,
    };
    Point {
        width: height * 16 / 9,
        height,
        crf,
        bitrate_kbps: kbps,
        psnr_y: 40.0,
        psnr_yuv: 40.0,
        ssim_y: 0.95,
        vmaf: Some(vmaf),
        pooling: BTreeMap::from([
            ("vmaf".to_string(), pooled(vmaf)),
            ("vmaf_tv".to_string(), pooled(tv)),
        ]),
        segment_sizes_bits: vec![(kbps * 1000.0) as u64],
        segment_means: BTreeMap::new(),
        shots: None,
        on_hull: false,
        codecs: String::new(),
    }
}

fn mix_of(devices: Vec<crate::viewers::mix::MixDevice>) -> ViewerMix {
    ViewerMix {
        file: "mix.json".into(),
        devices,
    }
}

fn device(name: &str, max_height: u32, key: &str) -> crate::viewers::mix::MixDevice {
    crate::viewers::mix::MixDevice {
        name: name.into(),
        from: name.into(),
        max_width: max_height * 16 / 9,
        max_height,
        max_kbps: None,
        codecs: Vec::new(),
        quality_key: key.into(),
        share: 1.0,
        share_given: 1.0,
        bandwidth: Bandwidth::log_uniform(100.0, 5000.0).unwrap(),
    }
}

#[test]
fn an_interpolated_candidates_device_quality_is_its_rungs() {
    let points = [
        point(540, 30.0, 400.0, 60.0, 55.0),
        point(540, 24.0, 1000.0, 80.0, 71.0),
    ];
    let cands = candidates(
        &points,
        Metric::Vmaf,
        &Constraints::default(),
        CrfValues::Any,
    )
    .unwrap();
    assert!(cands.len() > 2);
    let t = MixTable::new(&mix_of(vec![device("tv", 0, "vmaf_tv")]), &points, &cands).unwrap();
    for (i, c) in cands.iter().enumerate() {
        let want = match c.origin {
            Origin::Measured(p) => points[p].pooling["vmaf_tv"].mean,
            Origin::Interpolated {
                lower, upper, t, ..
            } => {
                let r =
                    Rung::interpolated(&points[lower], &points[upper], t, c.kbps, c.crf, &[1.0]);
                r.pooling["vmaf_tv"].mean
            }
            Origin::Shots(_) => unreachable!("per-title candidates"),
        };
        // The rung's figure is rounded to 4 decimals; the candidate's is not.
        assert!(
            (t.quality[0][i] - want).abs() <= 5e-5,
            "{i}: {} vs {want}",
            t.quality[0][i]
        );
    }
}

#[test]
fn unmeasured_devices_and_devices_that_play_nothing_are_named() {
    let points = [
        point(540, 30.0, 400.0, 60.0, 55.0),
        point(540, 24.0, 1000.0, 80.0, 71.0),
    ];
    let cands = candidates(
        &points,
        Metric::Vmaf,
        &Constraints::default(),
        CrfValues::Any,
    )
    .unwrap();
    let e = MixTable::new(
        &mix_of(vec![device("phone", 0, "vmaf_phone")]),
        &points,
        &cands,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "mix.json: not a usable viewer mix: device `phone`: the ladder's points have no `vmaf_phone` scores; run `pertitle optimize ... --devices phone` to measure them"
    );
    let e = MixTable::new(&mix_of(vec![device("old", 360, "vmaf")]), &points, &cands)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        format!(
            "mix.json: not a usable viewer mix: device `old` (at most 640x360) plays none of the {} candidate rungs (the cheapest is 400.0 kbps, the smallest 960x540)",
            cands.len()
        )
    );
}

#[test]
fn the_top_rung_is_the_best_candidate_some_device_plays() {
    // Only phones capped at 540p: the 1080p candidate, the best on the run's scale, would be
    // a rung nobody fetches; the top rung is the best 540p one.
    let cands = [
        cand(300.0, 40.0, 270, false),
        cand(1000.0, 60.0, 540, false),
        cand(3000.0, 80.0, 1080, false),
    ];
    let devs = [Dev {
        share: 1.0,
        plays: vec![true, true, false],
        quality: vec![50.0, 70.0, 90.0],
        bandwidth: Bandwidth::quantiles(vec![5000.0; 101]).unwrap(),
    }];
    let t = table(&devs, &cands);
    let c = Constraints {
        max_step: None,
        ..Constraints::default()
    };
    let s = solve_with(&cands, &c, &Objective::default(), Some(&t)).unwrap();
    assert_eq!(s.rungs.last(), Some(&1));
    assert_eq!(s.per_device, [70.0]);
}
