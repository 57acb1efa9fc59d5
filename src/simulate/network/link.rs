//! A place on a looped trace, moving forward as requests wait, transfer and idle.

use super::{Period, Trace};

/// A place on a looped trace, moving forward as time passes.
#[derive(Debug, Clone)]
pub struct Network<'a> {
    trace: &'a Trace,
    /// The current period.
    index: usize,
    /// Seconds already spent in the current period.
    into: f64,
    /// Seconds since the session started.
    now_s: f64,
    /// The share of one latency a whole loop of the trace pays; `None` when some period has
    /// no latency (a latency then ends within one loop).
    latency_per_loop: Option<f64>,
}

impl<'a> Network<'a> {
    /// The network `offset_s` seconds into `trace` (wrapped to its length), at session time 0.
    pub fn new(trace: &'a Trace, offset_s: f64) -> Self {
        let latency_per_loop = trace
            .periods
            .iter()
            .map(|p| (p.latency_ms > 0.0).then(|| p.duration_ms / p.latency_ms))
            .sum();
        let mut n = Network {
            trace,
            index: 0,
            into: 0.0,
            now_s: 0.0,
            latency_per_loop,
        };
        let offset = offset_s.max(0.0) % trace.duration_s;
        n.idle(if offset.is_finite() { offset } else { 0.0 });
        n.now_s = 0.0;
        n
    }

    /// Seconds since the session started.
    pub fn now_s(&self) -> f64 {
        self.now_s
    }

    /// The current period and the seconds left in it.
    fn period(&self) -> (Period, f64) {
        let p = self.trace.periods[self.index];
        (p, (p.duration_ms / 1000.0 - self.into).max(0.0))
    }

    fn next_period(&mut self) {
        self.index = (self.index + 1) % self.trace.periods.len();
        self.into = 0.0;
    }

    fn advance(&mut self, seconds: f64) {
        self.into += seconds;
        self.now_s += seconds;
    }

    /// Let `loops` whole loops of the trace pass: the same place, later.
    fn skip_loops(&mut self, loops: f64) {
        if loops > 0.0 {
            self.now_s += loops * self.trace.duration_s;
        }
    }

    /// Let `seconds` pass without a transfer (a player waiting for room in its buffer).
    /// An infinite wait leaves the network at an infinite time.
    pub fn idle(&mut self, seconds: f64) {
        let mut left = seconds.max(0.0);
        if left.is_infinite() {
            self.now_s = f64::INFINITY;
            return;
        }
        let loops = (left / self.trace.duration_s).floor();
        self.skip_loops(loops);
        left = (left - loops * self.trace.duration_s).max(0.0);
        loop {
            let (_, remaining) = self.period();
            if left < remaining {
                self.advance(left);
                return;
            }
            self.advance(remaining);
            left -= remaining;
            self.next_period();
        }
    }

    /// Pay one request's latency: the time it took, seconds.
    pub fn latency(&mut self) -> f64 {
        let start = self.now_s;
        // The share of one latency still to pay.
        let mut share = 1.0;
        if let Some(per_loop) = self.latency_per_loop {
            // Whole loops pay `per_loop` each; keep the last one to walk.
            let loops = (share / per_loop).ceil() - 1.0;
            if loops > 0.0 {
                self.skip_loops(loops);
                share = (share - loops * per_loop).max(0.0);
            }
        }
        loop {
            let (p, remaining) = self.period();
            let latency_s = p.latency_ms / 1000.0;
            let wanted = share * latency_s;
            if wanted <= remaining {
                self.advance(wanted);
                return self.now_s - start;
            }
            if latency_s > 0.0 {
                share -= remaining / latency_s;
            }
            self.advance(remaining);
            self.next_period();
        }
    }

