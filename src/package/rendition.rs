//! One rung's final encode: encoded frames straight into libavformat's HLS muxer, which cuts
//! fragmented-MP4 (CMAF) segments on the segment keyframes and writes the media playlist;
//! when asked, the packets are also decoded back and scored as a trial point's are
//! ([`crate::measure::scorer`]).

use crate::encode::encoder::{Encoder, EncoderSettings, RateControl, ShotRates};
use crate::encode::segment::{SegmentBits, Segmenter};
use crate::error::{Error, Result};
use crate::measure::metrics::FrameSeries;
use crate::measure::metrics::vmaf::VmafSettings;
use crate::measure::scorer::{Drain, Scorer};
use crate::measure::source_pass::{FrameSink, PassOutcome, Reference};
use crate::source::frame_rate::FrameRate;
use crate::source::resolution::Resolution;
use ffmpeg_next::{Dictionary, Rational, format, frame};
use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The media playlist's file name inside a rendition's directory.
pub const MEDIA_PLAYLIST: &str = "media.m3u8";
/// The initialization segment's file name inside a rendition's directory.
pub const INIT_SEGMENT: &str = "init.mp4";
/// `printf` pattern of the media segments' file names (numbered from 0).
pub const SEGMENT_PATTERN: &str = "seg_%05d.m4s";
/// [`SEGMENT_PATTERN`] as a DASH `SegmentTemplate` `@media`.
pub const SEGMENT_TEMPLATE: &str = "seg_$Number%05d$.m4s";

/// The name of media segment `k`.
pub fn segment_name(k: usize) -> String {
    format!("seg_{k:05}.m4s")
}

/// The sizes of the media segment files in `dir`, bytes, checking the muxer cut `count`.
pub(super) fn segment_bytes(dir: &Path, count: usize) -> Result<Vec<u64>> {
    let segment_bytes = (0..count)
        .map(|k| file_size(&dir.join(segment_name(k))))
        .collect::<Result<Vec<u64>>>()?;
    if !dir.join(segment_name(count.saturating_sub(1))).exists() {
        return Err(Error::Internal(format!(
            "{}: the HLS muxer cut fewer segments than the ladder's {count}",
            dir.display()
        )));
    }
    if dir.join(segment_name(count)).exists() {
        return Err(Error::Internal(format!(
            "{}: the HLS muxer cut more segments than the ladder's {count}",
            dir.display()
        )));
    }
    Ok(segment_bytes)
}

/// The size of a file, bytes.
pub(super) fn file_size(path: &Path) -> Result<u64> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| Error::io(path, e))
}

/// What to encode for one rung.
#[derive(Debug, Clone, PartialEq)]
pub struct RenditionSpec {
    /// The encoded size (a rendition whose size changes from shot to shot: its largest, as
    /// the playlists declare it).
    pub resolution: Resolution,
    /// How the encoder spends bits (the rung's CRF; a shot rung's first shot's).
    pub rate: RateControl,
    /// For a ladder of a shot-based run: every shot's rate control (and, for a `free` shot
    /// rung, size), each shot encoded by a fresh encoder, as the trial encodes were.
    pub shots: Option<ShotRates>,
}

/// What an encode wrote, as the encoder saw it.
#[derive(Debug, Clone)]
pub struct Encoded {
    /// Frames encoded.
    pub frames: u64,
    /// Encoded video bits of each segment (packet payloads, no container).
    pub segment_bits: Vec<u64>,
    /// The stream's RFC 6381 CODECS string, from its headers.
    pub codecs: Option<String>,
    /// Frames by which the first frame's presentation time follows the first decode time
    /// (the encoder's B-frame delay). The MP4 timeline starts at the first decode time, so
    /// the first frame is presented this late in the segments.
    pub presentation_delay_frames: u64,
    /// Every frame's quality, when the encode was scored.
    pub series: Option<FrameSeries>,
}

