//! The library's error type. Every variant renders as one line that names the file (or the
//! trial point) and the cause, so the CLI can print it as is. Causes are part of the message,
//! not chained as `source()`, so that printing the chain does not repeat them.

use std::path::PathBuf;

/// Result alias used throughout the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while probing, measuring or writing a ladder.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input file does not exist.
    #[error("{}: no such file", path.display())]
    NotFound {
        /// The file.
        path: PathBuf,
    },

    /// FFmpeg cannot open the file as a video.
    #[error("{}: cannot open as video: {}", path.display(), explained(cause, said))]
    Open {
        /// The file.
        path: PathBuf,
        /// The error code FFmpeg returned.
        cause: ffmpeg_next::Error,
        /// The last error line FFmpeg logged while failing, when it logged one.
        said: Option<String>,
    },

    /// Not every work unit of a run has a result yet.
    #[error("{}: {} of the run's units have no result yet: {}", dir.display(), units.len(), units.join(", "))]
    MissingUnits {
        /// The run's directory.
        dir: PathBuf,
        /// The names of the units without a result.
        units: Vec<String>,
    },

    /// The source file changed since the run was planned.
    #[error("{}: the source has {found} bytes, the plan {expected} (the file changed since it was planned)", path.display())]
    SourceChanged {
        /// The source file.
        path: PathBuf,
        /// The size in bytes the plan recorded.
        expected: u64,
        /// The size in bytes the file has now.
        found: u64,
    },

    /// An output path is the input file itself.
    #[error("{}: would overwrite the input {}; write the output elsewhere", output.display(), input.display())]
    WouldOverwriteInput {
        /// The output path asked for.
        output: PathBuf,
        /// The input it is the same file as.
        input: PathBuf,
    },

    /// A plan.json cannot be read.
    #[error("{}: not a pertitle plan: {cause}", path.display())]
    InvalidPlan {
        /// The file.
        path: PathBuf,
        /// Why it cannot be read as a plan.
        cause: String,
    },

    /// The file has no video stream.
    #[error("{}: no video stream in the file", path.display())]
    NoVideoStream {
        /// The file.
        path: PathBuf,
    },

    /// Demuxing or decoding failed partway through the file.
    #[error("{}: corrupt or truncated video ({what}): {cause}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What was being done when it failed (e.g. "reading packets").
        what: &'static str,
        /// What FFmpeg reported.
        cause: ffmpeg_next::Error,
    },

    /// The file holds fewer frames than its header declares.
    #[error("{}: truncated video: the header promises {expected} frames, the file holds {found}", path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// The frame count the container header declares.
        expected: u64,
        /// The frames actually decoded.
        found: u64,
    },

    /// The video stream has no frame rate.
    #[error("{}: the video stream declares no frame rate", path.display())]
    NoFrameRate {
        /// The file.
        path: PathBuf,
    },

    /// Not one frame of the video stream decodes.
    #[error("{}: no decodable video frames", path.display())]
    NoFrames {
        /// The file.
        path: PathBuf,
    },

    /// The source's pixel format is RGB, paletted or otherwise not YUV or gray.
    #[error(
        "{}: unsupported pixel format {format} (pertitle measures YUV and gray sources, converted to 8-bit 4:2:0; not RGB or paletted ones)",
        path.display()
    )]
    UnsupportedPixelFormat {
        /// The file.
        path: PathBuf,
        /// The pixel format's FFmpeg name.
        format: String,
    },

    /// The frame size is too small or too large to measure.
    #[error("{}: frame size {size} is out of range: pertitle measures frames of {limit}", path.display())]
    FrameSizeOutOfRange {
        /// The file.
        path: PathBuf,
        /// The frame size, as `WIDTHxHEIGHT`.
        size: String,
        /// The limit it breaks, in words.
        limit: String,
    },

    /// The frame size changes within the stream.
    #[error("{}: frame size changes mid-stream ({from} -> {to}); pertitle needs a constant frame size", path.display())]
    FrameSizeChanged {
        /// The file.
        path: PathBuf,
        /// The frame size before the change, as `WIDTHxHEIGHT`.
        from: String,
        /// The frame size after the change, as `WIDTHxHEIGHT`.
        to: String,
    },

    /// An FFmpeg call failed outside of reading a file (encoder, scaler, decoder of our own packets).
    #[error("{context}: {cause}")]
    Ffmpeg {
        /// What was being done.
        context: String,
        /// What FFmpeg reported.
        cause: ffmpeg_next::Error,
    },

    /// A file or directory could not be read or written.
    #[error("{}: {cause}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the system reported.
        cause: std::io::Error,
    },

    /// A ladder.json is not valid JSON of the manifest's shape.
    #[error("{}: invalid ladder manifest: {cause}", path.display())]
    Manifest {
        /// The file.
        path: PathBuf,
        /// What the JSON parser reported.
        cause: serde_json::Error,
    },

    /// A setting's value cannot be used; `problem` explains why and shows the value. The
    /// message names the setting in words; the command line names its flag instead.
    #[error("{}: {problem}", setting.name())]
    InvalidSetting {
        /// The setting.
        setting: Setting,
        /// Why its value cannot be used, with the value.
        problem: String,
    },

    /// A ladder.json, package or file is not of the source it is used with.
    #[error("{}: not the source the ladder measured: {problem}", path.display())]
    MismatchedSource {
        /// The ladder.json, package or file.
        path: PathBuf,
        /// How it differs from the source.
        problem: String,
    },

    /// The manifest has no ladder of the codec asked for (`None`: no ladder at all).
    #[error("{}", no_ladder(*codec, available))]
    NoLadder {
        /// The codec asked for; `None` when any ladder would do.
        codec: Option<crate::encode::codec::Codec>,
        /// The codecs the manifest has ladders of.
        available: Vec<crate::encode::codec::Codec>,
    },

    /// A ladder without rungs (of one codec, when named) where rungs are needed.
    #[error("the {}ladder has no rungs", codec.map(|c| format!("{c} ")).unwrap_or_default())]
    EmptyLadder {
        /// The ladder's codec, when known.
        codec: Option<crate::encode::codec::Codec>,
    },

    /// A package written for another ladder than the one it is used with.
    #[error("{}: this package does not hold the ladder's rungs (package it again)", path.display())]
    StalePackage {
        /// The package directory.
        path: PathBuf,
    },

    /// The ladder's trial points were scored in a way this build cannot repeat on the final
    /// encodes (the scaling filters it records).
    #[error("{}: cannot score the renditions as the ladder's trial points were: {problem}", path.display())]
    UnrepeatableScoring {
        /// The package directory.
        path: PathBuf,
        /// What the ladder records that cannot be repeated.
        problem: String,
    },

    /// A package's output directory holds files, and no earlier package is to be replaced.
    #[error("{}: output directory exists and is not empty", path.display())]
    OutputNotEmpty {
        /// The output directory.
        path: PathBuf,
    },

    /// Only an earlier package may be replaced, and this directory holds something else.
    #[error("{}: not a package (no {file}); only an earlier package is replaced", path.display())]
    NotAPackage {
        /// The output directory.
        path: PathBuf,
        /// The file every package holds, missing here.
        file: &'static str,
    },

    /// The new package could not replace the old one, which was set aside and kept.
    #[error("{}: cannot put the new package in place ({cause}); the old one is at {}", path.display(), aside.display())]
    PackageSwap {
        /// The package directory.
        path: PathBuf,
        /// Where the old package was moved and kept.
        aside: PathBuf,
        /// What the system reported.
        cause: std::io::Error,
    },

    /// Work units can be listed only for a run whose points are known before any is
    /// measured.
    #[error("cannot plan work units: {0}")]
    NotPlannable(String),

    /// An encoder refused the frames or the options it was given.
    #[error("{what}: {problem}")]
    Encoder {
        /// The encode (codec and rendition).
        what: String,
        /// What was refused.
        problem: String,
    },

    /// libvmaf failed.
    #[error("libvmaf: {what} failed (error {code})")]
    Vmaf {
        /// The libvmaf call that failed.
        what: String,
        /// The error code it returned.
        code: i32,
    },

    /// A picture or a plot could not be drawn or encoded.
    #[error("{what}: {cause}")]
    Picture {
        /// What was being drawn or encoded.
        what: String,
        /// What the drawing or PNG library reported.
        cause: String,
    },

    /// A result could not be turned into JSON.
    #[error("cannot serialise {what}: {cause}")]
    Serialize {
        /// The file or value being serialised.
        what: String,
        /// What the JSON serialiser reported.
        cause: serde_json::Error,
    },

    /// Worker threads could not be started.
    #[error("cannot start worker threads: {0}")]
    Threads(String),

    /// A ladder.json of another schema version than this build reads.
    #[error("{}: ladder.json schema version {found}; this pertitle reads version {expected} (run `pertitle optimize` again)", path.display())]
    UnsupportedSchema {
        /// The file.
        path: PathBuf,
        /// The file's schema version.
        found: u32,
        /// The version this build reads.
        expected: u32,
    },

    /// A ladder.json cannot be written in the asked format.
    #[error("cannot export: {0}")]
    Export(String),

    /// The ladder constraints cannot be met by the measured points.
    #[error("cannot build a ladder: {0}")]
    Ladder(String),

    /// No ladder meets all the constraints together. `blocking` lists the constraints
    /// without any one of which a ladder would exist (empty: dropping a single one would
    /// not help).
    #[error("cannot build a ladder: {}", infeasible(blocking, *candidates, *kbps, |s| s.name()))]
    Infeasible {
        /// The constraints that each, dropped alone, would let a ladder exist.
        blocking: Vec<Blocking>,
        /// How many candidate rungs there were.
        candidates: usize,
        /// The candidates' bitrate range, lowest and highest, in kbps.
        kbps: [f64; 2],
    },

    /// A rung interpolated between two measured CRFs, which was never encoded, where
    /// measured sizes are needed (the ladder can be chosen among measured points only).
    #[error(
        "rung {rung} ({width}x{height} CRF {crf}) is interpolated between two measured CRFs and has no measured segment sizes; choose measured rungs only"
    )]
    InterpolatedRung {
        /// The rung's position in its ladder, from 1.
        rung: usize,
        /// The rung's width.
        width: u32,
        /// The rung's height.
        height: u32,
        /// The rung's (interpolated) CRF.
        crf: f64,
    },

    /// A rung chosen on a sample of the title, where the whole title's measured sizes are
    /// needed.
    #[error(
        "rung {rung} ({width}x{height} CRF {crf}) was measured on a sample of the title only and has no segment sizes for the whole title; package the ladder, or optimize without a sample"
    )]
    SampledRung {
        /// The rung's position in its ladder, from 1.
        rung: usize,
        /// The rung's width.
        width: u32,
        /// The rung's height.
        height: u32,
        /// The rung's CRF.
        crf: f64,
    },

    /// A network trace that cannot be used.
    #[error("{}: not a network trace: {problem}", path.display())]
    InvalidTrace {
        /// The trace file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },

    /// A ladder or movie the simulator cannot play.
    #[error("{}: cannot be played: {problem}", path.display())]
    Unplayable {
        /// The ladder (or Sabre movie) file.
        path: PathBuf,
        /// Why.
        problem: String,
    },

    /// A device class file that cannot be used.
    #[error("{}: not a device class: {problem}", path.display())]
    InvalidDevice {
        /// The device file (or the name given).
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },

    /// A viewer mix that cannot be used: the file, or its devices against the ladder.
    #[error("{}: not a usable viewer mix: {problem}", path.display())]
    InvalidMix {
        /// The mix file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },

    /// A `simulation.json` that is not JSON of the simulation's shape.
    #[error("{}: not a pertitle simulation (`pertitle simulate -o DIR` writes one): {cause}", path.display())]
    InvalidSimulation {
        /// The file.
        path: PathBuf,
        /// What the JSON parser reported.
        cause: serde_json::Error,
    },

    /// Something that cannot happen did: a bug to report, with what was seen.
    #[error("internal error: {0}")]
    Internal(String),

    /// The run was interrupted (Ctrl-C).
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

/// A setting of a library call, named in the errors about its value
/// ([`Error::InvalidSetting`]). [`Setting::name`] says it in words; the command line names
/// each by its flag instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Setting {
    /// The codecs of a run.
    Codecs,
    /// The trial heights.
    Heights,
    /// The constant-quality values tried.
    Crf,
    /// The final preset.
    Preset,
    /// The preset a search runs at before the rungs are encoded at the final preset.
    ProxyPreset,
    /// The segment duration.
    SegmentSeconds,
    /// The share of the source the search encodes.
    Sample,
    /// How the points to measure are chosen (the grid or an adaptive search).
    Search,
    /// Parallel encodes.
    Jobs,
    /// The result cache.
    Cache,
    /// The most rungs a ladder may have.
    MaxRungs,
    /// The fewest rungs a ladder may have.
    MinRungs,
    /// The most bitrate ratio between neighbouring rungs.
    MaxStep,
    /// The lowest rung's least bitrate.
    MinKbps,
    /// The top rung's most bitrate.
    MaxKbps,
    /// The least bitrate ratio between neighbouring rungs.
    MinStep,
    /// The lowest rung's most bitrate.
    MaxBottomKbps,
    /// The least quality gap between neighbouring rungs.
    MinQualityGap,
    /// Quality targets rungs must reach.
    QualityTargets,
    /// The smallest rung height.
    MinHeight,
    /// The largest rung height.
    MaxHeight,
    /// The lowest rung's least quality.
    MinBottomQuality,
    /// Rungs forced into the ladder.
    ForcedRungs,
    /// Rungs chosen among measured points only (no interpolated rung).
    MeasuredOnly,
    /// The shot rungs' guard on their worst frames.
    ShotGuard,
    /// A bitrate an encode aims at.
    TargetBitrate,
    /// The time of the frame to picture.
    FrameTime,
    /// The metrics to measure.
    Metrics,
    /// Every how many frames VMAF is scored.
    VmafSubsample,
    /// The metric frames are ranked by.
    RankBy,
    /// The packaging formats (HLS, DASH).
    Formats,
    /// How encodes spend their bits (capped CRF, two-pass, one-pass bitrate).
    RateControl,
    /// The device classes scored.
    Devices,
    /// The weight of delivery cost against quality in the ladder's objective.
    CostWeight,
    /// The prices of delivery and storage.
    Prices,
    /// The least score of a cut between shots.
    ShotThreshold,
    /// The shortest shot.
    MinShotSeconds,
    /// Whether rungs are shot rungs, and how their shots choose a resolution.
    ShotResolution,
}

impl Setting {
    /// The setting in words, as library messages name it.
    pub fn name(self) -> &'static str {
        match self {
            Setting::Codecs => "codecs",
            Setting::Heights => "resolution heights",
            Setting::Crf => "CRF values",
            Setting::Preset => "preset",
            Setting::ProxyPreset => "proxy preset",
            Setting::SegmentSeconds => "segment duration",
            Setting::Sample => "sample",
            Setting::Search => "search",
            Setting::Jobs => "parallel jobs",
            Setting::Cache => "cache",
            Setting::MaxRungs => "most rungs",
            Setting::MinRungs => "fewest rungs",
            Setting::MaxStep => "most rung step",
            Setting::MinKbps => "least bitrate",
            Setting::MaxKbps => "most bitrate",
            Setting::MinStep => "least rung step",
            Setting::MaxBottomKbps => "most bottom-rung bitrate",
            Setting::MinQualityGap => "least quality gap",
            Setting::QualityTargets => "quality targets",
            Setting::MinHeight => "least rung height",
            Setting::MaxHeight => "most rung height",
            Setting::MinBottomQuality => "least bottom-rung quality",
            Setting::ForcedRungs => "forced rungs",
            Setting::MeasuredOnly => "measured points only",
            Setting::ShotGuard => "shot guard",
            Setting::TargetBitrate => "target bitrate",
            Setting::FrameTime => "frame time",
            Setting::Metrics => "metrics",
            Setting::VmafSubsample => "VMAF subsample",
            Setting::RankBy => "ranking metric",
            Setting::Formats => "package formats",
            Setting::RateControl => "rate control",
            Setting::Devices => "device classes",
            Setting::CostWeight => "cost weight",
            Setting::Prices => "prices",
            Setting::ShotThreshold => "shot threshold",
            Setting::MinShotSeconds => "shortest shot",
            Setting::ShotResolution => "shot resolution",
        }
    }
}

