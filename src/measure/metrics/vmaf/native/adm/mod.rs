//! ADM, the additive detail measure: the detail-loss half of DLM (Li, Zhang, Ma and Ngan,
//! "Image quality assessment by separately evaluating detail losses and additive impairments",
//! IEEE Trans. Multimedia 13(5), 2011) as VMAF uses it, computed on 8-bit luma exactly as
//! libvmaf 3.2.0's integer `adm` feature extractor does (the one the `vmaf_v0.6.1` models read).
//!
//! At each of four scales, finest first:
//! 1. **Wavelet**: one level of a separable 2-D Daubechies db2 transform (4-tap filters in Q15,
//!    columns first, then rows, both reflected at the edges) of the frame (scale 0) or of the
//!    previous scale's approximation band, giving the approximation and three detail bands
//!    (`h`, `v`, `d`).
//! 2. **Decoupling**: each distorted detail coefficient `t` is split into the part restored from
//!    the reference coefficient `o`, `r = clamp(t / o, 0, 1) * o`, and the additive impairment
//!    `a = t - r`. Where the (h, v) orientation vectors of `o` and `t` are within one degree,
//!    the restored part may exceed `o` (enhancement) up to `t`, limited to `gain * r`.
//! 3. **Contrast sensitivity**: both parts are weighted by the inverse of Watson et al.'s
//!    wavelet quantization noise threshold for the scale and orientation (a 1080-line display
//!    viewed at three times its height).
//! 4. **Contrast masking**: the weighted restored part, less a mask made from the weighted
//!    additive part (its 3x3 neighbourhood summed over the three orientations, 1/30 per
//!    neighbour and 1/15 at the centre), clamped at zero.
//! 5. **Pooling**: the cube root of the sum of cubes over the band less 10% on each side, plus
//!    a noise floor, summed over the orientations: the scale's numerator. The denominator is
//!    the same pooling of the reference's weighted coefficients (no masking).
//!
//! ADM2 is the sum of the numerators over the sum of the denominators. Every fixed-point width,
//! rounding and shift follows libvmaf's C code, so that the scores agree with it bit for bit.
//! libvmaf's own AVX2 and AVX-512 kernels depart from its C code on some frame widths: where a
//! band of scale 1 or coarser is one more than a multiple of 4 (AVX2) or 8 (AVX-512) wide, their
//! row filters read unreflected samples for its last column (1280, 1920, 3840 wide and many
//! others are not affected). Below 33 pixels a side libvmaf's transform reads outside its
//! buffers at scale 3; here the edges are reflected as at every other size.
//!
//! The reference's share (its bands at every scale, what decoupling needs of each reference
//! coefficient, and the denominators) is computed once per frame by
//! [`AdmReference::compute`] and read by every distorted frame scored against it by [`adm`].
//! Both stream the transform row by row; only the approximation bands and the reference's
//! decoupled region are kept whole. The kernels come portable and, on x86-64 CPUs that have
//! it, in AVX2, with the same results.

use super::Isa;
use crate::measure::metrics::Plane;

/// db2 low-pass analysis taps, Q15.
const LO: [i32; 4] = [15826, 27411, 7345, -4240];
/// db2 high-pass analysis taps, Q15.
const HI: [i32; 4] = [-4240, -7345, 27411, -15826];
/// 128 times the sum of the low-pass taps: centres 8-bit samples on zero in the first
/// low-pass filter.
const LO_CENTRE: i32 = 46342 * 128;

/// cos(1 degree) squared, rounded to `f32` (the decoupling's angle test).
const COS_1DEG_SQ: f32 = f32::from_bits(0x3f7f_ec0a);
/// Weight of the noise floor added to every pooled orientation, per pooled coefficient.
const NOISE_WEIGHT: f64 = 0.03125;
/// The pooling exponent's inverse, in `f32`.
const THIRD: f32 = 1.0 / 3.0;

/// Contrast sensitivity weights per scale for h/v and d: the inverse of Watson et al.'s
/// quantization threshold `Q = 2 a 10^(k log10(2^(scale+1) f0 g / r)^2) / A(scale, theta)`
/// (luma parameters a = 0.495, k = 0.466, f0 = 0.401, g = 1 for h/v and 0.534 for d; r the
/// display's 56.55 pixels per degree), as libvmaf rounds it to `f32`.
const CSF: [[u32; 2]; 4] = [
    [0x3c8e_63ba, 0x3bc1_06aa],
    [0x3d03_0286, 0x3c6a_46a3],
    [0x3d31_a788, 0x3cc7_dc06],
    [0x3d3b_140b, 0x3d00_41c9],
];
/// The cubes of [`CSF`] as `f64` (the denominator weights them after pooling).
const CSF_CUBED: [[u64; 2]; 4] = [
    [0x3ed6_0682_e40c_a298, 0x3e8b_6f67_955c_18e8],
    [0x3f01_27cb_41f4_4aab, 0x3ec8_8675_6205_41cb],
    [0x3f15_638d_e3f6_e459, 0x3eee_740a_f555_7bdc],
    [0x3f18_f9f6_fa0b_6d35, 0x3f00_18b8_0fef_e987],
];

/// Scale 0's weights in fixed point (Q21 for h and v, Q23 for d; libvmaf's constants), with
/// the rounding and shift that bring a weighted coefficient back to 16 bits.
const RF0: [i32; 3] = [36453, 36453, 49417];
const RF0_ROUND: [i32; 3] = [1 << 14, 1 << 14, 65535];
const RF0_SHIFT: [u32; 3] = [15, 15, 17];
/// The masking weights at scale 0: 1/30 (neighbours) and 1/15 (centre), Q17, shifted by 12.
const MASK0_NEIGHBOUR: i32 = 4369;
const MASK0_CENTRE: i32 = 8738;
/// The masking weights at scales 1 to 3, Q32.
const MASKN_NEIGHBOUR: i64 = 143_165_577;
const MASKN_CENTRE: i64 = 286_331_153;
/// The rounding term before the Q32 masking shift: libvmaf stores 2^31 in a signed 32-bit
/// integer, so it subtracts 2^31.
const MASKN_ROUND: i64 = -(1 << 31);

