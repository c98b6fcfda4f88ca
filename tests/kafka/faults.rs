//! Faults while sending: a broker paused mid-stream, SIGINT mid-stream,
//! and a delivery that fails for good. Nothing parsed may be lost or sent
//! twice, and the state file names only what the broker acknowledged.

use super::*;

/// Events n in `range` on the live stream, with ids.
fn stream_events(server: &SseServer, range: std::ops::RangeInclusive<u64>, gap: Duration) {
    for n in range {
        assert!(
            server.send(event(n, None, Some(&n.to_string()))),
            "client gone"
        );
        if !gap.is_zero() {
            std::thread::sleep(gap);
        }
    }
}

#[test]
fn a_paused_broker_loses_nothing_and_duplicates_nothing() {
    let broker = Tansu::start();
    broker.create_topic("paused", 3);
    broker.create_topic("paused-dead", 1);
    let server = SseServer::start();
    let b = broker.brokers();
    // With a dead-letter topic: a pause is something retrying fixes, so
    // nothing may go there.
    let child = Running::spawn(&[
        &server.url,
        "-b",
        &b,
        "-t",
        "paused",
        "--dead-letter-topic",
        "paused-dead",
        "--no-reconnect",
        "--stats",
    ]);
    stream_events(&server, 1..=100, Duration::from_millis(2));
    std::thread::sleep(Duration::from_millis(500));
    broker.pause();
    stream_events(&server, 101..=200, Duration::from_millis(10));
    std::thread::sleep(Duration::from_secs(4));
    broker.resume();
    stream_events(&server, 201..=300, Duration::from_millis(2));
    server.finish();
    let out = child.finish(Duration::from_secs(50));
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    assert_exactly_once_in_order(&consume(&b, &["paused"], 300, READ_LIMIT), 300);
    let s = out.stats();
    assert_eq!(
        (s["events"].as_u64(), s["delivered"].as_u64()),
        (Some(300), Some(300))
    );
    assert_eq!(s["dead_lettered"].as_u64(), Some(0), "{s}");
    assert!(consume(&b, &["paused-dead"], 1, Duration::from_secs(3)).is_empty());
}

#[test]
fn sigint_mid_stream_delivers_everything_parsed_then_exits_130() {
    let broker = Tansu::start();
    let dir = Scratch::new("sigint");
    broker.create_topic("sigint", 3);
    let server = SseServer::start();
    let state_file = dir.path("int.state");
    let b = broker.brokers();
    let started = Instant::now();
    let child = Running::spawn(&[
        &server.url,
        "-b",
        &b,
        "-t",
        "sigint",
        "--stats",
        "--state-file",
        state_file.to_str().unwrap(),
    ]);
    let mut n = 0;
    while started.elapsed() < Duration::from_millis(1500) {
        n += 1;
        if !server.send(event(n, None, Some(&n.to_string()))) {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    child.signal(libc::SIGINT);
    // Keep streaming while it stops: it must not matter.
    for _ in 0..50 {
        n += 1;
        if !server.send(event(n, None, Some(&n.to_string()))) {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let out = child.finish(Duration::from_secs(40));
    drop(server);
    assert_eq!(out.code, Some(130), "stderr: {}", out.stderr);
    let s = out.stats();
    let parsed = s["events"].as_u64().expect("events");
    assert!(parsed > 0, "{s}");
    assert_eq!(s["delivered"].as_u64(), Some(parsed), "{s}");
    assert_eq!(s["in_flight"].as_u64(), Some(0), "{s}");
    assert_eq!(
        state(&state_file),
        format!("{{\"last_event_id\":\"{parsed}\"}}\n")
    );
    assert_exactly_once_in_order(
        &consume(&b, &["sigint"], parsed as usize, READ_LIMIT),
        parsed,
    );
}

#[test]
fn a_delivery_failure_ends_the_run_and_the_state_names_the_last_delivered_event() {
    let broker = Tansu::start();
    let dir = Scratch::new("timeout");
    broker.create_topic("timeout", 2);
    let server = SseServer::start();
    let state_file = dir.path("t.state");
    let b = broker.brokers();
    let child = Running::spawn(&[
        &server.url,
        "-b",
        &b,
        "-t",
        "timeout",
        "--state-file",
        state_file.to_str().unwrap(),
        "--kafka-property",
        "message.timeout.ms=2000",
        "--flush-timeout",
        "5s",
    ]);
    stream_events(&server, 1..=10, Duration::ZERO);
    // All ten are in Kafka before the broker stops answering.
    assert_exactly_once_in_order(&consume(&b, &["timeout"], 10, READ_LIMIT), 10);
    broker.pause();
    stream_events(&server, 11..=20, Duration::ZERO);
    let out = child.finish(Duration::from_secs(40));
    broker.resume();
    drop(server);
    assert_eq!(out.code, Some(1), "stderr: {}", out.stderr);
    assert!(
        out.stderr
            .contains("ssetap: error: Kafka did not take event "),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("timed out"), "{}", out.stderr);
    assert_eq!(state(&state_file), "{\"last_event_id\":\"10\"}\n");
}

/// `GET /healthz` on the metrics port: the status and the line.
fn healthz(port: u16) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET /healthz HTTP/1.0\r\n\r\n").ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    Some((
        head.split(' ').nth(1)?.parse().ok()?,
        body.trim().to_string(),
    ))
}

#[test]
fn healthz_says_down_while_kafka_acknowledges_nothing_for_a_minute() {
    let broker = Tansu::start();
    broker.create_topic("unacked", 1);
    let server = SseServer::start();
    let b = broker.brokers();
    let port = common::probe::free_port();
    let addr = format!("127.0.0.1:{port}");
    let child = Running::spawn(&[
        &server.url,
        "-b",
        &b,
        "-t",
        "unacked",
        "--metrics",
        &addr,
        "--no-reconnect",
    ]);
    stream_events(&server, 1..=20, Duration::from_millis(10));
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(healthz(port).map(|h| h.0), Some(200));
    broker.pause();
    // The stream goes on: the main loop moves, only Kafka is silent.
    let paused = Instant::now();
    let mut n = 21;
    let down = loop {
        assert!(
            server.send(event(n, None, Some(&n.to_string()))),
            "client gone"
        );
        n += 1;
        if let Some((503, line)) = healthz(port) {
            break line;
        }
        assert!(
            paused.elapsed() < Duration::from_secs(100),
            "still ok after 100 s"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    assert!(paused.elapsed() >= Duration::from_secs(59), "{down}");
    assert!(
        down.starts_with("down: Kafka has acknowledged nothing for"),
        "{down}"
    );
    broker.resume();
    let resumed = Instant::now();
    while healthz(port).map(|h| h.0) != Some(200) {
        assert!(resumed.elapsed() < Duration::from_secs(60), "not ok again");
        std::thread::sleep(Duration::from_millis(500));
    }
    server.finish();
    // (The limit counts from the start of the run.)
    let out = child.finish(Duration::from_secs(240));
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
}
