//! `pertitle package`: the final encodes of a ladder's rungs over the whole source, packaged
//! for streaming.
//!
//! Every rung of every codec's ladder is encoded with the settings its trial encode was
//! measured with (the codec and its preset, one thread, a keyframe opening every segment, CRF
//! as the ladder says, interpolated CRFs included), from one decode of the source. libavformat's HLS muxer cuts each encode
//! into fragmented-MP4 (CMAF) segments on those keyframes and writes its media playlist; the
//! same segments serve DASH. The master playlist and the MPD are then written from what the
//! segments measure ([`bandwidth`]) and from the streams' own parameter sets
//! ([`crate::encode::codecs_string`]).
//!
//! Every rendition's quality is measured as the trial points' was ([`score`]): scored while it
//! is encoded, or, for a measured rung whose final encode is its trial encode bit for bit,
//! copied from ladder.json.
//!
//! Layout of the output directory:
//!
//! ```text
//! master.m3u8            HLS master playlist (with --hls)
//! manifest.mpd           DASH MPD (with --dash)
//! package.json           what was written and measured (PackageManifest)
//! rung1_234p/init.mp4    initialization segment
//! rung1_234p/seg_00000.m4s ...  media segments, one per ladder segment
//! rung1_234p/media.m3u8  HLS media playlist (with --hls)
//! ```
//!
//! The directory is built beside the output under a temporary name and renamed into place
//! when complete, so a failed or interrupted run leaves no partial package.

pub mod bandwidth;
mod dash;
pub mod export;
pub mod hls;
mod rate;
pub mod rendition;
mod score;
mod staging;
mod top_files;

use crate::encode::codec::Codec;
use crate::encode::encoder::{CapRule, EncoderSettings};
use crate::encode::segment::Segmenter;
use crate::error::{Error, Result, Setting};
use crate::manifest::Manifest;
use crate::measure::metrics::pool::Pooled;
use crate::measure::point::{Quality, Rung};
use crate::measure::scorer::drain_in_step;
use crate::measure::source_pass;
use crate::measure::trial::TrialSpec;
use crate::measure::{bytes_per_trial_pixel, default_memory_budget, plan_passes};
use crate::source::FrameReader;
use crate::source::frame_rate::FrameRate;
use crate::source::resolution::Resolution;
use crate::util::progress::Progress;
use bandwidth::SegmentSize;
use rayon::prelude::*;
use rendition::{
    Encoded, INIT_SEGMENT, MEDIA_PLAYLIST, Rendition, RenditionSpec, Scoring, file_size,
    segment_bytes,
};
pub use score::QualitySource;
use serde::{Deserialize, Serialize};
use staging::Staging;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use top_files::write_top_files;

/// File names at the top of a package.
pub const MASTER_PLAYLIST: &str = "master.m3u8";
/// The DASH manifest of a package.
pub const MPD: &str = "manifest.mpd";
/// The package's own record of what it holds.
pub const PACKAGE_JSON: &str = "package.json";

/// The DASH `@minBufferTime`, in durations of the longest segment: a client buffers one
/// segment before it starts, so `@bandwidth` comes close to the peak segment bit rate.
pub const DASH_MIN_BUFFER_SEGMENTS: f64 = 1.0;

/// What to package and how.
#[derive(Debug, Clone)]
pub struct PackageOptions {
    /// Write the HLS playlists.
    pub hls: bool,
    /// Write the DASH MPD.
    pub dash: bool,
    /// The source to encode; `None`: the path recorded in the ladder.
    pub source: Option<PathBuf>,
    /// The codec's preset; `None`: the preset the trial encodes used (then a measured rung's final
    /// encode is its trial encode, bit for bit).
    pub preset: Option<String>,
    /// Parallel encoders.
    pub jobs: usize,
    /// Replace an existing non-empty output directory.
    pub force: bool,
    /// Measure every rendition's quality (`false`: only a measured rung's final encode that
    /// is its trial encode gets a quality, its trial's; nothing is scored).
    pub score: bool,
    /// Encode the rungs of a plain-CRF ladder as capped CRF under this rule, each capped by
    /// its own bitrate (its CRF-only average); a capped ladder's rungs are capped as its
    /// points were without it.
    pub capped_crf: Option<CapRule>,
}

