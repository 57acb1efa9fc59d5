//! Error paths of the `pertitle` command line.
//!
//! Every bad input must make `probe`, `score` (with the bad file as either argument) and
//! `optimize` exit non-zero without crashing, and print exactly one stderr line that starts
//! with `pertitle: error:`, names the offending file and says the cause. A failed `optimize`
//! must leave no `ladder.json` (and no `.ladder.*.tmp`) behind.
//!
//! Inputs are made in a temporary directory from a real clip of /work/shared/clips; media
//! fixtures (an audio-only file, the other MP4 box layout) come from the `ffmpeg` program.
//! Without the clips or without `ffmpeg`, a test prints `SKIP:` and passes.

use assert_cmd::Command;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

const CLIPS: &str = "/work/shared/clips";
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

// ---------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------

/// A real clip, or `None` (after a visible SKIP message) when the clips are absent.
fn clip(test: &str) -> Option<PathBuf> {
    let dir = Path::new(CLIPS);
    let preferred = dir.join(PREFERRED_CLIP);
    if preferred.is_file() {
        return Some(preferred);
    }
    let mut any: Vec<PathBuf> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension() == Some(OsStr::new("mp4")))
        .collect();
    any.sort();
    if any.is_empty() {
        eprintln!("SKIP: {test}: no clips in {CLIPS}");
    }
    any.into_iter().next()
}

fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("pertitle-cli-errors.")
        .tempdir()
        .expect("create a temporary directory")
}

/// Run the `ffmpeg` program (fixtures only). `None`, after a visible SKIP message, when it is
/// not installed; panics when it runs and fails.
fn ffmpeg(test: &str, args: &[&OsStr]) -> Option<()> {
    let out = std::process::Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-v", "error", "-y"])
        .args(args)
        .output();
    match out {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("SKIP: {test}: the ffmpeg program is not installed");
            None
        }
        Err(e) => panic!("cannot run ffmpeg: {e}"),
        Ok(out) => {
            assert!(
                out.status.success(),
                "ffmpeg {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(())
        }
    }
}

