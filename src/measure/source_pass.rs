//! One pass over the source: it is decoded once and every frame fans out, resized, to many
//! sinks (trial points, final renditions) that work on it in parallel.
//!
//! Memory stays flat with the length of the clip: a pass holds one source frame per
//! resolution plus the frames the sinks keep (encoders' lookahead), never the clip.
//!
//! The native VMAF engine's reference work on a frame (about 19 bytes per pixel) is done by
//! the first sink that scores the frame, not when the frame is fed: every sink holds a frame
//! from when it encodes it until it decodes it back (the encoder's lookahead, some 15 frames
//! for x264), but the sinks decode a frame back within a few frames of one another, so only
//! those few frames' reference work is held at a time.

use crate::encode::segment::Segmenter;
use crate::error::{Error, Result};
use crate::measure::metrics::Plane;
use crate::measure::metrics::vmaf::native::{FrameReference, MotionTrack};
use crate::measure::metrics::vmaf::{VmafEngine, VmafSettings};
use crate::measure::sample::Sample;
use crate::source::resolution::Resolution;
use crate::source::scale::{Kernel, Scaler};
use crate::source::{FrameReader, read_ahead};
use ffmpeg_next::{frame, picture};
use rayon::prelude::*;
use std::sync::{Arc, Mutex, OnceLock};

/// Receives every source frame of a pass.
pub trait FrameSink: Send {
    /// The size its next input frame must have.
    fn resolution(&self) -> Resolution;

    /// Every size it asks for over the pass (a sink whose size changes from shot to shot
    /// has several).
    fn resolutions(&self) -> Vec<Resolution> {
        vec![self.resolution()]
    }

    /// Take the next frame. `reference` holds the source frame at the pass's display size and
    /// `input` is the source frame resized (Lanczos) to [`resolution`](Self::resolution). Both
    /// frames carry the frame index as pts and picture type `I` on the first frame of a
    /// segment.
    fn push(&mut self, reference: &Arc<Reference>, input: &frame::Video) -> Result<()>;
}

/// A source frame at the display size, as every sink of a pass compares against it, with the
/// work on it that they share. Held by the sinks until their encode of it comes back.
pub struct Reference {
    /// The frame (the source frame itself when the display size is the source's).
    pub frame: Arc<frame::Video>,
    /// Its position among the frames the pass feeds (0 for the first).
    pub position: usize,
    /// Whether VMAF scores this frame (`VmafSettings::subsample`).
    pub vmaf_scored: bool,
    /// The native VMAF engine's reference work on it, once a sink has asked for it.
    vmaf: OnceLock<FrameReference>,
    /// Where that work's buffers come from and go back to, when that engine scores it.
    vmaf_buffers: Option<Arc<ReferenceBuffers>>,
    /// The frame at each of the pass's other displays (device classes judged at another
    /// size), with the native engine's reference work on it.
    displays: Vec<DisplayReference>,
}

/// A source frame at one of a pass's other displays, and the native VMAF engine's reference
/// work on it once a sink has asked for it.
pub struct DisplayReference {
    /// The frame at that display.
    pub frame: frame::Video,
    vmaf: OnceLock<FrameReference>,
    buffers: Arc<ReferenceBuffers>,
}

impl Reference {
    /// The native VMAF engine's reference work on the frame, when that engine scores it:
    /// done by the first caller (the others wait for it), then shared.
    pub fn vmaf(&self) -> Option<&FrameReference> {
        let buffers = self.vmaf_buffers.as_ref().filter(|_| self.vmaf_scored)?;
        Some(self.vmaf.get_or_init(|| {
            let mut shared = buffers.take();
            shared.compute(Plane::of_frame(&self.frame, 0));
            shared
        }))
    }

    /// The frame at display `view` (0: the pass's display, `i`: its other display `i - 1`)
    /// and the native VMAF engine's reference work on it, on the frames VMAF scores.
    pub fn at_display(&self, view: usize) -> (&frame::Video, Option<&FrameReference>) {
        if view == 0 {
            return (&self.frame, self.vmaf());
        }
        let d = &self.displays[view - 1];
        let shared = self.vmaf_scored.then(|| {
            d.vmaf.get_or_init(|| {
                let mut shared = d.buffers.take();
                shared.compute(Plane::of_frame(&d.frame, 0));
                shared
            })
        });
        (&d.frame, shared)
    }

    /// Give the reference work's buffers back, for another frame's.
    fn release_vmaf(&mut self) {
        if let (Some(shared), Some(buffers)) = (self.vmaf.take(), &self.vmaf_buffers) {
            buffers.put(shared);
        }
        for d in &mut self.displays {
            if let Some(shared) = d.vmaf.take() {
                d.buffers.put(shared);
            }
        }
    }
}

/// The native VMAF engine's reference buffers of a pass that no frame holds.
struct ReferenceBuffers {
    width: usize,
    height: usize,
    free: Mutex<Vec<FrameReference>>,
}

