//! Rung candidates of a shot ladder: the operating points of the combined hull
//! ([`shot_candidates`]), cut to the constraints, for the same selection as per-title
//! candidates.
//!
//! Each candidate is a vertex of a combined hull: every shot at one slope of its own hull.
//! A shot may take a trial encode or, unless the constraints keep to measured encodes, an
//! estimated one at a whole CRF between two measured CRFs of a resolution
//! ([`points_between`]), as per-title rungs may lie between measured CRFs; a candidate taking
//! one is interpolated. Vertices lie close together in bitrate (one shot moves one step
//! between neighbours), so no candidate lies between vertices. The allowed heights restrict
//! what a shot may choose (in `free` mode too); the top-quality target caps the bitrate at
//! the cheapest operating point reaching it; a forced rung takes the operating point of its
//! height nearest its bitrate (in `free` mode, where no shot is larger).

use super::candidates::{Candidate, Origin, no_allowed_height, nothing_in_range};
use super::constraints::Constraints;
use super::constraints::ForcedRung;
use super::hull::upper_hull;
use crate::error::{Error, Result, Setting};
use crate::measure::point::{Metric, Point, Rung};
use crate::shots::between::points_between;
use crate::shots::detect::ShotList;
use crate::shots::ladder::{ShotCandidate, ShotGuard, ShotResolution, shot_candidates_pooled};

/// A shot-based run's title, as shot rungs need it.
#[derive(Debug, Clone, Copy)]
pub struct ShotTitle<'a> {
    /// The title's shots.
    pub list: &'a ShotList,
    /// Each segment's frames (segments follow the shots).
    pub segment_frames: &'a [u64],
}

/// The shot ladder's candidates: the operating points and, in the same order, their
/// [`Candidate`]s (origin [`Origin::Shots`]), by increasing bitrate.
pub struct ShotCandidates {
    /// The operating points (their `points` indexing [`Self::pool`]).
    pub operating: Vec<ShotCandidate>,
    /// Each as a rung candidate.
    pub candidates: Vec<Candidate>,
    /// The encodes a shot may take: the run's points the constraints allow (trial encodes),
    /// then the estimated ones between their CRFs.
    pub pool: Vec<Point>,
    /// How many of the pool's first points are trial encodes.
    pub measured: usize,
}

/// The candidates of a shot ladder in `mode` over `points` under `constraints`.
pub fn candidates(
    points: &[Point],
    metric: Metric,
    constraints: &Constraints,
    title: ShotTitle<'_>,
    mode: ShotResolution,
) -> Result<ShotCandidates> {
    // The points a shot may take: allowed heights, measured figures.
    let allowed: Vec<usize> = (0..points.len())
        .filter(|&i| {
            let p = &points[i];
            constraints.allows_height(p.height) && p.bitrate_kbps > 0.0 && metric.of(p).is_finite()
        })
        .collect();
    if allowed.is_empty() {
        return Err(no_allowed_height(points));
    }
    let mut pool: Vec<Point> = allowed.iter().map(|&i| points[i].clone()).collect();
    let measured = pool.len();
    let fps = title.list.frame_rate.fps();
    if !constraints.measured_only {
        pool.extend(points_between(
            &pool,
            title.segment_frames,
            &title.list.shots,
            fps,
        )?);
    }
    let floor = (constraints.shot_guard == ShotGuard::P5)
        .then(|| PerTitleP5::of(&pool[..measured], metric, &title.list.shots, fps));
    let search = Search {
        pool: &pool,
        measured,
        metric,
        title,
        mode,
        constraints,
        floor: floor.as_ref(),
    };
    let mut operating = search.operating_points(|_| true)?;
    if operating.is_empty() {
        return Err(Error::setting(
            Setting::ShotGuard,
            "every shot-ladder operating point is worse than per-title encoding in its worst frames (--shot-guard none keeps them)",
        ));
    }
    // The cheapest operating point reaching the top-quality target caps the bitrate.
    let cap = constraints.top_quality.and_then(|target| {
        operating
            .iter()
            .filter(|c| c.quality >= target)
            .map(|c| c.kbps)
            .min_by(f64::total_cmp)
    });
    let limit = cap.map_or(f64::INFINITY, |c| c * (1.0 + 1e-9));
    let mut forced = vec![false; operating.len()];
    for f in &constraints.forced {
        let top = constraints.top_quality;
        match (mode, f.height) {
            // A rung of that size in free mode: no shot larger (the combination over the
            // encodes of at most that height), declaring it.
            (ShotResolution::Free, Some(h)) => {
                let within = search.operating_points(|p| p.height <= h)?;
                let c = &within[forced_point(&within, f, limit, top)?];
                match operating.iter().position(|o| o.points == c.points) {
                    Some(k) => forced[k] = true,
                    None => {
                        operating.push(c.clone());
                        forced.push(true);
                    }
                }
            }
            _ => forced[forced_point(&operating, f, limit, top)?] = true,
        }
    }
    let mut operating: Vec<(ShotCandidate, bool)> = operating
        .into_iter()
        .zip(forced)
        .filter(|(c, forced)| *forced || (constraints.allows_kbps(c.kbps) && c.kbps <= limit))
        .collect();
    if operating.is_empty() {
        return Err(nothing_in_range(
            points,
            constraints,
            "shot-ladder operating point",
        ));
    }
    operating.sort_by(|(a, _), (b, _)| {
        a.kbps
            .total_cmp(&b.kbps)
            .then(b.quality.total_cmp(&a.quality))
            .then(a.height.cmp(&b.height))
            .then(a.width.cmp(&b.width))
    });
    let (operating, forced): (Vec<ShotCandidate>, Vec<bool>) = operating.into_iter().unzip();
    let frames: Vec<u64> = title.list.shots.iter().map(|s| s.frames).collect();
    let total = frames.iter().sum::<u64>().max(1) as f64;
    let candidates = operating
        .iter()
        .zip(forced)
        .enumerate()
        .map(|(k, (c, forced))| Candidate {
            kbps: c.kbps,
            quality: c.quality,
            width: c.width,
            height: c.height,
            crf: c
                .points
                .iter()
                .zip(&frames)
                .map(|(&i, &f)| pool[i].crf * f as f64)
                .sum::<f64>()
                / total,
            origin: Origin::Shots(k),
            forced,
        })
        .collect();
    Ok(ShotCandidates {
        operating,
        candidates,
        pool,
        measured,
    })
}

