//! RFC 6381 `CODECS` strings (as HLS and DASH declare them) read from an encoded stream's own
//! headers, so they state the profile and level the encoder really chose: `avc1` (H.264,
//! ISO/IEC 14496-15), `hvc1` (HEVC, ISO/IEC 14496-15 Annex E), `av01` (AV1, the AV1 ISOBMFF
//! binding) and `vp09` (VP9, the VP codec ISOBMFF binding).

use crate::encode::codec::Codec;
use crate::source::frame_rate::FrameRate;
use crate::source::resolution::Resolution;

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

    /// Writes bits most significant first, for building headers field by field.
    #[derive(Default)]
    struct Bits {
        bytes: Vec<u8>,
        used: usize,
    }

    impl Bits {
        fn put(&mut self, n: u32, value: u64) -> &mut Self {
            for i in (0..n).rev() {
                if self.used.is_multiple_of(8) {
                    self.bytes.push(0);
                }
                let bit = ((value >> i) & 1) as u8;
                let last = self.bytes.len() - 1;
                self.bytes[last] |= bit << (7 - self.used % 8);
                self.used += 1;
            }
            self
        }
    }

    /// An AV1 sequence header OBU (with its size field) around `payload`.
    fn obu(kind: u8, payload: &[u8]) -> Vec<u8> {
        assert!(payload.len() < 128);
        let mut out = vec![(kind << 3) | 0x02, payload.len() as u8];
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn av1_simple_sequence_header_in_a_temporal_unit() {
        // seq_profile 0, not still, not reduced, no timing info, no initial display delay, one
        // operating point at level index 5 (level 3.1), 1280x720.
        let mut b = Bits::default();
        b.put(3, 0)
            .put(1, 0)
            .put(1, 0)
            .put(1, 0)
            .put(1, 0)
            .put(5, 0);
        b.put(12, 0).put(5, 5);
        b.put(4, 10).put(4, 9).put(11, 1279).put(10, 719);
        b.put(1, 0); // frame_id_numbers_present
        b.put(3, 0b111); // 128x128 superblocks, filter intra, intra edge
        b.put(4, 0b1111).put(1, 1).put(2, 0b11); // compound tools, order hint, jnt, ref mvs
        b.put(1, 1); // seq_choose_screen_content_tools: SELECT, then seq_choose_integer_mv
        b.put(1, 1);
        b.put(3, 6); // order_hint_bits_minus_1
        b.put(3, 0b011); // superres, cdef, restoration
        b.put(1, 0); // high_bitdepth
        let mut data = obu(2, &[]); // temporal delimiter first
        data.extend(obu(1, &b.bytes));
        assert_eq!(av01(&data).as_deref(), Some("av01.0.05M.08"));
        // The same OBUs behind an AV1CodecConfigurationRecord.
        let mut av1c = vec![0x81, 0x05, 0x0c, 0x00];
        av1c.extend(obu(1, &b.bytes));
        assert_eq!(av01(&av1c).as_deref(), Some("av01.0.05M.08"));
    }

    #[test]
    fn av1_timing_decoder_model_and_high_tier_professional_12_bit() {
        // Profile 2, timing info with a uvlc tick count, decoder model info (buffer delay
        // length 10 bits), initial display delay, two operating points: the first at level
        // index 12 (5.0) high tier with decoder model and display delay fields.
        let mut b = Bits::default();
        b.put(3, 2).put(1, 0).put(1, 0);
        b.put(1, 1)
            .put(32, 1001)
            .put(32, 60000)
            .put(1, 1)
            .put(5, 0b00101); // uvlc: 4
        b.put(1, 1).put(5, 9).put(32, 1001).put(5, 31).put(5, 31);
        b.put(1, 1); // initial_display_delay_present
        b.put(5, 1); // two operating points
        b.put(12, 0x10f).put(5, 12).put(1, 1); // level 12, high tier
        b.put(1, 1).put(10, 300).put(10, 200).put(1, 0); // decoder model for this op
        b.put(1, 1).put(4, 9); // initial display delay
        b.put(12, 0x001).put(5, 4); // second op: level 4, no tier bit
        b.put(1, 0).put(1, 0);
        b.put(4, 11).put(4, 11).put(12, 3839).put(12, 2159);
        b.put(1, 1).put(4, 5).put(3, 2); // frame ids
        b.put(3, 0);
        b.put(4, 0).put(1, 0); // no order hint
        b.put(1, 0).put(1, 1); // screen content forced on, then seq_choose_integer_mv 0 and
        b.put(1, 0).put(1, 1); // seq_force_integer_mv
        b.put(3, 0);
        b.put(1, 1).put(1, 1); // high_bitdepth, twelve_bit
        assert_eq!(av01(&obu(1, &b.bytes)).as_deref(), Some("av01.2.12H.12"));
    }

    #[test]
    fn av1_reduced_still_picture_header_and_garbage() {
        let mut b = Bits::default();
        b.put(3, 1).put(1, 1).put(1, 1).put(5, 8); // profile 1, reduced, level 8
        b.put(4, 7).put(4, 7).put(8, 255).put(8, 255);
        b.put(3, 0).put(3, 0).put(1, 1); // then 10 bits
        assert_eq!(av01(&obu(1, &b.bytes)).as_deref(), Some("av01.1.08M.10"));
        assert_eq!(av01(&[]), None);
        assert_eq!(av01(&obu(2, &[])), None);
        assert_eq!(av01(&[0x0a, 0x7f, 1, 2]), None, "size past the end");
    }

    #[test]
    fn hevc_from_annexb_sps_and_hvcc() {
        // VPS, then an SPS: NAL header (type 33), VPS id 0 / one sub-layer / nesting, then
        // profile_tier_level: Main 10 (2), main tier, compatibility flags 1 and 2, progressive
        // + frame-only (0x90), level_idc 123 (4.1) - with an emulation-prevention byte in
        // the zero constraint bytes.
        let sps = [
            0x42, 0x01, 0x01, 0x02, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00,
            0x00, 0x03, 0x00, 0x7b, 0xa0,
        ];
        let mut data = vec![0, 0, 0, 1, 0x40, 0x01, 0x0c];
        data.extend([0, 0, 0, 1]);
        data.extend(sps);
        assert_eq!(hvc1(&data).as_deref(), Some("hvc1.2.6.L123.90"));
        // hvcC: version, then the same 12 bytes of profile_tier_level; high tier, profile
        // space 1, a constraint byte after a zero one.
        let hvcc = [1, 0x61, 0x40, 0, 0, 0, 0x98, 0, 0x08, 0, 0, 0, 153, 0xf0];
        assert_eq!(hvc1(&hvcc).as_deref(), Some("hvc1.A1.2.H153.98.0.8"));
        assert_eq!(hvc1(&[0, 0, 1, 0x40, 0x01]), None);
    }

    #[test]
    fn vp9_profile_depth_and_level() {
        // frame_marker 2, profile 0, shown key frame, sync code.
        let mut b = Bits::default();
        b.put(2, 2)
            .put(1, 0)
            .put(1, 0)
            .put(1, 0)
            .put(1, 0)
            .put(1, 1)
            .put(1, 0);
        b.put(24, 0x49_83_42).put(8, 0);
        let rate = FrameRate::new(30, 1).unwrap();
        let at = |w, h, r| vp09(&b.bytes, Resolution::new(w, h), r);
        assert_eq!(at(1280, 720, rate).as_deref(), Some("vp09.00.31.08"));
        // 1080p is level 4 at 30 fps, but 4.1 at 60 fps (124 M samples/s).
        assert_eq!(at(1920, 1080, rate).as_deref(), Some("vp09.00.40.08"));
        let sixty = FrameRate::new(60, 1).unwrap();
        assert_eq!(at(1920, 1080, sixty).as_deref(), Some("vp09.00.41.08"));
        assert_eq!(at(3840, 2160, sixty).as_deref(), Some("vp09.00.51.08"));
        // Profile 2 (low bit 0, high bit 1), 10 bits.
        let mut p2 = Bits::default();
        p2.put(2, 2)
            .put(1, 0)
            .put(1, 1)
            .put(1, 0)
            .put(1, 0)
            .put(1, 1)
            .put(1, 0);
        p2.put(24, 0x49_83_42).put(1, 0).put(7, 0);
        let s = vp09(&p2.bytes, Resolution::new(640, 360), rate);
        assert_eq!(s.as_deref(), Some("vp09.02.21.10"));
        // Not a key frame: no header to read.
        let mut inter = Bits::default();
        inter.put(2, 2).put(2, 0).put(1, 0).put(1, 1).put(2, 0);
        assert_eq!(vp09(&inter.bytes, Resolution::new(640, 360), rate), None);
    }

    #[test]
    fn no_sps() {
        assert_eq!(avc1(&[]), None);
        assert_eq!(avc1(&[0, 0, 1, 0x68, 0xeb]), None);
        assert_eq!(avc1(&[0, 0, 1, 0x67, 0x64]), None);
    }
}
