//! `pertitle optimize`: the whole per-title run.

use super::ladder_args::LadderArgs;
use super::progress::Bar;
use anyhow::Context;
use pertitle::encode::codec::Codec;
use pertitle::encode::encoder::CapRule;
use pertitle::ladder::Constraints;
use pertitle::ladder::fixed::{ReferenceLadder, ReferenceRateControl};
use pertitle::measure::metrics::vmaf::{VmafEngine, VmafModel};
use pertitle::optimize::CodecChoice;
use pertitle::package::PackageOptions;
use pertitle::search::SearchMode;
use pertitle::{Metric, OptimizeOptions, Resolution};
use std::path::{Path, PathBuf};

/// Build a per-title ladder for INPUT and write OUTDIR/ladder.json.
///
/// Every resolution x CRF point is encoded with --codec (a keyframe opening every segment),
/// decoded back, upscaled (bicubic) to the source size and compared with the source frame
/// by frame. The upper convex hull of quality against bitrate across all resolutions gives
/// the efficient encodes. The rungs are then chosen to maximize the quality viewers get on
/// average (bandwidths spread log-uniformly over --viewer-kbps), under the ladder
/// constraints below; a rung may sit between two measured CRFs of a resolution (its CRF is
/// interpolated, and the manifest marks it). `pertitle ladder` re-selects rungs from a
/// ladder.json under other constraints without encoding again.
///
/// The source is decoded once per pass; all points of a pass run in parallel on --jobs
/// threads. The same input and options give the same ladder.json, byte for byte, apart from
/// its "timing" section.
#[derive(clap::Args, Clone)]
pub struct Args {
    /// The source video (8-bit 4:2:0 is measured as it is; other YUV formats are converted to
    /// it as they are decoded).
    pub(super) input: PathBuf,

    /// Directory to write ladder.json into (created if missing).
    #[arg(short, long, value_name = "OUTDIR")]
    pub(super) output: PathBuf,

    /// Trial heights in pixels; widths keep the source's aspect ratio, rounded to even.
    /// Heights above the source are skipped and the source's own height is added instead.
    #[arg(long, value_delimiter = ',', default_values_t = OptimizeOptions::default().heights)]
    resolutions: Vec<u32>,

