//! Bjontegaard delta metrics: how far apart two rate-quality curves are, on average.
//!
//! Two curves, an *anchor* and a *test*, each a handful of (bitrate, quality) points:
//!
//! - **BD-rate** is the average bitrate difference of the test against the anchor at equal
//!   quality, in percent. Each curve is fitted with quality on x and the natural logarithm of
//!   the bitrate on y; both fits are integrated over the quality range the curves share
//!   (`[max of the two minima, min of the two maxima]`); the mean difference of the log rates
//!   is `avg = (∫test - ∫anchor) / (hi - lo)`, and BD-rate = `(exp(avg) - 1) * 100`.
//!   Negative means the test needs fewer bits: -10 % is a test that needs 0.9x the anchor's
//!   bitrate for the same quality. Averaging in log space makes the result symmetric:
//!   swapping the curves gives `r'` with `(1 + r)(1 + r') = 1`. The log base does not matter
//!   as long as the exponential matches it; natural logs are used throughout.
//! - **BD-quality** (BD-PSNR when quality is PSNR) is the average quality difference, test
//!   minus anchor, at equal bitrate: x = ln(bitrate), y = quality, integrated over the shared
//!   log-rate range. Positive means the test scores higher, in the metric's own units.
//!
//! Each curve is sorted by its x and fitted with one of three [`Interpolation`]s, each
//! integrated exactly (in closed form, no quadrature):
//!
//! - [`Pchip`](Interpolation::Pchip), the default: piecewise cubic Hermite interpolation
//!   with Fritsch–Carlson monotone slopes, as SciPy's `PchipInterpolator` computes them
//!   (weighted harmonic mean inside, the one-sided shape-preserving rule at both ends). It
//!   goes through every point and does not overshoot between them; the JCT-VC and JVET
//!   common test conditions and AOM's AWCY use it.
//! - [`Cubic`](Interpolation::Cubic): the original VCEG-M33 method (Bjontegaard, 2001), one
//!   least-squares cubic polynomial through all the points (it interpolates exactly 4). With
//!   more points, or badly spaced ones, a single cubic can wiggle.
//! - [`Akima`](Interpolation::Akima): Akima's 1970 spline, as SciPy's `Akima1DInterpolator`
//!   computes it (the original method, not "makima"): another local fit through every
//!   point, which wiggles less than a single cubic.
//!
//! The points need not be monotone (quality may fall as the rate rises): the fit is over the
//! points sorted by x. Each curve needs at least 4 points with finite positive bitrates, finite
//! qualities and distinct x values (distinct qualities for BD-rate, distinct bitrates for
//! BD-quality), and the two curves must overlap on the x axis; anything else is a [`BdError`].
//!
//! References: G. Bjontegaard, "Calculation of average PSNR differences between RD-curves",
//! VCEG-M33 (2001); F. N. Fritsch and R. E. Carlson, "Monotone piecewise cubic interpolation"
//! (1980); H. Akima, "A new method of interpolation and smooth curve fitting based on local
//! procedures" (1970); JVET common test conditions; AOM common test conditions (AWCY).

use crate::ladder::hull::RateQuality;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

mod fit;
use fit::Fit;
pub(crate) use fit::Hermite;

/// Points each curve needs: a cubic has four coefficients.
pub const MIN_POINTS: usize = 4;

/// How each curve is fitted before it is integrated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Interpolation {
    /// Piecewise cubic Hermite with monotone (Fritsch–Carlson) slopes, as SciPy's
    /// `PchipInterpolator`; what JVET / JCT-VC CTC and AOM AWCY use.
    #[default]
    Pchip,
    /// One least-squares cubic polynomial (VCEG-M33).
    Cubic,
    /// Akima (1970) spline, as SciPy's `Akima1DInterpolator` with `method="akima"`.
    Akima,
}

impl Interpolation {
    /// Every method, default first.
    pub const ALL: [Interpolation; 3] = [
        Interpolation::Pchip,
        Interpolation::Cubic,
        Interpolation::Akima,
    ];

    /// The lowercase name that [`FromStr`] accepts.
    pub fn name(self) -> &'static str {
        match self {
            Interpolation::Pchip => "pchip",
            Interpolation::Cubic => "cubic",
            Interpolation::Akima => "akima",
        }
    }

    /// A few words on what the method is.
    pub fn description(self) -> &'static str {
        match self {
            Interpolation::Pchip => {
                "piecewise cubic Hermite with monotone slopes, as in JVET CTC and AWCY"
            }
            Interpolation::Cubic => "least-squares cubic polynomial, as in VCEG-M33",
            Interpolation::Akima => "Akima's 1970 spline",
        }
    }
}

