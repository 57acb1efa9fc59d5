//! One codec's run: the points it measures (a grid or an adaptive search, at the final
//! preset or at a proxy preset followed by final encodes of the rungs), their hull and the
//! ladder chosen on it.

use super::adaptive::adaptive;
use super::first_pass::{capped_specs, measure_specs};
use super::options::CodecOptions;
use super::proxy_finals::{calibration_resolution, final_encodes};
use crate::encode::encoder::ENCODER_THREADS;
use crate::encode::rate_control::CappedCrfLadder;
use crate::encode::segment::{Segmenter, Timeline};
use crate::error::{Error, Result};
use crate::ladder::{self, fixed};
use crate::manifest::{CodecLadder, LadderSummary, LadderTiming, SearchSummary};
use crate::measure::cache::Cache;
use crate::measure::point::{Point, round};
use crate::measure::sample::Sample;
use crate::measure::trial::{TrialResult, TrialSpec};
use crate::measure::{MeasureOptions, default_memory_budget};
use crate::search::SearchMode;
use crate::search::grid::grid;
use crate::search::proxy;
use crate::shots::detect::ShotList;
use crate::shots::figures::ShotFigures;
use crate::source::SourceInfo;
use crate::source::frame_rate::FrameRate;
use crate::util::progress::Progress;
use std::path::Path;

/// What one codec's run measured and chose.
pub(super) struct CodecRun {
    pub ladder: CodecLadder,
    pub timing: LadderTiming,
    /// The source's frames measured, and their segments.
    pub timeline: Timeline,
}

/// The source's segments: of `segment_seconds` each, or following `shots`.
fn segmenter(rate: FrameRate, segment_seconds: f64, shots: Option<&ShotList>) -> Segmenter {
    Segmenter::for_title(rate, segment_seconds, shots.map(|s| s.shots.as_slice()))
}

/// One codec's whole run on `input` (probed as `info`): the points measured (by the grid or
/// the search, with a proxy's final encodes), its hull and its ladder.
pub(super) fn run_codec(
    input: &Path,
    info: &SourceInfo,
    options: &CodecOptions<'_>,
    shots: Option<&ShotList>,
    progress: &dyn Progress,
) -> Result<CodecRun> {
    let specs = RunSpecs::new(info, options);
    let measure_options = measure_options(input, options, info, shots)?;
    // The search may measure a sample of the source. After a proxy search, the final
    // preset's encodes measure it all; otherwise the ladder is chosen on the sample.
    let sample = search_sample(info, options);
    let search_options = MeasureOptions {
        preset: options.search_preset().to_string(),
        sample: sample.clone(),
        ..measure_options.clone()
    };
    let (results, mut search) = search(input, info, options, &specs, &search_options, progress)?;
    search.sample = sample
        .as_ref()
        .map_or_else(Vec::new, |s| s.windows().to_vec());
    let timeline = timeline(input, info, options, shots, &results, sample.is_some())?;
    let cut = PointCut::new(info, options, shots, sample);

    // With a proxy, the search's points only choose the rungs: they are encoded again at
    // the final preset, and those encodes are the ladder's points.
    let (results, proxy_results, proxy_ladder) = if options.choice.proxy_preset.is_some() {
        let proxy_points = cut.searched(&results.iter().collect::<Vec<_>>());
        let (finals, ladder) = final_encodes(
            input,
            options,
            &proxy_points,
            &specs.calibration,
            &specs.reference,
            &measure_options,
            &timeline.segment_durations,
            &|r: &[TrialResult]| cut.whole(&r.iter().collect::<Vec<_>>()),
            &mut search,
            progress,
        )?;
        (finals, results, Some(ladder))
    } else {
        (results, Vec::new(), None)
    };
    let (ladder, timing) = codec_ladder(
        options,
        &cut,
        &timeline,
        &results,
        &proxy_results,
        proxy_ladder,
        search,
    )?;
    Ok(CodecRun {
        ladder,
        timing,
        timeline,
    })
}

/// The points a codec's run encodes before any result is known.
struct RunSpecs {
    /// The grid's points (an adaptive search's resolutions come from them too).
    grid: Vec<TrialSpec>,
    /// The reference ladder's rungs, when there is one.
    reference: Vec<TrialSpec>,
    /// With a proxy: one resolution at three CRFs, measured at both presets to calibrate
    /// the proxy against the final preset.
    calibration: Vec<TrialSpec>,
}

