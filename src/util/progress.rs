//! Progress reporting hooks. The library only calls them; the CLI draws bars.

use crate::measure::trial::TrialSpec;

/// Receives progress events from a measurement run. Implementations must be cheap: `frame`
/// is called once per source frame of every pass.
pub trait Progress: Sync {
    /// A pass over the source starts: `points` are measured together, `done` of `total`
    /// points are finished already, and the pass will read `frames` source frames.
    fn pass_started(&self, _points: &[TrialSpec], _done: usize, _total: usize, _frames: u64) {}
    /// One more source frame went through every point of the pass.
    fn frame(&self) {}
    /// The pass finished; `done` of `total` points are now finished.
    fn pass_finished(&self, _done: usize, _total: usize) {}
}

/// Reports nothing.
pub struct Silent;

impl Progress for Silent {}
