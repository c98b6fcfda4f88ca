//! The sink against librdkafka's in-process mock cluster: no broker to
//! install, and errors a real broker will not produce on demand.

use super::*;
use crate::format::{Format, FormatOptions, Formatter};
use crate::sse::{Event, ev};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};

fn mock(topics: &[(&str, i32)]) -> MockCluster<'static, DefaultProducerContext> {
    let cluster = MockCluster::new(3).expect("mock cluster");
    for (t, parts) in topics {
        cluster.create_topic(t, *parts, 1).expect("mock topic");
    }
    cluster
}

fn cfg(brokers: &str, topic: &str, key: KeySpec, extra: &[(&str, &str)]) -> Options {
    let mut properties = vec![
        ("acks".to_string(), "all".to_string()),
        ("enable.idempotence".to_string(), "true".to_string()),
        ("bootstrap.servers".to_string(), brokers.to_string()),
    ];
    properties.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Options {
        topic: topic.to_string(),
        key,
        properties,
        flush_timeout: Duration::from_secs(10),
        dead_letter_topic: None,
        reserved: Vec::new(),
    }
}

/// Format an event into the sink's buffer and hand it over, as the
/// pipeline does.
trait SendEvent {
    fn event(
        &mut self,
        ev: &Event<'_>,
        seq: u64,
        time: SystemTime,
        fmt: &mut Formatter,
    ) -> Result<()>;
}

impl SendEvent for KafkaSink {
    fn event(
        &mut self,
        ev: &Event<'_>,
        seq: u64,
        time: SystemTime,
        fmt: &mut Formatter,
    ) -> Result<()> {
        let start = self.buffer().len();
        fmt.event(ev, time, self.buffer());
        self.record(&Record {
            seq,
            value: Value::Built(start),
            event: Some(ev),
            time,
            last: true,
            key: crate::record::Key::FromEvent,
        })
    }
}

fn quiet() -> Log {
    Log::new(true, false, Vec::new())
}

fn formatter() -> Formatter {
    Formatter::new(FormatOptions {
        format: Format::Data,
        json_data: false,
        timestamp: false,
        color: false,
    })
}

/// Poll until `done` holds or `limit` passes.
/// A record's headers as read back, in order.
fn headers_of(m: &impl Message) -> Vec<(String, Vec<u8>)> {
    m.headers()
        .map(|h| {
            h.iter()
                .map(|h| (h.key.to_string(), h.value.unwrap_or_default().to_vec()))
                .collect()
        })
        .unwrap_or_default()
}

