//! The rung candidates: every measured point on its resolution's curve, and points in between.
//!
//! Each resolution's curve is the upper convex hull of its own points (in bitrate vs quality),
//! which drops points that are dominated, duplicated in bitrate or past the curve's best
//! quality. Between two consecutive points of a curve, candidates are interpolated every
//! [`INTERPOLATION_STEP`] in bitrate: quality linearly in bitrate (the curve's own segment),
//! and CRF linearly in log-bitrate (x264's bitrate falls about exponentially as CRF rises), so
//! a rung can sit at a fractional CRF between two measured ones. Candidates are then cut to
//! the constraints: allowed heights, the bitrate range, and the top-quality cap.

use super::constraints::{Constraints, ForcedRung};
use crate::error::{Error, Result, Setting};
use crate::ladder::hull::{kbps_reaching, upper_hull};
use crate::measure::point::{Metric, Point};

/// Which CRFs a rung may have: any value (x264, x265), or whole numbers only (the codecs whose
/// constant-quality level is an integer): then candidates are interpolated at every whole
/// CRF between two measured ones instead of every [`INTERPOLATION_STEP`] in bitrate, and
/// the bitrates of the constraints' edges and of forced rungs are met at the nearest whole
/// CRF that keeps within them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CrfValues {
    /// Any value, fractional included (x264, x265).
    #[default]
    Any,
    /// Whole numbers only (SVT-AV1, VP9, libaom).
    Whole,
}

impl CrfValues {
    /// The CRFs a codec takes.
    pub fn of(codec: crate::encode::codec::Codec) -> Self {
        if codec.quality().fractional {
            CrfValues::Any
        } else {
            CrfValues::Whole
        }
    }
}

/// Where a whole CRF is sought when a candidate's CRF is not one.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Snap {
    Nearest,
    /// At or below the candidate's bitrate.
    Down,
    /// At or above the candidate's bitrate.
    Up,
}

/// The candidate at the whole CRF next to `c`'s (in direction `snap`) on the same curve
/// segment; `c` itself when it is measured or `values` is `Any`.
fn whole(
    points: &[Point],
    metric: Metric,
    c: Candidate,
    values: CrfValues,
    snap: Snap,
) -> Candidate {
    let Origin::Interpolated { lower, upper, .. } = c.origin else {
        return c;
    };
    if values == CrfValues::Any {
        return c;
    }
    let (ca, cb) = (points[lower].crf, points[upper].crf);
    // CRF falls as bitrate rises along the segment (ca above cb), or rises (ca below cb).
    let falls = ca > cb;
    let crf = match (snap, falls) {
        (Snap::Nearest, _) => c.crf.round(),
        (Snap::Down, true) | (Snap::Up, false) => c.crf.ceil(),
        (Snap::Down, false) | (Snap::Up, true) => c.crf.floor(),
    };
    at_crf(points, metric, lower, upper, crf)
}

/// The candidate at CRF `crf` on the segment from point `a` to point `b` (CRF linear in
/// log-bitrate); the end point itself at either end's CRF.
fn at_crf(points: &[Point], metric: Metric, a: usize, b: usize, crf: f64) -> Candidate {
    let (ca, cb) = (points[a].crf, points[b].crf);
    if crf == ca || ca == cb {
        return measured(points, metric, a);
    }
    let s = ((crf - ca) / (cb - ca)).clamp(0.0, 1.0);
    if s >= 1.0 {
        return measured(points, metric, b);
    }
    let (ka, kb) = (points[a].bitrate_kbps, points[b].bitrate_kbps);
    let kbps = ka * (kb / ka).powf(s);
    Candidate {
        crf,
        ..between(points, metric, a, b, kbps)
    }
}

/// Bitrate ratio between interpolated candidates on a resolution's curve.
pub const INTERPOLATION_STEP: f64 = 1.04;

/// Where a candidate comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Origin {
    /// A measured point (index into the points).
    Measured(usize),
    /// Between two measured points of one resolution, `lower` and `upper` (indices into the
    /// points): at fraction `t` of the way in bitrate and `s` of the way in log-bitrate.
    Interpolated {
        /// Index of the lower-bitrate point.
        lower: usize,
        /// Index of the higher-bitrate point.
        upper: usize,
        /// Fraction of the way from `lower` to `upper` in bitrate (0 to 1).
        t: f64,
        /// Fraction of the way from `lower` to `upper` in log-bitrate (0 to 1).
        s: f64,
    },
    /// An operating point of a shot ladder (index into its
    /// [`ShotCandidate`](crate::shots::ladder::ShotCandidate)s): one encode per shot.
    Shots(usize),
}

/// A possible rung.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Bitrate, kbit/s.
    pub kbps: f64,
    /// Quality on the hull's metric.
    pub quality: f64,
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
    /// The codec's constant-quality value (fractional when interpolated with [`CrfValues::Any`]).
    pub crf: f64,
    /// The point it is, or the two points it lies between.
    pub origin: Origin,
    /// Asked for by the user: must be in the ladder.
    pub forced: bool,
}

