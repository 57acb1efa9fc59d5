//! `pertitle simulate`: agreement with the Sabre simulator on real traces, known answers on
//! made-up links, a pertitle ladder played with its own quality, devices, comparisons, and
//! the refusals of bad input.

use crate::common;
use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn pertitle() -> Command {
    Command::cargo_bin("pertitle").expect("binary built")
}

fn shared_traces() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/traces");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIP: {} is absent", dir.display());
        None
    }
}

/// 8 rungs (235 to 8000 kbps), 150 segments of 4 s whose sizes vary by up to 35% around
/// the bitrate: the movie scripts/bench/sabre.sh makes (truncated to whole bits as awk's
/// `int` does).
fn sabre_movie(dir: &Path) -> PathBuf {
    let rates = [235.0, 375.0, 750.0, 1750.0, 3000.0, 4300.0, 5800.0, 8000.0];
    let sizes: Vec<Vec<i64>> = (0..150)
        .map(|k| {
            (1..=8)
                .map(|i| {
                    let v: f64 =
                        rates[i - 1] * 4000.0 * (1.0 + 0.35 * (k as f64 * 0.7 + i as f64).sin());
                    v.trunc() as i64
                })
                .collect()
        })
        .collect();
    let path = dir.join("movie.json");
    let movie = serde_json::json!({
        "segment_duration_ms": 4000,
        "bitrates_kbps": rates,
        "segment_sizes_bits": sizes,
    });
    std::fs::write(&path, movie.to_string()).unwrap();
    path
}

