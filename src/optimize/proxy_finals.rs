//! After a search at a proxy preset: the final preset calibrated against the proxy, and the
//! rungs the calibrated ladder takes encoded again at the final preset until the ladder
//! stands on final encodes.

use super::codec_run::sort_results;
use super::first_pass::measure_specs;
use super::options::CodecOptions;
use crate::error::Result;
use crate::ladder;
use crate::manifest::SearchSummary;
use crate::measure::MeasureOptions;
use crate::measure::point::{Point, Rung};
use crate::measure::trial::{TrialResult, TrialSpec};
use crate::search::proxy::{self, Calibration};
use crate::source::resolution::Resolution;
use crate::util::progress::Progress;
use std::path::Path;

/// The resolution the proxy is first calibrated on: the smallest trial resolution at least a
/// third of the largest one's height (cheap to encode, but not so small that its quality
/// sits near the metric's floor, where the presets differ otherwise than at ladder sizes).
pub(super) fn calibration_resolution(specs: &[TrialSpec]) -> Option<Resolution> {
    let tallest = specs.iter().map(|s| s.resolution.height).max()?;
    specs
        .iter()
        .map(|s| s.resolution)
        .filter(|r| 3 * r.height >= tallest)
        .min_by_key(|r| (r.pixels(), r.height))
}

/// Most passes of rung encodes at the final preset after a proxy search.
const FINAL_ROUNDS: usize = 3;

/// A proxy point within this many CRF of a final encode of its resolution is not offered as
/// a rung: the final encode stands for it.
const REUSE_CRF: f64 = 1.0;

/// After a search at the proxy preset: calibrate the final preset against it on
/// `calibration` (one pass over the source), then, for at most [`FINAL_ROUNDS`] passes,
/// choose a ladder among the final encodes made so far and the proxy points mapped to the
/// final preset by the calibration ([`proxy_ladder`]), encode the rungs that ladder takes
/// from mapped points, and recalibrate on them; stop when the ladder takes final encodes
/// only. The reference rungs ride along in the first pass of rungs. Returns the final
/// preset's results (grid points by resolution then CRF, then the reference rungs) and the
/// ladder chosen on them, and records the passes in `search`.
#[allow(clippy::too_many_arguments)]
pub(super) fn final_encodes(
    input: &Path,
    options: &CodecOptions<'_>,
    proxy_points: &[Point],
    calibration: &[TrialSpec],
    reference: &[TrialSpec],
    measure_options: &MeasureOptions,
    segment_durations: &[f64],
    to_points: &dyn Fn(&[TrialResult]) -> Vec<Point>,
    search: &mut SearchSummary,
    progress: &dyn Progress,
) -> Result<(Vec<TrialResult>, ladder::Ladder)> {
    let base = calibration
        .first()
        .map_or(Resolution::new(0, 0), |s| s.resolution);
    let mut results = measure_specs(input, calibration, measure_options, progress)?;
    search.waves.push(results.len());
    let mut reference_pending = true;
    let mut round = 0;
    let (ladder, fit) = loop {
        let finals: Vec<Point> = to_points(&results)
            .into_iter()
            .filter(|p| p.crf.is_finite())
            .collect();
        let fit = Calibration::measure(proxy_points, &finals, options.all.metric, base);
        let ladder = proxy_ladder(options, &finals, proxy_points, &fit, segment_durations)?;
        let mut wave: Vec<TrialSpec> = Vec::new();
        if round < FINAL_ROUNDS {
            for r in ladder.rungs.iter().filter(|r| r.proxy_estimate) {
                let spec = TrialSpec::crf(Resolution::new(r.width, r.height), r.crf);
                if !wave.contains(&spec) {
                    wave.push(spec);
                }
            }
        }
        let rungs = wave.len();
        if std::mem::take(&mut reference_pending) {
            wave.extend_from_slice(reference);
        }
        if !wave.is_empty() {
            results.extend(measure_specs(input, &wave, measure_options, progress)?);
            search.waves.push(wave.len());
        }
        if rungs == 0 {
            break (ladder, fit);
        }
        round += 1;
    };
    search.encodes += results.len();
    search.final_encodes = Some(results.len());
    search.calibration = fit.samples().to_vec();
    Ok((sort_results(results), ladder))
}

/// The ladder chosen among the final encodes `finals` and the proxy points mapped to the
/// final preset by `fit` (those within [`REUSE_CRF`] of a final encode left out). A mapped
/// point counts a tolerance worse than predicted while choosing, so a final encode is taken
/// wherever it serves about as well; the rungs keep the predicted values, and those that
/// come from mapped points (or lie between one and another point) are marked
/// `proxy_estimate` and `interpolated`.
fn proxy_ladder(
    options: &CodecOptions<'_>,
    finals: &[Point],
    proxy_points: &[Point],
    fit: &Calibration,
    segment_durations: &[f64],
) -> Result<ladder::Ladder> {
    let near_final = |p: &Point| {
        finals.iter().any(|f| {
            (f.width, f.height) == (p.width, p.height) && (f.crf - p.crf).abs() <= REUSE_CRF
        })
    };
    let mut points: Vec<Point> = finals.to_vec();
    points.extend(
        proxy_points
            .iter()
            .filter(|p| !near_final(p))
            .map(|p| fit.predict(p, options.all.metric)),
    );
    let penalty = options.search_settings().tolerance;
    let mut penalized = points.clone();
    for p in &mut penalized[finals.len()..] {
        proxy::shift_quality(p, options.all.metric, -penalty);
    }
    // A viewer mix counts only the devices that decode this codec.
    let objective = match &options.all.objective.viewers {
        Some(mix) => crate::ladder::Objective {
            viewers: Some(mix.for_codec(options.choice.codec)?.0),
            ..options.all.objective.clone()
        },
        None => options.all.objective.clone(),
    };
    let mut ladder = ladder::build(
        &mut penalized,
        options.all.metric,
        &options.all.constraints,
        &objective,
        segment_durations,
        ladder::CrfValues::of(options.choice.codec),
        None,
    )?;
    let estimate = |i: usize| i >= finals.len();
    for (rung, origin) in ladder.rungs.iter_mut().zip(&ladder.origins) {
        let (values, from_proxy) = match *origin {
            ladder::Origin::Shots(_) => {
                return Err(crate::error::Error::Internal(
                    "shot rungs from a proxy search".into(),
                ));
            }
            ladder::Origin::Measured(i) => {
                (Rung::from_point(&points[i], segment_durations), estimate(i))
            }
            ladder::Origin::Interpolated {
                lower, upper, t, ..
            } => (
                Rung::interpolated(
                    &points[lower],
                    &points[upper],
                    t,
                    rung.bitrate_kbps,
                    rung.crf,
                    segment_durations,
                ),
                estimate(lower) || estimate(upper),
            ),
        };
        *rung = values;
        if from_proxy {
            rung.proxy_estimate = true;
            rung.interpolated = true;
            rung.segment_sizes_bits.clear();
        }
    }
    Ok(ladder)
}
