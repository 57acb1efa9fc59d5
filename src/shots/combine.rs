//! The combination of per-shot hulls at one slope (the Dynamic Optimizer).
//!
//! Every shot was encoded at each setting of a grid (resolution, CRF), which gives it operating
//! points of bits and quality. A rung of a shot-based ladder takes one point per shot: its bits
//! are the shots' bits summed, its quality the frame-weighted mean of the shots' qualities.
//! For a slope `λ >= 0` the choice maximising `quality - λ * kbps` separates by shot: each shot
//! takes the point of its upper convex hull ([`upper_hull`]) where the hull's slope, weighted by
//! the shot's frames, crosses `λ`. Sweeping `λ` down from infinity, every shot walks along its
//! hull one segment at a time, and as each hull is concave the segments of all shots are taken
//! steepest first: start every shot at its cheapest hull point, then repeatedly take the
//! steepest next segment of any shot. Each step is a vertex of the combined hull, optimal for
//! every `λ` between the slopes of the segments before and after it, and so the best
//! combination of any points for its own total bits. Sorting the segments costs `O(P log P)`
//! for `P` hull points; a vertex stores only its sums and the move that reached it, and a
//! [`Combination`] (one choice per shot) is replayed from the moves when asked for.

use crate::ladder::hull::{RateQuality, upper_hull};

#[cfg(test)]
mod tests;

/// Why shots cannot be combined.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CombineError {
    /// A shot of no frames: it has no duration to weigh its quality by.
    #[error("a shot has no frames")]
    NoFrames,
    /// A shot with no point to choose (none given, or none kept by the filter).
    #[error("a shot has no operating point to choose from")]
    NoPoints,
    /// A point whose bits or quality is not a finite number, or whose bits are negative.
    #[error(
        "point {point} has {bits} bits and quality {quality}: both must be finite numbers, the bits not negative"
    )]
    InvalidPoint {
        /// The point's position in the shot's points.
        point: usize,
        /// Its bits.
        bits: f64,
        /// Its quality.
        quality: f64,
    },
    /// Nothing to combine.
    #[error("no shots to combine")]
    NoShots,
    /// A frame rate that is not a positive finite number.
    #[error("frame rate {0} is not a positive finite number")]
    FrameRate(f64),
    /// A quality floor that is not a finite number.
    #[error("quality floor {0} is not a finite number")]
    Floor(f64),
    /// One shot's problem, with the shot's position.
    #[error("shot {shot}: {cause}")]
    Shot {
        /// The shot's position, from 0.
        shot: usize,
        /// What is wrong with it.
        cause: Box<CombineError>,
    },
}

/// One trial encode of one shot.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ShotPoint {
    /// Which trial it is: the caller's index into its grid of settings (resolution, CRF).
    pub setting: usize,
    /// The shot's encoded size, bits.
    pub bits: f64,
    /// The shot's quality: its frames' mean, in the metric's units.
    pub quality: f64,
}

/// A shot's upper convex hull of quality against bits: its only points worth choosing.
#[derive(Debug, Clone, PartialEq)]
pub struct ShotHull {
    frames: u64,
    points: Vec<ShotPoint>,
}

impl ShotHull {
    /// The hull of all `points` of a shot of `frames` frames (the free mode: every resolution
    /// and CRF). Refuses a shot of no frames, no points, or a point with a NaN or infinite
    /// figure or negative bits.
    pub fn new(frames: u64, points: &[ShotPoint]) -> Result<Self, CombineError> {
        Self::filtered(frames, points, |_| true)
    }

