//! `pertitle plan`: a run's trial encodes as work units for a cluster.

use super::optimize;
use super::progress::Bar;
use pertitle::optimize::CacheSettings;
use pertitle::optimize::plan::{MergeOutputs, Plan};
use std::io::IsTerminal;

/// Write a run's trial encodes as independent work units: PLAN/plan.json.
///
/// Takes the same arguments as `optimize`; -o names the plan directory, which holds the
/// resolved options (the merge packages and reports if --package and --report are given
/// here). Every
/// trial encode becomes one unit that `pertitle run-task PLAN --index N` runs on any
/// machine that sees the source at the same path and the cache directory (PLAN/cache, or
/// --cache DIR), in any order, more than once without effect; `pertitle merge PLAN -o OUT`
/// then writes the ladder.json `optimize` would have written. Only the grid is planned:
/// an adaptive search or a proxy preset chooses later points from earlier results. A
/// shot-based run (--shots) finds its shots here, once, and the plan keeps them. Give
/// INPUT as a path every worker and the merge see (an absolute path on shared storage).
#[derive(clap::Args)]
#[group(skip)] // the flattened optimize::Args is already a group of that name
pub struct Args {
    #[command(flatten)]
    optimize: optimize::Args,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let dir = args.optimize.output.clone();
    pertitle::util::overwrite::refuse_input_overwrite(
        &dir.join(pertitle::optimize::plan::PLAN_FILE),
        &[&args.optimize.input],
        false,
    )?;
    let mut options = optimize::options(&args.optimize)?;
    let cache = options
        .cache
        .as_ref()
        .map_or_else(|| dir.join("cache"), |c| c.dir.clone());
    options.cache = Some(CacheSettings::new(&cache));
    // A shot-based run's units follow its shots: found once, here, for every unit and the
    // merge.
    if options.shots.is_some() {
        let bar = Bar::new(!args.optimize.quiet && std::io::stderr().is_terminal());
        let found = pertitle::optimize::run_shots(&args.optimize.input, &options, &bar);
        bar.finish();
        options.found_shots = found?;
    }
    let units = pertitle::optimize::work_units(&args.optimize.input, &options)?;
    let merge_writes = MergeOutputs {
        package: args.optimize.package,
        report: args.optimize.report,
    };
    let plan = Plan::new(&args.optimize.input, &options, merge_writes, &cache, units)?;
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
