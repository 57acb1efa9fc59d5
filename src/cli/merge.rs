//! `pertitle merge`: the ladder from a plan's finished work units.

use super::optimize::{Outputs, run_with};
use pertitle::optimize::plan::Plan;
use std::path::PathBuf;

/// Build OUTDIR/ladder.json from a plan's finished work units, encoding nothing.
///
/// The file is the one `optimize` with the plan's options writes, apart from its "timing"
/// section (and the package and report, when the plan was made with --package or
/// --report). When units have no result yet it fails, naming them, and writes nothing.
#[derive(clap::Args)]
pub struct Args {
    /// The plan directory (or its plan.json).
    plan: PathBuf,

    /// Directory to write ladder.json into (created if missing).
    #[arg(short, long, value_name = "OUTDIR")]
    output: PathBuf,

    /// Print ladder.json to stdout instead of the summary table.
    #[arg(long)]
    json: bool,

    /// No progress bar.
    #[arg(short, long)]
    quiet: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let plan = Plan::read(&args.plan)?;
    let missing = plan.missing();
    if !missing.is_empty() {
        let names: Vec<String> = missing
            .iter()
            .map(|u| format!("{} ({})", u.index, u.spec))
            .collect();
        anyhow::bail!(
            "{}: {} of {} units have no result in {}: {}",
            args.plan.display(),
            missing.len(),
            plan.units.len(),
            plan.cache.display(),
            names.join(", ")
        );
    }
    plan.check_source()?;
    let then = Outputs {
        package: plan.merge_writes.package,
        report: plan.merge_writes.report,
        json: args.json,
        quiet: args.quiet,
    };
    run_with(&plan.input(), &args.output, &plan.options(true), then)
}
