//! The encoder's GOP structure, reproducibility and options, on synthetic frames.

use super::*;
use crate::source::decode::VideoDecoder;

/// The encoder tests run one at a time: an encoder's own threads are told apart by appearing
/// while it opens, and another test's x265 or SVT-AV1 threads starting meanwhile would count
/// as its own.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A smooth moving gradient (no scene cuts), yuv420p.
fn frame(size: Resolution, index: u64) -> frame::Video {
    let mut f = frame::Video::new(format::Pixel::YUV420P, size.width, size.height);
    for plane in 0..3 {
        let (w, h) = if plane == 0 {
            (size.width as usize, size.height as usize)
        } else {
            (size.width as usize / 2, size.height as usize / 2)
        };
        let stride = f.stride(plane);
        let data = f.data_mut(plane);
        for y in 0..h {
            for x in 0..w {
                let v = (x * 3 + y * 2 + index as usize * 2 + plane * 40) % 220 + 16;
                data[y * stride + x] = v as u8;
            }
        }
    }
    f.set_pts(Some(index as i64));
    f
}

struct Encoded {
    packets: Vec<Packet>,
    /// The bytes of parameter sets in band at the front of each packet.
    in_band: Vec<usize>,
    parameters: codec::Parameters,
    codecs: Option<String>,
    library_cpu: std::time::Duration,
}

/// The settings of the tests' encodes: the codec's default preset, keyframes at most 13 apart.
fn settings(codec: Codec) -> EncoderSettings {
    EncoderSettings {
        codec,
        preset: codec.default_preset().to_string(),
        keyint: 13,
        pass_dir: None,
    }
}

const SIZE: Resolution = Resolution {
    width: 96,
    height: 64,
};

fn rate() -> FrameRate {
    FrameRate::new(24, 1).unwrap()
}

/// Encode `frames` frames of 96x64 at 24 fps, asking for keyframes at `starts`.
fn encode(codec: Codec, rate_control: RateControl, starts: &[u64], frames: u64) -> Encoded {
    let enc = Encoder::open(SIZE, rate(), rate_control, &settings(codec)).unwrap();
    feed(enc, |i| starts.contains(&i), frames)
}

/// Send `frames` frames to `enc` (keyframes where `key` says) and take every packet.
fn feed(enc: Encoder, key: impl Fn(u64) -> bool, frames: u64) -> Encoded {
    feed_sized(enc, key, |_| SIZE, frames)
}

/// [`feed`], frame `i` at size `size(i)`.
fn feed_sized(
    mut enc: Encoder,
    key: impl Fn(u64) -> bool,
    size: impl Fn(u64) -> Resolution,
    frames: u64,
) -> Encoded {
    let mut packets = Vec::new();
    let mut in_band = Vec::new();
    for i in 0..frames {
        let mut f = frame(size(i), i);
        f.set_kind(if key(i) {
            picture::Type::I
        } else {
            picture::Type::None
        });
        enc.send(&f).unwrap();
        while let Some(p) = enc.receive().unwrap() {
            packets.push(p);
            in_band.push(enc.in_band_bytes());
        }
    }
    enc.send_eof().unwrap();
    while let Some(p) = enc.receive().unwrap() {
        packets.push(p);
        in_band.push(enc.in_band_bytes());
    }
    Encoded {
        packets,
        in_band,
        parameters: enc.parameters(),
        codecs: enc.codecs(),
        library_cpu: enc.library_threads_cpu(),
    }
}

/// The luma planes a fresh decoder makes of `packets`.
fn decode(parameters: &codec::Parameters, packets: &[Packet]) -> Vec<Vec<u8>> {
    decode_sized(parameters, packets)
        .into_iter()
        .map(|(_, luma)| luma)
        .collect()
}

