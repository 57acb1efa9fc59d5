//! Adaptive search: which (resolution, CRF) points to encode next, from what has been
//! measured so far, so that the hull comes out as a dense grid would give it at a fraction of
//! the encodes.
//!
//! The search runs in waves; each wave is one pass over the source whose points encode in
//! parallel. Per resolution:
//!
//! 1. the cheapest point of the range (the highest CRF) is measured first;
//! 2. then, unless a higher resolution measured around its best point's bitrate clearly beats
//!    it there (the best resolution rises with the bitrate, so being beaten by lower ones
//!    does not count) and while that point is below `max_kbps`, the CRF expected to reach
//!    `max_kbps` (x264's rate roughly halves every 6 CRF; then the slope measured), at most
//!    two `max_crf_gap` lower at a time, so no resolution jumps to expensive CRFs the hull
//!    never uses;
//! 3. then a gap between two measured CRFs of a resolution is split while that resolution is
//!    competitive there: its curve (interpolated linearly in log rate) is compared with the
//!    upper hull of the *other* resolutions' points across the gap, inside the bitrate
//!    range. A gap where it clearly tops that hull (by more than the tolerance) and wider
//!    than `max_crf_gap` is halved; a gap where it is clearly above in part and clearly
//!    below in another holds a crossover, and is split where they cross while it is at least
//!    `max_crf_gap` wide (the hull's error there is bounded by the curves' own interpolation
//!    error, not by where exactly they cross). A resolution the hull does not need gets no more encodes; the hull's
//!    own resolutions get points every `max_crf_gap` CRF or closer.
//!
//! The search stops when no gap is worth splitting (or at `max_waves`).
//! It is a pure function of the measurements, so the same measurements give the same plan,
//! and it never proposes a point already measured.

use crate::ladder::hull::{RateQuality, upper_hull};
use crate::measure::trial::TrialSpec;
use crate::source::resolution::Resolution;
use serde::{Deserialize, Serialize};

/// How trial points are chosen.
/// What the adaptive search aims at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchSettings {
    /// CRFs searched: `[lowest, highest]`.
    pub crf_range: [f64; 2],
    /// The lowest bitrate the ladder may use, kbit/s.
    pub min_kbps: f64,
    /// The highest bitrate the ladder may use, kbit/s; `None`: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_kbps: Option<f64>,
    /// A gap is split while the hull could still rise by more than this (quality units).
    pub tolerance: f64,
    /// Gaps narrower than twice this (in CRF) are not split.
    pub min_crf_gap: f64,
    /// Gaps of a competitive resolution wider than this (in CRF) are split.
    pub max_crf_gap: f64,
    /// CRFs proposed are multiples of this.
    pub crf_step: f64,
    /// At most this many waves.
    pub max_waves: usize,
}

/// One measured point, as the search sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    /// The encoded size.
    pub resolution: Resolution,
    /// The CRF it was encoded at.
    pub crf: f64,
    /// Bitrate, kbit/s.
    pub kbps: f64,
    /// Quality on the hull's metric.
    pub quality: f64,
}

/// CRF units per halving of x264's bitrate (a rule of thumb, used only to aim the second
/// point of a resolution).
const CRF_PER_HALVING: f64 = 6.0;

/// `crf` on the grid of multiples of `step` (unchanged when `step` is 0).
pub fn snap(crf: f64, step: f64) -> f64 {
    if step > 0.0 {
        (crf / step).round() * step
    } else {
        crf
    }
}

/// The first wave: every resolution at the highest CRF of the range.
pub fn first_wave(resolutions: &[Resolution], s: &SearchSettings) -> Vec<TrialSpec> {
    resolutions
        .iter()
        .map(|&r| TrialSpec::crf(r, s.crf_range[1]))
        .collect()
}