    /// The hull of the `points` that `keep` accepts: with `keep` true for one resolution's
    /// settings only, the fixed mode (one resolution per rung). Every point is checked, kept
    /// or not.
    pub fn filtered(
        frames: u64,
        points: &[ShotPoint],
        keep: impl Fn(&ShotPoint) -> bool,
    ) -> Result<Self, CombineError> {
        if frames == 0 {
            return Err(CombineError::NoFrames);
        }
        if let Some((point, p)) = points
            .iter()
            .enumerate()
            .find(|(_, p)| !(p.bits.is_finite() && p.quality.is_finite() && p.bits >= 0.0))
        {
            return Err(CombineError::InvalidPoint {
                point,
                bits: p.bits,
                quality: p.quality,
            });
        }
        let kept: Vec<ShotPoint> = points.iter().copied().filter(|p| keep(p)).collect();
        let rq: Vec<RateQuality> = kept
            .iter()
            .map(|p| RateQuality {
                kbps: p.bits,
                quality: p.quality,
            })
            .collect();
        let points: Vec<ShotPoint> = upper_hull(&rq).into_iter().map(|i| kept[i]).collect();
        if points.is_empty() {
            return Err(CombineError::NoPoints);
        }
        Ok(ShotHull { frames, points })
    }

    /// The shot's frames.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// The hull's points, by increasing bits and quality (at least one).
    pub fn points(&self) -> &[ShotPoint] {
        &self.points
    }

    /// The position of the cheapest hull point reaching `floor`, or of the best when none does.
    fn start(&self, floor: Option<f64>) -> usize {
        let last = self.points.len() - 1;
        floor.map_or(0, |f| {
            self.points
                .iter()
                .position(|p| p.quality >= f)
                .unwrap_or(last)
        })
    }
}

/// The hulls of many shots, each given as its frames and points, over the points `keep`
/// accepts (`|_| true`: the free mode). An error names the shot.
pub fn shot_hulls<'a>(
    shots: impl IntoIterator<Item = (u64, &'a [ShotPoint])>,
    keep: impl Fn(&ShotPoint) -> bool,
) -> Result<Vec<ShotHull>, CombineError> {
    shots
        .into_iter()
        .enumerate()
        .map(|(shot, (frames, points))| {
            ShotHull::filtered(frames, points, &keep).map_err(|cause| CombineError::Shot {
                shot,
                cause: Box::new(cause),
            })
        })
        .collect()
}

/// How shots are combined.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CombineOptions {
    /// The title's frames per second, which turns frames into a duration and bits into a
    /// bitrate.
    pub frame_rate: f64,
    /// The least quality each shot should have: a shot starts at its cheapest hull point
    /// reaching it (at its best point when none does) and never goes below. Points off the
    /// hull are not reconsidered, so a cheaper off-hull point above the floor is not used.
    pub floor: Option<f64>,
}

impl CombineOptions {
    /// Options at `frame_rate` frames per second, without a floor.
    pub fn new(frame_rate: f64) -> Self {
        CombineOptions {
            frame_rate,
            floor: None,
        }
    }
}

/// A vertex of the combined hull: its sums, without the choices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Vertex {
    /// The title's total bits.
    pub bits: f64,
    /// The title's bitrate: total bits over its duration, kbit/s.
    pub kbps: f64,
    /// The frame-weighted mean of the shots' qualities.
    pub quality: f64,
    /// The slopes `λ` (quality per kbit/s) for which it maximises `quality - λ * kbps`, lowest
    /// and highest: those of the combined hull's segments after and before it (`0` after the
    /// last, infinity before the first). With a floor, optimal among the combinations that
    /// keep every shot at or above its starting point.
    pub slope: [f64; 2],
}

/// One choice of a point per shot, on the combined hull.
#[derive(Debug, Clone, PartialEq)]
pub struct Combination {
    /// Its position among the combined hull's vertices.
    pub vertex: usize,
    /// The title's total bits.
    pub bits: f64,
    /// The title's bitrate, kbit/s.
    pub kbps: f64,
    /// The frame-weighted mean of the shots' qualities.
    pub quality: f64,
    /// The frame-weighted harmonic mean as libvmaf pools it, `1 / mean(1 / (q + 1)) - 1`, each
    /// frame taking its shot's quality.
    pub harmonic_mean: f64,
    /// The 5th percentile over frames, each frame taking its shot's quality (linear between
    /// ranks, as the project's pooling of frames).
    pub p5: f64,
    /// The worst shot's quality.
    pub min: f64,
    /// The slopes for which it is optimal, as [`Vertex::slope`].
    pub slope: [f64; 2],
    /// The point chosen for each shot, in shot order.
    pub choices: Vec<ShotPoint>,
}

