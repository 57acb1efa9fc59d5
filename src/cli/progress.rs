//! Progress bars for long runs (drawn on stderr, hidden when stdout is not a terminal).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pertitle::measure::trial::TrialSpec;
use pertitle::util::progress::Progress;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};

/// One bar over all the work of a run: each source frame of a pass advances it by the number
/// of points in the pass, so the ETA covers every remaining point.
pub struct Bar {
    bar: ProgressBar,
    pass_points: AtomicU64,
    /// Counts each frame once whatever the points of the pass (a bar over frames).
    per_frame: bool,
    /// What the work units are called ("points", "rungs").
    noun: &'static str,
}

impl Bar {
    /// A bar over trial points that draws only when `enabled` and stdout is a terminal.
    pub fn new(enabled: bool) -> Self {
        Self::counting(enabled, "points")
    }

    /// A bar whose work units are called `noun`.
    pub fn counting(enabled: bool, noun: &'static str) -> Self {
        Self::with_steps(enabled, noun, false)
    }

    /// A bar over the frames of one pass that reads the source only (no trial points).
    pub fn frames(enabled: bool) -> Self {
        Self::with_steps(enabled, "frames", true)
    }

    fn with_steps(enabled: bool, noun: &'static str, per_frame: bool) -> Self {
        let target = if enabled && std::io::stdout().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(None, target);
        let style = ProgressStyle::with_template(
            "{prefix:>14} [{bar:30.cyan/blue}] {percent:>3}% {elapsed_precise} ETA {eta_precise} {wide_msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        Bar {
            bar,
            pass_points: AtomicU64::new(0),
            per_frame,
            noun,
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// "running 12 points: 480x270..1920x1080, crf 18..38" for the points of a pass.
fn describe(noun: &str, points: &[TrialSpec]) -> String {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return String::new();
    };
    let crf_min = points
        .iter()
        .filter_map(|p| p.rate.crf())
        .fold(f64::INFINITY, f64::min);
    let crf_max = points
        .iter()
        .filter_map(|p| p.rate.crf())
        .fold(f64::NEG_INFINITY, f64::max);
    let capped = points.iter().filter(|p| p.rate.crf().is_none()).count();
    let rates = match (crf_min.is_finite(), capped) {
        (true, 0) => format!("crf {crf_min}..{crf_max}"),
        (true, n) => format!("crf {crf_min}..{crf_max} + {n} reference rungs"),
        (false, n) => format!("{n} reference rungs"),
    };
    let res = if first.resolution == last.resolution {
        first.resolution.to_string()
    } else {
        format!("{}..{}", first.resolution, last.resolution)
    };
    let verb = if noun == "points" {
        "running"
    } else {
        "encoding"
    };
    format!("{verb} {} {noun}: {res}, {rates}", points.len())
}

impl Progress for Bar {
    fn pass_started(&self, points: &[TrialSpec], done: usize, total: usize, frames: u64) {
        // Each measurement (the grid, or one wave of a search) adds its work to the bar.
        if done == 0 && frames > 0 {
            match self.bar.length() {
                None => self.bar.set_length(frames * total as u64),
                Some(_) => self.bar.inc_length(frames * total as u64),
            }
        }
        let step = if self.per_frame { 1 } else { points.len() };
        self.pass_points.store(step as u64, Ordering::Relaxed);
        self.bar.set_prefix(format!("{} {done}/{total}", self.noun));
        self.bar.set_message(describe(self.noun, points));
    }

    fn frame(&self) {
        self.bar.inc(self.pass_points.load(Ordering::Relaxed));
    }

    fn pass_finished(&self, done: usize, total: usize) {
        self.bar.set_prefix(format!("{} {done}/{total}", self.noun));
    }
}
