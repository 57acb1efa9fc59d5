//! The simulator's speed: 1,000 ten-minute sessions of an 8-rung ladder with 4 s segments
//! (the target is under one second on 2 cores), for each ABR algorithm, over synthetic
//! bursty traces (250 traces from different seeds, 4 start offsets each).

use criterion::{Criterion, criterion_group, criterion_main};
use pertitle::simulate::abr::{AbrKind, AbrSettings};
use pertitle::simulate::movie::{Movie, MovieRung, QualityScale};
use pertitle::simulate::network::synthetic;
use pertitle::simulate::run::{SimulationOptions, TraceSet, simulate};
use pertitle::simulate::session::SessionOptions;
use std::hint::black_box;

/// 8 rungs (235 to 8000 kbps), 150 segments of 4 s whose sizes and qualities vary.
fn movie() -> Movie {
    let rates = [235.0, 375.0, 750.0, 1750.0, 3000.0, 4300.0, 5800.0, 8000.0];
    let n = 150;
    let rungs = rates
        .iter()
        .enumerate()
        .map(|(i, &b)| MovieRung {
            size: None,
            bitrate_kbps: b,
            segment_bits: (0..n)
                .map(|k| b * 4000.0 * (1.0 + 0.35 * (k as f64 * 0.7 + i as f64).sin()))
                .collect(),
            segment_quality: (0..n)
                .map(|k| 30.0 + 8.0 * i as f64 + 3.0 * (k as f64 * 0.3).cos())
                .collect(),
        })
        .collect();
    Movie {
        path: "bench".into(),
        codec: None,
        quality: QualityScale::Metric("vmaf".into()),
        segment_durations_s: vec![4.0; n],
        rungs,
    }
}

fn sessions(c: &mut Criterion) {
    let movie = movie();
    let traces = (1..=250)
        .map(|seed| synthetic(&format!("bursty:6000,800,seed={seed},length=900")))
        .collect::<Result<Vec<_>, _>>()
        .expect("a valid profile");
    let sets = [TraceSet {
        name: "bursty".into(),
        traces,
    }];
    let mut group = c.benchmark_group("1000 sessions of 600 s");
    group.sample_size(10);
    for abr in AbrKind::ALL {
        let options = SimulationOptions {
            abr,
            abr_settings: AbrSettings::default(),
            // As the command line plays by default: abandonment on.
            session: SessionOptions {
                abandonment: true,
                ..SessionOptions::default()
            },
            offsets: 4,
            qoe: None,
        };
        group.bench_function(abr.name(), |b| {
            b.iter(|| black_box(simulate(&movie, &sets, &options, None)))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // No plots: the report's charts need fonts a bare machine may lack.
    config = Criterion::default().without_plots();
    targets = sessions
}
criterion_main!(benches);
