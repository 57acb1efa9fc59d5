//! ADM against libvmaf's `adm` extractor (the oracle, linked for tests) on the shared clips, on
//! synthetic textures and distortions, at odd sizes and crops, with both kernel sets.

use super::*;
use crate::measure::metrics::vmaf::libvmaf::{Extractor, features};
use crate::measure::metrics::vmaf::test_pairs::{CLIPS, Pairs, clips_dir};

/// libvmaf's ADM features, in the order [`values`] gives ours.
const NAMES: [&str; 15] = [
    "VMAF_integer_feature_adm2_score",
    "integer_adm_scale0",
    "integer_adm_scale1",
    "integer_adm_scale2",
    "integer_adm_scale3",
    "integer_adm_num",
    "integer_adm_den",
    "integer_adm_num_scale0",
    "integer_adm_den_scale0",
    "integer_adm_num_scale1",
    "integer_adm_den_scale1",
    "integer_adm_num_scale2",
    "integer_adm_den_scale2",
    "integer_adm_num_scale3",
    "integer_adm_den_scale3",
];

/// libvmaf's `adm` features with some of its SIMD paths masked off (`cpumask`: 8 for
/// AVX2, 16 for AVX-512). The mask is process-wide in libvmaf: only for a process of its
/// own.
fn features_masked(
    options: &[(&str, &str)],
    names: &[&str],
    pairs: &[(Plane<'_>, Plane<'_>)],
    cpumask: u64,
) -> Vec<Vec<f64>> {
    use std::ffi::CString;
    use std::ptr;
    use vmaf_head_sys as sys;
    let cfg = sys::VmafConfiguration {
        log_level: sys::VmafLogLevel_VMAF_LOG_LEVEL_NONE,
        n_threads: 0,
        n_subsample: 1,
        cpumask,
        gpumask: 0,
    };
    let c = |s: &str| CString::new(s).expect("C string");
    // SAFETY: the context is created, fed pictures it takes ownership of, read and closed,
    // in libvmaf's documented order; every string outlives the call it is passed to.
    unsafe {
        let mut ctx = ptr::null_mut();
        assert!(sys::vmaf_init(&mut ctx, cfg) >= 0);
        let mut dict = ptr::null_mut();
        for (k, v) in options {
            let (k, v) = (c(k), c(v));
            assert!(sys::vmaf_feature_dictionary_set(&mut dict, k.as_ptr(), v.as_ptr()) >= 0);
        }
        let name = c("adm");
        assert!(sys::vmaf_use_feature(ctx, name.as_ptr(), dict) >= 0);
        for (i, (r, d)) in pairs.iter().enumerate() {
            let mut pics = [*r, *d].map(|p| {
                let mut pic: sys::VmafPicture = std::mem::zeroed();
                let fmt = sys::VmafPixelFormat_VMAF_PIX_FMT_YUV400P;
                let (w, h) = (p.width() as u32, p.height() as u32);
                assert!(sys::vmaf_picture_alloc(&mut pic, fmt, 8, w, h) >= 0);
                let stride = pic.stride[0] as usize;
                let len = stride * p.height();
                let dst = std::slice::from_raw_parts_mut(pic.data[0] as *mut u8, len);
                for y in 0..p.height() {
                    dst[y * stride..y * stride + p.width()].copy_from_slice(p.row(y));
                }
                pic
            });
            let [a, b] = &mut pics;
            assert!(sys::vmaf_read_pictures(ctx, a, b, i as u32) >= 0);
        }
        assert!(sys::vmaf_read_pictures(ctx, ptr::null_mut(), ptr::null_mut(), 0) >= 0);
        let out = (0..pairs.len() as u32)
            .map(|i| {
                names
                    .iter()
                    .map(|n| {
                        let (n, mut v) = (c(n), 0.0);
                        assert!(sys::vmaf_feature_score_at_index(ctx, n.as_ptr(), &mut v, i) >= 0);
                        v
                    })
                    .collect()
            })
            .collect();
        sys::vmaf_close(ctx);
        out
    }
}

fn values(s: &AdmScores) -> [f64; 15] {
    let mut v = [0.0; 15];
    v[0] = s.adm2();
    for k in 0..4 {
        v[1 + k] = s.scale(k);
        v[7 + 2 * k] = s.num[k];
        v[8 + 2 * k] = s.den[k];
    }
    v[5] = s.num.iter().fold(0.0, |a, b| a + b);
    v[6] = s.den.iter().fold(0.0, |a, b| a + b);
    v
}