    /// The codecs to build a ladder with, comma-separated: x264 (H.264), x265 (HEVC),
    /// svt-av1 or aom-av1 (AV1), vp9. Each runs through its libavcodec encoder on one thread,
    /// with every segment opening on a keyframe that starts a closed GOP. With several, the
    /// manifest holds a ladder per codec and the BD-rate of each against the first.
    #[arg(
        long,
        value_delimiter = ',',
        default_values_t = OptimizeOptions::default().codecs.iter().map(|c| c.codec),
        value_name = "CODEC"
    )]
    codec: Vec<Codec>,

    /// The constant-quality values tried at every resolution, on each codec's scale: CRF
    /// 0..51 for x264 and x265 (fractions allowed), whole numbers 1..63 for svt-av1 and 0..63
    /// for vp9 and aom-av1 (their constant-quality mode). `LIST` applies to every codec,
    /// `CODEC=LIST` to one (repeat the option for others).
    #[arg(long, value_name = "[CODEC=]LIST")]
    crf: Vec<String>,

    /// The preset of the trial encodes and of the rungs: ultrafast .. placebo for x264 and
    /// x265; a number for the others, higher is faster: svt-av1 0..12, vp9 cpu-used 0..5,
    /// aom-av1 cpu-used 0..6. `PRESET` applies to every codec, `CODEC=PRESET` to one
    /// (repeatable).
    #[arg(long, value_name = "[CODEC=]PRESET")]
    preset: Vec<String>,

    /// Run the search at this faster preset of the codec (`[CODEC=]PRESET`, as --preset), then encode only the rungs it chooses at
    /// --preset: those encodes, measured, are the ladder's points (the search's are kept
    /// apart, as proxy_points). The difference between the presets is calibrated on a small
    /// resolution (the smallest at least a third of the tallest's height) at three CRFs, then
    /// on every final encode, and the rungs are chosen on the proxy's points mapped by it (at
    /// most 3 passes of final encodes).
    /// Default: superfast for an adaptive x264 or x265 search at a slower --preset; none for
    /// the grid and the other codecs.
    #[arg(long, value_name = "[CODEC=]PRESET")]
    proxy_preset: Vec<String>,

    /// Keep every trial encode's result in DIR, named by a hash of everything that
    /// determines it (the source's bytes, resolution, CRF, codec, preset, encoder version, segment
    /// length, display size, metric settings), and reuse the results found there: running
    /// again with other ladder constraints, more CRFs or more resolutions encodes only the
    /// points not measured before. Runs may share one DIR.
    #[arg(long, value_name = "DIR")]
    cache: Option<PathBuf>,

    /// Run the search at --preset itself (no proxy preset).
    #[arg(long, conflicts_with = "proxy_preset")]
    no_proxy: bool,

    /// Share of the source the search encodes, for long titles: whole segments
    /// (--segment-seconds) spread evenly over it (0.25: one segment in every four, at least
    /// one; 1: the whole source). With a proxy preset, the rungs are then encoded and measured
    /// over the whole source. Without one, the ladder is chosen on the sample: its rungs are
    /// the sample's estimates (marked "sampled"), and `pertitle package` encodes the whole
    /// title. A source of too few segments is searched whole.
    #[arg(
        long,
        alias = "proxy-sample",
        value_name = "SHARE",
        default_value_t = pertitle::optimize::DEFAULT_SAMPLE
    )]
    sample: f64,

    /// Segment duration in seconds; every segment starts with a keyframe.
    #[arg(long, default_value_t = OptimizeOptions::default().segment_seconds)]
    segment_seconds: f64,

    /// Quality axis of the hull: vmaf (mean VMAF), psnr (mean luma PSNR) or ssim (mean luma
    /// SSIM). PSNR and SSIM are always measured; VMAF only when it is the axis.
    #[arg(
        long,
        value_parser = super::values::one_of(&Metric::ALL),
        default_value_t = OptimizeOptions::default().metric
    )]
    metric: Metric,

    /// VMAF model: v0.6.1 (1080p display), v0.6.1neg, phone or 4k.
    #[arg(long, default_value_t = OptimizeOptions::default().vmaf_model)]
    vmaf_model: VmafModel,

    /// VMAF implementation: native (pertitle's own; the reference frame's work is shared by
    /// every point of a pass) or libvmaf (libvmaf 3.2.0, one context per point). Both give
    /// the same scores.
    #[arg(long, default_value_t = OptimizeOptions::default().vmaf_engine)]
    vmaf_engine: VmafEngine,

    /// Score VMAF on every Nth frame only (frames 0, N, 2N, ... of each pass), the other
    /// metrics on every frame. A scored frame's motion still compares it with its true
    /// neighbours, so its score is the one it gets with N = 1.
    #[arg(long, value_name = "N", default_value_t = OptimizeOptions::default().vmaf_subsample)]
    vmaf_subsample: u32,

    /// Display size frames are scored at, WIDTHxHEIGHT: every encode is upscaled (bicubic)
    /// to it, and so is the source when its size differs (default: the source's size; with
    /// --devices, the display most of the classes are judged at).
    #[arg(long, value_name = "WxH")]
    display: Option<Resolution>,

    /// Also score every point for these device classes, comma-separated: built-in phone,
    /// laptop, tv, tv-4k, any, or a device class JSON file (docs/usage.md). Each class's
    /// quality is VMAF by its model at its display (phone: the phone model at 1080p; laptop
    /// and tv: v0.6.1 at 1080p; tv-4k: the 4k model at 2160p, for sources that tall), kept as
    /// vmaf_<name> on every point and rung; classes judged at one display share one feature
    /// pass. Turns VMAF on.
    #[arg(long, value_delimiter = ',', value_name = "CLASSES")]
    devices: Vec<String>,

    /// Shot-based measurement: find the title's shots first (as `pertitle shots` does),
    /// then open a segment, and so a keyframe, at every shot start in every trial encode
    /// (longer shots are cut into equal segments of at most --segment-seconds), and record
    /// every point's bits and quality per shot (points[].shots in ladder.json). The grid is
    /// measured whole, at the final preset (no --sample, --search adaptive or proxy preset).
    /// The rungs are then shot rungs (--shot-resolution free, --shot-pooling mean,
    /// --shot-guard p5 unless told otherwise).
    #[arg(long)]
    shots: bool,

    /// With --shots: the least score of a cut (see `pertitle shots --help`).
    #[arg(long, value_name = "T", requires = "shots", default_value_t = pertitle::shots::detect::DetectOptions::DEFAULT_THRESHOLD)]
    shot_threshold: f64,

    /// With --shots: the shortest shot, seconds; a shorter one merges with a neighbour.
    #[arg(long, value_name = "S", requires = "shots", default_value_t = pertitle::shots::detect::DetectOptions::DEFAULT_MIN_SHOT_SECONDS)]
    min_shot_seconds: f64,

    /// Parallel trial encodes (default: the number of cores).
    #[arg(short, long)]
    jobs: Option<usize>,

    /// Most points encoded in one pass over the source (each point holds an open encoder,
    /// about 400 bytes per pixel of its resolution); 0 = as many as fit in half the available
    /// memory. More passes decode the source more often but never change the results.
    #[arg(long, default_value_t = OptimizeOptions::default().points_per_pass)]
    points_per_pass: usize,

    /// How trial points are chosen: grid = every resolution at every --crf; adaptive =
    /// waves of points chosen from what has been measured so far, within the range of the
    /// --crf values (lowest to highest): each resolution starts at the cheapest CRF and is
    /// extended toward lower CRFs (up to --max-kbps) until a higher resolution beats it, then
    /// CRF gaps are split only where that resolution competes for the hull (at most 4 CRF
    /// apart there, 6 at a proxy preset, and finely where resolutions cross over). With
    /// adaptive, the search runs at --proxy-preset (superfast by default).
    #[arg(
        long,
        value_parser = super::values::one_of(&SearchMode::ALL),
        default_value_t = OptimizeOptions::default().search
    )]
    search: SearchMode,

    /// Also encode a fixed reference ladder on this title (apple-hls: Apple's HLS H.264
    /// ladder; netflix-2015: Netflix's pre-per-title ladder) at its rungs' bitrates (as
    /// --reference-rate-control says), measure it like the grid, and report the per-title ladder's
    /// BD-rate against it and the bits saved at its top quality. Rungs taller than the source
    /// are left out.
    #[arg(long, value_name = "LADDER")]
    compare_to: Option<ReferenceLadder>,

    /// How --compare-to encodes the reference rungs, at each rung's bitrate and with a
    /// keyframe opening every segment: two-pass (two-pass VBR, VBV peak cap 150% of the rung's
    /// bitrate), capped-crf (x264 CRF 23 / x265 CRF 28 capped at the rung's bitrate) or abr
    /// (one-pass average bitrate, VBV cap 110%). Default: two-pass for x264 and x265, abr for
    /// the other codecs (which have only abr).
    #[arg(long, value_name = "MODE", requires = "compare_to")]
    reference_rate_control: Option<ReferenceRateControl>,

    /// How the trial points and the rungs spend bits: crf (constant quality) or capped-crf
    /// (x264 and x265, grid search without a proxy preset): each point's CRF with a VBV
    /// maximum rate of --cap-maxrate times the average bitrate of the same CRF encoded
    /// without a cap (an encode-only pass measures it), and a buffer of --cap-buffer seconds
    /// of that rate. The points' sizes are then the capped encodes', and `pertitle package`
    /// encodes the rungs capped the same way.
    #[arg(long, value_name = "MODE", default_value = "crf", value_parser = ["crf", "capped-crf"])]
    rate_control: String,

    /// With --rate-control capped-crf: the VBV maximum rate, in multiples of the point's
    /// CRF-only average bitrate.
    #[arg(long, value_name = "FACTOR", default_value_t = CapRule::default().maxrate_factor, allow_negative_numbers = true)]
    cap_maxrate: f64,

    /// With --rate-control capped-crf: the VBV buffer, in seconds of the maximum rate.
    #[arg(long, value_name = "SECONDS", default_value_t = CapRule::default().buffer_seconds, allow_negative_numbers = true)]
    cap_buffer: f64,

    /// Then encode the rungs over the whole source and package them for HLS and DASH into
    /// OUTDIR/stream (replacing it), as `pertitle package` does.
    #[arg(long)]
    pub(super) package: bool,

    /// Then write the HTML report to OUTDIR/report.html, as `pertitle report` does.
    #[arg(long)]
    pub(super) report: bool,

    /// Print ladder.json to stdout instead of the summary table.
    #[arg(long)]
    json: bool,

    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,

    #[command(flatten)]
    ladder: LadderArgs,
}

