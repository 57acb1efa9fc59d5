use super::portable::{add_row, mask_tail};
use super::*;
use std::arch::x86_64::*;

/// 8 `i32` from the start of `s`.
#[inline]
#[target_feature(enable = "avx2")]
fn ld(s: &[i32]) -> __m256i {
    let s = &s[..8];
    // SAFETY: `s` holds 8 readable `i32`.
    unsafe { _mm256_loadu_si256(s.as_ptr().cast()) }
}

#[inline]
#[target_feature(enable = "avx2")]
fn st(d: &mut [i32], v: __m256i) {
    let d = &mut d[..8];
    // SAFETY: `d` holds 8 writable `i32`.
    unsafe { _mm256_storeu_si256(d.as_mut_ptr().cast(), v) }
}

/// 16 `i16` from the start of `s`.
#[inline]
#[target_feature(enable = "avx2")]
fn ld16(s: &[i16]) -> __m256i {
    let s = &s[..16];
    // SAFETY: `s` holds 16 readable `i16`.
    unsafe { _mm256_loadu_si256(s.as_ptr().cast()) }
}

#[inline]
#[target_feature(enable = "avx2")]
fn st16(d: &mut [i16], v: __m256i) {
    let d = &mut d[..16];
    // SAFETY: `d` holds 16 writable `i16`.
    unsafe { _mm256_storeu_si256(d.as_mut_ptr().cast(), v) }
}

/// 8 `i16` from the start of `s`.
#[inline]
#[target_feature(enable = "avx2")]
fn ld16x8(s: &[i16]) -> __m128i {
    let s = &s[..8];
    // SAFETY: `s` holds 8 readable `i16`.
    unsafe { _mm_loadu_si128(s.as_ptr().cast()) }
}

/// 16 bytes from the start of `s`.
#[inline]
#[target_feature(enable = "avx2")]
fn ld8x16(s: &[u8]) -> __m128i {
    let s = &s[..16];
    // SAFETY: `s` holds 16 readable bytes.
    unsafe { _mm_loadu_si128(s.as_ptr().cast()) }
}

/// 8 `f32` from the start of `s`.
#[inline]
#[target_feature(enable = "avx2")]
fn ldf(s: &[f32]) -> __m256 {
    let s = &s[..8];
    // SAFETY: `s` holds 8 readable `f32`.
    unsafe { _mm256_loadu_ps(s.as_ptr()) }
}

#[inline]
#[target_feature(enable = "avx2")]
fn stf(d: &mut [f32], v: __m256) {
    let d = &mut d[..8];
    // SAFETY: `d` holds 8 writable `f32`.
    unsafe { _mm256_storeu_ps(d.as_mut_ptr(), v) }
}

/// Two `i16` as the pair `madd` multiplies a pair of samples by.
#[inline]
#[target_feature(enable = "avx2")]
fn pair(a: i32, b: i32) -> __m256i {
    _mm256_set1_epi32((a & 0xffff) | (b << 16))
}

/// Sign-extends the low 16 bits of each `i32` lane (a cast to `i16` and back).
#[inline]
#[target_feature(enable = "avx2")]
fn wrap16(x: __m256i) -> __m256i {
    _mm256_srai_epi32::<16>(_mm256_slli_epi32::<16>(x))
}

/// Arithmetic right shift of 64-bit lanes by `n` (0 to 63): AVX2 has only the logical
/// one, so the sign bit is biased away and back.
#[inline]
#[target_feature(enable = "avx2")]
fn sra64(x: __m256i, n: __m128i) -> __m256i {
    let b = _mm256_set1_epi64x(i64::MIN);
    _mm256_sub_epi64(
        _mm256_srl_epi64(_mm256_xor_si256(x, b), n),
        _mm256_srl_epi64(b, n),
    )
}

/// A shift count.
#[inline]
#[target_feature(enable = "avx2")]
fn count(n: u32) -> __m128i {
    _mm_cvtsi32_si128(n as i32)
}

/// The low 32 bits of each 64-bit lane of `lo` and of `hi`, in order (8 `i32`).
#[inline]
#[target_feature(enable = "avx2")]
fn low_halves(lo: __m256i, hi: __m256i) -> __m256i {
    let idx = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
    let a = _mm256_permutevar8x32_epi32(lo, idx);
    let b = _mm256_permutevar8x32_epi32(hi, idx);
    _mm256_permute2x128_si256::<0x20>(a, b)
}

/// Sign-extends 8 `i32` to two vectors of 4 `i64` (lanes 0 to 3, 4 to 7).
#[inline]
#[target_feature(enable = "avx2")]
fn widen(x: __m256i) -> [__m256i; 2] {
    [
        _mm256_cvtepi32_epi64(_mm256_castsi256_si128(x)),
        _mm256_cvtepi32_epi64(_mm256_extracti128_si256::<1>(x)),
    ]
}

/// Sum of the four 64-bit lanes.
#[inline]
#[target_feature(enable = "avx2")]
fn hsum64(x: __m256i) -> i64 {
    let s = _mm_add_epi64(_mm256_castsi256_si128(x), _mm256_extracti128_si256::<1>(x));
    _mm_cvtsi128_si64(s).wrapping_add(_mm_extract_epi64::<1>(s))
}