/// libvmaf's values of [`NAMES`] for each pair (`egl`: a non-default gain limit;
/// `cpumask`: libvmaf's SIMD paths to mask off, for a process of its own).
fn oracle(
    pairs: &[(Plane<'_>, Plane<'_>)],
    egl: Option<&str>,
    cpumask: Option<u64>,
) -> Vec<Vec<f64>> {
    let mut options = vec![("debug", "true")];
    let names: Vec<String> = match egl {
        None => NAMES.iter().map(|n| n.to_string()).collect(),
        Some(g) => {
            options.push(("adm_enhn_gain_limit", g));
            NAMES
                .iter()
                .map(|n| {
                    let n = n.replace("VMAF_integer_feature_adm2_score", "integer_adm2");
                    format!("{n}_egl_{g}")
                })
                .collect()
        }
    };
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    if let Some(mask) = cpumask {
        return features_masked(&options, &names, pairs, mask);
    }
    features(
        &[Extractor {
            name: "adm",
            options: &options,
        }],
        &names,
        pairs,
    )
    .expect("libvmaf")
}

/// Ours, with the given instruction set.
fn ours(pairs: &[(Plane<'_>, Plane<'_>)], gain: f64, isa: Isa) -> Vec<AdmScores> {
    let (w, h) = (pairs[0].0.width(), pairs[0].0.height());
    let mut reference = AdmReference::new(w, h);
    let mut scratch = AdmScratch::new(w, h);
    reference.isa = isa;
    scratch.isa = isa;
    pairs
        .iter()
        .map(|(r, d)| {
            reference.compute(*r);
            adm(&reference, *d, &mut scratch, gain)
        })
        .collect()
}

/// Largest difference per feature, and how many values differed at all.
#[derive(Default)]
struct Agreement {
    max: [f64; 15],
    unequal: usize,
    values: usize,
    failures: Vec<String>,
}

impl Agreement {
    fn check(&mut self, what: &str, pairs: &[(Plane<'_>, Plane<'_>)], egl: Option<&str>) {
        let theirs = oracle(pairs, egl, None);
        self.compare(what, pairs, egl, &theirs, 4);
    }

    /// Against libvmaf with `cpumask`, on the features of the first `scales` scales (all
    /// features for 4).
    fn check_with(
        &mut self,
        what: &str,
        pairs: &[(Plane<'_>, Plane<'_>)],
        egl: Option<&str>,
        cpumask: u64,
        scales: usize,
    ) {
        let theirs = oracle(pairs, egl, Some(cpumask));
        self.compare(what, pairs, egl, &theirs, scales);
    }

    fn compare(
        &mut self,
        what: &str,
        pairs: &[(Plane<'_>, Plane<'_>)],
        egl: Option<&str>,
        theirs: &[Vec<f64>],
        scales: usize,
    ) {
        let gain = egl.map_or(100.0, |g| g.parse().expect("gain"));
        let mine = ours(pairs, gain, Isa::detect());
        let keep = |k: usize| {
            scales == 4 || (1..1 + scales).contains(&k) || (7..7 + 2 * scales).contains(&k)
        };
        for (f, (t, m)) in theirs.iter().zip(&mine).enumerate() {
            let m = values(m);
            for k in (0..15).filter(|&k| keep(k)) {
                let d = (t[k] - m[k]).abs();
                self.values += 1;
                if t[k] != m[k] {
                    self.unequal += 1;
                    eprintln!(
                        "{what} frame {f}: {} libvmaf {} ours {}",
                        NAMES[k], t[k], m[k]
                    );
                }
                self.max[k] = self.max[k].max(d);
                if d > 1e-4 {
                    self.failures.push(format!(
                        "{what} frame {f}: {} {} vs {}",
                        NAMES[k], t[k], m[k]
                    ));
                }
            }
        }
    }

    fn report(&self, what: &str) {
        eprintln!(
            "{what}: {} values, {} not bit-identical; max |diff| adm2 {:e}, scales {:e} {:e} {:e} {:e}, num {:e}, den {:e}, per-scale num/den max {:e}",
            self.values,
            self.unequal,
            self.max[0],
            self.max[1],
            self.max[2],
            self.max[3],
            self.max[4],
            self.max[5],
            self.max[6],
            self.max[7..].iter().fold(0.0f64, |a, &b| a.max(b)),
        );
        assert!(self.failures.is_empty(), "{what}: {:#?}", self.failures);
    }
}

