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

// ---------------------------------------------------------------------------------------
// Fits
// ---------------------------------------------------------------------------------------

/// A fitted curve that can be integrated exactly.
enum Fit {
    Hermite(Hermite),
    Polynomial(Cubic),
}

impl Fit {
    fn new(c: &Prepared, method: Interpolation) -> Fit {
        match method {
            Interpolation::Pchip => {
                Fit::Hermite(Hermite::new(&c.x, &c.y, &pchip_slopes(&c.x, &c.y)))
            }
            Interpolation::Akima => {
                Fit::Hermite(Hermite::new(&c.x, &c.y, &akima_slopes(&c.x, &c.y)))
            }
            Interpolation::Cubic => Fit::Polynomial(Cubic::least_squares(&c.x, &c.y)),
        }
    }

    /// ∫ from a to b, with `x[0] <= a <= b <= x[last]`.
    fn integral(&self, a: f64, b: f64) -> f64 {
        match self {
            Fit::Hermite(h) => h.integral(a, b),
            Fit::Polynomial(p) => p.integral(a, b),
        }
    }

    #[cfg(test)]
    fn eval(&self, x: f64) -> f64 {
        match self {
            Fit::Hermite(h) => h.eval(x),
            Fit::Polynomial(p) => p.eval(x),
        }
    }
}

/// A piecewise cubic: on `[x[k], x[k+1]]`, `c[k][0] + c[k][1] t + c[k][2] t² + c[k][3] t³`
/// with `t = x - x[k]`.
struct Hermite {
    x: Vec<f64>,
    c: Vec<[f64; 4]>,
}

impl Hermite {
    /// The cubic Hermite spline through `(x, y)` with slopes `d` (as SciPy's
    /// `CubicHermiteSpline` forms its coefficients).
    fn new(x: &[f64], y: &[f64], d: &[f64]) -> Hermite {
        let c = (0..x.len() - 1)
            .map(|k| {
                let h = x[k + 1] - x[k];
                let m = (y[k + 1] - y[k]) / h;
                let t = (d[k] + d[k + 1] - 2.0 * m) / h;
                [y[k], d[k], (m - d[k]) / h - t, t / h]
            })
            .collect();
        Hermite { x: x.to_vec(), c }
    }

    fn integral(&self, a: f64, b: f64) -> f64 {
        // Antiderivative of one piece from 0 to t.
        let prim = |c: &[f64; 4], t: f64| {
            t * (c[0] + t * (c[1] / 2.0 + t * (c[2] / 3.0 + t * (c[3] / 4.0))))
        };
        let mut sum = 0.0;
        for (k, c) in self.c.iter().enumerate() {
            let (x0, x1) = (self.x[k], self.x[k + 1]);
            let (from, to) = (a.max(x0), b.min(x1));
            if to > from {
                sum += prim(c, to - x0) - prim(c, from - x0);
            }
        }
        sum
    }

    #[cfg(test)]
    fn eval(&self, x: f64) -> f64 {
        let k = self.x[..self.x.len() - 1]
            .iter()
            .rposition(|&xk| xk <= x)
            .unwrap_or(0);
        let c = &self.c[k];
        let t = x - self.x[k];
        c[0] + t * (c[1] + t * (c[2] + t * c[3]))
    }
}

/// `x` is +1, 0 or -1 as `x` is positive, zero or negative (NumPy's `sign`, not `signum`,
/// which gives +1 for +0.0).
fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// Fritsch–Carlson slopes exactly as SciPy's `PchipInterpolator._find_derivatives`:
/// inside, 0 at a local extremum or flat segment, else the weighted harmonic mean of the
/// neighbouring secants; at the ends, the one-sided three-point estimate, set to 0 if its sign
/// differs from the end secant's and clipped to 3x that secant where the secants change sign.
fn pchip_slopes(x: &[f64], y: &[f64]) -> Vec<f64> {
    let n = x.len();
    let h: Vec<f64> = x.windows(2).map(|w| w[1] - w[0]).collect();
    let m: Vec<f64> = (0..n - 1).map(|k| (y[k + 1] - y[k]) / h[k]).collect();
    if n == 2 {
        return vec![m[0], m[0]];
    }
    let mut d = vec![0.0; n];
    for k in 1..n - 1 {
        let (m0, m1) = (m[k - 1], m[k]);
        if sign(m0) != sign(m1) || m0 == 0.0 || m1 == 0.0 {
            d[k] = 0.0;
        } else {
            let w1 = 2.0 * h[k] + h[k - 1];
            let w2 = h[k] + 2.0 * h[k - 1];
            let whmean = (w1 / m0 + w2 / m1) / (w1 + w2);
            d[k] = 1.0 / whmean;
        }
    }
    let edge = |h0: f64, h1: f64, m0: f64, m1: f64| {
        let d = ((2.0 * h0 + h1) * m0 - h0 * m1) / (h0 + h1);
        if sign(d) != sign(m0) {
            0.0
        } else if sign(m0) != sign(m1) && d.abs() > 3.0 * m0.abs() {
            3.0 * m0
        } else {
            d
        }
    };
    d[0] = edge(h[0], h[1], m[0], m[1]);
    d[n - 1] = edge(h[n - 2], h[n - 3], m[n - 2], m[n - 3]);
    d
}

