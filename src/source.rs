//! The source file: probing it and streaming its decoded frames, one at a time.

use crate::decode::VideoDecoder;
use crate::error::{Error, Result};
use crate::frame_rate::FrameRate;
use crate::resolution::Resolution;
use crate::rotate::Rotation;
use crate::scale::Converter;
use ffmpeg_next::{Packet, format, frame, media};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// What `pertitle probe` reports about a file.
#[derive(Debug, Clone, Serialize)]
pub struct SourceInfo {
    pub path: PathBuf,
    /// The demuxer's name, e.g. `mov,mp4,m4a,3gp,3g2,mj2`.
    pub container: String,
    /// The video codec's short name, e.g. `h264`.
    pub codec: String,
    /// Frame width as displayed: after the stream's rotation, if any.
    pub width: u32,
    /// Frame height as displayed.
    pub height: u32,
    /// Degrees of clockwise turn applied to every decoded frame, from the stream's display
    /// matrix (phone video): 0, 90, 180 or 270. See [`crate::rotate`].
    pub rotation: u32,
    /// `progressive`, `tff`, `bff` (interlaced, top or bottom field first), `tb`, `bt`, or
    /// `unknown`: what the stream declares. Interlaced frames are measured as they are
    /// decoded, both fields woven into one frame; pertitle does not deinterlace.
    pub field_order: String,
    /// FFmpeg's pixel format name, e.g. `yuv420p`.
    pub pixel_format: String,
    /// Whether pertitle can measure this pixel format (as it is, or converted).
    #[serde(skip)]
    pub supported_format: bool,
    /// `yuv420p` when frames are converted to 8-bit 4:2:0 before they are measured (the
    /// source is 4:2:2, 4:4:4, 10-bit, ...); absent when they are measured as they are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub converted_to: Option<String>,
    /// Sample (pixel) aspect ratio as `num:den` (as displayed); `1:1` for square pixels.
    pub sample_aspect_ratio: String,
    pub frame_rate: FrameRate,
    /// Frames per second as a number (the same rate as `frame_rate`).
    pub fps: f64,
    /// Video packets in the stream, counted by reading the whole file (every packet of an
    /// H.264/HEVC/AV1 stream is one frame).
    pub frame_count: u64,
    /// The video stream's duration, from its header; `frame_count / fps` when absent.
    pub duration_s: f64,
    /// Average bitrate of the video stream over `duration_s`, from the packet sizes.
    pub bitrate_kbps: f64,
}

impl SourceInfo {
    pub fn resolution(&self) -> Resolution {
        Resolution::new(self.width, self.height)
    }
}

/// Initialise FFmpeg once and silence its own logging (errors reach the user through
/// [`Error`] instead).
pub fn init() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Only fails if FFmpeg cannot register its components, which is a broken install.
        if ffmpeg_next::init().is_ok() {
            ffmpeg_next::util::log::set_level(ffmpeg_next::util::log::Level::Error);
            crate::ffmpeg_log::install();
        }
    });
}

fn open_input(path: &Path) -> Result<format::context::Input> {
    init();
    if !path.exists() {
        return Err(Error::NotFound {
            path: path.to_path_buf(),
        });
    }
    if path.is_dir() {
        return Err(Error::io(
            path,
            std::io::Error::new(
                std::io::ErrorKind::IsADirectory,
                "is a directory, not a video file",
            ),
        ));
    }
    // Reading a byte first turns a permission problem into a clear I/O error.
    std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let (input, said) = crate::ffmpeg_log::capture(|| format::input(path));
    input.map_err(|cause| Error::Open {
        path: path.to_path_buf(),
        cause,
        said,
    })
}

fn best_video_stream(input: &format::context::Input, path: &Path) -> Result<usize> {
    input
        .streams()
        .best(media::Type::Video)
        .map(|s| s.index())
        .ok_or_else(|| Error::NoVideoStream {
            path: path.to_path_buf(),
        })
}

/// The smallest and largest frame sides pertitle measures. libvmaf 2.3 crashes (in its ADM
/// wavelets) on a side of 16 pixels, so 32 leaves room; above 16384 the frame is beyond any
/// delivery format, and a header declaring it is far more likely damaged than real.
pub const MIN_SIDE: u32 = 32;
pub const MAX_SIDE: u32 = 16384;

