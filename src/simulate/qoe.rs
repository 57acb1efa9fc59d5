//! What a viewer got from a session: the quality of experience figures, and the single
//! linear QoE score.
//!
//! With `q_k` the quality of segment `k` (the ladder's metric for the rung played, over that
//! segment; VMAF by default), `w_k` its duration over the nominal segment duration (1 but
//! for a short last segment), `N = sum_k w_k` the segments played, `T_stall` the stall time
//! and `T_start` the startup delay, the score is the linear form of Pensieve (Mao et al.,
//! SIGCOMM 2017) and MPC (Yin et al., SIGCOMM 2015), per segment:
//!
//! ```text
//! QoE = (sum_k w_k q_k - switch * sum_k |q_k - q'_k| - rebuffer * T_stall - startup * T_start) / N
//! ```
//!
//! where `q'_k` is the quality the previous segment's rung has over segment `k`: a switch
//! is charged for the change of quality it makes on the same content, not for the
//! content's own changes (the two are the same on Sabre's log-bitrate scale).
//!
//! Defaults ([`QoeWeights::for_scale`]) follow Pensieve's rule, where a second of stall
//! costs as much as one segment at the scale's best quality (Pensieve: 4.3 per second for
//! a top rung of 4.3 Mbit/s) and a unit of quality change costs one unit: for VMAF,
//! `rebuffer = 100` per second and `switch = 1` per VMAF point; PSNR 60 per second
//! (its cap, dB); SSIM 1; Sabre's log-bitrate utility, the top rung's utility (1 for a
//! single rung). The startup
//! delay costs the same as a stall by default, as in Pensieve, whose simulator counts the
//! first segment's download as rebuffering.

use crate::measure::metrics::pool::percentile;
use crate::simulate::movie::{Movie, QualityScale};
use crate::simulate::session::Session;
use serde::{Deserialize, Serialize};

/// The weights of the linear QoE.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QoeWeights {
    /// Per second of stall.
    pub rebuffer: f64,
    /// Per unit of quality change between consecutive segments.
    pub switch: f64,
    /// Per second of startup delay.
    pub startup: f64,
}

impl Default for QoeWeights {
    /// The VMAF defaults.
    fn default() -> Self {
        QoeWeights {
            rebuffer: 100.0,
            switch: 1.0,
            startup: 100.0,
        }
    }
}

impl QoeWeights {
    /// The default weights for `movie`'s quality scale (see the module's documentation).
    pub fn for_scale(movie: &Movie) -> Self {
        let top = match &movie.quality {
            QualityScale::LogBitrate => {
                let rungs = &movie.rungs;
                let top = (rungs[rungs.len() - 1].bitrate_kbps / rungs[0].bitrate_kbps).ln();
                // One rung (or equal bitrates): no utility range, so one per second.
                if top > 1e-9 { top } else { 1.0 }
            }
            QualityScale::Metric(m) if m.starts_with("psnr") => 60.0,
            QualityScale::Metric(m) if m.contains("ssim") => 1.0,
            QualityScale::Metric(_) => 100.0,
        };
        QoeWeights {
            rebuffer: top,
            switch: 1.0,
            startup: top,
        }
    }
}

/// The figures of one session.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Qoe {
    /// Seconds until playback started.
    pub startup_s: f64,
    /// Stalls after the start.
    pub stalls: f64,
    /// Their total, seconds.
    pub stall_s: f64,
    /// Stall time over watch time (video played plus stalls).
    pub stall_ratio: f64,
    /// Mean quality of the video played, weighted by segment duration.
    pub mean_quality: f64,
    /// 5th percentile of the played segments' qualities.
    pub p5_quality: f64,
    /// Changes of rung between consecutive segments.
    pub switches: f64,
    /// Mean absolute quality change of those changes.
    pub mean_switch: f64,
    /// Bits fetched, abandoned downloads included, Mbit.
    pub fetched_mbit: f64,
    /// Mean nominal bitrate of the rungs played, weighted by duration, kbit/s.
    pub played_kbps: f64,
    /// Sabre's "time average played bitrate": nominal bitrates times segment durations,
    /// over the session's wall time (startup and stalls included), kbit/s.
    pub time_average_kbps: f64,
    /// Seconds of video played.
    pub video_s: f64,
    /// The linear QoE score.
    pub qoe: f64,
}

