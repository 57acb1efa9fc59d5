use super::*;
use crate::shots::figures::PERCENTILE_LEVELS;

/// Two shots of 40 frames (segments 20, 20) and 50 frames (one segment), at 25 fps.
fn shots() -> Vec<Shot> {
    vec![
        Shot {
            start_frame: 0,
            frames: 40,
        },
        Shot {
            start_frame: 40,
            frames: 50,
        },
    ]
}

const SEGMENTS: [u64; 3] = [20, 20, 50];

/// A point of `height` and `crf` whose segments have `sizes` bits and `vmaf` (each shot's
/// frames spread from its mean - 10 to its mean + 10 across the percentile levels).
fn point(height: u32, crf: f64, sizes: [u64; 3], vmaf: [f64; 3]) -> Point {
    let shot_means = vec![(vmaf[0] + vmaf[1]) / 2.0, vmaf[2]];
    let spread = |m: f64| -> Vec<f64> {
        PERCENTILE_LEVELS
            .iter()
            .map(|l| m - 10.0 + 20.0 * l / 100.0)
            .collect()
    };
    let mean = (vmaf[0] * 20.0 + vmaf[1] * 20.0 + vmaf[2] * 50.0) / 90.0;
    Point {
        width: height * 16 / 9,
        height,
        crf,
        bitrate_kbps: sizes.iter().sum::<u64>() as f64 / 3.6 / 1000.0,
        psnr_y: 40.0 - crf / 10.0,
        psnr_yuv: 41.0 - crf / 10.0,
        ssim_y: 0.99 - crf / 1000.0,
        vmaf: Some(mean),
        pooling: BTreeMap::from([(
            "vmaf".to_string(),
            Pooled {
                mean,
                harmonic_mean: mean - 1.0,
                min: mean - 12.0,
                min_frame: Some(3),
                p5: mean - 9.0,
            },
        )]),
        segment_sizes_bits: sizes.to_vec(),
        segment_means: BTreeMap::from([("vmaf".to_string(), vmaf.to_vec())]),
        shots: Some(ShotFigures {
            sizes_bits: vec![sizes[0] + sizes[1], sizes[2]],
            means: BTreeMap::from([("vmaf".to_string(), shot_means.clone())]),
            harmonic_means: BTreeMap::from([(
                "vmaf".to_string(),
                shot_means.iter().map(|m| m - 0.5).collect(),
            )]),
            percentiles: BTreeMap::from([(
                "vmaf".to_string(),
                shot_means.iter().map(|&m| spread(m)).collect(),
            )]),
        }),
        on_hull: false,
        codecs: "avc1.64001f".into(),
    }
}

/// Bits falling exponentially and quality linearly in CRF: every curve is exact.
fn analytic(crf: f64) -> Point {
    let d = crf - 18.0;
    let size = |a: f64| (a * (-0.15 * d).exp()).round() as u64;
    let q = |a: f64| a - 2.0 * d;
    point(
        360,
        crf,
        [size(400_000.0), size(300_000.0), size(200_000.0)],
        [q(90.0), q(86.0), q(95.0)],
    )
}

#[test]
fn points_lie_at_every_whole_crf_between_measured_ones_on_exact_curves() {
    let measured = [analytic(26.0), analytic(18.0), analytic(22.0)];
    let between = points_between(&measured, &SEGMENTS, &shots(), 25.0).unwrap();
    let crfs: Vec<f64> = between.iter().map(|p| p.crf).collect();
    assert_eq!(crfs, [19.0, 20.0, 21.0, 23.0, 24.0, 25.0]);
    for p in &between {
        let exact = analytic(p.crf);
        assert_eq!((p.width, p.height), (640, 360));
        for (a, b) in p.segment_sizes_bits.iter().zip(&exact.segment_sizes_bits) {
            assert!(a.abs_diff(*b) <= 1, "CRF {}: {a} vs {b}", p.crf);
        }
        let f = p.shots.as_ref().unwrap();
        // A shot's bits are its segments'.
        let s = &p.segment_sizes_bits;
        assert_eq!(f.sizes_bits, [s[0] + s[1], s[2]]);
        let bits: u64 = s.iter().sum();
        assert!((p.bitrate_kbps - bits as f64 / 3.6 / 1000.0).abs() < 1e-3);
        let e = exact.shots.as_ref().unwrap();
        for (a, b) in [
            (&f.means["vmaf"], &e.means["vmaf"]),
            (&f.harmonic_means["vmaf"], &e.harmonic_means["vmaf"]),
            (&p.segment_means["vmaf"], &exact.segment_means["vmaf"]),
        ] {
            for (x, y) in a.iter().zip(b) {
                assert!((x - y).abs() < 1e-4, "CRF {}: {a:?} vs {b:?}", p.crf);
            }
        }
        for (x, y) in f.percentiles["vmaf"]
            .iter()
            .flatten()
            .zip(e.percentiles["vmaf"].iter().flatten())
        {
            assert!((x - y).abs() < 1e-4);
        }
        let (a, b) = (&p.pooling["vmaf"], &exact.pooling["vmaf"]);
        assert!(
            (a.mean - b.mean).abs() < 1e-4 && (a.p5 - b.p5).abs() < 1e-4,
            "{a:?} {b:?}"
        );
        assert!((p.psnr_y - exact.psnr_y).abs() < 1e-4);
        assert_eq!(p.vmaf, Some(a.mean));
        assert_eq!(p.codecs, "avc1.64001f");
        assert!(!p.on_hull);
    }
}

