//! Scoring one file against another (the `score` command).

use crate::error::{Error, Result, Setting};
use crate::measure::metrics::pool::{Pooled, pool};
use crate::measure::metrics::vmaf::native::{FrameReference, MotionTrack};
use crate::measure::metrics::vmaf::{VmafEngine, VmafModel, VmafScorer, VmafSettings};
use crate::measure::metrics::{
    MS_SSIM_MIN_SIDE, Plane, ms_ssim, psnr_from_sse, sse, ssim, ssim_and_sse,
};
use crate::source::resolution::Resolution;
use crate::source::scale::{Kernel, Scaler};
use crate::source::{FrameReader, read_ahead};
use ffmpeg_next::frame;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Which metrics to compute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreOptions {
    /// PSNR of Y, U and V, and the 6:1:1 `psnr_yuv`.
    pub psnr: bool,
    /// Luma SSIM.
    pub ssim: bool,
    /// Luma MS-SSIM (planes of at least 176x176).
    pub ms_ssim: bool,
    /// VMAF with this model.
    pub vmaf: Option<VmafSettings>,
    /// libvmaf's feature-extraction threads (0 = in the calling thread).
    pub vmaf_threads: u32,
    /// Size frames are scored at (both files resized to it, bicubic); `None` = the
    /// reference's size.
    pub display: Option<Resolution>,
}

impl Default for ScoreOptions {
    fn default() -> Self {
        ScoreOptions {
            psnr: true,
            ssim: true,
            ms_ssim: false,
            vmaf: Some(VmafSettings::default()),
            vmaf_threads: std::thread::available_parallelism().map_or(2, |n| n.get() as u32),
            display: None,
        }
    }
}

/// A metric `score` can measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScoreMetric {
    /// PSNR of Y, U and V, and the 6:1:1 `psnr_yuv`.
    Psnr,
    /// Luma SSIM.
    Ssim,
    /// Luma MS-SSIM.
    MsSsim,
    /// VMAF.
    Vmaf,
}

impl ScoreMetric {
    /// Every metric, in the order reports list them.
    pub const ALL: [ScoreMetric; 4] = [
        ScoreMetric::Psnr,
        ScoreMetric::Ssim,
        ScoreMetric::MsSsim,
        ScoreMetric::Vmaf,
    ];

    /// The per-frame field frames are ranked by on this metric.
    pub fn field(self) -> &'static str {
        match self {
            ScoreMetric::Psnr => "psnr_y",
            ScoreMetric::Ssim => "ssim_y",
            ScoreMetric::MsSsim => "ms_ssim_y",
            ScoreMetric::Vmaf => "vmaf",
        }
    }
}

impl std::fmt::Display for ScoreMetric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ScoreMetric::Psnr => "psnr",
            ScoreMetric::Ssim => "ssim",
            ScoreMetric::MsSsim => "msssim",
            ScoreMetric::Vmaf => "vmaf",
        })
    }
}

impl ScoreOptions {
    /// The metrics these options measure, in [`ScoreMetric::ALL`]'s order.
    pub fn metrics(&self) -> Vec<ScoreMetric> {
        ScoreMetric::ALL
            .into_iter()
            .filter(|m| self.measures(*m))
            .collect()
    }

    /// Whether these options measure `metric`.
    pub fn measures(&self, metric: ScoreMetric) -> bool {
        match metric {
            ScoreMetric::Psnr => self.psnr,
            ScoreMetric::Ssim => self.ssim,
            ScoreMetric::MsSsim => self.ms_ssim,
            ScoreMetric::Vmaf => self.vmaf.is_some(),
        }
    }

    /// Measure exactly `metrics` (VMAF with `vmaf`).
    pub fn set_metrics(&mut self, metrics: &[ScoreMetric], vmaf: VmafSettings) {
        self.psnr = metrics.contains(&ScoreMetric::Psnr);
        self.ssim = metrics.contains(&ScoreMetric::Ssim);
        self.ms_ssim = metrics.contains(&ScoreMetric::MsSsim);
        self.vmaf = metrics.contains(&ScoreMetric::Vmaf).then_some(vmaf);
    }
}

