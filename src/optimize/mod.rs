//! The whole per-title run: probe, measure the grid, build the hull and the ladder.

use crate::encode::codec::Codec;
use crate::encode::encoder::{ENCODER_THREADS, EncoderSettings};
use crate::encode::segment::{Segmenter, Timeline};
use crate::error::{Error, Result};
use crate::ladder::fixed::{self, ReferenceLadder, ReferenceRung};
use crate::ladder::{self, Constraints, Objective};
use crate::manifest::{
    CodecLadder, Generator, LadderSummary, LadderTiming, Manifest, SCHEMA_VERSION, SearchSummary,
    Segments, Settings, SourceSummary, Timing,
};
use crate::measure::cache::Cache;
use crate::measure::metrics::vmaf::VmafModel;
use crate::measure::point::{Metric, Point, Rung, round};
use crate::measure::sample::Sample;
use crate::measure::trial::{TrialResult, TrialSpec};
use crate::measure::{MeasureOptions, default_memory_budget, measure, unit_identity};
use crate::search::adaptive::{Measured, SearchMode, SearchSettings, first_wave, next_wave};
use crate::search::proxy::{self, Calibration};
use crate::source::resolution::{Resolution, trial_resolutions};
use crate::source::scale::Kernel;
use crate::source::{SourceInfo, probe};
use crate::util::progress::Progress;
use std::path::Path;
use std::time::Instant;

/// Everything `optimize` can be told. `Default` gives the CLI's defaults.
#[derive(Debug, Clone)]
pub struct OptimizeOptions {
    /// Trial heights; widths follow the source's aspect ratio.
    pub heights: Vec<u32>,
    /// The codecs to build a ladder with, each with its preset and CRFs; the first is the
    /// one the others are compared against.
    pub codecs: Vec<CodecChoice>,
    pub segment_seconds: f64,
    /// What the ladder must obey.
    pub constraints: Constraints,
    /// Whom the ladder is for.
    pub objective: Objective,
    /// A fixed ladder to encode on this title too (with every codec) and compare the
    /// per-title ladders with.
    pub compare_to: Option<ReferenceLadder>,
    /// The hull's quality axis; VMAF is measured only when it is `Vmaf`.
    pub metric: Metric,
    pub vmaf_model: VmafModel,
    /// Size scores are computed at; `None` = the source's size.
    pub display: Option<Resolution>,
    /// Parallel trial encodes.
    pub jobs: usize,
    /// Most points encoded in one pass over the source (0 = as many as fit in half the
    /// available memory).
    pub points_per_pass: usize,
    /// Every resolution x CRF, or an adaptive search within the CRFs' range.
    pub search: SearchMode,
    /// Share of the source a proxy search encodes ([`Sample`]; 1: all of it).
    pub proxy_sample: f64,
    /// A result cache ([`crate::measure::cache`]): points measured before are read from it, new ones
    /// stored in it.
    pub cache: Option<CacheSettings>,
}

/// One codec of a run and how it is encoded.
#[derive(Debug, Clone, PartialEq)]
pub struct CodecChoice {
    pub codec: Codec,
    /// The codec's preset (see [`Codec::presets`]).
    pub preset: String,
    /// The codec's constant-quality values (CRF) tried at every resolution.
    pub crfs: Vec<f64>,
    /// Run the search at this (faster) preset of the codec, then encode only the rungs it
    /// chooses at `preset` (`None`: the search runs at `preset`).
    pub proxy_preset: Option<String>,
}

impl CodecChoice {
    /// `codec` at its default preset and CRFs, without a proxy preset.
    pub fn new(codec: Codec) -> Self {
        CodecChoice {
            codec,
            preset: codec.default_preset().to_string(),
            crfs: codec.default_crfs(),
            proxy_preset: None,
        }
    }
}