/// The points of the next wave (empty: the search is done), by resolution then CRF.
pub fn next_wave(
    resolutions: &[Resolution],
    measured: &[Measured],
    s: &SearchSettings,
) -> Vec<TrialSpec> {
    let [lo, hi] = s.crf_range;
    let max_kbps = s.max_kbps.unwrap_or(f64::INFINITY);
    let mut wave = Vec::new();
    for &res in resolutions {
        // This resolution's points, cheapest (highest CRF) first.
        let mut pts: Vec<Measured> = measured
            .iter()
            .filter(|m| {
                m.resolution == res && m.kbps.is_finite() && m.kbps > 0.0 && m.quality.is_finite()
            })
            .copied()
            .collect();
        pts.sort_by(|a, b| b.crf.total_cmp(&a.crf));
        let taken = |crf: f64| measured.iter().any(|m| m.resolution == res && m.crf == crf);
        let mut propose = |crf: f64| {
            if !crf.is_finite() {
                return;
            }
            let crf = snap(crf.clamp(lo, hi), s.crf_step).clamp(lo, hi);
            if !taken(crf) && !wave.contains(&TrialSpec::crf(res, crf)) {
                wave.push(TrialSpec::crf(res, crf));
            }
        };
        let Some(&best) = pts.last() else {
            continue;
        };
        // Toward lower CRFs, unless a higher resolution measured around the best point's
        // bitrate clearly beats it there (the best resolution rises with the bitrate, so a
        // resolution that only lower ones beat may still win at higher bitrates), until the
        // range's top bitrate or CRF.
        let higher = Envelope::new(&rate_quality(
            measured
                .iter()
                .filter(|m| m.resolution.pixels() > res.pixels()),
        ));
        let beaten = higher
            .within(best.kbps)
            .is_some_and(|q| q > best.quality + s.tolerance);
        if !beaten && best.kbps < max_kbps && best.crf - lo >= s.min_crf_gap {
            let slope = match pts.len() {
                // CRF per doubling of rate, from the two best points when there are two.
                n if n >= 2 => {
                    let prev = pts[n - 2];
                    let d = (best.kbps / prev.kbps).log2();
                    if d > 0.05 {
                        (prev.crf - best.crf) / d
                    } else {
                        CRF_PER_HALVING
                    }
                }
                _ => CRF_PER_HALVING,
            };
            let target = best.crf - slope * (max_kbps / best.kbps).log2();
            // At least one minimum gap down, at most two maximum gaps (so no resolution
            // jumps to an expensive CRF the hull may never use), not past the range's end.
            let crf = target
                .min(best.crf - s.min_crf_gap)
                .max(best.crf - 2.0 * s.max_crf_gap)
                .max(lo);
            propose(crf);
        }
        // Split the gaps where this resolution competes for the hull.
        let others = Envelope::new(&rate_quality(
            measured.iter().filter(|m| m.resolution != res),
        ));
        for pair in pts.windows(2) {
            let (a, b) = (pair[0], pair[1]); // a: the lower rate (higher CRF)
            let width = a.crf - b.crf;
            if width < 2.0 * s.min_crf_gap || b.kbps <= a.kbps {
                continue;
            }
            if let Some(crf) = split(a, b, &others, s) {
                propose(crf);
            }
        }
    }
    wave.sort_by(|a, b| {
        a.resolution.cmp(&b.resolution).then(
            a.rate
                .crf()
                .unwrap_or(0.0)
                .total_cmp(&b.rate.crf().unwrap_or(0.0)),
        )
    });
    wave
}

/// The points with a usable bitrate, as rate-quality pairs.
fn rate_quality<'a>(points: impl Iterator<Item = &'a Measured>) -> Vec<RateQuality> {
    points
        .filter(|m| m.kbps > 0.0 && m.kbps.is_finite() && m.quality.is_finite())
        .map(|m| RateQuality {
            kbps: m.kbps,
            quality: m.quality,
        })
        .collect()
}

/// Samples per gap when comparing a resolution's curve with the others' hull.
const GAP_SAMPLES: usize = 24;

