//! sink::kafka::state: the resume point kept in a Kafka topic (`--state-topic`),
//! so that a run needs no disk and can move between machines. One record per
//! save, keyed by the stream (`--state-key`, by default the URL without
//! credentials and the `-t` template), valued
//! `{"last_event_id","url","topic","time","events"}`; the topic is meant to
//! be compacted. At start the newest record for the key is found by reading
//! the partitions from their end backwards in bounded steps, so a topic full
//! of other streams' records stays fast to search.
//!
//! Only IDs the ledger gives are saved, so a state record never names an
//! event Kafka has not acknowledged; saves come at most once a second while
//! running, and at exit, flushed.

use super::context::describe;
use crate::resume::ResumeStore;
use anyhow::{Context as _, Result, anyhow, bail};
use rdkafka::ClientContext;
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::consumer::{BaseConsumer, Consumer, DefaultConsumerContext};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::{Offset, TopicPartitionList};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

/// Records read per step while searching backwards.
const STEP: i64 = 500;
/// How long the whole search at start may take.
const SEARCH_LIMIT: Duration = Duration::from_secs(30);
/// At most one save a second while running.
const MIN_INTERVAL: Duration = Duration::from_secs(1);

/// What the state topic needs; `config` builds it.
#[derive(Debug, Clone)]
pub struct StateOptions {
    pub topic: String,
    pub key: String,
    /// The stream's URL without credentials, and the `-t` template: shown in
    /// each record.
    pub url: String,
    pub data_topic: String,
}

/// The default `--state-key`: the stream and where it goes.
pub fn default_key(url: &str, data_topic: &str) -> String {
    format!("{url} -> {data_topic}")
}

/// Notes failed deliveries of state records, and why the brokers could not
/// be reached.
#[derive(Default)]
struct StateContext {
    failure: Mutex<Option<String>>,
    last_error: Mutex<Option<String>>,
}

impl ClientContext for StateContext {
    fn error(&self, error: KafkaError, reason: &str) {
        let mut last = self.last_error.lock().unwrap_or_else(|p| p.into_inner());
        // "1/1 brokers are down" says less than the error that took the
        // last one down; keep that one when there is one.
        if error.rdkafka_error_code() != Some(RDKafkaErrorCode::AllBrokersDown) || last.is_none() {
            *last = Some(reason.to_string());
        }
    }
}

impl ProducerContext for StateContext {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((err, _)) = result {
            let why = err
                .rdkafka_error_code()
                .map_or_else(|| err.to_string(), describe);
            let mut f = self.failure.lock().unwrap_or_else(|p| p.into_inner());
            f.get_or_insert(why);
        }
    }
}

pub struct StateTopic {
    producer: BaseProducer<StateContext>,
    properties: Vec<(String, String)>,
    opts: StateOptions,
    flush_timeout: Duration,
    saved: Option<String>,
    last_save: Option<Instant>,
}

impl StateTopic {
    /// Connects, and checks now that the topic exists.
    pub fn open(
        properties: &[(String, String)],
        opts: StateOptions,
        flush_timeout: Duration,
    ) -> Result<StateTopic> {
        let mut client = ClientConfig::new();
        for (k, v) in properties {
            client.set(k, v);
        }
        client.set_log_level(RDKafkaLogLevel::Emerg);
        let producer: BaseProducer<StateContext> = client
            .create_with_context(StateContext::default())
            .map_err(|e| anyhow!("cannot create the Kafka producer for --state-topic: {e}"))?;
        let timeout = flush_timeout.clamp(Duration::from_secs(1), Duration::from_secs(10));
        let metadata = producer
            .client()
            .fetch_metadata(Some(&opts.topic), timeout)
            .map_err(|e| {
                producer.poll(Duration::ZERO);
                let ctx = producer.context();
                let last = ctx.last_error.lock().unwrap_or_else(|p| p.into_inner());
                let why = last.clone().unwrap_or_else(|| {
                    e.rdkafka_error_code()
                        .map_or_else(|| e.to_string(), describe)
                });
                anyhow!(
                    "cannot reach Kafka brokers {} for --state-topic \"{}\": {why}",
                    brokers(properties),
                    opts.topic
                )
            })?;
        let exists = metadata
            .topics()
            .iter()
            .any(|t| t.name() == opts.topic && t.error().is_none() && !t.partitions().is_empty());
        if !exists {
            bail!(
                "--state-topic \"{}\" does not exist (create it with 1 partition and cleanup.policy=compact)",
                opts.topic
            );
        }
        Ok(StateTopic {
            producer,
            properties: properties.to_vec(),
            opts,
            flush_timeout,
            saved: None,
            last_save: None,
        })
    }

