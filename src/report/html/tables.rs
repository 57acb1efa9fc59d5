//! The report's tables: the rungs, the ladder's summary, the package's renditions, the
//! settings (constraints in words) and the source.

use super::*;
use crate::manifest::cost::LadderCost;

/// The table of a ladder's rungs: resolution, CRF, bitrates and qualities; with the ladder's
/// package, each rung's quality on the ladder's axis measured on its final encode too.
pub(super) fn rungs_table(
    w: &mut String,
    m: &Manifest,
    l: &CodecLadder,
    package: Option<&PackageManifest>,
    tag: &str,
) {
    let has_vmaf = l.rungs.iter().any(|r| r.vmaf.is_some());
    let metric = m.settings.metric;
    // The package's measured quality of each rung (`check_matches` paired them).
    let finals: Option<Vec<Option<f64>>> = package
        .map(|p| {
            p.renditions
                .iter()
                .filter(|r| r.codec == l.codec)
                .map(|r| r.mean_quality(metric))
                .collect::<Vec<_>>()
        })
        .filter(|f| f.len() == l.rungs.len() && f.iter().any(Option::is_some));
    out!(
        w,
        "<h2>{tag}Rungs</h2>\n<table class=\"rungs\">\n<tr><th>#</th><th>resolution</th><th>CRF</th><th>bitrate (kbit/s)</th><th>peak (kbit/s)</th>"
    );
    if has_vmaf {
        out!(w, "<th>VMAF</th>");
    }
    out!(
        w,
        "<th>PSNR-Y (dB)</th><th>PSNR-YUV (dB)</th><th>SSIM-Y</th>"
    );
    if finals.is_some() {
        out!(w, "<th>final {}</th>", quality_label(metric));
    }
    out!(w, "</tr>\n");
    for (i, r) in l.rungs.iter().enumerate() {
        let crf = if r.sampled {
            format!("<span class=\"interp\">{}~</span>", num(r.crf, 2))
        } else if r.interpolated {
            format!("<span class=\"interp\">{}*</span>", num(r.crf, 2))
        } else {
            num(r.crf, 2)
        };
        out!(
            w,
            "<tr><td class=\"n\">{}</td><td>{}x{}</td><td class=\"n\">{crf}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
            i + 1,
            r.width,
            r.height,
            num(r.bitrate_kbps, 1),
            num(r.peak_kbps, 1)
        );
        if has_vmaf {
            out!(w, "<td class=\"n\">{}</td>", opt(r.vmaf, 3));
        }
        out!(
            w,
            "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
            num(r.psnr_y, 3),
            num(r.psnr_yuv, 3),
            num(r.ssim_y, 5)
        );
        if let Some(finals) = &finals {
            out!(
                w,
                "<td class=\"n\">{}</td>",
                opt(finals[i], quality_digits(metric))
            );
        }
        out!(w, "</tr>\n");
    }
    out!(w, "</table>\n");
    if finals.is_some() {
        out!(
            w,
            "<p class=\"note\">final: the quality of the package's encode of the rung over the whole title, measured as the trial points were (a measured rung's final encode is its trial encode, bit for bit, and its figures are the trial's).</p>\n"
        );
    }
    if l.sampled() {
        let frames: u64 = l.search.sample.iter().map(|w| w.frames).sum();
        out!(
            w,
            "<p class=\"note\"><span class=\"interp\">~</span> chosen on a sample of the title ({} segments, {} frames): bitrates and qualities are the sample's, estimates for the whole title; the package encodes it all.</p>\n",
            l.search.sample.len(),
            frames
        );
    }
    if l.rungs.iter().any(|r| r.interpolated && !r.sampled) {
        out!(
            w,
            "<p class=\"note\"><span class=\"interp\">*</span> interpolated between two measured CRFs of its resolution: CRF, bitrate and qualities estimated, not encoded; peak estimated from the nearer measured point.</p>\n"
        );
    }
}

