//! RFC 6381 `CODECS` strings (as HLS and DASH declare them) read from an encoded stream's own
//! headers, so they state the profile and level the encoder really chose: `avc1` (H.264,
//! ISO/IEC 14496-15), `hvc1` (HEVC, ISO/IEC 14496-15 Annex E), `av01` (AV1, the AV1 ISOBMFF
//! binding) and `vp09` (VP9, the VP codec ISOBMFF binding).

use crate::frame_rate::FrameRate;
use crate::resolution::Resolution;
use crate::video_codec::Codec;

/// The CODECS string of a stream of `codec` from its headers: `extradata` (the encoder's
/// global header) and `first_packet` (its first keyframe, which carries AV1's sequence header
/// and VP9's profile and bit depth); VP9's level comes from `size` and `rate`, as VP9 has no
/// level in its bitstream. `None` when the headers needed are not found.
pub fn of_stream(
    codec: Codec,
    extradata: &[u8],
    first_packet: &[u8],
    size: Resolution,
    rate: FrameRate,
) -> Option<String> {
    match codec {
        Codec::X264 => avc1(extradata),
        Codec::X265 => hvc1(extradata),
        Codec::SvtAv1 | Codec::AomAv1 => av01(extradata).or_else(|| av01(first_packet)),
        Codec::Vp9 => vp09(first_packet, size, rate),
    }
}

/// The `avc1.PPCCLL` string of an H.264 stream from its extradata: either an
/// `AVCDecoderConfigurationRecord` (avcC, as in MP4) or Annex B parameter sets (start codes,
/// as libx264 writes with a global header). PP is `profile_idc`, CC the constraint-set flags
/// byte and LL `level_idc`, in lowercase hex. `None` when no sequence parameter set is found.
pub fn avc1(extradata: &[u8]) -> Option<String> {
    let (profile, constraints, level) = if extradata.first() == Some(&1) && extradata.len() >= 4 {
        // avcC: configurationVersion 1, then the SPS's first three bytes.
        (extradata[1], extradata[2], extradata[3])
    } else {
        let sps =
            annexb_nal_units(extradata).find(|nal| nal.first().map(|h| h & 0x1f) == Some(7))?;
        if sps.len() < 4 {
            return None;
        }
        (sps[1], sps[2], sps[3])
    };
    Some(format!("avc1.{profile:02x}{constraints:02x}{level:02x}"))
}

/// The `hvc1.P.C.TL.B` string of an HEVC stream from its extradata: an
/// `HEVCDecoderConfigurationRecord` (hvcC) or Annex B parameter sets holding an SPS. P is the
/// profile (with `A`/`B`/`C` for a nonzero profile space), C the profile compatibility flags
/// in reverse bit order, T the tier (`L` main, `H` high) and L `level_idc`, then the six
/// constraint-flag bytes with trailing zero bytes left out; hexadecimal upper case.
pub fn hvc1(extradata: &[u8]) -> Option<String> {
    // Both carry profile_tier_level's first 12 bytes from byte 1 on: hvcC after its
    // configurationVersion, the SPS's RBSP after the byte of VPS id and sub-layer count.
    let ptl: Vec<u8> = if extradata.first() == Some(&1) && extradata.len() >= 13 {
        extradata[1..13].to_vec()
    } else {
        let sps = annexb_nal_units(extradata)
            .find(|nal| nal.first().map(|h| (h >> 1) & 0x3f) == Some(33))?;
        let rbsp = unescape(sps.get(2..)?);
        rbsp.get(1..13)?.to_vec()
    };
    let space = ["", "A", "B", "C"][usize::from(ptl[0] >> 6)];
    let tier = if ptl[0] & 0x20 != 0 { "H" } else { "L" };
    let profile = ptl[0] & 0x1f;
    let compatibility = u32::from_be_bytes([ptl[1], ptl[2], ptl[3], ptl[4]]).reverse_bits();
    let level = ptl[11];
    let mut constraints = &ptl[5..11];
    while let [rest @ .., 0] = constraints {
        constraints = rest;
    }
    let mut out = format!("hvc1.{space}{profile}.{compatibility:X}.{tier}{level}");
    for byte in constraints {
        out.push_str(&format!(".{byte:X}"));
    }
    Some(out)
}

/// The `av01.P.LLT.DD` string of an AV1 stream from the first sequence header OBU in `data`
/// (OBUs, or an `AV1CodecConfigurationRecord` followed by them): the profile, operating
/// point 0's level index (two digits) and tier (`M` main, `H` high), and the bit depth.
pub fn av01(data: &[u8]) -> Option<String> {
    // av1C: marker bit and version 1, then three bytes before the config OBUs.
    let obus = if data.first() == Some(&0x81) && data.len() > 4 {
        &data[4..]
    } else {
        data
    };
    let header = sequence_header(obus)?;
    let s = parse_sequence_header(header)?;
    Some(format!(
        "av01.{}.{:02}{}.{:02}",
        s.profile,
        s.level,
        if s.high_tier { "H" } else { "M" },
        s.bit_depth
    ))
}

