//! Error paths of the `pertitle` command line.
//!
//! Every bad input must make `probe`, `score` (with the bad file as either argument) and
//! `optimize` exit non-zero without crashing, and print exactly one stderr line that starts
//! with `pertitle: error:`, names the offending file and says the cause, once. A failed
//! `optimize` must leave no `ladder.json` (and no `.ladder.*.tmp`) behind.
//!
//! Inputs are made in a temporary directory from a real clip of ../shared/clips; media
//! fixtures (an audio-only file, the other MP4 box layout) come from the `ffmpeg` program.
//! Without the clips, a test prints `SKIP` and passes; without `ffmpeg`, so do the cases
//! that need it.

use crate::common;
use assert_cmd::Command;
use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

/// The smallest frame size of the clips, so the decodes stay quick.
const PREFERRED_CLIP: &str = "talking_head_480p30.mp4";
/// A tiny optimize run: one resolution, one CRF, the fastest preset.
const TINY: [&str; 7] = [
    "--resolutions",
    "270",
    "--crf",
    "38",
    "--preset",
    "ultrafast",
    "--quiet",
];
const PREFIX: &str = "pertitle: error:";
/// No run may take longer (the slowest takes a few seconds): a hang fails the test.
const TIME_BOUND: std::time::Duration = std::time::Duration::from_secs(120);

// ---------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------

/// A real clip (the preferred one if present), or `None` after a visible SKIP message.
fn clip(test: &str) -> Option<PathBuf> {
    let clips = common::all_clips(&common::clips_dir(test)?);
    let clip = clips
        .iter()
        .find(|p| p.ends_with(PREFERRED_CLIP))
        .or(clips.first());
    if clip.is_none() {
        eprintln!("SKIP {test}: no clips in ../shared/clips");
    }
    Some(clip?.canonicalize().expect("canonical clip path"))
}

/// Run the `ffmpeg` program to make a fixture; `None` when it is not installed.
fn ffmpeg(args: &[&str]) -> Option<()> {
    let installed = std::process::Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok();
    installed.then(|| common::ffmpeg(args))
}

fn s(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

fn write(path: PathBuf, bytes: &[u8]) -> PathBuf {
    fs::write(&path, bytes).expect("write a fixture");
    path
}

/// Whether the top-level `moov` box of an MP4 file comes before its `mdat` box (the
/// "faststart" layout), from the box headers.
fn moov_before_mdat(path: &Path) -> bool {
    let bytes = fs::read(path).expect("read an MP4 file");
    let mut pos = 0usize;
    while pos + 8 <= bytes.len() {
        let size32 = u32::from_be_bytes(bytes[pos..pos + 4].try_into().unwrap());
        match &bytes[pos + 4..pos + 8] {
            b"moov" => return true,
            b"mdat" => return false,
            _ => {}
        }
        let size = match size32 {
            0 => break,
            1 if pos + 16 <= bytes.len() => {
                u64::from_be_bytes(bytes[pos + 8..pos + 16].try_into().unwrap()) as usize
            }
            n => n as usize,
        };
        if size < 8 {
            break;
        }
        pos += size;
    }
    panic!("{}: no top-level moov or mdat box", path.display());
}

/// The first 40% of the bytes of `clip`, in the MP4 layout with `moov` first or last: the
/// clip itself is in one layout, the other is an `ffmpeg` stream copy (`None` without it).
fn truncated(clip: &Path, dir: &Path, moov_first: bool) -> Option<PathBuf> {
    let mut src = clip.to_path_buf();
    if moov_before_mdat(clip) != moov_first {
        src = dir.join("remuxed.mp4");
        // The MP4 muxer writes moov after mdat unless told to move it.
        let faststart: &[&str] = if moov_first {
            &["-movflags", "+faststart"]
        } else {
            &[]
        };
        ffmpeg(&[&["-i", s(clip), "-c", "copy"], faststart, &[s(&src)]].concat())?;
        assert_eq!(moov_before_mdat(&src), moov_first, "{}", src.display());
    }
    let bytes = fs::read(src).expect("read the clip");
    let name = format!(
        "truncated_moov_{}.mp4",
        if moov_first { "first" } else { "last" }
    );
    Some(write(dir.join(name), &bytes[..bytes.len() * 2 / 5]))
}

/// `clip` with 64 KiB of pseudo-random garbage written over the middle of the file (inside
/// the media data, whatever the box layout: the header boxes are a few KiB).
fn corrupt(clip: &Path, dir: &Path) -> PathBuf {
    let mut bytes = fs::read(clip).expect("read the clip");
    let block = 64 * 1024;
    assert!(bytes.len() > 4 * block, "{} is too small", clip.display());
    let start = bytes.len() / 2;
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for b in &mut bytes[start..start + block] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        *b = (state >> 24) as u8;
    }
    write(dir.join("corrupt.mp4"), &bytes)
}

