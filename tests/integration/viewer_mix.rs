//! `pertitle ladder --viewers`: rungs chosen for a mix of devices and networks, checked
//! against the expected quality recomputed here from its definition, and the refusals of
//! bad mixes.
//!
//! The manifest is a real `optimize` run (PSNR, a small synthetic clip) whose points are
//! given `vmaf_phone` and `vmaf_tv` scores here, as `optimize --devices phone,tv` would
//! record them.

use crate::common;
use assert_cmd::Command;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Output;

fn pertitle() -> Command {
    Command::cargo_bin("pertitle").expect("binary built")
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// A device's score on a point: a transform of its PSNR (the phone forgives more), lower
/// at the smaller size.
fn device_score(psnr: f64, height: u64, phone: bool) -> f64 {
    let base = 2.5 * psnr - 20.0 - if height < 200 { 8.0 } else { 0.0 };
    (base + if phone { 8.0 } else { 0.0 }).clamp(0.0, 100.0)
}

/// `optimize` on a 320x240 clip (240p and 120p, five CRFs), with device scores added to
/// every point: the manifest's path, and the manifest without them.
fn fixture(dir: &Path) -> (PathBuf, PathBuf) {
    let clip = dir.join("clip.mp4");
    common::synthetic_clip(&clip, "320x240", "24", 2.0);
    let out = dir.join("run");
    common::optimize_small_psnr(&clip, &out, &[]);
    let plain = out.join("ladder.json");
    let mut m = common::read_manifest(&plain);
    for p in m["ladders"][0]["points"].as_array_mut().unwrap() {
        let (psnr, height) = (f(&p["psnr_y"]), p["height"].as_u64().unwrap());
        let pooled = |v: f64| json!({"mean": v, "harmonic_mean": v, "min": v, "p5": v});
        let pooling = p["pooling"].as_object_mut().unwrap();
        pooling.insert(
            "vmaf_phone".into(),
            pooled(device_score(psnr, height, true)),
        );
        pooling.insert("vmaf_tv".into(), pooled(device_score(psnr, height, false)));
    }
    let scored = dir.join("scored.json");
    std::fs::write(&scored, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    (scored, plain)
}

/// Each of the 100 pieces of a device's bandwidth (1 % of its viewers, log-uniform between
/// two quantiles) cut at the rungs, each part's viewers playing the highest rung the device
/// plays within their bandwidth: the device's expected quality, from the manifest alone.
fn expected_by_definition(device: &Value, rungs: &[Value]) -> f64 {
    let cap = |k: &str| device[k].as_u64().unwrap_or(0);
    let (mw, mh) = (cap("max_width"), cap("max_height"));
    let fits = |w: u64, h: u64| {
        let ok = |w: u64, h: u64| (mw == 0 || w <= mw) && (mh == 0 || h <= mh);
        ok(w, h) || ok(h, w)
    };
    let key = device["quality_key"].as_str().unwrap();
    let played: Vec<(f64, f64)> = rungs
        .iter()
        .filter(|r| fits(r["width"].as_u64().unwrap(), r["height"].as_u64().unwrap()))
        .filter(|r| {
            device["max_kbps"]
                .as_f64()
                .is_none_or(|m| f(&r["bitrate_kbps"]) <= m)
        })
        .map(|r| (f(&r["bitrate_kbps"]), f(&r["pooling"][key]["mean"])))
        .collect();
    let at = |x: f64| {
        played
            .iter()
            .rev()
            .find(|(k, _)| *k <= x)
            .map_or(0.0, |(_, q)| *q)
    };
    let q: Vec<f64> = device["bandwidth"]["quantiles_kbps"]
        .as_array()
        .unwrap()
        .iter()
        .map(f)
        .collect();
    assert_eq!(q.len(), 101);
    let mut total = 0.0;
    for w in q.windows(2) {
        let (a, b) = (w[0], w[1]);
        if a == b {
            total += 0.01 * at(a);
            continue;
        }
        let mut cuts = vec![a, b];
        cuts.extend(played.iter().map(|p| p.0).filter(|&k| a < k && k < b));
        cuts.sort_by(f64::total_cmp);
        for c in cuts.windows(2) {
            let share = if a > 0.0 {
                (c[1] / c[0]).ln() / (b / a).ln()
            } else {
                (c[1] - c[0]) / (b - a)
            };
            total += 0.01 * share * at(c[0]);
        }
    }
    total
}

fn sabre_trace(path: &Path, periods: &[(u32, f64)]) {
    let periods: Vec<Value> = periods
        .iter()
        .map(|&(ms, kbps)| json!({"duration_ms": ms, "bandwidth_kbps": kbps, "latency_ms": 50}))
        .collect();
    std::fs::write(path, serde_json::to_string(&periods).unwrap()).unwrap();
}

fn ladder(input: &Path, output: &Path, extra: &[&str]) -> Output {
    pertitle()
        .arg("ladder")
        .arg(input)
        .arg("-o")
        .arg(output)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn rungs_for_a_viewer_mix_and_the_refusals_of_bad_mixes() {
    let tmp = tempfile::tempdir().unwrap();
    let (scored, plain) = fixture(tmp.path());
    let original = common::read_manifest(&plain);
    let kbps: Vec<f64> = original["ladders"][0]["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| f(&p["bitrate_kbps"]))
        .collect();
    let lo = kbps.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = kbps.iter().copied().fold(0.0, f64::max);
    let mid = (lo * hi).sqrt();
    assert!(hi > 8.0 * lo, "{lo}-{hi} kbps");

    // The mix's own directory: traces and a device file beside it, named relative to it.
    let mixdir = tmp.path().join("mix");
    std::fs::create_dir_all(mixdir.join("traces")).unwrap();
    sabre_trace(
        &mixdir.join("traces/a.json"),
        &[(20_000, 1.2 * hi), (20_000, 2.0 * lo)],
    );
    sabre_trace(&mixdir.join("traces/b.json"), &[(40_000, mid)]);
    std::fs::write(
        mixdir.join("small.json"),
        r#"{"name": "small", "max_width": 160, "max_height": 120}"#,
    )
    .unwrap();
    let mix = mixdir.join("mix.json");
    std::fs::write(
        &mix,
        json!({"window_s": 10, "devices": [
            {"device": "phone", "share": 0.3, "traces": "traces"},
            {"device": "tv", "share": 0.5, "log_normal": {"median_kbps": mid, "sigma": 0.8}},
            {"device": "small.json", "share": 0.3, "quality": "vmaf_tv", "log_uniform": [lo, hi]}
        ]})
        .to_string(),
    )
    .unwrap();

    let out = tmp.path().join("qoe/ladder.json");
    let run = ladder(&scored, &out, &["--viewers", mix.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stderr}");
    // Shares of 1.1 are normalised, with a warning.
    assert!(
        stderr.contains("pertitle: warning:")
            && stderr.contains(
                "the shares sum to 1.1, not 1: normalised to phone 0.2727, tv 0.4545, small 0.2727"
            ),
        "{stderr}"
    );
    let m = common::read_manifest(&out);
    let viewers = &m["settings"]["objective"]["viewers"];
    let devices = viewers["devices"].as_array().unwrap();
    let names: Vec<&str> = devices
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["phone", "tv", "small"]);
    assert!((devices.iter().map(|d| f(&d["share"])).sum::<f64>() - 1.0).abs() < 1e-12);
    assert_eq!(devices[0]["quality_key"], "vmaf_phone");
    assert_eq!(devices[2]["quality_key"], "vmaf_tv");
    assert_eq!(devices[2]["max_height"], 120);

    // The phone's traces in 10 s windows: a.json gives 1.2 hi, 1.2 hi, 2 lo, 2 lo and b.json
    // four windows at mid: 2 lo a quarter of the time, mid half, 1.2 hi a quarter.
    let q: Vec<f64> = devices[0]["bandwidth"]["quantiles_kbps"]
        .as_array()
        .unwrap()
        .iter()
        .map(f)
        .collect();
    for (k, &v) in q.iter().enumerate() {
        let want = match k {
            0..=25 => 2.0 * lo,
            26..=75 => mid,
            _ => 1.2 * hi,
        };
        assert!((v - want).abs() < 1e-6 * want, "q{k} = {v}, want {want}");
    }
    assert_eq!(devices[0]["bandwidth"]["from"]["traces"]["windows"], 8);

    // The expected quality, per device and overall, recomputed from the manifest alone.
    let ladder0 = &m["ladders"][0];
    let rungs = ladder0["rungs"].as_array().unwrap();
    let summary = &ladder0["summary"];
    let per = summary["devices"].as_array().unwrap();
    assert_eq!(per.len(), 3);
    let mut overall = 0.0;
    for (d, s) in devices.iter().zip(per) {
        assert_eq!(d["name"], s["name"]);
        let want = expected_by_definition(d, rungs);
        let got = f(&s["expected_quality"]);
        // Interpolated rungs keep their scores to 4 decimals.
        assert!((got - want).abs() < 2e-3, "{}: {got} vs {want}", d["name"]);
        overall += f(&d["share"]) * want;
        let fits = rungs
            .iter()
            .filter(|r| {
                d["max_height"]
                    .as_u64()
                    .is_none_or(|h| h == 0 || r["height"].as_u64().unwrap() <= h)
            })
            .count();
        assert_eq!(s["playable_rungs"].as_u64().unwrap() as usize, fits);
    }
    assert!((f(&summary["expected_quality"]) - overall).abs() < 2e-3);
    // The small screen plays the 120p rungs only, and the ladder has some.
    assert!(per[2]["playable_rungs"].as_u64().unwrap() >= 1);
    assert!(per[2]["playable_rungs"].as_u64().unwrap() < rungs.len() as u64);
    // The summary prints each device.
    assert!(stdout.contains("over the viewer mix"), "{stdout}");
    for name in ["phone", "tv", "small"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.trim_start().starts_with(name) && l.contains(" of ")),
            "{stdout}"
        );
    }

    // The report shows each device's figures.
    let html = tmp.path().join("report.html");
    pertitle()
        .arg("report")
        .arg(&out)
        .arg("-o")
        .arg(&html)
        .arg("--no-frames")
        .assert()
        .success();
    let html = std::fs::read_to_string(&html).unwrap();
    for s in per {
        let row = format!(
            "<tr><th>device {} ({:.1}% of viewers)</th><td>{} {:.2}, plays {} of {} rungs</td></tr>",
            s["name"].as_str().unwrap(),
            100.0 * f(&s["share"]),
            s["quality_key"].as_str().unwrap(),
            f(&s["expected_quality"]),
            s["playable_rungs"],
            rungs.len()
        );
        assert!(html.contains(&row), "{row}");
    }

    // Choosing again without --viewers keeps the mix, and the same rungs.
    let again = tmp.path().join("again/ladder.json");
    assert!(ladder(&out, &again, &[]).status.success());
    let a = common::read_manifest(&again);
    assert_eq!(a["settings"]["objective"], m["settings"]["objective"]);
    assert_eq!(a["ladders"][0]["rungs"], m["ladders"][0]["rungs"]);
    assert_eq!(a["ladders"][0]["summary"], m["ladders"][0]["summary"]);
    // --viewer-kbps replaces the mix.
    let range = tmp.path().join("range/ladder.json");
    let spec = format!("{lo},{hi}");
    assert!(
        ladder(&out, &range, &["--viewer-kbps", &spec])
            .status
            .success()
    );
    let r = common::read_manifest(&range);
    assert_eq!(r["settings"]["objective"], json!({"viewer_kbps": [lo, hi]}));
    assert!(r["ladders"][0]["summary"].get("devices").is_none());
    // Both at once: refused by the option parser.
    let both = ladder(
        &out,
        &range,
        &["--viewer-kbps", &spec, "--viewers", mix.to_str().unwrap()],
    );
    assert!(!both.status.success());
    assert!(String::from_utf8_lossy(&both.stderr).contains("cannot be used with"));

    same_as_viewer_kbps(tmp.path(), &plain, lo, hi);
    refusals(tmp.path(), &scored, &plain, &mixdir);
}

/// A mix of one device that plays everything, judged by the run's own metric, with
/// log-uniform bandwidth: the rungs of `--viewer-kbps`, from `ladder` and from `optimize`.
fn same_as_viewer_kbps(tmp: &Path, plain: &Path, lo: f64, hi: f64) {
    let (lo, hi) = (lo * 1.3, hi * 0.9);
    let mix = tmp.join("any.json");
    std::fs::write(
        &mix,
        json!({"devices": [{"device": "any", "share": 1, "quality": "psnr_y", "log_uniform": [lo, hi]}]})
            .to_string(),
    )
    .unwrap();
    let (a, b) = (tmp.join("any/ladder.json"), tmp.join("kbps/ladder.json"));
    assert!(
        ladder(plain, &a, &["--viewers", mix.to_str().unwrap()])
            .status
            .success()
    );
    let spec = format!("{lo},{hi}");
    assert!(
        ladder(plain, &b, &["--viewer-kbps", &spec])
            .status
            .success()
    );
    let (a, b) = (common::read_manifest(&a), common::read_manifest(&b));
    assert_eq!(a["ladders"][0]["rungs"], b["ladders"][0]["rungs"]);
    let (qa, qb) = (
        f(&a["ladders"][0]["summary"]["expected_quality"]),
        f(&b["ladders"][0]["summary"]["expected_quality"]),
    );
    assert!((qa - qb).abs() < 1e-3, "{qa} vs {qb}");
    assert_eq!(
        a["ladders"][0]["summary"]["devices"][0]["playable_rungs"],
        b["ladders"][0]["rungs"].as_array().unwrap().len()
    );

    // optimize takes --viewers too, and records the mix.
    let clip = tmp.join("clip.mp4");
    let run = tmp.join("optimized");
    common::optimize_small_psnr(
        &clip,
        &run,
        &["--viewers", mix.to_str().expect("utf-8 path")],
    );
    let o = common::read_manifest(&run.join("ladder.json"));
    assert_eq!(o["ladders"][0]["rungs"], a["ladders"][0]["rungs"]);
    assert_eq!(o["settings"]["objective"], a["settings"]["objective"]);
}

/// Bad mixes: one line naming the mix file and the cause, a failure, and nothing written.
fn refusals(tmp: &Path, scored: &Path, plain: &Path, mixdir: &Path) {
    std::fs::write(mixdir.join("bad-device.json"), r#"{"name": "Not A Name"}"#).unwrap();
    std::fs::write(
        mixdir.join("tiny.json"),
        r#"{"name": "tiny", "max_width": 100, "max_height": 80}"#,
    )
    .unwrap();
    let log = r#""log_uniform": [100, 5000]"#;
    let cases: Vec<(&str, String, &str)> = vec![
        ("empty", r#"{"devices": []}"#.into(), "no devices"),
        (
            "unknown",
            format!(r#"{{"devices": [{{"device": "watch", "share": 1, {log}}}]}}"#),
            "`watch` is neither a built-in class",
        ),
        (
            "invalid-device",
            format!(r#"{{"devices": [{{"device": "bad-device.json", "share": 1, {log}}}]}}"#),
            "bad-device.json: not a device class: the name \"Not A Name\"",
        ),
        (
            "zero-share",
            format!(r#"{{"devices": [{{"device": "tv", "share": 0, {log}}}]}}"#),
            "the share must be a positive number, not 0",
        ),
        (
            "negative-share",
            format!(r#"{{"devices": [{{"device": "tv", "share": -1, {log}}}]}}"#),
            "the share must be a positive number, not -1",
        ),
        (
            "no-traces",
            r#"{"devices": [{"device": "tv", "share": 1, "traces": "missing/dir"}]}"#.into(),
            "missing/dir: no such file or directory",
        ),
        (
            "duplicate",
            format!(r#"{{"devices": [{{"device": "tv", {log}}}, {{"device": "tv", {log}}}]}}"#),
            "device `tv` is given twice (devices 1 and 2)",
        ),
        (
            "caps-below",
            format!(
                r#"{{"devices": [{{"device": "tv", "share": 0.9, {log}}}, {{"device": "tiny.json", "share": 0.1, "quality": "vmaf_tv", {log}}}]}}"#
            ),
            "device `tiny` (at most 100x80) plays none of the",
        ),
        (
            "unmeasured",
            format!(r#"{{"devices": [{{"device": "laptop", "share": 1, {log}}}]}}"#),
            "device `laptop`: the ladder's points have no `vmaf_laptop` scores; run `pertitle optimize ... --devices laptop`",
        ),
    ];
    for (name, json, cause) in cases {
        let file = mixdir.join(format!("{name}.json"));
        std::fs::write(&file, json).unwrap();
        let out = tmp.join(format!("refused-{name}/ladder.json"));
        let run = ladder(scored, &out, &["--viewers", file.to_str().unwrap()]);
        check_refusal(name, &run, &file, cause, &out);
    }
    // A manifest without device scores.
    let file = mixdir.join("phone-only.json");
    std::fs::write(
        &file,
        r#"{"devices": [{"device": "phone", "share": 1, "log_normal": {"median_kbps": 900, "sigma": 1}}]}"#,
    )
    .unwrap();
    let out = tmp.join("refused-plain/ladder.json");
    let run = ladder(plain, &out, &["--viewers", file.to_str().unwrap()]);
    check_refusal("plain", &run, &file, "--devices phone", &out);
    // optimize refuses such a mix before it encodes anything.
    let out = tmp.join("refused-optimize/ladder.json");
    let run = pertitle()
        .args(["optimize", "--quiet", "--metric", "psnr", "--viewers"])
        .arg(&file)
        .arg(tmp.join("clip.mp4"))
        .arg("-o")
        .arg(out.parent().unwrap())
        .output()
        .unwrap();
    check_refusal("optimize", &run, &file, "--devices phone", &out);
}

fn check_refusal(name: &str, run: &Output, file: &Path, cause: &str, out: &Path) {
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success(), "{name}: accepted");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{name}: {stderr}");
    let line = lines[0];
    assert!(
        line.starts_with(&format!(
            "pertitle: error: {}: not a usable viewer mix: ",
            file.display()
        )),
        "{name}: {line}"
    );
    assert!(line.contains(cause), "{name}: {line}");
    assert!(!out.exists(), "{name}: wrote {}", out.display());
    assert!(
        !out.parent().unwrap().exists(),
        "{name}: made {}",
        out.display()
    );
}
