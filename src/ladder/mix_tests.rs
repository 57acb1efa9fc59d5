//! A viewer mix of one device that plays everything, judges by the hull's metric and has
//! log-uniform bandwidth over `[lo, hi]` is `--viewer-kbps lo,hi`: the same rungs, the same
//! expected quality.

use super::*;
use crate::measure::metrics::pool::Pooled;
use crate::viewers::bandwidth::Bandwidth;
use crate::viewers::mix::{MixDevice, ViewerMix};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// A measured point whose `pooling["vmaf"]` is its VMAF, as a run's points have it.
fn point(height: u32, crf: f64, kbps: f64, quality: f64) -> Point {
    let pooled = Pooled {
        mean: quality,
        harmonic_mean: quality,
        min: quality,
        min_frame: None,
        p5: quality,
    };
    Point {
        width: height * 16 / 9,
        height,
        crf,
        bitrate_kbps: kbps,
        psnr_y: quality,
        psnr_yuv: quality,
        ssim_y: quality / 100.0,
        vmaf: Some(quality),
        pooling: BTreeMap::from([("vmaf".to_string(), pooled)]),
        segment_sizes_bits: vec![(kbps * 1000.0) as u64],
        segment_means: BTreeMap::new(),
        shots: None,
        on_hull: false,
        codecs: String::new(),
    }
}

fn arb_points() -> impl Strategy<Value = Vec<Point>> {
    prop::collection::vec(
        (
            prop::sample::select(vec![270u32, 360, 540, 720, 1080]),
            20.0f64..400.0,
            prop::collection::vec((1.3f64..2.2, 0.5f64..15.0), 2..5),
        ),
        1..4,
    )
    .prop_map(|curves| {
        let mut points = Vec::new();
        for (height, base, steps) in curves {
            let (mut kbps, mut q) = (
                base * f64::from(height) / 270.0,
                20.0 + f64::from(height) / 60.0,
            );
            let mut crf = 40.0;
            points.push(point(height, crf, kbps, q));
            for (ratio, gain) in steps {
                kbps *= ratio;
                q = (q + gain).min(100.0);
                crf -= 6.0;
                points.push(point(height, crf, kbps, q));
            }
        }
        points
    })
}

fn arb_constraints() -> impl Strategy<Value = Constraints> {
    (
        1usize..4,
        0usize..6,
        prop::option::weighted(0.3, 30.0f64..300.0),
        1.2f64..1.8,
        prop::option::weighted(0.7, 2.0f64..3.0),
        prop::sample::select(vec![0.0, 0.0, 3.0]),
        prop::option::weighted(0.2, prop::sample::select(vec![360u32, 540])),
    )
        .prop_map(
            |(min_r, extra, min_kbps, min_step, max_step, gap, max_h)| Constraints {
                min_rungs: min_r,
                max_rungs: min_r + extra,
                min_kbps: min_kbps.unwrap_or(0.0),
                min_step,
                max_step,
                min_quality_gap: gap,
                max_height: max_h,
                ..Constraints::default()
            },
        )
}

fn one_device(lo: f64, hi: f64) -> Objective {
    Objective {
        viewer_kbps: None,
        viewers: Some(ViewerMix {
            file: "mix.json".into(),
            devices: vec![MixDevice {
                name: "any".into(),
                from: "any".into(),
                max_width: 0,
                max_height: 0,
                max_kbps: None,
                codecs: Vec::new(),
                quality_key: "vmaf".into(),
                share: 1.0,
                share_given: 1.0,
                bandwidth: Bandwidth::log_uniform(lo, hi).unwrap(),
            }],
        }),
        ..Objective::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn one_unlimited_log_uniform_device_is_the_viewer_range(
        points in arb_points(),
        c in arb_constraints(),
        lo in 20.0f64..600.0,
        ratio in 2.0f64..60.0,
    ) {
        let hi = lo * ratio;
        let range = Objective { viewer_kbps: Some([lo, hi]), ..Objective::default() };
        let (mut a, mut b) = (points.clone(), points);
        let today = build(&mut a, Metric::Vmaf, &c, &range, &[1.0], CrfValues::Any, None);
        let mixed = build(&mut b, Metric::Vmaf, &c, &one_device(lo, hi), &[1.0], CrfValues::Any, None);
        match (today, mixed) {
            (Ok(t), Ok(m)) => {
                prop_assert_eq!(&t.rungs, &m.rungs);
                prop_assert!(
                    (t.expected_quality - m.expected_quality).abs() < 1e-9,
                    "{} vs {}", t.expected_quality, m.expected_quality
                );
                prop_assert_eq!(m.devices.len(), 1);
                prop_assert!((m.devices[0].expected_quality - t.expected_quality).abs() < 1e-9);
                prop_assert_eq!(m.devices[0].playable_rungs, m.rungs.len());
                prop_assert_eq!(m.viewer_kbps, [lo, hi]);
            }
            (Err(t), Err(m)) => prop_assert_eq!(t.to_string(), m.to_string()),
            (t, m) => prop_assert!(false, "today {:?}, mix {:?}", t.map(|l| l.rungs.len()), m.map(|l| l.rungs.len())),
        }
    }
}