/// A one-second AAC file with no video stream (`None` without `ffmpeg`).
fn audio_only(dir: &Path) -> Option<PathBuf> {
    let path = dir.join("audio_only.m4a");
    ffmpeg(&["-f", "lavfi", "-i", "sine=d=1", "-c:a", "aac", s(&path)])?;
    Some(path)
}

// ---------------------------------------------------------------------------------------
// Running the CLI and checking its failures
// ---------------------------------------------------------------------------------------

fn pertitle<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let started = std::time::Instant::now();
    let out = Command::cargo_bin("pertitle")
        .expect("the pertitle binary")
        .args(args)
        .timeout(TIME_BOUND)
        .output()
        .expect("run pertitle");
    assert!(
        started.elapsed() < TIME_BOUND,
        "pertitle hung: killed after {:?}",
        started.elapsed()
    );
    out
}

/// The arguments of a tiny `optimize` run.
fn optimize<'a>(input: &'a str, outdir: &'a str) -> Vec<&'a str> {
    [&["optimize", input, "-o", outdir], &TINY[..]].concat()
}

/// No panic, no signal: the process exited on its own.
fn assert_no_crash(what: &str, out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.code().is_some(),
        "{what}: killed by a signal ({:?}); stderr: {stderr}",
        out.status
    );
    assert!(
        !stderr.contains("panicked"),
        "{what}: panicked; stderr: {stderr}"
    );
    assert_ne!(
        out.status.code(),
        Some(101),
        "{what}: exit code 101 (a Rust panic); stderr: {stderr}"
    );
}

/// A clean failure: non-zero exit and exactly one stderr line `pertitle: error: ...` that
/// contains every string of `names` (file paths, offending values) and one of `causes`
/// (case-insensitive), and that does not state its cause twice in a row (`x: E: E`, the
/// underlying FFmpeg error printed again from the source chain). Prints and returns the line.
fn assert_one_line_error(what: &str, out: &Output, names: &[&str], causes: &[&str]) -> String {
    assert_no_crash(what, out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "{what}: exit code 0, expected a failure; stdout: {}; stderr: {stderr}",
        String::from_utf8_lossy(&out.stdout)
    );
    let line = stderr.strip_suffix('\n').unwrap_or(&stderr);
    assert!(
        !line.is_empty() && !line.contains('\n'),
        "{what}: stderr is not exactly one line: {stderr:?}"
    );
    assert!(
        line.starts_with(PREFIX),
        "{what}: stderr does not start with {PREFIX:?}: {line:?}"
    );
    for name in names {
        assert!(
            line.contains(name),
            "{what}: the error does not name {name:?}: {line:?}"
        );
    }
    let lower = line.to_lowercase();
    assert!(
        causes.iter().any(|c| lower.contains(&c.to_lowercase())),
        "{what}: the error does not give the cause (one of {causes:?}): {line:?}"
    );
    let parts: Vec<&str> = line.split(": ").collect();
    assert!(
        !parts.windows(2).any(|w| w[0] == w[1]),
        "{what}: the error line repeats its cause: {line:?}"
    );
    eprintln!("{what}: {line}");
    line.to_string()
}

