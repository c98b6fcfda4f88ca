//! The Kafka sink against the producer ceiling: events per second from an
//! HTTP stream into a local tansu broker through ssetap, and from memory
//! through a minimal rdkafka `BaseProducer` loop with the same settings
//! (acks=all, idempotence) and the same payloads and headers.

use crate::{Verdicts, inputs, measure, serve};
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Broker(Child, u16);

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn tansu() -> Option<String> {
    if let Ok(p) = std::env::var("SSETAP_TANSU") {
        return Some(p);
    }
    if measure::have("tansu") {
        return Some("tansu".into());
    }
    let home = std::env::var("HOME").ok()? + "/.cargo/bin/tansu";
    std::path::Path::new(&home).is_file().then_some(home)
}

fn start(bin: &str) -> Option<Broker> {
    let port = TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let url = format!("tcp://127.0.0.1:{port}");
    let child = Command::new(bin)
        .args(["broker", "--storage-engine", "memory://tansu/"])
        .args(["--listener-url", &url, "--advertised-listener-url", &url])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let broker = Broker(child, port);
    let t = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if t.elapsed() > Duration::from_secs(10) {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(broker)
}

fn create_topic(bin: &str, port: u16, name: &str) -> bool {
    Command::new(bin)
        .args(["topic", "create", name, "--partitions", "1"])
        .args(["--broker", &format!("tcp://127.0.0.1:{port}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Create a producer, send every payload, wait for every acknowledgement;
/// the wall time (ssetap's includes its start-up and the HTTP stream too).
fn ceiling(brokers: &str, topic: &str, payloads: &[&[u8]]) -> Option<Duration> {
    let start = Instant::now();
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("acks", "all")
        .set("enable.idempotence", "true")
        .create()
        .ok()?;
    for (i, p) in payloads.iter().enumerate() {
        let id = (i + 1).to_string();
        let headers = OwnedHeaders::new_with_capacity(2)
            .insert(Header {
                key: "sse.event",
                value: Some("edit"),
            })
            .insert(Header {
                key: "sse.id",
                value: Some(&id),
            });
        let mut rec = BaseRecord::<(), [u8]>::to(topic)
            .payload(*p)
            .headers(headers);
        loop {
            match producer.send(rec) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    rec = back;
                    producer.poll(Duration::from_millis(10));
                }
                Err(_) => return None,
            }
        }
        // Serve delivery reports now and then, as ssetap does once per read:
        // a poll per message costs more than the send.
        if i % 256 == 0 {
            producer.poll(Duration::ZERO);
        }
    }
    // Not `flush`: rdkafka's flush sleeps in 100 ms polls.
    let deadline = Instant::now() + Duration::from_secs(120);
    while producer.in_flight_count() > 0 && Instant::now() < deadline {
        producer.poll(Duration::from_millis(1));
    }
    (producer.in_flight_count() == 0).then(|| start.elapsed())
}

pub fn report(bin: &str, quick: bool, runs: usize, verdicts: &mut Verdicts) {
    println!("## Kafka: into a local tansu broker\n");
    let Some(tansu) = tansu() else {
        println!("(skipped: tansu not found; .ci/test installs it)\n");
        return;
    };
    let Some(broker) = start(&tansu) else {
        println!("(skipped: tansu did not start)\n");
        return;
    };
    let brokers = format!("127.0.0.1:{}", broker.1);
    let body =
        crate::realistic::wikimedia(if quick { 5 } else { 30 }, crate::realistic::Style::Compact);
    let events = inputs::count_events(&body);
    let payloads: Vec<&[u8]> = body
        .split(|&b| b == b'\n')
        .filter_map(|l| l.strip_prefix(b"data: "))
        .collect();
    let url = serve::start(Arc::new(body.clone()), 1);
    // Pairs taken close together, in alternating order; a fresh topic each.
    let (mut ours, mut bare) = (Vec::new(), Vec::new());
    for i in 0..runs.max(3) {
        let (t1, t2) = (format!("ssetap-{i}"), format!("ceiling-{i}"));
        if !create_topic(&tansu, broker.1, &t1) || !create_topic(&tansu, broker.1, &t2) {
            println!("(skipped: cannot create topics)\n");
            return;
        }
        let script = format!("{bin} {url} --no-reconnect -q -b {brokers} -t {t1}");
        let ssetap = || measure::run(&script).map(|s| s.wall);
        let (a, b) = if i % 2 == 0 {
            let a = ssetap();
            (a, ceiling(&brokers, &t2, &payloads))
        } else {
            let b = ceiling(&brokers, &t2, &payloads);
            (ssetap(), b)
        };
        if let (Some(a), Some(b)) = (a, b) {
            ours.push(a);
            bare.push(b);
        }
    }
    if ours.is_empty() {
        println!("(a Kafka run failed)\n");
        return;
    }
    let mut ratios: Vec<f64> = ours
        .iter()
        .zip(&bare)
        .map(|(a, b)| b.as_secs_f64() / a.as_secs_f64())
        .collect();
    ratios.sort_by(f64::total_cmp);
    let ratio = ratios[ratios.len() / 2];
    ours.sort();
    bare.sort();
    let rate = |d: &Duration| events as f64 / d.as_secs_f64();
    let (a, b) = (rate(&ours[ours.len() / 2]), rate(&bare[bare.len() / 2]));
    println!(
        "{events} events of ~900 B, acks=all and idempotence for both, {} pairs; \
         the ratio is the median over pairs\n",
        ours.len()
    );
    println!("| sender | events/s | vs ceiling |\n|---|---|---|");
    println!("| bare BaseProducer loop (ceiling) | {b:.0} | 1.00× |");
    println!("| ssetap URL -b … -t … | {a:.0} | {ratio:.2}× |\n");
    verdicts.check(
        format!("Kafka: {ratio:.2}× the producer ceiling ≥ 0.8×"),
        ratio >= 0.8,
    );
}
