//! The video codecs pertitle can build ladders with, each through its libavcodec encoder:
//! its name on the command line, its quality parameter and range, its speed presets, and the
//! sample entry its rungs carry in MP4/CMAF.
//!
//! A [`Codec`] only describes; `encode` opens the encoder it names. (RFC 6381 CODECS
//! strings of encoded streams are `codecs`'s.)

use crate::error::{Error, Result, Setting};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// x264's presets, fastest first (x265 has the same names).
pub const X26X_PRESETS: [&str; 10] = [
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
    "placebo",
];

/// A codec a ladder can be built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Codec {
    /// H.264 / AVC through libx264.
    X264,
    /// H.265 / HEVC through libx265.
    X265,
    /// AV1 through SVT-AV1 (libsvtav1).
    SvtAv1,
    /// VP9 through libvpx.
    Vp9,
    /// AV1 through libaom.
    AomAv1,
}

/// How a codec's constant-quality parameter is named and bounded (lower is better quality
/// for all of them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QualityScale {
    /// The libavcodec option, e.g. `crf`.
    pub option: &'static str,
    /// The lowest value (best quality) the encoder takes.
    pub min: f64,
    /// The highest value (lowest quality) the encoder takes.
    pub max: f64,
    /// Whether values between integers mean something (x264's and x265's CRF do).
    pub fractional: bool,
}

/// A codec's speed presets: named (x264, x265) or numbered, slowest first for numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Presets {
    /// Names, fastest first.
    Named(&'static [&'static str]),
    /// Integers from `slowest` to `fastest` of the libavcodec option `option`.
    Numbered {
        /// The libavcodec option that takes the number (e.g. `preset`, `cpu-used`).
        option: &'static str,
        /// The slowest preset's number (best compression).
        slowest: i32,
        /// The fastest preset's number.
        fastest: i32,
    },
}

impl Codec {
    /// Every codec.
    pub const ALL: [Codec; 5] = [
        Codec::X264,
        Codec::X265,
        Codec::SvtAv1,
        Codec::Vp9,
        Codec::AomAv1,
    ];