/// The 16-bit row filters (see `rows16_portable`), 16 outputs at a time.
#[inline]
#[target_feature(enable = "avx2")]
fn rows16(src: &[i16], lo: &mut [i16], hi: &mut [i16]) {
    let w = lo.len();
    let (src, hi) = (&src[..2 * w + 2], &mut hi[..w]);
    let (l01, l23) = (pair(LO[0], LO[1]), pair(LO[2], LO[3]));
    let (h01, h23) = (pair(HI[0], HI[1]), pair(HI[2], HI[3]));
    let round = _mm256_set1_epi32(32768);
    let mut j = 0;
    while j + 16 <= w {
        let a0 = ld16(&src[2 * j..]);
        let b0 = ld16(&src[2 * j + 2..]);
        let a1 = ld16(&src[2 * j + 16..]);
        let b1 = ld16(&src[2 * j + 18..]);
        for (c01, c23, out) in [(l01, l23, &mut *lo), (h01, h23, &mut *hi)] {
            let r0 = _mm256_add_epi32(_mm256_madd_epi16(a0, c01), _mm256_madd_epi16(b0, c23));
            let r1 = _mm256_add_epi32(_mm256_madd_epi16(a1, c01), _mm256_madd_epi16(b1, c23));
            let r0 = _mm256_srai_epi32::<16>(_mm256_add_epi32(r0, round));
            let r1 = _mm256_srai_epi32::<16>(_mm256_add_epi32(r1, round));
            let packed = _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_packs_epi32(r0, r1));
            st16(&mut out[j..], packed);
        }
        j += 16;
    }
    for j in j..w {
        let s = [src[2 * j], src[2 * j + 1], src[2 * j + 2], src[2 * j + 3]];
        (lo[j], hi[j]) = row_i16(s.map(i32::from));
    }
}

/// Scale 0's transform row (see `Kernels::dwt_row_u8`).
#[target_feature(enable = "avx2")]
pub(super) fn dwt_row_u8(src: [&[u8]; 4], rows: &mut Rows<i16>, a: &mut [i16]) {
    let n = src[0].len();
    let s = src.map(|r| &r[..n]);
    {
        let lo = &mut rows.lo[1..n + 1];
        let hi = &mut rows.hi[1..n + 1];
        let (l01, l23) = (pair(LO[0], LO[1]), pair(LO[2], LO[3]));
        let (h01, h23) = (pair(HI[0], HI[1]), pair(HI[2], HI[3]));
        let lo_off = _mm256_set1_epi32(128 - LO_CENTRE);
        let hi_off = _mm256_set1_epi32(128);
        let mut j = 0;
        while j + 16 <= n {
            let p = [0, 1, 2, 3].map(|k| _mm256_cvtepu8_epi16(ld8x16(&s[k][j..])));
            let u01 = [
                _mm256_unpacklo_epi16(p[0], p[1]),
                _mm256_unpackhi_epi16(p[0], p[1]),
            ];
            let u23 = [
                _mm256_unpacklo_epi16(p[2], p[3]),
                _mm256_unpackhi_epi16(p[2], p[3]),
            ];
            for (c01, c23, off, out) in [(l01, l23, lo_off, &mut *lo), (h01, h23, hi_off, &mut *hi)]
            {
                let half = |u: usize| {
                    let v = _mm256_add_epi32(
                        _mm256_madd_epi16(u01[u], c01),
                        _mm256_madd_epi16(u23[u], c23),
                    );
                    _mm256_srai_epi32::<8>(_mm256_add_epi32(v, off))
                };
                st16(&mut out[j..], _mm256_packs_epi32(half(0), half(1)));
            }
            j += 16;
        }
        for j in j..n {
            (lo[j], hi[j]) = col_u8([s[0][j], s[1][j], s[2][j], s[3][j]].map(i32::from));
        }
    }
    pad(&mut rows.lo, n);
    pad(&mut rows.hi, n);
    let [bh, bv, bd] = &mut rows.band;
    rows16(&rows.lo, a, bv);
    rows16(&rows.hi, bh, bd);
}

/// The 32-bit row filters (see `rows32_portable`), 8 outputs at a time in 64-bit lanes.
#[inline]
#[target_feature(enable = "avx2")]
fn rows32(src: &[i32], (round, sh): (i64, u32), lo: &mut [i32], hi: &mut [i32]) {
    let w = lo.len();
    let (src, hi) = (&src[..2 * w + 2], &mut hi[..w]);
    let lc = LO.map(|c| _mm256_set1_epi64x(i64::from(c)));
    let hc = HI.map(|c| _mm256_set1_epi64x(i64::from(c)));
    let r = _mm256_set1_epi64x(round);
    let n = count(sh);
    let mut j = 0;
    while j + 8 <= w {
        let mut res = [[_mm256_setzero_si256(); 2]; 2];
        for g in 0..2 {
            let a = ld(&src[2 * j + 8 * g..]);
            let b = ld(&src[2 * j + 8 * g + 2..]);
            let s = [a, _mm256_srli_epi64::<32>(a), b, _mm256_srli_epi64::<32>(b)];
            for (f, c) in [lc, hc].iter().enumerate() {
                let mut acc = r;
                for k in 0..4 {
                    acc = _mm256_add_epi64(acc, _mm256_mul_epi32(s[k], c[k]));
                }
                // Only the low halves are kept: a logical shift leaves them as the
                // arithmetic one does.
                res[f][g] = _mm256_srl_epi64(acc, n);
            }
        }
        st(&mut lo[j..], low_halves(res[0][0], res[0][1]));
        st(&mut hi[j..], low_halves(res[1][0], res[1][1]));
        j += 8;
    }
    for j in j..w {
        let s = [src[2 * j], src[2 * j + 1], src[2 * j + 2], src[2 * j + 3]];
        (lo[j], hi[j]) = filt_n(s.map(i64::from), (round, sh));
    }
}

