//! How an encode spends its bits ([`RateControl`]), and the encoder options each way sets.
//!
//! - constant quality ([`RateControl::Crf`]): the grid's points and the rungs by default;
//! - capped CRF ([`RateControl::CappedCrf`]): a CRF whose bitrate the VBV bounds, as streaming
//!   services encode rungs (`optimize --rate-control capped-crf`, see [`CapRule`]);
//! - the rate controls of a fixed reference ladder's rungs, at the rung's bitrate: one-pass
//!   average bitrate ([`RateControl::CappedKbps`]), two-pass VBR ([`RateControl::TwoPass`]) and
//!   a CRF capped at the rung's bitrate ([`RateControl::CrfCappedAt`]).
//!
//! The VBV's maximum rate and buffer are libavcodec's generic `maxrate` and `bufsize`
//! options (`rc_max_rate`, `rc_buffer_size`), which the libx264 and libx265 wrappers hand to
//! the encoder. Two-pass encodes write and read x264's or x265's statistics file
//! ([`stats_file`]) in a directory the caller owns.

use crate::encode::codec::{Codec, Presets};
use crate::error::{Error, Result, Setting};
use crate::measure::trial::TrialSpec;
use crate::source::resolution::Resolution;
use ffmpeg_next::Dictionary;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

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
    /// Capped CRF: the CRF, with the VBV bounding the rate at `maxrate_kbps` over a buffer of
    /// `bufsize_kbits` (x264 and x265). A per-title point or rung.
    CappedCrf {
        /// The constant-quality value.
        crf: f64,
        /// The VBV's maximum rate, kbit/s.
        maxrate_kbps: f64,
        /// The VBV's buffer, kbit.
        bufsize_kbits: f64,
    },
    /// A fixed-ladder rung: two-pass VBR at `kbps` (x264 and x265), the first pass an encode
    /// of its own, the peak capped by the VBV at [`TWO_PASS_MAXRATE_FACTOR`] times it with a
    /// buffer of [`CAP_BUFFER_SECONDS`] of that rate.
    TwoPass {
        /// The average bitrate aimed at, kbit/s.
        kbps: f64,
    },
    /// A fixed-ladder rung: capped CRF at the rung's bitrate (x264 and x265): the CRF, with
    /// the VBV's maximum rate at `kbps` and a buffer of [`CAP_BUFFER_SECONDS`] of it.
    CrfCappedAt {
        /// The constant-quality value.
        crf: f64,
        /// The rung's bitrate, the VBV's maximum rate, kbit/s.
        kbps: f64,
    },
}

/// VBV maximum rate of a [`RateControl::CappedKbps`] encode, as a factor of its bitrate (HLS
/// asks a stream's peak to stay within 10% of its declared bandwidth).
pub const VBV_MAXRATE_FACTOR: f64 = 1.1;

/// VBV buffer of a [`RateControl::CappedKbps`] encode, in seconds of its bitrate.
pub const VBV_BUFFER_SECONDS: f64 = 2.0;

/// VBV maximum rate of a [`RateControl::TwoPass`] encode, as a factor of its bitrate: a
/// peak cap as loose as services give two-pass VBR (Apple's HLS authoring specification
/// allows VOD peaks up to twice the average).
pub const TWO_PASS_MAXRATE_FACTOR: f64 = 1.5;

/// VBV buffer of a [`RateControl::TwoPass`] and a [`RateControl::CrfCappedAt`] encode, in
/// seconds of its maximum rate.
pub const CAP_BUFFER_SECONDS: f64 = 2.0;

/// Which pass of an encode an encoder makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// The only pass (every rate control but two-pass), or a two-pass encode's second.
    Final,
    /// A two-pass encode's first pass: it writes the statistics the second reads.
    First,
}

