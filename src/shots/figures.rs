//! Per-shot figures of a trial encode: its bits and every metric's mean over each shot, from
//! the same encode as the title's figures (its segments follow the shots, so each shot is a
//! run of whole segments).

use crate::error::{Error, Result};
use crate::measure::point::{segment_harmonic_means, segment_means};
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

    #[test]
    fn a_segment_across_a_cut_is_refused() {
        let s = shots(&[60, 40]);
        assert!(per_shot_sums(&[50, 50], &[1, 1], &s).is_err());
        assert!(per_shot_sums(&[60], &[1, 1], &s).is_err());
        // Segments past the last shot.
        assert!(per_shot_sums(&[60, 40, 5], &[1, 1, 1], &s).is_err());
    }
}
