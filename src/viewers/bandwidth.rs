//! How much bandwidth viewers have: a distribution of sustainable throughput, kept as
//! [`QUANTILES`] quantiles so that a manifest can store it and a ladder be chosen again
//! without the traces it came from.
//!
//! # The representation
//!
//! A [`Bandwidth`] is the 101 quantiles `q_0 <= q_1 <= ... <= q_100` (kbit/s) at 0, 1, ...,
//! 100 %. Between two neighbouring quantiles the distribution is uniform in log-bandwidth:
//! each of the 100 pieces `[q_k, q_k+1]` holds 1 % of the viewers, spread log-uniformly over
//! it (linearly in kbit/s when `q_k` is 0, where the logarithm has no bottom); a piece whose
//! two ends are equal is 1 % of the viewers at exactly that bandwidth. The CDF is therefore
//! piecewise linear in log-kbit/s through the points `(q_k, k / 100)`.
//!
//! - A log-uniform distribution over `[lo, hi]` is represented exactly (its quantiles are
//!   `lo * (hi / lo)^(k / 100)`), so a mix of one log-uniform device reproduces
//!   `--viewer-kbps lo,hi`.
//! - Any other distribution is approximated: at every bandwidth, the represented CDF is
//!   within 0.01 of the true one (both lie between `k / 100` and `(k + 1) / 100` between
//!   `q_k` and `q_k+1`).
//!
//! # From a trace set: sustainable throughput
//!
//! Each trace of the set is cut into consecutive windows of `W` seconds from its start (the
//! last window is shorter when the trace's length is not a whole number of windows). A
//! window's throughput is the bits the link delivers over it divided by its length: what a
//! player fetching continuously through the window would average, the rate it can sustain
//! once its buffer smooths the variation inside the window. The bits are integrated exactly
//! over the trace's periods by the simulator's [`Network`]; request latency is not counted
//! (it is the player's cost, not the link's). Every window is weighted by its length, and the
//! windows of every trace of the set are pooled: the distribution is that of the throughput
//! at a random moment of the set's traces, played once each. `W` defaults to
//! [`DEFAULT_WINDOW_S`] (30 s, about the buffer a player keeps: Sabre's default buffer is
//! 25 s), and a mix file can set it. The quantile at `p` is the smallest window throughput
//! whose windows, with every slower window, hold at least a share `p` of the set's duration.
//!
//! # From parameters
//!
//! - `log_uniform: [lo, hi]`: log-uniform over `[lo, hi]` kbit/s (exact, see above).
//! - `log_normal: {median_kbps, sigma}`: `ln(bandwidth)` normal with mean `ln(median_kbps)`
//!   and standard deviation `sigma`. Its quantiles 1 to 99 are exact; the distribution has
//!   no ends, so `q_0` and `q_100` are taken at 0.1 % and 99.9 % (the 0.1 % of viewers
//!   beyond either is counted inside it).
//! - `quantiles_kbps: [q_0, ..., q_100]`: the 101 quantiles themselves (a service's own
//!   analytics, or a distribution copied from a manifest).

use crate::simulate::network::{Network, Trace};
use serde::{Deserialize, Serialize};

/// The number of quantiles a distribution is kept as: 0, 1, ..., 100 %.
pub const QUANTILES: usize = 101;

/// The default window of sustainable throughput over a trace, seconds.
pub const DEFAULT_WINDOW_S: f64 = 30.0;

/// A distribution of viewers' bandwidth, and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bandwidth {
    /// What it was made from.
    pub from: BandwidthSource,
    /// The quantiles at 0, 1, ..., 100 %, kbit/s: [`QUANTILES`] values, non-decreasing.
    pub quantiles_kbps: Vec<f64>,
}

/// What a [`Bandwidth`] was made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BandwidthSource {
    /// Windows of a trace set's traces.
    Traces {
        /// The trace files, directories or profiles, as the mix file gives them.
        specs: Vec<String>,
        /// The traces they hold.
        traces: usize,
        /// The window, seconds.
        window_s: f64,
        /// The windows pooled.
        windows: usize,
    },
    /// Log-uniform over `[lo, hi]` kbit/s.
    LogUniform([f64; 2]),
    /// Log-normal: the median, kbit/s, and the standard deviation of the logarithm.
    LogNormal {
        /// The median bandwidth, kbit/s.
        median_kbps: f64,
        /// The standard deviation of `ln(bandwidth)`.
        sigma: f64,
    },
    /// The quantiles as given.
    Quantiles,
}

impl Bandwidth {
    /// Log-uniform over `[lo, hi]` kbit/s, `0 < lo < hi`.
    pub fn log_uniform(lo: f64, hi: f64) -> Result<Bandwidth, String> {
        if !(lo.is_finite() && hi.is_finite() && lo > 0.0 && hi > lo) {
            return Err(format!(
                "log_uniform takes [lo, hi] with 0 < lo < hi, not [{lo}, {hi}]"
            ));
        }
        let quantiles_kbps = (0..QUANTILES)
            .map(|k| match k {
                0 => lo,
                100 => hi,
                _ => lo * (hi / lo).powf(k as f64 / 100.0),
            })
            .collect();
        Ok(Bandwidth {
            from: BandwidthSource::LogUniform([lo, hi]),
            quantiles_kbps,
        })
    }

    /// Log-normal with median `median_kbps` and log standard deviation `sigma`.
    pub fn log_normal(median_kbps: f64, sigma: f64) -> Result<Bandwidth, String> {
        if !(median_kbps.is_finite() && median_kbps > 0.0 && sigma.is_finite() && sigma >= 0.0) {
            return Err(format!(
                "log_normal takes a positive median_kbps and a sigma of at least 0, not {median_kbps} and {sigma}"
            ));
        }
        let quantiles_kbps = (0..QUANTILES)
            .map(|k| {
                let p = match k {
                    0 => 0.001,
                    100 => 0.999,
                    _ => k as f64 / 100.0,
                };
                median_kbps * (sigma * inverse_normal(p)).exp()
            })
            .collect();
        Ok(Bandwidth {
            from: BandwidthSource::LogNormal { median_kbps, sigma },
            quantiles_kbps,
        })
    }

