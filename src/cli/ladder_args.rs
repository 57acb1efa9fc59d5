//! The ladder options shared by `optimize` and `ladder`.

use pertitle::ladder::{Constraints, ForcedRung, Objective};
use pertitle::viewers::cost::Prices;
use pertitle::viewers::mix::ViewerMix;
use std::path::PathBuf;

/// Constraints and objective of the rung selection. Each option left out keeps its base value
/// (the defaults for `optimize`, the input manifest's for `ladder`).
#[derive(clap::Args, Debug, Default, Clone)]
#[command(next_help_heading = "Ladder constraints")]
pub struct LadderArgs {
    /// Fewest rungs.
    #[arg(long, value_name = "N")]
    min_rungs: Option<usize>,
    /// Most rungs.
    #[arg(long, value_name = "N")]
    max_rungs: Option<usize>,
    /// No rung below this average bitrate, kbit/s.
    #[arg(long, value_name = "KBPS")]
    min_kbps: Option<f64>,
    /// No rung above this average bitrate, kbit/s.
    #[arg(long, value_name = "KBPS")]
    max_kbps: Option<f64>,
    /// Adjacent rungs at least this bitrate ratio apart.
    #[arg(long, value_name = "RATIO")]
    min_step: Option<f64>,
    /// Adjacent rungs at most this bitrate ratio apart; see --no-max-step.
    #[arg(long, value_name = "RATIO", conflicts_with = "no_max_step")]
    max_step: Option<f64>,
    /// No upper bound on the step between adjacent rungs.
    #[arg(long)]
    no_max_step: bool,
    /// Top-rung quality target (e.g. 95 for VMAF): no rung spends more bits than the cheapest
    /// hull point reaching it.
    #[arg(long, value_name = "QUALITY")]
    top_quality: Option<f64>,
    /// The lowest rung must reach this quality.
    #[arg(long, value_name = "QUALITY")]
    min_bottom_quality: Option<f64>,
    /// The lowest rung must be at most this bitrate, kbit/s.
    #[arg(long, value_name = "KBPS")]
    max_bottom_kbps: Option<f64>,
    /// Adjacent rungs must differ by at least this much quality (e.g. 6 VMAF points, about
    /// one just-noticeable difference).
    #[arg(long, value_name = "QUALITY")]
    min_quality_gap: Option<f64>,
    /// Smallest frame height of a rung.
    #[arg(long, value_name = "PIXELS")]
    min_height: Option<u32>,
    /// Largest frame height of a rung.
    #[arg(long, value_name = "PIXELS")]
    max_height: Option<u32>,
    /// Only these frame heights, comma-separated (e.g. 360,540,720,1080); the hull is taken
    /// over the allowed points only.
    #[arg(long, value_delimiter = ',', value_name = "HEIGHTS")]
    allowed_heights: Vec<u32>,
    /// A rung that must be in the ladder: KBPS, or KBPS@HEIGHT to fix its resolution
    /// (repeatable). It is placed on the measured curve, interpolating the CRF if needed
    /// (shot rungs: the operating point of that height nearest the bitrate; in free mode no
    /// shot larger than HEIGHT).
    #[arg(long, value_name = "KBPS[@HEIGHT]")]
    force_rung: Vec<ForcedRung>,
    /// Only measured points as rungs: no CRF interpolated between two measured ones (shot
    /// rungs: every shot takes a trial encode).
    #[arg(long)]
    measured_only: bool,
    /// Shot rungs, for a shot-based run (optimize --shots, where they are the default, as
    /// free): each rung takes one encode per shot (a trial encode, or one estimated at a whole
    /// CRF between two measured ones), where every shot sits at one slope of its own
    /// quality-rate hull, so hard shots get the bits that buy the most quality.
    /// fixed: one resolution per rung, each shot its own CRF; free: each shot its own
    /// resolution too, the rung declaring the largest (its rendition changes size at shot
    /// starts: x264, x265 and VP9; AV1 ladders take fixed).
    #[arg(long, value_name = "MODE", conflicts_with = "per_title_rungs")]
    shot_resolution: Option<pertitle::shots::ladder::ShotResolution>,
    /// What shot rungs maximize at each bitrate: mean (the shots' frame-weighted mean
    /// quality) or harmonic (their harmonic mean, which weighs a low-quality shot more, so
    /// hard shots are not starved to lift easy ones).
    #[arg(long, value_name = "POOLING")]
    shot_pooling: Option<pertitle::shots::ladder::ShotPooling>,
    /// Keep shot rungs as good as per-title encoding in their worst frames: p5 (the default
    /// of optimize --shots) drops every operating point whose 5th-percentile quality over
    /// frames is below the per-title hull's at its bitrate; none keeps them all.
    #[arg(long, value_name = "GUARD")]
    shot_guard: Option<pertitle::shots::ladder::ShotGuard>,
    /// In a shot-based run, rungs of one setting for the whole title, as without --shots
    /// (from the same trial encodes): the per-title ladder to compare the shot ladder with.
    #[arg(long)]
    per_title_rungs: bool,
    /// Viewers' bandwidth range LO,HI in kbit/s, over which the expected quality is maximized
    /// (log-uniform) [default: the candidates' bitrate range].
    #[arg(long, value_delimiter = ',', value_name = "LO,HI", num_args = 1)]
    viewer_kbps: Vec<f64>,
    /// Choose the rungs for a viewer mix: devices (phone, laptop, tv, tv-4k, any, or a device
    /// file), each with a share of the viewers and their bandwidth, from a JSON file.
    ///
    /// The rungs then maximize the expected quality over the mix: a viewer on a device plays
    /// the highest rung the device can show (frame size, bitrate cap, decoder) whose bitrate
    /// is within their bandwidth, judged on the device's own scale (`vmaf_phone`, measured by
    /// `optimize --devices phone`; or the mix's "quality" for the device), and counts 0 below
    /// the lowest rung it plays. A mix file:
    ///
    ///   {"window_s": 30, "devices": [
    ///     {"device": "phone", "share": 0.6, "traces": "traces/3g_norway_hsdpa"},
    ///     {"device": "tv", "share": 0.4, "log_normal": {"median_kbps": 6000, "sigma": 0.7}}]}
    ///
    /// Bandwidth: "traces" (a file, a directory, a profile such as constant:5000, or a list:
    /// their throughput over windows of window_s seconds, default 30), "log_normal",
    /// "log_uniform": [LO, HI], or "quantiles_kbps" (101 values). Relative paths are read from
    /// the mix file's directory. A device without a share takes its class's default; shares
    /// that do not sum to 1 are normalised, with a warning. The resolved mix is kept in the
    /// manifest (settings.objective.viewers), so `pertitle ladder` keeps it until
    /// --viewers or --viewer-kbps replaces it. docs/usage.md has the whole format.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "viewer_kbps",
        verbatim_doc_comment
    )]
    viewers: Option<PathBuf>,
    /// Trade quality for delivery cost: maximize the expected quality less W times the
    /// expected delivery cost in dollars per 1,000 viewing hours (W: quality points given up
    /// to save a dollar per 1,000 hours). 0: quality alone, the top rung at the best
    /// candidate; above 0 the top rung is whichever the weighted objective prefers. Kept in
    /// the manifest for `pertitle ladder`.
    #[arg(long, value_name = "W", allow_negative_numbers = true)]
    cost_weight: Option<f64>,
    /// Price of delivering a GB to viewers, dollars, for the costs and --cost-weight.
    #[arg(long, value_name = "USD", allow_negative_numbers = true)]
    price_per_gb: Option<f64>,
    /// Price of storing a GB for a month, dollars.
    #[arg(long, value_name = "USD", allow_negative_numbers = true)]
    storage_price: Option<f64>,
}

