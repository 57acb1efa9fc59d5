//! The network a simulated player fetches segments over: a throughput trace, looped.
//!
//! # Traces
//!
//! A [`Trace`] is a list of [`Period`]s, each a duration, a bandwidth and a latency, played
//! in order and from the first again after the last. [`load_traces`] reads a file or a
//! directory of files; [`synthetic()`] makes one from a profile such as `step:8000,1500,at=60`;
//! [`resolve_traces`] takes either (the form a command-line trace option takes). The file
//! format is told by the content, not the name (`docs/traces.md` has examples):
//!
//! - **Sabre JSON** (the text starts with `[`): a list of
//!   `{"duration_ms", "bandwidth_kbps", "latency_ms"}` periods, as Sabre reads them.
//! - **time / throughput** (first line: two numbers): lines of `time_s throughput_mbps`,
//!   separated by spaces, tabs or a comma, as Pensieve's simulator reads them. The times
//!   must increase. Each line's throughput covers the time *since the line before*, the way
//!   Pensieve's simulator plays it (its `env.py` downloads at `cooked_bw[i]` from
//!   `cooked_time[i - 1]` to `cooked_time[i]`), so a file of n lines gives n - 1 periods,
//!   from its first time to its last, and needs no guess at how long its last line lasts;
//!   the first line's throughput is not used. The file has no latency: every period gets
//!   [`TEXT_LATENCY_MS`] (80 ms, Pensieve's `LINK_RTT`). Pensieve's 0.95 payload share
//!   and its random delay noise are not applied: the throughput is taken as given.
//! - **Mahimahi** (first line: one whole number): one line per delivery opportunity of one
//!   1500-byte packet, at a whole millisecond from the trace's start (a repeated
//!   millisecond: several packets); the trace lasts until its last timestamp, then repeats
//!   (a packet at that time is one at time 0 of the next loop, as in `mm-link`). The packets
//!   are counted in [`MAHIMAHI_BIN_MS`] bins (100 ms), each bin a period of
//!   `packets x 12000 bits / bin`; the last bin is shorter when the length is not a whole
//!   number of bins. Neighbouring bins of the same bandwidth are merged. Latency:
//!   [`TEXT_LATENCY_MS`], as for time / throughput.
//!
//! Lines that are blank or start with `#` are skipped in both text formats. Anything else
//! is an [`Error::InvalidTrace`] naming the file and the problem, in one line: an empty
//! file, a format not recognised, a line that does not parse, times that do not increase,
//! a negative or non-finite value, a trace that lasts no time.
//!
//! A period that lasts no time (a Sabre period of `"duration_ms": 0`) is dropped: it would
//! take no time and carry nothing. A trace must have some period that lasts.
//!
//! A trace whose bandwidth is zero throughout is accepted: it is a network that never
//! delivers ([`Trace::carries_bits`] is false). Nothing hangs on it: a transfer that can
//! never end takes `f64::INFINITY` seconds, and [`Network::transfer_within`] and
//! [`Network::download_within`] give up at a deadline, for a session to stop at a cap of
//! simulated time and report the stall.
//!
//! # Timing
//!
//! A request first pays one latency, during which nothing is downloaded. When the latency
//! runs past the end of a period, the remaining share of it is paid at the next period's
//! latency (a request that spends half its latency in a 100 ms period and half in a 200 ms
//! one waits 50 + 100 ms), as Sabre does. The bits then arrive at each period's bandwidth in
//! turn, integrated exactly over the periods (no time step). The trace repeats when it ends.
//! Whole loops of the trace are skipped arithmetically, so any wait or transfer costs at
//! most about two walks over the periods.

mod formats;
mod link;
mod synthetic;

pub use link::Network;
pub use synthetic::{SYNTHETIC_LATENCY_MS, builtin_profiles, synthetic};

use crate::error::{Error, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The latency of every period of a time / throughput or Mahimahi trace, which give none:
/// Pensieve's simulator adds the same 80 ms round trip (`LINK_RTT`) to every chunk.
pub const TEXT_LATENCY_MS: f64 = 80.0;

/// The bin a Mahimahi trace's packets are counted in, ms. Fine enough to keep the outages
/// of a cellular trace (a few hundred ms) and the variation within a segment download (a
/// few seconds); coarse enough that one packet more or less changes a bin's bandwidth by
/// only 120 kbit/s, and that an hour of trace is at most 36 000 periods.
pub const MAHIMAHI_BIN_MS: u64 = 100;

/// One period of a trace.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Period {
    /// How long the period lasts, ms.
    pub duration_ms: f64,
    /// Throughput during the period, kbit/s (1000 bits per second).
    pub bandwidth_kbps: f64,
    /// Delay before a request's first byte, ms.
    pub latency_ms: f64,
}

/// A network trace: periods played one after another, from the first again after the last.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// Where it was read from (for a synthetic trace, its profile spec).
    pub path: PathBuf,
    periods: Vec<Period>,
    /// The whole trace, seconds.
    duration_s: f64,
    /// The bits one loop of the trace carries.
    bits_per_loop: f64,
}