/// Pads the column-filtered rows and runs a coarser scale's row filters.
#[inline]
#[target_feature(enable = "avx2")]
fn finish_rows_n(rows: &mut Rows<i32>, n: usize, s: usize, a: &mut [i32]) {
    pad(&mut rows.lo, n);
    pad(&mut rows.hi, n);
    let [bh, bv, bd] = &mut rows.band;
    let r = ROW_ROUND[s - 1];
    rows32(&rows.lo, r, a, bv);
    rows32(&rows.hi, r, bh, bd);
}

/// Scale 1's column filters: its 16-bit input keeps every sum within 32 bits (no shift).
#[target_feature(enable = "avx2")]
pub(super) fn dwt_row_i16(src: [&[i16]; 4], rows: &mut Rows<i32>, a: &mut [i32]) {
    let n = src[0].len();
    let s = src.map(|r| &r[..n]);
    {
        let lo = &mut rows.lo[1..n + 1];
        let hi = &mut rows.hi[1..n + 1];
        let lc = LO.map(|c| _mm256_set1_epi32(c));
        let hc = HI.map(|c| _mm256_set1_epi32(c));
        let mut j = 0;
        while j + 8 <= n {
            let p = [0, 1, 2, 3].map(|k| _mm256_cvtepi16_epi32(ld16x8(&s[k][j..])));
            let (mut l, mut h) = (_mm256_setzero_si256(), _mm256_setzero_si256());
            for k in 0..4 {
                l = _mm256_add_epi32(l, _mm256_mullo_epi32(p[k], lc[k]));
                h = _mm256_add_epi32(h, _mm256_mullo_epi32(p[k], hc[k]));
            }
            st(&mut lo[j..], l);
            st(&mut hi[j..], h);
            j += 8;
        }
        for j in j..n {
            let p = [s[0][j], s[1][j], s[2][j], s[3][j]].map(i64::from);
            (lo[j], hi[j]) = filt_n(p, COL_ROUND[0]);
        }
    }
    finish_rows_n(rows, n, 1, a);
}

/// Scales 2 and 3's column filters, in 64-bit lanes.
#[target_feature(enable = "avx2")]
pub(super) fn dwt_row_i32(src: [&[i32]; 4], sc: usize, rows: &mut Rows<i32>, a: &mut [i32]) {
    let n = src[0].len();
    let s = src.map(|r| &r[..n]);
    {
        let lo = &mut rows.lo[1..n + 1];
        let hi = &mut rows.hi[1..n + 1];
        let lc = LO.map(|c| _mm256_set1_epi64x(i64::from(c)));
        let hc = HI.map(|c| _mm256_set1_epi64x(i64::from(c)));
        let (round, sh) = COL_ROUND[sc - 1];
        let r = _mm256_set1_epi64x(round);
        let cnt = count(sh);
        let mut j = 0;
        while j + 8 <= n {
            let p = [0, 1, 2, 3].map(|k| ld(&s[k][j..]));
            let po = p.map(|x| _mm256_srli_epi64::<32>(x));
            let mut res = [_mm256_setzero_si256(); 2];
            for (f, c) in [lc, hc].iter().enumerate() {
                let (mut even, mut odd) = (r, r);
                for k in 0..4 {
                    even = _mm256_add_epi64(even, _mm256_mul_epi32(p[k], c[k]));
                    odd = _mm256_add_epi64(odd, _mm256_mul_epi32(po[k], c[k]));
                }
                // Only the low halves are kept (see `rows32`).
                let (even, odd) = (_mm256_srl_epi64(even, cnt), _mm256_srl_epi64(odd, cnt));
                res[f] = _mm256_blend_epi32::<0b1010_1010>(even, _mm256_slli_epi64::<32>(odd));
            }
            st(&mut lo[j..], res[0]);
            st(&mut hi[j..], res[1]);
            j += 8;
        }
        for j in j..n {
            let p = [s[0][j], s[1][j], s[2][j], s[3][j]].map(i64::from);
            (lo[j], hi[j]) = filt_n(p, (round, sh));
        }
    }
    finish_rows_n(rows, n, sc, a);
}

