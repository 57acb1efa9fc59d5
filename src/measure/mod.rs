//! Measuring trial points: the source is decoded once per pass ([`crate::measure::source_pass`]) and every
//! frame fans out to all the points of the pass, which encode, decode back and score it in
//! parallel.

pub(crate) mod cache;
pub mod devices;
pub mod metrics;
pub mod point;
pub(crate) mod sample;
pub(crate) mod scorer;
pub(crate) mod source_pass;
pub mod trial;

use crate::encode::codec::Codec;
use crate::encode::encoder::{ENCODER_THREADS, EncoderSettings, ShotRates};
use crate::encode::segment::Segmenter;
use crate::error::{Error, Result, Setting};
use crate::measure::cache::{Cache, UNIT_FORMAT, UnitIdentity};
use crate::measure::devices::{DevicePlan, DeviceScoring};
use crate::measure::metrics::vmaf::{VmafEngine, VmafSettings};
use crate::measure::sample::Sample;
use crate::measure::source_pass::Frames;
use crate::measure::trial::{Trial, TrialResult, TrialSpec};
use crate::source::resolution::Resolution;
use crate::source::{FrameReader, probe};
use crate::util::progress::Progress;
use rayon::prelude::*;
use std::path::Path;

/// How trial points are measured.
#[derive(Debug, Clone)]
pub struct MeasureOptions {
    /// The codec of every trial encode.
    pub codec: Codec,
    /// The codec's preset for every trial encode.
    pub preset: String,
    /// Segment duration: a keyframe opens every segment.
    pub segment_seconds: f64,
    /// Worker threads (each runs one trial encode at a time).
    pub jobs: usize,
    /// Most points measured in one pass over the source; 0 = as many as fit in
    /// `memory_budget` (every point of a pass holds an open encoder).
    pub points_per_pass: usize,
    /// Memory the points of one pass may use, bytes (used when `points_per_pass` is 0).
    pub memory_budget: u64,
    /// Also score VMAF, so.
    pub vmaf: Option<VmafSettings>,
    /// Size frames are scored at (both the source and the decoded encodes are resized to it,
    /// bicubic); `None` = the source's size.
    pub display: Option<Resolution>,
    /// Encode and score only these frames of the source (`None`: all of them).
    pub sample: Option<Sample>,
    /// Reuse results stored here, and store the new ones.
    pub cache: Option<Cache>,
    /// Measure nothing: every point must be in `cache` (a merge of work units run
    /// elsewhere); the missing ones are an error naming them.
    pub cache_only: bool,
    /// Where the first passes of two-pass points left their statistics (see
    /// [`crate::encode::rate_control::stats_file`]); `None` when no point is two-pass.
    pub pass_dir: Option<std::path::PathBuf>,
    /// Device classes scored besides the main metrics (each its VMAF model at its display),
    /// which needs `vmaf` by the native engine.
    pub devices: Vec<DeviceScoring>,
    /// The title's shots, for shot-based encodes: segments then follow the shots (a keyframe
    /// at every shot start, see [`Segmenter::with_shots`]). `None`: segments of
    /// `segment_seconds`.
    pub shots: Option<std::sync::Arc<[crate::shots::Shot]>>,
}

impl MeasureOptions {
    /// The source's segments at frame rate `rate`: of `segment_seconds` each, or following
    /// the shots.
    pub fn segmenter(&self, rate: crate::source::frame_rate::FrameRate) -> Segmenter {
        Segmenter::for_title(rate, self.segment_seconds, self.shots.as_deref())
    }
}

/// Estimated peak memory of one trial point, bytes per pixel of its resolution: the
/// encoder's lookahead and reference buffers plus the decoder and scaler frames.
///
/// x264: 2.6 GiB peak RSS for 24 points totalling 10.8 Mpixels (heights 720, 540, 360 and
/// 270 x six CRFs of a 720p source at preset medium, `--metric psnr`), i.e. ~255 bytes per
/// pixel; rounded up (it was 3.7 GiB before x264's aligned frames stopped keeping their
/// padding, see [`crate::encode::encoder::make_allocations_deterministic`]). The other
/// codecs, from the peak RSS of one and of four 720p points in one pass at their default
/// presets (2 s of the animation clip), per added point: x264 216 MB (282 MB before), x265
/// 219 MB, SVT-AV1 201 MB, VP9 147 MB, libaom 239 MB; each scaled from x264's former figure
/// and rounded up.
pub fn bytes_per_trial_pixel(codec: Codec) -> u64 {
    match codec {
        Codec::X264 => 300,
        Codec::X265 => 320,
        Codec::SvtAv1 => 300,
        Codec::Vp9 => 220,
        Codec::AomAv1 => 350,
    }
}