impl RateControl {
    /// The CRF of a per-title point (constant quality, capped or not); `None` for a fixed
    /// ladder's rung.
    pub fn crf(self) -> Option<f64> {
        match self {
            RateControl::Crf(c) | RateControl::CappedCrf { crf: c, .. } => Some(c),
            RateControl::CappedKbps(_)
            | RateControl::TwoPass { .. }
            | RateControl::CrfCappedAt { .. } => None,
        }
    }

    /// The bitrate a fixed ladder's rung is encoded for, kbit/s.
    pub fn target_kbps(self) -> Option<f64> {
        match self {
            RateControl::CappedKbps(k)
            | RateControl::TwoPass { kbps: k }
            | RateControl::CrfCappedAt { kbps: k, .. } => Some(k),
            RateControl::Crf(_) | RateControl::CappedCrf { .. } => None,
        }
    }

    /// Whether the encode needs a first pass of its own before it.
    pub fn needs_first_pass(self) -> bool {
        matches!(self, RateControl::TwoPass { .. })
    }

    /// The VBV's maximum rate and buffer, kbit/s and kbit, when the encode has them.
    pub fn vbv(self) -> Option<(f64, f64)> {
        match self {
            RateControl::Crf(_) => None,
            RateControl::CappedKbps(k) => Some((k * VBV_MAXRATE_FACTOR, k * VBV_BUFFER_SECONDS)),
            RateControl::CappedCrf {
                maxrate_kbps,
                bufsize_kbits,
                ..
            } => Some((maxrate_kbps, bufsize_kbits)),
            RateControl::TwoPass { kbps } => {
                let max = kbps * TWO_PASS_MAXRATE_FACTOR;
                Some((max, max * CAP_BUFFER_SECONDS))
            }
            RateControl::CrfCappedAt { kbps, .. } => Some((kbps, kbps * CAP_BUFFER_SECONDS)),
        }
    }

    /// Check the values are ones `codec` takes.
    pub fn validate(self, codec: Codec) -> Result<()> {
        let positive = |what: &str, k: f64| {
            if k.is_finite() && k > 0.0 {
                Ok(())
            } else {
                Err(Error::setting(
                    Setting::TargetBitrate,
                    format!("{what} {k} must be positive"),
                ))
            }
        };
        let x26x = |name: &str| {
            if matches!(codec, Codec::X264 | Codec::X265) {
                Ok(())
            } else {
                Err(Error::setting(
                    Setting::RateControl,
                    format!("{name} is implemented for x264 and x265, not {codec}"),
                ))
            }
        };
        match self {
            RateControl::Crf(c) => codec.validate_quality(c),
            RateControl::CappedKbps(k) => positive("the bitrate (kbps)", k),
            RateControl::CappedCrf {
                crf,
                maxrate_kbps,
                bufsize_kbits,
            } => {
                x26x("capped CRF")?;
                codec.validate_quality(crf)?;
                positive("the VBV maximum rate (kbps)", maxrate_kbps)?;
                positive("the VBV buffer (kbit)", bufsize_kbits)
            }
            RateControl::TwoPass { kbps } => {
                x26x("two-pass")?;
                positive("the bitrate (kbps)", kbps)
            }
            RateControl::CrfCappedAt { crf, kbps } => {
                x26x("capped CRF")?;
                codec.validate_quality(crf)?;
                positive("the bitrate (kbps)", kbps)
            }
        }
    }
}

impl std::fmt::Display for RateControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RateControl::Crf(c) => write!(f, "crf {c}"),
            RateControl::CappedKbps(k) => write!(f, "{k} kbps capped"),
            RateControl::CappedCrf {
                crf, maxrate_kbps, ..
            } => write!(f, "crf {crf} capped at {maxrate_kbps} kbps"),
            RateControl::TwoPass { kbps } => write!(f, "{kbps} kbps two-pass"),
            RateControl::CrfCappedAt { crf, kbps } => write!(f, "{kbps} kbps capped crf {crf}"),
        }
    }
}

