//! A temporal sample of the source: some of its segments, spread evenly over it, encoded as
//! one shorter clip. A proxy search measured on a sample costs its share of a full search;
//! the rungs it chooses are then encoded and measured over the whole source.
//!
//! The windows are whole segments of the source, one centred in each of `n` equal parts of
//! it, so every window is encoded as a segment of a rung is (one keyframe, then as many
//! frames): shorter windows would spend a larger share of their bits on keyframes than the
//! rungs do, at every resolution and CRF differently (measured on the shared 5 s clips with
//! one 1 s window: the sampled search placed the talking head's crossovers so that its
//! ladder needed 11.6% more bits). On the sample's own timeline the windows follow one
//! another, so it is cut into windows exactly as a source is cut into segments
//! ([`Segmenter`]).

use crate::encode::segment::Segmenter;
use crate::source::frame_rate::FrameRate;
use serde::{Deserialize, Serialize};

/// One window: where it starts in the source and how many frames it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub start_frame: u64,
    pub frames: u64,
}

/// Which source frames a sample takes, and where they land on the sample's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    windows: Vec<Window>,
    /// The sample's timeline, cut into its windows.
    timeline: Segmenter,
}

impl Sample {
    /// About `fraction` of a source of `frames` frames at `rate` cut into segments of
    /// `segment_seconds` (at least one window). `None` when the sample would take the whole
    /// source (a `fraction` of 1 or more, or a source of fewer segments than the sample
    /// needs).
    pub fn new(rate: FrameRate, frames: u64, fraction: f64, segment_seconds: f64) -> Option<Self> {
        let source = Segmenter::new(rate, segment_seconds);
        // Whole windows of the source (a shorter last one is not used).
        let whole: Vec<u64> = (0..source.count(frames))
            .filter(|&k| source.first_frame(k + 1) <= frames)
            .collect();
        let wanted = (whole.len() as f64 * fraction).round();
        if fraction.is_nan() || fraction >= 1.0 || wanted.max(1.0) >= whole.len() as f64 {
            return None;
        }
        let n = (wanted as usize).max(1);
        let timeline = source.clone();
        let windows: Vec<Window> = (0..n)
            .map(|k| {
                // The middle window of the k-th of n equal parts.
                let j = whole[(2 * k + 1) * whole.len() / (2 * n)];
                let start_frame = source.first_frame(j);
                // As long as the sample's own k-th window, so the windows tile its timeline.
                let own = timeline.first_frame(k as u64 + 1) - timeline.first_frame(k as u64);
                Window {
                    start_frame,
                    frames: own.min(frames - start_frame),
                }
            })
            .collect();
        Some(Sample { windows, timeline })
    }

    pub fn windows(&self) -> &[Window] {
        &self.windows
    }

    /// Frames in the sample.
    pub fn frames(&self) -> u64 {
        self.windows.iter().map(|w| w.frames).sum()
    }

    /// The sample's timeline, cut into its windows (keyframes and bits per window).
    pub fn timeline(&self) -> Segmenter {
        self.timeline.clone()
    }

    /// The source frame at `index` on the sample's timeline; `None` past its end.
    pub fn source_frame(&self, index: u64) -> Option<u64> {
        let mut at = 0;
        for w in &self.windows {
            if index < at + w.frames {
                return Some(w.start_frame + index - at);
            }
            at += w.frames;
        }
        None
    }

    /// Where source frame `index` lands on the sample's timeline, and whether it opens a
    /// segment there; `None` when the sample does not take it.
    pub fn map(&self, index: u64) -> Option<(u64, bool)> {
        let mut at = 0;
        for w in &self.windows {
            if (w.start_frame..w.start_frame + w.frames).contains(&index) {
                let new = at + index - w.start_frame;
                return Some((new, self.timeline.starts_segment(new)));
            }
            at += w.frames;
        }
        None
    }
}

/// The durations of a sample's `windows` at `rate`, seconds: the segments of the points
/// measured on it.
pub fn window_durations(windows: &[Window], rate: FrameRate) -> Vec<f64> {
    windows.iter().map(|w| rate.duration_of(w.frames)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_spread_whole_and_tile_the_sample() {
        // 60 s at 30 fps in segments of 1 s, a quarter: 15 windows of one second, the
        // middle one of every 4 s.
        let s = Sample::new(FrameRate { num: 30, den: 1 }, 1800, 0.25, 1.0).unwrap();
        let middles: Vec<u64> = s.windows().iter().map(|w| w.start_frame / 30).collect();
        assert_eq!(middles, (0..15).map(|k| 4 * k + 2).collect::<Vec<_>>());
        assert!(s.windows().iter().all(|w| w.frames == 30));
        // 29.97 fps: windows of 30 or 29 frames, wherever they fall.
        let ntsc = FrameRate {
            num: 30000,
            den: 1001,
        };
        let s = Sample::new(ntsc, 1798, 0.25, 1.0).unwrap();
        assert_eq!(s.windows().len(), 15);
        let timeline = s.timeline();
        let mut at = 0;
        for (k, w) in s.windows().iter().enumerate() {
            // Each window opens a one-second window of the source ...
            let source = Segmenter::new(ntsc, 1.0);
            assert!(source.starts_segment(w.start_frame));
            // ... and is its place on the sample's timeline.
            assert_eq!(timeline.first_frame(k as u64), at);
            assert_eq!(s.map(w.start_frame), Some((at, true)));
            assert_eq!(s.map(w.start_frame + 1), Some((at + 1, false)));
            assert_eq!(timeline.segment_of(at + w.frames - 1), k as u64);
            at += w.frames;
        }
        assert_eq!(s.frames(), at);
        assert_eq!(timeline.count(at), 15);
        // Brute force: every kept frame lands once, in order, on 0..frames.
        let landed: Vec<u64> = (0..1798).filter_map(|i| s.map(i).map(|m| m.0)).collect();
        assert_eq!(landed, (0..s.frames()).collect::<Vec<_>>());
        // source_frame undoes map.
        for i in 0..1798 {
            if let Some((m, _)) = s.map(i) {
                assert_eq!(s.source_frame(m), Some(i));
            }
        }
        assert_eq!(s.source_frame(s.frames()), None);
    }

    #[test]
    fn a_short_source_gets_one_window_and_a_whole_one_none() {
        let pal = FrameRate { num: 25, den: 1 };
        // 5 s in segments of 1 s, a quarter: one window, the middle one (frames 50..75).
        let s = Sample::new(pal, 125, 0.25, 1.0).unwrap();
        assert_eq!(
            s.windows(),
            &[Window {
                start_frame: 50,
                frames: 25
            }]
        );
        assert!(Sample::new(pal, 125, 1.0, 1.0).is_none());
        assert!(Sample::new(pal, 125, 0.9, 1.0).is_none());
        assert!(Sample::new(pal, 20, 0.25, 1.0).is_none());
        // Segments of 4 s: one whole segment, which is not a quarter of anything.
        assert!(Sample::new(pal, 125, 0.25, 4.0).is_none());
        // 40 s in segments of 4 s: the middle segments of each half.
        let s = Sample::new(pal, 1000, 0.2, 4.0).unwrap();
        let starts: Vec<u64> = s.windows().iter().map(|w| w.start_frame).collect();
        assert_eq!(starts, vec![200, 700]);
        assert!(s.windows().iter().all(|w| w.frames == 100));
    }
}
