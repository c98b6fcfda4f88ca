//! cli::kafka: the flags of the Kafka sink, flattened into `Cli` under the
//! "Kafka" heading (the group `sink`, declared on `Cli`, holds
//! `-b`, `-t`, `-F`, `--kafka-property`: any of them chooses the sink).

use crate::sink::kafka::KeySpec;
use crate::values;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct KafkaArgs {
    /// Send events to these Kafka brokers instead of stdout.
    #[arg(
        short = 'b',
        long,
        value_name = "HOST:PORT[,...]",
        env = "SSETAP_BROKERS",
        hide_env_values = true,
        help_heading = "Kafka"
    )]
    pub brokers: Option<String>,

    /// Kafka topic; '{event}' in it is replaced by each event's type.
    #[arg(short = 't', long, value_name = "NAME", help_heading = "Kafka")]
    pub topic: Option<String>,

    /// Record key: none, id, event, or a JSON pointer (/a/b) into the data.
    #[arg(
        long,
        value_name = "KEY",
        default_value = "none",
        value_parser = values::key,
        help_heading = "Kafka"
    )]
    pub key: KeySpec,

    /// Set a librdkafka property (repeatable), e.g. compression.type=zstd.
    #[arg(
        long = "kafka-property",
        value_name = "KEY=VALUE",
        help_heading = "Kafka"
    )]
    pub kafka_properties: Vec<String>,

    /// Read librdkafka properties from a file (key=value lines, # comments),
    /// like kcat -F. Put secrets here, in a file only you can read.
    #[arg(short = 'F', long, value_name = "FILE", help_heading = "Kafka")]
    pub kafka_config: Option<PathBuf>,

    /// At exit, wait this long for Kafka to acknowledge what is in flight;
    /// while its queue is full, give up (exit 1) when Kafka has acknowledged
    /// nothing for this long [default: 30s].
    #[arg(
        long,
        value_name = "DURATION",
        value_parser = values::duration,
        help_heading = "Kafka"
    )]
    pub flush_timeout: Option<Duration>,

    /// Send an event Kafka refuses for good (too large, an illegal or missing
    /// routed topic, invalid or against policy) to this topic instead of
    /// failing the run; headers ssetap.error and ssetap.topic say why and where.
    #[arg(long, value_name = "TOPIC", help_heading = "Kafka")]
    pub dead_letter_topic: Option<String>,
}
