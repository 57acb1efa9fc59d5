//! The plots of a playback simulation (`pertitle simulate`): one session's timeline
//! (each download's throughput, the rung it fetched, the buffer level and the stalls) and
//! the distribution of the QoE score over sessions, one line per ladder.
//!
//! They follow the other plots' conventions: SVG with its text left to the browser (no font
//! needed), the title on top, the legend in a column on the right, Tableau colours.

use super::{
    DESC_SIZE, Drawn, FONT, GRID, LEGEND_SIZE, LEGEND_WIDTH, PALETTE, RUNG, TICK_SIZE, drawn,
    kbps_label, log_ticks, padded, text_style, title,
};
use crate::error::Result;
use crate::simulate::run::{LadderSimulation, TimelineOut};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Size of a session's timeline plot, pixels.
pub const TIMELINE_SIZE: (u32, u32) = (960, 600);
/// Size of the QoE distribution plot, pixels.
pub const QOE_CDF_SIZE: (u32, u32) = (960, 460);

const THROUGHPUT: RGBColor = PALETTE[0];
const BUFFER: RGBColor = PALETTE[2];
/// Stalls: shaded spans.
const STALL: RGBColor = RGBColor(255, 170, 60);
const STALL_OPACITY: f64 = 0.35;

/// A legend entry of these plots.
enum Key {
    /// A line of this colour and width.
    Line(RGBColor, u32),
    /// A shaded span.
    Area(RGBColor, f64),
    /// A cross.
    Cross(RGBColor),
}

/// The legend column: `entries` down from the top.
fn keys<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, entries: &[(String, Key)]) -> Drawn<DB> {
    let x = 12;
    let mut y = 70;
    for (label, key) in entries {
        match *key {
            Key::Line(c, width) => {
                area.draw(&PathElement::new(
                    vec![(x, y), (x + 34, y)],
                    c.stroke_width(width),
                ))?;
            }
            Key::Area(c, opacity) => area.draw(&Rectangle::new(
                [(x, y - 8), (x + 34, y + 8)],
                c.mix(opacity).filled(),
            ))?,
            Key::Cross(c) => area.draw(&Cross::new((x + 17, y), 6, c.stroke_width(2)))?,
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

/// One session's timeline as an SVG document: on top, each download's throughput and the
/// nominal bitrate of the rung it fetched (kbit/s, log scale); below, the buffer level (s);
/// in both, the stalls shaded.
pub fn timeline_svg(
    ladder: &LadderSimulation,
    timeline: &TimelineOut,
    title: &str,
) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, TIMELINE_SIZE).into_drawing_area();
        drawn(draw_timeline(&root, ladder, timeline, title))?;
        drawn(root.present())?;
    }
    Ok(svg)
}

/// The distribution of QoE over sessions as an SVG document: for each `(label, scores)`,
/// the share of sessions at or below each score (a step line).
pub fn qoe_cdf_svg(series: &[(String, Vec<f64>)], title: &str, x_desc: &str) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, QOE_CDF_SIZE).into_drawing_area();
        drawn(draw_cdf(&root, series, title, x_desc))?;
        drawn(root.present())?;
    }
    Ok(svg)
}

/// Columns of the timeline's plot area, about one per pixel: what is drawn is thinned to
/// what they can show.
const COLUMNS: f64 = 600.0;

/// `(start, end, value)` steps, each held until the next one starts, as the points of one
/// step line.
fn held(steps: &[(f64, f64, f64)]) -> Vec<(f64, f64)> {
    let mut points = Vec::with_capacity(steps.len() * 2);
    for (i, &(s, e, v)) in steps.iter().enumerate() {
        let end = steps.get(i + 1).map_or(e, |next| next.0);
        points.push((s, v));
        points.push((end.max(s), v));
    }
    points
}

/// The points of a line on `[0, x1]` thinned to what [`COLUMNS`] columns show: in each
/// column, its first, lowest, highest and last point, in their order.
fn thinned(points: Vec<(f64, f64)>, x1: f64) -> Vec<(f64, f64)> {
    let column = |x: f64| (x / x1 * COLUMNS).floor() as i64;
    let mut out = Vec::with_capacity(points.len().min(4 * COLUMNS as usize + 4));
    let mut i = 0;
    while i < points.len() {
        let c = column(points[i].0);
        let mut j = i;
        while j < points.len() && column(points[j].0) == c {
            j += 1;
        }
        let group = &points[i..j];
        let (mut lo, mut hi) = (0, 0);
        for (k, p) in group.iter().enumerate() {
            if p.1 < group[lo].1 {
                lo = k;
            }
            if p.1 > group[hi].1 {
                hi = k;
            }
        }
        let mut keep = vec![0, lo, hi, group.len() - 1];
        keep.sort_unstable();
        keep.dedup();
        out.extend(keep.into_iter().map(|k| group[k]));
        i = j;
    }
    out
}

