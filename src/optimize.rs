//! The whole per-title run: probe, measure the grid, build the hull and the ladder.

use crate::encode::{X264_THREADS, X264Settings, validate_crf};
use crate::error::{Error, Result};
use crate::ladder::{Constraints, Objective};
use crate::manifest::{
    Generator, LadderSummary, Manifest, SCHEMA_VERSION, SearchSummary, Segments, Settings,
    SourceSummary, Timing,
};
use crate::measure::{MeasureOptions, default_memory_budget, measure};
use crate::metrics::vmaf::VmafModel;
use crate::point::{Metric, Point, round};
use crate::progress::Progress;
use crate::reference::{self, ReferenceLadder, ReferenceRung};
use crate::resolution::{Resolution, trial_resolutions};
use crate::scale::Kernel;
use crate::search::{Measured, SearchMode, SearchSettings, first_wave, next_wave};
use crate::segment::Segmenter;
use crate::source::{SourceInfo, probe};
use crate::trial::{TrialResult, TrialSpec};
use std::path::Path;
use std::time::Instant;

/// Everything `optimize` can be told. `Default` gives the CLI's defaults.
#[derive(Debug, Clone)]
pub struct OptimizeOptions {
    /// Trial heights; widths follow the source's aspect ratio.
    pub heights: Vec<u32>,
    /// x264 CRF values tried at every resolution.
    pub crfs: Vec<f64>,
    pub preset: String,
    pub segment_seconds: f64,
    /// What the ladder must obey.
    pub constraints: Constraints,
    /// Whom the ladder is for.
    pub objective: Objective,
    /// A fixed ladder to encode on this title too and compare the per-title ladder with.
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
}

impl Default for OptimizeOptions {
    fn default() -> Self {
        OptimizeOptions {
            heights: vec![1080, 720, 540, 360, 270],
            crfs: vec![18.0, 22.0, 26.0, 30.0, 34.0, 38.0],
            preset: "medium".to_string(),
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
        }
    }
}

impl OptimizeOptions {
    pub fn validate(&self) -> Result<()> {
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
            validate_crf(c)?;
        }
        X264Settings {
            preset: self.preset.clone(),
            keyint: 1,
        }
        .validate()?;
        if !(self.segment_seconds.is_finite() && self.segment_seconds >= 0.1) {
            return Err(Error::InvalidOption(format!(
                "segment duration {} s is too short (at least 0.1 s)",
                self.segment_seconds
            )));
        }
        self.constraints.validate()?;
        if self.jobs == 0 {
            return Err(Error::InvalidOption("--jobs must be at least 1".into()));
        }
        Ok(())
    }
}

impl OptimizeOptions {
    /// What the adaptive search aims at: the CRFs' range, the ladder's bitrate range, and a
    /// tolerance of about a sixth of a just-noticeable difference on the hull metric.
    pub fn search_settings(&self) -> SearchSettings {
        let lo = self.crfs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = self.crfs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        SearchSettings {
            crf_range: [lo, hi],
            min_kbps: self.constraints.min_kbps,
            max_kbps: self.constraints.max_kbps,
            tolerance: match self.metric {
                Metric::Vmaf => 1.0,
                Metric::Psnr => 0.2,
                Metric::Ssim => 0.002,
            },
            min_crf_gap: 1.0,
            max_crf_gap: 4.0,
            crf_step: 0.5,
            max_waves: 12,
        }
    }
}

/// Version of libavcodec as `major.minor.micro`.
fn libavcodec_version() -> String {
    let v = ffmpeg_next::codec::version();
    format!("{}.{}.{}", v >> 16, (v >> 8) & 0xff, v & 0xff)
}

