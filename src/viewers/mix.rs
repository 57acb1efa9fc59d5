//! A viewer mix: who a ladder is chosen for. Each entry is a class of device (what it can
//! play, and the quality scale its viewers judge by), the share of viewers watching on it,
//! and how much bandwidth those viewers have. `pertitle ladder --viewers mix.json` (and
//! `optimize --viewers`) choose the rungs that maximize the expected quality over the mix.
//!
//! # The file
//!
//! ```json
//! {
//!   "window_s": 30,
//!   "devices": [
//!     {"device": "phone", "share": 0.5, "traces": "traces/3g_norway_hsdpa"},
//!     {"device": "tv", "share": 0.3, "traces": ["traces/fcc_hd/1.json", "traces/fcc_hd/7.json"]},
//!     {"device": "laptop", "share": 0.15, "log_normal": {"median_kbps": 5000, "sigma": 0.8}},
//!     {"device": "devices/old-phone.json", "share": 0.05, "log_uniform": [200, 3000]}
//!   ]
//! }
//! ```
//!
//! - `devices`: at least one entry; each device at most once (by its class name).
//! - `device`: a built-in class (`phone`, `laptop`, `tv`, `tv-4k`, `any`: see
//!   [`super::device`]) or a device class file. A relative path is read from the mix file's
//!   directory.
//! - `share`: the share of viewers on the device, a positive number. Left out, the class's
//!   own default share ([`Device::share`]: phone 0.35, laptop 0.15, tv 0.45, tv-4k 0.05; `any`
//!   has none and needs one). **Shares that do not sum to 1 are normalised** (each divided by
//!   their sum) **and a warning says so**: a mix of defaults for some classes only (phone and
//!   tv: 0.8) is normal, and the proportions are what matter. The manifest keeps both the
//!   share given and the normalised one.
//! - The viewers' bandwidth, exactly one of (see [`super::bandwidth`] for the definitions):
//!   - `traces`: a trace file, a directory of traces or a synthetic profile
//!     (`constant:5000`), or a list of them, pooled: their sustainable throughput over
//!     windows of `window_s` seconds. Relative paths are read from the mix file's directory.
//!   - `log_normal`: `{"median_kbps": M, "sigma": S}`, `ln(bandwidth)` normal around `ln(M)`.
//!   - `log_uniform`: `[lo, hi]` kbit/s (one device of `any` with `log_uniform: [lo, hi]` and
//!     `"quality": "vmaf"` is `--viewer-kbps lo,hi` on a VMAF ladder).
//!   - `quantiles_kbps`: the 101 quantiles (0, 1, ..., 100 %) of the bandwidth.
//! - `quality` (optional): the point metric the device's viewers judge by; by default the
//!   class's own, `vmaf_<name>` (`pertitle optimize --devices NAME` measures it). Any key
//!   of the points' `pooling` is accepted (`vmaf`, `psnr_y`, ...).
//! - `window_s` (optional, top level): the throughput window of every trace set, seconds
//!   (default [`DEFAULT_WINDOW_S`]).
//!
//! Anything else in the file is an error, as is an unknown device, an invalid device file,
//! a share that is not a positive number, a device without a share or default, a device
//! given twice, a trace that cannot be read, and a mix without devices: each one line
//! naming the mix file and the cause.

use super::bandwidth::{Bandwidth, DEFAULT_WINDOW_S};
use super::device::{BUILTIN, Device};
use crate::encode::codec::Codec;
use crate::error::{Error, Result};
use crate::simulate::network::resolve_traces;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A resolved viewer mix: every device with its caps, its quality key, its share and its
/// bandwidth as quantiles. This is what a manifest stores, so a ladder can be chosen for it
/// again without the mix file's traces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewerMix {
    /// The mix file it was read from.
    pub file: PathBuf,
    /// The devices, in the file's order.
    pub devices: Vec<MixDevice>,
}

/// One device of a mix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MixDevice {
    /// The class's name.
    pub name: String,
    /// The `device` the file gave: a built-in class's name or a device file's path.
    pub from: String,
    /// The widest frame it shows, pixels, either orientation (0: no limit).
    pub max_width: u32,
    /// The tallest frame it shows, pixels (0: no limit).
    pub max_height: u32,
    /// The highest bitrate it plays, kbit/s (none: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_kbps: Option<f64>,
    /// Its decoders (`h264`, `hevc`, `vp9`, `av1`); empty: every codec.
    #[serde(default)]
    pub codecs: Vec<String>,
    /// The points' `pooling` key of the quality its viewers judge by.
    pub quality_key: String,
    /// Its share of the viewers, normalised: the shares of a mix sum to 1.
    pub share: f64,
    /// The share the file gave (or the class's default), before normalising.
    pub share_given: f64,
    /// Its viewers' bandwidth.
    pub bandwidth: Bandwidth,
}