/// Extra memory of a point that scores VMAF, bytes per pixel of the *source* (libvmaf's float
/// feature buffers work at the reference size). Measured: peak RSS rose from 3.8 to 5.3 GB
/// for 24 points over a 0.92 Mpixel (720p) source, i.e. ~68 bytes per source pixel; rounded up.
pub const VMAF_BYTES_PER_SOURCE_PIXEL: u64 = 80;

/// Extra memory of a point that scores VMAF with the native engine, bytes per pixel of the
/// display size: its share of what the pass holds for VMAF, which does not grow with the
/// points: the VIF and ADM reference data (about 19 bytes per pixel) of the frames the
/// points are decoding back (one or a few at a time), and a set of VIF and ADM scratch
/// buffers (about 2 bytes per pixel) per thread. Measured: peak RSS 1,467 MB against 1,445 MB
/// without VMAF for 28 points of a 720p source (scripts/bench/grid.sh), ~1 byte per pixel
/// per point; rounded up, since fewer points share that.
pub const NATIVE_VMAF_BYTES_PER_PIXEL: u64 = 4;

/// Half of the memory the system reports as available, or 4 GiB when it cannot be read.
pub fn default_memory_budget() -> u64 {
    let available = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
        m.lines()
            .find(|l| l.starts_with("MemAvailable:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map(|kb| kb * 1024)
    });
    available.map_or(4 << 30, |bytes| bytes / 2)
}

/// Split `specs` (in order) into passes: runs of at most `points_per_pass` points, or when
/// that is 0, runs whose estimated memory fits `budget` (at least one point each), counting
/// `bytes_per_pixel` of each point's resolution and `extra_per_point` bytes on top.
pub fn plan_passes(
    specs: &[TrialSpec],
    bytes_per_pixel: u64,
    points_per_pass: usize,
    budget: u64,
    extra_per_point: u64,
) -> Vec<std::ops::Range<usize>> {
    let mut passes = Vec::new();
    let mut start = 0;
    let mut used = 0u64;
    for (i, spec) in specs.iter().enumerate() {
        let need = spec.resolution.pixels() * bytes_per_pixel + extra_per_point;
        let full = if points_per_pass > 0 {
            i - start >= points_per_pass
        } else {
            i > start && used + need > budget
        };
        if full {
            passes.push(start..i);
            start = i;
            used = 0;
        }
        used += need;
    }
    if start < specs.len() {
        passes.push(start..specs.len());
    }
    passes
}

/// Extra memory per point of the device classes scored at another display than `scored`:
/// each such display's VMAF features, as the native engine holds them
/// ([`NATIVE_VMAF_BYTES_PER_PIXEL`] of the display, counted once per display).
fn extra_display_bytes(devices: &[DeviceScoring], scored: Option<Resolution>) -> u64 {
    let mut displays: Vec<Resolution> = devices
        .iter()
        .map(|d| d.display)
        .filter(|&d| Some(d) != scored)
        .collect();
    displays.sort_by_key(|d| (d.width, d.height));
    displays.dedup();
    displays
        .iter()
        .map(|d| d.pixels() * NATIVE_VMAF_BYTES_PER_PIXEL)
        .sum()
}

