//! One viewing session: a player fetching a title's segments over a network trace, one at a
//! time, with an ABR algorithm choosing each segment's rung.
//!
//! The model, event by event (every rule here is also Sabre's, except the startup
//! threshold, which is Sabre's when `startup_s` is 0, and abandonment, below):
//!
//! - **Requests.** Segments are fetched one after another, with no gap other than these
//!   waits: before a request, if the buffer has no room for the whole next segment (its
//!   level plus the segment's duration exceeds `buffer_s`), the player waits until it has;
//!   then the algorithm may ask for a further wait ([`Decision::wait_s`], BOLA does when
//!   the buffer is above its target). The first segment is requested at time 0.
//! - **Downloads.** Each request pays the trace's latency once, then the segment's bits
//!   arrive at the trace's bandwidth, integrated exactly over its periods
//!   ([`Network`]); the trace loops when it ends.
//! - **Playback.** Playback starts when the buffer holds `startup_s` seconds of video (at
//!   least one segment; all of it when the title is shorter): the time until then is the
//!   startup delay. The buffer drains in real time while playing. When it empties before
//!   the session's last segment has arrived, playback stalls; it resumes, under the same
//!   threshold as startup, when enough has arrived. A stall's time counts from the moment
//!   the buffer ran dry.
//! - **Length.** The title loops until `session_s` seconds of video have been fetched
//!   (the last segment is played whole); `None` plays the title once. At the end the
//!   buffer is played out.
//! - **Abandonment.** When enabled and the algorithm defines it, a download is checked
//!   every 50 ms as its bits arrive (Sabre's `min_progress_time`); given up, its bits still
//!   count as fetched, it is reported to the algorithm as abandoned, and the same segment is
//!   requested again at the rung the algorithm named, with no wait. (Sabre's own retry is
//!   broken: after abandoning it never requests the lower rung, so this part is not
//!   compared with it.)
//! - **Cap.** A session gives up once its clock passes ten times the video's length plus
//!   ten minutes (a link that carries nothing, or almost nothing): the result says
//!   `capped`, and the waiting counts as startup delay or stall time.

use crate::simulate::abr::{Abr, Context, Decision, Download, Progress};
use crate::simulate::movie::Movie;
use crate::simulate::network::{Network, Trace};
use std::collections::VecDeque;

/// How a session plays.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SessionOptions {
    /// The most video the buffer holds, seconds.
    pub buffer_s: f64,
    /// Video buffered before playback starts (and resumes after a stall), seconds.
    pub startup_s: f64,
    /// Seconds of video to watch (the title loops); `None`: the title once.
    pub session_s: Option<f64>,
    /// Let the algorithm abandon downloads.
    pub abandonment: bool,
    /// Keep the events for a timeline plot.
    pub record: bool,
}

/// The buffer size Sabre and dash.js use by default, seconds.
pub const DEFAULT_BUFFER_S: f64 = 25.0;
/// The default startup threshold, seconds.
pub const DEFAULT_STARTUP_S: f64 = 2.0;
/// How often a download is checked when abandonment is on, seconds (Sabre: 50 ms).
pub const ABANDON_CHECK_S: f64 = 0.05;

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            buffer_s: DEFAULT_BUFFER_S,
            startup_s: DEFAULT_STARTUP_S,
            session_s: Some(600.0),
            abandonment: false,
            record: false,
        }
    }
}

/// A segment as played.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Played {
    /// The title's segment.
    pub segment: usize,
    /// The rung.
    pub rung: usize,
    /// Its duration, seconds.
    pub duration_s: f64,
    /// Its quality.
    pub quality: f64,
    /// Its bits.
    pub bits: f64,
}

/// One download, for the timeline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fetch {
    /// When it was requested, seconds.
    pub start_s: f64,
    /// When its last bit arrived (or it was given up), seconds.
    pub end_s: f64,
    /// The rung.
    pub rung: usize,
    /// Throughput while bits flowed, kbit/s.
    pub throughput_kbps: f64,
    /// Given up.
    pub abandoned: bool,
}

/// What happened over time, for plots.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline {
    /// Every download.
    pub fetches: Vec<Fetch>,
    /// Buffer level, `(time s, level s)`, at every change of slope or jump.
    pub buffer: Vec<(f64, f64)>,
    /// Stalls, `(start s, end s)`.
    pub stalls: Vec<(f64, f64)>,
}