/// `x` as `f32`, exact for the values a sum of two squares of `i16` takes (up to 2^31).
#[inline]
#[target_feature(enable = "avx2")]
fn squares_f32(x: __m256i) -> __m256 {
    let f = _mm256_cvtepi32_ps(x);
    let wrapped = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_setzero_si256(), x));
    _mm256_blendv_ps(f, _mm256_set1_ps(2_147_483_648.0), wrapped)
}

/// Scale 0's reference row (see `Kernels::store_ref0`).
#[target_feature(enable = "avx2")]
pub(super) fn store_ref0(band: [&[i16]; 3], dst: &mut RefBands<i16>, at: usize) {
    let n = band[0].len();
    let q30 = _mm256_set1_pd(1_073_741_824.0);
    let one = _mm256_set1_epi32(1);
    for (k, b) in band.iter().enumerate() {
        let b = &b[..n];
        dst.o[k][at..at + n].copy_from_slice(b);
        let rcp = &mut dst.rcp[k][at..at + n];
        let mut j = 0;
        while j + 8 <= n {
            let v = _mm256_cvtepi16_epi32(ld16x8(&b[j..]));
            let m = _mm256_max_epi32(_mm256_abs_epi32(v), one);
            let half = |x: __m128i| _mm256_cvttpd_epi32(_mm256_div_pd(q30, _mm256_cvtepi32_pd(x)));
            let q = _mm256_set_m128i(
                half(_mm256_extracti128_si256::<1>(m)),
                half(_mm256_castsi256_si128(m)),
            );
            st(&mut rcp[j..], _mm256_sign_epi32(q, v));
            j += 8;
        }
        for j in j..n {
            rcp[j] = recip0(i32::from(b[j]));
        }
    }
    let (h, v) = (&band[0][..n], &band[1][..n]);
    let mag = &mut dst.mag[at..at + n];
    let mut j = 0;
    while j + 8 <= n {
        let (hx, vx) = (ld16x8(&h[j..]), ld16x8(&v[j..]));
        let pairs = _mm256_set_m128i(_mm_unpackhi_epi16(hx, vx), _mm_unpacklo_epi16(hx, vx));
        stf(&mut mag[j..], squares_f32(_mm256_madd_epi16(pairs, pairs)));
        j += 8;
    }
    for j in j..n {
        let (h, v) = (i64::from(h[j]), i64::from(v[j]));
        mag[j] = (h * h + v * v) as f32;
    }
}

/// Scale 0's denominator row (see `Kernels::den_row0`).
#[target_feature(enable = "avx2")]
pub(super) fn den_row0(band: [&[i16]; 3], round: u64, sh: u32, tot: &mut [u64; 3]) {
    for (k, b) in band.iter().enumerate() {
        let n = b.len();
        let mut acc = _mm256_setzero_si256();
        let mut j = 0;
        while j + 8 <= n {
            let x = _mm256_cvtepu16_epi32(_mm_abs_epi16(ld16x8(&b[j..])));
            let sq = _mm256_mullo_epi32(x, x);
            let even = _mm256_mul_epu32(sq, x);
            let odd = _mm256_mul_epu32(_mm256_srli_epi64::<32>(sq), _mm256_srli_epi64::<32>(x));
            acc = _mm256_add_epi64(acc, _mm256_add_epi64(even, odd));
            j += 8;
        }
        let mut sum = hsum64(acc) as u64;
        for &x in &b[j..] {
            let x = u64::from(x.unsigned_abs());
            sum += x * x * x;
        }
        tot[k] += (sum + round) >> sh;
    }
}

/// The angle test (see `aligned`) of 8 coefficients, as 8 `i32` masks.
#[inline]
#[target_feature(enable = "avx2")]
fn aligned8(dot: __m256, mag: __m256, tmag: __m256) -> __m256i {
    let cos = _mm256_set1_pd(f64::from(COS_1DEG_SQ));
    let zero = _mm256_setzero_pd();
    let test = |d: __m128, m: __m128, t: __m128| {
        let (d, m, t) = (_mm256_cvtps_pd(d), _mm256_cvtps_pd(m), _mm256_cvtps_pd(t));
        let rhs = _mm256_mul_pd(_mm256_mul_pd(cos, m), t);
        _mm256_and_pd(
            _mm256_cmp_pd::<_CMP_GE_OQ>(_mm256_mul_pd(d, d), rhs),
            _mm256_cmp_pd::<_CMP_GE_OQ>(d, zero),
        )
    };
    let lo = test(
        _mm256_castps256_ps128(dot),
        _mm256_castps256_ps128(mag),
        _mm256_castps256_ps128(tmag),
    );
    let hi = test(
        _mm256_extractf128_ps::<1>(dot),
        _mm256_extractf128_ps::<1>(mag),
        _mm256_extractf128_ps::<1>(tmag),
    );
    let picked = _mm256_shuffle_ps::<0b10_00_10_00>(_mm256_castpd_ps(lo), _mm256_castpd_ps(hi));
    _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_castps_si256(picked))
}

