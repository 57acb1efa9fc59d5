//! Manifests for other tools, made from a `ladder.json`.
//!
//! - [`points_csv`]: every measured point of every codec, one row each.
//! - [`hls_master`]: an HLS master playlist of the rungs, from the trial measurements, for a
//!   packager that makes the renditions itself (`pertitle package` writes one measured on
//!   its own segments).
//! - [`sabre`]: the JSON manifest of the Sabre ABR simulator (Spiteri et al., MMSys 2018):
//!   `segment_duration_ms`, `bitrates_kbps` (ascending, one per rung) and
//!   `segment_sizes_bits[segment][rung]`, from the rungs' measured per-segment sizes; and,
//!   beyond Sabre's own fields, `segment_quality[segment][rung]`, each rung's measured mean
//!   quality over each segment on the ladder's quality axis (`quality_metric`).

use crate::encode::codec::Codec;
use crate::error::{Error, Result};
use crate::manifest::{CodecLadder, Manifest};
use crate::measure::point::Metric;
use crate::package::PackageManifest;
use crate::package::bandwidth::{SegmentSize, hls_peak};
use crate::package::hls::{Variant, master_playlist};
use serde::Serialize;
use std::fmt::Write;

/// Every measured point as CSV with a header row, ladder by ladder in the manifest's order.
/// Columns: codec, width, height, crf, bitrate_kbps, psnr_y, psnr_yuv, ssim_y, vmaf (empty
/// when not measured), on_hull (on its codec's hull), and rung (the 1-based number of the
/// codec's rung the point is, else empty).
pub fn points_csv(m: &Manifest) -> String {
    let mut out = String::from(
        "codec,width,height,crf,bitrate_kbps,psnr_y,psnr_yuv,ssim_y,vmaf,on_hull,rung\n",
    );
    for (l, p) in m
        .ladders
        .iter()
        .flat_map(|l| l.points.iter().map(move |p| (l, p)))
    {
        let rung = l
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
            "{},{},{},{},{},{},{},{},{},{},{}",
            l.codec,
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
    /// The quality of `segment_quality`: a `segment_means` key of the ladder's quality axis
    /// (`vmaf`, `psnr_y` or `ssim_y`); absent when some rung's quality is not known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality_metric: Option<String>,
    /// `[segment][rung]`: each rung's mean quality over each segment, measured on its encode
    /// (not a field of Sabre's own, which ignores it; empty when `quality_metric` is absent).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub segment_quality: Vec<Vec<f64>>,
}

impl SabreManifest {
    /// Add each rung's per-segment quality on `metric` when every rung has one per segment
    /// (`rungs` in the manifest's order).
    fn with_quality<'a>(
        mut self,
        metric: Metric,
        rungs: impl IntoIterator<Item = Option<&'a [f64]>>,
    ) -> Self {
        let segments = self.segment_sizes_bits.len();
        let per_rung: Option<Vec<&[f64]>> = rungs
            .into_iter()
            .map(|q| q.filter(|q| q.len() == segments))
            .collect();
        if let Some(per_rung) = per_rung {
            self.quality_metric = Some(metric.field().to_string());
            self.segment_quality = (0..segments)
                .map(|s| per_rung.iter().map(|q| q[s]).collect())
                .collect();
        }
        self
    }
}

/// The ladder of `codec` (`None`: the first).
pub fn ladder_of(m: &Manifest, codec: Option<Codec>) -> Result<&CodecLadder> {
    match codec {
        None => m.ladders.first(),
        Some(c) => m.ladder(c),
    }
    .ok_or_else(|| {
        let codecs: Vec<String> = m.codecs().iter().map(|c| c.to_string()).collect();
        Error::Export(format!(
            "no {} ladder in the manifest (it has: {})",
            codec.map_or("".to_string(), |c| c.to_string()),
            codecs.join(", ")
        ))
    })
}

/// The Sabre manifest of the ladder of `codec` (`None`: the first; Sabre plays one ladder).
/// Fails when a rung has no measured segment sizes (an interpolated rung, which was never
/// encoded). Each rung's quality per segment is its trial point's.
pub fn sabre(m: &Manifest, codec: Option<Codec>) -> Result<SabreManifest> {
    let l = ladder_of(m, codec)?;
    if let Some((i, r)) = l.rungs.iter().enumerate().find(|(_, r)| r.sampled) {
        return Err(Error::SampledRung {
            rung: i + 1,
            width: r.width,
            height: r.height,
            crf: r.crf,
        });
    }
    if let Some((i, r)) = l.rungs.iter().enumerate().find(|(_, r)| r.interpolated) {
        return Err(Error::InterpolatedRung {
            rung: i + 1,
            width: r.width,
            height: r.height,
            crf: r.crf,
        });
    }
    let segments = m.segments.count;
    if let Some(r) = l
        .rungs
        .iter()
        .find(|r| r.segment_sizes_bits.len() != segments)
    {
        return Err(Error::Export(format!(
            "rung {}x{} has {} segment sizes for {segments} segments",
            r.width,
            r.height,
            r.segment_sizes_bits.len()
        )));
    }
    let metric = m.settings.metric;
    Ok(SabreManifest {
        segment_duration_ms: m.settings.segment_seconds * 1000.0,
        bitrates_kbps: l.rungs.iter().map(|r| r.bitrate_kbps).collect(),
        segment_sizes_bits: (0..segments)
            .map(|s| l.rungs.iter().map(|r| r.segment_sizes_bits[s]).collect())
            .collect(),
        quality_metric: None,
        segment_quality: Vec::new(),
    }
    .with_quality(
        metric,
        l.rungs
            .iter()
            .map(|r| r.segment_means.get(metric.field()).map(Vec::as_slice)),
    ))
}

