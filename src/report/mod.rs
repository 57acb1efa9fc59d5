//! A ladder.json as one self-contained HTML page: the rate-quality plot (every measured point
//! by resolution, the convex hull, the rungs, the reference ladder when there is one), the
//! bitrate of each segment of each rung, and tables of the rungs, the ladder's expected
//! quality, the comparison, the settings and the source; with a playback simulation
//! (`pertitle simulate`), its QoE tables, distributions and session timelines.
//!
//! The page has no scripts and no external resources: the plots are inline SVG, the frame
//! pictures inline PNG, the style inline CSS. The same manifest (and, for the pictures, the
//! same source and font) always gives the same bytes (the manifest's `timing` is not shown).

pub mod frames;
mod html;
pub mod picture;
pub mod plot;
pub mod worst;

pub use html::{PlaybackSimulation, html, html_with_simulation};
pub use plot::{DEFAULT_FONT, quality_label, rate_quality_png, rate_quality_svg, segments_svg};

use crate::Manifest;
use crate::encode::codec::Codec;
use crate::report::frames::{FramesOptions, FramesReport, snapshot};

/// One ladder's picture of one frame at every rung (the strip of [`crate::report::frames`]) for the
/// page, or why there is none.
pub struct Strip {
    /// The ladder's codec.
    pub codec: Codec,
    /// The strip as PNG bytes and what it shows, or the error that stopped it.
    pub picture: std::result::Result<(Vec<u8>, FramesReport), crate::Error>,
}

/// The strip of every ladder of `manifest` (`options.codec` is ignored), all at one frame:
/// `options.at`, or else the frame the first ladder's strip chose, so the codecs are seen
/// side by side. A ladder whose strip cannot be made (no source at hand, no font) gets the
/// error instead, so the rest of the page is still written; an interruption (Ctrl-C) stops
/// it all.
pub fn strips(
    manifest: &Manifest,
    options: &FramesOptions,
    progress: &dyn crate::util::progress::Progress,
) -> crate::Result<Vec<Strip>> {
    let mut strips = Vec::with_capacity(manifest.ladders.len());
    // The first strip made: its time, codec and why its frame was chosen.
    let mut first: Option<(f64, Codec, String)> = None;
    for l in &manifest.ladders {
        let frame_options = FramesOptions {
            codec: Some(l.codec),
            at: options.at.or(first.as_ref().map(|f| f.0)),
            ..options.clone()
        };
        let picture = match snapshot(manifest, &frame_options, progress)
            .and_then(|s| Ok((crate::report::picture::compose::png(&s.strip)?, s.report)))
        {
            Err(crate::Error::Interrupted) => return Err(crate::Error::Interrupted),
            other => other,
        };
        let picture = picture.map(|(png, mut report)| {
            match (&first, options.at) {
                (None, _) => first = Some((report.time_s, l.codec, report.chosen.clone())),
                (Some((_, codec, why)), None) => {
                    report.chosen = format!("the {codec} strip's frame: {why}");
                }
                (Some(_), Some(_)) => {}
            }
            (png, report)
        });
        strips.push(Strip {
            codec: l.codec,
            picture,
        });
    }
    Ok(strips)
}

#[cfg(test)]
mod tests {
    //! The SVG and the page need no font: nothing in this test binary registers one.

    use super::*;
    use crate::FrameRate;
    use crate::manifest::{
        CodecLadder, Generator, LadderSummary, LadderTiming, Segments, Settings, SourceSummary,
        Timing,
    };
    use crate::measure::point::{Metric, Point, Rung};
    use crate::source::resolution::Resolution;
    use crate::{Manifest, ladder};
    use std::collections::BTreeMap;

    fn point(height: u32, crf: f64, kbps: f64, psnr: f64, on_hull: bool) -> Point {
        Point {
            width: height * 16 / 9,
            height,
            crf,
            bitrate_kbps: kbps,
            psnr_y: psnr,
            psnr_yuv: psnr - 0.3,
            ssim_y: 0.9 + psnr / 1000.0,
            vmaf: None,
            pooling: BTreeMap::new(),
            segment_sizes_bits: vec![(kbps * 2000.0) as u64, (kbps * 2200.0) as u64],
            segment_means: BTreeMap::new(),
            shots: None,
            on_hull,
            codecs: "avc1.64001f".into(),
        }
    }