/// The gain limit on 8 restored coefficients that fit 16 bits: (for `o > 0`, for `o < 0`).
#[inline]
#[target_feature(enable = "avx2")]
fn gain8<G: Gain>(gain: G, r: __m256i, t: __m256i) -> (__m256i, __m256i) {
    if G::INTEGRAL {
        let m = _mm256_mullo_epi32(r, _mm256_set1_epi32(gain.int() as i32));
        (_mm256_min_epi32(m, t), _mm256_max_epi32(m, t))
    } else {
        let g = _mm256_set1_pd(gain.float());
        let part = |r: __m128i, t: __m128i| {
            let (m, t) = (
                _mm256_mul_pd(_mm256_cvtepi32_pd(r), g),
                _mm256_cvtepi32_pd(t),
            );
            let up = _mm256_blendv_pd(t, m, _mm256_cmp_pd::<_CMP_LT_OQ>(m, t));
            let down = _mm256_blendv_pd(t, m, _mm256_cmp_pd::<_CMP_GT_OQ>(m, t));
            (_mm256_cvttpd_epi32(up), _mm256_cvttpd_epi32(down))
        };
        let (lu, ld) = part(_mm256_castsi256_si128(r), _mm256_castsi256_si128(t));
        let (hu, hd) = part(
            _mm256_extracti128_si256::<1>(r),
            _mm256_extracti128_si256::<1>(t),
        );
        (_mm256_set_m128i(hu, lu), _mm256_set_m128i(hd, ld))
    }
}

/// Scale 0's decoupling (see `decouple0_at`), 8 coefficients at a time.
#[target_feature(enable = "avx2")]
pub(super) fn decouple_row0<G: Gain>(
    gain: G,
    o: [&[i16]; 3],
    rcp: [&[i32]; 3],
    mag: &[f32],
    t: [&[i16]; 3],
    out: &mut MaskRow,
) {
    let n = mag.len();
    let zero = _mm256_setzero_si256();
    let full = _mm256_set1_epi32(32768);
    let r14 = _mm256_set1_epi32(16384);
    let low15 = _mm256_set1_epi32(0x7fff);
    let r11 = _mm256_set1_epi32(2048);
    let mut j = 0;
    while j + 8 <= n {
        let o16 = o.map(|b| ld16x8(&b[j..]));
        let t16 = t.map(|b| ld16x8(&b[j..]));
        let op = _mm256_set_m128i(
            _mm_unpackhi_epi16(o16[0], o16[1]),
            _mm_unpacklo_epi16(o16[0], o16[1]),
        );
        let tp = _mm256_set_m128i(
            _mm_unpackhi_epi16(t16[0], t16[1]),
            _mm_unpacklo_epi16(t16[0], t16[1]),
        );
        let dot = _mm256_cvtepi32_ps(_mm256_madd_epi16(op, tp));
        let tmag = squares_f32(_mm256_madd_epi16(tp, tp));
        let angle = aligned8(dot, ldf(&mag[j..]), tmag);
        let (mut f, mut c) = (zero, zero);
        for k in 0..3 {
            let (ov, tv, rc) = (
                _mm256_cvtepi16_epi32(o16[k]),
                _mm256_cvtepi16_epi32(t16[k]),
                ld(&rcp[k][j..]),
            );
            let q = _mm256_add_epi32(
                _mm256_mullo_epi32(_mm256_srai_epi32::<15>(rc), tv),
                _mm256_srai_epi32::<15>(_mm256_add_epi32(
                    _mm256_mullo_epi32(_mm256_and_si256(rc, low15), tv),
                    r14,
                )),
            );
            let q = _mm256_min_epi32(_mm256_max_epi32(q, zero), full);
            let q = _mm256_blendv_epi8(q, full, _mm256_cmpeq_epi32(ov, zero));
            // `r`, the gain-limited `r` and `a` fit 16 bits for any 16-bit `o` and `t`
            // (`q > 0` only where `t` has the sign of `o`): the casts to `i16` that
            // `decouple0_at` makes are no-ops here.
            let r = _mm256_srai_epi32::<15>(_mm256_add_epi32(_mm256_mullo_epi32(q, ov), r14));
            let enhanced = _mm256_and_si256(angle, _mm256_cmpgt_epi32(q, zero));
            let (up, down) = gain8(gain, r, tv);
            let r = _mm256_blendv_epi8(
                r,
                up,
                _mm256_and_si256(enhanced, _mm256_cmpgt_epi32(ov, zero)),
            );
            let r = _mm256_blendv_epi8(
                r,
                down,
                _mm256_and_si256(enhanced, _mm256_cmpgt_epi32(zero, ov)),
            );
            let a = _mm256_sub_epi32(tv, r);
            let w = _mm256_add_epi32(
                _mm256_mullo_epi32(a, _mm256_set1_epi32(RF0[k])),
                _mm256_set1_epi32(RF0_ROUND[k]),
            );
            let w = _mm256_abs_epi32(wrap16(_mm256_sra_epi32(w, count(RF0_SHIFT[k]))));
            let weigh = |m: i32| {
                let v = _mm256_mullo_epi32(w, _mm256_set1_epi32(m));
                wrap16(_mm256_srai_epi32::<12>(_mm256_add_epi32(v, r11)))
            };
            f = _mm256_add_epi32(f, weigh(MASK0_NEIGHBOUR));
            c = _mm256_add_epi32(c, weigh(MASK0_CENTRE));
            st(
                &mut out.x[k][j..],
                _mm256_mullo_epi32(r, _mm256_set1_epi32(RF0[k])),
            );
        }
        st(&mut out.f[j..], f);
        st(&mut out.d[j..], _mm256_sub_epi32(c, f));
        j += 8;
    }
    for j in j..n {
        let at = |b: [&[i16]; 3]| [b[0][j], b[1][j], b[2][j]].map(i32::from);
        let r = [rcp[0][j], rcp[1][j], rcp[2][j]];
        out.set(j, decouple0_at(gain, at(o), r, mag[j], at(t)));
    }
}