/// One codec's run: the options as the single-codec pipeline reads them.
#[derive(Debug, Clone)]
struct RunOptions {
    heights: Vec<u32>,
    codec: Codec,
    crfs: Vec<f64>,
    preset: String,
    segment_seconds: f64,
    constraints: Constraints,
    objective: Objective,
    compare_to: Option<ReferenceLadder>,
    metric: Metric,
    vmaf_model: VmafModel,
    display: Option<Resolution>,
    jobs: usize,
    points_per_pass: usize,
    search: SearchMode,
    proxy_preset: Option<String>,
    proxy_sample: f64,
    cache: Option<CacheSettings>,
}

impl RunOptions {
    fn new(o: &OptimizeOptions, c: &CodecChoice) -> Self {
        RunOptions {
            heights: o.heights.clone(),
            codec: c.codec,
            crfs: c.crfs.clone(),
            preset: c.preset.clone(),
            segment_seconds: o.segment_seconds,
            constraints: o.constraints.clone(),
            objective: o.objective,
            compare_to: o.compare_to,
            metric: o.metric,
            vmaf_model: o.vmaf_model,
            display: o.display,
            jobs: o.jobs,
            points_per_pass: o.points_per_pass,
            search: o.search,
            proxy_preset: c.proxy_preset.clone(),
            proxy_sample: o.proxy_sample,
            cache: o.cache.clone(),
        }
    }
}

/// Where trial results are kept between runs.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheSettings {
    pub dir: std::path::PathBuf,
    /// The source's BLAKE3 when it is already known (a plan's); otherwise the source is
    /// hashed.
    pub source_blake3: Option<String>,
    /// Measure nothing: every point must be in the cache (merging work units run
    /// elsewhere), and the missing ones are an error naming them.
    pub read_only: bool,
}

impl CacheSettings {
    /// A cache in `dir` that is read and written.
    pub fn new(dir: impl Into<std::path::PathBuf>) -> Self {
        CacheSettings {
            dir: dir.into(),
            source_blake3: None,
            read_only: false,
        }
    }
}

impl Default for OptimizeOptions {
    fn default() -> Self {
        OptimizeOptions {
            heights: vec![1080, 720, 540, 360, 270],
            codecs: vec![CodecChoice::new(Codec::X264)],
            segment_seconds: 4.0,
            constraints: Constraints::default(),
            objective: Objective::default(),
            compare_to: None,
            metric: Metric::Vmaf,
            vmaf_model: VmafModel::default(),
            display: None,
            jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
            points_per_pass: 0,
            search: SearchMode::Grid,
            proxy_sample: DEFAULT_PROXY_SAMPLE,
            cache: None,
        }
    }
}

impl OptimizeOptions {
    pub fn validate(&self) -> Result<()> {
        if self.codecs.is_empty() {
            return Err(Error::InvalidOption("no codec given".into()));
        }
        for (i, c) in self.codecs.iter().enumerate() {
            if self.codecs[..i].iter().any(|d| d.codec == c.codec) {
                return Err(Error::InvalidOption(format!(
                    "codec {} given twice",
                    c.codec
                )));
            }
            RunOptions::new(self, c).validate()?;
        }
        Ok(())
    }

    /// One codec's run options.
    fn run(&self, codec: &CodecChoice) -> RunOptions {
        RunOptions::new(self, codec)
    }
}

impl RunOptions {
    fn validate(&self) -> Result<()> {
        if self.heights.is_empty() {
            return Err(Error::InvalidOption("no resolutions given".into()));
        }
        if let Some(h) = self.heights.iter().find(|&&h| h < 16) {
            return Err(Error::InvalidOption(format!(
                "resolution height {h} is below 16"
            )));
        }
        if self.crfs.is_empty() {
            return Err(Error::InvalidOption("no CRF values given".into()));
        }
        for &c in &self.crfs {
            self.codec.validate_quality(c)?;
        }
        for preset in std::iter::once(&self.preset).chain(&self.proxy_preset) {
            EncoderSettings {
                codec: self.codec,
                preset: preset.clone(),
                keyint: 1,
            }
            .validate()?;
        }
        let floor = crate::encode::encoder::min_side(self.codec);
        if let Some(h) = self.heights.iter().find(|&&h| h < floor) {
            return Err(Error::InvalidOption(format!(
                "resolution height {h} is below {floor}, the smallest {} encodes",
                self.codec
            )));
        }
        if !(self.segment_seconds.is_finite() && self.segment_seconds >= 0.1) {
            return Err(Error::InvalidOption(format!(
                "segment duration {} s is too short (at least 0.1 s)",
                self.segment_seconds
            )));
        }
        if !(self.proxy_sample > 0.0 && self.proxy_sample <= 1.0) {
            return Err(Error::InvalidOption(format!(
                "proxy sample {} is not a share of the source (above 0, at most 1)",
                self.proxy_sample
            )));
        }
        self.constraints.validate()?;
        if self.jobs == 0 {
            return Err(Error::InvalidOption("--jobs must be at least 1".into()));
        }
        Ok(())
    }
}

