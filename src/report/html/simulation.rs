//! The report's "Playback simulation" section: what `pertitle simulate` found when it played
//! the ladder (and any ladder compared with it) over network traces: the settings in words,
//! each figure's distribution per trace set and over all, the QoE's distribution, and a
//! typical and a bad session's timeline.

use super::*;
use crate::report::plot::{CdfSeries, TimelineAxes};
use crate::simulate::abr::dynamic::SWITCH_BUFFER_S;
use crate::simulate::outcome::Simulation;
use crate::simulate::run::{Example, LadderSimulation, Summary, TimelineOut};
use figures::figures_table;
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
    let scales = scales(sim);
    if scales.len() > 1 {
        let each: Vec<String> = scales
            .iter()
            .map(|(scale, ladders)| {
                let letters: Vec<String> = ladders.iter().map(|&i| letter(i)).collect();
                format!("{} on <code>{}</code>", letters.join(", "), esc(scale))
            })
            .collect();
        out!(
            w,
            "<p class=\"note\"><b>The ladders are scored on different quality scales ({}): their QoE and quality figures are not comparable from one scale to the other.</b> The tables below put them side by side, but only their startup, stall, switch and bitrate figures compare; the QoE distributions are drawn apart, one per scale.</p>\n",
            each.join("; ")
        );
    }
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
        for group in example_groups(sim, g) {
            examples(w, sim, &set.name, &group)?;
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
            "throughput rule with safety factor {} while the buffer holds less than {} s, BOLA (utility {}, γp {}) above {} s",
            s.safety,
            num(SWITCH_BUFFER_S, 0),
            s.bola_utility,
            s.bola_gamma_p,
            num(SWITCH_BUFFER_S, 0)
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

/// The quality scales of the ladders, in order of first use, each with its ladders.
fn scales(sim: &Simulation) -> Vec<(&str, Vec<usize>)> {
    let mut out: Vec<(&str, Vec<usize>)> = Vec::new();
    for (i, l) in sim.ladders.iter().enumerate() {
        match out.iter_mut().find(|(scale, _)| *scale == l.quality) {
            Some((_, ladders)) => ladders.push(i),
            None => out.push((&l.quality, vec![i])),
        }
    }
    out
}

/// The CDF of the sessions' QoE in trace set `set`, one line per ladder: one plot for each
/// quality scale, the scores of different scales not being comparable.
fn qoe_distribution(w: &mut String, sim: &Simulation, set: usize, name: &str) -> Result<()> {
    let values = |l: &LadderSimulation| -> Vec<f64> {
        l.sessions
            .iter()
            .filter(|s| s.set == set)
            .map(|s| s.qoe.qoe)
            .collect()
    };
    if sim.ladders.iter().all(|l| values(l).is_empty()) {
        out!(w, "<p class=\"note\">No sessions to plot.</p>\n");
        return Ok(());
    }
    let scales = scales(sim);
    let mut plots = Vec::new();
    let mut notes = Vec::new();
    for (scale, ladders) in &scales {
        let series: Vec<CdfSeries> = ladders
            .iter()
            .map(|&i| {
                let v = values(&sim.ladders[i]);
                CdfSeries {
                    label: format!("{} ({})", letter(i), count(v.len(), "session", "sessions")),
                    color: i,
                    values: v,
                }
            })
            .collect();
        let title = if scales.len() > 1 {
            format!("{}: QoE over sessions, {scale}", trace_name(name))
        } else {
            format!("{}: QoE over sessions", trace_name(name))
        };
        let cdf = plot::qoe_cdf_svg(&series, &title, &format!("QoE (per segment, {scale})"))?;
        let (below, above) = cdf.off_scale;
        let d = scale_digits(scale);
        let mut off = Vec::new();
        if below > 0 {
            off.push(format!(
                "{} below {}",
                count(below, "session", "sessions"),
                num(cdf.range.0, d)
            ));
        }
        if above > 0 {
            off.push(format!(
                "{} above {}",
                count(above, "session", "sessions"),
                num(cdf.range.1, d)
            ));
        }
        if !off.is_empty() {
            let whose = if scales.len() > 1 {
                format!(" (<code>{}</code>)", esc(scale))
            } else {
                String::new()
            };
            notes.push(format!(
                "The QoE axis{whose} leaves out the few sessions far from all the others, drawing them on its edge: {} {} off its scale.",
                off.join(" and "),
                if below + above == 1 { "lies" } else { "lie" }
            ));
        }
        plots.push(inline(
            &cdf.svg,
            &format!("QoE distribution, {name}, {scale}"),
        ));
    }
    let apart = if scales.len() > 1 {
        " One plot per quality scale: scores on different scales are not comparable."
    } else {
        ""
    };
    out!(
        w,
        "<figure>\n{}\n<figcaption>The distribution of the QoE score over this set's sessions: for each score, the share of sessions that scored it or less (further right is better; a line further right at every height is better across the distribution).{apart}{}</figcaption>\n</figure>\n",
        plots.join("\n"),
        notes.iter().map(|n| format!(" {n}")).collect::<String>()
    );
    Ok(())
}

/// The trace's file name, or the whole name when it has none (a profile).
fn trace_name(trace: &str) -> String {
    Path::new(trace)
        .file_name()
        .map_or_else(|| trace.to_string(), |n| n.to_string_lossy().into_owned())
}

/// Whether two examples replay the same session: the same trace from the same offset.
fn same_session(a: &Example, b: &Example) -> bool {
    a.trace == b.trace && (a.offset_s - b.offset_s).abs() < 1e-9
}

/// Example sessions shown together: the ladders' examples of one kind (or of several kinds,
/// when they are the same sessions).
struct ExampleGroup<'a> {
    /// The kinds (`typical`, `bad`).
    kinds: Vec<&'a str>,
    /// Each ladder's example: its index, the ladder, the example.
    members: Vec<(usize, &'a LadderSimulation, &'a Example)>,
}

