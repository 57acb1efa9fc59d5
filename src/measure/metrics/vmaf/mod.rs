//! VMAF (Video Multi-method Assessment Fusion, Netflix): per-frame features of a distorted
//! frame against its reference (VIF at four scales, ADM, motion) fused by a trained
//! support-vector regression into a score from 0 to 100.
//!
//! Two engines compute it: libvmaf ([`libvmaf`], the reference implementation, linked
//! statically) and pertitle's own ([`native`]), which shares the reference frame's work among
//! every point of a pass.

pub mod libvmaf;
pub mod native;
#[cfg(test)]
pub(crate) mod test_pairs;

pub use libvmaf::libvmaf_version;

use crate::error::{Error, Result};
use crate::measure::metrics::Plane;
use ffmpeg_next::frame;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The VMAF models pertitle offers (all built into the binary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum VmafModel {
    /// `vmaf_v0.6.1`: the default model, trained for a 1080p display viewed at 3x its height.
    #[default]
    #[serde(rename = "v0.6.1")]
    V061,
    /// `vmaf_v0.6.1neg`: the "no enhancement gain" variant, which does not reward sharpening.
    #[serde(rename = "v0.6.1neg")]
    V061Neg,
    /// `vmaf_v0.6.1` with its phone score transform (small screens hide more artefacts).
    #[serde(rename = "phone")]
    Phone,
    /// `vmaf_4k_v0.6.1`: for 4K displays viewed at 1.5x their height.
    #[serde(rename = "4k")]
    FourK,
}

impl VmafModel {
    /// libvmaf's name of the built-in model.
    pub fn version(self) -> &'static str {
        match self {
            VmafModel::V061 | VmafModel::Phone => "vmaf_v0.6.1",
            VmafModel::V061Neg => "vmaf_v0.6.1neg",
            VmafModel::FourK => "vmaf_4k_v0.6.1",
        }
    }
}

impl fmt::Display for VmafModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VmafModel::V061 => "v0.6.1",
            VmafModel::V061Neg => "v0.6.1neg",
            VmafModel::Phone => "phone",
            VmafModel::FourK => "4k",
        })
    }
}

impl FromStr for VmafModel {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "v0.6.1" | "vmaf_v0.6.1" => Ok(VmafModel::V061),
            "v0.6.1neg" | "vmaf_v0.6.1neg" => Ok(VmafModel::V061Neg),
            "phone" => Ok(VmafModel::Phone),
            "4k" | "vmaf_4k_v0.6.1" => Ok(VmafModel::FourK),
            other => Err(format!(
                "unknown VMAF model {other:?} (v0.6.1, v0.6.1neg, phone or 4k)"
            )),
        }
    }
}

/// Which implementation computes VMAF. Both give the same features and scores (the native
/// engine's tests hold it to libvmaf's); they differ in cost and in where the reference
/// frame's work is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VmafEngine {
    /// pertitle's own implementation, sharing the reference frame's work among the points
    /// of a pass.
    #[default]
    Native,
    /// libvmaf 3.2.0 (linked statically), one context per point.
    Libvmaf,
}

impl VmafEngine {
    /// The engine and its version, as the cache records it: results of another version are
    /// not reused.
    pub fn version(self) -> String {
        match self {
            VmafEngine::Native => format!("native {NATIVE_VERSION}"),
            VmafEngine::Libvmaf => format!("libvmaf {}", libvmaf_version()),
        }
    }
}

/// The native engine's version: bumped whenever its arithmetic changes.
pub const NATIVE_VERSION: u32 = 1;

impl fmt::Display for VmafEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VmafEngine::Native => "native",
            VmafEngine::Libvmaf => "libvmaf",
        })
    }
}

impl FromStr for VmafEngine {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "native" => Ok(VmafEngine::Native),
            "libvmaf" => Ok(VmafEngine::Libvmaf),
            other => Err(format!("unknown VMAF engine {other:?} (native or libvmaf)")),
        }
    }
}

