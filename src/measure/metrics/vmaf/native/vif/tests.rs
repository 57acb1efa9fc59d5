//! VIF against libvmaf's `vif` extractor (the oracle, linked for tests) on the shared clips, on
//! synthetic textures and distortions, at odd sizes and crops, with both kernel sets.

use super::*;
use crate::measure::metrics::vmaf::libvmaf::{Extractor, features};
use crate::measure::metrics::vmaf::test_pairs::{CLIPS, Pairs, clips_dir};

/// The 12 compared features: scale score, numerator, denominator for scales 0..4.
const KINDS: [&str; 3] = ["score", "num", "den"];

/// libvmaf's names of the 12 features (`egl`: the gain limit's suffix when not default).
fn names(egl: Option<&str>) -> Vec<String> {
    let mut v = Vec::new();
    for kind in KINDS {
        for s in 0..4 {
            v.push(match (kind, egl) {
                ("score", None) => format!("VMAF_integer_feature_vif_scale{s}_score"),
                ("score", Some(e)) => format!("integer_vif_scale{s}_egl_{e}"),
                (k, None) => format!("integer_vif_{k}_scale{s}"),
                (k, Some(e)) => format!("integer_vif_{k}_scale{s}_egl_{e}"),
            });
        }
    }
    v
}

/// libvmaf's 12 values per pair.
fn oracle(pairs: &[(Plane<'_>, Plane<'_>)], gain_limit: f64) -> Option<Vec<Vec<f64>>> {
    let limit = format!("{gain_limit}");
    let default = gain_limit == 100.0;
    let mut options = vec![("debug", "true")];
    if !default {
        options.push(("vif_enhn_gain_limit", limit.as_str()));
    }
    let names = names((!default).then_some(limit.as_str()));
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let ex = Extractor {
        name: "vif",
        options: &options,
    };
    match features(&[ex], &names, pairs) {
        Ok(v) => Some(v),
        Err(e) => {
            eprintln!("libvmaf refused the pairs: {e}");
            None
        }
    }
}

/// Our 12 values per pair.
fn ours(
    pairs: &[(Plane<'_>, Plane<'_>)],
    gain_limit: f64,
    ref_isa: Isa,
    dis_isa: Isa,
) -> Vec<Vec<f64>> {
    let (w, h) = (pairs[0].0.width(), pairs[0].0.height());
    let mut reference = VifReference::new(w, h);
    let mut scratch = VifScratch::new(w, h);
    pairs
        .iter()
        .map(|&(r, d)| {
            reference.compute_with(r, ref_isa);
            let v = vif_with(&reference, d, &mut scratch, gain_limit, dis_isa);
            let mut out: Vec<f64> = (0..4).map(|s| v.scale(s)).collect();
            out.extend(v.num);
            out.extend(v.den);
            out
        })
        .collect()
}

/// Largest absolute difference per feature, and how many values differ at all.
#[derive(Default)]
struct Diff {
    max: [f64; 12],
    differing: usize,
    values: usize,
}

impl Diff {
    fn add(&mut self, a: &[Vec<f64>], b: &[Vec<f64>]) {
        for (fa, fb) in a.iter().zip(b) {
            for k in 0..12 {
                let d = (fa[k] - fb[k]).abs();
                self.max[k] = self.max[k].max(d);
                self.differing += usize::from(fa[k] != fb[k]);
                self.values += 1;
            }
        }
    }

    fn report(&self, what: &str) {
        let names = names(None);
        eprintln!(
            "{what}: {} of {} values differ; max abs difference per feature:",
            self.differing, self.values
        );
        for (name, max) in names.iter().zip(self.max) {
            eprintln!("  {name:42} {max:.3e}");
        }
    }

    fn worst(&self) -> f64 {
        self.max.iter().copied().fold(0.0, f64::max)
    }
}

/// The crops checked on every clip: whole, 301x211, and an odd size near the whole.
fn crops(w: usize, h: usize) -> [Option<(usize, usize)>; 3] {
    let odd_below = |n: usize| if n.is_multiple_of(2) { n - 1 } else { n - 2 };
    [None, Some((301, 211)), Some((odd_below(w), odd_below(h)))]
}

