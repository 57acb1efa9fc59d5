//! 8-bit 4:2:0 frames as RGB pictures.

use ffmpeg_next::{color, frame};
use image::RgbImage;

/// The Y'CbCr matrix a frame's samples were made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matrix {
    /// ITU-R BT.601 (standard definition).
    Bt601,
    /// ITU-R BT.709 (high definition).
    Bt709,
    /// ITU-R BT.2020, non-constant luminance (UHD).
    Bt2020,
}

impl Matrix {
    /// The matrix a frame states, or else the usual one for its size (BT.709 from 1280
    /// columns or above 576 lines), as players guess it.
    pub fn of(frame: &frame::Video) -> Matrix {
        match frame.color_space() {
            color::Space::BT709 => Matrix::Bt709,
            color::Space::BT470BG | color::Space::SMPTE170M | color::Space::FCC => Matrix::Bt601,
            color::Space::BT2020NCL | color::Space::BT2020CL => Matrix::Bt2020,
            _ if frame.width() >= 1280 || frame.height() > 576 => Matrix::Bt709,
            _ => Matrix::Bt601,
        }
    }

    /// The luma weights (Kr, Kb).
    fn weights(self) -> (f32, f32) {
        match self {
            Matrix::Bt601 => (0.299, 0.114),
            Matrix::Bt709 => (0.2126, 0.0722),
            Matrix::Bt2020 => (0.2627, 0.0593),
        }
    }
}

/// How a frame's samples are to be read as colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colour {
    /// The Y'CbCr matrix.
    pub matrix: Matrix,
    /// Samples span 0..255 (JPEG range) rather than 16..235 (luma) and 16..240 (chroma).
    pub full_range: bool,
}

impl Colour {
    /// What `frame` states, with [`Matrix::of`]'s guess where it states no matrix.
    pub fn of(frame: &frame::Video) -> Colour {
        Colour {
            matrix: Matrix::of(frame),
            full_range: frame.color_range() == color::Range::JPEG,
        }
    }
}