/// Refuse a frame size outside [`MIN_SIDE`]..=[`MAX_SIDE`].
fn check_size(path: &Path, size: Resolution) -> Result<()> {
    let (small, large) = (
        size.width.min(size.height) < MIN_SIDE,
        size.width.max(size.height) > MAX_SIDE,
    );
    if small || large {
        return Err(Error::FrameSizeOutOfRange {
            path: path.to_path_buf(),
            size: size.to_string(),
            limit: if small {
                format!("at least {MIN_SIDE} pixels a side")
            } else {
                format!("at most {MAX_SIDE} pixels a side")
            },
        });
    }
    Ok(())
}

/// The turn the stream's display matrix asks for.
fn stream_rotation(stream: &format::stream::Stream<'_>) -> Rotation {
    stream
        .side_data()
        .find(|d| d.kind() == ffmpeg_next::codec::packet::side_data::Type::DisplayMatrix)
        .map_or(Rotation::None, |d| Rotation::from_side_data(d.data()))
}

/// The field order the codec parameters declare.
fn field_order(params: &ffmpeg_next::codec::Parameters) -> &'static str {
    use ffmpeg_next::ffi::AVFieldOrder::*;
    // SAFETY: reading a plain enum field of the stream's codec parameters.
    match unsafe { (*params.as_ptr()).field_order } {
        AV_FIELD_PROGRESSIVE => "progressive",
        AV_FIELD_TT => "tff",
        AV_FIELD_BB => "bff",
        AV_FIELD_TB => "tb",
        AV_FIELD_BT => "bt",
        _ => "unknown",
    }
}

fn stream_frame_rate(stream: &format::stream::Stream<'_>) -> Option<FrameRate> {
    let avg = stream.avg_frame_rate();
    FrameRate::new(avg.numerator().into(), avg.denominator().into()).or_else(|| {
        let r = stream.rate();
        FrameRate::new(r.numerator().into(), r.denominator().into())
    })
}

/// Probe a file: container, codec, size, pixel format, frame rate, frame count and duration.
/// Reads every packet of the file (no decoding) to count frames exactly.
pub fn probe(path: &Path) -> Result<SourceInfo> {
    let mut input = open_input(path)?;
    let index = best_video_stream(&input, path)?;
    let (params, time_base, stream_duration, rate, rotation) = {
        let stream = input.stream(index).ok_or_else(|| Error::NoVideoStream {
            path: path.to_path_buf(),
        })?;
        (
            stream.parameters(),
            stream.time_base(),
            stream.duration(),
            stream_frame_rate(&stream),
            stream_rotation(&stream),
        )
    };
    let container = input.format().name().to_string();
    let ctx = ffmpeg_next::codec::Context::from_parameters(params.clone()).map_err(|source| {
        Error::Open {
            path: path.to_path_buf(),
            cause: source,
            said: None,
        }
    })?;
    let codec = params.id().name().to_string();
    let decoder = ctx.decoder().video().map_err(|source| Error::Open {
        path: path.to_path_buf(),
        cause: source,
        said: None,
    })?;
    let displayed = rotation.apply_to_size(Resolution::new(decoder.width(), decoder.height()));
    let pixel_format = pixel_format_name(decoder.format());
    let supported_format = is_measurable(decoder.format());
    let converted_to =
        (supported_format && !is_native_format(decoder.format())).then(|| "yuv420p".to_string());
    let sar = decoder.aspect_ratio();
    let sample_aspect_ratio = match rotation.apply_to_sar((
        sar.numerator().max(0) as u32,
        sar.denominator().max(0) as u32,
    )) {
        (n, d) if n > 0 && d > 0 => format!("{n}:{d}"),
        _ => "1:1".to_string(),
    };
    if displayed.width == 0 || displayed.height == 0 {
        return Err(Error::NoFrames {
            path: path.to_path_buf(),
        });
    }
    check_size(path, displayed)?;
    let frame_rate = rate.ok_or_else(|| Error::NoFrameRate {
        path: path.to_path_buf(),
    })?;

    let expected_frames = u64::try_from(input.stream(index).map_or(0, |s| s.frames())).unwrap_or(0);
    let mut frame_count = 0u64;
    let mut bytes = 0u64;
    loop {
        crate::interrupt::check()?;
        // A fresh packet per read: FFmpeg 5.1's demuxers re-initialise the packet they are
        // given without releasing it, so reusing one would leak every packet.
        let mut packet = Packet::empty();
        match packet.read(&mut input) {
            Ok(()) => {
                if packet.stream() == index {
                    frame_count += 1;
                    bytes += packet.size() as u64;
                }
            }
            Err(ffmpeg_next::Error::Eof) => break,
            Err(source) => {
                return Err(Error::Corrupt {
                    path: path.to_path_buf(),
                    what: "reading packets",
                    cause: source,
                });
            }
        }
    }
    if frame_count == 0 {
        return Err(Error::NoFrames {
            path: path.to_path_buf(),
        });
    }
    if expected_frames > frame_count {
        return Err(Error::Truncated {
            path: path.to_path_buf(),
            expected: expected_frames,
            found: frame_count,
        });
    }
    let duration_s = if stream_duration > 0 {
        stream_duration as f64 * f64::from(time_base.numerator())
            / f64::from(time_base.denominator())
    } else {
        frame_rate.duration_of(frame_count)
    };
    let bitrate_kbps = if duration_s > 0.0 {
        bytes as f64 * 8.0 / duration_s / 1000.0
    } else {
        0.0
    };
    Ok(SourceInfo {
        path: path.to_path_buf(),
        container,
        codec,
        width: displayed.width,
        height: displayed.height,
        rotation: rotation.degrees(),
        field_order: field_order(&params).to_string(),
        pixel_format,
        supported_format,
        converted_to,
        sample_aspect_ratio,
        frame_rate,
        fps: frame_rate.fps(),
        frame_count,
        duration_s,
        bitrate_kbps,
    })
}

