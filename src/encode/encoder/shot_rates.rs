//! Shot-based encodes: a fresh encoder at every shot start, each shot at its own rate
//! control, joined into one stream whose headers must not change.

use crate::encode::codec::Codec;
use crate::encode::rate_control::RateControl;
use crate::error::{Error, Result};
use crate::source::resolution::Resolution;

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