impl fmt::Display for Interpolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Interpolation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "pchip" => Ok(Interpolation::Pchip),
            "cubic" => Ok(Interpolation::Cubic),
            "akima" => Ok(Interpolation::Akima),
            other => Err(format!(
                "unknown interpolation {other:?} (pchip, cubic or akima)"
            )),
        }
    }
}

/// Which of the two curves an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    /// The reference curve the test is compared against.
    Anchor,
    /// The curve compared.
    Test,
}

impl fmt::Display for Curve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Curve::Anchor => "anchor",
            Curve::Test => "test",
        })
    }
}

/// Why BD metrics cannot be computed. Each message is one line naming the curve and the cause.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BdError {
    /// A curve has fewer than [`MIN_POINTS`] points.
    #[error("{curve} curve: {count} points, BD metrics need at least {MIN_POINTS}")]
    TooFewPoints {
        /// The curve.
        curve: Curve,
        /// The points it has.
        count: usize,
    },

    /// A point's bitrate is zero, negative or not finite.
    #[error(
        "{curve} curve: point {index} has bitrate {kbps:?} kbps; bitrates must be finite and positive"
    )]
    BadRate {
        /// The curve.
        curve: Curve,
        /// Position in the curve as given (0-based).
        index: usize,
        /// The bitrate, kbit/s.
        kbps: f64,
    },

    /// A point's quality is not finite.
    #[error("{curve} curve: point {index} has quality {quality:?}; qualities must be finite")]
    BadQuality {
        /// The curve.
        curve: Curve,
        /// Position in the curve as given (0-based).
        index: usize,
        /// The quality.
        quality: f64,
    },

    /// BD-rate integrates over quality, so each quality may appear once.
    #[error("{curve} curve: two points share quality {quality:?}")]
    DuplicateQuality {
        /// The curve.
        curve: Curve,
        /// The quality two points share.
        quality: f64,
    },

    /// BD-quality integrates over log bitrate, so each bitrate may appear once.
    #[error("{curve} curve: two points share bitrate {kbps:?} kbps")]
    DuplicateRate {
        /// The curve.
        curve: Curve,
        /// The bitrate two points share, kbit/s.
        kbps: f64,
    },

    /// The curves share no quality range, which BD-rate averages over.
    #[error(
        "the curves do not overlap in quality (anchor {:?}-{:?}, test {:?}-{:?})",
        anchor[0], anchor[1], test[0], test[1]
    )]
    NoQualityOverlap {
        /// The anchor's quality range, lowest and highest.
        anchor: [f64; 2],
        /// The test's quality range, lowest and highest.
        test: [f64; 2],
    },

    /// The curves share no bitrate range, which BD-quality averages over.
    #[error(
        "the curves do not overlap in bitrate (anchor {:?}-{:?} kbps, test {:?}-{:?} kbps)",
        anchor[0], anchor[1], test[0], test[1]
    )]
    NoRateOverlap {
        /// The anchor's bitrate range, lowest and highest, kbit/s.
        anchor: [f64; 2],
        /// The test's bitrate range, lowest and highest, kbit/s.
        test: [f64; 2],
    },
}

impl BdError {
    /// The curve the error is about; `None` when it is about both (no overlap).
    pub fn curve(&self) -> Option<Curve> {
        match self {
            BdError::TooFewPoints { curve, .. }
            | BdError::BadRate { curve, .. }
            | BdError::BadQuality { curve, .. }
            | BdError::DuplicateQuality { curve, .. }
            | BdError::DuplicateRate { curve, .. } => Some(*curve),
            BdError::NoQualityOverlap { .. } | BdError::NoRateOverlap { .. } => None,
        }
    }
}

/// BD-rate of `test` against `anchor`, percent: the average bitrate difference at equal
/// quality. Negative when the test needs fewer bits (-10.0 = 0.9x the anchor's bitrate).
pub fn bd_rate(
    anchor: &[RateQuality],
    test: &[RateQuality],
    method: Interpolation,
) -> Result<f64, BdError> {
    let (avg, _) = average_difference(anchor, test, method, Axis::Quality)?;
    Ok(avg.exp_m1() * 100.0)
}

/// BD-quality of `test` against `anchor`: the average quality difference (test - anchor) at
/// equal bitrate, in the quality's own units (dB for PSNR: BD-PSNR). Positive when the test
/// scores higher.
pub fn bd_quality(
    anchor: &[RateQuality],
    test: &[RateQuality],
    method: Interpolation,
) -> Result<f64, BdError> {
    let (avg, _) = average_difference(anchor, test, method, Axis::LogRate)?;
    Ok(avg)
}

