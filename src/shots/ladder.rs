//! The operating points of a shot-based ladder: every vertex of the title's combined hull,
//! each a choice of one trial encode per shot, from the points of a shot-based run.
//!
//! Each point of the run (a resolution and CRF over the whole title) has its bits and quality
//! per shot ([`ShotFigures`](crate::shots::figures::ShotFigures)). A shot's candidates are the
//! points' figures on it; [`combine`](crate::shots::combine) merges the shots' hulls at one
//! slope. With [`ShotResolution::Fixed`] each resolution gets its own combined hull (every
//! shot of a rung at the rung's size, per-shot CRFs); with [`ShotResolution::Free`] one hull
//! over every point, where each shot also chooses its size and the rung declares the largest.

use crate::error::{Error, Result};
use crate::measure::point::Point;
use crate::shots::Shot;
use crate::shots::combine::{
    Combination, CombineOptions, ShotPoint, combined_hull, shot_hulls, weighted_spread,
};
use crate::shots::figures::pooled_percentile;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Whether the shots of a rung share its resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShotResolution {
    /// One resolution per rung; each shot chooses its CRF.
    #[default]
    Fixed,
    /// Each shot chooses its resolution and CRF; the rung declares the largest size.
    Free,
}

impl FromStr for ShotResolution {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "fixed" => Ok(ShotResolution::Fixed),
            "free" => Ok(ShotResolution::Free),
            other => Err(format!(
                "{other:?} is not a shot resolution mode (fixed or free)"
            )),
        }
    }
}

impl std::fmt::Display for ShotResolution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ShotResolution::Fixed => "fixed",
            ShotResolution::Free => "free",
        })
    }
}

/// One operating point of a shot-based ladder: a vertex of a combined hull.
#[derive(Debug, Clone, PartialEq)]
pub struct ShotCandidate {
    /// The largest frame among the shots' choices (the size playlists declare).
    pub width: u32,
    /// Its height.
    pub height: u32,
    /// The title's bitrate: the chosen encodes' bits over the title's duration, kbit/s.
    pub kbps: f64,
    /// The frame-weighted mean of the shots' qualities.
    pub quality: f64,
    /// The frame-weighted harmonic mean (libvmaf's), each frame at its shot's quality.
    pub harmonic_mean: f64,
    /// The 5th percentile over frames, from each shot's percentiles
    /// ([`pooled_percentile`]), or, for points measured without them, each frame at its
    /// shot's mean.
    pub p5: f64,
    /// The worst shot's quality.
    pub min: f64,
    /// The slopes (quality per kbit/s) at which it is optimal, lowest and highest (`[0, 0]`
    /// for a [`uniform`](Self::uniform) one, which is not a vertex).
    pub slope: [f64; 2],
    /// For each shot, the index in `points` of the trial encode it takes.
    pub points: Vec<usize>,
}

impl ShotCandidate {
    /// Every shot taking `points[i]`: the per-title encode, as an operating point of the shot
    /// ladder, its figures computed as a vertex's are (quality `key`, at `frame_rate` frames
    /// per second). `None` when the point lacks per-shot figures for `shots`.
    pub fn uniform(
        points: &[Point],
        i: usize,
        shots: &[Shot],
        key: &str,
        frame_rate: f64,
    ) -> Option<ShotCandidate> {
        let p = points.get(i)?;
        let figures = p.shots.as_ref()?;
        let means = figures.means.get(key)?;
        if figures.sizes_bits.len() != shots.len() || means.len() != shots.len() {
            return None;
        }
        let frames: u64 = shots.iter().map(|s| s.frames).sum();
        if frames == 0 {
            return None;
        }
        let bits: f64 = figures.sizes_bits.iter().map(|&b| b as f64).sum();
        let qualities: Vec<(f64, u64)> = means
            .iter()
            .copied()
            .zip(shots.iter().map(|s| s.frames))
            .collect();
        let (spread_harmonic, spread_p5, min) = weighted_spread(&qualities);
        let harmonic_mean = figures
            .harmonic_means
            .get(key)
            .filter(|h| h.len() == shots.len())
            .map(|h| {
                let inverse: f64 = h
                    .iter()
                    .zip(shots)
                    .map(|(q, s)| s.frames as f64 / (q + 1.0))
                    .sum();
                frames as f64 / inverse - 1.0
            })
            .unwrap_or(spread_harmonic);
        let spread: Option<Vec<(&[f64], u64)>> = figures.percentiles.get(key).and_then(|q| {
            shots
                .iter()
                .enumerate()
                .map(|(s, shot)| Some((q.get(s)?.as_slice(), shot.frames)))
                .collect()
        });
        let p5 = spread
            .and_then(|spread| pooled_percentile(&spread, 5.0))
            .unwrap_or(spread_p5);
        Some(ShotCandidate {
            width: p.width,
            height: p.height,
            kbps: bits * frame_rate / frames as f64 / 1000.0,
            quality: raw_mean(&qualities, frames),
            harmonic_mean,
            p5,
            min,
            slope: [0.0, 0.0],
            points: vec![i; shots.len()],
        })
    }
}

