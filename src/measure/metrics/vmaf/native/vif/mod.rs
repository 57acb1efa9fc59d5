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
//! into 16-bit halves, with the offsets removed exactly afterwards (the `avx2` module
//! details them). The per-pixel logarithm terms are evaluated four at a time in double
//! precision with the same operations, in the same order, as libvmaf's scalar code.

use super::Isa;
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
                    avx2::reference_scale(s, src, &geo, mu, sigma, next, work, table)
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
                avx2::distorted_scale(s, pair, &geo, mu, sigma, next, work, table, gain_limit)
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
mod portable;

#[cfg(target_arch = "x86_64")]
mod avx2;

#[cfg(test)]
mod tests;
