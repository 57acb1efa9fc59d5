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
use crate::shots::combine::{CombineOptions, ShotPoint, combined_hull, shot_hulls};
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
    /// The 5th percentile over frames, each frame at its shot's quality.
    pub p5: f64,
    /// The worst shot's quality.
    pub min: f64,
    /// The slopes (quality per kbit/s) at which it is optimal, lowest and highest.
    pub slope: [f64; 2],
    /// For each shot, the index in `points` of the trial encode it takes.
    pub points: Vec<usize>,
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
    let bad = |why: String| Error::Ladder(why);
    // per_shot[s]: shot s's figures at every point.
    let mut per_shot: Vec<Vec<ShotPoint>> = vec![Vec::with_capacity(points.len()); shots.len()];
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
        if figures.sizes_bits.len() != shots.len() || quality.len() != shots.len() {
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
                quality: quality[s],
            });
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
                p5: c.p5,
                min: c.min,
                slope: c.slope,
                points: chosen,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