/// The gain limit on 4 restored coefficients (in the low halves of 64-bit lanes; `t`
/// sign-extended): (for `o > 0`, for `o < 0`), in 64-bit lanes.
#[inline]
#[target_feature(enable = "avx2")]
fn gain4<G: Gain>(gain: G, r: __m256i, t: __m256i) -> (__m256i, __m256i) {
    if G::INTEGRAL {
        let m = _mm256_mul_epi32(r, _mm256_set1_epi64x(gain.int()));
        let gt = _mm256_cmpgt_epi64(m, t);
        (_mm256_blendv_epi8(m, t, gt), _mm256_blendv_epi8(t, m, gt))
    } else {
        let (rd, td) = (_mm256_cvtepi32_pd(lows(r)), _mm256_cvtepi32_pd(lows(t)));
        let m = _mm256_mul_pd(rd, _mm256_set1_pd(gain.float()));
        let up = _mm256_blendv_pd(td, m, _mm256_cmp_pd::<_CMP_LT_OQ>(m, td));
        let down = _mm256_blendv_pd(td, m, _mm256_cmp_pd::<_CMP_GT_OQ>(m, td));
        (
            _mm256_cvtepi32_epi64(_mm256_cvttpd_epi32(up)),
            _mm256_cvtepi32_epi64(_mm256_cvttpd_epi32(down)),
        )
    }
}

/// The low 32 bits of each 64-bit lane, as 4 `i32`.
#[inline]
#[target_feature(enable = "avx2")]
fn lows(x: __m256i) -> __m128i {
    let idx = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
    _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(x, idx))
}

/// The high 32 bits of each 64-bit lane, as 4 `i32`.
#[inline]
#[target_feature(enable = "avx2")]
fn highs(x: __m256i) -> __m128i {
    let idx = _mm256_setr_epi32(1, 3, 5, 7, 1, 3, 5, 7);
    _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(x, idx))
}

/// 4 `i32` from the start of `s`, sign-extended to 64-bit lanes.
#[inline]
#[target_feature(enable = "avx2")]
fn ld4(s: &[i32]) -> __m256i {
    let s = &s[..4];
    // SAFETY: `s` holds 4 readable `i32`.
    _mm256_cvtepi32_epi64(unsafe { _mm_loadu_si128(s.as_ptr().cast()) })
}

/// Stores 4 `i32`.
#[inline]
#[target_feature(enable = "avx2")]
fn st4(d: &mut [i32], v: __m128i) {
    let d = &mut d[..4];
    // SAFETY: `d` holds 4 writable `i32`.
    unsafe { _mm_storeu_si128(d.as_mut_ptr().cast(), v) }
}

/// 4 bytes from the start of `s`, zero-extended to 64-bit lanes.
#[inline]
#[target_feature(enable = "avx2")]
fn ld4u8(s: &[u8]) -> __m256i {
    let s = &s[..4];
    // SAFETY: `s` holds 4 readable bytes.
    let v = unsafe { s.as_ptr().cast::<i32>().read_unaligned() };
    _mm256_cvtepu8_epi64(_mm_cvtsi32_si128(v))
}

/// 4 `i64` rounded to `f32` (correctly: as `i64 as f32`). Their exact sum of two `f64`
/// halves is rounded to odd, which `f32` rounding then cannot double-round.
#[inline]
#[target_feature(enable = "avx2")]
fn i64_to_f32(v: __m256i) -> __m128 {
    let two32 = _mm256_set1_pd(4_294_967_296.0);
    let magic = _mm256_set1_epi64x(0x4330_0000_0000_0000);
    let hi = _mm256_mul_pd(_mm256_cvtepi32_pd(highs(v)), two32);
    let lo_bits = _mm256_or_si256(_mm256_and_si256(v, _mm256_set1_epi64x(0xffff_ffff)), magic);
    let lo = _mm256_sub_pd(_mm256_castsi256_pd(lo_bits), _mm256_castsi256_pd(magic));
    let sum = _mm256_add_pd(hi, lo);
    // Exact: |hi| >= |lo| whenever hi is not zero.
    let err = _mm256_sub_pd(lo, _mm256_sub_pd(sum, hi));
    let bits = _mm256_castpd_si256(sum);
    let one = _mm256_set1_epi64x(1);
    let inexact = _mm256_castpd_si256(_mm256_cmp_pd::<_CMP_NEQ_UQ>(err, _mm256_setzero_pd()));
    let even = _mm256_cmpeq_epi64(_mm256_and_si256(bits, one), _mm256_setzero_si256());
    // One ulp toward the error: up in magnitude when the error has the sum's sign.
    let opposite = _mm256_srli_epi64::<63>(_mm256_xor_si256(bits, _mm256_castpd_si256(err)));
    let step = _mm256_sub_epi64(one, _mm256_add_epi64(opposite, opposite));
    let step = _mm256_and_si256(step, _mm256_and_si256(inexact, even));
    _mm256_cvtpd_ps(_mm256_castsi256_pd(_mm256_add_epi64(bits, step)))
}

