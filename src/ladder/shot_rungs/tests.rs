use super::*;
use crate::shots::Shot;
use crate::shots::detect::{DetectOptions, ShotList};
use crate::shots::figures::ShotFigures;
use crate::shots::ladder::ShotGuard;
use crate::source::frame_rate::FrameRate;
use std::collections::BTreeMap;

/// A point of `height` and `crf`: two shots of 50 frames at 25 fps, with per-shot `bits`
/// and `vmaf` (each shot's frames at one quality).
fn point(height: u32, crf: f64, bits: [u64; 2], vmaf: [f64; 2]) -> Point {
    let means = BTreeMap::from([("vmaf".to_string(), vmaf.to_vec())]);
    Point {
        width: height * 16 / 9,
        height,
        crf,
        bitrate_kbps: (bits[0] + bits[1]) as f64 / 4000.0,
        psnr_y: 40.0,
        psnr_yuv: 40.0,
        ssim_y: 0.9,
        vmaf: Some((vmaf[0] + vmaf[1]) / 2.0),
        // Over its 100 frames: p5 and minimum are the worse shot's quality.
        pooling: BTreeMap::from([(
            "vmaf".to_string(),
            crate::measure::metrics::pool::Pooled {
                mean: (vmaf[0] + vmaf[1]) / 2.0,
                harmonic_mean: 2.0 / (1.0 / (vmaf[0] + 1.0) + 1.0 / (vmaf[1] + 1.0)) - 1.0,
                min: vmaf[0].min(vmaf[1]),
                min_frame: None,
                p5: vmaf[0].min(vmaf[1]),
            },
        )]),
        segment_sizes_bits: bits.to_vec(),
        segment_means: means.clone(),
        shots: Some(ShotFigures {
            sizes_bits: bits.to_vec(),
            harmonic_means: means.clone(),
            percentiles: BTreeMap::from([(
                "vmaf".to_string(),
                vmaf.iter().map(|&q| vec![q; 7]).collect(),
            )]),
            means,
        }),
        on_hull: false,
        codecs: String::new(),
    }
}

fn points() -> Vec<Point> {
    vec![
        point(360, 34.0, [100_000, 40_000], [60.0, 80.0]),
        point(360, 28.0, [200_000, 70_000], [72.0, 88.0]),
        point(360, 22.0, [400_000, 120_000], [80.0, 93.0]),
        point(720, 34.0, [300_000, 100_000], [70.0, 86.0]),
        point(720, 28.0, [600_000, 180_000], [82.0, 93.0]),
        point(720, 22.0, [1_200_000, 330_000], [90.0, 97.0]),
    ]
}

fn list() -> ShotList {
    ShotList {
        frame_rate: FrameRate::new(25, 1).unwrap(),
        total_frames: 100,
        options: DetectOptions::default(),
        shots: vec![
            Shot {
                start_frame: 0,
                frames: 50,
            },
            Shot {
                start_frame: 50,
                frames: 50,
            },
        ],
        cuts: Vec::new(),
    }
}

fn run(c: &Constraints, mode: ShotResolution) -> Result<ShotCandidates> {
    let l = list();
    let title = ShotTitle {
        list: &l,
        segment_frames: &[50, 50],
    };
    candidates(&points(), Metric::Vmaf, c, title, mode)
}

#[test]
fn candidates_obey_heights_bitrates_and_the_top_quality_target() {
    let all = run(&Constraints::default(), ShotResolution::Fixed).unwrap();
    // Fixed: each size's combined hull; both sizes appear, by increasing bitrate.
    assert!(all.candidates.iter().any(|c| c.height == 360));
    assert!(all.candidates.iter().any(|c| c.height == 720));
    assert!(all.candidates.windows(2).all(|w| w[0].kbps <= w[1].kbps));
    for (k, c) in all.candidates.iter().enumerate() {
        assert_eq!(c.origin, Origin::Shots(k));
        assert_eq!(c.kbps, all.operating[k].kbps);
    }
    let low = Constraints {
        max_height: Some(360),
        ..Constraints::default()
    };
    let only = run(&low, ShotResolution::Free).unwrap();
    assert!(only.candidates.iter().all(|c| c.height == 360));
    let capped = Constraints {
        max_kbps: Some(100.0),
        ..Constraints::default()
    };
    assert!(
        run(&capped, ShotResolution::Fixed)
            .unwrap()
            .candidates
            .iter()
            .all(|c| c.kbps <= 100.0)
    );
    // The top-quality target keeps candidates up to the cheapest one reaching it.
    let target = Constraints {
        top_quality: Some(85.0),
        ..Constraints::default()
    };
    let t = run(&target, ShotResolution::Fixed).unwrap();
    let cheapest_reaching = all
        .candidates
        .iter()
        .filter(|c| c.quality >= 85.0)
        .map(|c| c.kbps)
        .fold(f64::INFINITY, f64::min);
    assert!(t.candidates.iter().all(|c| c.kbps <= cheapest_reaching));
    assert!(t.candidates.iter().any(|c| c.kbps == cheapest_reaching));
}