/// Measure every point, in passes planned by [`plan_passes`]. Results come back in the order
/// of `specs`.
pub fn measure(
    source: &Path,
    specs: &[TrialSpec],
    options: &MeasureOptions,
    progress: &dyn Progress,
) -> Result<Vec<TrialResult>> {
    if options.segment_seconds.is_nan() || options.segment_seconds <= 0.0 {
        return Err(Error::setting(
            Setting::SegmentSeconds,
            format!("must be positive, not {}", options.segment_seconds),
        ));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs.max(1))
        .thread_name(|i| format!("pertitle-worker-{i}"))
        .build()
        .map_err(|e| Error::Threads(e.to_string()))?;
    let scored = match (options.display, options.vmaf, &options.cache) {
        (Some(d), _, _) => Some(d),
        (None, None, None) => None,
        (None, _, _) => Some(probe(source)?.resolution()),
    };
    // Points already in the cache are not measured again.
    let identities: Vec<Option<UnitIdentity>> = specs
        .iter()
        .map(|&spec| {
            let cache = options.cache.as_ref()?;
            Some(unit_identity(cache, spec, options, scored?))
        })
        .collect();
    let found: Vec<Option<TrialResult>> = identities
        .iter()
        .map(|id| {
            let cache = options.cache.as_ref()?;
            cache.get(id.as_ref()?)
        })
        .collect();
    let missing: Vec<TrialSpec> = specs
        .iter()
        .zip(&found)
        .filter(|(_, f)| f.is_none())
        .map(|(&s, _)| s)
        .collect();
    if let (true, Some(cache)) = (options.cache_only, &options.cache)
        && !missing.is_empty()
    {
        let units = specs
            .iter()
            .zip(&found)
            .zip(&identities)
            .filter(|((_, f), _)| f.is_none())
            .map(|((spec, _), id)| match id {
                Some(id) => format!("{spec} ({})", id.key()),
                None => spec.to_string(),
            })
            .collect();
        return Err(Error::MissingUnits {
            dir: cache.dir().to_path_buf(),
            units,
        });
    }
    if let Some(cache) = &options.cache
        && !missing.is_empty()
    {
        cache.check_writable()?;
    }
    let mut measured = Vec::with_capacity(missing.len());
    let vmaf_bytes = match (options.vmaf, scored) {
        (Some(v), Some(scored)) => {
            scored.pixels()
                * match v.engine {
                    VmafEngine::Libvmaf => VMAF_BYTES_PER_SOURCE_PIXEL,
                    VmafEngine::Native => NATIVE_VMAF_BYTES_PER_PIXEL,
                }
        }
        _ => 0,
    } + extra_display_bytes(&options.devices, scored);
    let passes = plan_passes(
        &missing,
        bytes_per_trial_pixel(options.codec),
        options.points_per_pass,
        options.memory_budget,
        vmaf_bytes,
    );
    for range in passes {
        let chunk = &missing[range];
        let done = (measured.len(), missing.len());
        let pass = pool.install(|| measure_pass(source, chunk, options, done, progress))?;
        // Stored as each pass ends, so an interrupted run keeps what it finished.
        if let Some(cache) = &options.cache {
            for r in &pass {
                if let Some(scored) = scored {
                    cache.put(&unit_identity(cache, r.spec, options, scored), r)?;
                }
            }
        }
        measured.extend(pass);
        progress.pass_finished(measured.len(), missing.len());
    }
    let mut measured = measured.into_iter();
    Ok(found
        .into_iter()
        .filter_map(|f| f.or_else(|| measured.next()))
        .collect())
}

/// The identity of `spec` measured under `options`, scored at `scored` (the display size).
pub fn unit_identity(
    cache: &Cache,
    spec: TrialSpec,
    options: &MeasureOptions,
    scored: Resolution,
) -> UnitIdentity {
    UnitIdentity {
        format: UNIT_FORMAT,
        source_blake3: cache.source_blake3().to_string(),
        spec,
        encoder: options.codec.encoder().into(),
        libavcodec: crate::encode::encoder::libavcodec_version(),
        preset: options.preset.clone(),
        encoder_threads: ENCODER_THREADS,
        segment_seconds: options.segment_seconds,
        display: scored,
        downscale: crate::source::scale::Kernel::Lanczos.name().into(),
        upscale: crate::source::scale::Kernel::Bicubic.name().into(),
        vmaf_model: options.vmaf.map(|v| v.model),
        vmaf_engine: options.vmaf.map(|v| v.engine.version()),
        vmaf_subsample: options.vmaf.map_or(1, |v| v.subsample),
        sample: options
            .sample
            .as_ref()
            .map_or_else(Vec::new, |s| s.windows().to_vec()),
        // By key, so that the order the classes were given in does not matter.
        devices: {
            let mut d = options.devices.clone();
            d.sort_by(|a, b| a.key.cmp(&b.key));
            d
        },
        shots: options.shots.as_ref().map_or_else(Vec::new, |s| s.to_vec()),
    }
}

