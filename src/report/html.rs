//! The report page.

use super::Strip;
use super::plot::{self, quality_label, source_name};
use crate::Manifest;
use crate::error::Result;
use crate::ladder::Constraints;
use crate::ladder::fixed::Comparison;
use crate::manifest::CodecLadder;
use crate::measure::point::Metric;
use crate::package::PackageManifest;
use std::fmt::Write;

/// `bytes` in base64 (RFC 4648, with padding).
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The section picturing one frame at every rung of a ladder.
fn frame_strip(w: &mut String, strip: &Strip, tag: &str) {
    let _ = writeln!(w, "<h2>{tag}One frame at every rung</h2>");
    match &strip.picture {
        Ok((png, r)) => {
            let _ = write!(
                w,
                "<figure>\n<img src=\"data:image/png;base64,{}\" alt=\"frame {} at every rung\">\n",
                base64(png),
                r.frame
            );
            let _ = writeln!(
                w,
                "<figcaption>Frame {} at {:.3} s: {}. First the whole frame with the crop marked, then the {}x{} crop where the rungs differ most, of the source and of every rung upscaled to {} (bicubic), enlarged {}x (nearest neighbour). Each rung's encode of segment {} (frames {} to {}) was made again for this picture, from frame {} to frame {}; <code>pertitle frames</code> writes the full-size pictures.</figcaption>\n</figure>",
                r.frame,
                r.time_s,
                esc(&r.chosen),
                r.crop.width,
                r.crop.height,
                r.display,
                r.zoom,
                r.segment,
                r.segment_first_frame,
                r.segment_end_frame.saturating_sub(1),
                r.encoded_from_frame,
                r.encoded_end_frame.saturating_sub(1),
            );
        }
        Err(why) => {
            let _ = writeln!(
                w,
                "<p class=\"note\">No pictures: {}</p>",
                esc(&why.to_string())
            );
        }
    }
}

/// Escape text for HTML content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An SVG document for inlining in HTML, which needs no namespace declaration: without it the
/// page holds no URL at all.
fn inline(svg: &str, label: &str) -> String {
    svg.replacen(
        " xmlns=\"http://www.w3.org/2000/svg\"",
        &format!(" role=\"img\" aria-label=\"{}\"", esc(label)),
        1,
    )
}

/// `x` with `digits` decimals, or a dash when it is not a number.
fn num(x: f64, digits: usize) -> String {
    if x.is_finite() {
        format!("{x:.digits$}")
    } else {
        "–".to_string()
    }
}

fn opt(x: Option<f64>, digits: usize) -> String {
    x.map_or_else(|| "–".to_string(), |v| num(v, digits))
}

/// Decimals a quality on this axis is shown with.
fn quality_digits(metric: Metric) -> usize {
    if metric == Metric::Ssim { 5 } else { 3 }
}

