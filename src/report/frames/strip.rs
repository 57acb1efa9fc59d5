//! The strip: the crop where the pictures differ most, enlarged, beside the whole source
//! frame with the crop marked.

use super::*;

/// The widest crop, display pixels (so a strip of a 4K ladder stays a few thousand pixels
/// wide).
pub const MAX_CROP_WIDTH: u32 = 320;

/// The crop's size: a quarter of the display's width (at most [`MAX_CROP_WIDTH`]) and the
/// height of the display's shape, both even.
pub(super) fn crop_size(display: Resolution) -> (usize, usize) {
    let w = (display.width / 4).min(MAX_CROP_WIDTH);
    let h = (u64::from(w) * u64::from(display.height) / u64::from(display.width.max(1))) as u32;
    let even = |v: u32| (v & !1).max(2) as usize;
    (even(w), even(h))
}

/// The region where the pictures' luma differ most.
pub(super) fn most_different(
    display: Resolution,
    reference: &frame::Video,
    decoded: &[Decoded],
) -> Rect {
    let (cw, ch) = crop_size(display);
    let planes: Vec<Plane<'_>> = std::iter::once(reference)
        .chain(decoded.iter().map(|(f, _)| f))
        .map(|f| Plane::of_frame(f, 0))
        .collect();
    compose::most_different(&planes, cw, ch)
}

/// The strip: the whole source frame with the crop marked, then the crop of the source
/// and of every rung, enlarged.
pub(super) fn strip(
    m: &Manifest,
    report: &FramesReport,
    source_rgb: &RgbImage,
    pictures: &[RgbImage],
    font: &Path,
) -> Result<RgbImage> {
    let (crop, zoom) = (report.crop, report.zoom);
    let mut tiles = vec![
        overview_tile(m, report, source_rgb),
        Tile {
            picture: compose::zoom(&compose::crop(source_rgb, crop), zoom),
            label: vec![
                format!("source {}x{}", m.source.width, m.source.height),
                format!("{} {}", report.codec, report.preset),
                format!(
                    "segment {}: frames {}..{}",
                    report.segment,
                    report.segment_first_frame,
                    report.segment_end_frame - 1
                ),
            ],
        },
    ];
    let metric = report.quality_metric;
    let qd = if metric == Metric::Ssim { 4 } else { 2 };
    for (r, picture) in report.rungs.iter().zip(pictures) {
        tiles.push(Tile {
            picture: compose::zoom(&compose::crop(picture, crop), zoom),
            label: vec![
                format!("rung {}: {}x{}, CRF {}", r.rung, r.width, r.height, r.crf),
                format!(
                    "{:.0} kbit/s, {} {:.qd$}",
                    r.bitrate_kbps,
                    metric.field(),
                    r.quality
                ),
                format!(
                    "this frame: PSNR-Y {:.2} dB, SSIM {:.4}",
                    r.frame_psnr_y, r.frame_ssim_y
                ),
            ],
        });
    }
    // Rows of at most five tiles, as even as they come.
    let rows = tiles.len().div_ceil(5);
    let columns = tiles.len().div_ceil(rows);
    compose::grid(&tiles, columns, font)
}

/// The strip's first tile: the whole source frame, fitted to a tile, with the crop marked.
pub(super) fn overview_tile(m: &Manifest, report: &FramesReport, source_rgb: &RgbImage) -> Tile {
    let (display, crop, zoom, wanted) = (report.display, report.crop, report.zoom, report.frame);
    // Unrounded: frames.json's `time_s` is rounded to the microsecond.
    let time_s = m.source.frame_rate.duration_of(wanted);
    let tile_w = crop.width * zoom;
    let mut overview = compose::fit_width(source_rgb, tile_w);
    let scale = f64::from(tile_w) / f64::from(display.width);
    let scaled = |v: u32| (f64::from(v) * scale).round() as u32;
    compose::outline(
        &mut overview,
        Rect {
            x: scaled(crop.x),
            y: scaled(crop.y),
            width: scaled(crop.width).max(4),
            height: scaled(crop.height).max(4),
        },
        2,
        Rgb([255, 214, 0]),
    );
    Tile {
        picture: overview,
        label: vec![
            format!(
                "frame {wanted} at {time_s:.3} s ({}x{})",
                display.width, display.height
            ),
            report.chosen.clone(),
            format!(
                "crop {}x{} at ({}, {}), {zoom}x",
                crop.width, crop.height, crop.x, crop.y
            ),
        ],
    }
}
