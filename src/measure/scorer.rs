//! Scoring an encode while it is made: its packets are decoded back, upscaled to the display
//! size and compared with the source frames they were encoded from, frame by frame. Trial
//! points ([`crate::measure::trial`]) and the package's final encodes
//! ([`crate::package::rendition`]) both score through a [`Scorer`].

use crate::error::{Error, Result};
use crate::measure::devices::DevicePlan;
use crate::measure::metrics::Plane;
use crate::measure::metrics::vmaf::native::NativeScorer;
use crate::measure::metrics::vmaf::{VmafScorer, VmafSettings};
use crate::measure::metrics::{FrameScores, FrameSeries};
use crate::measure::source_pass::{PassOutcome, Reference};
use crate::source::decode::VideoDecoder;
use crate::source::resolution::Resolution;
use crate::source::scale::{Kernel, Scaler};
use ffmpeg_next::{Packet, codec, frame};
use rayon::prelude::*;
use std::collections::VecDeque;
use std::sync::Arc;

/// Decodes one encode's packets back and scores every frame against its source frame.
pub struct Scorer {
    /// The encode, for messages.
    label: String,
    decoder: VideoDecoder,
    /// Resizes decoded frames to the display size, into the thread's frame ([`UPSCALED`]).
    upscaler: Resizer,
    /// Source frames sent to the encoder whose decoded counterpart has not come back yet
    /// (the encoder's lookahead); shared with the other sinks of the pass.
    pending: VecDeque<Arc<Reference>>,
    series: FrameSeries,
    vmaf: Option<VmafScorer>,
    /// Every this many frames is scored by VMAF.
    vmaf_every: u32,
    /// Device classes whose scores are the main VMAF's.
    same_as_main: Vec<String>,
    /// Device classes scored by the main VMAF scorer's extra models, in its models' order.
    main_extra: Vec<String>,
    /// Device classes with features of their own.
    devices: Vec<DeviceView>,
    /// The decoder was told the packets ended.
    ended: bool,
}

/// Device classes sharing one set of features at one display.
struct DeviceView {
    /// The display (0: the pass's, `i`: its other display `i - 1`).
    view: usize,
    /// Resizes decoded frames to that display.
    upscaler: Resizer,
    scorer: NativeScorer,
    /// The classes' keys, in the scorer's models' order.
    keys: Vec<String>,
}

