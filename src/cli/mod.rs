//! Argument parsing and dispatch.

mod compare;
mod errors;
mod export;
mod frames;
mod ladder;
mod ladder_args;
mod merge;
mod optimize;
mod package;
mod plan;
mod probe;
mod progress;
mod report;
mod run_task;
mod score;
mod shots;
mod simulate;
mod summary;
mod values;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// Per-title encoding ladder optimizer.
///
/// Encodes a video at a grid of resolutions and CRF values of each chosen codec (x264, x265,
/// SVT-AV1, VP9, libaom AV1), measures every encode against the source (VMAF, PSNR, SSIM),
/// takes the upper convex hull of quality against bitrate across resolutions, picks a
/// bitrate ladder from it per codec, and compares the codecs.
#[derive(Parser)]
#[command(name = "pertitle", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Probe(probe::Args),
    Score(score::Args),
    Optimize(optimize::Args),
    Compare(compare::Args),
    Ladder(ladder::Args),
    Export(export::Args),
    Package(package::Args),
    Report(report::Args),
    Frames(frames::Args),
    Plan(plan::Args),
    RunTask(run_task::Args),
    Merge(merge::Args),
    Simulate(simulate::Args),
    Shots(shots::Args),
}

impl Command {
    /// The subcommand's name as typed.
    fn name(&self) -> &'static str {
        match self {
            Command::Probe(_) => "probe",
            Command::Score(_) => "score",
            Command::Optimize(_) => "optimize",
            Command::Compare(_) => "compare",
            Command::Ladder(_) => "ladder",
            Command::Export(_) => "export",
            Command::Package(_) => "package",
            Command::Report(_) => "report",
            Command::Frames(_) => "frames",
            Command::Plan(_) => "plan",
            Command::RunTask(_) => "run-task",
            Command::Merge(_) => "merge",
            Command::Simulate(_) => "simulate",
            Command::Shots(_) => "shots",
        }
    }
}

pub use errors::message as error_message;

/// The command line's definition, with the help of the options whose defaults live in the
/// library completed from it.
fn command() -> clap::Command {
    ["optimize", "plan", "ladder"]
        .into_iter()
        .fold(Cli::command(), |cli, name| {
            cli.mut_subcommand(name, ladder_args::with_defaults)
        })
        .mut_subcommand("optimize", optimize::with_defaults)
        .mut_subcommand("plan", optimize::with_defaults)
}

pub fn run() -> anyhow::Result<()> {
    let cli = Cli::from_arg_matches(&command().get_matches()).unwrap_or_else(|e| e.exit());
    errors::set_command(cli.command.name());
    pertitle::source::init();
    match cli.command {
        Command::Probe(args) => probe::run(args),
        Command::Score(args) => score::run(args),
        Command::Optimize(args) => optimize::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Ladder(args) => ladder::run(args),
        Command::Export(args) => export::run(args),
        Command::Package(args) => package::run(args),
        Command::Report(args) => report::run(args),
        Command::Frames(args) => frames::run(args),
        Command::Plan(args) => plan::run(args),
        Command::RunTask(args) => run_task::run(args),
        Command::Merge(args) => merge::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Shots(args) => shots::run(args),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap's own checks of the whole command line (unique names and groups, valid
    /// defaults), which clap makes in debug builds only (`cargo test`, not `--release`) and
    /// otherwise only for the subcommand being run.
    #[test]
    fn command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