impl RunSpecs {
    fn new(info: &SourceInfo, options: &CodecOptions<'_>) -> Self {
        let grid = grid(info, &options.all.heights, &options.choice.crfs);
        let reference = reference_specs(info, options);
        let calibration = match &options.choice.proxy_preset {
            Some(_) => {
                let cheapest = calibration_resolution(&grid);
                let crfs = match options.all.search {
                    SearchMode::Grid => options.choice.crfs.clone(),
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
        RunSpecs {
            grid,
            reference,
            calibration,
        }
    }

    /// The points that join the search's first pass: the reference rungs (without a proxy),
    /// or the calibration's proxy points (with a proxy grid). After a proxy's adaptive
    /// search they are measured later, so they do not steer it.
    fn ride_along(&self, options: &CodecOptions<'_>) -> &[TrialSpec] {
        match (&options.choice.proxy_preset, options.all.search) {
            (None, _) => &self.reference,
            (Some(_), SearchMode::Grid) => &self.calibration,
            (Some(_), SearchMode::Adaptive) => &[],
        }
    }
}

/// The search at the search preset: the grid in one pass or the adaptive search's waves,
/// then the calibration's points it did not measure. Grid results come back by resolution
/// then CRF, followed by the reference rungs.
fn search(
    input: &Path,
    info: &SourceInfo,
    options: &CodecOptions<'_>,
    specs: &RunSpecs,
    search_options: &MeasureOptions,
    progress: &dyn Progress,
) -> Result<(Vec<TrialResult>, SearchSummary)> {
    let ride_along = specs.ride_along(options);
    let (mut results, mut search) = match options.all.search {
        SearchMode::Grid => {
            // Capped CRF: each point capped by what its CRF-only encode spends.
            let mut all = match options.all.capped_crf {
                Some(rule) => capped_specs(input, &specs.grid, search_options, rule, progress)?,
                None => specs.grid.clone(),
            };
            all.extend(ride_along.iter().filter(|s| !specs.grid.contains(s)));
            let results = measure_specs(input, &all, search_options, progress)?;
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
        SearchMode::Adaptive => {
            adaptive(input, info, options, ride_along, search_options, progress)?
        }
    };
    let missing: Vec<TrialSpec> = specs
        .calibration
        .iter()
        .filter(|s| !results.iter().any(|r| r.spec == **s))
        .copied()
        .collect();
    if !missing.is_empty() {
        results.extend(measure_specs(input, &missing, search_options, progress)?);
        search.waves.push(missing.len());
        search.encodes += missing.len();
        results = sort_results(results);
    }
    Ok((results, search))
}

/// The source's frames and segments: the frames the search measured, or the probe's count
/// when a sampled search measured fewer.
fn timeline(
    input: &Path,
    info: &SourceInfo,
    options: &CodecOptions<'_>,
    shots: Option<&ShotList>,
    results: &[TrialResult],
    sampled: bool,
) -> Result<Timeline> {
    let measured_frames = results.first().map_or(0, |r| r.series.frames());
    if measured_frames == 0 {
        return Err(Error::NoFrames {
            path: input.to_path_buf(),
        });
    }
    let frames = if sampled {
        info.frame_count
    } else {
        measured_frames
    };
    let segmenter = segmenter(info.frame_rate, options.all.segment_seconds, shots);
    Ok(Timeline::new(&segmenter, frames))
}

/// Trial results turned into points, each over the frames it measured, cut into the
/// source's segments or, for a search over a sample, the sample's windows.
struct PointCut {
    frame_rate: FrameRate,
    segmenter: Segmenter,
    sample: Option<Sample>,
    /// The shots of a shot-based run: every point also gets its figures per shot.
    shots: Option<ShotList>,
}

impl PointCut {
    fn new(
        info: &SourceInfo,
        options: &CodecOptions<'_>,
        shots: Option<&ShotList>,
        sample: Option<Sample>,
    ) -> Self {
        PointCut {
            frame_rate: info.frame_rate,
            segmenter: segmenter(info.frame_rate, options.all.segment_seconds, shots),
            sample,
            shots: shots.cloned(),
        }
    }

    fn over(&self, results: &[&TrialResult], cut: Segmenter) -> Vec<Point> {
        results
            .iter()
            .map(|r| {
                let n = r.series.frames();
                Point::from_trial(
                    r,
                    self.frame_rate.duration_of(n),
                    &cut.frames_per_segment(n),
                )
            })
            .collect()
    }

    /// In a shot-based run, each of `points` (of `results`, in order, over the whole source)
    /// given its figures per shot.
    fn add_shots(&self, points: &mut [Point], results: &[&TrialResult]) -> Result<()> {
        let Some(list) = &self.shots else {
            return Ok(());
        };
        let shots = &list.shots;
        for (point, r) in points.iter_mut().zip(results) {
            let segment_frames = self.segmenter.frames_per_segment(r.series.frames());
            point.shots = Some(ShotFigures::of_trial(r, &segment_frames, shots)?);
        }
        Ok(())
    }

    /// Points measured over the whole source (without a sample, or a proxy's final
    /// encodes), over its segments.
    fn whole(&self, results: &[&TrialResult]) -> Vec<Point> {
        self.over(results, self.segmenter.clone())
    }

    /// Points of the search, over the sample's windows when it measured a sample (their
    /// worst frames then given as the source's frame indices).
    fn searched(&self, results: &[&TrialResult]) -> Vec<Point> {
        let mut points = self.over(results, self.searched_cut());
        if let Some(sample) = &self.sample {
            for pooled in points.iter_mut().flat_map(|p| p.pooling.values_mut()) {
                pooled.min_frame = pooled.min_frame.and_then(|i| sample.source_frame(i));
            }
        }
        points
    }

    fn searched_cut(&self) -> Segmenter {
        self.sample
            .as_ref()
            .map_or(self.segmenter.clone(), Sample::timeline)
    }

    /// The timeline the search's points were measured on: the sample's, or the source's
    /// `whole` one.
    fn searched_timeline(&self, whole: &Timeline) -> Timeline {
        match &self.sample {
            Some(sample) => Timeline::new(&sample.timeline(), sample.frames()),
            None => whole.clone(),
        }
    }
}

/// The codec's ladder in the manifest and its encoders' CPU times: the final preset's grid
/// points and the reference rungs from `results`, the proxy's points from `proxy_results`,
/// and the rungs chosen on the hull (or, after a proxy search, the ladder it chose; shot
/// rungs over `shots` in a shot-based run).
fn codec_ladder(
    options: &CodecOptions<'_>,
    cut: &PointCut,
    timeline: &Timeline,
    results: &[TrialResult],
    proxy_results: &[TrialResult],
    proxy_ladder: Option<ladder::Ladder>,
    search: SearchSummary,
) -> Result<(CodecLadder, LadderTiming)> {
    let metric = options.all.metric;
    let (grid_results, reference_results): (Vec<_>, Vec<_>) =
        results.iter().partition(|r| r.spec.rate.crf().is_some());
    // Without a proxy the ladder's points are the search's, on its sample if it took one.
    let proxied = options.choice.proxy_preset.is_some();
    let (mut points, timeline) = if proxied {
        (cut.whole(&grid_results), timeline.clone())
    } else {
        (cut.searched(&grid_results), cut.searched_timeline(timeline))
    };
    // A shot-based run measures the whole source (no sample, no proxy).
    cut.add_shots(&mut points, &grid_results)?;
    let proxy_refs: Vec<&TrialResult> = proxy_results.iter().collect();
    let mut proxy_points = cut.searched(&proxy_refs);
    ladder::mark_hull(&mut proxy_points, metric);
    let sampled = !proxied && cut.sample.is_some();
    let reference_rungs: Vec<fixed::ReferenceRung> = reference_results
        .iter()
        .map(|r| {
            let mut rung = fixed::ReferenceRung::from_trial(
                r,
                timeline.duration_s,
                &timeline.segment_frames,
                &timeline.segment_durations,
            );
            // Like the ladder's rungs, measured on the sample's windows, not the segments.
            if sampled {
                rung.segment_sizes_bits.clear();
                rung.segment_means.clear();
            }
            rung
        })
        .collect();
    // The CRFs tried: the grid's, or every one the search measured.
    let mut crfs: Vec<f64> = match (options.all.search, &options.choice.proxy_preset) {
        (SearchMode::Grid, None) => options.choice.crfs.clone(),
        _ => points.iter().chain(&proxy_points).map(|p| p.crf).collect(),
    };
    crfs.sort_by(f64::total_cmp);
    crfs.dedup();
    let cpu_of = |results: &[&TrialResult]| -> Vec<f64> {
        results
            .iter()
            .map(|r| round(r.encode_cpu.as_secs_f64(), 3))
            .collect()
    };
    let timing = LadderTiming {
        codec: options.choice.codec,
        encode_cpu_s: round(
            results
                .iter()
                .chain(proxy_results)
                .map(|r| r.encode_cpu.as_secs_f64())
                .sum(),
            3,
        ),
        points_encode_cpu_s: cpu_of(&grid_results),
        proxy_points_encode_cpu_s: cpu_of(&proxy_refs),
        cached_encodes: results
            .iter()
            .chain(proxy_results)
            .filter(|r| r.from_cache)
            .count(),
    };
    let codec = options.choice.codec;
    let mut ladder = CodecLadder {
        codec,
        encoder: codec.encoder().into(),
        preset: options.choice.preset.clone(),
        proxy_preset: options.choice.proxy_preset.clone(),
        encoder_threads: ENCODER_THREADS,
        keyframes: codec.keyframe_policy().into(),
        crfs,
        points,
        proxy_points,
        rungs: Vec::new(),
        capped_crf: options
            .all
            .capped_crf
            .map(|rule| CappedCrfLadder::of_points(rule, grid_results.iter().map(|r| r.spec))),
        summary: LadderSummary::default(),
        comparison: options.all.compare_to.map(|r| {
            fixed::Comparison::pending(r, codec, options.reference_rate_control(), reference_rungs)
        }),
        search,
    };
    match proxy_ladder {
        Some(chosen) => {
            ladder::mark_hull(&mut ladder.points, metric);
            ladder.set_ladder(chosen, metric);
        }
        None => ladder.select_rungs(
            metric,
            &options.all.constraints,
            &options.all.objective,
            &timeline.segment_durations,
            cut.shots.as_ref().map(|list| crate::ladder::ShotTitle {
                list,
                segment_frames: &timeline.segment_frames,
            }),
        )?,
    }
    Ok((ladder, timing))
}

/// The reference ladder's rungs to encode on this source, if there is a reference ladder.
pub(super) fn reference_specs(info: &SourceInfo, options: &CodecOptions<'_>) -> Vec<TrialSpec> {
    options.all.compare_to.map_or_else(Vec::new, |r| {
        r.specs(
            info.resolution(),
            info.sample_aspect_ratio,
            options.choice.codec,
            options.reference_rate_control(),
        )
    })
}

/// The sample of the source the search measures, when `--sample` takes one.
fn search_sample(info: &SourceInfo, options: &CodecOptions<'_>) -> Option<Sample> {
    Sample::new(
        info.frame_rate,
        info.frame_count,
        options.all.sample,
        options.all.segment_seconds,
    )
}

/// How the final preset's points are measured (the cache opened, the source hashed unless
/// its digest is given; the display size resolved from `info`, so no measurement probes the
/// source again): on the search's sample without a proxy preset, over the whole source
/// after a proxy search.
pub(super) fn measure_options(
    input: &Path,
    options: &CodecOptions<'_>,
    info: &SourceInfo,
    shots: Option<&ShotList>,
) -> Result<MeasureOptions> {
    let all = options.all;
    let cache = match &all.cache {
        None => None,
        Some(c) => Some(match &c.source_blake3 {
            Some(digest) => Cache::with_digest(&c.dir, digest)?,
            None => Cache::open(&c.dir, input)?,
        }),
    };
    Ok(MeasureOptions {
        codec: options.choice.codec,
        preset: options.choice.preset.clone(),
        segment_seconds: all.segment_seconds,
        jobs: all.jobs,
        points_per_pass: all.points_per_pass,
        memory_budget: default_memory_budget(),
        vmaf: all.vmaf(),
        display: Some(all.scored_display(info.resolution())),
        sample: match options.choice.proxy_preset {
            Some(_) => None,
            None => search_sample(info, options),
        },
        cache,
        cache_only: all.cache.as_ref().is_some_and(|c| c.read_only),
        pass_dir: None,
        devices: all.device_scoring(info.resolution())?,
        shots: shots.map(|s| s.shots.clone().into()),
    })
}

/// Grid points by resolution then CRF, followed by the reference rungs in their order.
pub(super) fn sort_results(results: Vec<TrialResult>) -> Vec<TrialResult> {
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