/// `command` (a subcommand taking [`LadderArgs`]) with each constraint's help ending in
/// its default, read from [`Constraints::default`], so the help cannot drift from it.
pub fn with_defaults(command: clap::Command) -> clap::Command {
    let d = Constraints::default();
    let or_none = |v: Option<f64>| v.map_or("none".to_string(), |v| v.to_string());
    let defaults = [
        ("min_rungs", d.min_rungs.to_string()),
        ("max_rungs", d.max_rungs.to_string()),
        ("min_kbps", d.min_kbps.to_string()),
        ("max_kbps", or_none(d.max_kbps)),
        ("min_step", d.min_step.to_string()),
        ("max_step", or_none(d.max_step)),
        ("min_quality_gap", d.min_quality_gap.to_string()),
        (
            "price_per_gb",
            Prices::default().delivery_per_gb.to_string(),
        ),
        (
            "storage_price",
            Prices::default().storage_per_gb_month.to_string(),
        ),
    ];
    defaults.into_iter().fold(command, |command, (id, value)| {
        command.mut_arg(id, |arg| {
            let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
            arg.help(format!("{help} [default: {value}]"))
        })
    })
}

impl LadderArgs {
    /// `base` with every given option applied; forced rungs are added to the base's.
    pub fn constraints(&self, base: &Constraints) -> Constraints {
        let mut c = base.clone();
        let set = |slot: &mut f64, v: Option<f64>| {
            if let Some(v) = v {
                *slot = v;
            }
        };
        if let Some(v) = self.min_rungs {
            c.min_rungs = v;
        }
        if let Some(v) = self.max_rungs {
            c.max_rungs = v;
        }
        set(&mut c.min_kbps, self.min_kbps);
        set(&mut c.min_step, self.min_step);
        set(&mut c.min_quality_gap, self.min_quality_gap);
        c.max_kbps = self.max_kbps.or(c.max_kbps);
        c.max_step = if self.no_max_step {
            None
        } else {
            self.max_step.or(c.max_step)
        };
        c.top_quality = self.top_quality.or(c.top_quality);
        c.min_bottom_quality = self.min_bottom_quality.or(c.min_bottom_quality);
        c.max_bottom_kbps = self.max_bottom_kbps.or(c.max_bottom_kbps);
        c.min_height = self.min_height.or(c.min_height);
        c.max_height = self.max_height.or(c.max_height);
        if !self.allowed_heights.is_empty() {
            c.allowed_heights = self.allowed_heights.clone();
        }
        c.forced.extend(self.force_rung.iter().copied());
        c.measured_only |= self.measured_only;
        if self.per_title_rungs {
            c.shot_rungs = None;
        } else if self.shot_resolution.is_some() {
            c.shot_rungs = self.shot_resolution;
        }
        if let Some(p) = self.shot_pooling {
            c.shot_pooling = p;
        }
        if let Some(g) = self.shot_guard {
            c.shot_guard = g;
        }
        c
    }