/// The payload of the first sequence header OBU (type 1) in a run of OBUs with size fields.
fn sequence_header(mut obus: &[u8]) -> Option<&[u8]> {
    while let Some(&header) = obus.first() {
        let kind = (header >> 3) & 0x0f;
        let extension = header & 0x04 != 0;
        let has_size = header & 0x02 != 0;
        let mut at = 1 + usize::from(extension);
        let size = if has_size {
            let (size, used) = leb128(obus.get(at..)?)?;
            at += used;
            usize::try_from(size).ok()?
        } else {
            obus.len().checked_sub(at)?
        };
        let payload = obus.get(at..at.checked_add(size)?)?;
        if kind == 1 {
            return Some(payload);
        }
        obus = &obus[at + size..];
    }
    None
}

fn leb128(data: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, &byte) in data.iter().take(8).enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

struct SequenceHeader {
    profile: u32,
    level: u32,
    high_tier: bool,
    bit_depth: u32,
}

/// AV1 spec 5.5.1, read as far as `color_config`'s bit depth.
fn parse_sequence_header(payload: &[u8]) -> Option<SequenceHeader> {
    let mut r = BitReader::new(payload);
    let profile = r.bits(3)?;
    let _still_picture = r.bit()?;
    let reduced = r.bit()?;
    let (level, high_tier) = if reduced {
        (r.bits(5)?, false)
    } else {
        let mut decoder_model_info = false;
        let mut buffer_delay_length = 0;
        if r.bit()? {
            // timing_info
            r.bits(32)?;
            r.bits(32)?;
            if r.bit()? {
                r.uvlc()?;
            }
            decoder_model_info = r.bit()?;
            if decoder_model_info {
                buffer_delay_length = r.bits(5)? + 1;
                r.bits(32)?;
                r.bits(5)?;
                r.bits(5)?;
            }
        }
        let initial_display_delay = r.bit()?;
        let operating_points = r.bits(5)? + 1;
        let mut first = None;
        for _ in 0..operating_points {
            r.bits(12)?;
            let level = r.bits(5)?;
            let tier = level > 7 && r.bit()?;
            if decoder_model_info && r.bit()? {
                r.bits(buffer_delay_length)?;
                r.bits(buffer_delay_length)?;
                r.bit()?;
            }
            if initial_display_delay && r.bit()? {
                r.bits(4)?;
            }
            first.get_or_insert((level, tier));
        }
        first?
    };
    let width_bits = r.bits(4)? + 1;
    let height_bits = r.bits(4)? + 1;
    r.bits(width_bits)?;
    r.bits(height_bits)?;
    if !reduced && r.bit()? {
        // frame_id_numbers_present
        r.bits(4)?;
        r.bits(3)?;
    }
    r.bits(3)?; // 128x128 superblocks, filter intra, intra edge filter
    if !reduced {
        r.bits(4)?; // interintra compound, masked compound, warped motion, dual filter
        let order_hint = r.bit()?;
        if order_hint {
            r.bits(2)?; // jnt comp, ref frame mvs
        }
        let force_screen_content = if r.bit()? { 2 } else { r.bits(1)? };
        if force_screen_content > 0 && !r.bit()? {
            r.bit()?; // seq_force_integer_mv
        }
        if order_hint {
            r.bits(3)?;
        }
    }
    r.bits(3)?; // superres, cdef, restoration
    let high_bitdepth = r.bit()?;
    let bit_depth = match (profile, high_bitdepth) {
        (2, true) => {
            if r.bit()? {
                12
            } else {
                10
            }
        }
        (_, true) => 10,
        (_, false) => 8,
    };
    Some(SequenceHeader {
        profile,
        level,
        high_tier,
        bit_depth,
    })
}

/// The `vp09.PP.LL.DD` string of a VP9 stream: the profile and bit depth from the first
/// frame's uncompressed header (a key frame), and the level as the smallest of VP9's levels
/// whose picture size and luma sample rate hold `size` at `rate`.
pub fn vp09(first_frame: &[u8], size: Resolution, rate: FrameRate) -> Option<String> {
    let mut r = BitReader::new(first_frame);
    if r.bits(2)? != 2 {
        return None; // frame_marker
    }
    let low = r.bits(1)?;
    let profile = (r.bits(1)? << 1) | low;
    if profile == 3 {
        r.bit()?;
    }
    if r.bit()? {
        return None; // show_existing_frame: no header to read
    }
    if r.bit()? {
        return None; // not a key frame
    }
    r.bits(2)?; // show_frame, error_resilient_mode
    if r.bits(24)? != 0x49_83_42 {
        return None;
    }
    let bit_depth = if profile >= 2 {
        if r.bit()? { 12 } else { 10 }
    } else {
        8
    };
    let level = vp9_level(size, rate)?;
    Some(format!("vp09.{profile:02}.{level:02}.{bit_depth:02}"))
}