/// The combined hull: every vertex of the Lagrangian solution set, cheapest first.
#[derive(Debug, Clone)]
pub struct CombinedHull<'a> {
    shots: &'a [ShotHull],
    /// Each shot's hull position at the first vertex.
    start: Vec<usize>,
    /// The shot moved one hull point up to reach vertex `k + 1`.
    moves: Vec<u32>,
    vertices: Vec<Vertex>,
    frame_rate: f64,
}

/// Combine `shots` at equal slope: the combined hull's vertices, by increasing bits, quality
/// and decreasing slope. `O(P log P)` time and `O(P)` memory for `P` hull points in all.
pub fn combined_hull(
    shots: &[ShotHull],
    options: CombineOptions,
) -> Result<CombinedHull<'_>, CombineError> {
    let CombineOptions { frame_rate, floor } = options;
    if shots.is_empty() {
        return Err(CombineError::NoShots);
    }
    if !(frame_rate.is_finite() && frame_rate > 0.0) {
        return Err(CombineError::FrameRate(frame_rate));
    }
    if let Some(f) = floor.filter(|f| !f.is_finite()) {
        return Err(CombineError::Floor(f));
    }
    assert!(u32::try_from(shots.len()).is_ok(), "more than 2^32 shots");
    let frames: f64 = shots.iter().map(|s| s.frames as f64).sum();
    // kbit/s per bit, and quality-per-kbit/s per frame-weighted quality-per-bit.
    let kbps_per_bit = frame_rate / frames / 1000.0;
    let per_kbps = 1000.0 / frame_rate;

    let start: Vec<usize> = shots.iter().map(|s| s.start(floor)).collect();
    // Every segment's slope with its shot; within a shot the slopes never rise (a running
    // minimum guards against the hull's tolerance for nearly collinear points), so a stable
    // sort keeps each shot's segments in order.
    let mut segments: Vec<(f64, u32)> = Vec::new();
    for (i, (shot, &s)) in shots.iter().zip(&start).enumerate() {
        let mut previous = f64::INFINITY;
        for w in shot.points[s..].windows(2) {
            let slope = shot.frames as f64 * (w[1].quality - w[0].quality)
                / (w[1].bits - w[0].bits)
                * per_kbps;
            previous = previous.min(slope);
            segments.push((previous, i as u32));
        }
    }
    segments.sort_by(|a, b| b.0.total_cmp(&a.0));

    let mut position = start.clone();
    let (mut bits, mut weighted) = shots
        .iter()
        .zip(&start)
        .fold((0.0, 0.0), |(b, w), (s, &i)| {
            (
                b + s.points[i].bits,
                w + s.frames as f64 * s.points[i].quality,
            )
        });
    let mut vertices = Vec::with_capacity(segments.len() + 1);
    let mut upper = f64::INFINITY;
    let vertex = |bits: f64, weighted: f64, slope: [f64; 2]| Vertex {
        bits,
        kbps: bits * kbps_per_bit,
        quality: weighted / frames,
        slope,
    };
    for &(slope, i) in &segments {
        vertices.push(vertex(bits, weighted, [slope, upper]));
        let shot = &shots[i as usize];
        let (from, to) = (
            shot.points[position[i as usize]],
            shot.points[position[i as usize] + 1],
        );
        position[i as usize] += 1;
        bits += to.bits - from.bits;
        weighted += shot.frames as f64 * (to.quality - from.quality);
        upper = slope;
    }
    vertices.push(vertex(bits, weighted, [0.0, upper]));
    Ok(CombinedHull {
        shots,
        start,
        moves: segments.into_iter().map(|(_, i)| i).collect(),
        vertices,
        frame_rate,
    })
}

