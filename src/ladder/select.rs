//! Choosing rungs among candidates: the ladder that maximizes the expected quality delivered
//! to viewers, subject to the constraints, solved exactly by dynamic programming.
//!
//! The objective: viewers' bandwidths are spread log-uniformly over `[lo, hi]` kbit/s
//! ([`Objective`]; by default the candidates' own bitrate range). A viewer with bandwidth `b`
//! plays the best rung whose bitrate is at most `b`; a viewer below the lowest rung cannot
//! play and counts as quality 0. The expected quality of rungs `r1 < ... < rn` is then
//! `sum_i q_i * (ln min(r_{i+1}, hi) - ln max(r_i, lo)) / ln(hi / lo)` with `r_{n+1} = hi`: a
//! sum over adjacent pairs, which is what lets a dynamic programme over (rung count, last
//! rung) find the exact optimum. The top rung is always the best candidate (the best quality
//! the range and the top-quality target allow, at its cheapest), as commercial ladders fix
//! their top. Every constraint is on a single rung (range, bottom rung) or
//! on a pair of adjacent rungs (step ratio, quality gap, resolution order, no forced rung
//! skipped), so the programme enforces all of them.
//!
//! With a viewer mix ([`Objective::viewers`]; the `mix` submodule) the objective is the
//! expected quality over the mix's devices, each viewer judged on their own device's quality
//! scale and offered only the rungs their device plays; it is still a sum over adjacent
//! pairs, and the same programme solves it exactly.
//!
//! With a cost weight `W` ([`Objective::cost_weight`]; the `cost` submodule) the programme
//! maximizes `E[quality] - W * E[delivery cost]`, the cost in dollars per 1,000 viewing hours
//! at the delivery price. A viewer fetches the rung they play, so the expected bitrate is
//! the same sum over adjacent pairs with each rung's quality replaced by its bitrate, and
//! each term becomes `(q_i - W * c * r_i) * (share of viewers on rung i)`, `c` the dollars
//! per 1,000 hours of one kbit/s: the optimum stays exact. With `W > 0` the top rung is no
//! longer fixed: it is whichever candidate the weighted objective prefers, so a high weight
//! may drop the most expensive rungs (the viewers' bandwidths stay as without a weight).

use super::candidates::Candidate;
use super::constraints::Constraints;
use crate::error::{Blocking, Error, Result, Setting};
use crate::viewers::cost::Prices;
use crate::viewers::mix::ViewerMix;
use serde::{Deserialize, Serialize};

pub(crate) mod cost;
pub(crate) mod mix;

pub use mix::MixTable;

/// Who the ladder is for: the range of viewers' bandwidths, or a viewer mix.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Objective {
    /// Viewers' bandwidths are log-uniform over this range, kbit/s (`None`: from the lowest
    /// candidate's bitrate to the top rung's). Not used when `viewers` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viewer_kbps: Option<[f64; 2]>,
    /// The viewers as a mix of devices, each with its share, caps, quality scale and
    /// bandwidth distribution (`--viewers`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viewers: Option<ViewerMix>,
    /// Quality points given up for one dollar less delivery per 1,000 viewing hours
    /// (`--cost-weight`); `None` or 0: quality alone, the top rung fixed at the best
    /// candidate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_weight: Option<f64>,
    /// The prices of delivery and storage (`--price-per-gb`, `--storage-price`); `None`:
    /// [`Prices::default`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prices: Option<Prices>,
}

impl Objective {
    /// The prices the objective's costs are at.
    pub fn prices(&self) -> Prices {
        self.prices.unwrap_or_default()
    }

    /// The cost weight, 0 when none is set.
    pub fn weight(&self) -> f64 {
        self.cost_weight.unwrap_or(0.0)
    }

    /// Fail unless the cost weight and the prices are finite and not negative.
    pub fn validate(&self) -> Result<()> {
        use crate::viewers::cost::valid_price;
        if let Some(w) = self.cost_weight.filter(|&w| !valid_price(w)) {
            return Err(Error::setting(
                Setting::CostWeight,
                format!(
                    "must be a number of at least 0 (quality points per dollar per 1,000 viewing hours), not {w}"
                ),
            ));
        }
        if let Some(p) = self
            .prices
            .filter(|p| !(valid_price(p.delivery_per_gb) && valid_price(p.storage_per_gb_month)))
        {
            return Err(Error::setting(
                Setting::Prices,
                format!(
                    "prices must be numbers of at least 0 dollars, not {} per GB delivered and {} per GB-month stored",
                    p.delivery_per_gb, p.storage_per_gb_month
                ),
            ));
        }
        Ok(())
    }
}

