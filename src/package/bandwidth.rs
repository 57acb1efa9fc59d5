//! The bitrates a streaming manifest declares, computed from the sizes and durations of the
//! segments as written.
//!
//! - HLS (RFC 8216bis, 4.4.6.2 and the definitions it uses): `BANDWIDTH` is the *peak segment
//!   bit rate*, the largest bit rate of any run of consecutive segments whose total duration
//!   is between 0.5 and 1.5 times the target duration; `AVERAGE-BANDWIDTH` is the *average
//!   segment bit rate*, all segment bits over the playlist's duration. Both count container
//!   overhead (the segment files' sizes), not the initialization section.
//! - DASH (ISO/IEC 23009-1, `@bandwidth` with `@minBufferTime`): the lowest constant rate at
//!   which a client that starts at any segment and buffers `minBufferTime` first receives
//!   every later segment before its playout starts.

/// One segment: its size in bits and its duration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SegmentSize {
    /// The segment's size, bits.
    pub bits: u64,
    /// The segment's duration, seconds.
    pub duration_s: f64,
}

/// An HLS playlist's target duration: the longest segment rounded to the nearest second
/// (at least 1).
pub fn target_duration(segments: &[SegmentSize]) -> u64 {
    segments
        .iter()
        .map(|s| s.duration_s.round() as u64)
        .max()
        .unwrap_or(1)
        .max(1)
}

/// Average segment bit rate, bits per second (0 for no segments).
pub fn hls_average(segments: &[SegmentSize]) -> f64 {
    let bits: u64 = segments.iter().map(|s| s.bits).sum();
    let duration: f64 = segments.iter().map(|s| s.duration_s).sum();
    if duration > 0.0 {
        bits as f64 / duration
    } else {
        0.0
    }
}

/// Peak segment bit rate, bits per second: the highest rate over runs of consecutive
/// segments lasting 0.5 to 1.5 target durations. A playlist too short for any such run
/// (shorter than half a target duration) has its average as its peak.
pub fn hls_peak(segments: &[SegmentSize]) -> f64 {
    let target = target_duration(segments) as f64;
    let (lo, hi) = (0.5 * target, 1.5 * target);
    let mut peak: Option<f64> = None;
    for start in 0..segments.len() {
        let (mut bits, mut duration) = (0u64, 0.0);
        for s in &segments[start..] {
            bits += s.bits;
            duration += s.duration_s;
            // Compare with a little slack: durations are sums of frame times.
            if duration > hi + 1e-9 {
                break;
            }
            if duration >= lo - 1e-9 && duration > 0.0 {
                let rate = bits as f64 / duration;
                peak = Some(peak.map_or(rate, |p: f64| p.max(rate)));
            }
        }
    }
    peak.unwrap_or_else(|| hls_average(segments))
}

/// DASH `@bandwidth` for `min_buffer_s` of `@minBufferTime`, bits per second: the largest
/// `bits(j..=k) / (min_buffer_s + start(k) - start(j))` over segments `j <= k`, i.e. what a
/// client starting at segment `j` needs so that segment `k` has fully arrived when it is due.
pub fn dash_bandwidth(segments: &[SegmentSize], min_buffer_s: f64) -> f64 {
    let mut need: f64 = 0.0;
    for j in 0..segments.len() {
        let (mut bits, mut elapsed) = (0u64, 0.0);
        for s in &segments[j..] {
            bits += s.bits;
            let deadline = min_buffer_s + elapsed;
            if deadline > 0.0 {
                need = need.max(bits as f64 / deadline);
            }
            elapsed += s.duration_s;
        }
    }
    need
}

/// Make the renditions' HLS `BANDWIDTH`s distinct, and their DASH `@bandwidth`s, raising a
/// tie by 1 bit/s (in order of the value, then the average bandwidth): hls.js takes variants
/// of equal `BANDWIDTH` and `RESOLUTION` for redundant copies of one stream and plays only
/// one, and players that order representations by bandwidth cannot tell tied ones apart. Shot
/// rungs tie often: two rungs whose hardest segment takes the same encode have the same peak.
/// Both values are upper bounds (on the peak, on what playing from the buffer needs), so a
/// raised one still holds.
pub fn distinct_bandwidths(renditions: &mut [super::PackagedRendition]) {
    distinct(renditions, |r| &mut r.hls_bandwidth);
    distinct(renditions, |r| &mut r.dash_bandwidth);
}

