//! dash.js's `abrDynamic` (Sabre's `dynamic`, Spiteri et al., MMSys 2018): the throughput
//! rule while the buffer is low, BOLA once it is high.
//!
//! It starts with the throughput rule. It switches to BOLA when the buffer holds more than
//! 10 s and BOLA would pick a rung at least as high as the throughput rule's; it switches
//! back when the buffer falls below 10 s and BOLA would pick a lower rung. Both rules
//! decide every time (so each keeps its own state); the active one's decision is taken.
//! Abandonment is the throughput rule's.

use crate::simulate::abr::bola::Bola;
use crate::simulate::abr::throughput::{ThroughputRule, abandon_for_throughput};
use crate::simulate::abr::{Abr, AbrSettings, Context, Decision, Download, Progress};
use crate::simulate::movie::Movie;

/// The buffer level around which it switches, seconds.
pub const SWITCH_BUFFER_S: f64 = 10.0;

/// The switching rule.
#[derive(Debug, Clone)]
pub struct Dynamic {
    bola: Bola,
    throughput: ThroughputRule,
    using_bola: bool,
}

impl Dynamic {
    /// For `movie` with a buffer of `buffer_max_s`.
    pub fn new(movie: &Movie, buffer_max_s: f64, settings: &AbrSettings) -> Self {
        Dynamic {
            bola: Bola::new(movie, buffer_max_s, settings),
            throughput: ThroughputRule::new(movie, settings.safety),
            using_bola: false,
        }
    }
}

impl Abr for Dynamic {
    fn first(&mut self, _ctx: &Context) -> usize {
        0
    }

    fn choose(&mut self, ctx: &Context) -> Decision {
        let b = self.bola.choose(ctx);
        let t = self.throughput.choose(ctx);
        if self.using_bola {
            if ctx.buffer_s < SWITCH_BUFFER_S && b.rung < t.rung {
                self.using_bola = false;
            }
        } else if ctx.buffer_s > SWITCH_BUFFER_S && b.rung >= t.rung {
            self.using_bola = true;
        }
        if self.using_bola { b } else { t }
    }

    fn on_download(&mut self, d: &Download) {
        self.bola.on_download(d);
        self.throughput.on_download(d);
    }

    fn abandons(&self) -> bool {
        true
    }

    fn abandon(&mut self, ctx: &Context, p: &Progress) -> Option<usize> {
        abandon_for_throughput(ctx, p)
    }
}