/// Widest CRF gap an adaptive search at a proxy preset leaves where a resolution competes
/// for the hull (4 without a proxy).
const PROXY_MAX_CRF_GAP: f64 = 6.0;

/// How far the proxy's bitrates may stray from the final preset's at one CRF (superfast
/// spends up to 1.9 times medium's bits on three of the shared clips).
const PROXY_RATE_MARGIN: f64 = 2.0;

/// Share of the source a proxy search encodes unless told otherwise: all of it (a sample
/// has not been measured against the whole on long titles yet).
pub const DEFAULT_PROXY_SAMPLE: f64 = 1.0;

/// The proxy preset an adaptive search uses unless told otherwise.
pub const DEFAULT_PROXY_PRESET: &str = "superfast";

/// The proxy preset by default: [`DEFAULT_PROXY_PRESET`] for an adaptive search with x264 or
/// x265 whose final preset is slower than it; none for the grid (the exhaustive reference),
/// a preset as fast already, or the other codecs (their proxies are not calibrated yet).
pub fn default_proxy_preset(codec: Codec, preset: &str, search: SearchMode) -> Option<String> {
    let rank = |p: &str| codec.preset_speed(p);
    let slower = matches!(codec, Codec::X264 | Codec::X265)
        && rank(preset)
            .zip(rank(DEFAULT_PROXY_PRESET))
            .is_some_and(|(a, b)| a < b);
    (search == SearchMode::Adaptive && slower).then(|| DEFAULT_PROXY_PRESET.to_string())
}

impl RunOptions {
    /// The preset the search's trial encodes use.
    fn search_preset(&self) -> &str {
        self.proxy_preset.as_deref().unwrap_or(&self.preset)
    }

    /// What the adaptive search aims at: the CRFs' range, the ladder's bitrate range (at a
    /// proxy preset, widened by [`PROXY_RATE_MARGIN`] either way: the final preset spends
    /// other bitrates at the same CRFs), and a tolerance of about a sixth of a
    /// just-noticeable difference on the hull metric.
    fn search_settings(&self) -> SearchSettings {
        let lo = self.crfs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = self.crfs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let margin = if self.proxy_preset.is_some() {
            PROXY_RATE_MARGIN
        } else {
            1.0
        };
        SearchSettings {
            crf_range: [lo, hi],
            min_kbps: self.constraints.min_kbps / margin,
            max_kbps: self.constraints.max_kbps.map(|k| k * margin),
            tolerance: match self.metric {
                Metric::Vmaf => 1.0,
                Metric::Psnr => 0.2,
                Metric::Ssim => 0.002,
            },
            min_crf_gap: 1.0,
            // A proxy search only has to place the rungs, which the final preset then
            // measures: its curves may be coarser.
            max_crf_gap: if self.proxy_preset.is_some() {
                PROXY_MAX_CRF_GAP
            } else {
                4.0
            },
            crf_step: 0.5,
            max_waves: 12,
        }
    }
}

/// The reference ladder's rungs to encode on this source, if there is a reference ladder.
fn reference_specs(info: &SourceInfo, options: &RunOptions) -> Vec<TrialSpec> {
    options.compare_to.map_or_else(Vec::new, |r| {
        r.specs(info.resolution(), parse_sar(&info.sample_aspect_ratio))
    })
}

