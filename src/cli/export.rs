//! `pertitle export`: a ladder.json as other tools read it.

use anyhow::Context;
use pertitle::Manifest;
use pertitle::encode::codec::Codec;
use pertitle::package::export::{
    default_uri_template, hls_master, points_csv, sabre, sabre_from_package,
};
use pertitle::package::{PACKAGE_JSON, PackageManifest};
use std::path::PathBuf;

/// Write a ladder.json in another tool's format, to stdout or to --output.
///
/// Formats:
///
/// - sabre: the JSON manifest of the Sabre ABR simulator (segment_duration_ms,
///   bitrates_kbps ascending, segment_sizes_bits[segment][rung]). From the trial encodes'
///   segment sizes, which interpolated rungs lack (choose measured rungs with `pertitle
///   ladder --measured-only`) and so do the rungs of a ladder chosen on a sample (`optimize
///   --sample`), or with --package from the segment files that `pertitle package` wrote,
///   every rung included. Beside Sabre's fields, quality_metric (the ladder's axis, e.g.
///   vmaf) and segment_quality[segment][rung]: each rung's mean quality over each segment,
///   measured on its encode (with --package, on the final encodes).
///
/// - csv: every measured point, one row each, with its hull membership and rung number.
///
/// - hls-master: an HLS master playlist of the rungs for a packager that encodes them itself:
///   BANDWIDTH = the rung's peak segment bitrate, AVERAGE-BANDWIDTH = its average (trial
///   video bits; estimates for interpolated rungs), CODECS from the trial encode's SPS,
///   RESOLUTION, FRAME-RATE; URIs from --uri. (`pertitle package` writes its own, measured
///   on its segments.)
#[derive(clap::Args)]
pub struct Args {
    /// A ladder.json written by `pertitle optimize` or `pertitle ladder`.
    input: PathBuf,

    /// The output format.
    #[arg(long, value_enum)]
    format: Format,

    /// Write here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,

    /// hls-master: each rung's media playlist URI; {codec}, {index} (1-based within its
    /// codec, by bitrate), {width}, {height} and {kbps} are filled in. The default is where
    /// `pertitle package` puts it: rung{index}_{height}p/media.m3u8, with a `{codec}_` prefix
    /// when the manifest has several codecs' ladders.
    #[arg(long, value_name = "TEMPLATE")]
    uri: Option<String>,

    /// sabre: the codec whose ladder to export (Sabre plays one ladder; default: the
    /// manifest's first).
    #[arg(long, value_name = "CODEC")]
    codec: Option<Codec>,

    /// sabre: take the segment sizes from this package directory (`pertitle package`'s
    /// output for this ladder) instead of the trial encodes.
    #[arg(long, value_name = "DIR")]
    package: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// Sabre ABR simulator manifest (JSON).
    Sabre,
    /// Every measured point (CSV).
    Csv,
    /// HLS master playlist of the rungs.
    HlsMaster,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let manifest = Manifest::read(&args.input)?;
    let text = match args.format {
        Format::Csv => points_csv(&manifest),
        Format::HlsMaster => {
            let uri = args
                .uri
                .clone()
                .unwrap_or_else(|| default_uri_template(&manifest).to_string());
            hls_master(&manifest, &uri).with_context(|| args.input.display().to_string())?
        }
        Format::Sabre => {
            let s = match &args.package {
                Some(dir) => {
                    let package = PackageManifest::read(dir)?;
                    package.check_matches(&manifest, dir)?;
                    sabre_from_package(&package, args.codec, manifest.settings.metric)
                        .with_context(|| dir.join(PACKAGE_JSON).display().to_string())?
                }
                None => sabre(&manifest, args.codec)
                    .with_context(|| args.input.display().to_string())?,
            };
            serde_json::to_string_pretty(&s)? + "\n"
        }
    };
    match &args.output {
        Some(path) => {
            pertitle::util::overwrite::refuse_input_overwrite(path, &[&args.input], false)?;
            pertitle::util::atomic::write_atomic(path, ".export.", text.as_bytes())?;
        }
        None => print!("{text}"),
    }
    Ok(())
}
