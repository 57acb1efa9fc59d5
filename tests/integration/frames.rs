//! `pertitle frames` and `pertitle score --worst`: pictures of frames, checked for their
//! sizes, against the FFmpeg CLI's own decode of the frame, against the trial encodes, and on
//! a clip with a deliberately damaged frame.

use crate::common;
use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn pertitle() -> Command {
    Command::cargo_bin("pertitle").unwrap()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn png(path: &Path) -> image::RgbImage {
    image::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_rgb8()
}

const W: u32 = 640;
const H: u32 = 360;
/// Layout of the composites (src/picture/compose.rs): space around tiles, label lines.
const GAP: u32 = 8;
fn label_height(lines: u32) -> u32 {
    lines * 15 * 5 / 4 + GAP
}

/// An 8-second synthetic clip (640x360, 25 fps) and its ladder (two sizes, two CRFs, 1 s
/// segments, PSNR), made once for all the tests here.
fn ladder() -> &'static (tempfile::TempDir, PathBuf, PathBuf) {
    static L: OnceLock<(tempfile::TempDir, PathBuf, PathBuf)> = OnceLock::new();
    L.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let clip = tmp.path().join("clip.mkv");
        common::synthetic_clip(&clip, "640x360", "25", 8.0);
        let out = tmp.path().join("out");
        pertitle()
            .args([
                "optimize",
                "--quiet",
                "--metric",
                "psnr",
                "--preset",
                "ultrafast",
            ])
            .args([
                "--resolutions",
                "360,180",
                "--crf",
                "22,34",
                "--segment-seconds",
                "1",
            ])
            .arg(&clip)
            .arg("-o")
            .arg(&out)
            .assert()
            .success();
        let ladder = out.join("ladder.json");
        (tmp, clip, ladder)
    })
}

/// Mean absolute difference of two same-size pictures, over all channels.
fn mean_abs_diff(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let sum: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(&x, &y)| u64::from(x.abs_diff(y)))
        .sum();
    sum as f64 / a.as_raw().len() as f64
}

