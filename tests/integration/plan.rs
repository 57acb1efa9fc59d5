//! `plan`, `run-task` and `merge`: a run as independent work units, merged into the ladder a
//! local `optimize` writes.

use crate::common;
use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/sample_720p25.mp4")
}

const OPTIONS: [&str; 8] = [
    "--resolutions",
    "360,180",
    "--crf",
    "24,36",
    "--metric",
    "psnr",
    "--preset",
    "veryfast",
];

fn pertitle() -> Command {
    let mut c = Command::cargo_bin("pertitle").expect("binary built");
    for var in [
        "SLURM_ARRAY_TASK_ID",
        "JOB_COMPLETION_INDEX",
        "AWS_BATCH_JOB_ARRAY_INDEX",
    ] {
        c.env_remove(var);
    }
    c
}

/// `merge PLAN -o OUT`, which must fail: its stderr.
fn merge_fails(plan: &Path, out: &Path) -> String {
    let failed = pertitle()
        .arg("merge")
        .arg(plan)
        .arg("-o")
        .arg(out)
        .assert()
        .failure();
    String::from_utf8_lossy(&failed.get_output().stderr).to_string()
}

/// `merge PLAN -o OUT`: the merged ladder.
fn merge(plan: &Path, out: &Path) -> Value {
    pertitle()
        .arg("merge")
        .arg(plan)
        .arg("-o")
        .arg(out)
        .assert()
        .success();
    common::read_manifest(&out.join("ladder.json"))
}

/// A local `optimize` of the sample into `out` with [`OPTIONS`] and `extra`: its ladder.
fn optimize(out: &Path, extra: &[&str]) -> Value {
    pertitle()
        .args(["optimize", "--quiet"])
        .arg(sample())
        .arg("-o")
        .arg(out)
        .args(OPTIONS)
        .args(extra)
        .assert()
        .success();
    common::read_manifest(&out.join("ladder.json"))
}

fn without_timing(mut m: Value) -> Value {
    m.as_object_mut().unwrap().remove("timing");
    m
}

#[test]
fn units_run_anywhere_in_any_order_and_merge_into_the_local_ladder() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = tmp.path().join("plan");
    pertitle()
        .arg("plan")
        .arg(sample())
        .arg("-o")
        .arg(&plan)
        .args(OPTIONS)
        .assert()
        .success();
    let p: Value =
        serde_json::from_str(&std::fs::read_to_string(plan.join("plan.json")).unwrap()).unwrap();
    let units = p["units"].as_array().unwrap();
    assert_eq!(units.len(), 4);
    let digest = blake3::hash(&std::fs::read(sample()).unwrap())
        .to_hex()
        .to_string();
    assert_eq!(p["source"]["blake3"], digest.as_str());

    // Before the units have run, the merge fails naming every missing one, and writes nothing.
    let out = tmp.path().join("merged");
    let stderr = merge_fails(&plan, &out);
    assert!(stderr.contains("4 of 4 units have no result"), "{stderr}");
    assert!(stderr.contains("3 (360p crf 36)"), "{stderr}");
    assert!(!out.join("ladder.json").exists());

    // Each engine's array index, out of order; unit 2 waits.
    for (var, i) in [
        ("SLURM_ARRAY_TASK_ID", "3"),
        ("JOB_COMPLETION_INDEX", "0"),
        ("AWS_BATCH_JOB_ARRAY_INDEX", "1"),
    ] {
        let run = pertitle()
            .args(["run-task"])
            .arg(&plan)
            .env(var, i)
            .assert()
            .success();
        let stdout = String::from_utf8_lossy(&run.get_output().stdout).to_string();
        assert!(stdout.starts_with(&format!("unit {i} of 4")), "{stdout}");
        assert!(stdout.contains("measured"), "{stdout}");
    }
    let stderr = merge_fails(&plan, &out);
    assert!(stderr.contains("1 of 4 units have no result"), "{stderr}");
    assert!(stderr.contains("2 (360p crf 24)"), "{stderr}");
    // The last one, from another working directory; run again, a unit does nothing.
    for _ in 0..2 {
        pertitle()
            .current_dir(tmp.path())
            .args(["run-task", "plan", "--index", "2"])
            .assert()
            .success();
    }
    let again = pertitle()
        .arg("run-task")
        .arg(&plan)
        .args(["--index", "2"])
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&again.get_output().stdout).contains("already done"));
    // Every unit's result is where the plan says, and nothing else is in the cache.
    for u in units {
        assert!(
            plan.join("cache")
                .join(u["result"].as_str().unwrap())
                .is_file()
        );
    }

    // The merge writes what a local optimize writes, timing aside.
    let merged = merge(&plan, &out);
    assert_eq!(merged["timing"]["cached_encodes"], 4);
    let local = optimize(&tmp.path().join("local"), &[]);
    assert_eq!(without_timing(merged), without_timing(local.clone()));
    // The plan's cache is optimize's: a local run with it encodes nothing.
    let cache = plan.join("cache");
    let shared = optimize(
        &tmp.path().join("shared"),
        &["--cache", cache.to_str().unwrap()],
    );
    assert_eq!(shared["timing"]["cached_encodes"], 4);
    assert_eq!(without_timing(shared), without_timing(local));

    // No such unit; nothing to plan for an adaptive search.
    let bad = pertitle()
        .arg("run-task")
        .arg(&plan)
        .args(["--index", "4"])
        .assert()
        .failure();
    assert!(String::from_utf8_lossy(&bad.get_output().stderr).contains("no unit 4"));
    let adaptive = pertitle()
        .arg("plan")
        .arg(sample())
        .arg("-o")
        .arg(tmp.path().join("adaptive"))
        .args(OPTIONS)
        .args(["--search", "adaptive"])
        .assert()
        .failure();
    assert!(
        String::from_utf8_lossy(&adaptive.get_output().stderr).contains("only the grid"),
        "{:?}",
        adaptive.get_output()
    );
}

