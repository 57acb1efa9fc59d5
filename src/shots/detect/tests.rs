//! Unit tests of the detector on synthetic frames, whose shots are known by construction.

use super::*;

const W: usize = 64;
const H: usize = 36;

/// The features of a frame whose luma at (x, y) is `luma(x, y)` and whose chroma is flat.
fn frame(luma: impl Fn(usize, usize) -> u8, cb: u8, cr: u8) -> Features {
    let y: Vec<u8> = (0..H)
        .flat_map(|r| (0..W).map(move |c| (r, c)))
        .map(|(r, c)| luma(c, r))
        .collect();
    let u = vec![cb; W * H / 4];
    let v = vec![cr; W * H / 4];
    let plane = |data, width, height| Plane {
        data,
        width,
        height,
        stride: width,
    };
    Features::from_planes(
        plane(&y, W, H),
        plane(&u, W / 2, H / 2),
        plane(&v, W / 2, H / 2),
    )
    .expect("valid planes")
}

/// A scene in fast motion: diagonal stripes moving 3 pixels a frame, times `gain`.
fn stripes(t: usize, gain: f64) -> Features {
    frame(
        |x, y| (((x + y + 3 * t) / 6 % 2) as f64 * 90.0 * gain + 40.0 * gain) as u8,
        110,
        140,
    )
}

/// Another scene: a bright disc drifting over a blue-green background.
fn disc(t: usize) -> Features {
    frame(
        |x, y| {
            let dx = x as f64 - 20.0 - t as f64 * 0.5;
            let dy = y as f64 - 18.0;
            if dx * dx + dy * dy < 100.0 { 230 } else { 70 }
        },
        170,
        90,
    )
}

fn flat(luma: u8, cb: u8, cr: u8) -> Features {
    frame(|_, _| luma, cb, cr)
}

fn run(frames: impl IntoIterator<Item = Features>, min_shot_seconds: f64) -> ShotList {
    let options = DetectOptions {
        min_shot_seconds,
        ..DetectOptions::default()
    };
    let rate = FrameRate::new(25, 1).expect("a frame rate");
    let mut detector = Detector::new(rate, &options).expect("valid options");
    for f in frames {
        detector.push(f);
    }
    let list = detector.finish();
    check_cover(&list);
    list
}

/// The shots cover every frame once, in order, and start at the cuts.
fn check_cover(list: &ShotList) {
    let mut next = 0;
    for shot in &list.shots {
        assert_eq!(shot.start_frame, next, "{list:?}");
        assert!(shot.frames >= 1);
        next = shot.end_frame();
    }
    assert_eq!(next, list.total_frames);
    let starts: Vec<u64> = list.shots.iter().skip(1).map(|s| s.start_frame).collect();
    let cuts: Vec<u64> = list.cuts.iter().map(|c| c.frame).collect();
    assert_eq!(starts, cuts);
}

fn cut_frames(list: &ShotList) -> Vec<u64> {
    list.cuts.iter().map(|c| c.frame).collect()
}

#[test]
fn a_hard_cut_between_moving_scenes_is_found_where_it_is() {
    let frames = (0..40).map(|t| stripes(t, 1.0)).chain((0..40).map(disc));
    for min in [0.0, 1.0] {
        let list = run(frames.clone(), min);
        assert_eq!(cut_frames(&list), vec![40], "min {min}");
        assert!(list.cuts[0].score >= DetectOptions::DEFAULT_THRESHOLD);
        assert_eq!(list.shots.len(), 2);
    }
}

#[test]
fn fast_motion_alone_is_one_shot() {
    // Black and white noise in blocks of a thumbnail cell (2x2 pixels) panning 6 pixels a
    // frame: every frame differs from the last,
    // and from those a few frames away, by more than the threshold, steadily.
    let fast = |t: usize| {
        frame(
            |x, y| {
                // splitmix64's finaliser of the position in the panned picture.
                let mut h = ((x / 2 + 3 * t) as u64) << 32 | (y / 2) as u64;
                h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                if (h ^ (h >> 31)) & 1 == 0 { 0 } else { 255 }
            },
            128,
            128,
        )
    };
    let d = fast(0).distance(&fast(1));
    assert!(d > 1.5 * DetectOptions::DEFAULT_THRESHOLD, "{d}");
    let list = run((0..100).map(fast), 0.0);
    assert!(list.cuts.is_empty(), "{:?}", list.cuts);
    assert_eq!(
        list.shots,
        vec![Shot {
            start_frame: 0,
            frames: 100
        }]
    );
}

