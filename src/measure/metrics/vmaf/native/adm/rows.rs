//! Whole rows: the row buffers the kernels read and write, and the [`Kernels`] trait each
//! instruction set implements.

use super::*;

/// Scratch rows of the transform.
pub(super) struct Rows<T> {
    /// Column-filtered rows (low-pass, high-pass), padded by [`pad`].
    pub(super) lo: Vec<T>,
    pub(super) hi: Vec<T>,
    /// One row of each detail band: h, v, d.
    pub(super) band: [Vec<T>; 3],
}

impl<T: Copy + Default> Rows<T> {
    pub(super) fn new(in_w: usize, w: usize) -> Self {
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
pub(super) fn pad<T: Copy>(buf: &mut [T], n: usize) {
    buf[0] = buf[1 + mirror(-1, n)];
    buf[n + 1] = buf[1 + mirror(n as isize, n)];
    buf[n + 2] = buf[1 + mirror(n as isize + 1, n)];
}

/// What decoupling reads of each reference coefficient in the decoupled region, row-major,
/// `Geom::rw` wide.
pub(super) struct RefBands<T> {
    /// The coefficients: h, v, d.
    pub(super) o: [Vec<T>; 3],
    /// Their reciprocals in Q30, `sign(o) * floor(2^30 / m)`, where `m` is `|o|` (scale 0) or
    /// `|o|` rounded to 15 significant bits (scales 1 to 3); 0 for `o = 0`.
    pub(super) rcp: [Vec<i32>; 3],
    /// The right shift that rounding to 15 bits took (scales 1 to 3; empty at scale 0).
    pub(super) shift: [Vec<u8>; 3],
    /// `h^2 + v^2`, rounded to `f32`.
    pub(super) mag: Vec<f32>,
}

impl<T: Copy + Default> RefBands<T> {
    pub(super) fn new(g: &Geom, shifts: bool) -> Self {
        let n = g.region();
        RefBands {
            o: std::array::from_fn(|_| vec![T::default(); n]),
            rcp: std::array::from_fn(|_| vec![0; n]),
            shift: std::array::from_fn(|_| vec![0; if shifts { n } else { 0 }]),
            mag: vec![0.0; n],
        }
    }

    #[cfg(test)]
    pub(super) fn bytes(&self) -> usize {
        let n = self.mag.len();
        n * (3 * std::mem::size_of::<T>() + 3 * 4 + 4) + 3 * self.shift[0].len()
    }
}

/// One decoupled row, in the decoupled region's columns: what the masking reads.
pub(super) struct MaskRow {
    /// Sum over the orientations of the weighted additive part's neighbour weights (1/30).
    pub(super) f: Vec<i32>,
    /// The centre's correction: the sum of the centre weights (1/15) less `f`.
    pub(super) d: Vec<i32>,
    /// The weighted restored part, h, v, d.
    pub(super) x: [Vec<i32>; 3],
}

impl MaskRow {
    pub(super) fn new(n: usize) -> Self {
        MaskRow {
            f: vec![0; n],
            d: vec![0; n],
            x: std::array::from_fn(|_| vec![0; n]),
        }
    }

    #[inline(always)]
    pub(super) fn set(&mut self, j: usize, (f, d, x): Masked) {
        self.f[j] = f;
        self.d[j] = d;
        self.x[0][j] = x[0];
        self.x[1][j] = x[1];
        self.x[2][j] = x[2];
    }
}

/// One reference row of a coarser scale, as decoupling reads it.
pub(super) struct RefRow<'a> {
    pub(super) o: [&'a [i32]; 3],
    pub(super) rcp: [&'a [i32]; 3],
    pub(super) shift: [&'a [u8]; 3],
    pub(super) mag: &'a [f32],
}

impl<'a> RefRow<'a> {
    pub(super) fn of(b: &'a RefBands<i32>, at: usize, n: usize) -> Self {
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
pub(super) trait Kernels {
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
pub(super) trait MapI64 {
    fn map_i64(self) -> (i64, i64, i64, i64);
}

impl MapI64 for (i32, i32, i32, i32) {
    #[inline(always)]
    fn map_i64(self) -> (i64, i64, i64, i64) {
        (self.0.into(), self.1.into(), self.2.into(), self.3.into())
    }
}
