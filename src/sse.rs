//! sse: the WHATWG "server-sent events" stream parser, as a pure state machine
//! over bytes. It owns line splitting, BOM handling, field interpretation and
//! event dispatch; it does no I/O and never fails.
//!
//! Bytes are fed in arbitrary chunks; the items produced do not depend on how
//! the stream was split. Values stay raw bytes: callers decode them as UTF-8
//! with replacement (`String::from_utf8_lossy`), which is equivalent to the
//! spec's whole-stream decode because every delimiter the parser splits on is
//! ASCII.

use std::mem;
use std::ops::ControlFlow::{self, Continue};

mod data;
mod first;
use first::First;
mod ends;
use ends::Ends;
mod field;
mod partial;
use field::{Field, NAME_CAP, has_nul, retry_digits, split_field};

/// What `feed` and the callback return: `Break` stops the parse.
type Flow = ControlFlow<()>;

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
    /// With `has_own_id`, the last event ID before this event's took
    /// effect (what a reconnect would have sent just before it).
    pub previous_id: &'a [u8],
}

/// `Event::of` under the short name the unit tests of several modules
/// (format, jq, the Kafka sink) build their events with.
#[cfg(test)]
pub fn ev<'a>(event_type: &'a [u8], id: &'a [u8], data: &'a [u8]) -> Event<'a> {
    Event::of(event_type, id, data)
}

impl<'a> Event<'a> {
    /// An event for tests: its ID is its own when it has one.
    #[cfg(test)]
    pub fn of(event_type: &'a [u8], id: &'a [u8], data: &'a [u8]) -> Event<'a> {
        Event {
            event_type,
            id,
            data,
            has_own_id: !id.is_empty(),
            previous_id: b"",
        }
    }

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
    /// An event over the size cap was dropped at its dispatch point:
    /// `data` is how many bytes its data had (past the cap if that is what
    /// was over), `line` the longest `id`/`event` value over the cap (0 if
    /// none was).
    Dropped {
        data: usize,
        line: usize,
    },
}

/// The most an `id` or `event` value may hold (unless `--max-event-size`
/// is lower); a longer one drops its event, as data over the cap does.
/// Real ones are under a few hundred bytes, and an ID over 4 KiB is never
/// sent or saved (`resume::MAX_ID_LEN`); at the data's cap each would add
/// six times the cap to an event written as JSON (a control byte is
/// `\u00XX`), so that a 16 MiB cap cost 360 MB for one event.
pub const LINE_MAX: usize = 1 << 20;

/// The UTF-8 byte order mark, stripped once at the very start of a stream.
const BOM: &[u8; 3] = b"\xEF\xBB\xBF";

/// Where the parser stands in a line that a chunk ended before its end: not
/// in one, in its field name, or in its value (`fresh`: no value byte yet, so
/// a leading space may still have to be stripped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Partial {
    None,
    Name,
    Value { field: Field, fresh: bool },
}

/// The incremental event-stream parser. See [`Parser::feed`].
///
/// Lines complete inside one chunk are interpreted straight from the chunk.
/// A line cut by the end of a chunk is carried over as a small state
/// (`Partial`): its field name (at most 5 bytes kept), then its value,
/// which for `data` is streamed into the data buffer and for `id`, `event`
/// and comments is buffered up to the size cap, so memory stays bounded by
/// about the cap whatever the input.
#[derive(Debug, Clone)]
pub struct Parser {
    /// The size cap: of one event's data, and of a comment.
    max: usize,
    /// The cap of an `id` or `event` value: `max`, but at most `LINE_MAX`.
    line_max: usize,
    /// The cap of the data buffer, which holds an LF after each line, the
    /// last one removed at dispatch: `max` + 1.
    data_max: usize,
    /// At a stream's start, how many BOM bytes matched so far; then `None`.
    bom: Option<usize>,
    /// The last chunk ended in CR: an LF opening the next one ends no line.
    pending_cr: bool,
    partial: Partial,
    /// A partial line's field name: its first `NAME_CAP` bytes, its length.
    name: [u8; NAME_CAP],
    name_len: usize,
    /// A partial line's value: its first `max` bytes (`id`, `event`, comment),
    /// its length, whether it has a NUL, its `retry` digits (`None`: not all).
    val: Vec<u8>,
    val_len: usize,
    val_nul: bool,
    retry: Option<u64>,
    /// The data buffer (at most `max` bytes) and the data bytes the pending
    /// event reached (still counted once it is oversized).
    data: Vec<u8>,
    data_len: usize,
    /// The pending event's data while it is one `data` line of the chunk
    /// being parsed: that value's place in the chunk (the data buffer is
    /// then empty and stands for the value plus an LF). The common event
    /// is dispatched straight from the chunk, without a copy; anything
    /// else (a second line, the chunk ending first) copies it into `data`.
    data_in_chunk: Option<(usize, usize)>,
    /// The pending event went over the cap; the longest over-long `id`/`event`.
    oversized: bool,
    over_len: usize,
    event_type: Vec<u8>,
    /// The last event ID string, `ids[cur]`, and the last-event-ID buffer,
    /// `ids[!cur]`, valid only while `own_id` (an `id` field took effect
    /// since the last dispatch; otherwise the buffer is the string). A
    /// dispatch that takes the buffer flips `cur` rather than swapping the
    /// two: the event read right after would otherwise load the string's
    /// pointer and length from stores still in flight, a store-forwarding
    /// stall on every event that has an ID.
    ids: [Vec<u8>; 2],
    cur: bool,
    own_id: bool,
}

