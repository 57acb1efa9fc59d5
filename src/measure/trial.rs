//! One trial point: encode at (resolution, CRF), decode the packets back, upscale to the source
//! size and compare with the source, frame by frame, as frames stream through.

use crate::encode::cputime::thread_cpu_time;
use crate::encode::encoder::{Encoder, EncoderSettings, RateControl};
use crate::encode::segment::{SegmentBits, Segmenter};
use crate::error::{Error, Result};
use crate::measure::metrics::vmaf::{VmafScorer, VmafSettings};
use crate::measure::metrics::{FrameScores, FrameSeries};
use crate::measure::source_pass::{FrameSink, PassOutcome, Reference};
use crate::source::decode::VideoDecoder;
use crate::source::frame_rate::FrameRate;
use crate::source::resolution::Resolution;
use crate::source::scale::{Kernel, Scaler};
use ffmpeg_next::frame;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Which encode a trial point is: a resolution and how the encoder spends bits there (a CRF for the
/// grid, a capped bitrate for a fixed reference ladder's rung).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrialSpec {
    /// The encoded size.
    pub resolution: Resolution,
    /// How the encoder spends bits: a CRF or a capped bitrate.
    pub rate: RateControl,
}

impl TrialSpec {
    /// A point of the CRF grid.
    pub fn crf(resolution: Resolution, crf: f64) -> Self {
        TrialSpec {
            resolution,
            rate: RateControl::Crf(crf),
        }
    }
}

impl fmt::Display for TrialSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}p {}", self.resolution.height, self.rate)
    }
}

/// What a trial point measured.
#[derive(Debug, Clone)]
pub struct TrialResult {
    /// The encode measured.
    pub spec: TrialSpec,
    /// Every frame's quality, measured at the display size (by default the source's).
    pub series: FrameSeries,
    /// Encoded size of each segment, in bits.
    pub segment_bits: Vec<u64>,
    /// CPU time spent inside the encoder (send + receive), not decoding or scoring.
    pub encode_cpu: Duration,
    /// RFC 6381 codecs string of the encode (from its sequence parameter set).
    pub codecs: String,
    /// Read from a result cache instead of measured in this run (`encode_cpu` is then the
    /// time the encode took when it was measured).
    pub from_cache: bool,
}

/// The streaming state of one trial point.
pub struct Trial {
    spec: TrialSpec,
    encoder: Encoder,
    decoder: VideoDecoder,
    /// Resizes decoded frames to the display size, into the thread's frame
    /// ([`UPSCALED`]).
    upscaler: Option<Scaler>,
    /// Source frames sent to the encoder whose decoded counterpart has not come back yet
    /// (the encoder's lookahead); shared with the other points of the pass.
    pending: VecDeque<Arc<Reference>>,
    segment_bits: SegmentBits,
    series: FrameSeries,
    vmaf: Option<VmafScorer>,
    /// Every this many frames is scored by VMAF.
    vmaf_every: u32,
    encode_cpu: Duration,
    /// The encoder has been told the frames ended.
    encoder_ended: bool,
    /// The encoder gave its last packet and the decoder was told the packets ended.
    decoder_ended: bool,
}

impl Trial {
    /// A trial whose decoded frames are scored at `display` size (upscaled bicubic).
    pub fn open(
        spec: TrialSpec,
        display: Resolution,
        rate: FrameRate,
        segmenter: Segmenter,
        settings: &EncoderSettings,
        vmaf: Option<VmafSettings>,
    ) -> Result<Self> {
        let encoder = Encoder::open(spec.resolution, rate, spec.rate, settings)?;
        let decoder = VideoDecoder::open(encoder.parameters(), 1)
            .map_err(|e| Error::ffmpeg(format!("decoding {}", encoder.label()), e))?;
        let upscaler = if spec.resolution == display {
            None
        } else {
            Some(Scaler::new(spec.resolution, display, Kernel::Bicubic)?)
        };
        Ok(Trial {
            spec,
            encoder,
            decoder,
            upscaler,
            pending: VecDeque::new(),
            segment_bits: SegmentBits::new(segmenter),
            series: FrameSeries::default(),
            // Scored in the worker's own thread: the workers already keep every core busy.
            vmaf: vmaf
                .map(|v| VmafScorer::new(&v, display.width, display.height, 0))
                .transpose()?,
            vmaf_every: vmaf.map_or(1, |v| v.subsample.max(1)),
            encode_cpu: Duration::ZERO,
            encoder_ended: false,
            decoder_ended: false,
        })
    }

    /// The encode this trial makes.
    pub fn spec(&self) -> TrialSpec {
        self.spec
    }

    /// Tell the encoder the frames have ended: the frames it holds come back through
    /// [`drain_to`](Self::drain_to) and [`finish`](Self::finish).
    pub fn end_frames(&mut self) -> Result<()> {
        if self.encoder_ended {
            return Ok(());
        }
        self.encoder_ended = true;
        // Some encoders (libvpx) encode all the frames they hold in the end-of-stream call.
        let t0 = thread_cpu_time();
        let flushed = self.encoder.send_eof();
        self.encode_cpu += thread_cpu_time().saturating_sub(t0);
        flushed
    }

