//! Measured points and rungs as the manifest records them, and the quality axis.

use crate::ladder::hull::RateQuality;
use crate::measure::metrics::FrameSeries;
use crate::measure::metrics::pool::Pooled;
use crate::measure::trial::TrialResult;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// The quality measure on the hull's y axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Mean per-frame luma PSNR (`psnr_y`), dB.
    Psnr,
    /// Mean per-frame luma SSIM (`ssim_y`).
    Ssim,
    /// Mean per-frame VMAF (`vmaf`).
    Vmaf,
}

impl Metric {
    /// The point field used as quality.
    pub fn field(self) -> &'static str {
        match self {
            Metric::Psnr => "psnr_y",
            Metric::Ssim => "ssim_y",
            Metric::Vmaf => "vmaf",
        }
    }

    /// The quality on this axis, or `None` when it was not measured (VMAF off).
    pub fn value<M: Measured + ?Sized>(self, m: &M) -> Option<f64> {
        match self {
            Metric::Psnr => Some(m.psnr_y()),
            Metric::Ssim => Some(m.ssim_y()),
            Metric::Vmaf => m.vmaf(),
        }
    }

    /// The quality on this axis (NaN when not measured).
    pub fn of<M: Measured + ?Sized>(self, m: &M) -> f64 {
        self.value(m).unwrap_or(f64::NAN)
    }

    /// `(bitrate, quality on this axis)` of each item, for hulls and BD metrics.
    pub fn rate_quality<'a, M: Measured + 'a>(
        self,
        items: impl IntoIterator<Item = &'a M>,
    ) -> Vec<RateQuality> {
        items
            .into_iter()
            .map(|m| RateQuality {
                kbps: m.bitrate_kbps(),
                quality: self.of(m),
            })
            .collect()
    }
}

/// Anything encoded and measured: a point, a rung, a reference rung.
pub trait Measured {
    /// Average bitrate, kbit/s.
    fn bitrate_kbps(&self) -> f64;
    /// Mean per-frame luma PSNR, dB.
    fn psnr_y(&self) -> f64;
    /// Mean per-frame luma SSIM (0 to 1).
    fn ssim_y(&self) -> f64;
    /// `None` when VMAF was not measured.
    fn vmaf(&self) -> Option<f64>;
    /// Every measured metric pooled, by name (device classes' VMAF included: `vmaf_phone`).
    fn pooling(&self) -> &BTreeMap<String, Pooled>;
}

/// Implements [`Measured`] for a type with the fields of the same names.
macro_rules! measured_fields {
    ($($t:ty),*) => {$(
        impl $crate::measure::point::Measured for $t {
            fn bitrate_kbps(&self) -> f64 {
                self.bitrate_kbps
            }
            fn psnr_y(&self) -> f64 {
                self.psnr_y
            }
            fn ssim_y(&self) -> f64 {
                self.ssim_y
            }
            fn vmaf(&self) -> Option<f64> {
                self.vmaf
            }
            fn pooling(
                &self,
            ) -> &std::collections::BTreeMap<String, $crate::measure::metrics::pool::Pooled> {
                &self.pooling
            }
        }
    )*};
}
pub(crate) use measured_fields;

measured_fields!(Point, Rung);

impl Metric {
    /// Every metric a hull can be taken on.
    pub const ALL: [Metric; 3] = [Metric::Vmaf, Metric::Psnr, Metric::Ssim];
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Metric::Psnr => "psnr",
            Metric::Ssim => "ssim",
            Metric::Vmaf => "vmaf",
        })
    }
}

impl FromStr for Metric {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "psnr" => Ok(Metric::Psnr),
            "ssim" => Ok(Metric::Ssim),
            "vmaf" => Ok(Metric::Vmaf),
            other => Err(format!("unknown metric {other:?} (vmaf, psnr or ssim)")),
        }
    }
}

