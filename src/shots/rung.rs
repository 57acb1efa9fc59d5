//! A shot rung: a ladder rung whose shots each take one encode of a shot-based run, as an
//! operating point of the combined hull chose them
//! ([`ShotCandidate`](crate::shots::ladder::ShotCandidate)).
//!
//! Every segment lies inside one shot, and a shot's final encode is its trial encode bit for
//! bit (each shot has its own encoder, see [`crate::encode::encoder::ShotRates`]), so a rung
//! of trial encodes has their segment sizes and per-segment means: measured, not estimated.
//! (A shot taking an encode estimated between two measured CRFs,
//! [`points_between`](crate::shots::between::points_between), brings its estimates; the
//! ladder then marks the rung interpolated.) Its bitrate, peak and mean qualities follow exactly from them, and so do
//! its harmonic mean and minimum from the points' per-shot harmonic means and percentiles;
//! its 5th percentile is estimated from the shots' percentiles
//! ([`pooled_percentile`]). Points measured before those figures pool over segments instead
//! (each frame at its segment's mean). `pertitle package` measures them all on the final
//! encode.

use crate::error::{Error, Result};
use crate::measure::metrics::pool::Pooled;
use crate::measure::point::{Point, Rung, digits, round};
use crate::shots::Shot;
use crate::shots::combine::weighted_spread;
use crate::shots::figures::{ShotFigures, choice_spread, segment_shots};
use crate::shots::ladder::ShotCandidate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One shot's encode in a shot rung.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ShotSetting {
    /// Encoded width, pixels.
    pub width: u32,
    /// Encoded height, pixels.
    pub height: u32,
    /// The codec's constant-quality value.
    pub crf: f64,
}

impl Rung {
    /// The rung of shot-ladder operating point `c` over `points` (each shot taking
    /// `points[c.points[s]]`), the title cut into `shots` and into segments of
    /// `segment_frames` frames lasting `segment_durations_s` seconds.
    pub fn from_shots(
        points: &[Point],
        c: &ShotCandidate,
        shots: &[Shot],
        segment_frames: &[u64],
        segment_durations_s: &[f64],
    ) -> Result<Self> {
        let bad = |why: String| Error::Ladder(format!("shot rung: {why}"));
        if c.points.len() != shots.len() || segment_frames.len() != segment_durations_s.len() {
            return Err(bad(format!(
                "{} shots chosen for a title of {} shots, {} segments of {} durations",
                c.points.len(),
                shots.len(),
                segment_frames.len(),
                segment_durations_s.len()
            )));
        }
        let chosen = |s: usize| -> Result<&Point> {
            points
                .get(c.points[s])
                .ok_or_else(|| bad(format!("point {} of {}", c.points[s], points.len())))
        };
        let in_shot = segment_shots(segment_frames, shots)?;
        let segments = segment_frames.len();
        for s in 0..shots.len() {
            let p = chosen(s)?;
            if p.segment_sizes_bits.len() != segments {
                return Err(bad(format!(
                    "the {}x{} CRF {} point has {} segment sizes, the title {segments} segments",
                    p.width,
                    p.height,
                    p.crf,
                    p.segment_sizes_bits.len()
                )));
            }
        }
        let segment_sizes_bits: Vec<u64> = in_shot
            .iter()
            .enumerate()
            .map(|(k, &s)| Ok(chosen(s)?.segment_sizes_bits[k]))
            .collect::<Result<_>>()?;
        // Every metric every chosen point has per segment.
        let first = chosen(0)?;
        let mut segment_means: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for key in first.segment_means.keys() {
            let values: Option<Vec<f64>> = in_shot
                .iter()
                .enumerate()
                .map(|(k, &s)| {
                    chosen(s)
                        .ok()?
                        .segment_means
                        .get(key)
                        .and_then(|v| v.get(k).copied())
                })
                .collect();
            if let Some(v) = values {
                segment_means.insert(key.clone(), v);
            }
        }
        let frames: u64 = segment_frames.iter().sum();
        let chosen_points: Vec<&Point> = (0..shots.len()).map(chosen).collect::<Result<_>>()?;
        let chosen_figures: Option<Vec<&ShotFigures>> =
            chosen_points.iter().map(|p| p.shots.as_ref()).collect();
        let pooling: BTreeMap<String, Pooled> = segment_means
            .iter()
            .map(|(key, means)| {
                let weighted: Vec<(f64, u64)> = means
                    .iter()
                    .copied()
                    .zip(segment_frames.iter().copied())
                    .collect();
                let mean =
                    weighted.iter().map(|&(q, f)| q * f as f64).sum::<f64>() / frames.max(1) as f64;
                // Each frame at its segment's mean, unless the shots' own figures say better.
                let (harmonic_mean, p5, min) = weighted_spread(&weighted);
                let exact = chosen_figures
                    .as_ref()
                    .map(|f| choice_spread(f, shots, key));
                let harmonic_mean = exact.and_then(|e| e.harmonic_mean).unwrap_or(harmonic_mean);
                let p5 = exact.and_then(|e| e.p5).unwrap_or(p5);
                let min = exact.and_then(|e| e.min).unwrap_or(min);
                let d = digits(key);
                let pooled = Pooled {
                    mean: round(mean, d),
                    harmonic_mean: round(harmonic_mean, d),
                    min: round(min, d),
                    min_frame: None,
                    p5: round(p5, d),
                };
                (key.clone(), pooled)
            })
            .collect();
        let duration_s: f64 = segment_durations_s.iter().sum();
        let bits: u64 = segment_sizes_bits.iter().sum();
        let peak = segment_sizes_bits
            .iter()
            .zip(segment_durations_s)
            .filter(|(_, d)| **d > 0.0)
            .map(|(&b, &d)| b as f64 / d / 1000.0)
            .fold(0.0, f64::max);
        let settings: Vec<ShotSetting> = (0..shots.len())
            .map(|s| {
                let p = chosen(s)?;
                Ok(ShotSetting {
                    width: p.width,
                    height: p.height,
                    crf: p.crf,
                })
            })
            .collect::<Result<_>>()?;
        let crf = settings
            .iter()
            .zip(shots)
            .map(|(x, s)| x.crf * s.frames as f64)
            .sum::<f64>()
            / shots.iter().map(|s| s.frames).sum::<u64>().max(1) as f64;
        let largest = (0..shots.len())
            .filter_map(|s| chosen(s).ok())
            .max_by_key(|p| (p.height, p.width))
            .unwrap_or(first);
        let mean = |k: &str| pooling.get(k).map_or(f64::NAN, |p| p.mean);
        Ok(Rung {
            width: largest.width,
            height: largest.height,
            crf: round(crf, 2),
            bitrate_kbps: round(bits as f64 / duration_s / 1000.0, 3),
            peak_kbps: round(peak, 3),
            psnr_y: mean("psnr_y"),
            psnr_yuv: mean("psnr_yuv"),
            ssim_y: mean("ssim_y"),
            vmaf: pooling.get("vmaf").map(|p| p.mean),
            pooling,
            segment_sizes_bits,
            segment_means,
            interpolated: false,
            proxy_estimate: false,
            sampled: false,
            codecs: largest.codecs.clone(),
            shots: settings,
        })
    }

    /// Whether it is a shot rung (each shot with its own encode).
    pub fn is_shot_rung(&self) -> bool {
        !self.shots.is_empty()
    }
}

#[cfg(test)]
mod tests;
