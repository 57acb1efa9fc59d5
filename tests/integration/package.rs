//! `pertitle package`: the packaged ladder is played back by a real client (the FFmpeg CLI's
//! HLS and DASH demuxers) and its declared figures are checked against the written files.

use crate::common;
use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn pertitle() -> Command {
    Command::cargo_bin("pertitle").expect("binary built")
}

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/sample_720p25.mp4")
}

/// A small ladder of `clip` (two heights, three CRFs, fast preset, 2 s segments).
fn small_ladder(clip: &Path, out: &Path, heights: &str) -> PathBuf {
    pertitle()
        .args([
            "optimize", "--quiet", "--metric", "psnr", "--preset", "veryfast",
        ])
        .args(["--resolutions", heights, "--crf", "22,30,38"])
        .args(["--segment-seconds", "2", "--min-rungs", "3"])
        .arg(clip)
        .arg("-o")
        .arg(out)
        .assert()
        .success();
    out.join("ladder.json")
}

/// `KEY=VALUE,KEY="VALUE",...` attributes of an HLS tag.
fn attributes(list: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = list;
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=').expect("attribute has a value");
        let (value, after) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"').expect("closing quote");
            (&quoted[..end], quoted[end + 1..].trim_start_matches(','))
        } else {
            match after.split_once(',') {
                Some((v, a)) => (v, a),
                None => (after, ""),
            }
        };
        out.insert(key.to_string(), value.to_string());
        rest = after;
    }
    out
}

/// The variants of a master playlist: attributes and URI.
fn variants(master: &Path) -> Vec<(BTreeMap<String, String>, String)> {
    let text = std::fs::read_to_string(master).unwrap();
    assert!(text.starts_with("#EXTM3U\n"), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            l.strip_prefix("#EXT-X-STREAM-INF:")
                .map(|a| (attributes(a), lines[i + 1].to_string()))
        })
        .collect()
}

/// A media playlist's target duration and (duration, segment file) list.
struct MediaPlaylist {
    target: f64,
    init: PathBuf,
    segments: Vec<(f64, PathBuf)>,
}

fn media_playlist(path: &Path) -> MediaPlaylist {
    let dir = path.parent().unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains("#EXT-X-PLAYLIST-TYPE:VOD") && text.contains("#EXT-X-ENDLIST"));
    let mut target = None;
    let mut init = None;
    let mut segments = Vec::new();
    let mut duration = None;
    for line in text.lines() {
        if let Some(t) = line.strip_prefix("#EXT-X-TARGETDURATION:") {
            target = Some(t.parse::<f64>().unwrap());
        } else if let Some(m) = line.strip_prefix("#EXT-X-MAP:") {
            init = Some(dir.join(&attributes(m)["URI"]));
        } else if let Some(d) = line.strip_prefix("#EXTINF:") {
            duration = Some(d.trim_end_matches(',').parse::<f64>().unwrap());
        } else if !line.starts_with('#') && !line.is_empty() {
            segments.push((duration.take().expect("EXTINF before URI"), dir.join(line)));
        }
    }
    MediaPlaylist {
        target: target.expect("target duration"),
        init: init.expect("fMP4 segments have an init section"),
        segments,
    }
}

fn size(path: &Path) -> f64 {
    std::fs::metadata(path).unwrap().len() as f64
}

/// What ffprobe, opening `url` as a client and playing each stream on its own (as a player
/// plays one rendition at a time), finds in every stream: width, height, decoded frames,
/// profile and level.
fn client_streams(url: &Path) -> Vec<Value> {
    let url = url.to_str().unwrap();
    let listed: Value = serde_json::from_str(&common::ffprobe(&[
        "-show_entries",
        "stream=index",
        "-of",
        "json",
        url,
    ]))
    .unwrap();
    let count = listed["streams"].as_array().unwrap().len();
    (0..count)
        .map(|i| {
            let json = common::ffprobe(&[
                "-count_frames",
                "-select_streams",
                &format!("v:{i}"),
                "-show_entries",
                "stream=width,height,nb_read_frames,profile,level",
                "-of",
                "json",
                url,
            ]);
            let v: Value = serde_json::from_str(&json).unwrap();
            v["streams"][0].clone()
        })
        .collect()
}