/// The weights of scale `s` (1 to 3) in Q32, for (h, v, d).
fn csf_q32(s: usize) -> [i64; 3] {
    let q = |bits: u32| (f64::from(f32::from_bits(bits)) * 4_294_967_296.0) as u32 as i64;
    [q(CSF[s][0]), q(CSF[s][0]), q(CSF[s][1])]
}

/// `2^e` (infinite past the `f64` range), `e` as libvmaf computes it in unsigned arithmetic.
fn pow2(e: u32) -> f64 {
    if e > 1023 {
        f64::INFINITY
    } else {
        f64::from_bits((u64::from(e) + 1023) << 52)
    }
}

/// `2^e` for a signed `e` in the normal range.
fn pow2_signed(e: i32) -> f64 {
    f64::from_bits(((e.clamp(-1022, 1023) + 1023) as u64) << 52)
}

/// `ceil(log2(n))` (0 for `n` up to 1).
fn ceil_log2(n: usize) -> u32 {
    if n <= 1 {
        0
    } else {
        usize::BITS - (n - 1).leading_zeros()
    }
}

/// The rounding term of a right shift by `sh` (none for no shift).
fn half(sh: u32) -> i64 {
    if sh == 0 { 0 } else { 1 << (sh - 1) }
}

/// Index `k` reflected into `0..n` the way the transform and the mask read past the edges:
/// -1 reads 1 (the edge is not repeated), `n` reads `n - 1` and `n + 1` reads `n - 2` (it is).
/// Clamped for bands narrower than three.
#[inline]
fn mirror(k: isize, n: usize) -> usize {
    let n = n as isize;
    let m = if k < 0 {
        -k
    } else if k >= n {
        2 * n - k - 1
    } else {
        k
    };
    m.clamp(0, (n - 1).max(0)) as usize
}

/// Columns (or rows) of the pooling window's border: `(int)(n * 0.1 - 0.5)`.
fn border(n: usize) -> usize {
    (n as f64 * 0.1 - 0.5) as usize
}

/// The sizes and windows of one scale.
#[derive(Debug, Clone, Copy, Default)]
struct Geom {
    /// The transform's input (the frame at scale 0, the previous approximation band after).
    in_w: usize,
    in_h: usize,
    /// The bands.
    w: usize,
    h: usize,
    /// The pooling window, `top..bottom` x `left..right`.
    top: usize,
    bottom: usize,
    left: usize,
    right: usize,
    /// The decoupled region: the pooling window grown by the mask's one-coefficient reach,
    /// clamped to the band.
    r0: usize,
    r1: usize,
    c0: usize,
    c1: usize,
}

impl Geom {
    fn new(in_w: usize, in_h: usize) -> Geom {
        let (w, h) = (in_w.div_ceil(2), in_h.div_ceil(2));
        let (left, top) = (border(w).min(w / 2), border(h).min(h / 2));
        let (right, bottom) = (w - left, h - top);
        Geom {
            in_w,
            in_h,
            w,
            h,
            top,
            bottom,
            left,
            right,
            r0: top.saturating_sub(1),
            r1: (bottom + 1).min(h),
            c0: left.saturating_sub(1),
            c1: (right + 1).min(w),
        }
    }

    /// The four scales of a `width` x `height` frame.
    fn scales(width: usize, height: usize) -> [Geom; 4] {
        let g0 = Geom::new(width, height);
        let g1 = Geom::new(g0.w, g0.h);
        let g2 = Geom::new(g1.w, g1.h);
        let g3 = Geom::new(g2.w, g2.h);
        [g0, g1, g2, g3]
    }

    /// Width of the decoupled region.
    fn rw(&self) -> usize {
        self.c1 - self.c0
    }

    /// Coefficients in the decoupled region.
    fn region(&self) -> usize {
        self.rw() * (self.r1 - self.r0)
    }

    /// Coefficients pooled.
    fn area(&self) -> usize {
        (self.bottom - self.top) * (self.right - self.left)
    }

    fn decouples_row(&self, i: usize) -> bool {
        (self.r0..self.r1).contains(&i)
    }

    fn pools_row(&self, i: usize) -> bool {
        (self.top..self.bottom).contains(&i)
    }

    /// The cube root of the noise floor added to each pooled orientation.
    fn noise(&self) -> f32 {
        ((self.area() as f64 * NOISE_WEIGHT) as f32).powf(THIRD)
    }

    /// The input rows one output row `i` reads, reflected.
    fn taps(&self, i: usize) -> [usize; 4] {
        let k = 2 * i as isize;
        [k - 1, k, k + 1, k + 2].map(|r| mirror(r, self.in_h))
    }
}

// ------------------------------------------------------------------------------------------
// Per-coefficient arithmetic, shared by the portable kernels and the SIMD kernels' tails.
// ------------------------------------------------------------------------------------------

/// Scale 0's column filters of four 8-bit samples: (low-pass, high-pass).
#[inline(always)]
fn col_u8(p: [i32; 4]) -> (i16, i16) {
    let l = LO[0] * p[0] + LO[1] * p[1] + LO[2] * p[2] + LO[3] * p[3] - LO_CENTRE;
    let h = HI[0] * p[0] + HI[1] * p[1] + HI[2] * p[2] + HI[3] * p[3];
    (((l + 128) >> 8) as i16, ((h + 128) >> 8) as i16)
}

/// Scale 0's row filters of four column-filtered samples: (low-pass, high-pass).
#[inline(always)]
fn row_i16(s: [i32; 4]) -> (i16, i16) {
    let l = LO[0] * s[0] + LO[1] * s[1] + LO[2] * s[2] + LO[3] * s[3];
    let h = HI[0] * s[0] + HI[1] * s[1] + HI[2] * s[2] + HI[3] * s[3];
    (((l + 32768) >> 16) as i16, ((h + 32768) >> 16) as i16)
}

/// The rounding and shift of the column and row filters at scales 1, 2 and 3.
const COL_ROUND: [(i64, u32); 3] = [(0, 0), (32768, 16), (32768, 16)];
const ROW_ROUND: [(i64, u32); 3] = [(16384, 15), (32768, 16), (16384, 15)];

