//! `pertitle compare`: Bjontegaard delta rate of one ladder (or curve) against another.

use anyhow::{Context, anyhow};
use pertitle::encode::codec::Codec;
use pertitle::ladder::bdrate::{BdError, BdReport, Curve, Interpolation};
use pertitle::ladder::hull::RateQuality;
use pertitle::{Manifest, Metric};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Compare two rate-quality curves: BD-rate and BD-quality of B against A.
///
/// BD-rate (Bjontegaard delta rate) is the average bitrate difference between two curves at
/// equal quality, over the quality range both cover: each curve's log bitrate is fitted as a
/// function of quality (by default with piecewise cubic Hermite interpolation, as the JVET and
/// AOM test conditions do) and the two fits are averaged and compared. Negative means B is
/// more efficient: -12% = B needs 12% fewer bits than A for the same quality. BD-quality is the
/// mirror image: B's quality minus A's at equal bitrate, averaged over the shared bitrates in
/// log scale (BD-PSNR when quality is PSNR); positive means B scores higher.
///
/// A and B are each either a ladder.json written by `pertitle optimize` (its rungs by default,
/// or with --hull the points on its convex hull) or a JSON curve file [[kbps, quality], ...].
/// The quality of a ladder.json is the run's own metric (`settings.metric`) unless --metric
/// picks another; a curve file is taken to be in the same metric. Each curve needs at least 4
/// points, with distinct qualities (and distinct bitrates for BD-quality).
#[derive(clap::Args)]
pub struct Args {
    /// The anchor: a ladder.json or a [[kbps, quality], ...] curve file.
    a: PathBuf,
    /// The test, compared against A: a ladder.json or a [[kbps, quality], ...] curve file.
    b: PathBuf,
    /// Compare the ladders' convex-hull points (the points with `on_hull`, as the run computed
    /// them on its own metric) instead of their rungs. Has no effect on curve files.
    #[arg(long)]
    hull: bool,
    /// The codec whose ladder to take from a ladder.json A (default: its first).
    #[arg(long, value_name = "CODEC")]
    codec: Option<Codec>,
    /// The codec whose ladder to take from a ladder.json B (default: --codec if given, else
    /// its first): `compare OUT/ladder.json OUT/ladder.json --codec x264 --codec-b x265`
    /// compares two codecs of one run.
    #[arg(long, value_name = "CODEC")]
    codec_b: Option<Codec>,
    /// Quality axis of a ladder.json: psnr (psnr_y), ssim (ssim_y) or vmaf (default: each
    /// ladder's own metric; two ladders of different metrics need --metric).
    #[arg(long, value_parser = super::values::one_of(&Metric::ALL))]
    metric: Option<Metric>,
    /// How each curve is fitted before integrating: pchip (piecewise cubic Hermite,
    /// monotone slopes: JVET / JCT-VC CTC, AOM AWCY), cubic (one least-squares cubic
    /// polynomial: VCEG-M33, the original BD-rate) or akima (Akima's 1970 spline).
    #[arg(
        long,
        value_parser = super::values::one_of(&Interpolation::ALL),
        default_value_t = Interpolation::default()
    )]
    method: Interpolation,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// What a file holds before the quality axis is chosen.
enum Input {
    Manifest(Box<Manifest>),
    Curve(Vec<(f64, f64)>),
}

/// Which points of a file were compared.
#[derive(Clone, Copy, Serialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    /// The rungs of a ladder.json.
    Rungs,
    /// The points of a ladder.json marked `on_hull`.
    Hull,
    /// A plain [[kbps, quality], ...] file.
    Curve,
}

/// One side of the comparison.
#[derive(Serialize)]
struct Side {
    path: PathBuf,
    /// The codec of the ladder taken from a ladder.json.
    #[serde(skip_serializing_if = "Option::is_none")]
    codec: Option<Codec>,
    kind: Kind,
    /// [kbps, quality] as compared.
    points: Vec<[f64; 2]>,
}

impl Side {
    fn curve(&self) -> Vec<RateQuality> {
        self.points
            .iter()
            .map(|&[kbps, quality]| RateQuality { kbps, quality })
            .collect()
    }

    fn describe(&self) -> String {
        let n = self.points.len();
        let what = match self.kind {
            Kind::Rungs => "rungs",
            Kind::Hull => "hull points",
            Kind::Curve => "points",
        };
        let codec = self.codec.map_or(String::new(), |c| format!(" {c}"));
        format!("{}:{codec} {n} {what}", self.path.display())
    }
}

#[derive(Serialize)]
struct JsonReport<'a> {
    a: &'a Side,
    b: &'a Side,
    /// The quality metric, when known (always, if either input is a ladder.json).
    metric: Option<Metric>,
    #[serde(flatten)]
    report: &'a BdReport,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let input_a = read_input(&args.a)?;
    let input_b = read_input(&args.b)?;
    let metric = choose_metric(&args, &input_a, &input_b)?;
    let a = side(&args.a, input_a, metric, args.hull, args.codec)?;
    let b = side(
        &args.b,
        input_b,
        metric,
        args.hull,
        args.codec_b.or(args.codec),
    )?;
    let method = args.method;
    let report = pertitle::ladder::bdrate::compare(&a.curve(), &b.curve(), method)
        .map_err(|e| explain(e, &a, &b))?;
    if args.json {
        let json = JsonReport {
            a: &a,
            b: &b,
            metric,
            report: &report,
        };
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        print_text(&a, &b, metric, &report);
    }
    Ok(())
}

