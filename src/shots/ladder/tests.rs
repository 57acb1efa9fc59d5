use super::*;
use crate::ladder::hull::{RateQuality, upper_hull};
use crate::shots::figures::ShotFigures;
use std::collections::BTreeMap;

/// A point of `height` (16:9) and CRF `crf` with per-shot `bits` and `vmaf`.
fn point(height: u32, crf: f64, bits: &[u64], vmaf: &[f64]) -> Point {
    Point {
        width: height * 16 / 9,
        height,
        crf,
        bitrate_kbps: 0.0,
        psnr_y: 0.0,
        psnr_yuv: 0.0,
        ssim_y: 0.0,
        vmaf: None,
        pooling: BTreeMap::new(),
        segment_sizes_bits: Vec::new(),
        segment_means: BTreeMap::new(),
        shots: Some(ShotFigures {
            sizes_bits: bits.to_vec(),
            means: BTreeMap::from([("vmaf".to_string(), vmaf.to_vec())]),
            // Each shot's frames at one quality: the harmonic mean is the mean.
            harmonic_means: BTreeMap::from([("vmaf".to_string(), vmaf.to_vec())]),
            percentiles: BTreeMap::from([(
                "vmaf".to_string(),
                vmaf.iter().map(|&q| vec![q; 7]).collect(),
            )]),
        }),
        on_hull: false,
        codecs: String::new(),
    }
}

fn shots(lengths: &[u64]) -> Vec<Shot> {
    let mut at = 0;
    lengths
        .iter()
        .map(|&frames| {
            let s = Shot {
                start_frame: at,
                frames,
            };
            at += frames;
            s
        })
        .collect()
}

#[test]
fn one_shot_gives_the_per_title_hull() {
    // 100 frames at 25 fps (4 s): kbps = bits / 4000.
    let points = [
        point(360, 30.0, &[400_000], &[70.0]),
        point(360, 24.0, &[800_000], &[80.0]),
        point(720, 30.0, &[900_000], &[78.0]), // under the hull
        point(720, 24.0, &[1_600_000], &[90.0]),
        point(720, 18.0, &[3_200_000], &[95.0]),
    ];
    let s = shots(&[100]);
    let c = shot_candidates(&points, &s, "vmaf", 25.0, ShotResolution::Free).unwrap();
    let rq: Vec<RateQuality> = points
        .iter()
        .map(|p| {
            let f = p.shots.as_ref().unwrap();
            RateQuality {
                kbps: f.sizes_bits[0] as f64 / 4000.0,
                quality: f.means["vmaf"][0],
            }
        })
        .collect();
    let hull = upper_hull(&rq);
    assert_eq!(c.len(), hull.len());
    for (cand, &i) in c.iter().zip(&hull) {
        assert_eq!(cand.points, [i]);
        assert!((cand.kbps - rq[i].kbps).abs() < 1e-9);
        assert_eq!(cand.quality, rq[i].quality);
        assert_eq!(
            (cand.width, cand.height),
            (points[i].width, points[i].height)
        );
    }
}

