//! The quality of the final encodes, measured as the ladder's trial points were: every
//! metric the ladder measured, at its display size, with its VMAF model, engine and subsample,
//! pooled four ways and per segment.
//!
//! A rendition is scored while it is encoded, in the same pass over the source
//! ([`super::rendition::Rendition`] decodes its packets back as it writes them), unless it is
//! a measured rung encoded with its trial settings: that encode is the trial encode, bit for
//! bit, so its quality is the trial point's, copied from ladder.json. Should its bits differ
//! from the trial's after all (another libavcodec or encoder build than the ladder's), it is
//! encoded again as a trial point in one more pass and scored; encodes are deterministic, so
//! that encode is the packaged one (its segment sizes are checked).

use super::rendition::Scoring;
use super::{PackagedRendition, Plan};
use crate::error::{Error, Result};
use crate::manifest::Manifest;
use crate::measure::devices::DevicePlan;
use crate::measure::metrics::vmaf::{VmafEngine, VmafSettings};
use crate::measure::point::{Metric, Quality, Rung};
use crate::measure::scorer::drain_in_step;
use crate::measure::source_pass::{self, Frames};
use crate::measure::trial::{Trial, TrialSpec};
use crate::measure::{
    NATIVE_VMAF_BYTES_PER_PIXEL, VMAF_BYTES_PER_SOURCE_PIXEL, default_memory_budget, plan_passes,
};
use crate::source::FrameReader;
use crate::source::scale::Kernel;
use crate::util::progress::Progress;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Where a rendition's quality figures come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QualitySource {
    /// The final encode is the trial encode, bit for bit: ladder.json's figures of the
    /// trial point, copied.
    Trial,
    /// The final encode was decoded back and scored against the source.
    Measured,
}

/// How `manifest`'s trial points were scored, so the final encodes are scored alike; an
/// error when its scaling filters are not the ones pertitle scores with.
pub(super) fn scoring(manifest: &Manifest, path: &std::path::Path) -> Result<Scoring> {
    let s = &manifest.settings;
    for (name, kernel) in [
        (&s.downscale, Kernel::Lanczos),
        (&s.upscale, Kernel::Bicubic),
    ] {
        if name != kernel.name() {
            return Err(Error::UnrepeatableScoring {
                path: path.to_path_buf(),
                problem: format!(
                    "the ladder records {name} scaling where pertitle scales with {}",
                    kernel.name()
                ),
            });
        }
    }
    let vmaf = s.vmaf_model.map(|model| VmafSettings {
        model,
        engine: s.vmaf_engine.unwrap_or_default(),
        subsample: s.vmaf_subsample.unwrap_or(1).max(1),
    });
    let devices = match vmaf {
        Some(v) => DevicePlan::new(&s.devices, s.display, &v)?,
        None => DevicePlan::default(),
    };
    Ok(Scoring {
        display: s.display,
        vmaf,
        devices: std::sync::Arc::new(devices),
    })
}

/// Extra memory of a scored rendition beyond its encoder's, bytes: its VMAF scorer's, which
/// works at the display size (as [`crate::measure::measure`] plans it for a trial point).
pub(super) fn vmaf_bytes(scoring: &Scoring) -> u64 {
    let main = scoring.display.pixels()
        * match scoring.vmaf.map(|v| v.engine) {
            Some(VmafEngine::Libvmaf) => VMAF_BYTES_PER_SOURCE_PIXEL,
            Some(VmafEngine::Native) => NATIVE_VMAF_BYTES_PER_PIXEL,
            None => 0,
        };
    // Device classes at other displays hold those displays' features (the native engine).
    let devices: u64 = scoring
        .devices
        .displays
        .iter()
        .map(|d| d.pixels() * NATIVE_VMAF_BYTES_PER_PIXEL)
        .sum();
    main + devices
}

/// Whether `rung`, encoded with its trial settings, takes its quality from ladder.json: a
/// measured rung of the whole title whose figures are all there (`segments` per metric).
pub(super) fn reuses_trial(rung: &Rung, segments: usize) -> bool {
    !rung.interpolated
        && !rung.sampled
        && !rung.proxy_estimate
        && rung.segment_sizes_bits.len() == segments
        && !rung.pooling.is_empty()
        && rung.pooling.keys().all(|k| {
            rung.segment_means
                .get(k)
                .is_some_and(|v| v.len() == segments)
        })
}

