//! The fits against their defining properties (through the points, exact on lines and
//! cubics, SciPy's slope rules), and the errors for curves that cannot be compared. BD-rate
//! itself is tested end to end against reference values in the integration tests.

use super::fit::{Hermite, akima_slopes, pchip_slopes};
use super::*;

fn rq(v: &[(f64, f64)]) -> Vec<RateQuality> {
    v.iter()
        .map(|&(kbps, quality)| RateQuality { kbps, quality })
        .collect()
}

fn prepared(x: &[f64], y: &[f64]) -> Prepared {
    Prepared {
        x: x.to_vec(),
        y: y.to_vec(),
        span: [x[0], x[x.len() - 1]],
    }
}

const X: [f64; 6] = [30.0, 31.5, 34.0, 34.5, 38.0, 41.0];
const Y: [f64; 6] = [5.0, 5.6, 6.1, 6.0, 7.2, 8.4];

#[test]
fn every_fit_goes_through_four_points_and_the_splines_through_all() {
    for method in Interpolation::ALL {
        let fit = Fit::new(&prepared(&X, &Y), method);
        if method == Interpolation::Cubic {
            let fit = Fit::new(&prepared(&X[..4], &Y[..4]), method);
            for (x, y) in X[..4].iter().zip(&Y) {
                assert!((fit.eval(*x) - y).abs() < 1e-10, "{method} at {x}");
            }
        } else {
            for (x, y) in X.iter().zip(&Y) {
                assert!((fit.eval(*x) - y).abs() < 1e-12, "{method} at {x}");
            }
        }
    }
}

#[test]
fn a_line_is_fitted_and_integrated_exactly() {
    // y = 0.25 x - 3, integral from 31 to 40 = 0.125 (40² - 31²) - 3 * 9.
    let y: Vec<f64> = X.iter().map(|x| 0.25 * x - 3.0).collect();
    let exact = 0.125 * (40.0f64.powi(2) - 31.0f64.powi(2)) - 27.0;
    for method in Interpolation::ALL {
        let fit = Fit::new(&prepared(&X, &y), method);
        let got = fit.integral(31.0, 40.0);
        assert!((got - exact).abs() < 1e-11, "{method}: {got} vs {exact}");
    }
}

#[test]
fn the_cubic_fit_recovers_a_cubic_from_noisy_free_data() {
    // Six points of an exact cubic far from the origin: least squares must return it.
    let p =
        |x: f64| 2.0 - 0.5 * (x - 35.0) + 0.03 * (x - 35.0).powi(2) - 0.002 * (x - 35.0).powi(3);
    let y: Vec<f64> = X.iter().map(|&x| p(x)).collect();
    let fit = Fit::new(&prepared(&X, &y), Interpolation::Cubic);
    let prim = |x: f64| {
        let t = x - 35.0;
        2.0 * t - 0.25 * t * t + 0.01 * t.powi(3) - 0.0005 * t.powi(4)
    };
    let exact = prim(40.5) - prim(30.5);
    assert!((fit.integral(30.5, 40.5) - exact).abs() < 1e-10);
    assert!((fit.eval(33.3) - p(33.3)).abs() < 1e-12);
}

#[test]
fn hermite_pieces_integrate_like_the_trapezoid_plus_slope_correction() {
    // Over a whole piece, ∫ = h (y0 + y1) / 2 + h² (d0 - d1) / 12.
    let x = [0.0, 2.0, 3.0, 7.0];
    let y = [1.0, 4.0, 2.0, 5.0];
    let d = [0.5, -1.0, 2.0, 0.3];
    let h = Hermite::new(&x, &y, &d);
    let mut expected = 0.0;
    for k in 0..3 {
        let w = x[k + 1] - x[k];
        expected += w * (y[k] + y[k + 1]) / 2.0 + w * w * (d[k] - d[k + 1]) / 12.0;
    }
    assert!((h.integral(0.0, 7.0) - expected).abs() < 1e-12);
    // Split anywhere, the parts add up.
    let split = h.integral(0.0, 2.5) + h.integral(2.5, 7.0);
    assert!((split - expected).abs() < 1e-12);
}

