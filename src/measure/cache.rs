//! A content-addressed store of trial results: every trial encode is a work unit whose
//! identity is a hash of everything that determines its result ([`UnitIdentity`]), and whose
//! result is one small JSON file named by that hash. Runs that share a cache directory
//! measure a point once: changing the ladder constraints, or adding CRFs or resolutions,
//! re-encodes only the points not measured before.
//!
//! Layout: `DIR/units/<first two hex digits>/<64 hex digits>.json`, each file holding the
//! identity and the result. Files appear atomically (written beside, then renamed), so a
//! killed run leaves finished units and nothing half-written, and two runs writing the same
//! unit write the same bytes.

use crate::error::{Error, Result};
use crate::measure::metrics::FrameSeries;
use crate::measure::sample::Window;
use crate::measure::trial::{TrialResult, TrialSpec};
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Bumped whenever how a point is measured changes, so older results are not reused.
pub const UNIT_FORMAT: u32 = 2;

/// Everything that determines a trial point's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitIdentity {
    pub format: u32,
    /// BLAKE3 of the source file's bytes.
    pub source_blake3: String,
    pub spec: TrialSpec,
    pub encoder: String,
    /// libavcodec's version (`major.minor.micro`), which pins the encoder wrappers.
    pub libavcodec: String,
    pub preset: String,
    pub encoder_threads: usize,
    pub segment_seconds: f64,
    /// The size frames are scored at.
    pub display: crate::source::resolution::Resolution,
    pub downscale: String,
    pub upscale: String,
    /// VMAF model, when VMAF is measured.
    pub vmaf_model: Option<crate::measure::metrics::vmaf::VmafModel>,
    /// The VMAF implementation and its version (`libvmaf 3.2.0`), when VMAF is measured:
    /// another version may score differently.
    pub vmaf_engine: Option<String>,
    /// VMAF scored every this many frames (1: all).
    pub vmaf_subsample: u32,
    /// The source segments encoded, when only a sample is.
    pub sample: Vec<Window>,
    /// The device classes scored besides the main metrics (left out of the key when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<crate::measure::devices::DeviceScoring>,
    /// The shots of a shot-based encode, each encoded by a fresh encoder (left out of the
    /// key when none). Stored as `shot_encodes`: shot-based units stored as `shots` followed
    /// the shots with key frames only, in one encoder, and are not reused.
    #[serde(
        default,
        rename = "shot_encodes",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub shots: Vec<crate::shots::Shot>,
}

impl UnitIdentity {
    /// The unit's name: BLAKE3 of its canonical JSON, in hex.
    pub fn key(&self) -> String {
        // Field order is fixed by the struct, and floats print exactly: the same identity
        // always gives the same bytes.
        let json = serde_json::to_vec(self).unwrap_or_default();
        blake3::hash(&json).to_hex().to_string()
    }
}

/// A trial result as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredResult {
    spec: TrialSpec,
    series: FrameSeries,
    segment_bits: Vec<u64>,
    encode_cpu_s: f64,
    codecs: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Unit {
    identity: UnitIdentity,
    result: StoredResult,
}

/// A cache directory, bound to one source (its content digest).
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
    source_blake3: String,
}

impl Cache {
    /// Open (creating it if needed) the cache at `dir` for the source at `source`, whose
    /// bytes are hashed.
    pub fn open(dir: &Path, source: &Path) -> Result<Self> {
        Cache::with_digest(dir, &file_blake3(source)?)
    }

    /// Open the cache at `dir` for a source whose digest is already known (a plan's).
    pub fn with_digest(dir: &Path, source_blake3: &str) -> Result<Self> {
        let units = dir.join("units");
        std::fs::create_dir_all(&units).map_err(|e| Error::io(dir, e))?;
        sweep_stale(&units);
        Ok(Cache {
            dir: dir.to_path_buf(),
            source_blake3: source_blake3.to_string(),
        })
    }

    /// Fail now, before anything is encoded, if no unit can be stored here (a read-only
    /// file system, a directory without write permission).
    pub fn check_writable(&self) -> Result<()> {
        let units = self.dir.join("units");
        tempfile::Builder::new()
            .prefix(UNIT_TEMP_PREFIX)
            .suffix(".tmp")
            .tempfile_in(&units)
            .map(drop)
            .map_err(|e| Error::io(&units, crate::util::atomic::plain(e)))
    }

