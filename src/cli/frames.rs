//! `pertitle frames`: one frame of the source at every rung, as pictures.

use super::progress::Bar;
use pertitle::Manifest;
use pertitle::encode::codec::Codec;
use pertitle::report::frames::{FramesOptions, snapshot};
use std::path::PathBuf;

/// Picture one frame at every rung of a ladder: the source frame and each rung's encode of
/// it, upscaled (bicubic) to the ladder's display size, as PNGs, and a strip of zoomed
/// crops where they differ most.
///
/// The frame is the one starting nearest --at, or by default the frame where the top rung's
/// quality (the ladder's metric) is lowest. Its segment is encoded again at every rung, with
/// the ladder's codec, preset and each rung's CRF, from 4 s before it (so the encoder's state
/// reaches it as in the whole encode) until the encoder's look-ahead has settled it; only the
/// segment (a closed GOP) is decoded back, and the frame upscaled as the trials were.
///
/// OUTDIR receives source.png, rungN_HEIGHTp.png (full display size), strip.png and
/// frames.json. The strip shows the whole frame with the crop marked, then the crop of the
/// source and of every rung enlarged --zoom times (nearest neighbour, so every coded pixel
/// stays visible), labelled with the rung's size, CRF, bitrate, mean quality and this
/// frame's PSNR and SSIM. The crop, a quarter of the display's width (at most 320 pixels),
/// is the window where the pictures' luma differ most across the rungs. Pictures an earlier
/// frames.json in OUTDIR listed that this run does not write are removed.
#[derive(clap::Args)]
pub struct Args {
    /// A ladder.json written by `pertitle optimize` or `pertitle ladder`.
    ladder: PathBuf,

    /// Directory to write the pictures into (created if missing).
    #[arg(short, long, value_name = "OUTDIR")]
    output: PathBuf,

    /// Time of the frame, seconds from the start (default: the top rung's worst frame).
    #[arg(long, value_name = "SECONDS")]
    at: Option<f64>,

    /// The codec whose ladder to picture (default: the first in the ladder.json).
    #[arg(long)]
    codec: Option<Codec>,

    /// The source video (default: the path recorded in the ladder.json).
    #[arg(long, value_name = "FILE")]
    source: Option<PathBuf>,

    /// Enlargement of the crops, 1 to 16.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=16))]
    zoom: u32,

    /// TrueType font for the strip's labels.
    #[arg(long, value_name = "FILE", default_value = pertitle::report::picture::text::DEFAULT_FONT)]
    font: PathBuf,

    /// Print frames.json to stdout.
    #[arg(long)]
    json: bool,

    /// No progress bar.
    #[arg(short, long)]
    quiet: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let manifest = Manifest::read(&args.ladder)?;
    let options = FramesOptions {
        at: args.at,
        codec: args.codec,
        source: args.source,
        zoom: args.zoom,
        font: args.font,
    };
    let bar = Bar::counting(!args.quiet, "rungs");
    let shot = snapshot(&manifest, &options, &bar);
    bar.finish();
    let shot = shot?;
    let source = shot.report.source.clone();
    shot.write(&args.output, &[&args.ladder, &source])?;
    let r = &shot.report;
    if args.json {
        println!("{}", serde_json::to_string_pretty(r)?);
        return Ok(());
    }
    println!(
        "frame {} at {:.3} s ({}), segment {} re-encoded at {} rungs ({} {})",
        r.frame,
        r.time_s,
        r.chosen,
        r.segment,
        r.rungs.len(),
        r.codec,
        r.preset
    );
    println!(
        "{:<6} {:>10} {:>6} {:>9} {:>12} {:>9}  file",
        "rung", "size", "CRF", "kbit/s", "frame PSNR", "SSIM"
    );
    for rung in &r.rungs {
        println!(
            "{:<6} {:>10} {:>6} {:>9.0} {:>12.2} {:>9.4}  {}",
            rung.rung,
            format!("{}x{}", rung.width, rung.height),
            rung.crf,
            rung.bitrate_kbps,
            rung.frame_psnr_y,
            rung.frame_ssim_y,
            args.output.join(&rung.file).display()
        );
    }
    println!("wrote {}", args.output.join(&r.strip_file).display());
    Ok(())
}
