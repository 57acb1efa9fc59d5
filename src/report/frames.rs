//! One frame at every rung: the source frame and each rung's encode of it, upscaled to the
//! display size, and a strip of zoomed crops of the region where they differ most, so
//! compression artefacts show at a glance (the `frames` command, and the report's strip).
//!
//! Trial encodes are not kept, so each rung's encode of the frame's segment is made again,
//! at the rung's size and CRF with the ladder's codec and preset, from the source resized as
//! the trials resized it. Every segment opens a closed GOP, so the frame depends on no other
//! segment's pictures, but an encoder's rate control carries state across segments (x264
//! sets a keyframe's quantizer from the P frames before it). So the encode starts
//! [`WARM_UP_SECONDS`] or more earlier, at a segment start (or at the first frame, which
//! makes it the trial encode exactly), and only the frame's segment is kept.

use crate::encode::codec::Codec;
use crate::encode::encoder::{Encoder, EncoderSettings, RateControl};
use crate::encode::segment::Segmenter;
use crate::error::{Error, Result, Setting};
use crate::manifest::{CodecLadder, Manifest};
use crate::measure::metrics::{FrameScores, Plane};
use crate::measure::point::{Metric, Rung, round};
use crate::measure::source_pass::{self, FrameSink, Reference};
use crate::measure::trial::TrialSpec;
use crate::report::picture::compose::{self, Rect, Tile};
use crate::report::picture::rgb::{Colour, to_rgb};
use crate::source::FrameReader;
use crate::source::decode::VideoDecoder;
use crate::source::frame_rate::FrameRate;
use crate::source::resolution::Resolution;
use crate::source::scale::{Kernel, Scaler};
use crate::util::progress::Progress;
use ffmpeg_next::frame;
use image::{Rgb, RgbImage};
use rayon::prelude::*;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// At least this much of the source before the frame's segment is encoded too (from a segment
/// start), so that the encoder's state reaches the segment as in the whole encode.
pub const WARM_UP_SECONDS: f64 = 4.0;

/// The file that lists the pictures.
pub const FRAMES_JSON: &str = "frames.json";
/// The source frame's full-size picture.
pub const SOURCE_PNG: &str = "source.png";
/// The strip of zoomed crops, source and every rung.
pub const STRIP_PNG: &str = "strip.png";

/// What to picture.
#[derive(Debug, Clone)]
pub struct FramesOptions {
    /// The time of the frame, seconds (the frame starting nearest it); `None`: the frame
    /// where the top rung's quality is lowest.
    pub at: Option<f64>,
    /// The ladder of this codec; `None`: the first.
    pub codec: Option<Codec>,
    /// The source; `None`: the path the ladder records.
    pub source: Option<PathBuf>,
    /// Enlargement of the crops (nearest neighbour).
    pub zoom: u32,
    /// TrueType font for the strip's labels.
    pub font: PathBuf,
}

impl Default for FramesOptions {
    fn default() -> Self {
        FramesOptions {
            at: None,
            codec: None,
            source: None,
            zoom: 2,
            font: PathBuf::from(crate::report::picture::text::DEFAULT_FONT),
        }
    }
}

/// One rung's picture, as `frames.json` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct RungFrame {
    /// 1 for the lowest rung.
    pub rung: usize,
    /// Frame width, pixels.
    pub width: u32,
    /// Frame height, pixels.
    pub height: u32,
    /// The constant-quality value of the rung.
    pub crf: f64,
    /// The rung's average bitrate over the whole source, kbit/s (from ladder.json).
    pub bitrate_kbps: f64,
    /// The rung's mean quality over the whole source (ladder.json's metric).
    pub quality: f64,
    /// Bits of the segment's encode made here, and (for a measured rung) what the trial
    /// encode's segment had: equal when the encode ran from the source's first frame, and
    /// usually within a fraction of a percent otherwise (state older than the warm-up fades
    /// but does not vanish).
    pub segment_bits: u64,
    /// The segment's size in the rung's trial encode, bits (absent for interpolated rungs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trial_segment_bits: Option<u64>,
    /// This frame's luma PSNR (dB) against the source, at the display size.
    pub frame_psnr_y: f64,
    /// This frame's luma SSIM against the source, at the display size.
    pub frame_ssim_y: f64,
    /// Its full-size picture, relative to the output directory.
    pub file: String,
}

