//! Each rung's encode of the frame's segment, made again from a warm-up point, decoded back
//! and upscaled to the display size (see the parent module on why it starts earlier).

use super::*;

/// One rung's encode of the segment, decoded back and upscaled to the display size, keeping
/// the frame wanted.
pub(super) struct RungShot {
    resolution: Resolution,
    encoder: Encoder,
    decoder: VideoDecoder,
    upscaler: Option<Scaler>,
    /// The first frame of the frame's segment.
    first: u64,
    /// The end of the frame's segment (exclusive).
    end: u64,
    wanted: u64,
    /// Packets from the segment's keyframe on go to the decoder, which has returned
    /// `decoded` frames.
    decoding: bool,
    decoded: u64,
    /// A packet of a frame after the segment has come out.
    past_segment: bool,
    bits: u64,
    picture: Option<frame::Video>,
    reference: Option<Arc<frame::Video>>,
}

impl RungShot {
    /// Whether the encode is done with: the frame is decoded and the segment's last packet
    /// is out (the next segment's keyframe has come, and GOPs are closed). The frames after
    /// that changed the segment through the encoder's look-ahead; no later one can.
    pub(super) fn done(&self) -> bool {
        self.picture.is_some() && self.past_segment
    }

    pub(super) fn drain(&mut self) -> Result<()> {
        while let Some(packet) = self.encoder.receive()? {
            let pts = packet.pts().unwrap_or(i64::MIN);
            if (self.first as i64..self.end as i64).contains(&pts) {
                self.bits += packet.size() as u64 * 8;
            }
            self.past_segment |= pts >= self.end as i64;
            // Only the segment is decoded: from its keyframe (its closed GOP needs nothing
            // before it) to the wanted frame.
            self.decoding |= packet.is_key() && pts == self.first as i64;
            if self.decoding && self.picture.is_none() {
                self.decoder
                    .send(&packet)
                    .map_err(|e| Error::ffmpeg(format!("decoding {}", self.encoder.label()), e))?;
                self.take_decoded()?;
            }
        }
        Ok(())
    }

    pub(super) fn take_decoded(&mut self) -> Result<()> {
        while let Some(f) = self
            .decoder
            .receive()
            .map_err(|e| Error::ffmpeg(format!("decoding {}", self.encoder.label()), e))?
        {
            if self.first + self.decoded == self.wanted {
                self.picture = Some(match self.upscaler.as_mut() {
                    Some(s) => s.scale(&f)?,
                    None => f,
                });
            }
            self.decoded += 1;
        }
        Ok(())
    }

    pub(super) fn finish(mut self) -> Result<(frame::Video, Option<Arc<frame::Video>>, u64)> {
        if !self.done() {
            self.encoder.send_eof()?;
            self.drain()?;
        }
        if self.picture.is_none() {
            self.decoder
                .send_eof()
                .map_err(|e| Error::ffmpeg(format!("decoding {}", self.encoder.label()), e))?;
            self.take_decoded()?;
        }
        let picture = self.picture.ok_or_else(|| {
            Error::Internal(format!(
                "{}: frame {} never came back from the decoder ({} decoded)",
                self.encoder.label(),
                self.wanted,
                self.decoded
            ))
        })?;
        Ok((picture, self.reference, self.bits))
    }
}

impl FrameSink for RungShot {
    fn resolution(&self) -> Resolution {
        self.resolution
    }

    fn push(&mut self, reference: &Arc<Reference>, input: &frame::Video) -> Result<()> {
        if input.pts() == Some(self.wanted as i64) {
            self.reference = Some(Arc::clone(&reference.frame));
        }
        if self.done() {
            return Ok(());
        }
        self.encoder.send(input)?;
        self.drain()
    }
}

/// The frame's segment, and the frames encoded around it.
pub(super) struct Span {
    segmenter: Segmenter,
    wanted: u64,
    /// The frame's segment and its frames `first..end`.
    pub(super) segment: u64,
    pub(super) first: u64,
    pub(super) end: u64,
    /// The frames encoded, `start..stop` (segment starts, or the source's end).
    pub(super) start: u64,
    pub(super) stop: u64,
    /// In a shot-based run, the frame's shot (index into the manifest's shots): the span is
    /// that shot, whose encode depends on its own frames only (a fresh encoder at every shot
    /// start).
    pub(super) shot: Option<usize>,
}

impl Span {
    /// The span `codec`'s encodes need for frame `wanted` of `m`'s source.
    pub(super) fn around(m: &Manifest, codec: Codec, wanted: u64) -> Span {
        let rate = m.source.frame_rate;
        let segmenter = m.segmenter();
        let segment = segmenter.segment_of(wanted);
        let first = segmenter.first_frame(segment);
        let end = segmenter.first_frame(segment + 1).min(m.source.frames);
        let in_shot = m.shots.as_ref().and_then(|list| {
            let k = list
                .shots
                .iter()
                .position(|s| s.start_frame <= wanted && wanted < s.end_frame())?;
            Some((k, list.shots[k]))
        });
        if let Some((k, shot)) = in_shot {
            return Span {
                segmenter,
                wanted,
                segment,
                first,
                end,
                start: shot.start_frame,
                stop: shot.end_frame(),
                shot: Some(k),
            };
        }
        // An encoder made anew at every segment start needs neither.
        let warm_up = if crate::encode::encoder::restarts_per_segment(codec, RateControl::Crf(0.0))
        {
            0
        } else {
            rate.first_frame_at_ms((WARM_UP_SECONDS * 1000.0) as u64)
        };
        let start_segment = (0..=segment)
            .rev()
            .find(|&k| first - segmenter.first_frame(k) >= warm_up)
            .unwrap_or(0);
        let start = segmenter.first_frame(start_segment);
        // And on past it, as far: encoders look ahead (frame types, x264's macroblock tree), so
        // the frames after a segment change its encode.
        let stop = (segment + 1..=segmenter.count(m.source.frames))
            .map(|k| segmenter.first_frame(k).min(m.source.frames))
            .find(|&f| f >= end && (f - end >= warm_up || f == m.source.frames))
            .unwrap_or(m.source.frames);
        Span {
            segmenter,
            wanted,
            segment,
            first,
            end,
            start,
            stop,
            shot: None,
        }
    }
}

