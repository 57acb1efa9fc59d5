//! Resizing frames with libswscale.

use crate::error::{Error, Result};
use crate::resolution::Resolution;
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
        Ok(())
    }
}
