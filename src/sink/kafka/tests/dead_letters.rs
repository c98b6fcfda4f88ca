//! Dead letters against the mock cluster: a record the broker refuses for
//! good, or a routed type that cannot be a topic, goes to
//! `--dead-letter-topic` with headers saying why and counts as delivered;
//! failures retrying could fix are not dead-lettered; an ID too long for a
//! header leaves the header out, not the record; a fresh routed topic per
//! event does not grow what the sink remembers of topics; a type routed
//! to the state or dead-letter topic is refused; a routed topic created
//! during the run is used once it is asked about again.

use super::*;

fn with_dlq(mut o: Options, dlq: &str) -> Options {
    o.dead_letter_topic = Some(dlq.to_string());
    o
}

/// Events routed by type to `sse.{event}`, dead letters to `dlq`.
fn routed(brokers: &str) -> Options {
    with_dlq(cfg(brokers, "sse.{event}", KeySpec::None, &[]), "dlq")
}

/// A record as read back: key, value, headers.
type Read = (Option<Vec<u8>>, Vec<u8>, Vec<(String, Vec<u8>)>);

/// Every record in `topic`, from the start.
fn read_all(brokers: &str, topic: &str, want: usize) -> Vec<Read> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("read-{topic}"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let mut got = Vec::new();
    let start = Instant::now();
    while got.len() < want && start.elapsed() < Duration::from_secs(20) {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            got.push((
                m.key().map(<[u8]>::to_vec),
                m.payload().unwrap_or_default().to_vec(),
                headers_of(&m),
            ));
        }
    }
    got
}

fn header<'h>(headers: &'h [(String, Vec<u8>)], name: &str) -> Option<&'h [u8]> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_slice())
}

#[test]
fn a_record_the_broker_refuses_goes_to_the_dead_letter_topic_and_counts_as_delivered() {
    let cluster = mock(&[("data", 1), ("dlq", 1)]);
    let brokers = cluster.bootstrap_servers();
    let o = with_dlq(cfg(&brokers, "data", KeySpec::Id, &[]), "dlq");
    let mut sink = KafkaSink::new(&o, &quiet()).unwrap();
    let mut fmt = formatter();
    sink.event(&ev(b"edit", b"1", b"ok"), 1, SystemTime::now(), &mut fmt)
        .unwrap();
    poll_until(&mut sink, Duration::from_secs(20), |s| s.delivered() == 1);
    let refused = [RDKafkaRespErr::RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE];
    cluster.request_errors(RDKafkaApiKey::Produce, &refused);
    sink.event(
        &ev(b"edit", b"2", b"too big"),
        2,
        SystemTime::now(),
        &mut fmt,
    )
    .unwrap();
    poll_until(&mut sink, Duration::from_secs(20), |s| s.delivered() == 2);
    sink.event(&ev(b"edit", b"3", b"after"), 3, SystemTime::now(), &mut fmt)
        .unwrap();
    sink.close().unwrap();
    assert_eq!(sink.delivered(), 3);
    assert_eq!(sink.counts().dead_lettered, Some(1));
    let dead = read_all(&brokers, "dlq", 1);
    assert_eq!(dead.len(), 1);
    let (key, value, headers) = &dead[0];
    assert_eq!(key.as_deref(), Some(&b"2"[..]));
    assert_eq!(value, b"too big");
    assert_eq!(header(headers, "sse.id"), Some(&b"2"[..]));
    assert_eq!(header(headers, "sse.event"), Some(&b"edit"[..]));
    assert_eq!(header(headers, "ssetap.topic"), Some(&b"data"[..]));
    let why = String::from_utf8_lossy(header(headers, "ssetap.error").unwrap_or_default());
    assert!(why.contains("too large"), "{why}");
    let data = read_all(&brokers, "data", 2);
    assert_eq!(data.len(), 2, "events 1 and 3 in the data topic");
}

