//! Decoded frames of a source, one at a time, as every measurement reads them.

use super::{
    best_video_stream, check_size, is_measurable, is_native_format, open_input, pixel_format_name,
    stream_frame_rate, stream_rotation,
};
use crate::error::{Error, Result};
use crate::source::decode::VideoDecoder;
use crate::source::frame_rate::FrameRate;
use crate::source::resolution::{Resolution, SampleAspectRatio};
use crate::source::rotate::Rotation;
use crate::source::scale::Converter;
use ffmpeg_next::{Packet, format, frame};
use std::path::{Path, PathBuf};

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
    sar: SampleAspectRatio,
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

    /// The file being read.
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

    /// The stream's exact frame rate.
    pub fn frame_rate(&self) -> FrameRate {
        self.frame_rate
    }

    /// Sample aspect ratio `(num, den)`; `(0, 1)` or `(1, 1)` for square pixels.
    pub fn sample_aspect_ratio(&self) -> SampleAspectRatio {
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
    crate::source::scale::copy_colour(frame, &mut out);
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
            if let Err(e) = crate::util::interrupt::check() {
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
