//! The worst frames of a score, as pictures: for each, the reference, the distorted frame
//! and a heat map of local error side by side, with the frame's numbers.

use crate::error::{Error, Result, Setting};
use crate::report::picture::compose::{self, Tile};
use crate::report::picture::heatmap::{self, BlockMap, HeatMap};
use crate::report::picture::rgb::{Colour, to_rgb};
use crate::score::{FrameRecord, ScoreReport, to_display};
use crate::source::resolution::Resolution;
use crate::source::{FrameReader, read_ahead};
use ffmpeg_next::frame;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file beside the pictures that lists them.
pub const WORST_JSON: &str = "worst.json";

/// One of the worst frames.
#[derive(Debug, Clone, Serialize)]
pub struct WorstFrame {
    /// 1 for the worst.
    pub rank: usize,
    /// Index of the frame in display order, from 0.
    pub frame: u64,
    /// Its presentation time, seconds from the first frame (index / frame rate).
    pub time_s: f64,
    /// The composite, relative to the output directory.
    pub file: String,
    /// Every metric measured on the frame.
    pub metrics: BTreeMap<String, f64>,
    /// The heat map's lowest block value (SSIM, or PSNR in dB).
    pub worst_block: f64,
    /// Where the worst block starts: x and y, pixels.
    pub worst_block_at: [u32; 2],
}

/// `worst.json`.
#[derive(Debug, Clone, Serialize)]
pub struct WorstReport {
    /// The reference file.
    pub reference: PathBuf,
    /// The distorted file.
    pub distorted: PathBuf,
    /// The metric the frames are ranked by (lowest first).
    pub ranked_by: String,
    /// Width of the pictures, pixels (the size the frames were scored at).
    pub width: u32,
    /// Height of the pictures, pixels.
    pub height: u32,
    /// What the heat map shows.
    pub heat_map: String,
    /// The worst frames, worst first.
    pub frames: Vec<WorstFrame>,
}

/// The `count` frames of `records` with the lowest `metric` (lowest first; ties by index).
pub fn pick(records: &[FrameRecord], metric: &str, count: usize) -> Vec<(u64, f64)> {
    let mut values: Vec<(u64, f64)> = records
        .iter()
        .filter_map(|r| {
            r.values()
                .into_iter()
                .find(|(k, _)| *k == metric)
                .map(|(_, v)| (r.frame, v))
        })
        .collect();
    values.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    values.truncate(count);
    values
}

/// The name of rank `rank`'s composite.
fn file_name(rank: usize, frame: u64, metric: &str, value: f64) -> String {
    format!("worst{rank:02}_frame{frame:06}_{metric}{value:.2}.png")
}

/// Write the composites of the `count` worst frames of `report` by `metric` (a name in
/// [`crate::score::METRIC_ORDER`]; `report` must hold per-frame values) into `out`, and
/// `worst.json` beside them. The files are decoded again, resized to the scoring size as
/// they were scored.
pub fn write_worst(
    report: &ScoreReport,
    metric: &str,
    count: usize,
    heat_map: HeatMap,
    out: &Path,
    font: &Path,
) -> Result<WorstReport> {
    if report.per_frame.is_empty() {
        return Err(Error::Internal("no per-frame values to rank".into()));
    }
    let worst = pick(&report.per_frame, metric, count);
    let count = worst.len();
    if worst.is_empty() {
        return Err(Error::setting(
            Setting::RankBy,
            format!("cannot rank frames by {metric}: it was not measured"),
        ));
    }
    let display = Resolution::new(report.width, report.height);
    let wanted: Vec<u64> = worst.iter().map(|w| w.0).collect();
    let (rate, pairs) = frames_at(&report.reference, &report.distorted, display, &wanted)?;
    let mut frames = Vec::with_capacity(worst.len());
    let mut pictures: Vec<(String, Vec<u8>)> = Vec::with_capacity(worst.len());
    for (rank, ((index, value), (colour, r, d))) in worst.iter().zip(&pairs).enumerate() {
        let (rank, colour) = (rank + 1, *colour);
        let record = &report.per_frame[*index as usize];
        let map = BlockMap::of(
            heat_map,
            crate::measure::metrics::Plane::of_frame(r, 0),
            crate::measure::metrics::Plane::of_frame(d, 0),
        );
        let (min_i, min_v) =
            map.values
                .iter()
                .enumerate()
                .fold(
                    (0, f64::INFINITY),
                    |best, (i, &v)| if v < best.1 { (i, v) } else { best },
                );
        let time_s = rate.duration_of(*index);
        let values: Vec<String> = record
            .values()
            .iter()
            .map(|(k, v)| format!("{k} {v:.4}"))
            .collect();
        let tiles = [
            Tile {
                picture: to_rgb(r, colour),
                label: vec![
                    format!("reference: frame {index} at {time_s:.3} s"),
                    report.reference.display().to_string(),
                ],
            },
            Tile {
                picture: to_rgb(d, colour),
                label: vec![
                    format!("distorted: {metric} {value:.4} (rank {rank} of {count} worst)"),
                    values.join("  "),
                ],
            },
            Tile {
                picture: map.picture(display.width, display.height),
                label: vec![
                    heat_map.legend(),
                    match heat_map {
                        HeatMap::Ssim => format!("lowest block SSIM {min_v:.4}"),
                        HeatMap::Error => format!("lowest block PSNR {min_v:.2} dB"),
                    },
                ],
            },
        ];
        let file = file_name(rank, *index, metric, *value);
        let path = out.join(&file);
        crate::util::overwrite::refuse_input_overwrite(
            &path,
            &[&report.reference, &report.distorted],
            false,
        )?;
        pictures.push((
            file.clone(),
            compose::png(&compose::grid(&tiles, 3, font)?)?,
        ));
        let block = |i: usize| (i * heatmap::BLOCK) as u32;
        frames.push(WorstFrame {
            rank,
            frame: *index,
            time_s: crate::measure::point::round(time_s, 6),
            file,
            metrics: record
                .values()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            // An infinite PSNR (equal frames) is recorded as 100 dB, which JSON can hold.
            worst_block: crate::measure::point::round(min_v.min(100.0), 6),
            worst_block_at: [block(min_i % map.columns), block(min_i / map.columns)],
        });
    }
    let worst = WorstReport {
        reference: report.reference.clone(),
        distorted: report.distorted.clone(),
        ranked_by: metric.to_string(),
        width: display.width,
        height: display.height,
        heat_map: heat_map.describe(),
        frames,
    };
    let json = serde_json::to_vec_pretty(&worst).map_err(|cause| Error::Serialize {
        what: WORST_JSON.into(),
        cause,
    })?;
    let path = out.join(WORST_JSON);
    crate::util::overwrite::refuse_input_overwrite(
        &path,
        &[&report.reference, &report.distorted],
        false,
    )?;
    crate::util::atomic::write_listed(
        out,
        ".pertitle-worst-",
        &pictures,
        (WORST_JSON, &json),
        |earlier| {
            serde_json::from_slice::<serde_json::Value>(earlier)
                .ok()
                .and_then(|v| {
                    v["frames"].as_array().map(|f| {
                        f.iter()
                            .filter_map(|x| x["file"].as_str().map(str::to_string))
                            .collect()
                    })
                })
                .unwrap_or_default()
        },
    )?;
    Ok(worst)
}