#[test]
fn routed_types_that_cannot_be_topics_are_dead_lettered_and_the_run_goes_on() {
    let cluster = mock(&[("sse.a", 1), ("dlq", 1)]);
    let unknown = RDKafkaRespErr::RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    cluster.topic_error("sse.missing", unknown).unwrap();
    let brokers = cluster.bootstrap_servers();
    let o = routed(&brokers);
    let mut sink = KafkaSink::new(&o, &quiet()).unwrap();
    let mut fmt = formatter();
    let now = SystemTime::now();
    sink.event(&ev(b"a", b"", b"1"), 1, now, &mut fmt).unwrap();
    sink.event(&ev(b"bad type", b"", b"2"), 2, now, &mut fmt)
        .unwrap();
    sink.event(&ev(b"missing", b"", b"3"), 3, now, &mut fmt)
        .unwrap();
    sink.event(&ev(b"missing", b"", b"4"), 4, now, &mut fmt)
        .unwrap();
    sink.event(&ev(b"a", b"", b"5"), 5, now, &mut fmt).unwrap();
    sink.close().unwrap();
    assert_eq!(sink.delivered(), 5);
    assert_eq!(sink.counts().dead_lettered, Some(3));
    let dead = read_all(&brokers, "dlq", 3);
    let topics: Vec<String> = dead
        .iter()
        .map(|(_, _, h)| {
            String::from_utf8_lossy(header(h, "ssetap.topic").unwrap_or_default()).into_owned()
        })
        .collect();
    assert_eq!(topics, ["sse.bad type", "sse.missing", "sse.missing"]);
    // Both dead letters of the missing topic say the same thing: the first
    // found it missing, the second was refused from memory.
    let errors: Vec<String> = dead[1..]
        .iter()
        .map(|(_, _, h)| {
            String::from_utf8_lossy(header(h, "ssetap.error").unwrap_or_default()).into_owned()
        })
        .collect();
    assert_eq!(errors[0], errors[1]);
    assert!(
        errors[0].ends_with("(create it, or check -t)"),
        "{}",
        errors[0]
    );
}

/// A server that names its events after the state topic must not write
/// the resume point: such an event is refused like an illegal name, so
/// it is dead-lettered (or, with no dead-letter topic, ends the run).
#[test]
fn an_event_routed_to_a_reserved_topic_is_refused() {
    let cluster = mock(&[("sse.a", 1), ("sse.state", 1), ("dlq", 1)]);
    let brokers = cluster.bootstrap_servers();
    let mut o = routed(&brokers);
    o.reserved = vec!["sse.state".into()];
    let mut sink = KafkaSink::new(&o, &quiet()).unwrap();
    let mut fmt = formatter();
    let now = SystemTime::now();
    sink.event(&ev(b"a", b"", b"1"), 1, now, &mut fmt).unwrap();
    sink.event(
        &ev(b"state", b"", b"{\"last_event_id\":\"999\"}"),
        2,
        now,
        &mut fmt,
    )
    .unwrap();
    sink.close().unwrap();
    assert_eq!(sink.counts().dead_lettered, Some(1));
    let dead = read_all(&brokers, "dlq", 1);
    let topic = header(&dead[0].2, "ssetap.topic").unwrap_or_default();
    assert_eq!(topic, b"sse.state");

    o.dead_letter_topic = None;
    let mut sink = KafkaSink::new(&o, &quiet()).unwrap();
    let err = sink
        .event(&ev(b"state", b"", b"x"), 1, now, &mut fmt)
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("ssetap's own records"),
        "{err:#}"
    );
}

/// A routed topic found missing is asked about again after a while: once
/// it is created, its events go there, not on to the dead-letter topic.
#[test]
fn a_routed_topic_created_during_the_run_is_used_from_then_on() {
    let cluster = mock(&[("dlq", 1)]);
    let brokers = cluster.bootstrap_servers();
    let o = routed(&brokers);
    let mut sink = KafkaSink::new(&o, &quiet()).unwrap();
    let mut fmt = formatter();
    let now = SystemTime::now();
    let unknown = RDKafkaRespErr::RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    cluster.topic_error("sse.late", unknown).unwrap();
    sink.event(&ev(b"late", b"", b"1"), 1, now, &mut fmt)
        .unwrap();
    cluster
        .topic_error("sse.late", RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR)
        .unwrap();
    sink.event(&ev(b"late", b"", b"2"), 2, now, &mut fmt)
        .unwrap();
    sink.missing_recheck = Duration::ZERO;
    sink.event(&ev(b"late", b"", b"3"), 3, now, &mut fmt)
        .unwrap();
    sink.close().unwrap();
    assert_eq!(sink.delivered(), 3);
    assert_eq!(
        sink.counts().dead_lettered,
        Some(2),
        "1, and 2 before the recheck"
    );
    let late = read_all(&brokers, "sse.late", 1);
    assert_eq!(late.len(), 1);
    assert_eq!(late[0].1, b"3");
}

