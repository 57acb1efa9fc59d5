//! A plan: a run's trial encodes written down as independent work units, for a cluster's
//! job array to run (`pertitle run-task`), then merged into the ladder (`pertitle merge`).
//!
//! `PLAN/plan.json` names the source (path, size, BLAKE3), the `optimize` options the plan
//! was made with (resolved, as data: every worker and the merge run with exactly these),
//! what the merge writes besides the ladder, the cache the units write their results to,
//! and every unit: its index, its point and its file in the cache. Units share nothing but the cache, whose files
//! appear atomically, so they can run in any order, on any machine that sees the source
//! and the cache at the same paths, and again without effect once done.

use crate::encode::codec::Codec;
use crate::error::{Error, Result};
use crate::measure::trial::TrialSpec;
use crate::optimize::{CacheSettings, OptimizeOptions, WorkUnits};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Bumped when the plan's layout changes.
pub const PLAN_FORMAT: u32 = 3;

/// The file a plan directory holds.
pub const PLAN_FILE: &str = "plan.json";

/// The source a plan was made for, identified by its size and content hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedSource {
    /// The source's absolute path.
    pub path: PathBuf,
    /// The path as the plan was given it (perhaps relative): a merge that reaches the same
    /// file by it names the source so in the ladder, as a local run would.
    pub given: PathBuf,
    /// The source's size, bytes.
    pub bytes: u64,
    /// The BLAKE3 hash of the source's bytes, hex.
    pub blake3: String,
}

/// One work unit: a trial encode of one codec at one point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedUnit {
    /// The unit's position in `units`, from 0 (the job array index `run-task` is given).
    pub index: usize,
    /// The codec it is encoded with.
    pub codec: Codec,
    /// The resolution and rate control of the trial encode.
    pub spec: TrialSpec,
    /// The unit's result file, relative to the cache directory.
    pub result: PathBuf,
}

/// `plan.json`: a run's trial encodes as independent work units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The layout's version, [`PLAN_FORMAT`] when written by this build.
    pub format: u32,
    /// The source the plan was made for.
    pub source: PlannedSource,
    /// The run's options, resolved (without a cache: see `cache`).
    pub options: OptimizeOptions,
    /// What the merge writes besides ladder.json.
    pub merge_writes: MergeOutputs,
    /// Where the units' results go (absolute).
    pub cache: PathBuf,
    /// Every unit of the run.
    pub units: Vec<PlannedUnit>,
}

/// What a merge writes besides ladder.json, as `optimize --package --report` would.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct MergeOutputs {
    /// The rungs encoded and packaged for HLS and DASH.
    pub package: bool,
    /// The HTML report.
    pub report: bool,
}

impl Plan {
    /// A plan of `units` for the source at `input`, made with `options` (their cache is not
    /// kept: the results go to `cache`), whose merge also writes `merge_writes`.
    pub fn new(
        input: &Path,
        options: &OptimizeOptions,
        merge_writes: MergeOutputs,
        cache: &Path,
        units: WorkUnits,
    ) -> Result<Self> {
        let absolute = |p: &Path| std::path::absolute(p).map_err(|e| Error::io(p, e));
        let bytes = std::fs::metadata(input)
            .map_err(|e| Error::io(input, e))?
            .len();
        Ok(Plan {
            format: PLAN_FORMAT,
            source: PlannedSource {
                path: absolute(input)?,
                given: input.to_path_buf(),
                bytes,
                blake3: units.source_blake3,
            },
            options: OptimizeOptions {
                cache: None,
                ..options.clone()
            },
            merge_writes,
            cache: absolute(cache)?,
            units: units
                .units
                .into_iter()
                .enumerate()
                .map(|(index, unit)| PlannedUnit {
                    index,
                    codec: unit.codec,
                    spec: unit.spec,
                    result: crate::measure::cache::unit_file(&unit.key),
                })
                .collect(),
        })
    }

    /// The cache the units write to, with the plan's digest of the source (so a worker
    /// does not hash the source again); `read_only` for the merge.
    pub fn cache_settings(&self, read_only: bool) -> CacheSettings {
        CacheSettings {
            dir: self.cache.clone(),
            source_blake3: Some(self.source.blake3.clone()),
            read_only,
        }
    }

    /// The run's options with the plan's cache (`read_only` for the merge).
    pub fn options(&self, read_only: bool) -> OptimizeOptions {
        OptimizeOptions {
            cache: Some(self.cache_settings(read_only)),
            ..self.options.clone()
        }
    }

    /// The path to read the source by: as the plan was given it when that still reaches
    /// the planned file (so the manifest names the source as a local run would), the
    /// absolute path otherwise.
    pub fn input(&self) -> PathBuf {
        let given = &self.source.given;
        let same = std::path::absolute(given).ok().as_ref() == Some(&self.source.path)
            || std::fs::metadata(given).is_ok_and(|m| m.len() == self.source.bytes);
        if same {
            given.clone()
        } else {
            self.source.path.clone()
        }
    }

    /// Check the source is still the one planned (by size; the merge's results are named
    /// by its digest, so a changed file finds none of them).
    pub fn check_source(&self) -> Result<()> {
        let path = &self.source.path;
        let bytes = std::fs::metadata(path)
            .map_err(|e| Error::io(path, e))?
            .len();
        if bytes != self.source.bytes {
            return Err(Error::SourceChanged {
                path: path.clone(),
                expected: self.source.bytes,
                found: bytes,
            });
        }
        Ok(())
    }

    /// The units whose result is not in the cache yet.
    pub fn missing(&self) -> Vec<&PlannedUnit> {
        self.units
            .iter()
            .filter(|u| !self.cache.join(&u.result).is_file())
            .collect()
    }

    /// Write `DIR/plan.json` (atomically; `DIR` is created).
    pub fn write(&self, dir: &Path) -> Result<PathBuf> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let path = dir.join(PLAN_FILE);
        let mut json = serde_json::to_vec_pretty(self).map_err(|cause| Error::Serialize {
            what: "the plan".into(),
            cause,
        })?;
        json.push(b'\n');
        crate::util::atomic::write_atomic(&path, ".plan.", &json)?;
        Ok(path)
    }

    /// Read `PLAN/plan.json` (or `PLAN` itself when it is the file).
    pub fn read(plan: &Path) -> Result<Self> {
        let path = if plan.is_dir() {
            plan.join(PLAN_FILE)
        } else {
            plan.to_path_buf()
        };
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        let plan: Plan = serde_json::from_slice(&bytes).map_err(|e| Error::InvalidPlan {
            path: path.clone(),
            cause: e.to_string(),
        })?;
        if plan.format != PLAN_FORMAT {
            return Err(Error::InvalidPlan {
                path,
                cause: format!(
                    "plan format {} (this pertitle reads {PLAN_FORMAT})",
                    plan.format
                ),
            });
        }
        Ok(plan)
    }
}