/// FFmpeg's name for a pixel format (`yuv420p`), or its debug form if it has none.
pub fn pixel_format_name(format: format::Pixel) -> String {
    format
        .descriptor()
        .map(|d| d.name().to_string())
        .unwrap_or_else(|| format!("{format:?}").to_lowercase())
}

/// Whether frames of this format are measured and encoded as they are (8-bit 4:2:0).
pub fn is_native_format(format: format::Pixel) -> bool {
    matches!(format, format::Pixel::YUV420P | format::Pixel::YUVJ420P)
}

/// Whether frames of this format can be measured: as they are, or converted to 8-bit 4:2:0
/// first ([`crate::scale::Converter`]: other YUV layouts and bit depths, gray).
pub fn is_measurable(format: format::Pixel) -> bool {
    is_native_format(format) || crate::scale::is_convertible(format)
}

/// Streams the decoded frames of a file's best video stream, in display order.
///
/// Only one packet and the decoder's own reference frames are held at a time, so memory
/// does not grow with the length of the file.
pub struct FrameReader {
    path: PathBuf,
    input: format::context::Input,
    stream_index: usize,
    decoder: VideoDecoder,
    draining: bool,
    done: bool,
    resolution: Resolution,
    rotation: Rotation,
    /// Converts frames of another pixel format to 8-bit 4:2:0, once one arrives.
    converter: Option<Converter>,
    /// The stream's own pixel format (FFmpeg's name).
    format: String,
    frame_rate: FrameRate,
    sar: (u32, u32),
    expected_frames: Option<u64>,
    decoded: u64,
}

