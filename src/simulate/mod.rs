//! Playing a ladder over network traces: the network model first ([`network`]); the
//! playback session, the ABR algorithms and the QoE figures build on it.

pub mod network;