    /// The quantiles themselves: [`QUANTILES`] finite values, at least 0, non-decreasing,
    /// the last positive.
    pub fn quantiles(quantiles_kbps: Vec<f64>) -> Result<Bandwidth, String> {
        check_quantiles(&quantiles_kbps)?;
        Ok(Bandwidth {
            from: BandwidthSource::Quantiles,
            quantiles_kbps,
        })
    }

    /// The sustainable throughput of a trace set over windows of `window_s` seconds (see the
    /// module's documentation). `specs` are what the traces were named by, for the record.
    pub fn from_traces(
        specs: Vec<String>,
        traces: &[Trace],
        window_s: f64,
    ) -> Result<Bandwidth, String> {
        if !(window_s.is_finite() && window_s > 0.0) {
            return Err(format!(
                "window_s must be a positive number, not {window_s}"
            ));
        }
        let windows: Vec<(f64, f64)> = traces
            .iter()
            .flat_map(|t| window_throughputs(t, window_s))
            .collect();
        if windows.is_empty() {
            return Err("the traces hold no time".into());
        }
        let quantiles_kbps = weighted_quantiles(windows.clone());
        if quantiles_kbps.last().is_none_or(|&q| q <= 0.0) {
            return Err("the traces carry no bits".into());
        }
        Ok(Bandwidth {
            from: BandwidthSource::Traces {
                specs,
                traces: traces.len(),
                window_s,
                windows: windows.len(),
            },
            quantiles_kbps,
        })
    }

    /// Check a distribution read back (from a manifest): the quantiles' shape.
    pub fn check(&self) -> Result<(), String> {
        check_quantiles(&self.quantiles_kbps)
    }

    /// The share of viewers whose bandwidth is below `kbps` (strictly): a viewer at exactly
    /// a rung's bitrate can play it. 1 at `f64::INFINITY`.
    pub fn below(&self, kbps: f64) -> f64 {
        let q = &self.quantiles_kbps;
        let mut share = 0.0;
        for w in q.windows(2) {
            let (a, b) = (w[0], w[1]);
            let part = if kbps <= a {
                0.0
            } else if kbps > b {
                1.0
            } else if a == b {
                // An atom at `a`, and `kbps` is not above it.
                0.0
            } else if a > 0.0 {
                (kbps / a).ln() / (b / a).ln()
            } else {
                kbps / b
            };
            share += part;
        }
        share / (q.len() - 1) as f64
    }

    /// The lowest positive quantile and the highest, kbit/s.
    pub fn range(&self) -> [f64; 2] {
        let lo = self
            .quantiles_kbps
            .iter()
            .copied()
            .find(|&q| q > 0.0)
            .unwrap_or(0.0);
        [lo, self.quantiles_kbps.last().copied().unwrap_or(0.0)]
    }
}

fn check_quantiles(q: &[f64]) -> Result<(), String> {
    if q.len() != QUANTILES {
        return Err(format!(
            "quantiles_kbps needs {QUANTILES} values (0, 1, ..., 100 %), not {}",
            q.len()
        ));
    }
    if q.iter().any(|v| !v.is_finite() || *v < 0.0) {
        return Err("quantiles_kbps must be finite numbers of at least 0".into());
    }
    if q.windows(2).any(|w| w[1] < w[0]) {
        return Err("quantiles_kbps must not decrease".into());
    }
    if q[QUANTILES - 1] <= 0.0 {
        return Err("quantiles_kbps are all 0: nobody can play anything".into());
    }
    Ok(())
}

/// Each window of `trace`: its throughput (kbit/s) and its length (seconds).
pub(crate) fn window_throughputs(trace: &Trace, window_s: f64) -> Vec<(f64, f64)> {
    let duration = trace.duration_s();
    let mut net = Network::new(trace, 0.0);
    let mut out = Vec::new();
    let mut start = 0.0;
    let mut k = 0u64;
    while start < duration {
        let end = ((k + 1) as f64 * window_s).min(duration);
        let length = end - start;
        // A sliver left by rounding at the trace's end is no window.
        if length <= duration * 1e-12 {
            break;
        }
        let (bits, _) = net.receive(f64::INFINITY, length);
        out.push((bits / length / 1000.0, length));
        k += 1;
        start = end;
    }
    out
}

/// The [`QUANTILES`] quantiles of values weighted by `(value, weight)`: at `p`, the
/// smallest value whose weight, with every smaller value's, is at least `p` of the total.
pub(crate) fn weighted_quantiles(mut values: Vec<(f64, f64)>) -> Vec<f64> {
    values.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = values.iter().map(|v| v.1).sum();
    let mut out = Vec::with_capacity(QUANTILES);
    let mut i = 0;
    let mut below = 0.0;
    for k in 0..QUANTILES {
        let wanted = total * k as f64 / 100.0 - total * 1e-12;
        // Advance to the first value whose cumulative weight reaches `wanted`.
        while i + 1 < values.len() && below + values[i].1 < wanted {
            below += values[i].1;
            i += 1;
        }
        out.push(values.get(i).map_or(0.0, |v| v.0));
    }
    out
}

/// The standard normal quantile at `p` in (0, 1): Acklam's rational approximation
/// (relative error below 1.2e-9).
pub(crate) fn inverse_normal(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    const LOW: f64 = 0.02425;
    if p < LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - LOW {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

#[cfg(test)]
mod tests;
