//! `pertitle export`: a ladder.json as other tools read it.

use anyhow::Context;
use pertitle::Manifest;
use pertitle::export::{points_csv, sabre};
use std::io::Write;
use std::path::PathBuf;

/// Write a ladder.json in another tool's format, to stdout or to --output.
///
/// Formats: sabre = the JSON manifest of the Sabre ABR simulator (segment_duration_ms,
/// bitrates_kbps ascending, segment_sizes_bits[segment][rung], from the rungs' measured
/// segment sizes; interpolated rungs have none, so choose measured rungs with
/// `pertitle ladder --measured-only` first); csv = every measured point, one row each, with
/// its hull membership and rung number.
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
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// Sabre ABR simulator manifest (JSON).
    Sabre,
    /// Every measured point (CSV).
    Csv,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let manifest = Manifest::read(&args.input)?;
    let text = match args.format {
        Format::Csv => points_csv(&manifest),
        Format::Sabre => {
            let s = sabre(&manifest).with_context(|| args.input.display().to_string())?;
            serde_json::to_string_pretty(&s)? + "\n"
        }
    };
    match &args.output {
        Some(path) => {
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let mut tmp = tempfile::NamedTempFile::new_in(dir)
                .with_context(|| format!("{}: cannot write", path.display()))?;
            tmp.write_all(text.as_bytes())
                .with_context(|| format!("{}: cannot write", path.display()))?;
            tmp.persist(path)
                .with_context(|| format!("{}: cannot write", path.display()))?;
        }
        None => print!("{text}"),
    }
    Ok(())
}
