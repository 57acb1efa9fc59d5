//! `pertitle::report`: the HTML report and the PNG plot of a real ladder.json.

use crate::common;
use assert_cmd::Command;
use pertitle::Manifest;
use pertitle::measure::point::Metric;
use std::path::Path;
use std::sync::OnceLock;

/// One ladder.json from a short synthetic clip (two resolutions, three CRFs, compared with
/// apple-hls), made once for all the tests here.
fn manifest() -> &'static Manifest {
    static M: OnceLock<Manifest> = OnceLock::new();
    M.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let clip = tmp.path().join("synthetic.mp4");
        common::synthetic_clip(&clip, "320x240", "24", 2.0);
        let out = tmp.path().join("out");
        Command::cargo_bin("pertitle")
            .unwrap()
            .args([
                "optimize",
                "--quiet",
                "--metric",
                "psnr",
                "--preset",
                "ultrafast",
            ])
            .args(["--resolutions", "240,120", "--crf", "18,28,38,48"])
            .args(["--segment-seconds", "0.5", "--compare-to", "apple-hls"])
            .arg(&clip)
            .arg("-o")
            .arg(&out)
            .assert()
            .success();
        // With a comparison section: the schema covers it too.
        common::read_manifest(&out.join("ladder.json"));
        Manifest::read(&out.join("ladder.json")).unwrap()
    })
}

/// The HTML between `start` (inclusive) and the next `end`.
fn section<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let i = html.find(start).unwrap_or_else(|| panic!("no {start:?}"));
    let j = html[i..]
        .find(end)
        .unwrap_or_else(|| panic!("no {end:?} after {start:?}"))
        + i;
    &html[i..j]
}

/// The text of every `<text>` element of `svg`, trimmed.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .map(|t| {
            let body = &t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()];
            body.trim().to_string()
        })
        .collect()
}

/// Whether `svg` has a `<text>` element reading `s`.
fn has_text(svg: &str, s: &str) -> bool {
    texts(svg).iter().any(|t| t == s)
}

#[test]
fn the_page_is_self_contained_and_shows_the_manifest() {
    let m = manifest();
    let html = pertitle::report::html(m, None, &[]).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
    // Self-contained: inline SVG, no URL anywhere, no scripts.
    assert_eq!(
        html.matches("<svg").count(),
        2,
        "rate-quality and segment plots"
    );
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(!html.to_ascii_lowercase().contains("<script"));
    assert!(!html.contains("<link") && !html.contains("<img"));

    // The rate-quality plot: axis labels with units, the title, one legend entry per
    // measured resolution, the hull, the rungs and the reference ladder.
    let plot = section(&html, "<svg", "</svg>");
    assert!(has_text(plot, "bitrate (kbit/s, log scale)"));
    assert!(has_text(plot, "PSNR-Y (dB)"));
    assert!(has_text(
        plot,
        "synthetic.mp4: rate-quality, x264 (PSNR-Y (dB))"
    ));
    assert_eq!(m.settings.resolutions.len(), 2);
    for r in &m.settings.resolutions {
        assert_eq!(
            texts(plot).iter().filter(|t| **t == r.to_string()).count(),
            1,
            "legend {r}"
        );
    }
    assert!(has_text(plot, "convex hull"));
    assert!(has_text(plot, "apple-hls (measured)"));
    if m.ladders[0].rungs.iter().any(|r| !r.interpolated) {
        assert!(has_text(plot, "rungs (measured)"));
    }
    if m.ladders[0].rungs.iter().any(|r| r.interpolated) {
        assert!(has_text(plot, "rungs (interpolated)"));
    }
    // Text at least 14 px.
    for size in plot.split("font-size=\"").skip(1) {
        let px: f64 = size[..size.find('"').unwrap()].parse().unwrap();
        assert!(px >= 14.0, "font-size {px}");
    }

    // The segment plot: one series per measured rung.
    let segments = section(&html, "Bitrate of each segment", "</figure>");
    assert!(has_text(segments, "time (s)"));
    assert!(has_text(segments, "segment bitrate (kbit/s, log scale)"));
    let measured = m.ladders[0]
        .rungs
        .iter()
        .filter(|r| !r.interpolated)
        .count();
    assert_eq!(
        texts(segments)
            .iter()
            .filter(|t| t.starts_with("rung "))
            .count(),
        measured
    );

    // The rung table: one row per rung, with its bitrates.
    let table = section(&html, "<table class=\"rungs\">", "</table>");
    let rows: Vec<&str> = table.split("<tr><td").skip(1).collect();
    assert_eq!(rows.len(), m.ladders[0].rungs.len());
    for (row, r) in rows.iter().zip(&m.ladders[0].rungs) {
        assert!(
            row.contains(&format!(">{}x{}<", r.width, r.height)),
            "{row}"
        );
        assert!(row.contains(&format!(">{:.1}<", r.bitrate_kbps)), "{row}");
        assert!(row.contains(&format!(">{:.1}<", r.peak_kbps)), "{row}");
        assert!(row.contains(&format!(">{:.3}<", r.psnr_y)), "{row}");
        assert_eq!(row.contains("*</span>"), r.interpolated, "{row}");
    }
    // The summary, the comparison, the source.
    assert!(html.contains(&format!("{:.3}", m.ladders[0].summary.expected_quality)));
    let c = m.ladders[0].comparison.as_ref().unwrap();
    assert!(html.contains("<h2>Against apple-hls</h2>"));
    assert!(html.contains("BD-rate"));
    if let Some(bd) = c.bd_rate_percent {
        assert!(html.contains(&format!("{bd:+.2} %")));
    }
    assert!(html.contains(&m.source.path.display().to_string()));

    // Deterministic.
    assert_eq!(html, pertitle::report::html(m, None, &[]).unwrap());
    assert_eq!(html, pertitle::report::html(&m.clone(), None, &[]).unwrap());
}