/// What the operating points are searched with.
struct Search<'a> {
    /// The encodes a shot may take, measured ones first.
    pool: &'a [Point],
    /// How many of them are measured.
    measured: usize,
    metric: Metric,
    title: ShotTitle<'a>,
    mode: ShotResolution,
    constraints: &'a Constraints,
    /// With the p5 guard, the per-title 5th percentile no operating point may fall below.
    floor: Option<&'a PerTitleP5>,
}

impl Search<'_> {
    /// The operating points where each shot takes one of the pool's encodes `within` allows
    /// (indices into the pool), those the guard keeps and, with the guard, the per-title
    /// hull's encodes among them (every shot at one point), unordered.
    fn operating_points(&self, within: impl Fn(&Point) -> bool) -> Result<Vec<ShotCandidate>> {
        let kept: Vec<usize> = (0..self.pool.len())
            .filter(|&i| within(&self.pool[i]))
            .collect();
        if kept.is_empty() {
            return Ok(Vec::new());
        }
        let all = kept.len() == self.pool.len();
        let subset: Vec<Point>;
        let points = if all {
            self.pool
        } else {
            subset = kept.iter().map(|&i| self.pool[i].clone()).collect();
            &subset
        };
        let shots = &self.title.list.shots;
        let fps = self.title.list.frame_rate.fps();
        let key = self.metric.field();
        let c = self.constraints;
        let mut operating = shot_candidates_pooled(
            points,
            shots,
            key,
            fps,
            self.mode,
            c.shot_pooling,
            c.shot_guard,
        )?;
        if !all {
            for o in &mut operating {
                o.points.iter_mut().for_each(|p| *p = kept[*p]);
            }
        }
        let Some(floor) = self.floor else {
            return Ok(operating);
        };
        operating.retain(|c| floor.at(c.kbps).is_none_or(|p5| c.p5 >= p5 - 1e-6));
        // Per-title encoding stays a choice where no shot allocation beats it in the worst
        // frames: the per-title hull's encodes, every shot at one point.
        let measured = &self.pool[..self.measured];
        for &i in floor.hull.iter().filter(|&&i| within(&measured[i])) {
            let Some(uniform) = ShotCandidate::uniform(measured, i, shots, key, fps) else {
                continue;
            };
            if !operating.iter().any(|c| c.points == uniform.points) {
                operating.push(uniform);
            }
        }
        Ok(operating)
    }
}

/// The operating point of `operating` a forced rung takes: of its height (the largest
/// shot's in `free` mode), the nearest to its bitrate (in log bitrate; the better one when two are as near).
/// Fails when none has the height, or the bitrate lies outside theirs or above the
/// top-quality target's `limit`.
fn forced_point(
    operating: &[ShotCandidate],
    f: &ForcedRung,
    limit: f64,
    top_quality: Option<f64>,
) -> Result<usize> {
    if f.kbps > limit {
        return Err(Error::setting(
            Setting::ForcedRungs,
            format!(
                "rung {f} spends more than the top-quality target allows: the shot ladder reaches {} at {limit:.1} kbps",
                top_quality.unwrap_or_default()
            ),
        ));
    }
    let of_height: Vec<usize> = (0..operating.len())
        .filter(|&k| f.height.is_none_or(|h| operating[k].height == h))
        .collect();
    let (lo, hi) = of_height
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), &k| {
            (lo.min(operating[k].kbps), hi.max(operating[k].kbps))
        });
    // Within rounding of the ends, as a bitrate read off a summary is.
    if of_height.is_empty() || f.kbps < lo * (1.0 - 1e-3) || f.kbps > hi * (1.0 + 1e-3) {
        let size = f
            .height
            .map_or(String::new(), |h| format!(" of height {h}"));
        let range = if of_height.is_empty() {
            "none has that height".to_string()
        } else {
            format!("they span {lo:.1}-{hi:.1} kbps")
        };
        return Err(Error::setting(
            Setting::ForcedRungs,
            format!(
                "forced rung {f} is outside the shot ladder's operating points{size} ({range})"
            ),
        ));
    }
    let distance = |k: usize| (operating[k].kbps / f.kbps).ln().abs();
    of_height
        .into_iter()
        .min_by(|&a, &b| {
            distance(a)
                .total_cmp(&distance(b))
                .then(operating[b].quality.total_cmp(&operating[a].quality))
        })
        .ok_or_else(|| Error::Internal("no operating point for a forced rung".into()))
}

