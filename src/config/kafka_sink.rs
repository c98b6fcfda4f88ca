//! config::kafka_sink: the Kafka sink's options from its flags: the
//! librdkafka properties in the order they win (ssetap's defaults, then
//! `-F FILE`, then `-b`, then each `--kafka-property`), the property
//! values that are secrets, the topic and key; `--key` or
//! `--flush-timeout` without the sink is a usage error naming the flag.

use super::bad;
use crate::cli::KafkaArgs;
use crate::sink::kafka;
use crate::values;
use anyhow::{Context, Result};
use std::time::Duration;

/// `--flush-timeout` when not given (its help says so).
const DEFAULT_FLUSH_TIMEOUT: Duration = Duration::from_secs(30);

pub(super) fn build(
    args: &KafkaArgs,
    secrets: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Result<Option<kafka::Options>> {
    let wanted = args.brokers.is_some()
        || args.topic.is_some()
        || args.kafka_config.is_some()
        || !args.kafka_properties.is_empty();
    if !wanted {
        if args.key != kafka::KeySpec::None {
            return Err(bad("--key only applies to the Kafka sink (-b/--brokers)"));
        }
        if args.flush_timeout.is_some() {
            return Err(bad(
                "--flush-timeout only applies to the Kafka sink (-b/--brokers)",
            ));
        }
        return Ok(None);
    }
    let mut properties: Vec<(String, String)> = vec![
        ("acks".into(), "all".into()),
        ("enable.idempotence".into(), "true".into()),
    ];
    if let Some(path) = &args.kafka_config {
        let text = values::read_file_capped(path, values::caps::LINES)
            .and_then(values::text)
            .with_context(|| format!("cannot read -F/--kafka-config {}", path.display()))?;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((k, v)) = line.split_once('=') else {
                return Err(bad(format!(
                    "{}:{}: expected key=value",
                    path.display(),
                    n + 1
                )));
            };
            properties.push((k.trim().to_string(), v.trim().to_string()));
        }
        let holds_secret = properties
            .iter()
            .any(|(k, v)| crate::redact::is_secret_property(k) && !v.is_empty());
        if holds_secret && values::readable_by_others(path) {
            warnings.push(format!(
                "{} holds secrets and others can read it; chmod 600 it",
                path.display()
            ));
        }
    }
    if let Some(b) = &args.brokers {
        properties.push(("bootstrap.servers".into(), b.clone()));
    }
    for p in &args.kafka_properties {
        let Some((k, v)) = p.split_once('=') else {
            return Err(bad(format!(
                "--kafka-property: expected KEY=VALUE, got {p:?}"
            )));
        };
        properties.push((k.trim().to_string(), v.trim().to_string()));
    }
    for (k, v) in &properties {
        if crate::redact::is_secret_property(k) && !v.is_empty() {
            secrets.push(v.clone());
        }
    }
    if !properties
        .iter()
        .any(|(k, _)| k == "bootstrap.servers" || k == "metadata.broker.list")
    {
        return Err(bad(
            "Kafka needs brokers: -b HOST:PORT, $SSETAP_BROKERS, or bootstrap.servers in -F",
        ));
    }
    let Some(topic) = args.topic.clone().filter(|t| !t.is_empty()) else {
        return Err(bad("-t/--topic is required with Kafka (-b/-F)"));
    };
    Ok(Some(kafka::Options {
        topic,
        key: args.key.clone(),
        properties,
        flush_timeout: args.flush_timeout.unwrap_or(DEFAULT_FLUSH_TIMEOUT),
        dead_letter_topic: args.dead_letter_topic.clone(),
    }))
}
