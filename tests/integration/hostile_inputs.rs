//! Hostile and unusual inputs: `probe`, `score` and `optimize` on each file of a corpus made
//! here with the `ffmpeg` program (and a few hand-written headers). Each file is either
//! measured correctly or refused with one stderr line that names it and says why; no
//! command may crash or take longer than [`TIME_BOUND`].
//!
//! How each kind of file is handled (README "Inputs" says the same):
//! - a still image is a one-frame video (a JPEG); RGB (a PNG) and paletted sources are
//!   refused by name; 10-bit, 4:2:2 and other YUV sources are converted to 8-bit 4:2:0
//!   (tests/integration/metrics_oracle.rs checks the conversion against FFmpeg's);
//! - odd frame sizes (1919x1079) are measured at their own size; the rungs are even;
//! - frames smaller than 32 pixels a side or larger than 16384 are refused, as are headers
//!   FFmpeg itself rejects;
//! - a stream without frames is refused;
//! - variable frame rate: every decoded frame is measured and encoded once, at the average
//!   rate (frames / duration);
//! - rotation metadata: frames are turned upright as the FFmpeg program's autorotation
//!   turns them, so rungs are portrait for a portrait phone clip;
//! - interlaced frames are measured as decoded (fields woven), and `probe` reports the field
//!   order.
//!
//! Without the `ffmpeg` program the test prints SKIP and passes.

use crate::common;
use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

/// No command may take longer on any file of the corpus (they take well under 10 s here).
const TIME_BOUND: Duration = Duration::from_secs(90);
const PREFIX: &str = "pertitle: error:";

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn ffmpeg_installed() -> bool {
    std::process::Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A synthetic clip: `filter` applied to FFmpeg's test pattern, encoded with `codec` args.
fn lavfi(dir: &Path, name: &str, source: &str, filter: &str, codec: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let mut args = vec!["-f", "lavfi", "-i", source];
    if !filter.is_empty() {
        args.extend(["-vf", filter]);
    }
    args.extend(codec);
    args.push(s(&path));
    common::ffmpeg(&args);
    path
}

const X264: &[&str] = &["-c:v", "libx264", "-preset", "ultrafast", "-crf", "20"];
const FFV1: &[&str] = &["-c:v", "ffv1", "-pix_fmt", "yuv420p"];

/// A YUV4MPEG2 file whose header declares `dims` (e.g. `W30000 H8000`), then `frames`
/// of nothing but a FRAME marker and a few random-looking bytes.
fn y4m_header(dir: &Path, name: &str, dims: &str, frames: usize) -> PathBuf {
    let path = dir.join(name);
    let mut bytes = format!("YUV4MPEG2 {dims} F25:1 Ip A1:1 C420jpeg\n").into_bytes();
    for i in 0..frames {
        bytes.extend(b"FRAME\n");
        bytes.extend((0..4096u32).map(|k| (k.wrapping_mul(2_654_435_761) >> (i % 7)) as u8));
    }
    std::fs::write(&path, bytes).expect("write a y4m file");
    path
}

/// EBML: an element's data size in its shortest form (all ones is reserved).
fn ebml_size(n: usize) -> Vec<u8> {
    let length = (1..=8)
        .find(|&l| n < (1usize << (7 * l)) - 1)
        .expect("size fits");
    let value = (1u64 << (7 * length)) | n as u64;
    value.to_be_bytes()[8 - length..].to_vec()
}

fn ebml(id: u32, payload: &[u8]) -> Vec<u8> {
    let id_bytes = id.to_be_bytes();
    let skip = id_bytes.iter().take_while(|&&b| b == 0).count();
    [&id_bytes[skip..], &ebml_size(payload.len())[..], payload].concat()
}

fn ebml_uint(id: u32, value: u64) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count().min(7);
    ebml(id, &bytes[skip..])
}

