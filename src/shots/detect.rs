//! Shot detection: the cuts of a title, found on its decoded frames.
//!
//! Each frame is reduced to a few kilobytes of [features](Features): a 32x18
//! thumbnail of block means of its three planes and its luma histogram. The *difference*
//! between two frames (0 to 100) is the mean of the thumbnails' mean absolute difference and
//! the distance the luma histogram moved, both in percent of the 8-bit range. A cut between
//! frames k-1 and k is where:
//!
//! 1. the difference stands out from the local motion: its *score*, the difference minus
//!    the median difference of the frames around it (half a second each side, 2 to 75
//!    frames), reaches [`DetectOptions::threshold`]. Steady fast motion raises the median
//!    with it, and a fade or a dissolve changes a little at every frame, so neither scores
//!    high;
//! 2. the picture does not come back: if a frame up to 0.2 s (2 to 30 frames) later or
//!    earlier is closer to the other side than half the jump, the change is a flash (a
//!    frame or a few, then the scene again), not a cut;
//! 3. both shots it makes last at least [`DetectOptions::min_shot_seconds`]: cuts are taken
//!    strongest first, and one that would leave a shorter shot next to a stronger cut (or
//!    the title's start or end) is dropped, so a short shot merges with its neighbour.
//!
//! Frames are streamed: only the features of the last few frames and two numbers per frame
//! are kept.

mod features;
#[cfg(test)]
mod tests;

pub use features::{Features, Plane};

use super::Shot;
use crate::error::{Error, Result, Setting};
use crate::source::frame_rate::FrameRate;
use crate::source::{FrameReader, read_ahead};
use crate::util::progress::Progress;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, VecDeque};
use std::path::Path;

/// How shots are found.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DetectOptions {
    /// The least score of a cut, above 0 and at most 100: how much more the picture must
    /// change across the cut than it changes around it, in percent of the 8-bit range.
    /// Lower finds softer cuts and risks splitting shots; higher misses cuts between
    /// similar shots.
    pub threshold: f64,
    /// The shortest shot, in seconds (0 or more); a shorter one merges with a neighbour.
    pub min_shot_seconds: f64,
}

impl DetectOptions {
    /// The default threshold.
    pub const DEFAULT_THRESHOLD: f64 = 8.0;
    /// The default shortest shot, in seconds.
    pub const DEFAULT_MIN_SHOT_SECONDS: f64 = 1.0;

    /// Refuse a threshold outside (0, 100] or a negative or non-finite shortest shot.
    pub fn validate(&self) -> Result<()> {
        if !(self.threshold > 0.0 && self.threshold <= 100.0) {
            return Err(Error::setting(
                Setting::ShotThreshold,
                format!("{} is out of range (above 0, at most 100)", self.threshold),
            ));
        }
        if !(self.min_shot_seconds.is_finite() && self.min_shot_seconds >= 0.0) {
            return Err(Error::setting(
                Setting::MinShotSeconds,
                format!("{} is not a duration of 0 s or more", self.min_shot_seconds),
            ));
        }
        Ok(())
    }
}

impl Default for DetectOptions {
    fn default() -> Self {
        DetectOptions {
            threshold: Self::DEFAULT_THRESHOLD,
            min_shot_seconds: Self::DEFAULT_MIN_SHOT_SECONDS,
        }
    }
}

/// A cut: the first frame of a shot other than the first.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Cut {
    /// The first frame after the cut.
    pub frame: u64,
    /// The cut's score: its difference minus the median difference around it.
    pub score: f64,
    /// The difference between the frames either side of the cut (0 to 100).
    pub difference: f64,
}

/// A title cut into shots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShotList {
    /// The frame rate of the title.
    pub frame_rate: FrameRate,
    /// The frames of the title.
    pub total_frames: u64,
    /// How the shots were found.
    pub options: DetectOptions,
    /// The shots, in order, covering every frame exactly once.
    pub shots: Vec<Shot>,
    /// The cuts, in order: the start of every shot but the first.
    pub cuts: Vec<Cut>,
}

impl ShotList {
    /// When `frame` starts, in seconds from the title's start.
    pub fn seconds(&self, frame: u64) -> f64 {
        self.frame_rate.duration_of(frame)
    }

    /// The cut starting `shot`, `None` for the first shot.
    pub fn cut_starting(&self, shot: &Shot) -> Option<&Cut> {
        self.cuts.iter().find(|c| c.frame == shot.start_frame)
    }
}

/// Find the shots of the video `path`, decoding it once in process. `progress` hears of one
/// pass over the source and of each frame.
pub fn detect(path: &Path, options: &DetectOptions, progress: &dyn Progress) -> Result<ShotList> {
    options.validate()?;
    let reader = FrameReader::open(path, 0)?;
    let mut detector = Detector::new(reader.frame_rate(), options)?;
    progress.pass_started(&[], 0, 1, reader.expected_frames().unwrap_or(0));
    std::thread::scope(|scope| -> Result<()> {
        for frame in read_ahead(scope, reader, 8, |_, f| Ok(f)) {
            let frame = frame?;
            let features = Features::from_frame(&frame).ok_or_else(|| Error::Corrupt {
                path: path.to_path_buf(),
                what: "reading a decoded frame's planes",
                cause: ffmpeg_next::Error::InvalidData,
            })?;
            detector.push(features);
            progress.frame();
        }
        Ok(())
    })?;
    progress.pass_finished(1, 1);
    Ok(detector.finish())
}

