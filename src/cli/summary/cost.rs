//! The summary's cost lines and quality-cost frontier, and each rung's quality on each
//! device class scored.

use pertitle::Manifest;
use pertitle::manifest::CodecLadder;
use pertitle::manifest::cost::LadderCost;

/// Dollars with enough digits to show small figures.
fn usd(v: f64) -> String {
    if v == 0.0 || v.abs() >= 1.0 {
        format!("${v:.2}")
    } else {
        format!("${v:.4}")
    }
}

/// What the ladder costs to deliver and store, the frontier, and the chosen ladder's
/// quality per extra dollar.
pub fn print_cost(manifest: &Manifest, ladder: &CodecLadder) {
    let Some(c) = &ladder.summary.cost else {
        return;
    };
    let axis = if ladder.summary.devices.is_empty() {
        manifest.settings.quality_field.as_str()
    } else {
        "quality"
    };
    println!(
        "delivery: viewers fetch {:.1} kbps on average: {:.4} GB per viewing hour, {} per 1,000 viewing hours at ${}/GB",
        c.expected_kbps,
        c.delivery_gb_per_hour,
        usd(c.delivery_usd_per_1000_hours),
        c.delivery_per_gb
    );
    println!(
        "storage: {} rungs of {:.1} s take {:.4} GB, {} a month at ${}/GB-month",
        ladder.rungs.len(),
        manifest.source.duration_s,
        c.storage_gb,
        usd(c.storage_usd_per_month),
        c.storage_per_gb_month
    );
    if let Some(w) = manifest.settings.objective.cost_weight {
        println!("cost weight: {w} {axis} points per $ per 1,000 viewing hours");
    }
    print_frontier(c, axis, ladder.summary.expected_quality);
}

fn print_frontier(c: &LadderCost, axis: &str, expected: f64) {
    if c.frontier.is_empty() {
        return;
    }
    println!(
        "quality-cost frontier: the most {axis} each delivery cost buys (--cost-weight W picks the ladder where W {axis} points are worth $1 per 1,000 viewing hours):"
    );
    println!(
        "  {:>5}  {:>10}  {:>9}  {:>9}  {:>9}  {:>10}  {:>10}",
        "rungs", "top", "top kbps", "expected", "kbps", "$/1000 h", "gain per $"
    );
    let shown = thinned(c.frontier.len());
    let mut prev: Option<(usize, &pertitle::manifest::cost::FrontierLadder)> = None;
    let mut printed = 0;
    for (i, f) in c.frontier.iter().enumerate() {
        if !(shown.contains(&i) || f.chosen) {
            continue;
        }
        printed += 1;
        // The gain over the row shown above: the manifest's when that is the frontier's
        // previous ladder, else from the two rows.
        let gain = match prev {
            Some((j, _)) if j + 1 == i => f.quality_per_dollar,
            Some((_, p)) => Some(
                (f.expected_quality - p.expected_quality)
                    / (f.delivery_usd_per_1000_hours - p.delivery_usd_per_1000_hours),
            ),
            None => None,
        };
        prev = Some((i, f));
        println!(
            "{} {:>5}  {:>10}  {:>9.1}  {:>9.3}  {:>9.1}  {:>10.4}  {:>10}",
            if f.chosen { ">" } else { " " },
            f.rungs,
            f.top,
            f.top_kbps,
            f.expected_quality,
            f.expected_kbps,
            f.delivery_usd_per_1000_hours,
            gain.map_or("-".to_string(), |q| format!("{q:.4}"))
        );
    }
    if printed < c.frontier.len() {
        println!(
            "  ({printed} of the frontier's {} ladders; ladder.json and the report list them all)",
            c.frontier.len()
        );
    }
    let chosen_q = c
        .frontier
        .iter()
        .find(|f| f.chosen)
        .map(|f| f.expected_quality);
    println!(
        "  gain per $: {axis} gained per extra $ per 1,000 viewing hours over the line above{}",
        if chosen_q.is_some() {
            "; > this ladder"
        } else {
            ""
        }
    );
    // A frontier ladder at most as costly and at least as good, when this one is not on it.
    let better = c.frontier.iter().rev().find(|f| {
        chosen_q.is_none()
            && f.delivery_usd_per_1000_hours <= c.delivery_usd_per_1000_hours
            && f.expected_quality >= expected
    });
    if let Some(b) = better {
        println!(
            "  this ladder is not on the frontier: {} rungs up to {} at {:.1} kbps give {} {:.3} for {} per 1,000 hours (its top rung is not the best candidate: any --cost-weight above 0 allows that)",
            b.rungs,
            b.top,
            b.top_kbps,
            axis,
            b.expected_quality,
            usd(b.delivery_usd_per_1000_hours)
        );
    }
    if let Some(q) = c.quality_per_dollar {
        println!(
            "this ladder gains {q:.4} {axis} per extra $ per 1,000 viewing hours over the next cheaper ladder of the frontier"
        );
    }
}

/// The most frontier rows the summary prints.
const FRONTIER_ROWS: usize = 12;

/// Which of `n` frontier ladders the summary prints: all of up to [`FRONTIER_ROWS`], else
/// evenly spread ones, the first and the last among them.
fn thinned(n: usize) -> Vec<usize> {
    if n <= FRONTIER_ROWS {
        return (0..n).collect();
    }
    let mut rows: Vec<usize> = (0..FRONTIER_ROWS)
        .map(|k| (k * (n - 1) + (FRONTIER_ROWS - 1) / 2) / (FRONTIER_ROWS - 1))
        .collect();
    rows.dedup();
    rows
}

/// Each rung's quality on each device class `optimize --devices` scored.
pub fn print_device_rungs(manifest: &Manifest, ladder: &CodecLadder) {
    let devices = &manifest.settings.devices;
    if devices.is_empty() {
        return;
    }
    let mut header = format!("{:>4}  {:>10}  {:>10}", "rung", "resolution", "kbps");
    for d in devices {
        header.push_str(&format!("  {:>10}", d.key));
    }
    println!("each rung's quality on each device class:");
    println!("{header}");
    for (i, r) in ladder.rungs.iter().enumerate() {
        let mut row = format!(
            "{:>4}  {:>10}  {:>10.1}",
            i + 1,
            format!("{}x{}", r.width, r.height),
            r.bitrate_kbps
        );
        for d in devices {
            let q = r
                .pooling
                .get(&d.key)
                .map_or("-".to_string(), |p| format!("{:.2}", p.mean));
            row.push_str(&format!("  {q:>10}"));
        }
        println!("{row}");
    }
}
