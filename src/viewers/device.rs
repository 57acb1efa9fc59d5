//! Device classes: what a player can decode and show, and how quality is judged on its
//! screen. A device fixes the largest frame and the highest bitrate it plays and the codecs
//! its decoder supports (the rungs above it, or in another codec, are not offered to its
//! player), the display and VMAF model its viewers' quality is measured with, and its share
//! of the viewers.
//!
//! Built-in classes ([`Device::builtin`]):
//!
//! | class | largest frame | highest bitrate | codecs | quality judged as | share |
//! |---|---|---|---|---|---|
//! | `phone` | 1280x720 | 8,000 kbps | H.264, HEVC, AV1 | VMAF phone model at 1920x1080 | 0.35 |
//! | `laptop` | 1920x1080 | 16,000 kbps | H.264, HEVC, VP9, AV1 | VMAF v0.6.1 at 1920x1080 | 0.15 |
//! | `tv` | 1920x1080 | 20,000 kbps | H.264, HEVC, VP9, AV1 | VMAF v0.6.1 at 1920x1080 | 0.45 |
//! | `tv-4k` | 3840x2160 | 40,000 kbps | H.264, HEVC, VP9, AV1 | VMAF 4k model at 3840x2160 | 0.05 |
//! | `any` | no limit | no limit | all | VMAF v0.6.1 at the run's display | none |
//!
//! VMAF's phone model is v0.6.1's features and regression with a transform of the score
//! (a small screen hides more), so a phone, a laptop and a TV judged at 1080p share one
//! feature extraction; the 4k model is trained for a 4K TV at 1.5 screen heights and is
//! judged at 2160p, which needs a source of at least that height. The shares are round
//! defaults (TV screens carry most streaming hours in the US and Europe, phones most
//! elsewhere), to be replaced by a service's own analytics in a viewer mix.
//!
//! A frame fits when it is no wider and no taller than the class's, either way round (a
//! phone plays 720x1280 portrait video too). A class of one's own is a small JSON file:
//!
//! ```json
//! {"name": "old-phone", "max_width": 854, "max_height": 480, "max_kbps": 2000,
//!  "codecs": ["h264"], "display": "1280x720", "vmaf_model": "phone", "share": 0.1}
//! ```
//!
//! `codecs` takes the decoder names `h264`, `hevc`, `vp9`, `av1` (or the encoders' names,
//! `x264`, `x265`, `vp9`, `svt-av1`, `aom-av1`); `max_kbps`, `codecs`, `display` (default
//! 1920x1080), `vmaf_model` (`v0.6.1`, `phone`, `4k` or `v0.6.1neg`; default `v0.6.1`) and
//! `share` may be left out. A name is 1 to 32 characters of `a-z`, `0-9`, `-` and `_`: the
//! manifest keeps the class's quality under `vmaf_<name>`.

use crate::encode::codec::Codec;
use crate::error::{Error, Result};
use crate::measure::metrics::vmaf::VmafModel;
use crate::simulate::movie::Movie;
use crate::source::resolution::Resolution;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A class of playback device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Device {
    /// Its name.
    pub name: String,
    /// The widest frame it shows, pixels (of either orientation; 0: no limit).
    #[serde(default)]
    pub max_width: u32,
    /// The tallest frame it shows, pixels (0: no limit).
    #[serde(default)]
    pub max_height: u32,
    /// The highest nominal bitrate it plays, kbit/s (none: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_kbps: Option<f64>,
    /// The decoders it has (`h264`, `hevc`, `vp9`, `av1`); empty: every codec.
    #[serde(default)]
    pub codecs: Vec<String>,
    /// The size its viewers' quality is judged at: the source and every encode are resized
    /// to it before VMAF (none: the run's display size).
    #[serde(
        default = "default_display",
        with = "display_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub display: Option<Resolution>,
    /// The VMAF model its viewers' quality is judged with.
    #[serde(default)]
    pub vmaf_model: VmafModel,
    /// Its share of the viewers, when a mix does not say (none: not set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
}

/// The display of a class that does not give one: a 1080p screen, as VMAF v0.6.1 models.
pub const DEFAULT_DISPLAY: Resolution = Resolution {
    width: 1920,
    height: 1080,
};

fn default_display() -> Option<Resolution> {
    Some(DEFAULT_DISPLAY)
}

