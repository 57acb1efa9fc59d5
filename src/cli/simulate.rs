//! `pertitle simulate`: play a ladder over network traces with an ABR algorithm and report
//! what viewers get.

use pertitle::encode::codec::Codec;
use pertitle::package::{PACKAGE_JSON, PackageManifest};
use pertitle::simulate::abr::bola::{self, Utility};
use pertitle::simulate::abr::{AbrKind, AbrSettings, mpc, throughput};
use pertitle::simulate::movie::{Movie, MovieSource};
use pertitle::simulate::network::resolve_traces;
use pertitle::simulate::outcome::{Settings, Simulation};
use pertitle::simulate::qoe::QoeWeights;
use pertitle::simulate::run::{self, LadderSimulation, SimulationOptions, TraceSet};
use pertitle::simulate::session::{self, SessionOptions};
use pertitle::viewers::device::Device;
use std::path::{Path, PathBuf};

/// Play a ladder over network traces, as viewers' players would, and report their quality
/// of experience.
///
/// Every trace is played from several start offsets (--offsets, spread evenly over it),
/// each a session of --session-seconds of video (the title loops). A session fetches one
/// segment at a time: each request pays the trace's latency, then the segment's real size
/// arrives at the trace's bandwidth; the buffer drains as it plays, and playback stalls when
/// it runs dry. The ABR algorithm picks each segment's rung:
///
/// - throughput: dash.js's throughput rule (EWMA estimate x 0.9, insufficient-buffer rule);
///
/// - bola: BOLA (Spiteri et al. 2016), basic, as Sabre implements it;
///
/// - dynamic: dash.js's default, throughput while the buffer is low, BOLA above 10 s;
///
/// - mpc: RobustMPC (Yin et al. 2015), maximising the QoE over 5 segments ahead.
///
/// docs/simulate.md gives the model, every formula and default, and the agreement with Sabre.
///
/// For each session: startup delay, stalls, stall time and ratio, mean and 5th-percentile
/// quality (the ladder's own metric per segment, VMAF by default), switches, bits, and a
/// linear QoE score = (sum of segment qualities - switch penalty x quality changes -
/// rebuffer penalty x stall seconds - startup penalty x startup seconds) / segments. The
/// table shows each figure's mean, 10th, 50th and 90th percentile over sessions, per trace
/// set and overall.
///
/// LADDER is a ladder.json (measured rungs only, unless --package gives a package of it;
/// a ladder written by `optimize --package` plays its package in OUTDIR/stream) or a Sabre
/// movie JSON (segment_duration_ms, bitrates_kbps, segment_sizes_bits), whose
/// quality is Sabre's utility, ln(bitrate / lowest bitrate).
///
/// Example: pertitle simulate OUT/ladder.json --traces ../shared/traces/4g_ghent
///          --traces ../shared/traces/3g_norway_hsdpa --device phone -o OUT/sim
#[derive(clap::Args)]
pub struct Args {
    /// A ladder.json, or a Sabre movie JSON.
    ladder: PathBuf,

    /// Network traces: a trace file or a directory of them (Sabre JSON, `time Mbit/s` text,
    /// Mahimahi), or a synthetic profile: constant:5000 (kbps), step:8000,1500,at=60,
    /// fade:8000,1000,over=300, bursty:6000,800 (each also takes latency=MS, default 40;
    /// see docs/traces.md). Repeat for several trace sets, each also summarised on its own.
    #[arg(long, value_name = "FILE_OR_DIR", required = true)]
    traces: Vec<String>,

    /// Another ladder to play over the same sessions, shown side by side (repeatable).
    #[arg(long, value_name = "LADDER")]
    compare: Vec<PathBuf>,

    /// Also play the fixed reference ladder LADDER was compared with (`optimize
    /// --compare-to apple-hls`): its rungs as encoded and measured on the title.
    #[arg(long)]
    reference: bool,

    /// The ABR algorithm.
    #[arg(long, value_parser = super::values::one_of(&AbrKind::ALL), default_value_t = AbrKind::Dynamic)]
    abr: AbrKind,

