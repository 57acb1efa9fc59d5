//! The plots of a playback simulation (`pertitle simulate`): one session's timeline
//! (each download's throughput, the rung it fetched, the buffer level and the stalls; the
//! same session played with several ladders is drawn on the same [`TimelineAxes`]) and the
//! distribution of the QoE score over sessions, one line per ladder.
//!
//! Ticks on linear axes are 1-2-5 steps labelled to the step's precision. A download with
//! no throughput (one that took no time) breaks the throughput line rather than drawing a
//! value that is not one.
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
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;

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

/// The legend column: `entries` down from the top (a label's lines one below the other).
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
        // A label of several lines: the first beside the key, the others below it.
        for (k, line) in label.lines().enumerate() {
            area.draw(&Text::new(
                line.to_string(),
                (x + 44, y + 18 * k as i32),
                text_style(LEGEND_SIZE, Pos::new(HPos::Left, VPos::Center)),
            ))?;
        }
        y += 28 + 18 * (label.lines().count().max(1) as i32 - 1);
    }
    Ok(())
}

/// The axes of a session's timeline: sessions drawn on the same axes can be compared at a
/// glance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimelineAxes {
    /// The time axis, `[0, end_s]`.
    pub end_s: f64,
    /// The bitrate axis (log scale), kbit/s.
    pub kbps: (f64, f64),
    /// The buffer axis, `[0, buffer_s]`.
    pub buffer_s: f64,
}

impl TimelineAxes {
    /// Axes that fit every one of `sessions`, each played with its ladder.
    pub fn fitting(sessions: &[(&LadderSimulation, &TimelineOut)]) -> TimelineAxes {
        let lines: Vec<Lines> = sessions.iter().map(|&(l, t)| Lines::of(l, t)).collect();
        let end_s = lines.iter().map(|l| l.end_s).fold(0.0f64, f64::max);
        let rates = || {
            lines
                .iter()
                .flat_map(|l| l.rates.iter().copied())
                .chain(
                    sessions
                        .iter()
                        .flat_map(|s| s.0.rungs.iter().map(|r| r.bitrate_kbps)),
                )
                .filter(|&v| v > 0.0 && v.is_finite())
        };
        let (lo, hi) = (
            rates().fold(f64::INFINITY, f64::min),
            rates().fold(0.0f64, f64::max),
        );
        let buffer = lines
            .iter()
            .flat_map(|l| l.buffer.iter().map(|b| b.1))
            .fold(0.0f64, f64::max);
        TimelineAxes {
            end_s: if end_s > 0.0 { end_s } else { 1.0 },
            kbps: if lo.is_finite() && hi > 0.0 {
                (lo / 1.3, hi * 1.3)
            } else {
                (1.0, 10.0)
            },
            buffer_s: padded(0.0, if buffer > 0.0 { buffer } else { 1.0 }, 0.05).1,
        }
    }
}

/// One session's timeline as an SVG document, on `axes`: on top, each download's
/// throughput and the nominal bitrate of the rung it fetched (kbit/s, log scale); below,
/// the buffer level (s); in both, the stalls shaded.
pub fn timeline_svg(
    ladder: &LadderSimulation,
    timeline: &TimelineOut,
    title: &str,
    axes: &TimelineAxes,
) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, TIMELINE_SIZE).into_drawing_area();
        drawn(draw_timeline(&root, ladder, timeline, title, axes))?;
        drawn(root.present())?;
    }
    Ok(svg)
}

/// One line of a QoE distribution plot.
#[derive(Debug, Clone)]
pub struct CdfSeries {
    /// The legend's label.
    pub label: String,
    /// Its colour, by index in the palette (a ladder keeps its colour from plot to plot).
    pub color: usize,
    /// The sessions' scores.
    pub values: Vec<f64>,
}

/// A QoE distribution plot, and what its x axis leaves out.
#[derive(Debug, Clone)]
pub struct QoeCdf {
    /// The SVG document.
    pub svg: String,
    /// The x axis.
    pub range: (f64, f64),
    /// Sessions left of it, and right of it (drawn on its edge).
    pub off_scale: (usize, usize),
}