/// Where to split the gap between `a` and `b` (`a` the cheaper), if anywhere: `None` unless
/// the resolution comes within the tolerance of the other resolutions' hull `others` inside
/// the bitrate range. A crossover is split where the curves cross (while the gap is at least
/// `max_crf_gap` wide); otherwise a gap wider than `max_crf_gap` is split in the middle.
fn split(a: Measured, b: Measured, others: &Envelope, s: &SearchSettings) -> Option<f64> {
    let (la, lb) = (a.kbps.ln(), b.kbps.ln());
    let from = a.kbps.max(s.min_kbps).ln();
    let to = b.kbps.min(s.max_kbps.unwrap_or(f64::INFINITY)).ln();
    if from > to {
        return None;
    }
    // (t along the gap in log rate, this resolution's quality minus the others' hull).
    let lead: Vec<(f64, f64)> = (0..=GAP_SAMPLES)
        .map(|k| {
            let x = from + (to - from) * k as f64 / GAP_SAMPLES as f64;
            let t = (x - la) / (lb - la);
            let q = a.quality + t * (b.quality - a.quality);
            (t, q - others.at(x.exp()))
        })
        .collect();
    let best = lead.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    if best < -s.tolerance {
        return None;
    }
    let width = a.crf - b.crf;
    let crf_at = |t: f64| a.crf + t.clamp(0.0, 1.0) * (b.crf - a.crf);
    let keep_off_ends =
        |crf: f64| snap(crf, s.crf_step).clamp(b.crf + s.min_crf_gap, a.crf - s.min_crf_gap);
    let worst = lead.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    // A crossover that matters: this curve is clearly above the others' hull in part of the
    // gap and clearly below in another (two near-equal curves may cross anywhere: the hull
    // is right within the tolerance either way). Split where they cross.
    let crossing = (best > s.tolerance && worst < -s.tolerance)
        .then(|| {
            lead.windows(2)
                .find(|w| {
                    w[0].1.is_finite() && w[1].1.is_finite() && (w[0].1 > 0.0) != (w[1].1 > 0.0)
                })
                .map(|w| {
                    let (t0, d0, t1, d1) = (w[0].0, w[0].1, w[1].0, w[1].1);
                    t0 + (t1 - t0) * d0 / (d0 - d1)
                })
        })
        .flatten();
    match crossing {
        // Located to half the maximum gap: the hull's error there is bounded by the
        // curves' own interpolation error, not by where exactly they cross.
        Some(t) if width >= s.max_crf_gap => Some(keep_off_ends(crf_at(t))),
        // Clearly on the hull somewhere in a wide gap: halve it.
        _ if best > s.tolerance && width > s.max_crf_gap => Some(keep_off_ends(crf_at(0.5))),
        _ => None,
    }
}

/// The upper hull of every measured point as a function of rate: linear between hull
/// vertices, flat beyond the best point, and minus infinity below the cheapest.
struct Envelope {
    hull: Vec<RateQuality>,
}

impl Envelope {
    fn new(points: &[RateQuality]) -> Self {
        Envelope {
            hull: upper_hull(points).into_iter().map(|i| points[i]).collect(),
        }
    }

    /// The hull at `x` where its points span `x`; `None` outside them.
    fn within(&self, x: f64) -> Option<f64> {
        let (first, last) = (self.hull.first()?, self.hull.last()?);
        (first.kbps <= x && x <= last.kbps).then(|| self.at(x))
    }

