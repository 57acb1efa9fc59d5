//! Choosing the ladder's rungs from hull points.
//!
//! Rules: rungs come from the hull, within `[min_kbps, max_kbps]`; at most `max_rungs`;
//! adjacent rungs at least `min_step` apart in bitrate; resolution never decreases as the
//! bitrate rises. The top rung is the best hull point under `max_kbps`; the bottom rung is
//! the cheapest candidate that keeps resolutions monotone. Between them the selection takes
//! as many rungs as the rules allow and, among those, the most even spacing in log-bitrate
//! (least sum of squared log step ratios), solved exactly by dynamic programming.

use crate::hull::{RateQuality, upper_hull};
use crate::point::{Metric, Point, Rung};

/// Mark every point's `on_hull` (in bitrate vs `metric` space) and pick the rungs from the
/// hull. `segment_durations_s` gives each segment's duration, for the rungs' peak bitrates.
pub fn build(
    points: &mut [Point],
    metric: Metric,
    rules: &LadderRules,
    segment_durations_s: &[f64],
) -> Vec<Rung> {
    let rq: Vec<RateQuality> = points
        .iter()
        .map(|p| RateQuality {
            kbps: p.bitrate_kbps,
            quality: metric.of_point(p),
        })
        .collect();
    let hull = upper_hull(&rq);
    for p in points.iter_mut() {
        p.on_hull = false;
    }
    for &i in &hull {
        points[i].on_hull = true;
    }
    let candidates: Vec<Candidate> = hull
        .iter()
        .map(|&i| Candidate {
            kbps: points[i].bitrate_kbps,
            height: points[i].height,
        })
        .collect();
    select(&candidates, rules)
        .into_iter()
        .map(|c| Rung::from_point(&points[hull[c]], segment_durations_s))
        .collect()
}

/// The ladder rules of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct LadderRules {
    pub max_rungs: usize,
    pub min_kbps: f64,
    pub max_kbps: f64,
    /// Smallest bitrate ratio between adjacent rungs.
    pub min_step: f64,
}

impl Default for LadderRules {
    fn default() -> Self {
        LadderRules {
            max_rungs: 8,
            min_kbps: 0.0,
            max_kbps: f64::INFINITY,
            min_step: 1.5,
        }
    }
}

/// A hull point offered to the selection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    pub kbps: f64,
    /// Frame height (or any measure of resolution that must not decrease up the ladder).
    pub height: u32,
}

