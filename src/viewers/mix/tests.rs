use super::*;
use crate::viewers::bandwidth::BandwidthSource;

/// A directory with a mix file of `json`, a trace directory `traces/` of two traces and a
/// device file `old.json`.
fn setup(json: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let traces = dir.path().join("traces");
    std::fs::create_dir(&traces).unwrap();
    let period = |ms: u32, kbps: u32| {
        format!(r#"{{"duration_ms": {ms}, "bandwidth_kbps": {kbps}, "latency_ms": 50}}"#)
    };
    std::fs::write(
        traces.join("a.json"),
        format!("[{}, {}]", period(60_000, 8000), period(60_000, 1500)),
    )
    .unwrap();
    std::fs::write(
        traces.join("b.json"),
        format!("[{}]", period(120_000, 3000)),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("old.json"),
        r#"{"name": "old", "max_width": 854, "max_height": 480, "max_kbps": 2000, "codecs": ["h264"]}"#,
    )
    .unwrap();
    let mix = dir.path().join("mix.json");
    std::fs::write(&mix, json).unwrap();
    (dir, mix)
}

fn error(json: &str) -> String {
    let (_dir, mix) = setup(json);
    let e = ViewerMix::load(&mix).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("{}: ", mix.display())),
        "names the file: {e}"
    );
    assert!(!e.contains('\n'), "one line: {e}");
    e
}

#[test]
fn a_mix_resolves_relative_paths_and_default_shares() {
    let (_dir, mix) = setup(
        r#"{"window_s": 30, "devices": [
            {"device": "phone", "traces": "traces"},
            {"device": "tv", "traces": ["traces/b.json"]},
            {"device": "old.json", "share": 0.2, "log_uniform": [100, 2000]}
        ]}"#,
    );
    let m = ViewerMix::load(&mix).unwrap();
    let names: Vec<&str> = m.devices.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["phone", "tv", "old"]);
    // Defaults 0.35 and 0.45, and 0.2 given: they sum to 1, nothing to say.
    let given: Vec<f64> = m.devices.iter().map(|d| d.share_given).collect();
    assert_eq!(given, [0.35, 0.45, 0.2]);
    assert!(m.warnings().is_empty(), "{:?}", m.warnings());
    // The phone's traces pool 4 windows of a.json (8000, 8000, 1500, 1500) and 4 of b.json
    // (3000): 1500 a quarter of the time, 3000 half, 8000 a quarter.
    let q = &m.devices[0].bandwidth.quantiles_kbps;
    assert_eq!(
        (q[0], q[25], q[26], q[75], q[76]),
        (1500.0, 1500.0, 3000.0, 3000.0, 8000.0)
    );
    assert!(matches!(
        &m.devices[0].bandwidth.from,
        BandwidthSource::Traces {
            traces: 2,
            windows: 8,
            ..
        }
    ));
    assert!(
        m.devices[1]
            .bandwidth
            .quantiles_kbps
            .iter()
            .all(|&q| q == 3000.0)
    );
    let old = &m.devices[2];
    assert_eq!(
        (
            old.max_width,
            old.max_height,
            old.max_kbps,
            old.quality_key.as_str()
        ),
        (854, 480, Some(2000.0), "vmaf_old")
    );
    assert_eq!(old.from, "old.json");
    // The resolved mix survives a round trip through JSON.
    let json = serde_json::to_string(&m).unwrap();
    assert_eq!(serde_json::from_str::<ViewerMix>(&json).unwrap(), m);
}

