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

/// Run `pertitle` with `args`, expecting success.
fn pertitle(args: &[&std::ffi::OsStr]) {
    Command::cargo_bin("pertitle")
        .unwrap()
        .args(args)
        .assert()
        .success();
}

#[test]
fn report_with_a_playback_simulation() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let full = dir.join("ladder.json");
    manifest().write_atomic(&full).unwrap();
    // Two ladders the simulator can play (measured rungs only), the second a single rung.
    let (a, b) = (dir.join("a.json"), dir.join("b.json"));
    let os = |s: &'static str| std::ffi::OsStr::new(s);
    pertitle(&[
        os("ladder"),
        full.as_os_str(),
        os("--measured-only"),
        os("-o"),
        a.as_os_str(),
    ]);
    pertitle(&[
        os("ladder"),
        full.as_os_str(),
        os("--measured-only"),
        os("--max-rungs"),
        os("1"),
        os("-o"),
        b.as_os_str(),
    ]);
    let sim_dir = dir.join("sim");
    pertitle(&[
        os("simulate"),
        a.as_os_str(),
        os("--traces"),
        os("constant:3000"),
        os("--traces"),
        os("step:8000,300,at=20"),
        os("--session-seconds"),
        os("120"),
        os("--compare"),
        b.as_os_str(),
        os("-o"),
        sim_dir.as_os_str(),
    ]);
    let sim = pertitle::simulate::outcome::Simulation::read(&sim_dir).unwrap();
    assert_eq!(sim.ladders.len(), 2);
    assert_eq!(sim.ladders[0].sets.len(), 2);

    let page = dir.join("report.html");
    pertitle(&[
        os("report"),
        a.as_os_str(),
        os("--no-frames"),
        os("--simulation"),
        sim_dir.as_os_str(),
        os("-o"),
        page.as_os_str(),
    ]);
    let html = std::fs::read_to_string(&page).unwrap();
    let s = section(&html, "<h2>Playback simulation</h2>", "<h2>Settings</h2>");
    assert!(s.contains("<b>dynamic</b> ABR algorithm"), "{s}");
    assert!(s.contains("120 s of video per session"));
    assert!(s.contains("over 2 trace sets"));
    assert!(s.contains("QoE = (Σ q<sub>k</sub>"));
    assert_eq!(s.matches("(this report's ladder)").count(), 1);
    assert!(!s.contains("not this report"));
    // Two plots of the ladder, then per trace set a QoE distribution and each ladder's
    // typical and bad sessions.
    assert_eq!(html.matches("<svg").count(), 2 + 2 * (1 + 2 * 2));
    assert_eq!(s.matches("<svg").count(), 2 * (1 + 2 * 2));
    for (i, set) in sim.ladders[0].sets.iter().enumerate() {
        let h3 = format!("<h3>Trace set <code>{}</code>", set.name);
        let table = section(s, &h3, "</table>");
        let qoe = section(table, "<tr><th>QoE</th>", "</tr>");
        for l in &sim.ladders {
            let st = l.sets[i].summary.figures["qoe"];
            for v in [st.mean, st.p10, st.p50, st.p90] {
                assert!(qoe.contains(&format!(">{v:.2}<")), "{v:.2} in {qoe}");
            }
        }
        let cdf = section(s, &h3, "</figure>");
        assert!(has_text(cdf, "sessions at or below (%)"));
        assert!(has_text(cdf, "A (4 sessions)") && has_text(cdf, "B (4 sessions)"));
    }
    // Over all the sets: each ladder's mean QoE and share of sessions stalled.
    let all = section(s, "<h3>All trace sets (8 sessions)</h3>", "</table>");
    let qoe = section(all, "<tr><th>QoE</th>", "</tr>");
    let stalled = section(all, "<tr><th>sessions stalled</th>", "</tr>");
    for l in &sim.ladders {
        let mean = l.summary.figures["qoe"].mean;
        assert!(qoe.contains(&format!(">{mean:.2}<")), "{mean:.2} in {qoe}");
        let share = format!(">{:.1} % (", l.summary.stalled_share * 100.0);
        assert!(stalled.contains(&share), "{share} in {stalled}");
    }
    // The step profile's sessions stall: the timeline shades them.
    let step = section(
        s,
        "<h3>Trace set <code>step:8000,300,at=20</code>",
        "<h3>All",
    );
    let timeline = section(step, "typical session", "</figure>");
    for label in [
        "kbit/s (log scale)",
        "buffer (s)",
        "rung fetched (kbit/s)",
        "stall",
    ] {
        assert!(has_text(timeline, label), "{label}");
    }

    // Another ladder's report says the simulation played another one.
    pertitle(&[
        os("report"),
        b.as_os_str(),
        os("--no-frames"),
        os("--simulation"),
        sim_dir.join("simulation.json").as_os_str(),
        os("-o"),
        page.as_os_str(),
    ]);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("not this report's ladder"));

    // Figures that do not hang together (a session of no set, a rung not offered, a ladder
    // without sets) still give a page.
    let mut odd: serde_json::Value =
        serde_json::from_slice(&std::fs::read(sim_dir.join("simulation.json")).unwrap()).unwrap();
    odd["ladders"][0]["sessions"][0]["set"] = 7.into();
    odd["ladders"][0]["sets"][0]["examples"][0]["timeline"]["fetches"][0][2] = 99.into();
    odd["ladders"][1]["sets"] = serde_json::json!([]);
    let odd_file = dir.join("odd.json");
    std::fs::write(&odd_file, serde_json::to_vec(&odd).unwrap()).unwrap();
    pertitle(&[
        os("report"),
        a.as_os_str(),
        os("--no-frames"),
        os("--simulation"),
        odd_file.as_os_str(),
        os("-o"),
        page.as_os_str(),
    ]);
    assert!(
        std::fs::read_to_string(&page)
            .unwrap()
            .contains("<h2>Playback simulation</h2>")
    );

    // A missing or invalid simulation: one line naming the file, and no report.
    let bogus = dir.join("bogus.json");
    std::fs::write(&bogus, "{\"ladders\": 1}").unwrap();
    let empty = dir.join("empty");
    std::fs::create_dir(&empty).unwrap();
    for (arg, file, cause) in [
        (bogus.clone(), bogus.clone(), "not a pertitle simulation"),
        (empty.clone(), empty.join("simulation.json"), "No such file"),
    ] {
        let out = dir.join("none.html");
        let result = Command::cargo_bin("pertitle")
            .unwrap()
            .args(["report", "--no-frames", "--simulation"])
            .arg(&arg)
            .arg(&a)
            .arg("-o")
            .arg(&out)
            .assert()
            .failure();
        let stderr = String::from_utf8_lossy(&result.get_output().stderr).into_owned();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with(&format!("pertitle: error: {}: ", file.display())),
            "{stderr}"
        );
        assert!(stderr.contains(cause), "{stderr}");
        assert!(!out.exists());
    }
}
