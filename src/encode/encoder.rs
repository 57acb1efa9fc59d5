//! Trial and final encodes, in memory, with any [`Codec`]'s libavcodec encoder.
//!
//! See [`Encoder`] for the GOP structure every codec is given.

use crate::encode::codec::Codec;
pub use crate::encode::rate_control::{
    CAP_BUFFER_SECONDS, CapRule, Pass, RateControl, TWO_PASS_MAXRATE_FACTOR, VBV_BUFFER_SECONDS,
    VBV_MAXRATE_FACTOR,
};
use crate::encode::rate_control::{codec_options, stats_file};
use crate::error::{Error, Result};
use crate::source::frame_rate::FrameRate;
use crate::source::resolution::Resolution;
use ffmpeg_next::{Dictionary, Packet, Rational, codec, encoder, format, frame, picture};
use std::collections::VecDeque;
use std::path::PathBuf;

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
    /// Where two-pass encodes keep their statistics between the passes
    /// ([`crate::encode::rate_control::stats_file`]); `None` when no encode is two-pass.
    pub pass_dir: Option<PathBuf>,
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
            pass_dir: None,
        };
        settings.validate()?;
        Ok(settings)
    }

    /// Fail unless the preset is one the codec takes.
    pub fn validate(&self) -> Result<()> {
        self.codec.validate_preset(&self.preset)
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
    /// What every libavcodec encoder of this encode is opened with.
    opening: Opening,
    starts: SegmentStarts,
    /// The libavcodec encoder, closed under [`lifecycle`] when the `Encoder` drops; `None`
    /// only after one failed to open at a restart (the encode has failed).
    inner: Option<encoder::Video>,
    /// The threads the current encoder library started for itself (x265's frame encoder and
    /// lookahead, SVT-AV1's pipeline), whose CPU time is the encoder's too.
    threads: Vec<i32>,
    /// CPU time of the threads of encoders already closed at segment starts.
    closed_threads_cpu: std::time::Duration,
    /// Packets of encoders already flushed at a segment start, not yet received, with the
    /// bytes of parameter sets put in band before each.
    queued: VecDeque<(Packet, usize)>,
    frames_sent: u64,
    /// A shot-based encode's shots, and the next shot to open an encoder for.
    shots: Option<(ShotRates, usize)>,
    /// The stream headers of each size encoded: every encoder of a shot-based encode must
    /// write the same headers (without informational SEI) as the first at its size.
    headers: Vec<SizeHeaders>,
    /// The shots change size, and the H.264/HEVC parameter sets of the current encoder go
    /// in band, before every key frame (`avc3`/`hev1`).
    in_band: bool,
    /// The bytes of parameter sets put in band before the last packet received.
    in_band_bytes: usize,
    /// A stream that changes size from shot to shot: its largest size, whose headers (in
    /// `headers`) the stream declares.
    largest: Option<Resolution>,
    /// Stream headers carried by the first packet (libaom's sequence header).
    packet_extradata: Option<Vec<u8>>,
    /// The first packet's bytes (a keyframe: AV1's sequence header, VP9's profile).
    first_packet: Option<Vec<u8>>,
    label: String,
}

impl Encoder {
    /// Open an encoder for yuv420p frames of `size` whose pts count frames at `rate`. A
    /// two-pass `rate_control` opens the second pass, which reads the statistics its first
    /// pass ([`open_first_pass`](Self::open_first_pass)) wrote in `settings.pass_dir`.
    pub fn open(
        size: Resolution,
        rate: FrameRate,
        rate_control: RateControl,
        settings: &EncoderSettings,
    ) -> Result<Self> {
        Encoder::open_pass(size, rate, rate_control, settings, Pass::Final)
    }

    /// Open the first pass of a two-pass encode (`rate_control` must be two-pass): its
    /// packets are of no use, its statistics go to `settings.pass_dir` when it is flushed.
    pub fn open_first_pass(
        size: Resolution,
        rate: FrameRate,
        rate_control: RateControl,
        settings: &EncoderSettings,
    ) -> Result<Self> {
        Encoder::open_pass(size, rate, rate_control, settings, Pass::First)
    }

