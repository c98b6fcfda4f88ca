//! sse: the WHATWG "server-sent events" stream parser, as a pure state machine
//! over bytes. It owns line splitting, BOM handling, field interpretation and
//! event dispatch; it does no I/O and never fails.
//!
//! Bytes are fed in arbitrary chunks; the items produced do not depend on how
//! the stream was split. Values stay raw bytes: callers decode them as UTF-8
//! with replacement (`String::from_utf8_lossy`), which is equivalent to the
//! spec's whole-stream decode because every delimiter the parser splits on is
//! ASCII.

use std::ops::ControlFlow;

/// Default for `--max-event-size`: 16 MiB.
pub const DEFAULT_MAX_EVENT_SIZE: usize = 16 << 20;

/// One dispatched event. Borrowed from the parser; valid during the callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    /// The `event` field's value; empty means the default type `message`.
    pub event_type: &'a [u8],
    /// The last event ID at dispatch (persists across events); may be empty.
    pub id: &'a [u8],
    /// The data buffer with its one trailing LF removed.
    pub data: &'a [u8],
    /// True when this event's own lines contained an `id` field that took
    /// effect (for `--dedup`: an inherited ID is not the event's own).
    pub has_own_id: bool,
}

impl Event<'_> {
    /// The event type, with the empty type read as `message`.
    pub fn kind(&self) -> &[u8] {
        if self.event_type.is_empty() {
            b"message"
        } else {
            self.event_type
        }
    }
}

/// What the parser hands to its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item<'a> {
    Event(Event<'a>),
    /// A comment line: the text after the colon, one leading space removed.
    Comment(&'a [u8]),
    /// A valid `retry` field (all ASCII digits): the new reconnection time in ms.
    Retry(u64),
    /// An event whose data exceeded the size cap was dropped at its dispatch
    /// point; `size` is how many data bytes it had reached (at least the cap).
    Dropped {
        size: usize,
    },
}

// TEMPORARY STUB (replaced by the real parser).
pub struct Parser {
    id: Vec<u8>,
}
impl Parser {
    pub fn new(_max: usize) -> Parser {
        Parser { id: Vec::new() }
    }
    pub fn set_last_event_id(&mut self, id: &[u8]) {
        self.id = id.to_vec();
    }
    pub fn last_event_id(&self) -> &[u8] {
        &self.id
    }
    pub fn feed<F: FnMut(Item<'_>) -> ControlFlow<()>>(
        &mut self,
        _chunk: &[u8],
        _f: F,
    ) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
    pub fn reset(&mut self) {}
}
