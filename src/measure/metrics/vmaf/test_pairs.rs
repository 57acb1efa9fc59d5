//! Test material for VMAF: real frame pairs from the shared clips (../shared/clips, beside the
//! repository): a clip's first frames as the reference, and the same frames encoded with x264
//! at a smaller height by the FFmpeg CLI, decoded and upscaled (bicubic) back to the clip's
//! size, as a trial point is scored.

use crate::measure::metrics::Plane;
use crate::source::FrameReader;
use crate::source::resolution::Resolution;
use crate::source::scale::{Kernel, Scaler};
use ffmpeg_next::frame;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The shared clips directory, or `None` (saying the test is skipped) when it is absent.
pub fn clips_dir(test: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/clips");
    if dir.join("SOURCES.md").exists() {
        Some(dir)
    } else {
        eprintln!("SKIP {test}: ../shared/clips is absent");
        None
    }
}

/// The six shared clips' file names.
pub const CLIPS: [&str; 6] = [
    "bbb_animation_720p25.mp4",
    "chaplin_bw_film_360p25.mp4",
    "coffee_pour_720p30.mp4",
    "endcard_graphics_1080p30.mp4",
    "talking_head_480p30.mp4",
    "vector_animation_1080x1080p60.mp4",
];

/// Owned reference and distorted frames of one clip (8-bit 4:2:0, the clip's size).
pub struct Pairs {
    /// The clip's first frames.
    pub reference: Vec<frame::Video>,
    /// The same frames through the encode, at the clip's size.
    pub distorted: Vec<frame::Video>,
}

impl Pairs {
    /// The first `frames` frames of `clip` (in [`clips_dir`]) against an x264 `ultrafast`
    /// encode at `height` (Lanczos down) and `crf`, upscaled bicubic back; `height` at or
    /// above the clip's keeps its size.
    pub fn encode(dir: &Path, clip: &str, frames: usize, height: u32, crf: u32) -> Pairs {
        let src = dir.join(clip);
        let tmp = tempfile::tempdir().expect("temporary directory");
        let enc = tmp.path().join("enc.mkv");
        let status = Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-i"])
            .arg(&src)
            .args(["-frames:v", &frames.to_string()])
            .args(["-vf", &format!("scale=-2:'min({height},ih)':flags=lanczos")])
            .args([
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-crf",
                &crf.to_string(),
            ])
            .args(["-pix_fmt", "yuv420p", "-an"])
            .arg(&enc)
            .status()
            .expect("ffmpeg CLI");
        assert!(status.success(), "ffmpeg failed on {clip}");
        let reference = read(&src, frames, None);
        let size = Resolution::new(reference[0].width(), reference[0].height());
        let distorted = read(&enc, frames, Some(size));
        assert_eq!(reference.len(), distorted.len(), "{clip}: frame counts");
        Pairs {
            reference,
            distorted,
        }
    }

    /// The luma planes of every pair, cropped to `width` x `height` from the top left
    /// (`None`: whole), for odd sizes.
    pub fn luma(&self, crop: Option<(usize, usize)>) -> Vec<(Plane<'_>, Plane<'_>)> {
        self.reference
            .iter()
            .zip(&self.distorted)
            .map(|(r, d)| {
                let (r, d) = (Plane::of_frame(r, 0), Plane::of_frame(d, 0));
                match crop {
                    Some((w, h)) => (r.crop(0, 0, w, h), d.crop(0, 0, w, h)),
                    None => (r, d),
                }
            })
            .collect()
    }
}

/// The first `frames` frames of `path`, resized bicubic to `size` when given.
fn read(path: &Path, frames: usize, size: Option<Resolution>) -> Vec<frame::Video> {
    let mut reader = FrameReader::open(path, 1).expect("open");
    let mut scaler = size
        .filter(|&s| s != reader.resolution())
        .map(|s| Scaler::new(reader.resolution(), s, Kernel::Bicubic).expect("scaler"));
    let mut out = Vec::with_capacity(frames);
    while out.len() < frames {
        let Some(f) = reader.next_frame().expect("decode") else {
            break;
        };
        out.push(match scaler.as_mut() {
            Some(s) => s.scale(&f).expect("scale"),
            None => f,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::metrics::vmaf::libvmaf::{Extractor, features};

    #[test]
    fn a_downscaled_encode_loses_detail_by_the_oracle() {
        let Some(dir) = clips_dir("a_downscaled_encode_loses_detail_by_the_oracle") else {
            return;
        };
        let pairs = Pairs::encode(&dir, CLIPS[4], 3, 240, 30);
        assert_eq!(pairs.reference[0].height(), 480);
        assert_eq!(pairs.distorted[0].height(), 480);
        let v = features(
            &[Extractor {
                name: "vif",
                options: &[],
            }],
            &["VMAF_integer_feature_vif_scale0_score"],
            &pairs.luma(Some((301, 211))),
        )
        .unwrap();
        assert!(v.iter().all(|f| f[0] > 0.05 && f[0] < 0.9), "{v:?}");
    }
}
