//! Many sessions: every trace of every trace set, from several start offsets, with one ABR
//! algorithm, and the distribution of their QoE figures.
//!
//! Each trace is played from `offsets` start points spread evenly over it (`offsets = 4`:
//! from 0, 1/4, 1/2 and 3/4 of its length), so that a session shorter than the trace
//! still samples all of it; the trace loops past its end. Sessions run in parallel and are
//! reported in a fixed order (set, trace by name, offset), so the output is the same from
//! run to run.

use crate::error::Result;
use crate::simulate::abr::{self, AbrKind, AbrSettings};
use crate::simulate::movie::Movie;
use crate::simulate::network::Trace;
use crate::simulate::qoe::{FIGURES, Qoe, QoeWeights};
use crate::simulate::session::{self, SessionOptions, Timeline};
use crate::util::interrupt;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The default number of start offsets per trace.
pub const DEFAULT_OFFSETS: usize = 4;

/// Traces given together (one `--traces` argument): their figures are also summarised
/// apart from the others'.
#[derive(Debug, Clone)]
pub struct TraceSet {
    /// What the user named (a directory, a file, a profile).
    pub name: String,
    /// Its traces.
    pub traces: Vec<Trace>,
}

/// How to simulate.
#[derive(Debug, Clone, Copy)]
pub struct SimulationOptions {
    /// The algorithm.
    pub abr: AbrKind,
    /// Its settings (the QoE weights in it are replaced by [`qoe`](Self::qoe) or the
    /// movie's defaults).
    pub abr_settings: AbrSettings,
    /// How each session plays.
    pub session: SessionOptions,
    /// Start offsets per trace.
    pub offsets: usize,
    /// The QoE weights; `None`: the defaults of the movie's quality scale.
    pub qoe: Option<QoeWeights>,
}

/// Mean and percentiles of one figure over sessions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Mean.
    pub mean: f64,
    /// 10th percentile.
    pub p10: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
}

impl Stats {
    fn of(values: &mut [f64]) -> Stats {
        values.sort_by(f64::total_cmp);
        let p = |q| crate::measure::metrics::pool::percentile(values, q);
        Stats {
            mean: values.iter().sum::<f64>() / values.len() as f64,
            p10: p(10.0),
            p50: p(50.0),
            p90: p(90.0),
        }
    }
}

/// The figures of a group of sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Sessions.
    pub sessions: usize,
    /// Share of sessions with at least one stall (or capped before starting).
    pub stalled_share: f64,
    /// Sessions that gave up at the cap (a link carrying almost nothing).
    pub capped: usize,
    /// Each figure's distribution, by name ([`FIGURES`]).
    pub figures: BTreeMap<String, Stats>,
    /// What delivering an hour of viewing takes: all the sessions' bits fetched over all
    /// the video they played, GB (10^9 bytes) per hour (0 when nothing played).
    #[serde(default)]
    pub gb_per_viewing_hour: f64,
}

impl Summary {
    fn of(sessions: &[&SessionResult]) -> Summary {
        let n = sessions.len();
        let figures = FIGURES
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let mut v: Vec<f64> = sessions.iter().map(|s| s.qoe.values()[i]).collect();
                (name.to_string(), Stats::of(&mut v))
            })
            .collect();
        Summary {
            sessions: n,
            stalled_share: sessions
                .iter()
                .filter(|s| s.qoe.stalls > 0.0 || s.capped)
                .count() as f64
                / n.max(1) as f64,
            capped: sessions.iter().filter(|s| s.capped).count(),
            figures,
            gb_per_viewing_hour: crate::viewers::cost::gb_per_hour(
                sessions.iter().map(|s| s.qoe.fetched_mbit).sum(),
                sessions.iter().map(|s| s.qoe.video_s).sum(),
            ),
        }
    }
}

/// One session's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionResult {
    /// The trace set (index into [`LadderSimulation::sets`]).
    pub set: usize,
    /// The trace.
    pub trace: String,
    /// Where in the trace it started, seconds.
    pub offset_s: f64,
    /// The session gave up at its cap.
    pub capped: bool,
    /// Its figures.
    pub qoe: Qoe,
}

/// A session played again with its events kept, for a plot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    /// Why it was picked (`typical`: the median QoE; `bad`: the 10th percentile).
    pub kind: String,
    /// The trace.
    pub trace: String,
    /// Where in the trace it started, seconds.
    pub offset_s: f64,
    /// Its figures.
    pub qoe: Qoe,
    /// The events.
    pub timeline: TimelineOut,
}

/// [`Timeline`] as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineOut {
    /// `[start s, end s, rung, throughput kbps, abandoned]` of every download.
    pub fetches: Vec<(f64, f64, usize, f64, bool)>,
    /// `[time s, level s]`.
    pub buffer: Vec<(f64, f64)>,
    /// `[start s, end s]`.
    pub stalls: Vec<(f64, f64)>,
}

impl From<Timeline> for TimelineOut {
    fn from(t: Timeline) -> Self {
        TimelineOut {
            fetches: t
                .fetches
                .iter()
                .map(|f| (f.start_s, f.end_s, f.rung, f.throughput_kbps, f.abandoned))
                .collect(),
            buffer: t.buffer,
            stalls: t.stalls,
        }
    }
}

/// One trace set's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetResult {
    /// Its name.
    pub name: String,
    /// Its traces.
    pub traces: usize,
    /// Its sessions' figures.
    pub summary: Summary,
    /// A typical and a bad session, replayed with their events.
    pub examples: Vec<Example>,
}

