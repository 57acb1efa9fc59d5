//! Choosing which trial points to encode: every resolution x CRF of a [`grid`], or an
//! [`adaptive`] search that places points where the hull needs them, optionally at a faster
//! [`proxy`] preset calibrated against the final one; a [`plan`] turns a grid into work
//! units for a cluster.

pub mod adaptive;
pub mod grid;
pub mod plan;
pub mod proxy;