/// How the final preset's points are measured (the cache opened, the source hashed unless
/// its digest is given; the display size resolved from `info`, so no measurement probes the
/// source again).
fn measure_options(
    input: &Path,
    options: &RunOptions,
    info: &SourceInfo,
) -> Result<MeasureOptions> {
    let cache = match &options.cache {
        None => None,
        Some(c) => Some(match &c.source_blake3 {
            Some(digest) => Cache::with_digest(&c.dir, digest)?,
            None => Cache::open(&c.dir, input)?,
        }),
    };
    Ok(MeasureOptions {
        codec: options.codec,
        preset: options.preset.clone(),
        segment_seconds: options.segment_seconds,
        jobs: options.jobs,
        points_per_pass: options.points_per_pass,
        memory_budget: default_memory_budget(),
        vmaf: (options.metric == Metric::Vmaf).then_some(options.vmaf_model),
        display: Some(options.display.unwrap_or(info.resolution())),
        sample: None,
        cache,
        cache_only: options.cache.as_ref().is_some_and(|c| c.read_only),
    })
}

/// A run's trial encodes as independent work units.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkUnits {
    /// BLAKE3 of the source's bytes.
    pub source_blake3: String,
    pub units: Vec<WorkUnit>,
}

/// One trial encode of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkUnit {
    pub codec: Codec,
    pub spec: TrialSpec,
    /// Its name in the cache ([`crate::measure::cache::UnitIdentity::key`]).
    pub key: String,
}

/// The trial encodes of a run as independent work units, in a fixed order: codec by codec,
/// the grid's points by height then CRF, then the reference ladder's rungs. Only a grid
/// without a proxy preset is known before anything is measured (an adaptive search and a
/// proxy's final rungs choose their points from earlier results), so other runs are
/// refused. `options.cache` must be set: the units are named as that cache names them.
pub fn work_units(input: &Path, options: &OptimizeOptions) -> Result<WorkUnits> {
    options.validate()?;
    let mut all: Option<WorkUnits> = None;
    for choice in &options.codecs {
        let units = codec_work_units(input, &options.run(choice))?;
        match &mut all {
            Some(all) => all.units.extend(units.units),
            None => all = Some(units),
        }
    }
    all.ok_or_else(|| Error::InvalidOption("no codec given".into()))
}

fn codec_work_units(input: &Path, options: &RunOptions) -> Result<WorkUnits> {
    if options.search != SearchMode::Grid || options.proxy_preset.is_some() {
        return Err(Error::InvalidOption(
            "only the grid without a proxy preset can be planned as work units (an adaptive search and a proxy's rungs depend on earlier results)".into(),
        ));
    }
    let info = probe(input)?;
    let grid_specs = grid(&info, options);
    let mut specs = grid_specs.clone();
    specs.extend(
        reference_specs(&info, options)
            .into_iter()
            .filter(|s| !grid_specs.contains(s)),
    );
    let measure_options = measure_options(input, options, &info)?;
    let Some(cache) = &measure_options.cache else {
        return Err(Error::InvalidOption("work units need a cache".into()));
    };
    let scored = options.display.unwrap_or(info.resolution());
    Ok(WorkUnits {
        source_blake3: cache.source_blake3().to_string(),
        units: specs
            .into_iter()
            .map(|spec| WorkUnit {
                codec: options.codec,
                spec,
                key: unit_identity(cache, spec, &measure_options, scored).key(),
            })
            .collect(),
    })
}

