//! One trial point: encode at (resolution, CRF), decode the packets back, upscale to the source
//! size and compare with the source, frame by frame, as frames stream through.

use crate::encode::cputime::thread_cpu_time;
use crate::encode::encoder::{Encoder, EncoderSettings, RateControl, ShotRates};
use crate::encode::segment::{SegmentBits, Segmenter};
use crate::error::{Error, Result};
use crate::measure::devices::DevicePlan;
use crate::measure::metrics::FrameSeries;
use crate::measure::metrics::vmaf::VmafSettings;
use crate::measure::scorer::{Drain, Scorer};
use crate::measure::source_pass::{FrameSink, PassOutcome, Reference};
use crate::source::frame_rate::FrameRate;
use crate::source::resolution::Resolution;
use ffmpeg_next::frame;
use serde::{Deserialize, Serialize};
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
    /// Decodes the packets back and scores them against the source frames.
    scorer: Scorer,
    segment_bits: SegmentBits,
    encode_cpu: Duration,
    /// The encoder has been told the frames ended.
    encoder_ended: bool,
}

impl Trial {
    /// A trial whose decoded frames are scored at `display` size (upscaled bicubic), and
    /// for the device classes of `devices` at theirs. With `shots`, a shot-based encode
    /// (a fresh encoder at every shot start, at the shot's rate control; `spec.rate` is then
    /// the first shot's).
    #[allow(clippy::too_many_arguments)]
    pub fn open(
        spec: TrialSpec,
        display: Resolution,
        rate: FrameRate,
        segmenter: Segmenter,
        settings: &EncoderSettings,
        vmaf: Option<VmafSettings>,
        devices: &DevicePlan,
        shots: Option<&ShotRates>,
    ) -> Result<Self> {
        if shots.is_some_and(ShotRates::changes_size) {
            return Err(Error::Internal(format!(
                "a trial encode at {} whose shots change size",
                spec.resolution
            )));
        }
        let encoder = match shots {
            Some(s) => Encoder::open_per_shot(spec.resolution, rate, s, settings)?,
            None => Encoder::open(spec.resolution, rate, spec.rate, settings)?,
        };
        let scorer = Scorer::open(
            encoder.label(),
            encoder.parameters(),
            display,
            vmaf,
            devices,
        )?;
        Ok(Trial {
            spec,
            encoder,
            scorer,
            segment_bits: SegmentBits::new(segmenter),
            encode_cpu: Duration::ZERO,
            encoder_ended: false,
        })
    }

    /// The encode this trial makes.
    pub fn spec(&self) -> TrialSpec {
        self.spec
    }

    /// Flush the encoder and decoder and return the measurements; `pass` is what the pass
    /// measured itself (the native VMAF engine's motion).
    pub fn finish(mut self, pass: &PassOutcome) -> Result<TrialResult> {
        self.end_frames()?;
        while self.drain_one_packet()? {}
        self.encode_cpu += self.encoder.library_threads_cpu();
        let series = self.scorer.finish(pass)?;
        Ok(TrialResult {
            spec: self.spec,
            series,
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
        self.scorer.decode(&packet)?;
        Ok(true)
    }
}

impl Drain for Trial {
    fn end_frames(&mut self) -> Result<()> {
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

    fn next_back(&self) -> Option<usize> {
        self.scorer.next_back()
    }

    /// The points of a pass are drained in step so that the source frames they hold, and
    /// their shared VMAF reference work, are let go of together, as during the pass.
    fn drain_to(&mut self, position: usize) -> Result<()> {
        while self.next_back().is_some_and(|p| p <= position) {
            if !self.drain_one_packet()? {
                self.scorer.end()?;
            }
        }
        Ok(())
    }
}

impl FrameSink for Trial {
    fn resolution(&self) -> Resolution {
        self.spec.resolution
    }

    /// Encode the next frame; its decoded counterpart is scored against `reference` (the
    /// source frame at the display size).
    fn push(&mut self, reference: &Arc<Reference>, input: &frame::Video) -> Result<()> {
        self.scorer.expect(reference);
        let t0 = thread_cpu_time();
        let sent = self.encoder.send(input);
        self.encode_cpu += thread_cpu_time().saturating_sub(t0);
        sent?;
        while self.drain_one_packet()? {}
        Ok(())
    }
}
