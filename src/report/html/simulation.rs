//! The report's "Playback simulation" section: what `pertitle simulate` found when it played
//! the ladder (and any ladder compared with it) over network traces: the settings in words,
//! each figure's distribution per trace set and over all, the QoE's distribution, and a
//! typical and a bad session's timeline.

use super::*;
use crate::simulate::outcome::Simulation;
use crate::simulate::run::{Example, LadderSimulation, Summary};
use std::path::Path;

/// A playback simulation to show in the report.
#[derive(Debug, Clone, Copy)]
pub struct PlaybackSimulation<'a> {
    /// The simulation (`Simulation::read`).
    pub simulation: &'a Simulation,
    /// The file it was read from, named on the page.
    pub file: &'a Path,
    /// The report's ladder.json, to tell whether the simulation played it (`None`: the page
    /// goes by the rungs alone).
    pub ladder: Option<&'a Path>,
}

/// How a simulated ladder relates to the report's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kin {
    /// The same file.
    Same,
    /// Another file (or one not found from here) with rungs of the report's ladder.
    SameRungs,
    /// Another ladder.
    Other,
}

/// Whether `l` is the report's ladder: the same file, or else rungs all found in the
/// manifest's ladder of its codec (a device may leave the top ones out).
fn kin(l: &LadderSimulation, m: &Manifest, ladder: Option<&Path>) -> Kin {
    let same_file = ladder.is_some_and(|path| {
        let simulated = Path::new(&l.ladder);
        match (simulated.canonicalize(), path.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => simulated == path,
        }
    });
    if same_file {
        return Kin::Same;
    }
    let same_rungs = m
        .ladders
        .iter()
        .filter(|c| l.codec.as_deref() == Some(c.codec.to_string().as_str()))
        .any(|c| {
            !l.rungs.is_empty()
                && l.rungs.iter().all(|r| {
                    c.rungs.iter().any(|mr| {
                        (mr.bitrate_kbps - r.bitrate_kbps).abs() < 1e-6
                            && r.size.is_none_or(|s| s == (mr.width, mr.height))
                    })
                })
        });
    if same_rungs {
        Kin::SameRungs
    } else {
        Kin::Other
    }
}

/// The name of ladder `i` on the page.
fn letter(i: usize) -> String {
    char::from_u32('A' as u32 + (i % 26) as u32).map_or_else(|| "?".into(), String::from)
}

/// Decimals for a figure on this quality scale.
fn scale_digits(scale: &str) -> usize {
    if scale.contains("ssim") {
        4
    } else if scale == "log_bitrate" {
        3
    } else {
        2
    }
}

/// The rows of the tables: figure key, label, factor, decimals (`None`: the quality's).
const ROWS: [(&str, &str, f64, Option<usize>); 9] = [
    ("qoe", "QoE", 1.0, None),
    ("mean_quality", "mean quality", 1.0, None),
    ("p5_quality", "5th-percentile quality", 1.0, None),
    ("startup_s", "startup (s)", 1.0, Some(2)),
    ("stall_s", "stall time (s)", 1.0, Some(2)),
    ("stall_ratio", "stall ratio (%)", 100.0, Some(2)),
    ("switches", "switches", 1.0, Some(1)),
    ("played_kbps", "played (kbit/s)", 1.0, Some(0)),
    ("fetched_mbit", "fetched (Mbit)", 1.0, Some(1)),
];