/// One resolution's curve: indices of its points on its upper hull, by increasing bitrate.
struct Curve {
    width: u32,
    height: u32,
    points: Vec<usize>,
}

fn curves(points: &[Point], metric: Metric, constraints: &Constraints) -> Vec<Curve> {
    let mut sizes: Vec<(u32, u32)> = points
        .iter()
        .filter(|p| constraints.allows_height(p.height))
        .map(|p| (p.width, p.height))
        .collect();
    sizes.sort_by_key(|&(w, h)| (h, w));
    sizes.dedup();
    sizes
        .into_iter()
        .map(|(width, height)| {
            let members: Vec<usize> = (0..points.len())
                .filter(|&i| {
                    let p = &points[i];
                    (p.width, p.height) == (width, height)
                        && p.bitrate_kbps > 0.0
                        && metric.of(p).is_finite()
                })
                .collect();
            let rq = metric.rate_quality(members.iter().map(|&i| &points[i]));
            Curve {
                width,
                height,
                points: upper_hull(&rq).into_iter().map(|k| members[k]).collect(),
            }
        })
        .filter(|c| !c.points.is_empty())
        .collect()
}

/// The candidate at `kbps` on the curve segment from point `a` to point `b`.
fn between(points: &[Point], metric: Metric, a: usize, b: usize, kbps: f64) -> Candidate {
    let (pa, pb) = (&points[a], &points[b]);
    let (ka, kb) = (pa.bitrate_kbps, pb.bitrate_kbps);
    let t = (kbps - ka) / (kb - ka);
    let s = (kbps / ka).ln() / (kb / ka).ln();
    let (qa, qb) = (metric.of(pa), metric.of(pb));
    Candidate {
        kbps,
        quality: qa + t * (qb - qa),
        width: pa.width,
        height: pa.height,
        crf: pa.crf + s * (pb.crf - pa.crf),
        origin: Origin::Interpolated {
            lower: a,
            upper: b,
            t,
            s,
        },
        forced: false,
    }
}

fn measured(points: &[Point], metric: Metric, i: usize) -> Candidate {
    let p = &points[i];
    Candidate {
        kbps: p.bitrate_kbps,
        quality: metric.of(p),
        width: p.width,
        height: p.height,
        crf: p.crf,
        origin: Origin::Measured(i),
        forced: false,
    }
}

/// The candidate at `kbps` on `curve`, when the curve spans that bitrate.
fn on_curve(points: &[Point], metric: Metric, curve: &Curve, kbps: f64) -> Option<Candidate> {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs());
    for w in curve.points.windows(2) {
        let (a, b) = (w[0], w[1]);
        if close(points[a].bitrate_kbps, kbps) {
            return Some(measured(points, metric, a));
        }
        if points[a].bitrate_kbps < kbps && kbps < points[b].bitrate_kbps {
            return Some(between(points, metric, a, b, kbps));
        }
    }
    let last = *curve.points.last()?;
    close(points[last].bitrate_kbps, kbps).then(|| measured(points, metric, last))
}

/// The bitrate at which the hull of the allowed points first reaches `target`, or `None`
/// when no point reaches it.
pub fn bitrate_reaching(
    points: &[Point],
    metric: Metric,
    constraints: &Constraints,
    target: f64,
) -> Option<f64> {
    let allowed: Vec<usize> = (0..points.len())
        .filter(|&i| constraints.allows_height(points[i].height))
        .collect();
    let rq = metric.rate_quality(allowed.iter().map(|&i| &points[i]));
    kbps_reaching(&rq, target)
}

