//! The report's plots, drawn with `plotters`: the rate-quality plot (SVG for the page, PNG
//! for `--png`), the per-rung segment bitrates (SVG), and a playback simulation's (`simulation`).
//!
//! Titles and legends are laid out here at fixed positions rather than by `plotters`, so the
//! SVG needs no font at all (the browser renders its text); only the PNG, whose text is
//! rasterized here, needs a TrueType font file.

use crate::Manifest;
use crate::encode::codec::Codec;
use crate::error::{Error, Result};
use crate::manifest::CodecLadder;
use crate::measure::point::{Measured, Metric};
use crate::package::PackageManifest;
use plotters::coord::Shift;
use plotters::coord::combinators::WithKeyPoints;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::collections::BTreeMap;
use std::path::Path;

mod codecs;
mod simulation;

pub use codecs::codecs_svg;
pub use simulation::{
    CdfSeries, QOE_CDF_SIZE, QoeCdf, TIMELINE_SIZE, TimelineAxes, qoe_cdf_svg, timeline_svg,
};

/// Size of the rate-quality plot, pixels (SVG and PNG).
pub const RATE_QUALITY_SIZE: (u32, u32) = (960, 560);
/// Size of the segment-bitrate plot, pixels.
pub const SEGMENTS_SIZE: (u32, u32) = (960, 460);
/// The font `--png` uses by default (Debian package `fonts-dejavu-core`).
pub use crate::report::picture::text::DEFAULT_FONT;

/// Width of the legend column on the right of each plot.
const LEGEND_WIDTH: u32 = 250;
const FONT: &str = crate::report::picture::text::FAMILY;
/// Text sizes as `plotters` counts them; the SVG backend writes `size / 1.24` px, so 18 gives
/// 14.5 px text.
const TICK_SIZE: f64 = 18.0;
const DESC_SIZE: f64 = 21.0;
const TITLE_SIZE: f64 = 24.0;
const LEGEND_SIZE: f64 = 18.0;

/// One colour per series (Tableau 10), in order.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(214, 39, 40),
];
const HULL: RGBColor = RGBColor(190, 190, 190);
const RUNG: RGBColor = RGBColor(214, 39, 40);
const REFERENCE: RGBColor = RGBColor(120, 60, 160);
const GRID: RGBColor = RGBColor(225, 225, 225);

/// The quality axis label, with units.
pub fn quality_label(metric: Metric) -> &'static str {
    match metric {
        Metric::Vmaf => "VMAF",
        Metric::Psnr => "PSNR-Y (dB)",
        Metric::Ssim => "SSIM-Y",
    }
}

/// The source's file name, for titles.
pub(crate) fn source_name(manifest: &Manifest) -> String {
    manifest.source.path.file_name().map_or_else(
        || manifest.source.path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The rate-quality plot as an SVG document.
pub fn rate_quality_svg(manifest: &Manifest, ladder: &CodecLadder) -> Result<String> {
    let axis = Axis::of(manifest.settings.metric);
    rate_quality_svg_on(manifest, ladder, &axis)
}

/// The rate-quality plot with device class `device`'s quality (`vmaf_<name>`) on the y axis:
/// every point, that quality's own upper hull, the rungs and the reference rungs.
pub fn device_rate_quality_svg(
    manifest: &Manifest,
    ladder: &CodecLadder,
    device: &crate::measure::devices::DeviceScoring,
) -> Result<String> {
    let axis = Axis {
        label: format!(
            "VMAF on {} ({} model at {})",
            device.name, device.model, device.display
        ),
        digits: 0,
        key: Some(device.key.clone()),
    };
    rate_quality_svg_on(manifest, ladder, &axis)
}

fn rate_quality_svg_on(manifest: &Manifest, ladder: &CodecLadder, axis: &Axis) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, RATE_QUALITY_SIZE).into_drawing_area();
        drawn(draw_rate_quality(&root, manifest, ladder, axis))?;
        drawn(root.present())?;
    }
    Ok(svg)
}

