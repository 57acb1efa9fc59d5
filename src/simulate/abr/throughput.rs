//! The throughput rule of dash.js (and Sabre's `throughput`): fetch the highest rung whose
//! segment the estimated throughput brings in within one segment duration.
//!
//! With an estimate `T` (kbit/s; [`Ewma`], half-lives 3 s and 8 s), a latency estimate
//! `L` (s), a safety factor `s` (0.9, dash.js's `bandwidthSafetyFactor`) and segments of
//! `p` seconds, the rung is the highest `r` with `L + p * b_r / (s * T) <= p`, where `b_r`
//! is the rung's nominal bitrate; the lowest when none qualifies. The first segment is
//! fetched at the lowest rung.
//!
//! The insufficient-buffer rule (dash.js's `InsufficientBufferRule`, Sabre's IBR) then
//! caps the rung by what the buffer can cover: with `Q` seconds buffered, a segment may
//! hold at most `z (Q - L) T` bits, where the factor `z` starts at 0.9 and shrinks by 0.9
//! at every decision down to 0.5; the rung is lowered to the last one before the first
//! step up whose segment (`b p`) is larger.
//!
//! Abandonment (dash.js's `AbandonRequestsRule`): once 0.5 s of a download has passed, if
//! at the throughput measured so far the download would last more than 1.8 segment
//! durations, it is given up for the rung that throughput sustains, when that is lower and
//! its whole segment is smaller than what is left to download (as Sabre checks).
//! Abandoned downloads do not feed the estimate (as in Sabre).

use crate::simulate::abr::estimate::Ewma;
use crate::simulate::abr::{Abr, Context, Decision, Download, Progress};
use crate::simulate::movie::Movie;

/// dash.js's default safety factor on the throughput estimate.
pub const SAFETY: f64 = 0.9;
/// The insufficient-buffer rule's first factor, its decay per decision and its floor.
pub const IBR_FACTOR: [f64; 3] = [0.9, 0.9, 0.5];
/// dash.js's abandonment threshold: the download's projected time, in segment durations.
pub const ABANDON_MULTIPLIER: f64 = 1.8;
/// dash.js's grace time before abandonment is considered, seconds.
pub const ABANDON_GRACE_S: f64 = 0.5;

/// The highest rung whose segment `throughput_kbps` brings in within a segment of
/// `segment_s` seconds after `latency_s`; the lowest when none does.
pub fn rung_for(movie: &Movie, throughput_kbps: f64, latency_s: f64, segment_s: f64) -> usize {
    let mut rung = 0;
    while rung + 1 < movie.rungs.len()
        && latency_s + segment_s * movie.rungs[rung + 1].bitrate_kbps / throughput_kbps <= segment_s
    {
        rung += 1;
    }
    rung
}

/// The throughput rule.
#[derive(Debug, Clone)]
pub struct ThroughputRule {
    safety: f64,
    estimate: Ewma,
    /// The insufficient-buffer rule's current factor.
    ibr: f64,
}

impl ThroughputRule {
    /// A rule for `movie` that trusts `safety` of its estimate.
    pub fn new(movie: &Movie, safety: f64) -> Self {
        ThroughputRule {
            safety,
            estimate: Ewma::new(movie.segment_s()),
            ibr: IBR_FACTOR[0],
        }
    }

    /// The rung for the next segment (the lowest before any download).
    pub fn rung(&mut self, ctx: &Context) -> usize {
        let Some(t) = self.estimate.throughput_kbps() else {
            return 0;
        };
        let latency = self.estimate.latency_s();
        let p = ctx.movie.segment_s();
        let mut rung = rung_for(ctx.movie, t * self.safety, latency, p);
        let safe_bits = self.ibr * (ctx.buffer_s - latency) * t * 1000.0;
        self.ibr = (self.ibr * IBR_FACTOR[1]).max(IBR_FACTOR[2]);
        if let Some(q) =
            (0..rung).find(|&q| ctx.movie.rungs[q + 1].bitrate_kbps * 1000.0 * p > safe_bits)
        {
            rung = q;
        }
        rung
    }
}

impl Abr for ThroughputRule {
    fn first(&mut self, _ctx: &Context) -> usize {
        0
    }

    fn choose(&mut self, ctx: &Context) -> Decision {
        Decision::now(self.rung(ctx))
    }

    fn on_download(&mut self, d: &Download) {
        if !d.abandoned {
            self.estimate.push(d);
        }
    }

    fn abandons(&self) -> bool {
        true
    }

    fn abandon(&mut self, ctx: &Context, p: &Progress) -> Option<usize> {
        abandon_for_throughput(ctx, p)
    }
}

/// dash.js's abandonment test (see the module's documentation).
pub fn abandon_for_throughput(ctx: &Context, p: &Progress) -> Option<usize> {
    let flowing = p.elapsed_s - p.latency_s;
    if p.elapsed_s < ABANDON_GRACE_S || flowing <= 0.0 || p.received <= 0.0 || p.rung == 0 {
        return None;
    }
    let kbps = p.received / flowing / 1000.0;
    let projected = p.latency_s + p.bits / (kbps * 1000.0);
    if projected <= ABANDON_MULTIPLIER * ctx.segment_s() {
        return None;
    }
    let rung = rung_for(ctx.movie, kbps * SAFETY, p.latency_s, ctx.segment_s());
    // As Sabre: only when the lower rung's whole segment is smaller than what is left.
    let smaller = ctx.movie.rungs[rung].segment_bits[ctx.segment] < p.bits - p.received;
    (rung < p.rung && smaller).then_some(rung)
}