/// How a final encode is scored: as the ladder's trial points were.
#[derive(Debug, Clone, PartialEq)]
pub struct Scoring {
    /// The size frames are compared at (the encode upscaled bicubic, the source resized).
    pub display: Resolution,
    /// How VMAF is scored too, when the ladder measured it.
    pub vmaf: Option<VmafSettings>,
    /// The device classes the ladder's points were scored for, scored alike.
    pub devices: std::sync::Arc<crate::measure::devices::DevicePlan>,
}

/// The encoder and muxer of one rung, fed by a [`crate::measure::source_pass`].
pub struct Rendition {
    spec: RenditionSpec,
    encoder: Encoder,
    muxer: format::context::Output,
    encoder_time_base: Rational,
    segment_bits: SegmentBits,
    frames: u64,
    /// Frames taken from the pass.
    pushed: u64,
    first_dts: Option<i64>,
    dir: PathBuf,
    /// Decodes the packets back and scores them, when the encode is scored.
    scorer: Option<Scorer>,
    /// The encoder has been told the frames ended.
    encoder_ended: bool,
    /// Shot-aligned segments, whose durations vary: the muxer is told to cut at every key
    /// frame, and only a segment's first frame is marked as one (a scene-cut key frame
    /// inside a segment is written as an ordinary frame, so it cannot start a segment).
    /// `None`: the muxer cuts at the first key frame after each segment's duration.
    cut_at: Option<Segmenter>,
}

impl Rendition {
    /// Open the encoder and an HLS muxer writing into `dir` (which must exist); with
    /// `scoring`, the encode is scored too (the pass must then feed reference frames at
    /// `scoring.display` and measure VMAF as it asks).
    pub fn open(
        spec: RenditionSpec,
        rate: FrameRate,
        segmenter: Segmenter,
        segment_seconds: f64,
        settings: &EncoderSettings,
        dir: &Path,
        scoring: Option<Scoring>,
    ) -> Result<Self> {
        let encoder = match &spec.shots {
            Some(shots) => Encoder::open_per_shot(spec.resolution, rate, shots, settings)?,
            None => Encoder::open(spec.resolution, rate, spec.rate, settings)?,
        };
        let scorer = scoring
            .map(|s| {
                Scorer::open(
                    encoder.label(),
                    encoder.parameters(),
                    s.display,
                    s.vmaf,
                    &s.devices,
                )
            })
            .transpose()?;
        let playlist = dir.join(MEDIA_PLAYLIST);
        let muxer_error = |e| Error::ffmpeg(format!("{}: HLS muxer", playlist.display()), e);
        let mut muxer = hls_output(&playlist).map_err(muxer_error)?;
        let encoder_time_base = Rational::new(rate.den as i32, rate.num as i32);
        {
            let mut stream = muxer
                .add_stream(ffmpeg_next::encoder::find_by_name(settings.codec.encoder()))
                .map_err(muxer_error)?;
            stream.set_parameters(encoder.parameters());
            set_sample_entry(&mut stream, settings.codec, encoder.stream_headers())
                .map_err(muxer_error)?;
            stream.set_time_base(encoder_time_base);
            stream.set_avg_frame_rate(Rational::new(rate.num as i32, rate.den as i32));
        }
        let mut options = Dictionary::new();
        let cut_at = segmenter.is_shot_aligned().then(|| segmenter.clone());
        // The segmenter's duration, whole milliseconds; with shot-aligned segments, any
        // key frame (only segment starts are marked so).
        let hls_time = match cut_at {
            Some(_) => 0.001,
            None => (segment_seconds * 1000.0).round() / 1000.0,
        };
        options.set("hls_time", &format!("{hls_time}"));
        options.set("hls_playlist_type", "vod");
        options.set("hls_segment_type", "fmp4");
        options.set("hls_fmp4_init_filename", INIT_SEGMENT);
        let pattern = dir.join(SEGMENT_PATTERN);
        options.set("hls_segment_filename", &pattern.to_string_lossy());
        options.set("hls_flags", "independent_segments");
        muxer.write_header_with(options).map_err(muxer_error)?;
        Ok(Rendition {
            spec,
            encoder,
            muxer,
            encoder_time_base,
            segment_bits: SegmentBits::new(segmenter),
            frames: 0,
            pushed: 0,
            first_dts: None,
            dir: dir.to_path_buf(),
            scorer,
            encoder_ended: false,
            cut_at,
        })
    }