    /// BLAKE3 of the source's bytes.
    pub fn source_blake3(&self) -> &str {
        &self.source_blake3
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the unit `key` is stored.
    pub fn unit_path(&self, key: &str) -> PathBuf {
        self.dir.join(unit_file(key))
    }

    /// The stored result of `identity`, if there is one. A file that cannot be read as this
    /// unit (damaged, or from another identity) counts as absent and is written again.
    pub fn get(&self, identity: &UnitIdentity) -> Option<TrialResult> {
        let mut bytes = Vec::new();
        std::fs::File::open(self.unit_path(&identity.key()))
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .ok()?;
        let unit: Unit = serde_json::from_slice(&bytes).ok()?;
        if unit.identity != *identity || unit.result.spec != identity.spec {
            return None;
        }
        let r = unit.result;
        Some(TrialResult {
            spec: r.spec,
            series: r.series,
            segment_bits: r.segment_bits,
            encode_cpu: Duration::try_from_secs_f64(r.encode_cpu_s).unwrap_or_default(),
            codecs: r.codecs,
            from_cache: true,
        })
    }

    /// Store `result` as the unit `identity`, atomically.
    pub fn put(&self, identity: &UnitIdentity, result: &TrialResult) -> Result<()> {
        let path = self.unit_path(&identity.key());
        let dir = path.parent().unwrap_or(&self.dir).to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let unit = Unit {
            identity: identity.clone(),
            result: StoredResult {
                spec: result.spec,
                series: result.series.clone(),
                segment_bits: result.segment_bits.clone(),
                encode_cpu_s: result.encode_cpu.as_secs_f64(),
                codecs: result.codecs.clone(),
            },
        };
        let json = serde_json::to_vec(&unit).map_err(|cause| Error::Serialize {
            what: "a cache unit".into(),
            cause,
        })?;
        crate::util::atomic::write_atomic(&path, UNIT_TEMP_PREFIX, &json)
    }
}

/// The file of the unit `key`, relative to the cache directory: `units/<first two hex
/// digits>/<key>.json`.
pub fn unit_file(key: &str) -> PathBuf {
    let shard = key.get(..2).unwrap_or("00");
    Path::new("units").join(shard).join(format!("{key}.json"))
}

/// The name prefix of a unit's temporary file (`units/xx/.unit.XXXXXX.tmp`).
const UNIT_TEMP_PREFIX: &str = ".unit.";

/// Remove the temporary unit files a killed writer left in the shard directories of `units`
/// (see [`crate::util::atomic::remove_stale`]); one directory listing per shard in use.
fn sweep_stale(units: &Path) {
    let Ok(shards) = std::fs::read_dir(units) else {
        return;
    };
    for shard in shards.flatten() {
        if shard.file_type().is_ok_and(|t| t.is_dir()) {
            crate::util::atomic::remove_stale(
                &shard.path(),
                UNIT_TEMP_PREFIX,
                crate::util::atomic::STALE_AFTER,
            );
        }
    }
}

/// BLAKE3 of a file's bytes, in hex.
pub fn file_blake3(path: &Path) -> Result<String> {
    let mut hasher = blake3::Hasher::new();
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    hasher.update_reader(file).map_err(|e| Error::io(path, e))?;
    Ok(hasher.finalize().to_hex().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::resolution::Resolution;

    fn identity(crf: f64) -> UnitIdentity {
        UnitIdentity {
            format: UNIT_FORMAT,
            source_blake3: "ab".repeat(32),
            spec: TrialSpec::crf(Resolution::new(640, 360), crf),
            encoder: "libx264".into(),
            libavcodec: "59.37.100".into(),
            preset: "medium".into(),
            encoder_threads: 1,
            segment_seconds: 4.0,
            display: Resolution::new(1280, 720),
            downscale: "lanczos".into(),
            upscale: "bicubic".into(),
            vmaf_model: Some(crate::measure::metrics::vmaf::VmafModel::default()),
            vmaf_engine: Some("libvmaf 3.2.0".into()),
            vmaf_subsample: 1,
            sample: Vec::new(),
            devices: Vec::new(),
            shots: Vec::new(),
        }
    }

    fn result(crf: f64) -> TrialResult {
        TrialResult {
            spec: TrialSpec::crf(Resolution::new(640, 360), crf),
            series: FrameSeries {
                psnr_y: vec![40.123456789012345, 0.1 + 0.2],
                psnr_u: vec![41.0, 42.0],
                psnr_v: vec![43.0, 1.0 / 3.0],
                psnr_yuv: vec![40.5, 40.6],
                ssim_y: vec![0.987654321, 0.99],
                vmaf: vec![91.25, 92.0 + 64.0 * f64::EPSILON],
                vmaf_every: 1,
                devices: [("vmaf_phone".to_string(), vec![97.5, 98.0])].into(),
            },
            segment_bits: vec![123456, 7890],
            encode_cpu: Duration::from_millis(1500),
            codecs: "avc1.64001e".into(),
            from_cache: false,
        }
    }

    #[test]
    fn a_unit_round_trips_exactly_and_only_under_its_identity() {
        let tmp = tempfile::tempdir().unwrap();
        let source = tmp.path().join("source.bin");
        std::fs::write(&source, b"not really a video").unwrap();
        let cache = Cache::open(&tmp.path().join("cache"), &source).unwrap();
        assert_eq!(
            cache.source_blake3(),
            blake3::hash(b"not really a video").to_hex().as_str()
        );
        let id = identity(23.5);
        assert!(cache.get(&id).is_none());
        cache.put(&id, &result(23.5)).unwrap();
        let back = cache.get(&id).unwrap();
        let r = result(23.5);
        // Every float comes back bit for bit.
        assert_eq!(back.series.psnr_y, r.series.psnr_y);
        assert_eq!(back.series.psnr_v, r.series.psnr_v);
        assert_eq!(back.series.vmaf, r.series.vmaf);
        assert_eq!(back.series.ssim_y, r.series.ssim_y);
        assert_eq!(back.segment_bits, r.segment_bits);
        assert_eq!(back.encode_cpu, r.encode_cpu);
        assert_eq!((back.spec, back.codecs.as_str()), (r.spec, "avc1.64001e"));
        assert!(back.from_cache);
        // Anything that changes the result changes the key.
        let mut other = id.clone();
        other.preset = "slow".into();
        assert_ne!(other.key(), id.key());
        assert!(cache.get(&other).is_none());
        assert_ne!(identity(24.0).key(), id.key());
        // A damaged file is a miss, and writing again repairs it.
        std::fs::write(cache.unit_path(&id.key()), b"{\"identity\":").unwrap();
        assert!(cache.get(&id).is_none());
        cache.put(&id, &r).unwrap();
        assert!(cache.get(&id).is_some());
        // Nothing but the unit files is left in the cache.
        let shard = cache.unit_path(&id.key()).parent().unwrap().to_path_buf();
        let names: Vec<_> = std::fs::read_dir(shard)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            names,
            vec![std::ffi::OsString::from(format!("{}.json", id.key()))]
        );
    }
}
