//! Multi-scale SSIM (Wang, Simoncelli and Bovik, 2003) of 8-bit planes.
//!
//! Definition used: an 11x11 Gaussian window (sigma 1.5) over the "valid" region (no
//! padding); C1 = (0.01 * 255)^2, C2 = (0.03 * 255)^2; five scales, each after the first made
//! by 2x2 averaging (an odd last row or column is dropped); the contrast-structure term is
//! averaged at scales 1-4 and the full SSIM at scale 5; MS-SSIM = product of those means
//! raised to the weights 0.0448, 0.2856, 0.3001, 0.2363, 0.1333 (negative means count as 0).
//! The smallest scale must still hold one window, so planes need at least 176 pixels (11 x 2^4)
//! in each dimension.

use super::Plane;

const WEIGHTS: [f64; 5] = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333];
const WINDOW: usize = 11;
const SIGMA: f64 = 1.5;
const C1: f64 = (0.01 * 255.0) * (0.01 * 255.0);
const C2: f64 = (0.03 * 255.0) * (0.03 * 255.0);

/// Smallest plane side MS-SSIM accepts.
pub const MS_SSIM_MIN_SIDE: usize = WINDOW << 4;

/// The normalized 1-D Gaussian taps.
fn taps() -> [f64; WINDOW] {
    let mut t = [0.0; WINDOW];
    let c = (WINDOW / 2) as f64;
    for (i, v) in t.iter_mut().enumerate() {
        let x = i as f64 - c;
        *v = (-(x * x) / (2.0 * SIGMA * SIGMA)).exp();
    }
    let sum: f64 = t.iter().sum();
    t.map(|v| v / sum)
}

/// A float image, row-major.
struct Image {
    w: usize,
    h: usize,
    px: Vec<f32>,
}

impl Image {
    fn from_plane(p: Plane<'_>) -> Self {
        let mut px = Vec::with_capacity(p.width() * p.height());
        for y in 0..p.height() {
            px.extend(p.row(y).iter().map(|&v| f32::from(v)));
        }
        Image {
            w: p.width(),
            h: p.height(),
            px,
        }
    }

    /// 2x2 average; an odd last row or column is dropped.
    fn halve(&self) -> Image {
        let (w, h) = (self.w / 2, self.h / 2);
        let mut px = Vec::with_capacity(w * h);
        for y in 0..h {
            let r0 = &self.px[2 * y * self.w..];
            let r1 = &self.px[(2 * y + 1) * self.w..];
            for x in 0..w {
                px.push((r0[2 * x] + r0[2 * x + 1] + r1[2 * x] + r1[2 * x + 1]) * 0.25);
            }
        }
        Image { w, h, px }
    }
}

