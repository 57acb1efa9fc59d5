//! Per-coefficient arithmetic, shared by the portable kernels and the AVX2 kernels' tails:
//! the fixed-point filters, reciprocals, the enhancement gain, decoupling and masking.

use super::*;

/// Scale 0's column filters of four 8-bit samples: (low-pass, high-pass).
#[inline(always)]
pub(super) fn col_u8(p: [i32; 4]) -> (i16, i16) {
    let l = LO[0] * p[0] + LO[1] * p[1] + LO[2] * p[2] + LO[3] * p[3] - LO_CENTRE;
    let h = HI[0] * p[0] + HI[1] * p[1] + HI[2] * p[2] + HI[3] * p[3];
    (((l + 128) >> 8) as i16, ((h + 128) >> 8) as i16)
}

/// Scale 0's row filters of four column-filtered samples: (low-pass, high-pass).
#[inline(always)]
pub(super) fn row_i16(s: [i32; 4]) -> (i16, i16) {
    let l = LO[0] * s[0] + LO[1] * s[1] + LO[2] * s[2] + LO[3] * s[3];
    let h = HI[0] * s[0] + HI[1] * s[1] + HI[2] * s[2] + HI[3] * s[3];
    (((l + 32768) >> 16) as i16, ((h + 32768) >> 16) as i16)
}

/// The rounding and shift of the column and row filters at scales 1, 2 and 3.
pub(super) const COL_ROUND: [(i64, u32); 3] = [(0, 0), (32768, 16), (32768, 16)];
pub(super) const ROW_ROUND: [(i64, u32); 3] = [(16384, 15), (32768, 16), (16384, 15)];

/// A coarser scale's filters (columns or rows) of four samples: (low-pass, high-pass).
#[inline(always)]
pub(super) fn filt_n(s: [i64; 4], (round, sh): (i64, u32)) -> (i32, i32) {
    let l = LO.map(i64::from);
    let h = HI.map(i64::from);
    let vl = l[0] * s[0] + l[1] * s[1] + l[2] * s[2] + l[3] * s[3];
    let vh = h[0] * s[0] + h[1] * s[1] + h[2] * s[2] + h[3] * s[3];
    (((vl + round) >> sh) as i32, ((vh + round) >> sh) as i32)
}

/// `floor(2^30 / m)` for `m` in 1..=32768 (exact: the quotient's rounding error is far below
/// the distance `1/m` to the next integer).
#[inline(always)]
pub(super) fn recip_q30(m: i32) -> i32 {
    (1_073_741_824.0 / f64::from(m)) as i32
}

/// Scale 0's Q30 reciprocal of a reference coefficient, signed (0 for 0).
#[inline(always)]
pub(super) fn recip0(v: i32) -> i32 {
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
pub(super) fn recip_n(v: i32) -> (i32, u8) {
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
pub(super) trait Gain: Copy {
    /// Whether the gain is an integer (exact in integer arithmetic).
    const INTEGRAL: bool;
    fn int(self) -> i64;
    fn float(self) -> f64;
    fn up(self, r: i32, t: i32) -> i32;
    fn down(self, r: i32, t: i32) -> i32;
}

/// An integral gain (1 to 100): exact in integers.
#[derive(Clone, Copy)]
pub(super) struct IntGain(pub(super) i64);

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
pub(super) struct FloatGain(pub(super) f64);

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
pub(super) fn aligned(dot: f32, mag: f32, tmag: f32) -> bool {
    let dot = f64::from(dot);
    dot >= 0.0 && dot * dot >= f64::from(COS_1DEG_SQ) * f64::from(mag) * f64::from(tmag)
}

/// What the masking reads of one decoupled coefficient: the neighbour weight sum `f`, the
/// centre correction `d` and the weighted restored parts `x` (h, v, d).
pub(super) type Masked = (i32, i32, [i32; 3]);

/// Decouples, weights and masks one coefficient of scale 0. The dot products are exact in 32
/// bits: 8-bit input bounds every scale-0 coefficient by 22915 in magnitude.
#[inline(always)]
pub(super) fn decouple0_at<G: Gain>(
    gain: G,
    o: [i32; 3],
    rcp: [i32; 3],
    mag: f32,
    t: [i32; 3],
) -> Masked {
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
pub(super) fn decouple_n_at<G: Gain>(
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
pub(super) fn decouple_n_px<G: Gain>(
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
pub(super) struct CmParams {
    /// Left shift bringing the mask to the restored part's format.
    pub(super) mask_shift: [u32; 3],
    pub(super) sq_round: [i64; 3],
    pub(super) sq_shift: [u32; 3],
    pub(super) cube_round: [i64; 3],
    pub(super) cube_shift: [u32; 3],
    pub(super) row_round: i64,
    pub(super) row_shift: u32,
}

impl CmParams {
    pub(super) fn scale0(g: &Geom) -> Self {
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

    pub(super) fn scale_n(g: &Geom) -> Self {
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
pub(super) fn mask_at(thr: i32, x: [i32; 3], p: &CmParams) -> [i64; 3] {
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
pub(super) struct DenParams {
    pub(super) sq_round: u64,
    pub(super) sq_shift: u32,
    pub(super) cube_round: u64,
    pub(super) cube_shift: u32,
    pub(super) row_round: u64,
    pub(super) row_shift: u32,
    /// The binary exponent of the sums' unit.
    pub(super) exponent: u32,
}

impl DenParams {
    pub(super) fn new(g: &Geom, s: usize) -> Self {
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
