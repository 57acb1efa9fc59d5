//! Manifests for other tools, made from a `ladder.json`.
//!
//! - [`points_csv`]: every measured point, one row each.
//! - [`sabre`]: the JSON manifest of the Sabre ABR simulator (Spiteri et al., MMSys 2018):
//!   `segment_duration_ms`, `bitrates_kbps` (ascending, one per rung) and
//!   `segment_sizes_bits[segment][rung]`, from the rungs' measured per-segment sizes.

use crate::error::{Error, Result};
use crate::manifest::Manifest;
use serde::Serialize;
use std::fmt::Write;

/// Every measured point as CSV with a header row, in the manifest's order. Columns: width,
/// height, crf, bitrate_kbps, psnr_y, psnr_yuv, ssim_y, vmaf (empty when not measured),
/// on_hull, and rung (the 1-based rung number when the point is a rung, else empty).
pub fn points_csv(m: &Manifest) -> String {
    let mut out =
        String::from("width,height,crf,bitrate_kbps,psnr_y,psnr_yuv,ssim_y,vmaf,on_hull,rung\n");
    for p in &m.points {
        let rung = m
            .rungs
            .iter()
            .position(|r| {
                !r.interpolated
                    && (r.width, r.height) == (p.width, p.height)
                    && r.crf == p.crf
                    && r.bitrate_kbps == p.bitrate_kbps
            })
            .map_or(String::new(), |i| (i + 1).to_string());
        let vmaf = p.vmaf.map_or(String::new(), |v| v.to_string());
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{}",
            p.width,
            p.height,
            p.crf,
            p.bitrate_kbps,
            p.psnr_y,
            p.psnr_yuv,
            p.ssim_y,
            vmaf,
            p.on_hull,
            rung
        );
    }
    out
}

/// Sabre's manifest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SabreManifest {
    /// The nominal segment duration (every segment but possibly the last lasts this long).
    pub segment_duration_ms: f64,
    /// One per rung, ascending.
    pub bitrates_kbps: Vec<f64>,
    /// `[segment][rung]`, bits.
    pub segment_sizes_bits: Vec<Vec<u64>>,
}

/// The Sabre manifest of the ladder. Fails when a rung has no measured segment sizes (an
/// interpolated rung, which was never encoded).
pub fn sabre(m: &Manifest) -> Result<SabreManifest> {
    if let Some((i, r)) = m.rungs.iter().enumerate().find(|(_, r)| r.interpolated) {
        return Err(Error::Export(format!(
            "rung {} ({}x{} CRF {}) is interpolated between two measured CRFs and has no measured segment sizes; choose measured rungs only with `pertitle ladder IN -o OUT --measured-only`",
            i + 1,
            r.width,
            r.height,
            r.crf
        )));
    }
    let segments = m.segments.count;
    if let Some(r) = m
        .rungs
        .iter()
        .find(|r| r.segment_sizes_bits.len() != segments)
    {
        return Err(Error::Internal(format!(
            "rung {}x{} has {} segment sizes for {segments} segments",
            r.width,
            r.height,
            r.segment_sizes_bits.len()
        )));
    }
    Ok(SabreManifest {
        segment_duration_ms: m.settings.segment_seconds * 1000.0,
        bitrates_kbps: m.rungs.iter().map(|r| r.bitrate_kbps).collect(),
        segment_sizes_bits: (0..segments)
            .map(|s| m.rungs.iter().map(|r| r.segment_sizes_bits[s]).collect())
            .collect(),
    })
}