/// How VMAF is measured: the model, the engine, and which frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmafSettings {
    /// The model.
    pub model: VmafModel,
    /// The implementation.
    pub engine: VmafEngine,
    /// VMAF is computed on frames `0, n, 2n, ...` of a pass (the other metrics on every
    /// frame); each such frame's motion still compares it with its true neighbours in the
    /// source, so its score is the one it gets with `n = 1`.
    pub subsample: u32,
}

impl Default for VmafSettings {
    fn default() -> Self {
        VmafSettings::of(VmafModel::default())
    }
}

impl VmafSettings {
    /// `model` with the default engine, on every frame.
    pub fn of(model: VmafModel) -> Self {
        VmafSettings {
            model,
            engine: VmafEngine::default(),
            subsample: 1,
        }
    }

    /// Whether the frame at `position` of a pass is scored.
    pub fn scores(&self, position: u64) -> bool {
        position.is_multiple_of(u64::from(self.subsample.max(1)))
    }
}

/// One point's VMAF scorer, of either engine.
pub enum VmafScorer {
    /// libvmaf.
    Libvmaf(libvmaf::LibvmafScorer),
    /// The native engine (its reference work is done by the pass).
    Native(Box<native::NativeScorer>),
}

impl VmafScorer {
    /// A scorer of frames of `width` x `height` with `settings`; `threads`: libvmaf's
    /// feature-extraction threads (0 = in the calling thread).
    pub fn new(settings: &VmafSettings, width: u32, height: u32, threads: u32) -> Result<Self> {
        Self::with_models(settings, &[], width, height, threads)
    }

    /// A scorer of `settings.model` and also of `extra` models computed from the same
    /// features (the native engine only: see [`native::NativeScorer::with_models`]).
    pub fn with_models(
        settings: &VmafSettings,
        extra: &[VmafModel],
        width: u32,
        height: u32,
        threads: u32,
    ) -> Result<Self> {
        if !extra.is_empty() && settings.engine != VmafEngine::Native {
            return Err(Error::Internal(
                "extra VMAF models need the native engine".into(),
            ));
        }
        let models: Vec<VmafModel> = std::iter::once(settings.model)
            .chain(extra.iter().copied())
            .collect();
        Ok(match settings.engine {
            VmafEngine::Libvmaf => VmafScorer::Libvmaf(libvmaf::LibvmafScorer::new(
                settings.model,
                threads,
                settings.subsample,
            )?),
            VmafEngine::Native => VmafScorer::Native(Box::new(native::NativeScorer::with_models(
                &models,
                width as usize,
                height as usize,
            )?)),
        })
    }

    /// Score the fed frame at `position` of the pass: `reference` is the source frame at the
    /// display size, `shared` its prepared native reference (needed by the native engine on
    /// scored frames), `scored` whether this frame is scored.
    pub fn push(
        &mut self,
        position: usize,
        scored: bool,
        reference: &frame::Video,
        shared: Option<&native::FrameReference>,
        distorted: &frame::Video,
    ) -> Result<()> {
        match self {
            // libvmaf subsamples by itself, and computes motion from every frame.
            VmafScorer::Libvmaf(s) => s.push(reference, distorted),
            VmafScorer::Native(s) => {
                if scored {
                    let shared = shared.ok_or_else(|| {
                        Error::Internal(format!("no VMAF reference for frame {position}"))
                    })?;
                    s.push(position, shared, Plane::of_frame(distorted, 0));
                }
                Ok(())
            }
        }
    }

    /// The score of every scored frame, in order; `motion2` gives every fed frame's motion2
    /// (the native engine's; libvmaf computes its own).
    pub fn finish(self, motion2: &[f64]) -> Result<Vec<f64>> {
        match self {
            VmafScorer::Libvmaf(s) => s.finish(),
            VmafScorer::Native(s) => s.finish(motion2),
        }
    }

    /// Every model's scores (the main model's first, then the extra ones), as
    /// [`Self::finish`].
    pub fn finish_all(self, motion2: &[f64]) -> Result<Vec<Vec<f64>>> {
        match self {
            VmafScorer::Libvmaf(s) => Ok(vec![s.finish()?]),
            VmafScorer::Native(s) => s.finish_all(motion2),
        }
    }
}
