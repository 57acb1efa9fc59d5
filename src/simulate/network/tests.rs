//! The network model against hand-computed cases and a brute-force time-stepped transfer;
//! the trace formats in [`formats`], the profiles in [`synthetic`].

use super::*;

mod formats;
mod synthetic;

fn period(ms: f64, kbps: f64, latency_ms: f64) -> Period {
    Period {
        duration_ms: ms,
        bandwidth_kbps: kbps,
        latency_ms,
    }
}

fn trace(periods: &[Period]) -> Trace {
    Trace::new("test", periods.to_vec()).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn a_constant_link_takes_bits_over_rate() {
    let t = trace(&[period(1000.0, 1000.0, 0.0)]);
    let mut n = Network::new(&t, 0.0);
    // 2 Mbit at 1 Mbit/s: 2 s, across a loop of the 1 s trace.
    assert!(close(n.download(2e6), 2.0));
    assert!(close(n.now_s(), 2.0));
}

#[test]
fn bits_are_integrated_over_periods() {
    let t = trace(&[period(1000.0, 1000.0, 0.0), period(1000.0, 3000.0, 0.0)]);
    let mut n = Network::new(&t, 0.0);
    // 1 Mbit in the first second, the other 1.5 Mbit at 3 Mbit/s: 0.5 s more.
    assert!(close(n.transfer(2.5e6), 1.5));
    // Started half a second into the trace: 0.5 Mbit, then 1 s at 3 Mbit/s is 3 Mbit.
    let mut n = Network::new(&t, 0.5);
    assert!(close(n.transfer(3.5e6), 1.5));
    // An offset wraps around the trace's 2 s.
    let mut n = Network::new(&t, 4.5);
    assert!(close(n.transfer(3.5e6), 1.5));
}

#[test]
fn a_request_pays_one_latency_prorated_across_periods() {
    let t = trace(&[period(1000.0, 1000.0, 100.0)]);
    let mut n = Network::new(&t, 0.0);
    assert!(close(n.download(1e6), 1.1));
    // 50 ms left in a period of 100 ms latency: half the latency there (50 ms), the other
    // half at the next period's 200 ms (100 ms).
    let t = trace(&[period(1000.0, 1000.0, 100.0), period(1000.0, 1000.0, 200.0)]);
    let mut n = Network::new(&t, 0.95);
    assert!(close(n.latency(), 0.15));
    // Idle time passes without bits.
    let mut n = Network::new(&t, 0.0);
    n.idle(1.5);
    assert!(close(n.transfer(0.5e6), 0.5));
    assert!(close(n.now_s(), 2.0));
}

#[test]
fn dead_periods_carry_nothing() {
    let t = trace(&[period(500.0, 0.0, 0.0), period(500.0, 2000.0, 0.0)]);
    let mut n = Network::new(&t, 0.0);
    // Nothing for 0.5 s, then 1 Mbit at 2 Mbit/s.
    assert!(close(n.transfer(1e6), 1.0));
}

/// The transfer time by stepping through time in small steps.
fn stepped(t: &Trace, offset_s: f64, bits: f64) -> f64 {
    let dt = 1e-5;
    let mut time = offset_s;
    let mut got = 0.0;
    let at = |s: f64| {
        let mut s = s % t.duration_s();
        for p in t.periods() {
            if s < p.duration_ms / 1000.0 {
                return p.bandwidth_kbps * 1000.0;
            }
            s -= p.duration_ms / 1000.0;
        }
        0.0
    };
    while got < bits {
        got += at(time) * dt;
        time += dt;
    }
    time - offset_s
}

#[test]
fn transfers_agree_with_a_time_stepped_transfer() {
    // A deterministic jumble of periods, some dead.
    let mut seed = 12345u64;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as f64 / (1u64 << 31) as f64
    };
    let periods: Vec<Period> = (0..12)
        .map(|_| {
            let kbps = if next() < 0.2 {
                0.0
            } else {
                200.0 + 5000.0 * next()
            };
            period(100.0 + 900.0 * next(), kbps, 0.0)
        })
        .collect();
    let t = trace(&periods);
    for (offset, bits) in [(0.0, 1e5), (1.3, 2e6), (4.2, 8e6), (0.7, 3e7)] {
        let mut n = Network::new(&t, offset);
        let exact = n.transfer(bits);
        let brute = stepped(&t, offset, bits);
        assert!(
            (exact - brute).abs() < 1e-3,
            "{offset} {bits}: {exact} vs {brute}"
        );
    }
}

