//! A faster x264 preset standing in for the final one while the search measures.
//!
//! At one CRF a faster preset spends more or fewer bits than a slower one and reaches
//! another quality, by amounts that depend on the CRF and the content, and less on the
//! resolution (measured on the shared clips, superfast against medium: 1.84, 1.91 and 1.90
//! times the bits at CRF 20 at 270p, 540p and 720p of the coffee clip, 1.76 and 1.45 at 270p
//! and 480p of the talking head). So the final preset is calibrated against the proxy
//! ([`Calibration`]): first on the cheapest resolution at a few CRFs
//! ([`calibration_specs`]), then on every resolution from the final encodes made so far.
//! Every proxy point is mapped to what the final preset would give ([`Calibration::predict`])
//! and the ladder chosen on those predictions names the points to encode at the final preset.

use crate::measure::point::{Metric, Point, round};
use crate::measure::trial::TrialSpec;
use crate::source::resolution::Resolution;
use serde::{Deserialize, Serialize};

/// The points the calibration measures at both presets: the cheapest resolution at the
/// lowest and highest of `crfs` and the one nearest their middle.
pub fn calibration_specs(cheapest: Resolution, crfs: &[f64]) -> Vec<TrialSpec> {
    let lo = crfs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = crfs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mid = crfs.iter().copied().min_by(|a, b| {
        (a - (lo + hi) / 2.0)
            .abs()
            .total_cmp(&(b - (lo + hi) / 2.0).abs())
    });
    let mut specs: Vec<TrialSpec> = Vec::new();
    for crf in [Some(lo), mid, Some(hi)].into_iter().flatten() {
        let spec = TrialSpec::crf(cheapest, crf);
        if crf.is_finite() && !specs.contains(&spec) {
            specs.push(spec);
        }
    }
    specs
}

/// How the final preset differs from the proxy at one resolution and CRF.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CalibrationSample {
    pub width: u32,
    pub height: u32,
    pub crf: f64,
    /// Final preset's bitrate over the proxy's.
    pub rate_factor: f64,
    /// Final preset's quality minus the proxy's, on the hull metric.
    pub quality_delta: f64,
}

/// The final preset's bitrate and quality as a function of the proxy's, by resolution and
/// CRF. The cheapest resolution's samples give the base curve: log rate factor and quality
/// delta interpolated linearly in CRF, held beyond the ends. Another resolution's samples
/// correct it by their own difference from the base curve, interpolated the same way.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Calibration {
    /// By height, width, then CRF.
    samples: Vec<CalibrationSample>,
    /// The resolution of the base curve.
    base: (u32, u32),
}

/// The proxy's bitrate and quality at `crf` on `size`'s points: measured, or interpolated
/// between the two nearest measured CRFs (log bitrate and quality linear in CRF).
fn proxy_at(proxy: &[Point], size: (u32, u32), crf: f64, metric: Metric) -> Option<(f64, f64)> {
    let mut own: Vec<&Point> = proxy
        .iter()
        .filter(|p| {
            (p.width, p.height) == size && p.bitrate_kbps > 0.0 && metric.of(*p).is_finite()
        })
        .collect();
    own.sort_by(|a, b| a.crf.total_cmp(&b.crf));
    if let Some(p) = own.iter().find(|p| p.crf == crf) {
        return Some((p.bitrate_kbps, metric.of(*p)));
    }
    let i = own.partition_point(|p| p.crf < crf);
    let (a, b) = (own.get(i.checked_sub(1)?)?, own.get(i)?);
    let t = (crf - a.crf) / (b.crf - a.crf);
    let ln = a.bitrate_kbps.ln() + t * (b.bitrate_kbps.ln() - a.bitrate_kbps.ln());
    let (qa, qb) = (metric.of(*a), metric.of(*b));
    Some((ln.exp(), qa + t * (qb - qa)))
}

/// `(ln rate factor, quality delta)` at `crf` from samples sorted by CRF, held beyond the
/// ends; `None` without samples.
fn interpolate(samples: &[(f64, f64, f64)], crf: f64) -> Option<(f64, f64)> {
    let (first, last) = (samples.first()?, samples.last()?);
    if crf <= first.0 {
        return Some((first.1, first.2));
    }
    if crf >= last.0 {
        return Some((last.1, last.2));
    }
    let i = samples.partition_point(|x| x.0 <= crf);
    let (a, b) = (samples[i - 1], samples[i]);
    let t = (crf - a.0) / (b.0 - a.0);
    Some((a.1 + t * (b.1 - a.1), a.2 + t * (b.2 - a.2)))
}