#[test]
fn fixed_keeps_a_resolution_and_free_declares_the_largest() {
    // Two shots of 50 frames: the first easy (its 360p is nearly as good as 720p), the second
    // hard.
    let points = [
        point(360, 30.0, &[100_000, 400_000], &[88.0, 60.0]),
        point(360, 20.0, &[300_000, 1_200_000], &[92.0, 75.0]),
        point(720, 30.0, &[250_000, 700_000], &[89.0, 80.0]),
        point(720, 20.0, &[700_000, 2_000_000], &[96.0, 92.0]),
    ];
    let s = shots(&[50, 50]);
    let fixed = shot_candidates(&points, &s, "vmaf", 25.0, ShotResolution::Fixed).unwrap();
    for c in &fixed {
        for &i in &c.points {
            assert_eq!(points[i].height, c.height, "{c:?}");
        }
    }
    // Each resolution's cheapest vertex takes every shot at its cheapest point.
    assert_eq!(fixed[0].points, [0, 0]);
    assert_eq!(fixed[0].height, 360);
    let free = shot_candidates(&points, &s, "vmaf", 25.0, ShotResolution::Free).unwrap();
    // Somewhere along the free hull the easy shot stays at 360p while the hard one is at
    // 720p; such a rung declares 720p.
    let mixed = free
        .iter()
        .find(|c| points[c.points[0]].height == 360 && points[c.points[1]].height == 720)
        .expect("a rung mixing sizes");
    assert_eq!(mixed.height, 720);
    // Its bitrate and quality are the choices' sums and frame-weighted mean (4 s title).
    let bits: u64 = (0..2)
        .map(|s| points[mixed.points[s]].shots.as_ref().unwrap().sizes_bits[s])
        .sum();
    assert!((mixed.kbps - bits as f64 / 4000.0).abs() < 1e-9);
    let q: f64 = (0..2)
        .map(|s| points[mixed.points[s]].shots.as_ref().unwrap().means["vmaf"][s])
        .sum::<f64>()
        / 2.0;
    assert!((mixed.quality - q).abs() < 1e-9);
    assert!(mixed.p5 <= mixed.quality && mixed.min <= mixed.p5);
}

#[test]
fn points_without_shot_figures_are_refused() {
    let mut p = point(360, 30.0, &[1], &[1.0]);
    p.shots = None;
    let e = shot_candidates(&[p], &shots(&[10]), "vmaf", 25.0, ShotResolution::Free)
        .unwrap_err()
        .to_string();
    assert!(e.contains("run optimize --shots"), "{e}");
    let p = point(360, 30.0, &[1, 2], &[1.0, 2.0]);
    let e = shot_candidates(
        std::slice::from_ref(&p),
        &shots(&[10]),
        "vmaf",
        25.0,
        ShotResolution::Free,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("figures for 2 shots, the title 1"), "{e}");
    let e = shot_candidates(&[p], &shots(&[5, 5]), "psnr_y", 25.0, ShotResolution::Free)
        .unwrap_err()
        .to_string();
    assert!(e.contains("no per-shot `psnr_y`"), "{e}");
    assert_eq!("free".parse::<ShotResolution>(), Ok(ShotResolution::Free));
    assert!("both".parse::<ShotResolution>().is_err());
}