/// The table of a ladder's expected quality over its viewers' bandwidths.
pub(super) fn ladder_summary(w: &mut String, m: &Manifest, l: &CodecLadder, tag: &str) {
    let metric = m.settings.metric;
    out!(w, "<h2>{tag}Ladder</h2>\n<table class=\"kv\">\n");
    if l.summary.devices.is_empty() {
        kv(
            w,
            &format!("expected quality ({})", quality_label(metric)),
            &num(l.summary.expected_quality, quality_digits(metric)),
        );
        kv(
            w,
            "viewer bandwidths (log-uniform)",
            &format!(
                "{} – {} kbit/s",
                num(l.summary.viewer_kbps[0], 0),
                num(l.summary.viewer_kbps[1], 0)
            ),
        );
    } else {
        // A viewer mix: each device on its own quality scale.
        kv(
            w,
            "expected quality (viewer mix)",
            &num(l.summary.expected_quality, 2),
        );
        for d in &l.summary.devices {
            kv(
                w,
                &format!("device {} ({:.1}% of viewers)", d.name, 100.0 * d.share),
                &esc(&format!(
                    "{} {}, plays {} of {} rungs",
                    d.quality_key,
                    num(d.expected_quality, 2),
                    d.playable_rungs,
                    l.rungs.len()
                )),
            );
        }
        if !l.summary.devices_without_decoder.is_empty() {
            kv(
                w,
                "left out (no decoder)",
                &esc(&l.summary.devices_without_decoder.join(", ")),
            );
        }
    }
    kv(w, "rungs", &l.rungs.len().to_string());
    kv(
        w,
        "interpolated rungs",
        &l.summary.interpolated_rungs.to_string(),
    );
    if let Some(c) = &l.summary.cost {
        cost_rows(w, m, l, c);
    }
    out!(w, "</table>\n");
    if let Some(c) = &l.summary.cost {
        frontier_table(w, m, l, c, tag);
    }
}

/// Dollars, with more decimals for small sums.
fn usd(v: f64) -> String {
    if v == 0.0 || v.abs() >= 1.0 {
        format!("${}", num(v, 2))
    } else {
        format!("${}", num(v, 4))
    }
}

/// The ladder's delivery and storage costs, as rows of its summary table.
fn cost_rows(w: &mut String, m: &Manifest, l: &CodecLadder, c: &LadderCost) {
    kv(
        w,
        "delivery",
        &format!(
            "{} kbit/s on average per viewer: {} GB per viewing hour, {} per 1,000 viewing hours at ${}/GB",
            num(c.expected_kbps, 1),
            num(c.delivery_gb_per_hour, 4),
            usd(c.delivery_usd_per_1000_hours),
            c.delivery_per_gb
        ),
    );
    for (d, dc) in l.summary.devices.iter().zip(&c.devices) {
        kv(
            w,
            &format!("delivery to {}", d.name),
            &format!(
                "{} kbit/s, {} per 1,000 viewing hours",
                num(dc.expected_kbps, 1),
                usd(dc.delivery_usd_per_1000_hours)
            ),
        );
    }
    kv(
        w,
        "storage",
        &format!(
            "{} GB for {} s of title, {} a month at ${}/GB-month",
            num(c.storage_gb, 4),
            num(m.source.duration_s, 1),
            usd(c.storage_usd_per_month),
            c.storage_per_gb_month
        ),
    );
    if let Some(w8) = m.settings.objective.cost_weight {
        kv(
            w,
            "cost weight",
            &format!("{w8} quality points per $ per 1,000 viewing hours"),
        );
    }
    if let Some(q) = c.quality_per_dollar {
        kv(
            w,
            "quality per extra dollar",
            &format!(
                "{} per $ per 1,000 viewing hours over the next cheaper ladder of the frontier",
                num(q, 4)
            ),
        );
    }
}

/// The quality-cost frontier: the most quality each delivery cost buys.
fn frontier_table(w: &mut String, m: &Manifest, l: &CodecLadder, c: &LadderCost, tag: &str) {
    if c.frontier.is_empty() {
        return;
    }
    let label = if l.summary.devices.is_empty() {
        quality_label(m.settings.metric).to_string()
    } else {
        "quality (viewer mix)".to_string()
    };
    out!(
        w,
        "<h2>{tag}Quality and cost</h2>\n<table class=\"rungs\">\n<tr><th>rungs</th><th>top rung</th><th>expected {}</th><th>mean kbit/s</th><th>$ per 1,000 h</th><th>storage (GB)</th><th>gain per $</th></tr>\n",
        esc(&label)
    );
    for f in &c.frontier {
        let mark = if f.chosen {
            " <b>(this ladder)</b>"
        } else {
            ""
        };
        out!(
            w,
            "<tr><td class=\"n\">{}{mark}</td><td>{} at {} kbit/s</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
            f.rungs,
            esc(&f.top),
            num(f.top_kbps, 1),
            num(f.expected_quality, 3),
            num(f.expected_kbps, 1),
            num(f.delivery_usd_per_1000_hours, 4),
            num(f.storage_gb, 4),
            opt(f.quality_per_dollar, 4)
        );
    }
    out!(w, "</table>\n");
    out!(
        w,
        "<p class=\"note\">The ladders that give the most expected quality for their delivery cost (each the best for some --cost-weight W: the expected quality less W times dollars per 1,000 viewing hours), by increasing cost; gain per $: quality gained per extra dollar per 1,000 viewing hours over the row above. A weight W chooses the last row whose gain is at least W.</p>\n"
    );
}