#[test]
fn flashes_of_one_to_three_frames_are_not_cuts() {
    for len in 1..=3 {
        let frames = (0..60).map(|t| {
            if (30..30 + len).contains(&t) {
                flat(250, 128, 128)
            } else {
                stripes(t, 1.0)
            }
        });
        // No shortest shot: the flash check alone must hold.
        let list = run(frames, 0.0);
        assert!(list.cuts.is_empty(), "flash of {len}: {:?}", list.cuts);
    }
}

#[test]
fn a_flash_right_after_a_cut_leaves_the_cut() {
    let frames = (0..40).map(|t| stripes(t, 1.0)).chain((0..40).map(|t| {
        if t == 10 {
            flat(255, 128, 128)
        } else {
            disc(t)
        }
    }));
    assert_eq!(cut_frames(&run(frames, 0.0)), vec![40]);
}

#[test]
fn fades_and_dissolves_are_not_cuts() {
    // A fade out to black over a second, a fade in to another scene, then a one-second
    // dissolve to a third.
    let out = (0..25).map(|t| stripes(t, 1.0 - t as f64 / 25.0));
    let black = (0..5).map(|_| flat(0, 128, 128));
    let fade_in = (0..25).map(|t| {
        let a = t as f64 / 25.0;
        frame(|x, _| ((x * 3) as f64 * a) as u8, 128, 128)
    });
    let dissolve = (0..25).map(|t| {
        let a = t as f64 / 25.0;
        frame(
            |x, y| {
                ((x * 3) as f64 * (1.0 - a)
                    + if (x / 8 + y / 8) % 2 == 0 {
                        200.0
                    } else {
                        30.0
                    } * a) as u8
            },
            (128.0 + 40.0 * a) as u8,
            (128.0 - 40.0 * a) as u8,
        )
    });
    let frames = out.chain(black).chain(fade_in).chain(dissolve);
    let list = run(frames, 0.0);
    assert!(list.cuts.is_empty(), "{:?}", list.cuts);
}

#[test]
fn a_shot_shorter_than_the_minimum_merges_across_its_weaker_cut() {
    // 30 frames of dark grey, 10 of mid grey, 30 of a bright, coloured scene: the cut into
    // the bright scene is the stronger, so the short shot joins the first one.
    let frames = || {
        (0..30)
            .map(|_| flat(40, 128, 128))
            .chain((0..10).map(|_| flat(90, 128, 128)))
            .chain((0..30).map(|_| flat(230, 60, 200)))
    };
    let free = run(frames(), 0.0);
    assert_eq!(cut_frames(&free), vec![30, 40]);
    assert!(free.cuts[1].score > free.cuts[0].score);
    let merged = run(frames(), 1.0);
    assert_eq!(cut_frames(&merged), vec![40]);
    assert_eq!(
        merged.shots[0],
        Shot {
            start_frame: 0,
            frames: 40
        }
    );
    assert!(merged.shots.iter().all(|s| s.frames >= 25));
}

#[test]
fn a_short_shot_at_the_start_or_end_merges_with_its_only_neighbour() {
    let frames = (0..10)
        .map(|_| flat(40, 128, 128))
        .chain((0..50).map(disc))
        .chain((0..10).map(|t| stripes(t, 1.0)));
    assert_eq!(cut_frames(&run(frames.clone(), 0.0)), vec![10, 60]);
    let list = run(frames, 1.0);
    assert!(list.cuts.is_empty(), "{:?}", list.cuts);
}

#[test]
fn a_title_of_one_frame_or_one_shot_is_one_shot() {
    let one = run([disc(0)], 1.0);
    assert_eq!(
        one.shots,
        vec![Shot {
            start_frame: 0,
            frames: 1
        }]
    );
    let still = run((0..50).map(|_| disc(0)), 1.0);
    assert_eq!(
        still.shots,
        vec![Shot {
            start_frame: 0,
            frames: 50
        }]
    );
    let empty = run([], 1.0);
    assert!(empty.shots.is_empty() && empty.cuts.is_empty());
}