/// Spans less than a column apart, as one.
fn merged(spans: &[(f64, f64)], x1: f64) -> Vec<(f64, f64)> {
    let gap = x1 / COLUMNS;
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(spans.len());
    for &(s, e) in spans {
        match out.last_mut() {
            Some(last) if s - last.1 < gap => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

fn draw_timeline<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    ladder: &LadderSimulation,
    t: &TimelineOut,
    text: &str,
) -> Drawn<DB> {
    root.fill(&WHITE)?;
    let (w, h) = root.dim_in_pixel();
    let (plot, legend_area) = root.split_horizontally(w - LEGEND_WIDTH);
    title(root, text)?;

    let finite = |v: f64| v.is_finite();
    let rate = |rung: usize| ladder.rungs.get(rung).map(|r| r.bitrate_kbps);
    // Each download's throughput, and the nominal bitrate of the rung it fetched.
    let fetches: Vec<_> = t
        .fetches
        .iter()
        .filter(|f| finite(f.0) && finite(f.1) && finite(f.3) && f.1 >= f.0)
        .collect();
    let downloads: Vec<(f64, f64, f64)> = fetches.iter().map(|f| (f.0, f.1, f.3)).collect();
    let requested: Vec<(f64, f64, f64)> = fetches
        .iter()
        .filter_map(|f| Some((f.0, f.1, rate(f.2)?)))
        .collect();
    let abandoned: Vec<(f64, f64)> = t
        .fetches
        .iter()
        .filter(|f| f.4 && finite(f.1) && finite(f.3))
        .map(|f| (f.1, f.3))
        .collect();
    let buffer: Vec<(f64, f64)> = t
        .buffer
        .iter()
        .copied()
        .filter(|p| finite(p.0) && finite(p.1))
        .collect();
    let stalls: Vec<(f64, f64)> = t
        .stalls
        .iter()
        .copied()
        .filter(|s| finite(s.0) && finite(s.1) && s.1 >= s.0)
        .collect();

    let x1 = downloads
        .iter()
        .map(|d| d.1)
        .chain(buffer.iter().map(|b| b.0))
        .chain(stalls.iter().map(|s| s.1))
        .fold(0.0f64, f64::max);
    let x1 = if x1 > 0.0 { x1 } else { 1.0 };
    let stalls = merged(&stalls, x1);
    let rates = || {
        downloads
            .iter()
            .chain(&requested)
            .map(|d| d.2)
            .chain(ladder.rungs.iter().map(|r| r.bitrate_kbps))
            .filter(|&v| v > 0.0 && v.is_finite())
    };
    let (lo, hi) = (
        rates().fold(f64::INFINITY, f64::min),
        rates().fold(0.0f64, f64::max),
    );
    let (y0, y1) = if lo.is_finite() && hi > 0.0 {
        (lo / 1.3, hi * 1.3)
    } else {
        (1.0, 10.0)
    };
    // A throughput of nothing sits on the axis.
    let clamp = |v: f64| v.max(y0);

    let top_h = (f64::from(h) * 0.6) as u32;
    let (top, bottom) = plot.split_vertically(top_h);
    let mut chart = ChartBuilder::on(&top)
        .margin_top(56)
        .margin_left(12)
        .margin_right(24)
        .margin_bottom(4)
        .x_label_area_size(36)
        .y_label_area_size(86)
        .build_cartesian_2d(
            0.0..x1,
            (y0..y1).log_scale().with_key_points(log_ticks(y0, y1)),
        )?;
    chart
        .configure_mesh()
        .y_desc("kbit/s (log scale)")
        .label_style((FONT, TICK_SIZE))
        .axis_desc_style((FONT, DESC_SIZE))
        .x_label_formatter(&|v| format!("{v}"))
        .y_label_formatter(&|v| kbps_label(*v))
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .draw()?;
    let shade = STALL.mix(STALL_OPACITY).filled();
    chart.draw_series(
        stalls
            .iter()
            .map(|&(s, e)| Rectangle::new([(s, y0), (e, y1)], shade)),
    )?;
    let throughput = held(&downloads).into_iter().map(|(x, v)| (x, clamp(v)));
    chart.draw_series(LineSeries::new(
        thinned(throughput.collect(), x1),
        THROUGHPUT.stroke_width(1),
    ))?;
    chart.draw_series(LineSeries::new(
        thinned(held(&requested), x1),
        RUNG.stroke_width(2),
    ))?;
    chart.draw_series(
        abandoned
            .iter()
            .map(|&(x, v)| Cross::new((x, clamp(v)), 5, BLACK.stroke_width(2))),
    )?;

    let b1 = buffer.iter().map(|b| b.1).fold(0.0f64, f64::max);
    let (_, b1) = padded(0.0, if b1 > 0.0 { b1 } else { 1.0 }, 0.05);
    let mut chart = ChartBuilder::on(&bottom)
        .margin_top(8)
        .margin_left(12)
        .margin_right(24)
        .margin_bottom(8)
        .x_label_area_size(64)
        .y_label_area_size(86)
        .build_cartesian_2d(0.0..x1, 0.0..b1)?;
    chart
        .configure_mesh()
        .x_desc("time since the session started (s)")
        .y_desc("buffer (s)")
        .label_style((FONT, TICK_SIZE))
        .axis_desc_style((FONT, DESC_SIZE))
        .x_label_formatter(&|v| format!("{v}"))
        .y_label_formatter(&|v| format!("{v}"))
        .y_labels(5)
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .draw()?;
    chart.draw_series(
        stalls
            .iter()
            .map(|&(s, e)| Rectangle::new([(s, 0.0), (e, b1)], shade)),
    )?;
    chart.draw_series(LineSeries::new(thinned(buffer, x1), BUFFER.stroke_width(2)))?;

    let mut entries = vec![
        ("download throughput".to_string(), Key::Line(THROUGHPUT, 1)),
        ("rung fetched (kbit/s)".to_string(), Key::Line(RUNG, 2)),
        ("buffer level (s)".to_string(), Key::Line(BUFFER, 2)),
    ];
    if !stalls.is_empty() {
        entries.push(("stall".to_string(), Key::Area(STALL, STALL_OPACITY)));
    }
    if !abandoned.is_empty() {
        entries.push(("download abandoned".to_string(), Key::Cross(BLACK)));
    }
    keys(&legend_area, &entries)
}

fn draw_cdf<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    series: &[(String, Vec<f64>)],
    text: &str,
    x_desc: &str,
) -> Drawn<DB> {
    root.fill(&WHITE)?;
    let (w, _) = root.dim_in_pixel();
    let (plot, legend_area) = root.split_horizontally(w - LEGEND_WIDTH);
    title(root, text)?;
    let sorted: Vec<(&String, Vec<f64>)> = series
        .iter()
        .map(|(label, v)| {
            let mut v: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
            v.sort_by(f64::total_cmp);
            (label, v)
        })
        .collect();
    let all = || sorted.iter().flat_map(|s| s.1.iter().copied());
    let (lo, hi) = (
        all().fold(f64::INFINITY, f64::min),
        all().fold(f64::NEG_INFINITY, f64::max),
    );
    let (x0, x1) = if lo.is_finite() {
        padded(lo, hi, 0.04)
    } else {
        (0.0, 1.0)
    };
    let mut chart = ChartBuilder::on(&plot)
        .margin_top(56)
        .margin_left(12)
        .margin_right(24)
        .margin_bottom(8)
        .x_label_area_size(64)
        .y_label_area_size(86)
        .build_cartesian_2d(x0..x1, 0.0..100.0)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc("sessions at or below (%)")
        .label_style((FONT, TICK_SIZE))
        .axis_desc_style((FONT, DESC_SIZE))
        .x_label_formatter(&|v| format!("{v}"))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .y_labels(6)
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .draw()?;
    let mut entries = Vec::new();
    for (k, (label, v)) in sorted.iter().enumerate() {
        let c = PALETTE[k % PALETTE.len()];
        let n = v.len() as f64;
        let steps: Vec<(f64, f64)> = v
            .iter()
            .enumerate()
            .flat_map(|(i, &x)| [(x, 100.0 * i as f64 / n), (x, 100.0 * (i + 1) as f64 / n)])
            .collect();
        chart.draw_series(LineSeries::new(steps, c.stroke_width(2)))?;
        entries.push(((*label).clone(), Key::Line(c, 2)));
    }
    keys(&legend_area, &entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_hold_until_the_next() {
        let points = held(&[(0.0, 1.0, 5.0), (2.0, 3.0, 6.0)]);
        assert_eq!(points, vec![(0.0, 5.0), (2.0, 5.0), (2.0, 6.0), (3.0, 6.0)]);
        assert!(held(&[]).is_empty());
    }

    #[test]
    fn thinning_keeps_each_columns_extremes_in_order() {
        // 6000 points on 600 columns: 10 each; a spike in one column survives.
        let mut points: Vec<(f64, f64)> = (0..6000).map(|i| (i as f64 / 10.0, 1.0)).collect();
        points[1234].1 = 50.0;
        let t = thinned(points, 600.0);
        assert!(t.len() <= 2400, "{}", t.len());
        assert!(t.contains(&(123.4, 50.0)));
        assert!(t.windows(2).all(|w| w[0].0 <= w[1].0));
        assert_eq!(t.first(), Some(&(0.0, 1.0)));
        assert_eq!(t.last(), Some(&(599.9, 1.0)));
        assert_eq!(
            merged(&[(0.0, 1.0), (1.5, 2.0), (10.0, 11.0)], 600.0),
            vec![(0.0, 2.0), (10.0, 11.0)]
        );
    }
}