impl ReferenceBuffers {
    fn take(&self) -> FrameReference {
        let free = self.free.lock().unwrap_or_else(|p| p.into_inner()).pop();
        free.unwrap_or_else(|| FrameReference::new(self.width, self.height))
    }

    fn put(&self, shared: FrameReference) {
        self.free
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(shared);
    }
}

/// What a pass measured itself (as opposed to its sinks).
#[derive(Debug, Default)]
pub struct PassOutcome {
    /// The native VMAF engine's motion2 of every fed frame, in order (empty otherwise).
    pub motion2: Vec<f64>,
    /// The same at each of the pass's other displays.
    pub display_motion2: Vec<Vec<f64>>,
}

impl PassOutcome {
    /// The motion2 of every fed frame at display `view` (0: the pass's display).
    pub fn motion2_at(&self, view: usize) -> &[f64] {
        if view == 0 {
            &self.motion2
        } else {
            self.display_motion2
                .get(view - 1)
                .map_or(&[], Vec::as_slice)
        }
    }
}

/// Which source frames a pass feeds its sinks, and as which frames.
#[derive(Debug, Clone)]
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
            Frames::All(s) => s.clone(),
            Frames::Sample(sample) => sample.timeline(),
            Frames::Span(s, _, _) => s.clone(),
        }
    }
}

/// Source frames buffered between the decoding thread and the sinks.
const DECODE_AHEAD: usize = 4;

/// Decode `reader` once and feed its `frames` to all `sinks` (in parallel on the current
/// rayon pool). `display` is the size of the reference frames (`None`: the source's size, no
/// resizing). With `vmaf` scored by the native engine, the pass also computes each fed
/// frame's motion and, on the frames VMAF scores, the reference side of VIF and ADM, once for
/// all sinks (see [`Reference::vmaf`]). `frame_done` is called after each frame fed has
/// reached every sink.
pub fn run(
    reader: FrameReader,
    sinks: &mut [impl FrameSink],
    display: Option<Resolution>,
    frames: Frames<'_>,
    vmaf: Option<VmafSettings>,
    frame_done: &(dyn Fn() + Sync),
) -> Result<PassOutcome> {
    run_with_displays(reader, sinks, display, &[], frames, vmaf, frame_done)
}