const STYLE: &str = "
body { font-family: sans-serif; font-size: 16px; color: #111; margin: 24px auto; max-width: 1000px; padding: 0 16px; }
h1 { font-size: 24px; margin-bottom: 4px; }
h2 { font-size: 20px; margin-top: 32px; border-bottom: 1px solid #ccc; padding-bottom: 4px; }
.sub { color: #555; margin-top: 0; }
figure { margin: 12px 0; }
figure svg { max-width: 100%; height: auto; border: 1px solid #e4e4e4; }
figure img { max-width: 100%; height: auto; image-rendering: pixelated; }
figcaption { color: #444; font-size: 15px; margin-top: 6px; }
table { border-collapse: collapse; margin: 8px 0; font-size: 15px; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e4e4e4; }
th { background: #f3f3f3; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
table.kv th { width: 280px; }
.interp { color: #b02020; }
.note { color: #444; font-size: 15px; }
";

/// Write to the page; writing to a String cannot fail.
macro_rules! out {
    ($w:expr, $($t:tt)*) => {{ let _ = write!($w, $($t)*); }};
}

/// The report page for `manifest`, with the figures of its package (`pertitle package`'s
/// `package.json`) when given: every rung's real segment bitrates and what HLS and DASH
/// declare.
pub fn html(
    manifest: &Manifest,
    package: Option<&PackageManifest>,
    strips: &[Strip],
) -> Result<String> {
    let m = manifest;
    let mut h = String::new();
    let w = &mut h;
    head(w, m);

    // The ladders, codec by codec.
    let several = m.ladders.len() > 1;
    if several {
        codec_comparisons(w, m)?;
    }
    for l in &m.ladders {
        let tag = if several {
            format!("{}: ", esc(l.codec.name()))
        } else {
            String::new()
        };
        // 1. Rate-quality plot.
        rate_quality(w, m, l, &tag)?;
        // 2. One frame at every rung.
        if let Some(strip) = strips.iter().find(|s| s.codec == l.codec) {
            frame_strip(w, strip, &tag);
        }
        // 3. Segment bitrates.
        segment_bitrates(w, m, l, package, &tag)?;
        // 4. Tables.
        rungs_table(w, l, &tag);
        if let Some(p) = package {
            package_table(w, l, p, &tag);
        }
        ladder_summary(w, m, l, &tag);
        if let Some(c) = &l.comparison {
            reference_comparison(w, m, c, &tag);
        }
    }

    settings_table(w, m);
    source_table(w, m);
    out!(w, "</body>\n</html>\n");
    Ok(h)
}

/// One row of a key-value table: the key as text, the value as HTML.
fn kv(w: &mut String, k: &str, v: &str) {
    let _ = writeln!(w, "<tr><th>{}</th><td>{v}</td></tr>", esc(k));
}

/// Items joined with commas.
fn list(v: Vec<String>) -> String {
    v.join(", ")
}

/// The document head with the style, the title, and a line on the source and its ladders.
fn head(w: &mut String, m: &Manifest) {
    let name = esc(&source_name(m));
    out!(
        w,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    );
    out!(
        w,
        "<title>pertitle report: {name}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
    );
    out!(w, "<h1>Per-title ladder: {name}</h1>\n");
    out!(
        w,
        "<p class=\"sub\">{} &middot; {}x{} &middot; {} fps &middot; {} s &middot; {} rungs on {} &middot; {} {}</p>\n",
        esc(&m.source.path.display().to_string()),
        m.source.width,
        m.source.height,
        esc(&m.source.frame_rate.to_string()),
        num(m.source.duration_s, 2),
        m.ladders
            .iter()
            .map(|l| format!("{} {}", l.rungs.len(), l.codec))
            .collect::<Vec<_>>()
            .join(", "),
        esc(&m.settings.quality_field),
        esc(&m.generator.name),
        esc(&m.generator.version),
    );
}

/// The section plotting a ladder's trial encodes, hull and rungs (and the reference's rungs).
fn rate_quality(w: &mut String, m: &Manifest, l: &CodecLadder, tag: &str) -> Result<()> {
    out!(
        w,
        "<h2>{tag}Rate and quality</h2>\n<figure>\n{}\n",
        inline(&plot::rate_quality_svg(m, l)?, "rate-quality plot")
    );
    let mut caption = format!(
        "Every trial encode ({} points) by resolution, the upper convex hull over all of them, and the {} rungs chosen from it (filled triangles: measured encodes; hollow: interpolated between two measured CRFs)",
        l.points.len(),
        l.rungs.len()
    );
    if let Some(c) = &l.comparison {
        out!(
            caption,
            ", and the {} rungs of the {} reference ladder encoded and measured on this title (crosses)",
            c.rungs.len(),
            esc(c.reference.name())
        );
    }
    out!(
        w,
        "<figcaption>{caption}. Quality: {}, scored at {}.</figcaption>\n</figure>\n",
        esc(quality_label(m.settings.metric)),
        m.settings.display
    );
    Ok(())
}

/// The section plotting the bitrate of each segment of each rung of a ladder.
fn segment_bitrates(
    w: &mut String,
    m: &Manifest,
    l: &CodecLadder,
    package: Option<&PackageManifest>,
    tag: &str,
) -> Result<()> {
    out!(w, "<h2>{tag}Bitrate of each segment</h2>\n");
    let seg_note = unplotted_rungs_note(l, package);
    let seg_text = match package {
        Some(_) => format!(
            "Each segment file's size over its duration, for every rung of the package ({} segments of about {} s), plotted from the segment's start time.",
            m.segments.count,
            num(m.settings.segment_seconds, 1)
        ),
        None => format!(
            "Each segment's encoded size over its duration ({} segments of about {} s), plotted from the segment's start time.",
            m.segments.count,
            num(m.settings.segment_seconds, 1)
        ),
    };
    match plot::segments_svg(m, l, package)? {
        Some(svg) => {
            out!(
                w,
                "<figure>\n{}\n<figcaption>{seg_text}{seg_note}</figcaption>\n</figure>\n",
                inline(&svg, "segment bitrates")
            )
        }
        None => out!(
            w,
            "<p class=\"note\">No rung has segment sizes.{seg_note}</p>\n"
        ),
    }
    Ok(())
}

/// Which rungs the segment plot leaves out (interpolated, never encoded), when it has no
/// package to take their sizes from; else nothing.
fn unplotted_rungs_note(l: &CodecLadder, package: Option<&PackageManifest>) -> String {
    let interpolated: Vec<String> = l
        .rungs
        .iter()
        .enumerate()
        .filter(|(_, r)| r.segment_sizes_bits.is_empty())
        .map(|(i, _)| (i + 1).to_string())
        .collect();
    if interpolated.is_empty() || package.is_some() {
        String::new()
    } else {
        format!(
            " Rung{} {} {} interpolated: never encoded, so {} no segment sizes and {} not shown (a report with the package shows every rung).",
            if interpolated.len() > 1 { "s" } else { "" },
            interpolated.join(", "),
            if interpolated.len() > 1 { "are" } else { "is" },
            if interpolated.len() > 1 {
                "they have"
            } else {
                "it has"
            },
            if interpolated.len() > 1 { "are" } else { "is" },
        )
    }
}

/// The table of a ladder's rungs: resolution, CRF, bitrates and qualities.
fn rungs_table(w: &mut String, l: &CodecLadder, tag: &str) {
    let has_vmaf = l.rungs.iter().any(|r| r.vmaf.is_some());
    out!(
        w,
        "<h2>{tag}Rungs</h2>\n<table class=\"rungs\">\n<tr><th>#</th><th>resolution</th><th>CRF</th><th>bitrate (kbit/s)</th><th>peak (kbit/s)</th>"
    );
    if has_vmaf {
        out!(w, "<th>VMAF</th>");
    }
    out!(
        w,
        "<th>PSNR-Y (dB)</th><th>PSNR-YUV (dB)</th><th>SSIM-Y</th></tr>\n"
    );
    for (i, r) in l.rungs.iter().enumerate() {
        let crf = if r.sampled {
            format!("<span class=\"interp\">{}~</span>", num(r.crf, 2))
        } else if r.interpolated {
            format!("<span class=\"interp\">{}*</span>", num(r.crf, 2))
        } else {
            num(r.crf, 2)
        };
        out!(
            w,
            "<tr><td class=\"n\">{}</td><td>{}x{}</td><td class=\"n\">{crf}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
            i + 1,
            r.width,
            r.height,
            num(r.bitrate_kbps, 1),
            num(r.peak_kbps, 1)
        );
        if has_vmaf {
            out!(w, "<td class=\"n\">{}</td>", opt(r.vmaf, 3));
        }
        out!(
            w,
            "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
            num(r.psnr_y, 3),
            num(r.psnr_yuv, 3),
            num(r.ssim_y, 5)
        );
    }
    out!(w, "</table>\n");
    if l.sampled() {
        let frames: u64 = l.search.sample.iter().map(|w| w.frames).sum();
        out!(
            w,
            "<p class=\"note\"><span class=\"interp\">~</span> chosen on a sample of the title ({} segments, {} frames): bitrates and qualities are the sample's, estimates for the whole title; the package encodes it all.</p>\n",
            l.search.sample.len(),
            frames
        );
    }
    if l.rungs.iter().any(|r| r.interpolated && !r.sampled) {
        out!(
            w,
            "<p class=\"note\"><span class=\"interp\">*</span> interpolated between two measured CRFs of its resolution: CRF, bitrate and qualities estimated, not encoded; peak estimated from the nearer measured point.</p>\n"
        );
    }
}

/// The table of a ladder's expected quality over its viewers' bandwidths.
fn ladder_summary(w: &mut String, m: &Manifest, l: &CodecLadder, tag: &str) {
    let metric = m.settings.metric;
    out!(w, "<h2>{tag}Ladder</h2>\n<table class=\"kv\">\n");
    kv(
        w,
        &format!("expected quality ({})", quality_label(metric)),
        &num(l.summary.expected_quality, quality_digits(metric)),
    );
    kv(
        w,
        "viewer bandwidths (log-uniform)",
        &format!(
            "{} – {} kbit/s",
            num(l.summary.viewer_kbps[0], 0),
            num(l.summary.viewer_kbps[1], 0)
        ),
    );
    kv(w, "rungs", &l.rungs.len().to_string());
    kv(
        w,
        "interpolated rungs",
        &l.summary.interpolated_rungs.to_string(),
    );
    out!(w, "</table>\n");
}

/// The section comparing a ladder with a reference ladder: the BD figures, then the
/// reference's rungs as encoded and measured on this title.
fn reference_comparison(w: &mut String, m: &Manifest, c: &Comparison, tag: &str) {
    let metric = m.settings.metric;
    let qd = quality_digits(metric);
    out!(
        w,
        "<h2>{tag}Against {}</h2>\n<table class=\"kv\">\n",
        esc(c.reference.name())
    );
    kv(
        w,
        "BD-rate (negative: fewer bits)",
        &c.bd_rate_percent
            .map_or("–".to_string(), |v| format!("{v:+.2} %")),
    );
    kv(
        w,
        &format!("BD-quality ({})", quality_label(metric)),
        &c.bd_quality.map_or("–".to_string(), |v| format!("{v:+.3}")),
    );
    kv(w, "equal quality compared at", &opt(c.equal_quality, qd));
    kv(
        w,
        "reference bitrate there (kbit/s)",
        &opt(c.reference_kbps_at_equal_quality, 1),
    );
    kv(
        w,
        "per-title bitrate there (kbit/s)",
        &opt(c.per_title_kbps_at_equal_quality, 1),
    );
    kv(
        w,
        "saving at equal quality",
        &c.saving_at_equal_quality_percent
            .map_or("–".to_string(), |v| format!("{v:.2} %")),
    );
    kv(
        w,
        "reference top rung",
        &format!(
            "{} kbit/s, quality {}",
            opt(c.reference_top_kbps, 1),
            opt(c.reference_top_quality, qd)
        ),
    );
    kv(w, "BD interpolation", &esc(&c.method.to_string()));
    kv(w, "reference rate control", &esc(&c.rate_control));
    if let Some(note) = &c.note {
        kv(w, "note", &esc(note));
    }
    out!(
        w,
        "</table>\n<table class=\"rungs\">\n<tr><th>reference rung</th><th>target (kbit/s)</th><th>bitrate (kbit/s)</th><th>peak (kbit/s)</th><th>{}</th></tr>\n",
        esc(quality_label(metric))
    );
    for r in &c.rungs {
        out!(
            w,
            "<tr><td>{}x{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
            r.width,
            r.height,
            num(r.target_kbps, 0),
            num(r.bitrate_kbps, 1),
            num(r.peak_kbps, 1),
            num(metric.of(r), qd)
        );
    }
    out!(w, "</table>\n");
}

/// The table of the run's settings: encoders, resolutions, segments, scoring, constraints.
fn settings_table(w: &mut String, m: &Manifest) {
    let s = &m.settings;
    out!(w, "<h2>Settings</h2>\n<table class=\"kv\">\n");
    for l in &m.ladders {
        kv(
            w,
            "encoder",
            &esc(&format!(
                "{}: {}, preset {}, {} threads; CRFs {}",
                l.codec,
                l.encoder,
                l.preset,
                l.encoder_threads,
                list(l.crfs.iter().map(|c| format!("{c}")).collect())
            )),
        );
        kv(w, "keyframes", &esc(&l.keyframes));
    }
    kv(
        w,
        "resolutions measured",
        &list(s.resolutions.iter().map(|r| r.to_string()).collect()),
    );
    kv(
        w,
        "segments",
        &format!(
            "{} s target, {} segments",
            s.segment_seconds, m.segments.count
        ),
    );
    kv(
        w,
        "scoring",
        &esc(&format!(
            "at {} ({} down, {} up); quality axis {}{}",
            s.display,
            s.downscale,
            s.upscale,
            s.quality_field,
            s.vmaf_model
                .map_or(String::new(), |v| format!(", VMAF model {v}"))
        )),
    );
    kv(w, "constraints", &esc(&constraints_text(&s.constraints)));
    if let Some([lo, hi]) = s.objective.viewer_kbps {
        kv(w, "objective", &format!("viewers at {lo}–{hi} kbit/s"));
    }
    out!(w, "</table>\n");
}

/// The ladder constraints in words, the unset ones left out.
fn constraints_text(c: &Constraints) -> String {
    let mut cs = vec![
        format!("{}–{} rungs", c.min_rungs, c.max_rungs),
        format!(
            "{}–{} kbit/s",
            c.min_kbps,
            c.max_kbps.map_or("∞".to_string(), |k| k.to_string())
        ),
        format!(
            "step ×{}–{}",
            c.min_step,
            c.max_step.map_or("∞".to_string(), |k| k.to_string())
        ),
    ];
    if let Some(q) = c.top_quality {
        cs.push(format!("top quality {q}"));
    }
    if let Some(q) = c.min_bottom_quality {
        cs.push(format!("bottom quality ≥ {q}"));
    }
    if let Some(k) = c.max_bottom_kbps {
        cs.push(format!("bottom ≤ {k} kbit/s"));
    }
    if c.min_quality_gap > 0.0 {
        cs.push(format!("quality gap ≥ {}", c.min_quality_gap));
    }
    if let Some(hh) = c.min_height {
        cs.push(format!("height ≥ {hh}"));
    }
    if let Some(hh) = c.max_height {
        cs.push(format!("height ≤ {hh}"));
    }
    if !c.allowed_heights.is_empty() {
        cs.push(format!(
            "heights {}",
            list(c.allowed_heights.iter().map(|x| x.to_string()).collect())
        ));
    }
    if !c.forced.is_empty() {
        cs.push(format!(
            "forced {}",
            list(c.forced.iter().map(|f| f.to_string()).collect())
        ));
    }
    if c.measured_only {
        cs.push("measured rungs only".to_string());
    }
    cs.join("; ")
}

/// The table of the source and of the program that made the manifest.
fn source_table(w: &mut String, m: &Manifest) {
    let src = &m.source;
    out!(w, "<h2>Source</h2>\n<table class=\"kv\">\n");
    kv(w, "path", &esc(&src.path.display().to_string()));
    kv(w, "size", &format!("{}x{}", src.width, src.height));
    kv(w, "frame rate", &esc(&src.frame_rate.to_string()));
    kv(
        w,
        "frames",
        &format!("{} ({} s)", src.frames, num(src.duration_s, 3)),
    );
    kv(
        w,
        "generator",
        &esc(&format!(
            "{} {} (libavcodec {})",
            m.generator.name, m.generator.version, m.generator.libavcodec
        )),
    );
    out!(w, "</table>\n");
}

/// Each later codec against the first: every codec's hull and rungs on one plot, then the
/// BD-rates on the hulls and on the ladders.
fn codec_comparisons(w: &mut String, m: &Manifest) -> Result<()> {
    let metric = m.settings.metric;
    let _ = write!(
        w,
        "<h2>Codecs</h2>\n<figure>\n{}\n<figcaption>Each codec's convex hull over its trial encodes (lines) and its rungs (dots). Quality: {}, scored at {}.</figcaption>\n</figure>\n",
        inline(&plot::codecs_svg(m)?, "codecs plot"),
        esc(quality_label(metric)),
        m.settings.display
    );
    let _ = write!(
        w,
        "<table class=\"rungs\">\n<tr><th>codec</th><th>against</th><th>hull BD-rate</th><th>ladder BD-rate</th><th>hull BD-{q}</th><th>ladder BD-{q}</th><th>note</th></tr>\n",
        q = esc(quality_label(metric))
    );
    let pct = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:+.2} %"));
    let q = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:+.3}"));
    for c in &m.codec_comparisons {
        let _ = writeln!(
            w,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            esc(c.codec.name()),
            esc(c.against.name()),
            pct(c.hull_bd_rate_percent),
            pct(c.ladder_bd_rate_percent),
            q(c.hull_bd_quality),
            q(c.ladder_bd_quality),
            esc(c.note.as_deref().unwrap_or(""))
        );
    }
    let _ = write!(
        w,
        "</table>\n<p class=\"note\">BD-rate (PCHIP): the average bitrate difference at equal {} over the quality range both curves cover; negative means the codec needs fewer bits than the one it is compared with.</p>\n",
        esc(quality_label(metric))
    );
    best_per_rung(w, m);
    Ok(())
}

/// At each rung of the first codec's ladder, the bitrate each codec's hull needs for its
/// quality, the least of them marked.
fn best_per_rung(w: &mut String, m: &Manifest) {
    let Some(anchor) = m.ladders.first() else {
        return;
    };
    let metric = m.settings.metric;
    let _ = write!(
        w,
        "<table class=\"rungs\">\n<tr><th>{} rung</th><th>{}</th><th>{} (kbit/s)</th>",
        esc(anchor.codec.name()),
        esc(quality_label(metric)),
        esc(anchor.codec.name())
    );
    for c in &m.codec_comparisons {
        let _ = write!(w, "<th>{} (kbit/s)</th>", esc(c.codec.name()));
    }
    let _ = writeln!(w, "<th>fewest bits</th></tr>");
    for (i, r) in anchor.rungs.iter().enumerate() {
        let mut cells = vec![(anchor.codec, Some(r.bitrate_kbps))];
        cells.extend(
            m.codec_comparisons
                .iter()
                .map(|c| (c.codec, c.at_rungs.get(i).and_then(|a| a.codec_kbps))),
        );
        let best = cells
            .iter()
            .filter_map(|&(c, k)| k.map(|k| (c, k)))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        let partial = cells.iter().any(|(_, k)| k.is_none());
        let _ = write!(
            w,
            "<tr><td>{} {}x{}</td><td class=\"n\">{}</td>",
            i + 1,
            r.width,
            r.height,
            num(metric.of(r), quality_digits(metric))
        );
        for (_, k) in &cells {
            let _ = write!(w, "<td class=\"n\">{}</td>", opt(*k, 1));
        }
        let _ = writeln!(
            w,
            "<td>{}{}</td></tr>",
            best.map_or(String::new(), |(c, _)| esc(c.name())),
            if partial { "*" } else { "" }
        );
    }
    let _ = writeln!(
        w,
        "</table>\n<p class=\"note\">The bitrate each codec's convex hull needs for the quality of each {} rung (– outside the quality range the codec was measured over; * the least among the codecs measured there).</p>",
        esc(anchor.codec.name())
    );
}

/// The package's renditions: what HLS and DASH declare, measured on the segment files, and
/// how the final encodes compare with the ladder's figures.
fn package_table(w: &mut String, l: &CodecLadder, p: &PackageManifest, tag: &str) {
    out!(
        w,
        "<h2>{tag}Package</h2>\n<table class=\"rungs\">\n<tr><th>rendition</th><th>resolution</th><th>CODECS</th><th>AVERAGE-BANDWIDTH (kbit/s)</th><th>BANDWIDTH (kbit/s)</th><th>DASH bandwidth (kbit/s)</th><th>ladder bitrate (kbit/s)</th><th>final vs ladder</th></tr>\n"
    );
    let renditions = p.renditions.iter().filter(|r| r.codec == l.codec);
    for (r, rung) in renditions.zip(&l.rungs) {
        let video_kbps = r.segment_video_bits.iter().sum::<u64>() as f64
            / p.segment_durations_s
                .iter()
                .sum::<f64>()
                .max(f64::MIN_POSITIVE)
            / 1000.0;
        let versus = match r.matches_trial {
            Some(true) => "same bits".to_string(),
            Some(false) => "<span class=\"interp\">different bits</span>".to_string(),
            None if rung.bitrate_kbps > 0.0 => format!(
                "{:+.1}% video bits",
                (video_kbps / rung.bitrate_kbps - 1.0) * 100.0
            ),
            None => String::new(),
        };
        let ladder = if rung.interpolated {
            format!(
                "<span class=\"interp\">{}*</span>",
                num(rung.bitrate_kbps, 1)
            )
        } else {
            num(rung.bitrate_kbps, 1)
        };
        out!(
            w,
            "<tr><td>{}</td><td>{}x{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{ladder}</td><td>{versus}</td></tr>\n",
            esc(&r.name),
            r.width,
            r.height,
            esc(&r.codecs),
            num(r.hls_average_bandwidth as f64 / 1000.0, 1),
            num(r.hls_bandwidth as f64 / 1000.0, 1),
            num(r.dash_bandwidth as f64 / 1000.0, 1),
        );
    }
    out!(w, "</table>\n");
    out!(
        w,
        "<p class=\"note\">Measured on the segment files (container included): AVERAGE-BANDWIDTH is all segment bits over the duration, BANDWIDTH the peak segment bit rate (RFC 8216bis), the DASH bandwidth the least rate that delivers every segment in time after {} s of buffering. {}. Final encodes: {} preset {}; a measured rung's final encode is its trial encode (\"same bits\"); an interpolated rung's video bitrate is compared with the ladder's estimate.</p>\n",
        num(p.dash_min_buffer_s, 3),
        [
            p.hls_master.as_deref().map(|h| format!("HLS: {}", esc(h))),
            p.dash_mpd.as_deref().map(|d| format!("DASH: {}", esc(d))),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", "),
        esc(&l.encoder),
        esc(&p
            .renditions
            .iter()
            .find(|r| r.codec == l.codec)
            .map_or(l.preset.clone(), |r| r.preset.clone())),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), coded);
        }
        assert_eq!(base64(&[0xff, 0xfe, 0xfd]), "//79");
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(esc("a<b>&\"c'.mp4"), "a&lt;b&gt;&amp;&quot;c&#39;.mp4");
        assert_eq!(num(f64::NAN, 2), "–");
        assert_eq!(num(1.23456, 2), "1.23");
    }
}
