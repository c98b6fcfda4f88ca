//! The resume point kept in Kafka (`--state-topic`) and the dead-letter
//! topic, against a real broker: a SIGKILLed run resumes from the state
//! topic in an empty directory, two streams share one state topic, routing
//! and quiet streams, and refused events go to the dead-letter topic while
//! the run goes on.

use super::common::{Reply, Server};
use super::tansu::Tansu;
use super::{Running, Scratch, consume, event, run};
use std::time::{Duration, Instant};

/// The newest state record for `key`, as JSON.
fn newest_state(brokers: &str, topic: &str, key: &str) -> Option<serde_json::Value> {
    consume(brokers, &[topic], 1, Duration::from_secs(3))
        .into_iter()
        .rfind(|r| r.key.as_deref() == Some(key.as_bytes()))
        .map(|r| r.value_json())
}

/// Events after the requested Last-Event-ID, numbered 1..=n, `gap` apart,
/// then silence (no keep-alive comments).
fn numbered(n: u64, gap: Duration) -> Server {
    Server::start(move |_, req| {
        let from: u64 = req
            .header("last-event-id")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut r = Reply::sse();
        for i in from + 1..=n {
            r = r.body(event(i, None, Some(&i.to_string()))).pause(gap);
        }
        r.pause(Duration::from_secs(60))
    })
}

#[test]
fn a_killed_run_resumes_from_the_state_topic_on_another_machine() {
    const N: u64 = 300;
    let broker = Tansu::start();
    broker.create_topic("data", 1);
    broker.create_topic("state", 1);
    let b = broker.brokers();
    let server = numbered(N, Duration::from_millis(10));
    let url = server.url();
    let args = ["-b", &b, "-t", "data", "--state-topic", "state", "-q"];
    let mut first: Vec<&str> = vec![&url];
    first.extend(args);
    let dir1 = Scratch::new("st-kill-1");
    let mut cmd = super::ssetap(&first);
    cmd.current_dir(dir1.dir());
    let run1 = super::Running::start(cmd);
    // Let it get about half-way, then kill it without warning.
    std::thread::sleep(Duration::from_millis(1800));
    run1.signal(libc::SIGKILL);
    let _ = run1.finish(Duration::from_secs(10));
    let key = format!("{url} -> data");
    let saved = newest_state(&b, "state", &key).expect("a state record");
    let saved_id: u64 = saved["last_event_id"]
        .as_str()
        .unwrap_or("0")
        .parse()
        .unwrap_or(0);
    assert!(saved_id > 0 && saved_id < N, "{saved}");
    assert_eq!(saved["topic"], "data");
    assert_eq!(saved["url"], url.as_str());

    // "Another machine": a new empty directory, the same command.
    let dir2 = Scratch::new("st-kill-2");
    let mut cmd = super::ssetap(&first);
    cmd.current_dir(dir2.dir());
    let run2 = super::Running::start(cmd);
    let records = consume(&b, &["data"], N as usize, Duration::from_secs(40));
    run2.signal(libc::SIGINT);
    let out = run2.finish(Duration::from_secs(30));
    assert_eq!(out.code, Some(130), "{}", out.stderr);
    let reqs = server.requests();
    assert_eq!(
        reqs.last().and_then(|r| r.header("last-event-id")),
        Some(saved_id.to_string().as_str()),
        "the rerun resumes from the state topic"
    );
    let mut seen: Vec<u64> = records.iter().map(|r| r.n()).collect();
    let total = seen.len() as u64;
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(
        seen,
        (1..=N).collect::<Vec<_>>(),
        "every event at least once"
    );
    let duplicates = total - N;
    eprintln!("state at kill: {saved_id}; duplicates after the rerun: {duplicates}");
    // At most what was acknowledged but not yet saved (one second of
    // events at 100/s) plus what was in flight.
    assert!(duplicates <= 150, "{duplicates} duplicates");
}

#[test]
fn two_streams_share_one_state_topic_under_their_own_keys_with_routing() {
    let broker = Tansu::start();
    broker.create_topic("s.message", 1);
    broker.create_topic("state", 1);
    let b = broker.brokers();
    let one = numbered(5, Duration::ZERO);
    let two = numbered(9, Duration::ZERO);
    for (server, key) in [(&one, "one"), (&two, "two")] {
        let out = run(&[
            &server.url(),
            "-b",
            &b,
            "-t",
            "s.{event}",
            "--state-topic",
            "state",
            "--state-key",
            key,
            "--duration",
            "2s",
        ]);
        assert_eq!(out.code, Some(0), "{}", out.stderr);
        assert!(out.stderr.contains("no resume point"), "{}", out.stderr);
    }
    assert_eq!(
        newest_state(&b, "state", "one").unwrap()["last_event_id"],
        "5"
    );
    assert_eq!(
        newest_state(&b, "state", "two").unwrap()["last_event_id"],
        "9"
    );
    let s = newest_state(&b, "state", "two").unwrap();
    assert_eq!(s["topic"], "s.{event}");
    assert_eq!(s["events"], 9);
    // A rerun of the first resumes after its own 5.
    let out = run(&[
        &one.url(),
        "-b",
        &b,
        "-t",
        "s.{event}",
        "--state-topic",
        "state",
        "--state-key",
        "one",
        "--duration",
        "3s",
    ]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr.contains("resuming after event ID 5"),
        "{}",
        out.stderr
    );
    let last = one.requests().last().cloned().expect("a request");
    assert_eq!(last.header("last-event-id"), Some("5"), "{}", out.stderr);
}

