//! The combination of per-shot hulls at one slope (the Dynamic Optimizer).
