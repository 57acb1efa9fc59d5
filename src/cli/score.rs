//! `pertitle score`: quality of one file against another.

use super::values::one_of;
use pertitle::Resolution;
use pertitle::measure::metrics::pool::Pooled;
use pertitle::measure::metrics::vmaf::{VmafEngine, VmafModel, VmafSettings};
use pertitle::report::picture::heatmap::HeatMap;
use pertitle::score::{METRIC_ORDER, ScoreMetric, ScoreOptions, ScoreReport};
use std::path::PathBuf;

/// Measure the quality of DISTORTED against REFERENCE.
///
/// Metrics (--metrics): psnr = PSNR of Y, U and V (each frame capped at 60 dB) and
/// psnr_yuv = (6Y + U + V) / 8; ssim = luma SSIM as FFmpeg's ssim filter defines it;
/// msssim = luma MS-SSIM (5 scales, 11x11 Gaussian window; frames of at least 176x176);
/// vmaf = libvmaf's VMAF with --vmaf-model. Each metric is pooled over frames four ways: mean,
/// harmonic mean, min and 5th percentile.
///
/// A DISTORTED of another size is resized to REFERENCE's size with a bicubic filter first, as
/// a player would. When the files differ in length, their common leading frames are compared
/// and a warning is printed. Both files must be 8-bit 4:2:0 video.
///
/// With --worst N -o DIR, the N frames lowest in --worst-by are written to DIR as PNG
/// composites: the reference frame, the distorted frame and a heat map of each 8x8 block's
/// error (--heat-map; dark: alike, bright: damaged), named by rank, frame index and value, with
/// every frame's index, time and metrics in DIR/worst.json.
#[derive(clap::Args)]
pub struct Args {
    /// The original video.
    reference: PathBuf,
    /// The encoded (distorted) video.
    distorted: PathBuf,
    /// Metrics to compute, comma-separated: psnr, ssim, msssim, vmaf.
    #[arg(
        long,
        value_delimiter = ',',
        value_parser = one_of(&ScoreMetric::ALL),
        default_values_t = ScoreOptions::default().metrics()
    )]
    metrics: Vec<ScoreMetric>,
    /// VMAF model: v0.6.1 (1080p display), v0.6.1neg (no enhancement gain), phone, 4k.
    #[arg(long, default_value_t = VmafModel::default())]
    vmaf_model: VmafModel,
    /// VMAF implementation: native (pertitle's own) or libvmaf (libvmaf 3.2.0). Both give the
    /// same scores.
    #[arg(long, default_value_t = VmafEngine::default())]
    vmaf_engine: VmafEngine,
    /// Score VMAF on every Nth frame only (frames 0, N, 2N, ...); the other metrics on every
    /// frame. A scored frame's motion still compares it with its true neighbours.
    #[arg(long, value_name = "N", default_value_t = 1)]
    vmaf_subsample: u32,
    /// Display size to score at, WIDTHxHEIGHT: both files are resized (bicubic) to it
    /// (default: REFERENCE's size). vmaf_v0.6.1 assumes a 1080p display, the 4k model a 2160p one.
    #[arg(long, value_name = "WxH")]
    display: Option<Resolution>,
    /// Also report every frame's values.
    #[arg(long)]
    per_frame: bool,
    /// Print the result as JSON.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print CSV: one row per frame with --per-frame, else one row per metric.
    #[arg(long)]
    csv: bool,
    /// Write pictures of the N worst frames (see --worst-by) into the -o directory.
    #[arg(long, value_name = "N", requires = "output")]
    worst: Option<usize>,
    /// The metric --worst ranks frames by: vmaf, ssim, psnr or msssim (default: vmaf if
    /// measured, else ssim, else psnr, else msssim).
    #[arg(long, value_parser = one_of(&ScoreMetric::ALL), requires = "worst")]
    worst_by: Option<ScoreMetric>,
    /// The --worst heat map: ssim (1 - SSIM per 8x8 block: blur, blocking, ringing) or
    /// error (PSNR per 8x8 block: any change of value, in flat areas too).
    #[arg(
        long,
        value_parser = one_of(&HeatMap::ALL),
        default_value_t = HeatMap::default(),
        requires = "worst"
    )]
    heat_map: HeatMap,
    /// Directory for the --worst pictures and worst.json (created if missing).
    #[arg(short, long, value_name = "DIR", requires = "worst")]
    output: Option<PathBuf>,
    /// TrueType font for the pictures' labels.
    #[arg(long, default_value = pertitle::report::picture::text::DEFAULT_FONT)]
    font: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let mut options = ScoreOptions {
        display: args.display,
        ..ScoreOptions::default()
    };
    if args.vmaf_subsample == 0 {
        anyhow::bail!("--vmaf-subsample: must be at least 1 (1: every frame)");
    }
    options.set_metrics(
        &args.metrics,
        VmafSettings {
            model: args.vmaf_model,
            engine: args.vmaf_engine,
            subsample: args.vmaf_subsample,
        },
    );
    let worst_by = match args.worst_by {
        Some(m) if !args.metrics.contains(&m) => {
            anyhow::bail!("--worst-by {}: add it to --metrics", m.field())
        }
        Some(m) => Some(m),
        None => [
            ScoreMetric::Vmaf,
            ScoreMetric::Ssim,
            ScoreMetric::Psnr,
            ScoreMetric::MsSsim,
        ]
        .into_iter()
        .find(|m| args.metrics.contains(m)),
    };
    if args.worst == Some(0) {
        anyhow::bail!("--worst 0: ask for at least one frame");
    }
    let keep_frames = args.per_frame || args.worst.is_some();
    let mut report =
        pertitle::score::score_with(&args.reference, &args.distorted, &options, keep_frames)?;
    if let (Some(n), Some(dir), Some(by)) = (args.worst, &args.output, worst_by) {
        let heat_map = args.heat_map;
        let worst = pertitle::report::worst::write_worst(
            &report,
            by.field(),
            n,
            heat_map,
            dir,
            &args.font,
        )?;
        for w in &worst.frames {
            eprintln!(
                "pertitle: worst {}: frame {} at {:.3} s, {} {:.4}: {}",
                w.rank,
                w.frame,
                w.time_s,
                worst.ranked_by,
                w.metrics.get(&worst.ranked_by).copied().unwrap_or(f64::NAN),
                dir.join(&w.file).display()
            );
        }
    }
    if !args.per_frame {
        report.per_frame.clear();
    }
    for (path, format) in [
        (&report.reference, &report.reference_pixel_format),
        (&report.distorted, &report.distorted_pixel_format),
    ] {
        let pixel = format.parse().unwrap_or(ffmpeg_next::format::Pixel::None);
        if !pertitle::source::is_native_format(pixel) {
            eprintln!(
                "pertitle: note: {} is {format}; its frames were converted to yuv420p (8-bit 4:2:0) for scoring",
                path.display()
            );
        }
    }
    if report.reference_frames != report.distorted_frames {
        eprintln!(
            "pertitle: warning: {} has {} frames and {} has {}; compared the first {}",
            report.reference.display(),
            report.reference_frames,
            report.distorted.display(),
            report.distorted_frames,
            report.frames
        );
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else if args.csv {
        print_csv(&report, args.per_frame);
    } else {
        print_table(&report);
    }
    Ok(())
}

