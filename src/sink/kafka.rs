//! sink::kafka: the Kafka sink. Owns the librdkafka producer (a synchronous
//! `BaseProducer`; delivery reports are served inside `poll`, on our
//! thread), turns each event into a record, waits when librdkafka's queue is
//! full instead of dropping anything, and keeps the deliveries on what the
//! brokers acknowledged: `delivered` is the number below which everything is
//! safely in Kafka, the only point the state file may move to.

mod context;
mod dead;
mod deliveries;
mod route;
mod state;
mod window;

use crate::log::Log;
use crate::record::{Key, Record, Value};
use crate::redact::is_secret_property;
use crate::stats::Acks;
use anyhow::{Result, anyhow, bail};
use context::{Context, describe};
use dead::DeadLetters;
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use std::collections::HashSet;
use std::time::{Duration, Instant, SystemTime};
use window::Window;

pub use route::{KeySpec, check_template};
pub use state::{StateOptions, StateTopic, default_key};

/// What the Kafka sink needs to know; `config` builds it from the flags.
#[derive(Debug, Clone)]
pub struct Options {
    /// The `-t` template; `{event}` in it is replaced by each event's type.
    pub topic: String,
    pub key: KeySpec,
    /// librdkafka properties, in order; later entries win.
    pub properties: Vec<(String, String)>,
    /// At exit, how long to wait for acknowledgements.
    pub flush_timeout: Duration,
    /// Where refused records go instead of failing the run.
    pub dead_letter_topic: Option<String>,
    /// Topics that hold ssetap's own records (the state topic, the
    /// dead-letter topic): an event routed to one is refused.
    pub reserved: Vec<String>,
}

/// How long to wait for the brokers' answer to a metadata request (or the
/// flush timeout, if that is shorter).
const METADATA_TIMEOUT: Duration = Duration::from_secs(10);
/// The most topics remembered as checked, or as missing: with `{event}`
/// in `-t` a server names the topics, and one that puts a fresh word in
/// each event's type would grow the sets for as long as the run lasts.
/// Past it a set starts again (a topic is then asked about once more).
const TOPICS_REMEMBERED: usize = 1024;

/// How long one wait for room in a full queue lasts before looking again.
const QUEUE_FULL_WAIT: Duration = Duration::from_millis(100);

/// How long a routed topic found missing stays so before it is asked
/// about again: a topic created while the run goes on is used from then on.
const MISSING_RECHECK: Duration = Duration::from_secs(30);

/// Add `topic` to `set`, emptied first when it is full.
fn remember(set: &mut HashSet<String>, topic: &str) {
    if set.len() >= TOPICS_REMEMBERED {
        set.clear();
    }
    set.insert(topic.to_string());
}

pub struct KafkaSink {
    producer: BaseProducer<Context>,
    /// The `-t` template, the topics already checked to exist, and (with a
    /// dead-letter topic) those found missing; each set at most
    /// `TOPICS_REMEMBERED` long (`remember`).
    topic: String,
    checked: HashSet<String>,
    missing: HashSet<String>,
    /// When the oldest of `missing` was found missing; past
    /// `missing_recheck` the set is emptied and each is asked about again.
    missing_since: Instant,
    missing_recheck: Duration,
    /// `Options::reserved`.
    reserved: Vec<String>,
    key: KeySpec,
    /// The formatted record value (reused).
    value: Vec<u8>,
    deliveries: Deliveries,
    /// An ID too long for the `sse.id` header was met (said once).
    warned_long_id: bool,
}

/// Everything learnt from the producer's callbacks.
struct Deliveries {
    window: Window,
    delivered: u64,
    failed: u64,
    /// The first permanent failure: ends the run.
    failure: Option<(u64, String)>,
    last_error: Option<String>,
    /// Last sign of progress (an ack, or the start of a wait).
    progress: Instant,
    /// The last acknowledgement, or the last look that found nothing
    /// waiting: for `/healthz` (`Acks::unacked_since`).
    acked_or_idle: Instant,
    /// Since when `event` has been waiting for room in a full queue.
    stalled: Option<Instant>,
    warned: bool,
    callbacks: u64,
    flush_timeout: Duration,
    brokers: String,
    log: Log,
    closed: bool,
    dead: Option<DeadLetters>,
}

