//! The human-readable summary of a ladder.json that `optimize` and `ladder` print.

use pertitle::Manifest;
use pertitle::manifest::{CodecLadder, LadderTiming};

mod cost;

/// Print the source, then for each codec the rung table and the ladder's expected quality,
/// then how the codecs compare.
pub fn print(manifest: &Manifest) {
    println!(
        "{}: {}x{} {} fps, {} frames",
        manifest.source.path.display(),
        manifest.source.width,
        manifest.source.height,
        manifest.source.frame_rate,
        manifest.source.frames,
    );
    for (ladder, timing) in manifest.ladders.iter().zip(&manifest.timing.ladders) {
        print_ladder(manifest, ladder, timing);
    }
    let field = manifest.settings.quality_field.as_str();
    for c in &manifest.codec_comparisons {
        let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:+.2}%"));
        println!(
            "{} against {}: BD-rate {} on the hulls, {} on the ladders (same {field}; negative: fewer bits){}",
            c.codec,
            c.against,
            pct(c.hull_bd_rate_percent),
            pct(c.ladder_bd_rate_percent),
            c.note
                .as_ref()
                .map_or(String::new(), |n| format!("; note: {n}"))
        );
    }
    print_best_per_rung(manifest);
    if manifest.timing.ladders.len() > 1 {
        println!(
            "all codecs: encoder CPU {:.1} s; wall {:.1} s",
            manifest.timing.encode_cpu_s, manifest.timing.wall_s
        );
    }
}

