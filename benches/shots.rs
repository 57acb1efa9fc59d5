//! The combination of per-shot hulls at one slope: 3,000 shots of 40 trial points each (8
//! resolutions x 5 CRFs), the size of a feature film cut into shots (the target is well under
//! one second on 2 cores). The synthetic shots have 11 hull points each (33,000 in all); a last
//! case puts all 120,000 points on the hulls. The shot ladder's operating points over the same
//! shots (every vertex's choice and figures) are timed too, without and with the p5 guard's
//! search (49 combined hulls), and with the encodes estimated at every whole CRF between the
//! measured ones (128 more per shot) as a ladder adds them.

use criterion::{Criterion, criterion_group, criterion_main};
use pertitle::Point;
use pertitle::shots::Shot;
use pertitle::shots::between::points_between;
use pertitle::shots::combine::{CombineOptions, ShotHull, ShotPoint, combined_hull, shot_hulls};
use pertitle::shots::figures::ShotFigures;
use pertitle::shots::ladder::{ShotGuard, ShotPooling, ShotResolution, shot_candidates_pooled};
use std::collections::BTreeMap;
use std::hint::black_box;

const SHOTS: usize = 3000;
const HEIGHTS: [f64; 8] = [234.0, 360.0, 432.0, 540.0, 720.0, 1080.0, 1440.0, 2160.0];
const CRFS: [f64; 5] = [18.0, 23.0, 28.0, 33.0, 38.0];

/// Each shot's 40 points: bits fall by half every 6 CRF and grow with the picture; quality
/// saturates toward a ceiling that rises with the resolution; shots differ in length and
/// difficulty.
fn shots() -> Vec<(u64, Vec<ShotPoint>)> {
    (0..SHOTS)
        .map(|i| {
            let frames = 24 + (i * 37 % 200) as u64;
            let hard = 1.0 + 0.8 * ((i as f64) * 0.7).sin().abs();
            let points = HEIGHTS
                .iter()
                .enumerate()
                .flat_map(|(r, &h)| {
                    CRFS.iter().enumerate().map(move |(k, &crf)| {
                        let bits =
                            frames as f64 * hard * h * h * 0.5 * (2f64).powf(-(crf - 18.0) / 6.0);
                        let ceiling = 60.0 + 5.0 * r as f64;
                        let quality =
                            ceiling * (1.0 - (-bits / (frames as f64 * hard * 4e4)).exp());
                        ShotPoint {
                            setting: r * CRFS.len() + k,
                            bits,
                            quality,
                        }
                    })
                })
                .collect();
            (frames, points)
        })
        .collect()
}

/// The shots as a run's points: one per setting, with each shot's bits, mean, harmonic mean
/// and percentiles (spread below the mean by the shot's difficulty), and the shots.
fn run_points(raw: &[(u64, Vec<ShotPoint>)]) -> (Vec<Point>, Vec<Shot>) {
    let mut at = 0;
    let shots: Vec<Shot> = raw
        .iter()
        .map(|(frames, _)| {
            let s = Shot {
                start_frame: at,
                frames: *frames,
            };
            at += frames;
            s
        })
        .collect();
    let points = (0..HEIGHTS.len() * CRFS.len())
        .map(|setting| {
            let on = |f: &dyn Fn(usize, &ShotPoint) -> f64| -> Vec<f64> {
                raw.iter()
                    .enumerate()
                    .map(|(s, (_, p))| f(s, &p[setting]))
                    .collect()
            };
            let spread = |s: usize| 2.0 + (s % 13) as f64;
            let means = on(&|_, p| p.quality);
            let percentiles: Vec<Vec<f64>> = raw
                .iter()
                .enumerate()
                .map(|(s, (_, p))| {
                    let (q, d) = (p[setting].quality, spread(s));
                    [-3.0, -1.0, -0.6, -0.3, 0.0, 0.2, 0.4]
                        .iter()
                        .map(|k| q + k * d)
                        .collect()
                })
                .collect();
            let height = HEIGHTS[setting / CRFS.len()] as u32;
            Point {
                width: height * 16 / 9,
                height,
                crf: CRFS[setting % CRFS.len()],
                bitrate_kbps: 0.0,
                psnr_y: 0.0,
                psnr_yuv: 0.0,
                ssim_y: 0.0,
                vmaf: None,
                pooling: BTreeMap::new(),
                // One segment per shot.
                segment_sizes_bits: raw.iter().map(|(_, p)| p[setting].bits as u64).collect(),
                segment_means: BTreeMap::from([("vmaf".to_string(), means.clone())]),
                shots: Some(ShotFigures {
                    sizes_bits: raw.iter().map(|(_, p)| p[setting].bits as u64).collect(),
                    harmonic_means: BTreeMap::from([(
                        "vmaf".to_string(),
                        on(&|s, p| p.quality - spread(s) / 4.0),
                    )]),
                    means: BTreeMap::from([("vmaf".to_string(), means)]),
                    percentiles: BTreeMap::from([("vmaf".to_string(), percentiles)]),
                }),
                on_hull: false,
                codecs: String::new(),
            }
        })
        .collect();
    (points, shots)
}

