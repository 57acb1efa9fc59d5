//! FFmpeg's own log lines, kept instead of printed. FFmpeg often explains a failure only in
//! its log (`Picture size 100000x100000 is invalid`) and returns a vague code with it
//! (`Device or resource busy`); [`capture`] runs one FFmpeg call and hands back the last
//! error line it logged on this thread, so an error can say what FFmpeg said.

use std::cell::RefCell;
use std::ffi::CStr;

thread_local! {
    static LAST_ERROR: RefCell<Option<String>> = const { RefCell::new(None) };
}

const LINE_BYTES: usize = 512;

/// The log callback: keeps the text of error (and worse) lines, drops the rest; prints
/// nothing.
unsafe extern "C" fn keep_errors(
    context: *mut libc::c_void,
    level: libc::c_int,
    format: *const libc::c_char,
    args: *mut ffmpeg_next::ffi::__va_list_tag,
) {
    if level > ffmpeg_next::ffi::AV_LOG_ERROR as libc::c_int || format.is_null() {
        return;
    }
    let mut line = [0 as libc::c_char; LINE_BYTES];
    // No "[decoder @ 0x...]" prefix.
    let mut print_prefix: libc::c_int = 0;
    // SAFETY: FFmpeg passes its own format string and argument list straight through, and
    // av_log_format_line2 writes at most LINE_BYTES bytes, NUL-terminated, into `line`.
    let text = unsafe {
        ffmpeg_next::ffi::av_log_format_line2(
            context,
            level,
            format,
            args,
            line.as_mut_ptr(),
            LINE_BYTES as libc::c_int,
            &mut print_prefix,
        );
        CStr::from_ptr(line.as_ptr()).to_string_lossy()
    };
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    // Never panic across the C boundary: a busy or torn-down slot just misses the line.
    let _ = LAST_ERROR.try_with(|last| {
        if let Ok(mut last) = last.try_borrow_mut() {
            *last = Some(text.to_string());
        }
    });
}

/// Route FFmpeg's logging through [`keep_errors`] (called once, by `source::init`).
pub(crate) fn install() {
    // SAFETY: the callback is a plain function that lives as long as the program.
    unsafe { ffmpeg_next::ffi::av_log_set_callback(Some(keep_errors)) };
}

/// Run `call` and return its result with the last error line FFmpeg logged on this thread
/// while it ran.
pub fn capture<T>(call: impl FnOnce() -> T) -> (T, Option<String>) {
    let _ = LAST_ERROR.try_with(|last| last.borrow_mut().take());
    let result = call();
    let line = LAST_ERROR
        .try_with(|last| last.borrow_mut().take())
        .ok()
        .flatten();
    (result, line)
}