/// The outcome of one session.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// Seconds from the first request to the start of playback.
    pub startup_s: f64,
    /// Stalls after playback started.
    pub stalls: usize,
    /// Their total time, seconds.
    pub stall_s: f64,
    /// The segments played, in order.
    pub played: Vec<Played>,
    /// Bits fetched, abandoned downloads included.
    pub bits_fetched: f64,
    /// Downloads given up.
    pub abandoned: usize,
    /// From the first request to the end of playback, seconds.
    pub wall_s: f64,
    /// The session gave up at its cap.
    pub capped: bool,
    /// The events, when asked for.
    pub timeline: Option<Timeline>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Starting,
    Playing,
    Stalled,
}

/// The buffer and the playback clock.
struct Player {
    state: State,
    /// Durations of the buffered segments, oldest first.
    buffer: VecDeque<f64>,
    /// Seconds already played of the oldest buffered segment.
    into_head: f64,
    now: f64,
    startup_s: f64,
    stalls: usize,
    stall_s: f64,
    timeline: Option<Timeline>,
}

impl Player {
    fn level(&self) -> f64 {
        self.buffer.iter().sum::<f64>() - self.into_head
    }

    fn mark(&mut self) {
        let (now, level) = (self.now, self.level());
        if let Some(t) = &mut self.timeline {
            t.buffer.push((now, level));
        }
    }

    /// Let `dt` seconds pass.
    fn advance(&mut self, dt: f64) {
        if dt <= 0.0 {
            return;
        }
        match self.state {
            State::Starting => self.startup_s += dt,
            State::Stalled => self.stall_s += dt,
            State::Playing => {
                let mut left = dt;
                while left > 0.0 {
                    let Some(&head) = self.buffer.front() else {
                        break;
                    };
                    let rest = head - self.into_head;
                    if left < rest {
                        self.into_head += left;
                        left = 0.0;
                    } else {
                        self.buffer.pop_front();
                        self.into_head = 0.0;
                        left -= rest;
                    }
                }
                if left > 1e-9 {
                    self.now += dt - left;
                    self.mark();
                    self.state = State::Stalled;
                    self.stalls += 1;
                    self.stall_s += left;
                    if let Some(t) = &mut self.timeline {
                        t.stalls.push((self.now, self.now + left));
                    }
                    self.now += left;
                    return;
                }
            }
        }
        self.now += dt;
    }

    /// A segment of `duration` seconds arrived; playback (re)starts when `threshold`
    /// seconds are buffered.
    fn arrive(&mut self, duration: f64, threshold: f64) {
        self.mark();
        self.buffer.push_back(duration);
        if self.state != State::Playing && self.level() >= threshold - 1e-9 {
            if self.state == State::Stalled
                && let Some(s) = self.timeline.as_mut().and_then(|t| t.stalls.last_mut())
            {
                s.1 = self.now;
            }
            self.state = State::Playing;
        }
        self.mark();
    }
}

/// The number of segments a session fetches.
pub fn session_segments(movie: &Movie, session_s: Option<f64>) -> usize {
    let Some(target) = session_s else {
        return movie.segments();
    };
    // Whole loops of the title, then the segments of the last, partial one.
    let title = movie.duration_s();
    let loops = ((target / title).floor().max(0.0) as usize).saturating_sub(1);
    let (mut k, mut total) = (loops * movie.segments(), loops as f64 * title);
    while total < target - 1e-9 || k == 0 {
        total += movie.segment_durations_s[k % movie.segments()];
        k += 1;
    }
    k
}

