//! BOLA (Spiteri, Urgaonkar, Sitaraman, "BOLA: Near-Optimal Bitrate Adaptation for Online
//! Videos", INFOCOM 2016), in the basic form Sabre implements as `bola` (MMSys 2018).
//!
//! Each rung `r` has a utility `u_r` and a nominal bitrate `b_r`. With a buffer of `B`
//! seconds, segments of `p` seconds and the gamma-p product `gp` (5 by default, Sabre's
//! `-gp`), the control parameter is `V = (B - p) / (u_max + gp)`. With the buffer at `Q`
//! seconds, BOLA fetches the rung maximising `(V (u_r + gp) - Q) / b_r`. When even that
//! rung's term `V (u_r + gp)` is below `Q`, the buffer is above what the rung is worth, and
//! BOLA waits `Q - V (u_r + gp)` seconds before the request. The first segment is the
//! lowest rung.
//!
//! Utilities ([`Utility`]): as published, `u_r = ln(b_r / b_0)`; or, by default, from the
//! rung's quality over the title (its ladder metric), mapped onto the same range:
//! `u_r = ln(b_max / b_0) * (q_r - q_0) / (q_max - q_0)`, so that `gp` keeps its meaning
//! and BOLA buys quality, not bits.

use crate::simulate::abr::{Abr, AbrSettings, Context, Decision, Download};
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
    let b0 = movie.rungs[0].bitrate_kbps;
    let log: Vec<f64> = movie
        .rungs
        .iter()
        .map(|r| (r.bitrate_kbps / b0).ln())
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

    /// The rung, and the wait until the buffer has drained to that rung's level.
    pub fn decide(&self, level: f64) -> Decision {
        let rung = self.rung(level);
        let ceiling = self.v * (self.utilities[rung] + self.gp);
        Decision {
            rung,
            wait_s: (level - ceiling).max(0.0),
        }
    }
}

impl Abr for Bola {
    fn first(&mut self, _ctx: &Context) -> usize {
        0
    }

    fn choose(&mut self, ctx: &Context) -> Decision {
        self.decide(ctx.buffer_s)
    }

    fn on_download(&mut self, _download: &Download) {}
}
