//! Shots: a title cut into the runs of frames between its cuts, for shot-based encoding.
//!
//! [`detect`] finds the cuts in process on the decoded frames; [`combine`] chooses, for each
//! rung, every shot's encode so that all shots sit at one slope of their quality-rate hulls
//! (the Dynamic Optimizer's Lagrangian combination), from each trial encode's [`figures`]
//! per shot.

pub mod between;
pub mod combine;
pub mod detect;
pub mod figures;
pub mod ladder;
pub mod rung;

use serde::{Deserialize, Serialize};

/// One shot: the frames from one cut up to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Shot {
    /// Its first frame, counted from 0 in decode order.
    pub start_frame: u64,
    /// How many frames it holds (at least 1).
    pub frames: u64,
}

impl Shot {
    /// The frame after its last.
    pub fn end_frame(self) -> u64 {
        self.start_frame + self.frames
    }
}
