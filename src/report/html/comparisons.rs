//! The report's comparisons: the per-title ladder against the reference ladder, and codec
//! against codec (BD figures and the best codec per rung).

use super::*;

/// The section comparing a ladder with a reference ladder: the BD figures, then the
/// reference's rungs as encoded and measured on this title.
pub(super) fn reference_comparison(w: &mut String, m: &Manifest, c: &Comparison, tag: &str) {
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

/// Each later codec against the first: every codec's hull and rungs on one plot, then the
/// BD-rates on the hulls and on the ladders.
pub(super) fn codec_comparisons(w: &mut String, m: &Manifest) -> Result<()> {
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
