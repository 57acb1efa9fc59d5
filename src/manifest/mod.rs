//! `ladder.json`: the run's result, written atomically. Its fields are explained in
//! `docs/manifest.md`; their exact types in `ladder.schema.json` beside this file.

use crate::encode::codec::Codec;
use crate::error::{Error, Result};
use crate::ladder::fixed::{self, Comparison};
use crate::ladder::{self, Constraints, Objective};
use crate::measure::metrics::vmaf::{VmafEngine, VmafModel};
use crate::measure::point::{Metric, Point, Rung, round};
use crate::measure::sample::{Window, window_durations};
use crate::search::SearchMode;
use crate::search::adaptive::SearchSettings;
use crate::search::proxy::CalibrationSample;
use crate::source::frame_rate::FrameRate;
use crate::source::resolution::Resolution;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

mod build;
pub mod cost;

/// Version of the manifest layout; bumped on incompatible changes.
pub const SCHEMA_VERSION: u32 = 3;

/// The JSON Schema (draft 2020-12) of `ladder.json`, `src/manifest/ladder.schema.json`. The test
/// suite validates every manifest it writes against it.
pub const JSON_SCHEMA: &str = include_str!("ladder.schema.json");

/// The contents of `ladder.json`: what was measured, a ladder per codec, and how long it took.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The layout's version, [`SCHEMA_VERSION`] when written by this build.
    pub schema_version: u32,
    /// The program that wrote the file.
    pub generator: Generator,
    /// The source as measured.
    pub source: SourceSummary,
    /// What every codec's ladder shares.
    pub settings: Settings,
    /// How the source divides into segments.
    pub segments: Segments,
    /// The title's shots, in a shot-based run (`optimize --shots`): its segments follow
    /// them, and every point has its figures per shot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shots: Option<crate::shots::detect::ShotList>,
    /// A ladder per codec, in the order the codecs were asked for.
    pub ladders: Vec<CodecLadder>,
    /// Each later codec's ladder against the first's (empty with one codec).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codec_comparisons: Vec<CodecComparison>,
    /// Wall and CPU times: the only part that changes between identical runs.
    pub timing: Timing,
}

/// One codec's measurements and ladder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodecLadder {
    /// The codec of every encode of this ladder.
    pub codec: Codec,
    /// Its libavcodec encoder (e.g. `libx264`).
    pub encoder: String,
    /// The codec's preset of `points` and of the rungs.
    pub preset: String,
    /// The preset the search ran at (its points are `proxy_points`), when it was not
    /// `preset`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_preset: Option<String>,
    /// Threads of each encoder (pinned: the bitstream depends on it).
    pub encoder_threads: usize,
    /// The GOP policy of the encodes.
    pub keyframes: String,
    /// The CRFs tried (the grid's, or every one the search measured).
    pub crfs: Vec<f64>,
    /// Every measured point at `preset`, by height then CRF: the points the hull and the
    /// rungs come from.
    pub points: Vec<Point>,
    /// The search's points at `proxy_preset`, by height then CRF, when the search ran at a
    /// faster proxy preset (empty otherwise): they chose the rungs' resolutions and CRFs,
    /// which were then encoded at `preset` as `points`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proxy_points: Vec<Point>,
    /// The ladder, by increasing bitrate.
    pub rungs: Vec<Rung>,
    /// With `optimize --rate-control capped-crf`: the rule that capped every point's CRF and
    /// each point's cap (the rungs' final encodes take theirs from it); absent for plain CRF.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capped_crf: Option<crate::encode::rate_control::CappedCrfLadder>,
    /// How good the ladder is for its viewers.
    pub summary: LadderSummary,
    /// The per-title ladder against a fixed reference ladder encoded on the same title with
    /// this codec (`optimize --compare-to`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
    /// How the points were chosen and how many encodes they took.
    #[serde(default)]
    pub search: SearchSummary,
}