/// A coarser scale's filters (columns or rows) of four samples: (low-pass, high-pass).
#[inline(always)]
fn filt_n(s: [i64; 4], (round, sh): (i64, u32)) -> (i32, i32) {
    let l = LO.map(i64::from);
    let h = HI.map(i64::from);
    let vl = l[0] * s[0] + l[1] * s[1] + l[2] * s[2] + l[3] * s[3];
    let vh = h[0] * s[0] + h[1] * s[1] + h[2] * s[2] + h[3] * s[3];
    (((vl + round) >> sh) as i32, ((vh + round) >> sh) as i32)
}

/// `floor(2^30 / m)` for `m` in 1..=32768 (exact: the quotient's rounding error is far below
/// the distance `1/m` to the next integer).
#[inline(always)]
fn recip_q30(m: i32) -> i32 {
    (1_073_741_824.0 / f64::from(m)) as i32
}

/// Scale 0's Q30 reciprocal of a reference coefficient, signed (0 for 0).
#[inline(always)]
fn recip0(v: i32) -> i32 {
    let q = recip_q30(v.abs().max(1));
    if v == 0 {
        0
    } else if v < 0 {
        -q
    } else {
        q
    }
}

/// A coarser scale's reciprocal of a reference coefficient: `|v|` rounded to 15 significant
/// bits and the shift that took, then the signed Q30 reciprocal of that (0 for 0).
#[inline(always)]
fn recip_n(v: i32) -> (i32, u8) {
    let m = v.unsigned_abs();
    let (m, sh) = if m < 32768 {
        (m, 0)
    } else {
        let sh = 17 - m.leading_zeros();
        ((m + (1 << (sh - 1))) >> sh, sh)
    };
    let q = recip_q30(m.max(1) as i32);
    let q = if v == 0 {
        0
    } else if v < 0 {
        -q
    } else {
        q
    };
    (q, sh as u8)
}

/// The enhancement gain limit applied to a restored coefficient `r` (in the direction of the
/// reference `o`) that the distorted `t` enhances: `min(gain * r, t)` for `o > 0`,
/// `max(gain * r, t)` for `o < 0`, truncated toward zero.
trait Gain: Copy {
    /// Whether the gain is an integer (exact in integer arithmetic).
    const INTEGRAL: bool;
    fn int(self) -> i64;
    fn float(self) -> f64;
    fn up(self, r: i32, t: i32) -> i32;
    fn down(self, r: i32, t: i32) -> i32;
}

/// An integral gain (1 to 100): exact in integers.
#[derive(Clone, Copy)]
struct IntGain(i64);

impl Gain for IntGain {
    const INTEGRAL: bool = true;
    fn int(self) -> i64 {
        self.0
    }
    fn float(self) -> f64 {
        self.0 as f64
    }
    #[inline(always)]
    fn up(self, r: i32, t: i32) -> i32 {
        (i64::from(r) * self.0).min(i64::from(t)) as i32
    }
    #[inline(always)]
    fn down(self, r: i32, t: i32) -> i32 {
        (i64::from(r) * self.0).max(i64::from(t)) as i32
    }
}

/// Any other gain, in `f64` as libvmaf computes it.
#[derive(Clone, Copy)]
struct FloatGain(f64);

impl Gain for FloatGain {
    const INTEGRAL: bool = false;
    fn int(self) -> i64 {
        self.0 as i64
    }
    fn float(self) -> f64 {
        self.0
    }
    #[inline(always)]
    fn up(self, r: i32, t: i32) -> i32 {
        let g = f64::from(r) * self.0;
        (if g < f64::from(t) { g } else { f64::from(t) }) as i32
    }
    #[inline(always)]
    fn down(self, r: i32, t: i32) -> i32 {
        let g = f64::from(r) * self.0;
        (if g > f64::from(t) { g } else { f64::from(t) }) as i32
    }
}

/// `true` where the (h, v) vectors of the reference (`|o|^2 = mag`) and the distorted
/// coefficient (`o . t = dot`, `|t|^2 = tmag`), all rounded to `f32`, are within one degree:
/// `dot >= 0` and `dot^2 >= cos^2(1 deg) |o|^2 |t|^2`, in `f64` as libvmaf tests it.
#[inline(always)]
fn aligned(dot: f32, mag: f32, tmag: f32) -> bool {
    let dot = f64::from(dot);
    dot >= 0.0 && dot * dot >= f64::from(COS_1DEG_SQ) * f64::from(mag) * f64::from(tmag)
}

/// What the masking reads of one decoupled coefficient: the neighbour weight sum `f`, the
/// centre correction `d` and the weighted restored parts `x` (h, v, d).
type Masked = (i32, i32, [i32; 3]);

/// Decouples, weights and masks one coefficient of scale 0. The dot products are exact in 32
/// bits: 8-bit input bounds every scale-0 coefficient by 22915 in magnitude.
#[inline(always)]
fn decouple0_at<G: Gain>(gain: G, o: [i32; 3], rcp: [i32; 3], mag: f32, t: [i32; 3]) -> Masked {
    let dot = o[0]
        .wrapping_mul(t[0])
        .wrapping_add(o[1].wrapping_mul(t[1]));
    let tmag = t[0]
        .wrapping_mul(t[0])
        .wrapping_add(t[1].wrapping_mul(t[1]));
    let angle = aligned(dot as f32, mag, tmag as u32 as f32);
    let (mut f, mut c, mut x) = (0i32, 0i32, [0i32; 3]);
    for k in 0..3 {
        let (o, t, rc) = (o[k], t[k], rcp[k]);
        // The ratio t / o in Q15, `(rc * t + 2^14) >> 15`, split to stay in 32 bits.
        let q = (rc >> 15) * t + (((rc & 0x7fff) * t + 16384) >> 15);
        let q = if o == 0 { 32768 } else { q.clamp(0, 32768) };
        let r = i32::from(((q * o + 16384) >> 15) as i16);
        let enhanced = angle && q > 0;
        let r = if enhanced && o > 0 {
            gain.up(r, t)
        } else if enhanced && o < 0 {
            gain.down(r, t)
        } else {
            r
        };
        let r = i32::from(r as i16);
        let a = i32::from((t - r) as i16);
        let w = i32::from(((RF0[k] * a + RF0_ROUND[k]) >> RF0_SHIFT[k]) as i16).abs();
        f += i32::from(((MASK0_NEIGHBOUR * w + 2048) >> 12) as i16);
        c += i32::from(((MASK0_CENTRE * w + 2048) >> 12) as i16);
        x[k] = r * RF0[k];
    }
    (f, c - f, x)
}