/// Round to `digits` decimals, so manifests stay readable and stable.
pub(crate) fn round(x: f64, digits: i32) -> f64 {
    let m = 10f64.powi(digits);
    (x * m).round() / m
}

/// One measured trial encode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Encoded width, pixels.
    pub width: u32,
    /// Encoded height, pixels.
    pub height: u32,
    /// The codec's constant-quality value the encode was made at.
    pub crf: f64,
    /// Total encoded bits over the clip's duration, kbit/s.
    pub bitrate_kbps: f64,
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
    /// Every measured metric's mean over each segment (for quality-aware playback
    /// simulation).
    #[serde(default)]
    pub segment_means: BTreeMap<String, Vec<f64>>,
    /// Its figures per shot, in a shot-based run (its segments then follow the shots).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shots: Option<crate::shots::figures::ShotFigures>,
    /// Whether the point lies on the upper convex hull of all points.
    pub on_hull: bool,
    /// RFC 6381 codecs string of the encode, from its own sequence parameter set (the
    /// profile and level x264 chose), as HLS `CODECS` and DASH `@codecs` declare it.
    #[serde(default)]
    pub codecs: String,
}

/// Every metric's mean over each run of `frames` frames of `series` (segments, or shots),
/// rounded as the manifests keep them.
pub(crate) fn segment_means(series: &FrameSeries, frames: &[u64]) -> BTreeMap<String, Vec<f64>> {
    rounded(series.segment_means(frames))
}

/// Every metric's harmonic mean over each segment, rounded as the manifest keeps them.
pub(crate) fn segment_harmonic_means(
    series: &FrameSeries,
    frames: &[u64],
) -> BTreeMap<String, Vec<f64>> {
    rounded(series.segment_harmonic_means(frames))
}

/// Every metric's percentiles at `levels` over each segment, rounded as the manifest keeps
/// them.
pub(crate) fn segment_percentiles(
    series: &FrameSeries,
    frames: &[u64],
    levels: &[f64],
) -> BTreeMap<String, Vec<Vec<f64>>> {
    series
        .segment_percentiles(frames, levels)
        .into_iter()
        .map(|(k, v)| {
            let d = digits(k);
            let v = v
                .into_iter()
                .map(|q| q.into_iter().map(|x| round(x, d)).collect())
                .collect();
            (k.to_string(), v)
        })
        .collect()
}

fn rounded(values: BTreeMap<&str, Vec<f64>>) -> BTreeMap<String, Vec<f64>> {
    values
        .into_iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                v.into_iter().map(|x| round(x, digits(k))).collect(),
            )
        })
        .collect()
}

/// Decimals kept in the manifest for a metric.
pub(crate) fn digits(metric: &str) -> i32 {
    if metric.starts_with("ssim") { 6 } else { 4 }
}

/// The quality of one encode as the manifests record it: the headline means, every metric
/// pooled four ways and every metric's mean over each segment, rounded as the manifests keep
/// them.
#[derive(Debug, Clone, PartialEq)]
pub struct Quality {
    /// Mean per-frame luma PSNR, dB (each frame capped at 60 dB).
    pub psnr_y: f64,
    /// Mean per-frame `(6Y + U + V) / 8` PSNR, dB.
    pub psnr_yuv: f64,
    /// Mean per-frame luma SSIM (0 to 1).
    pub ssim_y: f64,
    /// Mean per-frame VMAF, when VMAF was measured.
    pub vmaf: Option<f64>,
    /// Every measured metric pooled four ways (mean, harmonic mean, min, 5th percentile).
    pub pooling: BTreeMap<String, Pooled>,
    /// Every measured metric's mean over each segment.
    pub segment_means: BTreeMap<String, Vec<f64>>,
}