/// A coarser scale's decoupling (see `decouple_n_at`), 8 coefficients at a time, each half
/// of 4 in 64-bit lanes.
#[target_feature(enable = "avx2")]
pub(super) fn decouple_row_n<G: Gain>(
    gain: G,
    rr: &RefRow<'_>,
    t: [&[i32]; 3],
    w: [i64; 3],
    out: &mut MaskRow,
) {
    let n = rr.mag.len();
    let t = t.map(|b| &b[..n]);
    let zero = _mm256_setzero_si256();
    let full = _mm256_set1_epi64x(32768);
    let one = _mm256_set1_epi64x(1);
    let r14 = _mm256_set1_epi64x(16384);
    let r27 = _mm256_set1_epi64x(1 << 27);
    let mround = _mm256_set1_epi64x(MASKN_ROUND);
    let (k14, k15) = (_mm256_set1_epi64x(14), _mm256_set1_epi64x(15));
    let (mn, mc) = (
        _mm256_set1_epi64x(MASKN_NEIGHBOUR),
        _mm256_set1_epi64x(MASKN_CENTRE),
    );
    let wk = w.map(|w| _mm256_set1_epi64x(w));
    let mut j = 0;
    while j + 8 <= n {
        let mut dot = [_mm_setzero_ps(); 2];
        let mut tmag = [_mm_setzero_ps(); 2];
        for h in 0..2 {
            let at = j + 4 * h;
            let (oh, ov) = (ld4(&rr.o[0][at..]), ld4(&rr.o[1][at..]));
            let (th, tv) = (ld4(&t[0][at..]), ld4(&t[1][at..]));
            let d = _mm256_add_epi64(_mm256_mul_epi32(oh, th), _mm256_mul_epi32(ov, tv));
            let m = _mm256_add_epi64(_mm256_mul_epi32(th, th), _mm256_mul_epi32(tv, tv));
            dot[h] = i64_to_f32(d);
            tmag[h] = i64_to_f32(m);
        }
        let angle = aligned8(
            _mm256_set_m128(dot[1], dot[0]),
            ldf(&rr.mag[j..]),
            _mm256_set_m128(tmag[1], tmag[0]),
        );
        let angle = widen(angle);
        // Most coefficients are not enhanced: the gain limit is skipped where none is.
        let any = angle.map(|a| _mm256_testz_si256(a, a) == 0);
        for h in 0..2 {
            let at = j + 4 * h;
            let (mut f, mut c) = (zero, zero);
            for k in 0..3 {
                let o = ld4(&rr.o[k][at..]);
                let tk = ld4(&t[k][at..]);
                let sh = ld4u8(&rr.shift[k][at..]);
                let p = _mm256_add_epi64(
                    _mm256_mul_epi32(ld4(&rr.rcp[k][at..]), tk),
                    _mm256_sllv_epi64(one, _mm256_add_epi64(sh, k14)),
                );
                let q = _mm256_srlv_epi64(p, _mm256_add_epi64(sh, k15));
                let q = _mm256_andnot_si256(_mm256_cmpgt_epi64(zero, p), q);
                let q = _mm256_blendv_epi8(q, full, _mm256_cmpgt_epi64(q, full));
                let q = _mm256_blendv_epi8(q, full, _mm256_cmpeq_epi64(o, zero));
                // Only the low halves of `r`, `a`, the weighted parts are read on: a logical
                // shift leaves them as the arithmetic one does.
                let r = _mm256_srli_epi64::<15>(_mm256_add_epi64(_mm256_mul_epi32(q, o), r14));
                let r = if any[h] {
                    let enhanced = _mm256_and_si256(angle[h], _mm256_cmpgt_epi64(q, zero));
                    let (up, down) = gain4(gain, r, tk);
                    let r = _mm256_blendv_epi8(
                        r,
                        up,
                        _mm256_and_si256(enhanced, _mm256_cmpgt_epi64(o, zero)),
                    );
                    _mm256_blendv_epi8(
                        r,
                        down,
                        _mm256_and_si256(enhanced, _mm256_cmpgt_epi64(zero, o)),
                    )
                } else {
                    r
                };
                let a = _mm256_sub_epi32(tk, r);
                let cw = _mm256_srli_epi64::<28>(_mm256_add_epi64(_mm256_mul_epi32(a, wk[k]), r27));
                let cw = _mm256_abs_epi32(cw);
                f = _mm256_add_epi32(f, _mm256_add_epi64(_mm256_mul_epi32(cw, mn), mround));
                c = _mm256_add_epi32(c, _mm256_add_epi64(_mm256_mul_epi32(cw, mc), mround));
                let x = _mm256_srli_epi64::<28>(_mm256_add_epi64(_mm256_mul_epi32(r, wk[k]), r27));
                st4(&mut out.x[k][at..], lows(x));
            }
            let (f, c) = (highs(f), highs(c));
            st4(&mut out.f[at..], f);
            st4(&mut out.d[at..], _mm_sub_epi32(c, f));
        }
        j += 8;
    }
    for j in j..n {
        out.set(j, decouple_n_px(gain, rr, t, w, j));
    }
}

