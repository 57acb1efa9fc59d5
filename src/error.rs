//! The library's error type. Every variant renders as one line that names the file (or the
//! trial point) and the cause, so the CLI can print it as is. Causes are part of the message,
//! not chained as `source()`, so that printing the chain does not repeat them.

use std::path::PathBuf;

/// Result alias used throughout the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while probing, measuring or writing a ladder.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: no such file", path.display())]
    NotFound { path: PathBuf },

    #[error("{}: cannot open as video: {}", path.display(), explained(cause, said))]
    Open {
        path: PathBuf,
        cause: ffmpeg_next::Error,
        /// The last error line FFmpeg logged while failing, when it logged one.
        said: Option<String>,
    },

    #[error("{}: {} of the run's units have no result yet: {}", dir.display(), units.len(), units.join(", "))]
    MissingUnits { dir: PathBuf, units: Vec<String> },

    #[error("{}: the source has {found} bytes, the plan {expected} (the file changed since it was planned)", path.display())]
    SourceChanged {
        path: PathBuf,
        expected: u64,
        found: u64,
    },

    #[error("{}: would overwrite the input {}; write the output elsewhere", output.display(), input.display())]
    WouldOverwriteInput { output: PathBuf, input: PathBuf },

    #[error("{}: not a pertitle plan: {cause}", path.display())]
    InvalidPlan { path: PathBuf, cause: String },

    #[error("{}: no video stream in the file", path.display())]
    NoVideoStream { path: PathBuf },

    #[error("{}: corrupt or truncated video ({what}): {cause}", path.display())]
    Corrupt {
        path: PathBuf,
        what: &'static str,
        cause: ffmpeg_next::Error,
    },

    #[error("{}: truncated video: the header promises {expected} frames, the file holds {found}", path.display())]
    Truncated {
        path: PathBuf,
        expected: u64,
        found: u64,
    },

    #[error("{}: the video stream declares no frame rate", path.display())]
    NoFrameRate { path: PathBuf },

    #[error("{}: no decodable video frames", path.display())]
    NoFrames { path: PathBuf },

    #[error(
        "{}: unsupported pixel format {format} (pertitle measures YUV and gray sources, converted to 8-bit 4:2:0; not RGB or paletted ones)",
        path.display()
    )]
    UnsupportedPixelFormat { path: PathBuf, format: String },

    #[error("{}: frame size {size} is out of range: pertitle measures frames of {limit}", path.display())]
    FrameSizeOutOfRange {
        path: PathBuf,
        size: String,
        limit: String,
    },

    #[error("{}: frame size changes mid-stream ({from} -> {to}); pertitle needs a constant frame size", path.display())]
    FrameSizeChanged {
        path: PathBuf,
        from: String,
        to: String,
    },

    #[error("{context}: {cause}")]
    Ffmpeg {
        context: String,
        cause: ffmpeg_next::Error,
    },

    #[error("{}: {cause}", path.display())]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },

    #[error("{}: invalid ladder manifest: {cause}", path.display())]
    Manifest {
        path: PathBuf,
        cause: serde_json::Error,
    },

    #[error("invalid option: {0}")]
    InvalidOption(String),

    #[error("{}: ladder.json schema version {found}; this pertitle reads version {expected} (run `pertitle optimize` again)", path.display())]
    UnsupportedSchema {
        path: PathBuf,
        found: u32,
        expected: u32,
    },

    /// A ladder.json cannot be written in the asked format.
    #[error("cannot export: {0}")]
    Export(String),

    /// The ladder constraints cannot be met by the measured points.
    #[error("cannot build a ladder: {0}")]
    Ladder(String),

    #[error("internal error: {0}")]
    Internal(String),

    #[error("interrupted (finished trial results are kept in the cache, if one was given)")]
    Interrupted,
}

impl Error {
    /// An FFmpeg failure outside of reading a file (encoder, scaler, decoder of our own packets).
    pub(crate) fn ffmpeg(context: impl Into<String>, cause: ffmpeg_next::Error) -> Self {
        Error::Ffmpeg {
            context: context.into(),
            cause,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, cause: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            cause,
        }
    }
}

/// An FFmpeg error code with the line FFmpeg logged about it: the line says more, so it
/// comes first (`Picture size 100000x100000 is invalid (Device or resource busy)`).
fn explained(cause: &ffmpeg_next::Error, said: &Option<String>) -> String {
    match said {
        Some(line) if !line.is_empty() => format!("{line} ({cause})"),
        _ => cause.to_string(),
    }
}
