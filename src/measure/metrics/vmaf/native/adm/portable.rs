//! The row kernels in portable Rust: the arithmetic of libvmaf's C code, one sample at a
//! time. The AVX2 kernels fall back on some of these for the columns past their last full
//! vector.

use super::*;

/// The kernels in portable Rust.
pub(super) struct Portable;

/// The row filters of the 16-bit stage: output `j` reads padded samples `2j..2j + 4`.
#[inline(always)]
fn rows16_portable(src: &[i16], lo: &mut [i16], hi: &mut [i16]) {
    let w = lo.len();
    let (pairs, _) = src[..2 * w + 2].as_chunks::<2>();
    let (p, q) = (&pairs[..w], &pairs[1..w + 1]);
    let hi = &mut hi[..w];
    for j in 0..w {
        (lo[j], hi[j]) = row_i16([p[j][0], p[j][1], q[j][0], q[j][1]].map(i32::from));
    }
}

/// The row filters of the 32-bit stages.
#[inline(always)]
fn rows32_portable(src: &[i32], round: (i64, u32), lo: &mut [i32], hi: &mut [i32]) {
    let w = lo.len();
    let (pairs, _) = src[..2 * w + 2].as_chunks::<2>();
    let (p, q) = (&pairs[..w], &pairs[1..w + 1]);
    let hi = &mut hi[..w];
    for j in 0..w {
        (lo[j], hi[j]) = filt_n([p[j][0], p[j][1], q[j][0], q[j][1]].map(i64::from), round);
    }
}

/// A coarser scale's column filters into the padded row buffers.
#[inline(always)]
fn cols_n_portable<T: Copy + Into<i64>>(src: [&[T]; 4], s: usize, rows: &mut Rows<i32>) {
    let n = src[0].len();
    let (s0, s1, s2, s3) = (&src[0][..n], &src[1][..n], &src[2][..n], &src[3][..n]);
    let lo = &mut rows.lo[1..n + 1];
    let hi = &mut rows.hi[1..n + 1];
    for j in 0..n {
        let p = [s0[j].into(), s1[j].into(), s2[j].into(), s3[j].into()];
        (lo[j], hi[j]) = filt_n(p, COL_ROUND[s - 1]);
    }
}

/// Pads the column-filtered rows and runs a coarser scale's row filters.
#[inline(always)]
fn finish_rows_n_portable(rows: &mut Rows<i32>, n: usize, s: usize, a: &mut [i32]) {
    pad(&mut rows.lo, n);
    pad(&mut rows.hi, n);
    let [bh, bv, bd] = &mut rows.band;
    let r = ROW_ROUND[s - 1];
    rows32_portable(&rows.lo, r, a, bv);
    rows32_portable(&rows.hi, r, bh, bd);
}

/// The masked pooling's row sums for region columns `lo..hi` from index `from` (the SIMD
/// kernels' tail).
#[inline(always)]
pub(super) fn mask_tail(
    v: &[i32],
    cur: &MaskRow,
    from: usize,
    hi: usize,
    p: &CmParams,
) -> [i64; 3] {
    let mut acc = [0i64; 3];
    for q in from..hi {
        let thr = v[q]
            .wrapping_add(v[q + 1])
            .wrapping_add(v[q + 2])
            .wrapping_add(cur.d[q]);
        let m = mask_at(thr, [cur.x[0][q], cur.x[1][q], cur.x[2][q]], p);
        for k in 0..3 {
            acc[k] = acc[k].wrapping_add(m[k]);
        }
    }
    acc
}

/// Adds a row's sums to the totals, rounded and shifted.
#[inline(always)]
pub(super) fn add_row(acc: [i64; 3], p: &CmParams, tot: &mut [i64; 3]) {
    for k in 0..3 {
        tot[k] = tot[k].wrapping_add(acc[k].wrapping_add(p.row_round) >> p.row_shift);
    }
}