fn poll_until(sink: &mut KafkaSink, limit: Duration, done: impl Fn(&KafkaSink) -> bool) {
    let start = Instant::now();
    while !done(sink) && start.elapsed() < limit {
        let _ = sink.poll();
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn every_event_is_acknowledged_and_counted() {
    let cluster = mock(&[("t", 3)]);
    let mut sink = KafkaSink::new(
        &cfg(&cluster.bootstrap_servers(), "t", KeySpec::None, &[]),
        &quiet(),
    )
    .unwrap();
    let mut fmt = formatter();
    for seq in 1..=500u64 {
        let data = format!("{{\"n\":{seq}}}");
        sink.event(
            &ev(b"", b"", data.as_bytes()),
            seq,
            SystemTime::now(),
            &mut fmt,
        )
        .unwrap();
    }
    poll_until(&mut sink, Duration::from_secs(20), |s| s.delivered() == 500);
    assert_eq!(sink.delivered(), 500);
    let c = sink.counts();
    assert_eq!((c.delivered, c.failed, c.in_flight), (500, 0, 0));
    sink.close().unwrap();
}

#[test]
fn records_carry_value_key_headers_and_timestamp() {
    let cluster = mock(&[("rec", 1)]);
    let brokers = cluster.bootstrap_servers();
    let mut sink = KafkaSink::new(
        &cfg(&brokers, "rec", KeySpec::Pointer("/k".into()), &[]),
        &quiet(),
    )
    .unwrap();
    let mut fmt = formatter();
    let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
    sink.event(&ev(b"edit", b"7", br#"{"k":"a"}"#), 1, at, &mut fmt)
        .unwrap();
    sink.event(&ev(b"", b"", b"plain"), 2, at, &mut fmt)
        .unwrap();
    sink.close().unwrap();
    assert_eq!(sink.delivered(), 2);

    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("group.id", "records-test")
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&["rec"]).unwrap();
    let mut got = Vec::new();
    let start = Instant::now();
    while got.len() < 2 && start.elapsed() < Duration::from_secs(20) {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            got.push((
                m.payload().map(<[u8]>::to_vec),
                m.key().map(<[u8]>::to_vec),
                headers_of(&m),
                m.timestamp().to_millis(),
            ));
        }
    }
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].0.as_deref(), Some(&br#"{"k":"a"}"#[..]));
    assert_eq!(got[0].1.as_deref(), Some(&b"a"[..]));
    assert_eq!(
        got[0].2,
        vec![
            ("sse.event".to_string(), b"edit".to_vec()),
            ("sse.id".to_string(), b"7".to_vec())
        ]
    );
    assert_eq!(got[0].3, Some(1_700_000_000_123));
    assert_eq!(got[1].0.as_deref(), Some(&b"plain"[..]));
    assert_eq!(got[1].1, None);
    assert_eq!(
        got[1].2,
        vec![("sse.event".to_string(), b"message".to_vec())]
    );
}

#[test]
fn a_missing_topic_fails_at_start() {
    let cluster = mock(&[]);
    cluster
        .topic_error(
            "nope",
            RDKafkaRespErr::RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
        )
        .unwrap();
    let brokers = cluster.bootstrap_servers();
    let start = Instant::now();
    let err = KafkaSink::new(&cfg(&brokers, "nope", KeySpec::None, &[]), &quiet())
        .err()
        .expect("an error");
    assert!(start.elapsed() < Duration::from_secs(9));
    let text = format!("{err:#}");
    assert!(text.contains("topic \"nope\" does not exist on"), "{text}");
    assert!(text.contains("(create it, or check -t)"), "{text}");
}

#[test]
fn unreachable_brokers_fail_within_the_flush_timeout() {
    let mut c = cfg("127.0.0.1:1", "t", KeySpec::None, &[]);
    c.flush_timeout = Duration::from_secs(2);
    let start = Instant::now();
    let err = KafkaSink::new(&c, &quiet()).err().expect("an error");
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
    let text = format!("{err:#}");
    assert!(
        text.contains("cannot reach Kafka brokers 127.0.0.1:1: "),
        "{text}"
    );
}

#[test]
fn a_permanent_failure_ends_the_run_and_pins_delivered() {
    let cluster = mock(&[("perm", 1)]);
    let mut sink = KafkaSink::new(
        &cfg(&cluster.bootstrap_servers(), "perm", KeySpec::None, &[]),
        &quiet(),
    )
    .unwrap();
    let mut fmt = formatter();
    for seq in 1..=5 {
        sink.event(&ev(b"", b"", b"ok"), seq, SystemTime::now(), &mut fmt)
            .unwrap();
    }
    poll_until(&mut sink, Duration::from_secs(20), |s| s.delivered() == 5);
    assert_eq!(sink.delivered(), 5);
    let denied = [RDKafkaRespErr::RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED; 50];
    cluster.request_errors(RDKafkaApiKey::Produce, &denied);
    let mut result = Ok(());
    for seq in 6..=8 {
        result = sink.event(&ev(b"", b"", b"no"), seq, SystemTime::now(), &mut fmt);
    }
    assert!(result.is_ok());
    poll_until(&mut sink, Duration::from_secs(20), |s| {
        s.counts().failed > 0
    });
    let err = sink.poll().expect_err("a permanent failure");
    let text = format!("{err:#}");
    assert!(text.contains("Kafka did not take event 6"), "{text}");
    assert!(text.contains("authoriz"), "{text}");
    assert_eq!(sink.delivered(), 5);
    // Sticky: the next event is refused too, and close says what was lost.
    assert!(
        sink.event(&ev(b"", b"", b"x"), 9, SystemTime::now(), &mut fmt)
            .is_err()
    );
    let start = Instant::now();
    let err = sink.close().expect_err("undelivered events");
    assert!(start.elapsed() < Duration::from_secs(8));
    assert!(
        format!("{err:#}").contains("not delivered to Kafka"),
        "{err:#}"
    );
    assert_eq!(sink.delivered(), 5);
}

#[test]
fn a_full_queue_waits_for_room_and_loses_nothing() {
    let cluster = mock(&[("full", 2)]);
    let mut sink = KafkaSink::new(
        &cfg(
            &cluster.bootstrap_servers(),
            "full",
            KeySpec::None,
            &[("queue.buffering.max.messages", "10")],
        ),
        &quiet(),
    )
    .unwrap();
    let mut fmt = formatter();
    for seq in 1..=300u64 {
        sink.event(&ev(b"", b"", b"x"), seq, SystemTime::now(), &mut fmt)
            .unwrap();
        assert!(sink.counts().in_flight <= 10);
    }
    sink.close().unwrap();
    assert_eq!(sink.delivered(), 300);
}

#[test]
fn a_full_queue_with_silent_brokers_gives_up_after_the_flush_timeout() {
    let cluster = mock(&[("stuck", 1)]);
    let mut c = cfg(
        &cluster.bootstrap_servers(),
        "stuck",
        KeySpec::None,
        &[("queue.buffering.max.messages", "5")],
    );
    c.flush_timeout = Duration::from_secs(2);
    let mut sink = KafkaSink::new(&c, &quiet()).unwrap();
    for id in 1..=3 {
        cluster.broker_down(id).unwrap();
    }
    let mut fmt = formatter();
    let start = Instant::now();
    let mut result = Ok(());
    for seq in 1..=10 {
        result = sink.event(&ev(b"", b"", b"x"), seq, SystemTime::now(), &mut fmt);
        if result.is_err() {
            break;
        }
    }
    let err = result.expect_err("gave up");
    assert!(start.elapsed() >= Duration::from_secs(2));
    assert!(start.elapsed() < Duration::from_secs(10));
    let text = format!("{err:#}");
    assert!(
        text.contains("acknowledged nothing for 2s (--flush-timeout)"),
        "{text}"
    );
    assert_eq!(sink.delivered(), 0);
}

#[test]
fn routed_topics_are_checked_and_named_legally() {
    let cluster = mock(&[("r.a", 1), ("r.b", 1)]);
    cluster
        .topic_error(
            "r.c",
            RDKafkaRespErr::RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
        )
        .unwrap();
    let mut sink = KafkaSink::new(
        &cfg(
            &cluster.bootstrap_servers(),
            "r.{event}",
            KeySpec::Event,
            &[],
        ),
        &quiet(),
    )
    .unwrap();
    let mut fmt = formatter();
    let now = SystemTime::now();
    sink.event(&ev(b"a", b"", b"1"), 1, now, &mut fmt).unwrap();
    sink.event(&ev(b"b", b"", b"2"), 2, now, &mut fmt).unwrap();
    let err = sink
        .event(&ev(b"c", b"", b"3"), 3, now, &mut fmt)
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("topic \"r.c\" does not exist"),
        "{err:#}"
    );
    let err = sink
        .event(&ev(b"bad type", b"", b"4"), 4, now, &mut fmt)
        .unwrap_err();
    assert!(format!("{err:#}").contains("\"r.bad type\""), "{err:#}");
    poll_until(&mut sink, Duration::from_secs(20), |s| s.delivered() == 2);
    assert_eq!(sink.delivered(), 2);
}

#[test]
fn an_invalid_property_is_named_and_a_secret_value_is_not() {
    let c = cfg(
        "127.0.0.1:1",
        "t",
        KeySpec::None,
        &[("no.such.property", "1")],
    );
    let err = KafkaSink::new(&c, &quiet()).err().expect("an error");
    let text = format!("{err:#}");
    assert!(text.contains("no.such.property"), "{text}");

    let secret = KafkaError::ClientConfig(
        rdkafka::types::RDKafkaConfRes::RD_KAFKA_CONF_INVALID,
        "Invalid value \"hunter2\" for configuration property \"sasl.password\"".into(),
        "sasl.password".into(),
        "hunter2".into(),
    );
    let text = format!("{:#}", config_error(secret));
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains("sasl.password"), "{text}");
}

#[test]
fn secret_properties_are_recognised() {
    for name in [
        "sasl.password",
        "ssl.key.password",
        "ssl.keystore.password",
        "ssl.truststore.password",
        "sasl.oauthbearer.client.secret",
        "sasl.jaas.config",
        "ssl.key.pem",
        "sasl.oauthbearer.assertion.private.key.pem",
        "sasl.oauthbearer.assertion.private.key.passphrase",
        "sasl.oauthbearer.config",
        "sasl.username",
        "SASL.PASSWORD",
    ] {
        assert!(is_secret_property(name), "{name}");
    }
    for name in [
        "bootstrap.servers",
        "acks",
        "ssl.ca.location",
        "sasl.mechanism",
        "security.protocol",
        "compression.type",
    ] {
        assert!(!is_secret_property(name), "{name}");
    }
}

mod dead_letters;