    fn manifest() -> Manifest {
        let points = vec![
            point(360, 24.0, 800.0, 36.0, true),
            point(360, 32.0, 300.0, 32.0, true),
            point(720, 24.0, 2500.0, 41.0, true),
            point(720, 32.0, 900.0, 35.0, false),
        ];
        let durations = vec![2.0, 2.0];
        let mut rungs = vec![
            Rung::from_point(&points[1], &durations),
            Rung::interpolated(&points[1], &points[0], 0.5, 550.0, 28.0, &durations),
            Rung::from_point(&points[2], &durations),
        ];
        rungs[0].peak_kbps = 330.0;
        Manifest {
            schema_version: crate::manifest::SCHEMA_VERSION,
            generator: Generator {
                name: "pertitle".into(),
                version: "0.1.0".into(),
                libavcodec: "59.37.100".into(),
            },
            source: SourceSummary {
                path: "clips/a&b.mp4".into(),
                width: 1280,
                height: 720,
                rotation: 0,
                converted_from: None,
                frame_rate: FrameRate::new(25, 1).unwrap(),
                frames: 100,
                duration_s: 4.0,
            },
            settings: Settings {
                heights: vec![720, 360],
                resolutions: vec![Resolution::new(640, 360), Resolution::new(1280, 720)],
                segment_seconds: 2.0,
                display: Resolution::new(1280, 720),
                downscale: "lanczos".into(),
                upscale: "bicubic".into(),
                metric: Metric::Psnr,
                vmaf_model: None,
                vmaf_engine: None,
                vmaf_subsample: None,
                quality_field: "psnr_y".into(),
                constraints: ladder::Constraints::default(),
                objective: ladder::Objective::default(),
                devices: Vec::new(),
            },
            segments: Segments {
                count: 2,
                frames: vec![50, 50],
                durations_s: durations,
            },
            shots: None,
            ladders: vec![CodecLadder {
                codec: crate::encode::codec::Codec::X264,
                encoder: "libx264".into(),
                preset: "medium".into(),
                proxy_preset: None,
                encoder_threads: 1,
                keyframes: "closed GOP".into(),
                crfs: vec![24.0, 32.0],
                points,
                proxy_points: Vec::new(),
                rungs,
                capped_crf: None,
                summary: LadderSummary {
                    viewer_kbps: [300.0, 2500.0],
                    expected_quality: 36.5,
                    interpolated_rungs: 1,
                    ..Default::default()
                },
                comparison: None,
                search: Default::default(),
            }],
            codec_comparisons: Vec::new(),
            timing: Timing {
                wall_s: 1.0,
                jobs: 1,
                encode_cpu_s: 1.0,
                cached_encodes: 0,
                ladders: vec![LadderTiming {
                    codec: crate::encode::codec::Codec::X264,
                    encode_cpu_s: 1.0,
                    points_encode_cpu_s: vec![0.25; 4],
                    proxy_points_encode_cpu_s: Vec::new(),
                    cached_encodes: 0,
                }],
            },
        }
    }

    #[test]
    fn page_and_plots_render_without_a_font() {
        let m = manifest();
        let svg = rate_quality_svg(&m, &m.ladders[0]).unwrap();
        assert!(svg.starts_with("<svg"));
        for label in ["640x360", "1280x720", "convex hull", "rungs (interpolated)"] {
            assert!(svg.contains(&format!("\n{label}\n</text>")), "{label}");
        }
        let segments = segments_svg(&m, &m.ladders[0], None).unwrap().unwrap();
        assert!(segments.contains("rung 1: 640x360 CRF 32"));
        assert!(segments.contains("rung 3: 1280x720 CRF 24"));
        assert!(
            !segments.contains("rung 2:"),
            "interpolated: no segment sizes"
        );
        let page = html(&m, None, &[]).unwrap();
        assert!(page.contains("clips/a&amp;b.mp4"));
        assert!(page.contains("Rung 2 is interpolated"));
        assert!(page.contains(">330.0<"));
        assert_eq!(page, html(&m, None, &[]).unwrap());
        assert!(!page.contains("Quality per device"));
    }

