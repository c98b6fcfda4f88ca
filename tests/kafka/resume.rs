//! The broker killed mid-stream: ssetap fails within the flush timeout, the
//! state file names only acknowledged events, and a rerun against a new
//! broker resumes at the first event Kafka did not have.

use super::common::{Reply, Server};
use super::tansu::Tansu;
use super::{Running, Scratch, consume, event, state};
use std::time::{Duration, Instant};

const N: u64 = 400;

/// Events after the requested Last-Event-ID: on the first connection 1..=200
/// at once, a pause (with keep-alive comments, so ssetap reads and serves
/// Kafka's acks), then the rest 20 ms apart; then keep-alives.
fn resumable() -> Server {
    Server::start(|_, req| {
        let from: u64 = req
            .header("last-event-id")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut r = Reply::sse();
        for n in from + 1..=N {
            r = r.body(event(n, None, Some(&n.to_string())));
            if n == 200 && from == 0 {
                for _ in 0..40 {
                    r = r.body(":\n").pause(Duration::from_millis(100));
                }
            } else if n > 200 && from == 0 {
                r = r.pause(Duration::from_millis(20));
            }
        }
        for _ in 0..300 {
            r = r.body(":\n").pause(Duration::from_millis(100));
        }
        r
    })
}

fn id_in(state_text: &str) -> u64 {
    let v: serde_json::Value = serde_json::from_str(state_text).expect("state JSON");
    v["last_event_id"]
        .as_str()
        .and_then(|s| {
            if s.is_empty() {
                Some(0)
            } else {
                s.parse().ok()
            }
        })
        .unwrap_or_else(|| panic!("not a numeric id: {state_text}"))
}

#[test]
fn a_killed_broker_fails_the_run_and_a_rerun_resumes_at_the_first_undelivered_event() {
    let dir = Scratch::new("kill");
    let state_file = dir.path("kill.state");
    let sf = state_file.to_str().unwrap();
    let server = resumable();
    let url = server.url();

    let broker1 = Tansu::start();
    broker1.create_topic("resume", 1);
    let b1 = broker1.brokers();
    let run1 = Running::spawn(&[
        &url,
        "-b",
        &b1,
        "-t",
        "resume",
        "--state-file",
        sf,
        "--stats",
        "--flush-timeout",
        "3s",
        "--kafka-property",
        "message.timeout.ms=3000",
    ]);
    // Wait until the first 200 are acknowledged and saved.
    let t = Instant::now();
    while std::fs::read_to_string(&state_file)
        .map(|s| id_in(&s))
        .unwrap_or(0)
        < 200
    {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "state never reached 200"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let before: Vec<u64> = consume(&b1, &["resume"], 200, Duration::from_secs(10))
        .iter()
        .map(|r| r.n())
        .collect();
    assert_eq!(before, (1..=200).collect::<Vec<_>>());
    drop(broker1); // SIGKILL, mid-way through 201..=400
    let killed = Instant::now();
    let out = run1.finish(Duration::from_secs(40));
    let took = killed.elapsed();
    eprintln!(
        "broker killed: ssetap exit {:?} after {took:?}\n{}",
        out.code, out.stderr
    );
    assert_eq!(out.code, Some(1), "stderr: {}", out.stderr);
    // message.timeout.ms is 3 s; librdkafka reports the timeouts of
    // requests in flight at the kill later (about 10 s here).
    assert!(took < Duration::from_secs(30), "{took:?}");
    let saved = id_in(&state(&state_file));
    let s = out.stats();
    assert!((200..N).contains(&saved), "state {saved}");
    assert_eq!(
        s["delivered"].as_u64(),
        Some(saved),
        "the state names the delivered prefix: {s}"
    );

    let broker2 = Tansu::start();
    broker2.create_topic("resume", 1);
    let b2 = broker2.brokers();
    let rest = (N - saved).to_string();
    let run2 = Running::spawn(&[
        &url,
        "-b",
        &b2,
        "-t",
        "resume",
        "--state-file",
        sf,
        "-n",
        &rest,
    ]);
    let out = run2.finish(Duration::from_secs(40));
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    let reqs = server.requests();
    let last = reqs.last().expect("rerun request");
    assert_eq!(
        last.header("last-event-id"),
        Some(saved.to_string().as_str())
    );
    let after: Vec<u64> = consume(
        &b2,
        &["resume"],
        (N - saved) as usize,
        Duration::from_secs(20),
    )
    .iter()
    .map(|r| r.n())
    .collect();
    assert_eq!(
        after,
        (saved + 1..=N).collect::<Vec<_>>(),
        "resumed exactly after {saved}"
    );
    assert_eq!(id_in(&state(&state_file)), N);
}