/// Every metric of one frame; `None` for metrics not computed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct FrameRecord {
    /// Index of the frame, from 0.
    pub frame: u64,
    /// Luma PSNR, dB (capped at 60 dB).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub psnr_y: Option<f64>,
    /// Cb PSNR, dB (capped at 60 dB).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub psnr_u: Option<f64>,
    /// Cr PSNR, dB (capped at 60 dB).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub psnr_v: Option<f64>,
    /// `(6Y + U + V) / 8` PSNR, dB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub psnr_yuv: Option<f64>,
    /// Luma SSIM (0 to 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssim_y: Option<f64>,
    /// Luma MS-SSIM (0 to 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ms_ssim_y: Option<f64>,
    /// VMAF (0 to 100).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vmaf: Option<f64>,
}

/// Metric names in the order reports list them.
pub const METRIC_ORDER: [&str; 7] = [
    "psnr_y",
    "psnr_u",
    "psnr_v",
    "psnr_yuv",
    "ssim_y",
    "ms_ssim_y",
    "vmaf",
];

impl FrameRecord {
    /// The computed metrics of this frame as (name, value), in [`METRIC_ORDER`].
    pub fn values(&self) -> Vec<(&'static str, f64)> {
        [
            ("psnr_y", self.psnr_y),
            ("psnr_u", self.psnr_u),
            ("psnr_v", self.psnr_v),
            ("psnr_yuv", self.psnr_yuv),
            ("ssim_y", self.ssim_y),
            ("ms_ssim_y", self.ms_ssim_y),
            ("vmaf", self.vmaf),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect()
    }
}

/// The result of comparing a distorted file with its reference.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreReport {
    /// The reference file.
    pub reference: PathBuf,
    /// The distorted file, scored against the reference.
    pub distorted: PathBuf,
    /// The size scores are computed at: the display size (by default the reference's).
    pub width: u32,
    /// The display height, pixels.
    pub height: u32,
    /// The distorted file's frame width, pixels.
    pub distorted_width: u32,
    /// The distorted file's frame height, pixels.
    pub distorted_height: u32,
    /// The reference file's frame width, pixels.
    pub reference_width: u32,
    /// The reference file's frame height, pixels.
    pub reference_height: u32,
    /// The reference file's own pixel format. Frames (of either file) other than 8-bit 4:2:0 (yuv420p, yuvj420p) are
    /// converted to yuv420p before they are compared, as FFmpeg's `format=yuv420p` does.
    pub reference_pixel_format: String,
    /// The distorted file's pixel format.
    pub distorted_pixel_format: String,
    /// Whether the distorted frames were resized (bicubic) to the display size.
    pub scaled: bool,
    /// Frames compared: the shorter file's frame count.
    pub frames: u64,
    /// Frames decoded from the reference.
    pub reference_frames: u64,
    /// Frames decoded from the distorted file.
    pub distorted_frames: u64,
    /// The VMAF model used, when VMAF was computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vmaf_model: Option<String>,
    /// Mean of every computed metric (the same as `pooling[metric].mean`).
    #[serde(flatten)]
    pub mean: BTreeMap<String, f64>,
    /// Every computed metric pooled four ways.
    pub pooling: BTreeMap<String, Pooled>,
    /// Per-frame values, when asked for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub per_frame: Vec<FrameRecord>,
}

/// PSNR (Y, U, V, 6:1:1) and SSIM of one pair of same-size frames, as asked, with the planes
/// computed in parallel.
pub fn compare(
    reference: &frame::Video,
    distorted: &frame::Video,
    options: &ScoreOptions,
) -> FrameRecord {
    let plane_psnr = |i: usize| {
        let r = Plane::of_frame(reference, i);
        psnr_from_sse(
            sse(r, Plane::of_frame(distorted, i)),
            r.width() * r.height(),
        )
    };
    let luma = || (Plane::of_frame(reference, 0), Plane::of_frame(distorted, 0));
    let ((psnr_y, ssim_y), (rest, ms_ssim_y)) = rayon::join(
        || {
            let (r, d) = luma();
            match (options.psnr, options.ssim) {
                // One pass gives both.
                (true, true) => {
                    let (s, e) = ssim_and_sse(r, d);
                    (Some(psnr_from_sse(e, r.width() * r.height())), Some(s))
                }
                (true, false) => (Some(plane_psnr(0)), None),
                (false, true) => (None, Some(ssim(r, d))),
                (false, false) => (None, None),
            }
        },
        || {
            let uv = options.psnr.then(|| (plane_psnr(1), plane_psnr(2)));
            let ms = options
                .ms_ssim
                .then(|| {
                    let (r, d) = luma();
                    ms_ssim(r, d)
                })
                .flatten();
            (uv, ms)
        },
    );
    FrameRecord {
        psnr_y,
        psnr_u: rest.map(|r| r.0),
        psnr_v: rest.map(|r| r.1),
        psnr_yuv: psnr_y.zip(rest).map(|(y, (u, v))| (6.0 * y + u + v) / 8.0),
        ssim_y,
        ms_ssim_y,
        ..FrameRecord::default()
    }
}