impl RungShot {
    /// Rung `r`'s encoder (at `rate_control`, as the ladder encodes it), decoder and upscaler
    /// to the display size, for `span`.
    pub(super) fn open(
        r: &Rung,
        rate_control: RateControl,
        rate: FrameRate,
        settings: &EncoderSettings,
        display: Resolution,
        span: &Span,
    ) -> Result<RungShot> {
        // A shot rung's shot may have its own size (--shot-resolution free).
        let resolution = match span.shot.and_then(|k| r.shots.get(k)) {
            Some(s) => Resolution::new(s.width, s.height),
            None => Resolution::new(r.width, r.height),
        };
        let encoder = match span.shot {
            // The shot's encode, as a shot-based run makes it: a fresh encoder for it.
            Some(_) => Encoder::open_per_shot(
                resolution,
                rate,
                &ShotRates::new(vec![0], vec![rate_control])?,
                settings,
            )?,
            None => Encoder::open(resolution, rate, rate_control, settings)?,
        };
        let decoder = VideoDecoder::open(encoder.parameters(), 1)
            .map_err(|e| Error::ffmpeg(format!("decoding {}", encoder.label()), e))?;
        Ok(RungShot {
            resolution,
            upscaler: (resolution != display)
                .then(|| Scaler::new(resolution, display, Kernel::Bicubic))
                .transpose()?,
            encoder,
            decoder,
            first: span.first,
            end: span.end,
            wanted: span.wanted,
            decoding: false,
            decoded: 0,
            past_segment: false,
            bits: 0,
            picture: None,
            reference: None,
        })
    }
}

/// Encode `span` of `source` at every rung of `ladder`, in one pass over the source.
pub(super) fn encode_span(
    m: &Manifest,
    ladder: &CodecLadder,
    source: &Path,
    span: &Span,
    progress: &dyn Progress,
) -> Result<Vec<RungShot>> {
    let rate = m.source.frame_rate;
    let display = m.settings.display;
    let settings = EncoderSettings::for_segments(ladder.codec, &ladder.preset, &span.segmenter)?;
    let mut shots: Vec<RungShot> = ladder
        .rungs
        .iter()
        .map(|r| {
            let rate_control = match span.shot.and_then(|k| r.shots.get(k)) {
                Some(s) => RateControl::Crf(s.crf),
                None => ladder.rung_rate_control(r),
            };
            RungShot::open(r, rate_control, rate, &settings, display, span)
        })
        .collect::<Result<_>>()?;
    let reader = FrameReader::open(source, 0)?;
    let specs: Vec<TrialSpec> = ladder
        .rungs
        .iter()
        .map(|r| TrialSpec::crf(Resolution::new(r.width, r.height), r.crf))
        .collect();
    let (start, stop) = (span.start, span.stop);
    progress.pass_started(&specs, 0, specs.len(), stop - start);
    let read = std::sync::atomic::AtomicU64::new(0);
    source_pass::run(
        reader,
        &mut shots,
        Some(display),
        source_pass::Frames::Span(span.segmenter.clone(), start, stop),
        None,
        &|| {
            read.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            progress.frame();
        },
    )?;
    let read = read.into_inner();
    if read < stop - start {
        return Err(Error::Truncated {
            path: source.to_path_buf(),
            expected: m.source.frames,
            found: start + read,
        });
    }
    progress.pass_finished(specs.len(), specs.len());
    Ok(shots)
}

/// A rung's frame, decoded back at the display size, and the bits of its segment.
pub(super) type Decoded = (frame::Video, u64);

/// Finish every rung's encode: the source's frame `wanted`, and each rung's frame with its
/// segment's bits.
pub(super) fn finish_shots(
    m: &Manifest,
    source: &Path,
    wanted: u64,
    shots: Vec<RungShot>,
) -> Result<(Arc<frame::Video>, Vec<Decoded>)> {
    // Flushing an encoder encodes the frames its look-ahead holds: one rung per core.
    let finished: Vec<_> = shots
        .into_par_iter()
        .map(RungShot::finish)
        .collect::<Result<_>>()?;
    let mut reference: Option<Arc<frame::Video>> = None;
    let mut decoded: Vec<Decoded> = Vec::with_capacity(finished.len());
    for (picture, r, bits) in finished {
        reference = reference.or(r);
        decoded.push((picture, bits));
    }
    let reference = reference.ok_or_else(|| Error::Truncated {
        path: source.to_path_buf(),
        expected: m.source.frames,
        found: wanted,
    })?;
    Ok((reference, decoded))
}