/// A Matroska file of raw I420 frames stored as `V_MS/VFW/FOURCC` whose codec private data
/// (a BITMAPINFOHEADER) ends in `BottomUp\0`: FFmpeg's rawvideo decoder then hands out
/// frames stored bottom-up, with negative line sizes (found by fuzz/, see scripts/fuzz.sh).
fn bottom_up_mkv(dir: &Path) -> PathBuf {
    let (w, h, frames) = (320usize, 240usize, 10usize);
    let picture = |i: usize| {
        let mut bytes: Vec<u8> = (0..h)
            .flat_map(|row| std::iter::repeat_n(((row * 4 + i * 7) % 256) as u8, w))
            .collect();
        bytes.extend(std::iter::repeat_n(96u8, w * h / 4));
        bytes.extend(std::iter::repeat_n(160u8, w * h / 4));
        bytes
    };
    let extra = b"BottomUp\0";
    let mut header = Vec::new();
    header.extend(((40 + extra.len()) as u32).to_le_bytes());
    header.extend((w as i32).to_le_bytes());
    header.extend((h as i32).to_le_bytes());
    header.extend(1u16.to_le_bytes());
    header.extend(12u16.to_le_bytes());
    header.extend(b"I420");
    header.extend((picture(0).len() as u32).to_le_bytes());
    header.extend([0u8; 16]);
    header.extend(extra);
    let head = ebml(
        0x1A45DFA3,
        &[
            ebml_uint(0x4286, 1),
            ebml_uint(0x42F7, 1),
            ebml_uint(0x42F2, 4),
            ebml_uint(0x42F3, 8),
            ebml(0x4282, b"matroska"),
            ebml_uint(0x4287, 4),
            ebml_uint(0x4285, 2),
        ]
        .concat(),
    );
    let info = ebml(0x1549A966, &ebml_uint(0x2AD7B1, 1_000_000));
    let video = ebml(
        0xE0,
        &[ebml_uint(0xB0, w as u64), ebml_uint(0xBA, h as u64)].concat(),
    );
    let track = ebml(
        0xAE,
        &[
            ebml_uint(0xD7, 1),
            ebml_uint(0x73C5, 1),
            ebml_uint(0x83, 1),
            ebml_uint(0x9C, 0),
            ebml(0x86, b"V_MS/VFW/FOURCC"),
            ebml(0x63A2, &header),
            ebml_uint(0x23E383, 40_000_000),
            video,
        ]
        .concat(),
    );
    let blocks: Vec<u8> = (0..frames)
        .flat_map(|i| {
            let time = ((i * 40) as i16).to_be_bytes();
            ebml(0xA3, &[&[0x81][..], &time, &[0x80], &picture(i)].concat())
        })
        .collect();
    let cluster = ebml(0x1F43B675, &[ebml_uint(0xE7, 0), blocks].concat());
    let tracks = ebml(0x1654AE6B, &track);
    let segment = ebml(0x18538067, &[info, tracks, cluster].concat());
    let path = dir.join("bottom_up.mkv");
    std::fs::write(&path, [head, segment].concat()).expect("write the Matroska file");
    path
}

/// The first `PERCENT` % of the bytes of a two-second H.264 MP4 with its header (`moov`)
/// first, so that the header survives every cut but the first and promises frames the file
/// no longer holds.
fn truncated_at<const PERCENT: usize>(dir: &Path) -> PathBuf {
    let whole = dir.join("whole_faststart.mp4");
    if !whole.exists() {
        common::ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:duration=2",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-crf",
            "20",
            "-movflags",
            "+faststart",
            s(&whole),
        ]);
    }
    let bytes = std::fs::read(&whole).expect("read the clip");
    let path = dir.join(format!("truncated_{PERCENT}.mp4"));
    std::fs::write(&path, &bytes[..bytes.len() * PERCENT / 100]).expect("write the cut");
    path
}

const TRUNCATED: &[&str] = &["truncated", "cannot open as video", "corrupt"];

enum Expect {
    /// Every command fails with one line naming the file and containing one of these.
    Refused(&'static [&'static str]),
    /// `probe` describes the file, with this key and value among the rest; `score` and
    /// `optimize` refuse it as [`Expect::Refused`] does.
    Described((&'static str, &'static str), &'static [&'static str]),
    /// Every command succeeds; the check gets `probe`'s JSON and the manifest.
    Measured(fn(&Path, &Value, &Value)),
}

struct Case {
    what: &'static str,
    make: fn(&Path) -> PathBuf,
    expect: Expect,
}

