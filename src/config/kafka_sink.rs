//! config::kafka_sink: the Kafka sink's options from its flags: the
//! librdkafka properties in the order they win (ssetap's defaults: acks=all,
//! idempotence, Java's key partitioner; then
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
    state_topic: Option<&str>,
    secrets: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Result<Option<kafka::Options>> {
    let wanted = args.brokers.is_some()
        || args.topic.is_some()
        || args.kafka_config.is_some()
        || !args.kafka_properties.is_empty();
    if !wanted {
        if args.key != kafka::KeySpec::None {
            return Err(bad(
                "--key only applies to the Kafka sink (-b/--brokers); a TLS client \
                 certificate's key is --cert-key",
            ));
        }
        if args.flush_timeout.is_some() {
            return Err(bad(
                "--flush-timeout only applies to the Kafka sink (-b/--brokers)",
            ));
        }
        if args.dead_letter_topic.is_some() {
            return Err(bad(
                "--dead-letter-topic only applies to the Kafka sink (-b/--brokers)",
            ));
        }
        if state_topic.is_some() {
            return Err(bad(
                "--state-topic keeps the resume point beside the events in Kafka, so it needs \
                 the Kafka sink (-b/--brokers and -t/--topic); writing to stdout, use --state-file",
            ));
        }
        return Ok(None);
    }
    let mut properties: Vec<(String, String)> = vec![
        ("acks".into(), "all".into()),
        ("enable.idempotence".into(), "true".into()),
        // A key lands where a Java client (Kafka Connect) puts it, so a
        // stream moved from a connector keeps each key in its partition.
        ("partitioner".into(), "murmur2_random".into()),
    ];
    if let Some(path) = &args.kafka_config {
        let text = values::read_file_capped(path, values::caps::LINES)
            .and_then(values::text)
            .with_context(|| format!("cannot read -F/--kafka-config {}", path.display()))?;
        // A file saved by an editor that writes a byte order mark would
        // lose its first key to it.
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = || format!("{}:{}", path.display(), n + 1);
            let Some((k, v)) = line.split_once('=').filter(|(k, _)| !k.trim().is_empty()) else {
                return Err(bad(format!("{}: expected key=value", at())));
            };
            let (k, v) = (k.trim(), v.trim());
            kafka::check_property(k, v).map_err(|why| bad(format!("{}: {k}: {why}", at())))?;
            properties.push((k.to_string(), v.to_string()));
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
        if b.contains('=') {
            // Not shown: a cookie may be a session's secret.
            return Err(bad(
                "-b/--brokers: a broker list has no '='; a cookie, as curl's -b, goes in \
                 -H 'Cookie: NAME=VALUE'",
            ));
        }
        properties.push(("bootstrap.servers".into(), b.clone()));
    }
    for p in &args.kafka_properties {
        let Some((k, v)) = p.split_once('=').filter(|(k, _)| !k.trim().is_empty()) else {
            // With an `=`, what follows may be a secret: not shown.
            let got = if p.contains('=') {
                "a value with no KEY".to_string()
            } else {
                format!("{p:?}")
            };
            return Err(bad(format!(
                "--kafka-property: expected KEY=VALUE, got {got}"
            )));
        };
        let (k, v) = (k.trim(), v.trim());
        kafka::check_property(k, v).map_err(|why| bad(format!("--kafka-property {k}: {why}")))?;
        properties.push((k.to_string(), v.to_string()));
    }
    for (k, v) in &properties {
        if crate::redact::is_secret_property(k) && !v.is_empty() {
            secrets.extend(crate::redact::secret_values(v));
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
    for (k, v) in &properties {
        if k == "bootstrap.servers" || k == "metadata.broker.list" {
            check_brokers(v).map_err(|why| bad(format!("{k}: {why}")))?;
        }
    }
    let Some(topic) = args.topic.clone().filter(|t| !t.is_empty()) else {
        return Err(bad("-t/--topic is required with Kafka (-b/-F)"));
    };
    kafka::check_template(&topic).map_err(|e| bad(format!("{e:#}")))?;
    // Topics of ssetap's own records: no event may land there, whatever
    // its type (a server naming its events after the state topic would
    // otherwise write the resume point).
    let reserved: Vec<(String, &str)> = [
        (state_topic, "--state-topic"),
        (args.dead_letter_topic.as_deref(), "--dead-letter-topic"),
    ]
    .into_iter()
    .filter_map(|(t, flag)| Some((t?.to_string(), flag)))
    .collect();
    if let [(a, _), (b, _)] = reserved.as_slice()
        && a == b
    {
        return Err(bad(format!(
            "--state-topic and --dead-letter-topic are both {a:?}: each needs a topic of its own"
        )));
    }
    if let Some((t, flag)) = reserved.iter().find(|(t, _)| *t == topic) {
        return Err(bad(format!(
            "-t {t:?} is also the {flag}: events need a topic of their own"
        )));
    }
    Ok(Some(kafka::Options {
        topic,
        key: args.key.clone(),
        properties,
        flush_timeout: args.flush_timeout.unwrap_or(DEFAULT_FLUSH_TIMEOUT),
        dead_letter_topic: args.dead_letter_topic.clone(),
        reserved: reserved.into_iter().map(|(t, _)| t).collect(),
    }))
}

/// A broker list librdkafka would take: entries `HOST:PORT` (or with a
/// `PROTOCOL://` prefix, or `[v6]:PORT`), none empty, every port at most
/// 65535 (librdkafka would take `:99999` as port 34463, and `-b ''` as no
/// broker to wait for).
fn check_brokers(list: &str) -> Result<(), String> {
    if list.trim().is_empty() {
        return Err("no broker given".into());
    }
    for entry in list.split(',').map(str::trim) {
        let host = entry.split_once("://").map_or(entry, |(_, h)| h);
        let after_bracket = host.rfind(']').map_or(0, |i| i + 1);
        let port = host[after_bracket..].rsplit_once(':').map(|(_, p)| p);
        let bad_port = port.is_some_and(|p| p.is_empty() || p.parse::<u16>().is_err());
        if host.is_empty() || host.starts_with(':') || bad_port {
            return Err(format!(
                "{entry:?} is not HOST:PORT (a port from 0 to 65535)"
            ));
        }
    }
    Ok(())
}
