//! Scoring one file against another (the `score` command).

use crate::error::{Error, Result};
use crate::metrics::{FrameScores, MeanScores, ScoreAccumulator};
use crate::resolution::Resolution;
use crate::scale::{Kernel, Scaler};
use crate::source::{FrameReader, read_ahead};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The result of comparing a distorted file with its reference.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreReport {
    pub reference: PathBuf,
    pub distorted: PathBuf,
    /// The size scores are computed at: the reference's.
    pub width: u32,
    pub height: u32,
    pub distorted_width: u32,
    pub distorted_height: u32,
    /// Whether the distorted frames were resized (bicubic) to the reference's size.
    pub scaled: bool,
    /// Frames compared: the shorter file's frame count.
    pub frames: u64,
    pub reference_frames: u64,
    pub distorted_frames: u64,
    /// Mean per-frame scores.
    #[serde(flatten)]
    pub mean: MeanScores,
}

/// Compare `distorted` against `reference` frame by frame, calling `each` with every frame's
/// scores in order. Distorted frames of another size are resized to the reference's size
/// (bicubic). When the files differ in length, the common leading frames are compared.
pub fn score_each(
    reference: &Path,
    distorted: &Path,
    mut each: impl FnMut(u64, &FrameScores),
) -> Result<ScoreReport> {
    let ref_reader = FrameReader::open(reference, 0)?;
    let dist_reader = FrameReader::open(distorted, 0)?;
    let size = ref_reader.resolution();
    let mut dist_size = dist_reader.resolution();
    let mut acc = ScoreAccumulator::default();
    let (mut n_ref, mut n_dist) = (0u64, 0u64);
    let mut scaler: Option<(Resolution, Scaler)> = None;
    std::thread::scope(|scope| -> Result<()> {
        let refs = read_ahead(scope, ref_reader, 4, |_, _| {});
        let dists = read_ahead(scope, dist_reader, 4, |_, _| {});
        loop {
            let r = refs.recv().ok().transpose()?;
            let d = dists.recv().ok().transpose()?;
            n_ref += u64::from(r.is_some());
            n_dist += u64::from(d.is_some());
            let (Some(r), Some(d)) = (r, d) else {
                // Count the rest of the longer file.
                n_ref += refs.iter().map(|f| f.map(|_| 1)).sum::<Result<u64>>()?;
                n_dist += dists.iter().map(|f| f.map(|_| 1)).sum::<Result<u64>>()?;
                return Ok(());
            };
            let this = Resolution::new(d.width(), d.height());
            dist_size = this;
            let scores = if this == Resolution::new(r.width(), r.height()) {
                FrameScores::compare(&r, &d)
            } else {
                let target = Resolution::new(r.width(), r.height());
                if scaler.as_ref().is_none_or(|(from, _)| *from != this) {
                    scaler = Some((this, Scaler::new(this, target, Kernel::Bicubic)?));
                }
                let (_, s) = scaler
                    .as_mut()
                    .ok_or_else(|| Error::Internal("no scaler".into()))?;
                FrameScores::compare(&r, &s.scale(&d)?)
            };
            each(acc.frames(), &scores);
            acc.add(&scores);
        }
    })?;
    Ok(ScoreReport {
        reference: reference.to_path_buf(),
        distorted: distorted.to_path_buf(),
        width: size.width,
        height: size.height,
        distorted_width: dist_size.width,
        distorted_height: dist_size.height,
        scaled: dist_size != size,
        frames: acc.frames(),
        reference_frames: n_ref,
        distorted_frames: n_dist,
        mean: acc.mean(),
    })
}

/// Compare two files; see [`score_each`].
pub fn score(reference: &Path, distorted: &Path) -> Result<ScoreReport> {
    score_each(reference, distorted, |_, _| {})
}