#[test]
fn a_candidates_device_quality_is_its_shots_frame_weighted() {
    let p = points();
    let l = list();
    let title = ShotTitle {
        list: &l,
        segment_frames: &[50, 50],
    };
    let s = candidates(
        &p,
        Metric::Vmaf,
        &Constraints::default(),
        title,
        ShotResolution::Free,
    )
    .unwrap();
    for (c, op) in s.candidates.iter().zip(&s.operating) {
        let (a, b) = (op.points[0], op.points[1]);
        let want = (s.pool[a].shots.as_ref().unwrap().means["vmaf"][0]
            + s.pool[b].shots.as_ref().unwrap().means["vmaf"][1])
            / 2.0;
        let got = s.quality(title, c, "vmaf").unwrap();
        assert!((got - want).abs() < 1e-9, "{got} vs {want}");
        assert_eq!(s.quality(title, c, "vmaf_phone"), None);
    }
}

/// A forced rung takes the operating point of its height nearest its bitrate (in log
/// bitrate; in free mode, of the combination over the encodes of at most that height), kept
/// even outside the bitrate range; one outside every operating point of its height, or of no
/// such height, is refused.
#[test]
fn forced_rungs_take_the_nearest_operating_point_of_their_height() {
    let force = |kbps: f64, height: Option<u32>, max_kbps: Option<f64>| Constraints {
        forced: vec![ForcedRung { kbps, height }],
        max_kbps,
        ..Constraints::default()
    };
    for mode in [ShotResolution::Fixed, ShotResolution::Free] {
        for height in [None, Some(720), Some(360)] {
            // Free mode: the shot ladder of sizes up to the height.
            let within = Constraints {
                max_height: height.filter(|_| mode == ShotResolution::Free),
                ..Constraints::default()
            };
            let all = run(&within, mode).unwrap();
            // Between two operating points of the height, inside their span.
            let of_height: Vec<f64> = all
                .candidates
                .iter()
                .filter(|o| height.is_none_or(|h| o.height == h))
                .map(|o| o.kbps)
                .collect();
            let kbps = (of_height[0] * of_height[of_height.len() - 1]).sqrt() * 1.01;
            let s = run(&force(kbps, height, Some(110.0)), mode).unwrap();
            let forced: Vec<&Candidate> = s.candidates.iter().filter(|c| c.forced).collect();
            assert_eq!(forced.len(), 1, "{mode} {kbps}@{height:?}");
            let c = forced[0];
            // By brute force over every operating point of the height.
            let distance = |k: f64| (k / kbps).ln().abs();
            let nearest = all
                .candidates
                .iter()
                .filter(|o| height.is_none_or(|h| o.height == h))
                .map(|o| distance(o.kbps))
                .fold(f64::INFINITY, f64::min);
            assert_eq!(distance(c.kbps), nearest, "{mode} {kbps}@{height:?}: {c:?}");
            assert!(height.is_none_or(|h| c.height == h));
            // The range keeps the others under 110 kbit/s.
            assert!(s.candidates.iter().all(|o| o.forced || o.kbps <= 110.0));
        }
        for (kbps, height, why) in [
            (10.0, None, "outside"),
            (100_000.0, Some(720), "outside"),
            (150.0, Some(1080), "none has that height"),
            (150.0, Some(180), "none has that height"),
        ] {
            let e = run(&force(kbps, height, None), mode).err().unwrap();
            assert!(e.to_string().contains(why), "{mode}: {e}");
        }
    }
}

#[test]
fn empty_ranges_are_refused() {
    let none = Constraints {
        min_kbps: 5000.0,
        ..Constraints::default()
    };
    assert!(run(&none, ShotResolution::Fixed).is_err());
}