/// The frames' sizes and luma planes a fresh decoder makes of `packets`.
fn decode_sized(parameters: &codec::Parameters, packets: &[Packet]) -> Vec<(Resolution, Vec<u8>)> {
    let mut decoder = VideoDecoder::open(parameters.clone(), 1).unwrap();
    let mut out = Vec::new();
    let mut take = |d: &mut VideoDecoder| {
        while let Some(f) = d.receive().unwrap() {
            let (w, h, stride) = (f.width() as usize, f.height() as usize, f.stride(0));
            let rows = f.data(0).chunks(stride).take(h);
            let luma = rows.flat_map(|r| r[..w].to_vec()).collect();
            out.push((Resolution::new(f.width(), f.height()), luma));
        }
    };
    for p in packets {
        decoder.send(p).unwrap();
        take(&mut decoder);
    }
    decoder.send_eof().unwrap();
    take(&mut decoder);
    out
}

#[test]
fn an_option_the_encoder_does_not_take_is_an_error() {
    let _serial = one_at_a_time();
    crate::source::init();
    for codec in Codec::ALL {
        let found = encoder::find_by_name(codec.encoder()).unwrap();
        let mut video = codec::Context::new_with_codec(found)
            .encoder()
            .video()
            .unwrap();
        for per_shot in [false, true] {
            let ours = codec_options(
                codec,
                codec.default_preset(),
                RateControl::Crf(30.0),
                Pass::Final,
                None,
                per_shot,
            );
            assert!(
                check_options(&mut video, &ours, codec, "t").is_ok(),
                "{codec}"
            );
        }
        let mut bad = Dictionary::new();
        bad.set("b", "1000");
        bad.set(
            if codec == Codec::X264 {
                "row-mt"
            } else {
                "x264-params"
            },
            "1",
        );
        let err = check_options(&mut video, &bad, codec, "t")
            .unwrap_err()
            .to_string();
        assert!(err.contains("takes no option"), "{codec}: {err}");
    }
}

#[test]
fn every_codec_opens_each_segment_with_a_closed_gop_and_repeats_bit_for_bit() {
    let _serial = one_at_a_time();
    // Segments of 13, 12, 13 and 12 frames, as 24 fps cut every 0.52 s gives.
    let starts = [0, 13, 25, 38];
    for codec in Codec::ALL {
        let mut rates = vec![
            RateControl::Crf(codec.default_crfs()[2]),
            RateControl::CappedKbps(300.0),
        ];
        if matches!(codec, Codec::X264 | Codec::X265) {
            rates.push(RateControl::CappedCrf {
                crf: 26.0,
                maxrate_kbps: 200.0,
                bufsize_kbits: 400.0,
            });
            rates.push(RateControl::CrfCappedAt {
                crf: 23.0,
                kbps: 200.0,
            });
        }
        for rate in rates {
            let what = format!("{codec} {rate}");
            let e = encode(codec, rate, &starts, 50);
            let keys: Vec<i64> = e
                .packets
                .iter()
                .filter(|p| p.is_key())
                .filter_map(Packet::pts)
                .collect();
            assert_eq!(keys, starts.map(|s| s as i64), "{what}: keyframes");
            assert_eq!(e.packets.len(), 50, "{what}: one packet per frame");
            let again = encode(codec, rate, &starts, 50);
            let bytes = |e: &Encoded| -> Vec<Vec<u8>> {
                e.packets
                    .iter()
                    .map(|p| p.data().unwrap_or_default().to_vec())
                    .collect()
            };
            assert!(
                bytes(&e) == bytes(&again),
                "{what}: a second encode differs"
            );
            assert!(e.codecs.is_some(), "{what}: no CODECS string");
            // x265 and SVT-AV1 encode in threads of their own, and their time counts. The
            // others have none: at most a thread the test harness started while the encoder
            // opened (threads are told apart by appearing then) counts, blocked at once on
            // `one_at_a_time`.
            let own_threads = matches!(codec, Codec::X265 | Codec::SvtAv1);
            assert_eq!(
                e.library_cpu > std::time::Duration::from_millis(2),
                own_threads,
                "{what}: {:?}",
                e.library_cpu
            );
            // Closed GOPs: decoding from a segment's first packet on gives the very frames
            // the whole stream gives.
            let whole = decode(&e.parameters, &e.packets);
            assert_eq!(whole.len(), 50, "{what}: frames decoded");
            let at = e.packets.iter().position(|p| p.pts() == Some(25)).unwrap();
            let tail = decode(&e.parameters, &e.packets[at..]);
            assert!(
                tail == whole[25..],
                "{what}: segment 2 depends on earlier frames"
            );
        }
    }
}

