//! Micro-benchmarks of the metric kernels on 1080p luma planes (two 1920x1080 planes read per
//! iteration; throughput is reported over both).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pertitle::measure::metrics::{Plane, ms_ssim, sse, ssim};
use std::hint::black_box;

const W: usize = 1920;
const H: usize = 1080;

/// Deterministic pseudo-random plane, and a distorted copy of it.
fn planes() -> (Vec<u8>, Vec<u8>) {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let a: Vec<u8> = (0..W * H)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    let b = a
        .iter()
        .enumerate()
        .map(|(i, &p)| p.wrapping_add((i % 7) as u8))
        .collect();
    (a, b)
}

fn kernels(c: &mut Criterion) {
    let (a, b) = planes();
    let (pa, pb) = (Plane::new(&a, W, W, H), Plane::new(&b, W, W, H));
    let mut group = c.benchmark_group("1080p luma");
    group.throughput(Throughput::Bytes((2 * W * H) as u64));
    group.bench_function("psnr sse", |bench| {
        bench.iter(|| sse(black_box(pa), black_box(pb)))
    });
    group.bench_function("ssim", |bench| {
        bench.iter(|| ssim(black_box(pa), black_box(pb)))
    });
    group.sample_size(10);
    group.bench_function("ms-ssim", |bench| {
        bench.iter(|| ms_ssim(black_box(pa), black_box(pb)))
    });
    group.finish();
}

criterion_group!(benches, kernels);
criterion_main!(benches);
