//! The grid: every trial resolution at every CRF, the exhaustive reference the adaptive
//! search is measured against.

use crate::measure::trial::TrialSpec;
use crate::source::SourceInfo;
use crate::source::resolution::trial_resolutions;

/// The trial points of a grid on `source`: every resolution of `heights` (widths keep the
/// source's display shape) x every CRF of `crfs`, by height then CRF, without repeats.
pub fn grid(source: &SourceInfo, heights: &[u32], crfs: &[f64]) -> Vec<TrialSpec> {
    let mut crfs = crfs.to_vec();
    crfs.sort_by(f64::total_cmp);
    crfs.dedup();
    trial_resolutions(source.resolution(), source.sample_aspect_ratio, heights)
        .into_iter()
        .flat_map(|resolution| crfs.iter().map(move |&crf| TrialSpec::crf(resolution, crf)))
        .collect()
}