impl Parser {
    /// A parser whose events may carry at most `max_event_size` bytes of data.
    pub fn new(max_event_size: usize) -> Parser {
        Parser {
            max: max_event_size,
            line_max: max_event_size.min(LINE_MAX),
            data_max: max_event_size.saturating_add(1),
            bom: Some(0),
            pending_cr: false,
            partial: Partial::None,
            name: [0; NAME_CAP],
            name_len: 0,
            val: Vec::new(),
            val_len: 0,
            val_nul: false,
            retry: None,
            data: Vec::new(),
            data_len: 0,
            data_in_chunk: None,
            oversized: false,
            over_len: 0,
            event_type: Vec::new(),
            ids: [Vec::new(), Vec::new()],
            cur: false,
            own_id: false,
        }
    }

    /// Set the last event ID (from --last-event-id or a state file) before feeding.
    pub fn set_last_event_id(&mut self, id: &[u8]) {
        let last = &mut self.ids[usize::from(self.cur)];
        last.clear();
        last.extend_from_slice(id);
        self.own_id = false;
    }

    /// The last event ID string as of the last dispatch (what a reconnect sends).
    pub fn last_event_id(&self) -> &[u8] {
        &self.ids[usize::from(self.cur)]
    }

    /// Feed the next chunk of the stream. Calls `f` for every item completed by this
    /// chunk, in stream order. If `f` returns Break, stop at once and return Break
    /// (the caller will not feed again). Otherwise returns Continue.
    pub fn feed<F: FnMut(Item<'_>) -> Flow>(&mut self, chunk: &[u8], mut f: F) -> Flow {
        let mut chunk = chunk;
        if chunk.is_empty() {
            return Continue(());
        }
        if let Some(matched) = self.bom {
            let n = (BOM.len() - matched).min(chunk.len());
            if chunk[..n] == BOM[matched..matched + n] {
                if matched + n < BOM.len() {
                    // The whole chunk is (still) a BOM prefix.
                    self.bom = Some(matched + n);
                    return Continue(());
                }
                chunk = &chunk[n..];
            } else {
                // Not a BOM: the bytes held back so far are the stream's first.
                self.lines(&BOM[..matched], &mut f)?;
            }
            self.bom = None;
        }
        self.lines(chunk, &mut f)
    }

    /// The stream ended, or a new connection starts: discard any partial line and the
    /// pending event (not dispatched), forget a pending CR, expect a BOM again at the
    /// start of the next stream. Keeps the last event ID; the next stream's
    /// last-event-ID buffer starts at that value (as Chromium/Firefox do).
    pub fn reset(&mut self) {
        self.bom = Some(0);
        self.pending_cr = false;
        self.partial = Partial::None;
        self.release_val();
        self.own_id = false;
        self.clear_event();
    }

