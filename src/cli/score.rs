//! `pertitle score`: quality of one file against another.

use std::path::PathBuf;

/// Measure the quality of DISTORTED against REFERENCE: mean per-frame PSNR (Y, U, V, and
/// 6:1:1-weighted YUV) and luma SSIM.
///
/// A DISTORTED of another size is resized to REFERENCE's size with a bicubic filter first,
/// as a player would. When the files differ in length, their common leading frames are
/// compared and a warning is printed. Both files must be 8-bit 4:2:0 video.
#[derive(clap::Args)]
pub struct Args {
    /// The original video.
    reference: PathBuf,
    /// The encoded (distorted) video.
    distorted: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let report = pertitle::score::score(&args.reference, &args.distorted)?;
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
        return Ok(());
    }
    let m = &report.mean;
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
    println!("psnr_y     {:.4} dB", m.psnr_y);
    println!("psnr_u     {:.4} dB", m.psnr_u);
    println!("psnr_v     {:.4} dB", m.psnr_v);
    println!("psnr_yuv   {:.4} dB  (6:1:1)", m.psnr_yuv);
    println!("ssim_y     {:.6}", m.ssim_y);
    Ok(())
}
