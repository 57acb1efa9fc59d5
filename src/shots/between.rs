//! Shot encodes between measured CRFs: for each resolution of a shot-based run, a point at
//! every whole CRF strictly between two measured ones, its figures per shot read off curves
//! through the resolution's measured points.
//!
//! A shot rung may give each shot any CRF, yet the trial grid measures a few (every 4th, say).
//! Between two of them a shot's encode is estimated the way the per-title rungs' are, but per
//! shot, and on a curve that follows the measured ones: each figure (the logarithm of each
//! segment's size, each metric's mean, harmonic mean and percentiles per shot and per
//! segment, the title's pooled figures) is interpolated in CRF by PCHIP (monotone piecewise
//! cubic) through every measured CRF of the resolution. A straight line in bitrate between
//! two measured encodes (the per-title rungs' estimate) lies under the real curve, which is
//! concave: on the x264 montage, leaving out every other measured CRF, the chord misses the
//! left-out encode's mean VMAF at its bitrate by -3.4 points on average, a straight line in
//! CRF by -1.2, PCHIP in CRF by -0.13 (its bits by +0.3%).
//!
//! A shot's size is the sum of its segments' estimated sizes (segments lie inside shots), so
//! the shot and segment figures of a point agree as a measured point's do. These points are
//! estimates: a rung taking one is an interpolated rung, which `pertitle package` encodes and
//! measures.

use crate::error::Result;
use crate::ladder::bdrate::Hermite;
use crate::measure::metrics::pool::Pooled;
use crate::measure::point::{Point, digits, round};
use crate::shots::Shot;
use crate::shots::figures::{ShotFigures, per_shot_sums};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// The points at every whole CRF strictly between two measured CRFs of one resolution of
/// `points` (a shot-based run's, with figures per shot on `shots`, in segments of
/// `segment_frames` frames, at `frame_rate` frames per second), by resolution and CRF. A resolution gets none unless at least
/// two of its points, at distinct CRFs, have per-shot figures for every shot and sizes for
/// every segment; a figure missing from any of them is missing from its points between.
pub fn points_between(
    points: &[Point],
    segment_frames: &[u64],
    shots: &[Shot],
    frame_rate: f64,
) -> Result<Vec<Point>> {
    let mut sizes: Vec<(u32, u32)> = points.iter().map(|p| (p.width, p.height)).collect();
    sizes.sort_by_key(|&(w, h)| (h, w));
    sizes.dedup();
    // Resolution by resolution, on both cores.
    let per_size: Vec<Vec<Point>> = sizes
        .into_par_iter()
        .map(|(width, height)| -> Result<Vec<Point>> {
            let mut curve: Vec<&Point> = points
                .iter()
                .filter(|p| (p.width, p.height) == (width, height) && p.crf.is_finite())
                .filter(|p| {
                    p.segment_sizes_bits.len() == segment_frames.len()
                        && p.shots
                            .as_ref()
                            .is_some_and(|f| f.sizes_bits.len() == shots.len())
                })
                .collect();
            curve.sort_by(|a, b| a.crf.total_cmp(&b.crf));
            curve.dedup_by(|b, a| a.crf == b.crf);
            if curve.len() < 2 {
                return Ok(Vec::new());
            }
            let crfs: Vec<f64> = curve.iter().map(|p| p.crf).collect();
            let wanted: Vec<f64> = crfs
                .windows(2)
                .flat_map(|w| (w[0].floor() as i64 + 1..w[1].ceil() as i64).map(|c| c as f64))
                .filter(|&c| c > crfs[0] && c < crfs[crfs.len() - 1] && !crfs.contains(&c))
                .collect();
            if wanted.is_empty() {
                return Ok(Vec::new());
            }
            let between = Curves::new(&curve, &crfs);
            wanted
                .into_iter()
                .map(|crf| between.at(crf, segment_frames, shots, frame_rate))
                .collect()
        })
        .collect::<Result<_>>()?;
    Ok(per_size.into_iter().flatten().collect())
}

