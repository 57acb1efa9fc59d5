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

// After `out!`, which they use.
mod comparisons;
mod devices;
mod simulation;
mod tables;
use comparisons::{codec_comparisons, reference_comparison};
pub use simulation::PlaybackSimulation;
use tables::{ladder_summary, package_table, rungs_table, settings_table, source_table};

/// The report page for `manifest`, with the figures of its package (`pertitle package`'s
/// `package.json`) when given: every rung's real segment bitrates and what HLS and DASH
/// declare.
pub fn html(
    manifest: &Manifest,
    package: Option<&PackageManifest>,
    strips: &[Strip],
) -> Result<String> {
    html_with_simulation(manifest, package, strips, None)
}

/// [`html`], with a section on a playback simulation (`pertitle simulate`) when given.
pub fn html_with_simulation(
    manifest: &Manifest,
    package: Option<&PackageManifest>,
    strips: &[Strip],
    simulation: Option<&PlaybackSimulation>,
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
        // 1. Rate-quality plot, and per device class.
        rate_quality(w, m, l, &tag)?;
        devices::section(w, m, l, &tag)?;
        // 2. One frame at every rung.
        if let Some(strip) = strips.iter().find(|s| s.codec == l.codec) {
            frame_strip(w, strip, &tag);
        }
        // 3. Segment bitrates.
        segment_bitrates(w, m, l, package, &tag)?;
        // 4. Tables.
        rungs_table(w, m, l, package, &tag);
        if let Some(p) = package {
            package_table(w, l, p, &tag);
        }
        ladder_summary(w, m, l, &tag);
        if let Some(c) = &l.comparison {
            reference_comparison(w, m, c, &tag);
        }
    }

    if let Some(p) = simulation {
        simulation::section(w, m, p)?;
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