    /// The position in the pass of the next frame to come back from the encoder and decoder,
    /// once the frames have ended ([`end_frames`](Self::end_frames)); `None` when none will.
    pub fn next_back(&self) -> Option<usize> {
        if self.decoder_ended {
            return None;
        }
        self.pending.front().map(|r| r.position)
    }

    /// After [`end_frames`](Self::end_frames): take packets from the encoder until the frame
    /// at `position` is decoded back and scored (or the encoder and decoder are drained).
    /// The points of a pass are drained in step so that the sources frames they hold, and
    /// their shared VMAF reference work, are let go of together, as during the pass.
    pub fn drain_to(&mut self, position: usize) -> Result<()> {
        while self.next_back().is_some_and(|p| p <= position) {
            if !self.drain_one_packet()? {
                self.end_decoder()?;
            }
        }
        Ok(())
    }

    /// Flush the encoder and decoder and return the measurements; `pass` is what the pass
    /// measured itself (the native VMAF engine's motion).
    pub fn finish(mut self, pass: &PassOutcome) -> Result<TrialResult> {
        self.end_frames()?;
        self.drain_encoder()?;
        self.end_decoder()?;
        self.encode_cpu += self.encoder.library_threads_cpu();
        if !self.pending.is_empty() {
            return Err(Error::Internal(format!(
                "{}: {} frames were encoded but never decoded back",
                self.encoder.label(),
                self.pending.len()
            )));
        }
        if let Some(v) = self.vmaf.take() {
            self.series.vmaf = v.finish(&pass.motion2)?;
            self.series.vmaf_every = self.vmaf_every;
        }
        Ok(TrialResult {
            spec: self.spec,
            series: self.series,
            segment_bits: self.segment_bits.into_bits(),
            encode_cpu: self.encode_cpu,
            codecs: self.encoder.codecs().unwrap_or_default(),
            from_cache: false,
        })
    }

    /// Codec parameters of the encode (SPS/PPS in the extradata).
    pub fn parameters(&self) -> ffmpeg_next::codec::Parameters {
        self.encoder.parameters()
    }

    fn decode_error(&self, e: ffmpeg_next::Error) -> Error {
        Error::ffmpeg(format!("decoding {}", self.encoder.label()), e)
    }

    /// Tell the decoder the packets have ended (once the encoder has given its last) and
    /// score the frames it still held.
    fn end_decoder(&mut self) -> Result<()> {
        if self.decoder_ended {
            return Ok(());
        }
        self.decoder_ended = true;
        self.decoder.send_eof().map_err(|e| self.decode_error(e))?;
        self.drain_decoder()
    }

    fn drain_encoder(&mut self) -> Result<()> {
        while self.drain_one_packet()? {}
        Ok(())
    }

    /// Take the encoder's next packet, if it has one, decode it and score the frames that
    /// come back; whether there was one.
    fn drain_one_packet(&mut self) -> Result<bool> {
        let t0 = thread_cpu_time();
        let packet = self.encoder.receive();
        self.encode_cpu += thread_cpu_time().saturating_sub(t0);
        let Some(packet) = packet? else {
            return Ok(false);
        };
        self.segment_bits.add(
            self.encoder.label(),
            packet.pts(),
            packet.is_key(),
            packet.size(),
        )?;
        self.decoder
            .send(&packet)
            .map_err(|e| self.decode_error(e))?;
        self.drain_decoder()?;
        Ok(true)
    }

    fn drain_decoder(&mut self) -> Result<()> {
        while let Some(decoded) = self.decoder.receive().map_err(|e| self.decode_error(e))? {
            let reference = self.pending.pop_front().ok_or_else(|| {
                Error::Internal(format!(
                    "{}: the decoder returned more frames than were encoded",
                    self.encoder.label()
                ))
            })?;
            let upscaled = match self.upscaler.as_mut() {
                Some(up) => {
                    let mut buffer = upscaled_frame(up);
                    up.scale_into(&decoded, &mut buffer)?;
                    Some(buffer)
                }
                None => None,
            };
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
            if let Some(buffer) = upscaled {
                UPSCALED.set(Some(buffer));
            }
        }
        Ok(())
    }
}

thread_local! {
    /// The frame decoded frames are upscaled into on this thread, reused by every point
    /// scored on it (a frame is scored before the next is upscaled), so that a pass holds one
    /// per thread rather than one per point.
    static UPSCALED: std::cell::Cell<Option<frame::Video>> = const { std::cell::Cell::new(None) };
}

/// The thread's frame to upscale into with `scaler` (a new one if it holds none of the
/// scaler's output size); give it back to [`UPSCALED`] once scored.
fn upscaled_frame(scaler: &Scaler) -> frame::Video {
    let size = scaler.output_size();
    match UPSCALED.take() {
        Some(f) if Resolution::new(f.width(), f.height()) == size => f,
        _ => scaler.output_frame(),
    }
}

impl FrameSink for Trial {
    fn resolution(&self) -> Resolution {
        self.spec.resolution
    }

    /// Encode the next frame; its decoded counterpart is scored against `reference` (the
    /// source frame at the display size).
    fn push(&mut self, reference: &Arc<Reference>, input: &frame::Video) -> Result<()> {
        self.pending.push_back(Arc::clone(reference));
        let t0 = thread_cpu_time();
        let sent = self.encoder.send(input);
        self.encode_cpu += thread_cpu_time().saturating_sub(t0);
        sent?;
        self.drain_encoder()
    }
}
