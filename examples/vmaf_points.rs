//! VMAF cost per point-frame when several points share a pass: the native engine (reference
//! work once per frame, then each point) against libvmaf (one context per point), one thread
//! each, on frames already decoded and resized in memory.
//! Usage: cargo run --release --example vmaf_points -- REFERENCE DISTORTED...
//! Every DISTORTED is resized (bicubic) to REFERENCE's size; all are read up to the shortest.
//! Prints, for each engine, the milliseconds per point-frame (best of 3 runs), and their
//! ratio, and checks that both engines gave the same scores.

use pertitle::measure::metrics::Plane;
use pertitle::measure::metrics::vmaf::VmafModel;
use pertitle::measure::metrics::vmaf::libvmaf::LibvmafScorer;
use pertitle::measure::metrics::vmaf::native::{FrameReference, MotionTrack, NativeScorer};
use pertitle::source::FrameReader;
use pertitle::source::scale::{Kernel, Scaler};
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    anyhow::ensure!(args.len() >= 2, "usage: vmaf_points REFERENCE DISTORTED...");
    let mut refs = FrameReader::open(args[0].as_ref(), 0)?;
    let size = refs.resolution();
    let mut reference = Vec::new();
    while let Some(f) = refs.next_frame()? {
        reference.push(f);
    }
    let mut points = Vec::new();
    for path in &args[1..] {
        let mut r = FrameReader::open(path.as_ref(), 0)?;
        let mut scaler = Scaler::new(r.resolution(), size, Kernel::Bicubic)?;
        let mut frames = Vec::new();
        while let Some(f) = r.next_frame()? {
            frames.push(if r.resolution() == size {
                f
            } else {
                scaler.scale(&f)?
            });
        }
        points.push(frames);
    }
    let n = points
        .iter()
        .map(Vec::len)
        .chain([reference.len()])
        .min()
        .unwrap_or(0);
    anyhow::ensure!(n > 0, "no frames");
    let k = points.len();
    let (w, h) = (size.width as usize, size.height as usize);

    let mut best_lib = f64::INFINITY;
    let mut best_native = f64::INFINITY;
    let mut lib_scores = Vec::new();
    let mut native_scores = Vec::new();
    for _ in 0..3 {
        let start = Instant::now();
        lib_scores.clear();
        for p in &points {
            let mut s = LibvmafScorer::new(VmafModel::V061, 0, 1)?;
            for (r, d) in reference.iter().zip(p).take(n) {
                s.push(r, d)?;
            }
            lib_scores.push(s.finish()?);
        }
        best_lib = best_lib.min(start.elapsed().as_secs_f64());

        let start = Instant::now();
        let mut scorers = (0..k)
            .map(|_| NativeScorer::new(VmafModel::V061, w, h))
            .collect::<Result<Vec<_>, _>>()?;
        let mut motion = MotionTrack::new(w, h);
        let mut shared = FrameReference::new(w, h);
        for (i, r) in reference.iter().take(n).enumerate() {
            let luma = Plane::of_frame(r, 0);
            motion.push(i as u64, luma, true);
            shared.compute(luma);
            for (s, p) in scorers.iter_mut().zip(&points) {
                s.push(i, &shared, Plane::of_frame(&p[i], 0));
            }
        }
        let motion2 = motion.motion2()?;
        native_scores = scorers
            .into_iter()
            .map(|s| s.finish(&motion2))
            .collect::<Result<Vec<_>, _>>()?;
        best_native = best_native.min(start.elapsed().as_secs_f64());
    }
    let worst = lib_scores
        .iter()
        .flatten()
        .zip(native_scores.iter().flatten())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f64, f64::max);
    let per = |s: f64| 1000.0 * s / (n * k) as f64;
    println!(
        "{k} points x {n} frames of {size}: libvmaf {:.2} ms per point-frame, native {:.2} ms, native / libvmaf {:.3}; largest score difference {worst:.2e}",
        per(best_lib),
        per(best_native),
        best_native / best_lib
    );
    Ok(())
}
