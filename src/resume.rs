//! resume: the at-least-once bookkeeping behind `--state-file`. A pure
//! `Ledger` follows the last event ID through the stream and knows which
//! ID may be saved: only one whose events the sink has written (stdout) or
//! Kafka has acknowledged. A `ResumeStore` keeps that ID across runs;
//! the state file (`file`, one run at a time by its `lock`) is the first.
//!
//! Events are numbered by the pipeline as it hands them to the sink (`seq`,
//! from 1); the sink reports the highest number up to which everything is
//! written or acknowledged. The last event ID can change without an event
//! being handed over (a filtered event, an `id:` with no data): such a
//! change is noted against the number of events handed over so far, and is
//! covered once those are delivered.
//!
//! Only an ID that can be sent back as `Last-Event-ID` is ever a resume
//! point (`sendable`): a server may send IDs that the parser must track
//! (a browser does) but that an HTTP header cannot carry. The ledger skips
//! those, so the saved ID and the one a reconnect sends is the newest
//! sendable one; the events since then may come again (at least once,
//! never lost), and a restart never fails on the ID.

mod file;
mod lock;

pub use file::StateFile;

use anyhow::Result;
use std::collections::VecDeque;

/// Where the resume point is kept across runs.
pub trait ResumeStore {
    /// The saved ID, if there is one.
    fn load(&mut self) -> Result<Option<String>>;
    /// Save `id`, the newest ID whose events are delivered (`delivered` of
    /// them this run): at most about once a second unless `force` (at exit).
    fn save(&mut self, id: &str, delivered: u64, force: bool) -> Result<()>;
}

/// The longest ID sent as `Last-Event-ID` or saved as the resume point.
/// Real IDs are short (a number, a UUID, a few Kafka offsets as JSON:
/// Wikimedia's are about 200 bytes); servers and proxies cap a header line
/// at about 8 KiB (nginx's `large_client_header_buffers`, Apache's
/// `LimitRequestFieldSize`) and all headers at 8–16 KiB, so 4 KiB leaves
/// room for the rest of the request, and keeps a state record and an
/// `sse.id` Kafka header far below `message.max.bytes`.
pub const MAX_ID_LEN: usize = 4096;

/// Why `id` cannot be sent as a `Last-Event-ID` header, or `None` when it
/// can: a header value may hold TAB and any byte from 0x20 up except DEL
/// (what the `http` crate, and so ureq, accepts; other bytes are sent as
/// they come), and at most `MAX_ID_LEN` bytes. The empty ID (none) is
/// sendable: no header is sent.
pub fn unsendable(id: &[u8]) -> Option<String> {
    let len = sent_len(id);
    if len > MAX_ID_LEN {
        let lossy = if len == id.len() { "" } else { " as sent" };
        return Some(format!("{len} bytes{lossy}, over {MAX_ID_LEN}"));
    }
    let bad = id
        .iter()
        .position(|&b| (b < 0x20 && b != b'\t') || b == 0x7f)?;
    Some(format!("control byte 0x{:02x} at offset {bad}", id[bad]))
}

/// Can `id` be sent as `Last-Event-ID` (see `unsendable`)?
pub fn sendable(id: &[u8]) -> bool {
    sent_len(id) <= MAX_ID_LEN && !id.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f)
}

/// Can `id` be too long to send (see `sent_len`)? One comparison, cheap
/// enough for every event; an ID unsendable for a control byte is found
/// only when the ledger is told of it, once a read.
#[inline(always)]
pub fn may_outgrow(id: &[u8]) -> bool {
    id.len() > MAX_ID_LEN / 3
}

/// How long `id` is once decoded as UTF-8 with replacement, as it is sent
/// and saved: each invalid byte becomes U+FFFD, three bytes. Only an ID
/// over a third of `MAX_ID_LEN` can grow past it, so a usual one costs no
/// decoding.
fn sent_len(id: &[u8]) -> usize {
    if id.len() <= MAX_ID_LEN / 3 || simdutf8::basic::from_utf8(id).is_ok() {
        id.len()
    } else {
        String::from_utf8_lossy(id).len()
    }
}

/// An ID fit for a log line: at most 40 characters, escaped.
pub fn show_id(id: &[u8]) -> String {
    let text = String::from_utf8_lossy(id);
    let mut short: String = text.chars().take(40).collect();
    let cut = short.len() < text.len();
    short = format!("{short:?}");
    if cut {
        short.push('…');
    }
    short
}

/// Which last event ID is safe to save.
#[derive(Debug, Clone)]
pub struct Ledger {
    /// (events handed over when this ID became current, the ID), oldest first.
    pending: VecDeque<(u64, String)>,
    /// The parser's last event ID as last noted (raw bytes).
    current: Vec<u8>,
    /// The newest ID all of whose events are delivered.
    safe: String,
    /// The newest sendable ID noted, delivered or not: what a reconnect
    /// sends.
    usable: String,
    delivered: u64,
}

impl Ledger {
    /// Start from the ID the run resumes from (empty for none; the caller
    /// has made sure it is sendable).
    pub fn new(start: &str) -> Ledger {
        Ledger {
            pending: VecDeque::new(),
            current: start.as_bytes().to_vec(),
            safe: start.to_string(),
            usable: start.to_string(),
            delivered: 0,
        }
    }

    /// The last event ID is `id` after `handed` events were handed over.
    /// Cheap when it did not change. Returns true when it changed to an ID
    /// that cannot be sent (`unsendable`): the ledger passes over it, so
    /// the resume point stays at the last sendable ID.
    pub fn note(&mut self, handed: u64, id: &[u8]) -> bool {
        if id == self.current.as_slice() {
            return false;
        }
        self.current.clear();
        self.current.extend_from_slice(id);
        if !sendable(id) {
            return true;
        }
        let id = String::from_utf8_lossy(id).into_owned();
        self.usable.clone_from(&id);
        match self.pending.back_mut() {
            // A newer ID at the same point replaces the older one.
            Some((at, last)) if *at == handed => *last = id,
            _ => self.pending.push_back((handed, id)),
        }
        self.advance(self.delivered);
        false
    }

    /// The newest sendable ID noted (its events may not be delivered yet):
    /// the `Last-Event-ID` of a reconnect when the parser's own last ID
    /// cannot be sent.
    pub fn usable_id(&self) -> &str {
        &self.usable
    }

    /// The sink says every event numbered up to `delivered` is written or
    /// acknowledged. A smaller number than before changes nothing.
    pub fn advance(&mut self, delivered: u64) {
        self.delivered = self.delivered.max(delivered);
        while let Some((at, _)) = self.pending.front() {
            if *at > self.delivered {
                break;
            }
            if let Some((_, id)) = self.pending.pop_front() {
                self.safe = id;
            }
        }
    }

    /// The ID to save: the newest one whose events are all delivered.
    pub fn safe_id(&self) -> &str {
        &self.safe
    }
}

#[cfg(test)]
mod tests;
