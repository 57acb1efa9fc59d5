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

pub use libvmaf::{VmafScorer, libvmaf_version};

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
