#![warn(missing_docs)]
//! # pertitle
//!
//! Per-title encoding ladder optimization. The modules follow the data flow, one folder a
//! stage:
//!
//! 1. [`source`]: probe a file and stream its decoded frames, turned upright and in 8-bit
//!    4:2:0; resize them (Lanczos down to trial sizes, bicubic back up);
//! 2. [`encode`]: trial and final encodes with any [`Codec`] (x264, x265, SVT-AV1, VP9,
//!    libaom), keyframes on segment boundaries;
//! 3. [`measure`]: trial points (encode, decode back, upscale, compare with the metrics),
//!    many per pass over one decode of the source, cached by content;
//! 4. [`search`]: which points to encode: a grid, an adaptive search, a proxy preset, or work
//!    units for a cluster;
//! 5. [`ladder`]: the upper convex hull of the points and the rungs picked from it, fixed
//!    reference ladders and the Bjontegaard metrics;
//! 6. [`manifest`]: `ladder.json`; [`optimize`] runs the whole job and [`score`] compares one
//!    file with another;
//! 7. [`package`]: the ladder encoded and packaged for HLS and DASH, exported for other tools;
//! 8. [`report`]: a `ladder.json` as one self-contained HTML page of plots, tables and
//!    pictures.
//!
//! FFmpeg is used through its libraries (ffmpeg-next); nothing runs the `ffmpeg` program.
//! [`util`] holds atomic writes, the overwrite guard, Ctrl-C handling and FFmpeg's log.

pub mod encode;
pub mod error;
pub mod ladder;
pub mod manifest;
pub mod measure;
pub mod optimize;
pub mod package;
pub mod report;
pub mod score;
pub mod search;
pub mod source;
pub mod util;

pub use encode::codec::Codec;
pub use error::{Error, Result, Setting};
pub use manifest::Manifest;
pub use measure::point::{Metric, Point, Rung};
pub use optimize::{OptimizeOptions, optimize};
pub use source::frame_rate::FrameRate;
pub use source::resolution::Resolution;
pub use source::{SourceInfo, probe};
