//! Shot-based encodes: a fresh encoder at every shot start, each shot at its own rate
//! control (and, for a free shot rung, size), joined into one stream whose headers must not
//! change at one size; a stream that changes size carries its H.264/HEVC parameter sets in
//! band.

use super::{
    Encoder, EncoderSettings, Opening, Pass, check_size, close, context_extradata, open_inner,
    receive_from,
};
use crate::encode::codec::Codec;
use crate::encode::rate_control::RateControl;
use crate::error::{Error, Result};
use crate::source::frame_rate::FrameRate;
use crate::source::resolution::Resolution;
use ffmpeg_next::Packet;

/// A shot-based encode: a fresh encoder opens on the first frame of every shot, each shot
/// encoded at its own rate control (one CRF per shot for a shot rung; the same for every
/// shot for a shot-based run's trial encodes). Each shot's encode then depends on its own
/// frames only, so a shot rung's final encode reproduces, shot by shot, the bits of the trial
/// encodes it was chosen from. Every encoder of the stream must write the same stream headers
/// (x264 is made `stitchable`; x265's differ only in the informational SEI naming its options).
#[derive(Debug, Clone, PartialEq)]
pub struct ShotRates {
    /// The first frame of every shot, increasing, the first 0.
    starts: std::sync::Arc<[u64]>,
    /// Each shot's rate control.
    rates: std::sync::Arc<[RateControl]>,
    /// Each shot's encoded size, when the shots are not all at the encode's size (a `free`
    /// shot rung); empty otherwise.
    sizes: std::sync::Arc<[Resolution]>,
}

impl ShotRates {
    /// Shots starting at `starts` (increasing, the first 0), encoded at `rates` (one each).
    pub fn new(starts: Vec<u64>, rates: Vec<RateControl>) -> Result<Self> {
        let increasing = starts.windows(2).all(|w| w[0] < w[1]);
        if starts.first() != Some(&0) || !increasing || starts.len() != rates.len() {
            return Err(Error::Internal(format!(
                "shot encode: {} shot starts {:?}... and {} rate controls",
                starts.len(),
                &starts[..starts.len().min(4)],
                rates.len()
            )));
        }
        Ok(ShotRates {
            starts: starts.into(),
            rates: rates.into(),
            sizes: std::sync::Arc::new([]),
        })
    }

    /// The same shots, each encoded at its own size of `sizes` (one each): the stream's size
    /// changes at shot starts, each shot's key frames carrying their parameter sets in band.
    pub fn with_sizes(self, sizes: Vec<Resolution>) -> Result<Self> {
        if sizes.len() != self.starts.len() {
            return Err(Error::Internal(format!(
                "shot encode: {} shots and {} sizes",
                self.starts.len(),
                sizes.len()
            )));
        }
        Ok(ShotRates {
            sizes: sizes.into(),
            ..self
        })
    }

    /// Shot `k`'s encoded size: its own, or `default` (the encode's) when the shots have no
    /// sizes of their own.
    pub fn size(&self, k: usize, default: Resolution) -> Resolution {
        self.sizes.get(k).copied().unwrap_or(default)
    }

    /// Whether the shots are encoded at more than one size.
    pub fn changes_size(&self) -> bool {
        self.sizes.windows(2).any(|w| w[0] != w[1])
    }

    /// The largest of the shots' sizes (by height, then width, as a shot rung declares it),
    /// or `default` when they have none.
    pub fn largest(&self, default: Resolution) -> Resolution {
        self.sizes
            .iter()
            .copied()
            .max_by_key(|r| (r.height, r.width))
            .unwrap_or(default)
    }

    /// The shot frame `frame` lies in.
    pub fn shot_of(&self, frame: u64) -> usize {
        self.starts
            .partition_point(|&s| s <= frame)
            .saturating_sub(1)
    }

    /// Every shot of `shots` at the same `rate`.
    pub fn uniform(shots: &[crate::shots::Shot], rate: RateControl) -> Result<Self> {
        ShotRates::new(
            shots.iter().map(|s| s.start_frame).collect(),
            vec![rate; shots.len()],
        )
    }

    /// The shots' rate controls.
    pub fn rates(&self) -> &[RateControl] {
        &self.rates
    }

    /// The first frame of every shot.
    pub fn starts(&self) -> &[u64] {
        &self.starts
    }
}

