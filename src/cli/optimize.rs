//! `pertitle optimize`: the whole per-title run.

use super::progress::Bar;
use anyhow::Context;
use pertitle::ladder::LadderRules;
use pertitle::metrics::vmaf::VmafModel;
use pertitle::{Metric, OptimizeOptions, Resolution};
use std::path::{Path, PathBuf};

/// Build a per-title ladder for INPUT and write OUTDIR/ladder.json.
///
/// Every resolution x CRF point is encoded with libx264 (a keyframe opening every segment),
/// decoded back, upscaled (bicubic) to the source size and compared with the source frame
/// by frame. The upper convex hull of quality against bitrate across all resolutions gives
/// the efficient encodes; the ladder's rungs are picked from it: at most --max-rungs, within
/// --min-kbps..--max-kbps, adjacent rungs at least --min-step apart in bitrate, resolution
/// never falling as bitrate rises, spaced as evenly as possible in log-bitrate.
///
/// The source is decoded once per pass; all points of a pass run in parallel on --jobs
/// threads. The same input and options give the same ladder.json, byte for byte, apart from
/// its "timing" section.
#[derive(clap::Args)]
pub struct Args {
    /// The source video (8-bit 4:2:0).
    input: PathBuf,

    /// Directory to write ladder.json into (created if missing).
    #[arg(short, long, value_name = "OUTDIR")]
    output: PathBuf,

    /// Trial heights in pixels; widths keep the source's aspect ratio, rounded to even.
    /// Heights above the source are skipped and the source's own height is added instead.
    #[arg(long, value_delimiter = ',', default_value = "1080,720,540,360,270")]
    resolutions: Vec<u32>,

    /// x264 CRF values tried at every resolution (fractions allowed).
    #[arg(long, value_delimiter = ',', default_value = "18,22,26,30,34,38")]
    crf: Vec<f64>,

    /// x264 preset of the trial encodes (ultrafast .. placebo).
    #[arg(long, default_value = "medium")]
    preset: String,

    /// Segment duration in seconds; every segment starts with a keyframe.
    #[arg(long, default_value_t = 4.0)]
    segment_seconds: f64,

    /// Most rungs in the ladder.
    #[arg(long, default_value_t = 8)]
    max_rungs: usize,

    /// Lowest rung bitrate allowed, kbit/s.
    #[arg(long, default_value_t = 0.0)]
    min_kbps: f64,

    /// Highest rung bitrate allowed, kbit/s.
    #[arg(long, default_value_t = 8000.0)]
    max_kbps: f64,

    /// Smallest bitrate ratio between adjacent rungs.
    #[arg(long, default_value_t = 1.5)]
    min_step: f64,

    /// Quality axis of the hull: vmaf (mean VMAF), psnr (mean luma PSNR) or ssim (mean luma
    /// SSIM). PSNR and SSIM are always measured; VMAF only when it is the axis.
    #[arg(long, default_value = "vmaf")]
    metric: Metric,

    /// VMAF model: v0.6.1 (1080p display), v0.6.1neg, phone or 4k.
    #[arg(long, default_value = "v0.6.1")]
    vmaf_model: VmafModel,

    /// Display size frames are scored at, WIDTHxHEIGHT: every encode is upscaled (bicubic)
    /// to it, and so is the source when its size differs (default: the source's size).
    #[arg(long, value_name = "WxH")]
    display: Option<Resolution>,

    /// Parallel trial encodes (default: the number of cores).
    #[arg(short, long)]
    jobs: Option<usize>,

    /// Most points encoded in one pass over the source (each point holds an open encoder,
    /// about 400 bytes per pixel of its resolution); 0 = as many as fit in half the available
    /// memory. More passes decode the source more often but never change the results.
    #[arg(long, default_value_t = 0)]
    points_per_pass: usize,

    /// Print ladder.json to stdout instead of the summary table.
    #[arg(long)]
    json: bool,

    /// No progress bar.
    #[arg(short, long)]
    quiet: bool,
}

/// Fail early, before any encoding, if OUTDIR cannot hold ladder.json.
fn check_writable(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("{}: cannot create output directory", dir.display()))?;
    tempfile::tempfile_in(dir)
        .with_context(|| format!("{}: output directory is not writable", dir.display()))?;
    Ok(())
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let defaults = OptimizeOptions::default();
    let options = OptimizeOptions {
        heights: args.resolutions,
        crfs: args.crf,
        preset: args.preset,
        segment_seconds: args.segment_seconds,
        rules: LadderRules {
            max_rungs: args.max_rungs,
            min_kbps: args.min_kbps,
            max_kbps: args.max_kbps,
            min_step: args.min_step,
        },
        metric: args.metric,
        vmaf_model: args.vmaf_model,
        display: args.display,
        jobs: args.jobs.unwrap_or(defaults.jobs),
        points_per_pass: args.points_per_pass,
    };
    options.validate()?;
    // Probe first so a bad input fails before the output directory is touched.
    pertitle::probe(&args.input)?;
    check_writable(&args.output)?;

    let bar = Bar::new(!args.quiet);
    let result = pertitle::optimize(&args.input, &options, &bar);
    bar.finish();
    let manifest = result?;
    let path = args.output.join("ladder.json");
    manifest.write_atomic(&path)?;

    if args.json {
        println!("{}", serde_json::to_string_pretty(&manifest)?);
        return Ok(());
    }
    let field = manifest.settings.quality_field.as_str();
    let on_hull = manifest.points.iter().filter(|p| p.on_hull).count();
    println!(
        "{}: {}x{} {} fps, {} frames; {} points measured, {} on the hull",
        manifest.source.path.display(),
        manifest.source.width,
        manifest.source.height,
        manifest.source.frame_rate,
        manifest.source.frames,
        manifest.points.len(),
        on_hull
    );
    println!(
        "{:>4}  {:>10}  {:>5}  {:>10}  {:>10}  {:>7}  {:>9}  {:>8}",
        "rung", "resolution", "crf", "kbps", "peak kbps", "vmaf", "psnr_y", "ssim_y"
    );
    for (i, r) in manifest.rungs.iter().enumerate() {
        let vmaf = r.vmaf.map_or("-".to_string(), |v| format!("{v:.2}"));
        println!(
            "{:>4}  {:>10}  {:>5}  {:>10.1}  {:>10.1}  {:>7}  {:>9.3}  {:>8.5}",
            i + 1,
            format!("{}x{}", r.width, r.height),
            r.crf,
            r.bitrate_kbps,
            r.peak_kbps,
            vmaf,
            r.psnr_y,
            r.ssim_y
        );
    }
    if manifest.rungs.is_empty() {
        eprintln!(
            "pertitle: warning: no hull point lies within {}..{} kbps; the ladder is empty",
            options.rules.min_kbps, options.rules.max_kbps
        );
    }
    println!(
        "quality axis: {field}; encoder CPU {:.1} s over {} points; wall {:.1} s",
        manifest.timing.encode_cpu_s,
        manifest.points.len(),
        manifest.timing.wall_s
    );
    println!("wrote {}", path.display());
    Ok(())
}