fn corpus() -> Vec<Case> {
    vec![
        Case {
            what: "truncated at 1%",
            make: truncated_at::<1>,
            expect: Expect::Refused(TRUNCATED),
        },
        Case {
            what: "truncated at 30%",
            make: truncated_at::<30>,
            expect: Expect::Refused(TRUNCATED),
        },
        Case {
            what: "truncated at 70%",
            make: truncated_at::<70>,
            expect: Expect::Refused(TRUNCATED),
        },
        Case {
            what: "truncated at 97%",
            make: truncated_at::<97>,
            expect: Expect::Refused(TRUNCATED),
        },
        Case {
            what: "still image, RGB PNG",
            make: |d| {
                lavfi(
                    d,
                    "still.png",
                    "testsrc2=size=320x240",
                    "",
                    &["-frames:v", "1"],
                )
            },
            expect: Expect::Described(
                ("pixel_format", "rgb24"),
                &["unsupported pixel format rgb24"],
            ),
        },
        Case {
            what: "still image, JPEG",
            make: |d| {
                lavfi(
                    d,
                    "still.jpg",
                    "testsrc2=size=320x240",
                    "",
                    &["-frames:v", "1", "-pix_fmt", "yuvj420p"],
                )
            },
            expect: Expect::Measured(|_, probe, manifest| {
                assert_eq!(probe["frame_count"], 1);
                assert_eq!(manifest["source"]["frames"], 1);
            }),
        },
        Case {
            what: "declared 100000x100000",
            make: |d| y4m_header(d, "huge.y4m", "W100000 H100000", 1),
            expect: Expect::Refused(&["Picture size 100000x100000 is invalid"]),
        },
        Case {
            what: "declared 30000x8000",
            make: |d| y4m_header(d, "wide.y4m", "W30000 H8000", 1),
            expect: Expect::Refused(&["30000x8000 is out of range", "at most 16384"]),
        },
        Case {
            what: "odd size 1919x1079",
            make: |d| {
                lavfi(
                    d,
                    "odd.mkv",
                    "testsrc2=size=1920x1080:duration=0.4",
                    "scale=1919:1079",
                    FFV1,
                )
            },
            expect: Expect::Measured(|_, probe, manifest| {
                assert_eq!(
                    (probe["width"].as_u64(), probe["height"].as_u64()),
                    (Some(1919), Some(1079))
                );
                assert_eq!(manifest["source"]["width"], 1919);
                for rung in manifest["ladders"][0]["rungs"].as_array().unwrap() {
                    let (w, h) = (
                        rung["width"].as_u64().unwrap(),
                        rung["height"].as_u64().unwrap(),
                    );
                    assert!(w % 2 == 0 && h % 2 == 0, "rung {w}x{h} is not even");
                }
            }),
        },
        Case {
            what: "one pixel wide",
            make: |d| {
                lavfi(
                    d,
                    "thin.mkv",
                    "testsrc2=size=320x240:duration=0.4",
                    "scale=1:240",
                    FFV1,
                )
            },
            expect: Expect::Refused(&["1x240 is out of range", "at least 32"]),
        },
        Case {
            what: "16x16 (libvmaf cannot measure it)",
            make: |d| {
                lavfi(
                    d,
                    "tiny.mkv",
                    "testsrc2=size=64x64:duration=0.4",
                    "scale=16:16",
                    FFV1,
                )
            },
            expect: Expect::Refused(&["16x16 is out of range"]),
        },
        Case {
            what: "zero frames, header only",
            make: |d| y4m_header(d, "header_only.y4m", "W320 H240", 0),
            expect: Expect::Refused(&["no decodable video frames"]),
        },
        Case {
            what: "zero frames, Matroska",
            make: |d| {
                lavfi(
                    d,
                    "empty.mkv",
                    "testsrc2=size=320x240",
                    "",
                    &["-frames:v", "0"],
                )
            },
            expect: Expect::Refused(&["cannot open as video", "no video stream"]),
        },
        Case {
            what: "variable frame rate",
            // 20 frames 1/30 s apart, then 40 frames 1/15 s apart: 60 frames over 3.9 s.
            make: |d| {
                let path = lavfi(
                    d,
                    "vfr.mp4",
                    "testsrc2=size=320x240:rate=30:duration=2",
                    "setpts='if(lt(N,20),N,2*N)/(30*TB)'",
                    &[&["-vsync", "vfr"][..], X264].concat(),
                );
                let pts = common::ffprobe(&[
                    "-select_streams",
                    "v",
                    "-show_entries",
                    "packet=pts_time",
                    "-of",
                    "csv=p=0",
                    s(&path),
                ]);
                let mut times: Vec<f64> =
                    pts.lines().filter_map(|l| l.trim().parse().ok()).collect();
                times.sort_by(f64::total_cmp);
                let gaps: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
                let (lo, hi) = gaps
                    .iter()
                    .fold((f64::MAX, 0.0f64), |(a, b), &g| (a.min(g), b.max(g)));
                assert!(
                    hi > 1.5 * lo,
                    "the fixture is not VFR: frame gaps {lo}..{hi} s"
                );
                path
            },
            expect: Expect::Measured(|_, probe, manifest| {
                assert_eq!(probe["frame_count"], 60);
                let fps = probe["fps"].as_f64().unwrap();
                let duration = probe["duration_s"].as_f64().unwrap();
                assert!(
                    (fps * duration - 60.0).abs() < 1.0,
                    "average rate {fps} over {duration} s"
                );
                assert_eq!(manifest["source"]["frames"], 60);
            }),
        },
        Case {
            what: "phone rotation metadata",
            make: |d| {
                let upright = lavfi(
                    d,
                    "plain.mp4",
                    "testsrc2=size=320x240:duration=0.4",
                    "",
                    X264,
                );
                let rotated = d.join("rotated.mp4");
                common::ffmpeg(&[
                    "-i",
                    s(&upright),
                    "-c",
                    "copy",
                    "-metadata:s:v:0",
                    "rotate=90",
                    s(&rotated),
                ]);
                rotated
            },
            expect: Expect::Measured(|file, probe, manifest| {
                let turn = probe["rotation"].as_u64().unwrap();
                assert!(turn == 90 || turn == 270, "rotation {turn}");
                assert_eq!(
                    (probe["width"].as_u64(), probe["height"].as_u64()),
                    (Some(240), Some(320))
                );
                assert_eq!(manifest["source"]["rotation"], turn);
                for rung in manifest["ladders"][0]["rungs"].as_array().unwrap() {
                    assert!(
                        rung["height"].as_u64() > rung["width"].as_u64(),
                        "rung not upright: {rung}"
                    );
                }
                // The frames equal those the FFmpeg program's autorotation makes.
                frames_equal_ffmpegs_decode(file);
            }),
        },
        Case {
            what: "raw frames stored bottom-up (negative line sizes)",
            make: bottom_up_mkv,
            expect: Expect::Measured(|file, probe, _| {
                assert_eq!(probe["frame_count"], 10);
                // The frames equal those the FFmpeg program decodes (the right way up).
                frames_equal_ffmpegs_decode(file);
            }),
        },
        Case {
            what: "interlaced, top field first",
            make: |d| {
                lavfi(
                    d,
                    "interlaced.mp4",
                    "testsrc2=size=320x240:rate=50:duration=0.8",
                    "tinterlace=interleave_top,fieldorder=tff",
                    &[
                        &[
                            "-pix_fmt",
                            "yuv420p",
                            "-flags",
                            "+ildct+ilme",
                            "-x264opts",
                            "tff=1",
                        ][..],
                        X264,
                    ]
                    .concat(),
                )
            },
            expect: Expect::Measured(|_, probe, _| {
                assert_eq!(probe["field_order"], "tff");
            }),
        },
        Case {
            what: "10-bit 4:2:0, converted",
            make: |d| {
                lavfi(
                    d,
                    "ten_bit.mp4",
                    "testsrc2=size=320x240:duration=0.4",
                    "",
                    &[&["-pix_fmt", "yuv420p10le"][..], X264].concat(),
                )
            },
            expect: Expect::Measured(|_, probe, manifest| {
                assert_eq!(probe["pixel_format"], "yuv420p10le");
                assert_eq!(probe["converted_to"], "yuv420p");
                assert_eq!(manifest["source"]["converted_from"], "yuv420p10le");
            }),
        },
        Case {
            what: "8-bit 4:2:2, converted",
            make: |d| {
                lavfi(
                    d,
                    "four_two_two.mp4",
                    "testsrc2=size=320x240:duration=0.4",
                    "",
                    &[&["-pix_fmt", "yuv422p"][..], X264].concat(),
                )
            },
            expect: Expect::Measured(|_, probe, manifest| {
                assert_eq!(probe["pixel_format"], "yuv422p");
                assert_eq!(probe["converted_to"], "yuv420p");
                assert_eq!(manifest["source"]["converted_from"], "yuv422p");
            }),
        },
    ]
}