    /// `base` with --viewer-kbps or --viewers applied (each replaces the other), and
    /// --cost-weight and the prices (each left out keeps the base's). The mix file's warnings
    /// go to stderr.
    pub fn objective(&self, base: Objective) -> anyhow::Result<Objective> {
        let mut o = self.viewers_of(base)?;
        if let Some(w) = self.cost_weight {
            o.cost_weight = Some(w);
        }
        if self.price_per_gb.is_some() || self.storage_price.is_some() {
            let p = o.prices();
            o.prices = Some(Prices {
                delivery_per_gb: self.price_per_gb.unwrap_or(p.delivery_per_gb),
                storage_per_gb_month: self.storage_price.unwrap_or(p.storage_per_gb_month),
            });
        }
        o.validate()?;
        Ok(o)
    }

    /// `base` with --viewer-kbps or --viewers applied.
    fn viewers_of(&self, base: Objective) -> anyhow::Result<Objective> {
        if let Some(path) = &self.viewers {
            let mix = ViewerMix::load(path)?;
            for w in mix.warnings() {
                eprintln!("pertitle: warning: {w}");
            }
            return Ok(Objective {
                viewer_kbps: None,
                viewers: Some(mix),
                ..base
            });
        }
        match self.viewer_kbps.as_slice() {
            [] => Ok(base),
            &[lo, hi] if lo.is_finite() && lo > 0.0 && hi.is_finite() && hi > lo => Ok(Objective {
                viewer_kbps: Some([lo, hi]),
                viewers: None,
                ..base
            }),
            _ => anyhow::bail!(
                "invalid option: --viewer-kbps takes two bitrates LO,HI with 0 < LO < HI"
            ),
        }
    }
}
