//! Structural similarity as FFmpeg's `ssim` filter (and x264) compute it: sums over 4x4
//! blocks, combined into 8x8 windows stepped by 4 pixels; pixels beyond the last whole 4x4
//! block on the right and bottom edges are not covered.
//!
//! The same pass also yields the plane's sum of squared errors (for PSNR) from the block
//! sums, so luma PSNR costs no second read of the planes.

use super::Plane;
use super::psnr::sse;

const C1: f64 = 0.01 * 0.01 * 255.0 * 255.0 * 64.0;
const C2: f64 = 0.03 * 0.03 * 255.0 * 255.0 * 64.0 * 63.0;

/// Per-column sums over four rows, one array per quantity (so the row loop vectorizes).
#[derive(Default)]
struct ColumnSums {
    a: Vec<u32>,
    b: Vec<u32>,
    sq: Vec<u32>,
    ab: Vec<u32>,
}

impl ColumnSums {
    fn new(width: usize) -> Self {
        ColumnSums {
            a: vec![0; width],
            b: vec![0; width],
            sq: vec![0; width],
            ab: vec![0; width],
        }
    }
}

/// Sums of every 4x4 block of one block row, one array per quantity: a, b, a^2 + b^2, a*b.
struct BlockRow {
    a: Vec<u32>,
    b: Vec<u32>,
    sq: Vec<u32>,
    ab: Vec<u32>,
}

impl BlockRow {
    fn new(blocks: usize) -> Self {
        BlockRow {
            a: vec![0; blocks],
            b: vec![0; blocks],
            sq: vec![0; blocks],
            ab: vec![0; blocks],
        }
    }

    /// Sum over the row's blocks of a^2 + b^2 - 2ab = (a - b)^2 (never negative, so no
    /// underflow).
    #[inline(always)]
    fn squared_error(&self) -> u64 {
        self.sq
            .iter()
            .zip(&self.ab)
            .map(|(&sq, &ab)| u64::from(sq - 2 * ab))
            .sum()
    }
}

/// 4x4 block sums for block row `by` (pixel rows 4*by .. 4*by + 4).
#[inline(always)]
fn block_row(
    a: Plane<'_>,
    b: Plane<'_>,
    by: usize,
    blocks: usize,
    cols: &mut ColumnSums,
    out: &mut BlockRow,
) {
    let w = blocks * 4;
    let (ca, cb, csq, cab) = (
        &mut cols.a[..w],
        &mut cols.b[..w],
        &mut cols.sq[..w],
        &mut cols.ab[..w],
    );
    for y in 4 * by..4 * by + 4 {
        let ra = &a.row(y)[..w];
        let rb = &b.row(y)[..w];
        let first = y == 4 * by;
        for x in 0..w {
            let (p, q) = (u32::from(ra[x]), u32::from(rb[x]));
            let (sa, sb, ssq, sab) = (p, q, p * p + q * q, p * q);
            if first {
                ca[x] = sa;
                cb[x] = sb;
                csq[x] = ssq;
                cab[x] = sab;
            } else {
                ca[x] += sa;
                cb[x] += sb;
                csq[x] += ssq;
                cab[x] += sab;
            }
        }
    }
    let fold = |cols: &[u32], out: &mut [u32]| {
        for (o, c) in out[..blocks].iter_mut().zip(cols.chunks_exact(4)) {
            *o = c[0] + c[1] + c[2] + c[3];
        }
    };
    fold(ca, &mut out.a);
    fold(cb, &mut out.b);
    fold(csq, &mut out.sq);
    fold(cab, &mut out.ab);
}

/// SSIM of one 8x8 window from its sums. Every product is an integer below 2^53, so the
/// arithmetic is exact in f64 up to the final division (the same value integer arithmetic
/// would give), and it vectorizes.
#[inline(always)]
fn window(s1: f64, s2: f64, ss: f64, s12: f64) -> f64 {
    let vars = ss * 64.0 - s1 * s1 - s2 * s2;
    let covar = s12 * 64.0 - s1 * s2;
    (2.0 * s1 * s2 + C1) * (2.0 * covar + C2) / ((s1 * s1 + s2 * s2 + C1) * (vars + C2))
}