fn simulate_json(args: &[&str]) -> Value {
    let out = pertitle()
        .arg("simulate")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn mean(sim: &Value, ladder: usize, figure: &str) -> f64 {
    sim["ladders"][ladder]["summary"]["figures"][figure]["mean"]
        .as_f64()
        .unwrap()
}

/// Sabre's settings: basic BOLA with log-bitrate utility, no abandonment, 25 s buffer,
/// playback from the first segment, the movie once, the trace from its start.
const SABRE_SETTINGS: [&str; 14] = [
    "--bola-utility",
    "log-bitrate",
    "--no-abandon",
    "--buffer-seconds",
    "25",
    "--gamma-p",
    "5",
    "--startup-seconds",
    "0",
    "--session-seconds",
    "0",
    "--offsets",
    "1",
    "--metric=log_bitrate",
];

#[test]
fn simulate_agrees_with_sabre_on_real_traces() {
    let Some(traces) = shared_traces() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let movie = sabre_movie(tmp.path());
    // Sabre (github.com/UMass-LIDS/sabre, src/sabre.py at 09b03bb) on the same movie:
    // `sabre.py -m movie.json -n TRACE -a ABR [-ab] -noa -r none -b 25 -gp 5` prints the
    // time-average played bitrate, the total rebuffer time and the rebuffer events
    // (scripts/bench/sabre.sh runs both and compares).
    let expected = [
        (
            "3g_norway_hsdpa/report.2010-09-13_1046CEST.json",
            [
                ("bola", 585.576893, 273.525067, 39.0),
                ("throughput", 350.725873, 263.404199, 37.0),
                ("dynamic", 574.219193, 270.305060, 39.0),
            ],
        ),
        (
            "fcc_hd/trace0000.json",
            [
                ("bola", 5287.522862, 0.0, 0.0),
                ("throughput", 4375.576855, 0.0, 0.0),
                ("dynamic", 5287.922255, 0.0, 0.0),
            ],
        ),
        (
            "4g_ghent/report_bus_0001.json",
            [
                ("bola", 7762.337465, 0.0, 0.0),
                ("throughput", 7947.520864, 0.0, 0.0),
                ("dynamic", 7947.520864, 0.0, 0.0),
            ],
        ),
    ];
    for (trace, runs) in expected {
        let trace = traces.join(trace);
        for (abr, kbps, stall, events) in runs {
            let mut args = vec![movie.to_str().unwrap(), "--traces", trace.to_str().unwrap()];
            args.extend(["--abr", abr]);
            args.extend(&SABRE_SETTINGS[..13]);
            let sim = simulate_json(&args);
            let what = format!("{abr} on {}", trace.display());
            assert!(
                (mean(&sim, 0, "time_average_kbps") - kbps).abs() < 1e-5,
                "{what}: {} kbps, Sabre {kbps}",
                mean(&sim, 0, "time_average_kbps")
            );
            assert!((mean(&sim, 0, "stall_s") - stall).abs() < 1e-5, "{what}");
            assert_eq!(mean(&sim, 0, "stalls"), events, "{what}");
        }
    }
}

/// A trace file of one period repeated.
fn constant_trace(dir: &Path, name: &str, kbps: f64, latency_ms: f64) -> PathBuf {
    let path = dir.join(name);
    let trace = serde_json::json!([
        {"duration_ms": 1000, "bandwidth_kbps": kbps, "latency_ms": latency_ms}
    ]);
    std::fs::write(&path, trace.to_string()).unwrap();
    path
}

#[test]
fn a_link_below_the_bottom_rung_stalls_the_computed_time_and_a_fast_one_never() {
    let tmp = tempfile::tempdir().unwrap();
    let movie = tmp.path().join("one.json");
    // One rung of 1000 kbps, 10 segments of 4 s (4 Mbit each).
    let sizes = vec![vec![4_000_000]; 10];
    std::fs::write(
        &movie,
        serde_json::json!({"segment_duration_ms": 4000, "bitrates_kbps": [1000],
            "segment_sizes_bits": sizes})
        .to_string(),
    )
    .unwrap();
    let slow = constant_trace(tmp.path(), "slow.json", 500.0, 0.0);
    for abr in ["throughput", "bola", "dynamic", "mpc"] {
        let sim = simulate_json(&[
            movie.to_str().unwrap(),
            "--traces",
            slow.to_str().unwrap(),
            "--abr",
            abr,
            "--startup-seconds",
            "0",
            "--session-seconds",
            "0",
            "--offsets",
            "1",
        ]);
        // Each segment takes 8 s to arrive and plays for 4: playback starts at 8 s, then
        // stalls 4 s before each of the other 9 segments.
        assert!((mean(&sim, 0, "startup_s") - 8.0).abs() < 1e-9, "{abr}");
        assert!((mean(&sim, 0, "stall_s") - 36.0).abs() < 1e-9, "{abr}");
        assert_eq!(mean(&sim, 0, "stalls"), 9.0, "{abr}");
        assert_eq!(sim["ladders"][0]["summary"]["stalled_share"], 1.0);
    }
    let fast = constant_trace(tmp.path(), "fast.json", 20_000.0, 0.0);
    let sim = simulate_json(&[
        movie.to_str().unwrap(),
        "--traces",
        fast.to_str().unwrap(),
        "--session-seconds",
        "120",
    ]);
    // 4 offsets, 30 segments each, no stall; startup = one 4 Mbit segment at 20 Mbit/s.
    assert_eq!(sim["ladders"][0]["summary"]["sessions"], 4);
    assert_eq!(mean(&sim, 0, "stall_s"), 0.0);
    assert!((mean(&sim, 0, "startup_s") - 0.2).abs() < 1e-9);
    assert!((mean(&sim, 0, "video_s") - 120.0).abs() < 1e-9);
    assert_eq!(sim["ladders"][0]["summary"]["stalled_share"], 0.0);
}

/// A ladder of a synthetic clip, measured (PSNR, 1 s segments), and the same with measured
/// rungs only.
fn ladders() -> &'static (tempfile::TempDir, PathBuf, PathBuf) {
    static L: OnceLock<(tempfile::TempDir, PathBuf, PathBuf)> = OnceLock::new();
    L.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let clip = tmp.path().join("clip.mp4");
        common::synthetic_clip(&clip, "320x240", "24", 4.0);
        let out = tmp.path().join("opt");
        pertitle()
            .args([
                "optimize",
                "--quiet",
                "--metric",
                "psnr",
                "--preset",
                "ultrafast",
            ])
            .args(["--resolutions", "240,120", "--crf", "20,26,32,38,44"])
            .args(["--segment-seconds", "1"])
            .arg(&clip)
            .arg("-o")
            .arg(&out)
            .assert()
            .success();
        let measured = tmp.path().join("measured.json");
        pertitle()
            .args(["ladder", "--measured-only"])
            .arg(out.join("ladder.json"))
            .arg("-o")
            .arg(&measured)
            .assert()
            .success();
        (tmp, out.join("ladder.json"), measured)
    })
}

