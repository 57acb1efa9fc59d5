//! Fixed reference ladders, and how a per-title ladder compares with one on the same title.
//!
//! `--compare-to NAME` encodes the reference ladder's rungs on the title itself, measures them
//! like any trial point, and reports the BD-rate of the per-title ladder against them and the
//! bitrate the per-title hull saves at the reference's top quality (or at the per-title
//! hull's best, when that is lower), both bitrates read off each side's hull. Reference rungs are
//! encoded with the run's codec at their target bitrates, as services encode a fixed ladder
//! ([`ReferenceRateControl`]): two-pass VBR with a peak cap, a CRF capped at the rung's
//! bitrate, or one-pass average bitrate capped by the VBV; always with a keyframe opening
//! every segment, as ABR switching needs. Rungs taller than the source are left out, and each
//! rung keeps its height with the source's display aspect ratio.

use crate::encode::codec::Codec;
use crate::encode::encoder::{
    CAP_BUFFER_SECONDS, RateControl, TWO_PASS_MAXRATE_FACTOR, VBV_BUFFER_SECONDS,
    VBV_MAXRATE_FACTOR,
};
use crate::encode::rate_control::reference_crf;
use crate::error::{Error, Result, Setting};
use crate::ladder::bdrate::{self, Interpolation};
use crate::ladder::hull;
use crate::measure::metrics::pool::Pooled;
use crate::measure::point::{Metric, Point, Rung, round};
use crate::measure::trial::{TrialResult, TrialSpec};
use crate::source::resolution::{Resolution, SampleAspectRatio, trial_resolutions};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// A built-in fixed ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReferenceLadder {
    /// The H.264 16:9 ladder of Apple's HLS authoring specification.
    AppleHls,
    /// Netflix's fixed ladder from before per-title encoding (2015).
    Netflix2015,
}

impl ReferenceLadder {
    /// Every built-in ladder.
    pub const ALL: [ReferenceLadder; 2] = [ReferenceLadder::AppleHls, ReferenceLadder::Netflix2015];

    /// The name `--compare-to` takes (`apple-hls`, `netflix-2015`).
    pub fn name(self) -> &'static str {
        match self {
            ReferenceLadder::AppleHls => "apple-hls",
            ReferenceLadder::Netflix2015 => "netflix-2015",
        }
    }

    /// The rungs as (width, height, kbit/s), by increasing bitrate.
    pub fn table(self) -> &'static [(u32, u32, f64)] {
        match self {
            ReferenceLadder::AppleHls => &[
                (416, 234, 145.0),
                (640, 360, 365.0),
                (768, 432, 730.0),
                (768, 432, 1100.0),
                (960, 540, 2000.0),
                (1280, 720, 3000.0),
                (1280, 720, 4500.0),
                (1920, 1080, 6000.0),
                (1920, 1080, 7800.0),
            ],
            ReferenceLadder::Netflix2015 => &[
                (320, 240, 235.0),
                (384, 288, 375.0),
                (512, 384, 560.0),
                (512, 384, 750.0),
                (640, 480, 1050.0),
                (720, 480, 1750.0),
                (1280, 720, 2350.0),
                (1280, 720, 3000.0),
                (1920, 1080, 4300.0),
                (1920, 1080, 5800.0),
            ],
        }
    }

    /// The trial encodes of the rungs that fit a source of this size, encoded with `codec`
    /// at `rate_control`.
    pub fn specs(
        self,
        source: Resolution,
        sar: SampleAspectRatio,
        codec: Codec,
        rate_control: ReferenceRateControl,
    ) -> Vec<TrialSpec> {
        self.table()
            .iter()
            .filter(|&&(_, h, _)| h <= source.height)
            .filter_map(|&(_, h, kbps)| {
                let resolution = *trial_resolutions(source, sar, &[h]).first()?;
                Some(TrialSpec {
                    resolution,
                    rate: rate_control.of_rung(codec, kbps),
                })
            })
            .collect()
    }
}

