//! Trial encodes with libx264, in memory.
//!
//! GOP structure: closed GOPs; an IDR frame is forced on the first frame of every segment and
//! the maximum keyframe interval is one segment, so every segment starts with a keyframe and
//! renditions can switch at segment boundaries. x264's scene-cut detection stays on (its
//! default threshold), so extra keyframes may appear inside a segment where the content cuts.
//! Each encoder runs on one thread, which makes its output independent of scheduling.

use crate::error::{Error, Result};
use crate::frame_rate::FrameRate;
use crate::resolution::Resolution;
use ffmpeg_next::{Dictionary, Packet, Rational, codec, encoder, format, frame};
use serde::{Deserialize, Serialize};

/// Make heap allocations start zero-filled, process-wide, so that trial encodes are
/// reproducible.
///
/// x264 (seen with Debian's libx264 0.164 through FFmpeg 5.1, presets using macroblock-tree
/// rate control, e.g. `faster` and `medium`) reads memory it allocated but never wrote: the
/// bitstream then depends on what that memory held before. In a fresh process that is zero
/// pages, so the FFmpeg CLI usually looks deterministic, but an encoder opened after others
/// were freed produces different bits run to run (the same happens to the FFmpeg CLI under
/// `MALLOC_PERTURB_`). glibc's perturb byte 255 fills every new allocation with zeros (and
/// freed ones with 0xff), which makes every encode equal to a fresh-process encode. Called
/// once, before the first encoder opens (so commands that never encode, like `score`, do not
/// pay for it); costs a memset per allocation, small next to encoding.
pub fn make_allocations_deterministic() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: mallopt only changes glibc's allocator settings; perturbing is always valid.
        unsafe {
            libc::mallopt(libc::M_PERTURB, 255);
        }
    });
}

/// x264's presets, fastest first (x265 has the same names).
pub const X264_PRESETS: [&str; 10] = [
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
    "placebo",
];

/// Threads per trial encoder. Pinned: x264's bitstream depends on its thread count.
pub const X264_THREADS: usize = 1;

/// Settings shared by every trial encode of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct X264Settings {
    pub preset: String,
    /// Maximum keyframe interval in frames (the longest segment).
    pub keyint: u32,
}

impl X264Settings {
    /// The settings of every encode cut into `segmenter`'s segments: the maximum keyframe
    /// interval is the longest segment. Trial and final encodes both come from here, which
    /// keeps a measured rung's final encode equal to its trial encode.
    pub fn for_segments(preset: &str, segmenter: &crate::segment::Segmenter) -> Result<Self> {
        let settings = X264Settings {
            preset: preset.to_string(),
            keyint: segmenter.max_segment_frames().min(u64::from(u32::MAX)) as u32,
        };
        settings.validate()?;
        Ok(settings)
    }

    pub fn validate(&self) -> Result<()> {
        if !X264_PRESETS.contains(&self.preset.as_str()) {
            return Err(Error::InvalidOption(format!(
                "unknown x264 preset {:?} (one of: {})",
                self.preset,
                X264_PRESETS.join(", ")
            )));
        }
        Ok(())
    }
}

/// Check a CRF value is one x264 accepts for 8-bit video.
pub fn validate_crf(crf: f64) -> Result<()> {
    if !(0.0..=51.0).contains(&crf) || !crf.is_finite() {
        return Err(Error::InvalidOption(format!(
            "CRF {crf} is outside x264's range 0..51"
        )));
    }
    Ok(())
}

/// How an encode spends its bits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateControl {
    /// Constant rate factor: x264 targets a quality, the bitrate follows the content.
    Crf(f64),
    /// A fixed-ladder rung: one-pass average bitrate at this many kbit/s, capped by the VBV
    /// at [`VBV_MAXRATE_FACTOR`] times it with a buffer of [`VBV_BUFFER_SECONDS`] of it.
    CappedKbps(f64),
}

/// VBV maximum rate of a [`RateControl::CappedKbps`] encode, as a factor of its bitrate (HLS
/// asks a stream's peak to stay within 10% of its declared bandwidth).
pub const VBV_MAXRATE_FACTOR: f64 = 1.1;

/// VBV buffer of a [`RateControl::CappedKbps`] encode, in seconds of its bitrate.
pub const VBV_BUFFER_SECONDS: f64 = 2.0;

impl RateControl {
    /// The CRF, for a CRF encode.
    pub fn crf(self) -> Option<f64> {
        match self {
            RateControl::Crf(c) => Some(c),
            RateControl::CappedKbps(_) => None,
        }
    }

    pub fn validate(self) -> Result<()> {
        match self {
            RateControl::Crf(c) => validate_crf(c),
            RateControl::CappedKbps(k) if k.is_finite() && k > 0.0 => Ok(()),
            RateControl::CappedKbps(k) => Err(Error::InvalidOption(format!(
                "target bitrate {k} kbps must be positive"
            ))),
        }
    }
}

