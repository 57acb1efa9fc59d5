//! Trial and final encodes, in memory, with any [`Codec`]'s libavcodec encoder.
//!
//! See [`Encoder`] for the GOP structure every codec is given.

use crate::encode::codec::{Codec, Presets};
use crate::error::{Error, Result, Setting};
use crate::source::frame_rate::FrameRate;
use crate::source::resolution::Resolution;
use ffmpeg_next::{Dictionary, Packet, Rational, codec, encoder, format, frame, picture};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

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
///
/// The memset makes every byte an allocation asks for resident, including the padding of
/// aligned allocations: x264 allocates each frame (about 3.4 MB for a 720p lookahead frame,
/// 5.5 MB for a reconstructed one) 2 MiB-aligned, which glibc serves by asking for 2 MiB
/// more and, for an allocation it maps by itself (above its mmap threshold, which grows to
/// the largest block freed), keeps the padding in the mapping. So the mmap threshold is
/// pinned at [`MMAP_THRESHOLD`]: such allocations come from the heap, whose padding goes
/// back to the free lists. That cut the peak RSS of 28 points (scripts/bench/grid.sh,
/// `--metric psnr`) from 1,938 to about 1,460 MB; the bytes the encoders see are the same
/// zeros either way.
pub fn make_allocations_deterministic() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: mallopt only changes glibc's allocator settings; perturbing is always
        // valid, and the threshold is within the range glibc accepts.
        unsafe {
            libc::mallopt(libc::M_PERTURB, 255);
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        }
    });
}

/// glibc's mmap threshold once allocations are made deterministic: the largest it takes on
/// 64-bit systems (half its 64 MiB heap size); blocks above it are still mapped one by one.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 32 << 20;

/// Threads per encoder. Pinned: the bitstreams of x264, x265, SVT-AV1, libvpx and libaom all
/// depend on their thread counts.
pub const ENCODER_THREADS: usize = 1;

/// Settings shared by every encode of a run with one codec.
#[derive(Debug, Clone, PartialEq)]
pub struct EncoderSettings {
    /// The codec of every encode.
    pub codec: Codec,
    /// The codec's speed preset (a name for x264 and x265, a number for the others).
    pub preset: String,
    /// Maximum keyframe interval in frames (the longest segment).
    pub keyint: u32,
}

impl EncoderSettings {
    /// The settings of every encode cut into `segmenter`'s segments: the maximum keyframe
    /// interval is the longest segment. Trial and final encodes both come from here, which
    /// keeps a measured rung's final encode equal to its trial encode.
    pub fn for_segments(
        codec: Codec,
        preset: &str,
        segmenter: &crate::encode::segment::Segmenter,
    ) -> Result<Self> {
        let settings = EncoderSettings {
            codec,
            preset: preset.to_string(),
            keyint: segmenter.max_segment_frames().min(u64::from(u32::MAX)) as u32,
        };
        settings.validate()?;
        Ok(settings)
    }

    /// Fail unless the preset is one the codec takes.
    pub fn validate(&self) -> Result<()> {
        self.codec.validate_preset(&self.preset)
    }
}

