//! `pertitle report`: a ladder.json as an HTML page of plots and tables.

use anyhow::Context;
use pertitle::Manifest;
use pertitle::package::PackageManifest;
use pertitle::report::frames::FramesOptions;
use pertitle::report::{PlaybackSimulation, Strip};
use pertitle::simulate::outcome::Simulation;
use std::path::{Path, PathBuf};

/// Write an HTML report of a ladder.json: plots and tables in one file.
///
/// The page shows the rate-quality plot (bitrate on a log axis against the manifest's quality
/// metric: every measured point by resolution, the upper convex hull, the chosen rungs with
/// interpolated ones hollow, and the reference ladder's measured rungs when the manifest has a
/// comparison), the bitrate of each segment of each measured rung over time (of every rung,
/// from its segment files, with --package), and tables of the rungs, the package, the
/// ladder's expected quality, the comparison, the settings and the source.
///
/// Each ladder's section also pictures one frame at every rung (as `pertitle frames` does):
/// the frame where the first ladder's top rung's quality is lowest (or --frames-at), the same
/// frame for every codec, its crop where the
/// rungs differ most, enlarged, as an embedded PNG. That re-encodes the frame's segment at
/// every rung from the source (--source, or the path in the ladder.json); without the
/// source the page says so and shows the rest. --no-frames leaves the pictures out.
///
/// The file is self-contained (inline SVG, PNG and CSS, no scripts, nothing fetched), the
/// same manifest (with the same source and font at hand for the pictures) always gives the
/// same bytes, and it is written atomically: on any error nothing is left at OUTPUT. --png also writes the rate-quality plot as a 960x560 PNG
/// image. The pictures' text needs a TrueType font (--font; Debian's fonts-dejavu-core by
/// default).
#[derive(clap::Args)]
pub struct Args {
    /// A ladder.json written by `pertitle optimize` or `pertitle ladder`.
    input: PathBuf,

    /// Where to write the HTML report (its directory is created if missing).
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,

    /// Also show this package of the ladder (`pertitle package`'s output directory): every
    /// rung's segment bitrates from the segment files, and what HLS and DASH declare.
    #[arg(long, value_name = "DIR")]
    package: Option<PathBuf>,

    /// Also write the rate-quality plot as a PNG image to this file.
    #[arg(long, value_name = "FILE")]
    png: Option<PathBuf>,

    /// TrueType font for the pictures' text.
    #[arg(long, value_name = "FILE", default_value = pertitle::report::DEFAULT_FONT)]
    font: PathBuf,

    /// Leave out the pictures of a frame at every rung (and the encodes they take).
    #[arg(long)]
    no_frames: bool,

    /// Time of the pictured frame, seconds (default: the top rung's worst frame).
    #[arg(long, value_name = "SECONDS", conflicts_with = "no_frames")]
    frames_at: Option<f64>,

    /// The source video, for the pictures (default: the path recorded in the ladder.json).
    #[arg(long, value_name = "FILE", conflicts_with = "no_frames")]
    source: Option<PathBuf>,

    /// Also show a playback simulation of the ladder (`pertitle simulate -o DIR`'s DIR or its
    /// simulation.json): QoE tables per trace set, the QoE's distribution over sessions, and
    /// a typical and a bad session's timeline, for every ladder it compared.
    #[arg(long, value_name = "DIR_OR_FILE")]
    simulation: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let manifest = Manifest::read(&args.input)?;
    let package = match &args.package {
        Some(dir) => {
            let p = PackageManifest::read(dir)?;
            p.check_matches(&manifest, dir)?;
            Some(p)
        }
        None => None,
    };
    let simulated = match &args.simulation {
        Some(path) => Some((Simulation::read(path)?, Simulation::file(path))),
        None => None,
    };
    let simulation = simulated.as_ref().map(|(s, file)| PlaybackSimulation {
        simulation: s,
        file,
        ladder: Some(&args.input),
    });
    let mut inputs = vec![args.input.as_path()];
    inputs.extend(simulated.as_ref().map(|(_, file)| file.as_path()));
    for out in std::iter::once(&args.output).chain(&args.png) {
        pertitle::util::overwrite::refuse_input_overwrite(out, &inputs, false)?;
    }
    let strips = if args.no_frames {
        Vec::new()
    } else {
        strips(&manifest, args.source, args.frames_at, &args.font, true)?
    };
    write(
        &manifest,
        package.as_ref(),
        &strips,
        simulation.as_ref(),
        &args.output,
        args.png.as_deref(),
        &args.font,
    )
}

/// Every ladder's frame strip, warning on stderr of each that could not be made.
pub fn strips(
    manifest: &Manifest,
    source: Option<PathBuf>,
    at: Option<f64>,
    font: &Path,
    show_progress: bool,
) -> anyhow::Result<Vec<Strip>> {
    let options = FramesOptions {
        at,
        source,
        font: font.to_path_buf(),
        ..FramesOptions::default()
    };
    let bar = super::progress::Bar::counting(show_progress, "rungs");
    let strips = pertitle::report::strips(manifest, &options, &bar);
    bar.finish();
    let strips = strips?;
    for s in &strips {
        if let Err(why) = &s.picture {
            eprintln!(
                "pertitle: warning: no {} frame pictures in the report: {}",
                s.codec,
                super::errors::worded(why)
            );
        }
    }
    Ok(strips)
}

/// Write the report of `manifest` to `output` (and its plot to `png`), saying so on stdout.
pub fn write(
    manifest: &Manifest,
    package: Option<&PackageManifest>,
    strips: &[Strip],
    simulation: Option<&PlaybackSimulation>,
    output: &Path,
    png: Option<&Path>,
    font: &Path,
) -> anyhow::Result<()> {
    let html = pertitle::report::html_with_simulation(manifest, package, strips, simulation)?;
    // Render everything before writing anything.
    let image = match png {
        // The first codec's plot.
        Some(_) => match manifest.ladders.first() {
            Some(ladder) => Some(pertitle::report::rate_quality_png(manifest, ladder, font)?),
            None => anyhow::bail!("the manifest has no ladder"),
        },
        None => None,
    };
    write_atomic(output, html.as_bytes())?;
    println!("wrote {}", output.display());
    if let (Some(path), Some(image)) = (png, image) {
        write_atomic(path, &image)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// Write `bytes` to `path` atomically (see `pertitle::util::atomic`), creating its directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("{}: cannot create output directory", dir.display()))?;
    pertitle::util::atomic::write_atomic(path, ".report.", bytes)?;
    Ok(())
}
