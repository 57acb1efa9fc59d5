//! Per-shot figures of a trial encode: its bits and every metric's mean over each shot, from
//! the same encode as the title's figures (its segments follow the shots, so each shot is a
//! run of whole segments).

use crate::error::{Error, Result};
use crate::measure::point::{segment_harmonic_means, segment_means, segment_percentiles};
use crate::measure::trial::TrialResult;
use crate::shots::Shot;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One encode's figures per shot, in the order of the title's shots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShotFigures {
    /// Encoded size of each shot, bits.
    pub sizes_bits: Vec<u64>,
    /// Every measured metric's mean over each shot's frames (rounded as the manifest's
    /// segment means are).
    pub means: BTreeMap<String, Vec<f64>>,
    /// Every measured metric's harmonic mean over each shot's frames, as libvmaf pools it
    /// (`n / sum(1 / (x + 1)) - 1`): what harmonic shot pooling combines (absent in
    /// manifests written before it).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub harmonic_means: BTreeMap<String, Vec<f64>>,
    /// The percentiles over each shot's frames of every metric a ladder may be judged on
    /// (luma PSNR, SSIM, VMAF and the device classes'), at [`PERCENTILE_LEVELS`] (minimum, 5th, 10th, 25th, median, 75th, maximum; empty for a
    /// shot with no scored frame): how a combination's worst frames are estimated
    /// ([`pooled_percentile`]); absent in manifests written before them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub percentiles: BTreeMap<String, Vec<Vec<f64>>>,
}

/// Whether a ladder may be judged on metric `key` (luma PSNR, SSIM, VMAF and the device
/// classes' VMAF): the metrics whose percentiles per shot are kept, seven numbers per shot
/// and point each.
fn is_quality_axis(key: &str) -> bool {
    key == "psnr_y" || key == "ssim_y" || key.starts_with("vmaf")
}

/// The levels, percent, of [`ShotFigures::percentiles`].
pub const PERCENTILE_LEVELS: [f64; 7] = [0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0];

/// The `p`th percentile over the frames of several shots, each given by its percentiles at
/// [`PERCENTILE_LEVELS`] and its frame count: each shot's frames are taken as spread linearly
/// between its percentiles, and the pooled distribution is cut at `p` percent of all frames
/// (to 1e-9 of the quality range). `None` without frames or with a shot's percentiles
/// missing.
pub fn pooled_percentile(shots: &[(&[f64], u64)], p: f64) -> Option<f64> {
    let total: u64 = shots.iter().map(|s| s.1).sum();
    let levels = PERCENTILE_LEVELS;
    let shots: Vec<&(&[f64], u64)> = shots.iter().filter(|s| s.1 > 0).collect();
    let usable = |q: &[f64]| q.len() == levels.len() && q.iter().all(|x| x.is_finite());
    if total == 0 || !shots.iter().all(|(q, _)| usable(q)) {
        return None;
    }
    // The share of a shot's frames at or below `t`.
    let share = |q: &[f64], t: f64| -> f64 {
        if t < q[0] {
            return 0.0;
        }
        if t >= q[q.len() - 1] {
            return 1.0;
        }
        let j = q.partition_point(|&x| x <= t) - 1;
        let (a, b) = (q[j], q[j + 1]);
        let within = if b > a { (t - a) / (b - a) } else { 1.0 };
        (levels[j] + (levels[j + 1] - levels[j]) * within) / 100.0
    };
    // A shot's own `p`th percentile: where its share reaches p percent.
    let own = |q: &[f64]| -> f64 {
        let j = levels
            .partition_point(|&l| l < p)
            .clamp(1, levels.len() - 1);
        let (a, b) = (levels[j - 1], levels[j]);
        q[j - 1] + (q[j] - q[j - 1]) * ((p - a) / (b - a)).clamp(0.0, 1.0)
    };
    let target = p / 100.0;
    let full_lo = shots
        .iter()
        .map(|(q, _)| q[0])
        .fold(f64::INFINITY, f64::min);
    let full_hi = shots
        .iter()
        .map(|(q, _)| q[q.len() - 1])
        .fold(f64::NEG_INFINITY, f64::max);
    if !(full_lo.is_finite() && full_hi.is_finite()) {
        return None;
    }
    // The shots whose share may still change inside the bracket, and the frames of those at
    // or below all of it (share 1): a title's 5th percentile lies in its worst shots' tails,
    // so few shots stay once the bracket is known.
    let mut active: Vec<(&[f64], f64)> = shots.iter().map(|(q, f)| (*q, *f as f64)).collect();
    let mut settled = 0.0;
    let below = |active: &[(&[f64], f64)], settled: f64, t: f64| -> f64 {
        (settled + active.iter().map(|(q, f)| share(q, t) * f).sum::<f64>()) / total as f64
    };
    let mut lo = full_lo;
    if below(&active, settled, lo) >= target {
        return Some(lo);
    }
    // Every shot has its `p` percent at or below its own percentile, so the title has too at
    // the highest of them.
    let mut hi = active
        .iter()
        .map(|(q, _)| own(q))
        .fold(f64::NEG_INFINITY, f64::max)
        .clamp(lo, full_hi);
    let narrow = |active: &mut Vec<(&[f64], f64)>, settled: &mut f64, lo: f64, hi: f64| {
        active.retain(|(q, f)| {
            if q[q.len() - 1] <= lo {
                *settled += f;
                return false;
            }
            q[0] <= hi
        });
    };
    narrow(&mut active, &mut settled, lo, hi);
    // The share below is piecewise linear in the quality: false position (Illinois) finds the
    // cut in a few steps, and a halving whenever a step shrinks the bracket by less than half
    // keeps the worst case to twice bisection's.
    let tolerance = 1e-9 * (full_hi - full_lo).max(1e-12);
    let (mut f_lo, mut f_hi) = (
        below(&active, settled, lo) - target,
        below(&active, settled, hi) - target,
    );
    let mut kept_lo_last = None;
    while hi - lo > tolerance {
        let width = hi - lo;
        let mut mid = lo - f_lo * width / (f_hi - f_lo);
        if !(mid > lo && mid < hi) {
            mid = 0.5 * (lo + hi);
        }
        let f = below(&active, settled, mid) - target;
        if f >= 0.0 {
            (hi, f_hi) = (mid, f);
            if kept_lo_last == Some(true) {
                f_lo *= 0.5;
            }
            kept_lo_last = Some(true);
        } else {
            (lo, f_lo) = (mid, f);
            if kept_lo_last == Some(false) {
                f_hi *= 0.5;
            }
            kept_lo_last = Some(false);
        }
        if hi - lo > 0.5 * width {
            let mid = 0.5 * (lo + hi);
            let f = below(&active, settled, mid) - target;
            if f >= 0.0 {
                (hi, f_hi) = (mid, f);
            } else {
                (lo, f_lo) = (mid, f);
            }
        }
        narrow(&mut active, &mut settled, lo, hi);
    }
    Some(hi)
}