/// Every operating point of the shot ladder over `points` (each with figures per shot on
/// `shots`), judged by the quality `key` (a key of the points' `shots.means`, such as `vmaf`),
/// cheapest first (fixed mode: by resolution, then cheapest first). `frame_rate` is the
/// title's, in frames per second.
pub fn shot_candidates(
    points: &[Point],
    shots: &[Shot],
    key: &str,
    frame_rate: f64,
    mode: ShotResolution,
) -> Result<Vec<ShotCandidate>> {
    shot_candidates_pooled(points, shots, key, frame_rate, mode, ShotPooling::Mean)
}

/// What the combination maximizes at each bitrate: the title's mean quality over frames, or
/// its harmonic mean over frames (libvmaf's, `n / sum(1 / (q + 1)) - 1`, from each shot's own
/// harmonic mean: the sum splits over shots exactly), which weighs a frame more the lower its
/// quality, so hard shots are not starved to lift easy ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShotPooling {
    /// The frame-weighted mean.
    #[default]
    Mean,
    /// The frame-weighted harmonic mean.
    Harmonic,
}

impl FromStr for ShotPooling {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "mean" => Ok(ShotPooling::Mean),
            "harmonic" => Ok(ShotPooling::Harmonic),
            other => Err(format!(
                "{other:?} is not a shot pooling (mean or harmonic)"
            )),
        }
    }
}

impl std::fmt::Display for ShotPooling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ShotPooling::Mean => "mean",
            ShotPooling::Harmonic => "harmonic",
        })
    }
}

/// Whether a shot rung may be worse in its worst frames than per-title encoding at its
/// bitrate. The equal-slope allocation takes bits where quality is cheapest to lose, which
/// can be a hard shot's; the guard keeps the title's worst frames as good as a per-title
/// encode's of the same bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShotGuard {
    /// No guard.
    #[default]
    None,
    /// An operating point whose 5th-percentile quality over frames (estimated from each
    /// shot's percentiles) is below the per-title hull's at its bitrate is not a candidate.
    P5,
}

impl FromStr for ShotGuard {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "none" => Ok(ShotGuard::None),
            "p5" => Ok(ShotGuard::P5),
            other => Err(format!("{other:?} is not a shot guard (p5 or none)")),
        }
    }
}

impl std::fmt::Display for ShotGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ShotGuard::None => "none",
            ShotGuard::P5 => "p5",
        })
    }
}

impl ShotGuard {
    /// Whether there is no guard (left out of ladder.json).
    pub fn is_none(&self) -> bool {
        *self == ShotGuard::None
    }
}

impl ShotPooling {
    /// Whether it is the default (left out of ladder.json).
    pub fn is_mean(&self) -> bool {
        *self == ShotPooling::Mean
    }

    /// The per-shot value whose frame-weighted sum the combination maximizes, from the shot's
    /// mean (`Mean`) or harmonic mean (`Harmonic`).
    fn value(self, quality: f64) -> f64 {
        match self {
            ShotPooling::Mean => quality,
            ShotPooling::Harmonic => -1.0 / (quality + 1.0),
        }
    }
}

