//! Library errors in the command line's words: a setting is named by its flag
//! (`--max-rungs`, not "most rungs"), and where a flag can change the outcome the message
//! says which.

use pertitle::{Error, Setting};
use std::sync::OnceLock;

/// The subcommand being run (its name as typed), for settings whose flag differs between
/// commands.
static COMMAND: OnceLock<&'static str> = OnceLock::new();

/// Record the subcommand being run.
pub fn set_command(name: &'static str) {
    let _ = COMMAND.set(name);
}

/// The flag (or flags) that set `setting` in the running subcommand.
fn flag(setting: Setting) -> &'static str {
    let command = COMMAND.get().copied().unwrap_or("");
    match setting {
        Setting::Codecs => "--codec",
        Setting::Heights => "--resolutions",
        Setting::Crf => "--crf",
        Setting::Preset => "--preset",
        Setting::ProxyPreset => "--proxy-preset",
        Setting::SegmentSeconds => "--segment-seconds",
        Setting::Sample => "--sample",
        Setting::Search => "--search",
        Setting::Jobs => "--jobs",
        Setting::Cache => "--cache",
        Setting::MaxRungs => "--max-rungs",
        Setting::MinRungs => "--min-rungs",
        Setting::MaxStep => "--max-step",
        Setting::MinKbps => "--min-kbps",
        Setting::MaxKbps => "--max-kbps",
        Setting::MinStep => "--min-step",
        Setting::MaxBottomKbps => "--max-bottom-kbps",
        Setting::MinQualityGap => "--min-quality-gap",
        Setting::QualityTargets => "--top-quality/--min-bottom-quality",
        Setting::MinHeight => "--min-height",
        Setting::MaxHeight => "--max-height",
        Setting::MinBottomQuality => "--min-bottom-quality",
        Setting::ForcedRungs => "--force-rung",
        Setting::MeasuredOnly => "--measured-only",
        Setting::ShotGuard => "--shot-guard",
        Setting::TargetBitrate => "target bitrate",
        Setting::FrameTime if command == "report" => "--frames-at",
        Setting::FrameTime => "--at",
        Setting::Metrics => "--metrics",
        Setting::VmafSubsample => "--vmaf-subsample",
        Setting::RankBy => "--worst-by",
        Setting::Formats => "--hls/--dash",
        Setting::RateControl if command == "package" => "--capped-crf",
        Setting::RateControl => "--rate-control/--reference-rate-control",
        Setting::Devices => "--devices",
        Setting::CostWeight => "--cost-weight",
        Setting::Prices => "--price-per-gb/--storage-price",
        Setting::ShotThreshold => "--threshold",
        Setting::MinShotSeconds => "--min-shot-seconds",
        _ => setting.name(),
    }
}

/// `e` as one line for the user: its context chain, outermost first, with the library's
/// errors in flag words (a setting named by a context already is not named again).
pub fn message(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let Some(lib) = cause.downcast_ref::<Error>() else {
            parts.push(cause.to_string());
            continue;
        };
        parts.push(match lib {
            Error::InvalidSetting { problem, .. } if !parts.is_empty() => problem.clone(),
            _ => worded(lib),
        });
        // A library error's message holds its causes.
        break;
    }
    parts.join(": ")
}

/// A library error in the command line's words: settings named by their flags, and the
/// flag that changes the outcome where there is one.
pub fn worded(lib: &Error) -> String {
    match lib {
        Error::InvalidSetting { .. } | Error::Infeasible { .. } => lib.worded(flag),
        Error::InterpolatedRung { .. } => {
            format!("{lib} (`pertitle ladder LADDER -o OUT --measured-only`)")
        }
        Error::SampledRung { .. } => {
            format!(
                "{lib} (`pertitle package LADDER -o DIR`, then `pertitle export LADDER --format sabre --package DIR`)"
            )
        }
        Error::OutputNotEmpty { .. } => format!("{lib} (use --force to replace it)"),
        Error::NotAPackage { path, file } => format!(
            "{}: not a package (no {file}); --force only replaces an earlier package",
            path.display()
        ),
        _ => lib.to_string(),
    }
}