/// Both BD metrics of one comparison, and the ranges they were averaged over.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BdReport {
    /// How the curves were fitted.
    pub method: Interpolation,
    /// BD-rate of the test against the anchor, percent; negative = the test needs fewer bits.
    pub bd_rate_percent: f64,
    /// BD-quality of the test against the anchor (test - anchor), in the quality's units.
    pub bd_quality: f64,
    /// The quality range both curves span, which BD-rate averages over.
    pub quality_overlap: [f64; 2],
    /// The bitrate range (kbps) both curves span, which BD-quality averages over (in log rate).
    pub kbps_overlap: [f64; 2],
    /// Points in the anchor curve.
    pub anchor_points: usize,
    /// Points in the test curve.
    pub test_points: usize,
}

/// BD-rate and BD-quality of `test` against `anchor` with one method. Fails if either fails.
pub fn compare(
    anchor: &[RateQuality],
    test: &[RateQuality],
    method: Interpolation,
) -> Result<BdReport, BdError> {
    let (rate_avg, quality_overlap) = average_difference(anchor, test, method, Axis::Quality)?;
    let (bd_quality, kbps_overlap) = average_difference(anchor, test, method, Axis::LogRate)?;
    Ok(BdReport {
        method,
        bd_rate_percent: rate_avg.exp_m1() * 100.0,
        bd_quality,
        quality_overlap,
        kbps_overlap,
        anchor_points: anchor.len(),
        test_points: test.len(),
    })
}

// ---------------------------------------------------------------------------------------
// Preparing the curves
// ---------------------------------------------------------------------------------------

/// Which coordinate is x (the integration variable).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Axis {
    /// x = quality, y = ln(kbps): BD-rate.
    Quality,
    /// x = ln(kbps), y = quality: BD-quality.
    LogRate,
}

/// A curve ready to fit: x strictly increasing.
struct Prepared {
    x: Vec<f64>,
    y: Vec<f64>,
    /// The first and last x as given (kbps rather than ln(kbps) on the log-rate axis).
    span: [f64; 2],
}

fn prepare(curve: Curve, points: &[RateQuality], axis: Axis) -> Result<Prepared, BdError> {
    if points.len() < MIN_POINTS {
        return Err(BdError::TooFewPoints {
            curve,
            count: points.len(),
        });
    }
    for (index, p) in points.iter().enumerate() {
        if !(p.kbps.is_finite() && p.kbps > 0.0) {
            return Err(BdError::BadRate {
                curve,
                index,
                kbps: p.kbps,
            });
        }
        if !p.quality.is_finite() {
            return Err(BdError::BadQuality {
                curve,
                index,
                quality: p.quality,
            });
        }
    }
    let mut xy: Vec<(f64, f64, RateQuality)> = points
        .iter()
        .map(|&p| match axis {
            Axis::Quality => (p.quality, p.kbps.ln(), p),
            Axis::LogRate => (p.kbps.ln(), p.quality, p),
        })
        .collect();
    xy.sort_by(|a, b| a.0.total_cmp(&b.0));
    for w in xy.windows(2) {
        if w[0].0 == w[1].0 {
            let p = w[1].2;
            return Err(match axis {
                Axis::Quality => BdError::DuplicateQuality {
                    curve,
                    quality: p.quality,
                },
                Axis::LogRate => BdError::DuplicateRate {
                    curve,
                    kbps: p.kbps,
                },
            });
        }
    }
    let given = |p: RateQuality| match axis {
        Axis::Quality => p.quality,
        Axis::LogRate => p.kbps,
    };
    Ok(Prepared {
        x: xy.iter().map(|t| t.0).collect(),
        y: xy.iter().map(|t| t.1).collect(),
        span: [given(xy[0].2), given(xy[xy.len() - 1].2)],
    })
}

/// The mean of (test fit - anchor fit) over the x range both curves span, and that range in
/// the units given (kbps, not ln(kbps), on the log-rate axis).
fn average_difference(
    anchor: &[RateQuality],
    test: &[RateQuality],
    method: Interpolation,
    axis: Axis,
) -> Result<(f64, [f64; 2]), BdError> {
    let a = prepare(Curve::Anchor, anchor, axis)?;
    let t = prepare(Curve::Test, test, axis)?;
    let lo = a.x[0].max(t.x[0]);
    let hi = a.x[a.x.len() - 1].min(t.x[t.x.len() - 1]);
    if hi <= lo {
        let (anchor, test) = (a.span, t.span);
        return Err(match axis {
            Axis::Quality => BdError::NoQualityOverlap { anchor, test },
            Axis::LogRate => BdError::NoRateOverlap { anchor, test },
        });
    }
    let fa = Fit::new(&a, method);
    let ft = Fit::new(&t, method);
    let avg = (ft.integral(lo, hi) - fa.integral(lo, hi)) / (hi - lo);
    let given = [a.span[0].max(t.span[0]), a.span[1].min(t.span[1])];
    Ok((avg, given))
}

#[cfg(test)]
mod tests;