impl CombinedHull<'_> {
    /// The vertices, cheapest first (at least one).
    pub fn vertices(&self) -> &[Vertex] {
        &self.vertices
    }

    /// The title's duration, seconds.
    pub fn seconds(&self) -> f64 {
        self.shots.iter().map(|s| s.frames as f64).sum::<f64>() / self.frame_rate
    }

    /// The best vertex whose bitrate is at most `kbps`; `None` when even the cheapest costs
    /// more (or `kbps` is NaN).
    pub fn at_bitrate(&self, kbps: f64) -> Option<usize> {
        self.vertices
            .partition_point(|v| v.kbps <= kbps)
            .checked_sub(1)
    }

    /// The cheapest vertex whose quality reaches `quality`; `None` when none does (or
    /// `quality` is NaN).
    pub fn reaching(&self, quality: f64) -> Option<usize> {
        let k = self.vertices.partition_point(|v| v.quality < quality);
        (!quality.is_nan() && k < self.vertices.len()).then_some(k)
    }

    /// The vertex that maximises `quality - lambda * kbps` (the dearer of two when `lambda` is
    /// the slope between them; the last for `lambda <= 0`); `None` when `lambda` is NaN.
    pub fn at_slope(&self, lambda: f64) -> Option<usize> {
        self.vertices
            .partition_point(|v| v.slope[1] >= lambda)
            .checked_sub(1)
    }

    /// Every shot's hull position at vertex `k`.
    fn positions(&self, k: usize) -> Vec<usize> {
        let mut position = self.start.clone();
        for &i in &self.moves[..k] {
            position[i as usize] += 1;
        }
        position
    }

    /// The point each shot takes at vertex `k`, in shot order, replayed from the moves in
    /// `O(shots + k)`. Panics when `k` is out of range.
    pub fn choices(&self, k: usize) -> Vec<ShotPoint> {
        self.positions(k)
            .into_iter()
            .zip(self.shots)
            .map(|(p, s)| s.points[p])
            .collect()
    }

    /// The combination at vertex `k`: its [`choices`](Self::choices) and their figures (plus
    /// the sort of the shots' qualities for the percentile). Panics when `k` is out of range.
    pub fn combination(&self, k: usize) -> Combination {
        let v = self.vertices[k];
        let choices = self.choices(k);
        let frames: Vec<u64> = self.shots.iter().map(|s| s.frames).collect();
        let (harmonic_mean, p5, min) = spread(&choices, &frames);
        Combination {
            vertex: k,
            bits: v.bits,
            kbps: v.kbps,
            quality: v.quality,
            harmonic_mean,
            p5,
            min,
            slope: v.slope,
            choices,
        }
    }
}

/// The frame-weighted harmonic mean (libvmaf's, shifted by one), 5th percentile and minimum of
/// the chosen qualities, each shot counting once per frame.
fn spread(choices: &[ShotPoint], frames: &[u64]) -> (f64, f64, f64) {
    let weighted: Vec<(f64, u64)> = choices
        .iter()
        .map(|c| c.quality)
        .zip(frames.iter().copied())
        .collect();
    weighted_spread(&weighted)
}

/// The harmonic mean (libvmaf's, shifted by one), 5th percentile (linear between the closest
/// ranks, as frames are pooled) and minimum of `(value, frames)` pairs, each value counting
/// once per frame of its pair. At least one pair must hold a frame.
pub(crate) fn weighted_spread(values: &[(f64, u64)]) -> (f64, f64, f64) {
    let total: u64 = values.iter().map(|v| v.1).sum();
    let inverse: f64 = values.iter().map(|&(q, f)| f as f64 / (q + 1.0)).sum();
    let harmonic = total as f64 / inverse - 1.0;
    let mut sorted: Vec<(f64, u64)> = values.iter().copied().filter(|v| v.1 > 0).collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    // The quality of the frame of rank `r` (from 0) in increasing order.
    let at = |r: u64| {
        let mut seen = 0;
        for &(q, f) in &sorted {
            seen += f;
            if r < seen {
                return q;
            }
        }
        sorted[sorted.len() - 1].0
    };
    let rank = 0.05 * total.saturating_sub(1) as f64;
    let (lo, hi) = (rank.floor() as u64, rank.ceil() as u64);
    let p5 = at(lo) + (at(hi) - at(lo)) * (rank - lo as f64);
    (harmonic, p5, sorted[0].0)
}
