//! Who watches: device classes and the networks they watch over.
//!
//! - [`device`]: a class of device: the largest frame and bitrate it plays, its decoders, the
//!   display and VMAF model its viewers' quality is judged with, and its share of viewers;
//! - [`bandwidth`]: a distribution of viewers' bandwidth (from a trace set's sustainable
//!   throughput, or from parameters), kept as 101 quantiles;
//! - [`mix`]: a viewer mix: devices, each with a share and a bandwidth distribution, read
//!   from a JSON file, which a ladder can be chosen for;
//! - [`cost`]: what serving a ladder costs: delivery and storage at prices per GB.

pub mod bandwidth;
pub mod cost;
pub mod device;
pub mod mix;
