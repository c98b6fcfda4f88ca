//! The Kafka sink end to end: the real ssetap binary sends events from a
//! file or a live HTTP stream into a real broker (tansu), and an independent
//! consumer reads them back. Each test has its own broker, so tests run in
//! parallel and the fault tests can pause theirs with SIGSTOP.

#[path = "../common/mod.rs"]
mod common;
mod consume;
mod faults;
mod jq;
mod restarts;
mod resume;
mod server;
mod state_topic;
mod tansu;

use common::{Running, Scratch, run, ssetap};
use consume::{Record, assert_exactly_once_in_order, consume};
use server::SseServer;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};
use tansu::Tansu;

const READ_LIMIT: Duration = Duration::from_secs(30);

/// One test event: data is JSON with its number `n`.
fn event(n: u64, kind: Option<&str>, id: Option<&str>) -> String {
    let mut s = String::new();
    if let Some(k) = kind {
        s.push_str(&format!("event: {k}\n"));
    }
    if let Some(id) = id {
        s.push_str(&format!("id: {id}\n"));
    }
    s.push_str(&format!(
        "data: {{\"n\":{n},\"meta\":{{\"domain\":\"d{}.example\"}}}}\n\n",
        n % 3
    ));
    s
}

fn data(n: u64) -> String {
    format!(
        "{{\"n\":{n},\"meta\":{{\"domain\":\"d{}.example\"}}}}",
        n % 3
    )
}

