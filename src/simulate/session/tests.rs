use super::*;
use crate::simulate::abr::{self, AbrKind, AbrSettings};
use crate::simulate::movie::{MovieRung, QualityScale};
use crate::simulate::network::Period;
use crate::simulate::qoe::{Qoe, QoeWeights};

/// Four rungs of constant bitrate (500 to 4000 kbps), `segments` segments of 4 s, each
/// exactly its bitrate times 4 s; quality 40, 60, 80, 95.
fn movie(segments: usize) -> Movie {
    let rung = |kbps: f64, q: f64| MovieRung {
        size: None,
        bitrate_kbps: kbps,
        segment_bits: vec![kbps * 1000.0 * 4.0; segments],
        segment_quality: vec![q; segments],
    };
    Movie {
        path: "test.json".into(),
        codec: None,
        quality: QualityScale::Metric("vmaf".into()),
        segment_durations_s: vec![4.0; segments],
        rungs: vec![
            rung(500.0, 40.0),
            rung(1000.0, 60.0),
            rung(2000.0, 80.0),
            rung(4000.0, 95.0),
        ],
    }
}

fn constant(kbps: f64, latency_ms: f64) -> Trace {
    Trace::new(
        "constant",
        vec![Period {
            duration_ms: 1000.0,
            bandwidth_kbps: kbps,
            latency_ms,
        }],
    )
    .unwrap()
}

fn options(session_s: Option<f64>) -> SessionOptions {
    SessionOptions {
        buffer_s: 25.0,
        startup_s: 0.0,
        session_s,
        abandonment: false,
        record: true,
    }
}

fn run(kind: AbrKind, m: &Movie, t: &Trace, o: &SessionOptions) -> Session {
    let mut a = abr::build(kind, m, o.buffer_s, &AbrSettings::default());
    play(m, t, 0.0, a.as_mut(), o)
}

#[test]
fn a_link_above_the_top_rung_plays_the_top_rung_after_startup() {
    let m = movie(30);
    // 10 Mbit/s with 50 ms latency: the top rung's 16 Mbit segment takes 1.65 s.
    let t = constant(10_000.0, 50.0);
    for kind in [AbrKind::Throughput, AbrKind::Dynamic, AbrKind::Mpc] {
        let s = run(kind, &m, &t, &options(None));
        let rungs: Vec<usize> = s.played.iter().map(|p| p.rung).collect();
        assert_eq!(rungs[0], 0, "{kind}");
        assert!(rungs[1..].iter().all(|&r| r == 3), "{kind}: {rungs:?}");
        assert_eq!((s.stalls, s.stall_s), (0, 0.0), "{kind}");
        // Startup: one latency and 2 Mbit at 10 Mbit/s.
        assert!((s.startup_s - 0.25).abs() < 1e-9, "{kind}: {}", s.startup_s);
    }
    // BOLA climbs with its buffer and then stays at the top without stalling.
    let s = run(AbrKind::Bola, &m, &t, &options(None));
    assert_eq!(s.played.last().unwrap().rung, 3);
    assert_eq!(s.stalls, 0);
    let bola_levels = s.timeline.unwrap().buffer;
    assert!(bola_levels.iter().all(|&(_, l)| l <= 25.0 + 1e-9));
}

#[test]
fn a_link_below_the_bottom_rung_stalls_a_computable_time() {
    let m = movie(10);
    // 250 kbit/s, no latency: a 2 Mbit bottom segment takes 8 s, twice its duration.
    let t = constant(250.0, 0.0);
    for kind in AbrKind::ALL {
        let s = run(kind, &m, &t, &options(None));
        assert!(s.played.iter().all(|p| p.rung == 0), "{kind}");
        // Playback starts at 8 s; each of the 9 later segments arrives 8 s after the
        // previous one, 4 s after the buffer ran dry.
        assert!((s.startup_s - 8.0).abs() < 1e-9, "{kind}");
        assert_eq!(s.stalls, 9, "{kind}");
        assert!((s.stall_s - 36.0).abs() < 1e-6, "{kind}: {}", s.stall_s);
        assert!((s.wall_s - 84.0).abs() < 1e-6, "{kind}: {}", s.wall_s);
        let q = Qoe::of(&s, &m, &QoeWeights::default());
        assert!((q.stall_ratio - 36.0 / 76.0).abs() < 1e-9);
        assert!((q.mean_quality - 40.0).abs() < 1e-12);
        // (10 x 40 - 100 x 36 - 100 x 8) / 10
        assert!(
            (q.qoe - (400.0 - 3600.0 - 800.0) / 10.0).abs() < 1e-6,
            "{}",
            q.qoe
        );
    }
}

#[test]
fn the_buffer_never_holds_more_than_its_size_and_waits_for_room() {
    let m = movie(40);
    let t = constant(50_000.0, 20.0);
    let s = run(AbrKind::Throughput, &m, &t, &options(None));
    let timeline = s.timeline.unwrap();
    assert!(timeline.buffer.iter().all(|&(_, l)| l <= 25.0 + 1e-9));
    // Full-speed downloads of 0.32 s: the player waits for room most of the session, so
    // its 40 segments take about the video's 160 s, plus the first download.
    assert!(s.wall_s > 160.0 && s.wall_s < 161.0, "{}", s.wall_s);
}

