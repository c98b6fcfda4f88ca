//! Quick restarts against the state topic: run after run of the same short
//! command, each must resume exactly after the previous run's last
//! acknowledged event — on freshly created state topics (where an empty
//! start record once hid the newest one) and on a topic full of records.

use super::common::{Reply, Server};
use super::tansu::Tansu;
use super::{event, run};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Events numbered after the requested Last-Event-ID, as fast as asked for;
/// notes each request's Last-Event-ID (0 for none).
fn counting() -> (Server, Arc<Mutex<Vec<u64>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let server = Server::start(move |_, req| {
        let from: u64 = req
            .header("last-event-id")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        log.lock().unwrap().push(from);
        let mut r = Reply::sse();
        for i in from + 1..=from + 20 {
            r = r.body(event(i, None, Some(&i.to_string())));
        }
        r.pause(Duration::from_secs(30))
    });
    (server, seen)
}

/// `runs` back-to-back `-n 5` runs into `state_topic`; asserts each
/// resumed after the previous run's fifth event, and says where.
fn back_to_back(broker: &Tansu, state_topic: &str, key: &str, runs: u64) {
    let b = broker.brokers();
    let (server, seen) = counting();
    let url = server.url();
    for i in 0..runs {
        let out = run(&[
            &url,
            "-n",
            "5",
            "-b",
            &b,
            "-t",
            "data",
            "--state-topic",
            state_topic,
            "--state-key",
            key,
        ]);
        assert_eq!(out.code, Some(0), "run {i}: {}", out.stderr);
        let want = if i == 0 {
            "no resume point in --state-topic".to_string()
        } else {
            format!("resuming after event ID {} (from --state-topic", 5 * i)
        };
        assert!(out.stderr.contains(&want), "run {i}: {}", out.stderr);
    }
    let seen = seen.lock().unwrap().clone();
    let want: Vec<u64> = (0..runs).map(|i| 5 * i).collect();
    assert_eq!(seen, want, "the Last-Event-ID each run sent");
}

#[test]
fn fifty_quick_restarts_on_fresh_state_topics_each_resume_exactly() {
    let broker = Tansu::start();
    broker.create_topic("data", 1);
    // A fresh topic for every pair of runs: the second run of a pair is the
    // one that once resumed from nothing.
    static N: AtomicU64 = AtomicU64::new(0);
    for _ in 0..25 {
        let topic = format!("fresh{}", N.fetch_add(1, Ordering::Relaxed));
        broker.create_topic(&topic, 1);
        back_to_back(&broker, &topic, "k", 2);
    }
}

#[test]
fn fifty_quick_restarts_on_a_used_state_topic_each_resume_exactly() {
    let broker = Tansu::start();
    broker.create_topic("data", 1);
    broker.create_topic("state", 1);
    // Other streams' records before ours.
    back_to_back(&broker, "state", "other", 3);
    back_to_back(&broker, "state", "ours", 50);
}