/// PCHIP in CRF through the values `y(p)` of the curve's points; `None` when a point lacks
/// one or it is not finite.
fn fit(crfs: &[f64], curve: &[&Point], y: impl Fn(&Point) -> Option<f64>) -> Option<Hermite> {
    let ys: Vec<f64> = curve
        .iter()
        .map(|p| y(p).filter(|v| v.is_finite()))
        .collect::<Option<_>>()?;
    Some(Hermite::pchip(crfs, &ys))
}

/// Per-item curves of a map of vectors (a metric's value per shot or per segment).
fn fit_each(
    crfs: &[f64],
    curve: &[&Point],
    len: usize,
    y: impl Fn(&Point, usize) -> Option<f64>,
) -> Option<Vec<Hermite>> {
    (0..len).map(|k| fit(crfs, curve, |p| y(p, k))).collect()
}

/// Every figure of one resolution's points as a curve in CRF.
struct Curves<'a> {
    first: &'a Point,
    /// The logarithm of each segment's size.
    segment_bits: Vec<Hermite>,
    /// Each metric's mean per segment.
    segment_means: BTreeMap<String, Vec<Hermite>>,
    /// Each metric's mean, harmonic mean and percentiles (one curve per level) per shot.
    shot_means: BTreeMap<String, Vec<Hermite>>,
    shot_harmonic_means: BTreeMap<String, Vec<Hermite>>,
    shot_percentiles: BTreeMap<String, Vec<Vec<Hermite>>>,
    /// The title's pooled figures: mean, harmonic mean, minimum and 5th percentile.
    pooling: BTreeMap<String, [Hermite; 4]>,
    /// Luma PSNR, (6Y + U + V) / 8 PSNR and luma SSIM means.
    headline: [Option<Hermite>; 3],
}

