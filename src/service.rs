//! service: what a running ssetap shows of itself besides its output — the
//! live `--stats` line on a terminal, the `--stats-interval` lines, the
//! `--metrics` endpoint (`/metrics`, `/healthz`) and systemd's notification
//! socket. The pipeline calls [`Service::checkpoint`] at each of its
//! checkpoints and says when a stream begins and ends; everything here is
//! decided on the main thread. The main loop passes a checkpoint at least
//! once a [`TICK`](crate::tick::TICK) even on a quiet stream (`tick`)
//! and while it waits to reconnect, so "fresh" means: at most a second old.
//!
//! systemd (only when `NOTIFY_SOCKET` is set): `READY=1` once the run has
//! started (before the first connection: a server that is down must not
//! fail the unit's start), `WATCHDOG=1` with a `STATUS=` line once a second
//! from the main loop — never from a side thread, so a hung main loop stops
//! it and the watchdog fires — and `STOPPING=1` at the end.

mod http_head;
mod http_serve;
mod metrics;
mod notify;

use crate::config::Config;
use crate::log::Log;
use crate::stats::{Stats, Ticker, plural};
use anyhow::Result;
use metrics::Board;
use notify::Notifier;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// How long the main loop may pass no checkpoint before `/healthz` says
/// it stalled, besides what the sink may hold it for: the systemd unit's
/// `WatchdogSec`.
const STALLED: Duration = Duration::from_secs(60);

/// The least time `/healthz` lets a reconnect take (twice `--retry-max`,
/// or this if that is shorter).
const RECONNECTING_MIN: Duration = Duration::from_secs(10);

pub struct Service {
    start: Instant,
    /// The live status line (`--stats` on a terminal), refreshed 4×/s.
    live: Option<Ticker>,
    /// Stdout is a terminal too, presumably the same one: the status line
    /// is cleared before output is written and drawn again after it.
    share_terminal: bool,
    /// The status line was cleared for output and is due again at once.
    redraw: bool,
    /// `--metrics`: the board its thread serves.
    board: Option<Arc<Board>>,
    /// systemd's socket, when `NOTIFY_SOCKET` named one at start.
    notify: Option<Notifier>,
    /// `--stats-interval` and when its next line is due.
    interval: Option<(Duration, Instant)>,
    /// When the next once-a-second duty (watchdog, status) is due.
    next_tick: Instant,
    /// Events seen (written, filtered, duplicate or dropped) at the last
    /// publication, to notice a new one.
    seen: u64,
    /// Reading a stream now.
    connected: bool,
    /// `--json-data` has warned about data that is not JSON.
    pub warned_not_json: bool,
}

impl Service {
    /// Start what the flags ask for; `--metrics` binds its address here.
    pub fn start(cfg: &Config, log: &Log) -> Result<Service> {
        let start = Instant::now();
        let board = match cfg.metrics {
            Some(addr) => {
                let board = Arc::new(Board::new(metrics::Tolerance {
                    // At least 10 s: a --retry-max of 0 must not turn every
                    // reconnect into an outage.
                    reconnecting: cfg
                        .reconnect
                        .retry_max
                        .saturating_mul(2)
                        .max(RECONNECTING_MIN),
                    stalled: STALLED.saturating_add(cfg.output.longest_hold()),
                    unacked: STALLED,
                }));
                let bound = metrics::serve(addr, Arc::clone(&board))?;
                log.info(&format!("metrics on http://{bound}/metrics and /healthz"));
                Some(board)
            }
            None => None,
        };
        // -j output on a terminal ends mid-line, where a status line would
        // overwrite it: the summary at exit is all there is then.
        let live = (cfg.stats
            && log.stderr_is_terminal()
            && !log.is_json()
            && !(cfg.join_output && cfg.stdout_is_terminal))
            .then(Ticker::new);
        Ok(Service {
            start,
            live,
            share_terminal: cfg.stdout_is_terminal && cfg.output.is_stdout(),
            redraw: false,
            board,
            notify: Notifier::from_env(),
            // An interval past what the clock holds is never due.
            interval: cfg
                .stats_interval
                .and_then(|d| Some((d, start.checked_add(d)?))),
            next_tick: start,
            seen: 0,
            connected: false,
            warned_not_json: false,
        })
    }

    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// The run has started.
    pub fn ready(&self) {
        self.notify(&[("READY", "1"), ("STATUS", "started")]);
    }