impl fmt::Display for ReferenceLadder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ReferenceLadder {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        ReferenceLadder::ALL
            .into_iter()
            .find(|l| l.name() == s.to_ascii_lowercase())
            .ok_or_else(|| format!("unknown reference ladder {s:?} (apple-hls or netflix-2015)"))
    }
}

/// How a fixed ladder's rungs are encoded at their bitrates (`--reference-rate-control`).
/// Every way keeps a keyframe opening every segment (closed GOPs), as ABR switching needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReferenceRateControl {
    /// Two-pass VBR at the rung's bitrate, the peak capped by the VBV at
    /// [`TWO_PASS_MAXRATE_FACTOR`] times it (buffer: [`CAP_BUFFER_SECONDS`] of that rate);
    /// the first pass decodes the source once more. x264 and x265.
    TwoPass,
    /// Capped CRF: the encoder's default CRF ([`reference_crf`]: x264 23, x265 28) with the
    /// VBV's maximum rate at the rung's bitrate (buffer: [`CAP_BUFFER_SECONDS`] of it); an
    /// easy title spends less than the rung's bitrate. x264 and x265.
    CappedCrf,
    /// One-pass average bitrate at the rung's bitrate, VBV maximum rate [`VBV_MAXRATE_FACTOR`]
    /// times it, buffer [`VBV_BUFFER_SECONDS`] of it. Every codec.
    Abr,
}

impl ReferenceRateControl {
    /// Every way, the default for x264 and x265 first.
    pub const ALL: [ReferenceRateControl; 3] = [
        ReferenceRateControl::TwoPass,
        ReferenceRateControl::CappedCrf,
        ReferenceRateControl::Abr,
    ];

    /// The name `--reference-rate-control` takes.
    pub fn name(self) -> &'static str {
        match self {
            ReferenceRateControl::TwoPass => "two-pass",
            ReferenceRateControl::CappedCrf => "capped-crf",
            ReferenceRateControl::Abr => "abr",
        }
    }

    /// The default for `codec`: the strongest the codec has (two-pass for x264 and x265,
    /// measured in docs/benchmarks.md), one-pass average bitrate for the others.
    pub fn default_for(codec: Codec) -> Self {
        if ReferenceRateControl::TwoPass.supports(codec) {
            ReferenceRateControl::TwoPass
        } else {
            ReferenceRateControl::Abr
        }
    }

    /// Whether `codec`'s rungs can be encoded this way.
    pub fn supports(self, codec: Codec) -> bool {
        match self {
            ReferenceRateControl::Abr => true,
            ReferenceRateControl::TwoPass | ReferenceRateControl::CappedCrf => {
                matches!(codec, Codec::X264 | Codec::X265)
            }
        }
    }

    /// Fail unless `codec` has this way.
    pub fn validate(self, codec: Codec) -> Result<()> {
        if self.supports(codec) {
            Ok(())
        } else {
            Err(Error::setting(
                Setting::RateControl,
                format!(
                    "reference rungs {} are implemented for x264 and x265, not {codec} (use abr)",
                    self.name()
                ),
            ))
        }
    }

    /// A rung of `kbps` encoded with `codec` this way.
    pub fn of_rung(self, codec: Codec, kbps: f64) -> RateControl {
        match self {
            ReferenceRateControl::TwoPass => RateControl::TwoPass { kbps },
            ReferenceRateControl::CappedCrf => RateControl::CrfCappedAt {
                crf: reference_crf(codec),
                kbps,
            },
            ReferenceRateControl::Abr => RateControl::CappedKbps(kbps),
        }
    }

    /// This way in words, for `codec` (the manifest's `comparison.rate_control`).
    pub fn describe(self, codec: Codec) -> String {
        let gop = "a keyframe opening every segment";
        match self {
            ReferenceRateControl::TwoPass => format!(
                "{codec} two-pass VBR at the rung's bitrate, VBV maximum rate {}% of it, buffer {} s of that rate, {gop}",
                (TWO_PASS_MAXRATE_FACTOR * 100.0).round(),
                CAP_BUFFER_SECONDS
            ),
            ReferenceRateControl::CappedCrf => format!(
                "{codec} CRF {} capped at the rung's bitrate (VBV maximum rate 100% of it, buffer {} s of it), {gop}",
                reference_crf(codec),
                CAP_BUFFER_SECONDS
            ),
            ReferenceRateControl::Abr => format!(
                "{codec} one-pass average bitrate at the rung's bitrate, VBV maximum rate {}% of it, buffer {} s of it, {gop}",
                (VBV_MAXRATE_FACTOR * 100.0).round(),
                VBV_BUFFER_SECONDS
            ),
        }
    }
}