/// The 5th percentile over frames of per-title encoding at each bitrate: along the upper
/// hull (mean quality over bitrate) of the points, each vertex a whole-title encode,
/// interpolated linearly in log bitrate between vertices. Each vertex's 5th percentile is
/// estimated as a shot candidate's is, from its shots' percentiles, so that a candidate taking
/// one encode for every shot meets its own vertex exactly; a vertex without them takes its
/// pooled 5th percentile.
struct PerTitleP5 {
    /// The hull's points (indices into the points), by increasing bitrate.
    hull: Vec<usize>,
    /// `(kbps, p5)` of the hull's vertices, by increasing bitrate; empty when a vertex has
    /// neither.
    vertices: Vec<(f64, f64)>,
}

impl PerTitleP5 {
    fn of(points: &[Point], metric: Metric, shots: &[crate::shots::Shot], fps: f64) -> Self {
        let key = metric.field();
        let rq = metric.rate_quality(points);
        let hull = upper_hull(&rq);
        let vertices: Option<Vec<(f64, f64)>> = hull
            .iter()
            .map(|&i| {
                let p = &points[i];
                let estimated = p
                    .shots
                    .as_ref()
                    .filter(|f| f.percentiles.contains_key(key))
                    .and_then(|_| ShotCandidate::uniform(points, i, shots, key, fps))
                    .map(|c| c.p5);
                let p5 = estimated.or_else(|| Some(p.pooling.get(key)?.p5))?;
                Some((p.bitrate_kbps, p5))
            })
            .collect();
        let mut vertices = vertices.unwrap_or_default();
        vertices.sort_by(|a, b| a.0.total_cmp(&b.0));
        PerTitleP5 { hull, vertices }
    }

    /// The per-title 5th percentile at `kbps`; `None` outside the hull's bitrates (per-title
    /// encoding has nothing there to compare with).
    fn at(&self, kbps: f64) -> Option<f64> {
        let first = self.vertices.first()?;
        let last = self.vertices.last()?;
        if !(kbps >= first.0 && kbps <= last.0) {
            return None;
        }
        let j = self.vertices.partition_point(|v| v.0 <= kbps);
        if j >= self.vertices.len() {
            return Some(last.1);
        }
        let (a, b) = (self.vertices[j - 1], self.vertices[j]);
        let t = (kbps.ln() - a.0.ln()) / (b.0.ln() - a.0.ln());
        Some(a.1 + (b.1 - a.1) * t)
    }
}

impl ShotCandidates {
    /// Candidate `c`'s mean quality on the points' metric `key` (a device's `vmaf_phone`
    /// too): its shots' means, frame-weighted; `None` when a chosen point lacks it.
    pub fn quality(&self, title: ShotTitle<'_>, c: &Candidate, key: &str) -> Option<f64> {
        let Origin::Shots(k) = c.origin else {
            return None;
        };
        let op = self.operating.get(k)?;
        let shots = &title.list.shots;
        let mut sum = 0.0;
        let mut frames = 0u64;
        for (s, &i) in op.points.iter().enumerate() {
            let q = *self.pool.get(i)?.shots.as_ref()?.means.get(key)?.get(s)?;
            let f = shots.get(s)?.frames;
            sum += q * f as f64;
            frames += f;
        }
        (frames > 0 && sum.is_finite()).then(|| sum / frames as f64)
    }

    /// The rung of candidate `c`: interpolated when a shot takes an estimated encode (its
    /// segment sizes, estimates, then go, as an interpolated per-title rung has none).
    pub fn rung(
        &self,
        title: ShotTitle<'_>,
        c: &Candidate,
        segment_durations_s: &[f64],
    ) -> Result<Rung> {
        let op = match c.origin {
            Origin::Shots(k) => self.operating.get(k),
            _ => None,
        }
        .ok_or_else(|| Error::Internal("a per-title candidate among shot rungs".into()))?;
        let mut rung = Rung::from_shots(
            &self.pool,
            op,
            &title.list.shots,
            title.segment_frames,
            segment_durations_s,
        )?;
        if op.points.iter().any(|&i| i >= self.measured) {
            rung.interpolated = true;
            rung.segment_sizes_bits.clear();
        }
        Ok(rung)
    }
}

#[cfg(test)]
mod tests;
