//! Full-reference quality metrics, computed frame by frame on 8-bit planes.
//!
//! Definitions (the ones `ladder.json` reports):
//! - **PSNR** of a plane: `10 * log10(255^2 / MSE)`, capped at [`PSNR_CAP_DB`] (an identical
//!   plane scores the cap, not infinity). Per-frame values match FFmpeg's `psnr` filter.
//! - **psnr_yuv**: `(6 * Y + U + V) / 8` of the per-frame, per-plane capped PSNRs.
//! - **SSIM** of a plane: FFmpeg's `ssim` filter definition (x264's): unweighted 8x8 windows
//!   stepped by 4 pixels at full resolution, integer sums, standard C1/C2 constants.
//! - **MS-SSIM** of the Y plane: five-scale SSIM with an 11x11 Gaussian window (see `msssim`).
//! - **VMAF**: libvmaf's model score per frame ([`vmaf`]).
//! - Pooling over frames: mean, harmonic mean, min and 5th percentile ([`pool`]); the mean is
//!   what the manifest's plain fields hold.

/// Defines a function whose body is compiled twice, for the baseline CPU and with AVX2, and
/// picks the AVX2 build at run time when the CPU has it. The body must be the same arithmetic
/// either way (no fused multiply-add is enabled), so results do not depend on the machine.
macro_rules! with_avx2 {
    ($(#[$m:meta])* $vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$m])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn portable($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2")]
            fn avx2($($arg: $ty),*) $(-> $ret)? {
                portable($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2 (checked just above).
                return unsafe { avx2($($arg),*) };
            }
            portable($($arg),*)
        }
    };
}

mod msssim;
pub mod pool;
mod psnr;
mod ssim;
pub mod vmaf;

pub use msssim::{MS_SSIM_MIN_SIDE, ms_ssim};
pub use psnr::{PSNR_CAP_DB, psnr_from_sse, sse};
pub use ssim::{ssim, ssim_and_sse};

use ffmpeg_next::frame;

/// A read-only view of one 8-bit image plane.
#[derive(Clone, Copy)]
pub struct Plane<'a> {
    data: &'a [u8],
    stride: usize,
    width: usize,
    height: usize,
}

impl<'a> Plane<'a> {
    /// A plane over `data` with rows `stride` bytes apart.
    ///
    /// # Panics
    /// If `data` is too short for `height` rows of `width` pixels, or `stride < width`.
    pub fn new(data: &'a [u8], stride: usize, width: usize, height: usize) -> Self {
        assert!(stride >= width, "stride {stride} < width {width}");
        if height > 0 {
            assert!(
                data.len() >= (height - 1) * stride + width,
                "plane buffer too short"
            );
        }
        Plane {
            data,
            stride,
            width,
            height,
        }
    }

    /// Plane `index` of a decoded frame.
    pub fn of_frame(frame: &'a frame::Video, index: usize) -> Self {
        Plane::new(
            frame.data(index),
            frame.stride(index),
            frame.plane_width(index) as usize,
            frame.plane_height(index) as usize,
        )
    }

    /// Width, pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height, pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The `width` x `height` rectangle at column `x`, row `y`.
    ///
    /// # Panics
    /// If the rectangle does not fit inside this plane.
    pub fn crop(&self, x: usize, y: usize, width: usize, height: usize) -> Plane<'a> {
        assert!(
            x + width <= self.width && y + height <= self.height,
            "crop outside the plane"
        );
        if width == 0 || height == 0 {
            return Plane::new(&[], width, width, 0);
        }
        Plane::new(
            &self.data[y * self.stride + x..],
            self.stride,
            width,
            height,
        )
    }

    /// Row `y`, exactly `width` pixels (stride padding excluded).
    #[inline]
    pub fn row(&self, y: usize) -> &'a [u8] {
        &self.data[y * self.stride..y * self.stride + self.width]
    }
}

/// Quality of one distorted frame against its reference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameScores {
    /// Capped PSNR of the Y, U and V planes, dB.
    pub psnr: [f64; 3],
    /// SSIM of the Y plane.
    pub ssim_y: f64,
}

impl FrameScores {
    /// Compare two frames of the same size in an 8-bit 4:2:0 layout.
    pub fn compare(reference: &frame::Video, distorted: &frame::Video) -> Self {
        let plane = |i| (Plane::of_frame(reference, i), Plane::of_frame(distorted, i));
        let psnr_of =
            |(r, d): (Plane<'_>, Plane<'_>)| psnr_from_sse(sse(r, d), r.width() * r.height());
        let (r, d) = plane(0);
        let (ssim_y, luma_sse) = ssim_and_sse(r, d);
        let psnr = [
            psnr_from_sse(luma_sse, r.width() * r.height()),
            psnr_of(plane(1)),
            psnr_of(plane(2)),
        ];
        FrameScores { psnr, ssim_y }
    }

    /// `(6 * Y + U + V) / 8`.
    pub fn psnr_yuv(&self) -> f64 {
        (6.0 * self.psnr[0] + self.psnr[1] + self.psnr[2]) / 8.0
    }
}

/// Every metric's per-frame values over a clip, in frame order (48 bytes per frame: kept so
/// that percentiles can be pooled exactly).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FrameSeries {
    /// Luma PSNR of each frame, dB (capped).
    pub psnr_y: Vec<f64>,
    /// Cb PSNR of each frame, dB (capped).
    pub psnr_u: Vec<f64>,
    /// Cr PSNR of each frame, dB (capped).
    pub psnr_v: Vec<f64>,
    /// `(6Y + U + V) / 8` PSNR of each frame, dB.
    pub psnr_yuv: Vec<f64>,
    /// Luma SSIM of each frame.
    pub ssim_y: Vec<f64>,
    /// Empty when VMAF was not measured. With a VMAF subsample, only frames
    /// `0, vmaf_every, 2 * vmaf_every, ...` are here.
    pub vmaf: Vec<f64>,
    /// VMAF was scored on every this many frames (1: all).
    #[serde(default = "every_frame", skip_serializing_if = "is_every_frame")]
    pub vmaf_every: u32,
    /// Each device class's VMAF (its model at its display), by the key the manifest keeps it
    /// under (`vmaf_phone`), on the same frames as `vmaf`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub devices: std::collections::BTreeMap<String, Vec<f64>>,
}