impl Default for PackageOptions {
    fn default() -> Self {
        PackageOptions {
            hls: true,
            dash: true,
            source: None,
            preset: None,
            jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
            force: false,
            score: true,
            capped_crf: None,
        }
    }
}

/// `package.json`: what a package holds, as measured on the written files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackageManifest {
    /// The pertitle version that wrote the package.
    pub generator: String,
    /// The source the rungs were encoded from.
    pub source: PathBuf,
    /// The source's frame rate.
    pub frame_rate: FrameRate,
    /// Segment duration, seconds.
    pub segment_seconds: f64,
    /// Duration of every segment, seconds (the same in every rendition).
    pub segment_durations_s: Vec<f64>,
    /// The HLS master playlist, relative to the package directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hls_master: Option<String>,
    /// The DASH MPD, relative to the package directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dash_mpd: Option<String>,
    /// The `@minBufferTime` the DASH bandwidths hold for, seconds.
    pub dash_min_buffer_s: f64,
    /// One per rung, lowest bitrate first.
    pub renditions: Vec<PackagedRendition>,
}

/// One rung as packaged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackagedRendition {
    /// The codec it is encoded with, its libavcodec encoder and the codec's preset.
    pub codec: Codec,
    /// The libavcodec encoder (e.g. `libx264`).
    pub encoder: String,
    /// The encoder's preset.
    pub preset: String,
    /// Its directory in the package (and its DASH representation id).
    pub name: String,
    /// Frame width, pixels.
    pub width: u32,
    /// Frame height, pixels.
    pub height: u32,
    /// The constant-quality value it was encoded at.
    pub crf: f64,
    /// The rung's CRF lies between measured ones (see ladder.json).
    pub interpolated: bool,
    /// The rung was chosen on a sample of the title (its ladder figures are the sample's
    /// estimates; these are the whole title's).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sampled: bool,
    /// RFC 6381 codecs string from the stream's sequence parameter set.
    pub codecs: String,
    /// The VBV's maximum rate of a capped-CRF encode, kbit/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maxrate_kbps: Option<f64>,
    /// The VBV's buffer of a capped-CRF encode, kbit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bufsize_kbits: Option<f64>,
    /// Frames encoded.
    pub frames: u64,
    /// Frames by which the first frame is presented after the timeline's start (the
    /// encoder's B-frame delay; the DASH `@presentationTimeOffset`).
    pub presentation_delay_frames: u64,
    /// Size of the initialization segment, bytes.
    pub init_bytes: u64,
    /// Size of each media segment file, bytes.
    pub segment_bytes: Vec<u64>,
    /// Encoded video of each segment, bits (without the container).
    pub segment_video_bits: Vec<u64>,
    /// HLS `BANDWIDTH`: peak segment bit rate, bit/s, rounded up (and up by a bit per
    /// second more where two renditions would share one: see
    /// [`bandwidth::distinct_bandwidths`]).
    pub hls_bandwidth: u64,
    /// HLS `AVERAGE-BANDWIDTH`: average segment bit rate, bit/s.
    pub hls_average_bandwidth: u64,
    /// DASH `@bandwidth` for `dash_min_buffer_s`, bit/s (made distinct as `hls_bandwidth`).
    pub dash_bandwidth: u64,
    /// For a measured rung encoded with its trial settings: whether every segment has the
    /// size ladder.json recorded for the trial encode (it should: encodes are deterministic).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matches_trial: Option<bool>,
    /// Where the quality figures below come from: `trial` when the final encode is the
    /// trial encode bit for bit (`matches_trial`) and ladder.json's figures of it were
    /// copied, `measured` when the final encode was decoded back and scored as the trial
    /// points were. Absent, with the figures, in packages of older pertitle versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality_source: Option<QualitySource>,
    /// Mean per-frame luma PSNR of the final encode, dB (each frame capped at 60 dB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psnr_y: Option<f64>,
    /// Mean per-frame `(6Y + U + V) / 8` PSNR, dB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psnr_yuv: Option<f64>,
    /// Mean per-frame luma SSIM (0 to 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssim_y: Option<f64>,
    /// Mean per-frame VMAF, when the ladder measured VMAF.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vmaf: Option<f64>,
    /// Every metric the ladder measured, pooled four ways over the final encode's frames.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pooling: BTreeMap<String, Pooled>,
    /// Every metric the ladder measured, its mean over each segment of the final encode.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub segment_means: BTreeMap<String, Vec<f64>>,
}

