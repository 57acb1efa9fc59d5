//! Heat maps of local error: luma SSIM or squared error over 8x8 blocks, on a perceptually
//! ordered colour map.

use crate::measure::metrics::Plane;
use image::{Rgb, RgbImage};

/// Side of the blocks SSIM is computed over, pixels.
pub const BLOCK: usize = 8;
/// `1 - SSIM` at which the colour map tops out: blocks at or past it are drawn brightest.
pub const FULL_SCALE: f64 = 0.5;
/// The block PSNR range of the squared-error map: from this (dB) up, drawn darkest ...
pub const PSNR_DARK: f64 = 50.0;
/// ... and from this down, brightest.
pub const PSNR_BRIGHT: f64 = 20.0;

/// What a heat map shows of each block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeatMap {
    /// Luma SSIM, drawn as `1 - SSIM` (structure and contrast: blurring, blocking, ringing).
    #[default]
    Ssim,
    /// Luma mean squared error, as a block PSNR (every change of value, flat areas too).
    Error,
}

impl HeatMap {
    /// Every kind of map, default first.
    pub const ALL: [HeatMap; 2] = [HeatMap::Ssim, HeatMap::Error];
}

impl std::fmt::Display for HeatMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HeatMap::Ssim => "ssim",
            HeatMap::Error => "error",
        })
    }
}

impl HeatMap {
    /// What the map shows, in words.
    pub fn describe(self) -> String {
        match self {
            HeatMap::Ssim => format!(
                "luma SSIM of each {BLOCK}x{BLOCK} block, drawn as 1 - SSIM on the inferno colour map from 0 (black) to {FULL_SCALE} (brightest)"
            ),
            HeatMap::Error => format!(
                "luma squared error of each {BLOCK}x{BLOCK} block as a PSNR, on the inferno colour map from {PSNR_DARK} dB (black) down to {PSNR_BRIGHT} dB (brightest)"
            ),
        }
    }

    /// The legend line drawn under the map.
    pub fn legend(self) -> String {
        match self {
            HeatMap::Ssim => {
                format!(
                    "1 - SSIM per {BLOCK}x{BLOCK} block: black 0, brightest {FULL_SCALE} or more"
                )
            }
            HeatMap::Error => format!(
                "PSNR per {BLOCK}x{BLOCK} block: black {PSNR_DARK} dB or more, brightest {PSNR_BRIGHT} dB or less"
            ),
        }
    }

    /// The value of a block pair: SSIM, or PSNR in dB (infinite for equal blocks).
    fn block(self, a: Plane<'_>, b: Plane<'_>) -> f64 {
        match self {
            HeatMap::Ssim => block_ssim(a, b),
            HeatMap::Error => {
                let n = (a.width() * a.height()) as f64;
                let sse: f64 = (0..a.height())
                    .flat_map(|y| a.row(y).iter().zip(b.row(y)))
                    .map(|(&x, &z)| (f64::from(x) - f64::from(z)).powi(2))
                    .sum();
                if sse == 0.0 {
                    f64::INFINITY
                } else {
                    10.0 * (255.0 * 255.0 * n / sse).log10()
                }
            }
        }
    }

    /// Where a block's value falls on the colour map, 0 (dark, alike) to 1 (bright).
    fn shade(self, value: f64) -> f64 {
        match self {
            HeatMap::Ssim => (1.0 - value) / FULL_SCALE,
            HeatMap::Error if value.is_infinite() => 0.0,
            HeatMap::Error => (PSNR_DARK - value) / (PSNR_DARK - PSNR_BRIGHT),
        }
    }
}

/// Inferno (matplotlib's perceptually uniform map, dark to bright) at eleven even stops.
const INFERNO: [[u8; 3]; 11] = [
    [0, 0, 4],
    [22, 11, 57],
    [66, 10, 104],
    [106, 23, 110],
    [147, 38, 103],
    [188, 55, 84],
    [221, 81, 58],
    [243, 120, 25],
    [252, 165, 10],
    [246, 215, 70],
    [252, 255, 164],
];

/// The colour of `t` in 0..=1 (clamped) on the inferno map, linear between stops.
pub fn inferno(t: f64) -> Rgb<u8> {
    let t = if t.is_nan() { 1.0 } else { t.clamp(0.0, 1.0) };
    let x = t * (INFERNO.len() - 1) as f64;
    let i = (x.floor() as usize).min(INFERNO.len() - 2);
    let f = x - i as f64;
    let mix = |c: usize| {
        let (a, b) = (f64::from(INFERNO[i][c]), f64::from(INFERNO[i + 1][c]));
        (a + f * (b - a)).round() as u8
    };
    Rgb([mix(0), mix(1), mix(2)])
}

