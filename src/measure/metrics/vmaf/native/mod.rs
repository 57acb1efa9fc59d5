//! pertitle's own VMAF: libvmaf's integer feature extractors (VIF, ADM, motion) and the
//! models' support-vector regression, computed so that the reference frame's share of the
//! work is done once per source frame and shared by every point of a pass.
//!
//! The split follows what each feature reads:
//! - **motion** reads the reference alone: [`MotionTrack`] computes it once per source frame;
//! - **VIF** and **ADM** read both frames, but the reference's filtered planes, local
//!   statistics, wavelet bands and the denominators are the same for every point:
//!   [`FrameReference`] holds them, computed once per scored source frame;
//! - each point keeps only its frames' features ([`NativeScorer`]), and fuses them with the
//!   model once the pass has given every frame's motion; the scratch buffers scoring needs
//!   are the thread's, shared by every point scored on it.

pub mod adm;
pub mod model;
pub mod motion;
pub mod vif;

use crate::error::{Error, Result};
use crate::measure::metrics::Plane;
use crate::measure::metrics::vmaf::VmafModel;
use adm::{AdmReference, AdmScratch};
use model::{Features, Model};
use motion::Motion;
use vif::{VifReference, VifScratch};

/// Which implementation runs VIF's and ADM's kernels (they compute the same integers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Isa {
    /// Scalar code, any CPU.
    Portable,
    /// AVX2 (x86-64), only chosen when the CPU has it.
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

impl Isa {
    fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            return Isa::Avx2;
        }
        Isa::Portable
    }
}

/// The reference side of VIF and ADM for one source frame at the display size.
pub struct FrameReference {
    vif: VifReference,
    adm: AdmReference,
}

impl FrameReference {
    /// Buffers for frames of `width` x `height`.
    pub fn new(width: usize, height: usize) -> Self {
        FrameReference {
            vif: VifReference::new(width, height),
            adm: AdmReference::new(width, height),
        }
    }

    /// Prepare for scoring against `luma` (the reference frame's luma plane).
    pub fn compute(&mut self, luma: Plane<'_>) {
        self.vif.compute(luma);
        self.adm.compute(luma);
    }
}

/// Motion of a stream of reference frames (source frames at the display size), in source
/// order, giving each fed frame's `motion2` at the end.
///
/// A frame's motion compares it with the source frame just before it, whether or not that
/// frame is fed to the points (a sample's windows start mid-source), so a frame's motion is
/// the same in every pass layout.
pub struct MotionTrack {
    motion: Motion,
    /// The source index of the frame pushed last.
    last: Option<u64>,
    /// Each fed frame's source index and motion, in feeding order.
    fed: Vec<(u64, f64)>,
    /// The motion of the source frame after the last fed one, once pushed.
    after: Vec<Option<f64>>,
}

impl MotionTrack {
    /// A track of frames of `width` x `height`.
    pub fn new(width: usize, height: usize) -> Self {
        MotionTrack {
            motion: Motion::new(width, height),
            last: None,
            fed: Vec::new(),
            after: Vec::new(),
        }
    }

    /// Push source frame `index` (increasing), `fed` when the points score it. A frame that
    /// is not fed is pushed only as the neighbour of one that is.
    pub fn push(&mut self, index: u64, luma: Plane<'_>, fed: bool) {
        let follows = index > 0 && self.last == Some(index - 1);
        if !follows {
            // No previous frame pushed: the motion of this frame is not defined here; frame 0
            // has none by definition.
            self.motion.forget();
        }
        let m = self.motion.push(luma);
        let m = if index == 0 { 0.0 } else { m };
        if let Some(&(prev, _)) = self.fed.last()
            && prev + 1 == index
            && follows
        {
            let k = self.fed.len() - 1;
            self.after[k] = Some(m);
        }
        if fed {
            self.fed
                .push((index, if follows || index == 0 { m } else { f64::NAN }));
            self.after.push(None);
        }
        self.last = Some(index);
    }

    /// Whether the frame `index` is needed when `fed(i)` says which frames are fed: a fed
    /// frame, or the frame just before or just after one.
    pub fn needed(index: u64, fed: impl Fn(u64) -> bool) -> bool {
        fed(index) || fed(index + 1) || (index > 0 && fed(index - 1))
    }

    /// Every fed frame's `motion2`, in feeding order.
    pub fn motion2(&self) -> Result<Vec<f64>> {
        self.fed
            .iter()
            .zip(&self.after)
            .map(|(&(index, m), next)| {
                if m.is_nan() {
                    return Err(Error::Internal(format!(
                        "motion of frame {index} without its previous frame"
                    )));
                }
                Ok(motion::motion2(index, m, *next))
            })
            .collect()
    }
}

/// The scratch buffers of scoring one distorted frame of a size (about 2 bytes per pixel).
struct Scratch {
    size: (usize, usize),
    vif: VifScratch,
    adm: AdmScratch,
}

