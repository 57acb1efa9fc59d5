//! PSNR and SSIM per frame against the FFmpeg CLI's `psnr` and `ssim` filters (the oracle),
//! on every shared clip, at the source size, at a size that is not a multiple of 8 or 16,
//! and with a smaller distorted file that is upscaled (bicubic) before comparison.

use crate::common;
use crate::common::{all_clips, clips_dir, ffmpeg, metadata_values};
use pertitle::measure::metrics::PSNR_CAP_DB;
use std::path::Path;

const FRAMES: &str = "24";

/// FFmpeg's per-frame luma PSNR, U/V PSNR and luma SSIM of `dist` against `reference`,
/// with `dist` first scaled by `scale` (a filter, e.g. "scale=1280:720:flags=bicubic").
fn oracle(reference: &Path, dist: &Path, scale: Option<&str>, dir: &Path) -> Vec<[f64; 4]> {
    oracle_at(reference, dist, None, scale, dir)
}

/// As [`oracle`], with the reference first scaled by `ref_scale` too.
fn oracle_at(
    reference: &Path,
    dist: &Path,
    ref_scale: Option<&str>,
    scale: Option<&str>,
    dir: &Path,
) -> Vec<[f64; 4]> {
    let psnr_txt = dir.join("psnr.txt");
    let ssim_txt = dir.join("ssim.txt");
    // Frames pair up by index: both inputs get the same synthetic timestamps, so container
    // timestamp rounding (e.g. Matroska's milliseconds) cannot make the filters drop a frame.
    let retime = "settb=1/30,setpts=N";
    let d = match scale {
        Some(s) => format!("[1:v]{retime},{s},split[d1][d2]"),
        None => format!("[1:v]{retime},split[d1][d2]"),
    };
    // The filters print each frame's values into the frame metadata with 6 decimals.
    let graph = format!(
        "[0:v]{retime}{rs},split[r1][r2];{d};\
         [d1][r1]psnr=shortest=1,metadata=print:file={}[o1];\
         [d2][r2]ssim=shortest=1,metadata=print:file={}[o2]",
        psnr_txt.display(),
        ssim_txt.display(),
        rs = ref_scale.map(|s| format!(",{s}")).unwrap_or_default()
    );
    ffmpeg(&[
        "-i",
        reference.to_str().unwrap(),
        "-i",
        dist.to_str().unwrap(),
        "-filter_complex",
        &graph,
        "-map",
        "[o1]",
        "-f",
        "null",
        "-",
        "-map",
        "[o2]",
        "-f",
        "null",
        "-",
    ]);
    let p = std::fs::read_to_string(&psnr_txt).unwrap();
    let s = std::fs::read_to_string(&ssim_txt).unwrap();
    let y = metadata_values(&p, "lavfi.psnr.psnr.y");
    let u = metadata_values(&p, "lavfi.psnr.psnr.u");
    let v = metadata_values(&p, "lavfi.psnr.psnr.v");
    let ss = metadata_values(&s, "lavfi.ssim.Y");
    assert_eq!(y.len(), ss.len());
    (0..y.len()).map(|i| [y[i], u[i], v[i], ss[i]]).collect()
}

/// pertitle's per-frame [psnr_y, psnr_u, psnr_v, ssim_y].
fn ours(reference: &Path, dist: &Path) -> Vec<[f64; 4]> {
    let report = pertitle::score::score(reference, dist).expect("score");
    report
        .per_frame
        .iter()
        .map(|r| {
            [
                r.psnr_y.unwrap(),
                r.psnr_u.unwrap(),
                r.psnr_v.unwrap(),
                r.ssim_y.unwrap(),
            ]
        })
        .collect()
}

fn capped(db: f64) -> f64 {
    db.min(PSNR_CAP_DB)
}

fn check(label: &str, reference: &Path, dist: &Path, scale: Option<&str>, dir: &Path) {
    let want = oracle(reference, dist, scale, dir);
    let got = ours(reference, dist);
    assert_eq!(got.len(), want.len(), "{label}: frame count");
    assert!(!got.is_empty());
    let (mut max_psnr, mut max_ssim) = (0.0f64, 0.0f64);
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        for (plane, (&ours, &theirs)) in g[..3].iter().zip(&w[..3]).enumerate() {
            let d = (ours - capped(theirs)).abs();
            max_psnr = max_psnr.max(d);
            assert!(
                d <= 0.01,
                "{label} frame {i} plane {plane}: ours {ours} ffmpeg {theirs}"
            );
        }
        let d = (g[3] - w[3]).abs();
        max_ssim = max_ssim.max(d);
        assert!(
            d <= 0.0005,
            "{label} frame {i} ssim: ours {} ffmpeg {}",
            g[3],
            w[3]
        );
    }
    eprintln!(
        "{label}: {} frames, max |dPSNR| {max_psnr:.2e} dB, max |dSSIM| {max_ssim:.2e}",
        got.len()
    );
}