impl KafkaSink {
    pub fn new(cfg: &Options, log: &Log) -> Result<KafkaSink> {
        route::check_template(&cfg.topic)?;
        let secrets: Vec<String> = cfg
            .properties
            .iter()
            .filter(|(k, v)| is_secret_property(k) && !v.is_empty())
            .flat_map(|(_, v)| crate::redact::secret_values(v))
            .collect();
        let mut client = ClientConfig::new();
        for (k, v) in &cfg.properties {
            client.set(k, v);
        }
        client.set_log_level(if log.verbose() {
            RDKafkaLogLevel::Debug
        } else {
            RDKafkaLogLevel::Emerg
        });
        let producer: BaseProducer<Context> = client
            .create_with_context(Context::default())
            .map_err(config_error)?;
        let brokers = cfg
            .properties
            .iter()
            .rev()
            .find(|(k, _)| k == "bootstrap.servers" || k == "metadata.broker.list")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let mut sink = KafkaSink {
            producer,
            topic: cfg.topic.clone(),
            checked: HashSet::new(),
            missing: HashSet::new(),
            missing_since: Instant::now(),
            missing_recheck: MISSING_RECHECK,
            reserved: cfg.reserved.clone(),
            key: cfg.key.clone(),
            value: Vec::new(),
            deliveries: Deliveries {
                window: Window::new(),
                delivered: 0,
                failed: 0,
                failure: None,
                last_error: None,
                progress: Instant::now(),
                acked_or_idle: Instant::now(),
                stalled: None,
                warned: false,
                callbacks: 0,
                flush_timeout: cfg.flush_timeout,
                brokers,
                log: log.sibling(secrets),
                closed: false,
                dead: cfg
                    .dead_letter_topic
                    .clone()
                    .map(|t| DeadLetters::new(t, &cfg.properties)),
            },
            warned_long_id: false,
        };
        sink.check_brokers()?;
        if let Some(dlq) = cfg.dead_letter_topic.as_deref() {
            let timeout = METADATA_TIMEOUT.min(cfg.flush_timeout.max(Duration::from_secs(1)));
            let found = match sink.producer.client().fetch_metadata(Some(dlq), timeout) {
                Ok(m) => m
                    .topics()
                    .iter()
                    .find(|t| t.name() == dlq)
                    .map(|t| (t.error(), t.partitions().len())),
                Err(_) => None,
            };
            topic_answer(dlq, &sink.deliveries.brokers, "--dead-letter-topic", found)
                .map_err(|e| anyhow!("--dead-letter-topic: {e}"))?;
        }
        Ok(sink)
    }

    /// Fail fast, before reading any event, when the brokers cannot be
    /// reached or the topic does not exist, instead of waiting for the
    /// messages to time out.
    fn check_brokers(&mut self) -> Result<()> {
        let routed = self.topic.contains(route::EVENT_PLACEHOLDER);
        let wanted = (!routed).then_some(self.topic.as_str());
        let timeout =
            METADATA_TIMEOUT.min(self.deliveries.flush_timeout.max(Duration::from_secs(1)));
        let metadata = self.producer.client().fetch_metadata(wanted, timeout);
        self.deliveries.serve(&self.producer, Duration::ZERO);
        let brokers = &self.deliveries.brokers;
        let metadata = metadata.map_err(|e| {
            let why = match &self.deliveries.last_error {
                Some(last) => last.clone(),
                None => e
                    .rdkafka_error_code()
                    .map_or_else(|| e.to_string(), describe),
            };
            anyhow!("cannot reach Kafka brokers {brokers}: {why}")
        })?;
        if let Some(topic) = wanted {
            let found = metadata.topics().iter().find(|t| t.name() == topic);
            topic_answer(
                topic,
                brokers,
                "-t",
                found.map(|t| (t.error(), t.partitions().len())),
            )?;
            remember(&mut self.checked, topic);
        }
        Ok(())
    }