/// Pick rungs among `candidates` (hull points sorted by increasing bitrate). Returns indices
/// into `candidates`, by increasing bitrate; empty when no candidate lies in the range.
pub fn select(candidates: &[Candidate], rules: &LadderRules) -> Vec<usize> {
    let inside: Vec<usize> = (0..candidates.len())
        .filter(|&i| {
            let k = candidates[i].kbps;
            k >= rules.min_kbps && k <= rules.max_kbps && k > 0.0
        })
        .collect();
    let Some(&top) = inside.last() else {
        return Vec::new();
    };
    if rules.max_rungs <= 1 {
        return vec![top];
    }
    let top_height = candidates[top].height;
    let Some(&bottom) = inside.iter().find(|&&i| candidates[i].height <= top_height) else {
        return vec![top];
    };
    // Usable candidates from bottom to top whose heights fit between the two ends.
    let usable: Vec<usize> = inside
        .iter()
        .copied()
        .filter(|&i| {
            i >= bottom
                && i <= top
                && candidates[i].height >= candidates[bottom].height
                && candidates[i].height <= top_height
        })
        .collect();
    let n = usable.len();
    let step_ok = |a: usize, b: usize| {
        let (ca, cb) = (candidates[usable[a]], candidates[usable[b]]);
        cb.kbps >= ca.kbps * rules.min_step && ca.height <= cb.height
    };
    let log_step =
        |a: usize, b: usize| (candidates[usable[b]].kbps / candidates[usable[a]].kbps).ln();

    // best[k][j]: least cost of a chain of k+1 rungs from usable[0] ending at usable[j].
    let max_rungs = rules.max_rungs.min(n);
    let mut best = vec![vec![f64::INFINITY; n]; max_rungs];
    let mut from = vec![vec![usize::MAX; n]; max_rungs];
    best[0][0] = 0.0;
    for k in 1..max_rungs {
        for j in 1..n {
            for i in 0..j {
                if best[k - 1][i].is_finite() && step_ok(i, j) {
                    let c = best[k - 1][i] + log_step(i, j).powi(2);
                    if c < best[k][j] {
                        best[k][j] = c;
                        from[k][j] = i;
                    }
                }
            }
        }
    }
    let last = n - 1;
    let Some(k) = (0..max_rungs).rev().find(|&k| best[k][last].is_finite()) else {
        return vec![top];
    };
    if k == 0 {
        // The bottom is the top itself.
        return vec![top];
    }
    let mut chain = vec![last];
    let (mut k, mut j) = (k, last);
    while k > 0 {
        j = from[k][j];
        chain.push(j);
        k -= 1;
    }
    chain.reverse();
    chain.into_iter().map(|u| usable[u]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(v: &[(f64, u32)]) -> Vec<Candidate> {
        v.iter()
            .map(|&(kbps, height)| Candidate { kbps, height })
            .collect()
    }

    #[test]
    fn spreads_rungs_evenly_within_limits() {
        // 100 .. 3200 kbps doubling: 6 candidates, 4 rungs -> ends plus the most even pair.
        let cand = c(&[
            (100.0, 270),
            (200.0, 360),
            (400.0, 540),
            (800.0, 720),
            (1600.0, 1080),
            (3200.0, 1080),
        ]);
        let rules = LadderRules {
            max_rungs: 4,
            ..LadderRules::default()
        };
        let got = select(&cand, &rules);
        assert_eq!(got.len(), 4);
        assert_eq!(got[0], 0);
        assert_eq!(got[3], 5);
        // log steps 5 doublings over 3 gaps: {1,2,2} or {2,1,2}... all cost 9; any is even-est.
        let steps: Vec<f64> = got
            .windows(2)
            .map(|w| cand[w[1]].kbps / cand[w[0]].kbps)
            .collect();
        assert!(steps.iter().all(|&s| s >= 1.5));
    }

    #[test]
    fn respects_min_step_and_range() {
        let cand = c(&[
            (90.0, 270),
            (100.0, 270),
            (120.0, 360),
            (140.0, 360),
            (500.0, 720),
            (600.0, 720),
            (5000.0, 1080),
        ]);
        let rules = LadderRules {
            max_rungs: 10,
            min_kbps: 95.0,
            max_kbps: 4000.0,
            min_step: 1.5,
        };
        let got = select(&cand, &rules);
        let kbps: Vec<f64> = got.iter().map(|&i| cand[i].kbps).collect();
        assert_eq!(kbps.first(), Some(&100.0));
        assert_eq!(kbps.last(), Some(&600.0));
        for w in kbps.windows(2) {
            assert!(w[1] >= 1.5 * w[0], "{kbps:?}");
        }
        // 100 -> (>=150) -> 500/600: the most rungs possible is 3 (100, 500?no: 100,...).
        assert!(got.len() <= 3);
    }

    #[test]
    fn resolution_never_decreases() {
        // A 1080p point sits below a 720p point in bitrate on the hull.
        let cand = c(&[(100.0, 360), (300.0, 1080), (700.0, 720), (2000.0, 1080)]);
        let got = select(&cand, &LadderRules::default());
        for w in got.windows(2) {
            assert!(cand[w[0]].height <= cand[w[1]].height);
        }
        assert_eq!(*got.last().unwrap(), 3);
    }

    #[test]
    fn one_rung_when_the_hull_is_narrow() {
        let cand = c(&[(1000.0, 720), (1200.0, 720)]);
        assert_eq!(select(&cand, &LadderRules::default()), vec![1]);
        assert!(select(&[], &LadderRules::default()).is_empty());
        let rules = LadderRules {
            min_kbps: 5000.0,
            ..LadderRules::default()
        };
        assert!(select(&cand, &rules).is_empty());
    }

    /// Brute force over all subsets on small inputs: the DP finds a chain with the most rungs
    /// and, among those, the least cost.
    #[test]
    fn matches_brute_force() {
        let mut seed = 12345u64;
        let mut rnd = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..300 {
            let n = (rnd() % 9 + 1) as usize;
            let mut kbps = 50.0;
            let mut cand = Vec::new();
            for _ in 0..n {
                kbps *= 1.1 + (rnd() % 100) as f64 / 100.0;
                let height = [270, 360, 540, 720][(rnd() % 4) as usize];
                cand.push(Candidate { kbps, height });
            }
            cand.sort_by(|a, b| a.kbps.total_cmp(&b.kbps));
            let rules = LadderRules {
                max_rungs: (rnd() % 5 + 1) as usize,
                ..LadderRules::default()
            };
            let got = select(&cand, &rules);
            let top = n - 1;
            let bottom = (0..n)
                .find(|&i| cand[i].height <= cand[top].height)
                .unwrap();
            let mut best: Option<(usize, f64)> = None;
            for mask in 0u32..(1 << n) {
                let idx: Vec<usize> = (0..n).filter(|i| mask & (1 << i) != 0).collect();
                if idx.first() != Some(&bottom)
                    || idx.last() != Some(&top)
                    || idx.len() > rules.max_rungs
                {
                    continue;
                }
                let ok = idx.windows(2).all(|w| {
                    cand[w[1]].kbps >= 1.5 * cand[w[0]].kbps
                        && cand[w[0]].height <= cand[w[1]].height
                        && cand[w[0]].height >= cand[bottom].height
                });
                if !ok {
                    continue;
                }
                let cost: f64 = idx
                    .windows(2)
                    .map(|w| (cand[w[1]].kbps / cand[w[0]].kbps).ln().powi(2))
                    .sum();
                let better = match best {
                    None => true,
                    Some((len, c)) => idx.len() > len || (idx.len() == len && cost < c - 1e-12),
                };
                if better {
                    best = Some((idx.len(), cost));
                }
            }
            match best {
                None => assert_eq!(got, vec![top]),
                Some((len, cost)) => {
                    if bottom == top {
                        assert_eq!(got, vec![top]);
                        continue;
                    }
                    assert_eq!(got.len(), len, "{cand:?} {rules:?} {got:?}");
                    let got_cost: f64 = got
                        .windows(2)
                        .map(|w| (cand[w[1]].kbps / cand[w[0]].kbps).ln().powi(2))
                        .sum();
                    assert!((got_cost - cost).abs() < 1e-9);
                }
            }
        }
    }
}
