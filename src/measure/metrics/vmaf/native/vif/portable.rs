//! The portable kernels: the fixed-point arithmetic of the parent module's notes, one sample
//! at a time, for CPUs without AVX2 and as the reference the AVX2 kernels are tested against.

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
