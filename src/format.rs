//! format: turns parsed events into output bytes (NDJSON, raw data or canonical SSE), with jq-like colour for terminals. Pure: writes into a caller's buffer, no I/O.
//!
//! Every value is decoded as UTF-8 with replacement (invalid sequences become
//! U+FFFD, as `String::from_utf8_lossy` does) without copying when it is
//! valid. Nothing here allocates per event once the caller's buffer and the
//! formatter's small state have grown to size.
//!
//! `json_data` asks whether the data is JSON with an allocation-free scanner
//! (`json`) that accepts what `serde_json::from_slice::<Value>` accepts, at a
//! fraction of the cost of building a `Value` (and without serde_json's
//! `raw_value` feature or a direct serde dependency); where the CPU has AVX2,
//! a simdjson-style validator (`json::simd`) gives the same answers faster,
//! and the scanner only re-emits texts (compactly, or coloured).

mod color;
mod escape;
mod json;
#[cfg(test)]
pub(crate) use json::canon::MAX_KEYS;
pub(crate) use json::canon::{Canonical, Keys, copy_if_as_jq_writes_it, jq_escape};

pub(crate) use color::Kind;
pub(crate) use json::{Emit, scan as scan_json};
#[cfg(test)]
mod guard_tests;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
mod utf8;
pub use utf8::is_utf8;
use utf8::{REPLACEMENT, push_lossy};

use std::io::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::sse::Event;
use color::W;
use escape::push_escaped;

/// The output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line: `{"event":…,"id":…,"data":…}`.
    Json,
    /// The data alone, one event per line (multi-line data stays multi-line).
    Data,
    /// Canonical SSE text that parses back to the same events.
    Sse,
}

impl Format {
    /// The name `-f` takes.
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Data => "data",
            Format::Sse => "sse",
        }
    }
}

/// How to format; `json_data`, `timestamp` and `color` apply to json only.
#[derive(Debug, Clone)]
pub struct FormatOptions {
    pub format: Format,
    /// Embed the data as JSON when it is JSON (else keep it a string).
    pub json_data: bool,
    /// Add the receive time as a last key `"time"`.
    pub timestamp: bool,
    /// Colour like `jq -C`.
    pub color: bool,
}

/// What happened while formatting one event (for the caller's warnings and counters).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// With `json_data`: the data was not JSON and was written as a string.
    pub not_json: bool,
}

/// Formats events one at a time into a caller's buffer.
pub struct Formatter {
    opts: FormatOptions,
    /// sse: the id last written (the reader's last event ID), raw bytes.
    last_id: Vec<u8>,
    /// json with `timestamp`: the formatted time of the last second seen.
    clock: Clock,
}

impl Formatter {
    pub fn new(opts: FormatOptions) -> Formatter {
        Formatter {
            opts,
            last_id: Vec::new(),
            clock: Clock::default(),
        }
    }

    /// Is this event's output exactly its data and an LF (`--format data`,
    /// valid UTF-8)? Then a sink may write the data from where it lies.
    pub fn is_verbatim(&self, ev: &Event<'_>) -> bool {
        self.opts.format == Format::Data && is_utf8(ev.data)
    }

    /// Append one event to `out`, ending with '\n' (sse: ending with the blank line).
    /// `time` is the receive time, used only with `timestamp` in json.
    pub fn event(&mut self, ev: &Event<'_>, time: SystemTime, out: &mut Vec<u8>) -> Outcome {
        match self.opts.format {
            Format::Json => self.json_event(ev, time, out),
            Format::Data => {
                push_lossy(out, ev.data);
                out.push(b'\n');
                Outcome::default()
            }
            Format::Sse => {
                self.sse_event(ev, out);
                Outcome::default()
            }
        }
    }

    /// The receive time as `--timestamp` writes it (RFC 3339, UTC, ms).
    pub fn time_text(&mut self, time: SystemTime) -> &[u8] {
        self.clock.rfc3339_millis(time)
    }

