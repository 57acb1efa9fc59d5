//! `pertitle probe`: what a file holds, as JSON.

use std::path::PathBuf;

/// Print a video file's container, codec, size, pixel format, frame rate, frame count and
/// duration as JSON.
///
/// The frame count is exact: every packet of the video stream is read (no decoding).
#[derive(clap::Args)]
pub struct Args {
    /// The video file.
    input: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let info = pertitle::probe(&args.input)?;
    println!("{}", serde_json::to_string_pretty(&info)?);
    Ok(())
}
