//! Assembling a run's `ladder.json`: the source and settings first, then one ladder per
//! codec as each codec's run ends, then the codecs compared and the wall time.

use super::{
    CodecLadder, Generator, LadderTiming, Manifest, SCHEMA_VERSION, Segments, Settings,
    SourceSummary, Timing,
};
use crate::encode::segment::Timeline;
use crate::measure::point::round;
use crate::source::SourceInfo;
use std::time::Duration;

impl Manifest {
    /// A manifest of `source` measured over `timeline` (its frames and segments) with
    /// `settings`, by `jobs` parallel encodes; no ladder yet.
    pub fn new(source: &SourceInfo, timeline: &Timeline, settings: Settings, jobs: usize) -> Self {
        Manifest {
            schema_version: SCHEMA_VERSION,
            generator: Generator {
                name: "pertitle".into(),
                version: env!("CARGO_PKG_VERSION").into(),
                libavcodec: crate::encode::encoder::libavcodec_version(),
            },
            source: SourceSummary {
                path: source.path.clone(),
                width: source.width,
                height: source.height,
                rotation: source.rotation,
                converted_from: source
                    .converted_to
                    .as_ref()
                    .map(|_| source.pixel_format.clone()),
                frame_rate: source.frame_rate,
                frames: timeline.frames,
                duration_s: round(timeline.duration_s, 6),
            },
            settings,
            segments: Segments {
                count: timeline.segment_frames.len(),
                frames: timeline.segment_frames.clone(),
                durations_s: timeline
                    .segment_durations
                    .iter()
                    .map(|&d| round(d, 6))
                    .collect(),
            },
            shots: None,
            ladders: Vec::new(),
            codec_comparisons: Vec::new(),
            timing: Timing {
                wall_s: 0.0,
                jobs,
                encode_cpu_s: 0.0,
                cached_encodes: 0,
                ladders: Vec::new(),
            },
        }
    }

    /// Add one codec's ladder and its encoders' CPU times (after the ladders added before).
    pub fn push_ladder(&mut self, mut ladder: CodecLadder, timing: LadderTiming) {
        ladder.price_storage(self.source.duration_s);
        self.timing.encode_cpu_s += timing.encode_cpu_s;
        self.timing.cached_encodes += timing.cached_encodes;
        self.ladders.push(ladder);
        self.timing.ladders.push(timing);
    }

    /// Compare every later codec's ladder with the first's and record the run's wall time:
    /// the manifest is complete.
    pub fn finish(&mut self, wall: Duration) {
        self.timing.encode_cpu_s = round(self.timing.encode_cpu_s, 3);
        self.compare_codecs();
        self.timing.wall_s = round(wall.as_secs_f64(), 3);
    }
}