/// The table of the run's settings: encoders, resolutions, segments, scoring, constraints.
pub(super) fn settings_table(w: &mut String, m: &Manifest) {
    let s = &m.settings;
    out!(w, "<h2>Settings</h2>\n<table class=\"kv\">\n");
    for l in &m.ladders {
        kv(
            w,
            "encoder",
            &esc(&format!(
                "{}: {}, preset {}, {} threads; CRFs {}",
                l.codec,
                l.encoder,
                l.preset,
                l.encoder_threads,
                list(l.crfs.iter().map(|c| format!("{c}")).collect())
            )),
        );
        kv(w, "keyframes", &esc(&l.keyframes));
    }
    kv(
        w,
        "resolutions measured",
        &list(s.resolutions.iter().map(|r| r.to_string()).collect()),
    );
    kv(
        w,
        "segments",
        &format!(
            "{} s target, {} segments",
            s.segment_seconds, m.segments.count
        ),
    );
    kv(
        w,
        "scoring",
        &esc(&format!(
            "at {} ({} down, {} up); quality axis {}{}",
            s.display,
            s.downscale,
            s.upscale,
            s.quality_field,
            s.vmaf_model
                .map_or(String::new(), |v| format!(", VMAF model {v}"))
        )),
    );
    kv(w, "constraints", &esc(&constraints_text(&s.constraints)));
    if let Some(mix) = &s.objective.viewers {
        let devices: Vec<&str> = mix.devices.iter().map(|d| d.name.as_str()).collect();
        kv(
            w,
            "objective",
            &esc(&format!(
                "the viewer mix {} ({})",
                mix.file.display(),
                devices.join(", ")
            )),
        );
    } else if let Some([lo, hi]) = s.objective.viewer_kbps {
        kv(w, "objective", &format!("viewers at {lo}–{hi} kbit/s"));
    }
    if let Some(weight) = s.objective.cost_weight {
        kv(w, "cost weight", &format!("{weight}"));
    }
    if let Some(p) = s.objective.prices {
        kv(
            w,
            "prices",
            &format!(
                "${}/GB delivered, ${}/GB-month stored",
                p.delivery_per_gb, p.storage_per_gb_month
            ),
        );
    }
    out!(w, "</table>\n");
}

/// The ladder constraints in words, the unset ones left out.
fn constraints_text(c: &Constraints) -> String {
    let mut cs = vec![
        format!("{}–{} rungs", c.min_rungs, c.max_rungs),
        format!(
            "{}–{} kbit/s",
            c.min_kbps,
            c.max_kbps.map_or("∞".to_string(), |k| k.to_string())
        ),
        format!(
            "step ×{}–{}",
            c.min_step,
            c.max_step.map_or("∞".to_string(), |k| k.to_string())
        ),
    ];
    if let Some(q) = c.top_quality {
        cs.push(format!("top quality {q}"));
    }
    if let Some(q) = c.min_bottom_quality {
        cs.push(format!("bottom quality ≥ {q}"));
    }
    if let Some(k) = c.max_bottom_kbps {
        cs.push(format!("bottom ≤ {k} kbit/s"));
    }
    if c.min_quality_gap > 0.0 {
        cs.push(format!("quality gap ≥ {}", c.min_quality_gap));
    }
    if let Some(hh) = c.min_height {
        cs.push(format!("height ≥ {hh}"));
    }
    if let Some(hh) = c.max_height {
        cs.push(format!("height ≤ {hh}"));
    }
    if !c.allowed_heights.is_empty() {
        cs.push(format!(
            "heights {}",
            list(c.allowed_heights.iter().map(|x| x.to_string()).collect())
        ));
    }
    if !c.forced.is_empty() {
        cs.push(format!(
            "forced {}",
            list(c.forced.iter().map(|f| f.to_string()).collect())
        ));
    }
    if c.measured_only {
        cs.push("measured rungs only".to_string());
    }
    cs.join("; ")
}

