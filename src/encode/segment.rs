//! Segments: the source is cut every `segment_seconds`; every segment starts on a keyframe so
//! that renditions can switch at segment boundaries.

use crate::error::{Error, Result};
use crate::source::frame_rate::FrameRate;

/// Maps frame indices to segments for a frame rate and a segment duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segmenter {
    rate: FrameRate,
    segment_ms: u64,
}

impl Segmenter {
    /// `segment_seconds` is rounded to whole milliseconds and must be positive.
    pub fn new(rate: FrameRate, segment_seconds: f64) -> Self {
        let segment_ms = (segment_seconds * 1000.0).round().max(1.0) as u64;
        Segmenter { rate, segment_ms }
    }

    /// Index of the first frame of segment `k`: the first frame starting at or after
    /// `k * segment_seconds`.
    pub fn first_frame(&self, k: u64) -> u64 {
        self.rate.first_frame_at_ms(k * self.segment_ms)
    }

    /// The segment a frame belongs to.
    pub fn segment_of(&self, frame: u64) -> u64 {
        // Frame f starts at f * den / num seconds; its segment is floor(start / segment).
        let num = u128::from(self.rate.num);
        let den = u128::from(self.rate.den);
        let k = (u128::from(frame) * den * 1000) / (num * u128::from(self.segment_ms));
        k as u64
    }

    /// Whether a frame opens a segment (and so must be a keyframe).
    pub fn starts_segment(&self, frame: u64) -> bool {
        frame == self.first_frame(self.segment_of(frame))
    }

    /// Number of segments that `frames` frames span.
    pub fn count(&self, frames: u64) -> u64 {
        if frames == 0 {
            0
        } else {
            self.segment_of(frames - 1) + 1
        }
    }

    /// Frame count of each segment of a clip of `frames` frames.
    pub fn frames_per_segment(&self, frames: u64) -> Vec<u64> {
        (0..self.count(frames))
            .map(|k| self.first_frame(k + 1).min(frames) - self.first_frame(k))
            .collect()
    }

    /// The longest segment, in frames: the encoder's maximum keyframe interval.
    pub fn max_segment_frames(&self) -> u64 {
        // Segments hold floor or ceil of (segment_seconds * fps) frames.
        self.rate.first_frame_at_ms(self.segment_ms).max(1)
    }
}

/// A clip of `frames` frames cut into segments: its duration and each segment's frames and
/// duration, as the manifest records them.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    pub frames: u64,
    pub duration_s: f64,
    pub segment_frames: Vec<u64>,
    pub segment_durations: Vec<f64>,
}

impl Timeline {
    /// The segments `segmenter` cuts `frames` frames into.
    pub fn new(segmenter: &Segmenter, frames: u64) -> Self {
        let segment_frames = segmenter.frames_per_segment(frames);
        let segment_durations = segment_frames
            .iter()
            .map(|&n| segmenter.rate.duration_of(n))
            .collect();
        Timeline {
            frames,
            duration_s: segmenter.rate.duration_of(frames),
            segment_frames,
            segment_durations,
        }
    }
}

/// Encoded bits per segment, counted packet by packet as an encoder emits them, checking
/// that every segment opens on a keyframe (so renditions can switch there).
#[derive(Debug, Clone)]
pub struct SegmentBits {
    segmenter: Segmenter,
    bits: Vec<u64>,
}

impl SegmentBits {
    pub fn new(segmenter: Segmenter) -> Self {
        SegmentBits {
            segmenter,
            bits: Vec::new(),
        }
    }

    /// Count one packet of the encode `label`: its pts (the frame index), whether it is a
    /// keyframe, and its size in bytes.
    pub fn add(&mut self, label: &str, pts: Option<i64>, key: bool, bytes: usize) -> Result<()> {
        let frame = pts.and_then(|p| u64::try_from(p).ok()).ok_or_else(|| {
            Error::ffmpeg(
                format!("{label}: packet without a frame index"),
                ffmpeg_next::Error::InvalidData,
            )
        })?;
        let segment = self.segmenter.segment_of(frame) as usize;
        if self.segmenter.starts_segment(frame) && !key {
            return Err(Error::Internal(format!(
                "{label}: frame {frame} opens segment {segment} but is not a keyframe"
            )));
        }
        if self.bits.len() <= segment {
            self.bits.resize(segment + 1, 0);
        }
        self.bits[segment] += bytes as u64 * 8;
        Ok(())
    }

    /// The bits of each segment.
    pub fn into_bits(self) -> Vec<u64> {
        self.bits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute_force_segment(rate: FrameRate, seg_ms: u64, frame: u64) -> u64 {
        // Exact comparison of frame start time against k * seg with integers.
        let mut k = 0;
        while u128::from(frame) * u128::from(rate.den) * 1000
            >= u128::from(k + 1) * u128::from(seg_ms) * u128::from(rate.num)
        {
            k += 1;
        }
        k
    }

    #[test]
    fn agrees_with_brute_force() {
        for (n, d) in [(30000, 1001), (25, 1), (60, 1), (24000, 1001), (50, 1)] {
            let rate = FrameRate::new(n, d).unwrap();
            for seg in [1.0, 2.0, 4.0, 6.006] {
                let s = Segmenter::new(rate, seg);
                for f in 0..800 {
                    let k = brute_force_segment(rate, s.segment_ms, f);
                    assert_eq!(s.segment_of(f), k, "{rate} {seg} frame {f}");
                    assert_eq!(s.starts_segment(f), f == s.first_frame(k));
                }
            }
        }
    }

    #[test]
    fn ntsc_four_second_segments() {
        let s = Segmenter::new(FrameRate::new(30000, 1001).unwrap(), 4.0);
        assert_eq!(s.frames_per_segment(150), vec![120, 30]);
        assert_eq!(s.count(150), 2);
        assert_eq!(s.max_segment_frames(), 120);
        let s25 = Segmenter::new(FrameRate::new(25, 1).unwrap(), 4.0);
        assert_eq!(s25.frames_per_segment(100), vec![100]);
        assert_eq!(s25.frames_per_segment(101), vec![100, 1]);
    }
}