    /// The name used on the command line and in manifests.
    pub fn name(self) -> &'static str {
        match self {
            Codec::X264 => "x264",
            Codec::X265 => "x265",
            Codec::SvtAv1 => "svt-av1",
            Codec::Vp9 => "vp9",
            Codec::AomAv1 => "aom-av1",
        }
    }

    /// The libavcodec encoder.
    pub fn encoder(self) -> &'static str {
        match self {
            Codec::X264 => "libx264",
            Codec::X265 => "libx265",
            Codec::SvtAv1 => "libsvtav1",
            Codec::Vp9 => "libvpx-vp9",
            Codec::AomAv1 => "libaom-av1",
        }
    }

    /// The bitstream format, as named in RFC 6381 CODECS strings' first field and in the
    /// MP4 sample entry the rungs are packaged with (`hvc1`: parameter sets in the sample
    /// entry, as Apple's HLS requires for HEVC).
    pub fn sample_entry(self) -> &'static str {
        match self {
            Codec::X264 => "avc1",
            Codec::X265 => "hvc1",
            Codec::SvtAv1 | Codec::AomAv1 => "av01",
            Codec::Vp9 => "vp09",
        }
    }

    /// The sample entry of a stream whose frame size changes at key frames (a `free` shot
    /// rung): `avc3` and `hev1` carry the parameter sets in band, `vp09` changes size at
    /// key frames by itself. `None` for AV1, whose sequence header in the sample entry fixes
    /// the frame size.
    pub fn sample_entry_changing_size(self) -> Option<&'static str> {
        match self {
            Codec::X264 => Some("avc3"),
            Codec::X265 => Some("hev1"),
            Codec::Vp9 => Some("vp09"),
            Codec::SvtAv1 | Codec::AomAv1 => None,
        }
    }

    /// The constant-quality parameter, as the FFmpeg 5.1 wrappers take it.
    pub fn quality(self) -> QualityScale {
        match self {
            Codec::X264 | Codec::X265 => QualityScale {
                option: "crf",
                min: 0.0,
                max: 51.0,
                fractional: true,
            },
            // libsvtav1 reads CRF 0 as "not set" (and then uses 35).
            Codec::SvtAv1 => QualityScale {
                option: "crf",
                min: 1.0,
                max: 63.0,
                fractional: false,
            },
            Codec::Vp9 | Codec::AomAv1 => QualityScale {
                option: "crf",
                min: 0.0,
                max: 63.0,
                fractional: false,
            },
        }
    }

    /// The speed presets the encoder takes, limited to those that differ: SVT-AV1 1.4's
    /// preset 13 is for debugging; libvpx (good quality) treats cpu-used above 5 as 5, and
    /// libaom (good quality) above 6 as 6.
    pub fn presets(self) -> Presets {
        match self {
            Codec::X264 | Codec::X265 => Presets::Named(&X26X_PRESETS),
            Codec::SvtAv1 => Presets::Numbered {
                option: "preset",
                slowest: 0,
                fastest: 12,
            },
            Codec::Vp9 => Presets::Numbered {
                option: "cpu-used",
                slowest: 0,
                fastest: 5,
            },
            Codec::AomAv1 => Presets::Numbered {
                option: "cpu-used",
                slowest: 0,
                fastest: 6,
            },
        }
    }

    /// The preset used unless another is asked for: x264's and x265's `medium`, SVT-AV1's
    /// 8, libvpx's cpu-used 4 and libaom's 6 (the speeds streaming encodes commonly use).
    pub fn default_preset(self) -> &'static str {
        match self {
            Codec::X264 | Codec::X265 => "medium",
            Codec::SvtAv1 => "8",
            Codec::Vp9 => "4",
            Codec::AomAv1 => "6",
        }
    }

    /// The constant-quality values a grid tries unless told otherwise, over the range
    /// streaming ladders use: x264's and x265's CRF 18..38 in six steps; 20..62 in seven on
    /// the 0..63 scales of SVT-AV1, libvpx and libaom. On the talking head, six steps from
    /// 20 to 55 left the AV1 hulls starting 23 VMAF points above x264's CRF 38, and six from
    /// 23 to 63 left them short of x264's CRF 18.
    pub fn default_crfs(self) -> Vec<f64> {
        match self {
            Codec::X264 | Codec::X265 => vec![18.0, 22.0, 26.0, 30.0, 34.0, 38.0],
            Codec::SvtAv1 | Codec::Vp9 | Codec::AomAv1 => {
                vec![20.0, 27.0, 34.0, 41.0, 48.0, 55.0, 62.0]
            }
        }
    }

    /// How fast `preset` is among this codec's presets: 0 for the slowest, higher is faster;
    /// `None` for a preset the codec does not take.
    pub fn preset_speed(self, preset: &str) -> Option<i32> {
        match self.presets() {
            Presets::Named(names) => names
                .iter()
                .position(|&n| n == preset)
                .map(|i| (names.len() - 1 - i) as i32),
            Presets::Numbered {
                slowest, fastest, ..
            } => preset
                .parse::<i32>()
                .ok()
                .filter(|n| (slowest..=fastest).contains(n))
                .map(|n| n - slowest),
        }
    }

    /// How its encodes place keyframes (as the manifest states it).
    pub fn keyframe_policy(self) -> &'static str {
        match self {
            Codec::X264 | Codec::X265 => {
                "closed GOP; IDR at every segment start; scene-cut keyframes allowed inside segments"
            }
            Codec::SvtAv1 | Codec::Vp9 | Codec::AomAv1 => {
                "closed GOP; key frame at every segment start; scene-cut key frames allowed inside segments"
            }
        }
    }

    /// Check a quality value is one this codec takes; the error names the codec and range.
    pub fn validate_quality(self, value: f64) -> Result<()> {
        let q = self.quality();
        let in_range = value.is_finite() && (q.min..=q.max).contains(&value);
        if !in_range || (!q.fractional && value.fract() != 0.0) {
            return Err(Error::setting(
                Setting::Crf,
                format!(
                    "{} {value} is outside {}'s range {}..{}{}",
                    q.option.to_uppercase(),
                    self.name(),
                    q.min,
                    q.max,
                    if q.fractional { "" } else { " (whole numbers)" }
                ),
            ));
        }
        Ok(())
    }

    /// Check a preset name is one this codec takes.
    pub fn validate_preset(self, preset: &str) -> Result<()> {
        let known = match self.presets() {
            Presets::Named(names) => names.contains(&preset),
            Presets::Numbered {
                slowest, fastest, ..
            } => preset
                .parse::<i32>()
                .is_ok_and(|n| (slowest..=fastest).contains(&n)),
        };
        if known {
            return Ok(());
        }
        let choices = match self.presets() {
            Presets::Named(names) => names.join(", "),
            Presets::Numbered {
                option,
                slowest,
                fastest,
            } => format!("{slowest} (slowest) to {fastest} (fastest), its {option}"),
        };
        Err(Error::setting(
            Setting::Preset,
            format!(
                "unknown {} preset {preset:?} (one of: {choices})",
                self.name()
            ),
        ))
    }

    /// Parse a comma-separated list (`x264,x265`): each codec once, in the order given.
    pub fn parse_list(list: &str) -> std::result::Result<Vec<Codec>, String> {
        let mut codecs = Vec::new();
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let codec: Codec = name.parse()?;
            if !codecs.contains(&codec) {
                codecs.push(codec);
            }
        }
        if codecs.is_empty() {
            return Err("no codec given".to_string());
        }
        Ok(codecs)
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Codec {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let wanted = s.trim().to_ascii_lowercase();
        Codec::ALL
            .into_iter()
            .find(|c| c.name() == wanted || c.encoder() == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = Codec::ALL.iter().map(|c| c.name()).collect();
                format!("unknown codec {s:?} (one of: {})", names.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_codec_has_its_encoder_in_this_libavcodec() {
        crate::source::init();
        for codec in Codec::ALL {
            let found = ffmpeg_next::encoder::find_by_name(codec.encoder());
            assert!(found.is_some(), "{codec}: no {} encoder", codec.encoder());
        }
    }

    #[test]
    fn names_round_trip_and_lists_parse_in_order_without_repeats() {
        for codec in Codec::ALL {
            assert_eq!(codec.name().parse::<Codec>(), Ok(codec));
            assert_eq!(codec.encoder().parse::<Codec>(), Ok(codec));
            let json = serde_json::to_string(&codec).unwrap();
            assert_eq!(json, format!("\"{}\"", codec.name()));
        }
        assert_eq!(
            Codec::parse_list("x265, x264,x265"),
            Ok(vec![Codec::X265, Codec::X264])
        );
        let err = Codec::parse_list("x264,h266").unwrap_err();
        assert!(err.contains("h266") && err.contains("svt-av1"), "{err}");
        assert!(Codec::parse_list(" , ").is_err());
    }

    #[test]
    fn quality_and_presets_are_checked_per_codec() {
        assert!(Codec::X264.validate_quality(23.5).is_ok());
        assert!(Codec::X265.validate_quality(51.0).is_ok());
        assert!(Codec::X264.validate_quality(52.0).is_err());
        assert!(Codec::SvtAv1.validate_quality(63.0).is_ok());
        let fractional = Codec::Vp9.validate_quality(30.5).unwrap_err().to_string();
        assert!(
            fractional.contains("vp9") && fractional.contains("whole"),
            "{fractional}"
        );
        assert!(Codec::AomAv1.validate_quality(f64::NAN).is_err());
        assert!(Codec::X265.validate_preset("medium").is_ok());
        assert!(Codec::SvtAv1.validate_preset("8").is_ok());
        let named = Codec::SvtAv1
            .validate_preset("medium")
            .unwrap_err()
            .to_string();
        assert!(named.contains("0 (slowest) to 12 (fastest)"), "{named}");
        assert!(Codec::SvtAv1.validate_quality(0.0).is_err());
        assert!(Codec::Vp9.validate_preset("6").is_err());
        assert!(Codec::AomAv1.validate_preset("6").is_ok());
        assert!(Codec::X264.validate_preset("4").is_err());
    }

    #[test]
    fn preset_speeds_rank_fastest_highest() {
        let x = |p| Codec::X264.preset_speed(p);
        assert_eq!(x("placebo"), Some(0));
        assert_eq!(x("ultrafast"), Some(9));
        assert!(x("superfast") > x("medium"));
        assert_eq!(x("12"), None);
        assert_eq!(Codec::SvtAv1.preset_speed("12"), Some(12));
        assert!(Codec::SvtAv1.preset_speed("4") < Codec::SvtAv1.preset_speed("8"));
        assert_eq!(Codec::Vp9.preset_speed("6"), None);
        for codec in Codec::ALL {
            assert!(codec.validate_preset(codec.default_preset()).is_ok());
        }
    }
}