/// The per-rung segment bitrates as an SVG document, or `None` when no rung has segment sizes
/// (every rung interpolated).
pub fn segments_svg(
    manifest: &Manifest,
    ladder: &CodecLadder,
    package: Option<&PackageManifest>,
) -> Result<Option<String>> {
    let series = match package {
        Some(p) => package_series(p, ladder.codec),
        None => trial_series(manifest, ladder),
    };
    if series.is_empty() {
        return Ok(None);
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SEGMENTS_SIZE).into_drawing_area();
        drawn(draw_segments(&root, manifest, &series))?;
        drawn(root.present())?;
    }
    Ok(Some(svg))
}

/// One line of the segment plot: its legend label and its (start, end, kbit/s) steps.
type SegmentSeries = (String, Vec<Segment>);

fn crf_label(crf: f64) -> String {
    if crf.fract() == 0.0 {
        format!("{crf:.0}")
    } else {
        format!("{crf}")
    }
}

/// (start, end) of each segment.
fn segment_spans(durations: &[f64]) -> Vec<(f64, f64)> {
    durations
        .iter()
        .scan(0.0, |t, &d| {
            let s = *t;
            *t += d;
            Some((s, s + d))
        })
        .collect()
}

fn steps(bits: impl Iterator<Item = u64>, durations: &[f64]) -> Vec<Segment> {
    bits.zip(segment_spans(durations))
        .filter(|(_, (s, e))| e > s)
        .map(|(bits, (s, e))| (s, e, bits as f64 / (e - s) / 1000.0))
        .filter(|&(_, _, kbps)| kbps > 0.0)
        .collect()
}

/// The legend label of rung `index` (0-based).
fn rung_label(index: usize, width: u32, height: u32, crf: f64) -> String {
    format!(
        "rung {}: {width}x{height} CRF {}",
        index + 1,
        crf_label(crf)
    )
}

/// The measured rungs' trial encodes (video bits; interpolated rungs have none).
fn trial_series(m: &Manifest, ladder: &CodecLadder) -> Vec<SegmentSeries> {
    ladder
        .rungs
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.segment_sizes_bits.is_empty())
        .map(|(i, r)| {
            let bits = r.segment_sizes_bits.iter().copied();
            (
                rung_label(i, r.width, r.height, r.crf),
                steps(bits, &m.segments.durations_s),
            )
        })
        .collect()
}

/// Every rung of a package: the sizes of its segment files.
fn package_series(p: &PackageManifest, codec: Codec) -> Vec<SegmentSeries> {
    p.renditions
        .iter()
        .filter(|r| r.codec == codec)
        .enumerate()
        .map(|(i, r)| {
            let bits = r.segment_bytes.iter().map(|b| b * 8);
            (
                rung_label(i, r.width, r.height, r.crf),
                steps(bits, &p.segment_durations_s),
            )
        })
        .collect()
}

/// The rate-quality plot as a PNG image, its text set in the TrueType font at `font`
/// (e.g. [`DEFAULT_FONT`]). Fails when the font file is missing or not a font.
pub fn rate_quality_png(manifest: &Manifest, ladder: &CodecLadder, font: &Path) -> Result<Vec<u8>> {
    let rgb = crate::report::picture::text::with_font(font, || {
        let (w, h) = RATE_QUALITY_SIZE;
        let mut rgb = vec![0u8; (w * h * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
            drawn(draw_rate_quality(
                &root,
                manifest,
                ladder,
                &Axis::of(manifest.settings.metric),
            ))?;
            drawn(root.present())?;
        }
        Ok(rgb)
    })?;
    let (w, h) = RATE_QUALITY_SIZE;
    let picture = image::RgbImage::from_raw(w, h, rgb)
        .ok_or_else(|| Error::Internal("the plot's pixels do not fill the image".into()))?;
    crate::report::picture::compose::png(&picture)
}

/// A plotters result as ours.
fn drawn<T, E: std::error::Error + Send + Sync>(
    r: std::result::Result<T, DrawingAreaErrorKind<E>>,
) -> Result<T> {
    r.map_err(|e| Error::Picture {
        what: "drawing the plot".into(),
        cause: e.to_string(),
    })
}

type Drawn<DB> = std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// How a legend entry is drawn.
enum Swatch {
    /// A line with a filled circle.
    LineDot(RGBColor),
    /// A thick line.
    Thick(RGBColor),
    /// A filled triangle.
    Triangle(RGBColor),
    /// A hollow triangle.
    HollowTriangle(RGBColor),
    /// A line with a cross.
    LineCross(RGBColor),
}

fn text_style(size: f64, pos: Pos) -> TextStyle<'static> {
    TextStyle::from((FONT, size).into_font())
        .color(&BLACK)
        .pos(pos)
}