/// VP9's levels (as tens: 31 is level 3.1) with their maximum luma picture size and luma
/// sample rate, from the WebM project's VP9 levels table.
const VP9_LEVELS: [(u32, u64, u64); 14] = [
    (10, 36_864, 829_440),
    (11, 73_728, 2_764_800),
    (20, 122_880, 4_608_000),
    (21, 245_760, 9_216_000),
    (30, 552_960, 20_736_000),
    (31, 983_040, 36_864_000),
    (40, 2_228_224, 83_558_400),
    (41, 2_228_224, 160_432_128),
    (50, 8_912_896, 311_951_360),
    (51, 8_912_896, 588_251_136),
    (52, 8_912_896, 1_176_502_272),
    (60, 35_651_584, 1_176_502_272),
    (61, 35_651_584, 2_353_004_544),
    (62, 35_651_584, 4_706_009_088),
];

fn vp9_level(size: Resolution, rate: FrameRate) -> Option<u32> {
    let picture = size.pixels();
    // Luma samples per second, rounded up.
    let samples = (u128::from(picture) * u128::from(rate.num)).div_ceil(u128::from(rate.den));
    VP9_LEVELS
        .iter()
        .find(|&&(_, max_picture, max_rate)| {
            picture <= max_picture && samples <= u128::from(max_rate)
        })
        .map(|&(level, _, _)| level)
}

/// Reads bits most significant first.
struct BitReader<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> BitReader<'a> {
    fn new(data: &'a [u8]) -> Self {
        BitReader { data, at: 0 }
    }

    fn bit(&mut self) -> Option<bool> {
        let byte = self.data.get(self.at / 8)?;
        let bit = (byte >> (7 - self.at % 8)) & 1;
        self.at += 1;
        Some(bit == 1)
    }

    fn bits(&mut self, n: u32) -> Option<u32> {
        let mut value = 0u64;
        for _ in 0..n {
            value = (value << 1) | u64::from(self.bit()?);
        }
        u32::try_from(value).ok()
    }

    /// AV1's variable-length unsigned code.
    fn uvlc(&mut self) -> Option<u32> {
        let mut zeros = 0;
        while !self.bit()? {
            zeros += 1;
            if zeros >= 32 {
                return Some(u32::MAX);
            }
        }
        Some(self.bits(zeros)? + ((1u32 << zeros) - 1))
    }
}

/// A NAL unit's payload without its emulation-prevention bytes (`00 00 03` → `00 00`).
fn unescape(nal: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(nal.len());
    let mut zeros = 0;
    for &byte in nal {
        if zeros >= 2 && byte == 3 {
            zeros = 0;
            continue;
        }
        zeros = if byte == 0 { zeros + 1 } else { 0 };
        out.push(byte);
    }
    out
}

/// The NAL units of an Annex B byte stream (start codes `00 00 01` or `00 00 00 01`).
fn annexb_nal_units(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= data.len() {
        if data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    let ends: Vec<usize> = starts
        .iter()
        .skip(1)
        .map(|&s| {
            // The next unit's start code, without the zero byte of a 4-byte start code.
            let mut e = s - 3;
            while e > 0 && data[e - 1] == 0 {
                e -= 1;
            }
            e
        })
        .chain(std::iter::once(data.len()))
        .collect();
    starts
        .into_iter()
        .zip(ends)
        .map(move |(s, e)| &data[s..e.max(s)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annexb_high_profile_level_31() {
        // SPS (High, level 3.1) then PPS, 4-byte and 3-byte start codes.
        let data = [
            0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0, 0, 1, 0x68, 0xeb, 0xe3,
        ];
        assert_eq!(avc1(&data).as_deref(), Some("avc1.64001f"));
    }

    #[test]
    fn sps_after_other_units_and_constraint_flags() {
        // An SEI first; Constrained Baseline (66, constraint_set1) level 3.0.
        let data = [
            0, 0, 1, 0x06, 0x05, 0x00, 0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e, 0x95,
        ];
        assert_eq!(avc1(&data).as_deref(), Some("avc1.42c01e"));
    }

    #[test]
    fn avcc_record() {
        let data = [1, 0x4d, 0x40, 0x28, 0xff, 0xe1];
        assert_eq!(avc1(&data).as_deref(), Some("avc1.4d4028"));
    }

    #[test]
    fn no_sps() {
        assert_eq!(avc1(&[]), None);
        assert_eq!(avc1(&[0, 0, 1, 0x68, 0xeb]), None);
        assert_eq!(avc1(&[0, 0, 1, 0x67, 0x64]), None);
    }
}
