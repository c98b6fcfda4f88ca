//! sink::kafka::dead: the dead-letter topic (`--dead-letter-topic`). An event whose
//! record Kafka refuses for a reason retrying cannot fix — too large, an
//! illegal or missing `{event}`-routed topic, invalid or against the
//! broker's policy — goes there instead of failing the run. The dead-letter
//! record keeps the original key and `sse.*` headers, adds `ssetap.error`
//! (why) and `ssetap.topic` (where it was meant to go), and carries the
//! formatted event, cut to fit (`ssetap.truncated`) when it was too large.
//! It counts as delivered for the resume point once acknowledged.
//!
//! Failures that retrying could fix (timeouts, unreachable brokers, not
//! enough replicas, authorization on the data topic) are never
//! dead-lettered.

use super::context::{Context, describe};
use super::{Deliveries, KafkaSink, route};
use crate::record::{Key, Record, Value};
use anyhow::{Result, bail};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord};
use std::time::Instant;

/// Set in a record's opaque number when it is a dead letter.
pub const DEAD_BIT: u64 = 1 << 63;

/// librdkafka's default `message.max.bytes`.
const DEFAULT_MAX_BYTES: usize = 1_000_000;
/// Room kept for the record's own overhead (besides its key and headers)
/// when cutting a value.
const OVERHEAD: usize = 512;

/// Does this delivery error refuse the record for good?
pub fn is_refusal(code: RDKafkaErrorCode) -> bool {
    use RDKafkaErrorCode as C;
    matches!(
        code,
        C::MessageSizeTooLarge
            | C::InvalidMessageSize
            | C::InvalidMessage
            | C::InvalidRecord
            | C::PolicyViolation
            | C::InvalidTopic
            | C::MessageBatchTooLarge
    )
}

/// A refused record, copied so that it can be sent again elsewhere.
#[derive(Debug, Clone)]
pub struct Refused {
    pub seq: u64,
    /// Where it was meant to go, and why it could not.
    pub topic: String,
    pub reason: String,
    pub key: Option<Vec<u8>>,
    pub value: Vec<u8>,
    /// The event's type and ID (its `sse.*` headers).
    pub event: Vec<u8>,
    pub id: Vec<u8>,
}

/// The dead-letter topic and its counts.
#[derive(Debug)]
pub struct DeadLetters {
    pub topic: String,
    max_bytes: usize,
    /// Acknowledged dead letters.
    pub count: u64,
    /// Refusals waiting to be sent (the queue was full).
    pub pending: Vec<Refused>,
}

impl DeadLetters {
    pub fn new(topic: String, properties: &[(String, String)]) -> DeadLetters {
        let max_bytes = properties
            .iter()
            .rev()
            .find(|(k, _)| k == "message.max.bytes")
            .and_then(|(_, v)| v.trim().parse().ok())
            .unwrap_or(DEFAULT_MAX_BYTES);
        DeadLetters {
            topic,
            max_bytes,
            count: 0,
            pending: Vec::new(),
        }
    }

    /// The value as sent: cut to fit beside the key and headers, and
    /// whether it was cut.
    pub fn fit<'v>(&self, r: &'v Refused) -> (&'v [u8], bool) {
        let beside = r.key.as_ref().map_or(0, Vec::len)
            + r.event.len()
            + route::id_header(&r.id).map_or(0, <[u8]>::len)
            + r.reason.len()
            + r.topic.len()
            + 128;
        let room = self.max_bytes.saturating_sub(OVERHEAD + beside);
        if r.value.len() <= room {
            (&r.value, false)
        } else {
            (&r.value[..room], true)
        }
    }

    /// The dead-letter record for `r`; `original_len` is set when the value
    /// was cut.
    pub fn record<'a>(&'a self, r: &'a Refused) -> BaseRecord<'a, [u8], [u8], Box<u64>> {
        let (value, cut) = self.fit(r);
        let mut headers = OwnedHeaders::new_with_capacity(5)
            .insert(Header {
                key: "sse.event",
                value: Some(r.event.as_slice()),
            })
            .insert(Header {
                key: "ssetap.error",
                value: Some(r.reason.as_bytes()),
            })
            .insert(Header {
                key: "ssetap.topic",
                value: Some(r.topic.as_bytes()),
            });
        if let Some(id) = route::id_header(&r.id) {
            headers = headers.insert(Header {
                key: "sse.id",
                value: Some(id),
            });
        }
        if cut {
            headers = headers.insert(Header {
                key: "ssetap.truncated",
                value: Some(r.value.len().to_string().as_bytes()),
            });
        }
        let mut rec = BaseRecord::with_opaque_to(&self.topic, Box::new(r.seq | DEAD_BIT))
            .payload(value)
            .headers(headers);
        if let Some(k) = &r.key {
            rec = rec.key(k.as_slice());
        }
        rec
    }
}

impl KafkaSink {
    /// The topic for an event, checked to exist; or where it was meant to
    /// go and why it cannot, when that is for good and there is a
    /// dead-letter topic to take it.
    pub(super) fn route(&mut self, ev: &crate::sse::Event<'_>) -> Result<String, (String, String)> {
        let dlq = self.deliveries.dead.is_some();
        let topic = match route::topic(&self.topic, ev.kind()) {
            Ok(t) => t.into_owned(),
            Err(e) if dlq => {
                let intended = self.topic.replace(
                    route::EVENT_PLACEHOLDER,
                    &String::from_utf8_lossy(ev.kind()),
                );
                return Err((intended, format!("{e:#}")));
            }
            Err(e) => return Err((String::new(), format!("{e:#}"))),
        };
        if self.reserved.contains(&topic) {
            let why = format!(
                "event type {:?} routes to {topic:?}, which holds ssetap's own records \
                 (--state-topic or --dead-letter-topic); filter such events out with -e",
                String::from_utf8_lossy(ev.kind())
            );
            return Err((topic, why));
        }
        // Only with topics found missing does the clock matter: the usual
        // record pays no look at it.
        if !self.missing.is_empty() && self.missing_since.elapsed() >= self.missing_recheck {
            self.missing.clear();
        }
        if self.missing.contains(&topic) {
            let why = super::missing_topic(&topic, &self.deliveries.brokers, "-t");
            return Err((topic, why));
        }
        if !self.checked.contains(&topic)
            && let Err(e) = self.check_topic(&topic)
        {
            if dlq {
                if self.missing.is_empty() {
                    self.missing_since = Instant::now();
                }
                super::remember(&mut self.missing, &topic);
            }
            return Err((topic, format!("{e:#}")));
        }
        Ok(topic)
    }