    /// Flush the encoder, finish the segments and the media playlist, and the scores;
    /// `pass` is what the pass measured itself (the native VMAF engine's motion).
    pub fn finish(mut self, pass: &PassOutcome) -> Result<Encoded> {
        self.end_frames()?;
        while self.drain_one_packet()? {}
        let playlist = self.dir.join(MEDIA_PLAYLIST);
        self.muxer
            .write_trailer()
            .map_err(|e| Error::ffmpeg(format!("{}: HLS muxer", playlist.display()), e))?;
        let series = self.scorer.take().map(|s| s.finish(pass)).transpose()?;
        Ok(Encoded {
            frames: self.frames,
            segment_bits: self.segment_bits.into_bits(),
            codecs: self.encoder.codecs(),
            presentation_delay_frames: self.first_dts.map_or(0, |d| d.min(0).unsigned_abs()),
            series,
        })
    }

    /// Take the encoder's next packet, if it has one: score it (when scored) and write it
    /// into the segments; whether there was one.
    fn drain_one_packet(&mut self) -> Result<bool> {
        let Some(mut packet) = self.encoder.receive()? else {
            return Ok(false);
        };
        // Parameter sets in band are stream headers, counted with the container.
        self.segment_bits.add(
            self.encoder.label(),
            packet.pts(),
            packet.is_key(),
            packet.size() - self.encoder.in_band_bytes(),
        )?;
        self.frames += 1;
        if self.first_dts.is_none() {
            self.first_dts = packet.dts();
        }
        if let Some(scorer) = self.scorer.as_mut() {
            scorer.decode(&packet)?;
        }
        if let Some(segmenter) = &self.cut_at {
            let starts = packet
                .pts()
                .and_then(|p| u64::try_from(p).ok())
                .is_some_and(|f| segmenter.starts_segment(f));
            if packet.is_key() && !starts {
                packet.set_flags(packet.flags() - ffmpeg_next::codec::packet::Flags::KEY);
            }
        }
        let stream_time_base = self
            .muxer
            .stream(0)
            .map(|s| s.time_base())
            .unwrap_or(self.encoder_time_base);
        packet.set_stream(0);
        packet.rescale_ts(self.encoder_time_base, stream_time_base);
        packet.write_interleaved(&mut self.muxer).map_err(|e| {
            Error::ffmpeg(
                format!("{}: HLS muxer", self.dir.join(MEDIA_PLAYLIST).display()),
                e,
            )
        })?;
        Ok(true)
    }
}

impl Drain for Rendition {
    fn end_frames(&mut self) -> Result<()> {
        if !self.encoder_ended {
            self.encoder_ended = true;
            self.encoder.send_eof()?;
        }
        Ok(())
    }

    fn next_back(&self) -> Option<usize> {
        self.scorer.as_ref()?.next_back()
    }

    fn drain_to(&mut self, position: usize) -> Result<()> {
        while self.next_back().is_some_and(|p| p <= position) {
            if !self.drain_one_packet()?
                && let Some(scorer) = self.scorer.as_mut()
            {
                scorer.end()?;
            }
        }
        Ok(())
    }
}

impl FrameSink for Rendition {
    fn resolution(&self) -> Resolution {
        match &self.spec.shots {
            Some(shots) => shots.size(shots.shot_of(self.pushed), self.spec.resolution),
            None => self.spec.resolution,
        }
    }

    fn resolutions(&self) -> Vec<Resolution> {
        let mut sizes: Vec<Resolution> = match &self.spec.shots {
            Some(shots) => (0..shots.starts().len())
                .map(|k| shots.size(k, self.spec.resolution))
                .collect(),
            None => vec![self.spec.resolution],
        };
        sizes.sort_unstable();
        sizes.dedup();
        sizes
    }

