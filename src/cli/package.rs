//! `pertitle package`: encode a ladder's rungs over the whole source and package them.

use super::progress::Bar;
use pertitle::Manifest;
use pertitle::Metric;
use pertitle::encode::encoder::CapRule;
use pertitle::package::{PackageManifest, PackageOptions, package};
use std::path::PathBuf;

/// Encode every rung of a ladder.json over the whole source and package them for HLS and
/// DASH.
///
/// Each rung (interpolated ones too) is encoded with the trial settings of its ladder: its
/// codec at the rung's CRF, the same preset, one thread, a keyframe opening every segment;
/// so a measured rung's final encode is its trial encode, bit for bit. The source is decoded
/// once and all rungs encode in parallel. Segments are fragmented MP4 (CMAF), shared by HLS
/// and DASH: OUTDIR/rungN_HEIGHTp/{init.mp4, seg_00000.m4s, ..., media.m3u8}, named
/// CODEC_rungN_HEIGHTp when the ladder.json holds several codecs' ladders (all packaged: one
/// master playlist, a DASH adaptation set per codec).
///
/// OUTDIR/master.m3u8 declares, per rung, BANDWIDTH = the peak segment bit rate and
/// AVERAGE-BANDWIDTH = the average segment bit rate measured on the written segments
/// (RFC 8216bis), CODECS from the stream's own headers (e.g. avc1.64001f, hvc1.1.6.L93.90,
/// av01.0.05M.08, vp09.00.31.08), RESOLUTION and
/// FRAME-RATE. OUTDIR/manifest.mpd is a static DASH MPD over the same segments whose
/// bandwidths hold for its minBufferTime (one segment). OUTDIR/package.json records all of
/// it, with each rendition's quality measured as the ladder's trial points were (every
/// metric, pooled and per segment): a measured rung's final encode is its trial encode, bit
/// for bit, so its figures are copied from the ladder.json (quality_source "trial"); every
/// other rendition is decoded back while it is encoded and scored against the source
/// ("measured"). The package is built under a temporary name and appears complete or not at
/// all.
#[derive(clap::Args)]
pub struct Args {
    /// A ladder.json written by `pertitle optimize` or `pertitle ladder`.
    ladder: PathBuf,

    /// Directory to write the package into (must not exist or be empty, unless --force).
    #[arg(short, long, value_name = "OUTDIR")]
    output: PathBuf,

    /// Write the HLS playlists (default: both HLS and DASH when neither is given).
    #[arg(long)]
    hls: bool,

    /// Write the DASH MPD.
    #[arg(long)]
    dash: bool,

    /// The source video (default: the path recorded in the ladder.json).
    #[arg(long, value_name = "FILE")]
    source: Option<PathBuf>,

    /// The codec's preset of the final encodes, for every codec of the ladder.json (default:
    /// each ladder's trial preset). A slower
    /// preset spends fewer bits for the same CRF, so the measured bitrates no longer apply
    /// (and every rendition is scored).
    #[arg(long)]
    preset: Option<String>,

    /// Parallel encoders (default: the number of cores).
    #[arg(short, long)]
    jobs: Option<usize>,

    /// Replace OUTDIR if it holds an earlier package (only once the new one is complete).
    #[arg(long)]
    force: bool,

    /// Do not score the renditions: only a measured rung whose final encode is its trial
    /// encode gets a quality in package.json (its trial's). Packaging is then about as fast
    /// as the encodes alone.
    #[arg(long)]
    no_score: bool,

    /// Encode the rungs of a plain-CRF ladder as capped CRF: each rung's CRF with a VBV
    /// maximum rate of --cap-maxrate times the rung's bitrate (its CRF-only average: measured,
    /// or estimated for an interpolated rung) and a buffer of --cap-buffer seconds of that
    /// rate. The renditions then differ from their trial encodes and are all scored. A ladder
    /// made with `optimize --rate-control capped-crf` is packaged capped as measured without
    /// this option.
    #[arg(long)]
    capped_crf: bool,

    /// With --capped-crf: the VBV maximum rate, in multiples of the rung's bitrate.
    #[arg(long, value_name = "FACTOR", default_value_t = CapRule::default().maxrate_factor, allow_negative_numbers = true, requires = "capped_crf")]
    cap_maxrate: f64,

    /// With --capped-crf: the VBV buffer, in seconds of the maximum rate.
    #[arg(long, value_name = "SECONDS", default_value_t = CapRule::default().buffer_seconds, allow_negative_numbers = true, requires = "capped_crf")]
    cap_buffer: f64,

    /// Print package.json to stdout instead of the summary table.
    #[arg(long)]
    json: bool,

    /// No progress bar.
    #[arg(short, long)]
    quiet: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let manifest = Manifest::read(&args.ladder)?;
    let source = args
        .source
        .clone()
        .unwrap_or_else(|| manifest.source.path.clone());
    pertitle::util::overwrite::refuse_input_overwrite(
        &args.output,
        &[&args.ladder, &source],
        true,
    )?;
    let defaults = PackageOptions::default();
    let (hls, dash) = match (args.hls, args.dash) {
        (false, false) => (true, true),
        pair => pair,
    };
    let options = PackageOptions {
        hls,
        dash,
        source: args.source,
        preset: args.preset,
        jobs: args.jobs.unwrap_or(defaults.jobs),
        force: args.force,
        score: !args.no_score,
        capped_crf: args.capped_crf.then_some(CapRule {
            maxrate_factor: args.cap_maxrate,
            buffer_seconds: args.cap_buffer,
        }),
    };
    let started = std::time::Instant::now();
    let bar = Bar::counting(!args.quiet, "rungs");
    let result = package(&manifest, &args.output, &options, &bar);
    bar.finish();
    let packaged = result?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&packaged)?);
        return Ok(());
    }
    print_summary(&packaged, manifest.settings.metric);
    println!(
        "wrote {} in {:.1} s",
        args.output.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// One line per rendition (with its final encode's quality on `metric`, the ladder's axis),
/// then where the manifests are.
pub fn print_summary(p: &PackageManifest, metric: Metric) {
    println!(
        "{:<14} {:>10} {:>6} {:<12} {:>9} {:>9} {:>9} {:>5} {:>8}  trial",
        "rendition",
        "size",
        "crf",
        "codecs",
        "avg kbps",
        "peak kbps",
        "dash kbps",
        "segs",
        metric.field()
    );
    let digits = if metric == Metric::Ssim { 4 } else { 2 };
    for r in &p.renditions {
        let trial = match r.matches_trial {
            Some(true) => "same bits",
            Some(false) => "DIFFERENT",
            None if r.sampled => "sampled",
            None if r.interpolated => "interpolated",
            None => "other preset",
        };
        let quality = r
            .mean_quality(metric)
            .map_or("-".to_string(), |q| format!("{q:.digits$}"));
        println!(
            "{:<14} {:>10} {:>6.2} {:<12} {:>9.1} {:>9.1} {:>9.1} {:>5} {quality:>8}  {trial}",
            r.name,
            format!("{}x{}", r.width, r.height),
            r.crf,
            r.codecs,
            r.hls_average_bandwidth as f64 / 1000.0,
            r.hls_bandwidth as f64 / 1000.0,
            r.dash_bandwidth as f64 / 1000.0,
            r.segment_bytes.len(),
        );
    }
    if let Some(m) = &p.hls_master {
        println!("HLS:  {m}");
    }
    if let Some(m) = &p.dash_mpd {
        println!("DASH: {m}");
    }
}