/// Harmonic pooling: the operating points are the upper hull, over every choice of a point per
/// shot (brute force), of total bits against the title's sum of `-1 / (q + 1)` over frames;
/// their figures stay on the quality scale.
#[test]
fn harmonic_pooling_is_the_hull_of_the_harmonic_objective() {
    let s = shots(&[30, 50, 20]);
    let points = [
        point(360, 36.0, &[100_000, 90_000, 20_000], &[40.0, 70.0, 60.0]),
        point(360, 30.0, &[180_000, 150_000, 45_000], &[55.0, 80.0, 75.0]),
        point(360, 24.0, &[330_000, 260_000, 90_000], &[68.0, 88.0, 86.0]),
        point(360, 18.0, &[600_000, 450_000, 180_000], &[80.0, 94.0, 93.0]),
    ];
    let c = shot_candidates_pooled(
        &points,
        &s,
        "vmaf",
        25.0,
        ShotResolution::Fixed,
        ShotPooling::Harmonic,
        ShotGuard::None,
    )
    .unwrap();
    let frames: Vec<f64> = s.iter().map(|x| x.frames as f64).collect();
    let mut all: Vec<(Vec<usize>, RateQuality)> = Vec::new();
    for a in 0..4 {
        for b in 0..4 {
            for d in 0..4 {
                let choice = vec![a, b, d];
                let (mut bits, mut objective) = (0.0, 0.0);
                for (shot, &i) in choice.iter().enumerate() {
                    let f = points[i].shots.as_ref().unwrap();
                    bits += f.sizes_bits[shot] as f64;
                    objective -= frames[shot] / (f.means["vmaf"][shot] + 1.0);
                }
                all.push((
                    choice,
                    RateQuality {
                        kbps: bits / 4000.0,
                        quality: objective,
                    },
                ));
            }
        }
    }
    let rq: Vec<RateQuality> = all.iter().map(|x| x.1).collect();
    let hull: Vec<Vec<usize>> = upper_hull(&rq)
        .into_iter()
        .map(|i| all[i].0.clone())
        .collect();
    let ours: Vec<Vec<usize>> = c.iter().map(|x| x.points.clone()).collect();
    assert_eq!(ours, hull);
    for x in &c {
        let mean = x
            .points
            .iter()
            .enumerate()
            .map(|(shot, &i)| points[i].shots.as_ref().unwrap().means["vmaf"][shot] * frames[shot])
            .sum::<f64>()
            / 100.0;
        assert!((x.quality - mean).abs() < 1e-9);
        let inverse: f64 = x
            .points
            .iter()
            .enumerate()
            .map(|(shot, &i)| {
                frames[shot] / (points[i].shots.as_ref().unwrap().means["vmaf"][shot] + 1.0)
            })
            .sum();
        assert!((x.harmonic_mean - (100.0 / inverse - 1.0)).abs() < 1e-9);
    }
    // The mean pooling's hull differs here: it trades the hard shot's quality away sooner.
    let mean = shot_candidates(&points, &s, "vmaf", 25.0, ShotResolution::Fixed).unwrap();
    let mean_choices: Vec<Vec<usize>> = mean.iter().map(|x| x.points.clone()).collect();
    assert_ne!(mean_choices, ours);
}