impl FrameReader {
    /// Open a file for decoding. `threads` is the decoder's thread count (0 = automatic).
    /// Fails on files that are not video, or whose pixel format is not 8-bit 4:2:0.
    pub fn open(path: &Path, threads: usize) -> Result<Self> {
        let input = open_input(path)?;
        let stream_index = best_video_stream(&input, path)?;
        let stream = input
            .stream(stream_index)
            .ok_or_else(|| Error::NoVideoStream {
                path: path.to_path_buf(),
            })?;
        let frame_rate = stream_frame_rate(&stream).ok_or_else(|| Error::NoFrameRate {
            path: path.to_path_buf(),
        })?;
        let expected_frames = u64::try_from(stream.frames()).ok().filter(|&n| n > 0);
        let rotation = stream_rotation(&stream);
        let decoder =
            VideoDecoder::open(stream.parameters(), threads).map_err(|source| Error::Open {
                path: path.to_path_buf(),
                cause: source,
                said: None,
            })?;
        let format = decoder.format();
        if format != format::Pixel::None && !is_measurable(format) {
            return Err(Error::UnsupportedPixelFormat {
                path: path.to_path_buf(),
                format: pixel_format_name(format),
            });
        }
        let params = stream.parameters();
        // SAFETY: reading plain integer fields of the stream's codec parameters.
        let (w, h) = unsafe {
            let p = params.as_ptr();
            ((*p).width.max(0) as u32, (*p).height.max(0) as u32)
        };
        let resolution = rotation.apply_to_size(Resolution::new(w, h));
        if w > 0 && h > 0 {
            check_size(path, resolution)?;
        }
        let sar = rotation.apply_to_sar(decoder.sample_aspect_ratio());
        Ok(FrameReader {
            path: path.to_path_buf(),
            input,
            stream_index,
            decoder,
            draining: false,
            done: false,
            resolution,
            rotation,
            converter: None,
            format: pixel_format_name(format),
            frame_rate,
            sar,
            expected_frames,
            decoded: 0,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stream's own pixel format, e.g. `yuv422p10le`; frames of formats other than
    /// yuv420p and yuvj420p are converted to yuv420p as they are decoded.
    pub fn pixel_format(&self) -> &str {
        &self.format
    }

    /// Frame size declared by the stream, as displayed (after its rotation).
    pub fn resolution(&self) -> Resolution {
        self.resolution
    }

    pub fn frame_rate(&self) -> FrameRate {
        self.frame_rate
    }

    /// Sample aspect ratio `(num, den)`; `(0, 1)` or `(1, 1)` for square pixels.
    pub fn sample_aspect_ratio(&self) -> (u32, u32) {
        self.sar
    }

    /// The frame count the container header promises, when it states one.
    pub fn expected_frames(&self) -> Option<u64> {
        self.expected_frames
    }

    fn corrupt(&self, what: &'static str, source: ffmpeg_next::Error) -> Error {
        Error::Corrupt {
            path: self.path.clone(),
            what,
            cause: source,
        }
    }

    /// The next frame in display order, or `None` at the end of the stream.
    pub fn next_frame(&mut self) -> Result<Option<frame::Video>> {
        loop {
            if self.done {
                return Ok(None);
            }
            match self.decoder.receive() {
                Ok(Some(frame)) => return self.accept(frame).map(Some),
                Ok(None) if self.draining => {
                    self.done = true;
                    return self.check_complete().map(|()| None);
                }
                Ok(None) => {}
                Err(e) => return Err(self.corrupt("decoding", e)),
            }
            // The decoder wants input: read the next packet of our stream.
            loop {
                // A fresh packet per read (see `probe`).
                let mut packet = Packet::empty();
                match packet.read(&mut self.input) {
                    Ok(()) if packet.stream() != self.stream_index => continue,
                    Ok(()) => {
                        self.decoder
                            .send(&packet)
                            .map_err(|e| self.corrupt("decoding", e))?;
                        break;
                    }
                    Err(ffmpeg_next::Error::Eof) => {
                        self.decoder
                            .send_eof()
                            .map_err(|e| self.corrupt("decoding", e))?;
                        self.draining = true;
                        break;
                    }
                    Err(e) => return Err(self.corrupt("reading packets", e)),
                }
            }
        }
    }

    fn accept(&mut self, mut frame: frame::Video) -> Result<frame::Video> {
        let format = frame.format();
        if format == format::Pixel::YUVJ420P {
            // Same memory layout; the samples are measured and encoded as they are.
            frame.set_format(format::Pixel::YUV420P);
        }
        if !is_native_format(format) {
            if !is_measurable(format) {
                return Err(Error::UnsupportedPixelFormat {
                    path: self.path.clone(),
                    format: pixel_format_name(format),
                });
            }
            let size = Resolution::new(frame.width(), frame.height());
            let converter = match self.converter.take() {
                Some(c) if c.takes(format, size) => c,
                _ => Converter::new(format, size)?,
            };
            frame = self.converter.insert(converter).convert(&frame)?;
        } else if has_negative_strides(&frame) {
            frame = top_down_copy(&frame, &self.path)?;
        }
        if self.rotation != Rotation::None {
            frame = self.rotation.apply(&frame);
        }
        let size = Resolution::new(frame.width(), frame.height());
        if size != self.resolution {
            if self.decoded == 0 {
                check_size(&self.path, size)?;
                self.resolution = size;
            } else {
                return Err(Error::FrameSizeChanged {
                    path: self.path.clone(),
                    from: self.resolution.to_string(),
                    to: size.to_string(),
                });
            }
        }
        self.decoded += 1;
        Ok(frame)
    }

    fn check_complete(&self) -> Result<()> {
        if self.decoded == 0 {
            return Err(Error::NoFrames {
                path: self.path.clone(),
            });
        }
        match self.expected_frames {
            Some(expected) if self.decoded < expected => Err(Error::Truncated {
                path: self.path.clone(),
                expected,
                found: self.decoded,
            }),
            _ => Ok(()),
        }
    }
}

/// Whether any plane of `frame` is stored bottom-up: a negative line size, with the plane's
/// pointer at its last row. FFmpeg's rawvideo decoder makes such frames for "BottomUp"
/// files; every reader of planes here (metrics, rotation, libvmaf copies) expects positive
/// strides, as ffmpeg-next's `stride()` and `data()` do.
fn has_negative_strides(frame: &frame::Video) -> bool {
    // SAFETY: reading the plain line size array of a valid frame.
    let linesize = unsafe { (*frame.as_ptr()).linesize };
    linesize.iter().take(frame.planes()).any(|&l| l <= 0)
}

/// A copy of a yuv420p `frame` in a new frame with positive strides (av_frame_copy copes
/// with either sign); pts and picture type are kept.
fn top_down_copy(frame: &frame::Video, path: &Path) -> Result<frame::Video> {
    let mut out = frame::Video::new(format::Pixel::YUV420P, frame.width(), frame.height());
    // SAFETY: both frames are valid, of the same format and size; `out` owns its buffers.
    let rc = unsafe { ffmpeg_next::ffi::av_frame_copy(out.as_mut_ptr(), frame.as_ptr()) };
    if rc < 0 {
        return Err(Error::Corrupt {
            path: path.to_path_buf(),
            what: "copying a bottom-up frame",
            cause: ffmpeg_next::Error::from(rc),
        });
    }
    out.set_pts(frame.pts());
    out.set_kind(frame.kind());
    Ok(out)
}

/// Decode `reader` on a background thread of `scope`, at most `ahead` frames in advance.
/// `prepare` turns each frame (with its index) into what is sent, on that thread, so work
/// like resizing overlaps with the receiver's. The thread stops at the end of the stream,
/// after the first error (which is sent on), or when the receiver is dropped.
pub fn read_ahead<'scope, F>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    mut reader: FrameReader,
    ahead: usize,
    mut prepare: F,
) -> std::sync::mpsc::Receiver<Result<frame::Video>>
where
    F: FnMut(u64, frame::Video) -> Result<frame::Video> + Send + 'scope,
{
    let (tx, rx) = std::sync::mpsc::sync_channel(ahead.max(1));
    scope.spawn(move || {
        let mut index = 0u64;
        loop {
            // A signal stops the decoding, and so every consumer, with an error.
            if let Err(e) = crate::interrupt::check() {
                let _ = tx.send(Err(e));
                break;
            }
            let item = match reader.next_frame() {
                Ok(Some(f)) => {
                    let prepared = prepare(index, f);
                    index += 1;
                    prepared
                }
                Ok(None) => break,
                Err(e) => Err(e),
            };
            let failed = item.is_err();
            if tx.send(item).is_err() || failed {
                break;
            }
        }
    });
    rx
}
