//! The cost figures of a ladder in `ladder.json`: delivery per viewing hour, storage of
//! every rendition, and the quality-cost frontier (`summary.cost`).

use super::CodecLadder;
use crate::ladder::Ladder;
use crate::measure::point::round;
use crate::viewers::cost::{Prices, gb_per_hour_at, storage_of, usd_per_1000_hours_at};
use serde::{Deserialize, Serialize};

/// What a ladder costs to serve, at the objective's prices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LadderCost {
    /// Delivering one GB, dollars.
    pub delivery_per_gb: f64,
    /// Storing one GB for a month, dollars.
    pub storage_per_gb_month: f64,
    /// The mean bitrate a viewer fetches, kbit/s: the objective's viewers, each playing the
    /// rung the objective gives them (nothing below the lowest rung).
    pub expected_kbps: f64,
    /// GB delivered per viewing hour.
    pub delivery_gb_per_hour: f64,
    /// Dollars of delivery per 1,000 viewing hours.
    pub delivery_usd_per_1000_hours: f64,
    /// GB that every rendition of the title takes: the rungs' bitrates times the title's
    /// duration.
    pub storage_gb: f64,
    /// Dollars a month to store them.
    pub storage_usd_per_month: f64,
    /// With a viewer mix: each device's delivery, in the mix's order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<DeviceCost>,
    /// The ladders that maximize the expected quality less `W` times the delivery cost for
    /// some cost weight `W >= 0`, by increasing cost: the most quality each cost buys.
    pub frontier: Vec<FrontierLadder>,
    /// Expected quality gained per extra dollar per 1,000 viewing hours by this ladder over
    /// the next cheaper ladder of the frontier; absent when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality_per_dollar: Option<f64>,
}

/// What one device of a viewer mix fetches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceCost {
    /// The device class.
    pub name: String,
    /// The mean bitrate its viewers fetch, kbit/s.
    pub expected_kbps: f64,
    /// GB delivered per viewing hour on it.
    pub delivery_gb_per_hour: f64,
    /// Dollars of delivery per 1,000 viewing hours on it.
    pub delivery_usd_per_1000_hours: f64,
}

/// A ladder of the quality-cost frontier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontierLadder {
    /// Its rungs.
    pub rungs: usize,
    /// Its top rung's size (`1280x720`).
    pub top: String,
    /// Its top rung's bitrate, kbit/s.
    pub top_kbps: f64,
    /// Its expected quality.
    pub expected_quality: f64,
    /// The mean bitrate a viewer fetches, kbit/s.
    pub expected_kbps: f64,
    /// Dollars of delivery per 1,000 viewing hours.
    pub delivery_usd_per_1000_hours: f64,
    /// The sum of its rungs' bitrates, kbit/s.
    pub total_kbps: f64,
    /// GB its renditions of the title take.
    pub storage_gb: f64,
    /// Expected quality gained per extra dollar per 1,000 viewing hours over the frontier's
    /// previous (cheaper) ladder; absent for the first. A cost weight `W` chooses the ladder
    /// whose figure is at least `W` and whose next ladder's is below it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality_per_dollar: Option<f64>,
    /// It is the chosen ladder.
    #[serde(default, skip_serializing_if = "is_false")]
    pub chosen: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl LadderCost {
    /// The figures of `ladder` (storage comes with the title's duration, in
    /// [`CodecLadder::price_storage`]).
    pub fn of(ladder: &Ladder) -> LadderCost {
        let p = ladder.prices;
        LadderCost {
            delivery_per_gb: p.delivery_per_gb,
            storage_per_gb_month: p.storage_per_gb_month,
            expected_kbps: round(ladder.expected_kbps, 3),
            delivery_gb_per_hour: round(gb_per_hour_at(ladder.expected_kbps), 6),
            delivery_usd_per_1000_hours: round(usd_per_1000_hours_at(ladder.expected_kbps, &p), 4),
            storage_gb: 0.0,
            storage_usd_per_month: 0.0,
            devices: ladder
                .devices
                .iter()
                .map(|d| DeviceCost {
                    name: d.name.clone(),
                    expected_kbps: round(d.expected_kbps, 3),
                    delivery_gb_per_hour: round(gb_per_hour_at(d.expected_kbps), 6),
                    delivery_usd_per_1000_hours: round(
                        usd_per_1000_hours_at(d.expected_kbps, &p),
                        4,
                    ),
                })
                .collect(),
            frontier: ladder
                .frontier
                .iter()
                .enumerate()
                .map(|(i, f)| FrontierLadder {
                    rungs: f.rungs,
                    top: format!("{}x{}", f.top.0, f.top.1),
                    top_kbps: round(f.top.2, 3),
                    expected_quality: round(f.expected_quality, 4),
                    expected_kbps: round(f.expected_kbps, 3),
                    delivery_usd_per_1000_hours: round(
                        usd_per_1000_hours_at(f.expected_kbps, &p),
                        4,
                    ),
                    total_kbps: round(f.total_kbps, 3),
                    storage_gb: 0.0,
                    quality_per_dollar: i.checked_sub(1).and_then(|j| ladder.frontier.get(j)).map(
                        |prev| {
                            let dc =
                                usd_per_1000_hours_at(f.expected_kbps - prev.expected_kbps, &p);
                            round((f.expected_quality - prev.expected_quality) / dc, 6)
                        },
                    ),
                    chosen: f.chosen,
                })
                .collect(),
            quality_per_dollar: ladder.quality_per_dollar.map(|q| round(q, 6)),
        }
    }

    /// The prices the figures are at.
    pub fn prices(&self) -> Prices {
        Prices {
            delivery_per_gb: self.delivery_per_gb,
            storage_per_gb_month: self.storage_per_gb_month,
        }
    }
}

impl CodecLadder {
    /// Fill in the storage figures of the summary's cost for a title of `duration_s` seconds.
    pub fn price_storage(&mut self, duration_s: f64) {
        let kbps: Vec<f64> = self.rungs.iter().map(|r| r.bitrate_kbps).collect();
        let Some(cost) = &mut self.summary.cost else {
            return;
        };
        let prices = cost.prices();
        let (gb, usd) = storage_of(kbps, duration_s, &prices);
        cost.storage_gb = round(gb, 6);
        cost.storage_usd_per_month = round(usd, 8);
        for f in &mut cost.frontier {
            f.storage_gb = round(storage_of([f.total_kbps], duration_s, &prices).0, 6);
        }
    }
}