/// The rule that caps a per-title point's CRF (`--rate-control capped-crf`): the VBV's
/// maximum rate is `maxrate_factor` times the point's CRF-only average bitrate (the same CRF
/// encoded without a cap), its buffer `buffer_seconds` of that maximum rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CapRule {
    /// The VBV's maximum rate, in multiples of the CRF-only average bitrate.
    pub maxrate_factor: f64,
    /// The VBV's buffer, in seconds of the maximum rate.
    pub buffer_seconds: f64,
}

impl Default for CapRule {
    fn default() -> Self {
        CapRule {
            maxrate_factor: 1.5,
            buffer_seconds: 2.0,
        }
    }
}

impl CapRule {
    /// Fail unless both values are positive and finite.
    pub fn validate(self) -> Result<()> {
        for (what, v) in [
            ("the maximum rate factor", self.maxrate_factor),
            ("the buffer (seconds)", self.buffer_seconds),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::setting(
                    Setting::RateControl,
                    format!("capped CRF: {what} {v} must be positive"),
                ));
            }
        }
        Ok(())
    }

    /// The capped encode of `crf` whose CRF-only encode averaged `crf_only_kbps` (rates
    /// rounded to 1 bit/s, as the encoder takes them).
    pub fn cap(self, crf: f64, crf_only_kbps: f64) -> RateControl {
        let maxrate_kbps = (crf_only_kbps * self.maxrate_factor * 1000.0).round() / 1000.0;
        let bufsize_kbits = (maxrate_kbps * self.buffer_seconds * 1000.0).round() / 1000.0;
        RateControl::CappedCrf {
            crf,
            maxrate_kbps,
            bufsize_kbits,
        }
    }
}

/// A capped-CRF ladder's rule and the caps its points were encoded with, from which each
/// rung's final encode takes its own (`ladder.json`'s `capped_crf`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CappedCrfLadder {
    /// How each point's cap follows from its CRF-only encode.
    pub rule: CapRule,
    /// Every measured point's cap, by height then CRF.
    pub points: Vec<PointCap>,
}

/// The cap of one capped-CRF point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointCap {
    /// Encoded width, pixels.
    pub width: u32,
    /// Encoded height, pixels.
    pub height: u32,
    /// The point's CRF.
    pub crf: f64,
    /// The average bitrate of the same CRF encoded without a cap, kbit/s (to 1 bit/s).
    pub crf_only_kbps: f64,
    /// The VBV's maximum rate the point was encoded with, kbit/s.
    pub maxrate_kbps: f64,
    /// The VBV's buffer the point was encoded with, kbit.
    pub bufsize_kbits: f64,
}

impl CappedCrfLadder {
    /// The table of the capped points among `points` (their trial specs), others skipped.
    pub fn of_points(rule: CapRule, points: impl IntoIterator<Item = TrialSpec>) -> Self {
        let points = points
            .into_iter()
            .filter_map(|spec| match spec.rate {
                RateControl::CappedCrf {
                    crf,
                    maxrate_kbps,
                    bufsize_kbits,
                } => Some(PointCap {
                    width: spec.resolution.width,
                    height: spec.resolution.height,
                    crf,
                    // The cap's rate over the factor: the CRF-only average to 1 bit/s.
                    crf_only_kbps: (maxrate_kbps / rule.maxrate_factor * 1000.0).round() / 1000.0,
                    maxrate_kbps,
                    bufsize_kbits,
                }),
                _ => None,
            })
            .collect();
        CappedCrfLadder { rule, points }
    }

