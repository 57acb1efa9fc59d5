//! The objective over a viewer mix, as a table over the candidates.
//!
//! Device `d` has a share `s_d` of the viewers, a quality `q_{d,i}` for candidate `i` (its
//! own scale: the point metric `quality_key`, interpolated linearly in bitrate for an
//! interpolated candidate as its rung's figures are), plays `i` or not (`P_{d,i}`: the frame
//! fits its screen either way round and the bitrate is within its cap; the codec is settled
//! before, by leaving out the devices that do not decode it), and its viewers' bandwidth has
//! `F_d(x)`, the share below `x`. A viewer plays the best rung of the ladder their device
//! plays whose bitrate is at most their bandwidth, and counts 0 below the lowest.
//!
//! Along a ladder, heights do not decrease (a constraint) and neither do widths (the
//! candidates of one source keep its aspect ratio), and bitrates increase; a frame that
//! fits a screen leaves every smaller frame fitting, so each device plays a prefix of the
//! ladder. The expected quality of rungs `r_1 < ... < r_n` is then a sum over adjacent
//! pairs:
//!
//! `term(i, j) = sum_d s_d * P_{d,i} * q_{d,i} * (F_d(r_j if P_{d,j}, else +inf) - F_d(r_i))`
//!
//! plus the top rung's `tail(n) = sum_d s_d * P_{d,n} * q_{d,n} * (1 - F_d(r_n))`. The
//! programme only joins `i` to `j` when no device plays `j` without `i` ([`MixTable::prefix`]),
//! which, by the above, never excludes a ladder of one source's candidates.

use crate::error::{Error, Result};
use crate::ladder::candidates::{Candidate, Origin};
use crate::measure::point::Point;
use crate::viewers::mix::{MixDevice, ViewerMix};

/// The mix's figures for every candidate: what each device plays, its quality there, and
/// the share of its viewers below the candidate's bitrate.
#[derive(Debug, Clone, PartialEq)]
pub struct MixTable {
    /// Each device's share of the viewers (summing to 1).
    shares: Vec<f64>,
    /// `plays[d][i]`: device `d` plays candidate `i`.
    plays: Vec<Vec<bool>>,
    /// `quality[d][i]`: candidate `i`'s quality on device `d`'s scale.
    quality: Vec<Vec<f64>>,
    /// `below[d][i]`: the share of device `d`'s viewers whose bandwidth is below candidate
    /// `i`'s bitrate.
    below: Vec<Vec<f64>>,
    /// The devices' bandwidth range, kbit/s.
    range: [f64; 2],
    /// Each candidate's bitrate, kbit/s: what a viewer playing it fetches.
    kbps: Vec<f64>,
}

impl MixTable {
    /// The table of `mix` over `cands`, whose origins index `points`. Fails, naming the mix
    /// file and the device, when a device's quality was not measured on the points or a
    /// device plays none of the candidates.
    pub fn new(mix: &ViewerMix, points: &[Point], cands: &[Candidate]) -> Result<MixTable> {
        MixTable::with_quality(mix, cands, |c, key| device_quality(points, c, key))
    }

    /// The table of `mix` over `cands`, each candidate's quality on a device's scale (a key
    /// of the points' `pooling`) given by `quality` (`None`: not measured).
    pub fn with_quality(
        mix: &ViewerMix,
        cands: &[Candidate],
        quality_of: impl Fn(&Candidate, &str) -> Option<f64>,
    ) -> Result<MixTable> {
        mix.check()?;
        let bad = |problem: String| Error::InvalidMix {
            path: mix.file.clone(),
            problem,
        };
        let mut plays = Vec::with_capacity(mix.devices.len());
        let mut quality = Vec::with_capacity(mix.devices.len());
        let mut below = Vec::with_capacity(mix.devices.len());
        for d in &mix.devices {
            let p: Vec<bool> = cands
                .iter()
                .map(|c| d.plays(c.width, c.height, c.kbps))
                .collect();
            if !p.contains(&true) {
                return Err(bad(plays_nothing(d, cands)));
            }
            let q = cands
                .iter()
                .map(|c| quality_of(c, &d.quality_key))
                .collect::<Option<Vec<f64>>>()
                .ok_or_else(|| bad(d.unmeasured()))?;
            plays.push(p);
            quality.push(q);
            below.push(cands.iter().map(|c| d.bandwidth.below(c.kbps)).collect());
        }
        let lo = mix
            .devices
            .iter()
            .map(|d| d.bandwidth.range()[0])
            .fold(f64::INFINITY, f64::min);
        let hi = mix
            .devices
            .iter()
            .map(|d| d.bandwidth.range()[1])
            .fold(0.0, f64::max);
        Ok(MixTable {
            shares: mix.devices.iter().map(|d| d.share).collect(),
            plays,
            quality,
            below,
            range: [lo, hi],
            kbps: cands.iter().map(|c| c.kbps).collect(),
        })
    }

    /// A table from its parts (for tests): per device its share, and per device and
    /// candidate whether it plays it, its quality and the share of viewers below it.
    #[cfg(test)]
    pub(crate) fn from_parts(
        shares: Vec<f64>,
        plays: Vec<Vec<bool>>,
        quality: Vec<Vec<f64>>,
        below: Vec<Vec<f64>>,
        range: [f64; 2],
        kbps: Vec<f64>,
    ) -> MixTable {
        MixTable {
            shares,
            plays,
            quality,
            below,
            range,
            kbps,
        }
    }

    /// Device `d`'s expected quality from rung `i` when the next rung is `j` (`None`: `i` is
    /// the top rung).
    fn device_term(&self, d: usize, i: usize, j: Option<usize>) -> f64 {
        self.quality[d][i] * self.device_share(d, i, j)
    }