/// The distribution of QoE over sessions as an SVG document: for each series, the share of
/// sessions at or below each score (a step line). A few sessions far from all the others
/// (at most 1 % on each side) are left off the x axis, their lines drawn on its edge.
pub fn qoe_cdf_svg(series: &[CdfSeries], title: &str, x_desc: &str) -> Result<QoeCdf> {
    let sorted: Vec<Vec<f64>> = series
        .iter()
        .map(|s| {
            let mut v: Vec<f64> = s.values.iter().copied().filter(|x| x.is_finite()).collect();
            v.sort_by(f64::total_cmp);
            v
        })
        .collect();
    let mut all: Vec<f64> = sorted.iter().flatten().copied().collect();
    all.sort_by(f64::total_cmp);
    let range = cdf_range(&all);
    let off_scale = (
        all.iter().filter(|&&v| v < range.0).count(),
        all.iter().filter(|&&v| v > range.1).count(),
    );
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, QOE_CDF_SIZE).into_drawing_area();
        drawn(draw_cdf(&root, series, &sorted, range, title, x_desc))?;
        drawn(root.present())?;
    }
    Ok(QoeCdf {
        svg,
        range,
        off_scale,
    })
}

/// The x range of a distribution of `sorted` values: all of them, padded; or, when the
/// lowest (highest) 1 % lie far from the rest, from about the 1st (to the 99th) percentile.
fn cdf_range(sorted: &[f64]) -> (f64, f64) {
    let n = sorted.len();
    if n == 0 {
        return (0.0, 1.0);
    }
    // At most 1 % of the values may be left off on each side.
    let k = n / 100;
    let (lo, hi) = (sorted[k], sorted[n - 1 - k]);
    let (min, max) = (sorted[0], sorted[n - 1]);
    let core = {
        let (a, b) = around(lo, hi, 0.02);
        b - a
    };
    // A tail is left off only when it would take a good part of the axis.
    let a = if lo - min > 0.25 * core { lo } else { min };
    let b = if max - hi > 0.25 * core { hi } else { max };
    around(a, b, 0.04)
}

/// `[lo, hi]` widened by `frac` of its span on each side; a single value by `frac / 2` of
/// itself (by 1 when it is 0).
fn around(lo: f64, hi: f64, frac: f64) -> (f64, f64) {
    let span = hi - lo;
    if span > 0.0 {
        (lo - span * frac, hi + span * frac)
    } else {
        let pad = if lo != 0.0 {
            lo.abs() * frac / 2.0
        } else {
            1.0
        };
        (lo - pad, hi + pad)
    }
}

/// Ticks on a linear axis `[lo, hi]`: multiples of a step of 1, 2 or 5 times a power of
/// ten, at most `most` of them, and the step.
fn linear_ticks(lo: f64, hi: f64, most: usize) -> (Vec<f64>, f64) {
    if !(lo.is_finite() && hi.is_finite() && hi > lo) {
        return (vec![lo], 1.0);
    }
    let raw = (hi - lo) / most.max(1) as f64;
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|&s| (hi - lo) / s <= most as f64)
        .unwrap_or(10.0 * power);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    let ticks = (first..=last).map(|k| k as f64 * step).collect();
    (ticks, step)
}

/// A linear axis with the ticks given (and no light grid lines).
#[derive(Clone)]
struct Ticked {
    axis: RangedCoordf64,
    ticks: Vec<f64>,
}

impl Ticked {
    fn new(range: Range<f64>, ticks: Vec<f64>) -> Ticked {
        Ticked {
            axis: range.into(),
            ticks,
        }
    }
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.axis.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.axis.range()
    }
}

/// Decimals that show a tick `step` exactly.
fn decimals(step: f64) -> usize {
    if step > 0.0 && step.is_finite() {
        (-(step.log10() + 1e-9).floor()).max(0.0) as usize
    } else {
        0
    }
}

/// Tick `v` with `digits` decimals (never `-0`).
fn tick_label(v: f64, digits: usize) -> String {
    let s = format!("{v:.digits$}");
    if s.trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        s.trim_start_matches('-').to_string()
    } else {
        s
    }
}

