//! Times libvmaf alone on frames already decoded and resized in memory: the "libvmaf's own
//! speed" that `pertitle score --metrics vmaf` is compared with in scripts/bench/metrics.sh.
//! Usage: cargo run --release --example vmaf_alone -- REFERENCE DISTORTED
//! Prints the seconds libvmaf took (scorer set-up, every frame pair, flush and scores).

use pertitle::measure::metrics::vmaf::VmafModel;
use pertitle::measure::metrics::vmaf::libvmaf::LibvmafScorer;
use pertitle::source::FrameReader;
use pertitle::source::scale::{Kernel, Scaler};
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    anyhow::ensure!(args.len() == 2, "usage: vmaf_alone REFERENCE DISTORTED");
    let mut refs = FrameReader::open(args[0].as_ref(), 0)?;
    let mut dists = FrameReader::open(args[1].as_ref(), 0)?;
    let size = refs.resolution();
    let mut scaler = Scaler::new(dists.resolution(), size, Kernel::Bicubic)?;
    let mut pairs = Vec::new();
    while let (Some(r), Some(d)) = (refs.next_frame()?, dists.next_frame()?) {
        let d = if d.width() == size.width && d.height() == size.height {
            d
        } else {
            scaler.scale(&d)?
        };
        pairs.push((r, d));
    }
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get() as u32);
    let start = Instant::now();
    let mut vmaf = LibvmafScorer::new(VmafModel::V061, threads, 1)?;
    for (r, d) in &pairs {
        vmaf.push(r, d)?;
    }
    let scores = vmaf.finish()?;
    let seconds = start.elapsed().as_secs_f64();
    let mean = scores.iter().sum::<f64>() / scores.len().max(1) as f64;
    eprintln!("{} frames, mean VMAF {mean:.4}", scores.len());
    println!("{seconds:.3}");
    Ok(())
}
