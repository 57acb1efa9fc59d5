use super::*;
use crate::shots::Shot;
use crate::shots::detect::{DetectOptions, ShotList};
use crate::shots::figures::ShotFigures;
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
        pooling: BTreeMap::new(),
        segment_sizes_bits: bits.to_vec(),
        segment_means: means.clone(),
        shots: Some(ShotFigures {
            sizes_bits: bits.to_vec(),
            harmonic_means: means.clone(),
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
        let want = (p[a].shots.as_ref().unwrap().means["vmaf"][0]
            + p[b].shots.as_ref().unwrap().means["vmaf"][1])
            / 2.0;
        assert_eq!(s.quality(&p, title, c, "vmaf"), Some(want));
        assert_eq!(s.quality(&p, title, c, "vmaf_phone"), None);
    }
}

#[test]
fn forced_rungs_and_empty_ranges_are_refused() {
    let forced = Constraints {
        forced: vec![ForcedRung {
            kbps: 100.0,
            height: None,
        }],
        ..Constraints::default()
    };
    let e = run(&forced, ShotResolution::Fixed).err().unwrap();
    assert!(e.to_string().contains("--per-title-rungs"), "{e}");
    let none = Constraints {
        min_kbps: 5000.0,
        ..Constraints::default()
    };
    assert!(run(&none, ShotResolution::Fixed).is_err());
}