#[test]
fn frames_pictures_every_rung_at_a_time_and_at_the_top_rungs_worst_frame() {
    let (tmp, clip, ladder) = ladder();
    let manifest = read_json(ladder);
    let rungs = manifest["ladders"][0]["rungs"].as_array().unwrap().clone();
    assert!(rungs.len() >= 2, "{} rungs", rungs.len());

    // --at 1.28 s: frame 32, in segment 1 (frames 25..50).
    let out = tmp.path().join("frames_at");
    pertitle()
        .args(["frames", "--at", "1.28"])
        .arg(ladder)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let report = read_json(&out.join("frames.json"));
    assert_eq!(report["frame"], 32);
    assert_eq!(report["segment"], 1);
    assert_eq!(report["segment_first_frame"], 25);
    assert_eq!(report["segment_end_frame"], 50);
    // The warm-up reaches the first frame; the look-ahead span runs 4 s past the segment.
    assert_eq!(report["encoded_from_frame"], 0);
    assert_eq!(report["encoded_end_frame"], 150);

    // Full-size pictures at the display size; the source frame as the FFmpeg CLI decodes
    // and converts it (BT.601, limited range, chroma interpolated).
    let source = png(&out.join("source.png"));
    assert_eq!(source.dimensions(), (W, H));
    let oracle = tmp.path().join("oracle_32.png");
    common::ffmpeg(&[
        "-i",
        clip.to_str().unwrap(),
        "-vf",
        "select=eq(n\\,32),scale=flags=bicubic+accurate_rnd+full_chroma_int:out_color_matrix=bt601",
        "-frames:v",
        "1",
        oracle.to_str().unwrap(),
    ]);
    let d = mean_abs_diff(&source, &png(&oracle));
    eprintln!("source.png against the FFmpeg CLI's frame 32: mean |difference| {d:.3}");
    assert!(d < 1.5, "{d}");

    let listed = report["rungs"].as_array().unwrap();
    assert_eq!(listed.len(), rungs.len());
    for (r, m) in listed.iter().zip(&rungs) {
        assert_eq!(r["width"], m["width"]);
        assert_eq!(r["crf"], m["crf"]);
        let picture = png(&out.join(r["file"].as_str().unwrap()));
        assert_eq!(picture.dimensions(), (W, H), "{}", r["file"]);
        // A measured rung's segment, encoded again from the first frame, is its trial
        // encode's segment to the bit.
        if !m["interpolated"].as_bool().unwrap() {
            assert_eq!(
                r["segment_bits"], m["segment_sizes_bits"][1],
                "{}",
                r["file"]
            );
            assert_eq!(r["trial_segment_bits"], r["segment_bits"]);
        }
        // The rung's picture is its encode: the farther its frame PSNR from the source's
        // infinity, the farther its picture from source.png.
        let psnr = r["frame_psnr_y"].as_f64().unwrap();
        assert!(psnr > 15.0 && psnr < 60.0, "{psnr}");
        let d = mean_abs_diff(&picture, &source);
        assert!(d > 0.0 && d < 40.0, "{}: {d}", r["file"]);
    }
    // Within a resolution, a lower CRF gives this frame a higher PSNR.
    for a in listed {
        for b in listed {
            if a["height"] == b["height"] && a["crf"].as_f64() < b["crf"].as_f64() {
                assert!(a["frame_psnr_y"].as_f64() > b["frame_psnr_y"].as_f64());
            }
        }
    }

    // The strip: the overview and the source's crop, then every rung's, in rows of at most
    // five, each tile a quarter of the display enlarged twice, labelled with three lines.
    let crop = &report["crop"];
    assert_eq!(
        (crop["width"].as_u64(), crop["height"].as_u64()),
        (Some(160), Some(90))
    );
    let tiles = rungs.len() as u32 + 2;
    let rows = tiles.div_ceil(5);
    let columns = tiles.div_ceil(rows);
    let strip = png(&out.join("strip.png"));
    let cell_h = 2 * 90 + label_height(3);
    assert_eq!(strip.width(), GAP + columns * (2 * 160 + GAP));
    // (Labels wrap when too long for a tile.)
    assert!(
        strip.height() >= GAP + rows * (cell_h + GAP),
        "{}",
        strip.height()
    );
    // The source tile is the source's crop, each pixel doubled.
    let (cx, cy) = (
        crop["x"].as_u64().unwrap() as u32,
        crop["y"].as_u64().unwrap() as u32,
    );
    let tile_x = GAP + (2 * 160 + GAP);
    for (x, y) in [(0, 0), (17, 33), (159, 89)] {
        assert_eq!(
            strip.get_pixel(tile_x + 2 * x + 1, GAP + 2 * y + 1),
            source.get_pixel(cx + x, cy + y)
        );
    }

    // By default: the frame where the top rung's PSNR is lowest, as ladder.json records it.
    let out = tmp.path().join("frames_default");
    pertitle()
        .arg("frames")
        .arg(ladder)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let report = read_json(&out.join("frames.json"));
    let top = rungs.last().unwrap();
    assert_eq!(report["frame"], top["pooling"]["psnr_y"]["min_frame"]);
    assert!(report["chosen"].as_str().unwrap().contains("lowest psnr_y"));

    // A time past the end is refused, naming the duration; nothing is written.
    let out = tmp.path().join("frames_late");
    let err = pertitle()
        .args(["frames", "--at", "9"])
        .arg(ladder)
        .arg("-o")
        .arg(&out)
        .assert()
        .failure()
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8_lossy(&err);
    assert!(err.contains("lasts 8 s"), "{err}");
    assert!(!out.exists());

    // A source shorter than the one measured is refused, naming it.
    let short = tmp.path().join("short.mkv");
    common::synthetic_clip(&short, "640x360", "25", 2.0);
    let err = pertitle()
        .args(["frames", "--at", "1"])
        .arg(ladder)
        .arg("--source")
        .arg(&short)
        .arg("-o")
        .arg(&out)
        .assert()
        .failure()
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8_lossy(&err);
    assert!(
        err.contains("short.mkv") && err.contains("not the source"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn frames_late_in_the_clip_warm_the_encoders_up_from_an_earlier_segment() {
    let (tmp, _, ladder) = ladder();
    let manifest = read_json(ladder);
    let rungs = manifest["ladders"][0]["rungs"].as_array().unwrap().clone();
    let out = tmp.path().join("frames_late_in_clip");
    pertitle()
        .args(["frames", "--quiet", "--at", "5.5"])
        .arg(ladder)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let report = read_json(&out.join("frames.json"));
    // Frame 138 (5.52 s) of segment 5 (frames 125..150); the encodes start 4 s before it,
    // at segment 1, and may run to the end.
    assert_eq!(report["frame"], 138);
    assert_eq!(report["segment"], 5);
    assert_eq!(report["encoded_from_frame"], 25);
    assert_eq!(report["encoded_end_frame"], 200);
    // A measured rung's segment is its trial encode's within 1% (what happened before the
    // warm-up fades out of the encoder's state).
    for (r, m) in report["rungs"].as_array().unwrap().iter().zip(&rungs) {
        if m["interpolated"] == false {
            let (got, trial) = (
                r["segment_bits"].as_f64().unwrap(),
                m["segment_sizes_bits"][5].as_f64().unwrap(),
            );
            eprintln!("{}: segment 5 {got} bits, trial {trial}", r["file"]);
            assert!(
                (got / trial - 1.0).abs() < 0.01,
                "{}: {got} vs {trial}",
                r["file"]
            );
        }
    }
}

#[test]
fn the_report_embeds_the_strip() {
    let (tmp, _, ladder) = ladder();
    let frames = tmp.path().join("frames_for_report");
    pertitle()
        .arg("frames")
        .arg(ladder)
        .arg("-o")
        .arg(&frames)
        .assert()
        .success();
    let html_path = tmp.path().join("report.html");
    pertitle()
        .arg("report")
        .arg(ladder)
        .arg("-o")
        .arg(&html_path)
        .assert()
        .success();
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.contains("<h2>One frame at every rung</h2>"));
    let start = html
        .find("data:image/png;base64,")
        .expect("an embedded PNG")
        + 22;
    let end = start + html[start..].find('"').unwrap();
    // The same pictures as `pertitle frames` writes.
    assert_eq!(
        base64_decode(&html[start..end]),
        std::fs::read(frames.join("strip.png")).unwrap()
    );
    // --no-frames leaves them out.
    pertitle()
        .arg("report")
        .arg(ladder)
        .arg("--no-frames")
        .arg("-o")
        .arg(&html_path)
        .assert()
        .success();
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(!html.contains("data:image/png"));
}

/// Sum of the channels of pixel (x, y) of a composite's third tile (the 320x240 heat map).
fn heat_luma(picture: &image::RgbImage, x: u32, y: u32) -> u32 {
    let p = picture.get_pixel(GAP + 2 * (320 + GAP) + x, GAP + y);
    u32::from(p[0]) + u32::from(p[1]) + u32::from(p[2])
}

/// The brightest pixel of a composite's heat map, and where.
fn heat_map_brightest(picture: &image::RgbImage) -> (u32, (u32, u32)) {
    let mut best = (0, (0, 0));
    for y in 0..240 {
        for x in 0..320 {
            let l = heat_luma(picture, x, y);
            if l > best.0 {
                best = (l, (x, y));
            }
        }
    }
    best
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let mut out = Vec::new();
    for chunk in text.as_bytes().chunks(4) {
        let data: Vec<u8> = chunk
            .iter()
            .copied()
            .filter(|&c| c != b'=')
            .map(value)
            .collect();
        let n = data
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &v)| n | u32::from(v) << (18 - 6 * i));
        out.extend(n.to_be_bytes()[1..data.len()].iter());
    }
    out
}

