//! VIF, visual information fidelity (Sheikh & Bovik, "Image information and visual quality",
//! IEEE TIP 2006), in the pixel domain at four scales, computed value for value as libvmaf
//! 3.2.0's integer feature extractor `vif` (the one the built-in `vmaf_v0.6.1` models read)
//! computes it on 8-bit luma.
//!
//! # The measure
//! At each scale both planes are low-passed with a separable symmetric filter (17, 9, 5 and 3
//! taps, fixed point, the taps summing to 2^16), giving per pixel the local means `mu1`, `mu2`,
//! variances `sigma1^2`, `sigma2^2` and covariance `sigma12` of the reference and distorted
//! planes. With the noise variance `sigma_n^2 = 2`, a pixel whose reference variance reaches
//! `sigma_n^2` adds `log2(1 + sigma1^2 / sigma_n^2)` to the denominator and, when
//! `sigma12 > 0` and `sigma2^2 > 0`, `log2(1 + g^2 sigma1^2 / (sigma_v^2 + sigma_n^2))` to the
//! numerator, with the gain `g = sigma12 / sigma1^2` (capped at the enhancement gain limit)
//! and `sigma_v^2 = max(sigma2^2 - g sigma12, 0)`; any other pixel adds 1 to the denominator
//! and `1 - sigma2^2 / 127.5^2` to the numerator. A scale's score is numerator over
//! denominator. Between scales each plane is low-passed with the next scale's filter and
//! decimated by two in each direction (even rows and columns kept). Edges are mirrored
//! without repeating the edge sample.
//!
//! # Fixed point, as libvmaf has it
//! Every filtering pass rounds where libvmaf rounds: at scale 0 the vertical pass keeps
//! `(sum + 128) >> 8` of the means and the squares' sums unshifted; at the coarser scales
//! (16-bit planes, 256 per grey level) both passes round by `>> 16`; the horizontal pass keeps
//! the means' sums unshifted and rounds the squares' by `>> 16`, so variances are in units of
//! 2^16 per grey level squared and `mu^2` is `(mu * mu + 2^31) >> 32`. The logarithms are
//! `round(log2(i) * 2048)` from a table of the 16 leading bits (single-precision `log2`, as
//! libvmaf builds it); the gain and `sigma_v^2` are computed in double precision and truncated
//! as libvmaf's C code does. Sums are 64-bit integers until the per-scale numerator and
//! denominator, which libvmaf hands over as single-precision floats.
//!
//! # Sharing the reference
//! Everything that depends on the reference alone is computed once per reference frame by
//! [`VifReference::compute`]: its decimated planes, the per-pixel `mu1` and `sigma1^2` at every
//! scale, and the whole denominator. Scoring a distorted frame with [`vif`] then filters only
//! what involves the distorted plane: its means, its squares and its products with the
//! reference.
//!
//! # Kernels
//! Two implementations compute the same integers: a portable one, written as the arithmetic
//! above, and an AVX2 one (picked at run time) that filters 16 columns at a time with 16-bit
//! multiply-adds. To fit them, samples are centred or offset by 2^15 and 32-bit values split
//! into 16-bit halves, with the offsets removed exactly afterwards (the `simd` module
//! details them). The per-pixel logarithm terms are evaluated four at a time in double
//! precision with the same operations, in the same order, as libvmaf's scalar code.

use crate::measure::metrics::Plane;
use std::sync::OnceLock;

/// libvmaf's filter taps for each scale (symmetric; each set sums to 2^16).
const FILTER: [&[u16]; 4] = [
    &[
        489, 935, 1640, 2640, 3896, 5274, 6547, 7455, 7784, 7455, 6547, 5274, 3896, 2640, 1640,
        935, 489,
    ],
    &[1244, 3663, 7925, 12590, 14692, 12590, 7925, 3663, 1244],
    &[3571, 16004, 26386, 16004, 3571],
    &[10904, 43728, 10904],
];

/// Half the filter width at each scale.
const HALF: [usize; 4] = [8, 4, 2, 1];

/// The noise variance `sigma_n^2 = 2` in the variances' unit (2^16 per grey level squared).
const SIGMA_NSQ: i32 = 2 << 16;

/// libvmaf's guard in the gain's denominator.
const EPS: f64 = 65536.0 * 1.0e-10;

/// Smallest width and height: every scale must be wider and taller than half its filter, so
/// that mirroring at the edges stays inside the plane.
const MIN_SIDE: usize = 16;

/// Columns per block of the vector kernels; per-pixel rows are padded to a multiple of it.
const BLOCK: usize = 16;

/// Samples stored left of column 0 in a filtered row (room for the mirrored margin).
const PAD: usize = 16;

/// The log table covers `2^15 .. 2^16`, indexed from `2^15`.
const LOG_BASE: u32 = 1 << 15;

/// `round(log2(i) * 2048)` for `i` in `2^15 .. 2^16` (index `i - 2^15`), computed as libvmaf
/// computes its table: single-precision `log2`, scaled, rounded half away from zero.
fn log2_table() -> &'static [u16] {
    static TABLE: OnceLock<Box<[u16]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        (LOG_BASE..2 * LOG_BASE)
            .map(|i| {
                // Kept opaque so the compiler cannot fold log2 with its own arithmetic: the
                // values must be the C library's single-precision ones.
                let x = std::hint::black_box(i as f32);
                (x.log2() * 2048.0).round() as u16
            })
            .collect()
    })
}

/// libvmaf's `log2_32`: `log2(x) * 2048` from the 16 leading bits of `x` (at least 2^16).
#[inline]
fn log2_32(table: &[u16], x: u32) -> i32 {
    let k = 16 - x.leading_zeros() as i32;
    i32::from(table[((x >> k) - LOG_BASE) as usize]) + 2048 * k
}

/// libvmaf's `log2_64`: `log2(x) * 2048` from the 16 leading bits of `x` (at least 2^16).
#[inline]
fn log2_64(table: &[u16], x: u64) -> i32 {
    let k = 48 - x.leading_zeros() as i32;
    i32::from(table[((x >> k) - u64::from(LOG_BASE)) as usize]) + 2048 * k
}

/// `(a * b + 2^31) >> 32`: libvmaf's rounded product of two means.
#[inline]
fn mul_round_hi(a: u32, b: u32) -> u32 {
    ((u64::from(a) * u64::from(b) + (1 << 31)) >> 32) as u32
}

/// Where column `x` of a row of per-pixel reference values is stored: within each block of
/// 16 columns the even columns come first, then the odd ones (the order the vector kernels
/// produce them in).
#[inline]
fn lane_pos(x: usize) -> usize {
    (x & !(BLOCK - 1)) | ((x & 1) << 3) | ((x & (BLOCK - 1)) >> 1)
}

/// Row `l` of a plane of `n` rows, mirrored at the edges without repeating the edge row.
#[inline]
fn mirror(l: isize, n: usize) -> usize {
    let n = n as isize;
    let m = if l < 0 {
        -l
    } else if l >= n {
        2 * (n - 1) - l
    } else {
        l
    };
    m as usize
}

/// Fill the `half` samples on each side of a filtered row (column 0 at `PAD`) by mirroring.
#[inline]
fn mirror_pad<T: Copy>(row: &mut [T], w: usize, half: usize) {
    for f in 1..=half {
        row[PAD - f] = row[PAD + f];
        row[PAD + w - 1 + f] = row[PAD + w - 1 - f];
    }
}

/// The denominator's share of one row of reference variances: the sum of the logarithm
/// terms and the count of pixels below the noise variance.
fn den_row(sigma1: &[i32], w: usize, table: &[u16]) -> (i64, i64) {
    let term = |s1: i32| {
        // Branch-free: a flat pixel takes 2^17, whose term, log2(2^17) - 17, is zero.
        let flat = s1 < SIGMA_NSQ;
        let v = if flat {
            1 << 17
        } else {
            s1 as u32 + SIGMA_NSQ as u32
        };
        (i64::from(log2_32(table, v) - 2048 * 17), i64::from(flat))
    };
    let (mut log, mut count) = (0i64, 0i64);
    // Whole blocks in storage order, then the last columns by position.
    let whole = w / BLOCK * BLOCK;
    for &s1 in &sigma1[..whole] {
        let (l, c) = term(s1);
        log += l;
        count += c;
    }
    for x in whole..w {
        let (l, c) = term(sigma1[lane_pos(x)]);
        log += l;
        count += c;
    }
    (log, count)
}

/// The numerator's logarithm term of one pixel (`sigma1^2 >= sigma_n^2`, `sigma12 > 0`,
/// `sigma2^2 > 0`), as libvmaf evaluates it.
#[inline]
fn gain_term(sigma1: i32, sigma2: i32, sigma12: i32, gain_limit: f64, table: &[u16]) -> i32 {
    let g = f64::from(sigma12) / (f64::from(sigma1) + EPS);
    // Truncation towards zero; the value is below i32::MAX (it is at most sigma2), and any
    // value below zero ends as zero either way.
    let sv = (f64::from(sigma2) - g * f64::from(sigma12)) as i32;
    let sv = sv.max(0) as u32;
    let g = if g < gain_limit { g } else { gain_limit };
    let numer1 = sv + SIGMA_NSQ as u32;
    let numer1_tmp = (g * g * f64::from(sigma1)) as i64 + i64::from(numer1);
    log2_64(table, numer1_tmp as u64) - log2_64(table, u64::from(numer1))
}

/// Sizes of the four scales.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Geometry {
    /// Width at each scale.
    w: [usize; 4],
    /// Height at each scale.
    h: [usize; 4],
    /// Width rounded up to whole blocks: the row stride of the per-pixel reference values.
    bw: [usize; 4],
}

impl Geometry {
    fn new(width: usize, height: usize) -> Self {
        assert!(
            width >= MIN_SIDE && height >= MIN_SIDE,
            "VIF needs at least {MIN_SIDE}x{MIN_SIDE} pixels, got {width}x{height}"
        );
        let w = [0, 1, 2, 3].map(|s| width >> s);
        let h = [0, 1, 2, 3].map(|s| height >> s);
        Geometry {
            w,
            h,
            bw: w.map(|w| w.next_multiple_of(BLOCK)),
        }
    }

    /// Row stride of the 16-bit plane at scale `s` (1..4): whole blocks and the decimation's
    /// block stores fit.
    fn plane_stride(&self, s: usize) -> usize {
        self.bw[s] + BLOCK
    }

    /// Length of a filtered row buffer (margins on both sides, whole blocks between).
    fn row_len(&self) -> usize {
        PAD + self.bw[0] + 2 * BLOCK
    }

    /// The 16-bit planes of scales 1..4, zeroed.
    fn planes(&self) -> [Vec<u16>; 3] {
        [1, 2, 3].map(|s| vec![0; self.plane_stride(s) * self.h[s]])
    }
}

/// Which implementation runs the kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Isa {
    /// Scalar code, any CPU.
    Portable,
    /// AVX2 (x86-64), only chosen when the CPU has it.
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

impl Isa {
    fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            return Isa::Avx2;
        }
        Isa::Portable
    }
}

/// Row buffers one frame's computation reuses: for the vector kernels a ring of the last
/// rows' per-pixel terms and the filtered rows; for the portable code wide filtered rows.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
struct Work {
    /// Ring of per-row terms (vector kernels): `2 * HALF + 1` slots of `terms` rows each.
    ring: Vec<i16>,
    /// Six filtered rows (vector kernels): mean, square high/low, product high/low, and the
    /// row filtered for decimation.
    rows: Vec<i16>,
    /// Four filtered rows (portable): mean, square, product, and the decimation's.
    wide: Vec<u32>,
    /// One row of 32-bit sums (portable).
    means: Vec<u32>,
    /// Two rows of 64-bit sums (portable).
    sums: Vec<u64>,
    /// The pixels of a row whose numerator needs a logarithm term (vector kernels):
    /// `sigma1^2`, `sigma2^2`, `sigma12` of each, packed, `row_len` apart.
    gain: Vec<i32>,
    /// Length of each filtered row.
    row_len: usize,
}

impl Work {
    /// Buffers for `terms0` per-row terms at scale 0 and `terms` at the coarser scales.
    fn new(geo: &Geometry, terms0: usize, terms: usize) -> Self {
        let ring = (0..4)
            .map(|s| (2 * HALF[s] + 1) * if s == 0 { terms0 } else { terms } * geo.bw[s])
            .max()
            .unwrap_or(0);
        let row_len = geo.row_len();
        Work {
            ring: vec![0; ring],
            rows: vec![0; 6 * row_len],
            wide: vec![0; 4 * row_len],
            means: vec![0; row_len],
            sums: vec![0; 2 * row_len],
            gain: vec![0; 3 * row_len],
            row_len,
        }
    }
}

