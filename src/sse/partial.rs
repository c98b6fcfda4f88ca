//! partial: a line that a chunk ended before its end.
//!
//! Such a line is carried over as a small state (`Partial`): its field
//! name (at most `NAME_CAP` bytes kept), then its value, which for `data`
//! is streamed into the data buffer and for `id`, `event` and comments is
//! buffered up to the size cap; the line's end (in a later chunk) then
//! processes the field as a whole line would be. Rare on real streams
//! (one line per chunk at most), so kept apart from the per-line path.

use std::mem;
use std::ops::ControlFlow::Continue;

use memchr::memchr;

use super::field::{Field, NAME_CAP, retry_digits};
use super::{Flow, Item, Parser, Partial, reserve_capped};

impl Parser {
    /// Advance the partial line by `bytes` (which hold no line terminator).
    // At most once a chunk: kept out of the per-line loop that calls it.
    #[inline(never)]
    pub(super) fn partial_bytes(&mut self, mut bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if self.partial == Partial::None {
            if bytes[0] == b':' {
                self.begin_value(Field::Comment);
                bytes = &bytes[1..];
            } else {
                self.partial = Partial::Name;
                self.name_len = 0;
            }
        }
        if self.partial == Partial::Name {
            let colon = memchr(b':', bytes);
            let head = &bytes[..colon.unwrap_or(bytes.len())];
            let at = self.name_len.min(NAME_CAP);
            let room = (NAME_CAP - at).min(head.len());
            self.name[at..at + room].copy_from_slice(&head[..room]);
            self.name_len = self.name_len.saturating_add(head.len());
            let Some(colon) = colon else { return };
            let field = self.name_field();
            self.begin_value(field);
            bytes = &bytes[colon + 1..];
        }
        let Partial::Value { field, fresh } = self.partial else {
            return;
        };
        if fresh && !bytes.is_empty() {
            self.partial = Partial::Value {
                field,
                fresh: false,
            };
            bytes = bytes.strip_prefix(b" ").unwrap_or(bytes);
        }
        self.val_len = self.val_len.saturating_add(bytes.len());
        match field {
            Field::Data => self.push_data(bytes, false),
            Field::Retry => self.retry = retry_digits(self.retry, bytes),
            Field::Event | Field::Id | Field::Comment => {
                let cap = self.value_cap(field);
                let room = cap.saturating_sub(self.val.len()).min(bytes.len());
                reserve_capped(&mut self.val, room, cap);
                self.val.extend_from_slice(&bytes[..room]);
                self.val_nul |= memchr(0, bytes).is_some();
            }
            Field::Unknown => {}
        }
    }

    /// The cap of a kept value: a comment's is the event's, an `id`'s or
    /// `event`'s `line_max`.
    fn value_cap(&self, field: Field) -> usize {
        match field {
            Field::Comment => self.max,
            _ => self.line_max,
        }
    }

    /// The partial line just ended: process its field.
    pub(super) fn finish_partial<F: FnMut(Item<'_>) -> Flow>(&mut self, f: &mut F) -> Flow {
        let field = match mem::replace(&mut self.partial, Partial::None) {
            Partial::None => return Continue(()),
            // A line without a colon: the whole line is the name, the value is empty.
            Partial::Name => return self.field(self.name_field(), b"", f),
            Partial::Value { field, .. } => field,
        };
        match field {
            Field::Data => self.push_data(b"", true),
            Field::Retry if self.val_len > 0 => {
                if let Some(ms) = self.retry {
                    return f(Item::Retry(ms));
                }
            }
            Field::Retry | Field::Unknown => {}
            // Within the cap, `val` holds the whole value.
            _ if self.val_len <= self.value_cap(field) => {
                let val = mem::take(&mut self.val);
                let flow = self.field(field, &val, f);
                self.val = val;
                self.release_val();
                return flow;
            }
            // Over-long: a comment is dropped silently and an `id` with a NUL
            // ignored; otherwise the event is dropped.
            _ => {
                if field == Field::Event || (field == Field::Id && !self.val_nul) {
                    self.oversize(self.val_len);
                }
                self.release_val();
            }
        }
        Continue(())
    }

    /// The field a partial line's buffered name selects.
    fn name_field(&self) -> Field {
        Field::from_name(self.name.get(..self.name_len).unwrap_or_default())
    }

    fn begin_value(&mut self, field: Field) {
        self.partial = Partial::Value { field, fresh: true };
        self.val.clear();
        self.val_len = 0;
        self.val_nul = false;
        self.retry = Some(0);
    }

    /// Forget a partial value; give back a large buffer.
    pub(super) fn release_val(&mut self) {
        if self.val.capacity() > 64 << 10 {
            self.val = Vec::new();
        } else {
            self.val.clear();
        }
    }
}
