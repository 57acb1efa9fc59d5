//! The rules a ladder must obey, as commercial per-title services let users set them.

use crate::error::{Error, Result, Setting};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Every constraint on a ladder. Bitrates are average bitrates in kbit/s; quality is on the
/// run's hull metric (VMAF, PSNR or SSIM).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Constraints {
    /// Fewest rungs the ladder may have.
    pub min_rungs: usize,
    /// Most rungs the ladder may have.
    pub max_rungs: usize,
    /// No rung below this bitrate.
    pub min_kbps: f64,
    /// No rung above this bitrate (`None`: no limit; default 8000, the top of common H.264
    /// ladders).
    pub max_kbps: Option<f64>,
    /// Adjacent rungs at least this factor apart in bitrate.
    pub min_step: f64,
    /// Adjacent rungs at most this factor apart in bitrate (`None`: no limit).
    pub max_step: Option<f64>,
    /// Top-rung quality target: no rung spends more bits than the cheapest point of the hull
    /// that reaches this quality (`None`: no target).
    pub top_quality: Option<f64>,
    /// The lowest rung reaches at least this quality.
    pub min_bottom_quality: Option<f64>,
    /// The lowest rung is at most this bitrate.
    pub max_bottom_kbps: Option<f64>,
    /// Adjacent rungs differ by at least this much quality.
    pub min_quality_gap: f64,
    /// Smallest frame height a rung may have.
    pub min_height: Option<u32>,
    /// Largest frame height a rung may have.
    pub max_height: Option<u32>,
    /// Only these frame heights (empty: any measured height).
    pub allowed_heights: Vec<u32>,
    /// Rungs that must be in the ladder.
    pub forced: Vec<ForcedRung>,
    /// Only measured points as rungs (no CRF interpolated between two measured ones; shot
    /// rungs take trial encodes only).
    #[serde(default)]
    pub measured_only: bool,
    /// Shot rungs, for a shot-based run: each rung one encode per shot, from the shot
    /// ladder's operating points, in this mode (`None`: one setting for the whole title).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shot_rungs: Option<crate::shots::ladder::ShotResolution>,
    /// What shot rungs maximize at each bitrate: the shots' mean quality, or their harmonic
    /// mean, which weighs low quality more (left out when the mean).
    #[serde(
        default,
        skip_serializing_if = "crate::shots::ladder::ShotPooling::is_mean"
    )]
    pub shot_pooling: crate::shots::ladder::ShotPooling,
    /// Shot rungs no worse than per-title encoding in their worst frames: `p5` drops the
    /// operating points whose 5th percentile is below the per-title hull's at their bitrate
    /// (left out when none).
    #[serde(
        default,
        skip_serializing_if = "crate::shots::ladder::ShotGuard::is_none"
    )]
    pub shot_guard: crate::shots::ladder::ShotGuard,
}

impl Default for Constraints {
    fn default() -> Self {
        Constraints {
            min_rungs: 1,
            max_rungs: 8,
            min_kbps: 0.0,
            max_kbps: Some(8000.0),
            min_step: 1.5,
            max_step: Some(2.0),
            top_quality: None,
            min_bottom_quality: None,
            max_bottom_kbps: None,
            min_quality_gap: 0.0,
            min_height: None,
            max_height: None,
            allowed_heights: Vec::new(),
            forced: Vec::new(),
            measured_only: false,
            shot_rungs: None,
            shot_pooling: crate::shots::ladder::ShotPooling::Mean,
            shot_guard: crate::shots::ladder::ShotGuard::None,
        }
    }
}

/// A rung the ladder must contain: a bitrate, and optionally the frame height to encode it
/// at (otherwise the resolution that gives the best quality at that bitrate).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ForcedRung {
    /// The rung's bitrate, kbit/s.
    pub kbps: f64,
    /// The frame height to encode it at; `None`: the best resolution at that bitrate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

impl FromStr for ForcedRung {
    type Err = String;
    /// `KBPS` or `KBPS@HEIGHT`, e.g. `3000` or `3000@720`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (k, h) = match s.split_once('@') {
            Some((k, h)) => (k, Some(h)),
            None => (s, None),
        };
        let kbps: f64 = k
            .trim()
            .parse()
            .map_err(|_| format!("{s:?}: expected KBPS or KBPS@HEIGHT, e.g. 3000@720"))?;
        if !(kbps.is_finite() && kbps > 0.0) {
            return Err(format!("{s:?}: the bitrate must be positive"));
        }
        let height = h
            .map(|h| {
                h.trim()
                    .trim_end_matches('p')
                    .parse::<u32>()
                    .map_err(|_| format!("{s:?}: {h:?} is not a frame height"))
            })
            .transpose()?;
        Ok(ForcedRung { kbps, height })
    }
}

impl fmt::Display for ForcedRung {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.height {
            Some(h) => write!(f, "{}@{h}", self.kbps),
            None => write!(f, "{}", self.kbps),
        }
    }
}

