//! What the simulator plays: a ladder's rungs as segment sizes and per-segment quality.
//!
//! A [`Movie`] comes from a pertitle `ladder.json` (one codec's ladder; the quality of each
//! segment is the ladder's own metric, `segment_means`, VMAF by default), optionally with a
//! package directory whose final encodes give every rung, interpolated ones included, its
//! real segment sizes (the segment files, container included), its measured average
//! bitrate as the nominal one, and its measured quality (`package.json`; the ladder's
//! estimate for a package written with `--no-score`); or from a Sabre movie JSON (`segment_duration_ms`, `bitrates_kbps`,
//! `segment_sizes_bits`), which carries no quality, so the quality is Sabre's utility, the
//! natural log of the rung's bitrate over the lowest one, unless the file is pertitle's own
//! export, whose `segment_quality[segment][rung]` (in `quality_metric`) is played instead.

use crate::encode::codec::Codec;
use crate::error::{Error, Result};
use crate::manifest::Manifest;
use crate::package::PackageManifest;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The quality scale of a movie's segments.
#[derive(Debug, Clone, PartialEq)]
pub enum QualityScale {
    /// A measured metric of the ladder (`vmaf`, `psnr_y`, `ssim_y`, ...).
    Metric(String),
    /// Sabre's utility: `ln(bitrate / lowest bitrate)`, for a movie without measured quality.
    LogBitrate,
}

impl QualityScale {
    /// The name the outputs use.
    pub fn name(&self) -> &str {
        match self {
            QualityScale::Metric(m) => m,
            QualityScale::LogBitrate => "log_bitrate",
        }
    }
}

/// One rung as played.
#[derive(Debug, Clone, PartialEq)]
pub struct MovieRung {
    /// Frame width and height, when known (a Sabre movie has none).
    pub size: Option<(u32, u32)>,
    /// The rung's nominal bitrate, kbit/s.
    pub bitrate_kbps: f64,
    /// Bits to fetch for each segment of the title.
    pub segment_bits: Vec<f64>,
    /// Quality of each segment of the title.
    pub segment_quality: Vec<f64>,
}

impl MovieRung {
    /// `1280x720 2536 kbps`, or `2536 kbps` without a size.
    pub fn label(&self) -> String {
        match self.size {
            Some((w, h)) => format!("{w}x{h} {:.0} kbps", self.bitrate_kbps),
            None => format!("{:.0} kbps", self.bitrate_kbps),
        }
    }
}

/// A title's rungs, lowest bitrate first, each with one size and one quality per segment.
#[derive(Debug, Clone, PartialEq)]
pub struct Movie {
    /// Where it was read from.
    pub path: PathBuf,
    /// The codec of the ladder played (none for a Sabre movie).
    pub codec: Option<Codec>,
    /// What the segment qualities measure.
    pub quality: QualityScale,
    /// Each segment's duration, seconds (the same in every rung).
    pub segment_durations_s: Vec<f64>,
    /// The rungs, by increasing bitrate.
    pub rungs: Vec<MovieRung>,
}

/// Where a rung's sizes come from when a ladder is read.
#[derive(Debug, Clone, Copy, Default)]
pub struct MovieSource<'a> {
    /// The codec's ladder to play (`None`: the first).
    pub codec: Option<Codec>,
    /// The quality metric (`None`: the ladder's, `settings.quality_field`).
    pub metric: Option<&'a str>,
    /// A package of the ladder: its final encodes' sizes (and measured quality, where it
    /// has it) replace the ladder's.
    pub package: Option<(&'a PackageManifest, &'a Path)>,
    /// Play the fixed reference ladder the ladder was compared with (`optimize
    /// --compare-to`), whose rungs were encoded and measured on the title, instead.
    pub reference: bool,
}

/// Sabre's movie JSON.
#[derive(Debug, Deserialize)]
struct SabreMovie {
    segment_duration_ms: f64,
    bitrates_kbps: Vec<f64>,
    segment_sizes_bits: Vec<Vec<f64>>,
    /// `pertitle export --format sabre` adds the quality of each segment at each rung.
    #[serde(default)]
    quality_metric: Option<String>,
    #[serde(default)]
    segment_quality: Vec<Vec<f64>>,
}