/// The pooled metrics in the order reports list them.
fn ordered(report: &ScoreReport) -> impl Iterator<Item = (&str, &Pooled)> {
    METRIC_ORDER
        .iter()
        .filter_map(|&name| report.pooling.get(name).map(|p| (name, p)))
}

fn print_csv(report: &ScoreReport, per_frame: bool) {
    if per_frame {
        let names: Vec<&str> = report
            .per_frame
            .first()
            .map(|r| r.values().into_iter().map(|(k, _)| k).collect())
            .unwrap_or_default();
        println!("frame,{}", names.join(","));
        for r in &report.per_frame {
            let values: Vec<String> = r
                .values()
                .into_iter()
                .map(|(_, v)| format!("{v:.6}"))
                .collect();
            println!("{},{}", r.frame, values.join(","));
        }
    } else {
        println!("metric,mean,harmonic_mean,min,p5");
        for (name, p) in ordered(report) {
            println!(
                "{name},{:.6},{:.6},{:.6},{:.6}",
                p.mean, p.harmonic_mean, p.min, p.p5
            );
        }
    }
}

fn print_table(report: &ScoreReport) {
    println!(
        "reference  {} ({}x{})",
        report.reference.display(),
        report.width,
        report.height
    );
    print!(
        "distorted  {} ({}x{}",
        report.distorted.display(),
        report.distorted_width,
        report.distorted_height
    );
    if report.scaled {
        print!(", scaled bicubic to {}x{}", report.width, report.height);
    }
    println!(")");
    println!("frames     {}", report.frames);
    if let Some(model) = &report.vmaf_model {
        println!("vmaf model {model}");
    }
    println!(
        "{:<10} {:>11} {:>11} {:>11} {:>11}",
        "metric", "mean", "harmonic", "min", "5th pct"
    );
    for (name, p) in ordered(report) {
        println!(
            "{name:<10} {:>11.4} {:>11.4} {:>11.4} {:>11.4}",
            p.mean, p.harmonic_mean, p.min, p.p5
        );
    }
    for r in &report.per_frame {
        let values: Vec<String> = r
            .values()
            .into_iter()
            .map(|(k, v)| format!("{k} {v:.4}"))
            .collect();
        println!("frame {:>6}: {}", r.frame, values.join("  "));
    }
}