impl fmt::Display for ReferenceRateControl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ReferenceRateControl {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        ReferenceRateControl::ALL
            .into_iter()
            .find(|r| r.name() == s.to_ascii_lowercase())
            .ok_or_else(|| {
                format!("unknown reference rate control {s:?} (two-pass, capped-crf or abr)")
            })
    }
}

/// One measured rung of the reference ladder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceRung {
    /// Encoded width, pixels.
    pub width: u32,
    /// Encoded height, pixels.
    pub height: u32,
    /// The bitrate it was encoded for, kbit/s.
    pub target_kbps: f64,
    /// What it came to, kbit/s.
    pub bitrate_kbps: f64,
    /// Highest per-segment bitrate, kbit/s.
    pub peak_kbps: f64,
    /// Mean per-frame luma PSNR, dB (each frame capped at 60 dB).
    pub psnr_y: f64,
    /// Mean per-frame `(6Y + U + V) / 8` PSNR, dB.
    pub psnr_yuv: f64,
    /// Mean per-frame luma SSIM (0 to 1).
    pub ssim_y: f64,
    /// Mean per-frame VMAF, when VMAF was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vmaf: Option<f64>,
    /// Every measured metric pooled four ways (mean, harmonic mean, min, 5th percentile).
    pub pooling: BTreeMap<String, Pooled>,
    /// Encoded size of each segment, bits.
    pub segment_sizes_bits: Vec<u64>,
    /// Every measured metric's mean over each segment.
    #[serde(default)]
    pub segment_means: BTreeMap<String, Vec<f64>>,
}

impl ReferenceRung {
    /// The rung from its trial encode's measurements; `duration_s` is the clip's duration, the
    /// slices have one entry per segment.
    pub fn from_trial(
        t: &TrialResult,
        duration_s: f64,
        segment_frames: &[u64],
        segment_durations_s: &[f64],
    ) -> Self {
        let point = Point::from_trial(t, duration_s, segment_frames);
        let rung = Rung::from_point(&point, segment_durations_s);
        let target_kbps = t.spec.rate.target_kbps().unwrap_or(f64::NAN);
        ReferenceRung {
            width: rung.width,
            height: rung.height,
            target_kbps,
            bitrate_kbps: rung.bitrate_kbps,
            peak_kbps: rung.peak_kbps,
            psnr_y: rung.psnr_y,
            psnr_yuv: rung.psnr_yuv,
            ssim_y: rung.ssim_y,
            vmaf: rung.vmaf,
            pooling: rung.pooling,
            segment_sizes_bits: rung.segment_sizes_bits,
            segment_means: rung.segment_means,
        }
    }
}

crate::measure::point::measured_fields!(ReferenceRung);

