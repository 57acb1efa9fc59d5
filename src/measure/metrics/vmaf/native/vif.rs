//! (placeholder until the vif implementation lands: scores nothing)
#![allow(missing_docs, unused_variables, dead_code)]
use crate::measure::metrics::Plane;
pub struct VifReference {
    width: usize,
    height: usize,
}
impl VifReference {
    pub fn new(width: usize, height: usize) -> Self {
        VifReference { width, height }
    }
    pub fn compute(&mut self, luma: Plane<'_>) {}
}
pub struct VifScratch;
impl VifScratch {
    pub fn new(width: usize, height: usize) -> Self {
        VifScratch
    }
}
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VifScores {
    pub num: [f64; 4],
    pub den: [f64; 4],
}
impl VifScores {
    pub fn scale(&self, s: usize) -> f64 {
        1.0
    }
    pub fn adm2(&self) -> f64 {
        1.0
    }
}
pub fn vif(
    reference: &VifReference,
    distorted: Plane<'_>,
    scratch: &mut VifScratch,
    enhn_gain_limit: f64,
) -> VifScores {
    VifScores {
        num: [1.0; 4],
        den: [1.0; 4],
    }
}