/// A textured plane: gradients, a pseudo-random pattern and a few hard edges.
fn texture(width: usize, height: usize, seed: u32) -> Vec<u8> {
    let mut x = seed;
    (0..width * height)
        .map(|i| {
            let (c, r) = (i % width, i / width);
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let edge = if (c / 7 + r / 5) % 3 == 0 { 90 } else { 0 };
            ((c * 2 + r) as u32 / 3 + (x >> 26) + edge) as u8
        })
        .collect()
}

/// A distorted copy: a box blur of `src` with noise and a few sharpened spots.
fn distort(src: &[u8], width: usize, height: usize, seed: u32) -> Vec<u8> {
    let mut x = seed;
    (0..width * height)
        .map(|i| {
            let (c, r) = (i % width, i / width);
            let at = |dc: isize, dr: isize| {
                let cc = (c as isize + dc).clamp(0, width as isize - 1) as usize;
                let rr = (r as isize + dr).clamp(0, height as isize - 1) as usize;
                i32::from(src[rr * width + cc])
            };
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let blur = (at(-1, 0) + at(1, 0) + at(0, -1) + at(0, 1) + 4 * at(0, 0)) / 8;
            let v = if (c + 3 * r) % 11 == 0 {
                2 * at(0, 0) - blur
            } else {
                blur + (x >> 29) as i32 - 4
            };
            v.clamp(0, 255) as u8
        })
        .collect()
}

/// Checks one clip against libvmaf: three frames encoded at 240, 360 and 540 lines and at
/// the source's, at full size, cropped to 301x211 and to an odd size near the full one,
/// and with the enhancement gain limit at 1.
fn clip_agrees(clip: &str) {
    let Some(dir) = clips_dir(&format!("adm agreement on {clip}")) else {
        return;
    };
    let mut agreement = Agreement::default();
    for height in [240, 360, 540, 4320] {
        let pairs = Pairs::encode(&dir, clip, 3, height, 30);
        let full = pairs.luma(None);
        let (w, h) = (full[0].0.width(), full[0].0.height());
        let what = format!("{clip} @{height}");
        agreement.check(&format!("{what} {w}x{h}"), &full, None);
        if matches!(height, 360 | 540) {
            agreement.check(&format!("{what} {w}x{h} egl 1"), &full, Some("1"));
        }
        if matches!(height, 240 | 540) {
            agreement.check(
                &format!("{what} 301x211"),
                &pairs.luma(Some((301, 211))),
                None,
            );
        }
        if matches!(height, 360 | 4320) {
            let (cw, ch) = (w - 1 + w % 2, h - 1 + h % 2);
            let crop = pairs.luma(Some((cw, ch)));
            agreement.check(&format!("{what} {cw}x{ch}"), &crop, None);
        }
    }
    agreement.report(clip);
}

#[test]
fn agrees_with_libvmaf_on_bbb() {
    clip_agrees(CLIPS[0]);
}

#[test]
fn agrees_with_libvmaf_on_chaplin() {
    clip_agrees(CLIPS[1]);
}

#[test]
fn agrees_with_libvmaf_on_coffee() {
    clip_agrees(CLIPS[2]);
}

#[test]
fn agrees_with_libvmaf_on_endcard() {
    clip_agrees(CLIPS[3]);
}

#[test]
fn agrees_with_libvmaf_on_talking_head() {
    clip_agrees(CLIPS[4]);
}

#[test]
fn agrees_with_libvmaf_on_vector_animation() {
    clip_agrees(CLIPS[5]);
}

/// Owned reference and distorted planes.
type Frames = Vec<(Vec<u8>, Vec<u8>)>;

/// Synthetic reference and distorted planes of one size, two frames.
fn synthetic(w: usize, h: usize) -> Frames {
    (0..2u32)
        .map(|s| {
            let r = texture(w, h, s + 1);
            let d = distort(&r, w, h, s + 7);
            (r, d)
        })
        .collect()
}

fn planes(frames: &[(Vec<u8>, Vec<u8>)], w: usize, h: usize) -> Vec<(Plane<'_>, Plane<'_>)> {
    frames
        .iter()
        .map(|(r, d)| (Plane::new(r, w, w, h), Plane::new(d, w, w, h)))
        .collect()
}