#[test]
fn a_sampled_grid_plans_units_on_the_sample_and_merges_into_the_local_ladder() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = tmp.path().join("plan");
    let sampled = ["--sample", "0.5", "--segment-seconds", "1"];
    pertitle()
        .arg("plan")
        .arg(sample())
        .arg("-o")
        .arg(&plan)
        .args(OPTIONS)
        .args(sampled)
        .assert()
        .success();
    for i in 0..4 {
        pertitle()
            .arg("run-task")
            .arg(&plan)
            .args(["--index", &i.to_string()])
            .assert()
            .success();
    }
    let out = tmp.path().join("merged");
    let merged = merge(&plan, &out);
    assert_eq!(merged["timing"]["cached_encodes"], 4);
    let local = optimize(&tmp.path().join("local"), &sampled);
    // The units measured the three windows, not the whole title.
    assert_eq!(
        local["ladders"][0]["search"]["sample"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    for p in local["ladders"][0]["points"].as_array().unwrap() {
        assert_eq!(p["segment_sizes_bits"].as_array().unwrap().len(), 3, "{p}");
    }
    assert_eq!(without_timing(merged), without_timing(local));
}

/// A shot-based run: the plan finds the shots once and keeps them; its units encode with a key
/// frame at every shot start, and the merge writes the local run's ladder (the shots, each
/// point's figures per shot, the shot rungs).
#[test]
fn a_shot_based_run_plans_its_shots_once_and_merges_into_the_local_ladder() {
    let tmp = tempfile::tempdir().unwrap();
    let clip = tmp.path().join("two_shots.mp4");
    common::two_shot_clip(&clip);
    let options = [
        "--resolutions",
        "120",
        "--crf",
        "24,36",
        "--metric",
        "psnr",
        "--preset",
        "ultrafast",
        "--shots",
        "--segment-seconds",
        "1",
    ];
    let plan = tmp.path().join("plan");
    pertitle()
        .arg("plan")
        .arg(&clip)
        .arg("-o")
        .arg(&plan)
        .args(options)
        .assert()
        .success();
    let p: Value =
        serde_json::from_str(&std::fs::read_to_string(plan.join("plan.json")).unwrap()).unwrap();
    assert_eq!(p["units"].as_array().unwrap().len(), 2);
    let shots = &p["options"]["found_shots"]["shots"];
    assert_eq!(shots[1]["start_frame"], 40, "{shots}");
    for i in [1, 0] {
        pertitle()
            .arg("run-task")
            .arg(&plan)
            .args(["--index", &i.to_string()])
            .assert()
            .success();
    }
    let merged = merge(&plan, &tmp.path().join("merged"));
    assert_eq!(merged["timing"]["cached_encodes"], 2);
    let local = tmp.path().join("local");
    pertitle()
        .args(["optimize", "--quiet"])
        .arg(&clip)
        .arg("-o")
        .arg(&local)
        .args(options)
        .assert()
        .success();
    let local = common::read_manifest(&local.join("ladder.json"));
    assert_eq!(local["shots"]["shots"], *shots);
    assert!(local["ladders"][0]["rungs"][0]["shots"].is_array());
    assert_eq!(without_timing(merged), without_timing(local));
}