/// A read-only view of a 16-bit plane.
#[derive(Clone, Copy)]
struct Wide<'a> {
    data: &'a [u16],
    stride: usize,
}

/// Rows of samples, 8-bit (scale 0) or 16-bit (coarser scales).
trait Source {
    /// The sample type.
    type Px: Copy + Into<u32>;
    /// Row `y`: at least the plane's width.
    fn row(&self, y: usize) -> &[Self::Px];
}

impl Source for Plane<'_> {
    type Px = u8;
    fn row(&self, y: usize) -> &[u8] {
        Plane::row(self, y)
    }
}

impl Source for Wide<'_> {
    type Px = u16;
    fn row(&self, y: usize) -> &[u16] {
        &self.data[y * self.stride..(y + 1) * self.stride]
    }
}

/// The reference side of VIF for one frame at all four scales, computed once and read by every
/// distorted frame scored against it. Reusable across frames without allocating.
///
/// It holds the reference luma, its decimated planes, and per pixel and scale the local mean
/// and variance (about 12.3 bytes per pixel in all, see the module's tests), plus each scale's
/// denominator.
pub struct VifReference {
    geo: Geometry,
    /// The luma plane, rows `bw[0]` apart.
    luma: Vec<u8>,
    /// The decimated planes of scales 1..4.
    planes: [Vec<u16>; 3],
    /// Per scale, `mu1` of every pixel (rows `bw` apart, in `lane_pos` order).
    mu: [Vec<u32>; 4],
    /// Per scale, `sigma1^2` of every pixel (same layout).
    sigma: [Vec<i32>; 4],
    /// Per scale, the denominator's sum of logarithm terms (units of 1/2048).
    den_log: [i64; 4],
    /// Per scale, the pixels whose variance is below the noise variance.
    den_count: [i64; 4],
    work: Work,
}

impl VifReference {
    /// Buffers for `width` x `height` frames.
    ///
    /// # Panics
    /// If either side is below 16 pixels.
    pub fn new(width: usize, height: usize) -> Self {
        let geo = Geometry::new(width, height);
        let per_pixel = |s: usize| geo.bw[s] * geo.h[s];
        VifReference {
            geo,
            luma: vec![0; geo.bw[0] * geo.h[0]],
            planes: geo.planes(),
            mu: [0, 1, 2, 3].map(|s| vec![0; per_pixel(s)]),
            sigma: [0, 1, 2, 3].map(|s| vec![0; per_pixel(s)]),
            den_log: [0; 4],
            den_count: [0; 4],
            work: Work::new(&geo, 2, 3),
        }
    }

    /// Prepare the reference side from `luma`, the luma plane of the reference frame.
    ///
    /// # Panics
    /// If `luma` is not of the size given to [`VifReference::new`].
    pub fn compute(&mut self, luma: Plane<'_>) {
        self.compute_with(luma, Isa::detect());
    }

    fn compute_with(&mut self, luma: Plane<'_>, isa: Isa) {
        let geo = self.geo;
        assert_eq!(
            (luma.width(), luma.height()),
            (geo.w[0], geo.h[0]),
            "reference luma size differs from the VifReference's"
        );
        let bw0 = geo.bw[0];
        for y in 0..geo.h[0] {
            self.luma[y * bw0..y * bw0 + geo.w[0]].copy_from_slice(luma.row(y));
        }
        let table = log2_table();
        let VifReference {
            luma: own,
            planes,
            mu,
            sigma,
            den_log,
            den_count,
            work,
            ..
        } = self;
        for s in 0..4 {
            let (lower, upper) = planes.split_at_mut(s);
            let next = upper.first_mut().map(|p| p.as_mut_slice());
            let src = if s == 0 {
                Single::Luma(Plane::new(own, bw0, geo.w[0], geo.h[0]))
            } else {
                Single::Wide(Wide {
                    data: &lower[s - 1],
                    stride: geo.plane_stride(s),
                })
            };
            let (mu, sigma) = (&mut mu[s], &mut sigma[s]);
            let (log, count) = match isa {
                Isa::Portable => match src {
                    Single::Luma(p) => {
                        portable::reference_scale(s, &p, &geo, mu, sigma, next, work, table)
                    }
                    Single::Wide(p) => {
                        portable::reference_scale(s, &p, &geo, mu, sigma, next, work, table)
                    }
                },
                #[cfg(target_arch = "x86_64")]
                // SAFETY: `Isa::Avx2` is only chosen when the CPU has AVX2.
                Isa::Avx2 => unsafe {
                    simd::reference_scale(s, src, &geo, mu, sigma, next, work, table)
                },
            };
            den_log[s] = log;
            den_count[s] = count;
        }
    }
}

/// Per-scorer scratch buffers (one per distorted stream), so scoring allocates nothing.
///
/// It holds the distorted frame's decimated planes (about 0.7 bytes per pixel) and row
/// buffers.
pub struct VifScratch {
    geo: Geometry,
    planes: [Vec<u16>; 3],
    work: Work,
}

impl VifScratch {
    /// Buffers for scoring `width` x `height` frames.
    ///
    /// # Panics
    /// If either side is below 16 pixels.
    pub fn new(width: usize, height: usize) -> Self {
        let geo = Geometry::new(width, height);
        VifScratch {
            geo,
            planes: geo.planes(),
            work: Work::new(&geo, 3, 5),
        }
    }
}

/// Per-scale numerators and denominators of one distorted frame's VIF, as libvmaf reports
/// them (single-precision values, widened).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VifScores {
    /// libvmaf's `integer_vif_num_scale{s}` for scales 0..4.
    pub num: [f64; 4],
    /// libvmaf's `integer_vif_den_scale{s}` for scales 0..4.
    pub den: [f64; 4],
}

impl VifScores {
    /// libvmaf's VMAF_integer_feature_vif_scale{s}_score.
    pub fn scale(&self, s: usize) -> f64 {
        f64::from(self.num[s] as f32 / self.den[s] as f32)
    }
}

/// VIF of `distorted` (same size) against the prepared reference (scores are meaningless
/// until [`VifReference::compute`] has run).
///
/// `enhn_gain_limit` is libvmaf's `vif_enhn_gain_limit`: from 1.0, which disables any gain
/// from enhancement, to 100.0, the default (libvmaf refuses other values).
///
/// # Panics
/// If `distorted`, `reference` and `scratch` are not all of one size.
pub fn vif(
    reference: &VifReference,
    distorted: Plane<'_>,
    scratch: &mut VifScratch,
    enhn_gain_limit: f64,
) -> VifScores {
    vif_with(
        reference,
        distorted,
        scratch,
        enhn_gain_limit,
        Isa::detect(),
    )
}

/// One scale's input: the 8-bit plane at scale 0, a 16-bit plane above.
#[derive(Clone, Copy)]
enum Single<'a> {
    Luma(Plane<'a>),
    Wide(Wide<'a>),
}

/// One scale's reference and distorted inputs.
#[derive(Clone, Copy)]
enum Pair<'a> {
    Luma(Plane<'a>, Plane<'a>),
    Wide(Wide<'a>, Wide<'a>),
}