    /// Append one comment line (only called when the user asked for comments).
    ///
    /// json: `{"comment":"…"}`; data and sse: `: text` (a text holding line
    /// breaks, which the parser never produces, becomes several comment lines).
    pub fn comment(&mut self, text: &[u8], out: &mut Vec<u8>) {
        match self.opts.format {
            Format::Json => {
                let mut w = W {
                    out,
                    color: self.opts.color,
                };
                w.open(b'{');
                w.key(b"\"comment\"");
                push_json_str(&mut w, text);
                w.member_end(true);
                w.close(b'}');
                out.push(b'\n');
            }
            Format::Data | Format::Sse => {
                for line in text.split(|&c| c == b'\n') {
                    out.push(b':');
                    if !line.is_empty() {
                        out.push(b' ');
                        push_lossy(out, line);
                    }
                    out.push(b'\n');
                }
            }
        }
    }

    fn json_event(&mut self, ev: &Event<'_>, time: SystemTime, out: &mut Vec<u8>) -> Outcome {
        if !self.opts.color {
            return self.json_plain(ev, time, out);
        }
        let mut outcome = Outcome::default();
        let mut w = W {
            out,
            color: self.opts.color,
        };
        w.open(b'{');
        w.key(b"\"event\"");
        if ev.event_type.is_empty() {
            // The default type (most events): nothing to check or escape.
            w.str_start();
            w.out.extend_from_slice(b"message");
            w.str_end();
        } else {
            push_json_str(&mut w, ev.event_type);
        }
        w.member_end(true);
        if !ev.id.is_empty() {
            w.comma();
            w.key(b"\"id\"");
            push_json_str(&mut w, ev.id);
            w.member_end(true);
        }
        w.comma();
        w.key(b"\"data\"");
        if !(self.opts.json_data && embed_json(&mut w, ev.data)) {
            outcome.not_json = self.opts.json_data;
            push_json_str(&mut w, ev.data);
        }
        w.member_end(true);
        if self.opts.timestamp {
            w.comma();
            w.key(b"\"time\"");
            w.str_start();
            w.out.extend_from_slice(self.clock.rfc3339_millis(time));
            w.str_end();
            w.member_end(true);
        }
        w.close(b'}');
        out.push(b'\n');
        outcome
    }

    /// `json_event` without colour: the same bytes, with the envelope's
    /// fixed text written in as few pieces as the event allows (a tiny
    /// event's output is mostly envelope, and each piece costs a capacity
    /// check and a length update).
    #[inline]
    fn json_plain(&mut self, ev: &Event<'_>, time: SystemTime, out: &mut Vec<u8>) -> Outcome {
        let mut outcome = Outcome::default();
        if ev.event_type.is_empty() && ev.id.is_empty() {
            // The usual tiny event: the whole head in one piece.
            out.extend_from_slice(b"{\"event\":\"message\",\"data\":");
        } else {
            if ev.event_type.is_empty() {
                out.extend_from_slice(b"{\"event\":\"message\"");
            } else {
                out.extend_from_slice(b"{\"event\":\"");
                push_escaped_text(out, ev.event_type);
                out.push(b'"');
            }
            if !ev.id.is_empty() {
                out.extend_from_slice(b",\"id\":\"");
                push_escaped_text(out, ev.id);
                out.push(b'"');
            }
            out.extend_from_slice(b",\"data\":");
        }
        if !(self.opts.json_data && embed_json(&mut W { out, color: false }, ev.data)) {
            outcome.not_json = self.opts.json_data;
            out.push(b'"');
            push_escaped_text(out, ev.data);
            out.push(b'"');
        }
        if self.opts.timestamp {
            out.extend_from_slice(b",\"time\":\"");
            out.extend_from_slice(self.clock.rfc3339_millis(time));
            out.push(b'"');
        }
        out.extend_from_slice(b"}\n");
        outcome
    }

    fn sse_event(&mut self, ev: &Event<'_>, out: &mut Vec<u8>) {
        if !ev.event_type.is_empty() {
            out.extend_from_slice(b"event: ");
            push_lossy(out, ev.event_type);
            out.push(b'\n');
        }
        if ev.id != self.last_id.as_slice() {
            if ev.id.is_empty() {
                out.extend_from_slice(b"id\n");
            } else {
                out.extend_from_slice(b"id: ");
                push_lossy(out, ev.id);
                out.push(b'\n');
            }
            self.last_id.clear();
            self.last_id.extend_from_slice(ev.id);
        }
        // One field per line; the reader strips exactly one leading space, so
        // "data: " + line keeps a line's own leading spaces. An empty line is
        // a bare "data" (no trailing whitespace).
        let data = ev.data;
        let mut start = 0;
        loop {
            let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |n| start + n);
            let line = &data[start..end];
            if line.is_empty() {
                out.extend_from_slice(b"data\n");
            } else {
                out.extend_from_slice(b"data: ");
                push_lossy(out, line);
                out.push(b'\n');
            }
            if end == data.len() {
                break;
            }
            start = end + 1;
        }
        out.push(b'\n');
    }
}