/// A `read_ahead` step that resizes frames to `display` (bicubic), reusing the frames sent
/// back on `recycled`; frames already at that size pass through.
pub(crate) fn to_display(
    display: Resolution,
    recycled: std::sync::mpsc::Receiver<frame::Video>,
) -> impl FnMut(u64, frame::Video) -> Result<frame::Video> + Send {
    let mut scaler: Option<(Resolution, Scaler)> = None;
    move |_, f| {
        let this = Resolution::new(f.width(), f.height());
        if this == display {
            return Ok(f);
        }
        if scaler.as_ref().is_none_or(|(from, _)| *from != this) {
            scaler = Some((this, Scaler::new(this, display, Kernel::Bicubic)?));
        }
        let (_, s) = scaler
            .as_mut()
            .ok_or_else(|| Error::Internal("no scaler".into()))?;
        let mut out = recycled.try_recv().unwrap_or_else(|_| s.output_frame());
        s.scale_into(&f, &mut out)?;
        Ok(out)
    }
}

/// Compare `distorted` against `reference` frame by frame, both at the display size (by
/// default the reference's; frames of another size are resized to it, bicubic). When the files differ in length, the common
/// leading frames are compared. `keep_frames` keeps the per-frame values in the report.
pub fn score_with(
    reference: &Path,
    distorted: &Path,
    options: &ScoreOptions,
    keep_frames: bool,
) -> Result<ScoreReport> {
    let ref_reader = FrameReader::open(reference, 0)?;
    let dist_reader = FrameReader::open(distorted, 0)?;
    let ref_size = ref_reader.resolution();
    let dist_size = dist_reader.resolution();
    let formats = (
        ref_reader.pixel_format().to_string(),
        dist_reader.pixel_format().to_string(),
    );
    let display = options.display.unwrap_or(ref_size);
    let smaller_side = display.width.min(display.height) as usize;
    if options.ms_ssim && smaller_side < MS_SSIM_MIN_SIDE {
        return Err(Error::setting(
            Setting::Metrics,
            format!(
                "MS-SSIM needs frames of at least {MS_SSIM_MIN_SIDE}x{MS_SSIM_MIN_SIDE}; scoring at {display}"
            ),
        ));
    }
    let mut vmaf = options
        .vmaf
        .map(|v| VmafScorer::new(&v, display.width, display.height, options.vmaf_threads))
        .transpose()?;
    // The native engine's reference side, one frame ahead of the distorted side: two
    // reference slots, one being filled for the next frame while the other is read.
    let native = options.vmaf.filter(|v| v.engine == VmafEngine::Native);
    let (dw, dh) = (display.width as usize, display.height as usize);
    let mut motion = native.map(|_| MotionTrack::new(dw, dh));
    let mut slots: Vec<FrameReference> = match native {
        Some(_) => (0..2).map(|_| FrameReference::new(dw, dh)).collect(),
        None => Vec::new(),
    };
    let mut records: Vec<FrameRecord> = Vec::new();
    let (mut n_ref, mut n_dist) = (0u64, 0u64);
    std::thread::scope(|scope| -> Result<()> {
        // Both files are resized to the display size on their own decoding threads, into
        // frames the comparison sends back once done with them (no new frame per frame).
        let (recycle_ref, recycled_ref) = std::sync::mpsc::channel::<frame::Video>();
        let (recycle_dist, recycled_dist) = std::sync::mpsc::channel::<frame::Video>();
        let refs = read_ahead(scope, ref_reader, 4, to_display(display, recycled_ref));
        let dists = read_ahead(scope, dist_reader, 4, to_display(display, recycled_dist));
        // Frame i's distorted side and comparison run beside frame i + 1's reference side.
        let mut pending: Option<Pair> = None;
        let mut slot = 0;
        loop {
            let r = refs.recv().ok().transpose()?;
            let d = dists.recv().ok().transpose()?;
            n_ref += u64::from(r.is_some());
            n_dist += u64::from(d.is_some());
            let next = match (r, d) {
                (Some(r), Some(d)) => {
                    if (r.width(), r.height()) != (d.width(), d.height()) {
                        return Err(Error::Internal(format!(
                            "frames of {}x{} and {}x{} after resizing to {display}",
                            r.width(),
                            r.height(),
                            d.width(),
                            d.height()
                        )));
                    }
                    let position = records.len() + usize::from(pending.is_some());
                    let scored = options.vmaf.is_some_and(|s| s.scores(position as u64));
                    Some(Pair {
                        position,
                        scored,
                        r,
                        d,
                    })
                }
                _ => None,
            };
            let (ahead, behind) = match slots.as_mut_slice() {
                [a, b] if slot == 0 => (Some(a), Some(&*b)),
                [a, b] => (Some(b), Some(&*a)),
                _ => (None, None),
            };
            let (_, done) = rayon::join(
                || {
                    if let (Some(p), Some(m)) = (&next, motion.as_mut()) {
                        let luma = crate::measure::metrics::Plane::of_frame(&p.r, 0);
                        m.push(p.position as u64, luma, true);
                        if let (true, Some(a)) = (p.scored, ahead) {
                            a.compute(luma);
                        }
                    }
                },
                || -> Result<Option<(Pair, FrameRecord)>> {
                    let Some(p) = pending.take() else {
                        return Ok(None);
                    };
                    if let Some(v) = vmaf.as_mut() {
                        let shared = behind.filter(|_| p.scored);
                        v.push(p.position, p.scored, &p.r, shared, &p.d)?;
                    }
                    let mut record = compare(&p.r, &p.d, options);
                    record.frame = p.position as u64;
                    Ok(Some((p, record)))
                },
            );
            if let Some((p, record)) = done? {
                records.push(record);
                // A decoding thread may have finished already; then the frame is just dropped.
                if ref_size != display {
                    let _ = recycle_ref.send(p.r);
                }
                if dist_size != display {
                    let _ = recycle_dist.send(p.d);
                }
            }
            slot ^= 1;
            match next {
                Some(p) => pending = Some(p),
                None => {
                    // Count the rest of the longer file.
                    n_ref += refs.iter().map(|f| f.map(|_| 1)).sum::<Result<u64>>()?;
                    n_dist += dists.iter().map(|f| f.map(|_| 1)).sum::<Result<u64>>()?;
                    break;
                }
            }
        }
        Ok(())
    })?;
    if let (Some(v), Some(settings)) = (vmaf, options.vmaf) {
        let motion2 = match motion {
            Some(m) => m.motion2()?,
            None => Vec::new(),
        };
        let every = settings.subsample.max(1) as usize;
        for (record, score) in records.iter_mut().step_by(every).zip(v.finish(&motion2)?) {
            record.vmaf = Some(score);
        }
    }
    let mut columns: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for r in &records {
        for (name, value) in r.values() {
            columns.entry(name.to_string()).or_default().push(value);
        }
    }
    let pooling: BTreeMap<String, Pooled> = columns
        .iter()
        .filter_map(|(k, v)| pool(v).map(|p| (k.clone(), p)))
        .collect();
    Ok(ScoreReport {
        reference: reference.to_path_buf(),
        distorted: distorted.to_path_buf(),
        width: display.width,
        height: display.height,
        reference_width: ref_size.width,
        reference_height: ref_size.height,
        reference_pixel_format: formats.0,
        distorted_pixel_format: formats.1,
        distorted_width: dist_size.width,
        distorted_height: dist_size.height,
        scaled: dist_size != display,
        frames: records.len() as u64,
        reference_frames: n_ref,
        distorted_frames: n_dist,
        vmaf_model: options.vmaf.map(|v| v.model).map(|m| {
            m.version().to_string()
                + if m == VmafModel::Phone {
                    " (phone)"
                } else {
                    ""
                }
        }),
        mean: pooling.iter().map(|(k, p)| (k.clone(), p.mean)).collect(),
        pooling,
        per_frame: if keep_frames { records } else { Vec::new() },
    })
}

/// A reference frame and its distorted frame at the display size, at `position`.
struct Pair {
    position: usize,
    /// Whether VMAF scores it (`--vmaf-subsample`).
    scored: bool,
    r: frame::Video,
    d: frame::Video,
}

/// Compare two files with PSNR and SSIM (no VMAF), keeping per-frame values.
pub fn score(reference: &Path, distorted: &Path) -> Result<ScoreReport> {
    let options = ScoreOptions {
        vmaf: None,
        ..ScoreOptions::default()
    };
    score_with(reference, distorted, &options, true)
}
