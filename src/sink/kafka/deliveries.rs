//! sink::kafka::deliveries: what the producer's callbacks report, taken in
//! on our thread — acknowledgements and failures moved into the window,
//! the first permanent failure kept to end the run, a stall said, and the
//! wait for room when librdkafka's queue is full.

use super::context::{Context, describe};
use super::{Deliveries, QUEUE_FULL_WAIT};
use anyhow::{Result, anyhow, bail};
use rdkafka::producer::{BaseProducer, Producer};
use std::time::{Duration, Instant};

/// Say that Kafka is not answering after this long without an ack.
const STALL_WARNING: Duration = Duration::from_secs(5);

impl Deliveries {
    /// Let librdkafka run our callbacks (waiting up to `timeout` for the
    /// first), then take in what they noted.
    pub(super) fn serve(&mut self, producer: &BaseProducer<Context>, timeout: Duration) {
        producer.poll(timeout);
        // One poll serves one event (a batch of delivery reports, a log
        // line); keep going while there are more.
        for _ in 0..10_000 {
            let before = self.callbacks;
            self.collect_reports(producer);
            if self.callbacks == before {
                break;
            }
            producer.poll(Duration::ZERO);
        }
    }

    pub(super) fn collect_reports(&mut self, producer: &BaseProducer<Context>) {
        let mut notes = std::mem::take(&mut *producer.context().notes());
        self.callbacks += notes.callbacks;
        for line in notes.logs.drain(..) {
            self.log.debug(&line);
        }
        if !notes.acked.is_empty() {
            self.progress = Instant::now();
            self.acked_or_idle = self.progress;
        } else if self.window.waiting() == 0 {
            self.acked_or_idle = Instant::now();
        }
        for seq in notes.acked {
            self.window.acked(seq);
            self.delivered += 1;
        }
        for seq in notes.dead_acked {
            self.window.acked(seq);
            if let Some(d) = &mut self.dead {
                d.count += 1;
            }
        }
        for r in notes.refused {
            match &mut self.dead {
                Some(d) => d.pending.push(r),
                None => notes
                    .failed
                    .push((r.seq, format!("topic \"{}\": {}", r.topic, r.reason))),
            }
        }
        for (seq, why) in notes.failed {
            self.window.failed(seq);
            self.failed += 1;
            if self.failure.is_none() {
                let why = format!("Kafka did not take event {seq}: {why}");
                self.failure = Some((seq, why));
            }
        }
        if notes.last_error.is_some() {
            self.last_error = notes.last_error;
        } else if self.last_error.is_none() {
            self.last_error = notes.all_down;
        }
        if notes.fatal && self.failure.is_none() {
            let why = match producer.client().fatal_error() {
                Some((code, text)) => format!("{text} ({})", describe(code)),
                None => "fatal error".to_string(),
            };
            self.failure = Some((
                self.window.delivered() + 1,
                format!("Kafka producer: {why}"),
            ));
        }
    }

    /// The run must end after a permanent failure.
    pub(super) fn check(&self) -> Result<()> {
        match &self.failure {
            Some((_, why)) => Err(anyhow!("{why}")),
            None => Ok(()),
        }
    }

    /// librdkafka's queue is full: give the brokers time, and give up once
    /// they have acknowledged nothing for the flush timeout — a stop request
    /// waits for us, so this wait must end.
    pub(super) fn wait_for_room(&mut self, producer: &BaseProducer<Context>) -> Result<()> {
        let now = Instant::now();
        if self.stalled.is_none() {
            self.stalled = Some(now);
            self.progress = self.progress.max(now);
        }
        self.serve(producer, QUEUE_FULL_WAIT);
        self.check()?;
        let quiet = self.progress.elapsed();
        if quiet >= STALL_WARNING && !self.warned && self.flush_timeout > STALL_WARNING {
            self.warned = true;
            self.log.warn(&format!(
                "Kafka has acknowledged nothing for {}s and its queue is full ({} records in flight); waiting",
                quiet.as_secs(),
                self.window.waiting()
            ));
        }
        if quiet >= self.flush_timeout {
            let last = self
                .last_error
                .as_ref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default();
            bail!(
                "Kafka brokers {} acknowledged nothing for {} (--flush-timeout) while the producer queue was full ({} records in flight){last}",
                self.brokers,
                humantime::format_duration(self.flush_timeout),
                self.window.waiting()
            );
        }
        Ok(())
    }
}
