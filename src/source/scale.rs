//! Resizing frames with libswscale.

use crate::error::{Error, Result};
use crate::source::resolution::Resolution;
use ffmpeg_next::{format, frame, software::scaling};

/// The resampling filter of a [`Scaler`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// Lanczos (3 lobes): used to downscale the source to the trial resolutions.
    Lanczos,
    /// Bicubic: used to upscale decoded trial encodes back to the source resolution before
    /// comparison, as viewers' players do.
    Bicubic,
}

impl Kernel {
    /// The filter's libswscale name (`lanczos`, `bicubic`), as the manifest records it.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Lanczos => "lanczos",
            Kernel::Bicubic => "bicubic",
        }
    }

    fn flags(self) -> scaling::Flags {
        match self {
            Kernel::Lanczos => scaling::Flags::LANCZOS,
            Kernel::Bicubic => scaling::Flags::BICUBIC,
        }
    }
}

/// Resizes yuv420p frames from one size to another.
pub struct Scaler {
    ctx: scaling::Context,
    to: Resolution,
}

// SAFETY: an SwsContext has no thread affinity; it is only unsafe to use from two threads at
// once, which `&mut self` on `scale` rules out.
unsafe impl Send for Scaler {}

impl Scaler {
    /// A scaler of yuv420p frames from `from` to `to` with `kernel`.
    pub fn new(from: Resolution, to: Resolution, kernel: Kernel) -> Result<Self> {
        let ctx = scaling::Context::get(
            format::Pixel::YUV420P,
            from.width,
            from.height,
            format::Pixel::YUV420P,
            to.width,
            to.height,
            kernel.flags(),
        )
        .map_err(|e| Error::ffmpeg(format!("swscale {} {from} -> {to}", kernel.name()), e))?;
        Ok(Scaler { ctx, to })
    }

    /// A new frame holding `input` resized; its pts and picture type are copied from `input`.
    pub fn scale(&mut self, input: &frame::Video) -> Result<frame::Video> {
        let mut out = self.output_frame();
        self.scale_into(input, &mut out)?;
        Ok(out)
    }

    /// The size it resizes to.
    pub fn output_size(&self) -> Resolution {
        self.to
    }

    /// A frame of the output size, to be reused with [`scale_into`](Self::scale_into).
    pub fn output_frame(&self) -> frame::Video {
        frame::Video::new(format::Pixel::YUV420P, self.to.width, self.to.height)
    }

    /// Resize `input` into `out` (a frame from [`output_frame`](Self::output_frame)), copying
    /// pts and picture type. Reusing one output frame avoids allocating (and the kernel
    /// zeroing) a new multi-megabyte frame for every frame of every trial.
    pub fn scale_into(&mut self, input: &frame::Video, out: &mut frame::Video) -> Result<()> {
        self.ctx
            .run(input, out)
            .map_err(|e| Error::ffmpeg(format!("swscale to {}", self.to), e))?;
        out.set_pts(input.pts());
        out.set_kind(input.kind());
        copy_colour(input, out);
        Ok(())
    }
}

/// Give `to` the colour description of `from` (range, matrix, primaries, transfer), which a
/// new frame lacks: pictures of it are drawn with these.
pub fn copy_colour(from: &frame::Video, to: &mut frame::Video) {
    to.set_color_range(from.color_range());
    to.set_color_space(from.color_space());
    to.set_color_primaries(from.color_primaries());
    to.set_color_transfer_characteristic(from.color_transfer_characteristic());
}

/// Converts frames of another YUV pixel format (4:2:2, 4:4:4, 10 or 12 bits, gray) to 8-bit
/// 4:2:0 of the same size, the format every trial is encoded and measured in. libswscale
/// does it as the FFmpeg program's `format=yuv420p` filter does (bicubic chroma, its default
/// dither from high bit depths), so scores against a converted source match that filter's.
/// Full-range (`yuvj`) formats stay full range, as `yuvj420p` sources are measured as
/// they are.
pub struct Converter {
    ctx: scaling::Context,
    from: format::Pixel,
    size: Resolution,
    to: format::Pixel,
}

// SAFETY: as for `Scaler`.
unsafe impl Send for Converter {}

impl Converter {
    /// A converter of `size` frames of pixel format `from` to `yuv420p` (`yuvj420p` for
    /// full-range formats).
    pub fn new(from: format::Pixel, size: Resolution) -> Result<Self> {
        let to = if is_full_range(from) {
            format::Pixel::YUVJ420P
        } else {
            format::Pixel::YUV420P
        };
        let ctx = scaling::Context::get(
            from,
            size.width,
            size.height,
            to,
            size.width,
            size.height,
            scaling::Flags::BICUBIC,
        )
        .map_err(|e| Error::ffmpeg(format!("swscale {from:?} -> yuv420p at {size}"), e))?;
        Ok(Converter {
            ctx,
            from,
            size,
            to,
        })
    }

    /// Whether this converter takes frames of `format` and `size`.
    pub fn takes(&self, format: format::Pixel, size: Resolution) -> bool {
        self.from == format && self.size == size
    }

    /// A new yuv420p frame holding `input` converted; pts and picture type are copied.
    pub fn convert(&mut self, input: &frame::Video) -> Result<frame::Video> {
        let mut out = frame::Video::new(self.to, self.size.width, self.size.height);
        self.ctx
            .run(input, &mut out)
            .map_err(|e| Error::ffmpeg(format!("swscale {:?} -> yuv420p", self.from), e))?;
        out.set_format(format::Pixel::YUV420P);
        out.set_pts(input.pts());
        out.set_kind(input.kind());
        copy_colour(input, &mut out);
        Ok(out)
    }
}

/// The full-range (JPEG) YUV formats.
fn is_full_range(format: format::Pixel) -> bool {
    use format::Pixel::*;
    matches!(format, YUVJ420P | YUVJ422P | YUVJ444P | YUVJ440P | YUVJ411P)
}

/// Whether libswscale can convert frames of `format` to 8-bit 4:2:0 without a colour
/// matrix: planar or packed YUV, or gray, at any bit depth. RGB, palette and hardware
/// formats are not (their conversion would need a colour matrix pertitle cannot know).
pub fn is_convertible(format: format::Pixel) -> bool {
    let Some(descriptor) = format.descriptor() else {
        return false;
    };
    // SAFETY: the descriptor points at FFmpeg's static table entry for this format.
    let flags = unsafe { (*descriptor.as_ptr()).flags };
    let excluded = ffmpeg_next::ffi::AV_PIX_FMT_FLAG_RGB
        | ffmpeg_next::ffi::AV_PIX_FMT_FLAG_PAL
        | ffmpeg_next::ffi::AV_PIX_FMT_FLAG_HWACCEL
        | ffmpeg_next::ffi::AV_PIX_FMT_FLAG_BITSTREAM
        | ffmpeg_next::ffi::AV_PIX_FMT_FLAG_BAYER
        | ffmpeg_next::ffi::AV_PIX_FMT_FLAG_FLOAT;
    // SAFETY: a plain query of libswscale's tables.
    let supported = unsafe { ffmpeg_next::ffi::sws_isSupportedInput(format.into()) } > 0;
    flags & (excluded as u64) == 0 && supported
}