/// The names of [`Qoe`]'s figures, in its field order (for tables and CSV).
pub const FIGURES: [&str; 13] = [
    "startup_s",
    "stalls",
    "stall_s",
    "stall_ratio",
    "mean_quality",
    "p5_quality",
    "switches",
    "mean_switch",
    "fetched_mbit",
    "played_kbps",
    "time_average_kbps",
    "video_s",
    "qoe",
];

impl Qoe {
    /// The figures of `session` over `movie`, scored with `weights`.
    pub fn of(session: &Session, movie: &Movie, weights: &QoeWeights) -> Qoe {
        let played = &session.played;
        let video_s: f64 = played.iter().map(|p| p.duration_s).sum();
        let mean_quality = if video_s > 0.0 {
            played.iter().map(|p| p.quality * p.duration_s).sum::<f64>() / video_s
        } else {
            0.0
        };
        let played_kbps = if video_s > 0.0 {
            played
                .iter()
                .map(|p| movie.rungs[p.rung].bitrate_kbps * p.duration_s)
                .sum::<f64>()
                / video_s
        } else {
            0.0
        };
        let mut sorted: Vec<f64> = played.iter().map(|p| p.quality).collect();
        sorted.sort_by(f64::total_cmp);
        let p5_quality = if sorted.is_empty() {
            0.0
        } else {
            percentile(&sorted, 5.0)
        };
        // A switch's size is the quality change it makes on the same content: the two
        // rungs' qualities over the segment played after it.
        let changes: Vec<f64> = played
            .windows(2)
            .filter(|w| w[0].rung != w[1].rung)
            .map(|w| {
                let q = |r: usize| movie.rungs[r].segment_quality[w[1].segment];
                (q(w[1].rung) - q(w[0].rung)).abs()
            })
            .collect();
        let all_change: f64 = changes.iter().sum();
        // Segments weighted by their duration over the nominal one, so that a short last
        // segment counts for what it lasts.
        let nominal = movie.segment_s();
        let n = (video_s / nominal).max(1.0);
        let qoe = (played
            .iter()
            .map(|p| p.quality * p.duration_s / nominal)
            .sum::<f64>()
            - weights.switch * all_change
            - weights.rebuffer * session.stall_s
            - weights.startup * session.startup_s)
            / n;
        let watch = video_s + session.stall_s;
        let q = Qoe {
            startup_s: session.startup_s,
            stalls: session.stalls as f64,
            stall_s: session.stall_s,
            stall_ratio: if watch > 0.0 {
                session.stall_s / watch
            } else {
                1.0
            },
            mean_quality,
            p5_quality,
            switches: changes.len() as f64,
            mean_switch: if changes.is_empty() {
                0.0
            } else {
                changes.iter().sum::<f64>() / changes.len() as f64
            },
            fetched_mbit: session.bits_fetched / 1e6,
            played_kbps,
            time_average_kbps: if session.wall_s > 0.0 {
                played_kbps * video_s / session.wall_s
            } else {
                0.0
            },
            video_s,
            qoe,
        };
        // No negative zeros in the outputs.
        let v = q.values();
        Qoe {
            startup_s: v[0],
            stalls: v[1],
            stall_s: v[2],
            stall_ratio: v[3],
            mean_quality: v[4],
            p5_quality: v[5],
            switches: v[6],
            mean_switch: v[7],
            fetched_mbit: v[8],
            played_kbps: v[9],
            time_average_kbps: v[10],
            video_s: v[11],
            qoe: v[12],
        }
    }

    /// The figures in [`FIGURES`] order (a negative zero written as zero).
    pub fn values(&self) -> [f64; 13] {
        let v = [
            self.startup_s,
            self.stalls,
            self.stall_s,
            self.stall_ratio,
            self.mean_quality,
            self.p5_quality,
            self.switches,
            self.mean_switch,
            self.fetched_mbit,
            self.played_kbps,
            self.time_average_kbps,
            self.video_s,
            self.qoe,
        ];
        v.map(|x| x + 0.0)
    }
}