    /// The first event routed to a topic: make sure that topic exists. Only
    /// a definite answer fails the run; a broker that does not answer now is
    /// left to librdkafka's retries.
    fn check_topic(&mut self, topic: &str) -> Result<()> {
        let timeout =
            METADATA_TIMEOUT.min(self.deliveries.flush_timeout.max(Duration::from_secs(1)));
        let answer = self.producer.client().fetch_metadata(Some(topic), timeout);
        if let Ok(metadata) = answer {
            let found = metadata.topics().iter().find(|t| t.name() == topic);
            let found = found.map(|t| (t.error(), t.partitions().len()));
            topic_answer(topic, &self.deliveries.brokers, "-t", found)?;
        }
        remember(&mut self.checked, topic);
        Ok(())
    }

    /// Where the next record's value is built (cleared for each record).
    #[inline]
    pub fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.value
    }

    /// Send one record (its value in `buffer()`, or verbatim bytes).
    pub fn record(&mut self, rec: &Record<'_>) -> Result<()> {
        let Some(ev) = rec.event else {
            self.value.clear();
            return Ok(()); // comments are not records in Kafka
        };
        let seq = rec.seq;
        self.deliveries.check()?;
        let topic = match self.route(ev) {
            Ok(topic) => topic,
            Err((intended, why)) => return self.refuse(seq, rec, intended, why),
        };
        let value = match rec.value {
            Value::Built(start) => {
                let v = self.value.get(start..).unwrap_or_default();
                v.strip_suffix(b"\n").unwrap_or(v)
            }
            Value::Verbatim(bytes) => bytes,
        };
        let key = match rec.key {
            Key::FromEvent => route::key(&self.key, ev),
            Key::Given(k) => k.map(std::borrow::Cow::Borrowed),
        };
        let last = rec.last;
        let mut headers = OwnedHeaders::new_with_capacity(2).insert(Header {
            key: "sse.event",
            value: Some(ev.kind()),
        });
        match route::id_header(ev.id) {
            Some(id) => {
                headers = headers.insert(Header {
                    key: "sse.id",
                    value: Some(id),
                });
            }
            None if !ev.id.is_empty() && !self.warned_long_id => {
                self.warned_long_id = true;
                self.deliveries.log.warn(&format!(
                    "event {seq}'s ID is {} bytes, over {}: such records get no sse.id header (said once)",
                    ev.id.len(),
                    crate::resume::MAX_ID_LEN
                ));
            }
            None => {}
        }
        let millis = rec
            .time
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let mut out = BaseRecord::with_opaque_to(&topic, Box::new(seq))
            .payload(value)
            .timestamp(millis)
            .headers(headers);
        if let Some(k) = &key {
            out = out.key(k.as_ref());
        }
        loop {
            match self.producer.send(out) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    out = back;
                    self.deliveries.wait_for_room(&self.producer)?;
                }
                Err((e, _)) => {
                    let code = e.rdkafka_error_code();
                    let why = code.map_or_else(|| e.to_string(), describe);
                    if code.is_some_and(dead::is_refusal) && self.deliveries.dead.is_some() {
                        return self.refuse(seq, rec, topic, why);
                    }
                    bail!("cannot send event {seq} to Kafka topic \"{topic}\": {why}");
                }
            }
        }
        self.deliveries.stalled = None;
        self.deliveries.window.sent(seq, last);
        self.value.clear();
        Ok(())
    }

    /// Serve delivery reports that are ready, without waiting.
    pub fn poll(&mut self) -> Result<()> {
        self.deliveries.serve(&self.producer, Duration::ZERO);
        self.deliveries.retry_dead(&self.producer)?;
        self.deliveries.check()
    }

    pub fn delivered(&self) -> u64 {
        self.deliveries.window.delivered()
    }

    /// Wait up to the flush timeout for what is in flight; an error says how
    /// many records were not delivered (one an event, or what `--jq` made
    /// of it), and why.
    pub fn close(&mut self) -> Result<()> {
        let b = &mut self.deliveries;
        if b.closed {
            return Ok(());
        }
        b.closed = true;
        // A --flush-timeout past what the clock can count waits as long
        // as it takes.
        let deadline = Instant::now().checked_add(b.flush_timeout);
        loop {
            // After a failure only the events before it can still move the
            // window; those after it are lost to this run anyway.
            let pinned = b
                .failure
                .as_ref()
                .is_some_and(|(seq, _)| b.window.delivered() + 1 >= *seq);
            let left = deadline.map_or(Duration::MAX, |d| {
                d.saturating_duration_since(Instant::now())
            });
            if b.window.waiting() == 0 || pinned || left.is_zero() {
                break;
            }
            b.serve(&self.producer, left.min(QUEUE_FULL_WAIT));
        }
        let lost = b.window.waiting() + b.failed;
        if lost == 0 {
            return Ok(());
        }
        let events = if lost == 1 {
            "record was"
        } else {
            "records were"
        };
        match (&b.failure, &b.last_error) {
            (Some((_, why)), _) => bail!("{lost} {events} not delivered to Kafka: {why}"),
            (None, Some(last)) => bail!(
                "{lost} {events} not delivered to Kafka within --flush-timeout {}: {last}",
                humantime::format_duration(b.flush_timeout)
            ),
            (None, None) => bail!(
                "{lost} {events} not delivered to Kafka within --flush-timeout {}",
                humantime::format_duration(b.flush_timeout)
            ),
        }
    }

    /// `--key /ptr`: the pointer (else the key comes from the event).
    pub fn key_pointer(&self) -> Option<&str> {
        match &self.key {
            KeySpec::Pointer(p) => Some(p),
            _ => None,
        }
    }

    pub fn counts(&self) -> Acks {
        Acks {
            sink: "Kafka",
            delivered: self.deliveries.delivered,
            failed: self.deliveries.failed,
            in_flight: self.deliveries.window.waiting(),
            unacked_since: (self.deliveries.window.waiting() > 0)
                .then_some(self.deliveries.acked_or_idle),
            dead_lettered: self.deliveries.dead.as_ref().map(|d| d.count),
        }
    }
}