/// A frame of `size` with a moving gradient under deterministic noise: hard enough that a
/// bitrate target of a few hundred kbit/s binds.
fn noisy_frame(size: Resolution, index: u64) -> frame::Video {
    let mut f = frame(size, index);
    let mut state = index
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    for plane in 0..3 {
        let h = if plane == 0 {
            size.height
        } else {
            size.height / 2
        } as usize;
        let w = if plane == 0 {
            size.width
        } else {
            size.width / 2
        } as usize;
        let stride = f.stride(plane);
        let data = f.data_mut(plane);
        for y in 0..h {
            for x in 0..w {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                let noise = ((state >> 59) as i32) - 16;
                let v = i32::from(data[y * stride + x]) + noise;
                data[y * stride + x] = v.clamp(16, 235) as u8;
            }
        }
    }
    f
}

/// Encode `frames` noisy frames of `size` at 24 fps with a keyframe every `keyint`, the
/// first pass first for a two-pass rate control (its statistics in `pass_dir`); the packets'
/// bytes and keyframe flags.
fn encode_noisy(
    codec: Codec,
    rate_control: RateControl,
    size: Resolution,
    frames: u64,
    keyint: u32,
    pass_dir: Option<&std::path::Path>,
) -> Vec<(Vec<u8>, bool)> {
    let rate = FrameRate::new(24, 1).unwrap();
    let settings = EncoderSettings {
        codec,
        preset: "ultrafast".to_string(),
        keyint,
        pass_dir: pass_dir.map(std::path::Path::to_path_buf),
    };
    let run = |mut enc: Encoder| {
        let mut out = Vec::new();
        for i in 0..frames {
            let mut f = noisy_frame(size, i);
            f.set_kind(if i % u64::from(keyint) == 0 {
                picture::Type::I
            } else {
                picture::Type::None
            });
            enc.send(&f).unwrap();
            while let Some(p) = enc.receive().unwrap() {
                out.push((p.data().unwrap_or_default().to_vec(), p.is_key()));
            }
        }
        enc.send_eof().unwrap();
        while let Some(p) = enc.receive().unwrap() {
            out.push((p.data().unwrap_or_default().to_vec(), p.is_key()));
        }
        out
    };
    if rate_control.needs_first_pass() {
        run(Encoder::open_first_pass(size, rate, rate_control, &settings).unwrap());
    }
    run(Encoder::open(size, rate, rate_control, &settings).unwrap())
}

/// The context's average rate, VBV maximum rate and buffer, bit/s and bits.
fn context_rates(enc: &Encoder) -> (i64, i64, i64) {
    // SAFETY: the context is open and owned by the encoder; these are plain fields.
    unsafe {
        let ctx = enc.inner.as_ref().expect("open").as_ptr();
        (
            (*ctx).bit_rate,
            (*ctx).rc_max_rate,
            i64::from((*ctx).rc_buffer_size),
        )
    }
}

