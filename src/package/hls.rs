//! The HLS master playlist (RFC 8216bis), written from the measured renditions. The media
//! playlists are the HLS muxer's.

use super::PackagedRendition;
use super::rendition::MEDIA_PLAYLIST;
use crate::frame_rate::FrameRate;
use std::fmt::Write;

/// The master playlist listing `renditions` (lowest bandwidth first) with their measured
/// `BANDWIDTH` (peak segment bit rate) and `AVERAGE-BANDWIDTH`, the `CODECS` of their own
/// parameter sets, `RESOLUTION` and `FRAME-RATE`.
pub fn master_playlist(renditions: &[PackagedRendition], rate: FrameRate) -> String {
    let mut out = String::from("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    let mut sorted: Vec<&PackagedRendition> = renditions.iter().collect();
    sorted.sort_by_key(|r| (r.hls_bandwidth, r.hls_average_bandwidth));
    for r in sorted {
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "#EXT-X-STREAM-INF:BANDWIDTH={},AVERAGE-BANDWIDTH={},CODECS=\"{}\",RESOLUTION={}x{},FRAME-RATE={:.3},CLOSED-CAPTIONS=NONE\n{}/{}",
            r.hls_bandwidth,
            r.hls_average_bandwidth,
            r.codecs,
            r.width,
            r.height,
            rate.fps(),
            r.name,
            MEDIA_PLAYLIST
        );
    }
    out
}
