//! Encodes that come before a point's measured encode, made in passes of their own over the
//! source, encoding only (nothing decoded back or scored):
//!
//! - the first pass of a two-pass reference rung ([`RateControl::TwoPass`]): its statistics
//!   go to a temporary directory the measured (second) pass reads;
//! - the CRF-only encode of a capped-CRF point ([`CapRule`]): its average bitrate sets the
//!   point's cap.
//!
//! [`measure_specs`] is `measure` with the first passes made first.

use crate::encode::encoder::{CapRule, Encoder, EncoderSettings, Pass, RateControl};
use crate::encode::segment::SegmentBits;
use crate::error::{Error, Result};
use crate::measure::source_pass::{self, FrameSink, Frames, Reference};
use crate::measure::trial::{TrialResult, TrialSpec};
use crate::measure::{MeasureOptions, bytes_per_trial_pixel, measure, plan_passes, unit_identity};
use crate::source::FrameReader;
use crate::source::resolution::Resolution;
use crate::util::progress::Progress;
use ffmpeg_next::frame;
use rayon::prelude::*;
use std::path::Path;
use std::sync::Arc;

/// An encoder whose packets are only counted.
struct EncodeOnly {
    resolution: Resolution,
    encoder: Encoder,
    bits: SegmentBits,
    frames: u64,
}

/// What an encode-only pass made of one spec.
pub(super) struct Counted {
    /// Bits of each segment.
    pub bits: Vec<u64>,
    /// Frames encoded.
    pub frames: u64,
}

impl EncodeOnly {
    fn drain(&mut self) -> Result<()> {
        while let Some(packet) = self.encoder.receive()? {
            self.bits.add(
                self.encoder.label(),
                packet.pts(),
                packet.is_key(),
                packet.size(),
            )?;
        }
        Ok(())
    }

    /// Flush the encoder (a first pass writes its statistics as it closes); the bits of each
    /// segment.
    fn finish(mut self) -> Result<Counted> {
        self.encoder.send_eof()?;
        self.drain()?;
        Ok(Counted {
            bits: self.bits.into_bits(),
            frames: self.frames,
        })
    }
}

impl FrameSink for EncodeOnly {
    fn resolution(&self) -> Resolution {
        self.resolution
    }

    fn push(&mut self, _reference: &Arc<Reference>, input: &frame::Video) -> Result<()> {
        self.encoder.send(input)?;
        self.frames += 1;
        self.drain()
    }
}

/// Encode `specs` over the frames `options` measures (the whole source or its sample), at
/// `options`' codec and preset, without decoding anything back: the first passes of two-pass
/// specs (`pass` [`Pass::First`], statistics into `options.pass_dir`), or plain encodes
/// (`Pass::Final`). Returns what each spec's encode came to, in the order of `specs`.
pub(super) fn encode_only(
    input: &Path,
    specs: &[TrialSpec],
    options: &MeasureOptions,
    pass: Pass,
    progress: &dyn Progress,
) -> Result<Vec<Counted>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs.max(1))
        .thread_name(|i| format!("pertitle-first-pass-{i}"))
        .build()
        .map_err(|e| Error::Threads(e.to_string()))?;
    let passes = plan_passes(
        specs,
        bytes_per_trial_pixel(options.codec),
        options.points_per_pass,
        options.memory_budget,
        0,
    );
    let mut out = Vec::with_capacity(specs.len());
    for range in passes {
        let chunk = &specs[range];
        let done = out.len();
        let bits =
            pool.install(|| encode_pass(input, chunk, options, pass, done, specs.len(), progress))?;
        out.extend(bits);
        progress.pass_finished(out.len(), specs.len());
    }
    Ok(out)
}

