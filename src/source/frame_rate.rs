//! Frame rates as exact rationals.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A constant frame rate, `num / den` frames per second (e.g. 30000/1001).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct FrameRate {
    /// The numerator: frames per `den` seconds.
    pub num: u32,
    /// The denominator, seconds.
    pub den: u32,
}

impl FrameRate {
    /// A frame rate from a rational; `None` unless both parts are positive.
    pub fn new(num: i64, den: i64) -> Option<Self> {
        if num <= 0 || den <= 0 || num > i64::from(u32::MAX) || den > i64::from(u32::MAX) {
            return None;
        }
        let g = gcd(num as u64, den as u64);
        Some(FrameRate {
            num: (num as u64 / g) as u32,
            den: (den as u64 / g) as u32,
        })
    }

    /// Frames per second as a float.
    pub fn fps(self) -> f64 {
        f64::from(self.num) / f64::from(self.den)
    }

    /// Duration of `frames` frames, in seconds.
    pub fn duration_of(self, frames: u64) -> f64 {
        frames as f64 * f64::from(self.den) / f64::from(self.num)
    }

    /// The first frame index whose start time is at or after `seconds`:
    /// `ceil(seconds * fps)`, computed exactly for whole-millisecond `seconds`.
    pub fn first_frame_at_ms(self, millis: u64) -> u64 {
        let n = u128::from(millis) * u128::from(self.num);
        let d = 1000u128 * u128::from(self.den);
        n.div_ceil(d) as u64
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

impl fmt::Display for FrameRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

impl From<FrameRate> for String {
    fn from(r: FrameRate) -> String {
        r.to_string()
    }
}

impl TryFrom<String> for FrameRate {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let (n, d) = s.split_once('/').unwrap_or((s.as_str(), "1"));
        let n: i64 = n
            .trim()
            .parse()
            .map_err(|_| format!("bad frame rate {s:?}"))?;
        let d: i64 = d
            .trim()
            .parse()
            .map_err(|_| format!("bad frame rate {s:?}"))?;
        FrameRate::new(n, d).ok_or_else(|| format!("bad frame rate {s:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reduces_and_round_trips() {
        let r = FrameRate::new(60000, 2002).unwrap();
        assert_eq!(r.to_string(), "30000/1001");
        assert_eq!(FrameRate::try_from("30000/1001".to_string()).unwrap(), r);
        assert!(FrameRate::new(0, 1).is_none());
    }

    #[test]
    fn boundary_frames_are_exact() {
        let ntsc = FrameRate::new(30000, 1001).unwrap();
        // 4 s at 29.97 fps = 119.88 frames: frame 120 is the first at or after 4 s.
        assert_eq!(ntsc.first_frame_at_ms(4000), 120);
        let pal = FrameRate::new(25, 1).unwrap();
        assert_eq!(pal.first_frame_at_ms(4000), 100);
        assert_eq!(pal.first_frame_at_ms(0), 0);
    }
}