/// SSIM of two same-size blocks (the constants of Wang et al. for 8-bit samples).
fn block_ssim(a: Plane<'_>, b: Plane<'_>) -> f64 {
    let n = (a.width() * a.height()) as f64;
    let (mut sa, mut sb, mut saa, mut sbb, mut sab) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for y in 0..a.height() {
        for (&x, &z) in a.row(y).iter().zip(b.row(y)) {
            let (x, z) = (f64::from(x), f64::from(z));
            sa += x;
            sb += z;
            saa += x * x;
            sbb += z * z;
            sab += x * z;
        }
    }
    let (ma, mb) = (sa / n, sb / n);
    let va = saa / n - ma * ma;
    let vb = sbb / n - mb * mb;
    let cov = sab / n - ma * mb;
    let c1 = (0.01 * 255.0f64).powi(2);
    let c2 = (0.03 * 255.0f64).powi(2);
    ((2.0 * ma * mb + c1) * (2.0 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
}

/// A value (SSIM or PSNR) of every 8x8 block of `distorted` against `reference` (same
/// size), row by row; the blocks at the right and bottom edges may be smaller.
pub struct BlockMap {
    /// What each value is.
    pub kind: HeatMap,
    /// Blocks across.
    pub columns: usize,
    /// Blocks down.
    pub rows: usize,
    /// One value per block, row by row (`columns` x `rows`).
    pub values: Vec<f64>,
}

impl BlockMap {
    /// The map of `distorted` against `reference` (planes of the same size).
    pub fn of(kind: HeatMap, reference: Plane<'_>, distorted: Plane<'_>) -> BlockMap {
        let (w, h) = (reference.width(), reference.height());
        let (columns, rows) = (w.div_ceil(BLOCK), h.div_ceil(BLOCK));
        let mut values = Vec::with_capacity(columns * rows);
        for by in 0..rows {
            for bx in 0..columns {
                let (x, y) = (bx * BLOCK, by * BLOCK);
                let (bw, bh) = (BLOCK.min(w - x), BLOCK.min(h - y));
                values.push(kind.block(reference.crop(x, y, bw, bh), distorted.crop(x, y, bw, bh)));
            }
        }
        BlockMap {
            kind,
            columns,
            rows,
            values,
        }
    }

    /// The map as a picture of `width` x `height` (the planes' size): each block in the
    /// colour of its value's shade.
    pub fn picture(&self, width: u32, height: u32) -> RgbImage {
        RgbImage::from_fn(width, height, |x, y| {
            let bx = (x as usize / BLOCK).min(self.columns - 1);
            let by = (y as usize / BLOCK).min(self.rows - 1);
            inferno(self.kind.shade(self.values[by * self.columns + bx]))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plane_against_itself_is_ssim_one_everywhere_and_one_colour() {
        let (w, h) = (37, 21);
        let data: Vec<u8> = (0..w * h).map(|i| ((i * 7919) % 251) as u8).collect();
        let p = Plane::new(&data, w, w, h);
        let map = BlockMap::of(HeatMap::Ssim, p, p);
        assert_eq!((map.columns, map.rows), (5, 3));
        assert!(map.values.iter().all(|&v| v == 1.0), "{:?}", map.values);
        let pic = map.picture(w as u32, h as u32);
        assert!(pic.pixels().all(|&px| px == inferno(0.0)));
        let map = BlockMap::of(HeatMap::Error, p, p);
        assert!(map.values.iter().all(|v| v.is_infinite()));
        let pic = map.picture(w as u32, h as u32);
        assert!(pic.pixels().all(|&px| px == inferno(0.0)));
    }

    #[test]
    fn a_damaged_block_is_the_only_bright_one() {
        let (w, h) = (32, 16);
        let data: Vec<u8> = (0..w * h).map(|i| ((i * 31) % 200 + 20) as u8).collect();
        let mut damaged = data.clone();
        // Block (2, 1): pixels 16..24 x 8..16, turned to their negatives.
        for y in 8..16 {
            for x in 16..24 {
                damaged[y * w + x] = 255 - damaged[y * w + x];
            }
        }
        let map = BlockMap::of(
            HeatMap::Ssim,
            Plane::new(&data, w, w, h),
            Plane::new(&damaged, w, w, h),
        );
        for (i, &v) in map.values.iter().enumerate() {
            if i == map.columns + 2 {
                assert!(v < 0.0, "{v}");
            } else {
                assert_eq!(v, 1.0);
            }
        }
        let pic = map.picture(w as u32, h as u32);
        assert_eq!(*pic.get_pixel(20, 12), inferno(1.0));
        assert_eq!(*pic.get_pixel(4, 4), inferno(0.0));
    }

    #[test]
    fn the_error_map_is_the_block_psnr() {
        // One block off by 5 everywhere: PSNR 10 log10(255^2 / 25) = 34.15 dB, the other
        // block equal.
        let (w, h) = (16, 8);
        let a = vec![100u8; w * h];
        let mut b = a.clone();
        for y in 0..h {
            for x in 8..16 {
                b[y * w + x] = 105;
            }
        }
        let map = BlockMap::of(
            HeatMap::Error,
            Plane::new(&a, w, w, h),
            Plane::new(&b, w, w, h),
        );
        assert!(map.values[0].is_infinite());
        let want = 10.0 * (255.0f64 * 255.0 / 25.0).log10();
        assert!((map.values[1] - want).abs() < 1e-9, "{}", map.values[1]);
        let pic = map.picture(w as u32, h as u32);
        let t = (PSNR_DARK - want) / (PSNR_DARK - PSNR_BRIGHT);
        assert_eq!(*pic.get_pixel(12, 4), inferno(t));
        assert_eq!(*pic.get_pixel(3, 4), inferno(0.0));
    }

    #[test]
    fn inferno_runs_dark_to_bright() {
        let luma = |c: Rgb<u8>| {
            0.2126 * f64::from(c[0]) + 0.7152 * f64::from(c[1]) + 0.0722 * f64::from(c[2])
        };
        let steps: Vec<f64> = (0..=100)
            .map(|i| luma(inferno(f64::from(i) / 100.0)))
            .collect();
        assert!(steps.windows(2).all(|w| w[1] >= w[0]), "{steps:?}");
        assert_eq!(inferno(-1.0), inferno(0.0));
        assert_eq!(inferno(2.0).0, [252, 255, 164]);
    }
}
