//! Adaptive bitrate (ABR) algorithms: which rung to fetch next.
//!
//! An algorithm sees what a player sees ([`Context`]: the buffer, the last rung, the
//! segment to come) and the downloads it made ([`Abr::on_download`]), and answers with a
//! [`Decision`]: a rung, and possibly a wait before the request. One that defines
//! abandonment is asked during a download whether to give it up for a lower rung
//! ([`Abr::abandon`]).
//!
//! Each algorithm is one module: [`throughput`] (dash.js's throughput rule), [`bola`]
//! (BOLA, Spiteri et al. 2016), [`dynamic`] (dash.js's switch between the two) and [`mpc`]
//! (RobustMPC, Yin et al. 2015). A new one implements [`Abr`] and is listed in [`AbrKind`].

pub mod bola;
pub mod dynamic;
pub mod estimate;
pub mod mpc;
pub mod throughput;

use crate::simulate::movie::Movie;
use crate::simulate::qoe::QoeWeights;
use std::fmt;
use std::str::FromStr;

/// What a player knows when it picks the next segment's rung.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The title.
    pub movie: &'a Movie,
    /// The segment to fetch, as an index into the title's segments.
    pub segment: usize,
    /// Segments left in the session, this one included.
    pub remaining: usize,
    /// Seconds of video in the buffer.
    pub buffer_s: f64,
    /// The most the buffer holds, seconds.
    pub buffer_max_s: f64,
    /// The rung of the previous segment, if any.
    pub last_rung: Option<usize>,
}

impl Context<'_> {
    /// The duration of the segment to fetch, seconds.
    pub fn segment_s(&self) -> f64 {
        self.movie.segment_durations_s[self.segment]
    }

    /// The title segment `k` segments after this one (the title loops).
    pub fn segment_after(&self, k: usize) -> usize {
        (self.segment + k) % self.movie.segments()
    }
}

/// A rung, and how long to wait before requesting it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    /// Index into the movie's rungs.
    pub rung: usize,
    /// Seconds to wait before the request (the buffer drains meanwhile).
    pub wait_s: f64,
}

impl Decision {
    /// Fetch `rung` now.
    pub fn now(rung: usize) -> Self {
        Decision { rung, wait_s: 0.0 }
    }
}

/// A finished download.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Download {
    /// The rung fetched.
    pub rung: usize,
    /// Bits received.
    pub bits: f64,
    /// From the request to the last bit, seconds.
    pub time_s: f64,
    /// From the request to the first bit, seconds.
    pub latency_s: f64,
    /// Whether the download was given up before its end.
    pub abandoned: bool,
}

impl Download {
    /// The throughput it saw while bits flowed, kbit/s (latency excluded).
    pub fn throughput_kbps(&self) -> f64 {
        let t = self.time_s - self.latency_s;
        if t > 0.0 {
            self.bits / t / 1000.0
        } else {
            f64::INFINITY
        }
    }
}

/// A download in progress.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// The rung being fetched.
    pub rung: usize,
    /// The segment's size, bits.
    pub bits: f64,
    /// Bits received so far.
    pub received: f64,
    /// Since the request, seconds.
    pub elapsed_s: f64,
    /// From the request to the first bit, seconds.
    pub latency_s: f64,
}

/// An ABR algorithm.
pub trait Abr {
    /// The rung of the first segment, before any download was measured.
    fn first(&mut self, ctx: &Context) -> usize;
    /// The rung of every later segment.
    fn choose(&mut self, ctx: &Context) -> Decision;
    /// A download finished (or was abandoned).
    fn on_download(&mut self, download: &Download);
    /// The player waited `seconds` for room in its buffer.
    fn on_wait(&mut self, _seconds: f64) {}
    /// Whether [`abandon`](Self::abandon) can ever say yes (the session then checks on
    /// downloads as they progress).
    fn abandons(&self) -> bool {
        false
    }
    /// During a download: give it up and fetch this lower rung instead?
    fn abandon(&mut self, _ctx: &Context, _progress: &Progress) -> Option<usize> {
        None
    }
}

/// The algorithms a user can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbrKind {
    /// [`throughput::ThroughputRule`].
    Throughput,
    /// [`bola::Bola`].
    Bola,
    /// [`dynamic::Dynamic`].
    Dynamic,
    /// [`mpc::RobustMpc`].
    Mpc,
}

impl AbrKind {
    /// Every algorithm.
    pub const ALL: [AbrKind; 4] = [
        AbrKind::Throughput,
        AbrKind::Bola,
        AbrKind::Dynamic,
        AbrKind::Mpc,
    ];

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            AbrKind::Throughput => "throughput",
            AbrKind::Bola => "bola",
            AbrKind::Dynamic => "dynamic",
            AbrKind::Mpc => "mpc",
        }
    }
}

impl fmt::Display for AbrKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for AbrKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        AbrKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = AbrKind::ALL.iter().map(|k| k.name()).collect();
                format!("unknown ABR algorithm `{s}` (one of {})", names.join(", "))
            })
    }
}

/// The settings every algorithm may read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AbrSettings {
    /// The utility BOLA maximises.
    pub bola_utility: bola::Utility,
    /// BOLA's gamma-p product, seconds (Sabre's `-gp`, 5 by default).
    pub bola_gamma_p: f64,
    /// The share of the throughput estimate the throughput rule trusts (dash.js: 0.9).
    pub safety: f64,
    /// The QoE that MPC maximises.
    pub qoe: QoeWeights,
    /// MPC's look-ahead, segments.
    pub horizon: usize,
}

impl Default for AbrSettings {
    fn default() -> Self {
        AbrSettings {
            bola_utility: bola::Utility::Quality,
            bola_gamma_p: bola::DEFAULT_GAMMA_P,
            safety: throughput::SAFETY,
            qoe: QoeWeights::default(),
            horizon: mpc::HORIZON,
        }
    }
}

/// A fresh instance of `kind` for one session over `movie`.
pub fn build(
    kind: AbrKind,
    movie: &Movie,
    buffer_max_s: f64,
    settings: &AbrSettings,
) -> Box<dyn Abr> {
    match kind {
        AbrKind::Throughput => Box::new(throughput::ThroughputRule::new(movie, settings.safety)),
        AbrKind::Bola => Box::new(bola::Bola::new(movie, buffer_max_s, settings)),
        AbrKind::Dynamic => Box::new(dynamic::Dynamic::new(movie, buffer_max_s, settings)),
        AbrKind::Mpc => Box::new(mpc::RobustMpc::new(settings)),
    }
}