impl Movie {
    /// Read a `ladder.json` or a Sabre movie, told apart by their fields.
    pub fn load(path: &Path, source: MovieSource) -> Result<Movie> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| Error::Manifest {
                path: path.to_path_buf(),
                cause: e,
            })?;
        if value.get("schema_version").is_some() {
            let manifest = Manifest::read(path)?;
            return Movie::from_manifest(&manifest, path, source);
        }
        if value.get("segment_sizes_bits").is_some() {
            let sabre: SabreMovie = serde_json::from_value(value).map_err(|e| Error::Manifest {
                path: path.to_path_buf(),
                cause: e,
            })?;
            return Movie::from_sabre(sabre, path);
        }
        Err(unplayable(
            path,
            "neither a pertitle ladder.json (no schema_version) nor a Sabre movie (no segment_sizes_bits)",
        ))
    }

    /// The ladder of `source.codec` in `manifest` (read from `path`).
    pub fn from_manifest(manifest: &Manifest, path: &Path, source: MovieSource) -> Result<Movie> {
        let ladder = crate::package::export::ladder_of(manifest, source.codec)?;
        let metric = source
            .metric
            .unwrap_or(manifest.settings.quality_field.as_str());
        let segments = manifest.segments.count;
        if source.reference {
            return Movie::reference_of(manifest, ladder, path, metric);
        }
        let package = match source.package {
            Some((p, dir)) => {
                p.check_matches(manifest, dir)?;
                Some(p)
            }
            None => None,
        };
        let first = manifest
            .ladders
            .iter()
            .take_while(|l| l.codec != ladder.codec)
            .map(|l| l.rungs.len())
            .sum::<usize>();
        let mut rungs = Vec::with_capacity(ladder.rungs.len());
        for (i, r) in ladder.rungs.iter().enumerate() {
            let what = format!(
                "rung {} ({}x{}, CRF {:.2})",
                i + 1,
                r.width,
                r.height,
                r.crf
            );
            let mut bitrate_kbps = r.bitrate_kbps;
            let (segment_bits, segment_quality) = match package {
                Some(p) => {
                    let rendition = &p.renditions[first + i];
                    let bits: Vec<f64> = rendition
                        .segment_bytes
                        .iter()
                        .map(|&b| b as f64 * 8.0)
                        .collect();
                    bitrate_kbps = rendition.hls_average_bandwidth as f64 / 1000.0;
                    let quality = rendition
                        .quality(metric)
                        .or_else(|| r.segment_means.get(metric).map(Vec::as_slice))
                        .map(<[f64]>::to_vec);
                    (bits, quality)
                }
                None => {
                    if r.sampled || r.segment_sizes_bits.is_empty() {
                        let why = if r.sampled {
                            "was chosen on a sample of the title"
                        } else {
                            "is interpolated"
                        };
                        return Err(unplayable(
                            path,
                            &format!(
                                "{what} {why}, so it has no segment sizes (play a package of the ladder with --package DIR, or keep measured rungs only with `pertitle ladder --measured-only`)"
                            ),
                        ));
                    }
                    let bits = r.segment_sizes_bits.iter().map(|&b| b as f64).collect();
                    (bits, r.segment_means.get(metric).cloned())
                }
            };
            let Some(segment_quality) = segment_quality else {
                return Err(unplayable(
                    path,
                    &format!("{what} has no per-segment {metric} (was it measured?)"),
                ));
            };
            if segment_bits.len() != segments || segment_quality.len() != segments {
                return Err(unplayable(
                    path,
                    &format!(
                        "{what} has {} segment sizes and {} qualities for {segments} segments",
                        segment_bits.len(),
                        segment_quality.len()
                    ),
                ));
            }
            if let Some(k) = segment_quality.iter().position(|q| !q.is_finite()) {
                return Err(unplayable(
                    path,
                    &format!("{what} has no {metric} for segment {}", k + 1),
                ));
            }
            rungs.push(MovieRung {
                size: Some((r.width, r.height)),
                bitrate_kbps,
                segment_bits,
                segment_quality,
            });
        }
        Movie::checked(Movie {
            path: path.to_path_buf(),
            codec: Some(ladder.codec),
            quality: QualityScale::Metric(metric.to_string()),
            segment_durations_s: manifest.segments.durations_s.clone(),
            rungs,
        })
    }

    /// The fixed reference ladder `ladder` was compared with, as encoded on the title.
    fn reference_of(
        manifest: &Manifest,
        ladder: &crate::manifest::CodecLadder,
        path: &Path,
        metric: &str,
    ) -> Result<Movie> {
        let Some(comparison) = &ladder.comparison else {
            return Err(unplayable(
                path,
                &format!(
                    "the {} ladder was not compared with a reference ladder (optimize --compare-to)",
                    ladder.codec
                ),
            ));
        };
        let segments = manifest.segments.count;
        let mut rungs = Vec::with_capacity(comparison.rungs.len());
        for (i, r) in comparison.rungs.iter().enumerate() {
            let what = format!(
                "{} rung {} ({}x{} at {} kbps)",
                comparison.reference.name(),
                i + 1,
                r.width,
                r.height,
                r.target_kbps
            );
            let Some(quality) = r.segment_means.get(metric) else {
                return Err(unplayable(
                    path,
                    &format!("{what} has no per-segment {metric} (was it measured?)"),
                ));
            };
            if r.segment_sizes_bits.len() != segments
                || quality.len() != segments
                || quality.iter().any(|q| !q.is_finite())
            {
                return Err(unplayable(
                    path,
                    &format!("{what} lacks segment sizes or {metric} for {segments} segments"),
                ));
            }
            rungs.push(MovieRung {
                size: Some((r.width, r.height)),
                bitrate_kbps: r.bitrate_kbps,
                segment_bits: r.segment_sizes_bits.iter().map(|&b| b as f64).collect(),
                segment_quality: quality.clone(),
            });
        }
        // Rungs by increasing bitrate (two rungs of a fixed ladder may land close together).
        rungs.sort_by(|a, b| a.bitrate_kbps.total_cmp(&b.bitrate_kbps));
        Movie::checked(Movie {
            path: path.to_path_buf(),
            codec: Some(ladder.codec),
            quality: QualityScale::Metric(metric.to_string()),
            segment_durations_s: manifest.segments.durations_s.clone(),
            rungs,
        })
    }

    fn from_sabre(sabre: SabreMovie, path: &Path) -> Result<Movie> {
        let n = sabre.bitrates_kbps.len();
        if n == 0
            || sabre
                .bitrates_kbps
                .iter()
                .any(|b| !(*b > 0.0 && b.is_finite()))
        {
            return Err(unplayable(
                path,
                "bitrates_kbps must list at least one positive bitrate",
            ));
        }
        if sabre.segment_duration_ms.is_nan() || sabre.segment_duration_ms <= 0.0 {
            return Err(unplayable(path, "segment_duration_ms must be positive"));
        }
        if let Some(k) = sabre.segment_sizes_bits.iter().position(|s| s.len() != n) {
            return Err(unplayable(
                path,
                &format!(
                    "segment {} has a size count other than the {n} bitrates",
                    k + 1
                ),
            ));
        }
        let lowest = sabre.bitrates_kbps[0];
        let segments = sabre.segment_sizes_bits.len();
        let measured = match &sabre.quality_metric {
            Some(_) if !sabre.segment_quality.is_empty() => {
                if sabre.segment_quality.len() != segments
                    || sabre.segment_quality.iter().any(|q| q.len() != n)
                {
                    return Err(unplayable(
                        path,
                        "segment_quality does not have one value per segment and rung",
                    ));
                }
                true
            }
            _ => false,
        };
        let rungs = (0..n)
            .map(|r| MovieRung {
                size: None,
                bitrate_kbps: sabre.bitrates_kbps[r],
                segment_bits: sabre.segment_sizes_bits.iter().map(|s| s[r]).collect(),
                segment_quality: if measured {
                    sabre.segment_quality.iter().map(|q| q[r]).collect()
                } else {
                    vec![(sabre.bitrates_kbps[r] / lowest).ln(); segments]
                },
            })
            .collect();
        let quality = match sabre.quality_metric {
            Some(m) if measured => QualityScale::Metric(m),
            _ => QualityScale::LogBitrate,
        };
        Movie::checked(Movie {
            path: path.to_path_buf(),
            codec: None,
            quality,
            segment_durations_s: vec![sabre.segment_duration_ms / 1000.0; segments],
            rungs,
        })
    }

    /// Refuse what cannot be played: no segments, no rungs, negative sizes or durations,
    /// bitrates out of order.
    fn checked(movie: Movie) -> Result<Movie> {
        let path = &movie.path;
        if movie.segment_durations_s.is_empty() {
            return Err(unplayable(path, "no segments"));
        }
        if movie.rungs.is_empty() {
            return Err(unplayable(path, "no rungs"));
        }
        if movie
            .segment_durations_s
            .iter()
            .any(|d| !(*d > 0.0 && d.is_finite()))
        {
            return Err(unplayable(path, "a segment lasts no time"));
        }
        if movie
            .rungs
            .iter()
            .flat_map(|r| &r.segment_bits)
            .any(|b| !(*b >= 0.0 && b.is_finite()))
        {
            return Err(unplayable(
                path,
                "a segment size is negative or not a number",
            ));
        }
        if movie
            .rungs
            .windows(2)
            .any(|w| w[1].bitrate_kbps < w[0].bitrate_kbps)
        {
            return Err(unplayable(
                path,
                "the rungs' bitrates are not in increasing order",
            ));
        }
        Ok(movie)
    }

    /// Number of segments in the title.
    pub fn segments(&self) -> usize {
        self.segment_durations_s.len()
    }

    /// The title's duration, seconds.
    pub fn duration_s(&self) -> f64 {
        self.segment_durations_s.iter().sum()
    }

    /// The nominal segment duration: the longest segment's (every segment but a title's
    /// last lasts that long when the title is cut at a fixed duration).
    pub fn segment_s(&self) -> f64 {
        self.segment_durations_s.iter().copied().fold(0.0, f64::max)
    }

    /// The mean quality of rung `r` over the title, weighted by segment duration.
    pub fn rung_quality(&self, r: usize) -> f64 {
        let rung = &self.rungs[r];
        rung.segment_quality
            .iter()
            .zip(&self.segment_durations_s)
            .map(|(q, d)| q * d)
            .sum::<f64>()
            / self.duration_s()
    }

    /// The movie with only the rungs `keep` says yes to; an error naming `why` when none is
    /// left.
    pub fn retain_rungs(mut self, keep: impl Fn(&MovieRung) -> bool, why: &str) -> Result<Movie> {
        self.rungs.retain(|r| keep(r));
        if self.rungs.is_empty() {
            return Err(unplayable(&self.path, &format!("no rung is left {why}")));
        }
        Ok(self)
    }
}