/// A yuv420p frame as RGB, its chroma upsampled bilinearly (chroma sited as MPEG-2 and
/// H.264 site it: level with the even luma columns, between two luma rows).
pub fn to_rgb(frame: &frame::Video, colour: Colour) -> RgbImage {
    let (w, h) = (frame.width() as usize, frame.height() as usize);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let plane = |i: usize| (frame.data(i), frame.stride(i));
    let (y_data, y_stride) = plane(0);
    let (u_data, u_stride) = plane(1);
    let (v_data, v_stride) = plane(2);
    let (kr, kb) = colour.matrix.weights();
    let kg = 1.0 - kr - kb;
    let (y_off, y_scale, c_scale) = if colour.full_range {
        (0.0, 1.0, 1.0)
    } else {
        (16.0, 255.0 / 219.0, 255.0 / 224.0)
    };
    // Bilinear weights of a chroma sample position: the lower index and the fraction.
    let taps = |pos: f32, n: usize| -> (usize, usize, f32) {
        let p = pos.clamp(0.0, (n - 1) as f32);
        let i = p.floor() as usize;
        (i, (i + 1).min(n - 1), p - i as f32)
    };
    let columns: Vec<(usize, usize, f32)> = (0..w).map(|x| taps(x as f32 / 2.0, cw)).collect();
    let mut out = RgbImage::new(w as u32, h as u32);
    for (y, row) in out.rows_mut().enumerate() {
        let (r0, r1, fy) = taps((y as f32 - 0.5) / 2.0, ch);
        let luma = &y_data[y * y_stride..y * y_stride + w];
        let chroma = |data: &[u8], stride: usize, x: usize| -> f32 {
            let (c0, c1, fx) = columns[x];
            let at = |r: usize, c: usize| f32::from(data[r * stride + c]);
            let top = at(r0, c0) + fx * (at(r0, c1) - at(r0, c0));
            let bottom = at(r1, c0) + fx * (at(r1, c1) - at(r1, c0));
            top + fy * (bottom - top)
        };
        for (x, px) in row.enumerate() {
            let yy = (f32::from(luma[x]) - y_off) * y_scale;
            let cb = (chroma(u_data, u_stride, x) - 128.0) * c_scale;
            let cr = (chroma(v_data, v_stride, x) - 128.0) * c_scale;
            let r = yy + 2.0 * (1.0 - kr) * cr;
            let b = yy + 2.0 * (1.0 - kb) * cb;
            let g = yy - (2.0 * kb * (1.0 - kb) * cb + 2.0 * kr * (1.0 - kr) * cr) / kg;
            let q = |v: f32| v.round().clamp(0.0, 255.0) as u8;
            *px = image::Rgb([q(r), q(g), q(b)]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ffmpeg_next::format::Pixel;

    fn flat(w: u32, h: u32, y: u8, u: u8, v: u8) -> frame::Video {
        crate::source::init();
        let mut f = frame::Video::new(Pixel::YUV420P, w, h);
        for (i, value) in [y, u, v].into_iter().enumerate() {
            f.data_mut(i).fill(value);
        }
        f
    }

    const LIMITED_601: Colour = Colour {
        matrix: Matrix::Bt601,
        full_range: false,
    };

    #[test]
    fn limited_range_black_white_and_primaries() {
        let px = |y, u, v, c| *to_rgb(&flat(4, 4, y, u, v), c).get_pixel(1, 1);
        assert_eq!(px(16, 128, 128, LIMITED_601).0, [0, 0, 0]);
        assert_eq!(px(235, 128, 128, LIMITED_601).0, [255, 255, 255]);
        // BT.601 red: Y 81, Cb 90, Cr 240 (limited range).
        let red = px(81, 90, 240, LIMITED_601).0;
        assert!(red[0] >= 253 && red[1] <= 2 && red[2] <= 2, "{red:?}");
        // BT.709 green: Y 173, Cb 42, Cr 26.
        let c709 = Colour {
            matrix: Matrix::Bt709,
            full_range: false,
        };
        let green = px(173, 42, 26, c709).0;
        assert!(
            green[0] <= 2 && green[1] >= 253 && green[2] <= 2,
            "{green:?}"
        );
        // Full range: 0 and 255 as they are.
        let full = Colour {
            matrix: Matrix::Bt601,
            full_range: true,
        };
        assert_eq!(px(0, 128, 128, full).0, [0, 0, 0]);
        assert_eq!(px(255, 128, 128, full).0, [255, 255, 255]);
    }

    #[test]
    fn chroma_is_interpolated_between_samples() {
        // Chroma 0 in the left column of samples, 255 in the right one (8 luma columns, 4
        // chroma): luma column 3 lies halfway between chroma columns 1 and 2.
        let mut f = flat(8, 2, 128, 128, 128);
        for x in 0..4 {
            f.data_mut(2)[x] = if x < 2 { 100 } else { 200 };
        }
        let img = to_rgb(&f, LIMITED_601);
        let red = |x: u32| img.get_pixel(x, 0).0[0];
        assert!(red(0) == red(2) && red(2) < red(3) && red(3) < red(4) && red(4) == red(7));
        let mid = to_rgb(&flat(8, 2, 128, 128, 150), LIMITED_601)
            .get_pixel(0, 0)
            .0[0];
        assert!(
            (i32::from(red(3)) - i32::from(mid)).abs() <= 1,
            "{} {mid}",
            red(3)
        );
    }

    #[test]
    fn stated_matrix_wins_over_the_size_guess() {
        let mut f = flat(64, 64, 16, 128, 128);
        assert_eq!(Matrix::of(&f), Matrix::Bt601);
        f.set_color_space(color::Space::BT709);
        assert_eq!(Matrix::of(&f), Matrix::Bt709);
        let hd = flat(1280, 720, 16, 128, 128);
        assert_eq!(Matrix::of(&hd), Matrix::Bt709);
        let scope = flat(1280, 544, 16, 128, 128);
        assert_eq!(Matrix::of(&scope), Matrix::Bt709);
        let pal = flat(720, 576, 16, 128, 128);
        assert_eq!(Matrix::of(&pal), Matrix::Bt601);
        f.set_color_space(color::Space::BT2020NCL);
        assert_eq!(Matrix::of(&f), Matrix::Bt2020);
    }
}