#[test]
fn shares_that_do_not_sum_to_one_are_normalised_with_a_warning() {
    let (_dir, mix) = setup(
        r#"{"devices": [
            {"device": "phone", "log_normal": {"median_kbps": 3000, "sigma": 0.5}},
            {"device": "tv", "quality": "vmaf", "traces": "constant:6000"}
        ]}"#,
    );
    let m = ViewerMix::load(&mix).unwrap();
    let shares: Vec<f64> = m.devices.iter().map(|d| d.share).collect();
    assert!((shares[0] - 0.35 / 0.8).abs() < 1e-12 && (shares[1] - 0.45 / 0.8).abs() < 1e-12);
    let w = m.warnings();
    assert_eq!(w.len(), 1);
    assert!(w[0].contains("sum to 0.8"), "{w:?}");
    assert!(w[0].contains("phone 0.4375, tv 0.5625"), "{w:?}");
    assert_eq!(m.devices[1].quality_key, "vmaf");
    assert!(
        m.devices[1]
            .bandwidth
            .quantiles_kbps
            .iter()
            .all(|&q| q == 6000.0)
    );
}

#[test]
fn a_device_without_the_codecs_decoder_is_left_out_of_its_ladder() {
    let (_dir, mix) = setup(
        r#"{"devices": [
            {"device": "phone", "share": 0.25, "log_uniform": [100, 2000]},
            {"device": "tv", "share": 0.75, "log_uniform": [100, 9000]}
        ]}"#,
    );
    let m = ViewerMix::load(&mix).unwrap();
    let (vp9, left) = m.for_codec(Codec::Vp9).unwrap();
    assert_eq!(left, ["phone"]);
    assert_eq!(vp9.devices.len(), 1);
    assert_eq!(vp9.devices[0].share, 1.0);
    let (x264, left) = m.for_codec(Codec::X264).unwrap();
    assert!(left.is_empty());
    assert_eq!(x264, m);
}

#[test]
fn bad_mixes_are_refused_in_one_line() {
    let cases = [
        (r#"{"devices": []}"#, "no devices"),
        (
            r#"{"devices": [{"device": "watch", "share": 1, "log_uniform": [1, 2]}]}"#,
            "device 1: `watch` is neither a built-in class (phone, laptop, tv, tv-4k, any) nor a device file",
        ),
        (
            r#"{"devices": [{"device": "mix.json", "share": 1, "log_uniform": [1, 2]}]}"#,
            "mix.json: not a device class",
        ),
        (
            r#"{"devices": [{"device": "tv", "share": 0, "log_uniform": [1, 2]}]}"#,
            "device 1: `tv`: the share must be a positive number, not 0",
        ),
        (
            r#"{"devices": [{"device": "tv", "share": -0.5, "log_uniform": [1, 2]}]}"#,
            "the share must be a positive number, not -0.5",
        ),
        (
            r#"{"devices": [{"device": "any", "log_uniform": [1, 2]}]}"#,
            "`any` has no default share",
        ),
        (
            r#"{"devices": [{"device": "tv", "traces": "nowhere"}]}"#,
            "nowhere: no such file or directory",
        ),
        (
            r#"{"devices": [{"device": "tv", "log_uniform": [1, 2]}, {"device": "phone", "log_uniform": [1, 2]}, {"device": "tv", "log_uniform": [1, 2]}]}"#,
            "device `tv` is given twice (devices 1 and 3)",
        ),
        (
            r#"{"devices": [{"device": "tv"}]}"#,
            "exactly one of \"traces\"",
        ),
        (
            r#"{"devices": [{"device": "tv", "log_uniform": [1, 2], "traces": "traces"}]}"#,
            "exactly one of",
        ),
        (
            r#"{"devices": [{"device": "tv", "log_uniform": [5, 2]}]}"#,
            "0 < lo < hi",
        ),
        (
            r#"{"devices": [{"device": "tv", "log_uniform": [1, 2], "shares": 1}]}"#,
            "unknown field `shares`",
        ),
        (
            r#"{"window_s": 0, "devices": [{"device": "tv", "traces": "traces"}]}"#,
            "window_s must be a positive number",
        ),
        ("\"mix\"", "invalid type: string"),
    ];
    for (json, want) in cases {
        let e = error(json);
        assert!(e.contains(want), "{json}: {e}");
        assert!(e.contains("not a usable viewer mix"), "{e}");
    }
    let e = ViewerMix::load(Path::new("/nonexistent/mix.json"))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("/nonexistent/mix.json: "), "{e}");
}