/// A failed optimize left no ladder.json and no `.ladder.*.tmp` in `outdir`.
fn assert_no_ladder(what: &str, outdir: &Path) {
    let Ok(entries) = fs::read_dir(outdir) else {
        return; // never created (or not a directory): nothing can be in it
    };
    for entry in entries {
        let name = entry.expect("list the output directory").file_name();
        let name = name.to_string_lossy();
        assert!(
            name != "ladder.json",
            "{what}: ladder.json written in {} by a failed run",
            outdir.display()
        );
        assert!(
            !(name.starts_with(".ladder.") && name.ends_with(".tmp")),
            "{what}: temporary file {name} left in {}",
            outdir.display()
        );
    }
}

// ---------------------------------------------------------------------------------------
// Bad inputs, in every subcommand that reads them
// ---------------------------------------------------------------------------------------

struct BadInput {
    what: &'static str,
    /// Makes the bad file in a directory from the good clip; `None` when that needs the
    /// `ffmpeg` program and it is not installed.
    make: fn(clip: &Path, dir: &Path) -> Option<PathBuf>,
    /// The error must give one of these.
    causes: &'static [&'static str],
    /// A run may also succeed (without crashing, and with a ladder.json for `optimize`).
    may_succeed: bool,
}

const BAD_INPUTS: [BadInput; 7] = [
    BadInput {
        what: "missing file",
        make: |_, dir| Some(dir.join("does_not_exist.mp4")),
        causes: &["no such file"],
        may_succeed: false,
    },
    BadInput {
        what: "text file",
        make: |_, dir| {
            Some(write(
                dir.join("notes.txt"),
                b"This is a small text file.\nIt holds no video at all.\n",
            ))
        },
        causes: &["cannot open as video"],
        may_succeed: false,
    },
    BadInput {
        what: "empty file",
        make: |_, dir| Some(write(dir.join("empty.mp4"), b"")),
        causes: &["cannot open as video", "empty"],
        may_succeed: false,
    },
    // moov at the end: the cut removes the header, so the file cannot even be opened.
    BadInput {
        what: "truncated, moov at end",
        make: |clip, dir| truncated(clip, dir, false),
        causes: &["truncated", "corrupt", "cannot open as video"],
        may_succeed: false,
    },
    // moov at the start: the header survives and promises every frame of the clip, but the
    // media data stops at 40%. Decoding (score, optimize) must notice, and so must `probe`,
    // which counts the packets: it must not report the file as a good source.
    BadInput {
        what: "truncated, moov at start",
        make: |clip, dir| truncated(clip, dir, true),
        causes: &["truncated"],
        may_succeed: false,
    },
    // The product may refuse the file in one line or, when FFmpeg conceals the damage,
    // succeed; it must never crash. `probe` reads packets without decoding them, so it may
    // well succeed. Which outcome happened is printed.
    BadInput {
        what: "corrupt video",
        make: |clip, dir| Some(corrupt(clip, dir)),
        causes: &["corrupt", "truncated"],
        may_succeed: true,
    },
    BadInput {
        what: "audio only",
        make: |_, dir| audio_only(dir),
        causes: &["no video stream"],
        may_succeed: false,
    },
];

/// `case` run through probe, score as reference and as distorted (against the good clip,
/// which the error must not blame) and optimize (which must leave no ladder behind).
fn check_bad_input(test: &str, case: &BadInput, clip: &Path) {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let Some(bad) = (case.make)(clip, dir.path()) else {
        eprintln!(
            "SKIP {test}: {}: the ffmpeg program is not installed",
            case.what
        );
        return;
    };
    let (bad, clip, outdir) = (s(&bad), s(clip), dir.path().join("out"));
    let runs = [
        vec!["probe", bad],
        vec!["score", bad, clip],
        vec!["score", clip, bad],
        optimize(bad, s(&outdir)),
    ];
    for args in runs {
        let what = format!("{}: {}", case.what, args.join(" ").replace(clip, "<clip>"));
        let out = pertitle(&args);
        if case.may_succeed && out.status.success() {
            assert_no_crash(&what, &out);
            eprintln!("{what}: succeeded (damage concealed or not decoded)");
            assert!(
                args[0] != "optimize" || outdir.join("ladder.json").is_file(),
                "{what}: succeeded without writing ladder.json"
            );
            continue;
        }
        let line = assert_one_line_error(&what, &out, &[bad], case.causes);
        match args[0] {
            "score" => assert!(
                !line.contains(clip),
                "{what}: the error blames the good file: {line:?}"
            ),
            "optimize" => assert_no_ladder(&what, &outdir),
            _ => {}
        }
    }
}

