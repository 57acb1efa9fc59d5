//! Playing a ladder over network traces, as viewers would, and measuring what they get.
//! Device classes, which limit the rungs offered, are [`crate::viewers::device`]'s.
//!
//! - [`network`]: network traces (looped) and the exact time a download takes over them;
//! - [`movie`]: what is played: a ladder's rungs as segment sizes and per-segment quality;
//! - [`abr`]: the ABR algorithms (throughput rule, BOLA, dynamic, RobustMPC);
//! - [`session`]: one session, segment by segment: requests, buffer, stalls;
//! - [`qoe`]: the figures of a session and its linear QoE score;
//! - [`run`]: many sessions over trace sets and start offsets, and their distribution;
//! - [`outcome`]: `simulation.json` and `sessions.csv`.

pub mod abr;
pub mod movie;
pub mod network;
pub mod outcome;
pub mod qoe;
pub mod run;
pub mod session;
