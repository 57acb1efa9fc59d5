//! The network a simulated player fetches segments over: a throughput trace in Sabre's JSON
//! format (a list of `{"duration_ms", "bandwidth_kbps", "latency_ms"}` periods), looped.
//!
//! A request first pays one latency, during which nothing is downloaded. When the latency
//! runs past the end of a period, the remaining share of it is paid at the next period's
//! latency (a request that spends half its latency in a 100 ms period and half in a 200 ms
//! one waits 50 + 100 ms), as Sabre does. The bits then arrive at each period's bandwidth in
//! turn, integrated exactly over the periods (no time step). The trace repeats when it ends.

use crate::error::{Error, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

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
    /// Where it was read from (or a name for a made-up trace).
    pub path: PathBuf,
    periods: Vec<Period>,
    /// The whole trace, seconds.
    duration_s: f64,
}

impl Trace {
    /// A trace of `periods`, named `path`. At least one period must last, every value must
    /// be finite and not negative, and some period must carry bits.
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
        if !periods
            .iter()
            .any(|p| p.duration_ms > 0.0 && p.bandwidth_kbps > 0.0)
        {
            return Err(problem(
                "no period both lasts and carries bits (a trace needs some bandwidth)".into(),
            ));
        }
        let duration_s = periods.iter().map(|p| p.duration_ms).sum::<f64>() / 1000.0;
        Ok(Trace {
            path,
            periods,
            duration_s,
        })
    }

    /// Read a trace in Sabre's JSON format.
    pub fn load(path: &Path) -> Result<Trace> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let periods: Vec<Period> =
            serde_json::from_str(&text).map_err(|e| Error::InvalidTrace {
                path: path.to_path_buf(),
                problem: e.to_string(),
            })?;
        Trace::new(path, periods)
    }

    /// The periods, in order.
    pub fn periods(&self) -> &[Period] {
        &self.periods
    }

    /// How long the trace lasts before it repeats, seconds.
    pub fn duration_s(&self) -> f64 {
        self.duration_s
    }
}

/// The traces at `path`: the file itself, or every `.json` file in the directory, by name
/// (so every run plays them in the same order). A directory without traces is an error.
pub fn load_traces(path: &Path) -> Result<Vec<Trace>> {
    if !path.is_dir() {
        return Ok(vec![Trace::load(path)?]);
    }
    let entries = std::fs::read_dir(path).map_err(|e| Error::io(path, e))?;
    let mut files = Vec::new();
    for entry in entries {
        let file = entry.map_err(|e| Error::io(path, e))?.path();
        if file.is_file() && file.extension().is_some_and(|e| e == "json") {
            files.push(file);
        }
    }
    if files.is_empty() {
        return Err(Error::InvalidTrace {
            path: path.to_path_buf(),
            problem: "a directory with no .json trace in it".into(),
        });
    }
    files.sort();
    files.iter().map(|f| Trace::load(f)).collect()
}

/// A place on a looped trace, moving forward as time passes.
#[derive(Debug, Clone)]
pub struct Network<'a> {
    trace: &'a Trace,
    /// The current period.
    index: usize,
    /// Seconds already spent in the current period.
    into: f64,
    /// Seconds since the session started.
    now_s: f64,
}

impl<'a> Network<'a> {
    /// The network `offset_s` seconds into `trace` (wrapped to its length), at session time 0.
    pub fn new(trace: &'a Trace, offset_s: f64) -> Self {
        let mut n = Network {
            trace,
            index: 0,
            into: 0.0,
            now_s: 0.0,
        };
        n.idle(offset_s.max(0.0) % trace.duration_s);
        n.now_s = 0.0;
        n
    }

    /// Seconds since the session started.
    pub fn now_s(&self) -> f64 {
        self.now_s
    }

    /// The current period and the seconds left in it.
    fn period(&self) -> (Period, f64) {
        let p = self.trace.periods[self.index];
        (p, (p.duration_ms / 1000.0 - self.into).max(0.0))
    }

    fn next_period(&mut self) {
        self.index = (self.index + 1) % self.trace.periods.len();
        self.into = 0.0;
    }

    fn advance(&mut self, seconds: f64) {
        self.into += seconds;
        self.now_s += seconds;
    }

    /// Let `seconds` pass without a transfer (a player waiting for room in its buffer).
    pub fn idle(&mut self, seconds: f64) {
        let mut left = seconds.max(0.0);
        loop {
            let (_, remaining) = self.period();
            if left < remaining {
                self.advance(left);
                return;
            }
            self.advance(remaining);
            left -= remaining;
            self.next_period();
        }
    }

    /// Pay one request's latency: the time it took, seconds.
    pub fn latency(&mut self) -> f64 {
        let start = self.now_s;
        // The share of one latency still to pay.
        let mut share = 1.0;
        loop {
            let (p, remaining) = self.period();
            let latency_s = p.latency_ms / 1000.0;
            let wanted = share * latency_s;
            if wanted <= remaining {
                self.advance(wanted);
                return self.now_s - start;
            }
            if latency_s > 0.0 {
                share -= remaining / latency_s;
            }
            self.advance(remaining);
            self.next_period();
        }
    }

    /// Transfer `bits` (after the request's latency, which [`latency`](Self::latency) pays):
    /// the time it took, seconds.
    pub fn transfer(&mut self, bits: f64) -> f64 {
        let start = self.now_s;
        let mut left = bits.max(0.0);
        while left > 0.0 {
            let (p, remaining) = self.period();
            let rate = p.bandwidth_kbps * 1000.0;
            if rate * remaining >= left {
                self.advance(left / rate);
                break;
            }
            left -= rate * remaining;
            self.advance(remaining);
            self.next_period();
        }
        self.now_s - start
    }

    /// Fetch `bits`: one latency, then the transfer. The time it took, seconds.
    pub fn download(&mut self, bits: f64) -> f64 {
        self.latency() + self.transfer(bits)
    }
}

#[cfg(test)]
mod tests;