impl Scorer {
    /// A scorer of the encode `label` whose stream has `parameters`, scored at `display` size
    /// (upscaled bicubic from whatever size each frame decodes at), VMAF too when `vmaf` asks,
    /// and for the device classes of `devices` (which need `vmaf`, by the native engine; the
    /// pass prepares their references at `devices.displays`).
    pub fn open(
        label: &str,
        parameters: codec::Parameters,
        display: Resolution,
        vmaf: Option<VmafSettings>,
        devices: &DevicePlan,
    ) -> Result<Self> {
        if !devices.is_empty() && vmaf.is_none() {
            return Err(Error::Internal("device classes scored without VMAF".into()));
        }
        let views = devices
            .groups
            .iter()
            .map(|g| {
                let size = devices.view_size(g.view, display);
                let models: Vec<_> = g.models.iter().map(|(_, m)| *m).collect();
                Ok(DeviceView {
                    view: g.view,
                    upscaler: Resizer::new(size),
                    scorer: NativeScorer::with_models(
                        &models,
                        size.width as usize,
                        size.height as usize,
                    )?,
                    keys: g.models.iter().map(|(k, _)| k.clone()).collect(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let extra_models: Vec<_> = devices.main_extra.iter().map(|(_, m)| *m).collect();
        let decoder = VideoDecoder::open(parameters, 1)
            .map_err(|e| Error::ffmpeg(format!("decoding {label}"), e))?;
        let upscaler = Resizer::new(display);
        Ok(Scorer {
            label: label.to_string(),
            decoder,
            upscaler,
            pending: VecDeque::new(),
            series: FrameSeries::default(),
            // Scored in the worker's own thread: the workers already keep every core busy.
            vmaf: vmaf
                .map(|v| {
                    VmafScorer::with_models(&v, &extra_models, display.width, display.height, 0)
                })
                .transpose()?,
            vmaf_every: vmaf.map_or(1, |v| v.subsample.max(1)),
            same_as_main: devices.same_as_main.clone(),
            main_extra: devices.main_extra.iter().map(|(k, _)| k.clone()).collect(),
            devices: views,
            ended: false,
        })
    }

    /// The next frame sent to the encoder will be scored against `reference`.
    pub fn expect(&mut self, reference: &Arc<Reference>) {
        self.pending.push_back(Arc::clone(reference));
    }

    /// Decode one of the encode's packets and score the frames that come back.
    pub fn decode(&mut self, packet: &Packet) -> Result<()> {
        self.decoder
            .send(packet)
            .map_err(|e| self.decode_error(e))?;
        self.drain_decoder()
    }

    /// Tell the decoder the packets have ended (once the encoder has given its last) and
    /// score the frames it still held.
    pub fn end(&mut self) -> Result<()> {
        if self.ended {
            return Ok(());
        }
        self.ended = true;
        self.decoder.send_eof().map_err(|e| self.decode_error(e))?;
        self.drain_decoder()
    }

    /// The position in the pass of the next frame to be scored; `None` when none will.
    pub fn next_back(&self) -> Option<usize> {
        if self.ended {
            return None;
        }
        self.pending.front().map(|r| r.position)
    }

    /// Every frame's scores, once the decoder has ended; `pass` is what the pass measured
    /// itself (the native VMAF engine's motion).
    pub fn finish(mut self, pass: &PassOutcome) -> Result<FrameSeries> {
        self.end()?;
        if !self.pending.is_empty() {
            return Err(Error::Internal(format!(
                "{}: {} frames were encoded but never decoded back",
                self.label,
                self.pending.len()
            )));
        }
        if let Some(v) = self.vmaf.take() {
            let mut scores = v.finish_all(&pass.motion2)?.into_iter();
            self.series.vmaf = scores.next().unwrap_or_default();
            self.series.vmaf_every = self.vmaf_every;
            for (key, s) in self.main_extra.iter().zip(scores) {
                self.series.devices.insert(key.clone(), s);
            }
            for key in &self.same_as_main {
                self.series
                    .devices
                    .insert(key.clone(), self.series.vmaf.clone());
            }
        }
        for d in std::mem::take(&mut self.devices) {
            let scores = d.scorer.finish_all(pass.motion2_at(d.view))?;
            for (key, s) in d.keys.into_iter().zip(scores) {
                self.series.devices.insert(key, s);
            }
        }
        Ok(self.series)
    }

    fn decode_error(&self, e: ffmpeg_next::Error) -> Error {
        Error::ffmpeg(format!("decoding {}", self.label), e)
    }

    fn drain_decoder(&mut self) -> Result<()> {
        while let Some(decoded) = self.decoder.receive().map_err(|e| self.decode_error(e))? {
            let reference = self.pending.pop_front().ok_or_else(|| {
                Error::Internal(format!(
                    "{}: the decoder returned more frames than were encoded",
                    self.label
                ))
            })?;
            let upscaled = self.upscaler.resize(&decoded)?;
            let distorted = upscaled.as_ref().unwrap_or(&decoded);
            self.series
                .push(&FrameScores::compare(&reference.frame, distorted));
            if let Some(v) = self.vmaf.as_mut() {
                v.push(
                    reference.position,
                    reference.vmaf_scored,
                    &reference.frame,
                    reference.vmaf(),
                    distorted,
                )?;
            }
            if reference.vmaf_scored {
                for d in &mut self.devices {
                    let (_, shared) = reference.at_display(d.view);
                    let shared = shared.ok_or_else(|| {
                        Error::Internal(format!(
                            "no VMAF reference at display {} for frame {}",
                            d.view, reference.position
                        ))
                    })?;
                    if d.view == 0 {
                        d.scorer
                            .push(reference.position, shared, Plane::of_frame(distorted, 0));
                        continue;
                    }
                    let resized = d.upscaler.resize(&decoded)?;
                    let at_size = resized.as_ref().unwrap_or(&decoded);
                    d.scorer
                        .push(reference.position, shared, Plane::of_frame(at_size, 0));
                    if let Some(buffer) = resized {
                        give_back(buffer);
                    }
                }
            }
            if let Some(buffer) = upscaled {
                give_back(buffer);
            }
        }
        Ok(())
    }
}

/// Resizes decoded frames to one size (bicubic) from the size each comes in: a stream may
/// change size at shot starts. One scaler per size met.
struct Resizer {
    to: Resolution,
    scalers: Vec<(Resolution, Scaler)>,
}

impl Resizer {
    fn new(to: Resolution) -> Self {
        Resizer {
            to,
            scalers: Vec::new(),
        }
    }

    /// `frame` resized, in the thread's frame of the size (give it back with
    /// [`give_back`] once scored); `None` when it has the size already.
    fn resize(&mut self, frame: &frame::Video) -> Result<Option<frame::Video>> {
        let from = Resolution::new(frame.width(), frame.height());
        if from == self.to {
            return Ok(None);
        }
        let i = match self.scalers.iter().position(|(size, _)| *size == from) {
            Some(i) => i,
            None => {
                let scaler = Scaler::new(from, self.to, Kernel::Bicubic)?;
                self.scalers.push((from, scaler));
                self.scalers.len() - 1
            }
        };
        let scaler = &mut self.scalers[i].1;
        let mut buffer = upscaled_frame(scaler);
        scaler.scale_into(frame, &mut buffer)?;
        Ok(Some(buffer))
    }
}

thread_local! {
    /// The frames decoded frames are upscaled into on this thread, one per display size,
    /// reused by every encode scored on it (a frame is scored before the next is upscaled),
    /// so that a pass holds one per thread and display rather than one per encode.
    static UPSCALED: std::cell::RefCell<Vec<frame::Video>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The thread's frame to upscale into with `scaler` (a new one if it holds none of the
/// scaler's output size); give it back with [`give_back`] once scored.
fn upscaled_frame(scaler: &Scaler) -> frame::Video {
    let size = scaler.output_size();
    let held = UPSCALED.with_borrow_mut(|frames| {
        let i = frames
            .iter()
            .position(|f| Resolution::new(f.width(), f.height()) == size)?;
        Some(frames.swap_remove(i))
    });
    held.unwrap_or_else(|| scaler.output_frame())
}

/// Keep `frame` for the thread's next upscale to its size.
fn give_back(frame: frame::Video) {
    UPSCALED.with_borrow_mut(|frames| frames.push(frame));
}

/// A sink of a pass that scores its encode, drained after the pass's last frame.
pub trait Drain: Send {
    /// Tell the encoder the frames have ended: the frames it holds come back through
    /// [`drain_to`](Self::drain_to) and the sink's own finish.
    fn end_frames(&mut self) -> Result<()>;

    /// The position in the pass of the next frame to come back from the encoder and be
    /// scored, once the frames have ended; `None` when none will (or nothing is scored).
    fn next_back(&self) -> Option<usize>;

    /// After [`end_frames`](Self::end_frames): take packets from the encoder until the
    /// frame at `position` is decoded back and scored (or the encoder and decoder are
    /// drained).
    fn drain_to(&mut self, position: usize) -> Result<()>;
}

/// End the frames of every sink of a pass and drain them in step, a frame at a time, so that
/// each source frame (and its VMAF reference work) is let go of by every sink together, as
/// during the pass.
pub fn drain_in_step<T: Drain>(sinks: &mut [T]) -> Result<()> {
    sinks.par_iter_mut().try_for_each(T::end_frames)?;
    while let Some(next) = sinks.iter().filter_map(T::next_back).min() {
        sinks.par_iter_mut().try_for_each(|t| t.drain_to(next))?;
    }
    Ok(())
}
