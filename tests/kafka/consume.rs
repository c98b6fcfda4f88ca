//! An independent consumer (rdkafka's `BaseConsumer`, its own group) that
//! reads back what ssetap produced, and the checks on it.

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Record {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Vec<u8>,
    pub headers: Vec<(String, Vec<u8>)>,
    pub timestamp: Option<i64>,
}

impl Record {
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_slice())
    }

    pub fn value_json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.value)
            .unwrap_or_else(|e| panic!("value is not JSON ({e}): {:?}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.value).into_owned()
    }

    /// The `n` field of the test events' JSON data.
    pub fn n(&self) -> u64 {
        self.value_json()["n"]
            .as_u64()
            .unwrap_or_else(|| panic!("no n in {:?}", self.text()))
    }
}

/// Everything in `topics`, from the beginning: reads until `expected`
/// records arrived (or `limit` passed), then a little longer, so that a
/// duplicate would show.
pub fn consume(brokers: &str, topics: &[&str], expected: usize, limit: Duration) -> Vec<Record> {
    static GROUP: AtomicU32 = AtomicU32::new(0);
    let group = format!(
        "ssetap-test-{}-{}",
        std::process::id(),
        GROUP.fetch_add(1, Ordering::SeqCst)
    );
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", &group)
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    consumer.subscribe(topics).expect("subscribe");
    let mut out = Vec::new();
    let start = Instant::now();
    let mut done_at: Option<Instant> = None;
    while start.elapsed() < limit {
        if out.len() >= expected && done_at.is_none() {
            done_at = Some(Instant::now());
        }
        if done_at.is_some_and(|t| t.elapsed() > Duration::from_millis(1500)) {
            break;
        }
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => out.push(Record {
                topic: m.topic().to_string(),
                partition: m.partition(),
                offset: m.offset(),
                key: m.key().map(<[u8]>::to_vec),
                value: m.payload().unwrap_or_default().to_vec(),
                headers: m
                    .headers()
                    .map(|h| {
                        h.iter()
                            .map(|h| (h.key.to_string(), h.value.unwrap_or_default().to_vec()))
                            .collect()
                    })
                    .unwrap_or_default(),
                timestamp: m.timestamp().to_millis(),
            }),
            Some(Err(e)) => eprintln!("consumer: {e}"),
            None => {}
        }
    }
    out
}

/// Every event 1..=n exactly once, and in order within each partition.
pub fn assert_exactly_once_in_order(records: &[Record], n: u64) {
    let mut seen: Vec<u64> = records.iter().map(Record::n).collect();
    seen.sort_unstable();
    let want: Vec<u64> = (1..=n).collect();
    if seen != want {
        let dups: Vec<_> = seen
            .windows(2)
            .filter(|w| w[0] == w[1])
            .map(|w| w[0])
            .collect();
        let missing: Vec<_> = want
            .iter()
            .filter(|x| seen.binary_search(x).is_err())
            .collect();
        panic!(
            "expected events 1..={n} once each; got {} records, duplicates {dups:?}, missing {missing:?}",
            records.len()
        );
    }
    let mut parts: BTreeMap<(&str, i32), Vec<&Record>> = BTreeMap::new();
    for r in records {
        parts.entry((&r.topic, r.partition)).or_default().push(r);
    }
    for ((topic, p), mut rs) in parts {
        rs.sort_by_key(|r| r.offset);
        let ns: Vec<u64> = rs.iter().map(|r| r.n()).collect();
        assert!(
            ns.windows(2).all(|w| w[0] < w[1]),
            "{topic}/{p}: events out of order: {ns:?}"
        );
    }
}
