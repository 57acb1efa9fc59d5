//! A simulation as written: `simulation.json` (every setting, each ladder's summaries,
//! examples and sessions) and `sessions.csv` (one row per session).

use crate::error::{Error, Result};
use crate::simulate::qoe::FIGURES;
use crate::simulate::run::LadderSimulation;
use crate::viewers::device::Device;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The file `simulate -o DIR` writes its results to.
pub const SIMULATION_JSON: &str = "simulation.json";
/// The file `simulate -o DIR` writes one row per session to.
pub const SESSIONS_CSV: &str = "sessions.csv";

/// What was simulated and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// The ABR algorithm.
    pub abr: String,
    /// The buffer size, seconds.
    pub buffer_s: f64,
    /// Video buffered before playback starts or resumes, seconds.
    pub startup_s: f64,
    /// Seconds of video per session (the title loops); `None`: the title once.
    pub session_s: Option<f64>,
    /// Start offsets per trace.
    pub offsets: usize,
    /// Downloads may be abandoned.
    pub abandonment: bool,
    /// BOLA's utility.
    pub bola_utility: String,
    /// BOLA's gamma-p.
    pub bola_gamma_p: f64,
    /// The throughput rule's safety factor.
    pub safety: f64,
    /// MPC's look-ahead, segments.
    pub horizon: usize,
    /// What delivering a GB costs, for the cost per viewing hour.
    #[serde(default = "crate::viewers::cost::default_delivery_price")]
    pub delivery_price_per_gb: f64,
}

/// A whole simulation: one or more ladders over the same sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Simulation {
    /// The pertitle version.
    pub generator: String,
    /// The device class.
    pub device: Device,
    /// The settings.
    pub settings: Settings,
    /// One per ladder, the first being the one simulated and the rest `--compare`d.
    pub ladders: Vec<LadderSimulation>,
}

impl Simulation {
    /// One CSV row per session of every ladder.
    pub fn csv(&self) -> String {
        let mut out = String::from("ladder,codec,trace_set,trace,offset_s,capped");
        for f in FIGURES {
            out.push(',');
            out.push_str(f);
        }
        out.push('\n');
        for l in &self.ladders {
            for s in &l.sessions {
                let _ = write!(
                    out,
                    "{},{},{},{},{},{}",
                    csv_field(&l.ladder),
                    l.codec.as_deref().unwrap_or(""),
                    csv_field(&l.sets[s.set].name),
                    csv_field(&s.trace),
                    s.offset_s,
                    s.capped
                );
                for v in s.qoe.values() {
                    let _ = write!(out, ",{}", round(v));
                }
                out.push('\n');
            }
        }
        out
    }

    /// The file [`read`](Self::read) reads for `path`: `DIR/simulation.json`, or the file.
    pub fn file(path: &Path) -> PathBuf {
        if path.is_dir() {
            path.join(SIMULATION_JSON)
        } else {
            path.to_path_buf()
        }
    }

    /// Read `DIR/simulation.json` (or the file itself).
    pub fn read(path: &Path) -> Result<Simulation> {
        let file = Simulation::file(path);
        let bytes = std::fs::read(&file).map_err(|e| Error::io(&file, e))?;
        serde_json::from_slice(&bytes).map_err(|e| Error::InvalidSimulation {
            path: file,
            cause: e,
        })
    }

    /// Write `simulation.json` and `sessions.csv` into `dir` (created if needed).
    pub fn write(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let mut json = serde_json::to_vec_pretty(self).map_err(|e| Error::Serialize {
            what: dir.join(SIMULATION_JSON).display().to_string(),
            cause: e,
        })?;
        json.push(b'\n');
        crate::util::atomic::write_atomic(&dir.join(SIMULATION_JSON), ".simulation.", &json)?;
        crate::util::atomic::write_atomic(
            &dir.join(SESSIONS_CSV),
            ".sessions.",
            self.csv().as_bytes(),
        )
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Six significant decimals are plenty and keep the files stable.
fn round(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}