impl Calibration {
    /// Compare every final point with the proxy at the same resolution and CRF (measured, or
    /// interpolated between the proxy's CRFs there); `base` is the cheapest resolution.
    pub fn measure(proxy: &[Point], finals: &[Point], metric: Metric, base: Resolution) -> Self {
        let mut samples: Vec<CalibrationSample> = finals
            .iter()
            .filter_map(|f| {
                let (kbps, quality) = proxy_at(proxy, (f.width, f.height), f.crf, metric)?;
                let qf = metric.of(f);
                (f.bitrate_kbps > 0.0 && qf.is_finite()).then(|| CalibrationSample {
                    width: f.width,
                    height: f.height,
                    crf: f.crf,
                    rate_factor: round(f.bitrate_kbps / kbps, 6),
                    quality_delta: round(qf - quality, 6),
                })
            })
            .collect();
        samples.sort_by(|a, b| {
            (a.height, a.width)
                .cmp(&(b.height, b.width))
                .then(a.crf.total_cmp(&b.crf))
        });
        samples.dedup_by(|a, b| (a.width, a.height, a.crf) == (b.width, b.height, b.crf));
        Calibration {
            samples,
            base: (base.width, base.height),
        }
    }

    /// Every sample, by height, width, then CRF.
    pub fn samples(&self) -> &[CalibrationSample] {
        &self.samples
    }

    fn curve(&self, size: (u32, u32)) -> Vec<(f64, f64, f64)> {
        self.samples
            .iter()
            .filter(|s| (s.width, s.height) == size)
            .map(|s| (s.crf, s.rate_factor.ln(), s.quality_delta))
            .collect()
    }

    /// `(rate factor, quality delta)` at `crf` on a `width` x `height` encode (1 and 0
    /// without samples).
    pub fn at(&self, width: u32, height: u32, crf: f64) -> (f64, f64) {
        let base_curve = self.curve(self.base);
        let base = |c: f64| interpolate(&base_curve, c).unwrap_or((0.0, 0.0));
        let (mut ln, mut delta) = base(crf);
        if (width, height) != self.base {
            let residuals: Vec<(f64, f64, f64)> = self
                .curve((width, height))
                .into_iter()
                .map(|(c, l, d)| {
                    let (bl, bd) = base(c);
                    (c, l - bl, d - bd)
                })
                .collect();
            if let Some((rl, rd)) = interpolate(&residuals, crf) {
                ln += rl;
                delta += rd;
            }
        }
        (ln.exp(), delta)
    }

    /// What `p` (a proxy point) would measure at the final preset: its bitrate and segment
    /// sizes scaled, its quality on `metric` shifted. Only the ladder's inputs are mapped.
    pub fn predict(&self, p: &Point, metric: Metric) -> Point {
        let (factor, delta) = self.at(p.width, p.height, p.crf);
        let mut q = p.clone();
        q.bitrate_kbps = p.bitrate_kbps * factor;
        q.segment_sizes_bits = p
            .segment_sizes_bits
            .iter()
            .map(|&b| (b as f64 * factor).round() as u64)
            .collect();
        shift_quality(&mut q, metric, delta);
        q
    }
}

