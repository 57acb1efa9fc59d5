//! `pertitle plan`: a run's trial encodes as work units for a cluster.

use super::optimize;
use clap::Parser;
use pertitle::optimize::CacheSettings;
use pertitle::search::plan::Plan;
use std::path::{Path, PathBuf};

/// Write a run's trial encodes as independent work units: PLAN/plan.json.
///
/// Takes the same arguments as `optimize`; -o names the plan directory. Every
/// trial encode becomes one unit that `pertitle run-task PLAN --index N` runs on any
/// machine that sees the source at the same path and the cache directory (PLAN/cache, or
/// --cache DIR), in any order, more than once without effect; `pertitle merge PLAN -o OUT`
/// then writes the ladder.json `optimize` would have written. Only the grid is planned:
/// an adaptive search or a proxy preset chooses later points from earlier results. Give
/// INPUT as a path every worker and the merge see (an absolute path on shared storage).
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    optimize: optimize::Args,
}

/// `optimize`'s arguments as the plan stores them: everything after the subcommand.
fn optimize_args() -> Vec<String> {
    std::env::args()
        .skip_while(|a| a != "plan")
        .skip(1)
        .collect()
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let dir = args.optimize.output.clone();
    pertitle::util::overwrite::refuse_input_overwrite(
        &dir.join(pertitle::search::plan::PLAN_FILE),
        &[&args.optimize.input],
        false,
    )?;
    let mut options = optimize::options(&args.optimize)?;
    let cache = options
        .cache
        .as_ref()
        .map_or_else(|| dir.join("cache"), |c| c.dir.clone());
    options.cache = Some(CacheSettings::new(&cache));
    let units = pertitle::optimize::work_units(&args.optimize.input, &options)?;
    let plan = Plan::new(&args.optimize.input, optimize_args(), &cache, units)?;
    let path = plan.write(&dir)?;
    println!(
        "{} work units for {} (results in {})",
        plan.units.len(),
        plan.source.path.display(),
        plan.cache.display()
    );
    println!(
        "run each with `pertitle run-task {} --index N` (N = 0..{}), then `pertitle merge {} -o OUTDIR`",
        dir.display(),
        plan.units.len().saturating_sub(1),
        dir.display()
    );
    println!("wrote {}", path.display());
    Ok(())
}

/// `optimize`'s arguments rebuilt from a plan, with the source the plan names: as the plan
/// was given it when that path still reaches the same file (so the manifest names the
/// source as a local run would), its absolute path otherwise.
pub(super) fn optimize_args_of(plan: &Plan, output: &Path) -> anyhow::Result<optimize::Args> {
    #[derive(Parser)]
    struct Line {
        #[command(flatten)]
        args: optimize::Args,
    }
    let line = Line::try_parse_from(
        std::iter::once("pertitle-optimize".to_string()).chain(plan.optimize_args.clone()),
    )
    .map_err(|e| anyhow::anyhow!("the plan's optimize arguments no longer parse: {e}"))?;
    let mut args = line.args;
    let same = std::path::absolute(&args.input).ok() == Some(plan.source.path.clone())
        || std::fs::metadata(&args.input).is_ok_and(|m| m.len() == plan.source.bytes);
    if !same {
        args.input = plan.source.path.clone();
    }
    args.output = PathBuf::from(output);
    Ok(args)
}