/// The chosen rungs (indices into the candidates, by increasing bitrate) and their expected
/// quality.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// The chosen candidates' indices, by increasing bitrate.
    pub rungs: Vec<usize>,
    /// Mean quality a viewer gets over `viewer_kbps` (0 below the lowest rung).
    pub expected_quality: f64,
    /// The bandwidth range the expectation is over (with a viewer mix: from the lowest
    /// positive bandwidth quantile of any device to the highest).
    pub viewer_kbps: [f64; 2],
    /// With a viewer mix: each device's expected quality on its own scale, in the mix's
    /// order (empty without a mix).
    pub per_device: Vec<f64>,
    /// The mean bitrate a viewer fetches, kbit/s (0 below the lowest rung).
    pub expected_kbps: f64,
    /// With a viewer mix: each device's mean bitrate, kbit/s, in the mix's order.
    pub per_device_kbps: Vec<f64>,
}

/// Relative slack on bitrate ratios and quality gaps, so that values equal up to rounding
/// count as meeting a bound.
const SLACK: f64 = 1e-9;

/// Whether rung `b` may directly follow rung `a` (not counting forced rungs in between).
fn pair_ok(c: &Constraints, a: &Candidate, b: &Candidate) -> bool {
    let ratio = b.kbps / a.kbps;
    ratio >= c.min_step * (1.0 - SLACK)
        && c.max_step.is_none_or(|m| ratio <= m * (1.0 + SLACK))
        && a.height <= b.height
        && b.quality > a.quality
        && b.quality - a.quality >= c.min_quality_gap - SLACK
}

/// Whether a candidate may be the lowest rung (not counting forced rungs below it).
fn bottom_ok(c: &Constraints, x: &Candidate) -> bool {
    c.max_bottom_kbps
        .is_none_or(|m| x.kbps <= m * (1.0 + SLACK))
        && c.min_bottom_quality.is_none_or(|q| x.quality >= q - SLACK)
}

/// The optimal ladder, or `None` when the constraints cannot all be met.
#[cfg(test)]
fn solve(cands: &[Candidate], c: &Constraints, objective: &Objective) -> Option<Selection> {
    solve_with(cands, c, objective, None)
}