/// Compare against libvmaf on clips `clips`: 2 frames each from encodes at 240, 360, 540
/// and the clip's own height, whole and cropped, default gain limit and 1.0.
fn agree_on_clips(test: &str, clips: &[&str]) {
    let Some(dir) = clips_dir(test) else { return };
    let isa = Isa::detect();
    let mut diff = Diff::default();
    for clip in clips {
        // Every clip is taller than 240 lines: that encode also gives the clip's size.
        let first = Pairs::encode(&dir, clip, 2, 240, 24);
        let (cw, ch) = (
            first.reference[0].width() as usize,
            first.reference[0].height() as usize,
        );
        let mut encodes = vec![(240, first)];
        for (i, height) in [360, 540, ch as u32].into_iter().enumerate() {
            if height as usize <= ch && encodes.iter().all(|&(h, _)| h != height) {
                encodes.push((
                    height,
                    Pairs::encode(&dir, clip, 2, height, 28 + 4 * i as u32),
                ));
            }
        }
        for (height, pairs) in &encodes {
            for (c, crop) in crops(cw, ch).into_iter().enumerate() {
                let luma = pairs.luma(crop);
                for limit in [100.0, 1.0] {
                    if limit != 100.0 && c == 2 {
                        continue;
                    }
                    let Some(expected) = oracle(&luma, limit) else {
                        continue;
                    };
                    let got = ours(&luma, limit, isa, isa);
                    let mut one = Diff::default();
                    one.add(&got, &expected);
                    if one.differing > 0 {
                        eprintln!("{clip} at {height}, crop {crop:?}, limit {limit}:");
                        for (g, e) in got.iter().zip(&expected) {
                            eprintln!("  ours   {g:?}\n  libvmaf {e:?}");
                        }
                    }
                    diff.add(&got, &expected);
                }
            }
        }
    }
    diff.report(&format!("{test} ({isa:?})"));
    assert!(diff.values > 0, "nothing compared");
    assert!(diff.worst() <= 1e-4, "worst difference {}", diff.worst());
}

/// A longer comparison (about a minute): 10 frames of every clip in the shared folder,
/// strong and light compression, whole frames, both implementations.
#[test]
#[ignore]
fn agrees_with_libvmaf_on_more_frames() {
    let Some(dir) = clips_dir("agrees_with_libvmaf_on_more_frames") else {
        return;
    };
    let mut clips: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    clips.retain(|c| c.ends_with(".mp4"));
    clips.sort();
    let mut diff = Diff::default();
    for clip in &clips {
        for (height, crf) in [(288, 45), (720, 16)] {
            let pairs = Pairs::encode(&dir, clip, 10, height, crf);
            let luma = pairs.luma(None);
            for limit in [100.0, 1.0] {
                let Some(expected) = oracle(&luma, limit) else {
                    continue;
                };
                for isa in isas() {
                    diff.add(&ours(&luma, limit, isa, isa), &expected);
                }
            }
        }
        eprintln!(
            "{clip}: {} values so far, {} differ",
            diff.values, diff.differing
        );
    }
    diff.report("more frames");
    assert!(
        diff.values > 0 && diff.worst() <= 1e-4,
        "worst difference {}",
        diff.worst()
    );
}

#[test]
fn agrees_with_libvmaf_on_clips_a() {
    agree_on_clips("agrees_with_libvmaf_on_clips_a", &CLIPS[..3]);
}

#[test]
fn agrees_with_libvmaf_on_clips_b() {
    agree_on_clips("agrees_with_libvmaf_on_clips_b", &CLIPS[3..]);
}

/// A textured plane: gradients, noise of varying strength, flat patches and edges.
fn texture(w: usize, h: usize, seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(12345);
    let mut noise = move || {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (state >> 24) as i32 - 128
    };
    let mut v = vec![0u8; w * h];
    for y in 0..h {
        for x in 0..w {
            let base = (x * 160 / w + y * 60 / h) as i32 + 16;
            let strength = ((x / 7 + y / 5) % 4) as i32;
            let flat = (x / 24 + y / 24) % 5 == 0;
            let edge = if (x / 11 + y / 13) % 3 == 0 { 40 } else { 0 };
            let n = if flat { 0 } else { noise() * strength / 4 };
            v[y * w + x] = (base + edge + n).clamp(0, 255) as u8;
        }
    }
    v
}

