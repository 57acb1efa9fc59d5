//! The fits a curve is integrated over: piecewise cubic Hermite (PCHIP's and Akima's
//! slopes) and the single least-squares cubic, each integrated in closed form.

use super::{Interpolation, Prepared};

/// A fitted curve that can be integrated exactly.
pub(super) enum Fit {
    Hermite(Hermite),
    Polynomial(Cubic),
}

impl Fit {
    pub(super) fn new(c: &Prepared, method: Interpolation) -> Fit {
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
    pub(super) fn integral(&self, a: f64, b: f64) -> f64 {
        match self {
            Fit::Hermite(h) => h.integral(a, b),
            Fit::Polynomial(p) => p.integral(a, b),
        }
    }

    #[cfg(test)]
    pub(super) fn eval(&self, x: f64) -> f64 {
        match self {
            Fit::Hermite(h) => h.eval(x),
            Fit::Polynomial(p) => p.eval(x),
        }
    }
}

/// A piecewise cubic: on `[x[k], x[k+1]]`, `c[k][0] + c[k][1] t + c[k][2] t² + c[k][3] t³`
/// with `t = x - x[k]`.
pub(crate) struct Hermite {
    x: Vec<f64>,
    c: Vec<[f64; 4]>,
}

impl Hermite {
    /// The cubic Hermite spline through `(x, y)` with slopes `d` (as SciPy's
    /// `CubicHermiteSpline` forms its coefficients).
    pub(super) fn new(x: &[f64], y: &[f64], d: &[f64]) -> Hermite {
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

    pub(super) fn integral(&self, a: f64, b: f64) -> f64 {
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

    /// PCHIP through `(x, y)` (`x` strictly increasing, at least two points): monotone
    /// wherever the data are, as SciPy's `PchipInterpolator`.
    pub(crate) fn pchip(x: &[f64], y: &[f64]) -> Hermite {
        Hermite::new(x, y, &pchip_slopes(x, y))
    }

    /// Its value at `x` (the end pieces extended outside `[x[0], x[last]]`).
    pub(crate) fn eval(&self, x: f64) -> f64 {
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
pub(super) fn pchip_slopes(x: &[f64], y: &[f64]) -> Vec<f64> {
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
pub(super) fn akima_slopes(x: &[f64], y: &[f64]) -> Vec<f64> {
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
pub(super) struct Cubic {
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