impl PackageManifest {
    /// Read `DIR/package.json`.
    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(PACKAGE_JSON);
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        serde_json::from_slice(&bytes).map_err(|e| Error::Manifest { path, cause: e })
    }

    /// Fail unless this package holds the rungs of `manifest` (same codecs, sizes and CRFs,
    /// in order).
    pub fn check_matches(&self, manifest: &Manifest, dir: &Path) -> Result<()> {
        let rungs: Vec<(Codec, &Rung)> = manifest
            .ladders
            .iter()
            .flat_map(|l| l.rungs.iter().map(move |r| (l.codec, r)))
            .collect();
        let same = self.renditions.len() == rungs.len()
            && self.renditions.iter().zip(&rungs).all(|(p, (codec, r))| {
                p.codec == *codec
                    && (p.width, p.height) == (r.width, r.height)
                    && (p.crf - r.crf).abs() < 1e-9
            });
        if same {
            Ok(())
        } else {
            Err(Error::StalePackage {
                path: dir.to_path_buf(),
            })
        }
    }
}

/// The directory name of rung `index` (0-based, by increasing bitrate) of a ladder; `codec`
/// prefixes it in a package of several codecs' ladders.
pub fn rendition_name(codec: Option<Codec>, index: usize, resolution: Resolution) -> String {
    let prefix = codec.map_or(String::new(), |c| format!("{c}_"));
    format!("{prefix}rung{}_{}p", index + 1, resolution.height)
}

/// Encode and package the rungs of `manifest` into `out` (created; refused if it exists and
/// is not empty, unless `options.force`).
pub fn package(
    manifest: &Manifest,
    out: &Path,
    options: &PackageOptions,
    progress: &dyn Progress,
) -> Result<PackageManifest> {
    if !options.hls && !options.dash {
        return Err(Error::setting(
            Setting::Formats,
            "nothing to package: neither HLS nor DASH asked for",
        ));
    }
    if manifest.ladders.iter().all(|l| l.rungs.is_empty()) {
        return Err(Error::EmptyLadder { codec: None });
    }
    let plan = Plan::new(manifest, out, options)?;
    let staging = Staging::new(out, options.force)?;
    plan.create_directories(&staging)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs.max(1))
        .thread_name(|i| format!("pertitle-encoder-{i}"))
        .build()
        .map_err(|e| Error::Threads(e.to_string()))?;
    let encoded = plan.encode(&staging, &pool, progress)?;
    let timeline = Timeline::new(manifest, &plan.segmenter);
    let mut renditions = encoded
        .into_iter()
        .enumerate()
        .map(|(i, enc)| plan.rendition(i, enc, &staging, &timeline, options.hls))
        .collect::<Result<Vec<_>>>()?;
    bandwidth::distinct_bandwidths(&mut renditions);
    if options.score {
        score::score_again(
            &plan,
            &mut renditions,
            &timeline.frames_per_segment,
            &pool,
            progress,
        )?;
    }
    let result = plan.into_manifest(renditions, &timeline, options);
    write_top_files(&staging, &result, &timeline, options)?;
    staging.commit()?;
    Ok(result)
}

/// What a package holds and how each rendition is encoded, before anything is written.
struct Plan<'a> {
    manifest: &'a Manifest,
    source: PathBuf,
    segmenter: Segmenter,
    /// Each ladder's encoder settings.
    settings: Vec<EncoderSettings>,
    /// Every ladder's rungs, ladder by ladder: (ladder index, rung).
    rungs: Vec<(usize, &'a Rung)>,
    specs: Vec<RenditionSpec>,
    /// Whether each rendition's rate control is its trial encode's.
    trial_rate: Vec<bool>,
    /// Each rendition's directory in the package.
    names: Vec<String>,
    /// How the trial points were scored, and so the renditions.
    scoring: Scoring,
    /// Whether each rendition is scored as it is encoded (the others are expected to be
    /// their trial encodes, whose quality ladder.json holds).
    scored: Vec<bool>,
}

