//! The synthetic profiles: their periods, means and lengths; the spec errors; resolving a
//! spec that is a path or a profile.

use super::*;

fn made(spec: &str) -> Trace {
    synthetic(spec).unwrap_or_else(|e| panic!("{spec}: {e}"))
}

/// The error of a spec: one line that names the spec.
fn refused(spec: &str) -> String {
    let err = synthetic(spec).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("{}: not a network trace: ", spec.trim())),
        "{err}"
    );
    assert!(!err.contains('\n'), "{err}");
    err
}

const LAT: f64 = SYNTHETIC_LATENCY_MS;

#[test]
fn constant_is_one_rate() {
    let t = made("constant:5000");
    assert_eq!(t.periods(), [period(3_600_000.0, 5000.0, LAT)]);
    assert_eq!(t.path, Path::new("constant:5000"));
    // Units.
    let t = made(" constant:5Mbps,length=90s,latency=0.1s ");
    assert_eq!(t.periods(), [period(90_000.0, 5000.0, 100.0)]);
    let t = made("constant:800kbps,length=2min,latency=0");
    assert_eq!(t.periods(), [period(120_000.0, 800.0, 0.0)]);
    assert!(close(made("constant:1.5gbps").mean_kbps(), 1.5e6));
}

#[test]
fn step_drops_at_its_time() {
    let t = made("step:8000,1500,at=60");
    assert_eq!(
        t.periods(),
        [
            period(60_000.0, 8000.0, LAT),
            period(3_540_000.0, 1500.0, LAT)
        ]
    );
    assert!(close(t.duration_s(), 3600.0));
    // A square wave: the trace repeats after 120 s.
    let t = made("step:8000,1500,at=60,length=120");
    assert!(close(t.mean_kbps(), 4750.0));
    let mut n = Network::new(&t, 0.0);
    // 60 s at 8 Mbit/s is 480 Mbit; the next 15 Mbit take 10 s at 1.5 Mbit/s.
    assert!(close(n.transfer(495e6), 70.0));
}

#[test]
fn fade_is_linear_in_one_second_steps() {
    let t = made("fade:8000,1000,over=300");
    assert_eq!(t.periods().len(), 301);
    assert_eq!(
        t.periods()[0],
        period(1000.0, 8000.0 - 7000.0 * 0.5 / 300.0, LAT)
    );
    assert!(close(
        t.periods()[299].bandwidth_kbps,
        1000.0 + 7000.0 * 0.5 / 300.0
    ));
    assert_eq!(t.periods()[300], period(3_300_000.0, 1000.0, LAT));
    assert!(close(t.duration_s(), 3600.0));
    assert!((t.mean_kbps() - (300.0 * 4500.0 + 3300.0 * 1000.0) / 3600.0).abs() < 1e-6);
    // A fade up after a hold, over a time that is not whole seconds.
    let t = made("fade:1000,2000,at=10,over=2.5,length=20");
    let want = [
        period(10_000.0, 1000.0, LAT),
        period(1000.0, 1200.0, LAT),
        period(1000.0, 1600.0, LAT),
        period(500.0, 1900.0, LAT),
        period(7500.0, 2000.0, LAT),
    ];
    assert_eq!(t.periods().len(), want.len());
    for (got, want) in t.periods().iter().zip(want) {
        assert!(close(got.duration_ms, want.duration_ms), "{got:?}");
        assert!(close(got.bandwidth_kbps, want.bandwidth_kbps), "{got:?}");
    }
    assert!(close(
        t.mean_kbps(),
        (10.0 * 1000.0 + 2.5 * 1500.0 + 7.5 * 2000.0) / 20.0
    ));
}

#[test]
fn bursty_is_deterministic_with_the_right_mean() {
    let t = made("bursty:6000,800");
    assert_eq!(t, made("bursty:6000,800"));
    assert_ne!(t.periods(), made("bursty:6000,800,seed=2").periods());
    assert!(close(t.duration_s(), 3600.0));
    assert!(
        (t.mean_kbps() / 3400.0 - 1.0).abs() < 0.05,
        "{}",
        t.mean_kbps()
    );
    let (last, bursts) = t.periods().split_last().unwrap();
    assert!(last.duration_ms <= 4500.0);
    for (i, p) in bursts.iter().enumerate() {
        assert_eq!(p.bandwidth_kbps, if i % 2 == 0 { 6000.0 } else { 800.0 });
        assert!((1500.0..=4500.0).contains(&p.duration_ms), "{p:?}");
        assert_eq!(p.duration_ms, p.duration_ms.round());
    }
    // An on/off link, mostly on: the mean follows the on share.
    let t = made("bursty:6000,0,on=5,off=1,seed=7,length=7200");
    let on = 5.0 / 6.0;
    assert!(
        (t.mean_kbps() / (6000.0 * on) - 1.0).abs() < 0.05,
        "{}",
        t.mean_kbps()
    );
}