/// The table of the source and of the program that made the manifest.
pub(super) fn source_table(w: &mut String, m: &Manifest) {
    let src = &m.source;
    out!(w, "<h2>Source</h2>\n<table class=\"kv\">\n");
    kv(w, "path", &esc(&src.path.display().to_string()));
    kv(w, "size", &format!("{}x{}", src.width, src.height));
    kv(w, "frame rate", &esc(&src.frame_rate.to_string()));
    kv(
        w,
        "frames",
        &format!("{} ({} s)", src.frames, num(src.duration_s, 3)),
    );
    kv(
        w,
        "generator",
        &esc(&format!(
            "{} {} (libavcodec {})",
            m.generator.name, m.generator.version, m.generator.libavcodec
        )),
    );
    out!(w, "</table>\n");
}

/// The package's renditions: what HLS and DASH declare, measured on the segment files, and
/// how the final encodes compare with the ladder's figures.
pub(super) fn package_table(w: &mut String, l: &CodecLadder, p: &PackageManifest, tag: &str) {
    out!(
        w,
        "<h2>{tag}Package</h2>\n<table class=\"rungs\">\n<tr><th>rendition</th><th>resolution</th><th>CODECS</th><th>AVERAGE-BANDWIDTH (kbit/s)</th><th>BANDWIDTH (kbit/s)</th><th>DASH bandwidth (kbit/s)</th><th>ladder bitrate (kbit/s)</th><th>final vs ladder</th></tr>\n"
    );
    let renditions = p.renditions.iter().filter(|r| r.codec == l.codec);
    for (r, rung) in renditions.zip(&l.rungs) {
        let video_kbps = r.segment_video_bits.iter().sum::<u64>() as f64
            / p.segment_durations_s
                .iter()
                .sum::<f64>()
                .max(f64::MIN_POSITIVE)
            / 1000.0;
        let versus = match r.matches_trial {
            Some(true) => "same bits".to_string(),
            Some(false) => "<span class=\"interp\">different bits</span>".to_string(),
            None if rung.bitrate_kbps > 0.0 => format!(
                "{:+.1}% video bits",
                (video_kbps / rung.bitrate_kbps - 1.0) * 100.0
            ),
            None => String::new(),
        };
        let ladder = if rung.interpolated {
            format!(
                "<span class=\"interp\">{}*</span>",
                num(rung.bitrate_kbps, 1)
            )
        } else {
            num(rung.bitrate_kbps, 1)
        };
        out!(
            w,
            "<tr><td>{}</td><td>{}x{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{ladder}</td><td>{versus}</td></tr>\n",
            esc(&r.name),
            r.width,
            r.height,
            esc(&r.codecs),
            num(r.hls_average_bandwidth as f64 / 1000.0, 1),
            num(r.hls_bandwidth as f64 / 1000.0, 1),
            num(r.dash_bandwidth as f64 / 1000.0, 1),
        );
    }
    out!(w, "</table>\n");
    out!(
        w,
        "<p class=\"note\">Measured on the segment files (container included): AVERAGE-BANDWIDTH is all segment bits over the duration, BANDWIDTH the peak segment bit rate (RFC 8216bis), the DASH bandwidth the least rate that delivers every segment in time after {} s of buffering. {}. Final encodes: {} preset {}; a measured rung's final encode is its trial encode (\"same bits\"); an interpolated rung's video bitrate is compared with the ladder's estimate.</p>\n",
        num(p.dash_min_buffer_s, 3),
        [
            p.hls_master.as_deref().map(|h| format!("HLS: {}", esc(h))),
            p.dash_mpd.as_deref().map(|d| format!("DASH: {}", esc(d))),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", "),
        esc(&l.encoder),
        esc(&p
            .renditions
            .iter()
            .find(|r| r.codec == l.codec)
            .map_or(l.preset.clone(), |r| r.preset.clone())),
    );
}
