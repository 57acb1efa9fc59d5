//! What shot-based encoding would save on a title, from the points of one `optimize --shots`
//! run: the BD-rate (PCHIP) of the shot ladder's hull (fixed: per-shot CRFs at one resolution
//! per rung; free: per-shot resolution and CRF) against the per-title hull of the same trial
//! encodes, and the 5th-percentile quality along each.
//!
//! ```sh
//! pertitle optimize montage_720p25.mp4 -o out/montage --shots
//! cargo run --release --example shot_gain -- out/montage/ladder.json [METRIC_KEY]
//! ```

use pertitle::ladder::bdrate::{Interpolation, compare};
use pertitle::ladder::hull::{RateQuality, upper_hull};
use pertitle::shots::ladder::{ShotResolution, shot_candidates};
use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(args.next().ok_or("usage: shot_gain LADDER.json [KEY]")?);
    let key = args.next().unwrap_or_else(|| "vmaf".into());
    let m = pertitle::Manifest::read(&path)?;
    let shots = m
        .shots
        .as_ref()
        .ok_or("not a shot-based run (optimize --shots)")?;
    let fps = m.source.frame_rate.fps();
    for ladder in &m.ladders {
        let points = &ladder.points;
        let title: Vec<RateQuality> = points
            .iter()
            .map(|p| RateQuality {
                kbps: p.bitrate_kbps,
                quality: p.pooling.get(&key).map_or(f64::NAN, |q| q.mean),
            })
            .collect();
        let hull: Vec<RateQuality> = upper_hull(&title).into_iter().map(|i| title[i]).collect();
        println!(
            "{} ({}): {} shots, {} points, per-title hull of {} points",
            path.display(),
            ladder.codec,
            shots.shots.len(),
            points.len(),
            hull.len()
        );
        for mode in [ShotResolution::Fixed, ShotResolution::Free] {
            let started = Instant::now();
            let cands = shot_candidates(points, &shots.shots, &key, fps, mode)?;
            let took = started.elapsed();
            let rq: Vec<RateQuality> = cands
                .iter()
                .map(|c| RateQuality {
                    kbps: c.kbps,
                    quality: c.quality,
                })
                .collect();
            let on: Vec<usize> = upper_hull(&rq);
            let curve: Vec<RateQuality> = on.iter().map(|&i| rq[i]).collect();
            let report = compare(&hull, &curve, Interpolation::Pchip)?;
            let p5: Vec<String> = on
                .iter()
                .map(|&i| {
                    format!(
                        "{:.0}:{:.1}/{:.1}",
                        cands[i].kbps, cands[i].quality, cands[i].p5
                    )
                })
                .collect();
            println!(
                "  {mode:5}: {} operating points ({} on the hull) in {:.1} ms; BD-rate {:+.2}%, BD-{key} {:+.3} over {:.1}-{:.1}",
                cands.len(),
                on.len(),
                took.as_secs_f64() * 1000.0,
                report.bd_rate_percent,
                report.bd_quality,
                report.quality_overlap[0],
                report.quality_overlap[1],
            );
            println!("         kbps:mean/p5 {}", p5.join(" "));
        }
    }
    Ok(())
}
