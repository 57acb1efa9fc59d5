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
use crate::encode::encoder::{Encoder, EncoderSettings, RateControl, ShotRates};
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

mod encode;
mod strip;
use encode::{Decoded, Span, encode_span, finish_shots};
pub use strip::MAX_CROP_WIDTH;
use strip::{most_different, strip};

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
    let segmenter = m.segmenter();
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
