//! Expected bitrate and delivery cost by hand, the weighted programme against every subset,
//! and the frontier against brute force.

use super::super::{bottom_ok, pair_ok, solve, solve_with};
use super::*;
use crate::ladder::candidates::Origin;
use proptest::prelude::*;

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

fn range(lo: f64, hi: f64) -> Objective {
    Objective {
        viewer_kbps: Some([lo, hi]),
        ..Objective::default()
    }
}

fn weighted(o: &Objective, w: f64) -> Objective {
    Objective {
        cost_weight: Some(w),
        ..o.clone()
    }
}

#[test]
fn expected_bitrate_and_cost_of_a_two_rung_ladder_by_hand() {
    // Viewers log-uniform over 50-800 kbps (4 octaves): a quarter below 100 fetch nothing,
    // half play the 100 kbps rung, a quarter the 400 kbps one.
    let cands = [cand(100.0, 50.0, 270, false), cand(400.0, 80.0, 540, false)];
    let c = Constraints {
        max_step: None,
        ..Constraints::default()
    };
    let s = solve(&cands, &c, &range(50.0, 800.0)).unwrap();
    assert_eq!(s.rungs, [0, 1]);
    assert!(
        (s.expected_kbps - 150.0).abs() < 1e-9,
        "{}",
        s.expected_kbps
    );
    assert!((s.expected_quality - 45.0).abs() < 1e-9);
    // 150 kbps for an hour: 0.0675 GB; 1,000 hours at $0.02/GB: $1.35.
    let p = Prices::default();
    assert!((usd_per_1000_hours_at(s.expected_kbps, &p) - 1.35).abs() < 1e-9);
    // The top rung adds 30 points to a quarter of the viewers (7.5) for 0.25 * 400 - 0.25 *
    // 100 = 75 kbps more ($0.675 per 1,000 h): worth it below 11.11 points per dollar.
    let one = |w: f64| solve(&cands, &c, &weighted(&range(50.0, 800.0), w)).unwrap();
    assert_eq!(one(11.0).rungs, [0, 1]);
    assert_eq!(one(11.2).rungs, [0]);
    let f = frontier(&cands, &c, &range(50.0, 800.0), None);
    let rungs: Vec<Vec<usize>> = f.iter().map(|l| l.rungs.clone()).collect();
    // Cheapest first: the 100 kbps rung alone (viewers above it fetch it too: 0.75 * 100),
    // then both rungs.
    assert_eq!(rungs, [vec![0], vec![0, 1]]);
    assert!((f[0].expected_kbps - 75.0).abs() < 1e-9);
    let per_dollar = quality_per_dollar(&s, &f, &p).unwrap();
    assert!((per_dollar - 7.5 / 0.675).abs() < 1e-9, "{per_dollar}");
}

#[test]
fn expected_bitrate_of_a_two_device_mix_by_hand() {
    // Device A (60 %) plays both rungs; 20 % of its viewers are below 100 kbps, 70 % below
    // 400. Device B (40 %) plays only the first (a bitrate cap); half its viewers are below
    // 100 kbps.
    let table = MixTable::from_parts(
        vec![0.6, 0.4],
        vec![vec![true, true], vec![true, false]],
        vec![vec![50.0, 80.0], vec![60.0, 90.0]],
        vec![vec![0.2, 0.7], vec![0.5, 0.9]],
        [10.0, 1000.0],
        vec![100.0, 400.0],
    );
    let cands = [cand(100.0, 50.0, 270, false), cand(400.0, 80.0, 540, false)];
    let c = Constraints {
        max_step: None,
        ..Constraints::default()
    };
    let s = solve_with(&cands, &c, &Objective::default(), Some(&table)).unwrap();
    assert_eq!(s.rungs, [0, 1]);
    // A: 0.5 * 100 + 0.3 * 400 = 170 kbps; B: 0.5 * 100 = 50 kbps; 0.6 * 170 + 0.4 * 50.
    assert_eq!(s.per_device_kbps.len(), 2);
    assert!((s.per_device_kbps[0] - 170.0).abs() < 1e-9);
    assert!((s.per_device_kbps[1] - 50.0).abs() < 1e-9);
    assert!((s.expected_kbps - 122.0).abs() < 1e-9);
    // A: 0.5 * 50 + 0.3 * 80 = 49; B: 0.5 * 60 = 30.
    assert!((s.expected_quality - (0.6 * 49.0 + 0.4 * 30.0)).abs() < 1e-9);
}

/// The mean of `value` over viewers log-uniform on [lo, hi], straight from the definition:
/// the range cut at every rung, each piece's viewers fetching the best rung they afford.
fn mean_by_definition(
    cands: &[Candidate],
    rungs: &[usize],
    [lo, hi]: [f64; 2],
    value: impl Fn(&Candidate) -> f64,
) -> f64 {
    let mut cuts: Vec<f64> = vec![lo, hi];
    cuts.extend(rungs.iter().map(|&r| cands[r].kbps.clamp(lo, hi)));
    cuts.sort_by(f64::total_cmp);
    let mut total = 0.0;
    for w in cuts.windows(2) {
        let mid = (w[0] * w[1]).sqrt();
        let v = rungs
            .iter()
            .rev()
            .find(|&&r| cands[r].kbps <= mid)
            .map_or(0.0, |&r| value(&cands[r]));
        total += v * (w[1] / w[0]).ln();
    }
    total / (hi / lo).ln()
}

/// Whether `rungs` obeys the constraints, with any top rung.
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

