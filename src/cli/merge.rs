//! `pertitle merge`: the ladder from a plan's finished work units.

use super::plan::optimize_args_of;
use pertitle::search::plan::Plan;
use std::path::PathBuf;

/// Build OUTDIR/ladder.json from a plan's finished work units, encoding nothing.
///
/// The file is the one `optimize` with the plan's arguments writes, apart from its "timing"
/// section. When units have no result yet it fails, naming them, and writes nothing.
#[derive(clap::Args)]
pub struct Args {
    /// The plan directory (or its plan.json).
    plan: PathBuf,

    /// Directory to write ladder.json into (created if missing).
    #[arg(short, long, value_name = "OUTDIR")]
    output: PathBuf,
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
    let optimize_args = optimize_args_of(&plan, &args.output)?;
    let mut options = super::optimize::options(&optimize_args)?;
    options.cache = Some(plan.cache_settings(true));
    super::optimize::run_with(optimize_args, options)
}