/// A choice of one encode per shot, pooled over the title's frames from each shot's own
/// figures: what a shot rung's worst frames are, wherever a choice is judged (the operating
/// points, the per-title encodes the guard compares with, the rungs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChoiceSpread {
    /// The harmonic mean over frames as libvmaf pools it, exact from each shot's own harmonic
    /// mean (the sum of `1 / (q + 1)` splits over shots); `None` when a shot lacks it.
    pub harmonic_mean: Option<f64>,
    /// The 5th percentile over frames, estimated from each shot's percentiles
    /// ([`pooled_percentile`]); `None` when a shot lacks them.
    pub p5: Option<f64>,
    /// The worst frame: the lowest of the shots' minimums; `None` when a shot lacks them.
    pub min: Option<f64>,
}

/// The spread over frames on metric `key` of the choice `chosen` (`chosen[s]`: the figures of
/// the encode shot `s` takes, over every shot of the title) on `shots`.
pub fn choice_spread(chosen: &[&ShotFigures], shots: &[Shot], key: &str) -> ChoiceSpread {
    let frames: u64 = shots.iter().map(|s| s.frames).sum();
    let harmonic_mean = (|| {
        let mut inverse = 0.0;
        for (s, (f, shot)) in chosen.iter().zip(shots).enumerate() {
            inverse += shot.frames as f64 / (*f.harmonic_means.get(key)?.get(s)? + 1.0);
        }
        (frames > 0 && chosen.len() == shots.len()).then(|| frames as f64 / inverse - 1.0)
    })();
    let spread: Option<Vec<(&[f64], u64)>> = (chosen.len() == shots.len())
        .then(|| {
            chosen
                .iter()
                .zip(shots)
                .enumerate()
                .map(|(s, (f, shot))| {
                    Some((f.percentiles.get(key)?.get(s)?.as_slice(), shot.frames))
                })
                .collect()
        })
        .flatten();
    let p5 = spread.as_ref().and_then(|q| pooled_percentile(q, 5.0));
    let min = spread.as_ref().and_then(|q| {
        q.iter()
            .filter(|(_, f)| *f > 0)
            .map(|(q, _)| q.first().copied())
            .try_fold(f64::INFINITY, |m, x| Some(m.min(x?)))
            .filter(|m| m.is_finite())
    });
    ChoiceSpread {
        harmonic_mean: harmonic_mean.filter(|h| h.is_finite()),
        p5,
        min,
    }
}

impl ShotFigures {
    /// The figures of trial `t` over `shots`, its segments holding `segment_frames` frames
    /// each. Fails if a segment crosses a shot start (the encode did not follow the shots).
    pub fn of_trial(t: &TrialResult, segment_frames: &[u64], shots: &[Shot]) -> Result<Self> {
        let sizes_bits = per_shot_sums(segment_frames, &t.segment_bits, shots)?;
        let shot_frames: Vec<u64> = shots.iter().map(|s| s.frames).collect();
        Ok(ShotFigures {
            sizes_bits,
            means: segment_means(&t.series, &shot_frames),
            harmonic_means: segment_harmonic_means(&t.series, &shot_frames),
            percentiles: segment_percentiles(&t.series, &shot_frames, &PERCENTILE_LEVELS)
                .into_iter()
                .filter(|(key, _)| is_quality_axis(key))
                .collect(),
        })
    }
}