/// The per-title ladder against a reference ladder on the same title.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The reference ladder.
    pub reference: ReferenceLadder,
    /// How the reference rungs were encoded, in words.
    pub rate_control: String,
    /// How the reference rungs were encoded (absent in manifests from before there was a
    /// choice, whose rungs are `abr`).
    #[serde(default = "abr")]
    pub rate_control_mode: ReferenceRateControl,
    /// Its rungs that fit the source, encoded on the title and measured.
    pub rungs: Vec<ReferenceRung>,
    /// The interpolation of the BD metrics.
    pub method: Interpolation,
    /// BD-rate of the per-title rungs against the reference rungs, percent (negative: the
    /// per-title ladder needs fewer bits for the same quality); `None` when it cannot be
    /// computed (see `note`).
    pub bd_rate_percent: Option<f64>,
    /// BD-quality of the per-title rungs against the reference rungs (per-title minus reference).
    pub bd_quality: Option<f64>,
    /// The quality of the reference's top rung (`None` when no reference rung fits the
    /// source).
    pub reference_top_quality: Option<f64>,
    /// The bitrate of the reference's top rung, kbit/s.
    pub reference_top_kbps: Option<f64>,
    /// The quality the two are compared at for the saving: the reference's top quality, or
    /// the per-title hull's best when that is lower.
    pub equal_quality: Option<f64>,
    /// The cheapest bitrate reaching `equal_quality` on the reference rungs' hull, kbit/s.
    pub reference_kbps_at_equal_quality: Option<f64>,
    /// The cheapest bitrate reaching `equal_quality` on the per-title hull (all measured
    /// points), kbit/s.
    pub per_title_kbps_at_equal_quality: Option<f64>,
    /// `1 - per_title / reference` at `equal_quality`, percent (positive: bits saved).
    pub saving_at_equal_quality_percent: Option<f64>,
    /// Why a figure is missing, when one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Comparison {
    /// A comparison whose figures are filled in by [`compare`] once the rungs are chosen.
    pub fn pending(
        reference: ReferenceLadder,
        codec: Codec,
        mode: ReferenceRateControl,
        rungs: Vec<ReferenceRung>,
    ) -> Self {
        Comparison {
            reference,
            rate_control: mode.describe(codec),
            rate_control_mode: mode,
            rungs,
            method: Interpolation::Pchip,
            bd_rate_percent: None,
            bd_quality: None,
            reference_top_quality: None,
            reference_top_kbps: None,
            equal_quality: None,
            reference_kbps_at_equal_quality: None,
            per_title_kbps_at_equal_quality: None,
            saving_at_equal_quality_percent: None,
            note: None,
        }
    }
}

fn abr() -> ReferenceRateControl {
    ReferenceRateControl::Abr
}