/// The title, centred over the plot area; moved right when that would cut it off on the left,
/// and cut short with an ellipsis when it is wider than the whole image.
fn title<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, text: &str) -> Drawn<DB> {
    let (w, _) = root.dim_in_pixel();
    let (text, x) = title_fit(text, w);
    root.draw(&Text::new(
        text,
        (x, 12),
        text_style(TITLE_SIZE, Pos::new(HPos::Center, VPos::Top)),
    ))
}

/// `text` as it fits a title line of an image `width` wide, and its centre. The text's width
/// is estimated (the SVG's is left to the browser): 0.6 em a character.
fn title_fit(text: &str, width: u32) -> (String, i32) {
    const MARGIN: f64 = 10.0;
    let char_px = 0.6 * TITLE_SIZE / 1.24;
    let room = f64::from(width) - 2.0 * MARGIN;
    let fits = (room / char_px).floor().max(1.0) as usize;
    let text = if text.chars().count() > fits {
        let mut cut: String = text.chars().take(fits - 1).collect();
        cut.push('…');
        cut
    } else {
        text.to_string()
    };
    let half = text.chars().count() as f64 * char_px / 2.0;
    let centre = f64::from((width as i32 - LEGEND_WIDTH as i32) / 2 + 40);
    let x = centre
        .max(MARGIN + half)
        .min(f64::from(width) - MARGIN - half);
    (text, x.round() as i32)
}

/// Draw the legend entries down the legend column.
fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(String, Swatch)],
) -> Drawn<DB> {
    let x = 12;
    let mut y = 70;
    for (label, swatch) in entries {
        let (a, b, mid) = ((x, y), (x + 34, y), (x + 17, y));
        match *swatch {
            Swatch::LineDot(c) => {
                area.draw(&PathElement::new(vec![a, b], c.stroke_width(2)))?;
                area.draw(&Circle::new(mid, 4, c.filled()))?;
            }
            Swatch::Thick(c) => area.draw(&PathElement::new(vec![a, b], c.stroke_width(7)))?,
            Swatch::Triangle(c) => triangle(area, mid, c, true)?,
            Swatch::HollowTriangle(c) => triangle(area, mid, c, false)?,
            Swatch::LineCross(c) => {
                area.draw(&PathElement::new(vec![a, b], c.stroke_width(1)))?;
                area.draw(&Cross::new(mid, 6, c.stroke_width(2)))?;
            }
        }
        area.draw(&Text::new(
            label.clone(),
            (x + 44, y),
            text_style(LEGEND_SIZE, Pos::new(HPos::Left, VPos::Center)),
        ))?;
        y += 28;
    }
    Ok(())
}

/// A rung marker centred on pixel `at` of `area`: a filled triangle, or a hollow one (white
/// inside, so lines under it do not show through).
fn triangle<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    at: (i32, i32),
    color: RGBColor,
    filled: bool,
) -> Drawn<DB> {
    let (x, y) = at;
    let corners = vec![(x, y - 10), (x + 9, y + 6), (x - 9, y + 6)];
    if filled {
        area.draw(&Polygon::new(corners, color.filled()))
    } else {
        area.draw(&Polygon::new(corners.clone(), WHITE.filled()))?;
        let mut outline = corners;
        outline.push(outline[0]);
        area.draw(&PathElement::new(outline, color.stroke_width(2)))
    }
}