#[test]
fn worst_frames_include_a_damaged_frame_and_a_frame_against_itself_maps_uniform() {
    let tmp = tempfile::tempdir().unwrap();
    let reference = tmp.path().join("reference.mkv");
    common::synthetic_clip(&reference, "320x240", "25", 2.0);
    // An ordinary encode with one frame, 29, damaged: a grey box over part of it.
    let damaged = tmp.path().join("damaged.mkv");
    common::ffmpeg(&[
        "-i",
        reference.to_str().unwrap(),
        "-vf",
        "drawbox=x=40:y=60:w=96:h=64:color=gray:t=fill:enable='eq(n,29)'",
        "-c:v",
        "libx264",
        "-crf",
        "26",
        "-preset",
        "ultrafast",
        damaged.to_str().unwrap(),
    ]);
    let out = tmp.path().join("worst");
    pertitle()
        .args(["score", "--metrics", "psnr,ssim", "--worst", "3"])
        .arg(&reference)
        .arg(&damaged)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let worst = read_json(&out.join("worst.json"));
    assert_eq!(worst["ranked_by"], "ssim_y");
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        4,
        "3 pictures and worst.json"
    );
    let frames = worst["frames"].as_array().unwrap();
    assert_eq!(frames.len(), 3);
    assert_eq!(frames[0]["frame"], 29, "{worst:#}");
    assert_eq!(frames[0]["time_s"], 1.16);
    let ssim: Vec<f64> = frames
        .iter()
        .map(|f| f["metrics"]["ssim_y"].as_f64().unwrap())
        .collect();
    assert!(ssim.windows(2).all(|w| w[0] <= w[1]), "{ssim:?}");
    // Its lowest block lies on the box.
    let [bx, by] = [0, 1].map(|i| frames[0]["worst_block_at"][i].as_u64().unwrap());
    assert!(
        (32..136).contains(&bx) && (56..124).contains(&by),
        "{bx} {by}"
    );
    // The composites: reference | damaged | heat map, at least two label lines each (long
    // ones wrap).
    for f in frames {
        let (w, h) = png(&out.join(f["file"].as_str().unwrap())).dimensions();
        assert_eq!(w, GAP + 3 * (320 + GAP), "{}", f["file"]);
        assert!(h >= GAP + 240 + label_height(2) + GAP, "{}: {h}", f["file"]);
    }
    // In the worst one's heat map the brightest block is on the box: SSIM marks its edges.
    let first = png(&out.join(frames[0]["file"].as_str().unwrap()));
    let in_box = |x: u32, y: u32| (32..144).contains(&x) && (56..128).contains(&y);
    let (bright, at) = heat_map_brightest(&first);
    assert!(in_box(at.0, at.1) && bright > 500, "{bright} at {at:?}");

    // The squared-error map marks all of the box, flat inside as it is.
    // (Into the same directory: the three earlier pictures go.)
    pertitle()
        .args([
            "score",
            "--metrics",
            "psnr,ssim",
            "--worst",
            "1",
            "--heat-map",
            "error",
        ])
        .arg(&reference)
        .arg(&damaged)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let worst = read_json(&out.join("worst.json"));
    let f = &worst["frames"][0];
    assert_eq!(f["frame"], 29);
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        2,
        "1 picture and worst.json"
    );
    let picture = png(&out.join(f["file"].as_str().unwrap()));
    let (mut inside, mut outside) = ((0u64, 0u64), (0u64, 0u64));
    for y in 0..240 {
        for x in 0..320 {
            let l = u64::from(heat_luma(&picture, x, y));
            let inner = (48..128).contains(&x) && (68..116).contains(&y);
            let away = !(24..152).contains(&x) || !(44..140).contains(&y);
            if inner {
                inside = (inside.0 + l, inside.1 + 1);
            } else if away {
                outside = (outside.0 + l, outside.1 + 1);
            }
        }
    }
    let (inside, outside) = (inside.0 / inside.1, outside.0 / outside.1);
    assert!(inside > 400 && inside > 4 * outside, "{inside} {outside}");

    // The reference against itself: every heat map one colour, the map's darkest.
    let out = tmp.path().join("self");
    pertitle()
        .args(["score", "--metrics", "psnr,ssim", "--worst", "2"])
        .arg(&reference)
        .arg(&reference)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let worst = read_json(&out.join("worst.json"));
    for f in worst["frames"].as_array().unwrap() {
        assert_eq!(f["worst_block"], 1.0);
        let picture = png(&out.join(f["file"].as_str().unwrap()));
        let x0 = GAP + 2 * (320 + GAP);
        for y in GAP..GAP + 240 {
            for x in x0..x0 + 320 {
                assert_eq!(picture.get_pixel(x, y).0, [0, 0, 4], "({x}, {y})");
            }
        }
    }
}
