//! What a ladder costs to serve: delivering its bits to viewers and storing its renditions,
//! at prices per GB (10^9 bytes) the user sets.
//!
//! The default prices are round list prices, to be replaced by a service's own: delivery
//! $0.02 per GB (a CDN's egress at volume; first tiers list up to about $0.09) and storage
//! $0.023 per GB-month (object storage's standard tier).

use serde::{Deserialize, Serialize};

/// Prices of serving video.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Prices {
    /// Delivering one GB to viewers, dollars.
    pub delivery_per_gb: f64,
    /// Storing one GB for a month, dollars.
    pub storage_per_gb_month: f64,
}

impl Default for Prices {
    fn default() -> Self {
        Prices {
            delivery_per_gb: default_delivery_price(),
            storage_per_gb_month: 0.023,
        }
    }
}

/// The default price of delivering a GB, dollars.
pub fn default_delivery_price() -> f64 {
    0.02
}

/// GB in `mbit` megabits.
pub fn gb_of_mbit(mbit: f64) -> f64 {
    mbit * 1e6 / 8.0 / 1e9
}

/// GB per hour of `video_s` seconds of viewing that fetched `mbit` megabits (0 when
/// nothing was watched).
pub fn gb_per_hour(mbit: f64, video_s: f64) -> f64 {
    if video_s > 0.0 {
        gb_of_mbit(mbit) * 3600.0 / video_s
    } else {
        0.0
    }
}

/// GB an hour of a stream at `kbps` takes.
pub fn gb_per_hour_at(kbps: f64) -> f64 {
    gb_of_mbit(kbps / 1000.0 * 3600.0)
}

/// Dollars per 1,000 viewing hours of a stream at `kbps`, at the delivery price.
pub fn usd_per_1000_hours_at(kbps: f64, prices: &Prices) -> f64 {
    gb_per_hour_at(kbps) * 1000.0 * prices.delivery_per_gb
}

/// Dollars a month to store renditions of `kbps` each (their sum) for a title of
/// `duration_s` seconds, at the storage price; and the GB they take.
pub fn storage_of(
    kbps: impl IntoIterator<Item = f64>,
    duration_s: f64,
    prices: &Prices,
) -> (f64, f64) {
    let gb: f64 = kbps
        .into_iter()
        .map(|k| gb_per_hour_at(k) * duration_s / 3600.0)
        .sum();
    (gb, gb * prices.storage_per_gb_month)
}

/// Whether a price is one: a finite number, not negative.
pub fn valid_price(p: f64) -> bool {
    p.is_finite() && p >= 0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_hour_at_8_mbps_is_3_6_gb() {
        assert!((gb_per_hour_at(8000.0) - 3.6).abs() < 1e-12);
        // 900 Mbit over 15 minutes: 450 MB an hour... 0.1125 GB in a quarter hour.
        assert!((gb_per_hour(900.0, 900.0) - 0.45).abs() < 1e-12);
        assert_eq!(gb_per_hour(10.0, 0.0), 0.0);
    }

    #[test]
    fn a_thousand_hours_at_8_mbps_cost_72_dollars_at_2_cents() {
        let p = Prices::default();
        assert!((usd_per_1000_hours_at(8000.0, &p) - 72.0).abs() < 1e-9);
        // 1000 + 3000 kbps for 30 minutes: 0.225 + 0.675 GB, 0.9 GB at $0.023.
        let (gb, usd) = storage_of([1000.0, 3000.0], 1800.0, &p);
        assert!((gb - 0.9).abs() < 1e-12 && (usd - 0.0207).abs() < 1e-12);
    }
}