/// A ladder.json if it reads as one, else a [[kbps, quality], ...] curve.
fn read_input(path: &Path) -> anyhow::Result<Input> {
    let not_manifest = match Manifest::read(path) {
        Ok(m) => return Ok(Input::Manifest(Box::new(m))),
        Err(e @ pertitle::Error::Manifest { .. }) => e,
        Err(e) => return Err(e.into()),
    };
    let bytes = std::fs::read(path).with_context(|| path.display().to_string())?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        anyhow!(
            "{}: not JSON ({e}); expected a ladder.json or a [[kbps, quality], ...] curve",
            path.display()
        )
    })?;
    if !value.is_array() {
        // An object: meant as a manifest, so its error is the useful one.
        return Err(not_manifest.into());
    }
    let curve: Vec<(f64, f64)> = serde_json::from_value(value).map_err(|e| {
        anyhow!(
            "{}: invalid curve file, expected [[kbps, quality], ...]: {e}",
            path.display()
        )
    })?;
    Ok(Input::Curve(curve))
}

/// --metric, else the ladders' own metric (which must agree), else unknown (two curve files).
fn choose_metric(args: &Args, a: &Input, b: &Input) -> anyhow::Result<Option<Metric>> {
    if let Some(m) = args.metric {
        return Ok(Some(m));
    }
    let own = |input: &Input| match input {
        Input::Manifest(m) => Some(m.settings.metric),
        Input::Curve(_) => None,
    };
    match (own(a), own(b)) {
        (Some(ma), Some(mb)) if ma != mb => Err(anyhow!(
            "{} measures quality as {ma} and {} as {mb}; choose one with --metric",
            args.a.display(),
            args.b.display()
        )),
        (ma, mb) => Ok(ma.or(mb)),
    }
}

fn side(
    path: &Path,
    input: Input,
    metric: Option<Metric>,
    hull: bool,
    codec: Option<Codec>,
) -> anyhow::Result<Side> {
    let mut ladder_codec = None;
    let (kind, points) = match input {
        Input::Curve(c) => (Kind::Curve, c.into_iter().map(|(r, q)| [r, q]).collect()),
        Input::Manifest(m) => {
            let l = pertitle::package::export::ladder_of(&m, codec)
                .with_context(|| path.display().to_string())?;
            ladder_codec = Some(l.codec);
            // A manifest always has a metric: its own one if --metric was not given.
            let metric = metric.unwrap_or(m.settings.metric);
            let no_vmaf = || {
                anyhow!(
                    "{}: no vmaf scores (the run did not measure VMAF); use --metric psnr or ssim",
                    path.display()
                )
            };
            if hull {
                let points = l
                    .points
                    .iter()
                    .filter(|p| p.on_hull)
                    .map(|p| metric.value(p).map(|q| [p.bitrate_kbps, q]))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(no_vmaf)?;
                (Kind::Hull, points)
            } else {
                let points = l
                    .rungs
                    .iter()
                    .map(|r| metric.value(r).map(|q| [r.bitrate_kbps, q]))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(no_vmaf)?;
                (Kind::Rungs, points)
            }
        }
    };
    Ok(Side {
        path: path.to_path_buf(),
        codec: ladder_codec,
        kind,
        points,
    })
}

/// A BD error as one line naming the file(s) it is about, with a hint where one helps.
fn explain(e: BdError, a: &Side, b: &Side) -> anyhow::Error {
    let side = match e.curve() {
        Some(Curve::Anchor) => a,
        Some(Curve::Test) => b,
        None => {
            return anyhow!("{} vs {}: {e}", a.path.display(), b.path.display());
        }
    };
    let hint = match (&e, side.kind) {
        (BdError::TooFewPoints { .. }, Kind::Rungs) => "; try --hull to compare the hull points",
        _ => "",
    };
    anyhow!("{}: {e}{hint}", side.path.display())
}

fn print_text(a: &Side, b: &Side, metric: Option<Metric>, r: &BdReport) {
    let field = metric.map_or("quality", Metric::field);
    // dB for PSNR; SSIM needs more decimals than the others.
    let (unit, digits) = match metric {
        Some(Metric::Psnr) => (" dB", 3),
        Some(Metric::Ssim) => ("", 5),
        Some(Metric::Vmaf) | None => ("", 3),
    };
    println!("A           {}", a.describe());
    println!("B           {}", b.describe());
    println!(
        "method      {} ({})",
        r.method.name(),
        r.method.description()
    );
    println!(
        "overlap     {field} {:.digits$} .. {:.digits$} (BD-rate), {:.1} .. {:.1} kbps (BD-quality)",
        r.quality_overlap[0], r.quality_overlap[1], r.kbps_overlap[0], r.kbps_overlap[1]
    );

    let pct = r.bd_rate_percent;
    let rate_words = if format!("{:.2}", pct.abs()) == "0.00" {
        "B needs as many bits as A at equal quality".to_string()
    } else if pct < 0.0 {
        format!("B needs {:.2}% fewer bits than A at equal quality", -pct)
    } else {
        format!("B needs {pct:.2}% more bits than A at equal quality")
    };
    println!("BD-rate     {pct:+.2}%: {rate_words}");

    let dq = r.bd_quality;
    let magnitude = format!("{:.digits$}", dq.abs());
    let quality_words = if magnitude.bytes().all(|c| c == b'0' || c == b'.') {
        "B scores the same as A at equal bitrate".to_string()
    } else if dq < 0.0 {
        format!("B scores {magnitude}{unit} lower than A at equal bitrate")
    } else {
        format!("B scores {magnitude}{unit} higher than A at equal bitrate")
    };
    let label = metric.map_or(String::new(), |m| format!(" ({})", m.field()));
    println!("BD-quality  {dq:+.digits$}{unit}{label}: {quality_words}");
}