/// How an encode spends its bits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateControl {
    /// Constant quality: the encoder targets a quality (its CRF, or for libvpx and libaom
    /// their constant-quality level), the bitrate follows the content.
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

    /// Check the value is one `codec` takes.
    pub fn validate(self, codec: Codec) -> Result<()> {
        match self {
            RateControl::Crf(c) => codec.validate_quality(c),
            RateControl::CappedKbps(k) if k.is_finite() && k > 0.0 => Ok(()),
            RateControl::CappedKbps(k) => Err(Error::setting(
                Setting::TargetBitrate,
                format!("{k} kbps must be positive"),
            )),
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

/// How an encoder is made to open every segment with a keyframe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SegmentStarts {
    /// The frame's picture type `I` forces a keyframe that starts a closed GOP.
    ForcedKeyframe,
    /// The encoder is flushed and a new one opened on the first frame of every segment (the
    /// new one starts with a keyframe). For libaom, whose forced keyframes come out as two
    /// keyframes (the forced frame and the next), and for SVT-AV1 in bitrate mode, which
    /// ignores forced keyframes.
    NewEncoder,
}

/// Whether an encode of `codec` at `rate_control` gets a new encoder at every segment start
/// (so no segment's encode depends on another's frames).
pub fn restarts_per_segment(codec: Codec, rate_control: RateControl) -> bool {
    segment_starts(codec, rate_control) == SegmentStarts::NewEncoder
}

fn segment_starts(codec: Codec, rate_control: RateControl) -> SegmentStarts {
    match (codec, rate_control) {
        (Codec::AomAv1, _) | (Codec::SvtAv1, RateControl::CappedKbps(_)) => {
            SegmentStarts::NewEncoder
        }
        _ => SegmentStarts::ForcedKeyframe,
    }
}

/// The smallest frame side an encoder takes: SVT-AV1 refuses frames under 64 pixels a side,
/// the others take the smallest sizes pertitle measures.
pub fn min_side(codec: Codec) -> u32 {
    match codec {
        Codec::SvtAv1 => 64,
        _ => 16,
    }
}

/// Quieten the encoder libraries that log to stderr on their own (SVT-AV1 prints a banner
/// and its configuration for every encoder it opens) unless the user chose a level. Call it
/// before any other thread starts: it sets an environment variable.
pub fn quiet_encoder_logs() {
    if std::env::var_os("SVT_LOG").is_none() {
        // SAFETY: called at program start, before any thread exists that could read the
        // environment concurrently (the caller's contract).
        unsafe { std::env::set_var("SVT_LOG", "1") };
    }
}

/// One encoder producing packets in memory, for any [`Codec`].
///
/// GOP structure, for every codec: every segment opens with a keyframe that starts a closed
/// GOP (an IDR frame for H.264 and HEVC), and the maximum keyframe interval is one segment,
/// so renditions can switch at segment boundaries. The encoders' scene-cut detection stays
/// on, so extra keyframes may appear inside a segment where the content cuts. Each encoder
/// runs on one thread, which makes its output independent of scheduling.
pub struct Encoder {
    settings: EncoderSettings,
    size: Resolution,
    rate: FrameRate,
    rate_control: RateControl,
    starts: SegmentStarts,
    inner: encoder::Video,
    /// The threads the current encoder library started for itself (x265's frame encoder and
    /// lookahead, SVT-AV1's pipeline), whose CPU time is the encoder's too.
    threads: Vec<i32>,
    /// CPU time of the threads of encoders already closed at segment starts.
    closed_threads_cpu: std::time::Duration,
    /// Packets of encoders already flushed at a segment start, not yet received.
    queued: VecDeque<Packet>,
    frames_sent: u64,
    /// Stream headers carried by the first packet (libaom's sequence header).
    packet_extradata: Option<Vec<u8>>,
    /// The first packet's bytes (a keyframe: AV1's sequence header, VP9's profile).
    first_packet: Option<Vec<u8>>,
    label: String,
}

impl Encoder {
    /// Open an encoder for yuv420p frames of `size` whose pts count frames at `rate`.
    pub fn open(
        size: Resolution,
        rate: FrameRate,
        rate_control: RateControl,
        settings: &EncoderSettings,
    ) -> Result<Self> {
        crate::source::init();
        make_allocations_deterministic();
        settings.validate()?;
        let codec = settings.codec;
        rate_control.validate(codec)?;
        let label = format!("{codec} {size} {rate_control}");
        let floor = min_side(codec);
        if size.width < floor || size.height < floor {
            return Err(Error::Encoder {
                what: label,
                problem: format!("{codec} encodes frames of at least {floor} pixels a side"),
            });
        }
        let (inner, threads) = open_inner(size, rate, rate_control, settings, &label)?;
        Ok(Encoder {
            settings: settings.clone(),
            size,
            rate,
            rate_control,
            starts: segment_starts(codec, rate_control),
            inner,
            threads,
            closed_threads_cpu: std::time::Duration::ZERO,
            queued: VecDeque::new(),
            frames_sent: 0,
            packet_extradata: None,
            first_packet: None,
            label,
        })
    }

    /// The codec it encodes with.
    pub fn codec(&self) -> Codec {
        self.settings.codec
    }

    /// Codec parameters (with the stream headers, where the encoder writes them at open) for
    /// a decoder or muxer of this encoder's packets.
    pub fn parameters(&self) -> codec::Parameters {
        codec::Parameters::from(&*self.inner)
    }

    /// The stream headers: what the encoder wrote at open (global header: SPS/PPS for H.264,
    /// VPS/SPS/PPS for HEVC, the AV1 sequence header), or else what its first packet
    /// carried as new extradata (libaom). Empty for VP9, which has none.
    pub fn extradata(&self) -> Vec<u8> {
        let at_open = context_extradata(&self.inner);
        if at_open.is_empty() {
            self.packet_extradata.clone().unwrap_or_default()
        } else {
            at_open
        }
    }

    /// The encode in words (codec, size, rate control), as its errors name it.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// CPU time the encoder library's own threads have used (zero for an encoder that runs
    /// in the caller's thread only, as x264, libvpx and libaom do with one thread); the time
    /// spent in [`send`](Self::send) and [`receive`](Self::receive) is the caller's.
    pub fn library_threads_cpu(&self) -> std::time::Duration {
        self.closed_threads_cpu + threads_cpu(&self.threads)
    }

    /// The RFC 6381 CODECS string of the stream, from its headers; `None` before the first
    /// packet (or if the headers cannot be read).
    pub fn codecs(&self) -> Option<String> {
        let first = self.first_packet.as_deref()?;
        crate::encode::codecs_string::of_stream(
            self.settings.codec,
            &self.extradata(),
            first,
            self.size,
            self.rate,
        )
    }

    /// Send a frame; its pts must be its frame index and its picture type `I` where a
    /// keyframe is required, `None` elsewhere.
    pub fn send(&mut self, frame: &frame::Video) -> Result<()> {
        let segment_start = frame.kind() == picture::Type::I;
        let sent = match self.starts {
            SegmentStarts::ForcedKeyframe => self.inner.send_frame(frame),
            SegmentStarts::NewEncoder => {
                if segment_start && self.frames_sent > 0 {
                    self.restart()?;
                }
                // The new encoder opens with a keyframe by itself; a forced one would add a
                // second (libaom) or be ignored.
                let unforced = shallow_copy(frame, picture::Type::None)?;
                self.inner.send_frame(&unforced)
            }
        };
        self.frames_sent += 1;
        sent.map_err(|e| Error::ffmpeg(&self.label, e))
    }

    /// Signal the end of the frames, so that [`receive`](Self::receive) drains the encoder.
    pub fn send_eof(&mut self) -> Result<()> {
        self.inner
            .send_eof()
            .map_err(|e| Error::ffmpeg(&self.label, e))
    }

    /// The next packet, or `None` when the encoder needs more frames (or is drained).
    pub fn receive(&mut self) -> Result<Option<Packet>> {
        if let Some(packet) = self.queued.pop_front() {
            return Ok(Some(packet));
        }
        let packet = receive_from(&mut self.inner, &self.label)?;
        if let Some(p) = &packet {
            self.note_packet(p);
        }
        Ok(packet)
    }

    /// Flush the current encoder into the queue and open a fresh one.
    fn restart(&mut self) -> Result<()> {
        self.inner
            .send_eof()
            .map_err(|e| Error::ffmpeg(&self.label, e))?;
        while let Some(packet) = receive_from(&mut self.inner, &self.label)? {
            self.note_packet(&packet);
            self.queued.push_back(packet);
        }
        // The old encoder's threads end with it: count their time first.
        self.closed_threads_cpu += threads_cpu(&self.threads);
        let (inner, threads) = open_inner(
            self.size,
            self.rate,
            self.rate_control,
            &self.settings,
            &self.label,
        )?;
        self.inner = inner;
        self.threads = threads;
        Ok(())
    }

    fn note_packet(&mut self, packet: &Packet) {
        if self.first_packet.is_none() {
            self.first_packet = packet.data().map(<[u8]>::to_vec);
        }
        if self.packet_extradata.is_none() {
            self.packet_extradata = packet
                .side_data()
                .find(|s| s.kind() == ffmpeg_next::packet::side_data::Type::NewExtraData)
                .map(|s| s.data().to_vec());
        }
    }
}

fn threads_cpu(threads: &[i32]) -> std::time::Duration {
    threads
        .iter()
        .filter_map(|&t| crate::encode::cputime::thread_cpu_time_of(t))
        .sum()
}

/// Open one libavcodec encoder with the codec's options for reproducible, segment-aligned
/// encodes; also the threads it started. Encoders open one at a time, so that the threads
/// that appear while one opens are its own.
fn open_inner(
    size: Resolution,
    rate: FrameRate,
    rate_control: RateControl,
    settings: &EncoderSettings,
    label: &str,
) -> Result<(encoder::Video, Vec<i32>)> {
    static OPENING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = OPENING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let before = crate::encode::cputime::process_threads();
    let inner = open_unlocked(size, rate, rate_control, settings, label)?;
    let threads = crate::encode::cputime::process_threads()
        .into_iter()
        .filter(|t| before.binary_search(t).is_err())
        .collect();
    Ok((inner, threads))
}

fn open_unlocked(
    size: Resolution,
    rate: FrameRate,
    rate_control: RateControl,
    settings: &EncoderSettings,
    label: &str,
) -> Result<encoder::Video> {
    let codec = settings.codec;
    let found = encoder::find_by_name(codec.encoder())
        .ok_or_else(|| Error::ffmpeg(label, ffmpeg_next::Error::EncoderNotFound))?;
    let mut ctx = codec::Context::new_with_codec(found);
    ctx.set_threading(codec::threading::Config {
        kind: codec::threading::Type::Frame,
        count: ENCODER_THREADS,
        ..Default::default()
    });
    let mut flags = codec::Flags::GLOBAL_HEADER;
    if matches!(codec, Codec::X265 | Codec::SvtAv1) {
        // Forced keyframes become IDR frames only in closed GOPs (open ones make them CRA).
        flags |= codec::Flags::CLOSED_GOP;
    }
    ctx.set_flags(flags);
    let mut video = ctx.encoder().video().map_err(|e| Error::ffmpeg(label, e))?;
    video.set_width(size.width);
    video.set_height(size.height);
    video.set_format(format::Pixel::YUV420P);
    video.set_time_base(Rational::new(rate.den as i32, rate.num as i32));
    video.set_frame_rate(Some(Rational::new(rate.num as i32, rate.den as i32)));
    video.set_gop(settings.keyint.max(1));
    let opts = codec_options(codec, &settings.preset, rate_control);
    check_options(&mut video, &opts, codec, label)?;
    video.open_with(opts).map_err(|e| Error::ffmpeg(label, e))
}

/// Fail when the encoder (or libavcodec's generic options) has no option of a name in
/// `opts`: libavcodec would leave it unused without a word.
fn check_options(
    video: &mut encoder::video::Video,
    opts: &Dictionary,
    codec: Codec,
    label: &str,
) -> Result<()> {
    for (name, _) in opts.iter() {
        let c_name = std::ffi::CString::new(name)
            .map_err(|_| Error::Internal(format!("{label}: option name {name:?}")))?;
        // SAFETY: the context is allocated for the encoder (its private options exist) and
        // not yet opened; av_opt_find only reads the option tables.
        let found = unsafe {
            ffmpeg_next::ffi::av_opt_find(
                video.as_mut_ptr().cast(),
                c_name.as_ptr(),
                std::ptr::null(),
                0,
                ffmpeg_next::ffi::AV_OPT_SEARCH_CHILDREN,
            )
        };
        if found.is_null() {
            return Err(Error::Encoder {
                what: label.to_string(),
                problem: format!("{} takes no option {name:?}", codec.encoder()),
            });
        }
    }
    Ok(())
}

/// The private and generic options of each codec's encoder.
fn codec_options(codec: Codec, preset: &str, rate_control: RateControl) -> Dictionary<'static> {
    let mut opts = Dictionary::new();
    match codec.presets() {
        Presets::Named(_) => opts.set("preset", preset),
        Presets::Numbered { option, .. } => opts.set(option, preset),
    }
    let bits = |k: f64| format!("{}", (k * 1000.0).round() as i64);
    match rate_control {
        RateControl::Crf(q) => {
            opts.set(codec.quality().option, &format!("{q}"));
            if matches!(codec, Codec::Vp9 | Codec::AomAv1) {
                // No target bitrate: constant-quality mode, not constrained quality.
                opts.set("b", "0");
            }
        }
        // Generic AVCodecContext options, applied by avcodec_open2 like the private ones.
        RateControl::CappedKbps(kbps) => {
            opts.set("b", &bits(kbps));
            opts.set("maxrate", &bits(kbps * VBV_MAXRATE_FACTOR));
            opts.set("bufsize", &bits(kbps * VBV_BUFFER_SECONDS));
        }
    }
    match codec {
        // A forced keyframe (pict_type I) becomes an IDR: closed GOP at segment starts.
        Codec::X264 => opts.set("forced-idr", "1"),
        Codec::X265 => {
            opts.set("forced-idr", "1");
            // Without `pools=none` x265 sizes its thread pool by the machine, and its output
            // changes with it; its banner and per-encode summary go to stderr otherwise.
            opts.set("x265-params", "pools=none:frame-threads=1:log-level=error");
        }
        Codec::SvtAv1 => {
            let mut params = String::from("lp=1");
            if let RateControl::Crf(_) = rate_control {
                // SVT-AV1 ignores forced keyframes unless told; it honours them only in
                // constant-quality modes.
                params.push_str(":enable-force-key-frames=1");
            }
            opts.set("svtav1-params", &params);
        }
        Codec::Vp9 => {
            opts.set("deadline", "good");
            opts.set("row-mt", "0");
        }
        Codec::AomAv1 => {
            opts.set("usage", "good");
            opts.set("row-mt", "0");
        }
    }
    opts
}

