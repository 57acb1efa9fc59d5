//! pertitle's own VMAF: libvmaf's integer feature extractors (VIF, ADM, motion) and the
//! models' support-vector regression, computed so that the reference frame's share of the
//! work is done once per source frame and shared by every point of a pass.

pub mod adm;
pub mod model;
pub mod motion;
pub mod vif;
