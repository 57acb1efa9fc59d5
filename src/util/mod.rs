//! What every stage leans on: [`atomic`] file writes, the [`overwrite`] guard that keeps
//! outputs off inputs, Ctrl-C handling ([`interrupt`]), FFmpeg's log lines kept for error
//! messages ([`ffmpeg_log`]), and the [`progress`] trait long work reports through.

pub mod atomic;
pub mod ffmpeg_log;
pub mod interrupt;
pub mod overwrite;
pub mod progress;
