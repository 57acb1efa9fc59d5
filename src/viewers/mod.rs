//! Who watches: device classes and the networks they watch over.
//!
//! - [`device`]: a class of device: the largest frame and bitrate it plays, its decoders, the
//!   display and VMAF model its viewers' quality is judged with, and its share of viewers;
//! - [`cost`]: what serving a ladder costs: delivery and storage at prices per GB.

pub mod cost;
pub mod device;