/// The trial points of a run: every resolution x every CRF, by height then CRF.
pub fn grid(source: &SourceInfo, options: &OptimizeOptions) -> Vec<TrialSpec> {
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

/// Run the whole job on `input` and return the manifest (not yet written).
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
    let grid_specs = grid(&info, options);
    let mut specs = grid_specs.clone();
    if let Some(r) = options.compare_to {
        specs.extend(r.specs(info.resolution(), parse_sar(&info.sample_aspect_ratio)));
    }
    let measure_options = MeasureOptions {
        preset: options.preset.clone(),
        segment_seconds: options.segment_seconds,
        jobs: options.jobs,
        points_per_pass: options.points_per_pass,
        memory_budget: default_memory_budget(),
        vmaf: (options.metric == Metric::Vmaf).then_some(options.vmaf_model),
        display: options.display,
    };
    let (results, search) = match options.search {
        SearchMode::Grid => {
            let results = measure(input, &specs, &measure_options, progress)?;
            let search = SearchSummary {
                mode: SearchMode::Grid,
                settings: None,
                waves: vec![results.len()],
                encodes: results.len(),
            };
            (results, search)
        }
        SearchMode::Adaptive => {
            let reference = specs[grid_specs.len()..].to_vec();
            adaptive(
                input,
                &info,
                options,
                &reference,
                &measure_options,
                progress,
            )?
        }
    };

    let frames = results.first().map_or(0, |r| r.series.frames());
    if frames == 0 {
        return Err(Error::NoFrames {
            path: input.to_path_buf(),
        });
    }
    let duration_s = info.frame_rate.duration_of(frames);
    let segmenter = Segmenter::new(info.frame_rate, options.segment_seconds);
    let segment_frames = segmenter.frames_per_segment(frames);
    let segment_durations: Vec<f64> = segment_frames
        .iter()
        .map(|&n| info.frame_rate.duration_of(n))
        .collect();

    let (grid_results, reference_results): (Vec<_>, Vec<_>) =
        results.iter().partition(|r| r.spec.rate.crf().is_some());
    let points: Vec<Point> = grid_results
        .iter()
        .map(|r| Point::from_trial(r, duration_s, &segment_frames))
        .collect();
    let reference_rungs: Vec<ReferenceRung> = reference_results
        .iter()
        .map(|r| ReferenceRung::from_trial(r, duration_s, &segment_frames, &segment_durations))
        .collect();

    let mut resolutions: Vec<_> = grid_specs.iter().map(|s| s.resolution).collect();
    resolutions.dedup();
    // The CRFs tried: the grid's, or every one the search measured.
    let mut crfs: Vec<f64> = match options.search {
        SearchMode::Grid => options.crfs.clone(),
        SearchMode::Adaptive => points.iter().map(|p| p.crf).collect(),
    };
    crfs.sort_by(f64::total_cmp);
    crfs.dedup();
    let points_cpu: Vec<f64> = grid_results
        .iter()
        .map(|r| round(r.encode_cpu.as_secs_f64(), 3))
        .collect();
    let mut manifest = Manifest {
        schema_version: SCHEMA_VERSION,
        generator: Generator {
            name: "pertitle".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            libavcodec: libavcodec_version(),
        },
        source: SourceSummary {
            path: info.path.clone(),
            width: info.width,
            height: info.height,
            frame_rate: info.frame_rate,
            frames,
            duration_s: round(duration_s, 6),
        },
        settings: Settings {
            encoder: "libx264".into(),
            preset: options.preset.clone(),
            x264_threads: X264_THREADS,
            keyframes: "closed GOP; IDR at every segment start; scene-cut keyframes allowed inside segments".into(),
            heights: options.heights.clone(),
            resolutions,
            crfs,
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
        points,
        rungs: Vec::new(),
        ladder: LadderSummary::default(),
        comparison: options.compare_to.map(|r| reference::Comparison::pending(r, reference_rungs)),
        search,
        timing: Timing {
            wall_s: round(started.elapsed().as_secs_f64(), 3),
            jobs: options.jobs,
            encode_cpu_s: round(results.iter().map(|r| r.encode_cpu.as_secs_f64()).sum(), 3),
            points_encode_cpu_s: points_cpu,
        },
    };
    manifest.select_rungs(options.constraints.clone(), options.objective)?;
    Ok(manifest)
}

/// The adaptive search ([`crate::search`]): waves of points, each measured in one pass over
/// the source, until the planner has nothing left worth encoding. The reference ladder's
/// rungs (if any) ride along in the first wave. Grid results come back by resolution then
/// CRF, like the grid's, followed by the reference rungs.
fn adaptive(
    input: &Path,
    info: &SourceInfo,
    options: &OptimizeOptions,
    reference: &[TrialSpec],
    measure_options: &MeasureOptions,
    progress: &dyn Progress,
) -> Result<(Vec<TrialResult>, SearchSummary)> {
    let sar = parse_sar(&info.sample_aspect_ratio);
    let resolutions = trial_resolutions(info.resolution(), sar, &options.heights);
    let settings = options.search_settings();
    let mut wave = first_wave(&resolutions, &settings);
    wave.extend_from_slice(reference);
    let mut results: Vec<TrialResult> = Vec::new();
    let mut waves = Vec::new();
    loop {
        results.extend(measure(input, &wave, measure_options, progress)?);
        waves.push(wave.len());
        if waves.len() >= settings.max_waves {
            break;
        }
        let frames = results.first().map_or(0, |r| r.series.frames());
        let segmenter = Segmenter::new(info.frame_rate, options.segment_seconds);
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
    let summary = SearchSummary {
        mode: SearchMode::Adaptive,
        settings: Some(settings),
        waves,
        encodes,
    };
    Ok((grid, summary))
}