impl Constraints {
    /// The constraints a `codec` ladder is chosen under: free shot rungs become fixed for a
    /// codec whose stream cannot change size from shot to shot (AV1).
    pub fn for_codec(&self, codec: crate::encode::codec::Codec) -> std::borrow::Cow<'_, Self> {
        use crate::shots::ladder::ShotResolution;
        if self.shot_rungs == Some(ShotResolution::Free)
            && codec.sample_entry_changing_size().is_none()
        {
            return std::borrow::Cow::Owned(Constraints {
                shot_rungs: Some(ShotResolution::Fixed),
                ..self.clone()
            });
        }
        std::borrow::Cow::Borrowed(self)
    }

    /// Whether a rung of this height is allowed.
    pub fn allows_height(&self, height: u32) -> bool {
        self.min_height.is_none_or(|m| height >= m)
            && self.max_height.is_none_or(|m| height <= m)
            && (self.allowed_heights.is_empty() || self.allowed_heights.contains(&height))
    }

    /// Whether a bitrate is inside `[min_kbps, max_kbps]`.
    pub fn allows_kbps(&self, kbps: f64) -> bool {
        kbps > 0.0 && kbps >= self.min_kbps && self.max_kbps.is_none_or(|m| kbps <= m)
    }

    /// Check that the constraints make sense on their own (before looking at any point).
    pub fn validate(&self) -> Result<()> {
        let bad = |setting: Setting, problem: String| Err(Error::setting(setting, problem));
        let positive = |v: Option<f64>| v.is_none_or(|v| v.is_finite() && v > 0.0);
        if self.max_rungs == 0 {
            return bad(Setting::MaxRungs, "must be at least 1".into());
        }
        if self.min_rungs > self.max_rungs {
            return bad(
                Setting::MinRungs,
                format!(
                    "{} is more than the most rungs, {}",
                    self.min_rungs, self.max_rungs
                ),
            );
        }
        if !(self.min_kbps.is_finite() && self.min_kbps >= 0.0 && positive(self.max_kbps)) {
            return bad(
                Setting::MinKbps,
                "the least and most bitrates must be positive numbers".into(),
            );
        }
        if let Some(max) = self.max_kbps
            && self.min_kbps > max
        {
            return bad(
                Setting::MinKbps,
                format!("{} is above the most bitrate, {max}", self.min_kbps),
            );
        }
        if !(self.min_step.is_finite() && self.min_step >= 1.0) {
            return bad(
                Setting::MinStep,
                format!("{} must be at least 1", self.min_step),
            );
        }
        if let Some(max) = self.max_step
            && !(max.is_finite() && max >= self.min_step)
        {
            return bad(
                Setting::MaxStep,
                format!("{max} must be at least the least step, {}", self.min_step),
            );
        }
        if !positive(self.max_bottom_kbps) {
            return bad(Setting::MaxBottomKbps, "must be positive".into());
        }
        if !(self.min_quality_gap.is_finite() && self.min_quality_gap >= 0.0) {
            return bad(Setting::MinQualityGap, "must be zero or more".into());
        }
        for q in [self.top_quality, self.min_bottom_quality]
            .into_iter()
            .flatten()
        {
            if !q.is_finite() {
                return bad(Setting::QualityTargets, "must be finite numbers".into());
            }
        }
        if let (Some(lo), Some(hi)) = (self.min_height, self.max_height)
            && lo > hi
        {
            return bad(
                Setting::MinHeight,
                format!("{lo} is above the most height, {hi}"),
            );
        }
        if self.forced.len() > self.max_rungs {
            return bad(
                Setting::ForcedRungs,
                format!(
                    "{} do not fit in the most rungs, {}",
                    self.forced.len(),
                    self.max_rungs
                ),
            );
        }
        for f in &self.forced {
            if !self.allows_kbps(f.kbps) {
                return bad(
                    Setting::ForcedRungs,
                    format!("{f} is outside the least and most bitrates"),
                );
            }
            if let Some(h) = f.height
                && !self.allows_height(h)
            {
                return bad(
                    Setting::ForcedRungs,
                    format!("{f} has a height the constraints exclude"),
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_shot_rungs_are_fixed_for_av1_only() {
        use crate::encode::codec::Codec;
        use crate::shots::ladder::ShotResolution;
        let free = Constraints {
            shot_rungs: Some(ShotResolution::Free),
            ..Constraints::default()
        };
        for codec in Codec::ALL {
            let expected = match codec {
                Codec::SvtAv1 | Codec::AomAv1 => ShotResolution::Fixed,
                _ => ShotResolution::Free,
            };
            assert_eq!(free.for_codec(codec).shot_rungs, Some(expected), "{codec}");
            assert_eq!(
                *Constraints::default().for_codec(codec),
                Constraints::default()
            );
        }
    }

    #[test]
    fn forced_rungs_parse() {
        assert_eq!(
            "3000@720".parse::<ForcedRung>(),
            Ok(ForcedRung {
                kbps: 3000.0,
                height: Some(720)
            })
        );
        assert_eq!(
            "450".parse::<ForcedRung>(),
            Ok(ForcedRung {
                kbps: 450.0,
                height: None
            })
        );
        assert!("x@720".parse::<ForcedRung>().is_err());
        assert!("-5".parse::<ForcedRung>().is_err());
        assert!("300@abc".parse::<ForcedRung>().is_err());
    }

    #[test]
    fn validation_names_the_setting() {
        let setting = |c: Constraints| match c.validate() {
            Err(Error::InvalidSetting { setting, .. }) => Some(setting),
            _ => None,
        };
        let c = Constraints {
            min_rungs: 5,
            max_rungs: 3,
            ..Constraints::default()
        };
        assert_eq!(setting(c), Some(Setting::MinRungs));
        let c = Constraints {
            max_step: Some(1.2),
            ..Constraints::default()
        };
        assert_eq!(setting(c), Some(Setting::MaxStep));
        assert!(Constraints::default().validate().is_ok());
    }
}
