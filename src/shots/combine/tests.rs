use super::*;
use crate::measure::metrics::pool::pool;
use proptest::prelude::*;

const FPS: f64 = 25.0;

fn pts(v: &[(f64, f64)]) -> Vec<ShotPoint> {
    v.iter()
        .enumerate()
        .map(|(setting, &(bits, quality))| ShotPoint {
            setting,
            bits,
            quality,
        })
        .collect()
}

fn hull(frames: u64, v: &[(f64, f64)]) -> ShotHull {
    ShotHull::new(frames, &pts(v)).unwrap()
}

fn combine(shots: &[ShotHull]) -> CombinedHull<'_> {
    combined_hull(shots, CombineOptions::new(FPS)).unwrap()
}

/// Every combination of the shots' points: (kbps, frame-weighted quality).
fn every_combination(shots: &[(u64, Vec<ShotPoint>)]) -> Vec<(f64, f64)> {
    let frames: f64 = shots.iter().map(|s| s.0 as f64).sum();
    let mut all = vec![(0.0, 0.0)];
    for (f, points) in shots {
        all = all
            .iter()
            .flat_map(|&(b, w)| {
                points
                    .iter()
                    .map(move |p| (b + p.bits, w + *f as f64 * p.quality))
            })
            .collect();
    }
    all.into_iter()
        .map(|(b, w)| (b * FPS / frames / 1000.0, w / frames))
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

#[test]
fn one_shot_is_its_own_hull() {
    let raw = [
        (1e5, 30.0),
        (2e5, 36.0),
        (1.5e5, 31.0),
        (4e5, 40.0),
        (5e5, 39.0),
        (4e5, 38.0),
    ];
    let shot = hull(50, &raw);
    let shots = [shot.clone()];
    let c = combine(&shots);
    // 50 frames at 25 fps: 2 s, so kbps = bits / 2000.
    let rq: Vec<RateQuality> = raw
        .iter()
        .map(|&(b, q)| RateQuality {
            kbps: b / 2000.0,
            quality: q,
        })
        .collect();
    let per_title = upper_hull(&rq);
    assert_eq!(c.vertices().len(), per_title.len());
    for (k, (v, &i)) in c.vertices().iter().zip(&per_title).enumerate() {
        assert!(
            close(v.kbps, rq[i].kbps) && close(v.quality, rq[i].quality),
            "{v:?}"
        );
        assert_eq!(c.combination(k).choices, vec![shot.points()[k]]);
    }
    // Slopes are the per-title hull's, in quality per kbit/s.
    assert_eq!(c.vertices()[0].slope[1], f64::INFINITY);
    assert!(close(c.vertices()[0].slope[0], 6.0 / 50.0));
    assert!(close(c.vertices()[1].slope[0], 4.0 / 100.0));
    assert_eq!(c.vertices()[2].slope, [0.0, c.vertices()[1].slope[0]]);
    assert!(close(c.seconds(), 2.0));
}

#[test]
fn two_identical_shots_split_the_bits_evenly() {
    let raw = [(1e5, 30.0), (2e5, 36.0), (4e5, 40.0), (8e5, 42.0)];
    let shots = [hull(30, &raw), hull(30, &raw)];
    let c = combine(&shots);
    assert_eq!(c.vertices().len(), 7);
    for k in 0..7 {
        let choices = c.combination(k).choices;
        let gap = (choices[0].bits - choices[1].bits).abs();
        if k % 2 == 0 {
            assert_eq!(choices[0], choices[1], "vertex {k}");
        } else {
            // One shot is a step ahead, at the same slope as the other's next step.
            assert!(gap > 0.0);
            assert_eq!(c.vertices()[k].slope[0], c.vertices()[k].slope[1]);
        }
    }
    let mid = c.combination(4);
    assert_eq!(mid.bits, 8e5);
    assert_eq!(mid.quality, 40.0);
}

#[test]
fn spread_pools_frames() {
    let shots = [hull(90, &[(1e5, 80.0)]), hull(10, &[(1e5, 20.0)])];
    let c = combine(&shots);
    assert_eq!(c.vertices().len(), 1);
    let m = c.combination(0);
    let frames: Vec<f64> = [vec![80.0; 90], vec![20.0; 10]].concat();
    let p = pool(&frames).unwrap();
    assert!(close(m.quality, 74.0) && close(m.quality, p.mean));
    assert!(close(m.harmonic_mean, p.harmonic_mean));
    assert!(close(m.p5, p.p5));
    assert_eq!((m.p5, m.min), (20.0, 20.0));
    assert_eq!(m.slope, [0.0, f64::INFINITY]);
}

#[test]
fn pickers_on_a_known_hull() {
    let raw = [(1e5, 30.0), (2e5, 36.0), (4e5, 40.0)];
    let shots = [hull(25, &raw)]; // 1 s: kbps = bits / 1000
    let c = combine(&shots);
    assert_eq!(c.at_bitrate(99.0), None);
    assert_eq!(c.at_bitrate(100.0), Some(0));
    assert_eq!(c.at_bitrate(399.0), Some(1));
    assert_eq!(c.at_bitrate(1e9), Some(2));
    assert_eq!(c.at_bitrate(f64::NAN), None);
    assert_eq!(c.reaching(10.0), Some(0));
    assert_eq!(c.reaching(30.5), Some(1));
    assert_eq!(c.reaching(40.0), Some(2));
    assert_eq!(c.reaching(40.5), None);
    assert_eq!(c.reaching(f64::NAN), None);
    assert_eq!(c.at_slope(1.0), Some(0));
    assert_eq!(c.at_slope(0.06), Some(1)); // the slope between vertices 0 and 1: the dearer
    assert_eq!(c.at_slope(0.03), Some(1));
    assert_eq!(c.at_slope(0.01), Some(2));
    assert_eq!(c.at_slope(-1.0), Some(2));
    assert_eq!(c.at_slope(f64::INFINITY), Some(0));
    assert_eq!(c.at_slope(f64::NAN), None);
}

#[test]
fn floor_starts_shots_where_they_reach_it() {
    let easy = [(1e5, 60.0), (2e5, 80.0), (4e5, 90.0)];
    let hard = [(1e5, 20.0), (2e5, 35.0), (4e5, 45.0)];
    let shots = [hull(25, &easy), hull(25, &hard)];
    let options = CombineOptions {
        floor: Some(70.0),
        ..CombineOptions::new(FPS)
    };
    let c = combined_hull(&shots, options).unwrap();
    let first = c.combination(0);
    // The easy shot starts at 80, the hard one (never reaching 70) at its best.
    assert_eq!(
        first.choices,
        vec![shots[0].points()[1], shots[1].points()[2]]
    );
    assert_eq!(c.vertices().len(), 2);
    assert!(c.combination(1).min >= 45.0);
}

#[test]
fn edge_cases_of_points() {
    // Duplicate bitrates keep the best; dominated and past-the-peak points are dropped.
    let h = hull(
        5,
        &[
            (1e5, 30.0),
            (1e5, 32.0),
            (2e5, 31.0),
            (3e5, 40.0),
            (4e5, 39.0),
        ],
    );
    let kept: Vec<usize> = h.points().iter().map(|p| p.setting).collect();
    assert_eq!(kept, vec![1, 3]);
    // Single-point shots: one vertex.
    let shots = [hull(5, &[(7.0, 1.0)]), hull(5, &[(9.0, 3.0)])];
    let c = combine(&shots);
    assert_eq!(c.vertices().len(), 1);
    assert_eq!(c.vertices()[0].quality, 2.0);
}

#[test]
fn bad_inputs_are_refused() {
    let ok = pts(&[(1.0, 1.0)]);
    assert_eq!(ShotHull::new(0, &ok), Err(CombineError::NoFrames));
    assert_eq!(ShotHull::new(3, &[]), Err(CombineError::NoPoints));
    assert_eq!(
        ShotHull::filtered(3, &ok, |_| false),
        Err(CombineError::NoPoints)
    );
    let nan = pts(&[(1.0, 1.0), (2.0, f64::NAN)]);
    assert!(matches!(
        ShotHull::new(3, &nan),
        Err(CombineError::InvalidPoint { point: 1, .. })
    ));
    let negative = pts(&[(-1.0, 1.0)]);
    assert!(matches!(
        ShotHull::new(3, &negative),
        Err(CombineError::InvalidPoint { point: 0, .. })
    ));
    let err = shot_hulls([(3, &ok[..]), (0, &ok[..])], |_| true).unwrap_err();
    assert_eq!(
        err,
        CombineError::Shot {
            shot: 1,
            cause: Box::new(CombineError::NoFrames)
        }
    );
    assert_eq!(err.to_string(), "shot 1: a shot has no frames");
    let shots = [hull(3, &[(1.0, 1.0)])];
    assert_eq!(
        combined_hull(&[], CombineOptions::new(FPS)).unwrap_err(),
        CombineError::NoShots
    );
    for rate in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            combined_hull(&shots, CombineOptions::new(rate)),
            Err(CombineError::FrameRate(_))
        ));
    }
    let nan_floor = CombineOptions {
        floor: Some(f64::NAN),
        ..CombineOptions::new(FPS)
    };
    assert!(matches!(
        combined_hull(&shots, nan_floor),
        Err(CombineError::Floor(_))
    ));
}