/// Pts times of the keyframes of a rendition, as a client reads them.
fn keyframe_times(url: &Path) -> Vec<f64> {
    common::ffprobe(&[
        "-show_entries",
        "packet=pts_time,flags",
        "-of",
        "csv=p=0",
        url.to_str().unwrap(),
    ])
    .lines()
    .filter(|l| l.contains('K'))
    .filter_map(|l| l.split(',').next()?.parse().ok())
    .collect()
}

/// `avc1.PPCCLL` agrees with the profile and level a decoder reads from the stream.
fn codecs_match(codecs: &str, stream: &Value) {
    let hex = codecs.strip_prefix("avc1.").expect("avc1 codecs");
    assert_eq!(hex.len(), 6, "{codecs}");
    let profile_idc = u8::from_str_radix(&hex[0..2], 16).unwrap();
    let level_idc = u8::from_str_radix(&hex[4..6], 16).unwrap();
    let profile = stream["profile"].as_str().unwrap();
    let expected_idc = match profile {
        "Baseline" | "Constrained Baseline" => 66,
        "Main" => 77,
        "High" => 100,
        other => panic!("unexpected profile {other}"),
    };
    assert_eq!(profile_idc, expected_idc, "{codecs} vs {profile}");
    assert_eq!(
        i64::from(level_idc),
        stream["level"].as_i64().unwrap(),
        "{codecs}"
    );
}

/// Every file under `dir`, relative path -> bytes.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in walk(dir) {
        out.insert(
            entry.strip_prefix(dir).unwrap().to_path_buf(),
            std::fs::read(&entry).unwrap(),
        );
    }
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files.extend(walk(&p));
        } else {
            files.push(p);
        }
    }
    files
}

/// Run `pertitle package LADDER -o OUT` with `args` first, expecting failure; its stderr.
fn package_fails(args: &[&str], ladder: &Path, out: &Path) -> String {
    let output = pertitle()
        .arg("package")
        .arg("--quiet")
        .args(args)
        .arg(ladder)
        .arg("-o")
        .arg(out)
        .assert()
        .failure()
        .get_output()
        .stderr
        .clone();
    String::from_utf8_lossy(&output).into_owned()
}

/// Hidden `.pertitle*` entries (staging or replaced packages) in `dir`.
fn leftovers(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".pertitle"))
        .map(|e| e.path())
        .collect()
}

fn within(declared: f64, measured: f64, tolerance: f64) -> bool {
    (declared - measured).abs() <= tolerance * measured
}

