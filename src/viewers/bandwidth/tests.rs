use super::*;
use crate::simulate::network::Period;
use proptest::prelude::*;

fn trace(periods: &[(f64, f64)]) -> Trace {
    let periods = periods
        .iter()
        .map(|&(duration_ms, bandwidth_kbps)| Period {
            duration_ms,
            bandwidth_kbps,
            latency_ms: 80.0,
        })
        .collect();
    Trace::new("t.json", periods).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn a_constant_trace_is_one_bandwidth() {
    let t = trace(&[(120_000.0, 5000.0)]);
    let b = Bandwidth::from_traces(vec!["c".into()], &[t], 30.0).unwrap();
    assert!(b.quantiles_kbps.iter().all(|&q| close(q, 5000.0)), "{b:?}");
    assert_eq!(
        b.from,
        BandwidthSource::Traces {
            specs: vec!["c".into()],
            traces: 1,
            window_s: 30.0,
            windows: 4
        }
    );
    assert_eq!(b.below(4999.0), 0.0);
    // A viewer at exactly 5000 kbps plays a 5000 kbps rung.
    assert_eq!(b.below(5000.0), 0.0);
    assert_eq!(b.below(5000.001), 1.0);
}

#[test]
fn a_two_step_trace_by_hand() {
    // 8000 kbps for 60 s, then 1500 kbps for 60 s.
    let t = trace(&[(60_000.0, 8000.0), (60_000.0, 1500.0)]);
    // 30 s windows: 8000, 8000, 1500, 1500, each a quarter of the time.
    let b = Bandwidth::from_traces(vec![], std::slice::from_ref(&t), 30.0).unwrap();
    for (k, &q) in b.quantiles_kbps.iter().enumerate() {
        let want = if k <= 50 { 1500.0 } else { 8000.0 };
        assert!(close(q, want), "q{k} = {q}");
    }
    assert_eq!(b.below(1500.0), 0.0);
    // Half the time is at 1500: the representation puts 1 % more between the steps.
    assert!(close(b.below(8000.0), 0.51));
    assert!((b.below(1501.0) - 0.5).abs() < 1e-3);
    assert_eq!(b.below(8000.5), 1.0);

    // 45 s windows: [0, 45) at 8000; [45, 90) is 15 s at 8000 and 30 s at 1500, so
    // (15 * 8000 + 30 * 1500) / 45 = 3666.67; [90, 120) at 1500 (a 30 s window).
    let b = Bandwidth::from_traces(vec![], &[t], 45.0).unwrap();
    let mid = (15.0 * 8000.0 + 30.0 * 1500.0) / 45.0;
    // Weights 30 (1500), 45 (mid), 45 (8000) of 120: cumulative 0.25, 0.625, 1.
    for (k, &q) in b.quantiles_kbps.iter().enumerate() {
        let want = match k {
            0..=25 => 1500.0,
            26..=62 => mid,
            _ => 8000.0,
        };
        assert!(close(q, want), "q{k} = {q}, want {want}");
    }
}

#[test]
fn windows_of_no_bandwidth_count_as_viewers_who_cannot_play() {
    let t = trace(&[(30_000.0, 0.0), (30_000.0, 1000.0)]);
    let b = Bandwidth::from_traces(vec![], &[t], 30.0).unwrap();
    assert_eq!(b.quantiles_kbps[50], 0.0);
    assert_eq!(b.quantiles_kbps[51], 1000.0);
    // 50 % at 0, and the piece from 0 to 1000 spread linearly.
    assert!(close(b.below(500.0), 0.505));
    assert_eq!(b.range(), [1000.0, 1000.0]);
    let dead = trace(&[(30_000.0, 0.0)]);
    let e = Bandwidth::from_traces(vec![], &[dead], 30.0).unwrap_err();
    assert!(e.contains("no bits"), "{e}");
}

#[test]
fn log_uniform_is_exact() {
    let b = Bandwidth::log_uniform(200.0, 8000.0).unwrap();
    for x in [150.0, 200.0, 333.0, 1000.0, 4321.0, 8000.0, 9000.0] {
        let want = ((x / 200.0f64).ln() / 40.0f64.ln()).clamp(0.0, 1.0);
        assert!(
            (b.below(x) - want).abs() < 1e-12,
            "{x}: {} {want}",
            b.below(x)
        );
    }
    assert!(Bandwidth::log_uniform(500.0, 500.0).is_err());
    assert!(Bandwidth::log_uniform(0.0, 500.0).is_err());
}

#[test]
fn log_normal_quantiles() {
    // Reference values of the standard normal quantile.
    for (p, z) in [
        (0.5, 0.0),
        (0.975, 1.959_963_984_540_054),
        (0.84, 0.994_457_883_209_753),
        (0.001, -3.090_232_306_167_813),
        (0.01, -2.326_347_874_040_841),
    ] {
        assert!(
            (inverse_normal(p) - z).abs() < 1e-8,
            "{p}: {}",
            inverse_normal(p)
        );
        assert!((inverse_normal(1.0 - p) + z).abs() < 1e-8);
    }
    let b = Bandwidth::log_normal(5000.0, 0.8).unwrap();
    assert!(close(b.quantiles_kbps[50], 5000.0));
    let q84 = 5000.0 * (0.8 * 0.994_457_883_209_753f64).exp();
    assert!((b.quantiles_kbps[84] / q84 - 1.0).abs() < 1e-8);
    let q0 = 5000.0 * (0.8 * -3.090_232_306_167_813f64).exp();
    assert!((b.quantiles_kbps[0] / q0 - 1.0).abs() < 1e-8);
    assert!(Bandwidth::log_normal(5000.0, -1.0).is_err());
}

#[test]
fn quantiles_are_checked() {
    assert!(Bandwidth::quantiles(vec![1.0; 100]).is_err());
    let mut q: Vec<f64> = (0..101).map(|k| 100.0 + k as f64).collect();
    assert!(Bandwidth::quantiles(q.clone()).is_ok());
    q[3] = 50.0;
    assert!(Bandwidth::quantiles(q).unwrap_err().contains("decrease"));
    assert!(Bandwidth::quantiles(vec![0.0; 101]).is_err());
}

/// The bits a trace delivers between `a` and `b` seconds, straight from its periods.
fn bits_between(periods: &[(f64, f64)], a: f64, b: f64) -> f64 {
    let mut t = 0.0;
    let mut bits = 0.0;
    for &(ms, kbps) in periods {
        let (start, end) = (t, t + ms / 1000.0);
        let overlap = end.min(b) - start.max(a);
        if overlap > 0.0 {
            bits += overlap * kbps * 1000.0;
        }
        t = end;
    }
    bits
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// The quantiles equal a brute-force computation: every window's throughput integrated
    /// straight from the periods, every quantile by its definition over the pooled windows;
    /// and the represented CDF is within 0.01 of the windows' own.
    #[test]
    fn quantiles_match_brute_force(
        traces in prop::collection::vec(
            prop::collection::vec((500.0f64..20_000.0, prop::sample::select(vec![0.0, 300.0, 1200.0, 4000.0, 9000.0])), 1..8),
            1..4,
        ),
        window_s in prop::sample::select(vec![1.0, 4.0, 10.0, 30.0]),
        probes in prop::collection::vec(100.0f64..10_000.0, 10),
    ) {
        prop_assume!(traces.iter().flatten().any(|p| p.1 > 0.0));
        let loaded: Vec<Trace> = traces.iter().map(|p| trace(p)).collect();
        let b = Bandwidth::from_traces(vec![], &loaded, window_s).unwrap();
        let mut windows: Vec<(f64, f64)> = Vec::new();
        for periods in &traces {
            let duration: f64 = periods.iter().map(|p| p.0).sum::<f64>() / 1000.0;
            let mut a = 0.0;
            while a < duration - 1e-9 {
                let end = (a + window_s).min(duration);
                windows.push((bits_between(periods, a, end) / (end - a) / 1000.0, end - a));
                a = end;
            }
        }
        let total: f64 = windows.iter().map(|w| w.1).sum();
        for (k, &q) in b.quantiles_kbps.iter().enumerate() {
            let p = k as f64 / 100.0;
            // The smallest window value whose own and smaller windows hold p of the time.
            let want = windows
                .iter()
                .map(|w| w.0)
                .filter(|&v| {
                    windows.iter().filter(|u| u.0 <= v * (1.0 + 1e-9)).map(|u| u.1).sum::<f64>()
                        >= p * total * (1.0 - 1e-9)
                })
                .fold(f64::INFINITY, f64::min);
            prop_assert!((q - want).abs() <= 1e-6 * want.max(1.0), "q{k} {q} want {want}");
        }
        for x in probes {
            let truth = windows.iter().filter(|w| w.0 < x).map(|w| w.1).sum::<f64>() / total;
            prop_assert!((b.below(x) - truth).abs() <= 0.01 + 1e-9, "{x}: {} vs {truth}", b.below(x));
        }
    }
}

/// The shared trace sets (skipped when absent): every window counted, and medians of the
/// magnitude their sources report (per-trace mean bandwidth: 3G about 1 Mbit/s, 4G about 32,
/// FCC SD about 6, FCC HD about 16).
#[test]
fn the_shared_trace_sets_give_plausible_throughput() {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/traces"));
    if !dir.is_dir() {
        eprintln!(
            "SKIP the_shared_trace_sets_give_plausible_throughput: {} is absent",
            dir.display()
        );
        return;
    }
    for (set, lo, hi) in [
        ("3g_norway_hsdpa", 400.0, 2_000.0),
        ("4g_ghent", 15_000.0, 45_000.0),
        ("fcc_sd", 4_000.0, 10_000.0),
        ("fcc_hd", 10_000.0, 30_000.0),
    ] {
        let traces = crate::simulate::network::load_traces(&dir.join(set)).unwrap();
        let b = Bandwidth::from_traces(vec![set.into()], &traces, 30.0).unwrap();
        let windows: usize = traces
            .iter()
            .map(|t| (t.duration_s() / 30.0 - 1e-9).ceil() as usize)
            .sum();
        let BandwidthSource::Traces { windows: got, .. } = b.from else {
            panic!("{set}: {:?}", b.from);
        };
        assert_eq!(got, windows, "{set}");
        let median = b.quantiles_kbps[50];
        assert!((lo..hi).contains(&median), "{set}: median {median} kbps");
    }
}
