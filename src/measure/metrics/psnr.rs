//! Peak signal-to-noise ratio of 8-bit planes.

use super::Plane;

/// A frame's PSNR never exceeds this (an identical plane would be infinite).
pub const PSNR_CAP_DB: f64 = 60.0;

with_avx2! {
    /// Sum of squared differences between two planes of the same size (AVX2 when the CPU has
    /// it; integer arithmetic, so the same result either way).
    pub fn sse(a: Plane<'_>, b: Plane<'_>) -> u64 {
        assert_eq!(
            (a.width(), a.height()),
            (b.width(), b.height()),
            "plane sizes differ"
        );
        let mut total = 0u64;
        for y in 0..a.height() {
            // A row's sum fits u32 for rows up to 66_052 pixels (255^2 each); summing per row in
            // u32 lets the loop vectorize.
            let row: u32 = a
                .row(y)
                .iter()
                .zip(b.row(y))
                .map(|(&p, &q)| {
                    let d = i32::from(p) - i32::from(q);
                    (d * d) as u32
                })
                .sum();
            total += u64::from(row);
        }
        total
    }
}

/// PSNR in dB from a sum of squared errors over `samples` 8-bit samples, capped at
/// [`PSNR_CAP_DB`].
pub fn psnr_from_sse(sse: u64, samples: usize) -> f64 {
    if sse == 0 || samples == 0 {
        return PSNR_CAP_DB;
    }
    let mse = sse as f64 / samples as f64;
    (10.0 * (255.0 * 255.0 / mse).log10()).min(PSNR_CAP_DB)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_offset_has_known_psnr() {
        // Every sample off by 5: MSE = 25, PSNR = 10 log10(65025 / 25) = 34.1514 dB.
        let a = vec![100u8; 64 * 48];
        let b = vec![105u8; 64 * 48];
        let s = sse(Plane::new(&a, 64, 64, 48), Plane::new(&b, 64, 64, 48));
        assert_eq!(s, 25 * 64 * 48);
        let p = psnr_from_sse(s, 64 * 48);
        assert!((p - 34.151_403_521_958_55).abs() < 1e-9, "{p}");
    }

    #[test]
    fn identical_planes_score_the_cap_and_stride_padding_is_ignored() {
        // Stride 10, width 8: the two padding bytes differ but must not count.
        let mut a = vec![7u8; 10 * 4];
        let b = vec![7u8; 10 * 4];
        for y in 0..4 {
            a[y * 10 + 8] = 0;
            a[y * 10 + 9] = 255;
        }
        let s = sse(Plane::new(&a, 10, 8, 4), Plane::new(&b, 10, 8, 4));
        assert_eq!(s, 0);
        assert_eq!(psnr_from_sse(s, 32), PSNR_CAP_DB);
    }
}