/// The masked pooling of one row (see `Kernels::mask_row`), 8 coefficients at a time.
#[target_feature(enable = "avx2")]
pub(super) fn mask_row(
    v: &[i32],
    cur: &MaskRow,
    lo: usize,
    hi: usize,
    p: &CmParams,
    tot: &mut [i64; 3],
) {
    let zero = _mm256_setzero_si256();
    let ms = p.mask_shift.map(|n| count(n));
    let sqr = p.sq_round.map(|r| _mm256_set1_epi64x(r));
    let sqs = p.sq_shift.map(|n| count(n));
    let cr = p.cube_round.map(|r| _mm256_set1_epi64x(r));
    let cs = p.cube_shift.map(|n| count(n));
    let mut acc = [zero; 3];
    let mut q = lo;
    while q + 8 <= hi {
        let thr = _mm256_add_epi32(
            _mm256_add_epi32(ld(&v[q..]), ld(&v[q + 1..])),
            _mm256_add_epi32(ld(&v[q + 2..]), ld(&cur.d[q..])),
        );
        for k in 0..3 {
            let x = _mm256_abs_epi32(ld(&cur.x[k][q..]));
            let e = _mm256_max_epi32(_mm256_sub_epi32(x, _mm256_sll_epi32(thr, ms[k])), zero);
            for h in [e, _mm256_srli_epi64::<32>(e)] {
                let sq = _mm256_srl_epi64(_mm256_add_epi64(_mm256_mul_epu32(h, h), sqr[k]), sqs[k]);
                let cube = sra64(_mm256_add_epi64(_mm256_mul_epi32(sq, h), cr[k]), cs[k]);
                acc[k] = _mm256_add_epi64(acc[k], cube);
            }
        }
        q += 8;
    }
    let tail = mask_tail(v, cur, q, hi, p);
    let sums = [0, 1, 2].map(|k| hsum64(acc[k]).wrapping_add(tail[k]));
    add_row(sums, p, tot);
}

/// The kernels in AVX2 (x86-64 CPUs that have it).
pub(super) struct Avx2;

// SAFETY (every method): `Avx2` kernels run only inside `compute_avx2` and `score_avx2`,
// which are entered only when the CPU has AVX2 (`Isa::Avx2`).
impl Kernels for Avx2 {
    #[inline(always)]
    fn dwt_row_u8(src: [&[u8]; 4], rows: &mut Rows<i16>, a: &mut [i16]) {
        // SAFETY: see the impl.
        unsafe { dwt_row_u8(src, rows, a) }
    }
    #[inline(always)]
    fn dwt_row_i16(src: [&[i16]; 4], rows: &mut Rows<i32>, a: &mut [i32]) {
        // SAFETY: see the impl.
        unsafe { dwt_row_i16(src, rows, a) }
    }
    #[inline(always)]
    fn dwt_row_i32(src: [&[i32]; 4], s: usize, rows: &mut Rows<i32>, a: &mut [i32]) {
        // SAFETY: see the impl.
        unsafe { dwt_row_i32(src, s, rows, a) }
    }
    #[inline(always)]
    fn store_ref0(band: [&[i16]; 3], dst: &mut RefBands<i16>, at: usize) {
        // SAFETY: see the impl.
        unsafe { store_ref0(band, dst, at) }
    }
    #[inline(always)]
    fn den_row0(band: [&[i16]; 3], round: u64, sh: u32, tot: &mut [u64; 3]) {
        // SAFETY: see the impl.
        unsafe { den_row0(band, round, sh, tot) }
    }
    #[inline(always)]
    fn decouple_row0<G: Gain>(
        gain: G,
        o: [&[i16]; 3],
        rcp: [&[i32]; 3],
        mag: &[f32],
        t: [&[i16]; 3],
        out: &mut MaskRow,
    ) {
        // SAFETY: see the impl.
        unsafe { decouple_row0(gain, o, rcp, mag, t, out) }
    }
    #[inline(always)]
    fn decouple_row_n<G: Gain>(
        gain: G,
        r: &RefRow<'_>,
        t: [&[i32]; 3],
        w: [i64; 3],
        out: &mut MaskRow,
    ) {
        // SAFETY: see the impl.
        unsafe { decouple_row_n(gain, r, t, w, out) }
    }
    #[inline(always)]
    fn mask_row(v: &[i32], cur: &MaskRow, lo: usize, hi: usize, p: &CmParams, tot: &mut [i64; 3]) {
        // SAFETY: see the impl.
        unsafe { mask_row(v, cur, lo, hi, p, tot) }
    }
}