/// `[lo, hi]` widened by `frac` of its span on each side (or by 1 when it is a single value).
fn padded(lo: f64, hi: f64, frac: f64) -> (f64, f64) {
    let span = hi - lo;
    if span > 0.0 {
        (lo - span * frac, hi + span * frac)
    } else {
        (lo - 1.0, hi + 1.0)
    }
}

/// Bitrate ticks on a log axis: 1-2-5 per decade, fewer when that is too many.
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let first = lo.log10().floor() as i32;
    let last = hi.log10().ceil() as i32;
    for mults in [&[1.0, 2.0, 5.0][..], &[1.0, 3.0], &[1.0]] {
        let ticks: Vec<f64> = (first..=last)
            .flat_map(|e| mults.iter().map(move |m| m * 10f64.powi(e)))
            .filter(|t| *t >= lo && *t <= hi)
            .collect();
        if ticks.len() <= 9 && ticks.len() >= 2 {
            return ticks;
        }
    }
    // A narrow range: five ticks evenly spaced in log, to two significant digits.
    (0..5)
        .map(|i| {
            let t = (lo.ln() + (hi.ln() - lo.ln()) * i as f64 / 4.0).exp();
            let scale = 10f64.powi(t.log10().floor() as i32 - 1);
            (t / scale).round() * scale
        })
        .collect()
}

fn kbps_label(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// The chart both rate-quality plots draw on: bitrate (log scale) against quality, its
/// ranges padded around `all` the values to be drawn, with its axes and grid drawn.
type RateQualityChart<'a, DB> =
    ChartContext<'a, DB, Cartesian2d<WithKeyPoints<LogCoord<f64>>, RangedCoordf64>>;

fn rate_quality_chart<'a, DB: DrawingBackend>(
    plot: &DrawingArea<DB, Shift>,
    axis: &Axis,
    all: &[(f64, f64)],
) -> std::result::Result<RateQualityChart<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let (mut x0, mut x1, mut y0, mut y1) =
        (f64::INFINITY, 0.0f64, f64::INFINITY, f64::NEG_INFINITY);
    for &(x, y) in all {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if all.is_empty() {
        (x0, x1, y0, y1) = (100.0, 10000.0, 0.0, 1.0);
    }
    let (x0, x1) = (x0 / 1.25, x1 * 1.25);
    let (y0, y1) = padded(y0, y1, 0.06);
    let mut chart = ChartBuilder::on(plot)
        .margin_top(56)
        .margin_left(12)
        .margin_right(24)
        .margin_bottom(8)
        .x_label_area_size(64)
        .y_label_area_size(86)
        .build_cartesian_2d(
            (x0..x1).log_scale().with_key_points(log_ticks(x0, x1)),
            y0..y1,
        )?;
    let y_digits = axis.digits;
    chart
        .configure_mesh()
        .x_desc("bitrate (kbit/s, log scale)")
        .y_desc(axis.label.as_str())
        .label_style((FONT, TICK_SIZE))
        .axis_desc_style((FONT, DESC_SIZE))
        .x_label_formatter(&|v| kbps_label(*v))
        .y_label_formatter(&|v| format!("{v:.y_digits$}"))
        .y_labels(8)
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .draw()?;
    Ok(chart)
}

/// The quality axis of a rate-quality plot: the hull's metric, or a device class's VMAF.
pub(crate) struct Axis {
    /// The axis label, with units.
    label: String,
    /// Decimals of its tick labels.
    digits: usize,
    /// The key of the pooled metric drawn (`None`: the hull's metric).
    key: Option<String>,
}

impl Axis {
    /// The hull's metric.
    fn of(metric: Metric) -> Axis {
        Axis {
            label: quality_label(metric).to_string(),
            digits: match metric {
                Metric::Vmaf => 0,
                Metric::Psnr => 1,
                Metric::Ssim => 3,
            },
            key: None,
        }
    }

