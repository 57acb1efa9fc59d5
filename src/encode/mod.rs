//! Encoding: the codecs pertitle drives ([`codec`]), one [`encoder::Encoder`] for all of
//! them with keyframes on segment boundaries ([`segment`]), the CPU time an encode costs
//! ([`cputime`], the encoder library's own threads included), and the RFC 6381 `CODECS`
//! strings read back from the encoded streams' headers ([`codecs_string`]).

pub mod codec;
pub(crate) mod codecs_string;
pub(crate) mod cputime;
pub mod encoder;
pub(crate) mod segment;