#[test]
fn bad_inputs_fail_cleanly() {
    let test = "bad_inputs_fail_cleanly";
    let Some(clip) = clip(test) else { return };
    for case in &BAD_INPUTS {
        check_bad_input(test, case, &clip);
    }
}

// ---------------------------------------------------------------------------------------
// Optimize of a good clip with a bad output directory or bad options
// ---------------------------------------------------------------------------------------

/// OUTDIR below a regular file (`somefile/out`) cannot be created, even by root; OUTDIR that
/// is itself a regular file cannot hold ladder.json; neither run may touch the file. A
/// read-only OUTDIR is tried only where it really is read-only for us: the tests usually run
/// as root, and chmod does not stop root from writing.
#[test]
fn optimize_unwritable_outdir() {
    let test = "optimize_unwritable_outdir";
    let Some(clip) = clip(test) else { return };
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let content = b"a regular file, not a directory\n";
    let file = write(dir.path().join("somefile"), content);
    let not_creatable: &[&str] = &[
        "cannot create",
        "not a directory",
        "not writable",
        "file exists",
    ];
    let mut cases: Vec<(PathBuf, &[&str])> = vec![
        (file.join("out"), not_creatable),
        (file.clone(), not_creatable),
    ];

    let read_only = dir.path().join("read_only");
    fs::create_dir(&read_only).unwrap();
    fs::set_permissions(&read_only, fs::Permissions::from_mode(0o555)).unwrap();
    if fs::write(read_only.join("probe"), b"").is_ok() {
        eprintln!(
            "SKIP {test}: read-only OUTDIR: a chmod 555 directory is writable here \
             (running as root); the regular-file cases cover an unwritable OUTDIR"
        );
    } else {
        cases.push((read_only.clone(), &["not writable", "permission denied"]));
    }

    for (outdir, causes) in cases {
        let what = format!("optimize -o {}", outdir.display());
        let out = pertitle(optimize(s(&clip), s(&outdir)));
        assert_one_line_error(&what, &out, &[s(&outdir)], causes);
        assert_no_ladder(&what, &outdir);
        let now = fs::read(&file).unwrap();
        assert_eq!(now, content, "{what}: {} was changed", file.display());
    }
    fs::set_permissions(&read_only, fs::Permissions::from_mode(0o755)).unwrap();
}

/// Each bad value replaces the tiny run's own value of that option (clap refuses a repeated
/// `--preset`, and `--crf`/`--resolutions` would append to the list). The error must show
/// the bad value.
#[test]
fn optimize_invalid_options() {
    let Some(clip) = clip("optimize_invalid_options") else {
        return;
    };
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let outdir = dir.path().join("out");
    let cases: [(&str, &str, &[&str]); 5] = [
        ("--preset", "notapreset", &["preset"]),
        ("--crf", "99", &["crf"]),
        ("--crf", "51.5", &["crf"]),
        ("--crf", "nan", &["crf"]),
        ("--resolutions", "0", &["resolution", "height"]),
    ];
    for (option, value, causes) in cases {
        let mut args = optimize(s(&clip), s(&outdir));
        let i = args.iter().position(|a| *a == option).unwrap();
        args[i + 1] = value;
        let what = format!("optimize {option} {value}");
        let shown = if value == "nan" { "NaN" } else { value };
        assert_one_line_error(&what, &pertitle(&args), &[shown], causes);
        assert_no_ladder(&what, &outdir);
    }
}