    /// The value drawn for `x` (NaN when it was not measured).
    fn value(&self, metric: Metric, x: &dyn Measured) -> f64 {
        match &self.key {
            None => metric.of(x),
            Some(k) => x.pooling().get(k).map_or(f64::NAN, |p| p.mean),
        }
    }
}

fn draw_rate_quality<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    m: &Manifest,
    l: &CodecLadder,
    axis: &Axis,
) -> Drawn<DB> {
    let metric = m.settings.metric;
    root.fill(&WHITE)?;
    let (w, _) = root.dim_in_pixel();
    let (plot, legend_area) = root.split_horizontally(w - LEGEND_WIDTH);
    title(
        root,
        &format!(
            "{}: rate-quality, {} ({})",
            source_name(m),
            l.codec,
            axis.label
        ),
    )?;

    let rq = |x: &dyn Measured| (x.bitrate_kbps(), axis.value(metric, x));
    let finite = |p: &(f64, f64)| p.0 > 0.0 && p.0.is_finite() && p.1.is_finite();
    // Measured points by resolution, smallest first, each by bitrate.
    let mut by_res: BTreeMap<(u32, u32), Vec<(f64, f64)>> = BTreeMap::new();
    for p in &l.points {
        let v = rq(p);
        if finite(&v) {
            by_res.entry((p.height, p.width)).or_default().push(v);
        }
    }
    for v in by_res.values_mut() {
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    // The hull's own points on its metric; on another axis, that axis's upper hull.
    let mut hull: Vec<(f64, f64)> = match axis.key {
        None => l
            .points
            .iter()
            .filter(|p| p.on_hull)
            .map(|p| rq(p))
            .filter(finite)
            .collect(),
        Some(_) => {
            let all: Vec<(f64, f64)> = l.points.iter().map(|p| rq(p)).filter(finite).collect();
            let rq: Vec<crate::ladder::hull::RateQuality> = all
                .iter()
                .map(|&(kbps, quality)| crate::ladder::hull::RateQuality { kbps, quality })
                .collect();
            crate::ladder::hull::upper_hull(&rq)
                .into_iter()
                .map(|i| all[i])
                .collect()
        }
    };
    hull.sort_by(|a, b| a.0.total_cmp(&b.0));
    let rungs: Vec<((f64, f64), bool)> = l
        .rungs
        .iter()
        .map(|r| (rq(r), r.interpolated))
        .filter(|(v, _)| finite(v))
        .collect();
    let mut reference: Vec<(f64, f64)> = l
        .comparison
        .iter()
        .flat_map(|c| &c.rungs)
        .map(|r| rq(r))
        .filter(finite)
        .collect();
    reference.sort_by(|a, b| a.0.total_cmp(&b.0));

    let all: Vec<(f64, f64)> = by_res
        .values()
        .flatten()
        .chain(rungs.iter().map(|(v, _)| v))
        .chain(&reference)
        .copied()
        .collect();
    let mut chart = rate_quality_chart(&plot, axis, &all)?;

    let mut entries = Vec::new();
    // The hull first, wide and pale, so the measured lines stay visible on it.
    if !hull.is_empty() {
        chart.draw_series(LineSeries::new(linear_in_rate(&hull), HULL.stroke_width(7)))?;
    }
    for (i, ((h, w), pts)) in by_res.iter().enumerate() {
        let c = PALETTE[i % PALETTE.len()];
        chart.draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(2)))?;
        chart.draw_series(pts.iter().map(|&p| Circle::new(p, 4, c.filled())))?;
        entries.push((format!("{w}x{h}"), Swatch::LineDot(c)));
    }
    if !hull.is_empty() {
        entries.push(("convex hull".to_string(), Swatch::Thick(HULL)));
    }
    if !reference.is_empty() {
        chart.draw_series(LineSeries::new(
            reference.iter().copied(),
            REFERENCE.stroke_width(1),
        ))?;
        chart.draw_series(
            reference
                .iter()
                .map(|&p| Cross::new(p, 6, REFERENCE.stroke_width(2))),
        )?;
        let name = l
            .comparison
            .as_ref()
            .map_or("reference", |c| c.reference.name());
        entries.push((format!("{name} (measured)"), Swatch::LineCross(REFERENCE)));
    }
    for &(p, interpolated) in &rungs {
        let at = chart.backend_coord(&p);
        triangle(root, at, RUNG, !interpolated)?;
    }
    if rungs.iter().any(|r| !r.1) {
        entries.push(("rungs (measured)".to_string(), Swatch::Triangle(RUNG)));
    }
    if rungs.iter().any(|r| r.1) {
        entries.push((
            "rungs (interpolated)".to_string(),
            Swatch::HollowTriangle(RUNG),
        ));
    }
    legend(&legend_area, &entries)
}