/// Ways of distorting a plane.
#[derive(Clone, Copy, Debug)]
enum Distortion {
    /// A 3x3 box blur.
    Blur,
    /// Added noise.
    Noise,
    /// Contrast stretched around mid-grey (a gain above 1: enhancement).
    Contrast,
}

fn distort(src: &[u8], w: usize, h: usize, how: Distortion, seed: u32) -> Vec<u8> {
    let mut state = seed | 1;
    let mut out = vec![0u8; w * h];
    for y in 0..h {
        for x in 0..w {
            let at = |dx: isize, dy: isize| {
                let xx = (x as isize + dx).clamp(0, w as isize - 1) as usize;
                let yy = (y as isize + dy).clamp(0, h as isize - 1) as usize;
                i32::from(src[yy * w + xx])
            };
            let v = match how {
                Distortion::Blur => {
                    let mut sum = 0;
                    for dy in -1..=1 {
                        for dx in -1..=1 {
                            sum += at(dx, dy);
                        }
                    }
                    (sum + 4) / 9
                }
                Distortion::Noise => {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    at(0, 0) + (state % 21) as i32 - 10
                }
                Distortion::Contrast => (at(0, 0) - 128) * 3 / 2 + 128,
            };
            out[y * w + x] = v.clamp(0, 255) as u8;
        }
    }
    out
}

/// Owned reference and distorted planes.
type Owned = Vec<(Vec<u8>, Vec<u8>)>;

/// Synthetic pairs of one size: every distortion, two reference textures.
fn synthetic(w: usize, h: usize) -> Owned {
    let mut v = Vec::new();
    for seed in [1, 2] {
        let r = texture(w, h, seed);
        for how in [Distortion::Blur, Distortion::Noise, Distortion::Contrast] {
            let d = distort(&r, w, h, how, seed + 7);
            v.push((r.clone(), d));
        }
    }
    v
}

fn planes(w: usize, h: usize, owned: &[(Vec<u8>, Vec<u8>)]) -> Vec<(Plane<'_>, Plane<'_>)> {
    owned
        .iter()
        .map(|(r, d)| (Plane::new(r, w, w, h), Plane::new(d, w, w, h)))
        .collect()
}

/// Every implementation available: portable, and AVX2 when the CPU has it.
fn isas() -> Vec<Isa> {
    let mut v = vec![Isa::Portable];
    if Isa::detect() != Isa::Portable {
        v.push(Isa::detect());
    } else {
        eprintln!("no AVX2 on this CPU: only the portable kernels are checked");
    }
    v
}

#[test]
fn small_and_odd_sizes_agree_with_libvmaf() {
    let mut diff = Diff::default();
    let mut compared = Vec::new();
    for (w, h) in [
        (16, 16),
        (17, 23),
        (32, 32),
        (33, 47),
        (47, 33),
        (64, 36),
        (95, 61),
        (130, 17),
    ] {
        let owned = synthetic(w, h);
        let pairs = planes(w, h, &owned);
        for limit in [100.0, 1.0] {
            let Some(expected) = oracle(&pairs, limit) else {
                eprintln!("SKIP {w}x{h}: libvmaf does not score it");
                continue;
            };
            compared.push((w, h));
            for isa in isas() {
                let got = ours(&pairs, limit, isa, isa);
                let mut one = Diff::default();
                one.add(&got, &expected);
                if one.differing > 0 {
                    eprintln!("{w}x{h} limit {limit} {isa:?}: {got:?}\n  vs {expected:?}");
                }
                diff.add(&got, &expected);
            }
        }
    }
    diff.report("small and odd sizes");
    assert!(
        compared.contains(&(32, 32)) && compared.contains(&(33, 47)),
        "{compared:?}"
    );
    assert!(diff.worst() <= 1e-4, "worst difference {}", diff.worst());
}

#[test]
fn the_gain_limit_caps_enhancement_as_libvmaf_does() {
    let (w, h) = (120, 72);
    let r = texture(w, h, 3);
    let d = distort(&r, w, h, Distortion::Contrast, 5);
    let pairs = [(Plane::new(&r, w, w, h), Plane::new(&d, w, w, h))];
    let isa = Isa::detect();
    let mut scores = Vec::new();
    for limit in [100.0, 1.0, 1.2] {
        let got = ours(&pairs, limit, isa, isa);
        if let Some(expected) = oracle(&pairs, limit) {
            assert_eq!(got, expected, "gain limit {limit}");
        }
        scores.push(got[0][0]);
    }
    // Stretched contrast gains: the tighter the cap, the lower the score.
    assert!(scores[0] > scores[2] && scores[2] > scores[1], "{scores:?}");
}