/// `frames.json`.
#[derive(Debug, Clone, Serialize)]
pub struct FramesReport {
    /// The source video.
    pub source: PathBuf,
    /// The codec of the pictured ladder.
    pub codec: Codec,
    /// The preset of the re-encodes.
    pub preset: String,
    /// The frame's index in display order (from 0) and its start time.
    pub frame: u64,
    /// When the frame starts, seconds.
    pub time_s: f64,
    /// Why this frame.
    pub chosen: String,
    /// The frame's segment: its index and frames `first..end`; the encodes ran from
    /// `encoded_from_frame` to `encoded_end_frame` (segment starts, or the source's end).
    pub segment: u64,
    /// The segment's first frame.
    pub segment_first_frame: u64,
    /// The frame after the segment's last.
    pub segment_end_frame: u64,
    /// The first frame encoded (the warm-up starts there).
    pub encoded_from_frame: u64,
    /// The frame after the last one encoded.
    pub encoded_end_frame: u64,
    /// Size of every full picture (the ladder's display size).
    pub display: Resolution,
    /// The metric the rungs' mean quality is given in.
    pub quality_metric: Metric,
    /// The region of the crops, in display pixels, and their enlargement.
    pub crop: Rect,
    /// How much the strip's crops are enlarged (nearest neighbour).
    pub zoom: u32,
    /// The source's full-size picture, relative to the output directory.
    pub source_file: String,
    /// Every rung, lowest first.
    pub rungs: Vec<RungFrame>,
    /// The strip, relative to the output directory.
    pub strip_file: String,
}

/// The pictures of one frame, in memory.
pub struct Snapshot {
    /// What the pictures show.
    pub report: FramesReport,
    /// The source frame at the display size.
    pub source: RgbImage,
    /// Each rung's frame at the display size, lowest rung first.
    pub rungs: Vec<RgbImage>,
    /// The strip of zoomed crops.
    pub strip: RgbImage,
}

impl Snapshot {
    /// Write every picture and `frames.json` into `out` (created if missing). Files that
    /// would land on `inputs` are refused.
    pub fn write(&self, out: &Path, inputs: &[&Path]) -> Result<()> {
        let mut pictures: Vec<(&str, &RgbImage)> = vec![
            (&self.report.source_file, &self.source),
            (&self.report.strip_file, &self.strip),
        ];
        pictures.extend(
            self.report
                .rungs
                .iter()
                .map(|r| r.file.as_str())
                .zip(&self.rungs),
        );
        for name in pictures.iter().map(|p| p.0).chain([FRAMES_JSON]) {
            crate::util::overwrite::refuse_input_overwrite(&out.join(name), inputs, false)?;
        }
        // PNG compression is the slow part: one picture per core.
        let files: Vec<(String, Vec<u8>)> = pictures
            .par_iter()
            .map(|(name, picture)| Ok((name.to_string(), compose::png(picture)?)))
            .collect::<Result<_>>()?;
        let json = serde_json::to_vec_pretty(&self.report).map_err(|cause| Error::Serialize {
            what: FRAMES_JSON.into(),
            cause,
        })?;
        crate::util::atomic::write_listed(
            out,
            ".pertitle-frames-",
            &files,
            (FRAMES_JSON, &json),
            listed_pictures,
        )
    }
}

/// The pictures a `frames.json` lists.
fn listed_pictures(json: &[u8]) -> Vec<String> {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(json) else {
        return Vec::new();
    };
    let name = |x: &serde_json::Value| x.as_str().map(str::to_string);
    let mut names: Vec<String> = [&v["source_file"], &v["strip_file"]]
        .into_iter()
        .filter_map(name)
        .collect();
    if let Some(rungs) = v["rungs"].as_array() {
        names.extend(rungs.iter().filter_map(|r| name(&r["file"])));
    }
    names
}