/// A display written as `WIDTHxHEIGHT`.
mod display_text {
    use crate::source::resolution::Resolution;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<Resolution>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(r) => s.serialize_str(&r.to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Resolution>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        text.map(|t| t.parse().map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// The names of the built-in classes, for `--help`.
pub const BUILTIN: [&str; 5] = ["phone", "laptop", "tv", "tv-4k", "any"];

/// The decoder a codec's streams need.
pub fn decoder(codec: Codec) -> &'static str {
    match codec {
        Codec::X264 => "h264",
        Codec::X265 => "hevc",
        Codec::Vp9 => "vp9",
        Codec::SvtAv1 | Codec::AomAv1 => "av1",
    }
}

impl Device {
    /// A built-in class by name (see the module's table).
    pub fn builtin(name: &str) -> Option<Device> {
        let all: &[&str] = &["h264", "hevc", "vp9", "av1"];
        let hd = Some(DEFAULT_DISPLAY);
        let class = |(w, h): (u32, u32), kbps: Option<f64>, codecs: &[&str]| Device {
            name: name.to_string(),
            max_width: w,
            max_height: h,
            max_kbps: kbps,
            codecs: codecs.iter().map(|c| c.to_string()).collect(),
            display: hd,
            vmaf_model: VmafModel::V061,
            share: None,
        };
        Some(match name {
            "phone" => Device {
                vmaf_model: VmafModel::Phone,
                share: Some(0.35),
                ..class((1280, 720), Some(8_000.0), &["h264", "hevc", "av1"])
            },
            "laptop" => Device {
                share: Some(0.15),
                ..class((1920, 1080), Some(16_000.0), all)
            },
            "tv" => Device {
                share: Some(0.45),
                ..class((1920, 1080), Some(20_000.0), all)
            },
            "tv-4k" => Device {
                display: Some(Resolution::new(3840, 2160)),
                vmaf_model: VmafModel::FourK,
                share: Some(0.05),
                ..class((3840, 2160), Some(40_000.0), all)
            },
            "any" => Device {
                display: None,
                ..class((0, 0), None, &[])
            },
            _ => return None,
        })
    }

    /// The key the manifest keeps this class's quality under (`vmaf_phone`).
    pub fn quality_key(&self) -> String {
        format!("vmaf_{}", self.name)
    }

    /// The size this class's quality is judged at, on a run whose display is `run_display`.
    pub fn display_or(&self, run_display: Resolution) -> Resolution {
        self.display.unwrap_or(run_display)
    }

    /// A built-in class, or one read from a JSON file.
    pub fn resolve(spec: &str) -> Result<Device> {
        if let Some(d) = Device::builtin(spec) {
            return Ok(d);
        }
        let path = Path::new(spec);
        if !path.exists() {
            return Err(invalid(
                path,
                &format!(
                    "neither a built-in class ({}) nor a file",
                    BUILTIN.join(", ")
                ),
            ));
        }
        Device::load(path)
    }

    /// Read a device class file.
    pub fn load(path: &Path) -> Result<Device> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let mut d: Device =
            serde_json::from_str(&text).map_err(|e| invalid(path, &e.to_string()))?;
        if d.max_kbps.is_some_and(|k| !(k > 0.0 && k.is_finite())) {
            return Err(invalid(path, "max_kbps must be a positive number"));
        }
        if let Some(problem) = name_problem(&d.name) {
            return Err(invalid(path, &problem));
        }
        if d.share.is_some_and(|s| !(s.is_finite() && s >= 0.0)) {
            return Err(invalid(path, "share must be a number of at least 0"));
        }
        for c in &mut d.codecs {
            let named = Codec::ALL
                .into_iter()
                .find(|k| k.to_string() == *c)
                .map(decoder);
            let known = ["h264", "hevc", "vp9", "av1"];
            match named {
                Some(dec) => *c = dec.to_string(),
                None if known.contains(&c.as_str()) => {}
                None => {
                    return Err(invalid(
                        path,
                        &format!(
                            "unknown codec `{c}` (use {}, or an encoder's name)",
                            known.join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(d)
    }

    /// Whether the device decodes `codec` (any codec when the ladder's is unknown).
    pub fn decodes(&self, codec: Option<Codec>) -> bool {
        match codec {
            None => true,
            Some(c) => self.codecs.is_empty() || self.codecs.iter().any(|d| d == decoder(c)),
        }
    }

    /// Whether a frame of `width` x `height` fits the screen, either way round.
    pub fn fits(&self, width: u32, height: u32) -> bool {
        let limit = |w: u32, h: u32| {
            (self.max_width == 0 || w <= self.max_width)
                && (self.max_height == 0 || h <= self.max_height)
        };
        limit(width, height) || limit(height, width)
    }

    /// `movie` as this device sees it: the rungs it can play. Fails when the codec is not
    /// decoded or no rung fits.
    pub fn offer(&self, movie: Movie) -> Result<Movie> {
        if !self.decodes(movie.codec) {
            return Err(Error::Unplayable {
                path: movie.path.clone(),
                problem: format!(
                    "device `{}` has no {} decoder (it has {})",
                    self.name,
                    movie.codec.map_or("?", decoder),
                    self.codecs.join(", ")
                ),
            });
        }
        let why = format!("for device `{}`", self.name);
        movie.retain_rungs(
            |r| {
                r.size.is_none_or(|(w, h)| self.fits(w, h))
                    && self.max_kbps.is_none_or(|k| r.bitrate_kbps <= k)
            },
            &why,
        )
    }
}

/// What is wrong with a class name, if anything.
pub fn name_problem(name: &str) -> Option<String> {
    let ok = (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    (!ok).then(|| format!("the name {name:?} must be 1 to 32 characters of a-z, 0-9, `-` and `_`"))
}

fn invalid(path: &Path, problem: &str) -> Error {
    Error::InvalidDevice {
        path: PathBuf::from(path),
        problem: problem.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::movie::{MovieRung, QualityScale};

    fn movie() -> Movie {
        let rung = |w, h, kbps| MovieRung {
            size: Some((w, h)),
            bitrate_kbps: kbps,
            segment_bits: vec![kbps * 4000.0],
            segment_quality: vec![50.0],
        };
        Movie {
            path: "ladder.json".into(),
            codec: Some(Codec::X265),
            quality: QualityScale::Metric("vmaf".into()),
            segment_durations_s: vec![4.0],
            rungs: vec![
                rung(640, 360, 500.0),
                rung(1280, 720, 3000.0),
                rung(1920, 1080, 6000.0),
                rung(3840, 2160, 20000.0),
            ],
        }
    }

    #[test]
    fn a_phone_is_offered_the_rungs_up_to_720p() {
        let m = Device::builtin("phone").unwrap().offer(movie()).unwrap();
        assert_eq!(m.rungs.len(), 2);
        let m = Device::builtin("tv-4k").unwrap().offer(movie()).unwrap();
        assert_eq!(m.rungs.len(), 4);
        let m = Device::builtin("tv").unwrap().offer(movie()).unwrap();
        assert_eq!(m.rungs.len(), 3);
    }

    #[test]
    fn classes_say_how_their_quality_is_judged() {
        let phone = Device::builtin("phone").unwrap();
        assert_eq!(phone.vmaf_model, VmafModel::Phone);
        assert_eq!(phone.display, Some(DEFAULT_DISPLAY));
        assert_eq!(phone.quality_key(), "vmaf_phone");
        let four_k = Device::builtin("tv-4k").unwrap();
        assert_eq!(four_k.display, Some(Resolution::new(3840, 2160)));
        assert_eq!(four_k.vmaf_model, VmafModel::FourK);
        let any = Device::builtin("any").unwrap();
        assert_eq!(
            any.display_or(Resolution::new(640, 360)),
            Resolution::new(640, 360)
        );
        let shares: f64 = ["phone", "laptop", "tv", "tv-4k"]
            .iter()
            .map(|n| Device::builtin(n).unwrap().share.unwrap())
            .sum();
        assert!((shares - 1.0).abs() < 1e-12, "{shares}");
        // A file's class: 1080p and v0.6.1 unless it says otherwise.
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("c.json");
        std::fs::write(&f, r#"{"name": "kiosk"}"#).unwrap();
        let d = Device::load(&f).unwrap();
        assert_eq!(
            (d.display, d.vmaf_model),
            (Some(DEFAULT_DISPLAY), VmafModel::V061)
        );
        std::fs::write(
            &f,
            r#"{"name": "k", "display": "1280x720", "vmaf_model": "phone"}"#,
        )
        .unwrap();
        let d = Device::load(&f).unwrap();
        assert_eq!(
            (d.display, d.vmaf_model),
            (Some(Resolution::new(1280, 720)), VmafModel::Phone)
        );
        for (bad, why) in [
            (r#"{"name": "k", "share": -0.5}"#, "share must be"),
            (r#"{"name": "k", "display": "wide"}"#, "WIDTHxHEIGHT"),
            (r#"{"name": "K K"}"#, "must be 1 to 32 characters"),
        ] {
            std::fs::write(&f, bad).unwrap();
            let e = Device::load(&f).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn a_portrait_frame_fits_a_landscape_screen_turned() {
        let phone = Device::builtin("phone").unwrap();
        assert!(phone.fits(720, 1280));
        assert!(!phone.fits(1080, 1920));
    }

    #[test]
    fn a_device_without_the_decoder_plays_nothing() {
        let dir = std::env::temp_dir().join(format!("pertitle-device-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("old.json");
        std::fs::write(
            &f,
            r#"{"name": "old", "max_width": 854, "max_height": 480, "codecs": ["x264"]}"#,
        )
        .unwrap();
        let d = Device::resolve(f.to_str().unwrap()).unwrap();
        assert_eq!(d.codecs, vec!["h264"]);
        let e = d.offer(movie()).unwrap_err().to_string();
        assert!(e.contains("no hevc decoder"), "{e}");
        std::fs::write(&f, r#"{"name": "x", "codecs": ["mpeg2"]}"#).unwrap();
        let e = Device::load(&f).unwrap_err().to_string();
        assert!(
            e.contains("old.json: not a device class: unknown codec `mpeg2`"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
        let e = Device::resolve("watch").unwrap_err().to_string();
        assert!(e.contains("watch: not a device class"), "{e}");
    }
}