/// One codec against another on the same title: BD-rate (PCHIP) of `codec` against
/// `against`, on their convex hulls and on their ladders, on the run's quality axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodecComparison {
    /// The codec compared.
    pub codec: Codec,
    /// The codec it is compared against (the run's first).
    pub against: Codec,
    /// How the rate-quality curves are interpolated for the BD figures.
    pub method: crate::ladder::bdrate::Interpolation,
    /// Average bitrate difference at equal quality between the hulls (negative: `codec`
    /// needs fewer bits), percent; `None` when the hulls do not share a quality range.
    pub hull_bd_rate_percent: Option<f64>,
    /// Average quality difference at equal bitrate between the hulls (positive: `codec` is
    /// better), on the run's quality axis; `None` when it cannot be computed (see `note`).
    pub hull_bd_quality: Option<f64>,
    /// Average bitrate difference at equal quality between the ladders' rungs, percent.
    pub ladder_bd_rate_percent: Option<f64>,
    /// Average quality difference at equal bitrate between the ladders' rungs.
    pub ladder_bd_quality: Option<f64>,
    /// At each rung of `against`'s ladder: the bitrate `codec`'s hull needs for the rung's
    /// quality.
    #[serde(default)]
    pub at_rungs: Vec<RungAgainst>,
    /// Why a figure is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The program that wrote a manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Generator {
    /// The program's name (`pertitle`).
    pub name: String,
    /// The program's version.
    pub version: String,
    /// libavcodec's version (the encoders come through it).
    pub libavcodec: String,
}

/// The source file as measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceSummary {
    /// The source's path, as given.
    pub path: PathBuf,
    /// Frame size as displayed, after `rotation`: the size every rung keeps the shape of.
    pub width: u32,
    /// Frame height as displayed, after `rotation`.
    pub height: u32,
    /// Degrees of clockwise turn applied to the decoded frames (the source's display
    /// matrix); absent when 0. Rungs are upright and carry no rotation of their own.
    #[serde(default, skip_serializing_if = "is_no_turn")]
    pub rotation: u32,
    /// The source's pixel format when its frames were converted to 8-bit 4:2:0 before
    /// being measured and encoded (e.g. `yuv422p10le`); absent for 8-bit 4:2:0 sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub converted_from: Option<String>,
    /// The exact frame rate.
    pub frame_rate: FrameRate,
    /// Frames decoded and measured.
    pub frames: u64,
    /// `frames / frame_rate`: the duration bitrates are computed over.
    pub duration_s: f64,
}

/// What every codec's ladder of a run shares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Heights asked for.
    pub heights: Vec<u32>,
    /// Resolutions measured (derived from `heights` and the source).
    pub resolutions: Vec<Resolution>,
    /// Segment length asked for, seconds; each segment starts with a keyframe.
    pub segment_seconds: f64,
    /// The size every frame is scored at: encodes are upscaled (and the source resized) to it.
    pub display: Resolution,
    /// Scaling filter from the source to the trial sizes (`lanczos`).
    pub downscale: String,
    /// Scaling filter from the trial sizes back to `display` (`bicubic`).
    pub upscale: String,
    /// The quality metric of the hull and the ladder.
    pub metric: Metric,
    /// The VMAF model, when VMAF was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vmaf_model: Option<VmafModel>,
    /// The VMAF implementation, when VMAF was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vmaf_engine: Option<VmafEngine>,
    /// VMAF was scored on every this many frames, when VMAF was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vmaf_subsample: Option<u32>,
    /// The point field the hull and ladder use as quality.
    pub quality_field: String,
    /// The constraints the rungs obey.
    pub constraints: Constraints,
    /// Whom the rungs were chosen for.
    pub objective: Objective,
    /// The device classes every point and rung was also scored for: each one's VMAF model
    /// and display, and the key of its quality in `pooling` and `segment_means`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<crate::measure::devices::DeviceScoring>,
}

/// The ladder's objective value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LadderSummary {
    /// Viewers' bandwidths, log-uniform over this range (kbit/s).
    pub viewer_kbps: [f64; 2],
    /// Mean quality a viewer gets (0 for viewers below the lowest rung), on the hull metric.
    pub expected_quality: f64,
    /// Rungs interpolated between measured CRFs.
    pub interpolated_rungs: usize,
    /// With a viewer mix (`settings.objective.viewers`): what each device of the mix gets,
    /// in the mix's order; `expected_quality` is then their mean weighted by share, each on
    /// its own device's scale.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<DeviceSummary>,
    /// With a viewer mix: its devices that have no decoder for this ladder's codec, left out
    /// of this ladder's objective (the others' shares are normalised again).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices_without_decoder: Vec<String>,
    /// What the ladder costs to deliver and store, and the quality-cost frontier (absent in
    /// manifests written before costs were reported).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<cost::LadderCost>,
}

/// What one device of a viewer mix gets from a ladder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceSummary {
    /// The device class.
    pub name: String,
    /// The point metric its viewers' quality is on (`vmaf_phone`).
    pub quality_key: String,
    /// Its share of this ladder's viewers.
    pub share: f64,
    /// The mean quality its viewers get, on its own scale (0 below the lowest rung it plays).
    pub expected_quality: f64,
    /// How many of the rungs it plays (the lowest ones: its screen and bitrate cap).
    pub playable_rungs: usize,
}

