//! The device classes a run scores ([`OptimizeOptions::devices`]) and the display size the
//! run scores at.

use super::options::OptimizeOptions;
use crate::error::{Error, Result, Setting};
use crate::measure::devices::DeviceScoring;
use crate::measure::metrics::vmaf::VmafModel;
use crate::source::resolution::Resolution;
use crate::viewers::device::Device;

impl OptimizeOptions {
    /// The size a run on a source of `source`'s size scores at: `display` when given; else,
    /// with device classes, the display most of them are judged at (the larger of equals),
    /// so that they share the main VMAF's features; else the source's size.
    pub fn scored_display(&self, source: Resolution) -> Resolution {
        if let Some(d) = self.display {
            return d;
        }
        let mut counts: Vec<(Resolution, usize)> = Vec::new();
        for d in self.devices.iter().filter_map(|d| d.display) {
            match counts.iter_mut().find(|(r, _)| *r == d) {
                Some((_, n)) => *n += 1,
                None => counts.push((d, 1)),
            }
        }
        counts
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(a.0.pixels().cmp(&b.0.pixels())))
            .map_or(source, |(r, _)| r)
    }

    /// How each device class of the run is scored on a source of `source`'s size: its VMAF
    /// model at its display (a class without one: the run's display). Fails on a class
    /// given twice, and on a class judged by the 4k model at a display taller than the
    /// source (the 4k model is for sources that have the resolution).
    pub fn device_scoring(&self, source: Resolution) -> Result<Vec<DeviceScoring>> {
        let display = self.scored_display(source);
        let mut scoring: Vec<DeviceScoring> = Vec::with_capacity(self.devices.len());
        for d in &self.devices {
            check(d, &scoring, source)?;
            scoring.push(DeviceScoring {
                name: d.name.clone(),
                key: d.quality_key(),
                model: d.vmaf_model,
                display: d.display_or(display),
            });
        }
        Ok(scoring)
    }
}

fn check(d: &Device, earlier: &[DeviceScoring], source: Resolution) -> Result<()> {
    let refuse = |problem: String| Err(Error::setting(Setting::Devices, problem));
    if let Some(problem) = crate::viewers::device::name_problem(&d.name) {
        return refuse(problem);
    }
    if earlier.iter().any(|e| e.name == d.name) {
        return refuse(format!("`{}` is given twice", d.name));
    }
    if let Some(display) = d.display
        && d.vmaf_model == VmafModel::FourK
        && display.width.min(display.height) > source.width.min(source.height)
    {
        return refuse(format!(
            "`{}` is judged by the 4k model at {display}, which needs a source of that \
             height; this one is {source} (leave it out, or judge 4K screens with `tv`)",
            d.name
        ));
    }
    Ok(())
}