/// Measure one work unit into the cache (`options.cache` must be set): nothing when it is
/// there already. Returns whether it was measured now.
pub fn run_unit(
    input: &Path,
    options: &OptimizeOptions,
    codec: Codec,
    spec: TrialSpec,
    progress: &dyn Progress,
) -> Result<bool> {
    let Some(choice) = options.codecs.iter().find(|c| c.codec == codec) else {
        return Err(Error::InvalidOption(format!(
            "the unit's codec {codec} is not one of the run's"
        )));
    };
    let options = &options.run(choice);
    if options.cache.is_none() {
        return Err(Error::InvalidOption("a work unit needs a cache".into()));
    }
    let info = probe(input)?;
    let measure_options = measure_options(input, options, &info)?;
    let result = measure(input, &[spec], &measure_options, progress)?;
    Ok(result.first().is_some_and(|r| !r.from_cache))
}

/// The trial points of a run: every resolution x every CRF, by height then CRF.
fn grid(source: &SourceInfo, options: &RunOptions) -> Vec<TrialSpec> {
    let sar = parse_sar(&source.sample_aspect_ratio);
    let mut crfs = options.crfs.clone();
    crfs.sort_by(f64::total_cmp);
    crfs.dedup();
    trial_resolutions(source.resolution(), sar, &options.heights)
        .into_iter()
        .flat_map(|resolution| crfs.iter().map(move |&crf| TrialSpec::crf(resolution, crf)))
        .collect()
}

fn parse_sar(s: &str) -> (u32, u32) {
    s.split_once(':')
        .and_then(|(n, d)| Some((n.parse().ok()?, d.parse().ok()?)))
        .unwrap_or((1, 1))
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
    let mut runs: Vec<CodecRun> = Vec::with_capacity(options.codecs.len());
    for choice in &options.codecs {
        let run = run_codec(input, &info, &options.run(choice), progress)?;
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
        return Err(Error::InvalidOption("no codec given".into()));
    };
    let Timeline {
        frames,
        duration_s,
        segment_frames,
        segment_durations,
    } = first.timeline.clone();
    let sar = parse_sar(&info.sample_aspect_ratio);
    let resolutions = trial_resolutions(info.resolution(), sar, &options.heights);
    let mut manifest = Manifest {
        schema_version: SCHEMA_VERSION,
        generator: Generator {
            name: "pertitle".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            libavcodec: crate::encode::encoder::libavcodec_version(),
        },
        source: SourceSummary {
            path: info.path.clone(),
            width: info.width,
            height: info.height,
            rotation: info.rotation,
            converted_from: info
                .converted_to
                .as_ref()
                .map(|_| info.pixel_format.clone()),
            frame_rate: info.frame_rate,
            frames,
            duration_s: round(duration_s, 6),
        },
        settings: Settings {
            heights: options.heights.clone(),
            resolutions,
            segment_seconds: options.segment_seconds,
            display: options.display.unwrap_or(info.resolution()),
            downscale: Kernel::Lanczos.name().into(),
            upscale: Kernel::Bicubic.name().into(),
            metric: options.metric,
            vmaf_model: (options.metric == Metric::Vmaf).then_some(options.vmaf_model),
            quality_field: options.metric.field().into(),
            constraints: options.constraints.clone(),
            objective: options.objective,
        },
        segments: Segments {
            count: segment_frames.len(),
            frames: segment_frames,
            durations_s: segment_durations.iter().map(|&d| round(d, 6)).collect(),
        },
        ladders: Vec::new(),
        codec_comparisons: Vec::new(),
        timing: Timing {
            wall_s: 0.0,
            jobs: options.jobs,
            encode_cpu_s: 0.0,
            cached_encodes: 0,
            ladders: Vec::new(),
        },
    };
    for run in runs {
        manifest.timing.encode_cpu_s += run.timing.encode_cpu_s;
        manifest.timing.cached_encodes += run.timing.cached_encodes;
        manifest.ladders.push(run.ladder);
        manifest.timing.ladders.push(run.timing);
    }
    manifest.timing.encode_cpu_s = round(manifest.timing.encode_cpu_s, 3);
    manifest.compare_codecs();
    manifest.timing.wall_s = round(started.elapsed().as_secs_f64(), 3);
    Ok(manifest)
}

/// What one codec's run measured and chose.
struct CodecRun {
    ladder: CodecLadder,
    timing: LadderTiming,
    /// The source's frames measured, and their segments.
    timeline: Timeline,
}