    /// The share of device `d`'s viewers that play rung `i` when the next rung is `j`
    /// (`None`: `i` is the top rung).
    fn device_share(&self, d: usize, i: usize, j: Option<usize>) -> f64 {
        if !self.plays[d][i] {
            return 0.0;
        }
        let upto = match j {
            Some(j) if self.plays[d][j] => self.below[d][j],
            _ => 1.0,
        };
        upto - self.below[d][i]
    }

    /// Device `d`'s expected bitrate from rung `i` when the next rung is `j`.
    fn device_rate_term(&self, d: usize, i: usize, j: Option<usize>) -> f64 {
        self.kbps[i] * self.device_share(d, i, j)
    }

    /// The expected bitrate's term of rung `i` followed by rung `j`, kbit/s.
    pub fn rate_pair(&self, i: usize, j: usize) -> f64 {
        (0..self.shares.len())
            .map(|d| self.shares[d] * self.device_rate_term(d, i, Some(j)))
            .sum()
    }

    /// The expected bitrate's term of rung `j` as the top rung, kbit/s.
    pub fn rate_tail(&self, j: usize) -> f64 {
        (0..self.shares.len())
            .map(|d| self.shares[d] * self.device_rate_term(d, j, None))
            .sum()
    }

    /// The expected quality over a ladder of candidates `rungs` (increasing), summed in the
    /// programme's order.
    pub fn total(&self, rungs: &[usize]) -> f64 {
        let mut total = 0.0;
        for w in rungs.windows(2) {
            total += self.pair(w[0], w[1]);
        }
        rungs.last().map_or(0.0, |&j| total + self.tail(j))
    }

    /// The expected bitrate a viewer fetches over a ladder of candidates `rungs`, kbit/s.
    pub fn total_kbps(&self, rungs: &[usize]) -> f64 {
        let mut total = 0.0;
        for w in rungs.windows(2) {
            total += self.rate_pair(w[0], w[1]);
        }
        rungs.last().map_or(0.0, |&j| total + self.rate_tail(j))
    }

    /// Each device's expected bitrate over a ladder of candidates `rungs`, kbit/s.
    pub fn per_device_kbps(&self, rungs: &[usize]) -> Vec<f64> {
        (0..self.shares.len())
            .map(|d| {
                (0..rungs.len())
                    .map(|k| self.device_rate_term(d, rungs[k], rungs.get(k + 1).copied()))
                    .sum()
            })
            .collect()
    }

    /// The objective's term of rung `i` followed by rung `j`.
    pub fn pair(&self, i: usize, j: usize) -> f64 {
        (0..self.shares.len())
            .map(|d| self.shares[d] * self.device_term(d, i, Some(j)))
            .sum()
    }

    /// The objective's term of rung `j` as the top rung.
    pub fn tail(&self, j: usize) -> f64 {
        (0..self.shares.len())
            .map(|d| self.shares[d] * self.device_term(d, j, None))
            .sum()
    }

    /// Whether rung `j` may follow rung `i`: no device plays `j` but not `i`.
    pub fn prefix(&self, i: usize, j: usize) -> bool {
        self.plays.iter().all(|p| !p[j] || p[i])
    }

    /// Each device's expected quality over a ladder of candidates `rungs` (increasing).
    pub fn per_device(&self, rungs: &[usize]) -> Vec<f64> {
        (0..self.shares.len())
            .map(|d| {
                (0..rungs.len())
                    .map(|k| self.device_term(d, rungs[k], rungs.get(k + 1).copied()))
                    .sum()
            })
            .collect()
    }

    /// Whether some device of the mix plays candidate `i`.
    pub fn played(&self, i: usize) -> bool {
        self.plays.iter().any(|p| p[i])
    }

    /// How many of `rungs` device `d` plays.
    pub fn playable(&self, d: usize, rungs: &[usize]) -> usize {
        rungs.iter().filter(|&&i| self.plays[d][i]).count()
    }

    /// The devices' bandwidth range: the lowest positive quantile and the highest, kbit/s.
    pub fn range(&self) -> [f64; 2] {
        self.range
    }
}

/// A candidate's quality on a scale of the points' `pooling` (`None`: not measured).
fn device_quality(points: &[Point], c: &Candidate, key: &str) -> Option<f64> {
    let mean = |i: usize| {
        points
            .get(i)
            .and_then(|p| p.pooling.get(key))
            .map(|p| p.mean)
            .filter(|m| m.is_finite())
    };
    match c.origin {
        // A shot rung's quality is its shots' (see `shot_rungs`).
        Origin::Shots(_) => None,
        Origin::Measured(i) => mean(i),
        Origin::Interpolated {
            lower, upper, t, ..
        } => {
            let (a, b) = (mean(lower)?, mean(upper)?);
            Some(a + t * (b - a))
        }
    }
}

fn plays_nothing(d: &MixDevice, cands: &[Candidate]) -> String {
    let cheapest = cands.iter().min_by(|a, b| a.kbps.total_cmp(&b.kbps));
    let smallest = cands.iter().min_by_key(|c| (c.height, c.width));
    let lowest = match (cheapest, smallest) {
        (Some(c), Some(s)) => format!(
            "the cheapest is {:.1} kbps, the smallest {}x{}",
            c.kbps, s.width, s.height
        ),
        _ => "there are none".into(),
    };
    format!(
        "device `{}` ({}) plays none of the {} candidate rungs ({lowest})",
        d.name,
        d.caps(),
        cands.len()
    )
}

#[cfg(test)]
mod tests;