impl<'a> Plan<'a> {
    /// The renditions of `manifest`'s rungs as `options` asks, once the source is checked;
    /// `out` is the package directory.
    fn new(manifest: &'a Manifest, out: &Path, options: &PackageOptions) -> Result<Self> {
        let source = options
            .source
            .clone()
            .unwrap_or_else(|| manifest.source.path.clone());
        manifest.check_source(&source)?;
        let segmenter = manifest.segmenter();
        // Each ladder's encoder settings: its own preset unless another is asked for.
        let settings: Vec<EncoderSettings> = manifest
            .ladders
            .iter()
            .map(|l| {
                let preset = options.preset.as_ref().unwrap_or(&l.preset);
                EncoderSettings::for_segments(l.codec, preset, &segmenter)
            })
            .collect::<Result<_>>()?;
        let rungs: Vec<(usize, &Rung)> = manifest
            .ladders
            .iter()
            .enumerate()
            .flat_map(|(i, l)| l.rungs.iter().map(move |r| (i, r)))
            .collect();
        let rates = rungs
            .iter()
            .map(|&(l, r)| rate::of_rung(&manifest.ladders[l], r, options.capped_crf))
            .collect::<Result<Vec<_>>>()?;
        let specs: Vec<RenditionSpec> = rungs
            .iter()
            .zip(&rates)
            .map(|(&(l, r), &(rate, _))| {
                let shots = rate::of_shots(manifest, &manifest.ladders[l], r, rate)?;
                Ok(RenditionSpec {
                    resolution: Resolution::new(r.width, r.height),
                    rate: shots.as_ref().map_or(rate, |s| s.rates()[0]),
                    shots,
                })
            })
            .collect::<Result<_>>()?;
        let trial_rate: Vec<bool> = rates.iter().map(|&(_, same)| same).collect();
        let names = rendition_names(manifest, &rungs);
        let scoring = score::scoring(manifest, out)?;
        let segments = manifest.segments.count;
        let scored = rungs
            .iter()
            .zip(&trial_rate)
            .map(|(&(l, r), &same_rate)| {
                options.score
                    && (settings[l].preset != manifest.ladders[l].preset
                        || !same_rate
                        // A shot rung's 5th percentile is estimated in ladder.json (from
                        // its shots' percentiles): scored, it is over frames.
                        || r.is_shot_rung()
                        || !score::reuses_trial(r, segments))
            })
            .collect();
        Ok(Plan {
            manifest,
            source,
            segmenter,
            settings,
            rungs,
            specs,
            trial_rate,
            names,
            scoring,
            scored,
        })
    }

    /// The pass planner's memory per pixel of a rendition, at the hungriest codec's estimate.
    fn bytes_per_pixel(&self) -> u64 {
        self.manifest
            .ladders
            .iter()
            .map(|l| bytes_per_trial_pixel(l.codec))
            .max()
            .unwrap_or(0)
    }

    /// Create every rendition's directory in the staging directory.
    fn create_directories(&self, staging: &Staging) -> Result<()> {
        for name in &self.names {
            let dir = staging.path().join(name);
            std::fs::create_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        }
        Ok(())
    }

    /// Encode every rendition into its directory (scoring those [`Self::scored`] asks for),
    /// in passes memory allows, on `pool`.
    fn encode(
        &self,
        staging: &Staging,
        pool: &rayon::ThreadPool,
        progress: &dyn Progress,
    ) -> Result<Vec<Encoded>> {
        // Progress speaks of trial specs; a rendition is one.
        let progress_specs: Vec<TrialSpec> = self
            .specs
            .iter()
            .map(|s| TrialSpec {
                resolution: s.resolution,
                rate: s.rate,
            })
            .collect();
        // A scored rendition holds a VMAF scorer too.
        let vmaf_bytes = if self.scored.contains(&true) {
            score::vmaf_bytes(&self.scoring)
        } else {
            0
        };
        let passes = plan_passes(
            &progress_specs,
            self.bytes_per_pixel(),
            0,
            default_memory_budget(),
            vmaf_bytes,
        );
        let mut encoded: Vec<Encoded> = Vec::with_capacity(self.specs.len());
        for range in passes {
            let done = encoded.len();
            let pass =
                pool.install(|| self.encode_pass(range, &progress_specs, done, staging, progress))?;
            encoded.extend(pass);
            progress.pass_finished(encoded.len(), self.specs.len());
        }
        Ok(encoded)
    }

