use super::*;

#[test]
fn log_ticks_stay_in_range_and_few() {
    let t = log_ticks(150.0, 9000.0);
    assert_eq!(t, vec![200.0, 500.0, 1000.0, 2000.0, 5000.0]);
    let t = log_ticks(10.0, 1e6);
    assert!(t.len() <= 9 && t.len() >= 2, "{t:?}");
    let t = log_ticks(310.0, 420.0);
    assert_eq!(t.len(), 5);
    assert!(t.iter().all(|x| (300.0..=430.0).contains(x)), "{t:?}");
    assert_eq!(kbps_label(2000.0), "2000");
}

#[test]
fn titles_fit_the_image() {
    // A short title keeps its place over the plot area.
    assert_eq!(title_fit("short", 960), ("short".to_string(), 395));
    // A long one moves right so that it starts inside the image.
    let long = "A, typical and bad session: report.2010-12-09_1222CET.json from 1440 s";
    let (t, x) = title_fit(long, 960);
    assert_eq!(t, long);
    let half = t.chars().count() as f64 * 0.6 * TITLE_SIZE / 1.24 / 2.0;
    assert!(x as f64 - half >= 9.5 && x as f64 + half <= 950.5, "{x}");
    // A longer one than the image holds is cut short.
    let (t, x) = title_fit(&"x".repeat(200), 960);
    assert!(t.ends_with('…') && t.chars().count() < 100, "{t}");
    let half = t.chars().count() as f64 * 0.6 * TITLE_SIZE / 1.24 / 2.0;
    assert!(x as f64 - half >= 9.5 && x as f64 + half <= 950.5, "{x}");
}

#[test]
fn labels_carry_units() {
    assert_eq!(quality_label(Metric::Psnr), "PSNR-Y (dB)");
    assert_eq!(quality_label(Metric::Vmaf), "VMAF");
    assert_eq!(quality_label(Metric::Ssim), "SSIM-Y");
}