/// A segment's start and end times (s) and its bitrate (kbit/s).
type Segment = (f64, f64, f64);

fn draw_segments<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    m: &Manifest,
    series: &[SegmentSeries],
) -> Drawn<DB> {
    root.fill(&WHITE)?;
    let (w, _) = root.dim_in_pixel();
    let (plot, legend_area) = root.split_horizontally(w - LEGEND_WIDTH);
    title(
        root,
        &format!("{}: bitrate of each segment", source_name(m)),
    )?;
    let total: f64 = series
        .iter()
        .flat_map(|s| s.1.iter().map(|t| t.1))
        .fold(0.0, f64::max);
    // A log axis: rungs span decades, and each rung's swings are relative.
    let rates = || series.iter().flat_map(|s| s.1.iter().map(|t| t.2));
    let (lo, hi) = (
        rates().filter(|&v| v > 0.0).fold(f64::INFINITY, f64::min),
        rates().fold(0.0f64, f64::max),
    );
    let (y0, y1) = if lo.is_finite() && hi > 0.0 {
        (lo / 1.15, hi * 1.15)
    } else {
        (1.0, 10.0)
    };
    let x1 = if total > 0.0 { total } else { 1.0 };

    let mut chart = ChartBuilder::on(&plot)
        .margin_top(56)
        .margin_left(12)
        .margin_right(24)
        .margin_bottom(8)
        .x_label_area_size(64)
        .y_label_area_size(86)
        .build_cartesian_2d(
            0.0..x1,
            (y0..y1).log_scale().with_key_points(log_ticks(y0, y1)),
        )?;
    chart
        .configure_mesh()
        .x_desc("time (s)")
        .y_desc("segment bitrate (kbit/s, log scale)")
        .label_style((FONT, TICK_SIZE))
        .axis_desc_style((FONT, DESC_SIZE))
        .x_label_formatter(&|v| format!("{v}"))
        .y_label_formatter(&|v| kbps_label(*v))
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .draw()?;
    let mut entries = Vec::new();
    for (k, (label, segs)) in series.iter().enumerate() {
        let c = PALETTE[k % PALETTE.len()];
        let steps: Vec<(f64, f64)> = segs
            .iter()
            .flat_map(|&(s, e, v)| [(s, v), (e, v)])
            .collect();
        chart.draw_series(LineSeries::new(steps, c.stroke_width(2)))?;
        chart.draw_series(
            segs.iter()
                .map(|&(s, _, v)| Circle::new((s, v), 4, c.filled())),
        )?;
        entries.push((label.clone(), Swatch::LineDot(c)));
    }
    legend(&legend_area, &entries)
}

/// A hull's segments as they are, straight in linear bitrate (interpolated rungs lie on
/// them), drawn on a log-bitrate axis: each cut into short pieces.
fn linear_in_rate(hull: &[(f64, f64)]) -> Vec<(f64, f64)> {
    const PIECES: usize = 24;
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(hull.len() * PIECES + 1);
    for w in hull.windows(2) {
        let ((r0, q0), (r1, q1)) = (w[0], w[1]);
        for k in 0..PIECES {
            let t = k as f64 / PIECES as f64;
            out.push((r0 + t * (r1 - r0), q0 + t * (q1 - q0)));
        }
    }
    out.extend(hull.last().copied());
    out
}

#[cfg(test)]
mod tests;
