//! record: what the pipeline makes of an event for a sink — a value (built
//! in the sink's buffer, or verbatim bytes that may lie in the read buffer),
//! the event it came from, its number and its receive time. Shared by the
//! pipeline and every sink; depends on nothing but the parser's `Event`.

use crate::sse::Event;
use std::time::SystemTime;

/// One output record.
pub struct Record<'a> {
    /// The number of the event it came from (several records may share it).
    pub seq: u64,
    pub value: Value<'a>,
    /// The event it came from: its type, ID and data, for a sink that
    /// routes or keys by them (Kafka). None for a comment line.
    pub event: Option<&'a Event<'a>>,
    /// The receive time.
    pub time: SystemTime,
    /// No further record of this event follows (its event counts as
    /// written or acknowledged only once this one and all before it are).
    pub last: bool,
    /// The record's key for a sink that keys records, when the pipeline
    /// resolved it (`--jq` and the sink's `key_pointer`, resolved in the
    /// output value); else the sink derives it from the event.
    pub key: Key<'a>,
}

/// Who decides a record's key (a sink that keys nothing ignores it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key<'a> {
    /// The sink, from the event (Kafka: by `--key`).
    FromEvent,
    /// The pipeline: this key, or none.
    Given(Option<&'a [u8]>),
}

/// Where a record's value lies.
pub enum Value<'a> {
    /// The sink's `buffer()` from this offset to its end, as the formatter
    /// left it (ending with an LF, which a sink of whole messages drops).
    Built(usize),
    /// These bytes plus an LF; for stdout they may lie in the chunk being
    /// parsed, and are then written from there (see `Stdout`).
    Verbatim(&'a [u8]),
}