impl Default for FrameSeries {
    fn default() -> Self {
        FrameSeries {
            psnr_y: Vec::new(),
            psnr_u: Vec::new(),
            psnr_v: Vec::new(),
            psnr_yuv: Vec::new(),
            ssim_y: Vec::new(),
            vmaf: Vec::new(),
            vmaf_every: 1,
            devices: std::collections::BTreeMap::new(),
        }
    }
}

fn every_frame() -> u32 {
    1
}

fn is_every_frame(n: &u32) -> bool {
    *n == 1
}

impl FrameSeries {
    /// Append one frame's PSNR and SSIM (VMAF is added separately).
    pub fn push(&mut self, s: &FrameScores) {
        self.psnr_y.push(s.psnr[0]);
        self.psnr_u.push(s.psnr[1]);
        self.psnr_v.push(s.psnr[2]);
        self.psnr_yuv.push(s.psnr_yuv());
        self.ssim_y.push(s.ssim_y);
    }

    /// Frames recorded.
    pub fn frames(&self) -> u64 {
        self.psnr_y.len() as u64
    }

    /// Every measured metric's mean over each segment, by name; `segment_frames` gives each
    /// segment's frame count, in order (frames beyond their sum are left out).
    pub fn segment_means(
        &self,
        segment_frames: &[u64],
    ) -> std::collections::BTreeMap<&str, Vec<f64>> {
        self.per_segment(segment_frames, |seg| {
            seg.iter().sum::<f64>() / seg.len() as f64
        })
    }

    /// Every measured metric's harmonic mean as libvmaf pools it (`n / sum(1 / (x + 1)) - 1`)
    /// over each segment, by name, as [`segment_means`](Self::segment_means).
    pub fn segment_harmonic_means(
        &self,
        segment_frames: &[u64],
    ) -> std::collections::BTreeMap<&str, Vec<f64>> {
        self.per_segment(segment_frames, |seg| {
            seg.len() as f64 / seg.iter().map(|x| 1.0 / (x + 1.0)).sum::<f64>() - 1.0
        })
    }

    /// Every measured metric's percentiles at `levels` (percent; linear between the closest
    /// ranks, as frames are pooled) over each segment, by name, as
    /// [`segment_means`](Self::segment_means) (empty for a segment with no value).
    pub fn segment_percentiles(
        &self,
        segment_frames: &[u64],
        levels: &[f64],
    ) -> std::collections::BTreeMap<&str, Vec<Vec<f64>>> {
        self.per_segment_with(
            segment_frames,
            |seg| {
                let mut sorted = seg.to_vec();
                sorted.sort_by(f64::total_cmp);
                levels
                    .iter()
                    .map(|&p| pool::percentile(&sorted, p))
                    .collect()
            },
            Vec::new,
        )
    }

    /// `stat` of every measured metric's values over each segment (NaN for a segment with
    /// no value).
    fn per_segment(
        &self,
        segment_frames: &[u64],
        stat: impl Fn(&[f64]) -> f64,
    ) -> std::collections::BTreeMap<&str, Vec<f64>> {
        self.per_segment_with(segment_frames, stat, || f64::NAN)
    }

    /// `stat` of every measured metric's values over each segment (`empty()` for a segment
    /// with no value).
    fn per_segment_with<T>(
        &self,
        segment_frames: &[u64],
        stat: impl Fn(&[f64]) -> T,
        empty: impl Fn() -> T,
    ) -> std::collections::BTreeMap<&str, Vec<T>> {
        self.columns()
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(name, v)| {
                // Values of frames `k * every`; a segment holds those with k * every in it.
                let every = if name.starts_with("vmaf") {
                    self.vmaf_every.max(1) as usize
                } else {
                    1
                };
                let mut frame = 0usize;
                let means = segment_frames
                    .iter()
                    .map(|&n| {
                        let (first, end) = (frame, frame + n as usize);
                        frame = end;
                        let lo = first.div_ceil(every).min(v.len());
                        let hi = end.div_ceil(every).min(v.len());
                        let seg = &v[lo..hi];
                        if seg.is_empty() { empty() } else { stat(seg) }
                    })
                    .collect();
                (name, means)
            })
            .collect()
    }

    /// Every metric's values by name: the fixed ones, then each device's VMAF (whose keys
    /// start with `vmaf_`, and are scored on `vmaf`'s frames).
    fn columns(&self) -> Vec<(&str, &Vec<f64>)> {
        let mut columns = vec![
            ("psnr_y", &self.psnr_y),
            ("psnr_u", &self.psnr_u),
            ("psnr_v", &self.psnr_v),
            ("psnr_yuv", &self.psnr_yuv),
            ("ssim_y", &self.ssim_y),
            ("vmaf", &self.vmaf),
        ];
        columns.extend(self.devices.iter().map(|(k, v)| (k.as_str(), v)));
        columns
    }

    /// Every measured metric pooled, by name (`psnr_y`, ..., `vmaf`); metrics not measured
    /// are left out.
    pub fn pooled(&self) -> std::collections::BTreeMap<&str, pool::Pooled> {
        self.columns()
            .into_iter()
            .filter_map(|(name, v)| pool::pool(v).map(|p| (name, p)))
            .collect()
    }
}
