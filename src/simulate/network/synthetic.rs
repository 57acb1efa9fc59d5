//! Synthetic traces, made from a profile spec so that a simulation needs no trace file.
//!
//! A spec is `NAME:RATES[,KEY=VALUE...]`, or a profile's bare name for its default:
//!
//! | spec | trace |
//! |---|---|
//! | `constant:RATE` | RATE throughout |
//! | `step:FROM,TO[,at=S]` | FROM until `at` (default 60 s), then TO |
//! | `fade:FROM,TO[,at=S][,over=S]` | FROM until `at` (default 0), then a straight line to TO over `over` (default 300 s) in 1 s periods, then TO |
//! | `bursty:HIGH,LOW[,on=S][,off=S][,seed=N]` | bursts of HIGH and LOW in turn, each lasting a pseudo-random time drawn uniformly between half and one and a half times its mean (`on`, `off`: default 3 s), from `seed` (default 1): the same spec gives the same trace |
//!
//! Every profile also takes `latency` (default [`SYNTHETIC_LATENCY_MS`], 40 ms) and
//! `length` (default 3600 s: the trace repeats after it). Rates are kbit/s, or carry a unit
//! (`5mbps`, `800kbps`); times are seconds, or carry a unit (`500ms`, `90s`, `5min`); the
//! latency is ms, or carries a unit (`40ms`, `0.1s`). FROM and TO may be in either order (a
//! step or a fade up), and a rate may be 0 (a link that carries nothing). Examples:
//! `constant:5mbps`, `step:8000,1500,at=60`, `step:8000,1500,at=60,length=120` (a square
//! wave: 60 s of each), `fade:8000,1000,at=30,over=300,latency=80`,
//! `bursty:6000,0,on=5,off=1,seed=7` (an on/off link).

use super::{Period, Trace};
use crate::error::{Error, Result};

/// The latency of a synthetic trace unless its spec sets `latency`, ms: a round trip to a
/// nearby CDN edge over a fixed line.
pub const SYNTHETIC_LATENCY_MS: f64 = 40.0;

/// How long a synthetic trace lasts before it repeats unless its spec sets `length`, s.
const DEFAULT_LENGTH_S: f64 = 3600.0;

/// The most periods a spec may make (a fade over days, bursts of a millisecond).
const MOST_PERIODS: f64 = 1_000_000.0;

/// The profiles: a default spec (the name is what comes before the `:`) and the syntax with
/// a one-line description.
const PROFILES: &[(&str, &str)] = &[
    ("constant:5000", "constant:RATE - one bandwidth throughout"),
    (
        "step:8000,1500,at=60",
        "step:FROM,TO[,at=S] - FROM until `at` (60 s), then TO",
    ),
    (
        "fade:8000,1000,over=300",
        "fade:FROM,TO[,at=S][,over=S] - FROM until `at` (0 s), then linearly to TO over `over` \
         (300 s) in 1 s steps, then TO",
    ),
    (
        "bursty:6000,800",
        "bursty:HIGH,LOW[,on=S][,off=S][,seed=N] - HIGH and LOW in turn, each burst a \
         pseudo-random 0.5-1.5x its mean `on`/`off` (3 s), fixed by `seed` (1)",
    ),
];

/// The built-in profiles, for `--help`: each a default spec (its name is the part before
/// the `:`, and the bare name stands for this spec) and a one-line description that starts
/// with the syntax. Every profile also takes `latency=MS` (40) and `length=S` (3600).
pub fn builtin_profiles() -> &'static [(&'static str, &'static str)] {
    PROFILES
}

/// The profile name of a spec: what comes before the `:`.
pub(super) fn profile_name(spec: &str) -> &str {
    spec.split(':').next().unwrap_or_default().trim()
}

/// Whether `spec` starts with the name of a profile.
pub(super) fn names_a_profile(spec: &str) -> bool {
    let name = profile_name(spec);
    PROFILES
        .iter()
        .any(|(default, _)| profile_name(default).eq_ignore_ascii_case(name))
}