/// The guarded search: for every floor it sweeps, the upper hull (bits against mean quality)
/// of the choices that keep each shot's own 5th percentile at or above the floor (a shot
/// reaching it nowhere taking its best), found by brute force, is among the operating points;
/// and so is every unguarded operating point.
#[test]
fn the_guarded_search_holds_the_hull_of_every_floor() {
    let s = shots(&[30, 50, 20]);
    // The middle shot is hard in its worst frames (its 5th percentile far below its mean).
    let drop = [3.0, 25.0, 6.0];
    let mut points = vec![
        point(360, 36.0, &[100_000, 90_000, 20_000], &[40.0, 70.0, 60.0]),
        point(360, 30.0, &[180_000, 150_000, 45_000], &[55.0, 80.0, 75.0]),
        point(360, 24.0, &[330_000, 260_000, 90_000], &[68.0, 88.0, 86.0]),
        point(360, 18.0, &[600_000, 450_000, 180_000], &[80.0, 94.0, 93.0]),
    ];
    for p in &mut points {
        let f = p.shots.as_mut().unwrap();
        let spread: Vec<Vec<f64>> = f.means["vmaf"]
            .iter()
            .zip(drop)
            .map(|(&q, d)| vec![q - 2.0 * d, q - d, q - d / 2.0, q, q, q, q])
            .collect();
        f.percentiles.insert("vmaf".into(), spread);
    }
    let run = |guard| {
        shot_candidates_pooled(
            &points,
            &s,
            "vmaf",
            25.0,
            ShotResolution::Free,
            ShotPooling::Mean,
            guard,
        )
        .unwrap()
    };
    let guarded: Vec<Vec<usize>> = run(ShotGuard::P5)
        .iter()
        .map(|c| c.points.clone())
        .collect();
    let unguarded = run(ShotGuard::None);
    for c in &unguarded {
        assert!(guarded.contains(&c.points), "{:?}", c.points);
    }
    let own =
        |shot: usize, i: usize| points[i].shots.as_ref().unwrap().percentiles["vmaf"][shot][1];
    let shot_p5: Vec<Vec<f64>> = (0..3)
        .map(|shot| (0..4).map(|i| own(shot, i)).collect())
        .collect();
    let floors = guard_floors(&shot_p5);
    assert_eq!(floors.len(), GUARD_FLOORS);
    let frames: Vec<f64> = s.iter().map(|x| x.frames as f64).collect();
    let mut restricted_somewhere = false;
    for floor in floors {
        let allowed: Vec<Vec<usize>> = (0..3)
            .map(|shot| {
                let reach: Vec<usize> = (0..4).filter(|&i| own(shot, i) >= floor).collect();
                if reach.is_empty() {
                    vec![
                        (0..4)
                            .max_by(|&a, &b| own(shot, a).total_cmp(&own(shot, b)))
                            .unwrap(),
                    ]
                } else {
                    reach
                }
            })
            .collect();
        restricted_somewhere |= allowed.iter().any(|a| a.len() < 4);
        let mut all: Vec<(Vec<usize>, RateQuality)> = Vec::new();
        for &a in &allowed[0] {
            for &b in &allowed[1] {
                for &d in &allowed[2] {
                    let choice = vec![a, b, d];
                    let (mut bits, mut sum) = (0.0, 0.0);
                    for (shot, &i) in choice.iter().enumerate() {
                        let f = points[i].shots.as_ref().unwrap();
                        bits += f.sizes_bits[shot] as f64;
                        sum += frames[shot] * f.means["vmaf"][shot];
                    }
                    all.push((
                        choice,
                        RateQuality {
                            kbps: bits,
                            quality: sum,
                        },
                    ));
                }
            }
        }
        let rq: Vec<RateQuality> = all.iter().map(|x| x.1).collect();
        for i in upper_hull(&rq) {
            assert!(guarded.contains(&all[i].0), "floor {floor}: {:?}", all[i].0);
        }
    }
    assert!(restricted_somewhere);
    assert!(guarded.len() > unguarded.len());
    // Each operating point's worst frames come from the shots' own percentiles.
    for c in run(ShotGuard::P5) {
        let spread: Vec<(&[f64], u64)> = c
            .points
            .iter()
            .enumerate()
            .map(|(shot, &i)| {
                let q = &points[i].shots.as_ref().unwrap().percentiles["vmaf"][shot];
                (q.as_slice(), s[shot].frames)
            })
            .collect();
        let p5 = crate::shots::figures::pooled_percentile(&spread, 5.0).unwrap();
        assert!((c.p5 - p5).abs() < 1e-9);
        let min = spread
            .iter()
            .map(|(q, _)| q[0])
            .fold(f64::INFINITY, f64::min);
        assert_eq!(c.min, min);
    }
}

/// A hull of many vertices keeps at most the given number, spread in log bitrate, its first
/// and last among them; a short one keeps every vertex.
#[test]
fn many_vertices_are_thinned_in_log_bitrate() {
    use crate::shots::combine::Vertex;
    let vertex = |kbps: f64| Vertex {
        bits: kbps,
        kbps,
        quality: kbps.ln(),
        slope: [0.0, 0.0],
    };
    let many: Vec<Vertex> = (0..10_000)
        .map(|k| vertex(100.0 * 1.0005f64.powi(k)))
        .collect();
    let kept = spread_vertices(&many, 64);
    assert!(kept.len() <= 64 && kept.len() >= 60, "{}", kept.len());
    assert_eq!(kept[0], 0);
    assert_eq!(*kept.last().unwrap(), many.len() - 1);
    assert!(kept.windows(2).all(|w| w[0] < w[1]));
    // Evenly spread: no gap in log bitrate over twice the even share.
    let share = (many[9999].kbps / many[0].kbps).ln() / 63.0;
    for w in kept.windows(2) {
        let gap = (many[w[1]].kbps / many[w[0]].kbps).ln();
        assert!(gap <= 2.0 * share + 1e-9, "{gap} vs {share}");
    }
    let few: Vec<Vertex> = many[..50].to_vec();
    assert_eq!(spread_vertices(&few, 64), (0..50).collect::<Vec<_>>());
}
