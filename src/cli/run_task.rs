//! `pertitle run-task`: one work unit of a plan.

use super::progress::Bar;
use anyhow::Context;
use pertitle::optimize::plan::Plan;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

/// Run one work unit of a plan: encode and measure its point into the plan's cache.
///
/// A unit already done does nothing. The unit is --index, or else the job array index the
/// cluster engine sets: SLURM_ARRAY_TASK_ID (Slurm), JOB_COMPLETION_INDEX (Kubernetes
/// Indexed Jobs) or AWS_BATCH_JOB_ARRAY_INDEX (AWS Batch). The result file is written
/// atomically, so a killed unit leaves nothing half-written; run it again.
#[derive(clap::Args)]
pub struct Args {
    /// The plan directory (or its plan.json).
    plan: PathBuf,

    /// Which unit (0-based).
    #[arg(long)]
    index: Option<usize>,
}

/// The environment variables a job array's index comes in, by engine.
const INDEX_VARIABLES: [&str; 3] = [
    "SLURM_ARRAY_TASK_ID",
    "JOB_COMPLETION_INDEX",
    "AWS_BATCH_JOB_ARRAY_INDEX",
];

fn index(given: Option<usize>) -> anyhow::Result<usize> {
    if let Some(i) = given {
        return Ok(i);
    }
    for var in INDEX_VARIABLES {
        if let Ok(v) = std::env::var(var) {
            return v
                .trim()
                .parse()
                .with_context(|| format!("{var}={v:?} is not a unit index"));
        }
    }
    anyhow::bail!(
        "no --index, and none of {} is set",
        INDEX_VARIABLES.join(", ")
    )
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let plan = Plan::read(&args.plan)?;
    let i = index(args.index)?;
    let unit = plan.units.get(i).with_context(|| {
        format!(
            "{}: no unit {i} (the plan has {}: 0..{})",
            args.plan.display(),
            plan.units.len(),
            plan.units.len().saturating_sub(1)
        )
    })?;
    plan.check_source()?;
    let mut options = plan.options(false);
    // One unit is one encode: one worker thread (ask the engine for one CPU per task).
    options.jobs = 1;
    let started = Instant::now();
    let bar = Bar::new(std::io::stderr().is_terminal());
    let measured =
        pertitle::optimize::run_unit(&plan.input(), &options, unit.codec, unit.spec, &bar);
    bar.finish();
    let what = if measured? {
        "measured"
    } else {
        "already done"
    };
    println!(
        "unit {i} of {} ({} {}): {what} in {:.1} s; {}",
        plan.units.len(),
        unit.codec,
        unit.spec,
        started.elapsed().as_secs_f64(),
        plan.cache.join(&unit.result).display()
    );
    Ok(())
}