/// The optimal ladder for the viewers of `objective`'s range, or of `mix` when given (the
/// mix's table over `cands`).
fn solve_with(
    cands: &[Candidate],
    c: &Constraints,
    objective: &Objective,
    mix: Option<&MixTable>,
) -> Option<Selection> {
    let n = cands.len();
    if n == 0 {
        return None;
    }
    // The best candidate, the cheapest of equals: the top rung. With a mix, the best that
    // some device of the mix plays (a top rung nobody plays would be stored and never
    // fetched).
    let top = (0..n)
        .filter(|&i| mix.is_none_or(|m| m.played(i)))
        .max_by(|&a, &b| {
            cands[a]
                .quality
                .total_cmp(&cands[b].quality)
                .then(b.cmp(&a))
        });
    let [lo, hi] = match (mix, top) {
        (Some(m), _) => m.range(),
        (None, Some(top)) => viewer_range(cands, top, objective),
        (None, None) => return None,
    };
    let lw = |k: f64| k.clamp(lo, hi).ln();
    // Dollars per 1,000 viewing hours of one kbit/s, times the weight: 0 without one, which
    // leaves every term exactly as the quality alone gives it.
    let per_kbps =
        objective.weight() * crate::viewers::cost::usd_per_1000_hours_at(1.0, &objective.prices());
    // The objective's term of rung i followed by rung j, and of j as the top rung.
    let term = |i: usize, j: usize| match mix {
        Some(m) => m.pair(i, j) - per_kbps * m.rate_pair(i, j),
        None => {
            (cands[i].quality - per_kbps * cands[i].kbps) * (lw(cands[j].kbps) - lw(cands[i].kbps))
        }
    };
    let tail = |j: usize| match mix {
        Some(m) => m.tail(j) - per_kbps * m.rate_tail(j),
        None => (cands[j].quality - per_kbps * cands[j].kbps) * (hi.ln() - lw(cands[j].kbps)),
    };
    // With a mix, every device plays a prefix of the ladder (see `mix`).
    let prefix_ok = |i: usize, j: usize| mix.is_none_or(|m| m.prefix(i, j));
    // first_forced / last_forced: no chain may start above the first forced candidate or end
    // below the last one; next_forced[i]: the first forced index after i.
    let first_forced = cands.iter().position(|x| x.forced).unwrap_or(n);
    let last_forced = cands.iter().rposition(|x| x.forced);
    let mut next_forced = vec![n; n];
    let mut nf = n;
    for i in (0..n).rev() {
        next_forced[i] = nf;
        if cands[i].forced {
            nf = i;
        }
    }
    let k_max = c.max_rungs.min(n);
    let k_min = c.min_rungs.max(1);
    // best[k][j]: the largest sum of the terms of a chain of k + 1 rungs ending at j, not
    // counting j's own term; from[k][j] is its previous rung.
    let mut best = vec![vec![f64::NEG_INFINITY; n]; k_max];
    let mut from = vec![vec![usize::MAX; n]; k_max];
    for j in 0..n {
        if j <= first_forced && bottom_ok(c, &cands[j]) {
            best[0][j] = 0.0;
        }
    }
    for k in 1..k_max {
        for j in 1..n {
            for i in 0..j {
                // j may follow i only if no forced candidate lies between them.
                if best[k - 1][i] == f64::NEG_INFINITY || next_forced[i] < j {
                    continue;
                }
                if !pair_ok(c, &cands[i], &cands[j]) || !prefix_ok(i, j) {
                    continue;
                }
                let v = best[k - 1][i] + term(i, j);
                if v > best[k][j] {
                    best[k][j] = v;
                    from[k][j] = i;
                }
            }
        }
    }
    // The chain ends at the top rung, after every forced one: the best candidate, or with a
    // cost weight any candidate.
    let ends: Vec<usize> = if per_kbps > 0.0 {
        (0..n).collect()
    } else {
        top.into_iter().collect()
    };
    let mut winner: Option<(f64, usize, usize)> = None;
    for &j in ends.iter().filter(|&&j| last_forced.is_none_or(|f| j >= f)) {
        for (k, row) in best.iter().enumerate().skip(k_min - 1) {
            if row[j] == f64::NEG_INFINITY {
                continue;
            }
            let total = row[j] + tail(j);
            if winner.is_none_or(|(v, _, _)| total > v) {
                winner = Some((total, k, j));
            }
        }
    }
    let (_, mut k, mut j) = winner?;
    let mut rungs = vec![j];
    while k > 0 {
        j = from[k][j];
        rungs.push(j);
        k -= 1;
    }
    rungs.reverse();
    let quality = |i: usize| cands[i].quality;
    let rate = |i: usize| cands[i].kbps;
    let (expected_quality, expected_kbps) = match mix {
        Some(m) => (m.total(&rungs), m.total_kbps(&rungs)),
        None => (
            cost::log_uniform_mean(cands, &rungs, [lo, hi], quality),
            cost::log_uniform_mean(cands, &rungs, [lo, hi], rate),
        ),
    };
    Some(Selection {
        per_device: mix.map_or_else(Vec::new, |m| m.per_device(&rungs)),
        per_device_kbps: mix.map_or_else(Vec::new, |m| m.per_device_kbps(&rungs)),
        rungs,
        expected_quality,
        expected_kbps,
        viewer_kbps: [lo, hi],
    })
}

/// The objective's bandwidth range; by default from the cheapest candidate to the top rung.
fn viewer_range(cands: &[Candidate], top: usize, objective: &Objective) -> [f64; 2] {
    objective.viewer_kbps.unwrap_or_else(|| {
        let lo = cands.iter().map(|x| x.kbps).fold(f64::INFINITY, f64::min);
        [lo, cands[top].kbps]
    })
}

/// The optimal ladder among `cands` (sorted by bitrate), or an error naming the constraint
/// that cannot be met.
pub fn select(cands: &[Candidate], c: &Constraints, objective: &Objective) -> Result<Selection> {
    select_with(cands, c, objective, None)
}

/// [`select`] for the viewers of `mix` (a table over `cands`) when given.
pub fn select_with(
    cands: &[Candidate],
    c: &Constraints,
    objective: &Objective,
    mix: Option<&MixTable>,
) -> Result<Selection> {
    if let Some(s) = solve_with(cands, c, objective, mix) {
        return Ok(s);
    }
    Err(diagnose(cands, c, objective, mix))
}

