//! How well shot encodes between measured CRFs are estimated, from the points of one
//! `optimize --shots` run: every measured CRF with a measured neighbour on each side is left
//! out and estimated from the others ([`points_between`], PCHIP in CRF), shot by shot; the
//! estimate's bits and mean quality are compared with the measured encode's. For contrast, the
//! straight line in bitrate between the two neighbours (how per-title rungs between measured
//! CRFs are estimated) is read at the measured bits. Leaving a CRF out doubles the gap a
//! real estimate spans, so these errors are larger than a ladder's.
//!
//! ```sh
//! pertitle optimize montage_720p25.mp4 -o out/montage --shots
//! cargo run --release --example between_error -- out/montage/ladder.json [METRIC_KEY]
//! ```

use pertitle::Point;
use pertitle::shots::between::points_between;
use std::path::PathBuf;

/// Mean and mean absolute value.
fn summary(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    (
        v.iter().sum::<f64>() / n,
        v.iter().map(|x| x.abs()).sum::<f64>() / n,
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(
        args.next()
            .ok_or("usage: between_error LADDER.json [KEY]")?,
    );
    let key = args.next().unwrap_or_else(|| "vmaf".into());
    let m = pertitle::Manifest::read(&path)?;
    let list = m
        .shots
        .as_ref()
        .ok_or("not a shot-based run (optimize --shots)")?;
    let shots = &list.shots;
    let fps = m.source.frame_rate.fps();
    let frames = &m.segments.frames;
    for ladder in &m.ladders {
        let (mut bits, mut at_crf, mut pchip, mut chord) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let figures = |p: &Point, s: usize| -> Option<(f64, f64)> {
            let f = p.shots.as_ref()?;
            Some((f.sizes_bits[s] as f64, *f.means.get(&key)?.get(s)?))
        };
        for left in &ladder.points {
            let same: Vec<&Point> = ladder
                .points
                .iter()
                .filter(|p| (p.width, p.height) == (left.width, left.height))
                .collect();
            let below = same
                .iter()
                .filter(|p| p.crf < left.crf)
                .max_by(|a, b| a.crf.total_cmp(&b.crf));
            let above = same
                .iter()
                .filter(|p| p.crf > left.crf)
                .min_by(|a, b| a.crf.total_cmp(&b.crf));
            let (Some(lo), Some(hi)) = (below, above) else {
                continue;
            };
            let rest: Vec<Point> = same
                .iter()
                .filter(|p| p.crf != left.crf)
                .map(|p| (*p).clone())
                .collect();
            let Some(estimate) = points_between(&rest, frames, shots, fps)?
                .into_iter()
                .find(|p| p.crf == left.crf)
            else {
                continue;
            };
            for s in 0..shots.len() {
                let (Some((b, q)), Some((eb, eq)), Some((lb, lq)), Some((hb, hq))) = (
                    figures(left, s),
                    figures(&estimate, s),
                    figures(lo, s),
                    figures(hi, s),
                ) else {
                    continue;
                };
                bits.push(100.0 * (eb / b - 1.0));
                at_crf.push(eq - q);
                // Each estimate's quality at the measured encode's bits: PCHIP's along its own
                // curve (linear in log bits next to the estimate), the chord's between the
                // neighbours.
                let slope = (eq - lq) / (eb.ln() - lb.ln());
                pchip.push(eq + slope * (b.ln() - eb.ln()) - q);
                chord.push(lq + (hq - lq) * (b - lb) / (hb - lb) - q);
            }
        }
        let (bm, ba) = summary(&bits);
        let (pm, pa) = summary(&pchip);
        let (cm, ca) = summary(&chord);
        let (qm, qa) = summary(&at_crf);
        println!(
            "{} ({}): {} shot encodes left out; PCHIP at the CRF: bits {bm:+.2}% (mean abs {ba:.2}%), {key} {qm:+.3} (mean abs {qa:.3}); {key} at the measured bits: PCHIP {pm:+.3} (mean abs {pa:.3}), chord {cm:+.3} (mean abs {ca:.3})",
            path.display(),
            ladder.codec,
            bits.len()
        );
    }
    Ok(())
}
