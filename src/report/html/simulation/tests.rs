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
    assert_eq!(and(&["a".into(), "b".into(), "c".into()]), "a, b and c");
    assert_eq!(capital("typical"), "Typical");
}

/// Whether an SVG `<text>` element of `html` reads `s`.
fn has_text(html: &str, s: &str) -> bool {
    html.split("<text").skip(1).any(|t| {
        t.split_once('>')
            .is_some_and(|(_, rest)| rest.split("</text>").next().map(str::trim) == Some(s))
    })
}

/// A session's figures: `video_s` of video played, QoE `qoe`.
fn qoe(video_s: f64, qoe: f64) -> serde_json::Value {
    let mut q = serde_json::Map::new();
    for f in crate::simulate::qoe::FIGURES {
        q.insert(f.to_string(), 1.0.into());
    }
    q.insert("video_s".into(), video_s.into());
    q.insert("startup_s".into(), 6600.0.into());
    q.insert("qoe".into(), qoe.into());
    q.into()
}

/// An example: kind, trace, offset, seconds of video played.
type Ex<'a> = (&'a str, &'a str, f64, f64);

/// A simulation of ladders on these quality scales over one trace set, each with these
/// examples (kind, trace, offset, seconds of video played) and one session per QoE.
fn simulation(ladders: &[(&str, &[Ex], &[f64])]) -> Simulation {
    let summary = serde_json::json!({
        "sessions": 1, "stalled_share": 0.0, "capped": 0, "figures": {}
    });
    let ladders: Vec<serde_json::Value> = ladders
        .iter()
        .map(|(scale, examples, scores)| {
            let examples: Vec<serde_json::Value> = examples
                .iter()
                .map(|&(kind, trace, offset_s, video_s)| {
                    serde_json::json!({
                        "kind": kind, "trace": trace, "offset_s": offset_s,
                        "qoe": qoe(video_s, 50.0),
                        "timeline": {
                            "fetches": if video_s > 0.0 {
                                serde_json::json!([[0.0, 1.0, 0, 3000.0, false], [1.0, 2.0, 1, 2500.0, false]])
                            } else {
                                serde_json::json!([])
                            },
                            "buffer": [[0.0, 0.0], [1.0, 4.0], [2.0, 7.0]],
                            "stalls": []
                        }
                    })
                })
                .collect();
            let sessions: Vec<serde_json::Value> = scores
                .iter()
                .map(|&q| {
                    serde_json::json!({
                        "set": 0, "trace": "t", "offset_s": 0.0, "capped": false,
                        "qoe": qoe(10.0, q)
                    })
                })
                .collect();
            serde_json::json!({
                "ladder": "l.json", "codec": "h264", "quality": scale,
                "rungs": [
                    {"size": [640, 360], "bitrate_kbps": 800.0, "quality": 80.0},
                    {"size": [1280, 720], "bitrate_kbps": 2000.0, "quality": 90.0}
                ],
                "weights": {"rebuffer": 100.0, "switch": 1.0, "startup": 100.0},
                "summary": summary,
                "sets": [{"name": "set", "traces": 1, "summary": summary, "examples": examples}],
                "sessions": sessions
            })
        })
        .collect();
    serde_json::from_value(serde_json::json!({
        "generator": "pertitle test",
        "device": {"name": "any"},
        "settings": {
            "abr": "dynamic", "buffer_s": 25.0, "startup_s": 2.0, "session_s": 600.0,
            "offsets": 4, "abandonment": true, "bola_utility": "quality",
            "bola_gamma_p": 5.0, "safety": 0.9, "horizon": 5
        },
        "ladders": ladders
    }))
    .unwrap()
}

#[test]
fn the_same_session_is_drawn_once_for_both_kinds() {
    let same: &[Ex] = &[
        ("typical", "a/x.json", 10.0, 60.0),
        ("bad", "a/x.json", 10.0, 60.0),
    ];
    let sim = simulation(&[("vmaf", same, &[50.0]), ("vmaf", same, &[40.0])]);
    let groups = example_groups(&sim, 0);
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].kinds, ["typical", "bad"]);
    let mut w = String::new();
    examples(&mut w, &sim, "set", &groups[0]).unwrap();
    assert_eq!(w.matches("<svg").count(), 2);
    assert!(w.contains("The typical and the bad session of <code>set</code> are one session (A's median and 10th-percentile QoE alike): trace <code>a/x.json</code> from 10.0 s, played with each ladder"), "{w}");
    // Short titles: the ladder, the kind and the trace's file name.
    assert!(
        has_text(&w, "A, typical and bad session: x.json from 10 s"),
        "{w}"
    );
    assert!(
        has_text(&w, "B, typical and bad session: x.json from 10 s"),
        "{w}"
    );
    assert!(w.contains("download throughput"), "{w}");

    // Another ladder's own bad session (an older file): kinds apart, each trace named.
    let other: &[Ex] = &[
        ("typical", "a/x.json", 10.0, 60.0),
        ("bad", "a/y.json", 0.0, 60.0),
    ];
    let sim = simulation(&[("vmaf", same, &[50.0]), ("vmaf", other, &[40.0])]);
    let groups = example_groups(&sim, 0);
    assert_eq!(groups.len(), 2);
    let mut w = String::new();
    examples(&mut w, &sim, "set", &groups[1]).unwrap();
    assert!(w.contains("Each ladder's own bad session of <code>set</code> (its 10th-percentile QoE), drawn on the same axes."), "{w}");
    assert!(
        w.contains("B: trace <code>a/y.json</code> from 0.0 s, QoE"),
        "{w}"
    );
}

#[test]
fn a_session_that_never_started_is_said_so() {
    let never: &[Ex] = &[("typical", "constant:0", 0.0, 0.0)];
    let sim = simulation(&[("vmaf", never, &[-660000.0])]);
    let groups = example_groups(&sim, 0);
    let mut w = String::new();
    examples(&mut w, &sim, "constant:0", &groups[0]).unwrap();
    assert!(!w.contains("<svg"));
    assert!(
        w.contains("It never received a segment and gave up after 6600 s"),
        "{w}"
    );
}

#[test]
fn scales_apart_and_far_sessions_off_the_axis() {
    let one: &[Ex] = &[("typical", "x", 0.0, 60.0)];
    let mut scores: Vec<f64> = (0..150).map(|i| i as f64 / 1.5).collect();
    scores.push(-860.0);
    let sim = simulation(&[("vmaf", one, &scores), ("log_bitrate", one, &[1.5])]);
    let mut w = String::new();
    qoe_distribution(&mut w, &sim, 0, "set").unwrap();
    // One plot per scale, each ladder's sessions counted.
    assert_eq!(w.matches("<svg").count(), 2);
    assert!(
        has_text(&w, "A (151 sessions)") && has_text(&w, "B (1 session)"),
        "{w}"
    );
    assert!(has_text(&w, "set: QoE over sessions, vmaf"), "{w}");
    assert!(w.contains("1 session below"), "{w}");
    assert!(w.contains("better across the distribution"));

    let mut w = String::new();
    let file = Path::new("simulation.json");
    settings_text(
        &mut w,
        &PlaybackSimulation {
            simulation: &sim,
            file,
            ladder: None,
        },
    );
    assert!(w.contains("BOLA (utility quality, γp 5) above 10 s"), "{w}");
    assert_eq!(scales(&sim), [("vmaf", vec![0]), ("log_bitrate", vec![1])]);
}
