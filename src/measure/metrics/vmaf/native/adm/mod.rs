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

mod coefficient;
mod rows;
use coefficient::*;
use rows::*;

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