#[test]
fn packaged_ladder_plays_in_a_real_client_with_honest_bandwidths() {
    let tmp = tempfile::tempdir().unwrap();
    let ladder = small_ladder(&sample(), &tmp.path().join("opt"), "360,270");
    let manifest = common::read_manifest(&ladder);
    let rungs = manifest["ladders"][0]["rungs"].as_array().unwrap();
    let frames = manifest["source"]["frames"].as_u64().unwrap();
    assert!(rungs.len() >= 3);

    let out = tmp.path().join("stream");
    pertitle()
        .args(["package", "--quiet"])
        .arg(&ladder)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let package: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("package.json")).unwrap()).unwrap();
    let renditions = package["renditions"].as_array().unwrap();
    assert_eq!(renditions.len(), rungs.len());

    // The master playlist lists every rung, lowest bandwidth first.
    let master = out.join("master.m3u8");
    let vars = variants(&master);
    assert_eq!(vars.len(), rungs.len());
    let bandwidths: Vec<f64> = vars
        .iter()
        .map(|(a, _)| a["BANDWIDTH"].parse().unwrap())
        .collect();
    assert!(
        bandwidths.windows(2).all(|w| w[0] <= w[1]),
        "{bandwidths:?}"
    );

    // A real client opens the master playlist: one program per rung, each decoding to the
    // rung's size and the source's frame count, with the profile and level CODECS declares.
    let streams = client_streams(&master);
    assert_eq!(streams.len(), vars.len());
    for ((attrs, uri), stream) in vars.iter().zip(&streams) {
        let (w, h) = attrs["RESOLUTION"].split_once('x').unwrap();
        assert_eq!(stream["width"].as_u64().unwrap().to_string(), w, "{uri}");
        assert_eq!(stream["height"].as_u64().unwrap().to_string(), h, "{uri}");
        assert_eq!(
            stream["nb_read_frames"]
                .as_str()
                .unwrap()
                .parse::<u64>()
                .unwrap(),
            frames,
            "{uri}"
        );
        codecs_match(&attrs["CODECS"], stream);
        assert_eq!(attrs["FRAME-RATE"], "25.000");

        // Declared bandwidths against the segments as a client downloads them.
        let media = media_playlist(&out.join(uri));
        assert!(size(&media.init) > 0.0);
        let bits: f64 = media.segments.iter().map(|(_, p)| size(p) * 8.0).sum();
        let duration: f64 = media.segments.iter().map(|(d, _)| d).sum();
        assert!((duration - 6.0).abs() < 1e-3, "{uri}: {duration}");
        let average = bits / duration;
        let peak = media
            .segments
            .iter()
            .filter(|(d, _)| *d >= 0.5 * media.target)
            .map(|(d, p)| size(p) * 8.0 / d)
            .fold(0.0, f64::max);
        let declared_peak: f64 = attrs["BANDWIDTH"].parse().unwrap();
        let declared_average: f64 = attrs["AVERAGE-BANDWIDTH"].parse().unwrap();
        assert!(
            within(declared_average, average, 0.10),
            "{uri}: {declared_average} vs {average}"
        );
        assert!(
            within(declared_peak, peak, 0.10),
            "{uri}: {declared_peak} vs {peak}"
        );
        assert!(declared_peak >= declared_average);

        // Every segment starts on a keyframe, at the same times in every rendition. The
        // timeline starts at the first decode time, so the first frame is presented after
        // the encoder's B-frame delay (as in FFmpeg's own HLS fMP4 output).
        let keys = keyframe_times(&out.join(uri));
        let rendition = renditions
            .iter()
            .find(|r| uri.starts_with(r["name"].as_str().unwrap()))
            .unwrap();
        let delay = rendition["presentation_delay_frames"].as_f64().unwrap() / 25.0;
        let mut start = delay;
        for (d, _) in &media.segments {
            assert!(
                keys.iter().any(|k| (k - start).abs() < 0.02),
                "{uri}: no keyframe at {start} s (keyframes at {keys:?})"
            );
            start += d;
        }
    }

    // The DASH MPD over the same segments plays too, with the same sizes and frame counts.
    let dash = client_streams(&out.join("manifest.mpd"));
    assert_eq!(dash.len(), rungs.len());
    for (d, r) in dash.iter().zip(renditions) {
        assert_eq!(d["width"], r["width"]);
        assert_eq!(d["height"], r["height"]);
        assert_eq!(
            d["nb_read_frames"]
                .as_str()
                .unwrap()
                .parse::<u64>()
                .unwrap(),
            frames
        );
        let bw = r["dash_bandwidth"].as_f64().unwrap();
        let avg = r["hls_average_bandwidth"].as_f64().unwrap();
        let peak = r["hls_bandwidth"].as_f64().unwrap();
        assert!(bw >= 0.9 * avg && bw <= 1.1 * peak, "{r}");
    }

    // A measured rung's final encode is its trial encode, bit for bit; the ladder's
    // per-segment sizes are what the package's segments hold.
    for (r, rung) in renditions.iter().zip(rungs) {
        if rung["interpolated"] == true {
            assert!(r.get("matches_trial").is_none());
        } else {
            assert_eq!(r["matches_trial"], true, "{r}");
            assert_eq!(r["segment_video_bits"], rung["segment_sizes_bits"]);
        }
    }

    // export hls-master, before any final encode, points at the same media playlists with
    // the trial encodes' codecs and bandwidths within 10% of the packaged ones for measured
    // rungs (the difference is the fMP4 container).
    let exported = tmp.path().join("exported.m3u8");
    pertitle()
        .args(["export", "--format", "hls-master", "-o"])
        .arg(&exported)
        .arg(&ladder)
        .assert()
        .success();
    let planned = variants(&exported);
    assert_eq!(planned.len(), vars.len());
    for (((p, p_uri), (v, v_uri)), rung) in planned.iter().zip(&vars).zip(rungs) {
        assert_eq!(p_uri, v_uri);
        assert_eq!(p["CODECS"], v["CODECS"]);
        assert_eq!(p["RESOLUTION"], v["RESOLUTION"]);
        if rung["interpolated"] == false {
            for key in ["BANDWIDTH", "AVERAGE-BANDWIDTH"] {
                let a: f64 = p[key].parse().unwrap();
                let b: f64 = v[key].parse().unwrap();
                assert!(within(a, b, 0.10), "{key} {a} vs {b}");
            }
        }
    }

    // export sabre --package: every rung, with the sizes of the segment files.
    let sabre: Value = serde_json::from_slice(
        &pertitle()
            .args(["export", "--format", "sabre", "--package"])
            .arg(&out)
            .arg(&ladder)
            .assert()
            .success()
            .get_output()
            .stdout,
    )
    .unwrap();
    let sizes = sabre["segment_sizes_bits"].as_array().unwrap();
    assert_eq!(sizes.len(), 3);
    for (i, r) in renditions.iter().enumerate() {
        for (k, seg) in sizes.iter().enumerate() {
            let file = out
                .join(r["name"].as_str().unwrap())
                .join(format!("seg_{k:05}.m4s"));
            assert_eq!(seg[i].as_f64().unwrap(), size(&file) * 8.0);
        }
    }

    // The same ladder packaged again gives the same files, byte for byte.
    let again = tmp.path().join("again");
    pertitle()
        .args(["package", "--quiet", "--jobs", "1"])
        .arg(&ladder)
        .arg("-o")
        .arg(&again)
        .assert()
        .success();
    assert!(tree(&out) == tree(&again), "packages differ");
}