    /// The device class: phone (up to 1280x720, 8 Mbit/s, H.264/HEVC/AV1), laptop
    /// (1920x1080, 16 Mbit/s), tv (1920x1080, 20 Mbit/s), tv-4k (3840x2160, 40 Mbit/s),
    /// any (no limit), or a JSON file {"name", "max_width", "max_height", "max_kbps",
    /// "codecs": ["h264", ...]}. Rungs above it are not offered. A ladder optimized with
    /// --devices including the class plays the class's own quality (vmaf_<class>).
    #[arg(long, value_name = "CLASS_OR_FILE", default_value = "any")]
    device: String,

    /// Seconds of video per session; the title loops to fill it (0: the title once).
    #[arg(long, value_name = "SECONDS", default_value_t = 600.0)]
    session_seconds: f64,

    /// The most video the player buffers, seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = session::DEFAULT_BUFFER_S)]
    buffer_seconds: f64,

    /// Video buffered before playback starts, and resumes after a stall, seconds (at least
    /// one segment; 0: one segment, as Sabre).
    #[arg(long, value_name = "SECONDS", default_value_t = session::DEFAULT_STARTUP_S)]
    startup_seconds: f64,

    /// Start offsets per trace, spread evenly over it.
    #[arg(long, value_name = "N", default_value_t = run::DEFAULT_OFFSETS)]
    offsets: usize,

    /// Never abandon a download (throughput and dynamic abandon a download that would take
    /// over 1.8 segment durations, as dash.js does; BOLA one that its objective ranks below
    /// a lower rung's whole segment; MPC never abandons).
    #[arg(long)]
    no_abandon: bool,

    /// The codec whose ladder to play (default: the first the device decodes).
    #[arg(long, value_name = "CODEC")]
    codec: Option<Codec>,

    /// A package of LADDER (`pertitle package`): every rung's sizes come from its segment
    /// files, so interpolated rungs play too.
    #[arg(long, value_name = "DIR")]
    package: Option<PathBuf>,

    /// A package of a --compare ladder (repeatable: the first for the first --compare, and
    /// so on).
    #[arg(long, value_name = "DIR")]
    compare_package: Vec<PathBuf>,

    /// The quality of a segment: a metric the ladder measured per segment (vmaf, psnr_y,
    /// ssim_y, vmaf_phone, ...; default: the device class's own when LADDER was scored for
    /// it, for every ladder played, else each ladder's own).
    #[arg(long, value_name = "METRIC")]
    metric: Option<String>,

    /// What delivering a GB (10^9 bytes) costs, dollars: the tables give each ladder's GB
    /// and cost per viewing hour (a round CDN price by default; set your own).
    #[arg(long, value_name = "DOLLARS", default_value_t = pertitle::viewers::cost::default_delivery_price())]
    price_per_gb: f64,

    /// QoE: penalty per second of stall (default: the scale's top, 100 for VMAF).
    #[arg(long, value_name = "WEIGHT")]
    rebuffer_penalty: Option<f64>,

    /// QoE: penalty per unit of quality change at a switch.
    #[arg(long, value_name = "WEIGHT", default_value_t = 1.0)]
    switch_penalty: f64,

    /// QoE: penalty per second of startup delay (default: the rebuffer penalty).
    #[arg(long, value_name = "WEIGHT")]
    startup_penalty: Option<f64>,

    /// BOLA's utility: quality (the rung's quality, scaled to the log-bitrate range) or
    /// log-bitrate (as published).
    #[arg(long, value_name = "UTILITY", default_value_t = Utility::Quality)]
    bola_utility: Utility,

    /// BOLA's gamma-p product.
    #[arg(long, value_name = "GP", default_value_t = bola::DEFAULT_GAMMA_P)]
    gamma_p: f64,

    /// The throughput rule's safety factor on its estimate.
    #[arg(long, value_name = "FACTOR", default_value_t = throughput::SAFETY)]
    safety: f64,

    /// MPC's look-ahead, segments (1 to 10; its search grows as rungs^horizon).
    #[arg(long, value_name = "SEGMENTS", default_value_t = mpc::HORIZON)]
    horizon: usize,

    /// Print simulation.json to stdout instead of the table.
    #[arg(long, conflicts_with = "csv")]
    json: bool,

    /// Print one CSV row per session to stdout instead of the table.
    #[arg(long)]
    csv: bool,