/// One decode of the source feeding all `specs`.
fn measure_pass(
    source: &Path,
    specs: &[TrialSpec],
    options: &MeasureOptions,
    (done, total): (usize, usize),
    progress: &dyn Progress,
) -> Result<Vec<TrialResult>> {
    let reader = FrameReader::open(source, 0)?;
    let size = reader.resolution();
    let rate = reader.frame_rate();
    let frames = match &options.sample {
        Some(sample) => Frames::Sample(sample),
        None => Frames::All(options.segmenter(rate)),
    };
    let segmenter = frames.segmenter();
    let mut settings = EncoderSettings::for_segments(options.codec, &options.preset, &segmenter)?;
    settings.pass_dir = options.pass_dir.clone();
    // Scores are computed against the source at the display size.
    let display = options.display.unwrap_or(size);
    let devices = match options.vmaf {
        Some(v) => DevicePlan::new(&options.devices, display, &v)?,
        None if options.devices.is_empty() => DevicePlan::default(),
        None => {
            return Err(Error::Internal("device classes scored without VMAF".into()));
        }
    };
    let mut trials: Vec<Trial> = specs
        .par_iter()
        .map(|&spec| {
            // A shot-based run encodes every shot with a fresh encoder, as its shot rungs'
            // final encodes will be.
            let shots = options
                .shots
                .as_deref()
                .map(|s| ShotRates::uniform(s, spec.rate))
                .transpose()?;
            Trial::open(
                spec,
                display,
                rate,
                segmenter.clone(),
                &settings,
                options.vmaf,
                &devices,
                shots.as_ref(),
            )
        })
        .collect::<Result<_>>()?;

    let expected = match &options.sample {
        Some(sample) => sample.frames(),
        None => reader.expected_frames().unwrap_or(0),
    };
    progress.pass_started(specs, done, total, expected);
    let outcome = source_pass::run_with_displays(
        reader,
        &mut trials,
        Some(display),
        &devices.displays,
        frames,
        options.vmaf,
        &|| progress.frame(),
    )?;
    // The frames the encoders still hold come back in step, a frame at a time, so that each
    // source frame (and its VMAF reference work) is let go of by every point together.
    scorer::drain_in_step(&mut trials)?;
    trials.into_par_iter().map(|t| t.finish(&outcome)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::metrics::vmaf::VmafModel;

    fn specs(heights: &[u32]) -> Vec<TrialSpec> {
        heights
            .iter()
            .map(|&h| TrialSpec::crf(Resolution::new(h * 16 / 9, h), 23.0))
            .collect()
    }

    #[test]
    fn fixed_pass_size() {
        let s = specs(&[270, 270, 360, 360, 720]);
        assert_eq!(plan_passes(&s, 400, 2, 0, 0), vec![0..2, 2..4, 4..5]);
        assert_eq!(plan_passes(&s, 400, 9, 0, 0), vec![0..5]);
    }

    #[test]
    fn memory_budget_packs_points_and_never_starves() {
        let s = specs(&[720, 720, 720]);
        let one = Resolution::new(1280, 720).pixels() * 400;
        assert_eq!(plan_passes(&s, 400, 0, 2 * one, 0), vec![0..2, 2..3]);
        assert_eq!(plan_passes(&s, 400, 0, u64::MAX, 0), vec![0..3]);
        // A budget below one point still measures every point, one per pass.
        assert_eq!(plan_passes(&s, 400, 0, 1, 0), vec![0..1, 1..2, 2..3]);
        assert!(plan_passes(&[], 400, 0, 1, 0).is_empty());
        // The per-point extra (VMAF buffers) counts too.
        assert_eq!(plan_passes(&s, 400, 0, 2 * one, 1), vec![0..1, 1..2, 2..3]);
    }

    #[test]
    fn device_classes_at_other_displays_count_their_features() {
        let class = |name: &str, w: u32, h: u32| DeviceScoring {
            name: name.into(),
            key: format!("vmaf_{name}"),
            model: VmafModel::V061,
            display: Resolution::new(w, h),
        };
        let hd = Resolution::new(1920, 1080);
        let devices = [
            class("laptop", 1920, 1080),
            class("tv", 1920, 1080),
            class("tv-4k", 3840, 2160),
            class("small", 1280, 720),
            class("small2", 1280, 720),
        ];
        // The run's display is free; 4K and 720p once each.
        let bytes = (3840 * 2160 + 1280 * 720) * NATIVE_VMAF_BYTES_PER_PIXEL;
        assert_eq!(extra_display_bytes(&devices, Some(hd)), bytes);
        assert_eq!(extra_display_bytes(&devices[..2], Some(hd)), 0);
        assert_eq!(extra_display_bytes(&[], Some(hd)), 0);
    }
}