/// How the trial points were chosen.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchSummary {
    /// Grid or adaptive search.
    pub mode: SearchMode,
    /// The adaptive search's aims (absent for the grid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<SearchSettings>,
    /// Points measured in each wave (one pass over the source each; the grid is one wave,
    /// itself split into passes when memory asks). After a proxy search, the last waves are
    /// the final preset's: the calibration, then each round of rungs.
    pub waves: Vec<usize>,
    /// Trial encodes made at every preset, reference-ladder rungs included; their encoder
    /// CPU time is `timing.encode_cpu_s`.
    pub encodes: usize,
    /// After a search at a proxy preset: the encodes at `settings.preset` (the rungs the
    /// proxy chose, and the reference rungs), made in one more pass over the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_encodes: Option<usize>,
    /// After a search at a proxy preset: how the final preset's bitrate and quality differed
    /// from the proxy's at the calibration's CRFs, on the cheapest resolution; the proxy
    /// points were mapped by it before the rungs were chosen.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calibration: Vec<CalibrationSample>,
    /// After a proxy search on a sample: the source segments it encoded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sample: Vec<Window>,
}

/// How the source divides into segments; per-segment arrays have one entry per segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segments {
    /// Number of segments.
    pub count: usize,
    /// Frames in each segment.
    pub frames: Vec<u64>,
    /// Duration of each segment, seconds.
    pub durations_s: Vec<f64>,
}

/// Wall and CPU times of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// Wall-clock time of the run, seconds.
    pub wall_s: f64,
    /// Encodes run in parallel (`--jobs`).
    pub jobs: usize,
    /// Sum of the encoders' CPU time over all points of all codecs.
    pub encode_cpu_s: f64,
    /// Encodes read from a result cache instead of made in this run (their CPU times are
    /// those of the original encodes).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cached_encodes: usize,
    /// Each codec's, in the order of `ladders`.
    pub ladders: Vec<LadderTiming>,
}

/// One codec's encoder CPU times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LadderTiming {
    /// The codec.
    pub codec: Codec,
    /// Sum of the encoders' CPU time over the codec's points (proxy and reference encodes
    /// included).
    pub encode_cpu_s: f64,
    /// Encoder CPU time of each point, in the order of the ladder's `points`.
    pub points_encode_cpu_s: Vec<f64>,
    /// Encoder CPU time of each proxy point, in the order of `proxy_points`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proxy_points_encode_cpu_s: Vec<f64>,
    /// Of the codec's encodes, those read from a result cache.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cached_encodes: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Manifest {
    /// Choose every ladder's rungs again from its measured points under `constraints` and
    /// `objective` (no re-encoding), record both in the settings, and compare the codecs
    /// again. On error the manifest is unchanged.
    pub fn select_rungs(&mut self, constraints: Constraints, objective: Objective) -> Result<()> {
        let mut ladders = self.ladders.clone();
        let segment_frames = self.segmenter().frames_per_segment(self.source.frames);
        let shots = self.shots.as_ref().map(|list| ladder::ShotTitle {
            list,
            segment_frames: &segment_frames,
        });
        for l in &mut ladders {
            let durations = if l.sampled() {
                window_durations(&l.search.sample, self.source.frame_rate)
            } else {
                self.segments.durations_s.clone()
            };
            l.select_rungs(
                self.settings.metric,
                &constraints,
                &objective,
                &durations,
                shots,
            )?;
            l.price_storage(self.source.duration_s);
        }
        self.ladders = ladders;
        self.settings.constraints = constraints;
        self.settings.objective = objective;
        self.compare_codecs();
        Ok(())
    }

    /// The source's segments as the run cut them: of `settings.segment_seconds` each, or
    /// following the shots of a shot-based run.
    pub fn segmenter(&self) -> crate::encode::segment::Segmenter {
        crate::encode::segment::Segmenter::for_title(
            self.source.frame_rate,
            self.settings.segment_seconds,
            self.shots.as_ref().map(|s| s.shots.as_slice()),
        )
    }

    /// The ladder of `codec`, if the manifest has one.
    pub fn ladder(&self, codec: Codec) -> Option<&CodecLadder> {
        self.ladders.iter().find(|l| l.codec == codec)
    }

    /// Fail unless `source` is the source this ladder measured: the same size and frame
    /// rate, and at least as many frames (`probe` counts packets, which a file's decoded
    /// frames never outnumber).
    pub fn check_source(&self, source: &Path) -> Result<()> {
        let info = crate::source::probe(source)?;
        let expected = Resolution::new(self.source.width, self.source.height);
        if info.resolution() != expected
            || info.frame_rate != self.source.frame_rate
            || info.frame_count < self.source.frames
        {
            return Err(Error::MismatchedSource {
                path: source.to_path_buf(),
                problem: format!(
                    "{} at {} fps, {} frames; the ladder measured {} at {} fps, {} frames",
                    info.resolution(),
                    info.frame_rate,
                    info.frame_count,
                    expected,
                    self.source.frame_rate,
                    self.source.frames
                ),
            });
        }
        Ok(())
    }

    /// The codecs of the ladders, in their order.
    pub fn codecs(&self) -> Vec<Codec> {
        self.ladders.iter().map(|l| l.codec).collect()
    }

    /// Compare each later codec's hull and ladder with the first codec's.
    pub fn compare_codecs(&mut self) {
        let metric = self.settings.metric;
        self.codec_comparisons = match self.ladders.split_first() {
            Some((anchor, rest)) => rest
                .iter()
                .map(|test| CodecComparison::of(anchor, test, metric))
                .collect(),
            None => Vec::new(),
        };
    }

    /// Write as pretty JSON to `path`, atomically: a temporary file in the same directory is
    /// renamed over `path`, so readers never see a partial manifest.
    pub fn write_atomic(&self, path: &Path) -> Result<()> {
        let mut json = serde_json::to_vec_pretty(self).map_err(|e| Error::Manifest {
            path: path.to_path_buf(),
            cause: e,
        })?;
        json.push(b'\n');
        crate::util::atomic::write_atomic(path, ".ladder.", &json)
    }

    /// Read a manifest written by [`write_atomic`](Self::write_atomic).
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let invalid = |e| Error::Manifest {
            path: path.to_path_buf(),
            cause: e,
        };
        // An older layout gets a plain answer instead of a missing-field error.
        #[derive(Deserialize)]
        struct Version {
            schema_version: u32,
        }
        let version: Version = serde_json::from_slice(&bytes).map_err(invalid)?;
        if version.schema_version != SCHEMA_VERSION {
            return Err(Error::UnsupportedSchema {
                path: path.to_path_buf(),
                found: version.schema_version,
                expected: SCHEMA_VERSION,
            });
        }
        serde_json::from_slice(&bytes).map_err(invalid)
    }
}