    /// A checkpoint of the main loop: publish the figures; once a second
    /// pet the watchdog; print what is due on stderr (a stats line also
    /// when `asked`: SIGUSR1).
    pub fn checkpoint(&mut self, stats: &Stats, retry: Duration, log: &Log, asked: bool) {
        let now = Instant::now();
        self.publish(stats, retry);
        let redraw = std::mem::take(&mut self.redraw);
        if let Some(ticker) = &mut self.live
            && (ticker.due() || redraw)
        {
            log.status(&stats.status_line(now - self.start));
        }
        // Checked at every checkpoint, not once a second: a busy stream
        // keeps to the interval exactly, a quiet one within a TICK.
        let due = self.interval.is_some_and(|(_, next)| now >= next);
        if let Some((every, next)) = self.interval
            && due
        {
            self.interval = next.checked_add(every).map(|at| (every, at.max(now)));
        }
        if due || asked {
            log.stats(&stats.summary_value(now - self.start, &[]));
        }
        if now < self.next_tick {
            return;
        }
        self.next_tick = now + crate::tick::TICK;
        if self.notify.is_some() {
            let status = self.status(stats);
            self.notify(&[("WATCHDOG", "1"), ("STATUS", &status)]);
        }
    }

    fn publish(&mut self, stats: &Stats, retry: Duration) {
        let Some(board) = &self.board else {
            return;
        };
        let seen = stats.events + stats.filtered + stats.duplicates + stats.dropped;
        let mut s = board.lock();
        if seen != self.seen {
            self.seen = seen;
            s.last_event = Some(SystemTime::now());
        }
        s.stats = stats.clone();
        s.retry = retry;
        s.moved = Instant::now();
    }

    /// Output to stdout may follow: when it shares the terminal with the
    /// status line, clear that line first (the next checkpoint draws it
    /// again), so that output never starts after the status text.
    pub fn before_output(&mut self, log: &Log) {
        if self.share_terminal && self.live.is_some() && log.clear_status() {
            self.redraw = true;
        }
    }

    /// A stream began.
    pub fn connected(&mut self) {
        self.connected = true;
        if let Some(board) = &self.board {
            let mut s = board.lock();
            s.connected = true;
            s.wait_ends = None;
        }
    }

    /// A reconnect waits `delay` first (for `/healthz`, which tolerates it).
    pub fn reconnect_wait(&mut self, delay: Duration) {
        if let Some(board) = &self.board {
            board.reconnect_wait(delay);
        }
    }

    /// The stream ended or a request failed; `why` is shown by `/healthz`
    /// (already redacted).
    pub fn disconnected(&mut self, why: &str) {
        let was = std::mem::replace(&mut self.connected, false);
        if let Some(board) = &self.board {
            let mut s = board.lock();
            s.connected = false;
            if was {
                s.down_since = Instant::now();
            }
            s.reason = why.replace(['\n', '\r'], " ");
        }
    }

    /// The run is over: the final figures (the same as `--stats`), and
    /// `STOPPING=1`.
    pub fn stopping(&mut self, stats: &Stats, retry: Duration) {
        self.publish(stats, retry);
        self.disconnected("stopping");
        let status = format!("stopping; {}", self.counts(stats));
        self.notify(&[("STOPPING", "1"), ("STATUS", &status)]);
    }

    fn status(&self, stats: &Stats) -> String {
        let state = if self.connected {
            "connected"
        } else {
            "reconnecting"
        };
        format!("{state}; {}", self.counts(stats))
    }

    fn counts(&self, stats: &Stats) -> String {
        let mut line = format!(
            "{}, {}",
            plural(stats.events, "event", "events"),
            plural(stats.reconnects, "reconnect", "reconnects")
        );
        if let Some(k) = stats.acks {
            line.push_str(&format!(", {} delivered, {} failed", k.delivered, k.failed));
        }
        line
    }

    fn notify(&self, assignments: &[(&str, &str)]) {
        if let Some(notifier) = &self.notify {
            notifier.send(assignments);
        }
    }
}