impl std::fmt::Display for RateControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RateControl::Crf(c) => write!(f, "crf {c}"),
            RateControl::CappedKbps(k) => write!(f, "{k} kbps capped"),
        }
    }
}

/// One libx264 encoder producing packets in memory.
pub struct X264Encoder {
    inner: encoder::Video,
    label: String,
}

impl X264Encoder {
    /// Open an encoder for yuv420p frames of `size` whose pts count frames at `rate`.
    pub fn open(
        size: Resolution,
        rate: FrameRate,
        rate_control: RateControl,
        settings: &X264Settings,
    ) -> Result<Self> {
        crate::source::init();
        make_allocations_deterministic();
        settings.validate()?;
        rate_control.validate()?;
        let label = format!("x264 {size} {rate_control}");
        let codec = encoder::find_by_name("libx264")
            .ok_or_else(|| Error::ffmpeg(&label, ffmpeg_next::Error::EncoderNotFound))?;
        let mut ctx = codec::Context::new_with_codec(codec);
        ctx.set_threading(codec::threading::Config {
            kind: codec::threading::Type::Frame,
            count: X264_THREADS,
            ..Default::default()
        });
        ctx.set_flags(codec::Flags::GLOBAL_HEADER);
        let mut video = ctx
            .encoder()
            .video()
            .map_err(|e| Error::ffmpeg(&label, e))?;
        video.set_width(size.width);
        video.set_height(size.height);
        video.set_format(format::Pixel::YUV420P);
        let tb = Rational::new(rate.den as i32, rate.num as i32);
        video.set_time_base(tb);
        video.set_frame_rate(Some(Rational::new(rate.num as i32, rate.den as i32)));
        video.set_gop(settings.keyint.max(1));
        let mut opts = Dictionary::new();
        opts.set("preset", &settings.preset);
        match rate_control {
            RateControl::Crf(crf) => opts.set("crf", &format!("{crf}")),
            RateControl::CappedKbps(kbps) => {
                // Generic AVCodecContext options, applied by avcodec_open2 like the private ones.
                let bits = |k: f64| format!("{}", (k * 1000.0).round() as i64);
                opts.set("b", &bits(kbps));
                opts.set("maxrate", &bits(kbps * VBV_MAXRATE_FACTOR));
                opts.set("bufsize", &bits(kbps * VBV_BUFFER_SECONDS));
            }
        }
        // A forced keyframe (pict_type I) becomes an IDR: closed GOP at segment starts.
        opts.set("forced-idr", "1");
        let inner = video
            .open_with(opts)
            .map_err(|e| Error::ffmpeg(&label, e))?;
        Ok(X264Encoder { inner, label })
    }

    /// Codec parameters (with SPS/PPS) for a decoder of this encoder's packets.
    pub fn parameters(&self) -> codec::Parameters {
        codec::Parameters::from(&*self.inner)
    }

    /// The stream headers (SPS/PPS, Annex B) the encoder wrote at open (global header).
    pub fn extradata(&self) -> Vec<u8> {
        // SAFETY: the context is open and owned by self; libavcodec sets `extradata` to a
        // buffer of `extradata_size` bytes (or null) when the encoder opens.
        unsafe {
            let ctx = self.inner.as_ptr();
            let (data, size) = ((*ctx).extradata, (*ctx).extradata_size);
            if data.is_null() || size <= 0 {
                Vec::new()
            } else {
                std::slice::from_raw_parts(data, size as usize).to_vec()
            }
        }
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    /// Send a frame; its pts must be its frame index and its picture type `I` where a
    /// keyframe is required, `None` elsewhere.
    pub fn send(&mut self, frame: &frame::Video) -> Result<()> {
        self.inner
            .send_frame(frame)
            .map_err(|e| Error::ffmpeg(&self.label, e))
    }

    pub fn send_eof(&mut self) -> Result<()> {
        self.inner
            .send_eof()
            .map_err(|e| Error::ffmpeg(&self.label, e))
    }

    /// The next packet, or `None` when the encoder needs more frames (or is drained).
    pub fn receive(&mut self) -> Result<Option<Packet>> {
        let mut packet = Packet::empty();
        match self.inner.receive_packet(&mut packet) {
            Ok(()) => Ok(Some(packet)),
            Err(ffmpeg_next::Error::Eof) => Ok(None),
            Err(ffmpeg_next::Error::Other { errno }) if errno == libc::EAGAIN => Ok(None),
            Err(e) => Err(Error::ffmpeg(&self.label, e)),
        }
    }
}

/// Version of libavcodec as `major.minor.micro`.
pub fn libavcodec_version() -> String {
    let v = ffmpeg_next::codec::version();
    format!("{}.{}.{}", v >> 16, (v >> 8) & 0xff, v & 0xff)
}