/// Each shot's sum of the per-segment `values` (segments of `segment_frames` frames in
/// order), for segments that follow `shots`.
pub fn per_shot_sums(segment_frames: &[u64], values: &[u64], shots: &[Shot]) -> Result<Vec<u64>> {
    if segment_frames.len() != values.len() {
        return Err(Error::Internal(format!(
            "{} segments but {} segment sizes",
            segment_frames.len(),
            values.len()
        )));
    }
    let mut sums = vec![0u64; shots.len()];
    for (s, &v) in segment_shots(segment_frames, shots)?
        .into_iter()
        .zip(values)
    {
        sums[s] += v;
    }
    Ok(sums)
}

/// The shot each segment lies in (segments of `segment_frames` frames in order); fails if a
/// segment crosses a shot start.
pub fn segment_shots(segment_frames: &[u64], shots: &[Shot]) -> Result<Vec<usize>> {
    let mut out = Vec::with_capacity(segment_frames.len());
    let mut shot = 0usize;
    let mut start = 0u64;
    for &n in segment_frames {
        while shot < shots.len() && start >= shots[shot].end_frame() {
            shot += 1;
        }
        match shots.get(shot) {
            Some(s) if start >= s.start_frame && start + n <= s.end_frame() => out.push(shot),
            _ => {
                return Err(Error::Internal(format!(
                    "the segment of frames {start}..{} does not lie inside one shot",
                    start + n
                )));
            }
        }
        start += n;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shots(lengths: &[u64]) -> Vec<Shot> {
        let mut at = 0;
        lengths
            .iter()
            .map(|&n| {
                let s = Shot {
                    start_frame: at,
                    frames: n,
                };
                at += n;
                s
            })
            .collect()
    }

    #[test]
    fn segments_add_up_per_shot() {
        let s = shots(&[63, 250, 10]);
        let sums = per_shot_sums(&[63, 83, 83, 84, 10], &[5, 1, 2, 3, 7], &s).unwrap();
        assert_eq!(sums, [5, 6, 7]);
    }

    /// Against brute force: shots of frames spread evenly between their percentiles pool
    /// to the percentile of all their frames.
    #[test]
    fn pooled_percentile_of_evenly_spread_shots() {
        use crate::measure::metrics::pool::percentile;
        // Shots whose frames are evenly spaced from lo to hi: their percentiles lie on a line,
        // so the linear spread is exact up to the frames' spacing.
        let shot = |lo: f64, hi: f64, n: usize| -> Vec<f64> {
            (0..n)
                .map(|i| lo + (hi - lo) * i as f64 / (n - 1) as f64)
                .collect()
        };
        let frames = [
            shot(20.0, 60.0, 2001),
            shot(50.0, 90.0, 4001),
            shot(85.0, 99.0, 1001),
        ];
        let quantiles: Vec<Vec<f64>> = frames
            .iter()
            .map(|f| {
                PERCENTILE_LEVELS
                    .iter()
                    .map(|&p| percentile(f, p))
                    .collect()
            })
            .collect();
        let given: Vec<(&[f64], u64)> = quantiles
            .iter()
            .zip(&frames)
            .map(|(q, f)| (q.as_slice(), f.len() as u64))
            .collect();
        let mut all: Vec<f64> = frames.concat();
        all.sort_by(f64::total_cmp);
        for p in [0.0, 1.0, 5.0, 10.0, 25.0, 50.0, 90.0, 100.0] {
            let estimate = pooled_percentile(&given, p).unwrap();
            assert!(
                (estimate - percentile(&all, p)).abs() < 0.02,
                "p{p}: {estimate} vs {}",
                percentile(&all, p)
            );
        }
        // One shot: its own percentiles back.
        for (k, &p) in PERCENTILE_LEVELS.iter().enumerate() {
            let one = pooled_percentile(&given[..1], p).unwrap();
            assert!((one - quantiles[0][k]).abs() < 1e-6, "{p}");
        }
        // A shot of one quality throughout.
        let flat = [40.0; 7];
        assert_eq!(pooled_percentile(&[(&flat, 10)], 5.0), Some(40.0));
        assert_eq!(pooled_percentile(&[(&flat[..3], 10)], 5.0), None);
        assert_eq!(pooled_percentile(&[(&[f64::NAN; 7], 10)], 5.0), None);
        // A shot without frames counts for nothing, whatever its percentiles.
        assert_eq!(pooled_percentile(&[(&flat, 10), (&[], 0)], 5.0), Some(40.0));
        assert_eq!(pooled_percentile(&[], 5.0), None);
    }

    #[test]
    fn a_segment_across_a_cut_is_refused() {
        let s = shots(&[60, 40]);
        assert!(per_shot_sums(&[50, 50], &[1, 1], &s).is_err());
        assert!(per_shot_sums(&[60], &[1, 1], &s).is_err());
        // Segments past the last shot.
        assert!(per_shot_sums(&[60, 40, 5], &[1, 1, 1], &s).is_err());
    }
}