thread_local! {
    /// The five horizontally filtered maps, reused across calls on a thread (tens of MB at
    /// 1080p: allocating them per frame costs more in page faults than the filtering).
    static MAPS: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Mean luminance and contrast-structure terms over the valid region of one scale.
fn scale_terms(a: &Image, b: &Image, taps: &[f64; WINDOW]) -> (f64, f64) {
    let t: [f32; WINDOW] = taps.map(|v| v as f32);
    // A nested call on this thread (rayon work stealing) gets its own buffer.
    MAPS.with(|cell| match cell.try_borrow_mut() {
        Ok(mut maps) => filter_and_pool(a, b, &t, &mut maps),
        Err(_) => filter_and_pool(a, b, &t, &mut Vec::new()),
    })
}

/// The two passes of [`scale_terms`] with `maps` as scratch space.
fn filter_and_pool(a: &Image, b: &Image, t: &[f32; WINDOW], maps: &mut Vec<f32>) -> (f64, f64) {
    use rayon::prelude::*;
    let (w, h) = (a.w, a.h);
    let (ow, oh) = (w + 1 - WINDOW, h + 1 - WINDOW);
    {
        // Horizontal pass: for every input row, the five filtered quantities (a, b, a^2, b^2,
        // ab), stored as five planes of ow x h.
        maps.clear();
        maps.resize(5 * ow * h, 0.0);
        let (ma, rest) = maps.split_at_mut(ow * h);
        let (mb, rest) = rest.split_at_mut(ow * h);
        let (maa, rest) = rest.split_at_mut(ow * h);
        let (mbb, mab) = rest.split_at_mut(ow * h);
        ma.par_chunks_mut(ow)
            .zip(mb.par_chunks_mut(ow))
            .zip(maa.par_chunks_mut(ow))
            .zip(mbb.par_chunks_mut(ow))
            .zip(mab.par_chunks_mut(ow))
            .enumerate()
            .for_each(|(y, ((((oa, ob), oaa), obb), oab))| {
                let ra = &a.px[y * w..(y + 1) * w];
                let rb = &b.px[y * w..(y + 1) * w];
                horizontal_row(t, ra, rb, [oa, ob, oaa, obb, oab]);
            });
        let (ma, mb, maa, mbb, mab) = (&*ma, &*mb, &*maa, &*mbb, &*mab);
        // Vertical pass per output row, then the SSIM terms, summed in f64.
        let (lum, cs) = (0..oh)
            .into_par_iter()
            .map(|y| vertical_row(t, [ma, mb, maa, mbb, mab], y, ow))
            .collect::<Vec<(f64, f64)>>()
            .iter()
            .fold((0.0, 0.0), |(l, c), &(a, b)| (l + a, c + b));
        let n = (ow * oh) as f64;
        (lum / n, cs / n)
    }
}

with_avx2! {
    /// One row of the horizontal pass: a, b, a^2, b^2 and ab filtered by `t` into `out`
    /// (zeroed rows of `ra.len() + 1 - WINDOW` values).
    fn horizontal_row(t: &[f32; WINDOW], ra: &[f32], rb: &[f32], out: [&mut [f32]; 5]) {
        let [oa, ob, oaa, obb, oab] = out;
        let ow = oa.len();
        for (k, &tk) in t.iter().enumerate() {
            let (ra, rb) = (&ra[k..k + ow], &rb[k..k + ow]);
            for i in 0..ow {
                let (p, q) = (ra[i], rb[i]);
                oa[i] += tk * p;
                ob[i] += tk * q;
                oaa[i] += tk * (p * p);
                obb[i] += tk * (q * q);
                oab[i] += tk * (p * q);
            }
        }
    }
}

with_avx2! {
    /// Output row `y` of the vertical pass over the horizontally filtered `maps` (rows of
    /// `ow` values), reduced to the sums of its luminance and contrast-structure terms.
    fn vertical_row(t: &[f32; WINDOW], maps: [&[f32]; 5], y: usize, ow: usize) -> (f64, f64) {
        let mut acc = [
            vec![0f32; ow],
            vec![0f32; ow],
            vec![0f32; ow],
            vec![0f32; ow],
            vec![0f32; ow],
        ];
        for (k, &tk) in t.iter().enumerate() {
            let row = (y + k) * ow..(y + k + 1) * ow;
            for (a, src) in acc.iter_mut().zip(maps) {
                for (o, v) in a.iter_mut().zip(&src[row.clone()]) {
                    *o += tk * v;
                }
            }
        }
        let (mut lum, mut cs) = (0f64, 0f64);
        let [sa, sb, saa, sbb, sab] = &acc;
        for ((((&a, &b), &aa), &bb), &ab) in sa.iter().zip(sb).zip(saa).zip(sbb).zip(sab) {
            let (mua, mub) = (f64::from(a), f64::from(b));
            let va = f64::from(aa) - mua * mua;
            let vb = f64::from(bb) - mub * mub;
            let cov = f64::from(ab) - mua * mub;
            lum += (2.0 * mua * mub + C1) / (mua * mua + mub * mub + C1);
            cs += (2.0 * cov + C2) / (va + vb + C2);
        }
        (lum, cs)
    }
}

/// MS-SSIM of two planes of the same size, or `None` when a side is below
/// [`MS_SSIM_MIN_SIDE`].
pub fn ms_ssim(a: Plane<'_>, b: Plane<'_>) -> Option<f64> {
    assert_eq!(
        (a.width(), a.height()),
        (b.width(), b.height()),
        "plane sizes differ"
    );
    if a.width() < MS_SSIM_MIN_SIDE || a.height() < MS_SSIM_MIN_SIDE {
        return None;
    }
    let taps = taps();
    let (mut ia, mut ib) = (Image::from_plane(a), Image::from_plane(b));
    let mut result = 1.0;
    for (scale, &weight) in WEIGHTS.iter().enumerate() {
        let (lum, cs) = scale_terms(&ia, &ib, &taps);
        let term = if scale + 1 == WEIGHTS.len() {
            lum * cs
        } else {
            cs
        };
        result *= term.max(0.0).powf(weight);
        if scale + 1 < WEIGHTS.len() {
            ia = ia.halve();
            ib = ib.halve();
        }
    }
    Some(result)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// Straight from the definition: a 2-D Gaussian window at every valid position, images
    /// halved with 2x2 means, in f64 throughout.
    fn brute_force(a: &[f64], b: &[f64], w: usize, h: usize) -> f64 {
        let t = taps();
        let (mut a, mut b, mut w, mut h) = (a.to_vec(), b.to_vec(), w, h);
        let mut result = 1.0;
        for (scale, &weight) in WEIGHTS.iter().enumerate() {
            let (mut lum, mut cs, mut n) = (0.0, 0.0, 0.0);
            for y in 0..=h - WINDOW {
                for x in 0..=w - WINDOW {
                    let (mut ma, mut mb, mut aa, mut bb, mut ab) = (0.0, 0.0, 0.0, 0.0, 0.0);
                    for j in 0..WINDOW {
                        for i in 0..WINDOW {
                            let g = t[i] * t[j];
                            let (p, q) = (a[(y + j) * w + x + i], b[(y + j) * w + x + i]);
                            ma += g * p;
                            mb += g * q;
                            aa += g * p * p;
                            bb += g * q * q;
                            ab += g * p * q;
                        }
                    }
                    lum += (2.0 * ma * mb + C1) / (ma * ma + mb * mb + C1);
                    cs += (2.0 * (ab - ma * mb) + C2) / (aa - ma * ma + bb - mb * mb + C2);
                    n += 1.0;
                }
            }
            let term = if scale == 4 { lum / n * cs / n } else { cs / n };
            result *= term.max(0.0).powf(weight);
            let (nw, nh) = (w / 2, h / 2);
            let half = |v: &[f64]| -> Vec<f64> {
                let mut o = Vec::with_capacity(nw * nh);
                for y in 0..nh {
                    for x in 0..nw {
                        o.push(
                            (v[2 * y * w + 2 * x]
                                + v[2 * y * w + 2 * x + 1]
                                + v[(2 * y + 1) * w + 2 * x]
                                + v[(2 * y + 1) * w + 2 * x + 1])
                                / 4.0,
                        );
                    }
                }
                o
            };
            a = half(&a);
            b = half(&b);
            (w, h) = (nw, nh);
        }
        result
    }

    #[test]
    fn matches_the_definition() {
        let (w, h) = (181, 177);
        let a = noise(w * h, 5);
        let b: Vec<u8> = a
            .iter()
            .zip(noise(w * h, 6))
            .map(|(&p, n)| p.saturating_add(n % 24))
            .collect();
        let fast = ms_ssim(Plane::new(&a, w, w, h), Plane::new(&b, w, w, h)).unwrap();
        let af: Vec<f64> = a.iter().map(|&v| f64::from(v)).collect();
        let bf: Vec<f64> = b.iter().map(|&v| f64::from(v)).collect();
        let slow = brute_force(&af, &bf, w, h);
        // f32 filtering against an f64 definition.
        assert!((fast - slow).abs() < 1e-5, "{fast} vs {slow}");
        assert!(fast > 0.0 && fast < 1.0);
    }

    #[test]
    fn identical_is_one_and_small_planes_are_refused() {
        let (w, h) = (200, 180);
        let a = noise(w * h, 9);
        let p = Plane::new(&a, w, w, h);
        assert!((ms_ssim(p, p).unwrap() - 1.0).abs() < 1e-5);
        let small = Plane::new(&a, 175, 175, 180);
        assert!(ms_ssim(small, small).is_none());
    }
}
