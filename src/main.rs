//! The `pertitle` command line. Each subcommand lives in its own module under `cli/`; all the
//! work is done by the library.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pertitle: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
