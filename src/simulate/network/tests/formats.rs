//! Each trace format on hand-made files, told by content; the bad inputs and their errors.

use super::*;

/// Write `text` to `name` in `dir`.
fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The error loading `name` with `text` gives: one line that names the file.
fn refused(name: &str, text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), name, text);
    let err = Trace::load(&path).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("{}: not a network trace: ", path.display())),
        "{err}"
    );
    assert!(!err.contains('\n'), "{err}");
    err
}

fn loaded(name: &str, text: &str) -> Trace {
    let dir = tempfile::tempdir().unwrap();
    Trace::load(&write(dir.path(), name, text)).unwrap()
}

const LAT: f64 = TEXT_LATENCY_MS;

#[test]
fn sabre_json_is_told_by_its_content() {
    let text = r#"[
        {"duration_ms": 5000, "bandwidth_kbps": 1363, "latency_ms": 20},
        {"duration_ms": 725, "bandwidth_kbps": 36014.5, "latency_ms": 0, "extra": 1}
    ]"#;
    let t = loaded("trace.txt", text);
    assert_eq!(
        t.periods(),
        [period(5000.0, 1363.0, 20.0), period(725.0, 36014.5, 0.0)]
    );
    assert!(close(t.duration_s(), 5.725));
}

#[test]
fn time_throughput_lines_cover_the_time_since_the_line_before() {
    // Pensieve's layout: seconds, a tab, Mbit/s. The first line's throughput is not used.
    let t = loaded("norway_bus_1", "0.0\t2.5\n1.5\t3.0\n# a note\n\n2.5\t1.0\n");
    assert_eq!(
        t.periods(),
        [period(1500.0, 3000.0, LAT), period(1000.0, 1000.0, LAT)]
    );
    assert!(close(t.duration_s(), 2.5));
    assert!(close(t.mean_kbps(), (1.5 * 3000.0 + 1000.0) / 2.5));
    // Commas and spaces; a trace that starts late starts at its first time.
    let t = loaded("trace.csv", "10, 7\r\n12.25,  4\r\n");
    assert_eq!(t.periods(), [period(2250.0, 4000.0, LAT)]);
    // Another latency on request.
    let t = t.with_latency_ms(25.0).unwrap();
    assert_eq!(t.periods()[0].latency_ms, 25.0);
    let err = loaded("x.log", "0 1\n1 1\n")
        .with_latency_ms(-1.0)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("x.log: not a network trace: latency -1 ms"),
        "{err}"
    );
}

#[test]
fn mahimahi_packets_are_counted_in_bins() {
    // 250 ms, repeated: bins of 0-100, 100-200 and 200-250 ms. The three packets at 250 ms
    // are those at 0 ms of the next loop.
    let text = "0\n0\n10\n50\n99\n100\n100\n180\n240\n250\n250\n250\n";
    let t = loaded("Verizon-LTE.down", text);
    assert_eq!(
        t.periods(),
        [
            period(100.0, 8.0 * 12000.0 / 100.0, LAT),
            period(100.0, 3.0 * 12000.0 / 100.0, LAT),
            period(50.0, 12000.0 / 50.0, LAT),
        ]
    );
    // 12 packets of 12 000 bits in 0.25 s.
    assert!(close(t.mean_kbps(), 576.0));
    assert!(close(t.duration_s(), 0.25));
    // Empty bins are a dead period; the tail after the last packet too.
    let t = loaded("gaps", "0\n1\n450\n1000\n");
    assert_eq!(
        t.periods(),
        [
            period(100.0, 360.0, LAT),
            period(300.0, 0.0, LAT),
            period(100.0, 120.0, LAT),
            period(500.0, 0.0, LAT),
        ]
    );
    // A packet every millisecond is 12 Mbit/s: the equal bins merge into one period.
    let every_ms: String = (1..=3000).map(|ms| format!("{ms}\n")).collect();
    let t = loaded("12mbps", &every_ms);
    assert_eq!(t.periods(), [period(3000.0, 12000.0, LAT)]);
    // Every packet at the end: they all arrive at the start of each loop.
    let t = loaded("late", "30\n30\n");
    assert_eq!(t.periods(), [period(30.0, 800.0, LAT)]);
}