    /// Split a chunk (BOM already handled) into lines and interpret them.
    fn lines<F: FnMut(Item<'_>) -> Flow>(&mut self, chunk: &[u8], f: &mut F) -> Flow {
        // (`feed` passes no empty chunk, which would have to keep the CR pending.)
        let mut pos = usize::from(mem::take(&mut self.pending_cr) && chunk.first() == Some(&b'\n'));
        let mut flow = Continue(());
        let mut ends = Ends::new(chunk);
        while pos < chunk.len() && flow.is_continue() {
            // A further line of data (the first line of an event, a blank
            // line, any other field: one check of a loaded byte) goes to the
            // data loop.
            if self.data_len != 0 && chunk[pos] == b'd' && self.partial == Partial::None {
                pos = self.data_lines(chunk, pos);
                if pos == chunk.len() {
                    break;
                }
            }
            let Some(end) = ends.next(pos) else {
                // The line goes on in the next chunk: data before it first.
                self.keep_data(chunk);
                self.partial_bytes(&chunk[pos..]);
                break;
            };
            let line = &chunk[pos..end];
            // (A partial line is only ever the chunk's first, before any
            // data of this chunk is pending.)
            flow = if self.partial == Partial::None {
                match self.first_data_line(chunk, line, end) {
                    First::Event(next) => {
                        flow = self.dispatch_line(line, f);
                        pos = next;
                        continue;
                    }
                    First::Run => {
                        let next = self.data_lines(chunk, pos);
                        if next != pos {
                            pos = next;
                            continue;
                        }
                    }
                    First::Other => {}
                }
                self.line(chunk, line, f)
            } else {
                self.partial_bytes(line);
                self.finish_partial(f)
            };
            pos = end + 1;
            if chunk[end] == b'\r' {
                match chunk.get(pos) {
                    Some(b'\n') => pos += 1,
                    Some(_) => {}
                    None => self.pending_cr = true,
                }
            }
        }
        self.keep_data(chunk);
        flow
    }

    /// The chunk is about to go: copy pending data that lives in it.
    #[inline(always)]
    fn keep_data(&mut self, chunk: &[u8]) {
        if let Some((start, end)) = self.data_in_chunk.take() {
            append_line(&mut self.data, chunk, start, end - start, self.data_max);
        }
    }

    /// Interpret a whole line of `chunk`, straight from the chunk.
    fn line<F: FnMut(Item<'_>) -> Flow>(&mut self, chunk: &[u8], line: &[u8], f: &mut F) -> Flow {
        if line.is_empty() {
            return self.dispatch(chunk, f);
        }
        let (field, value) = split_field(line);
        let value = value.strip_prefix(b" ").unwrap_or(value);
        if field == Field::Data {
            let len = value.len() + 1;
            if self.data_len == 0 && len <= self.data_max {
                // The first data line: leave it where it is.
                let start = value.as_ptr() as usize - chunk.as_ptr() as usize;
                self.data_in_chunk = Some((start, start + value.len()));
                self.data_len = len;
                return Continue(());
            }
            self.keep_data(chunk);
            let total = self.data_len.saturating_add(len);
            if total <= self.data_max && !self.oversized {
                // A further line within the cap (the usual multi-line
                // data): append it here rather than through `field`.
                self.data_len = total;
                let start = value.as_ptr() as usize - chunk.as_ptr() as usize;
                append_line(&mut self.data, chunk, start, value.len(), self.data_max);
                return Continue(());
            }
        }
        self.field(field, value, f)
    }

    /// Process one field with its whole value (leading space already stripped).
    fn field<F: FnMut(Item<'_>) -> Flow>(&mut self, field: Field, value: &[u8], f: &mut F) -> Flow {
        match field {
            Field::Data => self.push_data(value, true),
            Field::Event if value.len() > self.line_max => self.oversize(value.len()),
            Field::Event => {
                self.event_type.clear();
                self.event_type.extend_from_slice(value);
            }
            Field::Id if has_nul(value) => {}
            Field::Id if value.len() > self.line_max => self.oversize(value.len()),
            Field::Id => {
                let buf = &mut self.ids[usize::from(!self.cur)];
                buf.clear();
                buf.extend_from_slice(value);
                self.own_id = true;
            }
            Field::Retry if !value.is_empty() => {
                if let Some(ms) = retry_digits(Some(0), value) {
                    return f(Item::Retry(ms));
                }
            }
            Field::Comment if value.len() <= self.max => return f(Item::Comment(value)),
            Field::Retry | Field::Comment | Field::Unknown => {}
        }
        Continue(())
    }