#[test]
fn a_quiet_streams_state_catches_up_without_new_bytes() {
    let broker = Tansu::start();
    broker.create_topic("data", 1);
    broker.create_topic("state", 1);
    let b = broker.brokers();
    // Three events, then silence: not even a comment.
    let server = numbered(3, Duration::ZERO);
    let dir = Scratch::new("st-quiet");
    let file = dir.path("quiet.state");
    let url = server.url();
    for store in [
        vec!["--state-topic", "state"],
        vec!["--state-file", file.to_str().unwrap()],
    ] {
        let mut a: Vec<&str> = vec![&url, "-b", &b, "-t", "data"];
        a.extend(store.iter().copied());
        let r = Running::spawn(&a);
        let t = Instant::now();
        let caught_up = loop {
            let id = if store[0] == "--state-topic" {
                newest_state(&b, "state", &format!("{url} -> data"))
                    .map(|v| v["last_event_id"].clone())
            } else {
                std::fs::read_to_string(&file)
                    .ok()
                    .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                    .map(|v| v["last_event_id"].clone())
            };
            if id.as_ref().and_then(|v| v.as_str()) == Some("3") {
                break true;
            }
            if t.elapsed() > Duration::from_secs(10) {
                break false;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let took = t.elapsed();
        r.signal(libc::SIGKILL);
        let _ = r.finish(Duration::from_secs(10));
        assert!(caught_up, "{store:?}: the state never named event 3");
        eprintln!("{store:?}: caught up {took:?} after start");
    }
}

#[test]
fn a_missing_state_topic_fails_at_start() {
    let broker = Tansu::start();
    broker.create_topic("data", 1);
    let server = numbered(1, Duration::ZERO);
    let out = run(&[
        &server.url(),
        "-b",
        &broker.brokers(),
        "-t",
        "data",
        "--state-topic",
        "nope",
    ]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("--state-topic \"nope\" does not exist"),
        "{}",
        out.stderr
    );
    assert!(
        server.requests().is_empty(),
        "no request before the state is known"
    );
    let out = run(&[
        &server.url(),
        "-b",
        &broker.brokers(),
        "-t",
        "data",
        "--dead-letter-topic",
        "nope",
    ]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("--dead-letter-topic"), "{}", out.stderr);
}

#[test]
fn refused_events_go_to_the_dead_letter_topic_and_the_run_goes_on() {
    let broker = Tansu::start();
    broker.create_topic("w.message", 1);
    broker.create_topic("dlq", 1);
    let b = broker.brokers();
    let big = format!("{{\"n\":2,\"pad\":\"{}\"}}", "x".repeat(5000));
    let body = format!(
        "{}id: 2\ndata: {big}\n\n{}{}",
        event(1, None, Some("1")),
        event(3, Some("bad type"), Some("3")),
        event(4, None, Some("4")),
    );
    let server = Server::start(move |_, _| Reply::sse().body(body.clone()));
    let out = run(&[
        &server.url(),
        "-b",
        &b,
        "-t",
        "w.{event}",
        "--key",
        "id",
        "--dead-letter-topic",
        "dlq",
        "--kafka-property",
        "message.max.bytes=4096",
        "--no-reconnect",
        "--stats",
    ]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let s = out.stats();
    assert_eq!(s["dead_lettered"], 2, "{s}");
    assert_eq!(s["delivered"], 2, "{s}");
    let data: Vec<u64> = consume(&b, &["w.message"], 2, Duration::from_secs(20))
        .iter()
        .map(|r| r.n())
        .collect();
    assert_eq!(data, [1, 4]);
    let dead = consume(&b, &["dlq"], 2, Duration::from_secs(20));
    assert_eq!(dead.len(), 2);
    let big_one = &dead[0];
    assert_eq!(big_one.key.as_deref(), Some(&b"2"[..]));
    assert_eq!(big_one.header("sse.id"), Some(&b"2"[..]));
    assert_eq!(big_one.header("ssetap.topic"), Some(&b"w.message"[..]));
    assert!(big_one.header("ssetap.truncated").is_some());
    assert!(big_one.value.len() < big.len());
    let why = String::from_utf8_lossy(big_one.header("ssetap.error").unwrap_or_default());
    assert!(why.to_ascii_lowercase().contains("too large"), "{why}");
    let routed = &dead[1];
    assert_eq!(routed.header("sse.event"), Some(&b"bad type"[..]));
    assert_eq!(routed.header("ssetap.topic"), Some(&b"w.bad type"[..]));
    assert_eq!(routed.n(), 3);
}

#[test]
fn a_quiet_stdin_moves_the_state_file_too() {
    use std::io::Write;
    let broker = Tansu::start();
    broker.create_topic("data", 1);
    let b = broker.brokers();
    let dir = Scratch::new("st-stdin");
    let file = dir.path("stdin.state");
    let mut cmd = super::ssetap(&[
        "-",
        "-b",
        &b,
        "-t",
        "data",
        "--state-file",
        file.to_str().unwrap(),
    ]);
    cmd.stdin(std::process::Stdio::piped());
    let mut r = super::Running::start(cmd);
    let mut stdin = r.child.stdin.take().expect("stdin");
    for i in 1..=3 {
        stdin
            .write_all(event(i, None, Some(&i.to_string())).as_bytes())
            .unwrap();
    }
    stdin.flush().unwrap();
    let t = Instant::now();
    let mut saved = String::new();
    while t.elapsed() < Duration::from_secs(10) {
        saved = std::fs::read_to_string(&file).unwrap_or_default();
        if saved.contains("\"3\"") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(stdin);
    let _ = r.finish(Duration::from_secs(30));
    assert!(saved.contains("\"3\""), "state: {saved:?}");
}
