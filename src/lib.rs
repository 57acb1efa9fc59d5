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
//! [`shots`] cuts a title into its shots and combines per-shot encodes at one slope.
//!
//! [`viewers`] describes who watches: device classes (screen, decoder, how quality is judged)
//! and viewer mixes (devices and their networks), used by [`measure`], [`ladder`] and
//! [`simulate`].
//!
//! FFmpeg is used through its libraries (ffmpeg-next); nothing runs the `ffmpeg` program.
//! [`util`] holds atomic writes, the overwrite guard, Ctrl-C handling and FFmpeg's log.
//!
//! A run in a few lines:
//!
//! ```no_run
//! use pertitle::{Metric, OptimizeOptions};
//! # fn main() -> pertitle::Result<()> {
//! pertitle::source::init();
//! let options = OptimizeOptions {
//!     metric: Metric::Psnr,
//!     ..OptimizeOptions::default()
//! };
//! let manifest = pertitle::optimize(
//!     std::path::Path::new("title.mp4"),
//!     &options,
//!     &pertitle::util::progress::Silent,
//! )?;
//! for rung in &manifest.ladders[0].rungs {
//!     println!("{}x{} at {:.0} kbit/s", rung.width, rung.height, rung.bitrate_kbps);
//! }
//! manifest.write_atomic(std::path::Path::new("ladder.json"))?;
//! # Ok(())
//! # }
//! ```
//!
//! The `pertitle` binary is built with the default `cli` feature; the library itself does
//! not depend on the command line's crates.

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
pub mod shots;
pub mod simulate;
pub mod source;
pub mod util;
pub mod viewers;

// The front door: the types and calls a user of the library starts from.
pub use encode::codec::Codec;
pub use error::{Blocking, Error, Result, Setting};
pub use ladder::fixed::ReferenceLadder;
pub use ladder::{Constraints, ForcedRung, Objective};
pub use manifest::Manifest;
pub use measure::metrics::vmaf::VmafModel;
pub use measure::point::{Metric, Point, Rung};
pub use optimize::{CacheSettings, CodecChoice, OptimizeOptions, optimize};
pub use score::{ScoreOptions, ScoreReport, score};
pub use search::SearchMode;
pub use source::frame_rate::FrameRate;
pub use source::resolution::Resolution;
pub use source::{SourceInfo, probe};
pub use util::progress::Progress;