#[test]
fn package_refuses_what_it_should_and_leaves_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let ladder = small_ladder(&sample(), &tmp.path().join("opt"), "270");

    // Not over a non-empty directory without --force.
    let busy = tmp.path().join("busy");
    std::fs::create_dir(&busy).unwrap();
    std::fs::write(busy.join("keep.txt"), "x").unwrap();
    let err = package_fails(&[], &ladder, &busy);
    assert!(err.contains("--force") && err.contains("busy"), "{err}");
    assert!(busy.join("keep.txt").exists());

    // Not from a source other than the one measured.
    let other = tmp.path().join("other.mp4");
    common::synthetic_clip(&other, "320x240", "25", 1.0);
    let out = tmp.path().join("never");
    let err = package_fails(&["--source", other.to_str().unwrap()], &ladder, &out);
    assert!(
        err.contains("other.mp4") && err.contains("not the source"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(!out.exists());
    // No staging directory left behind.
    assert!(leftovers(tmp.path()).is_empty());

    // --force never replaces a directory that is not a package.
    let err = package_fails(&["--force"], &ladder, &busy);
    assert!(err.contains("not a package"), "{err}");
    assert!(busy.join("keep.txt").exists());

    // It replaces an earlier package once the new one is complete; --hls alone writes no MPD.
    let pkg = tmp.path().join("pkg");
    pertitle()
        .args(["package", "--quiet", "--dash"])
        .arg(&ladder)
        .arg("-o")
        .arg(&pkg)
        .assert()
        .success();
    assert!(pkg.join("manifest.mpd").exists() && !pkg.join("master.m3u8").exists());
    pertitle()
        .args(["package", "--quiet", "--force", "--hls"])
        .arg(&ladder)
        .arg("-o")
        .arg(&pkg)
        .assert()
        .success();
    assert!(pkg.join("master.m3u8").exists() && !pkg.join("manifest.mpd").exists());
    // Neither the staging directory nor the replaced package is left beside it.
    let left = leftovers(tmp.path());
    assert!(left.is_empty(), "{left:?}");
}

/// A real clip at 30000/1001 fps: segment durations are not whole milliseconds, the DASH
/// timeline must still be exact (the client decodes every frame).
#[test]
fn ntsc_rate_dash_only_package_of_a_real_clip() {
    let Some(clips) = common::clips_dir("ntsc_rate_dash_only_package_of_a_real_clip") else {
        return;
    };
    let clip = clips.join("talking_head_480p30.mp4");
    let tmp = tempfile::tempdir().unwrap();
    let ladder = small_ladder(&clip, &tmp.path().join("opt"), "360,240");
    let manifest = common::read_manifest(&ladder);
    let frames = manifest["source"]["frames"].as_u64().unwrap();
    let out = tmp.path().join("dash");
    pertitle()
        .args(["package", "--quiet", "--dash"])
        .arg(&ladder)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    assert!(!out.join("master.m3u8").exists());
    assert!(
        walk(&out)
            .iter()
            .all(|p| p.extension().is_none_or(|e| e != "m3u8"))
    );
    let mpd = std::fs::read_to_string(out.join("manifest.mpd")).unwrap();
    assert!(mpd.contains(r#"frameRate="30000/1001""#), "{mpd}");
    assert!(mpd.contains(r#"timescale="30000""#), "{mpd}");
    let streams = client_streams(&out.join("manifest.mpd"));
    assert_eq!(
        streams.len(),
        manifest["ladders"][0]["rungs"].as_array().unwrap().len()
    );
    for s in &streams {
        assert_eq!(
            s["nb_read_frames"]
                .as_str()
                .unwrap()
                .parse::<u64>()
                .unwrap(),
            frames
        );
    }
}

/// `optimize --package --report`: everything in one run, the package identical to a separate
/// `pertitle package` of the ladder it wrote.
#[test]
fn optimize_packages_and_reports_in_one_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("all");
    pertitle()
        .args([
            "optimize", "--quiet", "--metric", "psnr", "--preset", "veryfast",
        ])
        .args([
            "--resolutions",
            "270",
            "--crf",
            "26,34",
            "--segment-seconds",
            "3",
        ])
        .args(["--package", "--report"])
        .arg(sample())
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<svg"));
    // The report shows the package: every rendition with its declared figures.
    let package: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("stream/package.json")).unwrap())
            .unwrap();
    assert!(html.contains("<h2>Package</h2>"));
    for r in package["renditions"].as_array().unwrap() {
        assert!(html.contains(&format!("<td>{}</td>", r["name"].as_str().unwrap())));
        assert!(html.contains(r["codecs"].as_str().unwrap()));
    }
    assert!(out.join("stream/master.m3u8").exists() && out.join("stream/manifest.mpd").exists());
    let separate = tmp.path().join("separate");
    pertitle()
        .args(["package", "--quiet"])
        .arg(out.join("ladder.json"))
        .arg("-o")
        .arg(&separate)
        .assert()
        .success();
    let (a, b) = (tree(&out.join("stream")), tree(&separate));
    assert!(a == b, "{:?} vs {:?}", a.keys(), b.keys());
}