/// The default media playlist URI of a rung in [`hls_master`]: where `pertitle package` puts
/// it, for a manifest of one codec ...
pub const DEFAULT_URI_TEMPLATE: &str = "rung{index}_{height}p/media.m3u8";

/// ... and of several.
pub const DEFAULT_MULTI_CODEC_URI_TEMPLATE: &str = "{codec}_rung{index}_{height}p/media.m3u8";

/// Where `pertitle package` puts the media playlist of a rung of `m` by default.
pub fn default_uri_template(m: &Manifest) -> &'static str {
    if m.ladders.len() > 1 {
        DEFAULT_MULTI_CODEC_URI_TEMPLATE
    } else {
        DEFAULT_URI_TEMPLATE
    }
}

/// An HLS master playlist of every ladder's rungs (players choose among the codecs by
/// `CODECS`), made from the trial encodes: `BANDWIDTH` is the rung's peak segment bit rate
/// (RFC 8216bis windows over its segment sizes) and `AVERAGE-BANDWIDTH` its average (encoded
/// video bits; an interpolated rung's are estimates), `CODECS` the trial encode's. Each
/// rung's URI is `uri_template` with `{codec}`, `{index}` (1-based within its codec, by
/// increasing bitrate), `{width}`, `{height}` and `{kbps}` (the rounded average) filled in.
pub fn hls_master(m: &Manifest, uri_template: &str) -> Result<String> {
    if m.ladders.len() > 1 && !uri_template.contains("{codec}") {
        return Err(Error::Export(format!(
            "the URI template {uri_template:?} has no {{codec}}: the rungs of the {} ladders would share URIs",
            m.ladders.len()
        )));
    }
    let variants = m
        .ladders
        .iter()
        .flat_map(|l| l.rungs.iter().enumerate().map(move |(i, r)| (l.codec, i, r)))
        .map(|(codec, i, r)| {
            if r.codecs.is_empty() {
                return Err(Error::Export(format!(
                    "rung {} ({}x{}) has no codecs string; this ladder.json predates them, run `pertitle optimize` again",
                    i + 1,
                    r.width,
                    r.height
                )));
            }
            let uri = uri_template
                .replace("{codec}", codec.name())
                .replace("{index}", &(i + 1).to_string())
                .replace("{width}", &r.width.to_string())
                .replace("{height}", &r.height.to_string())
                .replace("{kbps}", &format!("{:.0}", r.bitrate_kbps));
            // A measured rung's peak as RFC 8216bis defines it (windows of 0.5 to 1.5
            // target durations); an interpolated rung has only its estimated peak.
            let peak_bps = if r.segment_sizes_bits.len() == m.segments.durations_s.len()
                && !r.segment_sizes_bits.is_empty()
            {
                let sizes: Vec<SegmentSize> = r
                    .segment_sizes_bits
                    .iter()
                    .zip(&m.segments.durations_s)
                    .map(|(&bits, &duration_s)| SegmentSize { bits, duration_s })
                    .collect();
                hls_peak(&sizes)
            } else {
                r.peak_kbps * 1000.0
            };
            Ok(Variant {
                bandwidth: peak_bps.max(r.bitrate_kbps * 1000.0).ceil() as u64,
                average_bandwidth: (r.bitrate_kbps * 1000.0).ceil() as u64,
                codecs: r.codecs.clone(),
                width: r.width,
                height: r.height,
                uri,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(master_playlist(&variants, m.source.frame_rate))
}

/// The Sabre manifest of a package written by `pertitle package`: every rung of `codec`
/// (`None`: the package's first codec; interpolated rungs too, since they were encoded) with
/// the sizes of its segment files, i.e. what a player downloads, container included, and the
/// quality on `metric` (the ladder's axis) measured on each final encode, per segment (left
/// out for a package of an older pertitle, which did not measure it).
pub fn sabre_from_package(
    p: &PackageManifest,
    codec: Option<Codec>,
    metric: Metric,
) -> Result<SabreManifest> {
    let Some(codec) = codec.or_else(|| p.renditions.first().map(|r| r.codec)) else {
        return Err(Error::Export("the package has no renditions".into()));
    };
    let segments = p.segment_durations_s.len();
    if let Some(r) = p
        .renditions
        .iter()
        .find(|r| r.segment_bytes.len() != segments)
    {
        return Err(Error::Export(format!(
            "rendition {} has {} segments, the package {segments}",
            r.name,
            r.segment_bytes.len()
        )));
    }
    let total: f64 = p.segment_durations_s.iter().sum();
    if total.is_nan() || total <= 0.0 {
        return Err(Error::Export("the package has no segments".into()));
    }
    let mut renditions: Vec<_> = p.renditions.iter().filter(|r| r.codec == codec).collect();
    if renditions.is_empty() {
        return Err(Error::Export(format!(
            "the package has no {codec} renditions"
        )));
    }
    renditions.sort_by_key(|r| r.hls_average_bandwidth);
    Ok(SabreManifest {
        segment_duration_ms: p.segment_seconds * 1000.0,
        bitrates_kbps: renditions
            .iter()
            .map(|r| {
                let bits: u64 = r.segment_bytes.iter().map(|b| b * 8).sum();
                crate::measure::point::round(bits as f64 / total / 1000.0, 3)
            })
            .collect(),
        segment_sizes_bits: (0..segments)
            .map(|s| renditions.iter().map(|r| r.segment_bytes[s] * 8).collect())
            .collect(),
        quality_metric: None,
        segment_quality: Vec::new(),
    }
    .with_quality(metric, renditions.iter().map(|r| r.quality(metric.field()))))
}