#[test]
fn matches_ffmpeg_filters_on_every_clip() {
    let Some(clips) = clips_dir("matches_ffmpeg_filters_on_every_clip") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    for clip in all_clips(&clips) {
        let name = clip.file_stem().unwrap().to_string_lossy().into_owned();
        let c = clip.to_str().unwrap();
        // Same size: an x264 encode of the first frames.
        let dist = tmp.path().join(format!("{name}_crf32.mp4"));
        ffmpeg(&[
            "-i",
            c,
            "-frames:v",
            FRAMES,
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-crf",
            "32",
            dist.to_str().unwrap(),
        ]);
        check(&format!("{name} same size"), &clip, &dist, None, tmp.path());

        // Odd sizes: a lossless reference cropped to a size that is not a multiple of 8 or 16
        // (width = 2 mod 8, height = 6 mod 8), and an encode of it.
        let cref = tmp.path().join(format!("{name}_crop_ref.mkv"));
        ffmpeg(&[
            "-i",
            c,
            "-frames:v",
            FRAMES,
            "-vf",
            "crop=iw-14:ih-10:3:5",
            "-c:v",
            "ffv1",
            cref.to_str().unwrap(),
        ]);
        let cdist = tmp.path().join(format!("{name}_crop_dist.mp4"));
        ffmpeg(&[
            "-i",
            cref.to_str().unwrap(),
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-crf",
            "36",
            cdist.to_str().unwrap(),
        ]);
        check(&format!("{name} cropped"), &cref, &cdist, None, tmp.path());

        // Smaller distorted file, upscaled with bicubic to the reference's size.
        let small = tmp.path().join(format!("{name}_small.mp4"));
        ffmpeg(&[
            "-i",
            c,
            "-frames:v",
            FRAMES,
            "-vf",
            "scale=-2:ih*2/3:flags=lanczos",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-crf",
            "28",
            small.to_str().unwrap(),
        ]);
        let (w, h) = {
            let info = pertitle::probe(&clip).unwrap();
            (info.width, info.height)
        };
        check(
            &format!("{name} upscaled"),
            &clip,
            &small,
            Some(&format!("scale={w}:{h}:flags=bicubic")),
            tmp.path(),
        );
    }
}

#[test]
fn identical_files_score_the_caps() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a.mp4");
    common::synthetic_clip(&a, "320x240", "25", 0.4);
    let r = pertitle::score::score(&a, &a).unwrap();
    assert_eq!(r.frames, 10);
    assert_eq!(r.mean["psnr_y"], PSNR_CAP_DB);
    assert_eq!(r.mean["psnr_yuv"], PSNR_CAP_DB);
    assert!((r.mean["ssim_y"] - 1.0).abs() < 1e-12);
    assert_eq!(r.pooling["psnr_y"].min, PSNR_CAP_DB);
}

/// Odd frame sizes (639x359: chroma planes of 320x180, rounded up) against the filters, on a
/// lossless reference and a noisy copy of it (FFV1 keeps odd sizes, which x264 cannot), and
/// VMAF at that size runs (libvmaf's own chroma planes round down; its models read luma).
#[test]
fn odd_frame_sizes_match_ffmpeg() {
    let tmp = tempfile::tempdir().unwrap();
    let reference = tmp.path().join("odd_ref.mkv");
    let noisy = tmp.path().join("odd_noisy.mkv");
    for (path, filter) in [
        (&reference, "scale=639:359"),
        (&noisy, "scale=639:359,noise=alls=12:allf=t"),
    ] {
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=640x360:rate=25:duration=0.48",
            "-vf",
            filter,
            "-pix_fmt",
            "yuv420p",
            "-c:v",
            "ffv1",
            path.to_str().unwrap(),
        ]);
    }
    check("639x359 noisy", &reference, &noisy, None, tmp.path());
    let options = pertitle::score::ScoreOptions::default();
    let report = pertitle::score::score_with(&reference, &noisy, &options, false).unwrap();
    assert_eq!((report.width, report.height), (639, 359));
    let vmaf = report.mean["vmaf"];
    assert!(vmaf > 20.0 && vmaf < 99.0, "VMAF of the noisy copy: {vmaf}");
}