/// Compare the per-title `rungs` (and the hull of `points`) with the measured reference rungs
/// of `pending` (whose figures are replaced).
pub fn compare(
    pending: Comparison,
    points: &[Point],
    rungs: &[Rung],
    metric: Metric,
) -> Comparison {
    let Comparison {
        reference,
        rate_control,
        rate_control_mode,
        rungs: reference_rungs,
        ..
    } = pending;
    let method = Interpolation::Pchip;
    let mut notes = Vec::new();
    let anchor = distinct_qualities(metric.rate_quality(&reference_rungs));
    if anchor.len() < reference_rungs.len() {
        notes.push(format!(
            "{} reference rungs came to the quality of a cheaper one (the title needs fewer bits than they offer) and are left out of the BD metrics",
            reference_rungs.len() - anchor.len()
        ));
    }
    let test = metric.rate_quality(rungs);
    let (bd_rate_percent, bd_quality) = match bdrate::compare(&anchor, &test, method) {
        Ok(r) => (
            Some(round(r.bd_rate_percent, 3)),
            Some(round(r.bd_quality, 4)),
        ),
        Err(e) => {
            notes.push(format!("no BD metrics: {e}"));
            (None, None)
        }
    };
    let top = reference_rungs
        .iter()
        .max_by(|a, b| a.bitrate_kbps.total_cmp(&b.bitrate_kbps));
    let (top_q, top_kbps) = top.map_or((f64::NAN, f64::NAN), |t| (metric.of(t), t.bitrate_kbps));
    let grid = metric.rate_quality(points);
    let best = grid
        .iter()
        .map(|p| p.quality)
        .filter(|q| q.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    let equal = top_q.is_finite().then(|| {
        if best < top_q {
            notes.push(format!(
                "the per-title hull tops out at {best:.3}, below the reference's top {top_q:.3}: the saving is compared at {best:.3}"
            ));
        }
        top_q.min(best)
    });
    let reference_kbps = equal.and_then(|q| hull::kbps_reaching(&anchor, q));
    let per_title_kbps = equal.and_then(|q| hull::kbps_reaching(&grid, q));
    let saving = reference_kbps
        .zip(per_title_kbps)
        .map(|(r, p)| round((1.0 - p / r) * 100.0, 3));
    Comparison {
        reference,
        rate_control,
        rate_control_mode,
        rungs: reference_rungs,
        method,
        bd_rate_percent,
        bd_quality,
        reference_top_quality: top_q.is_finite().then(|| round(top_q, 4)),
        reference_top_kbps: top_kbps.is_finite().then_some(top_kbps),
        equal_quality: equal.map(|q| round(q, 4)),
        reference_kbps_at_equal_quality: reference_kbps.map(|k| round(k, 3)),
        per_title_kbps_at_equal_quality: per_title_kbps.map(|k| round(k, 3)),
        saving_at_equal_quality_percent: saving,
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    }
}

/// `curve` without the points whose quality a cheaper point already has: two capped-CRF
/// rungs whose caps do not bind are the same encode, and a BD curve needs distinct
/// qualities.
fn distinct_qualities(
    mut curve: Vec<crate::ladder::hull::RateQuality>,
) -> Vec<crate::ladder::hull::RateQuality> {
    curve.sort_by(|a, b| a.kbps.total_cmp(&b.kbps));
    let mut kept: Vec<crate::ladder::hull::RateQuality> = Vec::with_capacity(curve.len());
    for p in curve {
        if !kept.iter().any(|k| k.quality == p.quality) {
            kept.push(p);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rungs_taller_than_the_source_are_left_out() {
        let abr = ReferenceRateControl::Abr;
        let specs = ReferenceLadder::AppleHls.specs(
            Resolution::new(1280, 720),
            SampleAspectRatio::SQUARE,
            Codec::X264,
            abr,
        );
        let heights: Vec<u32> = specs.iter().map(|s| s.resolution.height).collect();
        assert_eq!(heights, vec![234, 360, 432, 432, 540, 720, 720]);
        assert_eq!(specs[0].rate, RateControl::CappedKbps(145.0));
        // 4:3 source: the rung keeps its height and takes the source's aspect ratio.
        let specs = ReferenceLadder::Netflix2015.specs(
            Resolution::new(640, 480),
            SampleAspectRatio::SQUARE,
            Codec::X264,
            abr,
        );
        assert_eq!(specs.len(), 6);
        assert_eq!(specs[0].resolution, Resolution::new(320, 240));
        assert_eq!(
            "apple-hls".parse::<ReferenceLadder>(),
            Ok(ReferenceLadder::AppleHls)
        );
        assert!("other".parse::<ReferenceLadder>().is_err());
    }

    #[test]
    fn reference_rate_controls_by_codec() {
        use ReferenceRateControl as R;
        assert_eq!(
            R::TwoPass.of_rung(Codec::X264, 2000.0),
            RateControl::TwoPass { kbps: 2000.0 }
        );
        assert_eq!(
            R::CappedCrf.of_rung(Codec::X265, 500.0),
            RateControl::CrfCappedAt {
                crf: 28.0,
                kbps: 500.0
            }
        );
        assert_eq!(R::default_for(Codec::X264), R::TwoPass);
        assert_eq!(R::default_for(Codec::Vp9), R::Abr);
        let err = R::CappedCrf
            .validate(Codec::SvtAv1)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("x264 and x265") && !err.contains('\n'),
            "{err}"
        );
        assert!(R::Abr.validate(Codec::AomAv1).is_ok());
        for r in R::ALL {
            assert_eq!(r.name().parse::<R>(), Ok(r));
            assert!(
                r.describe(Codec::X264)
                    .contains("keyframe opening every segment")
            );
        }
        assert!("crf".parse::<R>().is_err());
    }
}
