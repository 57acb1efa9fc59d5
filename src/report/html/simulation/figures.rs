//! The simulation section's table of figures: each figure's mean and percentiles, the
//! delivery per viewing hour and its cost, and the sessions that stalled, one column group
//! per ladder.

use super::*;

/// The table of each figure's mean and percentiles, one column group per ladder, of the
/// summary `pick` gives for each ladder.
pub(super) fn figures_table<'a>(
    w: &mut String,
    sim: &'a Simulation,
    pick: impl Fn(&'a LadderSimulation) -> Option<&'a Summary>,
) {
    const GROUP: &str = " style=\"border-left: 1px solid #bbb\"";
    out!(
        w,
        "<table class=\"sim\">\n<tr><th rowspan=\"2\">figure</th>"
    );
    for (i, l) in sim.ladders.iter().enumerate() {
        out!(
            w,
            "<th colspan=\"4\"{GROUP}>{} ({})</th>",
            letter(i),
            esc(&l.quality)
        );
    }
    out!(w, "</tr>\n<tr>");
    for _ in &sim.ladders {
        out!(
            w,
            "<th{GROUP}>mean</th><th>p10</th><th>p50</th><th>p90</th>"
        );
    }
    out!(w, "</tr>\n");
    for (key, label, factor, digits) in ROWS {
        out!(w, "<tr><th>{label}</th>");
        for l in &sim.ladders {
            let d = digits.unwrap_or_else(|| scale_digits(&l.quality));
            match pick(l).and_then(|s| s.figures.get(key)) {
                Some(st) => {
                    for (k, v) in [st.mean, st.p10, st.p50, st.p90].into_iter().enumerate() {
                        let group = if k == 0 { GROUP } else { "" };
                        out!(w, "<td class=\"n\"{group}>{}</td>", num(v * factor, d));
                    }
                }
                None => out!(w, "<td colspan=\"4\"{GROUP}>–</td>"),
            }
        }
        out!(w, "</tr>\n");
    }
    let price = sim.settings.delivery_price_per_gb;
    for (label, factor, digits) in [
        ("delivered per viewing hour, GB", 1.0, 3),
        ("delivery per 1,000 viewing hours, $", 1000.0 * price, 2),
    ] {
        out!(w, "<tr><th>{label}</th>");
        for l in &sim.ladders {
            match pick(l) {
                Some(s) => out!(
                    w,
                    "<td class=\"n\" colspan=\"4\"{GROUP}>{}</td>",
                    num(s.gb_per_viewing_hour * factor, digits)
                ),
                None => out!(w, "<td colspan=\"4\"{GROUP}>–</td>"),
            }
        }
        out!(w, "</tr>\n");
    }
    out!(w, "<tr><th>sessions stalled</th>");
    for l in &sim.ladders {
        match pick(l) {
            Some(s) => {
                let stalled = (s.stalled_share * s.sessions as f64).round() as usize;
                let capped = if s.capped > 0 {
                    format!("; {} gave up at the cap", s.capped)
                } else {
                    String::new()
                };
                out!(
                    w,
                    "<td class=\"n\" colspan=\"4\"{GROUP}>{} % ({stalled} of {}{capped})</td>",
                    num(s.stalled_share * 100.0, 1),
                    s.sessions
                );
            }
            None => out!(w, "<td colspan=\"4\"{GROUP}>–</td>"),
        }
    }
    out!(w, "</tr>\n</table>\n");
}