/// `x` with at most 3 decimals, trailing zeros dropped.
fn short(x: f64) -> String {
    let s = num(x, 3);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// `n` with a noun, plural when it is not 1.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The section for `p`.
pub(super) fn section(w: &mut String, m: &Manifest, p: &PlaybackSimulation) -> Result<()> {
    let sim = p.simulation;
    out!(w, "<h2>Playback simulation</h2>\n");
    let Some(first) = sim.ladders.first() else {
        out!(
            w,
            "<p class=\"note\">{} holds no ladder.</p>\n",
            esc(&p.file.display().to_string())
        );
        return Ok(());
    };
    let kins: Vec<Kin> = sim.ladders.iter().map(|l| kin(l, m, p.ladder)).collect();
    settings_text(w, p);
    if kins[0] != Kin::Same {
        let report = p.ladder.map_or_else(String::new, |l| {
            format!(" ({})", esc(&l.display().to_string()))
        });
        let why = if kins[0] == Kin::SameRungs {
            "another file with rungs of this report's ladder"
        } else {
            "not this report's ladder"
        };
        out!(
            w,
            "<p class=\"note\">The simulation played <code>{}</code>, {why}{report}: its figures are shown as the simulation found them.</p>\n",
            esc(&first.ladder)
        );
    }
    ladders_table(w, sim, &kins);

    let sets = first.sets.len();
    for g in 0..sets {
        let set = &first.sets[g];
        out!(
            w,
            "<h3>Trace set <code>{}</code> ({}, {})</h3>\n",
            esc(&set.name),
            count(set.traces, "trace", "traces"),
            count(set.summary.sessions, "session", "sessions")
        );
        figures_table(w, sim, |l| l.sets.get(g).map(|s| &s.summary));
        qoe_distribution(w, sim, g, &set.name)?;
        for (i, l) in sim.ladders.iter().enumerate() {
            let Some(s) = l.sets.get(g) else { continue };
            for e in &s.examples {
                timeline(w, sim, i, l, &s.name, e)?;
            }
        }
    }
    if sets > 1 {
        out!(
            w,
            "<h3>All trace sets ({})</h3>\n",
            count(first.summary.sessions, "session", "sessions")
        );
        figures_table(w, sim, |l| Some(&l.summary));
    }
    Ok(())
}

/// What was simulated and how, and the QoE formula, in words.
fn settings_text(w: &mut String, p: &PlaybackSimulation) {
    let sim = p.simulation;
    let s = &sim.settings;
    let d = &sim.device;
    let mut limits = Vec::new();
    if d.max_width > 0 || d.max_height > 0 {
        limits.push(format!("frames up to {}x{}", d.max_width, d.max_height));
    }
    if let Some(k) = d.max_kbps {
        limits.push(format!("up to {} kbit/s", num(k, 0)));
    }
    if !d.codecs.is_empty() {
        limits.push(format!("decoding {}", d.codecs.join(", ")));
    }
    let device = if limits.is_empty() {
        format!("device <b>{}</b> (no limits)", esc(&d.name))
    } else {
        format!(
            "device <b>{}</b> ({})",
            esc(&d.name),
            esc(&limits.join(", "))
        )
    };
    let abr_detail = match s.abr.as_str() {
        "throughput" => format!("safety factor {}", s.safety),
        "bola" => format!("BOLA utility {}, γp {}", s.bola_utility, s.bola_gamma_p),
        "dynamic" => format!(
            "throughput rule with safety factor {} while the buffer is low, BOLA (utility {}, γp {}) above",
            s.safety, s.bola_utility, s.bola_gamma_p
        ),
        "mpc" => format!("look-ahead {} segments", s.horizon),
        _ => String::new(),
    };
    let session = s.session_s.map_or_else(
        || "the title played once per session".to_string(),
        |v| format!("{} s of video per session (the title looping)", num(v, 0)),
    );
    let first = &sim.ladders[0];
    let sets: Vec<String> = first
        .sets
        .iter()
        .map(|t| {
            format!(
                "<code>{}</code> ({})",
                esc(&t.name),
                count(t.traces, "trace", "traces")
            )
        })
        .collect();
    out!(
        w,
        "<p>Read from <code>{}</code> ({}). Each ladder was played by the <b>{}</b> ABR algorithm ({}) on {device}, with a {} s buffer, {} buffered before playback starts and after a stall, downloads {}; {session}, from {} per trace: {} per ladder over {}: {}.</p>\n",
        esc(&p.file.display().to_string()),
        esc(&sim.generator),
        esc(&s.abr),
        esc(&abr_detail),
        num(s.buffer_s, 1),
        if s.startup_s > 0.0 {
            format!("{} s of video (at least one segment)", num(s.startup_s, 1))
        } else {
            "one segment".to_string()
        },
        if s.abandonment {
            "abandoned when too slow"
        } else {
            "never abandoned"
        },
        count(s.offsets, "start offset", "start offsets"),
        count(first.summary.sessions, "session", "sessions"),
        count(first.sets.len(), "trace set", "trace sets"),
        sets.join(", "),
    );
    out!(
        w,
        "<p>QoE = (Σ q<sub>k</sub> − switch × Σ |q<sub>k</sub> − q′<sub>k</sub>| − rebuffer × stall s − startup × startup s) / N, over the N segments played, q<sub>k</sub> being segment k's quality at the rung played and q′<sub>k</sub> its quality at the rung before (weights per ladder below). The tables give each figure's mean and 10th, 50th and 90th percentiles over sessions: the worst sessions are at p10 for QoE and quality, at p90 for startup and stalls.</p>\n"
    );
}

/// One row per simulated ladder: its letter, file, codec, scale, rungs and weights.
fn ladders_table(w: &mut String, sim: &Simulation, kins: &[Kin]) {
    out!(
        w,
        "<table class=\"sim-ladders\">\n<tr><th></th><th>ladder</th><th>codec</th><th>quality</th><th>rungs (kbit/s)</th><th>QoE weights</th></tr>\n"
    );
    for (i, (l, kin)) in sim.ladders.iter().zip(kins).enumerate() {
        let note = match kin {
            Kin::Same => " (this report's ladder)",
            Kin::SameRungs => " (rungs of this report's ladder)",
            Kin::Other => "",
        };
        let rungs: Vec<String> = l
            .rungs
            .iter()
            .map(|r| match r.size {
                Some((w, h)) => format!("{} ({w}x{h})", num(r.bitrate_kbps, 0)),
                None => num(r.bitrate_kbps, 0),
            })
            .collect();
        out!(
            w,
            "<tr><th>{}</th><td><code>{}</code>{note}</td><td>{}</td><td>{}</td><td>{}</td><td>rebuffer {} /s, switch {}, startup {} /s</td></tr>\n",
            letter(i),
            esc(&l.ladder),
            esc(l.codec.as_deref().unwrap_or("–")),
            esc(&l.quality),
            esc(&rungs.join(", ")),
            short(l.weights.rebuffer),
            short(l.weights.switch),
            short(l.weights.startup),
        );
    }
    out!(w, "</table>\n");
}

/// The table of each figure's mean and percentiles, one column group per ladder, of the
/// summary `pick` gives for each ladder.
fn figures_table<'a>(
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

/// The CDF of the sessions' QoE in trace set `set`, one line per ladder.
fn qoe_distribution(w: &mut String, sim: &Simulation, set: usize, name: &str) -> Result<()> {
    let series: Vec<(String, Vec<f64>)> = sim
        .ladders
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let v: Vec<f64> = l
                .sessions
                .iter()
                .filter(|s| s.set == set)
                .map(|s| s.qoe.qoe)
                .collect();
            (format!("{} ({} sessions)", letter(i), v.len()), v)
        })
        .collect();
    if series.iter().all(|s| s.1.is_empty()) {
        out!(w, "<p class=\"note\">No sessions to plot.</p>\n");
        return Ok(());
    }
    let scales: Vec<&str> = sim.ladders.iter().map(|l| l.quality.as_str()).collect();
    let x_desc = if scales.windows(2).all(|p| p[0] == p[1]) {
        format!("QoE (per segment, {})", scales[0])
    } else {
        "QoE (per segment, each ladder's scale)".to_string()
    };
    let svg = plot::qoe_cdf_svg(&series, &format!("{name}: QoE over sessions"), &x_desc)?;
    out!(
        w,
        "<figure>\n{}\n<figcaption>The distribution of the QoE score over this set's sessions: for each score, the share of sessions that scored it or less (further right is better; a line further right at every height is better for every viewer).</figcaption>\n</figure>\n",
        inline(&svg, &format!("QoE distribution, {name}"))
    );
    Ok(())
}