/// [`run`], with the reference frames also resized (bicubic) to each of `other_displays`,
/// where the native VMAF engine's reference work and motion are computed as at `display`
/// (device classes judged at another size: [`Reference::at_display`]).
pub fn run_with_displays(
    reader: FrameReader,
    sinks: &mut [impl FrameSink],
    display: Option<Resolution>,
    other_displays: &[Resolution],
    frames: Frames<'_>,
    vmaf: Option<VmafSettings>,
    frame_done: &(dyn Fn() + Sync),
) -> Result<PassOutcome> {
    let size = reader.resolution();
    // One downscaler per distinct resolution below the source; each sink reads its input
    // from its resolution's slot.
    let mut resolutions: Vec<Resolution> = sinks.iter().flat_map(FrameSink::resolutions).collect();
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
    // Each sink's slot for the next frame, and which slots some sink reads.
    let slot_of = |sink: &dyn FrameSink| {
        resolutions.binary_search(&sink.resolution()).map_err(|_| {
            Error::Internal(format!(
                "a sink asked for frames at {}, not among the sizes it declared",
                sink.resolution()
            ))
        })
    };
    let mut slots: Vec<usize> = vec![0; sinks.len()];
    let mut wanted: Vec<bool> = vec![false; resolutions.len()];
    let native = vmaf.filter(|v| v.engine == VmafEngine::Native);
    let (dw, dh) = (display.width as usize, display.height as usize);
    let mut motion = native.map(|_| MotionTrack::new(dw, dh));
    let vmaf_buffers = native.map(|_| {
        Arc::new(ReferenceBuffers {
            width: dw,
            height: dh,
            free: Mutex::new(Vec::new()),
        })
    });
    // The other displays: a scaler, a motion track and reference buffers each.
    let mut other_scalers: Vec<Option<Scaler>> = other_displays
        .iter()
        .map(|&d| {
            (d != size)
                .then(|| Scaler::new(size, d, Kernel::Bicubic))
                .transpose()
        })
        .collect::<Result<_>>()?;
    let mut other_motion: Vec<MotionTrack> = other_displays
        .iter()
        .map(|d| MotionTrack::new(d.width as usize, d.height as usize))
        .collect();
    let other_buffers: Vec<Arc<ReferenceBuffers>> = other_displays
        .iter()
        .map(|d| {
            Arc::new(ReferenceBuffers {
                width: d.width as usize,
                height: d.height as usize,
                free: Mutex::new(Vec::new()),
            })
        })
        .collect();
    let fed = |i: u64| frames.map(i).is_some();
    // References the sinks have let go of are reused, buffers and all.
    let mut pool: Vec<Arc<Reference>> = Vec::new();
    let mut position = 0usize;

    std::thread::scope(|scope| -> Result<PassOutcome> {
        // Frame index as pts; keyframes exactly where segments start (the source's own
        // picture types must not leak into the encoders); frames skipped get no pts. The
        // receiver is owned by this closure, so an early return unblocks the decoding thread
        // before the scope joins it.
        let mapping = frames.clone();
        let rx = read_ahead(scope, reader, DECODE_AHEAD, move |index, mut f| {
            let (pts, key) = match mapping.map(index) {
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
            let index = index as u64;
            if frames.last().is_some_and(|last| index > last) {
                break;
            }
            let item = item?;
            let is_fed = item.pts().is_some();
            // A frame not fed may still be the neighbour whose motion a fed frame needs.
            let tracks_motion = motion.is_some() || !other_motion.is_empty();
            if !(is_fed || tracks_motion && MotionTrack::needed(index, fed)) {
                continue;
            }
            let vmaf_scored = is_fed && vmaf.is_some_and(|v| v.scores(position as u64));
            // Reference work the sinks are done with goes back for other frames'.
            for r in &mut pool {
                if let Some(r) = Arc::get_mut(r) {
                    r.release_vmaf();
                }
            }
            let mut reference = recycled(&mut pool);
            // The recycled reference's display-size frame, when no one else holds it.
            let buffer = reference
                .as_mut()
                .and_then(Arc::get_mut)
                .and_then(|r| Arc::get_mut(&mut r.frame));
            let source = Arc::new(item);
            if is_fed {
                wanted.iter_mut().for_each(|w| *w = false);
                for (slot, sink) in slots.iter_mut().zip(sinks.iter()) {
                    *slot = slot_of(sink)?;
                    wanted[*slot] = true;
                }
            }
            let (frame, downscaled) = rayon::join(
                || -> Result<Arc<frame::Video>> {
                    match (display_scaler.as_mut(), buffer) {
                        (None, _) => Ok(Arc::clone(&source)),
                        (Some(scaler), Some(f)) => {
                            let mut f = std::mem::replace(f, frame::Video::empty());
                            scaler.scale_into(&source, &mut f)?;
                            Ok(Arc::new(f))
                        }
                        (Some(scaler), None) => scaler.scale(&source).map(Arc::new),
                    }
                },
                || {
                    if !is_fed {
                        return Ok(());
                    }
                    scalers
                        .par_iter_mut()
                        .zip(scaled.par_iter_mut())
                        .zip(wanted.par_iter())
                        .try_for_each(|(pair, &wanted)| match pair {
                            (Some(scaler), Some(buffer)) if wanted => {
                                scaler.scale_into(&source, buffer)
                            }
                            _ => Ok(()),
                        })
                },
            );
            let frame = frame?;
            downscaled?;
            let displays = other_scalers
                .par_iter_mut()
                .zip(other_buffers.par_iter())
                .map(|(scaler, buffers)| {
                    Ok(DisplayReference {
                        frame: match scaler {
                            Some(scaler) => scaler.scale(&source)?,
                            None => (*source).clone(),
                        },
                        vmaf: OnceLock::new(),
                        buffers: Arc::clone(buffers),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let fresh = |frame, displays| {
                Arc::new(Reference {
                    frame,
                    position,
                    vmaf_scored,
                    vmaf: OnceLock::new(),
                    vmaf_buffers: vmaf_buffers.clone(),
                    displays,
                })
            };
            let r = match reference.take() {
                Some(mut old) => match Arc::get_mut(&mut old) {
                    Some(slot) => {
                        slot.frame = frame;
                        slot.position = position;
                        slot.vmaf_scored = vmaf_scored;
                        slot.displays = displays;
                        old
                    }
                    None => fresh(frame, displays),
                },
                None => fresh(frame, displays),
            };
            if let Some(m) = motion.as_mut() {
                m.push(index, Plane::of_frame(&r.frame, 0), is_fed);
            }
            for (m, d) in other_motion.iter_mut().zip(&r.displays) {
                m.push(index, Plane::of_frame(&d.frame, 0), is_fed);
            }
            if !is_fed {
                continue;
            }
            pool.push(Arc::clone(&r));
            sinks
                .par_iter_mut()
                .zip(slots.par_iter())
                .try_for_each(|(sink, &slot)| {
                    let input = scaled[slot].as_ref().unwrap_or(&source);
                    sink.push(&r, input)
                })?;
            position += 1;
            frame_done();
        }
        Ok(PassOutcome {
            motion2: match motion {
                Some(m) => m.motion2()?,
                None => Vec::new(),
            },
            display_motion2: other_motion
                .iter()
                .map(MotionTrack::motion2)
                .collect::<Result<_>>()?,
        })
    })
}

/// A reference no sink holds any more, taken out of `pool` for reuse (its VMAF reference
/// work given back).
fn recycled(pool: &mut Vec<Arc<Reference>>) -> Option<Arc<Reference>> {
    let i = pool.iter().position(|r| Arc::strong_count(r) == 1)?;
    let mut r = pool.swap_remove(i);
    if let Some(r) = Arc::get_mut(&mut r) {
        r.release_vmaf();
    }
    Some(r)
}