/// One rung of the anchor codec's ladder, and what another codec spends for its quality.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RungAgainst {
    /// The anchor rung's width, pixels.
    pub width: u32,
    /// The anchor rung's height, pixels.
    pub height: u32,
    /// The anchor rung's bitrate, kbit/s.
    pub kbps: f64,
    /// The anchor rung's quality, on the run's quality axis.
    pub quality: f64,
    /// The bitrate at which the other codec's hull reaches `quality`; `None` when `quality`
    /// is outside the hull's range (above its best point, or below its cheapest one, where
    /// the codec was not measured low enough to say).
    pub codec_kbps: Option<f64>,
    /// `1 - codec_kbps / kbps`, percent: the bits the other codec saves at this rung.
    pub saving_percent: Option<f64>,
}

impl CodecLadder {
    /// How `rung`'s final encode spends its bits, as the ladder's points did: its CRF, or for
    /// a capped-CRF ladder its point's cap (between two measured CRFs, the cap of the CRF-only
    /// bitrate interpolated between them; with no measured CRF of its size on either side,
    /// the cap of the rung's own bitrate).
    pub fn rung_rate_control(&self, rung: &Rung) -> crate::encode::encoder::RateControl {
        match &self.capped_crf {
            Some(table) => table
                .rate_control(Resolution::new(rung.width, rung.height), rung.crf)
                .unwrap_or_else(|| table.rule.cap(rung.crf, rung.bitrate_kbps)),
            None => crate::encode::encoder::RateControl::Crf(rung.crf),
        }
    }

    /// Whether the ladder stands on a sample of the source: its points were measured on
    /// `search.sample`'s windows (with a proxy preset, the final encodes measure the whole
    /// source instead).
    pub fn sampled(&self) -> bool {
        self.proxy_preset.is_none() && !self.search.sample.is_empty()
    }