type Case = (Vec<Candidate>, Constraints, [f64; 2]);

fn arb_case() -> impl Strategy<Value = Case> {
    let cands = prop::collection::vec(
        (
            50.0f64..5000.0,
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
        prop::option::weighted(0.3, 100.0f64..2000.0),
    );
    (cands, constraints, 20.0f64..400.0, 2.0f64..100.0).prop_map(
        |(raw, (min_r, extra, min_step, max_step, gap, max_bottom), lo, ratio)| {
            let mut cands: Vec<Candidate> = raw
                .into_iter()
                .map(|(k, q, h, f)| cand(k.round(), q.round(), h, f))
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
                max_bottom_kbps: max_bottom,
                ..Constraints::default()
            };
            (cands, c, [lo, lo * ratio])
        },
    )
}

/// The best weighted value of any feasible ladder with any top rung, by brute force.
fn brute_force(cands: &[Candidate], c: &Constraints, r: [f64; 2], per_kbps: f64) -> Option<f64> {
    let n = cands.len();
    let mut best: Option<f64> = None;
    for mask in 1u32..(1 << n) {
        let rungs: Vec<usize> = (0..n).filter(|&i| mask & (1 << i) != 0).collect();
        if feasible_any_top(cands, c, &rungs) {
            let q = mean_by_definition(cands, &rungs, r, |x| x.quality);
            let k = mean_by_definition(cands, &rungs, r, |x| x.kbps);
            let v = q - per_kbps * k;
            best = Some(best.map_or(v, |b: f64| b.max(v)));
        }
    }
    best
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// With a cost weight, the programme finds the ladder of the best quality less weighted
    /// cost among every subset with any top rung, valued from the definition; its expected
    /// quality and bitrate are that ladder's.
    #[test]
    fn weighted_selection_is_optimal_by_brute_force(
        (cands, c, r) in arb_case(),
        w in prop_oneof![0.001f64..0.1, 0.1f64..10.0, 10.0f64..1000.0],
    ) {
        let o = weighted(&range(r[0], r[1]), w);
        let per_kbps = w * usd_per_1000_hours_at(1.0, &o.prices());
        match (solve(&cands, &c, &o), brute_force(&cands, &c, r, per_kbps)) {
            (Some(s), Some(b)) => {
                prop_assert!(feasible_any_top(&cands, &c, &s.rungs), "{:?}", s.rungs);
                let q = mean_by_definition(&cands, &s.rungs, r, |x| x.quality);
                let k = mean_by_definition(&cands, &s.rungs, r, |x| x.kbps);
                prop_assert!((q - s.expected_quality).abs() < 1e-9, "{q} vs {}", s.expected_quality);
                prop_assert!((k - s.expected_kbps).abs() < 1e-6, "{k} vs {}", s.expected_kbps);
                let v = q - per_kbps * k;
                prop_assert!((v - b).abs() < 1e-6 * (1.0 + b.abs()), "dp {v} brute force {b}");
            }
            (None, None) => {}
            (s, b) => prop_assert!(false, "dp {:?} brute force {:?}", s.map(|s| s.rungs), b),
        }
    }

    /// A weight of 0 chooses exactly the ladder of no weight, with the same figures, bit for
    /// bit (the top rung stays the best candidate).
    #[test]
    fn a_zero_weight_is_no_weight((cands, c, r) in arb_case(), default_range in any::<bool>()) {
        let o = if default_range { Objective::default() } else { range(r[0], r[1]) };
        let none = solve(&cands, &c, &o);
        let zero = solve(&cands, &c, &weighted(&o, 0.0));
        prop_assert_eq!(none, zero);
    }

    /// Every frontier ladder is feasible, the frontier rises in cost and quality with falling
    /// gains per dollar, and at any weight the best frontier ladder is as good as the best of
    /// every subset (whenever that serves anyone).
    #[test]
    fn the_frontier_is_the_upper_hull_of_every_ladder(
        (cands, c, r) in arb_case(),
        w in prop_oneof![0.001f64..0.1, 0.1f64..10.0, 10.0f64..1000.0],
    ) {
        let o = range(r[0], r[1]);
        let f = frontier(&cands, &c, &o, None);
        let per_kbps = usd_per_1000_hours_at(1.0, &o.prices());
        for l in &f {
            prop_assert!(feasible_any_top(&cands, &c, &l.rungs), "{:?}", l.rungs);
            prop_assert!(l.expected_quality > 0.0);
        }
        for p in f.windows(2) {
            prop_assert!(p[1].expected_kbps > p[0].expected_kbps);
            prop_assert!(p[1].expected_quality > p[0].expected_quality);
        }
        let slope = |a: &FrontierLadder, b: &FrontierLadder| {
            (b.expected_quality - a.expected_quality) / ((b.expected_kbps - a.expected_kbps) * per_kbps)
        };
        for t in f.windows(3) {
            prop_assert!(slope(&t[1], &t[2]) <= slope(&t[0], &t[1]) * (1.0 + 1e-6) + 1e-9);
        }
        let best = brute_force(&cands, &c, r, w * per_kbps);
        let on_frontier = f
            .iter()
            .map(|l| l.expected_quality - w * per_kbps * l.expected_kbps)
            .fold(f64::NEG_INFINITY, f64::max);
        if let Some(b) = best.filter(|&b| b > 1e-6) {
            prop_assert!((on_frontier - b).abs() < 1e-6 * (1.0 + b.abs()), "frontier {on_frontier} brute force {b}");
        }
    }
}