#[test]
fn fixed_mode_keeps_one_resolution() {
    // Settings 0, 1 at one resolution (even), 2, 3 at another (odd is the other's).
    let points = pts(&[(1e5, 30.0), (2e5, 40.0), (1.5e5, 38.0), (3e5, 41.0)]);
    let free = shot_hulls([(10, &points[..])], |_| true).unwrap();
    let fixed = shot_hulls([(10, &points[..])], |p| p.setting < 2).unwrap();
    let settings = |h: &ShotHull| h.points().iter().map(|p| p.setting).collect::<Vec<_>>();
    assert_eq!(settings(&free[0]), vec![0, 2, 1, 3]);
    assert_eq!(settings(&fixed[0]), vec![0, 1]);
}

/// 1 to 4 shots of 1 to 5 points on a coarse grid (so bitrates and slopes repeat).
fn arb_shots() -> impl Strategy<Value = Vec<(u64, Vec<ShotPoint>)>> {
    let shot = (1u64..40, prop::collection::vec((1u32..12, 0u32..30), 1..=5)).prop_map(|(f, v)| {
        let v: Vec<(f64, f64)> = v
            .iter()
            .map(|&(b, q)| (f64::from(b) * 1e4, f64::from(q)))
            .collect();
        (f, pts(&v))
    });
    prop::collection::vec(shot, 1..=4)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// The vertices are the Lagrangian solutions: ordered, each the best for its bit budget
    /// and for every slope of its interval, and no slope has a better combination elsewhere.
    #[test]
    fn vertices_are_optimal_by_brute_force(raw in arb_shots(), lambdas in prop::collection::vec(0.0f64..0.05, 4)) {
        let shots = shot_hulls(raw.iter().map(|(f, p)| (*f, &p[..])), |_| true).unwrap();
        let c = combine(&shots);
        let all = every_combination(&raw);
        let vs = c.vertices();
        for w in vs.windows(2) {
            prop_assert!(w[0].bits < w[1].bits && w[0].quality <= w[1].quality, "{w:?}");
            prop_assert!(w[0].slope[0] == w[1].slope[1] && w[1].slope[0] <= w[1].slope[1]);
        }
        prop_assert_eq!(vs[0].slope[1], f64::INFINITY);
        prop_assert_eq!(vs[vs.len() - 1].slope[0], 0.0);
        for (k, v) in vs.iter().enumerate() {
            let m = c.combination(k);
            let bits: f64 = m.choices.iter().map(|p| p.bits).sum();
            let frames: f64 = raw.iter().map(|s| s.0 as f64).sum();
            let q: f64 = m.choices.iter().zip(&raw).map(|(p, s)| p.quality * s.0 as f64).sum::<f64>() / frames;
            prop_assert!(close(bits, v.bits) && close(q, v.quality));
            for &(kbps, quality) in &all {
                if kbps <= v.kbps * (1.0 + 1e-12) {
                    prop_assert!(quality <= v.quality + 1e-9, "{:?} beats vertex {} {:?}", (kbps, quality), k, v);
                }
            }
            let hi = if v.slope[1].is_finite() { v.slope[1] } else { v.slope[0] * 2.0 + 1.0 };
            for lambda in [v.slope[0], (v.slope[0] + hi) / 2.0, hi] {
                let best = all.iter().map(|&(b, q)| q - lambda * b).fold(f64::MIN, f64::max);
                prop_assert!(v.quality - lambda * v.kbps >= best - 1e-9, "vertex {} at {}", k, lambda);
                prop_assert!(c.at_slope(lambda).is_some_and(|j| close(vs[j].quality - lambda * vs[j].kbps, best)));
            }
        }
        for lambda in lambdas {
            let best = all.iter().map(|&(b, q)| q - lambda * b).fold(f64::MIN, f64::max);
            let on = vs.iter().map(|v| v.quality - lambda * v.kbps).fold(f64::MIN, f64::max);
            prop_assert!(close(best, on), "λ {}: {} vs {}", lambda, best, on);
            let j = c.at_slope(lambda).unwrap();
            prop_assert!(vs[j].slope[0] <= lambda && lambda <= vs[j].slope[1]);
        }
    }

    /// The pickers choose what a scan of the vertices chooses.
    #[test]
    fn pickers_match_a_scan(raw in arb_shots(), kbps in 0.0f64..3000.0, quality in 0.0f64..32.0) {
        let shots = shot_hulls(raw.iter().map(|(f, p)| (*f, &p[..])), |_| true).unwrap();
        let c = combine(&shots);
        let vs = c.vertices();
        let under = (0..vs.len()).filter(|&k| vs[k].kbps <= kbps).max_by(|&a, &b| vs[a].quality.total_cmp(&vs[b].quality).then(a.cmp(&b)));
        prop_assert_eq!(c.at_bitrate(kbps), under);
        let reach = (0..vs.len()).filter(|&k| vs[k].quality >= quality).min_by(|&a, &b| vs[a].bits.total_cmp(&vs[b].bits));
        prop_assert_eq!(c.reaching(quality), reach);
    }

    /// With a floor every shot stays at or above it where its hull reaches it, at its best
    /// otherwise, and the spread figures match pooling the frames one by one.
    #[test]
    fn floor_and_spread(raw in arb_shots(), floor in 0.0f64..30.0) {
        let shots = shot_hulls(raw.iter().map(|(f, p)| (*f, &p[..])), |_| true).unwrap();
        let c = combined_hull(&shots, CombineOptions { floor: Some(floor), ..CombineOptions::new(FPS) }).unwrap();
        for k in 0..c.vertices().len() {
            let m = c.combination(k);
            for (p, s) in m.choices.iter().zip(&shots) {
                let best = s.points()[s.points().len() - 1].quality;
                prop_assert!(p.quality >= floor.min(best));
            }
            let frames: Vec<f64> = m.choices.iter().zip(&raw).flat_map(|(p, s)| vec![p.quality; s.0 as usize]).collect();
            let pooled = pool(&frames).unwrap();
            prop_assert!(close(m.quality, pooled.mean) && close(m.harmonic_mean, pooled.harmonic_mean));
            prop_assert!(close(m.p5, pooled.p5) && m.min == pooled.min);
        }
    }
}
