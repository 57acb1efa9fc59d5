//! The DASH MPD (ISO/IEC 23009-1, static, live profile): an adaptation set per codec whose
//! representations are its renditions, each addressed by a segment template (with an exact
//! timeline) over the same CMAF segments the HLS playlists list.

use super::PackagedRendition;
use super::rendition::{INIT_SEGMENT, SEGMENT_TEMPLATE};
use crate::encode::codec::Codec;
use crate::source::frame_rate::FrameRate;
use crate::source::resolution::Resolution;
use std::fmt::Write;

/// An ISO 8601 duration, to the millisecond.
fn iso_duration(seconds: f64) -> String {
    format!("PT{:.3}S", seconds)
}

/// An ISO 8601 duration rounded up to the millisecond (for a bound that must not shrink).
fn iso_duration_up(seconds: f64) -> String {
    iso_duration((seconds * 1000.0 - 1e-6).ceil() / 1000.0)
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// The MPD. `segment_frames` is the frame count of every segment (the same in every
/// rendition: they are cut on the same keyframes); timelines count in units of
/// `1 / rate.num` s, so every segment's duration is exact, and start at the first frame's
/// media time (`@presentationTimeOffset`), so the period starts with the first frame. `min_buffer_s` is the
/// `@minBufferTime` the representations' `@bandwidth` was computed for.
pub fn mpd(
    renditions: &[PackagedRendition],
    rate: FrameRate,
    segment_frames: &[u64],
    min_buffer_s: f64,
) -> String {
    let frames: u64 = segment_frames.iter().sum();
    let duration = rate.duration_of(frames);
    let longest = segment_frames.iter().copied().max().unwrap_or(0);
    let frame_rate = if rate.den == 1 {
        rate.num.to_string()
    } else {
        format!("{}/{}", rate.num, rate.den)
    };

    let mut out = String::new();
    let _ = writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        out,
        r#"<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011" type="static" mediaPresentationDuration="{}" maxSegmentDuration="{}" minBufferTime="{}">"#,
        iso_duration(duration),
        iso_duration(rate.duration_of(longest)),
        iso_duration_up(min_buffer_s)
    );
    let _ = writeln!(out, r#"  <Period id="0" start="PT0S">"#);
    // One adaptation set per codec, in the order the renditions name them: a player switches
    // between representations of one codec, and picks the codec by `@codecs`.
    let mut codecs: Vec<Codec> = Vec::new();
    for r in renditions {
        if !codecs.contains(&r.codec) {
            codecs.push(r.codec);
        }
    }
    for (set, codec) in codecs.into_iter().enumerate() {
        let members: Vec<&PackagedRendition> =
            renditions.iter().filter(|r| r.codec == codec).collect();
        adaptation_set(&mut out, set, &members, rate, segment_frames, &frame_rate);
    }
    let _ = writeln!(out, "  </Period>");
    let _ = writeln!(out, "</MPD>");
    out
}

/// One codec's adaptation set.
fn adaptation_set(
    out: &mut String,
    id: usize,
    renditions: &[&PackagedRendition],
    rate: FrameRate,
    segment_frames: &[u64],
    frame_rate: &str,
) {
    let timescale = u64::from(rate.num);
    let max = renditions
        .iter()
        .map(|r| Resolution::new(r.width, r.height))
        .max_by_key(|r| r.pixels())
        .unwrap_or(Resolution::new(0, 0));
    // The picture aspect ratio, declared only when every rendition has the same one.
    let ratio = |w: u32, h: u32| {
        let g = gcd(u64::from(w), u64::from(h)).max(1);
        (u64::from(w) / g, u64::from(h) / g)
    };
    let par = ratio(max.width, max.height);
    let par = if renditions.iter().all(|r| ratio(r.width, r.height) == par) {
        format!(r#" par="{}:{}""#, par.0, par.1)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        r#"    <AdaptationSet id="{id}" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1" frameRate="{frame_rate}" maxWidth="{}" maxHeight="{}"{par}>"#,
        max.width, max.height,
    );
    let mut sorted: Vec<&PackagedRendition> = renditions.to_vec();
    sorted.sort_by_key(|r| r.dash_bandwidth);
    for r in sorted {
        let _ = writeln!(
            out,
            r#"      <Representation id="{}" codecs="{}" bandwidth="{}" width="{}" height="{}" sar="1:1">"#,
            r.name, r.codecs, r.dash_bandwidth, r.width, r.height
        );
        let offset = r.presentation_delay_frames * u64::from(rate.den);
        let _ = writeln!(
            out,
            r#"        <SegmentTemplate timescale="{timescale}" presentationTimeOffset="{offset}" initialization="$RepresentationID$/{INIT_SEGMENT}" media="$RepresentationID$/{SEGMENT_TEMPLATE}" startNumber="0">"#
        );
        timeline(out, segment_frames, rate, offset);
        let _ = writeln!(out, "        </SegmentTemplate>");
        let _ = writeln!(out, "      </Representation>");
    }
    let _ = writeln!(out, "    </AdaptationSet>");
}

/// The segments' `SegmentTimeline` in units of `1 / rate.num` s, starting at `start` (the
/// media time of the first frame): runs of equal durations as one `S` with a repeat count.
fn timeline(out: &mut String, segment_frames: &[u64], rate: FrameRate, start: u64) {
    let _ = writeln!(out, "          <SegmentTimeline>");
    let mut t = start;
    let mut i = 0;
    while i < segment_frames.len() {
        let d = segment_frames[i] * u64::from(rate.den);
        let run = segment_frames[i..]
            .iter()
            .take_while(|&&f| f == segment_frames[i])
            .count();
        if run > 1 {
            let _ = writeln!(out, r#"            <S t="{t}" d="{d}" r="{}"/>"#, run - 1);
        } else {
            let _ = writeln!(out, r#"            <S t="{t}" d="{d}"/>"#);
        }
        t += d * run as u64;
        i += run;
    }
    let _ = writeln!(out, "          </SegmentTimeline>");
}