/// The trace's file name, or the whole name when it has none (a profile).
fn trace_name(trace: &str) -> String {
    Path::new(trace)
        .file_name()
        .map_or_else(|| trace.to_string(), |n| n.to_string_lossy().into_owned())
}

/// One example session's timeline plot, with its figures in the caption.
fn timeline(
    w: &mut String,
    sim: &Simulation,
    i: usize,
    l: &LadderSimulation,
    set: &str,
    e: &Example,
) -> Result<()> {
    let which = match e.kind.as_str() {
        "typical" => "typical session (the median QoE)".to_string(),
        "bad" => "bad session (the 10th-percentile QoE)".to_string(),
        other => format!("{other} session"),
    };
    let ladder = if sim.ladders.len() > 1 {
        format!("Ladder {}: the ", letter(i))
    } else {
        "The ".to_string()
    };
    if e.timeline.fetches.is_empty() {
        out!(
            w,
            "<p class=\"note\">{ladder}{} of {}: no events kept to plot.</p>\n",
            esc(&which),
            esc(set)
        );
        return Ok(());
    }
    let d = scale_digits(&l.quality);
    let trace = trace_name(&e.trace);
    let title = format!(
        "{}{set}: {} session, {}from {} s",
        if sim.ladders.len() > 1 {
            format!("{}, ", letter(i))
        } else {
            String::new()
        },
        e.kind,
        if trace == set {
            String::new()
        } else {
            format!("{trace} ")
        },
        num(e.offset_s, 0)
    );
    let svg = plot::timeline_svg(l, &e.timeline, &title)?;
    let q = &e.qoe;
    out!(
        w,
        "<figure>\n{}\n<figcaption>{ladder}{} of <code>{}</code>: trace <code>{}</code> from {} s. QoE {}, mean quality {}, startup {} s, {} ({} s), {}, {} kbit/s played. Top: the throughput of each download and the nominal bitrate of the rung it fetched, each held until the next request (kbit/s, log scale; crosses: downloads abandoned); bottom: the buffer level (s); shaded: stalls.</figcaption>\n</figure>\n",
        inline(&svg, &format!("session timeline, {title}")),
        esc(&which),
        esc(set),
        esc(&e.trace),
        num(e.offset_s, 1),
        num(q.qoe, d),
        num(q.mean_quality, d),
        num(q.startup_s, 2),
        count(q.stalls as usize, "stall", "stalls"),
        num(q.stall_s, 2),
        count(q.switches as usize, "switch", "switches"),
        num(q.played_kbps, 0),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_digits() {
        assert_eq!(letter(0), "A");
        assert_eq!(letter(1), "B");
        assert_eq!(scale_digits("vmaf"), 2);
        assert_eq!(scale_digits("ssim_y"), 4);
        assert_eq!(scale_digits("log_bitrate"), 3);
        assert_eq!(count(1, "stall", "stalls"), "1 stall");
        assert_eq!(count(0, "stall", "stalls"), "0 stalls");
        assert_eq!(trace_name("a/b/c.json"), "c.json");
        assert_eq!(trace_name("constant:3000"), "constant:3000");
        assert_eq!(short(60.0), "60");
        assert_eq!(short(3.2614354), "3.261");
        assert_eq!(short(f64::NAN), "–");
    }
}
