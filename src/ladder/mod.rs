//! The ladder engine: from measured points to rungs.
//!
//! 1. [`candidates`]: each allowed resolution's curve (its own upper convex hull in bitrate vs
//!    quality), with candidates interpolated between measured CRFs, cut to the constraints.
//! 2. [`select`]: the rungs that maximize viewers' expected quality under the constraints,
//!    solved exactly.
//! 3. [`build`]: marks the overall hull on the points and turns the selection into rungs.
//!
//! With shot rungs ([`Constraints::shot_rungs`], a shot-based run), step 1 gives the shot
//! ladder's operating points instead ([`shot_rungs`]): each an encode per shot, measured or
//! estimated between two measured CRFs.

pub mod bdrate;
pub(crate) mod candidates;
mod constraints;
pub mod fixed;
pub mod hull;
mod select;
pub mod shot_rungs;

pub use candidates::{Candidate, CrfValues, Origin};
pub use constraints::{Constraints, ForcedRung};
pub use select::{MixTable, Objective, Selection};
pub use shot_rungs::ShotTitle;

use crate::error::{Error, Result, Setting};
use crate::ladder::hull::upper_hull;
use crate::measure::point::{Metric, Point, Rung};
use crate::viewers::cost::Prices;

/// A chosen ladder.
#[derive(Debug, Clone, PartialEq)]
pub struct Ladder {
    /// By increasing bitrate.
    pub rungs: Vec<Rung>,
    /// Quality a viewer gets on average over the objective's bandwidth range.
    pub expected_quality: f64,
    /// The bandwidth range the expectation is over, kbit/s.
    pub viewer_kbps: [f64; 2],
    /// Where each rung comes from, indices into the points given to [`build`].
    pub origins: Vec<Origin>,
    /// With a viewer mix: each device's figures, in the mix's order (empty without one).
    pub devices: Vec<DeviceExpectation>,
    /// The mean bitrate a viewer fetches, kbit/s (0 below the lowest rung).
    pub expected_kbps: f64,
    /// The prices the costs are at.
    pub prices: Prices,
    /// The ladders that maximize quality less the weighted delivery cost for some weight,
    /// by increasing cost (see [`FrontierPoint`]).
    pub frontier: Vec<FrontierPoint>,
    /// Quality gained per extra dollar per 1,000 viewing hours over the next cheaper ladder
    /// of the frontier (`None`: no cheaper ladder with less quality).
    pub quality_per_dollar: Option<f64>,
}

/// A ladder of the quality-cost frontier.
#[derive(Debug, Clone, PartialEq)]
pub struct FrontierPoint {
    /// How many rungs it has.
    pub rungs: usize,
    /// Its top rung's width, height and bitrate (kbit/s).
    pub top: (u32, u32, f64),
    /// Its expected quality.
    pub expected_quality: f64,
    /// The mean bitrate a viewer fetches, kbit/s.
    pub expected_kbps: f64,
    /// The sum of its rungs' bitrates, kbit/s (what storing it takes per second of title).
    pub total_kbps: f64,
    /// The cost weight it was found at.
    pub cost_weight: f64,
    /// Whether it is the chosen ladder.
    pub chosen: bool,
}

/// What one device of a viewer mix gets from a ladder.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceExpectation {
    /// The device class's name.
    pub name: String,
    /// The point metric its quality is on.
    pub quality_key: String,
    /// Its share of the viewers.
    pub share: f64,
    /// The mean quality its viewers get (0 below the lowest rung it plays).
    pub expected_quality: f64,
    /// The rungs it plays.
    pub playable_rungs: usize,
    /// The mean bitrate its viewers fetch, kbit/s.
    pub expected_kbps: f64,
}

