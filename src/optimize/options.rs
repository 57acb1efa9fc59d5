//! What `optimize` can be told ([`OptimizeOptions`]), its defaults and its checks, and the
//! view of one codec's run ([`CodecOptions`]) the pipeline reads.

use crate::encode::codec::Codec;
use crate::encode::encoder::{CapRule, EncoderSettings};
use crate::error::{Error, Result, Setting};
use crate::ladder::fixed::{ReferenceLadder, ReferenceRateControl};
use crate::ladder::{Constraints, Objective};
use crate::measure::metrics::vmaf::{VmafEngine, VmafModel, VmafSettings};
use crate::measure::point::Metric;
use crate::search::SearchMode;
use crate::search::adaptive::SearchSettings;
use crate::source::resolution::Resolution;
use serde::{Deserialize, Serialize};

/// Everything `optimize` can be told. `Default` gives the CLI's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptimizeOptions {
    /// Trial heights; widths follow the source's aspect ratio.
    pub heights: Vec<u32>,
    /// The codecs to build a ladder with, each with its preset and CRFs; the first is the
    /// one the others are compared against.
    pub codecs: Vec<CodecChoice>,
    /// Segment length, seconds: every segment starts with a keyframe.
    pub segment_seconds: f64,
    /// What the ladder must obey.
    pub constraints: Constraints,
    /// Whom the ladder is for.
    pub objective: Objective,
    /// A fixed ladder to encode on this title too (with every codec) and compare the
    /// per-title ladders with.
    pub compare_to: Option<ReferenceLadder>,
    /// How the reference ladder's rungs are encoded; `None`: each codec's default
    /// ([`ReferenceRateControl::default_for`]).
    #[serde(default)]
    pub reference_rate_control: Option<ReferenceRateControl>,
    /// Encode the points (and so the rungs) as capped CRF under this rule instead of plain
    /// CRF (grid search without a proxy preset).
    #[serde(default)]
    pub capped_crf: Option<CapRule>,
    /// The hull's quality axis; VMAF is measured only when it is `Vmaf`.
    pub metric: Metric,
    /// The VMAF model, used when VMAF is measured.
    pub vmaf_model: VmafModel,
    /// The VMAF implementation.
    #[serde(default)]
    pub vmaf_engine: VmafEngine,
    /// VMAF is scored on every this many frames (the other metrics on every frame).
    #[serde(default = "one")]
    pub vmaf_subsample: u32,
    /// Size scores are computed at; `None` = the source's size.
    pub display: Option<Resolution>,
    /// Parallel trial encodes.
    pub jobs: usize,
    /// Most points encoded in one pass over the source (0 = as many as fit in half the
    /// available memory).
    pub points_per_pass: usize,
    /// Every resolution x CRF, or an adaptive search within the CRFs' range.
    pub search: SearchMode,
    /// Share of the source the search encodes ([`Sample`]; 1: all of it). With a proxy
    /// preset the final encodes measure the whole source; without one the ladder is chosen
    /// on the sample and its rungs are marked `sampled`.
    #[serde(alias = "proxy_sample")]
    pub sample: f64,
    /// A result cache ([`crate::measure::cache`]): points measured before are read from it, new ones
    /// stored in it.
    pub cache: Option<CacheSettings>,
    /// Device classes whose quality every point also measures (each its VMAF model at its
    /// display; [`crate::viewers::device`]), kept under `vmaf_<name>`; VMAF is measured
    /// whatever the hull's metric when there are any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<crate::viewers::device::Device>,
    /// Shot-based encoding: the title's shots are found first, with these options
    /// ([`crate::shots::detect`]), and every trial follows them (a keyframe at every shot
    /// start, segments inside shots, each point's figures per shot). `None`: per-title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shots: Option<crate::shots::detect::DetectOptions>,
    /// A shot-based run's shots when they were found before the run (a plan finds them once
    /// for all its units and the merge): the run follows them instead of finding them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found_shots: Option<crate::shots::detect::ShotList>,
}

fn one() -> u32 {
    1
}

impl OptimizeOptions {
    /// How VMAF is measured, when it is (`metric` is VMAF, or device classes are scored).
    pub fn vmaf(&self) -> Option<VmafSettings> {
        (self.metric == Metric::Vmaf || !self.devices.is_empty()).then_some(VmafSettings {
            model: self.vmaf_model,
            engine: self.vmaf_engine,
            subsample: self.vmaf_subsample,
        })
    }
}

/// One codec of a run and how it is encoded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodecChoice {
    /// The codec.
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

/// One codec's run: the run's options seen with one of its codecs.
#[derive(Debug, Clone, Copy)]
pub(super) struct CodecOptions<'a> {
    /// The whole run's options.
    pub all: &'a OptimizeOptions,
    /// The codec this run encodes with, its preset and CRFs.
    pub choice: &'a CodecChoice,
}