/// `file`'s frames as pertitle reads them equal those the FFmpeg program decodes (with its
/// autorotation), stored losslessly: every frame scores the PSNR cap against them.
fn frames_equal_ffmpegs_decode(file: &Path) {
    let decoded = file.with_extension("ffmpeg.mkv");
    common::ffmpeg(&["-i", s(file), "-c:v", "ffv1", s(&decoded)]);
    let out = pertitle(&["score", s(&decoded), s(file), "--metrics", "psnr", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let min = &report["pooling"]["psnr_y"]["min"];
    assert_eq!(
        min,
        pertitle::measure::metrics::PSNR_CAP_DB,
        "{}: {report}",
        file.display()
    );
}

/// Run pertitle; fail the test if it takes longer than [`TIME_BOUND`] (it is killed then).
fn pertitle(args: &[&str]) -> Output {
    let started = Instant::now();
    let out = Command::cargo_bin("pertitle")
        .expect("the pertitle binary")
        .args(args)
        .timeout(TIME_BOUND)
        .output()
        .expect("run pertitle");
    let took = started.elapsed();
    assert!(
        took < TIME_BOUND,
        "pertitle {args:?} hung: killed after {took:?}"
    );
    out
}

fn no_crash(what: &str, out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.code().is_some(),
        "{what}: killed by a signal ({:?}): {stderr}",
        out.status
    );
    assert_ne!(out.status.code(), Some(101), "{what}: panicked: {stderr}");
    assert!(!stderr.contains("panicked"), "{what}: panicked: {stderr}");
}

fn check(case: &Case, dir: &Path) {
    let file = (case.make)(dir);
    let outdir = dir.join(format!(
        "out_{}",
        file.file_name().unwrap().to_string_lossy()
    ));
    let runs: [Vec<&str>; 3] = [
        vec!["probe", s(&file)],
        vec!["score", s(&file), s(&file), "--json"],
        vec![
            "optimize",
            s(&file),
            "-o",
            s(&outdir),
            "--resolutions",
            "180",
            "--crf",
            "30,40",
            "--preset",
            "ultrafast",
            "--quiet",
        ],
    ];
    let mut outputs = Vec::new();
    for args in &runs {
        let what = format!("{}: {}", case.what, args[0]);
        let started = Instant::now();
        let out = pertitle(args);
        no_crash(&what, &out);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        match case.expect {
            Expect::Described((key, value), _) if args[0] == "probe" => {
                assert!(out.status.success(), "{what}: failed: {stderr}");
                let probe: Value = serde_json::from_slice(&out.stdout).expect("probe prints JSON");
                assert_eq!(probe[key], value, "{what}: {probe}");
                eprintln!("{what}: described in {:.2?}", started.elapsed());
            }
            Expect::Refused(causes) | Expect::Described(_, causes) => {
                assert!(
                    !out.status.success(),
                    "{what}: succeeded; expected a refusal"
                );
                let line = stderr.trim_end();
                assert!(
                    !line.contains('\n') && line.starts_with(PREFIX),
                    "{what}: not one error line: {stderr:?}"
                );
                assert!(
                    line.contains(s(&file)),
                    "{what}: the error does not name the file: {line}"
                );
                assert!(
                    causes.iter().any(|c| line.contains(c)),
                    "{what}: expected one of {causes:?}: {line}"
                );
                assert!(
                    !outdir.join("ladder.json").exists(),
                    "{what}: a ladder.json was written"
                );
                eprintln!("{what}: refused in {:.2?}: {line}", started.elapsed());
            }
            Expect::Measured(_) => {
                assert!(out.status.success(), "{what}: failed: {stderr}");
                eprintln!("{what}: measured in {:.2?}", started.elapsed());
            }
        }
        outputs.push(out);
    }
    if let Expect::Measured(verify) = case.expect {
        let probe: Value = serde_json::from_slice(&outputs[0].stdout).expect("probe prints JSON");
        let score: Value =
            serde_json::from_slice(&outputs[1].stdout).expect("score --json prints JSON");
        // A file against itself: every frame at the PSNR cap.
        assert_eq!(
            score["pooling"]["psnr_y"]["min"],
            pertitle::measure::metrics::PSNR_CAP_DB,
            "{}: {score}",
            case.what
        );
        let manifest = common::read_manifest(&outdir.join("ladder.json"));
        assert!(
            !manifest["ladders"][0]["rungs"]
                .as_array()
                .unwrap()
                .is_empty(),
            "{}: no rungs",
            case.what
        );
        verify(&file, &probe, &manifest);
    }
}

#[test]
fn every_hostile_input_is_measured_or_refused_in_time() {
    if !ffmpeg_installed() {
        eprintln!("SKIP every_hostile_input_is_measured_or_refused_in_time: no ffmpeg program");
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    for case in corpus() {
        check(&case, dir.path());
    }
}