/// A bitrate tick, kbit/s: whole above 100, else to three significant digits.
fn rate_label(v: f64) -> String {
    if v >= 100.0 || v <= 0.0 {
        kbps_label(v)
    } else {
        let digits = (2 - v.log10().floor() as i32).max(0) as usize;
        let s = format!("{v:.digits$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }
}

/// Columns of the timeline's plot area, about one per pixel: what is drawn is thinned to
/// what they can show.
const COLUMNS: f64 = 600.0;

/// `(start, end, value)` steps, each held until the next one starts, as the points of step
/// lines: a step with no value breaks the line.
fn held(steps: &[(f64, f64, Option<f64>)]) -> Vec<Vec<(f64, f64)>> {
    let mut runs = Vec::new();
    let mut run: Vec<(f64, f64)> = Vec::new();
    for (i, &(s, e, v)) in steps.iter().enumerate() {
        let Some(v) = v else {
            if !run.is_empty() {
                runs.push(std::mem::take(&mut run));
            }
            continue;
        };
        let end = steps.get(i + 1).map_or(e, |next| next.0);
        run.push((s, v));
        run.push((end.max(s), v));
    }
    if !run.is_empty() {
        runs.push(run);
    }
    runs
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

/// A download's throughput as `simulation.json` holds it: a number, or nothing for a
/// download that took no time (older files wrote a number that may not be finite).
trait Throughput: Copy {
    /// The throughput, kbit/s, when there is one.
    fn kbps(self) -> Option<f64>;
}

impl Throughput for f64 {
    fn kbps(self) -> Option<f64> {
        Some(self).filter(|v| v.is_finite())
    }
}

impl Throughput for Option<f64> {
    fn kbps(self) -> Option<f64> {
        self.filter(|v| v.is_finite())
    }
}

/// What a timeline draws, its values checked (a value that is not a number is left out).
struct Lines {
    /// Each download's throughput: `(start, end, kbit/s)`.
    throughput: Vec<(f64, f64, Option<f64>)>,
    /// The nominal bitrate of the rung each download fetched.
    requested: Vec<(f64, f64, Option<f64>)>,
    /// Downloads abandoned: when, and their throughput.
    abandoned: Vec<(f64, f64)>,
    /// `(time, level)`.
    buffer: Vec<(f64, f64)>,
    /// `(start, end)`.
    stalls: Vec<(f64, f64)>,
    /// When the last event ends.
    end_s: f64,
    /// Every bitrate drawn.
    rates: Vec<f64>,
}

impl Lines {
    fn of(ladder: &LadderSimulation, t: &TimelineOut) -> Lines {
        let finite = |v: f64| v.is_finite();
        let rate = |rung: usize| ladder.rungs.get(rung).map(|r| r.bitrate_kbps);
        let fetches: Vec<_> = t
            .fetches
            .iter()
            .filter(|f| finite(f.0) && finite(f.1) && f.1 >= f.0)
            .collect();
        let throughput: Vec<(f64, f64, Option<f64>)> = fetches
            .iter()
            .map(|f| (f.0, f.1, f.3.kbps().filter(|&v| v >= 0.0)))
            .collect();
        let requested: Vec<(f64, f64, Option<f64>)> = fetches
            .iter()
            .map(|f| (f.0, f.1, rate(f.2).filter(|&v| v > 0.0 && v.is_finite())))
            .collect();
        let abandoned = fetches
            .iter()
            .filter(|f| f.4)
            .filter_map(|f| Some((f.1, f.3.kbps()?)))
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
        let end_s = throughput
            .iter()
            .map(|d| d.1)
            .chain(buffer.iter().map(|b| b.0))
            .chain(stalls.iter().map(|s| s.1))
            .fold(0.0f64, f64::max);
        let rates = throughput
            .iter()
            .chain(&requested)
            .filter_map(|d| d.2)
            .collect();
        Lines {
            throughput,
            requested,
            abandoned,
            buffer,
            stalls,
            end_s,
            rates,
        }
    }
}

fn draw_timeline<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    ladder: &LadderSimulation,
    t: &TimelineOut,
    text: &str,
    axes: &TimelineAxes,
) -> Drawn<DB> {
    root.fill(&WHITE)?;
    let (w, h) = root.dim_in_pixel();
    let (plot, legend_area) = root.split_horizontally(w - LEGEND_WIDTH);
    title(root, text)?;

    let lines = Lines::of(ladder, t);
    let x1 = if axes.end_s > 0.0 { axes.end_s } else { 1.0 };
    let (y0, y1) = axes.kbps;
    let b1 = axes.buffer_s;
    let stalls = merged(&lines.stalls, x1);
    // A throughput of nothing (or below the axis) sits on the axis.
    let clamp = |v: f64| v.max(y0);
    let (time_ticks, time_step) = linear_ticks(0.0, x1, 8);
    let time_digits = decimals(time_step);

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
            Ticked::new(0.0..x1, time_ticks.clone()),
            (y0..y1).log_scale().with_key_points(log_ticks(y0, y1)),
        )?;
    chart
        .configure_mesh()
        .y_desc("kbit/s (log scale)")
        .label_style((FONT, TICK_SIZE))
        .axis_desc_style((FONT, DESC_SIZE))
        .x_label_formatter(&|v| tick_label(*v, time_digits))
        .y_label_formatter(&|v| rate_label(*v))
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .draw()?;
    let shade = STALL.mix(STALL_OPACITY).filled();
    chart.draw_series(
        stalls
            .iter()
            .map(|&(s, e)| Rectangle::new([(s, y0), (e, y1)], shade)),
    )?;
    for run in held(&lines.throughput) {
        let run = run.into_iter().map(|(x, v)| (x, clamp(v))).collect();
        chart.draw_series(LineSeries::new(
            thinned(run, x1),
            THROUGHPUT.stroke_width(1),
        ))?;
    }
    for run in held(&lines.requested) {
        chart.draw_series(LineSeries::new(thinned(run, x1), RUNG.stroke_width(2)))?;
    }
    chart.draw_series(
        lines
            .abandoned
            .iter()
            .map(|&(x, v)| Cross::new((x, clamp(v)), 5, BLACK.stroke_width(2))),
    )?;

    let (buffer_ticks, buffer_step) = linear_ticks(0.0, b1, 5);
    let buffer_digits = decimals(buffer_step);
    let mut chart = ChartBuilder::on(&bottom)
        .margin_top(8)
        .margin_left(12)
        .margin_right(24)
        .margin_bottom(8)
        .x_label_area_size(64)
        .y_label_area_size(86)
        .build_cartesian_2d(
            Ticked::new(0.0..x1, time_ticks),
            Ticked::new(0.0..b1, buffer_ticks),
        )?;
    chart
        .configure_mesh()
        .x_desc("time since the session started (s)")
        .y_desc("buffer (s)")
        .label_style((FONT, TICK_SIZE))
        .axis_desc_style((FONT, DESC_SIZE))
        .x_label_formatter(&|v| tick_label(*v, time_digits))
        .y_label_formatter(&|v| tick_label(*v, buffer_digits))
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .draw()?;
    chart.draw_series(
        stalls
            .iter()
            .map(|&(s, e)| Rectangle::new([(s, 0.0), (e, b1)], shade)),
    )?;
    chart.draw_series(LineSeries::new(
        thinned(lines.buffer, x1),
        BUFFER.stroke_width(2),
    ))?;

    let mut entries = vec![
        (
            "download throughput\n(kbit/s)".to_string(),
            Key::Line(THROUGHPUT, 1),
        ),
        ("rung fetched (kbit/s)".to_string(), Key::Line(RUNG, 2)),
        ("buffer level (s)".to_string(), Key::Line(BUFFER, 2)),
    ];
    if !stalls.is_empty() {
        entries.push(("stall".to_string(), Key::Area(STALL, STALL_OPACITY)));
    }
    if !lines.abandoned.is_empty() {
        entries.push(("download abandoned".to_string(), Key::Cross(BLACK)));
    }
    keys(&legend_area, &entries)
}

fn draw_cdf<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    series: &[CdfSeries],
    sorted: &[Vec<f64>],
    (x0, x1): (f64, f64),
    text: &str,
    x_desc: &str,
) -> Drawn<DB> {
    root.fill(&WHITE)?;
    let (w, _) = root.dim_in_pixel();
    let (plot, legend_area) = root.split_horizontally(w - LEGEND_WIDTH);
    title(root, text)?;
    let (ticks, step) = linear_ticks(x0, x1, 7);
    let digits = decimals(step);
    let mut chart = ChartBuilder::on(&plot)
        .margin_top(56)
        .margin_left(12)
        .margin_right(24)
        .margin_bottom(8)
        .x_label_area_size(64)
        .y_label_area_size(86)
        .build_cartesian_2d(Ticked::new(x0..x1, ticks), 0.0..100.0)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc("sessions at or below (%)")
        .label_style((FONT, TICK_SIZE))
        .axis_desc_style((FONT, DESC_SIZE))
        .x_label_formatter(&|v| tick_label(*v, digits))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .y_labels(6)
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .draw()?;
    let mut entries = Vec::new();
    for (s, v) in series.iter().zip(sorted) {
        let c = PALETTE[s.color % PALETTE.len()];
        let n = v.len() as f64;
        // Sessions off the scale are drawn on its edge.
        let steps: Vec<(f64, f64)> = v
            .iter()
            .enumerate()
            .flat_map(|(i, &x)| {
                let x = x.clamp(x0, x1);
                [(x, 100.0 * i as f64 / n), (x, 100.0 * (i + 1) as f64 / n)]
            })
            .collect();
        chart.draw_series(LineSeries::new(steps, c.stroke_width(2)))?;
        entries.push((s.label.clone(), Key::Line(c, 2)));
    }
    keys(&legend_area, &entries)
}

#[cfg(test)]
mod tests;
