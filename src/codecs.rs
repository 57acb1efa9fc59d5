//! RFC 6381 `CODECS` strings (as HLS and DASH declare them) read from an encoded stream's own
//! parameter sets, so they state the profile and level the encoder really chose.

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
