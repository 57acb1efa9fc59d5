//! Segments: the source is cut every `segment_seconds`, or, for shot-based encodes, at every
//! shot start and within each shot into equal pieces of at most `segment_seconds`; every
//! segment starts on a keyframe so that renditions can switch at segment boundaries.

use crate::error::{Error, Result};
use crate::shots::Shot;
use crate::source::frame_rate::FrameRate;
use std::sync::Arc;

/// Maps frame indices to segments for a frame rate and a segment duration, or for a title's
/// shots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segmenter {
    rate: FrameRate,
    segment_ms: u64,
    /// Shot-aligned segments: every segment's first frame, in order from 0, then the frame
    /// after the title's last. `None`: segments of `segment_ms` each.
    starts: Option<Arc<[u64]>>,
}

impl Segmenter {
    /// `segment_seconds` is rounded to whole milliseconds and must be positive.
    pub fn new(rate: FrameRate, segment_seconds: f64) -> Self {
        let segment_ms = (segment_seconds * 1000.0).round().max(1.0) as u64;
        Segmenter {
            rate,
            segment_ms,
            starts: None,
        }
    }

    /// Shot-aligned segments: a segment starts at every shot's first frame, and a shot longer
    /// than `segment_seconds` is cut into the fewest equal pieces (to a frame) of at most
    /// that long. `shots` cover the title in order from frame 0.
    pub fn with_shots(rate: FrameRate, segment_seconds: f64, shots: &[Shot]) -> Self {
        let time = Segmenter::new(rate, segment_seconds);
        let most = time.max_segment_frames();
        let mut starts = Vec::with_capacity(shots.len() + 1);
        for shot in shots {
            let pieces = shot.frames.div_ceil(most).max(1);
            for i in 0..pieces {
                starts.push(shot.start_frame + i * shot.frames / pieces);
            }
        }
        starts.push(shots.last().map_or(0, |s| s.end_frame()));
        Segmenter {
            starts: Some(starts.into()),
            ..time
        }
    }

    /// A title's segments: following `shots` when given (a shot-based run), else of
    /// `segment_seconds` each.
    pub fn for_title(rate: FrameRate, segment_seconds: f64, shots: Option<&[Shot]>) -> Self {
        match shots {
            Some(shots) => Segmenter::with_shots(rate, segment_seconds, shots),
            None => Segmenter::new(rate, segment_seconds),
        }
    }

    /// Whether the segments follow shots (their durations vary).
    pub fn is_shot_aligned(&self) -> bool {
        self.starts.is_some()
    }

    /// Index of the first frame of segment `k`: the first frame starting at or after
    /// `k * segment_seconds`, or with shots the segment's first frame (past the last
    /// segment, the frame after the title's last).
    pub fn first_frame(&self, k: u64) -> u64 {
        match &self.starts {
            None => self.rate.first_frame_at_ms(k * self.segment_ms),
            Some(starts) => {
                let last = starts.len() - 1;
                starts[usize::try_from(k).map_or(last, |k| k.min(last))]
            }
        }
    }

    /// The segment a frame belongs to.
    pub fn segment_of(&self, frame: u64) -> u64 {
        match &self.starts {
            None => {
                // Frame f starts at f * den / num seconds; its segment is floor(start / segment).
                let num = u128::from(self.rate.num);
                let den = u128::from(self.rate.den);
                let k = (u128::from(frame) * den * 1000) / (num * u128::from(self.segment_ms));
                k as u64
            }
            Some(starts) => {
                // The last start at or before the frame; a frame past the title's end is in
                // its last segment.
                let after = starts[..starts.len() - 1].partition_point(|&s| s <= frame);
                after.saturating_sub(1) as u64
            }
        }
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
        match &self.starts {
            // Segments hold floor or ceil of (segment_seconds * fps) frames.
            None => self.rate.first_frame_at_ms(self.segment_ms).max(1),
            Some(starts) => starts
                .windows(2)
                .map(|w| w[1] - w[0])
                .max()
                .unwrap_or(1)
                .max(1),
        }
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
    fn shot_aligned_segments_start_at_every_shot_and_stay_short() {
        let rate = FrameRate::new(25, 1).unwrap();
        // Shots of 63, 1, 250 (2.5 segments of 4 s), 100 (exactly one) and 101 frames.
        let lengths = [63u64, 1, 250, 100, 101];
        let mut shots = Vec::new();
        let mut at = 0;
        for n in lengths {
            shots.push(Shot {
                start_frame: at,
                frames: n,
            });
            at += n;
        }
        let s = Segmenter::with_shots(rate, 4.0, &shots);
        assert!(s.is_shot_aligned());
        let per = s.frames_per_segment(at);
        assert_eq!(per, [63, 1, 83, 83, 84, 100, 50, 51]);
        assert_eq!(per.iter().sum::<u64>(), at);
        assert_eq!(s.max_segment_frames(), 100);
        for shot in &shots {
            assert!(s.starts_segment(shot.start_frame));
        }
        // Every frame's segment by brute force over the starts.
        let mut starts = vec![0u64];
        for n in &per {
            starts.push(starts.last().unwrap() + n);
        }
        for f in 0..at {
            let k = starts.iter().rposition(|&x| x <= f).unwrap() as u64;
            assert_eq!(s.segment_of(f), k, "frame {f}");
            assert_eq!(s.first_frame(k), starts[k as usize]);
            assert_eq!(s.starts_segment(f), starts.contains(&f));
            // No segment crosses a shot start.
            let shot = shots.iter().rposition(|x| x.start_frame <= f).unwrap();
            assert!(s.first_frame(k) >= shots[shot].start_frame);
        }
        assert_eq!(s.first_frame(99), at);
        assert_eq!(s.count(at), per.len() as u64);
        // One shot, shorter than a segment: one segment.
        let one = [Shot {
            start_frame: 0,
            frames: 7,
        }];
        let s = Segmenter::with_shots(rate, 4.0, &one);
        assert_eq!(s.frames_per_segment(7), [7]);
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