#[test]
fn a_ladder_plays_with_its_own_quality_on_devices_and_side_by_side() {
    let (tmp, full, measured) = ladders();
    let ladder: Value = common::read_manifest(measured);
    let rungs = ladder["ladders"][0]["rungs"].as_array().unwrap();
    let sim = simulate_json(&[
        measured.to_str().unwrap(),
        "--traces",
        "constant:20000",
        "--traces",
        "step:5000,100,at=5",
        "--session-seconds",
        "60",
    ]);
    let l = &sim["ladders"][0];
    assert_eq!(l["quality"], "psnr_y");
    assert_eq!(l["rungs"].as_array().unwrap().len(), rungs.len());
    assert_eq!(l["sets"].as_array().unwrap().len(), 2);
    assert_eq!(l["summary"]["sessions"], 8);
    // On a fast link the top rung plays after the first segment: the mean quality lies
    // between the bottom and the top rung's PSNR, close to the top.
    let top = rungs.last().unwrap()["psnr_y"].as_f64().unwrap();
    let bottom = rungs[0]["psnr_y"].as_f64().unwrap();
    let fast = l["sets"][0]["summary"]["figures"]["mean_quality"]["mean"]
        .as_f64()
        .unwrap();
    assert!(fast > bottom && fast <= top + 1e-9, "{bottom} {fast} {top}");
    // A link that falls to 100 kbit/s stalls; its examples carry a timeline.
    assert!(l["sets"][1]["summary"]["stalled_share"].as_f64().unwrap() > 0.0);
    let bad = &l["sets"][1]["examples"][1];
    assert_eq!(bad["kind"], "bad");
    assert!(!bad["timeline"]["stalls"].as_array().unwrap().is_empty());

    // A device whose screen is the bottom rung's size is offered the rungs of that size.
    let (w, h) = (
        rungs[0]["width"].as_u64().unwrap(),
        rungs[0]["height"].as_u64().unwrap(),
    );
    let device = tmp.path().join("tiny.json");
    std::fs::write(
        &device,
        format!(r#"{{"name": "tiny", "max_width": {w}, "max_height": {h}, "codecs": ["h264"]}}"#),
    )
    .unwrap();
    let small = simulate_json(&[
        measured.to_str().unwrap(),
        "--traces",
        "constant:20000",
        "--device",
        device.to_str().unwrap(),
    ]);
    let offered = small["ladders"][0]["rungs"].as_array().unwrap();
    let fitting = rungs
        .iter()
        .filter(|r| r["height"].as_u64() <= Some(h))
        .count();
    assert_eq!(offered.len(), fitting);
    assert!(offered.iter().all(|r| r["size"][1].as_u64().unwrap() <= h));

    // Two ladders over the same sessions; CSV has one row per session of each.
    let out = pertitle()
        .args(["simulate"])
        .arg(measured)
        .args(["--traces", "constant:3000", "--compare"])
        .arg(measured)
        .args(["--device", "phone", "--csv"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let csv = String::from_utf8(out.stdout).unwrap();
    assert_eq!(csv.lines().count(), 1 + 2 * 4);
    let table = pertitle()
        .args(["simulate"])
        .arg(measured)
        .args(["--traces", "constant:3000", "--compare"])
        .arg(measured)
        .output()
        .unwrap();
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(
        text.contains("A (psnr_y)") && text.contains("B (psnr_y)"),
        "{text}"
    );

    // The full ladder's interpolated rungs have no sizes: refused, with the ways out.
    let full_ladder: Value = common::read_manifest(full);
    if full_ladder["ladders"][0]["rungs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["interpolated"] == true)
    {
        let out = pertitle()
            .arg("simulate")
            .arg(full)
            .args(["--traces", "constant:3000"])
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("is interpolated") && err.contains("--package"),
            "{err}"
        );
    }
}

#[test]
fn simulate_writes_its_outputs_and_refuses_bad_input_in_one_line() {
    let (tmp, _, measured) = ladders();
    let dir = tmp.path().join("bad");
    std::fs::create_dir_all(&dir).unwrap();
    let negative = dir.join("negative.json");
    std::fs::write(
        &negative,
        r#"[{"duration_ms": 1000, "bandwidth_kbps": -5, "latency_ms": 10}]"#,
    )
    .unwrap();
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let unknown = dir.join("weird.txt");
    std::fs::write(&unknown, "hello world\n").unwrap();
    let no_sizes = dir.join("movie.json");
    std::fs::write(
        &no_sizes,
        r#"{"segment_duration_ms": 4000, "bitrates_kbps": [100, 200], "segment_sizes_bits": [[1, 2], [3]]}"#,
    )
    .unwrap();
    let ladder = measured.to_str().unwrap();
    let cases: [(&[&str], &str); 11] = [
        (
            &[ladder, "--traces", negative.to_str().unwrap()],
            "negative.json",
        ),
        (&[ladder, "--traces", empty.to_str().unwrap()], "empty"),
        (
            &[ladder, "--traces", unknown.to_str().unwrap()],
            "weird.txt",
        ),
        (
            &[no_sizes.to_str().unwrap(), "--traces", "constant:1000"],
            "movie.json",
        ),
        (
            &[ladder, "--traces", "constant:1000", "--device", "watch"],
            "watch",
        ),
        (&[ladder, "--traces", "nowhere/at/all"], "nowhere/at/all"),
        // Bounds that would otherwise run for ever, or make no sense.
        (
            &[
                ladder,
                "--traces",
                "constant:1000",
                "--session-seconds",
                "1e300",
            ],
            "--session-seconds",
        ),
        (
            &[ladder, "--traces", "constant:1000", "--offsets", "10000000"],
            "--offsets",
        ),
        (
            &[ladder, "--traces", "constant:1000", "--horizon", "40"],
            "--horizon",
        ),
        (
            &[
                ladder,
                "--traces",
                "constant:1000",
                "--buffer-seconds",
                "0.5",
                "--startup-seconds",
                "0",
            ],
            "longest segment",
        ),
        (
            &[
                ladder,
                "--traces",
                "constant:1000",
                "--startup-seconds",
                "30",
                "--buffer-seconds",
                "10",
            ],
            "--startup-seconds",
        ),
    ];
    for (args, names) in cases {
        let out = pertitle().arg("simulate").args(args).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(names), "{args:?}: {err}");
    }
    // A link that carries nothing: every session gives up at its cap, and says so.
    let dead = constant_trace(&dir, "dead.json", 0.0, 20.0);
    let out_dir = tmp.path().join("sim");
    let out = pertitle()
        .arg("simulate")
        .arg(measured)
        .args(["--traces"])
        .arg(&dead)
        .args(["--session-seconds", "30", "-o"])
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("100.0% (4 gave up)"));
    let sim: Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("simulation.json")).unwrap()).unwrap();
    assert_eq!(sim["ladders"][0]["summary"]["capped"], 4);
    // 10 x 30 s of video + 600 s: the cap, all spent waiting to start.
    assert!((mean(&sim, 0, "startup_s") - 900.0).abs() < 1e-6);
    let csv = std::fs::read_to_string(out_dir.join("sessions.csv")).unwrap();
    assert_eq!(csv.lines().count(), 5);
    assert!(csv.lines().nth(1).unwrap().contains(",true,"));
}