#[test]
fn the_title_loops_to_the_session_length() {
    let m = movie(3);
    let t = constant(10_000.0, 0.0);
    let s = run(AbrKind::Throughput, &m, &t, &options(Some(60.0)));
    assert_eq!(s.played.len(), 15);
    let segments: Vec<usize> = s.played.iter().map(|p| p.segment).collect();
    assert_eq!(&segments[..7], &[0, 1, 2, 0, 1, 2, 0]);
    assert_eq!(session_segments(&m, Some(61.0)), 16);
    // A week of video from a 12 s title: whole loops counted, not walked.
    assert_eq!(session_segments(&m, Some(604_800.0)), 151_200);
    assert_eq!(session_segments(&m, None), 3);
}

#[test]
fn a_startup_threshold_waits_for_that_much_video() {
    let m = movie(10);
    let t = constant(250.0, 0.0);
    let o = SessionOptions {
        startup_s: 8.0,
        ..options(None)
    };
    let s = run(AbrKind::Throughput, &m, &t, &o);
    // Two bottom segments (16 s of download) before the start; after every stall, two
    // segments again.
    assert!((s.startup_s - 16.0).abs() < 1e-9, "{}", s.startup_s);
    assert!(s.stalls > 0);
}

#[test]
fn abandonment_gives_up_a_download_when_the_link_collapses() {
    let m = movie(20);
    // 20 s at 20 Mbit/s, then 300 kbit/s: the download in flight at the drop is given up.
    let t = Trace::new(
        "step",
        vec![
            Period {
                duration_ms: 20_000.0,
                bandwidth_kbps: 20_000.0,
                latency_ms: 0.0,
            },
            Period {
                duration_ms: 1_000_000.0,
                bandwidth_kbps: 300.0,
                latency_ms: 0.0,
            },
        ],
    )
    .unwrap();
    for kind in [AbrKind::Throughput, AbrKind::Bola, AbrKind::Dynamic] {
        let mut o = options(None);
        let kept = run(kind, &m, &t, &o);
        o.abandonment = true;
        let abandoned = run(kind, &m, &t, &o);
        assert_eq!(kept.abandoned, 0, "{kind}");
        assert!(abandoned.abandoned >= 1, "{kind}");
        assert!(
            abandoned.stall_s < kept.stall_s,
            "{kind}: {} {}",
            abandoned.stall_s,
            kept.stall_s
        );
        let played: f64 = abandoned.played.iter().map(|p| p.bits).sum();
        assert!(abandoned.bits_fetched > played, "{kind}");
    }
    // MPC defines no abandonment.
    let mut o = options(None);
    o.abandonment = true;
    assert_eq!(run(AbrKind::Mpc, &m, &t, &o).abandoned, 0);
}

#[test]
fn sessions_are_deterministic() {
    let m = movie(30);
    let t = Trace::new(
        "wobbly",
        (0..50)
            .map(|i| Period {
                duration_ms: 700.0 + 37.0 * (i % 7) as f64,
                bandwidth_kbps: 300.0 + 900.0 * ((i * 7919) % 11) as f64,
                latency_ms: 20.0 + (i % 3) as f64 * 30.0,
            })
            .collect(),
    )
    .unwrap();
    for kind in AbrKind::ALL {
        let a = run(kind, &m, &t, &options(Some(300.0)));
        let b = run(kind, &m, &t, &options(Some(300.0)));
        assert_eq!(a, b, "{kind}");
        assert_eq!(a.played.len(), 75);
    }
}

#[test]
fn a_link_that_carries_nothing_gives_up_at_the_cap() {
    let m = movie(10);
    let dead = Trace::new(
        "dead",
        vec![Period {
            duration_ms: 1000.0,
            bandwidth_kbps: 0.0,
            latency_ms: 30.0,
        }],
    )
    .unwrap();
    for kind in AbrKind::ALL {
        let s = run(kind, &m, &dead, &options(Some(600.0)));
        assert!(s.capped, "{kind}");
        assert!(s.played.is_empty());
        // Ten times the 600 s of video, plus ten minutes, all of it waiting to start.
        assert!(
            (s.startup_s - 6600.0).abs() < 1e-6,
            "{kind}: {}",
            s.startup_s
        );
        let q = Qoe::of(&s, &m, &QoeWeights::default());
        assert_eq!((q.mean_quality, q.video_s), (0.0, 0.0));
        assert!(q.qoe < -600_000.0);
    }
    // A link that dies after two segments stalls until the cap.
    let dying = Trace::new(
        "dying",
        vec![
            Period {
                duration_ms: 2000.0,
                bandwidth_kbps: 4000.0,
                latency_ms: 0.0,
            },
            Period {
                duration_ms: 1e12,
                bandwidth_kbps: 0.0,
                latency_ms: 0.0,
            },
        ],
    )
    .unwrap();
    let s = run(AbrKind::Throughput, &m, &dying, &options(None));
    assert!(s.capped);
    // The first segment (2 Mbit at 4 Mbit/s) arrives at 0.5 s; the second, at 2 Mbit/s
    // (the estimate x 0.9 sustains 2000 kbps) needs 2 s and the link has 1.5 s left.
    assert_eq!(s.played.len(), 1);
    assert_eq!(s.stalls, 1);
    // 10 x 40 s of video + 600 s: the cap at 1000 s, of which 4 s played after 0.5 s.
    assert!((s.wall_s - 1000.0).abs() < 1e-6, "{}", s.wall_s);
    assert!((s.startup_s - 0.5).abs() < 1e-9);
    assert!(
        (s.stall_s - (1000.0 - 0.5 - 4.0)).abs() < 1e-6,
        "{}",
        s.stall_s
    );
}