/// One codec's ladder.
fn print_ladder(manifest: &Manifest, ladder: &CodecLadder, t: &LadderTiming) {
    let field = manifest.settings.quality_field.as_str();
    let on_hull = ladder.points.iter().filter(|p| p.on_hull).count();
    println!(
        "{} ({}, preset {}): {} points measured, {} on the hull",
        ladder.codec,
        ladder.encoder,
        ladder.preset,
        ladder.points.len(),
        on_hull
    );
    println!(
        "{:>4}  {:>10}  {:>6}  {:>10}  {:>10}  {:>7}  {:>9}  {:>8}",
        "rung", "resolution", "crf", "kbps", "peak kbps", "vmaf", "psnr_y", "ssim_y"
    );
    for (i, r) in ladder.rungs.iter().enumerate() {
        let vmaf = r.vmaf.map_or("-".to_string(), |v| format!("{v:.2}"));
        let mark = match (r.sampled, r.proxy_estimate, r.interpolated) {
            _ if r.is_shot_rung() && r.interpolated => "s*",
            _ if r.is_shot_rung() => "s",
            (true, _, _) => "~",
            (_, true, _) => "+",
            (_, _, true) => "*",
            _ => "",
        };
        let crf = format!("{}{mark}", r.crf);
        println!(
            "{:>4}  {:>10}  {:>6}  {:>10.1}  {:>10.1}  {:>7}  {:>9.3}  {:>8.5}",
            i + 1,
            format!("{}x{}", r.width, r.height),
            crf,
            r.bitrate_kbps,
            r.peak_kbps,
            vmaf,
            r.psnr_y,
            r.ssim_y
        );
    }
    let l = &ladder.summary;
    if ladder
        .rungs
        .iter()
        .any(|r| r.interpolated && !r.proxy_estimate && !r.sampled)
    {
        println!(
            "* interpolated between two measured CRFs (s*: some shot is; estimated, not encoded)"
        );
    }
    if let Some(r) = ladder.rungs.iter().find(|r| r.is_shot_rung()) {
        let (lo, hi) = r
            .shots
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), s| {
                (lo.min(s.crf), hi.max(s.crf))
            });
        println!(
            "s shot rung: a CRF per shot (rungs[].shots in ladder.json; the rung {}x{} takes CRF {lo} to {hi}), the column their frame-weighted mean",
            r.width, r.height
        );
    }
    if ladder.rungs.iter().any(|r| r.proxy_estimate) {
        println!("+ estimated from the proxy search (not encoded at the final preset)");
    }
    if ladder.rungs.iter().any(|r| r.sampled) {
        let frames: u64 = ladder.search.sample.iter().map(|w| w.frames).sum();
        println!(
            "~ measured on a sample of the title ({} segments, {frames} frames): estimates for the whole title (`pertitle package` encodes it all)",
            ladder.search.sample.len()
        );
    }
    if l.devices.is_empty() {
        println!(
            "quality axis: {field}; expected {field} {:.3} for viewers at {:.0}-{:.0} kbps (log-uniform)",
            l.expected_quality, l.viewer_kbps[0], l.viewer_kbps[1]
        );
    } else {
        print_mix(manifest, ladder);
    }
    cost::print_device_rungs(manifest, ladder);
    cost::print_cost(manifest, ladder);
    if let Some(c) = &ladder.comparison {
        println!(
            "against {} ({} rungs measured on this title, {}):",
            c.reference,
            c.rungs.len(),
            c.rate_control
        );
        for r in &c.rungs {
            let vmaf = r.vmaf.map_or("-".to_string(), |v| format!("{v:.2}"));
            println!(
                "      {:>10}  target {:>6.0}  {:>10.1} kbps  vmaf {:>6}  psnr_y {:>7.3}  ssim_y {:>8.5}",
                format!("{}x{}", r.width, r.height),
                r.target_kbps,
                r.bitrate_kbps,
                vmaf,
                r.psnr_y,
                r.ssim_y
            );
        }
        match (c.bd_rate_percent, c.bd_quality) {
            (Some(rate), Some(q)) => println!(
                "  BD-rate of the per-title ladder: {rate:+.2}% ({} bits for the same {field}); BD-{field} {q:+.3}",
                if rate < 0.0 { "fewer" } else { "more" }
            ),
            _ => println!("  BD-rate: not computed"),
        }
        match (
            c.equal_quality,
            c.reference_kbps_at_equal_quality,
            c.per_title_kbps_at_equal_quality,
            c.saving_at_equal_quality_percent,
        ) {
            (Some(q), Some(r), Some(p), Some(saving)) => println!(
                "  at {field} {q:.3}: the reference needs {r:.0} kbps, the per-title hull {p:.0} kbps ({saving:+.1}% saved)"
            ),
            _ => println!("  saving at equal quality: not computed"),
        }
        if let Some(note) = &c.note {
            println!("  note: {note}");
        }
    }
    let search = &ladder.search;
    let mode = match search.mode {
        pertitle::search::SearchMode::Grid => "grid",
        pertitle::search::SearchMode::Adaptive => "adaptive",
    };
    let waves = format!(
        "{} wave{}",
        search.waves.len(),
        if search.waves.len() == 1 { "" } else { "s" }
    );
    // The run's wall time, here when the run had one codec (else after all codecs).
    let wall = if manifest.ladders.len() == 1 {
        format!("; wall {:.1} s", manifest.timing.wall_s)
    } else {
        String::new()
    };
    match (&ladder.proxy_preset, search.final_encodes) {
        (Some(proxy), Some(finals)) => {
            let proxy_cpu: f64 = t.proxy_points_encode_cpu_s.iter().sum();
            println!(
                "{mode} search at {proxy}: {} encodes in {waves}, encoder CPU {proxy_cpu:.1} s; then {finals} at {}, {:.1} s{wall}",
                search.encodes - finals,
                ladder.preset,
                t.encode_cpu_s - proxy_cpu,
            );
        }
        _ => println!(
            "{mode} search: {} encodes in {waves} ({} points); encoder CPU {:.1} s{wall}",
            search.encodes,
            ladder.points.len(),
            t.encode_cpu_s,
        ),
    }
    if let Some(shots) = &manifest.shots {
        println!(
            "shots: {} found (cut threshold {}), {} segments following them; ladder.json has every point's bits and quality per shot",
            shots.shots.len(),
            shots.options.threshold,
            manifest.segments.count,
        );
    }
    if t.cached_encodes > 0 {
        println!(
            "{} of {} encodes read from the cache (their CPU time is the original encodes')",
            t.cached_encodes, search.encodes
        );
    }
}