    /// Choose the rungs again from the measured points under `constraints` and `objective`;
    /// `segment_durations_s` are the points' segments (a sample's windows when
    /// [`sampled`](Self::sampled)). The rungs of a sampled ladder are marked `sampled`.
    pub fn select_rungs(
        &mut self,
        metric: crate::measure::point::Metric,
        constraints: &Constraints,
        objective: &Objective,
        segment_durations_s: &[f64],
        shots: Option<ladder::ShotTitle<'_>>,
    ) -> Result<()> {
        let mut points = self.points.clone();
        // A viewer mix counts only the devices that decode this codec.
        let (objective, without_decoder) = match &objective.viewers {
            Some(mix) => {
                let (mix, left) = mix.for_codec(self.codec)?;
                let objective = Objective {
                    viewers: Some(mix),
                    ..objective.clone()
                };
                (std::borrow::Cow::Owned(objective), left)
            }
            None => (std::borrow::Cow::Borrowed(objective), Vec::new()),
        };
        let ladder = ladder::build(
            &mut points,
            metric,
            &constraints.for_codec(self.codec),
            &objective,
            segment_durations_s,
            ladder::CrfValues::of(self.codec),
            shots,
        )?;
        let mut ladder = ladder;
        if self.sampled() {
            for r in &mut ladder.rungs {
                r.mark_sampled();
            }
        }
        self.points = points;
        self.set_ladder(ladder, metric);
        self.summary.devices_without_decoder = without_decoder;
        Ok(())
    }

    /// Make `ladder` the rungs, and compare it with the reference ladder if there is one.
    pub fn set_ladder(&mut self, ladder: ladder::Ladder, metric: crate::measure::point::Metric) {
        self.summary = LadderSummary {
            viewer_kbps: ladder.viewer_kbps.map(|k| round(k, 3)),
            expected_quality: round(ladder.expected_quality, 4),
            interpolated_rungs: ladder.rungs.iter().filter(|r| r.interpolated).count(),
            devices: ladder
                .devices
                .iter()
                .map(|d| DeviceSummary {
                    name: d.name.clone(),
                    quality_key: d.quality_key.clone(),
                    share: round(d.share, 6),
                    expected_quality: round(d.expected_quality, 4),
                    playable_rungs: d.playable_rungs,
                })
                .collect(),
            devices_without_decoder: Vec::new(),
            cost: Some(cost::LadderCost::of(&ladder)),
        };
        self.rungs = ladder.rungs;
        if let Some(c) = self.comparison.take() {
            self.comparison = Some(fixed::compare(c, &self.points, &self.rungs, metric));
        }
    }
}

impl CodecComparison {
    /// BD-rate and BD-quality of `test` against `anchor`, on the hulls and on the rungs.
    pub fn of(
        anchor: &CodecLadder,
        test: &CodecLadder,
        metric: crate::measure::point::Metric,
    ) -> Self {
        let method = crate::ladder::bdrate::Interpolation::Pchip;
        let hull = |l: &CodecLadder| metric.rate_quality(l.points.iter().filter(|p| p.on_hull));
        let mut notes = Vec::new();
        let mut figures = |what: &str, a, t| match crate::ladder::bdrate::compare(a, t, method) {
            Ok(r) => (
                Some(round(r.bd_rate_percent, 3)),
                Some(round(r.bd_quality, 4)),
            ),
            Err(e) => {
                notes.push(format!("no BD metrics on the {what}: {e}"));
                (None, None)
            }
        };
        let (anchor_hull, test_hull) = (hull(anchor), hull(test));
        let (hull_rate, hull_quality) = figures("hulls", &anchor_hull, &test_hull);
        let anchor_rungs = metric.rate_quality(&anchor.rungs);
        let test_rungs = metric.rate_quality(&test.rungs);
        let (ladder_rate, ladder_quality) = figures("ladders", &anchor_rungs, &test_rungs);
        let at_rungs = anchor
            .rungs
            .iter()
            .map(|r| {
                let quality = metric.of(r);
                let lowest = test_hull
                    .iter()
                    .map(|p| p.quality)
                    .fold(f64::INFINITY, f64::min);
                let codec_kbps = crate::ladder::hull::kbps_reaching(&test_hull, quality)
                    .filter(|_| quality >= lowest);
                RungAgainst {
                    width: r.width,
                    height: r.height,
                    kbps: r.bitrate_kbps,
                    quality: round(quality, 4),
                    codec_kbps: codec_kbps.map(|k| round(k, 3)),
                    saving_percent: codec_kbps
                        .filter(|_| r.bitrate_kbps > 0.0)
                        .map(|k| round((1.0 - k / r.bitrate_kbps) * 100.0, 3)),
                }
            })
            .collect();
        CodecComparison {
            codec: test.codec,
            against: anchor.codec,
            method,
            hull_bd_rate_percent: hull_rate,
            hull_bd_quality: hull_quality,
            ladder_bd_rate_percent: ladder_rate,
            ladder_bd_quality: ladder_quality,
            at_rungs,
            note: (!notes.is_empty()).then(|| notes.join("; ")),
        }
    }
}

fn is_no_turn(degrees: &u32) -> bool {
    *degrees == 0
}