/// Add `delta` to `p`'s quality on `metric`.
pub fn shift_quality(p: &mut Point, metric: Metric, delta: f64) {
    match metric {
        Metric::Vmaf => p.vmaf = p.vmaf.map(|v| v + delta),
        Metric::Psnr => p.psnr_y += delta,
        Metric::Ssim => p.ssim_y += delta,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn point(height: u32, crf: f64, kbps: f64, vmaf: f64) -> Point {
        Point {
            width: height * 16 / 9,
            height,
            crf,
            bitrate_kbps: kbps,
            psnr_y: 40.0,
            psnr_yuv: 41.0,
            ssim_y: 0.98,
            vmaf: Some(vmaf),
            pooling: BTreeMap::new(),
            segment_sizes_bits: vec![1000, 3000],
            segment_means: BTreeMap::new(),
            shots: None,
            on_hull: false,
            codecs: String::new(),
        }
    }

    #[test]
    fn calibration_crfs_cover_the_range() {
        let r = Resolution::new(384, 216);
        let crfs = |grid: &[f64]| -> Vec<f64> {
            calibration_specs(r, grid)
                .iter()
                .map(|s| s.rate.crf().unwrap())
                .collect()
        };
        assert_eq!(crfs(&[16.0, 29.5, 43.0]), vec![16.0, 29.5, 43.0]);
        assert_eq!(
            crfs(&[38.0, 18.0, 22.0, 26.0, 34.0]),
            vec![18.0, 26.0, 38.0]
        );
        assert_eq!(crfs(&[20.0]), vec![20.0]);
        assert!(crfs(&[]).is_empty());
    }

    #[test]
    fn base_curve_interpolates_log_factor_and_delta_in_crf() {
        let base = Resolution::new(384, 216);
        let proxy = [point(216, 20.0, 200.0, 90.0), point(216, 40.0, 40.0, 60.0)];
        // The final preset: half the bits at CRF 20, an eighth at CRF 40 (log-midpoint: a
        // quarter at CRF 30); 2 points more quality at 20, 4 fewer at 40.
        let finals = [
            point(216, 40.0, 5.0, 56.0),
            point(216, 20.0, 100.0, 92.0),
            point(216, 50.0, 1.0, 1.0), // outside the proxy's CRFs: not a sample
        ];
        let c = Calibration::measure(&proxy, &finals, Metric::Vmaf, base);
        assert_eq!(c.samples().len(), 2);
        let (f, d) = c.at(384, 216, 30.0);
        assert!((f - 0.25).abs() < 1e-9 && (d + 1.0).abs() < 1e-9, "{f} {d}");
        let close =
            |(f, d): (f64, f64), (g, e): (f64, f64)| (f - g).abs() < 1e-12 && (d - e).abs() < 1e-12;
        assert!(close(c.at(384, 216, 10.0), (0.5, 2.0)));
        assert!(close(c.at(384, 216, 50.0), (0.125, -4.0)));
        // Another resolution without samples of its own follows the base curve.
        let p = c.predict(&point(720, 20.0, 1000.0, 80.0), Metric::Vmaf);
        assert!(close((p.bitrate_kbps, p.vmaf.unwrap()), (500.0, 82.0)));
        assert_eq!(p.segment_sizes_bits, vec![500, 1500]);
        assert_eq!(Calibration::default().at(1280, 720, 25.0), (1.0, 0.0));
    }

    #[test]
    fn a_resolution_corrects_the_base_curve_by_its_own_samples() {
        let base = Resolution::new(384, 216);
        let proxy = [
            point(216, 20.0, 200.0, 90.0),
            point(216, 40.0, 40.0, 60.0),
            point(720, 20.0, 2000.0, 95.0),
            point(720, 30.0, 1000.0, 85.0),
        ];
        let finals = [
            point(216, 20.0, 100.0, 90.0), // base: factor 1/2 at 20 ...
            point(216, 40.0, 10.0, 60.0),  // ... 1/4 at 40
            // 720p at CRF 25, between its proxy CRFs (proxy: sqrt(2000 * 1000) kbps, 90):
            // 1000 kbps and 91, i.e. its own factor 1/sqrt(2) and delta +1.
            point(720, 25.0, 1000.0, 91.0),
        ];
        let c = Calibration::measure(&proxy, &finals, Metric::Vmaf, base);
        assert_eq!(c.samples().len(), 3);
        let (f, d) = c.at(1280, 720, 25.0);
        assert!(
            (f - 0.5f64.sqrt()).abs() < 1e-5 && (d - 1.0).abs() < 1e-5,
            "{f} {d}"
        );
        // Away from its sample, 720p keeps its ratio to the base curve: the base falls by
        // 2^-0.75 from CRF 25 (2^-1.25) to 40 (2^-2), so 720p at 40 is 2^-0.5 * 2^-0.75.
        let (f, _) = c.at(1280, 720, 40.0);
        assert!((f - 2f64.powf(-1.25)).abs() < 1e-5, "{f}");
    }
}