#[test]
fn bad_files_are_refused_in_one_line() {
    for (name, text, problem) in [
        ("empty.json", "", "empty file"),
        ("blank.txt", "  \n\n", "empty file"),
        (
            "words.txt",
            "hello trace world",
            "no known trace format (first line `hello",
        ),
        ("object.json", "{\"periods\": []}", "no known trace format"),
        (
            "back.txt",
            "0 1\n1 2\n1 3\n",
            "line 3: time 1 s is not after",
        ),
        ("one.txt", "0 1\n", "two lines or more"),
        (
            "neg.txt",
            "0 1\n1 -2\n",
            "line 2: throughput `-2` is negative",
        ),
        (
            "nan.txt",
            "0 1\n1 NaN\n",
            "line 2: throughput `NaN` is negative or not finite",
        ),
        (
            "three.txt",
            "0 1\n1 2 3\n",
            "line 2: expected `time_s throughput_mbps`",
        ),
        ("mm_back", "0\n5\n3\n", "line 3: timestamp 3 ms is before"),
        ("mm_zero", "0\n0\n", "lasts no time"),
        (
            "mm_word",
            "0\n5\nfive\n",
            "line 3: expected one whole number",
        ),
        (
            "mm_float",
            "0\n5\n6.5\n",
            "line 3: expected one whole number",
        ),
        (
            "neg.json",
            r#"[{"duration_ms": 10, "bandwidth_kbps": 1, "latency_ms": 1},
                {"duration_ms": -10, "bandwidth_kbps": 1, "latency_ms": 1}]"#,
            "period 2 has a negative",
        ),
        (
            "zero.json",
            r#"[{"duration_ms": 0, "bandwidth_kbps": 1, "latency_ms": 1}]"#,
            "lasts no time",
        ),
        ("broken.json", "[{\"duration_ms\": 1", "EOF"),
    ] {
        let err = refused(name, text);
        assert!(err.contains(problem), "{name}: {err}");
    }
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("trace.bin");
    std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x80]).unwrap();
    let err = Trace::load(&binary).unwrap_err().to_string();
    assert!(err.contains("not text"), "{err}");
}

#[test]
fn a_sabre_trace_without_bandwidth_loads() {
    let t = loaded(
        "dead.json",
        r#"[{"duration_ms": 1000, "bandwidth_kbps": 0, "latency_ms": 20}]"#,
    );
    assert!(!t.carries_bits());
}

#[test]
fn a_directory_reads_every_trace_it_recognises() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sabre = r#"[{"duration_ms": 1000, "bandwidth_kbps": 500, "latency_ms": 20}]"#;
    write(d, "a.json", sabre);
    write(d, "b.log", "0 1\n2 3\n");
    write(d, "c", "0\n5\n10\n");
    write(d, ".hidden.json", sabre);
    write(
        d,
        "README",
        "[traces](https://example.org) from elsewhere\n",
    );
    write(d, "SOURCES.md", "[1] somewhere\n");
    write(d, "notes.txt", "to do: more traces\n");
    write(d, "config.json", "{\"a\": 1}");
    std::fs::write(d.join("plot.png"), [0x89, 0x50, 0x4e, 0x47, 0xff]).unwrap();
    std::fs::create_dir(d.join("sub")).unwrap();
    write(&d.join("sub"), "d.json", sabre);
    let traces = load_traces(d).unwrap();
    let names: Vec<_> = traces.iter().map(|t| t.path.file_name().unwrap()).collect();
    assert_eq!(names, ["a.json", "b.log", "c"]);
    assert_eq!(traces[1].periods(), [period(2000.0, 3000.0, LAT)]);
    // A file that looks like a trace and is broken stops the load, named.
    write(d, "d.txt", "0 1\n0 1\n");
    let err = load_traces(d).unwrap_err().to_string();
    assert!(err.contains("d.txt: not a network trace: line 2"), "{err}");
    // A directory of no traces says what it skipped.
    let other = tempfile::tempdir().unwrap();
    write(other.path(), "README.txt", "0 1\n2 3\n");
    write(other.path(), "notes.txt", "nothing here");
    write(other.path(), ".x", "0\n5\n");
    let err = load_traces(other.path()).unwrap_err().to_string();
    assert!(
        err.ends_with("a directory with no trace file in it (1 file of no known trace format)"),
        "{err}"
    );
}
