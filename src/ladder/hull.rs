//! The upper convex hull of rate-quality points.
//!
//! Space: bitrate (kbps, linear) on x, quality on y. The hull runs from the cheapest point up
//! to the best-quality point; points lying on a hull edge count as on the hull. Of points with
//! the same bitrate only the best can be on it.

/// A point in rate-quality space.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateQuality {
    /// Bitrate, kbit/s.
    pub kbps: f64,
    /// Quality, in the metric's own units.
    pub quality: f64,
}

/// Indices of the points on the upper convex hull, by increasing bitrate. Points with a NaN
/// coordinate are ignored.
pub fn upper_hull(points: &[RateQuality]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..points.len())
        .filter(|&i| points[i].kbps.is_finite() && points[i].quality.is_finite())
        .collect();
    // By bitrate, best quality first among equal bitrates, index for determinism.
    order.sort_by(|&a, &b| {
        let (pa, pb) = (points[a], points[b]);
        pa.kbps
            .total_cmp(&pb.kbps)
            .then(pb.quality.total_cmp(&pa.quality))
            .then(a.cmp(&b))
    });
    order.dedup_by(|later, earlier| points[*later].kbps == points[*earlier].kbps);

    let mut hull: Vec<usize> = Vec::new();
    for &i in &order {
        while hull.len() >= 2 {
            let o = points[hull[hull.len() - 2]];
            let a = points[hull[hull.len() - 1]];
            let b = points[i];
            // > 0: `a` lies strictly below the segment o-b, so it is not on the hull.
            let cross = (a.kbps - o.kbps) * (b.quality - o.quality)
                - (a.quality - o.quality) * (b.kbps - o.kbps);
            let scale = (b.kbps - o.kbps).abs() * (b.quality - o.quality).abs();
            if cross > 1e-12 * scale {
                hull.pop();
            } else {
                break;
            }
        }
        hull.push(i);
    }
    // Keep the rising part: nothing beyond the best quality is worth its bits.
    if let Some(best) = hull
        .iter()
        .enumerate()
        .max_by(|(ia, a), (ib, b)| {
            points[**a]
                .quality
                .total_cmp(&points[**b].quality)
                .then(ib.cmp(ia))
        })
        .map(|(pos, _)| pos)
    {
        hull.truncate(best + 1);
    }
    hull
}

/// The cheapest bitrate at which the upper hull of `points` reaches quality `target`
/// (interpolating linearly along a hull edge), or `None` when no point reaches it.
pub fn kbps_reaching(points: &[RateQuality], target: f64) -> Option<f64> {
    if !target.is_finite() {
        return None;
    }
    let hull: Vec<RateQuality> = upper_hull(points).into_iter().map(|i| points[i]).collect();
    let first = hull.first()?;
    if first.quality >= target {
        return Some(first.kbps);
    }
    hull.windows(2).find_map(|w| {
        let (a, b) = (w[0], w[1]);
        (b.quality >= target)
            .then(|| a.kbps + (target - a.quality) / (b.quality - a.quality) * (b.kbps - a.kbps))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rq(v: &[(f64, f64)]) -> Vec<RateQuality> {
        v.iter()
            .map(|&(kbps, quality)| RateQuality { kbps, quality })
            .collect()
    }

    #[test]
    fn two_crossing_curves() {
        // Low resolution wins at low rates, high resolution at high rates.
        let p = rq(&[
            (100.0, 30.0),  // 0 low
            (200.0, 34.0),  // 1 low
            (400.0, 36.0),  // 2 low (dominated by 4's curve)
            (300.0, 33.0),  // 3 high, below the low curve
            (600.0, 39.0),  // 4 high
            (1200.0, 41.0), // 5 high
        ]);
        assert_eq!(upper_hull(&p), vec![0, 1, 4, 5]);
    }

    #[test]
    fn drops_points_past_the_best_quality_and_duplicates() {
        let p = rq(&[(100.0, 30.0), (100.0, 31.0), (200.0, 35.0), (300.0, 34.0)]);
        assert_eq!(upper_hull(&p), vec![1, 2]);
    }

    #[test]
    fn bitrate_reaching_a_quality_interpolates_on_the_hull() {
        let p = rq(&[(100.0, 30.0), (200.0, 40.0), (150.0, 31.0), (400.0, 44.0)]);
        assert_eq!(kbps_reaching(&p, 25.0), Some(100.0));
        assert_eq!(kbps_reaching(&p, 35.0), Some(150.0));
        assert_eq!(kbps_reaching(&p, 42.0), Some(300.0));
        assert_eq!(kbps_reaching(&p, 45.0), None);
    }

    #[test]
    fn collinear_points_are_on_the_hull() {
        let p = rq(&[(100.0, 30.0), (200.0, 31.0), (300.0, 32.0)]);
        assert_eq!(upper_hull(&p), vec![0, 1, 2]);
    }

    #[test]
    fn degenerate_inputs() {
        assert!(upper_hull(&[]).is_empty());
        assert_eq!(upper_hull(&rq(&[(5.0, 1.0)])), vec![0]);
        assert_eq!(upper_hull(&rq(&[(5.0, f64::NAN), (6.0, 2.0)])), vec![1]);
    }

    /// Brute force: a point is on the upper hull iff no pair of points (or single point
    /// at a higher/equal rate with higher quality) lies strictly above it.
    fn on_hull_brute(p: &[RateQuality], i: usize) -> bool {
        let x = p[i];
        for a in p {
            // Something at most as expensive and strictly better, or strictly cheaper and as
            // good, dominates it.
            if (a.kbps <= x.kbps && a.quality > x.quality)
                || (a.kbps < x.kbps && a.quality >= x.quality)
            {
                return false;
            }
            if a.kbps == x.kbps && a.quality == x.quality {
                continue;
            }
            for b in p {
                if a.kbps < x.kbps && x.kbps < b.kbps {
                    let t = (x.kbps - a.kbps) / (b.kbps - a.kbps);
                    let y = a.quality + t * (b.quality - a.quality);
                    if y > x.quality + 1e-9 {
                        return false;
                    }
                }
            }
        }
        true
    }

    proptest! {
        #[test]
        fn matches_brute_force(v in prop::collection::vec((1u32..60, 0u32..40), 1..25)) {
            let p: Vec<RateQuality> = v.iter().map(|&(r, q)| RateQuality {
                kbps: f64::from(r) * 10.0, quality: f64::from(q)
            }).collect();
            let hull = upper_hull(&p);
            // Hull is strictly increasing in both coordinates... (quality non-decreasing).
            for w in hull.windows(2) {
                prop_assert!(p[w[0]].kbps < p[w[1]].kbps);
                prop_assert!(p[w[0]].quality <= p[w[1]].quality);
            }
            // Concave: the slope never rises from one edge to the next.
            for w in hull.windows(3) {
                let slope = |a: usize, b: usize| (p[b].quality - p[a].quality) / (p[b].kbps - p[a].kbps);
                prop_assert!(slope(w[1], w[2]) <= slope(w[0], w[1]) + 1e-12);
            }
            for (i, pt) in p.iter().enumerate() {
                let brute = on_hull_brute(&p, i);
                let on = hull.iter().any(|&h| p[h] == *pt);
                prop_assert_eq!(on, brute, "point {} {:?} in {:?}", i, pt, p);
            }
        }
    }
}