/// A reference frame's colour, and the reference and distorted frames at the display size.
type DisplayPair = (Colour, frame::Video, frame::Video);

/// The frames at `indices` of both files, resized to `display` (bicubic), in the order of
/// `indices`; and the reference's frame rate.
fn frames_at(
    reference: &Path,
    distorted: &Path,
    display: Resolution,
    indices: &[u64],
) -> Result<(crate::FrameRate, Vec<DisplayPair>)> {
    let ref_reader = FrameReader::open(reference, 0)?;
    let dist_reader = FrameReader::open(distorted, 0)?;
    let rate = ref_reader.frame_rate();
    let last = indices.iter().copied().max().unwrap_or(0);
    let mut kept: BTreeMap<u64, DisplayPair> = BTreeMap::new();
    std::thread::scope(|scope| -> Result<()> {
        let (_, no_ref) = std::sync::mpsc::channel();
        let (_, no_dist) = std::sync::mpsc::channel();
        let mut ref_display = to_display(display, no_ref);
        let mut dist_display = to_display(display, no_dist);
        // Only the wanted frames are resized; the others pass through untouched.
        let refs = read_ahead(scope, ref_reader, 4, |_, f| Ok(f));
        let dists = read_ahead(scope, dist_reader, 4, |_, f| Ok(f));
        for index in 0..=last {
            let (Some(r), Some(d)) = (refs.recv().ok(), dists.recv().ok()) else {
                return Err(Error::Internal(format!(
                    "{} or {} ended before frame {index}",
                    reference.display(),
                    distorted.display()
                )));
            };
            let (r, d) = (r?, d?);
            if indices.contains(&index) {
                // The colour the reference states, read before resizing drops it.
                let colour = Colour::of(&r);
                let pair = (ref_display(index, r)?, dist_display(index, d)?);
                kept.insert(index, (colour, pair.0, pair.1));
            }
        }
        Ok(())
    })?;
    indices
        .iter()
        .map(|i| {
            kept.get(i)
                .cloned()
                .ok_or_else(|| Error::Internal(format!("frame {i} was not decoded")))
        })
        .collect::<Result<Vec<_>>>()
        .map(|pairs| (rate, pairs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pick_ranks_lowest_first_ties_by_index() {
        let rec = |frame, psnr| FrameRecord {
            frame,
            psnr_y: Some(psnr),
            ..FrameRecord::default()
        };
        let records = [
            rec(0, 40.0),
            rec(1, 30.0),
            rec(2, 35.0),
            rec(3, 30.0),
            rec(4, 50.0),
        ];
        assert_eq!(
            pick(&records, "psnr_y", 3),
            vec![(1, 30.0), (3, 30.0), (2, 35.0)]
        );
        assert_eq!(pick(&records, "psnr_y", 10).len(), 5);
        assert!(pick(&records, "vmaf", 3).is_empty());
    }
}
