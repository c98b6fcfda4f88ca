//! reconnect: when to send the request again, and how long to wait first.
//! The `Reconnector` owns the count of requests made, the run of
//! consecutive failures, the current reconnection time (a server's `retry:`
//! replaces it), `--max-retries`, `Retry-After` and the backoff floor. Pure:
//! the caller makes the requests, sleeps, and supplies the randomness.
//!
//! The first wait after a stream ends is the reconnection time, as the spec
//! says; each further consecutive failure doubles it up to `--retry-max`,
//! with 0–25 % of jitter. However small the reconnection time (`--retry 0`,
//! or `retry: 0` from a server) and whatever `Retry-After` says, no wait is
//! shorter than the floor, and the floor doubles with the failures too: a
//! server cannot make ssetap hammer it.
//!
//! Nor park it: a wait a server asks for (`retry:`, `Retry-After` in either
//! form) is cut to a ceiling, `SERVER_WAIT_MAX` or `--retry-max` if that is
//! longer, and every sum and product here saturates, so no number a server
//! sends can overflow.

use std::time::Duration;

/// The shortest wait before any reconnect (documented in `--help`).
pub const FLOOR: Duration = Duration::from_millis(100);

/// The longest wait a server's `retry:` or `Retry-After` can impose, unless
/// `--retry-max` is longer (documented in `--help`). An hour honours a
/// server's maintenance window or rate limit, and is short enough that a
/// bridge whose server asked for a year comes back by itself.
pub const SERVER_WAIT_MAX: Duration = Duration::from_secs(3600);

/// A wait a server asked for, cut to `ceiling`; true when it was cut.
pub fn cap(asked: Duration, ceiling: Duration) -> (Duration, bool) {
    (asked.min(ceiling), asked > ceiling)
}

/// The reconnect settings of a run.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The initial reconnection time.
    pub retry: Duration,
    /// The longest backoff (a server's longer `retry:` or `Retry-After` is
    /// kept, up to the longer of this and `SERVER_WAIT_MAX`).
    pub retry_max: Duration,
    /// At most this many requests after the first.
    pub max_retries: Option<u64>,
    /// Send the request again once a stream began (ended or lost)?
    pub resend: Resend,
}

/// Whether a request is sent again after its stream began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resend {
    /// Yes: a GET stream, or `--reconnect`.
    Always,
    /// No: `--no-reconnect`; also no retry of a failed attempt.
    Never,
    /// No: the request has a body and is sent once (failures before any
    /// response body are still retried).
    OneShot,
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// The server ended the stream cleanly.
    Ended,
    /// The stream was lost (a reset, an idle timeout): `why`.
    Lost(String),
    /// No stream: the connection failed or the server answered with a
    /// status worth retrying; `after` is its `Retry-After`.
    Refused {
        why: String,
        after: Option<Duration>,
    },
}

/// What to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Wait this long, then send the request again.
    Wait(Duration),
    /// The run is done: exit 0 (this says why).
    Done(String),
    /// The run failed: exit 1 with this message.
    GiveUp(String),
}

#[derive(Debug)]
pub struct Reconnector {
    policy: Policy,
    requests: u64,
    failures: u32,
    retry: Duration,
    streamed: bool,
    /// A `retry:` field was cut to the ceiling (said once).
    cut_retry: bool,
}

impl Reconnector {
    pub fn new(policy: Policy) -> Reconnector {
        Reconnector {
            retry: policy.retry,
            policy,
            requests: 0,
            failures: 0,
            streamed: false,
            cut_retry: false,
        }
    }

    /// A request is about to be sent; returns its number (1 = the first).
    pub fn begin(&mut self) -> u64 {
        self.requests += 1;
        self.requests
    }

    /// A response body began: the stream is live.
    pub fn streaming(&mut self) {
        self.streamed = true;
    }

    /// Has any attempt reached a stream?
    pub fn ever_streamed(&self) -> bool {
        self.streamed
    }

    /// The connection delivered an event: the backoff starts over.
    pub fn progress(&mut self) {
        self.failures = 0;
    }