/// Where trial results are kept between runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheSettings {
    /// The cache directory.
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
            reference_rate_control: None,
            capped_crf: None,
            metric: Metric::Vmaf,
            vmaf_model: VmafModel::default(),
            vmaf_engine: VmafEngine::default(),
            vmaf_subsample: 1,
            display: None,
            jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
            points_per_pass: 0,
            search: SearchMode::Grid,
            sample: DEFAULT_SAMPLE,
            cache: None,
            devices: Vec::new(),
            shots: None,
            found_shots: None,
        }
    }
}

impl OptimizeOptions {
    /// Check every option before anything is measured.
    pub fn validate(&self) -> Result<()> {
        if self.codecs.is_empty() {
            return Err(Error::setting(Setting::Codecs, "none given"));
        }
        for (i, c) in self.codecs.iter().enumerate() {
            if self.codecs[..i].iter().any(|d| d.codec == c.codec) {
                return Err(Error::setting(
                    Setting::Codecs,
                    format!("{} given twice", c.codec),
                ));
            }
            self.codec_options(c).validate()?;
        }
        self.check_mix_scores()
    }

    /// The scores the run's points carry, by pooling key: PSNR and SSIM always, `vmaf` when
    /// VMAF is measured and `vmaf_<class>` for each device class.
    pub fn measured_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = ["psnr_y", "psnr_u", "psnr_v", "psnr_yuv", "ssim_y"]
            .map(String::from)
            .into();
        if self.vmaf().is_some() {
            keys.push("vmaf".into());
        }
        keys.extend(self.devices.iter().map(|d| d.quality_key()));
        keys
    }

    /// With a viewer mix, every device's quality must be among the scores the run measures:
    /// refused before any encoding rather than after it.
    fn check_mix_scores(&self) -> Result<()> {
        let Some(mix) = &self.objective.viewers else {
            return Ok(());
        };
        let keys = self.measured_keys();
        match mix.devices.iter().find(|d| !keys.contains(&d.quality_key)) {
            Some(d) => Err(Error::InvalidMix {
                path: mix.file.clone(),
                problem: d.unmeasured(),
            }),
            None => Ok(()),
        }
    }

    /// The options of one codec's run: this run's, with `choice`'s codec.
    pub(super) fn codec_options<'a>(&'a self, choice: &'a CodecChoice) -> CodecOptions<'a> {
        CodecOptions { all: self, choice }
    }
}