fn vif_with(
    reference: &VifReference,
    distorted: Plane<'_>,
    scratch: &mut VifScratch,
    gain_limit: f64,
    isa: Isa,
) -> VifScores {
    debug_assert!(
        (1.0..=100.0).contains(&gain_limit),
        "gain limit {gain_limit}"
    );
    let geo = reference.geo;
    assert_eq!(geo, scratch.geo, "VifScratch and VifReference sizes differ");
    assert_eq!(
        (distorted.width(), distorted.height()),
        (geo.w[0], geo.h[0]),
        "distorted luma size differs from the reference's"
    );
    let table = log2_table();
    let mut num_log = [0i64; 4];
    let mut num_flat = [0i64; 4];
    let VifScratch { planes, work, .. } = scratch;
    for s in 0..4 {
        let (lower, upper) = planes.split_at_mut(s);
        let next = upper.first_mut().map(|p| p.as_mut_slice());
        let pair = if s == 0 {
            let r = Plane::new(&reference.luma, geo.bw[0], geo.w[0], geo.h[0]);
            Pair::Luma(r, distorted)
        } else {
            let stride = geo.plane_stride(s);
            Pair::Wide(
                Wide {
                    data: &reference.planes[s - 1],
                    stride,
                },
                Wide {
                    data: &lower[s - 1],
                    stride,
                },
            )
        };
        let (mu, sigma) = (&reference.mu[s][..], &reference.sigma[s][..]);
        let (log, flat) = match isa {
            Isa::Portable => match pair {
                Pair::Luma(r, d) => portable::distorted_scale(
                    s, &r, &d, &geo, mu, sigma, next, work, table, gain_limit,
                ),
                Pair::Wide(r, d) => portable::distorted_scale(
                    s, &r, &d, &geo, mu, sigma, next, work, table, gain_limit,
                ),
            },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Isa::Avx2` is only chosen when the CPU has AVX2.
            Isa::Avx2 => unsafe {
                simd::distorted_scale(s, pair, &geo, mu, sigma, next, work, table, gain_limit)
            },
        };
        num_log[s] = log;
        num_flat[s] = flat;
    }
    let mut scores = VifScores {
        num: [0.0; 4],
        den: [0.0; 4],
    };
    for s in 0..4 {
        let count = reference.den_count[s] as f64;
        let num = num_log[s] as f64 / 2048.0 + (count - (num_flat[s] as f64 / 16384.0) / 65025.0);
        let den = reference.den_log[s] as f64 / 2048.0 + count;
        scores.num[s] = f64::from(num as f32);
        scores.den[s] = f64::from(den as f32);
    }
    scores
}

/// The portable kernels: libvmaf's arithmetic written out directly, a row at a time with the
/// columns innermost (so that compilers vectorize the loops).
mod portable {
    use super::*;

    /// The rows of the taps around row `y` (mirrored), `2 * half + 1` of them, then filler.
    fn taps<S: Source>(src: &S, y: usize, h: usize, half: usize) -> [&[S::Px]; 17] {
        std::array::from_fn(|k| {
            let k = k.min(2 * half);
            src.row(mirror(y as isize + k as isize - half as isize, h))
        })
    }

    /// Accumulators of one row's sums: 32-bit for the means, 64-bit for squares and
    /// products.
    struct Sums<'a> {
        mean: &'a mut [u32],
        square: &'a mut [u64],
        cross: &'a mut [u64],
    }

    impl<'a> Sums<'a> {
        /// Zeroed accumulators for `w` columns.
        fn of_parts(means: &'a mut [u32], sums: &'a mut [u64], row_len: usize, w: usize) -> Self {
            let (square, cross) = sums.split_at_mut(row_len);
            let sums = Sums {
                mean: &mut means[..w],
                square: &mut square[..w],
                cross: &mut cross[..w],
            };
            sums.mean.fill(0);
            sums.square.fill(0);
            sums.cross.fill(0);
            sums
        }
    }

    /// libvmaf's vertical pass at scale `s`: the mean row (`(sum + 128) >> 8` at scale 0,
    /// `(sum + 2^15) >> 16` above) and the squares' row (unshifted at scale 0, rounded by
    /// `>> 16` above) of `a`, and the products' row of `a` and `b` when given.
    #[allow(clippy::too_many_arguments)]
    fn vertical<T: Copy + Into<u32>>(
        s: usize,
        a: &[&[T]; 17],
        b: Option<&[&[T]; 17]>,
        w: usize,
        sums: Sums<'_>,
        mu: &mut [u32],
        sq: &mut [u32],
        cross: &mut [u32],
    ) {
        let (mu, sq, cross) = (
            &mut mu[PAD..PAD + w],
            &mut sq[PAD..PAD + w],
            &mut cross[PAD..PAD + w],
        );
        if s == 0 {
            // 8-bit samples: every sum fits 32 bits (the taps sum to 2^16), and the squares'
            // and products' sums are kept unshifted, so they accumulate in place.
            sq.fill(0);
            cross.fill(0);
            for (k, &f) in FILTER[0].iter().enumerate() {
                let f = u32::from(f);
                let a = &a[k][..w];
                for ((m, q), &v) in sums.mean.iter_mut().zip(sq.iter_mut()).zip(a) {
                    let fv = f * v.into();
                    *m += fv;
                    *q += fv * v.into();
                }
                if let Some(b) = b {
                    for ((c, &v), &u) in cross.iter_mut().zip(a).zip(&b[k][..w]) {
                        *c += f * v.into() * u.into();
                    }
                }
            }
            for (o, &m) in mu.iter_mut().zip(sums.mean.iter()) {
                *o = (m + 128) >> 8;
            }
            return;
        }
        for (k, &f) in FILTER[s].iter().enumerate() {
            let f = u32::from(f);
            let a = &a[k][..w];
            for ((m, q), &v) in sums.mean.iter_mut().zip(sums.square.iter_mut()).zip(a) {
                let fv = f * v.into();
                *m += fv;
                *q += u64::from(fv) * u64::from(v.into());
            }
            if let Some(b) = b {
                for ((c, &v), &u) in sums.cross.iter_mut().zip(a).zip(&b[k][..w]) {
                    *c += u64::from(f * v.into()) * u64::from(u.into());
                }
            }
        }
        for (o, &m) in mu.iter_mut().zip(sums.mean.iter()) {
            *o = (m + 32768) >> 16;
        }
        for (o, &q) in sq.iter_mut().zip(sums.square.iter()) {
            *o = ((q + 32768) >> 16) as u32;
        }
        for (o, &c) in cross.iter_mut().zip(sums.cross.iter()) {
            *o = ((c + 32768) >> 16) as u32;
        }
    }

    /// libvmaf's horizontal pass of a mean row (column 0 at `PAD`, margins mirrored): the
    /// unshifted sums of columns `0..out.len()` taken `step` apart.
    fn h_means(f: &[u16], row: &[u32], half: usize, step: usize, out: &mut [u32]) {
        out.fill(0);
        for (j, &f) in f.iter().enumerate() {
            let f = u32::from(f);
            let src = row[PAD + j - half..].iter().step_by(step);
            for (o, &v) in out.iter_mut().zip(src) {
                *o += f * v;
            }
        }
    }

    /// libvmaf's horizontal pass of a squares' or products' row: the sums (to be rounded by
    /// `>> 16`) of columns `0..out.len()`.
    fn h_squares(f: &[u16], row: &[u32], half: usize, out: &mut [u64]) {
        out.fill(0);
        for (j, &f) in f.iter().enumerate() {
            let f = u64::from(f);
            for (o, &v) in out.iter_mut().zip(&row[PAD + j - half..]) {
                *o += f * u64::from(v);
            }
        }
    }

    /// `(sum + 2^15) >> 16`, truncated to 32 bits as libvmaf keeps it.
    #[inline]
    fn round16(sum: u64) -> u32 {
        ((sum + 32768) >> 16) as u32
    }

    /// Row `y / 2` of the next scale's plane: row `y` low-passed with the next scale's filter,
    /// even columns kept.
    fn decimate_row<S: Source>(
        s: usize,
        src: &S,
        y: usize,
        w: usize,
        h: usize,
        work: &mut Work,
        out: &mut [u16],
    ) {
        let g = FILTER[s + 1];
        let half = HALF[s + 1];
        let rows = taps(src, y, h, half);
        let acc = &mut work.means[..w];
        acc.fill(0);
        for (k, &g) in g.iter().enumerate() {
            let g = u32::from(g);
            for (a, &v) in acc.iter_mut().zip(&rows[k][..w]) {
                *a += g * v.into();
            }
        }
        let buf = &mut work.wide[3 * work.row_len..4 * work.row_len];
        for (o, &a) in buf[PAD..PAD + w].iter_mut().zip(acc.iter()) {
            *o = if s == 0 {
                (a + 128) >> 8
            } else {
                (a + 32768) >> 16
            };
        }
        mirror_pad(buf, w, half);
        let acc = &mut work.means[..w / 2];
        h_means(g, buf, half, 2, acc);
        for (o, &a) in out[..w / 2].iter_mut().zip(acc.iter()) {
            *o = ((a + 32768) >> 16) as u16;
        }
    }

    /// One scale of the reference: `mu1` and `sigma1^2` of every pixel, the next scale's
    /// plane, and the denominator's log sum and flat count.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn reference_scale<S: Source>(
        s: usize,
        src: &S,
        geo: &Geometry,
        mu1: &mut [u32],
        sigma1: &mut [i32],
        mut next: Option<&mut [u16]>,
        work: &mut Work,
        table: &[u16],
    ) -> (i64, i64) {
        let (w, h, bw) = (geo.w[s], geo.h[s], geo.bw[s]);
        let (f, half) = (FILTER[s], HALF[s]);
        let row_len = work.row_len;
        let (mut log, mut count) = (0i64, 0i64);
        for y in 0..h {
            let rows = taps(src, y, h, half);
            {
                let (mu_row, rest) = work.wide.split_at_mut(row_len);
                let (sq_row, rest) = rest.split_at_mut(row_len);
                let cross_row = &mut rest[..row_len];
                let sums = Sums::of_parts(&mut work.means, &mut work.sums, row_len, w);
                vertical(s, &rows, None, w, sums, mu_row, sq_row, cross_row);
                mirror_pad(mu_row, w, half);
                mirror_pad(sq_row, w, half);
            }
            let mu_out = &mut mu1[y * bw..(y + 1) * bw];
            let sigma_out = &mut sigma1[y * bw..(y + 1) * bw];
            {
                let (mean, squares) = (&mut work.means[..w], &mut work.sums[..w]);
                h_means(f, &work.wide[..row_len], half, 1, mean);
                h_squares(f, &work.wide[row_len..2 * row_len], half, squares);
                for (x, (&m, &q)) in mean.iter().zip(squares.iter()).enumerate() {
                    mu_out[lane_pos(x)] = m;
                    sigma_out[lane_pos(x)] = round16(q).wrapping_sub(mul_round_hi(m, m)) as i32;
                }
            }
            let (l, c) = den_row(sigma_out, w, table);
            log += l;
            count += c;
            if let Some(next) = next.as_deref_mut()
                && y % 2 == 0
                && y / 2 < h / 2
            {
                let stride = geo.plane_stride(s + 1);
                decimate_row(s, src, y, w, h, work, &mut next[y / 2 * stride..]);
            }
        }
        (log, count)
    }

    /// One scale of a distorted frame: the numerator's log sum and the sum of `sigma2^2`
    /// over the flat pixels, and the next scale's plane.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn distorted_scale<S: Source>(
        s: usize,
        r: &S,
        d: &S,
        geo: &Geometry,
        mu1: &[u32],
        sigma1: &[i32],
        mut next: Option<&mut [u16]>,
        work: &mut Work,
        table: &[u16],
        gain_limit: f64,
    ) -> (i64, i64) {
        let (w, h, bw) = (geo.w[s], geo.h[s], geo.bw[s]);
        let (f, half) = (FILTER[s], HALF[s]);
        let row_len = work.row_len;
        let (mut log, mut flat) = (0i64, 0i64);
        for y in 0..h {
            let (dr, rr) = (taps(d, y, h, half), taps(r, y, h, half));
            {
                let (mu_row, rest) = work.wide.split_at_mut(row_len);
                let (sq_row, rest) = rest.split_at_mut(row_len);
                let cross_row = &mut rest[..row_len];
                let sums = Sums::of_parts(&mut work.means, &mut work.sums, row_len, w);
                vertical(s, &dr, Some(&rr), w, sums, mu_row, sq_row, cross_row);
                mirror_pad(mu_row, w, half);
                mirror_pad(sq_row, w, half);
                mirror_pad(cross_row, w, half);
            }
            let mu1 = &mu1[y * bw..(y + 1) * bw];
            let sigma1 = &sigma1[y * bw..(y + 1) * bw];
            let (squares, cross) = work.sums.split_at_mut(row_len);
            let (mean, squares, cross) = (&mut work.means[..w], &mut squares[..w], &mut cross[..w]);
            h_means(f, &work.wide[..row_len], half, 1, mean);
            h_squares(f, &work.wide[row_len..2 * row_len], half, squares);
            h_squares(f, &work.wide[2 * row_len..3 * row_len], half, cross);
            for (x, ((&mu2, &yy), &xy)) in mean
                .iter()
                .zip(squares.iter())
                .zip(cross.iter())
                .enumerate()
            {
                let (yy, xy) = (round16(yy), round16(xy));
                let (m1, s1) = (mu1[lane_pos(x)], sigma1[lane_pos(x)]);
                let sigma2 = (yy.wrapping_sub(mul_round_hi(mu2, mu2)) as i32).max(0);
                let sigma12 = xy.wrapping_sub(mul_round_hi(m1, mu2)) as i32;
                if s1 >= SIGMA_NSQ {
                    if sigma12 > 0 && sigma2 > 0 {
                        log += i64::from(gain_term(s1, sigma2, sigma12, gain_limit, table));
                    }
                } else {
                    flat += i64::from(sigma2);
                }
            }
            if let Some(next) = next.as_deref_mut()
                && y % 2 == 0
                && y / 2 < h / 2
            {
                let stride = geo.plane_stride(s + 1);
                decimate_row(s, d, y, w, h, work, &mut next[y / 2 * stride..]);
            }
        }
        (log, flat)
    }
}

#[cfg(target_arch = "x86_64")]
mod simd {
    //! The AVX2 kernels.
    //!
    //! Each row of the current scale's input is turned once into 16-bit terms kept in a ring
    //! of the last `2 * HALF + 1` rows; the vertical pass then filters the ring with
    //! `_mm256_madd_epi16` (two taps per instruction), the horizontal pass filters the
    //! resulting rows the same way (even and odd columns apart) and evaluates the per-pixel
    //! statistics 8 columns at a time. The pixels whose numerator takes a logarithm term are
    //! packed into a row buffer and their terms evaluated in a second, tight loop, whose long
    //! dependency chains (division, truncation, table lookups) then overlap.
    //!
    //! The vertical and horizontal passes are bound by the multiply-add throughput: 17 taps
    //! times 5 terms. Folding mirrored taps before multiplying would halve that, but needs
    //! 15-bit samples; only the scale-0 vertical terms are that small.
    //!
    //! Every intermediate is an exact integer, so the results equal the portable ones. The
    //! 16-bit terms and how the offsets come back out:
    //! - scale 0, samples `x` in 0..256 centred as `x' = x - 128`: the mean's sum
    //!   `sum f x = sum f x' + 2^23`; the squares' `sum f x^2 = sum f (x'^2 - 2^13) + 2^29 +
    //!   256 sum f x' + 2^30` (mirrored rows' `x'` and `x'^2 - 2^13` add up within 16 bits,
    //!   so the vertical pass folds them before multiplying); the products
    //!   `sum f r d = sum f (r d - 2^15) + 2^31`.
    //! - coarser scales, samples below 2^16: offset by `-2^15`; squares and products split
    //!   into 16-bit halves `hi`, `lo`, with `(sum f v^2 + 2^15) >> 16 = sum f hi +
    //!   ((sum f lo + 2^15) >> 16)`.
    //! - filtered rows (means below 2^16; squares and products below 2^32 split into 16-bit
    //!   halves the same way) are stored offset by `-2^15`, and the horizontal sums get
    //!   `2^15 * 2^16 = 2^31` back.
    //!
    //! Tap pairs are arranged so that every multiplier fits a signed 16-bit lane (the 43728
    //! centre tap of scale 3 is split in two).

    use super::*;
    use std::arch::x86_64::*;

    /// Rounding mode: towards zero, no exceptions.
    const TRUNC: i32 = _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC;

    /// # Safety
    /// AVX2; `p` valid for 32 bytes.
    #[inline(always)]
    unsafe fn load(p: *const i16) -> __m256i {
        // SAFETY: per the contract.
        unsafe { _mm256_loadu_si256(p.cast()) }
    }

    /// # Safety
    /// AVX2; `p` valid for 32 bytes.
    #[inline(always)]
    unsafe fn store(p: *mut i16, v: __m256i) {
        // SAFETY: per the contract.
        unsafe { _mm256_storeu_si256(p.cast(), v) }
    }

    /// A multiply-add operand: tap `a` for the lower sample of each pair, `b` for the upper.
    ///
    /// # Safety
    /// AVX2.
    #[inline(always)]
    unsafe fn taps2(a: u16, b: u16) -> __m256i {
        debug_assert!(a < 1 << 15 && b < 1 << 15);
        // SAFETY: AVX2 per the contract.
        unsafe { _mm256_set1_epi32(((u32::from(b) << 16) | u32::from(a)) as i32) }
    }

    /// Values below 2^16 in the (0-3, 8-11), (4-7, 12-15) order, stored in column order
    /// offset by `-2^15`.
    ///
    /// # Safety
    /// AVX2; `p` valid for 16 samples.
    #[inline(always)]
    unsafe fn store_offset(p: *mut i16, lo: __m256i, hi: __m256i) {
        // SAFETY: per the contract.
        unsafe {
            let v = _mm256_packus_epi32(lo, hi);
            store(p, _mm256_xor_si256(v, _mm256_set1_epi16(i16::MIN)));
        }
    }

    /// Store a 32-bit value's halves as two offset rows.
    ///
    /// # Safety
    /// AVX2; both pointers valid for 16 samples.
    #[inline(always)]
    unsafe fn store_halves(high: *mut i16, low: *mut i16, lo: __m256i, hi: __m256i) {
        // SAFETY: per the contract.
        unsafe {
            let mask = _mm256_set1_epi32(0xFFFF);
            store_offset(
                high,
                _mm256_srli_epi32::<16>(lo),
                _mm256_srli_epi32::<16>(hi),
            );
            store_offset(low, _mm256_and_si256(lo, mask), _mm256_and_si256(hi, mask));
        }
    }

    /// `(s + 2^31 + 2^15) >> 16` of an offset sum `s`: a rounded 16-bit result.
    ///
    /// # Safety
    /// AVX2.
    #[inline(always)]
    unsafe fn round16(s: __m256i) -> __m256i {
        // SAFETY: AVX2 per the contract.
        unsafe {
            let v = _mm256_xor_si256(s, _mm256_set1_epi32(i32::MIN));
            _mm256_srli_epi32::<16>(_mm256_add_epi32(v, _mm256_set1_epi32(1 << 15)))
        }
    }

    /// `sum f hi + ((sum f lo + 2^15) >> 16)` from the offset sums of the halves.
    ///
    /// # Safety
    /// AVX2.
    #[inline(always)]
    unsafe fn join(high: __m256i, low: __m256i) -> __m256i {
        // SAFETY: AVX2 per the contract.
        unsafe {
            let h = _mm256_xor_si256(high, _mm256_set1_epi32(i32::MIN));
            _mm256_add_epi32(h, round16(low))
        }
    }

    /// `((sum f x' + 2^23) + 128) >> 8` from a centred scale-0 sum.
    ///
    /// # Safety
    /// AVX2.
    #[inline(always)]
    unsafe fn mean0(a: __m256i) -> __m256i {
        // SAFETY: AVX2 per the contract.
        unsafe { _mm256_srli_epi32::<8>(_mm256_add_epi32(a, _mm256_set1_epi32((1 << 23) + 128))) }
    }

    /// `sum f x^2` from the centred sums `a = sum f x'` and `q = sum f (x'^2 - 2^13)`.
    ///
    /// # Safety
    /// AVX2.
    #[inline(always)]
    unsafe fn square0(a: __m256i, q: __m256i) -> __m256i {
        // SAFETY: AVX2 per the contract.
        unsafe {
            let q = _mm256_add_epi32(q, _mm256_slli_epi32::<8>(a));
            _mm256_add_epi32(q, _mm256_set1_epi32((1 << 29) + (1 << 30)))
        }
    }

    /// 16 samples of an 8-bit row from column `x` (`x < row.len()`), widened; past the
    /// row's end they read as zero.
    ///
    /// # Safety
    /// AVX2.
    #[inline(always)]
    unsafe fn bytes(row: &[u8], x: usize) -> __m256i {
        // SAFETY: AVX2 per the contract; the load reads inside `row` or a local copy.
        unsafe {
            if x + BLOCK <= row.len() {
                _mm256_cvtepu8_epi16(_mm_loadu_si128(row.as_ptr().add(x).cast()))
            } else {
                let mut t = [0u8; BLOCK];
                t[..row.len() - x].copy_from_slice(&row[x..]);
                _mm256_cvtepu8_epi16(_mm_loadu_si128(t.as_ptr().cast()))
            }
        }
    }

    /// Per-row terms at scale 0 of `r` (and `d`, when scoring) into `out`, `bw` samples per
    /// term: reference `r'`, `r'^2 - 2^13`; distorted `d'`, `d'^2 - 2^13`, `r d - 2^15`.
    ///
    /// # Safety
    /// AVX2.
    #[target_feature(enable = "avx2")]
    unsafe fn terms0(r: &[u8], d: Option<&[u8]>, bw: usize, out: &mut [i16]) {
        let terms = if d.is_some() { 3 } else { 2 };
        assert!(out.len() >= terms * bw && r.len() + BLOCK > bw);
        assert!(d.is_none_or(|d| d.len() == r.len()));
        let o = out.as_mut_ptr();
        // SAFETY: AVX2 per the contract; stores stay inside `out` (checked above); loads
        // read whole blocks inside the rows or copy the last partial one.
        unsafe {
            let c128 = _mm256_set1_epi16(128);
            let c2_13 = _mm256_set1_epi16(1 << 13);
            let flip = _mm256_set1_epi16(i16::MIN);
            for x in (0..bw).step_by(BLOCK) {
                let (a, other) = match d {
                    Some(d) => (bytes(d, x), Some(bytes(r, x))),
                    None => (bytes(r, x), None),
                };
                let c = _mm256_sub_epi16(a, c128);
                store(o.add(x), c);
                store(
                    o.add(bw + x),
                    _mm256_sub_epi16(_mm256_mullo_epi16(c, c), c2_13),
                );
                if let Some(b) = other {
                    let p = _mm256_xor_si256(_mm256_mullo_epi16(a, b), flip);
                    store(o.add(2 * bw + x), p);
                }
            }
        }
    }

    /// Per-row terms at a coarser scale of `r` (and `d`, when scoring), offset by `-2^15`:
    /// reference `v`, `hi(v^2)`, `lo(v^2)`; distorted the same of `d` and `hi(r d)`,
    /// `lo(r d)`.
    ///
    /// # Safety
    /// AVX2.
    #[target_feature(enable = "avx2")]
    unsafe fn terms16(r: &[u16], d: Option<&[u16]>, bw: usize, out: &mut [i16]) {
        let terms = if d.is_some() { 5 } else { 3 };
        assert!(out.len() >= terms * bw && r.len() >= bw && d.is_none_or(|d| d.len() >= bw));
        let o = out.as_mut_ptr();
        // SAFETY: AVX2 per the contract; all accesses inside the slices (checked above).
        unsafe {
            let flip = _mm256_set1_epi16(i16::MIN);
            for x in (0..bw).step_by(BLOCK) {
                let rv = _mm256_loadu_si256(r.as_ptr().add(x).cast());
                let v = match d {
                    Some(d) => _mm256_loadu_si256(d.as_ptr().add(x).cast()),
                    None => rv,
                };
                store(o.add(x), _mm256_xor_si256(v, flip));
                store(
                    o.add(bw + x),
                    _mm256_xor_si256(_mm256_mulhi_epu16(v, v), flip),
                );
                store(
                    o.add(2 * bw + x),
                    _mm256_xor_si256(_mm256_mullo_epi16(v, v), flip),
                );
                if d.is_some() {
                    let h = _mm256_mulhi_epu16(rv, v);
                    let l = _mm256_mullo_epi16(rv, v);
                    store(o.add(3 * bw + x), _mm256_xor_si256(h, flip));
                    store(o.add(4 * bw + x), _mm256_xor_si256(l, flip));
                }
            }
        }
    }

    /// `acc += madd(interleave(a, b), c)` for the low and high halves: the pairs
    /// `(a_i, b_i)` times the taps in `c`, columns (0-3, 8-11) and (4-7, 12-15).
    ///
    /// # Safety
    /// AVX2.
    #[inline(always)]
    unsafe fn mac(acc: &mut (__m256i, __m256i), a: __m256i, b: __m256i, c: __m256i) {
        // SAFETY: AVX2 per the contract.
        unsafe {
            acc.0 = _mm256_add_epi32(acc.0, _mm256_madd_epi16(_mm256_unpacklo_epi16(a, b), c));
            acc.1 = _mm256_add_epi32(acc.1, _mm256_madd_epi16(_mm256_unpackhi_epi16(a, b), c));
        }
    }

    /// The multiply-add operands of a filter's mirrored taps: `(f_k, f_k)` for the taps
    /// before the centre, then the centre tap split in two halves.
    ///
    /// # Safety
    /// AVX2.
    #[inline(always)]
    unsafe fn mirrored(f: &[u16]) -> [__m256i; 9] {
        // SAFETY: AVX2 per the contract.
        unsafe {
            let h = f.len() / 2;
            let mut c = [_mm256_setzero_si256(); 9];
            for k in 0..h {
                c[k] = taps2(f[k], f[k]);
            }
            c[h] = taps2(f[h] - f[h] / 2, f[h] / 2);
            c
        }
    }

    /// The multiply-add operands of a filter folded at its centre: `(f_2j, f_2j+1)` for the
    /// `N / 4` pairs of folded taps, then the centre tap split in two halves (`N` is 17 or 9).
    ///
    /// # Safety
    /// AVX2.
    #[inline(always)]
    unsafe fn folded<const Q: usize>(f: &[u16]) -> [__m256i; Q] {
        // SAFETY: AVX2 per the contract.
        unsafe {
            let h = f.len() / 2;
            let mut c = [_mm256_setzero_si256(); Q];
            for j in 0..Q - 1 {
                c[j] = taps2(f[2 * j], f[2 * j + 1]);
            }
            c[Q - 1] = taps2(f[h] - f[h] / 2, f[h] / 2);
            c
        }
    }

    /// Offsets of the filtered rows in [`Work::rows`].
    const MEAN: usize = 0;
    const SQ_HI: usize = 1;
    const SQ_LO: usize = 2;
    const X_HI: usize = 3;
    const X_LO: usize = 4;
    const DECIMATE: usize = 5;

    /// Vertical pass at scale 0 over the ring rows `taps` (each the first of its terms):
    /// the mean, squares and (when `CROSS`) products rows, and the row for decimation when
    /// `decimate`. Mirrored rows of the centred samples and of their squares are folded
    /// before multiplying.
    ///
    /// # Safety
    /// AVX2; every tap valid for `terms * bw` samples.
    #[target_feature(enable = "avx2")]
    unsafe fn vertical0<const CROSS: bool>(
        taps: &[*const i16; 17],
        bw: usize,
        decimate: bool,
        rows: &mut [i16],
        row_len: usize,
    ) {
        assert!(rows.len() >= 6 * row_len && PAD + bw <= row_len);
        let o = rows.as_mut_ptr();
        // SAFETY: AVX2 per the contract; loads inside the taps' terms, stores inside `rows`
        // (checked above).
        unsafe {
            let fold = folded::<5>(FILTER[0]);
            let mirror = mirrored(FILTER[0]);
            let inner = folded::<3>(FILTER[1]);
            let z = _mm256_setzero_si256();
            for x in (0..bw).step_by(BLOCK) {
                let (mut a, mut q, mut p) = ((z, z), (z, z), (z, z));
                for (j, &pair) in fold[..4].iter().enumerate() {
                    let k = 2 * j;
                    let r0 = taps[k].add(x);
                    let r1 = taps[k + 1].add(x);
                    let m0 = taps[16 - k].add(x);
                    let m1 = taps[15 - k].add(x);
                    let s0 = _mm256_add_epi16(load(r0), load(m0));
                    let s1 = _mm256_add_epi16(load(r1), load(m1));
                    mac(&mut a, s0, s1, pair);
                    let s0 = _mm256_add_epi16(load(r0.add(bw)), load(m0.add(bw)));
                    let s1 = _mm256_add_epi16(load(r1.add(bw)), load(m1.add(bw)));
                    mac(&mut q, s0, s1, pair);
                    if CROSS {
                        let (r0, r1, m0, m1) = (
                            r0.add(2 * bw),
                            r1.add(2 * bw),
                            m0.add(2 * bw),
                            m1.add(2 * bw),
                        );
                        mac(&mut p, load(r0), load(m0), mirror[k]);
                        mac(&mut p, load(r1), load(m1), mirror[k + 1]);
                    }
                }
                let c = taps[8].add(x);
                let m = load(c);
                mac(&mut a, m, m, fold[4]);
                let m = load(c.add(bw));
                mac(&mut q, m, m, fold[4]);
                let row = |i: usize| o.add(i * row_len + PAD + x);
                store_offset(row(MEAN), mean0(a.0), mean0(a.1));
                store_halves(row(SQ_HI), row(SQ_LO), square0(a.0, q.0), square0(a.1, q.1));
                if CROSS {
                    let m = load(c.add(2 * bw));
                    mac(&mut p, m, m, mirror[8]);
                    let flip = _mm256_set1_epi32(i32::MIN);
                    let (lo, hi) = (_mm256_xor_si256(p.0, flip), _mm256_xor_si256(p.1, flip));
                    store_halves(row(X_HI), row(X_LO), lo, hi);
                }
                if decimate {
                    let mut u = (z, z);
                    for (j, &pair) in inner[..2].iter().enumerate() {
                        let k = 4 + 2 * j;
                        let s0 = _mm256_add_epi16(load(taps[k].add(x)), load(taps[16 - k].add(x)));
                        let s1 =
                            _mm256_add_epi16(load(taps[k + 1].add(x)), load(taps[15 - k].add(x)));
                        mac(&mut u, s0, s1, pair);
                    }
                    let m = load(c);
                    mac(&mut u, m, m, inner[2]);
                    store_offset(row(DECIMATE), mean0(u.0), mean0(u.1));
                }
            }
        }
    }

    /// Accumulate the filter over `N` mirrored ring rows for the terms `first..first + T`
    /// (`T` at most 3) of the block at `x`.
    ///
    /// # Safety
    /// AVX2; every tap valid for the terms at `x`.
    #[inline(always)]
    unsafe fn v_terms<const N: usize, const T: usize>(
        taps: &[*const i16; N],
        coef: &[__m256i; 9],
        x: usize,
        bw: usize,
        first: usize,
    ) -> [(__m256i, __m256i); T] {
        // SAFETY: per the contract.
        unsafe {
            let z = _mm256_setzero_si256();
            let mut acc = [(z, z); T];
            let h = N / 2;
            for k in 0..h {
                let r = taps[k].add(first * bw + x);
                let m = taps[N - 1 - k].add(first * bw + x);
                for (t, acc) in acc.iter_mut().enumerate() {
                    mac(acc, load(r.add(t * bw)), load(m.add(t * bw)), coef[k]);
                }
            }
            let c = taps[h].add(first * bw + x);
            for (t, acc) in acc.iter_mut().enumerate() {
                let m = load(c.add(t * bw));
                mac(acc, m, m, coef[h]);
            }
            acc
        }
    }

    /// Vertical pass at scale `s` (1..4, `N` taps) over the ring rows `taps`: the mean,
    /// squares and (when `CROSS`) products rows; the row for decimation, when `decimate`,
    /// uses the next scale's `M` taps.
    ///
    /// # Safety
    /// AVX2; every tap valid for `terms * bw` samples.
    #[target_feature(enable = "avx2")]
    unsafe fn vertical16<const N: usize, const M: usize, const CROSS: bool>(
        s: usize,
        taps: &[*const i16; N],
        bw: usize,
        decimate: bool,
        rows: &mut [i16],
        row_len: usize,
    ) {
        assert!(rows.len() >= 6 * row_len && PAD + bw <= row_len);
        assert!(FILTER[s].len() == N && (!decimate || FILTER[s + 1].len() == M));
        let o = rows.as_mut_ptr();
        let inner: [*const i16; M] = std::array::from_fn(|k| taps[(N - M) / 2 + k]);
        // SAFETY: AVX2 per the contract; loads inside the taps' terms, stores inside `rows`
        // (checked above).
        unsafe {
            let coef = mirrored(FILTER[s]);
            for x in (0..bw).step_by(BLOCK) {
                let row = |i: usize| o.add(i * row_len + PAD + x);
                let [m, h, l] = v_terms::<N, 3>(taps, &coef, x, bw, 0);
                store_offset(row(MEAN), round16(m.0), round16(m.1));
                store_halves(row(SQ_HI), row(SQ_LO), join(h.0, l.0), join(h.1, l.1));
                if CROSS {
                    let [h, l] = v_terms::<N, 2>(taps, &coef, x, bw, 3);
                    store_halves(row(X_HI), row(X_LO), join(h.0, l.0), join(h.1, l.1));
                }
            }
            if decimate {
                let coef = mirrored(FILTER[s + 1]);
                for x in (0..bw).step_by(BLOCK) {
                    let [u] = v_terms::<M, 1>(&inner, &coef, x, bw, 0);
                    store_offset(
                        o.add(DECIMATE * row_len + PAD + x),
                        round16(u.0),
                        round16(u.1),
                    );
                }
            }
        }
    }

    /// The horizontal taps of scale `s` as `P` pairs of neighbouring samples: the first
    /// sample's offset and the multiply-add operand.
    ///
    /// # Safety
    /// AVX2.
    #[inline(always)]
    unsafe fn h_taps<const P: usize>(s: usize) -> ([isize; P], [__m256i; P]) {
        let f = FILTER[s];
        let half = HALF[s] as isize;
        let mut off = [0isize; P];
        let mut ab = [(0u16, 0u16); P];
        if f.len() == 3 {
            // The centre tap does not fit a signed 16-bit lane: half of it in each pair.
            let c = f[1];
            off[0] = -1;
            ab[0] = (f[0], c - c / 2);
            off[1] = 0;
            ab[1] = (c / 2, f[2]);
        } else {
            for p in 0..P {
                off[p] = -half + 2 * p as isize;
                ab[p] = (f[2 * p], f.get(2 * p + 1).copied().unwrap_or(0));
            }
        }
        // SAFETY: AVX2 per the contract.
        let mut taps = [unsafe { _mm256_setzero_si256() }; P];
        for p in 0..P {
            // SAFETY: AVX2 per the contract.
            taps[p] = unsafe { taps2(ab[p].0, ab[p].1) };
        }
        (off, taps)
    }

    /// The horizontal sum at columns `x, x + 2, .., x + 14` of a filtered row offset by
    /// `-2^15` (column 0 at `row + PAD`): the sum offset by `-2^31`.
    ///
    /// # Safety
    /// AVX2; the row valid from `PAD + x + off[0]` to `PAD + x + off[P - 1] + 30`.
    #[inline(always)]
    unsafe fn h_sum<const P: usize>(
        row: *const i16,
        x: usize,
        off: &[isize; P],
        taps: &[__m256i; P],
    ) -> __m256i {
        // SAFETY: per the contract.
        unsafe {
            let base = row.add(PAD + x);
            let mut acc = _mm256_setzero_si256();
            for p in 0..P {
                acc = _mm256_add_epi32(acc, _mm256_madd_epi16(load(base.offset(off[p])), taps[p]));
            }
            acc
        }
    }

    /// The horizontal sums of `T` filtered rows (`row_len` apart, column 0 at `PAD`) at the
    /// block of columns from `x`: even columns `x, x + 2, .., x + 14` in the first array, odd
    /// ones in the second; sums offset by `-2^31`.
    ///
    /// # Safety
    /// AVX2; the rows valid from `PAD + x + off[0]` to `PAD + x + off[P - 1] + 31`.
    #[inline(always)]
    unsafe fn h_block<const P: usize, const T: usize>(
        rows: *const i16,
        row_len: usize,
        x: usize,
        off: &[isize; P],
        taps: &[__m256i; P],
    ) -> ([__m256i; T], [__m256i; T]) {
        // SAFETY: per the contract.
        unsafe {
            let z = _mm256_setzero_si256();
            let (mut even, mut odd) = ([z; T], [z; T]);
            let base = rows.add(PAD + x);
            for p in 0..P {
                let c = taps[p];
                let at = base.offset(off[p]);
                for t in 0..T {
                    let r = at.add(t * row_len);
                    even[t] = _mm256_add_epi32(even[t], _mm256_madd_epi16(load(r), c));
                    odd[t] = _mm256_add_epi32(odd[t], _mm256_madd_epi16(load(r.add(1)), c));
                }
            }
            (even, odd)
        }
    }

    /// `(a * b + 2^31) >> 32` of 8 unsigned lanes.
    ///
    /// # Safety
    /// AVX2.
    #[inline(always)]
    unsafe fn mul_round_hi8(a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: AVX2 per the contract.
        unsafe {
            let r = _mm256_set1_epi64x(1 << 31);
            let even = _mm256_add_epi64(_mm256_mul_epu32(a, b), r);
            let odd = _mm256_add_epi64(
                _mm256_mul_epu32(_mm256_srli_epi64::<32>(a), _mm256_srli_epi64::<32>(b)),
                r,
            );
            _mm256_blend_epi32::<0b1010_1010>(_mm256_srli_epi64::<32>(even), odd)
        }
    }

    /// Sum of the four 64-bit lanes.
    ///
    /// # Safety
    /// AVX2.
    #[inline(always)]
    unsafe fn sum64(v: __m256i) -> i64 {
        let mut lanes = [0i64; 4];
        // SAFETY: AVX2 per the contract; `lanes` holds 32 bytes.
        unsafe { _mm256_storeu_si256(lanes.as_mut_ptr().cast(), v) };
        lanes.iter().sum()
    }

    /// For each 8-bit mask, the lanes whose bit is set, first to last, then the others.
    const COMPACT: [[u8; 8]; 256] = {
        let mut t = [[0u8; 8]; 256];
        let mut m = 0;
        while m < 256 {
            let mut n = 0;
            let mut l = 0;
            while l < 8 {
                if m & (1 << l) != 0 {
                    t[m][n] = l as u8;
                    n += 1;
                }
                l += 1;
            }
            l = 0;
            while l < 8 {
                if m & (1 << l) == 0 {
                    t[m][n] = l as u8;
                    n += 1;
                }
                l += 1;
            }
            m += 1;
        }
        t
    };

    /// The pixels of a row whose numerator takes a logarithm term, packed: `sigma1^2`,
    /// `sigma2^2`, `sigma12` each in its own run of `len` values.
    struct Gains<'a> {
        values: &'a mut [i32],
        len: usize,
        count: usize,
    }

    /// The statistics of 8 pixels from the offset horizontal sums of the distorted rows
    /// (`sums`: mean, squares high/low, products high/low) and the reference's `mu1`,
    /// `sigma1^2`; lanes outside `valid` are left out. Flat pixels' `sigma2^2` go to `flat`,
    /// the pixels needing a logarithm term to `gains`.
    ///
    /// # Safety
    /// AVX2; `gains` has room for 8 more values in each run.
    #[inline(always)]
    unsafe fn stats8(
        sums: &[__m256i; 5],
        mu1: __m256i,
        sigma1: __m256i,
        valid: __m256i,
        flat: &mut __m256i,
        gains: &mut Gains<'_>,
    ) {
        // SAFETY: AVX2 per the contract; the stores write 8 values from `count`, inside each
        // run per the contract.
        unsafe {
            let zero = _mm256_setzero_si256();
            let mu2 = _mm256_xor_si256(sums[0], _mm256_set1_epi32(i32::MIN));
            let yy = join(sums[1], sums[2]);
            let xy = join(sums[3], sums[4]);
            let sigma2 = _mm256_max_epi32(_mm256_sub_epi32(yy, mul_round_hi8(mu2, mu2)), zero);
            let sigma12 = _mm256_sub_epi32(xy, mul_round_hi8(mu1, mu2));
            let logs = _mm256_cmpgt_epi32(sigma1, _mm256_set1_epi32(SIGMA_NSQ - 1));
            let f = _mm256_and_si256(_mm256_andnot_si256(logs, valid), sigma2);
            *flat = _mm256_add_epi64(*flat, _mm256_unpacklo_epi32(f, zero));
            *flat = _mm256_add_epi64(*flat, _mm256_unpackhi_epi32(f, zero));
            let gain = _mm256_and_si256(
                _mm256_and_si256(logs, valid),
                _mm256_and_si256(
                    _mm256_cmpgt_epi32(sigma12, zero),
                    _mm256_cmpgt_epi32(sigma2, zero),
                ),
            );
            // Branch-free: the stores always happen, the count moves by the lanes kept.
            let bits = _mm256_movemask_ps(_mm256_castsi256_ps(gain)) as usize;
            let order = _mm256_cvtepu8_epi32(_mm_loadl_epi64(COMPACT[bits].as_ptr().cast()));
            let at = gains.values.as_mut_ptr().add(gains.count);
            let len = gains.len;
            _mm256_storeu_si256(at.cast(), _mm256_permutevar8x32_epi32(sigma1, order));
            _mm256_storeu_si256(
                at.add(len).cast(),
                _mm256_permutevar8x32_epi32(sigma2, order),
            );
            _mm256_storeu_si256(
                at.add(2 * len).cast(),
                _mm256_permutevar8x32_epi32(sigma12, order),
            );
            gains.count += bits.count_ones() as usize;
        }
    }

    /// The numerator's logarithm terms of the packed pixels, summed. The terms are
    /// evaluated four at a time with the operations, in the order, of libvmaf's scalar code;
    /// the table lookups then run as a scalar loop (gathers are slow on some CPUs).
    ///
    /// # Safety
    /// AVX2; `table` is the log table.
    #[inline(always)]
    unsafe fn gain_terms(gains: &mut Gains<'_>, gain_limit: f64, table: &[u16]) -> i64 {
        let (len, count) = (gains.len, gains.count);
        assert!(
            count + 4 <= len && gains.values.len() >= 3 * len && table.len() >= LOG_BASE as usize
        );
        // Pad to whole groups of 4 with a pixel whose term is exactly zero: its gain is so
        // small that neither truncated value moves off sigma_n^2.
        let padded = count.next_multiple_of(4);
        for i in count..padded {
            gains.values[i] = SIGMA_NSQ;
            gains.values[len + i] = 1;
            gains.values[2 * len + i] = 1;
        }
        // SAFETY: AVX2 per the contract; loads and stores inside the runs (checked above).
        let exponents = unsafe {
            let v = gains.values.as_mut_ptr();
            let eps = _mm256_set1_pd(EPS);
            let nsq = _mm256_set1_pd(f64::from(SIGMA_NSQ));
            let limit = _mm256_set1_pd(gain_limit);
            let m15 = _mm256_set1_epi64x(0x7FFF);
            let low_dwords = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
            let mut acc = _mm256_setzero_si256();
            for i in (0..padded).step_by(4) {
                let d1 = _mm256_cvtepi32_pd(_mm_loadu_si128(v.add(i).cast()));
                let d2 = _mm256_cvtepi32_pd(_mm_loadu_si128(v.add(len + i).cast()));
                let d12 = _mm256_cvtepi32_pd(_mm_loadu_si128(v.add(2 * len + i).cast()));
                let g = _mm256_div_pd(d12, _mm256_add_pd(d1, eps));
                let sv = _mm256_round_pd::<TRUNC>(_mm256_sub_pd(d2, _mm256_mul_pd(g, d12)));
                let numer1 = _mm256_add_pd(_mm256_max_pd(sv, _mm256_setzero_pd()), nsq);
                let g = _mm256_min_pd(g, limit);
                let gain = _mm256_round_pd::<TRUNC>(_mm256_mul_pd(_mm256_mul_pd(g, g), d1));
                let numer2 = _mm256_add_pd(gain, numer1);
                // Both are integers below 2^53: their 16 leading bits are the mantissa's top
                // 15 after the implicit one, their bit length the exponent.
                let b1 = _mm256_castpd_si256(numer1);
                let b2 = _mm256_castpd_si256(numer2);
                let i1 = _mm256_and_si256(_mm256_srli_epi64::<37>(b1), m15);
                let i2 = _mm256_and_si256(_mm256_srli_epi64::<37>(b2), m15);
                let both = _mm256_or_si256(i1, _mm256_slli_epi64::<16>(i2));
                let both = _mm256_permutevar8x32_epi32(both, low_dwords);
                // The table indices replace the consumed sigma1^2 values.
                _mm_storeu_si128(v.add(i).cast(), _mm256_castsi256_si128(both));
                let de = _mm256_sub_epi64(_mm256_srli_epi64::<52>(b2), _mm256_srli_epi64::<52>(b1));
                acc = _mm256_add_epi64(acc, de);
            }
            sum64(acc)
        };
        let t = table.as_ptr();
        let logs: i64 = gains.values[..padded]
            .iter()
            .map(|&v| {
                let v = v as u32;
                // SAFETY: both indices were masked to 15 bits, inside the table (checked above).
                let (hi, lo) =
                    unsafe { (*t.add((v >> 16) as usize), *t.add((v & 0x7FFF) as usize)) };
                i32::from(hi) - i32::from(lo)
            })
            .map(i64::from)
            .sum();
        logs + 2048 * exponents
    }

    /// Horizontal pass and statistics of one distorted row at scale `s` (`P` tap pairs):
    /// the numerator's log sum and flat pixels' `sigma2^2` sum.
    ///
    /// # Safety
    /// AVX2; `table` is the log table.
    #[target_feature(enable = "avx2")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn horizontal_distorted<const P: usize>(
        s: usize,
        rows: &[i16],
        row_len: usize,
        w: usize,
        bw: usize,
        mu1: &[u32],
        sigma1: &[i32],
        gains: &mut [i32],
        gain_limit: f64,
        table: &[u16],
    ) -> (i64, i64) {
        assert!(rows.len() >= 5 * row_len && PAD + bw + 2 * BLOCK <= row_len);
        assert!(gains.len() >= 3 * row_len);
        let mut gains = Gains {
            values: gains,
            len: row_len,
            count: 0,
        };
        assert!(mu1.len() >= bw && sigma1.len() >= bw && table.len() >= LOG_BASE as usize);
        assert!(HALF[s] < PAD && w > bw - BLOCK);
        // SAFETY: AVX2 per the contract; the sums read `PAD + x - 8 ..= PAD + x + 9 + 15`
        // of rows of `row_len` samples, the reference rows are read inside `bw` (checked
        // above).
        unsafe {
            let (off, taps) = h_taps::<P>(s);
            let mut flat = _mm256_setzero_si256();
            let base = rows.as_ptr();
            let lanes = [
                _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14),
                _mm256_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15),
            ];
            for x in (0..bw).step_by(BLOCK) {
                let left = _mm256_set1_epi32((w - x) as i32);
                let (even, odd) = h_block::<P, 5>(base, row_len, x, &off, &taps);
                for (parity, sums) in [even, odd].iter().enumerate() {
                    let at = x + 8 * parity;
                    let m1 = _mm256_loadu_si256(mu1.as_ptr().add(at).cast());
                    let s1 = _mm256_loadu_si256(sigma1.as_ptr().add(at).cast());
                    let valid = _mm256_cmpgt_epi32(left, lanes[parity]);
                    stats8(sums, m1, s1, valid, &mut flat, &mut gains);
                }
            }
            (gain_terms(&mut gains, gain_limit, table), sum64(flat))
        }
    }

    /// Horizontal pass of one reference row at scale `s` (`P` tap pairs): `mu1` and
    /// `sigma1^2` of its pixels, in [`lane_pos`] order.
    ///
    /// # Safety
    /// AVX2.
    #[target_feature(enable = "avx2")]
    unsafe fn horizontal_reference<const P: usize>(
        s: usize,
        rows: &[i16],
        row_len: usize,
        bw: usize,
        mu1: &mut [u32],
        sigma1: &mut [i32],
    ) {
        assert!(rows.len() >= 3 * row_len && PAD + bw + 2 * BLOCK <= row_len);
        assert!(mu1.len() >= bw && sigma1.len() >= bw && HALF[s] < PAD);
        // SAFETY: AVX2 per the contract; reads as in `horizontal_distorted`, stores inside
        // `bw` of the output rows (checked above).
        unsafe {
            let (off, taps) = h_taps::<P>(s);
            let base = rows.as_ptr();
            for x in (0..bw).step_by(BLOCK) {
                let (even, odd) = h_block::<P, 3>(base, row_len, x, &off, &taps);
                for (parity, sums) in [even, odd].iter().enumerate() {
                    let mu = _mm256_xor_si256(sums[0], _mm256_set1_epi32(i32::MIN));
                    let xx = join(sums[1], sums[2]);
                    let var = _mm256_sub_epi32(xx, mul_round_hi8(mu, mu));
                    let at = x + 8 * parity;
                    _mm256_storeu_si256(mu1.as_mut_ptr().add(at).cast(), mu);
                    _mm256_storeu_si256(sigma1.as_mut_ptr().add(at).cast(), var);
                }
            }
        }
    }

    /// The next scale's row from the row filtered for decimation: horizontal pass of the
    /// next scale's filter (`P` tap pairs) at the even columns, `wn` of them.
    ///
    /// # Safety
    /// AVX2.
    #[target_feature(enable = "avx2")]
    unsafe fn horizontal_decimate<const P: usize>(
        s_next: usize,
        row: &[i16],
        wn: usize,
        out: &mut [u16],
    ) {
        let end = 2 * wn;
        assert!(row.len() >= PAD + end + 2 * BLOCK && out.len() >= wn + BLOCK / 2);
        assert!(HALF[s_next] < PAD);
        // SAFETY: AVX2 per the contract; reads `PAD + x - 4 ..= PAD + x + 4 + 15` with
        // `x < end`, stores 8 values from `x / 2 < wn` (checked above).
        unsafe {
            let (off, taps) = h_taps::<P>(s_next);
            for x in (0..end).step_by(BLOCK) {
                let v = round16(h_sum(row.as_ptr(), x, &off, &taps));
                let packed = _mm256_permute4x64_epi64::<0b00_00_10_00>(_mm256_packus_epi32(v, v));
                _mm_storeu_si128(
                    out.as_mut_ptr().add(x / 2).cast(),
                    _mm256_castsi256_si128(packed),
                );
            }
        }
    }

    /// Ring slot of logical row `l`.
    #[inline]
    fn slot(l: isize, n: usize) -> usize {
        l.rem_euclid(n as isize) as usize
    }

    /// Pointers to the first term row of the `N` ring slots around row `y`.
    fn ring_taps<const N: usize>(ring: &[i16], slot_len: usize, y: usize) -> [*const i16; N] {
        let half = (N / 2) as isize;
        std::array::from_fn(|k| {
            let l = y as isize - half + k as isize;
            ring[slot(l, N) * slot_len..].as_ptr()
        })
    }

    /// Vertical pass at scale `s` from the ring.
    ///
    /// # Safety
    /// AVX2; the ring's slots hold `terms * bw` samples.
    unsafe fn vertical(
        s: usize,
        y: usize,
        bw: usize,
        cross: bool,
        decimate: bool,
        work: &mut Work,
    ) {
        let terms = match (s, cross) {
            (0, false) => 2,
            (0, true) => 3,
            (_, false) => 3,
            (_, true) => 5,
        };
        let slot_len = terms * bw;
        assert!(work.ring.len() >= (2 * HALF[s] + 1) * slot_len);
        let (ring, rows, row_len) = (&work.ring, &mut work.rows, work.row_len);
        // SAFETY: AVX2 per the contract; every tap points at a whole slot (checked above).
        unsafe {
            match (s, cross) {
                (0, false) => {
                    vertical0::<false>(&ring_taps(ring, slot_len, y), bw, decimate, rows, row_len)
                }
                (0, true) => {
                    vertical0::<true>(&ring_taps(ring, slot_len, y), bw, decimate, rows, row_len)
                }
                (1, false) => vertical16::<9, 5, false>(
                    1,
                    &ring_taps(ring, slot_len, y),
                    bw,
                    decimate,
                    rows,
                    row_len,
                ),
                (1, true) => vertical16::<9, 5, true>(
                    1,
                    &ring_taps(ring, slot_len, y),
                    bw,
                    decimate,
                    rows,
                    row_len,
                ),
                (2, false) => vertical16::<5, 3, false>(
                    2,
                    &ring_taps(ring, slot_len, y),
                    bw,
                    decimate,
                    rows,
                    row_len,
                ),
                (2, true) => vertical16::<5, 3, true>(
                    2,
                    &ring_taps(ring, slot_len, y),
                    bw,
                    decimate,
                    rows,
                    row_len,
                ),
                (_, false) => vertical16::<3, 3, false>(
                    3,
                    &ring_taps(ring, slot_len, y),
                    bw,
                    false,
                    rows,
                    row_len,
                ),
                (_, true) => vertical16::<3, 3, true>(
                    3,
                    &ring_taps(ring, slot_len, y),
                    bw,
                    false,
                    rows,
                    row_len,
                ),
            }
        }
    }

    /// Mirror the margins of the filtered rows `which` at scale `s`, and of the row for
    /// decimation when `decimate`.
    fn pad_rows(work: &mut Work, which: &[usize], s: usize, w: usize, decimate: bool) {
        let row_len = work.row_len;
        for &i in which {
            mirror_pad(&mut work.rows[i * row_len..(i + 1) * row_len], w, HALF[s]);
        }
        if decimate {
            let row = &mut work.rows[DECIMATE * row_len..(DECIMATE + 1) * row_len];
            mirror_pad(row, w, HALF[s + 1]);
        }
    }

    /// The next scale's row `y / 2` from the row filtered for decimation.
    ///
    /// # Safety
    /// AVX2.
    unsafe fn decimate_next(s: usize, y: usize, geo: &Geometry, work: &Work, next: &mut [u16]) {
        let stride = geo.plane_stride(s + 1);
        let out = &mut next[y / 2 * stride..(y / 2 + 1) * stride];
        let row = &work.rows[DECIMATE * work.row_len..(DECIMATE + 1) * work.row_len];
        let wn = geo.w[s + 1];
        // SAFETY: AVX2 per the contract.
        unsafe {
            match s {
                0 => horizontal_decimate::<5>(1, row, wn, out),
                1 => horizontal_decimate::<3>(2, row, wn, out),
                _ => horizontal_decimate::<2>(3, row, wn, out),
            }
        }
    }

    /// One scale of the reference (see `portable::reference_scale`).
    ///
    /// # Safety
    /// AVX2.
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn reference_scale(
        s: usize,
        src: Single<'_>,
        geo: &Geometry,
        mu1: &mut [u32],
        sigma1: &mut [i32],
        mut next: Option<&mut [u16]>,
        work: &mut Work,
        table: &[u16],
    ) -> (i64, i64) {
        let (w, h, bw) = (geo.w[s], geo.h[s], geo.bw[s]);
        let half = HALF[s];
        let n = 2 * half + 1;
        let slot_len = if s == 0 { 2 } else { 3 } * bw;
        let fill = |l: isize, ring: &mut [i16]| {
            let y = mirror(l, h);
            let out = &mut ring[slot(l, n) * slot_len..(slot(l, n) + 1) * slot_len];
            // SAFETY: AVX2 per the contract.
            unsafe {
                match src {
                    Single::Luma(p) => terms0(p.row(y), None, bw, out),
                    Single::Wide(p) => terms16(Source::row(&p, y), None, bw, out),
                }
            }
        };
        for l in -(half as isize)..=half as isize {
            fill(l, &mut work.ring);
        }
        let (mut log, mut count) = (0i64, 0i64);
        for y in 0..h {
            if y > 0 {
                fill((y + half) as isize, &mut work.ring);
            }
            let decimate = next.is_some() && y % 2 == 0 && y / 2 < h / 2;
            let row_len = work.row_len;
            // SAFETY: AVX2 per the contract.
            unsafe { vertical(s, y, bw, false, decimate, work) };
            pad_rows(work, &[MEAN, SQ_HI, SQ_LO], s, w, decimate);
            let mu_out = &mut mu1[y * bw..(y + 1) * bw];
            let sigma_out = &mut sigma1[y * bw..(y + 1) * bw];
            // SAFETY: AVX2 per the contract.
            unsafe {
                match s {
                    0 => horizontal_reference::<9>(0, &work.rows, row_len, bw, mu_out, sigma_out),
                    1 => horizontal_reference::<5>(1, &work.rows, row_len, bw, mu_out, sigma_out),
                    2 => horizontal_reference::<3>(2, &work.rows, row_len, bw, mu_out, sigma_out),
                    _ => horizontal_reference::<2>(3, &work.rows, row_len, bw, mu_out, sigma_out),
                }
            }
            let (l, c) = den_row(sigma_out, w, table);
            log += l;
            count += c;
            if decimate && let Some(next) = next.as_deref_mut() {
                // SAFETY: AVX2 per the contract.
                unsafe { decimate_next(s, y, geo, work, next) };
            }
        }
        (log, count)
    }

    /// One scale of a distorted frame (see `portable::distorted_scale`).
    ///
    /// # Safety
    /// AVX2; `table` is the log table.
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn distorted_scale(
        s: usize,
        pair: Pair<'_>,
        geo: &Geometry,
        mu1: &[u32],
        sigma1: &[i32],
        mut next: Option<&mut [u16]>,
        work: &mut Work,
        table: &[u16],
        gain_limit: f64,
    ) -> (i64, i64) {
        let (w, h, bw) = (geo.w[s], geo.h[s], geo.bw[s]);
        let half = HALF[s];
        let n = 2 * half + 1;
        let slot_len = if s == 0 { 3 } else { 5 } * bw;
        let fill = |l: isize, ring: &mut [i16]| {
            let y = mirror(l, h);
            let out = &mut ring[slot(l, n) * slot_len..(slot(l, n) + 1) * slot_len];
            // SAFETY: AVX2 per the contract.
            unsafe {
                match pair {
                    Pair::Luma(r, d) => terms0(r.row(y), Some(d.row(y)), bw, out),
                    Pair::Wide(r, d) => {
                        terms16(Source::row(&r, y), Some(Source::row(&d, y)), bw, out)
                    }
                }
            }
        };
        for l in -(half as isize)..=half as isize {
            fill(l, &mut work.ring);
        }
        let (mut log, mut flat) = (0i64, 0i64);
        for y in 0..h {
            if y > 0 {
                fill((y + half) as isize, &mut work.ring);
            }
            let decimate = next.is_some() && y % 2 == 0 && y / 2 < h / 2;
            let row_len = work.row_len;
            // SAFETY: AVX2 per the contract.
            unsafe { vertical(s, y, bw, true, decimate, work) };
            pad_rows(work, &[MEAN, SQ_HI, SQ_LO, X_HI, X_LO], s, w, decimate);
            let mu1 = &mu1[y * bw..(y + 1) * bw];
            let sigma1 = &sigma1[y * bw..(y + 1) * bw];
            let (rows, g) = (&work.rows, &mut work.gain);
            // SAFETY: AVX2 per the contract.
            let (l, f) = unsafe {
                match s {
                    0 => horizontal_distorted::<9>(
                        0, rows, row_len, w, bw, mu1, sigma1, g, gain_limit, table,
                    ),
                    1 => horizontal_distorted::<5>(
                        1, rows, row_len, w, bw, mu1, sigma1, g, gain_limit, table,
                    ),
                    2 => horizontal_distorted::<3>(
                        2, rows, row_len, w, bw, mu1, sigma1, g, gain_limit, table,
                    ),
                    _ => horizontal_distorted::<2>(
                        3, rows, row_len, w, bw, mu1, sigma1, g, gain_limit, table,
                    ),
                }
            };
            log += l;
            flat += f;
            if decimate && let Some(next) = next.as_deref_mut() {
                // SAFETY: AVX2 per the contract.
                unsafe { decimate_next(s, y, geo, work, next) };
            }
        }
        (log, flat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::metrics::vmaf::libvmaf::{Extractor, features};
    use crate::measure::metrics::vmaf::test_pairs::{CLIPS, Pairs, clips_dir};

    /// The 12 compared features: scale score, numerator, denominator for scales 0..4.
    const KINDS: [&str; 3] = ["score", "num", "den"];

    /// libvmaf's names of the 12 features (`egl`: the gain limit's suffix when not default).
    fn names(egl: Option<&str>) -> Vec<String> {
        let mut v = Vec::new();
        for kind in KINDS {
            for s in 0..4 {
                v.push(match (kind, egl) {
                    ("score", None) => format!("VMAF_integer_feature_vif_scale{s}_score"),
                    ("score", Some(e)) => format!("integer_vif_scale{s}_egl_{e}"),
                    (k, None) => format!("integer_vif_{k}_scale{s}"),
                    (k, Some(e)) => format!("integer_vif_{k}_scale{s}_egl_{e}"),
                });
            }
        }
        v
    }

    /// libvmaf's 12 values per pair.
    fn oracle(pairs: &[(Plane<'_>, Plane<'_>)], gain_limit: f64) -> Option<Vec<Vec<f64>>> {
        let limit = format!("{gain_limit}");
        let default = gain_limit == 100.0;
        let mut options = vec![("debug", "true")];
        if !default {
            options.push(("vif_enhn_gain_limit", limit.as_str()));
        }
        let names = names((!default).then_some(limit.as_str()));
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let ex = Extractor {
            name: "vif",
            options: &options,
        };
        match features(&[ex], &names, pairs) {
            Ok(v) => Some(v),
            Err(e) => {
                eprintln!("libvmaf refused the pairs: {e}");
                None
            }
        }
    }

    /// Our 12 values per pair.
    fn ours(
        pairs: &[(Plane<'_>, Plane<'_>)],
        gain_limit: f64,
        ref_isa: Isa,
        dis_isa: Isa,
    ) -> Vec<Vec<f64>> {
        let (w, h) = (pairs[0].0.width(), pairs[0].0.height());
        let mut reference = VifReference::new(w, h);
        let mut scratch = VifScratch::new(w, h);
        pairs
            .iter()
            .map(|&(r, d)| {
                reference.compute_with(r, ref_isa);
                let v = vif_with(&reference, d, &mut scratch, gain_limit, dis_isa);
                let mut out: Vec<f64> = (0..4).map(|s| v.scale(s)).collect();
                out.extend(v.num);
                out.extend(v.den);
                out
            })
            .collect()
    }

    /// Largest absolute difference per feature, and how many values differ at all.
    #[derive(Default)]
    struct Diff {
        max: [f64; 12],
        differing: usize,
        values: usize,
    }

    impl Diff {
        fn add(&mut self, a: &[Vec<f64>], b: &[Vec<f64>]) {
            for (fa, fb) in a.iter().zip(b) {
                for k in 0..12 {
                    let d = (fa[k] - fb[k]).abs();
                    self.max[k] = self.max[k].max(d);
                    self.differing += usize::from(fa[k] != fb[k]);
                    self.values += 1;
                }
            }
        }

        fn report(&self, what: &str) {
            let names = names(None);
            eprintln!(
                "{what}: {} of {} values differ; max abs difference per feature:",
                self.differing, self.values
            );
            for (name, max) in names.iter().zip(self.max) {
                eprintln!("  {name:42} {max:.3e}");
            }
        }

        fn worst(&self) -> f64 {
            self.max.iter().copied().fold(0.0, f64::max)
        }
    }

    /// The crops checked on every clip: whole, 301x211, and an odd size near the whole.
    fn crops(w: usize, h: usize) -> [Option<(usize, usize)>; 3] {
        let odd_below = |n: usize| if n.is_multiple_of(2) { n - 1 } else { n - 2 };
        [None, Some((301, 211)), Some((odd_below(w), odd_below(h)))]
    }

    /// Compare against libvmaf on clips `clips`: 2 frames each from encodes at 240, 360, 540
    /// and the clip's own height, whole and cropped, default gain limit and 1.0.
    fn agree_on_clips(test: &str, clips: &[&str]) {
        let Some(dir) = clips_dir(test) else { return };
        let isa = Isa::detect();
        let mut diff = Diff::default();
        for clip in clips {
            // Every clip is taller than 240 lines: that encode also gives the clip's size.
            let first = Pairs::encode(&dir, clip, 2, 240, 24);
            let (cw, ch) = (
                first.reference[0].width() as usize,
                first.reference[0].height() as usize,
            );
            let mut encodes = vec![(240, first)];
            for (i, height) in [360, 540, ch as u32].into_iter().enumerate() {
                if height as usize <= ch && encodes.iter().all(|&(h, _)| h != height) {
                    encodes.push((
                        height,
                        Pairs::encode(&dir, clip, 2, height, 28 + 4 * i as u32),
                    ));
                }
            }
            for (height, pairs) in &encodes {
                for (c, crop) in crops(cw, ch).into_iter().enumerate() {
                    let luma = pairs.luma(crop);
                    for limit in [100.0, 1.0] {
                        if limit != 100.0 && c == 2 {
                            continue;
                        }
                        let Some(expected) = oracle(&luma, limit) else {
                            continue;
                        };
                        let got = ours(&luma, limit, isa, isa);
                        let mut one = Diff::default();
                        one.add(&got, &expected);
                        if one.differing > 0 {
                            eprintln!("{clip} at {height}, crop {crop:?}, limit {limit}:");
                            for (g, e) in got.iter().zip(&expected) {
                                eprintln!("  ours   {g:?}\n  libvmaf {e:?}");
                            }
                        }
                        diff.add(&got, &expected);
                    }
                }
            }
        }
        diff.report(&format!("{test} ({isa:?})"));
        assert!(diff.values > 0, "nothing compared");
        assert!(diff.worst() <= 1e-4, "worst difference {}", diff.worst());
    }

    /// A longer comparison (about a minute): 10 frames of every clip in the shared folder,
    /// strong and light compression, whole frames, both implementations.
    #[test]
    #[ignore]
    fn agrees_with_libvmaf_on_more_frames() {
        let Some(dir) = clips_dir("agrees_with_libvmaf_on_more_frames") else {
            return;
        };
        let mut clips: Vec<String> = std::fs::read_dir(&dir)
            .map(|d| {
                d.filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default();
        clips.retain(|c| c.ends_with(".mp4"));
        clips.sort();
        let mut diff = Diff::default();
        for clip in &clips {
            for (height, crf) in [(288, 45), (720, 16)] {
                let pairs = Pairs::encode(&dir, clip, 10, height, crf);
                let luma = pairs.luma(None);
                for limit in [100.0, 1.0] {
                    let Some(expected) = oracle(&luma, limit) else {
                        continue;
                    };
                    for isa in isas() {
                        diff.add(&ours(&luma, limit, isa, isa), &expected);
                    }
                }
            }
            eprintln!(
                "{clip}: {} values so far, {} differ",
                diff.values, diff.differing
            );
        }
        diff.report("more frames");
        assert!(
            diff.values > 0 && diff.worst() <= 1e-4,
            "worst difference {}",
            diff.worst()
        );
    }

    #[test]
    fn agrees_with_libvmaf_on_clips_a() {
        agree_on_clips("agrees_with_libvmaf_on_clips_a", &CLIPS[..3]);
    }

    #[test]
    fn agrees_with_libvmaf_on_clips_b() {
        agree_on_clips("agrees_with_libvmaf_on_clips_b", &CLIPS[3..]);
    }

    /// A textured plane: gradients, noise of varying strength, flat patches and edges.
    fn texture(w: usize, h: usize, seed: u32) -> Vec<u8> {
        let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(12345);
        let mut noise = move || {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 24) as i32 - 128
        };
        let mut v = vec![0u8; w * h];
        for y in 0..h {
            for x in 0..w {
                let base = (x * 160 / w + y * 60 / h) as i32 + 16;
                let strength = ((x / 7 + y / 5) % 4) as i32;
                let flat = (x / 24 + y / 24) % 5 == 0;
                let edge = if (x / 11 + y / 13) % 3 == 0 { 40 } else { 0 };
                let n = if flat { 0 } else { noise() * strength / 4 };
                v[y * w + x] = (base + edge + n).clamp(0, 255) as u8;
            }
        }
        v
    }

    /// Ways of distorting a plane.
    #[derive(Clone, Copy, Debug)]
    enum Distortion {
        /// A 3x3 box blur.
        Blur,
        /// Added noise.
        Noise,
        /// Contrast stretched around mid-grey (a gain above 1: enhancement).
        Contrast,
    }

    fn distort(src: &[u8], w: usize, h: usize, how: Distortion, seed: u32) -> Vec<u8> {
        let mut state = seed | 1;
        let mut out = vec![0u8; w * h];
        for y in 0..h {
            for x in 0..w {
                let at = |dx: isize, dy: isize| {
                    let xx = (x as isize + dx).clamp(0, w as isize - 1) as usize;
                    let yy = (y as isize + dy).clamp(0, h as isize - 1) as usize;
                    i32::from(src[yy * w + xx])
                };
                let v = match how {
                    Distortion::Blur => {
                        let mut sum = 0;
                        for dy in -1..=1 {
                            for dx in -1..=1 {
                                sum += at(dx, dy);
                            }
                        }
                        (sum + 4) / 9
                    }
                    Distortion::Noise => {
                        state ^= state << 13;
                        state ^= state >> 17;
                        state ^= state << 5;
                        at(0, 0) + (state % 21) as i32 - 10
                    }
                    Distortion::Contrast => (at(0, 0) - 128) * 3 / 2 + 128,
                };
                out[y * w + x] = v.clamp(0, 255) as u8;
            }
        }
        out
    }

    /// Owned reference and distorted planes.
    type Owned = Vec<(Vec<u8>, Vec<u8>)>;

    /// Synthetic pairs of one size: every distortion, two reference textures.
    fn synthetic(w: usize, h: usize) -> Owned {
        let mut v = Vec::new();
        for seed in [1, 2] {
            let r = texture(w, h, seed);
            for how in [Distortion::Blur, Distortion::Noise, Distortion::Contrast] {
                let d = distort(&r, w, h, how, seed + 7);
                v.push((r.clone(), d));
            }
        }
        v
    }

    fn planes(w: usize, h: usize, owned: &[(Vec<u8>, Vec<u8>)]) -> Vec<(Plane<'_>, Plane<'_>)> {
        owned
            .iter()
            .map(|(r, d)| (Plane::new(r, w, w, h), Plane::new(d, w, w, h)))
            .collect()
    }

    /// Every implementation available: portable, and AVX2 when the CPU has it.
    fn isas() -> Vec<Isa> {
        let mut v = vec![Isa::Portable];
        if Isa::detect() != Isa::Portable {
            v.push(Isa::detect());
        } else {
            eprintln!("no AVX2 on this CPU: only the portable kernels are checked");
        }
        v
    }

    #[test]
    fn small_and_odd_sizes_agree_with_libvmaf() {
        let mut diff = Diff::default();
        let mut compared = Vec::new();
        for (w, h) in [
            (16, 16),
            (17, 23),
            (32, 32),
            (33, 47),
            (47, 33),
            (64, 36),
            (95, 61),
            (130, 17),
        ] {
            let owned = synthetic(w, h);
            let pairs = planes(w, h, &owned);
            for limit in [100.0, 1.0] {
                let Some(expected) = oracle(&pairs, limit) else {
                    eprintln!("SKIP {w}x{h}: libvmaf does not score it");
                    continue;
                };
                compared.push((w, h));
                for isa in isas() {
                    let got = ours(&pairs, limit, isa, isa);
                    let mut one = Diff::default();
                    one.add(&got, &expected);
                    if one.differing > 0 {
                        eprintln!("{w}x{h} limit {limit} {isa:?}: {got:?}\n  vs {expected:?}");
                    }
                    diff.add(&got, &expected);
                }
            }
        }
        diff.report("small and odd sizes");
        assert!(
            compared.contains(&(32, 32)) && compared.contains(&(33, 47)),
            "{compared:?}"
        );
        assert!(diff.worst() <= 1e-4, "worst difference {}", diff.worst());
    }

    #[test]
    fn the_gain_limit_caps_enhancement_as_libvmaf_does() {
        let (w, h) = (120, 72);
        let r = texture(w, h, 3);
        let d = distort(&r, w, h, Distortion::Contrast, 5);
        let pairs = [(Plane::new(&r, w, w, h), Plane::new(&d, w, w, h))];
        let isa = Isa::detect();
        let mut scores = Vec::new();
        for limit in [100.0, 1.0, 1.2] {
            let got = ours(&pairs, limit, isa, isa);
            if let Some(expected) = oracle(&pairs, limit) {
                assert_eq!(got, expected, "gain limit {limit}");
            }
            scores.push(got[0][0]);
        }
        // Stretched contrast gains: the tighter the cap, the lower the score.
        assert!(scores[0] > scores[2] && scores[2] > scores[1], "{scores:?}");
    }

    #[test]
    fn portable_and_vector_kernels_agree() {
        let isas = isas();
        let cases: Vec<(usize, usize, Owned)> = [(16, 16), (33, 47), (200, 120)]
            .into_iter()
            .map(|(w, h)| (w, h, synthetic(w, h)))
            .collect();
        let clip = clips_dir("portable_and_vector_kernels_agree (clip part)")
            .map(|dir| Pairs::encode(&dir, CLIPS[4], 2, 240, 35));
        let mut all: Vec<Vec<(Plane<'_>, Plane<'_>)>> = cases
            .iter()
            .map(|(w, h, owned)| planes(*w, *h, owned))
            .collect();
        if let Some(p) = &clip {
            all.push(p.luma(None));
            all.push(p.luma(Some((301, 211))));
        }
        for pairs in &all {
            let (w, h) = (pairs[0].0.width(), pairs[0].0.height());
            for limit in [100.0, 1.0] {
                let baseline = ours(pairs, limit, Isa::Portable, Isa::Portable);
                for &a in &isas {
                    for &b in &isas {
                        assert_eq!(ours(pairs, limit, a, b), baseline, "{w}x{h} {a:?}/{b:?}");
                    }
                }
            }
            // The reference side itself: every stored value in reach of the scoring.
            let refs: Vec<VifReference> = isas
                .iter()
                .map(|&isa| {
                    let mut r = VifReference::new(w, h);
                    r.compute_with(pairs[0].0, isa);
                    r
                })
                .collect();
            let p = &refs[0];
            for q in &refs[1..] {
                assert_eq!((p.den_log, p.den_count), (q.den_log, q.den_count));
                for s in 0..4 {
                    let (ws, hs, bw) = (p.geo.w[s], p.geo.h[s], p.geo.bw[s]);
                    for y in 0..hs {
                        for x in 0..ws {
                            let i = y * bw + lane_pos(x);
                            assert_eq!(p.mu[s][i], q.mu[s][i], "mu1 {w}x{h} scale {s} ({x}, {y})");
                            assert_eq!(p.sigma[s][i], q.sigma[s][i], "sigma1 {w}x{h} scale {s}");
                        }
                    }
                    if s > 0 {
                        let stride = p.geo.plane_stride(s);
                        for y in 0..hs {
                            let row = y * stride..y * stride + ws;
                            assert_eq!(p.planes[s - 1][row.clone()], q.planes[s - 1][row]);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn identical_frames_score_one() {
        let (w, h) = (160, 90);
        let mut sources = vec![texture(w, h, 9), texture(w, h, 10)];
        sources.push(distort(&sources[0], w, h, Distortion::Blur, 1));
        for isa in isas() {
            for src in &sources {
                let p = Plane::new(src, w, w, h);
                let got = ours(&[(p, p)], 100.0, isa, isa);
                if let Some(expected) = oracle(&[(p, p)], 100.0) {
                    assert_eq!(got, expected);
                }
                for (s, score) in got[0][..4].iter().enumerate() {
                    // libvmaf's fixed point leaves a trace below 1: the gain is a hair under 1
                    // (the epsilon) and its square times sigma1^2 is truncated, and flat
                    // pixels subtract sigma2^2 / 127.5^2.
                    assert!((score - 1.0).abs() < 1e-5, "{isa:?} scale {s}: {score}");
                }
            }
        }
    }

    #[test]
    fn scoring_reuses_its_buffers() {
        let (w, h) = (97, 61);
        let owned = synthetic(w, h);
        let pairs = planes(w, h, &owned);
        for isa in isas() {
            let mut reference = VifReference::new(w, h);
            let mut scratch = VifScratch::new(w, h);
            let addresses = |r: &VifReference, s: &VifScratch| {
                let mut v = vec![r.luma.as_ptr() as usize, r.work.ring.as_ptr() as usize];
                v.extend(r.planes.iter().map(|p| p.as_ptr() as usize));
                v.extend(r.mu.iter().map(|p| p.as_ptr() as usize));
                v.extend(r.sigma.iter().map(|p| p.as_ptr() as usize));
                v.extend([r.work.rows.as_ptr() as usize, r.work.wide.as_ptr() as usize]);
                v.extend(s.planes.iter().map(|p| p.as_ptr() as usize));
                v.extend([s.work.ring.as_ptr() as usize, s.work.rows.as_ptr() as usize]);
                v.push(s.work.wide.as_ptr() as usize);
                v
            };
            let before = addresses(&reference, &scratch);
            let mut first = Vec::new();
            for round in 0..2 {
                for &(r, d) in &pairs {
                    reference.compute_with(r, isa);
                    let v = vif_with(&reference, d, &mut scratch, 100.0, isa);
                    if round == 0 {
                        first.push(v);
                    } else {
                        assert_eq!(v, first[first.len() - pairs.len()], "reuse changed a score");
                        first.rotate_left(1);
                    }
                }
            }
            assert_eq!(before, addresses(&reference, &scratch));
        }
    }

    #[test]
    fn the_reference_is_shared_across_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<VifReference>();
        shareable::<VifScores>();
    }

    #[test]
    fn storage_per_pixel() {
        let (w, h) = (1920, 1080);
        let r = VifReference::new(w, h);
        let s = VifScratch::new(w, h);
        let planes = |p: &[Vec<u16>; 3]| p.iter().map(|p| 2 * p.len()).sum::<usize>();
        let work = |k: &Work| 2 * k.ring.len() + 2 * k.rows.len() + 4 * k.wide.len();
        let per_pixel: usize = r.luma.len()
            + planes(&r.planes)
            + r.mu.iter().map(|m| 4 * m.len()).sum::<usize>()
            + r.sigma.iter().map(|m| 4 * m.len()).sum::<usize>();
        let px = (w * h) as f64;
        eprintln!(
            "1080p: VifReference {:.2} B/px (+{:.3} B/px row buffers), VifScratch {:.2} B/px (+{:.3} B/px row buffers)",
            per_pixel as f64 / px,
            work(&r.work) as f64 / px,
            planes(&s.planes) as f64 / px,
            work(&s.work) as f64 / px
        );
        assert!(per_pixel as f64 / px < 13.0);
    }

    /// Single-thread time per frame of the reference side, the distorted side and libvmaf's
    /// `vif` extractor alone, on a 720p clip (best of several runs).
    #[test]
    #[ignore]
    fn timing_720p() {
        let Some(dir) = clips_dir("timing_720p") else {
            return;
        };
        let frames = 6;
        let pairs = Pairs::encode(&dir, CLIPS[0], frames, 360, 30);
        let luma = pairs.luma(None);
        let (w, h) = (luma[0].0.width(), luma[0].0.height());
        let runs = 9;
        let best = |f: &mut dyn FnMut()| {
            (0..runs)
                .map(|_| {
                    let t = std::time::Instant::now();
                    f();
                    t.elapsed().as_secs_f64() * 1e3 / frames as f64
                })
                .fold(f64::INFINITY, f64::min)
        };
        for isa in isas() {
            let mut refs: Vec<VifReference> =
                luma.iter().map(|_| VifReference::new(w, h)).collect();
            let mut scratch = VifScratch::new(w, h);
            let compute = best(&mut || {
                for (r, (p, _)) in refs.iter_mut().zip(&luma) {
                    r.compute_with(*p, isa);
                }
            });
            let mut sink = 0.0;
            let score = best(&mut || {
                for (r, (_, d)) in refs.iter().zip(&luma) {
                    sink += vif_with(r, *d, &mut scratch, 100.0, isa).num[0];
                }
            });
            eprintln!(
                "{w}x{h} {isa:?}: VifReference::compute {compute:.3} ms/frame, vif {score:.3} ms/frame ({sink})"
            );
        }
        let ex = Extractor {
            name: "vif",
            options: &[],
        };
        let libvmaf = best(&mut || {
            let v = features(&[ex], &["VMAF_integer_feature_vif_scale0_score"], &luma);
            assert!(v.is_ok());
        });
        eprintln!(
            "{w}x{h} libvmaf vif extractor: {libvmaf:.3} ms/frame (including its picture copies)"
        );
    }
}