thread_local! {
    /// The thread's scratch buffers, reused by every scorer of their size that scores on the
    /// thread (their contents never carry over from one frame to the next), so that a pass
    /// of many points holds one set per thread instead of one per point.
    static SCRATCH: std::cell::Cell<Option<Box<Scratch>>> = const { std::cell::Cell::new(None) };
}

/// One point's native VMAF: the features of each scored frame, fused when motion is known,
/// by one model or several that share the features (the same enhancement gain limits: v0.6.1,
/// its phone transform and the 4k model do).
pub struct NativeScorer {
    /// The models, the first one's scores first; all with the same gain limits.
    models: Vec<&'static Model>,
    size: (usize, usize),
    /// Each scored frame's position in the pass and its features (motion still 0).
    frames: Vec<(usize, Features)>,
}

impl NativeScorer {
    /// A scorer for `model` of frames of `width` x `height`.
    ///
    /// # Panics
    /// If either side is below 16 pixels.
    pub fn new(model: VmafModel, width: usize, height: usize) -> Result<Self> {
        Self::with_models(&[model], width, height)
    }

    /// A scorer for several `models` (at least one) that share their features; fails when
    /// their enhancement gain limits differ ([`Self::shares_features`]).
    pub fn with_models(models: &[VmafModel], width: usize, height: usize) -> Result<Self> {
        let models = models
            .iter()
            .map(|&m| Model::get(m))
            .collect::<Result<Vec<_>>>()?;
        let first = models
            .first()
            .ok_or_else(|| Error::Internal("a VMAF scorer without a model".into()))?;
        if models.iter().any(|m| !same_features(first, m)) {
            return Err(Error::Internal(
                "VMAF models with different enhancement gain limits share a scorer".into(),
            ));
        }
        // The thread's scratch buffers, made now (which checks the size up front).
        Self::keep_scratch(Self::scratch((width, height)));
        Ok(NativeScorer {
            models,
            size: (width, height),
            frames: Vec::new(),
        })
    }

    /// Whether models `a` and `b` are computed from the same features (and so can share one
    /// scorer).
    pub fn shares_features(a: VmafModel, b: VmafModel) -> Result<bool> {
        Ok(same_features(Model::get(a)?, Model::get(b)?))
    }

    /// The thread's scratch buffers for frames of `size` (new ones if it holds none, or
    /// others); give them back with [`Self::keep_scratch`].
    fn scratch(size: (usize, usize)) -> Box<Scratch> {
        match SCRATCH.take() {
            Some(s) if s.size == size => s,
            _ => Box::new(Scratch {
                size,
                vif: VifScratch::new(size.0, size.1),
                adm: AdmScratch::new(size.0, size.1),
            }),
        }
    }

    fn keep_scratch(scratch: Box<Scratch>) {
        SCRATCH.set(Some(scratch));
    }

    /// Score the fed frame at `position` (0 for the first frame of the pass) against its
    /// prepared reference.
    pub fn push(&mut self, position: usize, reference: &FrameReference, distorted: Plane<'_>) {
        let mut scratch = Self::scratch(self.size);
        let v = vif::vif(
            &reference.vif,
            distorted,
            &mut scratch.vif,
            self.models[0].vif_enhn_gain_limit(),
        );
        let a = adm::adm(
            &reference.adm,
            distorted,
            &mut scratch.adm,
            self.models[0].adm_enhn_gain_limit(),
        );
        Self::keep_scratch(scratch);
        self.frames.push((
            position,
            Features {
                adm2: a.adm2(),
                motion2: 0.0,
                vif: [v.scale(0), v.scale(1), v.scale(2), v.scale(3)],
            },
        ));
    }

    /// The score of every scored frame, in order, by the first model; `motion2[p]` is the
    /// motion2 of the fed frame at position `p`.
    pub fn finish(self, motion2: &[f64]) -> Result<Vec<f64>> {
        Ok(self.finish_all(motion2)?.swap_remove(0))
    }

    /// Every model's scores of every scored frame, in the models' order.
    pub fn finish_all(mut self, motion2: &[f64]) -> Result<Vec<Vec<f64>>> {
        for (p, f) in &mut self.frames {
            f.motion2 = *motion2
                .get(*p)
                .ok_or_else(|| Error::Internal(format!("no motion for frame {p} of the pass")))?;
        }
        Ok(self
            .models
            .iter()
            .map(|m| self.frames.iter().map(|(_, f)| m.predict(f)).collect())
            .collect())
    }
}

/// Whether two models' features are computed alike (the same enhancement gain limits).
fn same_features(a: &Model, b: &Model) -> bool {
    a.vif_enhn_gain_limit() == b.vif_enhn_gain_limit()
        && a.adm_enhn_gain_limit() == b.adm_enhn_gain_limit()
}