fn encode_pass(
    input: &Path,
    specs: &[TrialSpec],
    options: &MeasureOptions,
    pass: Pass,
    done: usize,
    total: usize,
    progress: &dyn Progress,
) -> Result<Vec<Counted>> {
    let reader = FrameReader::open(input, 0)?;
    let rate = reader.frame_rate();
    let frames = match &options.sample {
        Some(sample) => Frames::Sample(sample),
        None => Frames::All(options.segmenter(rate)),
    };
    let segmenter = frames.segmenter();
    // The same settings as the measured encodes (`measure`'s passes).
    let mut settings = EncoderSettings::for_segments(options.codec, &options.preset, &segmenter)?;
    settings.pass_dir = options.pass_dir.clone();
    let mut sinks: Vec<EncodeOnly> = specs
        .par_iter()
        .map(|spec| {
            let encoder = match pass {
                Pass::First => {
                    Encoder::open_first_pass(spec.resolution, rate, spec.rate, &settings)
                }
                Pass::Final => Encoder::open(spec.resolution, rate, spec.rate, &settings),
            }?;
            Ok(EncodeOnly {
                resolution: spec.resolution,
                encoder,
                bits: SegmentBits::new(segmenter.clone()),
                frames: 0,
            })
        })
        .collect::<Result<_>>()?;
    let expected = match &options.sample {
        Some(sample) => sample.frames(),
        None => reader.expected_frames().unwrap_or(0),
    };
    progress.pass_started(specs, done, total, expected);
    source_pass::run(reader, &mut sinks, None, frames, None, &|| progress.frame())?;
    sinks.into_par_iter().map(EncodeOnly::finish).collect()
}

/// [`measure`] `specs`, after the first passes of the two-pass ones that are not in the
/// cache already (their statistics in a temporary directory, removed once measured).
pub(super) fn measure_specs(
    input: &Path,
    specs: &[TrialSpec],
    options: &MeasureOptions,
    progress: &dyn Progress,
) -> Result<Vec<TrialResult>> {
    let cached = |spec: TrialSpec| {
        let (Some(cache), Some(display)) = (&options.cache, options.display) else {
            return false;
        };
        cache
            .get(&unit_identity(cache, spec, options, display))
            .is_some()
    };
    let first: Vec<TrialSpec> = specs
        .iter()
        .copied()
        .filter(|s| s.rate.needs_first_pass() && !cached(*s))
        .collect();
    if first.is_empty() || options.cache_only {
        return measure(input, specs, options, progress);
    }
    let dir = tempfile::Builder::new()
        .prefix("pertitle-two-pass.")
        .tempdir()
        .map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let options = MeasureOptions {
        pass_dir: Some(dir.path().to_path_buf()),
        ..options.clone()
    };
    encode_only(input, &first, &options, Pass::First, progress)?;
    let results = measure(input, specs, &options, progress);
    let path = dir.path().to_path_buf();
    dir.close().map_err(|e| Error::io(path, e))?;
    results
}

/// The capped-CRF encodes of the CRF points `specs` under `rule`: each point's cap comes from
/// the average bitrate of its CRF-only encode, made here (encode only) over the frames
/// `options` measures.
pub(super) fn capped_specs(
    input: &Path,
    specs: &[TrialSpec],
    options: &MeasureOptions,
    rule: CapRule,
    progress: &dyn Progress,
) -> Result<Vec<TrialSpec>> {
    let counted = encode_only(input, specs, options, Pass::Final, progress)?;
    let rate = FrameReader::open(input, 0)?.frame_rate();
    specs
        .iter()
        .zip(counted)
        .map(|(spec, counted)| {
            let RateControl::Crf(crf) = spec.rate else {
                return Err(Error::Internal(format!(
                    "{spec}: capped CRF of a point that is not plain CRF"
                )));
            };
            let seconds = rate.duration_of(counted.frames);
            if counted.frames == 0 || seconds <= 0.0 {
                return Err(Error::NoFrames {
                    path: input.to_path_buf(),
                });
            }
            let crf_only_kbps = counted.bits.iter().sum::<u64>() as f64 / seconds / 1000.0;
            Ok(TrialSpec {
                resolution: spec.resolution,
                rate: rule.cap(crf, crf_only_kbps),
            })
        })
        .collect()
}