/// Akima's slopes exactly as SciPy's `Akima1DInterpolator` (`method="akima"`): the secants
/// are extended by two linearly extrapolated ones at each end; the slope at a point is the
/// average of its two neighbouring secants weighted by how much the secants on the far side
/// differ, or the plain average when those weights are (relatively) zero.
fn akima_slopes(x: &[f64], y: &[f64]) -> Vec<f64> {
    let n = x.len();
    if n == 2 {
        let s = (y[1] - y[0]) / (x[1] - x[0]);
        return vec![s, s];
    }
    // m[2..n+1] are the n-1 secants; two extra on each side.
    let mut m = vec![0.0; n + 3];
    for k in 0..n - 1 {
        m[k + 2] = (y[k + 1] - y[k]) / (x[k + 1] - x[k]);
    }
    m[1] = 2.0 * m[2] - m[3];
    m[0] = 2.0 * m[1] - m[2];
    m[n + 1] = 2.0 * m[n] - m[n - 1];
    m[n + 2] = 2.0 * m[n + 1] - m[n];

    let dm: Vec<f64> = m.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
    let f1: Vec<f64> = (0..n).map(|i| dm[i + 2]).collect();
    let f2: Vec<f64> = (0..n).map(|i| dm[i]).collect();
    let f12: Vec<f64> = (0..n).map(|i| f1[i] + f2[i]).collect();
    let max = f12.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    const BREAK_MULT: f64 = 1e-9;
    (0..n)
        .map(|i| {
            if f12[i] > BREAK_MULT * max {
                m[i + 1] + (f2[i] / f12[i]) * (m[i + 2] - m[i + 1])
            } else {
                0.5 * (m[i + 3] + m[i])
            }
        })
        .collect()
}

/// A cubic polynomial in `u = (x - center) / scale`: `c[0] + c[1] u + c[2] u² + c[3] u³`.
struct Cubic {
    center: f64,
    scale: f64,
    c: [f64; 4],
}

impl Cubic {
    /// The least-squares cubic through the points (exact through 4 distinct x), as
    /// `numpy.polyfit(x, y, 3)` fits it. x is centred and scaled to [-1, 1] so the Vandermonde
    /// matrix is well conditioned, and the least-squares problem is solved by Householder QR
    /// rather than by forming the normal equations, which would square its condition number.
    fn least_squares(x: &[f64], y: &[f64]) -> Cubic {
        let n = x.len();
        let (min, max) = (x[0], x[n - 1]);
        let center = 0.5 * (min + max);
        let scale = 0.5 * (max - min);
        // Column-major n x 4 Vandermonde matrix in u.
        let mut a: [Vec<f64>; 4] = std::array::from_fn(|j| {
            x.iter()
                .map(|&xi| ((xi - center) / scale).powi(j as i32))
                .collect()
        });
        let mut b = y.to_vec();
        // Householder QR: reduce A to upper triangular R, applying the same reflections to b.
        for j in 0..4 {
            let norm = a[j][j..].iter().map(|v| v * v).sum::<f64>().sqrt();
            let alpha = if a[j][j] > 0.0 { -norm } else { norm };
            let mut v: Vec<f64> = a[j][j..].to_vec();
            v[0] -= alpha;
            let vv: f64 = v.iter().map(|e| e * e).sum();
            if vv == 0.0 {
                continue;
            }
            let reflect = |col: &mut [f64]| {
                let dot: f64 = v.iter().zip(col.iter()).map(|(p, q)| p * q).sum();
                let f = 2.0 * dot / vv;
                for (ci, vi) in col.iter_mut().zip(&v) {
                    *ci -= f * vi;
                }
            };
            for col in a.iter_mut().skip(j) {
                reflect(&mut col[j..]);
            }
            reflect(&mut b[j..]);
        }
        // Back substitution R c = (Qᵀ b)[..4].
        let mut c = [0.0; 4];
        for i in (0..4).rev() {
            let s: f64 = (i + 1..4).map(|j| a[j][i] * c[j]).sum();
            c[i] = (b[i] - s) / a[i][i];
        }
        Cubic { center, scale, c }
    }