impl MixDevice {
    /// The device class, for its caps and decoders.
    pub fn device(&self) -> Device {
        Device {
            name: self.name.clone(),
            max_width: self.max_width,
            max_height: self.max_height,
            max_kbps: self.max_kbps,
            codecs: self.codecs.clone(),
            display: None,
            vmaf_model: Default::default(),
            share: None,
        }
    }

    /// Whether it plays a rung of this size and bitrate (codec aside).
    pub fn plays(&self, width: u32, height: u32, kbps: f64) -> bool {
        let d = self.device();
        d.fits(width, height) && self.max_kbps.is_none_or(|m| kbps <= m)
    }

    /// Why its quality cannot be read from a ladder's points, with what would measure it.
    pub fn unmeasured(&self) -> String {
        if self.quality_key == self.device().quality_key() {
            format!(
                "device `{}`: the ladder's points have no `{}` scores; run `pertitle optimize ... --devices {}` to measure them",
                self.name, self.quality_key, self.name
            )
        } else {
            format!(
                "device `{}`: the ladder's points have no `{}` scores (its \"quality\")",
                self.name, self.quality_key
            )
        }
    }

    /// Its caps in words (`at most 1280x720 and 8000 kbps`).
    pub fn caps(&self) -> String {
        let size = match (self.max_width, self.max_height) {
            (0, 0) => None,
            (w, 0) => Some(format!("{w} pixels wide")),
            (0, h) => Some(format!("{h} pixels tall")),
            (w, h) => Some(format!("{w}x{h}")),
        };
        let kbps = self.max_kbps.map(|k| format!("{k} kbps"));
        match (size, kbps) {
            (None, None) => "no limits".into(),
            (Some(s), None) | (None, Some(s)) => format!("at most {s}"),
            (Some(s), Some(k)) => format!("at most {s} and {k}"),
        }
    }
}

/// An entry of the file, as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    device: String,
    #[serde(default)]
    share: Option<f64>,
    #[serde(default)]
    quality: Option<String>,
    #[serde(default)]
    traces: Option<OneOrMany>,
    #[serde(default)]
    log_normal: Option<LogNormal>,
    #[serde(default)]
    log_uniform: Option<[f64; 2]>,
    #[serde(default)]
    quantiles_kbps: Option<Vec<f64>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogNormal {
    median_kbps: f64,
    sigma: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    window_s: Option<f64>,
    devices: Vec<Entry>,
}

impl ViewerMix {
    /// Read and resolve a mix file: devices, shares (normalised), traces into quantiles.
    pub fn load(path: &Path) -> Result<ViewerMix> {
        let bad = |problem: String| Error::InvalidMix {
            path: path.to_path_buf(),
            problem,
        };
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let file: File = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let window_s = file.window_s.unwrap_or(DEFAULT_WINDOW_S);
        if !(window_s.is_finite() && window_s > 0.0) {
            return Err(bad(format!(
                "window_s must be a positive number of seconds, not {window_s}"
            )));
        }
        if file.devices.is_empty() {
            return Err(bad("no devices: give at least one".into()));
        }
        let dir = path.parent().unwrap_or(Path::new(""));
        let mut devices: Vec<MixDevice> = Vec::with_capacity(file.devices.len());
        for (i, entry) in file.devices.into_iter().enumerate() {
            let d = resolve_entry(dir, entry, window_s)
                .map_err(|problem| bad(format!("device {}: {problem}", i + 1)))?;
            if let Some(j) = devices.iter().position(|o| o.name == d.name) {
                return Err(bad(format!(
                    "device `{}` is given twice (devices {} and {})",
                    d.name,
                    j + 1,
                    i + 1
                )));
            }
            devices.push(d);
        }
        let mix = ViewerMix {
            file: path.to_path_buf(),
            devices,
        };
        Ok(mix.normalised())
    }

    /// The same mix with the shares divided by their sum.
    fn normalised(mut self) -> ViewerMix {
        let sum: f64 = self.devices.iter().map(|d| d.share).sum();
        for d in &mut self.devices {
            d.share /= sum;
        }
        self
    }

    /// The sum of the shares as given.
    pub fn shares_given(&self) -> f64 {
        self.devices.iter().map(|d| d.share_given).sum()
    }

    /// What the user should know about how the mix was read: shares that were normalised.
    pub fn warnings(&self) -> Vec<String> {
        let sum = self.shares_given();
        if (sum - 1.0).abs() <= 1e-6 {
            return Vec::new();
        }
        let shares: Vec<String> = self
            .devices
            .iter()
            .map(|d| format!("{} {:.4}", d.name, d.share))
            .collect();
        vec![format!(
            "{}: the shares sum to {}, not 1: normalised to {}",
            self.file.display(),
            sum,
            shares.join(", ")
        )]
    }