/// Sources in other YUV formats (10-bit, 4:2:2, 4:4:4, gray) are scored after conversion to
/// 8-bit 4:2:0, as FFmpeg's `format=yuv420p` filter converts them: the same PSNR and SSIM as
/// the filters give on the converted frames.
#[test]
fn other_pixel_formats_are_scored_as_ffmpeg_converts_them() {
    let tmp = tempfile::tempdir().unwrap();
    for (fmt, codec) in [
        ("yuv420p10le", &["-c:v", "libx264", "-qp", "0"][..]),
        ("yuv422p10le", &["-c:v", "prores_ks", "-profile:v", "3"][..]),
        ("yuv422p", &["-c:v", "libx264", "-qp", "0"][..]),
        ("yuv444p", &["-c:v", "ffv1"][..]),
        ("gray", &["-c:v", "ffv1"][..]),
    ] {
        let ext = if codec[1] == "prores_ks" {
            "mov"
        } else {
            "mkv"
        };
        let reference = tmp.path().join(format!("{fmt}.{ext}"));
        let mut args = vec![
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=352x288:rate=25:duration=0.48",
            "-pix_fmt",
            fmt,
        ];
        args.extend(codec);
        args.push(reference.to_str().unwrap());
        ffmpeg(&args);
        let dist = tmp.path().join(format!("{fmt}_x264.mp4"));
        ffmpeg(&[
            "-i",
            reference.to_str().unwrap(),
            "-pix_fmt",
            "yuv420p",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-crf",
            "30",
            dist.to_str().unwrap(),
        ]);
        let want = oracle_at(&reference, &dist, Some("format=yuv420p"), None, tmp.path());
        let got = ours(&reference, &dist);
        assert_eq!(got.len(), want.len(), "{fmt}: frame count");
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            for k in 0..3 {
                assert!(
                    (g[k] - capped(w[k])).abs() <= 0.01,
                    "{fmt} frame {i} plane {k}: ours {} ffmpeg {}",
                    g[k],
                    w[k]
                );
            }
            assert!((g[3] - w[3]).abs() <= 0.0005, "{fmt} frame {i} ssim");
        }
        let report = pertitle::score::score(&reference, &dist).unwrap();
        assert_eq!(report.reference_pixel_format, fmt);
        eprintln!(
            "{fmt}: {} frames match format=yuv420p + psnr/ssim",
            got.len()
        );
    }
}

/// `--display`: both files resized (bicubic) to a display size before scoring, checked against
/// the same graph in the FFmpeg CLI.
#[test]
fn display_size_matches_ffmpeg() {
    let Some(clips) = clips_dir("display_size_matches_ffmpeg") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let clip = clips.join("talking_head_480p30.mp4");
    let dist = tmp.path().join("small.mp4");
    ffmpeg(&[
        "-i",
        clip.to_str().unwrap(),
        "-frames:v",
        FRAMES,
        "-vf",
        "scale=320:240:flags=lanczos",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-crf",
        "30",
        dist.to_str().unwrap(),
    ]);
    let display: pertitle::Resolution = "960x720".parse().unwrap();
    let options = pertitle::score::ScoreOptions {
        vmaf: None,
        display: Some(display),
        ..Default::default()
    };
    let report = pertitle::score::score_with(&clip, &dist, &options, true).unwrap();
    assert_eq!((report.width, report.height), (960, 720));
    assert_eq!((report.reference_width, report.distorted_width), (640, 320));
    let scale = "scale=960:720:flags=bicubic";
    let want = oracle_at(&clip, &dist, Some(scale), Some(scale), tmp.path());
    assert_eq!(report.per_frame.len(), want.len());
    for (g, w) in report.per_frame.iter().zip(&want) {
        assert!(
            (g.psnr_y.unwrap() - w[0].min(PSNR_CAP_DB)).abs() <= 0.01,
            "{g:?} {w:?}"
        );
        assert!((g.ssim_y.unwrap() - w[3]).abs() <= 0.0005, "{g:?} {w:?}");
    }
}

/// MS-SSIM on a real clip: 1 against itself, and falling as the CRF rises (the kernel itself is
/// checked against a brute-force definition in the unit tests).
#[test]
fn ms_ssim_on_a_real_clip() {
    let Some(clips) = clips_dir("ms_ssim_on_a_real_clip") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let clip = clips.join("coffee_pour_720p30.mp4");
    let options = pertitle::score::ScoreOptions {
        psnr: false,
        ssim: false,
        ms_ssim: true,
        vmaf: None,
        ..Default::default()
    };
    let mean = |d: &Path| {
        pertitle::score::score_with(&clip, d, &options, false)
            .unwrap()
            .mean["ms_ssim_y"]
    };
    let mut last = 1.0;
    for crf in ["16", "28", "40"] {
        let enc = tmp.path().join(format!("{crf}.mp4"));
        ffmpeg(&[
            "-i",
            clip.to_str().unwrap(),
            "-frames:v",
            FRAMES,
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-crf",
            crf,
            enc.to_str().unwrap(),
        ]);
        let m = mean(&enc);
        eprintln!("coffee crf {crf}: MS-SSIM {m:.6}");
        assert!(m < last && m > 0.5, "crf {crf}: {m} after {last}");
        last = m;
    }
    let same = tmp.path().join("same.mkv");
    ffmpeg(&[
        "-i",
        clip.to_str().unwrap(),
        "-frames:v",
        "5",
        "-c:v",
        "ffv1",
        same.to_str().unwrap(),
    ]);
    let r = pertitle::score::score_with(&same, &same, &options, false).unwrap();
    assert!((r.mean["ms_ssim_y"] - 1.0).abs() < 1e-5);
}
