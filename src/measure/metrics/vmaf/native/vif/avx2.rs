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
                    let s1 = _mm256_add_epi16(load(taps[k + 1].add(x)), load(taps[15 - k].add(x)));
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
    assert!(count + 4 <= len && gains.values.len() >= 3 * len && table.len() >= LOG_BASE as usize);
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
            let (hi, lo) = unsafe { (*t.add((v >> 16) as usize), *t.add((v & 0x7FFF) as usize)) };
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
unsafe fn vertical(s: usize, y: usize, bw: usize, cross: bool, decimate: bool, work: &mut Work) {
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
            (_, true) => {
                vertical16::<3, 3, true>(3, &ring_taps(ring, slot_len, y), bw, false, rows, row_len)
            }
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
                Pair::Wide(r, d) => terms16(Source::row(&r, y), Some(Source::row(&d, y)), bw, out),
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
