//! service::metrics: the `--metrics` endpoint. The main thread publishes a
//! [`Snapshot`] into the shared [`Board`] at every checkpoint (after every
//! chunk read, before every reconnect wait, and at least once a second
//! while a stream is quiet: see `tick`); one thread of ours answers
//! `GET /metrics` (Prometheus text format 0.0.4) and `GET /healthz` from the
//! last snapshot, with the one-thread server of `http_serve` (asleep while
//! nobody scrapes). That thread only reads the board; it never touches the
//! data.

use super::http_head::Response;
use super::http_serve;
use crate::stats::Stats;
use anyhow::{Result, anyhow};
use std::fmt::Write;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

/// What the main thread last published.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub stats: Stats,
    /// The current reconnection time.
    pub retry: Duration,
    /// When the last event was parsed (filtered or not).
    pub last_event: Option<SystemTime>,
    /// Reading a stream now.
    pub connected: bool,
    /// Since when the stream is not connected (the start, at first).
    pub down_since: Instant,
    /// Why the last connection ended or failed (redacted).
    pub reason: String,
    /// When the main loop last passed a checkpoint (at least once a
    /// `TICK` while it runs).
    pub moved: Instant,
    /// When the last reconnect wait longer than the tolerance ends (a
    /// server may ask for an hour): reconnecting is healthy until then,
    /// and the tolerance after.
    pub wait_ends: Option<Instant>,
}

/// The snapshot, shared with the serving thread.
pub struct Board {
    snapshot: Mutex<Snapshot>,
    /// How long `/healthz` tolerates what.
    tolerance: Tolerance,
}

/// What `/healthz` tolerates before it says 503.
#[derive(Debug, Clone, Copy)]
pub struct Tolerance {
    /// Reconnecting for this long: twice `--retry-max`.
    pub reconnecting: Duration,
    /// A main loop that passed no checkpoint for this long: a minute
    /// (the unit's `WatchdogSec`) past the longest the sink may hold it
    /// legitimately (a full Kafka queue, for `--flush-timeout`).
    pub stalled: Duration,
    /// Kafka acknowledging nothing while records wait, for this long: a
    /// minute, as for a stall (librdkafka retries for minutes before it
    /// gives a record up, and a probe should not wait that long).
    pub unacked: Duration,
}

impl Board {
    pub fn new(tolerance: Tolerance) -> Board {
        Board {
            snapshot: Mutex::new(Snapshot {
                stats: Stats::default(),
                retry: Duration::ZERO,
                last_event: None,
                connected: false,
                down_since: Instant::now(),
                reason: "not connected yet".into(),
                moved: Instant::now(),
                wait_ends: None,
            }),
            tolerance,
        }
    }