impl CodecOptions<'_> {
    pub(super) fn validate(&self) -> Result<()> {
        if self.all.heights.is_empty() {
            return Err(Error::setting(Setting::Heights, "none given"));
        }
        if let Some(h) = self.all.heights.iter().find(|&&h| h < 16) {
            return Err(Error::setting(
                Setting::Heights,
                format!("height {h} is below 16"),
            ));
        }
        if self.choice.crfs.is_empty() {
            return Err(Error::setting(Setting::Crf, "none given"));
        }
        for &c in &self.choice.crfs {
            self.choice.codec.validate_quality(c)?;
        }
        let presets = [(Setting::Preset, Some(&self.choice.preset))]
            .into_iter()
            .chain([(Setting::ProxyPreset, self.choice.proxy_preset.as_ref())]);
        for (setting, preset) in presets {
            let Some(preset) = preset else { continue };
            EncoderSettings {
                codec: self.choice.codec,
                preset: preset.clone(),
                keyint: 1,
                pass_dir: None,
            }
            .validate()
            .map_err(|e| match e {
                Error::InvalidSetting { problem, .. } => Error::InvalidSetting { setting, problem },
                e => e,
            })?;
        }
        let floor = crate::encode::encoder::min_side(self.choice.codec);
        if let Some(h) = self.all.heights.iter().find(|&&h| h < floor) {
            return Err(Error::setting(
                Setting::Heights,
                format!(
                    "height {h} is below {floor}, the smallest {} encodes",
                    self.choice.codec
                ),
            ));
        }
        if !(self.all.segment_seconds.is_finite() && self.all.segment_seconds >= 0.1) {
            return Err(Error::setting(
                Setting::SegmentSeconds,
                format!(
                    "{} s is too short (at least 0.1 s)",
                    self.all.segment_seconds
                ),
            ));
        }
        if !(self.all.sample > 0.0 && self.all.sample <= 1.0) {
            return Err(Error::setting(
                Setting::Sample,
                format!(
                    "{} is not a share of the source (above 0, at most 1)",
                    self.all.sample
                ),
            ));
        }
        self.all.constraints.validate()?;
        if !self.all.devices.is_empty() && self.choice.proxy_preset.is_some() {
            return Err(Error::setting(
                Setting::Devices,
                "device classes are not calibrated across a proxy preset yet: search at the \
                 final preset (--no-proxy) or with the grid",
            ));
        }
        self.validate_shots()?;
        if self.all.vmaf_subsample == 0 {
            return Err(Error::setting(
                Setting::VmafSubsample,
                "must be at least 1 (1: every frame)",
            ));
        }
        if self.all.jobs == 0 {
            return Err(Error::setting(Setting::Jobs, "must be at least 1"));
        }
        self.validate_rate_control()
    }

    /// The reference rungs' rate control for this codec.
    pub(super) fn reference_rate_control(&self) -> ReferenceRateControl {
        self.all
            .reference_rate_control
            .unwrap_or_else(|| ReferenceRateControl::default_for(self.choice.codec))
    }

    /// Shot-based runs measure the whole title on the grid at the final preset, for now.
    fn validate_shots(&self) -> Result<()> {
        let refuse = |setting, problem: &str| Err(Error::setting(setting, problem.to_string()));
        let Some(detect) = &self.all.shots else {
            if self.all.found_shots.is_some() {
                return Err(Error::Internal(
                    "shots were found for a run that is not shot-based".into(),
                ));
            }
            if self.all.constraints.shot_rungs.is_some() {
                return refuse(
                    Setting::ShotResolution,
                    "shot rungs (--shot-resolution) need a shot-based run (--shots)",
                );
            }
            return Ok(());
        };
        detect.validate()?;
        if self.all.capped_crf.is_some() {
            return refuse(
                Setting::RateControl,
                "a shot-based run (--shots) encodes every shot at constant quality (--rate-control crf)",
            );
        }
        if self.all.sample < 1.0 {
            return refuse(
                Setting::Sample,
                "a shot-based run (--shots) measures every shot of the whole title",
            );
        }
        if self.all.search != SearchMode::Grid {
            return refuse(
                Setting::Search,
                "a shot-based run (--shots) measures every shot on the grid (--search grid)",
            );
        }
        if self.choice.proxy_preset.is_some() {
            return refuse(
                Setting::ProxyPreset,
                "a shot-based run (--shots) measures every shot at the final preset (--no-proxy)",
            );
        }
        Ok(())
    }

    fn validate_rate_control(&self) -> Result<()> {
        if self.all.compare_to.is_some() {
            self.reference_rate_control().validate(self.choice.codec)?;
        }
        let Some(rule) = self.all.capped_crf else {
            return Ok(());
        };
        rule.validate()?;
        let codec = self.choice.codec;
        if !matches!(codec, Codec::X264 | Codec::X265) {
            return Err(Error::setting(
                Setting::RateControl,
                format!("capped CRF is implemented for x264 and x265, not {codec}"),
            ));
        }
        if self.all.search != SearchMode::Grid || self.choice.proxy_preset.is_some() {
            return Err(Error::setting(
                Setting::RateControl,
                "capped CRF works with the grid search without a proxy preset",
            ));
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

/// Share of the source the search encodes unless told otherwise: all of it.
pub const DEFAULT_SAMPLE: f64 = 1.0;

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

impl CodecOptions<'_> {
    /// The preset the search's trial encodes use.
    pub(super) fn search_preset(&self) -> &str {
        self.choice
            .proxy_preset
            .as_deref()
            .unwrap_or(&self.choice.preset)
    }

    /// What the adaptive search aims at: the CRFs' range, the ladder's bitrate range (at a
    /// proxy preset, widened by [`PROXY_RATE_MARGIN`] either way: the final preset spends
    /// other bitrates at the same CRFs), and a tolerance of about a sixth of a
    /// just-noticeable difference on the hull metric.
    pub(super) fn search_settings(&self) -> SearchSettings {
        let lo = self
            .choice
            .crfs
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min);
        let hi = self
            .choice
            .crfs
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        let margin = if self.choice.proxy_preset.is_some() {
            PROXY_RATE_MARGIN
        } else {
            1.0
        };
        SearchSettings {
            crf_range: [lo, hi],
            min_kbps: self.all.constraints.min_kbps / margin,
            max_kbps: self.all.constraints.max_kbps.map(|k| k * margin),
            tolerance: match self.all.metric {
                Metric::Vmaf => 1.0,
                Metric::Psnr => 0.2,
                Metric::Ssim => 0.002,
            },
            min_crf_gap: 1.0,
            // A proxy search only has to place the rungs, which the final preset then
            // measures: its curves may be coarser.
            max_crf_gap: if self.choice.proxy_preset.is_some() {
                PROXY_MAX_CRF_GAP
            } else {
                4.0
            },
            crf_step: 0.5,
            max_waves: 12,
        }
    }
}