impl Kernels for Portable {
    #[inline(always)]
    fn dwt_row_u8(src: [&[u8]; 4], rows: &mut Rows<i16>, a: &mut [i16]) {
        let n = src[0].len();
        {
            let (s0, s1, s2, s3) = (&src[0][..n], &src[1][..n], &src[2][..n], &src[3][..n]);
            let lo = &mut rows.lo[1..n + 1];
            let hi = &mut rows.hi[1..n + 1];
            for j in 0..n {
                (lo[j], hi[j]) = col_u8([s0[j], s1[j], s2[j], s3[j]].map(i32::from));
            }
        }
        pad(&mut rows.lo, n);
        pad(&mut rows.hi, n);
        let [bh, bv, bd] = &mut rows.band;
        rows16_portable(&rows.lo, a, bv);
        rows16_portable(&rows.hi, bh, bd);
    }

    #[inline(always)]
    fn dwt_row_i16(src: [&[i16]; 4], rows: &mut Rows<i32>, a: &mut [i32]) {
        cols_n_portable(src, 1, rows);
        finish_rows_n_portable(rows, src[0].len(), 1, a);
    }

    #[inline(always)]
    fn dwt_row_i32(src: [&[i32]; 4], s: usize, rows: &mut Rows<i32>, a: &mut [i32]) {
        cols_n_portable(src, s, rows);
        finish_rows_n_portable(rows, src[0].len(), s, a);
    }

    #[inline(always)]
    fn store_ref0(band: [&[i16]; 3], dst: &mut RefBands<i16>, at: usize) {
        let n = band[0].len();
        for (k, b) in band.iter().enumerate() {
            let b = &b[..n];
            dst.o[k][at..at + n].copy_from_slice(b);
            let rcp = &mut dst.rcp[k][at..at + n];
            for j in 0..n {
                rcp[j] = recip0(i32::from(b[j]));
            }
        }
        let (h, v) = (&band[0][..n], &band[1][..n]);
        let mag = &mut dst.mag[at..at + n];
        for j in 0..n {
            let (h, v) = (i64::from(h[j]), i64::from(v[j]));
            mag[j] = (h * h + v * v) as f32;
        }
    }

    #[inline(always)]
    fn den_row0(band: [&[i16]; 3], round: u64, sh: u32, tot: &mut [u64; 3]) {
        for (k, b) in band.iter().enumerate() {
            let mut acc = 0u64;
            for &x in *b {
                let x = u64::from(x.unsigned_abs());
                acc += x * x * x;
            }
            tot[k] += (acc + round) >> sh;
        }
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
        for j in 0..mag.len() {
            let at = |b: [&[i16]; 3]| [b[0][j], b[1][j], b[2][j]].map(i32::from);
            let r = [rcp[0][j], rcp[1][j], rcp[2][j]];
            out.set(j, decouple0_at(gain, at(o), r, mag[j], at(t)));
        }
    }

    #[inline(always)]
    fn decouple_row_n<G: Gain>(
        gain: G,
        r: &RefRow<'_>,
        t: [&[i32]; 3],
        w: [i64; 3],
        out: &mut MaskRow,
    ) {
        for j in 0..r.mag.len() {
            out.set(j, decouple_n_px(gain, r, t, w, j));
        }
    }

    #[inline(always)]
    fn mask_row(v: &[i32], cur: &MaskRow, lo: usize, hi: usize, p: &CmParams, tot: &mut [i64; 3]) {
        add_row(mask_tail(v, cur, lo, hi, p), p, tot);
    }
}

/// The vertical sums of a row's mask weights: `v[q + 1] = prev[q] + cur[q] + next[q]`, with
/// the reflected columns when the region touches the band's edges.
#[inline(always)]
pub(super) fn mask_sums(
    prev: &[i32],
    cur: &[i32],
    next: &[i32],
    v: &mut [i32],
    edges: (bool, bool),
) {
    let n = prev.len();
    let (cur, next) = (&cur[..n], &next[..n]);
    let vs = &mut v[1..n + 1];
    for j in 0..n {
        vs[j] = prev[j].wrapping_add(cur[j]).wrapping_add(next[j]);
    }
    if edges.0 {
        v[0] = v[1 + mirror(-1, n)];
    }
    if edges.1 {
        v[n + 1] = v[1 + mirror(n as isize, n)];
    }
}
