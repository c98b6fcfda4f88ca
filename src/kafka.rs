//! kafka: the Kafka sink (rdkafka `BaseProducer`). Placeholder until the
//! Kafka sink lands.

use crate::config;
use crate::format::{Format, Formatter, Outcome};
use crate::log::Log;
use crate::sse::Event;
use crate::stats::KafkaCounts;
use anyhow::Result;
use std::time::SystemTime;

pub struct KafkaSink;

impl KafkaSink {
    pub fn new(_cfg: &config::Kafka, _format: Format, _log: &Log) -> Result<KafkaSink> {
        anyhow::bail!("the Kafka sink is not built yet")
    }
    pub fn event(
        &mut self,
        _ev: &Event<'_>,
        _seq: u64,
        _time: SystemTime,
        _fmt: &mut Formatter,
    ) -> Result<Outcome> {
        Ok(Outcome::default())
    }
    pub fn poll(&mut self) -> Result<()> {
        Ok(())
    }
    pub fn delivered(&self) -> u64 {
        0
    }
    pub fn close(&mut self) -> Result<()> {
        Ok(())
    }
    pub fn counts(&self) -> KafkaCounts {
        KafkaCounts::default()
    }
}

/// librdkafka properties whose values are credentials.
pub fn is_secret_property(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("password")
        || n.contains("secret")
        || n.contains("jaas")
        || n.ends_with(".pem") && n.contains("key")
}