    fn at(&self, x: f64) -> f64 {
        let (Some(first), Some(last)) = (self.hull.first(), self.hull.last()) else {
            return f64::NEG_INFINITY;
        };
        if !x.is_finite() || x < first.kbps {
            return f64::NEG_INFINITY;
        }
        if x >= last.kbps {
            return last.quality;
        }
        let i = self.hull.partition_point(|p| p.kbps <= x);
        let (p, q) = (self.hull[i - 1], self.hull[i]);
        p.quality + (q.quality - p.quality) * (x - p.kbps) / (q.kbps - p.kbps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A synthetic title: resolution `h` at CRF `c` gives rate 2^((51 - c) / 6) * pixels
    /// factor and a quality that saturates at a ceiling set by the resolution (the upscale
    /// loses detail), so resolutions cross over as on real content.
    fn model(res: Resolution, crf: f64) -> (f64, f64) {
        let px = res.pixels() as f64 / (1920.0 * 1080.0);
        let kbps = 6000.0 * px.powf(0.75) * 2f64.powf((26.0 - crf) / 6.0);
        let ceiling = 100.0 - 30.0 * (1.0 - px.sqrt());
        let quality = ceiling * (1.0 - (-kbps / (900.0 * px.sqrt())).exp());
        (kbps, quality)
    }

    fn resolutions() -> Vec<Resolution> {
        [1080, 720, 540, 360, 270, 216]
            .iter()
            .map(|&h| Resolution::new(h * 16 / 9 / 2 * 2, h))
            .collect()
    }

    fn settings() -> SearchSettings {
        SearchSettings {
            crf_range: [16.0, 43.0],
            min_kbps: 0.0,
            max_kbps: Some(8000.0),
            tolerance: 2.0,
            min_crf_gap: 1.0,
            max_crf_gap: 4.0,
            crf_step: 0.5,
            max_waves: 12,
        }
    }

    fn measure(specs: &[TrialSpec]) -> Vec<Measured> {
        specs
            .iter()
            .map(|s| {
                let crf = s.rate.crf().unwrap();
                let (kbps, quality) = model(s.resolution, crf);
                Measured {
                    resolution: s.resolution,
                    crf,
                    kbps,
                    quality,
                }
            })
            .collect()
    }

    /// Run the whole search on the model; every wave's specs.
    fn run(s: &SearchSettings) -> Vec<Vec<TrialSpec>> {
        let res = resolutions();
        let mut waves = vec![first_wave(&res, s)];
        let mut measured = measure(&waves[0]);
        while waves.len() < s.max_waves {
            let wave = next_wave(&res, &measured, s);
            if wave.is_empty() {
                break;
            }
            measured.extend(measure(&wave));
            waves.push(wave);
        }
        waves
    }

    fn hull_of(specs: &[TrialSpec]) -> Vec<RateQuality> {
        let pts: Vec<RateQuality> = measure(specs)
            .iter()
            .map(|m| RateQuality {
                kbps: m.kbps,
                quality: m.quality,
            })
            .collect();
        upper_hull(&pts).into_iter().map(|i| pts[i]).collect()
    }

    #[test]
    fn finds_the_dense_hull_with_far_fewer_points() {
        let s = settings();
        let waves = run(&s);
        let adaptive: Vec<TrialSpec> = waves.concat();
        // A dense grid: 6 resolutions x 10 CRFs (16, 19, ..., 43).
        let dense: Vec<TrialSpec> = resolutions()
            .iter()
            .flat_map(|&r| (0..10).map(move |k| TrialSpec::crf(r, 16.0 + 3.0 * f64::from(k))))
            .collect();
        eprintln!(
            "model title: {} points in {} waves (dense grid {})",
            adaptive.len(),
            waves.len(),
            dense.len()
        );
        assert!(
            adaptive.len() * 3 <= dense.len() * 2,
            "{} points in {} waves",
            adaptive.len(),
            waves.len()
        );
        // The adaptive hull is never far below the dense one, anywhere in the range.
        let a = Envelope {
            hull: hull_of(&adaptive),
        };
        let d = hull_of(&dense);
        let lo = a.hull[0].kbps.max(d[0].kbps);
        for p in d.iter().filter(|p| p.kbps >= lo && p.kbps <= 8000.0) {
            assert!(
                a.at(p.kbps) >= p.quality - 1.0,
                "at {} kbps: adaptive {} vs dense {}",
                p.kbps,
                a.at(p.kbps),
                p.quality
            );
        }
    }

    #[test]
    fn deterministic_and_never_repeats_a_point() {
        let s = settings();
        let a = run(&s);
        assert_eq!(a, run(&s));
        let all: Vec<TrialSpec> = a.concat();
        for (i, p) in all.iter().enumerate() {
            assert!(!all[..i].contains(p), "{p} encoded twice");
            let crf = p.rate.crf().unwrap();
            assert!((16.0..=43.0).contains(&crf));
        }
        assert!(a.len() < s.max_waves, "the search converged");
    }

    #[test]
    fn a_resolution_only_lower_ones_beat_keeps_extending() {
        let s = settings();
        let (r720, r360) = (Resolution::new(1280, 720), Resolution::new(640, 360));
        let m = |resolution, crf, kbps, quality| Measured {
            resolution,
            crf,
            kbps,
            quality,
        };
        // 720p's cheapest point is well below 360p's curve at that bitrate, but no higher
        // resolution beats it: its curve may still rise above 360p's at higher bitrates.
        let measured = [
            m(r360, 43.0, 60.0, 50.0),
            m(r360, 35.0, 150.0, 75.0),
            m(r360, 27.0, 400.0, 88.0),
            m(r720, 43.0, 160.0, 40.0),
        ];
        let wave = next_wave(&[r360, r720], &measured, &s);
        assert!(
            wave.iter()
                .any(|p| p.resolution == r720 && p.rate.crf().unwrap() < 43.0),
            "{wave:?}"
        );
        // 360p's best point, beaten by a 720p curve measured around its bitrate, stops.
        let measured = [
            m(r360, 43.0, 60.0, 50.0),
            m(r360, 35.0, 150.0, 62.0),
            m(r720, 43.0, 100.0, 60.0),
            m(r720, 35.0, 300.0, 85.0),
        ];
        let wave = next_wave(&[r360, r720], &measured, &s);
        assert!(
            !wave
                .iter()
                .any(|p| p.resolution == r360 && p.rate.crf().unwrap() < 35.0),
            "{wave:?}"
        );
    }

    #[test]
    fn envelope_is_the_hull_as_a_function() {
        let e = Envelope::new(&[
            RateQuality {
                kbps: 100.0,
                quality: 50.0,
            },
            RateQuality {
                kbps: 300.0,
                quality: 70.0,
            },
            RateQuality {
                kbps: 200.0,
                quality: 40.0,
            },
        ]);
        assert_eq!(e.at(50.0), f64::NEG_INFINITY);
        assert!((e.at(200.0) - 60.0).abs() < 1e-9);
        assert_eq!(e.at(1000.0), 70.0);
    }
}
