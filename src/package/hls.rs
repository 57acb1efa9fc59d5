//! The HLS master playlist (RFC 8216bis). The media playlists are the HLS muxer's.

use crate::source::frame_rate::FrameRate;
use std::fmt::Write;

/// One variant stream of a master playlist.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// `BANDWIDTH`: peak segment bit rate, bit/s.
    pub bandwidth: u64,
    /// `AVERAGE-BANDWIDTH`: average segment bit rate, bit/s.
    pub average_bandwidth: u64,
    /// `CODECS`, RFC 6381.
    pub codecs: String,
    /// `RESOLUTION` width, pixels.
    pub width: u32,
    /// `RESOLUTION` height, pixels.
    pub height: u32,
    /// The media playlist, relative to the master playlist.
    pub uri: String,
}

/// A master playlist listing `variants` (lowest bandwidth first) with their `BANDWIDTH`,
/// `AVERAGE-BANDWIDTH`, `CODECS`, `RESOLUTION` and `FRAME-RATE`. Version 7: the segments
/// are fragmented MP4.
pub fn master_playlist(variants: &[Variant], rate: FrameRate) -> String {
    let mut out = String::from("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    let mut sorted: Vec<&Variant> = variants.iter().collect();
    sorted.sort_by_key(|v| (v.bandwidth, v.average_bandwidth));
    for v in sorted {
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "#EXT-X-STREAM-INF:BANDWIDTH={},AVERAGE-BANDWIDTH={},CODECS=\"{}\",RESOLUTION={}x{},FRAME-RATE={:.3},CLOSED-CAPTIONS=NONE\n{}",
            v.bandwidth,
            v.average_bandwidth,
            v.codecs,
            v.width,
            v.height,
            rate.fps(),
            v.uri
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_sorted_with_every_attribute() {
        let v = |bw: u64, h: u32| Variant {
            bandwidth: bw,
            average_bandwidth: bw * 8 / 10,
            codecs: "avc1.64001f".into(),
            width: h * 16 / 9,
            height: h,
            uri: format!("{h}p.m3u8"),
        };
        let rate = FrameRate::new(30000, 1001).unwrap();
        let text = master_playlist(&[v(3_000_000, 720), v(400_000, 360)], rate);
        assert_eq!(
            text,
            "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n\
             #EXT-X-STREAM-INF:BANDWIDTH=400000,AVERAGE-BANDWIDTH=320000,CODECS=\"avc1.64001f\",RESOLUTION=640x360,FRAME-RATE=29.970,CLOSED-CAPTIONS=NONE\n360p.m3u8\n\
             #EXT-X-STREAM-INF:BANDWIDTH=3000000,AVERAGE-BANDWIDTH=2400000,CODECS=\"avc1.64001f\",RESOLUTION=1280x720,FRAME-RATE=29.970,CLOSED-CAPTIONS=NONE\n720p.m3u8\n"
        );
    }
}