/// Writes `data` as an embedded JSON value when it is JSON; `false` (and
/// nothing written) when it is not. A one-line text is copied as it is
/// (without surrounding whitespace); a text with line breaks, or any text
/// when colouring, is re-emitted compactly.
fn embed_json(w: &mut W<'_>, data: &[u8]) -> bool {
    let at = w.out.len();
    let Some(scan) = json::validate_text_into(data, w.out) else {
        return false;
    };
    if w.color || scan.newline {
        w.out.truncate(at);
        // Cannot fail: the same bytes were just accepted.
        let _ = json::scan(data, w);
    } else if (scan.start, scan.end) != (0, data.len()) {
        // Whitespace around the value goes.
        w.out.copy_within(at + scan.start..at + scan.end, at);
        w.out.truncate(at + scan.end - scan.start);
    }
    true
}

/// Where the JSON text lies in `data` (without surrounding whitespace),
/// when `data` is JSON as `--json-data` decides.
pub fn json_span(data: &[u8]) -> Option<(usize, usize)> {
    json::validate_text(data).map(|s| (s.start, s.end))
}

/// Appends `b` decoded as UTF-8 with replacement.
pub fn push_text(out: &mut Vec<u8>, b: &[u8]) {
    push_lossy(out, b);
}

/// Appends `b` as a JSON string, quoted (decoded with replacement).
pub fn push_json_text(out: &mut Vec<u8>, b: &[u8]) {
    push_json_str(&mut W { out, color: false }, b);
}

/// Appends `b` as a JSON string (decoded with replacement, then escaped).
#[inline]
fn push_json_str(w: &mut W<'_>, b: &[u8]) {
    w.str_start();
    push_escaped_text(w.out, b);
    w.str_end();
}

/// Appends `b` decoded with replacement and escaped: a JSON string's
/// contents, without its quotes.
#[inline(always)]
fn push_escaped_text(out: &mut Vec<u8>, b: &[u8]) {
    let start = out.len();
    // Escaping does not depend on UTF-8 validity: escape first, and redo
    // the rare text that turns out not to be UTF-8.
    if !push_escaped(out, b) && !is_utf8(b) {
        redo_lossy(out, start, b);
    }
}

/// `push_escaped_text` for text that is not UTF-8: what was written from
/// `start` on is written again, each invalid sequence as U+FFFD.
#[cold]
#[inline(never)]
fn redo_lossy(out: &mut Vec<u8>, start: usize, b: &[u8]) {
    out.truncate(start);
    for chunk in b.utf8_chunks() {
        push_escaped(out, chunk.valid().as_bytes());
        if !chunk.invalid().is_empty() {
            out.extend_from_slice(REPLACEMENT);
        }
    }
}

/// The latest time humantime can print (the end of year 9999).
const MAX_TIME: Duration = Duration::new(253_402_300_799, 999_000_000);

/// Caches the RFC 3339 text of the last second seen; within that second only
/// the milliseconds change.
struct Clock {
    secs: u64,
    text: Vec<u8>,
}

impl Default for Clock {
    fn default() -> Clock {
        Clock {
            secs: u64::MAX,
            text: Vec::new(),
        }
    }
}

impl Clock {
    /// `time` as `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC), clamped to 1970..=9999.
    fn rfc3339_millis(&mut self, time: SystemTime) -> &[u8] {
        let since = time
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .min(MAX_TIME);
        let ms = since.subsec_millis();
        if since.as_secs() != self.secs || self.text.len() != 24 {
            self.secs = since.as_secs();
            self.text.clear();
            let whole = UNIX_EPOCH + Duration::from_secs(self.secs);
            // Writing to a Vec cannot fail, and the time is in humantime's range.
            let _ = write!(self.text, "{}", humantime::format_rfc3339_millis(whole));
        }
        if let Some(digits) = self.text.get_mut(20..23) {
            // ms < 1000, so each digit fits a u8.
            digits[0] = b'0' + (ms / 100) as u8;
            digits[1] = b'0' + (ms / 10 % 10) as u8;
            digits[2] = b'0' + (ms % 10) as u8;
        }
        &self.text
    }
}