fn receive_from(inner: &mut encoder::Video, label: &str) -> Result<Option<Packet>> {
    let mut packet = Packet::empty();
    match inner.receive_packet(&mut packet) {
        Ok(()) => Ok(Some(packet)),
        Err(ffmpeg_next::Error::Eof) => Ok(None),
        Err(ffmpeg_next::Error::Other { errno }) if errno == libc::EAGAIN => Ok(None),
        Err(e) => Err(Error::ffmpeg(label, e)),
    }
}

fn context_extradata(inner: &encoder::Video) -> Vec<u8> {
    // SAFETY: the context is open and owned by `inner`; libavcodec sets `extradata` to a
    // buffer of `extradata_size` bytes (or null) when the encoder opens.
    unsafe {
        let ctx = inner.as_ptr();
        let (data, size) = ((*ctx).extradata, (*ctx).extradata_size);
        if data.is_null() || size <= 0 {
            Vec::new()
        } else {
            std::slice::from_raw_parts(data, size as usize).to_vec()
        }
    }
}

/// A new reference to `frame`'s pictures (no pixels copied) with picture type `kind`.
fn shallow_copy(frame: &frame::Video, kind: picture::Type) -> Result<frame::Video> {
    let mut copy = frame::Video::empty();
    // SAFETY: both frames are valid AVFrames; av_frame_ref adds references to the source's
    // buffers (copying them if they are not reference-counted) and copies its properties.
    let ret = unsafe { ffmpeg_next::ffi::av_frame_ref(copy.as_mut_ptr(), frame.as_ptr()) };
    if ret < 0 {
        return Err(Error::ffmpeg(
            "referencing a frame",
            ffmpeg_next::Error::from(ret),
        ));
    }
    copy.set_kind(kind);
    Ok(copy)
}