/// Whether the top-level `moov` box of an MP4 file comes before its `mdat` box (the
/// "faststart" layout), from the box headers.
fn moov_before_mdat(path: &Path) -> bool {
    let bytes = fs::read(path).expect("read an MP4 file");
    let mut pos = 0usize;
    while pos + 8 <= bytes.len() {
        let size32 = u32::from_be_bytes(bytes[pos..pos + 4].try_into().unwrap());
        let kind = &bytes[pos + 4..pos + 8];
        match kind {
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

/// The clip in both MP4 layouts: `(moov at the start, moov at the end)`. The clip itself is
/// one of them; the other is a stream copy made with `ffmpeg` in `dir`.
fn both_layouts(test: &str, clip: &Path, dir: &Path) -> Option<(PathBuf, PathBuf)> {
    let (moov_first, moov_last) = if moov_before_mdat(clip) {
        let last = dir.join("moov_last.mp4");
        // The MP4 muxer writes moov after mdat unless told to move it.
        ffmpeg(
            test,
            &[
                "-i".as_ref(),
                clip.as_os_str(),
                "-c".as_ref(),
                "copy".as_ref(),
                last.as_os_str(),
            ],
        )?;
        (clip.to_path_buf(), last)
    } else {
        let first = dir.join("moov_first.mp4");
        ffmpeg(
            test,
            &[
                "-i".as_ref(),
                clip.as_os_str(),
                "-c".as_ref(),
                "copy".as_ref(),
                "-movflags".as_ref(),
                "+faststart".as_ref(),
                first.as_os_str(),
            ],
        )?;
        (first, clip.to_path_buf())
    };
    assert!(moov_before_mdat(&moov_first), "{}", moov_first.display());
    assert!(!moov_before_mdat(&moov_last), "{}", moov_last.display());
    Some((moov_first, moov_last))
}

/// The first 40% of the bytes of `src`.
fn truncated_copy(src: &Path, dst: &Path) {
    let bytes = fs::read(src).expect("read the clip");
    fs::write(dst, &bytes[..bytes.len() * 2 / 5]).expect("write the truncated copy");
}

/// `src` with 64 KiB of pseudo-random garbage written over the middle of the file (inside
/// the media data, whatever the box layout: the header boxes are a few KiB).
fn corrupt_copy(src: &Path, dst: &Path) {
    let mut bytes = fs::read(src).expect("read the clip");
    let block = 64 * 1024;
    assert!(bytes.len() > 4 * block, "{} is too small", src.display());
    let start = bytes.len() / 2;
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for b in &mut bytes[start..start + block] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        *b = (state >> 24) as u8;
    }
    fs::write(dst, &bytes).expect("write the corrupt copy");
}

/// A one-second AAC file with no video stream.
fn audio_only(test: &str, dir: &Path) -> Option<PathBuf> {
    let path = dir.join("audio_only.m4a");
    ffmpeg(
        test,
        &[
            "-f".as_ref(),
            "lavfi".as_ref(),
            "-i".as_ref(),
            "sine=d=1".as_ref(),
            "-c:a".as_ref(),
            "aac".as_ref(),
            path.as_os_str(),
        ],
    )?;
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
    Command::cargo_bin("pertitle")
        .expect("the pertitle binary")
        .args(args)
        .output()
        .expect("run pertitle")
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// No panic, no signal: the process exited on its own.
fn assert_no_crash(what: &str, out: &Output) {
    let stderr = stderr_of(out);
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
/// (case-insensitive). Returns the line.
fn assert_one_line_error(what: &str, out: &Output, names: &[&str], causes: &[&str]) -> String {
    assert_no_crash(what, out);
    let stderr = stderr_of(out);
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

fn s(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

/// `bad` must fail cleanly in probe, in score as reference and as distorted (against the
/// good `clip`), and in optimize. Returns the four stderr lines.
fn assert_fails_everywhere(bad: &Path, clip: &Path, outdir: &Path, causes: &[&str]) -> Vec<String> {
    let name = s(bad);
    let mut lines = Vec::new();

    let what = format!("probe {name}");
    lines.push(assert_one_line_error(
        &what,
        &pertitle(["probe", name]),
        &[name],
        causes,
    ));

    for (what, args) in [
        (format!("score {name} <clip>"), ["score", name, s(clip)]),
        (format!("score <clip> {name}"), ["score", s(clip), name]),
    ] {
        let line = assert_one_line_error(&what, &pertitle(args), &[name], causes);
        assert!(
            !line.contains(s(clip)),
            "{what}: the error blames the good file: {line:?}"
        );
        lines.push(line);
    }

    lines.push(assert_optimize_fails(bad, outdir, causes));
    lines
}

fn assert_optimize_fails(bad: &Path, outdir: &Path, causes: &[&str]) -> String {
    let name = s(bad);
    let what = format!("optimize {name}");
    let mut args = vec!["optimize", name, "-o", s(outdir)];
    args.extend(TINY);
    let line = assert_one_line_error(&what, &pertitle(&args), &[name], causes);
    assert_no_ladder(&what, outdir);
    line
}

fn report(case: &str, lines: &[String]) {
    for line in lines {
        eprintln!("{case}: {line}");
    }
}

// ---------------------------------------------------------------------------------------
// 1. A missing file
// ---------------------------------------------------------------------------------------

#[test]
fn missing_file() {
    let Some(clip) = clip("missing_file") else {
        return;
    };
    let dir = tempdir();
    let bad = dir.path().join("does_not_exist.mp4");
    let lines = assert_fails_everywhere(&bad, &clip, &dir.path().join("out"), &["no such file"]);
    report("missing file", &lines);
}

// ---------------------------------------------------------------------------------------
// 2. A file that is not video
// ---------------------------------------------------------------------------------------

#[test]
fn text_file_is_not_video() {
    let Some(clip) = clip("text_file_is_not_video") else {
        return;
    };
    let dir = tempdir();
    let bad = dir.path().join("notes.txt");
    fs::write(
        &bad,
        "This is a small text file.\nIt holds no video at all.\n",
    )
    .unwrap();
    let lines = assert_fails_everywhere(
        &bad,
        &clip,
        &dir.path().join("out"),
        &["cannot open as video"],
    );
    report("text file", &lines);
}

#[test]
fn empty_file_is_not_video() {
    let Some(clip) = clip("empty_file_is_not_video") else {
        return;
    };
    let dir = tempdir();
    let bad = dir.path().join("empty.mp4");
    fs::write(&bad, b"").unwrap();
    let lines = assert_fails_everywhere(
        &bad,
        &clip,
        &dir.path().join("out"),
        &["cannot open as video", "empty"],
    );
    report("empty file", &lines);
}

// ---------------------------------------------------------------------------------------
// 3. A truncated video: the first 40% of the bytes of a real clip
// ---------------------------------------------------------------------------------------

/// moov at the end: the cut removes the header, so the file cannot even be opened.
#[test]
fn truncated_video_moov_at_end() {
    let test = "truncated_video_moov_at_end";
    let Some(clip) = clip(test) else { return };
    let dir = tempdir();
    let Some((_, moov_last)) = both_layouts(test, &clip, dir.path()) else {
        return;
    };
    let bad = dir.path().join("truncated_moov_last.mp4");
    truncated_copy(&moov_last, &bad);
    let lines = assert_fails_everywhere(
        &bad,
        &clip,
        &dir.path().join("out"),
        &["truncated", "corrupt", "cannot open as video"],
    );
    report("truncated, moov at end", &lines);
}

/// moov at the start: the header survives and promises every frame of the clip, but the
/// media data stops at 40%. Decoding (score, optimize) must notice.
#[test]
fn truncated_video_moov_at_start_score_and_optimize() {
    let test = "truncated_video_moov_at_start_score_and_optimize";
    let Some(clip) = clip(test) else { return };
    let dir = tempdir();
    let Some((moov_first, _)) = both_layouts(test, &clip, dir.path()) else {
        return;
    };
    let bad = dir.path().join("truncated_moov_first.mp4");
    truncated_copy(&moov_first, &bad);
    let name = s(&bad);
    let mut lines = Vec::new();
    for (what, args) in [
        (format!("score {name} <clip>"), ["score", name, s(&clip)]),
        (format!("score <clip> {name}"), ["score", s(&clip), name]),
    ] {
        lines.push(assert_one_line_error(
            &what,
            &pertitle(args),
            &[name],
            &["truncated"],
        ));
    }
    lines.push(assert_optimize_fails(
        &bad,
        &dir.path().join("out"),
        &["truncated"],
    ));
    report("truncated, moov at start", &lines);
}

/// `probe` counts every packet of the stream, so it sees that the file holds fewer frames
/// than its header promises; it must not report the file as a good source.
#[test]
fn truncated_video_moov_at_start_probe() {
    let test = "truncated_video_moov_at_start_probe";
    let Some(clip) = clip(test) else { return };
    let dir = tempdir();
    let Some((moov_first, _)) = both_layouts(test, &clip, dir.path()) else {
        return;
    };
    let bad = dir.path().join("truncated_moov_first.mp4");
    truncated_copy(&moov_first, &bad);
    let name = s(&bad);
    let line = assert_one_line_error(
        &format!("probe {name}"),
        &pertitle(["probe", name]),
        &[name],
        &["truncated"],
    );
    report("truncated, moov at start", &[line]);
}

// ---------------------------------------------------------------------------------------
// 4. A corrupt video: a block of garbage in the middle of a real clip
// ---------------------------------------------------------------------------------------

/// The product may either refuse the file in one line or, when FFmpeg conceals the damage,
/// succeed; it must never crash. `probe` reads packets without decoding them, so it may
/// well succeed. Which outcome happened is printed.
#[test]
fn corrupt_video() {
    let Some(clip) = clip("corrupt_video") else {
        return;
    };
    let dir = tempdir();
    let bad = dir.path().join("corrupt.mp4");
    corrupt_copy(&clip, &bad);
    let name = s(&bad);
    let outdir = dir.path().join("out");
    let mut optimize = vec!["optimize", name, "-o", s(&outdir)];
    optimize.extend(TINY);
    let runs: [(String, Vec<&str>); 4] = [
        (format!("probe {name}"), vec!["probe", name]),
        (
            format!("score {name} <clip>"),
            vec!["score", name, s(&clip)],
        ),
        (
            format!("score <clip> {name}"),
            vec!["score", s(&clip), name],
        ),
        (format!("optimize {name}"), optimize),
    ];
    for (what, args) in runs {
        let out = pertitle(&args);
        assert_no_crash(&what, &out);
        let is_optimize = args[0] == "optimize";
        if out.status.success() {
            eprintln!("corrupt video: {what}: succeeded (damage concealed or not decoded)");
            if is_optimize {
                assert!(
                    outdir.join("ladder.json").is_file(),
                    "{what}: succeeded without writing ladder.json"
                );
            }
        } else {
            let line = assert_one_line_error(&what, &out, &[name], &["corrupt", "truncated"]);
            if is_optimize {
                assert_no_ladder(&what, &outdir);
            }
            eprintln!("corrupt video: {what}: failed: {line}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// 5. A file with no video stream
// ---------------------------------------------------------------------------------------

#[test]
fn audio_only_file() {
    let test = "audio_only_file";
    let Some(clip) = clip(test) else { return };
    let dir = tempdir();
    let Some(bad) = audio_only(test, dir.path()) else {
        return;
    };
    let lines = assert_fails_everywhere(&bad, &clip, &dir.path().join("out"), &["no video stream"]);
    report("audio only", &lines);
}

// ---------------------------------------------------------------------------------------
// 6. An output directory that cannot be written
// ---------------------------------------------------------------------------------------

/// OUTDIR below a regular file (`somefile/out`) cannot be created, even by root; OUTDIR
/// that is itself a regular file cannot hold ladder.json. Neither run may touch the file.
#[test]
fn optimize_outdir_under_regular_file() {
    let Some(clip) = clip("optimize_outdir_under_regular_file") else {
        return;
    };
    let dir = tempdir();
    let file = dir.path().join("somefile");
    let content = b"a regular file, not a directory\n";
    fs::write(&file, content).unwrap();
    let mut lines = Vec::new();
    for outdir in [file.join("out"), file.clone()] {
        let what = format!("optimize -o {}", outdir.display());
        let mut args = vec!["optimize", s(&clip), "-o", s(&outdir)];
        args.extend(TINY);
        lines.push(assert_one_line_error(
            &what,
            &pertitle(&args),
            &[s(&outdir)],
            &[
                "cannot create",
                "not a directory",
                "not writable",
                "file exists",
            ],
        ));
        assert_eq!(
            fs::read(&file).unwrap(),
            content,
            "{what}: {} was changed",
            file.display()
        );
    }
    report("unwritable output directory", &lines);
}

/// A read-only OUTDIR. The tests usually run as root, and chmod does not stop root from
/// writing, so this only runs when the directory really is read-only for us; the
/// file-as-parent case above covers an unwritable OUTDIR everywhere.
#[test]
fn optimize_read_only_outdir() {
    use std::os::unix::fs::PermissionsExt;
    let Some(clip) = clip("optimize_read_only_outdir") else {
        return;
    };
    let dir = tempdir();
    let outdir = dir.path().join("read_only");
    fs::create_dir(&outdir).unwrap();
    fs::set_permissions(&outdir, fs::Permissions::from_mode(0o555)).unwrap();
    if fs::write(outdir.join("probe"), b"").is_ok() {
        eprintln!(
            "SKIP: optimize_read_only_outdir: a chmod 555 directory is writable here \
             (running as root); see optimize_outdir_under_regular_file"
        );
        fs::set_permissions(&outdir, fs::Permissions::from_mode(0o755)).unwrap();
        return;
    }
    let what = format!("optimize -o {}", outdir.display());
    let mut args = vec!["optimize", s(&clip), "-o", s(&outdir)];
    args.extend(TINY);
    let line = assert_one_line_error(
        &what,
        &pertitle(&args),
        &[s(&outdir)],
        &["not writable", "permission denied"],
    );
    assert_no_ladder(&what, &outdir);
    fs::set_permissions(&outdir, fs::Permissions::from_mode(0o755)).unwrap();
    report("read-only output directory", &[line]);
}

// ---------------------------------------------------------------------------------------
// 7. Invalid options
// ---------------------------------------------------------------------------------------

/// Each bad value replaces the tiny run's own value of that option (clap refuses a repeated
/// `--preset`, and `--crf`/`--resolutions` would append to the list).
#[test]
fn optimize_invalid_options() {
    let Some(clip) = clip("optimize_invalid_options") else {
        return;
    };
    let dir = tempdir();
    let outdir = dir.path().join("out");
    let cases: [(&str, &str, &[&str]); 5] = [
        ("--preset", "notapreset", &["preset"]),
        ("--crf", "99", &["crf"]),
        ("--crf", "51.5", &["crf"]),
        ("--crf", "nan", &["crf"]),
        ("--resolutions", "0", &["resolution", "height"]),
    ];
    let mut lines = Vec::new();
    for (option, value, causes) in cases {
        let mut args = vec!["optimize", s(&clip), "-o", s(&outdir)];
        let mut tiny = TINY.to_vec();
        let i = tiny.iter().position(|a| *a == option).unwrap();
        tiny[i + 1] = value;
        args.extend(tiny);
        let what = format!("optimize {option} {value}");
        let out = pertitle(&args);
        let line = assert_one_line_error(&what, &out, &[], causes);
        let shown = if value == "nan" { "NaN" } else { value };
        assert!(
            line.contains(shown),
            "{what}: the error does not show the bad value: {line:?}"
        );
        assert_no_ladder(&what, &outdir);
        lines.push(line);
    }
    report("invalid options", &lines);
}

// ---------------------------------------------------------------------------------------
// The error line states its cause once
// ---------------------------------------------------------------------------------------

/// An error line ends in `: CAUSE` at most once: a line like `x: cannot open as video: E: E`
/// repeats the underlying FFmpeg error (the error's message already holds its source, and
/// the CLI prints the source chain again).
#[test]
fn error_line_states_its_cause_once() {
    let Some(clip) = clip("error_line_states_its_cause_once") else {
        return;
    };
    let dir = tempdir();
    let text = dir.path().join("notes.txt");
    fs::write(&text, "not a video\n").unwrap();
    let truncated = dir.path().join("truncated.mp4");
    truncated_copy(&clip, &truncated);
    let mut bad_lines = Vec::new();
    for args in [
        vec!["probe", s(&text)],
        vec!["score", s(&truncated), s(&clip)],
    ] {
        let out = pertitle(&args);
        let line = assert_one_line_error(&args.join(" "), &out, &[args[1]], &[":"]);
        let parts: Vec<&str> = line.split(": ").collect();
        if parts.windows(2).any(|w| w[0] == w[1]) {
            bad_lines.push(line);
        }
    }
    assert!(
        bad_lines.is_empty(),
        "error lines repeat their cause:\n{}",
        bad_lines.join("\n")
    );
}
