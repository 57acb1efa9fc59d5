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
    // Before any thread starts: it sets an environment variable.
    pertitle::encode::encoder::quiet_encoder_logs();
    pertitle::util::interrupt::install();
    match cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pertitle: error: {}", cli::error_message(&e));
            let interrupted = e
                .downcast_ref::<pertitle::Error>()
                .is_some_and(|e| matches!(e, pertitle::Error::Interrupted));
            // 128 + SIGINT, as shells report a command Ctrl-C stopped.
            if interrupted {
                ExitCode::from(130)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
