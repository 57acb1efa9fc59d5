//! How each rendition spends its bits: as its ladder's points did (plain CRF, or capped CRF
//! with the caps `ladder.json` records), or capped CRF asked of `package` for a plain-CRF
//! ladder ([`super::PackageOptions::capped_crf`]).

use crate::encode::encoder::{CapRule, RateControl, ShotRates};
use crate::error::{Error, Result, Setting};
use crate::manifest::{CodecLadder, Manifest};
use crate::measure::point::Rung;
use crate::source::resolution::Resolution;

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
    // A shot rung's CRF is its shots' frame-weighted mean, the setting of no encode (a
    // fraction even where the codec takes whole numbers): each shot's own is checked instead
    // (`of_shots`).
    if !rung.is_shot_rung() {
        rate.0.validate(ladder.codec)?;
    }
    Ok(rate)
}

/// The shots of `rung`'s final encode when `manifest` is a shot-based run's (`None`
/// otherwise): every shot encoded by a fresh encoder, as the trial encodes were; a shot rung's
/// shots each at its own CRF, any other rung's all at `rate`.
pub(super) fn of_shots(
    manifest: &Manifest,
    ladder: &CodecLadder,
    rung: &Rung,
    rate: RateControl,
) -> Result<Option<ShotRates>> {
    let Some(list) = &manifest.shots else {
        if rung.is_shot_rung() {
            return Err(Error::Ladder(format!(
                "the {}x{} {} rung has per-shot settings but the ladder has no shot list",
                rung.width, rung.height, ladder.codec
            )));
        }
        return Ok(None);
    };
    if !rung.is_shot_rung() {
        return ShotRates::uniform(&list.shots, rate).map(Some);
    }
    if rung.shots.len() != list.shots.len() {
        return Err(Error::Ladder(format!(
            "the {}x{} {} rung has settings for {} shots, the title {}",
            rung.width,
            rung.height,
            ladder.codec,
            rung.shots.len(),
            list.shots.len()
        )));
    }
    let changes_size = rung
        .shots
        .iter()
        .any(|s| (s.width, s.height) != (rung.width, rung.height));
    if changes_size && ladder.codec.sample_entry_changing_size().is_none() {
        return Err(Error::Ladder(format!(
            "the {}x{} {} rung changes size from shot to shot, which a {} stream cannot do in one sample entry (choose the rungs with --shot-resolution fixed)",
            rung.width, rung.height, ladder.codec, ladder.codec
        )));
    }
    if rate != RateControl::Crf(rung.crf) {
        return Err(Error::Ladder(format!(
            "the {}x{} {} rung is a shot rung: its shots are encoded at their own CRFs, not at {rate}",
            rung.width, rung.height, ladder.codec
        )));
    }
    let rates = rung
        .shots
        .iter()
        .map(|s| {
            let r = RateControl::Crf(s.crf);
            r.validate(ladder.codec).map(|()| r)
        })
        .collect::<Result<Vec<_>>>()?;
    let shots = ShotRates::new(list.shots.iter().map(|s| s.start_frame).collect(), rates)?;
    if !changes_size {
        return Ok(Some(shots));
    }
    shots
        .with_sizes(
            rung.shots
                .iter()
                .map(|s| Resolution::new(s.width, s.height))
                .collect(),
        )
        .map(Some)
}