    /// One pass over the source, encoding the renditions in `range` (`done` already encoded).
    fn encode_pass(
        &self,
        range: Range<usize>,
        progress_specs: &[TrialSpec],
        done: usize,
        staging: &Staging,
        progress: &dyn Progress,
    ) -> Result<Vec<Encoded>> {
        let rate = self.manifest.source.frame_rate;
        let segment_seconds = self.manifest.settings.segment_seconds;
        let reader = FrameReader::open(&self.source, 0)?;
        let mut renditions: Vec<Rendition> = range
            .clone()
            .into_par_iter()
            .map(|i| {
                Rendition::open(
                    self.specs[i].clone(),
                    rate,
                    self.segmenter.clone(),
                    segment_seconds,
                    &self.settings[self.rungs[i].0],
                    &staging.path().join(&self.names[i]),
                    self.scored[i].then(|| self.scoring.clone()),
                )
            })
            .collect::<Result<_>>()?;
        // Reference frames at the display size, and VMAF's work on them, only when scored.
        let scoring = self.scored[range.clone()]
            .contains(&true)
            .then_some(&self.scoring);
        progress.pass_started(
            &progress_specs[range],
            done,
            self.specs.len(),
            self.manifest.source.frames,
        );
        let outcome = source_pass::run_with_displays(
            reader,
            &mut renditions,
            scoring.map(|s| s.display),
            scoring.map_or(&[], |s| s.devices.displays.as_slice()),
            source_pass::Frames::All(self.segmenter.clone()),
            scoring.and_then(|s| s.vmaf),
            &|| progress.frame(),
        )?;
        // The scored renditions' last frames come back in step, as a pass's trial points do.
        drain_in_step(&mut renditions)?;
        renditions
            .into_par_iter()
            .map(|r| r.finish(&outcome))
            .collect()
    }

    /// Rendition `i` as packaged, measured on its files (its playlist kept only with `hls`).
    fn rendition(
        &self,
        i: usize,
        enc: Encoded,
        staging: &Staging,
        timeline: &Timeline,
        hls: bool,
    ) -> Result<PackagedRendition> {
        let (ladder, rung) = (&self.manifest.ladders[self.rungs[i].0], self.rungs[i].1);
        let codec = ladder.codec;
        let preset = self.settings[self.rungs[i].0].preset.clone();
        let same_settings = preset == ladder.preset && self.trial_rate[i];
        let dir = staging.path().join(&self.names[i]);
        if enc.frames != self.manifest.source.frames {
            return Err(Error::MismatchedSource {
                path: self.source.clone(),
                problem: format!(
                    "{} frames; the ladder measured {}",
                    enc.frames, self.manifest.source.frames
                ),
            });
        }
        let init_bytes = file_size(&dir.join(INIT_SEGMENT))?;
        let segment_bytes = segment_bytes(&dir, timeline.durations.len())?;
        let sizes: Vec<SegmentSize> = segment_bytes
            .iter()
            .zip(&timeline.durations)
            .map(|(&bytes, &duration_s)| SegmentSize {
                bits: bytes * 8,
                duration_s,
            })
            .collect();
        let codecs = enc.codecs.clone().ok_or_else(|| {
            Error::Internal(format!(
                "{}: no {codec} stream headers to read the CODECS string from",
                dir.display()
            ))
        })?;
        let matches_trial = (same_settings && !rung.interpolated)
            .then(|| enc.segment_bits == rung.segment_sizes_bits);
        // Scored as it was encoded, or its trial's figures when it is the trial encode (else
        // scored again once every rendition is written: `score::score_again`).
        let quality = match &enc.series {
            Some(series) => Some((
                Quality::from_series(series, &timeline.frames_per_segment),
                QualitySource::Measured,
            )),
            None if matches_trial == Some(true)
                && score::reuses_trial(rung, timeline.durations.len()) =>
            {
                Some((Quality::of_rung(rung), QualitySource::Trial))
            }
            None => None,
        };
        if !hls {
            let playlist = dir.join(MEDIA_PLAYLIST);
            std::fs::remove_file(&playlist).map_err(|e| Error::io(&playlist, e))?;
        }
        let mut packaged = PackagedRendition {
            codec,
            encoder: codec.encoder().into(),
            preset,
            name: self.names[i].clone(),
            width: rung.width,
            height: rung.height,
            crf: rung.crf,
            interpolated: rung.interpolated,
            sampled: rung.sampled,
            codecs,
            maxrate_kbps: self.specs[i].rate.vbv().map(|v| v.0),
            bufsize_kbits: self.specs[i].rate.vbv().map(|v| v.1),
            frames: enc.frames,
            presentation_delay_frames: enc.presentation_delay_frames,
            init_bytes,
            segment_bytes,
            segment_video_bits: enc.segment_bits,
            hls_bandwidth: bandwidth::hls_peak(&sizes).ceil() as u64,
            hls_average_bandwidth: bandwidth::hls_average(&sizes).ceil() as u64,
            dash_bandwidth: bandwidth::dash_bandwidth(&sizes, timeline.min_buffer_s).ceil() as u64,
            matches_trial,
            quality_source: None,
            psnr_y: None,
            psnr_yuv: None,
            ssim_y: None,
            vmaf: None,
            pooling: BTreeMap::new(),
            segment_means: BTreeMap::new(),
        };
        if let Some((q, source)) = quality {
            packaged.set_quality(q, source);
        }
        Ok(packaged)
    }