    /// The mix as a ladder of `codec` serves it: only the devices that decode `codec`, with
    /// their shares normalised again; and the names of the devices left out. Fails when no
    /// device decodes it.
    pub fn for_codec(&self, codec: Codec) -> Result<(ViewerMix, Vec<String>)> {
        let (kept, left): (Vec<&MixDevice>, Vec<&MixDevice>) = self
            .devices
            .iter()
            .partition(|d| d.device().decodes(Some(codec)));
        if kept.is_empty() {
            return Err(Error::InvalidMix {
                path: self.file.clone(),
                problem: format!("no device of the mix decodes {codec}"),
            });
        }
        let mix = ViewerMix {
            file: self.file.clone(),
            devices: kept.into_iter().cloned().collect(),
        };
        Ok((
            mix.normalised(),
            left.iter().map(|d| d.name.clone()).collect(),
        ))
    }

    /// Check a mix read back from a manifest: shares, distributions.
    pub fn check(&self) -> Result<()> {
        let bad = |problem: String| Error::InvalidMix {
            path: self.file.clone(),
            problem,
        };
        if self.devices.is_empty() {
            return Err(bad("no devices".into()));
        }
        for d in &self.devices {
            if !(d.share.is_finite() && d.share > 0.0) {
                return Err(bad(format!("device `{}` has share {}", d.name, d.share)));
            }
            d.bandwidth
                .check()
                .map_err(|p| bad(format!("device `{}`: {p}", d.name)))?;
        }
        Ok(())
    }
}

/// One entry resolved: its class, share, quality key and bandwidth.
fn resolve_entry(dir: &Path, e: Entry, window_s: f64) -> Result<MixDevice, String> {
    let device = match Device::builtin(&e.device) {
        Some(d) => d,
        None => {
            let file = dir.join(&e.device);
            if !file.is_file() {
                return Err(format!(
                    "`{}` is neither a built-in class ({}) nor a device file ({} does not exist)",
                    e.device,
                    BUILTIN.join(", "),
                    file.display()
                ));
            }
            Device::load(&file).map_err(|err| err.to_string())?
        }
    };
    let name = device.name.clone();
    let share = match (e.share, device.share) {
        (Some(s), _) => s,
        (None, Some(s)) => s,
        (None, None) => {
            return Err(format!("`{name}` has no default share: give its \"share\""));
        }
    };
    if !(share.is_finite() && share > 0.0) {
        return Err(format!(
            "`{name}`: the share must be a positive number, not {share}"
        ));
    }
    let quality_key = match e.quality {
        Some(k) if k.is_empty() => return Err(format!("`{name}`: \"quality\" is empty")),
        Some(k) => k,
        None => device.quality_key(),
    };
    let given = [
        e.traces.is_some(),
        e.log_normal.is_some(),
        e.log_uniform.is_some(),
        e.quantiles_kbps.is_some(),
    ];
    if given.iter().filter(|&&g| g).count() != 1 {
        return Err(format!(
            "`{name}`: give its viewers' bandwidth as exactly one of \"traces\", \"log_normal\", \"log_uniform\", \"quantiles_kbps\""
        ));
    }
    let in_words = |p: String| format!("`{name}`: {p}");
    let bandwidth = if let Some(specs) = e.traces {
        let specs = match specs {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        };
        if specs.is_empty() {
            return Err(in_words("\"traces\" is an empty list".into()));
        }
        let mut traces = Vec::new();
        for spec in &specs {
            traces.extend(load_traces(dir, spec).map_err(in_words)?);
        }
        Bandwidth::from_traces(specs, &traces, window_s)
    } else if let Some(p) = e.log_normal {
        Bandwidth::log_normal(p.median_kbps, p.sigma)
    } else if let Some([lo, hi]) = e.log_uniform {
        Bandwidth::log_uniform(lo, hi)
    } else {
        Bandwidth::quantiles(e.quantiles_kbps.unwrap_or_default())
    }
    .map_err(in_words)?;
    Ok(MixDevice {
        name,
        from: e.device,
        max_width: device.max_width,
        max_height: device.max_height,
        max_kbps: device.max_kbps,
        codecs: device.codecs,
        quality_key,
        share,
        share_given: share,
        bandwidth,
    })
}

/// The traces `spec` names: a path read from the mix file's directory when relative, else
/// a synthetic profile.
fn load_traces(dir: &Path, spec: &str) -> Result<Vec<crate::simulate::network::Trace>, String> {
    let path = dir.join(spec);
    if path.exists() {
        return resolve_traces(&path.to_string_lossy()).map_err(|e| e.to_string());
    }
    // Not a file beside the mix: a profile (`constant:5000`), unless it looks like a path.
    if !spec.contains(std::path::MAIN_SEPARATOR)
        && !Path::new(spec).exists()
        && let Ok(t) = resolve_traces(spec)
    {
        return Ok(t);
    }
    Err(format!(
        "traces {}: no such file or directory (relative paths are read from the mix file's directory), and not a trace profile",
        path.display()
    ))
}

#[cfg(test)]
mod tests;