impl PackagedRendition {
    /// The final encode's mean quality over each segment on `metric`, a key of
    /// `segment_means` (`vmaf`, `psnr_y`, `psnr_yuv`, `psnr_u`, `psnr_v`, `ssim_y`): what a
    /// playback simulator plays. `None` when it was not measured (a metric the ladder did not
    /// measure, or a package of an older pertitle version).
    pub fn quality(&self, metric: &str) -> Option<&[f64]> {
        self.segment_means.get(metric).map(Vec::as_slice)
    }

    /// The final encode's mean quality on the hull's axis `metric`; `None` when it was not
    /// measured.
    pub fn mean_quality(&self, metric: Metric) -> Option<f64> {
        match metric {
            Metric::Psnr => self.psnr_y,
            Metric::Ssim => self.ssim_y,
            Metric::Vmaf => self.vmaf,
        }
        .filter(|q| q.is_finite())
    }

    /// Record `quality` as this rendition's, from `source`.
    pub(super) fn set_quality(&mut self, quality: Quality, source: QualitySource) {
        self.quality_source = Some(source);
        self.psnr_y = Some(quality.psnr_y);
        self.psnr_yuv = Some(quality.psnr_yuv);
        self.ssim_y = Some(quality.ssim_y);
        self.vmaf = quality.vmaf;
        self.pooling = quality.pooling;
        self.segment_means = quality.segment_means;
    }
}

