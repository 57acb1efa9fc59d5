//! Throughput and latency estimates from past downloads.
//!
//! [`Ewma`] is Sabre's and dash.js's estimate: two exponentially weighted moving averages
//! of the throughput, with half-lives of 3 s and 8 s of download time, each corrected for
//! its start from zero, and the lower of the two taken (the safe choice); latency likewise,
//! with half-lives of the same lengths counted in segments, and the higher taken.
//! [`Harmonic`] is the harmonic mean of the last few throughputs, which MPC uses; it also
//! keeps the relative errors of its past predictions, for RobustMPC's discount.

use crate::simulate::abr::Download;
use std::collections::VecDeque;

/// The EWMA half-lives, seconds of download time.
pub const HALF_LIVES_S: [f64; 2] = [3.0, 8.0];

/// Sabre's and dash.js's throughput estimate.
#[derive(Debug, Clone)]
pub struct Ewma {
    /// The segment duration, to count latency half-lives in segments.
    segment_s: f64,
    throughput: [f64; 2],
    latency: [f64; 2],
    /// Seconds of download seen.
    weight_time: f64,
    /// Downloads seen.
    weight_count: f64,
}

impl Ewma {
    /// No download seen yet, for a title of `segment_s` segments.
    pub fn new(segment_s: f64) -> Self {
        Ewma {
            segment_s,
            throughput: [0.0; 2],
            latency: [0.0; 2],
            weight_time: 0.0,
            weight_count: 0.0,
        }
    }

    /// Add one download (with bits flowing for `time` seconds after its latency).
    pub fn push(&mut self, d: &Download) {
        let time = d.time_s - d.latency_s;
        if time.is_nan() || time <= 0.0 {
            return;
        }
        let tput = d.throughput_kbps();
        for (i, half) in HALF_LIVES_S.iter().enumerate() {
            let a = 0.5f64.powf(time / half);
            self.throughput[i] = a * self.throughput[i] + (1.0 - a) * tput;
            let a = 0.5f64.powf(1.0 / (half / self.segment_s));
            self.latency[i] = a * self.latency[i] + (1.0 - a) * d.latency_s;
        }
        self.weight_time += time;
        self.weight_count += 1.0;
    }

    /// The estimate, kbit/s (`None` before the first download).
    pub fn throughput_kbps(&self) -> Option<f64> {
        if self.weight_count == 0.0 {
            return None;
        }
        HALF_LIVES_S
            .iter()
            .enumerate()
            .map(|(i, half)| self.throughput[i] / (1.0 - 0.5f64.powf(self.weight_time / half)))
            .reduce(f64::min)
    }

    /// The latency estimate, seconds (0 before the first download).
    pub fn latency_s(&self) -> f64 {
        if self.weight_count == 0.0 {
            return 0.0;
        }
        HALF_LIVES_S
            .iter()
            .enumerate()
            .map(|(i, half)| {
                self.latency[i] / (1.0 - 0.5f64.powf(self.weight_count / (half / self.segment_s)))
            })
            .fold(0.0, f64::max)
    }
}

/// The harmonic mean of the last `window` throughputs, and the errors of past predictions.
#[derive(Debug, Clone)]
pub struct Harmonic {
    window: usize,
    samples: VecDeque<f64>,
    errors: VecDeque<f64>,
    /// The prediction made before the latest download.
    predicted: Option<f64>,
}

impl Harmonic {
    /// An estimate over the last `window` downloads.
    pub fn new(window: usize) -> Self {
        Harmonic {
            window: window.max(1),
            samples: VecDeque::new(),
            errors: VecDeque::new(),
            predicted: None,
        }
    }

    /// Add one download.
    pub fn push(&mut self, d: &Download) {
        let tput = d.throughput_kbps();
        if !tput.is_finite() {
            return;
        }
        if let Some(p) = self.predicted {
            self.errors.push_back((p - tput).abs() / tput);
            if self.errors.len() > self.window {
                self.errors.pop_front();
            }
        }
        self.samples.push_back(tput);
        if self.samples.len() > self.window {
            self.samples.pop_front();
        }
        self.predicted = self.throughput_kbps();
    }

    /// The harmonic mean, kbit/s (`None` before the first download).
    pub fn throughput_kbps(&self) -> Option<f64> {
        if self.samples.is_empty() {
            return None;
        }
        let n = self.samples.len() as f64;
        Some(n / self.samples.iter().map(|t| 1.0 / t.max(1e-9)).sum::<f64>())
    }

    /// The largest relative error of the last predictions (0 before there is one).
    pub fn max_error(&self) -> f64 {
        self.errors.iter().copied().fold(0.0, f64::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dl(kbps: f64, seconds: f64, latency: f64) -> Download {
        Download {
            rung: 0,
            bits: kbps * 1000.0 * seconds,
            time_s: seconds + latency,
            latency_s: latency,
            abandoned: false,
        }
    }

    #[test]
    fn a_steady_link_is_estimated_exactly() {
        let mut e = Ewma::new(4.0);
        assert_eq!(e.throughput_kbps(), None);
        for _ in 0..5 {
            e.push(&dl(3000.0, 2.0, 0.1));
        }
        assert!((e.throughput_kbps().unwrap() - 3000.0).abs() < 1e-9);
        assert!((e.latency_s() - 0.1).abs() < 1e-12);
        let mut h = Harmonic::new(5);
        for _ in 0..5 {
            h.push(&dl(3000.0, 2.0, 0.1));
        }
        assert!((h.throughput_kbps().unwrap() - 3000.0).abs() < 1e-9);
        assert!(h.max_error() < 1e-12);
    }

    #[test]
    fn the_ewma_follows_a_drop_with_its_short_half_life() {
        let mut e = Ewma::new(4.0);
        e.push(&dl(4000.0, 3.0, 0.0));
        // After one sample the estimate is that sample, whatever the half-life.
        assert!((e.throughput_kbps().unwrap() - 4000.0).abs() < 1e-9);
        e.push(&dl(1000.0, 3.0, 0.0));
        // The 3 s average moved halfway (half-life 3 s): 2500 after de-biasing by 3/4:
        // raw 0.5*4000 + 0.5*1000 = 2500 on a weight of 1 - 0.25; the 8 s one less far.
        let short: f64 = (0.5 * (0.5 * 4000.0) + 0.5 * 1000.0) / 0.75;
        let a = 0.5f64.powf(3.0 / 8.0);
        let long = (a * ((1.0 - a) * 4000.0) + (1.0 - a) * 1000.0) / (1.0 - a * a);
        assert!((e.throughput_kbps().unwrap() - short.min(long)).abs() < 1e-9);
    }

    #[test]
    fn the_harmonic_mean_is_pulled_to_the_slow_samples_and_counts_errors() {
        let mut h = Harmonic::new(2);
        h.push(&dl(1000.0, 1.0, 0.0));
        h.push(&dl(3000.0, 1.0, 0.0));
        assert!((h.throughput_kbps().unwrap() - 1500.0).abs() < 1e-9);
        // Predicted 1000 before the 3000 sample: error 2/3.
        assert!((h.max_error() - 2.0 / 3.0).abs() < 1e-12);
    }
}
