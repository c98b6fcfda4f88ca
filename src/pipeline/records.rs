//! pipeline::records: what an event or comment becomes for the sink — its
//! value built by the formatter at the end of the sink's buffer, or (stdout,
//! `-f data`) the data where it lies in the read buffer — numbered by the
//! event it came from.

use super::Run;
use crate::record::Key;
use crate::sink::{Record, Value};
use crate::sse::Event;
use anyhow::Result;

impl Run<'_> {
    /// One event that passed the filter becomes its record.
    #[inline]
    pub(super) fn hand_over(&mut self, ev: &Event<'_>, chunk: &[u8]) -> Result<()> {
        if self.jq.is_some() {
            return self.hand_over_jq(ev, chunk);
        }
        let seq = self.stats.events + 1;
        let time = self.chunk.now;
        let join = self.cfg.join_output;
        let value = if !join && self.sink.takes_verbatim() && self.fmt.is_verbatim(ev) {
            Value::Verbatim(ev.data)
        } else {
            let buf = self.sink.buffer();
            let start = buf.len();
            let outcome = self.fmt.event(ev, time, buf);
            if join {
                // -j: the formatter's LF goes.
                buf.pop();
                if buf.len() > start {
                    self.line_open = buf.last() != Some(&b'\n');
                }
            }
            if outcome.not_json {
                self.not_json(ev.data);
            }
            Value::Built(start)
        };
        let rec = Record {
            seq,
            value,
            event: Some(ev),
            time,
            last: true,
            key: Key::FromEvent,
        };
        // Counted before the sink answers: a record it refuses still numbers
        // its event, so the ledger never takes that event's ID as covered.
        self.stats.events = seq;
        self.sink.record(&rec, chunk)
    }

    pub(super) fn comment(&mut self, text: &[u8], chunk: &[u8]) -> Result<()> {
        let buf = self.sink.buffer();
        let start = buf.len();
        self.fmt.comment(text, buf);
        let rec = Record {
            seq: self.stats.events,
            value: Value::Built(start),
            event: None,
            time: self.chunk.now,
            last: true,
            key: Key::FromEvent,
        };
        self.sink.record(&rec, chunk)
    }

    /// An event that failed in `--jq` goes, formatted as without it, where
    /// the sink puts rejected events (`Sink::rejects_to`); it counts as
    /// delivered once that is acknowledged.
    pub(super) fn reject(&mut self, ev: &Event<'_>, why: String) -> Result<()> {
        let seq = self.stats.events + 1;
        let time = self.chunk.now;
        let buf = self.sink.buffer();
        let start = buf.len();
        self.fmt.event(ev, time, buf);
        let rec = Record {
            seq,
            value: Value::Built(start),
            event: Some(ev),
            time,
            last: true,
            key: Key::FromEvent,
        };
        self.stats.events = seq;
        self.sink.reject(&rec, why)
    }

    /// `--json-data` met data that is not JSON: count it, and say so once
    /// (not for the `[DONE]` that OpenAI-style streams end with).
    fn not_json(&mut self, data: &[u8]) {
        self.stats.not_json += 1;
        if data != b"[DONE]" && !self.service.warned_not_json {
            self.service.warned_not_json = true;
            self.log.warn(
                "--json-data: an event's data is not JSON; it stays a string (--stats counts them)",
            );
        }
    }
}
