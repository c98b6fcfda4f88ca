//! sink: where records go — stdout or Kafka. The only module that writes
//! data. The pipeline turns each event into records (`Record`): their value
//! is built by the formatter at the end of the sink's own buffer (so it is
//! never copied again), or, for stdout, it is the event's data where it lies
//! in the read buffer. Each record carries the number (`seq`) of the event
//! it came from; a sink reports the number up to which everything is written
//! (stdout) or acknowledged (Kafka), which is all the resume point may
//! follow. A write that fails never counts.
//!
//! A new sink is a folder here (`sink/NAME.rs`, `sink/NAME/`), an arm of
//! `Output` with its options and of `Sink` (one line per method below),
//! and its flags: `cli` defines them, `config` builds the `Output` arm.
//! The pipeline, `stats` and `service` ask `Sink` only (`wants_time`,
//! `key_pointer`, `rejects_to`, `acks`).

pub mod kafka;
mod stdout;
mod writer;

pub use crate::record::{Record, Value};
pub use writer::Writer;

use crate::log::Log;
use crate::stats::Acks;
use anyhow::Result;
use kafka::KafkaSink;
use stdout::Stdout;

/// Where the records go, as the flags chose: one arm per sink, with its
/// options (`config` builds it, `Sink::open` opens it).
#[derive(Debug, Clone)]
pub enum Output {
    Stdout,
    Kafka(kafka::Options),
}

impl Output {
    /// Records go to stdout (which then carries data, not just a status line).
    pub fn is_stdout(&self) -> bool {
        match self {
            Output::Stdout => true,
            Output::Kafka(_) => false,
        }
    }

    /// The longest this sink may hold the main loop and still be working:
    /// Kafka waits for room in a full queue up to its flush timeout.
    pub fn longest_hold(&self) -> std::time::Duration {
        match self {
            Output::Stdout => std::time::Duration::ZERO,
            Output::Kafka(options) => options.flush_timeout,
        }
    }
}

pub enum Sink {
    Stdout(Stdout),
    Kafka(Box<KafkaSink>),
}

impl Sink {
    /// Open the sink `output` names.
    pub fn open(output: &Output, log: &Log) -> Result<Sink> {
        match output {
            Output::Stdout => Ok(Sink::Stdout(Stdout::open()?)),
            Output::Kafka(k) => Ok(Sink::Kafka(Box::new(KafkaSink::new(k, log)?))),
        }
    }

    /// The run keeps a resume point: count a record as delivered only once
    /// it would survive a crash (stdout a regular file: on disk; Kafka
    /// acknowledges so already).
    pub fn count_durable(&mut self) -> Result<()> {
        match self {
            Sink::Stdout(s) => s.count_on_disk(),
            Sink::Kafka(_) => Ok(()),
        }
    }

    /// Where the next record's value is built: append to it, then `record`.
    #[inline]
    pub fn buffer(&mut self) -> &mut Vec<u8> {
        match self {
            Sink::Stdout(s) => s.buffer(),
            Sink::Kafka(k) => k.buffer(),
        }
    }

    /// Can this sink take a value as `Value::Verbatim` (stdout: write it
    /// from the read buffer)?
    #[inline]
    pub fn takes_verbatim(&self) -> bool {
        match self {
            Sink::Stdout(_) => true,
            Sink::Kafka(_) => false,
        }
    }

    /// Does this sink use each record's receive time (Kafka: the record's
    /// timestamp), so that it must be taken even without `--timestamp`?
    pub fn wants_time(&self) -> bool {
        match self {
            Sink::Stdout(_) => false,
            Sink::Kafka(_) => true,
        }
    }

    /// The JSON pointer this sink keys records by (`--key /ptr`), which
    /// `--jq` must resolve in its outputs (`record::Key::Given`).
    pub fn key_pointer(&self) -> Option<&str> {
        match self {
            Sink::Kafka(k) => k.key_pointer(),
            Sink::Stdout(_) => None,
        }
    }

    /// Take one record; `chunk` is the input being parsed.
    #[inline(always)]
    pub fn record(&mut self, rec: &Record<'_>, chunk: &[u8]) -> Result<()> {
        match self {
            Sink::Stdout(s) => s.record(rec, chunk),
            Sink::Kafka(k) => k.record(rec),
        }
    }

    /// Where this sink puts events the pipeline could not turn into
    /// records (a `--jq` failure), named as the flag that chose it (Kafka:
    /// `--dead-letter-topic`); None: such events are skipped.
    pub fn rejects_to(&self) -> Option<&'static str> {
        match self {
            Sink::Kafka(k) => k.has_dead_letters().then_some("--dead-letter-topic"),
            Sink::Stdout(_) => None,
        }
    }

    /// Put a rejected event's record where `rejects_to` says, with `why`
    /// as its error.
    pub fn reject(&mut self, rec: &Record<'_>, why: String) -> Result<()> {
        match self {
            Sink::Kafka(k) => k.dead_letter(rec, why),
            Sink::Stdout(_) => Ok(()),
        }
    }

    /// The pipeline is done with `chunk`: write what still lies in it.
    pub fn release(&mut self, chunk: &[u8]) -> Result<()> {
        match self {
            Sink::Stdout(s) => s.release(chunk),
            Sink::Kafka(_) => Ok(()),
        }
    }

    /// No further complete event is waiting upstream: make what was handed
    /// over visible (stdout: write it; Kafka: serve delivery reports).
    pub fn flush(&mut self) -> Result<()> {
        match self {
            Sink::Stdout(s) => s.flush(),
            Sink::Kafka(k) => k.poll(),
        }
    }

    /// Every record of the events numbered up to this one is written (or
    /// acknowledged).
    pub fn delivered(&self) -> u64 {
        match self {
            Sink::Stdout(s) => s.written(),
            Sink::Kafka(k) => k.delivered(),
        }
    }

    /// At exit: deliver everything still pending (Kafka: within the flush
    /// timeout); an error names what was not delivered.
    pub fn close(&mut self) -> Result<()> {
        match self {
            Sink::Stdout(s) => s.close(),
            Sink::Kafka(k) => k.close(),
        }
    }

    /// What a sink that waits for acknowledgements counts (None: stdout,
    /// where written is delivered).
    pub fn acks(&self) -> Option<Acks> {
        match self {
            Sink::Stdout(_) => None,
            Sink::Kafka(k) => Some(k.counts()),
        }
    }
}