/// The frame `options` asks for, and why: the frame starting nearest `at`, or the frame
/// where the top rung's quality is lowest.
fn choose_frame(m: &Manifest, ladder: &CodecLadder, at: Option<f64>) -> Result<(u64, String)> {
    let frames = m.source.frames;
    let rate = m.source.frame_rate;
    if let Some(t) = at {
        if !(t.is_finite() && t >= 0.0) {
            return Err(Error::setting(
                Setting::FrameTime,
                format!("{t}: a time of at least 0 seconds"),
            ));
        }
        let index = (t * rate.fps()).round() as u64;
        if index >= frames {
            return Err(Error::setting(
                Setting::FrameTime,
                format!(
                    "{t}: the source lasts {} s ({frames} frames)",
                    m.source.duration_s
                ),
            ));
        }
        return Ok((index, format!("the frame starting nearest {t} s")));
    }
    let metric = m.settings.metric;
    let top = ladder.rungs.last().ok_or(Error::EmptyLadder {
        codec: Some(ladder.codec),
    })?;
    let field = metric.field();
    if let Some(pooled) = top.pooling.get(field)
        && let Some(index) = pooled.min_frame.filter(|&i| i < frames)
    {
        return Ok((
            index,
            format!(
                "the top rung's lowest {field} ({:.4}{})",
                pooled.min,
                if top.interpolated {
                    ", at its lower measured point"
                } else {
                    ""
                }
            ),
        ));
    }
    // A ladder.json without worst frames: the middle of the top rung's worst segment.
    let segmenter = Segmenter::new(rate, m.settings.segment_seconds);
    let means = top.segment_means.get(field).cloned().unwrap_or_default();
    let worst = means
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(k, _)| k as u64);
    let first = segmenter.first_frame(worst);
    let end = segmenter.first_frame(worst + 1).min(frames);
    Ok((
        (first + end.saturating_sub(1)) / 2,
        format!("the middle of the top rung's lowest-{field} segment"),
    ))
}

/// One rung's encode of the segment, decoded back and upscaled to the display size, keeping
/// the frame wanted.
struct RungShot {
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
    fn done(&self) -> bool {
        self.picture.is_some() && self.past_segment
    }