/// `command` (`optimize` or `plan`) with the help of --crf and --preset ending in each
/// codec's defaults, read from the codecs' descriptions.
pub(super) fn with_defaults(command: clap::Command) -> clap::Command {
    let each = |value: fn(Codec) -> String| -> String {
        let list: Vec<String> = Codec::ALL
            .iter()
            .map(|&c| format!("{c} {}", value(c)))
            .collect();
        list.join("; ")
    };
    let crfs = each(|c| {
        let crfs: Vec<String> = c.default_crfs().iter().map(f64::to_string).collect();
        crfs.join(",")
    });
    let presets = each(|c| c.default_preset().to_string());
    let append = |extra: String| {
        move |arg: clap::Arg| {
            let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
            arg.help(format!("{help}. Defaults: {extra}."))
        }
    };
    command
        .mut_arg("crf", append(crfs))
        .mut_arg("preset", append(presets))
}

/// Fail early, before any encoding, if OUTDIR cannot hold ladder.json.
fn check_writable(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("{}: cannot create output directory", dir.display()))?;
    tempfile::tempfile_in(dir)
        .with_context(|| format!("{}: output directory is not writable", dir.display()))?;
    Ok(())
}

/// What `args` asks `optimize` to do.
pub(super) fn options(args: &Args) -> anyhow::Result<OptimizeOptions> {
    let defaults = OptimizeOptions::default();
    let args = args.clone();
    let mut codecs: Vec<Codec> = Vec::new();
    for &c in &args.codec {
        if !codecs.contains(&c) {
            codecs.push(c);
        }
    }
    let presets = PerCodec::parse("--preset", &args.preset, &codecs, |v| Ok(v.to_string()))?;
    let crfs = PerCodec::parse("--crf", &args.crf, &codecs, parse_crfs)?;
    let proxies = PerCodec::parse("--proxy-preset", &args.proxy_preset, &codecs, |v| {
        Ok(v.to_string())
    })?;
    let codecs = codecs
        .into_iter()
        .map(|codec| {
            let preset = presets
                .of(codec)
                .unwrap_or_else(|| codec.default_preset().to_string());
            let proxy_preset = match (args.no_proxy, proxies.of(codec)) {
                (true, _) => None,
                (false, Some(p)) => Some(p),
                (false, None) => {
                    pertitle::optimize::default_proxy_preset(codec, &preset, args.search)
                }
            };
            CodecChoice {
                codec,
                crfs: crfs.of(codec).unwrap_or_else(|| codec.default_crfs()),
                preset,
                proxy_preset,
            }
        })
        .collect();
    let options = OptimizeOptions {
        heights: args.resolutions,
        codecs,
        segment_seconds: args.segment_seconds,
        constraints: args.ladder.constraints(&Constraints {
            shot_rungs: args
                .shots
                .then_some(pertitle::shots::ladder::ShotResolution::Free),
            shot_guard: match args.shots {
                true => pertitle::shots::ladder::ShotGuard::P5,
                false => pertitle::shots::ladder::ShotGuard::None,
            },
            ..Constraints::default()
        }),
        objective: args.ladder.objective(defaults.objective)?,
        compare_to: args.compare_to,
        reference_rate_control: args.reference_rate_control,
        capped_crf: (args.rate_control == "capped-crf").then_some(CapRule {
            maxrate_factor: args.cap_maxrate,
            buffer_seconds: args.cap_buffer,
        }),
        metric: args.metric,
        vmaf_model: args.vmaf_model,
        vmaf_engine: args.vmaf_engine,
        vmaf_subsample: args.vmaf_subsample,
        display: args.display,
        jobs: args.jobs.unwrap_or(defaults.jobs),
        points_per_pass: args.points_per_pass,
        search: args.search,
        sample: args.sample,
        cache: args
            .cache
            .clone()
            .map(pertitle::optimize::CacheSettings::new),
        devices: args
            .devices
            .iter()
            .map(|d| pertitle::viewers::device::Device::resolve(d))
            .collect::<pertitle::Result<_>>()?,
        shots: args
            .shots
            .then_some(pertitle::shots::detect::DetectOptions {
                threshold: args.shot_threshold,
                min_shot_seconds: args.min_shot_seconds,
            }),
        found_shots: None,
    };
    options.validate()?;
    Ok(options)
}