/// Mark every point's `on_hull` (the upper convex hull of all points, in bitrate vs `metric`)
/// and choose the rungs under `constraints`. `segment_durations_s` gives each segment's
/// duration, for the rungs' peak bitrates. `shots`: the title of a shot-based run, which
/// shot rungs ([`Constraints::shot_rungs`]) need; a title of one shot gets per-title rungs
/// (the same problem, with candidates between measured CRFs too).
pub fn build(
    points: &mut [Point],
    metric: Metric,
    constraints: &Constraints,
    objective: &Objective,
    segment_durations_s: &[f64],
    values: CrfValues,
    shots: Option<ShotTitle<'_>>,
) -> Result<Ladder> {
    constraints.validate()?;
    objective.validate()?;
    mark_hull(points, metric);
    let shot_ladder = match (constraints.shot_rungs, shots) {
        // One shot: its shot ladder is the per-title one, whose candidates between measured
        // CRFs the shot ladder's vertices lack.
        (Some(_), Some(title)) if title.list.shots.len() == 1 => None,
        (Some(mode), Some(title)) => Some((
            shot_rungs::candidates(points, metric, constraints, title, mode)?,
            title,
        )),
        (Some(_), None) => {
            return Err(Error::setting(
                Setting::ShotResolution,
                "shot rungs need a shot-based run (optimize --shots); this one measured the title whole",
            ));
        }
        (None, _) => None,
    };
    let cands = match &shot_ladder {
        Some((s, _)) => s.candidates.clone(),
        None => candidates::candidates(points, metric, constraints, values)?,
    };
    let table = match (&objective.viewers, &shot_ladder) {
        (Some(mix), Some((s, title))) => Some(MixTable::with_quality(mix, &cands, |c, key| {
            s.quality(*title, c, key)
        })?),
        (Some(mix), None) => Some(MixTable::new(mix, points, &cands)?),
        (None, _) => None,
    };
    let selection = match &table {
        Some(t) => select::select_with(&cands, constraints, objective, Some(t))?,
        None => select::select(&cands, constraints, objective)?,
    };
    let devices = match (&objective.viewers, &table) {
        (Some(mix), Some(t)) => mix
            .devices
            .iter()
            .enumerate()
            .map(|(d, m)| DeviceExpectation {
                name: m.name.clone(),
                quality_key: m.quality_key.clone(),
                share: m.share,
                expected_quality: selection.per_device.get(d).copied().unwrap_or(0.0),
                playable_rungs: t.playable(d, &selection.rungs),
                expected_kbps: selection.per_device_kbps.get(d).copied().unwrap_or(0.0),
            })
            .collect(),
        _ => Vec::new(),
    };
    let rungs = selection
        .rungs
        .iter()
        .map(|&i| match &shot_ladder {
            Some((s, title)) => s.rung(*title, &cands[i], segment_durations_s),
            None => rung(points, &cands[i], segment_durations_s),
        })
        .collect::<Result<Vec<Rung>>>()?;
    let prices = objective.prices();
    let front = select::cost::frontier(&cands, constraints, objective, table.as_ref());
    let quality_per_dollar = select::cost::quality_per_dollar(&selection, &front, &prices);
    let frontier = front
        .iter()
        .filter_map(|f| {
            let top = &cands[*f.rungs.last()?];
            Some(FrontierPoint {
                rungs: f.rungs.len(),
                top: (top.width, top.height, top.kbps),
                expected_quality: f.expected_quality,
                expected_kbps: f.expected_kbps,
                total_kbps: f.rungs.iter().map(|&i| cands[i].kbps).sum(),
                cost_weight: f.cost_weight,
                chosen: f.rungs == selection.rungs,
            })
        })
        .collect();
    Ok(Ladder {
        rungs,
        expected_quality: selection.expected_quality,
        viewer_kbps: selection.viewer_kbps,
        origins: selection.rungs.iter().map(|&i| cands[i].origin).collect(),
        devices,
        expected_kbps: selection.expected_kbps,
        prices,
        frontier,
        quality_per_dollar,
    })
}

/// Set `on_hull` on the points of the upper convex hull of all points.
pub fn mark_hull(points: &mut [Point], metric: Metric) {
    let rq = metric.rate_quality(&*points);
    for p in points.iter_mut() {
        p.on_hull = false;
    }
    for i in upper_hull(&rq) {
        points[i].on_hull = true;
    }
}

fn rung(points: &[Point], c: &Candidate, segment_durations_s: &[f64]) -> Result<Rung> {
    Ok(match c.origin {
        Origin::Shots(_) => {
            return Err(Error::Internal("a shot rung among per-title rungs".into()));
        }
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
    })
}