    /// The longest wait a server can ask for: `SERVER_WAIT_MAX`, or
    /// `--retry-max` if longer.
    pub fn ceiling(&self) -> Duration {
        SERVER_WAIT_MAX.max(self.policy.retry_max)
    }

    /// The server's `retry:` field, in milliseconds, cut to the ceiling.
    /// Returns the ceiling the first time a field is cut (to be said once:
    /// a server may send the field with every event).
    pub fn set_retry(&mut self, ms: u64) -> Option<Duration> {
        let (retry, cut) = cap(Duration::from_millis(ms), self.ceiling());
        self.retry = retry;
        let first = cut && !self.cut_retry;
        self.cut_retry |= cut;
        first.then_some(retry)
    }

    /// A `Retry-After` the server sent, cut to the ceiling; true when cut.
    pub fn server_wait(&self, asked: Duration) -> (Duration, bool) {
        cap(asked, self.ceiling())
    }

    /// The current reconnection time.
    pub fn retry(&self) -> Duration {
        self.retry
    }

    /// Connections made after the first (requests sent minus one).
    pub fn reconnects(&self) -> u64 {
        self.requests.saturating_sub(1)
    }

    /// `--max-retries`, if given.
    pub fn max_retries(&self) -> Option<u64> {
        self.policy.max_retries
    }

    /// Consecutive failures so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The attempt ended so; `jitter` is a random number in [0, 1).
    pub fn after(&mut self, ending: &Ending, jitter: f64) -> Next {
        let (why, after) = match ending {
            Ending::Ended => ("the server ended the stream".to_string(), None),
            Ending::Lost(why) => (why.clone(), None),
            Ending::Refused { why, after } => (why.clone(), after.map(|a| a.min(self.ceiling()))),
        };
        let began = !matches!(ending, Ending::Refused { .. });
        match self.policy.resend {
            Resend::Never if *ending == Ending::Ended => {
                return Next::Done(format!("{why} (--no-reconnect)"));
            }
            Resend::Never => return Next::GiveUp(why),
            Resend::OneShot if *ending == Ending::Ended => return Next::Done(why),
            Resend::OneShot if began => {
                return Next::GiveUp(format!(
                    "{why}; not retried: a request with a body is sent once (--reconnect to resend)"
                ));
            }
            _ => {}
        }
        if let Some(max) = self.policy.max_retries
            && self.requests > max
        {
            return Next::GiveUp(format!(
                "{why}; giving up after {max} {} (--max-retries)",
                if max == 1 { "retry" } else { "retries" }
            ));
        }
        self.failures = self.failures.saturating_add(1);
        Next::Wait(delay(
            self.failures,
            self.retry,
            self.policy.retry_max,
            jitter,
            after,
        ))
    }
}

/// The wait before reconnect attempt number `failures` (1 = the first try
/// after a connection ended): the reconnection time, doubled for each
/// further failure up to `max` (or `base`, if larger), less 0–25 % jitter;
/// a longer `Retry-After` wins. Never under the floor, which doubles too.
pub fn delay(
    failures: u32,
    base: Duration,
    max: Duration,
    jitter: f64,
    retry_after: Option<Duration>,
) -> Duration {
    let doubling = 1u32 << failures.saturating_sub(1).min(20);
    let cap = max.max(base).max(FLOOR);
    let floor = FLOOR.saturating_mul(doubling).min(cap);
    let wait = if failures <= 1 {
        base
    } else {
        let full = base.saturating_mul(doubling).min(max.max(base));
        // Never more than `full`: Duration::mul_f64 panics on a result
        // past Duration::MAX, which f64 rounding can reach near it.
        let factor = 1.0 - 0.25 * jitter.clamp(0.0, 1.0);
        Duration::try_from_secs_f64(full.as_secs_f64() * factor).map_or(full, |d| d.min(full))
    };
    let wait = wait.max(floor);
    match retry_after {
        Some(after) => after.max(floor),
        None => wait,
    }
}

#[cfg(test)]
mod tests;