/// The p5 guard keeps exactly the operating points whose worst frames are no worse than the
/// per-title hull's at their bitrate (interpolated in log bitrate between its vertices), and
/// any outside the per-title bitrates; the per-title hull's encodes join them.
#[test]
fn the_p5_guard_drops_operating_points_worse_than_per_title_in_their_worst_frames() {
    for mode in [ShotResolution::Fixed, ShotResolution::Free] {
        let open = run(&Constraints::default(), mode).unwrap();
        let guarded = Constraints {
            shot_guard: ShotGuard::P5,
            ..Constraints::default()
        };
        let kept = run(&guarded, mode).unwrap();
        // The per-title hull, by brute force: a point is on it when no pair of others lies
        // above it.
        let pts = points();
        let at = |p: &Point| (p.bitrate_kbps, p.vmaf.unwrap(), p.pooling["vmaf"].p5);
        let mut hull: Vec<(f64, f64, f64)> = pts
            .iter()
            .map(at)
            .filter(|&(r, q, _)| {
                !pts.iter().map(at).any(|(r2, q2, _)| r2 <= r && q2 > q)
                    && !pts.iter().map(at).any(|(ra, qa, _)| {
                        pts.iter().map(at).any(|(rb, qb, _)| {
                            ra < r && r < rb && qa + (qb - qa) * (r - ra) / (rb - ra) > q + 1e-9
                        })
                    })
            })
            .collect();
        hull.sort_by(|a, b| a.0.total_cmp(&b.0));
        let floor = |kbps: f64| -> Option<f64> {
            let j = hull.iter().position(|v| v.0 >= kbps)?;
            if j == 0 {
                return (kbps == hull[0].0).then_some(hull[0].2);
            }
            let (a, b) = (hull[j - 1], hull[j]);
            Some(a.2 + (b.2 - a.2) * (kbps.ln() - a.0.ln()) / (b.0.ln() - a.0.ln()))
        };
        let passes = |c: &ShotCandidate| floor(c.kbps).is_none_or(|f| c.p5 >= f - 1e-6);
        let expected: Vec<&ShotCandidate> = open.operating.iter().filter(|c| passes(c)).collect();
        assert!(
            expected.len() < open.operating.len(),
            "{mode}: the guard has nothing to drop"
        );
        // Kept: the operating points that pass (the guarded search adds some, allocations
        // that keep the worst frames up), and the per-title hull's encodes (every shot at one
        // point), each once, by bitrate; nothing that fails.
        let uniform = |c: &ShotCandidate| c.points.iter().all(|&i| i == c.points[0]);
        for c in &expected {
            assert!(kept.operating.contains(c), "{mode}: {c:?}");
        }
        for c in &kept.operating {
            assert!(passes(c), "{mode}: {c:?}");
        }
        for &(kbps, _, _) in &hull {
            let n = kept
                .operating
                .iter()
                .filter(|c| uniform(c) && (c.kbps - kbps).abs() < 1e-9 * kbps)
                .count();
            assert_eq!(n, 1, "{mode}: the per-title encode at {kbps} kbit/s");
        }
        assert!(kept.operating.windows(2).all(|w| w[0].kbps <= w[1].kbps));
    }
}

/// Shots may take encodes between measured CRFs (whole CRFs, estimated): a rung taking one is
/// interpolated and has no segment sizes; `measured_only` keeps to trial encodes.
#[test]
fn shots_take_whole_crfs_between_measured_ones_unless_measured_only() {
    let l = list();
    let title = ShotTitle {
        list: &l,
        segment_frames: &[50, 50],
    };
    for mode in [ShotResolution::Fixed, ShotResolution::Free] {
        let s = run(&Constraints::default(), mode).unwrap();
        // 2 sizes x 2 gaps x 5 whole CRFs between 22, 28 and 34.
        assert_eq!((s.measured, s.pool.len()), (6, 6 + 20));
        let between: Vec<&Candidate> = s
            .candidates
            .iter()
            .filter(|c| {
                let Origin::Shots(k) = c.origin else {
                    return false;
                };
                s.operating[k].points.iter().any(|&i| i >= s.measured)
            })
            .collect();
        assert!(!between.is_empty(), "{mode}: no shot takes a CRF between");
        for c in &between {
            let r = s.rung(title, c, &[2.0, 2.0]).unwrap();
            assert!(r.interpolated && r.segment_sizes_bits.is_empty(), "{r:?}");
            assert!(r.shots.iter().all(|x| x.crf.fract() == 0.0));
            assert!(
                r.shots.iter().any(|x| ![22.0, 28.0, 34.0].contains(&x.crf)),
                "{r:?}"
            );
            assert!((r.bitrate_kbps - c.kbps).abs() < 1e-3, "{r:?} {c:?}");
        }
        // A rung of trial encodes only is measured.
        let c = s
            .candidates
            .iter()
            .find(|c| !between.iter().any(|b| std::ptr::eq(*b, *c)))
            .unwrap();
        let r = s.rung(title, c, &[2.0, 2.0]).unwrap();
        assert!(!r.interpolated && r.segment_sizes_bits.len() == 2, "{r:?}");

        let measured = Constraints {
            measured_only: true,
            ..Constraints::default()
        };
        let m = run(&measured, mode).unwrap();
        assert_eq!((m.measured, m.pool.len()), (6, 6));
        // Finer choices: the estimated encodes only add operating points.
        assert!(s.candidates.len() > m.candidates.len(), "{mode}");
    }
}
