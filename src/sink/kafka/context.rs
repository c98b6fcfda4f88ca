//! The producer's context: what librdkafka tells us from inside `poll` —
//! delivery reports, global errors and log lines. The callbacks run on our
//! thread, but rdkafka wants the context `Send + Sync`, so they only note
//! things down; the sink collects the notes after each poll.

use super::dead::{DEAD_BIT, Refused, is_refusal};
use rdkafka::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{DeliveryResult, ProducerContext};
use std::sync::{Mutex, MutexGuard};

#[derive(Default)]
pub struct Context {
    notes: Mutex<Notes>,
}

/// What happened since the sink last looked.
#[derive(Default)]
pub struct Notes {
    /// Events the broker acknowledged.
    pub acked: Vec<u64>,
    /// Events that failed for good, with why.
    pub failed: Vec<(u64, String)>,
    /// Records refused for a reason retrying cannot fix (for the
    /// dead-letter topic), copied.
    pub refused: Vec<Refused>,
    /// Dead letters the broker acknowledged (their event numbers).
    pub dead_acked: Vec<u64>,
    /// librdkafka log lines, for `-v`.
    pub logs: Vec<String>,
    /// The latest global error (e.g. a broker that cannot be reached), kept
    /// to explain a later timeout.
    pub last_error: Option<String>,
    /// "1/1 brokers are down": says less than the error that took the last
    /// one down ("Connect to … failed: Connection refused"), so it is only
    /// used when there is no other.
    pub all_down: Option<String>,
    /// librdkafka raised a fatal error: the producer is unusable.
    pub fatal: bool,
    /// Callbacks run; `poll` stops when a round adds none.
    pub callbacks: u64,
}

impl Context {
    pub fn notes(&self) -> MutexGuard<'_, Notes> {
        self.notes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl ClientContext for Context {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        let mut n = self.notes();
        n.callbacks += 1;
        n.logs
            .push(format!("librdkafka {level:?} {fac}: {log_message}"));
    }

    fn error(&self, error: KafkaError, reason: &str) {
        let mut n = self.notes();
        n.callbacks += 1;
        let code = error.rdkafka_error_code();
        if code == Some(RDKafkaErrorCode::Fatal) {
            n.fatal = true;
        }
        // rdkafka 0.39's BaseProducer hands each error event to us twice.
        let line = format!("librdkafka error: {reason}");
        if n.logs.last() != Some(&line) {
            n.logs.push(line);
        }
        if code == Some(RDKafkaErrorCode::AllBrokersDown) {
            n.all_down = Some(reason.to_string());
        } else {
            n.last_error = Some(reason.to_string());
        }
    }
}

impl ProducerContext for Context {
    type DeliveryOpaque = Box<u64>;

    fn delivery(&self, result: &DeliveryResult<'_>, seq: Box<u64>) {
        let mut n = self.notes();
        n.callbacks += 1;
        let dead = *seq & DEAD_BIT != 0;
        let seq = *seq & !DEAD_BIT;
        match result {
            Ok(_) if dead => n.dead_acked.push(seq),
            Ok(_) => n.acked.push(seq),
            Err((err, msg)) => {
                let code = err.rdkafka_error_code();
                let why = code.map_or_else(|| err.to_string(), describe);
                if !dead && code.is_some_and(is_refusal) {
                    let header = |name: &str| {
                        msg.headers()
                            .and_then(|h| h.iter().find(|h| h.key == name))
                            .and_then(|h| h.value)
                            .map(<[u8]>::to_vec)
                            .unwrap_or_default()
                    };
                    n.refused.push(Refused {
                        seq,
                        topic: msg.topic().to_string(),
                        reason: why,
                        key: msg.key().map(<[u8]>::to_vec),
                        value: msg.payload().unwrap_or_default().to_vec(),
                        event: header("sse.event"),
                        id: header("sse.id"),
                    });
                } else {
                    n.failed
                        .push((seq, format!("topic \"{}\": {why}", msg.topic())));
                }
            }
        }
    }
}

/// librdkafka's description of an error code, without the enum name that
/// rdkafka's `Display` puts in front ("MsgTimedOut (Local: Message timed
/// out)" becomes "Local: Message timed out").
pub fn describe(code: RDKafkaErrorCode) -> String {
    let text = code.to_string();
    match (text.find(" ("), text.ends_with(')')) {
        (Some(i), true) => text[i + 2..text.len() - 1].to_string(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_keeps_librdkafkas_words() {
        assert_eq!(
            describe(RDKafkaErrorCode::MessageTimedOut),
            "Local: Message timed out"
        );
        assert_eq!(
            describe(RDKafkaErrorCode::UnknownTopicOrPartition),
            "Broker: Unknown topic or partition"
        );
    }
}