/// A command-line value given for every codec (`VALUE`) or for one (`CODEC=VALUE`).
struct PerCodec<T> {
    all: Option<T>,
    one: Vec<(Codec, T)>,
}

impl<T: Clone> PerCodec<T> {
    fn parse(
        option: &str,
        values: &[String],
        codecs: &[Codec],
        parse: impl Fn(&str) -> anyhow::Result<T>,
    ) -> anyhow::Result<Self> {
        let mut out = PerCodec {
            all: None,
            one: Vec::new(),
        };
        for value in values {
            let named = value.split_once('=').map(|(c, v)| (c.parse::<Codec>(), v));
            match named {
                Some((Ok(codec), v)) => {
                    if !codecs.contains(&codec) {
                        anyhow::bail!("{option} {value}: {codec} is not among --codec");
                    }
                    let parsed = parse(v).with_context(|| format!("{option} {value}"))?;
                    out.one.retain(|(c, _)| *c != codec);
                    out.one.push((codec, parsed));
                }
                Some((Err(e), _)) => anyhow::bail!("{option} {value}: {e}"),
                None => out.all = Some(parse(value).with_context(|| format!("{option} {value}"))?),
            }
        }
        Ok(out)
    }

    /// The value for `codec`: its own, else the one for every codec.
    fn of(&self, codec: Codec) -> Option<T> {
        self.one
            .iter()
            .find(|(c, _)| *c == codec)
            .map(|(_, v)| v.clone())
            .or_else(|| self.all.clone())
    }
}

