//! `pertitle ladder`: choose rungs again from a ladder.json's measured points.

use super::ladder_args::LadderArgs;
use anyhow::Context;
use pertitle::Manifest;
use std::path::PathBuf;

/// Re-select the rungs of a ladder.json under other constraints, without encoding again.
///
/// Reads the measured points of INPUT (written by `pertitle optimize`), chooses rungs under
/// the constraints given here (each option left out keeps INPUT's value; --force-rung adds to
/// INPUT's forced rungs), and writes a new ladder.json with the same points and new rungs.
/// A set of constraints that cannot be met is reported with the constraint that stands in
/// the way, and nothing is written. The summary gives what the ladder costs to deliver (per
/// 1,000 viewing hours) and store, and the quality-cost frontier: the ladders that give the
/// most quality for their cost, one of which --cost-weight chooses.
#[derive(clap::Args)]
pub struct Args {
    /// A ladder.json written by `pertitle optimize`.
    input: PathBuf,

    /// Where to write the new ladder.json (a file path; its directory is created if missing).
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,

    /// Print the new ladder.json to stdout instead of the summary table.
    #[arg(long)]
    json: bool,

    #[command(flatten)]
    ladder: LadderArgs,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    pertitle::util::overwrite::refuse_input_overwrite(&args.output, &[&args.input], false)?;
    let mut manifest = Manifest::read(&args.input)?;
    let constraints = args.ladder.constraints(&manifest.settings.constraints);
    let objective = args.ladder.objective(manifest.settings.objective.clone())?;
    manifest.select_rungs(constraints, objective)?;
    if let Some(dir) = args.output.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create output directory", dir.display()))?;
    }
    manifest.write_atomic(&args.output)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&manifest)?);
    } else {
        super::summary::print(&manifest);
        println!("wrote {}", args.output.display());
    }
    Ok(())
}
