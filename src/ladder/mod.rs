//! The ladder engine: from measured points to rungs.
//!
//! 1. [`candidates`]: each allowed resolution's curve (its own upper convex hull in bitrate vs
//!    quality), with candidates interpolated between measured CRFs, cut to the constraints.
//! 2. [`select`]: the rungs that maximize viewers' expected quality under the constraints,
//!    solved exactly.
//! 3. [`build`]: marks the overall hull on the points and turns the selection into rungs.

pub mod candidates;
pub mod constraints;
pub mod select;

pub use candidates::{Candidate, Origin};
pub use constraints::{Constraints, ForcedRung};
pub use select::{Objective, Selection};

use crate::error::Result;
use crate::hull::{RateQuality, upper_hull};
use crate::point::{Metric, Point, Rung};

/// A chosen ladder.
#[derive(Debug, Clone, PartialEq)]
pub struct Ladder {
    /// By increasing bitrate.
    pub rungs: Vec<Rung>,
    /// Quality a viewer gets on average over the objective's bandwidth range.
    pub expected_quality: f64,
    /// The bandwidth range the expectation is over, kbit/s.
    pub viewer_kbps: [f64; 2],
}

/// Mark every point's `on_hull` (the upper convex hull of all points, in bitrate vs `metric`)
/// and choose the rungs under `constraints`. `segment_durations_s` gives each segment's
/// duration, for the rungs' peak bitrates.
pub fn build(
    points: &mut [Point],
    metric: Metric,
    constraints: &Constraints,
    objective: &Objective,
    segment_durations_s: &[f64],
) -> Result<Ladder> {
    constraints.validate()?;
    mark_hull(points, metric);
    let cands = candidates::candidates(points, metric, constraints)?;
    let selection = select::select(&cands, constraints, objective)?;
    let rungs = selection
        .rungs
        .iter()
        .map(|&i| rung(points, &cands[i], segment_durations_s))
        .collect();
    Ok(Ladder {
        rungs,
        expected_quality: selection.expected_quality,
        viewer_kbps: selection.viewer_kbps,
    })
}

/// Set `on_hull` on the points of the upper convex hull of all points.
pub fn mark_hull(points: &mut [Point], metric: Metric) {
    let rq: Vec<RateQuality> = points
        .iter()
        .map(|p| RateQuality {
            kbps: p.bitrate_kbps,
            quality: metric.of_point(p),
        })
        .collect();
    for p in points.iter_mut() {
        p.on_hull = false;
    }
    for i in upper_hull(&rq) {
        points[i].on_hull = true;
    }
}

fn rung(points: &[Point], c: &Candidate, segment_durations_s: &[f64]) -> Rung {
    match c.origin {
        Origin::Measured(i) => Rung::from_point(&points[i], segment_durations_s),
        Origin::Interpolated {
            lower, upper, t, ..
        } => Rung::interpolated(
            &points[lower],
            &points[upper],
            t,
            c.kbps,
            c.crf,
            segment_durations_s,
        ),
    }
}
