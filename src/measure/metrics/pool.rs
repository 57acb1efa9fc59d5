//! Pooling per-frame scores into one value per clip.

use serde::{Deserialize, Serialize};

/// A metric's per-frame values pooled four ways.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Pooled {
    /// Arithmetic mean.
    pub mean: f64,
    /// Harmonic mean as libvmaf pools it: `n / sum(1 / (x + 1)) - 1` (the shift by one keeps
    /// zero scores finite); it leans toward the worst frames.
    pub harmonic_mean: f64,
    /// The worst frame's value.
    pub min: f64,
    /// The worst frame's index (the first, when several share the value); for an
    /// interpolated rung, the worst frame of the lower of its two points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_frame: Option<u64>,
    /// 5th percentile, linear interpolation between the closest ranks (the value below which
    /// 5% of frames fall).
    pub p5: f64,
}

impl Pooled {
    /// Every value rounded to `digits` decimals.
    pub fn rounded(self, digits: i32) -> Pooled {
        let m = 10f64.powi(digits);
        let r = |x: f64| (x * m).round() / m;
        Pooled {
            mean: r(self.mean),
            harmonic_mean: r(self.harmonic_mean),
            min: r(self.min),
            min_frame: self.min_frame,
            p5: r(self.p5),
        }
    }
}

/// Pool `values`; `None` when there are none.
pub fn pool(values: &[f64]) -> Option<Pooled> {
    if values.is_empty() {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let harmonic_mean = n / values.iter().map(|v| 1.0 / (v + 1.0)).sum::<f64>() - 1.0;
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let min_frame = values
        .iter()
        .position(|v| v.total_cmp(&sorted[0]).is_eq())
        .map(|i| i as u64);
    Some(Pooled {
        mean,
        harmonic_mean,
        min: sorted[0],
        min_frame,
        p5: percentile(&sorted, 5.0),
    })
}

/// The `p`th percentile of sorted values, interpolating linearly between ranks.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = p / 100.0 * (sorted.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analytic_values() {
        assert!(pool(&[]).is_none());
        let p = pool(&[3.0]).unwrap();
        assert_eq!((p.mean, p.min, p.p5), (3.0, 3.0, 3.0));
        assert!((p.harmonic_mean - 3.0).abs() < 1e-12);
        // 0..=100: mean 50, min 0, 5th percentile exactly 5.
        let v: Vec<f64> = (0..=100).rev().map(f64::from).collect();
        let p = pool(&v).unwrap();
        assert_eq!(p.mean, 50.0);
        assert_eq!(p.min, 0.0);
        assert_eq!(p.min_frame, Some(100));
        assert_eq!(pool(&[2.0, 1.0, 3.0, 1.0]).unwrap().min_frame, Some(1));
        assert!((p.p5 - 5.0).abs() < 1e-12);
        // Harmonic mean of x+1 over {0, 2}: 2 / (1 + 1/3) - 1 = 0.5.
        let p = pool(&[0.0, 2.0]).unwrap();
        assert!((p.harmonic_mean - 0.5).abs() < 1e-12);
        assert!((p.p5 - 0.1).abs() < 1e-12);
    }
}
