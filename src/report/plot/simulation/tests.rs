use super::*;

#[test]
fn steps_hold_until_the_next() {
    let points = held(&[(0.0, 1.0, Some(5.0)), (2.0, 3.0, Some(6.0))]);
    assert_eq!(
        points,
        vec![vec![(0.0, 5.0), (2.0, 5.0), (2.0, 6.0), (3.0, 6.0)]]
    );
    assert!(held(&[]).is_empty());
    // A download with no throughput breaks the line.
    let points = held(&[
        (0.0, 1.0, Some(5.0)),
        (2.0, 2.0, None),
        (3.0, 4.0, Some(6.0)),
    ]);
    assert_eq!(
        points,
        vec![vec![(0.0, 5.0), (2.0, 5.0)], vec![(3.0, 6.0), (4.0, 6.0)]]
    );
    assert_eq!(f64::NAN.kbps(), None);
    assert_eq!(f64::INFINITY.kbps(), None);
    assert_eq!(Some(2.0).kbps(), Some(2.0));
    assert_eq!(None::<f64>.kbps(), None);
}

#[test]
fn ticks_are_labelled_to_their_step() {
    let (t, step) = linear_ticks(0.0, 600.0, 8);
    assert_eq!(step, 100.0);
    assert_eq!(t, vec![0.0, 100.0, 200.0, 300.0, 400.0, 500.0, 600.0]);
    let (t, step) = linear_ticks(-21526.4, -21522.8, 7);
    assert_eq!(step, 1.0);
    let labels: Vec<String> = t.iter().map(|&v| tick_label(v, decimals(step))).collect();
    assert_eq!(labels, ["-21526", "-21525", "-21524", "-21523"]);
    let (t, step) = linear_ticks(0.0, 3.3, 8);
    assert_eq!(step, 0.5);
    assert_eq!(decimals(step), 1);
    assert_eq!(tick_label(t[3], 1), "1.5");
    assert_eq!(decimals(0.02), 2);
    assert_eq!(decimals(20.0), 0);
    assert_eq!(tick_label(-0.0001, 2), "0.00");
    assert_eq!(tick_label(0.30000000000000004, 1), "0.3");
    assert_eq!(rate_label(2000.0), "2000");
    assert_eq!(rate_label(4.700000000000001), "4.7");
    assert_eq!(rate_label(20.0), "20");
}

#[test]
fn cdf_range_pads_and_leaves_far_tails_off() {
    // One value: padded in proportion to it.
    let (a, b) = cdf_range(&[-21524.6]);
    assert!(a < -21524.6 && b > -21524.6 && b - a > 100.0, "{a} {b}");
    assert_eq!(cdf_range(&[0.0]), (-1.0, 1.0));
    let (a, b) = cdf_range(&[3.2, 3.2]);
    assert!(b - a < 0.2 && b - a > 0.05, "{a} {b}");
    // Few sessions: all shown.
    let (a, b) = cdf_range(&[-3.7, -0.6, -0.6, -0.6, -0.6]);
    assert!(a < -3.7 && b > -0.6);
    // One far session of 200 is left off; the rest is shown whole.
    let mut v: Vec<f64> = (0..199).map(|i| i as f64 / 2.0).collect();
    v.insert(0, -860.0);
    let (a, b) = cdf_range(&v);
    assert!(a > -860.0 && a < 0.0 && b > 99.0, "{a} {b}");
    // A long but dense tail stays.
    let v: Vec<f64> = (0..200).map(|i| (i as f64).powi(2) / 400.0).collect();
    let (a, b) = cdf_range(&v);
    assert!(a < 0.0 && b > v[199], "{a} {b}");
}

#[test]
fn thinning_keeps_each_columns_extremes_in_order() {
    // 6000 points on 600 columns: 10 each; a spike in one column survives.
    let mut points: Vec<(f64, f64)> = (0..6000).map(|i| (i as f64 / 10.0, 1.0)).collect();
    points[1234].1 = 50.0;
    let t = thinned(points, 600.0);
    assert!(t.len() <= 2400, "{}", t.len());
    assert!(t.contains(&(123.4, 50.0)));
    assert!(t.windows(2).all(|w| w[0].0 <= w[1].0));
    assert_eq!(t.first(), Some(&(0.0, 1.0)));
    assert_eq!(t.last(), Some(&(599.9, 1.0)));
    assert_eq!(
        merged(&[(0.0, 1.0), (1.5, 2.0), (10.0, 11.0)], 600.0),
        vec![(0.0, 2.0), (10.0, 11.0)]
    );
}