/// The trace a profile spec describes (syntax in this module's docs and `docs/traces.md`),
/// named by the spec. A spec that does not parse or describes no usable trace is an
/// [`Error::InvalidTrace`] naming the spec.
pub fn synthetic(spec: &str) -> Result<Trace> {
    let spec = spec.trim();
    let invalid = |problem: String| Error::InvalidTrace {
        path: spec.into(),
        problem,
    };
    let name = profile_name(spec).to_ascii_lowercase();
    let Some((default, about)) = PROFILES
        .iter()
        .find(|(default, _)| profile_name(default) == name)
    else {
        let names: Vec<&str> = PROFILES.iter().map(|(d, _)| profile_name(d)).collect();
        return Err(invalid(format!(
            "`{name}` is not a profile ({})",
            names.join(", ")
        )));
    };
    let Some((_, args)) = spec.split_once(':') else {
        return synthetic(default);
    };
    let syntax = about.split(" - ").next().unwrap_or_default();
    let periods =
        periods(&name, args).map_err(|problem| invalid(format!("{problem} (syntax: {syntax})")))?;
    Trace::new(spec, periods)
}

/// A spec's arguments: the rates, then `key=value` options.
struct Args<'a> {
    rates: Vec<f64>,
    options: Vec<(String, &'a str)>,
}

impl<'a> Args<'a> {
    fn parse(args: &'a str, keys: &[&str]) -> Result<Self, String> {
        let mut parsed = Args {
            rates: Vec::new(),
            options: Vec::new(),
        };
        for item in args.split(',').map(str::trim) {
            match item.split_once('=') {
                _ if item.is_empty() => return Err("an empty item".into()),
                None if !parsed.options.is_empty() => {
                    return Err(format!("rate `{item}` after an option"));
                }
                None => parsed.rates.push(quantity(item, "rate", RATE_UNITS)?),
                Some((key, value)) => {
                    let key = key.trim().to_ascii_lowercase();
                    if !keys.contains(&key.as_str()) {
                        return Err(format!(
                            "unknown option `{key}` (options: {})",
                            keys.join(", ")
                        ));
                    }
                    if parsed.options.iter().any(|(k, _)| *k == key) {
                        return Err(format!("`{key}` given twice"));
                    }
                    parsed.options.push((key, value.trim()));
                }
            }
        }
        Ok(parsed)
    }

    /// Exactly `n` rates.
    fn rates(&self, n: usize) -> Result<&[f64], String> {
        match self.rates.len() {
            m if m == n => Ok(&self.rates),
            m => Err(format!("{n} rate{} needed, {m} given", plural(n))),
        }
    }

    fn value(&self, key: &str) -> Option<&'a str> {
        self.options.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    /// An option in `units` (the first the default), or `default`.
    fn get(&self, key: &str, units: &[(&str, f64)], default: f64) -> Result<f64, String> {
        self.value(key)
            .map_or(Ok(default), |v| quantity(v, key, units))
    }