#[test]
fn paths_are_escaped_and_missing_parts_are_left_out() {
    let mut m = manifest().clone();
    m.source.path = "clips/<b>&'quoted\".mp4".into();
    m.ladders[0].comparison = None;
    // Every rung interpolated: no segment sizes to plot.
    for r in &mut m.ladders[0].rungs {
        r.interpolated = true;
        r.segment_sizes_bits.clear();
    }
    let html = pertitle::report::html(&m, None, &[]).unwrap();
    assert!(html.contains("clips/&lt;b&gt;&amp;&#39;quoted&quot;.mp4"));
    assert!(!html.contains("<b>"));
    assert!(!html.contains("apple-hls"));
    assert_eq!(html.matches("<svg").count(), 1);
    assert!(html.contains("interpolated: never encoded"));
    assert!(!has_text(&html, "rungs (measured)"));
    assert!(has_text(&html, "rungs (interpolated)"));

    m.settings.metric = Metric::Ssim;
    let svg = pertitle::report::rate_quality_svg(&m, &m.ladders[0]).unwrap();
    assert!(has_text(&svg, "SSIM-Y"));
}

#[test]
fn png_has_the_plot_size_and_a_clear_error_without_a_font() {
    let m = manifest();
    let font = Path::new(pertitle::report::DEFAULT_FONT);
    assert!(
        font.exists(),
        "{} is missing: install fonts-dejavu-core (scripts/setup.sh)",
        font.display()
    );
    let png = pertitle::report::rate_quality_png(m, &m.ladders[0], font).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&png[12..16], b"IHDR");
    let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((w, h), pertitle::report::plot::RATE_QUALITY_SIZE);
    assert!(
        png.len() > 10_000,
        "a plot, not a blank image: {} bytes",
        png.len()
    );
    assert_eq!(
        png,
        pertitle::report::rate_quality_png(m, &m.ladders[0], font).unwrap()
    );

    let missing = Path::new("/nonexistent/NoSuchFont.ttf");
    let e = pertitle::report::rate_quality_png(m, &m.ladders[0], missing)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("/nonexistent/NoSuchFont.ttf: "), "{e}");
    assert!(e.contains("fonts-dejavu-core") && !e.contains('\n'), "{e}");
    // Not a font.
    let tmp = tempfile::tempdir().unwrap();
    let bogus = tmp.path().join("bogus.ttf");
    std::fs::write(&bogus, b"not a font").unwrap();
    let e = pertitle::report::rate_quality_png(m, &m.ladders[0], &bogus)
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a TrueType or OpenType font"), "{e}");
}