/// A dead letter the producer cannot take either (its headers alone past
/// `message.max.bytes`) fails the run at once: it is no longer counted in
/// flight, so the exit does not wait the flush timeout for it.
#[test]
fn a_dead_letter_that_cannot_be_sent_is_not_waited_for() {
    let cluster = mock(&[("data", 1), ("dlq", 1)]);
    let brokers = cluster.bootstrap_servers();
    let extra = [("message.max.bytes", "1000")];
    let o = with_dlq(cfg(&brokers, "data", KeySpec::None, &extra), "dlq");
    let mut sink = KafkaSink::new(&o, &quiet()).unwrap();
    let mut fmt = formatter();
    let id = vec![b'i'; 3000];
    let sent = sink.event(&ev(b"", &id, b"x"), 1, SystemTime::now(), &mut fmt);
    let started = Instant::now();
    let closed = sink.close();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let err = sent.and(closed).unwrap_err();
    assert!(
        format!("{err:#}").contains("--dead-letter-topic"),
        "{err:#}"
    );
    assert_eq!(sink.counts().in_flight, 0);
}

#[test]
fn failures_retrying_could_fix_are_not_dead_lettered() {
    let cluster = mock(&[("data", 1), ("dlq", 1)]);
    let o = with_dlq(
        cfg(&cluster.bootstrap_servers(), "data", KeySpec::None, &[]),
        "dlq",
    );
    let mut sink = KafkaSink::new(&o, &quiet()).unwrap();
    let mut fmt = formatter();
    let denied = [RDKafkaRespErr::RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED; 50];
    cluster.request_errors(RDKafkaApiKey::Produce, &denied);
    sink.event(&ev(b"", b"", b"no"), 1, SystemTime::now(), &mut fmt)
        .unwrap();
    poll_until(&mut sink, Duration::from_secs(20), |s| {
        s.counts().failed > 0
    });
    assert!(sink.poll().is_err());
    assert_eq!(sink.counts().dead_lettered, Some(0));
    assert_eq!(sink.delivered(), 0);
}

#[test]
fn an_id_too_long_for_a_header_leaves_the_header_out_not_the_record() {
    let cluster = mock(&[("data", 1)]);
    let brokers = cluster.bootstrap_servers();
    let o = cfg(&brokers, "data", KeySpec::None, &[]);
    let mut sink = KafkaSink::new(&o, &quiet()).unwrap();
    let mut fmt = formatter();
    let huge = vec![b'x'; 1 << 20];
    sink.event(
        &ev(b"edit", &huge, b"big id"),
        1,
        SystemTime::now(),
        &mut fmt,
    )
    .unwrap();
    sink.event(
        &ev(b"edit", b"a\x01b", b"odd id"),
        2,
        SystemTime::now(),
        &mut fmt,
    )
    .unwrap();
    sink.close().unwrap();
    assert_eq!(sink.delivered(), 2);
    let got = read_all(&brokers, "data", 2);
    assert_eq!(got[0].1, b"big id");
    assert_eq!(header(&got[0].2, "sse.id"), None);
    assert_eq!(header(&got[1].2, "sse.id"), Some(&b"a\x01b"[..]));
}

/// A server that puts a fresh word in each event's type, routed with
/// `{event}`: the topics remembered as checked or missing stay at most
/// `TOPICS_REMEMBERED` each, and every record is still delivered or dead
/// lettered.
#[test]
fn a_fresh_type_per_event_does_not_grow_the_remembered_topics() {
    let cluster = mock(&[("dlq", 1)]);
    let brokers = cluster.bootstrap_servers();
    let o = routed(&brokers);
    let mut sink = KafkaSink::new(&o, &quiet()).unwrap();
    let mut fmt = formatter();
    let now = SystemTime::now();
    let n = TOPICS_REMEMBERED as u64 + 50;
    for i in 0..n {
        let kind = format!("t{i}");
        sink.event(&ev(kind.as_bytes(), b"", b"x"), i + 1, now, &mut fmt)
            .unwrap();
        assert!(sink.checked.len() <= TOPICS_REMEMBERED);
        assert!(sink.missing.len() <= TOPICS_REMEMBERED);
    }
    sink.close().unwrap();
    assert_eq!(sink.delivered(), n);
    eprintln!(
        "checked {}, missing {}, dead lettered {:?}",
        sink.checked.len(),
        sink.missing.len(),
        sink.counts().dead_lettered
    );
}
