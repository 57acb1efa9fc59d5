//! Pictures of frames, drawn with the `image` crate: frames as RGB ([`rgb`]), heat maps of
//! local error ([`heatmap`]), crops, zooms and labelled composites ([`compose`]), and the
//! text in them ([`text`]).

pub mod compose;
pub mod heatmap;
pub mod rgb;
pub mod text;