    /// The rate control of a rung of `size` at `crf`: a measured point's own cap (so its final
    /// encode is its trial encode, bit for bit); between two measured CRFs of the size, the
    /// cap of the CRF-only bitrate interpolated log-linearly in CRF (as the ladder
    /// interpolates a rung's CRF); `None` elsewhere.
    pub fn rate_control(&self, size: Resolution, crf: f64) -> Option<RateControl> {
        let same: Vec<&PointCap> = self
            .points
            .iter()
            .filter(|p| (p.width, p.height) == (size.width, size.height))
            .collect();
        if let Some(p) = same.iter().find(|p| p.crf == crf) {
            return Some(RateControl::CappedCrf {
                crf,
                maxrate_kbps: p.maxrate_kbps,
                bufsize_kbits: p.bufsize_kbits,
            });
        }
        let below = same
            .iter()
            .filter(|p| p.crf < crf)
            .max_by(|a, b| a.crf.total_cmp(&b.crf))?;
        let above = same
            .iter()
            .filter(|p| p.crf > crf)
            .min_by(|a, b| a.crf.total_cmp(&b.crf))?;
        if below.crf_only_kbps <= 0.0 || above.crf_only_kbps <= 0.0 {
            return None;
        }
        let t = (crf - below.crf) / (above.crf - below.crf);
        let ln =
            below.crf_only_kbps.ln() + t * (above.crf_only_kbps.ln() - below.crf_only_kbps.ln());
        Some(self.rule.cap(crf, ln.exp()))
    }
}

/// The CRF a fixed ladder's capped-CRF rungs are encoded at: each encoder's default CRF
/// (x264 23, x265 28), which services cap at the rung's bitrate.
pub fn reference_crf(codec: Codec) -> f64 {
    match codec {
        Codec::X265 => 28.0,
        _ => 23.0,
    }
}

/// The statistics file of a two-pass encode of `size` at `rate_control` in `dir` (its first
/// pass writes it, its second reads it); x264 and x265 write a second file beside it
/// (`.mbtree`, `.cutree`).
pub fn stats_file(
    dir: &Path,
    codec: Codec,
    size: Resolution,
    rate_control: RateControl,
) -> PathBuf {
    let kbps = rate_control.target_kbps().unwrap_or(0.0);
    dir.join(format!("{codec}_{size}_{kbps}.stats"))
}