#[test]
fn unusable_traces_are_refused_with_the_file_named() {
    let err = Trace::new("y.json", vec![period(1000.0, -1.0, 10.0)]).unwrap_err();
    assert!(err.to_string().contains("period 1"), "{err}");
    let err = Trace::new("z.json", Vec::new()).unwrap_err().to_string();
    assert!(
        err.starts_with("z.json: not a network trace: it lasts no time"),
        "{err}"
    );
    let err = Trace::new("w.json", vec![period(0.0, 500.0, 10.0)]).unwrap_err();
    assert!(err.to_string().contains("lasts no time"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "[{\"duration_ms\": 1000}]").unwrap();
    let err = Trace::load(&bad).unwrap_err().to_string();
    assert!(err.contains("bad.json: not a network trace"), "{err}");
    assert!(!err.contains('\n'), "{err}");
}

#[test]
fn periods_that_last_no_time_are_dropped() {
    let t = trace(&[
        period(0.0, 9000.0, 500.0),
        period(1000.0, 1000.0, 10.0),
        period(0.0, 0.0, 0.0),
    ]);
    assert_eq!(t.periods(), [period(1000.0, 1000.0, 10.0)]);
    assert!(close(t.mean_kbps(), 1000.0));
}

#[test]
fn a_trace_without_bandwidth_is_accepted_and_never_hangs() {
    let t = trace(&[period(1000.0, 0.0, 10.0), period(500.0, 0.0, 20.0)]);
    assert!(!t.carries_bits());
    assert_eq!(t.mean_kbps(), 0.0);
    let mut n = Network::new(&t, 0.3);
    // Nothing wanted: nothing to wait for.
    assert_eq!(n.transfer(0.0), 0.0);
    // A deadline: given up at it, the time spent.
    assert_eq!(n.transfer_within(1e6, 30.0), None);
    assert!(close(n.now_s(), 30.0));
    assert_eq!(n.download_within(1e6, 5.0), None);
    assert!(close(n.now_s(), 35.0));
    // No deadline: forever, at once.
    assert_eq!(n.transfer(1.0), f64::INFINITY);
    assert_eq!(n.now_s(), f64::INFINITY);
    let mut n = Network::new(&t, 0.0);
    assert_eq!(n.download(1.0), f64::INFINITY);
}

#[test]
fn a_transfer_within_a_deadline_is_the_transfer_or_the_deadline() {
    let t = trace(&[period(1000.0, 1000.0, 100.0)]);
    let mut n = Network::new(&t, 0.0);
    // 1 Mbit takes 1 s: in time for 1 s, not for 0.9 s.
    assert_eq!(n.clone().transfer_within(1e6, 0.9), None);
    assert!(close(n.transfer_within(1e6, 1.0).unwrap(), 1.0));
    // A download pays the latency too: 1.1 s.
    let mut late = n.clone();
    assert_eq!(late.download_within(1e6, 1.05), None);
    assert!(close(late.now_s(), 2.05));
    assert!(close(n.download_within(1e6, 1.1).unwrap(), 1.1));
    assert!(close(n.now_s(), 2.1));
}

#[test]
fn long_waits_skip_whole_loops_exactly() {
    // 1 Mbit in the first second of each 2 s loop.
    let t = trace(&[period(1000.0, 1000.0, 0.0), period(1000.0, 0.0, 0.0)]);
    let mut n = Network::new(&t, 0.0);
    // 1000 Mbit: 1000 loops, the last bit at the end of the last loop's first second.
    assert!(close(n.transfer(1e9), 1999.0));
    let mut n = Network::new(&t, 0.0);
    n.idle(1e9 + 0.5);
    assert!(close(n.now_s(), 1e9 + 0.5));
    assert!(close(n.transfer(0.5e6), 0.5));
    // A latency far longer than the trace: the whole latency, wherever it starts.
    let t = trace(&[period(1000.0, 1000.0, 1e7), period(500.0, 1000.0, 1e7)]);
    let mut n = Network::new(&t, 0.7);
    assert!((n.latency() - 1e4).abs() < 1e-6);
    // Latencies of 100 s and 300 s, a second each: a 2 s loop pays 1/100 + 1/300 = 1/75
    // of the latency, so it takes 75 loops.
    let t = trace(&[period(1000.0, 1000.0, 1e5), period(1000.0, 1000.0, 3e5)]);
    let mut n = Network::new(&t, 0.0);
    assert!((n.latency() - 150.0).abs() < 1e-6, "{}", n.now_s());
}

#[test]
fn a_directory_of_traces_loads_in_name_order() {
    let dir = tempfile::tempdir().unwrap();
    let one = "[{\"duration_ms\": 1000, \"bandwidth_kbps\": 500, \"latency_ms\": 20}]";
    let two = "[{\"duration_ms\": 2000, \"bandwidth_kbps\": 900, \"latency_ms\": 40}]";
    std::fs::write(dir.path().join("b.json"), one).unwrap();
    std::fs::write(dir.path().join("a.json"), two).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a trace").unwrap();
    let traces = load_traces(dir.path()).unwrap();
    let names: Vec<_> = traces.iter().map(|t| t.path.file_name().unwrap()).collect();
    assert_eq!(names, ["a.json", "b.json"]);
    assert!(close(traces[0].duration_s(), 2.0));
    // One file is a set of one.
    assert_eq!(load_traces(&dir.path().join("b.json")).unwrap().len(), 1);
    let empty = tempfile::tempdir().unwrap();
    let err = load_traces(empty.path()).unwrap_err().to_string();
    assert!(
        err.contains("a directory with no trace file in it"),
        "{err}"
    );
    let err = load_traces(&dir.path().join("missing.json"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing.json"), "{err}");
}

#[test]
fn the_shared_traces_load() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/traces"));
    if !dir.is_dir() {
        eprintln!("SKIP the_shared_traces_load: {} is absent", dir.display());
        return;
    }
    let mut sets = 0;
    let mut loaded = 0;
    for set in std::fs::read_dir(dir).unwrap() {
        let set = set.unwrap().path();
        if !set.is_dir() {
            continue;
        }
        let files = std::fs::read_dir(&set).unwrap().count();
        let traces = load_traces(&set).unwrap();
        assert_eq!(traces.len(), files, "{}", set.display());
        for t in traces {
            let sum: f64 = t.periods().iter().map(|p| p.duration_ms).sum();
            assert!(close(t.duration_s(), sum / 1000.0));
            assert!(
                t.carries_bits() && t.mean_kbps() > 0.0,
                "{}",
                t.path.display()
            );
            loaded += 1;
        }
        sets += 1;
    }
    // The whole directory at once is no trace (its traces are in subdirectories).
    assert!(load_traces(dir).is_err());
    assert!(sets >= 4 && loaded > 0, "{sets} sets, {loaded} traces");
}
