//! How each rendition spends its bits: as its ladder's points did (plain CRF, or capped CRF
//! with the caps `ladder.json` records), or capped CRF asked of `package` for a plain-CRF
//! ladder ([`super::PackageOptions::capped_crf`]).

use crate::encode::encoder::{CapRule, RateControl};
use crate::error::{Error, Result, Setting};
use crate::manifest::CodecLadder;
use crate::measure::point::Rung;

/// The rate control of `rung`'s final encode, and whether it is the one its trial encode
/// had (so that a measured rung's final encode can be its trial encode).
///
/// - A capped-CRF ladder: a measured rung takes its point's cap; an interpolated rung the cap
///   of the CRF-only bitrate interpolated between its neighbours
///   ([`crate::encode::rate_control::CappedCrfLadder::rate_control`]), or, with no measured
///   CRF of its size on either side, the cap of the rung's own estimate.
/// - A plain-CRF ladder with `capped`: the cap of the rung's bitrate, its CRF-only average
///   (measured or, for an interpolated rung, estimated).
/// - Otherwise plain CRF.
pub(super) fn of_rung(
    ladder: &CodecLadder,
    rung: &Rung,
    capped: Option<CapRule>,
) -> Result<(RateControl, bool)> {
    let rate = match (&ladder.capped_crf, capped) {
        (Some(table), Some(rule)) if rule != table.rule => {
            return Err(Error::setting(
                Setting::RateControl,
                format!(
                    "the {} ladder was measured capped (maximum rate {} x, buffer {} s); its rungs are packaged as measured",
                    ladder.codec, table.rule.maxrate_factor, table.rule.buffer_seconds
                ),
            ));
        }
        (Some(_), _) => (ladder.rung_rate_control(rung), true),
        (None, Some(rule)) => {
            rule.validate()?;
            (rule.cap(rung.crf, rung.bitrate_kbps), false)
        }
        (None, None) => (RateControl::Crf(rung.crf), true),
    };
    rate.0.validate(ladder.codec)?;
    Ok(rate)
}