    fn open_pass(
        size: Resolution,
        rate: FrameRate,
        rate_control: RateControl,
        settings: &EncoderSettings,
        pass: Pass,
    ) -> Result<Self> {
        Encoder::open_with(size, rate, rate_control, settings, pass, false)
    }

    fn open_with(
        size: Resolution,
        rate: FrameRate,
        rate_control: RateControl,
        settings: &EncoderSettings,
        pass: Pass,
        per_shot: bool,
    ) -> Result<Self> {
        crate::source::init();
        make_allocations_deterministic();
        settings.validate()?;
        let codec = settings.codec;
        rate_control.validate(codec)?;
        let mut label = format!("{codec} {size} {rate_control}");
        if pass == Pass::First {
            label.push_str(" (first pass)");
        }
        check_size(codec, size, &label)?;
        if pass == Pass::First && !rate_control.needs_first_pass() {
            return Err(Error::Internal(format!(
                "{label}: a first pass of a one-pass encode"
            )));
        }
        let opening = Opening {
            size,
            rate,
            rate_control,
            pass,
            per_shot,
        };
        let (inner, threads) = open_inner(&opening, settings, &label)?;
        let headers = vec![SizeHeaders::of(codec, size, context_extradata(&inner))];
        Ok(Encoder {
            settings: settings.clone(),
            opening,
            starts: segment_starts(codec, rate_control),
            inner: Some(inner),
            threads,
            closed_threads_cpu: std::time::Duration::ZERO,
            queued: VecDeque::new(),
            frames_sent: 0,
            shots: None,
            headers,
            in_band: false,
            in_band_bytes: 0,
            largest: None,
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
        self.inner
            .as_ref()
            .map_or_else(codec::Parameters::new, codec::Parameters::from)
    }

    /// The stream headers: what the encoder wrote at open (global header: SPS/PPS for H.264,
    /// VPS/SPS/PPS for HEVC, the AV1 sequence header), or else what its first packet
    /// carried as new extradata (libaom). Empty for VP9, which has none.
    pub fn extradata(&self) -> Vec<u8> {
        let at_open = self
            .inner
            .as_ref()
            .map(context_extradata)
            .unwrap_or_default();
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
    ///
    /// A stream that changes size from shot to shot is named by its largest size's headers
    /// (the highest level), with its in-band sample entry (`avc3`, `hev1`).
    pub fn codecs(&self) -> Option<String> {
        let first = self.first_packet.as_deref()?;
        let codec = self.settings.codec;
        let Some((size, headers)) = self.stream_headers() else {
            return crate::encode::codecs_string::of_stream(
                codec,
                &self.extradata(),
                first,
                self.opening.size,
                self.opening.rate,
            );
        };
        let named = crate::encode::codecs_string::of_stream(
            codec,
            headers,
            first,
            size,
            self.opening.rate,
        )?;
        let entry = codec.sample_entry_changing_size()?;
        Some(match named.split_once('.') {
            Some((_, rest)) => format!("{entry}.{rest}"),
            None => named,
        })
    }

    /// Send a frame; its pts must be its frame index and its picture type `I` where a
    /// keyframe is required, `None` elsewhere.
    pub fn send(&mut self, frame: &frame::Video) -> Result<()> {
        let segment_start = frame.kind() == picture::Type::I;
        let shot_start = self.next_shot_starts_here();
        if let Some((rate_control, size)) = shot_start {
            self.opening.rate_control = rate_control;
            self.opening.size = size;
            self.restart()?;
        }
        let sent = match self.starts {
            SegmentStarts::ForcedKeyframe => self.current()?.send_frame(frame),
            SegmentStarts::NewEncoder => {
                if segment_start && self.frames_sent > 0 && shot_start.is_none() {
                    self.restart()?;
                }
                // The new encoder opens with a keyframe by itself; a forced one would add a
                // second (libaom) or be ignored.
                let unforced = shallow_copy(frame, picture::Type::None)?;
                self.current()?.send_frame(&unforced)
            }
        };
        self.frames_sent += 1;
        sent.map_err(|e| Error::ffmpeg(&self.label, e))
    }

    /// Signal the end of the frames, so that [`receive`](Self::receive) drains the encoder.
    pub fn send_eof(&mut self) -> Result<()> {
        self.current()?
            .send_eof()
            .map_err(|e| Error::ffmpeg(&self.label, e))
    }

    /// The next packet, or `None` when the encoder needs more frames (or is drained).
    pub fn receive(&mut self) -> Result<Option<Packet>> {
        let next = match self.queued.pop_front() {
            Some(queued) => Some(queued),
            None => self.receive_from_inner()?,
        };
        self.in_band_bytes = next.as_ref().map_or(0, |(_, n)| *n);
        Ok(next.map(|(p, _)| p))
    }

    /// The rate control and size of the shot starting at the next frame, when one does (not
    /// the first, whose encoder is open); moves on to the shot after it.
    fn next_shot_starts_here(&mut self) -> Option<(RateControl, Resolution)> {
        let (shots, next) = self.shots.as_mut()?;
        if shots.starts().get(*next) != Some(&self.frames_sent) {
            return None;
        }
        let shot = (shots.rates()[*next], shots.size(*next, self.opening.size));
        *next += 1;
        Some(shot)
    }

    /// The open libavcodec encoder.
    fn current(&mut self) -> Result<&mut encoder::Video> {
        let label = &self.label;
        self.inner
            .as_mut()
            .ok_or_else(|| Error::Internal(format!("{label}: the encoder failed to reopen")))
    }

    /// Flush the current encoder into the queue and open a fresh one.
    fn restart(&mut self) -> Result<()> {
        self.current()?
            .send_eof()
            .map_err(|e| Error::ffmpeg(&self.label, e))?;
        while let Some(queued) = self.receive_from_inner()? {
            self.queued.push_back(queued);
        }
        // The old encoder's threads end with it: count their time first.
        self.closed_threads_cpu += threads_cpu(&self.threads);
        check_size(self.settings.codec, self.opening.size, &self.label)?;
        // Closed before the next opens, so that no two of an encode's encoders (hundreds of
        // megabytes each at 720p) are alive at once.
        if let Some(old) = self.inner.take() {
            close(old);
        }
        let (inner, threads) = open_inner(&self.opening, &self.settings, &self.label)?;
        let opened = SizeHeaders::of(
            self.settings.codec,
            self.opening.size,
            context_extradata(&inner),
        );
        match self.headers.iter().find(|h| h.size == opened.size) {
            Some(first) if first.compared != opened.compared => {
                close(inner);
                return Err(Error::Encoder {
                    what: self.label.clone(),
                    problem: format!(
                        "the encoder opened at frame {} ({}) wrote other stream headers than \
                         the first at {}: its encodes cannot be joined into one stream",
                        self.frames_sent, self.opening.rate_control, opened.size
                    ),
                });
            }
            Some(_) => {}
            None => self.headers.push(opened),
        }
        self.inner = Some(inner);
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

/// Fail unless `codec` encodes frames of `size` (the encode `label`).
fn check_size(codec: Codec, size: Resolution, label: &str) -> Result<()> {
    let floor = min_side(codec);
    if size.width < floor || size.height < floor {
        return Err(Error::Encoder {
            what: label.to_string(),
            problem: format!("{codec} encodes frames of at least {floor} pixels a side ({size})"),
        });
    }
    Ok(())
}

fn threads_cpu(threads: &[i32]) -> std::time::Duration {
    threads
        .iter()
        .filter_map(|&t| crate::encode::cputime::thread_cpu_time_of(t))
        .sum()
}

/// What a libavcodec encoder of an [`Encoder`] is opened with.
#[derive(Debug, Clone, Copy)]
struct Opening {
    size: Resolution,
    rate: FrameRate,
    rate_control: RateControl,
    pass: Pass,
    /// One encoder of a shot-based encode, whose stream headers must not depend on its
    /// rate control.
    per_shot: bool,
}

impl Drop for Encoder {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            close(inner);
        }
    }
}

/// The lock under which libavcodec encoders open and close, one at a time: so that the
/// threads that appear while one opens are its own, and because SVT-AV1 frees shared state
/// when an instance closes (two SVT-AV1 encoders closed at once on two threads corrupted the
/// heap in about 1 run in 30).
fn lifecycle() -> std::sync::MutexGuard<'static, ()> {
    static LIFECYCLE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LIFECYCLE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Close a libavcodec encoder under [`lifecycle`].
fn close(inner: encoder::Video) {
    let _one_at_a_time = lifecycle();
    drop(inner);
}

/// Open one libavcodec encoder with the codec's options for reproducible, segment-aligned
/// encodes; also the threads it started (see [`lifecycle`]).
fn open_inner(
    opening: &Opening,
    settings: &EncoderSettings,
    label: &str,
) -> Result<(encoder::Video, Vec<i32>)> {
    let _one_at_a_time = lifecycle();
    let before = crate::encode::cputime::process_threads();
    let inner = open_unlocked(opening, settings, label)?;
    let threads = crate::encode::cputime::process_threads()
        .into_iter()
        .filter(|t| before.binary_search(t).is_err())
        .collect();
    Ok((inner, threads))
}

/// The statistics file of a two-pass encode (`None` for the others), checked: it must be in
/// a directory, and x265 takes no `:` in it.
fn two_pass_stats(
    opening: &Opening,
    settings: &EncoderSettings,
    label: &str,
) -> Result<Option<PathBuf>> {
    if !opening.rate_control.needs_first_pass() {
        return Ok(None);
    }
    let Some(dir) = &settings.pass_dir else {
        return Err(Error::Internal(format!(
            "{label}: a two-pass encode without a directory for its statistics"
        )));
    };
    let path = stats_file(dir, settings.codec, opening.size, opening.rate_control);
    if path.to_string_lossy().contains(':') {
        return Err(Error::Encoder {
            what: label.to_string(),
            problem: format!("{}: x265 takes no ':' in a statistics path", path.display()),
        });
    }
    if opening.pass == Pass::Final && !path.exists() {
        return Err(Error::Internal(format!(
            "{label}: the second pass has no first pass statistics ({})",
            path.display()
        )));
    }
    Ok(Some(path))
}

fn open_unlocked(
    opening: &Opening,
    settings: &EncoderSettings,
    label: &str,
) -> Result<encoder::Video> {
    let &Opening {
        size,
        rate,
        rate_control,
        pass,
        per_shot,
    } = opening;
    let codec = settings.codec;
    let stats = two_pass_stats(opening, settings, label)?;
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
    if stats.is_some() {
        flags |= match pass {
            Pass::First => codec::Flags::PASS1,
            Pass::Final => codec::Flags::PASS2,
        };
    }
    ctx.set_flags(flags);
    let mut video = ctx.encoder().video().map_err(|e| Error::ffmpeg(label, e))?;
    video.set_width(size.width);
    video.set_height(size.height);
    video.set_format(format::Pixel::YUV420P);
    video.set_time_base(Rational::new(rate.den as i32, rate.num as i32));
    video.set_frame_rate(Some(Rational::new(rate.num as i32, rate.den as i32)));
    video.set_gop(settings.keyint.max(1));
    let opts = codec_options(
        codec,
        &settings.preset,
        rate_control,
        pass,
        stats.as_deref(),
        per_shot,
    );
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

mod allocations;
pub use allocations::make_allocations_deterministic;
mod shot_rates;
pub use shot_rates::ShotRates;
use shot_rates::SizeHeaders;

#[cfg(test)]
mod tests;
