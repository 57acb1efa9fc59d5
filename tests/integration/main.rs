//! The integration tests, in one test binary so that FFmpeg and libvmaf are linked once: each
//! module tests one part of pertitle through its public API or its command line (the
//! `pertitle` binary), and `common` holds the helpers they share.
//!
//! Run one module with `cargo test --release --test integration MODULE::`, one test by its
//! name. The harness runs tests on parallel threads of this one process: a test must not
//! change process-wide state (environment, current directory, signal handlers).

mod common;

mod bdrate;
mod browser_playback;
mod cache;
mod cache_faults;
mod cli_errors;
mod codecs;
mod compare_to_reference;
mod devices;
mod frames;
mod hostile_inputs;
mod ladder_command;
mod ladder_cost;
mod metrics_oracle;
mod optimize_end_to_end;
mod package;
mod package_quality;
mod plan;
mod rate_control;
mod report;
mod sample;
mod search;
mod shot_points;
mod shot_rungs;
mod shots;
mod simulate;
mod viewer_mix;
mod vmaf;
mod write_faults;