#[test]
fn curves_keep_to_the_measured_points_monotone_shape() {
    // Quality concave in CRF, bits falling faster at low CRFs: between two measured CRFs every
    // estimate lies between theirs, and each shot's percentile levels stay in order.
    let measured = [
        point(720, 18.0, [900_000, 700_000, 500_000], [96.0, 94.0, 97.0]),
        point(720, 24.0, [400_000, 330_000, 240_000], [92.0, 89.0, 95.0]),
        point(720, 30.0, [200_000, 170_000, 130_000], [84.0, 79.0, 90.0]),
        point(720, 36.0, [110_000, 90_000, 80_000], [71.0, 64.0, 82.0]),
    ];
    let between = points_between(&measured, &SEGMENTS, &shots(), 25.0).unwrap();
    assert_eq!(between.len(), 15);
    for p in &between {
        let k = measured.partition_point(|m| m.crf < p.crf);
        let (lo, hi) = (&measured[k - 1], &measured[k]);
        let within = |x: f64, a: f64, b: f64| x >= a.min(b) && x <= a.max(b);
        for s in 0..3 {
            let x = p.segment_sizes_bits[s] as f64;
            let (a, b) = (
                lo.segment_sizes_bits[s] as f64,
                hi.segment_sizes_bits[s] as f64,
            );
            assert!(within(x, a, b), "CRF {}: {x} not in {a}..{b}", p.crf);
            let q = p.segment_means["vmaf"][s];
            let (a, b) = (lo.segment_means["vmaf"][s], hi.segment_means["vmaf"][s]);
            assert!(within(q, a, b), "CRF {}: {q} not in {a}..{b}", p.crf);
        }
        for levels in &p.shots.as_ref().unwrap().percentiles["vmaf"] {
            assert!(levels.windows(2).all(|w| w[0] <= w[1]), "{levels:?}");
        }
    }
}

#[test]
fn no_points_without_two_measured_crfs_a_step_apart() {
    let shots = shots();
    // One point per resolution.
    let one = [analytic(18.0), point(720, 18.0, [1, 1, 1], [1.0, 1.0, 1.0])];
    assert!(
        points_between(&one, &SEGMENTS, &shots, 25.0)
            .unwrap()
            .is_empty()
    );
    // Neighbouring whole CRFs leave nothing between.
    let next = [analytic(18.0), analytic(19.0)];
    assert!(
        points_between(&next, &SEGMENTS, &shots, 25.0)
            .unwrap()
            .is_empty()
    );
    // Fractional CRFs: the whole ones strictly between.
    let frac = [analytic(18.5), analytic(20.5)];
    let crfs: Vec<f64> = points_between(&frac, &SEGMENTS, &shots, 25.0)
        .unwrap()
        .iter()
        .map(|p| p.crf)
        .collect();
    assert_eq!(crfs, [19.0, 20.0]);
    // A point measured without per-shot figures is no end of a curve.
    let mut bare = analytic(22.0);
    bare.shots = None;
    let missing = [analytic(18.0), bare];
    assert!(
        points_between(&missing, &SEGMENTS, &shots, 25.0)
            .unwrap()
            .is_empty()
    );
}