#[test]
fn portable_and_vector_kernels_agree() {
    let isas = isas();
    let cases: Vec<(usize, usize, Owned)> = [(16, 16), (33, 47), (200, 120)]
        .into_iter()
        .map(|(w, h)| (w, h, synthetic(w, h)))
        .collect();
    let clip = clips_dir("portable_and_vector_kernels_agree (clip part)")
        .map(|dir| Pairs::encode(&dir, CLIPS[4], 2, 240, 35));
    let mut all: Vec<Vec<(Plane<'_>, Plane<'_>)>> = cases
        .iter()
        .map(|(w, h, owned)| planes(*w, *h, owned))
        .collect();
    if let Some(p) = &clip {
        all.push(p.luma(None));
        all.push(p.luma(Some((301, 211))));
    }
    for pairs in &all {
        let (w, h) = (pairs[0].0.width(), pairs[0].0.height());
        for limit in [100.0, 1.0] {
            let baseline = ours(pairs, limit, Isa::Portable, Isa::Portable);
            for &a in &isas {
                for &b in &isas {
                    assert_eq!(ours(pairs, limit, a, b), baseline, "{w}x{h} {a:?}/{b:?}");
                }
            }
        }
        // The reference side itself: every stored value in reach of the scoring.
        let refs: Vec<VifReference> = isas
            .iter()
            .map(|&isa| {
                let mut r = VifReference::new(w, h);
                r.compute_with(pairs[0].0, isa);
                r
            })
            .collect();
        let p = &refs[0];
        for q in &refs[1..] {
            assert_eq!((p.den_log, p.den_count), (q.den_log, q.den_count));
            for s in 0..4 {
                let (ws, hs, bw) = (p.geo.w[s], p.geo.h[s], p.geo.bw[s]);
                for y in 0..hs {
                    for x in 0..ws {
                        let i = y * bw + lane_pos(x);
                        assert_eq!(p.mu[s][i], q.mu[s][i], "mu1 {w}x{h} scale {s} ({x}, {y})");
                        assert_eq!(p.sigma[s][i], q.sigma[s][i], "sigma1 {w}x{h} scale {s}");
                    }
                }
                if s > 0 {
                    let stride = p.geo.plane_stride(s);
                    for y in 0..hs {
                        let row = y * stride..y * stride + ws;
                        assert_eq!(p.planes[s - 1][row.clone()], q.planes[s - 1][row]);
                    }
                }
            }
        }
    }
}

#[test]
fn identical_frames_score_one() {
    let (w, h) = (160, 90);
    let mut sources = vec![texture(w, h, 9), texture(w, h, 10)];
    sources.push(distort(&sources[0], w, h, Distortion::Blur, 1));
    for isa in isas() {
        for src in &sources {
            let p = Plane::new(src, w, w, h);
            let got = ours(&[(p, p)], 100.0, isa, isa);
            if let Some(expected) = oracle(&[(p, p)], 100.0) {
                assert_eq!(got, expected);
            }
            for (s, score) in got[0][..4].iter().enumerate() {
                // libvmaf's fixed point leaves a trace below 1: the gain is a hair under 1
                // (the epsilon) and its square times sigma1^2 is truncated, and flat
                // pixels subtract sigma2^2 / 127.5^2.
                assert!((score - 1.0).abs() < 1e-5, "{isa:?} scale {s}: {score}");
            }
        }
    }
}

