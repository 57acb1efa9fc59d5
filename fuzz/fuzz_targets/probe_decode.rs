//! Fuzz target over pertitle's source entry points: `pertitle::probe` and
//! `pertitle::source::FrameReader` (open + decode).
//!
//! Both take a path (FFmpeg opens files by name), so each input is written to one
//! temporary file per process on a tmpfs (`/dev/shm` when it exists), then probed and
//! decoded. Errors are expected and ignored: only crashes, panics, hangs, sanitizer reports
//! and running out of memory are findings.
//!
//! The file name ends in `.input`, an extension no demuxer claims, so FFmpeg picks the
//! demuxer from the content alone.
//! FFmpeg is the system's (not instrumented): coverage guidance comes from the Rust side.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pertitle::measure::metrics::Plane;
use pertitle::source::FrameReader;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Decode at most this many frames of one input.
const MAX_FRAMES: usize = 16;

/// The one temporary path of this process.
fn input_path() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = if Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        dir.join(format!("pertitle-fuzz-{}.input", std::process::id()))
    })
}

/// Remove the temporary file when the process exits normally (libFuzzer calls `exit`).
extern "C" fn remove_input() {
    let _ = std::fs::remove_file(input_path());
}

/// Read every row of every plane the way the metrics do, so an out-of-bounds plane (a
/// frame smaller than it claims) shows up as a panic or a sanitizer report.
fn touch_planes(frame: &ffmpeg_next::frame::Video) -> u64 {
    let mut sum = 0u64;
    for index in 0..frame.planes().min(3) {
        let plane = Plane::of_frame(frame, index);
        for y in 0..plane.height() {
            let row = plane.row(y);
            sum = sum.wrapping_add(u64::from(row[0]) + u64::from(row[row.len() - 1]));
            sum = sum.wrapping_add(row.iter().map(|&b| u64::from(b)).sum::<u64>());
        }
    }
    sum
}

fuzz_target!(|data: &[u8]| {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: registers a plain `extern "C" fn()` to run at exit.
    ONCE.call_once(|| unsafe {
        libc::atexit(remove_input);
    });

    let path = input_path();
    if std::fs::write(path, data).is_err() {
        return;
    }

    // With PERTITLE_FUZZ_VERBOSE set (when running single inputs), say what happened.
    let verbose = std::env::var_os("PERTITLE_FUZZ_VERBOSE").is_some();

    // probe: container, stream parameters, every packet.
    match pertitle::probe(path) {
        Ok(info) => {
            let _ = info.resolution().pixels();
            let json = serde_json::to_string(&info);
            if verbose {
                eprintln!("probe: {}", json.unwrap_or_default());
            }
        }
        Err(e) if verbose => eprintln!("probe: error: {e}"),
        Err(_) => {}
    }

    // FrameReader: open and decode a bounded number of frames on one thread.
    let mut reader = match FrameReader::open(path, 1) {
        Ok(reader) => reader,
        Err(e) => {
            if verbose {
                eprintln!("open: error: {e}");
            }
            return;
        }
    };
    let _ = (
        reader.resolution(),
        reader.frame_rate(),
        reader.sample_aspect_ratio(),
        reader.expected_frames(),
    );
    let (mut sum, mut decoded) = (0u64, 0usize);
    let mut end = String::from("frame limit");
    while decoded < MAX_FRAMES {
        match reader.next_frame() {
            Ok(Some(frame)) => {
                sum = sum.wrapping_add(touch_planes(&frame));
                decoded += 1;
            }
            Ok(None) => {
                end = "end of stream".into();
                break;
            }
            Err(e) => {
                end = format!("error: {e}");
                break;
            }
        }
    }
    if verbose {
        eprintln!(
            "decode: {decoded} frames of {} ({end})",
            reader.resolution()
        );
    }
    std::hint::black_box(sum);
});