impl<'a> Curves<'a> {
    fn new(curve: &[&'a Point], crfs: &[f64]) -> Self {
        let first = curve[0];
        let segments = first.segment_sizes_bits.len();
        let figures = |p: &'a Point| p.shots.as_ref();
        let shot_count = figures(first).map_or(0, |f| f.sizes_bits.len());
        let segment_bits = fit_each(crfs, curve, segments, |p, k| {
            Some((p.segment_sizes_bits[k].max(1) as f64).ln())
        })
        .unwrap_or_default();
        let segment_means = first
            .segment_means
            .keys()
            .filter_map(|key| {
                let c = fit_each(crfs, curve, segments, |p, k| {
                    p.segment_means.get(key)?.get(k).copied()
                })?;
                Some((key.clone(), c))
            })
            .collect();
        let per_shot = |map: fn(&ShotFigures) -> &BTreeMap<String, Vec<f64>>| {
            figures(first)
                .map(|f| map(f).keys().cloned().collect::<Vec<_>>())
                .unwrap_or_default()
                .into_iter()
                .filter_map(|key| {
                    let c = fit_each(crfs, curve, shot_count, |p, s| {
                        map(p.shots.as_ref()?).get(&key)?.get(s).copied()
                    })?;
                    Some((key, c))
                })
                .collect::<BTreeMap<_, _>>()
        };
        let shot_means = per_shot(|f| &f.means);
        let shot_harmonic_means = per_shot(|f| &f.harmonic_means);
        let levels = crate::shots::figures::PERCENTILE_LEVELS.len();
        let shot_percentiles = figures(first)
            .map(|f| f.percentiles.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|key| {
                let c = (0..shot_count)
                    .map(|s| {
                        fit_each(crfs, curve, levels, |p, l| {
                            p.shots
                                .as_ref()?
                                .percentiles
                                .get(&key)?
                                .get(s)?
                                .get(l)
                                .copied()
                        })
                    })
                    .collect::<Option<Vec<_>>>()?;
                Some((key, c))
            })
            .collect();
        let pooling = first
            .pooling
            .keys()
            .filter_map(|key| {
                let get =
                    |f: fn(&Pooled) -> f64| fit(crfs, curve, |p| Some(f(p.pooling.get(key)?)));
                Some((
                    key.clone(),
                    [
                        get(|p| p.mean)?,
                        get(|p| p.harmonic_mean)?,
                        get(|p| p.min)?,
                        get(|p| p.p5)?,
                    ],
                ))
            })
            .collect();
        let headline = [
            fit(crfs, curve, |p| Some(p.psnr_y)),
            fit(crfs, curve, |p| Some(p.psnr_yuv)),
            fit(crfs, curve, |p| Some(p.ssim_y)),
        ];
        Curves {
            first,
            segment_bits,
            segment_means,
            shot_means,
            shot_harmonic_means,
            shot_percentiles,
            pooling,
            headline,
        }
    }

    /// The point at `crf`.
    fn at(
        &self,
        crf: f64,
        segment_frames: &[u64],
        shots: &[Shot],
        frame_rate: f64,
    ) -> Result<Point> {
        let rounded = |key: &str, v: f64| round(v, digits(key));
        let each = |map: &BTreeMap<String, Vec<Hermite>>| -> BTreeMap<String, Vec<f64>> {
            map.iter()
                .map(|(k, c)| {
                    (
                        k.clone(),
                        c.iter().map(|h| rounded(k, h.eval(crf))).collect(),
                    )
                })
                .collect()
        };
        let segment_sizes_bits: Vec<u64> = self
            .segment_bits
            .iter()
            .map(|h| h.eval(crf).exp().round() as u64)
            .collect();
        let sizes_bits = per_shot_sums(segment_frames, &segment_sizes_bits, shots)?;
        let percentiles = self
            .shot_percentiles
            .iter()
            .map(|(k, per_shot)| {
                let v = per_shot
                    .iter()
                    .map(|levels| {
                        // Curves of neighbouring levels may cross between measured CRFs:
                        // keep the levels in order.
                        let mut below = f64::NEG_INFINITY;
                        levels
                            .iter()
                            .map(|h| {
                                below = below.max(rounded(k, h.eval(crf)));
                                below
                            })
                            .collect()
                    })
                    .collect();
                (k.clone(), v)
            })
            .collect();
        let pooling: BTreeMap<String, Pooled> = self
            .pooling
            .iter()
            .map(|(k, [mean, harmonic, min, p5])| {
                let mean = rounded(k, mean.eval(crf));
                let p5 = rounded(k, p5.eval(crf));
                let min = rounded(k, min.eval(crf)).min(p5);
                let pooled = Pooled {
                    mean,
                    harmonic_mean: rounded(k, harmonic.eval(crf)).min(mean),
                    min,
                    min_frame: None,
                    p5,
                };
                (k.clone(), pooled)
            })
            .collect();
        let headline = |i: usize, key: &str| {
            self.headline[i]
                .as_ref()
                .map_or(f64::NAN, |h| rounded(key, h.eval(crf)))
        };
        let frames: u64 = segment_frames.iter().sum();
        let seconds = frames.max(1) as f64 / frame_rate;
        let bits: u64 = segment_sizes_bits.iter().sum();
        Ok(Point {
            width: self.first.width,
            height: self.first.height,
            crf,
            bitrate_kbps: round(bits as f64 / seconds / 1000.0, 3),
            psnr_y: headline(0, "psnr_y"),
            psnr_yuv: headline(1, "psnr_yuv"),
            ssim_y: headline(2, "ssim_y"),
            vmaf: pooling.get("vmaf").map(|p| p.mean),
            pooling,
            segment_means: each(&self.segment_means),
            shots: Some(ShotFigures {
                sizes_bits,
                means: each(&self.shot_means),
                harmonic_means: each(&self.shot_harmonic_means),
                percentiles,
            }),
            segment_sizes_bits,
            on_hull: false,
            codecs: self.first.codecs.clone(),
        })
    }
}

#[cfg(test)]
mod tests;
