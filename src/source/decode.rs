//! A video decoder that turns packets into frames, used both for the source file and for
//! decoding trial encodes back from memory.

use crate::source::resolution::SampleAspectRatio;
use ffmpeg_next::{Packet, codec, decoder, frame};

/// Wraps an opened FFmpeg video decoder with the send/receive loop.
pub struct VideoDecoder {
    inner: decoder::Video,
}

impl VideoDecoder {
    /// Open a decoder for a stream's (or an encoder's) parameters with `threads` threads
    /// (0 = FFmpeg's automatic choice; frame threading).
    pub fn open(parameters: codec::Parameters, threads: usize) -> Result<Self, ffmpeg_next::Error> {
        let mut ctx = codec::Context::from_parameters(parameters)?;
        ctx.set_threading(codec::threading::Config {
            kind: codec::threading::Type::Frame,
            count: threads,
            ..Default::default()
        });
        Ok(VideoDecoder {
            inner: ctx.decoder().video()?,
        })
    }

    /// The pixel format and size the decoder announces before the first frame.
    pub fn format(&self) -> ffmpeg_next::format::Pixel {
        self.inner.format()
    }

    /// The sample aspect ratio the stream declares (square pixels when it declares none).
    pub fn sample_aspect_ratio(&self) -> SampleAspectRatio {
        let r = self.inner.aspect_ratio();
        SampleAspectRatio::new(r.numerator().max(0) as u32, r.denominator().max(0) as u32)
    }

    /// Feed one packet; decoded frames are then taken with [`receive`](Self::receive).
    pub fn send(&mut self, packet: &Packet) -> Result<(), ffmpeg_next::Error> {
        self.inner.send_packet(packet)
    }

    /// Signal the end of the stream so the remaining frames come out.
    pub fn send_eof(&mut self) -> Result<(), ffmpeg_next::Error> {
        self.inner.send_eof()
    }

    /// The next decoded frame, or `None` when the decoder needs more input (or is drained).
    pub fn receive(&mut self) -> Result<Option<frame::Video>, ffmpeg_next::Error> {
        let mut frame = frame::Video::empty();
        match self.inner.receive_frame(&mut frame) {
            Ok(()) => Ok(Some(frame)),
            Err(ffmpeg_next::Error::Eof) => Ok(None),
            Err(ffmpeg_next::Error::Other { errno }) if errno == libc::EAGAIN => Ok(None),
            Err(e) => Err(e),
        }
    }
}