/// The private and generic options of each codec's encoder for `rate_control`; `stats` is
/// the statistics file of a two-pass encode (`pass` says which); `per_shot`: one encoder of
/// a shot-based encode ([`crate::encode::encoder::ShotRates`]).
pub(crate) fn codec_options(
    codec: Codec,
    preset: &str,
    rate_control: RateControl,
    pass: Pass,
    stats: Option<&Path>,
    per_shot: bool,
) -> Dictionary<'static> {
    let mut opts = Dictionary::new();
    match codec.presets() {
        Presets::Named(_) => opts.set("preset", preset),
        Presets::Numbered { option, .. } => opts.set(option, preset),
    }
    let bits = |k: f64| format!("{}", (k * 1000.0).round() as i64);
    match rate_control {
        RateControl::Crf(q)
        | RateControl::CappedCrf { crf: q, .. }
        | RateControl::CrfCappedAt { crf: q, .. } => {
            opts.set(codec.quality().option, &format!("{q}"));
            if matches!(codec, Codec::Vp9 | Codec::AomAv1) {
                // No target bitrate: constant-quality mode, not constrained quality.
                opts.set("b", "0");
            }
        }
        // Generic AVCodecContext options, applied by avcodec_open2 like the private ones.
        RateControl::CappedKbps(kbps) | RateControl::TwoPass { kbps } => opts.set("b", &bits(kbps)),
    }
    if let Some((maxrate, bufsize)) = rate_control.vbv() {
        opts.set("maxrate", &bits(maxrate));
        opts.set("bufsize", &bits(bufsize));
    }
    let stats = stats
        .filter(|_| rate_control.needs_first_pass())
        .map(|p| p.to_string_lossy().into_owned());
    match codec {
        // A forced keyframe (pict_type I) becomes an IDR: closed GOP at segment starts.
        Codec::X264 => {
            opts.set("forced-idr", "1");
            if per_shot {
                // Stream headers that do not depend on the CRF, so that shots encoded at
                // different CRFs join into one stream.
                opts.set("x264-params", "stitchable=1");
            }
            if let Some(stats) = &stats {
                // The pass itself is the context's flags (AV_CODEC_FLAG_PASS1 / PASS2).
                opts.set("stats", stats);
            }
        }
        Codec::X265 => {
            opts.set("forced-idr", "1");
            // Without `pools=none` x265 sizes its thread pool by the machine, and its output
            // changes with it; its banner and per-encode summary go to stderr otherwise.
            let mut params = String::from("pools=none:frame-threads=1:log-level=error");
            if let Some(stats) = &stats {
                // libx265 of FFmpeg 5.1 ignores the pass flags: x265 is told itself.
                let n = if pass == Pass::First { 1 } else { 2 };
                params.push_str(&format!(":pass={n}:stats={stats}"));
            }
            opts.set("x265-params", &params);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::cache::{UNIT_FORMAT, UnitIdentity};

    fn identity(rate: RateControl) -> UnitIdentity {
        UnitIdentity {
            format: UNIT_FORMAT,
            source_blake3: "ab".repeat(32),
            spec: TrialSpec {
                resolution: Resolution::new(640, 360),
                rate,
            },
            encoder: "libx264".into(),
            libavcodec: "59.37.100".into(),
            preset: "medium".into(),
            encoder_threads: 1,
            segment_seconds: 4.0,
            display: Resolution::new(1280, 720),
            downscale: "lanczos".into(),
            upscale: "bicubic".into(),
            vmaf_model: None,
            vmaf_engine: None,
            vmaf_subsample: 1,
            sample: Vec::new(),
            devices: Vec::new(),
            shots: Vec::new(),
        }
    }

    #[test]
    fn the_cache_tells_every_rate_control_apart() {
        let rule = CapRule::default();
        let keys: Vec<String> = [
            RateControl::Crf(26.0),
            rule.cap(26.0, 800.0),
            rule.cap(26.0, 801.0),
            CapRule {
                maxrate_factor: 1.5,
                buffer_seconds: 1.0,
            }
            .cap(26.0, 800.0),
            RateControl::CappedKbps(800.0),
            RateControl::TwoPass { kbps: 800.0 },
            RateControl::CrfCappedAt {
                crf: 26.0,
                kbps: 800.0,
            },
        ]
        .into_iter()
        .map(|r| identity(r).key())
        .collect();
        for (i, k) in keys.iter().enumerate() {
            assert!(!keys[..i].contains(k), "rate control {i} shares a key");
        }
        // Plain CRF keeps the key it had before capped CRF existed.
        let json = serde_json::to_string(&RateControl::Crf(26.0)).unwrap();
        assert_eq!(json, r#"{"crf":26.0}"#);
    }

    #[test]
    fn a_rung_takes_its_points_cap_or_one_interpolated_between_them() {
        let rule = CapRule {
            maxrate_factor: 2.0,
            buffer_seconds: 1.0,
        };
        let size = Resolution::new(640, 360);
        let spec = |crf, kbps| TrialSpec {
            resolution: size,
            rate: rule.cap(crf, kbps),
        };
        let table = CappedCrfLadder::of_points(
            rule,
            [
                spec(22.0, 1600.0),
                spec(30.0, 400.0),
                TrialSpec::crf(size, 26.0),
            ],
        );
        assert_eq!(table.points.len(), 2);
        assert_eq!(table.points[0].crf_only_kbps, 1600.0);
        assert_eq!(
            table.rate_control(size, 22.0),
            Some(spec(22.0, 1600.0).rate)
        );
        // Halfway in CRF is halfway in log-bitrate: 800 kbps, capped at 1600.
        assert_eq!(
            table.rate_control(size, 26.0),
            Some(RateControl::CappedCrf {
                crf: 26.0,
                maxrate_kbps: 1600.0,
                bufsize_kbits: 1600.0
            })
        );
        assert_eq!(table.rate_control(size, 34.0), None);
        assert_eq!(table.rate_control(Resolution::new(480, 270), 26.0), None);
    }
}
