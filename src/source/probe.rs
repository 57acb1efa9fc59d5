//! `pertitle probe`: what a file holds, read from its headers and every packet.

use super::{
    best_video_stream, check_size, field_order, is_measurable, is_native_format, open_input,
    pixel_format_name, stream_frame_rate, stream_rotation,
};
use crate::error::{Error, Result};
use crate::source::frame_rate::FrameRate;
use crate::source::resolution::{Resolution, SampleAspectRatio};
use ffmpeg_next::Packet;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// What `pertitle probe` reports about a file.
#[derive(Debug, Clone, Serialize)]
pub struct SourceInfo {
    /// The file, as given.
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
    /// matrix (phone video): 0, 90, 180 or 270. See [`crate::source::rotate`].
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
    /// Sample (pixel) aspect ratio as displayed (`num:den` in JSON); `1:1` for square pixels.
    pub sample_aspect_ratio: SampleAspectRatio,
    /// The stream's exact frame rate.
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
    /// The frame size as displayed (`width` x `height`).
    pub fn resolution(&self) -> Resolution {
        Resolution::new(self.width, self.height)
    }
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
    let sample_aspect_ratio = rotation.apply_to_sar(SampleAspectRatio::new(
        sar.numerator().max(0) as u32,
        sar.denominator().max(0) as u32,
    ));
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
        crate::util::interrupt::check()?;
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
