//! `pertitle ladder --cost-weight`, `--price-per-gb`, `--storage-price`: the cost figures of
//! the summary recomputed here from their definitions (log-uniform viewers and a mix of two
//! devices), the weight trading quality for cost and kept by later runs, and the refusals of
//! bad weights and prices.

use crate::common;
use assert_cmd::Command;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Output;

fn pertitle() -> Command {
    Command::cargo_bin("pertitle").expect("binary built")
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
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

fn close(a: f64, b: f64, tol: f64, what: &str) {
    assert!((a - b).abs() <= tol * (1.0 + b.abs()), "{what}: {a} vs {b}");
}

/// Dollars per 1,000 viewing hours at `kbps`: GB an hour (kbit/s x 3600 s / 8 / 10^6) times
/// 1,000 hours times the price.
fn usd_per_1000_hours(kbps: f64, price: f64) -> f64 {
    kbps * 3600.0 / 8.0 / 1e6 * 1000.0 * price
}

/// The mean bitrate viewers log-uniform over [lo, hi] fetch from rungs of `kbps`
/// (increasing): each viewer the highest rung at or below their bandwidth, nothing below the
/// lowest; integrated over the log-bandwidth range cut at every rung.
fn mean_kbps(kbps: &[f64], lo: f64, hi: f64) -> f64 {
    let mut cuts = vec![lo, hi];
    cuts.extend(kbps.iter().map(|k| k.clamp(lo, hi)));
    cuts.sort_by(f64::total_cmp);
    let mut total = 0.0;
    for w in cuts.windows(2) {
        let mid = (w[0] * w[1]).sqrt();
        let fetched = kbps
            .iter()
            .rev()
            .find(|&&k| k <= mid)
            .copied()
            .unwrap_or(0.0);
        total += fetched * (w[1] / w[0]).ln();
    }
    total / (hi / lo).ln()
}

fn rungs_kbps(m: &Value) -> Vec<f64> {
    m["ladders"][0]["rungs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| f(&r["bitrate_kbps"]))
        .collect()
}

#[test]
fn delivery_and_storage_costs_the_cost_weight_and_bad_prices() {
    let tmp = tempfile::tempdir().unwrap();
    let clip = tmp.path().join("clip.mp4");
    common::synthetic_clip(&clip, "320x240", "24", 2.0);
    let run = tmp.path().join("run");
    common::optimize_small_psnr(&clip, &run, &[]);
    let plain = run.join("ladder.json");
    let m = common::read_manifest(&plain);
    let duration = f(&m["source"]["duration_s"]);

    // Without a weight: the figures from their definitions at the default prices, and the
    // objective as before costs (no cost_weight, no prices).
    let check_costs = |m: &Value, delivery: f64, storage: f64| {
        let s = &m["ladders"][0]["summary"];
        let c = &s["cost"];
        let kbps = rungs_kbps(m);
        let [lo, hi] = [f(&s["viewer_kbps"][0]), f(&s["viewer_kbps"][1])];
        let mean = mean_kbps(&kbps, lo, hi);
        close(f(&c["expected_kbps"]), mean, 1e-4, "expected kbps");
        close(
            f(&c["delivery_gb_per_hour"]),
            mean * 3600.0 / 8e6,
            1e-4,
            "GB/h",
        );
        close(
            f(&c["delivery_usd_per_1000_hours"]),
            usd_per_1000_hours(mean, delivery),
            1e-4,
            "$ per 1,000 h",
        );
        let gb: f64 = kbps.iter().map(|k| k * duration / 8e6).sum();
        close(f(&c["storage_gb"]), gb, 1e-3, "storage GB");
        close(
            f(&c["storage_usd_per_month"]),
            gb * storage,
            1e-3,
            "storage $",
        );
        assert_eq!(f(&c["delivery_per_gb"]), delivery);
        assert_eq!(f(&c["storage_per_gb_month"]), storage);
    };
    check_costs(&m, 0.02, 0.023);
    let objective = m["settings"]["objective"].as_object().unwrap();
    assert!(!objective.contains_key("cost_weight") && !objective.contains_key("prices"));
    // Choosing again with nothing changed writes the same bytes.
    let again = tmp.path().join("again/ladder.json");
    assert!(ladder(&plain, &again, &[]).status.success());
    assert_eq!(
        std::fs::read(&plain).unwrap(),
        std::fs::read(&again).unwrap()
    );
    // A weight of 0 chooses the same rungs with the same figures.
    let zero = tmp.path().join("zero/ladder.json");
    assert!(
        ladder(&plain, &zero, &["--cost-weight", "0"])
            .status
            .success()
    );
    let z = common::read_manifest(&zero);
    assert_eq!(z["ladders"][0]["rungs"], m["ladders"][0]["rungs"]);
    assert_eq!(z["ladders"][0]["summary"], m["ladders"][0]["summary"]);
    assert_eq!(z["settings"]["objective"]["cost_weight"], json!(0.0));

    // The frontier rises in cost and quality; a weight chooses its ladder of the best
    // quality less weighted cost, cheaper than the unweighted one, and later runs keep it.
    let frontier = m["ladders"][0]["summary"]["cost"]["frontier"]
        .as_array()
        .unwrap()
        .clone();
    assert!(frontier.len() >= 2, "{frontier:?}");
    for w in frontier.windows(2) {
        assert!(f(&w[1]["delivery_usd_per_1000_hours"]) > f(&w[0]["delivery_usd_per_1000_hours"]));
        assert!(f(&w[1]["expected_quality"]) > f(&w[0]["expected_quality"]));
    }
    let (a, b) = (&frontier[frontier.len() - 2], &frontier[frontier.len() - 1]);
    let gain = (f(&b["expected_quality"]) - f(&a["expected_quality"]))
        / (f(&b["delivery_usd_per_1000_hours"]) - f(&a["delivery_usd_per_1000_hours"]));
    close(f(&b["quality_per_dollar"]), gain, 1e-3, "gain per dollar");
    // Just above the last step's gain, the ladder one step cheaper is the best.
    let w = gain * 1.5;
    let weighted = tmp.path().join("weighted/ladder.json");
    let out = ladder(&plain, &weighted, &["--cost-weight", &w.to_string()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("quality-cost frontier") && stdout.contains("delivery: "),
        "{stdout}"
    );
    let wm = common::read_manifest(&weighted);
    check_costs(&wm, 0.02, 0.023);
    let c = &wm["ladders"][0]["summary"]["cost"];
    let value = |x: &Value| f(&x["expected_quality"]) - w * f(&x["delivery_usd_per_1000_hours"]);
    let best = frontier.iter().map(value).fold(f64::NEG_INFINITY, f64::max);
    let chosen = c["frontier"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["chosen"] == json!(true));
    let chosen = chosen.expect("the weighted ladder is on the frontier");
    close(value(chosen), best, 1e-3, "weighted value");
    assert!(
        f(&c["delivery_usd_per_1000_hours"])
            < f(&m["ladders"][0]["summary"]["cost"]["delivery_usd_per_1000_hours"])
    );
    close(
        f(&c["expected_kbps"]),
        f(&chosen["expected_kbps"]),
        1e-3,
        "chosen kbps",
    );
    let kept = tmp.path().join("kept/ladder.json");
    assert!(ladder(&weighted, &kept, &[]).status.success());
    let k = common::read_manifest(&kept);
    assert_eq!(k["ladders"][0]["rungs"], wm["ladders"][0]["rungs"]);
    assert_eq!(k["settings"]["objective"]["cost_weight"], json!(w));

    // Prices: recorded and applied.
    let priced = tmp.path().join("priced/ladder.json");
    let out = ladder(
        &plain,
        &priced,
        &["--price-per-gb", "0.05", "--storage-price", "0.01"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p = common::read_manifest(&priced);
    check_costs(&p, 0.05, 0.01);
    assert_eq!(
        p["settings"]["objective"]["prices"],
        json!({"delivery_per_gb": 0.05, "storage_per_gb_month": 0.01})
    );

    // Bad weights and prices: one line, nothing written.
    for (name, args) in [
        ("negative weight", ["--cost-weight", "-1"]),
        ("weight nan", ["--cost-weight", "nan"]),
        ("weight inf", ["--cost-weight", "inf"]),
        ("negative price", ["--price-per-gb", "-0.01"]),
        ("storage inf", ["--storage-price", "inf"]),
    ] {
        let out_path = tmp
            .path()
            .join(format!("bad-{}/ladder.json", name.replace(' ', "-")));
        let run = ladder(&plain, &out_path, &args);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success(), "{name}: accepted");
        assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
        assert!(
            stderr.starts_with("pertitle: error: --"),
            "{name}: {stderr}"
        );
        assert!(stderr.contains(args[0]), "{name}: {stderr}");
        assert!(!out_path.parent().unwrap().exists(), "{name}: wrote output");
    }

    mix_costs(tmp.path(), &plain);

    // `optimize` takes the same options: the same rungs as `ladder` with them, the weight
    // and prices recorded, storage priced over the title.
    let opt = tmp.path().join("opt");
    let weight = w.to_string();
    common::optimize_small_psnr(
        &clip,
        &opt,
        &["--cost-weight", &weight, "--price-per-gb", "0.05"],
    );
    let o = common::read_manifest(&opt.join("ladder.json"));
    let same = tmp.path().join("same/ladder.json");
    let run = ladder(
        &plain,
        &same,
        &["--cost-weight", &weight, "--price-per-gb", "0.05"],
    );
    assert!(run.status.success());
    let l = common::read_manifest(&same);
    assert_eq!(o["ladders"][0]["rungs"], l["ladders"][0]["rungs"]);
    assert_eq!(o["settings"]["objective"], l["settings"]["objective"]);
    assert_eq!(o["ladders"][0]["summary"], l["ladders"][0]["summary"]);
    check_costs(&o, 0.05, 0.023);
}

/// Two devices, each with log-uniform bandwidths and judged by PSNR: each device's mean
/// bitrate from its own range and the rungs it plays, and the overall one their
/// share-weighted mean.
fn mix_costs(tmp: &Path, plain: &Path) {
    let mix = tmp.join("mix.json");
    let devices = [("phone", 0.6, [80.0, 2000.0]), ("tv", 0.4, [300.0, 6000.0])];
    let entries: Vec<Value> = devices
        .iter()
        .map(|(d, share, range)| {
            json!({"device": d, "share": share, "log_uniform": range, "quality": "psnr_y"})
        })
        .collect();
    std::fs::write(&mix, json!({"devices": entries}).to_string()).unwrap();
    let out = tmp.join("mix/ladder.json");
    let run = ladder(
        plain,
        &out,
        &["--viewers", mix.to_str().unwrap(), "--cost-weight", "0.5"],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let m = common::read_manifest(&out);
    let kbps = rungs_kbps(&m);
    let c = &m["ladders"][0]["summary"]["cost"];
    let mut overall = 0.0;
    for (i, (name, share, [lo, hi])) in devices.iter().enumerate() {
        // Both devices show 320x240 frames and play every rung of this small clip.
        let d = &c["devices"][i];
        assert_eq!(d["name"], json!(name));
        let mean = mean_kbps(&kbps, *lo, *hi);
        close(f(&d["expected_kbps"]), mean, 1e-3, name);
        close(
            f(&d["delivery_usd_per_1000_hours"]),
            usd_per_1000_hours(mean, 0.02),
            1e-3,
            name,
        );
        overall += share * mean;
    }
    close(f(&c["expected_kbps"]), overall, 1e-3, "mix kbps");
    assert_eq!(m["settings"]["objective"]["cost_weight"], json!(0.5));
}
