//! VMAF through libvmaf (3.2.0, vendored, built and linked statically by `vmaf-head-sys`).
//!
//! Frames are handed over as they stream; libvmaf computes its features (VIF, ADM, motion) and
//! the model gives one score per frame once the stream is flushed. Both frames of a pair must
//! have the same size: callers upscale the distorted frame to the display size first.
//!
//! [`features`] runs single libvmaf feature extractors on luma planes: the oracle the native
//! engine's tests compare against.

use super::VmafModel;
use crate::error::{Error, Result};
use crate::measure::metrics::Plane;
use ffmpeg_next::frame;
use std::ffi::CString;
use std::ptr;
use vmaf_head_sys as sys;

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

/// libvmaf's flags for `model` (the phone model is v0.6.1 with its score transform).
fn model_flags(model: VmafModel) -> u64 {
    match model {
        VmafModel::Phone => sys::VmafModelFlags_VMAF_MODEL_FLAG_ENABLE_TRANSFORM as u64,
        _ => sys::VmafModelFlags_VMAF_MODEL_FLAGS_DEFAULT as u64,
    }
}

fn vmaf_error(what: &str, code: i32) -> Error {
    Error::Vmaf {
        what: what.into(),
        code,
    }
}

/// Scores a stream of frame pairs with one VMAF model.
pub struct LibvmafScorer {
    ctx: *mut sys::VmafContext,
    model: *mut sys::VmafModel,
    frames: u32,
    /// Every this many frames is scored (libvmaf still computes motion on every frame).
    subsample: u32,
}

// SAFETY: a VmafContext and VmafModel are plain heap objects with no thread affinity; `&mut
// self` on every use rules out concurrent access.
unsafe impl Send for LibvmafScorer {}