/// [`shot_candidates`], the combination maximizing `pooling` (every candidate's figures are
/// still the mean, harmonic mean, p5 and min of its shots' qualities).
pub fn shot_candidates_pooled(
    points: &[Point],
    shots: &[Shot],
    key: &str,
    frame_rate: f64,
    mode: ShotResolution,
    pooling: ShotPooling,
) -> Result<Vec<ShotCandidate>> {
    let bad = |why: String| Error::Ladder(why);
    // per_shot[s]: shot s's figures at every point.
    let mut per_shot: Vec<Vec<ShotPoint>> = vec![Vec::with_capacity(points.len()); shots.len()];
    // raw[s][i]: shot s's quality at point i (per_shot holds the pooled value).
    let mut raw: Vec<Vec<f64>> = vec![Vec::with_capacity(points.len()); shots.len()];
    // harmonic[s][i]: shot s's harmonic mean at point i, with harmonic pooling.
    let mut harmonic: Vec<Vec<f64>> = vec![Vec::with_capacity(points.len()); shots.len()];
    // percentiles[i]: every shot's percentiles at point i, when measured.
    let percentiles: Vec<Option<&Vec<Vec<f64>>>> = points
        .iter()
        .map(|p| p.shots.as_ref().and_then(|f| f.percentiles.get(key)))
        .collect();
    for (i, p) in points.iter().enumerate() {
        let figures = p.shots.as_ref().ok_or_else(|| {
            bad(format!(
                "the {}x{} CRF {} point has no per-shot figures (run optimize --shots)",
                p.width, p.height, p.crf
            ))
        })?;
        let quality = figures.means.get(key).ok_or_else(|| {
            bad(format!(
                "the {}x{} CRF {} point has no per-shot `{key}`",
                p.width, p.height, p.crf
            ))
        })?;
        // The per-shot values the combination adds up.
        let combined = match pooling {
            ShotPooling::Mean => quality,
            ShotPooling::Harmonic => figures.harmonic_means.get(key).ok_or_else(|| {
                bad(format!(
                    "the {}x{} CRF {} point has no per-shot harmonic `{key}` (measured before harmonic shot pooling: run optimize --shots again)",
                    p.width, p.height, p.crf
                ))
            })?,
        };
        if figures.sizes_bits.len() != shots.len()
            || quality.len() != shots.len()
            || combined.len() != shots.len()
        {
            return Err(bad(format!(
                "the {}x{} CRF {} point has figures for {} shots, the title {}",
                p.width,
                p.height,
                p.crf,
                figures.sizes_bits.len(),
                shots.len()
            )));
        }
        for (s, list) in per_shot.iter_mut().enumerate() {
            list.push(ShotPoint {
                setting: i,
                bits: figures.sizes_bits[s] as f64,
                quality: pooling.value(combined[s]),
            });
            raw[s].push(quality[s]);
            harmonic[s].push(combined[s]);
        }
    }
    let groups: Vec<Option<(u32, u32)>> = match mode {
        ShotResolution::Free => vec![None],
        ShotResolution::Fixed => {
            let mut sizes: Vec<(u32, u32)> = points.iter().map(|p| (p.width, p.height)).collect();
            sizes.sort_by_key(|&(w, h)| (h, w));
            sizes.dedup();
            sizes.into_iter().map(Some).collect()
        }
    };
    let mut out = Vec::new();
    for size in groups {
        let keep = |sp: &ShotPoint| {
            size.is_none_or(|s| (points[sp.setting].width, points[sp.setting].height) == s)
        };
        let hulls = shot_hulls(
            shots
                .iter()
                .zip(&per_shot)
                .map(|(s, l)| (s.frames, l.as_slice())),
            keep,
        )
        .map_err(|e| bad(format!("per-shot hulls: {e}")))?;
        let hull = combined_hull(&hulls, CombineOptions::new(frame_rate))
            .map_err(|e| bad(format!("per-shot combination: {e}")))?;
        for k in 0..hull.vertices().len() {
            let c = hull.combination(k);
            let chosen: Vec<usize> = c.choices.iter().map(|p| p.setting).collect();
            // The figures on the quality scale itself.
            let qualities: Vec<(f64, u64)> = chosen
                .iter()
                .enumerate()
                .map(|(s, &i)| (raw[s][i], shots[s].frames))
                .collect();
            let c = match pooling {
                ShotPooling::Mean => c,
                ShotPooling::Harmonic => {
                    let (_, p5, min) = weighted_spread(&qualities);
                    let frames: u64 = shots.iter().map(|s| s.frames).sum();
                    // Over frames, exactly: each shot's sum of 1 / (q + 1) from its own.
                    let inverse: f64 = chosen
                        .iter()
                        .enumerate()
                        .map(|(s, &i)| shots[s].frames as f64 / (harmonic[s][i] + 1.0))
                        .sum();
                    let harmonic_mean = frames as f64 / inverse - 1.0;
                    Combination {
                        quality: raw_mean(&qualities, frames),
                        harmonic_mean,
                        p5,
                        min,
                        ..c
                    }
                }
            };
            // The worst frames from each shot's own percentiles, when measured (else each
            // frame at its shot's mean).
            let spread: Option<Vec<(&[f64], u64)>> = chosen
                .iter()
                .enumerate()
                .map(|(s, &i)| Some((percentiles[i]?.get(s)?.as_slice(), shots[s].frames)))
                .collect();
            let p5 = spread
                .and_then(|spread| pooled_percentile(&spread, 5.0))
                .unwrap_or(c.p5);
            let (width, height) = chosen
                .iter()
                .map(|&i| (points[i].width, points[i].height))
                .max_by_key(|&(w, h)| (h, w))
                .unwrap_or((0, 0));
            out.push(ShotCandidate {
                width,
                height,
                kbps: c.kbps,
                quality: c.quality,
                harmonic_mean: c.harmonic_mean,
                p5,
                min: c.min,
                slope: c.slope,
                points: chosen,
            });
        }
    }
    Ok(out)
}

/// The frame-weighted mean of `(quality, frames)`.
fn raw_mean(qualities: &[(f64, u64)], frames: u64) -> f64 {
    qualities.iter().map(|&(q, f)| q * f as f64).sum::<f64>() / frames.max(1) as f64
}

#[cfg(test)]
mod tests;