    fn failure(&self) -> Option<String> {
        let ctx = self.producer.context();
        ctx.failure.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    fn render(&self, id: &str, delivered: u64) -> String {
        serde_json::json!({
            "last_event_id": id,
            "url": self.opts.url,
            "topic": self.opts.data_topic,
            "time": humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
            "events": delivered,
        })
        .to_string()
    }

    fn consumer(&self) -> Result<BaseConsumer> {
        let mut client = ClientConfig::new();
        for (k, v) in &self.properties {
            if is_consumer_property(k) {
                client.set(k, v);
            }
        }
        client
            .set("group.id", "ssetap-state-reader")
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("enable.partition.eof", "true")
            // The resume point is read as written: ssetap never writes in
            // transactions, and the default (read_committed) lets a broker
            // answer with a last stable offset short of what it acknowledged.
            .set("isolation.level", "read_uncommitted")
            // The search reads the newest step up to the partition's end:
            // an empty fetch there should come back at once, not after the
            // broker's long-poll wait (500 ms by default).
            .set("fetch.wait.max.ms", "10")
            .set_log_level(RDKafkaLogLevel::Emerg);
        client
            .create::<BaseConsumer<DefaultConsumerContext>>()
            .context("cannot create the Kafka consumer for --state-topic")
    }

    /// The newest record for our key in one partition, searching backwards
    /// from the end in steps of `STEP` records. The newest step is read up
    /// to the end the fetches report (partition EOF), not up to the end the
    /// offsets request gave: a broker whose offsets lag behind a write it
    /// has acknowledged must not hide that write.
    fn newest_in(
        &self,
        consumer: &BaseConsumer,
        partition: i32,
        deadline: Instant,
    ) -> Result<Option<(i64, Vec<u8>)>> {
        let topic = &self.opts.topic;
        let left = || deadline.saturating_duration_since(Instant::now());
        let (low, high) = consumer
            .fetch_watermarks(topic, partition, left())
            .with_context(|| format!("cannot read the offsets of --state-topic \"{topic}\""))?;
        let low = low.max(0);
        // `None`: read to the partition's end, wherever it is now.
        let mut end: Option<i64> = None;
        let mut start = high.saturating_sub(STEP).max(low);
        loop {
            let mut list = TopicPartitionList::new();
            list.add_partition_offset(topic, partition, Offset::Offset(start))?;
            consumer.assign(&list)?;
            let mut found: Option<(i64, Vec<u8>)> = None;
            loop {
                if left().is_zero() {
                    bail!("--state-topic \"{topic}\": timed out searching for the resume point");
                }
                match consumer.poll(left().min(Duration::from_millis(500))) {
                    Some(Ok(m)) => {
                        if end.is_some_and(|end| m.offset() >= end) {
                            break;
                        }
                        if m.key() == Some(self.opts.key.as_bytes()) {
                            found = Some((
                                m.timestamp().to_millis().unwrap_or(0),
                                m.payload().unwrap_or_default().to_vec(),
                            ));
                        }
                        if end.is_some_and(|end| m.offset() + 1 >= end) {
                            break;
                        }
                    }
                    Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) => break,
                    Some(Err(e)) => bail!("cannot read --state-topic \"{topic}\": {e}"),
                    None => {}
                }
            }
            if found.is_some() || start <= low {
                return Ok(found);
            }
            end = Some(start);
            start = start.saturating_sub(STEP).max(low);
        }
    }
}