/// A rung as the simulation saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RungOut {
    /// Width and height, when known.
    pub size: Option<(u32, u32)>,
    /// Nominal bitrate, kbit/s.
    pub bitrate_kbps: f64,
    /// Mean quality over the title.
    pub quality: f64,
}

/// One ladder's simulation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LadderSimulation {
    /// The ladder file.
    pub ladder: String,
    /// The codec played.
    pub codec: Option<String>,
    /// The quality scale.
    pub quality: String,
    /// The rungs offered (after the device's limits).
    pub rungs: Vec<RungOut>,
    /// The QoE weights used.
    pub weights: QoeWeights,
    /// All sessions' figures.
    pub summary: Summary,
    /// Per trace set.
    pub sets: Vec<SetResult>,
    /// Every session.
    pub sessions: Vec<SessionResult>,
}

/// Play `movie` over every trace of `sets` from `options.offsets` start points each.
///
/// With `replay` (the first ladder's simulation, when ladders are compared), each set's
/// examples are the sessions `replay` picked (the same trace and offset), so that the
/// ladders' timelines show the same network. Stops with [`Error::Interrupted`] after a
/// Ctrl-C, between sessions.
pub fn simulate(
    movie: &Movie,
    sets: &[TraceSet],
    options: &SimulationOptions,
    replay: Option<&LadderSimulation>,
) -> Result<LadderSimulation> {
    let weights = options.qoe.unwrap_or_else(|| QoeWeights::for_scale(movie));
    let settings = AbrSettings {
        qoe: weights,
        ..options.abr_settings
    };
    let offsets = options.offsets.max(1);
    let jobs: Vec<(usize, &Trace, f64)> = sets
        .iter()
        .enumerate()
        .flat_map(|(s, set)| {
            set.traces.iter().flat_map(move |t| {
                (0..offsets).map(move |k| (s, t, t.duration_s() * k as f64 / offsets as f64))
            })
        })
        .collect();
    let run = |trace: &Trace, offset: f64, record: bool| {
        let mut abr = abr::build(options.abr, movie, options.session.buffer_s, &settings);
        let session_options = SessionOptions {
            record,
            ..options.session
        };
        session::play(movie, trace, offset, abr.as_mut(), &session_options)
    };
    let sessions: Vec<SessionResult> = jobs
        .par_iter()
        .map(|&(set, trace, offset_s)| {
            interrupt::check()?;
            let s = run(trace, offset_s, false);
            Ok(SessionResult {
                set,
                trace: trace.path.display().to_string(),
                offset_s,
                capped: s.capped,
                qoe: Qoe::of(&s, movie, &weights),
            })
        })
        .collect::<Result<_>>()?;
    let set_results = sets
        .iter()
        .enumerate()
        .map(|(i, set)| {
            let mine: Vec<&SessionResult> = sessions.iter().filter(|s| s.set == i).collect();
            let picks = match replay.and_then(|r| r.sets.get(i)) {
                Some(r) => replayed(&mine, &r.examples),
                None => examples(&mine),
            };
            let examples = picks
                .into_iter()
                .map(|(kind, pick)| {
                    let trace = jobs
                        .iter()
                        .find(|(s, t, o)| {
                            *s == i
                                && t.path.display().to_string() == pick.trace
                                && *o == pick.offset_s
                        })
                        .map(|j| j.1);
                    let timeline = trace
                        .and_then(|t| run(t, pick.offset_s, true).timeline)
                        .unwrap_or_default();
                    Example {
                        kind: kind.to_string(),
                        trace: pick.trace.clone(),
                        offset_s: pick.offset_s,
                        qoe: pick.qoe,
                        timeline: timeline.into(),
                    }
                })
                .collect();
            SetResult {
                name: set.name.clone(),
                traces: set.traces.len(),
                summary: Summary::of(&mine),
                examples,
            }
        })
        .collect();
    let all: Vec<&SessionResult> = sessions.iter().collect();
    Ok(LadderSimulation {
        ladder: movie.path.display().to_string(),
        codec: movie.codec.map(|c| c.to_string()),
        quality: movie.quality.name().to_string(),
        rungs: (0..movie.rungs.len())
            .map(|r| RungOut {
                size: movie.rungs[r].size,
                bitrate_kbps: movie.rungs[r].bitrate_kbps,
                quality: movie.rung_quality(r),
            })
            .collect(),
        weights,
        summary: Summary::of(&all),
        sets: set_results,
        sessions,
    })
}

/// The sessions of `sessions` on the traces and offsets of `picked` (another ladder's
/// examples), of the same kinds.
fn replayed<'a>(
    sessions: &[&'a SessionResult],
    picked: &'a [Example],
) -> Vec<(&'a str, &'a SessionResult)> {
    picked
        .iter()
        .filter_map(|e| {
            sessions
                .iter()
                .find(|s| s.trace == e.trace && s.offset_s == e.offset_s)
                .map(|s| (e.kind.as_str(), *s))
        })
        .collect()
}

/// The sessions at the median and the 10th percentile of QoE (the first in order among
/// equals).
fn examples<'a>(sessions: &[&'a SessionResult]) -> Vec<(&'a str, &'a SessionResult)> {
    if sessions.is_empty() {
        return Vec::new();
    }
    let mut order: Vec<usize> = (0..sessions.len()).collect();
    order.sort_by(|&a, &b| {
        sessions[a]
            .qoe
            .qoe
            .total_cmp(&sessions[b].qoe.qoe)
            .then(a.cmp(&b))
    });
    let at = |q: f64| sessions[order[((order.len() - 1) as f64 * q).round() as usize]];
    vec![("typical", at(0.5)), ("bad", at(0.1))]
}