#[test]
fn scoring_reuses_its_buffers() {
    let (w, h) = (97, 61);
    let owned = synthetic(w, h);
    let pairs = planes(w, h, &owned);
    for isa in isas() {
        let mut reference = VifReference::new(w, h);
        let mut scratch = VifScratch::new(w, h);
        let addresses = |r: &VifReference, s: &VifScratch| {
            let mut v = vec![r.luma.as_ptr() as usize, r.work.ring.as_ptr() as usize];
            v.extend(r.planes.iter().map(|p| p.as_ptr() as usize));
            v.extend(r.mu.iter().map(|p| p.as_ptr() as usize));
            v.extend(r.sigma.iter().map(|p| p.as_ptr() as usize));
            v.extend([r.work.rows.as_ptr() as usize, r.work.wide.as_ptr() as usize]);
            v.extend(s.planes.iter().map(|p| p.as_ptr() as usize));
            v.extend([s.work.ring.as_ptr() as usize, s.work.rows.as_ptr() as usize]);
            v.push(s.work.wide.as_ptr() as usize);
            v
        };
        let before = addresses(&reference, &scratch);
        let mut first = Vec::new();
        for round in 0..2 {
            for &(r, d) in &pairs {
                reference.compute_with(r, isa);
                let v = vif_with(&reference, d, &mut scratch, 100.0, isa);
                if round == 0 {
                    first.push(v);
                } else {
                    assert_eq!(v, first[first.len() - pairs.len()], "reuse changed a score");
                    first.rotate_left(1);
                }
            }
        }
        assert_eq!(before, addresses(&reference, &scratch));
    }
}

#[test]
fn the_reference_is_shared_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<VifReference>();
    shareable::<VifScores>();
}

#[test]
fn storage_per_pixel() {
    let (w, h) = (1920, 1080);
    let r = VifReference::new(w, h);
    let s = VifScratch::new(w, h);
    let planes = |p: &[Vec<u16>; 3]| p.iter().map(|p| 2 * p.len()).sum::<usize>();
    let work = |k: &Work| 2 * k.ring.len() + 2 * k.rows.len() + 4 * k.wide.len();
    let per_pixel: usize = r.luma.len()
        + planes(&r.planes)
        + r.mu.iter().map(|m| 4 * m.len()).sum::<usize>()
        + r.sigma.iter().map(|m| 4 * m.len()).sum::<usize>();
    let px = (w * h) as f64;
    eprintln!(
        "1080p: VifReference {:.2} B/px (+{:.3} B/px row buffers), VifScratch {:.2} B/px (+{:.3} B/px row buffers)",
        per_pixel as f64 / px,
        work(&r.work) as f64 / px,
        planes(&s.planes) as f64 / px,
        work(&s.work) as f64 / px
    );
    assert!(per_pixel as f64 / px < 13.0);
}

/// Single-thread time per frame of the reference side, the distorted side and libvmaf's
/// `vif` extractor alone, on a 720p clip (best of several runs).
#[test]
#[ignore]
fn timing_720p() {
    let Some(dir) = clips_dir("timing_720p") else {
        return;
    };
    let frames = 6;
    let pairs = Pairs::encode(&dir, CLIPS[0], frames, 360, 30);
    let luma = pairs.luma(None);
    let (w, h) = (luma[0].0.width(), luma[0].0.height());
    let runs = 9;
    let best = |f: &mut dyn FnMut()| {
        (0..runs)
            .map(|_| {
                let t = std::time::Instant::now();
                f();
                t.elapsed().as_secs_f64() * 1e3 / frames as f64
            })
            .fold(f64::INFINITY, f64::min)
    };
    for isa in isas() {
        let mut refs: Vec<VifReference> = luma.iter().map(|_| VifReference::new(w, h)).collect();
        let mut scratch = VifScratch::new(w, h);
        let compute = best(&mut || {
            for (r, (p, _)) in refs.iter_mut().zip(&luma) {
                r.compute_with(*p, isa);
            }
        });
        let mut sink = 0.0;
        let score = best(&mut || {
            for (r, (_, d)) in refs.iter().zip(&luma) {
                sink += vif_with(r, *d, &mut scratch, 100.0, isa).num[0];
            }
        });
        eprintln!(
            "{w}x{h} {isa:?}: VifReference::compute {compute:.3} ms/frame, vif {score:.3} ms/frame ({sink})"
        );
    }
    let ex = Extractor {
        name: "vif",
        options: &[],
    };
    let libvmaf = best(&mut || {
        let v = features(&[ex], &["VMAF_integer_feature_vif_scale0_score"], &luma);
        assert!(v.is_ok());
    });
    eprintln!(
        "{w}x{h} libvmaf vif extractor: {libvmaf:.3} ms/frame (including its picture copies)"
    );
}