    fn push(&mut self, reference: &Arc<Reference>, input: &frame::Video) -> Result<()> {
        if let Some(scorer) = self.scorer.as_mut() {
            scorer.expect(reference);
        }
        self.pushed += 1;
        self.encoder.send(input)?;
        while self.drain_one_packet()? {}
        Ok(())
    }
}

/// Make the MP4 muxer write the codec's sample entry: `hvc1` for HEVC (parameter sets only
/// in the sample entry, as Apple's HLS requires; the muxer's default is `hev1`); the other
/// codecs have one sample entry each, which the muxer picks itself. A stream that changes
/// size from shot to shot (`changing`: its largest size and that size's headers) takes the
/// in-band entry (`avc3`, `hev1`) and declares its largest size and headers.
fn set_sample_entry(
    stream: &mut format::stream::StreamMut,
    codec: crate::encode::codec::Codec,
    changing: Option<(Resolution, &[u8])>,
) -> std::result::Result<(), ffmpeg_next::Error> {
    let entry = match changing {
        Some(_) => codec.sample_entry_changing_size(),
        None => (codec == crate::encode::codec::Codec::X265).then(|| codec.sample_entry()),
    };
    // SAFETY: the stream belongs to the muxer being set up and its codec parameters
    // exist; codec_tag, width, height and extradata are plain fields the muxer reads when it
    // writes the header. The old extradata is freed and the new one allocated by libavutil,
    // padded as libavcodec requires, so the parameters own it as before.
    unsafe {
        let par = (*stream.as_mut_ptr()).codecpar;
        if let Some(entry) = entry.map(str::as_bytes) {
            (*par).codec_tag = u32::from_le_bytes([entry[0], entry[1], entry[2], entry[3]]);
        }
        if let Some((largest, headers)) = changing {
            (*par).width = largest.width as i32;
            (*par).height = largest.height as i32;
            if !headers.is_empty() {
                let padding = ffmpeg_next::ffi::AV_INPUT_BUFFER_PADDING_SIZE as usize;
                let buffer = ffmpeg_next::ffi::av_mallocz(headers.len() + padding) as *mut u8;
                if buffer.is_null() {
                    return Err(ffmpeg_next::Error::Other {
                        errno: libc::ENOMEM,
                    });
                }
                std::ptr::copy_nonoverlapping(headers.as_ptr(), buffer, headers.len());
                ffmpeg_next::ffi::av_freep(
                    &mut (*par).extradata as *mut *mut u8 as *mut std::ffi::c_void,
                );
                (*par).extradata = buffer;
                (*par).extradata_size = headers.len() as i32;
            }
        }
    }
    Ok(())
}

/// An output context for libavformat's `hls` muxer. The muxer opens every file it writes
/// itself (it is a no-file format), so unlike `ffmpeg_next::format::output_as` nothing is
/// opened at `playlist` here.
fn hls_output(playlist: &Path) -> std::result::Result<format::context::Output, ffmpeg_next::Error> {
    let path = CString::new(playlist.to_string_lossy().as_bytes())
        .map_err(|_| ffmpeg_next::Error::InvalidData)?;
    let name = CString::new("hls").map_err(|_| ffmpeg_next::Error::InvalidData)?;
    let mut ctx = std::ptr::null_mut();
    // SAFETY: both strings outlive the call; on success `ctx` is a new context owned by the
    // returned Output (freed by its destructor; its null `pb` is left alone by avio_close).
    unsafe {
        let ret = ffmpeg_next::ffi::avformat_alloc_output_context2(
            &mut ctx,
            std::ptr::null_mut(),
            name.as_ptr(),
            path.as_ptr(),
        );
        if ret < 0 || ctx.is_null() {
            return Err(ffmpeg_next::Error::from(ret));
        }
        Ok(format::context::Output::wrap(ctx))
    }
}