/// Every candidate the constraints allow, by increasing bitrate (then decreasing quality),
/// with the forced rungs among them.
pub fn candidates(
    points: &[Point],
    metric: Metric,
    constraints: &Constraints,
    values: CrfValues,
) -> Result<Vec<Candidate>> {
    let curves = curves(points, metric, constraints);
    if curves.is_empty() {
        return Err(no_allowed_height(points));
    }
    let cap = constraints
        .top_quality
        .and_then(|q| bitrate_reaching(points, metric, constraints, q));
    let mut out: Vec<Candidate> = Vec::new();
    for curve in &curves {
        for &i in &curve.points {
            out.push(measured(points, metric, i));
        }
        for w in curve.points.windows(2) {
            if constraints.measured_only {
                break;
            }
            let (a, b) = (w[0], w[1]);
            let (ka, kb) = (points[a].bitrate_kbps, points[b].bitrate_kbps);
            match values {
                CrfValues::Any => {
                    let n = ((kb / ka).ln() / INTERPOLATION_STEP.ln()).ceil() as usize;
                    for k in 1..n {
                        let kbps = ka * (kb / ka).powf(k as f64 / n as f64);
                        out.push(between(points, metric, a, b, kbps));
                    }
                }
                CrfValues::Whole => {
                    let (ca, cb) = (points[a].crf, points[b].crf);
                    let (lo, hi) = (ca.min(cb), ca.max(cb));
                    let mut crf = lo.floor() + 1.0;
                    while crf < hi {
                        out.push(at_crf(points, metric, a, b, crf));
                        crf += 1.0;
                    }
                }
            }
            // The exact bitrates of the cap and of the range's ends (at whole CRFs: the
            // nearest inside them), so the ladder can reach them.
            let edges = [
                (cap, Snap::Down),
                (Some(constraints.min_kbps), Snap::Up),
                (constraints.max_kbps, Snap::Down),
            ];
            for (edge, snap) in edges {
                if let Some(edge) = edge.filter(|&e| ka < e && e < kb) {
                    let c = between(points, metric, a, b, edge);
                    out.push(whole(points, metric, c, values, snap));
                }
            }
        }
    }
    for f in &constraints.forced {
        let c = forced(points, metric, &curves, f)?;
        let c = Candidate {
            forced: true,
            ..whole(points, metric, c, values, Snap::Nearest)
        };
        if constraints.measured_only && matches!(c.origin, Origin::Interpolated { .. }) {
            return Err(Error::setting(
                Setting::MeasuredOnly,
                format!(
                    "forced rung {f} lies between two measured CRFs, and only measured points are allowed"
                ),
            ));
        }
        out.push(c);
    }
    let limit = cap.map_or(f64::INFINITY, |c| c * (1.0 + 1e-9));
    if let Some(f) = constraints.forced.iter().find(|f| f.kbps > limit) {
        return Err(Error::setting(
            Setting::ForcedRungs,
            format!(
                "rung {f} spends more than the top-quality target allows: the hull reaches {} at {:.1} kbps",
                constraints.top_quality.unwrap_or_default(),
                limit
            ),
        ));
    }
    out.retain(|c| c.forced || (constraints.allows_kbps(c.kbps) && c.kbps <= limit));
    if out.is_empty() {
        return Err(nothing_in_range(points, constraints, "point"));
    }
    out.sort_by(|a, b| {
        a.kbps
            .total_cmp(&b.kbps)
            .then(b.quality.total_cmp(&a.quality))
            .then(b.forced.cmp(&a.forced))
            .then(a.height.cmp(&b.height))
            .then(a.width.cmp(&b.width))
    });
    // A forced rung replaces the candidate it coincides with.
    out.dedup_by(|later, earlier| {
        later.kbps == earlier.kbps && (later.width, later.height) == (earlier.width, earlier.height)
    });
    Ok(out)
}

/// The error when no point has a height the constraints allow.
pub(super) fn no_allowed_height(points: &[Point]) -> Error {
    let mut heights: Vec<u32> = points.iter().map(|p| p.height).collect();
    heights.sort_unstable();
    heights.dedup();
    Error::Ladder(format!(
        "no measured point has an allowed height (measured heights: {heights:?})"
    ))
}

/// The error when no candidate (`what`, e.g. `point`) lies in the constraints' bitrate range.
pub(super) fn nothing_in_range(points: &[Point], constraints: &Constraints, what: &str) -> Error {
    let lo = points
        .iter()
        .map(|p| p.bitrate_kbps)
        .fold(f64::INFINITY, f64::min);
    let hi = points.iter().map(|p| p.bitrate_kbps).fold(0.0, f64::max);
    Error::setting(
        if constraints.min_kbps > 0.0 {
            Setting::MinKbps
        } else {
            Setting::MaxKbps
        },
        format!(
            "no {what} between {} and {} kbps (measured {lo:.1} to {hi:.1} kbps)",
            constraints.min_kbps,
            constraints
                .max_kbps
                .map_or("any".to_string(), |m| m.to_string())
        ),
    )
}

/// The candidate for a forced rung: on its height's curve, or on the best curve at its
/// bitrate.
fn forced(points: &[Point], metric: Metric, curves: &[Curve], f: &ForcedRung) -> Result<Candidate> {
    let spanning: Vec<Candidate> = curves
        .iter()
        .filter(|c| f.height.is_none_or(|h| c.height == h))
        .filter_map(|c| on_curve(points, metric, c, f.kbps))
        .collect();
    let best = spanning.into_iter().max_by(|a, b| {
        a.quality
            .total_cmp(&b.quality)
            .then(b.height.cmp(&a.height))
    });
    match best {
        Some(c) => Ok(Candidate { forced: true, ..c }),
        None => {
            let ranges: Vec<String> = curves
                .iter()
                .filter(|c| f.height.is_none_or(|h| c.height == h))
                .map(|c| {
                    let lo = points[c.points[0]].bitrate_kbps;
                    let hi = points[*c.points.last().unwrap_or(&c.points[0])].bitrate_kbps;
                    format!("{}x{}: {lo:.1}-{hi:.1} kbps", c.width, c.height)
                })
                .collect();
            Err(Error::Ladder(format!(
                "forced rung {f} is outside every measured curve{} ({})",
                f.height
                    .map_or(String::new(), |h| format!(" of height {h}")),
                if ranges.is_empty() {
                    "no such height was measured".to_string()
                } else {
                    ranges.join(", ")
                }
            )))
        }
    }
}