/// SSIM of two planes of the same size. Planes smaller than 8x8 have no complete window:
/// they score 1.0 when identical and are compared as one window otherwise. Large planes are
/// split into horizontal bands scored in parallel (each band recomputes the one block row it
/// shares with the band above); the per-window values are summed in the same order whatever
/// the split, up to floating-point association between bands.
pub fn ssim(a: Plane<'_>, b: Plane<'_>) -> f64 {
    ssim_and_sse(a, b).0
}

/// [`ssim`] and the sum of squared errors over the whole plane (exactly
/// [`sse`](super::sse)), from one pass over the planes.
pub fn ssim_and_sse(a: Plane<'_>, b: Plane<'_>) -> (f64, u64) {
    assert_eq!(
        (a.width(), a.height()),
        (b.width(), b.height()),
        "plane sizes differ"
    );
    let blocks = a.width() / 4;
    let block_rows = a.height() / 4;
    if blocks < 2 || block_rows < 2 {
        return (whole_plane(a, b), sse(a, b));
    }
    // Window rows are 1..block_rows; split them into bands of at least 32 rows.
    let window_rows = block_rows - 1;
    let bands = (window_rows / 32).clamp(1, 8);
    let (total, covered) = if bands == 1 {
        band(a, b, blocks, 1, block_rows)
    } else {
        use rayon::prelude::*;
        (0..bands)
            .into_par_iter()
            .map(|k| {
                let lo = 1 + window_rows * k / bands;
                let hi = 1 + window_rows * (k + 1) / bands;
                band(a, b, blocks, lo, hi)
            })
            .collect::<Vec<(f64, u64)>>()
            .iter()
            .fold((0.0, 0), |(t, e), &(bt, be)| (t + bt, e + be))
    };
    // The blocks cover (4 * blocks) x (4 * block_rows); add the strips to their right and
    // below.
    let (w, h) = (4 * blocks, 4 * block_rows);
    let right = sse(
        a.crop(w, 0, a.width() - w, h),
        b.crop(w, 0, a.width() - w, h),
    );
    let bottom = sse(
        a.crop(0, h, a.width(), a.height() - h),
        b.crop(0, h, a.width(), a.height() - h),
    );
    (
        total / (window_rows * (blocks - 1)) as f64,
        covered + right + bottom,
    )
}

with_avx2! {
    /// Sum of the windows whose lower block row is in `lo..hi`, and the squared error of the
    /// block rows this band owns (`lo..hi`, and row 0 for the first band).
    fn band(a: Plane<'_>, b: Plane<'_>, blocks: usize, lo: usize, hi: usize) -> (f64, u64) {
        let mut cols = ColumnSums::new(blocks * 4);
        let mut prev = BlockRow::new(blocks);
        let mut cur = BlockRow::new(blocks);
        let mut values = vec![0.0f64; blocks - 1];
        block_row(a, b, lo - 1, blocks, &mut cols, &mut prev);
        let mut squared_error = if lo == 1 { prev.squared_error() } else { 0 };
        let mut total = 0.0f64;
        for by in lo..hi {
            block_row(a, b, by, blocks, &mut cols, &mut cur);
            squared_error += cur.squared_error();
            let n = blocks - 1;
            let pair = |v: &[u32], i: usize| f64::from(v[i] + v[i + 1]);
            for (i, out) in values[..n].iter_mut().enumerate() {
                *out = window(
                    pair(&prev.a, i) + pair(&cur.a, i),
                    pair(&prev.b, i) + pair(&cur.b, i),
                    pair(&prev.sq, i) + pair(&cur.sq, i),
                    pair(&prev.ab, i) + pair(&cur.ab, i),
                );
            }
            // Four running sums in a fixed order (so the loop vectorizes and the result does not
            // depend on the machine), then the remainder.
            let mut lanes = [0.0f64; 4];
            let chunks = values[..n].chunks_exact(4);
            let rest: f64 = chunks.remainder().iter().sum();
            for c in chunks {
                for (l, v) in lanes.iter_mut().zip(c) {
                    *l += v;
                }
            }
            total += (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]) + rest;
            std::mem::swap(&mut prev, &mut cur);
        }
        (total, squared_error)
    }
}