    /// Transfer `bits` if the trace carries any: the time it took, seconds; `None` (and no
    /// time passes) when bits are wanted and the trace carries none.
    fn carry(&mut self, bits: f64) -> Option<f64> {
        let start = self.now_s;
        let mut left = bits.max(0.0);
        if left == 0.0 {
            return Some(0.0);
        }
        let per_loop = self.trace.bits_per_loop;
        if per_loop <= 0.0 || left.is_infinite() {
            return None;
        }
        // Whole loops carry `per_loop` bits each; keep the last (partial or whole) to walk,
        // so that the transfer ends where the last bit arrives.
        let loops = (left / per_loop).ceil() - 1.0;
        if loops > 0.0 {
            self.skip_loops(loops);
            left -= loops * per_loop;
        }
        // Rounding can leave a few bits of a loop's worth over at its end: they are done.
        while left > per_loop * 1e-12 {
            let (p, remaining) = self.period();
            let rate = p.bandwidth_kbps * 1000.0;
            if rate * remaining >= left {
                self.advance(left / rate);
                break;
            }
            left -= rate * remaining;
            self.advance(remaining);
            self.next_period();
        }
        Some(self.now_s - start)
    }

    /// Receive at most `bits` for at most `seconds`: the bits received, and whether that
    /// was all of them (then the clock stops at the last bit, else after `seconds`). A
    /// player checking on a download as it progresses calls this in steps.
    pub fn receive(&mut self, bits: f64, seconds: f64) -> (f64, bool) {
        let (mut left, mut time) = (bits.max(0.0), seconds.max(0.0));
        let mut got = 0.0;
        loop {
            if left <= 0.0 {
                return (got, true);
            }
            if time <= 0.0 {
                return (got, false);
            }
            let (p, remaining) = self.period();
            let rate = p.bandwidth_kbps * 1000.0;
            let dt = remaining.min(time);
            if rate * dt >= left {
                self.advance(left / rate);
                return (got + left, true);
            }
            got += rate * dt;
            left -= rate * dt;
            time -= dt;
            self.advance(dt);
            if dt >= remaining {
                self.next_period();
            }
        }
    }

    /// Transfer `bits` (after the request's latency, which [`latency`](Self::latency) pays):
    /// the time it took, seconds. On a trace that carries no bits, any bits take forever:
    /// `f64::INFINITY`, and the network is left at an infinite time
    /// ([`transfer_within`](Self::transfer_within) stops at a deadline instead).
    pub fn transfer(&mut self, bits: f64) -> f64 {
        self.carry(bits).unwrap_or_else(|| {
            self.idle(f64::INFINITY);
            f64::INFINITY
        })
    }

    /// Fetch `bits`: one latency, then the transfer. The time it took, seconds
    /// (`f64::INFINITY` as for [`transfer`](Self::transfer)).
    pub fn download(&mut self, bits: f64) -> f64 {
        self.latency() + self.transfer(bits)
    }

    /// Transfer `bits` if the last arrives within `max_s` seconds: the time it took. Else
    /// `None`, and the network is `max_s` seconds later (the time spent waiting), so that a
    /// session can stop at a cap of simulated time and report the stall. Never hangs, even
    /// on a trace that carries no bits.
    pub fn transfer_within(&mut self, bits: f64, max_s: f64) -> Option<f64> {
        let mut ahead = self.clone();
        match ahead.carry(bits) {
            Some(took) if took <= max_s => {
                *self = ahead;
                Some(took)
            }
            _ => {
                self.idle(max_s);
                None
            }
        }
    }

    /// Fetch `bits` (one latency, then the transfer) if it ends within `max_s` seconds: the
    /// time it took. Else `None`, and the network is `max_s` seconds later, as for
    /// [`transfer_within`](Self::transfer_within).
    pub fn download_within(&mut self, bits: f64, max_s: f64) -> Option<f64> {
        let mut ahead = self.clone();
        let latency = ahead.latency();
        match ahead.carry(bits) {
            Some(took) if latency + took <= max_s => {
                *self = ahead;
                Some(latency + took)
            }
            _ => {
                self.idle(max_s);
                None
            }
        }
    }
}
