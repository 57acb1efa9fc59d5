//! RobustMPC (Yin, Jindal, Sekar, Sinopoli, "A Control-Theoretic Approach for Dynamic
//! Adaptive Video Streaming over HTTP", SIGCOMM 2015).
//!
//! Before each request it plans the next `H` segments (5 by default, fewer near the end):
//! with the throughput forecast `C` = the harmonic mean of the last 5 downloads'
//! throughputs divided by `1 + e`, where `e` is the largest relative error of the last 5
//! forecasts (the "robust" discount), it plays every rung sequence `r_1..r_H` forward from
//! the current buffer `B`: segment `j` takes `L + S_j(r_j) / C` to fetch (`L` the latest
//! latency, `S` its size), the buffer loses that time (the excess is rebuffering) and gains
//! the segment's duration, and waits for room when full. It takes the first rung of the
//! sequence with the highest QoE, in the session's own linear form ([`crate::simulate::qoe`]):
//! the sum of the segments' qualities, minus the switch weight times each quality change on
//! the same content, minus the rebuffer weight times the rebuffering (on a tie, the higher
//! first rung). The search is exact: depth-first from the rung the forecast sustains,
//! bounded by the plans that keep one rung throughout, and skipping a branch when even the
//! best quality everywhere after it could not beat the best plan found. The first segment
//! is the lowest rung.

use crate::simulate::abr::estimate::Harmonic;
use crate::simulate::abr::{Abr, AbrSettings, Context, Decision, Download};
use crate::simulate::qoe::QoeWeights;

/// The default look-ahead, segments.
pub const HORIZON: usize = 5;
/// Downloads the forecast and its error are taken over.
pub const WINDOW: usize = 5;

/// RobustMPC.
#[derive(Debug, Clone)]
pub struct RobustMpc {
    horizon: usize,
    weights: QoeWeights,
    estimate: Harmonic,
    latency_s: f64,
}

impl RobustMpc {
    /// With the QoE weights and horizon of `settings`.
    pub fn new(settings: &AbrSettings) -> Self {
        RobustMpc {
            horizon: settings.horizon.max(1),
            weights: settings.qoe,
            estimate: Harmonic::new(WINDOW),
            latency_s: 0.0,
        }
    }
}

/// One plan's search state.
struct Search<'a> {
    ctx: &'a Context<'a>,
    weights: QoeWeights,
    steps: usize,
    /// Rungs.
    n: usize,
    /// Per step and rung (`step * n + rung`): the segment's quality and its fetch time.
    q: Vec<f64>,
    fetch: Vec<f64>,
    /// Per step: the segment's duration.
    duration: Vec<f64>,
    /// The rungs in the order tried.
    order: Vec<usize>,
    /// The best quality of each step's segment, summed from that step to the end.
    best_rest: Vec<f64>,
    best: f64,
    best_first: usize,
}

impl Search<'_> {
    /// The value of a plan's next segment at rung `r`: the buffer after it and the value.
    fn step(&self, step: usize, buffer: f64, prev: Option<usize>, r: usize) -> (f64, f64) {
        let at = step * self.n;
        let q = self.q[at + r];
        let fetch = self.fetch[at + r];
        let rebuffer = (fetch - buffer).max(0.0);
        let after = ((buffer - fetch).max(0.0) + self.duration[step]).min(self.ctx.buffer_max_s);
        let switch = match prev {
            Some(p) if p != r => (q - self.q[at + p]).abs(),
            _ => 0.0,
        };
        (
            after,
            q - self.weights.switch * switch - self.weights.rebuffer * rebuffer,
        )
    }

    fn go(&mut self, step: usize, buffer: f64, prev: Option<usize>, value: f64, first: usize) {
        if step == self.steps {
            if value > self.best || (value == self.best && first > self.best_first) {
                self.best = value;
                self.best_first = first;
            }
            return;
        }
        if value + self.best_rest[step] < self.best {
            return;
        }
        for i in 0..self.n {
            let r = self.order[i];
            let (after, v) = self.step(step, buffer, prev, r);
            self.go(
                step + 1,
                after,
                Some(r),
                value + v,
                if step == 0 { r } else { first },
            );
        }
    }

    /// Seed the bound with the plans that keep one rung throughout.
    fn seed(&mut self, buffer: f64, prev: Option<usize>) {
        for r in 0..self.n {
            let (mut b, mut p, mut value) = (buffer, prev, 0.0);
            for step in 0..self.steps {
                let (after, v) = self.step(step, b, p, r);
                b = after;
                p = Some(r);
                value += v;
            }
            if value > self.best || (value == self.best && r > self.best_first) {
                self.best = value;
                self.best_first = r;
            }
        }
    }
}

impl Abr for RobustMpc {
    fn first(&mut self, _ctx: &Context) -> usize {
        0
    }

    fn choose(&mut self, ctx: &Context) -> Decision {
        let Some(harmonic) = self.estimate.throughput_kbps() else {
            return Decision::now(0);
        };
        let kbps = harmonic / (1.0 + self.estimate.max_error());
        let steps = self.horizon.min(ctx.remaining).max(1);
        let movie = ctx.movie;
        let mut best_rest = vec![0.0; steps + 1];
        for s in (0..steps).rev() {
            let seg = ctx.segment_after(s);
            let top = movie
                .rungs
                .iter()
                .map(|r| r.segment_quality[seg])
                .fold(f64::NEG_INFINITY, f64::max);
            best_rest[s] = best_rest[s + 1] + top;
        }
        let n = movie.rungs.len();
        let (mut q, mut fetch, mut duration) = (Vec::new(), Vec::new(), Vec::new());
        for step in 0..steps {
            let segment = ctx.segment_after(step);
            duration.push(movie.segment_durations_s[segment]);
            for rung in &movie.rungs {
                q.push(rung.segment_quality[segment]);
                fetch.push(self.latency_s + rung.segment_bits[segment] / (kbps * 1000.0));
            }
        }
        // The rung the forecast sustains first, then down, then up: good plans are found
        // early and bound the rest.
        let sustained = movie
            .rungs
            .iter()
            .rposition(|r| r.bitrate_kbps <= kbps)
            .unwrap_or(0);
        let mut search = Search {
            ctx,
            weights: self.weights,
            steps,
            n,
            q,
            fetch,
            duration,
            order: (0..=sustained).rev().chain(sustained + 1..n).collect(),
            best_rest,
            best: f64::NEG_INFINITY,
            best_first: 0,
        };
        search.seed(ctx.buffer_s, ctx.last_rung);
        search.go(0, ctx.buffer_s, ctx.last_rung, 0.0, 0);
        Decision::now(search.best_first)
    }

    fn on_download(&mut self, d: &Download) {
        if !d.abandoned {
            self.estimate.push(d);
            self.latency_s = d.latency_s;
        }
    }
}