impl Quality {
    /// The quality of every frame of `series`, in segments of `segment_frames` frames.
    pub fn from_series(series: &FrameSeries, segment_frames: &[u64]) -> Self {
        let pooling: BTreeMap<String, Pooled> = series
            .pooled()
            .into_iter()
            .map(|(k, p)| (k.to_string(), p.rounded(digits(k))))
            .collect();
        let mean = |k: &str| pooling.get(k).map_or(f64::NAN, |p| p.mean);
        Quality {
            psnr_y: mean("psnr_y"),
            psnr_yuv: mean("psnr_yuv"),
            ssim_y: mean("ssim_y"),
            vmaf: pooling.get("vmaf").map(|p| p.mean),
            segment_means: segment_means(series, segment_frames),
            pooling,
        }
    }

    /// A rung's figures (measured for a measured rung, estimates for an interpolated one).
    pub fn of_rung(r: &Rung) -> Self {
        Quality {
            psnr_y: r.psnr_y,
            psnr_yuv: r.psnr_yuv,
            ssim_y: r.ssim_y,
            vmaf: r.vmaf,
            pooling: r.pooling.clone(),
            segment_means: r.segment_means.clone(),
        }
    }
}

impl Point {
    /// A point from a trial's measurements; `duration_s` is the clip's duration and
    /// `segment_frames` each segment's frame count.
    pub fn from_trial(t: &TrialResult, duration_s: f64, segment_frames: &[u64]) -> Self {
        let bits: u64 = t.segment_bits.iter().sum();
        let q = Quality::from_series(&t.series, segment_frames);
        Point {
            width: t.spec.resolution.width,
            height: t.spec.resolution.height,
            // Reference-ladder encodes have no CRF; they are not made into points.
            crf: t.spec.rate.crf().unwrap_or(f64::NAN),
            bitrate_kbps: round(bits as f64 / duration_s / 1000.0, 3),
            psnr_y: q.psnr_y,
            psnr_yuv: q.psnr_yuv,
            ssim_y: q.ssim_y,
            vmaf: q.vmaf,
            segment_sizes_bits: t.segment_bits.clone(),
            segment_means: q.segment_means,
            shots: None,
            on_hull: false,
            codecs: t.codecs.clone(),
            pooling: q.pooling,
        }
    }
}

/// One rung of the ladder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rung {
    /// Encoded width, pixels.
    pub width: u32,
    /// Encoded height, pixels.
    pub height: u32,
    /// The codec's constant-quality value (between two measured CRFs when interpolated).
    pub crf: f64,
    /// Average bitrate, kbit/s.
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
    /// Encoded size of each segment, bits (empty for an interpolated rung).
    pub segment_sizes_bits: Vec<u64>,
    /// Every measured metric's mean over each segment (interpolated for an interpolated rung).
    #[serde(default)]
    pub segment_means: BTreeMap<String, Vec<f64>>,
    /// True when the rung lies between two measured CRFs of its resolution (a shot rung: when
    /// a shot does): its CRF, bitrate and qualities are interpolated from them (not
    /// measured), and its peak is estimated.
    #[serde(default)]
    pub interpolated: bool,
    /// After a search at a proxy preset: the rung is (or lies beside) a proxy point mapped
    /// to the final preset, not a final encode; `interpolated` is true too and its values
    /// are estimates.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub proxy_estimate: bool,
    /// Chosen on a sample of the source (`search.sample`, no proxy preset): its values are
    /// the sample's, estimates for the whole title, so `interpolated` is true too and it has
    /// no segment sizes or means (`pertitle package` encodes the whole title).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sampled: bool,
    /// RFC 6381 codecs string (an interpolated rung has its resolution's: x264 picks the
    /// profile and level from the preset, frame size and rate, not the CRF).
    #[serde(default)]
    pub codecs: String,
    /// A shot rung: each shot's encode, in the order of the title's shots (empty for a rung
    /// with one setting for the whole title). Its `crf` is then the frame-weighted mean of
    /// the shots' CRFs and its size the largest of theirs; see
    /// [`Rung::from_shots`](crate::shots::rung).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shots: Vec<crate::shots::rung::ShotSetting>,
}

