//! Every codec's convex hull and rungs on one rate-quality plot.

use super::*;

/// Every codec's convex hull and rungs on one rate-quality plot, as an SVG document.
pub fn codecs_svg(manifest: &Manifest) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, RATE_QUALITY_SIZE).into_drawing_area();
        drawn(draw_codecs(&root, manifest))?;
        drawn(root.present())?;
    }
    Ok(svg)
}

fn draw_codecs<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, m: &Manifest) -> Drawn<DB> {
    let metric = m.settings.metric;
    root.fill(&WHITE)?;
    let (w, _) = root.dim_in_pixel();
    let (plot, legend_area) = root.split_horizontally(w - LEGEND_WIDTH);
    title(
        root,
        &format!(
            "{}: codecs, hulls and rungs ({})",
            source_name(m),
            quality_label(metric)
        ),
    )?;
    let rq = |x: &dyn Measured| (x.bitrate_kbps(), metric.of(x));
    let finite = |p: &(f64, f64)| p.0 > 0.0 && p.0.is_finite() && p.1.is_finite();
    // Each codec with its hull (by bitrate) and its rungs.
    type Curves = Vec<(Codec, Vec<(f64, f64)>, Vec<(f64, f64)>)>;
    let curves: Curves = m
        .ladders
        .iter()
        .map(|l| {
            let mut hull: Vec<(f64, f64)> = l
                .points
                .iter()
                .filter(|p| p.on_hull)
                .map(|p| rq(p))
                .filter(finite)
                .collect();
            hull.sort_by(|a, b| a.0.total_cmp(&b.0));
            let rungs = l.rungs.iter().map(|r| rq(r)).filter(finite).collect();
            (l.codec, hull, rungs)
        })
        .collect();
    let all: Vec<(f64, f64)> = curves
        .iter()
        .flat_map(|(_, h, r)| h.iter().chain(r))
        .copied()
        .collect();
    let mut chart = rate_quality_chart(&plot, &Axis::of(metric), &all)?;
    let mut entries = Vec::new();
    for (i, (codec, hull, rungs)) in curves.iter().enumerate() {
        let c = PALETTE[i % PALETTE.len()];
        chart.draw_series(LineSeries::new(linear_in_rate(hull), c.stroke_width(3)))?;
        chart.draw_series(rungs.iter().map(|&p| Circle::new(p, 5, c.filled())))?;
        entries.push((format!("{codec} hull, rungs"), Swatch::LineDot(c)));
    }
    legend(&legend_area, &entries)
}