#[test]
fn agrees_with_libvmaf_on_small_synthetic_frames() {
    let mut agreement = Agreement::default();
    for (w, h) in [
        (40, 36),
        (47, 33),
        (37, 45),
        (64, 64),
        (96, 54),
        (127, 71),
        (320, 180),
    ] {
        let frames = synthetic(w, h);
        let pairs = planes(&frames, w, h);
        agreement.check(&format!("{w}x{h}"), &pairs, None);
        agreement.check(&format!("{w}x{h} egl 1"), &pairs, Some("1"));
    }
    agreement.report("synthetic");
}

/// Runs test `name` of this module by itself, in a child process of the test binary: the
/// CPU mask that picks libvmaf's kernels is process-wide, so tests that set it must not
/// share a process. `true` in the child, where the test goes on; the parent runs the child,
/// checks that it passed, relays its lines containing `relay` and gets `false`.
fn alone(name: &str, ignored: bool, relay: &str) -> bool {
    const CHILD: &str = "PERTITLE_ADM_ALONE";
    if std::env::var_os(CHILD).is_some() {
        return true;
    }
    let path = module_path!();
    let name = format!("{}::{name}", &path[path.find("::").map_or(0, |i| i + 2)..]);
    let mut args = vec![name.as_str(), "--exact", "--nocapture", "--test-threads=1"];
    if ignored {
        args.push("--ignored");
    }
    let exe = std::env::current_exe().expect("test binary");
    let out = std::process::Command::new(exe)
        .args(args)
        .env(CHILD, "1")
        .output()
        .expect("child test process");
    let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && text.contains("1 passed"), "{text}");
    for line in text.lines().filter(|l| l.contains(relay)) {
        eprintln!("{line}");
    }
    false
}

/// Sizes where libvmaf's AVX2 and AVX-512 kernels disagree with its own C code (their
/// row filters at scales 1 to 3 read unreflected samples for the last column when a band
/// is 1 modulo 8 (AVX-512) or 4 (AVX2) wide, among others): checked against libvmaf's C
/// code, its SIMD paths masked off. libvmaf's CPU mask is process-wide, so this runs in a
/// child process of the test binary.
#[test]
fn agrees_with_libvmaf_c_code_on_awkward_sizes() {
    if !alone(
        "agrees_with_libvmaf_c_code_on_awkward_sizes",
        false,
        "values",
    ) {
        return;
    }
    let mut agreement = Agreement::default();
    for (w, h) in [(33, 47), (161, 97), (65, 66), (137, 43), (301, 211)] {
        let frames = synthetic(w, h);
        let pairs = planes(&frames, w, h);
        agreement.check_with(&format!("{w}x{h} C"), &pairs, None, 24, 4);
        agreement.check_with(&format!("{w}x{h} C egl 1"), &pairs, Some("1"), 24, 4);
    }
    // At 32 pixels libvmaf's transform index table reads row and column -1 of scale 3's
    // input (out of bounds): scales 0 to 2 only.
    let frames = synthetic(32, 32);
    agreement.check_with("32x32 C", &planes(&frames, 32, 32), None, 24, 3);
    agreement.report("C code");
}

#[test]
fn identical_frames_score_one() {
    let mut agreement = Agreement::default();
    for (w, h) in [(64, 64), (301, 211), (640, 360)] {
        let frames: Vec<(Vec<u8>, Vec<u8>)> = synthetic(w, h)
            .into_iter()
            .map(|(r, _)| (r.clone(), r))
            .collect();
        let pairs = planes(&frames, w, h);
        agreement.check(&format!("{w}x{h} identical"), &pairs, None);
        for s in ours(&pairs, 100.0, Isa::detect()) {
            assert!((s.adm2() - 1.0).abs() < 1e-4, "{s:?}");
            for k in 0..4 {
                assert!((s.scale(k) - 1.0).abs() < 1e-3, "{s:?}");
            }
        }
    }
    agreement.report("identical");
}

#[test]
fn simd_and_portable_agree() {
    let mut cases: Vec<(usize, usize, Frames)> = [(33, 47), (161, 97), (320, 180)]
        .into_iter()
        .map(|(w, h)| (w, h, synthetic(w, h)))
        .collect();
    if let Some(dir) = clips_dir("adm simd_and_portable_agree") {
        let pairs = Pairs::encode(&dir, CLIPS[4], 2, 240, 30);
        let luma = pairs.luma(Some((639, 479)));
        let copy =
            |p: Plane<'_>| -> Vec<u8> { (0..p.height()).flat_map(|y| p.row(y).to_vec()).collect() };
        let frames = luma.iter().map(|(r, d)| (copy(*r), copy(*d))).collect();
        cases.push((639, 479, frames));
    }
    for (w, h, frames) in &cases {
        let pairs = planes(frames, *w, *h);
        for gain in [100.0, 1.0, 2.5] {
            let portable = ours(&pairs, gain, Isa::Portable);
            let detected = ours(&pairs, gain, Isa::detect());
            assert_eq!(portable, detected, "{w}x{h} gain {gain}");
        }
    }
    #[cfg(target_arch = "x86_64")]
    if Isa::detect() != Isa::Avx2 {
        eprintln!("SKIP the AVX2 half of simd_and_portable_agree: no AVX2 on this CPU");
    }
}

