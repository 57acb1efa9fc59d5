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
    CombineOptions, ShotPoint, Vertex, combined_hull, shot_hulls, weighted_spread,
};
use crate::shots::figures::{ShotFigures, choice_spread};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
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
    /// The worst frame: the lowest of the shots' minimums (for points measured without
    /// per-shot percentiles, the worst shot's mean).
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
        Self::of_choice(
            points,
            vec![i; shots.len()],
            shots,
            key,
            frame_rate,
            [0.0, 0.0],
        )
    }

    /// The operating point where shot `s` takes `points[chosen[s]]`, optimal at `slope`: its
    /// bitrate, mean, and its worst frames from each shot's own figures ([`choice_spread`];
    /// each frame at its shot's mean for points measured without them). `None` when a chosen
    /// point lacks per-shot figures for `shots` or the title has no frames.
    fn of_choice(
        points: &[Point],
        chosen: Vec<usize>,
        shots: &[Shot],
        key: &str,
        frame_rate: f64,
        slope: [f64; 2],
    ) -> Option<ShotCandidate> {
        let frames: u64 = shots.iter().map(|s| s.frames).sum();
        if frames == 0 || chosen.len() != shots.len() {
            return None;
        }
        let figures: Vec<&ShotFigures> = chosen
            .iter()
            .map(|&i| points.get(i)?.shots.as_ref())
            .collect::<Option<_>>()?;
        let mut bits = 0.0;
        let mut qualities: Vec<(f64, u64)> = Vec::with_capacity(shots.len());
        for (s, (f, shot)) in figures.iter().zip(shots).enumerate() {
            if f.sizes_bits.len() != shots.len() {
                return None;
            }
            bits += f.sizes_bits[s] as f64;
            qualities.push((*f.means.get(key)?.get(s)?, shot.frames));
        }
        let exact = choice_spread(&figures, shots, key);
        let (harmonic_mean, p5, min) = match (exact.harmonic_mean, exact.p5, exact.min) {
            (Some(h), Some(p), Some(m)) => (h, p, m),
            // Each frame at its shot's mean where the shots' own figures are missing.
            (h, p, m) => {
                let (spread_h, spread_p, spread_m) = weighted_spread(&qualities);
                (
                    h.unwrap_or(spread_h),
                    p.unwrap_or(spread_p),
                    m.unwrap_or(spread_m),
                )
            }
        };
        let (width, height) = chosen
            .iter()
            .map(|&i| (points[i].width, points[i].height))
            .max_by_key(|&(w, h)| (h, w))?;
        Some(ShotCandidate {
            width,
            height,
            kbps: bits * frame_rate / frames as f64 / 1000.0,
            quality: raw_mean(&qualities, frames),
            harmonic_mean,
            p5,
            min,
            slope,
            points: chosen,
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
    shot_candidates_pooled(
        points,
        shots,
        key,
        frame_rate,
        mode,
        ShotPooling::Mean,
        ShotGuard::None,
    )
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

/// The most vertices of one combined hull kept as operating points, spread evenly in log
/// bitrate (a feature film of thousands of shots has tens of thousands of vertices, each a
/// choice per shot; a ladder's rungs are at least [`Constraints::min_step`] apart, so a few
/// hundred vertices lose nothing a ladder can use).
///
/// [`Constraints::min_step`]: crate::ladder::constraints::Constraints::min_step
pub const MAX_VERTICES: usize = 256;

/// The most shot choices (operating points times shots) all combined hulls together give
/// operating points for: with many shots and many hulls (the fixed mode's resolutions, the
/// guard's floors), each hull keeps fewer vertices (down to [`MIN_VERTICES`]), so memory and
/// time stay linear in the shots.
pub const CHOICE_BUDGET: usize = 4_000_000;

/// The fewest vertices of one combined hull kept, whatever [`CHOICE_BUDGET`] says.
pub const MIN_VERTICES: usize = 16;

/// How many floors on the shots' own 5th percentile the guarded search sweeps, evenly over
/// the range the shots' 5th percentiles span.
pub const GUARD_FLOORS: usize = 48;

/// [`shot_candidates`], the combination maximizing `pooling` (every candidate's figures are
/// still the mean, harmonic mean, p5 and min of its shots' qualities). With `guard`
/// [`ShotGuard::P5`] the search also takes allocations that keep the worst frames up: for each
/// of [`GUARD_FLOORS`] floors, every shot may take only its encodes whose own 5th percentile
/// reaches the floor (its best such encode when none does), so every frame-weighted 5th
/// percentile over the title reaches it too, and the combination maximizes `pooling` over those.
/// The guard itself (which operating points stay) is the ladder's.
pub fn shot_candidates_pooled(
    points: &[Point],
    shots: &[Shot],
    key: &str,
    frame_rate: f64,
    mode: ShotResolution,
    pooling: ShotPooling,
    guard: ShotGuard,
) -> Result<Vec<ShotCandidate>> {
    let bad = |why: String| Error::Ladder(why);
    // per_shot[s]: shot s's figures at every point, its quality the pooled value.
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
        }
    }
    // shot_p5[s][i]: shot s's own 5th percentile at point i (guarded search only).
    let shot_p5: Vec<Vec<f64>> = match guard {
        ShotGuard::None => Vec::new(),
        ShotGuard::P5 => (0..shots.len())
            .map(|s| {
                points
                    .iter()
                    .map(|p| {
                        let q = p.shots.as_ref().and_then(|f| f.percentiles.get(key));
                        q.and_then(|q| q.get(s)?.get(1).copied())
                            .filter(|x| x.is_finite())
                            .unwrap_or(f64::NEG_INFINITY)
                    })
                    .collect()
            })
            .collect(),
    };
    let floors = guard_floors(&shot_p5);
    let groups: Vec<Option<(u32, u32)>> = match mode {
        ShotResolution::Free => vec![None],
        ShotResolution::Fixed => {
            let mut sizes: Vec<(u32, u32)> = points.iter().map(|p| (p.width, p.height)).collect();
            sizes.sort_by_key(|&(w, h)| (h, w));
            sizes.dedup();
            sizes.into_iter().map(Some).collect()
        }
    };
    let hulls_in_all = groups.len() * (1 + floors.len());
    let per_hull =
        (CHOICE_BUDGET / (shots.len().max(1) * hulls_in_all)).clamp(MIN_VERTICES, MAX_VERTICES);
    let mut out: Vec<ShotCandidate> = Vec::new();
    // The choices taken so far, by hash (a collision only drops a candidate).
    let mut seen: HashSet<u64> = HashSet::new();
    for size in groups {
        let in_group = |sp: &ShotPoint| {
            size.is_none_or(|s| (points[sp.setting].width, points[sp.setting].height) == s)
        };
        // Each floor's combined hull and its kept vertices' choices, the floors on both
        // cores (with many shots and points, the shots' hulls take most of the time).
        let all_floors: Vec<Option<f64>> = std::iter::once(None)
            .chain(floors.iter().copied().map(Some))
            .collect();
        let choices: Vec<Vec<(Vec<usize>, [f64; 2])>> = all_floors
            .into_par_iter()
            .map(|floor| -> Result<Vec<(Vec<usize>, [f64; 2])>> {
                let lists = floored(&per_shot, &in_group, floor, &shot_p5);
                let hulls = shot_hulls(
                    shots
                        .iter()
                        .zip(&lists)
                        .map(|(s, l)| (s.frames, l.as_slice())),
                    |_| true,
                )
                .map_err(|e| bad(format!("per-shot hulls: {e}")))?;
                let hull = combined_hull(&hulls, CombineOptions::new(frame_rate))
                    .map_err(|e| bad(format!("per-shot combination: {e}")))?;
                Ok(spread_vertices(hull.vertices(), per_hull)
                    .into_iter()
                    .map(|k| {
                        // The choice alone: its figures are the candidate's, from the shots'
                        // own.
                        let chosen: Vec<usize> =
                            hull.choices(k).iter().map(|p| p.setting).collect();
                        (chosen, hull.vertices()[k].slope)
                    })
                    .collect())
            })
            .collect::<Result<_>>()?;
        for floor_choices in choices {
            // The new choices, in the floors' order, then their figures (on both cores: a
            // film's thousands of shots make each choice's worst frames long to pool).
            let mut fresh: Vec<(Vec<usize>, [f64; 2])> = Vec::new();
            for (chosen, slope) in floor_choices {
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                chosen.hash(&mut hasher);
                if seen.insert(hasher.finish()) {
                    fresh.push((chosen, slope));
                }
            }
            let figured: Option<Vec<ShotCandidate>> = fresh
                .into_par_iter()
                .map(|(chosen, slope)| {
                    ShotCandidate::of_choice(points, chosen, shots, key, frame_rate, slope)
                })
                .collect();
            out.extend(figured.ok_or_else(|| {
                Error::Internal("a combination of points without per-shot figures".into())
            })?);
        }
    }
    Ok(out)
}

/// Each shot's encodes among `per_shot` that `in_group` keeps and whose own 5th percentile
/// (`shot_p5[s][setting]`) reaches `floor`, its best one when none does; every one kept
/// without a floor.
fn floored(
    per_shot: &[Vec<ShotPoint>],
    in_group: &dyn Fn(&ShotPoint) -> bool,
    floor: Option<f64>,
    shot_p5: &[Vec<f64>],
) -> Vec<Vec<ShotPoint>> {
    per_shot
        .iter()
        .enumerate()
        .map(|(s, list)| {
            let group = list.iter().copied().filter(|p| in_group(p));
            let Some(floor) = floor else {
                return group.collect();
            };
            let own = |p: &ShotPoint| shot_p5[s][p.setting];
            let reaching: Vec<ShotPoint> = group.clone().filter(|p| own(p) >= floor).collect();
            if reaching.is_empty() {
                group
                    .max_by(|a, b| own(a).total_cmp(&own(b)))
                    .into_iter()
                    .collect()
            } else {
                reaching
            }
        })
        .collect()
}

/// The floors the guarded search sweeps over the shots' own 5th percentiles `shot_p5` (each
/// shot's at every point): [`GUARD_FLOORS`] levels evenly from the lowest to the highest
/// measured (none without any).
fn guard_floors(shot_p5: &[Vec<f64>]) -> Vec<f64> {
    let measured = shot_p5.iter().flatten().copied().filter(|x| x.is_finite());
    let (lo, hi) = measured.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
        (lo.min(x), hi.max(x))
    });
    if !(lo.is_finite() && hi.is_finite()) {
        return Vec::new();
    }
    (0..GUARD_FLOORS)
        .map(|k| lo + (hi - lo) * k as f64 / (GUARD_FLOORS - 1) as f64)
        .collect()
}

/// The positions of at most `most` of `vertices` (by increasing bitrate), the first and last
/// among them, the others at least an even share of the log-bitrate range apart: every vertex
/// when there are no more than `most`.
fn spread_vertices(vertices: &[Vertex], most: usize) -> Vec<usize> {
    let n = vertices.len();
    if n <= most || most < 2 {
        return (0..n).collect();
    }
    let (first, last) = (vertices[0].kbps, vertices[n - 1].kbps);
    if !(first > 0.0 && last > first) {
        return vec![0, n - 1];
    }
    let step = (last / first).ln() / (most - 1) as f64;
    let mut kept = vec![0];
    let mut at = first.ln();
    for (k, v) in vertices.iter().enumerate().take(n - 1).skip(1) {
        if v.kbps > 0.0 && v.kbps.ln() >= at + step {
            kept.push(k);
            at = v.kbps.ln();
        }
    }
    kept.push(n - 1);
    kept
}

/// The frame-weighted mean of `(quality, frames)`.
fn raw_mean(qualities: &[(f64, u64)], frames: u64) -> f64 {
    qualities.iter().map(|&(q, f)| q * f as f64).sum::<f64>() / frames.max(1) as f64
}

#[cfg(test)]
mod tests;