/// Play `movie` over `trace` from `offset_s` seconds into it, with `abr` choosing.
pub fn play(
    movie: &Movie,
    trace: &Trace,
    offset_s: f64,
    abr: &mut dyn Abr,
    options: &SessionOptions,
) -> Session {
    let total = session_segments(movie, options.session_s);
    let video_s: f64 = (0..total)
        .map(|k| movie.segment_durations_s[k % movie.segments()])
        .sum();
    let cap_s = 10.0 * video_s + 600.0;
    let threshold = options.startup_s.min(options.buffer_s);
    let mut player = Player {
        state: State::Starting,
        buffer: VecDeque::new(),
        into_head: 0.0,
        now: 0.0,
        startup_s: 0.0,
        stalls: 0,
        stall_s: 0.0,
        timeline: options.record.then(Timeline::default),
    };
    let mut session = Session {
        startup_s: 0.0,
        stalls: 0,
        stall_s: 0.0,
        played: Vec::with_capacity(total.min(1 << 16)),
        bits_fetched: 0.0,
        abandoned: 0,
        wall_s: 0.0,
        capped: false,
        timeline: None,
    };
    let mut network = Network::new(trace, offset_s);
    let mut last_rung = None;
    'session: for i in 0..total {
        let segment = i % movie.segments();
        let duration = movie.segment_durations_s[segment];
        let ctx = |player: &Player, last_rung| Context {
            movie,
            segment,
            remaining: total - i,
            buffer_s: player.level(),
            buffer_max_s: options.buffer_s,
            last_rung,
        };
        let decision = if i == 0 {
            Decision::now(abr.first(&ctx(&player, None)))
        } else {
            let full = player.level() + duration - options.buffer_s;
            if full > 0.0 && player.state == State::Playing {
                player.advance(full);
                network.idle(full);
                abr.on_wait(full);
                player.mark();
            }
            abr.choose(&ctx(&player, last_rung))
        };
        if decision.wait_s > 0.0 {
            player.advance(decision.wait_s);
            network.idle(decision.wait_s);
            player.mark();
        }
        let mut rung = decision.rung.min(movie.rungs.len() - 1);
        loop {
            let bits = movie.rungs[rung].segment_bits[segment];
            let start = network.now_s();
            let latency = network.latency();
            player.advance(latency);
            let mut received = 0.0;
            let mut given_up = None;
            if options.abandonment && abr.abandons() {
                // Check on the download every ABANDON_CHECK_S as its bits arrive.
                loop {
                    let left = cap_s - network.now_s();
                    if left <= 0.0 {
                        session.bits_fetched += received;
                        session.capped = true;
                        break 'session;
                    }
                    let before = network.now_s();
                    let (got, done) = network.receive(bits - received, ABANDON_CHECK_S.min(left));
                    player.advance(network.now_s() - before);
                    received += got;
                    if done {
                        received = bits;
                        break;
                    }
                    let progress = Progress {
                        rung,
                        bits,
                        received,
                        elapsed_s: network.now_s() - start,
                        latency_s: latency,
                    };
                    if let Some(lower) = abr.abandon(&ctx(&player, last_rung), &progress) {
                        given_up = Some(lower.min(rung));
                        break;
                    }
                }
            } else {
                let left = (cap_s - network.now_s()).max(0.0);
                let Some(dt) = network.transfer_within(bits, left) else {
                    player.advance(left);
                    session.capped = true;
                    break 'session;
                };
                player.advance(dt);
                received = bits;
            }
            let download = Download {
                rung,
                bits: received,
                time_s: network.now_s() - start,
                latency_s: latency,
                abandoned: given_up.is_some(),
            };
            session.bits_fetched += received;
            if let Some(t) = &mut player.timeline {
                t.fetches.push(Fetch {
                    start_s: start,
                    end_s: network.now_s(),
                    rung,
                    throughput_kbps: download.throughput_kbps(),
                    abandoned: download.abandoned,
                });
            }
            abr.on_download(&download);
            match given_up {
                Some(lower) => {
                    session.abandoned += 1;
                    rung = lower;
                }
                None => break,
            }
        }
        let last = i + 1 == total;
        player.arrive(duration, if last { 0.0 } else { threshold });
        session.played.push(Played {
            segment,
            rung,
            duration_s: duration,
            quality: movie.rungs[rung].segment_quality[segment],
            bits: movie.rungs[rung].segment_bits[segment],
        });
        last_rung = Some(rung);
        if player.now >= cap_s {
            session.capped = true;
            break;
        }
    }
    if player.state == State::Playing {
        let rest = player.level();
        player.advance(rest);
        player.mark();
    }
    session.startup_s = player.startup_s;
    session.stalls = player.stalls;
    session.stall_s = player.stall_s;
    session.wall_s = player.now;
    session.timeline = player.timeline;
    session
}

#[cfg(test)]
mod tests;