impl Encoder {
    /// Open a shot-based encode: a fresh encoder on the first frame of every shot of `shots`,
    /// at the shot's rate control (see [`ShotRates`]). Two-pass rate control is refused.
    pub fn open_per_shot(
        size: Resolution,
        rate: FrameRate,
        shots: &ShotRates,
        settings: &EncoderSettings,
    ) -> Result<Self> {
        let first = shots.rates()[0];
        if let Some(r) = shots.rates().iter().find(|r| r.needs_first_pass()) {
            return Err(Error::Internal(format!(
                "a shot-based encode at two-pass rate control {r}"
            )));
        }
        let codec = settings.codec;
        if shots.changes_size() && codec.sample_entry_changing_size().is_none() {
            return Err(Error::Encoder {
                what: format!("{codec} {size} over {} shots", shots.rates().len()),
                problem: format!(
                    "a {codec} stream cannot change its frame size from shot to shot in one \
                     sample entry (its sequence header fixes it)"
                ),
            });
        }
        let mut encoder = Encoder::open_with(
            shots.size(0, size),
            rate,
            first,
            settings,
            Pass::Final,
            true,
        )?;
        encoder.in_band = shots.changes_size() && matches!(codec, Codec::X264 | Codec::X265);
        if shots.changes_size() {
            // The headers of the largest size, which the stream declares (its sample entry and
            // CODECS), from an encoder opened at that size for them alone.
            let largest = shots.largest(size);
            if !encoder.headers.iter().any(|h| h.size == largest) {
                let opening = Opening {
                    size: largest,
                    ..encoder.opening
                };
                check_size(codec, largest, &encoder.label)?;
                let (inner, _) = open_inner(&opening, settings, &encoder.label)?;
                let headers = SizeHeaders::of(codec, largest, context_extradata(&inner));
                close(inner);
                encoder.headers.push(headers);
            }
            encoder.largest = Some(largest);
        }
        if shots.rates().iter().any(|r| *r != first) {
            let (lo, hi) = shots
                .rates()
                .iter()
                .filter_map(|r| r.crf())
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), c| {
                    (lo.min(c), hi.max(c))
                });
            encoder.label = format!(
                "{} {size} CRF {lo}-{hi} over {} shots",
                settings.codec,
                shots.rates().len()
            );
        }
        encoder.shots = Some((shots.clone(), 1));
        Ok(encoder)
    }

    /// For a stream that changes size from shot to shot: its largest size and that size's
    /// stream headers, which its sample entry should declare (the first shot's may be of a
    /// lower level). `None` for any other stream.
    pub fn stream_headers(&self) -> Option<(Resolution, &[u8])> {
        let largest = self.largest?;
        let h = self.headers.iter().find(|h| h.size == largest)?;
        Some((h.size, h.full.as_slice()))
    }

    /// The bytes of parameter sets put in band at the front of the last packet
    /// [`receive`](Self::receive) returned: a stream that changes size from shot to shot
    /// carries its H.264/HEVC headers before every key frame. They are stream headers, not
    /// coded pictures: the trial encodes kept them in the sample entry.
    pub fn in_band_bytes(&self) -> usize {
        self.in_band_bytes
    }

    /// The current encoder's next packet, with its parameter sets in front when they go in
    /// band, and how many bytes they took.
    pub(super) fn receive_from_inner(&mut self) -> Result<Option<(Packet, usize)>> {
        self.current()?;
        let Some(inner) = self.inner.as_mut() else {
            return Ok(None);
        };
        let Some(packet) = receive_from(inner, &self.label)? else {
            return Ok(None);
        };
        self.note_packet(&packet);
        if !(self.in_band && packet.is_key()) {
            return Ok(Some((packet, 0)));
        }
        let headers = context_extradata(self.current()?);
        let data = packet.data().unwrap_or_default();
        let mut joined = Vec::with_capacity(headers.len() + data.len());
        joined.extend_from_slice(&headers);
        joined.extend_from_slice(data);
        let mut with_headers = Packet::copy(&joined);
        // SAFETY: both packets are valid; av_packet_copy_props copies the timestamps, flags,
        // duration and side data (the encoder's quality statistics) and nothing else.
        let ret = unsafe {
            use ffmpeg_next::packet::{Mut, Ref};
            ffmpeg_next::ffi::av_packet_copy_props(with_headers.as_mut_ptr(), packet.as_ptr())
        };
        if ret < 0 {
            return Err(Error::ffmpeg(&self.label, ffmpeg_next::Error::from(ret)));
        }
        Ok(Some((with_headers, headers.len())))
    }
}

/// The stream headers an encoder wrote at one size.
pub(super) struct SizeHeaders {
    pub(super) size: Resolution,
    /// The headers as written.
    pub(super) full: Vec<u8>,
    /// Without informational SEI: what encoders of one stream at this size must agree on.
    pub(super) compared: Vec<u8>,
}

impl SizeHeaders {
    pub(super) fn of(codec: Codec, size: Resolution, full: Vec<u8>) -> Self {
        SizeHeaders {
            size,
            compared: without_sei(codec, &full),
            full,
        }
    }
}

/// Stream headers without their informational SEI messages (H.264 NAL type 6, HEVC 39 and
/// 40, in Annex B form: x265 names its options, the CRF included, in one), which do not
/// change how the stream decodes; other codecs' headers as they are.
pub(super) fn without_sei(codec: Codec, headers: &[u8]) -> Vec<u8> {
    let is_sei = |nal: &[u8]| match (codec, nal.first()) {
        (Codec::X264, Some(b)) => b & 0x1f == 6,
        (Codec::X265, Some(b)) => matches!((b >> 1) & 0x3f, 39 | 40),
        _ => false,
    };
    if !matches!(codec, Codec::X264 | Codec::X265) {
        return headers.to_vec();
    }
    // NAL units follow start codes 00 00 01 (or 00 00 00 01).
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= headers.len() {
        if headers[i..i + 3] == [0, 0, 1] {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    if starts.is_empty() {
        return headers.to_vec();
    }
    let mut out = Vec::with_capacity(headers.len());
    for (k, &at) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map_or(headers.len(), |&n| n - 3);
        let nal = &headers[at..end];
        if !is_sei(nal) {
            out.extend_from_slice(&[0, 0, 1]);
            out.extend_from_slice(nal);
        }
    }
    out
}