impl LibvmafScorer {
    /// A scorer for `model`; `threads` feature-extraction threads (0 = in the calling thread);
    /// frames `0, subsample, 2 * subsample, ...` are scored (libvmaf's own subsampling, which
    /// still computes motion from every frame).
    pub fn new(model: VmafModel, threads: u32, subsample: u32) -> Result<Self> {
        let subsample = subsample.max(1);
        let cfg = sys::VmafConfiguration {
            log_level: sys::VmafLogLevel_VMAF_LOG_LEVEL_NONE,
            n_threads: threads,
            n_subsample: subsample,
            cpumask: 0,
            gpumask: 0,
        };
        let mut ctx = ptr::null_mut();
        // SAFETY: vmaf_init writes a new context into `ctx`.
        let rc = unsafe { sys::vmaf_init(&mut ctx, cfg) };
        if rc < 0 || ctx.is_null() {
            return Err(vmaf_error("init", rc));
        }
        let mut scorer = LibvmafScorer {
            ctx,
            model: ptr::null_mut(),
            frames: 0,
            subsample,
        };
        let name = CString::new("vmaf").map_err(|e| Error::Internal(e.to_string()))?;
        let version = CString::new(model.version()).map_err(|e| Error::Internal(e.to_string()))?;
        let mut model_cfg = sys::VmafModelConfig {
            name: name.as_ptr(),
            flags: model_flags(model),
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

    /// Flush and return the score of every scored frame, in order.
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
            .step_by(self.subsample as usize)
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

impl Drop for LibvmafScorer {
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
            sys::VmafPixelFormat_VMAF_PIX_FMT_YUV420P,
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

/// A libvmaf feature extractor to run, by its libvmaf name (`vif`, `adm`, `motion`: the
/// integer extractors the built-in models use), with its options as key-value pairs
/// (`vif_enhn_gain_limit=1.0`).
#[derive(Debug, Clone, Copy)]
pub struct Extractor<'a> {
    /// libvmaf's name of the extractor.
    pub name: &'a str,
    /// Options as libvmaf spells them.
    pub options: &'a [(&'a str, &'a str)],
}

/// libvmaf's per-frame values of the features `names` (as libvmaf names them, e.g.
/// `VMAF_integer_feature_vif_scale0_score`, `integer_adm_num`) computed by `extractors` over
/// `pairs` of 8-bit luma planes (reference, distorted; each pair of one size), in frame order:
/// `result[f][k]` is frame `f`'s value of `names[k]`. One thread, as the native engine's tests
/// compare value by value.
pub fn features(
    extractors: &[Extractor<'_>],
    names: &[&str],
    pairs: &[(Plane<'_>, Plane<'_>)],
) -> Result<Vec<Vec<f64>>> {
    let cfg = sys::VmafConfiguration {
        log_level: sys::VmafLogLevel_VMAF_LOG_LEVEL_NONE,
        n_threads: 0,
        n_subsample: 1,
        cpumask: 0,
        gpumask: 0,
    };
    let mut ctx = ptr::null_mut();
    // SAFETY: vmaf_init writes a new context into `ctx`.
    let rc = unsafe { sys::vmaf_init(&mut ctx, cfg) };
    if rc < 0 || ctx.is_null() {
        return Err(vmaf_error("init", rc));
    }
    /// Closes the context on every path.
    struct Context(*mut sys::VmafContext);
    impl Drop for Context {
        fn drop(&mut self) {
            // SAFETY: created by vmaf_init and closed once.
            unsafe { sys::vmaf_close(self.0) };
        }
    }
    let ctx = Context(ctx);
    let c = |s: &str| CString::new(s).map_err(|e| Error::Internal(e.to_string()));
    for e in extractors {
        let mut dict = ptr::null_mut();
        for (key, value) in e.options {
            let (key, value) = (c(key)?, c(value)?);
            // SAFETY: the strings outlive the call, which copies them into `dict`.
            let rc = unsafe {
                sys::vmaf_feature_dictionary_set(&mut dict, key.as_ptr(), value.as_ptr())
            };
            if rc < 0 {
                return Err(vmaf_error("setting an extractor option", rc));
            }
        }
        let name = c(e.name)?;
        // SAFETY: the context takes ownership of `dict` on success.
        let rc = unsafe { sys::vmaf_use_feature(ctx.0, name.as_ptr(), dict) };
        if rc < 0 {
            // SAFETY: not taken on failure.
            unsafe { sys::vmaf_feature_dictionary_free(&mut dict) };
            return Err(vmaf_error(&format!("registering extractor {}", e.name), rc));
        }
    }
    for (i, (r, d)) in pairs.iter().enumerate() {
        let mut r = luma_picture(*r)?;
        let mut d = luma_picture(*d)?;
        // SAFETY: libvmaf takes ownership of both pictures.
        let rc = unsafe { sys::vmaf_read_pictures(ctx.0, &mut r, &mut d, i as u32) };
        if rc < 0 {
            return Err(vmaf_error("reading pictures", rc));
        }
    }
    // SAFETY: null pictures flush the context.
    let rc = unsafe { sys::vmaf_read_pictures(ctx.0, ptr::null_mut(), ptr::null_mut(), 0) };
    if rc < 0 {
        return Err(vmaf_error("flushing", rc));
    }
    let names: Vec<CString> = names.iter().map(|n| c(n)).collect::<Result<_>>()?;
    (0..pairs.len())
        .map(|i| {
            names
                .iter()
                .map(|n| {
                    let mut v = 0.0;
                    // SAFETY: frame `i` was read and flushed; `n` outlives the call.
                    let rc = unsafe {
                        sys::vmaf_feature_score_at_index(ctx.0, n.as_ptr(), &mut v, i as u32)
                    };
                    if rc < 0 {
                        Err(vmaf_error(
                            &format!("fetching {} of frame {i}", n.to_string_lossy()),
                            rc,
                        ))
                    } else {
                        Ok(v)
                    }
                })
                .collect()
        })
        .collect()
}

/// Copy an 8-bit luma plane into a new grey (4:0:0) libvmaf picture.
fn luma_picture(p: Plane<'_>) -> Result<sys::VmafPicture> {
    // SAFETY: VmafPicture is plain data; vmaf_picture_alloc fills it.
    let mut pic: sys::VmafPicture = unsafe { std::mem::zeroed() };
    let rc = unsafe {
        sys::vmaf_picture_alloc(
            &mut pic,
            sys::VmafPixelFormat_VMAF_PIX_FMT_YUV400P,
            8,
            p.width() as u32,
            p.height() as u32,
        )
    };
    if rc < 0 {
        return Err(vmaf_error("allocating a picture", rc));
    }
    let stride = pic.stride[0] as usize;
    // SAFETY: the plane holds `height` rows of `stride` bytes, each at least `width` long.
    let dst =
        unsafe { std::slice::from_raw_parts_mut(pic.data[0] as *mut u8, stride * p.height()) };
    for y in 0..p.height() {
        dst[y * stride..y * stride + p.width()].copy_from_slice(p.row(y));
    }
    Ok(pic)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A textured 8-bit plane: a gradient with a pseudo-random pattern.
    fn texture(width: usize, height: usize, seed: u32) -> Vec<u8> {
        let mut x = seed;
        (0..width * height)
            .map(|i| {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                ((i % width) as u32 / 4 + (x >> 27)) as u8
            })
            .collect()
    }

    #[test]
    fn oracle_scores_identical_frames_as_undistorted() {
        let (w, h) = (96, 64);
        let a = texture(w, h, 1);
        let b = texture(w, h, 2);
        let pa = Plane::new(&a, w, w, h);
        let pb = Plane::new(&b, w, w, h);
        let names = [
            "VMAF_integer_feature_vif_scale0_score",
            "VMAF_integer_feature_adm2_score",
            "VMAF_integer_feature_motion2_score",
        ];
        let none: &[(&str, &str)] = &[];
        let extractors = ["vif", "adm", "motion"].map(|name| Extractor {
            name,
            options: none,
        });
        let v = features(&extractors, &names, &[(pa, pa), (pb, pb)]).unwrap();
        assert_eq!(v.len(), 2);
        for frame in &v {
            assert!((frame[0] - 1.0).abs() < 1e-6, "vif {frame:?}");
            assert!((frame[1] - 1.0).abs() < 1e-4, "adm {frame:?}");
        }
        // Motion: zero for the first frame, positive between two different frames.
        assert_eq!(v[0][2], 0.0);
        assert!(v[1][2] > 0.0, "{v:?}");
    }
}