fn unplayable(path: &Path, problem: &str) -> Error {
    Error::Unplayable {
        path: path.to_path_buf(),
        problem: problem.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sabre_movie_plays_log_bitrate_utility() {
        let sabre = SabreMovie {
            segment_duration_ms: 3000.0,
            bitrates_kbps: vec![500.0, 1000.0, 4000.0],
            segment_sizes_bits: vec![vec![1.5e6, 3e6, 12e6]; 4],
            quality_metric: None,
            segment_quality: Vec::new(),
        };
        let m = Movie::from_sabre(sabre, Path::new("m.json")).unwrap();
        assert_eq!(m.segments(), 4);
        assert_eq!(m.duration_s(), 12.0);
        assert_eq!(m.rungs[1].segment_bits, vec![3e6; 4]);
        assert!((m.rungs[2].segment_quality[0] - 8f64.ln()).abs() < 1e-12);
        assert_eq!(m.rungs[0].segment_quality[3], 0.0);
        assert_eq!(m.quality, QualityScale::LogBitrate);
    }

    #[test]
    fn pertitle_s_export_plays_its_measured_quality() {
        let sabre = SabreMovie {
            segment_duration_ms: 4000.0,
            bitrates_kbps: vec![500.0, 1000.0],
            segment_sizes_bits: vec![vec![2e6, 4e6]; 2],
            quality_metric: Some("vmaf".into()),
            segment_quality: vec![vec![60.0, 80.0], vec![50.0, 70.0]],
        };
        let m = Movie::from_sabre(sabre, Path::new("m.json")).unwrap();
        assert_eq!(m.quality, QualityScale::Metric("vmaf".into()));
        assert_eq!(m.rungs[1].segment_quality, vec![80.0, 70.0]);
        assert_eq!(m.rung_quality(0), 55.0);
    }

    #[test]
    fn a_sabre_movie_with_a_missing_size_is_refused() {
        let sabre = SabreMovie {
            segment_duration_ms: 3000.0,
            bitrates_kbps: vec![500.0, 1000.0],
            segment_sizes_bits: vec![vec![1.0, 2.0], vec![1.0]],
            quality_metric: None,
            segment_quality: Vec::new(),
        };
        let e = Movie::from_sabre(sabre, Path::new("m.json")).unwrap_err();
        assert!(
            e.to_string()
                .contains("m.json: cannot be played: segment 2"),
            "{e}"
        );
    }
}