    /// Write simulation.json and sessions.csv into this directory (for `pertitle report
    /// --simulation`).
    #[arg(short, long, value_name = "DIR")]
    output: Option<PathBuf>,
}

/// The longest session, seconds of video.
const MAX_SESSION_S: f64 = 604_800.0;
/// The most start offsets per trace.
const MAX_OFFSETS: usize = 1000;
/// MPC's longest look-ahead.
const MAX_HORIZON: usize = 10;

pub fn run(args: Args) -> anyhow::Result<()> {
    check(&args)?;
    let device = Device::resolve(&args.device)?;
    let sets = args
        .traces
        .iter()
        .map(|name| {
            Ok(TraceSet {
                name: name.clone(),
                traces: resolve_traces(name)?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let session_s = (args.session_seconds > 0.0).then_some(args.session_seconds);
    let options = SimulationOptions {
        abr: args.abr,
        abr_settings: AbrSettings {
            bola_utility: args.bola_utility,
            bola_gamma_p: args.gamma_p,
            safety: args.safety,
            qoe: QoeWeights::default(),
            horizon: args.horizon,
        },
        session: SessionOptions {
            buffer_s: args.buffer_seconds,
            startup_s: args.startup_seconds,
            session_s,
            abandonment: !args.no_abandon,
            record: false,
        },
        offsets: args.offsets,
        qoe: None,
    };
    let mut ladders = vec![(args.ladder.clone(), args.package.clone(), false)];
    for (i, c) in args.compare.iter().enumerate() {
        ladders.push((c.clone(), args.compare_package.get(i).cloned(), false));
    }
    if args.reference {
        ladders.push((args.ladder.clone(), None, true));
    }
    // One quality scale for every ladder: --metric, else the device class's own when the
    // first ladder was scored for it (a compared ladder without it is then refused).
    let metric = args.metric.clone().or_else(|| {
        pertitle::Manifest::read(&args.ladder).ok().and_then(|m| {
            m.settings
                .devices
                .iter()
                .find(|d| d.name == device.name)
                .map(|d| d.key.clone())
        })
    });
    let mut results = Vec::new();
    for (path, package, reference) in &ladders {
        let movie = load_movie(
            &args,
            path,
            package.as_deref(),
            &device,
            *reference,
            metric.as_deref(),
        )?;
        let longest = movie.segment_s();
        anyhow::ensure!(
            args.buffer_seconds > longest,
            "--buffer-seconds {} must exceed the longest segment of {} ({longest} s): the buffer \
             needs room for a segment beside what plays",
            args.buffer_seconds,
            path.display()
        );
        let defaults = QoeWeights::for_scale(&movie);
        let rebuffer = args.rebuffer_penalty.unwrap_or(defaults.rebuffer);
        let weights = QoeWeights {
            rebuffer,
            switch: args.switch_penalty,
            startup: args.startup_penalty.unwrap_or(rebuffer),
        };
        let options = SimulationOptions {
            qoe: Some(weights),
            ..options
        };
        let replay = results.first();
        let result = run::simulate(&movie, &sets, &options, replay)?;
        results.push(result);
    }
    let simulation = Simulation {
        generator: format!("pertitle {}", env!("CARGO_PKG_VERSION")),
        device,
        settings: Settings {
            abr: args.abr.to_string(),
            buffer_s: args.buffer_seconds,
            startup_s: args.startup_seconds,
            session_s,
            offsets: args.offsets,
            abandonment: !args.no_abandon,
            bola_utility: args.bola_utility.to_string(),
            bola_gamma_p: args.gamma_p,
            safety: args.safety,
            horizon: args.horizon,
            delivery_price_per_gb: args.price_per_gb,
        },
        ladders: results,
    };
    if let Some(dir) = &args.output {
        simulation.write(dir)?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&simulation)?);
    } else if args.csv {
        print!("{}", simulation.csv());
    } else {
        print!("{}", table(&simulation));
    }
    Ok(())
}

fn check(args: &Args) -> anyhow::Result<()> {
    let positive = [
        ("--buffer-seconds", args.buffer_seconds),
        ("--safety", args.safety),
        ("--gamma-p", args.gamma_p),
    ];
    for (name, v) in positive {
        anyhow::ensure!(v > 0.0 && v.is_finite(), "{name} must be a positive number");
    }
    let not_negative = [
        ("--session-seconds", args.session_seconds),
        ("--startup-seconds", args.startup_seconds),
        ("--switch-penalty", args.switch_penalty),
        ("--rebuffer-penalty", args.rebuffer_penalty.unwrap_or(0.0)),
        ("--startup-penalty", args.startup_penalty.unwrap_or(0.0)),
    ];
    for (name, v) in not_negative {
        anyhow::ensure!(
            v >= 0.0 && v.is_finite(),
            "{name} must be a number, 0 or more"
        );
    }
    anyhow::ensure!(
        args.session_seconds <= MAX_SESSION_S,
        "--session-seconds must be at most {MAX_SESSION_S} (a week of video)"
    );
    anyhow::ensure!(
        (1..=MAX_OFFSETS).contains(&args.offsets),
        "--offsets must be 1 to {MAX_OFFSETS}"
    );
    anyhow::ensure!(
        (1..=MAX_HORIZON).contains(&args.horizon),
        "--horizon must be 1 to {MAX_HORIZON} (MPC's search grows as rungs^horizon)"
    );
    anyhow::ensure!(
        args.startup_seconds <= args.buffer_seconds,
        "--startup-seconds ({}) cannot exceed --buffer-seconds ({})",
        args.startup_seconds,
        args.buffer_seconds
    );
    anyhow::ensure!(
        args.price_per_gb >= 0.0 && args.price_per_gb.is_finite(),
        "--price-per-gb must be a number, 0 or more"
    );
    anyhow::ensure!(
        args.compare_package.len() <= args.compare.len(),
        "--compare-package needs a --compare ladder for each package"
    );
    Ok(())
}

/// The movie of `path` as `device` sees it: the codec asked for, else the first ladder the
/// device decodes.
fn load_movie(
    args: &Args,
    path: &Path,
    package: Option<&Path>,
    device: &Device,
    reference: bool,
    metric: Option<&str>,
) -> anyhow::Result<Movie> {
    let beside = path.parent().map(|d| d.join("stream"));
    let package = match (package, &beside) {
        // The reference ladder's rungs have their own trial encodes.
        _ if reference => None,
        (Some(dir), _) => Some((PackageManifest::read(dir)?, dir)),
        // A ladder with rungs that were never encoded, written by `optimize --package`:
        // its package is beside it.
        (None, Some(stream)) if needs_package(path) && stream.join(PACKAGE_JSON).is_file() => {
            eprintln!(
                "{}: interpolated rungs play from the package in {} (--package)",
                path.display(),
                stream.display()
            );
            Some((PackageManifest::read(stream)?, stream.as_path()))
        }
        (None, _) => None,
    };
    let mut codec = args.codec;
    if codec.is_none()
        && let Ok(m) = pertitle::Manifest::read(path)
    {
        codec = m
            .ladders
            .iter()
            .map(|l| l.codec)
            .find(|c| device.decodes(Some(*c)));
    }
    let source = MovieSource {
        codec,
        metric,
        package: package.as_ref().map(|(p, d)| (p, *d)),
        reference,
    };
    let mut movie = Movie::load(path, source)?;
    // The absolute path, so that a report finds its own ladder whatever the directory.
    if let Ok(absolute) = std::fs::canonicalize(path) {
        movie.path = absolute;
    }
    if reference {
        let manifest = pertitle::Manifest::read(path)?;
        let name = movie
            .codec
            .and_then(|c| manifest.ladder(c))
            .and_then(|l| l.comparison.as_ref())
            .map_or("reference", |c| c.reference.name());
        movie.path = PathBuf::from(format!("{}#{name}", movie.path.display()));
    }
    Ok(device.offer(movie)?)
}

/// Whether `path` is a ladder.json with a rung that has no segment sizes.
fn needs_package(path: &Path) -> bool {
    pertitle::Manifest::read(path).is_ok_and(|m| {
        m.ladders
            .iter()
            .flat_map(|l| &l.rungs)
            .any(|r| r.segment_sizes_bits.is_empty())
    })
}

/// The table for people: per ladder, per trace set, each figure's distribution.
fn table(sim: &Simulation) -> String {
    let mut out = String::new();
    let rows: [(&str, &str, f64); 9] = [
        ("qoe", "QoE", 1.0),
        ("mean_quality", "mean quality", 1.0),
        ("p5_quality", "5th pct quality", 1.0),
        ("startup_s", "startup, s", 1.0),
        ("stall_s", "stall, s", 1.0),
        ("stall_ratio", "stall ratio, %", 100.0),
        ("switches", "switches", 1.0),
        ("played_kbps", "played, kbps", 1.0),
        ("fetched_mbit", "fetched, Mbit", 1.0),
    ];
    let s = &sim.settings;
    out.push_str(&format!(
        "{} over {} sessions per ladder ({} offsets per trace, {}), buffer {} s, startup {} s, device {}\n",
        s.abr,
        sim.ladders.first().map_or(0, |l| l.summary.sessions),
        s.offsets,
        s.session_s
            .map_or("title once".to_string(), |v| format!("{v} s of video each")),
        s.buffer_s,
        s.startup_s,
        sim.device.name
    ));
    let groups = sim.ladders.first().map_or(0, |l| l.sets.len());
    for g in 0..=groups {
        let label = if g == groups {
            if groups == 1 {
                break;
            }
            "all traces".to_string()
        } else {
            sim.ladders[0].sets[g].name.clone()
        };
        out.push_str(&format!("\n{label}\n"));
        out.push_str(&format!("{:<18}", "figure"));
        for (i, l) in sim.ladders.iter().enumerate() {
            let name = if sim.ladders.len() > 1 {
                format!(
                    "{} ({})",
                    char::from_u32('A' as u32 + (i % 26) as u32).unwrap_or('?'),
                    l.quality
                )
            } else {
                l.quality.clone()
            };
            out.push_str(&format!(
                " | {:>36}",
                format!("{name}:     mean      p10      p50      p90")
            ));
        }
        out.push('\n');
        for (key, name, scale) in rows {
            out.push_str(&format!("{name:<18}"));
            for l in &sim.ladders {
                let summary = if g == groups {
                    &l.summary
                } else {
                    &l.sets[g].summary
                };
                match summary.figures.get(key) {
                    Some(st) => out.push_str(&format!(
                        " | {:>9.2} {:>8.2} {:>8.2} {:>8.2}",
                        st.mean * scale,
                        st.p10 * scale,
                        st.p50 * scale,
                        st.p90 * scale
                    )),
                    None => out.push_str(&format!(" | {:>36}", "-")),
                }
            }
            out.push('\n');
        }
        for (name, per_hour) in [
            ("GB per view hour", 1.0),
            ("$ per 1000 h", 1000.0 * sim.settings.delivery_price_per_gb),
        ] {
            out.push_str(&format!("{name:<18}"));
            for l in &sim.ladders {
                let summary = if g == groups {
                    &l.summary
                } else {
                    &l.sets[g].summary
                };
                out.push_str(&format!(
                    " | {:>36}",
                    format!("{:.3}", summary.gb_per_viewing_hour * per_hour)
                ));
            }
            out.push('\n');
        }
        out.push_str(&format!("{:<18}", "sessions stalled"));
        for l in &sim.ladders {
            let summary = if g == groups {
                &l.summary
            } else {
                &l.sets[g].summary
            };
            let capped = if summary.capped > 0 {
                format!(" ({} gave up)", summary.capped)
            } else {
                String::new()
            };
            out.push_str(&format!(
                " | {:>36}",
                format!("{:.1}%{capped}", summary.stalled_share * 100.0)
            ));
        }
        out.push('\n');
    }
    for l in &sim.ladders {
        out.push_str(&format!("\n{}", ladder_line(l)));
    }
    out.push('\n');
    out
}

fn ladder_line(l: &LadderSimulation) -> String {
    let rungs: Vec<String> = l
        .rungs
        .iter()
        .map(|r| match r.size {
            Some((_, h)) => format!("{h}p {:.0}", r.bitrate_kbps),
            None => format!("{:.0}", r.bitrate_kbps),
        })
        .collect();
    format!(
        "{}{}: {} rungs (kbps): {}",
        l.ladder,
        l.codec
            .as_deref()
            .map_or(String::new(), |c| format!(" [{c}]")),
        l.rungs.len(),
        rungs.join(", ")
    )
}
