//! VMAF's motion feature: how much the *reference* changes from one frame to the next, so it
//! depends on the source alone and is computed once per source frame for every point.
//!
//! The motion of frame `i` against frame `i - 1` is the mean absolute value of their
//! difference blurred by a 5-tap Gaussian (taps 3571, 16004, 26386, 16004, 3571 over 65536),
//! in libvmaf's fixed point: the difference is filtered down the columns and rounded
//! (`(sum + 128) >> 8`), then along the rows and rounded (`(sum + 32768) >> 16`); edges mirror
//! without repeating the edge sample. The sum of absolute values over the frame, divided by
//! 256 and by the pixel count, is the score (at most 10000). Frame 0 scores 0.
//!
//! The model reads `motion2`: for frame `i >= 1` the smaller of its motion and the next
//! frame's, for the last frame its own motion, and 0 for frame 0 ([`motion2`]).

use crate::measure::metrics::Plane;

/// The blur's taps, summing to 65536.
const TAPS: [i32; 5] = [3571, 16004, 26386, 16004, 3571];

/// The largest motion score.
const MAX_MOTION: f64 = 10000.0;

/// Motion of a stream of reference frames: keeps the previous frame's luma.
pub struct Motion {
    width: usize,
    height: usize,
    previous: Vec<u8>,
    has_previous: bool,
    /// One row of the column-filtered difference.
    row: Vec<i32>,
}

impl Motion {
    /// Motion of frames of `width` x `height` (at least 3 x 3).
    pub fn new(width: usize, height: usize) -> Self {
        Motion {
            width,
            height,
            previous: vec![0; width * height],
            has_previous: false,
            row: vec![0; width],
        }
    }

    /// Forget the previous frame: the next one pushed scores 0, as a first frame.
    pub fn forget(&mut self) {
        self.has_previous = false;
    }

    /// The motion of `luma` against the frame pushed before it (0 for the first), which it
    /// then replaces.
    ///
    /// # Panics
    /// If `luma` is not of the size given to [`Motion::new`].
    pub fn push(&mut self, luma: Plane<'_>) -> f64 {
        assert!(
            luma.width() == self.width && luma.height() == self.height,
            "motion: frame size changed"
        );
        let (w, h) = (self.width, self.height);
        let score = if self.has_previous {
            let previous = Plane::new(&self.previous, w, w, h);
            let sad = blurred_sad(previous, luma, &mut self.row);
            (sad as f64 / 256.0 / (w * h) as f64).min(MAX_MOTION)
        } else {
            0.0
        };
        for y in 0..h {
            self.previous[y * w..(y + 1) * w].copy_from_slice(luma.row(y));
        }
        self.has_previous = true;
        score
    }
}

/// `motion2` of frame `i` from the motion scores of the frames around it: `motion[i]` is
/// frame `i`'s motion against frame `i - 1`, `next` frame `i + 1`'s (`None` past the end).
pub fn motion2(i: u64, motion: f64, next: Option<f64>) -> f64 {
    match (i, next) {
        (0, _) => 0.0,
        (_, Some(next)) => motion.min(next),
        (_, None) => motion,
    }
}

/// Mirror `i` (which may be up to 2 outside) into `0..n`, not repeating the edge sample.
#[inline]
fn mirror(i: isize, n: usize) -> usize {
    if i < 0 {
        (-i) as usize
    } else if i as usize >= n {
        2 * n - 2 - i as usize
    } else {
        i as usize
    }
}

/// The sum over the frame of |blur(previous - current)| in libvmaf's fixed point.
fn blurred_sad(previous: Plane<'_>, current: Plane<'_>, row: &mut [i32]) -> u64 {
    let h = current.height();
    let mut sad = 0u64;
    for y in 0..h {
        let rows: [usize; 5] = std::array::from_fn(|k| mirror(y as isize - 2 + k as isize, h));
        let p: [&[u8]; 5] = rows.map(|r| previous.row(r));
        let c: [&[u8]; 5] = rows.map(|r| current.row(r));
        if column_filter(p, c, row) {
            sad += row_sad(row);
        }
    }
    sad
}

with_avx2! {
    /// One row of the difference filtered down the columns, rounded; whether any is non-zero.
    fn column_filter(p: [&[u8]; 5], c: [&[u8]; 5], out: &mut [i32]) -> bool {
        let mut any = 0i32;
        for (j, o) in out.iter_mut().enumerate() {
            let mut sum = 0i32;
            for k in 0..5 {
                sum += TAPS[k] * (p[k][j] as i32 - c[k][j] as i32);
            }
            let v = (sum + 128) >> 8;
            *o = v;
            any |= v;
        }
        any != 0
    }
}