#[test]
fn pchip_slopes_follow_scipy_rules() {
    // Interior: 0 at an extremum (secants 1 then -1), harmonic mean otherwise.
    let x = [0.0, 1.0, 2.0, 3.0, 5.0];
    let y = [0.0, 1.0, 0.0, 1.0, 3.0];
    let d = pchip_slopes(&x, &y);
    assert_eq!(d[1], 0.0);
    assert_eq!(d[2], 0.0);
    // Point 3: h = (1, 2), m = (1, 1): whmean of equal secants is the secant.
    assert!((d[3] - 1.0).abs() < 1e-15);
    // Start: ((2*1 + 1) * 1 - 1 * (-1)) / 2 = 2; secants change sign and |2| <= 3, kept.
    assert!((d[0] - 2.0).abs() < 1e-15);
    // End: ((2*2 + 1) * 1 - 2 * 1) / 3 = 1.
    assert!((d[4] - 1.0).abs() < 1e-15);

    // End estimate of the wrong sign becomes 0; one too steep is clipped to 3 m0.
    let d = pchip_slopes(&[0.0, 1.0, 1.1, 2.0], &[0.0, 1.0, 3.0, 2.0]);
    // ((2 + 0.1) * 1 - 1 * 20) / 1.1 < 0 while m0 > 0.
    assert_eq!(d[0], 0.0);
    let d = pchip_slopes(&[0.0, 10.0, 11.0, 12.0], &[0.0, 10.0, 0.0, 1.0]);
    // ((20 + 1) * 1 - 10 * (-10)) / 11 = 11 > 3 * 1 and the secants change sign.
    assert_eq!(d[0], 3.0);
}

#[test]
fn akima_slopes_on_a_line_and_at_a_corner() {
    let d = akima_slopes(&[0.0, 1.0, 2.0, 3.0], &[1.0, 3.0, 5.0, 7.0]);
    assert!(d.iter().all(|s| (s - 2.0).abs() < 1e-15), "{d:?}");
    // Secants 0, 0, 1, 1 (plus extrapolated 0, 0 and 1, 1): at the corner point (x = 2)
    // the weights are |1 - 1| and |0 - 0|, both zero, so the slope is the plain mean.
    let d = akima_slopes(&[0.0, 1.0, 2.0, 3.0, 4.0], &[0.0, 0.0, 0.0, 1.0, 2.0]);
    assert!((d[2] - 0.5).abs() < 1e-15, "{d:?}");
    assert_eq!(d[1], 0.0);
    assert_eq!(d[3], 1.0);
}

#[test]
fn duplicate_x_is_reported_on_the_right_axis() {
    let same_quality = rq(&[(100.0, 30.0), (200.0, 32.0), (300.0, 32.0), (400.0, 36.0)]);
    let ok = rq(&[(100.0, 30.0), (200.0, 33.0), (300.0, 34.0), (400.0, 36.0)]);
    assert_eq!(
        bd_rate(&ok, &same_quality, Interpolation::Pchip),
        Err(BdError::DuplicateQuality {
            curve: Curve::Test,
            quality: 32.0
        })
    );
    // Distinct rates: BD-quality is fine with it.
    assert!(bd_quality(&ok, &same_quality, Interpolation::Pchip).is_ok());
    let same_rate = rq(&[(100.0, 30.0), (200.0, 33.0), (200.0, 34.0), (400.0, 36.0)]);
    assert_eq!(
        bd_quality(&same_rate, &ok, Interpolation::Akima),
        Err(BdError::DuplicateRate {
            curve: Curve::Anchor,
            kbps: 200.0
        })
    );
    assert!(bd_rate(&same_rate, &ok, Interpolation::Akima).is_ok());
}

#[test]
fn messages_are_one_line_and_name_the_curve() {
    let e = BdError::NoQualityOverlap {
        anchor: [30.0, 40.0],
        test: [41.0, 50.0],
    };
    assert_eq!(
        e.to_string(),
        "the curves do not overlap in quality (anchor 30.0-40.0, test 41.0-50.0)"
    );
    let e = BdError::TooFewPoints {
        curve: Curve::Test,
        count: 3,
    };
    assert_eq!(
        e.to_string(),
        "test curve: 3 points, BD metrics need at least 4"
    );
    let e = BdError::DuplicateQuality {
        curve: Curve::Anchor,
        quality: 35.2,
    };
    assert_eq!(e.to_string(), "anchor curve: two points share quality 35.2");
    assert_eq!(e.curve(), Some(Curve::Anchor));
}

#[test]
fn interpolation_names_round_trip() {
    for m in Interpolation::ALL {
        assert_eq!(m.name().parse::<Interpolation>(), Ok(m));
        assert_eq!(m.to_string().to_uppercase().parse::<Interpolation>(), Ok(m));
    }
    assert_eq!(Interpolation::default(), Interpolation::Pchip);
    assert!("spline".parse::<Interpolation>().is_err());
    assert_eq!(
        serde_json::to_string(&Interpolation::Akima).unwrap(),
        "\"akima\""
    );
    assert_eq!(
        serde_json::from_str::<Interpolation>("\"cubic\"").unwrap(),
        Interpolation::Cubic
    );
}