/// RGB and paletted sources are refused, never scored after a guessed colour matrix: as
/// either side of `score`, and as the source of `optimize`. (YUV layouts and bit depths other
/// than 8-bit 4:2:0 are converted: tests/integration/metrics_oracle.rs.)
#[test]
fn unsupported_pixel_formats_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let make = |fmt: &str, codec: &[&str], ext: &str| {
        let path = dir.path().join(format!("{fmt}.{ext}"));
        let mut args = vec![
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:duration=0.4",
            "-pix_fmt",
            fmt,
        ];
        args.extend(codec);
        args.push(path.to_str().unwrap());
        common::ffmpeg(&args);
        path
    };
    let good = make("yuv420p", &["-c:v", "libx264", "-qp", "20"], "mp4");
    for (fmt, codec, ext) in [
        ("rgb24", &["-c:v", "rawvideo"][..], "nut"),
        ("pal8", &["-c:v", "rawvideo"][..], "nut"),
    ] {
        let bad = make(fmt, codec, ext);
        let out_dir = dir.path().join(format!("out_{fmt}"));
        let runs: [Vec<&std::ffi::OsStr>; 3] = [
            vec!["score".as_ref(), good.as_os_str(), bad.as_os_str()],
            vec!["score".as_ref(), bad.as_os_str(), good.as_os_str()],
            vec![
                "optimize".as_ref(),
                bad.as_os_str(),
                "-o".as_ref(),
                out_dir.as_os_str(),
                "--resolutions".as_ref(),
                "180".as_ref(),
                "--quiet".as_ref(),
            ],
        ];
        for args in runs {
            let out = pertitle(&args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{fmt} {args:?} succeeded");
            assert_eq!(err.trim_end().lines().count(), 1, "{err}");
            assert!(
                err.contains(bad.to_str().unwrap())
                    && err.contains(&format!("unsupported pixel format {fmt}")),
                "{fmt}: {err}"
            );
        }
        assert!(!out_dir.join("ladder.json").exists());
    }
}

/// No command writes over a file it reads, or replaces a directory holding one: each says so
/// in one line, fails, and leaves the input's bytes as they were.
#[test]
fn outputs_never_land_on_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/sample_720p25.mp4");
    let made = tmp.path().join("made");
    let out = pertitle(
        [
            &["optimize", s(&sample), "-o", s(&made)][..],
            &["--resolutions", "180", "--crf", "30,40", "--metric", "psnr"],
            &["--preset", "ultrafast", "--quiet"],
        ]
        .concat(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ladder = made.join("ladder.json");
    // A video named ladder.json, optimized into its own directory; a package replacing the
    // directory its source is in.
    let trap = tmp.path().join("trap");
    fs::create_dir(&trap).unwrap();
    let video = trap.join("ladder.json");
    fs::copy(&sample, &video).unwrap();
    let packaged = tmp.path().join("packaged");
    fs::create_dir(&packaged).unwrap();
    let source = packaged.join("source.mp4");
    fs::copy(&sample, &source).unwrap();
    let planned = tmp.path().join("planned");
    fs::create_dir(&planned).unwrap();
    let plan_video = planned.join("plan.json");
    fs::copy(&sample, &plan_video).unwrap();
    let ladder_alias = made.join(".").join("ladder.json");
    let cases: Vec<(&str, Vec<&str>, &Path)> = vec![
        (
            "ladder",
            vec!["ladder", s(&ladder), "-o", s(&ladder_alias)],
            &ladder,
        ),
        (
            "export",
            vec!["export", s(&ladder), "--format", "csv", "-o", s(&ladder)],
            &ladder,
        ),
        (
            "report",
            vec!["report", s(&ladder), "-o", s(&ladder)],
            &ladder,
        ),
        (
            "report --png",
            vec!["report", s(&ladder), "-o", "/dev/null", "--png", s(&ladder)],
            &ladder,
        ),
        ("optimize", optimize(s(&video), s(&trap)), &video),
        (
            "package",
            vec![
                "package",
                s(&ladder),
                "--source",
                s(&source),
                "-o",
                s(&packaged),
                "--force",
            ],
            &source,
        ),
        (
            "plan",
            vec![
                "plan",
                s(&plan_video),
                "-o",
                s(&planned),
                "--resolutions",
                "180",
            ],
            &plan_video,
        ),
    ];
    for (what, args, input) in cases {
        let before = fs::read(input).unwrap();
        let out = pertitle(&args);
        assert_one_line_error(what, &out, &[s(input)], &["would overwrite the input"]);
        assert_eq!(fs::read(input).unwrap(), before, "{what} changed its input");
    }
    assert!(
        fs::read_dir(&trap).unwrap().count() == 1,
        "optimize left files beside its input"
    );
}