    fn seed(&self) -> Result<u64, String> {
        self.value("seed").map_or(Ok(1), |v| {
            v.parse()
                .map_err(|_| format!("seed `{v}` is not a whole number"))
        })
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Rate units, in kbit/s.
const RATE_UNITS: &[(&str, f64)] = &[("", 1.0), ("kbps", 1.0), ("mbps", 1e3), ("gbps", 1e6)];
/// Time units, in s.
const TIME_UNITS: &[(&str, f64)] = &[("", 1.0), ("s", 1.0), ("ms", 1e-3), ("min", 60.0)];
/// Latency units, in ms.
const LATENCY_UNITS: &[(&str, f64)] = &[("", 1.0), ("ms", 1.0), ("s", 1e3)];

/// A number with an optional unit of `units`, finite and not negative, in the first unit.
fn quantity(text: &str, what: &str, units: &[(&str, f64)]) -> Result<f64, String> {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let Some((_, factor)) = units.iter().find(|(u, _)| u.eq_ignore_ascii_case(unit)) else {
        let known: Vec<&str> = units
            .iter()
            .map(|(u, _)| *u)
            .filter(|u| !u.is_empty())
            .collect();
        return Err(format!(
            "{what} `{text}` has an unknown unit (none, or {})",
            known.join(", ")
        ));
    };
    match number.trim().parse::<f64>() {
        Ok(v) if (v * factor).is_finite() && v >= 0.0 => Ok(v * factor),
        Ok(_) => Err(format!("{what} `{text}` is negative or not finite")),
        Err(_) => Err(format!("{what} `{text}` is not a number")),
    }
}

/// The periods of profile `name` with the arguments after its `:`.
fn periods(name: &str, args: &str) -> Result<Vec<Period>, String> {
    let keys: &[&str] = match name {
        "step" => &["at", "latency", "length"],
        "fade" => &["at", "over", "latency", "length"],
        "bursty" => &["on", "off", "seed", "latency", "length"],
        _ => &["latency", "length"],
    };
    let args = Args::parse(args, keys)?;
    let latency_ms = args.get("latency", LATENCY_UNITS, SYNTHETIC_LATENCY_MS)?;
    let length = args.get("length", TIME_UNITS, DEFAULT_LENGTH_S)?;
    if length <= 0.0 {
        return Err("length must be more than 0 s".into());
    }
    let mut periods = Vec::new();
    // A period of `duration_ms` unless it lasts no time.
    let mut push = |duration_ms: f64, kbps: f64| {
        if duration_ms > 0.0 {
            periods.push(Period {
                duration_ms,
                bandwidth_kbps: kbps,
                latency_ms,
            });
        }
    };
    match name {
        "step" => {
            let &[from, to] = args.rates(2)? else {
                return Err("2 rates needed".into());
            };
            let at = args.get("at", TIME_UNITS, 60.0)?;
            if at >= length {
                return Err(format!(
                    "at={at} s is not before the end (length={length} s)"
                ));
            }
            push(at * 1000.0, from);
            push((length - at) * 1000.0, to);
        }
        "fade" => {
            let &[from, to] = args.rates(2)? else {
                return Err("2 rates needed".into());
            };
            let at = args.get("at", TIME_UNITS, 0.0)?;
            let over = args.get("over", TIME_UNITS, 300.0)?;
            if over <= 0.0 {
                return Err("over must be more than 0 s".into());
            }
            if at + over > length {
                return Err(format!(
                    "the fade ends after the trace (at={at} + over={over} > length={length} s)"
                ));
            }
            if over > MOST_PERIODS {
                return Err(format!("over={over} s makes too many 1 s periods"));
            }
            push(at * 1000.0, from);
            // 1 s periods, each at the fade's rate at its middle: the mean is exact.
            let mut start = 0.0;
            while start < over {
                let seconds = (over - start).min(1.0);
                let middle = start + seconds / 2.0;
                push(seconds * 1000.0, from + (to - from) * middle / over);
                start += 1.0;
            }
            push((length - at - over) * 1000.0, to);
        }
        "bursty" => {
            let &[high, low] = args.rates(2)? else {
                return Err("2 rates needed".into());
            };
            let on = args.get("on", TIME_UNITS, 3.0)?;
            let off = args.get("off", TIME_UNITS, 3.0)?;
            let seed = args.seed()?;
            if on <= 0.0 || off <= 0.0 {
                return Err("on and off must be more than 0 s".into());
            }
            if length / (0.5 * on.min(off)) > MOST_PERIODS {
                return Err("bursts this short over this length make too many periods".into());
            }
            let mut random = SplitMix64(seed);
            let (mut ms, mut is_high) = (0.0, true);
            let length_ms = length * 1000.0;
            while ms < length_ms {
                let mean_ms = if is_high { on } else { off } * 1000.0;
                // Whole milliseconds, at least one; the last burst is cut at the end.
                let burst_ms = (mean_ms * (0.5 + random.unit()))
                    .round()
                    .max(1.0)
                    .min(length_ms - ms);
                push(burst_ms, if is_high { high } else { low });
                ms += burst_ms;
                is_high = !is_high;
            }
        }
        _ => {
            let &[rate] = args.rates(1)? else {
                return Err("1 rate needed".into());
            };
            push(length * 1000.0, rate);
        }
    }
    Ok(periods)
}

/// SplitMix64 (Steele, Lea and Flood 2014): a small generator whose sequence is fixed by
/// its seed on every platform.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}