/// A ladder's expected quality over a viewer mix, overall and per device.
fn print_mix(manifest: &Manifest, ladder: &CodecLadder) {
    let l = &ladder.summary;
    let file = manifest
        .settings
        .objective
        .viewers
        .as_ref()
        .map_or(String::new(), |m| format!(" {}", m.file.display()));
    println!(
        "quality axis: {}; expected quality {:.3} over the viewer mix{file} (each device on its own scale):",
        manifest.settings.quality_field, l.expected_quality
    );
    println!(
        "  {:>12}  {:>6}  {:>14}  {:>9}  {:>11}  {:>9}  {:>9}",
        "device", "share", "quality", "expected", "plays rungs", "kbps", "$/1000 h"
    );
    for (i, d) in l.devices.iter().enumerate() {
        // Its delivery, when the manifest has costs (the same order as the devices).
        let cost = l.cost.as_ref().and_then(|c| c.devices.get(i));
        println!(
            "  {:>12}  {:>6.3}  {:>14}  {:>9.3}  {:>11}  {:>9}  {:>9}",
            d.name,
            d.share,
            d.quality_key,
            d.expected_quality,
            format!("{} of {}", d.playable_rungs, ladder.rungs.len()),
            cost.map_or("-".into(), |c| format!("{:.1}", c.expected_kbps)),
            cost.map_or("-".into(), |c| format!(
                "{:.4}",
                c.delivery_usd_per_1000_hours
            ))
        );
    }
    if !l.devices_without_decoder.is_empty() {
        println!(
            "  left out, no {} decoder: {}",
            ladder.codec,
            l.devices_without_decoder.join(", ")
        );
    }
}

/// At each rung of the first codec's ladder, the bitrate every codec needs for its quality
/// (the first codec's own, the others' on their hulls) and the codec that needs the least.
fn print_best_per_rung(manifest: &Manifest) {
    let (Some(anchor), false) = (
        manifest.ladders.first(),
        manifest.codec_comparisons.is_empty(),
    ) else {
        return;
    };
    let field = manifest.settings.quality_field.as_str();
    let mut header = format!(
        "{:>4}  {:>10}  {:>9}  {:>10}",
        "rung",
        "resolution",
        field,
        anchor.codec.name()
    );
    for c in &manifest.codec_comparisons {
        header.push_str(&format!("  {:>10}", c.codec.name()));
    }
    println!(
        "kbps each codec needs for the quality of each {} rung (-: outside its measured range):",
        anchor.codec
    );
    println!("{header}  best");
    let mut any_partial = false;
    for (i, r) in anchor.rungs.iter().enumerate() {
        let mut best = (anchor.codec, r.bitrate_kbps);
        let mut row = format!(
            "{:>4}  {:>10}  {:>9.3}  {:>10.1}",
            i + 1,
            format!("{}x{}", r.width, r.height),
            manifest.settings.metric.of(r),
            r.bitrate_kbps
        );
        let mut partial = false;
        for c in &manifest.codec_comparisons {
            match c.at_rungs.get(i).and_then(|a| a.codec_kbps) {
                Some(k) => {
                    row.push_str(&format!("  {k:>10.1}"));
                    if k < best.1 {
                        best = (c.codec, k);
                    }
                }
                None => {
                    partial = true;
                    row.push_str(&format!("  {:>10}", "-"));
                }
            }
        }
        println!("{row}  {}{}", best.0, if partial { "*" } else { "" });
        any_partial |= partial;
    }
    if any_partial {
        println!("* best of the codecs measured at that quality");
    }
}