#[test]
fn every_builtin_profile_reads_and_its_name_is_its_default() {
    for (spec, about) in builtin_profiles() {
        let name = spec.split(':').next().unwrap();
        assert!(about.starts_with(&format!("{name}:")), "{about}");
        let t = made(spec);
        assert!(t.carries_bits() && t.duration_s() > 0.0);
        let bare = made(name);
        assert_eq!(bare.periods(), t.periods());
        assert_eq!(bare.path, Path::new(spec));
        assert_eq!(resolve_traces(name).unwrap(), [t]);
    }
    assert_eq!(builtin_profiles().len(), 4);
}

#[test]
fn a_zero_profile_stalls_up_to_the_cap() {
    let t = made("constant:0");
    assert!(!t.carries_bits());
    let mut n = Network::new(&t, 0.0);
    assert_eq!(n.download_within(1e6, 300.0), None);
    assert!(close(n.now_s(), 300.0));
}

#[test]
fn bad_specs_are_refused_in_one_line() {
    for (spec, problem) in [
        ("constant:", "an empty item"),
        ("constant:5000,", "an empty item"),
        (
            "step:8000",
            "2 rates needed, 1 given (syntax: step:FROM,TO[,at=S])",
        ),
        ("constant:1,2", "1 rate needed, 2 given"),
        ("step:8000,at=5,1500", "rate `1500` after an option"),
        ("step:8000,1500,at=3600", "at=3600 s is not before the end"),
        ("fade:1,2,over=0", "over must be more than 0 s"),
        (
            "fade:1,2,at=100,over=10,length=105",
            "the fade ends after the trace",
        ),
        ("fade:1,2,over=1e9,length=2e9", "unknown unit"),
        ("fade:1,2,over=5000000,length=6000000", "too many"),
        ("bursty:1,2,on=1ms,length=10000", "too many periods"),
        ("bursty:1,2,off=0", "on and off must be more than 0 s"),
        ("bursty:1,2,seed=x", "seed `x` is not a whole number"),
        ("constant:-5", "rate `-5` is negative"),
        ("constant:fast", "rate `fast` has an unknown unit"),
        ("constant:5xbps", "unknown unit (none, or kbps, mbps, gbps)"),
        ("constant:inf", "unknown unit"),
        ("constant:5000,length=0", "length must be more than 0 s"),
        (
            "constant:5000,foo=1",
            "unknown option `foo` (options: latency, length)",
        ),
        ("constant:5000,at=3", "unknown option `at`"),
        ("constant:5000,latency=1,latency=2", "`latency` given twice"),
        (
            "sine:5",
            "`sine` is not a profile (constant, step, fade, bursty)",
        ),
    ] {
        let err = refused(spec);
        assert!(err.contains(problem), "{spec}: {err}");
    }
}

#[test]
fn a_spec_is_a_path_when_one_exists_else_a_profile() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("link.log");
    std::fs::write(&file, "0 1\n1 2\n").unwrap();
    let spec = file.to_str().unwrap();
    assert_eq!(resolve_traces(spec).unwrap()[0].path, file);
    assert_eq!(
        resolve_traces(dir.path().to_str().unwrap()).unwrap().len(),
        1
    );
    let t = resolve_traces("step:8000,1500,at=60").unwrap();
    assert_eq!(t, [made("step:8000,1500,at=60")]);
    let err = resolve_traces("no/such/traces").unwrap_err().to_string();
    assert_eq!(
        err,
        "no/such/traces: not a network trace: no such file or directory, and not a profile \
         (constant, step, fade, bursty)"
    );
    let err = resolve_traces("step:oops").unwrap_err().to_string();
    assert!(err.contains("rate `oops`"), "{err}");
}