impl Trace {
    /// A trace of `periods`, named `path`. Every value must be finite and not negative, and
    /// some period must last; periods that last no time are dropped. A trace of zero
    /// bandwidth throughout is accepted ([`carries_bits`](Self::carries_bits) tells).
    pub fn new(path: impl Into<PathBuf>, periods: Vec<Period>) -> Result<Trace> {
        let path = path.into();
        let problem = |problem: String| Error::InvalidTrace {
            path: path.clone(),
            problem,
        };
        if let Some((i, _)) = periods.iter().enumerate().find(|(_, p)| {
            [p.duration_ms, p.bandwidth_kbps, p.latency_ms]
                .iter()
                .any(|v| !v.is_finite() || *v < 0.0)
        }) {
            return Err(problem(format!(
                "period {} has a negative or non-finite value",
                i + 1
            )));
        }
        let periods: Vec<Period> = periods
            .into_iter()
            .filter(|p| p.duration_ms > 0.0)
            .collect();
        if periods.is_empty() {
            return Err(problem(
                "it lasts no time (no period of any duration)".into(),
            ));
        }
        let duration_s = periods.iter().map(|p| p.duration_ms).sum::<f64>() / 1000.0;
        let bits_per_loop = periods
            .iter()
            .map(|p| p.duration_ms * p.bandwidth_kbps)
            .sum::<f64>();
        if !duration_s.is_finite() || !bits_per_loop.is_finite() {
            return Err(problem("its length or bits overflow".into()));
        }
        Ok(Trace {
            path,
            periods,
            duration_s,
            bits_per_loop,
        })
    }

    /// Read a trace file of any format this module reads, told by its content.
    pub fn load(path: &Path) -> Result<Trace> {
        match formats::read(path)? {
            formats::Read::Trace(trace) => Ok(trace),
            formats::Read::Unknown(problem) => Err(Error::InvalidTrace {
                path: path.to_path_buf(),
                problem,
            }),
        }
    }

    /// The same trace with every period's latency set to `latency_ms` (to give a
    /// time / throughput or Mahimahi trace another latency than [`TEXT_LATENCY_MS`]).
    pub fn with_latency_ms(mut self, latency_ms: f64) -> Result<Trace> {
        if !latency_ms.is_finite() || latency_ms < 0.0 {
            return Err(Error::InvalidTrace {
                path: self.path,
                problem: format!("latency {latency_ms} ms is negative or not finite"),
            });
        }
        for p in &mut self.periods {
            p.latency_ms = latency_ms;
        }
        Ok(self)
    }

    /// The periods, in order (all of them last).
    pub fn periods(&self) -> &[Period] {
        &self.periods
    }

    /// How long the trace lasts before it repeats, seconds.
    pub fn duration_s(&self) -> f64 {
        self.duration_s
    }

    /// Whether any period carries bits. A trace that carries none never delivers a byte.
    pub fn carries_bits(&self) -> bool {
        self.bits_per_loop > 0.0
    }

    /// The mean bandwidth over one loop, kbit/s (weighted by duration).
    pub fn mean_kbps(&self) -> f64 {
        self.bits_per_loop / self.duration_s / 1000.0
    }
}

/// The traces at `path`: the file itself, or the trace files in the directory, by name (so
/// every run plays them in the same order). In a directory, hidden files, subdirectories,
/// documentation (README, LICENSE, `.md`, ...) and files whose content is of no trace
/// format are skipped; a file that looks like a trace but does not parse is an error, and
/// so is a directory without traces.
pub fn load_traces(path: &Path) -> Result<Vec<Trace>> {
    if !path.is_dir() {
        return Ok(vec![Trace::load(path)?]);
    }
    let entries = std::fs::read_dir(path).map_err(|e| Error::io(path, e))?;
    let mut files = Vec::new();
    for entry in entries {
        let file = entry.map_err(|e| Error::io(path, e))?.path();
        if file.is_file() && !formats::not_a_trace_by_name(&file) {
            files.push(file);
        }
    }
    files.sort();
    let mut traces = Vec::new();
    let mut unknown = 0;
    for file in &files {
        match formats::read(file)? {
            formats::Read::Trace(trace) => traces.push(trace),
            formats::Read::Unknown(_) => unknown += 1,
        }
    }
    if traces.is_empty() {
        let skipped = match unknown {
            0 => String::new(),
            1 => " (1 file of no known trace format)".into(),
            n => format!(" ({n} files of no known trace format)"),
        };
        return Err(Error::InvalidTrace {
            path: path.to_path_buf(),
            problem: format!("a directory with no trace file in it{skipped}"),
        });
    }
    Ok(traces)
}

/// The traces `spec` names: a file or directory that exists ([`load_traces`]), else a
/// synthetic profile (`constant:5000`, `step:8000,1500,at=60`, or a profile's bare name
/// for its default: see [`synthetic()`] and [`builtin_profiles`]). Anything else is an
/// [`Error::InvalidTrace`] saying it is neither.
pub fn resolve_traces(spec: &str) -> Result<Vec<Trace>> {
    let path = Path::new(spec);
    if path.exists() {
        return load_traces(path);
    }
    if synthetic::names_a_profile(spec) {
        return Ok(vec![synthetic(spec)?]);
    }
    let names: Vec<&str> = builtin_profiles()
        .iter()
        .map(|(example, _)| synthetic::profile_name(example))
        .collect();
    Err(Error::InvalidTrace {
        path: path.to_path_buf(),
        problem: format!(
            "no such file or directory, and not a profile ({})",
            names.join(", ")
        ),
    })
}

#[cfg(test)]
mod tests;