/// Version of libavcodec as `major.minor.micro`.
pub fn libavcodec_version() -> String {
    let v = ffmpeg_next::codec::version();
    format!("{}.{}.{}", v >> 16, (v >> 8) & 0xff, v & 0xff)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::decode::VideoDecoder;

    /// A smooth moving gradient (no scene cuts), yuv420p.
    fn frame(size: Resolution, index: u64) -> frame::Video {
        let mut f = frame::Video::new(format::Pixel::YUV420P, size.width, size.height);
        for plane in 0..3 {
            let (w, h) = if plane == 0 {
                (size.width as usize, size.height as usize)
            } else {
                (size.width as usize / 2, size.height as usize / 2)
            };
            let stride = f.stride(plane);
            let data = f.data_mut(plane);
            for y in 0..h {
                for x in 0..w {
                    let v = (x * 3 + y * 2 + index as usize * 2 + plane * 40) % 220 + 16;
                    data[y * stride + x] = v as u8;
                }
            }
        }
        f.set_pts(Some(index as i64));
        f
    }

    struct Encoded {
        packets: Vec<Packet>,
        parameters: codec::Parameters,
        codecs: Option<String>,
        library_cpu: std::time::Duration,
    }

    /// Encode `frames` frames of 96x64 at 24 fps, asking for keyframes at `starts`.
    fn encode(codec: Codec, rate_control: RateControl, starts: &[u64], frames: u64) -> Encoded {
        let size = Resolution::new(96, 64);
        let rate = FrameRate::new(24, 1).unwrap();
        let settings = EncoderSettings {
            codec,
            preset: codec.default_preset().to_string(),
            keyint: 13,
        };
        let mut enc = Encoder::open(size, rate, rate_control, &settings).unwrap();
        let mut packets = Vec::new();
        for i in 0..frames {
            let mut f = frame(size, i);
            let kind = if starts.contains(&i) {
                picture::Type::I
            } else {
                picture::Type::None
            };
            f.set_kind(kind);
            enc.send(&f).unwrap();
            while let Some(p) = enc.receive().unwrap() {
                packets.push(p);
            }
        }
        enc.send_eof().unwrap();
        while let Some(p) = enc.receive().unwrap() {
            packets.push(p);
        }
        Encoded {
            packets,
            parameters: enc.parameters(),
            codecs: enc.codecs(),
            library_cpu: enc.library_threads_cpu(),
        }
    }

    /// The luma planes a fresh decoder makes of `packets`.
    fn decode(parameters: &codec::Parameters, packets: &[Packet]) -> Vec<Vec<u8>> {
        let mut decoder = VideoDecoder::open(parameters.clone(), 1).unwrap();
        let mut out = Vec::new();
        let mut take = |d: &mut VideoDecoder| {
            while let Some(f) = d.receive().unwrap() {
                let (w, h, stride) = (f.width() as usize, f.height() as usize, f.stride(0));
                let rows = f.data(0).chunks(stride).take(h);
                out.push(rows.flat_map(|r| r[..w].to_vec()).collect());
            }
        };
        for p in packets {
            decoder.send(p).unwrap();
            take(&mut decoder);
        }
        decoder.send_eof().unwrap();
        take(&mut decoder);
        out
    }

    #[test]
    fn an_option_the_encoder_does_not_take_is_an_error() {
        crate::source::init();
        for codec in Codec::ALL {
            let found = encoder::find_by_name(codec.encoder()).unwrap();
            let mut video = codec::Context::new_with_codec(found)
                .encoder()
                .video()
                .unwrap();
            let ours = codec_options(codec, codec.default_preset(), RateControl::Crf(30.0));
            assert!(
                check_options(&mut video, &ours, codec, "t").is_ok(),
                "{codec}"
            );
            let mut bad = Dictionary::new();
            bad.set("b", "1000");
            bad.set(
                if codec == Codec::X264 {
                    "row-mt"
                } else {
                    "x264-params"
                },
                "1",
            );
            let err = check_options(&mut video, &bad, codec, "t")
                .unwrap_err()
                .to_string();
            assert!(err.contains("takes no option"), "{codec}: {err}");
        }
    }

    #[test]
    fn every_codec_opens_each_segment_with_a_closed_gop_and_repeats_bit_for_bit() {
        // Segments of 13, 12, 13 and 12 frames, as 24 fps cut every 0.52 s gives.
        let starts = [0, 13, 25, 38];
        for codec in Codec::ALL {
            let rates = [
                RateControl::Crf(codec.default_crfs()[2]),
                RateControl::CappedKbps(300.0),
            ];
            for rate in rates {
                let what = format!("{codec} {rate}");
                let e = encode(codec, rate, &starts, 50);
                let keys: Vec<i64> = e
                    .packets
                    .iter()
                    .filter(|p| p.is_key())
                    .filter_map(Packet::pts)
                    .collect();
                assert_eq!(keys, starts.map(|s| s as i64), "{what}: keyframes");
                assert_eq!(e.packets.len(), 50, "{what}: one packet per frame");
                let again = encode(codec, rate, &starts, 50);
                let bytes = |e: &Encoded| -> Vec<Vec<u8>> {
                    e.packets
                        .iter()
                        .map(|p| p.data().unwrap_or_default().to_vec())
                        .collect()
                };
                assert!(
                    bytes(&e) == bytes(&again),
                    "{what}: a second encode differs"
                );
                assert!(e.codecs.is_some(), "{what}: no CODECS string");
                // x265 and SVT-AV1 encode in threads of their own, and their time counts.
                let own_threads = matches!(codec, Codec::X265 | Codec::SvtAv1);
                assert_eq!(
                    !e.library_cpu.is_zero(),
                    own_threads,
                    "{what}: {:?}",
                    e.library_cpu
                );
                // Closed GOPs: decoding from a segment's first packet on gives the very frames
                // the whole stream gives.
                let whole = decode(&e.parameters, &e.packets);
                assert_eq!(whole.len(), 50, "{what}: frames decoded");
                let at = e.packets.iter().position(|p| p.pts() == Some(25)).unwrap();
                let tail = decode(&e.parameters, &e.packets[at..]);
                assert!(
                    tail == whole[25..],
                    "{what}: segment 2 depends on earlier frames"
                );
            }
        }
    }
}