/// The example sessions of trace set `set`, kind by kind, each kind with every ladder's
/// example of it; a kind whose sessions are those of an earlier kind for every ladder joins
/// that kind's group.
fn example_groups(sim: &Simulation, set: usize) -> Vec<ExampleGroup<'_>> {
    let mut kinds: Vec<&str> = Vec::new();
    for l in &sim.ladders {
        for e in l.sets.get(set).map_or(&[][..], |s| &s.examples) {
            if !kinds.contains(&e.kind.as_str()) {
                kinds.push(&e.kind);
            }
        }
    }
    let mut groups: Vec<ExampleGroup> = Vec::new();
    for kind in kinds {
        let members: Vec<(usize, &LadderSimulation, &Example)> = sim
            .ladders
            .iter()
            .enumerate()
            .filter_map(|(i, l)| {
                let e = l.sets.get(set)?.examples.iter().find(|e| e.kind == kind)?;
                Some((i, l, e))
            })
            .collect();
        let same = |g: &ExampleGroup| {
            g.members.len() == members.len()
                && g.members
                    .iter()
                    .zip(&members)
                    .all(|(a, b)| a.0 == b.0 && same_session(a.2, b.2))
        };
        match groups.iter_mut().find(|g| same(g)) {
            Some(g) => g.kinds.push(kind),
            None => groups.push(ExampleGroup {
                kinds: vec![kind],
                members,
            }),
        }
    }
    groups
}

/// Which QoE an example of `kind` has among the sessions.
fn rank(kind: &str) -> Option<&'static str> {
    match kind {
        "typical" => Some("median"),
        "bad" => Some("10th-percentile"),
        _ => None,
    }
}

/// `s` with its first letter a capital.
fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

/// "a", "a and b", "a, b and c".
fn and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// `trace <code>…</code> from … s`.
fn trace_text(e: &Example) -> String {
    format!(
        "trace <code>{}</code> from {} s",
        esc(&e.trace),
        num(e.offset_s, 1)
    )
}