#[test]
fn a_package_plays_every_rung_with_its_final_sizes_and_measured_quality() {
    let (tmp, full, _) = ladders();
    // Where `optimize --package` puts it: beside the ladder, in stream/.
    let beside = tmp.path().join("with-package");
    std::fs::create_dir_all(&beside).unwrap();
    let ladder = beside.join("ladder.json");
    std::fs::copy(full, &ladder).unwrap();
    let package = beside.join("stream");
    pertitle()
        .arg("package")
        .arg(&ladder)
        .arg("-o")
        .arg(&package)
        .assert()
        .success();
    let args = [
        ladder.to_str().unwrap(),
        "--traces",
        "constant:20000",
        "--session-seconds",
        "0",
    ];
    let sim = simulate_json(&[&args[..], &["--package", package.to_str().unwrap()]].concat());
    // Without --package, the package beside the ladder plays, and says so.
    assert_eq!(simulate_json(&args), sim);
    let out = pertitle().arg("simulate").args(args).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("play from the package in"));
    let p: Value =
        serde_json::from_slice(&std::fs::read(package.join("package.json")).unwrap()).unwrap();
    let durations: Vec<f64> = p["segment_durations_s"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_f64().unwrap())
        .collect();
    let renditions = p["renditions"].as_array().unwrap();
    let rungs = sim["ladders"][0]["rungs"].as_array().unwrap();
    assert_eq!(rungs.len(), renditions.len());
    for (rung, rendition) in rungs.iter().zip(renditions) {
        // The quality played is the final encode's, segment by segment.
        let means = rendition["segment_means"]["psnr_y"].as_array().unwrap();
        let q: f64 = means
            .iter()
            .zip(&durations)
            .map(|(m, d)| m.as_f64().unwrap() * d)
            .sum::<f64>()
            / durations.iter().sum::<f64>();
        assert!((rung["quality"].as_f64().unwrap() - q).abs() < 1e-9);
        let kbps = rendition["hls_average_bandwidth"].as_f64().unwrap() / 1000.0;
        assert!((rung["bitrate_kbps"].as_f64().unwrap() - kbps).abs() < 1e-9);
    }
    // The bits fetched are the segment files' (one session of the title from each offset,
    // the first segment at the bottom rung, then the top rung on a 20 Mbit/s link).
    let bytes = |r: &Value| -> Vec<f64> {
        r["segment_bytes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_f64().unwrap() * 8.0)
            .collect()
    };
    let (bottom, top) = (bytes(&renditions[0]), bytes(renditions.last().unwrap()));
    let expected = (bottom[0] + top[1..].iter().sum::<f64>()) / 1e6;
    assert!((mean(&sim, 0, "fetched_mbit") - expected).abs() < 1e-6);
}
