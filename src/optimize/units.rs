//! A run's trial encodes as independent work units, for a cluster: listed before anything
//! is measured ([`work_units`]), each measured into the cache on its own ([`run_unit`]).

use super::codec_run::{measure_options, reference_specs};
use super::first_pass::measure_specs;
use super::options::{CodecOptions, OptimizeOptions};
use crate::encode::codec::Codec;
use crate::error::{Error, Result, Setting};
use crate::measure::trial::TrialSpec;
use crate::measure::unit_identity;
use crate::search::SearchMode;
use crate::search::grid::grid;
use crate::source::probe;
use crate::util::progress::Progress;
use std::path::Path;

/// A run's trial encodes as independent work units.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkUnits {
    /// BLAKE3 of the source's bytes.
    pub source_blake3: String,
    /// Every unit, one per trial encode.
    pub units: Vec<WorkUnit>,
}

/// One trial encode of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkUnit {
    /// The codec it is encoded with.
    pub codec: Codec,
    /// The resolution and rate control of the trial encode.
    pub spec: TrialSpec,
    /// Its name in the cache ([`crate::measure::cache::UnitIdentity::key`]).
    pub key: String,
}

/// The trial encodes of a run as independent work units, in a fixed order: codec by codec,
/// the grid's points by height then CRF, then the reference ladder's rungs. Only a grid
/// without a proxy preset is known before anything is measured (an adaptive search and a
/// proxy's final rungs choose their points from earlier results), so other runs are
/// refused. `options.all.cache` must be set: the units are named as that cache names them.
pub fn work_units(input: &Path, options: &OptimizeOptions) -> Result<WorkUnits> {
    options.validate()?;
    let mut all: Option<WorkUnits> = None;
    for choice in &options.codecs {
        let units = codec_work_units(input, &options.codec_options(choice))?;
        match &mut all {
            Some(all) => all.units.extend(units.units),
            None => all = Some(units),
        }
    }
    all.ok_or_else(|| Error::setting(Setting::Codecs, "none given"))
}

fn codec_work_units(input: &Path, options: &CodecOptions<'_>) -> Result<WorkUnits> {
    if options.all.search != SearchMode::Grid || options.choice.proxy_preset.is_some() {
        return Err(Error::NotPlannable(
            "only the grid without a proxy preset can be planned (an adaptive search and a proxy's rungs depend on earlier results)".into(),
        ));
    }
    if options.all.shots.is_some() && options.all.found_shots.is_none() {
        return Err(Error::NotPlannable(
            "a shot-based run's shots must be found before its units are listed (run_shots)".into(),
        ));
    }
    if options.all.capped_crf.is_some() {
        return Err(Error::NotPlannable(
            "capped CRF cannot be planned (each point's cap comes from its CRF-only encode, made first)".into(),
        ));
    }
    let info = probe(input)?;
    let grid_specs = grid(&info, &options.all.heights, &options.choice.crfs);
    let mut specs = grid_specs.clone();
    specs.extend(
        reference_specs(&info, options)
            .into_iter()
            .filter(|s| !grid_specs.contains(s)),
    );
    let shots = options.all.found_shots.as_ref();
    let measure_options = measure_options(input, options, &info, shots)?;
    let Some(cache) = &measure_options.cache else {
        return Err(Error::setting(Setting::Cache, "work units need one"));
    };
    let scored = options.all.scored_display(info.resolution());
    Ok(WorkUnits {
        source_blake3: cache.source_blake3().to_string(),
        units: specs
            .into_iter()
            .map(|spec| WorkUnit {
                codec: options.choice.codec,
                spec,
                key: unit_identity(cache, spec, &measure_options, scored).key(),
            })
            .collect(),
    })
}

/// Measure one work unit into the cache (`options.all.cache` must be set): nothing when it is
/// there already. Returns whether it was measured now.
pub fn run_unit(
    input: &Path,
    options: &OptimizeOptions,
    codec: Codec,
    spec: TrialSpec,
    progress: &dyn Progress,
) -> Result<bool> {
    let Some(choice) = options.codecs.iter().find(|c| c.codec == codec) else {
        return Err(Error::setting(
            Setting::Codecs,
            format!("the unit's codec {codec} is not one of the run's"),
        ));
    };
    let options = &options.codec_options(choice);
    if options.all.cache.is_none() {
        return Err(Error::setting(Setting::Cache, "a work unit needs one"));
    }
    if options.all.shots.is_some() && options.all.found_shots.is_none() {
        return Err(Error::NotPlannable(
            "a shot-based unit needs its plan's shots".into(),
        ));
    }
    let info = probe(input)?;
    let shots = options.all.found_shots.as_ref();
    let measure_options = measure_options(input, options, &info, shots)?;
    let result = measure_specs(input, &[spec], &measure_options, progress)?;
    Ok(result.first().is_some_and(|r| !r.from_cache))
}
