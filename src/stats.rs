//! stats: counters for `--stats` — the JSON summary at exit and the live
//! status line. Plain integers updated on the data path; formatting happens
//! only at exit or a few times a second.

use std::time::{Duration, Instant};

#[derive(Debug, Default, Clone)]
pub struct Stats {
    /// Events written to the sink (after filtering).
    pub events: u64,
    /// Bytes of event stream read (after decompression).
    pub bytes: u64,
    pub reconnects: u64,
    /// Events over --max-event-size, dropped.
    pub dropped: u64,
    /// Events removed by -e/--grep, or for which --jq output nothing
    /// (`filtered` in --stats, `ssetap_filtered_total`).
    pub filtered: u64,
    /// Events removed by --dedup.
    pub duplicates: u64,
    pub comments: u64,
    /// --json-data events whose data was not JSON.
    pub not_json: u64,
    /// Events skipped because the --jq program failed on them.
    pub jq_errors: u64,
    /// A sink that waits for acknowledgements (Kafka): acknowledged,
    /// failed and still in flight.
    pub acks: Option<Acks>,
}

/// The counts of a sink that waits for acknowledgements (`Sink::acks`).
#[derive(Debug, Default, Clone, Copy)]
pub struct Acks {
    /// The sink's name as its users call it (`Kafka`): in `/healthz`'s
    /// words, and lower-cased in the metric names (`ssetap_kafka_…`).
    pub sink: &'static str,
    pub delivered: u64,
    pub failed: u64,
    pub in_flight: u64,
    /// Since when records have waited with none acknowledged: the last
    /// acknowledgement, or the last look that found nothing waiting
    /// (`None` when nothing waits now).
    pub unacked_since: Option<std::time::Instant>,
    /// With a place for rejected events (Kafka: `--dead-letter-topic`):
    /// events sent there and acknowledged.
    pub dead_lettered: Option<u64>,
}

impl Stats {
    /// Every event parsed so far went one of these ways: written, filtered,
    /// a duplicate, dropped for its size, or failed by `--jq`.
    pub fn events_seen(&self) -> u64 {
        [self.filtered, self.duplicates, self.dropped, self.jq_errors]
            .iter()
            .fold(self.events, |a, &b| a.saturating_add(b))
    }

    /// The `--stats` summary as a JSON value.
    pub fn summary_value(&self, elapsed: Duration, errors: &[String]) -> serde_json::Value {
        let mut v = serde_json::json!({
            "events": self.events,
            "bytes": self.bytes,
            "reconnects": self.reconnects,
            "dropped": self.dropped,
            "filtered": self.filtered,
            "duplicates": self.duplicates,
            "comments": self.comments,
            "not_json": self.not_json,
            "jq_errors": self.jq_errors,
            "seconds": (elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
        });
        if let Some(k) = self.acks {
            v["delivered"] = k.delivered.into();
            v["failed"] = k.failed.into();
            v["in_flight"] = k.in_flight.into();
            if let Some(d) = k.dead_lettered {
                v["dead_lettered"] = d.into();
            }
        }
        if !errors.is_empty() {
            v["errors"] = errors.into();
        }
        v
    }

    /// The live status line. The rate is shown from the first second on:
    /// before that it is a few events over a few milliseconds.
    pub fn status_line(&self, elapsed: Duration) -> String {
        let mut line = plural(self.events, "event", "events");
        if elapsed >= Duration::from_secs(1) {
            let rate = self.events as f64 / elapsed.as_secs_f64();
            line.push_str(&format!(" ({rate:.0}/s)"));
        }
        line.push_str(&format!(
            ", {}, {}",
            human_bytes(self.bytes),
            plural(self.reconnects, "reconnect", "reconnects")
        ));
        if self.dropped > 0 {
            line.push_str(&format!(", {} dropped", self.dropped));
        }
        if let Some(k) = self.acks {
            line.push_str(&format!(
                ", {} delivered, {} in flight",
                k.delivered, k.in_flight
            ));
        }
        line
    }
}

/// "1 event", "2 events".
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Rate limiter for the live status line.
pub struct Ticker {
    next: Instant,
}

impl Ticker {
    pub fn new() -> Ticker {
        Ticker {
            next: Instant::now(),
        }
    }

    pub fn due(&mut self) -> bool {
        let now = Instant::now();
        if now >= self.next {
            self.next = now + Duration::from_millis(250);
            true
        } else {
            false
        }
    }
}

impl Default for Ticker {
    fn default() -> Self {
        Ticker::new()
    }
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_has_the_documented_keys() {
        let s = Stats {
            events: 3,
            bytes: 100,
            ..Stats::default()
        };
        let v = s.summary_value(Duration::from_millis(1500), &[]);
        for key in ["events", "bytes", "reconnects", "dropped", "seconds"] {
            assert!(v.get(key).is_some(), "{key}");
        }
        assert_eq!(v["seconds"], 1.5);
        assert!(v.get("delivered").is_none());
    }

    #[test]
    fn the_rate_shows_from_the_first_second() {
        let s = Stats {
            events: 1,
            bytes: 20,
            ..Stats::default()
        };
        let early = s.status_line(Duration::from_millis(2));
        assert_eq!(early, "1 event, 20 B, 0 reconnects");
        let s = Stats { events: 30, ..s };
        let later = s.status_line(Duration::from_secs(3));
        assert_eq!(later, "30 events (10/s), 20 B, 0 reconnects");
    }

    #[test]
    fn human_bytes_scales() {
        assert_eq!(human_bytes(10), "10 B");
        assert_eq!(human_bytes(2048), "2.0 KiB");
        assert_eq!(human_bytes(3 << 20), "3.0 MiB");
    }
}
