//! Encoding: the codecs pertitle drives ([`codec`]), one [`encoder::Encoder`] for all of
//! them with keyframes on segment boundaries ([`segment`]), the CPU time an encode costs
//! ([`cputime`], the encoder library's own threads included), and the RFC 6381 `CODECS`
//! strings read back from the encoded streams' headers ([`codecs_string`]); how each encode
//! spends its bits: constant quality, capped CRF, one- and two-pass bitrates ([`rate_control`]).

pub mod codec;
pub(crate) mod codecs_string;
pub(crate) mod cputime;
pub mod encoder;
pub mod rate_control;
pub(crate) mod segment;
