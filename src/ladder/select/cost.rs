//! What a ladder costs to deliver, and the trade-off between quality and cost.
//!
//! A viewer fetches the rung they play (the objective's rule: the highest rung their device
//! plays whose bitrate is at most their bandwidth; nothing below the lowest rung), so the
//! expected bitrate of a ladder is the expected quality's sum with each rung's quality
//! replaced by its bitrate. Its delivery cost is that bitrate's GB per viewing hour at the
//! delivery price, given per 1,000 viewing hours.
//!
//! The frontier: the ladders that maximize `E[quality] - W * E[cost]` for some cost weight
//! `W >= 0`, found exactly (each is a vertex of the upper concave hull of every feasible
//! ladder's (cost, quality)): between two frontier ladders `a` and `b`, the programme is
//! solved at the weight `(q_b - q_a) / (c_b - c_a)`; a ladder scoring more than both there
//! lies above the segment and is added, and the search recurses on both halves. The ends
//! are the ladders at weights [`BEST_WEIGHT`] (the best quality with the top rung free) and
//! [`CHEAPEST_WEIGHT`]. The ladder without a weight, its top rung fixed at the best
//! candidate, is on the frontier only when it is one of these.

use super::mix::MixTable;
use super::{Objective, Selection, solve_with};
use crate::ladder::candidates::Candidate;
use crate::ladder::constraints::Constraints;
use crate::viewers::cost::{Prices, usd_per_1000_hours_at};

/// A cost weight high enough that the cheapest ladder wins: one kbit/s of mean bitrate
/// (about 0.009 dollars per 1,000 hours at 0.02 dollars per GB) outweighs 9,000 quality
/// points.
pub const CHEAPEST_WEIGHT: f64 = 1e6;

/// A cost weight low enough to only break ties of quality: the best ladder when the top rung
/// is free, the cheapest of equals.
pub const BEST_WEIGHT: f64 = 1e-6;

/// The most ladders the frontier search solves for.
const MAX_SOLVES: usize = 128;

/// The mean of `value` (a candidate's quality or bitrate) over viewers log-uniform on
/// `[lo, hi]` playing the best rung at or below their bandwidth (0 below the lowest), summed
/// in the programme's order; with `lo == hi`, the top rung's value.
pub fn log_uniform_mean(
    cands: &[Candidate],
    rungs: &[usize],
    [lo, hi]: [f64; 2],
    value: impl Fn(usize) -> f64,
) -> f64 {
    let span = (hi / lo).ln();
    let lw = |k: f64| k.clamp(lo, hi).ln();
    let Some(&last) = rungs.last() else {
        return 0.0;
    };
    if span <= 0.0 {
        return value(last);
    }
    let mut total = 0.0;
    for w in rungs.windows(2) {
        total += value(w[0]) * (lw(cands[w[1]].kbps) - lw(cands[w[0]].kbps));
    }
    (total + value(last) * (hi.ln() - lw(cands[last].kbps))) / span
}

/// A ladder of the frontier.
#[derive(Debug, Clone, PartialEq)]
pub struct FrontierLadder {
    /// Its candidates, by increasing bitrate.
    pub rungs: Vec<usize>,
    /// Its expected quality.
    pub expected_quality: f64,
    /// The mean bitrate a viewer fetches, kbit/s.
    pub expected_kbps: f64,
    /// The cost weight it was found at (0: the ladder without a weight).
    pub cost_weight: f64,
}

/// The frontier of (expected cost, expected quality) over the ladders the constraints allow,
/// by increasing cost (and quality), leaving out a ladder no viewer plays; empty when no
/// ladder is feasible.
pub fn frontier(
    cands: &[Candidate],
    c: &Constraints,
    objective: &Objective,
    mix: Option<&MixTable>,
) -> Vec<FrontierLadder> {
    let solve_at = |w: f64| -> Option<FrontierLadder> {
        let o = Objective {
            cost_weight: Some(w),
            ..objective.clone()
        };
        solve_with(cands, c, &o, mix).map(|s: Selection| FrontierLadder {
            rungs: s.rungs,
            expected_quality: s.expected_quality,
            expected_kbps: s.expected_kbps,
            cost_weight: w,
        })
    };
    let (Some(best), Some(cheapest)) = (solve_at(BEST_WEIGHT), solve_at(CHEAPEST_WEIGHT)) else {
        return Vec::new();
    };
    let per_kbps = usd_per_1000_hours_at(1.0, &objective.prices());
    let cost = |l: &FrontierLadder| l.expected_kbps * per_kbps;
    let mut found = vec![cheapest.clone()];
    if best.rungs != cheapest.rungs {
        found.push(best.clone());
    }
    let mut stack = vec![(cheapest, best)];
    let mut solves = 2;
    while let Some((a, b)) = stack.pop() {
        let (dc, dq) = (cost(&b) - cost(&a), b.expected_quality - a.expected_quality);
        if dc <= 0.0 || dq <= 0.0 || solves >= MAX_SOLVES {
            continue;
        }
        let w = dq / dc;
        solves += 1;
        let Some(m) = solve_at(w) else { continue };
        let value = |l: &FrontierLadder| l.expected_quality - w * cost(l);
        let tolerance = 1e-9 * (1.0 + value(&a).abs());
        if value(&m) > value(&a).max(value(&b)) + tolerance
            && !found.iter().any(|f| f.rungs == m.rungs)
        {
            found.push(m.clone());
            stack.push((a, m.clone()));
            stack.push((m, b));
        }
    }
    // A ladder nobody plays (every viewer below its lowest rung) costs nothing and gives
    // nothing: not a choice worth listing.
    found.retain(|l| l.expected_quality > 0.0);
    pareto(found, cost)
}

/// The ladders no other beats on both counts (cheaper or as cheap, and better or as good),
/// by increasing cost.
fn pareto(
    mut ladders: Vec<FrontierLadder>,
    cost: impl Fn(&FrontierLadder) -> f64,
) -> Vec<FrontierLadder> {
    ladders.sort_by(|a, b| {
        cost(a)
            .total_cmp(&cost(b))
            .then(b.expected_quality.total_cmp(&a.expected_quality))
    });
    let mut kept: Vec<FrontierLadder> = Vec::new();
    for l in ladders {
        if kept
            .last()
            .is_none_or(|k| l.expected_quality > k.expected_quality)
        {
            kept.push(l);
        }
    }
    kept
}

/// Quality gained per extra dollar per 1,000 viewing hours by `chosen` over the next cheaper
/// ladder of `frontier` that it beats; `None` when there is none.
pub fn quality_per_dollar(
    chosen: &Selection,
    frontier: &[FrontierLadder],
    prices: &Prices,
) -> Option<f64> {
    let per_kbps = usd_per_1000_hours_at(1.0, prices);
    let c = chosen.expected_kbps * per_kbps;
    frontier
        .iter()
        .filter(|f| {
            f.expected_kbps * per_kbps < c * (1.0 - 1e-9)
                && f.expected_quality < chosen.expected_quality
        })
        .max_by(|a, b| a.expected_kbps.total_cmp(&b.expected_kbps))
        .map(|f| (chosen.expected_quality - f.expected_quality) / (c - f.expected_kbps * per_kbps))
}

#[cfg(test)]
#[path = "cost_tests.rs"]
mod tests;
