//! Rotation metadata: phones store upright video sideways and say, in the stream's display
//! matrix, how a player must turn it. pertitle turns every decoded frame the same way, as
//! the FFmpeg program does by default (`-autorotate`), so the ladder is measured, encoded
//! and described as viewers see the video: a portrait phone clip gives portrait rungs, and
//! the encodes need no rotation metadata of their own.
//!
//! Only quarter turns are applied (the only kind cameras write); a matrix with another
//! angle, or with a mirror, is left alone, as the FFmpeg 5.1 program leaves it.

use crate::source::resolution::{Resolution, SampleAspectRatio};
use ffmpeg_next::{format, frame};
use serde::Serialize;

/// A clockwise quarter turn that makes a decoded frame upright.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Rotation {
    /// Already upright (no display matrix, or no turn).
    #[default]
    None,
    /// A quarter turn clockwise.
    Clockwise90,
    /// A half turn.
    Half,
    /// Three quarter turns clockwise (a quarter turn counterclockwise).
    Clockwise270,
}

impl Rotation {
    /// Degrees of clockwise turn: 0, 90, 180 or 270.
    pub fn degrees(self) -> u32 {
        match self {
            Rotation::None => 0,
            Rotation::Clockwise90 => 90,
            Rotation::Half => 180,
            Rotation::Clockwise270 => 270,
        }
    }

    /// The turn a display matrix (nine 16.16/2.30 fixed-point numbers, as FFmpeg stores
    /// them) asks for; [`Rotation::None`] for an angle that is not a quarter turn.
    pub fn from_display_matrix(matrix: &[i32; 9]) -> Rotation {
        // SAFETY: av_display_rotation_get reads exactly nine i32 values.
        let counterclockwise =
            unsafe { ffmpeg_next::ffi::av_display_rotation_get(matrix.as_ptr()) };
        if !counterclockwise.is_finite() {
            return Rotation::None;
        }
        // The FFmpeg program's rule (fftools/cmdutils.c, get_rotation): the clockwise turn
        // to apply is the angle av_display_rotation_get returns, negated, in [0, 360).
        let clockwise = (-counterclockwise.round()).rem_euclid(360.0);
        let near = |angle: f64| (clockwise - angle).abs() < 1.0;
        if near(90.0) {
            Rotation::Clockwise90
        } else if near(180.0) {
            Rotation::Half
        } else if near(270.0) {
            Rotation::Clockwise270
        } else {
            Rotation::None
        }
    }

