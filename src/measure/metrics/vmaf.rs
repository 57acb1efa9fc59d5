//! VMAF through libvmaf (2.3.1, vendored and linked statically by `libvmaf-sys`).
//!
//! Frames are handed over as they stream; libvmaf computes its features (VIF, ADM, motion) and
//! the model gives one score per frame once the stream is flushed. Both frames of a pair must
//! have the same size: callers upscale the distorted frame to the display size first.

use crate::error::{Error, Result};
use crate::measure::metrics::Plane;
use ffmpeg_next::frame;
use libvmaf_sys as sys;
use serde::{Deserialize, Serialize};
use std::ffi::CString;
use std::fmt;
use std::ptr;
use std::str::FromStr;

/// The VMAF models pertitle offers (all built into the binary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum VmafModel {
    /// `vmaf_v0.6.1`: the default model, trained for a 1080p display viewed at 3x its height.
    #[default]
    #[serde(rename = "v0.6.1")]
    V061,
    /// `vmaf_v0.6.1neg`: the "no enhancement gain" variant, which does not reward sharpening.
    #[serde(rename = "v0.6.1neg")]
    V061Neg,
    /// `vmaf_v0.6.1` with its phone score transform (small screens hide more artefacts).
    #[serde(rename = "phone")]
    Phone,
    /// `vmaf_4k_v0.6.1`: for 4K displays viewed at 1.5x their height.
    #[serde(rename = "4k")]
    FourK,
}

impl VmafModel {
    /// libvmaf's name of the built-in model.
    pub fn version(self) -> &'static str {
        match self {
            VmafModel::V061 | VmafModel::Phone => "vmaf_v0.6.1",
            VmafModel::V061Neg => "vmaf_v0.6.1neg",
            VmafModel::FourK => "vmaf_4k_v0.6.1",
        }
    }

    fn flags(self) -> u64 {
        match self {
            VmafModel::Phone => sys::VmafModelFlags::VMAF_MODEL_FLAG_ENABLE_TRANSFORM as u64,
            _ => sys::VmafModelFlags::VMAF_MODEL_FLAGS_DEFAULT as u64,
        }
    }
}

impl fmt::Display for VmafModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VmafModel::V061 => "v0.6.1",
            VmafModel::V061Neg => "v0.6.1neg",
            VmafModel::Phone => "phone",
            VmafModel::FourK => "4k",
        })
    }
}

impl FromStr for VmafModel {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "v0.6.1" | "vmaf_v0.6.1" => Ok(VmafModel::V061),
            "v0.6.1neg" | "vmaf_v0.6.1neg" => Ok(VmafModel::V061Neg),
            "phone" => Ok(VmafModel::Phone),
            "4k" | "vmaf_4k_v0.6.1" => Ok(VmafModel::FourK),
            other => Err(format!(
                "unknown VMAF model {other:?} (v0.6.1, v0.6.1neg, phone or 4k)"
            )),
        }
    }
}

/// libvmaf's version string.
pub fn libvmaf_version() -> String {
    // SAFETY: vmaf_version returns a static NUL-terminated string.
    unsafe {
        let p = sys::vmaf_version();
        if p.is_null() {
            String::new()
        } else {
            std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned()
        }
    }
}

fn vmaf_error(what: &str, code: i32) -> Error {
    Error::Vmaf {
        what: what.into(),
        code,
    }
}

/// Scores a stream of frame pairs with one VMAF model.
pub struct VmafScorer {
    ctx: *mut sys::VmafContext,
    model: *mut sys::VmafModel,
    frames: u32,
}

// SAFETY: a VmafContext and VmafModel are plain heap objects with no thread affinity; `&mut
// self` on every use rules out concurrent access.
unsafe impl Send for VmafScorer {}