    fn drain(&mut self) -> Result<()> {
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

    fn take_decoded(&mut self) -> Result<()> {
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

    fn finish(mut self) -> Result<(frame::Video, Option<Arc<frame::Video>>, u64)> {
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

/// The widest crop, display pixels (so a strip of a 4K ladder stays a few thousand pixels
/// wide).
pub const MAX_CROP_WIDTH: u32 = 320;

/// The crop's size: a quarter of the display's width (at most [`MAX_CROP_WIDTH`]) and the
/// height of the display's shape, both even.
fn crop_size(display: Resolution) -> (usize, usize) {
    let w = (display.width / 4).min(MAX_CROP_WIDTH);
    let h = (u64::from(w) * u64::from(display.height) / u64::from(display.width.max(1))) as u32;
    let even = |v: u32| (v & !1).max(2) as usize;
    (even(w), even(h))
}

/// Picture one frame of `manifest`'s ladder at every rung, reporting the encodes' frames to
/// `progress`.
pub fn snapshot(
    manifest: &Manifest,
    options: &FramesOptions,
    progress: &dyn Progress,
) -> Result<Snapshot> {
    let m = manifest;
    let ladder = pick_ladder(m, options.codec)?;
    let (wanted, chosen) = choose_frame(m, ladder, options.at)?;
    let source = options
        .source
        .clone()
        .unwrap_or_else(|| m.source.path.clone());
    m.check_source(&source)?;
    let span = Span::around(m, ladder.codec, wanted);
    let shots = encode_span(m, ladder, &source, &span, progress)?;
    let (reference, decoded) = finish_shots(m, &source, wanted, shots)?;
    // The colour the source states (carried through resizing).
    let colour = Colour::of(&reference);
    let display = m.settings.display;
    let crop = most_different(display, &reference, &decoded);
    let source_rgb = to_rgb(&reference, colour);
    let (rungs, pictures) = rung_frames(m, ladder, span.segment, &reference, &decoded, colour);
    let report = FramesReport {
        source,
        codec: ladder.codec,
        preset: ladder.preset.clone(),
        frame: wanted,
        time_s: round(m.source.frame_rate.duration_of(wanted), 6),
        chosen,
        segment: span.segment,
        segment_first_frame: span.first,
        segment_end_frame: span.end,
        encoded_from_frame: span.start,
        encoded_end_frame: span.stop,
        display,
        quality_metric: m.settings.metric,
        crop,
        zoom: options.zoom.clamp(1, 16),
        source_file: SOURCE_PNG.into(),
        rungs,
        strip_file: STRIP_PNG.into(),
    };
    let strip = strip(m, &report, &source_rgb, &pictures, &options.font)?;
    Ok(Snapshot {
        report,
        source: source_rgb,
        rungs: pictures,
        strip,
    })
}

/// The ladder of `codec` (`None`: the first), which must have rungs.
fn pick_ladder(m: &Manifest, codec: Option<Codec>) -> Result<&CodecLadder> {
    let ladder = match codec {
        Some(c) => m.ladder(c).ok_or_else(|| Error::NoLadder {
            codec: Some(c),
            available: m.codecs(),
        })?,
        None => m.ladders.first().ok_or(Error::NoLadder {
            codec: None,
            available: Vec::new(),
        })?,
    };
    if ladder.rungs.is_empty() {
        return Err(Error::EmptyLadder {
            codec: Some(ladder.codec),
        });
    }
    Ok(ladder)
}

/// The frame's segment, and the frames encoded around it.
struct Span {
    segmenter: Segmenter,
    wanted: u64,
    /// The frame's segment and its frames `first..end`.
    segment: u64,
    first: u64,
    end: u64,
    /// The frames encoded, `start..stop` (segment starts, or the source's end).
    start: u64,
    stop: u64,
}

impl Span {
    /// The span `codec`'s encodes need for frame `wanted` of `m`'s source.
    fn around(m: &Manifest, codec: Codec, wanted: u64) -> Span {
        let rate = m.source.frame_rate;
        let segmenter = Segmenter::new(rate, m.settings.segment_seconds);
        let segment = segmenter.segment_of(wanted);
        let first = segmenter.first_frame(segment);
        let end = segmenter.first_frame(segment + 1).min(m.source.frames);
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
        }
    }
}

impl RungShot {
    /// Rung `r`'s encoder, decoder and upscaler to the display size, for `span`.
    fn open(
        r: &Rung,
        rate: FrameRate,
        settings: &EncoderSettings,
        display: Resolution,
        span: &Span,
    ) -> Result<RungShot> {
        let resolution = Resolution::new(r.width, r.height);
        let encoder = Encoder::open(resolution, rate, RateControl::Crf(r.crf), settings)?;
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
fn encode_span(
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
        .map(|r| RungShot::open(r, rate, &settings, display, span))
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
        source_pass::Frames::Span(span.segmenter, start, stop),
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
type Decoded = (frame::Video, u64);

/// Finish every rung's encode: the source's frame `wanted`, and each rung's frame with its
/// segment's bits.
fn finish_shots(
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

/// The region where the pictures' luma differ most.
fn most_different(display: Resolution, reference: &frame::Video, decoded: &[Decoded]) -> Rect {
    let (cw, ch) = crop_size(display);
    let planes: Vec<Plane<'_>> = std::iter::once(reference)
        .chain(decoded.iter().map(|(f, _)| f))
        .map(|f| Plane::of_frame(f, 0))
        .collect();
    compose::most_different(&planes, cw, ch)
}

/// Every rung's scores and picture, in parallel.
fn rung_frames(
    m: &Manifest,
    ladder: &CodecLadder,
    segment: u64,
    reference: &frame::Video,
    decoded: &[Decoded],
    colour: Colour,
) -> (Vec<RungFrame>, Vec<RgbImage>) {
    let metric = m.settings.metric;
    decoded
        .par_iter()
        .zip(&ladder.rungs)
        .enumerate()
        .map(|(i, ((picture, bits), r))| {
            let scores = FrameScores::compare(reference, picture);
            let listed = RungFrame {
                rung: i + 1,
                width: r.width,
                height: r.height,
                crf: r.crf,
                bitrate_kbps: r.bitrate_kbps,
                quality: metric.of(r),
                segment_bits: *bits,
                trial_segment_bits: r.segment_sizes_bits.get(segment as usize).copied(),
                frame_psnr_y: round(scores.psnr[0], 4),
                frame_ssim_y: round(scores.ssim_y, 6),
                file: format!("rung{}_{}p.png", i + 1, r.height),
            };
            (listed, to_rgb(picture, colour))
        })
        .unzip()
}

/// The strip: the whole source frame with the crop marked, then the crop of the source
/// and of every rung, enlarged.
fn strip(
    m: &Manifest,
    report: &FramesReport,
    source_rgb: &RgbImage,
    pictures: &[RgbImage],
    font: &Path,
) -> Result<RgbImage> {
    let (crop, zoom) = (report.crop, report.zoom);
    let mut tiles = vec![
        overview_tile(m, report, source_rgb),
        Tile {
            picture: compose::zoom(&compose::crop(source_rgb, crop), zoom),
            label: vec![
                format!("source {}x{}", m.source.width, m.source.height),
                format!("{} {}", report.codec, report.preset),
                format!(
                    "segment {}: frames {}..{}",
                    report.segment,
                    report.segment_first_frame,
                    report.segment_end_frame - 1
                ),
            ],
        },
    ];
    let metric = report.quality_metric;
    let qd = if metric == Metric::Ssim { 4 } else { 2 };
    for (r, picture) in report.rungs.iter().zip(pictures) {
        tiles.push(Tile {
            picture: compose::zoom(&compose::crop(picture, crop), zoom),
            label: vec![
                format!("rung {}: {}x{}, CRF {}", r.rung, r.width, r.height, r.crf),
                format!(
                    "{:.0} kbit/s, {} {:.qd$}",
                    r.bitrate_kbps,
                    metric.field(),
                    r.quality
                ),
                format!(
                    "this frame: PSNR-Y {:.2} dB, SSIM {:.4}",
                    r.frame_psnr_y, r.frame_ssim_y
                ),
            ],
        });
    }
    // Rows of at most five tiles, as even as they come.
    let rows = tiles.len().div_ceil(5);
    let columns = tiles.len().div_ceil(rows);
    compose::grid(&tiles, columns, font)
}

/// The strip's first tile: the whole source frame, fitted to a tile, with the crop marked.
fn overview_tile(m: &Manifest, report: &FramesReport, source_rgb: &RgbImage) -> Tile {
    let (display, crop, zoom, wanted) = (report.display, report.crop, report.zoom, report.frame);
    // Unrounded: frames.json's `time_s` is rounded to the microsecond.
    let time_s = m.source.frame_rate.duration_of(wanted);
    let tile_w = crop.width * zoom;
    let mut overview = compose::fit_width(source_rgb, tile_w);
    let scale = f64::from(tile_w) / f64::from(display.width);
    let scaled = |v: u32| (f64::from(v) * scale).round() as u32;
    compose::outline(
        &mut overview,
        Rect {
            x: scaled(crop.x),
            y: scaled(crop.y),
            width: scaled(crop.width).max(4),
            height: scaled(crop.height).max(4),
        },
        2,
        Rgb([255, 214, 0]),
    );
    Tile {
        picture: overview,
        label: vec![
            format!(
                "frame {wanted} at {time_s:.3} s ({}x{})",
                display.width, display.height
            ),
            report.chosen.clone(),
            format!(
                "crop {}x{} at ({}, {}), {zoom}x",
                crop.width, crop.height, crop.x, crop.y
            ),
        ],
    }
}