#[test]
fn each_rate_control_sets_the_vbv_fields_of_the_codec_context() {
    let _serial = one_at_a_time();
    let size = Resolution::new(96, 64);
    let rate = FrameRate::new(24, 1).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (RateControl::Crf(23.0), (0, 0, 0)),
        (
            RateControl::CappedCrf {
                crf: 23.0,
                maxrate_kbps: 500.0,
                bufsize_kbits: 1000.0,
            },
            (0, 500_000, 1_000_000),
        ),
        (RateControl::CappedKbps(300.0), (300_000, 330_000, 600_000)),
        (
            RateControl::TwoPass { kbps: 300.0 },
            (300_000, 450_000, 900_000),
        ),
        (
            RateControl::CrfCappedAt {
                crf: 23.0,
                kbps: 400.0,
            },
            (0, 400_000, 800_000),
        ),
    ];
    for codec in [Codec::X264, Codec::X265] {
        let settings = EncoderSettings {
            codec,
            preset: "ultrafast".into(),
            keyint: 24,
            pass_dir: Some(dir.path().to_path_buf()),
        };
        for (rc, expected) in cases {
            let enc = if rc.needs_first_pass() {
                Encoder::open_first_pass(size, rate, rc, &settings).unwrap()
            } else {
                Encoder::open(size, rate, rc, &settings).unwrap()
            };
            assert_eq!(context_rates(&enc), expected, "{codec} {rc}");
        }
    }
    // Without its first pass's statistics, a second pass is refused in one line.
    let settings = EncoderSettings {
        codec: Codec::X264,
        preset: "ultrafast".into(),
        keyint: 24,
        pass_dir: Some(dir.path().join("empty")),
    };
    let err = Encoder::open(size, rate, RateControl::TwoPass { kbps: 300.0 }, &settings)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("first pass") && !err.contains('\n'), "{err}");
}

#[test]
fn bad_caps_and_codecs_without_them_are_one_line_errors() {
    let _serial = one_at_a_time();
    let bad = [
        RateControl::CappedCrf {
            crf: 23.0,
            maxrate_kbps: 0.0,
            bufsize_kbits: 100.0,
        },
        RateControl::CappedCrf {
            crf: 23.0,
            maxrate_kbps: 100.0,
            bufsize_kbits: -5.0,
        },
        RateControl::TwoPass { kbps: -1.0 },
        RateControl::CrfCappedAt {
            crf: 23.0,
            kbps: 0.0,
        },
        RateControl::CappedKbps(f64::NAN),
    ];
    for rc in bad {
        let err = rc.validate(Codec::X264).unwrap_err().to_string();
        assert!(
            err.contains("must be positive") && !err.contains('\n'),
            "{rc}: {err}"
        );
    }
    for codec in [Codec::Vp9, Codec::SvtAv1, Codec::AomAv1] {
        let err = RateControl::TwoPass { kbps: 300.0 }
            .validate(codec)
            .unwrap_err()
            .to_string();
        assert!(err.contains("x264 and x265"), "{codec}: {err}");
    }
    for rule in [
        CapRule {
            maxrate_factor: 0.0,
            buffer_seconds: 2.0,
        },
        CapRule {
            maxrate_factor: 1.5,
            buffer_seconds: -1.0,
        },
    ] {
        let err = rule.validate().unwrap_err().to_string();
        assert!(
            err.contains("must be positive") && !err.contains('\n'),
            "{err}"
        );
    }
}

#[test]
fn two_pass_lands_near_its_target_and_keys_every_segment() {
    let _serial = one_at_a_time();
    // 3 s of noisy 320x240 at 24 fps, a keyframe every second.
    let size = Resolution::new(320, 240);
    let (frames, keyint, kbps) = (72, 24, 400.0);
    for codec in [Codec::X264, Codec::X265] {
        let dir = tempfile::tempdir().unwrap();
        let rc = RateControl::TwoPass { kbps };
        let packets = encode_noisy(codec, rc, size, frames, keyint, Some(dir.path()));
        assert_eq!(packets.len(), frames as usize, "{codec}");
        let keys: Vec<usize> = packets
            .iter()
            .enumerate()
            .filter(|(_, p)| p.1)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(keys, vec![0, 24, 48], "{codec}: keyframes");
        let got = packets.iter().map(|p| p.0.len() * 8).sum::<usize>() as f64 / 3.0 / 1000.0;
        // The content needs more: a one-pass CRF encode of it spends well above the target.
        let crf = encode_noisy(codec, RateControl::Crf(23.0), size, frames, keyint, None);
        let crf_kbps = crf.iter().map(|p| p.0.len() * 8).sum::<usize>() as f64 / 3.0 / 1000.0;
        assert!(
            crf_kbps > 1.5 * kbps,
            "{codec}: CRF 23 spends {crf_kbps} kbps"
        );
        println!("{codec}: two-pass at {kbps} kbps: {got:.1} kbps (CRF 23: {crf_kbps:.1})");
        assert!(
            (got / kbps - 1.0).abs() < 0.05,
            "{codec}: two-pass at {kbps} kbps came to {got:.1} kbps"
        );
        // The statistics the first pass wrote are where the second pass read them.
        assert!(stats_file(dir.path(), codec, size, rc).exists(), "{codec}");
        // Both passes again, in another directory: the same bytes.
        let again = tempfile::tempdir().unwrap();
        let twice = encode_noisy(codec, rc, size, frames, keyint, Some(again.path()));
        assert!(
            twice == packets,
            "{codec}: a second two-pass encode differs"
        );
    }
}