/// One codec's whole run on `input` (probed as `info`): the points measured (by the grid or
/// the search, with a proxy's final encodes), its hull and its ladder.
fn run_codec(
    input: &Path,
    info: &SourceInfo,
    options: &RunOptions,
    progress: &dyn Progress,
) -> Result<CodecRun> {
    let info = info.clone();
    let grid_specs = grid(&info, options);
    let reference_specs = reference_specs(&info, options);
    let measure_options = measure_options(input, options, &info)?;
    // A proxy search may measure a sample of the source; the final preset measures it all.
    let sample = options.proxy_preset.as_ref().and_then(|_| {
        Sample::new(
            info.frame_rate,
            info.frame_count,
            options.proxy_sample,
            options.segment_seconds,
        )
    });
    let search_options = MeasureOptions {
        preset: options.search_preset().to_string(),
        sample: sample.clone(),
        ..measure_options.clone()
    };
    // With a proxy, the calibration needs one resolution at three CRFs at both presets, and
    // the reference rungs are encoded with the rungs, at the final preset.
    let calibration_specs = match &options.proxy_preset {
        Some(_) => {
            let cheapest = calibration_resolution(&grid_specs);
            let crfs = match options.search {
                SearchMode::Grid => options.crfs.clone(),
                SearchMode::Adaptive => {
                    let s = options.search_settings();
                    let [lo, hi] = s.crf_range;
                    vec![
                        lo,
                        crate::search::adaptive::snap((lo + hi) / 2.0, s.crf_step),
                        hi,
                    ]
                }
            };
            cheapest.map_or_else(Vec::new, |r| proxy::calibration_specs(r, &crfs))
        }
        None => Vec::new(),
    };
    let ride_along: Vec<TrialSpec> = match (&options.proxy_preset, options.search) {
        (None, _) => reference_specs.clone(),
        (Some(_), SearchMode::Grid) => calibration_specs.clone(),
        // Measured after the search, so they do not steer it.
        (Some(_), SearchMode::Adaptive) => Vec::new(),
    };
    let (mut results, mut search) = match options.search {
        SearchMode::Grid => {
            let mut specs = grid_specs.clone();
            specs.extend(ride_along.iter().filter(|s| !grid_specs.contains(s)));
            let results = measure(input, &specs, &search_options, progress)?;
            let search = SearchSummary {
                mode: SearchMode::Grid,
                settings: None,
                waves: vec![results.len()],
                encodes: results.len(),
                final_encodes: None,
                calibration: Vec::new(),
                sample: Vec::new(),
            };
            (results, search)
        }
        SearchMode::Adaptive => adaptive(
            input,
            &info,
            options,
            &ride_along,
            &search_options,
            progress,
        )?,
    };

    let missing: Vec<TrialSpec> = calibration_specs
        .iter()
        .filter(|s| !results.iter().any(|r| r.spec == **s))
        .copied()
        .collect();
    if !missing.is_empty() {
        results.extend(measure(input, &missing, &search_options, progress)?);
        search.waves.push(missing.len());
        search.encodes += missing.len();
        results = sort_results(results);
    }

    search.sample = sample
        .as_ref()
        .map_or_else(Vec::new, |s| s.windows().to_vec());
    let measured_frames = results.first().map_or(0, |r| r.series.frames());
    if measured_frames == 0 {
        return Err(Error::NoFrames {
            path: input.to_path_buf(),
        });
    }
    // The source's frames (a sampled search measured fewer: the probe counted them).
    let frames = if sample.is_some() {
        info.frame_count
    } else {
        measured_frames
    };
    let segmenter = Segmenter::new(info.frame_rate, options.segment_seconds);
    let timeline = Timeline::new(&segmenter, frames);
    let Timeline {
        duration_s,
        segment_frames,
        segment_durations,
        ..
    } = &timeline;
    let duration_s = *duration_s;
    // Each result over the frames it measured, cut by `cut`: the source's segments, or a
    // sample's (its windows).
    let points_over = |results: &[&TrialResult], cut: Segmenter| -> Vec<Point> {
        results
            .iter()
            .map(|r| {
                let n = r.series.frames();
                Point::from_trial(
                    r,
                    info.frame_rate.duration_of(n),
                    &cut.frames_per_segment(n),
                )
            })
            .collect()
    };
    let to_points = |results: &[&TrialResult]| points_over(results, segmenter);
    let proxy_cut = sample.as_ref().map_or(segmenter, Sample::timeline);
    // Proxy points over a sample: their worst frames as the source's frame indices.
    let proxy_points_over = |results: &[&TrialResult]| -> Vec<Point> {
        let mut points = points_over(results, proxy_cut);
        if let Some(sample) = &sample {
            for pooled in points.iter_mut().flat_map(|p| p.pooling.values_mut()) {
                pooled.min_frame = pooled.min_frame.and_then(|i| sample.source_frame(i));
            }
        }
        points
    };
    let cpu_of = |results: &[&TrialResult]| -> Vec<f64> {
        results
            .iter()
            .map(|r| round(r.encode_cpu.as_secs_f64(), 3))
            .collect()
    };

    // With a proxy, the search's points only choose the rungs: they are encoded again at
    // the final preset, and those encodes are the ladder's points.
    let (results, proxy_results, proxy_ladder) = if options.proxy_preset.is_some() {
        let proxy_refs: Vec<&TrialResult> = results.iter().collect();
        let proxy_points = proxy_points_over(&proxy_refs);
        let (finals, ladder) = final_encodes(
            input,
            options,
            &proxy_points,
            &calibration_specs,
            &reference_specs,
            &measure_options,
            segment_durations,
            &|r: &[TrialResult]| to_points(&r.iter().collect::<Vec<_>>()),
            &mut search,
            progress,
        )?;
        (finals, results, Some(ladder))
    } else {
        (results, Vec::new(), None)
    };

    let (grid_results, reference_results): (Vec<_>, Vec<_>) =
        results.iter().partition(|r| r.spec.rate.crf().is_some());
    let points = to_points(&grid_results);
    let proxy_refs: Vec<&TrialResult> = proxy_results.iter().collect();
    let mut proxy_points = proxy_points_over(&proxy_refs);
    ladder::mark_hull(&mut proxy_points, options.metric);
    let reference_rungs: Vec<ReferenceRung> = reference_results
        .iter()
        .map(|r| ReferenceRung::from_trial(r, duration_s, segment_frames, segment_durations))
        .collect();

    let mut resolutions: Vec<_> = grid_specs.iter().map(|s| s.resolution).collect();
    resolutions.dedup();
    // The CRFs tried: the grid's, or every one the search measured.
    let mut crfs: Vec<f64> = match (options.search, &options.proxy_preset) {
        (SearchMode::Grid, None) => options.crfs.clone(),
        _ => points.iter().chain(&proxy_points).map(|p| p.crf).collect(),
    };
    crfs.sort_by(f64::total_cmp);
    crfs.dedup();
    let points_cpu = cpu_of(&grid_results);
    let proxy_cpu = cpu_of(&proxy_refs);
    let mut ladder = CodecLadder {
        codec: options.codec,
        encoder: options.codec.encoder().into(),
        preset: options.preset.clone(),
        proxy_preset: options.proxy_preset.clone(),
        encoder_threads: ENCODER_THREADS,
        keyframes: options.codec.keyframe_policy().into(),
        crfs,
        points,
        proxy_points,
        rungs: Vec::new(),
        summary: LadderSummary::default(),
        comparison: options
            .compare_to
            .map(|r| fixed::Comparison::pending(r, reference_rungs)),
        search,
    };
    let timing = LadderTiming {
        codec: options.codec,
        encode_cpu_s: round(
            results
                .iter()
                .chain(&proxy_results)
                .map(|r| r.encode_cpu.as_secs_f64())
                .sum(),
            3,
        ),
        points_encode_cpu_s: points_cpu,
        proxy_points_encode_cpu_s: proxy_cpu,
        cached_encodes: results
            .iter()
            .chain(&proxy_results)
            .filter(|r| r.from_cache)
            .count(),
    };
    match proxy_ladder {
        Some(chosen) => {
            ladder::mark_hull(&mut ladder.points, options.metric);
            ladder.set_ladder(chosen, options.metric);
        }
        None => ladder.select_rungs(
            options.metric,
            &options.constraints,
            &options.objective,
            segment_durations,
        )?,
    }
    Ok(CodecRun {
        ladder,
        timing,
        timeline,
    })
}