#[test]
fn a_title_shorter_than_the_minimum_keeps_no_cut() {
    // 20 frames (0.8 s) holding a hard cut: the minimum (1 s) leaves no room for two shots.
    let frames = (0..10).map(|t| stripes(t, 1.0)).chain((0..10).map(disc));
    let list = run(frames.clone(), 1.0);
    assert_eq!(
        list.shots,
        vec![Shot {
            start_frame: 0,
            frames: 20
        }]
    );
    assert_eq!(cut_frames(&run(frames, 0.0)), vec![10]);
}

#[test]
fn the_threshold_decides_between_soft_and_hard_cuts() {
    let frames = || {
        (0..30)
            .map(|_| flat(100, 128, 128))
            .chain((0..30).map(|_| flat(130, 128, 128)))
    };
    // A luma step of 30 code values: the thumbnail measure counts luma twice of four
    // planes' worth, and the histogram moves from bin 25 to bin 32, 28 code values.
    let expected = (2.0 * 30.0 / 4.0 + 28.0) / 255.0 * 100.0 / 2.0;
    let soft = run(frames(), 0.0);
    assert_eq!(cut_frames(&soft), vec![30]);
    assert!(
        (soft.cuts[0].score - expected).abs() < 1e-3,
        "{:?}",
        soft.cuts
    );
    // Just above the cut's score (about 8.4): no cut.
    let options = DetectOptions {
        threshold: 9.0,
        min_shot_seconds: 0.0,
    };
    let mut detector = Detector::new(FrameRate::new(25, 1).expect("rate"), &options).expect("ok");
    frames().for_each(|f| detector.push(f));
    assert!(detector.finish().cuts.is_empty());
}

#[test]
fn distances_span_0_to_100() {
    assert_eq!(disc(3).distance(&disc(3)), 0.0);
    let black_white = flat(0, 128, 128).distance(&flat(255, 128, 128));
    // Luma counts half of the thumbnail measure; the histogram moves 63 bins of 4.
    let expected = (50.0 + 63.0 * 4.0 / 255.0 * 100.0) / 2.0;
    assert!((black_white - expected).abs() < 1e-3, "{black_white}");
    let a = stripes(0, 1.0);
    let b = disc(0);
    assert_eq!(a.distance(&b), b.distance(&a));
}

#[test]
fn planes_smaller_than_the_grid_or_inconsistent_are_handled() {
    let y = [7u8; 8 * 6];
    let c = [128u8; 4 * 3];
    let plane = |data: &'static [u8], width, height| Plane {
        data,
        width,
        height,
        stride: width,
    };
    let y: &'static [u8] = Box::leak(Box::new(y));
    let c: &'static [u8] = Box::leak(Box::new(c));
    let small = Features::from_planes(plane(y, 8, 6), plane(c, 4, 3), plane(c, 4, 3));
    assert_eq!(
        small.expect("small planes").distance(&flat(7, 128, 128)),
        0.0
    );
    assert!(Features::from_planes(plane(y, 8, 7), plane(c, 4, 3), plane(c, 4, 3)).is_none());
    assert!(Features::from_planes(plane(y, 0, 6), plane(c, 4, 3), plane(c, 4, 3)).is_none());
}

#[test]
fn options_out_of_range_are_refused_naming_the_setting() {
    for threshold in [0.0, -1.0, 100.5, f64::NAN, f64::INFINITY] {
        let options = DetectOptions {
            threshold,
            ..DetectOptions::default()
        };
        let e = options.validate().expect_err("refused").to_string();
        assert!(e.starts_with("shot threshold:"), "{e}");
    }
    for min_shot_seconds in [-0.5, f64::NAN, f64::INFINITY] {
        let options = DetectOptions {
            min_shot_seconds,
            ..DetectOptions::default()
        };
        let e = options.validate().expect_err("refused").to_string();
        assert!(e.starts_with("shortest shot:"), "{e}");
    }
    assert!(DetectOptions::default().validate().is_ok());
    let edge = DetectOptions {
        threshold: 100.0,
        min_shot_seconds: 0.0,
    };
    assert!(edge.validate().is_ok());
}

#[test]
fn a_shot_list_round_trips_through_json() {
    let list = run(
        (0..40).map(|t| stripes(t, 1.0)).chain((0..40).map(disc)),
        1.0,
    );
    let json = serde_json::to_string(&list).expect("serialises");
    let back: ShotList = serde_json::from_str(&json).expect("parses");
    assert_eq!(back, list);
    assert_eq!(
        run(
            (0..40).map(|t| stripes(t, 1.0)).chain((0..40).map(disc)),
            1.0
        ),
        list
    );
}