/// SSIM of a tiny plane as a single window (no FFmpeg counterpart exists for these sizes).
fn whole_plane(a: Plane<'_>, b: Plane<'_>) -> f64 {
    let n = (a.width() * a.height()) as f64;
    if n == 0.0 {
        return 1.0;
    }
    let (mut s1, mut s2, mut ss, mut s12) = (0.0, 0.0, 0.0, 0.0);
    for y in 0..a.height() {
        for (&p, &q) in a.row(y).iter().zip(b.row(y)) {
            let (p, q) = (f64::from(p), f64::from(q));
            s1 += p;
            s2 += q;
            ss += p * p + q * q;
            s12 += p * q;
        }
    }
    // Same formula with the window size n instead of 64.
    let c1 = 0.01 * 0.01 * 255.0 * 255.0 * n * n;
    let c2 = 0.03 * 0.03 * 255.0 * 255.0 * n * (n - 1.0).max(1.0);
    let vars = ss * n - s1 * s1 - s2 * s2;
    let covar = s12 * n - s1 * s2;
    (2.0 * s1 * s2 + c1) * (2.0 * covar + c2) / ((s1 * s1 + s2 * s2 + c1) * (vars + c2))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Straight from the definition: every 8x8 window at (4i, 4j), sums over its 64 pixels.
    fn brute_force(a: &[u8], b: &[u8], w: usize, h: usize) -> f64 {
        let (bw, bh) = (w / 4, h / 4);
        let mut total = 0.0;
        for j in 0..bh - 1 {
            for i in 0..bw - 1 {
                let (mut s1, mut s2, mut ss, mut s12) = (0u32, 0u32, 0u32, 0u32);
                for y in 4 * j..4 * j + 8 {
                    for x in 4 * i..4 * i + 8 {
                        let (p, q) = (u32::from(a[y * w + x]), u32::from(b[y * w + x]));
                        s1 += p;
                        s2 += q;
                        ss += p * p + q * q;
                        s12 += p * q;
                    }
                }
                total += window(f64::from(s1), f64::from(s2), f64::from(ss), f64::from(s12));
            }
        }
        total / ((bh - 1) * (bw - 1)) as f64
    }

    fn noise(len: usize, seed: u64) -> Vec<u8> {
        let mut x = seed;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn identical_planes_score_one() {
        let a = noise(37 * 29, 1);
        let p = Plane::new(&a, 37, 37, 29);
        assert!((ssim(p, p) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn matches_brute_force_on_odd_sizes() {
        // 260x300 has 74 window rows: two bands scored in parallel.
        for (w, h) in [
            (8, 8),
            (5, 9),
            (37, 29),
            (64, 48),
            (67, 35),
            (260, 300),
            (261, 303),
        ] {
            let a = noise(w * h, 7);
            let b: Vec<u8> = a
                .iter()
                .zip(noise(w * h, 99))
                .map(|(&p, n)| p.saturating_add(n % 16))
                .collect();
            let (pa, pb) = (Plane::new(&a, w, w, h), Plane::new(&b, w, w, h));
            let (fast, squared_error) = ssim_and_sse(pa, pb);
            // A plane smaller than 8x8 has no window to brute-force (its SSE is still checked).
            if w >= 8 && h >= 8 {
                let slow = brute_force(&a, &b, w, h);
                assert!((fast - slow).abs() < 1e-10, "{w}x{h}: {fast} vs {slow}");
            }
            let direct: u64 = a
                .iter()
                .zip(&b)
                .map(|(&p, &q)| (i64::from(p) - i64::from(q)).pow(2) as u64)
                .sum();
            assert_eq!(squared_error, direct, "{w}x{h}");
            assert!(fast < 1.0 && fast > 0.0);
        }
    }

    #[test]
    fn worse_distortion_scores_lower() {
        let (w, h) = (64, 64);
        let a = noise(w * h, 3);
        let n = noise(w * h, 4);
        let mild: Vec<u8> = a
            .iter()
            .zip(&n)
            .map(|(&p, &q)| p.saturating_add(q % 4))
            .collect();
        let strong: Vec<u8> = a
            .iter()
            .zip(&n)
            .map(|(&p, &q)| p.saturating_add(q % 64))
            .collect();
        let pa = Plane::new(&a, w, w, h);
        let s_mild = ssim(pa, Plane::new(&mild, w, w, h));
        let s_strong = ssim(pa, Plane::new(&strong, w, w, h));
        assert!(s_mild > s_strong, "{s_mild} {s_strong}");
    }
}
