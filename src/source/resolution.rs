//! Frame sizes and how the trial resolutions are derived from the source.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A frame size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Resolution {
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
}

impl Resolution {
    /// A `width` x `height` frame size.
    pub fn new(width: u32, height: u32) -> Self {
        Resolution { width, height }
    }

    /// Number of pixels in a frame.
    pub fn pixels(self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }
}

impl fmt::Display for Resolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

impl std::str::FromStr for Resolution {
    type Err = String;
    /// `WIDTHxHEIGHT`, e.g. `1920x1080`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (w, h) = s
            .split_once(['x', 'X'])
            .ok_or_else(|| format!("{s:?} is not WIDTHxHEIGHT (e.g. 1920x1080)"))?;
        let parse = |v: &str| {
            v.trim()
                .parse::<u32>()
                .ok()
                .filter(|&n| (16..=16384).contains(&n))
        };
        match (parse(w), parse(h)) {
            (Some(width), Some(height)) => Ok(Resolution { width, height }),
            _ => Err(format!("{s:?}: width and height must be 16..16384 pixels")),
        }
    }
}

/// Round to the nearest even number, at least 2 (4:2:0 encoders need even sizes).
fn round_even(x: f64) -> u32 {
    let v = (x / 2.0).round() * 2.0;
    if v < 2.0 { 2 } else { v as u32 }
}

/// The shape of a pixel: the sample aspect ratio `num:den` as displayed (`1:1` for square
/// pixels; anamorphic DVD video is e.g. `16:15`). Written as `num:den` in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SampleAspectRatio {
    /// The pixel's displayed width, relative to `den`.
    pub num: u32,
    /// The pixel's displayed height, relative to `num`.
    pub den: u32,
}

impl SampleAspectRatio {
    /// Square pixels.
    pub const SQUARE: SampleAspectRatio = SampleAspectRatio { num: 1, den: 1 };

    /// `num:den`, or square pixels when either is 0 (how FFmpeg says "unknown").
    pub fn new(num: u32, den: u32) -> Self {
        if num == 0 || den == 0 {
            Self::SQUARE
        } else {
            SampleAspectRatio { num, den }
        }
    }

    /// Whether a pixel is as wide as it is tall.
    pub fn is_square(self) -> bool {
        self.num == self.den
    }

    /// The ratio once the picture is turned a quarter: width and height swap.
    pub fn quarter_turned(self) -> Self {
        SampleAspectRatio {
            num: self.den,
            den: self.num,
        }
    }
}

impl Default for SampleAspectRatio {
    fn default() -> Self {
        Self::SQUARE
    }
}

impl fmt::Display for SampleAspectRatio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.num, self.den)
    }
}

impl Serialize for SampleAspectRatio {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The trial resolutions for a source: one per requested height, the width keeping the
/// source's display aspect ratio (sample aspect ratio included) rounded to even.
///
/// Heights above the source are skipped. When that skips any, the source's own height is
/// added so that the ladder can reach the source's full resolution. The result is sorted by
/// height, ascending, without duplicates.
pub fn trial_resolutions(
    source: Resolution,
    sar: SampleAspectRatio,
    heights: &[u32],
) -> Vec<Resolution> {
    let SampleAspectRatio {
        num: sar_num,
        den: sar_den,
    } = sar;
    let display_aspect = f64::from(source.width) * f64::from(sar_num)
        / (f64::from(source.height) * f64::from(sar_den));
    let source_height = source.height - source.height % 2;
    let mut chosen: Vec<u32> = heights
        .iter()
        .copied()
        .filter(|&h| h >= 2 && h <= source.height)
        .map(|h| h - h % 2)
        .collect();
    if heights.iter().any(|&h| h > source.height) {
        chosen.push(source_height);
    }
    chosen.sort_unstable();
    chosen.dedup();
    chosen
        .into_iter()
        .map(|h| {
            let at_source = h == source_height && sar.is_square();
            let width = if at_source {
                source.width - source.width % 2
            } else {
                round_even(f64::from(h) * display_aspect)
                    .min(source.width.max(2) - source.width % 2)
            };
            Resolution::new(width.max(2), h)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_aspect_and_skips_heights_above_source() {
        let r = trial_resolutions(
            Resolution::new(1920, 1080),
            SampleAspectRatio::SQUARE,
            &[1080, 720, 540, 360, 270, 2160],
        );
        let got: Vec<String> = r.iter().map(|r| r.to_string()).collect();
        assert_eq!(
            got,
            ["480x270", "640x360", "960x540", "1280x720", "1920x1080"]
        );
    }

    #[test]
    fn adds_source_height_when_list_reaches_above_it() {
        let r = trial_resolutions(
            Resolution::new(640, 480),
            SampleAspectRatio::SQUARE,
            &[1080, 720, 360, 270],
        );
        let got: Vec<String> = r.iter().map(|r| r.to_string()).collect();
        assert_eq!(got, ["360x270", "480x360", "640x480"]);
    }

    #[test]
    fn widths_are_even_for_odd_aspects() {
        // 1080x1080 square and an odd-sized source.
        for r in trial_resolutions(
            Resolution::new(1081, 721),
            SampleAspectRatio::SQUARE,
            &[720, 541, 270],
        ) {
            assert_eq!(r.width % 2, 0, "{r}");
            assert_eq!(r.height % 2, 0, "{r}");
        }
        let sq = trial_resolutions(
            Resolution::new(1080, 1080),
            SampleAspectRatio::SQUARE,
            &[720],
        );
        assert_eq!(sq, vec![Resolution::new(720, 720)]);
    }

    #[test]
    fn parses_width_x_height() {
        assert_eq!(
            "1920x1080".parse::<Resolution>(),
            Ok(Resolution::new(1920, 1080))
        );
        assert_eq!(
            "1280X720".parse::<Resolution>(),
            Ok(Resolution::new(1280, 720))
        );
        assert!("1920".parse::<Resolution>().is_err());
        assert!("0x0".parse::<Resolution>().is_err());
        assert!("axb".parse::<Resolution>().is_err());
    }

    #[test]
    fn anamorphic_source_uses_display_aspect() {
        // 720x576 with SAR 16:15 displays at 768x576 (4:3).
        let r = trial_resolutions(
            Resolution::new(720, 576),
            SampleAspectRatio::new(16, 15),
            &[288],
        );
        assert_eq!(r, vec![Resolution::new(384, 288)]);
    }
}