/// Decouples, weights and masks one coefficient of scale 1, 2 or 3 (`w`: the scale's weights,
/// Q32; `angle` from [`aligned`]).
#[inline(always)]
fn decouple_n_at<G: Gain>(
    gain: G,
    o: [i32; 3],
    rcp: [i32; 3],
    shift: [u8; 3],
    angle: bool,
    t: [i32; 3],
    w: [i64; 3],
) -> Masked {
    let (mut f, mut c, mut x) = (0i32, 0i32, [0i32; 3]);
    for k in 0..3 {
        let (ok, tk) = (o[k], t[k]);
        let (o, t) = (i64::from(ok), i64::from(tk));
        let sh = u32::from(shift[k]);
        let q = (i64::from(rcp[k]) * t + (1 << (14 + sh))) >> (15 + sh);
        let q = if o == 0 { 32768 } else { q.clamp(0, 32768) };
        let r = ((q * o + 16384) >> 15) as i32;
        let enhanced = angle && q > 0;
        let r = if enhanced && o > 0 {
            gain.up(r, tk)
        } else if enhanced && o < 0 {
            gain.down(r, tk)
        } else {
            r
        };
        let a = i64::from(tk.wrapping_sub(r));
        let cw = i64::from((((w[k] * a + (1 << 27)) >> 28) as i32).wrapping_abs());
        f = f.wrapping_add(((MASKN_NEIGHBOUR * cw + MASKN_ROUND) >> 32) as i32);
        c = c.wrapping_add(((MASKN_CENTRE * cw + MASKN_ROUND) >> 32) as i32);
        x[k] = ((i64::from(r) * w[k] + (1 << 27)) >> 28) as i32;
    }
    (f, c.wrapping_sub(f), x)
}

/// [`decouple_n_at`] of coefficient `j` of a reference row and the distorted bands' row.
#[inline(always)]
fn decouple_n_px<G: Gain>(
    gain: G,
    rr: &RefRow<'_>,
    t: [&[i32]; 3],
    w: [i64; 3],
    j: usize,
) -> Masked {
    let o = [rr.o[0][j], rr.o[1][j], rr.o[2][j]];
    let tj = [t[0][j], t[1][j], t[2][j]];
    let (oh, ov, th, tv) = (o[0], o[1], tj[0], tj[1]).map_i64();
    let dot = oh.wrapping_mul(th).wrapping_add(ov.wrapping_mul(tv));
    let tmag = th.wrapping_mul(th).wrapping_add(tv.wrapping_mul(tv));
    let angle = aligned(dot as f32, rr.mag[j], tmag as f32);
    let rc = [rr.rcp[0][j], rr.rcp[1][j], rr.rcp[2][j]];
    let sh = [rr.shift[0][j], rr.shift[1][j], rr.shift[2][j]];
    decouple_n_at(gain, o, rc, sh, angle, tj, w)
}

/// Fixed-point constants of one scale's masked pooling, per orientation.
#[derive(Clone, Copy)]
struct CmParams {
    /// Left shift bringing the mask to the restored part's format.
    mask_shift: [u32; 3],
    sq_round: [i64; 3],
    sq_shift: [u32; 3],
    cube_round: [i64; 3],
    cube_shift: [u32; 3],
    row_round: i64,
    row_shift: u32,
}

impl CmParams {
    fn scale0(g: &Geom) -> Self {
        let (c4, c3) = (
            ceil_log2(g.w).saturating_sub(4),
            ceil_log2(g.w).saturating_sub(3),
        );
        let row_shift = ceil_log2(g.h);
        CmParams {
            mask_shift: [10, 10, 12],
            sq_round: [1 << 28, 1 << 28, 1 << 29],
            sq_shift: [29, 29, 30],
            cube_round: [half(c4), half(c4), half(c3)],
            cube_shift: [c4, c4, c3],
            row_round: half(row_shift),
            row_shift,
        }
    }

    fn scale_n(g: &Geom) -> Self {
        let c = ceil_log2(g.w);
        let row_shift = ceil_log2(g.h);
        CmParams {
            mask_shift: [0; 3],
            sq_round: [1 << 29; 3],
            sq_shift: [30; 3],
            cube_round: [half(c); 3],
            cube_shift: [c; 3],
            row_round: half(row_shift),
            row_shift,
        }
    }
}

/// The masked, cubed restored part of one coefficient per orientation, given its mask `thr`.
#[inline(always)]
fn mask_at(thr: i32, x: [i32; 3], p: &CmParams) -> [i64; 3] {
    let mut out = [0i64; 3];
    for k in 0..3 {
        let e = x[k]
            .wrapping_abs()
            .wrapping_sub(thr << p.mask_shift[k])
            .max(0);
        let e = i64::from(e);
        let sq = i64::from(((e * e + p.sq_round[k]) >> p.sq_shift[k]) as i32);
        out[k] = (sq * e + p.cube_round[k]) >> p.cube_shift[k];
    }
    out
}

/// Fixed-point constants of a coarser scale's denominator.
struct DenParams {
    sq_round: u64,
    sq_shift: u32,
    cube_round: u64,
    cube_shift: u32,
    row_round: u64,
    row_shift: u32,
    /// The binary exponent of the sums' unit.
    exponent: u32,
}

impl DenParams {
    fn new(g: &Geom, s: usize) -> Self {
        let sq_shift = [31, 30, 31][s - 1];
        let cube_shift = ceil_log2(g.right - g.left);
        let row_shift = ceil_log2(g.bottom - g.top);
        DenParams {
            // libvmaf adds a whole unit here, not a half.
            sq_round: 1 << sq_shift,
            sq_shift,
            cube_round: half(cube_shift) as u64,
            cube_shift,
            row_round: half(row_shift) as u64,
            row_shift,
            exponent: [32u32, 27, 23][s - 1]
                .wrapping_sub(row_shift)
                .wrapping_sub(cube_shift),
        }
    }
}