    /// Read a display matrix from side data bytes (native-endian i32s).
    pub fn from_side_data(bytes: &[u8]) -> Rotation {
        if bytes.len() < 36 {
            return Rotation::None;
        }
        let mut matrix = [0i32; 9];
        for (value, chunk) in matrix.iter_mut().zip(bytes.chunks_exact(4)) {
            *value = i32::from_ne_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
        Rotation::from_display_matrix(&matrix)
    }

    /// Whether width and height trade places.
    pub fn swaps_sides(self) -> bool {
        matches!(self, Rotation::Clockwise90 | Rotation::Clockwise270)
    }

    /// The size of a frame of `coded` size once turned.
    pub fn apply_to_size(self, coded: Resolution) -> Resolution {
        if self.swaps_sides() {
            Resolution::new(coded.height, coded.width)
        } else {
            coded
        }
    }

    /// The sample aspect ratio once turned: a quarter turn inverts it.
    pub fn apply_to_sar(self, sar: SampleAspectRatio) -> SampleAspectRatio {
        if self.swaps_sides() {
            sar.quarter_turned()
        } else {
            sar
        }
    }

    /// A new yuv420p frame holding `input` (yuv420p) turned; pts and picture type are
    /// copied. [`Rotation::None`] copies the frame.
    pub fn apply(self, input: &frame::Video) -> frame::Video {
        let to = self.apply_to_size(Resolution::new(input.width(), input.height()));
        let mut out = frame::Video::new(format::Pixel::YUV420P, to.width, to.height);
        for plane in 0..3 {
            let (w, h) = (
                input.plane_width(plane) as usize,
                input.plane_height(plane) as usize,
            );
            let in_stride = input.stride(plane);
            let out_stride = out.stride(plane);
            let src = input.data(plane);
            let dst = out.data_mut(plane);
            for y in 0..h {
                let row = &src[y * in_stride..y * in_stride + w];
                for (x, &sample) in row.iter().enumerate() {
                    // Where sample (x, y) of a w x h plane lands in the turned plane.
                    let (tx, ty) = match self {
                        Rotation::None => (x, y),
                        Rotation::Clockwise90 => (h - 1 - y, x),
                        Rotation::Half => (w - 1 - x, h - 1 - y),
                        Rotation::Clockwise270 => (y, w - 1 - x),
                    };
                    dst[ty * out_stride + tx] = sample;
                }
            }
        }
        out.set_pts(input.pts());
        out.set_kind(input.kind());
        crate::source::scale::copy_colour(input, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 5x3 frame whose samples name their place: Y = 10 y + x, U/V = 100 + 10 y + x.
    fn numbered(w: u32, h: u32) -> frame::Video {
        crate::source::init();
        let mut f = frame::Video::new(format::Pixel::YUV420P, w, h);
        for plane in 0..3 {
            let (pw, ph) = (
                f.plane_width(plane) as usize,
                f.plane_height(plane) as usize,
            );
            let stride = f.stride(plane);
            let base = if plane == 0 { 0 } else { 100 };
            let data = f.data_mut(plane);
            for y in 0..ph {
                for x in 0..pw {
                    data[y * stride + x] = (base + 10 * y + x) as u8;
                }
            }
        }
        f
    }

    fn sample(f: &frame::Video, plane: usize, x: usize, y: usize) -> u8 {
        f.data(plane)[y * f.stride(plane) + x]
    }

    #[test]
    fn quarter_turns_move_every_sample_where_a_turn_puts_it() {
        let input = numbered(5, 3);
        for rotation in [
            Rotation::None,
            Rotation::Clockwise90,
            Rotation::Half,
            Rotation::Clockwise270,
        ] {
            let out = rotation.apply(&input);
            let expect = rotation.apply_to_size(Resolution::new(5, 3));
            assert_eq!((out.width(), out.height()), (expect.width, expect.height));
            for plane in 0..3 {
                let (w, h) = (
                    input.plane_width(plane) as usize,
                    input.plane_height(plane) as usize,
                );
                assert_eq!(
                    (
                        out.plane_width(plane) as usize,
                        out.plane_height(plane) as usize
                    ),
                    if rotation.swaps_sides() {
                        (h, w)
                    } else {
                        (w, h)
                    },
                    "{rotation:?} plane {plane}"
                );
                for y in 0..h {
                    for x in 0..w {
                        // A clockwise turn by 90 degrees sends the top-left corner to the
                        // top-right one: (x, y) -> (h - 1 - y, x); the others compose it.
                        let mut p = (x, y);
                        let (mut cw, mut ch) = (w, h);
                        for _ in 0..rotation.degrees() / 90 {
                            p = (ch - 1 - p.1, p.0);
                            (cw, ch) = (ch, cw);
                        }
                        assert_eq!(
                            sample(&out, plane, p.0, p.1),
                            sample(&input, plane, x, y),
                            "{rotation:?} plane {plane} sample ({x}, {y})"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn display_matrices_of_each_quarter_turn_are_read() {
        // The matrix av_display_rotation_set makes for an angle: FFmpeg's player-side rule
        // reads it back as that clockwise turn (FFmpeg 5.1's av_display_rotation_get
        // returns the angle negated).
        let matrix = |counterclockwise: f64| {
            let mut m = [0i32; 9];
            // SAFETY: writes nine i32 values.
            unsafe { ffmpeg_next::ffi::av_display_rotation_set(m.as_mut_ptr(), counterclockwise) };
            m
        };
        assert_eq!(Rotation::from_display_matrix(&matrix(0.0)), Rotation::None);
        assert_eq!(
            Rotation::from_display_matrix(&matrix(90.0)),
            Rotation::Clockwise90
        );
        assert_eq!(
            Rotation::from_display_matrix(&matrix(-90.0)),
            Rotation::Clockwise270
        );
        assert_eq!(
            Rotation::from_display_matrix(&matrix(180.0)),
            Rotation::Half
        );
        assert_eq!(
            Rotation::from_display_matrix(&matrix(-180.0)),
            Rotation::Half
        );
        assert_eq!(Rotation::from_display_matrix(&matrix(45.0)), Rotation::None);
        let bytes: Vec<u8> = matrix(90.0).iter().flat_map(|v| v.to_ne_bytes()).collect();
        assert_eq!(Rotation::from_side_data(&bytes), Rotation::Clockwise90);
        assert_eq!(Rotation::from_side_data(&bytes[..20]), Rotation::None);
        assert_eq!(
            Rotation::Clockwise90.apply_to_sar(SampleAspectRatio::new(4, 3)),
            SampleAspectRatio::new(3, 4)
        );
        assert_eq!(
            Rotation::Half.apply_to_sar(SampleAspectRatio::new(4, 3)),
            SampleAspectRatio::new(4, 3)
        );
    }
}