fn combine(c: &mut Criterion) {
    let raw = shots();
    let options = CombineOptions::new(24.0);
    let hulls = || shot_hulls(raw.iter().map(|(f, p)| (*f, &p[..])), |_| true).unwrap();
    let built: Vec<ShotHull> = hulls();
    let mut group = c.benchmark_group("3000 shots x 40 points");
    group.sample_size(10);
    group.bench_function("shot hulls", |b| b.iter(|| black_box(hulls())));
    group.bench_function("combined hull", |b| {
        b.iter(|| black_box(combined_hull(&built, options).unwrap().vertices().len()))
    });
    // The whole job for a ladder: hulls, the combined hull and 10 rungs' choices.
    group.bench_function("hulls, combined hull and 10 rungs", |b| {
        b.iter(|| {
            let shots = hulls();
            let hull = combined_hull(&shots, options).unwrap();
            let top = hull.vertices()[hull.vertices().len() - 1].kbps;
            let rungs: Vec<_> = (1..=10)
                .filter_map(|r| hull.at_bitrate(top * f64::from(r) / 10.0))
                .map(|k| hull.combination(k))
                .collect();
            black_box(rungs)
        })
    });
    // The worst case: every point on its shot's hull (a strictly concave curve), 120,000 in all.
    let concave: Vec<ShotHull> = raw
        .iter()
        .map(|(f, p)| {
            let points: Vec<ShotPoint> = (0..p.len())
                .map(|k| ShotPoint {
                    setting: k,
                    bits: *f as f64 * 1e4 * (k + 1) as f64,
                    quality: 10.0 * ((k + 1) as f64).ln() + (*f % 7) as f64,
                })
                .collect();
            ShotHull::new(*f, &points).unwrap()
        })
        .collect();
    assert_eq!(
        concave.iter().map(|h| h.points().len()).sum::<usize>(),
        SHOTS * 40
    );
    group.bench_function("combined hull, every point on its hull", |b| {
        b.iter(|| black_box(combined_hull(&concave, options).unwrap().vertices().len()))
    });
    // The shot ladder's operating points (free mode), as `ladder` computes them, over the
    // trial encodes and over those with the encodes between their CRFs a ladder adds.
    let (points, shots) = run_points(&raw);
    let frames: Vec<u64> = shots.iter().map(|s| s.frames).collect();
    group.bench_function("encodes between measured CRFs", |b| {
        b.iter(|| {
            black_box(
                points_between(&points, &frames, &shots, 24.0)
                    .unwrap()
                    .len(),
            )
        })
    });
    let mut all = points.clone();
    all.extend(points_between(&points, &frames, &shots, 24.0).unwrap());
    assert_eq!(all.len(), 40 + 8 * 4 * 4);
    for (over, name) in [
        (&points, "operating points"),
        (&all, "operating points with those"),
    ] {
        for guard in [ShotGuard::None, ShotGuard::P5] {
            group.bench_function(format!("{name}, guard {guard}"), |b| {
                b.iter(|| {
                    let c = shot_candidates_pooled(
                        over,
                        &shots,
                        "vmaf",
                        24.0,
                        ShotResolution::Free,
                        ShotPooling::Mean,
                        guard,
                    )
                    .unwrap();
                    black_box(c.len())
                })
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // No plots: the report's charts need fonts a bare machine may lack.
    config = Criterion::default().without_plots();
    targets = combine
}
criterion_main!(benches);