// ------------------------------------------------------------------------------------------
// The kernels: whole rows.
// ------------------------------------------------------------------------------------------

/// Scratch rows of the transform.
struct Rows<T> {
    /// Column-filtered rows (low-pass, high-pass), padded by [`pad`].
    lo: Vec<T>,
    hi: Vec<T>,
    /// One row of each detail band: h, v, d.
    band: [Vec<T>; 3],
}

impl<T: Copy + Default> Rows<T> {
    fn new(in_w: usize, w: usize) -> Self {
        Rows {
            lo: vec![T::default(); in_w + 3],
            hi: vec![T::default(); in_w + 3],
            band: std::array::from_fn(|_| vec![T::default(); w]),
        }
    }
}

/// Fills the reflected taps of a row buffer whose samples are `buf[1..=n]`: `buf[0]` is
/// sample -1, `buf[n + 1]` and `buf[n + 2]` are samples `n` and `n + 1`.
#[inline(always)]
fn pad<T: Copy>(buf: &mut [T], n: usize) {
    buf[0] = buf[1 + mirror(-1, n)];
    buf[n + 1] = buf[1 + mirror(n as isize, n)];
    buf[n + 2] = buf[1 + mirror(n as isize + 1, n)];
}

/// What decoupling reads of each reference coefficient in the decoupled region, row-major,
/// `Geom::rw` wide.
struct RefBands<T> {
    /// The coefficients: h, v, d.
    o: [Vec<T>; 3],
    /// Their reciprocals in Q30, `sign(o) * floor(2^30 / m)`, where `m` is `|o|` (scale 0) or
    /// `|o|` rounded to 15 significant bits (scales 1 to 3); 0 for `o = 0`.
    rcp: [Vec<i32>; 3],
    /// The right shift that rounding to 15 bits took (scales 1 to 3; empty at scale 0).
    shift: [Vec<u8>; 3],
    /// `h^2 + v^2`, rounded to `f32`.
    mag: Vec<f32>,
}

impl<T: Copy + Default> RefBands<T> {
    fn new(g: &Geom, shifts: bool) -> Self {
        let n = g.region();
        RefBands {
            o: std::array::from_fn(|_| vec![T::default(); n]),
            rcp: std::array::from_fn(|_| vec![0; n]),
            shift: std::array::from_fn(|_| vec![0; if shifts { n } else { 0 }]),
            mag: vec![0.0; n],
        }
    }

    #[cfg(test)]
    fn bytes(&self) -> usize {
        let n = self.mag.len();
        n * (3 * std::mem::size_of::<T>() + 3 * 4 + 4) + 3 * self.shift[0].len()
    }
}

/// One decoupled row, in the decoupled region's columns: what the masking reads.
struct MaskRow {
    /// Sum over the orientations of the weighted additive part's neighbour weights (1/30).
    f: Vec<i32>,
    /// The centre's correction: the sum of the centre weights (1/15) less `f`.
    d: Vec<i32>,
    /// The weighted restored part, h, v, d.
    x: [Vec<i32>; 3],
}

impl MaskRow {
    fn new(n: usize) -> Self {
        MaskRow {
            f: vec![0; n],
            d: vec![0; n],
            x: std::array::from_fn(|_| vec![0; n]),
        }
    }

    #[inline(always)]
    fn set(&mut self, j: usize, (f, d, x): Masked) {
        self.f[j] = f;
        self.d[j] = d;
        self.x[0][j] = x[0];
        self.x[1][j] = x[1];
        self.x[2][j] = x[2];
    }
}

