//! Scoring points for device classes: each class's quality is VMAF by its model at its
//! display ([`crate::viewers::device::Device`]), kept under its own key (`vmaf_phone`).
//!
//! Classes share work wherever the features are the same: a class judged like the main VMAF
//! (same model, same display) takes its scores as they are; a class whose model reads the
//! same features at the same display (v0.6.1's phone transform, the 4k model) adds one
//! regression per frame to the main scorer; only a class at another display size (or whose
//! model computes its features differently, v0.6.1neg) needs features of its own, computed
//! once per display and model family for all such classes.

use crate::error::{Error, Result, Setting};
use crate::measure::metrics::vmaf::native::NativeScorer;
use crate::measure::metrics::vmaf::{VmafEngine, VmafModel, VmafSettings};
use crate::source::resolution::Resolution;
use serde::{Deserialize, Serialize};

/// One device class's quality measure: VMAF by `model` at `display`, kept under `key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceScoring {
    /// The class's name.
    pub name: String,
    /// Where the manifest keeps its quality (`vmaf_<name>`).
    pub key: String,
    /// The VMAF model.
    pub model: VmafModel,
    /// The size the source and the encodes are resized to before scoring.
    pub display: Resolution,
}

/// A scorer of several device classes that share their features: at display `view` (0: the
/// pass's display, `i`: its other display `i - 1`), the `models` under their keys.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceGroup {
    /// Which display.
    pub view: usize,
    /// The keys and models, all computed from one set of features.
    pub models: Vec<(String, VmafModel)>,
}

/// How every point of a run scores the device classes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DevicePlan {
    /// Keys whose scores are the main VMAF's own.
    pub same_as_main: Vec<String>,
    /// Models computed from the main VMAF's features, with their keys.
    pub main_extra: Vec<(String, VmafModel)>,
    /// The displays other than the pass's at which the pass prepares references.
    pub displays: Vec<Resolution>,
    /// The scorers with features of their own.
    pub groups: Vec<DeviceGroup>,
}

impl DevicePlan {
    /// The plan for `devices` on a run scored at `display` with the main VMAF `vmaf`.
    pub fn new(
        devices: &[DeviceScoring],
        display: Resolution,
        vmaf: &VmafSettings,
    ) -> Result<Self> {
        let mut plan = DevicePlan::default();
        if devices.is_empty() {
            return Ok(plan);
        }
        if vmaf.engine != VmafEngine::Native {
            return Err(Error::setting(
                Setting::Devices,
                "device classes are scored by the native VMAF engine, which shares one set of \
                 features among models; leave out --vmaf-engine libvmaf"
                    .to_string(),
            ));
        }
        for d in devices {
            if d.display == display && d.model == vmaf.model {
                plan.same_as_main.push(d.key.clone());
                continue;
            }
            if d.display == display && NativeScorer::shares_features(d.model, vmaf.model)? {
                plan.main_extra.push((d.key.clone(), d.model));
                continue;
            }
            let view = if d.display == display {
                0
            } else {
                match plan.displays.iter().position(|&x| x == d.display) {
                    Some(i) => i + 1,
                    None => {
                        plan.displays.push(d.display);
                        plan.displays.len()
                    }
                }
            };
            let mut joined = false;
            for g in plan.groups.iter_mut().filter(|g| g.view == view) {
                if NativeScorer::shares_features(g.models[0].1, d.model)? {
                    g.models.push((d.key.clone(), d.model));
                    joined = true;
                    break;
                }
            }
            if !joined {
                plan.groups.push(DeviceGroup {
                    view,
                    models: vec![(d.key.clone(), d.model)],
                });
            }
        }
        Ok(plan)
    }

    /// The size of display `view` on a pass at `display`.
    pub fn view_size(&self, view: usize, display: Resolution) -> Resolution {
        if view == 0 {
            display
        } else {
            self.displays[view - 1]
        }
    }

    /// Whether no device class is scored.
    pub fn is_empty(&self) -> bool {
        self.same_as_main.is_empty() && self.main_extra.is_empty() && self.groups.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(name: &str, model: VmafModel, h: u32) -> DeviceScoring {
        DeviceScoring {
            name: name.into(),
            key: format!("vmaf_{name}"),
            model,
            display: Resolution::new(h * 16 / 9, h),
        }
    }

    #[test]
    fn classes_share_features_where_they_can() {
        let hd = Resolution::new(1920, 1080);
        let plan = DevicePlan::new(
            &[
                device("phone", VmafModel::Phone, 1080),
                device("laptop", VmafModel::V061, 1080),
                device("tv-4k", VmafModel::FourK, 2160),
                device("small", VmafModel::V061, 720),
                device("small-phone", VmafModel::Phone, 720),
                device("neg", VmafModel::V061Neg, 1080),
            ],
            hd,
            &VmafSettings::of(VmafModel::V061),
        )
        .unwrap();
        assert_eq!(plan.same_as_main, vec!["vmaf_laptop"]);
        assert_eq!(
            plan.main_extra,
            vec![("vmaf_phone".to_string(), VmafModel::Phone)]
        );
        assert_eq!(
            plan.displays,
            vec![Resolution::new(3840, 2160), Resolution::new(1280, 720)]
        );
        assert_eq!(plan.groups.len(), 3);
        assert_eq!(plan.groups[0].view, 1);
        assert_eq!(plan.groups[1].view, 2);
        assert_eq!(
            plan.groups[1].models.len(),
            2,
            "720p v0.6.1 and phone share"
        );
        assert_eq!(plan.groups[2].view, 0, "neg computes its own features");
        let libvmaf = VmafSettings {
            engine: VmafEngine::Libvmaf,
            ..VmafSettings::of(VmafModel::V061)
        };
        assert!(DevicePlan::new(&[device("tv", VmafModel::V061, 1080)], hd, &libvmaf).is_err());
        assert!(DevicePlan::new(&[], hd, &libvmaf).unwrap().is_empty());
    }
}