/// A comma-separated list of CRF values.
fn parse_crfs(list: &str) -> anyhow::Result<Vec<f64>> {
    list.split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<f64>()
                .map_err(|_| anyhow::anyhow!("{v:?} is not a number"))
        })
        .collect()
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let options = options(&args)?;
    run_with(&args.input, &args.output, &options, Outputs::of(&args))
}

/// What `optimize` writes besides OUTDIR/ladder.json, and how it reports.
#[derive(Debug, Clone, Copy)]
pub(super) struct Outputs {
    /// Package the rungs into OUTDIR/stream.
    pub package: bool,
    /// Write OUTDIR/report.html.
    pub report: bool,
    /// Print ladder.json instead of the summary.
    pub json: bool,
    /// No progress bar.
    pub quiet: bool,
}

impl Outputs {
    /// What `args` asks for.
    pub(super) fn of(args: &Args) -> Self {
        Outputs {
            package: args.package,
            report: args.report,
            json: args.json,
            quiet: args.quiet,
        }
    }
}

/// `optimize` of `input` into `output` with `options` (perhaps a plan's).
pub(super) fn run_with(
    input: &Path,
    output: &Path,
    options: &OptimizeOptions,
    then: Outputs,
) -> anyhow::Result<()> {
    use pertitle::util::overwrite::refuse_input_overwrite;
    refuse_input_overwrite(&output.join("ladder.json"), &[input], false)?;
    if then.package {
        refuse_input_overwrite(&output.join("stream"), &[input], true)?;
    }
    if then.report {
        refuse_input_overwrite(&output.join("report.html"), &[input], false)?;
    }
    // Probe first so a bad input fails before the output directory is touched.
    pertitle::probe(input)?;
    check_writable(output)?;

    let bar = Bar::new(!then.quiet);
    let result = pertitle::optimize(input, options, &bar);
    bar.finish();
    let manifest = result?;
    let path = output.join("ladder.json");
    manifest.write_atomic(&path)?;

    if then.json {
        println!("{}", serde_json::to_string_pretty(&manifest)?);
    } else {
        super::summary::print(&manifest);
        println!("wrote {}", path.display());
    }
    // With --json, stdout holds only the manifest.
    let mut packaged = None;
    if then.package {
        let stream = output.join("stream");
        let package_options = PackageOptions {
            source: Some(input.to_path_buf()),
            jobs: options.jobs,
            force: true,
            ..PackageOptions::default()
        };
        let bar = Bar::counting(!then.quiet, "rungs");
        let result = pertitle::package::package(&manifest, &stream, &package_options, &bar);
        bar.finish();
        let p = result?;
        if !then.json {
            super::package::print_summary(&p, manifest.settings.metric);
            println!("wrote {}", stream.display());
        }
        packaged = Some(p);
    }
    if then.report {
        let report = output.join("report.html");
        let font = Path::new(pertitle::report::DEFAULT_FONT);
        let show = !then.quiet && !then.json;
        let strips = super::report::strips(&manifest, Some(input.to_path_buf()), None, font, show)?;
        if then.json {
            let html = pertitle::report::html(&manifest, packaged.as_ref(), &strips)?;
            super::report::write_atomic(&report, html.as_bytes())?;
        } else {
            super::report::write(
                &manifest,
                packaged.as_ref(),
                &strips,
                None,
                &report,
                None,
                font,
            )?;
        }
    }
    Ok(())
}