    /// Append (part of) a `data` value, and an LF if `lf`, within the cap.
    fn push_data(&mut self, bytes: &[u8], lf: bool) {
        self.data_len = self.data_len.saturating_add(bytes.len() + usize::from(lf));
        if self.data_len > self.data_max && !self.oversized {
            self.oversize(0);
        }
        if !self.oversized {
            reserve_capped(&mut self.data, bytes.len() + usize::from(lf), self.data_max);
            self.data.extend_from_slice(bytes);
            if lf {
                self.data.push(b'\n');
            }
        }
    }

    /// Mark the pending event oversized (`len`: an over-long value's) and free its data.
    fn oversize(&mut self, len: usize) {
        self.oversized = true;
        self.data_in_chunk = None;
        self.over_len = self.over_len.max(len);
        self.data = Vec::new();
    }

    /// At a dispatch: the event's own ID, if an `id` field took effect,
    /// becomes the last event ID. Returns whether it had one.
    #[inline(always)]
    fn settle_id(&mut self) -> bool {
        let own = mem::take(&mut self.own_id);
        self.cur ^= own;
        own
    }

    /// A blank line: update the last event ID, then dispatch the pending event.
    fn dispatch<F: FnMut(Item<'_>) -> Flow>(&mut self, chunk: &[u8], f: &mut F) -> Flow {
        let own = self.settle_id();
        let flow = if self.oversized {
            f(Item::Dropped {
                // Every line is whole now: the last LF is no data.
                data: self.data_len.saturating_sub(1),
                line: self.over_len,
            })
        } else if let Some((start, end)) = self.data_in_chunk {
            f(Item::Event(Event {
                event_type: &self.event_type,
                id: &self.ids[usize::from(self.cur)],
                data: &chunk[start..end],
                has_own_id: own,
                previous_id: &self.ids[usize::from(!self.cur)],
            }))
        } else if let Some((_lf, data)) = self.data.split_last() {
            f(Item::Event(Event {
                event_type: &self.event_type,
                id: &self.ids[usize::from(self.cur)],
                data,
                has_own_id: own,
                previous_id: &self.ids[usize::from(!self.cur)],
            }))
        } else {
            Continue(())
        };
        self.clear_event();
        flow
    }

    /// Reset the data and event type buffers and the size tracking.
    fn clear_event(&mut self) {
        self.data.clear();
        self.data_in_chunk = None;
        self.data_len = 0;
        self.oversized = false;
        self.over_len = 0;
        self.event_type.clear();
    }
}

/// Appends a data value, the `n` bytes of `chunk` from `start`, and an LF
/// to `buf` (which never holds more than `max`). A short value (the usual
/// line of multi-line data) is copied as a whole 64-byte block when the
/// chunk and the buffer have room for one: a fixed-size copy is a few
/// vector moves in place, where `extend_from_slice` calls `memcpy`, whose
/// call costs more than such a copy.
#[inline(always)]
fn append_line(buf: &mut Vec<u8>, chunk: &[u8], start: usize, n: usize, max: usize) {
    const BLOCK: usize = 64;
    reserve_capped(buf, n + 1, max);
    let len = buf.len();
    if n < BLOCK
        && buf.capacity() - len >= BLOCK
        && let Some(block) = chunk.get(start..start + BLOCK)
    {
        // SAFETY: the BLOCK bytes written at `len` lie within buf's
        // capacity (checked above) and are read from `block`, BLOCK bytes
        // of the caller's chunk, which is not buf. After the write, the
        // bytes up to `len + n + 1` are initialised: `n` of the value
        // (n < BLOCK), then the LF.
        unsafe {
            let dst = buf.as_mut_ptr().add(len);
            std::ptr::copy_nonoverlapping(block.as_ptr(), dst, BLOCK);
            dst.add(n).write(b'\n');
            buf.set_len(len + n + 1);
        }
        return;
    }
    buf.extend_from_slice(&chunk[start..start + n]);
    buf.push(b'\n');
}

/// Make room for `extra` more bytes in `buf`, which never holds more than
/// `max`: grow by doubling as usual, but not past `max`.
#[inline]
fn reserve_capped(buf: &mut Vec<u8>, extra: usize, max: usize) {
    let need = buf.len() + extra;
    if need > buf.capacity() {
        let want = need
            .max(buf.capacity().saturating_mul(2))
            .min(max.max(need));
        buf.reserve_exact(want - buf.len());
    }
}

#[cfg(test)]
mod tests;