/// The caption's first sentence for a group of example sessions of trace set `set`: which
/// session it is, why it was picked, and whether every ladder played it.
fn lead(sim: &Simulation, set: &str, g: &ExampleGroup, first: &Example) -> String {
    let kinds = and(&g.kinds.iter().map(|k| k.to_string()).collect::<Vec<_>>());
    let shared = g.members.iter().all(|m| same_session(m.2, first));
    let compared = sim.ladders.len() > 1 && g.members.len() > 1;
    let ranks: Vec<String> = g
        .kinds
        .iter()
        .filter_map(|k| rank(k))
        .map(String::from)
        .collect();
    let why = if ranks.is_empty() {
        String::new()
    } else {
        let whose = match (compared, shared) {
            (true, true) => format!("{}'s", letter(g.members[0].0)),
            (true, false) => "its".to_string(),
            (false, _) => "the".to_string(),
        };
        let alike = if ranks.len() > 1 { " alike" } else { "" };
        format!(" ({whose} {} QoE{alike})", and(&ranks))
    };
    let set = esc(set);
    let which = match (shared, g.kinds.len() > 1) {
        (true, false) => format!("The {kinds} session of <code>{set}</code>{why}"),
        (true, true) => {
            let kinds: Vec<String> = g.kinds.iter().map(|k| format!("the {k}")).collect();
            capital(&format!(
                "{} session of <code>{set}</code> are one session{why}",
                and(&kinds)
            ))
        }
        (false, false) => format!("Each ladder's own {kinds} session of <code>{set}</code>{why}"),
        (false, true) => format!(
            "Each ladder's own {kinds} session of <code>{set}</code>, one session for each{why}"
        ),
    };
    match (shared, compared) {
        (true, true) => format!(
            "{which}: {}, played with each ladder and drawn on the same axes.",
            trace_text(first)
        ),
        (true, false) => format!("{which}: {}.", trace_text(first)),
        (false, _) => format!("{which}, drawn on the same axes."),
    }
}

/// A group of example sessions: each ladder's timeline, one above the other on the same
/// axes, and their figures in one caption.
fn examples(w: &mut String, sim: &Simulation, set: &str, g: &ExampleGroup) -> Result<()> {
    let Some(&(_, _, first)) = g.members.first() else {
        return Ok(());
    };
    let several = sim.ladders.len() > 1;
    let kinds = and(&g.kinds.iter().map(|k| k.to_string()).collect::<Vec<_>>());
    // Every ladder played the first one's session: its trace is named once.
    let shared = g.members.iter().all(|m| same_session(m.2, first));
    let lead = lead(sim, set, g, first);

    let drawable = |e: &Example| e.qoe.video_s > 0.0 && !e.timeline.fetches.is_empty();
    let plotted: Vec<(&LadderSimulation, &TimelineOut)> = g
        .members
        .iter()
        .filter(|m| drawable(m.2))
        .map(|m| (m.1, &m.2.timeline))
        .collect();
    let axes = TimelineAxes::fitting(&plotted);
    let mut svgs = Vec::new();
    let mut parts = Vec::new();
    for &(i, l, e) in &g.members {
        let name = if several {
            format!("{}: ", letter(i))
        } else {
            String::new()
        };
        let own = if shared {
            String::new()
        } else {
            format!("{}, ", trace_text(e))
        };
        let d = scale_digits(&l.quality);
        let q = &e.qoe;
        if q.video_s <= 0.0 {
            let who = if several { "" } else { "it " };
            parts.push(capital(&format!(
                "{name}{own}{who}never received a segment and gave up after {} s (QoE {}).",
                num(q.startup_s, 0),
                num(q.qoe, d)
            )));
            continue;
        }
        parts.push(format!(
            "{name}{own}QoE {}, mean quality {}, startup {} s, {} ({} s), {}, {} kbit/s played{}.",
            num(q.qoe, d),
            num(q.mean_quality, d),
            num(q.startup_s, 2),
            count(q.stalls as usize, "stall", "stalls"),
            num(q.stall_s, 2),
            count(q.switches as usize, "switch", "switches"),
            num(q.played_kbps, 0),
            if e.timeline.fetches.is_empty() {
                "; no events kept to plot"
            } else {
                ""
            }
        ));
        if !drawable(e) {
            continue;
        }
        let title = capital(&format!(
            "{}{kinds} session: {} from {} s",
            if several {
                format!("{}, ", letter(i))
            } else {
                String::new()
            },
            trace_name(&e.trace),
            num(e.offset_s, 0)
        ));
        let svg = plot::timeline_svg(l, &e.timeline, &title, &axes)?;
        svgs.push(inline(&svg, &format!("session timeline, {title}")));
    }
    if svgs.is_empty() {
        out!(w, "<p class=\"note\">{lead} {}</p>\n", parts.join(" "));
        return Ok(());
    }
    out!(
        w,
        "<figure>\n{}\n<figcaption>{lead} {} Top: the throughput of each download and the nominal bitrate of the rung it fetched, each held until the next request (kbit/s, log scale; crosses: downloads abandoned); bottom: the buffer level (s); shaded: stalls.</figcaption>\n</figure>\n",
        svgs.join("\n"),
        parts.join(" ")
    );
    Ok(())
}

mod figures;
#[cfg(test)]
mod tests;