/// What a missing topic is called, in the run's error and in each dead
/// letter's `ssetap.error` alike.
fn missing_topic(topic: &str, brokers: &str, flag: &str) -> String {
    format!("topic \"{topic}\" does not exist on {brokers} (create it, or check {flag})")
}

/// The metadata answer for `topic`: `found` is its error and partition
/// count; `flag` is the one that named the topic.
fn topic_answer(
    topic: &str,
    brokers: &str,
    flag: &str,
    found: Option<(Option<rdkafka::types::RDKafkaRespErr>, usize)>,
) -> Result<()> {
    use rdkafka::types::RDKafkaRespErr as E;
    match found {
        None | Some((Some(E::RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART), _)) | Some((None, 0)) => {
            bail!("{}", missing_topic(topic, brokers, flag))
        }
        Some((Some(E::RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED), _)) => {
            bail!("not authorized to access topic \"{topic}\" on {brokers}")
        }
        // Anything else (a leader election, say) is librdkafka's to retry.
        _ => Ok(()),
    }
}

/// Why librdkafka refuses `key=value` on its own, if it does (checked at
/// start, so a bad property is a usage error naming what the user wrote,
/// not librdkafka's name for it); a secret's value is not shown.
pub fn check_property(key: &str, value: &str) -> std::result::Result<(), String> {
    let mut client = ClientConfig::new();
    client.set(key, value);
    let why = match client.create_native_config() {
        Ok(_) => return Ok(()),
        Err(KafkaError::ClientConfig(_, desc, _, _)) => desc,
        Err(other) => other.to_string(),
    };
    if !is_secret_property(key) {
        return Err(why);
    }
    let mut shown = why;
    for secret in crate::redact::secret_values(value) {
        if secret.len() >= 3 {
            shown = shown.replace(&secret, "[redacted]");
        }
    }
    Err(shown)
}

/// A property librdkafka refused, named without its value (it may be a
/// secret, and is in the user's own file anyway).
fn config_error(e: KafkaError) -> anyhow::Error {
    match e {
        KafkaError::ClientConfig(_, _, key, _) if is_secret_property(&key) => {
            anyhow!("invalid Kafka property: invalid value for \"{key}\"")
        }
        KafkaError::ClientConfig(_, desc, _, _) => anyhow!("invalid Kafka property: {desc}"),
        KafkaError::ClientCreation(why) => anyhow!("cannot create the Kafka producer: {why}"),
        other => anyhow!("cannot create the Kafka producer: {other}"),
    }
}

#[cfg(test)]
mod tests;