/// A xorshift generator for adversarial kernel inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Mostly uniform over the type's range, sometimes one of its extremes or zero.
    fn i32(&mut self) -> i32 {
        match self.next() % 8 {
            0 => [i32::MIN, i32::MAX, 0, -1, 1][(self.next() % 5) as usize],
            1 => (self.next() as i32) >> (self.next() % 31),
            _ => self.next() as i32,
        }
    }

    fn i16(&mut self) -> i16 {
        match self.next() % 8 {
            0 => [i16::MIN, i16::MAX, 0, -1, 1][(self.next() % 5) as usize],
            1 => (self.next() as i16) >> (self.next() % 15),
            _ => self.next() as i16,
        }
    }
}

/// The AVX2 kernels against the portable ones on inputs over the types' whole ranges
/// (beyond what 8-bit frames produce), row lengths around the vector widths.
#[cfg(target_arch = "x86_64")]
#[test]
fn avx2_kernels_match_portable_on_any_input() {
    if Isa::detect() != Isa::Avx2 {
        eprintln!("SKIP avx2_kernels_match_portable_on_any_input: no AVX2 on this CPU");
        return;
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut g = Geom::new(64, 64);
    for n in [1usize, 7, 8, 9, 15, 16, 17, 31, 40, 67] {
        g.w = n;
        for _ in 0..40 {
            // Scale 0's decoupling, with references as `store_ref0` keeps them.
            let o: [Vec<i16>; 3] = std::array::from_fn(|_| (0..n).map(|_| rng.i16()).collect());
            let t: [Vec<i16>; 3] = std::array::from_fn(|_| (0..n).map(|_| rng.i16()).collect());
            let (mut rp, mut ra) = (
                RefBands::<i16>::new(&g, false),
                RefBands::<i16>::new(&g, false),
            );
            for b in [&mut rp, &mut ra] {
                b.o = std::array::from_fn(|_| vec![0; n]);
                b.rcp = std::array::from_fn(|_| vec![0; n]);
                b.mag = vec![0.0; n];
            }
            let band = [0, 1, 2].map(|k| o[k].as_slice());
            Portable::store_ref0(band, &mut rp, 0);
            Avx2::store_ref0(band, &mut ra, 0);
            assert_eq!((&rp.rcp, &rp.mag), (&ra.rcp, &ra.mag), "store_ref0 {n}");
            let (mut tp, mut ta) = ([0u64; 3], [0u64; 3]);
            Portable::den_row0(band, 1 << 3, 4, &mut tp);
            Avx2::den_row0(band, 1 << 3, 4, &mut ta);
            assert_eq!(tp, ta, "den_row0 {n}");
            let rcp = [0, 1, 2].map(|k| rp.rcp[k].as_slice());
            let tb = [0, 1, 2].map(|k| t[k].as_slice());
            let (mut mp, mut ma) = (MaskRow::new(n), MaskRow::new(n));
            for gain in [1.0, 100.0, 2.5] {
                if gain == 2.5 {
                    Portable::decouple_row0(FloatGain(gain), band, rcp, &rp.mag, tb, &mut mp);
                    Avx2::decouple_row0(FloatGain(gain), band, rcp, &rp.mag, tb, &mut ma);
                } else {
                    let gi = IntGain(gain as i64);
                    Portable::decouple_row0(gi, band, rcp, &rp.mag, tb, &mut mp);
                    Avx2::decouple_row0(gi, band, rcp, &rp.mag, tb, &mut ma);
                }
                assert_eq!(
                    (&mp.f, &mp.d, &mp.x),
                    (&ma.f, &ma.d, &ma.x),
                    "decouple_row0 {n}"
                );
            }

            // The coarser scales' decoupling.
            let o: [Vec<i32>; 3] = std::array::from_fn(|_| (0..n).map(|_| rng.i32()).collect());
            let t: [Vec<i32>; 3] = std::array::from_fn(|_| (0..n).map(|_| rng.i32()).collect());
            let mut rb = RefBands::<i32>::new(&g, true);
            rb.o = std::array::from_fn(|_| vec![0; n]);
            rb.rcp = std::array::from_fn(|_| vec![0; n]);
            rb.shift = std::array::from_fn(|_| vec![0; n]);
            rb.mag = vec![0.0; n];
            store_ref_n([0, 1, 2].map(|k| o[k].as_slice()), &mut rb, 0);
            let rr = RefRow::of(&rb, 0, n);
            let tb = [0, 1, 2].map(|k| t[k].as_slice());
            for s in 1..4 {
                let w = csf_q32(s);
                Portable::decouple_row_n(IntGain(100), &rr, tb, w, &mut mp);
                Avx2::decouple_row_n(IntGain(100), &rr, tb, w, &mut ma);
                assert_eq!(
                    (&mp.f, &mp.d, &mp.x),
                    (&ma.f, &ma.d, &ma.x),
                    "decouple_row_n {n}"
                );
                Portable::decouple_row_n(FloatGain(1.5), &rr, tb, w, &mut mp);
                Avx2::decouple_row_n(FloatGain(1.5), &rr, tb, w, &mut ma);
                assert_eq!(
                    (&mp.f, &mp.d, &mp.x),
                    (&ma.f, &ma.d, &ma.x),
                    "decouple_row_n {n}"
                );
            }

            // The masked pooling, on arbitrary rows.
            let mut cur = MaskRow::new(n);
            for k in 0..3 {
                cur.x[k] = (0..n).map(|_| rng.i32() >> (rng.next() % 8)).collect();
            }
            cur.d = (0..n).map(|_| rng.i32() >> 12).collect();
            let v: Vec<i32> = (0..n + 2).map(|_| rng.i32() >> 12).collect();
            let lo = (rng.next() % 3) as usize % n.max(1);
            let gg = Geom::new(2 * n.max(16), 2 * n.max(16));
            for p in [CmParams::scale0(&gg), CmParams::scale_n(&gg)] {
                let (mut a, mut b) = ([0i64; 3], [0i64; 3]);
                Portable::mask_row(&v, &cur, lo, n, &p, &mut a);
                Avx2::mask_row(&v, &cur, lo, n, &p, &mut b);
                assert_eq!(a, b, "mask_row {n}");
            }

            // The transform rows.
            let w = n.div_ceil(2);
            let u8s: Vec<Vec<u8>> = (0..4)
                .map(|_| (0..n).map(|_| rng.next() as u8).collect())
                .collect();
            let (mut p16, mut a16) = (Rows::<i16>::new(n, w), Rows::<i16>::new(n, w));
            let (mut pa, mut aa) = (vec![0i16; w], vec![0i16; w]);
            let src = [0, 1, 2, 3].map(|k| u8s[k].as_slice());
            Portable::dwt_row_u8(src, &mut p16, &mut pa);
            Avx2::dwt_row_u8(src, &mut a16, &mut aa);
            assert_eq!((&pa, &p16.band), (&aa, &a16.band), "dwt_row_u8 {n}");
            let i16s: Vec<Vec<i16>> = (0..4)
                .map(|_| (0..n).map(|_| rng.i16()).collect())
                .collect();
            let i32s: Vec<Vec<i32>> = (0..4)
                .map(|_| (0..n).map(|_| rng.i32() >> 2).collect())
                .collect();
            let (mut p32, mut a32) = (Rows::<i32>::new(n, w), Rows::<i32>::new(n, w));
            let (mut pa, mut aa) = (vec![0i32; w], vec![0i32; w]);
            let src = [0, 1, 2, 3].map(|k| i16s[k].as_slice());
            Portable::dwt_row_i16(src, &mut p32, &mut pa);
            Avx2::dwt_row_i16(src, &mut a32, &mut aa);
            assert_eq!((&pa, &p32.band), (&aa, &a32.band), "dwt_row_i16 {n}");
            let src = [0, 1, 2, 3].map(|k| i32s[k].as_slice());
            for s in 2..4 {
                Portable::dwt_row_i32(src, s, &mut p32, &mut pa);
                Avx2::dwt_row_i32(src, s, &mut a32, &mut aa);
                assert_eq!((&pa, &p32.band), (&aa, &a32.band), "dwt_row_i32 {n}");
            }
        }
    }
}

/// The constant weights are the published model's, rounded as libvmaf rounds them.
#[test]
fn weights_follow_the_model() {
    const A: f32 = 0.495;
    const K: f32 = 0.466;
    const F0: f32 = 0.401;
    const G: [f32; 3] = [1.501, 1.0, 0.534];
    const AMP: [[f32; 3]; 4] = [
        [0.62171, 0.67234, 0.72709],
        [0.34537, 0.41317, 0.49428],
        [0.18004, 0.22727, 0.28688],
        [0.091401, 0.11792, 0.15214],
    ];
    // Pixels per degree of a 1080-line display seen from three heights. Inputs through
    // `black_box`: evaluated by the C library at run time, as libvmaf does, rather than
    // folded or rewritten by the compiler.
    let bb = std::hint::black_box;
    let r = (bb(3.0f64) * 1080.0 * std::f64::consts::PI / 180.0) as f32;
    for s in 0..4 {
        for (i, theta) in [1, 2].into_iter().enumerate() {
            let f = f64::from(1u32 << (s + 1)) * f64::from(F0) * f64::from(G[theta]);
            let temp = bb(f / f64::from(r)).log10() as f32;
            // In `f32`, as libvmaf's all-`float` product is.
            let e = f64::from(K * temp * temp);
            let q = (2.0 * f64::from(A) * bb(10f64).powf(e) / f64::from(AMP[s][theta])) as f32;
            let w = 1.0f32 / q;
            assert_eq!(w.to_bits(), CSF[s][i], "scale {s} theta {theta}");
            assert_eq!(
                f64::from(w).powf(bb(3.0)).to_bits(),
                CSF_CUBED[s][i],
                "scale {s}"
            );
        }
    }
    let c = bb(std::f64::consts::PI / 180.0).cos();
    assert_eq!((c * c) as f32, COS_1DEG_SQ);
    // Scale 0's fixed-point weights are libvmaf's, within a few units of the model's.
    for (k, &rf) in RF0.iter().enumerate() {
        let (bits, q) = if k < 2 {
            (CSF[0][0], 21)
        } else {
            (CSF[0][1], 23)
        };
        let model = f64::from(f32::from_bits(bits)) * f64::from(1u32 << q);
        assert!((model - f64::from(rf)).abs() < 4.0, "{k}: {model} vs {rf}");
    }
}

/// A non-integral gain goes through `f64` as libvmaf computes it; an integral one through
/// integers: the same values.
#[test]
fn integral_and_float_gains_agree() {
    let (w, h) = (161, 97);
    let frames = synthetic(w, h);
    let pairs = planes(&frames, w, h);
    let mut reference = AdmReference::new(w, h);
    let mut scratch = AdmScratch::new(w, h);
    for (r, d) in &pairs {
        reference.compute(*r);
        for g in [1, 2, 100] {
            let a = score_impl::<Portable, _>(&reference, *d, &mut scratch, IntGain(g));
            let b = score_impl::<Portable, _>(&reference, *d, &mut scratch, FloatGain(g as f64));
            assert_eq!(a, b, "gain {g}");
            #[cfg(target_arch = "x86_64")]
            if Isa::detect() == Isa::Avx2 {
                // SAFETY: the CPU has AVX2.
                let c = unsafe { score_avx2(&reference, *d, &mut scratch, IntGain(g)) };
                // SAFETY: as above.
                let e = unsafe { score_avx2(&reference, *d, &mut scratch, FloatGain(g as f64)) };
                assert_eq!((a, a), (c, e), "gain {g}");
            }
        }
    }
}

/// Every buffer's address and length, to show that scoring allocates nothing.
fn buffers(r: &AdmReference, s: &AdmScratch) -> Vec<(usize, usize)> {
    fn v<T>(x: &Vec<T>) -> (usize, usize) {
        (x.as_ptr() as usize, x.capacity())
    }
    let mut out = Vec::new();
    for p in [&r.pyramid, &s.pyramid] {
        out.extend([v(&p.rows0.lo), v(&p.rows0.hi), v(&p.rows.lo), v(&p.rows.hi)]);
        out.extend(p.rows0.band.iter().map(v));
        out.extend(p.rows.band.iter().map(v));
        out.extend([v(&p.a1), v(&p.a2), v(&p.a3)]);
        out.push(v(&p.a0));
    }
    out.extend(r.s0.o.iter().map(v));
    out.extend(r.s0.rcp.iter().map(v));
    out.push(v(&r.s0.mag));
    for b in &r.sn {
        out.extend(b.o.iter().map(v));
        out.extend(b.rcp.iter().map(v));
        out.extend(b.shift.iter().map(v));
        out.push(v(&b.mag));
    }
    for m in &s.ring {
        out.extend([v(&m.f), v(&m.d)]);
        out.extend(m.x.iter().map(v));
    }
    out.push(v(&s.v));
    out
}

#[test]
fn scoring_reuses_its_buffers() {
    let (w, h) = (161, 97);
    let frames = synthetic(w, h);
    let pairs = planes(&frames, w, h);
    let mut reference = AdmReference::new(w, h);
    let mut scratch = AdmScratch::new(w, h);
    let before = buffers(&reference, &scratch);
    for (r, d) in &pairs {
        reference.compute(*r);
        adm(&reference, *d, &mut scratch, 100.0);
        adm(&reference, *d, &mut scratch, 1.5);
    }
    assert_eq!(before, buffers(&reference, &scratch));
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<AdmReference>();
}

#[test]
fn tiny_and_empty_frames_do_not_panic() {
    for (w, h) in [(0, 0), (1, 1), (2, 3), (5, 4), (9, 9), (16, 9), (17, 31)] {
        let frames = synthetic(w.max(1), h.max(1));
        let (r, d) = &frames[0];
        let (r, d) = if w == 0 {
            (Plane::new(&[], 0, 0, 0), Plane::new(&[], 0, 0, 0))
        } else {
            (Plane::new(r, w, w, h), Plane::new(d, w, w, h))
        };
        let mut reference = AdmReference::new(w, h);
        let mut scratch = AdmScratch::new(w, h);
        reference.compute(r);
        let s = adm(&reference, d, &mut scratch, 100.0);
        assert!(s.adm2().is_finite(), "{w}x{h}: {s:?}");
        reference.compute(r);
        let same = adm(&reference, r, &mut scratch, 100.0);
        assert!(same.adm2().is_finite(), "{w}x{h}: {same:?}");
    }
}

/// Single-thread time per frame of the reference's share, the distorted side, and
/// libvmaf's `adm` extractor alone (both sides, its AIM included; its C code, AVX2 and
/// best kernels), on 720p frames; best of several runs, in a process of its own.
/// `cargo test --release --lib native::adm::tests::timing -- --ignored --nocapture`.
#[test]
#[ignore]
fn timing_720p() {
    use std::time::{Duration, Instant};
    if !alone("timing_720p", true, "TIMING") {
        return;
    }
    let Some(dir) = clips_dir("adm timing_720p") else {
        return;
    };
    let pairs = Pairs::encode(&dir, CLIPS[0], 10, 360, 30);
    let luma = pairs.luma(None);
    let (w, h) = (luma[0].0.width(), luma[0].0.height());
    let n = luma.len() as u32;
    let best = |f: &mut dyn FnMut()| {
        (0..15)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .min()
            .unwrap_or(Duration::ZERO)
            / n
    };
    let mut refs: Vec<AdmReference> = luma.iter().map(|_| AdmReference::new(w, h)).collect();
    let mut scratch = AdmScratch::new(w, h);
    for isa in [Isa::detect(), Isa::Portable] {
        for r in refs.iter_mut() {
            r.isa = isa;
        }
        scratch.isa = isa;
        let compute = best(&mut || {
            for (r, (p, _)) in refs.iter_mut().zip(&luma) {
                r.compute(*p);
            }
        });
        let score = best(&mut || {
            for (r, (_, d)) in refs.iter().zip(&luma) {
                std::hint::black_box(adm(r, *d, &mut scratch, 100.0));
            }
        });
        eprintln!(
            "TIMING ours, {isa:?} kernels, {w}x{h}: AdmReference::compute {compute:?}, adm {score:?} per frame"
        );
    }
    for (path, mask) in [
        ("C code", 24),
        ("AVX2", 16),
        ("AVX-512 where the CPU has it", 0),
    ] {
        let libvmaf = best(&mut || {
            let names = ["VMAF_integer_feature_adm2_score"];
            std::hint::black_box(features_masked(&[], &names, &luma, mask));
        });
        eprintln!("TIMING libvmaf adm extractor, {path}: {libvmaf:?} per frame");
    }
    eprintln!(
        "TIMING bytes per pixel: AdmReference {:.2}, AdmScratch {:.2}",
        refs[0].bytes() as f64 / (w * h) as f64,
        scratch.bytes() as f64 / (w * h) as f64
    );
}
