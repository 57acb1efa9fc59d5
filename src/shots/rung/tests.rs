use super::*;
use crate::measure::metrics::pool::pool;

/// A point of `crf` with three segments of 10, 10 and 5 frames at 25 fps (0.4, 0.4 and
/// 0.2 s) of `sizes` bits, whose 25 frames score `frame_scores`.
fn point(crf: f64, sizes: [u64; 3], frame_scores: &[f64]) -> Point {
    let segment_frames = [10u64, 10, 5];
    let mut at = 0;
    let means: Vec<f64> = segment_frames
        .iter()
        .map(|&n| {
            let s = &frame_scores[at..at + n as usize];
            at += n as usize;
            round(s.iter().sum::<f64>() / n as f64, 4)
        })
        .collect();
    let pooled = pool(frame_scores).unwrap().rounded(4);
    let bits: u64 = sizes.iter().sum();
    Point {
        width: 640,
        height: 360,
        crf,
        bitrate_kbps: round(bits as f64 / 1.0 / 1000.0, 3),
        psnr_y: 40.0,
        psnr_yuv: 41.0,
        ssim_y: 0.95,
        vmaf: Some(pooled.mean),
        pooling: [("vmaf".to_string(), pooled)].into(),
        segment_sizes_bits: sizes.to_vec(),
        segment_means: [("vmaf".to_string(), means)].into(),
        shots: None,
        on_hull: false,
        codecs: "avc1.64001e".into(),
    }
}

fn candidate(points: Vec<usize>) -> ShotCandidate {
    ShotCandidate {
        width: 640,
        height: 360,
        kbps: 0.0,
        quality: 0.0,
        harmonic_mean: 0.0,
        p5: 0.0,
        min: 0.0,
        slope: [0.0, 0.0],
        points,
    }
}

const SHOTS: [Shot; 2] = [
    Shot {
        start_frame: 0,
        frames: 20,
    },
    Shot {
        start_frame: 20,
        frames: 5,
    },
];
const FRAMES: [u64; 3] = [10, 10, 5];
const DURATIONS: [f64; 3] = [0.4, 0.4, 0.2];

/// Frame scores that are constant within each segment, so pooling over segments is exact.
fn flat(a: f64, b: f64, c: f64) -> Vec<f64> {
    let mut v = vec![a; 10];
    v.extend([b; 10]);
    v.extend([c; 5]);
    v
}

#[test]
fn a_shot_rung_takes_each_segment_from_its_shot_encode() {
    let points = vec![
        point(20.0, [40_000, 30_000, 20_000], &flat(90.0, 92.0, 94.0)),
        point(30.0, [20_000, 15_000, 8_000], &flat(80.0, 84.0, 70.0)),
    ];
    let r = Rung::from_shots(&points, &candidate(vec![0, 1]), &SHOTS, &FRAMES, &DURATIONS).unwrap();
    assert_eq!(r.segment_sizes_bits, vec![40_000, 30_000, 8_000]);
    assert_eq!(r.segment_means["vmaf"], vec![90.0, 92.0, 70.0]);
    // 78,000 bits over 1 s.
    assert_eq!(r.bitrate_kbps, 78.0);
    // Peak: the first segment, 40,000 bits in 0.4 s.
    assert_eq!(r.peak_kbps, 100.0);
    // The frames: 10 at 90, 10 at 92, 5 at 70; pooled as frames are.
    let direct = pool(&flat(90.0, 92.0, 70.0)).unwrap().rounded(4);
    let p = &r.pooling["vmaf"];
    assert_eq!(
        (p.mean, p.harmonic_mean, p.min, p.p5),
        (direct.mean, direct.harmonic_mean, direct.min, direct.p5)
    );
    assert_eq!(r.vmaf, Some(direct.mean));
    // CRF: 20 frames at 20, 5 at 30.
    assert_eq!(r.crf, 22.0);
    assert_eq!(
        r.shots,
        vec![
            ShotSetting {
                width: 640,
                height: 360,
                crf: 20.0
            },
            ShotSetting {
                width: 640,
                height: 360,
                crf: 30.0
            }
        ]
    );
    assert!(!r.interpolated && r.is_shot_rung());
}

/// Every shot at one point gives that point's rung: bits, peak and means.
#[test]
fn one_point_for_every_shot_is_the_point() {
    let scores: Vec<f64> = (0..25).map(|i| 60.0 + f64::from(i)).collect();
    let points = vec![point(24.0, [50_000, 10_000, 9_000], &scores)];
    let r = Rung::from_shots(&points, &candidate(vec![0, 0]), &SHOTS, &FRAMES, &DURATIONS).unwrap();
    let p = Rung::from_point(&points[0], &DURATIONS);
    assert_eq!(r.bitrate_kbps, p.bitrate_kbps);
    assert_eq!(r.peak_kbps, p.peak_kbps);
    assert_eq!(r.segment_sizes_bits, p.segment_sizes_bits);
    assert_eq!(r.segment_means, p.segment_means);
    assert_eq!(r.crf, 24.0);
    assert!((r.vmaf.unwrap() - p.vmaf.unwrap()).abs() < 1e-3);
}

#[test]
fn a_point_of_other_segments_is_refused() {
    let mut p = point(24.0, [1, 2, 3], &flat(1.0, 2.0, 3.0));
    p.segment_sizes_bits.pop();
    let e = Rung::from_shots(&[p], &candidate(vec![0, 0]), &SHOTS, &FRAMES, &DURATIONS);
    assert!(e.unwrap_err().to_string().contains("2 segment sizes"));
    let q = point(24.0, [1, 2, 3], &flat(1.0, 2.0, 3.0));
    let e = Rung::from_shots(&[q], &candidate(vec![0]), &SHOTS, &FRAMES, &DURATIONS);
    assert!(e.is_err());
}
