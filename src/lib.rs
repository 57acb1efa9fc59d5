//! # pertitle
//!
//! Per-title encoding ladder optimization. The modules follow the data flow:
//!
//! 1. [`source`]: probe a file and stream its decoded frames ([`decode`] does the decoding),
//!    turned upright ([`rotate`]) and in 8-bit 4:2:0 ([`scale::Converter`]);
//! 2. [`scale`]: resize frames (Lanczos down to trial sizes, bicubic back up);
//! 3. [`encode`]: trial and final encodes with any [`video_codec::Codec`] (x264, x265,
//!    SVT-AV1, VP9, libaom), keyframes on segment boundaries ([`segment`]);
//! 4. [`trial`]: one (resolution, CRF) point: encode, decode back, upscale, compare
//!    ([`metrics`]); [`measure`] runs many points over one decode of the source;
//! 5. [`point`]: measured points; [`hull`]: their upper convex hull;
//! 6. [`ladder`]: rungs picked from the hull; [`manifest`]: `ladder.json`;
//! 7. [`optimize`]: the whole run, over a grid or an adaptive [`search`] (at a faster
//!    [`proxy`] preset, calibrated against the final one); [`score`]: one file against another.
//! 8. [`bdrate`]: Bjontegaard delta rate and quality of one rate-quality curve against another.
//! 9. [`report`]: a `ladder.json` as one self-contained HTML page of plots and tables.
//!
//! FFmpeg is used through its libraries (ffmpeg-next); nothing runs the `ffmpeg` program.
//! [`ffmpeg_log`] keeps FFmpeg's error lines for the errors; [`atomic`] writes every file;
//! [`interrupt`] stops work on Ctrl-C; [`overwrite`] keeps outputs off inputs.

pub mod atomic;
pub mod bdrate;
pub mod cache;
pub mod codecs;
pub mod cputime;
pub mod decode;
pub mod encode;
pub mod error;
pub mod export;
pub mod ffmpeg_log;
pub mod frame_rate;
pub mod frames;
pub mod hull;
pub mod interrupt;
pub mod ladder;
pub mod manifest;
pub mod measure;
pub mod metrics;
pub mod optimize;
pub mod overwrite;
pub mod package;
pub mod pass;
pub mod picture;
pub mod plan;
pub mod point;
pub mod progress;
pub mod proxy;
pub mod reference;
pub mod report;
pub mod resolution;
pub mod rotate;
pub mod sample;
pub mod scale;
pub mod score;
pub mod search;
pub mod segment;
pub mod source;
pub mod trial;
pub mod video_codec;
pub mod worst;

pub use error::{Error, Result};
pub use frame_rate::FrameRate;
pub use manifest::Manifest;
pub use optimize::{OptimizeOptions, optimize};
pub use point::{Metric, Point, Rung};
pub use resolution::Resolution;
pub use source::{SourceInfo, probe};