    /// A reconnect waits `delay`: one longer than the tolerance (a server's
    /// `Retry-After`, `retry:`) is healthy until it ends, and the
    /// tolerance after; shorter ones are the backoff the tolerance covers.
    pub fn reconnect_wait(&self, delay: Duration) {
        if delay >= self.tolerance.reconnecting {
            self.lock().wait_ends = Instant::now().checked_add(delay);
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, Snapshot> {
        self.snapshot
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Bind `addr` and serve the board on a thread of its own; returns the
/// bound address. A thread that cannot be started (a task limit, say) is
/// an error like a port in use.
pub fn serve(addr: SocketAddr, board: Arc<Board>) -> Result<SocketAddr> {
    let listener =
        TcpListener::bind(addr).map_err(|e| anyhow!("--metrics: cannot listen on {addr}: {e}"))?;
    let bound = listener.local_addr().unwrap_or(addr);
    listener
        .set_nonblocking(true)
        .map_err(|e| anyhow!("--metrics: cannot listen on {addr}: {e}"))?;
    http_serve::small_buffers(&listener);
    let limits = http_serve::Limits::standard();
    std::thread::Builder::new()
        .name("metrics".into())
        .stack_size(128 * 1024)
        .spawn(move || {
            http_serve::run(listener, limits, |method, path| {
                answer(method, path, &board)
            })
        })
        .map_err(|e| anyhow!("--metrics: cannot start its thread: {e}"))?;
    Ok(bound)
}

/// The answer to one request.
fn answer(method: &str, path: &str, board: &Board) -> Response {
    let get = matches!(method, "GET" | "HEAD");
    match path {
        "/metrics" if get => Response {
            content_type: "text/plain; version=0.0.4; charset=utf-8",
            ..Response::text(200, render(&board.lock()))
        },
        "/healthz" if get => {
            let (status, line) = health(&board.lock(), board.tolerance, Instant::now());
            Response::text(status, line + "\n")
        }
        "/metrics" | "/healthz" => Response {
            allow: Some("GET, HEAD"),
            ..Response::text(405, "use GET\n")
        },
        _ => Response::text(404, "try /metrics or /healthz\n"),
    }
}

/// `/healthz`: 200 while connected or reconnecting for less than the
/// tolerance, and while the main loop moves; else 503, the line says why.
/// The metrics thread answers on its own, so a main loop stuck on a write
/// (a reader of stdout that stopped reading, a disk that does not answer)
/// or a read that never returns would otherwise stay "ok" for ever where
/// no watchdog watches (a Kubernetes liveness probe).
pub fn health(s: &Snapshot, tolerance: Tolerance, now: Instant) -> (u16, String) {
    let still = now.saturating_duration_since(s.moved);
    if still >= tolerance.stalled {
        return (
            503,
            format!(
                "down: stalled: the main loop has not moved for {:.1}s (output not read? a hung write or read?)",
                still.as_secs_f64()
            ),
        );
    }
    if let Some(k) = s.stats.acks
        && let Some(since) = k.unacked_since
        && now.saturating_duration_since(since) >= tolerance.unacked
    {
        return (
            503,
            format!(
                "down: {} has acknowledged nothing for {:.1}s ({} records waiting)",
                k.sink,
                now.saturating_duration_since(since).as_secs_f64(),
                k.in_flight
            ),
        );
    }
    let grace = tolerance.reconnecting;
    if s.connected {
        return (200, "ok: connected".into());
    }
    let down = now.saturating_duration_since(s.down_since);
    let secs = format!("{:.1}s", down.as_secs_f64());
    // A wait the server asked for (Retry-After, retry:) is no outage.
    let waiting = s
        .wait_ends
        .is_some_and(|end| now < end.checked_add(grace).unwrap_or(end));
    if down < grace || waiting {
        (200, format!("ok: reconnecting for {secs}: {}", s.reason))
    } else {
        let limit = humantime::format_duration(grace);
        (
            503,
            format!(
                "down: disconnected for {secs}, over {limit} (twice --retry-max, at least 10s): {}",
                s.reason
            )
            .replace(['\n', '\r'], " "),
        )
    }
}

/// The Prometheus text for a snapshot. Names are fixed (README, `--help`).
pub fn render(s: &Snapshot) -> String {
    let st = &s.stats;
    let mut out = String::with_capacity(2048);
    let mut counter = |name: &str, help: &str, v: u64| {
        let _ = write!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}\n"
        );
    };
    counter(
        "ssetap_events_total",
        "Events written to the sink (after filtering).",
        st.events,
    );
    counter(
        "ssetap_bytes_total",
        "Bytes of event stream read (after decompression).",
        st.bytes,
    );
    counter(
        "ssetap_comments_total",
        "Comment lines received.",
        st.comments,
    );
    counter(
        "ssetap_filtered_total",
        "Events removed by -e/--grep, or for which --jq gave no output.",
        st.filtered,
    );
    counter(
        "ssetap_dropped_total",
        "Events over --max-event-size, dropped.",
        st.dropped,
    );
    counter(
        "ssetap_duplicates_total",
        "Events removed by --dedup.",
        st.duplicates,
    );
    counter(
        "ssetap_jq_errors_total",
        "Events --jq failed on, skipped.",
        st.jq_errors,
    );
    counter(
        "ssetap_reconnects_total",
        "Requests sent after the first.",
        st.reconnects,
    );
    if let Some(k) = st.acks {
        let id = k.sink.to_ascii_lowercase();
        counter(
            &format!("ssetap_{id}_delivered_total"),
            &format!("Records acknowledged by {}.", k.sink),
            k.delivered,
        );
        counter(
            &format!("ssetap_{id}_failed_total"),
            &format!("Records {} failed to deliver.", k.sink),
            k.failed,
        );
        if let Some(d) = k.dead_lettered {
            counter(
                "ssetap_dead_lettered_total",
                "Events sent to --dead-letter-topic and acknowledged.",
                d,
            );
        }
    }
    let mut gauge = |name: &str, help: &str, v: String| {
        let _ = write!(
            out,
            "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}\n"
        );
    };
    gauge(
        "ssetap_connected",
        "1 while a stream is being read, else 0.",
        u8::from(s.connected).to_string(),
    );
    if let Some(k) = st.acks {
        gauge(
            &format!("ssetap_{}_in_flight", k.sink.to_ascii_lowercase()),
            &format!("Records sent to {}, not yet acknowledged.", k.sink),
            k.in_flight.to_string(),
        );
    }
    let last = s
        .last_event
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map_or(0.0, |d| d.as_secs_f64());
    gauge(
        "ssetap_last_event_timestamp_seconds",
        "Unix time the last event was received (0: none yet); lag is now minus this.",
        format!("{last:.3}"),
    );
    gauge(
        "ssetap_retry_seconds",
        "The current reconnection time (--retry, or the server's retry: field).",
        format!("{:.3}", s.retry.as_secs_f64()),
    );
    let _ = write!(
        out,
        "# HELP ssetap_build_info Always 1; the version is in the label.\n\
         # TYPE ssetap_build_info gauge\n\
         ssetap_build_info{{version=\"{}\"}} 1\n",
        env!("CARGO_PKG_VERSION")
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap() -> Snapshot {
        Board::new(snap_tolerance()).lock().clone()
    }

    #[test]
    fn every_documented_name_is_there_once() {
        let text = render(&snap());
        for name in [
            "ssetap_events_total",
            "ssetap_bytes_total",
            "ssetap_jq_errors_total",
            "ssetap_connected",
            "ssetap_retry_seconds",
            "ssetap_last_event_timestamp_seconds",
        ] {
            assert_eq!(
                text.matches(&format!("\n{name} ")).count(),
                1,
                "{name}\n{text}"
            );
        }
        assert!(text.contains("ssetap_build_info{version=\""), "{text}");
        assert!(!text.contains("kafka"), "no Kafka sink, no Kafka metrics");
    }

    #[test]
    fn kafka_figures_appear_with_the_kafka_sink() {
        let mut s = snap();
        s.stats.acks = Some(crate::stats::Acks {
            sink: "Kafka",
            delivered: 7,
            failed: 1,
            in_flight: 2,
            dead_lettered: Some(3),
            ..Default::default()
        });
        let text = render(&s);
        for line in [
            "\nssetap_kafka_delivered_total 7\n",
            "\nssetap_kafka_failed_total 1\n",
            "\nssetap_kafka_in_flight 2\n",
            "\nssetap_dead_lettered_total 3\n",
            "# TYPE ssetap_kafka_in_flight gauge\n",
        ] {
            assert!(text.contains(line), "{line:?} in\n{text}");
        }
    }

    #[test]
    fn health_says_503_once_the_main_loop_stalls() {
        let mut s = snap();
        let t0 = s.moved;
        s.connected = true;
        let t = snap_tolerance();
        assert_eq!(health(&s, t, t0 + Duration::from_secs(59)).0, 200);
        let (code, line) = health(&s, t, t0 + Duration::from_secs(61));
        assert_eq!(code, 503);
        assert!(line.starts_with("down: stalled"), "{line}");
        s.moved = t0 + Duration::from_secs(60);
        assert_eq!(health(&s, t, t0 + Duration::from_secs(61)).0, 200);
    }

    fn snap_tolerance() -> Tolerance {
        Tolerance {
            reconnecting: Duration::from_secs(2),
            stalled: Duration::from_secs(60),
            unacked: Duration::from_secs(60),
        }
    }

    #[test]
    fn health_says_503_once_kafka_acknowledges_nothing_for_a_minute() {
        let mut s = snap();
        s.connected = true;
        let t0 = s.moved;
        s.stats.acks = Some(crate::stats::Acks {
            sink: "Kafka",
            in_flight: 7,
            unacked_since: Some(t0),
            ..Default::default()
        });
        let t = snap_tolerance();
        // The main loop still moves: reading, queueing.
        s.moved = t0 + Duration::from_secs(60);
        assert_eq!(health(&s, t, t0 + Duration::from_secs(59)).0, 200);
        let (code, line) = health(&s, t, t0 + Duration::from_secs(61));
        assert_eq!(code, 503);
        assert!(
            line.starts_with("down: Kafka has acknowledged nothing for 61.0s (7 records waiting)"),
            "{line}"
        );
        // Nothing waiting: nothing to acknowledge.
        s.stats.acks = Some(crate::stats::Acks::default());
        assert_eq!(health(&s, t, t0 + Duration::from_secs(61)).0, 200);
    }

    #[test]
    fn health_tolerates_twice_retry_max() {
        let mut s = snap();
        let t0 = s.down_since;
        let grace = snap_tolerance();
        assert_eq!(health(&s, grace, t0 + Duration::from_secs(1)).0, 200);
        s.reason = "cannot connect: refused".into();
        let (code, line) = health(&s, grace, t0 + Duration::from_secs(3));
        assert_eq!(code, 503);
        assert!(line.contains("refused") && !line.contains('\n'), "{line}");
        s.connected = true;
        assert_eq!(health(&s, grace, t0 + Duration::from_secs(9)).0, 200);
    }

    #[test]
    fn health_tolerates_the_wait_a_server_asked_for() {
        let mut s = snap();
        let t0 = s.down_since;
        let grace = snap_tolerance();
        // Retry-After: 600 (or retry: 600000), honoured.
        s.wait_ends = Some(t0 + Duration::from_secs(600));
        s.moved = t0 + Duration::from_secs(599);
        assert_eq!(health(&s, grace, t0 + Duration::from_secs(599)).0, 200);
        s.moved = t0 + Duration::from_secs(601);
        assert_eq!(health(&s, grace, t0 + Duration::from_secs(601)).0, 200);
        assert_eq!(health(&s, grace, t0 + Duration::from_secs(603)).0, 503);
    }
}