/// The resolution the proxy is first calibrated on: the smallest trial resolution at least a
/// third of the largest one's height (cheap to encode, but not so small that its quality
/// sits near the metric's floor, where the presets differ otherwise than at ladder sizes).
fn calibration_resolution(specs: &[TrialSpec]) -> Option<Resolution> {
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
fn final_encodes(
    input: &Path,
    options: &RunOptions,
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
    let mut results = measure(input, calibration, measure_options, progress)?;
    search.waves.push(results.len());
    let mut reference_pending = true;
    let mut round = 0;
    let (ladder, fit) = loop {
        let finals: Vec<Point> = to_points(&results)
            .into_iter()
            .filter(|p| p.crf.is_finite())
            .collect();
        let fit = Calibration::measure(proxy_points, &finals, options.metric, base);
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
            results.extend(measure(input, &wave, measure_options, progress)?);
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
    options: &RunOptions,
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
            .map(|p| fit.predict(p, options.metric)),
    );
    let penalty = options.search_settings().tolerance;
    let mut penalized = points.clone();
    for p in &mut penalized[finals.len()..] {
        proxy::shift_quality(p, options.metric, -penalty);
    }
    let mut ladder = ladder::build(
        &mut penalized,
        options.metric,
        &options.constraints,
        &options.objective,
        segment_durations,
        ladder::CrfValues::of(options.codec),
    )?;
    let estimate = |i: usize| i >= finals.len();
    for (rung, origin) in ladder.rungs.iter_mut().zip(&ladder.origins) {
        let (values, from_proxy) = match *origin {
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

/// Grid points by resolution then CRF, followed by the reference rungs in their order.
fn sort_results(results: Vec<TrialResult>) -> Vec<TrialResult> {
    let (mut grid, rest): (Vec<TrialResult>, Vec<TrialResult>) = results
        .into_iter()
        .partition(|r| r.spec.rate.crf().is_some());
    grid.sort_by(|a, b| {
        a.spec.resolution.cmp(&b.spec.resolution).then(
            a.spec
                .rate
                .crf()
                .unwrap_or(0.0)
                .total_cmp(&b.spec.rate.crf().unwrap_or(0.0)),
        )
    });
    grid.extend(rest);
    grid
}

/// The adaptive search ([`crate::search::adaptive`]): waves of points, each measured in one pass over
/// the source, until the planner has nothing left worth encoding. `ride_along` (the
/// reference ladder's rungs, or the calibration's proxy points) joins the first wave. Grid results come back by resolution then
/// CRF, like the grid's, followed by the reference rungs.
fn adaptive(
    input: &Path,
    info: &SourceInfo,
    options: &RunOptions,
    ride_along: &[TrialSpec],
    measure_options: &MeasureOptions,
    progress: &dyn Progress,
) -> Result<(Vec<TrialResult>, SearchSummary)> {
    let sar = parse_sar(&info.sample_aspect_ratio);
    let resolutions = trial_resolutions(info.resolution(), sar, &options.heights);
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
        results.extend(measure(input, &wave, measure_options, progress)?);
        waves.push(wave.len());
        if waves.len() >= settings.max_waves {
            break;
        }
        let frames = results.first().map_or(0, |r| r.series.frames());
        let segmenter = match &measure_options.sample {
            Some(sample) => sample.timeline(),
            None => Segmenter::new(info.frame_rate, options.segment_seconds),
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
                    quality: options.metric.of(&p),
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