impl Rung {
    /// Mark a rung chosen on a sample of the source ([`Rung::sampled`]): its values stay
    /// the sample's estimates; its per-segment figures, which are the sample's windows', go.
    pub fn mark_sampled(&mut self) {
        self.sampled = true;
        self.interpolated = true;
        self.segment_sizes_bits.clear();
        self.segment_means.clear();
    }

    /// A rung from a point; `segment_durations_s` has one duration per segment.
    pub fn from_point(p: &Point, segment_durations_s: &[f64]) -> Self {
        let peak = p
            .segment_sizes_bits
            .iter()
            .zip(segment_durations_s)
            .filter(|(_, d)| **d > 0.0)
            .map(|(&bits, &d)| bits as f64 / d / 1000.0)
            .fold(0.0, f64::max);
        Rung {
            width: p.width,
            height: p.height,
            crf: p.crf,
            bitrate_kbps: p.bitrate_kbps,
            peak_kbps: round(peak, 3),
            psnr_y: p.psnr_y,
            psnr_yuv: p.psnr_yuv,
            ssim_y: p.ssim_y,
            vmaf: p.vmaf,
            pooling: p.pooling.clone(),
            segment_sizes_bits: p.segment_sizes_bits.clone(),
            segment_means: p.segment_means.clone(),
            interpolated: false,
            proxy_estimate: false,
            sampled: false,
            codecs: p.codecs.clone(),
            shots: Vec::new(),
        }
    }

    /// A rung at `kbps` between two measured points of one resolution, `t` of the way from
    /// `lower` to `upper` in bitrate: every quality is interpolated linearly in bitrate, and the
    /// peak keeps the nearer point's peak-to-average ratio.
    pub fn interpolated(
        lower: &Point,
        upper: &Point,
        t: f64,
        kbps: f64,
        crf: f64,
        segment_durations_s: &[f64],
    ) -> Self {
        let mix = |a: f64, b: f64| a + t * (b - a);
        let nearer = Rung::from_point(if t < 0.5 { lower } else { upper }, segment_durations_s);
        let peak_ratio = if nearer.bitrate_kbps > 0.0 {
            nearer.peak_kbps / nearer.bitrate_kbps
        } else {
            1.0
        };
        let pooling = lower
            .pooling
            .iter()
            .filter_map(|(k, a)| {
                let b = upper.pooling.get(k)?;
                let d = digits(k);
                Some((
                    k.clone(),
                    Pooled {
                        mean: round(mix(a.mean, b.mean), d),
                        harmonic_mean: round(mix(a.harmonic_mean, b.harmonic_mean), d),
                        min: round(mix(a.min, b.min), d),
                        min_frame: a.min_frame,
                        p5: round(mix(a.p5, b.p5), d),
                    },
                ))
            })
            .collect();
        Rung {
            width: lower.width,
            height: lower.height,
            crf: round(crf, 2),
            bitrate_kbps: round(kbps, 3),
            peak_kbps: round(kbps * peak_ratio, 3),
            psnr_y: round(mix(lower.psnr_y, upper.psnr_y), 4),
            psnr_yuv: round(mix(lower.psnr_yuv, upper.psnr_yuv), 4),
            ssim_y: round(mix(lower.ssim_y, upper.ssim_y), 6),
            vmaf: lower.vmaf.zip(upper.vmaf).map(|(a, b)| round(mix(a, b), 4)),
            pooling,
            segment_sizes_bits: Vec::new(),
            segment_means: lower
                .segment_means
                .iter()
                .filter_map(|(k, a)| {
                    let b = upper.segment_means.get(k)?;
                    let d = digits(k);
                    Some((
                        k.clone(),
                        a.iter()
                            .zip(b)
                            .map(|(&x, &y)| round(mix(x, y), d))
                            .collect(),
                    ))
                })
                .collect(),
            interpolated: true,
            proxy_estimate: false,
            sampled: false,
            codecs: lower.codecs.clone(),
            shots: Vec::new(),
        }
    }
}