/// One reference row of a coarser scale, as decoupling reads it.
struct RefRow<'a> {
    o: [&'a [i32]; 3],
    rcp: [&'a [i32]; 3],
    shift: [&'a [u8]; 3],
    mag: &'a [f32],
}

impl<'a> RefRow<'a> {
    fn of(b: &'a RefBands<i32>, at: usize, n: usize) -> Self {
        let r = at..at + n;
        RefRow {
            o: [0, 1, 2].map(|k| &b.o[k][r.clone()]),
            rcp: [0, 1, 2].map(|k| &b.rcp[k][r.clone()]),
            shift: [0, 1, 2].map(|k| &b.shift[k][r.clone()]),
            mag: &b.mag[r],
        }
    }
}

/// The row kernels, in one instruction set. Every implementation gives the same results.
trait Kernels {
    /// One output row of scale 0 from four (reflected) frame rows: the approximation into
    /// `a`, the detail bands into `rows.band`.
    fn dwt_row_u8(src: [&[u8]; 4], rows: &mut Rows<i16>, a: &mut [i16]);
    /// One output row of scale 1 from four (reflected) rows of scale 0's approximation.
    fn dwt_row_i16(src: [&[i16]; 4], rows: &mut Rows<i32>, a: &mut [i32]);
    /// One output row of scale `s` (2 or 3) from four rows of the previous approximation.
    fn dwt_row_i32(src: [&[i32]; 4], s: usize, rows: &mut Rows<i32>, a: &mut [i32]);
    /// Stores one row of scale 0's reference coefficients at `at` in `dst`.
    fn store_ref0(band: [&[i16]; 3], dst: &mut RefBands<i16>, at: usize);
    /// Adds one row of scale 0's denominator sums (pooled columns of the reference bands).
    fn den_row0(band: [&[i16]; 3], round: u64, sh: u32, tot: &mut [u64; 3]);
    /// Decouples one row of scale 0 (decoupled region's columns).
    fn decouple_row0<G: Gain>(
        gain: G,
        o: [&[i16]; 3],
        rcp: [&[i32]; 3],
        mag: &[f32],
        t: [&[i16]; 3],
        out: &mut MaskRow,
    );
    /// Decouples one row of a coarser scale.
    fn decouple_row_n<G: Gain>(
        gain: G,
        r: &RefRow<'_>,
        t: [&[i32]; 3],
        w: [i64; 3],
        out: &mut MaskRow,
    );
    /// The masked pooling of one row: `v` holds the vertical sums of the mask weights with a
    /// reflected column on each side (`v[q + 1]` for region column `q`); pools region columns
    /// `lo..hi`, adding each orientation's row sum (rounded, shifted) to `tot`.
    fn mask_row(v: &[i32], cur: &MaskRow, lo: usize, hi: usize, p: &CmParams, tot: &mut [i64; 3]);
}

/// Widens four `i32` to `i64`.
trait MapI64 {
    fn map_i64(self) -> (i64, i64, i64, i64);
}

impl MapI64 for (i32, i32, i32, i32) {
    #[inline(always)]
    fn map_i64(self) -> (i64, i64, i64, i64) {
        (self.0.into(), self.1.into(), self.2.into(), self.3.into())
    }
}

mod portable;
use portable::{Portable, mask_sums};

// ------------------------------------------------------------------------------------------
// AVX2 kernels.
// ------------------------------------------------------------------------------------------

#[cfg(target_arch = "x86_64")]
mod avx2;

#[cfg(target_arch = "x86_64")]
use avx2::Avx2;

// ------------------------------------------------------------------------------------------
// The transform driver, the reference's share and the distorted side.
// ------------------------------------------------------------------------------------------

/// The approximation bands a transform keeps for the next scale, and its scratch rows.
struct Pyramid {
    rows0: Rows<i16>,
    rows: Rows<i32>,
    /// Scale 0's approximation band.
    a0: Vec<i16>,
    /// Scales 1 and 2's approximation bands.
    a1: Vec<i32>,
    a2: Vec<i32>,
    /// One row of scale 3's approximation (not used).
    a3: Vec<i32>,
}

impl Pyramid {
    fn new(g: &[Geom; 4]) -> Self {
        Pyramid {
            rows0: Rows::new(g[0].in_w, g[0].w),
            rows: Rows::new(g[1].in_w, g[1].w),
            a0: vec![0; g[0].w * g[0].h],
            a1: vec![0; g[1].w * g[1].h],
            a2: vec![0; g[2].w * g[2].h],
            a3: vec![0; g[3].w],
        }
    }

    #[cfg(test)]
    fn bytes(&self) -> usize {
        let r16 = &self.rows0;
        let r32 = &self.rows;
        2 * (r16.lo.len() + r16.hi.len() + r16.band.iter().map(Vec::len).sum::<usize>())
            + 4 * (r32.lo.len() + r32.hi.len() + r32.band.iter().map(Vec::len).sum::<usize>())
            + 2 * self.a0.len()
            + 4 * (self.a1.len() + self.a2.len() + self.a3.len())
    }
}

/// Runs the transform of scale 0 over the frame, keeping the approximation in `a` and handing
/// each row of detail bands to `each(row, [h, v, d])`.
#[inline(always)]
fn transform_0<K: Kernels>(
    luma: Plane<'_>,
    g: &Geom,
    rows: &mut Rows<i16>,
    a: &mut [i16],
    mut each: impl FnMut(usize, [&[i16]; 3]),
) {
    for i in 0..g.h {
        let src = g.taps(i).map(|r| luma.row(r));
        K::dwt_row_u8(src, rows, &mut a[i * g.w..(i + 1) * g.w]);
        let [bh, bv, bd] = &rows.band;
        each(i, [&bh[..g.w], &bv[..g.w], &bd[..g.w]]);
    }
}

/// Runs the transform of scale `s` (1 to 3) over the previous approximation band (`a0` at
/// scale 1, `a1` at 2, `a2` at 3), keeping the approximation in the next (one row of `a3` at
/// scale 3) and handing each row of detail bands to `each`.
#[inline(always)]
fn transform_n<K: Kernels>(
    pyramid: &mut Pyramid,
    g: &Geom,
    s: usize,
    mut each: impl FnMut(usize, [&[i32]; 3]),
) {
    let Pyramid {
        rows,
        a0,
        a1,
        a2,
        a3,
        ..
    } = pyramid;
    let input_row = |r: usize| r * g.in_w..(r + 1) * g.in_w;
    for i in 0..g.h {
        let taps = g.taps(i);
        match s {
            1 => K::dwt_row_i16(
                taps.map(|r| &a0[input_row(r)]),
                rows,
                &mut a1[i * g.w..(i + 1) * g.w],
            ),
            2 => K::dwt_row_i32(
                taps.map(|r| &a1[input_row(r)]),
                2,
                rows,
                &mut a2[i * g.w..(i + 1) * g.w],
            ),
            _ => K::dwt_row_i32(taps.map(|r| &a2[input_row(r)]), 3, rows, &mut a3[..g.w]),
        }
        let [bh, bv, bd] = &rows.band;
        each(i, [&bh[..g.w], &bv[..g.w], &bd[..g.w]]);
    }
}

/// A scale's denominator from its pooled sums of cubes (`unit`: the sums' scale).
fn den_score(tot: [u64; 3], unit: f64, s: usize, g: &Geom) -> f32 {
    let nz = g.noise();
    let cubed = [CSF_CUBED[s][0], CSF_CUBED[s][0], CSF_CUBED[s][1]].map(f64::from_bits);
    let d = |t: usize| ((tot[t] as f64 / unit * cubed[t]) as f32).powf(THIRD) + nz;
    d(0) + d(1) + d(2)
}

/// Adds one row of a coarser scale's denominator sums.
#[inline(always)]
fn den_row_n(band: [&[i32]; 3], p: &DenParams, tot: &mut [u64; 3]) {
    for (t, b) in band.iter().enumerate() {
        let mut acc = 0u64;
        for &x in *b {
            let x = u64::from(x.unsigned_abs());
            acc += ((((x * x) + p.sq_round) >> p.sq_shift) * x + p.cube_round) >> p.cube_shift;
        }
        tot[t] += (acc + p.row_round) >> p.row_shift;
    }
}

/// Stores one row of a coarser scale's reference coefficients.
#[inline(always)]
fn store_ref_n(band: [&[i32]; 3], dst: &mut RefBands<i32>, at: usize) {
    let n = band[0].len();
    for (k, b) in band.iter().enumerate() {
        let b = &b[..n];
        dst.o[k][at..at + n].copy_from_slice(b);
        let rcp = &mut dst.rcp[k][at..at + n];
        let shift = &mut dst.shift[k][at..at + n];
        for j in 0..n {
            (rcp[j], shift[j]) = recip_n(b[j]);
        }
    }
    let (h, v) = (&band[0][..n], &band[1][..n]);
    let mag = &mut dst.mag[at..at + n];
    for j in 0..n {
        let (h, v) = (i64::from(h[j]), i64::from(v[j]));
        // Wrapping like the distorted side's `|t|^2` (only reachable past 8-bit input).
        mag[j] = h.wrapping_mul(h).wrapping_add(v.wrapping_mul(v)) as f32;
    }
}

/// The reference side of ADM for one frame at all four scales, computed once and read by every
/// distorted frame scored against it. Reusable across frames without allocating.
pub struct AdmReference {
    width: usize,
    height: usize,
    geom: [Geom; 4],
    isa: Isa,
    s0: RefBands<i16>,
    sn: [RefBands<i32>; 3],
    /// Each scale's denominator.
    den: [f32; 4],
    pyramid: Pyramid,
}

impl AdmReference {
    /// Buffers for `width` x `height` frames (nothing computed yet).
    pub fn new(width: usize, height: usize) -> Self {
        let geom = Geom::scales(width, height);
        AdmReference {
            width,
            height,
            geom,
            isa: Isa::detect(),
            s0: RefBands::new(&geom[0], false),
            sn: std::array::from_fn(|s| RefBands::new(&geom[s + 1], true)),
            den: [0.0; 4],
            pyramid: Pyramid::new(&geom),
        }
    }

    /// Bytes of the buffers held.
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.s0.bytes() + self.sn.iter().map(RefBands::bytes).sum::<usize>() + self.pyramid.bytes()
    }

    /// Prepare for scoring against `luma`, the luma plane of the reference frame.
    ///
    /// # Panics
    /// If `luma` is not the size given to [`AdmReference::new`].
    pub fn compute(&mut self, luma: Plane<'_>) {
        assert!(
            luma.width() == self.width && luma.height() == self.height,
            "ADM reference is {}x{}, the plane {}x{}",
            self.width,
            self.height,
            luma.width(),
            luma.height()
        );
        match self.isa {
            Isa::Portable => compute_impl::<Portable>(self, luma),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Isa::Avx2` is only chosen when the CPU has AVX2.
            Isa::Avx2 => unsafe { compute_avx2(self, luma) },
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn compute_avx2(r: &mut AdmReference, luma: Plane<'_>) {
    compute_impl::<Avx2>(r, luma)
}

#[inline(always)]
fn compute_impl<K: Kernels>(r: &mut AdmReference, luma: Plane<'_>) {
    if r.width == 0 || r.height == 0 {
        r.den = [0.0; 4];
        return;
    }
    let AdmReference {
        geom,
        s0,
        sn,
        den,
        pyramid,
        ..
    } = r;

    // Scale 0.
    let g = geom[0];
    let sh = (ceil_log2(g.area()) as i32 - 20).max(0);
    let round = half(sh as u32) as u64;
    let mut tot = [0u64; 3];
    transform_0::<K>(luma, &g, &mut pyramid.rows0, &mut pyramid.a0, |i, band| {
        if g.decouples_row(i) {
            K::store_ref0(band.map(|b| &b[g.c0..g.c1]), s0, (i - g.r0) * g.rw());
        }
        if g.pools_row(i) {
            K::den_row0(
                band.map(|b| &b[g.left..g.right]),
                round,
                sh as u32,
                &mut tot,
            );
        }
    });
    den[0] = den_score(tot, pow2_signed(18 - sh), 0, &g);

    // Scales 1 to 3.
    for s in 1..4 {
        let g = geom[s];
        let p = DenParams::new(&g, s);
        let mut tot = [0u64; 3];
        let dst = &mut sn[s - 1];
        transform_n::<K>(pyramid, &g, s, |i, band| {
            if g.decouples_row(i) {
                store_ref_n(band.map(|b| &b[g.c0..g.c1]), dst, (i - g.r0) * g.rw());
            }
            if g.pools_row(i) {
                den_row_n(band.map(|b| &b[g.left..g.right]), &p, &mut tot);
            }
        });
        den[s] = den_score(tot, pow2(p.exponent), s, &g);
    }
}

/// Per-scorer scratch buffers (one per distorted stream), so scoring allocates nothing.
pub struct AdmScratch {
    width: usize,
    height: usize,
    isa: Isa,
    pyramid: Pyramid,
    /// Decoupled rows, by row index modulo 3.
    ring: [MaskRow; 3],
    /// One row of vertical mask sums, with a reflected column on each side.
    v: Vec<i32>,
}

impl AdmScratch {
    /// Buffers for scoring `width` x `height` frames.
    pub fn new(width: usize, height: usize) -> Self {
        let geom = Geom::scales(width, height);
        let n = geom[0].rw();
        AdmScratch {
            width,
            height,
            isa: Isa::detect(),
            pyramid: Pyramid::new(&geom),
            ring: std::array::from_fn(|_| MaskRow::new(n)),
            v: vec![0; n + 2],
        }
    }

    /// Bytes of the buffers held.
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.pyramid.bytes() + 4 * (self.v.len() + 15 * self.ring[0].f.len())
    }
}

/// ADM scores of one frame: each scale's numerator and denominator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdmScores {
    /// Numerator per scale (finest first): the masked, pooled restored detail.
    pub num: [f64; 4],
    /// Denominator per scale: the pooled reference detail.
    pub den: [f64; 4],
}

impl AdmScores {
    /// libvmaf's VMAF_integer_feature_adm2_score.
    ///
    /// The sum of the scales' numerators over the sum of their denominators (1 when the
    /// denominator is zero). libvmaf also zeroes sums below `1e-10` times the frame's share of
    /// 1920x1080, which no sum reaches: each includes the noise floor, over 1.
    pub fn adm2(&self) -> f64 {
        let num = self.num.iter().fold(0.0, |a, b| a + b);
        let den = self.den.iter().fold(0.0, |a, b| a + b);
        if den == 0.0 { 1.0 } else { num / den }
    }

    /// libvmaf's integer_adm_scale{s}.
    ///
    /// # Panics
    /// If `s` is not 0 to 3.
    pub fn scale(&self, s: usize) -> f64 {
        self.num[s] / self.den[s]
    }
}

/// ADM of `distorted` (same size) against the prepared reference.
///
/// `enhn_gain_limit` is libvmaf's `adm_enhn_gain_limit` (100 by default, 1 for the
/// `v0.6.1neg` model; libvmaf accepts 1 to 100).
///
/// # Panics
/// If `distorted` or `scratch` is not the reference's size.
pub fn adm(
    reference: &AdmReference,
    distorted: Plane<'_>,
    scratch: &mut AdmScratch,
    enhn_gain_limit: f64,
) -> AdmScores {
    let (w, h) = (reference.width, reference.height);
    assert!(
        distorted.width() == w && distorted.height() == h,
        "ADM reference is {w}x{h}, the distorted plane {}x{}",
        distorted.width(),
        distorted.height()
    );
    assert!(
        scratch.width == w && scratch.height == h,
        "ADM reference is {w}x{h}, the scratch {}x{}",
        scratch.width,
        scratch.height
    );
    let integral = enhn_gain_limit.fract() == 0.0 && (1.0..=100.0).contains(&enhn_gain_limit);
    let isa = scratch.isa;
    macro_rules! run {
        ($gain:expr) => {
            match isa {
                Isa::Portable => score_impl::<Portable, _>(reference, distorted, scratch, $gain),
                #[cfg(target_arch = "x86_64")]
                // SAFETY: `Isa::Avx2` is only chosen when the CPU has AVX2.
                Isa::Avx2 => unsafe { score_avx2(reference, distorted, scratch, $gain) },
            }
        };
    }
    if integral {
        run!(IntGain(enhn_gain_limit as i64))
    } else {
        run!(FloatGain(enhn_gain_limit))
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn score_avx2<G: Gain>(r: &AdmReference, dis: Plane<'_>, s: &mut AdmScratch, gain: G) -> AdmScores {
    score_impl::<Avx2, G>(r, dis, s, gain)
}

/// The masked pooling of row `c` of a scale from the ring of decoupled rows.
#[inline(always)]
fn mask_ring<K: Kernels>(
    ring: &[MaskRow; 3],
    v: &mut [i32],
    c: usize,
    g: &Geom,
    p: &CmParams,
    tot: &mut [i64; 3],
) {
    let n = g.rw();
    let prev = &ring[mirror(c as isize - 1, g.h) % 3].f[..n];
    let next = &ring[mirror(c as isize + 1, g.h) % 3].f[..n];
    let cur = &ring[c % 3];
    mask_sums(prev, &cur.f, next, v, (g.left == 0, g.right == g.w));
    K::mask_row(v, cur, g.left - g.c0, g.right - g.c0, p, tot);
}

#[inline(always)]
fn score_impl<K: Kernels, G: Gain>(
    r: &AdmReference,
    dis: Plane<'_>,
    s: &mut AdmScratch,
    gain: G,
) -> AdmScores {
    let mut scores = AdmScores {
        num: [0.0; 4],
        den: r.den.map(f64::from),
    };
    if r.width == 0 || r.height == 0 {
        return scores;
    }
    let AdmScratch {
        pyramid, ring, v, ..
    } = s;

    // Scale 0.
    let g = r.geom[0];
    let p = CmParams::scale0(&g);
    let mut tot = [0i64; 3];
    let rb = &r.s0;
    transform_0::<K>(dis, &g, &mut pyramid.rows0, &mut pyramid.a0, |i, band| {
        if g.decouples_row(i) {
            let at = (i - g.r0) * g.rw();
            let n = g.rw();
            K::decouple_row0(
                gain,
                [0, 1, 2].map(|k| &rb.o[k][at..at + n]),
                [0, 1, 2].map(|k| &rb.rcp[k][at..at + n]),
                &rb.mag[at..at + n],
                band.map(|b| &b[g.c0..g.c1]),
                &mut ring[i % 3],
            );
        }
        if i >= 1 && g.pools_row(i - 1) {
            mask_ring::<K>(ring, v, i - 1, &g, &p, &mut tot);
        }
    });
    if g.pools_row(g.h - 1) {
        mask_ring::<K>(ring, v, g.h - 1, &g, &p, &mut tot);
    }
    scores.num[0] = f64::from(num_score0(tot, &g));

    // Scales 1 to 3.
    for sc in 1..4 {
        let g = r.geom[sc];
        let p = CmParams::scale_n(&g);
        let w = csf_q32(sc);
        let rb = &r.sn[sc - 1];
        let mut tot = [0i64; 3];
        transform_n::<K>(pyramid, &g, sc, |i, band| {
            if g.decouples_row(i) {
                let rr = RefRow::of(rb, (i - g.r0) * g.rw(), g.rw());
                let t = band.map(|b| &b[g.c0..g.c1]);
                K::decouple_row_n(gain, &rr, t, w, &mut ring[i % 3]);
            }
            if i >= 1 && g.pools_row(i - 1) {
                mask_ring::<K>(ring, v, i - 1, &g, &p, &mut tot);
            }
        });
        if g.pools_row(g.h - 1) {
            mask_ring::<K>(ring, v, g.h - 1, &g, &p, &mut tot);
        }
        scores.num[sc] = f64::from(num_score_n(tot, sc, &g));
    }
    scores
}

/// Scale 0's numerator from its pooled sums.
fn num_score0(tot: [i64; 3], g: &Geom) -> f32 {
    let p = CmParams::scale0(g);
    let nz = g.noise();
    let n = |k: usize, bits: u32| {
        let e = bits.wrapping_sub(p.cube_shift[k]).wrapping_sub(p.row_shift);
        ((tot[k] as f64 / pow2(e)) as f32).powf(THIRD) + nz
    };
    n(0, 52) + n(1, 52) + n(2, 57)
}

/// A coarser scale's numerator from its pooled sums.
fn num_score_n(tot: [i64; 3], s: usize, g: &Geom) -> f32 {
    let p = CmParams::scale_n(g);
    let nz = g.noise();
    let e = [45u32, 39, 36][s - 1]
        .wrapping_sub(p.cube_shift[0])
        .wrapping_sub(p.row_shift);
    let unit = pow2(e) as f32;
    let n = |k: usize| (tot[k] as f32 / unit).powf(THIRD) + nz;
    n(0) + n(1) + n(2)
}

#[cfg(test)]
mod tests;
