//! The `pertitle` command line. Each subcommand lives in its own module under `cli/`; all the
//! work is done by the library.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    // Die quietly on a closed pipe (`pertitle score ... --csv | head`), like other Unix tools,
    // instead of panicking in println!.
    // SAFETY: restoring the default disposition of SIGPIPE at startup, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    match cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pertitle: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