    /// A run scored for device classes gets a plot per class, on the class's own quality
    /// and hull, and a table of every rung on every class.
    #[test]
    fn device_classes_get_their_own_plots_and_table() {
        let mut m = manifest();
        m.settings.devices = vec![crate::measure::devices::DeviceScoring {
            name: "phone".into(),
            key: "vmaf_phone".into(),
            model: crate::VmafModel::Phone,
            display: Resolution::new(1920, 1080),
        }];
        let l = &mut m.ladders[0];
        // The phone's quality: 50 + the PSNR, so its hull is the same points'.
        for p in l.points.iter_mut() {
            let q = 50.0 + p.psnr_y;
            p.pooling.insert(
                "vmaf_phone".into(),
                crate::measure::metrics::pool::Pooled {
                    mean: q,
                    harmonic_mean: q,
                    min: q,
                    min_frame: Some(0),
                    p5: q,
                },
            );
        }
        let durations = [2.0, 2.0];
        l.rungs = vec![
            Rung::from_point(&l.points[1], &durations),
            Rung::from_point(&l.points[2], &durations),
        ];
        let svg = plot::device_rate_quality_svg(&m, &m.ladders[0], &m.settings.devices[0]).unwrap();
        assert!(
            svg.contains("VMAF on phone (phone model at 1920x1080)"),
            "axis label"
        );
        assert!(svg.contains("\nconvex hull\n</text>"));
        let page = html(&m, None, &[]).unwrap();
        assert!(page.contains("Quality per device"));
        // Rung 1 is the 300 kbps point (PSNR 32): 82.00 on the phone.
        assert!(page.contains("<td>82.00</td>"), "rung 1 on the phone");
        assert!(page.contains("<td>91.00</td>"), "rung 2 on the phone");
    }

    /// A ladder with costs gets delivery and storage rows and the frontier as a table, the
    /// chosen ladder marked; one without (an older manifest) gets neither.
    #[test]
    fn costs_and_the_frontier_are_shown() {
        use crate::manifest::cost::{FrontierLadder, LadderCost};
        let mut m = manifest();
        let row =
            |rungs: usize, q: f64, kbps: f64, gain: Option<f64>, chosen: bool| FrontierLadder {
                rungs,
                top: "1280x720".into(),
                top_kbps: 2500.0,
                expected_quality: q,
                expected_kbps: kbps,
                delivery_usd_per_1000_hours: kbps * 0.009,
                total_kbps: 3000.0,
                storage_gb: 0.002,
                quality_per_dollar: gain,
                chosen,
            };
        m.ladders[0].summary.cost = Some(LadderCost {
            delivery_per_gb: 0.02,
            storage_per_gb_month: 0.023,
            expected_kbps: 900.0,
            delivery_gb_per_hour: 0.405,
            delivery_usd_per_1000_hours: 8.1,
            storage_gb: 0.0025,
            storage_usd_per_month: 0.0000518,
            devices: Vec::new(),
            frontier: vec![
                row(1, 30.0, 300.0, None, false),
                row(3, 36.5, 900.0, Some(1.2037), true),
            ],
            quality_per_dollar: Some(1.2037),
        });
        let page = html(&m, None, &[]).unwrap();
        assert!(
            page.contains("$8.10 per 1,000 viewing hours at $0.02/GB"),
            "delivery"
        );
        assert!(page.contains("0.0025 GB for"), "storage");
        assert!(page.contains("Quality and cost"));
        assert!(page.contains("<td class=\"n\">3 <b>(this ladder)</b></td>"));
        assert!(page.contains("<td class=\"n\">1.2037</td>"));
        m.ladders[0].summary.cost = None;
        let page = html(&m, None, &[]).unwrap();
        assert!(!page.contains("Quality and cost") && !page.contains("viewing hours"));
    }
}