    /// `package.json` for `renditions`.
    fn into_manifest(
        self,
        renditions: Vec<PackagedRendition>,
        timeline: &Timeline,
        options: &PackageOptions,
    ) -> PackageManifest {
        PackageManifest {
            generator: format!("pertitle {}", env!("CARGO_PKG_VERSION")),
            source: self.source,
            frame_rate: self.manifest.source.frame_rate,
            segment_seconds: self.manifest.settings.segment_seconds,
            segment_durations_s: timeline
                .durations
                .iter()
                .map(|&d| crate::measure::point::round(d, 6))
                .collect(),
            hls_master: options.hls.then(|| MASTER_PLAYLIST.to_string()),
            dash_mpd: options.dash.then(|| MPD.to_string()),
            dash_min_buffer_s: crate::measure::point::round(timeline.min_buffer_s, 6),
            renditions,
        }
    }
}

/// The directory names of `rungs` (ladder index, rung), numbered within each ladder.
fn rendition_names(manifest: &Manifest, rungs: &[(usize, &Rung)]) -> Vec<String> {
    let several = manifest.ladders.len() > 1;
    let mut names: Vec<String> = Vec::with_capacity(rungs.len());
    for (k, &(i, r)) in rungs.iter().enumerate() {
        let index = rungs[..k].iter().filter(|(j, _)| *j == i).count();
        let codec = several.then_some(manifest.ladders[i].codec);
        names.push(rendition_name(
            codec,
            index,
            Resolution::new(r.width, r.height),
        ));
    }
    names
}

/// The segments every rendition shares: frames, durations, and the DASH `@minBufferTime`.
struct Timeline {
    frames_per_segment: Vec<u64>,
    durations: Vec<f64>,
    min_buffer_s: f64,
}

impl Timeline {
    /// The segments of `manifest`'s source as `segmenter` cuts it.
    fn new(manifest: &Manifest, segmenter: &Segmenter) -> Self {
        let rate = manifest.source.frame_rate;
        let frames_per_segment = segmenter.frames_per_segment(manifest.source.frames);
        let durations: Vec<f64> = frames_per_segment
            .iter()
            .map(|&f| rate.duration_of(f))
            .collect();
        let min_buffer_s = DASH_MIN_BUFFER_SEGMENTS * durations.iter().copied().fold(0.0, f64::max);
        Timeline {
            frames_per_segment,
            durations,
            min_buffer_s,
        }
    }
}