/// Which constraints stand in the way: each is dropped in turn and the problem solved again.
fn diagnose(
    cands: &[Candidate],
    c: &Constraints,
    objective: &Objective,
    mix: Option<&MixTable>,
) -> Error {
    let lo = cands.iter().map(|x| x.kbps).fold(f64::INFINITY, f64::min);
    let hi = cands.iter().map(|x| x.kbps).fold(0.0, f64::max);
    let one = |setting: Setting, value: String| Blocking {
        settings: vec![setting],
        value: Some(value),
    };
    type Relax = Box<dyn Fn(&mut Constraints)>;
    let relaxations: [(Blocking, Relax); 6] = [
        (
            one(Setting::MinRungs, c.min_rungs.to_string()),
            Box::new(|r: &mut Constraints| r.min_rungs = 1),
        ),
        (
            one(
                Setting::MaxStep,
                c.max_step.unwrap_or(f64::INFINITY).to_string(),
            ),
            Box::new(|r: &mut Constraints| r.max_step = None),
        ),
        (
            one(Setting::MinStep, c.min_step.to_string()),
            Box::new(|r: &mut Constraints| r.min_step = 1.0),
        ),
        (
            one(Setting::MinQualityGap, c.min_quality_gap.to_string()),
            Box::new(|r: &mut Constraints| r.min_quality_gap = 0.0),
        ),
        (
            Blocking {
                settings: vec![Setting::MaxBottomKbps, Setting::MinBottomQuality],
                value: None,
            },
            Box::new(|r: &mut Constraints| {
                r.max_bottom_kbps = None;
                r.min_bottom_quality = None;
            }),
        ),
        (
            Blocking {
                settings: vec![Setting::ForcedRungs],
                value: None,
            },
            Box::new(|r: &mut Constraints| r.forced.clear()),
        ),
    ];
    let mut blocking = Vec::new();
    for (culprit, relax) in relaxations {
        let mut r = c.clone();
        relax(&mut r);
        if r == *c {
            continue;
        }
        let without_forced: Vec<Candidate>;
        let cands = if r.forced.is_empty() && !c.forced.is_empty() {
            without_forced = cands
                .iter()
                .map(|x| Candidate {
                    forced: false,
                    ..*x
                })
                .collect();
            &without_forced[..]
        } else {
            cands
        };
        if solve_with(cands, &r, objective, mix).is_some() {
            blocking.push(culprit);
        }
    }
    Error::Infeasible {
        blocking,
        candidates: cands.len(),
        kbps: [lo, hi],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ladder::candidates::Origin;
    use proptest::prelude::*;

    fn cand(kbps: f64, quality: f64, height: u32, forced: bool) -> Candidate {
        Candidate {
            kbps,
            quality,
            width: height * 16 / 9,
            height,
            crf: 23.0,
            origin: Origin::Measured(0),
            forced,
        }
    }

    /// Expected quality straight from the definition: split the log-bandwidth range at every
    /// rung and give each piece the best rung a viewer there can afford.
    fn expected_by_definition(cands: &[Candidate], rungs: &[usize], lo: f64, hi: f64) -> f64 {
        let mut cuts: Vec<f64> = vec![lo, hi];
        cuts.extend(rungs.iter().map(|&r| cands[r].kbps.clamp(lo, hi)));
        cuts.sort_by(f64::total_cmp);
        let mut total = 0.0;
        for w in cuts.windows(2) {
            let mid = (w[0] * w[1]).sqrt();
            let q = rungs
                .iter()
                .filter(|&&r| cands[r].kbps <= mid)
                .map(|&r| cands[r].quality)
                .fold(0.0, f64::max);
            total += q * (w[1] / w[0]).ln();
        }
        if hi > lo {
            total / (hi / lo).ln()
        } else {
            // Every viewer has the same bandwidth.
            rungs
                .iter()
                .filter(|&&r| cands[r].kbps <= hi)
                .map(|&r| cands[r].quality)
                .fold(0.0, f64::max)
        }
    }

    fn feasible(cands: &[Candidate], c: &Constraints, rungs: &[usize]) -> bool {
        let top = (0..cands.len())
            .max_by(|&a, &b| {
                cands[a]
                    .quality
                    .total_cmp(&cands[b].quality)
                    .then(b.cmp(&a))
            })
            .unwrap();
        !rungs.is_empty()
            && rungs.len() >= c.min_rungs
            && rungs.len() <= c.max_rungs
            && *rungs.last().unwrap() == top
            && bottom_ok(c, &cands[rungs[0]])
            && rungs
                .windows(2)
                .all(|w| pair_ok(c, &cands[w[0]], &cands[w[1]]))
            && (0..cands.len()).all(|i| !cands[i].forced || rungs.contains(&i))
    }

    fn arb_case() -> impl Strategy<Value = (Vec<Candidate>, Constraints)> {
        let cands = prop::collection::vec(
            (
                50.0f64..5000.0,
                20.0f64..100.0,
                prop::sample::select(vec![270u32, 540, 1080]),
                prop::bool::weighted(0.1),
            ),
            1..11,
        );
        let constraints = (
            1usize..4,
            1usize..6,
            1.0f64..2.0,
            prop::option::of(2.0f64..4.0),
            prop::sample::select(vec![0.0, 0.0, 2.0, 6.0]),
            prop::option::weighted(0.3, 100.0f64..2000.0),
            prop::option::weighted(0.3, 20.0f64..60.0),
        );
        (cands, constraints).prop_map(
            |(raw, (min_r, extra, min_step, max_step, gap, max_bottom, floor))| {
                let mut cands: Vec<Candidate> = raw
                    .into_iter()
                    .map(|(k, q, h, f)| cand(k.round(), q.round(), h, f))
                    .collect();
                cands.sort_by(|a, b| {
                    a.kbps
                        .total_cmp(&b.kbps)
                        .then(b.quality.total_cmp(&a.quality))
                });
                let c = Constraints {
                    min_rungs: min_r,
                    max_rungs: min_r + extra,
                    min_step,
                    max_step: max_step.map(|m| m.max(min_step)),
                    min_quality_gap: gap,
                    max_bottom_kbps: max_bottom,
                    min_bottom_quality: floor,
                    ..Constraints::default()
                };
                (cands, c)
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// The dynamic programme finds the best feasible ladder found by trying every subset,
        /// and reports infeasibility exactly when no subset is feasible.
        #[test]
        fn selection_is_optimal_by_brute_force((cands, c) in arb_case()) {
            let objective = Objective::default();
            let n = cands.len();
            let top = (0..n)
                .max_by(|&a, &b| cands[a].quality.total_cmp(&cands[b].quality).then(b.cmp(&a)))
                .unwrap();
            let [lo, hi] = viewer_range(&cands, top, &objective);
            let mut best: Option<f64> = None;
            for mask in 1u32..(1 << n) {
                let rungs: Vec<usize> = (0..n).filter(|&i| mask & (1 << i) != 0).collect();
                if feasible(&cands, &c, &rungs) {
                    let v = expected_by_definition(&cands, &rungs, lo, hi);
                    best = Some(best.map_or(v, |b: f64| b.max(v)));
                }
            }
            match (solve(&cands, &c, &objective), best) {
                (Some(s), Some(b)) => {
                    prop_assert!(feasible(&cands, &c, &s.rungs), "{:?}", s.rungs);
                    let v = expected_by_definition(&cands, &s.rungs, lo, hi);
                    prop_assert!((v - s.expected_quality).abs() < 1e-9, "{v} vs {}", s.expected_quality);
                    prop_assert!((v - b).abs() < 1e-9, "dp {v} brute force {b}");
                }
                (None, None) => {}
                (s, b) => prop_assert!(false, "dp {:?} brute force {:?}", s.map(|s| s.rungs), b),
            }
        }
    }

    #[test]
    fn infeasible_constraints_are_named() {
        // Two candidates 3x apart: a max step of 2 cannot join them.
        let cands = [cand(100.0, 40.0, 270, false), cand(300.0, 60.0, 540, false)];
        let c = Constraints {
            min_rungs: 2,
            ..Constraints::default()
        };
        let err = select(&cands, &c, &Objective::default()).unwrap_err();
        let Error::Infeasible { blocking, .. } = &err else {
            panic!("{err}");
        };
        let named: Vec<(Vec<Setting>, Option<String>)> = blocking
            .iter()
            .map(|b| (b.settings.clone(), b.value.clone()))
            .collect();
        assert_eq!(
            named,
            [
                (vec![Setting::MinRungs], Some("2".to_string())),
                (vec![Setting::MaxStep], Some("2".to_string())),
            ]
        );
        let text = err.to_string();
        assert!(
            text.contains("without fewest rungs 2, or without most rung step 2"),
            "{text}"
        );
    }
}