impl ResumeStore for StateTopic {
    fn load(&mut self) -> Result<Option<String>> {
        let consumer = self.consumer()?;
        let deadline = Instant::now() + SEARCH_LIMIT;
        let metadata = consumer
            .fetch_metadata(
                Some(&self.opts.topic),
                self.flush_timeout.max(Duration::from_secs(1)),
            )
            .context("cannot read --state-topic metadata")?;
        let partitions: Vec<i32> = metadata
            .topics()
            .iter()
            .filter(|t| t.name() == self.opts.topic)
            .flat_map(|t| t.partitions().iter().map(|p| p.id()))
            .collect();
        let mut newest: Option<(i64, Vec<u8>)> = None;
        for p in partitions {
            if let Some(found) = self.newest_in(&consumer, p, deadline)?
                && newest.as_ref().is_none_or(|(t, _)| found.0 >= *t)
            {
                newest = Some(found);
            }
        }
        let Some((_, value)) = newest else {
            return Ok(None);
        };
        let v: serde_json::Value = serde_json::from_slice(&value).with_context(|| {
            format!(
                "corrupt record for key {:?} in --state-topic \"{}\"",
                self.opts.key, self.opts.topic
            )
        })?;
        let id = v["last_event_id"].as_str().ok_or_else(|| {
            anyhow!(
                "record for key {:?} in --state-topic \"{}\" has no \"last_event_id\" string",
                self.opts.key,
                self.opts.topic
            )
        })?;
        self.saved = Some(id.to_string());
        Ok(Some(id.to_string()))
    }

    fn save(&mut self, id: &str, delivered: u64, force: bool) -> Result<()> {
        let changed = self.saved.as_deref() != Some(id);
        let due = force || self.last_save.is_none_or(|t| t.elapsed() >= MIN_INTERVAL);
        if changed && due {
            let value = self.render(id, delivered);
            let record = BaseRecord::to(&self.opts.topic)
                .key(self.opts.key.as_bytes())
                .payload(value.as_bytes());
            self.producer.send(record).map_err(|(e, _)| {
                anyhow!(
                    "cannot save the resume point to --state-topic \"{}\": {e}",
                    self.opts.topic
                )
            })?;
            self.saved = Some(id.to_string());
            self.last_save = Some(Instant::now());
        }
        if force {
            self.producer.flush(self.flush_timeout).map_err(|e| {
                anyhow!(
                    "cannot save the resume point to --state-topic \"{}\": {e}",
                    self.opts.topic
                )
            })?;
        } else {
            self.producer.poll(Duration::ZERO);
        }
        match self.failure() {
            Some(why) => bail!(
                "cannot save the resume point to --state-topic \"{}\": {why}",
                self.opts.topic
            ),
            None => Ok(()),
        }
    }
}

/// The brokers the properties name, for messages.
fn brokers(properties: &[(String, String)]) -> String {
    properties
        .iter()
        .rev()
        .find(|(k, _)| k.trim() == "bootstrap.servers" || k.trim() == "metadata.broker.list")
        .map_or_else(|| "(none given)".to_string(), |(_, v)| v.clone())
}

/// Properties a consumer takes too: connection and security, not the
/// producer's own.
fn is_consumer_property(name: &str) -> bool {
    let n = name.trim();
    n == "bootstrap.servers"
        || n == "metadata.broker.list"
        || n == "client.id"
        || [
            "security.",
            "sasl.",
            "ssl.",
            "socket.",
            "broker.",
            "api.version",
            "metadata.",
            "client.dns",
        ]
        .iter()
        .any(|p| n.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_connection_properties_go_to_the_reader() {
        assert!(is_consumer_property("bootstrap.servers"));
        assert!(is_consumer_property("sasl.password"));
        assert!(is_consumer_property("security.protocol"));
        assert!(!is_consumer_property("acks"));
        assert!(!is_consumer_property("enable.idempotence"));
        assert!(!is_consumer_property("compression.type"));
    }

    #[test]
    fn the_default_key_names_stream_and_topic() {
        assert_eq!(
            default_key("https://h/s", "t.{event}"),
            "https://h/s -> t.{event}"
        );
    }
}