/// Finds shots in frames pushed one at a time (what [`detect`] does with a file's frames).
pub struct Detector {
    frame_rate: FrameRate,
    options: DetectOptions,
    /// Frames a flash may last, and how far ahead and back the picture may come back.
    flash_frames: usize,
    /// The features of the last `2 * flash_frames + 2` frames, the newest last.
    recent: VecDeque<Features>,
    /// Frames pushed so far.
    frames: u64,
    /// `difference[k - 1]`: the difference between frames k-1 and k.
    difference: Vec<f32>,
    /// `returned[k - 1]`: the least difference, across transition k, between a frame on
    /// one side and one within `flash_frames` on the other (without the pair k-1, k).
    returned: Vec<f32>,
}

impl Detector {
    /// A detector for frames at `frame_rate`; fails on invalid options.
    pub fn new(frame_rate: FrameRate, options: &DetectOptions) -> Result<Detector> {
        options.validate()?;
        // Bounded, so that a wild frame rate cannot make the work per frame explode.
        let flash_frames = ((0.2 * frame_rate.fps()).round() as usize).clamp(2, 30);
        Ok(Detector {
            frame_rate,
            options: *options,
            flash_frames,
            recent: VecDeque::with_capacity(2 * flash_frames + 3),
            frames: 0,
            difference: Vec::new(),
            returned: Vec::new(),
        })
    }

    /// The next frame's features.
    pub fn push(&mut self, features: Features) {
        if let Some(last) = self.recent.back() {
            self.difference.push(last.distance(&features) as f32);
        }
        self.recent.push_back(features);
        if self.recent.len() > 2 * self.flash_frames + 2 {
            self.recent.pop_front();
        }
        self.frames += 1;
        // Transition k is settled once frame k + flash_frames is in.
        if let Some(k) = (self.frames - 1).checked_sub(self.flash_frames as u64)
            && k >= 1
        {
            self.settle(k);
        }
    }

    /// Fill `returned` for transition `k` from the frames in `recent`.
    fn settle(&mut self, k: u64) {
        let first = self.frames - self.recent.len() as u64;
        let at = |i: u64| {
            i.checked_sub(first)
                .and_then(|i| self.recent.get(i as usize))
        };
        let f = self.flash_frames as u64;
        let mut best = f64::INFINITY;
        if let (Some(before), Some(after)) = (at(k - 1), at(k)) {
            // The frame before, against the frames after the next; the frame after, against
            // the frames before the previous.
            for j in 1..=f {
                if let Some(later) = at(k + j) {
                    best = best.min(before.distance(later));
                }
                if let Some(earlier) = (k - 1).checked_sub(j).and_then(at) {
                    best = best.min(after.distance(earlier));
                }
            }
        }
        debug_assert_eq!(self.returned.len() as u64, k - 1);
        self.returned.push(best as f32);
    }

    /// The shots of the frames pushed.
    pub fn finish(mut self) -> ShotList {
        let settled = self.returned.len() as u64 + 1;
        for k in settled..self.frames {
            self.settle(k);
        }
        let min_frames =
            ((self.options.min_shot_seconds * self.frame_rate.fps()).round() as u64).max(1);
        let window = ((0.5 * self.frame_rate.fps()).round() as usize).clamp(2, 75);
        let candidates = candidates(
            &self.difference,
            &self.returned,
            window,
            self.options.threshold,
        );
        let cuts = keep_apart(candidates, self.frames, min_frames);
        let mut shots = Vec::with_capacity(cuts.len() + 1);
        let mut start = 0;
        for end in cuts.iter().map(|c| c.frame).chain([self.frames]) {
            if end > start {
                shots.push(Shot {
                    start_frame: start,
                    frames: end - start,
                });
            }
            start = end;
        }
        ShotList {
            frame_rate: self.frame_rate,
            total_frames: self.frames,
            options: self.options,
            shots,
            cuts,
        }
    }
}

/// Part of a flash's jump the picture must come back within to be a flash.
const FLASH_RETURN: f64 = 0.5;

/// The transitions that score at least `threshold` and are not flashes, in frame order.
fn candidates(difference: &[f32], returned: &[f32], window: usize, threshold: f64) -> Vec<Cut> {
    let mut around = Vec::with_capacity(2 * window);
    let mut cuts = Vec::new();
    for (i, (&d, &r)) in difference.iter().zip(returned).enumerate() {
        let d = f64::from(d);
        around.clear();
        around.extend_from_slice(&difference[i.saturating_sub(window)..i]);
        around.extend_from_slice(&difference[i + 1..(i + window + 1).min(difference.len())]);
        let score = d - median(&mut around);
        let flash = f64::from(r) < FLASH_RETURN * d;
        if score >= threshold && !flash {
            cuts.push(Cut {
                frame: i as u64 + 1,
                score,
                difference: d,
            });
        }
    }
    cuts
}

/// The median of `values` (0 when empty).
fn median(values: &mut [f32]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f32::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        f64::from(values[n / 2])
    } else {
        (f64::from(values[n / 2 - 1]) + f64::from(values[n / 2])) / 2.0
    }
}

/// The cuts of `candidates` kept strongest first (ties: the earlier) where each leaves at
/// least `min_frames` frames to the kept cuts and to the title's start and end.
fn keep_apart(mut candidates: Vec<Cut>, total: u64, min_frames: u64) -> Vec<Cut> {
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.frame.cmp(&b.frame)));
    let mut kept: BTreeSet<u64> = [0, total].into_iter().collect();
    let mut cuts = Vec::new();
    for cut in candidates {
        let before = kept.range(..cut.frame).next_back().copied().unwrap_or(0);
        let after = kept.range(cut.frame..).next().copied().unwrap_or(total);
        if cut.frame - before >= min_frames && after - cut.frame >= min_frames {
            kept.insert(cut.frame);
            cuts.push(cut);
        }
    }
    cuts.sort_by_key(|c| c.frame);
    cuts
}