with_avx2! {
    /// The sum of |row filtered along its length|, rounded, edges mirrored.
    fn row_sad(row: &[i32]) -> u64 {
        let w = row.len();
        let at = |j: usize| -> u32 {
            let mut sum = 0i64;
            for (k, tap) in TAPS.iter().enumerate() {
                sum += *tap as i64 * row[mirror(j as isize - 2 + k as isize, w)] as i64;
            }
            (((sum + 32768) >> 16) as i32).unsigned_abs()
        };
        let mut total = 0u64;
        for j in (0..2.min(w)).chain(w.saturating_sub(2).max(2)..w) {
            total += at(j) as u64;
        }
        let mut inner = 0u64;
        for win in row.windows(5) {
            let sum = TAPS[0] as i64 * win[0] as i64
                + TAPS[1] as i64 * win[1] as i64
                + TAPS[2] as i64 * win[2] as i64
                + TAPS[3] as i64 * win[3] as i64
                + TAPS[4] as i64 * win[4] as i64;
            inner += (((sum + 32768) >> 16) as i32).unsigned_abs() as u64;
        }
        total + inner
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::metrics::vmaf::libvmaf::{Extractor, features};
    use crate::measure::metrics::vmaf::test_pairs::{CLIPS, Pairs, clips_dir};

    /// Motion and motion2 of `frames` luma planes by this module, in frame order.
    fn ours(frames: &[Plane<'_>]) -> (Vec<f64>, Vec<f64>) {
        let mut m = Motion::new(frames[0].width(), frames[0].height());
        let motion: Vec<f64> = frames.iter().map(|f| m.push(*f)).collect();
        let m2 = (0..motion.len())
            .map(|i| motion2(i as u64, motion[i], motion.get(i + 1).copied()))
            .collect();
        (motion, m2)
    }

    fn libvmaf(frames: &[Plane<'_>]) -> Vec<Vec<f64>> {
        let pairs: Vec<_> = frames.iter().map(|f| (*f, *f)).collect();
        features(
            &[Extractor {
                name: "motion",
                options: &[],
            }],
            &[
                "VMAF_integer_feature_motion_sad_score",
                "VMAF_integer_feature_motion2_score",
            ],
            &pairs,
        )
        .unwrap()
    }

    #[test]
    fn matches_libvmaf_on_every_clip_and_odd_sizes() {
        let Some(dir) = clips_dir("matches_libvmaf_on_every_clip_and_odd_sizes") else {
            return;
        };
        for clip in CLIPS {
            let pairs = Pairs::encode(&dir, clip, 6, 10_000, 30);
            let (w, h) = (pairs.reference[0].width(), pairs.reference[0].height());
            for crop in [
                None,
                Some((301, 211)),
                Some((w as usize - 1, h as usize - 3)),
                Some((33, 47)),
            ] {
                let frames: Vec<Plane<'_>> = pairs.luma(crop).into_iter().map(|(r, _)| r).collect();
                let (motion, m2) = ours(&frames);
                let theirs = libvmaf(&frames);
                for (i, t) in theirs.iter().enumerate() {
                    assert_eq!(motion[i], t[0], "{clip} {crop:?} frame {i} motion");
                    assert_eq!(m2[i], t[1], "{clip} {crop:?} frame {i} motion2");
                }
            }
        }
    }

    #[test]
    fn a_still_picture_has_no_motion_and_a_shift_has_some() {
        let (w, h) = (40, 36);
        let a: Vec<u8> = (0..w * h).map(|i| ((i * 7919) % 251) as u8).collect();
        let b: Vec<u8> = (0..w * h).map(|i| ((i * 7919 + 13) % 251) as u8).collect();
        let (pa, pb) = (Plane::new(&a, w, w, h), Plane::new(&b, w, w, h));
        let (motion, m2) = ours(&[pa, pa, pb]);
        assert_eq!(motion[0], 0.0);
        assert_eq!(motion[1], 0.0);
        assert!(motion[2] > 1.0);
        assert_eq!(m2, vec![0.0, 0.0, motion[2]]);
        assert_eq!(libvmaf(&[pa, pa, pb])[2][0], motion[2]);
    }

    #[test]
    fn row_sum_matches_the_definition() {
        let w = 97;
        let p: Vec<Vec<u8>> = (0..5)
            .map(|k| (0..w).map(|j| ((j * 31 + k * 17) % 256) as u8).collect())
            .collect();
        let c: Vec<Vec<u8>> = (0..5)
            .map(|k| (0..w).map(|j| ((j * 13 + k * 71) % 256) as u8).collect())
            .collect();
        let pr: [&[u8]; 5] = std::array::from_fn(|k| &p[k][..]);
        let cr: [&[u8]; 5] = std::array::from_fn(|k| &c[k][..]);
        let mut row = vec![0; w];
        assert!(column_filter(pr, cr, &mut row));
        // The by-definition sum, every sample through `mirror`.
        let brute: u64 = (0..w)
            .map(|j| {
                let s: i64 = (0..5)
                    .map(|k| TAPS[k] as i64 * row[mirror(j as isize - 2 + k as isize, w)] as i64)
                    .sum();
                (((s + 32768) >> 16) as i32).unsigned_abs() as u64
            })
            .sum();
        assert_eq!(row_sad(&row), brute);
    }
}
