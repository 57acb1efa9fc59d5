//! The adaptive search's loop ([`crate::search::adaptive`] plans each wave): waves of
//! points, each measured in one pass over the source.

use super::codec_run::sort_results;
use super::first_pass::measure_specs;
use super::options::CodecOptions;
use crate::encode::segment::Segmenter;
use crate::error::Result;
use crate::manifest::SearchSummary;
use crate::measure::MeasureOptions;
use crate::measure::point::Point;
use crate::measure::trial::{TrialResult, TrialSpec};
use crate::search::SearchMode;
use crate::search::adaptive::{Measured, first_wave, next_wave};
use crate::source::SourceInfo;
use crate::source::resolution::trial_resolutions;
use crate::util::progress::Progress;
use std::path::Path;

/// The adaptive search ([`crate::search::adaptive`]): waves of points, each measured in one pass over
/// the source, until the planner has nothing left worth encoding. `ride_along` (the
/// reference ladder's rungs, or the calibration's proxy points) joins the first wave. Grid results come back by resolution then
/// CRF, like the grid's, followed by the reference rungs.
pub(super) fn adaptive(
    input: &Path,
    info: &SourceInfo,
    options: &CodecOptions<'_>,
    ride_along: &[TrialSpec],
    measure_options: &MeasureOptions,
    progress: &dyn Progress,
) -> Result<(Vec<TrialResult>, SearchSummary)> {
    let sar = info.sample_aspect_ratio;
    let resolutions = trial_resolutions(info.resolution(), sar, &options.all.heights);
    let settings = options.search_settings();
    let mut wave = first_wave(&resolutions, &settings);
    let extra: Vec<TrialSpec> = ride_along
        .iter()
        .filter(|s| !wave.contains(s))
        .copied()
        .collect();
    wave.extend(extra);
    let mut results: Vec<TrialResult> = Vec::new();
    let mut waves = Vec::new();
    loop {
        results.extend(measure_specs(input, &wave, measure_options, progress)?);
        waves.push(wave.len());
        if waves.len() >= settings.max_waves {
            break;
        }
        let frames = results.first().map_or(0, |r| r.series.frames());
        let segmenter = match &measure_options.sample {
            Some(sample) => sample.timeline(),
            None => Segmenter::new(info.frame_rate, options.all.segment_seconds),
        };
        let segment_frames = segmenter.frames_per_segment(frames);
        let duration_s = info.frame_rate.duration_of(frames);
        let measured: Vec<Measured> = results
            .iter()
            .filter_map(|r| {
                let crf = r.spec.rate.crf()?;
                let p = Point::from_trial(r, duration_s, &segment_frames);
                Some(Measured {
                    resolution: r.spec.resolution,
                    crf,
                    kbps: p.bitrate_kbps,
                    quality: options.all.metric.of(&p),
                })
            })
            .collect();
        wave = next_wave(&resolutions, &measured, &settings);
        if wave.is_empty() {
            break;
        }
    }
    let encodes = results.len();
    let grid = sort_results(results);
    let summary = SearchSummary {
        mode: SearchMode::Adaptive,
        settings: Some(settings),
        waves,
        encodes,
        final_encodes: None,
        calibration: Vec::new(),
        sample: Vec::new(),
    };
    Ok((grid, summary))
}
