//! BOLA (Spiteri, Urgaonkar, Sitaraman, "BOLA: Near-Optimal Bitrate Adaptation for Online
//! Videos", INFOCOM 2016), in the basic form Sabre implements as `bola` (MMSys 2018).
//!
//! Each rung `r` has a utility `u_r` and a nominal bitrate `b_r`. With a buffer of `B`
//! seconds, segments of `p` seconds and the gamma-p product `gp` (a pure number, 5 by
//! default, Sabre's `-gp`), the control parameter is `V = (B - p) / (u_max + gp)`. With the
//! buffer at `Q` seconds, BOLA picks the rung maximising `(V (u_r + gp) - Q) / b_r` (the
//! lower rung on a tie). Going up is held back by the throughput, as in Sabre: if the pick
//! is above the previous decision and above the rung the throughput estimate sustains
//! (`q_t`: the highest rung with `L + p b_r / T <= p`, the raw estimate `T`, no safety
//! factor; see [`throughput`](super::throughput)), BOLA keeps the previous decision when
//! that is above `q_t`, and takes `q_t + 1` otherwise. It never waits: the session's
//! full-buffer rule requests the next segment once the buffer is down to `B - p`, which is
//! exactly where BOLA's top rung's term `V (u_max + gp)` sits. The first segment is the
//! lowest rung. This is Sabre's `-a bola -ab` (basic BOLA, without BOLA-O's pause).
//!
//! Abandonment, from BOLA's own objective (the paper's BOLA-FINITE; Sabre's non-basic BOLA):
//! while a segment of rung `m` downloads with `R` bits still to come, its score is
//! `(V (u_m + gp) - Q) / R`; a lower rung `m'` whose whole segment `S_m'` is smaller than
//! `R` scores `(V (u_m' + gp) - Q) / S_m'`. When the best lower rung scores higher than
//! the download in flight, the download is given up for it. Sessions without abandonment
//! (`--no-abandon`, and the comparison with Sabre) never ask.
//!
//! Utilities ([`Utility`]): as published, `u_r = ln(b_r / b_0)`; or, by default, from the
//! rung's quality over the title (its ladder metric), mapped onto the same range:
//! `u_r = ln(b_max / b_0) * (q_r - q_0) / (q_max - q_0)`, so that `gp` keeps its meaning
//! and BOLA buys quality, not bits.

use crate::simulate::abr::estimate::Ewma;
use crate::simulate::abr::throughput::rung_for;
use crate::simulate::abr::{Abr, AbrSettings, Context, Decision, Download, Progress};
use crate::simulate::movie::Movie;
use std::fmt;
use std::str::FromStr;

/// Sabre's default gamma-p product.
pub const DEFAULT_GAMMA_P: f64 = 5.0;

/// What BOLA maximises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Utility {
    /// `ln(bitrate / lowest bitrate)`, as published.
    LogBitrate,
    /// The rung's quality, scaled onto the log-bitrate range.
    Quality,
}

impl fmt::Display for Utility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Utility::LogBitrate => "log-bitrate",
            Utility::Quality => "quality",
        })
    }
}

impl FromStr for Utility {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "log-bitrate" => Ok(Utility::LogBitrate),
            "quality" => Ok(Utility::Quality),
            _ => Err(format!(
                "unknown BOLA utility `{s}` (quality or log-bitrate)"
            )),
        }
    }
}

/// The utilities of `movie`'s rungs.
pub fn utilities(movie: &Movie, utility: Utility) -> Vec<f64> {
    // ln b_r - ln b_0, computed as Sabre computes it, for bit-identical decisions.
    let offset = -movie.rungs[0].bitrate_kbps.ln();
    let log: Vec<f64> = movie
        .rungs
        .iter()
        .map(|r| r.bitrate_kbps.ln() + offset)
        .collect();
    match utility {
        Utility::LogBitrate => log,
        Utility::Quality => {
            let q: Vec<f64> = (0..movie.rungs.len())
                .map(|r| movie.rung_quality(r))
                .collect();
            let (q0, qmax) = (q[0], q.iter().copied().fold(f64::MIN, f64::max));
            let span = log.last().copied().unwrap_or(0.0);
            q.iter()
                .map(|v| {
                    if qmax > q0 {
                        span * (v - q0) / (qmax - q0)
                    } else {
                        0.0
                    }
                })
                .collect()
        }
    }
}

/// BOLA.
#[derive(Debug, Clone)]
pub struct Bola {
    utilities: Vec<f64>,
    bitrates: Vec<f64>,
    gp: f64,
    v: f64,
    segment_s: f64,
    estimate: Ewma,
    last: usize,
}

impl Bola {
    /// BOLA for `movie` with a buffer of `buffer_max_s`.
    pub fn new(movie: &Movie, buffer_max_s: f64, settings: &AbrSettings) -> Self {
        let utilities = utilities(movie, settings.bola_utility);
        let gp = settings.bola_gamma_p;
        let top = utilities.iter().copied().fold(0.0, f64::max);
        let v = (buffer_max_s - movie.segment_s()) / (top + gp);
        Bola {
            bitrates: movie.rungs.iter().map(|r| r.bitrate_kbps).collect(),
            utilities,
            gp,
            v,
            segment_s: movie.segment_s(),
            estimate: Ewma::new(movie.segment_s()),
            last: 0,
        }
    }

    /// The rung BOLA picks with `level` seconds buffered.
    pub fn rung(&self, level: f64) -> usize {
        let mut best = 0;
        let mut best_score = f64::NEG_INFINITY;
        for (r, (u, b)) in self.utilities.iter().zip(&self.bitrates).enumerate() {
            let score = (self.v * (u + self.gp) - level) / b;
            if score > best_score {
                best = r;
                best_score = score;
            }
        }
        best
    }

    /// The rung for the next segment with `level` seconds buffered (and the throughput
    /// check on going up); it becomes the previous decision.
    pub fn decide(&mut self, ctx: &Context, level: f64) -> usize {
        let mut rung = self.rung(level);
        if rung > self.last {
            let sustained = self.estimate.throughput_kbps().map_or(0, |t| {
                rung_for(ctx.movie, t, self.estimate.latency_s(), self.segment_s)
            });
            if rung > sustained {
                rung = if self.last > sustained {
                    self.last
                } else {
                    sustained + 1
                };
            }
        }
        self.last = rung;
        rung
    }
}

impl Abr for Bola {
    fn first(&mut self, _ctx: &Context) -> usize {
        0
    }

    fn choose(&mut self, ctx: &Context) -> Decision {
        Decision::now(self.decide(ctx, ctx.buffer_s))
    }

    fn on_download(&mut self, download: &Download) {
        if !download.abandoned {
            self.estimate.push(download);
        }
    }

    fn abandons(&self) -> bool {
        true
    }

    fn abandon(&mut self, ctx: &Context, p: &Progress) -> Option<usize> {
        let left = p.bits - p.received;
        let worth = |r: usize| self.v * (self.utilities[r] + self.gp) - ctx.buffer_s;
        if left <= 0.0 {
            return None;
        }
        let current = worth(p.rung) / left;
        let mut best: Option<(usize, f64)> = None;
        for r in 0..p.rung {
            let size = ctx.movie.rungs[r].segment_bits[ctx.segment];
            if size <= 0.0 || size >= left {
                continue;
            }
            let score = worth(r) / size;
            if score > current && best.is_none_or(|(_, b)| score > b) {
                best = Some((r, score));
            }
        }
        let (rung, _) = best?;
        self.last = rung;
        Some(rung)
    }
}