fn distinct(
    renditions: &mut [super::PackagedRendition],
    field: impl Fn(&mut super::PackagedRendition) -> &mut u64,
) {
    let mut order: Vec<(u64, u64, usize)> = renditions
        .iter_mut()
        .enumerate()
        .map(|(i, r)| {
            let average = r.hls_average_bandwidth;
            (*field(r), average, i)
        })
        .collect();
    order.sort_unstable();
    let mut last: Option<u64> = None;
    for (_, _, i) in order {
        let value = field(&mut renditions[i]);
        if let Some(l) = last
            && *value <= l
        {
            *value = l + 1;
        }
        last = Some(*value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn seg(bytes: u64, duration_s: f64) -> SegmentSize {
        SegmentSize {
            bits: bytes * 8,
            duration_s,
        }
    }

    #[test]
    fn constant_bitrate_stream() {
        // 1 Mbit/s in 4 s segments, a short last one.
        let s = [seg(500_000, 4.0), seg(500_000, 4.0), seg(125_000, 1.0)];
        assert_eq!(target_duration(&s), 4);
        assert!((hls_average(&s) - 1e6).abs() < 1e-6);
        assert!((hls_peak(&s) - 1e6).abs() < 1e-6);
        // Buffering one segment's worth first: a 1 Mbit/s channel is just enough.
        assert!((dash_bandwidth(&s, 4.0) - 1e6).abs() < 1e-6);
    }

    #[test]
    fn peak_is_the_heaviest_window() {
        // 4 s segments at 1, 3, 1 Mbit/s: single segments are the allowed windows (2..6 s).
        let s = [seg(500_000, 4.0), seg(1_500_000, 4.0), seg(500_000, 4.0)];
        assert!((hls_peak(&s) - 3e6).abs() < 1e-6);
        assert!((hls_average(&s) - 5e6 / 3.0).abs() < 1e-6);
        // Starting at the heavy segment with 8 s buffered: 12 Mbit in 8 s, then 16 in 12.
        assert!((dash_bandwidth(&s, 8.0) - 1.5e6).abs() < 1e-6);
    }

    #[test]
    fn short_segments_are_grouped() {
        // Target 1 s (0.6 s rounds to 1): windows of 0.5..1.5 s hold one or two 0.6 s segments.
        let s = [seg(75_000, 0.6), seg(0, 0.6), seg(150_000, 0.6)];
        assert_eq!(target_duration(&s), 1);
        assert!((hls_peak(&s) - 2e6).abs() < 1e-6);
    }

    #[test]
    fn too_short_for_any_window() {
        let s = [seg(1000, 0.2)];
        assert_eq!(target_duration(&s), 1);
        assert!((hls_peak(&s) - 40_000.0).abs() < 1e-6);
        assert_eq!(hls_average(&[]), 0.0);
        assert_eq!(hls_peak(&[]), 0.0);
    }

    /// Brute force: a simulated client at rate `b` starting at each segment.
    fn client_keeps_up(s: &[SegmentSize], buffer: f64, b: f64) -> bool {
        (0..s.len()).all(|j| {
            let (mut arrived, mut due) = (0.0, buffer);
            s[j..].iter().all(|x| {
                arrived += (x.bits) as f64 / b;
                let ok = arrived <= due * (1.0 + 1e-9);
                due += x.duration_s;
                ok
            })
        })
    }

    proptest! {
        #[test]
        fn dash_bandwidth_is_the_least_sufficient_rate(
            sizes in prop::collection::vec((1u64..2_000_000, 1u32..8), 1..12),
            buffer in 0.5f64..10.0,
        ) {
            let s: Vec<SegmentSize> =
                sizes.iter().map(|&(b, d)| seg(b, f64::from(d) * 0.5)).collect();
            let b = dash_bandwidth(&s, buffer);
            prop_assert!(client_keeps_up(&s, buffer, b));
            prop_assert!(!client_keeps_up(&s, buffer, b * 0.999));
            // At least what the whole stream needs from its first segment on: all its bits
            // by the time the last segment is due.
            let bits: u64 = s.iter().map(|x| x.bits).sum();
            let total: f64 = s.iter().map(|x| x.duration_s).sum();
            let last = s.last().map_or(0.0, |x| x.duration_s);
            prop_assert!(b * (1.0 + 1e-9) >= bits as f64 / (buffer + total - last));
        }

        #[test]
        fn peak_at_least_average_when_windows_cover(
            sizes in prop::collection::vec(1u64..2_000_000, 1..12),
        ) {
            let s: Vec<SegmentSize> = sizes.iter().map(|&b| seg(b, 4.0)).collect();
            let max = sizes.iter().map(|&b| (b * 8) as f64 / 4.0).fold(0.0, f64::max);
            prop_assert!((hls_peak(&s) - max).abs() < 1e-6);
            prop_assert!(hls_peak(&s) + 1e-6 >= hls_average(&s));
        }
    }
}
