//! The source file: probing it ([`probe`]) and streaming its decoded frames, one at a time
//! ([`FrameReader`]), turned upright, the right way up and in 8-bit 4:2:0.

pub mod decode;
pub mod frame_rate;
pub mod resolution;
pub mod rotate;
pub mod scale;

mod probe;
mod reader;

pub use probe::{SourceInfo, probe};
pub use reader::{FrameReader, read_ahead};

use crate::error::{Error, Result};
use crate::source::frame_rate::FrameRate;
use crate::source::resolution::Resolution;
use crate::source::rotate::Rotation;
use ffmpeg_next::{format, media};
use std::path::Path;

/// Initialise FFmpeg once and silence its own logging (errors reach the user through
/// [`Error`] instead).
pub fn init() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Only fails if FFmpeg cannot register its components, which is a broken install.
        if ffmpeg_next::init().is_ok() {
            ffmpeg_next::util::log::set_level(ffmpeg_next::util::log::Level::Error);
            crate::util::ffmpeg_log::install();
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
    let (input, said) = crate::util::ffmpeg_log::capture(|| format::input(path));
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

/// The smallest and largest frame sides pertitle measures. libvmaf 2.3 crashed (in its ADM
/// wavelets) on a side of 16 pixels, so 32 leaves room; above 16384 the frame is beyond any
/// delivery format, and a header declaring it is far more likely damaged than real.
pub const MIN_SIDE: u32 = 32;
/// The largest frame side measured, pixels (see [`MIN_SIDE`]).
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
/// first ([`crate::source::scale::Converter`]: other YUV layouts and bit depths, gray).
pub fn is_measurable(format: format::Pixel) -> bool {
    is_native_format(format) || crate::source::scale::is_convertible(format)
}
