//! `pertitle shots`: the shots of a title, as a table or JSON.

use super::progress::Bar;
use pertitle::shots::detect::{DetectOptions, detect};
use std::path::PathBuf;

/// Cut a title into its shots and list them.
///
/// A cut is the point where one shot ends and the next begins: the picture changes at once,
/// from one frame to the next. Every frame is decoded and reduced to a 32x18 thumbnail and a
/// luma histogram; the difference between two neighbouring frames (0 to 100) is the mean of
/// the thumbnails' mean absolute difference and how far the luma histogram moved, in percent
/// of the 8-bit range. A cut's score is that difference minus the median difference of the
/// frames around it (half a second each side), so fast motion or animated text, which change
/// every frame, do not score high: the score says how much the picture jumps beyond the
/// local motion. On the project's test montage of real clips the cuts score 12 to 24 and
/// motion, flashes and animated text inside its shots at most 4; the default threshold, 8,
/// sits between.
///
/// Flashes (a frame or a few very different from both sides, then the scene again) are not
/// cuts: a jump the picture comes back from within 0.2 s is ignored. Fades and dissolves
/// change a little at every frame, so they do not reach the threshold and do not split a
/// shot. A shot shorter than --min-shot-seconds merges with a neighbour: cuts are kept
/// strongest first, and a weaker cut too close to a kept one (or to the title's start or
/// end) is dropped.
///
/// The table lists each shot: its number, first frame, start time, frames, duration, and the
/// score of the cut that starts it. --json prints the whole shot list instead (frame rate,
/// frame count, options, shots, and each cut's frame, score and difference).
#[derive(clap::Args)]
pub struct Args {
    /// The video file.
    input: PathBuf,

    /// The least score of a cut, above 0 and at most 100; lower finds softer cuts, higher
    /// misses cuts between similar shots.
    #[arg(long, value_name = "T", default_value_t = DetectOptions::DEFAULT_THRESHOLD, allow_negative_numbers = true)]
    threshold: f64,

    /// The shortest shot, in seconds (0 keeps every cut).
    #[arg(long, value_name = "S", default_value_t = DetectOptions::DEFAULT_MIN_SHOT_SECONDS, allow_negative_numbers = true)]
    min_shot_seconds: f64,

    /// Print the shot list as JSON.
    #[arg(long)]
    json: bool,

    /// No progress bar.
    #[arg(short, long)]
    quiet: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let options = DetectOptions {
        threshold: args.threshold,
        min_shot_seconds: args.min_shot_seconds,
    };
    // Refused before the file is opened, so the option is named whatever the file holds.
    options.validate()?;
    let bar = Bar::frames(!args.quiet);
    let list = detect(&args.input, &options, &bar);
    bar.finish();
    let list = list?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    println!(
        "{}: {} shots in {} frames at {} fps ({:.3} s)",
        args.input.display(),
        list.shots.len(),
        list.total_frames,
        list.frame_rate,
        list.seconds(list.total_frames)
    );
    println!(
        "{:>5} {:>11} {:>10} {:>7} {:>10} {:>7}",
        "shot", "start frame", "start s", "frames", "seconds", "score"
    );
    for (i, shot) in list.shots.iter().enumerate() {
        let score = list
            .cut_starting(shot)
            .map_or_else(|| "-".to_string(), |c| format!("{:.1}", c.score));
        println!(
            "{:>5} {:>11} {:>10.3} {:>7} {:>10.3} {:>7}",
            i + 1,
            shot.start_frame,
            list.seconds(shot.start_frame),
            shot.frames,
            list.seconds(shot.frames),
            score
        );
    }
    Ok(())
}