impl VmafScorer {
    /// A scorer for `model`; `threads` feature-extraction threads (0 = in the calling thread).
    pub fn new(model: VmafModel, threads: u32) -> Result<Self> {
        let cfg = sys::VmafConfiguration {
            log_level: sys::VmafLogLevel::VMAF_LOG_LEVEL_NONE,
            n_threads: threads,
            n_subsample: 1,
            cpumask: 0,
        };
        let mut ctx = ptr::null_mut();
        // SAFETY: vmaf_init writes a new context into `ctx`.
        let rc = unsafe { sys::vmaf_init(&mut ctx, cfg) };
        if rc < 0 || ctx.is_null() {
            return Err(vmaf_error("init", rc));
        }
        let mut scorer = VmafScorer {
            ctx,
            model: ptr::null_mut(),
            frames: 0,
        };
        let name = CString::new("vmaf").map_err(|e| Error::Internal(e.to_string()))?;
        let version = CString::new(model.version()).map_err(|e| Error::Internal(e.to_string()))?;
        let mut model_cfg = sys::VmafModelConfig {
            name: name.as_ptr(),
            flags: model.flags(),
        };
        // SAFETY: the strings outlive the calls; the model pointer is owned by `scorer`.
        let rc =
            unsafe { sys::vmaf_model_load(&mut scorer.model, &mut model_cfg, version.as_ptr()) };
        if rc < 0 || scorer.model.is_null() {
            return Err(vmaf_error(
                &format!("loading model {}", model.version()),
                rc,
            ));
        }
        // SAFETY: both pointers are live.
        let rc = unsafe { sys::vmaf_use_features_from_model(scorer.ctx, scorer.model) };
        if rc < 0 {
            return Err(vmaf_error("registering the model's features", rc));
        }
        Ok(scorer)
    }

    /// Score the next pair: 8-bit 4:2:0 frames of the same size.
    pub fn push(&mut self, reference: &frame::Video, distorted: &frame::Video) -> Result<()> {
        let mut r = to_picture(reference)?;
        let mut d = to_picture(distorted)?;
        // SAFETY: libvmaf takes ownership of both pictures (and unrefs them) on success and on
        // failure alike.
        let rc = unsafe { sys::vmaf_read_pictures(self.ctx, &mut r, &mut d, self.frames) };
        if rc < 0 {
            return Err(vmaf_error("reading pictures", rc));
        }
        self.frames += 1;
        Ok(())
    }

    /// Flush and return the score of every frame, in order.
    pub fn finish(mut self) -> Result<Vec<f64>> {
        if self.frames == 0 {
            return Ok(Vec::new());
        }
        // SAFETY: null pictures flush the context.
        let rc = unsafe { sys::vmaf_read_pictures(self.ctx, ptr::null_mut(), ptr::null_mut(), 0) };
        if rc < 0 {
            return Err(vmaf_error("flushing", rc));
        }
        (0..self.frames)
            .map(|i| {
                let mut score = 0.0;
                // SAFETY: every index below `frames` was read and flushed.
                let rc = unsafe { sys::vmaf_score_at_index(self.ctx, self.model, &mut score, i) };
                if rc < 0 {
                    Err(vmaf_error(&format!("scoring frame {i}"), rc))
                } else {
                    Ok(score)
                }
            })
            .collect::<Result<Vec<f64>>>()
            .inspect(|_| self.frames = 0)
    }
}

impl Drop for VmafScorer {
    fn drop(&mut self) {
        // SAFETY: both were created by libvmaf and are released exactly once.
        unsafe {
            if !self.model.is_null() {
                sys::vmaf_model_destroy(self.model);
            }
            if !self.ctx.is_null() {
                sys::vmaf_close(self.ctx);
            }
        }
    }
}

/// Copy an 8-bit 4:2:0 frame into a new libvmaf picture.
fn to_picture(f: &frame::Video) -> Result<sys::VmafPicture> {
    // SAFETY: VmafPicture is plain data; vmaf_picture_alloc fills it.
    let mut pic: sys::VmafPicture = unsafe { std::mem::zeroed() };
    let rc = unsafe {
        sys::vmaf_picture_alloc(
            &mut pic,
            sys::VmafPixelFormat::VMAF_PIX_FMT_YUV420P,
            8,
            f.width(),
            f.height(),
        )
    };
    if rc < 0 {
        return Err(vmaf_error("allocating a picture", rc));
    }
    for i in 0..3 {
        let src = Plane::of_frame(f, i);
        let stride = pic.stride[i] as usize;
        // libvmaf's chroma planes of an odd-sized picture are a sample narrower (or
        // shorter) than FFmpeg's, which round up; the last column or row is left out. The
        // VMAF models read luma only.
        let (w, h) = (pic.w[i] as usize, pic.h[i] as usize);
        if w > src.width() || h > src.height() {
            // SAFETY: the picture was allocated above and is released once.
            unsafe { sys::vmaf_picture_unref(&mut pic) };
            return Err(Error::Internal(format!(
                "libvmaf picture plane {i} is {w}x{h}, frame plane is {}x{}",
                src.width(),
                src.height()
            )));
        }
        // SAFETY: the plane holds `h` rows of `stride` bytes, each at least `w` long.
        let dst = unsafe { std::slice::from_raw_parts_mut(pic.data[i] as *mut u8, stride * h) };
        for y in 0..h {
            dst[y * stride..y * stride + w].copy_from_slice(&src.row(y)[..w]);
        }
    }
    Ok(pic)
}