#[cfg(test)]
mod mix_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// A measured point of a resolution whose curve rises and flattens with bitrate.
    fn point(height: u32, crf: f64, kbps: f64, quality: f64) -> Point {
        Point {
            width: height * 16 / 9,
            height,
            crf,
            bitrate_kbps: kbps,
            psnr_y: quality,
            psnr_yuv: quality,
            ssim_y: quality / 100.0,
            vmaf: Some(quality),
            pooling: BTreeMap::new(),
            segment_sizes_bits: vec![(kbps * 1000.0) as u64],
            segment_means: BTreeMap::new(),
            shots: None,
            on_hull: false,
            codecs: String::new(),
        }
    }

    fn arb_points() -> impl Strategy<Value = Vec<Point>> {
        // Per height: a base bitrate and quality gains for CRFs 40, 34, 28, 22.
        prop::collection::vec(
            (
                prop::sample::select(vec![270u32, 360, 540, 720, 1080]),
                20.0f64..400.0,
                prop::collection::vec((1.3f64..2.2, 0.5f64..15.0), 2..5),
            ),
            1..4,
        )
        .prop_map(|curves| {
            let mut points = Vec::new();
            for (height, base, steps) in curves {
                let (mut kbps, mut q) = (
                    base * f64::from(height) / 270.0,
                    20.0 + f64::from(height) / 60.0,
                );
                let mut crf = 40.0;
                points.push(point(height, crf, kbps, q));
                for (ratio, gain) in steps {
                    kbps *= ratio;
                    q = (q + gain).min(100.0);
                    crf -= 6.0;
                    points.push(point(height, crf, kbps, q));
                }
            }
            points
        })
    }

    fn arb_constraints() -> impl Strategy<Value = Constraints> {
        (
            1usize..4,
            0usize..6,
            prop::option::weighted(0.3, 30.0f64..300.0),
            prop::option::weighted(0.3, 1000.0f64..8000.0),
            1.2f64..1.8,
            prop::option::weighted(0.7, 2.0f64..3.0),
            prop::option::weighted(0.3, 40.0f64..90.0),
            prop::sample::select(vec![0.0, 0.0, 3.0]),
            prop::option::weighted(0.2, prop::sample::select(vec![360u32, 540])),
        )
            .prop_map(
                |(min_r, extra, min_kbps, max_kbps, min_step, max_step, top, gap, max_h)| {
                    Constraints {
                        min_rungs: min_r,
                        max_rungs: min_r + extra,
                        min_kbps: min_kbps.unwrap_or(0.0),
                        max_kbps,
                        min_step,
                        max_step,
                        top_quality: top,
                        min_quality_gap: gap,
                        max_height: max_h,
                        ..Constraints::default()
                    }
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Every ladder `build` returns obeys every constraint, checked on the rungs alone
        /// (not with the selection's own predicates); interpolated rungs lie between measured
        /// points of their height.
        #[test]
        fn every_ladder_satisfies_its_constraints(mut points in arb_points(), c in arb_constraints()) {
            let metric = Metric::Vmaf;
            let Ok(ladder) = build(
                &mut points,
                metric,
                &c,
                &Objective::default(),
                &[1.0],
                CrfValues::Any,
                None,
            ) else {
                return Ok(());
            };
            let r = &ladder.rungs;
            prop_assert!(!r.is_empty());
            prop_assert!(r.len() >= c.min_rungs && r.len() <= c.max_rungs);
            for x in r {
                prop_assert!(x.bitrate_kbps >= c.min_kbps - 1e-3);
                prop_assert!(c.max_kbps.is_none_or(|m| x.bitrate_kbps <= m + 1e-3));
                prop_assert!(c.max_height.is_none_or(|m| x.height <= m));
                let measured: Vec<&Point> = points.iter().filter(|p| p.height == x.height).collect();
                if x.interpolated {
                    // Non-strict: the manifest rounds CRF to 0.01 and bitrates to 0.001.
                    prop_assert!(measured.iter().any(|p| p.bitrate_kbps <= x.bitrate_kbps));
                    prop_assert!(measured.iter().any(|p| p.bitrate_kbps >= x.bitrate_kbps));
                    prop_assert!(measured.iter().any(|p| p.crf >= x.crf) && measured.iter().any(|p| p.crf <= x.crf));
                } else {
                    prop_assert!(measured.iter().any(|p| p.crf == x.crf && p.bitrate_kbps == x.bitrate_kbps));
                }
            }
            for w in r.windows(2) {
                let ratio = w[1].bitrate_kbps / w[0].bitrate_kbps;
                // Rungs are rounded to 1e-3 kbps in the manifest.
                prop_assert!(ratio >= c.min_step * (1.0 - 1e-4), "step {ratio}");
                prop_assert!(c.max_step.is_none_or(|m| ratio <= m * (1.0 + 1e-4)), "step {ratio}");
                prop_assert!(w[0].height <= w[1].height);
                let (qa, qb) = (w[0].vmaf.unwrap(), w[1].vmaf.unwrap());
                prop_assert!(qb > qa && qb - qa >= c.min_quality_gap - 1e-3);
            }
            // The top-quality target: nothing above the cheapest point of the hull reaching it.
            if let Some(target) = c.top_quality {
                let allowed = metric.rate_quality(points.iter().filter(|p| c.max_height.is_none_or(|m| p.height <= m)));
                if let Some(cap) = crate::ladder::hull::kbps_reaching(&allowed, target) {
                    prop_assert!(r.last().unwrap().bitrate_kbps <= cap + 1e-3);
                }
            }
        }
    }
}