/// Score the renditions left without a quality (those expected to be their trial encodes
/// whose bits turned out different): encode them again as trial points, in passes memory
/// allows, and check each encode is the packaged one.
pub(super) fn score_again(
    plan: &Plan<'_>,
    renditions: &mut [PackagedRendition],
    frames_per_segment: &[u64],
    pool: &rayon::ThreadPool,
    progress: &dyn Progress,
) -> Result<()> {
    let left: Vec<usize> = (0..renditions.len())
        .filter(|&i| renditions[i].quality_source.is_none())
        .collect();
    if left.is_empty() {
        return Ok(());
    }
    let specs: Vec<TrialSpec> = left
        .iter()
        .map(|&i| TrialSpec {
            resolution: plan.specs[i].resolution,
            rate: plan.specs[i].rate,
        })
        .collect();
    let passes = plan_passes(
        &specs,
        plan.bytes_per_pixel(),
        0,
        default_memory_budget(),
        vmaf_bytes(&plan.scoring),
    );
    let mut done = 0;
    for range in passes {
        let chunk = &left[range.clone()];
        progress.pass_started(
            &specs[range.clone()],
            done,
            specs.len(),
            plan.manifest.source.frames,
        );
        let results = pool.install(|| -> Result<Vec<_>> {
            let mut trials: Vec<Trial> = chunk
                .par_iter()
                .zip(&specs[range])
                .map(|(&i, &spec)| {
                    Trial::open(
                        spec,
                        plan.scoring.display,
                        plan.manifest.source.frame_rate,
                        plan.segmenter.clone(),
                        &plan.settings[plan.rungs[i].0],
                        plan.scoring.vmaf,
                        &plan.scoring.devices,
                        plan.specs[i].shots.as_ref(),
                    )
                })
                .collect::<Result<_>>()?;
            let outcome = source_pass::run_with_displays(
                FrameReader::open(&plan.source, 0)?,
                &mut trials,
                Some(plan.scoring.display),
                &plan.scoring.devices.displays,
                Frames::All(plan.segmenter.clone()),
                plan.scoring.vmaf,
                &|| progress.frame(),
            )?;
            drain_in_step(&mut trials)?;
            trials.into_par_iter().map(|t| t.finish(&outcome)).collect()
        })?;
        for (&i, result) in chunk.iter().zip(results) {
            let r = &mut renditions[i];
            if result.segment_bits != r.segment_video_bits {
                return Err(Error::Internal(format!(
                    "{}: encoded again to be scored, it gave other segment sizes than the packaged encode",
                    r.name
                )));
            }
            r.set_quality(
                Quality::from_series(&result.series, frames_per_segment),
                QualitySource::Measured,
            );
        }
        done += chunk.len();
        progress.pass_finished(done, specs.len());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::metrics::FrameSeries;
    use crate::package::PackageManifest;

    /// A package.json written before the renditions' quality was measured.
    const OLD: &str = r#"{"generator": "pertitle 0.1.0", "source": "s.mp4", "frame_rate": "25/1",
        "segment_seconds": 2.0, "segment_durations_s": [2.0, 2.0, 2.0],
        "hls_master": "master.m3u8", "dash_mpd": "manifest.mpd", "dash_min_buffer_s": 2.0,
        "renditions": [{"codec": "x264", "encoder": "libx264", "preset": "veryfast",
        "name": "rung1_270p", "width": 480, "height": 270, "crf": 38.0, "interpolated": false,
        "codecs": "avc1.640015", "frames": 150, "presentation_delay_frames": 2,
        "init_bytes": 810, "segment_bytes": [19502, 20882, 12422],
        "segment_video_bits": [151304, 160776, 94672], "hls_bandwidth": 83528,
        "hls_average_bandwidth": 70408, "dash_bandwidth": 83528, "matches_trial": true}]}"#;

    #[test]
    fn old_packages_read_without_quality_and_new_ones_round_trip() {
        let old: PackageManifest = serde_json::from_str(OLD).unwrap();
        let r = &old.renditions[0];
        assert_eq!(r.quality_source, None);
        assert_eq!(r.quality("psnr_y"), None);
        assert_eq!(r.mean_quality(Metric::Psnr), None);
        // Written back, it gains no quality fields.
        let text = serde_json::to_string(&old).unwrap();
        assert!(!text.contains("quality_source") && !text.contains("segment_means"));

        let mut new = old.clone();
        let means: std::collections::BTreeMap<String, Vec<f64>> =
            [("psnr_y".to_string(), vec![31.25, 32.5, 30.0])].into();
        new.renditions[0].set_quality(
            Quality {
                psnr_y: 31.25,
                psnr_yuv: 33.0,
                ssim_y: 0.95,
                vmaf: None,
                pooling: Default::default(),
                segment_means: means,
            },
            QualitySource::Measured,
        );
        let text = serde_json::to_string(&new).unwrap();
        assert!(text.contains(r#""quality_source":"measured""#), "{text}");
        let back: PackageManifest = serde_json::from_str(&text).unwrap();
        assert_eq!(back, new);
        let r = &back.renditions[0];
        assert_eq!(r.quality("psnr_y"), Some(&[31.25, 32.5, 30.0][..]));
        assert_eq!(r.quality("vmaf"), None);
        assert_eq!(r.mean_quality(Metric::Psnr), Some(31.25));
        assert_eq!(r.mean_quality(Metric::Vmaf), None);
    }

    #[test]
    fn only_a_whole_measured_rung_lends_its_figures() {
        let frames = FrameSeries {
            psnr_y: vec![30.0, 32.0, 34.0, 36.0],
            psnr_u: vec![40.0; 4],
            psnr_v: vec![40.0; 4],
            psnr_yuv: vec![32.5; 4],
            ssim_y: vec![0.9; 4],
            ..FrameSeries::default()
        };
        let q = Quality::from_series(&frames, &[2, 2]);
        assert_eq!(q.psnr_y, 33.0);
        assert_eq!(q.segment_means["psnr_y"], [31.0, 35.0]);
        let point = crate::measure::point::Point {
            width: 480,
            height: 270,
            crf: 30.0,
            bitrate_kbps: 100.0,
            psnr_y: q.psnr_y,
            psnr_yuv: q.psnr_yuv,
            ssim_y: q.ssim_y,
            vmaf: None,
            pooling: q.pooling.clone(),
            segment_sizes_bits: vec![1000, 2000],
            segment_means: q.segment_means.clone(),
            shots: None,
            on_hull: true,
            codecs: String::new(),
        };
        let rung = Rung::from_point(&point, &[2.0, 2.0]);
        assert!(reuses_trial(&rung, 2));
        assert_eq!(Quality::of_rung(&rung), q);
        assert!(!reuses_trial(&rung, 3));
        let mut sampled = rung.clone();
        sampled.mark_sampled();
        assert!(!reuses_trial(&sampled, 2));
        let mut no_means = rung.clone();
        no_means.segment_means.remove("ssim_y");
        assert!(!reuses_trial(&no_means, 2));
        let interpolated = Rung::interpolated(&point, &point, 0.5, 100.0, 30.0, &[2.0, 2.0]);
        assert!(!reuses_trial(&interpolated, 2));
    }
}