    fn integral(&self, a: f64, b: f64) -> f64 {
        let c = &self.c;
        let prim = |u: f64| u * (c[0] + u * (c[1] / 2.0 + u * (c[2] / 3.0 + u * (c[3] / 4.0))));
        let u = |x: f64| (x - self.center) / self.scale;
        self.scale * (prim(u(b)) - prim(u(a)))
    }

    #[cfg(test)]
    fn eval(&self, x: f64) -> f64 {
        let u = (x - self.center) / self.scale;
        let c = &self.c;
        c[0] + u * (c[1] + u * (c[2] + u * c[3]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rq(v: &[(f64, f64)]) -> Vec<RateQuality> {
        v.iter()
            .map(|&(kbps, quality)| RateQuality { kbps, quality })
            .collect()
    }

    fn prepared(x: &[f64], y: &[f64]) -> Prepared {
        Prepared {
            x: x.to_vec(),
            y: y.to_vec(),
            span: [x[0], x[x.len() - 1]],
        }
    }

    const X: [f64; 6] = [30.0, 31.5, 34.0, 34.5, 38.0, 41.0];
    const Y: [f64; 6] = [5.0, 5.6, 6.1, 6.0, 7.2, 8.4];

    #[test]
    fn every_fit_goes_through_four_points_and_the_splines_through_all() {
        for method in Interpolation::ALL {
            let fit = Fit::new(&prepared(&X, &Y), method);
            if method == Interpolation::Cubic {
                let fit = Fit::new(&prepared(&X[..4], &Y[..4]), method);
                for (x, y) in X[..4].iter().zip(&Y) {
                    assert!((fit.eval(*x) - y).abs() < 1e-10, "{method} at {x}");
                }
            } else {
                for (x, y) in X.iter().zip(&Y) {
                    assert!((fit.eval(*x) - y).abs() < 1e-12, "{method} at {x}");
                }
            }
        }
    }

    #[test]
    fn a_line_is_fitted_and_integrated_exactly() {
        // y = 0.25 x - 3, integral from 31 to 40 = 0.125 (40² - 31²) - 3 * 9.
        let y: Vec<f64> = X.iter().map(|x| 0.25 * x - 3.0).collect();
        let exact = 0.125 * (40.0f64.powi(2) - 31.0f64.powi(2)) - 27.0;
        for method in Interpolation::ALL {
            let fit = Fit::new(&prepared(&X, &y), method);
            let got = fit.integral(31.0, 40.0);
            assert!((got - exact).abs() < 1e-11, "{method}: {got} vs {exact}");
        }
    }

    #[test]
    fn the_cubic_fit_recovers_a_cubic_from_noisy_free_data() {
        // Six points of an exact cubic far from the origin: least squares must return it.
        let p = |x: f64| {
            2.0 - 0.5 * (x - 35.0) + 0.03 * (x - 35.0).powi(2) - 0.002 * (x - 35.0).powi(3)
        };
        let y: Vec<f64> = X.iter().map(|&x| p(x)).collect();
        let fit = Fit::new(&prepared(&X, &y), Interpolation::Cubic);
        let prim = |x: f64| {
            let t = x - 35.0;
            2.0 * t - 0.25 * t * t + 0.01 * t.powi(3) - 0.0005 * t.powi(4)
        };
        let exact = prim(40.5) - prim(30.5);
        assert!((fit.integral(30.5, 40.5) - exact).abs() < 1e-10);
        assert!((fit.eval(33.3) - p(33.3)).abs() < 1e-12);
    }

    #[test]
    fn hermite_pieces_integrate_like_the_trapezoid_plus_slope_correction() {
        // Over a whole piece, ∫ = h (y0 + y1) / 2 + h² (d0 - d1) / 12.
        let x = [0.0, 2.0, 3.0, 7.0];
        let y = [1.0, 4.0, 2.0, 5.0];
        let d = [0.5, -1.0, 2.0, 0.3];
        let h = Hermite::new(&x, &y, &d);
        let mut expected = 0.0;
        for k in 0..3 {
            let w = x[k + 1] - x[k];
            expected += w * (y[k] + y[k + 1]) / 2.0 + w * w * (d[k] - d[k + 1]) / 12.0;
        }
        assert!((h.integral(0.0, 7.0) - expected).abs() < 1e-12);
        // Split anywhere, the parts add up.
        let split = h.integral(0.0, 2.5) + h.integral(2.5, 7.0);
        assert!((split - expected).abs() < 1e-12);
    }

    #[test]
    fn pchip_slopes_follow_scipy_rules() {
        // Interior: 0 at an extremum (secants 1 then -1), harmonic mean otherwise.
        let x = [0.0, 1.0, 2.0, 3.0, 5.0];
        let y = [0.0, 1.0, 0.0, 1.0, 3.0];
        let d = pchip_slopes(&x, &y);
        assert_eq!(d[1], 0.0);
        assert_eq!(d[2], 0.0);
        // Point 3: h = (1, 2), m = (1, 1): whmean of equal secants is the secant.
        assert!((d[3] - 1.0).abs() < 1e-15);
        // Start: ((2*1 + 1) * 1 - 1 * (-1)) / 2 = 2; secants change sign and |2| <= 3, kept.
        assert!((d[0] - 2.0).abs() < 1e-15);
        // End: ((2*2 + 1) * 1 - 2 * 1) / 3 = 1.
        assert!((d[4] - 1.0).abs() < 1e-15);

        // End estimate of the wrong sign becomes 0; one too steep is clipped to 3 m0.
        let d = pchip_slopes(&[0.0, 1.0, 1.1, 2.0], &[0.0, 1.0, 3.0, 2.0]);
        // ((2 + 0.1) * 1 - 1 * 20) / 1.1 < 0 while m0 > 0.
        assert_eq!(d[0], 0.0);
        let d = pchip_slopes(&[0.0, 10.0, 11.0, 12.0], &[0.0, 10.0, 0.0, 1.0]);
        // ((20 + 1) * 1 - 10 * (-10)) / 11 = 11 > 3 * 1 and the secants change sign.
        assert_eq!(d[0], 3.0);
    }

    #[test]
    fn akima_slopes_on_a_line_and_at_a_corner() {
        let d = akima_slopes(&[0.0, 1.0, 2.0, 3.0], &[1.0, 3.0, 5.0, 7.0]);
        assert!(d.iter().all(|s| (s - 2.0).abs() < 1e-15), "{d:?}");
        // Secants 0, 0, 1, 1 (plus extrapolated 0, 0 and 1, 1): at the corner point (x = 2)
        // the weights are |1 - 1| and |0 - 0|, both zero, so the slope is the plain mean.
        let d = akima_slopes(&[0.0, 1.0, 2.0, 3.0, 4.0], &[0.0, 0.0, 0.0, 1.0, 2.0]);
        assert!((d[2] - 0.5).abs() < 1e-15, "{d:?}");
        assert_eq!(d[1], 0.0);
        assert_eq!(d[3], 1.0);
    }

    #[test]
    fn duplicate_x_is_reported_on_the_right_axis() {
        let same_quality = rq(&[(100.0, 30.0), (200.0, 32.0), (300.0, 32.0), (400.0, 36.0)]);
        let ok = rq(&[(100.0, 30.0), (200.0, 33.0), (300.0, 34.0), (400.0, 36.0)]);
        assert_eq!(
            bd_rate(&ok, &same_quality, Interpolation::Pchip),
            Err(BdError::DuplicateQuality {
                curve: Curve::Test,
                quality: 32.0
            })
        );
        // Distinct rates: BD-quality is fine with it.
        assert!(bd_quality(&ok, &same_quality, Interpolation::Pchip).is_ok());
        let same_rate = rq(&[(100.0, 30.0), (200.0, 33.0), (200.0, 34.0), (400.0, 36.0)]);
        assert_eq!(
            bd_quality(&same_rate, &ok, Interpolation::Akima),
            Err(BdError::DuplicateRate {
                curve: Curve::Anchor,
                kbps: 200.0
            })
        );
        assert!(bd_rate(&same_rate, &ok, Interpolation::Akima).is_ok());
    }

    #[test]
    fn messages_are_one_line_and_name_the_curve() {
        let e = BdError::NoQualityOverlap {
            anchor: [30.0, 40.0],
            test: [41.0, 50.0],
        };
        assert_eq!(
            e.to_string(),
            "the curves do not overlap in quality (anchor 30.0-40.0, test 41.0-50.0)"
        );
        let e = BdError::TooFewPoints {
            curve: Curve::Test,
            count: 3,
        };
        assert_eq!(
            e.to_string(),
            "test curve: 3 points, BD metrics need at least 4"
        );
        let e = BdError::DuplicateQuality {
            curve: Curve::Anchor,
            quality: 35.2,
        };
        assert_eq!(e.to_string(), "anchor curve: two points share quality 35.2");
        assert_eq!(e.curve(), Some(Curve::Anchor));
    }

    #[test]
    fn interpolation_names_round_trip() {
        for m in Interpolation::ALL {
            assert_eq!(m.name().parse::<Interpolation>(), Ok(m));
            assert_eq!(m.to_string().to_uppercase().parse::<Interpolation>(), Ok(m));
        }
        assert_eq!(Interpolation::default(), Interpolation::Pchip);
        assert!("spline".parse::<Interpolation>().is_err());
        assert_eq!(
            serde_json::to_string(&Interpolation::Akima).unwrap(),
            "\"akima\""
        );
        assert_eq!(
            serde_json::from_str::<Interpolation>("\"cubic\"").unwrap(),
            Interpolation::Cubic
        );
    }
}