fn state(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

fn by_n(mut records: Vec<Record>) -> Vec<Record> {
    records.sort_by_key(Record::n);
    records
}

#[test]
fn a_file_arrives_once_in_order_with_value_headers_timestamp_and_state() {
    let broker = Tansu::start();
    let dir = Scratch::new("file");
    broker.create_topic("file-events", 3);
    // Two events before any id (no sse.id header), then ids and types.
    let mut text = event(1, None, None) + &event(2, Some("edit"), None);
    for n in 3..=200 {
        let kind = if n % 2 == 0 { Some("edit") } else { None };
        text += &event(n, kind, Some(&format!("id-{n}")));
    }
    let input = dir.write("in.sse", &text);
    let state_file = dir.path("run.state");
    let before = now_ms();
    let b = broker.brokers();
    let out = run(&[
        input.to_str().unwrap(),
        "-b",
        &b,
        "-t",
        "file-events",
        "--state-file",
        state_file.to_str().unwrap(),
        "--stats",
    ]);
    let after = now_ms();
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    assert!(out.stdout.is_empty(), "Kafka mode writes no data to stdout");
    let s = out.stats();
    assert_eq!(
        (s["events"].as_u64(), s["delivered"].as_u64()),
        (Some(200), Some(200))
    );
    assert_eq!(s["in_flight"].as_u64(), Some(0));
    assert_eq!(state(&state_file), "{\"last_event_id\":\"id-200\"}\n");

    let records = consume(&b, &["file-events"], 200, READ_LIMIT);
    assert_exactly_once_in_order(&records, 200);
    for r in by_n(records) {
        let n = r.n();
        assert_eq!(r.text(), data(n), "value is the data, without a newline");
        assert_eq!(r.key, None, "--key none");
        let kind: &[u8] = if n % 2 == 0 { b"edit" } else { b"message" };
        assert_eq!(r.header("sse.event"), Some(kind), "event {n}");
        let id = format!("id-{n}");
        let want_id = (n >= 3).then_some(id.as_bytes());
        assert_eq!(r.header("sse.id"), want_id, "event {n}");
        let ts = r.timestamp.expect("a timestamp");
        assert!(
            before - 1000 <= ts && ts <= after + 1000,
            "receive time {ts}"
        );
    }
}

#[test]
fn event_types_are_routed_to_their_topics_and_keyed_by_type() {
    let broker = Tansu::start();
    let dir = Scratch::new("route");
    broker.create_topic("r.edit", 2);
    broker.create_topic("r.new", 1);
    let mut text = String::new();
    for n in 1..=60 {
        text += &event(n, Some(if n % 3 == 0 { "new" } else { "edit" }), None);
    }
    let input = dir.write("in.sse", &text);
    let b = broker.brokers();
    let out = run(&[
        input.to_str().unwrap(),
        "-b",
        &b,
        "-t",
        "r.{event}",
        "--key",
        "event",
    ]);
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    let records = consume(&b, &["r.edit", "r.new"], 60, READ_LIMIT);
    assert_exactly_once_in_order(&records, 60);
    for r in &records {
        let kind = if r.n() % 3 == 0 { "new" } else { "edit" };
        assert_eq!(r.topic, format!("r.{kind}"));
        assert_eq!(r.key.as_deref(), Some(kind.as_bytes()));
    }
}

/// Java's `Utils.murmur2` (Kafka's default partitioner for keyed records).
fn java_murmur2(data: &[u8]) -> u32 {
    const M: u32 = 0x5bd1_e995;
    let mut h = 0x9747_b28c ^ data.len() as u32;
    let mut blocks = data.chunks_exact(4);
    for b in &mut blocks {
        let mut k = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> 24;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M) ^ k;
    }
    let rest = blocks.remainder();
    if !rest.is_empty() {
        for (i, &b) in rest.iter().enumerate() {
            h ^= u32::from(b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^ (h >> 15)
}

#[test]
fn keyed_records_land_in_the_partition_a_java_producer_picks() {
    // Kafka's own test vectors for murmur2.
    assert_eq!(java_murmur2(b"21") as i32, -973932308);
    assert_eq!(
        java_murmur2(b"a-little-bit-longer-string") as i32,
        -1486304829
    );
    let broker = Tansu::start();
    let dir = Scratch::new("partitions");
    broker.create_topic("p.events", 7);
    let text: String = (1..=40)
        .map(|n| event(n, None, Some(&format!("id-{n}"))))
        .collect();
    let input = dir.write("in.sse", &text);
    let b = broker.brokers();
    let out = run(&[
        input.to_str().unwrap(),
        "-b",
        &b,
        "-t",
        "p.events",
        "--key",
        "id",
    ]);
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    let records = consume(&b, &["p.events"], 40, READ_LIMIT);
    assert_eq!(records.len(), 40);
    for r in &records {
        let key = r.key.clone().expect("a key");
        let want = (java_murmur2(&key) & 0x7fff_ffff) % 7;
        assert_eq!(
            r.partition as u32,
            want,
            "{}",
            String::from_utf8_lossy(&key)
        );
    }
}

#[test]
fn a_routed_type_that_makes_an_illegal_topic_name_fails_clearly() {
    let broker = Tansu::start();
    let dir = Scratch::new("illegal");
    broker.create_topic("i.ok", 1);
    let text = event(1, Some("ok"), Some("1")) + &event(2, Some("not ok"), Some("2"));
    let input = dir.write("in.sse", &text);
    let b = broker.brokers();
    let state_file = dir.path("illegal.state");
    let sf = state_file.to_str().unwrap();
    let out = run(&[
        input.to_str().unwrap(),
        "-b",
        &b,
        "-t",
        "i.{event}",
        "--state-file",
        sf,
    ]);
    assert_eq!(out.code, Some(1), "stderr: {}", out.stderr);
    assert!(out.stderr.contains("\"i.not ok\""), "{}", out.stderr);
    // The state never names the refused event (both came in one read, so
    // it may stay before the first, and then no state is written at all:
    // at least once, never past).
    let saved = std::fs::read_to_string(&state_file).unwrap_or_default();
    assert!(!saved.contains("\"2\""), "{saved}");
    // What came before the bad event was still delivered.
    assert_exactly_once_in_order(&consume(&b, &["i.ok"], 1, READ_LIMIT), 1);
}

#[test]
fn keys_follow_the_key_flag() {
    let broker = Tansu::start();
    let dir = Scratch::new("keys");
    let mut text = event(1, None, None);
    for n in 2..=9 {
        text += &event(n, None, Some(&format!("k{n}")));
    }
    let input = dir.write("in.sse", &text);
    let b = broker.brokers();
    type WantKey = fn(u64) -> Option<String>;
    let cases: [(&str, WantKey); 4] = [
        ("id", |n| (n >= 2).then(|| format!("k{n}"))),
        ("/meta/domain", |n| Some(format!("d{}.example", n % 3))),
        ("/n", |n| Some(n.to_string())),
        ("/meta", |n| {
            Some(format!("{{\"domain\":\"d{}.example\"}}", n % 3))
        }),
    ];
    for (i, (key, want)) in cases.iter().enumerate() {
        let topic = format!("keys-{i}");
        broker.create_topic(&topic, 2);
        let out = run(&[
            input.to_str().unwrap(),
            "-b",
            &b,
            "-t",
            &topic,
            "--key",
            key,
        ]);
        assert_eq!(out.code, Some(0), "--key {key}: {}", out.stderr);
        let records = consume(&b, &[&topic], 9, READ_LIMIT);
        assert_exactly_once_in_order(&records, 9);
        for r in records {
            let got = r
                .key
                .as_deref()
                .map(|k| String::from_utf8_lossy(k).into_owned());
            assert_eq!(got, want(r.n()), "--key {key}, event {}", r.n());
        }
    }
    // A pointer that misses, or data that is not JSON: no key.
    broker.create_topic("keys-miss", 1);
    let input = dir.write("plain.sse", "data: not json\n\n");
    let out = run(&[
        input.to_str().unwrap(),
        "-b",
        &b,
        "-t",
        "keys-miss",
        "--key",
        "/x",
    ]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let records = consume(&b, &["keys-miss"], 1, READ_LIMIT);
    assert_eq!(records.len(), 1);
    assert_eq!(
        (records[0].text().as_str(), records[0].key.clone()),
        ("not json", None)
    );
}

#[test]
fn json_format_puts_the_envelope_in_the_value() {
    let broker = Tansu::start();
    let dir = Scratch::new("json");
    broker.create_topic("json", 1);
    let text = event(1, Some("edit"), Some("a")) + &event(2, None, None);
    let input = dir.write("in.sse", &text);
    let b = broker.brokers();
    let out = run(&[
        input.to_str().unwrap(),
        "-b",
        &b,
        "-t",
        "json",
        "-f",
        "json",
        "--json-data",
    ]);
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    let records = consume(&b, &["json"], 2, READ_LIMIT);
    assert_eq!(records.len(), 2);
    let want = [
        format!("{{\"event\":\"edit\",\"id\":\"a\",\"data\":{}}}", data(1)),
        // The id persists: the second event's last event ID is still "a".
        format!(
            "{{\"event\":\"message\",\"id\":\"a\",\"data\":{}}}",
            data(2)
        ),
    ];
    assert_eq!([records[0].text(), records[1].text()], want);
}

#[test]
fn max_events_stops_after_n_and_delivers_them() {
    let broker = Tansu::start();
    let dir = Scratch::new("max");
    broker.create_topic("max", 3);
    let text: String = (1..=200)
        .map(|n| event(n, None, Some(&n.to_string())))
        .collect();
    let input = dir.write("in.sse", &text);
    let state_file = dir.path("max.state");
    let b = broker.brokers();
    let out = run(&[
        input.to_str().unwrap(),
        "-b",
        &b,
        "-t",
        "max",
        "-n",
        "25",
        "--state-file",
        state_file.to_str().unwrap(),
    ]);
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    assert_eq!(state(&state_file), "{\"last_event_id\":\"25\"}\n");
    assert_exactly_once_in_order(&consume(&b, &["max"], 25, READ_LIMIT), 25);
}

#[test]
fn a_missing_topic_fails_fast_with_a_clear_message() {
    let broker = Tansu::start();
    let dir = Scratch::new("missing");
    let input = dir.write("in.sse", event(1, None, None));
    let b = broker.brokers();
    let out = run(&[input.to_str().unwrap(), "-b", &b, "-t", "no-such-topic"]);
    assert_eq!(out.code, Some(1), "stderr: {}", out.stderr);
    let want = format!(
        "ssetap: error: topic \"no-such-topic\" does not exist on {b} (create it, or check -t)"
    );
    assert!(out.stderr.contains(&want), "{}", out.stderr);
    assert!(
        out.elapsed < Duration::from_secs(8),
        "took {:?}",
        out.elapsed
    );
}

#[test]
fn unreachable_brokers_fail_within_the_flush_timeout_and_keep_the_state() {
    let dir = Scratch::new("unreachable");
    let input = dir.write("in.sse", event(1, None, Some("new")));
    let state_file = dir.write("keep.state", "{\"last_event_id\":\"old\"}\n");
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let b = format!("127.0.0.1:{port}");
    let out = run(&[
        input.to_str().unwrap(),
        "-b",
        &b,
        "-t",
        "t",
        "--flush-timeout",
        "3s",
        "--state-file",
        state_file.to_str().unwrap(),
    ]);
    assert_eq!(out.code, Some(1), "stderr: {}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("ssetap: error: cannot reach Kafka brokers {b}: ")),
        "{}",
        out.stderr
    );
    assert!(
        out.elapsed < Duration::from_secs(15),
        "took {:?}",
        out.elapsed
    );
    assert_eq!(state(&state_file), "{\"last_event_id\":\"old\"}\n");
}

#[test]
fn bad_properties_fail_and_secrets_never_reach_stderr() {
    let dir = Scratch::new("secrets");
    let input = dir.write("in.sse", event(1, None, None));
    let out = run(&[
        input.to_str().unwrap(),
        "-b",
        "127.0.0.1:1",
        "-t",
        "t",
        "--kafka-property",
        "no.such.property=1",
    ]);
    // A usage error, found before anything is read.
    assert_eq!(out.code, Some(2), "stderr: {}", out.stderr);
    assert!(
        out.stderr
            .contains("--kafka-property no.such.property: No such configuration property"),
        "{}",
        out.stderr
    );

    // With -v and librdkafka's own debug output on, the password given in a
    // -F file shows nowhere.
    let secret = "hunter2-is-secret";
    let props = dir.write(
        "client.properties",
        format!(
            "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n\
             sasl.username=someone\nsasl.password={secret}\n"
        ),
    );
    let out = run(&[
        input.to_str().unwrap(),
        "-b",
        "127.0.0.1:1",
        "-t",
        "t",
        "-F",
        props.to_str().unwrap(),
        "-v",
        "--kafka-property",
        "debug=conf,security,broker",
        "--flush-timeout",
        "2s",
    ]);
    assert_eq!(out.code, Some(1), "stderr: {}", out.stderr);
    assert!(
        out.stderr.contains("librdkafka"),
        "-v shows librdkafka's lines: {}",
        out.stderr
    );
    assert!(!out.stderr.contains(secret), "{}", out.stderr);
    assert!(!out.stdout().contains(secret));
}