    /// Kafka refuses event `seq` for good: send it to the dead-letter
    /// topic, or fail the run without one.
    pub(super) fn refuse(
        &mut self,
        seq: u64,
        rec: &Record<'_>,
        topic: String,
        why: String,
    ) -> Result<()> {
        let Some(ev) = rec.event.filter(|_| self.deliveries.dead.is_some()) else {
            self.value.clear();
            bail!("{why}");
        };
        let value = match rec.value {
            Value::Built(start) => {
                let v = self.value.get(start..).unwrap_or_default();
                v.strip_suffix(b"\n").unwrap_or(v).to_vec()
            }
            Value::Verbatim(bytes) => bytes.to_vec(),
        };
        self.value.clear();
        let refused = Refused {
            seq,
            topic,
            reason: why,
            key: match rec.key {
                Key::FromEvent => route::key(&self.key, ev).map(|k| k.into_owned()),
                Key::Given(k) => k.map(<[u8]>::to_vec),
            },
            value,
            event: ev.kind().to_vec(),
            id: ev.id.to_vec(),
        };
        self.deliveries.window.sent(seq, rec.last);
        self.deliveries.send_dead(&self.producer, refused)
    }
}

impl KafkaSink {
    /// Is there a dead-letter topic?
    pub fn has_dead_letters(&self) -> bool {
        self.deliveries.dead.is_some()
    }

    /// Send an event the pipeline could not turn into records (a `--jq`
    /// failure) to the dead-letter topic, with `why` as its error.
    pub fn dead_letter(&mut self, rec: &Record<'_>, why: String) -> Result<()> {
        let topic = match rec.event {
            Some(ev) => self.topic.replace(
                route::EVENT_PLACEHOLDER,
                &String::from_utf8_lossy(ev.kind()),
            ),
            None => self.topic.clone(),
        };
        self.refuse(rec.seq, rec, topic, why)
    }
}

impl Deliveries {
    /// Send one dead letter; a full queue waits for room as a data record
    /// does.
    pub(super) fn send_dead(&mut self, producer: &BaseProducer<Context>, r: Refused) -> Result<()> {
        if let Some(d) = &mut self.dead {
            d.pending.push(r);
        }
        while self.dead.as_ref().is_some_and(|d| !d.pending.is_empty()) {
            if self.retry_dead(producer)? {
                break;
            }
            self.wait_for_room(producer)?;
        }
        Ok(())
    }

    /// Send the dead letters waiting; true when all went.
    pub(super) fn retry_dead(&mut self, producer: &BaseProducer<Context>) -> Result<bool> {
        let Some(d) = &mut self.dead else {
            return Ok(true);
        };
        while let Some(r) = d.pending.first() {
            match producer.send(d.record(r)) {
                Ok(()) => {
                    d.pending.remove(0);
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    return Ok(false);
                }
                Err((e, _)) => {
                    let why = e
                        .rdkafka_error_code()
                        .map_or_else(|| e.to_string(), describe);
                    let why = format!(
                        "cannot send event {} to --dead-letter-topic \"{}\": {why}",
                        r.seq, d.topic
                    );
                    // Given up on: nothing of it is in flight any more, and
                    // the window never moves past it.
                    let seq = r.seq;
                    self.window.failed(seq);
                    self.failed += 1;
                    self.failure.get_or_insert((seq, why.clone()));
                    bail!("{why}");
                }
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_the_errors_retrying_cannot_fix() {
        assert!(is_refusal(RDKafkaErrorCode::MessageSizeTooLarge));
        assert!(is_refusal(RDKafkaErrorCode::PolicyViolation));
        assert!(is_refusal(RDKafkaErrorCode::InvalidRecord));
        assert!(!is_refusal(RDKafkaErrorCode::MessageTimedOut));
        assert!(!is_refusal(RDKafkaErrorCode::NotEnoughReplicas));
        assert!(!is_refusal(RDKafkaErrorCode::TopicAuthorizationFailed));
        assert!(!is_refusal(RDKafkaErrorCode::AllBrokersDown));
    }

    #[test]
    fn a_value_too_large_is_cut_to_fit() {
        let d = DeadLetters::new(
            "dlq".into(),
            &[("message.max.bytes".into(), "10000".into())],
        );
        let big = refused(&[b'x'; 20_000]);
        let (v, cut) = d.fit(&big);
        assert!(
            cut && v.len() < 10_000 - OVERHEAD && v.len() > 9_000,
            "{}",
            v.len()
        );
        let small = refused(b"small");
        let (v, cut) = d.fit(&small);
        assert!(!cut && v == b"small");
    }

    fn refused(value: &[u8]) -> Refused {
        Refused {
            seq: 1,
            topic: "t".into(),
            reason: "too large".into(),
            key: Some(b"k".to_vec()),
            value: value.to_vec(),
            event: b"message".to_vec(),
            id: b"7".to_vec(),
        }
    }
}
