//! Measuring trial points: the source is decoded once per pass and every frame fans out to
//! all the points of the pass, which encode, decode back and score it in parallel.
//!
//! Memory stays flat with the length of the clip: a pass holds one source frame per
//! resolution plus the frames inside the encoders' lookahead, never the clip.

use crate::encode::X264Settings;
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::resolution::Resolution;
use crate::scale::{Kernel, Scaler};
use crate::segment::Segmenter;
use crate::source::{FrameReader, read_ahead};
use crate::trial::{Trial, TrialResult, TrialSpec};
use ffmpeg_next::{frame, picture};
use rayon::prelude::*;
use std::path::Path;
use std::sync::Arc;

/// How trial points are measured.
#[derive(Debug, Clone)]
pub struct MeasureOptions {
    /// x264 preset of every trial encode.
    pub preset: String,
    /// Segment duration: a keyframe opens every segment.
    pub segment_seconds: f64,
    /// Worker threads (each runs one trial encode at a time).
    pub jobs: usize,
    /// Most points measured in one pass over the source (bounds memory: every point of a
    /// pass holds an open encoder).
    pub points_per_pass: usize,
}

/// Source frames buffered between the decoding thread and the workers.
const DECODE_AHEAD: usize = 4;

/// Measure every point, in passes of at most `points_per_pass` points. Results come back in
/// the order of `specs`.
pub fn measure(
    source: &Path,
    specs: &[TrialSpec],
    options: &MeasureOptions,
    progress: &dyn Progress,
) -> Result<Vec<TrialResult>> {
    if options.segment_seconds.is_nan() || options.segment_seconds <= 0.0 {
        return Err(Error::InvalidOption(format!(
            "segment duration must be positive, not {}",
            options.segment_seconds
        )));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs.max(1))
        .thread_name(|i| format!("pertitle-worker-{i}"))
        .build()
        .map_err(|e| Error::Internal(format!("cannot start worker threads: {e}")))?;
    let mut results = Vec::with_capacity(specs.len());
    let per_pass = options.points_per_pass.max(1);
    for chunk in specs.chunks(per_pass) {
        let done = (results.len(), specs.len());
        let pass = pool.install(|| measure_pass(source, chunk, options, done, progress))?;
        results.extend(pass);
        progress.pass_finished(results.len(), specs.len());
    }
    Ok(results)
}

/// One decode of the source feeding all `specs`.
fn measure_pass(
    source: &Path,
    specs: &[TrialSpec],
    options: &MeasureOptions,
    (done, total): (usize, usize),
    progress: &dyn Progress,
) -> Result<Vec<TrialResult>> {
    let reader = FrameReader::open(source, 0)?;
    let size = reader.resolution();
    let rate = reader.frame_rate();
    let segmenter = Segmenter::new(rate, options.segment_seconds);
    let settings = X264Settings {
        preset: options.preset.clone(),
        keyint: segmenter.max_segment_frames().min(u64::from(u32::MAX)) as u32,
    };
    settings.validate()?;

    // One downscaler per distinct resolution below the source; each trial reads its input
    // from its resolution's slot.
    let mut resolutions: Vec<Resolution> = specs.iter().map(|s| s.resolution).collect();
    resolutions.sort_unstable();
    resolutions.dedup();
    let mut scalers: Vec<Option<Scaler>> = resolutions
        .iter()
        .map(|&r| {
            (r != size)
                .then(|| Scaler::new(size, r, Kernel::Lanczos))
                .transpose()
        })
        .collect::<Result<_>>()?;
    let slots: Vec<usize> = specs
        .iter()
        .map(|s| resolutions.binary_search(&s.resolution).unwrap_or(0))
        .collect();
    let mut trials: Vec<Trial> = specs
        .par_iter()
        .map(|&spec| Trial::open(spec, size, rate, segmenter, &settings))
        .collect::<Result<_>>()?;

    progress.pass_started(specs, done, total, reader.expected_frames().unwrap_or(0));
    std::thread::scope(|scope| -> Result<Vec<TrialResult>> {
        // Frame index as pts; keyframes exactly where segments start (the source's own
        // picture types must not leak into the encoders). The receiver is owned by this
        // closure, so an early return unblocks the decoding thread before the scope joins it.
        let rx = read_ahead(scope, reader, DECODE_AHEAD, move |index, f| {
            f.set_pts(Some(index as i64));
            f.set_kind(if segmenter.starts_segment(index) {
                picture::Type::I
            } else {
                picture::Type::None
            });
        });
        for item in rx.iter() {
            let source = Arc::new(item?);
            let scaled: Vec<Option<frame::Video>> = scalers
                .par_iter_mut()
                .map(|s| s.as_mut().map(|s| s.scale(&source)).transpose())
                .collect::<Result<_>>()?;
            trials
                .par_iter_mut()
                .zip(slots.par_iter())
                .try_for_each(|(trial, &slot)| {
                    let input = scaled[slot].as_ref().unwrap_or(&source);
                    trial.push(&source, input)
                })?;
            progress.frame();
        }
        trials.into_par_iter().map(Trial::finish).collect()
    })
}
