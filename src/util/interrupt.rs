//! Ctrl-C (SIGINT) and SIGTERM stop a run cleanly: the first one only raises a flag, which
//! every pass over the source checks between frames; the pass then fails with
//! [`Error::Interrupted`], so the work unwinds as from any error (encoders closed, temporary
//! files removed, the cache left with whole units only). A second signal ends the process
//! at once.

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
    // SAFETY: signal() is async-signal-safe; back to the default, so a second signal ends
    // the process.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
        libc::signal(libc::SIGTERM, libc::SIG_DFL);
    }
}

/// Catch SIGINT and SIGTERM (the command line does, at startup).
pub fn install() {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: the handler only stores to an atomic and calls signal().
    unsafe {
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
}

/// `Err(Interrupted)` once a signal has come.
pub fn check() -> Result<()> {
    if INTERRUPTED.load(Ordering::SeqCst) {
        Err(Error::Interrupted)
    } else {
        Ok(())
    }
}
