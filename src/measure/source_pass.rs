//! One pass over the source: it is decoded once and every frame fans out, resized, to many
//! sinks (trial points, final renditions) that work on it in parallel.
//!
//! Memory stays flat with the length of the clip: a pass holds one source frame per
//! resolution plus the frames the sinks keep (encoders' lookahead), never the clip.

use crate::encode::segment::Segmenter;
use crate::error::Result;
use crate::measure::sample::Sample;
use crate::source::resolution::Resolution;
use crate::source::scale::{Kernel, Scaler};
use crate::source::{FrameReader, read_ahead};
use ffmpeg_next::{frame, picture};
use rayon::prelude::*;
use std::sync::Arc;

/// Receives every source frame of a pass.
pub trait FrameSink: Send {
    /// The size its input frames must have.
    fn resolution(&self) -> Resolution;

    /// Take the next frame. `reference` is the source frame at the pass's display size and
    /// `input` the source frame resized (Lanczos) to [`resolution`](Self::resolution). Both
    /// carry the frame index as pts and picture type `I` on the first frame of a segment.
    fn push(&mut self, reference: &Arc<frame::Video>, input: &frame::Video) -> Result<()>;
}

/// Which source frames a pass feeds its sinks, and as which frames.
#[derive(Debug, Clone, Copy)]
pub enum Frames<'a> {
    /// Every frame, a keyframe opening every segment.
    All(Segmenter),
    /// The frames of a sample, numbered on its own timeline, a keyframe opening every window.
    Sample(&'a Sample),
    /// Source frames `first..end` (`first` opening a segment), numbered as in the whole
    /// source, a keyframe opening every segment; decoding stops after them.
    Span(Segmenter, u64, u64),
}

impl Frames<'_> {
    /// Source frame `index`'s number for the sinks and whether it must be a keyframe;
    /// `None` when the pass skips it.
    pub fn map(&self, index: u64) -> Option<(u64, bool)> {
        match self {
            Frames::All(s) => Some((index, s.starts_segment(index))),
            Frames::Sample(sample) => sample.map(index),
            Frames::Span(s, first, end) => (*first..*end)
                .contains(&index)
                .then(|| (index, s.starts_segment(index))),
        }
    }

    /// The last source frame the pass needs, when it needs no more than a part.
    fn last(&self) -> Option<u64> {
        match self {
            Frames::Span(_, _, end) => Some(end.saturating_sub(1)),
            _ => None,
        }
    }

    /// How the frames the sinks get are cut into segments (a sample: into its windows).
    pub fn segmenter(&self) -> Segmenter {
        match self {
            Frames::All(s) => *s,
            Frames::Sample(sample) => sample.timeline(),
            Frames::Span(s, _, _) => *s,
        }
    }
}

/// Source frames buffered between the decoding thread and the sinks.
const DECODE_AHEAD: usize = 4;

/// Decode `reader` once and feed its `frames` to all `sinks` (in parallel on the current
/// rayon pool). `display` is the size of the reference frames (`None`: the source's size, no
/// resizing). `frame_done` is called after each frame fed has reached every sink.
pub fn run(
    reader: FrameReader,
    sinks: &mut [impl FrameSink],
    display: Option<Resolution>,
    frames: Frames<'_>,
    frame_done: &(dyn Fn() + Sync),
) -> Result<()> {
    let size = reader.resolution();
    // One downscaler per distinct resolution below the source; each sink reads its input
    // from its resolution's slot.
    let mut resolutions: Vec<Resolution> = sinks.iter().map(FrameSink::resolution).collect();
    resolutions.sort_unstable();
    resolutions.dedup();
    // Each scaler writes into its own frame, reused for every source frame: every encoder
    // copies its input (x264, x265 and libvpx/libaom into their lookahead, SVT-AV1 into its
    // input buffers) before `send` returns, so the frame is free again once every sink has
    // taken it.
    let mut scalers: Vec<Option<Scaler>> = resolutions
        .iter()
        .map(|&r| {
            (r != size)
                .then(|| Scaler::new(size, r, Kernel::Lanczos))
                .transpose()
        })
        .collect::<Result<_>>()?;
    let mut scaled: Vec<Option<frame::Video>> = scalers
        .iter()
        .map(|s| s.as_ref().map(Scaler::output_frame))
        .collect();
    let display = display.unwrap_or(size);
    let mut display_scaler = (display != size)
        .then(|| Scaler::new(size, display, Kernel::Bicubic))
        .transpose()?;
    let slots: Vec<usize> = sinks
        .iter()
        .map(|s| resolutions.binary_search(&s.resolution()).unwrap_or(0))
        .collect();

    std::thread::scope(|scope| -> Result<()> {
        // Frame index as pts; keyframes exactly where segments start (the source's own
        // picture types must not leak into the encoders); frames skipped get no pts. The
        // receiver is owned by this closure, so an early return unblocks the decoding thread
        // before the scope joins it.
        let rx = read_ahead(scope, reader, DECODE_AHEAD, move |index, mut f| {
            let (pts, key) = match frames.map(index) {
                Some((pts, key)) => (Some(pts as i64), key),
                None => (None, false),
            };
            f.set_pts(pts);
            f.set_kind(if key {
                picture::Type::I
            } else {
                picture::Type::None
            });
            Ok(f)
        });
        for (index, item) in rx.iter().enumerate() {
            if frames.last().is_some_and(|last| index as u64 > last) {
                break;
            }
            let item = item?;
            if item.pts().is_none() {
                continue;
            }
            let source = Arc::new(item);
            let (reference, downscaled) = rayon::join(
                || match display_scaler.as_mut() {
                    Some(s) => s.scale(&source).map(Arc::new),
                    None => Ok(Arc::clone(&source)),
                },
                || {
                    scalers
                        .par_iter_mut()
                        .zip(scaled.par_iter_mut())
                        .try_for_each(|pair| match pair {
                            (Some(scaler), Some(buffer)) => scaler.scale_into(&source, buffer),
                            _ => Ok(()),
                        })
                },
            );
            let reference = reference?;
            downscaled?;
            sinks
                .par_iter_mut()
                .zip(slots.par_iter())
                .try_for_each(|(sink, &slot)| {
                    let input = scaled[slot].as_ref().unwrap_or(&source);
                    sink.push(&reference, input)
                })?;
            frame_done();
        }
        Ok(())
    })
}