/// Encode `frames` frames as [`encode`] does, a fresh encoder at each of `shots`' starts at
/// its rate control (segment starts at the shot starts and every 13 frames).
fn encode_per_shot(codec: Codec, shots: &ShotRates, frames: u64) -> Encoded {
    let enc = Encoder::open_per_shot(SIZE, rate(), shots, &settings(codec)).unwrap();
    feed(enc, |i| shots.starts().contains(&i) || i % 13 == 0, frames)
}

/// Bytes of the packets of frames `range` (by pts).
fn bytes_of(e: &Encoded, range: std::ops::Range<i64>) -> usize {
    e.packets
        .iter()
        .filter(|p| p.pts().is_some_and(|t| range.contains(&t)))
        .map(|p| p.size())
        .sum()
}

/// A shot encoded at its own CRF inside a shot-based encode is bit for bit the shot of an
/// encode at that CRF for every shot: each shot's encode depends on its frames only. The
/// joined stream decodes with one decoder (the headers match across CRFs), key frames open
/// every shot and decode times rise.
#[test]
fn shot_encodes_join_and_reproduce_each_shot() {
    let _serial = one_at_a_time();
    for codec in Codec::ALL {
        let q = |x: f64| {
            let c = codec.quality();
            RateControl::Crf(if c.fractional { x } else { x.round() })
        };
        let starts = vec![0, 10, 23];
        let rates = vec![q(26.5), q(44.0), q(33.0)];
        let mixed = encode_per_shot(codec, &ShotRates::new(starts.clone(), rates).unwrap(), 30);
        let uniform = |r| {
            encode_per_shot(
                codec,
                &ShotRates::new(starts.clone(), vec![r; 3]).unwrap(),
                30,
            )
        };
        let (a, b) = (uniform(q(26.5)), uniform(q(44.0)));
        assert_eq!(bytes_of(&mixed, 0..10), bytes_of(&a, 0..10), "{codec}");
        assert_eq!(bytes_of(&mixed, 10..23), bytes_of(&b, 10..23), "{codec}");
        assert_ne!(bytes_of(&a, 10..23), bytes_of(&b, 10..23), "{codec}");
        assert_eq!(
            decode(&mixed.parameters, &mixed.packets).len(),
            30,
            "{codec}"
        );
        for start in [0i64, 10, 23] {
            let p = mixed.packets.iter().find(|p| p.pts() == Some(start));
            assert!(p.is_some_and(|p| p.is_key()), "{codec}: frame {start}");
        }
        let dts: Vec<i64> = mixed.packets.iter().filter_map(|p| p.dts()).collect();
        assert!(dts.windows(2).all(|w| w[0] < w[1]), "{codec}: {dts:?}");
    }
}

/// Bytes of the coded pictures of frames `range` (by pts), without parameter sets in band.
fn coded_bytes_of(e: &Encoded, range: std::ops::Range<i64>) -> usize {
    e.packets
        .iter()
        .zip(&e.in_band)
        .filter(|(p, _)| p.pts().is_some_and(|t| range.contains(&t)))
        .map(|(p, n)| p.size() - n)
        .sum()
}