/// A ladder constraint that stands in the way of every ladder: one setting or a group that is
/// dropped together, with the value it has (none for a group).
#[derive(Debug, Clone, PartialEq)]
pub struct Blocking {
    /// The setting or settings.
    pub settings: Vec<Setting>,
    /// The value set, as written (`None` for a group of settings).
    pub value: Option<String>,
}

/// The message of [`Error::Infeasible`], with each setting named by `name`.
fn infeasible(
    blocking: &[Blocking],
    candidates: usize,
    kbps: [f64; 2],
    name: impl Fn(Setting) -> &'static str,
) -> String {
    let context = format!(
        "{candidates} candidate rungs from {:.1} to {:.1} kbps",
        kbps[0], kbps[1]
    );
    if blocking.is_empty() {
        return format!(
            "no ladder meets all the constraints together with its top rung at the best candidate, and dropping any single constraint would not help ({context})"
        );
    }
    let each: Vec<String> = blocking
        .iter()
        .map(|b| {
            let names: Vec<&str> = b.settings.iter().map(|s| name(*s)).collect();
            match &b.value {
                Some(v) => format!("{} {v}", names.join(", ")),
                None => names.join(", "),
            }
        })
        .collect();
    format!(
        "no ladder meets all the constraints together; one would exist without {} ({context})",
        each.join(", or without ")
    )
}

/// The message of [`Error::NoLadder`].
fn no_ladder(
    codec: Option<crate::encode::codec::Codec>,
    available: &[crate::encode::codec::Codec],
) -> String {
    match codec {
        None => "the manifest has no ladder".into(),
        Some(c) => {
            let have: Vec<String> = available.iter().map(ToString::to_string).collect();
            format!(
                "the manifest has no {c} ladder (it has {})",
                have.join(", ")
            )
        }
    }
}

impl Error {
    /// The message with each setting named by `name` instead of in words (the command line
    /// names its flags): the same as `to_string()` for errors that name no setting.
    pub fn worded(&self, name: impl Fn(Setting) -> &'static str) -> String {
        match self {
            Error::InvalidSetting { setting, problem } => format!("{}: {problem}", name(*setting)),
            Error::Infeasible {
                blocking,
                candidates,
                kbps,
            } => format!(
                "cannot build a ladder: {}",
                infeasible(blocking, *candidates, *kbps, name)
            ),
            _ => self.to_string(),
        }
    }

    /// An [`Error::InvalidSetting`].
    pub(crate) fn setting(setting: Setting, problem: impl Into<String>) -> Self {
        Error::InvalidSetting {
            setting,
            problem: problem.into(),
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
