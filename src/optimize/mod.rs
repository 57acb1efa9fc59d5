//! The whole per-title run: probe the source, then for each codec measure its points (a
//! grid or an adaptive search, optionally at a proxy preset), take their hull and choose the
//! ladder; the ladders go into one manifest, the codecs compared.
//!
//! - [`options`]: what a run can be told, its defaults and checks;
//! - `codec_run`: one codec's run, step by step; `adaptive`: the adaptive search's loop;
//!   `proxy_finals`: the final preset's encodes after a proxy search; `first_pass`: encodes
//!   made before the measured ones (two-pass first passes, capped CRF's CRF-only encodes);
//! - [`units`]: the same run cut into independent work units for a cluster, written down
//!   as a [`plan`] for a cluster's job array.

mod adaptive;
mod codec_run;
mod devices;
mod first_pass;
mod options;
pub mod plan;
mod proxy_finals;
mod units;

pub use options::{
    CacheSettings, CodecChoice, DEFAULT_PROXY_PRESET, DEFAULT_SAMPLE, OptimizeOptions,
    default_proxy_preset,
};
pub use units::{WorkUnit, WorkUnits, run_unit, work_units};

use crate::error::{Error, Result};
use crate::manifest::{Manifest, Settings};
use crate::source::probe;
use crate::source::resolution::trial_resolutions;
use crate::source::scale::Kernel;
use crate::util::progress::Progress;
use codec_run::{CodecRun, run_codec};
use std::path::Path;
use std::time::Instant;

/// The shots of a shot-based run on `input`: those found before it
/// ([`OptimizeOptions::found_shots`]), else found now; `None` for a per-title run.
pub fn run_shots(
    input: &Path,
    options: &OptimizeOptions,
    progress: &dyn Progress,
) -> Result<Option<crate::shots::detect::ShotList>> {
    match (&options.shots, &options.found_shots) {
        (Some(_), Some(found)) => Ok(Some(found.clone())),
        (Some(detect), None) => Ok(Some(crate::shots::detect::detect(input, detect, progress)?)),
        (None, _) => Ok(None),
    }
}

/// Run the whole job on `input` and return the manifest (not yet written): a ladder per
/// codec, one codec after another, and the codecs compared.
pub fn optimize(
    input: &Path,
    options: &OptimizeOptions,
    progress: &dyn Progress,
) -> Result<Manifest> {
    options.validate()?;
    let started = Instant::now();
    let info = probe(input)?;
    if !info.supported_format {
        return Err(Error::UnsupportedPixelFormat {
            path: input.to_path_buf(),
            format: info.pixel_format.clone(),
        });
    }
    // A shot-based run finds the shots first: every trial follows them.
    let shots = run_shots(input, options, progress)?;
    let mut runs: Vec<CodecRun> = Vec::with_capacity(options.codecs.len());
    for choice in &options.codecs {
        let codec_options = options.codec_options(choice);
        let run = run_codec(input, &info, &codec_options, shots.as_ref(), progress)?;
        if let Some(first) = runs.first()
            && first.timeline != run.timeline
        {
            return Err(Error::Internal(format!(
                "{}: {} measured {} frames, {} {}",
                input.display(),
                first.ladder.codec,
                first.timeline.frames,
                run.ladder.codec,
                run.timeline.frames
            )));
        }
        runs.push(run);
    }
    let Some(first) = runs.first() else {
        return Err(Error::setting(crate::error::Setting::Codecs, "none given"));
    };
    let settings = Settings {
        heights: options.heights.clone(),
        resolutions: trial_resolutions(
            info.resolution(),
            info.sample_aspect_ratio,
            &options.heights,
        ),
        segment_seconds: options.segment_seconds,
        display: options.scored_display(info.resolution()),
        downscale: Kernel::Lanczos.name().into(),
        upscale: Kernel::Bicubic.name().into(),
        metric: options.metric,
        vmaf_model: options.vmaf().map(|v| v.model),
        vmaf_engine: options.vmaf().map(|v| v.engine),
        vmaf_subsample: options.vmaf().map(|v| v.subsample),
        quality_field: options.metric.field().into(),
        constraints: options.constraints.clone(),
        objective: options.objective.clone(),
        devices: options.device_scoring(info.resolution())?,
    };
    let mut manifest = Manifest::new(&info, &first.timeline, settings, options.jobs);
    manifest.shots = shots;
    for run in runs {
        manifest.push_ladder(run.ladder, run.timing);
    }
    manifest.finish(started.elapsed());
    Ok(manifest)
}