/// Shots at their own sizes (a `free` shot rung): each shot's coded pictures are bit for bit
/// those of an encode at its size alone; H.264 and HEVC carry their parameter sets in band
/// before every key frame, so one decoder decodes the joined stream at each shot's size. AV1
/// is refused: its sequence header fixes the frame size.
#[test]
fn shots_change_size_with_their_parameter_sets_in_band() {
    let _serial = one_at_a_time();
    let big = Resolution::new(128, 96);
    let starts = vec![0u64, 10, 23];
    let sizes = vec![SIZE, big, SIZE];
    let size_at = |i: u64| sizes[starts.partition_point(|&s| s <= i) - 1];
    for codec in Codec::ALL {
        let r = RateControl::Crf(30.0);
        let shots = ShotRates::new(starts.clone(), vec![r; 3])
            .unwrap()
            .with_sizes(sizes.clone())
            .unwrap();
        assert!(shots.changes_size());
        assert_eq!(shots.largest(SIZE), big);
        let opened = Encoder::open_per_shot(big, rate(), &shots, &settings(codec));
        let Some(entry) = codec.sample_entry_changing_size() else {
            let err = opened.err().expect("AV1 refused").to_string();
            assert!(err.contains("frame size"), "{codec}: {err}");
            continue;
        };
        let key = |i: u64| starts.contains(&i) || i.is_multiple_of(13);
        let mixed = feed_sized(opened.unwrap(), key, size_at, 30);
        let alone = |size: Resolution| {
            let one = ShotRates::new(starts.clone(), vec![r; 3]).unwrap();
            let enc = Encoder::open_per_shot(size, rate(), &one, &settings(codec)).unwrap();
            feed_sized(enc, key, |_| size, 30)
        };
        let (small, large) = (alone(SIZE), alone(big));
        assert_eq!(
            coded_bytes_of(&mixed, 0..10),
            bytes_of(&small, 0..10),
            "{codec}"
        );
        assert_eq!(
            coded_bytes_of(&mixed, 10..23),
            bytes_of(&large, 10..23),
            "{codec}"
        );
        assert_eq!(
            coded_bytes_of(&mixed, 23..30),
            bytes_of(&small, 23..30),
            "{codec}"
        );
        let decoded = decode_sized(&mixed.parameters, &mixed.packets);
        let decoded_sizes: Vec<Resolution> = decoded.iter().map(|(s, _)| *s).collect();
        let expected: Vec<Resolution> = (0..30).map(size_at).collect();
        assert_eq!(decoded_sizes, expected, "{codec}");
        for (p, &n) in mixed.packets.iter().zip(&mixed.in_band) {
            let in_band = matches!(codec, Codec::X264 | Codec::X265) && p.is_key();
            assert_eq!(n > 0, in_band, "{codec}: frame {:?}", p.pts());
        }
        let codecs = mixed.codecs.expect("a CODECS string");
        assert!(
            codecs.starts_with(&format!("{entry}.")),
            "{codec}: {codecs}"
        );
        assert_eq!(
            codecs.split_once('.').map(|(_, rest)| rest),
            large
                .codecs
                .as_deref()
                .and_then(|c| c.split_once('.'))
                .map(|(_, rest)| rest),
            "{codec}: the largest size's profile and level"
        );
    }
}

#[test]
fn shot_rates_are_checked() {
    let _serial = one_at_a_time();
    let r = RateControl::Crf(30.0);
    assert!(ShotRates::new(vec![0, 5], vec![r, r]).is_ok());
    assert!(ShotRates::new(vec![1, 5], vec![r, r]).is_err());
    assert!(ShotRates::new(vec![0, 5, 5], vec![r, r, r]).is_err());
    assert!(ShotRates::new(vec![0, 5], vec![r]).is_err());
}
