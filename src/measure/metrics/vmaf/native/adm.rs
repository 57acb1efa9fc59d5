//! (placeholder until the adm implementation lands: scores nothing)
#![allow(missing_docs, unused_variables, dead_code)]
use crate::measure::metrics::Plane;
pub struct AdmReference {
    width: usize,
    height: usize,
}
impl AdmReference {
    pub fn new(width: usize, height: usize) -> Self {
        AdmReference { width, height }
    }
    pub fn compute(&mut self, luma: Plane<'_>) {}
}
pub struct AdmScratch;
impl AdmScratch {
    pub fn new(width: usize, height: usize) -> Self {
        AdmScratch
    }
}
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdmScores {
    pub num: [f64; 4],
    pub den: [f64; 4],
}
impl AdmScores {
    pub fn scale(&self, s: usize) -> f64 {
        1.0
    }
    pub fn adm2(&self) -> f64 {
        1.0
    }
}
pub fn adm(
    reference: &AdmReference,
    distorted: Plane<'_>,
    scratch: &mut AdmScratch,
    enhn_gain_limit: f64,
) -> AdmScores {
    AdmScores {
        num: [1.0; 4],
        den: [1.0; 4],
    }
}
